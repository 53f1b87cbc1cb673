/* thresholds.c: the scenario's pass/fail thresholds, evaluated on results
 * at the confidence bound that the direction of the limit requires. */
#include "reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct bh_target_result *
find_target(const struct bh_results *r, const char *name) {
    for (size_t i = 0; r->targets && i < r->ntargets; i++)
        if (strcmp(r->targets[i].name, name) == 0)
            return &r->targets[i];
    return NULL;
}

struct bh_estimate
bh_share_widen(struct bh_estimate e, double n) {
    if (isnan(e.mean) || !(n >= 1))
        return e;
    const double z = 1.959963984540054; /* 97.5% normal quantile */
    double p = e.mean < 0 ? 0 : e.mean > 1 ? 1 : e.mean;
    double z2 = z * z, d = n + z2;
    double mid = (p * n + z2 / 2) / d;
    double half = z / d * sqrt(p * (1 - p) * n + z2 / 4);
    double lo = mid - half < 0 ? 0 : mid - half;
    double hi = mid + half > 1 ? 1 : mid + half;
    if (!(e.hi >= hi))
        e.hi = hi;
    if (!(e.lo <= lo))
        e.lo = lo;
    return e;
}

/* A cost figure by payer, of the scenario ("cost") or of one target. */
static struct bh_estimate
cost_figure(const struct bh_results *r, const struct bh_sc_threshold *th) {
    const struct bh_estimate none = bh_estimate_exact(NAN);
    const struct bh_costs *c = &r->costs;
    if (!c->present || th->payer < 0 || th->payer >= BH_COST_PAYERS)
        return none;
    const struct bh_payer_costs *p = &c->by[th->payer];
    if (strcmp(th->target, "cost") != 0) {
        p = NULL;
        for (size_t i = 0; c->targets && i < c->ntargets; i++)
            if (strcmp(c->targets[i].name, th->target) == 0)
                p = &c->targets[i].by[th->payer];
        if (!p)
            return none;
    }
    switch (th->metric) {
    case BH_METRIC_COST_TOTAL:
        /* the scenario's total of both payers is costs.total (files
         * written before costs by payer have only that) */
        if (p == &c->by[BH_COST_ALL])
            return c->total;
        return p->total;
    case BH_METRIC_COST_PER_ANSWERED_CALL:
        return p->per_answered_call;
    case BH_METRIC_COST_PER_HOUR:
        return p->per_hour;
    case BH_METRIC_COST_PER_MONTH:
        return p->per_month;
    default:
        return none;
    }
}

/* The figure a threshold names; NaN when the results do not have it.
 * Measured shares (sim, load) are widened to their binomial interval;
 * analytic figures are exact and stand as they are. */
static struct bh_estimate
figure(const struct bh_results *r, const struct bh_sc_threshold *th) {
    const struct bh_estimate none = bh_estimate_exact(NAN);
    switch (th->metric) {
    case BH_METRIC_COST_PER_CALL:
        return r->costs.present ? r->costs.per_call : none;
    case BH_METRIC_COST_PER_PARTICIPANT:
        return r->costs.present ? r->costs.per_participant : none;
    case BH_METRIC_COST_TOTAL:
    case BH_METRIC_COST_PER_ANSWERED_CALL:
    case BH_METRIC_COST_PER_HOUR:
    case BH_METRIC_COST_PER_MONTH:
        return cost_figure(r, th);
    default:
        break;
    }
    const struct bh_target_result *t = find_target(r, th->target);
    return t ? bh_target_figure(r, t, th->metric, th->arg) : none;
}

struct bh_estimate
bh_target_figure(const struct bh_results *r, const struct bh_target_result *t,
                 enum bh_metric metric, double arg) {
    const struct bh_estimate none = bh_estimate_exact(NAN);
    double reps = r->replications > 0 ? r->replications : 1;
    double calls = r->source == BH_SOURCE_ANALYTIC ? 0 : t->offered.mean * reps;
    double meetings =
        r->source == BH_SOURCE_ANALYTIC ? 0 : t->meetings.mean * reps;
    switch (metric) {
    case BH_METRIC_BLOCKING:
        return bh_share_widen(t->blocking, calls);
    case BH_METRIC_ABANDONMENT:
        return bh_share_widen(t->abandonment, calls);
    case BH_METRIC_SERVICE_LEVEL:
        for (size_t i = 0; i < t->nsl && i < BH_RES_MAX_SL; i++)
            if (fabs(t->sl[i].t - arg) < 1e-6)
                return bh_share_widen(t->sl[i].value, calls);
        return none;
    case BH_METRIC_WAIT_MEAN:
        return t->wait_mean;
    case BH_METRIC_WAIT_P90:
        return t->wait_p90;
    case BH_METRIC_WAIT_P99:
        return t->wait_p99;
    case BH_METRIC_OCCUPANCY:
        return t->occupancy;
    case BH_METRIC_INCOMPLETE_MEETINGS:
        return bh_share_widen(t->incomplete_meetings, meetings);
    default:
        return none;
    }
}

double
bh_threshold_bound(struct bh_estimate e, enum bh_op op) {
    /* A limit from above ("<", "<=") must hold for the worst plausible
     * value, the upper bound; a limit from below (">", ">=") for the lower
     * bound. A figure without an interval is its own bound. */
    double b = (op == BH_OP_LT || op == BH_OP_LE) ? e.hi : e.lo;
    return isnan(b) ? e.mean : b;
}

bool
bh_threshold_compare(double value, enum bh_op op, double limit) {
    if (isnan(value) || isnan(limit))
        return false; /* not measured: cannot be shown to pass */
    switch (op) {
    case BH_OP_LT:
        return value < limit;
    case BH_OP_LE:
        return value <= limit;
    case BH_OP_GT:
        return value > limit;
    case BH_OP_GE:
        return value >= limit;
    }
    return false;
}

int
bh_thresholds_eval(const struct bh_scenario *sc, struct bh_results *r) {
    if (!sc || !r)
        return BH_EINVAL;
    struct bh_threshold_result *out = NULL;
    if (sc->nthresholds) {
        out = calloc(sc->nthresholds, sizeof *out);
        if (!out)
            return BH_ENOMEM;
    }
    int failed = 0;
    for (size_t i = 0; i < sc->nthresholds; i++) {
        const struct bh_sc_threshold *th = &sc->thresholds[i];
        struct bh_threshold_result *t = &out[i];
        snprintf(t->expr, sizeof t->expr, "%s", th->expr);
        t->limit = th->value;
        t->value = bh_threshold_bound(figure(r, th), th->op);
        t->pass = bh_threshold_compare(t->value, th->op, th->value);
        if (!t->pass)
            failed++;
    }
    free(r->thresholds);
    r->thresholds = out;
    r->nthresholds = sc->nthresholds;
    return failed;
}

int
bh_results_failed(const struct bh_results *r) {
    int n = 0;
    for (size_t i = 0; r && r->thresholds && i < r->nthresholds; i++)
        if (!r->thresholds[i].pass)
            n++;
    return n;
}
