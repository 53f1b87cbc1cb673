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

/* Issue 15 item 15: a voice menu with two choices, each to its own
 * operator group on the number's lines: 70% of 8 Erlangs to 7 operators
 * (5.6 E), 30% to 3 (2.4 E). Each group is its own M/M/n queue, so the
 * number's figures are the share-weighted Erlang C of the groups: mean
 * wait 0.7 ASA(5.6, 7) + 0.3 ASA(2.4, 3), and so on; one queue for all
 * ten operators (8 E on 10) would wait far less, which the simulator
 * must not show. */
static void
ivr_groups_vs_erlang_c(void **state) {
    (void)state;
    const double horizon = 2000, a = 8;
    struct bh_scenario *sc = tsc_new(horizon * HOLD, horizon * HOLD, 50 * HOLD);
    int ni = tsc_number(sc, "hotline", 2000);
    tsc_queue(sc, ni, 10, 0, 0, 0);
    struct bh_sc_ivr *v = &sc->sw.numbers[ni].ivr;
    v->present = true;
    v->menu_time = 0;
    v->noptions = 2;
    v->options[0] = (struct bh_sc_ivr_option){'1', "sales", 0.7, 7, {0, 0}};
    v->options[1] = (struct bh_sc_ivr_option){'2', "support", 0.3, 3, {0, 0}};
    tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni,
              a / HOLD * 3600, texp(HOLD));
    tsc_threshold(sc, "hotline", BH_METRIC_SERVICE_LEVEL, 30, BH_OP_GE, 0);
    struct bh_results r;
    assert_int_equal(tsc_run(sc, 41, REPS, 2, &r), 0);
    const struct bh_target_result *t = &r.targets[0];
    struct bh_erlang_c g1, g2, all;
    assert_int_equal(bh_erlang_c_eval(0.7 * a, 7, HOLD, 30, &g1), 0);
    assert_int_equal(bh_erlang_c_eval(0.3 * a, 3, HOLD, 30, &g2), 0);
    assert_int_equal(bh_erlang_c_eval(a, 10, HOLD, 30, &all), 0);
    double asa = 0.7 * g1.asa + 0.3 * g2.asa;
    double sl = 0.7 * g1.service_level + 0.3 * g2.service_level;
    printf("  groups: mean wait %.2f s [%.2f, %.2f] (Erlang C per group "
           "%.2f s, one queue %.2f s); SL(30s) %.4f (per group %.4f, one "
           "queue %.4f)\n",
           t->wait_mean.mean, t->wait_mean.lo, t->wait_mean.hi, asa, all.asa,
           t->sl[0].value.mean, sl, all.service_level);
    assert_true(covers("groups: mean wait", t->wait_mean, REPS, asa));
    assert_true(covers("groups: SL(30s)", t->sl[0].value, REPS, sl));
    assert_true(t->wait_mean.lo > 2 * all.asa);
    /* every operator is busy with its own group's callers only: the
     * number's occupancy is still 8 of 10 */
    assert_true(covers("groups: occupancy", t->occupancy, REPS, a / 10));
    bh_results_clear(&r);
    /* the analytic figures are the groups' too */
    assert_int_equal(bh_sim_analytic(sc, &r), 0);
    printf("  analytic: mean wait %.2f s, SL(30s) %.4f\n",
           r.targets[0].wait_mean.mean, r.targets[0].sl[0].value.mean);
    assert_true(fabs(r.targets[0].wait_mean.mean - asa) < 1e-6 * asa);
    assert_true(fabs(r.targets[0].sl[0].value.mean - sl) < 1e-9);
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
        cmocka_unit_test(erlang_b_loads),
        cmocka_unit_test(insensitivity),
        cmocka_unit_test(erlang_c_loads),
        cmocka_unit_test(erlang_a_loads),
        cmocka_unit_test(ivr_groups_vs_erlang_c),
        cmocka_unit_test(engset_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
