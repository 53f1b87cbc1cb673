"""test_pbx_queue.py: a customer's call to a number whose queue operator
is an extension. The number has recording: true: the customer and the
operator talk in a recorded call (a WAV with both tones, a row at
/recordings, the file in the CDR row). The operator adds a colleague by
'#502#' (the customer on hold) and '#' (all three); then the operator
hangs up: the room goes on, the customer and 502 still hear each other
(an employee leaving does not end it while the customer and another
employee remain); when 502, the last employee, hangs up, the customer
gets BYE. The customer's own keys do nothing. Rows: the number's call and
502's leg, an outgoing call paid by the company."""
import json
import os
import sys
import urllib.request
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbxua  # noqa: E402
from pbxua import h, b  # noqa: E402

busyhour = sys.argv[1]
net, carrier, sw, cust, op, col = pbxua.customer_and_staff(busyhour,
                                                           "queue.yaml")

d = cust.call("700")
net.run(until=lambda: len(op.invites) == 1 and op.active(), limit=8,
        what="the operator answers")
h.check(d.status == 200, "the customer calls 700: answered, the queue "
        "rings extension 501, which answers")
net.run(seconds=1.5)
TONES = {cust: 500, op: 700, col: 900}


def lv(ep, n=4000):
    return pbxua.levels(ep, TONES, n)


lc, lo = lv(cust), lv(op)
h.check(lc[700] > 1000 and lo[500] > 1000,
        "the customer and the operator talk (%.0f, %.0f)" % (lc[700], lo[500]))
with urllib.request.urlopen("http://127.0.0.1:%d/recordings" % sw.http_port,
                            timeout=5) as r:
    recs = json.loads(r.read())["recordings"]
h.check(len(recs) == 1 and recs[0]["open"] and
        recs[0]["caller"] == "customer" and recs[0]["number"] == "desk",
        "/recordings lists the call being recorded: %s" % recs)

cust.key("#502#")
net.run(seconds=0.8)
h.check(len(col.invites) == 0, "the customer's '#502#' does nothing")

op.key("#502#")
net.run(until=lambda: len(col.invites) == 1, limit=5, what="502 called")
net.run(seconds=1.5)
lc, l2, lo = lv(cust), lv(col), lv(op)
h.check(l2[700] > 1000 and lo[900] > 1000 and lc[700] < 300 and
        lc[900] < 300,
        "the operator's #502#: 502 and the operator talk, the customer on "
        "hold hears neither (%.0f %.0f / %.0f %.0f)" %
        (l2[700], lo[900], lc[700], lc[900]))
op.key("#")
net.run(seconds=1.5)
lc, l2, lo = lv(cust), lv(col), lv(op)
h.check(all(v > 700 for v in (lc[700], lc[900], l2[500], l2[700],
                              lo[500], lo[900])),
        "'#': all three in conference (%s / %s / %s)" % (lc, l2, lo))

# The operator leaves: the customer and 502 go on.
op.bye(list(op.dialogs.values())[-1])
net.run(seconds=1.5)
cd = list(col.dialogs.values())[-1]
h.check(not d.byed and not cd.byed,
        "the operator hangs up: neither the customer nor 502 gets BYE")
lc, l2 = lv(cust, 3000), lv(col, 3000)
h.check(lc[900] > 700 and l2[500] > 700 and lc[700] < 300,
        "the customer and 502 still hear each other (%.0f, %.0f), not the "
        "operator (%.0f)" % (lc[900], l2[500], lc[700]))

# The last employee leaves: the room ends.
col.bye(cd)
net.run(until=lambda: d.byed, limit=5, what="BYE to the customer")
h.check(d.byed, "502, the last employee, hangs up: the customer gets BYE")
net.run(seconds=0.3)
h.check(sw.status()["calls_active"] == 0, "no call left")
sw.stop()

rows = sw.rows()
main = [r for r in rows if r["called"] == "700"]
legs = [r for r in rows if r["reason"] == "adhoc"]
h.check(len(main) == 1 and main[0]["outcome"] == "answered" and
        main[0]["reason"] == "conference-end" and
        main[0]["recording"].endswith(".wav"),
        "CDR: the number's call, answered, ended with the conference, its "
        "recording named (%s)" % (main[0] if main else None))
h.check(len(legs) == 1 and legs[0]["called"] == "502" and
        legs[0]["caller"] == "501" and legs[0]["outbound"] == 1 and
        legs[0]["payer"] == "company" and legs[0]["talk"] > 2,
        "CDR: 502's leg, dialled by operator 501, paid by the company")
w = wave.open(main[0]["recording"])
raw = w.readframes(w.getnframes())
pcm = [int.from_bytes(raw[i:i + 2], "little", signed=True)
       for i in range(0, len(raw), 2)]
head = pcm[4000:12000]  # the first second of talk: customer and operator
t500, t700 = b.goertzel(head, 500), b.goertzel(head, 700)
h.check(t500 > 1000 and t700 > 1000,
        "the WAV holds the customer's and the operator's tones (%.0f, %.0f)"
        % (t500, t700))
print("PASS")
