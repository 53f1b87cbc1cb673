"""test_pbx_sipp.py: SIPp as the office's phones, an independent SIP
implementation beside pbxua.py. Extension 603's phone is a SIPp that
answers its calls (sipp_phone.xml); its binding is registered with digest
by pbxua naming that SIPp's port (SIPp 3.6.1 cannot register here: it
answers the first challenge, and the switch offers SHA-256 first, RFC
8760 2.4, which SIPp refuses: "authentication must use MD5"). Another
SIPp calls 603 directly, then 602, which forwards always to 603: both
calls reach the SIPp phone and end cleanly; the CDRs say extension 603
answered, called 603 and 602."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "switch"))
import harness as h  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbxua  # noqa: E402

busyhour = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SIP, HTTP, PHONE, CALLER = h.free_ports(4)
sw = h.Switch(busyhour, os.path.join(HERE, "sipp.yaml"), SIP, HTTP)
sw.wait_ready()
target = "127.0.0.1:%d" % SIP
tmp = sw.tmp

phone_log = os.path.join(tmp, "phone.log")
phone = h.sipp(["-sf", os.path.join(HERE, "sipp_phone.xml"), "-i",
                "127.0.0.1", "-p", str(PHONE), "-m", "2", "-timeout", "60"],
               log=phone_log, wait=False)
net = pbxua.Net(SIP)
reg = pbxua.Endpoint(net, "603", "s603")
reg.contact = lambda: "sip:603@127.0.0.1:%d" % PHONE
h.check(reg.register() == 200,
        "603's binding names the SIPp phone at port %d" % PHONE)

for number in ("603", "602"):
    caller = h.sipp(["-sf", os.path.join(h.HERE, "caller.xml"), "-i",
                     "127.0.0.1", "-p", str(CALLER), "-s", number, "-d",
                     "800", "-m", "1", "-timeout", "20", target], wait=False)
    try:
        _, err = caller.communicate(timeout=30)
    except Exception:
        caller.kill()
        h.fail("SIPp's call to %s did not end" % number)
    h.check(caller.returncode == 0, "SIPp calls %s: answered, hung up "
            "cleanly (%s)" % (number, err.decode().strip()[-200:]))

try:
    phone.wait(timeout=20)
except Exception:
    h.fail("the SIPp phone did not finish its two calls")
h.check(phone.returncode == 0, "the SIPp phone answered two calls and "
        "got both BYEs (exit %d)" % phone.returncode)
events = [line.split() for line in open(phone_log) if
          line.startswith("answered")] if os.path.exists(phone_log) else []
h.check(len(events) == 2, "the phone's log has two answered calls: %s" %
        events)
sw.stop()
rows = [r for r in sw.rows() if r["kind"] == "extension"]
h.check(sorted(r["called"] for r in rows) == ["602", "603"] and
        all(r["number"] == "603" and r["outcome"] == "answered" and
            r["talk"] > 0.5 for r in rows),
        "CDR: 603 answered both, the direct call and 602's forward (%s)" %
        [(r["called"], r["number"], r["outcome"]) for r in rows])
print("PASS")
