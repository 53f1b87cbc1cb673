"""test_ghost.py: issue 14, item 4, and the never-ACKed call.

20 INVITE + ACK from one source, then silence, must not block the lines
for good: with rtp_timeout 2s the switch ends each ghost with BYE (Reason:
no RTP) and the lines are free again; the ghosts are recorded as failed,
reason rtp-timeout, with no talk time. A caller that talked for 1 s and
went silent is billed up to its last packet. A caller that holds the call
(UPDATE with a=inactive, RFC 3264 8.4) is not cut while on hold, and its
silence counts again from the resume. A call whose 200 is never ACKed
ends after 64*T1 as failed, reason no-ack, no talk (it said `failed`
with status 200 and 32 s of talk before). (On the old switch: every later
caller heard 486, at 1 s and at 60 s.)"""
import os
import re
import sys
import time

import harness as h
import sipua

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, os.path.join(h.HERE, "ghost.yaml"), SIP, HTTP,
              verbose=True)
sw.wait_ready()


def status_of(c):
    return int(c.resp.split()[1])


# A call never ACKed (its end is checked last: 64*T1 = 32 s).
noack = sipua.UA(SIP, "noack")
na = noack.invite()
h.check(status_of(na) == 200, "a call answered, never to be ACKed")

ghosts = sipua.UA(SIP, "ghost")
gs = []
for _ in range(20):
    c = ghosts.invite()
    ghosts.ack(c)
    gs.append(c)
h.check(all(status_of(c) == 200 for c in gs),
        "20 INVITE + ACK from one source, then silence")
late = sipua.UA(SIP, "late")
c = late.invite()
late.ack(c)
h.check(status_of(c) == 486, "every line taken: the next caller hears 486")
t0 = time.time()
ghosts.until(lambda: all(ghosts.got(c, "BYE") for c in gs), 15,
             "the switch's BYEs to the ghosts")
h.check(all("no RTP" in h.header(ghosts.got(c, "BYE")[0], "Reason")
            for c in gs),
        "each ghost got a BYE saying why (%.1f s after the last ACK)" %
        (time.time() - t0))
busy = sw.status()["numbers"][0]["lines_busy"]
h.check(busy == 1, "the lines are free again (%d busy: the unACKed call)"
        % busy)
c = late.invite()
late.ack(c)
h.check(status_of(c) == 200, "a new caller is answered")
late.request(c, "BYE")
late.until(lambda: c.last is not None, 5, "200 to BYE")

# Talks 1 s (50 packets of 20 ms), then silence.
live = sipua.UA(SIP, "live")
lc = live.invite()
live.ack(lc)
for _ in range(50):
    live.send_rtp(lc)
    live.pump(0.02)
live.until(lambda: live.got(lc, "BYE"), 10, "the BYE after 2 s of silence")
h.check(bool(live.got(lc, "BYE")), "a caller silent after 1 s of talk is ended")

# Holds with a=inactive for 5 s (2.5 times the timeout), then resumes.
hold = sipua.UA(SIP, "hold")
hc = hold.invite()
hold.ack(hc)
hold.send_rtp(hc, 10)
hold.request(hc, "UPDATE", body=hold.sdp("inactive"))
hold.until(lambda: hc.last is not None, 5, "200 to the hold UPDATE")
h.check(hc.last.startswith("SIP/2.0 200") and "a=recvonly" not in hc.last,
        "on hold (UPDATE, a=inactive) answered 200")
end = time.time() + 5
while time.time() < end:
    hold.pump()
h.check(not hold.got(hc, "BYE"), "not cut while on hold for 5 s")
hold.request(hc, "UPDATE", body=hold.sdp("sendrecv"))
t1 = time.time()
hold.until(lambda: hold.got(hc, "BYE"), 10, "the BYE after the resume")
h.check(time.time() - t1 >= 1.5,
        "after the resume, silent 2 s: ended (%.1f s)" % (time.time() - t1))

noack.until(lambda: noack.got(na, "BYE"), 40, "the BYE of the unACKed call")
h.check(bool(noack.got(na, "BYE")),
        "the unACKed call ended with BYE after 64*T1")

m = sw.metrics()
h.check('bh_switch_calls_ended_total{reason="rtp-timeout"} 22' in m and
        'bh_switch_calls_ended_total{reason="no-ack"} 1' in m,
        "ends counted by reason in /metrics")
log = sw.stop()
rows = {r["caller"]: [] for r in sw.rows()}
for r in sw.rows():
    rows[r["caller"]].append(r)
g = rows["ghost"]
h.check(len(g) == 20 and all(r["outcome"] == "failed" and
                             r["reason"] == "rtp-timeout" and
                             r["talk"] == 0 and r["state"] == "ended"
                             for r in g),
        "20 ghost rows: failed, rtp-timeout, no talk")
(lr,) = rows["live"]
h.check(lr["outcome"] == "answered" and lr["reason"] == "rtp-timeout" and
        0.5 <= lr["talk"] <= lr["end"] - lr["connect"] - 1.5,
        "the silent caller billed to its last packet (talk %.2f s of %.2f)"
        % (lr["talk"], lr["end"] - lr["connect"]))
(hr,) = rows["hold"]
h.check(hr["outcome"] == "answered" and hr["reason"] == "rtp-timeout" and
        hr["end"] - hr["answer"] > 6, "the held call: answered, %.1f s" %
        (hr["end"] - hr["answer"]))
(nr,) = rows["noack"]
h.check(nr["outcome"] == "failed" and nr["reason"] == "no-ack" and
        nr["talk"] == 0 and nr["connect"] == -1 and nr["status"] == 200,
        "the unACKed call: failed, no-ack, no talk (status 200 as sent)")
h.check(re.search(r"call \d+ from 127\.0\.0\.1:\d+: no RTP for", log),
        "the log names the silent caller's address")
print("PASS")
