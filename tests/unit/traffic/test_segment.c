/* test_segment.c: segments of the arrival stream (bh_traffic_segment):
 * segments 1..N of a scenario are disjoint, deterministic and together
 * exactly the unsegmented stream of first attempts, for calls, campaign
 * attempts, meeting participants and a finite source, with every call
 * ended by a trivial switch (answered after its holding time, or busy);
 * retrials stay with their first attempt's segment; "I/N" parses
 * strictly. */
#include "traffic_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Four sources: a profile with retrials, a finite population of 30
 * callers, a dial-out campaign and meetings. */
static const char *scenario =
    "name: seg\n"
    "horizon: 3h\n"
    "interval: 15m\n"
    "seed: 11\n"
    "switch:\n"
    "  numbers:\n"
    "    - { name: desk, number: \"100\", lines: 10,"
    " queue: { operators: 4 } }\n"
    "    - { name: out, number: \"200\", lines: 20 }\n"
    "  bridges:\n"
    "    - { name: conf, number: \"300\", ports: 60 }\n"
    "traffic:\n"
    "  - name: callers\n"
    "    to: desk\n"
    "    profile: { \"00:00\": 300, \"01:00\": 900, \"02:00\": 100 }\n"
    "    holding: { dist: lognormal, mean: 3m, sd: 2m }\n"
    "    patience: { dist: exponential, mean: 60s }\n"
    "    retry: { probability: 50%, delay: 2m, max_attempts: 3 }\n"
    "    callers:\n"
    "      - { share: 60%, origin: local }\n"
    "      - { share: 40%, origin: mobile }\n"
    "  - name: staff\n"
    "    to: desk\n"
    "    sources: 30\n"
    "    profile: { \"00:00\": 120 }\n"
    "    holding: { dist: exponential, mean: 5m }\n"
    "  - name: dialer\n"
    "    via: out\n"
    "    campaign:\n"
    "      profile: { \"00:00\": 200 }\n"
    "      answer_probability: 70%\n"
    "      ring: { dist: uniform, min: 5s, max: 25s }\n"
    "      destinations: { local: 50%, mobile: 50% }\n"
    "    holding: { dist: exponential, mean: 2m }\n"
    "  - name: meet\n"
    "    to: conf\n"
    "    meetings:\n"
    "      profile: { \"00:00\": 10 }\n"
    "      participants: { dist: poisson, mean: 5, min: 2 }\n"
    "      duration: { dist: normal, mean: 30m, sd: 5m }\n"
    "      join_spread: { dist: uniform, min: -2m, max: 4m }\n"
    "      passcode_entry: 8s\n";

struct rec {
    struct bh_arrival a;
    int segment;
};

struct run {
    struct rec *v;
    size_t n, cap;
};

static void
add(struct run *r, const struct bh_arrival *a, int segment) {
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    r->v[r->n].a = *a;
    r->v[r->n].segment = segment;
    r->n++;
}

/* The trivial switch's verdict: deterministic in the arrival, so every
 * run ends the same attempt the same way. First attempts of the first
 * source whose holding time is under 100 s hear busy (and may retry). */
static enum bh_outcome
verdict(const struct bh_arrival *a) {
    if (a->source == 0 && a->holding < 100)
        return BH_OUTCOME_BLOCKED;
    return BH_OUTCOME_ANSWERED;
}

/* Runs sc's model (segment i of n, or the whole stream for n == 0) to
 * its horizon, ending each attempt by verdict() in time order. */
static void
drive(const struct bh_scenario *sc, uint32_t i, uint32_t n, struct run *out,
      int segment) {
    struct bh_traffic *tm;
    assert_int_equal(bh_traffic_new(sc, sc->seed, 0, &tm), 0);
    if (n)
        assert_int_equal(bh_traffic_segment(tm, i, n), 0);
    struct pend {
        double t;
        struct bh_arrival a;
    } *ends = NULL;
    size_t nends = 0, cap = 0;
    for (;;) {
        double t = bh_traffic_peek(tm, sc->horizon);
        /* the earliest end due before the next arrival */
        size_t k = nends;
        for (size_t j = 0; j < nends; j++)
            if (ends[j].t <= t && (k == nends || ends[j].t < ends[k].t))
                k = j;
        if (k < nends) {
            struct pend e = ends[k];
            ends[k] = ends[--nends];
            bh_traffic_finish(tm, &e.a, verdict(&e.a), e.t);
            continue;
        }
        struct bh_arrival a;
        if (!bh_traffic_next(tm, sc->horizon, &a))
            break;
        add(out, &a, segment);
        if (!bh_traffic_listens(tm, a.source))
            continue;
        if (nends == cap) {
            cap = cap ? 2 * cap : 64;
            ends = realloc(ends, cap * sizeof *ends);
            assert_non_null(ends);
        }
        double end = verdict(&a) == BH_OUTCOME_BLOCKED ? a.t : a.t + a.holding;
        ends[nends].t = end;
        ends[nends].a = a;
        nends++;
    }
    free(ends);
    bh_traffic_free(tm);
}

static int
cmp(const void *x, const void *y) {
    const struct bh_arrival *a = &((const struct rec *)x)->a,
                            *b = &((const struct rec *)y)->a;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1;
    if (a->holding != b->holding)
        return a->holding < b->holding ? -1 : 1;
    return (a->attempt > b->attempt) - (a->attempt < b->attempt);
}

static int
same(const struct bh_arrival *a, const struct bh_arrival *b) {
    return a->t == b->t && a->source == b->source && a->kind == b->kind &&
           a->attempt == b->attempt && a->holding == b->holding &&
           (a->patience == b->patience ||
            (isinf(a->patience) && isinf(b->patience))) &&
           a->caller_class == b->caller_class && a->origin == b->origin &&
           a->subscriber == b->subscriber && a->meeting == b->meeting &&
           a->meeting_size == b->meeting_size && a->ring == b->ring &&
           a->answers == b->answers && a->passcode == b->passcode;
}

/* Keeps first attempts only (retrials follow outcomes and each
 * segment's own retrial stream). */
static void
firsts(struct run *r) {
    size_t m = 0;
    for (size_t j = 0; j < r->n; j++)
        if (r->v[j].a.attempt == 1)
            r->v[m++] = r->v[j];
    r->n = m;
}

static void
union_is_whole(uint32_t n) {
    struct bh_scenario *sc = parse_ok(scenario);
    struct run whole = {0}, parts = {0};
    drive(sc, 0, 0, &whole, 0);
    size_t retrials_whole = whole.n;
    firsts(&whole);
    retrials_whole -= whole.n;
    size_t per[8] = {0};
    for (uint32_t i = 1; i <= n; i++) {
        struct run one = {0};
        drive(sc, i, n, &one, (int)i);
        /* each retrial's first attempt is in this same segment */
        for (size_t j = 0; j < one.n; j++) {
            if (one.v[j].a.attempt == 1)
                continue;
            int found = 0;
            for (size_t k = 0; k < j && !found; k++)
                found = one.v[k].a.attempt == 1 &&
                        one.v[k].a.source == one.v[j].a.source &&
                        one.v[k].a.holding == one.v[j].a.holding;
            assert_true(found);
        }
        /* deterministic: the same segment again is the same stream */
        struct run again = {0};
        drive(sc, i, n, &again, (int)i);
        assert_int_equal(again.n, one.n);
        for (size_t j = 0; j < one.n; j++)
            assert_true(same(&one.v[j].a, &again.v[j].a));
        free(again.v);
        firsts(&one);
        per[i] = one.n;
        for (size_t j = 0; j < one.n; j++)
            add(&parts, &one.v[j].a, (int)i);
        free(one.v);
    }
    printf("  %u segments: %zu first attempts (%zu retrials) whole;", n,
           whole.n, retrials_whole);
    for (uint32_t i = 1; i <= n; i++)
        printf(" %zu", per[i]);
    printf("\n");
    assert_true(whole.n > 1000);
    /* each segment has a real share, not everything or nothing */
    for (uint32_t i = 1; i <= n; i++)
        assert_true(per[i] > whole.n / (4 * n));
    /* disjoint and complete: the sorted union is the whole, one to one */
    assert_int_equal(parts.n, whole.n);
    qsort(whole.v, whole.n, sizeof *whole.v, cmp);
    qsort(parts.v, parts.n, sizeof *parts.v, cmp);
    int kinds[4] = {0, 0, 0, 0};
    for (size_t j = 0; j < whole.n; j++) {
        assert_true(same(&whole.v[j].a, &parts.v[j].a));
        kinds[whole.v[j].a.source]++;
    }
    for (int k = 0; k < 4; k++)
        assert_true(kinds[k] > 0);
    free(whole.v);
    free(parts.v);
    bh_scenario_free(sc);
}

static void
two_segments(void **state) {
    (void)state;
    union_is_whole(2);
}

static void
three_segments(void **state) {
    (void)state;
    union_is_whole(3);
}

/* 1/1 is the whole stream, draw for draw. */
static void
one_of_one(void **state) {
    (void)state;
    struct bh_scenario *sc = parse_ok(scenario);
    struct run whole = {0}, one = {0};
    drive(sc, 0, 0, &whole, 0);
    drive(sc, 1, 1, &one, 1);
    assert_int_equal(whole.n, one.n);
    for (size_t j = 0; j < one.n; j++)
        assert_true(same(&whole.v[j].a, &one.v[j].a));
    free(whole.v);
    free(one.v);
    bh_scenario_free(sc);
}

static void
bad_segments(void **state) {
    (void)state;
    uint32_t i = 7, n = 7;
    const char *bad[] = {"",
                         "1",
                         "0/2",
                         "3/2",
                         "1/0",
                         "/2",
                         "1/",
                         "1/2x",
                         " 1/2",
                         "1//2",
                         "-1/2",
                         "1/65537",
                         "99999999999999999999/2"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        assert_int_equal(bh_traffic_segment_parse(bad[k], &i, &n), BH_EINVAL);
        assert_true(i == 7 && n == 7);
    }
    assert_int_equal(bh_traffic_segment_parse(NULL, &i, &n), BH_EINVAL);
    assert_int_equal(bh_traffic_segment_parse("2/3", &i, &n), 0);
    assert_true(i == 2 && n == 3);
    assert_int_equal(bh_traffic_segment_parse("65536/65536", &i, &n), 0);

    struct bh_scenario *sc = parse_ok(scenario);
    struct bh_traffic *tm;
    assert_int_equal(bh_traffic_new(sc, 1, 0, &tm), 0);
    assert_int_equal(bh_traffic_segment(tm, 0, 2), BH_EINVAL);
    assert_int_equal(bh_traffic_segment(tm, 3, 2), BH_EINVAL);
    assert_int_equal(bh_traffic_segment(tm, 1, 0), BH_EINVAL);
    struct bh_arrival a;
    assert_true(bh_traffic_next(tm, sc->horizon, &a));
    /* too late: an arrival was taken */
    assert_int_equal(bh_traffic_segment(tm, 1, 2), BH_EINVAL);
    bh_traffic_free(tm);
    bh_scenario_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_segments),
        cmocka_unit_test(three_segments),
        cmocka_unit_test(one_of_one),
        cmocka_unit_test(bad_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
