"""test_pbx_trunk.py: outside calls through the trunk to a carrier UAS
played by the test, and the toll-fraud guard: a caller that is no account,
a wrong password and a prefix not allowed get 403 and nothing reaches the
carrier; the per-account cap on calls at once holds under a burst, the
cap per hour after five calls; trunk lines are taken first come first
served (503 beyond); an extension forwards to a mobile through the trunk;
/metrics counts each refusal by reason; the CDR rows are outgoing calls
paid by the company."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbxua  # noqa: E402
from pbxua import h  # noqa: E402

busyhour = sys.argv[1]
net, carrier, sw = pbxua.with_carrier(busyhour, "trunk.yaml")


def fraud(reason):
    m = re.search(r'^bh_switch_fraud_refused_total\{reason="%s"\} (\d+)$' %
                  reason, sw.metrics(), re.M)
    return int(m.group(1)) if m else None


def settle(d, what):
    net.run(until=lambda: d.status is not None, limit=8, what=what)
    return d.status


e301 = pbxua.Endpoint(net, "301", "s301", tone=700)
e302 = pbxua.Endpoint(net, "302", "s302")
e303 = pbxua.Endpoint(net, "303", "s303")

# An outside call: challenged, authenticated, out through the gateway.
d = e301.call("74951234567")
h.check(settle(d, "outside call") == 200, "301 dials 74951234567: 200")
h.check(len(carrier.invites) == 1 and
        carrier.invites[0].startswith("INVITE sip:74951234567@127.0.0.1:%d "
                                      % carrier.port),
        "the carrier's UAS gets the INVITE for 74951234567")
net.run(seconds=1.0)
h.check(carrier.level(700, 4000) > 1000 and e301.level(1200, 4000) > 1000,
        "the carrier hears 301 and 301 hears the carrier (%.0f, %.0f)" %
        (carrier.level(700, 4000), e301.level(1200, 4000)))
e301.bye(d)
net.run(seconds=0.3)

# Refusals: nothing reaches the carrier.
stranger = pbxua.Endpoint(net, "mallory", "guess")
d = stranger.call("79161112233")
h.check(settle(d, "stranger") == 403, "a caller that is no account: 403")
d = pbxua.Endpoint(net, "302", "wrong").call("79161112233")
h.check(settle(d, "wrong password") == 403, "a wrong password: 403")
d = e302.call("84951234567")
h.check(settle(d, "long distance") == 403, "a prefix not allowed (8...): 403")
h.check(len(carrier.invites) == 1, "none of them reached the carrier")
h.check(fraud("unauthenticated") == 1 and fraud("auth-failed") == 1 and
        fraud("prefix") == 1, "each refusal counted in /metrics by reason")

# A burst of five calls from one account: two go out (its cap), three 403.
burst = [e301.call("7495000000%d" % i) for i in range(5)]
net.run(until=lambda: all(x.status is not None for x in burst), limit=8,
        what="the burst's answers")
ok = [x for x in burst if x.status == 200]
h.check(len(ok) == 2 and sum(x.status == 403 for x in burst) == 3,
        "a burst of 5 from 301: 2 answered, 3 refused 403 (%s)" %
        [x.status for x in burst])
h.check(fraud("account-calls") == 3 and len(carrier.invites) == 3,
        "counted as account-calls; only the two reached the carrier")
# Both trunk lines are taken now: 302 gets 503.
d = e302.call("79160000002")
h.check(settle(d, "trunk full") == 503, "trunk lines all taken: 503")
h.check(sw.metric("bh_switch_trunk_full_total") == 1 and
        sw.metric("bh_switch_trunk_lines_busy") == 2,
        "trunk full counted; 2 lines busy")
for x in ok:
    e301.bye(x)
net.run(until=lambda: sw.metric("bh_switch_trunk_lines_busy") == 0, limit=5,
        what="lines free")

# Per hour: 303 makes five calls one after another; the sixth is refused.
for i in range(5):
    d = e303.call("7916555000%d" % i)
    h.check(settle(d, "303 call") == 200, "303's call %d goes out" % (i + 1))
    e303.bye(d)
    net.run(seconds=0.1)
d = e303.call("79165550009")
h.check(settle(d, "sixth") == 403 and fraud("account-rate") == 1,
        "303's sixth call within the hour: 403, counted account-rate")

# 304 forwards to a mobile: out through the trunk (no account needed to
# call an extension; the forward is the company's).
n = len(carrier.invites)
d = e302.call("304")
h.check(settle(d, "forward out") == 200 and len(carrier.invites) == n + 1 and
        "79160000001@" in carrier.invites[-1].split("\r\n")[0],
        "304 forwards always to 79160000001 through the trunk")
e302.bye(d)
net.run(seconds=0.3)

sw.stop()
rows = sw.rows()
out = [r for r in rows if r["kind"] == "trunk"]
answered = [r for r in out if r["outcome"] == "answered"]
h.check(len(answered) == 1 + 2 + 5 + 1 and
        all(r["outbound"] == 1 and r["payer"] == "company" and r["talk"] > 0
            for r in answered),
        "CDR: 9 outside calls answered (one forwarded), each outbound, "
        "paid by the company")
h.check(sorted(r["reason"] for r in out if r["status"] == 403) ==
        sorted(["fraud-unauthenticated", "fraud-auth-failed", "fraud-prefix"]
               + ["fraud-account-calls"] * 3 + ["fraud-account-rate"]),
        "CDR: each 403 has a row with its reason")
fw = [r for r in rows if r["called"] == "304"]
h.check(len(fw) == 1 and fw[0]["outcome"] == "answered",
        "CDR: the forwarded call's row")
print("PASS")
