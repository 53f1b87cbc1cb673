/* test_model.c: reading a loaded scenario (scenarios/model.c): profile
 * rates and their means over a span, and which profile drives a source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scenario.h"

#include <math.h>
#include <string.h>

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

static void
test_source_profile(void **state) {
    (void)state;
    struct bh_sc_source s;
    memset(&s, 0, sizeof s);
    s.kind = BH_SOURCE_CALLS;
    assert_ptr_equal(bh_source_profile(&s), &s.profile);
    s.kind = BH_SOURCE_MEETINGS;
    assert_ptr_equal(bh_source_profile(&s), &s.meetings.profile);
    s.kind = BH_SOURCE_CAMPAIGN;
    assert_ptr_equal(bh_source_profile(&s), &s.campaign.profile);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_rate_within_a_step),
        cmocka_unit_test(test_mean_rate_across_steps),
        cmocka_unit_test(test_mean_rate_empty_span),
        cmocka_unit_test(test_source_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
