"""test_filter.py: issue 14, a flood from another host never fills the
switch's socket buffer: once the pike blocks a source, the switch's
socket filter (classic BPF, filter.c) has the kernel drop that source's
new requests, so they never reach the process; the BYE of its call up
still does.

Two network namespaces joined by a veth pair: the switch's host
(10.77.0.1, listening on [::]:PORT, so IPv4 arrives as mapped addresses
and ::1 as IPv6) and another host (10.77.0.2). With source_rate 1000
and source_block 3s (filter.yaml): the other host sets up a call, sends
3,000 OPTIONS and is blocked; then 20,000 more OPTIONS and INVITEs from
it do not move the process's count of dropped requests (before: each was
read, looked up and dropped by the process, and a fast flood filled the
receive buffer so that other hosts' datagrams were lost); its BYE gets
200; once the block ends the filter is taken off and its OPTIONS are
answered again. The same for a flood from ::1 (the IPv6 program)."""
import os
import random
import socket
import subprocess
import sys
import time

import harness as h
import sipua


def flood(sock, dest, n, method="OPTIONS"):
    """n requests from sock, each a new transaction."""
    me = sock.getsockname()
    host = me[0] if sock.family == socket.AF_INET else "[%s]" % me[0]
    base = random.getrandbits(32)
    for i in range(n):
        meth = method if method != "mix" else ("INVITE" if i % 2 else
                                               "OPTIONS")
        msg = ("%s sip:100@%s SIP/2.0\r\n"
               "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x.%d\r\n"
               "From: <sip:flood@%s>;tag=%d\r\nTo: <sip:100@%s>\r\n"
               "Call-ID: %x.%d@flood\r\nCSeq: 1 %s\r\n"
               "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n" %
               (meth, host, host, me[1], base, i, host, i, host, base, i,
                meth))
        try:
            sock.sendto(msg.encode(), dest)
        except OSError:
            pass


def answered(sock, dest, tries=20):
    """1 when an OPTIONS from sock gets an answer."""
    sock.settimeout(0.2)
    for _ in range(tries):
        while True:  # what an earlier probe left
            try:
                sock.recv(65535)
            except (socket.timeout, BlockingIOError):
                break
        flood(sock, dest, 1)
        try:
            if sock.recv(65535).startswith(b"SIP/2.0 200"):
                return 1
        except socket.timeout:
            pass
    return 0


def inside(busyhour, other):
    SIP, HTTP = h.free_ports(2)
    sw = h.Switch(busyhour, os.path.join(h.HERE, "filter.yaml"), SIP, HTTP,
                  listen="[::]:%d" % SIP)
    sw.wait_ready()
    here = ("127.0.0.1", SIP)

    def sync():
        """Everything sent before was read: an answer from 127.0.0.1."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        ok = answered(s, here, 50)
        s.close()
        if not ok:
            h.fail("the switch stopped answering 127.0.0.1")

    def filtered(want):
        for _ in range(100):
            if sw.metric("bh_switch_limit_sources_filtered") == want:
                return True
            time.sleep(0.1)
        return False

    ua = sipua.UA(SIP, "far", host="10.77.0.1", local="10.77.0.2",
                  netns=other)
    up = ua.invite()
    ua.ack(up)
    h.check(up.resp.startswith("SIP/2.0 200"),
            "a call from the other host (10.77.0.2) is up")

    fl = h.in_netns(other, lambda: socket.socket(socket.AF_INET,
                                                 socket.SOCK_DGRAM))
    fl.bind(("10.77.0.2", 0))
    far = ("10.77.0.1", SIP)
    flood(fl, far, 3000)
    h.check(filtered(1), "after 3,000 OPTIONS the other host is blocked and "
            "in the socket filter (1 source filtered)")
    sync()
    d0 = sw.metric("bh_switch_limit_dropped_total")
    drops0 = h.udp_rcvbuf_errors()
    flood(fl, far, 20000, "mix")
    sync()
    d1 = sw.metric("bh_switch_limit_dropped_total")
    h.check(d1 - d0 == 0,
            "20,000 more OPTIONS and INVITEs from it never reached the "
            "process (its dropped count moved by %d)" % (d1 - d0))
    h.check(h.udp_rcvbuf_errors() - drops0 == 0,
            "no datagram lost for a full receive buffer")
    ua.request(up, "BYE")
    ua.until(lambda: up.last is not None, 10, "the answer to the BYE")
    h.check(up.last.startswith("SIP/2.0 200"),
            "its BYE of the call up still gets through: 200")
    h.check(filtered(0), "the block ended after 3 s and the filter came off")
    h.check(answered(fl, far), "its OPTIONS are answered again")

    # IPv6: ::1 floods.
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.bind(("::1", 0))
    flood(s6, ("::1", SIP), 3000)
    h.check(filtered(1), "::1 blocked and filtered after 3,000 OPTIONS")
    sync()
    d0 = sw.metric("bh_switch_limit_dropped_total")
    flood(s6, ("::1", SIP), 10000)
    sync()
    d1 = sw.metric("bh_switch_limit_dropped_total")
    h.check(d1 - d0 == 0, "10,000 more from ::1 never reached the process "
            "(dropped count moved by %d)" % (d1 - d0))
    h.check(answered(fl, far), "10.77.0.2 (no longer blocked) is answered "
            "while ::1 is filtered")
    log = sw.stop()
    h.check("cannot attach" not in log, "the kernel took every filter")
    print("PASS")


if __name__ == "__main__":
    busyhour = sys.argv[1]
    if len(sys.argv) > 3 and sys.argv[2] == "--inside":
        inside(busyhour, sys.argv[3])
        sys.exit(0)
    a, b = h.netns_pair("flt")
    try:
        rc = subprocess.run(["ip", "netns", "exec", a, sys.executable,
                             os.path.abspath(__file__), busyhour,
                             "--inside", b]).returncode
    finally:
        h.netns_del(a, b)
    sys.exit(rc)
