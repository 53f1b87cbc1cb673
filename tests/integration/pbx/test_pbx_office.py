"""test_pbx_office.py: the bundled office PBX (scenarios/office-pbx.yaml)
runs in `busyhour switch`, and every feature it names does something on
the wire. Its WAV files are found beside the scenario (run from another
folder), every section is served, the PBX counters are in /status. With
pbxua phones for 101-106, a customer and the carrier (the trunk's gateway
moved to the carrier's port, nothing else changed):
- the city number: the IVR menu (a key), the queue rings the extensions
  (ring-all), 101 answers, the call is recorded (recording: true): WAV
  with both tones, /recordings; 101's '#79161234567#' then '#' adds a
  mobile through the trunk (ad-hoc conference, seed 004); the customer's
  BYE ends it;
- 102 forward_busy 103; 105 forward (always) to a mobile through the
  trunk; 106 recording: true, and forward_no_answer 101 after 15 s;
- the trunk's toll-fraud guard: a stranger, and a prefix not allowed
  (long distance), get 403 and nothing reaches the carrier;
- `busyhour report --cdr` prices the CDRs with the scenario's tariffs:
  the forward to the mobile and the ad-hoc leg at the mobile rate, paid
  by the company."""
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbxua  # noqa: E402
from pbxua import h, b  # noqa: E402

busyhour = os.path.abspath(sys.argv[1])
SCEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "..", "scenarios")
SIP, HTTP = h.free_ports(2)
net = pbxua.Net(SIP)
carrier = pbxua.Endpoint(net, "carrier", policy="answer", tone=1200)
# The bundled scenario, its gateway moved to the carrier, with its sounds.
tmp = tempfile.mkdtemp(prefix="bh_office_")
for f in ("hold.wav", "welcome.wav"):
    shutil.copy(os.path.join(SCEN, f), tmp)
text = open(os.path.join(SCEN, "office-pbx.yaml")).read()
h.check("sip:127.0.0.1:5090" in text, "the scenario's gateway is 5090")
scenario = os.path.join(tmp, "office-pbx.yaml")
with open(scenario, "w") as f:
    f.write(text.replace("127.0.0.1:5090", "127.0.0.1:%d" % carrier.port))
# Run from another folder, so that the sounds must be found beside the
# scenario file, not in the working directory.
os.chdir(tempfile.mkdtemp(prefix="bh_office_cwd_"))
sw = h.Switch(busyhour, scenario, SIP, HTTP, verbose=True)
sw.wait_ready()
st = sw.status()
h.check(st["status"] == "ready", "the office PBX is ready")
nums = {n["name"]: n for n in st["numbers"]}
h.check("office" in nums and nums["office"]["queue"] and
        nums["office"]["operators"] == 4,
        "the office number's queue has its 4 extensions as operators")
h.check("pbx" in st and "fraud_refused" in st["pbx"],
        "the PBX (trunk, forwarding, toll-fraud guard) counts in /status")

PW = {"101": "anna-secret", "102": "boris-secret", "103": "vera-secret",
      "104": "gleb-secret", "106": "accounts-secret"}
ph = {u: pbxua.Endpoint(net, u, PW[u], policy="ring", tone=600 + 20 * i)
      for i, u in enumerate(sorted(PW))}
for u, e in ph.items():
    h.check(e.register() == 200, "%s registers" % u)
cust = pbxua.Endpoint(net, "79031112233", tone=500)
TONE = {e: e.tone[0] for e in list(ph.values()) + [cust, carrier]}


def hears(ep, other, n=4000):
    return ep.level(TONE[other], n)


def recordings():
    with urllib.request.urlopen("http://127.0.0.1:%d/recordings" % HTTP,
                                timeout=5) as r:
        return json.loads(r.read())["recordings"]


# ---- the city number: menu, queue of extensions, recording, '#' --------
ph["101"].policy = "answer"
ph["102"].policy = "busy"
d = cust.call("74959876543")
net.run(until=lambda: d.status is not None, limit=5, what="answer")
h.check(d.status == 200, "the customer calls the city number: answered "
        "(the menu)")
net.run(seconds=0.5)
cust.key("1")
net.run(until=lambda: ph["101"].active(), limit=10, what="101 answers")
net.run(seconds=1.5)
h.check(all(len(ph[u].invites) >= 1 for u in ("101", "102", "103", "104")),
        "a key leaves the menu; the queue rings all four extensions "
        "(ring-all): %s" % {u: len(ph[u].invites) for u in ph})
h.check(hears(cust, ph["101"]) > 1000 and hears(ph["101"], cust) > 1000,
        "101 answers; the customer and 101 talk")
recs = recordings()
h.check(len(recs) == 1 and recs[0]["room"] == "number/office" and
        recs[0]["caller"] == "79031112233",
        "the call is being recorded (recording: true): %s" % recs)
ph["101"].key("#79161234567#")
net.run(until=lambda: len(carrier.invites) == 1, limit=5,
        what="the carrier called")
h.check(carrier.invites[-1].startswith("INVITE sip:79161234567@"),
        "101's #79161234567#: the mobile is called through the trunk")
net.run(seconds=1.0)
ph["101"].key("#")
net.run(seconds=1.5)
lv = (hears(cust, carrier), hears(carrier, cust), hears(cust, ph["101"]))
h.check(all(v > 500 for v in lv),
        "'#': customer, 101 and the mobile in conference (%s)" % (lv,))
cust.bye(d)
legs = [list(ph["101"].dialogs.values())[-1],
        list(carrier.dialogs.values())[-1]]
net.run(until=lambda: all(x.byed for x in legs), limit=5, what="BYEs")
h.check(True, "the customer hangs up: 101 and the mobile get BYE")

# ---- forwarding ---------------------------------------------------------
ph["103"].policy = "answer"
c = ph["101"].call("102")
net.run(until=lambda: c.status is not None, limit=5, what="answer")
h.check(c.status == 200 and ph["102"].invites[-1].find("from 101") > 0 and
        ph["103"].active(),
        "102 is busy: forward_busy rings 103, which answers")
ph["101"].bye(c)
net.run(seconds=0.5)

ncar = len(carrier.invites)
c = ph["103"].call("105")
net.run(until=lambda: c.status is not None, limit=5, what="answer")
h.check(c.status == 200 and len(carrier.invites) == ncar + 1 and
        carrier.invites[-1].startswith("INVITE sip:79161234567@"),
        "105 forwards always to the director's mobile, through the trunk")
net.run(seconds=2.2)
ph["103"].bye(c)
net.run(seconds=0.5)

ph["106"].policy = "answer"
c = ph["104"].call("106")
net.run(until=lambda: c.status is not None, limit=5, what="answer")
net.run(seconds=1.5)
h.check(c.status == 200 and hears(ph["106"], ph["104"]) > 1000,
        "104 calls 106, which answers")
ph["104"].bye(c)
net.run(seconds=0.5)
recs = recordings()
h.check(len(recs) == 2 and recs[1]["room"] == "extension/106" and
        recs[1]["caller"] == "104" and not recs[1]["open"],
        "106's calls are recorded (recording: true): %s" % recs[1:])

ph["106"].policy = "ring"
n101 = len(ph["101"].invites)
c = ph["104"].call("106")
net.run(until=lambda: c.status is not None, limit=22,
        what="106's no-answer forward")
h.check(c.status == 200 and len(ph["101"].invites) == n101 + 1,
        "106 rings 15 s unanswered: forward_no_answer rings 101, which "
        "answers")
ph["104"].bye(c)
net.run(seconds=0.5)

# ---- the toll-fraud guard ----------------------------------------------
ncar = len(carrier.invites)
stranger = pbxua.Endpoint(net, "stranger")
s1 = stranger.call("79161234567", auth=False)
s2 = ph["104"].call("78121234567")
net.run(until=lambda: s1.status and s2.status, limit=5, what="refusals")
net.run(seconds=0.3)
h.check(s1.status == 403 and s2.status == 403 and
        len(carrier.invites) == ncar,
        "a stranger and a long-distance prefix get 403; nothing reaches "
        "the carrier")
st = sw.status()
log = sw.stop()
h.check("not served" not in log, "every section of the scenario is served")

# ---- the CDRs and their prices -----------------------------------------
rows = sw.rows()
main = [r for r in rows if r["called"] == "74959876543"]
h.check(len(main) == 1 and main[0]["outcome"] == "answered" and
        main[0]["recording"].endswith(".wav"),
        "CDR: the customer's call, answered, its recording named")
w = wave.open(main[0]["recording"])
raw = w.readframes(w.getnframes())
pcm = [int.from_bytes(raw[i:i + 2], "little", signed=True)
       for i in range(0, len(raw), 2)]
head = pcm[4000:12000]
t500, t101 = b.goertzel(head, 500), b.goertzel(head, TONE[ph["101"]])
h.check(t500 > 1000 and t101 > 1000,
        "the WAV holds the customer's and 101's tones (%.0f, %.0f)" %
        (t500, t101))
out = os.path.join(tmp, "costs")
r = subprocess.run([busyhour, "report", "--cdr", sw.cdr, "--scenario",
                    scenario, "--csv", out, "--md", "-"],
                   capture_output=True, text=True, timeout=60)
h.check(r.returncode == 0, "busyhour report --cdr exits 0")
print(r.stdout)
lines = {int(x["id"]): x for x in
         csv.DictReader(open(os.path.join(out, "cdr-costs.csv")))}
mobile = [x for x in rows if x["kind"] == "trunk" and
          x["number"] == "79161234567" and x["outcome"] == "answered"]
h.check(len(mobile) == 2, "two calls reached the mobile: the ad-hoc leg "
        "and 105's forward")
for x in mobile:
    # tariffs: mobile 2.40 per minute, outbound increment 1 s, no setup
    d = math.ceil(x["end"] - x["answer"] - 1e-6)
    want = math.floor(2.40 * 1e6 * d / 60 + 0.5) / 1e6
    got = lines[x["id"]]
    h.check(got["payer"] == "company" and got["origin"] == "mobile" and
            abs(float(got["cost"]) - want) < 1e-6,
            "%s to the mobile: %d s at 2.40/min = %.6f, the company pays "
            "%s" % (x["reason"], d, want, got["cost"]))
print("PASS")
