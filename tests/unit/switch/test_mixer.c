/* test_mixer.c: the conference mixer: each listener hears the others at
 * their level and itself not at all (Goertzel on the decoded audio it
 * receives), full-scale talkers without wrap-around or own-voice leak,
 * reordered / lost / jittered input, loudest-K, shared encodings, silence,
 * mute, audio to play, RTP headers, the recording tap. */
#include "proto.h"
#include "recording.h"
#include "switch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAME BH_MIXER_FRAME
#define MAXP 16
#define MAXFRAMES 400

/* ---- a small conference on the mixer, driven frame by frame ------------- */

struct talker {
    double freq, amp; /* tone sent; amp 0 = silence */
    double phase;
    uint16_t seq;
    uint32_t ts;
    uint8_t pt;
};

struct conf {
    struct bh_mixer *m;
    struct bh_mixer_room *room;
    struct bh_mixer_part *part[MAXP];
    struct talker tk[MAXP];
    int id[MAXP]; /* user pointers point here */
    int n;
    int frame;
    /* what each participant received, decoded */
    int16_t heard[MAXP][MAXFRAMES * FRAME];
    int nheard[MAXP];
    /* the last tick's packets, by participant */
    struct bh_mixer_packet last[MAXP];
    /* the room's recording tap, when recorded */
    int16_t rec[MAXFRAMES * FRAME];
    int nrec;
};

static struct conf *
conf_new(const struct bh_mixer_options *o, bool record) {
    struct conf *c = calloc(1, sizeof *c);
    assert_non_null(c);
    assert_int_equal(bh_mixer_new(o, &c->m), 0);
    assert_int_equal(bh_mixer_room_new(c->m, c, record, &c->room), 0);
    return c;
}

static int
conf_join(struct conf *c, uint8_t pt, double freq, double amp) {
    int i = c->n++;
    c->id[i] = i;
    c->tk[i] = (struct talker){freq,
                               amp,
                               0,
                               (uint16_t)(1000 * i + 7),
                               (uint32_t)(99991u * (unsigned)i),
                               pt};
    struct bh_mixer_join j = {&c->id[i], pt, 0x1000u + (uint32_t)i,
                              (uint16_t)(65530 - i), 4000000000u + (uint32_t)i};
    assert_int_equal(bh_mixer_join(c->room, &j, &c->part[i]), 0);
    return i;
}

static void
conf_free(struct conf *c) {
    bh_mixer_free(c->m);
    free(c);
}

#define PKT (12 + FRAME) /* bytes of a 20 ms G.711 RTP packet */

/* Talker t's next frame as an RTP packet in pkt (PKT bytes). */
static void
next_packet(struct talker *t, uint8_t *pkt) {
    int16_t pcm[FRAME];
    for (int s = 0; s < FRAME; s++) {
        double v = t->amp * sin(t->phase);
        pcm[s] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
        t->phase += 2 * M_PI * t->freq / 8000.0;
    }
    t->phase = fmod(t->phase, 2 * M_PI);
    uint8_t payload[FRAME];
    assert_int_equal(bh_g711_encode(t->pt, pcm, payload, FRAME), 0);
    struct bh_rtp_hdr h = {
        .version = 2, .pt = t->pt, .seq = t->seq++, .ts = t->ts, .ssrc = 0xabc};
    t->ts += FRAME;
    assert_int_equal(bh_rtp_build(pkt, PKT, &h, payload, FRAME), PKT);
}

/* Runs the mixer's tick at frame c->frame and keeps what everyone got. */
static void
conf_tick(struct conf *c) {
    struct bh_mixer_output out;
    assert_int_equal(bh_mixer_tick(c->m, c->frame * 0.020, &out), 0);
    assert_int_equal(out.npackets, (size_t)c->n);
    for (size_t k = 0; k < out.npackets; k++) {
        const struct bh_mixer_packet *pk = &out.packets[k];
        int i = *(int *)pk->user;
        c->last[i] = *pk;
        assert_int_equal(pk->len, FRAME);
        assert_true(c->nheard[i] + FRAME <= MAXFRAMES * FRAME);
        assert_int_equal(bh_g711_decode(pk->head[1] & 0x7f, pk->payload,
                                        &c->heard[i][c->nheard[i]], FRAME),
                         0);
        c->nheard[i] += FRAME;
    }
    for (size_t k = 0; k < out.nrecords; k++) {
        assert_ptr_equal(out.records[k].user, c);
        memcpy(&c->rec[c->nrec], out.records[k].pcm, sizeof(int16_t) * FRAME);
        c->nrec += FRAME;
    }
    c->frame++;
}

/* Every talker sends its frame (arriving 1 ms before the tick), then the
 * tick. */
static void
conf_run(struct conf *c, int frames) {
    for (int f = 0; f < frames; f++) {
        for (int i = 0; i < c->n; i++) {
            uint8_t pkt[PKT];
            next_packet(&c->tk[i], pkt);
            int rc =
                bh_mixer_put(c->part[i], pkt, PKT, c->frame * 0.020 - 0.001);
            assert_int_equal(rc, 0);
        }
        conf_tick(c);
    }
}

/* Amplitude of the tone at freq in x[0..n) (Goertzel; freq on a bin of n
 * for an exact figure). */
static double
tone_level(const int16_t *x, int n, double freq) {
    double w = 2 * M_PI * freq / 8000.0, coeff = 2 * cos(w);
    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double s0 = x[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2 * sqrt(p > 0 ? p : 0) / n;
}

/* The last `frames` frames participant i heard. */
static const int16_t *
tail(const struct conf *c, int i, int frames) {
    assert_true(c->nheard[i] >= frames * FRAME);
    return &c->heard[i][c->nheard[i] - frames * FRAME];
}

/* ---- the tone test of the issue ----------------------------------------- */

/* Four participants, four tones (on Goertzel bins of 30 frames = 4800
 * samples: 1.67 Hz apart), two codecs: each hears the three others at
 * their level and its own below 0.05 of a peer's. */
static void
four_tones(void **state) {
    (void)state;
    static const double freq[4] = {400, 700, 1100, 1700};
    struct conf *c = conf_new(NULL, false);
    for (int i = 0; i < 4; i++)
        conf_join(c, i < 2 ? BH_RTP_PT_PCMU : BH_RTP_PT_PCMA, freq[i], 6000);
    conf_run(c, 60);
    for (int i = 0; i < 4; i++) {
        const int16_t *x = tail(c, i, 30);
        double peer_min = 1e9;
        for (int j = 0; j < 4; j++) {
            double lv = tone_level(x, 30 * FRAME, freq[j]);
            if (j == i)
                continue;
            /* each peer at its level, within G.711's error */
            assert_true(fabs(lv - 6000) < 0.03 * 6000);
            if (lv < peer_min)
                peer_min = lv;
        }
        double own = tone_level(x, 30 * FRAME, freq[i]);
        assert_true(own < 0.05 * peer_min);
        /* in fact at G.711's quantisation noise (Asterisk: 0.25) */
        assert_true(own < 0.01 * peer_min);
        assert_true(bh_mixer_talking(c->part[i]));
        assert_true(bh_mixer_mixed(c->part[i]));
    }
    conf_free(c);
}

/* What a mixer that clipped the full sum to 16 bits and then took the
 * listener's own voice out of it would give: used below to show that the
 * measurement catches the leak it is there to catch. */
static double
naive_leak(const int16_t *a, const int16_t *b, int n, double fa) {
    int16_t *x = malloc(sizeof *x * (size_t)n);
    assert_non_null(x);
    for (int s = 0; s < n; s++) {
        int32_t sum = a[s] + b[s];
        int16_t clipped = (int16_t)(sum > 32767    ? 32767
                                    : sum < -32768 ? -32768
                                                   : sum);
        int32_t v = clipped - a[s];
        x[s] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    double lv = tone_level(x, n, fa);
    free(x);
    return lv;
}

/* Two talkers at full scale: each hears the other at full scale, with no
 * wrap-around (the 32-bit sum never overflows 16 bits on the way) and no
 * trace of itself. */
static void
full_scale_two(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, false);
    conf_join(c, BH_RTP_PT_PCMU, 500, 32767);
    conf_join(c, BH_RTP_PT_PCMU, 1300, 32767);
    conf_run(c, 60);
    for (int i = 0; i < 2; i++) {
        const int16_t *x = tail(c, i, 30);
        double own = tone_level(x, 30 * FRAME, i ? 1300 : 500);
        double peer = tone_level(x, 30 * FRAME, i ? 500 : 1300);
        assert_true(peer > 0.97 * 32767);
        assert_true(own < 0.05 * peer);
        /* wrap-around would add broadband distortion: what is not the
         * peer's tone stays at G.711's noise */
        double power = 0;
        for (int s = 0; s < FRAME * 30; s++)
            power += (double)x[s] * x[s];
        power /= FRAME * 30;
        double rest = power - peer * peer / 2;
        assert_true(sqrt(rest > 0 ? rest : 0) < 0.03 * 32767);
    }
    /* The naive mix of the same two decoded tones leaks (the test can
     * fail): both tones at full scale, clipped, minus one of them. */
    int16_t a[FRAME * 30], b[FRAME * 30];
    for (int s = 0; s < FRAME * 30; s++) {
        a[s] = (int16_t)lrint(32767 * sin(2 * M_PI * 500 * s / 8000.0));
        b[s] = (int16_t)lrint(32767 * sin(2 * M_PI * 1300 * s / 8000.0));
    }
    assert_true(naive_leak(a, b, FRAME * 30, 500) > 0.05 * 32767);
    conf_free(c);
}

/* Two full-scale talkers and a listener: the listener hears both (their
 * sum clipped once), the talkers each other only. */
static void
full_scale_three(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, false);
    conf_join(c, BH_RTP_PT_PCMA, 500, 32767);
    conf_join(c, BH_RTP_PT_PCMU, 1300, 32767);
    conf_join(c, BH_RTP_PT_PCMU, 900, 0);
    conf_run(c, 60);
    for (int i = 0; i < 2; i++) {
        const int16_t *x = tail(c, i, 30);
        double own = tone_level(x, 30 * FRAME, i ? 1300 : 500);
        double peer = tone_level(x, 30 * FRAME, i ? 500 : 1300);
        assert_true(peer > 0.97 * 32767);
        assert_true(own < 0.05 * peer);
    }
    const int16_t *x = tail(c, 2, 30);
    assert_true(tone_level(x, 30 * FRAME, 500) > 0.6 * 32767);
    assert_true(tone_level(x, 30 * FRAME, 1300) > 0.6 * 32767);
    assert_false(bh_mixer_talking(c->part[2]));
    conf_free(c);
}

/* ---- impaired input ----------------------------------------------------- */

/* A talker whose packets come reordered (pairs swapped), 1 in 10 lost and
 * with up to 30 ms of jitter: the listener still hears the tone, close to
 * its level, in a continuous stream. */
static void
impaired_input(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, false);
    int t = conf_join(c, BH_RTP_PT_PCMU, 1000, 8000);
    int l = conf_join(c, BH_RTP_PT_PCMA, 0, 0);
    enum { N = 300 };
    static uint8_t pkt[N][PKT];
    for (int f = 0; f < N; f++)
        next_packet(&c->tk[t], pkt[f]);
    /* send order: pairs swapped; every 10th packet lost; arrival at
     * f * 20 ms plus a jitter of 0..30 ms */
    int sent = 0;
    for (int tick = 0; tick < N + 10; tick++) {
        double now = tick * 0.020;
        for (int f = 0; f < N; f++) {
            int g = f ^ 1; /* pairs swapped */
            if (g >= N || g % 10 == 7)
                continue;
            double at = g * 0.020 + ((g * 7919) % 31) * 0.001;
            if (at > now - 0.020 && at <= now) {
                int rc = bh_mixer_put(c->part[t], pkt[g], PKT, at);
                assert_true(rc == 0 || rc == 1);
                sent++;
            }
        }
        conf_tick(c);
    }
    assert_true(sent >= N * 8 / 10);
    struct bh_mixer_part_stats js;
    bh_mixer_part_stats(c->part[t], &js);
    assert_true(js.reordered > 0);
    assert_true(js.lost > 0);
    assert_true(js.received > 0 && js.played > js.received * 9 / 10);
    struct bh_mixer_stats st;
    bh_mixer_stats(c->m, &st);
    assert_true(st.concealed > 0);
    /* the tone over the middle 200 frames, at most a concealment's dip
     * below its level, and nothing but the tone */
    const int16_t *x = &c->heard[l][50 * FRAME];
    double lv = tone_level(x, 200 * FRAME, 1000);
    assert_true(lv > 0.8 * 8000 && lv < 1.02 * 8000);
    /* the listener's packets kept coming, one per tick, numbered in order */
    assert_int_equal(c->nheard[l], (N + 10) * FRAME);
    conf_free(c);
}

/* ---- RTP out ------------------------------------------------------------ */

static uint32_t
get32(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           b[3];
}

/* Version 2, the listener's codec, SSRC and start values; sequence + 1
 * and timestamp + 160 per frame (wrapping); the marker on the first
 * packet only; a frame the scheduler skipped shows as a timestamp gap. */
static void
rtp_headers(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, false);
    conf_join(c, BH_RTP_PT_PCMU, 400, 5000);
    conf_join(c, BH_RTP_PT_PCMA, 900, 5000);
    uint16_t seq[2];
    uint32_t ts[2];
    for (int f = 0; f < 20; f++) {
        if (f == 12)
            c->frame++; /* a frame skipped */
        conf_run(c, 1);
        for (int i = 0; i < 2; i++) {
            const uint8_t *hd = c->last[i].head;
            struct bh_rtp_hdr h;
            uint8_t pkt[12 + FRAME];
            memcpy(pkt, hd, 12);
            memcpy(pkt + 12, c->last[i].payload, FRAME);
            assert_int_equal(bh_rtp_parse(pkt, sizeof pkt, &h), 0);
            assert_int_equal(h.version, 2);
            assert_int_equal(h.pt, i ? BH_RTP_PT_PCMA : BH_RTP_PT_PCMU);
            assert_int_equal(h.ssrc, 0x1000u + (unsigned)i);
            assert_int_equal(h.marker, f == 0);
            assert_int_equal(h.ts, get32(hd + 4));
            if (f == 0) {
                assert_int_equal(h.seq, 65530 - i);
                assert_int_equal(h.ts, 4000000000u + (unsigned)i);
            } else {
                assert_int_equal(h.seq, (uint16_t)(seq[i] + 1));
                assert_int_equal(h.ts, ts[i] + (f == 12 ? 320u : 160u));
            }
            seq[i] = h.seq;
            ts[i] = h.ts;
        }
    }
    struct bh_mixer_stats st;
    bh_mixer_stats(c->m, &st);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.ticks, 20);
    conf_free(c);
}

/* ---- cost: silence, loudest K, shared encodings ------------------------- */

/* A room of ten, one talker: the talker gets its own encoding (the room
 * without itself: silence), the nine others share one per codec. */
static void
shared_encodings(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, false);
    conf_join(c, BH_RTP_PT_PCMU, 800, 8000);
    for (int i = 1; i < 10; i++)
        conf_join(c, i % 3 ? BH_RTP_PT_PCMU : BH_RTP_PT_PCMA, 0, 0);
    conf_run(c, 20);
    struct bh_mixer_stats a, b;
    bh_mixer_stats(c->m, &a);
    conf_run(c, 10);
    bh_mixer_stats(c->m, &b);
    /* per tick: the talker's own, one PCMU and one PCMA shared */
    assert_int_equal(b.encodes - a.encodes, 10 * 3);
    assert_int_equal(b.shared - a.shared, 10 * 7);
    assert_int_equal(b.silent - a.silent, 10 * 9);
    for (int i = 2; i < 10; i++) {
        int j = i % 3 ? 1 : 3; /* a listener with the same codec */
        assert_ptr_equal(c->last[i].payload, c->last[j].payload);
    }
    assert_ptr_not_equal(c->last[1].payload, c->last[3].payload);
    assert_ptr_not_equal(c->last[0].payload, c->last[1].payload);
    /* the listeners hear the talker, the talker hears silence */
    assert_true(tone_level(tail(c, 3, 10), 10 * FRAME, 800) > 0.97 * 8000);
    assert_true(tone_level(tail(c, 0, 10), 10 * FRAME, 800) < 1);
    conf_free(c);
}

/* In a room larger than talkers + 1, only the loudest talkers are mixed;
 * in a room of talkers + 1, everyone is. */
static void
loudest_k(void **state) {
    (void)state;
    static const double freq[5] = {400, 600, 1000, 1400, 1800};
    static const double amp[5] = {1000, 9000, 3000, 7000, 5000};
    struct conf *c = conf_new(NULL, false); /* talkers: 3 */
    for (int i = 0; i < 5; i++)
        conf_join(c, BH_RTP_PT_PCMU, freq[i], amp[i]);
    for (int i = 5; i < 8; i++)
        conf_join(c, BH_RTP_PT_PCMU, 0, 0);
    conf_run(c, 60);
    /* mixed: 9000, 7000, 5000 (participants 1, 3, 4) */
    for (int i = 0; i < 8; i++)
        assert_int_equal(bh_mixer_mixed(c->part[i]),
                         i == 1 || i == 3 || i == 4);
    assert_true(bh_mixer_talking(c->part[0]) && bh_mixer_talking(c->part[2]));
    const int16_t *x = tail(c, 6, 30);
    for (int i = 0; i < 5; i++) {
        double lv = tone_level(x, 30 * FRAME, freq[i]);
        if (i == 1 || i == 3 || i == 4)
            assert_true(fabs(lv - amp[i]) < 0.03 * amp[i]);
        else /* at G.711's noise, not at its level */
            assert_true(lv < 0.05 * amp[i]);
    }
    /* a mixed talker hears the two other mixed ones, not itself */
    x = tail(c, 3, 30);
    assert_true(tone_level(x, 30 * FRAME, 600) > 0.97 * 9000);
    assert_true(tone_level(x, 30 * FRAME, 1800) > 0.97 * 5000);
    assert_true(tone_level(x, 30 * FRAME, 1400) < 0.05 * 5000);
    assert_true(tone_level(x, 30 * FRAME, 1000) < 0.01 * 3000);
    conf_free(c);

    /* talkers: 2, a room of 3: all three mixed */
    struct bh_mixer_options o;
    bh_mixer_options_default(&o);
    o.talkers = 2;
    c = conf_new(&o, false);
    for (int i = 0; i < 3; i++)
        conf_join(c, BH_RTP_PT_PCMU, freq[i], 4000);
    conf_run(c, 40);
    for (int i = 0; i < 3; i++)
        assert_true(bh_mixer_mixed(c->part[i]));
    x = tail(c, 0, 30);
    assert_true(tone_level(x, 30 * FRAME, 600) > 0.97 * 4000);
    assert_true(tone_level(x, 30 * FRAME, 1000) > 0.97 * 4000);
    conf_free(c);
}

/* A participant below the silence level is not mixed (and not decoded);
 * one who stops talking is mixed for `hangover` frames more. */
static void
silence_and_hangover(void **state) {
    (void)state;
    struct bh_mixer_options o;
    bh_mixer_options_default(&o);
    o.hangover = 5;
    struct conf *c = conf_new(&o, false);
    conf_join(c, BH_RTP_PT_PCMU, 700, 40); /* mean |x| ~25: silent */
    conf_join(c, BH_RTP_PT_PCMU, 1200, 6000);
    conf_join(c, BH_RTP_PT_PCMU, 0, 0);
    conf_run(c, 30);
    assert_false(bh_mixer_talking(c->part[0]));
    assert_true(bh_mixer_talking(c->part[1]));
    assert_true(tone_level(tail(c, 2, 20), 20 * FRAME, 700) < 1);
    c->tk[1].amp = 0;
    /* playout runs a frame behind (packets come 1 ms before the tick):
     * the last loud frame plays at the next tick, then 5 frames of
     * hangover */
    for (int f = 0; f < 6; f++) {
        conf_run(c, 1);
        assert_true(bh_mixer_talking(c->part[1]));
    }
    conf_run(c, 1);
    assert_false(bh_mixer_talking(c->part[1]));
    conf_free(c);
}

/* A muted participant is heard by nobody but hears the room. */
static void
mute(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, false);
    conf_join(c, BH_RTP_PT_PCMU, 600, 8000);
    conf_join(c, BH_RTP_PT_PCMU, 1500, 8000);
    conf_join(c, BH_RTP_PT_PCMU, 0, 0);
    bh_mixer_mute(c->part[0], true);
    assert_true(bh_mixer_muted(c->part[0]));
    conf_run(c, 40);
    assert_true(tone_level(tail(c, 2, 30), 30 * FRAME, 600) < 1);
    assert_true(tone_level(tail(c, 2, 30), 30 * FRAME, 1500) > 0.97 * 8000);
    assert_true(tone_level(tail(c, 0, 30), 30 * FRAME, 1500) > 0.97 * 8000);
    bh_mixer_mute(c->part[0], false);
    conf_run(c, 40);
    assert_true(tone_level(tail(c, 2, 30), 30 * FRAME, 600) > 0.97 * 8000);
    conf_free(c);
}

/* ---- audio played into the room or to one participant ------------------- */

static void
tone(int16_t *x, int n, double freq, double amp) {
    for (int s = 0; s < n; s++)
        x[s] = (int16_t)lrint(amp * sin(2 * M_PI * freq * s / 8000.0));
}

static void
play(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, false);
    conf_join(c, BH_RTP_PT_PCMU, 0, 0);
    conf_join(c, BH_RTP_PT_PCMA, 0, 0);
    conf_join(c, BH_RTP_PT_PCMU, 0, 0);
    static int16_t x[BH_MIXER_PLAY_MAX + 1];
    /* a room tone: everyone hears it, from the next tick, for its length */
    tone(x, 30 * FRAME, 1000, 5000);
    assert_int_equal(bh_mixer_play_room(c->room, x, 30 * FRAME), 0);
    assert_int_equal(bh_mixer_play_room_pending(c->room), 30 * FRAME);
    conf_run(c, 30);
    assert_int_equal(bh_mixer_play_room_pending(c->room), 0);
    for (int i = 0; i < 3; i++)
        assert_true(tone_level(tail(c, i, 30), 30 * FRAME, 1000) > 0.97 * 5000);
    /* to one participant: only it hears it */
    tone(x, 30 * FRAME, 1500, 5000);
    assert_int_equal(bh_mixer_play(c->part[1], x, 30 * FRAME), 0);
    conf_run(c, 30);
    assert_int_equal(bh_mixer_play_pending(c->part[1]), 0);
    assert_true(tone_level(tail(c, 1, 30), 30 * FRAME, 1500) > 0.97 * 5000);
    assert_true(tone_level(tail(c, 0, 30), 30 * FRAME, 1500) < 1);
    assert_true(tone_level(tail(c, 2, 30), 30 * FRAME, 1500) < 1);
    /* bounded: BH_MIXER_PLAY_MAX samples wait at most */
    assert_int_equal(bh_mixer_play(c->part[0], x, BH_MIXER_PLAY_MAX), 0);
    assert_int_equal(bh_mixer_play(c->part[0], x, 1), BH_ETOOBIG);
    assert_int_equal(bh_mixer_play_room(c->room, x, BH_MIXER_PLAY_MAX + 1),
                     BH_ETOOBIG);
    assert_int_equal(bh_mixer_play_room_pending(c->room), 0);
    conf_run(c, 1);
    assert_int_equal(bh_mixer_play_pending(c->part[0]),
                     BH_MIXER_PLAY_MAX - FRAME);
    assert_int_equal(bh_mixer_play(c->part[0], x, FRAME), 0);
    conf_free(c);
}

/* ---- the recording tap -------------------------------------------------- */

/* A recorded room's mix goes to a WAV file that holds both talkers' tones
 * at their levels, one sample per sample mixed. */
static void
recording(void **state) {
    (void)state;
    struct conf *c = conf_new(NULL, true);
    conf_join(c, BH_RTP_PT_PCMU, 600, 7000);
    conf_join(c, BH_RTP_PT_PCMA, 1400, 5000);
    conf_run(c, 120);
    char path[] = "/tmp/bh_mixer_recXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct bh_recording *r;
    char err[256];
    assert_int_equal(bh_recording_open(path, &r, err, sizeof err), 0);
    for (int f = 0; f < c->nrec; f += 100 * FRAME) {
        int n = c->nrec - f < 100 * FRAME ? c->nrec - f : 100 * FRAME;
        assert_int_equal(bh_recording_write(r, &c->rec[f], (size_t)n), 0);
    }
    assert_int_equal(bh_recording_samples(r), 120 * FRAME);
    assert_int_equal(bh_recording_close(r), 0);
    assert_int_equal(bh_recording_close(NULL), 0);

    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    assert_non_null(f);
    assert_int_equal(info.samplerate, 8000);
    assert_int_equal(info.channels, 1);
    assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    assert_int_equal(info.frames, 120 * FRAME);
    static int16_t x[120 * FRAME];
    assert_int_equal(sf_read_short(f, x, 120 * FRAME), 120 * FRAME);
    sf_close(f);
    unlink(path);
    assert_memory_equal(x, c->rec, sizeof x);
    const int16_t *y = &x[60 * FRAME];
    assert_true(fabs(tone_level(y, 60 * FRAME, 600) - 7000) < 0.03 * 7000);
    assert_true(fabs(tone_level(y, 60 * FRAME, 1400) - 5000) < 0.03 * 5000);
    assert_true(tone_level(y, 60 * FRAME, 1000) < 0.01 * 5000);

    assert_int_equal(
        bh_recording_open("/nonexistent-dir/x.wav", &r, err, sizeof err),
        BH_EIO);
    assert_null(r);
    assert_non_null(strstr(err, "/nonexistent-dir/x.wav"));
    conf_free(c);
}

/* ---- handles and refusals ----------------------------------------------- */

static void
handles(void **state) {
    (void)state;
    struct bh_mixer_options o;
    bh_mixer_options_default(&o);
    struct bh_mixer *m;
    o.talkers = 0;
    assert_int_equal(bh_mixer_new(&o, &m), BH_EINVAL);
    assert_null(m);
    o.talkers = BH_MIXER_MAX_TALKERS + 1;
    assert_int_equal(bh_mixer_new(&o, &m), BH_EINVAL);
    o.talkers = BH_MIXER_MAX_TALKERS;
    o.jitter_max = BH_JITTER_SLOTS / 2 + 1;
    assert_int_equal(bh_mixer_new(&o, &m), BH_EINVAL);
    o.jitter_max = 10;
    assert_int_equal(bh_mixer_new(&o, &m), 0);

    struct bh_mixer_room *r, *r2;
    assert_int_equal(bh_mixer_room_new(m, NULL, false, &r), 0);
    assert_int_equal(bh_mixer_room_new(m, NULL, false, &r2), 0);
    struct bh_mixer_part *p;
    struct bh_mixer_join j = {NULL, 18 /* G.729 */, 1, 2, 3};
    assert_int_equal(bh_mixer_join(r, &j, &p), BH_EINVAL);
    assert_null(p);
    j.pt = BH_RTP_PT_PCMA;
    assert_int_equal(bh_mixer_join(r, &j, &p), 0);
    assert_int_equal(bh_mixer_room_size(r), 1);
    assert_int_equal(bh_mixer_participants(m), 1);

    uint8_t zero[240] = {0}, pkt[12 + 240];
    struct bh_rtp_hdr h = {.version = 2, .pt = BH_RTP_PT_PCMU};
    int n = bh_rtp_build(pkt, sizeof pkt, &h, zero, 240); /* 30 ms */
    assert_int_equal(bh_mixer_put(p, pkt, (size_t)n, 0), BH_EINVAL);
    h.pt = BH_RTP_PT_TELEPHONE_EVENT;
    n = bh_rtp_build(pkt, sizeof pkt, &h, zero, 4);
    assert_int_equal(bh_mixer_put(p, pkt, (size_t)n, 0), BH_EINVAL);
    assert_int_equal(bh_mixer_put(p, pkt, 5, 0), BH_EPARSE);
    h.pt = BH_RTP_PT_PCMU;
    n = bh_rtp_build(pkt, sizeof pkt, &h, zero, FRAME);
    assert_int_equal(bh_mixer_put(p, pkt, (size_t)n, 0), 0);
    assert_int_equal(bh_mixer_put(p, pkt, (size_t)n, 0), 1); /* duplicate */
    struct bh_mixer_part_stats ps;
    bh_mixer_part_stats(p, &ps);
    assert_int_equal(ps.received, 1);
    assert_int_equal(ps.duplicate, 1);

    assert_int_equal(bh_mixer_room_free(r), BH_ESTATE);
    assert_int_equal(bh_mixer_room_free(r2), 0);
    assert_int_equal(bh_mixer_room_free(NULL), 0);
    struct bh_mixer_output out;
    assert_int_equal(bh_mixer_tick(m, 0, &out), 0);
    assert_int_equal(out.npackets, 1);
    assert_int_equal(out.nrecords, 0);
    bh_mixer_leave(p);
    bh_mixer_leave(NULL);
    assert_int_equal(bh_mixer_participants(m), 0);
    assert_int_equal(bh_mixer_room_free(r), 0);
    assert_int_equal(bh_mixer_tick(m, 0.02, &out), 0);
    assert_int_equal(out.npackets, 0);
    bh_mixer_free(m);
    bh_mixer_free(NULL);
}

/* Participants joining and leaving between ticks, in several rooms: every
 * remaining one gets exactly one packet per tick (handles stay valid when
 * others leave). */
static void
churn(void **state) {
    (void)state;
    struct bh_mixer *m;
    assert_int_equal(bh_mixer_new(NULL, &m), 0);
    struct bh_mixer_room *room[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(bh_mixer_room_new(m, NULL, i == 1, &room[i]), 0);
    enum { N = 60 };
    struct bh_mixer_part *p[N] = {0};
    int id[N], got[N];
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < N; i++) {
            if ((i * 31 + round * 17) % 7 == 0) {
                bh_mixer_leave(p[i]);
                p[i] = NULL;
            } else if (!p[i]) {
                id[i] = i;
                struct bh_mixer_join j = {&id[i], BH_RTP_PT_PCMU, 5, 6, 7};
                assert_int_equal(bh_mixer_join(room[i % 3], &j, &p[i]), 0);
            }
        }
        struct bh_mixer_output out;
        assert_int_equal(bh_mixer_tick(m, round * 0.02, &out), 0);
        memset(got, 0, sizeof got);
        for (size_t k = 0; k < out.npackets; k++)
            got[*(int *)out.packets[k].user]++;
        size_t live = 0;
        for (int i = 0; i < N; i++) {
            assert_int_equal(got[i], p[i] ? 1 : 0);
            live += p[i] != NULL;
        }
        assert_int_equal(out.npackets, live);
        assert_int_equal(out.nrecords, 1);
    }
    bh_mixer_free(m);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_tones),
        cmocka_unit_test(full_scale_two),
        cmocka_unit_test(full_scale_three),
        cmocka_unit_test(impaired_input),
        cmocka_unit_test(rtp_headers),
        cmocka_unit_test(shared_encodings),
        cmocka_unit_test(loudest_k),
        cmocka_unit_test(silence_and_hangover),
        cmocka_unit_test(mute),
        cmocka_unit_test(play),
        cmocka_unit_test(recording),
        cmocka_unit_test(handles),
        cmocka_unit_test(churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
