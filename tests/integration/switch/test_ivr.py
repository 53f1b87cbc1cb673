"""test_ivr.py: the voice menu and the ring timeout. A caller who presses
1 (SIP INFO) leaves the menu at once; one who does not leaves it after
menu_time. An operator who lets it ring is cancelled after ring_timeout
and the next operator answers."""
import os
import signal
import sys

import harness as h

busyhour = sys.argv[1]
SIP, LATE, OP, C1, C2 = h.free_ports(5)
sw = h.Switch(busyhour, h.scenario("ivr.yaml", {26471: LATE, 26472: OP}),
              SIP)
late_log = os.path.join(sw.tmp, "late.log")
op_log = os.path.join(sw.tmp, "op.log")
ops = [h.sipp(["-sf", os.path.join(h.HERE, "noanswer.xml"), "-p", str(LATE),
               "-i", "127.0.0.1"], log=late_log, wait=False),
       h.sipp(["-sf", os.path.join(h.HERE, "operator.xml"), "-p", str(OP),
               "-i", "127.0.0.1"], log=op_log, wait=False)]
sw.wait_ready()
log1 = os.path.join(sw.tmp, "digit.log")
rc, _, err = h.sipp(["-sf", os.path.join(h.HERE, "ivr_caller.xml"), "-s",
                     "400", "127.0.0.1:%d" % SIP, "-p", str(C1), "-m", "1",
                     "-d", "500"], log=log1)
h.check(rc == 0, "the caller pressed 1 and reached an operator")
log2 = os.path.join(sw.tmp, "wait.log")
rc, _, err = h.sipp(["-sf", os.path.join(h.HERE, "queue_caller.xml"), "-s",
                     "400", "127.0.0.1:%d" % SIP, "-p", str(C2), "-m", "1",
                     "-d", "500"], log=log2)
h.check(rc == 0, "the caller who pressed nothing reached an operator")
sw.stop()
for p in ops:
    os.kill(p.pid, signal.SIGTERM)
    p.wait()
rows = sw.rows()
h.check(len(rows) == 2 and all(r["outcome"] == "answered" for r in rows),
        "2 answered CDRs")
a, b = rows
late = h.log_events(late_log)
h.check(sum(1 for e, _, _ in late if e == "ring") == 1 and
        sum(1 for e, _, _ in late if e == "cancel") == 1,
        "the first operator rang once and was cancelled")
h.check(a["operator"] == 1 and 0.9 <= a["wait"] <= 3.0,
        "caller 1: skipped operator 0 after ring_timeout, operator 1 "
        "answered after %.2f s in the queue" % a["wait"])
h.check(a["connect"] - a["answer"] < 2.0,
        "caller 1 left the menu at the digit, not after menu_time")
ev = {e: t for e, _, t in h.log_events(log1)}
seen = (ev["connected"] - ev["answered"]) / 1000.0
h.check(abs(seen - (a["connect"] - a["answer"])) < 0.1,
        "caller 1 saw the operator %.2f s after the answer, as the CDR "
        "says" % seen)
h.check(b["operator"] == 1 and b["wait"] < 0.5,
        "caller 2: operator 1, the longest idle, answered at once")
h.check(0.9 <= b["connect"] - b["answer"] <= 3.0,
        "caller 2 heard the menu for menu_time (%.2f s)" %
        (b["connect"] - b["answer"]))
print("PASS")
