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
#include <stdbool.h>
#include <stdio.h>
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

/* ---- Reading the SVG gnuplot wrote ------------------------------------
 * gnuplot's SVG writes every text as <g transform="translate(x,y)" ...
 * text-anchor="start|middle|end"><text>...</text>, every data point as
 * <use xlink:href='#cN-gpPtK' transform='translate(x,y) ...'> and every
 * line as a path "M x,y L x,y ...". */

struct text_box {
    char text[64];
    char anchor;           /* 's'tart, 'm'iddle, 'e'nd */
    double x0, x1, y0, y1; /* px, estimated from the font (sans 11) */
};

/* Every unrotated text of the SVG, up to max. */
static size_t
texts(const char *svg, struct text_box *out, size_t max) {
    size_t n = 0;
    for (const char *p = svg;
         n < max && (p = strstr(p, "<g transform=\"translate(")) != NULL; p++) {
        double x, y;
        if (sscanf(p, "<g transform=\"translate(%lf,%lf)", &x, &y) != 2)
            continue;
        const char *end = strchr(p, '>');
        const char *rot = strstr(p, "rotate(");
        if (!end || (rot && rot < end))
            continue;
        const char *anchor = strstr(p, "text-anchor=\"");
        const char *t = strstr(p, "<text>");
        if (!anchor || anchor > end || !t)
            continue;
        t += 6;
        const char *te = strstr(t, "</text>");
        if (!te || (size_t)(te - t) >= sizeof out[n].text)
            continue;
        struct text_box *b = &out[n++];
        memcpy(b->text, t, (size_t)(te - t));
        b->text[te - t] = '\0';
        double w = 6.2 * (double)strlen(b->text);
        anchor += 13;
        b->anchor = *anchor;
        b->x0 = strncmp(anchor, "end", 3) == 0      ? x - w
                : strncmp(anchor, "middle", 6) == 0 ? x - w / 2
                                                    : x;
        b->x1 = b->x0 + w;
        b->y0 = y - 11;
        b->y1 = y + 2;
    }
    return n;
}

static const struct text_box *
text_named(const struct text_box *b, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(b[i].text, s) == 0)
            return &b[i];
    return NULL;
}

static bool
overlap(const struct text_box *a, const struct text_box *b) {
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* The y (px) of the tic labelled `label`: the tic mark's path just before
 * its text. */
static bool
tic_y(const char *svg, const char *label, double *y) {
    char want[80];
    snprintf(want, sizeof want, "<text>%s</text>", label);
    const char *t = strstr(svg, want);
    if (!t)
        return false;
    const char *p = t;
    while (p > svg && strncmp(p, "d='M", 4) != 0)
        p--;
    double x;
    return sscanf(p, "d='M%lf,%lf", &x, y) == 2;
}

/* Data points (markers) of chart id: their centres. */
static size_t
markers(const char *svg, int id, double (*xy)[2], size_t max) {
    char want[64];
    snprintf(want, sizeof want, "<use xlink:href='#c%d-gpPt", id);
    size_t n = 0;
    for (const char *p = svg; n < max && (p = strstr(p, want)) != NULL; p++) {
        const char *q = strchr(p + strlen(want), '\'');
        if (q && sscanf(q, "' transform='translate(%lf,%lf)", &xy[n][0],
                        &xy[n][1]) == 2)
            n++;
    }
    return n;
}

/* Is there a drawn horizontal segment at y (px) that spans x? */
static bool
hsegment(const char *svg, double x, double y) {
    for (const char *p = svg; (p = strstr(p, " d='M")) != NULL; p++) {
        const char *end = strchr(p + 4, '\'');
        double px = NAN, py = NAN;
        for (const char *q = p + 4; q && q < end;) {
            char cmd = *q;
            double a, b;
            int used = 0;
            if ((cmd == 'M' || cmd == 'L') &&
                sscanf(q + 1, "%lf,%lf%n", &a, &b, &used) == 2) {
                if (cmd == 'L' && fabs(b - y) < 0.05 && fabs(py - y) < 0.05 &&
                    fmin(a, px) < x && x < fmax(a, px))
                    return true;
                px = a;
                py = b;
                q += 1 + used;
            } else
                q++;
        }
    }
    return false;
}

/* The chart's SVG; the test fails with gnuplot's message if none. */
static char *
draw(const struct bh_chart *c) {
    char *svg = NULL;
    struct bh_diag d = {0};
    if (bh_chart_svg(c, &svg, &d))
        fail_msg("%s", d.msg);
    return svg;
}

/* A value in one interval between empty ones is drawn: a marker at its
 * value, and (steps) a segment over its interval. Lines skip a value with
 * no finite neighbour, so the chart was empty. */
static void
test_isolated_value(void **state) {
    (void)state;
    double x[5] = {0, 900, 1800, 2700, 3600};
    double y[5] = {NAN, 0.3, NAN, NAN, NAN};
    double ly[5] = {NAN, NAN, NAN, 0.2, NAN};
    struct bh_chart_series s[2] = {{.title = "steps",
                                    .style = BH_CHART_STEPS,
                                    .n = 5,
                                    .x = x,
                                    .y = y,
                                    .scale = 100},
                                   {.title = "lines",
                                    .style = BH_CHART_LINES,
                                    .n = 5,
                                    .x = x,
                                    .y = ly,
                                    .scale = 100}};
    struct bh_chart c = {.id = 9,
                         .title = "one interval",
                         .x_clock = true,
                         .y_percent = true,
                         .y_from_zero = true,
                         .nseries = 2,
                         .series = s};
    char *svg = draw(&c);
    double y30, y20, y0;
    assert_true(tic_y(svg, "30%", &y30));
    assert_true(tic_y(svg, "20%", &y20));
    assert_true(tic_y(svg, "0%", &y0));
    double m[8][2];
    size_t n = markers(svg, 9, m, 8);
    assert_int_equal(n, 2);
    /* the step's marker at 30%, in the middle of its interval and on a
     * segment that covers it; the line's at 20%, right of it */
    assert_true(fabs(m[0][1] - y30) < 0.05);
    assert_true(hsegment(svg, m[0][0], y30));
    assert_true(fabs(m[1][1] - y20) < 0.05);
    assert_true(m[1][0] > m[0][0]);
    /* the step spans a quarter of the x axis's four intervals */
    assert_true(y0 > y30);
    free(svg);
}

/* Labels of close marks ("today", "recommended") do not print over each
 * other, and a mark near the right edge has its label inside the chart;
 * horizontal marks close together likewise. */
static void
test_mark_labels_apart(void **state) {
    (void)state;
    double x[21], y[21];
    for (int i = 0; i < 21; i++) {
        x[i] = 10 + 5 * i;
        y[i] = 1 - exp(-(double)i / 5);
    }
    struct bh_chart_series s = {.title = "answered within 20s",
                                .style = BH_CHART_LINESPOINTS,
                                .n = 21,
                                .x = x,
                                .y = y,
                                .scale = 100};
    struct bh_chart_mark mk[4] = {
        {.at = 64, .label = "today: 64"},
        {.at = 65, .label = "recommended: 65", .colour = "#2e7d32"},
        {.at = 80, .horizontal = true, .label = "service level limit 80%"},
        {.at = 82, .horizontal = true, .label = "another limit 82%"}};
    struct bh_chart c = {.id = 4,
                         .title = "Capacity curve",
                         .y_percent = true,
                         .y_from_zero = true,
                         .nseries = 1,
                         .series = &s,
                         .nmarks = 4,
                         .marks = mk};
    for (int right = 0; right < 2; right++) {
        if (right) { /* both near the right edge */
            mk[0].at = 108;
            mk[1].at = 109;
            mk[0].label = "today: 108";
            mk[1].label = "recommended: 109";
        }
        char *svg = draw(&c);
        struct text_box b[128];
        size_t n = texts(svg, b, 128);
        const struct text_box *today = text_named(b, n, mk[0].label);
        const struct text_box *rec = text_named(b, n, mk[1].label);
        const struct text_box *l1 = text_named(b, n, mk[2].label);
        const struct text_box *l2 = text_named(b, n, mk[3].label);
        assert_non_null(today);
        assert_non_null(rec);
        assert_non_null(l1);
        assert_non_null(l2);
        assert_false(overlap(today, rec));
        assert_false(overlap(l1, l2));
        for (size_t i = 0; i < n; i++) {
            assert_true(b[i].x0 >= 0);
            assert_true(b[i].x1 <= 760);
        }
        free(svg);
    }
}

/* A cost on the right-hand axis beside a figure from zero starts at zero
 * too (129,800 at the bottom made a 1% change look ten-fold). */
static void
test_cost_axis_from_zero(void **state) {
    (void)state;
    double x[3] = {100, 120, 140}, b[3] = {0.3, 0.1, 0.02};
    double cost[3] = {129800, 130400, 131000};
    struct bh_chart_series s[2] = {
        {.title = "blocking", .n = 3, .x = x, .y = b, .scale = 100},
        {.title = "cost", .n = 3, .x = x, .y = cost, .y2 = true}};
    struct bh_chart c = {.id = 5,
                         .y_percent = true,
                         .y_from_zero = true,
                         .nseries = 2,
                         .series = s};
    char *svg = draw(&c);
    struct text_box t[128];
    size_t n = texts(svg, t, 128);
    /* the right-hand axis's lowest tic is 0, level with the left's 0% */
    double y0 = NAN, low = -1;
    const struct text_box *zero = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *v = t[i].text;
        while (*v == ' ')
            v++;
        if (t[i].anchor == 's' && t[i].x0 > 600 && t[i].y1 > low &&
            strspn(v, "0123456789") == strlen(v)) {
            low = t[i].y1;
            zero = &t[i];
        }
    }
    assert_non_null(zero);
    const char *v = zero->text;
    while (*v == ' ')
        v++;
    assert_string_equal(v, "0");
    assert_true(tic_y(svg, "0%", &y0));
    assert_true(fabs(zero->y1 - 2 - y0) < 6);
    free(svg);
}

/* Long category names are written on several lines under their bar, all
 * inside the chart (slanted ones ran off its left edge). */
static void
test_category_labels_fit(void **state) {
    (void)state;
    const char *cats[] = {"hotline-callers local metered",
                          "hotline-callers long-distance metered",
                          "hotline-callers mobile bundle",
                          "team-meetings long-distance metered",
                          "team-meetings mobile bundle"};
    double y[5] = {495, 295, 195, 3124, 0};
    struct bh_chart_series s = {
        .title = "plan", .style = BH_CHART_BARS, .n = 5, .y = y};
    struct bh_chart c = {.id = 3,
                         .title = "Cost by caller class",
                         .y_from_zero = true,
                         .ncategories = 5,
                         .categories = cats,
                         .nseries = 1,
                         .series = &s,
                         .height = 320};
    char *svg = draw(&c);
    struct text_box t[128];
    size_t n = texts(svg, t, 128);
    const struct text_box *key = text_named(t, n, "plan");
    assert_non_null(key);
    int lines = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].x0 >= 0);
        assert_true(t[i].x1 <= 760);
        assert_true(t[i].y0 >= 0);
        assert_true(t[i].y1 <= 320);
        if (strcmp(t[i].text, "metered") == 0 ||
            strcmp(t[i].text, "bundle") == 0) {
            lines++;
            assert_false(overlap(&t[i], key));
        }
    }
    assert_int_equal(lines, 5); /* every name's last line is there */
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
        cmocka_unit_test(test_isolated_value),
        cmocka_unit_test(test_mark_labels_apart),
        cmocka_unit_test(test_cost_axis_from_zero),
        cmocka_unit_test(test_category_labels_fit),
        cmocka_unit_test(test_missing_gnuplot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
