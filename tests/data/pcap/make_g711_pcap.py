#!/usr/bin/env python3
"""make_g711_pcap.py: writes g711u-sweep.pcap, the small capture the load
driver's `media: pcap:FILE` tests replay: classic pcap, Ethernet, IPv4,
UDP from 10.0.0.1:40000 to 10.0.0.2:40002. In it, in this order: one
UDP datagram that is not RTP (a SIP OPTIONS), then 50 RTP packets of
PCMU (payload type 0, SSRC 0x11223344, 20 ms, 160 samples each: one
second of a tone sweeping from 300 to 3,300 Hz), with five packets of
another stream (PCMA, SSRC 0x55667788, payload 0x2a) between them that a
reader of the first stream must skip. Run it to regenerate the file; the
tests compare against the sweep this script defines.

With options it writes other captures (bench/driver's RTP benchmark):
  make_g711_pcap.py OUT [--seconds S] [--law u|a] [--plain]
S seconds of the sweep repeated, in mu-law or A-law; --plain leaves out
the SIP datagram and the other stream."""
import math
import struct
import sys

RATE = 8000
FRAME = 160
PACKETS = 50


def ulaw(sample):
    """G.711 mu-law code of a 16-bit linear sample (ITU-T G.711, bias
    0x84, clip 32635)."""
    sign = 0x80 if sample < 0 else 0
    mag = min(abs(sample), 32635) + 0x84
    exp = 7
    mask = 0x4000
    while exp > 0 and not mag & mask:
        exp -= 1
        mask >>= 1
    mant = (mag >> (exp + 3)) & 0x0F
    return ~(sign | exp << 4 | mant) & 0xFF


def alaw(sample):
    """G.711 A-law code of a 16-bit linear sample (13-bit magnitude,
    segments, even bits inverted)."""
    sign = 0x80 if sample >= 0 else 0
    mag = min(abs(sample), 32767) >> 3
    if mag < 32:
        code = mag >> 1
    else:
        exp = mag.bit_length() - 5
        code = exp << 4 | (mag >> exp) & 0x0F
    return (sign | code) ^ 0x55


def sweep():
    """The one-second sweep, linear samples."""
    out, phase = [], 0.0
    for i in range(RATE):
        f = 300 + 3000 * i / RATE
        phase += 2 * math.pi * f / RATE
        out.append(int(round(8000 * math.sin(phase))))
    return out


def frame(payload, src=40000, dst=40002):
    udp = struct.pack("!HHHH", src, dst, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00])
    return eth + ip + udp


def rtp(pt, seq, ts, ssrc, payload):
    return struct.pack("!BBHII", 0x80, pt, seq, ts, ssrc) + payload


def main(path, seconds=1, law="u", plain=False):
    pcm = sweep()
    enc, pt = (ulaw, 0) if law == "u" else (alaw, 8)
    frames = [] if plain else [
        frame(b"OPTIONS sip:x@10.0.0.2 SIP/2.0\r\n\r\n", 5060, 5060)]
    for k in range(PACKETS * seconds):
        j = k % PACKETS
        body = bytes(enc(s) for s in pcm[j * FRAME:(j + 1) * FRAME])
        frames.append(frame(rtp(pt, (1000 + k) & 0xFFFF, 160 * k,
                                0x11223344, body)))
        if k % 10 == 5 and not plain:
            frames.append(frame(rtp(8, k, 160 * k, 0x55667788,
                                    bytes([0x2A]) * FRAME), 41000, 41002))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            t = i * 0.02
            f.write(struct.pack("<IIII", 1700000000 + int(t),
                                int(round((t % 1) * 1e6)) % 1000000,
                                len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="g711u-sweep.pcap")
    ap.add_argument("--seconds", type=int, default=1)
    ap.add_argument("--law", choices=["u", "a"], default="u")
    ap.add_argument("--plain", action="store_true")
    a = ap.parse_args()
    main(a.out, a.seconds, a.law, a.plain)
