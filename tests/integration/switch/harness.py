"""harness.py: starts the busyhour switch for integration tests, waits
until it answers OPTIONS, runs SIPp, reads the CDR file, stops the switch by
its PID. Every wait is a bounded number of polls; nothing asserts on
wall-clock time."""
import atexit
import json
import re
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
_children = []


@atexit.register
def _cleanup():
    """A failing test must not leave a switch or SIPp behind."""
    for p in _children:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()


def free_ports(n):
    """n distinct ports free for both UDP and TCP on 127.0.0.1, so that
    tests running at the same time (other build trees) do not collide."""
    out = []
    while len(out) < n:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        p = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", p))
            if p not in out:
                out.append(p)
        except OSError:
            pass
        finally:
            t.close()
            u.close()
    return out


def scenario(name, ports):
    """The scenario file `name` with each 127.0.0.1:OLD port replaced as
    ports {OLD: NEW} says, written to a temporary folder."""
    text = open(os.path.join(HERE, name)).read()
    for old, new in ports.items():
        text = text.replace("127.0.0.1:%d" % old, "127.0.0.1:%d" % new)
    path = os.path.join(tempfile.mkdtemp(prefix="bh_sc_"), name)
    with open(path, "w") as f:
        f.write(text)
    return path


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


def options(host, port, timeout=0.2, rport=True, probe_port=0):
    """Sends one OPTIONS and returns the status line, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", probe_port))
    s.settimeout(timeout)
    me = s.getsockname()[1]
    tag = random.getrandbits(32)
    msg = ("OPTIONS sip:ping@%s:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x%s\r\n"
           "From: <sip:probe@127.0.0.1>;tag=%x\r\n"
           "To: <sip:ping@%s>\r\n"
           "Call-ID: %x@probe\r\n"
           "CSeq: 1 OPTIONS\r\n"
           "Max-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n" %
           (host, port, me, tag, ";rport" if rport else "", tag, host, tag))
    try:
        s.sendto(msg.encode(), (host, port))
        data, _ = s.recvfrom(65535)
        return data.split(b"\r\n", 1)[0].decode(errors="replace")
    except socket.timeout:
        return None
    finally:
        s.close()


class Switch:
    def __init__(self, busyhour, scenario, sip_port, http_port=None,
                 cdr=None, netns=None, verbose=False, preexec_fn=None,
                 extra=(), listen=None):
        self.port = sip_port
        self.http_port = http_port
        self.tmp = tempfile.mkdtemp(prefix="bh_switch_")
        self.cdr = cdr or os.path.join(self.tmp, "cdr.sqlite")
        self.log = os.path.join(self.tmp, "switch.log")
        cmd = [busyhour, "switch", scenario, "--listen",
               listen or "127.0.0.1:%d" % sip_port, "--cdr", self.cdr]
        if http_port:
            cmd += ["--http", "127.0.0.1:%d" % http_port]
        if verbose:
            cmd += ["--verbose"]
        cmd += list(extra)
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=preexec_fn)
        _children.append(self.proc)

    def wait_ready(self, tries=300):
        for _ in range(tries):
            if self.proc.poll() is not None:
                fail("switch exited early (%d): %s" %
                     (self.proc.returncode, open(self.log).read()))
            if options("127.0.0.1", self.port) is not None:
                return
        fail("switch never answered OPTIONS")

    def status(self):
        url = "http://127.0.0.1:%d/status" % self.http_port
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())

    def metrics(self):
        url = "http://127.0.0.1:%d/metrics" % self.http_port
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode()

    def stop(self, expect=0):
        """SIGTERM by PID: the switch must end calls, flush CDRs, exit 0
        (under ASan, leaks would make it exit non-zero), or `expect`."""
        os.kill(self.proc.pid, signal.SIGTERM)
        rc = self.proc.wait()
        self.logf.close()
        log = open(self.log).read()
        if rc != expect:
            fail("switch exited %d, not %d:\n%s" % (rc, expect, log))
        print("ok: switch stopped by SIGTERM, exit %d" % rc)
        return log

    def kill9(self):
        """SIGKILL by PID: a crash."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.logf.close()

    def metric(self, name):
        """The value of an unlabelled metric in /metrics."""
        m = re.search(r"^%s (\d+)$" % re.escape(name), self.metrics(), re.M)
        return int(m.group(1)) if m else None

    def rows(self, sql="SELECT * FROM calls ORDER BY arrival"):
        db = sqlite3.connect(self.cdr)
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute(sql)]
        db.close()
        return rows


def sipp(args, log=None, wait=True):
    """Runs SIPp; returns (returncode, log lines) or the Popen."""
    cmd = ["sipp", "-nostdin", "-nd"] + args
    if log:
        cmd += ["-trace_logs", "-log_file", log]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _children.append(p)
    if not wait:
        return p
    _, err = p.communicate()
    lines = open(log).read().split("\n") if log and os.path.exists(log) \
        else []
    return p.returncode, [l for l in lines if l.strip()], err.decode()


def log_events(path):
    """Lines 'event call-id tick' written by <log> actions."""
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("answered", "busy", "connected",
                                            "ring", "bye", "cancel",
                                            "digit", "ended"):
            out.append((parts[0], parts[1], int(parts[2])))
    return out


# ---- network namespaces: the switch's host and another host ----

def netns_pair(tag, net="10.77.0"):
    """Two network namespaces joined by a veth pair: the switch's host
    (NET.1, and loopback up) and another host (NET.2). Returns their
    names; netns_del removes them (and the veth with them)."""
    a, b = "bh%s%d_a" % (tag, os.getpid()), "bh%s%d_b" % (tag, os.getpid())
    va, vb = "v%d%sa" % (os.getpid(), tag[:3]), "v%d%sb" % (os.getpid(),
                                                             tag[:3])
    steps = [["ip", "netns", "add", a], ["ip", "netns", "add", b],
             ["ip", "link", "add", va[:15], "netns", a, "type", "veth",
              "peer", "name", vb[:15], "netns", b],
             ["ip", "-n", a, "addr", "add", net + ".1/24", "dev", va[:15]],
             ["ip", "-n", b, "addr", "add", net + ".2/24", "dev", vb[:15]],
             ["ip", "-n", a, "link", "set", va[:15], "up"],
             ["ip", "-n", b, "link", "set", vb[:15], "up"],
             ["ip", "-n", a, "link", "set", "lo", "up"],
             ["ip", "-n", b, "link", "set", "lo", "up"]]
    for cmd in steps:
        if subprocess.run(cmd).returncode != 0:
            netns_del(a, b)
            fail("cannot set up the network namespaces: " + " ".join(cmd))
    return a, b


def netns_del(*names):
    for n in names:
        subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)


def in_netns(name, fn):
    """fn() run with this thread in the network namespace `name` (sockets
    it creates stay in that namespace), then back."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNET = 0x40000000
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open("/var/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(there, CLONE_NEWNET) != 0:
            fail("setns %s: %s" % (name, os.strerror(ctypes.get_errno())))
        try:
            return fn()
        finally:
            libc.setns(here, CLONE_NEWNET)
    finally:
        os.close(here)
        os.close(there)


def udp_rcvbuf_errors():
    """The kernel's count of UDP datagrams dropped for a full receive
    buffer, in this process's network namespace."""
    rows = [l.split() for l in open("/proc/net/snmp") if l.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


# ---- tiny SIP helpers for tests that play a UA themselves ----

def sdp(port, pt, name, te=False):
    """An audio SDP body; te adds RFC 4733 telephone-event as type 101."""
    return ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
            "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %d%s\r\n"
            "a=rtpmap:%d %s/8000\r\n%s" %
            (port, pt, " 101" if te else "", pt, name,
             "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
             if te else ""))


def media_port(msg):
    return int(re.search(r"m=audio (\d+)", msg).group(1))


def header(msg, name):
    m = re.search(r"\r\n%s:[ \t]*([^\r\n]*)" % name, msg, re.I)
    return m.group(1) if m else ""


def reply(req, code, reason, tag=None, body="", extra=""):
    lines = req.split("\r\n")
    keep = [l for l in lines[1:] if re.match(r"(?i)(via|from|call-id|cseq):",
                                             l)]
    to = header(req, "To") + (";tag=" + tag if tag and "tag=" not in
                              header(req, "To") else "")
    return ("SIP/2.0 %d %s\r\n%s\r\nTo: %s\r\n%s"
            "Content-Length: %d\r\n%s\r\n%s" %
            (code, reason, "\r\n".join(keep), to, extra, len(body),
             "Content-Type: application/sdp\r\n" if body else "", body))




# ---- digest authentication (RFC 2617, RFC 8760) for tests that register ----

def challenges(resp):
    """The WWW-Authenticate values of a 401, in order."""
    return re.findall(r"WWW-Authenticate: (Digest [^\r\n]*)", resp)


def digest_param(ch, name):
    m = re.search(r'%s="?([^",]*)"?' % name, ch)
    return m.group(1) if m else None


def credentials(ch, user, password, alg, uri, nc="00000001",
                cnonce="0a4f113b", method="REGISTER"):
    """An Authorization value answering challenge ch (qop=auth)."""
    import hashlib
    H = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    realm, nonce = digest_param(ch, "realm"), digest_param(ch, "nonce")
    ha1 = H(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()
    ha2 = H(("%s:%s" % (method, uri)).encode()).hexdigest()
    resp = H(("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, "auth",
                                     ha2)).encode()).hexdigest()
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=%s, cnonce="%s", qop=auth, nc=%s' %
            (user, realm, nonce, uri, resp, alg, cnonce, nc))
