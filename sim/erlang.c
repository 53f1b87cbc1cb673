/* erlang.c: exact queueing formulas: Erlang B, C and A (M/M/n+M), Engset,
 * and their inverses (fewest lines or agents meeting a target).
 *
 * Numerics. Nothing here forms a^n or n!. Erlang B runs the inverse
 * recurrence 1/B(n) = 1 + n/(a B(n-1)) in the form J(n) = 1/B(n) - 1 =
 * (n/a)(1 + J(n-1)), J(0) = 0: every term is positive, so no cancellation,
 * and a rounding error in J(n-1) reaches J(n) multiplied by J/(1+J) < 1, so
 * errors do not grow faster than n ulps (about 1e-11 relative at n =
 * 100,000). J overflows to +inf only when B < 1e-308, and then B is 0, the
 * right answer in doubles. J also gives 1 - B = J/(1+J) without
 * cancellation, which Erlang C and A need.
 *
 * Erlang A sums the birth-death chain of M/M/n+M over its queue states,
 * weighted relative to state n (all agents busy, nobody waiting):
 *   states k < n:   sum of pi_k / pi_n = J(n)            (the Erlang B part)
 *   state n + m:    t_m = prod_{j=1..m} a / (n + j r),   r = aht / patience
 * The ratio a / (n + m r) falls below 1 once m > (a - n) / r, after which
 * the terms shrink faster than geometrically; the sum stops when a bound on
 * the whole remaining tail (geometric, valid because the ratio only falls)
 * is below 1e-17 of what has been summed. All weights are positive, so the
 * sums carry only rounding error. When the terms grow huge (load far above
 * the agents) they are rescaled by 2^-600 and J with them; J then vanishes
 * against them, as it should. This is the "direct chain sum truncated where
 * terms are negligible" method; its cost is the number of states carrying
 * probability, so it is capped at BH_ERLANG_A_MAX_STATES.
 *
 * Waiting times in Erlang A. A call arriving at state n + m has m calls
 * ahead; while it waits all agents are busy, so its offered wait V (the wait
 * it would have if it never hung up) is a sum of exponential stages with
 * rates n mu + i theta, i = m..0. Rates in arithmetic progression make V =
 * -log(U) / theta with U ~ Beta(c, m + 1), c = n mu / theta (a generalised
 * Renyi representation; compare Laplace transforms). The call is answered
 * when V < its own patience (exponential, rate theta), so
 *   P(answered)                 = E[U]              = c / (c + m + 1)
 *   E[V; answered]              = P(answered) sum_{i=1..m+1} 1/(n mu + i theta)
 *   P(answered, V <= T)         = P(answered) P(U' >= e^{-theta T}),
 *                                 U' ~ Beta(c + 1, m + 1)
 * and for integer m + 1, P(U' < x) = P(NB <= m) with NB negative binomial
 * (c + 1 successes, success probability x), whose CDF is accumulated term
 * by term along m. Its first term e^{-(n mu + theta) T} underflows for big
 * n T / aht, so the terms are carried in long-double log space until they
 * reach normal doubles. */
#include "sim.h"

#include <float.h>
#include <math.h>

/* J(n) = 1/B(a, n) - 1 for a > 0, n >= 0; +inf once B underflows. */
static double
inv_b_minus_1(double a, long n) {
    double j = 0;
    for (long k = 1; k <= n; k++) {
        j = ((double)k / a) * (1 + j);
        if (isinf(j))
            break;
    }
    return j;
}

static int
bad_traffic(double a) {
    return !(a >= 0) || !isfinite(a);
}

double
bh_erlang_b(double a, long n) {
    if (bad_traffic(a) || n < 0)
        return NAN;
    if (n == 0)
        return 1;
    if (a == 0)
        return 0;
    return 1 / (1 + inv_b_minus_1(a, n));
}

/* 1/B(a, x0) for 0 < x0 < 1, a > 0: e^a a^-x0 Gamma(x0 + 1, a), the upper
 * incomplete gamma function of s = x0 + 1 (1/B(a, x) = a int_0^inf
 * e^-at (1 + t)^x dt). For a < 3 from Gamma(s) less the series of the
 * lower function, a^s e^-a sum_n a^n / (s (s+1) .. (s+n)); else from
 * Legendre's continued fraction Gamma(s, a) = e^-a a^s / (a + 1 - s -
 * 1 (1 - s) / (a + 3 - s - 2 (2 - s) / ...)), evaluated by Lentz's
 * method. Both converge to double precision in under 200 terms. */
static double
inv_b_frac(double a, double x0) {
    double s = x0 + 1;
    if (a < 3) {
        double term = 1 / s, sum = term;
        for (int n = 1; n < 500 && term > 1e-17 * sum; n++) {
            term *= a / (s + n);
            sum += term;
        }
        return exp(a + lgamma(s) - x0 * log(a)) - a * sum;
    }
    const double tiny = 1e-300;
    double b = a + 1 - s, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 500; i++) {
        double an = -i * (i - s);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16)
            break;
    }
    return a * h;
}

double
bh_erlang_b_real(double a, double x) {
    if (bad_traffic(a) || !(x >= 0) || !isfinite(x) ||
        x > (double)BH_ERLANG_MAX_SERVERS)
        return NAN;
    if (a == 0)
        return x > 0 ? 0 : 1;
    double k = floor(x), x0 = x - k;
    double j = x0 > 0 ? inv_b_frac(a, x0) - 1 : 0; /* J(x0) */
    for (long m = 1; m <= (long)k; m++) {
        j = ((x0 + (double)m) / a) * (1 + j);
        if (isinf(j))
            break;
    }
    return 1 / (1 + j);
}

double
bh_erlang_hayward(double a, double n, double z) {
    if (!(z > 0) || !isfinite(z))
        return NAN;
    return bh_erlang_b_real(a / z, n / z);
}

int
bh_erlang_b_lines(double a, double target, long *lines, double *blocking) {
    if (bad_traffic(a) || !(target >= 1e-300 && target <= 1))
        return BH_EINVAL;
    double j = 0; /* J(n) */
    long n = 0;
    while (1 / (1 + j) > target) {
        if (n >= BH_ERLANG_MAX_SERVERS)
            return BH_ERANGE;
        n++;
        j = a == 0 ? INFINITY : ((double)n / a) * (1 + j);
    }
    if (lines)
        *lines = n;
    if (blocking)
        *blocking = 1 / (1 + j);
    return 0;
}

/* Erlang C probability of waiting from J(n), for 0 <= a < n:
 * C = n B / (n - a (1 - B)) = n / (n + (n - a) J). */
static double
c_from_j(double a, long n, double j) {
    if (isinf(j))
        return 0;
    return (double)n / ((double)n + ((double)n - a) * j);
}

double
bh_erlang_c(double a, long n) {
    if (bad_traffic(a) || n < 1)
        return NAN;
    if (a >= (double)n)
        return 1;
    if (a == 0)
        return 0;
    return c_from_j(a, n, inv_b_minus_1(a, n));
}

static void
c_nan(struct bh_erlang_c *out) {
    out->p_wait = out->asa = out->service_level = out->occupancy = NAN;
}

/* Fills *out for 0 < a < n given J(n). */
static void
c_fill(double a, long n, double j, double aht, double t,
       struct bh_erlang_c *out) {
    double c = c_from_j(a, n, j);
    double gap = (double)n - a; /* Erlangs of spare capacity */
    out->p_wait = c;
    out->asa = c * aht / gap;
    out->service_level = 1 - c * exp(-gap * t / aht);
    out->occupancy = a / (double)n;
}

static int
c_args_ok(double a, double aht, double t) {
    return !bad_traffic(a) && aht > 0 && isfinite(aht) && t >= 0 && isfinite(t);
}

int
bh_erlang_c_eval(double a, long n, double aht, double target_time,
                 struct bh_erlang_c *out) {
    if (!c_args_ok(a, aht, target_time) || n < 1) {
        c_nan(out);
        return BH_EINVAL;
    }
    if (a >= (double)n) {
        out->p_wait = 1;
        out->asa = INFINITY;
        out->service_level = 0;
        out->occupancy = 1;
        return 0;
    }
    if (a == 0) {
        out->p_wait = out->asa = out->occupancy = 0;
        out->service_level = 1;
        return 0;
    }
    c_fill(a, n, inv_b_minus_1(a, n), aht, target_time, out);
    return 0;
}

int
bh_erlang_c_agents(double a, double aht, double target_time, double target_sl,
                   long *agents, struct bh_erlang_c *at) {
    struct bh_erlang_c r;
    if (!c_args_ok(a, aht, target_time) || !(target_sl >= 0) ||
        !(target_sl < 1))
        return BH_EINVAL;
    if (a >= (double)BH_ERLANG_MAX_SERVERS)
        return BH_ERANGE;
    long n = (long)floor(a) + 1; /* fewest agents that keep up */
    if (a == 0) {
        n = 1;
        r.p_wait = r.asa = r.occupancy = 0;
        r.service_level = 1;
    } else {
        double j = inv_b_minus_1(a, n);
        c_fill(a, n, j, aht, target_time, &r);
        while (r.service_level < target_sl) {
            if (n >= BH_ERLANG_MAX_SERVERS)
                return BH_ERANGE;
            n++;
            j = isinf(j) ? j : ((double)n / a) * (1 + j);
            c_fill(a, n, j, aht, target_time, &r);
        }
    }
    if (agents)
        *agents = n;
    if (at)
        *at = r;
    return 0;
}

static void
a_nan(struct bh_erlang_a *out) {
    out->p_wait = out->p_abandon = out->asa = out->service_level =
        out->occupancy = NAN;
}

/* Erlang A for a > 0, n >= 1, 0 < patience < inf. Time unit: aht. */
static int
erlang_a(double a, long n, double aht, double patience, double t,
         struct bh_erlang_a *out) {
    const double nd = (double)n;
    const double r = aht / patience; /* theta / mu */
    const double tau = t / aht;      /* target time in units of aht */
    const double big = 0x1p600, small = 0x1p-600;

    /* The terms grow until m = (a - n) / r: too many to sum one by one? */
    if (a > nd && (a - nd) / r > (double)BH_ERLANG_A_MAX_STATES)
        return BH_ERANGE;

    /* Negative binomial pmf nb_m = P(NB = m), NB with c + 1 = n/r + 1
     * successes of probability x0 = e^{-r tau}:
     *   nb_0 = x0^{c+1} = e^{-(n + r) tau},
     *   nb_{m+1} = nb_m (c + m + 1)/(m + 1) (1 - x0)
     *            = nb_m (n + (m + 1) r) q / (m + 1),  q = (1 - x0) / r. */
    const double rt = r * tau;
    const double q = rt < 1e-12 ? tau * (1 - rt / 2) : -expm1(-rt) / r;
    long double lnb = -((long double)nd + r) * tau;
    int nb_log = lnb < -700.0L; /* nb still in log space */
    double nb = nb_log ? 0 : exp((double)lnb);
    double cdf = nb; /* P(NB <= m) */

    /* Sums over queue states n + m, weights relative to pi_n, scaled by
     * 2^(-600 scale). */
    double t_m = 1;  /* pi_{n+m} / pi_n */
    double tsum = 0; /* sum t_m: all agents busy */
    double m1 = 0;   /* sum m t_m: mean queue length */
    double ans = 0;  /* sum t_m P(answered | m ahead) */
    double wsum = 0; /* sum t_m E[V; answered | m], in aht */
    double miss = 0; /* sum t_m P(not answered within T | m) */
    double h = 0;    /* sum_{i=1..m+1} 1/(n + i r), in aht */
    int scale = 0;
    for (long m = 0;; m++) {
        if (m >= BH_ERLANG_A_MAX_STATES)
            return BH_ERANGE;
        double d = nd + (double)(m + 1) * r; /* (n mu + (m+1) theta)/mu */
        double p_ans = nd / d;
        h += 1 / d;
        tsum += t_m;
        m1 += (double)m * t_m;
        ans += t_m * p_ans;
        wsum += t_m * p_ans * h;
        double cdf1 = cdf > 1 ? 1 : cdf;
        miss += t_m * (((double)(m + 1) * r + nd * cdf1) / d);

        double rho = a / d; /* t_{m+1} / t_m */
        double next = t_m * rho;
        if (rho < 1) {
            /* Remaining terms shrink at least as fast as rho^i. */
            double g = 1 / (1 - rho);
            double tail_t = next * g;
            double tail_m = next * ((double)(m + 1) * g + rho * g * g);
            if (tail_t <= 1e-17 * tsum && tail_m <= 1e-17 * m1)
                break;
        }
        t_m = next;
        if (t_m > big) {
            t_m *= small;
            tsum *= small;
            m1 *= small;
            ans *= small;
            wsum *= small;
            miss *= small;
            scale++;
        }

        /* Advance the negative binomial to m + 1. */
        double f = (nd + (double)(m + 1) * r) * q / (double)(m + 1);
        if (nb_log) {
            lnb += logl((long double)f);
            if (lnb > -700.0L) {
                nb_log = 0;
                nb = exp((double)lnb);
                cdf += nb;
            }
        } else if (nb > 0) {
            nb *= f;
            cdf += nb;
        }
    }

    double j = inv_b_minus_1(a, n); /* weight of states below n */
    /* J < 2^1024, so after 2 rescalings by 2^-600 it is below 2^-176 of
     * the largest term and past 3 it underflows anyway. */
    double js = scale > 3 ? 0 : ldexp(j, -600 * scale);
    double z = js + tsum;
    out->p_wait = tsum / z;
    out->p_abandon = r * m1 / (a * z);
    double answered = js + ans; /* isinf(js) only when the queue is empty */
    out->asa = isinf(answered) ? 0 : wsum / answered * aht;
    out->service_level = 1 - miss / z;
    out->occupancy = a * (answered / z) / nd;
    if (isnan(out->occupancy))
        out->occupancy = a / nd; /* J infinite: nobody abandons */
    return 0;
}

int
bh_erlang_a_eval(double a, long n, double aht, double patience,
                 double target_time, struct bh_erlang_a *out) {
    if (!c_args_ok(a, aht, target_time) || n < 1 || !(patience >= 0)) {
        a_nan(out);
        return BH_EINVAL;
    }
    if (a == 0) {
        out->p_wait = out->p_abandon = out->asa = out->occupancy = 0;
        out->service_level = 1;
        return 0;
    }
    if (a > (double)BH_ERLANG_MAX_SERVERS) {
        /* Keeps a / n below 2^(1024-600), so the rescaled terms of
         * erlang_a() cannot overflow. */
        a_nan(out);
        return BH_ERANGE;
    }
    if (patience == 0 || isinf(aht / patience)) {
        /* Nobody waits: the loss system M/M/n/n. */
        double b = bh_erlang_b(a, n);
        out->p_wait = out->p_abandon = b;
        out->asa = 0;
        out->service_level = 1 - b;
        out->occupancy = a * (1 - b) / (double)n;
        return 0;
    }
    if (isinf(patience)) {
        struct bh_erlang_c c;
        bh_erlang_c_eval(a, n, aht, target_time, &c);
        out->p_wait = c.p_wait;
        out->p_abandon = 0;
        out->asa = c.asa;
        out->service_level = c.service_level;
        out->occupancy = c.occupancy;
        return 0;
    }
    int rc = erlang_a(a, n, aht, patience, target_time, out);
    if (rc < 0)
        a_nan(out);
    return rc;
}

/* Does n agents meet the Erlang A targets? 1 yes, 0 no, < 0 error. */
static int
a_meets(double a, long n, double aht, double patience, double t, double sl,
        double ab, struct bh_erlang_a *res) {
    int rc = bh_erlang_a_eval(a, n, aht, patience, t, res);
    if (rc < 0)
        return rc;
    return res->service_level >= sl && res->p_abandon <= ab;
}

int
bh_erlang_a_agents(double a, double aht, double patience, double target_time,
                   double target_sl, double max_abandon, long *agents,
                   struct bh_erlang_a *at) {
    struct bh_erlang_a res;
    if (!c_args_ok(a, aht, target_time) || !(patience >= 0) ||
        !(target_sl >= 0 && target_sl < 1) ||
        !(max_abandon > 0 && max_abandon <= 1))
        return BH_EINVAL;
    if (a >= (double)BH_ERLANG_MAX_SERVERS)
        return BH_ERANGE;
    /* Answered calls cannot outrun the agents: a (1 - p_abandon) < n (some
     * agent is idle some of the time), and service_level < 1 - p_abandon,
     * so n <= a max(target_sl, 1 - max_abandon) agents never meet the
     * targets. (Near that bound p_abandon is 1 - n/a to within rounding;
     * the bound keeps the answer on the exact side of such ties.) */
    long lo = (long)floor(a * fmax(target_sl, 1 - max_abandon));
    /* Find a passing hi by doubling the gap above lo, then bisect: service
     * level rises and abandonment falls with every added agent. */
    long step = (long)ceil(sqrt(a)) + 1;
    long hi = lo + step;
    int ok;
    while ((ok = a_meets(a, hi, aht, patience, target_time, target_sl,
                         max_abandon, &res)) == 0) {
        if (hi >= BH_ERLANG_MAX_SERVERS)
            return BH_ERANGE;
        lo = hi;
        step *= 2;
        hi = lo + step > BH_ERLANG_MAX_SERVERS ? BH_ERLANG_MAX_SERVERS
                                               : lo + step;
    }
    if (ok < 0)
        return ok;
    struct bh_erlang_a best = res;
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        ok = a_meets(a, mid, aht, patience, target_time, target_sl, max_abandon,
                     &res);
        if (ok < 0)
            return ok;
        if (ok) {
            hi = mid;
            best = res;
        } else {
            lo = mid;
        }
    }
    if (agents)
        *agents = hi;
    if (at)
        *at = best;
    return 0;
}

/* Engset time congestion of s sources, n <= s lines, beta per idle source,
 * by J_x = x / ((s - x + 1) beta) (1 + J_{x-1}), the Erlang B recurrence
 * with a state-dependent arrival rate (s - x + 1) beta. */
static double
engset_time(long s, long n, double beta) {
    if (n == 0)
        return 1;
    if (beta == 0)
        return 0;
    double j = 0;
    for (long x = 1; x <= n; x++) {
        j = (double)x / ((double)(s - x + 1) * beta) * (1 + j);
        if (isinf(j))
            return 0;
    }
    return 1 / (1 + j);
}

double
bh_erlang_engset(long sources, long lines, double beta) {
    if (sources < 1 || lines < 0 || bad_traffic(beta))
        return NAN;
    if (lines >= sources)
        return 0; /* the other k - 1 sources can never fill n lines */
    return engset_time(sources - 1, lines, beta);
}

/* Offered traffic per source for a given beta: alpha = beta / (1 + beta (1
 * - B(beta))) (attempts come only from idle sources). */
static double
engset_alpha(long k, long n, double beta, double *b) {
    *b = bh_erlang_engset(k, n, beta);
    return beta / (1 + beta * (1 - *b));
}

double
bh_erlang_engset_offered(long sources, long lines, double alpha, double *beta) {
    if (sources < 1 || lines < 0 || bad_traffic(alpha))
        return NAN;
    if (lines >= sources) {
        if (alpha >= 1)
            return NAN; /* without blocking a source offers < 1 Erlang */
        if (beta)
            *beta = alpha / (1 - alpha);
        return 0;
    }
    if (alpha == 0) {
        if (beta)
            *beta = 0;
        return bh_erlang_engset(sources, lines, 0);
    }
    /* alpha(beta) rises from 0 without bound when lines < sources; bracket
     * and bisect. alpha(beta) >= beta (1 - n/k) / ... so beta <= alpha k /
     * (k - n) + alpha suffices, but doubling is simpler and as safe. */
    double b, lo = 0, hi = alpha;
    while (engset_alpha(sources, lines, hi, &b) < alpha) {
        lo = hi;
        hi *= 2;
        if (isinf(hi))
            return NAN;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-16 * hi; i++) {
        double mid = lo + (hi - lo) / 2;
        if (engset_alpha(sources, lines, mid, &b) < alpha)
            lo = mid;
        else
            hi = mid;
    }
    double x = lo + (hi - lo) / 2;
    if (beta)
        *beta = x;
    return bh_erlang_engset(sources, lines, x);
}
