"""test_register.py: REGISTER with digest authentication for the
scenario's accounts: a challenge offering SHA-256 (RFC 8760) and MD5
(RFC 2617), both answered correctly get 200 with the binding, a wrong
password or an unknown user get 403. The registered operator (its Contact
is a SIPp UAS) then takes a caller from the queue."""
import os
import random
import re
import signal
import socket
import sys

import harness as h

busyhour = sys.argv[1]
SIP, OP, CALLER = h.free_ports(3)
sw = h.Switch(busyhour, os.path.join(h.HERE, "register.yaml"), SIP)
op_log = os.path.join(sw.tmp, "op.log")
op = h.sipp(["-sf", os.path.join(h.HERE, "operator.xml"), "-p", str(OP),
             "-i", "127.0.0.1"], log=op_log, wait=False)
sw.wait_ready()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(30)
me = s.getsockname()[1]
uri = "sip:127.0.0.1:%d" % SIP


def register(user, auth=None, cseq=1, call_id="reg1"):
    msg = ("REGISTER %s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\r\n"
           "From: <sip:%s@127.0.0.1>;tag=f%x\r\n"
           "To: <sip:%s@127.0.0.1>\r\n"
           "Call-ID: %s@test\r\n"
           "CSeq: %d REGISTER\r\n"
           "Contact: <sip:%s@127.0.0.1:%d>\r\n"
           "Expires: 600\r\n"
           "Max-Forwards: 70\r\n" %
           (uri, me, random.getrandbits(48), user, cseq, user, call_id,
            cseq, user, OP))
    if auth:
        msg += "Authorization: %s\r\n" % auth
    msg += "Content-Length: 0\r\n\r\n"
    s.sendto(msg.encode(), ("127.0.0.1", SIP))
    for _ in range(10):
        data = s.recv(65535).decode()
        if ("Call-ID: %s@test" % call_id) in data and \
                ("CSeq: %d REGISTER" % cseq) in data:
            return data
    h.fail("no answer to REGISTER")


def challenges(resp):
    return h.challenges(resp)


def credentials(ch, user, password, alg, nc=1):
    """Both challenges carry one nonce: each use takes the next nonce count
    (a count seen before is a replay, refused)."""
    return h.credentials(ch, user, password, alg, uri, nc="%08x" % nc)


r = register("op1", call_id="a")
h.check(r.startswith("SIP/2.0 401"), "REGISTER without credentials: 401")
ch = challenges(r)
h.check(len(ch) == 2 and "SHA-256" in ch[0] and "MD5" in ch[1],
        "challenged with SHA-256 first, then MD5 (RFC 8760 2.4)")
h.check(";received=127.0.0.1" in r and (";rport=%d" % me) in r,
        "the answer carries received and rport (RFC 3581)")
for i, (c, alg) in enumerate(zip(ch, ("SHA-256", "MD5"))):
    r = register("op1", credentials(c, "op1", "secret", alg, 1 + i),
                 cseq=2 + i,
                 call_id="a")
    h.check(r.startswith("SIP/2.0 200"), "%s credentials: 200" % alg)
    h.check(("<sip:op1@127.0.0.1:%d>;expires=600" % OP) in r,
            "%s: the binding is confirmed with its expiry" % alg)
r = register("op1", credentials(ch[1], "op1", "wrong", "MD5"), cseq=9,
             call_id="a")
h.check(r.startswith("SIP/2.0 403"), "wrong password: 403")
r = register("nobody", credentials(ch[1], "nobody", "x", "MD5"), cseq=1,
             call_id="b")
h.check(r.startswith("SIP/2.0 403"), "unknown account: 403")
r = register("op1", 'Digest username="op1", realm="busyhour", '
             'nonce="0123:forged", uri="%s", response="00", '
             'algorithm=MD5' % uri, cseq=1, call_id="c")
h.check(r.startswith("SIP/2.0 401"), "a forged nonce: a new challenge")
log = os.path.join(sw.tmp, "caller.log")
rc, _, err = h.sipp(["-sf", os.path.join(h.HERE, "queue_caller.xml"), "-s",
                     "600", "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-m", "1",
                     "-d", "300"], log=log)
h.check(rc == 0, "a caller reached the registered operator")
sw.stop()
os.kill(op.pid, signal.SIGTERM)
op.wait()
h.check(sum(1 for e, _, _ in h.log_events(op_log) if e == "ring") == 1,
        "the operator's registered contact rang")
rows = sw.rows()
h.check(len(rows) == 1 and rows[0]["outcome"] == "answered" and
        rows[0]["operator"] == 0, "CDR: answered by operator 0 (op1)")
print("PASS")
