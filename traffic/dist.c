/* dist.c: random streams (splitmix64-derived seeds for GSL generators) and
 * sampling of every scenario distribution. */
#include "traffic.h"

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

gsl_rng *
bh_traffic_stream(uint64_t seed, uint32_t replication, uint32_t stream) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    /* MT19937 takes 32 bits of seed; fold the hash so all 64 count. A
     * zero seed means "default" to GSL, so avoid it. */
    uint64_t h = bh_traffic_stream_seed(seed, replication, stream);
    unsigned long s = (unsigned long)((h ^ (h >> 32)) & 0xffffffffUL);
    gsl_rng_set(r, s ? s : 1);
    return r;
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

double
bh_traffic_sample(const struct bh_dist *d, gsl_rng *rng) {
    double v = 0;
    switch (d->kind) {
    case BH_DIST_EXPONENTIAL:
        v = d->mean > 0 ? -d->mean * log(gsl_rng_uniform_pos(rng)) : 0;
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
