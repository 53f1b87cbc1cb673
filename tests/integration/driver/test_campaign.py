"""test_campaign.py: `busyhour load` as an outbound dialer against the
reference switch: each campaign attempt goes out through the switch's
trunk (from the scenario's account, authenticated by digest) to the
trunk's gateway, where the driver answers as the carrier: after the ring
time the traffic model drew, answered or not as it drew. Answered,
unanswered, busy (every trunk line taken: 503) and retried attempts
appear on the wire (the carrier's 180/200/480, the switch's 503) and in
the records, and each record matches the switch's CDR by Call-ID in
outcome, and in wait and talk within 50 ms."""
import sys

from driverlib import check, free_ports, load_on_switch, match_cdr, scenario

busyhour = sys.argv[1]
port, gw = free_ports(2)
sc = scenario("campaign.yaml", {26400: gw})
sw, load = load_on_switch(busyhour, sc, port, ["--duration", "40s"])
check("not driven" not in load.out, "every campaign attempt was placed")
rows = load.joined()
check(len(rows) >= 20, "%d campaign attempts" % len(rows))
check(all(r["outbound"] == "1" for r in rows), "every record is outbound")
outcomes = set(r["outcome"] for r in rows)
for o in ("answered", "unanswered", "blocked"):
    check(o in outcomes, "outcome %s in the records" % o)
check("failed" not in outcomes, "no failed attempts")
check(any(r["attempt"] == "2" for r in rows), "retried attempts (attempt 2)")
by = {}
for r in rows:
    by.setdefault(r["outcome"], set()).add(r["status"])
check(by["answered"] == {"200"}, "answered attempts got 200")
check(by["unanswered"] == {"480"},
      "unanswered attempts got the carrier's 480 through the switch")
check(by["blocked"] == {"503"}, "busy attempts got 503 (no trunk line)")
calls = {c["call_id"]: c for c in load.calls()}
ans = [r for r in rows if r["outcome"] == "answered"]
check(all(float(calls[r["call_id"]]["t180"]) >= 0 for r in ans + [
    r for r in rows if r["outcome"] == "unanswered"]),
    "the carrier's ringing (18x) reached the dialer")
check(all(0.5 <= float(calls[r["call_id"]]["t200"]) <= 2.1 for r in ans),
      "answered after the ring the model drew (0.5 to 2 s)")
check(all(int(calls[r["call_id"]]["rtp_received"]) > 50 for r in ans),
      "answered attempts heard the carrier's RTP")
check(all(calls[r["call_id"]]["mos_out"] not in ("nan", "")
          and float(calls[r["call_id"]]["mos_out"]) > 4.0 for r in ans),
      "the carrier heard each answered attempt (MOS out > 4)")
cdr = {r["call_id"]: r for r in sw.rows()}
check(all(cdr[r["call_id"]]["kind"] == "trunk"
          and str(cdr[r["call_id"]]["called"]).startswith("79")
          for r in rows if r["call_id"] in cdr),
      "the switch's rows are trunk calls to numbers of the allowed prefix")
res = load.results()
t = res["targets"]["dialer"]
check(t["offered"] == len(rows), "results count every attempt")
match_cdr(sw, rows)
