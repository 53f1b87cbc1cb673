"""test_lines.py: `busyhour load` against the reference switch, a number
with 2 lines and no queue: callers are answered (INVITE, 200, ACK, RTP
both ways, BYE after the holding time) or hear busy (486); the records
and results come out in the formats of `busyhour sim`, source "load", and
every record matches the switch's CDR by Call-ID."""
import sys

from driverlib import Load, Switch, check, free_ports, match_cdr, scenario

busyhour = sys.argv[1]
(port,) = free_ports(1)
sc = scenario("lines.yaml")
sw = Switch(busyhour, sc, port)
sw.wait_ready()
load = Load(busyhour, sc, "127.0.0.1:%d" % port, ["--duration", "6s"])
sw.stop()
check(load.rc == 0, "load exits 0 (got %d)" % load.rc)
rows = load.joined()
outcomes = [r["outcome"] for r in rows]
check("answered" in outcomes, "some callers were answered")
check("blocked" in outcomes, "some callers heard busy")
check(set(outcomes) <= {"answered", "blocked"},
      "no other outcome (%s)" % sorted(set(outcomes)))
for r in rows:
    if r["outcome"] == "blocked" and r["status"] != "486":
        check(False, "a blocked call got 486 (got %s)" % r["status"])
calls = load.calls()
answered = [c for c in calls if c["outcome"] == "answered"]
check(all(int(c["rtp_sent"]) > 100 and int(c["rtp_received"]) > 100
          for c in answered),
      "answered calls sent and received RTP for their 3 s")
check(all(int(c["rtp_lost"]) == 0 for c in answered),
      "no RTP lost on 127.0.0.1")
check(all(float(c["mos_in"]) > 4.0 for c in answered),
      "E-model MOS above 4 without loss")
res = load.results()
check(res["source"] == "load", "results say source: load")
import json, os  # noqa: E402
import jsonschema  # noqa: E402
schema = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..",
                                     "..", "reports",
                                     "results.schema.json")))
jsonschema.validate(res, schema)
check(True, "the results file is valid by reports/results.schema.json")
m = res["measured"]
check(m["calls"] == len(rows), "measured: every call placed counted")
check(m["setup_answer"] is not None and 0 < m["setup_answer"] < 1,
      "measured: INVITE to 200 (%.2f ms)" % (1000 * m["setup_answer"]))
check(m["rtp_sent"] > 0 and m["rtp_received"] > 0 and m["loss"] == 0,
      "measured: RTP both ways, no loss")
check(m["mos_in"] > 4.0, "measured: MOS in %.2f" % m["mos_in"])
t = res["targets"]["info"]
check(t["offered"] == len(rows), "results count every record as offered "
      "(%s vs %d)" % (t["offered"], len(rows)))
check(t["answered"] == outcomes.count("answered"),
      "results count the answered records")
match_cdr(sw, rows)
