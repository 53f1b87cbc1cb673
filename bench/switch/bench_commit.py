#!/usr/bin/env python3
"""bench_commit.py: what group commit costs. The switch holds the 200 to
an INVITE and to a BYE until the call's CDR row is committed (one SQLite
transaction per loop turn); this measures the time from our request to
its answer with a CDR file and, in the same run, without one (the peer),
and prints key=value lines: percentiles in ms and their ratio, and the
switch's CPU time per call (from /proc, 10 ms ticks).

    bench_commit.py BUSYHOUR [--calls N] [--window W]

Calls go from one UDP socket, W at a time (each INVITE, ACK, BYE in turn),
so the switch commits batches of up to W rows. Never part of ctest."""
import argparse
import os
import random
import signal
import socket
import subprocess
import tempfile
import time

SCENARIO = """name: bench-commit
switch:
  numbers:
    - { name: info, number: "100", lines: 100000 }
traffic:
  - { name: callers, to: info, rate: 60, holding: 5s }
"""


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def msg(method, port, me, cid, cseq, to_tag=None, body=""):
    return ("%s sip:100@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\r\n"
            "From: <sip:b@127.0.0.1>;tag=%s\r\nTo: <sip:100@127.0.0.1>%s\r\n"
            "Call-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n"
            "Contact: <sip:b@127.0.0.1:%d>\r\n%s"
            "Content-Length: %d\r\n\r\n%s" %
            (method, port, me, random.getrandbits(48), cid,
             ";tag=" + to_tag if to_tag else "", cid, cseq, method, me,
             "Content-Type: application/sdp\r\n" if body else "",
             len(body), body)).encode()


SDP = ("v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
       "t=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def run(busyhour, cdr, calls, window):
    port = free_port()
    path = tempfile.mkdtemp(prefix="bh_commit_")
    with open(os.path.join(path, "s.yaml"), "w") as f:
        f.write(SCENARIO)
    cmd = [busyhour, "switch", os.path.join(path, "s.yaml"), "--listen",
           "127.0.0.1:%d" % port]
    if cdr:
        cmd += ["--cdr", os.path.join(path, "cdr.sqlite")]
    sw = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    me = s.getsockname()[1]
    time.sleep(0.5)
    cpu0 = cpu_s(sw.pid)
    lat = {"INVITE": [], "BYE": []}
    sent = {}
    done = 0
    started = 0
    state = {}
    t_start = time.time()
    while done < calls:
        while started < calls and started - done < window:
            cid = "%x" % random.getrandbits(64)
            state[cid] = None
            sent[(cid, "INVITE")] = time.perf_counter()
            s.sendto(msg("INVITE", port, me, cid, 1, body=SDP),
                     ("127.0.0.1", port))
            started += 1
        data, _ = s.recvfrom(65535)
        now = time.perf_counter()
        text = data.decode(errors="replace")
        if not text.startswith("SIP/2.0 200"):
            continue
        cid = text.split("Call-ID: ", 1)[1].split("\r\n", 1)[0]
        meth = text.split("CSeq: ", 1)[1].split("\r\n", 1)[0].split()[1]
        key = (cid, meth)
        if key not in sent:
            continue  # a retransmitted 200
        lat[meth].append((now - sent.pop(key)) * 1000)
        if meth == "INVITE":
            tag = text.split("To: ", 1)[1].split("\r\n", 1)[0]
            tag = tag.split("tag=", 1)[1].split(";")[0]
            state[cid] = tag
            s.sendto(msg("ACK", port, me, cid, 1, tag), ("127.0.0.1", port))
            sent[(cid, "BYE")] = time.perf_counter()
            s.sendto(msg("BYE", port, me, cid, 2, tag), ("127.0.0.1", port))
        else:
            done += 1
    wall = time.time() - t_start
    cpu = cpu_s(sw.pid) - cpu0
    sw.send_signal(signal.SIGTERM)
    sw.wait()
    return lat, wall, cpu


def cpu_s(pid):
    """The switch's user + system CPU seconds so far."""
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("busyhour")
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--window", type=int, default=50)
    a = ap.parse_args()
    res = {}
    for cdr in (False, True):
        res[cdr] = run(a.busyhour, cdr, a.calls, a.window)
    print("calls=%d window=%d" % (a.calls, a.window))
    for cdr in (False, True):
        lat, wall, cpu = res[cdr]
        tag = "cdr" if cdr else "nocdr"
        print("%s_calls_per_s=%.0f" % (tag, a.calls / wall))
        print("%s_switch_cpu_us_per_call=%.0f" % (tag, cpu / a.calls * 1e6))
        for m in ("INVITE", "BYE"):
            for p in (50, 99):
                print("%s_%s_p%d_ms=%.3f" % (tag, m.lower(), p,
                                             pct(lat[m], p)))
    for m in ("INVITE", "BYE"):
        for p in (50, 99):
            print("ratio_%s_p%d=%.2f" % (m.lower(), p,
                                         pct(res[True][0][m], p) /
                                         pct(res[False][0][m], p)))
    print("loadavg_1m=%s" % open("/proc/loadavg").read().split()[0])


if __name__ == "__main__":
    main()
