"""test_media.py: media anchoring. A caller offering only PCMA waits in the
queue hearing music on hold (RTP from the switch); the operator (a small
UAS in this test) answers with PCMU after a second; the switch then relays
RTP both ways through its own ports, transcoding A-law <-> u-law."""
import math
import os
import random
import re
import socket
import struct
import sys
import threading
import warnings

import harness as h

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

busyhour = sys.argv[1]
SIP, HTTP, OP, OP_RTP, C_SIG, C_RTP = h.free_ports(6)


sdp, media_port, header, reply = h.sdp, h.media_port, h.header, h.reply


class Operator(threading.Thread):
    """Answers the switch's INVITE with PCMU after 180 and a pause, then
    answers BYE."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", OP))
        self.sock.settimeout(0.2)
        self.switch_rtp = None
        self.stop = False
        self.got_bye = False
        self.answered = threading.Event()

    def run(self):
        while not self.stop:
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            msg = data.decode(errors="replace")
            if msg.startswith("INVITE"):
                self.switch_rtp = media_port(msg)
                self.sock.sendto(reply(msg, 180, "Ringing", "op1").encode(),
                                 src)
                self.answered.wait(1.0)  # let the caller hear the music
                self.sock.sendto(reply(msg, 200, "OK", "op1",
                                       sdp(OP_RTP, 0, "PCMU"),
                                       "Contact: <sip:op@127.0.0.1:%d>\r\n"
                                       % OP).encode(), src)
                self.answered.set()
            elif msg.startswith("BYE"):
                self.got_bye = True
                self.sock.sendto(reply(msg, 200, "OK").encode(), src)


def rtp(pt, seq, payload):
    return struct.pack("!BBHII", 0x80, pt, seq, seq * 160, 0x1234) + payload


op = Operator()
op.start()
sw = h.Switch(busyhour, h.scenario("media.yaml", {26671: OP}), SIP, HTTP)
sw.wait_ready()
sig = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sig.bind(("127.0.0.1", C_SIG))
sig.settimeout(30)
crtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
crtp.bind(("127.0.0.1", C_RTP))
crtp.settimeout(30)
ortp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ortp.bind(("127.0.0.1", OP_RTP))
ortp.settimeout(30)

body = sdp(C_RTP, 8, "PCMA")
invite = ("INVITE sip:700@127.0.0.1:%d SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKmedia1;rport\r\n"
          "From: <sip:caller@127.0.0.1>;tag=c1\r\nTo: <sip:700@127.0.0.1>\r\n"
          "Call-ID: media1@test\r\nCSeq: 1 INVITE\r\n"
          "Contact: <sip:caller@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
          "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s" %
          (SIP, C_SIG, C_SIG, len(body), body))
sig.sendto(invite.encode(), ("127.0.0.1", SIP))
ok = sig.recv(65535).decode()
h.check(ok.startswith("SIP/2.0 200") and "RTP/AVP 8" in ok,
        "the caller is answered at once, with PCMA only")
caller_side = media_port(ok)
tag = re.search(r"tag=([^;\r\n>]+)", header(ok, "To")).group(1)


def in_dialog(method, cseq):
    return ("%s sip:700@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d;rport\r\n"
            "From: <sip:caller@127.0.0.1>;tag=c1\r\n"
            "To: <sip:700@127.0.0.1>;tag=%s\r\nCall-ID: media1@test\r\n"
            "CSeq: %d %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" %
            (method, SIP, C_SIG, method, cseq, tag, cseq, method)).encode()


sig.sendto(in_dialog("ACK", 1), ("127.0.0.1", SIP))
# Music on hold while the operator rings.
moh = 0
for _ in range(20):
    pkt = crtp.recv(2048)
    if pkt[1] & 0x7F == 8 and len(pkt) == 12 + 160:
        moh += 1
h.check(moh == 20, "music on hold: 20 ms PCMA frames to the waiting caller")
# The UPDATE says the operator answered.
for _ in range(10):
    msg = sig.recv(65535).decode(errors="replace")
    if msg.startswith("UPDATE"):
        sig.sendto(reply(msg, 200, "OK").encode(), ("127.0.0.1", SIP))
        break
h.check(msg.startswith("UPDATE") and "operator 0" in msg,
        "the caller is told the operator answered (UPDATE)")
# Drain music still in flight, then speak.
crtp.settimeout(0.2)
try:
    while True:
        crtp.recv(2048)
except socket.timeout:
    pass
crtp.settimeout(30)
lin = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 *
                                                     i / 8000)))
               for i in range(160))
alaw, ulaw = audioop.lin2alaw(lin, 2), audioop.lin2ulaw(lin, 2)


def close(a, b):
    return all(abs(x - y) <= max(64, abs(x) // 16) for x, y in
               zip(struct.unpack("<160h", a), struct.unpack("<160h", b)))


crtp.sendto(rtp(8, 1, alaw), ("127.0.0.1", caller_side))
pkt = ortp.recv(2048)
h.check(pkt[1] & 0x7F == 0 and close(audioop.ulaw2lin(pkt[12:], 2), lin),
        "caller -> operator: A-law relayed as u-law, same sound")
ortp.sendto(rtp(0, 1, ulaw), ("127.0.0.1", op.switch_rtp))
pkt = crtp.recv(2048)
h.check(pkt[1] & 0x7F == 8 and close(audioop.alaw2lin(pkt[12:], 2), lin),
        "operator -> caller: u-law relayed as A-law, same sound")
sig.sendto(in_dialog("BYE", 2), ("127.0.0.1", SIP))
for _ in range(10):
    msg = sig.recv(65535).decode(errors="replace")
    if "CSeq: 2 BYE" in msg:
        break
h.check(msg.startswith("SIP/2.0 200"), "the caller's BYE: 200")
m = sw.metrics()
sw.stop()
op.stop = True
op.join()
h.check(op.got_bye, "the switch hung up the operator with BYE")
rtp_in = int(re.search(r'rtp_packets_total\{dir="in"\} (\d+)', m).group(1))
h.check(rtp_in >= 2, "/metrics counts RTP in (%d)" % rtp_in)
rows = sw.rows()
h.check(len(rows) == 1 and rows[0]["outcome"] == "answered" and
        rows[0]["operator"] == 0 and 0.8 <= rows[0]["wait"] <= 3.0,
        "CDR: answered by operator 0 after %.2f s" % rows[0]["wait"])
print("PASS")
