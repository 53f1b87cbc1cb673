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
  flood_sent         the flood's datagrams; flood_dropped_process those
                     the switch read and dropped (source blocked); the
                     rest of a blocked host's were dropped by the kernel
                     (the switch's socket filter, switch/filter.c)
  kernel_rcvbuf_drops datagrams the kernel dropped for a full receive
                     buffer (the switch's host only: its own namespace),
                     how many of them in the first third of phase 1, and
                     how many at the switch's socket and at the others
                     (SIPp's) from /proc/net/udp
  auth_failures, auth_refused wrong passwords checked, refused unchecked
  rss_before_kb, rss_after_kb the switch's VmRSS before the flood and
                     once it ended
  crash_calls_up     calls up when the switch was killed

The hosts: two network namespaces joined by a veth pair. The switch's
host (10.77.0.1; the switch listens on 0.0.0.0, the callers are SIPp on
its 127.0.0.1, the password guesser 127.0.0.3) and the flooding host
(10.77.0.2), a process of its own that sends OPTIONS and INVITEs, each a
new transaction, as fast as it can (or --flood-rate) to 10.77.0.1.

Phase 1 (the flood): the callers at --rate for --seconds while the other
host floods, 127.0.0.3 guesses passwords, and another process holds the
CDR file's write lock for 2 s. Phase 2 (the crash): callers again; kill -9
once 500 rows are written; a new switch on the same CDR file and port;
the callers' SIPp goes on (calls up at the crash fail on its side, and are
not counted as refused).

Usage: python3 soak.py BUSYHOUR [--rate 200] [--seconds 15]
       [--flood-rate N] [--cpu-switch 0 --cpu-load 1 --cpu-flood -1]
Needs root (ip netns). Never part of ctest; every phase is bounded."""
import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
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


SWITCH_HOST, FLOOD_HOST = "10.77.0.1", "10.77.0.2"


def socket_drops():
    """{local port: datagrams dropped} of every UDP socket of this
    namespace (/proc/net/udp's drops: a full buffer or, for the switch's
    socket, its filter too)."""
    out = {}
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        for line in open(name).readlines()[1:]:
            f = line.split()
            port = int(f[1].rsplit(":", 1)[1], 16)
            out[port] = out.get(port, 0) + int(f[-1])
    return out


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def flood(sip, seconds, rate):
    """The flooding host (run in its namespace as a process of its own):
    OPTIONS and INVITEs to 10.77.0.1, each a new transaction, for seconds
    (rate datagrams per second, 0: as fast as this process can); prints
    how many it sent."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((FLOOD_HOST, 0))
    port = s.getsockname()[1]
    i = 0
    t0 = time.time()
    while i < 20000000:
        if i % 100 == 0:
            el = time.time() - t0
            if el >= seconds:
                break
            ahead = i / float(rate) - el if rate else 0
            if ahead > 0:
                time.sleep(ahead)
        meth = "INVITE" if i % 2 else "OPTIONS"
        msg = ("%s sip:100@%s:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKf%d\r\n"
               "From: <sip:flood@%s>;tag=%d\r\n"
               "To: <sip:100@%s>\r\nCall-ID: f%d@flood\r\n"
               "CSeq: 1 %s\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n" %
               (meth, SWITCH_HOST, sip, FLOOD_HOST, port, i, FLOOD_HOST, i,
                SWITCH_HOST, i, meth))
        try:
            s.sendto(msg.encode(), (SWITCH_HOST, sip))
        except OSError:
            pass
        i += 1
    print(i)


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


def pin(pid, cpu):
    """The process on one CPU (-1: left to the scheduler)."""
    if cpu >= 0:
        try:
            os.sched_setaffinity(pid, {cpu})
        except OSError:
            pass


def callers(sip, port, rate, calls, log, cpu):
    p = h.sipp(["-sf", os.path.join(TESTS, "caller.xml"), "-s", "100",
                   "127.0.0.1:%d" % sip, "-p", str(port), "-m", str(calls),
                   "-r", str(rate), "-l", "5000", "-d", "200",
                   "-timeout", "%ds" % (calls // rate + 30),
                   "-max_socket", "100"], log=log, wait=False)
    pin(p.pid, cpu)
    return p


def inside(a, flood_ns):
    """The soak, run on the switch's host (its namespace)."""
    SIP, HTTP, CALLER = h.free_ports(3)
    sc = os.path.join(tempfile.mkdtemp(prefix="bh_soak_"), "soak.yaml")
    # The legitimate callers' new requests must pass the source limit.
    open(sc, "w").write(SCENARIO % (max(1000, 4 * a.rate)))
    calls = a.rate * a.seconds
    listen = "0.0.0.0:%d" % SIP

    def switch(cdr=None):
        sw = h.Switch(a.busyhour, sc, SIP, HTTP, cdr=cdr, listen=listen)
        pin(sw.proc.pid, a.cpu_switch)
        sw.wait_ready()
        return sw

    # ---- phase 1: the flood, wrong passwords, a held lock ----
    sw = switch()
    cdr = sw.cdr
    rss0 = rss_kb(sw.proc.pid)
    log1 = os.path.join(sw.tmp, "callers1.log")
    drops0 = h.udp_rcvbuf_errors()
    sock0 = socket_drops()
    fl = subprocess.Popen(["ip", "netns", "exec", flood_ns, sys.executable,
                           os.path.abspath(__file__), a.busyhour,
                           "--flood", str(SIP), "--seconds",
                           str(a.seconds), "--flood-rate",
                           str(a.flood_rate)], stdout=subprocess.PIPE)
    h._children.append(fl)
    pin(fl.pid, a.cpu_flood)
    p = callers(SIP, CALLER, a.rate, calls, log1, a.cpu_load)
    guesser(SIP, 50)
    time.sleep(a.seconds / 3.0)
    drops_early = h.udp_rcvbuf_errors() - drops0
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, cdr, "2"])
    h._children.append(locker)
    _, err1 = p.communicate()
    locker.wait()
    flood_sent = int(fl.communicate()[0].decode().split()[-1])
    drops = h.udp_rcvbuf_errors() - drops0
    sock1 = socket_drops()
    # Every other socket has no filter: its drops are a full buffer.
    others = sum(v - sock0.get(p, 0) for p, v in sock1.items() if p != SIP)
    time.sleep(1)
    rss1 = rss_kb(sw.proc.pid)
    flood_dropped = sw.metric("bh_switch_limit_dropped_total") or 0
    flood_blocks = sw.metric("bh_switch_limit_blocks_total") or 0
    filter_builds = sw.metric("bh_switch_limit_filter_builds_total") or 0
    flood_in = sum(int(x) for x in re.findall(
        r'^bh_switch_sip_stateless_total (\d+)$', sw.metrics(), re.M))
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
    sw = switch(cdr)
    log2 = os.path.join(sw.tmp, "callers2.log")
    written0 = sw.metric("bh_switch_cdr_rows_written_total") or 0
    p = callers(SIP, CALLER, a.rate, calls, log2, a.cpu_load)
    for _ in range(400):
        time.sleep(0.05)
        if (sw.metric("bh_switch_cdr_rows_written_total") or 0) - \
                written0 > 500:
            break
    up = sw.status()["calls_active"]
    sw.kill9()
    sw = switch(cdr)
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
    print("flood_sent=%d flood_dropped_process=%d flood_blocks=%d "
          "filter_builds=%d stateless_answers=%d" %
          (flood_sent, flood_dropped, flood_blocks, filter_builds, flood_in))
    print("kernel_rcvbuf_drops=%d (%d of them in the first %.0f s; the "
          "switch's socket %d, the callers' and others' %d)" %
          (drops, drops_early, a.seconds / 3.0, drops - others, others))
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("busyhour")
    ap.add_argument("--rate", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--flood-rate", type=int, default=0,
                    help="datagrams per second of the flood (0: as fast "
                    "as Python sends)")
    ap.add_argument("--cpu-switch", type=int, default=0,
                    help="CPU the switch is pinned to (-1: none)")
    ap.add_argument("--cpu-load", type=int, default=1,
                    help="CPU of SIPp (-1: none)")
    ap.add_argument("--cpu-flood", type=int, default=-1,
                    help="CPU of the flooder (-1: none)")
    ap.add_argument("--flood", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--inside", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.flood:
        flood(a.flood, a.seconds, a.flood_rate)
        return
    if a.inside:
        inside(a, a.inside)
        return
    ns_switch, ns_flood = h.netns_pair("soak")
    try:
        rc = subprocess.run(["ip", "netns", "exec", ns_switch,
                             sys.executable] + sys.argv +
                            ["--inside", ns_flood]).returncode
    finally:
        h.netns_del(ns_switch, ns_flood)
    sys.exit(rc)


if __name__ == "__main__":
    main()
