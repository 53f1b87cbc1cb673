"""test_cdr_crash.py: issue 14, item 2. kill -9 during load at about
1,000 calls/s, twice on the same CDR file, then a clean run on it:

- every call whose BYE got its 200 has its final row (0 lost): the 200
  waits for the row's commit (group commit);
- every call the client saw answered has a row (written at answer);
- the rows of calls that were up at a crash are marked `unfinished` by
  the next run, which appends with ids after the last one.

(On the old switch: rows of cleanly ended calls lost in 2 of 7 runs;
calls up at the crash left no row.)"""
import os
import signal
import sys
import time

import harness as h

busyhour = sys.argv[1]
SIP, HTTP, CALLER = h.free_ports(3)
cdr = None
answered, ended = set(), set()
for round in range(2):
    sw = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP, HTTP,
                  cdr=cdr)
    cdr = sw.cdr
    sw.wait_ready()
    log = os.path.join(sw.tmp, "caller%d.log" % round)
    p = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s", "100",
                "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-m", "30000",
                "-r", "1000", "-l", "3000", "-d", "100", "-timeout", "8s",
                "-max_socket", "100"], log=log, wait=False)
    for _ in range(100):
        time.sleep(0.05)
        if (sw.metric("bh_switch_cdr_rows_written_total") or 0) > 2000:
            break
    up = sw.status()["calls_active"]
    sw.kill9()
    print("round %d: killed with %d calls up" % (round, up))
    p.wait()
    ev = h.log_events(log)
    a = {c for e, c, _ in ev if e == "answered"}
    e = {c for e, c, _ in ev if e == "ended"}
    h.check(len(e) > 100, "round %d: %d calls ended cleanly before the "
            "crash, %d answered" % (round, len(e), len(a)))
    answered |= a
    ended |= e

# A clean run on the same file marks what the crashes left up.
sw = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP, HTTP, cdr=cdr)
sw.wait_ready()
sw.stop()
rows = sw.rows("SELECT * FROM calls ORDER BY id")
by_call = {r["call_id"]: r for r in rows}
lost_ended = [c for c in ended
              if c not in by_call or by_call[c]["state"] != "ended"]
lost_up = [c for c in answered if c not in by_call]
h.check(not lost_ended, "0 of %d cleanly ended calls lost their final "
        "row (%d lost)" % (len(ended), len(lost_ended)))
h.check(not lost_up, "0 of %d answered calls without a row (%d)" %
        (len(answered), len(lost_up)))
unfinished = [r for r in rows if r["state"] == "unfinished"]
h.check(len(unfinished) > 0 and
        all(r["end"] == -1 for r in unfinished) and
        not any(r["state"] == "up" for r in rows),
        "%d rows of calls up at the crashes are marked unfinished" %
        len(unfinished))
h.check({r["run"] for r in rows} <= {1, 2} and
        len({r["id"] for r in rows}) == len(rows),
        "the second run appended with new ids")
print("PASS")
