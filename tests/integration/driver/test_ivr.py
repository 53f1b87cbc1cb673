"""test_ivr.py: `busyhour load` against a number with an IVR menu and a
queue whose operators are registered accounts: the driver registers them
(digest) before its first call, callers pass the menu (an RFC 4733 digit
at menu_time) and wait for an operator of ours; every record matches the
switch's CDR by Call-ID."""
import sys

from driverlib import Load, Switch, check, free_ports, match_cdr, scenario

busyhour = sys.argv[1]
(port,) = free_ports(1)
sc = scenario("ivr.yaml")
sw = Switch(busyhour, sc, port, verbose=True)
sw.wait_ready()
load = Load(busyhour, sc, "127.0.0.1:%d" % port, ["--duration", "12s"])
log = sw.stop()
check(load.rc == 0, "load exits 0 (got %d)" % load.rc)
rows = load.joined()
check(len(rows) >= 3, "callers were placed (%d)" % len(rows))
ans = [r for r in rows if r["outcome"] == "answered"]
check(len(ans) >= 1, "callers passed the menu and reached an operator")
check(all(r["agent"] in ("0", "1") for r in ans),
      "answered by the registered operators (positions 0 and 1)")
check(all(float(r["connect"]) - float(r["arrival"]) >= 1.0 for r in ans),
      "no operator before the 1 s menu was over")
match_cdr(sw, rows)
