"""sipua.py: a small SIP user agent over UDP for the tests that play a
caller themselves (many calls from one socket, no RTP, session timers,
requests SIPp cannot easily shape). Every wait is bounded."""
import random
import re
import socket
import struct
import time

import harness as h


class Call:
    def __init__(self, call_id, tag):
        self.call_id, self.tag, self.to_tag = call_id, tag, None
        self.cseq = 1
        self.resp = None        # the final response to the INVITE
        self.media = None       # the switch's RTP port
        self.requests = []      # requests the switch sent in the dialog
        self.last = None        # the last response to a later request


class UA:
    """One socket, any number of calls to the switch at `port`."""

    def __init__(self, port, user="caller", host="127.0.0.1",
                 local="127.0.0.1", netns=None):
        """The switch at host:port; this UA at the address local (in the
        network namespace netns, when given: another host)."""
        self.sw = (host, port)
        self.host, self.local = host, local

        def sockets():
            return (socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        self.sock, self.rtp = h.in_netns(netns, sockets) if netns \
            else sockets()
        self.sock.bind((local, 0))
        self.me = self.sock.getsockname()[1]
        self.user = user
        self.number = "100"  # the Request-URI's user part: whom it calls
        self.calls = {}
        self.answer_update = 200  # what requests from the switch get
        self.drop_first_bye = False
        self.rtp.bind((local, 0))
        self.rtp_port = self.rtp.getsockname()[1]
        self.seq = 0

    def _head(self, method, call, cseq, to_tag=None):
        return ("%s sip:%s@%s:%d SIP/2.0\r\n"
                "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport\r\n"
                "From: <sip:%s@%s>;tag=%s\r\n"
                "To: <sip:%s@%s>%s\r\n"
                "Call-ID: %s\r\nCSeq: %d %s\r\n"
                "Contact: <sip:%s@%s:%d>\r\nMax-Forwards: 70\r\n" %
                (method, self.number, self.host, self.sw[1], self.local,
                 self.me, random.getrandbits(48), self.user, self.local,
                 call.tag, self.number, self.host,
                 ";tag=" + to_tag if to_tag else "",
                 call.call_id, cseq, method, self.user, self.local, self.me))

    def _send(self, head, extra="", body=""):
        msg = head + extra + ("Content-Type: application/sdp\r\n"
                              if body else "") + \
            "Content-Length: %d\r\n\r\n%s" % (len(body), body)
        self.sock.sendto(msg.encode(), self.sw)

    def sdp(self, direction="sendrecv"):
        return h.sdp(self.rtp_port, 0, "PCMU") + "a=%s\r\n" % direction

    def invite(self, extra="", body=None, wait=True):
        """Sends an INVITE; with wait, returns the call once its final
        response came (ACK not sent)."""
        c = Call("%x@ua" % random.getrandbits(64), "%x" %
                 random.getrandbits(32))
        self.calls[c.call_id] = c
        self._send(self._head("INVITE", c, 1), extra,
                   self.sdp() if body is None else body)
        if wait:
            self.until(lambda: c.resp is not None, 10, "final response")
        return c

    def ack(self, c):
        self._send(self._head("ACK", c, 1, c.to_tag))

    def request(self, c, method, extra="", body=""):
        c.cseq += 1
        c.last = None
        self._send(self._head(method, c, c.cseq, c.to_tag), extra, body)

    def send_rtp(self, c, n=1):
        for _ in range(n):
            self.seq += 1
            pkt = struct.pack("!BBHII", 0x80, 0, self.seq & 0xffff,
                              self.seq * 160, 0x5151) + b"\xff" * 160
            self.rtp.sendto(pkt, (self.host, c.media))

    def pump(self, timeout=0.05):
        """Reads what came within timeout: responses fill their call,
        requests from the switch are answered (200, or answer_update
        for UPDATE) and kept."""
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65535)
        except socket.timeout:
            return
        msg = data.decode(errors="replace")
        cid = h.header(msg, "Call-ID")
        c = self.calls.get(cid)
        if msg.startswith("SIP/2.0"):
            status = int(msg.split()[1])
            if c and "INVITE" in h.header(msg, "CSeq") and status >= 200 \
                    and c.resp is None:
                c.resp = msg
                m = re.search(r";tag=([^;>\s]+)", h.header(msg, "To"))
                c.to_tag = m.group(1) if m else None
                if status == 200:
                    c.media = h.media_port(msg)
            elif c:
                c.last = msg
            return
        if c:
            c.requests.append(msg)
        code = self.answer_update if msg.startswith("UPDATE") else 200
        if self.drop_first_bye and msg.startswith("BYE") and c and \
                len(self.got(c, "BYE")) == 1:
            return  # as if lost on the way: only a retransmission is answered
        if not msg.startswith("ACK"):
            reply = h.reply(msg, code, "OK" if code == 200 else "Gone")
            self.sock.sendto(reply.encode(), self.sw)

    def until(self, cond, secs, what):
        """Pumps until cond() holds, at most secs seconds."""
        end = time.time() + secs
        while not cond() and time.time() < end:
            self.pump()
        if not cond():
            h.fail("timed out waiting for " + what)

    def got(self, c, method):
        return [r for r in c.requests if r.startswith(method + " ")]
