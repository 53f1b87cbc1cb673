"""test_segments.py: `busyhour load --segment 1/2` and `2/2`, run at the
same time against the reference switch, place exactly the arrivals of
one unsegmented run (compared by source, caller and the model's time: every
arrival in one segment, none in both, none missing), and `busyhour report
--merge` of their results files gives the one run's offered calls (but
for a call started late past the end) and its blocking within sampling;
a bad
--segment is a usage error."""
import json
import math
import os
import subprocess
import sys
import tempfile

from driverlib import Load, Switch, check, free_ports, harness, scenario

busyhour = sys.argv[1]
(port,) = free_ports(1)
sc = scenario("segments.yaml")
sw = Switch(busyhour, sc, port)
sw.wait_ready()
target = "127.0.0.1:%d" % port
whole = Load(busyhour, sc, target, ["--duration", "8s"])


def start(seg):
    tmp = tempfile.mkdtemp(prefix="bh_seg_")
    paths = {k: os.path.join(tmp, k) for k in ("json", "records", "calls")}
    cmd = [busyhour, "load", sc, "--target", target, "--duration", "8s",
           "--segment", seg, "--json", paths["json"], "--records",
           paths["records"], "--calls", paths["calls"]]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    harness._children.append(p)
    return p, paths


runs = [start("1/2"), start("2/2")]
for p, _ in runs:
    out, err = p.communicate()
    print(out + err)
    check(p.returncode == 0, "segment run exits 0 (got %d)" % p.returncode)
bad = subprocess.run([busyhour, "load", sc, "--target", target,
                      "--segment", "3/2"], capture_output=True, text=True,
                     timeout=60)
sw.stop()
check(whole.rc == 0, "the whole run exits 0")
check(bad.returncode == 2 and "--segment" in bad.stderr,
      "--segment 3/2 is a usage error (%d: %s)" % (bad.returncode,
                                                   bad.stderr))


def arrivals(records_path, calls_path):
    """(source, class, subscriber, attempt, the model's time) of each
    attempt: --calls gives the time the traffic model gave it ("due")."""
    import csv
    with open(calls_path) as f:
        due = {c["id"]: float(c["due"]) for c in csv.DictReader(f)}
    out = []
    with open(records_path) as f:
        for r in csv.DictReader(f):
            out.append((r["source"], r["caller_class"], r["subscriber"],
                        r["attempt"], due[r["id"]]))
    return out


def same(a, b):
    return a[:4] == b[:4] and abs(a[4] - b[4]) < 2e-6


w = sorted(arrivals(whole.records, whole.calls_path), key=lambda x: x[4])
parts = [sorted(arrivals(p["records"], p["calls"]), key=lambda x: x[4])
         for _, p in runs]
check(len(w) > 40, "the whole run placed calls (%d)" % len(w))
check(all(len(s) > len(w) // 5 for s in parts),
      "each segment placed a share (%s of %d)" % ([len(s) for s in parts],
                                                 len(w)))
union = sorted(parts[0] + parts[1], key=lambda x: x[4])
check(len(union) == len(w), "the segments place as many arrivals as one "
      "run (%d + %d vs %d)" % (len(parts[0]), len(parts[1]), len(w)))
check(all(same(a, b) for a, b in zip(union, w)),
      "the segments' arrivals together are the run's, one for one")
# disjoint: no arrival in both segments
t0 = {round(x[4], 6) for x in parts[0]}
check(not any(round(x[4], 6) in t0 for x in parts[1]),
      "no arrival in both segments")

merged = os.path.join(tempfile.mkdtemp(prefix="bh_merge_"), "merged.json")
p = subprocess.run([busyhour, "report", runs[1][1]["json"],
                    runs[0][1]["json"], "--merge", merged, "--scenario", sc,
                    "--exit-zero"], capture_output=True, text=True,
                   timeout=120)
print(p.stdout + p.stderr)
check(p.returncode == 0, "report --merge exits 0: " + p.stderr)
m = json.load(open(merged))["targets"]["desk"]
o = whole.results()["targets"]["desk"]
# a call due just before the span's end that starts a little late falls
# outside the results (their arrival is the INVITE's time): one or two
check(abs(m["offered"] - o["offered"]) <= 2, "merged offered calls are "
      "the run's, but for starts past the end (%s vs %s)"
      % (m["offered"], o["offered"]))
n = o["offered"]
for key in ("blocking",):
    a, b = m[key]["mean"], o[key]["mean"]
    pbar = (a + b) / 2
    tol = 3.3 * math.sqrt(max(pbar * (1 - pbar), 0.01) * 2 / n)
    check(abs(a - b) <= tol, "merged %s %.3f is the run's %.3f within "
          "sampling (99.9%%: %.3f)" % (key, a, b, tol))
check(m["answered"] + m["blocked"] == m["offered"],
      "merged calls are answered or busy")
