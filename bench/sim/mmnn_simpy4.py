#!/usr/bin/python3
"""mmnn_simpy4.py: the M/M/N/N trunk of bench_sim.c written for speed
with the SimPy 3/4 API (`import simpy`: Environment, timeout, process):
a plain counter of busy lines instead of a Resource, Poisson arrivals,
exponential holding times, a caller finding no free line blocked. Debian
packages SimPy 3 (python3-simpy3), whose API SimPy 4 kept; the version
run is printed. Prints "key value" lines like bench_sim."""
import argparse
import random
import time

import simpy


class Trunk:
    def __init__(self, lines):
        self.lines = lines
        self.busy = 0
        self.calls = 0
        self.blocked = 0


def talk(env, trunk, holding):
    yield env.timeout(holding)
    trunk.busy -= 1


def source(env, trunk, rate, mean_hold, rng):
    while True:
        yield env.timeout(rng.expovariate(rate))
        trunk.calls += 1
        if trunk.busy >= trunk.lines:  # no free line: busy signal
            trunk.blocked += 1
            continue
        trunk.busy += 1
        env.process(talk(env, trunk, rng.expovariate(1.0 / mean_hold)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=float, default=1.0)
    p.add_argument("--lines", type=int, default=1000)
    p.add_argument("--load", type=float, default=0.9)
    p.add_argument("--hold", type=float, default=180.0)
    a = p.parse_args()
    rng = random.Random(1)
    env = simpy.Environment()
    trunk = Trunk(a.lines)
    env.process(source(env, trunk, a.load * a.lines / a.hold, a.hold, rng))
    w0 = time.perf_counter()
    t0 = time.process_time()  # CPU time: fair on a shared machine
    env.run(until=a.days * 86400)
    dt = time.process_time() - t0
    wall = time.perf_counter() - w0
    print("engine simpy%s" % simpy.__version__.split(".")[0])
    print("simpy_version %s" % simpy.__version__)
    print("lines %d" % a.lines)
    print("calls %d" % trunk.calls)
    print("cpu_seconds %.3f" % dt)
    print("wall_seconds %.3f" % wall)
    print("calls_per_s %.0f" % (trunk.calls / dt))
    print("blocking %.6f" % (trunk.blocked / max(trunk.calls, 1)))


if __name__ == "__main__":
    main()
