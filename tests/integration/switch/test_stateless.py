"""test_stateless.py: issue 14's smaller faults in the switch's answers.

1. Final answers to OPTIONS and REGISTER carry a To tag (RFC 3261
   8.2.6.2), the same one when the request is retransmitted.
2. The stateless 400 to an unparsable request: a To tag, rport filled
   with the source port (RFC 3581 4), sent to the Via's port when the
   request has no rport (RFC 3261 18.2.2), not to the source port.
3. A Via holding a NUL byte is written back byte for byte (the client
   matches the answer by that branch), not dropped.
4. Over 8 KB (513): a request whose Via is 11 KB of parameters gets 513
   (before: silence), and one with a 12 KB header after a short Via gets
   513 with Via, From, To, Call-ID and CSeq whole (before: the answer
   copied what fitted in 8,192 bytes).
Only 127.0.0.1 is named: no netns needed."""
import os
import re
import socket
import sys

import harness as h

busyhour = sys.argv[1]
SIP, = h.free_ports(1)
sw = h.Switch(busyhour, os.path.join(h.HERE, "register.yaml"), SIP)
sw.wait_ready()

src = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
src.bind(("127.0.0.1", 0))
src.settimeout(2)
via = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
via.bind(("127.0.0.1", 0))
via.settimeout(2)
VP = via.getsockname()[1]


def request(method=b"OPTIONS", rport=True, cseq=None, branch=b"z9hG4bKs1",
            via_extra=b"", extra=b""):
    return (b"%s sip:100@127.0.0.1:%d SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s%s%s\r\n"
            b"From: <sip:op1@127.0.0.1>;tag=f1\r\n"
            b"To: <sip:op1@127.0.0.1>\r\nCall-ID: st-%s@t\r\n"
            b"CSeq: %s\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n" %
            (method, SIP, VP, branch, b";rport" if rport else b"", via_extra,
             branch, cseq or (b"1 " + method), extra))


def ask(data, sock=src):
    """Sends from src; returns (answer, the socket it came to) or None."""
    src.sendto(data, ("127.0.0.1", SIP))
    first = sock
    other = via if sock is src else src
    for s in (first, other):
        try:
            return s.recv(70000), s
        except socket.timeout:
            pass
    return None, None


def to_tag(r):
    m = re.search(rb"\r\nTo: [^\r\n]*;tag=([^;\r\n>]+)", r)
    return m.group(1) if m else None


# 1. To tags
r1, _ = ask(request(b"OPTIONS"))
r2, _ = ask(request(b"OPTIONS"))
h.check(r1 is not None and r1.startswith(b"SIP/2.0 200") and to_tag(r1) and
        to_tag(r1) == to_tag(r2),
        "OPTIONS: 200 with a To tag, the same on a retransmission (%s)" %
        (to_tag(r1),))
r, _ = ask(request(b"REGISTER", branch=b"z9hG4bKreg",
                   extra=b"Contact: <sip:op1@127.0.0.1:%d>\r\n" % VP))
h.check(r is not None and r.startswith(b"SIP/2.0 401") and to_tag(r),
        "REGISTER: 401 with a To tag (%s)" % (to_tag(r) if r else None,))

# 2. the stateless 400
r, s = ask(request(cseq=b"x", branch=b"z9hG4bKbad1"))
h.check(r is not None and r.startswith(b"SIP/2.0 400") and s is src,
        "unparsable (CSeq x) with rport: 400 to the source port")
h.check(to_tag(r) is not None, "its 400 has a To tag")
h.check((b";rport=%d" % src.getsockname()[1]) in r and
        b";received=127.0.0.1" in r,
        "its Via has rport=<source port> and received")
r, s = ask(request(cseq=b"x", rport=False, branch=b"z9hG4bKbad2"), via)
h.check(r is not None and r.startswith(b"SIP/2.0 400") and s is via,
        "without rport: the 400 goes to the Via's port %d, not the source "
        "port" % VP)

# 3. a NUL in the Via
r, _ = ask(request(cseq=b"x", branch=b"z9hG4bKn\x00ul"))
h.check(r is not None and b"\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch="
        b"z9hG4bKn\x00ul;rport=" % VP in r,
        "a Via with a NUL byte is written back byte for byte")

# 4. oversize
params = b"".join(b";p%d=v" % i for i in range(1600))
big = request(branch=b"z9hG4bKbigvia", via_extra=params)
h.check(len(big) > 11000, "an %d-byte request, its Via full of parameters"
        % len(big))
r, _ = ask(big)
h.check(r is not None and r.startswith(b"SIP/2.0 513") and params in r and
        b"\r\nCall-ID: st-z9hG4bKbigvia@t" in r and b"\r\nCSeq: 1 OPTIONS" in r,
        "its answer: 513 with the whole Via, Call-ID and CSeq")
pad = request(branch=b"z9hG4bKbigpad", extra=b"X-Pad: " + b"x" * 12000 +
              b"\r\n")
r, _ = ask(pad)
h.check(r is not None and r.startswith(b"SIP/2.0 513") and
        b"\r\nCall-ID: st-z9hG4bKbigpad@t" in r and
        b"\r\nCSeq: 1 OPTIONS" in r and to_tag(r) is not None,
        "a 12 KB request with a short Via: 513 with Call-ID, CSeq, To tag")
st = h.options("127.0.0.1", SIP, timeout=2)
h.check(st is not None and " 200 " in st, "the switch still answers OPTIONS")
sw.stop()
print("PASS")
