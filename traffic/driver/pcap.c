/* pcap.c: the driver's datagrams as a capture file (busyhour load
 * --pcap): each payload the packet hook sees, framed in the Ethernet,
 * IPv4 or IPv6 and UDP headers it had on the wire, written by libpcap
 * (pcap_open_dead + pcap_dump) so that tshark, Wireshark and sngrep open
 * it. */
#include "driver.h"
#include "proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
/* the largest UDP payload over IPv4 (65535 - 20 - 8); larger ones are
 * not datagrams we can have sent or received */
#define PAYLOAD_MAX 65507
#define SNAPLEN (ETH_LEN + IP6_LEN + UDP_LEN + PAYLOAD_MAX)

struct bh_pcap {
    pcap_t *dead;
    pcap_dumper_t *dump;
    int rtp;      /* keep RTP/RTCP too */
    double epoch; /* Unix s of t = 0 */
    uint16_t ip_id;
    uint64_t written;
    unsigned char frame[SNAPLEN];
};

int
bh_pcap_open(const char *path, int rtp, double epoch, struct bh_pcap **out,
             struct bh_diag *diag) {
    *out = NULL;
    if (diag) {
        memset(diag, 0, sizeof *diag);
        snprintf(diag->file, sizeof diag->file, "%s", path ? path : "");
    }
    if (!path || !*path)
        return BH_EINVAL;
    struct bh_pcap *p = calloc(1, sizeof *p);
    if (!p)
        return BH_ENOMEM;
    p->rtp = rtp;
    p->epoch = epoch;
    p->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAPLEN,
                                                   PCAP_TSTAMP_PRECISION_MICRO);
    if (p->dead)
        p->dump = pcap_dump_open(p->dead, path);
    if (!p->dump) {
        if (diag)
            bh_diag_set(diag, 0, 0, "cannot write the capture: %s",
                        p->dead ? pcap_geterr(p->dead) : "out of memory");
        if (p->dead)
            pcap_close(p->dead);
        free(p);
        return BH_EIO;
    }
    *out = p;
    return 0;
}

/* The Internet checksum (RFC 1071) of len bytes, continuing from sum. */
static uint32_t
sum16(uint32_t sum, const unsigned char *b, size_t len) {
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)b[i] << 8 | b[i + 1];
    if (len & 1)
        sum += (uint32_t)b[len - 1] << 8;
    return sum;
}

static uint16_t
fold(uint32_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void
put16(unsigned char *b, uint16_t v) {
    b[0] = (unsigned char)(v >> 8);
    b[1] = (unsigned char)v;
}

/* RTP and RTCP begin with version 2 (RFC 3550 5.1: the first byte is
 * 0x80 to 0xbf); a SIP message begins with a method or "SIP/2.0". */
static int
is_media(const void *buf, size_t len) {
    return len > 0 && (((const unsigned char *)buf)[0] & 0xc0) == 0x80;
}

void
bh_pcap_packet(void *arg, int dir, const struct sockaddr *from,
               const struct sockaddr *to, const void *buf, size_t len,
               double t) {
    struct bh_pcap *p = arg;
    (void)dir;
    if (!p || !from || !to || len > PAYLOAD_MAX ||
        from->sa_family != to->sa_family)
        return;
    if (!p->rtp && is_media(buf, len))
        return;
    unsigned char *f = p->frame;
    memset(f, 0, ETH_LEN);
    /* made-up MACs, locally administered: 02:00:00:00:00:01 sends */
    f[0] = f[6] = 0x02;
    f[5] = dir ? 1 : 2;
    f[11] = dir ? 2 : 1;
    unsigned char *ip = f + ETH_LEN, *udp;
    uint16_t ulen = (uint16_t)(UDP_LEN + len);
    uint32_t pseudo; /* the UDP checksum's pseudo-header sum */
    uint16_t sport, dport;
    if (from->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)from, *b = (const void *)to;
        put16(f + 12, 0x0800);
        memset(ip, 0, IP4_LEN);
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(IP4_LEN + ulen));
        put16(ip + 4, p->ip_id++);
        put16(ip + 6, 0x4000); /* don't fragment */
        ip[8] = 64;
        ip[9] = IPPROTO_UDP;
        memcpy(ip + 12, &a->sin_addr, 4);
        memcpy(ip + 16, &b->sin_addr, 4);
        put16(ip + 10, fold(sum16(0, ip, IP4_LEN)));
        pseudo = sum16(0, ip + 12, 8) + IPPROTO_UDP + ulen;
        sport = ntohs(a->sin_port);
        dport = ntohs(b->sin_port);
        udp = ip + IP4_LEN;
    } else if (from->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)from,
                                  *b = (const void *)to;
        put16(f + 12, 0x86dd);
        memset(ip, 0, IP6_LEN);
        ip[0] = 0x60;
        put16(ip + 4, ulen);
        ip[6] = IPPROTO_UDP;
        ip[7] = 64;
        memcpy(ip + 8, &a->sin6_addr, 16);
        memcpy(ip + 24, &b->sin6_addr, 16);
        pseudo = sum16(0, ip + 8, 32) + IPPROTO_UDP + ulen;
        sport = ntohs(a->sin6_port);
        dport = ntohs(b->sin6_port);
        udp = ip + IP6_LEN;
    } else {
        return;
    }
    put16(udp, sport);
    put16(udp + 2, dport);
    put16(udp + 4, ulen);
    put16(udp + 6, 0);
    memcpy(udp + UDP_LEN, buf, len);
    /* RFC 768: a computed 0 is sent as all ones (0 means none) */
    uint16_t ck = fold(sum16(pseudo, udp, ulen));
    put16(udp + 6, ck ? ck : 0xffff);

    double at = p->epoch + (t > 0 ? t : 0);
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)floor(at);
    h.ts.tv_usec = (suseconds_t)((at - floor(at)) * 1e6);
    if (h.ts.tv_usec > 999999)
        h.ts.tv_usec = 999999;
    h.caplen = h.len = (bpf_u_int32)((udp + ulen) - f);
    pcap_dump((u_char *)p->dump, &h, f);
    p->written++;
}

uint64_t
bh_pcap_count(const struct bh_pcap *p) {
    return p ? p->written : 0;
}

int
bh_pcap_close(struct bh_pcap *p) {
    if (!p)
        return 0;
    int rc = 0;
    if (pcap_dump_flush(p->dump) != 0 || ferror(pcap_dump_file(p->dump)))
        rc = BH_EIO;
    /* pcap_dump_close's fclose reports nothing: the flush above is
     * where a full disk shows */
    pcap_dump_close(p->dump);
    pcap_close(p->dead);
    free(p);
    return rc;
}

/* ---- reading a capture's audio (media: pcap:FILE) ----------------------- */

/* The UDP payload of a captured frame of link type `dlt`: NULL when it is
 * not UDP over IPv4 or IPv6 (or a fragment). */
static const unsigned char *
udp_payload(int dlt, const unsigned char *p, size_t n, size_t *len) {
    size_t off;
    switch (dlt) {
    case DLT_EN10MB:
        off = ETH_LEN;
        /* 802.1Q tags */
        while (off + 4 <= n && p[off - 2] == 0x81 && p[off - 1] == 0x00)
            off += 4;
        break;
    case DLT_LINUX_SLL:
        off = 16;
        break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
        off = 20;
        break;
#endif
    case DLT_NULL:
    case DLT_LOOP:
        off = 4;
        break;
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
        off = 0;
        break;
    default:
        return NULL;
    }
    if (off >= n)
        return NULL;
    const unsigned char *ip = p + off;
    size_t left = n - off, hl;
    if ((ip[0] >> 4) == 4) {
        hl = (size_t)(ip[0] & 15) * 4;
        /* UDP, and not a fragment other than the first whole one */
        if (hl < IP4_LEN || left < hl + UDP_LEN || ip[9] != IPPROTO_UDP ||
            (((ip[6] << 8) | ip[7]) & 0x3fff) != 0)
            return NULL;
    } else if ((ip[0] >> 4) == 6) {
        hl = IP6_LEN;
        if (left < hl + UDP_LEN || ip[6] != IPPROTO_UDP)
            return NULL;
    } else {
        return NULL;
    }
    const unsigned char *udp = ip + hl;
    size_t ulen = ((size_t)udp[4] << 8) | udp[5];
    if (ulen < UDP_LEN || ulen > left - hl)
        ulen = left - hl; /* a truncated length: what was captured */
    *len = ulen - UDP_LEN;
    return udp + UDP_LEN;
}

int
bh_pcap_audio_read(const char *path, struct bh_pcap_audio *out,
                   struct bh_diag *diag) {
    memset(out, 0, sizeof *out);
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        /* libpcap names the file in some messages, not in others */
        if (strncmp(err, path, strlen(path)) == 0)
            bh_diag_set(diag, 0, 0, "cannot read the capture %s", err);
        else
            bh_diag_set(diag, 0, 0, "%s: cannot read the capture: %s", path,
                        err);
        return BH_EIO;
    }
    int dlt = pcap_datalink(pc);
    size_t cap = 0;
    int rc = 0;
    struct pcap_pkthdr *h;
    const unsigned char *p;
    int got;
    uint64_t frames = 0;
    while (rc == 0 && (got = pcap_next_ex(pc, &h, &p)) == 1 &&
           frames++ < BH_PCAP_AUDIO_MAX_FRAMES) {
        size_t len;
        const unsigned char *u = udp_payload(dlt, p, h->caplen, &len);
        struct bh_rtp_hdr rtp;
        if (!u || bh_rtp_parse(u, len, &rtp) != 0 ||
            (rtp.pt != BH_RTP_PT_PCMU && rtp.pt != BH_RTP_PT_PCMA) ||
            rtp.payload_len == 0)
            continue;
        if (out->packets == 0) {
            out->ssrc = rtp.ssrc; /* the first G.711 stream's */
            out->pt = rtp.pt;
        } else if (rtp.ssrc != out->ssrc || rtp.pt != out->pt) {
            continue;
        }
        if (out->n + rtp.payload_len > BH_PCAP_AUDIO_MAX) {
            bh_diag_set(diag, 0, 0,
                        "%s: more than %d samples of audio (%d s at 8 kHz)",
                        path, BH_PCAP_AUDIO_MAX, BH_PCAP_AUDIO_MAX / 8000);
            rc = BH_ERANGE;
            break;
        }
        if (out->n + rtp.payload_len > cap) {
            size_t nc = cap ? 2 * cap : 8000;
            while (nc < out->n + rtp.payload_len)
                nc *= 2;
            int16_t *v = realloc(out->pcm, nc * sizeof *v);
            if (v)
                out->pcm = v;
            uint8_t *c = v ? realloc(out->code, nc) : NULL;
            if (!c) {
                rc = BH_ENOMEM;
                break;
            }
            out->code = c;
            cap = nc;
        }
        memcpy(out->code + out->n, rtp.payload, rtp.payload_len);
        bh_g711_decode(rtp.pt, rtp.payload, out->pcm + out->n, rtp.payload_len);
        out->n += rtp.payload_len;
        out->packets++;
    }
    pcap_close(pc);
    if (rc == 0 && out->n == 0) {
        bh_diag_set(diag, 0, 0,
                    "%s: no RTP packets of PCMU or PCMA (payload type 0 or 8) "
                    "over UDP in the capture",
                    path);
        rc = BH_EINVAL;
    }
    if (rc)
        bh_pcap_audio_free(out);
    return rc;
}

void
bh_pcap_audio_free(struct bh_pcap_audio *a) {
    if (!a)
        return;
    free(a->pcm);
    free(a->code);
    memset(a, 0, sizeof *a);
}
