/* plan.c: capacity planning: the fewest lines, operators and ports that
 * meet the thresholds over the period the scenario names (sim.plan_over:
 * the busy hour by default, the horizon, or every interval), first from
 * the exact formulas at the busiest interval, then searched by
 * simulation.
 *
 * What a target means: a threshold is met when its pooled estimate over
 * the period (total blocked over total offered across all replications,
 * a ratio estimator, not the mean of each replication's ratio) meets it.
 * Every candidate capacity runs the same replications with the same
 * random streams (common random numbers: the seed and replication decide
 * every arrival and holding time), so neighbouring candidates differ only
 * by the capacity, and the answer converges to the exact inverse as
 * replications grow. The search starts from the analytic inverse,
 * gallops, then bisects. The estimate's 95% interval (delta method over
 * replications) is reported with the answer. */
#include "sim.h"
#include "traffic.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BLOCKING 0.01 /* blocking < 1% when none is asked */
#define DEFAULT_SL 0.80       /* service_level(BH_SIM_SL_TIME) >= 80% */
#define MAX_EVALS 64          /* simulations per resource searched */
#define MAX_REQS 16
#define MAX_MEMO 8 /* capacities whose horizon figures a plan keeps */
/* the judged counts are kept per replication, requirement and period
 * slot: at most this many bytes */
#define MAX_TALLY_BYTES (256u << 20)

/* One requirement on a target: metric OP value (a threshold). The
 * target is the number or bridge planned, or a campaign dialling out
 * through the number: its thresholds size the number's lines too. */
struct req {
    const char *target; /* name in the results */
    enum bh_metric metric;
    double arg;
    enum bh_op op;
    double value;
    const char *expr; /* the threshold as written, or NULL: a default */
};

/* One replication's counts for one requirement over one period slot: the
 * figure is num / den (blocked / offered, answered within T / offered,
 * wait sum / answered ...). */
struct tally {
    double num, den;
};

/* The plan's progress, for opt->progress: one phase per resource searched
 * (operators, lines, ports) and one for the run at the recommendation;
 * a phase is about `expect` simulations (a search and the figures now and
 * recommended), each reporting its replications, so the bar moves with
 * every replication and a time estimate can be drawn from it. Reported
 * as a fraction of 1, never backwards. */
#define PHASE_SIMULATIONS 8
struct progress {
    const struct bh_sim_options *opt;
    double phases; /* in the whole plan */
    double phase;  /* the current one, from 0 */
    int evals;     /* simulations started in this phase */
    int expect;    /* simulations this phase is taken to need */
    double last;   /* fraction last reported */
};

static void
progress_phase(struct progress *pg, double phase, int expect) {
    pg->phase = phase;
    pg->evals = 0;
    pg->expect = expect;
}

/* bh_sim_run's progress inside one simulation of the current phase. */
static void
progress_report(struct progress *pg, double done, double total) {
    if (!pg->opt->progress || total <= 0)
        return;
    if (pg->evals >= pg->expect) /* a longer search: keep moving, slower */
        pg->expect = pg->evals + 2;
    double in = ((pg->evals - 1) + done / total) / pg->expect;
    double f = (pg->phase + (in < 0.99 ? in : 0.99)) / pg->phases;
    if (f <= pg->last || f >= 1)
        return;
    pg->last = f;
    pg->opt->progress(pg->opt->progress_arg, f, 1);
}

/* A target simulated alone: a copy of the scenario with only it and the
 * sources that reach it. */
struct sub {
    struct bh_scenario sc;
    struct bh_sc_number num;
    struct bh_sc_bridge br;
    struct bh_sc_source *src;    /* owned; the sources, retargeted */
    struct bh_sc_threshold *thr; /* owned */
    struct req req[MAX_REQS];
    size_t nreq;
    int req_src[MAX_REQS]; /* the campaign (source index) a requirement is
                              on, or -1: the number or bridge */
    /* the judged period: [p0, p1) (busy hour, horizon), or every
     * interval of length len (nslot of them) */
    enum bh_plan_over over;
    double p0, p1, len;
    size_t nslot;
    int nrep;
    struct tally *tally; /* owned; [replication][requirement][slot] */
    int fail_req;        /* the requirement the last judgement failed on */
    int bind_q;          /* the requirement that set the answer, or -1 */
    const struct bh_sim_options *opt;
    struct progress *pg; /* borrowed */
    int evals;
    /* where candidates are simulated to: the judged period's end when
     * nothing judged lies after it (search_horizon), else the horizon
     * (full_horizon); figures over the horizon always use the latter */
    double search_horizon, full_horizon;
    /* figures over the horizon already simulated, by capacities */
    struct memo {
        int lines, ops, ports;
        struct bh_estimate blocking, sl;
    } memo[MAX_MEMO];
    int nmemo;
    /* cache of evaluations: capacity -> pass */
    int cache_n[MAX_EVALS];
    int cache_pass[MAX_EVALS];
    int cache_fail[MAX_EVALS]; /* the requirement failed, -1 none */
    /* each requirement's judged figure and slot at that capacity */
    struct bh_estimate cache_judged[MAX_EVALS][MAX_REQS];
    size_t cache_slot[MAX_EVALS][MAX_REQS];
    int ncache;
    int err;
    char *msg;
    size_t size;
};

static int
plan_fail(char *msg, size_t size, int rc, const char *fmt, ...) {
    if (msg && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Whether `name` is a campaign of the sub-scenario's sources. */
static int
campaign_of(const struct sub *s, const char *name) {
    for (size_t i = 0; i < s->sc.nsources; i++)
        if (s->src[i].kind == BH_SOURCE_CAMPAIGN &&
            strcmp(s->src[i].name, name) == 0)
            return 1;
    return 0;
}

static void
sub_free(struct sub *s) {
    free(s->src);
    free(s->thr);
    free(s->tally);
}

/* The judged period of the sub-scenario (its one target): the busy hour
 * is the 60 minutes (or one interval, when longer), from an interval's
 * start after the warm-up, with the most Erlangs offered by the target's
 * sources (the first of equals); the horizon after the warm-up when no
 * such hour fits. */
static int
period_init(struct sub *s) {
    const struct bh_scenario *sc = &s->sc;
    s->over = sc->sim.plan_over;
    s->len = sc->interval > 0 ? sc->interval : sc->horizon;
    s->p0 = sc->sim.warmup;
    s->p1 = sc->horizon;
    s->nslot = 1;
    if (s->over == BH_PLAN_EVERY_INTERVAL) {
        s->nslot = (size_t)ceil(sc->horizon / s->len - 1e-9);
        if (s->nslot < 1)
            s->nslot = 1;
        if (s->nslot > BH_SIM_MAX_INTERVALS)
            return BH_ERANGE;
    } else if (s->over == BH_PLAN_BUSY_HOUR) {
        double w = s->len > 3600 ? s->len : 3600, best = -1;
        size_t nint = (size_t)ceil(sc->horizon / s->len - 1e-9);
        if (nint > BH_SIM_MAX_INTERVALS)
            nint = BH_SIM_MAX_INTERVALS;
        for (size_t k = 0; k < nint; k++) {
            double t0 = (double)k * s->len;
            if (t0 < sc->sim.warmup - 1e-9)
                continue;
            if (t0 + w > sc->horizon + 1e-9)
                break;
            double a = 0;
            for (size_t i = 0; i < sc->nsources; i++)
                a += bh_traffic_offered(sc, i, t0, t0 + w);
            if (a > best + 1e-12) {
                best = a;
                s->p0 = t0;
                s->p1 = t0 + w;
            }
        }
        /* A flat load has every hour for its busy hour: judge them all
         * (the horizon after the warm-up), not the first of equals, which
         * would leave most of the simulated calls unread. */
        double span = sc->horizon - sc->sim.warmup, all = 0; /* Erlangs */
        for (size_t i = 0; best > 0 && span > w && i < sc->nsources; i++)
            all += bh_traffic_offered(sc, i, sc->sim.warmup, sc->horizon);
        if (best > 0 && span > w && all >= best * (1 - 1e-9)) {
            s->p0 = sc->sim.warmup;
            s->p1 = sc->horizon;
        }
    }
    return 0;
}

/* Is the metric counted from the records (pooled over the period)? The
 * others (percentiles, incomplete meetings) are judged on the results'
 * figure over the horizon. */
static int
tallied(enum bh_metric m) {
    return m == BH_METRIC_BLOCKING || m == BH_METRIC_ABANDONMENT ||
           m == BH_METRIC_SERVICE_LEVEL || m == BH_METRIC_WAIT_MEAN;
}

/* Every finished record of a candidate's simulation (from the thread of
 * its replication, which alone writes that replication's tallies). */
static void
on_record(void *arg, const struct bh_call_record *rec) {
    struct sub *s = arg;
    if (!(rec->arrival >= s->sc.sim.warmup) ||
        !(rec->arrival < s->sc.horizon) || (int)rec->replication >= s->nrep ||
        rec->source >= s->sc.nsources)
        return;
    size_t slot = 0;
    if (s->over == BH_PLAN_EVERY_INTERVAL) {
        slot = (size_t)(rec->arrival / s->len);
        if (slot >= s->nslot)
            return;
    } else if (!(rec->arrival >= s->p0 && rec->arrival < s->p1)) {
        return;
    }
    int campaign = s->src[rec->source].kind == BH_SOURCE_CAMPAIGN;
    if (rec->outbound && !campaign)
        return; /* a conference's dial-out leg: not traffic */
    enum bh_outcome o = (enum bh_outcome)rec->outcome;
    for (size_t q = 0; q < s->nreq; q++) {
        const struct req *k = &s->req[q];
        if (s->req_src[q] >= 0 ? (int)rec->source != s->req_src[q] : campaign)
            continue;
        struct tally *t =
            &s->tally[((size_t)rec->replication * s->nreq + q) * s->nslot +
                      slot];
        switch (k->metric) {
        case BH_METRIC_BLOCKING:
            t->den++;
            t->num += o == BH_OUTCOME_BLOCKED || o == BH_OUTCOME_FAILED ||
                      o == BH_OUTCOME_OVERFLOW;
            break;
        case BH_METRIC_ABANDONMENT:
            t->den++;
            t->num += o == BH_OUTCOME_ABANDONED;
            break;
        case BH_METRIC_SERVICE_LEVEL:
            t->den++;
            t->num += o == BH_OUTCOME_ANSWERED && rec->wait <= k->arg;
            break;
        case BH_METRIC_WAIT_MEAN:
            if (o == BH_OUTCOME_ANSWERED) {
                t->den++;
                t->num += rec->wait;
            }
            break;
        default:
            break;
        }
    }
}

/* Requirement q's pooled figure over slot p with its 95% interval: the
 * ratio of the totals over replications, the interval by the delta
 * method (the variance of num - R den across replications); NaN when
 * nothing was counted. */
static struct bh_estimate
pooled(const struct sub *s, size_t q, size_t p) {
    double sn = 0, sd = 0;
    int n = s->nrep;
    for (int r = 0; r < n; r++) {
        const struct tally *t =
            &s->tally[((size_t)r * s->nreq + q) * s->nslot + p];
        sn += t->num;
        sd += t->den;
    }
    if (!(sd > 0))
        return bh_estimate_exact(NAN);
    double R = sn / sd, ss = 0;
    for (int r = 0; r < n; r++) {
        const struct tally *t =
            &s->tally[((size_t)r * s->nreq + q) * s->nslot + p];
        double d = t->num - R * t->den;
        ss += d * d;
    }
    struct bh_estimate e = {R, NAN, NAN};
    if (n > 1) {
        double dbar = sd / n;
        double se = sqrt(ss / (n - 1) / n) / dbar;
        e.lo = R - 1.96 * se;
        e.hi = R + 1.96 * se;
    }
    return e;
}

/* Requirement q's judged figure: pooled over the period, or for
 * every interval the one that does worst against the limit. *slot gets
 * that interval (0 otherwise). */
static struct bh_estimate
judged(const struct sub *s, size_t q, size_t *slot) {
    struct bh_estimate worst = bh_estimate_exact(NAN);
    const struct req *k = &s->req[q];
    int up = k->op == BH_OP_LT || k->op == BH_OP_LE; /* higher is worse */
    *slot = 0;
    for (size_t p = 0; p < s->nslot; p++) {
        struct bh_estimate e = pooled(s, q, p);
        if (isnan(e.mean))
            continue;
        if (isnan(worst.mean) ||
            (up ? e.mean > worst.mean : e.mean < worst.mean)) {
            worst = e;
            *slot = p;
        }
    }
    return worst;
}

/* Builds the sub-scenario of number ni (is_bridge 0) or bridge bi. */
static int
sub_make(struct sub *s, const struct bh_scenario *sc, int is_bridge, int idx) {
    memset(s, 0, sizeof *s);
    s->sc = *sc;
    s->sc.tariffs.present = false; /* costs are worked out at the end */
    s->src = calloc(sc->nsources + 1, sizeof *s->src);
    s->thr = calloc(sc->nthresholds + 1, sizeof *s->thr);
    if (!s->src || !s->thr)
        return BH_ENOMEM;
    s->sc.sw.nnumbers = s->sc.sw.nbridges = 0;
    s->sc.sw.numbers = &s->num;
    s->sc.sw.bridges = &s->br;
    const char *name;
    if (is_bridge) {
        s->br = sc->sw.bridges[idx];
        s->sc.sw.nbridges = 1;
        name = s->br.name;
    } else {
        s->num = sc->sw.numbers[idx];
        s->sc.sw.nnumbers = 1;
        name = s->num.name;
    }
    size_t n = 0;
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *x = &sc->sources[i];
        if ((int)x->target_kind !=
                (is_bridge ? BH_TARGET_BRIDGE : BH_TARGET_NUMBER) ||
            x->target != idx)
            continue;
        s->src[n] = *x;
        s->src[n].target = 0;
        n++;
    }
    s->sc.sources = s->src;
    s->sc.nsources = n;
    size_t m = 0;
    for (size_t i = 0; i < sc->nthresholds; i++) {
        const struct bh_sc_threshold *t = &sc->thresholds[i];
        if (strcmp(t->target, name) != 0 && !campaign_of(s, t->target))
            continue;
        s->thr[m] = *t;
        t = &s->thr[m++];
        switch (t->metric) {
        case BH_METRIC_BLOCKING:
        case BH_METRIC_ABANDONMENT:
        case BH_METRIC_SERVICE_LEVEL:
        case BH_METRIC_WAIT_MEAN:
        case BH_METRIC_WAIT_P90:
        case BH_METRIC_WAIT_P99:
        case BH_METRIC_INCOMPLETE_MEETINGS:
            if (s->nreq < MAX_REQS)
                s->req[s->nreq++] = (struct req){t->target, t->metric, t->arg,
                                                 t->op,     t->value,  t->expr};
            break;
        default: /* occupancy and costs are not capacity targets */
            break;
        }
    }
    s->sc.thresholds = s->thr;
    s->sc.nthresholds = m;
    /* Defaults for what the thresholds leave open: a blocking target
     * always (else "fewest lines" would be one line that turns most
     * callers away), and a service level for a queue without any wait
     * target. The collector always reports service_level(20s). */
    int has_block = 0, has_wait = 0;
    for (size_t q = 0; q < s->nreq; q++) {
        has_block |= s->req[q].metric == BH_METRIC_BLOCKING &&
                     strcmp(s->req[q].target, name) == 0;
        has_wait |= s->req[q].metric == BH_METRIC_SERVICE_LEVEL ||
                    s->req[q].metric == BH_METRIC_WAIT_MEAN ||
                    s->req[q].metric == BH_METRIC_WAIT_P90 ||
                    s->req[q].metric == BH_METRIC_WAIT_P99;
    }
    if (!has_block && s->nreq < MAX_REQS)
        s->req[s->nreq++] = (struct req){name,     BH_METRIC_BLOCKING, 0,
                                         BH_OP_LT, DEFAULT_BLOCKING,   NULL};
    /* so must every campaign through the number: a campaign is a target
     * whose blocking the lines decide */
    for (size_t i = 0; i < s->sc.nsources; i++) {
        const struct bh_sc_source *x = &s->src[i];
        if (x->kind != BH_SOURCE_CAMPAIGN)
            continue;
        int has = 0;
        for (size_t q = 0; q < s->nreq; q++)
            has |= s->req[q].metric == BH_METRIC_BLOCKING &&
                   strcmp(s->req[q].target, x->name) == 0;
        if (!has && s->nreq < MAX_REQS)
            s->req[s->nreq++] =
                (struct req){x->name,  BH_METRIC_BLOCKING, 0,
                             BH_OP_LT, DEFAULT_BLOCKING,   NULL};
    }
    if (!has_wait && !is_bridge && s->num.queue.present && s->nreq < MAX_REQS)
        s->req[s->nreq++] = (struct req){
            name, BH_METRIC_SERVICE_LEVEL, BH_SIM_SL_TIME, BH_OP_GE, DEFAULT_SL,
            NULL};
    for (size_t q = 0; q < s->nreq; q++) {
        s->req_src[q] = -1;
        for (size_t i = 0; i < s->sc.nsources; i++)
            if (s->src[i].kind == BH_SOURCE_CAMPAIGN &&
                strcmp(s->src[i].name, s->req[q].target) == 0)
                s->req_src[q] = (int)i;
    }
    return period_init(s);
}

static struct bh_estimate
sl_of(size_t nsl, const struct bh_service_level *sl, double t) {
    for (size_t k = 0; k < nsl; k++)
        if (sl[k].t == t)
            return sl[k].value;
    return bh_estimate_exact(NAN);
}

/* The index of target `name` in r, or -1. */
static long
target_index(const struct bh_results *r, const char *name) {
    for (size_t i = 0; i < r->ntargets; i++)
        if (strcmp(r->targets[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Does the candidate just simulated (tallies, and results r) meet every
 * requirement on its point estimate? Sets s->fail_req to the first it
 * fails (-1 none). A figure nothing was counted for passes. */
static int
meets(struct sub *s, const struct bh_results *r) {
    s->fail_req = -1;
    for (size_t q = 0; q < s->nreq; q++) {
        const struct req *k = &s->req[q];
        struct bh_estimate e;
        if (tallied(k->metric)) {
            size_t slot;
            e = judged(s, q, &slot);
        } else {
            long ti = target_index(r, k->target);
            if (ti < 0)
                continue;
            e = bh_target_figure(r, &r->targets[ti], k->metric, k->arg);
        }
        if (isnan(e.mean))
            continue;
        if (!bh_threshold_compare(e.mean, k->op, k->value)) {
            s->fail_req = (int)q;
            return 0;
        }
    }
    return 1;
}

static void
sim_progress(void *arg, double done, double total) {
    progress_report(arg, done, total);
}

static int
simulate(struct sub *s, struct bh_results *r) {
    struct bh_sim_options o = *s->opt;
    o.records = NULL;
    o.progress = s->opt->progress ? sim_progress : NULL;
    o.progress_arg = s->pg;
    s->pg->evals++;
    o.on_record = on_record;
    o.record_arg = s;
    memset(r, 0, sizeof *r);
    memset(s->tally, 0,
           (size_t)s->nrep * s->nreq * s->nslot * sizeof *s->tally);
    s->evals++;
    int rc = bh_sim_run(&s->sc, &o, r, NULL, s->msg, s->size);
    if (rc)
        s->err = rc;
    return rc;
}

/* The resource under search. */
enum resource { RES_LINES, RES_OPERATORS, RES_PORTS };

static void
set_capacity(struct sub *s, enum resource res, int n) {
    if (res == RES_LINES)
        s->num.lines = n;
    else if (res == RES_OPERATORS)
        s->num.queue.operators = n;
    else
        s->br.ports = n;
}

static struct memo *memo_keep(struct sub *s, const struct bh_results *r);

static int
pass(struct sub *s, enum resource res, int n) {
    for (int i = 0; i < s->ncache; i++)
        if (s->cache_n[i] == n) {
            s->fail_req = s->cache_fail[i];
            return s->cache_pass[i];
        }
    if (s->err || s->ncache >= MAX_EVALS)
        return 0;
    set_capacity(s, res, n);
    s->sc.horizon = s->search_horizon;
    struct bh_results r;
    int ok = simulate(s, &r) == 0 && meets(s, &r);
    if (!s->err && s->search_horizon == s->full_horizon)
        memo_keep(s, &r);
    bh_results_clear(&r);
    for (size_t q = 0; q < s->nreq; q++)
        s->cache_judged[s->ncache][q] =
            judged(s, q, &s->cache_slot[s->ncache][q]);
    s->cache_n[s->ncache] = n;
    s->cache_fail[s->ncache] = s->fail_req;
    s->cache_pass[s->ncache++] = ok;
    return ok;
}

/* Fewest n in [lo, hi] that passes, galloping from the guess, then
 * bisecting (pass is taken to be monotone in n). Returns -1 when even hi
 * fails. */
static int
search(struct sub *s, enum resource res, int guess, int lo, int hi) {
    s->ncache = 0;
    if (guess < lo)
        guess = lo;
    if (guess > hi)
        guess = hi;
    int good, bad; /* pass(good), !pass(bad), bad < good */
    if (pass(s, res, guess)) {
        good = guess;
        int step = 1;
        bad = lo - 1;
        while (good - step >= lo) {
            if (!pass(s, res, good - step)) {
                bad = good - step;
                break;
            }
            good -= step;
            step *= 2;
        }
    } else {
        bad = guess;
        int step = 1;
        good = -1;
        while (!s->err) {
            int n = bad + step > hi ? hi : bad + step;
            if (pass(s, res, n)) {
                good = n;
                break;
            }
            bad = n;
            if (n == hi)
                return -1;
            step *= 2;
        }
        if (good < 0)
            return -1;
    }
    while (good - bad > 1 && !s->err) {
        int mid = bad + (good - bad) / 2;
        if (pass(s, res, mid))
            good = mid;
        else
            bad = mid;
    }
    return s->err ? -1 : good;
}

/* The value the first requirement on metric m asks for (for a service
 * level, the one at time arg), else dflt. */
static double
req_value(const struct sub *s, enum bh_metric m, double arg, double dflt) {
    for (size_t q = 0; q < s->nreq; q++)
        if (s->req[q].metric == m &&
            (m != BH_METRIC_SERVICE_LEVEL || s->req[q].arg == arg || arg < 0))
            return s->req[q].value;
    return dflt;
}

/* The time (s) of the first service level required, else dflt. */
static double
sl_time(const struct sub *s, double dflt) {
    for (size_t q = 0; q < s->nreq; q++)
        if (s->req[q].metric == BH_METRIC_SERVICE_LEVEL)
            return s->req[q].arg;
    return dflt;
}

/* Remembers the horizon figures of results r of the capacities set:
 * blocking and the first service level asked. */
static struct memo *
memo_keep(struct sub *s, const struct bh_results *r) {
    struct memo *m = &s->memo[s->nmemo < MAX_MEMO ? s->nmemo++ : 0];
    m->lines = s->num.lines;
    m->ops = s->num.queue.operators;
    m->ports = s->br.ports;
    m->blocking = r->targets[0].blocking;
    /* a number only campaigns use: their blocking is the lines' */
    for (size_t i = 1; isnan(m->blocking.mean) && i < r->ntargets; i++)
        if (strcmp(r->targets[i].kind, "campaign") == 0)
            m->blocking = r->targets[i].blocking;
    m->sl = sl_of(r->targets[0].nsl, r->targets[0].sl, sl_time(s, NAN));
    return m;
}

/* Blocking and the first service level asked, over the horizon, at the
 * capacities set: simulated once per capacities (the figures now serve
 * both rows of a number; the recommendation's were often simulated by
 * the search already). */
static int
figures(struct sub *s, struct bh_estimate *blocking, struct bh_estimate *sl) {
    for (int i = 0; i < s->nmemo; i++) {
        const struct memo *m = &s->memo[i];
        if (m->lines == s->num.lines && m->ops == s->num.queue.operators &&
            m->ports == s->br.ports) {
            *blocking = m->blocking;
            *sl = m->sl;
            return 0;
        }
    }
    s->sc.horizon = s->full_horizon;
    struct bh_results r;
    int rc = simulate(s, &r);
    if (rc == 0) {
        const struct memo *m = memo_keep(s, &r);
        *blocking = m->blocking;
        *sl = m->sl;
    }
    bh_results_clear(&r);
    return rc;
}

/* A 30-day month of n lines (ports) or operators, priced as the rater
 * prices them (bh_rating_line_rental, bh_rating_operators); NaN when the
 * tariffs do not price that resource. */
static struct bh_estimate
month_cost(const struct bh_scenario *sc, int resource, int n) {
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    bh_money m;
    if (resource == RES_OPERATORS) {
        if (!tf->present || tf->operator_per_hour <= 0)
            return bh_estimate_exact(NAN);
        m = bh_rating_operators(tf, n, BH_RATING_MONTH);
    } else {
        if (!tf->present || tf->per_line_month <= 0)
            return bh_estimate_exact(NAN);
        m = bh_rating_line_rental(tf, n, BH_RATING_MONTH);
    }
    return bh_estimate_exact((double)m / (double)BH_MONEY_UNIT);
}

static void
row_init(struct bh_plan_row *row, const char *target, const char *res,
         int now) {
    memset(row, 0, sizeof *row);
    snprintf(row->target, sizeof row->target, "%s", target);
    snprintf(row->resource, sizeof row->resource, "%s", res);
    row->now = now;
    row->blocking_now = row->blocking_recommended = bh_estimate_exact(NAN);
    row->sl_now = row->sl_recommended = bh_estimate_exact(NAN);
    row->cost_now = row->cost_recommended = bh_estimate_exact(NAN);
    row->judged = bh_estimate_exact(NAN);
}

/* Upper end of a search: well past any sensible answer, bounded. */
static int
ceiling(double a, int now) {
    double c = 4 * a + 100;
    if (c < 2.0 * now)
        c = 2.0 * now;
    if (c > BH_SC_MAX_CAPACITY)
        c = BH_SC_MAX_CAPACITY;
    return (int)c;
}

/* How far candidates are simulated. The search judges only the records
 * that arrive in the judged period, by their pooled counts; a call that
 * arrived before the period's end is the same whether the simulation
 * goes on after it or not (each source's arrivals come from its own
 * stream, independent of the horizon; nothing after a call's arrival
 * moves it ahead in a line or queue; retrials of it arrive later), so
 * when the period is the busy hour and every requirement is such a
 * count, candidates run to the busy hour's end: the same answer as a run
 * over the whole horizon (test_plan.c: plan_search_span), and on a
 * 30-day horizon with a daily profile, 1/60 of the work per candidate.
 * Percentiles and incomplete meetings are judged over the horizon, so
 * with any of them candidates run the whole horizon. */
static void
search_span(struct sub *s) {
    s->full_horizon = s->search_horizon = s->sc.horizon;
    if (s->over != BH_PLAN_BUSY_HOUR || !(s->p1 < s->sc.horizon))
        return;
    for (size_t q = 0; q < s->nreq; q++)
        if (!tallied(s->req[q].metric))
            return;
    s->search_horizon = s->p1;
}

/* The sub-scenario of number or bridge idx, simulated with opt; errors go
 * to msg. Nothing to free when it fails. */
static int
sub_open(struct sub *s, const struct bh_scenario *sc, struct progress *pg,
         int is_bridge, int idx, char *msg, size_t size) {
    int rc = sub_make(s, sc, is_bridge, idx);
    if (rc) {
        sub_free(s);
        return rc;
    }
    const struct bh_sim_options *opt = pg->opt;
    s->opt = opt;
    s->pg = pg;
    s->msg = msg;
    s->size = size;
    s->nrep = opt->replications > 0 ? opt->replications : 1;
    double bytes = (double)s->nrep * (double)(s->nreq ? s->nreq : 1) *
                   (double)s->nslot * sizeof *s->tally;
    if (bytes > MAX_TALLY_BYTES) {
        sub_free(s);
        return plan_fail(msg, size, BH_ERANGE,
                         "plan_over every-interval with %zu intervals and "
                         "%d replications needs more than %u MiB; use "
                         "busy-hour or horizon, or fewer replications",
                         s->nslot, s->nrep, MAX_TALLY_BYTES >> 20);
    }
    s->tally = calloc((size_t)s->nrep * (s->nreq ? s->nreq : 1) * s->nslot,
                      sizeof *s->tally);
    if (!s->tally) {
        sub_free(s);
        return BH_ENOMEM;
    }
    search_span(s);
    return 0;
}

/* The loss model's fewest lines (or ports) at the busiest interval's
 * load (Erlang B; Hayward for meetings, Engset for a finite population)
 * at the blocking the target asks for; at least 1. */
static long
loss_guess(const struct sub *s, const struct bh_sim_busiest *bz) {
    double b = req_value(s, BH_METRIC_BLOCKING, 0, DEFAULT_BLOCKING);
    if (!(b > 0))
        b = 1e-6;
    long n = 1;
    if (bh_sim_loss_lines(bz, b, &n) || n < 1)
        n = 1;
    return n;
}

static const char *const res_name[] = {"lines", "operators", "ports"};

/* search() with its failures as error codes: 0 and *out, the simulation's
 * error, or BH_ERANGE with a message when even hi fails. */
static int
find(struct sub *s, enum resource res, const char *target, int guess, int lo,
     int hi, int *out, struct bh_plan_row *row) {
    int n = search(s, res, guess, lo, hi);
    if (s->err)
        return s->err;
    if (n < 0)
        return plan_fail(s->msg, s->size, BH_ERANGE,
                         "%s: no number of %s up to %d meets the thresholds "
                         "over the %s",
                         target, res_name[res], hi,
                         s->over == BH_PLAN_BUSY_HOUR ? "busy hour"
                         : s->over == BH_PLAN_HORIZON ? "horizon"
                                                      : "intervals");
    *out = n;
    /* what set the answer: the requirement one fewer fails */
    s->bind_q = -1;
    if (n > lo && !pass(s, res, n - 1))
        s->bind_q = s->fail_req;
    if (s->bind_q >= 0) {
        const struct req *k = &s->req[s->bind_q];
        if (k->expr)
            snprintf(row->binding, sizeof row->binding, "%s", k->expr);
        else if (k->metric == BH_METRIC_BLOCKING)
            snprintf(row->binding, sizeof row->binding,
                     "%s.blocking < 1%% (default)", k->target);
        else
            snprintf(row->binding, sizeof row->binding,
                     "%s.service_level(20s) >= 80%% (default)", k->target);
    } else {
        snprintf(row->binding, sizeof row->binding,
                 n == lo && lo > 1 ? "lines >= operators" : "the least");
    }
    return s->err;
}

/* "HH:MM" of t s since the horizon start. */
static void
clock_of(const struct bh_scenario *sc, double t, char *buf, size_t size) {
    double tod = fmod(sc->start + t, 86400.0);
    long m = (long)floor(tod / 60 + 1e-9);
    snprintf(buf, size, "%02ld:%02ld", m / 60 % 24, m % 60);
}

/* The row's judged figure at the recommendation rec (as the search
 * judged it there) and the period that set it. */
static void
row_judged(struct sub *s, struct bh_plan_row *row, int rec) {
    size_t q = s->bind_q >= 0 ? (size_t)s->bind_q : 0, slot = 0;
    char a[16], b[16];
    row->judged = bh_estimate_exact(NAN);
    for (int i = 0; s->nreq && i < s->ncache; i++)
        if (s->cache_n[i] == rec) {
            row->judged = s->cache_judged[i][q];
            slot = s->cache_slot[i][q];
        }
    switch (s->over) {
    case BH_PLAN_BUSY_HOUR:
        if (s->p1 - s->p0 > 3600 + 1e-9 && s->p1 - s->p0 > s->len + 1e-9) {
            snprintf(row->period, sizeof row->period,
                     "busy hour: every hour (flat load), the horizon");
            break;
        }
        clock_of(&s->sc, s->p0, a, sizeof a);
        clock_of(&s->sc, s->p1, b, sizeof b);
        snprintf(row->period, sizeof row->period, "busy hour %s-%s", a, b);
        break;
    case BH_PLAN_HORIZON:
        snprintf(row->period, sizeof row->period, "horizon");
        break;
    default:
        clock_of(&s->sc, (double)slot * s->len, a, sizeof a);
        snprintf(row->period, sizeof row->period, "every interval (%s)", a);
        break;
    }
}

/* Sets the sub-scenario's capacities: a number's lines and operators, or
 * a bridge's ports (operators unused). */
static void
set_capacities(struct sub *s, int lines_or_ports, int operators) {
    if (s->sc.sw.nbridges) {
        s->br.ports = lines_or_ports;
    } else {
        s->num.lines = lines_or_ports;
        s->num.queue.operators = operators;
    }
}

/* A row's blocking and service level now and at the recommendation, each
 * given as (lines or ports, operators). */
static int
row_figures(struct sub *s, struct bh_plan_row *row, int now, int now_ops,
            int rec, int rec_ops) {
    set_capacities(s, now, now_ops);
    int rc = figures(s, &row->blocking_now, &row->sl_now);
    set_capacities(s, rec, rec_ops);
    if (!rc)
        rc = figures(s, &row->blocking_recommended, &row->sl_recommended);
    if (!rc)
        row_judged(s, row, row->recommended);
    return rc;
}

static int
plan_number(const struct bh_scenario *sc, struct progress *pg, int ni,
            struct bh_plan_row *rows, size_t *nrows, int *rec_lines,
            int *rec_ops, char *msg, size_t size) {
    struct sub s;
    int rc = sub_open(&s, sc, pg, 0, ni, msg, size);
    if (rc)
        return rc;
    const struct bh_sc_number *orig = &sc->sw.numbers[ni];
    /* the busiest interval after the warm-up, of the number alone */
    struct bh_sim_busiest bz;
    bh_sim_busiest(&s.sc, BH_TARGET_NUMBER, 0, sc->sim.warmup, &bz);
    double a_lines = bz.offered, a_ops = bz.op_peak, aht = bz.aht;
    double patience = bz.patience;
    long lines_guess = loss_guess(&s, &bz);
    int ops = 0;
    if (orig->queue.present) {
        /* operators first, with lines that never block */
        struct bh_plan_row *row = &rows[(*nrows)++];
        row_init(row, orig->name, res_name[RES_OPERATORS],
                 orig->queue.operators);
        double slt = sl_time(&s, BH_SIM_SL_TIME);
        double sl = req_value(&s, BH_METRIC_SERVICE_LEVEL, slt, 0);
        double ab = req_value(&s, BH_METRIC_ABANDONMENT, 0, 1);
        if (sl >= 1)
            sl = 0.999;
        long g = 1;
        if (aht > 0 && a_ops > 0) {
            if (isfinite(patience))
                rc = bh_erlang_a_agents(a_ops, aht, patience, slt, sl,
                                        ab > 0 ? ab : 1e-6, &g, NULL);
            else
                rc = bh_erlang_c_agents(a_ops, aht, slt, sl, &g, NULL);
            if (rc || g < 1)
                g = (long)ceil(a_ops) + 1;
        }
        row->analytic = (int)g;
        int room = orig->queue.max_length > 0 ? orig->queue.max_length
                                              : 3 * (int)g + 50;
        int hi = ceiling(a_ops, orig->queue.operators);
        s.num.lines = hi + room + 1;
        rc = find(&s, RES_OPERATORS, orig->name, (int)g, 1, hi, &ops, row);
        if (!rc) {
            row->recommended = ops;
            rc = row_figures(&s, row, orig->lines, orig->queue.operators,
                             hi + room + 1, ops);
            row->cost_now =
                month_cost(sc, RES_OPERATORS, orig->queue.operators);
            row->cost_recommended = month_cost(sc, RES_OPERATORS, ops);
        }
        if (rc) {
            sub_free(&s);
            return rc;
        }
        if (lines_guess < ops)
            lines_guess = ops;
        progress_phase(pg, pg->phase + 1, PHASE_SIMULATIONS);
    }
    /* then lines, with the operators found */
    struct bh_plan_row *row = &rows[(*nrows)++];
    row_init(row, orig->name, res_name[RES_LINES], orig->lines);
    row->analytic = (int)lines_guess;
    int hi = ceiling(a_lines, orig->lines);
    if (orig->queue.present && orig->queue.max_length > 0 &&
        ops + orig->queue.max_length + 1 > hi)
        hi = ops + orig->queue.max_length + 1;
    /* fewer lines than operators would leave operators idle */
    int lo = orig->queue.present && ops > 0 ? ops : 1;
    if (hi < lo)
        hi = lo;
    int lines = 0;
    rc = find(&s, RES_LINES, orig->name, (int)lines_guess, lo, hi, &lines, row);
    if (!rc) {
        row->recommended = lines;
        rc = row_figures(&s, row, orig->lines, orig->queue.operators, lines,
                         orig->queue.present ? ops : orig->queue.operators);
        row->cost_now = month_cost(sc, RES_LINES, orig->lines);
        row->cost_recommended = month_cost(sc, RES_LINES, lines);
        *rec_lines = lines;
        *rec_ops = orig->queue.present ? ops : 0;
    }
    sub_free(&s);
    return rc;
}

static int
plan_bridge(const struct bh_scenario *sc, struct progress *pg, int bi,
            struct bh_plan_row *row, int *rec_ports, char *msg, size_t size) {
    struct sub s;
    int rc = sub_open(&s, sc, pg, 1, bi, msg, size);
    if (rc)
        return rc;
    const struct bh_sc_bridge *orig = &sc->sw.bridges[bi];
    struct bh_sim_busiest bz;
    bh_sim_busiest(&s.sc, BH_TARGET_BRIDGE, 0, sc->sim.warmup, &bz);
    double a = bz.offered;
    long g = loss_guess(&s, &bz);
    row_init(row, orig->name, res_name[RES_PORTS], orig->ports);
    row->analytic = (int)g;
    int hi = ceiling(a, orig->ports);
    int ports = 0;
    rc = find(&s, RES_PORTS, orig->name, (int)g, 1, hi, &ports, row);
    if (!rc) {
        row->recommended = ports;
        rc = row_figures(&s, row, orig->ports, 0, ports, 0);
        row->cost_now = month_cost(sc, RES_PORTS, orig->ports);
        row->cost_recommended = month_cost(sc, RES_PORTS, ports);
        *rec_ports = ports;
    }
    sub_free(&s);
    return rc;
}

int
bh_sim_plan(const struct bh_scenario *sc, const struct bh_sim_options *opt,
            struct bh_results *out, char *msg, size_t size) {
    if (msg && size)
        msg[0] = '\0';
    int rc = bh_sim_check(sc, msg, size);
    if (rc)
        return rc;
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        if (sc->sw.numbers[i].ivr.noptions)
            /* the search sizes one pool per number; a group's own search
             * is not written yet: say so rather than size the wrong pool */
            return plan_fail(msg, size, BH_EINVAL,
                             "%s: its voice menu routes to %zu operator "
                             "groups; plan does not size groups yet "
                             "(busyhour sim simulates them)",
                             sc->sw.numbers[i].name,
                             sc->sw.numbers[i].ivr.noptions);
    size_t nn = sc->sw.nnumbers, nb = sc->sw.nbridges;
    struct bh_plan_row *rows = calloc(2 * nn + nb + 1, sizeof *rows);
    struct bh_sc_number *num = calloc(nn + 1, sizeof *num);
    struct bh_sc_bridge *br = calloc(nb + 1, sizeof *br);
    if (!rows || !num || !br) {
        free(rows);
        free(num);
        free(br);
        return BH_ENOMEM;
    }
    size_t nrows = 0;
    struct progress pg = {.opt = opt, .phases = (double)nb + 1};
    for (size_t i = 0; i < nn; i++)
        pg.phases += sc->sw.numbers[i].queue.present ? 2 : 1;
    for (size_t i = 0; !rc && i < nn; i++) {
        num[i] = sc->sw.numbers[i];
        int lines = num[i].lines, ops = 0;
        progress_phase(&pg, pg.phase, PHASE_SIMULATIONS);
        rc =
            plan_number(sc, &pg, (int)i, rows, &nrows, &lines, &ops, msg, size);
        num[i].lines = lines;
        if (num[i].queue.present)
            num[i].queue.operators = ops;
        progress_phase(&pg, pg.phase + 1, PHASE_SIMULATIONS);
    }
    for (size_t i = 0; !rc && i < nb; i++) {
        br[i] = sc->sw.bridges[i];
        int ports = br[i].ports;
        rc = plan_bridge(sc, &pg, (int)i, &rows[nrows++], &ports, msg, size);
        br[i].ports = ports;
        progress_phase(&pg, pg.phase + 1, PHASE_SIMULATIONS);
    }
    if (!rc) {
        /* the whole scenario at the recommended capacities */
        struct bh_scenario rec = *sc;
        rec.sw.numbers = num;
        rec.sw.bridges = br;
        struct bh_sim_options o = *opt;
        o.records = NULL;
        o.progress = opt->progress ? sim_progress : NULL;
        o.progress_arg = &pg;
        progress_phase(&pg, pg.phase, 1);
        pg.evals = 1;
        rc = bh_sim_run(&rec, &o, out, NULL, msg, size);
        if (opt->progress)
            opt->progress(opt->progress_arg, 1, 1);
    }
    free(num);
    free(br);
    if (rc) {
        free(rows);
        return rc;
    }
    out->plan = rows;
    out->nplan = nrows;
    return 0;
}
