/* profile.c: all arithmetic on the piecewise constant daily arrival
 * profile: its step and rate at a time, its integral and mean over a
 * span, and its exact non-homogeneous Poisson process (integrated-rate
 * inversion). */
#include "traffic.h"

#include <math.h>

#define DAY 86400.0

size_t
bh_profile_step(const struct bh_profile *p, double tod) {
    /* at[] is increasing from 0: binary search for the last at <= tod. */
    size_t lo = 0, hi = p->n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->at[mid] <= tod)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

double
bh_profile_rate(const struct bh_profile *p, double start, double t) {
    if (!p || p->n == 0)
        return 0;
    double tod = fmod(start + t, DAY);
    if (tod < 0)
        tod += DAY;
    return p->rate[bh_profile_step(p, tod)];
}

static double
seg_end(const struct bh_profile *p, size_t i) {
    return i + 1 < p->n ? p->at[i + 1] : DAY;
}

/* Expected arrivals in one whole day (per unit of mult). */
static double
day_total(const struct bh_profile *p) {
    double s = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->rate[i] > 0)
            s += p->rate[i] / 3600.0 * (seg_end(p, i) - p->at[i]);
    return s;
}

/* Integral from midnight to time of day tod. */
static double
day_prefix(const struct bh_profile *p, double tod) {
    double s = 0;
    for (size_t i = 0; i < p->n && p->at[i] < tod; i++) {
        double e = seg_end(p, i);
        if (e > tod)
            e = tod;
        if (p->rate[i] > 0)
            s += p->rate[i] / 3600.0 * (e - p->at[i]);
    }
    return s;
}

/* Integral from midnight of day 0 (absolute s since midnight) to x. */
static double
cumulative(const struct bh_profile *p, double total, double x) {
    double d = floor(x / DAY);
    double tod = x - d * DAY;
    if (tod < 0)
        tod = 0;
    return d * total + day_prefix(p, tod);
}

double
bh_profile_integral(const struct bh_profile *p, double start, double t0,
                    double t1) {
    if (p->n == 0 || !(t1 > t0))
        return 0;
    double total = day_total(p);
    return cumulative(p, total, start + t1) - cumulative(p, total, start + t0);
}

double
bh_profile_mean_rate(const struct bh_profile *p, double start, double t0,
                     double t1) {
    if (!(t1 > t0))
        return 0;
    return bh_profile_integral(p, start, t0, t1) * 3600.0 / (t1 - t0);
}

double
bh_profile_invert(const struct bh_profile *p, double start, double mult,
                  double t0, double w, double limit) {
    if (p->n == 0 || !(mult > 0) || !(w >= 0) || !(t0 < limit))
        return INFINITY;
    if (p->n == 1) { /* constant all day: the common case, exact */
        double r = p->rate[0] / 3600.0 * mult;
        if (!(r > 0))
            return INFINITY;
        double tau = t0 + w / r;
        return tau < limit ? tau : INFINITY;
    }
    double total = day_total(p) * mult;
    if (!(total > 0))
        return INFINITY;
    /* Walk segments by (day, segment index), never by accumulating small
     * time steps, so rounding cannot stall the walk. */
    double abs0 = start + t0;
    double day = floor(abs0 / DAY);
    double pos = abs0 - day * DAY; /* time of day */
    if (pos < 0)
        pos = 0;
    if (pos >= DAY)
        pos = nextafter(DAY, 0);
    size_t i = bh_profile_step(p, pos);
    for (;;) {
        double end = seg_end(p, i);
        double len = end - pos;
        double r = p->rate[i] > 0 ? p->rate[i] / 3600.0 * mult : 0;
        if (r > 0 && w <= r * len) {
            double tau = day * DAY + pos + w / r - start;
            if (tau < t0)
                tau = t0;
            return tau < limit ? tau : INFINITY;
        }
        w -= r * len;
        pos = end;
        if (++i == p->n) {
            i = 0;
            day += 1;
            pos = 0;
            /* skip whole days: each integrates to total */
            double k = floor(w / total);
            if (k >= 1 && w - k * total <= 0)
                k -= 1;
            if (k >= 1) {
                w -= k * total;
                day += k;
            }
        }
        if (day * DAY + pos - start >= limit)
            return INFINITY;
    }
}

double
bh_schedule_next(const struct bh_sc_schedule *x, double start, double t) {
    if (!x || x->n == 0)
        return INFINITY;
    int inclusive = !(t >= 0);
    if (inclusive)
        t = 0;
    double u = start + t; /* s since the first midnight */
    double day = floor(u / DAY);
    double tod = u - day * DAY;
    for (int pass = 0; pass < 2; pass++, day++, tod = -1) {
        for (size_t i = 0; i < x->n; i++)
            if (inclusive ? x->at[i] >= tod - 1e-9 : x->at[i] > tod + 1e-9)
                return day * DAY + x->at[i] - start;
    }
    return INFINITY; /* not reached: the next day has every time */
}
