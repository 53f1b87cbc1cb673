#!/usr/bin/env python3
"""test_bridge_calls.py: the dial-in bridge's signalling through the real
switch (bridge.yaml: 10 ports, rooms 1234 and 5555 with moderator PIN
9090, end_with_moderator, lockout after 5 wrong passcodes for 3 s).

1. 12 callers at once: exactly 10 answered (ports 0-9, first come first
   served), 2 get 486; the CDRs agree (10 rows on ports 0-9, 2 blocked
   rows with status 486).
2. Passcodes: the right one by RFC 4733, by SIP INFO and by in-band DTMF
   (a caller without telephone-event) joins; three wrong ones end the
   call with BYE (CDR tries 3, tries-used).
3. Lockout: two more wrong passcodes (5 from 127.0.0.1) end that call
   (locked-out); the next INVITE gets 403, counted in /metrics; after
   the lockout time a call is answered and joins.
4. end_with_moderator: the moderator (PIN 9090) and two participants of
   room 5555 (after 5. and 6. one is left); the moderator hangs up, the
   other gets BYE, each has its CDR row (moderator-left).
5. Keys: a participant keys 1 and is muted (the others stop hearing its
   tone), 1 again unmutes it.
6. The moderator's keys: 2 locks the room (a caller keying its passcode
   gets BYE, room-locked) and unlocks it, 3 removes the participant who
   joined last (BYE, removed). Then the moderator leaves (4. above).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import bridgeua as bu  # noqa: E402

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, h.scenario("bridge.yaml", {}), SIP, HTTP,
             verbose=True)
sw.wait_ready()
ua = bu.UA(SIP)


def joined():
    return sw.metric("bh_switch_bridge_joined_total")


def row(p):
    r = sw.rows("SELECT * FROM calls WHERE call_id = '%s'" % p.call_id)
    return r[0] if r else None


def hang_up(ps):
    for p in ps:
        if not p.byed:
            ua.bye(p)
    ua.run(until=lambda: sw.metric("bh_switch_bridge_ports_busy") == 0,
           limit=10, what="ports free")


# ---- 1. 10 ports, 12 callers ----
ps = [bu.Party(ua) for _ in range(12)]
for p in ps:
    ua.invite(p)
ua.run(until=lambda: all(p.status for p in ps), what="12 final answers")
ok = [p for p in ps if p.status == 200]
busy = [p for p in ps if p.status == 486]
h.check(len(ok) == 10 and len(busy) == 2,
        "12 callers, 10 ports: %d answered, %d got 486" % (len(ok),
                                                         len(busy)))
h.check(sw.metric("bh_switch_bridge_ports_busy") == 10, "10 ports held "
        "during passcode entry")
hang_up(ok)
rows = [row(p) for p in ps]
h.check(sorted(r["line"] for r in rows if r["status"] == 200) ==
        list(range(10)) and
        all(r["outcome"] == "blocked" and r["reason"] == "busy"
            for r in rows if r["status"] == 486) and
        sum(r["status"] == 486 for r in rows) == 2,
        "CDRs agree: ports 0-9 answered, 2 blocked busy")

# ---- 2. passcodes ----
a, b, c = bu.Party(ua), bu.Party(ua), bu.Party(ua, te=False)
for p in (a, b, c):
    ua.invite(p)
ua.run(until=lambda: all(p.status for p in (a, b, c)), what="answers")
j0 = joined()
a.key_4733("1234#")
ua.run(until=lambda: joined() == j0 + 1, what="join by RFC 4733")
h.check(True, "RFC 4733 passcode joins")
b.key_info("1234#")
ua.run(until=lambda: joined() == j0 + 2 and b.last, what="join by INFO")
h.check((b.last or "").startswith("SIP/2.0 200"),
        "SIP INFO passcode joins (INFO answered %r)" % (b.last or "")[:20])
c.key_inband("1234#")
ua.run(until=lambda: joined() == j0 + 3, what="join by in-band DTMF")
h.check(True, "in-band DTMF passcode joins (no telephone-event)")
hang_up([a, b, c])
for p in (a, b, c):
    r = row(p)
    h.check(r["outcome"] == "answered" and r["room"] == "1234" and
            r["tries"] == 1 and r["connect"] > r["answer"],
            "CDR: joined room 1234 in 1 try, port %d" % r["line"])

w = bu.Party(ua)
ua.invite(w)
ua.run(until=lambda: w.status, what="answer")
w.key_4733("1111#2222#3333#")
ua.run(until=lambda: w.byed, what="BYE after three wrong passcodes")
r = row(w)
ua.run(until=lambda: row(w)["state"] == "ended", what="final row")
r = row(w)
h.check(r["tries"] == 3 and r["reason"] == "tries-used" and
        r["outcome"] == "failed" and r["connect"] < 0,
        "three wrong passcodes: BYE, CDR tries 3, tries-used")

# ---- 3. lockout ----
x = bu.Party(ua)
ua.invite(x)
ua.run(until=lambda: x.status, what="answer")
x.key_4733("4444#4445#")
ua.run(until=lambda: x.byed, what="BYE at the lockout")
ua.run(until=lambda: row(x)["state"] == "ended", what="final row")
h.check(row(x)["reason"] == "locked-out", "the 5th wrong passcode locks "
        "127.0.0.1 out (%s)" % row(x)["reason"])
y = bu.Party(ua)
ua.invite(y)
ua.run(until=lambda: y.status, what="answer")
h.check(y.status == 403 and sw.metric("bh_switch_bridge_locked_out_total")
        == 1 and sw.metric("bh_switch_bridge_lockouts_total") == 1,
        "next INVITE gets 403, counted in /metrics")
ua.run(seconds=3.2)
z = bu.Party(ua)
ua.invite(z)
ua.run(until=lambda: z.status, what="answer")
j0 = joined()
z.key_4733("1234#")
ua.run(until=lambda: joined() == j0 + 1, what="join after the lockout")
h.check(z.status == 200, "after the lockout time: answered and joined")
hang_up([z])

# ---- 4. end_with_moderator ----
m, p1, p2 = bu.Party(ua), bu.Party(ua), bu.Party(ua)
for p in (m, p1, p2):
    ua.invite(p)
ua.run(until=lambda: all(p.status for p in (m, p1, p2)), what="answers")
j0 = joined()
m.key_4733("9090#")
ua.run(until=lambda: joined() == j0 + 1, what="moderator joins")
p1.key_4733("5555#")
p2.key_4733("5555#")
ua.run(until=lambda: joined() == j0 + 3, what="participants join")

# ---- 5. keys: mute oneself ----
p1.tone = (700, 4000)
ua.run(seconds=0.6)
p2.heard = []
ua.run(seconds=0.6)
before = bu.goertzel(p2.heard[-4000:], 700)
p1.key_4733("1")
ua.run(seconds=0.6)
p2.heard = []
ua.run(seconds=0.6)
muted = bu.goertzel(p2.heard[-4000:], 700)
p1.key_4733("1")
ua.run(seconds=0.6)
p2.heard = []
ua.run(seconds=0.6)
after = bu.goertzel(p2.heard[-4000:], 700)
h.check(before > 3000 and muted < 100 and after > 3000,
        "key 1 mutes and unmutes: heard %.0f, muted %.0f, again %.0f" %
        (before, muted, after))

# ---- 6. the moderator's keys: lock, remove the last joined ----
m.key_4733("2")                 # lock
ua.run(seconds=0.3)
late = bu.Party(ua)
ua.invite(late)
ua.run(until=lambda: late.status, what="answer")
late.key_4733("5555#")
ua.run(until=lambda: late.byed, what="BYE: the room is locked")
ua.run(until=lambda: row(late) and row(late)["state"] == "ended",
       what="final row")
h.check(row(late)["reason"] == "room-locked" and
        row(late)["outcome"] == "blocked",
        "moderator key 2 locks: a joiner gets BYE (room-locked, blocked)")
m.key_4733("2")                 # unlock
m.key_4733("3")                 # remove the last joined: p2
ua.run(until=lambda: p2.byed, what="BYE to the participant removed")
ua.run(until=lambda: row(p2)["state"] == "ended", what="final row")
h.check(row(p2)["reason"] == "removed" and not p1.byed,
        "moderator key 3 removes the last joined (removed), not the others")

ua.bye(m)
ua.run(until=lambda: p1.byed, what="BYE to everyone")
ua.run(until=lambda: sw.metric("bh_switch_bridge_ports_busy") == 0,
       what="ports free")
rs = [row(p) for p in (m, p1)]
h.check(rs[0]["reason"] == "bye" and rs[1]["reason"] == "moderator-left" and
        all(r["room"] == "5555" and r["outcome"] == "answered" for r in rs),
        "the moderator left: BYE to the room, CDR rows (moderator-left)")
sw.stop()
print("PASS")
