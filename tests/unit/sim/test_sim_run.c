/* test_sim_run.c: whole runs of the simulator: reproducibility (serial vs
 * parallel, byte for byte), a peak-hour profile interval by interval,
 * queues, bridges, campaigns, retrials, per-call records, and clear
 * errors for bad scenarios. */
#define _GNU_SOURCE /* memmem */
#include "sim_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* A scenario with a bit of everything: a queued hotline with IVR,
 * patience, retries and caller classes; a bridge with meetings; a
 * campaign through a second number. */
static struct bh_scenario *
mixed(void) {
    struct bh_scenario *sc = tsc_new(6 * 3600, 900, 1800);
    int hot = tsc_number(sc, "hotline", 12);
    sc->sw.numbers[hot].ivr.present = true;
    sc->sw.numbers[hot].ivr.menu_time = 12;
    tsc_queue(sc, hot, 8, 4, 300, 10);
    struct bh_sc_source *s =
        tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, hot, 300,
                  tdist(BH_DIST_LOGNORMAL, 120, 90));
    s->profile.n = 3;
    s->profile.at[1] = 2 * 3600;
    s->profile.rate[1] = 500;
    s->profile.at[2] = 4 * 3600;
    s->profile.rate[2] = 100;
    s->has_patience = true;
    s->patience = texp(90);
    s->retry.present = true;
    s->retry.probability = 0.4;
    s->retry.delay = texp(300);
    s->retry.max_attempts = 3;
    s->nclasses = 2;
    s->classes = calloc(2, sizeof *s->classes);
    s->classes[0].share = 0.7;
    s->classes[1].share = 0.3;
    s->classes[1].origin = 1;
    s->classes[1].subscribers = 50;
    int conf = tsc_bridge(sc, "conf", 40, 12);
    struct bh_sc_source *m = tsc_calls(sc, "meetings", BH_SOURCE_MEETINGS,
                                       BH_TARGET_BRIDGE, conf, 6, texp(60));
    m->meetings.participants = tdist(BH_DIST_POISSON, 8, 0);
    m->meetings.participants.has_min = true;
    m->meetings.participants.min = 2;
    m->meetings.duration = tdist(BH_DIST_NORMAL, 45 * 60, 10 * 60);
    m->meetings.join_spread = tdist(BH_DIST_UNIFORM, 0, 0);
    m->meetings.join_spread.min = -120;
    m->meetings.join_spread.max = 300;
    m->meetings.passcode_entry = 8;
    int out = tsc_number(sc, "dialer", 10);
    struct bh_sc_source *c = tsc_calls(sc, "campaign", BH_SOURCE_CAMPAIGN,
                                       BH_TARGET_NUMBER, out, 200, texp(90));
    c->campaign.answer_probability = 0.6;
    c->campaign.ring = tdist(BH_DIST_UNIFORM, 0, 0);
    c->campaign.ring.min = 5;
    c->campaign.ring.max = 25;
    return sc;
}

static char *
slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static char *
run_json(const struct bh_scenario *sc, unsigned long seed, int threads,
         FILE *records, size_t *len) {
    struct bh_sim_options o;
    memset(&o, 0, sizeof o);
    o.seed = seed;
    o.replications = 5;
    o.threads = threads;
    o.records = records;
    struct bh_results r;
    memset(&r, 0, sizeof r);
    char msg[256];
    assert_int_equal(bh_sim_run(sc, &o, &r, NULL, msg, sizeof msg), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/sim_test_run_%d.json", BH_BINARY_DIR,
             threads);
    assert_int_equal(bh_results_write_json(&r, path), 0);
    bh_results_clear(&r);
    char *s = slurp(path, len);
    remove(path);
    return s;
}

static void
reproducible(void **state) {
    struct bh_scenario *sc = mixed();
    size_t n1, n2, n3, n4;
    char *serial = run_json(sc, 7, 1, NULL, &n1);
    char *parallel = run_json(sc, 7, 2, NULL, &n2);
    char *again = run_json(sc, 7, 2, NULL, &n3);
    char *other = run_json(sc, 8, 2, NULL, &n4);
    assert_true(n1 > 1000);
    assert_true(n1 == n2 && memcmp(serial, parallel, n1) == 0);
    assert_true(n1 == n3 && memcmp(serial, again, n1) == 0);
    assert_false(n1 == n4 && memcmp(serial, other, n1) == 0);
    free(serial);
    free(parallel);
    free(again);
    free(other);
    tsc_free(sc);
}

static void
records_csv(void **state) {
    struct bh_scenario *sc = mixed();
    FILE *a = tmpfile(), *b = tmpfile();
    size_t n;
    free(run_json(sc, 3, 1, a, &n));
    free(run_json(sc, 3, 2, b, &n));
    fflush(a);
    fflush(b);
    long la = ftell(a), lb = ftell(b);
    assert_true(la > 0 && la == lb);
    rewind(a);
    rewind(b);
    char *ba = malloc((size_t)la), *bb = malloc((size_t)lb);
    assert_int_equal(fread(ba, 1, (size_t)la, a), (size_t)la);
    assert_int_equal(fread(bb, 1, (size_t)lb, b), (size_t)lb);
    assert_memory_equal(ba, bb, (size_t)la);
    /* a header, then one row per attempt with 23 fields (warmup last) */
    assert_true(strncmp(ba, "replication,id,source,", 22) == 0);
    size_t rows = 0, commas = 0;
    int answered = 0, blocked = 0, abandoned = 0, meeting = 0;
    for (char *line = strchr(ba, '\n') + 1; line < ba + la;) {
        char *nl = memchr(line, '\n', (size_t)(ba + la - line));
        assert_non_null(nl);
        size_t c = 0;
        for (char *p = line; p < nl; p++)
            c += *p == ',';
        if (rows == 0)
            commas = c;
        assert_int_equal(c, commas);
        answered += memmem(line, (size_t)(nl - line), ",answered,", 10) != NULL;
        blocked += memmem(line, (size_t)(nl - line), ",blocked,", 9) != NULL;
        abandoned +=
            memmem(line, (size_t)(nl - line), ",abandoned,", 11) != NULL;
        meeting += memmem(line, (size_t)(nl - line), ",meetings,", 10) != NULL;
        rows++;
        line = nl + 1;
    }
    assert_int_equal(commas, 22);
    printf("  %zu records: %d answered, %d blocked, %d abandoned, %d "
           "meeting participants\n",
           rows, answered, blocked, abandoned, meeting);
    assert_true(answered > 0 && blocked > 0 && abandoned > 0 && meeting > 0);
    free(ba);
    free(bb);
    fclose(a);
    fclose(b);
    tsc_free(sc);
}

/* Without --records (and tariffs) the simulator fills only the record
 * fields the collector reads; the figures are the same, byte for byte, as
 * with every field filled for the records. */
static void
records_same_figures(void **state) {
    struct bh_scenario *sc = mixed();
    FILE *f = tmpfile();
    size_t n1, n2;
    char *lean = run_json(sc, 3, 1, NULL, &n1);
    char *full = run_json(sc, 3, 1, f, &n2);
    assert_true(n1 > 1000);
    assert_true(n1 == n2 && memcmp(lean, full, n1) == 0);
    free(lean);
    free(full);
    fclose(f);
    tsc_free(sc);
}

/* A peak hour: blocking rises and falls with the profile, interval by
 * interval, and each interval agrees with Erlang B at its load (holding
 * times are short against the interval, so each is nearly stationary). */
static void
peak_profile(void **state) {
    struct bh_scenario *sc = tsc_new(6 * 3600, 3600, 0);
    int ni = tsc_number(sc, "trunk", 10);
    struct bh_sc_source *s = tsc_calls(sc, "callers", BH_SOURCE_CALLS,
                                       BH_TARGET_NUMBER, ni, 0, texp(20));
    /* Erlangs: 4, 8, 12, 8, 4, 0 over six hours */
    double erl[] = {4, 8, 12, 8, 4, 0};
    s->profile.n = 6;
    for (int i = 0; i < 6; i++) {
        s->profile.at[i] = i * 3600;
        s->profile.rate[i] = erl[i] / 20 * 3600;
    }
    struct bh_results r;
    int reps = 20;
    assert_int_equal(tsc_run(sc, 5, reps, 2, &r), 0);
    assert_int_equal(r.nintervals, 6);
    struct bh_estimate b[6];
    for (int i = 0; i < 6; i++) {
        const struct bh_interval_result *ir = bh_results_interval(&r, 0, i);
        b[i] = ir->blocking;
        assert_true(fabs(ir->offered_erlangs.mean - erl[i]) < 1e-9);
        if (erl[i] > 0) {
            char what[64];
            snprintf(what, sizeof what, "hour %d (%g E) blocking", i, erl[i]);
            /* holding times (20 s) are short against the hour, so the
             * transient after each change is negligible */
            assert_true(covers(what, b[i], reps, ref_erlang_b(erl[i], 10)));
        } else {
            assert_true(ir->offered.mean == 0);
            assert_true(isnan(b[i].mean));
        }
    }
    /* rising then falling, each step beyond the intervals' noise */
    assert_true(b[0].hi < b[1].lo && b[1].hi < b[2].lo);
    assert_true(b[2].lo > b[3].hi && b[3].lo > b[4].hi);
    bh_results_clear(&r);
    tsc_free(sc);
}

static void
queue_limits(void **state) {
    /* a queue of at most 3 callers, 60 s at most: both limits bite */
    struct bh_scenario *sc = tsc_new(20000, 20000, 1000);
    int ni = tsc_number(sc, "desk", 50);
    tsc_queue(sc, ni, 4, 3, 60, 5);
    sc->sw.numbers[ni].queue.strategy = BH_STRATEGY_ROUND_ROBIN;
    tsc_calls(sc, "c", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni, 180, texp(100));
    struct bh_results r;
    assert_int_equal(tsc_run(sc, 1, 4, 1, &r), 0);
    const struct bh_target_result *t = &r.targets[0];
    assert_true(t->blocked.mean > 0);
    assert_true(t->overflow.mean > 0);
    assert_true(t->abandoned.mean == 0);
    assert_true(t->wait_p99.mean <= 60 * (1 + BH_HIST_REL_ERROR));
    assert_true(fabs(t->offered.mean - t->answered.mean - t->blocked.mean -
                     t->overflow.mean) < 1e-6);
    /* every strategy serves the same calls when operators are alike */
    for (int st = 0; st < 4; st++) {
        sc->sw.numbers[ni].queue.strategy = (enum bh_strategy)st;
        struct bh_results q;
        assert_int_equal(tsc_run(sc, 1, 2, 1, &q), 0);
        assert_true(q.targets[0].answered.mean > 0);
        bh_results_clear(&q);
    }
    bh_results_clear(&r);
    tsc_free(sc);
}

static void
bridges_and_campaigns(void **state) {
    struct bh_scenario *sc = mixed();
    struct bh_results r;
    int reps = 10;
    assert_int_equal(tsc_run(sc, 2, reps, 2, &r), 0);
    assert_int_equal(r.ntargets, 4); /* hotline, dialer, conf, campaign */
    const struct bh_target_result *conf = &r.targets[2];
    assert_string_equal(conf->kind, "bridge");
    assert_true(conf->meetings.mean > 0);
    const struct bh_target_result *camp = &r.targets[3];
    assert_string_equal(camp->kind, "campaign");
    assert_string_equal(camp->name, "campaign");
    /* answered share of attempts that got a line = answer probability:
     * a binomial proportion over all placed attempts; its 95% interval
     * printed, 99.9% asserted (normal approximation, n in thousands) */
    assert_true(camp->answered.mean > 0);
    double n = reps * (camp->offered.mean - camp->blocked.mean);
    double p = camp->answered.mean * reps / n;
    double se = sqrt(p * (1 - p) / n);
    struct bh_estimate e = {p, p - 1.959964 * se, p + 1.959964 * se};
    assert_true(covers("campaign answer probability", e, 1000000, 0.6));
    /* a tight bridge: meetings go incomplete; an ample one: none do */
    sc->sw.bridges[0].ports = 6;
    /* blocked participants retry (some after their meeting is over) */
    struct bh_sc_retry *rt = &sc->sources[1].retry;
    rt->present = true;
    rt->probability = 0.8;
    rt->delay = texp(600);
    rt->max_attempts = 4;
    struct bh_results t;
    assert_int_equal(tsc_run(sc, 2, reps, 2, &t), 0);
    assert_true(t.targets[2].incomplete_meetings.mean > 0.3);
    assert_true(t.targets[2].blocking.lo > 0);
    assert_true(t.targets[2].retried.mean > 0);
    bh_results_clear(&t);
    sc->sw.bridges[0].ports = 1000;
    sc->sw.bridges[0].max_per_room = 0;
    assert_int_equal(tsc_run(sc, 2, reps, 2, &t), 0);
    assert_true(t.targets[2].incomplete_meetings.mean == 0 &&
                t.targets[2].incomplete_meetings.hi < 0.05); /* 0 of n */
    assert_true(t.targets[2].blocking.mean == 0 &&
                t.targets[2].blocking.hi < 0.01);
    bh_results_clear(&t);
    bh_results_clear(&r);
    tsc_free(sc);
}

static void
retrials(void **state) {
    struct bh_scenario *sc = tsc_new(40000, 40000, 2000);
    int ni = tsc_number(sc, "n", 5);
    struct bh_sc_source *s = tsc_calls(sc, "c", BH_SOURCE_CALLS,
                                       BH_TARGET_NUMBER, ni, 180, texp(100));
    struct bh_results r;
    assert_int_equal(tsc_run(sc, 1, 4, 1, &r), 0);
    assert_true(r.targets[0].retried.mean == 0);
    double first = r.targets[0].offered.mean;
    bh_results_clear(&r);
    s->retry.present = true;
    s->retry.probability = 1;
    s->retry.delay = texp(60);
    s->retry.max_attempts = 3;
    assert_int_equal(tsc_run(sc, 1, 4, 1, &r), 0);
    assert_true(r.targets[0].retried.mean > 0);
    assert_true(r.targets[0].offered.mean > first);
    /* with retries the load is higher, so blocking is too */
    printf("  retries %.0f of %.0f attempts\n", r.targets[0].retried.mean,
           r.targets[0].offered.mean);
    bh_results_clear(&r);
    tsc_free(sc);
}

struct leg_count {
    int inbound_answered, legs, legs_blocked, bad;
    double horizon, held; /* s, line-seconds held before the horizon */
};

static void
count_legs(void *arg, const struct bh_call_record *r) {
    struct leg_count *k = arg;
    if (r->line >= 0) {
        double from = r->outbound ? r->connect : r->arrival;
        double to = r->end < k->horizon ? r->end : k->horizon;
        if (to > from)
            k->held += to - from;
    }
    if (r->outbound) {
        k->legs++;
        k->legs_blocked += r->outcome == BH_OUTCOME_BLOCKED;
        if (r->payer != BH_PAYER_CALLEE || r->origin != 2)
            k->bad++;
    } else if (r->outcome == BH_OUTCOME_ANSWERED) {
        k->inbound_answered++;
    }
}

static void
adhoc_legs(void **state) {
    /* every answered call adds two outside parties (origin 2), each on a
     * line of the number until the call ends */
    struct bh_scenario *sc = tsc_new(20000, 20000, 0);
    int ni = tsc_number(sc, "office", 6);
    struct bh_sc_source *s = tsc_calls(sc, "c", BH_SOURCE_CALLS,
                                       BH_TARGET_NUMBER, ni, 36, texp(100));
    s->adhoc.present = true;
    s->adhoc.probability = 1;
    s->adhoc.added = tdist(BH_DIST_DETERMINISTIC, 2, 0);
    s->adhoc.destinations.n = 1;
    s->adhoc.destinations.origin[0] = 2;
    s->adhoc.destinations.share[0] = 1;
    struct bh_collector *c;
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_SIM, &c), 0);
    struct leg_count k = {0, 0, 0, 0, sc->horizon, 0};
    assert_int_equal(bh_sim_replication(sc, 4, 0, c, count_legs, &k, NULL), 0);
    struct bh_results r;
    memset(&r, 0, sizeof r);
    assert_int_equal(bh_collector_results(c, &r), 0);
    printf("  %d answered calls, %d legs, %d legs found no line\n",
           k.inbound_answered, k.legs, k.legs_blocked);
    assert_int_equal(k.legs, 2 * k.inbound_answered);
    assert_int_equal(k.bad, 0);
    assert_true(k.legs_blocked > 0);
    /* legs are not the number's traffic */
    assert_true(r.targets[0].answered.mean == k.inbound_answered);
    /* but they hold its lines: the time-average busy lines are exactly
     * the line-seconds of calls and legs over the horizon */
    double busy = k.held / sc->horizon;
    printf("  busy lines %.6f, from records %.6f\n",
           r.targets[0].busy_mean.mean, busy);
    assert_true(fabs(r.targets[0].busy_mean.mean - busy) < 1e-9 * busy);
    bh_results_clear(&r);
    bh_collector_free(c);
    tsc_free(sc);
}

static void
expect_error(struct bh_scenario *sc, const char *needle) {
    struct bh_sim_options o;
    memset(&o, 0, sizeof o);
    o.replications = 2;
    o.threads = 1;
    struct bh_results r;
    memset(&r, 0, sizeof r);
    char msg[256] = "";
    assert_int_equal(bh_sim_run(sc, &o, &r, NULL, msg, sizeof msg), BH_EINVAL);
    printf("  error: %s\n", msg);
    assert_non_null(strstr(msg, needle));
    bh_results_clear(&r);
}

static void
bad_values(void **state) {
    struct bh_scenario *sc = tsc_new(3600, 900, 0);
    int ni = tsc_number(sc, "hotline", 10);
    tsc_queue(sc, ni, 0, 0, 0, 0);
    struct bh_sc_source *s = tsc_calls(sc, "c", BH_SOURCE_CALLS,
                                       BH_TARGET_NUMBER, ni, 100, texp(60));
    expect_error(sc, "operators");
    sc->sw.numbers[ni].queue.operators = 2;
    sc->sw.numbers[ni].lines = 0;
    expect_error(sc, "lines");
    sc->sw.numbers[ni].lines = 10;
    s->profile.rate[0] = -1;
    expect_error(sc, "profile");
    s->profile.rate[0] = 100;
    s->kind = BH_SOURCE_MEETINGS;
    expect_error(sc, "bridge");
    s->kind = BH_SOURCE_CALLS;
    s->target = 5;
    expect_error(sc, "target");
    s->target = 0;
    sc->sim.warmup = 3600;
    expect_error(sc, "warm-up");
    sc->sim.warmup = 0;
    sc->interval = 0;
    expect_error(sc, "interval");
    sc->interval = 900;
    s->retry.present = true;
    s->retry.probability = 2;
    s->retry.max_attempts = 3;
    expect_error(sc, "retry");
    s->retry.probability = 1;
    /* valid again; a rate of zero all day simply brings no calls */
    s->profile.rate[0] = 0;
    struct bh_results r;
    assert_int_equal(tsc_run(sc, 1, 2, 1, &r), 0);
    assert_true(r.targets[0].offered.mean == 0);
    bh_results_clear(&r);
    tsc_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reproducible),
        cmocka_unit_test(records_csv),
        cmocka_unit_test(records_same_figures),
        cmocka_unit_test(peak_profile),
        cmocka_unit_test(queue_limits),
        cmocka_unit_test(bridges_and_campaigns),
        cmocka_unit_test(retrials),
        cmocka_unit_test(adhoc_legs),
        cmocka_unit_test(bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
