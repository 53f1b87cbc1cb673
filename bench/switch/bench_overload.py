"""bench_overload.py: goodput of the reference switch when offered more
calls than it can take (issue 14, item 7).

Callers (SIPp, overload_caller.xml, on CPU 1) call a number whose queue
hands them to operators (one SIPp UAS behind N static contacts, on CPU 1
too); the switch runs on CPU 0. For each offered rate of the sweep, two
runs: the switch with `switch.limits.max_cps` set (new calls over it get
503 at once) and the same switch without it (max_cps 0: only the older
overload guard, which reacts to a late media tick), the peer the issue
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
and per rate the ratio goodput(max_cps) / goodput(no limit).

Usage: python3 bench_overload.py BUSYHOUR [--rates 1000,2000,4000,6000,
       8000,10000] [--seconds 5] [--max-cps 3000] [--operators 250]
Never part of ctest: the figures depend on the machine and its load."""
import argparse
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

from bench_switch import ticks  # the switch's CPU ticks from /proc

HERE = os.path.dirname(os.path.abspath(__file__))
SIP, CALLER, OPS, HTTP = 27260, 27261, 27270, 27262


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


def run(busyhour, rate, seconds, operators, max_cps, tmp):
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
        metrics = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % HTTP, timeout=10).read().decode()
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
            "switch_cpu": cpu / (w1 - w0) if w1 > w0 else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("busyhour")
    ap.add_argument("--rates", default="1000,2000,4000,6000,8000,10000")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--max-cps", type=int, default=3000)
    ap.add_argument("--operators", type=int, default=250)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bh_overload_")
    print("max_cps=%d seconds=%d operators=%d" % (a.max_cps, a.seconds,
                                                   a.operators))
    for rate in [int(x) for x in a.rates.split(",")]:
        res = {}
        for cps in (a.max_cps, 0):
            r = run(a.busyhour, rate, a.seconds, a.operators, cps, tmp)
            res[cps] = r
            print("limit=%s offered=%d calls=%d connected=%d goodput=%.0f "
                  "shed=%d (max_cps %d, late tick %d) busy=%d failed=%d "
                  "switch_cpu=%.2f" %
                  ("max_cps" if cps else "none", r["offered"], r["calls"],
                   r["connected"], r["goodput"], r["shed"], r["shed_cps"],
                   r["shed_lag"], r["busy"],
                   r["failed"], r["switch_cpu"]), flush=True)
        peer = res[0]["goodput"]
        print("offered=%d goodput_ratio=%s" %
              (rate, "%.2f" % (res[a.max_cps]["goodput"] / peer)
               if peer > 0 else "inf"), flush=True)
    la = open("/proc/loadavg").read().split()[0]
    print("loadavg_1m=%s ncpu=%d" % (la, os.cpu_count()))


if __name__ == "__main__":
    main()
