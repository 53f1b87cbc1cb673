/* sim_testutil.h: scenarios built by hand for simulator tests (no YAML),
 * and the confidence-interval check every statistical assertion uses. */
#ifndef BH_SIM_TESTUTIL_H
#define BH_SIM_TESTUTIL_H

#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline struct bh_dist
tdist(enum bh_dist_kind kind, double mean, double sd) {
    struct bh_dist d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.mean = mean;
    d.sd = sd;
    return d;
}

static inline struct bh_dist
texp(double mean) {
    return tdist(BH_DIST_EXPONENTIAL, mean, 0);
}

/* A scenario with nothing in it: horizon, interval, warm-up in s. */
static inline struct bh_scenario *
tsc_new(double horizon, double interval, double warmup) {
    struct bh_scenario *sc = calloc(1, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "test");
    sc->horizon = horizon;
    sc->interval = interval;
    sc->sim.warmup = warmup;
    sc->sim.replications = 1;
    sc->seed = 1;
    return sc;
}

static inline int
tsc_number(struct bh_scenario *sc, const char *name, int lines) {
    size_t i = sc->sw.nnumbers++;
    sc->sw.numbers =
        realloc(sc->sw.numbers, sc->sw.nnumbers * sizeof *sc->sw.numbers);
    struct bh_sc_number *n = &sc->sw.numbers[i];
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    n->lines = lines;
    return (int)i;
}

static inline void
tsc_queue(struct bh_scenario *sc, int ni, int operators, int max_length,
          double max_wait, double wrap_up) {
    struct bh_sc_queue *q = &sc->sw.numbers[ni].queue;
    q->present = true;
    q->operators = operators;
    q->max_length = max_length;
    q->max_wait = max_wait;
    q->wrap_up = wrap_up;
    q->strategy = BH_STRATEGY_LONGEST_IDLE;
}

static inline int
tsc_bridge(struct bh_scenario *sc, const char *name, int ports, int per_room) {
    size_t i = sc->sw.nbridges++;
    sc->sw.bridges =
        realloc(sc->sw.bridges, sc->sw.nbridges * sizeof *sc->sw.bridges);
    struct bh_sc_bridge *b = &sc->sw.bridges[i];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    b->ports = ports;
    b->max_per_room = per_room;
    return (int)i;
}

/* A source of calls at a constant rate (per hour) to a target. */
static inline struct bh_sc_source *
tsc_calls(struct bh_scenario *sc, const char *name, enum bh_source_kind kind,
          enum bh_target_kind tk, int target, double per_hour,
          struct bh_dist holding) {
    size_t i = sc->nsources++;
    sc->sources = realloc(sc->sources, sc->nsources * sizeof *sc->sources);
    struct bh_sc_source *s = &sc->sources[i];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->kind = kind;
    s->target_kind = tk;
    s->target = target;
    struct bh_profile *p = kind == BH_SOURCE_MEETINGS   ? &s->meetings.profile
                           : kind == BH_SOURCE_CAMPAIGN ? &s->campaign.profile
                                                        : &s->profile;
    p->n = 1;
    p->at[0] = 0;
    p->rate[0] = per_hour;
    s->holding = holding;
    return s;
}

static inline void
tsc_threshold(struct bh_scenario *sc, const char *target, enum bh_metric m,
              double arg, enum bh_op op, double value) {
    size_t i = sc->nthresholds++;
    sc->thresholds =
        realloc(sc->thresholds, sc->nthresholds * sizeof *sc->thresholds);
    struct bh_sc_threshold *t = &sc->thresholds[i];
    memset(t, 0, sizeof *t);
    snprintf(t->target, sizeof t->target, "%s", target);
    snprintf(t->expr, sizeof t->expr, "%s.%s", target, bh_metric_name(m));
    t->metric = m;
    t->arg = arg;
    t->op = op;
    t->value = value;
}

static inline void
tsc_free(struct bh_scenario *sc) {
    if (!sc)
        return;
    for (size_t i = 0; i < sc->nsources; i++)
        free(sc->sources[i].classes);
    free(sc->sources);
    free(sc->sw.numbers);
    free(sc->sw.bridges);
    free(sc->thresholds);
    free(sc);
}

/* Runs sc and returns its results (caller clears them). */
static inline int
tsc_run(const struct bh_scenario *sc, unsigned long seed, int reps, int threads,
        struct bh_results *res) {
    struct bh_sim_options o;
    memset(&o, 0, sizeof o);
    o.seed = seed;
    o.replications = reps;
    o.threads = threads;
    char msg[256];
    memset(res, 0, sizeof *res);
    int rc = bh_sim_run(sc, &o, res, NULL, msg, sizeof msg);
    if (rc)
        fprintf(stderr, "bh_sim_run: %s\n", msg);
    return rc;
}

/* The check of every statistical assertion: the tests report the 95%
 * interval but assert on the 99.9% interval of the same replications,
 * so that dozens of assertions rarely fail by chance (with fixed seeds
 * they are deterministic anyway). e95 is the 95% estimate from the
 * results; the wider interval is recomputed from it: the half-width
 * scales by t(0.9995, n-1) / t(0.975, n-1). */
#include <gsl/gsl_cdf.h>
static inline int
covers(const char *what, struct bh_estimate e95, int n, double exact) {
    double half = (e95.hi - e95.lo) / 2;
    double k =
        gsl_cdf_tdist_Pinv(0.9995, n - 1) / gsl_cdf_tdist_Pinv(0.975, n - 1);
    double lo = e95.mean - half * k, hi = e95.mean + half * k;
    int ok = lo <= exact && exact <= hi;
    printf("  %-34s exact %.6g  sim %.6g  95%% CI [%.6g, %.6g]  "
           "99.9%% [%.6g, %.6g] %s\n",
           what, exact, e95.mean, e95.lo, e95.hi, lo, hi,
           ok ? "covers" : "MISSES");
    return ok;
}

/* Exact references, computed here independently of erlang.c. */
static inline double
ref_erlang_b(double a, int n) {
    double b = 1;
    for (int k = 1; k <= n; k++)
        b = a * b / (k + a * b);
    return b;
}

static inline double
ref_erlang_c(double a, int n) {
    double b = ref_erlang_b(a, n);
    return n * b / (n - a * (1 - b));
}

#endif
