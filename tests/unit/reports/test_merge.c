/* test_merge.c: merging the results of the segments of one load run
 * (bh_results_merge): records dealt to two or three segments, each
 * collected as load results, merge into exactly the figures of one run
 * over all the records (counts, shares, means, wait percentiles from the
 * merged histogram, busy levels, intervals); the histogram survives the
 * file; costs count the line rental once; files that are not the
 * segments of one run are refused with the reason. */
#include "reports.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { NREC = 3000 };

static struct bh_scenario *
scenario(void) {
    struct bh_scenario *sc = calloc(1, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "merge");
    sc->seed = 5;
    sc->horizon = 3600;
    sc->interval = 900;
    sc->sim.warmup = 0;
    sc->sw.nnumbers = 1;
    sc->sw.numbers = calloc(1, sizeof *sc->sw.numbers);
    snprintf(sc->sw.numbers[0].name, BH_SC_MAX_NAME, "desk");
    sc->sw.numbers[0].lines = 400;
    sc->sw.numbers[0].queue.present = true;
    sc->sw.numbers[0].queue.operators = 300;
    sc->sw.nbridges = 1;
    sc->sw.bridges = calloc(1, sizeof *sc->sw.bridges);
    snprintf(sc->sw.bridges[0].name, BH_SC_MAX_NAME, "conf");
    sc->sw.bridges[0].ports = 400;
    return sc;
}

static void
free_scenario(struct bh_scenario *sc) {
    free(sc->sw.numbers);
    free(sc->sw.bridges);
    free(sc);
}

static uint64_t
next(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* NREC records, the same every time: arrivals over the hour, outcomes of
 * every kind, waits from 0 to minutes. */
static void
records(struct bh_call_record *v) {
    uint64_t s = 7;
    for (int i = 0; i < NREC; i++) {
        struct bh_call_record *r = &v[i];
        memset(r, 0, sizeof *r);
        r->id = (uint64_t)i;
        r->plan = -1;
        r->attempt = 1;
        r->arrival = 3500.0 * i / NREC;
        r->target_kind =
            next(&s) % 5 == 0 ? BH_TARGET_BRIDGE : BH_TARGET_NUMBER;
        int o = (int)(next(&s) % 10);
        r->outcome = o < 6   ? BH_OUTCOME_ANSWERED
                     : o < 8 ? BH_OUTCOME_BLOCKED
                     : o < 9 ? BH_OUTCOME_ABANDONED
                             : BH_OUTCOME_OVERFLOW;
        if (r->outcome == BH_OUTCOME_ANSWERED && next(&s) % 2)
            r->wait = (double)(next(&s) % 100000) / 1000.0;
        r->answer = r->arrival;
        r->connect = r->arrival + r->wait;
        r->end =
            r->connect +
            (r->outcome == BH_OUTCOME_ANSWERED ? (double)(next(&s) % 300) : 0);
        r->talk = r->end - r->connect;
    }
}

struct ev {
    double t;
    int d, kind;
};

static int
by_time(const void *a, const void *b) {
    const struct ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->d - y->d; /* ends first */
}

/* Collects the records of segment `seg` of `n` (n == 0: all of them) as
 * load results, with the lines they hold (answered calls, arrival to
 * end) as levels. */
static void
collect(const struct bh_scenario *sc, const struct bh_call_record *v, int seg,
        int n, struct bh_results *out) {
    struct bh_collector *c;
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_LOAD, &c), 0);
    assert_int_equal(bh_collector_begin(c, 0), 0);
    struct ev *ev = calloc(2 * NREC, sizeof *ev);
    size_t nev = 0;
    for (int i = 0; i < NREC; i++) {
        if (n && (int)((v[i].id * 2654435761u) % (unsigned)n) != seg - 1)
            continue;
        struct bh_call_record r = v[i];
        bh_collector_add(c, &r);
        if (r.outcome == BH_OUTCOME_ANSWERED) {
            ev[nev++] = (struct ev){r.arrival, 1, r.target_kind};
            ev[nev++] = (struct ev){r.end, -1, r.target_kind};
        }
    }
    qsort(ev, nev, sizeof *ev, by_time);
    int busy[2] = {0, 0};
    for (size_t k = 0; k < nev; k++) {
        int b = ev[k].kind == BH_TARGET_BRIDGE;
        busy[b] += ev[k].d;
        bh_collector_level(c, ev[k].kind, 0, ev[k].t, busy[b], b ? 0 : busy[b]);
    }
    free(ev);
    assert_int_equal(bh_collector_end(c, sc->horizon), 0);
    memset(out, 0, sizeof *out);
    assert_int_equal(bh_collector_results(c, out), 0);
    bh_collector_free(c);
    if (n) {
        out->segment_index = (uint32_t)seg;
        out->segment_count = (uint32_t)n;
    }
}

static int
close_to(double a, double b) {
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * (1 + fabs(a) + fabs(b));
}

static void
same_figures(const struct bh_results *w, const struct bh_results *m) {
    assert_int_equal(m->ntargets, w->ntargets);
    assert_int_equal(m->nintervals, w->nintervals);
    assert_int_equal(m->segment_count, 0);
    assert_true(m->source == BH_SOURCE_LOAD);
    for (size_t ti = 0; ti < w->ntargets; ti++) {
        const struct bh_target_result *a = &w->targets[ti],
                                      *b = &m->targets[ti];
        assert_string_equal(a->name, b->name);
        assert_true(a->offered.mean > 100);
        assert_true(close_to(a->offered.mean, b->offered.mean));
        assert_true(close_to(a->answered.mean, b->answered.mean));
        assert_true(close_to(a->blocked.mean, b->blocked.mean));
        assert_true(close_to(a->abandoned.mean, b->abandoned.mean));
        assert_true(close_to(a->overflow.mean, b->overflow.mean));
        assert_true(close_to(a->blocking.mean, b->blocking.mean));
        assert_true(close_to(a->abandonment.mean, b->abandonment.mean));
        assert_true(close_to(a->wait_mean.mean, b->wait_mean.mean));
        /* merged histograms: the very percentiles of the whole run */
        assert_true(a->wait_p90.mean > 0);
        assert_true(a->wait_p50.mean == b->wait_p50.mean);
        assert_true(a->wait_p90.mean == b->wait_p90.mean);
        assert_true(a->wait_p99.mean == b->wait_p99.mean);
        assert_int_equal(a->nsl, b->nsl);
        for (size_t j = 0; j < a->nsl; j++)
            assert_true(close_to(a->sl[j].value.mean, b->sl[j].value.mean));
        assert_true(a->busy_mean.mean > 1);
        assert_true(close_to(a->busy_mean.mean, b->busy_mean.mean));
        assert_true(close_to(a->occupancy.mean, b->occupancy.mean));
        assert_true(b->peak_busy.mean >= a->peak_busy.mean);
        assert_true(close_to(a->offered_erlangs.mean, b->offered_erlangs.mean));
        for (size_t ii = 0; ii < w->nintervals; ii++) {
            const struct bh_interval_result *x = bh_results_interval(
                                                (struct bh_results *)w, ti, ii),
                                            *y = bh_results_interval(
                                                (struct bh_results *)m, ti, ii);
            assert_true(x->start == y->start);
            assert_true(close_to(x->offered.mean, y->offered.mean));
            assert_true(close_to(x->blocking.mean, y->blocking.mean));
            assert_true(close_to(x->abandonment.mean, y->abandonment.mean));
            assert_true(close_to(x->wait_mean.mean, y->wait_mean.mean));
            assert_true(close_to(x->busy_mean.mean, y->busy_mean.mean));
            assert_true(close_to(x->occupancy.mean, y->occupancy.mean));
            for (size_t j = 0; j < x->nsl; j++)
                assert_true(close_to(x->sl[j].value.mean, y->sl[j].value.mean));
        }
    }
}

static void
merge_n(int n) {
    struct bh_scenario *sc = scenario();
    struct bh_call_record *v = calloc(NREC, sizeof *v);
    records(v);
    struct bh_results whole, parts[3], merged;
    collect(sc, v, 0, 0, &whole);
    const struct bh_results *in[3];
    const char *names[3] = {"a.json", "b.json", "c.json"};
    for (int i = 0; i < n; i++) {
        collect(sc, v, i + 1, n, &parts[i]);
        /* the segments really differ from the whole */
        assert_true(parts[i].targets[0].offered.mean <
                    whole.targets[0].offered.mean * 0.75);
        in[n - 1 - i] = &parts[i]; /* any order */
    }
    struct bh_diag d;
    assert_int_equal(bh_results_merge(in, names, (size_t)n, &merged, &d), 0);
    same_figures(&whole, &merged);

    /* through files: the histogram is written and read back */
    char path[64], mpath[64];
    snprintf(mpath, sizeof mpath, "merge_test_%d.json", n);
    struct bh_results back[3];
    const struct bh_results *bin[3];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "merge_test_%d_%d.json", n, i);
        assert_int_equal(bh_results_write_json(&parts[i], path), 0);
        assert_int_equal(bh_results_read_json(path, &back[i], &d), 0);
        assert_non_null(back[i].targets[0].wait_hist);
        assert_int_equal(back[i].segment_index, i + 1);
        assert_int_equal(back[i].segment_count, n);
        bin[i] = &back[i];
        remove(path);
    }
    struct bh_results m2, m3;
    assert_int_equal(bh_results_merge(bin, names, (size_t)n, &m2, &d), 0);
    same_figures(&whole, &m2);
    assert_int_equal(bh_results_write_json(&m2, mpath), 0);
    assert_int_equal(bh_results_read_json(mpath, &m3, &d), 0);
    remove(mpath);
    same_figures(&whole, &m3);
    for (int i = 0; i < n; i++) {
        bh_results_clear(&back[i]);
        bh_results_clear(&parts[i]);
    }
    bh_results_clear(&m2);
    bh_results_clear(&m3);
    bh_results_clear(&merged);
    bh_results_clear(&whole);
    free(v);
    free_scenario(sc);
}

static void
two_segments(void **state) {
    (void)state;
    merge_n(2);
}

static void
three_segments(void **state) {
    (void)state;
    merge_n(3);
}

/* Costs: summed, line rental once, classes joined by key. */
static void
costs(void **state) {
    (void)state;
    struct bh_results r[2];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(bh_results_init(&r[k], 0, 0), 0);
        r[k].source = BH_SOURCE_LOAD;
        r[k].horizon = 86400;
        r[k].segment_index = (uint32_t)k + 1;
        r[k].segment_count = 2;
        struct bh_costs *c = &r[k].costs;
        c->present = true;
        snprintf(c->currency, sizeof c->currency, "EUR");
        c->line_rental = bh_estimate_exact(10);
        c->callers = bh_estimate_exact(20 + k);
        c->company = bh_estimate_exact(10 + 5);
        c->total = bh_estimate_exact(20 + k + 15);
        c->provider_revenue = bh_estimate_exact(NAN);
        c->per_participant = bh_estimate_exact(NAN);
        c->nclasses = 1;
        c->classes = calloc(1, sizeof *c->classes);
        snprintf(c->classes[0].source, BH_SC_MAX_NAME, "callers");
        snprintf(c->classes[0].origin, BH_SC_MAX_NAME, k ? "mobile" : "local");
        snprintf(c->classes[0].payer, 16, "callers");
        c->classes[0].total = bh_estimate_exact(20 + k);
        c->classes[0].calls = bh_estimate_exact(100);
    }
    const struct bh_results *in[2] = {&r[0], &r[1]};
    struct bh_results m;
    assert_int_equal(bh_results_merge(in, NULL, 2, &m, NULL), 0);
    assert_true(m.costs.present);
    assert_true(close_to(m.costs.total.mean, 41 + 5 + 5 + 10));
    assert_true(close_to(m.costs.company.mean, 15 + 5));
    assert_true(close_to(m.costs.callers.mean, 41));
    assert_true(close_to(m.costs.line_rental.mean, 10));
    assert_int_equal(m.costs.nclasses, 2);
    assert_true(close_to(m.costs.per_call.mean, 61.0 / 200));
    assert_true(close_to(m.costs.per_month.mean, 61.0 * 30));
    assert_true(isnan(m.costs.provider_revenue.mean));
    bh_results_clear(&m);
    bh_results_clear(&r[0]);
    bh_results_clear(&r[1]);
}

/* Files that are not the segments 1..N of one run. */
static void
refused(void **state) {
    (void)state;
    struct bh_results r[3];
    for (int k = 0; k < 3; k++) {
        assert_int_equal(bh_results_init(&r[k], 0, 0), 0);
        r[k].source = BH_SOURCE_LOAD;
        snprintf(r[k].scenario, sizeof r[k].scenario, "s");
        r[k].segment_index = (uint32_t)k + 1;
        r[k].segment_count = 2;
    }
    const char *names[3] = {"a.json", "b.json", "c.json"};
    const struct bh_results *in[3] = {&r[0], &r[1], &r[2]};
    struct bh_results m;
    struct bh_diag d;
    /* three files of a 2-segment run */
    r[2].segment_index = 2;
    assert_int_equal(bh_results_merge(in, names, 3, &m, &d), BH_EINVAL);
    assert_string_equal(d.file, "a.json");
    /* segment 1 twice */
    r[1].segment_index = 1;
    assert_int_equal(bh_results_merge(in, names, 2, &m, &d), BH_EINVAL);
    assert_string_equal(d.file, "b.json");
    assert_non_null(strstr(d.msg, "twice"));
    r[1].segment_index = 2;
    /* not a segment */
    r[1].segment_count = 0;
    assert_int_equal(bh_results_merge(in, names, 2, &m, &d), BH_EINVAL);
    assert_non_null(strstr(d.msg, "segment"));
    r[1].segment_count = 2;
    /* simulated results */
    r[1].source = BH_SOURCE_SIM;
    assert_int_equal(bh_results_merge(in, names, 2, &m, &d), BH_EINVAL);
    assert_non_null(strstr(d.msg, "sim"));
    r[1].source = BH_SOURCE_LOAD;
    /* another scenario */
    snprintf(r[1].scenario, sizeof r[1].scenario, "t");
    assert_int_equal(bh_results_merge(in, names, 2, &m, &d), BH_EINVAL);
    assert_non_null(strstr(d.msg, "scenario"));
    snprintf(r[1].scenario, sizeof r[1].scenario, "s");
    /* and then they fit */
    assert_int_equal(bh_results_merge(in, names, 2, &m, &d), 0);
    bh_results_clear(&m);
    for (int k = 0; k < 3; k++)
        bh_results_clear(&r[k]);
}

/* A histogram in a file that does not add up, or of another layout. */
static void
bad_histograms(void **state) {
    (void)state;
    const char *head =
        "{\"source\": \"load\", \"scenario\": \"s\", \"seed\": 1, "
        "\"targets\": {\"desk\": {\"offered\": 1, \"answered\": 1, "
        "\"blocked\": 0, \"abandoned\": 0, \"occupancy\": 0, \"peak_busy\": "
        "1, \"blocking\": {\"mean\": 0}, \"abandonment\": {\"mean\": 0}, "
        "\"wait\": {\"mean\": 1, \"p50\": 1, \"p90\": 1, \"p99\": 1, "
        "\"service_level\": {}, \"histogram\": ";
    const char *tail = "}}}, \"costs\": null, \"thresholds\": []}";
    const char *bad[] = {
        "{\"sub\": 32, \"min\": 0.001, \"zero\": 0, \"count\": 1, \"sum\": 1, "
        "\"buckets\": [[3, 1]]}",
        "{\"sub\": 64, \"min\": 0.001, \"zero\": 0, \"count\": 2, \"sum\": 1, "
        "\"buckets\": [[3, 1]]}",
        "{\"sub\": 64, \"min\": 0.001, \"zero\": 0, \"count\": 1, \"sum\": 1, "
        "\"buckets\": [[99999, 1]]}",
        "{\"sub\": 64, \"min\": 0.001, \"zero\": 2, \"count\": 1, \"sum\": 1, "
        "\"buckets\": []}",
        "{\"sub\": 64, \"min\": 0.001, \"zero\": 0, \"count\": 1, \"sum\": 1, "
        "\"buckets\": [[3, -1]]}",
    };
    char buf[2048];
    struct bh_results r;
    struct bh_diag d;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(buf, sizeof buf, "%s%s%s", head, bad[k], tail);
        assert_int_equal(bh_results_parse(buf, strlen(buf), "h.json", &r, &d),
                         BH_EPARSE);
        assert_non_null(strstr(d.msg, "histogram"));
    }
    snprintf(buf, sizeof buf, "%s%s%s", head,
             "{\"sub\": 64, \"min\": 0.001, \"zero\": 0, \"count\": 1, "
             "\"sum\": 1, \"buckets\": [[3, 1]]}",
             tail);
    assert_int_equal(bh_results_parse(buf, strlen(buf), "h.json", &r, &d), 0);
    assert_non_null(r.targets[0].wait_hist);
    assert_true(r.targets[0].wait_hist->count == 1);
    bh_results_clear(&r);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_segments),   cmocka_unit_test(three_segments),
        cmocka_unit_test(costs),          cmocka_unit_test(refused),
        cmocka_unit_test(bad_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
