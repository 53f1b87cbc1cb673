"""test_pcap.py: `busyhour load --pcap FILE --pcap-rtp` against the
reference switch: tshark reads the capture and finds every INVITE the
driver sent (one per call of --calls, by Call-ID, to the switch's port),
its answers and ACK/BYE, and exactly the RTP packets the driver counted
sent and received; sngrep reads the same file and counts one dialog per
call. A capture that cannot be written is a usage error (exit 2)."""
import os
import re
import subprocess
import sys

from driverlib import Load, Switch, check, free_ports, scenario

busyhour = sys.argv[1]
(port,) = free_ports(1)
sc = scenario("lines.yaml")
sw = Switch(busyhour, sc, port)
sw.wait_ready()
cap = os.path.join(os.path.dirname(sc), "cap.pcap")
load = Load(busyhour, sc, "127.0.0.1:%d" % port,
            ["--duration", "5s", "--pcap", cap, "--pcap-rtp"])
bad = subprocess.run([busyhour, "load", sc, "--target", "127.0.0.1:%d" % port,
                      "--duration", "1s", "--pcap", "/nonexistent/x.pcap"],
                     capture_output=True, text=True, timeout=60)
sw.stop()
check(load.rc == 0, "load exits 0 (got %d)" % load.rc)
check(bad.returncode == 2 and "/nonexistent/x.pcap" in bad.stderr,
      "an unwritable capture exits 2 naming it (%d: %s)"
      % (bad.returncode, bad.stderr))
calls = load.calls()
check(len(calls) >= 4, "the run made calls (%d)" % len(calls))


def tshark(*args):
    p = subprocess.run(["tshark", "-r", cap] + list(args),
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "tshark -r reads the capture: " + p.stderr)
    return [line for line in p.stdout.splitlines() if line.strip()]


invites = tshark("-Y", 'sip.Method == "INVITE"', "-T", "fields",
                 "-e", "sip.Call-ID", "-e", "udp.dstport")
ids = {line.split("\t")[0] for line in invites}
check(ids == {c["call_id"] for c in calls},
      "tshark shows an INVITE for every call the driver placed, and no "
      "other (%d INVITEs, %d calls)" % (len(ids), len(calls)))
check(all(line.split("\t")[1] == str(port) for line in invites),
      "every INVITE went to the switch's port")
check(len(invites) >= len(calls), "no INVITE missing (%d INVITEs for %d "
      "calls: retransmissions may add some)" % (len(invites), len(calls)))
for method in ("ACK", "BYE"):
    n = len(tshark("-Y", 'sip.Method == "%s"' % method))
    answered = sum(1 for c in calls if c["outcome"] == "answered")
    check(n >= answered, "%s for every answered call (%d for %d)"
          % (method, n, answered))
finals = tshark("-Y", "sip.Status-Code >= 200 && sip.CSeq.method == "
                '"INVITE"', "-T", "fields", "-e", "sip.Call-ID")
check({f for f in finals} == ids, "a final answer to every INVITE")
rtp = len(tshark("-o", "rtp.heuristic_rtp:TRUE", "-Y", "rtp"))
counted = sum(int(c["rtp_sent"]) + int(c["rtp_received"]) for c in calls)
check(rtp == counted, "the capture holds the RTP the driver counted "
      "(%d in the file, %d counted)" % (rtp, counted))
p = subprocess.run(["sngrep", "-I", cap, "-N"], capture_output=True,
                   text=True, timeout=60)
m = re.findall(r"Dialog count: (\d+)", p.stdout + p.stderr)
check(p.returncode == 0 and m and int(m[-1]) == len(calls),
      "sngrep -I reads one dialog per call (%s, %d calls)"
      % (m[-1] if m else p.stdout + p.stderr, len(calls)))
print("pcap: %d calls, %d INVITEs, %d RTP packets" % (len(calls),
                                                      len(invites), rtp))
