"""test_shutdown.py: SIGTERM with calls up: the switch ends every active
call with BYE, writes their CDRs and exits 0."""
import os
import signal
import sys
import time

import harness as h

busyhour = sys.argv[1]
SIP, HTTP, CALLER = h.free_ports(3)
sw = h.Switch(busyhour, os.path.join(h.HERE, "lines.yaml"), SIP, HTTP)
sw.wait_ready()
msgs = os.path.join(sw.tmp, "messages.log")
p = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s", "100",
            "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-m", "3", "-l", "3",
            "-d", "600000", "-trace_msg", "-message_file", msgs],
           wait=False)
active = 0
for _ in range(2000):
    time.sleep(0.01)
    active = sw.status()["calls_active"]
    if active == 3:
        break
h.check(active == 3, "3 calls up")
sw.stop()
for _ in range(500):
    time.sleep(0.01)
    if os.path.exists(msgs) and open(msgs, errors="replace").read().count(
            "BYE sip:") >= 3:
        break
text = open(msgs, errors="replace").read() if os.path.exists(msgs) else ""
h.check(text.count("BYE sip:") >= 3, "every caller got a BYE")
h.check("shutting down" in text, "the BYE says why (Reason)")
os.kill(p.pid, signal.SIGTERM)
p.wait()
rows = sw.rows()
h.check(len(rows) == 3 and all(r["outcome"] == "answered" and
                               r["end"] > r["arrival"] for r in rows),
        "3 CDRs written at shutdown, answered, with their end")
print("PASS")
