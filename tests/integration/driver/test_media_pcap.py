"""test_media_pcap.py: `media: pcap:FILE`: each caller's RTP is the audio
of tests/data/pcap/g711u-sweep.pcap (its first PCMU stream, read with
libpcap), replayed from its start and looped. Against the switch, with
`--pcap --pcap-rtp`: tshark finds, for every answered call, a stream of
ours whose payload octets are the capture's, in order. A capture that
does not exist is a usage error (exit 2) that names it."""
import os
import shutil
import subprocess
import sys
import tempfile

from driverlib import HERE, check, free_ports, load_on_switch, scenario

busyhour = sys.argv[1]
data = os.path.join(HERE, "..", "..", "data", "pcap", "g711u-sweep.pcap")
(port,) = free_ports(1)
sc = scenario("media_pcap.yaml")
shutil.copy(data, os.path.dirname(sc))


def clip(path):
    """The payload octets of the capture's PCMU stream, in order."""
    out = subprocess.run(
        ["tshark", "-r", path, "-d", "udp.port==40002,rtp", "-Y",
         "rtp.ssrc == 0x11223344", "-T", "fields", "-e", "rtp.payload"],
        capture_output=True, text=True, check=True).stdout
    return bytes.fromhex("".join(out.split()).replace(":", ""))


ref = clip(data)
check(len(ref) == 8000, "the capture holds 8000 samples of PCMU")

cap = os.path.join(tempfile.mkdtemp(prefix="bh_cap_"), "load.pcap")
sw, load = load_on_switch(busyhour, sc, port,
                          ["--duration", "12s", "--pcap", cap, "--pcap-rtp"])
calls = load.calls()
answered = [c for c in calls if c["outcome"] == "answered"]
check(len(answered) >= 3, "%d answered calls" % len(answered))

out = subprocess.run(
    ["tshark", "-r", cap, "-o", "rtp.heuristic_rtp:TRUE", "-Y",
     "rtp && rtp.p_type == 0", "-T", "fields", "-e", "rtp.ssrc", "-e",
     "rtp.seq", "-e", "rtp.payload"],
    capture_output=True, text=True, check=True).stdout
streams = {}
for line in out.splitlines():
    f = line.split("\t")
    if len(f) == 3 and f[2]:
        streams.setdefault(f[0], []).append(
            (int(f[1]), bytes.fromhex(f[2].replace(":", ""))))
os.remove(cap)
ours = looped = 0
for ssrc, pkts in streams.items():
    body = b"".join(p for _, p in pkts)
    if len(body) >= 160 and body == (ref * (len(body) // len(ref) + 1))[
            :len(body)]:
        ours += 1
        looped += len(body) > len(ref)  # 3 s of talk: past the 1 s clip
check(looped >= 1, "streams longer than the capture start it again")
check(ours == len(answered),
      "every answered call sent the capture's octets from its start, "
      "looped (%d streams of %d calls)" % (ours, len(answered)))

bad = scenario("media_pcap.yaml")
p = subprocess.run([busyhour, "load", bad, "--target",
                    "127.0.0.1:%d" % port, "--duration", "1s"],
                   capture_output=True, text=True)
check(p.returncode == 2, "a missing capture: exit 2 (got %d)" % p.returncode)
check("g711u-sweep.pcap" in p.stderr, "the error names the capture: %s"
      % p.stderr.strip())
