"""test_session.py: issue 14, item 4: RFC 4028 session timers and the
maximum call length (scenario session.yaml: session_expires 4s, min_se
2s, max_call 8s, RTP watching off).

a. Session-Expires below our Min-SE: 422 with Min-SE (8.1), no call;
   the same for a refresh in a dialog (the call goes on).
b. Require: timer is supported (no 420); refresher=uac granted with
   Require: timer in the 2xx; the caller never refreshes: BYE at
   SE - min(32, SE/3) (section 10), reason session-expired.
c. The caller refreshes with UPDATE every second: the call lives on past
   its interval until the caller hangs up (reason bye).
d. A caller without timer support that allows UPDATE: we refresh
   (refresher=uas) at half the interval; it answers 200, later 481: the
   call ends (BYE), reason session-expired.
e. A caller with neither: no session timer; max_call ends it at 8 s,
   reason max-duration.
(On the old switch: none of it; an INVITE with Require: timer got 420.)"""
import os
import re
import sys
import time

import harness as h
import sipua

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, os.path.join(h.HERE, "session.yaml"), SIP, HTTP)
sw.wait_ready()


def code(msg):
    return int(msg.split()[1])


# a. too small
ua = sipua.UA(SIP, "small")
c = ua.invite("Supported: timer\r\nSession-Expires: 1\r\n")
h.check(code(c.resp) == 422 and h.header(c.resp, "Min-SE") == "2",
        "Session-Expires 1 s: 422 with Min-SE: 2")
ua.ack(c)

# b..e, side by side
b = sipua.UA(SIP, "uac-silent")
bc = b.invite("Require: timer\r\nSupported: timer\r\n"
              "Session-Expires: 3;refresher=uac\r\n")
h.check(code(bc.resp) == 200 and
        h.header(bc.resp, "Session-Expires") == "3;refresher=uac" and
        h.header(bc.resp, "Require") == "timer",
        "Require: timer accepted; 2xx grants 3 s, refresher=uac, "
        "Require: timer")
b.ack(bc)
cu = sipua.UA(SIP, "uac-refresh")
cc = cu.invite("Supported: timer\r\nSession-Expires: 3\r\n")
h.check(code(cc.resp) == 200 and
        h.header(cc.resp, "Session-Expires") == "3;refresher=uac",
        "no refresher asked: the caller refreshes")
cu.ack(cc)
cu.request(cc, "UPDATE", "Supported: timer\r\nSession-Expires: 1\r\n")
cu.until(lambda: cc.last is not None, 5, "the answer to a short refresh")
h.check(code(cc.last) == 422 and h.header(cc.last, "Min-SE") == "2",
        "a refresh asking 1 s: 422 with Min-SE: 2, the call goes on")
cc.last = None
d = sipua.UA(SIP, "uas")
dc = d.invite("Allow: INVITE, ACK, BYE, UPDATE\r\n")
h.check(code(dc.resp) == 200 and
        h.header(dc.resp, "Session-Expires") == "4;refresher=uas" and
        h.header(dc.resp, "Require") == "",
        "caller without timers, allowing UPDATE: we refresh (4 s, uas)")
d.ack(dc)
e = sipua.UA(SIP, "plain")
ec = e.invite()
h.check(code(ec.resp) == 200 and h.header(ec.resp, "Session-Expires") == "",
        "caller with neither: no session timer")
e.ack(ec)
t0 = time.time()
uas = [b, cu, d, e]
next_refresh = t0 + 1
bye_b = bye_c = None
refreshes_ok = 0
while time.time() < t0 + 12 and not (e.got(ec, "BYE") and
                                      d.got(dc, "BYE")):
    for u in uas:
        u.pump(0.01)
    now = time.time()
    if bye_b is None and b.got(bc, "BYE"):
        bye_b = now - t0
    if now >= next_refresh and now < t0 + 5:
        cu.request(cc, "UPDATE", "Supported: timer\r\n"
                   "Session-Expires: 3;refresher=uac\r\n")
        next_refresh = now + 1
    if cc.last and cc.last.startswith("SIP/2.0 200") and \
            "UPDATE" in h.header(cc.last, "CSeq"):
        refreshes_ok += 1
        cc.last = None
    if now >= t0 + 5.5 and bye_c is None:
        cu.request(cc, "BYE")
        bye_c = now - t0
    if len(d.got(dc, "UPDATE")) >= 2:
        d.answer_update = 481
h.check(bye_b is not None and 1.5 <= bye_b <= 3.0,
        "b: BYE %.1f s in (no refresh of a 3 s session)" % (bye_b or -1))
h.check(not cu.got(cc, "BYE") and refreshes_ok >= 4,
        "c: %d refreshes by UPDATE kept the call up past 3 s" %
        refreshes_ok)
ups = d.got(dc, "UPDATE")
h.check(len(ups) >= 2 and
        h.header(ups[0], "Session-Expires") == "4;refresher=uas",
        "d: we refreshed with UPDATE (Session-Expires: 4;refresher=uas)")
h.check(bool(d.got(dc, "BYE")), "d: a 481 to our refresh ended the call")
h.check(bool(e.got(ec, "BYE")) and time.time() - t0 >= 7,
        "e: ended by max_call at 8 s")
m = sw.metrics()
h.check(re.search(r"bh_switch_session_refreshes_total [1-9]", m) and
        'bh_switch_calls_ended_total{reason="session-expired"} 2' in m and
        'bh_switch_calls_ended_total{reason="max-duration"} 1' in m,
        "refreshes and ends counted in /metrics")
sw.stop()
rows = {r["caller"]: r for r in sw.rows()}
h.check("small" not in rows, "a: the 422 left no row")
h.check(rows["uac-silent"]["reason"] == "session-expired" and
        rows["uac-refresh"]["reason"] == "bye" and
        rows["uas"]["reason"] == "session-expired" and
        rows["plain"]["reason"] == "max-duration" and
        all(r["outcome"] == "answered" for r in rows.values()),
        "each row says why its call ended")
print("PASS")
