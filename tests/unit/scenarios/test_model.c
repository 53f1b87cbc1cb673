/* test_model.c: reading a loaded scenario (scenarios/model.c): which
 * profile drives a source. (Profile arithmetic is traffic/profile.c's,
 * tested in tests/unit/traffic/test_profile.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scenario.h"

#include <string.h>

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
        cmocka_unit_test(test_source_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
