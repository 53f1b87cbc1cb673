/* conf.c: conference rooms on legs (conf.h): one mixer tick every 20 ms
 * for all rooms, from a timerfd at absolute times (frame k is due at
 * start + k x 20 ms, so the tick never drifts; frames the loop missed are
 * counted late, the last few mixed at once, older ones skipped: the mixer
 * shows them as a timestamp gap). */
#include "conf.h"

#include "grow.h"
#include "recording.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define CONF_TONE_MS 120 /* each step of the join/leave tones */

struct sw_conf_room {
    struct sw_conf *conf;
    struct bh_mixer_room *mr;
    struct bh_recording *rec; /* owned, NULL when not recorded */
    size_t rec_index;         /* in conf->recs */
    struct sw_conf_part **parts;
    size_t n, cap;
    size_t index; /* in conf->rooms */
};

struct sw_conf_part {
    struct sw_conf_room *room;
    struct leg *leg;
    struct bh_mixer_part *mp;
    size_t index; /* in room->parts */
    int moh;
    size_t moh_pos;
};

struct sw_conf {
    struct bh_switch *sw;
    /* One mixer per `talkers` value in use; all ticked together. */
    struct bh_mixer *mixers[BH_MIXER_MAX_TALKERS + 1];
    int tfd;
    struct event ev;
    int running;    /* ev added, timerfd armed */
    double t0;      /* s (sw_now): frame 0 was due */
    uint64_t frame; /* frames since t0 */
    struct sw_conf_room **rooms;
    size_t nrooms, caprooms;
    struct sw_conf_recording *recs;
    size_t nrecs, caprecs;
    struct rtp_sock **socks; /* scratch of a tick: the sockets to read */
    size_t capsocks;
    struct sw_conf_stats st;
    /* Linear sounds: tones and the switch's music on hold. */
    int16_t *join, *leave, *lock, *music;
    size_t njoin, nleave, nlock, nmusic;
};

/* ---- sounds ------------------------------------------------------------- */

static int16_t *
tones(const int *freqs, size_t nf, size_t *n) {
    size_t step = CONF_TONE_MS * 8;
    int16_t *pcm = calloc(step * nf + 1, sizeof *pcm);
    if (!pcm)
        return NULL;
    for (size_t i = 0; i < nf; i++)
        for (size_t k = 0; k < step; k++)
            pcm[i * step + k] =
                (int16_t)(4000.0 * sin(2 * M_PI * freqs[i] * (double)k / 8000));
    *n = step * nf;
    return pcm;
}

static int
conf_sounds(struct sw_conf *c) {
    static const int join[] = {600, 900}, leave[] = {900, 600},
                     lock[] = {700, 700};
    c->join = tones(join, 2, &c->njoin);
    c->leave = tones(leave, 2, &c->nleave);
    c->lock = tones(lock, 2, &c->nlock);
    const struct sw_sound *m = &c->sw->music;
    c->music = calloc(m->n + 1, sizeof *c->music);
    if (!c->join || !c->leave || !c->lock || !c->music)
        return BH_ENOMEM;
    bh_g711_decode(BH_RTP_PT_PCMU, m->pcmu, c->music, m->n);
    c->nmusic = m->n;
    return 0;
}

/* ---- the tick ------------------------------------------------------------ */

/* Sends one mixed packet to its leg: header and payload from mixer memory
 * gathered in one sendmsg. */
static void
send_packet(struct bh_switch *sw, const struct bh_mixer_packet *pk) {
    struct sw_conf_part *p = pk->user;
    struct leg *leg = p->leg;
    if (!leg->rtp || !leg->have_media)
        return;
    struct iovec iov[2] = {{(void *)pk->head, BH_MIXER_HEADER},
                           {(void *)pk->payload, pk->len}};
    struct msghdr mh = {.msg_name = &leg->media.ss,
                        .msg_namelen = leg->media.len,
                        .msg_iov = iov,
                        .msg_iovlen = 2};
    if (sendmsg(leg->rtp->fd, &mh, MSG_DONTWAIT) > 0)
        sw->m.rtp_out++;
}

/* Music on hold: a frame queued ahead for each participant alone. */
static void
feed_music(struct sw_conf *c) {
    if (c->nmusic < BH_MIXER_FRAME)
        return;
    for (size_t i = 0; i < c->nrooms; i++) {
        struct sw_conf_room *r = c->rooms[i];
        for (size_t k = 0; k < r->n; k++) {
            struct sw_conf_part *p = r->parts[k];
            if (!p->moh || bh_mixer_play_pending(p->mp) >= 2 * BH_MIXER_FRAME)
                continue;
            if (p->moh_pos + BH_MIXER_FRAME > c->nmusic)
                p->moh_pos = 0;
            (void)bh_mixer_play(p->mp, c->music + p->moh_pos, BH_MIXER_FRAME);
            p->moh_pos += BH_MIXER_FRAME;
        }
    }
}

/* Reads every participant's socket (their events are off: no wakeup per
 * packet), so that this tick mixes what came since the last. A digit read
 * here may end calls and change the rooms: the sockets are listed first,
 * and sw_rtp_poll stops at a socket whose owner changed. */
static void
receive_all(struct sw_conf *c) {
    size_t n = 0;
    for (size_t i = 0; i < c->nrooms; i++)
        n += c->rooms[i]->n;
    if (sw_grow(&c->socks, &c->capsocks, n + 1, sizeof *c->socks))
        return; /* out of memory: this tick mixes what it has */
    n = 0;
    for (size_t i = 0; i < c->nrooms; i++) {
        struct sw_conf_room *r = c->rooms[i];
        for (size_t k = 0; k < r->n; k++)
            if (r->parts[k]->leg->rtp)
                c->socks[n++] = r->parts[k]->leg->rtp;
    }
    for (size_t i = 0; i < n; i++)
        if (c->socks[i]->leg)
            sw_rtp_poll(c->socks[i]);
}

static void
run_tick(struct sw_conf *c, double due) {
    struct bh_switch *sw = c->sw;
    receive_all(c);
    feed_music(c);
    for (int t = 0; t <= BH_MIXER_MAX_TALKERS; t++) {
        if (!c->mixers[t] || bh_mixer_participants(c->mixers[t]) == 0)
            continue;
        struct bh_mixer_output out;
        if (bh_mixer_tick(c->mixers[t], due, &out) < 0)
            continue;
        for (size_t i = 0; i < out.npackets; i++)
            send_packet(sw, &out.packets[i]);
        for (size_t i = 0; i < out.nrecords; i++) {
            struct sw_conf_room *r = out.records[i].user;
            if (!r->rec)
                continue;
            struct sw_conf_recording *rc = &c->recs[r->rec_index];
            if (bh_recording_write(r->rec, out.records[i].pcm, BH_MIXER_FRAME) <
                    0 &&
                !rc->error) {
                rc->error = 1;
                c->st.record_errors++;
            }
            rc->samples = bh_recording_samples(r->rec);
        }
    }
    c->st.ticks++;
}

/* Frames a late tick catches up on (each mixed and sent, so that a loop
 * a little late loses nothing); older missed frames are skipped. */
#define CONF_CATCH_UP 3

static void
on_tick(evutil_socket_t fd, short what, void *arg) {
    struct sw_conf *c = arg;
    uint64_t expired = 0;
    if (read(c->tfd, &expired, sizeof expired) != sizeof expired ||
        expired == 0)
        return;
    /* More than one expiry: the loop missed frames; they are late. The
     * last CONF_CATCH_UP are mixed now, older ones skipped (the mixer
     * shows them as a timestamp gap). */
    c->st.late += expired - 1;
    uint64_t run = expired < CONF_CATCH_UP ? expired : CONF_CATCH_UP;
    c->frame += expired - run;
    for (uint64_t i = 0; i < run; i++) {
        c->frame++;
        run_tick(c, c->t0 + (double)c->frame * BH_MIXER_PTIME);
    }
}

static int
tick_start(struct sw_conf *c) {
    if (c->running)
        return 0;
    struct bh_switch *sw = c->sw;
    c->t0 = sw_now(sw);
    c->frame = 0;
    double first = sw->mono0 + c->t0 + BH_MIXER_PTIME;
    struct itimerspec its = {
        .it_interval = {0, 20000000},
        .it_value = {(time_t)first, (long)((first - floor(first)) * 1e9)}};
    if (timerfd_settime(c->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return BH_EIO;
    event_add(&c->ev, NULL);
    c->running = 1;
    return 0;
}

static void
tick_stop(struct sw_conf *c) {
    if (!c->running)
        return;
    struct itimerspec its = {{0, 0}, {0, 0}};
    timerfd_settime(c->tfd, 0, &its, NULL);
    event_del(&c->ev);
    c->running = 0;
}

/* ---- the context's conference state -------------------------------------- */

static void
conf_free(struct sw_conf *c) {
    if (!c)
        return;
    while (c->nrooms)
        sw_conf_room_free(c->rooms[c->nrooms - 1]);
    tick_stop(c);
    if (c->tfd >= 0)
        close(c->tfd);
    for (int t = 0; t <= BH_MIXER_MAX_TALKERS; t++)
        bh_mixer_free(c->mixers[t]);
    free(c->rooms);
    free(c->recs);
    free(c->socks);
    free(c->join);
    free(c->leave);
    free(c->lock);
    free(c->music);
    free(c);
}

static struct sw_conf *
conf_get(struct bh_switch *sw) {
    if (sw->conf)
        return sw->conf;
    struct sw_conf *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sw = sw;
    c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (c->tfd < 0 || conf_sounds(c) < 0) {
        conf_free(c);
        return NULL;
    }
    event_assign(&c->ev, sw->base, c->tfd, EV_READ | EV_PERSIST, on_tick, c);
    sw->conf = c;
    return c;
}

void
sw_conf_fini(struct bh_switch *sw) {
    conf_free(sw->conf);
    sw->conf = NULL;
}

void
sw_conf_stats(const struct bh_switch *sw, struct sw_conf_stats *st) {
    memset(st, 0, sizeof *st);
    const struct sw_conf *c = sw->conf;
    if (!c)
        return;
    *st = c->st;
    st->rooms = c->nrooms;
    st->participants = 0;
    for (size_t i = 0; i < c->nrooms; i++)
        st->participants += c->rooms[i]->n;
}

const struct sw_conf_recording *
sw_conf_recordings(const struct bh_switch *sw, size_t *n) {
    *n = sw->conf ? sw->conf->nrecs : 0;
    return sw->conf ? sw->conf->recs : NULL;
}

/* ---- rooms ----------------------------------------------------------------
 */

int
sw_conf_room_new(struct bh_switch *sw, int talkers, const char *record_path,
                 const char *label, struct sw_conf_room **out, char *err,
                 size_t errlen) {
    *out = NULL;
    struct sw_conf *c = conf_get(sw);
    if (!c)
        return BH_ENOMEM;
    if (talkers <= 0)
        talkers = 3;
    if (talkers > BH_MIXER_MAX_TALKERS)
        talkers = BH_MIXER_MAX_TALKERS;
    if (!c->mixers[talkers]) {
        struct bh_mixer_options o;
        bh_mixer_options_default(&o);
        o.talkers = talkers;
        int rc = bh_mixer_new(&o, &c->mixers[talkers]);
        if (rc < 0)
            return rc;
    }
    if (sw_grow(&c->rooms, &c->caprooms, c->nrooms + 1, sizeof *c->rooms) ||
        (record_path &&
         sw_grow(&c->recs, &c->caprecs, c->nrecs + 1, sizeof *c->recs)))
        return BH_ENOMEM;
    struct sw_conf_room *r = calloc(1, sizeof *r);
    if (!r)
        return BH_ENOMEM;
    r->conf = c;
    if (record_path) {
        int rc = bh_recording_open(record_path, &r->rec, err, errlen);
        if (rc < 0) {
            free(r);
            return rc;
        }
        struct sw_conf_recording *rc2 = &c->recs[c->nrecs];
        memset(rc2, 0, sizeof *rc2);
        snprintf(rc2->path, sizeof rc2->path, "%s", record_path);
        snprintf(rc2->label, sizeof rc2->label, "%s", label ? label : "");
        rc2->start = sw_now(sw);
        rc2->end = -1;
        r->rec_index = c->nrecs++;
        c->st.recordings++;
    }
    int rc = bh_mixer_room_new(c->mixers[talkers], r, r->rec != NULL, &r->mr);
    if (rc == 0)
        rc = tick_start(c);
    if (rc < 0) {
        bh_mixer_room_free(r->mr);
        if (r->rec) {
            bh_recording_close(r->rec);
            c->recs[r->rec_index].end = sw_now(sw);
        }
        free(r);
        return rc;
    }
    r->index = c->nrooms;
    c->rooms[c->nrooms++] = r;
    *out = r;
    return 0;
}

void
sw_conf_room_free(struct sw_conf_room *r) {
    if (!r)
        return;
    struct sw_conf *c = r->conf;
    while (r->n)
        sw_conf_leave(r->parts[r->n - 1]);
    bh_mixer_room_free(r->mr);
    if (r->rec) {
        struct sw_conf_recording *rc = &c->recs[r->rec_index];
        rc->samples = bh_recording_samples(r->rec);
        if (bh_recording_close(r->rec) < 0 && !rc->error) {
            rc->error = 1;
            c->st.record_errors++;
        }
        rc->end = sw_now(c->sw);
    }
    struct sw_conf_room *last = c->rooms[--c->nrooms];
    c->rooms[r->index] = last;
    last->index = r->index;
    free(r->parts);
    free(r);
    if (c->nrooms == 0)
        tick_stop(c);
}

size_t
sw_conf_room_size(const struct sw_conf_room *r) {
    return r->n;
}

void
sw_conf_room_call(struct sw_conf_room *r, const char *caller,
                  const char *number) {
    if (!r || !r->rec)
        return;
    struct sw_conf_recording *x = &r->conf->recs[r->rec_index];
    snprintf(x->caller, sizeof x->caller, "%s", caller);
    snprintf(x->number, sizeof x->number, "%s", number);
}

const char *
sw_conf_room_recording(const struct sw_conf_room *r) {
    return r->rec ? r->conf->recs[r->rec_index].path : "";
}

/* ---- participants ----------------------------------------------------------
 */

/* A leg's received audio into its jitter buffer. Packets that are not
 * 20 ms G.711 (comfort noise, events not collected) are dropped. */
static void
conf_sink(struct leg *from, uint8_t *pkt, size_t len,
          const struct bh_rtp_hdr *h, void *arg) {
    struct sw_conf_part *p = arg;
    (void)bh_mixer_put(p->mp, pkt, len, sw_now(from->call->sw));
}

int
sw_conf_join(struct sw_conf_room *r, struct leg *leg,
             struct sw_conf_part **out) {
    *out = NULL;
    if (sw_grow(&r->parts, &r->cap, r->n + 1, sizeof *r->parts))
        return BH_ENOMEM;
    struct sw_conf_part *p = calloc(1, sizeof *p);
    if (!p)
        return BH_ENOMEM;
    struct bh_mixer_join j = {.user = p,
                              .pt = leg->pt,
                              .ssrc = leg->ssrc,
                              .seq = leg->seq,
                              .ts = leg->ts};
    int rc = bh_mixer_join(r->mr, &j, &p->mp);
    if (rc < 0) {
        free(p);
        return rc;
    }
    p->room = r;
    p->leg = leg;
    p->index = r->n;
    r->parts[r->n++] = p;
    sw_play_stop(r->conf->sw, leg);
    sw_leg_attach(leg, conf_sink, p);
    sw_rtp_watch(r->conf->sw, leg, 0);
    *out = p;
    return 0;
}

void
sw_conf_leave(struct sw_conf_part *p) {
    if (!p)
        return;
    struct sw_conf_room *r = p->room;
    struct leg *leg = p->leg;
    if (leg->sink == conf_sink && leg->sink_arg == p)
        sw_leg_attach(leg, NULL, NULL);
    sw_rtp_watch(r->conf->sw, leg, 1);
    bh_mixer_leave(p->mp);
    struct sw_conf_part *last = r->parts[--r->n];
    r->parts[p->index] = last;
    last->index = p->index;
    free(p);
}

void
sw_conf_mute(struct sw_conf_part *p, bool muted) {
    bh_mixer_mute(p->mp, muted);
}

void
sw_conf_moh(struct sw_conf_part *p, bool on) {
    p->moh = on;
}

void
sw_conf_tone(struct sw_conf_room *r, enum sw_conf_tone t) {
    struct sw_conf *c = r->conf;
    const int16_t *pcm = t == SW_CONF_JOIN_TONE    ? c->join
                         : t == SW_CONF_LEAVE_TONE ? c->leave
                                                   : c->lock;
    size_t n = t == SW_CONF_JOIN_TONE    ? c->njoin
               : t == SW_CONF_LEAVE_TONE ? c->nleave
                                         : c->nlock;
    (void)bh_mixer_play_room(r->mr, pcm, n); /* BH_ETOOBIG: skipped */
}
