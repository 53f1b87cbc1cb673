/* mixer.c: the conference mixer: jitter buffers, G.711, loss concealment,
 * N-1 mixing summed in 32 bits and clipped once, RTP out (switch.h). */
#include "grow.h"
#include "proto.h"
#include "switch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Lost frames concealed in a row before the participant falls silent;
 * the k-th repeat of the last frame plays at gain (4 - k) / 4. */
#define CONCEAL_FRAMES 3

/* Samples queued to play, a ring of BH_MIXER_PLAY_MAX allocated on first
 * use (most participants never get one). */
struct playq {
    int16_t *buf;
    size_t head, len;
};

struct bh_mixer_part {
    struct bh_mixer_room *room;
    size_t index; /* in room->parts */
    void *user;
    uint8_t pt;  /* the listener's codec */
    uint8_t law; /* 0 PCMU, 1 PCMA */
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts0;
    int64_t k0, last_k; /* frame indexes of its first and last packet */
    bool started, muted, talking, mixed, have_last;
    int hang;       /* frames of hangover left */
    int lost_run;   /* lost frames concealed in a row */
    uint32_t level; /* smoothed energy, for choosing the loudest */
    struct playq play;
    int16_t pcm[BH_MIXER_FRAME]; /* this frame, decoded when talking */
    uint8_t enc[BH_MIXER_FRAME]; /* its own encoded mix */
    struct bh_jitter jb;         /* last: 32 KB */
};

struct bh_mixer_room {
    struct bh_mixer *m;
    size_t index; /* in m->rooms */
    void *user;
    bool record;
    struct bh_mixer_part **parts; /* owned array of owned participants */
    size_t n, cap;
    struct playq play;
    int16_t mix[BH_MIXER_FRAME]; /* the whole mix, clipped */
    uint8_t shared[2][BH_MIXER_FRAME];
};

struct bh_mixer {
    struct bh_mixer_options o;
    struct bh_mixer_room **rooms; /* owned */
    size_t nrooms, caprooms;
    size_t nparts;
    struct bh_mixer_packet *pkts; /* capacity nparts at least */
    size_t cappkts;
    struct bh_mixer_record *recs; /* capacity nrooms at least */
    size_t caprecs;
    struct bh_mixer_part **talk; /* scratch: the talkers of one room */
    size_t captalk;
    uint16_t mag[2][256];               /* |decoded sample| by law and code */
    uint8_t silence[2][BH_MIXER_FRAME]; /* encoded silence by law */
    bool ticked;
    int64_t last_k;
    struct bh_mixer_stats st;
};

void
bh_mixer_options_default(struct bh_mixer_options *o) {
    o->talkers = 3;
    o->silence = 64;
    o->hangover = 10;
    o->jitter_min = 2;
    o->jitter_max = 10;
}

static int
law_of(uint8_t pt) {
    if (pt == BH_RTP_PT_PCMU)
        return 0;
    if (pt == BH_RTP_PT_PCMA)
        return 1;
    return -1;
}

int
bh_mixer_new(const struct bh_mixer_options *o, struct bh_mixer **out) {
    *out = NULL;
    struct bh_mixer_options d;
    bh_mixer_options_default(&d);
    if (!o)
        o = &d;
    if (o->talkers < 1 || o->talkers > BH_MIXER_MAX_TALKERS || o->silence < 0 ||
        o->hangover < 0 || o->jitter_min < 1 || o->jitter_min > o->jitter_max ||
        o->jitter_max > BH_JITTER_SLOTS / 2)
        return BH_EINVAL;
    struct bh_mixer *m = calloc(1, sizeof *m);
    if (!m)
        return BH_ENOMEM;
    m->o = *o;
    for (int c = 0; c < 256; c++) {
        m->mag[0][c] = (uint16_t)abs(bh_g711_ulaw_decode((uint8_t)c));
        m->mag[1][c] = (uint16_t)abs(bh_g711_alaw_decode((uint8_t)c));
    }
    int16_t zero[BH_MIXER_FRAME] = {0};
    bh_g711_encode(BH_RTP_PT_PCMU, zero, m->silence[0], BH_MIXER_FRAME);
    bh_g711_encode(BH_RTP_PT_PCMA, zero, m->silence[1], BH_MIXER_FRAME);
    *out = m;
    return 0;
}

static void
part_free(struct bh_mixer_part *p) {
    free(p->play.buf);
    free(p);
}

void
bh_mixer_free(struct bh_mixer *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->nrooms; i++) {
        struct bh_mixer_room *r = m->rooms[i];
        for (size_t j = 0; j < r->n; j++)
            part_free(r->parts[j]);
        free(r->parts);
        free(r->play.buf);
        free(r);
    }
    free(m->rooms);
    free(m->pkts);
    free(m->recs);
    free(m->talk);
    free(m);
}

/* ---- rooms and participants --------------------------------------------- */

int
bh_mixer_room_new(struct bh_mixer *m, void *user, bool record,
                  struct bh_mixer_room **out) {
    *out = NULL;
    if (sw_grow(&m->rooms, &m->caprooms, m->nrooms + 1, sizeof *m->rooms) ||
        sw_grow(&m->recs, &m->caprecs, m->nrooms + 1, sizeof *m->recs))
        return BH_ENOMEM;
    struct bh_mixer_room *r = calloc(1, sizeof *r);
    if (!r)
        return BH_ENOMEM;
    r->m = m;
    r->user = user;
    r->record = record;
    r->index = m->nrooms;
    m->rooms[m->nrooms++] = r;
    *out = r;
    return 0;
}

int
bh_mixer_room_free(struct bh_mixer_room *r) {
    if (!r)
        return 0;
    if (r->n > 0)
        return BH_ESTATE;
    struct bh_mixer *m = r->m;
    struct bh_mixer_room *last = m->rooms[--m->nrooms];
    m->rooms[r->index] = last;
    last->index = r->index;
    free(r->parts);
    free(r->play.buf);
    free(r);
    return 0;
}

size_t
bh_mixer_room_size(const struct bh_mixer_room *r) {
    return r->n;
}

int
bh_mixer_join(struct bh_mixer_room *r, const struct bh_mixer_join *j,
              struct bh_mixer_part **out) {
    *out = NULL;
    struct bh_mixer *m = r->m;
    int law = law_of(j->pt);
    if (law < 0)
        return BH_EINVAL;
    if (sw_grow(&r->parts, &r->cap, r->n + 1, sizeof *r->parts) ||
        sw_grow(&m->pkts, &m->cappkts, m->nparts + 1, sizeof *m->pkts) ||
        sw_grow(&m->talk, &m->captalk, r->n + 1, sizeof *m->talk))
        return BH_ENOMEM;
    struct bh_mixer_part *p = malloc(sizeof *p);
    if (!p)
        return BH_ENOMEM;
    /* Everything but the jitter buffer's frames, which it never reads
     * before writing. */
    memset(p, 0, offsetof(struct bh_mixer_part, jb));
    if (bh_jitter_init(&p->jb, BH_MIXER_FRAME, (uint32_t)m->o.jitter_min,
                       (uint32_t)m->o.jitter_max)) {
        free(p);
        return BH_EINVAL;
    }
    p->room = r;
    p->index = r->n;
    p->user = j->user;
    p->pt = j->pt;
    p->law = (uint8_t)law;
    p->ssrc = j->ssrc;
    p->seq = j->seq;
    p->ts0 = j->ts;
    r->parts[r->n++] = p;
    m->nparts++;
    *out = p;
    return 0;
}

void
bh_mixer_leave(struct bh_mixer_part *p) {
    if (!p)
        return;
    struct bh_mixer_room *r = p->room;
    struct bh_mixer_part *last = r->parts[--r->n];
    r->parts[p->index] = last;
    last->index = p->index;
    r->m->nparts--;
    part_free(p);
}

_Static_assert(BH_MIXER_HEADER == BH_RTP_HEADER_LEN, "RTP header size");

int
bh_mixer_put(struct bh_mixer_part *p, const uint8_t *pkt, size_t len,
             double now) {
    struct bh_rtp_hdr h;
    if (bh_rtp_parse(pkt, len, &h))
        return BH_EPARSE;
    if (law_of(h.pt) < 0 || h.payload_len != BH_MIXER_FRAME)
        return BH_EINVAL;
    uint32_t arrival = (uint32_t)(int64_t)llround(now * BH_MIXER_RATE);
    return bh_jitter_put(&p->jb, &h, arrival);
}

void
bh_mixer_mute(struct bh_mixer_part *p, bool muted) {
    p->muted = muted;
}

bool
bh_mixer_muted(const struct bh_mixer_part *p) {
    return p->muted;
}

bool
bh_mixer_talking(const struct bh_mixer_part *p) {
    return p->talking;
}

bool
bh_mixer_mixed(const struct bh_mixer_part *p) {
    return p->mixed;
}

void
bh_mixer_part_stats(const struct bh_mixer_part *p,
                    struct bh_mixer_part_stats *st) {
    const struct bh_jitter_stats *j = &p->jb.stats;
    *st = (struct bh_mixer_part_stats){j->pushed, j->played,    j->lost,
                                       j->late,   j->duplicate, j->reordered};
}

/* ---- audio to play ------------------------------------------------------ */

static int
playq_push(struct playq *q, const int16_t *pcm, size_t n) {
    if (n > BH_MIXER_PLAY_MAX - q->len)
        return BH_ETOOBIG;
    if (!q->buf && !(q->buf = malloc(BH_MIXER_PLAY_MAX * sizeof *q->buf)))
        return BH_ENOMEM;
    for (size_t i = 0; i < n; i++)
        q->buf[(q->head + q->len + i) % BH_MIXER_PLAY_MAX] = pcm[i];
    q->len += n;
    return 0;
}

/* Adds the next frame of queued samples into sum; 1 if there were any. */
static int
playq_add(struct playq *q, int32_t *sum) {
    if (q->len == 0)
        return 0;
    size_t n = q->len < BH_MIXER_FRAME ? q->len : BH_MIXER_FRAME;
    for (size_t i = 0; i < n; i++)
        sum[i] += q->buf[(q->head + i) % BH_MIXER_PLAY_MAX];
    q->head = (q->head + n) % BH_MIXER_PLAY_MAX;
    q->len -= n;
    return 1;
}

int
bh_mixer_play_room(struct bh_mixer_room *r, const int16_t *pcm, size_t n) {
    return playq_push(&r->play, pcm, n);
}

int
bh_mixer_play(struct bh_mixer_part *p, const int16_t *pcm, size_t n) {
    return playq_push(&p->play, pcm, n);
}

size_t
bh_mixer_play_room_pending(const struct bh_mixer_room *r) {
    return r->play.len;
}

size_t
bh_mixer_play_pending(const struct bh_mixer_part *p) {
    return p->play.len;
}

/* ---- one frame in ------------------------------------------------------- */

/* Pulls p's next frame: decoded into p->pcm when it talks, concealed when
 * lost, judged silent from its codes without decoding otherwise. Sets
 * p->talking. */
static void
pull(struct bh_mixer *m, struct bh_mixer_part *p) {
    struct bh_jitter_frame f;
    enum bh_jitter_result res = bh_jitter_get(&p->jb, &f);
    uint32_t energy = 0;
    bool talk = false;
    p->mixed = false;
    if (res == BH_JITTER_FRAME) {
        m->st.frames++;
        int law = law_of(f.pt);
        uint32_t sum = 0;
        for (size_t i = 0; i < BH_MIXER_FRAME; i++)
            sum += m->mag[law][f.data[i]];
        energy = sum / BH_MIXER_FRAME;
        if (p->muted) {
            p->hang = 0;
        } else if (energy >= (uint32_t)m->o.silence) {
            p->hang = m->o.hangover;
            talk = true;
        } else if (p->hang > 0) {
            p->hang--;
            talk = true;
        }
        if (talk) {
            bh_g711_decode(f.pt, f.data, p->pcm, BH_MIXER_FRAME);
            p->lost_run = 0;
        } else {
            m->st.silent++;
        }
        p->have_last = talk;
    } else if (res == BH_JITTER_LOST && p->have_last && !p->muted &&
               p->lost_run < CONCEAL_FRAMES) {
        /* Repeat the last frame, fading: gains 3/4, 1/2, 1/4 of it. */
        int k = ++p->lost_run;
        int num = 4 - k, den = 5 - k;
        for (size_t i = 0; i < BH_MIXER_FRAME; i++)
            p->pcm[i] = (int16_t)(p->pcm[i] * num / den);
        m->st.concealed++;
        talk = true;
    } else {
        p->have_last = false;
    }
    p->level = (3 * p->level + energy) / 4;
    p->talking = talk;
}

/* Moves the k loudest of t[0..n) to its front (a partial selection sort:
 * k is at most BH_MIXER_MAX_TALKERS). */
static void
loudest(struct bh_mixer_part **t, size_t n, size_t k) {
    for (size_t i = 0; i < k; i++) {
        size_t best = i;
        for (size_t j = i + 1; j < n; j++)
            if (t[j]->level > t[best]->level)
                best = j;
        struct bh_mixer_part *x = t[i];
        t[i] = t[best];
        t[best] = x;
    }
}

/* ---- one frame out ------------------------------------------------------ */

static inline int16_t
clip(int32_t v) {
    return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
}

/* RTP header for p's next packet at frame index k (RFC 3550 5.1). */
static void
header(struct bh_mixer_part *p, int64_t k, uint8_t *head) {
    bool first = !p->started;
    if (first) {
        p->started = true;
        p->k0 = k;
    } else if (k <= p->last_k) {
        k = p->last_k + 1; /* never repeat a timestamp */
    }
    p->last_k = k;
    struct bh_rtp_hdr h = {.version = 2,
                           .marker = first,
                           .pt = p->pt,
                           .seq = p->seq++,
                           .ts = p->ts0 +
                                 (uint32_t)((k - p->k0) * BH_MIXER_FRAME),
                           .ssrc = p->ssrc};
    bh_rtp_build(head, BH_RTP_HEADER_LEN, &h, NULL, 0);
}

/* p's own mix: the 32-bit sum less its own frame when it is mixed, plus
 * what plays to it alone, clipped once; encoded into p->enc. */
static void
own_mix(struct bh_mixer *m, struct bh_mixer_part *p, const int32_t *sum) {
    int16_t own[BH_MIXER_FRAME];
    if (p->play.len == 0) { /* the common case: one pass */
        for (size_t s = 0; s < BH_MIXER_FRAME; s++)
            own[s] = clip(sum[s] - p->pcm[s]);
    } else {
        int32_t add[BH_MIXER_FRAME] = {0};
        playq_add(&p->play, add);
        if (p->mixed)
            for (size_t s = 0; s < BH_MIXER_FRAME; s++)
                add[s] -= p->pcm[s];
        for (size_t s = 0; s < BH_MIXER_FRAME; s++)
            own[s] = clip(sum[s] + add[s]);
    }
    bh_g711_encode(p->pt, own, p->enc, BH_MIXER_FRAME);
    m->st.encodes++;
}

/* Mixes room r's frame and appends its packets (and record) to the
 * mixer's output arrays. */
static void
mix_room(struct bh_mixer *m, struct bh_mixer_room *r, int64_t k, size_t *npk,
         size_t *nrec) {
    size_t nt = 0;
    for (size_t i = 0; i < r->n; i++) {
        struct bh_mixer_part *p = r->parts[i];
        pull(m, p);
        if (p->talking)
            m->talk[nt++] = p;
    }
    size_t nmix = nt;
    size_t kmax = (size_t)m->o.talkers;
    if (r->n > kmax + 1 && nt > kmax) {
        loudest(m->talk, nt, kmax);
        nmix = kmax;
    }
    int32_t sum[BH_MIXER_FRAME] = {0};
    bool audio = playq_add(&r->play, sum) || nmix > 0;
    for (size_t t = 0; t < nmix; t++) {
        struct bh_mixer_part *p = m->talk[t];
        p->mixed = true;
        for (size_t i = 0; i < BH_MIXER_FRAME; i++)
            sum[i] += p->pcm[i];
    }
    m->st.mixed += nmix;
    for (size_t i = 0; i < BH_MIXER_FRAME; i++)
        r->mix[i] = clip(sum[i]);
    if (r->record)
        m->recs[(*nrec)++] = (struct bh_mixer_record){r->user, r->mix};
    bool encoded[2] = {false, false};
    for (size_t i = 0; i < r->n; i++) {
        struct bh_mixer_part *p = r->parts[i];
        struct bh_mixer_packet *pk = &m->pkts[(*npk)++];
        pk->user = p->user;
        pk->len = BH_MIXER_FRAME;
        header(p, k, pk->head);
        if (p->mixed || p->play.len > 0) {
            own_mix(m, p, sum);
            pk->payload = p->enc;
        } else if (!audio) {
            pk->payload = m->silence[p->law];
            m->st.shared++;
        } else {
            if (!encoded[p->law]) {
                bh_g711_encode(p->pt, r->mix, r->shared[p->law],
                               BH_MIXER_FRAME);
                encoded[p->law] = true;
                m->st.encodes++;
            } else {
                m->st.shared++;
            }
            pk->payload = r->shared[p->law];
        }
    }
}

int
bh_mixer_tick(struct bh_mixer *m, double now, struct bh_mixer_output *out) {
    int64_t k = llround(now / BH_MIXER_PTIME);
    if (m->ticked && k > m->last_k + 1)
        m->st.skipped += (uint64_t)(k - m->last_k - 1);
    m->ticked = true;
    m->last_k = k;
    m->st.ticks++;
    size_t npk = 0, nrec = 0;
    for (size_t i = 0; i < m->nrooms; i++)
        mix_room(m, m->rooms[i], k, &npk, &nrec);
    m->st.packets += npk;
    out->packets = m->pkts;
    out->npackets = npk;
    out->records = m->recs;
    out->nrecords = nrec;
    return 0;
}

void
bh_mixer_stats(const struct bh_mixer *m, struct bh_mixer_stats *st) {
    *st = m->st;
}

size_t
bh_mixer_participants(const struct bh_mixer *m) {
    return m->nparts;
}
