"""test_cdr_full.py: issue 14, item 1, a full disk. The CDR file lives on
a small tmpfs this test mounts (or, where mount is not allowed, the
switch runs under RLIMIT_FSIZE with SIGXFSZ ignored, and the limit is
changed with prlimit).

A: the disk fills while 60 calls run and has room again 1.5 s later:
   the failed commits are counted, every row is written, every call the
   client saw end has its final row, exit 0.
B: the disk fills while 20 calls are up and stays full: the switch exits
   3 and says how many rows were lost; the calls' rows written at answer
   stay; no caller got a 200 to its BYE for a call whose final row is
   not in the file. (On the old switch: 2,975 of 3,000 rows lost, exit
   0, no metric.)"""
import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import harness as h


class Disk:
    """Somewhere to put the CDR file that can be made full and given room
    again."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bh_disk_")
        # BH_TEST_NO_MOUNT=1 tries the fallback where mount would work.
        self.tmpfs = not os.environ.get("BH_TEST_NO_MOUNT") and \
            subprocess.call(
                ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", self.dir],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
        self.pid = None
        self.filler = os.path.join(self.dir, "filler")
        print("disk: %s" % ("tmpfs of 8 MB" if self.tmpfs else
                            "RLIMIT_FSIZE (mount not allowed)"))

    def preexec(self):
        # Ignored dispositions survive exec: a write past the limit then
        # fails with EFBIG instead of killing the switch.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def fill(self):
        if not self.tmpfs:
            # No file may grow past the CDR files' present size (the
            # switch's log, smaller, still can). The soft limit only:
            # raising it again needs no privilege.
            size = max(os.path.getsize(f) for f in self.files())
            inf = resource.RLIM_INFINITY
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (size, inf))
            return
        try:
            with open(self.filler, "wb") as f:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
        print("disk full")

    def files(self):
        return [os.path.join(self.dir, f) for f in os.listdir(self.dir)]

    def free(self):
        if not self.tmpfs:
            inf = resource.RLIM_INFINITY
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (inf, inf))
            return
        if os.path.exists(self.filler):
            os.remove(self.filler)
        print("disk has room again")

    def close(self):
        if self.tmpfs:
            # Lazy: a failing test may leave a switch with the file open
            # (it is killed at exit); the mount goes once it closes.
            subprocess.call(["umount", "-l", self.dir])
        shutil.rmtree(self.dir, ignore_errors=True)


def switch(disk, name, http):
    sw = h.Switch(busyhour, os.path.join(h.HERE, "cdr.yaml"), SIP, http,
                  cdr=os.path.join(disk.dir, name),
                  preexec_fn=disk.preexec)
    disk.pid = sw.proc.pid
    sw.wait_ready()
    return sw


def wait_metric(sw, name, cond, what):
    v = None
    for _ in range(200):
        v = sw.metric(name)
        if v is not None and cond(v):
            break
        time.sleep(0.05)
    h.check(v is not None and cond(v), "%s (%s = %s)" % (what, name, v))


busyhour = sys.argv[1]
SIP, HTTP, HTTP2, CALLER, CALLER2 = h.free_ports(5)
disk = Disk()
try:
    # ---- A: full for 1.5 s, then room again ----
    sw = switch(disk, "a.sqlite", HTTP)
    log = os.path.join(sw.tmp, "a.log")
    disk.fill()
    p = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s", "100",
                "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-m", "60",
                "-r", "30", "-d", "200"], log=log, wait=False)
    wait_metric(sw, "bh_switch_cdr_write_failures_total", lambda v: v > 0,
                "commits fail on the full disk and are counted")
    h.check(disk.tmpfs is False or
            sw.metric("bh_switch_cdr_full_total") > 0,
            "counted as a full disk")
    time.sleep(1.5)
    disk.free()
    p.communicate()
    ended = {c for e, c, _ in h.log_events(log) if e == "ended"}
    h.check(len(ended) == 60, "the client saw %d of 60 calls end" %
            len(ended))
    text = sw.stop()
    rows = sw.rows()
    final = {r["call_id"] for r in rows if r["state"] == "ended"}
    h.check(len(rows) == 60 and ended <= final,
            "60 rows once the disk had room: none lost")
    h.check("CDR write failed" in text and "resumed" in text,
            "stderr says when writes failed and resumed")

    for f in disk.files():
        os.remove(f)

    # ---- B: full until the end ----
    sw = switch(disk, "b.sqlite", HTTP2)
    log = os.path.join(sw.tmp, "b.log")
    p = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-s", "100",
                "127.0.0.1:%d" % SIP, "-p", str(CALLER2), "-m", "20",
                "-r", "40", "-d", "4000", "-timeout", "30s"], log=log,
               wait=False)
    wait_metric(sw, "bh_switch_cdr_rows_written_total", lambda v: v >= 20,
                "20 calls up, their rows written at answer")
    disk.fill()
    wait_metric(sw, "bh_switch_cdr_rows_pending", lambda v: v >= 20,
                "their final rows wait for room")
    text = sw.stop(expect=3)
    h.check("CDR rows lost" in text and "exit status 3" in text,
            "the switch says rows were lost and how many")
    lost = [l for l in text.splitlines() if "exit status 3" in l]
    print(lost[0] if lost else text)
    p.send_signal(signal.SIGUSR1)
    p.wait()
    if disk.tmpfs:
        disk.free()  # to read the file (the switch is gone)
    rows = sw.rows()
    final = {r["call_id"] for r in rows if r["state"] == "ended"}
    ended = {c for e, c, _ in h.log_events(log) if e == "ended"}
    h.check(len(rows) == 20 and all(r["state"] == "up" for r in rows),
            "the 20 rows written at answer are kept")
    h.check(ended <= final,
            "no caller heard its call end without a final row (%d ended)"
            % len(ended))
finally:
    disk.close()
print("PASS")
