/* traffic_testutil.h: scenarios for the traffic model's tests, loaded
 * from the bundled examples and test data or parsed from a string. */
#ifndef BH_TRAFFIC_TESTUTIL_H
#define BH_TRAFFIC_TESTUTIL_H

#include "traffic.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define EXAMPLE(f) BH_SOURCE_DIR "/scenarios/" f

/* The scenario at path (the caller frees it); fails the test if it does
 * not load. */
static inline struct bh_scenario *
load_ok(const char *path) {
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_load(path, &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_non_null(sc);
    return sc;
}

/* The same from the text of a scenario file. */
static inline struct bh_scenario *
parse_ok(const char *text) {
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, strlen(text), "test.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_non_null(sc);
    return sc;
}

#endif
