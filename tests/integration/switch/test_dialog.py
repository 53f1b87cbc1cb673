"""test_dialog.py: issue 14, item 8: a dialog is its Call-ID and both
tags (RFC 3261 12.2.2). A BYE from another socket with the call's
Call-ID and our To tag but a forged From tag gets 481 and the call stays
up; the caller's own BYE then gets 200. (On the old switch the forged
BYE got 200 and ended the call.)"""
import os
import random
import socket
import sys

import harness as h
import sipua

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, os.path.join(h.HERE, "guard.yaml"), SIP, HTTP)
sw.wait_ready()

ua = sipua.UA(SIP, "alice")
c = ua.invite()
ua.ack(c)
h.check(c.resp.startswith("SIP/2.0 200"), "a call is up")

evil = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
evil.bind(("127.0.0.1", 0))
evil.settimeout(5)
me = evil.getsockname()[1]


def forged_bye(from_tag, cseq):
    msg = ("BYE sip:100@127.0.0.1:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\r\n"
           "From: <sip:alice@127.0.0.1>%s\r\n"
           "To: <sip:100@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\nCSeq: %d BYE\r\nMax-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n" %
           (SIP, me, random.getrandbits(48), from_tag, c.to_tag, c.call_id,
            cseq))
    evil.sendto(msg.encode(), ("127.0.0.1", SIP))
    return evil.recv(65535).decode(errors="replace")


r = forged_bye(";tag=forged%x" % random.getrandbits(32), 50)
h.check(r.startswith("SIP/2.0 481"), "a BYE with a forged From tag: 481 (%s)"
        % r.split("\r\n")[0])
r = forged_bye("", 51)
h.check(r.startswith("SIP/2.0 481"), "a BYE without a From tag: 481")
h.check(sw.status()["numbers"][0]["lines_busy"] == 1,
        "the call is still up")
ua.request(c, "BYE")
ua.until(lambda: c.last is not None, 10, "the answer to the caller's BYE")
h.check(c.last.startswith("SIP/2.0 200"), "the caller's own BYE: 200")
sw.stop()
rows = sw.rows()
h.check(len(rows) == 1 and rows[0]["reason"] == "bye",
        "one CDR row, ended by the caller's BYE")
print("PASS")
