/* stats.c: running mean and variance (Welford), Student-t intervals, and
 * the log-bucket histogram of waits with bounded relative error. */
#include "reports.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

void
bh_running_add(struct bh_running *r, double x) {
    if (isnan(x))
        return; /* "not measured" in this replication: skipped */
    r->n++;
    double d = x - r->mean;
    r->mean += d / (double)r->n;
    r->m2 += d * (x - r->mean);
}

double
bh_running_var(const struct bh_running *r) {
    if (r->n < 2)
        return 0;
    double v = r->m2 / (double)(r->n - 1);
    return v > 0 ? v : 0;
}

struct bh_estimate
bh_running_interval(const struct bh_running *r, double level) {
    struct bh_estimate e;
    if (r->n == 0) {
        e.mean = e.lo = e.hi = NAN;
        return e;
    }
    e.mean = r->mean;
    if (r->n < 2 || !(level > 0 && level < 1)) {
        e.lo = e.hi = r->mean;
        return e;
    }
    double t = gsl_cdf_tdist_Pinv(0.5 + level / 2, (double)(r->n - 1));
    double half = t * sqrt(bh_running_var(r) / (double)r->n);
    e.lo = r->mean - half;
    e.hi = r->mean + half;
    return e;
}

struct bh_estimate
bh_running_estimate(const struct bh_running *r) {
    return bh_running_interval(r, 0.95);
}

/* Bucket of a positive value: 64 linear sub-buckets in each power of two
 * above BH_HIST_MIN, so a bucket spans at most 1/64 of its lower bound. */
static size_t
bucket_of(double x) {
    if (x < BH_HIST_MIN)
        return 0;
    int e;
    double m = frexp(x / BH_HIST_MIN, &e); /* x/MIN = m * 2^e, m in [.5,1) */
    long idx =
        (long)(e - 1) * BH_HIST_SUB + (long)((m * 2.0 - 1.0) * BH_HIST_SUB);
    long max = (long)BH_HIST_SUB * BH_HIST_EXP - 1;
    return (size_t)(idx > max ? max : idx);
}

/* Lower bound and width of bucket i. */
static double
bucket_low(size_t i) {
    size_t e = i / BH_HIST_SUB, s = i % BH_HIST_SUB;
    return BH_HIST_MIN * ldexp(1.0 + (double)s / BH_HIST_SUB, (int)e);
}

static double
bucket_mid(size_t i) {
    size_t e = i / BH_HIST_SUB;
    double w = BH_HIST_MIN * ldexp(1.0 / BH_HIST_SUB, (int)e);
    return bucket_low(i) + w / 2;
}

void
bh_hist_add(struct bh_hist *h, double x) {
    if (!(x >= 0)) /* negative or NaN: not a wait */
        return;
    h->count++;
    h->sum += x;
    if (x == 0)
        h->zero++;
    else
        h->bucket[bucket_of(x)]++;
}

void
bh_hist_merge(struct bh_hist *into, const struct bh_hist *from) {
    into->zero += from->zero;
    into->count += from->count;
    into->sum += from->sum;
    for (size_t i = 0; i < (size_t)BH_HIST_SUB * BH_HIST_EXP; i++)
        into->bucket[i] += from->bucket[i];
}

double
bh_hist_quantile(const struct bh_hist *h, double q) {
    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    /* the value of rank ceil(q * count), ranks 1..count */
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    if (rank <= h->zero)
        return 0;
    uint64_t seen = h->zero;
    for (size_t i = 0; i < (size_t)BH_HIST_SUB * BH_HIST_EXP; i++) {
        seen += h->bucket[i];
        if (seen >= rank)
            return bucket_mid(i);
    }
    return bucket_mid((size_t)BH_HIST_SUB * BH_HIST_EXP - 1);
}

double
bh_hist_cdf(const struct bh_hist *h, double x) {
    if (h->count == 0)
        return 0;
    if (x < 0)
        return 0;
    uint64_t n = h->zero;
    for (size_t i = 0; i < (size_t)BH_HIST_SUB * BH_HIST_EXP; i++) {
        if (bucket_mid(i) > x)
            break;
        n += h->bucket[i];
    }
    return (double)n / (double)h->count;
}

struct bh_estimate
bh_ratio_estimate(const double *x, const double *y, size_t n, bool share) {
    struct bh_estimate e = {NAN, NAN, NAN};
    double sx = 0, sy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        sx += x[i];
        sy += y[i];
        m++;
    }
    if (m == 0 || !(sy > 0))
        return e;
    double r = sx / sy;
    e.mean = e.lo = e.hi = r;
    if (m < 2)
        return e;
    /* second pass: residuals about the pooled ratio (no cancellation) */
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        double d = x[i] - r * y[i];
        ss += d * d;
    }
    double ybar = sy / (double)m;
    double var = ss / (double)(m - 1) / ((double)m * ybar * ybar);
    double t = gsl_cdf_tdist_Pinv(0.975, (double)(m - 1));
    double half = t * sqrt(var);
    e.lo = r - half;
    e.hi = r + half;
    if (!share)
        return e;
    /* the pooled binomial interval, its trials discounted by how much more
     * the replications vary than independent trials would */
    double p = r < 0 ? 0 : r > 1 ? 1 : r;
    double vbin = p * (1 - p) / sy;
    double deff = vbin > 0 && var > vbin ? var / vbin : 1;
    return bh_share_widen(e, sy / deff);
}
