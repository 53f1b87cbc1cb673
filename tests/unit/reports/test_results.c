/* test_results.c: results storage, JSON round trip, determinism, and the
 * reader's errors on malformed, truncated and mistyped files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reports.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct bh_estimate
est(double m, double lo, double hi) {
    struct bh_estimate e = {m, lo, hi};
    return e;
}

/* A results struct with two targets, three intervals, costs, thresholds
 * and a plan row; every figure distinct so a swap would show. */
static void
fill(struct bh_results *r) {
    assert_int_equal(bh_results_init(r, 2, 3), 0);
    r->source = BH_SOURCE_SIM;
    strcpy(r->scenario, "hotline-8800");
    r->seed = 42;
    r->replications = 20;
    r->horizon = 86400;
    r->warmup = 3600;
    r->interval = 900;
    const char *names[] = {"hotline", "conf"};
    for (size_t ti = 0; ti < 2; ti++) {
        struct bh_target_result *t = &r->targets[ti];
        strcpy(t->name, names[ti]);
        strcpy(t->kind, ti ? "bridge" : "number");
        t->lines = 30 + (int)ti;
        t->operators = ti ? 0 : 22;
        double k = (double)ti + 1;
        t->offered_erlangs = est(17.5 * k, 17 * k, 18 * k);
        t->offered = est(1000 * k, 990 * k, 1010 * k);
        t->answered = est(950 * k, 940 * k, 960 * k);
        t->blocked = est(30 * k, 28 * k, 32 * k);
        t->abandoned = est(20 * k, 18 * k, 22 * k);
        t->overflow = est(1, 0.5, 1.5);
        t->retried = est(12, 10, 14);
        t->blocking = est(0.03 * k, 0.028 * k, 0.032 * k);
        t->abandonment = est(0.02, 0.018, 0.022);
        t->wait_mean = est(11.25, 10.5, 12);
        t->wait_p50 = est(3, 2.5, 3.5);
        t->wait_p90 = est(30.1, 29, 31.3);
        t->wait_p99 = est(88, 80, 96);
        t->nsl = 2;
        t->sl[0].t = 20;
        t->sl[0].value = est(0.81, 0.8, 0.82);
        t->sl[1].t = 90;
        t->sl[1].value = est(0.97, 0.96, 0.98);
        t->occupancy = est(0.8, 0.79, 0.81);
        t->busy_mean = est(17.6, 17.1, 18.1);
        t->peak_busy = est(30, 29, 30);
        t->incomplete_meetings = ti ? est(0.1, 0.05, 0.15) : est(NAN, NAN, NAN);
        t->meetings = ti ? est(80, 75, 85) : est(0, 0, 0);
        for (size_t ii = 0; ii < 3; ii++) {
            struct bh_interval_result *iv = bh_results_interval(r, ti, ii);
            assert_non_null(iv);
            double x = (double)(ti * 10 + ii);
            iv->start = 900.0 * (double)ii;
            iv->offered_erlangs = est(x + 0.5, x, x + 1);
            iv->offered = est(x * 3, x * 2, x * 4);
            iv->blocking = est(0.001 * x, 0, 0.002 * x);
            iv->abandonment = est(0.0005 * x, 0, 0.001 * x);
            iv->wait_mean = est(x / 3.0, x / 4.0, x / 2.0);
            iv->nsl = 1;
            iv->sl[0].t = 20;
            iv->sl[0].value = est(0.9, 0.85, 0.95);
            iv->busy_mean = est(x, x, x);
            iv->occupancy = est(0.5, 0.4, 0.6);
        }
    }
    r->costs.present = true;
    strcpy(r->costs.currency, "EUR");
    r->costs.total = est(1234.567891, 1200.5, 1268.25);
    r->costs.per_call = est(0.412, 0.4, 0.424);
    r->costs.per_participant = est(0.3, 0.28, 0.32);
    r->costs.callers = est(500.25, 480, 520.5);
    r->costs.company = est(734.317891, 720.5, 747.75);
    r->costs.line_rental = est(8.5, 8.5, 8.5);
    r->costs.per_month = est(37037.03673, 36015, 38047.5);
    r->costs.provider_revenue = est(0, 0, 0);
    r->costs.operators = est(690.5, 690.5, 690.5);
    r->costs.answered = est(950, 940, 960);
    for (int p = 0; p < BH_COST_PAYERS; p++) {
        r->costs.by[p].total = est(100.0 * (p + 1), 90.0 * (p + 1), 400);
        r->costs.by[p].per_answered_call = est(0.25 * (p + 1), 0.2, 0.9);
        r->costs.by[p].per_hour = est(4.5 + p, 4, 8);
        r->costs.by[p].per_month = est(3240.0 + p, 3000, 3500);
    }
    r->costs.ntargets = 1;
    r->costs.targets = calloc(1, sizeof *r->costs.targets);
    assert_non_null(r->costs.targets);
    strcpy(r->costs.targets[0].name, "hotline");
    r->costs.targets[0].answered = est(900, 890, 910);
    r->costs.targets[0].line_rental = est(8.5, 8.5, 8.5);
    r->costs.targets[0].operators = est(690.5, 690.5, 690.5);
    r->costs.targets[0].by[BH_COST_COMPANY].per_answered_call =
        est(1.375, 1.25, 1.5);
    r->costs.balance.present = true;
    r->costs.balance.start = 3000;
    r->costs.balance.top_up = 100;
    r->costs.balance.every = 604800;
    r->costs.balance.end = est(-20.5, -30, -11);
    r->costs.balance.runs_out = 0.75;
    r->costs.balance.out_at = est(50400, 48000, 52800);
    r->costs.balance.earliest = 46800;
    r->costs.balance.projected = NAN;
    r->costs.nclasses = 1;
    r->costs.classes = calloc(1, sizeof *r->costs.classes);
    assert_non_null(r->costs.classes);
    strcpy(r->costs.classes[0].source, "hotline-callers");
    strcpy(r->costs.classes[0].origin, "mobile");
    strcpy(r->costs.classes[0].plan, "bundle");
    r->costs.classes[0].total = est(100.125, 90, 110.25);
    r->costs.classes[0].calls = est(200, 190, 210);
    r->nthresholds = 2;
    r->thresholds = calloc(2, sizeof *r->thresholds);
    assert_non_null(r->thresholds);
    strcpy(r->thresholds[0].expr, "hotline.blocking < 1%");
    r->thresholds[0].value = 0.032;
    r->thresholds[0].limit = 0.01;
    r->thresholds[0].pass = false;
    strcpy(r->thresholds[1].expr, "cost.per_call < 0.40");
    r->thresholds[1].value = 0.424;
    r->thresholds[1].limit = 0.4;
    r->thresholds[1].pass = false;
    r->nplan = 1;
    r->plan = calloc(1, sizeof *r->plan);
    assert_non_null(r->plan);
    strcpy(r->plan[0].target, "hotline");
    strcpy(r->plan[0].resource, "operators");
    r->plan[0].now = 22;
    r->plan[0].analytic = 24;
    r->plan[0].recommended = 25;
    r->plan[0].blocking_now = est(0.03, 0.02, 0.04);
    r->plan[0].blocking_recommended = est(0.004, 0.003, 0.005);
    r->plan[0].sl_now = est(0.7, 0.65, 0.75);
    r->plan[0].sl_recommended = est(0.85, 0.82, 0.88);
    r->plan[0].cost_now = est(1000, 990, 1010);
    r->plan[0].cost_recommended = est(1100, 1090, 1110);
}

static void
tmpname(char *buf, size_t size, const char *tag) {
    snprintf(buf, size, "%s/reports_test_results_%s_%ld.json", BH_BINARY_DIR,
             tag, (long)getpid());
}

static void
assert_est(struct bh_estimate a, struct bh_estimate b) {
    if (isnan(a.mean)) {
        assert_true(isnan(b.mean));
    } else {
        assert_true(a.mean == b.mean);
        assert_true(a.lo == b.lo);
        assert_true(a.hi == b.hi);
    }
}

static char *
slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void
test_init_clear(void **state) {
    (void)state;
    struct bh_results r;
    assert_int_equal(bh_results_init(&r, 3, 96), 0);
    assert_int_equal(r.ntargets, 3);
    assert_int_equal(r.nintervals, 96);
    assert_non_null(bh_results_interval(&r, 2, 95));
    assert_null(bh_results_interval(&r, 3, 0));
    assert_null(bh_results_interval(&r, 0, 96));
    /* The slots are distinct and row-major by target. */
    assert_ptr_equal(bh_results_interval(&r, 1, 0),
                     bh_results_interval(&r, 0, 0) + 96);
    bh_results_clear(&r);
    assert_null(r.targets);
    bh_results_clear(&r); /* twice is harmless */
    struct bh_results z;
    memset(&z, 0, sizeof z);
    bh_results_clear(&z);
    assert_int_equal(bh_results_init(&r, 0, 0), 0);
    bh_results_clear(&r);
}

static void
test_number_format(void **state) {
    (void)state;
    char buf[40];
    bh_results_format_number(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    bh_results_format_number(42, buf, sizeof buf);
    assert_string_equal(buf, "42");
    bh_results_format_number(NAN, buf, sizeof buf);
    assert_string_equal(buf, "null");
    bh_results_format_number(INFINITY, buf, sizeof buf);
    assert_string_equal(buf, "null");
    bh_results_format_number(-0.0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    double third = 1.0 / 3.0;
    bh_results_format_number(third, buf, sizeof buf);
    assert_true(strtod(buf, NULL) == third);
}

static void
test_round_trip(void **state) {
    (void)state;
    struct bh_results a, b;
    fill(&a);
    char path[512];
    tmpname(path, sizeof path, "rt");
    assert_int_equal(bh_results_write_json(&a, path), 0);
    struct bh_diag d;
    int rc = bh_results_read_json(path, &b, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_int_equal(b.source, BH_SOURCE_SIM);
    assert_string_equal(b.scenario, "hotline-8800");
    assert_int_equal(b.seed, 42);
    assert_int_equal(b.replications, 20);
    assert_true(b.horizon == 86400 && b.warmup == 3600 && b.interval == 900);
    assert_int_equal(b.ntargets, 2);
    assert_int_equal(b.nintervals, 3);
    for (size_t ti = 0; ti < 2; ti++) {
        struct bh_target_result *x = &a.targets[ti], *y = &b.targets[ti];
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->kind, y->kind);
        assert_int_equal(x->lines, y->lines);
        assert_int_equal(x->operators, y->operators);
        assert_est(x->offered_erlangs, y->offered_erlangs);
        assert_est(x->offered, y->offered);
        assert_est(x->answered, y->answered);
        assert_est(x->blocked, y->blocked);
        assert_est(x->abandoned, y->abandoned);
        assert_est(x->overflow, y->overflow);
        assert_est(x->retried, y->retried);
        assert_est(x->blocking, y->blocking);
        assert_est(x->abandonment, y->abandonment);
        assert_est(x->wait_mean, y->wait_mean);
        assert_est(x->wait_p50, y->wait_p50);
        assert_est(x->wait_p90, y->wait_p90);
        assert_est(x->wait_p99, y->wait_p99);
        assert_int_equal(x->nsl, y->nsl);
        for (size_t i = 0; i < x->nsl; i++) {
            assert_true(x->sl[i].t == y->sl[i].t);
            assert_est(x->sl[i].value, y->sl[i].value);
        }
        assert_est(x->occupancy, y->occupancy);
        assert_est(x->busy_mean, y->busy_mean);
        assert_est(x->peak_busy, y->peak_busy);
        assert_est(x->incomplete_meetings, y->incomplete_meetings);
        assert_est(x->meetings, y->meetings);
        for (size_t ii = 0; ii < 3; ii++) {
            struct bh_interval_result *p = bh_results_interval(&a, ti, ii);
            struct bh_interval_result *q = bh_results_interval(&b, ti, ii);
            assert_true(p->start == q->start);
            assert_est(p->offered_erlangs, q->offered_erlangs);
            assert_est(p->offered, q->offered);
            assert_est(p->blocking, q->blocking);
            assert_est(p->abandonment, q->abandonment);
            assert_est(p->wait_mean, q->wait_mean);
            assert_est(p->busy_mean, q->busy_mean);
            assert_est(p->occupancy, q->occupancy);
            assert_int_equal(p->nsl, q->nsl);
            assert_true(p->sl[0].t == q->sl[0].t);
            assert_est(p->sl[0].value, q->sl[0].value);
        }
    }
    assert_true(b.costs.present);
    assert_string_equal(b.costs.currency, "EUR");
    assert_est(a.costs.total, b.costs.total);
    assert_est(a.costs.per_call, b.costs.per_call);
    assert_est(a.costs.per_participant, b.costs.per_participant);
    assert_est(a.costs.callers, b.costs.callers);
    assert_est(a.costs.company, b.costs.company);
    assert_est(a.costs.line_rental, b.costs.line_rental);
    assert_est(a.costs.per_month, b.costs.per_month);
    assert_est(a.costs.operators, b.costs.operators);
    assert_est(a.costs.answered, b.costs.answered);
    for (int p = 0; p < BH_COST_PAYERS; p++) {
        assert_est(a.costs.by[p].total, b.costs.by[p].total);
        assert_est(a.costs.by[p].per_answered_call,
                   b.costs.by[p].per_answered_call);
        assert_est(a.costs.by[p].per_hour, b.costs.by[p].per_hour);
        assert_est(a.costs.by[p].per_month, b.costs.by[p].per_month);
    }
    assert_int_equal(b.costs.ntargets, 1);
    assert_string_equal(b.costs.targets[0].name, "hotline");
    assert_est(a.costs.targets[0].answered, b.costs.targets[0].answered);
    assert_est(a.costs.targets[0].operators, b.costs.targets[0].operators);
    assert_est(a.costs.targets[0].by[BH_COST_COMPANY].per_answered_call,
               b.costs.targets[0].by[BH_COST_COMPANY].per_answered_call);
    assert_true(b.costs.balance.present);
    assert_true(b.costs.balance.start == 3000);
    assert_true(b.costs.balance.every == 604800);
    assert_est(a.costs.balance.end, b.costs.balance.end);
    assert_true(b.costs.balance.runs_out == 0.75);
    assert_est(a.costs.balance.out_at, b.costs.balance.out_at);
    assert_true(b.costs.balance.earliest == 46800);
    assert_true(isnan(b.costs.balance.projected));
    assert_int_equal(b.costs.nclasses, 1);
    assert_string_equal(b.costs.classes[0].origin, "mobile");
    assert_est(a.costs.classes[0].total, b.costs.classes[0].total);
    assert_int_equal(b.nthresholds, 2);
    assert_string_equal(b.thresholds[1].expr, "cost.per_call < 0.40");
    assert_true(b.thresholds[1].value == 0.424);
    assert_true(b.thresholds[1].limit == 0.4);
    assert_false(b.thresholds[1].pass);
    assert_int_equal(b.nplan, 1);
    assert_int_equal(b.plan[0].recommended, 25);
    assert_est(a.plan[0].sl_recommended, b.plan[0].sl_recommended);

    /* Determinism: writing what was read gives the same bytes. */
    char path2[512];
    tmpname(path2, sizeof path2, "rt2");
    assert_int_equal(bh_results_write_json(&b, path2), 0);
    size_t n1, n2;
    char *t1 = slurp(path, &n1), *t2 = slurp(path2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(t1, t2, n1);
    /* The documented paths exist, NaN became null. */
    assert_non_null(strstr(t1, "\"targets\": {\n    \"hotline\": {"));
    assert_non_null(strstr(t1, "\"blocking\": {\"mean\": 0.03, \"ci95\": "
                               "[0.028, 0.032]}"));
    assert_non_null(strstr(t1, "\"incomplete_meetings\": null"));
    assert_non_null(strstr(t1, "\"20s\": 0.81"));
    assert_non_null(strstr(t1, "\"1m30s\": 0.97"));
    assert_non_null(strstr(t1, "\"by_payer\": {\n      \"callers\": 500.25"));
    free(t1);
    free(t2);
    unlink(path);
    unlink(path2);
    bh_results_clear(&a);
    bh_results_clear(&b);
}

/* Load results carry what the edge measured; other results have none. */
static void
test_measured_round_trip(void **state) {
    (void)state;
    struct bh_results a, b;
    fill(&a);
    char path[512];
    tmpname(path, sizeof path, "meas");
    struct bh_diag d;
    assert_int_equal(bh_results_write_json(&a, path), 0);
    assert_int_equal(bh_results_read_json(path, &b, &d), 0);
    assert_false(b.measured.present);
    bh_results_clear(&b);
    a.source = BH_SOURCE_LOAD;
    struct bh_measured *m = &a.measured;
    m->present = true;
    m->calls = 120;
    m->late = 2;
    m->late_mean = 0.0005;
    m->late_max = 0.02;
    m->setup_trying = NAN;
    m->setup_ringing = 0.0021;
    m->setup_answer = 0.0011;
    m->rtp_sent = 11800;
    m->rtp_received = 11790;
    m->rtp_lost = 10;
    m->loss = 10.0 / 11800;
    m->jitter = 0.4;
    m->mos_in = 4.4;
    m->mos_out = NAN;
    m->nfailures = 2;
    snprintf(m->failures[0].reason, sizeof m->failures[0].reason, "timeout");
    m->failures[0].count = 3;
    snprintf(m->failures[1].reason, sizeof m->failures[1].reason, "5xx");
    m->failures[1].count = 1;
    assert_int_equal(bh_results_write_json(&a, path), 0);
    int rc = bh_results_read_json(path, &b, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    const struct bh_measured *n = &b.measured;
    assert_true(n->present);
    assert_true(n->calls == 120 && n->late == 2 && n->late_max == 0.02);
    assert_true(isnan(n->setup_trying) && isnan(n->mos_out));
    assert_true(n->setup_ringing == 0.0021 && n->setup_answer == 0.0011);
    assert_true(n->rtp_sent == 11800 && n->rtp_lost == 10);
    assert_true(fabs(n->loss - 10.0 / 11800) < 1e-12);
    assert_true(n->jitter == 0.4 && n->mos_in == 4.4);
    assert_int_equal(n->nfailures, 2);
    assert_string_equal(n->failures[0].reason, "timeout");
    assert_true(n->failures[0].count == 3);
    assert_string_equal(n->failures[1].reason, "5xx");
    bh_results_clear(&a);
    bh_results_clear(&b);
    remove(path);
}

static void
test_no_costs_written_as_null(void **state) {
    (void)state;
    struct bh_results a, b;
    assert_int_equal(bh_results_init(&a, 1, 0), 0);
    a.source = BH_SOURCE_ANALYTIC;
    strcpy(a.scenario, "x");
    strcpy(a.targets[0].name, "n");
    char path[512];
    tmpname(path, sizeof path, "nocost");
    assert_int_equal(bh_results_write_json(&a, path), 0);
    struct bh_diag d;
    assert_int_equal(bh_results_read_json(path, &b, &d), 0);
    assert_false(b.costs.present);
    assert_int_equal(b.source, BH_SOURCE_ANALYTIC);
    assert_int_equal(b.nintervals, 0);
    unlink(path);
    bh_results_clear(&a);
    bh_results_clear(&b);
}

/* Writes text to a temp file and reads it; returns the code, fills d. */
static int
read_text(const char *text, struct bh_diag *d) {
    char path[512];
    tmpname(path, sizeof path, "bad");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct bh_results r;
    int rc = bh_results_read_json(path, &r, d);
    if (rc == 0)
        bh_results_clear(&r);
    unlink(path);
    return rc;
}

static void
test_syntax_error_located(void **state) {
    (void)state;
    struct bh_diag d;
    assert_int_equal(
        read_text("{\n  \"source\": \"sim\",\n  \"seed\" 4\n}", &d), BH_EPARSE);
    assert_int_equal(d.line, 3);
    assert_true(d.column > 0);
    assert_non_null(strstr(d.msg, "malformed JSON"));
}

static void
test_truncated_every_prefix(void **state) {
    (void)state;
    struct bh_results a;
    fill(&a);
    char path[512];
    tmpname(path, sizeof path, "full");
    assert_int_equal(bh_results_write_json(&a, path), 0);
    bh_results_clear(&a);
    size_t n;
    char *text = slurp(path, &n);
    unlink(path);
    /* Every proper prefix (cut at every 7th byte, and the last 40) fails
     * cleanly, never crashes, never leaks (ASan). */
    for (size_t cut = 0; cut + 1 < n; cut += (cut + 40 < n ? 7 : 1)) {
        char save = text[cut];
        text[cut] = '\0';
        struct bh_diag d;
        int rc = read_text(text, &d);
        text[cut] = save;
        /* Cutting only trailing whitespace leaves a valid file. */
        bool only_ws = true;
        for (size_t i = cut; i < n; i++)
            if (text[i] != '\n' && text[i] != ' ')
                only_ws = false;
        if (only_ws)
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, BH_EPARSE);
        if (rc)
            assert_true(strlen(d.msg) > 0);
    }
    free(text);
}

struct bad_case {
    const char *text;
    const char *path; /* expected in the message */
};

static void
test_schema_errors_name_path(void **state) {
    (void)state;
    const char *head = "{\"source\": \"sim\", \"scenario\": \"s\", \"seed\": 1,"
                       " \"costs\": null, \"thresholds\": [], ";
    const char *good_target =
        "\"offered\": 10, \"answered\": 9, \"blocked\": 1, \"abandoned\": 0,"
        " \"blocking\": {\"mean\": 0.1, \"ci95\": [0.05, 0.15]},"
        " \"abandonment\": {\"mean\": 0},"
        " \"occupancy\": 0.5, \"peak_busy\": 3,"
        " \"wait\": {\"mean\": 0, \"p50\": 0, \"p90\": 0, \"p99\": 0,"
        " \"service_level\": {}}";
    char buf[2048];
    struct bh_diag d;

    snprintf(buf, sizeof buf, "%s\"targets\": {\"hotline\": {%s}}}", head,
             good_target);
    assert_int_equal(read_text(buf, &d), 0);

    struct bad_case cases[] = {
        {"{\"source\": \"sim\"}", ".scenario"},
        {"[1, 2]", "(top level)"},
        {"{\"source\": \"simulated\", \"scenario\": \"s\", \"seed\": 1}",
         ".source"},
        {"{\"source\": \"sim\", \"scenario\": \"s\", \"seed\": -1}", ".seed"},
        {"{\"source\": \"sim\", \"scenario\": \"s\", \"seed\": 1,"
         " \"targets\": []}",
         ".targets"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(read_text(cases[i].text, &d), BH_EPARSE);
        assert_non_null(strstr(d.msg, cases[i].path));
    }
    /* Deep paths. */
    const char *deep[][2] = {
        {"\"blocking\": {\"mean\": \"high\"}",
         ".targets.hotline.blocking.mean: expected a number"},
        {"\"blocking\": {\"mean\": 0.1, \"ci95\": [0.2]}",
         ".targets.hotline.blocking.ci95"},
        {"\"blocking\": {\"mean\": 1.5}", ".targets.hotline.blocking.mean: "
                                          "must be a share"},
        {"\"offered\": -3", ".targets.hotline.offered: must not be negative"},
    };
    for (size_t i = 0; i < sizeof deep / sizeof *deep; i++) {
        /* Put the bad member last: jansson keeps the last duplicate? No:
         * duplicates are rejected, so replace by building a new object. */
        char tgt[1024];
        snprintf(tgt, sizeof tgt, "%s", good_target);
        const char *key_end = strchr(deep[i][0], ':');
        size_t klen = (size_t)(key_end - deep[i][0]);
        char *at = strstr(tgt, "\"blocking\"");
        if (strncmp(deep[i][0], "\"offered\"", klen) == 0)
            at = strstr(tgt, "\"offered\"");
        assert_non_null(at);
        /* Rename the good member so the bad one is the only one. */
        at[1] = 'x';
        snprintf(buf, sizeof buf, "%s\"targets\": {\"hotline\": {%s, %s}}}",
                 head, tgt, deep[i][0]);
        assert_int_equal(read_text(buf, &d), BH_EPARSE);
        if (!strstr(d.msg, deep[i][1]))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, d.msg, deep[i][1]);
    }
    /* Missing wait. */
    snprintf(buf, sizeof buf, "%s\"targets\": {\"hotline\": {%.*s}}}", head,
             (int)(strstr(good_target, ", \"wait\"") - good_target),
             good_target);
    assert_int_equal(read_text(buf, &d), BH_EPARSE);
    assert_non_null(strstr(d.msg, ".targets.hotline.wait: required"));
}

static void
test_missing_and_not_regular(void **state) {
    (void)state;
    struct bh_results r;
    struct bh_diag d;
    assert_int_equal(bh_results_read_json("/nonexistent/x.json", &r, &d),
                     BH_ENOENT);
    assert_non_null(strstr(d.msg, "cannot open"));
    assert_int_equal(bh_results_read_json(BH_TEST_DATA, &r, &d), BH_EIO);
    assert_int_equal(read_text("", &d), BH_EPARSE);
    assert_int_equal(read_text("{\"a\": 1, \"a\": 2}", &d), BH_EPARSE);
}

static void
test_parse_buffer(void **state) {
    (void)state;
    struct bh_results r;
    struct bh_diag d;
    assert_int_equal(
        bh_results_parse("{\n  \"source\": ", 15, "buf.json", &r, &d),
        BH_EPARSE);
    assert_string_equal(d.file, "buf.json");
    assert_int_equal(d.line, 2);
    assert_int_equal(bh_results_parse(NULL, 0, "empty", &r, &d), BH_EPARSE);
    const char *ok = "{\"source\": \"load\", \"scenario\": \"s\", "
                     "\"seed\": 3, \"targets\": {}, \"costs\": null, "
                     "\"thresholds\": []}";
    assert_int_equal(bh_results_parse(ok, strlen(ok), "ok", &r, &d), 0);
    assert_int_equal(r.source, BH_SOURCE_LOAD);
    assert_int_equal(r.seed, 3);
    assert_int_equal(r.ntargets, 0);
    bh_results_clear(&r);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_clear),
        cmocka_unit_test(test_number_format),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_measured_round_trip),
        cmocka_unit_test(test_no_costs_written_as_null),
        cmocka_unit_test(test_syntax_error_located),
        cmocka_unit_test(test_truncated_every_prefix),
        cmocka_unit_test(test_schema_errors_name_path),
        cmocka_unit_test(test_missing_and_not_regular),
        cmocka_unit_test(test_parse_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
