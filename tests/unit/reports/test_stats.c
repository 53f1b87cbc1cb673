/* test_stats.c: running mean and variance, Student-t intervals, and the
 * log-bucket histogram's bounded relative error. */
#include "reports.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void
running(void **state) {
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9, 1e9, -1e9};
    struct bh_running r = {0, 0, 0};
    double sum = 0;
    for (int i = 0; i < 10; i++) {
        bh_running_add(&r, x[i]);
        sum += x[i];
    }
    double mean = sum / 10, ss = 0;
    for (int i = 0; i < 10; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    assert_true(r.n == 10);
    assert_true(fabs(r.mean - mean) < 1e-6);
    assert_true(fabs(bh_running_var(&r) - ss / 9) < 1e-9 * ss / 9);
    /* the interval: mean +- t(0.975, 9) sd / sqrt(10), t = 2.2621572 */
    struct bh_estimate e = bh_running_estimate(&r);
    double half = 2.2621571627982 * sqrt(ss / 9 / 10);
    assert_true(fabs((e.hi - e.lo) / 2 - half) < 1e-6 * half);
    struct bh_estimate w = bh_running_interval(&r, 0.999);
    assert_true(w.hi - w.lo > e.hi - e.lo);
    /* NaN ("not measured") is skipped */
    bh_running_add(&r, NAN);
    assert_true(r.n == 10);
    /* none, and one */
    struct bh_running z = {0, 0, 0};
    e = bh_running_estimate(&z);
    assert_true(isnan(e.mean) && isnan(e.lo) && isnan(e.hi));
    bh_running_add(&z, 3);
    e = bh_running_estimate(&z);
    assert_true(e.mean == 3 && e.lo == 3 && e.hi == 3);
}

static int
cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
histogram(void **state) {
    struct bh_hist *h = calloc(1, sizeof *h);
    struct bh_hist *h2 = calloc(1, sizeof *h2);
    struct bh_hist *all = calloc(1, sizeof *all);
    enum { N = 20000 };
    double *v = malloc(N * sizeof *v);
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        double u = (s >> 8) / 16777216.0;
        /* zeros, sub-millisecond, and up to hours */
        v[i] = i % 10 == 0 ? 0 : 0.002 * pow(10, 6 * u);
        bh_hist_add(i % 2 ? h : h2, v[i]);
        bh_hist_add(all, v[i]);
    }
    bh_hist_add(all, -1); /* not a wait: ignored */
    bh_hist_add(all, NAN);
    assert_true(all->count == N);
    bh_hist_merge(h, h2);
    assert_memory_equal(h->bucket, all->bucket, sizeof h->bucket);
    assert_true(h->zero == all->zero && h->count == all->count);
    qsort(v, N, sizeof *v, cmp);
    double qs[] = {0, 0.05, 0.1, 0.11, 0.5, 0.9, 0.99, 0.999, 1};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
        size_t rank = (size_t)ceil(qs[i] * N);
        if (rank < 1)
            rank = 1;
        double exact = v[rank - 1];
        double got = bh_hist_quantile(all, qs[i]);
        if (exact == 0)
            assert_true(got == 0);
        else
            assert_true(fabs(got - exact) <= BH_HIST_REL_ERROR * exact);
    }
    /* cdf: share <= x, within a bucket's width */
    assert_true(fabs(bh_hist_cdf(all, 0) - 0.1) < 1e-12);
    double x = v[N / 2];
    double c = bh_hist_cdf(all, x);
    double lo = bh_hist_cdf(all, x * (1 - BH_HIST_REL_ERROR));
    assert_true(lo <= 0.5 + 1e-9 && c >= 0.5 - 0.01);
    struct bh_hist *empty = calloc(1, sizeof *empty);
    assert_true(bh_hist_quantile(empty, 0.5) == 0);
    assert_true(bh_hist_cdf(empty, 1) == 0);
    /* very large values land in the last bucket, not out of bounds */
    bh_hist_add(empty, 1e300);
    assert_true(bh_hist_quantile(empty, 1) > 0);
    free(v);
    free(h);
    free(h2);
    free(all);
    free(empty);
}

/* The ratio estimator: pooled sums, not the mean of ratios; a delta
 * interval; shares at least as wide as their pooled binomial interval. */
static void
ratio_estimator(void **state) {
    (void)state;
    double x[] = {1, 0, 3, 2}, y[] = {10, 5, 20, 15};
    struct bh_estimate e = bh_ratio_estimate(x, y, 4, false);
    assert_true(fabs(e.mean - 6.0 / 50) < 1e-15); /* not 0.0875 */
    /* s^2 = sum (x - R y)^2 / 3 over 4 * 12.5^2, t(0.975, 3) = 3.1824463 */
    double ss = 0;
    for (int i = 0; i < 4; i++)
        ss += (x[i] - 0.12 * y[i]) * (x[i] - 0.12 * y[i]);
    double half = 3.182446305284263 * sqrt(ss / 3 / (4 * 12.5 * 12.5));
    assert_true(fabs((e.hi - e.lo) / 2 - half) < 1e-9);
    /* as a share: never narrower than Wilson over the 50 calls */
    struct bh_estimate s = bh_ratio_estimate(x, y, 4, true);
    assert_true(s.lo <= e.lo && s.hi >= e.hi);
    /* no event in 4 x 1000 calls: not [0, 0] but about 3.84 / 4000 */
    double z[] = {0, 0, 0, 0}, n[] = {1000, 1000, 1000, 1000};
    s = bh_ratio_estimate(z, n, 4, true);
    assert_true(s.mean == 0 && s.lo == 0);
    assert_true(s.hi > 3.8 / 4000 && s.hi < 3.9 / 4000);
    /* events clustered in one replication widen it (design effect) */
    double c[] = {8, 0, 0, 0}, d[] = {1, 1, 3, 3};
    struct bh_estimate clu = bh_ratio_estimate(c, n, 4, true);
    struct bh_estimate spread = bh_ratio_estimate(d, n, 4, true);
    assert_true(clu.mean == spread.mean);
    assert_true(clu.hi - clu.lo > spread.hi - spread.lo);
    /* one replication: exact; no calls: not measured; NaN pairs skipped */
    s = bh_ratio_estimate(x, y, 1, true);
    assert_true(s.mean == 0.1 && s.lo == 0.1 && s.hi == 0.1);
    s = bh_ratio_estimate(z, z, 4, true);
    assert_true(isnan(s.mean));
    double xn[] = {1, NAN, 3}, yn[] = {10, 5, 30};
    s = bh_ratio_estimate(xn, yn, 3, false);
    assert_true(fabs(s.mean - 0.1) < 1e-15);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(running),
        cmocka_unit_test(ratio_estimator),
        cmocka_unit_test(histogram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
