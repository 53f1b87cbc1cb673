#!/usr/bin/python3
"""mmnn_simpy.py: the M/M/N/N trunk of bench_sim.c written with SimPy
(Debian python3-simpy, the SimPy 2 API): Poisson arrivals, exponential
holding times, a Resource of N lines, a caller finding none free is
blocked. Prints "key value" lines like bench_sim."""
import argparse
import random
import resource
import time

from SimPy.Simulation import (Process, Resource, activate, hold, initialize,
                              now, release, request, simulate)


class Stats:
    calls = 0
    blocked = 0


class Call(Process):
    def talk(self, lines, holding):
        yield request, self, lines
        yield hold, self, holding
        yield release, self, lines


class Source(Process):
    def generate(self, lines, rate, mean_hold, rng):
        while True:
            yield hold, self, rng.expovariate(rate)
            Stats.calls += 1
            if lines.n == 0:  # no free line: busy signal
                Stats.blocked += 1
                continue
            c = Call()
            activate(c, c.talk(lines, rng.expovariate(1.0 / mean_hold)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=float, default=1.0)
    p.add_argument("--lines", type=int, default=1000)
    p.add_argument("--load", type=float, default=0.9)
    p.add_argument("--hold", type=float, default=180.0)
    a = p.parse_args()
    rng = random.Random(1)
    rate = a.load * a.lines / a.hold  # calls per s
    initialize()
    lines = Resource(capacity=a.lines, name="lines")
    s = Source()
    activate(s, s.generate(lines, rate, a.hold, rng))
    w0 = time.perf_counter()
    t0 = time.process_time()  # CPU time: fair on a shared machine
    simulate(until=a.days * 86400)
    dt = time.process_time() - t0
    wall = time.perf_counter() - w0
    print("engine simpy")
    print("lines %d" % a.lines)
    print("offered_erlangs %.1f" % (a.load * a.lines))
    print("horizon_days %g" % a.days)
    print("calls %d" % Stats.calls)
    print("cpu_seconds %.3f" % dt)
    print("wall_seconds %.3f" % wall)
    print("calls_per_s %.0f" % (Stats.calls / dt))
    print("blocking %.6f" % (Stats.blocked / max(Stats.calls, 1)))
    print("max_rss_kb %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    main()
