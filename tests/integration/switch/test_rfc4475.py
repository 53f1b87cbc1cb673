"""test_rfc4475.py: every RFC 4475 torture message, sent over UDP to the
running switch, gets the RFC's answer, and the switch keeps answering
OPTIONS afterwards (issue 6, acceptance 3).

The messages name foreign hosts (192.0.2.x, example.com), so the switch
runs inside a network namespace this test creates with only loopback up:
a faulty response path cannot send a packet off the machine. Responses
must come back to the source address (RFC 3261 18.2.2, `received`), at
the Via port (5060 here, where this test listens; 5050 for quotbal),
never to a name."""
import glob
import os
import re
import select
import socket
import subprocess
import sys

import harness as h

DATA = os.path.join(h.HERE, "..", "..", "data", "rfc4475")
SIP = 5070

# Expected answers, by RFC 4475 section. A set is the statuses the RFC
# allows; None: the message is a response and must get no answer.
EXPECT = {
    # 3.1.1 valid messages: processed as any other request.
    "wsinv": {481},       # INVITE with a To tag naming no dialog (12.2.2)
    "intmeth": {501},     # unknown method: endpoints answer 501
    "esc01": {404},       # user "sips:user@example.com" is no number here
    "escnull": {401},     # REGISTER for an account: challenged
    "esc02": {501},       # RE%47IST%45R is not REGISTER: unknown method
    "lwsdisp": {200},     # OPTIONS
    "longreq": {200},     # INVITE to the number "user": answered
    "dblreq": {401},      # only the first request of the datagram counts
    "semiuri": {200},     # OPTIONS
    "transports": {200},  # OPTIONS, answered to the top Via's source
    "mpart01": {405},     # MESSAGE: a method the switch does not accept
    "unreason": None,     # a response
    "noreason": None,     # a response
    # 3.1.2 invalid messages: 400 (505 for the version), responses dropped.
    "badinv01": {400}, "clerr": {400}, "ncl": {400}, "scalar02": {400},
    "scalarlg": None,     # a response with oversized numbers: dropped
    "quotbal": {400}, "ltgtruri": {400}, "lwsruri": {400},
    "lwsstart": {400}, "trws": {400}, "escruri": {400}, "baddate": {400},
    "regbadct": {400}, "badaspec": {400}, "baddn": {400},
    "badvers": {505},
    "mismatch01": {400},
    "mismatch02": {400, 501},  # the RFC allows either
    "bigcode": None,      # a response with a 4-digit code: dropped
    # 3.2 transaction layer
    "badbranch": {200},   # branch is just the cookie: still processed
    # 3.3 application layer
    "insuf": {400},       # no To, From, Call-ID: still 400 if possible
    "unkscm": {416},      # unknown Request-URI scheme
    "novelsc": {416},     # soap.beep: a scheme the switch does not serve
    "unksm2": {400, 416},  # REGISTER whose To is not a SIP URI
    "bext01": {420},      # Require: unsupported extensions
    "invut": {415},       # body of an unknown type
    "regaut01": {401},    # credentials for a realm we do not know
    "multi01": {400},     # two values for single-value headers
    "mcl01": {400},       # two Content-Length headers
    "bcast": None,        # a response (with a broadcast Via): dropped
    "zeromf": {200},      # OPTIONS with Max-Forwards 0 is answered
    "cparam01": {401}, "cparam02": {401},  # REGISTERs: challenged
    "regescrt": {401},    # REGISTER with an escaped header in Contact
    "sdp01": {406},       # Accept rules out the SDP the answer needs
    # 3.4 backward compatibility
    "inv2543": {404},     # RFC 2543 INVITE to UserB: no such number
    # In the RFC's archive but used by no section: a request with no Via,
    # so there is nowhere to send an answer (RFC 3261 18.2.2); it must be
    # dropped and the switch must go on answering.
    "test": None,
}


def call_id(b):
    m = re.search(rb"\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]*)", b, re.I)
    return m.group(1).strip() if m else None


def top_via(b):
    for line in b.split(b"\r\n")[1:]:
        if re.match(rb"(?i)(via|v)[ \t]*:", line):
            return line
    return b""


def inside(busyhour):
    routes = subprocess.run(["ip", "-o", "addr"], capture_output=True,
                            text=True).stdout
    h.check(all(" lo " in l for l in routes.splitlines() if l.strip()),
            "network namespace: loopback only")
    sw = h.Switch(busyhour, os.path.join(h.HERE, "rfc4475.yaml"), SIP)
    sw.wait_ready()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 5060))
    s.settimeout(0.3)
    # quotbal's Via names port 5050 and no rport: its 400 goes there
    # (RFC 3261 18.2.2), not to the source port.
    s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s2.bind(("127.0.0.1", 5050))
    wait = [0.3]

    def recv_any():
        r, _, _ = select.select([s, s2], [], [], wait[0])
        if not r:
            raise socket.timeout()
        return r[0].recvfrom(65535)
    names = sorted(os.path.basename(f)[:-4]
                   for f in glob.glob(os.path.join(DATA, "*.dat")))
    h.check(sorted(names) == sorted(EXPECT), "all %d RFC 4475 messages "
            "are in tests/data/rfc4475" % len(EXPECT))
    bad = []
    for name in names:
        data = open(os.path.join(DATA, name + ".dat"), "rb").read()
        mine = call_id(data)
        s.sendto(data, ("127.0.0.1", SIP))
        got = []
        want = EXPECT[name]
        # Wait for the first answer (long: only a broken switch takes
        # it), then collect for a short quiet interval; a message that
        # must get no answer is watched for a second. Only answers to
        # this message count (INVITE answers are resent until ACKed, and
        # earlier ones still arrive).
        wait[0] = 30 if want is not None else 1.0
        for _ in range(50):
            try:
                d, src = recv_any()
            except socket.timeout:
                break
            if mine is None and b"insuf" not in d:
                continue
            if mine is not None and call_id(d) != mine:
                continue
            got.append(d)
            wait[0] = 0.3
        statuses = sorted({int(d.split(b" ", 2)[1]) for d in got})
        if want is None:
            ok = not got
        else:
            ok = len(statuses) == 1 and statuses[0] in want
            if ok and name == "bext01":
                ok = all(b"Unsupported: nothingSupportsThis" in d
                         for d in got)
            if ok and name == "invut":
                ok = all(b"Accept: application/sdp" in d for d in got)
            if ok and name == "dblreq":
                ok = len(got) == 1
            # 18.2.1: the top Via tells where the request came from.
            if ok and not all(b";received=127.0.0.1" in top_via(d)
                              for d in got):
                ok = False
        print("%-4s %-10s want %-14s got %s" %
              ("ok" if ok else "FAIL", name,
               "none" if want is None else "/".join(map(str, sorted(want))),
               statuses or "nothing"))
        if not ok:
            bad.append(name)
        alive = h.options("127.0.0.1", SIP, timeout=30)
        if not alive or " 200 " not in alive:
            bad.append(name + " (switch stopped answering OPTIONS)")
            break
    h.check(not bad, "every message got the RFC's answer" +
            ("" if not bad else ": failed " + ", ".join(bad)))
    st = h.options("127.0.0.1", SIP, timeout=30)
    h.check(st is not None and " 200 " in st,
            "the switch still answers OPTIONS afterwards")
    sw.stop()
    print("PASS")


if __name__ == "__main__":
    busyhour = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "--inside":
        inside(busyhour)
        sys.exit(0)
    ns = "bhsw4475_%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo",
                        "up"], check=True)
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                             os.path.abspath(__file__), busyhour,
                             "--inside"]).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    sys.exit(rc)
