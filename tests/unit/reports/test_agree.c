/* test_agree.c: the agreement of one measured run with the simulation
 * (agree.c): inside, outside, widened by the run's own sampling error,
 * shares widened to at least their Wilson interval, figures not measured
 * or not simulated, and the sentence the report states. The expected
 * errors are computed here from the formulas reports.h states, not by
 * calling agree.c's helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054
#define T975_19 2.093024054408263 /* Student t, 97.5%, 19 d.f. */
#define REPS 20

static struct bh_estimate
est(double m, double lo, double hi) {
    struct bh_estimate e = {m, lo, hi};
    return e;
}

/* One replication's 95% spread from the interval of the mean of 20. */
static double
spread(double lo, double hi) {
    return (hi - lo) / 2 * sqrt((double)REPS) * Z95 / T975_19;
}

/* The larger side of the 95% Wilson score interval of p over n. */
static double
wilson(double p, double n) {
    double z2 = Z95 * Z95;
    double mid = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = Z95 / (1 + z2 / n) * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    double up = fmin(1, mid + half) - p, down = p - fmax(0, mid - half);
    return up > down ? up : down;
}

/* sim: "hotline" with a queue (one service level) and "info" without;
 * load: the same targets, figures set by each test. */
static void
make(struct bh_results *sim, struct bh_results *load) {
    memset(sim, 0, sizeof *sim);
    memset(load, 0, sizeof *load);
    assert_int_equal(bh_results_init(sim, 2, 0), 0);
    assert_int_equal(bh_results_init(load, 2, 0), 0);
    sim->replications = REPS;
    load->replications = 1;
    struct bh_results *rs[2] = {sim, load};
    for (int i = 0; i < 2; i++) {
        struct bh_target_result *h = &rs[i]->targets[0];
        struct bh_target_result *n = &rs[i]->targets[1];
        strcpy(h->name, "hotline");
        strcpy(h->kind, "number");
        h->lines = 10;
        h->operators = 8;
        h->nsl = 1;
        h->sl[0].t = 20;
        strcpy(n->name, "info");
        strcpy(n->kind, "number");
        n->lines = 4;
    }
    struct bh_target_result *h = &sim->targets[0], *n = &sim->targets[1];
    h->offered = est(220, 215, 225);
    h->blocking = est(0.02, 0.015, 0.025);
    h->abandonment = est(0.04, 0.035, 0.045);
    h->wait_mean = est(2.0, 1.6, 2.4);
    h->sl[0].value = est(0.90, 0.88, 0.92);
    n->offered = est(100, 95, 105);
    n->blocking = est(0.10, 0.09, 0.11);
    struct bh_target_result *lh = &load->targets[0], *ln = &load->targets[1];
    lh->offered = lh->answered = est(200, 200, 200);
    lh->blocking = est(0.02, 0.02, 0.02);
    lh->abandonment = est(0.04, 0.04, 0.04);
    lh->wait_mean = est(2.0, 2.0, 2.0);
    lh->sl[0].value = est(0.90, 0.90, 0.90);
    ln->offered = est(100, 100, 100);
    ln->blocking = est(0.10, 0.10, 0.10);
}

static const struct bh_agreement *
get(const struct bh_agreement *a, size_t n, const char *target,
    const char *figure) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].target, target) == 0 &&
            strcmp(a[i].figure, figure) == 0)
            return &a[i];
    fail_msg("no %s %s", target, figure);
    return NULL;
}

static void
test_figures_tested(void **state) {
    (void)state;
    struct bh_results sim, load;
    make(&sim, &load);
    struct bh_agreement a[BH_AGREE_MAX];
    size_t n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    /* hotline: blocking, abandonment, wait mean, service level 20s; info
     * (no queue): blocking only */
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(a[i].agrees, 1);
    assert_true(get(a, n, "hotline", "service level 20s")->share);
    assert_false(get(a, n, "hotline", "wait mean")->share);
    /* max bounds what is written */
    assert_int_equal(bh_agree_test(&sim, &load, NULL, a, 2), 2);
    bh_results_clear(&sim);
    bh_results_clear(&load);
}

static void
test_inside_outside(void **state) {
    (void)state;
    struct bh_results sim, load;
    make(&sim, &load);
    struct bh_agreement a[BH_AGREE_MAX];
    /* the mean wait: no Wilson, the error is one replication's spread */
    double e = spread(1.6, 2.4);
    load.targets[0].wait_mean.mean = 2.4 + e - 1e-3; /* widened: inside */
    size_t n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    const struct bh_agreement *w = get(a, n, "hotline", "wait mean");
    assert_float_equal(w->error, e, 1e-9);
    assert_int_equal(w->agrees, 1);
    load.targets[0].wait_mean.mean = 2.4 + e + 1e-3; /* beyond: outside */
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "hotline", "wait mean")->agrees, 0);
    load.targets[0].wait_mean.mean = 1.6 - e - 1e-3; /* below too */
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "hotline", "wait mean")->agrees, 0);
    load.targets[0].wait_mean.mean = 1.6 - e + 1e-3;
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "hotline", "wait mean")->agrees, 1);
    /* a share far outside */
    load.targets[1].blocking.mean = 0.5;
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "info", "blocking")->agrees, 0);
    bh_results_clear(&sim);
    bh_results_clear(&load);
}

static void
test_share_spread_or_wilson(void **state) {
    (void)state;
    struct bh_results sim, load;
    make(&sim, &load);
    struct bh_agreement a[BH_AGREE_MAX];
    /* a wide simulated interval: one replication's spread beats Wilson */
    sim.targets[1].blocking = est(0.10, 0.05, 0.15);
    load.targets[1].offered.mean = 10000;
    double e = spread(0.05, 0.15);
    assert_true(e > wilson(0.2, 10000));
    load.targets[1].blocking.mean = 0.15 + e - 1e-4;
    size_t n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    const struct bh_agreement *b = get(a, n, "info", "blocking");
    assert_float_equal(b->error, e, 1e-9);
    assert_int_equal(b->agrees, 1);
    load.targets[1].blocking.mean = 0.15 + e + 1e-4;
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "info", "blocking")->agrees, 0);

    /* a narrow one over few calls: the run's Wilson half-width rules */
    sim.targets[1].blocking = est(0.10, 0.099, 0.101);
    load.targets[1].offered.mean = 50;
    double m = 0.2;
    load.targets[1].blocking.mean = m;
    double w = wilson(m, 50);
    assert_true(w > spread(0.099, 0.101));
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    b = get(a, n, "info", "blocking");
    assert_float_equal(b->error, w, 1e-6);
    assert_float_equal(b->calls, 50, 0);
    /* 0.2 lies within 0.101 + w (w is about 0.12 over 50 calls) */
    assert_true(m <= 0.101 + w);
    assert_int_equal(b->agrees, 1);
    /* the same share over 5000 calls is far outside */
    load.targets[1].offered.mean = 5000;
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    b = get(a, n, "info", "blocking");
    assert_float_equal(b->error, wilson(m, 5000), 1e-6);
    assert_int_equal(b->agrees, 0);
    bh_results_clear(&sim);
    bh_results_clear(&load);
}

static void
test_not_measured(void **state) {
    (void)state;
    struct bh_results sim, load;
    make(&sim, &load);
    struct bh_agreement a[BH_AGREE_MAX];
    /* a target the run did not drive: NaN offered */
    load.targets[1].offered.mean = NAN;
    load.targets[1].blocking.mean = NAN;
    size_t n = bh_agree_test(&sim, &load, "no carrier", a, BH_AGREE_MAX);
    const struct bh_agreement *b = get(a, n, "info", "blocking");
    assert_int_equal(b->agrees, -1);
    assert_true(isnan(b->measured));
    assert_string_equal(b->why, "not measured: no carrier");
    char buf[256];
    bh_agree_format(b, buf, sizeof buf);
    assert_string_equal(buf, "not measured: no carrier");
    /* measured calls, but none gives the figure (no call answered) */
    load.targets[0].wait_mean.mean = NAN;
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    const struct bh_agreement *w = get(a, n, "hotline", "wait mean");
    assert_int_equal(w->agrees, -1);
    assert_non_null(strstr(w->why, "not measured"));
    /* not simulated */
    load.targets[0].wait_mean.mean = 2;
    sim.targets[0].wait_mean = est(NAN, NAN, NAN);
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "hotline", "wait mean")->agrees, -1);
    assert_string_equal(get(a, n, "hotline", "wait mean")->why,
                        "not simulated");
    /* a target missing from the measured file */
    strcpy(load.targets[1].name, "other");
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "info", "blocking")->agrees, -1);
    assert_string_equal(get(a, n, "info", "blocking")->why, "not measured");
    /* no files at all */
    assert_int_equal(bh_agree_test(NULL, &load, NULL, a, BH_AGREE_MAX), 0);
    bh_results_clear(&sim);
    bh_results_clear(&load);
}

/* A bridge: blocking and the share of incomplete meetings, the latter
 * widened by Wilson over the run's meetings, not its calls. */
static void
test_bridge(void **state) {
    (void)state;
    struct bh_results sim, load;
    memset(&sim, 0, sizeof sim);
    memset(&load, 0, sizeof load);
    assert_int_equal(bh_results_init(&sim, 1, 0), 0);
    assert_int_equal(bh_results_init(&load, 1, 0), 0);
    sim.replications = REPS;
    strcpy(sim.targets[0].name, "conf");
    strcpy(sim.targets[0].kind, "bridge");
    strcpy(load.targets[0].name, "conf");
    strcpy(load.targets[0].kind, "bridge");
    sim.targets[0].blocking = est(0.09, 0.03, 0.15);
    sim.targets[0].incomplete_meetings = est(0.10, 0.099, 0.101);
    load.targets[0].offered = est(40, 40, 40);
    load.targets[0].blocking = est(0.05, 0.05, 0.05);
    load.targets[0].meetings = est(10, 10, 10);
    load.targets[0].incomplete_meetings = est(0.3, 0.3, 0.3);
    struct bh_agreement a[BH_AGREE_MAX];
    size_t n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(n, 2);
    const struct bh_agreement *m = get(a, n, "conf", "incomplete meetings");
    assert_true(m->share);
    assert_float_equal(m->calls, 10, 0);
    assert_float_equal(m->error, wilson(0.3, 10), 1e-6);
    assert_int_equal(m->agrees, 0.3 <= 0.101 + wilson(0.3, 10));
    /* no meeting finished in the run: not measured */
    load.targets[0].incomplete_meetings = est(NAN, NAN, NAN);
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    assert_int_equal(get(a, n, "conf", "incomplete meetings")->agrees, -1);
    assert_int_equal(get(a, n, "conf", "blocking")->agrees, 1);
    bh_results_clear(&sim);
    bh_results_clear(&load);
}

static void
test_format(void **state) {
    (void)state;
    struct bh_results sim, load;
    make(&sim, &load);
    struct bh_agreement a[BH_AGREE_MAX];
    sim.targets[0].blocking = est(0.018, 0.015, 0.022);
    load.targets[0].blocking.mean = 0.021;
    load.targets[0].offered.mean = 1e6; /* Wilson negligible */
    size_t n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    char buf[256], want[256];
    const struct bh_agreement *b = get(a, n, "hotline", "blocking");
    bh_agree_format(b, buf, sizeof buf);
    snprintf(want, sizeof want,
             "measured 2.10%% within simulated 1.80%% [1.50%%, 2.20%%] "
             "\xc2\xb1 %.2f%%",
             100 * spread(0.015, 0.022));
    assert_string_equal(buf, want);
    load.targets[0].wait_mean.mean = 9;
    n = bh_agree_test(&sim, &load, NULL, a, BH_AGREE_MAX);
    bh_agree_format(get(a, n, "hotline", "wait mean"), buf, sizeof buf);
    snprintf(want, sizeof want,
             "measured 9.00 s OUTSIDE simulated 2.00 s [1.60 s, 2.40 s] "
             "\xc2\xb1 %.2f s",
             spread(1.6, 2.4));
    assert_string_equal(buf, want);
    bh_results_clear(&sim);
    bh_results_clear(&load);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_figures_tested),
        cmocka_unit_test(test_inside_outside),
        cmocka_unit_test(test_share_spread_or_wilson),
        cmocka_unit_test(test_not_measured),
        cmocka_unit_test(test_bridge),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
