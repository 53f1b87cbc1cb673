#!/usr/bin/env python3
"""test_bridge_prompt.py: a bridge's `prompt` WAV. The caller hears the
WAV (a 1,700 Hz tone written by the test) after the answer; after a wrong
passcode it hears the low tone (400 Hz) and the prompt again; a prompt
that is not a WAV file stops the switch at start (exit 2, the reason
said)."""
import math
import os
import struct
import subprocess
import sys
import tempfile
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import bridgeua as bu  # noqa: E402

busyhour = sys.argv[1]
SIP, HTTP = h.free_ports(2)
d = tempfile.mkdtemp(prefix="bh_prompt_")
wav = os.path.join(d, "prompt.wav")
w = wave.open(wav, "wb")
w.setnchannels(1)
w.setsampwidth(2)
w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(
    2 * math.pi * 1700 * i / 8000))) for i in range(8000)))
w.close()
text = open(h.scenario("bridge.yaml", {})).read().replace(
    "      ports: 10\n", "      ports: 10\n      prompt: %s\n" % wav)
sc = os.path.join(d, "bridge.yaml")
open(sc, "w").write(text)

sw = h.Switch(busyhour, sc, SIP, HTTP)
sw.wait_ready()
ua = bu.UA(SIP)
p = bu.Party(ua)
ua.invite(p)
ua.run(until=lambda: p.status, what="answer")
ua.run(seconds=0.6)
lv = bu.goertzel(p.heard[-2400:], 1700)
h.check(p.status == 200 and lv > 6000, "the prompt WAV is played "
        "(1,700 Hz at %.0f)" % lv)
ua.run(seconds=1.0)       # the prompt (1 s) is over: silence
p.heard = []
p.key_4733("999#")
ua.run(seconds=1.6)
win = [(bu.goertzel(p.heard[k:k + 1600], 400),
        bu.goertzel(p.heard[k:k + 1600], 1700))
       for k in range(0, len(p.heard) - 1600, 800)]
print("windows (400 Hz, 1700 Hz):", [(round(a), round(b)) for a, b in win])
low = max(a for a, _ in win)
again = max(b for a, b in win[win.index(max(win)) + 1:]) if win else 0
h.check(low > 4000 and again > 6000, "a wrong passcode: the low tone "
        "(%.0f), then the prompt again (%.0f)" % (low, again))
ua.bye(p)
ua.run(until=lambda: sw.metric("bh_switch_bridge_ports_busy") == 0,
       what="port free")
sw.stop()

bad = os.path.join(d, "bad.yaml")
open(bad, "w").write(text.replace(wav, os.path.join(d, "bridge.yaml")))
r = subprocess.run([busyhour, "switch", bad, "--listen", "127.0.0.1:0"],
                   capture_output=True, text=True, timeout=30)
h.check(r.returncode == 2 and "prompt" in r.stderr,
        "a prompt that is no WAV: exit 2 (%s)" % r.stderr.strip())
print("PASS")
