"""test_overflow.py: queue limits end to end. With an operator who never
answers, two callers wait; a third finds the queue full (max_length) and
hears 486 (blocked); after max_wait the two waiting callers get BYE from
the switch (overflow) and the ringing operator is cancelled."""
import os
import re
import signal
import socket
import sys

import harness as h

busyhour = sys.argv[1]
SIP, LATE, C1, C2, C3 = h.free_ports(5)
sw = h.Switch(busyhour, h.scenario("overflow.yaml", {26871: LATE}), SIP)
late_log = os.path.join(sw.tmp, "late.log")
late = h.sipp(["-sf", os.path.join(h.HERE, "noanswer.xml"), "-p", str(LATE),
               "-i", "127.0.0.1"], log=late_log, wait=False)
sw.wait_ready()


def caller(port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(30)
    body = h.sdp(port + 1000, 0, "PCMU")
    s.sendto(("INVITE sip:900@127.0.0.1:%d SIP/2.0\r\n"
              "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKof%d;rport\r\n"
              "From: <sip:c%d@127.0.0.1>;tag=t%d\r\n"
              "To: <sip:900@127.0.0.1>\r\nCall-ID: of%d@test\r\n"
              "CSeq: 1 INVITE\r\nContact: <sip:c%d@127.0.0.1:%d>\r\n"
              "Max-Forwards: 70\r\nContent-Type: application/sdp\r\n"
              "Content-Length: %d\r\n\r\n%s" %
              (SIP, port, n, n, n, n, n, port, len(body), body)).encode(),
             ("127.0.0.1", SIP))
    r = s.recv(65535).decode(errors="replace")
    return s, r


def ack(s, r, n):
    tag = re.search(r"tag=([^;\r\n>]+)", h.header(r, "To")).group(1)
    s.sendto(("ACK sip:900@127.0.0.1:%d SIP/2.0\r\n"
              "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKack%d;rport\r\n"
              "From: <sip:c%d@127.0.0.1>;tag=t%d\r\n"
              "To: <sip:900@127.0.0.1>;tag=%s\r\nCall-ID: of%d@test\r\n"
              "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
              % (SIP, s.getsockname()[1], n, n, n, tag, n)).encode(),
             ("127.0.0.1", SIP))


s1, r1 = caller(C1, 1)
ack(s1, r1, 1)
s2, r2 = caller(C2, 2)
ack(s2, r2, 2)
h.check(r1.startswith("SIP/2.0 200") and r2.startswith("SIP/2.0 200"),
        "two callers answered into the queue")
s3, r3 = caller(C3, 3)
h.check(r3.startswith("SIP/2.0 486"), "the third finds the queue full: 486")
for s, n in ((s1, 1), (s2, 2)):
    msg = ""
    for _ in range(20):
        msg = s.recv(65535).decode(errors="replace")
        if msg.startswith("BYE"):
            s.sendto(h.reply(msg, 200, "OK").encode(), ("127.0.0.1", SIP))
            break
    h.check(msg.startswith("BYE") and "cause=17" in msg,
            "caller %d: BYE after max_wait (Reason: busy)" % n)
sw.stop()
os.kill(late.pid, signal.SIGTERM)
late.wait()
rows = {r["call_id"]: r for r in sw.rows()}
h.check(rows["of3@test"]["outcome"] == "blocked" and
        rows["of3@test"]["status"] == 486, "CDR: caller 3 blocked")
for n in (1, 2):
    r = rows["of%d@test" % n]
    h.check(r["outcome"] == "overflow" and r["operator"] == -1 and
            0.9 <= r["wait"] <= 3.0,
            "CDR: caller %d overflow after %.2f s" % (n, r["wait"]))
ev = h.log_events(late_log)
h.check(sum(1 for e, _, _ in ev if e == "cancel") >= 1,
        "the operator ringing for a caller who overflowed was cancelled")
print("PASS")
