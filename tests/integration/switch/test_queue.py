"""test_queue.py: a queue with 3 operators (SIPp UAS as static contacts):
6 callers are answered by operators in arrival order, the waits in the CDRs
match what the callers saw, and a caller who hangs up while waiting is
abandoned (issue 6, acceptance 2)."""
import os
import signal
import sys
import time

import harness as h

busyhour = sys.argv[1]
SIP, HTTP, C1, C2, *OPS = h.free_ports(8)
tmp = None
ops = []
oplogs = []
sw = h.Switch(busyhour, h.scenario("queue.yaml", dict(zip(
    (26171, 26172, 26173), OPS))), SIP, HTTP)
for i, port in enumerate(OPS):
    log = os.path.join(sw.tmp, "op%d.log" % (i + 1))
    oplogs.append(log)
    ops.append(h.sipp(["-sf", os.path.join(h.HERE, "operator.xml"), "-p",
                       str(port), "-i", "127.0.0.1"], log=log, wait=False))
sw.wait_ready()

# Six callers 200 ms apart, each talking 3 s once an operator answers.
clog = os.path.join(sw.tmp, "callers.log")
callers = h.sipp(["-sf", os.path.join(h.HERE, "queue_caller.xml"), "-s",
                  "200", "127.0.0.1:%d" % SIP, "-p", str(C1), "-m", "6",
                  "-l", "6", "-r", "5", "-d", "3000"], log=clog, wait=False)
# Once the last three wait, a seventh caller joins and gives up after
# 0.5 s, long before an operator is free.
waiting = 0
for _ in range(2000):
    time.sleep(0.01)
    waiting = sw.status()["numbers"][0]["waiting"]
    if waiting == 3 or callers.poll() is not None:
        break
h.check(waiting == 3, "three callers wait while three talk")
st = sw.status()["numbers"][0]
h.check(st["operators_free"] == 0, "/status: no operator free")
alog = os.path.join(sw.tmp, "abandon.log")
rc, _, err = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s", "200",
                     "127.0.0.1:%d" % SIP, "-p", str(C2), "-m", "1", "-d",
                     "500"], log=alog)
h.check(rc == 0, "the impatient caller was answered and hung up")
callers.communicate()
h.check(callers.returncode == 0,
        "SIPp callers: all answered, connected, hung up (exit 0)")
sw.stop()
for p in ops:
    os.kill(p.pid, signal.SIGTERM)
    p.wait()

ev = h.log_events(clog)
answered = {c: t for e, c, t in ev if e == "answered"}
connected = {c: t for e, c, t in ev if e == "connected"}
h.check(len(answered) == 6 and len(connected) == 6,
        "6 callers answered and connected to an operator")
rows = h.Switch.rows(sw)
ans = [r for r in rows if r["outcome"] == "answered"]
ab = [r for r in rows if r["outcome"] == "abandoned"]
h.check(len(ans) == 6, "6 answered CDRs (got %d)" % len(ans))
h.check(len(ab) == 1, "1 abandoned CDR (got %d)" % len(ab))
ans.sort(key=lambda r: r["arrival"])
h.check(all(a["connect"] <= b["connect"] for a, b in zip(ans, ans[1:])),
        "operators answered in arrival order")
h.check(sorted(r["operator"] for r in ans[:3]) == [0, 1, 2],
        "the first three went to the three operators")
h.check(all(r["wait"] < 0.5 for r in ans[:3]), "the first three did not wait")
h.check(all(r["wait"] > 2.0 for r in ans[3:]),
        "the last three waited for a free operator")
# The switch holds a final answer until the loop turn's CDR commit (group
# commit), so the caller hears the 200 up to one commit later than the CDR's
# answer time: on a loaded machine that commit has taken 100 ms. The
# tolerance covers it; the waits compared are seconds apart.
for r in ans:
    seen = (connected[r["call_id"]] - answered[r["call_id"]]) / 1000.0
    if abs(seen - r["wait"]) > 0.25:
        h.fail("call %s: CDR wait %.3f s, caller saw %.3f s" %
               (r["call_id"], r["wait"], seen))
h.check(True, "CDR waits match the callers' (answer to UPDATE) within 0.25 s")
a = ab[0]
h.check(a["operator"] == -1 and a["connect"] == -1 and
        0.4 <= a["wait"] <= 2.5, "abandoned row: no operator, waited %.3f s"
        % a["wait"])
rings = sum(1 for l in oplogs for e, _, _ in h.log_events(l) if e == "ring")
h.check(rings == 6, "operators were rung 6 times (got %d)" % rings)
print("PASS")
