"""test_cdr_reuse.py: issue 14, item 3. One CDR file across two runs of
the switch: the second run appends (ids after the first run's, its own
run number), each run keeps its start (runs.started), the first run's
rows are not changed by the second, and each row's times count from its
own run's start. (On the old switch: ids restarted at 1 and the stored
start was overwritten, moving the earlier rows' times.)"""
import os
import sqlite3
import sys
import time

import harness as h

busyhour = sys.argv[1]
SIP, HTTP, CALLER = h.free_ports(3)


def calls(sw, n):
    rc, _, err = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s",
                         "100", "127.0.0.1:%d" % SIP, "-p", str(CALLER),
                         "-m", str(n), "-r", "20", "-d", "100"])
    h.check(rc == 0, "%d calls completed (%s)" % (n, err.strip()[:200]))


def dump(path, sql):
    db = sqlite3.connect(path)
    out = db.execute(sql).fetchall()
    db.close()
    return out


sw = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP, HTTP)
sw.wait_ready()
t0 = time.time()
calls(sw, 5)
sw.stop()
first = dump(sw.cdr, "SELECT * FROM calls ORDER BY id")
runs1 = dump(sw.cdr, "SELECT run, started FROM runs")
time.sleep(1.5)  # the second run starts visibly later

sw2 = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP, HTTP,
               cdr=sw.cdr)
sw2.wait_ready()
t1 = time.time()
calls(sw2, 5)
sw2.stop()
rows = sw2.rows("SELECT * FROM calls ORDER BY id")
runs = dump(sw.cdr, "SELECT run, started, ended, lost FROM runs ORDER BY run")
h.check(dump(sw.cdr, "SELECT * FROM calls WHERE run = 1 ORDER BY id") ==
        first, "the first run's 5 rows are unchanged")
h.check([r["id"] for r in rows] == list(range(1, 11)),
        "ids 1..10: the second run continues after the first's")
h.check([r["run"] for r in rows] == [1] * 5 + [2] * 5,
        "each row names its run")
h.check(len(runs) == 2 and runs[0][:2] == runs1[0] and
        runs[1][1] - runs[0][1] >= 1.5 and
        abs(runs[0][1] - t0) < 2 and abs(runs[1][1] - t1) < 2,
        "each run keeps its own start (%.3f, %.3f)" %
        (runs[0][1], runs[1][1]))
h.check(all(r[2] is not None and r[3] == 0 for r in runs),
        "both runs recorded their end and 0 rows lost")
# Times count from the row's own run: the second run's calls came
# within seconds of its start, not 1.5 s + the first run later.
span2 = max(r["end"] for r in rows[5:])
h.check(all(0 <= r["arrival"] < 10 for r in rows) and
        span2 < time.time() - t1 + 1,
        "each row's times count from its run's start")
print("PASS")
