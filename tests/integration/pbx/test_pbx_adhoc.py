"""test_pbx_adhoc.py: the ad-hoc conference by '#'. A customer calls
extension 501; the employee keys #502# (RFC 4733): the customer hears
music on hold, not the employee, while 502 is called and talks to the
employee; '#' joins all three (each hears the two others, Goertzel);
#74951234567# adds the carrier's party the same way (four, each hearing
the three others); the customer hangs up and every leg gets BYE. The
CDRs: the customer's call, and one row per dialled leg, an outgoing call
paid by the company to the number dialled; `busyhour report --cdr` prices
each leg as the simulator prices an ad-hoc leg (tariffs.outbound's setup
and increment, the rate of the number's origin), checked against the
tariff applied here by hand."""
import csv
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbxua  # noqa: E402
from pbxua import h  # noqa: E402

busyhour = sys.argv[1]
net, carrier, sw, cust, emp, col = pbxua.customer_and_staff(busyhour,
                                                            "adhoc.yaml")

d = cust.call("501")
net.run(until=lambda: d.status is not None, limit=5, what="answer")
h.check(d.status == 200, "the customer calls 501: answered")
net.run(seconds=0.6)

TONES = {cust: 500, emp: 700, col: 900, carrier: 1200}


def lv(ep, n=4000):
    return pbxua.levels(ep, TONES, n)


emp.key("#502#")
net.run(until=lambda: len(col.invites) == 1, limit=5, what="502 called")
h.check(True, "the employee keys #502#: the switch calls 502")
net.run(seconds=1.5)
lc, l2, le = lv(cust), lv(col), lv(emp)
h.check(l2[700] > 1000 and le[900] > 1000,
        "502 and the employee talk (%.0f, %.0f)" % (l2[700], le[900]))
h.check(lc[700] < 300 and lc[900] < 300 and l2[500] < 300 and
        le[500] < 300,
        "the customer is on hold: hears neither, is heard by neither "
        "(%.0f %.0f %.0f %.0f)" % (lc[700], lc[900], l2[500], le[500]))
h.check(len(cust.heard) > 0 and max(abs(x) for x in cust.heard[-4000:]) >
        500, "the customer hears music on hold meanwhile")

emp.key("#")
net.run(seconds=1.5)
lc, l2, le = lv(cust), lv(col), lv(emp)
h.check(all(v > 700 for v in (lc[700], lc[900], l2[500], l2[700],
                              le[500], le[900])),
        "'#': all three in conference, each hears the two others "
        "(%s / %s / %s)" % (lc, l2, le))

emp.key("#74951234567#")
net.run(until=lambda: len(carrier.invites) == 1, limit=5,
        what="carrier called")
h.check(carrier.invites[0].startswith("INVITE sip:74951234567@"),
        "#74951234567#: the outside party is called through the trunk")
net.run(seconds=1.0)
emp.key("#")
net.run(seconds=1.5)
ok = True
for ep in (cust, emp, col, carrier):
    heard = lv(ep)
    good = all(v > 500 for v in heard.values())
    ok = ok and good
    print("   %s hears %s" % (ep.user, {k: int(v) for k, v in heard.items()}))
h.check(ok, "four in conference: every party hears the three others")

cust.bye(d)
others = [list(e.dialogs.values())[-1] for e in (emp, col, carrier)]
net.run(until=lambda: all(x.byed for x in others), limit=5,
        what="BYEs to the others")
h.check(True, "the customer hangs up: the employee, 502 and the carrier "
        "get BYE")
h.check(sw.status()["calls_active"] == 0 and
        sw.metric("bh_switch_trunk_lines_busy") == 0,
        "no call left, the trunk line given back")

# The employee's own outgoing call: 501 calls a customer out through the
# trunk, adds 502, then hangs up: the customer and 502 go on; the room
# ends when 502, the last employee, leaves.
o = emp.call("74957654321")
net.run(until=lambda: o.status is not None, limit=5, what="answer")
h.check(o.status == 200, "501 calls 74957654321 out: the carrier answers")
net.run(seconds=0.5)
emp.key("#502#")
net.run(until=lambda: len(col.invites) == 2, limit=5, what="502 called")
net.run(seconds=1.0)
emp.key("#")
net.run(seconds=1.5)
h.check(lv(carrier)[900] > 700 and lv(col)[1200] > 700,
        "the customer (the carrier's party) and 502 in conference")
emp.bye(o)
net.run(seconds=1.5)
cd = list(col.dialogs.values())[-1]
kd = list(carrier.dialogs.values())[-1]
h.check(not cd.byed and not kd.byed,
        "501, the caller, hangs up: the customer and 502 stay")
h.check(lv(carrier, 3000)[900] > 700 and lv(col, 3000)[1200] > 700 and
        lv(carrier, 3000)[700] < 300,
        "the customer and 502 still hear each other, not 501")
col.bye(cd)
net.run(until=lambda: kd.byed, limit=5, what="BYE to the customer")
h.check(kd.byed, "502, the last employee, hangs up: the customer gets BYE")
net.run(seconds=0.3)
h.check(sw.status()["calls_active"] == 0, "no call left")
sw.stop()
rows = sw.rows()
legs = [r for r in rows if r["reason"] == "adhoc" and r["call_id"] ==
        d.call_id]
h.check(sorted(r["called"] for r in legs) == ["502", "74951234567"] and
        all(r["outbound"] == 1 and r["payer"] == "company" and
            r["caller"] == "501" and r["outcome"] == "answered" and
            r["talk"] > 1.0 for r in legs),
        "CDR: each dialled leg its own row, outbound, paid by the company, "
        "answered, with its talk")
h.check({r["called"]: r["kind"] for r in legs} ==
        {"502": "extension", "74951234567": "trunk"},
        "CDR: the extension's leg and the trunk's")
main = [r for r in rows if r["called"] == "501"]
h.check(len(main) == 1 and main[0]["outcome"] == "answered",
        "CDR: the customer's call, answered")
out = [r for r in rows if r["called"] == "74957654321"]
h.check(len(out) == 1 and out[0]["reason"] == "conference-end" and
        out[0]["kind"] == "trunk" and out[0]["payer"] == "company",
        "CDR: 501's outgoing call, to the end of the conference")

# The report rates the CDR file with adhoc.yaml's tariffs.
out = os.path.join(os.path.dirname(sw.cdr), "costs")
r = subprocess.run([busyhour, "report", "--cdr", sw.cdr, "--scenario",
                    sw.scenario, "--csv", out, "--md", "-"],
                   capture_output=True,
                   text=True, timeout=60)
h.check(r.returncode == 0, "busyhour report --cdr exits 0 (%s)" % r.stderr)
print(r.stdout)
lines = list(csv.DictReader(open(os.path.join(out, "cdr-costs.csv"))))
by_id = {int(x["id"]): x for x in lines}
h.check(len(lines) == len(rows), "one cost line per CDR row (%d)" % len(rows))
# The tariff by hand (reports/README.md, Rating): an outgoing call is
# billed from its answer to its end in whole seconds rounded up, at least
# one increment then whole increments, at the rate of its origin per
# minute, plus the setup; micro-units rounded half up.
RATE = {"502": 0.30, "74951234567": 1.50}  # internal, local (7495)
SETUP, INC = 0.10, 6
total = 0.0
for leg in legs:
    d = math.ceil(leg["end"] - leg["answer"] - 1e-6)
    billed = max(INC, -(-d // INC) * INC)
    want = SETUP + math.floor(RATE[leg["called"]] * 1e6 * billed / 60 +
                              0.5) / 1e6
    got = by_id[leg["id"]]
    h.check(got["payer"] == "company" and got["outbound"] == "1" and
            abs(float(got["cost"]) - want) < 1e-6 and
            int(got["seconds"]) == d,
            "%s's leg: %d s, %s pays %s (the tariff: %.6f)" %
            (leg["called"], d, got["payer"], got["cost"], want))
    total += want
h.check(by_id[legs[0]["id"]]["origin"] in ("internal", "local"),
        "the legs' rate classes come from the number dialled")
company = sum(float(x["cost"]) for x in lines if x["payer"] == "company")
h.check(company >= total and "| company | %.2f |" % company in r.stdout,
        "the Markdown table shows what the company pays (%.2f, of which "
        "the legs above %.2f)" % (company, total))
print("PASS")
