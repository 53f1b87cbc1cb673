/* media.c: RTP for calls: one socket per leg, sounds played from a 20 ms
 * tick, digits (RFC 4733 events, in-band tones), and where a leg's audio
 * goes: relayed to another leg (media anchoring, PCMU <-> PCMA transcoding
 * when the two legs agreed different codecs) or to a service's sink. */
#define _GNU_SOURCE /* recvmmsg */
#include "call.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- sounds ------------------------------------------------------------ */

static int
sound_from_linear(struct sw_sound *s, const int16_t *pcm, size_t n) {
    /* Whole frames only, so that loops are seamless. */
    n -= n % SW_FRAME;
    if (n == 0)
        return BH_EINVAL;
    s->pcmu = malloc(n);
    s->pcma = malloc(n);
    if (!s->pcmu || !s->pcma)
        return BH_ENOMEM;
    bh_g711_encode(BH_RTP_PT_PCMU, pcm, s->pcmu, n);
    bh_g711_encode(BH_RTP_PT_PCMA, pcm, s->pcma, n);
    s->n = n;
    return 0;
}

void
sw_sound_free(struct sw_sound *s) {
    free(s->pcmu);
    free(s->pcma);
    s->pcmu = s->pcma = NULL;
    s->n = 0;
}

int
sw_sound_tones(struct sw_sound *s, const int (*steps)[2], size_t nsteps) {
    size_t n = 0;
    for (size_t i = 0; i < nsteps; i++)
        n += (size_t)steps[i][1] * 8;
    int16_t *pcm = calloc(n + SW_FRAME, sizeof *pcm);
    if (!pcm)
        return BH_ENOMEM;
    size_t at = 0;
    for (size_t i = 0; i < nsteps; i++) {
        size_t len = (size_t)steps[i][1] * 8;
        for (size_t k = 0; k < len; k++)
            pcm[at + k] = steps[i][0] == 0
                              ? 0
                              : (int16_t)(8000.0 * sin(2 * M_PI * steps[i][0] *
                                                       (double)k / 8000.0));
        at += len;
    }
    int rc = sound_from_linear(s, pcm, n);
    free(pcm);
    return rc;
}

static uint32_t
le32(const uint8_t *p) {
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* A WAV file: RIFF, 8000 Hz mono, 16-bit PCM or G.711 (formats 6, 7).
 * Bounded to 16 MB. */
int
sw_sound_wav(struct sw_sound *s, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return BH_ENOENT;
    uint8_t *buf = malloc(16 << 20);
    size_t n = buf ? fread(buf, 1, 16 << 20, f) : 0;
    fclose(f);
    int rc = BH_EPARSE;
    if (!buf || n < 12 || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4))
        goto out;
    unsigned fmt = 0, channels = 0, rate = 0, bits = 0;
    for (size_t at = 12; at + 8 <= n;) {
        uint32_t len = le32(buf + at + 4);
        if (len > n - at - 8)
            len = (uint32_t)(n - at - 8);
        const uint8_t *d = buf + at + 8;
        if (memcmp(buf + at, "fmt ", 4) == 0 && len >= 16) {
            fmt = d[0] | d[1] << 8;
            channels = d[2] | d[3] << 8;
            rate = le32(d + 4);
            bits = d[14] | d[15] << 8;
        } else if (memcmp(buf + at, "data", 4) == 0) {
            if (channels != 1 || rate != 8000) {
                rc = BH_EUNSUPP;
                goto out;
            }
            if (fmt == 1 && bits == 16) {
                size_t ns = len / 2;
                int16_t *pcm = malloc(ns * sizeof *pcm + 1);
                if (!pcm) {
                    rc = BH_ENOMEM;
                    goto out;
                }
                for (size_t i = 0; i < ns; i++)
                    pcm[i] = (int16_t)(d[2 * i] | d[2 * i + 1] << 8);
                rc = sound_from_linear(s, pcm, ns);
                free(pcm);
            } else if ((fmt == 6 || fmt == 7) && bits == 8) {
                size_t ns = len - len % SW_FRAME;
                int16_t *pcm = malloc(ns * sizeof *pcm + 1);
                if (!pcm || ns == 0) {
                    free(pcm);
                    rc = ns ? BH_ENOMEM : BH_EPARSE;
                    goto out;
                }
                bh_g711_decode(fmt == 7 ? BH_RTP_PT_PCMU : BH_RTP_PT_PCMA, d,
                               pcm, ns);
                rc = sound_from_linear(s, pcm, ns);
                free(pcm);
            } else {
                rc = BH_EUNSUPP;
            }
            goto out;
        }
        at += 8 + (size_t)len + (len & 1);
    }
out:
    free(buf);
    return rc;
}

static void on_play(evutil_socket_t fd, short what, void *arg);

int
sw_media_init(struct bh_switch *sw) {
    /* The default sounds: an announcement tone (425 Hz, 1 s on, 0.5 s
     * off), a menu prompt (two short beeps), and music on hold (a slow
     * arpeggio). Services may load WAV files instead (sw_sound_wav). */
    static const int announce[][2] = {{425, 1000}, {0, 500}};
    static const int prompt[][2] = {
        {1000, 200}, {0, 100}, {1000, 200}, {0, 1500}};
    static const int music[][2] = {
        {523, 400}, {659, 400}, {784, 400}, {659, 400}, {0, 200}};
    int rc = sw_sound_tones(&sw->tone, announce, 2);
    if (rc == 0)
        rc = sw_sound_tones(&sw->prompt_tone, prompt, 4);
    if (rc == 0)
        rc = sw_sound_tones(&sw->music, music, 5);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 256; i++) {
        sw->ulaw2alaw[i] = bh_g711_alaw_encode(bh_g711_ulaw_decode((uint8_t)i));
        sw->alaw2ulaw[i] = bh_g711_ulaw_encode(bh_g711_alaw_decode((uint8_t)i));
    }
    sw->play_timer = event_new(sw->base, -1, EV_PERSIST, on_play, sw);
    if (!sw->play_timer)
        return BH_ENOMEM;
    struct timeval tv = {0, 20000};
    event_add(sw->play_timer, &tv);
    return 0;
}

void
sw_media_fini(struct bh_switch *sw) {
    if (sw->play_timer) {
        event_free(sw->play_timer);
        sw->play_timer = NULL;
    }
    while (sw->rtp_free) {
        struct rtp_sock *r = sw->rtp_free;
        sw->rtp_free = r->next_free;
        event_del(&r->ev);
        close(r->fd);
        free(r);
    }
    sw_sound_free(&sw->tone);
    sw_sound_free(&sw->music);
    sw_sound_free(&sw->prompt_tone);
}

/* ---- RTP sockets --------------------------------------------------------- */

static void on_rtp(evutil_socket_t fd, short what, void *arg);

static int
bind_port(struct bh_switch *sw, int fd, uint16_t port) {
    struct sw_addr a = sw->local;
    if (a.ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&a.ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)&a.ss)->sin_port = htons(port);
    return bind(fd, (struct sockaddr *)&a.ss, a.len);
}

/* Binds an RTP socket: any free port, or the next free even port of the
 * configured range (--rtp-ports), round robin; BH_EIO when every port of
 * the range is taken. */
static int
rtp_bind(struct bh_switch *sw, int fd) {
    if (sw->rtp_lo == 0)
        return bind_port(sw, fd, 0) < 0 ? BH_EIO : 0;
    unsigned n = (unsigned)(sw->rtp_hi - sw->rtp_lo) / 2 + 1;
    for (unsigned i = 0; i < n; i++) {
        uint16_t port = sw->rtp_next;
        sw->rtp_next = port + 2 > sw->rtp_hi ? sw->rtp_lo : port + 2;
        if (bind_port(sw, fd, port) == 0)
            return 0;
    }
    return BH_EIO;
}

int
sw_rtp_open(struct bh_switch *sw, struct leg *leg) {
    struct rtp_sock *r = sw->rtp_free;
    if (r) {
        sw->rtp_free = r->next_free;
        /* Packets of the former call still queued would be the new
         * call's first, and symmetric RTP would answer their sender:
         * dropped (bounded, the socket's buffer). */
        uint8_t junk[BH_RTP_MAX_PACKET];
        for (int i = 0; i < 4096; i++)
            if (recv(r->fd, junk, sizeof junk, MSG_DONTWAIT) < 0)
                break;
    } else {
        r = calloc(1, sizeof *r);
        if (!r)
            return BH_ENOMEM;
        r->sw = sw;
        r->fd = socket(sw->local.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (r->fd < 0) {
            free(r);
            return BH_EIO;
        }
        struct sockaddr_storage got;
        socklen_t len = sizeof got;
        if (rtp_bind(sw, r->fd) < 0 ||
            getsockname(r->fd, (struct sockaddr *)&got, &len) < 0) {
            close(r->fd);
            free(r);
            return BH_EIO;
        }
        r->port = got.ss_family == AF_INET6
                      ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
                      : ntohs(((struct sockaddr_in *)&got)->sin_port);
        event_assign(&r->ev, sw->base, r->fd, EV_READ | EV_PERSIST, on_rtp, r);
        event_add(&r->ev, NULL);
        sw->rtp_open++;
    }
    r->leg = leg;
    r->next_free = NULL;
    leg->rtp = r;
    return 0;
}

void
sw_rtp_close(struct bh_switch *sw, struct leg *leg) {
    struct rtp_sock *r = leg->rtp;
    if (!r)
        return;
    /* Kept open for the next call: binding sockets is the costly part.
     * Packets that still arrive for the old call are dropped. */
    if (r->unwatched)
        sw_rtp_watch(sw, leg, 1);
    r->leg = NULL;
    r->gen++;
    r->next_free = sw->rtp_free;
    sw->rtp_free = r;
    leg->rtp = NULL;
    leg->have_media = 0;
}

/* ---- playing sounds ------------------------------------------------------ */

void
sw_play(struct bh_switch *sw, struct leg *leg, const struct sw_sound *sound,
        const struct sw_sound *then) {
    leg->sound = sound;
    leg->then = then;
    leg->play_pos = 0;
    if (leg->playing)
        return;
    leg->playing = 1;
    leg->play_prev = NULL;
    leg->play_next = sw->playing;
    if (sw->playing)
        sw->playing->play_prev = leg;
    sw->playing = leg;
}

void
sw_play_stop(struct bh_switch *sw, struct leg *leg) {
    if (!leg->playing)
        return;
    if (leg->play_prev)
        leg->play_prev->play_next = leg->play_next;
    else
        sw->playing = leg->play_next;
    if (leg->play_next)
        leg->play_next->play_prev = leg->play_prev;
    leg->play_next = leg->play_prev = NULL;
    leg->playing = 0;
    leg->sound = leg->then = NULL;
}

void
sw_play_hold(struct bh_switch *sw, struct leg *leg, int hold) {
    leg->play_held = hold;
}

void
sw_leg_send_audio(struct bh_switch *sw, struct leg *leg, const uint8_t *payload,
                  size_t n, int marker) {
    if (!leg->rtp || !leg->have_media)
        return;
    uint8_t pkt[BH_RTP_HEADER_LEN + SW_FRAME];
    struct bh_rtp_hdr h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.marker = (uint8_t)marker;
    h.pt = leg->pt;
    h.seq = leg->seq++;
    h.ts = leg->ts;
    h.ssrc = leg->ssrc;
    leg->ts += SW_FRAME;
    int len = bh_rtp_build(pkt, sizeof pkt, &h, payload, n);
    if (len <= 0)
        return;
    if (sendto(leg->rtp->fd, pkt, (size_t)len, MSG_DONTWAIT,
               (struct sockaddr *)&leg->media.ss, leg->media.len) > 0)
        sw->m.rtp_out++;
}

static void
on_play(evutil_socket_t fd, short what, void *arg) {
    /* One tick for every leg being played to: O(legs playing) per 20 ms,
     * one packet each. */
    struct bh_switch *sw = arg;
    /* Overload detection: a loop so busy that this 20 ms tick runs late
     * several times in a row would let retransmissions and media pile up
     * (a collapse); new calls are refused with 503 for a while instead,
     * and the calls already up keep their service. */
    double now = sw_now(sw);
    /* Late counts only when the loop's thread was busy for most of the
     * gap (CPU time over wall time): a tick late while the switch used
     * little CPU was starved by other processes, not by its own work, and
     * refusing calls would not make it earlier (on a shared, loaded
     * machine that guard shed most calls at any rate). */
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    double cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    double gap = now - sw->last_tick;
    if (sw->last_tick > 0 && gap - 0.020 > SW_LAG_MAX &&
        cpu - sw->last_tick_cpu >= SW_LAG_BUSY * gap) {
        if (++sw->late_ticks >= SW_LAG_TICKS)
            sw->overload_until = now + SW_OVERLOAD_HOLD;
    } else {
        sw->late_ticks = 0;
    }
    sw->last_tick = now;
    sw->last_tick_cpu = cpu;
    /* Signalling before media: while overloaded, announcements and music
     * pause (their cost grows with every waiting caller) so that answers
     * and BYEs still go out in time. */
    if (now < sw->overload_until)
        return;
    for (struct leg *leg = sw->playing, *next; leg; leg = next) {
        next = leg->play_next;
        if (leg->play_held)
            continue;
        const struct sw_sound *s = leg->sound;
        if (!s || s->n == 0)
            continue;
        if (leg->play_pos + SW_FRAME > s->n) {
            if (!leg->then) {
                sw_play_stop(sw, leg); /* said once; silence */
                continue;
            }
            s = leg->sound = leg->then; /* e.g. announcement, then music */
            leg->play_pos = 0;
        }
        const uint8_t *p =
            (leg->pt == BH_RTP_PT_PCMA ? s->pcma : s->pcmu) + leg->play_pos;
        sw_leg_send_audio(sw, leg, p, SW_FRAME, leg->play_pos == 0);
        leg->play_pos += SW_FRAME;
    }
}

/* ---- receiving and relaying ---------------------------------------------- */

/* The sink of a connected leg (sw_leg_connect): to the other leg. */
static void
relay(struct leg *from, uint8_t *pkt, size_t len, const struct bh_rtp_hdr *h,
      void *arg) {
    struct leg *to = arg;
    struct bh_switch *sw = from->call->sw;
    if (!to->rtp || !to->have_media)
        return;
    size_t off = (size_t)(h->payload - pkt);
    if (h->pt == from->te_pt && from->te_pt >= 0) {
        if (to->te_pt < 0)
            return; /* the other side takes no RFC 4733 events */
        pkt[1] = (uint8_t)((pkt[1] & 0x80) | (to->te_pt & 0x7f));
    } else if (h->pt != to->pt) {
        /* Transcode G.711 law to law, byte by byte (both are 8 kHz,
         * one byte per sample: no resampling, no framing change). */
        const uint8_t *map = NULL;
        if (h->pt == BH_RTP_PT_PCMU && to->pt == BH_RTP_PT_PCMA)
            map = sw->ulaw2alaw;
        else if (h->pt == BH_RTP_PT_PCMA && to->pt == BH_RTP_PT_PCMU)
            map = sw->alaw2ulaw;
        if (!map)
            return; /* a codec we did not agree: dropped */
        for (size_t i = 0; i < h->payload_len; i++)
            pkt[off + i] = map[pkt[off + i]];
        pkt[1] = (uint8_t)((pkt[1] & 0x80) | (to->pt & 0x7f));
    }
    if (sendto(to->rtp->fd, pkt, len, MSG_DONTWAIT,
               (struct sockaddr *)&to->media.ss, to->media.len) > 0)
        sw->m.rtp_out++;
}

/* In-band digits: the G.711 payload decoded and fed to the detector.
 * Each digit goes to the service, which may end the call: returns 0 once
 * the leg is gone (its socket closed), 1 while it lives. */
static int
inband_digits(struct leg *leg, const struct bh_rtp_hdr *h) {
    int16_t pcm[BH_RTP_MAX_PACKET];
    if ((h->pt != BH_RTP_PT_PCMU && h->pt != BH_RTP_PT_PCMA) ||
        h->payload_len > sizeof pcm / sizeof *pcm ||
        bh_g711_decode(h->pt, h->payload, pcm, h->payload_len) < 0)
        return 1;
    char digits[16];
    int k =
        bh_dtmf_detect(leg->inband, pcm, h->payload_len, digits, sizeof digits);
    struct rtp_sock *r = leg->rtp;
    unsigned gen = r->gen;
    for (int i = 0; i < k; i++) {
        sw_leg_digit(leg, digits[i]);
        if (r->gen != gen)
            return 0;
    }
    return 1;
}

/* One received packet of a leg: the peer's address (symmetric RTP),
 * digits taken out, the rest to the leg's sink. */
static void
rtp_packet(struct rtp_sock *r, struct leg *leg, uint8_t *pkt, size_t n,
           const struct sw_addr *src) {
    struct bh_rtp_hdr h;
    if (bh_rtp_parse(pkt, n, &h) < 0)
        return;
    if (leg->is_caller) {
        /* The caller is alive (call.c's RTP guard looks at this). */
        struct sw_guard *g = &leg->call->guard;
        g->rtp_last = sw_now(r->sw);
        g->rtp_seen = 1;
    }
    /* Symmetric RTP (RFC 4961): answer where the peer sends from, which
     * also gets media through NAT. */
    if (!leg->have_media || src->len != leg->media.len ||
        memcmp(&src->ss, &leg->media.ss, src->len) != 0) {
        leg->media = *src;
        leg->have_media = 1;
    }
    if ((leg->digits & SW_DIGITS_EVENTS) && leg->te_pt >= 0 &&
        h.pt == leg->te_pt) {
        /* RFC 4733 2.5.2: each event once, whatever duplicates follow;
         * events being collected are not passed on. */
        char digit;
        if (bh_dtmf_rx_packet(&leg->dtmf, &h, &digit) == 1)
            sw_leg_digit(leg, digit);
        return;
    }
    if ((leg->digits & SW_DIGITS_INBAND) && leg->inband &&
        !inband_digits(leg, &h))
        return;
    if (leg->sink)
        leg->sink(leg, pkt, n, &h, leg->sink_arg);
}

static void
on_rtp(evutil_socket_t fd, short what, void *arg) {
    struct rtp_sock *r = arg;
    struct bh_switch *sw = r->sw;
    uint8_t pkt[BH_RTP_MAX_PACKET];
    /* Bounded: a few packets per wakeup per socket. */
    for (int i = 0; i < 16; i++) {
        struct sw_addr src;
        src.len = sizeof src.ss;
        ssize_t n = recvfrom(fd, pkt, sizeof pkt, MSG_DONTWAIT,
                             (struct sockaddr *)&src.ss, &src.len);
        if (n <= 0)
            break;
        sw->m.rtp_in++;
        /* Read again for every packet: a digit may have ended the call. */
        if (r->leg)
            rtp_packet(r, r->leg, pkt, (size_t)n, &src);
    }
}

void
sw_rtp_watch(struct bh_switch *sw, struct leg *leg, int on) {
    struct rtp_sock *r = leg->rtp;
    if (!r || r->unwatched == !on)
        return;
    if (on)
        event_add(&r->ev, NULL);
    else
        event_del(&r->ev);
    r->unwatched = !on;
}

#define POLL_BATCH 8

int
sw_rtp_poll(struct rtp_sock *r) {
    struct bh_switch *sw = r->sw;
    uint8_t buf[POLL_BATCH][BH_RTP_MAX_PACKET];
    struct sockaddr_storage from[POLL_BATCH];
    struct iovec iov[POLL_BATCH];
    struct mmsghdr msgs[POLL_BATCH];
    unsigned gen = r->gen;
    int total = 0;
    /* Bounded: at most 8 batches (64 packets, over a second of audio). */
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < POLL_BATCH; i++) {
            iov[i] = (struct iovec){buf[i], sizeof buf[i]};
            msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
                                              .msg_namelen = sizeof from[i],
                                              .msg_iov = &iov[i],
                                              .msg_iovlen = 1};
        }
        int n = recvmmsg(r->fd, msgs, POLL_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        sw->m.rtp_in += (uint64_t)n;
        total += n;
        for (int i = 0; i < n; i++) {
            if (!r->leg || r->gen != gen)
                return total;
            struct sw_addr src;
            memcpy(&src.ss, &from[i], sizeof src.ss);
            src.len = msgs[i].msg_hdr.msg_namelen;
            rtp_packet(r, r->leg, buf[i], msgs[i].msg_len, &src);
        }
        if (n < POLL_BATCH)
            break;
    }
    return total;
}

/* ---- where audio goes, digits -------------------------------------------- */

void
sw_leg_attach(struct leg *leg, sw_media_sink sink, void *arg) {
    if (leg->sink == relay) {
        /* Undo the connection on the other side too. */
        struct leg *other = leg->sink_arg;
        if (other->sink == relay && other->sink_arg == leg) {
            other->sink = NULL;
            other->sink_arg = NULL;
        }
    }
    leg->sink = sink;
    leg->sink_arg = arg;
}

void
sw_leg_connect(struct leg *a, struct leg *b) {
    sw_leg_attach(a, relay, b);
    sw_leg_attach(b, relay, a);
}

int
sw_leg_digits(struct leg *leg, unsigned how) {
    if ((how & SW_DIGITS_EVENTS) && !(leg->digits & SW_DIGITS_EVENTS))
        bh_dtmf_rx_init(&leg->dtmf);
    leg->digits = how;
    /* A fresh detector for each collection: no half-heard tone carries
     * over from before. */
    sw_leg_inband_stop(leg);
    if (how & SW_DIGITS_INBAND) {
        leg->inband = bh_dtmf_detector_new();
        if (!leg->inband)
            return BH_ENOMEM;
    }
    return 0;
}

void
sw_leg_inband_stop(struct leg *leg) {
    bh_dtmf_detector_free(leg->inband);
    leg->inband = NULL;
}

int
sw_sdp_local(struct bh_switch *sw, struct leg *leg, char *buf, size_t size,
             const uint8_t *pts, size_t npt) {
    struct bh_sdp_audio a;
    memset(&a, 0, sizeof a);
    snprintf(a.addr, sizeof a.addr, "%s", sw->media_ip);
    a.port = leg->rtp ? leg->rtp->port : 0;
    for (size_t i = 0; i < npt && i < 4; i++)
        a.pt[a.npt++] = pts[i];
    a.te_pt = BH_RTP_PT_TELEPHONE_EVENT;
    a.ptime = 20;
    a.dir = BH_SDP_SENDRECV;
    a.sess_id = leg->ssrc;
    a.sess_version = 1;
    return bh_sdp_build_audio(buf, size, &a);
}
