"""soak.py: a bounded mixed load on the reference switch (issue 14,
acceptance): legitimate calls, a flood from one other host, wrong
passwords, a held database lock, a kill -9 and a restart on the same CDR
file. Prints:

  calls_attempted    calls SIPp started (both phases)
  calls_ended_acked  calls whose BYE got its 200 (the end acknowledged)
  cdr_rows_kept      rows in the CDR file at the end
  rows_lost          acknowledged ends without their final row (goal 0)
  refused_in_flood   legitimate calls refused or failed while the other
                     host flooded (goal 0)
  flood_sent, flood_dropped   the flood's datagrams, those the switch
                     ignored (source blocked)
  auth_failures, auth_refused wrong passwords checked, refused unchecked
  rss_before_kb, rss_after_kb the switch's VmRSS before the flood and
                     once it ended
  crash_calls_up     calls up when the switch was killed

Phase 1 (the flood): legitimate callers from 127.0.0.1 (SIPp,
tests/integration/switch/caller.xml) at --rate for --seconds, while
127.0.0.2 sends OPTIONS and INVITEs as fast as it can, 127.0.0.3 guesses
passwords, and another process holds the CDR file's write lock for 2 s.
Phase 2 (the crash): callers again; kill -9 once 500 rows are written; a
new switch on the same CDR file and port; the callers' SIPp goes on
(calls up at the crash fail on its side, and are not counted as refused).

Usage: python3 soak.py BUSYHOUR [--rate 200] [--seconds 15]
Never part of ctest; every phase is bounded."""
import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "..", "tests", "integration", "switch")
sys.path.insert(0, TESTS)
import harness as h  # noqa: E402

LOCKER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""

SCENARIO = """name: soak
switch:
  numbers:
    - name: info
      number: "100"
      lines: 5000
  accounts:
    - { user: op1, password: secret }
  limits:
    source_rate: %d
    source_block: 30s
    auth_failures: 5
    auth_block: 60s
traffic:
  - name: callers
    to: info
    profile: { "00:00": 60 }
    holding: { dist: deterministic, value: 1s }
"""


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def udp_rcvbuf_errors():
    """The kernel's count of UDP datagrams dropped for a full receive
    buffer (all sockets of the machine)."""
    lines = [l.split() for l in open("/proc/net/snmp") if l.startswith("Udp:")]
    return int(lines[1][lines[0].index("RcvbufErrors")])


def flooder(sip, stop, counts, rate):
    """127.0.0.2: OPTIONS and INVITEs, each a new transaction, until stop;
    rate datagrams per second (0: as fast as this process can)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.2", 0))
    port = s.getsockname()[1]
    i = 0
    t0 = time.time()
    while not stop.is_set() and i < 2000000:
        if rate and i % 100 == 0:
            ahead = i / float(rate) - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
        meth = "INVITE" if i % 2 else "OPTIONS"
        msg = ("%s sip:100@127.0.0.1:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.2:%d;branch=z9hG4bKf%d\r\n"
               "From: <sip:flood@127.0.0.2>;tag=%d\r\n"
               "To: <sip:100@127.0.0.1>\r\nCall-ID: f%d@flood\r\n"
               "CSeq: 1 %s\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n" %
               (meth, sip, port, i, i, i, meth))
        try:
            s.sendto(msg.encode(), ("127.0.0.1", sip))
        except OSError:
            pass
        i += 1
    counts["flood"] = i
    s.close()


def guesser(sip, n):
    """127.0.0.3: n REGISTERs for op1 with wrong passwords."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.3", 0))
    s.settimeout(2)
    uri = "sip:127.0.0.1:%d" % sip
    ch = None
    for i in range(n):
        auth = ""
        if ch:
            auth = "Authorization: %s\r\n" % h.credentials(
                ch, "op1", "guess%d" % i, "MD5", uri, nc="%08x" % (i + 1))
        msg = ("REGISTER %s SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.3:%d;branch=z9hG4bKg%x\r\n"
               "From: <sip:op1@127.0.0.1>;tag=g%d\r\n"
               "To: <sip:op1@127.0.0.1>\r\nCall-ID: g%d@guess\r\n"
               "CSeq: 1 REGISTER\r\nContact: <sip:op1@127.0.0.3:9>\r\n"
               "Max-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n" %
               (uri, s.getsockname()[1], random.getrandbits(48), i, i, auth))
        s.sendto(msg.encode(), ("127.0.0.1", sip))
        try:
            r = s.recv(65535).decode(errors="replace")
            if r.startswith("SIP/2.0 401") and not ch:
                ch = h.challenges(r)[1]
        except socket.timeout:
            pass
    s.close()


def callers(sip, port, rate, calls, log):
    return h.sipp(["-sf", os.path.join(TESTS, "caller.xml"), "-s", "100",
                   "127.0.0.1:%d" % sip, "-p", str(port), "-m", str(calls),
                   "-r", str(rate), "-l", "5000", "-d", "200",
                   "-timeout", "%ds" % (calls // rate + 30),
                   "-max_socket", "100"], log=log, wait=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("busyhour")
    ap.add_argument("--rate", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--flood-rate", type=int, default=0,
                    help="datagrams per second of the flood (0: as fast "
                    "as Python sends)")
    a = ap.parse_args()
    SIP, HTTP, CALLER = h.free_ports(3)
    sc = os.path.join(tempfile.mkdtemp(prefix="bh_soak_"), "soak.yaml")
    # The legitimate callers' new requests must pass the source limit.
    open(sc, "w").write(SCENARIO % (max(1000, 4 * a.rate)))
    calls = a.rate * a.seconds

    # ---- phase 1: the flood, wrong passwords, a held lock ----
    sw = h.Switch(a.busyhour, sc, SIP, HTTP)
    sw.wait_ready()
    cdr = sw.cdr
    rss0 = rss_kb(sw.proc.pid)
    log1 = os.path.join(sw.tmp, "callers1.log")
    stop, counts = threading.Event(), {}
    drops0 = udp_rcvbuf_errors()
    fl = threading.Thread(target=flooder, args=(SIP, stop, counts,
                                                a.flood_rate))
    fl.start()
    p = callers(SIP, CALLER, a.rate, calls, log1)
    guesser(SIP, 50)
    time.sleep(a.seconds / 3.0)
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, cdr, "2"])
    h._children.append(locker)
    _, err1 = p.communicate()
    locker.wait()
    stop.set()
    fl.join()
    drops = udp_rcvbuf_errors() - drops0
    time.sleep(1)
    rss1 = rss_kb(sw.proc.pid)
    flood_dropped = sw.metric("bh_switch_limit_dropped_total")
    auth_failures = sw.metric("bh_switch_auth_failures_total")
    auth_refused = sw.metric("bh_switch_auth_refused_total")
    ev1 = h.log_events(log1)
    started1 = {c for e, c, _ in ev1}
    refused = {c for e, c, _ in ev1 if e == "busy"}
    answered1 = {c for e, c, _ in ev1 if e == "answered"}
    ended1 = {c for e, c, _ in ev1 if e == "ended"}
    # SIPp counts calls that failed (503, timeouts) without a log line.
    failed1 = calls - len(ended1) - len(refused)
    sw.stop()

    # ---- phase 2: kill -9 and a restart on the same file ----
    sw = h.Switch(a.busyhour, sc, SIP, HTTP, cdr=cdr)
    sw.wait_ready()
    log2 = os.path.join(sw.tmp, "callers2.log")
    written0 = sw.metric("bh_switch_cdr_rows_written_total") or 0
    p = callers(SIP, CALLER, a.rate, calls, log2)
    for _ in range(400):
        time.sleep(0.05)
        if (sw.metric("bh_switch_cdr_rows_written_total") or 0) - \
                written0 > 500:
            break
    up = sw.status()["calls_active"]
    sw.kill9()
    sw = h.Switch(a.busyhour, sc, SIP, HTTP, cdr=cdr)
    sw.wait_ready()
    p.communicate()
    sw.stop()
    ev2 = h.log_events(log2)
    ended2 = {c for e, c, _ in ev2 if e == "ended"}
    rows = sw.rows()
    final = {r["call_id"] for r in rows if r["state"] == "ended"}
    acked = ended1 | ended2
    lost = acked - final
    print("calls_attempted=%d" % (2 * calls))
    print("calls_ended_acked=%d" % len(acked))
    print("cdr_rows_kept=%d" % len(rows))
    print("rows_lost=%d" % len(lost))
    print("refused_in_flood=%d (busy %d, failed or 503 %d; answered %d of "
          "%d started)" % (len(refused) + failed1, len(refused), failed1,
                           len(answered1), len(started1)))
    print("flood_sent=%d flood_dropped=%d kernel_rcvbuf_drops=%d" %
          (counts.get("flood", 0), flood_dropped or 0, drops))
    print("auth_failures=%d auth_refused=%d" % (auth_failures or 0,
                                                auth_refused or 0))
    print("rss_before_kb=%d rss_after_kb=%d" % (rss0, rss1))
    print("crash_calls_up=%d" % up)
    if failed1:
        print("phase 1 SIPp stderr (last lines): " +
              " | ".join(err1.decode(errors="replace").strip()
                         .split("\n")[-8:]))
    la = open("/proc/loadavg").read().split()[0]
    print("loadavg_1m=%s ncpu=%d" % (la, os.cpu_count()))


if __name__ == "__main__":
    main()
