"""test_faults.py: issue 14's smaller faults, each checked here.

1. SIGTERM with 150 calls up, each caller ignoring the first BYE (as if
   it was lost): the switch retransmits per timer E and waits for every
   answer before it exits 0 (before: each BYE sent once, exit 300 ms
   later; 45 of 150 BYEs were lost).
2. An INVITE with an unreadable SDP body gets 400 with a Warning saying
   why, and the log names the sender's address; so does the log line of
   an unparsable message.
3. --listen 127.0.0.1 without a port is an error (exit 2), not a silent
   5060.
4. A scenario with only bridges starts saying "1 bridges" (before:
   "0 numbers" and nothing else) without a warning, and a call to the
   bridge's number is answered (200, its passcode prompt)."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import harness as h
import sipua

busyhour = sys.argv[1]
SIP, HTTP, SIP2 = h.free_ports(3)

# ---- 1. BYEs at shutdown ----
sw = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP, HTTP,
              verbose=True)
sw.wait_ready()
ua = sipua.UA(SIP, "held")
ua.drop_first_bye = True
calls = []
for _ in range(150):
    c = ua.invite()
    ua.ack(c)
    calls.append(c)
h.check(all(int(c.resp.split()[1]) == 200 for c in calls), "150 calls up")
os.kill(sw.proc.pid, signal.SIGTERM)
t0 = time.time()
while sw.proc.poll() is None and time.time() < t0 + 20:
    ua.pump(0.01)
took = time.time() - t0
rc = sw.proc.wait()
sw.logf.close()
log = open(sw.log).read()
answered = sum(1 for c in calls if len(ua.got(c, "BYE")) >= 2)
h.check(rc == 0, "exit 0 (%d)" % rc)
h.check(answered == 150, "%d of 150 BYEs retransmitted and answered before "
        "the exit (%.2f s)" % (answered, took))
h.check(took < 4.5, "the wait is bounded (BH_SWITCH_STOP_WAIT 4 s)")
rows = sw.rows()
h.check(len(rows) == 150 and all(r["reason"] == "shutdown" for r in rows),
        "150 rows, reason shutdown")

# ---- 2. unreadable SDP, unparsable message ----
sw = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP2, None,
              verbose=True)
sw.wait_ready()
ua = sipua.UA(SIP2, "garbled")
c = ua.invite(body="this is not SDP\r\n")
h.check(c.resp.startswith("SIP/2.0 400 Bad Request") and
        "unreadable SDP" in h.header(c.resp, "Warning"),
        "unreadable SDP: 400 with Warning: %s" % h.header(c.resp, "Warning"))
ua.ack(c)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.sendto(b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
         b"127.0.0.1:9;branch=z9hG4bKbroken\r\nCSeq: x\r\n\r\n",
         ("127.0.0.1", SIP2))
time.sleep(0.3)
log = sw.stop()
h.check(re.search(r"from 127\.0\.0\.1:%d: unreadable SDP offer: 400" %
                  ua.me, log),
        "the log names the sender of the unreadable SDP")
h.check(re.search(r"unparsable message from 127\.0\.0\.1:%d" %
                  s.getsockname()[1], log),
        "the log names the sender of the unparsable message")
(row,) = sw.rows()
h.check(row["outcome"] == "failed" and row["reason"] == "bad-sdp" and
        row["status"] == 400, "its row: failed, bad-sdp, 400")

# ---- 3. --listen without a port ----
p = subprocess.run([busyhour, "switch", os.path.join(h.HERE, "lines.yaml"),
                    "--listen", "127.0.0.1"], capture_output=True,
                   text=True, timeout=30)
h.check(p.returncode == 2 and "need a numeric HOST:PORT" in p.stderr,
        "--listen 127.0.0.1: exit 2, %s" % p.stderr.strip())

# ---- 4. only bridges ----
p = subprocess.Popen([busyhour, "switch", os.path.join(h.HERE, "bridges.yaml"),
                      "--listen", "127.0.0.1:%d" % SIP2],
                     stderr=subprocess.PIPE, text=True)
h._children.append(p)
first = p.stderr.readline()
for _ in range(300):  # its signal handlers are set once it answers
    if h.options("127.0.0.1", SIP2) is not None:
        break
ua = sipua.UA(SIP2, "member")
ua.number = "200"
c = ua.invite()
h.check(c.resp.startswith("SIP/2.0 200"),
        "a call to the bridge's number is answered: %s" %
        c.resp.split("\r\n")[0])
ua.ack(c)
p.send_signal(signal.SIGTERM)
rest = p.communicate(timeout=30)[1]
h.check("1 bridges" in first and "not served" not in first + rest and
        p.returncode == 0,
        "only bridges: said at start, no warning, exit 0 (%s)" %
        (first + rest).strip())
print("PASS")
