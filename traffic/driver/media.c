/* media.c: a call's RTP (RFC 3550): our SDP offer, the stream we send for
 * the whole call (a tone of the caller's own frequency, or silence),
 * RFC 4733 digits, and the stream we receive measured for loss and
 * jitter (proto's A.1/A.3/A.8 statistics). */
#include "driver_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TONE_AMPLITUDE 6000.0 /* of 32767: about -15 dBm0 */
#define TONE_BASE_HZ 300.0
#define TONE_STEP_HZ 7.0
#define TONE_COUNT 400    /* 300 .. 3093 Hz: distinct for 400 callers */
#define DTMF_DURATION 800 /* RTP units: 100 ms at 8 kHz */

static uint8_t
codec_pt(const struct bh_driver *d) {
    return d->sc->load.codec == BH_CODEC_PCMA ? BH_RTP_PT_PCMA : BH_RTP_PT_PCMU;
}

void
drv_media_local(const struct drv_media *m, struct bh_sdp_audio *a) {
    const struct bh_driver *d = m->d;
    memset(a, 0, sizeof *a);
    snprintf(a->addr, sizeof a->addr, "%s", d->local_ip);
    a->port = m->port;
    a->pt[0] = codec_pt(d);
    a->pt[1] = a->pt[0] == BH_RTP_PT_PCMU ? BH_RTP_PT_PCMA : BH_RTP_PT_PCMU;
    a->npt = 2;
    a->te_pt = BH_RTP_PT_TELEPHONE_EVENT;
    a->ptime = (int)lround(d->sc->load.ptime * 1000);
    a->dir = BH_SDP_SENDRECV;
    a->sess_id = a->sess_version = m->id + 1;
}

int
drv_media_sdp(const struct drv_media *m, char *buf, size_t size) {
    struct bh_sdp_audio a;
    drv_media_local(m, &a);
    return bh_sdp_build_audio(buf, size, &a);
}

/* ---- receiving ------------------------------------------------------ */

/* ICMP errors queued on the stream's socket: the target's media port
 * is unreachable, it is gone or about to be found so (driver.c decides) */
static void
drain_errors(struct drv_media *m) {
    if (drv_errqueue_drain(m->fd) > 0)
        m->d->last_unreach = drv_now(m->d);
}

/* What a pooled socket still receives (the last packets of its previous
 * call): dropped as it comes. Bounded. */
static void
drop_all(int fd) {
    uint8_t buf[BH_RTP_MAX_PACKET];
    for (int i = 0; i < 64; i++)
        if (recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK ||
             drv_errqueue_drain(fd) == 0))
            break;
}

static void
on_rtp(evutil_socket_t fd, short what, void *arg) {
    struct drv_rtpsock *sock = arg;
    struct drv_media *m = sock->m;
    (void)what;
    if (!m) {
        drop_all(fd);
        return;
    }
    struct bh_driver *d = m->d;
    uint8_t buf[BH_RTP_MAX_PACKET];
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);
        if (n < 0) {
            /* IP_RECVERR: an ICMP error is reported here first */
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
                errno == ENETUNREACH) {
                drain_errors(m);
                continue;
            }
            break;
        }
        double now = drv_now(d);
        d->last_rx = now;
        drv_packet(d, 1, (struct sockaddr *)&from, fl, fd, buf, (size_t)n);
        struct bh_rtp_hdr h;
        if (bh_rtp_parse(buf, (size_t)n, &h) != 0)
            continue;
        if ((int)h.pt == m->te_pt || h.pt >= 72)
            continue; /* events and RTCP-range types are not audio */
        uint32_t arrival = (uint32_t)(uint64_t)(now * 8000);
        if (!m->rx_started || h.ssrc != m->rx.ssrc) {
            /* a new source (music on hold, then the operator): the loss
             * of the earlier ones is kept, the sequence starts again */
            if (m->rx_started) {
                int32_t lost = bh_rtp_stats_lost(&m->rx);
                m->lost_before += lost > 0 ? (uint32_t)lost : 0;
                m->expected_before += bh_rtp_stats_expected(&m->rx);
            }
            double jitter = m->rx_started ? m->rx.jitter : 0;
            bh_rtp_stats_init(&m->rx, h.ssrc, h.seq);
            m->rx.jitter = jitter;
            m->rx_started = 1;
        }
        bh_rtp_stats_update(&m->rx, h.seq, h.ts, arrival);
        m->received++;
    }
}

/* A socket from the pool, else a new one with its read event. */
static struct drv_rtpsock *
rtpsock_take(struct bh_driver *d) {
    struct drv_rtpsock *s = d->rtp_pool;
    if (s) {
        /* what it received while pooled was dropped as it came */
        d->rtp_pool = s->next;
        d->rtp_pooled--;
        return s;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    struct sockaddr_storage me;
    socklen_t ml;
    s->d = d;
    s->fd = drv_udp_open(d->local_ip, 0, &me, &ml);
    if (s->fd < 0) {
        free(s);
        return NULL;
    }
    s->port = drv_port(&me);
    event_assign(&s->ev, d->base, s->fd, EV_READ | EV_PERSIST, on_rtp, s);
    event_add(&s->ev, NULL);
    return s;
}

static void
rtpsock_close(struct drv_rtpsock *s) {
    event_del(&s->ev);
    close(s->fd);
    free(s);
}

void
drv_media_pool_free(struct bh_driver *d) {
    while (d->rtp_pool) {
        struct drv_rtpsock *s = d->rtp_pool;
        d->rtp_pool = s->next;
        rtpsock_close(s);
    }
    d->rtp_pooled = 0;
}

int
drv_media_open(struct bh_driver *d, struct drv_media *m, uint64_t id) {
    memset(m, 0, sizeof *m);
    m->d = d;
    m->id = id;
    m->fd = -1;
    m->s = rtpsock_take(d);
    if (!m->s)
        return -1;
    m->s->m = m;
    m->fd = m->s->fd;
    m->port = m->s->port;
    uint64_t r = drv_random(d);
    m->ssrc = (uint32_t)r;
    m->seq = (uint16_t)(r >> 32);
    m->ts = (uint32_t)(r >> 16);
    m->te_pt = -1;
    double f = TONE_BASE_HZ + TONE_STEP_HZ * (double)(id % TONE_COUNT);
    m->wc = cos(2 * M_PI * f / 8000);
    m->ws = sin(2 * M_PI * f / 8000);
    m->pc = 1;
    m->ps = 0;
    return 0;
}

void
drv_media_close(struct drv_media *m) {
    struct drv_rtpsock *s = m->s;
    m->s = NULL;
    m->fd = -1;
    m->on = 0;
    if (!s)
        return;
    s->m = NULL;
    struct bh_driver *d = s->d;
    if (d->rtp_pooled >= DRV_RTP_POOL_MAX) {
        rtpsock_close(s);
        return;
    }
    s->next = d->rtp_pool;
    d->rtp_pool = s;
    d->rtp_pooled++;
}

int
drv_media_start(struct drv_media *m, const struct bh_sdp_plan *plan) {
    struct bh_driver *d = m->d;
    if (drv_addr(plan->remote_addr, plan->remote_port, &m->peer, &m->peer_len) <
            0 ||
        m->peer.ss_family != d->family)
        return -1;
    if (plan->pt != BH_RTP_PT_PCMU && plan->pt != BH_RTP_PT_PCMA)
        return -1;
    m->pt = plan->pt;
    m->te_pt = plan->te_pt;
    m->start = drv_now(d);
    m->on = plan->remote_port != 0;
    return 0;
}

int
drv_media_dtmf(struct drv_media *m, char digit) {
    if (m->te_pt < 0 || !m->on)
        return -1;
    if (bh_dtmf_tx_start(&m->dtmf, digit, m->ts, DTMF_DURATION,
                         (uint16_t)m->d->frame) < 0)
        return -1;
    m->dtmf_on = 1;
    return 0;
}

int
drv_media_digits(struct drv_media *m, const char *digits) {
    size_t n = strlen(digits);
    if (m->te_pt < 0 || !m->on || n == 0 || n >= sizeof m->keys)
        return -1;
    memcpy(m->keys, digits, n);
    m->nkeys = n;
    m->key = 1;
    m->last_key_at = -1;
    if (drv_media_dtmf(m, digits[0]) < 0)
        return -1;
    if (n == 1)
        m->last_key_at = drv_now(m->d); /* sent with the next packet */
    return 0;
}

double
drv_media_digits_time(const struct bh_driver *d, size_t n) {
    /* each digit: DTMF_DURATION of packets, then its three end packets */
    double pt = d->sc->load.ptime > 0 ? d->sc->load.ptime : 0.02;
    double packets = ceil(DTMF_DURATION / (double)d->frame) + 3;
    return (double)n * packets * pt;
}

/* One packet's payload of the call's tone. */
static void
tone(struct drv_media *m, int16_t *pcm, size_t n) {
    for (size_t i = 0; i < n; i++) {
        pcm[i] = (int16_t)lround(TONE_AMPLITUDE * m->ps);
        double c = m->pc * m->wc - m->ps * m->ws;
        double s = m->ps * m->wc + m->pc * m->ws;
        m->pc = c;
        m->ps = s;
    }
    /* keep the phasor on the unit circle against rounding drift */
    double r = sqrt(m->pc * m->pc + m->ps * m->ps);
    if (r > 0) {
        m->pc /= r;
        m->ps /= r;
    }
}

/* One packet's payload of the capture's audio, looped: its own octets
 * when the call's law is the capture's, else re-encoded. */
static void
clip(const struct bh_driver *d, struct drv_media *m, uint8_t *payload) {
    const struct bh_pcap_audio *a = &d->clip;
    for (size_t i = 0; i < d->frame; i++) {
        size_t k = m->clip_pos;
        payload[i] = m->pt == a->pt            ? a->code[k]
                     : m->pt == BH_RTP_PT_PCMA ? bh_g711_alaw_encode(a->pcm[k])
                                               : bh_g711_ulaw_encode(a->pcm[k]);
        m->clip_pos = k + 1 < a->n ? k + 1 : 0;
    }
}

static void
send_one(struct bh_driver *d, struct drv_media *m) {
    uint8_t payload[BH_JITTER_FRAME_MAX];
    uint8_t pkt[BH_RTP_HEADER_LEN + BH_JITTER_FRAME_MAX];
    struct bh_rtp_hdr h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.ssrc = m->ssrc;
    size_t len = d->frame;
    const uint8_t *body = payload;
    int send_it = 1;
    int marker = 0;
    int event = m->dtmf_on && bh_dtmf_tx_next(&m->dtmf, payload, &marker) == 1;
    if (m->dtmf_on && !event) {
        /* the digit is over: the next queued one starts in this packet */
        m->dtmf_on = 0;
        if (m->key < m->nkeys &&
            bh_dtmf_tx_start(&m->dtmf, m->keys[m->key++], m->ts, DTMF_DURATION,
                             (uint16_t)d->frame) == 0) {
            m->dtmf_on = 1;
            event = bh_dtmf_tx_next(&m->dtmf, payload, &marker) == 1;
            if (m->key == m->nkeys)
                m->last_key_at = drv_now(d);
        }
    }
    if (event) {
        h.pt = (uint8_t)m->te_pt;
        h.marker = (uint8_t)marker;
        h.ts = m->dtmf.ts;
        len = 4;
    } else {
        m->dtmf_on = 0;
    }
    if (!m->dtmf_on) {
        h.pt = m->pt;
        h.ts = m->ts;
        switch (d->sc->load.media) {
        case BH_MEDIA_TONE: {
            int16_t pcm[BH_JITTER_FRAME_MAX];
            tone(m, pcm, d->frame);
            bh_g711_encode(m->pt, pcm, payload, d->frame);
            break;
        }
        case BH_MEDIA_SILENCE:
            memset(payload, m->pt == BH_RTP_PT_PCMA ? 0xd5 : 0xff, d->frame);
            break;
        case BH_MEDIA_PCAP:
            clip(d, m, payload);
            break;
        default:
            send_it = 0;
        }
    }
    m->ts += (uint32_t)d->frame;
    if (!send_it)
        return;
    h.seq = m->seq++;
    int n = bh_rtp_build(pkt, sizeof pkt, &h, body, len);
    if (n <= 0)
        return;
    if (sendto(m->fd, pkt, (size_t)n, 0, (struct sockaddr *)&m->peer,
               m->peer_len) == n) {
        m->sent++;
        drv_packet(d, 0, (struct sockaddr *)&m->peer, m->peer_len, m->fd, pkt,
                   (size_t)n);
    } else if (errno == ECONNREFUSED || errno == EHOSTUNREACH) {
        drain_errors(m);
    }
}

/* Sends what is due by the stream's own clock (packet k at start + k
 * ptime); a stream more than DRV_MAX_BURST packets behind skips ahead
 * (its timestamps jump, as after a silence) rather than burst. */
void
drv_media_tick(struct drv_media *m, double now) {
    struct bh_driver *d = m->d;
    double pt = d->sc->load.ptime > 0 ? d->sc->load.ptime : 0.02;
    uint64_t due = (uint64_t)floor((now - m->start) / pt) + 1;
    uint64_t done = m->ticks;
    if (due <= done)
        return;
    if (due - done > DRV_MAX_BURST) {
        uint64_t skip = due - done - DRV_MAX_BURST;
        m->ts += (uint32_t)(skip * d->frame);
        done += skip;
    }
    for (; done < due; done++)
        send_one(d, m);
    m->ticks = due;
}

double
drv_media_mos(const struct drv_media *m, double *jitter_ms, int32_t *lost) {
    if (!m->rx_started) {
        *jitter_ms = 0;
        *lost = 0;
        return NAN;
    }
    int32_t l = bh_rtp_stats_lost(&m->rx);
    uint64_t lost_all = m->lost_before + (uint64_t)(l > 0 ? l : 0);
    uint64_t exp = m->expected_before + bh_rtp_stats_expected(&m->rx);
    *jitter_ms = m->rx.jitter / 8.0;
    *lost = (int32_t)lost_all;
    double loss = exp ? (double)lost_all / (double)exp : 0;
    /* one-way delay at the edge is unknown: count the packet time */
    return bh_emodel_mos(
        bh_emodel_r(loss, m->d->sc->load.ptime * 1000, *jitter_ms, 0));
}
