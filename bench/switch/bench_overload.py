"""bench_overload.py: goodput of the reference switch when offered more
calls than it can take (issue 14, item 7).

Callers (SIPp, overload_caller.xml, on CPU 1) call a number whose queue
hands them to operators (one SIPp UAS behind N static contacts, on CPU 1
too); the switch runs on CPU 0, held to --quota of a core by a cgroup
(so that it, not the load tool sharing a loaded machine, is what runs out
of capacity). For each offered rate of the sweep, two
runs: the switch with `switch.limits.max_cps` set (new calls over it get
503 at once) and the same switch without it (max_cps 0: only the guards
every switch has, the backlog (an INVITE that waited over 2 s in the
socket buffer gets 503) and the late media tick), the peer the issue
names. Each run offers rate x seconds calls and prints, in key=value
lines:

  offered          calls per second asked of SIPp
  connected        calls that reached an operator (the switch's UPDATE)
  goodput          connected / offered seconds: calls served per second
  shed             calls answered 503 (load shed): by max_cps, and by the
                   older guard (the media tick ran late)
  failed           SIPp's failed calls (timeouts, unexpected messages):
                   the collapse the issue saw at 8,000-10,000/s
  switch_cpu       the switch's CPU, cores
Each (rate, limit) point runs --repeat times, the runs of the two limits
interleaved so that a change in the machine's load hits both alike; the
summary gives per rate the median goodput of each, their ratio
(max_cps / no limit) and, for each limit, the goodput at the highest
rate over the best median of the sweep (flat: near 1; a collapse: near
0). The switch and the load run pinned (taskset) to CPUs 0 and 1.

Usage: python3 bench_overload.py BUSYHOUR [--rates 200,400,800,1600,
       3200] [--seconds 4] [--max-cps 300] [--operators 250] [--repeat 3]
       [--quota 0.05]   (the quota needs root: a cgroup of the cpu
       controller; without one the switch runs unlimited)
Never part of ctest: the figures depend on the machine and its load."""
import argparse
import os
import statistics
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_switch import ticks  # the switch's CPU ticks from /proc

HERE = os.path.dirname(os.path.abspath(__file__))

sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration",
                                "switch"))
from harness import free_ports  # noqa: E402

SIP, CALLER, OPS, HTTP = free_ports(4)


def scenario(path, operators, max_cps):
    with open(path, "w") as f:
        f.write("name: bench-overload\nswitch:\n  numbers:\n"
                "    - name: bench\n      number: \"500\"\n"
                "      lines: 100000\n"
                "      queue:\n        operators: %d\n"
                "        strategy: round-robin\n"
                "        ring_timeout: 5s\n        contacts:\n" % operators)
        for i in range(operators):
            f.write("          - \"sip:op%d@127.0.0.1:%d\"\n" % (i, OPS))
        f.write("  limits:\n    max_cps: %d\n    source_rate: 0\n" % max_cps)
        f.write("traffic:\n  - name: callers\n    to: bench\n"
                "    profile: { \"00:00\": 60 }\n"
                "    holding: { dist: deterministic, value: 1s }\n")


def throttled(cgroup):
    """Periods in which the CPU quota stopped the switch (cpu.stat)."""
    if not cgroup:
        return 0
    for line in open(os.path.join(cgroup, "cpu.stat")):
        if line.startswith("nr_throttled"):
            return int(line.split()[1])
    return 0


def make_cgroup(quota):
    """A cgroup (v1 cpu controller) holding the switch to `quota` of a
    core in 20 ms periods, or None when it cannot be made."""
    if quota <= 0:
        return None
    path = "/sys/fs/cgroup/cpu/bh_overload_%d" % os.getpid()
    try:
        os.mkdir(path)
        with open(os.path.join(path, "cpu.cfs_period_us"), "w") as f:
            f.write("20000")
        with open(os.path.join(path, "cpu.cfs_quota_us"), "w") as f:
            f.write("%d" % max(1000, int(quota * 20000)))
        return path
    except OSError as e:
        print("no cgroup for the CPU quota (%s): the switch runs "
              "unlimited" % e)
        return None


def run(busyhour, rate, seconds, operators, max_cps, tmp, cgroup=None):
    yaml = os.path.join(tmp, "bench-%d.yaml" % max_cps)
    scenario(yaml, operators, max_cps)
    log = os.path.join(tmp, "caller-%d-%d.log" % (rate, max_cps))
    calls = rate * seconds
    procs = []
    try:
        uas = subprocess.Popen(
            ["taskset", "-c", "1", "sipp", "-sn", "uas", "-p", str(OPS),
             "-i", "127.0.0.1", "-nostdin", "-buff_size", "4194304"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(uas)
        sw = subprocess.Popen(["taskset", "-c", "0", busyhour, "switch", yaml,
                               "--listen", "127.0.0.1:%d" % SIP,
                               "--http", "127.0.0.1:%d" % HTTP],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        procs.append(sw)
        if cgroup:
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write("%d\n" % sw.pid)
        thr0 = throttled(cgroup)
        time.sleep(0.5)
        t0, w0 = ticks(sw.pid), time.time()
        limit = seconds * 4 + 30  # SIPp's own bound: late calls fail
        sipp = subprocess.Popen(
            ["taskset", "-c", "1", "sipp", "-timeout", "%ds" % limit,
             "-sf", os.path.join(HERE, "overload_caller.xml"), "-s", "500",
             "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-r", str(rate),
             "-rp", "1000", "-m", str(calls), "-l", "60000", "-nostdin",
             "-buff_size", "4194304", "-max_socket", "100", "-d", "0",
             "-trace_logs", "-log_file", log],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(sipp)
        try:
            out = sipp.communicate(timeout=limit + 30)[0]
        except subprocess.TimeoutExpired:
            sipp.kill()
            out = sipp.communicate()[0]
        t1, w1 = ticks(sw.pid), time.time()
        thr = throttled(cgroup) - thr0
        metrics = ""
        for _ in range(10):  # a loaded machine may reset a connection
            try:
                metrics = urllib.request.urlopen(
                    "http://127.0.0.1:%d/metrics" % HTTP,
                    timeout=10).read().decode()
                break
            except OSError:
                time.sleep(1)
        sw.send_signal(signal.SIGTERM)
        sw.wait()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    events = {}
    if os.path.exists(log):
        for line in open(log):
            w = line.split()
            if w:
                events[w[0]] = events.get(w[0], 0) + 1
    m = re.search(r"Failed call\s*\|[^|]*\|\s*(\d+)", out)
    failed = int(m.group(1)) if m else -1
    cpu = (t1 - t0) / os.sysconf("SC_CLK_TCK")

    def metric(name):
        m = re.search(r"^%s (\d+)$" % name, metrics, re.M)
        return int(m.group(1)) if m else -1
    return {"offered": rate, "calls": calls,
            "connected": events.get("connected", 0),
            "goodput": events.get("connected", 0) / float(seconds),
            "shed": events.get("shed", 0), "busy": events.get("busy", 0),
            "failed": failed,
            "shed_cps": metric("bh_switch_shed_total"),
            "shed_lag": metric("bh_switch_overload_rejected_total"),
            "switch_cpu": cpu / (w1 - w0) if w1 > w0 else 0,
            "throttled": thr}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("busyhour")
    ap.add_argument("--rates", default="200,400,800,1600,3200")
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--max-cps", type=int, default=300)
    ap.add_argument("--operators", type=int, default=250)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quota", type=float, default=0.05,
                    help="the switch's CPU quota, cores (0: none)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bh_overload_")
    cgroup = make_cgroup(a.quota)
    print("max_cps=%d seconds=%d operators=%d repeat=%d quota=%s" %
          (a.max_cps, a.seconds, a.operators, a.repeat,
           "%.2f core" % a.quota if cgroup else "none"))
    try:
        sweep(a, tmp, cgroup)
    finally:
        if cgroup:
            os.rmdir(cgroup)


def sweep(a, tmp, cgroup):
    rates = [int(x) for x in a.rates.split(",")]
    runs = {}  # (rate, cps) -> [result]
    for rep in range(a.repeat):
        for rate in rates:
            for cps in ((a.max_cps, 0) if rep % 2 == 0 else (0, a.max_cps)):
                r = run(a.busyhour, rate, a.seconds, a.operators, cps, tmp,
                        cgroup)
                runs.setdefault((rate, cps), []).append(r)
                print("run=%d limit=%s offered=%d calls=%d connected=%d "
                      "goodput=%.0f shed=%d (max_cps %d, late tick %d) "
                      "busy=%d failed=%d switch_cpu=%.2f throttled=%d "
                      "loadavg=%s" %
                      (rep + 1, "max_cps" if cps else "none", r["offered"],
                       r["calls"], r["connected"], r["goodput"], r["shed"],
                       r["shed_cps"], r["shed_lag"], r["busy"], r["failed"],
                       r["switch_cpu"], r["throttled"],
                       open("/proc/loadavg").read().split()[0]), flush=True)

    def med(rate, cps, key):
        return statistics.median(r[key] for r in runs[(rate, cps)])
    print("summary (medians of %d runs):" % a.repeat)
    for rate in rates:
        g1, g0 = med(rate, a.max_cps, "goodput"), med(rate, 0, "goodput")
        print("offered=%d goodput_max_cps=%.0f failed_max_cps=%.0f "
              "cpu_max_cps=%.2f goodput_none=%.0f failed_none=%.0f "
              "cpu_none=%.2f goodput_ratio=%s" %
              (rate, g1, med(rate, a.max_cps, "failed"),
               med(rate, a.max_cps, "switch_cpu"), g0,
               med(rate, 0, "failed"), med(rate, 0, "switch_cpu"),
               "%.2f" % (g1 / g0) if g0 > 0 else "inf"))
    for cps in (a.max_cps, 0):
        best = max(med(rate, cps, "goodput") for rate in rates)
        last = med(rates[-1], cps, "goodput")
        print("limit=%s goodput_at_highest_over_best=%s" %
              ("max_cps" if cps else "none",
               "%.2f" % (last / best) if best > 0 else "n/a"))
    la = open("/proc/loadavg").read().split()[0]
    print("loadavg_1m=%s ncpu=%d" % (la, os.cpu_count()))


if __name__ == "__main__":
    main()
