"""test_sip.py: the switch's answers to plain SIP probes: OPTIONS, unknown
and unsupported methods (501, 405 with Allow), Max-Forwards 0 (483), BYE
and CANCEL matching nothing (481), an unknown number (404), an oversize
message (513), retransmissions absorbed, and /metrics counting them."""
import os
import random
import re
import socket
import sys

import harness as h

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, os.path.join(h.HERE, "lines.yaml"), SIP, HTTP)
sw.wait_ready()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(30)
me = s.getsockname()[1]


def request(method, ruri="sip:100@127.0.0.1", extra="", body="",
            to_tag="", mf=70, cseq_method=None, branch=None):
    branch = branch or "z9hG4bK%x" % random.getrandbits(48)
    cid = "%x@probe" % random.getrandbits(48)
    msg = ("%s %s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
           "From: <sip:probe@127.0.0.1>;tag=p1\r\n"
           "To: <%s>%s\r\n"
           "Call-ID: %s\r\n"
           "CSeq: 1 %s\r\n"
           "Max-Forwards: %d\r\n%s"
           "Content-Length: %d\r\n\r\n%s" %
           (method, ruri, me, branch, ruri,
            ";tag=" + to_tag if to_tag else "", cid,
            cseq_method or method, mf, extra, len(body), body))
    return msg.encode()


def ask(data):
    """Sends a request, returns the first answer with its Call-ID (INVITE
    answers are resent until ACKed and may still arrive later)."""
    cid = data.split(b"Call-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()
    s.sendto(data, ("127.0.0.1", SIP))
    for _ in range(20):
        r = s.recv(65535).decode(errors="replace")
        if ("Call-ID: %s\r\n" % cid) in r:
            return r
    h.fail("no answer with Call-ID " + cid)


def status(r):
    return int(r.split(" ", 2)[1])


r = ask(request("OPTIONS"))
h.check(status(r) == 200 and "Allow: INVITE" in r and
        "Accept: application/sdp" in r, "OPTIONS: 200 with Allow, Accept")
h.check(status(ask(request("FOO"))) == 501, "unknown method: 501")
r = ask(request("SUBSCRIBE", extra="Event: presence\r\n"))
h.check(status(r) == 405 and "Allow: " in r, "SUBSCRIBE: 405 with Allow")
h.check(status(ask(request("INVITE", mf=0))) == 483,
        "INVITE with Max-Forwards 0: 483 (RFC 3261 16.3)")
h.check(status(ask(request("BYE", to_tag="nosuch"))) == 481,
        "BYE in no dialog: 481")
h.check(status(ask(request("CANCEL"))) == 481,
        "CANCEL matching no transaction: 481")
h.check(status(ask(request("INVITE", ruri="sip:999@127.0.0.1"))) == 404,
        "INVITE to an unknown number: 404")
big = request("OPTIONS", extra="X-Padding: %s\r\n" % ("x" * 9000))
h.check(status(ask(big)) == 513, "a 9 kB message: 513 Message Too Large")
# The same request twice: one transaction, the answer sent again.
data = request("REGISTER", branch="z9hG4bKretransmitted")
a, b = ask(data), ask(data)
h.check(a == b, "a retransmitted REGISTER gets the same answer again")
# An OPTIONS keeps no transaction (issue 14 item 5): a retransmission is
# answered again, the same way, and is no absorbed retransmission.
data = request("OPTIONS", branch="z9hG4bKagain")
a, b = ask(data), ask(data)
h.check(a == b, "a retransmitted OPTIONS gets the same answer again")
m = sw.metrics()
h.check('bh_switch_sip_retransmissions_total{dir="in"} 1' in m,
        "/metrics counts the absorbed retransmission")
h.check('{status="513",dir="out"} 1' in m and
        "bh_switch_sip_oversize_total 1" in m,
        "/metrics counts the oversize message")
# A dialog through a proxy: the 2xx copies Record-Route, and the switch's
# own requests in the dialog carry the route set (RFC 3261 12.1.1,
# 12.2.1.1), sent to where the INVITE came from.
rr = "Record-Route: <sip:127.0.0.1:%d;lr>, <sip:192.0.2.9;lr;x=1>\r\n" % me
body = h.sdp(me + 1, 0, "PCMU")
inv = request("INVITE", extra=rr + "Content-Type: application/sdp\r\n",
              body=body)
r = ask(inv)
h.check(status(r) == 200 and "Record-Route: <sip:127.0.0.1:%d;lr>" % me
        in r, "200 to INVITE copies Record-Route")
tag = re.search(r"\r\nTo: [^\r\n]*;tag=([^;\r\n>]+)", r).group(1)
cid = re.search(r"\r\nCall-ID: ([^\r\n]+)", r).group(1)
s.sendto(("ACK sip:100@127.0.0.1 SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKrrack;rport\r\n"
          "From: <sip:probe@127.0.0.1>;tag=p1\r\n"
          "To: <sip:100@127.0.0.1>;tag=%s\r\nCall-ID: %s\r\n"
          "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
          % (me, tag, cid)).encode(), ("127.0.0.1", SIP))
sw.stop()
bye = ""
for _ in range(50):
    bye = s.recv(65535).decode(errors="replace")
    if bye.startswith("BYE"):
        break
h.check(bye.startswith("BYE") and
        ("Route: <sip:127.0.0.1:%d;lr>, <sip:192.0.2.9;lr;x=1>" % me) in bye,
        "the switch's BYE carries the route set, in order")
print("PASS")
