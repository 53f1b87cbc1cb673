#!/usr/bin/env python3
"""test_bridge_rtp_ports.py: --rtp-ports LO-HI. The switch's RTP sockets
take the even ports of the range: four callers of the bridge get SDP ports
that are even and inside an 8-port range; a fifth, with every port of the
range held, is refused (500) and leaves a CDR row; a bad range is an
error at start (exit 2)."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import bridgeua as bu  # noqa: E402

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)


def free_range(n):
    """An even port with the n ports from it free now (bounded tries)."""
    for base in h.free_ports(40):
        base -= base % 2
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    h.fail("no free range of %d ports" % n)


LO = free_range(8)
HI = LO + 7
sw = h.Switch(busyhour, h.scenario("bridge.yaml", {}), SIP, HTTP,
              extra=["--rtp-ports", "%d-%d" % (LO, HI)])
sw.wait_ready()
ua = bu.UA(SIP)
ps = [bu.Party(ua) for _ in range(4)]
for p in ps:
    ua.invite(p)
ua.run(until=lambda: all(p.status for p in ps), what="answers")
ports = sorted(p.media for p in ps if p.status == 200)
h.check(len(ports) == 4 and len(set(ports)) == 4 and
        all(LO <= x <= HI and x % 2 == 0 for x in ports),
        "4 callers on even ports of %d-%d: %s" % (LO, HI, ports))
extra = bu.Party(ua)
ua.invite(extra)
ua.run(until=lambda: extra.status, what="the fifth answer")
h.check(extra.status == 500, "a fifth caller, range exhausted: %d" %
        extra.status)
for p in ps:
    ua.bye(p)
ua.run(until=lambda: sw.metric("bh_switch_bridge_ports_busy") == 0,
       what="ports free")
rows = sw.rows()
h.check(len(rows) == 5 and sum(r["status"] == 500 for r in rows) == 1,
        "5 CDR rows, one refused with 500")
sw.stop()
p = subprocess.run([busyhour, "switch", h.scenario("bridge.yaml", {}),
                    "--listen", "127.0.0.1:0", "--rtp-ports", "3000-2000"],
                   capture_output=True, text=True, timeout=30)
h.check(p.returncode == 2 and "--rtp-ports" in p.stderr,
        "a bad range: exit 2 (%s)" % p.stderr.strip())
print("PASS")
