"""test_export.py: `busyhour export sipp` on segments.yaml (one number,
20 lines, 8 calls a second holding 2 s on average, exponential): the XML
and injection CSV it writes run with `sipp -sf -inf` against `busyhour
switch` on 127.0.0.1 for a bounded number of calls (-m) without a failed
call; each answered call's talk time in the switch's CDR is its own line
of the CSV (the pause reads the holding time the model drew); busy
callers are ACKed. Also: the scenarios in scenarios/ export, and bad
usage exits 2."""
import glob
import os
import re
import subprocess
import sys
import tempfile

from driverlib import Switch, check, free_ports, harness, scenario

busyhour = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "..")
out = tempfile.mkdtemp(prefix="bh_export_")
sc = scenario("segments.yaml")
p = subprocess.run([busyhour, "export", "sipp", sc, out],
                   capture_output=True, text=True, timeout=60)
print(p.stdout + p.stderr)
check(p.returncode == 0, "export exits 0")
xml, csv = os.path.join(out, "desk.xml"), os.path.join(out, "desk.csv")
check(os.path.exists(xml) and os.path.exists(csv), "desk.xml and desk.csv "
      "written")
text = open(xml).read()
m = re.search(r"-r (\d+) -rp 3600000 -m (\d+)", text)
check(m is not None, "the XML's comment gives the command line")
rate, calls = int(m.group(1)), int(m.group(2))
check(rate == 28800, "the rate is the scenario's 28800 calls an hour "
      "(got %d)" % rate)
check("SIPp spaces calls evenly" in text and "cannot follow" in text,
      "the limits are written in the XML")
lines = open(csv).read().split("\n")
check(lines[0] == "SEQUENTIAL", "the CSV is a SIPp injection file")
hold = [int(x.rstrip(";")) for x in lines[1:] if x.strip()]
check(len(hold) == calls and len(hold) > 100,
      "one holding time per call of the busiest interval (%d)" % len(hold))
mean = sum(hold) / len(hold)
check(len(set(hold)) > len(hold) // 2 and 1000 < mean < 3000,
      "holding times drawn from the model's exponential of mean 2 s "
      "(mean %.0f ms)" % mean)

(port,) = free_ports(1)
sw = Switch(busyhour, sc, port)
sw.wait_ready()
n = 20
rc, _, err = harness.sipp(["-sf", xml, "-inf", csv, "-r", str(rate), "-rp",
                           "3600000", "-m", str(n), "-i", "127.0.0.1",
                           "127.0.0.1:%d" % port])
sw.stop()
print(err)
check(rc == 0, "sipp -sf ran %d calls without a failed one (exit %d)"
      % (n, rc))
rows = sw.rows()
check(len(rows) == n, "the switch saw the %d calls (%d rows)"
      % (n, len(rows)))
answered = [r for r in rows if r["outcome"] == "answered"]
check(answered, "some calls were answered")
# SIPp's Call-ID is "<call number>-<pid>@<ip>"; call k reads CSV line k
talks = [(int(r["call_id"].split("-")[0]), r["talk"]) for r in answered]
check(all(abs(t - hold[k - 1] / 1000.0) < 0.25 for k, t in talks),
      "each answered call talked for its own CSV holding time (%s)"
      % [(round(t, 3), hold[k - 1]) for k, t in talks])
check(all(r["outcome"] in ("answered", "blocked") for r in rows),
      "every call answered or busy (%s)"
      % sorted({r["outcome"] for r in rows}))

for path in sorted(glob.glob(os.path.join(SRC, "scenarios", "*.yaml"))):
    d = tempfile.mkdtemp(prefix="bh_export_")
    p = subprocess.run([busyhour, "export", "sipp", path, d],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "export %s exits 0: %s"
          % (os.path.basename(path), p.stderr))
    for x in glob.glob(os.path.join(d, "*.xml")):
        v = subprocess.run(["xmllint", "--noout", x], capture_output=True,
                           text=True) if os.path.exists("/usr/bin/xmllint") \
            else None
        check(v is None or v.returncode == 0, "%s is well-formed XML" % x)
for args in (["export"], ["export", "pcap", sc, out],
             ["export", "sipp", sc], ["export", "sipp", "/nonexistent.yaml",
                                      out],
             ["export", "sipp", sc, "/proc/no/such/dir"]):
    p = subprocess.run([busyhour] + args, capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 2 and p.stderr.strip(),
          "%s exits 2 with a message (%d: %s)"
          % (" ".join(args[:2]), p.returncode, p.stderr.strip()))
