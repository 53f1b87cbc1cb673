/* test_sched.c: the driver's scheduler yields the arrivals of the
 * simulator's first replication for the same seed, each due at t / speed,
 * with its lateness; and the E-model's figures. */
#include "driver.h"
#include "reports.h"
#include "sim.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* load_ok and EXAMPLE, shared with the traffic model's tests */
#include "../traffic/traffic_testutil.h"

struct first {
    double t;
    uint16_t source, caller_class;
    uint32_t subscriber;
    uint64_t meeting;
};

struct list {
    struct first *v;
    size_t n, cap;
};

static void
push(struct list *l, double t, uint16_t source, uint16_t cls, uint32_t sub,
     uint64_t meeting) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n++] = (struct first){t, source, cls, sub, meeting};
}

static int
by_time(const void *a, const void *b) {
    const struct first *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (int)x->source - (int)y->source;
}

static void
on_record(void *arg, const struct bh_call_record *r) {
    if (r->attempt == 1)
        push(arg, r->arrival, r->source, r->caller_class, r->subscriber,
             r->meeting);
}

/* The first attempts of the simulator's replication 0 and those the
 * scheduler yields (it is told no outcome, so it makes no retrials)
 * are the same arrivals: time, source, class, subscriber, meeting. */
static void
same_as_sim(const char *path) {
    struct bh_scenario *sc = load_ok(path);
    struct bh_collector *col = NULL;
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_SIM, &col), 0);
    struct list sim = {0}, drv = {0};
    assert_int_equal(
        bh_sim_replication(sc, sc->seed, 0, col, on_record, &sim, NULL), 0);
    bh_collector_free(col);

    double speed = 60;
    struct bh_driver_sched *s = NULL;
    assert_int_equal(
        bh_driver_sched_new(sc, sc->seed, speed, 0, NULL, NULL, &s), 0);
    struct bh_arrival a;
    double late, prev = 0;
    for (;;) {
        double due = bh_driver_sched_due(s);
        if (!isfinite(due))
            break;
        assert_true(due >= prev);
        /* nothing is taken before it is due; at its time it is, on time */
        assert_int_equal(bh_driver_sched_take(s, due - 1e-6, &a, &late), 0);
        assert_int_equal(bh_driver_sched_take(s, due, &a, &late), 1);
        assert_true(fabs(a.t / speed - due) < 1e-9);
        assert_true(late == 0);
        prev = due;
        push(&drv, a.t, a.source, a.caller_class, a.subscriber, a.meeting);
    }
    bh_driver_sched_free(s);
    qsort(sim.v, sim.n, sizeof *sim.v, by_time);
    qsort(drv.v, drv.n, sizeof *drv.v, by_time);
    assert_true(sim.n > 100);
    assert_int_equal(sim.n, drv.n);
    for (size_t i = 0; i < sim.n; i++) {
        assert_true(sim.v[i].t == drv.v[i].t);
        assert_int_equal(sim.v[i].source, drv.v[i].source);
        assert_int_equal(sim.v[i].caller_class, drv.v[i].caller_class);
        assert_int_equal(sim.v[i].subscriber, drv.v[i].subscriber);
        assert_true(sim.v[i].meeting == drv.v[i].meeting);
    }
    free(sim.v);
    free(drv.v);
    bh_scenario_free(sc);
}

static void
test_same_arrivals_hotline(void **state) {
    (void)state;
    same_as_sim(EXAMPLE("hotline-8800.yaml"));
}

static void
test_same_arrivals_conference(void **state) {
    (void)state;
    same_as_sim(EXAMPLE("free-conference.yaml"));
}

/* A start taken late says by how much; a span cuts the arrivals. */
static void
test_lateness_and_span(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    struct bh_driver_sched *s = NULL;
    assert_int_equal(bh_driver_sched_new(sc, 42, 10, 3600, NULL, NULL, &s), 0);
    double due = bh_driver_sched_due(s);
    struct bh_arrival a;
    double late = -1;
    assert_int_equal(bh_driver_sched_take(s, due + 0.25, &a, &late), 1);
    assert_true(fabs(late - 0.25) < 1e-9);
    size_t n = 1;
    while (bh_driver_sched_take(s, INFINITY, &a, &late) == 1) {
        assert_true(a.t < 3600);
        n++;
    }
    assert_true(n > 5);
    assert_false(isfinite(bh_driver_sched_due(s)));
    bh_driver_sched_free(s);
    assert_int_equal(bh_driver_sched_new(sc, 42, 0, 0, NULL, NULL, &s),
                     BH_EINVAL);
    bh_scenario_free(sc);
}

static int
odd(void *arg, const struct bh_arrival *a) {
    (void)a;
    (*(int *)arg)++;
    return (*(int *)arg) % 2;
}

/* A filter (a segment) skips arrivals without disturbing the others. */
static void
test_filter(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    struct bh_driver_sched *all = NULL, *half = NULL;
    int k = 0;
    assert_int_equal(bh_driver_sched_new(sc, 1, 1, 7200, NULL, NULL, &all), 0);
    assert_int_equal(bh_driver_sched_new(sc, 1, 1, 7200, odd, &k, &half), 0);
    struct bh_arrival a, b;
    double late;
    size_t i = 0;
    while (bh_driver_sched_take(all, INFINITY, &a, &late) == 1) {
        if (i++ % 2 == 0) {
            assert_int_equal(bh_driver_sched_take(half, INFINITY, &b, &late),
                             1);
            assert_true(a.t == b.t);
        }
    }
    assert_int_equal(bh_driver_sched_take(half, INFINITY, &b, &late), 0);
    bh_driver_sched_free(all);
    bh_driver_sched_free(half);
    bh_scenario_free(sc);
}

/* G.107: no loss, little delay: R 93.2 less the delay term, MOS 4.4;
 * loss lowers it as Ie,eff says; the Annex B mapping's end points. */
static void
test_emodel(void **state) {
    (void)state;
    double r = bh_emodel_r(0, 20, 0, 0);
    assert_true(fabs(r - (93.2 - 0.48)) < 1e-9);
    assert_true(fabs(bh_emodel_mos(93.2) - 4.41) < 0.01);
    /* 1% random loss, no concealment: Ie,eff = 95 * 1 / (1 + 4.3) */
    assert_true(fabs(bh_emodel_r(0.01, 0, 0, 0) - (93.2 - 95 / 5.3)) < 1e-9);
    assert_true(bh_emodel_r(0.01, 0, 0, 1) > bh_emodel_r(0.01, 0, 0, 0));
    /* delay beyond 177.3 ms costs more per ms */
    double a = bh_emodel_r(0, 100, 0, 0) - bh_emodel_r(0, 150, 0, 0);
    double b = bh_emodel_r(0, 250, 0, 0) - bh_emodel_r(0, 300, 0, 0);
    assert_true(b > a);
    assert_true(bh_emodel_mos(-5) == 1);
    assert_true(bh_emodel_mos(120) == 4.5);
    assert_true(bh_emodel_mos(50) < bh_emodel_mos(70));
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_arrivals_hotline),
        cmocka_unit_test(test_same_arrivals_conference),
        cmocka_unit_test(test_lateness_and_span),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_emodel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
