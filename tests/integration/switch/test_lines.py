"""test_lines.py: a number with 5 lines and no queue; SIPp places 8
simultaneous long calls: exactly 5 are answered and 3 hear 486, and the
CDR rows agree (issue 6, acceptance 1)."""
import os
import sys
import time

import harness as h

busyhour = sys.argv[1]
SIP, HTTP, CALLER = h.free_ports(3)
sw = h.Switch(busyhour, os.path.join(h.HERE, "lines.yaml"), SIP, HTTP)
sw.wait_ready()
log = os.path.join(sw.tmp, "callers.log")
# 8 callers within 80 ms, each holding 4 s once answered.
p = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s", "100",
            "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-m", "8", "-l", "8",
            "-r", "100", "-d", "4000"], log=log, wait=False)
# While the calls are up, the switch shows all 5 lines busy.
busy = 0
for _ in range(2000):
    time.sleep(0.01)
    st = sw.status()
    busy = st["numbers"][0]["lines_busy"]
    if busy == 5 and st["calls"]["blocked"] == 3:
        break
    if p.poll() is not None:
        break
h.check(busy == 5, "/status shows 5 of 5 lines busy during the calls")
m = sw.metrics()
h.check('bh_switch_lines_busy{number="info"} 5' in m,
        "/metrics shows 5 lines busy")
p.communicate()
h.check(p.returncode == 0, "SIPp: every call went as scripted (exit 0)")
ev = h.log_events(log)
answered = sorted(c for e, c, _ in ev if e == "answered")
busy = sorted(c for e, c, _ in ev if e == "busy")
h.check(len(answered) == 5, "5 callers answered (got %d)" % len(answered))
h.check(len(busy) == 3, "3 callers heard 486 (got %d)" % len(busy))
sw.stop()
rows = sw.rows()
h.check(len(rows) == 8, "8 CDR rows (got %d)" % len(rows))
ans = [r for r in rows if r["outcome"] == "answered"]
blk = [r for r in rows if r["outcome"] == "blocked"]
h.check(sorted(r["call_id"] for r in ans) == answered,
        "answered CDRs are the calls SIPp saw answered")
h.check(sorted(r["call_id"] for r in blk) == busy,
        "blocked CDRs are the calls SIPp saw busy")
h.check(sorted(r["line"] for r in ans) == [0, 1, 2, 3, 4],
        "answered calls hold lines 0..4")
h.check(all(r["status"] == 486 and r["line"] == -1 and r["answer"] == -1
            for r in blk), "blocked rows: 486, no line, no answer")
h.check(all(r["status"] == 200 and r["wait"] == 0 and r["talk"] >= 3.9
            for r in ans), "answered rows: 200, no wait, talk >= hold time")
# First come, first served: the five answered arrived before the blocked.
h.check(max(r["arrival"] for r in ans) < min(r["arrival"] for r in blk),
        "lines went to the first five callers")
print("PASS")
