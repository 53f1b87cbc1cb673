/* test_traffic.c: the clock-free traffic model: random streams, sampling
 * of every distribution, the exact non-homogeneous Poisson process across
 * rate changes (to and from zero) and day boundaries, caller classes,
 * meetings, retrials and finite sources. Statistical checks: does the
 * interval across independent batches cover the exact value (99.9%
 * asserted, 95% printed)? */
#include "traffic.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BATCHES 20

/* Mean and intervals of batch values; does the 99.9% one cover exact? */
static int
covers(const char *what, const double *v, int n, double exact) {
    double m = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        m += v[i] / n;
    for (int i = 0; i < n; i++)
        s2 += (v[i] - m) * (v[i] - m) / (n - 1);
    double se = sqrt(s2 / n);
    double h95 = gsl_cdf_tdist_Pinv(0.975, n - 1) * se;
    double h999 = gsl_cdf_tdist_Pinv(0.9995, n - 1) * se;
    int ok = fabs(m - exact) <= h999;
    printf("  %-30s exact %.6g  mean %.6g  95%% CI [%.6g, %.6g] %s\n", what,
           exact, m, m - h95, m + h95, ok ? "covers" : "MISSES");
    return ok;
}

static struct bh_dist
dist(enum bh_dist_kind k, double mean, double sd) {
    struct bh_dist d;
    memset(&d, 0, sizeof d);
    d.kind = k;
    d.mean = mean;
    d.sd = sd;
    return d;
}

static void
streams(void **state) {
    uint64_t a = bh_traffic_stream_seed(42, 0, 1);
    assert_true(a == bh_traffic_stream_seed(42, 0, 1));
    assert_true(a != bh_traffic_stream_seed(42, 1, 1));
    assert_true(a != bh_traffic_stream_seed(42, 0, 2));
    assert_true(a != bh_traffic_stream_seed(43, 0, 1));
    gsl_rng *r1 = bh_traffic_stream(42, 3, 5),
            *r2 = bh_traffic_stream(42, 3, 5);
    for (int i = 0; i < 100; i++)
        assert_true(gsl_rng_get(r1) == gsl_rng_get(r2));
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}

/* Batch means of d (and of d^2 when m2 != NULL). */
static void
batches(const struct bh_dist *d, gsl_rng *r, int per, double *m1, double *m2,
        double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int b = 0; b < BATCHES; b++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < per; i++) {
            double x = bh_traffic_sample(d, r);
            s += x;
            s2 += x * x;
            if (x < *lo)
                *lo = x;
            if (x > *hi)
                *hi = x;
        }
        m1[b] = s / per;
        if (m2)
            m2[b] = s2 / per;
    }
}

static void
sampling(void **state) {
    gsl_rng *r = bh_traffic_stream(1, 0, 0);
    double m1[BATCHES], m2[BATCHES], lo, hi;
    struct {
        const char *name;
        struct bh_dist d;
        double mean, sd; /* exact; sd < 0: not checked */
    } cases[] = {
        {"exponential(90)", dist(BH_DIST_EXPONENTIAL, 90, 0), 90, 90},
        {"lognormal(240, 180)", dist(BH_DIST_LOGNORMAL, 240, 180), 240, 180},
        {"gamma(100, 50)", dist(BH_DIST_GAMMA, 100, 50), 100, 50},
        {"gamma(10, 30)", dist(BH_DIST_GAMMA, 10, 30), 10, 30},
        {"erlang(60, k 3)", dist(BH_DIST_ERLANG, 60, 0), 60, 60 / sqrt(3)},
        {"poisson(8)", dist(BH_DIST_POISSON, 8, 0), 8, sqrt(8)},
        {"normal(45m, 10m)", dist(BH_DIST_NORMAL, 2700, 600), 2700, -1},
        {"normal(1, 2) truncated", dist(BH_DIST_NORMAL, 1, 2), 0, -1},
    };
    cases[4].d.k = 3;
    /* truncated normal mean: mean + sd phi(a) / (1 - Phi(a)), a = -m/sd */
    cases[6].mean = bh_traffic_dist_mean(&cases[6].d);
    double a = -0.5, phi = exp(-a * a / 2) / sqrt(2 * M_PI);
    cases[7].mean = 1 + 2 * phi / (1 - gsl_cdf_ugaussian_P(a));
    assert_true(fabs(bh_traffic_dist_mean(&cases[7].d) - cases[7].mean) <
                1e-12);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        batches(&cases[i].d, r, 5000, m1, m2, &lo, &hi);
        assert_true(lo >= 0);
        char what[64];
        snprintf(what, sizeof what, "%s mean", cases[i].name);
        assert_true(covers(what, m1, BATCHES, cases[i].mean));
        if (cases[i].sd >= 0) {
            snprintf(what, sizeof what, "%s E[x^2]", cases[i].name);
            assert_true(covers(what, m2, BATCHES,
                               cases[i].sd * cases[i].sd +
                                   cases[i].mean * cases[i].mean));
        }
    }
    /* uniform, negative values allowed: its bounds */
    struct bh_dist u = dist(BH_DIST_UNIFORM, 0, 0);
    u.min = -120;
    u.max = 300;
    batches(&u, r, 5000, m1, NULL, &lo, &hi);
    assert_true(lo >= -120 && hi <= 300);
    assert_true(covers("uniform(-2m, 5m) mean", m1, BATCHES, 90));
    assert_true(bh_traffic_dist_lower(&u) == -120);
    /* deterministic */
    struct bh_dist k = dist(BH_DIST_DETERMINISTIC, 8, 0);
    assert_true(bh_traffic_sample(&k, r) == 8);
    /* empirical: inverse CDF over sorted samples, each equally likely */
    double s[] = {10, 20, 30, 100};
    struct bh_dist e = dist(BH_DIST_EMPIRICAL, 0, 0);
    e.samples = s;
    e.nsamples = 4;
    batches(&e, r, 2000, m1, NULL, &lo, &hi);
    assert_true(lo == 10 && hi == 100);
    assert_true(covers("empirical {10,20,30,100}", m1, BATCHES, 40));
    assert_true(bh_traffic_dist_mean(&e) == 40);
    assert_true(bh_traffic_dist_lower(&e) == 10);
    /* clamps: poisson(8) at least 2 and at most 12 */
    struct bh_dist p = dist(BH_DIST_POISSON, 8, 0);
    p.has_min = p.has_max = true;
    p.min = 2;
    p.max = 12;
    batches(&p, r, 2000, m1, NULL, &lo, &hi);
    assert_true(lo >= 2 && hi <= 12);
    double exact = 0, pk = exp(-8.0);
    for (int n = 0; n < 200; n++) {
        double v = n < 2 ? 2 : n > 12 ? 12 : n;
        exact += v * pk;
        pk *= 8.0 / (n + 1);
    }
    assert_true(covers("poisson(8) clamped [2, 12]", m1, BATCHES, exact));
    assert_true(bh_traffic_dist_lower(&p) == 2);
    gsl_rng_free(r);
}

static void
profile_math(void **state) {
    struct bh_profile p;
    memset(&p, 0, sizeof p);
    p.n = 4; /* 0 at night, 360/h 08-12, 0 12-13, 3600/h 13-18, 0 after */
    double at[] = {0, 8 * 3600, 12 * 3600, 13 * 3600};
    double rate[] = {0, 360, 0, 3600};
    memcpy(p.at, at, sizeof at);
    memcpy(p.rate, rate, sizeof rate);
    p.n = 5;
    p.at[4] = 18 * 3600;
    p.rate[4] = 0;
    /* one day: 4 h x 360 + 5 h x 3600 */
    assert_true(fabs(bh_profile_integral(&p, 0, 0, 86400) - 19440) < 1e-6);
    /* across midnight, starting at 20:00 */
    assert_true(fabs(bh_profile_integral(&p, 72000, 0, 2 * 86400) - 2 * 19440) <
                1e-6);
    assert_true(bh_profile_integral(&p, 72000, 0, 12 * 3600) == 0);
    /* inversion lands inside rate > 0 segments and round-trips */
    gsl_rng *r = bh_traffic_stream(2, 0, 0);
    for (int i = 0; i < 2000; i++) {
        double t0 = gsl_rng_uniform(r) * 3 * 86400;
        double w = gsl_rng_uniform(r) * 50000;
        double tau = bh_profile_invert(&p, 72000, 1, t0, w, INFINITY);
        assert_true(tau >= t0);
        double back = bh_profile_integral(&p, 72000, t0, tau);
        assert_true(fabs(back - w) <= 1e-6 * (1 + w));
        double tod = fmod(72000 + tau, 86400);
        assert_true((tod >= 8 * 3600 && tod <= 12 * 3600) ||
                    (tod >= 13 * 3600 && tod <= 18 * 3600));
    }
    gsl_rng_free(r);
    /* zero all day: never; a limit cuts it */
    struct bh_profile z;
    memset(&z, 0, sizeof z);
    z.n = 1;
    assert_true(isinf(bh_profile_invert(&z, 0, 1, 0, 1, INFINITY)));
    assert_true(isinf(bh_profile_invert(&p, 0, 1, 0, 1e9, 86400)));
}

/* A scenario with one source of calls, built by hand. */
static struct bh_scenario *
one_source(void) {
    struct bh_scenario *sc = calloc(1, sizeof *sc);
    sc->horizon = 3 * 86400;
    sc->interval = 3600;
    sc->start = 20 * 3600; /* starts at 20:00: crosses two midnights */
    sc->sw.nnumbers = 1;
    sc->sw.numbers = calloc(1, sizeof *sc->sw.numbers);
    sc->sw.numbers[0].lines = 10;
    sc->nsources = 1;
    sc->sources = calloc(1, sizeof *sc->sources);
    struct bh_sc_source *s = &sc->sources[0];
    s->kind = BH_SOURCE_CALLS;
    s->holding = dist(BH_DIST_EXPONENTIAL, 60, 0);
    double at[] = {0, 6 * 3600, 9 * 3600, 9.5 * 3600, 17 * 3600};
    double rate[] = {0, 120, 1500, 300, 0};
    s->profile.n = 5;
    memcpy(s->profile.at, at, sizeof at);
    memcpy(s->profile.rate, rate, sizeof rate);
    s->nclasses = 3;
    s->classes = calloc(3, sizeof *s->classes);
    s->classes[0].share = 0.5;
    s->classes[1].share = 0.3;
    s->classes[1].origin = 1;
    s->classes[2].share = 0.2;
    s->classes[2].origin = 2;
    s->classes[2].plan = 1;
    s->classes[2].subscribers = 40;
    return sc;
}

static void
free_scenario(struct bh_scenario *sc) {
    for (size_t i = 0; i < sc->nsources; i++)
        free(sc->sources[i].classes);
    free(sc->sources);
    free(sc->sw.numbers);
    free(sc->sw.bridges);
    free(sc);
}

/* Arrivals per hour of the horizon, per replication: each hour's count
 * across replications covers its exact expectation; hours at rate zero
 * have none at all; class shares cover theirs. */
static void
nhpp_exact(void **state) {
    struct bh_scenario *sc = one_source();
    enum { HOURS = 72, REPS = 20 };
    static double count[HOURS][REPS];
    double share[3][REPS];
    for (int rep = 0; rep < REPS; rep++) {
        struct bh_traffic *tm;
        assert_int_equal(bh_traffic_new(sc, 9, (uint32_t)rep, &tm), 0);
        struct bh_arrival a;
        double last = 0;
        int n = 0, cls[3] = {0, 0, 0};
        while (bh_traffic_next(tm, sc->horizon, &a)) {
            assert_true(a.t >= last && a.t < sc->horizon);
            last = a.t;
            count[(int)(a.t / 3600)][rep]++;
            assert_true(a.caller_class < 3);
            cls[a.caller_class]++;
            assert_int_equal(a.origin,
                             sc->sources[0].classes[a.caller_class].origin);
            if (a.caller_class == 2)
                assert_true(a.subscriber < 40 && a.plan == 1);
            assert_true(isinf(a.patience));
            n++;
        }
        for (int c = 0; c < 3; c++)
            share[c][rep] = (double)cls[c] / n;
        bh_traffic_free(tm);
    }
    for (int h = 0; h < HOURS; h++) {
        double exact = bh_profile_integral(&sc->sources[0].profile, sc->start,
                                           h * 3600.0, (h + 1) * 3600.0);
        if (exact == 0) {
            for (int r = 0; r < REPS; r++)
                assert_true(count[h][r] == 0);
            continue;
        }
        char what[48];
        snprintf(what, sizeof what, "arrivals in hour %d", h);
        assert_true(covers(what, count[h], REPS, exact));
    }
    assert_true(covers("class 0 share", share[0], REPS, 0.5));
    assert_true(covers("class 1 share", share[1], REPS, 0.3));
    assert_true(covers("class 2 share", share[2], REPS, 0.2));
    /* offered load helper: rate x mean holding */
    /* 09:00 to 09:30 of the first morning: 1500 per hour */
    double e = bh_traffic_offered(sc, 0, 13 * 3600, 13.5 * 3600);
    assert_true(fabs(e - 1500.0 / 3600 * 60) < 1e-9);
    free_scenario(sc);
}

static void
meetings(void **state) {
    struct bh_scenario *sc = one_source();
    struct bh_sc_source *s = &sc->sources[0];
    s->kind = BH_SOURCE_MEETINGS;
    s->target_kind = BH_TARGET_BRIDGE;
    s->meetings.profile.n = 1;
    s->meetings.profile.rate[0] = 10;
    s->meetings.participants = dist(BH_DIST_POISSON, 8, 0);
    s->meetings.participants.has_min = true;
    s->meetings.participants.min = 2;
    s->meetings.duration = dist(BH_DIST_NORMAL, 2700, 600);
    s->meetings.join_spread = dist(BH_DIST_UNIFORM, 0, 0);
    s->meetings.join_spread.min = -120;
    s->meetings.join_spread.max = 300;
    s->meetings.passcode_entry = 8;
    double size[BATCHES];
    for (int rep = 0; rep < BATCHES; rep++) {
        struct bh_traffic *tm;
        assert_int_equal(bh_traffic_new(sc, 5, (uint32_t)rep, &tm), 0);
        struct bh_arrival a;
        double last = 0;
        uint64_t people = 0, maxid = 0;
        while (bh_traffic_next(tm, sc->horizon, &a)) {
            assert_true(a.t >= last);
            last = a.t;
            assert_true(a.meeting > 0 && a.meeting_size >= 2);
            assert_true(a.t >= a.meeting_start - 120 - 1e-9);
            assert_true(a.t <= a.meeting_start + 300 + 1e-9);
            assert_true(a.passcode == 8);
            assert_true(fabs(a.t + a.passcode + a.holding - a.meeting_end) <
                            1e-6 ||
                        a.holding == 0);
            if (a.meeting > maxid)
                maxid = a.meeting;
            people++;
        }
        /* meetings cut by the horizon bring only part of their people */
        size[rep] = (double)people / (double)maxid;
        bh_traffic_free(tm);
    }
    double exact = 0, pk = exp(-8.0);
    for (int n = 0; n < 200; n++) {
        exact += (n < 2 ? 2 : n) * pk;
        pk *= 8.0 / (n + 1);
    }
    assert_true(covers("participants per meeting", size, BATCHES, exact));
    free_scenario(sc);
}

static void
retries_and_finite_sources(void **state) {
    struct bh_scenario *sc = one_source();
    struct bh_sc_source *s = &sc->sources[0];
    s->profile.n = 1;
    s->profile.rate[0] = 3600;
    s->retry.present = true;
    s->retry.probability = 1;
    s->retry.delay = dist(BH_DIST_DETERMINISTIC, 30, 0);
    s->retry.max_attempts = 2;
    struct bh_traffic *tm;
    assert_int_equal(bh_traffic_new(sc, 1, 0, &tm), 0);
    struct bh_arrival a, b;
    assert_true(bh_traffic_next(tm, sc->horizon, &a));
    assert_int_equal(a.attempt, 1);
    assert_int_equal(bh_traffic_finish(tm, &a, BH_OUTCOME_BLOCKED, a.t), 1);
    /* the retrial comes back 30 s later with attempt 2 */
    int found = 0;
    while (bh_traffic_next(tm, a.t + 31, &b))
        if (b.attempt == 2) {
            assert_true(fabs(b.t - (a.t + 30)) < 1e-9);
            assert_true(b.caller_class == a.caller_class);
            assert_int_equal(bh_traffic_finish(tm, &b, BH_OUTCOME_BLOCKED, b.t),
                             0); /* max_attempts reached */
            found = 1;
        }
    assert_true(found);
    /* answered calls are not retried */
    assert_true(bh_traffic_next(tm, sc->horizon, &a));
    assert_int_equal(bh_traffic_finish(tm, &a, BH_OUTCOME_ANSWERED, a.t), 0);
    bh_traffic_free(tm);

    /* one finite source: silent while its call lasts */
    s->retry.present = false;
    s->sources = 1;
    assert_int_equal(bh_traffic_new(sc, 1, 0, &tm), 0);
    assert_true(bh_traffic_next(tm, sc->horizon, &a));
    assert_true(isinf(bh_traffic_peek(tm, sc->horizon)));
    assert_int_equal(bh_traffic_finish(tm, &a, BH_OUTCOME_ANSWERED, a.t + 50),
                     0);
    double t = bh_traffic_peek(tm, sc->horizon);
    assert_true(t > a.t + 50 && t < sc->horizon);
    bh_traffic_free(tm);
    free_scenario(sc);
}

/* Item 4 of issue 15: a campaign re-dials its unanswered attempts (the
 * schema's "unanswered or blocked attempts"), each redial with a fresh
 * chance of an answer; plain calls that end unanswered are not retried.
 * Over 20,000 first attempts at answer probability 35% and retry
 * probability 50%: the retries are half the unanswered (within 5 standard
 * errors of a binomial), and the redials' answered share is 35% (within 5
 * standard errors). */
static void
campaign_retries_unanswered(void **state) {
    (void)state;
    struct bh_scenario *sc = one_source();
    struct bh_sc_source *s = &sc->sources[0];
    s->kind = BH_SOURCE_CAMPAIGN;
    s->nclasses = 0;
    s->campaign.profile.n = 1;
    s->campaign.profile.rate[0] = 3600;
    s->campaign.answer_probability = 0.35;
    s->campaign.ring = dist(BH_DIST_DETERMINISTIC, 20, 0);
    s->retry.present = true;
    s->retry.probability = 0.5;
    s->retry.delay = dist(BH_DIST_DETERMINISTIC, 600, 0);
    s->retry.max_attempts = 2;
    struct bh_traffic *tm;
    assert_int_equal(bh_traffic_new(sc, 5, 0, &tm), 0);
    struct bh_arrival a;
    double first = 0, unanswered = 0, retried = 0, redials = 0, answered = 0;
    while (first < 20000 && bh_traffic_next(tm, sc->horizon, &a)) {
        if (a.attempt == 1) {
            first++;
        } else {
            redials++;
            answered += a.answers;
        }
        enum bh_outcome o =
            a.answers ? BH_OUTCOME_ANSWERED : BH_OUTCOME_UNANSWERED;
        if (a.attempt == 1 && !a.answers)
            unanswered++;
        int r = bh_traffic_finish(tm, &a, o, a.t + 30);
        if (a.attempt == 1)
            retried += r;
        else
            assert_int_equal(r, 0); /* max_attempts */
        if (a.answers)
            assert_int_equal(r, 0);
    }
    bh_traffic_free(tm);
    double se = sqrt(unanswered * 0.25);
    printf("  campaign: %.0f first attempts, %.0f unanswered, %.0f retried "
           "(expected %.0f +- %.0f); redials answered %.4f of %.0f\n",
           first, unanswered, retried, unanswered / 2, se, answered / redials,
           redials);
    assert_true(fabs(retried - unanswered / 2) < 5 * se);
    double p = answered / redials;
    assert_true(fabs(p - 0.35) < 5 * sqrt(0.35 * 0.65 / redials));
    /* plain calls: an unanswered end is not retried */
    s->kind = BH_SOURCE_CALLS;
    s->profile.n = 1;
    s->profile.rate[0] = 3600;
    s->retry.probability = 1;
    assert_int_equal(bh_traffic_new(sc, 5, 0, &tm), 0);
    assert_true(bh_traffic_next(tm, sc->horizon, &a));
    assert_int_equal(bh_traffic_finish(tm, &a, BH_OUTCOME_UNANSWERED, a.t), 0);
    bh_traffic_free(tm);
    free_scenario(sc);
}

/* Exp(1) by the ziggurat (dist.c): a chi-square test of 2 million draws
 * against the exact CDF, on 100 bins of equal probability with the last
 * split at the ziggurat's tail start R = 7.697 and beyond (where the tail
 * and wedge code paths take over); the same draws' mean and E[x^2]; and
 * the fallback paths (MT19937 through the slow loop, and a 24-bit
 * generator by inversion) by their means. */
static void
exp1_ziggurat(void **state) {
    (void)state;
    gsl_rng *r = bh_traffic_stream(3, 0, 1);
    enum { NB = 103, N = 2000000 };
    double edge[NB]; /* upper edges; the last bin is open */
    for (int k = 0; k < 99; k++)
        edge[k] = -log1p(-(k + 1) / 100.0);
    edge[99] = 7.69711747013104972;
    edge[100] = 9.0;
    edge[101] = 12.0;
    edge[102] = INFINITY;
    double cnt[NB] = {0}, m1[BATCHES] = {0}, m2[BATCHES] = {0};
    for (int i = 0; i < N; i++) {
        double x = bh_traffic_exp1(r);
        assert_true(x >= 0 && isfinite(x));
        int lo = 0, hi = NB - 1; /* first edge >= x */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (x < edge[mid])
                hi = mid;
            else
                lo = mid + 1;
        }
        cnt[lo]++;
        m1[i % BATCHES] += x / (N / BATCHES);
        m2[i % BATCHES] += x * x / (N / BATCHES);
    }
    double chi2 = 0, prev = 0;
    for (int k = 0; k < NB; k++) {
        double p = exp(-prev) - (isfinite(edge[k]) ? exp(-edge[k]) : 0);
        double e = p * N;
        chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
        prev = edge[k];
    }
    double pv = gsl_cdf_chisq_Q(chi2, NB - 1);
    printf("  exp1 chi-square %.1f on %d df, p = %.3g; beyond R: %.0f "
           "(expected %.0f)\n",
           chi2, NB - 1, pv, cnt[100] + cnt[101] + cnt[102],
           N * exp(-7.69711747013104972));
    assert_true(pv > 1e-4);
    assert_true(covers("exp1 mean", m1, BATCHES, 1.0));
    assert_true(covers("exp1 E[x^2]", m2, BATCHES, 2.0));
    gsl_rng_free(r);
    /* the other paths: a full 32-bit generator that is not taus2, and one
     * of 24 bits (inversion) */
    const gsl_rng_type *types[] = {gsl_rng_mt19937, gsl_rng_ranlxs0};
    for (int t = 0; t < 2; t++) {
        gsl_rng *g = gsl_rng_alloc(types[t]);
        gsl_rng_set(g, 11);
        double b[BATCHES] = {0};
        for (int i = 0; i < 200000; i++)
            b[i % BATCHES] += bh_traffic_exp1(g) / (200000 / BATCHES);
        assert_true(covers(types[t]->name, b, BATCHES, 1.0));
        gsl_rng_free(g);
    }
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(streams),
        cmocka_unit_test(sampling),
        cmocka_unit_test(exp1_ziggurat),
        cmocka_unit_test(profile_math),
        cmocka_unit_test(nhpp_exact),
        cmocka_unit_test(meetings),
        cmocka_unit_test(retries_and_finite_sources),
        cmocka_unit_test(campaign_retries_unanswered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
