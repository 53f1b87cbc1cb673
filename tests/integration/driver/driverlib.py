"""driverlib.py: what the driver's integration tests share: the switch
harness (../switch/harness.py), running `busyhour load`, and reading its
records, per-call rows and results."""
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "switch"))
import harness  # noqa: E402
from harness import check, fail, free_ports, Switch  # noqa: E402,F401


def scenario(name, ports=None):
    """The scenario file `name` of this folder, its 127.0.0.1 ports
    replaced as ports {OLD: NEW} says, in a temporary folder."""
    text = open(os.path.join(HERE, name)).read()
    for old, new in (ports or {}).items():
        text = text.replace("127.0.0.1:%d" % old, "127.0.0.1:%d" % new)
    path = os.path.join(tempfile.mkdtemp(prefix="bh_drv_"), name)
    with open(path, "w") as f:
        f.write(text)
    return path


class Load:
    """One `busyhour load` run; its outputs read back."""

    def __init__(self, busyhour, scenario_path, target, args=()):
        self.tmp = tempfile.mkdtemp(prefix="bh_load_")
        self.json = os.path.join(self.tmp, "load.json")
        self.records = os.path.join(self.tmp, "records.csv")
        self.calls_path = os.path.join(self.tmp, "calls.csv")
        cmd = [busyhour, "load", scenario_path, "--target", target,
               "--json", self.json, "--records", self.records,
               "--calls", self.calls_path] + list(args)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        harness._children.append(p)
        out, err = p.communicate()
        self.rc = p.returncode
        self.out = out.decode()
        self.err = err.decode()
        print(self.out + self.err)

    def rows(self):
        with open(self.records) as f:
            return list(csv.DictReader(f))

    def calls(self):
        with open(self.calls_path) as f:
            return list(csv.DictReader(f))

    def results(self):
        with open(self.json) as f:
            return json.load(f)

    def joined(self):
        """Records joined with their per-call rows by id."""
        calls = {c["id"]: c for c in self.calls()}
        out = []
        for r in self.rows():
            c = calls.get(r["id"])
            if c is None:
                fail("record %s has no per-call row" % r["id"])
            r = dict(r)
            r.update({"call_id": c["call_id"], "failure": c["failure"],
                      "status": c["status"]})
            out.append(r)
        return out


def load_on_switch(busyhour, sc, port, args=()):
    """Starts the switch on scenario sc at 127.0.0.1:port, runs `busyhour
    load` against it with args, stops the switch; checks that the load
    exited 0. Returns (switch, load) for their files."""
    sw = Switch(busyhour, sc, port)
    sw.wait_ready()
    load = Load(busyhour, sc, "127.0.0.1:%d" % port, args)
    sw.stop()
    check(load.rc == 0, "load exits 0 (got %d)" % load.rc)
    return sw, load


def match_cdr(sw, joined, speed=1.0, tol=0.05):
    """Each driver record matches the switch's CDR row of its Call-ID in
    outcome, and in wait and talk within tol s of wall-clock time."""
    cdr = {r["call_id"]: r for r in sw.rows()}
    worst = {"wait": 0.0, "talk": 0.0}
    for r in joined:
        row = cdr.get(r["call_id"])
        if row is None:
            fail("no CDR row for Call-ID %s (%s)" % (r["call_id"],
                                                   r["outcome"]))
        if row["outcome"] != r["outcome"]:
            fail("Call-ID %s: driver %s, switch %s (%s)" %
                 (r["call_id"], r["outcome"], row["outcome"],
                  row.get("reason")))
        for k in ("wait", "talk"):
            a = float(r[k]) / speed
            b = float(row[k] or 0) / 1.0
            worst[k] = max(worst[k], abs(a - b))
            if abs(a - b) > tol:
                fail("Call-ID %s: %s %.3f s at the edge, %.3f s in the CDR"
                     % (r["call_id"], k, a, b))
    check(True, "%d driver records match the switch's CDR by Call-ID "
          "(outcome; wait and talk within %.0f ms; largest differences: "
          "wait %.1f ms, talk %.1f ms)" % (len(joined), tol * 1000,
                                          worst["wait"] * 1000,
                                          worst["talk"] * 1000))
