/* agree.c: does one measured run agree with the simulation of the same
 * window and capacity? (busyhour run; the test is stated in reports.h) */
#include "reports.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const double z95 = 1.959963984540054; /* 97.5% normal quantile */

static int
find(const struct bh_results *r, const char *name) {
    for (size_t i = 0; i < r->ntargets; i++)
        if (strcmp(r->targets[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The 95% spread of one replication, from the simulation's interval of
 * the mean over `reps` replications: half-width x sqrt(reps) x z / t. */
static double
one_run_spread(struct bh_estimate e, int reps) {
    if (reps < 2 || isnan(e.lo) || isnan(e.hi))
        return 0;
    double t = gsl_cdf_tdist_Pinv(0.975, (double)(reps - 1));
    return (e.hi - e.lo) / 2 * sqrt((double)reps) * z95 / t;
}

/* Half-width of the 95% Wilson interval of share p over n trials. */
static double
wilson_half(double p, double n) {
    if (!(n >= 1) || isnan(p))
        return 0;
    struct bh_estimate w = bh_share_widen(bh_estimate_exact(p), n);
    double up = w.hi - p, down = p - w.lo;
    return up > down ? up : down;
}

static void
one(const struct bh_results *sim, const struct bh_target_result *ts,
    const struct bh_target_result *tl, const char *why_missing,
    const char *figure, bool share, struct bh_estimate s, double m, double n,
    struct bh_agreement *a) {
    memset(a, 0, sizeof *a);
    snprintf(a->target, sizeof a->target, "%s", ts->name);
    snprintf(a->figure, sizeof a->figure, "%s", figure);
    a->share = share;
    a->sim = s;
    a->measured = m;
    a->calls = n;
    a->agrees = -1;
    if (!tl || isnan(tl->offered.mean)) {
        snprintf(a->why, sizeof a->why, "not measured%s%s",
                 why_missing ? ": " : "", why_missing ? why_missing : "");
        a->measured = NAN;
        return;
    }
    if (isnan(m)) {
        snprintf(a->why, sizeof a->why,
                 "not measured: no call of the run "
                 "gives this figure");
        return;
    }
    if (isnan(s.mean)) {
        snprintf(a->why, sizeof a->why, "not simulated");
        return;
    }
    double e = one_run_spread(s, sim->replications);
    if (share) {
        double w = wilson_half(m, n);
        if (w > e)
            e = w;
    }
    a->error = e;
    double lo = isnan(s.lo) ? s.mean : s.lo, hi = isnan(s.hi) ? s.mean : s.hi;
    /* a tolerance for rounding only: 1e-9 of a share, 1 us of a wait */
    a->agrees = m >= lo - e - 1e-9 && m <= hi + e + 1e-9;
}

size_t
bh_agree_test(const struct bh_results *sim, const struct bh_results *load,
              const char *why_missing, struct bh_agreement *out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; sim && load && i < sim->ntargets; i++) {
        const struct bh_target_result *ts = &sim->targets[i];
        int li = find(load, ts->name);
        const struct bh_target_result *tl = li >= 0 ? &load->targets[li] : NULL;
        double calls = tl ? tl->offered.mean : NAN;
        double answered = tl ? tl->answered.mean : NAN;
        if (n < max)
            one(sim, ts, tl, why_missing, "blocking", true, ts->blocking,
                tl ? tl->blocking.mean : NAN, calls, &out[n++]);
        if (strcmp(ts->kind, "bridge") == 0 && n < max)
            one(sim, ts, tl, why_missing, "incomplete meetings", true,
                ts->incomplete_meetings,
                tl ? tl->incomplete_meetings.mean : NAN,
                tl ? tl->meetings.mean : NAN, &out[n++]);
        if (ts->operators <= 0)
            continue; /* no queue: no abandonment, wait or service level */
        if (n < max)
            one(sim, ts, tl, why_missing, "abandonment", true, ts->abandonment,
                tl ? tl->abandonment.mean : NAN, calls, &out[n++]);
        if (n < max)
            one(sim, ts, tl, why_missing, "wait mean", false, ts->wait_mean,
                tl ? tl->wait_mean.mean : NAN, answered, &out[n++]);
        for (size_t k = 0; k < ts->nsl && k < BH_RES_MAX_SL && n < max; k++) {
            double m = NAN;
            for (size_t j = 0; tl && j < tl->nsl && j < BH_RES_MAX_SL; j++)
                if (fabs(tl->sl[j].t - ts->sl[k].t) < 1e-6)
                    m = tl->sl[j].value.mean;
            char fig[32], d[16];
            bh_format_duration(ts->sl[k].t, d, sizeof d);
            snprintf(fig, sizeof fig, "service level %s", d);
            one(sim, ts, tl, why_missing, fig, true, ts->sl[k].value, m, calls,
                &out[n++]);
        }
    }
    return n;
}

static void
fmt(char *buf, size_t size, double v, bool share) {
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (share)
        snprintf(buf, size, "%.2f%%", 100 * v);
    else
        snprintf(buf, size, "%.2f s", v);
}

void
bh_agree_format(const struct bh_agreement *a, char *buf, size_t size) {
    if (a->agrees < 0) {
        snprintf(buf, size, "%s", a->why);
        return;
    }
    char m[32], s[32], lo[32], hi[32], e[32];
    fmt(m, sizeof m, a->measured, a->share);
    fmt(s, sizeof s, a->sim.mean, a->share);
    fmt(lo, sizeof lo, a->sim.lo, a->share);
    fmt(hi, sizeof hi, a->sim.hi, a->share);
    fmt(e, sizeof e, a->error, a->share);
    snprintf(buf, size, "measured %s %s simulated %s [%s, %s] \xc2\xb1 %s", m,
             a->agrees ? "within" : "OUTSIDE", s, lo, hi, e);
}
