#!/usr/bin/env python3
"""test_report.py: `busyhour report` end to end.

usage: test_report.py BUSYHOUR SOURCE_DIR WORK_DIR CASE

Cases:
  broken     every file in tests/data/results/broken/ gives exit 2 and a
             one-line FILE[:LINE:COLUMN]: message naming what is wrong;
             none crashes (the binary runs under the sanitizers)
  failing    a failing threshold gives exit 1 and a JUnit <failure> naming
             the metric, value and limit; a passing file gives exit 0
  outputs    --md/--csv/--junit files of side-by-side results are complete
  chromium   report --html of each bundled scenario's sample results: the
             page opens in headless Chromium, its DOM has non-empty SVG
             charts, a screenshot is taken, and the file holds no http(s)
             URL but the SVG namespace declarations; several files side
             by side; a missing gnuplot is a clear error
  analytic   --analytic figures beside results files and alone, on every
             bundled scenario and on a hand-checked tiny one
  records    busyhour sim --records with one replication: the records'
             costs add up to the results' costs to the micro-unit; the
             header is the help's column list, warm-up rows are flagged
             (and rated nowhere), the others are the results' offered
             calls; the summary's thresholds are in %
  sim_report busyhour sim on each bundled scenario, then the same checks on
             the HTML report of what it wrote
  schema     results written by busyhour sim, and the sample files, are
             valid against reports/results.schema.json
  compare    busyhour plan and busyhour sim of one bundled scenario side by
             side with --analytic: each column at its own capacity (a
             capacity row per column, headings claim none), one analytic
             column per capacity that equals the formulas on a copy of
             the scenario edited to that capacity, thresholds and JUnit
             suites per column at it, the plan's now-vs-recommended table;
             results of another scenario or another version of the file
             are warned about (report and stderr), the same file's not
  merge      --merge: two load segments' files (made from a sample, with
             wait histograms) merge into one file whose counts are the
             sums, shares recomputed from them, histograms merged, valid
             for the schema and rendered; a segment given twice, a sim
             file or a missing segment exit 2 with the reason
"""
import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BUSYHOUR, SRC, WORK, CASE = sys.argv[1:5]
DATA = os.path.join(SRC, "tests", "data", "results")
SCENARIOS = sorted(glob.glob(os.path.join(SRC, "scenarios", "*.yaml")))
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, **kw):
    return subprocess.run([BUSYHOUR] + args, capture_output=True, text=True,
                          timeout=600, **kw)


def report(args, **kw):
    return run(["report"] + args, **kw)


def sanitizer_clean(p, what):
    err = p.stderr or ""
    check("Sanitizer" not in err and "runtime error" not in err,
          what + ": sanitizer report\n" + err[-2000:])


# What each broken file's message must say (a location or the JSON path).
EXPECT = {
    "array-top.json": "expected a results object",
    "bad-sl-key.json": ".targets.hotline.wait.service_level.soon",
    "bad-source.json": ".source",
    "bad-utf8.json": ":1:",
    "binary.json": ":1:",
    "costs-incomplete.json": ".costs.per_call",
    "duplicate-key.json": ":5:",
    "empty.json": ":1",
    "huge-number.json": ":18:",
    "interval-count-mismatch.json": ".targets.second.intervals",
    "inverted-ci.json": ".targets.hotline.blocking.ci95",
    "missing-targets.json": ".targets",
    "missing-wait.json": ".targets.hotline.wait",
    "name-too-long.json": "target name",
    "nan-literal.json": ":17:22:",
    "negative-count.json": ".targets.hotline.offered",
    "not-json.json": ":1:1:",
    "share-out-of-range.json": ".targets.hotline.blocking.mean",
    "threshold-pass-string.json": ".thresholds[0].pass",
    "trailing-garbage.json": ":26:",
    "truncated-in-string.json": "malformed JSON",
    "truncated.json": "malformed JSON",
    "wrong-type.json": ".targets.hotline.blocking.mean",
}


def case_broken():
    files = sorted(glob.glob(os.path.join(DATA, "broken", "*.json")))
    check(len(files) >= 8, "at least 8 broken results files")
    for f in files:
        name = os.path.basename(f)
        for extra in ([], ["--html", os.path.join(WORK, "x.html")]):
            p = report([f] + extra)
            sanitizer_clean(p, name)
            check(p.returncode == 2, f"{name}: exit {p.returncode}, not 2")
            lines = p.stderr.strip().splitlines()
            check(len(lines) == 1, f"{name}: one line of error: {p.stderr!r}")
            check(lines and lines[0].startswith(f),
                  f"{name}: message starts with the file: {p.stderr!r}")
            want = EXPECT.get(name)
            check(want is not None, f"{name}: has an expectation")
            if want:
                check(want in p.stderr, f"{name}: {want!r} in {p.stderr!r}")
            check(p.stdout == "", f"{name}: nothing on stdout")
            check(not os.path.exists(os.path.join(WORK, "x.html")),
                  f"{name}: no HTML written")
    # A missing file and bad usage are exit 2 too.
    p = report([os.path.join(WORK, "nonexistent.json")])
    check(p.returncode == 2 and "cannot open" in p.stderr, "missing file")
    p = report([])
    check(p.returncode == 2, "no arguments: exit 2")
    p = report([os.path.join(DATA, "minimal.json"), "--bogus"])
    check(p.returncode == 2 and "--bogus" in p.stderr, "unknown option")
    p = report([os.path.join(DATA, "minimal.json"), "--html"])
    check(p.returncode == 2 and "needs a value" in p.stderr, "missing value")
    p = report(["--help"])
    check(p.returncode == 0, "--help exits 0")
    for opt in ("--html", "--csv", "--junit", "--md", "--scenario"):
        check(opt in p.stdout, f"--help describes {opt}")


def case_failing():
    junit = os.path.join(WORK, "failing.xml")
    p = report([os.path.join(DATA, "failing.json"), "--junit", junit])
    sanitizer_clean(p, "failing")
    check(p.returncode == 1, f"failing threshold: exit {p.returncode}, not 1")
    root = ET.parse(junit).getroot()
    check(root.tag == "testsuites", "JUnit root")
    cases = root.findall(".//testcase")
    check(len(cases) == 4, "one test case per threshold")
    fails = [c for c in cases if c.find("failure") is not None]
    check(len(fails) == 2, "two failures")
    f = cases[0].find("failure")
    check(f is not None, "blocking threshold failed")
    if f is not None:
        msg = f.get("message")
        check("hotline.blocking" in msg, "failure names the metric")
        check("6.10%" in msg, "failure names the value (upper bound)")
        check("< 1.00%" in msg, "failure names the limit")
        check("value: 0.061" in f.text and "limit: < 0.01" in f.text,
              "failure body has raw value and limit")
    f = cases[1].find("failure")
    check(f is not None and "58.00%" in f.get("message") and
          ">= 80.00%" in f.get("message") and "lower" in f.get("message"),
          "service level failure on the lower bound")
    check(cases[2].find("failure") is None, "abandonment passes")
    # Markdown to stdout by default, with the verdict first.
    p = report([os.path.join(DATA, "failing.json")])
    check(p.returncode == 1, "md only: exit 1")
    check("**Verdict: FAIL** - 2 of 4" in p.stdout, "md verdict")
    # --exit-zero: the same verdict in the outputs, exit 0.
    p = report([os.path.join(DATA, "failing.json"), "--exit-zero"])
    check(p.returncode == 0, f"--exit-zero: exit {p.returncode}, not 0")
    check("**Verdict: FAIL** - 2 of 4" in p.stdout, "--exit-zero verdict")
    p = report([os.path.join(DATA, "broken", "truncated.json"), "--exit-zero"])
    check(p.returncode == 2, "--exit-zero: bad input still exits 2")
    # A passing file: exit 0; the failing one second does not change that.
    p = report([os.path.join(DATA, "minimal.json"),
             os.path.join(DATA, "failing.json"), "--junit", junit])
    check(p.returncode == 0, "first file passes: exit 0")
    root = ET.parse(junit).getroot()
    check(len(root.findall("testsuite")) == 2, "one suite per results file")
    # Thresholds evaluated again from a scenario (--scenario).
    if SCENARIOS:
        sc = os.path.join(SRC, "scenarios", "hotline-8800.yaml")
        sim = os.path.join(DATA, "hotline-8800.sim.json")
        if os.path.exists(sc) and os.path.exists(sim):
            p = report([sim, "--scenario", sc, "--junit", junit])
            check(p.returncode in (0, 1), "--scenario works")
            n = len(ET.parse(junit).getroot().findall(".//testcase"))
            check(n >= 1, "--scenario thresholds as test cases")


def case_outputs():
    sim = os.path.join(DATA, "hotline-8800.sim.json")
    ana = os.path.join(DATA, "hotline-8800.analytic.json")
    out = os.path.join(WORK, "csv")
    shutil.rmtree(out, ignore_errors=True)
    md = os.path.join(WORK, "r.md")
    p = report([sim, ana, "--csv", out, "--md", md])
    sanitizer_clean(p, "outputs")
    check(p.returncode in (0, 1), f"outputs: exit {p.returncode}")
    text = open(md).read()
    check("| sim (hotline-8800.sim.json) | analytic (hotline-8800.analytic."
          "json) |" in text, "md puts files side by side")
    check(re.search(r"\| blocking \| [0-9.]+% \[[0-9.]+, [0-9.]+\] \|", text)
          is not None, "md shows intervals")
    sim_j = json.load(open(sim))
    rows = list(csv.DictReader(open(os.path.join(out, "intervals.csv"))))
    per = {}
    for r in rows:
        per.setdefault((r["results"], r["target"]), 0)
        per[(r["results"], r["target"])] += 1
    for name, t in sim_j["targets"].items():
        check(per.get(("sim (hotline-8800.sim.json)", name)) ==
              len(t["intervals"]), f"intervals.csv rows for {name}")
    check("blocking_lo" in rows[0] and "clock" in rows[0], "csv columns")
    cls = list(csv.DictReader(open(os.path.join(out, "classes.csv"))))
    check(len(cls) >= len(sim_j["costs"]["by_class"]), "classes.csv rows")
    tot = sum(float(r["cost"]) for r in cls
              if r["results"].startswith("sim"))
    check(abs(tot - (sim_j["costs"]["total"] -
                     sim_j["costs"]["line_rental"])) < 0.05,
          f"classes add up to the total less rental ({tot})")
    tg = list(csv.DictReader(open(os.path.join(out, "targets.csv"))))
    check(len(tg) == 2 * len(sim_j["targets"]), "targets.csv rows")


def case_analytic():
    """--analytic: the formulas' figures beside a results file, or alone,
    for every bundled scenario; never crashes; thresholds the formulas
    cannot judge are left out."""
    for sc in SCENARIOS:
        name = os.path.splitext(os.path.basename(sc))[0]
        md = os.path.join(WORK, name + ".analytic.md")
        p = report(["--scenario", sc, "--analytic", "--md", md, "--junit",
                    os.path.join(WORK, name + ".analytic.xml"), "--csv",
                    os.path.join(WORK, name + "-analytic-csv")])
        sanitizer_clean(p, "analytic " + name)
        check(p.returncode in (0, 1), f"analytic {name}: exit {p.returncode}"
              f" {p.stderr}")
        text = open(md).read() if os.path.exists(md) else ""
        check("| analytic (Erlang) |" in text, f"{name}: analytic column")
        check("cost." not in text.split("## ")[1] if "## " in text else True,
              f"{name}: no cost threshold judged analytically")
        sample = os.path.join(DATA, name + ".sim.json")
        if os.path.exists(sample):
            p = report([sample, "--scenario", sc, "--analytic"])
            check(p.returncode in (0, 1), f"{name}: sim + analytic")
            check(re.search(r"\| figure \| sim \(" + re.escape(name) +
                            r"\.sim\.json\) \| analytic \(Erlang\) \|",
                            p.stdout) is not None,
                  f"{name}: sim and analytic side by side")
    p = report(["--analytic"])
    check(p.returncode == 2 and "--scenario" in p.stderr,
          "--analytic without --scenario")
    # Hand check on a scenario small enough to reason about: 10 lines, no
    # queue, 60 calls/h of 3 min all day: 3 Erlangs; Erlang B(3, 10) =
    # 0.000810 (tables).
    sc = os.path.join(WORK, "tiny.yaml")
    with open(sc, "w") as f:
        f.write("""name: tiny
horizon: 1h
interval: 30m
seed: 1
switch:
  numbers:
    - { name: city, number: "100", lines: 10, payer: caller }
traffic:
  - name: callers
    to: city
    profile: { "00:00": 60 }
    holding: { dist: exponential, mean: 3m }
    callers:
      - { share: 100%, origin: local }
thresholds:
  - city.blocking < 0.1%
sim: { replications: 2, warmup: 0 }
""")
    p = report(["--scenario", sc, "--analytic"])
    check(p.returncode == 0, f"tiny: exit {p.returncode} {p.stderr}")
    check("| blocking | 0.081% |" in p.stdout, "tiny: Erlang B(3 E, 10) = "
          "0.081% " + p.stdout[-1500:])
    check("| offered load | 3.00 E |" in p.stdout, "tiny: 3 Erlangs")
    check("| offered calls | 60 |" in p.stdout, "tiny: 60 calls an hour")
    # busyhour plan simulates at the recommended capacity: the report of
    # its results still calls the scenario's 10 lines today's.
    plan = os.path.join(WORK, "tiny.plan.json")
    strict = os.path.join(WORK, "tiny-strict.yaml")
    # A day of 20 replications, 28,800 calls: enough to show 0.05%, which
    # Erlang B puts at 11 lines (B(3, 10) = 0.081%, B(3, 11) = 0.022%).
    with open(sc) as f, open(strict, "w") as g:
        g.write(f.read().replace("city.blocking < 0.1%",
                                 "city.blocking < 0.05%")
                .replace("horizon: 1h", "horizon: 1d")
                .replace("replications: 2,", "replications: 20,"))
    sc = strict
    p = run(["plan", sc, "--json", plan])
    # plan meets the target on the pooled figure; the verdict at its
    # recommendation judges the upper bound and may still say FAIL (exit 1).
    check(p.returncode in (0, 1), f"tiny plan: exit {p.returncode} {p.stderr}")
    rec = json.load(open(plan))["plan"][0]
    check(rec["now"] == 10 and rec["recommended"] > 10,
          f"tiny plan recommends more than 10 lines: {rec}")
    p = report([plan, "--scenario", sc, "--md", "-", "--exit-zero"])
    check(p.returncode == 0, f"tiny plan report: exit {p.returncode}")
    check(f"- city: 10 lines today, {rec['recommended']} recommended"
          in p.stdout, "plan report: today's capacity is the scenario's: "
          + p.stdout[-800:])
    # plan on every bundled scenario: exit 0, or 1 when a threshold still
    # fails at the recommended capacities (plan says which; the bundled
    # hotline's cost target does), a row per capacity either way, nothing
    # aborted by a numerical library.
    for path in SCENARIOS:
        name = os.path.basename(path)[:-5]
        out = os.path.join(WORK, name + ".plan.json")
        p = run(["plan", path, "--json", out])
        sanitizer_clean(p, f"plan {name}")
        check(p.returncode in (0, 1), f"plan {name}: exit {p.returncode} "
              + p.stderr[-400:])
        if p.returncode in (0, 1):
            rows = json.load(open(out))["plan"]
            check(rows and all(r["recommended"] >= 1 for r in rows),
                  f"plan {name}: rows {rows}")
    # A queue: 2 operators, 1 min calls at 60/h (1 Erlang), no patience.
    # With 2 lines nobody waits: Erlang B(1, 2) = 0.5 / 2.5 = 20%. With 4
    # lines, M/M/2/4: p ~ 1, 1, 1/2, 1/4, 1/8, so blocking = 0.125 / 2.875
    # = 4.35% and occupancy = (1 + 2 (1/2 + 1/4 + 1/8)) / 2 / 2.875.
    for lines, want_b, want_o in ((2, "20.00%", "40.00%"),
                                  (4, "4.35%", "47.83%")):
        with open(sc, "w") as f:
            f.write(f"""name: queue
horizon: 1h
interval: 1h
seed: 1
switch:
  numbers:
    - name: desk
      number: "200"
      lines: {lines}
      payer: caller
      queue: {{ operators: 2, wrap_up: 0s }}
traffic:
  - name: callers
    to: desk
    profile: {{ "00:00": 60 }}
    holding: {{ dist: exponential, mean: 1m }}
    callers:
      - {{ share: 100%, origin: local }}
sim: {{ replications: 2, warmup: 0 }}
""")
        p = report(["--scenario", sc, "--analytic"])
        check(p.returncode == 0, f"queue {lines}: exit {p.returncode} "
              + p.stderr)
        check(f"| blocking | {want_b} |" in p.stdout,
              f"queue {lines}: blocking {want_b}: " + p.stdout[-1200:])
        check(f"| occupancy | {want_o} |" in p.stdout,
              f"queue {lines}: occupancy {want_o}")


# http(s) URLs other than the SVG namespace declarations.
URL = re.compile(r"https?://[^\s\"'<>)]*")
ALLOWED = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def chromium():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(c):
            return shutil.which(c)
    return None


def open_in_chromium(html, png):
    exe = chromium()
    check(exe is not None, "chromium is installed (Debian package chromium)")
    if not exe:
        return ""
    prof = tempfile.mkdtemp(prefix="bh-chromium-")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + prof]
    url = "file://" + os.path.abspath(html)
    try:
        dom = subprocess.run([exe] + flags + ["--dump-dom", url],
                             capture_output=True, text=True, timeout=180)
        shot = subprocess.run([exe] + flags + ["--window-size=1100,3000",
                                               "--screenshot=" + png, url],
                              capture_output=True, text=True, timeout=180)
        check(shot.returncode == 0, f"screenshot of {html}")
        check(os.path.exists(png) and os.path.getsize(png) > 20000,
              f"screenshot {png} has content")
        return dom.stdout
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def check_page(html, dom, min_charts):
    text = open(html, encoding="utf-8").read()
    bad = [u for u in URL.findall(text) if u not in ALLOWED]
    check(not bad, f"{html}: external URLs {bad[:5]}")
    check(not re.search(r"<(script|link|img|iframe)\b", text),
          f"{html}: no script, link, img or iframe")
    svgs = re.findall(r"<svg\b.*?</svg>", dom, re.S)
    check(len(svgs) >= min_charts,
          f"{html}: {len(svgs)} charts in the DOM, want >= {min_charts}")
    for i, s in enumerate(svgs):
        paths = re.findall(r"<path\b[^>]*\bd=\"([^\"]*)\"", s)
        drawn = [d for d in paths if len(d.strip()) > 10]
        check(len(drawn) >= 3, f"{html}: chart {i} has drawn paths")
    check("id=\"verdict\"" in dom, f"{html}: verdict in the DOM")
    v = dom.find("id=\"verdict\"")
    first_svg = dom.find("<svg")
    check(0 <= v < first_svg, f"{html}: the verdict comes first")


def html_of(res, sc, name):
    """report --html of one results file; checks the exit status against
    the file's thresholds, opens the page in Chromium, checks it."""
    html = os.path.join(WORK, name + ".html")
    args = [res, "--html", html] + (["--scenario", sc] if sc else [])
    p = report(args)
    sanitizer_clean(p, "report " + name)
    check(p.returncode in (0, 1), f"report {name}: exit {p.returncode}: "
          + p.stderr)
    if sc is None:
        verdict = json.load(open(res))["thresholds"]
        want = 1 if any(not t["pass"] for t in verdict) else 0
        check(p.returncode == want, f"report {name}: exit {p.returncode}, "
              f"thresholds say {want}")
    dom = open_in_chromium(html, os.path.join(WORK, name + ".png"))
    check_page(html, dom, 3)
    costs = json.load(open(res)).get("costs")
    if sc and costs and costs.get("by_class"):
        check("Costs of these calls" in dom,
              f"{name}: per-target cost classes with --scenario")


def case_chromium():
    """The HTML of each bundled scenario's results (samples written by
    busyhour sim, tests/data/results/<scenario>.sim.json)."""
    check(len(SCENARIOS) >= 4, "bundled scenarios found")
    for sc in SCENARIOS:
        name = os.path.splitext(os.path.basename(sc))[0]
        res = os.path.join(DATA, name + ".sim.json")
        check(os.path.exists(res), f"sample results for {name}")
        if os.path.exists(res):
            html_of(res, None, name)
            html_of(res, sc, name + "-with-scenario")
    # Side by side: sim and analytic with intervals.
    html = os.path.join(WORK, "side.html")
    p = report([os.path.join(DATA, "hotline-8800.sim.json"),
             os.path.join(DATA, "hotline-8800.analytic.json"),
             "--scenario", os.path.join(SRC, "scenarios", "hotline-8800.yaml"),
             "--analytic", "--html", html])
    check(p.returncode in (0, 1), "side-by-side report")
    dom = open_in_chromium(html, os.path.join(WORK, "side.png"))
    check_page(html, dom, 5)
    check("analytic (hotline-8800.analytic.json)" in dom and
          "sim (hotline-8800.sim.json)" in dom and
          "analytic (Erlang)" in dom, "three results in the page")
    # Without gnuplot: a clear error, exit 2, no page left behind.
    env = dict(os.environ, BH_GNUPLOT="/nonexistent/gnuplot")
    html2 = os.path.join(WORK, "nognuplot.html")
    p = subprocess.run([BUSYHOUR, "report",
                        os.path.join(DATA, "failing.json"), "--html", html2],
                       capture_output=True, text=True, env=env, timeout=60)
    check(p.returncode == 2 and "gnuplot-nox" in p.stderr,
          f"missing gnuplot: {p.returncode} {p.stderr!r}")
    check(not os.path.exists(html2), "no half-written page")


def case_sim_report():
    """busyhour sim on each bundled scenario, then report --html of what it
    wrote, opened in Chromium."""
    check(len(SCENARIOS) >= 4, "bundled scenarios found")
    for sc in SCENARIOS:
        name = os.path.splitext(os.path.basename(sc))[0]
        res = os.path.join(WORK, name + ".json")
        p = run(["sim", sc, "--replications", "3", "--threads", "1",
                 "--json", res])
        sanitizer_clean(p, "sim " + name)
        check(p.returncode in (0, 1), f"sim {name}: exit {p.returncode}")
        check(os.path.exists(res), f"sim {name} wrote results")
        if os.path.exists(res):
            html_of(res, None, "sim-" + name)


WARMUP_ROWS = []


def records_columns(name, recs, res, stdout):
    """The --records header is the columns busyhour sim --help lists; a
    row's warmup is 1 exactly when it arrived in the warm-up, costs
    nothing, and the rows with warmup 0 are the results' offered calls;
    the summary prints thresholds in the limit's unit (% for shares)."""
    helptext = run(["sim", "--help"]).stdout
    listed = helptext.split("these columns:", 1)[1].split("(", 1)[0]
    cols = [c.strip() for c in listed.replace("\n", " ").split(",")]
    header = open(recs).readline().strip().split(",")
    check(header == cols, f"{name}: header {header} is the help's {cols}")
    rows = list(csv.DictReader(open(recs)))
    warm = [r for r in rows if r["warmup"] == "1"]
    WARMUP_ROWS.append(len(warm))
    check(all((r["warmup"] == "1") == (float(r["arrival"]) < res["warmup"])
              for r in rows), f"{name}: warmup 1 exactly before the warm-up")
    check(all(float(r["cost"]) == 0 for r in warm),
          f"{name}: warm-up rows are not rated")
    for tname, t in res["targets"].items():
        if t["kind"] == "campaign":
            continue
        n = sum(1 for r in rows if r["warmup"] == "0" and
                r["target"] == tname and r["outbound"] == "0")
        check(n == t["offered"], f"{name}.{tname}: {n} rows after the "
              f"warm-up, results offered {t['offered']}")
    for line in stdout.splitlines():
        if not line.startswith("threshold "):
            continue
        share = re.search(r"\.(blocking|abandonment|service_level\([^)]*\)"
                          r"|incomplete_meetings) [<>]", line)
        ok = re.search(r" (pass|FAIL) \((upper|lower) bound [0-9.]+%, limit "
                       r"[<>]=? [0-9.]+%\)$", line)
        if share:
            check(ok is not None, f"{name}: threshold in %: {line!r}")
        check("value 0." not in line, f"{name}: no raw fraction: {line!r}")


def case_records():
    """The rater through the real simulator: with one replication, the
    costs of the call records (busyhour sim --records) add up, to the
    micro-unit, to the results' total less line rental, and per payer."""
    from decimal import Decimal
    for sc in SCENARIOS:
        name = os.path.splitext(os.path.basename(sc))[0]
        res = os.path.join(WORK, name + ".json")
        recs = os.path.join(WORK, name + ".csv")
        p = run(["sim", sc, "--replications", "1", "--threads", "1",
                 "--json", res, "--records", recs])
        sanitizer_clean(p, "sim " + name)
        check(p.returncode in (0, 1) and os.path.exists(res) and
              os.path.exists(recs), f"sim {name} --records")
        if not (os.path.exists(res) and os.path.exists(recs)):
            continue
        records_columns(name, recs, json.load(open(res)), p.stdout)
        costs = json.load(open(res))["costs"]
        if costs is None:
            continue
        micro = Decimal(1000000)
        total = {"caller": 0, "company": 0}
        for r in csv.DictReader(open(recs)):
            c = int(Decimal(r["cost"]) * micro)
            total["company" if r["payer"] == "company" else "caller"] += c
        # line rental and operators' pay are the company's, not any call's
        fixed = round(Decimal(repr(costs["line_rental"])) * micro) + \
            round(Decimal(repr(costs.get("operators", 0))) * micro)
        want_calls = round(Decimal(repr(costs["total"])) * micro) - fixed
        check(total["caller"] + total["company"] == want_calls,
              f"{name}: records {total} vs total less rental and "
              f"operators {want_calls}")
        check(total["caller"] ==
              round(Decimal(repr(costs["by_payer"]["callers"])) * micro),
              f"{name}: callers' records add up")
        check(total["company"] ==
              round(Decimal(repr(costs["by_payer"]["company"])) * micro) -
              fixed, f"{name}: company's records add up")
    check(max(WARMUP_ROWS + [0]) > 0,
          "a bundled scenario with a warm-up has flagged rows")


def case_schema():
    import jsonschema
    schema = json.load(open(os.path.join(SRC, "reports",
                                         "results.schema.json")))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    files = [os.path.join(DATA, f) for f in
             ("minimal.json", "failing.json", "hotline-8800.analytic.json")]
    files += sorted(glob.glob(os.path.join(DATA, "*.sim.json")))
    for sc in SCENARIOS:
        name = os.path.splitext(os.path.basename(sc))[0]
        res = os.path.join(WORK, name + ".schema.json")
        p = run(["sim", sc, "--replications", "2", "--threads", "1",
                 "--json", res])
        check(p.returncode in (0, 1) and os.path.exists(res),
              f"sim {name} wrote results: {p.stderr[-500:]}")
        if os.path.exists(res):
            files.append(res)
    for f in files:
        errs = list(v.iter_errors(json.load(open(f))))
        check(not errs, f"{f}: " + "; ".join(
            "/".join(map(str, e.path)) + ": " + e.message for e in errs[:3]))
    # and the broken ones that are valid JSON are invalid for the schema
    for name in ("bad-source.json", "missing-targets.json", "wrong-type.json",
                 "share-out-of-range.json", "missing-wait.json",
                 "threshold-pass-string.json", "negative-count.json",
                 "bad-sl-key.json", "costs-incomplete.json"):
        doc = json.load(open(os.path.join(DATA, "broken", name)))
        check(list(v.iter_errors(doc)), f"schema rejects {name}")


def case_merge():
    import jsonschema
    schema = json.load(open(os.path.join(SRC, "reports",
                                         "results.schema.json")))
    v = jsonschema.Draft202012Validator(schema)
    base = json.load(open(os.path.join(DATA, "hotline-8800.sim.json")))
    segs = []
    for k in (1, 2):
        doc = json.loads(json.dumps(base))
        doc["source"] = "load"
        doc["replications"] = 1
        doc["segment"] = {"index": k, "count": 2}
        doc["thresholds"] = []
        doc["costs"] = None
        for name, t in doc["targets"].items():
            t.pop("ci95", None)
            t["wait"].pop("ci95", None)
            # segment k holds a share of the calls: k/3 of the counts
            for key in ("offered", "answered", "blocked", "abandoned",
                        "overflow", "retried"):
                if t.get(key) is not None:
                    t[key] = round(t[key] * k / 3)
            answered = t["answered"]
            zero = answered // 2
            t["wait"]["histogram"] = {
                "sub": 64, "min": 0.001, "zero": zero, "count": answered,
                "sum": 10.0 * (answered - zero),
                "buckets": [[600 + 64 * k, answered - zero]]}
            for iv in t["intervals"]:
                iv.pop("ci95", None)
                iv.pop("service_level_ci95", None)
        path = os.path.join(WORK, f"seg{k}.json")
        json.dump(doc, open(path, "w"))
        segs.append((path, doc))
    out = os.path.join(WORK, "merged.json")
    md = os.path.join(WORK, "merged.md")
    p = report([segs[1][0], segs[0][0], "--merge", out, "--md", md])
    sanitizer_clean(p, "merge")
    check(p.returncode == 0, f"merge exits 0: {p.stderr}")
    check("thresholds not judged" in p.stderr, "merge says thresholds "
          "were not judged without --scenario")
    if p.returncode == 0:
        m = json.load(open(out))
        check(m["source"] == "load" and "segment" not in m,
              "merged file is the whole load run")
        errs = list(v.iter_errors(m))
        check(not errs, "merged file valid for the schema: " +
              "; ".join(e.message for e in errs[:3]))
        for name, t in m["targets"].items():
            a, b = (d["targets"][name] for _, d in segs)
            for key in ("offered", "answered", "blocked", "abandoned"):
                check(t[key] == a[key] + b[key], f"{name}.{key} summed")
            lost = t["blocked"] + (t.get("overflow") or 0)
            if t["offered"]:
                check(abs(t["blocking"]["mean"] - lost / t["offered"]) <
                      1e-12, f"{name}.blocking from the summed counts")
            h = t["wait"]["histogram"]
            check(h["count"] == a["answered"] + b["answered"] and
                  sorted(x[0] for x in h["buckets"]) == [664, 728],
                  f"{name}: histograms merged")
        check(os.path.exists(md) and "load" in open(md).read(),
              "merged file rendered")
    for args, why in (([segs[0][0], segs[0][0]], "twice"),
                      ([segs[0][0], os.path.join(DATA,
                                                 "hotline-8800.sim.json")],
                       "sim"),
                      ([segs[0][0]], "segment count")):
        p = report(args + ["--merge", os.path.join(WORK, "bad.json")])
        sanitizer_clean(p, "merge refused")
        check(p.returncode == 2 and why in p.stderr,
              f"merge refuses ({why}): {p.returncode} {p.stderr}")
    check(not os.path.exists(os.path.join(WORK, "bad.json")),
          "a refused merge writes nothing")


def md_row(text, heading, label):
    """The cells of row `label` in the table under `## heading`."""
    sec = text.split("## " + heading, 1)[1].split("\n## ", 1)[0]
    for line in sec.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == label:
            return cells[1:]
    return None


def case_compare():
    sc = os.path.join(SRC, "scenarios", "hotline-8800.yaml")
    plan = os.path.join(WORK, "plan.json")
    sim = os.path.join(WORK, "sim.json")
    p = run(["plan", sc, "--replications", "4", "--json", plan])
    sanitizer_clean(p, "plan")
    check(p.returncode in (0, 1), f"plan: exit {p.returncode} {p.stderr}")
    p = run(["sim", sc, "--replications", "4", "--json", sim])
    sanitizer_clean(p, "sim")
    check(p.returncode in (0, 1), f"sim: exit {p.returncode} {p.stderr}")
    pj, sj = json.load(open(plan)), json.load(open(sim))
    check(pj.get("scenario_hash") and
          pj.get("scenario_hash") == sj.get("scenario_hash"),
          "plan and sim carry the same scenario hash")
    md, junit = os.path.join(WORK, "r.md"), os.path.join(WORK, "r.xml")
    p = report([plan, sim, "--scenario", sc, "--analytic", "--md", md,
                "--junit", junit, "--exit-zero"])
    sanitizer_clean(p, "compare")
    check(p.returncode == 0, f"compare: exit {p.returncode} {p.stderr}")
    check("warning" not in p.stderr, f"no warning for one file: {p.stderr}")
    text = open(md).read()
    cap = {k: {n: (t["lines"], t.get("operators", 0))
               for n, t in j["targets"].items()}
           for k, j in (("plan", pj), ("sim", sj))}
    check(cap["plan"]["hotline"] != cap["sim"]["hotline"],
          f"the plan changes the hotline's capacity: {cap}")
    # Headings claim no capacity the columns do not share.
    check(re.search(r"^## hotline \(number\)$", text, re.M) is not None,
          "hotline heading names no capacity")
    check(re.search(r"^## hotline \(number: ", text, re.M) is None,
          "no one capacity in the hotline heading")
    # A capacity row per column: plan, sim, analytic at each.
    pl, po = cap["plan"]["hotline"]
    sl_, so = cap["sim"]["hotline"]
    check(md_row(text, "hotline", "lines") ==
          [str(pl), str(sl_), str(pl), str(sl_)], "lines row per column")
    check(md_row(text, "hotline", "operators") ==
          [str(po), str(so), str(po), str(so)], "operators row per column")
    check(md_row(text, "conf", "ports") ==
          [str(cap["plan"]["conf"][0]), str(cap["sim"]["conf"][0])] * 2,
          "ports row per column")
    check("analytic (Erlang, at plan.json's capacity)" in text and
          "analytic (Erlang, at sim.json's capacity)" in text,
          "one analytic column per capacity")
    # The analytic column at the plan's capacity is the formulas on the
    # scenario edited to that capacity.
    edited = open(sc).read()
    edited = re.sub(r"lines: 30\b", f"lines: {pl}", edited, count=1)
    edited = re.sub(r"operators: 22\b", f"operators: {po}", edited, count=1)
    edited = re.sub(r"ports: 120\b", f"ports: {cap['plan']['conf'][0]}",
                    edited, count=1)
    esc = os.path.join(WORK, "hotline-at-plan.yaml")
    open(esc, "w").write(edited)
    p = report(["--scenario", esc, "--analytic", "--md",
                os.path.join(WORK, "alone.md"), "--exit-zero"])
    check(p.returncode == 0, f"analytic alone: {p.returncode} {p.stderr}")
    alone = open(os.path.join(WORK, "alone.md")).read()
    for row in ("blocking", "abandonment", "answered within 20s"):
        want = md_row(alone, "hotline", row)
        got = md_row(text, "hotline", row)
        check(want and got and got[2] == want[0],
              f"analytic {row} at the plan's capacity: {got} vs {want}")
    # Thresholds per column, each judged at its capacity.
    check(f"## Thresholds (plan (plan.json))\n\nJudged at hotline {pl} "
          f"lines, {po} operators" in text, "plan thresholds' capacity")
    check(f"## Thresholds (analytic (Erlang, at sim.json's capacity))\n\n"
          f"Judged at hotline {sl_} lines, {so} operators" in text,
          "analytic thresholds' capacity")
    # JUnit: one suite per column with its capacity.
    root = ET.parse(junit).getroot()
    suites = root.findall("testsuite")
    check(len(suites) == 4 and len({s.get("name") for s in suites}) == 4,
          f"four suites, distinct names: {[s.get('name') for s in suites]}")
    caps = [s.find("properties/property[@name='capacity']").get("value")
            for s in suites]
    check(caps[0].startswith(f"hotline {pl} lines, {po} operators") and
          caps[1].startswith(f"hotline {sl_} lines, {so} operators") and
          caps[2] == caps[0] and caps[3] == caps[1],
          f"suite capacities: {caps}")
    # The plan's table: now and recommended per resource.
    for row in pj["plan"]:
        cells = None
        sec = text.split("## Capacity plan", 1)
        check(len(sec) == 2, "a capacity plan section")
        if len(sec) < 2:
            break
        for line in sec[1].splitlines():
            c = [x.strip() for x in line.strip().strip("|").split("|")]
            if c[:2] == [row["target"], row["resource"]]:
                cells = c
        check(cells and cells[2] == str(row["now"]) and
              cells[4] == str(row["recommended"]),
              f"plan row {row['target']} {row['resource']}: {cells}")
    # --json: the columns as compared, each a results file busyhour
    # report reads back; the verdict as the exit status says.
    js = os.path.join(WORK, "r.json")
    p = report([plan, sim, "--scenario", sc, "--analytic", "--json", js])
    sanitizer_clean(p, "json")
    doc = json.load(open(js))
    check(doc.get("format") == "busyhour-report/1", "report format")
    check([c["label"] for c in doc["columns"]] ==
          ["plan (plan.json)", "sim (sim.json)",
           "analytic (Erlang, at plan.json's capacity)",
           "analytic (Erlang, at sim.json's capacity)"],
          f"json columns: {[c['label'] for c in doc['columns']]}")
    check((doc["verdict"] == "fail") == (p.returncode == 1) and
          doc["verdict_of"] == "plan (plan.json)",
          f"json verdict {doc['verdict']} and exit {p.returncode}")
    check(doc["columns"][2]["results"]["targets"]["hotline"]["lines"] == pl,
          "the analytic column's capacity in the json")
    for i, c in enumerate(doc["columns"]):
        one = os.path.join(WORK, f"col{i}.json")
        json.dump(c["results"], open(one, "w"))
        q = report([one, "--md", os.path.join(WORK, "col.md")])
        check(q.returncode in (0, 1), f"column {i} reads back: {q.stderr}")
    p = report([sim, "--json", "-"])
    check(p.returncode == 1 and json.loads(p.stdout)["verdict"] == "fail",
          "--json - goes to standard output, alone")
    # Another scenario, another version of this one: warned.
    other = os.path.join(WORK, "other.json")
    p = run(["sim", os.path.join(SRC, "scenarios", "demo-run.yaml"),
             "--replications", "2", "--json", other])
    check(p.returncode in (0, 1), f"sim demo: {p.returncode} {p.stderr}")
    changed = os.path.join(WORK, "hotline-changed.yaml")
    open(changed, "w").write(open(sc).read() + "\n# changed\n")
    v2 = os.path.join(WORK, "v2.json")
    p = run(["sim", changed, "--replications", "2", "--json", v2])
    check(p.returncode in (0, 1), f"sim changed: {p.returncode}")
    for f, want in ((other, "different scenarios"),
                    (v2, "different versions")):
        p = report([sim, f, "--md", md, "--exit-zero"])
        sanitizer_clean(p, "warn")
        check(p.returncode == 0 and "warning:" in p.stderr and
              want in p.stderr, f"stderr warns {want}: {p.stderr}")
        check("**Warning:**" in open(md).read() and
              want in open(md).read(), f"report warns {want}")
    p = report([sim, "--scenario", changed, "--md", md, "--exit-zero"])
    check("another version" in p.stderr, f"--scenario of another version: "
          f"{p.stderr}")


os.makedirs(WORK, exist_ok=True)
{"broken": case_broken, "failing": case_failing, "outputs": case_outputs,
 "chromium": case_chromium, "sim_report": case_sim_report,
 "analytic": case_analytic, "records": case_records,
 "schema": case_schema, "merge": case_merge, "compare": case_compare}[CASE]()
if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("ok")
