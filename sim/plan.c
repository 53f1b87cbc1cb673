/* plan.c: capacity planning: the fewest lines, operators and ports that
 * meet the thresholds at every interval, first from the exact formulas at
 * the busiest interval, then confirmed and refined by simulation. */
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

/* One requirement on a target: metric OP value (a threshold). The
 * target is the number or bridge planned, or a campaign dialling out
 * through the number: its thresholds size the number's lines too. */
struct req {
    const char *target; /* name in the results */
    enum bh_metric metric;
    double arg;
    enum bh_op op;
    double value;
};

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
    const struct bh_sim_options *opt;
    int evals;
    /* cache of evaluations: capacity -> pass */
    int cache_n[MAX_EVALS];
    int cache_pass[MAX_EVALS];
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
                s->req[s->nreq++] =
                    (struct req){t->target, t->metric, t->arg, t->op,
                                 t->value};
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
        s->req[s->nreq++] = (struct req){name, BH_METRIC_BLOCKING, 0,
                                         BH_OP_LT, DEFAULT_BLOCKING};
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
            s->req[s->nreq++] = (struct req){x->name, BH_METRIC_BLOCKING, 0,
                                             BH_OP_LT, DEFAULT_BLOCKING};
    }
    if (!has_wait && !is_bridge && s->num.queue.present && s->nreq < MAX_REQS)
        s->req[s->nreq++] =
            (struct req){name, BH_METRIC_SERVICE_LEVEL, BH_SIM_SL_TIME,
                         BH_OP_GE, DEFAULT_SL};
    return 0;
}

static int
bound_ok(struct bh_estimate e, enum bh_op op, double value) {
    if (isnan(e.mean))
        return 1; /* not measured (no calls): nothing to fail */
    /* the bound itself, never the mean: a figure without an interval
     * (NaN bound) does not pass */
    double b = op == BH_OP_LT || op == BH_OP_LE ? e.hi : e.lo;
    return bh_threshold_compare(b, op, value);
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

/* Does r meet every requirement, overall and per interval? */
static int
meets(const struct sub *s, const struct bh_results *r) {
    for (size_t q = 0; q < s->nreq; q++) {
        const struct req *k = &s->req[q];
        long ti = target_index(r, k->target);
        if (ti < 0)
            continue; /* not in the results: nothing measured */
        /* Over the horizon: judged as the verdict judges it. */
        struct bh_estimate e =
            bh_target_figure(r, &r->targets[ti], k->metric, k->arg);
        if (!bound_ok(e, k->op, k->value))
            return 0;
        for (size_t i = 0; i < r->nintervals; i++) {
            const struct bh_interval_result *ir =
                &r->intervals[(size_t)ti * r->nintervals + i];
            if (ir->start + r->interval <= r->warmup)
                continue;
            /* Per interval the pooled figure itself: an interval's
             * honest interval (bh_ratio_estimate: at least the binomial
             * one of its calls) is too wide in a quiet night interval to
             * clear any useful target, and the horizon's figure above
             * is already judged on its bound. */
            switch (k->metric) {
            case BH_METRIC_BLOCKING:
                e = ir->blocking;
                break;
            case BH_METRIC_ABANDONMENT:
                e = ir->abandonment;
                break;
            case BH_METRIC_SERVICE_LEVEL:
                e = sl_of(ir->nsl, ir->sl, k->arg);
                break;
            case BH_METRIC_WAIT_MEAN:
                e = ir->wait_mean;
                break;
            default:
                continue; /* only over the horizon */
            }
            if (!bound_ok(bh_estimate_exact(e.mean), k->op, k->value))
                return 0;
        }
    }
    return 1;
}

static int
simulate(struct sub *s, struct bh_results *r) {
    struct bh_sim_options o = *s->opt;
    o.records = NULL;
    o.progress = NULL;
    memset(r, 0, sizeof *r);
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

static int
pass(struct sub *s, enum resource res, int n) {
    for (int i = 0; i < s->ncache; i++)
        if (s->cache_n[i] == n)
            return s->cache_pass[i];
    if (s->err || s->ncache >= MAX_EVALS)
        return 0;
    set_capacity(s, res, n);
    struct bh_results r;
    int ok = simulate(s, &r) == 0 && meets(s, &r);
    bh_results_clear(&r);
    s->cache_n[s->ncache] = n;
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

/* Blocking and the first service level asked, at the capacity set. */
static int
figures(struct sub *s, struct bh_estimate *blocking, struct bh_estimate *sl) {
    struct bh_results r;
    int rc = simulate(s, &r);
    if (rc == 0) {
        *blocking = r.targets[0].blocking;
        /* a number only campaigns use: their blocking is the lines' */
        for (size_t i = 1; isnan(blocking->mean) && i < r.ntargets; i++)
            if (strcmp(r.targets[i].kind, "campaign") == 0)
                *blocking = r.targets[i].blocking;
        *sl = sl_of(r.targets[0].nsl, r.targets[0].sl, sl_time(s, NAN));
    }
    bh_results_clear(&r);
    return rc;
}

static struct bh_estimate
rental(const struct bh_scenario *sc, int n) {
    if (!sc->tariffs.present || sc->tariffs.per_line_month <= 0)
        return bh_estimate_exact(NAN);
    return bh_estimate_exact((double)n * (double)sc->tariffs.per_line_month /
                             (double)BH_MONEY_UNIT);
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

/* The sub-scenario of number or bridge idx, simulated with opt; errors go
 * to msg. Nothing to free when it fails. */
static int
sub_open(struct sub *s, const struct bh_scenario *sc,
         const struct bh_sim_options *opt, int is_bridge, int idx, char *msg,
         size_t size) {
    int rc = sub_make(s, sc, is_bridge, idx);
    if (rc) {
        sub_free(s);
        return rc;
    }
    s->opt = opt;
    s->msg = msg;
    s->size = size;
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
     int hi, int *out) {
    int n = search(s, res, guess, lo, hi);
    if (s->err)
        return s->err;
    if (n < 0)
        return plan_fail(s->msg, s->size, BH_ERANGE,
                         "%s: no number of %s up to %d meets the thresholds "
                         "on their confidence bounds (a target this small "
                         "may need more replications or a longer horizon "
                         "to show)",
                         target, res_name[res], hi);
    *out = n;
    return 0;
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
    return rc;
}

static int
plan_number(const struct bh_scenario *sc, const struct bh_sim_options *opt,
            int ni, struct bh_plan_row *rows, size_t *nrows, int *rec_lines,
            int *rec_ops, char *msg, size_t size) {
    struct sub s;
    int rc = sub_open(&s, sc, opt, 0, ni, msg, size);
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
        rc = find(&s, RES_OPERATORS, orig->name, (int)g, 1, hi, &ops);
        if (!rc) {
            row->recommended = ops;
            rc = row_figures(&s, row, orig->lines, orig->queue.operators,
                             hi + room + 1, ops);
        }
        if (rc) {
            sub_free(&s);
            return rc;
        }
        if (lines_guess < ops)
            lines_guess = ops;
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
    rc = find(&s, RES_LINES, orig->name, (int)lines_guess, lo, hi, &lines);
    if (!rc) {
        row->recommended = lines;
        rc = row_figures(&s, row, orig->lines, orig->queue.operators, lines,
                         orig->queue.present ? ops : orig->queue.operators);
        row->cost_now = rental(sc, orig->lines);
        row->cost_recommended = rental(sc, lines);
        *rec_lines = lines;
        *rec_ops = orig->queue.present ? ops : 0;
    }
    sub_free(&s);
    return rc;
}

static int
plan_bridge(const struct bh_scenario *sc, const struct bh_sim_options *opt,
            int bi, struct bh_plan_row *row, int *rec_ports, char *msg,
            size_t size) {
    struct sub s;
    int rc = sub_open(&s, sc, opt, 1, bi, msg, size);
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
    rc = find(&s, RES_PORTS, orig->name, (int)g, 1, hi, &ports);
    if (!rc) {
        row->recommended = ports;
        rc = row_figures(&s, row, orig->ports, 0, ports, 0);
        row->cost_now = rental(sc, orig->ports);
        row->cost_recommended = rental(sc, ports);
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
    double total = (double)(nn + nb) + 1, done = 0;
    for (size_t i = 0; !rc && i < nn; i++) {
        num[i] = sc->sw.numbers[i];
        int lines = num[i].lines, ops = 0;
        rc =
            plan_number(sc, opt, (int)i, rows, &nrows, &lines, &ops, msg, size);
        num[i].lines = lines;
        if (num[i].queue.present)
            num[i].queue.operators = ops;
        if (opt->progress)
            opt->progress(opt->progress_arg, ++done, total);
    }
    for (size_t i = 0; !rc && i < nb; i++) {
        br[i] = sc->sw.bridges[i];
        int ports = br[i].ports;
        rc = plan_bridge(sc, opt, (int)i, &rows[nrows++], &ports, msg, size);
        br[i].ports = ports;
        if (opt->progress)
            opt->progress(opt->progress_arg, ++done, total);
    }
    if (!rc) {
        /* the whole scenario at the recommended capacities */
        struct bh_scenario rec = *sc;
        rec.sw.numbers = num;
        rec.sw.bridges = br;
        struct bh_sim_options o = *opt;
        o.records = NULL;
        o.progress = NULL;
        rc = bh_sim_run(&rec, &o, out, NULL, msg, size);
        if (opt->progress)
            opt->progress(opt->progress_arg, total, total);
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
