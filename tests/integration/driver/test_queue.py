"""test_queue.py: `busyhour load` against the reference switch's operator
queue, the driver answering as its operators (static contacts): callers
answered by an operator (tied to it by the caller's name the switch
passes, the operator hangs up after the caller's holding time), busy when
the queue is full, abandoned when patience runs out, overflowed after
max_wait (BYE with Reason "max wait"), and retried; each appears in the
records and each record matches the switch's CDR by Call-ID in outcome,
and in wait and talk within 50 ms."""
import sys

from driverlib import check, free_ports, load_on_switch, match_cdr, scenario

busyhour = sys.argv[1]
port, ops = free_ports(2)
sc = scenario("queue.yaml", {26300: ops})
sw, load = load_on_switch(busyhour, sc, port, ["--duration", "40s"])
rows = load.joined()
outcomes = set(r["outcome"] for r in rows)
for o in ("answered", "blocked", "abandoned", "overflow"):
    check(o in outcomes, "outcome %s in the records" % o)
check("failed" not in outcomes, "no failed calls")
check(any(r["attempt"] == "2" for r in rows), "retried callers (attempt 2)")
ans = [r for r in rows if r["outcome"] == "answered"]
check(all(r["agent"] in ("0", "1") for r in ans),
      "answered calls name the operator who took them")
check(any(float(r["wait"]) > 0.1 for r in ans), "some waited in the queue")
calls = {c["call_id"]: c for c in load.calls()}
check(all(calls[r["call_id"]]["mos_out"] not in ("nan", "")
          and float(calls[r["call_id"]]["mos_out"]) > 4.0 for r in ans),
      "our operators heard each answered caller (MOS out > 4)")
res = load.results()
t = res["targets"]["support"]
check(t["abandoned"] == sum(r["outcome"] == "abandoned" for r in rows),
      "results count the abandoned records")
match_cdr(sw, rows)
