/* rtp.c: RTP and RTCP packets, and receiver statistics (RFC 3550). */
#include "proto.h"

#include <math.h>
#include <string.h>

static uint16_t
rd16(const uint8_t *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void
wr16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int
bh_rtp_parse(const uint8_t *buf, size_t len, struct bh_rtp_hdr *h) {
    /* RFC 3550 5.1 */
    if (buf == NULL || len < BH_RTP_HEADER_LEN)
        return BH_EPARSE;
    h->version = buf[0] >> 6;
    if (h->version != 2)
        return BH_EPARSE;
    h->padding = (buf[0] >> 5) & 1;
    h->extension = (buf[0] >> 4) & 1;
    h->cc = buf[0] & 0x0F;
    h->marker = buf[1] >> 7;
    h->pt = buf[1] & 0x7F;
    h->seq = rd16(buf + 2);
    h->ts = rd32(buf + 4);
    h->ssrc = rd32(buf + 8);
    size_t off = BH_RTP_HEADER_LEN + 4u * h->cc;
    if (off > len)
        return BH_EPARSE;
    for (unsigned i = 0; i < h->cc; i++)
        h->csrc[i] = rd32(buf + BH_RTP_HEADER_LEN + 4 * i);
    if (h->extension) {
        /* 5.3.1: 16-bit profile, 16-bit length in 32-bit words. */
        if (len - off < 4)
            return BH_EPARSE;
        size_t words = rd16(buf + off + 2);
        off += 4;
        if (len - off < 4 * words)
            return BH_EPARSE;
        off += 4 * words;
    }
    size_t end = len;
    if (h->padding) {
        /* The last octet counts the padding, itself included. */
        uint8_t pad = buf[len - 1];
        if (pad == 0 || pad > len - off)
            return BH_EPARSE;
        end = len - pad;
    }
    h->payload = buf + off;
    h->payload_len = end - off;
    return 0;
}

int
bh_rtp_build(uint8_t *buf, size_t size, const struct bh_rtp_hdr *h,
             const uint8_t *payload, size_t payload_len) {
    if (h->cc > 15 || h->pt > 127 || (payload_len > 0 && payload == NULL))
        return BH_EINVAL;
    size_t hl = BH_RTP_HEADER_LEN + 4u * h->cc;
    if (size < hl || size - hl < payload_len || hl + payload_len > INT32_MAX)
        return BH_ETOOBIG;
    buf[0] = (uint8_t)(0x80 | h->cc);
    buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
    wr16(buf + 2, h->seq);
    wr32(buf + 4, h->ts);
    wr32(buf + 8, h->ssrc);
    for (unsigned i = 0; i < h->cc; i++)
        wr32(buf + BH_RTP_HEADER_LEN + 4 * i, h->csrc[i]);
    if (payload_len > 0)
        memcpy(buf + hl, payload, payload_len);
    return (int)(hl + payload_len);
}

/* ---- receiver statistics (RFC 3550 A.1, A.3, A.8) ------------------ */

#define SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

static void
init_seq(struct bh_rtp_stats *s, uint16_t seq) {
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
}

void
bh_rtp_stats_init(struct bh_rtp_stats *s, uint32_t ssrc, uint16_t seq) {
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    init_seq(s, seq);
    /* A.1 sets max_seq = seq - 1 so the first update counts seq. */
    s->max_seq = (uint16_t)(seq - 1);
}

int
bh_rtp_stats_update(struct bh_rtp_stats *s, uint16_t seq, uint32_t ts,
                    uint32_t arrival) {
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (udelta == 0 && s->received > 0) {
        s->duplicates++;
    } else if (udelta < MAX_DROPOUT) {
        /* in order, with permissible gap */
        /* wrapped; not on a stream's first packet, whose max_seq is
         * seq - 1 (a first seq of 0 is no wrap) */
        if (seq < s->max_seq && s->received > 0)
            s->cycles += SEQ_MOD;
        s->max_seq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        /* a very large jump */
        if (seq == s->bad_seq) {
            /* Two sequential packets: the source restarted. */
            init_seq(s, seq);
        } else {
            s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
            return 1;
        }
    }
    /* else: duplicate or reordered packet */
    s->received++;

    /* A.8 interarrival jitter, in timestamp units. */
    int64_t transit = (int64_t)(int32_t)(arrival - ts);
    if (s->have_transit) {
        int64_t d = transit - s->transit;
        /* transit differences wrap like the clocks */
        d = (int64_t)(int32_t)(uint32_t)d;
        if (d < 0)
            d = -d;
        s->jitter += ((double)d - s->jitter) / 16.0;
    }
    s->transit = transit;
    s->have_transit = 1;
    return 0;
}

uint32_t
bh_rtp_stats_ext_max(const struct bh_rtp_stats *s) {
    return s->cycles + s->max_seq;
}

uint32_t
bh_rtp_stats_expected(const struct bh_rtp_stats *s) {
    return bh_rtp_stats_ext_max(s) - s->base_seq + 1;
}

int32_t
bh_rtp_stats_lost(const struct bh_rtp_stats *s) {
    /* A.3: may be negative with duplicates; 24-bit signed field. */
    int64_t lost = (int64_t)bh_rtp_stats_expected(s) - (int64_t)s->received;
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    return (int32_t)lost;
}

uint32_t
bh_rtp_stats_jitter(const struct bh_rtp_stats *s) {
    return (uint32_t)s->jitter;
}

void
bh_rtp_stats_report_block(struct bh_rtp_stats *s, uint32_t lsr, uint32_t dlsr,
                          struct bh_rtcp_rb *rb) {
    uint32_t expected = bh_rtp_stats_expected(s);
    uint32_t expected_interval = expected - s->expected_prior;
    uint32_t received_interval = s->received - s->received_prior;
    s->expected_prior = expected;
    s->received_prior = s->received;
    int64_t lost_interval =
        (int64_t)expected_interval - (int64_t)received_interval;
    rb->ssrc = s->ssrc;
    if (expected_interval == 0 || lost_interval <= 0)
        rb->fraction_lost = 0;
    else
        rb->fraction_lost =
            (uint8_t)((lost_interval << 8) / (int64_t)expected_interval);
    rb->cum_lost = bh_rtp_stats_lost(s);
    rb->ext_max_seq = bh_rtp_stats_ext_max(s);
    rb->jitter = bh_rtp_stats_jitter(s);
    rb->lsr = lsr;
    rb->dlsr = dlsr;
}

/* ---- RTCP (RFC 3550 6.4) ------------------------------------------- */

static void
read_rb(const uint8_t *p, struct bh_rtcp_rb *rb) {
    rb->ssrc = rd32(p);
    rb->fraction_lost = p[4];
    uint32_t cl = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    rb->cum_lost = (cl & 0x800000) ? (int32_t)cl - 0x1000000 : (int32_t)cl;
    rb->ext_max_seq = rd32(p + 8);
    rb->jitter = rd32(p + 12);
    rb->lsr = rd32(p + 16);
    rb->dlsr = rd32(p + 20);
}

int
bh_rtcp_parse(const uint8_t *buf, size_t len, struct bh_rtcp_report *out,
              size_t max) {
    size_t off = 0, n = 0;
    int first = 1;
    if (buf == NULL || len < 4)
        return BH_EPARSE;
    while (off < len) {
        if (len - off < 4)
            return BH_EPARSE;
        const uint8_t *p = buf + off;
        if ((p[0] >> 6) != 2)
            return BH_EPARSE;
        int padding = (p[0] >> 5) & 1;
        unsigned rc = p[0] & 0x1F;
        uint8_t pt = p[1];
        size_t plen = 4u * ((size_t)rd16(p + 2) + 1);
        if (plen > len - off)
            return BH_EPARSE;
        /* A.2: the first packet is SR or RR; padding only on the last. */
        if (first && pt != BH_RTCP_SR && pt != BH_RTCP_RR)
            return BH_EPARSE;
        if (padding && off + plen != len)
            return BH_EPARSE;
        size_t body = plen;
        if (padding) {
            uint8_t pad = p[plen - 1];
            if (pad == 0 || pad > plen - 4)
                return BH_EPARSE;
            body = plen - pad;
        }
        if (pt == BH_RTCP_SR || pt == BH_RTCP_RR) {
            size_t need = (pt == BH_RTCP_SR ? 28u : 8u) + 24u * rc;
            if (body < need)
                return BH_EPARSE;
            if (n >= max)
                return BH_ETOOBIG;
            struct bh_rtcp_report *r = &out[n++];
            memset(r, 0, sizeof *r);
            r->type = pt;
            r->ssrc = rd32(p + 4);
            const uint8_t *q = p + 8;
            if (pt == BH_RTCP_SR) {
                r->ntp_sec = rd32(p + 8);
                r->ntp_frac = rd32(p + 12);
                r->rtp_ts = rd32(p + 16);
                r->packet_count = rd32(p + 20);
                r->octet_count = rd32(p + 24);
                q = p + 28;
            }
            r->nrb = rc;
            for (unsigned i = 0; i < rc; i++)
                read_rb(q + 24 * i, &r->rb[i]);
        } else if (pt < 192 || pt > 223) {
            /* Not an RTCP packet type: a stray RTP packet, A.2 */
            return BH_EPARSE;
        }
        first = 0;
        off += plen;
    }
    return (int)n;
}

int
bh_rtcp_build(uint8_t *buf, size_t size, const struct bh_rtcp_report *r) {
    if ((r->type != BH_RTCP_SR && r->type != BH_RTCP_RR) || r->nrb > 31)
        return BH_EINVAL;
    size_t len = (r->type == BH_RTCP_SR ? 28u : 8u) + 24u * r->nrb;
    if (size < len)
        return BH_ETOOBIG;
    buf[0] = (uint8_t)(0x80 | r->nrb);
    buf[1] = r->type;
    wr16(buf + 2, (uint16_t)(len / 4 - 1));
    wr32(buf + 4, r->ssrc);
    uint8_t *q = buf + 8;
    if (r->type == BH_RTCP_SR) {
        wr32(buf + 8, r->ntp_sec);
        wr32(buf + 12, r->ntp_frac);
        wr32(buf + 16, r->rtp_ts);
        wr32(buf + 20, r->packet_count);
        wr32(buf + 24, r->octet_count);
        q = buf + 28;
    }
    for (size_t i = 0; i < r->nrb; i++, q += 24) {
        const struct bh_rtcp_rb *rb = &r->rb[i];
        wr32(q, rb->ssrc);
        q[4] = rb->fraction_lost;
        uint32_t cl = (uint32_t)rb->cum_lost & 0xFFFFFF;
        q[5] = (uint8_t)(cl >> 16);
        q[6] = (uint8_t)(cl >> 8);
        q[7] = (uint8_t)cl;
        wr32(q + 8, rb->ext_max_seq);
        wr32(q + 12, rb->jitter);
        wr32(q + 16, rb->lsr);
        wr32(q + 20, rb->dlsr);
    }
    return (int)len;
}
