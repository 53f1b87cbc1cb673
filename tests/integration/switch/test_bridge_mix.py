#!/usr/bin/env python3
"""test_bridge_mix.py: the conference mixer through the real switch, its
participants played by bridgeua.py on 127.0.0.1.

1. Four participants join room 1234 by RFC 4733 and each sends a tone of
   its own (400, 700, 1100, 1500 Hz at amplitude 4000): each hears the
   three others at their level (within 20 %) and its own below 0.05 of a
   peer's (Goertzel on the decoded G.711 it received). The RTP it gets
   has one SSRC, consecutive sequence numbers and timestamps in steps of
   160.
2. Two participants at full scale (amplitude 32000, PCMU and PCMA): each
   hears the other near full scale, its own below 0.05 (no wrap-around,
   no own-voice leak).
3. Reordered, lost and jittered input (packets swapped in pairs, one in
   ten dropped, some held back 60 ms): the others still hear the tone.
4. The room is recorded: the WAV file named in every participant's CDR
   row and listed at /recordings holds the tones of the mix.
"""
import os
import random
import sys
import urllib.request
import json
import wave
import struct

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import bridgeua as bu  # noqa: E402

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
sw = h.Switch(busyhour, h.scenario("bridge.yaml", {}), SIP, HTTP)
sw.wait_ready()
ua = bu.UA(SIP)


def join(parties, code="1234#"):
    for p in parties:
        ua.invite(p)
    ua.run(until=lambda: all(p.status for p in parties), what="answers")
    h.check(all(p.status == 200 for p in parties), "%d participants "
            "answered" % len(parties))
    for p in parties:
        p.key_4733(code)
    ua.run(until=lambda: sw.metric("bh_switch_mixer_participants") ==
           len(parties), limit=10, what="joins")


def levels(p, freqs, seconds=1.0):
    """Each frequency's level in what p heard during the last `seconds`:
    the median over 40 ms windows (every tone here has a whole number of
    cycles in 40 ms), so that a few frames a loaded machine delayed or
    lost (concealed by the mixer) do not move it."""
    pcm = p.heard[-int(8000 * seconds):]
    out = []
    for f in freqs:
        w = sorted(bu.goertzel(pcm[k:k + 320], f)
                   for k in range(0, len(pcm) - 319, 320))
        out.append(w[len(w) // 2] if w else 0.0)
    return out


def listen(parties, seconds):
    """Clears what the parties heard, then runs until each heard
    `seconds` of audio (bounded)."""
    for p in parties:
        p.heard = []
    ua.run(until=lambda: all(len(p.heard) >= 8000 * seconds
                             for p in parties),
           limit=20, what="%.1f s of audio" % seconds)


def leave(parties):
    for p in parties:
        ua.bye(p)
    ua.run(until=lambda: sw.metric("bh_switch_mixer_participants") == 0,
           limit=10, what="everyone left")


# ---- 1. four tones ----
freqs = [400, 700, 1100, 1500]
ps = [bu.Party(ua) for _ in freqs]
join(ps)
for p, f in zip(ps, freqs):
    p.tone = (f, 4000)
ua.run(seconds=0.6)  # jitter buffers fill
for p in ps:
    p.heard_pkts = []
listen(ps, 1.5)
for i, p in enumerate(ps):
    lv = levels(p, freqs)
    peers = [lv[j] for j in range(4) if j != i]
    h.check(all(3200 < x < 4800 for x in peers) and lv[i] < 0.05 * min(peers),
            "%d Hz party hears peers %s, own %.0f" %
            (freqs[i], [round(x) for x in peers], lv[i]))
    pk = p.heard_pkts
    ssrcs = {x[2] for x in pk}
    seq_ok = all((pk[k + 1][0] - pk[k][0]) & 0xffff == 1
                 for k in range(len(pk) - 1))
    # A frame the switch's loop was too late to mix shows as a timestamp
    # gap (a multiple of 160) with consecutive sequence numbers.
    steps = [(pk[k + 1][1] - pk[k][1]) & 0xffffffff
             for k in range(len(pk) - 1)]
    ts_ok = all(x >= 160 and x % 160 == 0 for x in steps) and \
        steps.count(160) >= 0.9 * len(steps)
    h.check(len(pk) > 50 and len(ssrcs) == 1 and seq_ok and ts_ok and
            all(x[3] == 0 for x in pk),
            "%d Hz party: %d packets, one SSRC, seq +1, ts +160 (%d gaps), "
            "PCMU" % (freqs[i], len(pk), len(steps) - steps.count(160)))

# ---- 3. reordered, lost, jittered input from the 700 Hz party ----
held = []
rnd = random.Random(7)


def mangle(pkts):
    out = []
    for x in pkts:
        r = rnd.random()
        if r < 0.1:
            continue                  # lost
        if r < 0.25:
            held.append([x, 3])       # jitter: 60 ms late
            continue
        if r < 0.45 and not held:
            held.append([x, 1])       # reordered with the next one
            continue
        out.append(x)
    for e in list(held):
        e[1] -= 1
        if e[1] <= 0:
            out.append(e[0])
            held.remove(e)
    return out


ps[1].mangle = mangle
listen(ps, 2.0)
for i in (0, 2, 3):
    lv = levels(ps[i], freqs, 1.5)
    h.check(lv[1] > 2000 and all(lv[j] > 3200 for j in range(4)
                                 if j not in (i, 1)),
            "%d Hz party hears the mangled 700 Hz at %.0f, others intact" %
            (freqs[i], lv[1]))
st = sw.status()
h.check(st["mixer"]["ticks"] > 100, "mixer ticks %d, late %d" %
        (st["mixer"]["ticks"], st["mixer"]["late_ticks"]))
leave(ps)

# ---- 4. the recording ----
rows = sw.rows()
paths = {r["recording"] for r in rows}
h.check(len(rows) == 4 and len(paths) == 1 and list(paths)[0].endswith(
    ".wav"), "4 CDR rows name one recording %s" % paths)
path = list(paths)[0]
rec = json.loads(urllib.request.urlopen(
    "http://127.0.0.1:%d/recordings" % HTTP, timeout=5).read())
listed = [r for r in rec["recordings"] if r["path"] == path]
h.check(len(listed) == 1 and listed[0]["room"] == "conf/1234" and
        not listed[0]["open"] and listed[0]["seconds"] > 3,
        "/recordings lists it closed: %s" % listed)
w = wave.open(path)
h.check(w.getframerate() == 8000 and w.getnchannels() == 1 and
        w.getsampwidth() == 2, "WAV 8 kHz mono 16-bit")
data = w.readframes(w.getnframes())
pcm = list(struct.unpack("<%dh" % (len(data) // 2), data))
# The mix while all four talked: 40 ms windows holding the four tones at
# their level (at least a second of them).
full = [k for k in range(0, len(pcm) - 319, 320)
        if all(3000 < bu.goertzel(pcm[k:k + 320], f) < 5000 for f in freqs)]
h.check(len(full) >= 25, "the recording holds the four tones at their "
        "level in %d windows of 40 ms (of %d)" % (len(full),
                                                  len(pcm) // 320))

# ---- 2. two at full scale, PCMU and PCMA ----
a, b = bu.Party(ua, pt=0), bu.Party(ua, pt=8)
join([a, b], "5555#")
a.tone, b.tone = (500, 32000), (1300, 32000)
ua.run(seconds=0.6)
listen([a, b], 1.2)
la, lb = levels(a, [500, 1300]), levels(b, [500, 1300])
h.check(la[1] > 28000 and la[0] < 0.05 * la[1],
        "full scale PCMU party hears 1300 Hz at %.0f, own %.0f" % (la[1],
                                                                    la[0]))
h.check(lb[0] > 28000 and lb[1] < 0.05 * lb[0],
        "full scale PCMA party hears 500 Hz at %.0f, own %.0f" % (lb[0],
                                                                   lb[1]))
h.check(max(abs(x) for x in a.heard) <= 32767 and
        max(abs(x) for x in b.heard) <= 32767, "no sample beyond 16 bits")
leave([a, b])
sw.stop()
print("PASS")
