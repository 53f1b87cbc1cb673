/* test_render.c: the report writers on a hand-written results file:
 * Markdown verdict and intervals, JUnit failures and XML escaping, CSV
 * quoting, an HTML page with the verdict first and no external URL, and
 * the escaping both markup writers share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reports.h"
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
    struct bh_results r;
    const struct bh_results *rp[1];
    const char *labels[1];
    struct bh_report rep;
};

static int
setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    struct bh_diag d;
    if (bh_results_read_json(BH_TEST_DATA "/results/failing.json", &f->r, &d) !=
        0) {
        bh_diag_print(&d, stderr);
        free(f);
        return -1;
    }
    f->rp[0] = &f->r;
    f->labels[0] = "sim (failing.json)";
    f->rep.n = 1;
    f->rep.rs = f->rp;
    f->rep.labels = f->labels;
    f->rep.start = 8 * 3600; /* the horizon starts at 08:00 */
    *state = f;
    return 0;
}

static int
teardown(void **state) {
    struct fx *f = *state;
    bh_results_clear(&f->r);
    free(f);
    return 0;
}

/* Runs a writer into memory. */
static char *
capture(int (*fn)(const struct bh_report *, FILE *),
        const struct bh_report *r) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    assert_int_equal(fn(r, m), 0);
    fclose(m);
    return buf;
}

static void
test_md(void **state) {
    struct fx *f = *state;
    char *md = capture(bh_report_md, &f->rep);
    assert_non_null(strstr(md, "**Verdict: FAIL** - 2 of 4 thresholds"));
    assert_non_null(strstr(md, "| hotline.blocking < 1% | 6.10% (upper "
                               "bound) | < 1.00% | **FAIL** |"));
    assert_non_null(strstr(md, "| hotline.abandonment < 5% | 4.40% (upper "
                               "bound) | < 5.00% | pass |"));
    assert_non_null(strstr(md, "| blocking | 5.26% [4.40, 6.10] |"));
    assert_non_null(strstr(md, "| answered within 20s | 62.00% [58.00, "
                               "66.00] |"));
    /* NaN per_participant: a dash, not "nan". */
    assert_non_null(strstr(md, "| per participant | - |"));
    assert_null(strstr(md, "nan"));
    /* Each column's capacity as a row; the plan's table, now against
     * recommended, with what set each answer. */
    assert_non_null(strstr(md, "| lines | 10 |\n| operators | 8 |\n"));
    assert_non_null(strstr(md, "## Capacity plan (sim (failing.json))"));
    assert_non_null(strstr(md, "| hotline | operators | 8 | 12 | 12 | "));
    /* The verdict comes before any figure. */
    assert_true(strstr(md, "Verdict") < strstr(md, "## hotline"));
    free(md);
    /* All pass: PASS. */
    for (size_t i = 0; i < f->r.nthresholds; i++)
        f->r.thresholds[i].pass = true;
    md = capture(bh_report_md, &f->rep);
    assert_non_null(strstr(md, "**Verdict: PASS** - all 4 thresholds"));
    free(md);
}

static void
test_junit(void **state) {
    struct fx *f = *state;
    strcpy(f->r.scenario, "a&b\"<c>");
    char *x = capture(bh_report_junit, &f->rep);
    assert_non_null(strstr(x, "<testsuites name=\"busyhour\" tests=\"4\" "
                              "failures=\"2\""));
    assert_non_null(strstr(x, "name=\"busyhour.a&amp;b&quot;&lt;c&gt;.sim\""));
    assert_non_null(strstr(x, "<testcase classname=\"busyhour.hotline\" "
                              "name=\"hotline.blocking &lt; 1%\""));
    assert_non_null(strstr(x, "message=\"hotline.blocking = 6.10% (upper "
                              "95% bound) fails the limit &lt; 1.00%\""));
    assert_non_null(strstr(x, "metric: hotline.blocking\nvalue: 0.061\n"
                              "limit: &lt; 0.01\n</failure>"));
    /* Passing ones are empty test cases. */
    assert_non_null(strstr(x, "name=\"cost.per_call &lt; 0.10\" "
                              "time=\"0\"/>"));
    /* Exactly two failures. */
    int n = 0;
    for (const char *p = x; (p = strstr(p, "<failure ")) != NULL; p++)
        n++;
    assert_int_equal(n, 2);
    free(x);
    /* A figure that was not measured says so. */
    f->r.thresholds[0].value = NAN;
    x = capture(bh_report_junit, &f->rep);
    assert_non_null(strstr(x, "hotline.blocking was not measured"));
    free(x);
}

static char *
slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = calloc(1, (size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return b;
}

static void
test_csv(void **state) {
    struct fx *f = *state;
    strcpy(f->r.targets[0].name, "hot,\"line\"");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/reports_test_render_csv_%ld", BH_BINARY_DIR,
             (long)getpid());
    struct bh_diag d;
    assert_int_equal(bh_report_csv(&f->rep, dir, &d), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/intervals.csv", dir);
    char *iv = slurp(path);
    assert_true(strncmp(iv,
                        "results,source,target,start_s,clock,"
                        "offered_erlangs,offered_erlangs_lo,",
                        60) == 0);
    assert_non_null(strstr(iv, "service_level_20s,service_level_20s_lo,"
                               "service_level_20s_hi\n"));
    /* RFC 4180 quoting, the clock from the horizon's 08:00 start; a
     * figure without an interval has lo == hi == mean. */
    assert_non_null(strstr(iv,
                           "sim (failing.json),sim,\"hot,\"\"line\"\"\","
                           "1800,08:30,10,10,10,300,300,300,0.065,0.05,0.08,"));
    unlink(path);
    free(iv);
    snprintf(path, sizeof path, "%s/classes.csv", dir);
    char *cl = slurp(path);
    assert_non_null(strstr(cl, "sim (failing.json),sim,callers,mobile,,"
                               "company,EUR,570,560,580,41.13,39.4,42.9\n"));
    unlink(path);
    free(cl);
    snprintf(path, sizeof path, "%s/targets.csv", dir);
    char *tg = slurp(path);
    assert_non_null(strstr(tg, ",number,10,8,9.5,9.5,9.5,570,560,580,"));
    /* a figure that was not measured: empty cells */
    assert_non_null(strstr(tg, ",,,"));
    unlink(path);
    free(tg);
    rmdir(dir);
    /* A file where the folder should be. */
    assert_int_equal(bh_report_csv(&f->rep,
                                   BH_TEST_DATA "/results/"
                                                "minimal.json",
                                   &d),
                     BH_EIO);
}

/* Is `what` in the SVG chart that holds position `at` of page `buf`? */
static bool
in_chart(const char *buf, const char *at, const char *what) {
    const char *start = at;
    while (start > buf && strncmp(start, "<svg", 4) != 0)
        start--;
    const char *end = strstr(at, "</svg>");
    const char *w = strstr(start, what);
    return w && end && w < end;
}

static void
test_html(void **state) {
    struct fx *f = *state;
    strcpy(f->r.targets[0].name, "<hot&line>");
    struct bh_capacity_point pts[3] = {
        {8, NAN, 0.62, NAN}, {10, NAN, 0.75, NAN}, {12, NAN, 0.83, NAN}};
    struct bh_capacity_curve cv = {.sl_time = 20,
                                   .limit = 0.8,
                                   .now = 8,
                                   .recommended = 12,
                                   .n = 3,
                                   .points = pts};
    strcpy(cv.target, "<hot&line>");
    strcpy(cv.resource, "operators");
    strcpy(cv.note, "test curve");
    f->rep.curves = &cv;
    f->rep.ncurves = 1;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    struct bh_diag d = {0};
    int rc = bh_report_html(&f->rep, m, &d);
    fclose(m);
    if (rc)
        fail_msg("%s", d.msg);
    assert_true(strncmp(buf, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(buf, "</html>\n"));
    /* Verdict first, then the charts. */
    char *v = strstr(buf, "class=\"verdict fail\"");
    assert_non_null(v);
    assert_true(v < strstr(buf, "<svg"));
    assert_non_null(strstr(buf, "<div class=\"big\">FAIL</div>"));
    /* Names escaped in text; the raw name never appears. */
    assert_non_null(strstr(buf, "&lt;hot&amp;line&gt;"));
    assert_null(strstr(buf, "<hot&line>"));
    /* Charts: load, blocking, abandonment, waits, wait distribution,
     * capacity, payer, classes. */
    int svgs = 0;
    for (const char *p = buf; (p = strstr(p, "<svg")) != NULL; p++)
        svgs++;
    assert_int_equal(svgs, 8);
    /* blocking and abandonment each on its own chart with its own limit
     * (the thresholds name "hotline"), never one bare "limit" over both */
    free(buf);
    strcpy(f->r.targets[0].name, "hotline");
    m = open_memstream(&buf, &len);
    assert_non_null(m);
    rc = bh_report_html(&f->rep, m, &d);
    fclose(m);
    if (rc)
        fail_msg("%s", d.msg);
    const char *blk = strstr(buf, "<text>Blocking per interval</text>");
    const char *ab = strstr(buf, "<text>Abandonment per interval</text>");
    assert_non_null(blk);
    assert_non_null(ab);
    assert_true(in_chart(buf, blk, "<text>blocking limit 1.00%</text>"));
    assert_true(in_chart(buf, ab, "<text>abandonment limit 5.00%</text>"));
    assert_false(in_chart(buf, blk, "abandonment limit"));
    assert_false(in_chart(buf, ab, "blocking limit"));
    assert_null(strstr(buf, "<text>limit</text>"));
    /* the plan's now-vs-recommended table, and a capacity row */
    assert_non_null(strstr(buf, "<h2>Capacity plan"));
    assert_non_null(strstr(buf, "<td>operators</td><td>8</td><td>12</td>"
                                "<td><b>12</b></td>"));
    assert_non_null(strstr(buf, "<tr><td>lines</td><td>10</td></tr>"));
    free(buf);
    m = open_memstream(&buf, &len);
    assert_non_null(m);
    strcpy(f->r.targets[0].name, "<hot&line>");
    assert_int_equal(bh_report_html(&f->rep, m, &d), 0);
    fclose(m);
    assert_non_null(strstr(buf, "Capacity curve: service level against "
                                "operators"));
    assert_non_null(strstr(buf, "recommended: 12"));
    /* No URL but the SVG namespaces; no scripts or external resources. */
    for (const char *p = buf; (p = strstr(p, "http")) != NULL; p++) {
        if (strncmp(p, "http://www.w3.org/2000/svg\"", 27) == 0 ||
            strncmp(p, "http://www.w3.org/1999/xlink\"", 29) == 0)
            continue;
        assert_false(strncmp(p, "http://", 7) == 0 ||
                     strncmp(p, "https://", 8) == 0);
    }
    assert_null(strstr(buf, "<script"));
    assert_null(strstr(buf, "<img"));
    assert_null(strstr(buf, "<link"));
    free(buf);
}

/* One escaping function serves HTML and JUnit XML: markup characters as
 * entities, control characters other than tab and newline dropped, an
 * apostrophe kept (every attribute is in double quotes). */
static void
test_escape(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    rd_escape(m, "a'b<c>&\"d\x01\x1f\te\n");
    fclose(m);
    assert_string_equal(buf, "a'b&lt;c&gt;&amp;&quot;d\te\n");
    free(buf);
}

int
main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_md),
        T(test_junit),
        T(test_csv),
        T(test_html),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
