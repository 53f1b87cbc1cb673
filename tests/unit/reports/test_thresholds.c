/* test_thresholds.c: thresholds on the confidence bound the direction
 * requires, every metric, and missing figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct bh_estimate
est(double m, double lo, double hi) {
    struct bh_estimate e = {m, lo, hi};
    return e;
}

static void
add(struct bh_scenario *sc, const char *expr, const char *target,
    enum bh_metric m, double arg, enum bh_op op, double value) {
    struct bh_sc_threshold *t = &sc->thresholds[sc->nthresholds++];
    memset(t, 0, sizeof *t);
    strcpy(t->expr, expr);
    strcpy(t->target, target);
    t->metric = m;
    t->arg = arg;
    t->op = op;
    t->value = value;
}

static void
make_results(struct bh_results *r) {
    assert_int_equal(bh_results_init(r, 2, 0), 0);
    struct bh_target_result *h = &r->targets[0], *c = &r->targets[1];
    strcpy(h->name, "hotline");
    strcpy(c->name, "conf");
    h->blocking = est(0.008, 0.006, 0.012); /* mean passes, bound fails */
    h->abandonment = est(0.03, 0.02, 0.04);
    h->nsl = 1;
    h->sl[0].t = 20;
    h->sl[0].value = est(0.82, 0.79, 0.85);
    h->wait_mean = est(10, 8, 12);
    h->wait_p90 = est(40, 35, 45);
    h->wait_p99 = est(100, 90, 110);
    h->occupancy = est(0.85, 0.84, 0.86);
    h->incomplete_meetings = est(NAN, NAN, NAN);
    c->blocking = est(0.001, 0.0005, 0.0015);
    c->incomplete_meetings = est(0.02, 0.01, 0.03);
    r->costs.present = true;
    r->costs.per_call = est(0.35, 0.34, 0.36);
    r->costs.per_participant = est(0.5, 0.45, 0.55);
    r->costs.total = est(1000, 900, 1100);
}

static void
test_eval_bounds(void **state) {
    (void)state;
    struct bh_scenario sc;
    memset(&sc, 0, sizeof sc);
    struct bh_sc_threshold th[20];
    sc.thresholds = th;
    /* 0 */ add(&sc, "hotline.blocking < 1%", "hotline", BH_METRIC_BLOCKING, 0,
                BH_OP_LT, 0.01);
    /* 1 */ add(&sc, "hotline.blocking < 1.5%", "hotline", BH_METRIC_BLOCKING,
                0, BH_OP_LT, 0.015);
    /* 2 */ add(&sc, "hotline.service_level(20s) >= 80%", "hotline",
                BH_METRIC_SERVICE_LEVEL, 20, BH_OP_GE, 0.80);
    /* 3 */ add(&sc, "hotline.service_level(20s) >= 78%", "hotline",
                BH_METRIC_SERVICE_LEVEL, 20, BH_OP_GE, 0.78);
    /* 4 */ add(&sc, "hotline.service_level(30s) >= 50%", "hotline",
                BH_METRIC_SERVICE_LEVEL, 30, BH_OP_GE, 0.5);
    /* 5 */ add(&sc, "hotline.abandonment < 5%", "hotline",
                BH_METRIC_ABANDONMENT, 0, BH_OP_LT, 0.05);
    /* 6 */ add(&sc, "hotline.wait.mean <= 12s", "hotline", BH_METRIC_WAIT_MEAN,
                0, BH_OP_LE, 12);
    /* 7 */ add(&sc, "hotline.wait.p90 < 45s", "hotline", BH_METRIC_WAIT_P90, 0,
                BH_OP_LT, 45);
    /* 8 */ add(&sc, "hotline.wait.p99 < 2m", "hotline", BH_METRIC_WAIT_P99, 0,
                BH_OP_LT, 120);
    /* 9 */ add(&sc, "hotline.occupancy > 84%", "hotline", BH_METRIC_OCCUPANCY,
                0, BH_OP_GT, 0.84);
    /* 10 */ add(&sc, "conf.incomplete_meetings < 5%", "conf",
                 BH_METRIC_INCOMPLETE_MEETINGS, 0, BH_OP_LT, 0.05);
    /* 11 */ add(&sc, "cost.per_call < 0.40", "cost", BH_METRIC_COST_PER_CALL,
                 0, BH_OP_LT, 0.40);
    /* 12 */ add(&sc, "cost.per_participant < 0.50", "cost",
                 BH_METRIC_COST_PER_PARTICIPANT, 0, BH_OP_LT, 0.50);
    /* 13 */ add(&sc, "cost.total <= 1100", "cost", BH_METRIC_COST_TOTAL, 0,
                 BH_OP_LE, 1100);
    /* 14 */ add(&sc, "hotline.incomplete_meetings < 5%", "hotline",
                 BH_METRIC_INCOMPLETE_MEETINGS, 0, BH_OP_LT, 0.05);
    /* 15 */ add(&sc, "gone.blocking < 1%", "gone", BH_METRIC_BLOCKING, 0,
                 BH_OP_LT, 0.01);
    struct bh_results r;
    make_results(&r);
    int failed = bh_thresholds_eval(&sc, &r);
    assert_int_equal(r.nthresholds, 16);
    struct {
        double value;
        bool pass;
    } want[] = {
        {0.012, false}, /* upper bound 1.2% >= 1% though the mean is 0.8% */
        {0.012, true},  {0.79, false}, /* lower bound 79% < 80% */
        {0.79, true},   {NAN, false},  /* no 30 s service level */
        {0.04, true},   {12, true},    /* <= on the bound itself */
        {45, false},    {110, true},   {0.84, false}, /* > is strict */
        {0.03, true},   {0.36, true},  {0.55, false},
        {1100, true},   {NAN, false},  {NAN, false}, /* unknown target */
    };
    int nfail = 0;
    for (size_t i = 0; i < 16; i++) {
        struct bh_threshold_result *t = &r.thresholds[i];
        assert_string_equal(t->expr, th[i].expr);
        assert_true(t->limit == th[i].value);
        if (isnan(want[i].value))
            assert_true(isnan(t->value));
        else if (t->value != want[i].value)
            fail_msg("%zu: value %g, want %g", i, t->value, want[i].value);
        if (t->pass != want[i].pass)
            fail_msg("%zu: pass %d, want %d", i, t->pass, want[i].pass);
        nfail += !want[i].pass;
    }
    assert_int_equal(failed, nfail);
    assert_int_equal(bh_results_failed(&r), nfail);

    /* Evaluating again replaces, not appends. */
    sc.nthresholds = 1;
    assert_int_equal(bh_thresholds_eval(&sc, &r), 1);
    assert_int_equal(r.nthresholds, 1);

    /* No thresholds: nothing fails. */
    sc.nthresholds = 0;
    assert_int_equal(bh_thresholds_eval(&sc, &r), 0);
    assert_int_equal(r.nthresholds, 0);
    assert_int_equal(bh_results_failed(&r), 0);

    /* No costs block: cost thresholds fail (not measured). */
    r.costs.present = false;
    add(&sc, "cost.per_call < 0.40", "cost", BH_METRIC_COST_PER_CALL, 0,
        BH_OP_LT, 0.40);
    assert_int_equal(bh_thresholds_eval(&sc, &r), 1);
    bh_results_clear(&r);
}

static void
test_bound_without_interval(void **state) {
    (void)state;
    /* An analytic figure: lo == hi == mean. */
    struct bh_estimate e = {0.01, 0.01, 0.01};
    assert_true(bh_threshold_bound(e, BH_OP_LT) == 0.01);
    assert_false(bh_threshold_compare(0.01, BH_OP_LT, 0.01));
    assert_true(bh_threshold_compare(0.01, BH_OP_LE, 0.01));
    /* A mean with NaN bounds falls back to the mean. */
    struct bh_estimate m = {0.5, NAN, NAN};
    assert_true(bh_threshold_bound(m, BH_OP_GE) == 0.5);
    assert_false(bh_threshold_compare(NAN, BH_OP_GE, 0.5));
    assert_true(bh_threshold_compare(0.6, BH_OP_GT, 0.5));
}

/* No replication saw a blocked call: the t interval is [0, 0], but 120
 * calls cannot show blocking under 0.1%. Wilson's upper bound for 0 of n
 * is z^2 / (n + z^2): 3.8415 / 123.8415 = 3.10%. A million calls can. An
 * analytic figure is exact and is not widened. */
static void
test_zero_events_widened(void **state) {
    struct bh_estimate w = bh_share_widen(est(0, 0, 0), 120);
    double z2 = 1.959963984540054 * 1.959963984540054;
    assert_true(fabs(w.hi - z2 / (120 + z2)) < 1e-12);
    assert_true(w.lo == 0 && w.mean == 0);
    /* a wide t interval stays as it is */
    w = bh_share_widen(est(0.5, 0.1, 0.9), 1000);
    assert_true(w.lo == 0.1 && w.hi == 0.9);
    /* no trials: nothing to widen */
    w = bh_share_widen(est(0, 0, 0), 0);
    assert_true(w.hi == 0);

    struct bh_sc_threshold th[1];
    struct bh_scenario sc = {0};
    sc.thresholds = th;
    add(&sc, "city.blocking < 0.1%", "city", BH_METRIC_BLOCKING, 0, BH_OP_LT,
        0.001);
    struct bh_results r = {0};
    assert_int_equal(bh_results_init(&r, 1, 0), 0);
    strcpy(r.targets[0].name, "city");
    r.source = BH_SOURCE_SIM;
    r.replications = 2;
    r.targets[0].offered = est(60, 60, 60);
    r.targets[0].blocking = est(0, 0, 0);
    assert_int_equal(bh_thresholds_eval(&sc, &r), 1);
    assert_true(fabs(r.thresholds[0].value - z2 / (120 + z2)) < 1e-12);
    r.targets[0].offered = est(1e6, 1e6, 1e6);
    assert_int_equal(bh_thresholds_eval(&sc, &r), 0);
    r.source = BH_SOURCE_ANALYTIC;
    r.targets[0].offered = est(60, 60, 60);
    r.targets[0].blocking = est(0.0005, 0.0005, 0.0005);
    assert_int_equal(bh_thresholds_eval(&sc, &r), 0);
    assert_true(r.thresholds[0].value == 0.0005);
    bh_results_clear(&r);
}

/* Cost thresholds by payer, of the scenario and of one target: each is
 * judged on its own figure's bound (upper for "<"); a target without
 * costs, or a file without costs by payer, cannot pass. */
static void
test_cost_by_payer(void **state) {
    (void)state;
    struct bh_results r;
    memset(&r, 0, sizeof r);
    assert_int_equal(bh_results_init(&r, 1, 0), 0);
    strcpy(r.targets[0].name, "hotline");
    r.costs.present = true;
    r.costs.total = est(900, 850, 950);
    r.costs.by[BH_COST_ALL].total = est(-1, -1, -1); /* costs.total wins */
    r.costs.by[BH_COST_COMPANY].per_answered_call = est(2.4, 2.3, 2.6);
    r.costs.by[BH_COST_CALLERS].per_answered_call = est(0.5, 0.45, 0.55);
    r.costs.by[BH_COST_COMPANY].per_hour = est(30, 29, 31);
    r.costs.by[BH_COST_CALLERS].per_month = est(100, 90, 110);
    r.costs.ntargets = 1;
    r.costs.targets = calloc(1, sizeof *r.costs.targets);
    assert_non_null(r.costs.targets);
    strcpy(r.costs.targets[0].name, "hotline");
    r.costs.targets[0].by[BH_COST_COMPANY].per_answered_call =
        est(3.0, 2.8, 3.2);
    r.costs.targets[0].by[BH_COST_ALL].total = est(700, 690, 710);

    struct bh_sc_threshold th[10];
    struct bh_scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.thresholds = th;
    /* 0 */ add(&sc, "cost.company.per_answered_call < 2.50", "cost",
                BH_METRIC_COST_PER_ANSWERED_CALL, 0, BH_OP_LT, 2.50);
    th[0].payer = BH_COST_COMPANY;
    /* 1 */ add(&sc, "cost.callers.per_answered_call < 0.60", "cost",
                BH_METRIC_COST_PER_ANSWERED_CALL, 0, BH_OP_LT, 0.60);
    th[1].payer = BH_COST_CALLERS;
    /* 2 */ add(&sc, "cost.company.per_hour > 29.5", "cost",
                BH_METRIC_COST_PER_HOUR, 0, BH_OP_GT, 29.5);
    th[2].payer = BH_COST_COMPANY;
    /* 3 */ add(&sc, "hotline.cost.company.per_answered_call < 3.50", "hotline",
                BH_METRIC_COST_PER_ANSWERED_CALL, 0, BH_OP_LT, 3.50);
    th[3].payer = BH_COST_COMPANY;
    /* 4 */ add(&sc, "hotline.cost.total <= 710", "hotline",
                BH_METRIC_COST_TOTAL, 0, BH_OP_LE, 710);
    /* 5 */ add(&sc, "cost.total < 960", "cost", BH_METRIC_COST_TOTAL, 0,
                BH_OP_LT, 960);
    /* 6 */ add(&sc, "conf.cost.total < 1", "conf", BH_METRIC_COST_TOTAL, 0,
                BH_OP_LT, 1);
    /* 7 */ add(&sc, "cost.callers.per_month < 120", "cost",
                BH_METRIC_COST_PER_MONTH, 0, BH_OP_LT, 120);
    th[7].payer = BH_COST_CALLERS;
    assert_int_equal(bh_thresholds_eval(&sc, &r), 3);
    assert_false(r.thresholds[0].pass); /* upper bound 2.6 */
    assert_true(r.thresholds[0].value == 2.6);
    assert_true(r.thresholds[1].pass);
    assert_false(r.thresholds[2].pass); /* on the lower bound, 29 */
    assert_true(r.thresholds[2].value == 29);
    assert_true(r.thresholds[3].pass);
    assert_true(r.thresholds[3].value == 3.2);
    assert_true(r.thresholds[4].pass);
    assert_true(r.thresholds[5].pass); /* costs.total's 950, not -1 */
    assert_true(r.thresholds[5].value == 950);
    assert_false(r.thresholds[6].pass); /* no such target: not measured */
    assert_true(isnan(r.thresholds[6].value));
    assert_true(r.thresholds[7].pass);
    bh_results_clear(&r);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_bounds),
        cmocka_unit_test(test_zero_events_widened),
        cmocka_unit_test(test_bound_without_interval),
        cmocka_unit_test(test_cost_by_payer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
