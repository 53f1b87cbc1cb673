/* test_chart.c: gnuplot draws SVG charts that inline cleanly: paths
 * present, ids prefixed, no URL but the SVG namespaces; a missing gnuplot
 * is a clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* URLs other than the two SVG namespace declarations. */
static int
foreign_urls(const char *s) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, "http")) != NULL; p++) {
        if (strncmp(p, "http://www.w3.org/2000/svg", 26) == 0 ||
            strncmp(p, "http://www.w3.org/1999/xlink", 28) == 0)
            continue;
        if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0)
            n++;
    }
    return n;
}

static void
test_lines_with_band(void **state) {
    (void)state;
    double x[4] = {0, 900, 1800, 2700}, y[4] = {0.01, 0.02, NAN, 0.015};
    double lo[4] = {0.005, 0.01, NAN, 0.01}, hi[4] = {0.015, 0.03, NAN, 0.02};
    struct bh_chart_series s = {.title = "sim 'quoted' name",
                                .style = BH_CHART_LINES,
                                .n = 4,
                                .x = x,
                                .y = y,
                                .lo = lo,
                                .hi = hi,
                                .scale = 100};
    struct bh_chart_mark m = {.at = 2, .horizontal = true, .label = "limit"};
    struct bh_chart c = {.id = 7,
                         .title = "Blocking per interval",
                         .ylabel = "blocked",
                         .x_clock = true,
                         .y_percent = true,
                         .nseries = 1,
                         .series = &s,
                         .nmarks = 1,
                         .marks = &m};
    char *svg = NULL;
    struct bh_diag d = {0};
    int rc = bh_chart_svg(&c, &svg, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_non_null(svg);
    assert_true(strncmp(svg, "<svg", 4) == 0);
    assert_non_null(strstr(svg, "</svg>"));
    assert_non_null(strstr(svg, "<path"));
    assert_null(strstr(svg, "<?xml"));
    assert_null(strstr(svg, "id='gp"));
    assert_int_equal(foreign_urls(svg), 0);
    assert_non_null(strstr(svg, "Blocking per interval"));
    assert_non_null(strstr(svg, "quoted"));
    free(svg);
}

static void
test_bars_with_error_bars(void **state) {
    (void)state;
    const char *cats[] = {"mean", "p50", "p90", "p99"};
    double a[4] = {10, 3, 30, 88}, alo[4] = {9, 2, 28, 80},
           ahi[4] = {11, 4, 32, 96};
    double b[4] = {12, 4, 33, 95};
    struct bh_chart_series s[2] = {
        {.title = "sim",
         .style = BH_CHART_BARS,
         .n = 4,
         .y = a,
         .lo = alo,
         .hi = ahi},
        {.title = "analytic", .style = BH_CHART_BARS, .n = 4, .y = b}};
    struct bh_chart c = {.id = 8,
                         .title = "Waits",
                         .ylabel = "s",
                         .y_from_zero = true,
                         .ncategories = 4,
                         .categories = cats,
                         .nseries = 2,
                         .series = s};
    char *svg = NULL;
    struct bh_diag d = {0};
    int rc = bh_chart_svg(&c, &svg, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_non_null(strstr(svg, "p99"));
    assert_non_null(strstr(svg, "<path"));
    assert_int_equal(foreign_urls(svg), 0);
    free(svg);
}

static void
test_missing_gnuplot(void **state) {
    (void)state;
    double y[1] = {1};
    struct bh_chart_series s = {.title = "x", .n = 1, .y = y};
    struct bh_chart c = {.id = 1,
                         .nseries = 1,
                         .series = &s,
                         .gnuplot = "/nonexistent/bin/gnuplot"};
    char *svg = NULL;
    struct bh_diag d = {0};
    assert_int_equal(bh_chart_svg(&c, &svg, &d), BH_ENOENT);
    assert_null(svg);
    assert_non_null(strstr(d.msg, "gnuplot-nox"));
    /* A program that fails: a clear error, no SVG. */
    c.gnuplot = "false";
    assert_int_equal(bh_chart_svg(&c, &svg, &d), BH_EIO);
    assert_null(svg);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_with_band),
        cmocka_unit_test(test_bars_with_error_bars),
        cmocka_unit_test(test_missing_gnuplot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
