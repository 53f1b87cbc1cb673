/* collect.c: the collector: call records and busy levels in, per target
 * and per interval figures out, with means and 95% intervals across
 * replications. Nothing is kept per call; per replication it keeps one
 * small block per target and interval, so that collectors filled on
 * different threads merge into exactly the figures of a serial run. */
#include "reports.h"
#include "traffic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SL 20.0 /* s: service level always reported */

/* Counts of one target in one interval of one replication. */
struct iv {
    uint64_t offered, answered, blocked, abandoned, overflow, retried;
    double wait_sum;            /* s, answered calls */
    uint64_t sl[BH_RES_MAX_SL]; /* answered within sl_t[k] */
    double busy;                /* line (port) seconds */
    double agents;              /* operator seconds */
    /* answered calls that waited 0 s (most of them): counted here only,
     * and added to sl and the wait histogram when the replication ends
     * (fold_zero), since a zero wait meets every service level */
    uint64_t zero_wait;
};

/* Per target figures of one replication that intervals cannot give. */
struct tot {
    double p50, p90, p99; /* s, waits of answered calls */
    double peak;          /* most lines busy at once */
    uint64_t meetings, incomplete;
};

struct rep {
    int index;
    struct iv *iv;   /* ntargets x nint */
    struct tot *tot; /* ntargets */
    bool has_bill;
    struct bh_bill bill; /* class arrays owned here */
};

/* Level state of one number or bridge within a replication. */
struct level {
    double last; /* s */
    int busy, agents;
    /* the interval holding `last` (after the warm-up): [.., kend) */
    size_t k;
    double kend;   /* s; -1 when last is in the warm-up or unknown */
    struct iv *iv; /* that interval's counts, valid while kend >= 0 */
    int peak;      /* the target's peak so far, as an int (hot path) */
};

struct bh_collector {
    const struct bh_scenario *sc;
    enum bh_results_source src;
    size_t ntargets, nnumbers, nbridges;
    size_t nsources;  /* sc->nsources, one load fewer per call */
    int *campaign_of; /* source index -> campaign target, or -1 */
    size_t nint;
    double interval, warmup, horizon; /* s */
    double inv_interval;              /* 1/s */
    size_t nsl;
    double sl_t[BH_RES_MAX_SL];
    /* the replication in progress */
    bool open;
    struct rep cur;
    struct bh_hist *hist; /* ntargets */
    struct level *lvl;    /* nnumbers + nbridges */
    struct bh_rater *rater;
    /* finished replications, sorted by index */
    struct rep *reps;
    size_t nreps, capreps;
};

/* Zeroed memory of n * size bytes on cache lines of its own: the state a
 * replication writes on every call (levels, the collector itself) must
 * not share a line with another thread's collector, which the allocator
 * would otherwise put next to it (false sharing made two threads cost
 * 1.3-1.6x the CPU of one, issue 15). free() releases it. */
#define CACHE_LINE 64
static void *
line_calloc(size_t n, size_t size) {
    size_t bytes = n * size;
    bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    if (bytes == 0)
        bytes = CACHE_LINE;
    void *p = NULL;
    if (posix_memalign(&p, CACHE_LINE, bytes))
        return NULL;
    memset(p, 0, bytes);
    return p;
}

static void
rep_free(struct rep *r) {
    free(r->iv);
    free(r->tot);
    free(r->bill.class_total);
    free(r->bill.class_calls);
    free(r->bill.class_answered);
    memset(r, 0, sizeof *r);
}

static int
rep_alloc(const struct bh_collector *c, struct rep *r) {
    memset(r, 0, sizeof *r);
    r->iv = line_calloc(c->ntargets * c->nint + 1, sizeof *r->iv);
    r->tot = line_calloc(c->ntargets + 1, sizeof *r->tot);
    if (!r->iv || !r->tot) {
        rep_free(r);
        return BH_ENOMEM;
    }
    return 0;
}

static int
rep_copy(const struct bh_collector *c, struct rep *to, const struct rep *from) {
    int rc = rep_alloc(c, to);
    if (rc)
        return rc;
    to->index = from->index;
    memcpy(to->iv, from->iv, c->ntargets * c->nint * sizeof *to->iv);
    memcpy(to->tot, from->tot, c->ntargets * sizeof *to->tot);
    to->has_bill = from->has_bill;
    to->bill = from->bill;
    to->bill.class_total = NULL;
    to->bill.class_calls = NULL;
    to->bill.class_answered = NULL;
    size_t n = from->bill.nclasses;
    if (n) {
        to->bill.class_total = malloc(n * sizeof *to->bill.class_total);
        to->bill.class_calls = malloc(n * sizeof *to->bill.class_calls);
        to->bill.class_answered = calloc(n, sizeof *to->bill.class_answered);
        if (!to->bill.class_total || !to->bill.class_calls ||
            !to->bill.class_answered) {
            rep_free(to);
            return BH_ENOMEM;
        }
        if (from->bill.class_answered)
            memcpy(to->bill.class_answered, from->bill.class_answered,
                   n * sizeof *to->bill.class_answered);
        memcpy(to->bill.class_total, from->bill.class_total,
               n * sizeof *to->bill.class_total);
        memcpy(to->bill.class_calls, from->bill.class_calls,
               n * sizeof *to->bill.class_calls);
    }
    return 0;
}

/* Inserts a finished replication (taking its arrays), sorted by index. */
static int
rep_insert(struct bh_collector *c, struct rep *r) {
    for (size_t i = 0; i < c->nreps; i++)
        if (c->reps[i].index == r->index)
            return BH_EINVAL; /* the same replication twice */
    if (c->nreps == c->capreps) {
        size_t cap = c->capreps ? c->capreps * 2 : 16;
        struct rep *a = realloc(c->reps, cap * sizeof *a);
        if (!a)
            return BH_ENOMEM;
        c->reps = a;
        c->capreps = cap;
    }
    size_t i = c->nreps;
    while (i > 0 && c->reps[i - 1].index > r->index) {
        c->reps[i] = c->reps[i - 1];
        i--;
    }
    c->reps[i] = *r;
    c->nreps++;
    memset(r, 0, sizeof *r);
    return 0;
}

static void
add_sl(struct bh_collector *c, double t) {
    for (size_t k = 0; k < c->nsl; k++)
        if (c->sl_t[k] == t)
            return;
    if (c->nsl < BH_RES_MAX_SL)
        c->sl_t[c->nsl++] = t;
}

int
bh_collector_new(const struct bh_scenario *sc, enum bh_results_source src,
                 struct bh_collector **out) {
    *out = NULL;
    if (!sc || !(sc->interval > 0) || !(sc->horizon > 0) ||
        sc->horizon / sc->interval > 1e7)
        return BH_EINVAL;
    struct bh_collector *c = line_calloc(1, sizeof *c);
    if (!c)
        return BH_ENOMEM;
    c->sc = sc;
    c->src = src;
    c->nnumbers = sc->sw.nnumbers;
    c->nbridges = sc->sw.nbridges;
    c->nsources = sc->nsources;
    c->ntargets = c->nnumbers + c->nbridges;
    c->campaign_of = line_calloc(sc->nsources + 1, sizeof *c->campaign_of);
    if (!c->campaign_of) {
        free(c);
        return BH_ENOMEM;
    }
    for (size_t i = 0; i < sc->nsources; i++)
        c->campaign_of[i] =
            sc->sources[i].kind == BH_SOURCE_CAMPAIGN ? (int)c->ntargets++ : -1;
    c->interval = sc->interval;
    c->inv_interval = 1.0 / sc->interval;
    c->horizon = sc->horizon;
    c->warmup = sc->sim.warmup > 0 ? sc->sim.warmup : 0;
    c->nint = (size_t)ceil(sc->horizon / sc->interval - 1e-9);
    if (c->nint < 1)
        c->nint = 1;
    /* service levels: every service_level(T) the thresholds ask, then
     * the default 20 s */
    for (size_t i = 0; i < sc->nthresholds; i++)
        if (sc->thresholds[i].metric == BH_METRIC_SERVICE_LEVEL &&
            c->nsl < BH_RES_MAX_SL - 1)
            add_sl(c, sc->thresholds[i].arg);
    add_sl(c, DEFAULT_SL);
    c->hist = line_calloc(c->ntargets + 1, sizeof *c->hist);
    c->lvl = line_calloc(c->nnumbers + c->nbridges + 1, sizeof *c->lvl);
    if (!c->hist || !c->lvl) {
        bh_collector_free(c);
        return BH_ENOMEM;
    }
    *out = c;
    return 0;
}

void
bh_collector_free(struct bh_collector *c) {
    if (!c)
        return;
    rep_free(&c->cur);
    for (size_t i = 0; i < c->nreps; i++)
        rep_free(&c->reps[i]);
    free(c->reps);
    free(c->hist);
    free(c->lvl);
    free(c->campaign_of);
    bh_rater_free(c->rater);
    free(c);
}

int
bh_collector_begin(struct bh_collector *c, int rep) {
    if (rep < 0)
        return BH_EINVAL;
    rep_free(&c->cur);
    int rc = rep_alloc(c, &c->cur);
    if (rc)
        return rc;
    c->cur.index = rep;
    memset(c->hist, 0, c->ntargets * sizeof *c->hist);
    memset(c->lvl, 0, (c->nnumbers + c->nbridges) * sizeof *c->lvl);
    for (size_t i = 0; i < c->nnumbers + c->nbridges; i++)
        c->lvl[i].kend = -1;
    bh_rater_free(c->rater);
    c->rater = NULL;
    if (c->sc->tariffs.present) {
        rc = bh_rater_new(c->sc, &c->rater);
        if (rc)
            return rc;
    }
    c->open = true;
    return 0;
}

static size_t
interval_of(const struct bh_collector *c, double t) {
    /* the one definition of it; a product, not a division, as it runs
     * for every call (1/interval is rounded, so a time within a rounding
     * error of a boundary may go either way, the same way everywhere) */
    double k = t * c->inv_interval;
    if (!(k >= 0))
        return 0;
    if (k >= (double)c->nint)
        return c->nint - 1;
    /* truncation is floor for k >= 0, without a libm call (callgrind:
     * 19 instructions fewer per call than floor) */
    return (size_t)k;
}

/* An answered call's positive wait w (s) in target ti's interval v. Out
 * of line: bh_collector_add then needs no stack frame for the common zero
 * wait (callgrind, bench/sim). */
static void __attribute__((noinline))
add_wait(struct bh_collector *c, size_t ti, struct iv *v, double w) {
    v->wait_sum += w;
    bh_hist_add(&c->hist[ti], w);
    for (size_t k = 0; k < c->nsl; k++)
        if (w <= c->sl_t[k])
            v->sl[k]++;
}

/* Counts rec in target ti, interval by its arrival; known: its source is
 * one of the scenario's, campaign: that source's campaign target or -1. */
static inline void
count(struct bh_collector *c, const struct bh_call_record *rec, size_t ti,
      int known, int campaign) {
    if (rec->outbound && known && campaign < 0)
        return; /* a dial-out leg of a conference: rated, not traffic */
    struct iv *v = &c->cur.iv[ti * c->nint + interval_of(c, rec->arrival)];
    v->offered++;
    if (rec->attempt > 1)
        v->retried++;
    switch ((enum bh_outcome)rec->outcome) {
    case BH_OUTCOME_ANSWERED:
        v->answered++;
        if (rec->wait > 0)
            add_wait(c, ti, v, rec->wait);
        else /* folded at the end (wait_sum += 0 changes nothing): 20
              * instructions fewer per call, callgrind, bench/sim */
            v->zero_wait++;
        break;
    case BH_OUTCOME_BLOCKED:
    case BH_OUTCOME_FAILED: /* a lost call, as far as callers can tell */
        v->blocked++;
        break;
    case BH_OUTCOME_ABANDONED:
        v->abandoned++;
        break;
    case BH_OUTCOME_OVERFLOW:
        v->overflow++;
        break;
    case BH_OUTCOME_UNANSWERED: /* campaigns: neither lost nor served */
        break;
    }
}

/* With tariffs: rated, then counted. Out of line, so that the calls
 * without a rater need no stack frame (12 instructions fewer per call,
 * callgrind, bench/sim). */
static void __attribute__((noinline))
rate_count(struct bh_collector *c, struct bh_call_record *rec, size_t ti,
           int known, int campaign) {
    bh_rater_rate(c->rater, rec);
    count(c, rec, ti, known, campaign);
}

void
bh_collector_add(struct bh_collector *c, struct bh_call_record *rec) {
    if (!c->open || !(rec->arrival >= c->warmup) ||
        !(rec->arrival < c->horizon))
        return; /* warm-up (or after the horizon): counted nowhere */
    size_t ti;
    int known = rec->source < c->nsources; /* a source of the scenario */
    int campaign = known ? c->campaign_of[rec->source] : -1;
    if (campaign >= 0)
        ti = (size_t)campaign;
    else if (rec->target_kind == BH_TARGET_NUMBER && rec->target < c->nnumbers)
        ti = rec->target;
    else if (rec->target_kind == BH_TARGET_BRIDGE && rec->target < c->nbridges)
        ti = c->nnumbers + rec->target;
    else
        return;
    if (c->rater)
        rate_count(c, rec, ti, known, campaign);
    else
        count(c, rec, ti, known, campaign);
}

/* Adds the level held from l->last to t, clipped to [warmup, horizon],
 * to the intervals it spans. */
static void
integrate(struct bh_collector *c, size_t ti, struct level *l, double t) {
    double a = l->last > c->warmup ? l->last : c->warmup;
    double b = t < c->horizon ? t : c->horizon;
    if (!(b > a))
        return;
    struct tot *tt = &c->cur.tot[ti];
    if (l->busy > l->peak)
        tt->peak = l->peak = l->busy;
    if (l->busy == 0 && l->agents == 0)
        return;
    size_t k = interval_of(c, a);
    while (a < b && k < c->nint) {
        double e = (double)(k + 1) * c->interval;
        if (e > b || k + 1 == c->nint)
            e = b;
        if (e > a) {
            struct iv *v = &c->cur.iv[ti * c->nint + k];
            v->busy += l->busy * (e - a);
            v->agents += l->agents * (e - a);
            a = e;
        }
        k++;
    }
}

/* A level change in another interval than the last one (or the first):
 * integrates across the boundaries and finds t's interval. Out of line,
 * so that the common change within an interval needs no stack frame (8
 * instructions fewer per call, callgrind, bench/sim). */
static void __attribute__((noinline))
level_cross(struct bh_collector *c, size_t ti, struct level *l, double t,
            int busy, int agents_busy) {
    integrate(c, ti, l, t);
    l->kend = -1;
    if (t >= c->warmup && t < c->horizon) {
        l->k = interval_of(c, t);
        double e = (double)(l->k + 1) * c->interval;
        if (l->k + 1 == c->nint || e > c->horizon)
            e = c->horizon;
        /* guard against rounding: t must lie inside */
        if (e > t && (double)l->k * c->interval <= t) {
            l->kend = e;
            l->iv = &c->cur.iv[ti * c->nint + l->k];
        }
    }
    l->last = t;
    l->busy = busy;
    l->agents = agents_busy;
}

void
bh_collector_level(struct bh_collector *c, int target_kind, int target,
                   double t, int busy, int agents_busy) {
    /* a negative target is out of range as a size_t */
    size_t li, ti;
    if (target_kind == BH_TARGET_NUMBER && (size_t)target < c->nnumbers)
        li = ti = (size_t)target;
    else if (target_kind == BH_TARGET_BRIDGE && (size_t)target < c->nbridges)
        li = ti = c->nnumbers + (size_t)target;
    else
        return;
    if (!c->open)
        return;
    struct level *l = &c->lvl[li];
    if (t < l->kend) {
        /* the hot path: still in the interval of the last change */
        double dt = t - l->last;
        struct iv *v = l->iv;
        int b = l->busy;
        if (b > l->peak && dt > 0)
            c->cur.tot[ti].peak = l->peak = b;
        v->busy += b * dt;
        if (l->agents) /* operator seconds only where there are any */
            v->agents += l->agents * dt;
        l->last = t;
        l->busy = busy;
        l->agents = agents_busy;
        return;
    }
    level_cross(c, ti, l, t, busy, agents_busy);
}

void
bh_collector_meeting(struct bh_collector *c, int bridge, double start,
                     int incomplete) {
    if (!c->open || bridge < 0 || (size_t)bridge >= c->nbridges ||
        !(start >= c->warmup) || !(start < c->horizon))
        return;
    struct tot *tt = &c->cur.tot[c->nnumbers + (size_t)bridge];
    tt->meetings++;
    if (incomplete)
        tt->incomplete++;
}

/* Adds the zero waits counted apart to the service levels and the wait
 * histograms, as bh_collector_add would have one by one. */
static void
fold_zero(struct bh_collector *c) {
    for (size_t ti = 0; ti < c->ntargets; ti++) {
        for (size_t k = 0; k < c->nint; k++) {
            struct iv *v = &c->cur.iv[ti * c->nint + k];
            uint64_t z = v->zero_wait;
            c->hist[ti].count += z;
            c->hist[ti].zero += z;
            for (size_t j = 0; j < c->nsl; j++)
                if (0 <= c->sl_t[j])
                    v->sl[j] += z;
            v->zero_wait = 0;
        }
    }
}

int
bh_collector_end(struct bh_collector *c, double end) {
    if (!c->open)
        return BH_ESTATE;
    (void)end; /* levels are integrated up to the horizon */
    fold_zero(c);
    for (size_t i = 0; i < c->nnumbers + c->nbridges; i++)
        integrate(c, i, &c->lvl[i], c->horizon);
    for (size_t ti = 0; ti < c->ntargets; ti++) {
        struct tot *tt = &c->cur.tot[ti];
        tt->p50 = bh_hist_quantile(&c->hist[ti], 0.50);
        tt->p90 = bh_hist_quantile(&c->hist[ti], 0.90);
        tt->p99 = bh_hist_quantile(&c->hist[ti], 0.99);
    }
    if (c->rater) {
        struct bh_bill b;
        bh_rater_bill(c->rater, c->horizon - c->warmup, &b);
        struct rep tmp = c->cur;
        tmp.bill = b;
        tmp.has_bill = true;
        struct rep copy;
        /* copy the class arrays out of the rater */
        tmp.iv = c->cur.iv;
        int rc = rep_copy(c, &copy, &tmp);
        if (rc)
            return rc;
        rep_free(&c->cur);
        c->cur = copy;
        bh_rater_free(c->rater);
        c->rater = NULL;
    }
    c->open = false;
    return rep_insert(c, &c->cur);
}

int
bh_collector_merge(struct bh_collector *c, const struct bh_collector *o) {
    if (c->ntargets != o->ntargets || c->nint != o->nint)
        return BH_EINVAL;
    for (size_t i = 0; i < o->nreps; i++) {
        struct rep r;
        int rc = rep_copy(c, &r, &o->reps[i]);
        if (rc)
            return rc;
        rc = rep_insert(c, &r);
        if (rc) {
            rep_free(&r);
            return rc;
        }
    }
    return 0;
}

/* ---- results ------------------------------------------------------- */

static double
ratio(double num, double den) {
    return den > 0 ? num / den : NAN;
}

static struct bh_estimate
fixed(double v) {
    struct bh_estimate e = {v, v, v};
    return e;
}

/* Offered Erlangs (first attempts, from the traffic model) on target ti
 * over [t0, t1). */
static double
offered_erlangs(const struct bh_collector *c, size_t ti, double t0, double t1) {
    const struct bh_scenario *sc = c->sc;
    double a = 0;
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        size_t t;
        if (c->campaign_of[i] >= 0)
            t = (size_t)c->campaign_of[i];
        else if (s->target_kind == BH_TARGET_NUMBER)
            t = (size_t)s->target;
        else
            t = c->nnumbers + (size_t)s->target;
        if (t == ti)
            a += bh_traffic_offered(sc, i, t0, t1);
    }
    return a;
}

/* Every figure here is >= 0 (counts, shares, waits, lines), and shares
 * are <= 1: the Student-t interval is clipped to where the figure can
 * be, which keeps its coverage and drops impossible bounds. */
static struct bh_estimate
clip(struct bh_estimate e, double max) {
    if (e.lo < 0)
        e.lo = 0;
    if (e.hi > max)
        e.hi = max;
    return e;
}

/* One figure across replications, each replication's value from expr
 * (R is the replication). SHARE: the same for a share in [0, 1]. */
#define ESTIMATE(expr)                                                         \
    ({                                                                         \
        struct bh_running run_ = {0, 0, 0};                                    \
        for (size_t r_ = 0; r_ < c->nreps; r_++) {                             \
            const struct rep *R = &c->reps[r_];                                \
            (void)R;                                                           \
            bh_running_add(&run_, (expr));                                     \
        }                                                                      \
        clip(bh_running_estimate(&run_), INFINITY);                            \
    })
#define SHARE(expr) clip(ESTIMATE(expr), 1)
/* A ratio of per-replication counts, num / den, as the pooled ratio of
 * their sums with its delta-method interval (bh_ratio_estimate); xs and
 * ys are scratch arrays of c->nreps. RATIO_SHARE: a share of den. */
#define RATIO_(num, den, share)                                                \
    ({                                                                         \
        for (size_t r_ = 0; r_ < c->nreps; r_++) {                             \
            const struct rep *R = &c->reps[r_];                                \
            (void)R;                                                           \
            xs[r_] = (double)(num);                                            \
            ys[r_] = (double)(den);                                            \
        }                                                                      \
        clip(bh_ratio_estimate(xs, ys, c->nreps, share),                       \
             (share) ? 1 : INFINITY);                                          \
    })
#define RATIO(num, den) RATIO_(num, den, false)
#define RATIO_SHARE(num, den) RATIO_(num, den, true)

/* Sums one target's intervals in a replication. */
static struct iv
sum_iv(const struct bh_collector *c, const struct rep *r, size_t ti) {
    struct iv s;
    memset(&s, 0, sizeof s);
    for (size_t k = 0; k < c->nint; k++) {
        const struct iv *v = &r->iv[ti * c->nint + k];
        s.offered += v->offered;
        s.answered += v->answered;
        s.blocked += v->blocked;
        s.abandoned += v->abandoned;
        s.overflow += v->overflow;
        s.retried += v->retried;
        s.wait_sum += v->wait_sum;
        for (size_t j = 0; j < c->nsl; j++)
            s.sl[j] += v->sl[j];
        s.busy += v->busy;
        s.agents += v->agents;
    }
    return s;
}

int
bh_collector_results(const struct bh_collector *c, struct bh_results *r) {
    const struct bh_scenario *sc = c->sc;
    int rc = bh_results_init(r, c->ntargets, c->nint);
    if (rc)
        return rc;
    r->source = c->src;
    snprintf(r->scenario, sizeof r->scenario, "%s", sc->name);
    snprintf(r->scenario_hash, sizeof r->scenario_hash, "%s", sc->digest);
    r->seed = sc->seed;
    r->replications = (int)c->nreps;
    r->horizon = c->horizon;
    r->warmup = c->warmup;
    r->interval = c->interval;
    double span = c->horizon - c->warmup;
    struct iv *sums = calloc(c->nreps * c->ntargets + 1, sizeof *sums);
    double *xs = calloc(2 * c->nreps + 2, sizeof *xs);
    if (!sums || !xs) {
        free(sums);
        free(xs);
        bh_results_clear(r);
        return BH_ENOMEM;
    }
    double *ys = xs + c->nreps + 1;
    for (size_t i = 0; i < c->nreps; i++)
        for (size_t ti = 0; ti < c->ntargets; ti++)
            sums[i * c->ntargets + ti] = sum_iv(c, &c->reps[i], ti);

    for (size_t ti = 0; ti < c->ntargets; ti++) {
        struct bh_target_result *t = &r->targets[ti];
        int cap = 1, ops = 0;
        if (ti < c->nnumbers) {
            const struct bh_sc_number *n = &sc->sw.numbers[ti];
            snprintf(t->name, sizeof t->name, "%s", n->name);
            snprintf(t->kind, sizeof t->kind, "number");
            cap = n->lines;
            ops = n->queue.present ? n->queue.operators : 0;
        } else if (ti < c->nnumbers + c->nbridges) {
            const struct bh_sc_bridge *b = &sc->sw.bridges[ti - c->nnumbers];
            snprintf(t->name, sizeof t->name, "%s", b->name);
            snprintf(t->kind, sizeof t->kind, "bridge");
            cap = b->ports;
        } else {
            for (size_t i = 0; i < sc->nsources; i++)
                if (c->campaign_of[i] == (int)ti) {
                    snprintf(t->name, sizeof t->name, "%s",
                             sc->sources[i].name);
                    const struct bh_sc_number *n =
                        &sc->sw.numbers[sc->sources[i].target];
                    cap = n->lines;
                }
            snprintf(t->kind, sizeof t->kind, "campaign");
        }
        t->lines = cap;
        t->operators = ops;
        t->offered_erlangs =
            fixed(offered_erlangs(c, ti, c->warmup, c->horizon));
#define S (&sums[r_ * c->ntargets + ti])
        t->offered = ESTIMATE((double)S->offered);
        t->answered = ESTIMATE((double)S->answered);
        t->blocked = ESTIMATE((double)S->blocked);
        t->abandoned = ESTIMATE((double)S->abandoned);
        t->overflow = ESTIMATE((double)S->overflow);
        t->retried = ESTIMATE((double)S->retried);
        t->blocking = RATIO_SHARE(S->blocked + S->overflow, S->offered);
        t->abandonment = RATIO_SHARE(S->abandoned, S->offered);
        t->wait_mean = RATIO(S->wait_sum, S->answered);
        t->nsl = c->nsl;
        for (size_t k = 0; k < c->nsl; k++) {
            t->sl[k].t = c->sl_t[k];
            t->sl[k].value = RATIO_SHARE(S->sl[k], S->offered);
        }
        t->busy_mean = ESTIMATE(S->busy / span);
        if (ops > 0)
            t->occupancy = SHARE(S->agents / (span * ops));
        else
            t->occupancy = SHARE(S->busy / (span * cap));
#undef S
        if (c->src == BH_SOURCE_LOAD && c->nreps == 1 && !c->open) {
            /* one measured run: its waits themselves, so that the files
             * of its segments merge (bh_results_merge); c->hist still
             * holds the replication just ended */
            t->wait_hist = malloc(sizeof *t->wait_hist);
            if (!t->wait_hist) {
                free(sums);
                free(xs);
                bh_results_clear(r);
                return BH_ENOMEM;
            }
            *t->wait_hist = c->hist[ti];
        }
        t->wait_p50 = ESTIMATE(R->tot[ti].p50);
        t->wait_p90 = ESTIMATE(R->tot[ti].p90);
        t->wait_p99 = ESTIMATE(R->tot[ti].p99);
        t->peak_busy = ESTIMATE(R->tot[ti].peak);
        if (ti >= c->nnumbers && ti < c->nnumbers + c->nbridges) {
            t->meetings = ESTIMATE((double)R->tot[ti].meetings);
            t->incomplete_meetings =
                RATIO_SHARE(R->tot[ti].incomplete, R->tot[ti].meetings);
        } else {
            t->meetings = fixed(NAN);
            t->incomplete_meetings = fixed(NAN);
        }
        int campaign = ti >= c->nnumbers + c->nbridges;
        if (campaign) {
            /* its lines are its number's: busy figures are reported there */
            t->busy_mean = t->occupancy = t->peak_busy = fixed(NAN);
        }

        for (size_t k = 0; k < c->nint; k++) {
            struct bh_interval_result *ir = bh_results_interval(r, ti, k);
            double t0 = (double)k * c->interval;
            double t1 = t0 + c->interval;
            if (t1 > c->horizon)
                t1 = c->horizon;
            double a = t0 > c->warmup ? t0 : c->warmup;
            double len = t1 > a ? t1 - a : 0;
            ir->start = t0;
            ir->offered_erlangs = fixed(offered_erlangs(c, ti, t0, t1));
#define V (&R->iv[ti * c->nint + k])
            ir->offered = ESTIMATE(len > 0 ? (double)V->offered : NAN);
            ir->blocking = RATIO_SHARE(V->blocked + V->overflow, V->offered);
            ir->abandonment = RATIO_SHARE(V->abandoned, V->offered);
            ir->wait_mean = RATIO(V->wait_sum, V->answered);
            ir->nsl = c->nsl;
            for (size_t j = 0; j < c->nsl; j++) {
                ir->sl[j].t = c->sl_t[j];
                ir->sl[j].value = RATIO_SHARE(V->sl[j], V->offered);
            }
            ir->busy_mean = ESTIMATE(ratio(V->busy, len));
            if (ops > 0)
                ir->occupancy = SHARE(ratio(V->agents, len * ops));
            else
                ir->occupancy = SHARE(ratio(V->busy, len * cap));
#undef V
            if (campaign)
                ir->busy_mean = ir->occupancy = fixed(NAN);
        }
    }
    free(sums);
    free(xs);

    if (sc->tariffs.present) {
        struct bh_cost_acc *acc = NULL;
        rc = bh_cost_acc_new(sc, &acc);
        for (size_t i = 0; !rc && i < c->nreps; i++)
            if (c->reps[i].has_bill)
                bh_cost_acc_add(acc, &c->reps[i].bill);
        if (!rc)
            rc = bh_cost_acc_results(acc, &r->costs);
        bh_cost_acc_free(acc);
    }
    return rc;
}

/* ---- The collector as a record sink ------------------------------------ */

static int
sink_begin(void *ctx, int rep) {
    return bh_collector_begin(ctx, rep);
}

static void
sink_record(void *ctx, struct bh_call_record *rec) {
    bh_collector_add(ctx, rec);
}

static void
sink_level(void *ctx, int target_kind, int target, double t, int busy,
           int agents_busy) {
    bh_collector_level(ctx, target_kind, target, t, busy, agents_busy);
}

static void
sink_meeting(void *ctx, int bridge, double start, int incomplete) {
    bh_collector_meeting(ctx, bridge, start, incomplete);
}

static int
sink_end(void *ctx, double t) {
    return bh_collector_end(ctx, t);
}

struct bh_record_sink
bh_collector_sink(struct bh_collector *c) {
    static const struct bh_record_sink_ops ops = {
        .begin = sink_begin,
        .record = sink_record,
        .level = sink_level,
        .meeting = sink_meeting,
        .end = sink_end,
    };
    return (struct bh_record_sink){&ops, c};
}
