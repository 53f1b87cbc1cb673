"""pbxua.py: phones for the office PBX integration tests. An Endpoint is
one SIP socket and one RTP socket: it registers with digest, places calls
(answering a 401 with credentials), answers calls as its policy says
('answer', 'busy', 'ring': never answers, 'decline'), sends a tone paced
at 20 ms while in a call and keeps what it hears (G.711 decoded, measured
by Goertzel). A Net runs every endpoint on one loop. Every wait is a
bounded number of polls."""
import hashlib
import math
import os
import random
import re
import select
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "switch"))
import harness as h  # noqa: E402
import bridgeua as b  # noqa: E402

FRAME = 160


def _param(ch, name):
    m = re.search(r'%s="?([^",]*)"?' % name, ch)
    return m.group(1) if m else None


def digest(challenge, method, uri, user, password):
    """RFC 2617 / RFC 8760 credentials for the challenge (MD5 or
    SHA-256)."""
    alg = "SHA-256" if "SHA-256" in challenge else "MD5"
    H = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    realm, nonce = _param(challenge, "realm"), _param(challenge, "nonce")
    cnonce, nc = "%08x" % random.getrandbits(32), "00000001"
    ha1 = H(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()
    ha2 = H(("%s:%s" % (method, uri)).encode()).hexdigest()
    resp = H(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce,
                                       ha2)).encode()).hexdigest()
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=%s, cnonce="%s", qop=auth, nc=%s' %
            (user, realm, nonce, uri, resp, alg, cnonce, nc))


class Dialog:
    def __init__(self, ep, call_id, tag, peer_uri, outgoing):
        self.ep = ep
        self.call_id, self.tag = call_id, tag
        self.to_tag = None
        self.outgoing = outgoing
        self.peer_uri = peer_uri  # Request-URI of our requests
        self.cseq = 1
        self.status = None        # final status of the INVITE
        self.provisional = []     # 1xx statuses received
        self.resp = None
        self.invite = None        # incoming: the INVITE
        self.media = None         # the switch's RTP port
        self.up = False
        self.ended = False        # BYE sent or received, or refused
        self.byed = False         # the switch sent BYE
        self.cancelled = False    # the switch CANCELled our ringing
        self.requests = []        # requests the switch sent in it
        self.last = None          # last response to a later request
        self.branches = {}        # our INVITEs' branches, by CSeq


class Endpoint:
    def __init__(self, net, user, password=None, policy="answer", tone=None,
                 amp=6000):
        self.net, self.user, self.password = net, user, password
        self.policy = policy
        self.tone = (tone, amp) if tone else None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.setblocking(False)
        self.rtp_port = self.rtp.getsockname()[1]
        self.dialogs = {}
        self.invites = []         # INVITEs that reached us (all)
        self.reg_status = None
        self.seq, self.ts = random.getrandbits(16), random.getrandbits(32)
        self.ssrc = random.getrandbits(32)
        self.phase = 0
        self.events = []          # RFC 4733 packets to send, one a frame
        self.heard = []
        net.eps.append(self)

    # ---- sending ----
    def contact(self):
        return "sip:%s@127.0.0.1:%d" % (self.user, self.port)

    def _send(self, text):
        self.sock.sendto(text.encode(), self.net.sw)

    def _request(self, method, ruri, d, cseq, extra="", body="",
                 branch=None):
        if body and "Content-Type" not in extra:
            extra += "Content-Type: application/sdp\r\n"
        to = re.sub(r"^sip:([^@]*)@.*$", r"\1", ruri) if d.outgoing \
            else self.net.caller_of(d)
        frm_tag, to_tag = (d.tag, d.to_tag)
        branch = branch or "z9hG4bK%x" % random.getrandbits(48)
        if method == "INVITE":
            d.branches[cseq] = branch
        msg = ("%s %s SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
               "From: <sip:%s@127.0.0.1>;tag=%s\r\n"
               "To: <sip:%s@127.0.0.1>%s\r\n"
               "Call-ID: %s\r\nCSeq: %d %s\r\n"
               "Contact: <%s>\r\nMax-Forwards: 70\r\n%s"
               "Content-Length: %d\r\n\r\n%s" %
               (method, ruri, self.port, branch, self.user,
                frm_tag, to, ";tag=" + to_tag if to_tag else "", d.call_id,
                cseq, method, self.contact(), extra, len(body), body))
        self._send(msg)

    def sdp(self):
        return h.sdp(self.rtp_port, 0, "PCMU", te=True)

    def register(self, expires=600):
        """REGISTER with digest; returns the final status."""
        uri = "sip:127.0.0.1:%d" % self.net.sw[1]
        cid = "%x@reg" % random.getrandbits(48)
        self.reg_status = None
        for attempt, auth in ((1, None), (2, "x")):
            extra = "Expires: %d\r\n" % expires
            if attempt == 2:
                extra += "Authorization: %s\r\n" % digest(
                    self._challenge, "REGISTER", uri, self.user,
                    self.password)
            msg = ("REGISTER %s SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\r\n"
                   "From: <sip:%s@127.0.0.1>;tag=r%x\r\n"
                   "To: <sip:%s@127.0.0.1>\r\nCall-ID: %s\r\n"
                   "CSeq: %d REGISTER\r\nContact: <%s>\r\n"
                   "Max-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n" %
                   (uri, self.port, random.getrandbits(48), self.user,
                    random.getrandbits(32), self.user, cid, attempt,
                    self.contact(), extra))
            self._reg = None
            self._send(msg)
            self.net.run(until=lambda: self._reg is not None, limit=5,
                         what="REGISTER answer for " + self.user)
            st = int(self._reg.split()[1])
            if st != 401:
                self.reg_status = st
                return st
            self._challenge = re.findall(
                r"WWW-Authenticate: (Digest [^\r\n]*)", self._reg)[0]
        return 401

    def call(self, number, auth=True, password=None):
        """Sends an INVITE to number at the switch; a 401 is answered with
        credentials (the endpoint's password, or `password`) when auth.
        Returns the dialog at once."""
        ruri = "sip:%s@127.0.0.1:%d" % (number, self.net.sw[1])
        d = Dialog(self, "%x@pbx-test" % random.getrandbits(64),
                   "%x" % random.getrandbits(32), ruri, True)
        d.auth = auth
        d.password = password or self.password
        self.dialogs[d.call_id] = d
        self._request("INVITE", ruri, d, 1, "", self.sdp())
        return d

    def ack(self, d, cseq=None):
        self._request("ACK", d.peer_uri, d, cseq or d.cseq)

    def bye(self, d):
        d.cseq += 1
        d.ended = True
        self._request("BYE", d.peer_uri, d, d.cseq)

    def cancel(self, d):
        self._request("CANCEL", d.peer_uri, d, d.cseq,
                      branch=d.branches.get(d.cseq))

    def key(self, digits):
        """RFC 4733 events in our RTP, one digit after another."""
        for ch in digits:
            e = b.EVENT[ch]
            seq = [(e, False, 160 * (k + 1), k == 0) for k in range(4)]
            seq += [(e, True, 800, False)] * 3
            seq += [None] * 3  # a pause of audio between digits
            self.events += seq

    def active(self):
        return [d for d in self.dialogs.values() if d.up and not d.ended]

    # ---- receiving ----
    def _reply(self, req, code, reason, tag=None, body="", extra=""):
        if body:
            extra += "Contact: <%s>\r\n" % self.contact()
        self._send(h.reply(req, code, reason, tag, body, extra))

    def on_sip(self, msg):
        cid = h.header(msg, "Call-ID")
        d = self.dialogs.get(cid)
        if msg.startswith("SIP/2.0"):
            st = int(msg.split()[1])
            cseq = h.header(msg, "CSeq")
            if "REGISTER" in cseq:
                self._reg = msg
                return
            if not d:
                return
            if "INVITE" not in cseq:
                d.last = msg
                return
            if st < 200:
                d.provisional.append(st)
                return
            n = int(cseq.split()[0])
            if st == 401 and n == 1 and d.status is None and \
                    2 in d.branches:
                return  # a retransmission of the 401 we answered
            if st == 401 and d.auth and d.status is None and n == 1:
                self._request("ACK", d.peer_uri, d, 1,
                              branch=d.branches[1])
                ch = re.findall(r"WWW-Authenticate: (Digest [^\r\n]*)",
                                msg)[0]
                d.cseq = 2
                self._request("INVITE", d.peer_uri, d, 2,
                              "Authorization: %s\r\n" % digest(
                                  ch, "INVITE", d.peer_uri, self.user,
                                  d.password or ""), self.sdp())
                d.auth = False
                return
            m = re.search(r";tag=([^;>\s]+)", h.header(msg, "To"))
            if d.status is None:
                d.status, d.resp = st, msg
                d.to_tag = m.group(1) if m else None
            if st == 200:
                if d.media is None:
                    d.media = h.media_port(msg)
                    d.up = True
                self.ack(d, n)
            elif st >= 300:
                d.ended = True
                # the ACK of a non-2xx (RFC 3261 17.1.1.3): its branch
                self._request("ACK", d.peer_uri, d, n,
                              branch=d.branches.get(n))
            return
        method = msg.split()[0]
        if method == "INVITE" and not d:
            self.invites.append(msg)
            m = re.search(r";tag=([^;>\s]+)", h.header(msg, "From"))
            d = Dialog(self, cid, "%x" % random.getrandbits(32),
                       re.search(r"<([^>]*)>", h.header(msg, "Contact"))
                       .group(1), False)
            d.to_tag = m.group(1) if m else None
            d.invite = msg
            self.dialogs[cid] = d
            if self.policy == "busy":
                self._reply(msg, 486, "Busy Here", d.tag)
                d.status, d.ended = 486, True
            elif self.policy == "decline":
                self._reply(msg, 603, "Decline", d.tag)
                d.status, d.ended = 603, True
            else:
                self._reply(msg, 180, "Ringing", d.tag)
                if self.policy == "answer":
                    self.answer(d)
            return
        if not d:
            if method not in ("ACK",):
                self._reply(msg, 481, "No Such Call")
            return
        d.requests.append(msg)
        if method == "ACK":
            return
        if method == "CANCEL":
            self._reply(msg, 200, "OK", d.tag)
            if d.status is None:
                self._reply(d.invite, 487, "Request Terminated", d.tag)
                d.status, d.cancelled, d.ended = 487, True, True
            return
        if method == "BYE":
            d.byed = d.ended = True
        self._reply(msg, 200, "OK", d.tag)

    def answer(self, d):
        """Answers a ringing incoming call with 200 and our SDP."""
        d.status = 200
        d.media = h.media_port(d.invite)
        d.up = True
        self._reply(d.invite, 200, "OK", d.tag, self.sdp())

    def on_rtp(self):
        while True:
            try:
                data, _ = self.rtp.recvfrom(2048)
            except BlockingIOError:
                return
            if len(data) < 12:
                continue
            pt = data[1] & 0x7f
            table = b.ULAW if pt == 0 else b.ALAW if pt == 8 else None
            if table:
                self.heard += [table[c] for c in data[12:]]

    def tick(self):
        ds = self.active()
        if not ds:
            return
        self.seq = (self.seq + 1) & 0xffff
        ev = self.events.pop(0) if self.events else None
        if ev:
            e, end, dur, first = ev
            if first:
                self.ev_ts = self.ts
            pkt = struct.pack("!BBHII", 0x80, (0x80 if first else 0) | 101,
                              self.seq, self.ev_ts, self.ssrc) + \
                struct.pack("!BBH", e, (0x80 if end else 0) | 10, dur)
        else:
            if self.tone:
                f, a = self.tone
                pcm = [a * math.sin(2 * math.pi * f * (self.phase + i) /
                                    8000) for i in range(FRAME)]
            else:
                pcm = [0] * FRAME
            self.phase += FRAME
            pkt = struct.pack("!BBHII", 0x80, 0, self.seq, self.ts,
                              self.ssrc) + b.encode(pcm, 0)
        self.ts = (self.ts + FRAME) & 0xffffffff
        for d in ds:
            self.rtp.sendto(pkt, ("127.0.0.1", d.media))

    def level(self, freq, last=8000):
        """Goertzel amplitude of freq in the last `last` samples heard."""
        return b.goertzel(self.heard[-last:], freq)


class Net:
    def __init__(self, sw_port):
        self.sw = ("127.0.0.1", sw_port)
        self.eps = []

    def caller_of(self, d):
        m = re.search(r"sip:([^@>]*)@", h.header(d.invite, "From"))
        return m.group(1) if m else "x"

    def pump(self, timeout):
        socks = [e.sock for e in self.eps] + [e.rtp for e in self.eps]
        r, _, _ = select.select(socks, [], [], max(timeout, 0))
        for s in r:
            for e in self.eps:
                if s is e.sock:
                    e.sock.setblocking(False)
                    while True:
                        try:
                            data, _ = e.sock.recvfrom(65535)
                        except BlockingIOError:
                            break
                        e.on_sip(data.decode(errors="replace"))
                elif s is e.rtp:
                    e.on_rtp()

    def run(self, seconds=None, until=None, limit=15.0, what="a condition"):
        """Real time with a 20 ms tick for `seconds`, or until until()
        holds (at most `limit` s, then the test fails)."""
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
                for e in self.eps:
                    e.tick()
                k += 1
                continue
            self.pump(min(due - now, 0.02))
        if until and not until():
            h.fail("timed out waiting for " + what)


def with_carrier(busyhour, yaml_name, tone=1200):
    """The switch on the scenario `yaml_name` (beside this file) whose
    trunk gateway 127.0.0.1:5090 is replaced by a carrier endpoint that
    answers with `tone`: (net, carrier, switch), the switch ready."""
    sip, http = h.free_ports(2)
    net = Net(sip)
    carrier = Endpoint(net, "carrier", policy="answer", tone=tone)
    text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             yaml_name)).read()
    sc = os.path.join(tempfile.mkdtemp(prefix="bh_pbx_"), yaml_name)
    with open(sc, "w") as f:
        f.write(text.replace("127.0.0.1:5090", "127.0.0.1:%d" % carrier.port))
    sw = h.Switch(busyhour, sc, sip, http, verbose=True)
    sw.scenario = sc  # the scenario as run, for busyhour report
    sw.wait_ready()
    return net, carrier, sw


def customer_and_staff(busyhour, yaml_name):
    """with_carrier on `yaml_name`, a customer (tone 500 Hz) and the
    employees 501 (700 Hz) and 502 (900 Hz, both answering, passwords
    s501 and s502) registered: (net, carrier, sw, customer, e501, e502)."""
    net, carrier, sw = with_carrier(busyhour, yaml_name)
    cust = Endpoint(net, "customer", tone=500)
    e1 = Endpoint(net, "501", "s501", policy="answer", tone=700)
    e2 = Endpoint(net, "502", "s502", policy="answer", tone=900)
    for e in (e1, e2):
        h.check(e.register() == 200, "%s registers" % e.user)
    return net, carrier, sw, cust, e1, e2


def levels(ep, tones, n=4000):
    """What ep hears of every other endpoint of `tones` ({ep: Hz}), by
    Goertzel over its last n samples: {Hz: level}."""
    return {tones[o]: ep.level(tones[o], n) for o in tones if o is not ep}
