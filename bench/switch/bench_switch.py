"""bench_switch.py: call setup rate of the reference switch on one core.

Starts `busyhour switch` pinned to CPU 0 and SIPp (uac, its built-in
scenario: INVITE, 200, ACK, BYE, 200) pinned to CPU 1, at a target rate,
and reports in a stable key=value format:

  mode          answer: a number without a queue answers at once
                queue:  a queue whose operators (one SIPp UAS behind N
                        static contacts) answer at once; the callers
                        (tests/integration/switch/queue_caller.xml) wait
                        for the UPDATE that says an operator answered
  rate_target   calls per second asked of SIPp
  rate_achieved SIPp's successful calls / its elapsed time
  calls_ok, calls_failed   SIPp's counts; cdr_* the switch's CDR outcomes
  cpu_s         switch user+system CPU seconds during the run
  cpu_util      cpu_s / wall seconds (1.0 = one core)
  setups_per_cpu_s  calls_ok / cpu_s: what one core sustains
  share_*       with --perf: perf samples of the switch by area (SIP
                parsing, transactions, call logic, media, CDR/SQLite,
                kernel network, libevent, other)

Usage: python3 bench_switch.py BUSYHOUR [--mode answer|queue]
       [--rate 5000] [--calls 50000] [--operators 250] [--hold MS] [--perf]
Never part of ctest: numbers depend on the machine and its load."""
import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIP, CALLER, OPS = 27160, 27161, 27170


def ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime


def scenario(path, mode, operators, ring_timeout="5s"):
    with open(path, "w") as f:
        f.write("name: bench-%s\nswitch:\n  numbers:\n"
                "    - name: bench\n      number: \"500\"\n"
                "      lines: 100000\n" % mode)
        if mode == "queue":
            f.write("      queue:\n        operators: %d\n"
                    "        strategy: round-robin\n"
                    "        ring_timeout: %s\n        contacts:\n" %
                    (operators, ring_timeout))
            for i in range(operators):
                f.write("          - \"sip:op%d@127.0.0.1:%d\"\n" % (i, OPS))
        f.write("traffic:\n  - name: callers\n    to: bench\n"
                "    profile: { \"00:00\": 60 }\n"
                "    holding: { dist: deterministic, value: 1s }\n")


AREAS = [
    ("parse", re.compile(r"^bh_sip_(parse|scan|uri|header|param|contacts|"
                         r"nameaddr|unescape)|^bh_sdp_parse|^lex_|"
                         r"^parse_|^hdr_|^check_|^find_crlf|^bh_sip_lex")),
    ("build", re.compile(r"^bh_sip_build|^bh_sdp_build|^put|^top_via|"
                         r"printf|^_IO_|^__strchrnul|^__vfprintf")),
    ("transactions", re.compile(r"^sw_(stx|ctx|htab|hash)|^stx_|^ctx_|"
                                r"^arm$|^ack_non2xx|^orphan_2xx")),
    ("call_logic", re.compile(r"^sw_(call|answer|sip|dialog|number|leg|"
                              r"response)|^handle_request|^call_|"
                              r"^cdr_add|^leg_|^dialog_|^find_number|"
                              r"^bh_switch_(lines|acd)|^accepts_sdp|"
                              r"^media_type_is|^ring_operator|^operator_")),
    ("media", re.compile(r"^sw_(rtp|play|media|sdp)|^on_play|^on_rtp|"
                         r"^send_rtp|^relay|^bh_rtp|^bh_g711|^bh_sdp_answer")),
    ("cdr_sqlite", re.compile(r"sqlite|^bh_switch_cdr|^sw_cdr_flush|"
                              r"^pager|^btree|^vdbe", re.I)),
    ("libevent", re.compile(r"^event_|^evmap|^epoll_|^min_heap|^evutil|"
                            r"^timeout_|^evhttp")),
    ("malloc", re.compile(r"malloc|free|^_int_|calloc|realloc|^tcache")),
]


def perf_shares(data):
    out = subprocess.run(["perf", "report", "-i", data, "--no-children",
                          "--sort", "symbol", "--stdio", "-g", "none"],
                         capture_output=True, text=True).stdout
    shares = {a: 0.0 for a, _ in AREAS}
    shares["kernel"] = shares["other"] = 0.0
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[(.)\]\s+(\S+)", line)
        if not m:
            continue
        pct, space, sym = float(m.group(1)), m.group(2), m.group(3)
        if space == "k":
            shares["kernel"] += pct
            continue
        for area, rx in AREAS:
            if rx.search(sym):
                shares[area] += pct
                break
        else:
            shares["other"] += pct
    return shares


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("busyhour")
    ap.add_argument("--mode", default="answer", choices=["answer", "queue"])
    ap.add_argument("--rate", type=int, default=5000)
    ap.add_argument("--calls", type=int, default=50000)
    ap.add_argument("--operators", type=int, default=250)
    ap.add_argument("--hold", type=int, default=-1,
                    help="ms a caller talks once answered (queue: once an "
                    "operator is connected); SIPp -d, default 0")
    ap.add_argument("--perf", action="store_true")
    ap.add_argument("--uas-cpu", default="1",
                    help="CPU for the operators' SIPp (queue mode)")
    ap.add_argument("--ring-timeout", default="5s",
                    help="queue ring_timeout (an operator that does not "
                    "answer is skipped)")
    a = ap.parse_args()
    if a.hold < 0:
        a.hold = 0
    tmp = tempfile.mkdtemp(prefix="bh_bench_")
    yaml = os.path.join(tmp, "bench.yaml")
    scenario(yaml, a.mode, a.operators, a.ring_timeout)
    cdr = os.path.join(tmp, "cdr.sqlite")
    procs = []
    try:
        if a.mode == "queue":
            procs.append(subprocess.Popen(
                ["taskset", "-c", a.uas_cpu, "sipp", "-sn", "uas", "-p",
                 str(OPS),
                 "-i", "127.0.0.1", "-nostdin", "-buff_size", "4194304"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        sw = subprocess.Popen(["taskset", "-c", "0", a.busyhour, "switch",
                               yaml, "--listen", "127.0.0.1:%d" % SIP,
                               "--cdr", cdr], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        procs.append(sw)
        time.sleep(0.5)
        perf = None
        if a.perf:
            perf = subprocess.Popen(["perf", "record", "-g", "-o",
                                     os.path.join(tmp, "perf.data"), "-p",
                                     str(sw.pid)],
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(0.3)
        t0, w0 = ticks(sw.pid), time.time()
        # Queue callers wait for the switch's UPDATE (operator connected)
        # before their hold time starts: the tests' queue caller.
        caller = (["-sf", os.path.join(HERE, "..", "..", "tests",
                                       "integration", "switch",
                                       "queue_caller.xml")]
                  if a.mode == "queue" else ["-sn", "uac"])
        # Bounded: SIPp's -timeout ends a run that falls behind (its
        # calls then count as failed).
        limit = a.calls // max(a.rate, 1) * 4 + 60
        sipp = subprocess.Popen(
            ["taskset", "-c", "1", "sipp", "-timeout", "%ds" % limit] +
            caller + ["-s", "500",
             "127.0.0.1:%d" % SIP, "-p", str(CALLER), "-r", str(a.rate),
             "-rp", "1000", "-m", str(a.calls), "-l", "20000", "-nostdin",
             "-buff_size", "4194304", "-max_socket", "100", "-d",
             str(a.hold)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(sipp)
        try:
            out = sipp.communicate(timeout=limit + 30)[0]
        except subprocess.TimeoutExpired:
            sipp.kill()
            out = sipp.communicate()[0]
        t1, w1 = ticks(sw.pid), time.time()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        sw.send_signal(signal.SIGTERM)
        rc = sw.wait()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def stat(name):
        m = re.search(r"%s\s*\|[^|]*\|\s*([\d.]+)" % name, out)
        return float(m.group(1)) if m else -1

    hz = os.sysconf("SC_CLK_TCK")
    cpu = (t1 - t0) / hz
    wall = w1 - w0
    ok, failed = stat("Successful call"), stat("Failed call")
    db = sqlite3.connect(cdr)
    outcomes = dict(db.execute("SELECT outcome, count(*) FROM calls "
                               "GROUP BY outcome").fetchall())
    print("mode=%s" % a.mode)
    print("rate_target=%d" % a.rate)
    print("hold_ms=%d" % a.hold)
    print("rate_achieved=%.0f" % stat("Call Rate"))
    print("calls_ok=%d" % ok)
    print("calls_failed=%d" % failed)
    for k in sorted(outcomes):
        print("cdr_%s=%d" % (k, outcomes[k]))
    print("switch_exit=%d" % rc)
    print("wall_s=%.2f" % wall)
    print("cpu_s=%.2f" % cpu)
    print("cpu_util=%.2f" % (cpu / wall if wall > 0 else 0))
    print("setups_per_cpu_s=%.0f" % (ok / cpu if cpu > 0 else 0))
    la = open("/proc/loadavg").read().split()[0]
    print("loadavg_1m=%s ncpu=%d" % (la, os.cpu_count()))
    if a.perf:
        for k, v in perf_shares(os.path.join(tmp, "perf.data")).items():
            print("share_%s=%.1f%%" % (k, v))


if __name__ == "__main__":
    main()
