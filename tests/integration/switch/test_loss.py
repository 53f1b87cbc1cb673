"""test_loss.py: with 10% of the datagrams dropped, calls still complete
(issue 6, acceptance 4). tc netem is not available here, so a lossy UDP
shim in this test sits between the callers (SIPp) and the switch, both
directions, and between the switch and each operator (the operator's
answers go straight back, as SIPp ignores rport). Drops come from a seeded
random stream, so every run loses the same packets."""
import os
import random
import select
import signal
import socket
import sys
import threading

import harness as h

SIP, HTTP, CALLER, CALLER_SHIM, *rest = h.free_ports(10)
OPS = rest[:3]      # what the switch calls (the shims)
OP_REAL = rest[3:]  # where the operators listen
LOSS = 0.10
CALLS = 30


class Shim(threading.Thread):
    """Listens on `port`; datagrams from clients go to `target` from a
    second socket, answers come back to the last client. Each direction
    drops LOSS of the datagrams."""

    def __init__(self, port, target, seed):
        super().__init__(daemon=True)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", port))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.target = target
        self.rng = random.Random(seed)
        self.client = None
        self.stop = False
        self.passed = [0, 0]
        self.dropped = [0, 0]

    def run(self):
        while not self.stop:
            r, _, _ = select.select([self.front, self.back], [], [], 0.1)
            for s in r:
                data, src = s.recvfrom(65535)
                d = 0 if s is self.front else 1
                if d == 0:
                    self.client = src
                if self.rng.random() < LOSS:
                    self.dropped[d] += 1
                    continue
                self.passed[d] += 1
                if d == 0:
                    self.back.sendto(data, self.target)
                elif self.client:
                    self.front.sendto(data, self.client)


busyhour = sys.argv[1]
shims = [Shim(CALLER_SHIM, ("127.0.0.1", SIP), 1)]
shims += [Shim(p, ("127.0.0.1", r), 2 + i)
          for i, (p, r) in enumerate(zip(OPS, OP_REAL))]
for s in shims:
    s.start()
sw = h.Switch(busyhour, h.scenario("loss.yaml", dict(zip(
    (26281, 26282, 26283), OPS))), SIP, HTTP)
ops = []
for i, port in enumerate(OP_REAL):
    ops.append(h.sipp(["-sf", os.path.join(h.HERE, "operator.xml"), "-p",
                       str(port), "-i", "127.0.0.1"],
                      log=os.path.join(sw.tmp, "op%d.log" % i), wait=False))
sw.wait_ready()
log = os.path.join(sw.tmp, "callers.log")
rc, _, err = h.sipp(["-sf", os.path.join(h.HERE, "loss_caller.xml"), "-s",
                     "300", "127.0.0.1:%d" % CALLER_SHIM, "-p", str(CALLER),
                     "-m", str(CALLS), "-l", "10", "-r", "10", "-d", "1000"],
                    log=log)
m = sw.metrics()
sw.stop()
for p in ops:
    os.kill(p.pid, signal.SIGTERM)
    p.wait()
for s in shims:
    s.stop = True
for s in shims:
    s.join()
drops = [sum(s.dropped[d] for s in shims) for d in (0, 1)]
total = sum(sum(s.passed) + sum(s.dropped) for s in shims)
h.check(drops[0] > 0 and drops[1] > 0,
        "the shims dropped datagrams both ways (%d toward the switch, %d "
        "back, of %d)" % (drops[0], drops[1], total))
h.check(rc == 0, "SIPp: all %d calls completed despite the loss" % CALLS)
ev = h.log_events(log)
h.check(sum(1 for e, _, _ in ev if e == "connected") == CALLS,
        "every caller reached an operator")
rows = sw.rows()
h.check(len(rows) == CALLS and all(r["outcome"] == "answered"
                                   for r in rows),
        "%d CDRs, all answered" % CALLS)
retx = [l for l in m.splitlines()
        if l.startswith("bh_switch_sip_retransmissions_total")]
out = int([l for l in retx if 'dir="out"' in l][0].split()[-1])
h.check(out > 0, "the switch retransmitted (%d times)" % out)
print("PASS")
