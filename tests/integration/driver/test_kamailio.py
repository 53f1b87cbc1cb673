"""test_kamailio.py: `busyhour load` through Kamailio (Debian's kamailio,
not our switch): the test writes a minimal kamailio.cfg (tm, sl, rr,
record_route; each INVITE for the number relayed statefully to the next
of the driver's eight operators, listening as static contacts on
127.0.0.1, and to the one after on 486), starts it on a free port, waits
until it answers OPTIONS, runs the driver's callers through it, and
requires every call answered by one of our operators (no failed call, no
busy), RTP both ways, BYE through the proxy (Record-Route); Kamailio is
stopped by its PID."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from driverlib import Load, check, fail, free_ports, harness, scenario

busyhour = sys.argv[1]
kamailio = shutil.which("kamailio") or "/usr/sbin/kamailio"
if not os.path.exists(kamailio):
    fail("kamailio is not installed (Debian package kamailio)")
MODULES = None
for d in ("/usr/lib/x86_64-linux-gnu/kamailio/modules",
          "/usr/lib/aarch64-linux-gnu/kamailio/modules",
          "/usr/lib/kamailio/modules", "/usr/local/lib64/kamailio/modules"):
    if os.path.exists(os.path.join(d, "tm.so")):
        MODULES = d
if not MODULES:
    fail("kamailio's modules (tm.so) not found")

kport, ops = free_ports(2)
OPS = 8
sc = scenario("kamailio.yaml", {26400: ops})
tmp = tempfile.mkdtemp(prefix="bh_kamailio_")
cfg = os.path.join(tmp, "kamailio.cfg")
with open(cfg, "w") as f:
    f.write("""#!KAMAILIO
# written by tests/integration/driver/test_kamailio.py
debug=1
log_stderror=yes
fork=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:%(kport)d
mpath="%(mpath)s"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
modparam("pv", "shvset", "next=i:0")
modparam("tm", "fr_timer", 5000)
modparam("tm", "fr_inv_timer", 30000)

request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (is_method("OPTIONS") && $rU == "ping") {
        sl_send_reply("200", "OK");
        exit;
    }
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
            exit;
        }
        if (is_method("ACK") && t_check_trans()) {
            t_relay();
            exit;
        }
        sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) {
        if (t_check_trans())
            t_relay();
        exit;
    }
    if (!is_method("INVITE")) {
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }
    t_check_trans();
    record_route();
    $avp(tries) = 0;
    route(NEXT);
}

# the next operator of the driver's, round robin
route[NEXT] {
    $shv(next) = ($shv(next) + 1) mod %(ops)d;
    $ru = "sip:op" + $shv(next) + "@127.0.0.1:%(op)d";
    t_on_failure("BUSY");
    if (!t_relay())
        sl_reply_error();
}

failure_route[BUSY] {
    if (t_is_canceled())
        exit;
    if (t_check_status("486") && $avp(tries) < %(ops)d) {
        $avp(tries) = $avp(tries) + 1;
        route(NEXT);
    }
}
""" % {"kport": kport, "mpath": MODULES, "ops": OPS, "op": ops})

check(subprocess.run([kamailio, "-c", "-f", cfg], capture_output=True,
                     timeout=60).returncode == 0,
      "kamailio -c accepts the written configuration")
pidfile = os.path.join(tmp, "kamailio.pid")
log = open(os.path.join(tmp, "kamailio.log"), "w")
# -DD: no daemon (the test stops it by its PID), children still forked
k = subprocess.Popen([kamailio, "-f", cfg, "-DD", "-E", "-P", pidfile,
                      "-m", "64", "-M", "8", "-w", tmp], stdout=log,
                     stderr=subprocess.STDOUT)
harness._children.append(k)
ready = False
for _ in range(300):  # bounded polls of 0.2 s each
    if k.poll() is not None:
        break
    if harness.options("127.0.0.1", kport) == "SIP/2.0 200 OK":
        ready = True
        break
if not ready:
    log.close()
    print(open(os.path.join(tmp, "kamailio.log")).read()[-3000:])
    fail("kamailio answers OPTIONS on 127.0.0.1:%d" % kport)
check(True, "kamailio %d answers OPTIONS on 127.0.0.1:%d" % (k.pid, kport))

load = Load(busyhour, sc, "127.0.0.1:%d" % kport, ["--duration", "12s"])

os.kill(k.pid, signal.SIGTERM)
try:
    k.wait(timeout=20)
except subprocess.TimeoutExpired:
    os.kill(k.pid, signal.SIGKILL)
    k.wait()
    fail("kamailio stopped on SIGTERM")
check(True, "kamailio stopped by its PID")

check(load.rc == 0, "load exits 0 (got %d)" % load.rc)
rows = load.joined()
check(len(rows) >= 5, "callers went through kamailio (%d)" % len(rows))
outcomes = sorted(set(r["outcome"] for r in rows))
check("failed" not in outcomes, "no failed calls (%s)" % [
    (r["call_id"], r["failure"], r["status"]) for r in rows
    if r["outcome"] == "failed"])
check(outcomes == ["answered"], "every call answered (%s)" % outcomes)
check(all(r["agent"] not in ("", "-1") for r in rows),
      "each call was answered by one of our operators (X-BH-Operator)")
calls = load.calls()
check(all(int(c["rtp_sent"]) > 0 and int(c["rtp_received"]) > 0
          for c in calls), "RTP both ways on every call")
check(all(c["mos_out"] not in ("nan", "") for c in calls),
      "our operators heard each caller (mos_out)")
res = load.results()
t = res["targets"]["desk"]
check(t["answered"] == len(rows) and t["blocked"] == 0,
      "results: every call answered, none busy")
