/* test_profile.c: arithmetic on daily profiles (traffic/profile.c): the
 * rate at a time, the mean rate over a span, on hand-made profiles and
 * on those the bundled examples load. (The Poisson process built on
 * them is tested in test_traffic.c.) */
#include "traffic_testutil.h"

#include <math.h>

/* 20/h from midnight, 300/h from 08:00, 900/h from 10:00. */
static struct bh_profile
day_profile(void) {
    struct bh_profile p;
    memset(&p, 0, sizeof p);
    p.n = 3;
    p.at[0] = 0;
    p.rate[0] = 20;
    p.at[1] = 8 * 3600;
    p.rate[1] = 300;
    p.at[2] = 10 * 3600;
    p.rate[2] = 900;
    return p;
}

static void
test_mean_rate_within_a_step(void **state) {
    (void)state;
    struct bh_profile p = day_profile();
    assert_true(bh_profile_mean_rate(&p, 0, 0, 3600) == 20);
    assert_true(bh_profile_mean_rate(&p, 0, 9 * 3600, 9.5 * 3600) == 300);
    /* the horizon starting at 09:00 shifts the time of day */
    assert_true(bh_profile_mean_rate(&p, 9 * 3600, 3600, 7200) == 900);
}

static void
test_mean_rate_across_steps(void **state) {
    (void)state;
    struct bh_profile p = day_profile();
    /* 07:30-08:30: half at 20, half at 300 */
    assert_true(
        fabs(bh_profile_mean_rate(&p, 0, 7.5 * 3600, 8.5 * 3600) - 160) < 1e-9);
    /* 07:00-11:00: 1 h at 20, 2 h at 300, 1 h at 900 */
    assert_true(fabs(bh_profile_mean_rate(&p, 0, 7 * 3600, 11 * 3600) -
                     (20 + 600 + 900) / 4.0) < 1e-9);
    /* across midnight: 23:00-01:00 is all at 900 then 20 */
    assert_true(fabs(bh_profile_mean_rate(&p, 0, 23 * 3600, 25 * 3600) - 460) <
                1e-9);
}

static void
test_mean_rate_empty_span(void **state) {
    (void)state;
    struct bh_profile p = day_profile();
    assert_true(bh_profile_mean_rate(&p, 0, 3600, 3600) == 0);
    assert_true(bh_profile_mean_rate(&p, 0, 7200, 3600) == 0);
}

/* The mean rate is the integral over the span's length: one computation
 * of the profile's arrivals. */
static void
test_mean_rate_is_the_integral(void **state) {
    (void)state;
    struct bh_profile p = day_profile();
    for (double a = 0; a < 2 * 86400; a += 5400) {
        double b = a + 2700;
        assert_true(bh_profile_mean_rate(&p, 1800, a, b) ==
                    bh_profile_integral(&p, 1800, a, b) * 3600.0 / (b - a));
    }
}

static void
test_step(void **state) {
    (void)state;
    struct bh_profile p = day_profile();
    assert_int_equal(bh_profile_step(&p, 0), 0);
    assert_int_equal(bh_profile_step(&p, 8 * 3600 - 1), 0);
    assert_int_equal(bh_profile_step(&p, 8 * 3600), 1);
    assert_int_equal(bh_profile_step(&p, 86399), 2);
}

/* The normative example's call profile: 00:00 20, 08:00 300, 10:00 900,
 * 12:00 600, 18:00 100. */
static void
test_rate_normative(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    const struct bh_sc_source *s = &sc->sources[0];
    assert_true(bh_profile_rate(&s->profile, 0, 0) == 20);
    assert_true(bh_profile_rate(&s->profile, 0, 7.99 * 3600) == 20);
    assert_true(bh_profile_rate(&s->profile, 0, 8 * 3600) == 300);
    assert_true(bh_profile_rate(&s->profile, 0, 11 * 3600) == 900);
    assert_true(bh_profile_rate(&s->profile, 0, 23.9 * 3600) == 100);
    assert_true(bh_profile_rate(&s->profile, 0, 86400 + 11 * 3600) == 900);
    assert_true(bh_profile_rate(&s->profile, 9 * 3600, 3600) == 900);
    bh_scenario_free(sc);
}

/* A profile that does not start at 00:00 wraps its last step. */
static void
test_rate_wrap(void **state) {
    (void)state;
    struct bh_scenario *sc = parse_ok(
        "name: wrap\n"
        "switch: { numbers: [ { name: n, number: \"1\", lines: 2 } ] }\n"
        "traffic: [ { name: t, to: n, holding: 2m,\n"
        "             profile: { \"06:00\": 10, \"22:00\": 3 } } ]\n");
    const struct bh_profile *p = &sc->sources[0].profile;
    assert_true(bh_profile_rate(p, 0, 3600) == 3);
    bh_scenario_free(sc);
}

static void
test_rate_campaign(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("outbound-campaign.yaml"));
    const struct bh_sc_campaign *c = &sc->sources[0].campaign;
    assert_true(bh_profile_rate(&c->profile, 0, 14 * 3600) == 450);
    assert_true(bh_profile_rate(&c->profile, 0, 12.5 * 3600) == 150);
    assert_true(bh_profile_rate(&c->profile, 0, 3 * 3600) == 0);
    bh_scenario_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_rate_within_a_step),
        cmocka_unit_test(test_mean_rate_across_steps),
        cmocka_unit_test(test_mean_rate_empty_span),
        cmocka_unit_test(test_mean_rate_is_the_integral),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_rate_normative),
        cmocka_unit_test(test_rate_wrap),
        cmocka_unit_test(test_rate_campaign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
