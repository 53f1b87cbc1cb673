/* test_sim_models.c: the simulator against exact queueing results:
 * M/M/N/N vs Erlang B (also with lognormal holding: insensitivity),
 * M/M/N vs Erlang C, M/M/N+M vs Erlang A, finite sources vs Engset. Each
 * at several loads, up to 95%+ occupancy. Every assertion: does the
 * interval across replications cover the exact value (99.9% checked, 95%
 * printed; see covers() in sim_testutil.h)? */
#include "sim_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define HOLD 100.0 /* s, mean holding time */
#define REPS 20

/* M/M/N/N: n lines, a Erlangs; horizon in holding times. */
static void
check_erlang_b(int n, double a, struct bh_dist holding, double horizon,
               unsigned long seed) {
    struct bh_scenario *sc = tsc_new(horizon * HOLD, horizon * HOLD, 20 * HOLD);
    int ni = tsc_number(sc, "trunk", n);
    tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni,
              a / HOLD * 3600, holding);
    struct bh_results r;
    assert_int_equal(tsc_run(sc, seed, REPS, 2, &r), 0);
    double b = ref_erlang_b(a, n);
    char what[96];
    snprintf(what, sizeof what, "B(%g E, %d lines) blocking", a, n);
    assert_true(covers(what, r.targets[0].blocking, REPS, b));
    snprintf(what, sizeof what, "B(%g E, %d lines) busy lines", a, n);
    assert_true(covers(what, r.targets[0].busy_mean, REPS, a * (1 - b)));
    printf("  occupancy %.3f\n", r.targets[0].occupancy.mean);
    bh_results_clear(&r);
    tsc_free(sc);
}

static void
erlang_b_loads(void **state) {
    check_erlang_b(10, 5, texp(HOLD), 2000, 11);
    check_erlang_b(20, 20, texp(HOLD), 1000, 12);
    check_erlang_b(50, 70, texp(HOLD), 400, 13); /* occupancy ~98% */
}

static void
insensitivity(void **state) {
    /* lognormal holding with sd twice the mean: still Erlang B */
    check_erlang_b(20, 15, tdist(BH_DIST_LOGNORMAL, HOLD, 2 * HOLD), 1000, 21);
    /* deterministic holding */
    check_erlang_b(10, 8, tdist(BH_DIST_DETERMINISTIC, HOLD, 0), 1000, 22);
}

/* M/M/N: n operators, a Erlangs, lines enough never to block. */
static void
check_erlang_c(int n, double a, double horizon, unsigned long seed) {
    struct bh_scenario *sc = tsc_new(horizon * HOLD, horizon * HOLD, 50 * HOLD);
    int ni = tsc_number(sc, "hotline", n + 2000);
    tsc_queue(sc, ni, n, 0, 0, 0);
    tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni,
              a / HOLD * 3600, texp(HOLD));
    tsc_threshold(sc, "hotline", BH_METRIC_SERVICE_LEVEL, 0, BH_OP_GE, 0);
    tsc_threshold(sc, "hotline", BH_METRIC_SERVICE_LEVEL, 30, BH_OP_GE, 0);
    struct bh_results r;
    assert_int_equal(tsc_run(sc, seed, REPS, 2, &r), 0);
    const struct bh_target_result *t = &r.targets[0];
    assert_true(t->nsl >= 2);
    assert_true(t->sl[0].t == 0 && t->sl[1].t == 30);
    double c = ref_erlang_c(a, n);
    double asa = c * HOLD / (n - a);
    double sl30 = 1 - c * exp(-(n - a) * 30 / HOLD);
    char what[96];
    struct bh_estimate pw = t->sl[0].value; /* answered at once */
    struct bh_estimate pwait = {1 - pw.mean, 1 - pw.hi, 1 - pw.lo};
    snprintf(what, sizeof what, "C(%g E, %d agents) P(wait)", a, n);
    assert_true(covers(what, pwait, REPS, c));
    snprintf(what, sizeof what, "C(%g E, %d agents) mean wait", a, n);
    assert_true(covers(what, t->wait_mean, REPS, asa));
    snprintf(what, sizeof what, "C(%g E, %d agents) SL(30s)", a, n);
    assert_true(covers(what, t->sl[1].value, REPS, sl30));
    snprintf(what, sizeof what, "C(%g E, %d agents) occupancy", a, n);
    assert_true(covers(what, t->occupancy, REPS, a / n));
    assert_true(t->blocking.mean == 0 &&
                t->blocking.hi < 0.001); /* Wilson: 0 of n */
    bh_results_clear(&r);
    tsc_free(sc);
}

static void
erlang_c_loads(void **state) {
    check_erlang_c(10, 7, 2000, 31);
    check_erlang_c(20, 17, 2000, 32);
    check_erlang_c(20, 19, 4000, 33); /* occupancy 95% */
}

/* M/M/N+M by its birth-death chain: P(wait) and P(abandon). */
static void
ref_erlang_a(double a, int n, double patience, double *p_wait,
             double *p_abandon) {
    double mu = 1 / HOLD, lambda = a * mu, theta = 1 / patience;
    double pi = 1, sum = 1, wait = 0, q = 0;
    for (int k = 1; k < n + 100000; k++) {
        double death = k <= n ? k * mu : n * mu + (k - n) * theta;
        pi *= lambda / death;
        sum += pi;
        if (k >= n)
            wait += pi;
        if (k > n)
            q += (k - n) * pi;
        if (k > n && pi < 1e-300)
            break;
    }
    /* PASTA: an arrival waits when it finds all n busy (state >= n);
     * abandonments per s = theta E[Q], per arrival / lambda */
    *p_wait = wait / sum;
    *p_abandon = theta * (q / sum) / lambda;
}

static void
check_erlang_a(int n, double a, double patience, double horizon,
               unsigned long seed) {
    struct bh_scenario *sc = tsc_new(horizon * HOLD, horizon * HOLD, 50 * HOLD);
    int ni = tsc_number(sc, "hotline", n + 2000);
    tsc_queue(sc, ni, n, 0, 0, 0);
    struct bh_sc_source *s =
        tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni,
                  a / HOLD * 3600, texp(HOLD));
    s->has_patience = true;
    s->patience = texp(patience);
    tsc_threshold(sc, "hotline", BH_METRIC_SERVICE_LEVEL, 0, BH_OP_GE, 0);
    struct bh_results r;
    assert_int_equal(tsc_run(sc, seed, REPS, 2, &r), 0);
    const struct bh_target_result *t = &r.targets[0];
    double pw, pab;
    ref_erlang_a(a, n, patience, &pw, &pab);
    char what[96];
    snprintf(what, sizeof what, "A(%g E, %d, pat %gs) P(abandon)", a, n,
             patience);
    assert_true(covers(what, t->abandonment, REPS, pab));
    struct bh_estimate at = t->sl[0].value; /* answered at once */
    struct bh_estimate pwait = {1 - at.mean, 1 - at.hi, 1 - at.lo};
    snprintf(what, sizeof what, "A(%g E, %d, pat %gs) P(wait)", a, n, patience);
    assert_true(covers(what, pwait, REPS, pw));
    bh_results_clear(&r);
    tsc_free(sc);
}

static void
erlang_a_loads(void **state) {
    check_erlang_a(10, 8, 200, 2000, 41);
    check_erlang_a(10, 10, 100, 2000, 42);
    check_erlang_a(20, 24, 60, 1000, 43); /* overloaded, occupancy ~98% */
}

/* Engset call congestion, by the recurrence over binomial terms. */
static double
ref_engset(int k, int n, double beta) {
    /* C(k-1, n) beta^n / sum_{i<=n} C(k-1, i) beta^i */
    double term = 1, sum = 1;
    for (int i = 1; i <= n; i++) {
        term *= (double)(k - i) / i * beta;
        sum += term;
    }
    return term / sum;
}

static void
check_engset(int k, int n, double beta, double horizon, unsigned long seed) {
    struct bh_scenario *sc = tsc_new(horizon * HOLD, horizon * HOLD, 20 * HOLD);
    int ni = tsc_number(sc, "pbx", n);
    /* each idle source calls at profile / k per hour: beta = that x h */
    struct bh_sc_source *s =
        tsc_calls(sc, "staff", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni,
                  beta / HOLD * 3600 * k, texp(HOLD));
    s->sources = k;
    struct bh_results r;
    assert_int_equal(tsc_run(sc, seed, REPS, 2, &r), 0);
    char what[96];
    snprintf(what, sizeof what, "Engset(%d src, %d lines, %g)", k, n, beta);
    assert_true(
        covers(what, r.targets[0].blocking, REPS, ref_engset(k, n, beta)));
    bh_results_clear(&r);
    tsc_free(sc);
}

static void
engset_loads(void **state) {
    check_engset(20, 10, 0.5, 2000, 51);
    check_engset(30, 10, 1.0, 1000, 52); /* occupancy ~97% */
    check_engset(12, 4, 0.2, 2000, 53);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erlang_b_loads), cmocka_unit_test(insensitivity),
        cmocka_unit_test(erlang_c_loads), cmocka_unit_test(erlang_a_loads),
        cmocka_unit_test(engset_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
