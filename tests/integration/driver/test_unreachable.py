"""test_unreachable.py: a target nobody listens on: the first INVITEs get
ICMP port unreachable (IP_RECVERR on the connected SIP socket names each
one's Call-ID), their calls fail "icmp-unreachable", and the run stops
with exit 3 instead of running its duration. A switch killed in the
middle of a run: the calls then up fail, the run stops with exit 3."""
import os
import signal
import subprocess
import sys
import time

from driverlib import Load, Switch, check, free_ports, harness, scenario

busyhour = sys.argv[1]
port, dead = free_ports(2)
sc = scenario("lines.yaml")

load = Load(busyhour, sc, "127.0.0.1:%d" % dead, ["--duration", "10m"])
check(load.rc == 3, "unreachable target: exit 3 (got %d)" % load.rc)
calls = load.calls()
check(len(calls) >= 1, "calls were started (%d)" % len(calls))
check(any(c["failure"] == "icmp-unreachable" for c in calls),
      "their failure is icmp-unreachable")
check(all(c["outcome"] == "failed" for c in calls), "every call failed")
check("stopped answering" in load.err, "the reason is said")

# the switch killed while calls are up
sw = Switch(busyhour, sc, port)
sw.wait_ready()
tmp = os.path.join(harness.tempfile.mkdtemp(prefix="bh_kill_"), "calls.csv")
p = subprocess.Popen([busyhour, "load", sc, "--target", "127.0.0.1:%d" % port,
                      "--duration", "10m", "--calls", tmp],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
harness._children.append(p)
# wait (bounded by polls) until a call is answered, then kill the switch
for _ in range(500):
    if os.path.exists(tmp) and "answered" in open(tmp).read():
        break
    time.sleep(0.02)
sw.kill9()
out, err = p.communicate()
print(out.decode() + err.decode())
check(p.returncode == 3, "killed switch: exit 3 (got %d)" % p.returncode)
rows = open(tmp).read().splitlines()
failed = [r for r in rows if ",failed," in r]
check(len(failed) >= 1, "the calls up when it died failed (%d)" % len(failed))
check(all(("icmp-unreachable" in r or "target-down" in r or "timeout" in r)
          for r in failed), "with a reason: icmp-unreachable, target-down "
      "or timeout")
