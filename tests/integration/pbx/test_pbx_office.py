"""test_pbx_office.py: the bundled office PBX (scenarios/office-pbx.yaml)
runs in `busyhour switch`: its WAV files are found beside the scenario,
every section it names is served (no "not served" warning), its number's
queue has the four extensions as operators, the PBX counters are in
/status, and the switch stops cleanly."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "switch"))
import harness as h  # noqa: E402

busyhour = os.path.abspath(sys.argv[1])
scenario = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "..", "scenarios", "office-pbx.yaml")
SIP, HTTP = h.free_ports(2)
# Run from another folder, so that the sounds must be found beside the
# scenario file, not in the working directory.
os.chdir(h.tempfile.mkdtemp(prefix="bh_office_"))
sw = h.Switch(busyhour, scenario, SIP, HTTP)
sw.wait_ready()
st = sw.status()
h.check(st["status"] == "ready", "the office PBX is ready")
nums = {n["name"]: n for n in st["numbers"]}
h.check("office" in nums and nums["office"]["queue"] and
        nums["office"]["operators"] == 4,
        "the office number's queue has its 4 extensions as operators")
h.check("pbx" in st and "fraud_refused" in st["pbx"],
        "the PBX (trunk, forwarding, toll-fraud guard) counts in /status")
log = sw.stop()
h.check("not served" not in log, "every section of the scenario is served")
print("PASS")
