"""test_cdr_lock.py: issue 14, item 1. Another process holds the CDR
file's write lock (BEGIN IMMEDIATE) for 3 s while 120 calls run. Every
call the client saw end (200 to its BYE) has its final row, no row is
lost, the failed commits are counted in /metrics while the lock is held,
and the switch exits 0. (On the old switch: 20 rows of 120, exit 0.)"""
import os
import subprocess
import sys
import time

import harness as h

# A second process: waits for the lock, holds it `secs` seconds, says when.
LOCKER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
print("released", flush=True)
"""

busyhour = sys.argv[1]
SIP, HTTP, CALLER = h.free_ports(3)
CALLS = 120
sw = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP, HTTP)
sw.wait_ready()
log = os.path.join(sw.tmp, "caller.log")
p = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s", "100",
            "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-m", str(CALLS),
            "-r", "40", "-d", "300"], log=log, wait=False)
time.sleep(0.5)
locker = subprocess.Popen([sys.executable, "-c", LOCKER, sw.cdr, "3"],
                          stdout=subprocess.PIPE, text=True)
h._children.append(locker)
h.check(locker.stdout.readline().strip() == "locked",
        "another process holds the CDR file's write lock")
busy, held = 0, 0
for _ in range(100):
    busy = sw.metric("bh_switch_cdr_busy_total") or 0
    held = max(held, sw.metric("bh_switch_cdr_held") or 0)
    if busy > 0 and held > 0:
        break
    time.sleep(0.05)
h.check(busy > 0, "failed commits counted while locked (%d)" % busy)
h.check(held > 0, "answers held until their rows are committed (%d)" % held)
h.check(locker.stdout.readline().strip() == "released" and
        locker.wait() == 0, "the lock was released after 3 s")
_, err = p.communicate()
events = h.log_events(log)
ended = {c for e, c, _ in events if e == "ended"}
h.check(len(ended) == CALLS, "the client saw %d of %d calls end" %
        (len(ended), CALLS))
text = sw.stop()
rows = sw.rows()
final = {r["call_id"] for r in rows if r["state"] == "ended"}
h.check(len(rows) == CALLS and ended <= final,
        "%d rows, every call the client saw end has its final row" %
        len(rows))
h.check(all(r["reason"] == "bye" and r["outcome"] == "answered"
            for r in rows), "each row says the caller hung up")
h.check("CDR write failed" in text and "CDR writes resumed" in text,
        "stderr says when writes failed and when they resumed")
print("PASS")
