/* test_calendar.c: the event calendar against a sorted reference: random
 * interleavings of adds and takes, equal times (first in, first out),
 * far-future events, growth and shrinkage of the bucket ring. */
#include "calendar.h"

#include <gsl/gsl_rng.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

/* The reference: an unsorted array, searched for the earliest (lowest
 * sequence number among equal times). */
struct ref {
    struct bh_event e[20000];
    uint64_t seq[20000];
    size_t n;
};

static void
ref_pop(struct ref *r, struct bh_event *out) {
    size_t best = 0;
    for (size_t i = 1; i < r->n; i++)
        if (r->e[i].t < r->e[best].t ||
            (r->e[i].t == r->e[best].t && r->seq[i] < r->seq[best]))
            best = i;
    *out = r->e[best];
    r->e[best] = r->e[r->n - 1];
    r->seq[best] = r->seq[r->n - 1];
    r->n--;
}

static void
against_reference(void **state) {
    static struct ref ref;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    struct bh_calendar c;
    bh_calendar_init(&c);
    ref.n = 0;
    double now = 0;
    uint64_t seq = 0;
    /* phases: grow to thousands, churn, drain to a few, churn again */
    int target[] = {5000, 5000, 3, 3, 800, 0};
    size_t pops = 0;
    for (int ph = 0; ph < 6; ph++) {
        for (int step = 0; step < 20000; step++) {
            int add =
                ref.n == 0 || (ref.n < (size_t)target[ph] + 2 &&
                               gsl_rng_uniform(rng) <
                                   0.5 + (ref.n < (size_t)target[ph]) * 0.3);
            if (ph == 5)
                add = 0;
            if (ref.n == 0 && ph == 5)
                break;
            if (add && ref.n < 20000) {
                double u = gsl_rng_uniform(rng);
                double t;
                if (u < 0.1)
                    t = now; /* ties with now */
                else if (u < 0.2)
                    t = now + 5; /* ties among themselves */
                else if (u < 0.22)
                    t = now + 1e9 * gsl_rng_uniform(rng); /* far future */
                else
                    t = now + 180 * -log(gsl_rng_uniform_pos(rng));
                /* as the simulator does: look at the earliest, then add
                 * one before it */
                if (ref.n > 0 && gsl_rng_uniform(rng) < 0.3) {
                    double top = bh_calendar_top(&c);
                    t = now + (top - now) * gsl_rng_uniform(rng);
                }
                ref.e[ref.n].t = t;
                ref.e[ref.n].data = seq;
                ref.seq[ref.n++] = seq;
                assert_int_equal(bh_calendar_push(&c, t, seq), 0);
                seq++;
            } else {
                struct bh_event a, b;
                assert_true(bh_calendar_top(&c) == ({
                                size_t best = 0;
                                for (size_t i = 1; i < ref.n; i++)
                                    if (ref.e[i].t < ref.e[best].t)
                                        best = i;
                                ref.e[best].t;
                            }));
                bh_calendar_pop(&c, &a);
                ref_pop(&ref, &b);
                assert_true(a.t == b.t);
                assert_true(a.data == b.data);
                assert_true(a.t >= now);
                now = a.t;
                pops++;
            }
            assert_int_equal(c.n, ref.n);
        }
    }
    printf("  %zu events taken in order, %u buckets at the end\n", pops, c.nb);
    assert_true(pops > 50000);
    bh_calendar_clear(&c);
    gsl_rng_free(rng);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
