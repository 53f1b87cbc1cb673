"""test_pbx_ext.py: extensions and forwarding on the real switch. Accounts
register (digest) and call each other by extension: every registered phone
rings, the first to answer wins and the other gets CANCEL; forwarding
always, on busy and on no answer each reaches the extension configured; a
forwarding loop ends with 483 and no runaway calls; an extension without a
phone gets 480; a caller that gives up while it rings gets 487; the CDR
rows say what happened."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbxua  # noqa: E402
from pbxua import h  # noqa: E402

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ext.yaml")
sw = h.Switch(busyhour, sc, SIP, HTTP, verbose=True)
sw.wait_ready()
net = pbxua.Net(SIP)

a1 = pbxua.Endpoint(net, "201", "s201", policy="ring", tone=600)
a2 = pbxua.Endpoint(net, "201", "s201", policy="ring", tone=600)
bo = pbxua.Endpoint(net, "202", "s202", policy="answer", tone=900)
ve = pbxua.Endpoint(net, "204", "s204", policy="busy")
gl = pbxua.Endpoint(net, "205", "s205", policy="ring")
for e in (a1, a2, bo, ve, gl):
    h.check(e.register() == 200, "%s registers (digest): 200" % e.user)

# 202 calls 201: both of 201's phones ring; the second answers; the first
# gets CANCEL; the two talk (tones both ways).
d = bo.call("201")
net.run(until=lambda: len(a1.invites) == 1 and len(a2.invites) == 1,
        limit=5, what="both phones of 201 ringing")
h.check(True, "a call to 201 rings both of its registered phones")
net.run(until=lambda: 180 in d.provisional, limit=5, what="180 to caller")
h.check(d.status is None, "the caller hears 180 and no final answer yet")
a2.answer(list(a2.dialogs.values())[0])
net.run(until=lambda: d.status == 200, limit=5, what="200 to the caller")
d1 = list(a1.dialogs.values())[0]
net.run(until=lambda: d1.cancelled, limit=5, what="CANCEL to phone 1")
h.check(d1.cancelled, "the first answer wins; the other phone gets CANCEL")
net.run(seconds=1.0)
h.check(a2.level(900, 4000) > 1000 and bo.level(600, 4000) > 1000,
        "201 hears 202's tone and 202 hears 201's (%.0f, %.0f)" %
        (a2.level(900, 4000), bo.level(600, 4000)))
bo.bye(d)
d2 = list(a2.dialogs.values())[0]
net.run(until=lambda: d2.byed, limit=5, what="BYE to 201")
h.check(d2.byed, "202 hangs up: 201's phone gets BYE")

# 203 forwards always to 202.
n0 = len(bo.invites)
c = a1.call("203")
net.run(until=lambda: c.status is not None, limit=5, what="answer via 203")
h.check(c.status == 200 and len(bo.invites) == n0 + 1,
        "203 forwards always: 202 answers the call")
a1.bye(c)
net.run(seconds=0.3)

# 204's phone says busy: forwarded to 202.
c = a1.call("204")
net.run(until=lambda: c.status is not None, limit=5, what="answer via 204")
h.check(len(ve.invites) == 1 and c.status == 200 and
        len(bo.invites) == n0 + 2,
        "204 busy (486): forwarded on busy to 202, which answers")
a1.bye(c)
net.run(seconds=0.3)

# 205 rings and never answers: after 2 s, to 202 (and 205 gets CANCEL).
c = a1.call("205")
net.run(until=lambda: c.status is not None, limit=8, what="answer via 205")
g = list(gl.dialogs.values())[0]
h.check(c.status == 200 and g.cancelled and len(bo.invites) == n0 + 3,
        "205 unanswered: CANCEL after no_answer, forwarded to 202")
a1.bye(c)
net.run(seconds=0.3)

# 206 <-> 207: a loop, stopped at the depth limit with 483; nothing rang.
before = sum(len(e.invites) for e in net.eps)
c = a1.call("206")
net.run(until=lambda: c.status is not None, limit=5, what="loop answer")
h.check(c.status == 483, "a forwarding loop ends with 483 (got %s)" % c.status)
net.run(seconds=0.5)
h.check(sum(len(e.invites) for e in net.eps) == before,
        "no runaway calls: no phone rang for the loop")
h.check(sw.metric("bh_switch_pbx_forward_loops_total") == 1,
        "the loop is counted in /metrics")
h.check(sw.status()["calls_active"] == 0, "no call left active after it")

# 208 has no phone registered: 480.
c = a1.call("208")
net.run(until=lambda: c.status is not None, limit=5, what="208 answer")
h.check(c.status == 480, "an extension without a phone: 480")

# The caller gives up while 201 rings: 487, and the phones get CANCEL.
k1 = len(a1.invites)
c = bo.call("201")
net.run(until=lambda: len(a1.invites) == k1 + 1, limit=5, what="ringing")
bo.cancel(c)
net.run(until=lambda: c.status is not None, limit=5, what="487")
h.check(c.status == 487, "a CANCEL while ringing: 487 to the caller")
net.run(until=lambda: all(x.cancelled or x.ended for x in
                          list(a1.dialogs.values()) +
                          list(a2.dialogs.values())),
        limit=5, what="CANCEL to the phones")
h.check(True, "and the phones stop ringing (CANCEL)")
h.check(sw.metric("bh_switch_pbx_forwards_total") >= 3 + 5,
        "forwards are counted in /metrics")

log = sw.stop()
rows = sw.rows()
ext_rows = [r for r in rows if r["kind"] == "extension"]
by = {}
for r in ext_rows:
    by.setdefault(r["reason"], []).append(r)
h.check(any(r["called"] == "201" and r["outcome"] == "answered" and
            r["talk"] > 0.5 for r in ext_rows),
        "CDR: the call to 201 answered, with its talk time")
h.check(len(by.get("forward-loop", [])) == 1 and
        by["forward-loop"][0]["status"] == 483,
        "CDR: the loop's row says forward-loop, 483")
h.check(len(by.get("no-answer", [])) == 1 and
        by["no-answer"][0]["status"] == 480, "CDR: 208's row, 480")
h.check(len(by.get("cancel", [])) == 1 and
        by["cancel"][0]["outcome"] == "abandoned", "CDR: the CANCEL, abandoned")
h.check(sorted(r["called"] for r in ext_rows if r["number"] == "202" and
               r["outcome"] == "answered") == ["203", "204", "205"],
        "CDR: the calls to 203, 204, 205 answered at 202 (forwarded)")
print("PASS")
