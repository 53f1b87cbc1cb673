/* test_lines.c: line group (first come first served, 486 when all busy). */
#include "switch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void
five_lines_eight_callers(void **state) {
    struct bh_switch_lines *g;
    assert_int_equal(bh_switch_lines_new(5, &g), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(bh_switch_lines_seize(g), i);
    for (int i = 0; i < 3; i++)
        assert_int_equal(bh_switch_lines_seize(g), BH_ERANGE);
    assert_int_equal(bh_switch_lines_busy(g), 5);
    assert_int_equal(bh_switch_lines_release(g, 2), 0);
    assert_int_equal(bh_switch_lines_release(g, 2), BH_ESTATE);
    assert_int_equal(bh_switch_lines_seize(g), 2);
    assert_int_equal(bh_switch_lines_release(g, 4), 0);
    assert_int_equal(bh_switch_lines_release(g, 0), 0);
    assert_int_equal(bh_switch_lines_seize(g), 0);
    assert_int_equal(bh_switch_lines_seize(g), 4);
    assert_int_equal(bh_switch_lines_release(g, -1), BH_ESTATE);
    assert_int_equal(bh_switch_lines_release(g, 5), BH_ESTATE);
    bh_switch_lines_free(g);
    bh_switch_lines_free(NULL);
}

static void
bounds(void **state) {
    struct bh_switch_lines *g;
    assert_int_equal(bh_switch_lines_new(BH_SWITCH_MAX_LINES + 1, &g),
                     BH_ERANGE);
    assert_null(g);
    assert_int_equal(bh_switch_lines_new(-1, &g), BH_ERANGE);
    assert_int_equal(bh_switch_lines_new(0, &g), 0);
    assert_int_equal(bh_switch_lines_seize(g), BH_ERANGE);
    bh_switch_lines_free(g);
    assert_int_equal(bh_switch_lines_new(BH_SWITCH_MAX_LINES, &g), 0);
    assert_int_equal(bh_switch_lines_count(g), BH_SWITCH_MAX_LINES);
    bh_switch_lines_free(g);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(five_lines_eight_callers),
        cmocka_unit_test(bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
