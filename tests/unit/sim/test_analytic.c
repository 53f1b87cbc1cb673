/* test_analytic.c: the analytic figures (sim/analytic.c): the busiest
 * interval, on the traffic model's offered load, against the formulas and
 * against the simulator, which must carry the load they say is offered. */
#include "sim_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* x and y agree to about 9 significant digits */
static int
near(double x, double y) {
    return fabs(x - y) <= 1e-9 * (1 + fabs(y));
}

/* Appends a step to p: rate (per hour) from hour h of the day. */
static void
add_step(struct bh_profile *p, double h, double rate) {
    p->at[p->n] = h * 3600;
    p->rate[p->n] = rate;
    p->n++;
}

/* Issue 9's example: 50 lines, 600 calls an hour, holding normal(30s,
 * 120s) truncated at 0 (mean 107.5 s): 17.92 E, not 5 E. */
static struct bh_scenario *
normal_holding(void) {
    struct bh_scenario *sc = tsc_new(86400, 3600, 0);
    int ni = tsc_number(sc, "line50", 50);
    tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni, 600,
              tdist(BH_DIST_NORMAL, 30, 120));
    return sc;
}

static void
busiest_normal_holding(void **state) {
    (void)state;
    struct bh_scenario *sc = normal_holding();
    struct bh_sim_busiest z;
    assert_int_equal(bh_sim_busiest(sc, BH_TARGET_NUMBER, 0, 0, &z), 0);
    double h = bh_traffic_dist_mean(&sc->sources[0].holding);
    assert_true(fabs(h - 107.5) < 0.05);
    assert_int_equal(z.sources, 1);
    assert_true(z.start == 0); /* constant: the first of equals */
    assert_true(near(z.offered, 600.0 / 3600 * h));
    assert_true(fabs(z.offered - 17.92) < 0.005);
    assert_true(near(z.blocking, ref_erlang_b(z.offered, 50)));
    assert_true(z.op_offered == 0 && z.p_wait == 0 && z.aht == 0);
    assert_true(isinf(z.patience));
    /* and the simulator carries it: nothing is blocked on 50 lines, so
     * the mean busy lines are the offered load */
    struct bh_results res;
    assert_int_equal(tsc_run(sc, 3, 10, 2, &res), 0);
    assert_true(near(res.targets[0].offered_erlangs.mean, z.offered));
    assert_true(covers("busy lines = offered load", res.targets[0].busy_mean,
                       10, z.offered));
    assert_false(covers("busy lines = the untruncated 5 E",
                        res.targets[0].busy_mean, 10, 600.0 / 3600 * 30));
    bh_results_clear(&res);
    tsc_free(sc);
}

/* A number with a queue whose calls peak at 10:00 (operators) and a
 * campaign through its lines that peaks at 14:00 (lines): the busiest
 * interval is the lines', with the operators' load there; the operators'
 * own peak is kept apart. Intervals ending before `from` are skipped. */
static void
busiest_lines_and_operators(void **state) {
    (void)state;
    struct bh_scenario *sc = tsc_new(86400, 3600, 0);
    int ni = tsc_number(sc, "desk", 100);
    tsc_queue(sc, ni, 20, 0, 0, 10);
    struct bh_sc_source *calls = tsc_calls(sc, "callers", BH_SOURCE_CALLS,
                                           BH_TARGET_NUMBER, ni, 0, texp(170));
    add_step(&calls->profile, 10, 300); /* 0 before 10:00, 300/h to 12:00 */
    add_step(&calls->profile, 12, 100); /* then 100/h */
    calls->has_patience = true;
    calls->patience = texp(60);
    struct bh_sc_source *camp = tsc_calls(sc, "dialer", BH_SOURCE_CAMPAIGN,
                                          BH_TARGET_NUMBER, ni, 0, texp(100));
    add_step(&camp->campaign.profile, 14, 1000); /* 14:00 to 15:00 */
    add_step(&camp->campaign.profile, 15, 0);
    camp->campaign.ring = tdist(BH_DIST_DETERMINISTIC, 20, 0);
    camp->campaign.answer_probability = 0.5;
    struct bh_sim_busiest z;
    assert_int_equal(bh_sim_busiest(sc, BH_TARGET_NUMBER, ni, 0, &z), 0);
    /* at 10:00 15 E on operators (talk and wrap-up), 14.17 E of talk on
     * lines; at 14:00 5 E and 4.72 E, plus 19.44 E of campaign */
    double ops10 = 300.0 / 3600 * 180, ops14 = 100.0 / 3600 * 180;
    double lines14 = 100.0 / 3600 * 170, dial = 1000.0 / 3600 * (20 + 50);
    assert_int_equal(z.sources, 2);
    assert_true(z.start == 14 * 3600);
    assert_true(near(z.offered, lines14 + dial));
    assert_true(near(z.op_offered, ops14));
    assert_true(near(z.op_peak, ops10));
    assert_true(near(z.aht, 180));
    assert_true(near(z.patience, 60));
    assert_true(near(z.blocking, ref_erlang_b(lines14 + dial, 100)));
    assert_true(near(z.p_wait, ref_erlang_c(ops14, 20)));
    /* from 15:00 on, the calls alone: the first interval after it */
    assert_int_equal(bh_sim_busiest(sc, BH_TARGET_NUMBER, ni, 15 * 3600, &z),
                     0);
    assert_true(z.start == 15 * 3600);
    assert_true(near(z.offered, lines14));
    assert_true(near(z.op_peak, ops14));
    /* no such target */
    assert_int_equal(bh_sim_busiest(sc, BH_TARGET_NUMBER, 1, 0, &z), BH_EINVAL);
    assert_int_equal(bh_sim_busiest(sc, BH_TARGET_BRIDGE, 0, 0, &z), BH_EINVAL);
    tsc_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(busiest_normal_holding),
        cmocka_unit_test(busiest_lines_and_operators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
