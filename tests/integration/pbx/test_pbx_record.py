"""test_pbx_record.py: a call to an extension with recording: true leaves
one WAV file with both parties' tones (Goertzel on the file), named in the
CDR row and listed at /recordings with caller, number, start and length;
with an unwritable folder the call goes on unrecorded, the failure is
said, counted and written in the CDR."""
import json
import os
import sys
import tempfile
import urllib.request
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbxua  # noqa: E402
from pbxua import h, b  # noqa: E402

busyhour = sys.argv[1]
SC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "record.yaml")


def call(sw_port, talk=2.0, callee_bye=False):
    net = pbxua.Net(sw_port)
    callee = pbxua.Endpoint(net, "401", "s401", policy="answer", tone=900)
    caller = pbxua.Endpoint(net, "402", "s402", tone=500)
    h.check(callee.register() == 200, "401 registers")
    d = caller.call("401")
    net.run(until=lambda: d.status is not None, limit=5, what="answer")
    h.check(d.status == 200, "402 calls 401: 200")
    net.run(seconds=talk)
    heard = (callee.level(500, 8000), caller.level(900, 8000))
    h.check(heard[0] > 1000 and heard[1] > 1000,
            "each hears the other (%.0f, %.0f)" % heard)
    if callee_bye:
        c = list(callee.dialogs.values())[0]
        callee.bye(c)
        net.run(until=lambda: d.byed, limit=5, what="BYE to the caller")
        h.check(d.byed, "401 hangs up: the caller gets BYE")
    else:
        caller.bye(d)
    net.run(seconds=0.3)


# Recorded.
SIP, HTTP = h.free_ports(2)
recdir = tempfile.mkdtemp(prefix="bh_rec_")
sw = h.Switch(busyhour, SC, SIP, HTTP, extra=["--recordings", recdir])
sw.wait_ready()
call(SIP)
with urllib.request.urlopen("http://127.0.0.1:%d/recordings" % HTTP,
                            timeout=5) as r:
    recs = json.loads(r.read())["recordings"]
call(SIP, talk=1.0, callee_bye=True)
with urllib.request.urlopen("http://127.0.0.1:%d/recordings" % HTTP,
                            timeout=5) as r:
    recs = json.loads(r.read())["recordings"]
h.check(len(recs) == 2 and recs[1]["path"] != recs[0]["path"] and
        not recs[1]["open"], "a second call, a second file (closed when "
        "the callee hung up)")
h.check(recs[0]["caller"] == "402" and
        recs[0]["number"] == "401" and not recs[0]["open"] and
        1.5 < recs[0]["seconds"] < 3.0 and recs[0]["start"] >= 0,
        "/recordings lists the call: caller 402, number 401, start, %.2f s"
        % (recs[0]["seconds"] if recs else -1))
sw.stop()
rows = [r for r in sw.rows() if r["called"] == "401"]
path = recs[0]["path"]
h.check(len(rows) == 2 and rows[0]["recording"] == path and
        rows[1]["recording"] == recs[1]["path"] and
        os.path.dirname(path) == recdir, "the CDR row names the WAV file")
w = wave.open(path)
h.check(w.getframerate() == 8000 and w.getnchannels() == 1 and
        w.getsampwidth() == 2, "the WAV is 8 kHz mono 16-bit")
raw = w.readframes(w.getnframes())
pcm = [int.from_bytes(raw[i:i + 2], "little", signed=True)
       for i in range(0, len(raw), 2)]
mid = pcm[len(pcm) // 4: 3 * len(pcm) // 4]
t500, t900 = b.goertzel(mid, 500), b.goertzel(mid, 900)
h.check(t500 > 1000 and t900 > 1000,
        "the file holds both parties' tones (500 Hz %.0f, 900 Hz %.0f)" %
        (t500, t900))

# An unwritable folder: the call goes on, the failure is said and counted.
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, SC, SIP, HTTP,
              extra=["--recordings", "/nonexistent/bh-recordings"])
sw.wait_ready()
call(SIP)
h.check(sw.metric("bh_switch_recording_errors_total") == 1,
        "the failed recording is counted in /metrics")
log = sw.stop()
h.check("recording /nonexistent/bh-recordings/" in log,
        "and said on stderr")
rows = [r for r in sw.rows() if r["called"] == "401"]
h.check(len(rows) == 1 and rows[0]["recording"].startswith("error: ") and
        rows[0]["outcome"] == "answered",
        "the CDR says the recording failed (%s); the call was answered" %
        (rows[0]["recording"] if rows else None))
print("PASS")
