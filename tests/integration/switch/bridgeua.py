"""bridgeua.py: callers of a conference bridge for the integration tests:
one SIP socket, one RTP socket per participant, audio paced at 20 ms
(tones, silence, in-band DTMF), RFC 4733 events and SIP INFO digits, the
received audio decoded (G.711) and measured by Goertzel. Every wait is a
bounded number of polls."""
import math
import random
import re
import select
import socket
import struct
import time

import harness as h

FRAME = 160


# ---- G.711 (ITU-T G.711, the classic bit manipulations) ----

def _ulaw_decode(u):
    u = ~u & 0xff
    t = ((u & 0x0f) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if (u & 0x80) else (t - 0x84)


def _alaw_decode(a):
    a ^= 0x55
    t = (a & 0x0f) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if (a & 0x80) else -t


ULAW = [_ulaw_decode(i) for i in range(256)]
ALAW = [_alaw_decode(i) for i in range(256)]


def ulaw_encode(x):
    """One sample to a mu-law code (bias 0x84, clip 32635)."""
    x = int(x)
    sign = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 0x84
    seg = max((x >> 7).bit_length() - 1, 0)
    mant = (x >> (seg + 3)) & 0x0f
    return ~(sign | (seg << 4) | mant) & 0xff


def alaw_encode(x):
    """One sample to an A-law code (G.711: 13-bit magnitude, segments)."""
    x = int(x)
    sign = 0x80 if x >= 0 else 0
    x = min(abs(x), 32767) >> 3
    if x < 32:
        code = x >> 1
    else:
        seg = x.bit_length() - 5
        code = (seg << 4) | ((x >> seg) & 0x0f)
    return (code | sign) ^ 0x55


def encode(pcm, pt=0):
    enc = ulaw_encode if pt == 0 else alaw_encode
    return bytes(enc(s) for s in pcm)


def goertzel(pcm, freq, rate=8000):
    """The amplitude of freq in pcm (a sine of amplitude A gives ~A)."""
    n = len(pcm)
    if n == 0:
        return 0.0
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in pcm:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / n


DTMF = {"1": (697, 1209), "2": (697, 1336), "3": (697, 1477),
        "4": (770, 1209), "5": (770, 1336), "6": (770, 1477),
        "7": (852, 1209), "8": (852, 1336), "9": (852, 1477),
        "*": (941, 1209), "0": (941, 1336), "#": (941, 1477)}
EVENT = {d: i for i, d in enumerate("0123456789*#")}


class Party:
    """One participant: its call, its RTP stream, what it sends and what
    it heard."""

    def __init__(self, ua, pt=0, te=True, user=None):
        self.ua = ua
        self.pt, self.te = pt, te
        self.user = user or "p%x" % random.getrandbits(24)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp_port = self.rtp.getsockname()[1]
        self.call_id = "%x@bridge-test" % random.getrandbits(64)
        self.tag = "%x" % random.getrandbits(32)
        self.to_tag = None
        self.cseq = 1
        self.status = None      # final status of the INVITE
        self.resp = None
        self.media = None       # the switch's RTP port
        self.requests = []      # requests the switch sent (BYE ...)
        self.last = None        # last response to a later request
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.ssrc = random.getrandbits(32)
        self.tone = None        # (freq, amplitude) sent every frame
        self.phase = 0
        self.queue = []         # samples to send before the tone (DTMF)
        self.events = []        # RFC 4733 packets to send, one a frame
        self.sending = False
        self.heard = []         # decoded samples, in arrival order
        self.heard_pkts = []    # (seq, ts, ssrc, pt, marker) received
        self.mangle = None      # function(list of packets) -> packets

    @property
    def byed(self):
        return any(r.startswith("BYE ") for r in self.requests)

    def frame(self):
        if self.queue:
            pcm, self.queue = self.queue[:FRAME], self.queue[FRAME:]
            pcm += [0] * (FRAME - len(pcm))
            return pcm
        if not self.tone:
            return [0] * FRAME
        f, a = self.tone
        out = [a * math.sin(2 * math.pi * f * (self.phase + i) / 8000)
               for i in range(FRAME)]
        self.phase += FRAME
        return out

    def next_packet(self):
        """The packet of this 20 ms: an RFC 4733 event when one is
        queued (RFC 4733 2.3: the audio stops meanwhile), else audio."""
        self.seq = (self.seq + 1) & 0xffff
        if self.events:
            ev, end, dur, first = self.events.pop(0)
            if first:
                self.ev_ts = self.ts
            hdr = struct.pack("!BBHII", 0x80, (0x80 if first else 0) | 101,
                              self.seq, self.ev_ts, self.ssrc)
            self.ts = (self.ts + FRAME) & 0xffffffff
            return hdr + struct.pack("!BBH", ev, (0x80 if end else 0) | 10,
                                     dur)
        pcm = self.frame()
        hdr = struct.pack("!BBHII", 0x80, self.pt, self.seq, self.ts,
                          self.ssrc)
        self.ts = (self.ts + FRAME) & 0xffffffff
        return hdr + encode(pcm, self.pt)

    def key_4733(self, digits):
        for d in digits:
            e = EVENT[d]
            seq = [(e, False, 160 * (k + 1), k == 0) for k in range(4)]
            seq += [(e, True, 800, False)] * 3
            self.events += seq

    def key_inband(self, digits):
        for d in digits:
            lo, hi = DTMF[d]
            self.queue += [6000 * (math.sin(2 * math.pi * lo * i / 8000) +
                                   math.sin(2 * math.pi * hi * i / 8000))
                           for i in range(800)]
            self.queue += [0] * 800

    def key_info(self, digits):
        for d in digits:
            body = "Signal=%s\r\nDuration=160\r\n" % d
            self.ua.request(self, "INFO",
                            "Content-Type: application/dtmf-relay\r\n", body)

    def receive(self):
        while True:
            try:
                data, _ = self.rtp.recvfrom(2048)
            except (BlockingIOError, socket.timeout):
                return
            if len(data) < 12:
                continue
            b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
            pt = b1 & 0x7f
            self.heard_pkts.append((seq, ts, ssrc, pt, b1 >> 7))
            table = ULAW if pt == 0 else ALAW if pt == 8 else None
            if table:
                self.heard += [table[c] for c in data[12:]]


class UA:
    def __init__(self, port, number="200"):
        self.sw = ("127.0.0.1", port)
        self.number = number
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.me = self.sock.getsockname()[1]
        self.parties = {}

    def _head(self, p, method, cseq):
        return ("%s sip:%s@127.0.0.1:%d SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\r\n"
                "From: <sip:%s@127.0.0.1>;tag=%s\r\n"
                "To: <sip:%s@127.0.0.1>%s\r\n"
                "Call-ID: %s\r\nCSeq: %d %s\r\n"
                "Contact: <sip:%s@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n" %
                (method, self.number, self.sw[1], self.me,
                 random.getrandbits(48), p.user, p.tag, self.number,
                 ";tag=" + p.to_tag if p.to_tag else "", p.call_id, cseq,
                 method, p.user, self.me))

    def _send(self, head, extra="", body="", ctype=None):
        if body and not ctype and "Content-Type" not in extra:
            extra += "Content-Type: application/sdp\r\n"
        msg = head + extra + "Content-Length: %d\r\n\r\n%s" % (len(body),
                                                              body)
        self.sock.sendto(msg.encode(), self.sw)

    def invite(self, p):
        self.parties[p.call_id] = p
        body = h.sdp(p.rtp_port, p.pt, "PCMU" if p.pt == 0 else "PCMA",
                     te=p.te)
        self._send(self._head(p, "INVITE", 1), "", body)

    def ack(self, p):
        self._send(self._head(p, "ACK", 1))

    def bye(self, p):
        p.sending = False
        self.request(p, "BYE")

    def request(self, p, method, extra="", body=""):
        p.cseq += 1
        p.last = None
        self._send(self._head(p, method, p.cseq), extra, body)

    def pump(self, timeout=0.0):
        """Reads SIP and RTP that came within timeout."""
        socks = [self.sock] + [p.rtp for p in self.parties.values()]
        r, _, _ = select.select(socks, [], [], timeout)
        for s in r:
            if s is self.sock:
                self._sip()
            else:
                s.setblocking(False)
                for p in self.parties.values():
                    if p.rtp is s:
                        p.receive()

    def _sip(self):
        self.sock.setblocking(False)
        while True:
            try:
                data, _ = self.sock.recvfrom(65535)
            except BlockingIOError:
                return
            msg = data.decode(errors="replace")
            p = self.parties.get(h.header(msg, "Call-ID"))
            if msg.startswith("SIP/2.0"):
                status = int(msg.split()[1])
                if not p:
                    continue
                if "INVITE" in h.header(msg, "CSeq"):
                    if status >= 200 and p.status is None:
                        p.status, p.resp = status, msg
                        m = re.search(r";tag=([^;>\s]+)",
                                      h.header(msg, "To"))
                        p.to_tag = m.group(1) if m else None
                        if status == 200:
                            p.media = h.media_port(msg)
                            self.ack(p)
                            p.sending = True
                    elif status >= 200:
                        self.ack(p) if status == 200 else None
                else:
                    p.last = msg
                continue
            if p:
                p.requests.append(msg)
                if msg.startswith("BYE"):
                    p.sending = False
            if not msg.startswith("ACK"):
                self.sock.sendto(h.reply(msg, 200, "OK").encode(), self.sw)

    def tick(self):
        """One 20 ms frame from every party that sends."""
        for p in list(self.parties.values()):
            if not p.sending or not p.media:
                continue
            pkt = p.next_packet()
            pkts = p.mangle([pkt]) if p.mangle else [pkt]
            for x in pkts:
                p.rtp.sendto(x, ("127.0.0.1", p.media))

    def run(self, seconds=None, until=None, limit=15.0, what="a condition"):
        """Real time at 20 ms for `seconds`, or until until() holds (at
        most `limit` s, then the test fails)."""
        t0 = time.monotonic()
        k = 0
        end = t0 + (seconds if seconds is not None else limit)
        while True:
            if until and until():
                return
            now = time.monotonic()
            if now >= end:
                break
            due = t0 + k * 0.020
            if now >= due:
                self.tick()
                k += 1
                self.pump(0)  # a late loop still reads what came
                continue
            self.pump(min(due - now, 0.02))
        if until and not until():
            h.fail("timed out waiting for " + what)
