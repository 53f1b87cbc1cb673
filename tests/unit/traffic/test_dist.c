/* test_dist.c: the one mean of each distribution (bh_traffic_dist_mean,
 * traffic/dist.c) on the distributions the bundled examples and test
 * files load, and on a normal distribution truncated at 0, whose mean is
 * that of the draws, not its mean parameter. (Sampling itself is tested
 * in test_traffic.c.) */
#include "traffic_testutil.h"

#include <math.h>

/* hotline-8800: holding lognormal of mean 4m; join spread uniform from
 * -2m to 5m. */
static void
test_mean_normative(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    assert_true(bh_traffic_dist_mean(&sc->sources[0].holding) == 240);
    const struct bh_sc_meetings *m = &sc->sources[1].meetings;
    assert_true(bh_traffic_dist_mean(&m->join_spread) == 90);
    bh_scenario_free(sc);
}

/* A bare duration is deterministic. */
static void
test_mean_deterministic(void **state) {
    (void)state;
    struct bh_scenario *sc = parse_ok(
        "name: bare\n"
        "switch: { numbers: [ { name: n, number: \"1\", lines: 4 } ] }\n"
        "traffic: [ { name: c, to: n, rate: 30, holding: 3m } ]\n");
    assert_true(bh_traffic_dist_mean(&sc->sources[0].holding) == 180);
    bh_scenario_free(sc);
}

static void
test_mean_empirical(void **state) {
    (void)state;
    struct bh_scenario *sc =
        load_ok(BH_TEST_DATA "/scenarios/valid/empirical.yaml");
    const struct bh_dist *h = &sc->sources[0].holding;
    assert_true(fabs(bh_traffic_dist_mean(h) -
                     (30 + 60 + 90 + 120 + 300 + 600) / 6.0) < 1e-9);
    bh_scenario_free(sc);
}

/* outbound-campaign: ring uniform from 5s to 30s. */
static void
test_mean_campaign_ring(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("outbound-campaign.yaml"));
    assert_true(bh_traffic_dist_mean(&sc->sources[0].campaign.ring) == 17.5);
    bh_scenario_free(sc);
}

/* normal(30s, 120s) conditioned on >= 0 (issue 9's example): mean + sd
 * phi(a) / (1 - Phi(a)), a = -mean / sd = -0.25: 107.5 s, not 30 s. The
 * sampler's draws average to it. */
static void
test_mean_normal_truncated(void **state) {
    (void)state;
    struct bh_dist d;
    memset(&d, 0, sizeof d);
    d.kind = BH_DIST_NORMAL;
    d.mean = 30;
    d.sd = 120;
    double a = -0.25, phi = exp(-a * a / 2) / sqrt(2 * M_PI);
    double exact = 30 + 120 * phi / (0.5 * erfc(a / sqrt(2.0)));
    assert_true(fabs(bh_traffic_dist_mean(&d) - exact) < 1e-9);
    assert_true(fabs(exact - 107.5) < 0.05);
    gsl_rng *r = bh_traffic_stream(9, 0, 0);
    double sum = 0;
    const int n = 400000;
    for (int i = 0; i < n; i++)
        sum += bh_traffic_sample(&d, r);
    /* sd of the truncated draws < 120 s: 5 standard errors is < 1 s */
    assert_true(fabs(sum / n - exact) < 5 * 120 / sqrt(n));
    gsl_rng_free(r);
    /* far from 0 the truncation does not show */
    d.mean = 2700;
    d.sd = 600;
    assert_true(fabs(bh_traffic_dist_mean(&d) - 2700) < 0.01);
    /* no spread: the mean itself, never negative */
    d.sd = 0;
    assert_true(bh_traffic_dist_mean(&d) == 2700);
    d.mean = -5;
    assert_true(bh_traffic_dist_mean(&d) == 0);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_normative),
        cmocka_unit_test(test_mean_deterministic),
        cmocka_unit_test(test_mean_empirical),
        cmocka_unit_test(test_mean_campaign_ring),
        cmocka_unit_test(test_mean_normal_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
