/* dist.c: random streams (splitmix64-derived seeds for GSL generators) and
 * sampling of every scenario distribution. */
#include "traffic.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>

/* splitmix64 finaliser: a bijective 64-bit mix with good avalanche. */
static uint64_t
mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t
bh_traffic_stream_seed(uint64_t seed, uint32_t replication, uint32_t stream) {
    uint64_t h = mix(seed);
    h = mix(h ^ ((uint64_t)replication + 1));
    h = mix(h ^ (((uint64_t)stream + 1) << 32));
    return h;
}

/* The generator: L'Ecuyer's maximally equidistributed combined Tausworthe
 * generator taus2 (Math. Comp. 65, 1996; period 2^88), which GSL lists
 * among the fastest of simulation quality. It replaced MT19937: a draw
 * costs about 30 instructions against MT19937's 40 (callgrind, bench/sim),
 * and both give 32 random bits per draw, so uniforms and exponentials
 * have the same resolution. Being F2-linear with a small state, it fails
 * TestU01's linear-complexity and matrix-rank tests (L'Ecuyer and Simard,
 * 2007), structure no queueing figure can see; every statistical test of
 * the simulator (Erlang B, C, A, Engset, insensitivity) passes with it. */
gsl_rng *
bh_traffic_stream(uint64_t seed, uint32_t replication, uint32_t stream) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r)
        return NULL;
    /* taus2 takes 32 bits of seed; fold the hash so all 64 count. A
     * zero seed means "default" to GSL, so avoid it. */
    uint64_t h = bh_traffic_stream_seed(seed, replication, stream);
    unsigned long s = (unsigned long)((h ^ (h >> 32)) & 0xffffffffUL);
    gsl_rng_set(r, s ? s : 1);
    return r;
}

/* ---- Exp(1) by the ziggurat (Marsaglia and Tsang, J. Stat. Softw. 5(8),
 * 2000) ------------------------------------------------------------------
 * 256 layers of equal area under exp(-x). One 32-bit draw gives the layer
 * (its low 8 bits) and the position in it (the other 24, so the two are
 * independent, unlike the original, which reused the layer bits); 98.9% of
 * draws are accepted there with a compare and a multiply. The rest fall
 * in a layer's wedge (accepted against exp(-x)) or, below the base layer,
 * in the tail beyond R, which is R + Exp(1) by memorylessness. It is exact
 * up to the 24-bit grid of positions (steps of x_i / 2^24 in layer i).
 * About 50 instructions per draw, generator included, against 95 for
 * -log(U) on taus2, which costs a glibc log and a uniform through two
 * calls (callgrind, bench/sim). */
#define ZIG_LAYERS 256
#define ZIG_R 7.69711747013104972  /* start of the tail */
#define ZIG_V 3.949659822581572e-3 /* area of each layer */
#define ZIG_SCALE 16777216.0       /* 2^24 positions per layer */

static struct {
    uint32_t k[ZIG_LAYERS]; /* accept position j < k[i] outright */
    double w[ZIG_LAYERS];   /* x = j * w[i] */
    double f[ZIG_LAYERS];   /* exp(-x_i) at the layer's edge */
} zig;

/* Filled once when the program (or library) is loaded, before any thread
 * can draw, so readers need no synchronisation. */
static void __attribute__((constructor)) zig_init(void) {
    double de = ZIG_R, te = de;
    double q = ZIG_V / exp(-de);
    zig.k[0] = (uint32_t)((de / q) * ZIG_SCALE);
    zig.k[1] = 0;
    zig.w[0] = q / ZIG_SCALE;
    zig.w[ZIG_LAYERS - 1] = de / ZIG_SCALE;
    zig.f[0] = 1.0;
    zig.f[ZIG_LAYERS - 1] = exp(-de);
    for (int i = ZIG_LAYERS - 2; i >= 1; i--) {
        de = -log(ZIG_V / de + exp(-de));
        zig.k[i + 1] = (uint32_t)((de / te) * ZIG_SCALE);
        te = de;
        zig.f[i] = exp(-de);
        zig.w[i] = de / ZIG_SCALE;
    }
}

/* The rare part of a draw: the wedge or the tail (1.1% of draws), or a
 * generator other than taus2. */
static double __attribute__((noinline)) exp1_slow(gsl_rng *rng, uint32_t u) {
    /* the layer and position bits need a generator of 32 full bits */
    if (rng->type->min != 0 || rng->type->max != 0xffffffffUL)
        return -log(gsl_rng_uniform_pos(rng));
    for (;;) {
        uint32_t i = u & (ZIG_LAYERS - 1), j = u >> 8;
        double x = (double)j * zig.w[i];
        if (j < zig.k[i])
            return x;
        if (i == 0) /* the tail beyond R */
            return ZIG_R - log(gsl_rng_uniform_pos(rng));
        /* the wedge between the rectangle and the curve */
        double y = zig.f[i] + gsl_rng_uniform(rng) * (zig.f[i - 1] - zig.f[i]);
        if (y < exp(-x))
            return x;
        u = (uint32_t)gsl_rng_get(rng);
    }
}

double
bh_traffic_exp1(gsl_rng *rng) {
    /* the generator directly, as GSL's inline gsl_rng_get does */
    uint32_t u = (uint32_t)rng->type->get(rng->state);
    uint32_t i = u & (ZIG_LAYERS - 1), j = u >> 8;
    /* only taus2 takes the fast path; other generators go to the slow
     * one, which checks their range (a narrower one wastes u and inverts) */
    if (j < zig.k[i] && rng->type == gsl_rng_taus2)
        return (double)j * zig.w[i]; /* inside the rectangle: 98.9% */
    return exp1_slow(rng, u);
}

static double
clamp(const struct bh_dist *d, double v) {
    if (d->kind == BH_DIST_UNIFORM)
        return v;
    if (d->has_min && v < d->min)
        v = d->min;
    if (d->has_max && v > d->max)
        v = d->max;
    return v;
}

/* Every kind, clamped; the plain exponential goes the short way first. */
static double __attribute__((noinline))
sample_slow(const struct bh_dist *d, gsl_rng *rng) {
    double v = 0;
    switch (d->kind) {
    case BH_DIST_EXPONENTIAL:
        v = d->mean > 0 ? d->mean * bh_traffic_exp1(rng) : 0;
        break;
    case BH_DIST_LOGNORMAL:
        if (d->mean <= 0) {
            v = 0;
        } else if (d->sd <= 0) {
            v = d->mean;
        } else {
            /* E = exp(mu + s2/2), Var = (exp(s2) - 1) E^2 */
            double cv = d->sd / d->mean;
            double s2 = log1p(cv * cv);
            double mu = log(d->mean) - s2 / 2;
            v = gsl_ran_lognormal(rng, mu, sqrt(s2));
        }
        break;
    case BH_DIST_NORMAL:
        if (d->sd <= 0)
            v = d->mean > 0 ? d->mean : 0;
        else /* conditioned on v >= 0: a Gaussian tail above -mean */
            v = d->mean + gsl_ran_gaussian_tail(rng, -d->mean, d->sd);
        if (v < 0)
            v = 0;
        break;
    case BH_DIST_GAMMA:
        if (d->mean <= 0) {
            v = 0;
        } else if (d->sd <= 0) {
            v = d->mean;
        } else {
            double k = (d->mean * d->mean) / (d->sd * d->sd);
            v = gsl_ran_gamma(rng, k, d->mean / k);
        }
        break;
    case BH_DIST_ERLANG: {
        int k = d->k > 0 ? d->k : 1;
        v = d->mean > 0 ? gsl_ran_gamma(rng, k, d->mean / k) : 0;
        break;
    }
    case BH_DIST_UNIFORM:
        v = d->min + (d->max - d->min) * gsl_rng_uniform(rng);
        break;
    case BH_DIST_DETERMINISTIC:
        v = d->mean;
        break;
    case BH_DIST_POISSON:
        v = d->mean > 0 ? (double)gsl_ran_poisson(rng, d->mean) : 0;
        break;
    case BH_DIST_EMPIRICAL:
        if (d->nsamples == 0 || !d->samples) {
            v = 0;
        } else {
            size_t i = (size_t)(gsl_rng_uniform(rng) * (double)d->nsamples);
            if (i >= d->nsamples)
                i = d->nsamples - 1;
            v = d->samples[i];
        }
        break;
    }
    return clamp(d, v);
}

double
bh_traffic_sample(const struct bh_dist *d, gsl_rng *rng) {
    /* the common case (holding times, retrial delays), without the
     * frame of the general switch: 2 instructions fewer per draw
     * (callgrind, bench/sim; small, but the split costs nothing) */
    if (d->kind == BH_DIST_EXPONENTIAL && !d->has_min && !d->has_max)
        return d->mean > 0 ? d->mean * bh_traffic_exp1(rng) : 0;
    return sample_slow(d, rng);
}

double
bh_traffic_dist_mean(const struct bh_dist *d) {
    switch (d->kind) {
    case BH_DIST_UNIFORM:
        return (d->min + d->max) / 2;
    case BH_DIST_EMPIRICAL: {
        if (d->nsamples == 0 || !d->samples)
            return 0;
        double s = 0;
        for (size_t i = 0; i < d->nsamples; i++)
            s += d->samples[i];
        return s / (double)d->nsamples;
    }
    case BH_DIST_NORMAL: {
        /* mean of the normal conditioned on >= 0 */
        if (d->sd <= 0)
            return d->mean > 0 ? d->mean : 0;
        double a = -d->mean / d->sd;
        double tail = 0.5 * erfc(a / sqrt(2.0));
        if (tail <= 0)
            return 0;
        return d->mean + d->sd * exp(-a * a / 2) / sqrt(2 * M_PI) / tail;
    }
    default:
        return d->mean;
    }
}

double
bh_traffic_dist_lower(const struct bh_dist *d) {
    double lo;
    switch (d->kind) {
    case BH_DIST_UNIFORM:
        return d->min < d->max ? d->min : d->max;
    case BH_DIST_DETERMINISTIC:
        lo = d->mean;
        break;
    case BH_DIST_EMPIRICAL:
        lo = d->nsamples && d->samples ? d->samples[0] : 0;
        break;
    default:
        lo = 0;
        break;
    }
    if (d->has_min && lo < d->min)
        lo = d->min;
    if (d->has_max && lo > d->max)
        lo = d->max;
    return lo;
}

double
bh_traffic_dist_survival(const struct bh_dist *d, double x) {
    if (d->kind != BH_DIST_UNIFORM) {
        if (d->has_max && x >= d->max)
            return 0;
        if (d->has_min && x < d->min)
            return 1;
    }
    double m = d->mean, sd = d->sd;
    switch (d->kind) {
    case BH_DIST_EXPONENTIAL:
        return x < 0 ? 1 : m > 0 ? exp(-x / m) : 0;
    case BH_DIST_LOGNORMAL: {
        if (x <= 0)
            return m > 0 ? 1 : 0;
        if (m <= 0 || sd <= 0)
            return m > x ? 1 : 0;
        double cv = sd / m, s2 = log1p(cv * cv);
        return gsl_cdf_lognormal_Q(x, log(m) - s2 / 2, sqrt(s2));
    }
    case BH_DIST_NORMAL: {
        /* conditioned on >= 0 */
        if (x < 0)
            return 1;
        if (sd <= 0)
            return m > x ? 1 : 0;
        double tail = gsl_cdf_gaussian_Q(-m, sd);
        return tail > 0 ? gsl_cdf_gaussian_Q(x - m, sd) / tail : 0;
    }
    case BH_DIST_GAMMA:
    case BH_DIST_ERLANG: {
        if (x < 0)
            return 1;
        double k = d->kind == BH_DIST_ERLANG ? (d->k > 0 ? d->k : 1)
                   : sd > 0                  ? m * m / (sd * sd)
                                             : 0;
        if (m <= 0 || k <= 0)
            return m > x ? 1 : 0;
        return gsl_cdf_gamma_Q(x, k, m / k);
    }
    case BH_DIST_UNIFORM: {
        double lo = d->min < d->max ? d->min : d->max;
        double hi = d->min < d->max ? d->max : d->min;
        return x < lo ? 1 : x >= hi ? 0 : (hi - x) / (hi - lo);
    }
    case BH_DIST_POISSON:
        return x < 0 ? 1 : m > 0 ? gsl_cdf_poisson_Q((unsigned)floor(x), m) : 0;
    case BH_DIST_EMPIRICAL: {
        size_t above = 0;
        for (size_t i = 0; d->samples && i < d->nsamples; i++)
            above += d->samples[i] > x;
        return d->nsamples ? (double)above / (double)d->nsamples : 0;
    }
    default: /* DETERMINISTIC */
        return m > x ? 1 : 0;
    }
}
