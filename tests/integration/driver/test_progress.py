"""test_progress.py: progress on a terminal, nothing on a pipe. A run
against a port nobody listens on, once on a pseudo-terminal (the line
with calls up, started, late, failed by reason and RTP loss, rewritten
in place), once on pipes (no progress line at all)."""
import os
import pty
import select
import subprocess
import sys

from driverlib import Load, check, free_ports, harness, scenario

busyhour = sys.argv[1]
(dead,) = free_ports(1)
sc = scenario("lines.yaml")
cmd = [busyhour, "load", sc, "--target", "127.0.0.1:%d" % dead,
       "--duration", "10m"]

env = dict(os.environ)
env.pop("CI", None)  # CI=true turns progress off even on a terminal
master, slave = pty.openpty()
p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env)
harness._children.append(p)
os.close(slave)
out = b""
for _ in range(600):  # bounded: at most 600 reads of up to 0.1 s
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    elif p.poll() is not None:
        break
p.wait()
os.close(master)
text = out.decode(errors="replace")
print(text)
check(p.returncode == 3, "unreachable target: exit 3 (got %d)" % p.returncode)
line = [s for s in text.split("\r") if s.startswith("load ")]
check(len(line) >= 1, "a progress line on the terminal")
last = line[-1]
for word in ("up ", "started ", "late ", "failed ", "rtp lost "):
    check(word in last, "progress shows '%s'" % word.strip())
check("icmp-unreachable" in last, "failures by reason (icmp-unreachable)")

load = Load(busyhour, sc, "127.0.0.1:%d" % dead, ["--duration", "10m"])
check(load.rc == 3, "on pipes: exit 3 (got %d)" % load.rc)
check("\rload " not in load.err and "\rload " not in load.out,
      "no progress line on a pipe")
