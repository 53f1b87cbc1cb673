/* test_collect.c: the collector: counts per target and interval, the
 * warm-up discarded, time-weighted busy levels split across intervals,
 * service levels, meetings, and merging collectors of parallel runs into
 * exactly the figures of a serial run. */
#include "reports.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct bh_scenario *
scenario(void) {
    struct bh_scenario *sc = calloc(1, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "collect");
    sc->horizon = 400;
    sc->interval = 100;
    sc->sim.warmup = 100;
    sc->sw.nnumbers = 1;
    sc->sw.numbers = calloc(1, sizeof *sc->sw.numbers);
    snprintf(sc->sw.numbers[0].name, BH_SC_MAX_NAME, "desk");
    sc->sw.numbers[0].lines = 4;
    sc->sw.numbers[0].queue.present = true;
    sc->sw.numbers[0].queue.operators = 2;
    sc->sw.nbridges = 1;
    sc->sw.bridges = calloc(1, sizeof *sc->sw.bridges);
    snprintf(sc->sw.bridges[0].name, BH_SC_MAX_NAME, "conf");
    sc->sw.bridges[0].ports = 10;
    sc->nthresholds = 1;
    sc->thresholds = calloc(1, sizeof *sc->thresholds);
    sc->thresholds[0].metric = BH_METRIC_SERVICE_LEVEL;
    sc->thresholds[0].arg = 5;
    snprintf(sc->thresholds[0].target, BH_SC_MAX_NAME, "desk");
    return sc;
}

static void
free_scenario(struct bh_scenario *sc) {
    free(sc->sw.numbers);
    free(sc->sw.bridges);
    free(sc->thresholds);
    free(sc);
}

static struct bh_call_record
rec(double arrival, enum bh_outcome o, double wait, int attempt) {
    struct bh_call_record r;
    memset(&r, 0, sizeof r);
    r.arrival = arrival;
    r.outcome = (uint8_t)o;
    r.wait = wait;
    r.attempt = (uint8_t)attempt;
    r.plan = -1;
    r.end = arrival + wait + 10;
    return r;
}

/* One replication; `k` varies it a little. */
static void
replication(struct bh_collector *c, int rep, int k) {
    assert_int_equal(bh_collector_begin(c, rep), 0);
    struct bh_call_record r;
    r = rec(50, BH_OUTCOME_ANSWERED, 0, 1); /* warm-up: nowhere */
    bh_collector_add(c, &r);
    r = rec(110, BH_OUTCOME_ANSWERED, 0, 1);
    bh_collector_add(c, &r);
    r = rec(120, BH_OUTCOME_ANSWERED, 4 + k, 1);
    bh_collector_add(c, &r);
    r = rec(130, BH_OUTCOME_ANSWERED, 30, 1);
    bh_collector_add(c, &r);
    r = rec(150, BH_OUTCOME_BLOCKED, 0, 1);
    bh_collector_add(c, &r);
    r = rec(250, BH_OUTCOME_ABANDONED, 20, 2);
    bh_collector_add(c, &r);
    r = rec(260, BH_OUTCOME_OVERFLOW, 60, 1);
    bh_collector_add(c, &r);
    /* levels: 2 lines busy from 50 to 150, 3 from 150 to 350, then 0 */
    bh_collector_level(c, BH_TARGET_NUMBER, 0, 0, 0, 0);
    bh_collector_level(c, BH_TARGET_NUMBER, 0, 50, 2, 1);
    bh_collector_level(c, BH_TARGET_NUMBER, 0, 150, 3 + k, 2);
    bh_collector_level(c, BH_TARGET_NUMBER, 0, 350, 0, 0);
    /* a bridge participant and two meetings, one incomplete */
    r = rec(300, BH_OUTCOME_ANSWERED, 0, 1);
    r.target_kind = BH_TARGET_BRIDGE;
    bh_collector_add(c, &r);
    bh_collector_meeting(c, 0, 300, 0);
    bh_collector_meeting(c, 0, 310, 1);
    bh_collector_meeting(c, 0, 20, 1); /* warm-up */
    assert_int_equal(bh_collector_end(c, 400), 0);
}

static void
counts_and_levels(void **state) {
    struct bh_scenario *sc = scenario();
    struct bh_collector *c;
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_SIM, &c), 0);
    replication(c, 0, 0);
    struct bh_results r;
    memset(&r, 0, sizeof r);
    assert_int_equal(bh_collector_results(c, &r), 0);
    assert_int_equal(r.ntargets, 2);
    assert_int_equal(r.nintervals, 4);
    const struct bh_target_result *t = &r.targets[0];
    assert_string_equal(t->name, "desk");
    assert_true(t->offered.mean == 6);
    assert_true(t->answered.mean == 3);
    assert_true(t->blocked.mean == 1);
    assert_true(t->abandoned.mean == 1);
    assert_true(t->overflow.mean == 1);
    assert_true(t->retried.mean == 1);
    assert_true(fabs(t->blocking.mean - 2.0 / 6) < 1e-12);
    assert_true(fabs(t->abandonment.mean - 1.0 / 6) < 1e-12);
    assert_true(fabs(t->wait_mean.mean - 34.0 / 3) < 1e-12);
    /* service levels: 5 s from the threshold, then the default 20 s */
    assert_int_equal(t->nsl, 2);
    assert_true(t->sl[0].t == 5 && t->sl[1].t == 20);
    assert_true(fabs(t->sl[0].value.mean - 2.0 / 6) < 1e-12);
    assert_true(fabs(t->sl[1].value.mean - 2.0 / 6) < 1e-12);
    /* busy: 2 x 50 + 3 x 200 over the 300 s after the warm-up */
    assert_true(fabs(t->busy_mean.mean - 700.0 / 300) < 1e-12);
    /* operators: 1 x 50 + 2 x 200 over 2 x 300 */
    assert_true(fabs(t->occupancy.mean - 450.0 / 600) < 1e-12);
    assert_true(t->peak_busy.mean == 3);
    /* per interval: [100,200): 4 offered, busy 2 x 50 + 3 x 50 */
    const struct bh_interval_result *i1 = bh_results_interval(&r, 0, 1);
    assert_true(i1->offered.mean == 4);
    assert_true(fabs(i1->busy_mean.mean - 250.0 / 100) < 1e-12);
    assert_true(fabs(i1->blocking.mean - 0.25) < 1e-12);
    const struct bh_interval_result *i0 = bh_results_interval(&r, 0, 0);
    assert_true(isnan(i0->offered.mean)); /* all warm-up */
    const struct bh_interval_result *i3 = bh_results_interval(&r, 0, 3);
    assert_true(fabs(i3->busy_mean.mean - 150.0 / 100) < 1e-12);
    /* bridge */
    const struct bh_target_result *b = &r.targets[1];
    assert_string_equal(b->kind, "bridge");
    assert_true(b->offered.mean == 1 && b->meetings.mean == 2);
    assert_true(fabs(b->incomplete_meetings.mean - 0.5) < 1e-12);
    bh_results_clear(&r);
    bh_collector_free(c);
    free_scenario(sc);
}

static void
merge_equals_serial(void **state) {
    struct bh_scenario *sc = scenario();
    struct bh_collector *serial, *a, *b;
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_SIM, &serial), 0);
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_SIM, &a), 0);
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_SIM, &b), 0);
    for (int rep = 0; rep < 6; rep++)
        replication(serial, rep, rep % 3);
    /* the way threads might share them out: out of order */
    int in_a[] = {1, 2, 5}, in_b[] = {4, 0, 3};
    for (int i = 0; i < 3; i++) {
        replication(a, in_a[i], in_a[i] % 3);
        replication(b, in_b[i], in_b[i] % 3);
    }
    assert_int_equal(bh_collector_merge(a, b), 0);
    /* the same replication twice is refused */
    assert_int_equal(bh_collector_merge(a, b), BH_EINVAL);
    struct bh_results r1, r2;
    memset(&r1, 0, sizeof r1);
    memset(&r2, 0, sizeof r2);
    assert_int_equal(bh_collector_results(serial, &r1), 0);
    assert_int_equal(bh_collector_results(a, &r2), 0);
    assert_int_equal(r1.replications, 6);
    assert_int_equal(r2.replications, 6);
    assert_memory_equal(r1.targets, r2.targets,
                        r1.ntargets * sizeof *r1.targets);
    assert_memory_equal(r1.intervals, r2.intervals,
                        r1.ntargets * r1.nintervals * sizeof *r1.intervals);
    /* and the spread across replications gives an interval */
    assert_true(r1.targets[0].busy_mean.lo < r1.targets[0].busy_mean.hi);
    bh_results_clear(&r1);
    bh_results_clear(&r2);
    bh_collector_free(serial);
    bh_collector_free(a);
    bh_collector_free(b);
    free_scenario(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_levels),
        cmocka_unit_test(merge_equals_serial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
