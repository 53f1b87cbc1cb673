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

/* The figure a threshold names; NaN when the results do not have it. */
static struct bh_estimate
figure(const struct bh_results *r, const struct bh_sc_threshold *th) {
    const struct bh_estimate none = bh_estimate_exact(NAN);
    switch (th->metric) {
    case BH_METRIC_COST_PER_CALL:
        return r->costs.present ? r->costs.per_call : none;
    case BH_METRIC_COST_PER_PARTICIPANT:
        return r->costs.present ? r->costs.per_participant : none;
    case BH_METRIC_COST_TOTAL:
        return r->costs.present ? r->costs.total : none;
    default:
        break;
    }
    const struct bh_target_result *t = find_target(r, th->target);
    if (!t)
        return none;
    switch (th->metric) {
    case BH_METRIC_BLOCKING:
        return t->blocking;
    case BH_METRIC_ABANDONMENT:
        return t->abandonment;
    case BH_METRIC_SERVICE_LEVEL:
        for (size_t i = 0; i < t->nsl && i < BH_RES_MAX_SL; i++)
            if (fabs(t->sl[i].t - th->arg) < 1e-6)
                return t->sl[i].value;
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
        return t->incomplete_meetings;
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
