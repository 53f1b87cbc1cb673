#!/usr/bin/env python3
"""bench_bridge.py: the conference bridge of the real switch under real
RTP, each on a core of its own: `busyhour switch` pinned to core 0, the
benchmark's client (bench_bridge) to core 1. Prints the client's figures
and the issue's goals beside them as ratios. Never part of ctest (it
measures; it asserts nothing).

    bench_bridge.py BUSYHOUR BENCH_BRIDGE [--fifo] [case ...]

--fifo runs both at SCHED_FIFO priority 10 (chrt), as a media switch
would be run, so that other work on the shared VM does not preempt them.

cases: a:N   rooms of 4, everyone talking, N participants (default 5000)
       b     one room of 1,000 with 3 talkers
       joins:M:R[:H]  M calls offered at R per second (default 5000 at
                  1000); with H each hangs up H s after its answer
Each mix case runs 20 s measured (after setup and 2 s of warm-up) with 10
probe rooms of two for the mix latency.
"""
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

GOALS = {"a": ("participants", 5000), "joins": ("joins_per_s", 1000)}


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def scenario(ports, per_room, talkers):
    d = tempfile.mkdtemp(prefix="bh_bench_bridge_")
    path = os.path.join(d, "bench.yaml")
    with open(path, "w") as f:
        f.write("""name: bench-bridge
switch:
  timers: { rtp_timeout: 5m }
  bridges:
    - name: bench
      number: "200"
      ports: %d
      max_per_room: %d
      talkers: %d
      lockout: { failures: 0 }
traffic:
  - name: meetings
    to: bench
    meetings:
      rate: 1
      participants: { dist: poisson, mean: 3 }
      duration: { dist: deterministic, value: 10m }
""" % (ports, per_room, talkers))
    return path, d


def nofile():
    lim = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim, lim))


FIFO = []


def run(busyhour, client, args, ports, per_room, talkers):
    sc, d = scenario(ports, per_room, talkers)
    sip, http = free_port(), free_port()
    log = open(os.path.join(d, "switch.log"), "w")
    sw = subprocess.Popen(FIFO + ["taskset", "-c", "0", busyhour, "switch", sc,
                           "--listen", "127.0.0.1:%d" % sip, "--http",
                           "127.0.0.1:%d" % http],
                          stdout=log, stderr=subprocess.STDOUT,
                          preexec_fn=nofile)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", http), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        out = subprocess.run(FIFO + ["taskset", "-c", "1", client, args[0],
                              str(sip), str(http), str(sw.pid)] +
                             [str(a) for a in args[1:]],
                             capture_output=True, text=True, timeout=600,
                             preexec_fn=nofile)
        sys.stderr.write(out.stderr)
        fig = dict(l.split("=", 1) for l in out.stdout.split()
                   if "=" in l)
        return fig
    finally:
        sw.send_signal(signal.SIGTERM)
        try:
            sw.wait(30)
        except subprocess.TimeoutExpired:
            sw.kill()
            sw.wait()
        log.close()


def main():
    busyhour, client = sys.argv[1], sys.argv[2]
    cases = sys.argv[3:]
    if "--fifo" in cases:
        cases.remove("--fifo")
        FIFO.extend(["chrt", "-f", "10"])
    cases = cases or ["a:5000", "b", "joins:5000:1000"]
    print("load_average=%.2f %.2f %.2f fifo=%s" % (os.getloadavg() +
                                                  (bool(FIFO),)))
    for c in cases:
        parts = c.split(":")
        if parts[0] == "a":
            n = int(parts[1]) if len(parts) > 1 else 5000
            fig = run(busyhour, client, ["mix", n, 4, 4, 20, 10],
                      n + 20, 4, 3)
        elif parts[0] == "b":
            fig = run(busyhour, client, ["mix", 1000, 1000, 3, 20, 10],
                      1020, 1000, 3)
        elif parts[0] == "joins":
            m = int(parts[1]) if len(parts) > 1 else 5000
            r = float(parts[2]) if len(parts) > 2 else 1000
            hold = float(parts[3]) if len(parts) > 3 else 0
            fig = run(busyhour, client, ["joins", m, r, hold], m, 10, 3)
        else:
            sys.exit("unknown case " + c)
        print("case=%s" % c)
        for k, v in fig.items():
            print("  %s=%s" % (k, v))
        goal = GOALS.get(parts[0])
        if goal and goal[0] in fig:
            late = float(fig.get("late_percent", 0))
            ok = late < 0.1 if parts[0] == "a" else \
                int(fig.get("answered", 0)) == int(fig.get("calls", -1)) \
                and int(fig.get("joined", 0)) == int(fig.get("calls", -1))
            print("  goal_%s=%d ratio=%.2f%s" % (
                goal[0], goal[1], float(fig[goal[0]]) / goal[1],
                "" if ok else " (not met: %s)" % (
                    "late ticks over 0.1%" if parts[0] == "a"
                    else "calls failed")))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
