"""test_http.py: issue 14, item 6: the HTTP endpoint must not starve SIP.

The switch runs with at most 1,024 descriptors (soft and hard, so that
`busyhour switch` cannot raise it). 1,100 idle TCP connections to --http:
the endpoint keeps at most http_connections (8 here, http.yaml) open,
closes the oldest for a newer one and those that fall into the
descriptors kept for SIP, without a log line each; new INVITEs are still
answered 200 (each takes an RTP socket) and /status still answers. Idle
connections are closed after http_idle (2 s). (Before: the 1,100
connections took every descriptor, every INVITE got 500, /status stopped
answering and libevent logged "Too many open files" 3 million times in
25 s.)"""
import os
import resource
import socket
import sys
import time

import harness as h
import sipua

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)


def small_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard < 1400:
    print("SKIP: this test needs 1,400 descriptors (hard limit %d)" % hard)
    sys.exit(0)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
sw = h.Switch(busyhour, os.path.join(h.HERE, "http.yaml"), SIP, HTTP,
              preexec_fn=small_limit)
sw.wait_ready()
lim = open("/proc/%d/limits" % sw.proc.pid).read()
h.check("Max open files            1024                 1024" in lim,
        "the switch runs with 1,024 descriptors")

conns = []
for i in range(1100):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", HTTP))  # the kernel completes it (backlog)
    conns.append(s)
ua = sipua.UA(SIP, "alice")
calls = []
for i in range(5):
    c = ua.invite()
    ua.ack(c)
    calls.append(c)
h.check(all(c.resp.startswith("SIP/2.0 200") for c in calls),
        "with 1,100 HTTP connections opened, 5 new INVITEs: 200")
st = None
for _ in range(20):  # bounded: the endpoint works through its backlog
    try:
        st = sw.status()
        break
    except OSError:
        time.sleep(0.2)
h.check(st is not None and st["status"] == "ready", "/status answers")
fds = len(os.listdir("/proc/%d/fd" % sw.proc.pid))
h.check(fds < 1024 - 200, "the switch holds %d descriptors" % fds)
refused = sw.metric("bh_switch_http_refused_total")
h.check(refused >= 1000, "%d HTTP connections closed by the guard" % refused)
for c in calls:
    ua.request(c, "BYE")
ua.until(lambda: all(c.last is not None for c in calls), 10, "BYE answers")
h.check(all(c.last.startswith("SIP/2.0 200") for c in calls),
        "the 5 calls end with BYE 200")
# An idle connection is closed after http_idle (2 s): the peer reads EOF.
idle = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
idle.connect(("127.0.0.1", HTTP))
idle.settimeout(10)
try:
    got = idle.recv(100)
except OSError:
    got = b""
h.check(got == b"", "an idle connection is closed by the switch")
idle.close()
for s in conns:
    s.close()
log = sw.stop()
lines = [l for l in log.split("\n") if l.strip()]
h.check(len(lines) < 20 and "Too many open files" not in log,
        "no log storm (%d lines on stderr)" % len(lines))
print("PASS")
