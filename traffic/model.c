/* model.c: the clock-free traffic model: per-source arrival processes
 * (calls, meetings, campaigns), caller classes, retrials and finite
 * sources, yielding arrivals in time order. */
#include "traffic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct source {
    const struct bh_sc_source *sc;
    gsl_rng *rng;         /* arrivals and their attributes */
    gsl_rng *retry_rng;   /* retrial decisions and delays */
    double next;          /* next arrival, or next meeting generation */
    double meeting_start; /* MEETINGS: start of the next meeting */
    double lookahead;     /* MEETINGS: earliest join before the start, s */
    double *class_cdf;    /* owned, nclasses cumulative shares */
    /* calls to a number with ivr options: their cumulative shares, else
     * NULL (no draw) */
    const struct bh_sc_ivr *options;
    const struct bh_profile *profile; /* the arrival profile (borrowed) */
    /* arrivals per s of a constant profile with infinite sources (the
     * common case, drawn without bh_profile_invert), else 0 */
    double const_rate;
    int meetings; /* kind is BH_SOURCE_MEETINGS */
    /* MEETINGS on a schedule (else NULL): the slot of the next meeting
     * and the meetings still to start at it after that one */
    const struct bh_sc_schedule *schedule;
    double slot;
    int slot_left;
    int idle;    /* finite sources: callers idle now */
    double last; /* time next was drawn from */
    /* a first attempt's fields before any draw, filled at setup: copied
     * in one go instead of a memset and seven stores (22 instructions
     * fewer per arrival, callgrind, bench/sim) */
    struct bh_arrival blank;
    /* holding times are exponential without bounds, of this mean (s),
     * else 0: drawn straight from bh_traffic_exp1, the very arithmetic
     * of bh_traffic_sample for them (12 instructions fewer per call,
     * callgrind, bench/sim) */
    double exp_holding;
    /* first attempts made so far: calls (and campaign attempts) taken,
     * meeting participants generated; their indexes deal them to
     * segments */
    uint64_t calls, joins;
};

struct bh_traffic {
    const struct bh_scenario *sc;
    double limit_seen; /* largest limit asked so far */
    size_t nsources;
    struct source *src;
    /* pending arrivals (retrials, meeting participants): a binary heap
     * ordered by time, then by sequence number for a stable order */
    struct pending {
        double t;
        uint64_t seq;
        struct bh_arrival a;
    } * heap;
    size_t nheap, capheap;
    uint64_t seq;
    uint64_t meetings; /* meeting ids handed out */
    /* the head found by the last settle(), valid until the state changes */
    int cached;
    double cache_limit, cache_t;
    size_t cache_which;
    int cache_pending;
    /* the segment this model yields (1-based index of count); count 0 or
     * 1: the whole stream. seg_seed keys the deal (the scenario seed). */
    uint32_t seg_index, seg_count;
    uint64_t seg_seed;
};

/* Whether first attempt k of source i (kind 0 a call or campaign
 * attempt, 1 a meeting participant) belongs to this model's segment. A
 * finite source goes whole to segment (i mod count) + 1: its arrivals
 * depend on when its own callers' attempts end, which only the driver
 * that makes them hears. Every other first attempt is dealt by a hash of
 * (seed, source, kind, k): independent thinning, so each segment is
 * itself a Poisson process at 1/count of the rate, and the deal does not
 * depend on what any switch answered. */
static int
owns(const struct bh_traffic *tm, size_t i, uint32_t kind, uint64_t k) {
    if (tm->seg_count <= 1)
        return 1;
    uint32_t want = tm->seg_index - 1;
    if (tm->src[i].sc->sources > 0)
        return (uint32_t)(i % tm->seg_count) == want;
    uint64_t h = bh_traffic_stream_seed(tm->seg_seed ^ k, (uint32_t)i, kind);
    return (uint32_t)(h % tm->seg_count) == want;
}

static int
heap_push(struct bh_traffic *tm, const struct bh_arrival *a) {
    if (tm->nheap == tm->capheap) {
        size_t cap = tm->capheap ? tm->capheap * 2 : 64;
        struct pending *h = realloc(tm->heap, cap * sizeof *h);
        if (!h)
            return BH_ENOMEM;
        tm->heap = h;
        tm->capheap = cap;
    }
    tm->cached = 0;
    struct pending e = {a->t, tm->seq++, *a};
    size_t i = tm->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (tm->heap[p].t < e.t ||
            (tm->heap[p].t == e.t && tm->heap[p].seq < e.seq))
            break;
        tm->heap[i] = tm->heap[p];
        i = p;
    }
    tm->heap[i] = e;
    return 0;
}

static int
before(const struct pending *a, const struct pending *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
heap_pop(struct bh_traffic *tm, struct bh_arrival *out) {
    tm->cached = 0;
    *out = tm->heap[0].a;
    struct pending last = tm->heap[--tm->nheap];
    size_t i = 0, n = tm->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&tm->heap[c + 1], &tm->heap[c]))
            c++;
        if (!before(&tm->heap[c], &last))
            break;
        tm->heap[i] = tm->heap[c];
        i = c;
    }
    if (n)
        tm->heap[i] = last;
}

/* Rate multiplier: 1, or idle/K for a finite population. */
static double
multiplier(const struct source *s) {
    if (s->sc->sources > 0)
        return (double)s->idle / (double)s->sc->sources;
    return 1;
}

/* Draws the next event of an arrival process from t0 on. */
static void
draw_next(struct bh_traffic *tm, struct source *s, double t0) {
    tm->cached = 0;
    double w = bh_traffic_exp1(s->rng), t;
    if (s->const_rate > 0) {
        /* bh_profile_invert's first case, inline: the same arithmetic
         * (mult is 1), so the same times; 40 instructions fewer per
         * arrival (callgrind, bench/sim) */
        t = t0 + w / s->const_rate;
    } else {
        double lim = INFINITY; /* the walk is bounded by itself */
        t = bh_profile_invert(s->profile, tm->sc->start, multiplier(s), t0, w,
                              lim);
    }
    s->last = t0;
    if (s->meetings) {
        s->meeting_start = t;
        s->next = t - s->lookahead;
    } else {
        s->next = t;
    }
}

/* The next meeting of a schedule: the slot's next room, or the first
 * room of the next slot. No random draw. */
static void
next_scheduled(struct bh_traffic *tm, struct source *s) {
    tm->cached = 0;
    if (s->slot_left > 0) {
        s->slot_left--;
    } else {
        s->slot = bh_schedule_next(s->schedule, tm->sc->start, s->slot);
        s->slot_left = s->schedule->rooms - 1;
    }
    s->meeting_start = s->slot;
    s->next = s->slot - s->lookahead;
}

/* The next meeting generation of a meetings source after the one at
 * s->meeting_start: scheduled, or the Poisson process's next. */
static void
next_meeting(struct bh_traffic *tm, struct source *s) {
    if (s->schedule)
        next_scheduled(tm, s);
    else
        draw_next(tm, s, s->meeting_start);
}

static int
pick_class(struct source *s) {
    size_t n = s->sc->nclasses;
    if (n <= 1)
        return 0;
    double u = gsl_rng_uniform(s->rng) * s->class_cdf[n - 1];
    for (size_t i = 0; i < n; i++)
        if (u < s->class_cdf[i])
            return (int)i;
    return (int)n - 1;
}

static inline void
fill_caller(struct source *s, struct bh_arrival *a) {
    const struct bh_sc_source *sc = s->sc;
    *a = s->blank;
    if (sc->nclasses > 0) {
        int c = pick_class(s);
        const struct bh_sc_class *cl = &sc->classes[c];
        a->caller_class = (uint16_t)c;
        a->origin = (uint16_t)(cl->origin > 0 ? cl->origin : 0);
        a->plan = (int16_t)cl->plan;
        if (cl->subscribers > 0)
            a->subscriber = (uint32_t)gsl_rng_uniform_int(
                s->rng, (unsigned long)cl->subscribers);
    }
}

/* Generates the meeting starting at s->meeting_start: its participants
 * go to the pending heap. */
static int
generate_meeting(struct bh_traffic *tm, struct source *s) {
    const struct bh_sc_meetings *m = &s->sc->meetings;
    double start = s->meeting_start;
    double n = floor(bh_traffic_sample(&m->participants, s->rng) + 0.5);
    if (n < 0)
        n = 0;
    if (n > 100000)
        n = 100000;
    double dur = bh_traffic_sample(&m->duration, s->rng);
    if (dur < 0)
        dur = 0;
    uint64_t id = ++tm->meetings;
    for (uint32_t j = 0; j < (uint32_t)n; j++) {
        struct bh_arrival a;
        fill_caller(s, &a);
        double spread = bh_traffic_sample(&m->join_spread, s->rng);
        if (spread < -s->lookahead)
            spread = -s->lookahead;
        a.t = start + spread;
        if (a.t < 0)
            a.t = 0;
        a.meeting = id;
        a.meeting_size = (uint32_t)n;
        a.meeting_start = start;
        a.meeting_end = start + dur;
        a.passcode = m->passcode_entry > 0 ? m->passcode_entry : 0;
        a.holding = a.meeting_end - (a.t + a.passcode);
        if (a.holding < 0)
            a.holding = 0;
        if (s->sc->has_patience)
            a.patience = bh_traffic_sample(&s->sc->patience, s->rng);
        /* drawn whatever the segment, so every segment draws alike */
        if (!owns(tm, (size_t)(s - tm->src), 1, s->joins++))
            continue;
        int rc = heap_push(tm, &a);
        if (rc)
            return rc;
    }
    return 0;
}

/* The option a caller to a number with a voice menu chooses. */
static uint8_t
pick_option(struct source *s) {
    const struct bh_sc_ivr *v = s->options;
    double u = gsl_rng_uniform(s->rng), acc = 0;
    for (size_t i = 0; i + 1 < v->noptions; i++) {
        acc += v->options[i].share;
        if (u < acc)
            return (uint8_t)i;
    }
    return (uint8_t)(v->noptions - 1);
}

static void
make_call(struct source *s, struct bh_arrival *a) {
    const struct bh_sc_source *sc = s->sc;
    fill_caller(s, a);
    a->t = s->next;
    if (s->options)
        a->option = pick_option(s);
    if (s->exp_holding > 0)
        a->holding = s->exp_holding * bh_traffic_exp1(s->rng);
    else
        a->holding = bh_traffic_sample(&sc->holding, s->rng);
    if (sc->has_patience)
        a->patience = bh_traffic_sample(&sc->patience, s->rng);
    if (sc->kind == BH_SOURCE_CAMPAIGN) {
        const struct bh_sc_campaign *c = &sc->campaign;
        a->outbound = 1;
        a->patience = INFINITY;
        a->ring = bh_traffic_sample(&c->ring, s->rng);
        if (a->ring < 0)
            a->ring = 0;
        a->answers = gsl_rng_uniform(s->rng) < c->answer_probability;
        if (c->destinations.n > 0) {
            double tot = 0;
            for (size_t i = 0; i < c->destinations.n; i++)
                tot += c->destinations.share[i];
            double u = gsl_rng_uniform(s->rng) * tot, acc = 0;
            size_t k = c->destinations.n - 1;
            for (size_t i = 0; i < c->destinations.n; i++) {
                acc += c->destinations.share[i];
                if (u < acc) {
                    k = i;
                    break;
                }
            }
            a->origin = (uint16_t)(c->destinations.origin[k] > 0
                                       ? c->destinations.origin[k]
                                       : 0);
        }
    }
}

int
bh_traffic_new(const struct bh_scenario *sc, uint64_t seed,
               uint32_t replication, struct bh_traffic **out) {
    *out = NULL;
    if (!sc || sc->nsources > BH_SC_MAX_ITEMS)
        return BH_EINVAL;
    struct bh_traffic *tm = calloc(1, sizeof *tm);
    if (!tm)
        return BH_ENOMEM;
    tm->sc = sc;
    tm->seg_seed = seed;
    tm->nsources = sc->nsources;
    tm->src = calloc(sc->nsources ? sc->nsources : 1, sizeof *tm->src);
    if (!tm->src) {
        bh_traffic_free(tm);
        return BH_ENOMEM;
    }
    for (size_t i = 0; i < sc->nsources; i++) {
        struct source *s = &tm->src[i];
        s->sc = &sc->sources[i];
        s->rng = bh_traffic_stream(seed, replication, (uint32_t)(2 * i + 1));
        s->retry_rng =
            bh_traffic_stream(seed, replication, (uint32_t)(2 * i + 2));
        s->class_cdf =
            calloc(s->sc->nclasses ? s->sc->nclasses : 1, sizeof *s->class_cdf);
        if (!s->rng || !s->retry_rng || !s->class_cdf) {
            bh_traffic_free(tm);
            return BH_ENOMEM;
        }
        double acc = 0;
        for (size_t c = 0; c < s->sc->nclasses; c++) {
            acc += s->sc->classes[c].share > 0 ? s->sc->classes[c].share : 0;
            s->class_cdf[c] = acc;
        }
        if (s->sc->nclasses > 1 && !(acc > 0)) {
            bh_traffic_free(tm);
            return BH_EINVAL;
        }
        s->idle = s->sc->sources;
        const struct bh_dist *h = &s->sc->holding;
        if (h->kind == BH_DIST_EXPONENTIAL && !h->has_min && !h->has_max &&
            h->mean > 0)
            s->exp_holding = h->mean;
        struct bh_arrival *b = &s->blank;
        memset(b, 0, sizeof *b);
        b->source = (uint16_t)i;
        b->kind = (uint8_t)s->sc->kind;
        b->target_kind = (uint8_t)s->sc->target_kind;
        b->target = (uint16_t)s->sc->target;
        b->attempt = 1;
        b->patience = INFINITY;
        b->plan = -1;
        s->profile = bh_source_profile(s->sc);
        if (s->sc->kind == BH_SOURCE_CALLS &&
            s->sc->target_kind == BH_TARGET_NUMBER && s->sc->target >= 0 &&
            (size_t)s->sc->target < sc->sw.nnumbers &&
            sc->sw.numbers[s->sc->target].ivr.noptions > 0)
            s->options = &sc->sw.numbers[s->sc->target].ivr;
        s->meetings = s->sc->kind == BH_SOURCE_MEETINGS;
        if (s->profile->n == 1 && s->sc->sources <= 0 &&
            s->profile->rate[0] > 0)
            s->const_rate = s->profile->rate[0] / 3600.0;
        if (s->sc->kind == BH_SOURCE_MEETINGS) {
            double lo = bh_traffic_dist_lower(&s->sc->meetings.join_spread);
            s->lookahead = lo < 0 ? -lo : 0;
            if (s->sc->meetings.schedule.present) {
                s->schedule = &s->sc->meetings.schedule;
                s->slot = -INFINITY; /* the first slot at or after 0 */
            }
        }
        if (s->schedule)
            next_scheduled(tm, s);
        else
            draw_next(tm, s, 0);
    }
    *out = tm;
    return 0;
}

void
bh_traffic_free(struct bh_traffic *tm) {
    if (!tm)
        return;
    for (size_t i = 0; tm->src && i < tm->nsources; i++) {
        gsl_rng_free(tm->src[i].rng);
        gsl_rng_free(tm->src[i].retry_rng);
        free(tm->src[i].class_cdf);
    }
    free(tm->src);
    free(tm->heap);
    free(tm);
}

/* Index of the source with the earliest next event (ties: lowest). */
static size_t
earliest(const struct bh_traffic *tm) {
    size_t best = 0;
    for (size_t i = 1; i < tm->nsources; i++)
        if (tm->src[i].next < tm->src[best].next)
            best = i;
    return best;
}

/* The walk's answer t, cached until the state changes. */
static inline double
settled(struct bh_traffic *tm, double limit, double t) {
    tm->cached = 1;
    tm->cache_limit = limit;
    tm->cache_t = t;
    return t;
}

/* The walk when meetings are due: each generation puts a meeting's
 * participants in the pending heap, then the walk starts again. */
static double __attribute__((noinline))
settle_meetings(struct bh_traffic *tm, double limit) {
    for (;;) {
        double tp = tm->nheap ? tm->heap[0].t : INFINITY;
        size_t i = tm->nsources ? earliest(tm) : 0;
        double ts = tm->nsources ? tm->src[i].next : INFINITY;
        if (tp <= ts) {
            tm->cache_pending = 1;
            return settled(tm, limit, tp < limit ? tp : INFINITY);
        }
        if (!(ts < limit)) {
            tm->cache_pending = 0;
            return settled(tm, limit, INFINITY);
        }
        struct source *s = &tm->src[i];
        if (!s->meetings) {
            tm->cache_which = i;
            tm->cache_pending = 0;
            return settled(tm, limit, ts);
        }
        /* a generation: every meeting strictly later than the last, so
         * the loop ends at the limit */
        if (generate_meeting(tm, s))
            return settled(tm, limit, INFINITY);
        next_meeting(tm, s);
    }
}

/* Brings the model to a state where its head is a real arrival: meeting
 * generations due before the next pending arrival are carried out.
 * Returns the head's time (INFINITY when none before limit) and leaves
 * in tm->cache_pending whether the head is a pending arrival, else in
 * tm->cache_which its source. Written there, and cached by each return,
 * rather than through pointers to the caller's variables and cached
 * after the walk, which needed a stack frame (10 instructions fewer per
 * call, callgrind, bench/sim). The first step of the walk is inline;
 * meetings go to settle_meetings (the split saves 25 instructions per
 * arrival). */
static inline double
settle(struct bh_traffic *tm, double limit) {
    if (tm->cached && tm->cache_limit == limit)
        return tm->cache_t;
    double tp = tm->nheap ? tm->heap[0].t : INFINITY;
    size_t i = tm->nsources ? earliest(tm) : 0;
    double ts = tm->nsources ? tm->src[i].next : INFINITY;
    if (tp <= ts) {
        tm->cache_pending = 1;
        return settled(tm, limit, tp < limit ? tp : INFINITY);
    }
    if (!(ts < limit)) {
        tm->cache_pending = 0;
        return settled(tm, limit, INFINITY);
    }
    if (!tm->src[i].meetings) {
        tm->cache_which = i;
        tm->cache_pending = 0;
        return settled(tm, limit, ts);
    }
    return settle_meetings(tm, limit);
}

/* Takes source i's next call (the head settle() found) into *out. */
static inline void
take_call(struct bh_traffic *tm, size_t i, struct bh_arrival *out) {
    struct source *s = &tm->src[i];
    make_call(s, out);
    s->calls++;
    if (s->sc->sources > 0 && s->idle > 0)
        s->idle--;
    draw_next(tm, s, out->t);
}

/* settle() for a model yielding one segment: calls of other segments
 * are taken (their draws made, so the stream stays the same) and
 * dropped until the head is this segment's. Meeting participants of
 * other segments never reach the heap, and retrials only come from
 * attempts this segment made. */
static double __attribute__((noinline))
settle_segment(struct bh_traffic *tm, double limit) {
    for (;;) {
        double t = settle(tm, limit);
        if (!(t < limit) || tm->cache_pending)
            return t;
        size_t i = tm->cache_which;
        if (owns(tm, i, 0, tm->src[i].calls))
            return t;
        struct bh_arrival drop;
        take_call(tm, i, &drop);
    }
}

double
bh_traffic_peek(struct bh_traffic *tm, double limit) {
    if (tm->seg_count > 1)
        return settle_segment(tm, limit);
    return settle(tm, limit);
}

int
bh_traffic_next(struct bh_traffic *tm, double limit, struct bh_arrival *out) {
    double t =
        tm->seg_count > 1 ? settle_segment(tm, limit) : settle(tm, limit);
    if (!(t < limit))
        return 0;
    if (tm->cache_pending)
        heap_pop(tm, out);
    else
        take_call(tm, tm->cache_which, out);
    return 1;
}

int
bh_traffic_segment(struct bh_traffic *tm, uint32_t index, uint32_t count) {
    if (count < 1 || count > BH_TRAFFIC_MAX_SEGMENTS || index < 1 ||
        index > count)
        return BH_EINVAL;
    /* only before the first arrival: the deal counts from the start */
    if (tm->meetings || tm->nheap)
        return BH_EINVAL;
    for (size_t i = 0; i < tm->nsources; i++)
        if (tm->src[i].calls || tm->src[i].joins)
            return BH_EINVAL;
    tm->cached = 0;
    tm->seg_index = index;
    tm->seg_count = count;
    return 0;
}

int
bh_traffic_segment_parse(const char *text, uint32_t *index, uint32_t *count) {
    unsigned long v[2] = {0, 0};
    const char *p = text;
    for (int k = 0; k < 2; k++) {
        if (!p || *p < '0' || *p > '9')
            return BH_EINVAL;
        while (*p >= '0' && *p <= '9') {
            v[k] = v[k] * 10 + (unsigned long)(*p++ - '0');
            if (v[k] > BH_TRAFFIC_MAX_SEGMENTS)
                return BH_EINVAL;
        }
        if (k == 0 && *p++ != '/')
            return BH_EINVAL;
    }
    if (*p || v[1] < 1 || v[0] < 1 || v[0] > v[1])
        return BH_EINVAL;
    *index = (uint32_t)v[0];
    *count = (uint32_t)v[1];
    return 0;
}

int
bh_traffic_finish(struct bh_traffic *tm, const struct bh_arrival *a,
                  enum bh_outcome outcome, double t) {
    if (a->source >= tm->nsources)
        return BH_EINVAL;
    struct source *s = &tm->src[a->source];
    const struct bh_sc_retry *r = &s->sc->retry;
    int retried = 0;
    /* a campaign also re-dials the attempts nobody answered (the schema's
     * "unanswered or blocked attempts") */
    int campaign = s->sc->kind == BH_SOURCE_CAMPAIGN;
    if ((outcome == BH_OUTCOME_BLOCKED || outcome == BH_OUTCOME_ABANDONED ||
         outcome == BH_OUTCOME_OVERFLOW ||
         (campaign && outcome == BH_OUTCOME_UNANSWERED)) &&
        r->present && a->attempt < r->max_attempts && a->attempt < 255 &&
        gsl_rng_uniform(s->retry_rng) < r->probability) {
        struct bh_arrival b = *a;
        double d = bh_traffic_sample(&r->delay, s->retry_rng);
        b.t = t + (d > 0 ? d : 0);
        b.attempt = (uint8_t)(a->attempt + 1);
        if (campaign) {
            /* a new dial: whether and when the called party answers is
             * drawn again (the talk time, if answered, stays) */
            const struct bh_sc_campaign *c = &s->sc->campaign;
            b.ring = bh_traffic_sample(&c->ring, s->retry_rng);
            if (b.ring < 0)
                b.ring = 0;
            b.answers = gsl_rng_uniform(s->retry_rng) < c->answer_probability;
        }
        if (heap_push(tm, &b) == 0)
            retried = 1;
    }
    if (!retried && s->sc->sources > 0 && a->meeting == 0 &&
        s->idle < s->sc->sources) {
        /* one more idle caller: the rate changes, so redraw the next
         * arrival from now (exact by memorylessness) */
        s->idle++;
        draw_next(tm, s, t);
    }
    return retried;
}

int
bh_traffic_listens(const struct bh_traffic *tm, size_t i) {
    if (i >= tm->nsources)
        return 0;
    const struct bh_sc_source *sc = tm->src[i].sc;
    return sc->retry.present || sc->sources > 0;
}
