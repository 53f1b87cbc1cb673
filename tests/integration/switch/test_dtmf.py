"""test_dtmf.py: the voice menu hears an RFC 4733 digit. A caller offering
telephone-event hears the menu prompt (RTP), presses 1 as RTP events, and
reaches the operator long before the 20 s menu_time."""
import os
import re
import signal
import socket
import struct
import sys

import harness as h

busyhour = sys.argv[1]
SIP, OP, C_SIG, C_RTP = h.free_ports(4)
sw = h.Switch(busyhour, h.scenario("dtmf.yaml", {26771: OP}), SIP)
op_log = os.path.join(sw.tmp, "op.log")
op = h.sipp(["-sf", os.path.join(h.HERE, "operator.xml"), "-p", str(OP),
             "-i", "127.0.0.1"], log=op_log, wait=False)
sw.wait_ready()
sig = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sig.bind(("127.0.0.1", C_SIG))
sig.settimeout(30)
crtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
crtp.bind(("127.0.0.1", C_RTP))
crtp.settimeout(30)
body = h.sdp(C_RTP, 0, "PCMU", te=True)
sig.sendto(("INVITE sip:800@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKdtmf1;rport\r\n"
            "From: <sip:caller@127.0.0.1>;tag=d1\r\n"
            "To: <sip:800@127.0.0.1>\r\nCall-ID: dtmf1@test\r\n"
            "CSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:%d>\r\n"
            "Max-Forwards: 70\r\nContent-Type: application/sdp\r\n"
            "Content-Length: %d\r\n\r\n%s" %
            (SIP, C_SIG, C_SIG, len(body), body)).encode(),
           ("127.0.0.1", SIP))
ok = sig.recv(65535).decode()
h.check(ok.startswith("SIP/2.0 200") and "telephone-event" in ok,
        "answered, telephone-event agreed")
port = h.media_port(ok)
tag = re.search(r"tag=([^;\r\n>]+)", h.header(ok, "To")).group(1)


def in_dialog(method, cseq):
    return ("%s sip:800@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d;rport\r\n"
            "From: <sip:caller@127.0.0.1>;tag=d1\r\n"
            "To: <sip:800@127.0.0.1>;tag=%s\r\nCall-ID: dtmf1@test\r\n"
            "CSeq: %d %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" %
            (method, SIP, C_SIG, method, cseq, tag, cseq, method)).encode()


sig.sendto(in_dialog("ACK", 1), ("127.0.0.1", SIP))
prompt = 0
for _ in range(10):
    pkt = crtp.recv(2048)
    prompt += pkt[1] & 0x7F == 0
h.check(prompt == 10, "the menu prompt plays (PCMU RTP)")
# Digit 1: RFC 4733 2.3 payload (event, E|R|volume, duration), all with
# the event's start timestamp; the end packet three times (2.5.1.4).
ts = 8000
for i, (end, dur) in enumerate([(0, 160), (0, 320), (0, 480), (1, 640),
                                (1, 640), (1, 640)]):
    payload = struct.pack("!BBH", 1, (0x80 if end else 0) | 10, dur)
    hdr = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | 101,
                      100 + i, ts, 0x4444)
    crtp.sendto(hdr + payload, ("127.0.0.1", port))
msg = ""
for _ in range(200):
    msg = sig.recv(65535).decode(errors="replace")
    if msg.startswith("UPDATE"):
        sig.sendto(h.reply(msg, 200, "OK").encode(), ("127.0.0.1", SIP))
        break
h.check(msg.startswith("UPDATE"), "the digit routed the call to the operator")
sig.sendto(in_dialog("BYE", 2), ("127.0.0.1", SIP))
for _ in range(10):
    msg = sig.recv(65535).decode(errors="replace")
    if "CSeq: 2 BYE" in msg:
        break
sw.stop()
os.kill(op.pid, signal.SIGTERM)
op.wait()
rows = sw.rows()
r = rows[0]
h.check(len(rows) == 1 and r["outcome"] == "answered" and
        r["connect"] - r["answer"] < 10,
        "CDR: answered, %.2f s from answer to operator (menu_time 20 s)" %
        (r["connect"] - r["answer"]))
print("PASS")
