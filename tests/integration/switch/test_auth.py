"""test_auth.py: issue 14, items 9, 10 and 11.

9. An unknown user and a wrong password get the same answer (403 with a
   nonce of ours, 401 with a made-up one), as Asterisk's alwaysauthreject.
   (Before: 401 for an existing account, 403 for an unknown one.)
10. A nonce is bound to the client's address and its nonce count is
   checked: a captured Authorization replayed from another port with
   another Call-ID and Contact is refused (401), from another address too;
   the client's own next request with the next nonce count passes.
   (Before: the replay got 200 and took over the binding.)
11. Failed authentications are throttled: more than auth_failures (5 here)
   in a minute from one address block it (its attempts, even with the
   right password, get 403 unchecked), and the same per account. Each
   failure is one line on stderr with the source address; blocked attempts
   are not logged. The fail2ban filter in contrib/fail2ban reads those
   lines: fail2ban-regex when installed, else the same regex in Python.

Sources 127.0.0.2 and 127.0.0.3 are other hosts on the loopback."""
import os
import random
import re
import shutil
import socket
import subprocess
import sys

import harness as h

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, os.path.join(h.HERE, "auth.yaml"), SIP, HTTP)
sw.wait_ready()
uri = "sip:127.0.0.1:%d" % SIP


class Client:
    """One UDP socket at ip (a port of its own)."""

    def __init__(self, ip="127.0.0.1"):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((ip, 0))
        self.s.settimeout(10)
        self.ip, self.port = self.s.getsockname()

    def register(self, user, auth=None, call_id=None, cseq=1, contact=None):
        call_id = call_id or "%x@auth" % random.getrandbits(48)
        msg = ("REGISTER %s SIP/2.0\r\n"
               "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport\r\n"
               "From: <sip:%s@127.0.0.1>;tag=f%x\r\n"
               "To: <sip:%s@127.0.0.1>\r\n"
               "Call-ID: %s\r\nCSeq: %d REGISTER\r\n"
               "Contact: <sip:%s@%s:%d>\r\nExpires: 600\r\n"
               "Max-Forwards: 70\r\n" %
               (uri, self.ip, self.port, random.getrandbits(48), user,
                random.getrandbits(32), user, call_id, cseq, user,
                self.ip, contact or self.port))
        if auth:
            msg += "Authorization: %s\r\n" % auth
        msg += "Content-Length: 0\r\n\r\n"
        self.s.sendto(msg.encode(), ("127.0.0.1", SIP))
        for _ in range(10):
            data = self.s.recv(65535).decode()
            if call_id in data:
                return data
        h.fail("no answer to REGISTER")

    def challenge(self, user):
        r = self.register(user)
        h.check(r.startswith("SIP/2.0 401"), "%s:%d: challenged for %s" %
                (self.ip, self.port, user))
        return h.challenges(r)[1]  # MD5


def status(r):
    return int(r.split()[1])


# ---- 9: the same answer for an unknown user and a wrong password ----
a = Client()
ch = a.challenge("op1")
wrong = a.register("op1", h.credentials(ch, "op1", "guess", "MD5", uri))
unknown = a.register("nobody", h.credentials(ch, "nobody", "guess", "MD5",
                                             uri, nc="00000002"))
h.check(status(wrong) == status(unknown) == 403,
        "wrong password and unknown user: both %d, %d (alwaysauthreject)" %
        (status(wrong), status(unknown)))
fake = 'Digest username="%s", realm="busyhour", nonce="00000000.0123", ' \
       'uri="%s", response="00", algorithm=MD5'
r1, r2 = a.register("op1", fake % ("op1", uri)), \
    a.register("nobody", fake % ("nobody", uri))
h.check(status(r1) == status(r2) == 401,
        "a made-up nonce: 401 for an account and for an unknown user alike")

# ---- 10: nonces bound to the client, nonce counts checked ----
ch = a.challenge("op1")
good = h.credentials(ch, "op1", "secret", "MD5", uri)
r = a.register("op1", good)
h.check(status(r) == 200, "op1 registers from %s:%d" % (a.ip, a.port))
b = Client()  # another port, another Call-ID and Contact
r = b.register("op1", good, contact=b.port)
h.check(status(r) == 401, "the same Authorization replayed from port %d "
        "with another Call-ID and Contact: %d" % (b.port, status(r)))
h.check("stale=true" in r, "... with a fresh challenge (stale=true)")
c = Client("127.0.0.2")
r = c.register("op1", good)
h.check(status(r) == 401, "replayed from another address: %d" % status(r))
r = a.register("op1", h.credentials(ch, "op1", "secret", "MD5", uri,
                                    nc="00000002"))
h.check(status(r) == 200, "the client's own next nonce count: 200")
h.check(sw.metric("bh_switch_auth_replays_total") == 1,
        "one replay counted (the other address's copy is no nonce of its)")

# ---- 11: throttled per source and per account, one line each ----
d = Client("127.0.0.3")
ch = d.challenge("op2")
answers = [status(d.register("op2", h.credentials(
    ch, "op2", "guess%d" % i, "MD5", uri, nc="%08x" % (i + 1))))
    for i in range(8)]
h.check(answers == [403] * 8, "8 wrong passwords for op2 from 127.0.0.3: "
        "403 each")
r = d.register("op2", h.credentials(ch, "op2", "other", "MD5", uri,
                                    nc="00000010"))
h.check(status(r) == 403,
        "127.0.0.3 blocked: even the right password gets 403")
e = Client("127.0.0.4")
ch = e.challenge("op2")
r = e.register("op2", h.credentials(ch, "op2", "other", "MD5", uri))
h.check(status(r) == 403, "the account op2 is blocked too, from any address")
ch = a.challenge("op1")
r = a.register("op1", h.credentials(ch, "op1", "secret", "MD5", uri))
h.check(status(r) == 200, "op1 from 127.0.0.1 still registers")
refused = sw.metric("bh_switch_auth_refused_total")
h.check(refused == 4, "4 attempts refused unchecked (%s)" % refused)
log = sw.stop()
lines = [l for l in log.split("\n") if "auth failed:" in l]
from3 = [l for l in lines if "source=127.0.0.3 " in l]
h.check(len(from3) == 6, "127.0.0.3: one line per checked failure, none "
        "while blocked (%d lines)" % len(from3))
h.check(sum("auth blocked: source=127.0.0.3 " in l
            for l in log.split("\n")) == 1 and
        sum('auth blocked: user="op2"' in l for l in log.split("\n")) == 1,
        "one line says each block")
h.check(len(lines) == 9, "9 failure lines in all (%d)" % len(lines))

# ---- the fail2ban filter reads those lines ----
conf = os.path.join(h.HERE, "..", "..", "..", "contrib", "fail2ban",
                    "busyhour.conf")
text = open(conf).read()
logfile = os.path.join(sw.tmp, "switch.log")
if shutil.which("fail2ban-regex"):
    out = subprocess.run(["fail2ban-regex", "--print-all-matched", logfile,
                          conf], capture_output=True, text=True)
    h.check(out.returncode == 0, "fail2ban-regex ran")
    m = re.search(r"Failregex: (\d+) total", out.stdout)
    h.check(m and int(m.group(1)) == len(lines),
            "fail2ban-regex matches every failure line (%s)" %
            (m.group(1) if m else out.stdout[-500:]))
    hosts = set(re.findall(r"source=(\S+) ", "\n".join(lines)))
    h.check(all(x in out.stdout for x in hosts),
            "... and finds the addresses %s" % sorted(hosts))
else:
    rx = re.search(r"^failregex = (.*)$", text, re.M).group(1)
    rx = rx.replace("<ADDR>", r"(?P<host>[0-9a-fA-F.:]+)")
    got = [re.search(rx, l.split("Z ", 1)[1]) for l in lines]
    h.check(all(got) and {g.group("host") for g in got} ==
            {"127.0.0.1", "127.0.0.3"},
            "the filter's regex matches every failure line (no "
            "fail2ban-regex here)")
print("PASS")
