"""test_bridge.py: `busyhour load` against the reference switch's dial-in
bridge: meeting participants key their meeting's passcode and '#' (RFC
4733) when the model's passcode entry ends, join one room per meeting,
stay until the meeting's end; every record matches the switch's CDR by
Call-ID in outcome and talk (within 50 ms)."""
import sys

from driverlib import Load, Switch, check, free_ports, match_cdr, scenario

busyhour = sys.argv[1]
(port,) = free_ports(1)
sc = scenario("bridge.yaml")
sw = Switch(busyhour, sc, port)
sw.wait_ready()
load = Load(busyhour, sc, "127.0.0.1:%d" % port, ["--duration", "15s"])
sw.stop()
check(load.rc == 0, "load exits 0 (got %d)" % load.rc)
rows = load.joined()
check(len(rows) >= 3, "participants dialled in (%d)" % len(rows))
check(all(r["outcome"] == "answered" for r in rows),
      "every participant joined")
cdr = {r["call_id"]: r for r in sw.rows()}
rooms = {}
for r in rows:
    rooms.setdefault(r["meeting"], set()).add(cdr[r["call_id"]]["room"])
check(all(len(v) == 1 and "" not in v for v in rooms.values()),
      "each meeting's participants met in one room (%d meetings)" %
      len(rooms))
check(len(set(next(iter(v)) for v in rooms.values())) == len(rooms),
      "different meetings, different rooms")
match_cdr(sw, rows)
