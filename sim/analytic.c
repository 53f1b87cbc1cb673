/* analytic.c: the exact formulas on the traffic model's offered load:
 * each number's and bridge's busiest interval (busyhour check, plan's
 * first guess), Erlang B, C and A at every interval (report --analytic)
 * and capacity curves (report). */
#include "sim.h"
#include "traffic.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Offered load on one target -------------------------------------- */

/* One number or bridge over one interval: the traffic model's figures
 * (traffic.h, offered.c) summed over the sources that reach it. */
struct load {
    size_t sources;   /* traffic items that reach it */
    double attempts;  /* first attempts per s: calls and participants */
    double offered;   /* Erlangs on the lines or ports, campaigns included */
    double campaign;  /* of which Erlangs of campaigns through the number */
    double operators; /* Erlangs on operators: calls x (talk + wrap-up) */
    double pat_w;     /* sum of rate (1/s) x mean patience (s), and */
    double pat_rate;  /* of rate, over the calls whose callers give up */
    double patience;  /* s: the callers' exponential patience; INFINITY
                         when none give up or not all exponentially */
};

static void
load_of(const struct bh_scenario *sc, enum bh_target_kind kind, int index,
        double t0, double t1, struct load *l) {
    memset(l, 0, sizeof *l);
    bool any_patience = false, all_exp = true;
    double exp_patience = INFINITY;
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if ((int)s->target_kind != (int)kind || s->target != index)
            continue;
        l->sources++;
        double a = bh_traffic_offered(sc, i, t0, t1);
        l->offered += a;
        if (s->kind == BH_SOURCE_CAMPAIGN) {
            l->campaign += a;
            continue;
        }
        double rate = bh_traffic_rate(sc, i, t0, t1);
        l->attempts += rate;
        if (s->kind != BH_SOURCE_CALLS)
            continue;
        l->operators += rate * bh_traffic_handling(sc, i);
        if (s->has_patience) {
            double m = bh_traffic_dist_mean(&s->patience);
            l->pat_w += rate * m;
            l->pat_rate += rate;
            any_patience = true;
            if (s->patience.kind == BH_DIST_EXPONENTIAL)
                exp_patience = m;
            else
                all_exp = false;
        }
    }
    l->patience = any_patience && all_exp ? exp_patience : INFINITY;
}

/* ---- The loss model of a target's lines or ports ------------------------
 * Erlang B assumes independent Poisson arrivals. Two kinds of traffic are
 * not: meeting participants arrive together (a batch per meeting), which
 * makes the load peaked and Erlang B optimistic; and a finite population
 * slows down as its callers are busy (Engset), which Erlang B overstates.
 * A target's model: Engset when its one source is a finite population of
 * callers; Hayward's approximation B(A/Z, C/Z) when meetings reach it,
 * with the peakedness Z of their batches; else Erlang B. */

/* E[X^2] / E[X] of a count distribution: the peakedness of batches of X
 * arrivals that stay for the same time (variance over mean of the busy
 * servers among infinitely many). Poisson counts with their bounds (and
 * the rounding of the sampler) exactly; the others from their mean and
 * standard deviation. */
static double
batch_z(const struct bh_dist *d) {
    double m = bh_traffic_dist_mean(d), var = 0;
    switch (d->kind) {
    case BH_DIST_POISSON: {
        if (!(d->mean > 0))
            return 1;
        double lo = d->has_min ? d->min : 0, hi = d->has_max ? d->max : 1e9;
        double top = d->mean + 40 * sqrt(d->mean) + 50, p = exp(-d->mean);
        double s1 = 0, s2 = 0, tot = 0;
        if (!(p > 0)) /* too big a mean to sum from 0: near normal */
            return d->mean > 0 ? 1 + d->mean : 1;
        for (double k = 0; k <= top; k++) {
            double x = k < lo ? lo : k > hi ? hi : k;
            x = floor(x + 0.5);
            s1 += p * x;
            s2 += p * x * x;
            tot += p;
            p *= d->mean / (k + 1);
        }
        return s1 > 0 ? s2 / s1 : 1;
    }
    case BH_DIST_EMPIRICAL: {
        double s1 = 0, s2 = 0;
        for (size_t i = 0; d->samples && i < d->nsamples; i++) {
            s1 += d->samples[i];
            s2 += d->samples[i] * d->samples[i];
        }
        return s1 > 0 ? s2 / s1 : 1;
    }
    case BH_DIST_DETERMINISTIC:
        var = 0;
        break;
    case BH_DIST_UNIFORM:
        var = (d->max - d->min) * (d->max - d->min) / 12;
        break;
    case BH_DIST_EXPONENTIAL:
        var = m * m;
        break;
    case BH_DIST_ERLANG:
        var = d->k > 0 ? m * m / d->k : 0;
        break;
    default:
        var = d->sd * d->sd;
        break;
    }
    return m > 0 ? m + var / m : 1;
}

static double
count_vmr(const struct bh_dist *d) {
    double m = bh_traffic_dist_mean(d), z = batch_z(d) - m;
    return z > 0 ? z : 0;
}

enum loss_kind { LOSS_ERLANG_B, LOSS_ENGSET, LOSS_HAYWARD, LOSS_SCHEDULED };

struct loss_model {
    enum loss_kind kind;
    double z;     /* Hayward: peakedness of the whole load */
    long sources; /* Engset: the population */
};

/* ---- Meetings on a schedule --------------------------------------------
 * Rooms that meet at fixed times bring their participants together, at
 * the same moments every day: neither Poisson arrivals nor Poisson
 * batches, and no interval's mean load says how many ports the slot needs.
 * What it needs is its demand at its peak, once its participants have
 * dialled: the participants of its meetings (rooms x participants per
 * meeting), those of earlier slots whose meetings still run then (by the
 * survival of the meeting's duration), and the other traffic's Erlangs
 * then. The slot's participants are the last to come, so they are the
 * ones blocked: its blocking at C ports is E[(D - C)+] / (its
 * participants), with the demand D taken as normal: its mean, and the
 * variance of the participants' counts (each meeting still running with
 * probability p brings p (var + mean^2) - p^2 mean^2 of participants per
 * meeting; its own slot's p = 1) and Z x A for the other traffic. Exact
 * but for the normal approximation when slots do not overlap and nothing
 * else reaches the bridge; where they overlap, the spill-over's skew
 * makes it optimistic (test_analytic.c measures by how much). */

/* The ports demanded at the peak of source si's slot u (s since the
 * horizon start) on a bridge: mean, variance and the slot's own part. */
struct demand {
    double mean, var, now;
};

static void
slot_demand(const struct bh_scenario *sc, int bridge, size_t si, double u,
            struct demand *d) {
    memset(d, 0, sizeof *d);
    const struct bh_sc_meetings *m0 = &sc->sources[si].meetings;
    double j0 = bh_traffic_dist_mean(&m0->join_spread);
    double lo0 = bh_traffic_dist_lower(&m0->join_spread);
    double peak = u + (2 * j0 - lo0 > j0 ? 2 * j0 - lo0 : j0);
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if (s->target_kind != BH_TARGET_BRIDGE || s->target != bridge)
            continue;
        if (s->kind == BH_SOURCE_MEETINGS && s->meetings.schedule.present) {
            const struct bh_sc_meetings *m = &s->meetings;
            double rooms = m->schedule.rooms;
            double mn = bh_traffic_dist_mean(&m->participants);
            double vn = count_vmr(&m->participants) * mn; /* variance */
            /* slots up to u whose meetings may still run: two days back
             * at most (every meeting that long is counted as ended) */
            for (double v =
                     bh_schedule_next(&m->schedule, sc->start, u - 2 * 86400.0);
                 v <= u + 1e-9;
                 v = bh_schedule_next(&m->schedule, sc->start, v)) {
                double still =
                    i == si && fabs(v - u) < 1e-9
                        ? 1
                        : bh_traffic_dist_survival(&m->duration, peak - v);
                /* each meeting still running (p = still) brings its
                 * participants: a Bernoulli times a count */
                d->mean += rooms * still * mn;
                d->var +=
                    rooms * (still * (vn + mn * mn) - still * still * mn * mn);
                if (i == si && fabs(v - u) < 1e-9)
                    d->now = rooms * mn;
            }
            continue;
        }
        /* other traffic: its Erlangs around the peak */
        double a = bh_traffic_offered(sc, i, peak - 30, peak + 30);
        double z = s->kind == BH_SOURCE_MEETINGS
                       ? batch_z(&s->meetings.participants)
                       : 1;
        d->mean += a;
        d->var += a * z;
    }
}

/* Share of the slot's participants blocked at c ports. */
static double
slot_blocking(const struct demand *d, double c) {
    if (!(d->now > 0))
        return 0;
    double over; /* E[(D - c)+] */
    if (d->var <= 0) {
        over = d->mean > c ? d->mean - c : 0;
    } else {
        double sd = sqrt(d->var), x = (c - d->mean) / sd;
        over = sd * gsl_ran_ugaussian_pdf(x) -
               (c - d->mean) * gsl_cdf_ugaussian_Q(x);
        if (over < 0)
            over = 0;
    }
    double b = over / d->now;
    return b < 1 ? b : 1;
}

/* The scheduled slot of the bridge with the most ports demanded, among
 * those in [from, horizon) (two days of them at most: schedules repeat
 * daily). Returns 0 and fills *d and *at, or -1 when no slot. */
static int
worst_slot(const struct bh_scenario *sc, int bridge, double from,
           struct demand *d, double *at) {
    int found = -1;
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if (s->target_kind != BH_TARGET_BRIDGE || s->target != bridge ||
            s->kind != BH_SOURCE_MEETINGS || !s->meetings.schedule.present)
            continue;
        double end =
            from + 2 * 86400.0 < sc->horizon ? from + 2 * 86400.0 : sc->horizon;
        for (double u = bh_schedule_next(&s->meetings.schedule, sc->start,
                                         from - 1e-9);
             u < end;
             u = bh_schedule_next(&s->meetings.schedule, sc->start, u)) {
            struct demand x;
            slot_demand(sc, bridge, i, u, &x);
            if (found < 0 || x.mean > d->mean + 1e-9) {
                *d = x;
                *at = u;
                found = 0;
            }
        }
    }
    return found;
}

static void
loss_model(const struct bh_scenario *sc, enum bh_target_kind kind, int index,
           struct loss_model *m) {
    memset(m, 0, sizeof *m);
    m->z = 1;
    double load = 0, zload = 0;
    size_t n = 0;
    const struct bh_sc_source *one = NULL;
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if ((int)s->target_kind != (int)kind || s->target != index)
            continue;
        n++;
        one = s;
        if (s->kind == BH_SOURCE_MEETINGS && s->meetings.schedule.present) {
            m->kind = LOSS_SCHEDULED; /* by slots, not by load */
            continue;
        }
        double a = bh_traffic_offered(sc, i, 0, sc->horizon);
        double z = s->kind == BH_SOURCE_MEETINGS
                       ? batch_z(&s->meetings.participants)
                       : 1;
        load += a;
        zload += a * z;
    }
    if (m->kind == LOSS_SCHEDULED) {
        m->z = load > 0 ? zload / load : 1; /* of the other traffic */
    } else if (n == 1 && one->sources > 0 && one->kind == BH_SOURCE_CALLS) {
        m->kind = LOSS_ENGSET;
        m->sources = one->sources;
    } else if (load > 0 && zload / load > 1 + 1e-9) {
        /* independent streams: the peakedness of the sum is the
         * load-weighted mean of theirs */
        m->kind = LOSS_HAYWARD;
        m->z = zload / load;
    }
}

/* Blocking of `offered` Erlangs on n lines or ports under model m. For
 * Engset, offered is the population's intended traffic K b / (1 + b)
 * (offered.c), b the traffic of one idle source. */
static double
loss_blocking(const struct loss_model *m, double offered, long n) {
    switch (m->kind) {
    case LOSS_ENGSET: {
        double k = (double)m->sources;
        if (!(offered < k))
            return NAN;
        return bh_erlang_engset(m->sources, n, offered / (k - offered));
    }
    case LOSS_HAYWARD:
    case LOSS_SCHEDULED: /* outside the slots: the other traffic's own */
        return m->z > 1 + 1e-9 ? bh_erlang_hayward(offered, (double)n, m->z)
                               : bh_erlang_b(offered, n);
    default:
        return bh_erlang_b(offered, n);
    }
}

static const char *
loss_name(const struct loss_model *m) {
    return m->kind == LOSS_ENGSET      ? "Engset"
           : m->kind == LOSS_HAYWARD   ? "Hayward"
           : m->kind == LOSS_SCHEDULED ? "scheduled batch"
                                       : "Erlang B";
}

int
bh_sim_loss_lines(const struct bh_sim_busiest *bz, double target, long *n) {
    if (!(target > 0 && target <= 1))
        return BH_EINVAL;
    if (bz->peakedness <= 1 + 1e-9 && bz->engset_sources <= 0 &&
        !(bz->slot_now > 0))
        return bh_erlang_b_lines(bz->offered, target, n, NULL);
    struct loss_model m = {bz->engset_sources > 0 ? LOSS_ENGSET : LOSS_HAYWARD,
                           bz->peakedness, bz->engset_sources};
    struct demand slot = {bz->offered, bz->slot_var, bz->slot_now};
#define BLOCKING(c)                                                            \
    (slot.now > 0 ? slot_blocking(&slot, (double)(c))                          \
                  : loss_blocking(&m, bz->offered, (c)))
    /* blocking falls as lines grow: gallop, then bisect */
    long lo = 0, hi = 1;
    while (!(BLOCKING(hi) <= target)) {
        if (hi >= BH_ERLANG_MAX_SERVERS)
            return BH_ERANGE;
        lo = hi;
        hi = hi * 2 > BH_ERLANG_MAX_SERVERS ? BH_ERLANG_MAX_SERVERS : hi * 2;
    }
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        if (BLOCKING(mid) <= target)
            hi = mid;
        else
            lo = mid;
    }
#undef BLOCKING
    *n = hi;
    return 0;
}

/* Reporting intervals of sc and their length (s): the horizon's when the
 * scenario has no interval. */
static size_t
intervals(const struct bh_scenario *sc, double *len) {
    *len = sc->interval > 0 ? sc->interval : sc->horizon;
    return *len > 0 ? (size_t)ceil(sc->horizon / *len - 1e-9) : 0;
}

/* The capacity of a target: lines or ports, and operators (0: no queue).
 * Returns 0, or BH_EINVAL when it does not exist. */
static int
capacity(const struct bh_scenario *sc, enum bh_target_kind kind, int index,
         long *lines, long *operators) {
    *lines = *operators = 0;
    if (kind == BH_TARGET_NUMBER && index >= 0 &&
        (size_t)index < sc->sw.nnumbers) {
        const struct bh_sc_number *n = &sc->sw.numbers[index];
        *lines = n->lines;
        *operators = n->queue.present ? n->queue.operators : 0;
        return 0;
    }
    if (kind == BH_TARGET_BRIDGE && index >= 0 &&
        (size_t)index < sc->sw.nbridges) {
        *lines = sc->sw.bridges[index].ports;
        return 0;
    }
    return BH_EINVAL;
}

/* ---- The busiest interval ------------------------------------------- */

int
bh_sim_busiest(const struct bh_scenario *sc, enum bh_target_kind kind,
               int index, double from, struct bh_sim_busiest *out) {
    memset(out, 0, sizeof *out);
    long lines, operators;
    if (!sc || capacity(sc, kind, index, &lines, &operators))
        return BH_EINVAL;
    double len;
    size_t nint = intervals(sc, &len);
    if (nint > BH_SIM_MAX_INTERVALS)
        nint = BH_SIM_MAX_INTERVALS;
    if (nint == 0)
        nint = 1;
    double hold_w = 0, rate_w = 0, pat_w = 0, pat_rate = 0;
    out->offered = -1; /* the first interval scanned is the first best */
    for (size_t k = 0; k < nint; k++) {
        double t0 = (double)k * len, t1 = t0 + len;
        if (t1 > sc->horizon)
            t1 = sc->horizon;
        if (t1 <= from)
            continue;
        struct load l;
        load_of(sc, kind, index, t0, t1, &l);
        out->sources = l.sources;
        if (l.offered > out->offered) {
            out->offered = l.offered;
            out->op_offered = l.operators;
            out->start = t0;
        }
        if (l.operators > out->op_peak)
            out->op_peak = l.operators;
        hold_w += l.operators;
        rate_w += l.attempts;
        pat_w += l.pat_w;
        pat_rate += l.pat_rate;
    }
    if (out->offered < 0)
        out->offered = 0;
    out->aht = operators && rate_w > 0 ? hold_w / rate_w : 0;
    out->patience = pat_rate > 0 ? pat_w / pat_rate : INFINITY;
    struct loss_model m;
    loss_model(sc, kind, index, &m);
    out->peakedness = m.z;
    out->engset_sources = m.kind == LOSS_ENGSET ? m.sources : 0;
    out->model = loss_name(&m);
    out->blocking = loss_blocking(&m, out->offered, lines);
    struct demand d = {0}; /* set by worst_slot; zeroed for -O3's */
    double at = 0;         /* -Wmaybe-uninitialized (Release build) */
    if (m.kind == LOSS_SCHEDULED && kind == BH_TARGET_BRIDGE &&
        worst_slot(sc, index, from, &d, &at) == 0 && d.mean >= out->offered) {
        /* the slot that demands the most ports, at its peak */
        out->start = at;
        out->offered = d.mean;
        out->slot_var = d.var;
        out->slot_now = d.now;
        out->peakedness = d.mean > 0 ? d.var / d.mean : 1;
        out->blocking = slot_blocking(&d, (double)lines);
    }
    out->p_wait = operators ? bh_erlang_c(out->op_offered, operators) : 0;
    return 0;
}

/* ---- Figures at each interval ----------------------------------------
 * What they model (reports/README.md): first attempts only, each interval
 * stationary at its mean rate; a number's operators as Erlang C, or
 * Erlang A when callers have exponential patience; its lines as Erlang B
 * on the load the lines carry (menu, wait and talk, plus a campaign's
 * ringing and talk through it); a bridge's ports as Erlang B on the
 * participants' port time. No costs. */

/* One interval of one number or bridge. */
struct an_iv {
    double calls;     /* first attempts in the interval */
    double offered;   /* Erlangs offered to the lines or ports */
    double line_load; /* Erlangs carried on lines or ports if unblocked */
    double blocking, abandon, asa, occupancy, busy;
    double sl[BH_RES_MAX_SL];
};

/* Service-level times for a target: those its thresholds name, else
 * BH_SIM_SL_TIME. */
static size_t
sl_times(const struct bh_scenario *sc, const char *name, double *t,
         size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < sc->nthresholds && n < max; i++)
        if (sc->thresholds[i].metric == BH_METRIC_SERVICE_LEVEL &&
            strcmp(sc->thresholds[i].target, name) == 0) {
            bool seen = false;
            for (size_t k = 0; k < n; k++)
                seen |= fabs(t[k] - sc->thresholds[i].arg) < 1e-9;
            if (!seen)
                t[n++] = sc->thresholds[i].arg;
        }
    if (n == 0)
        t[n++] = BH_SIM_SL_TIME;
    return n;
}

/* The M/M/n/K+M birth-death chain: arrivals lam (1/s), service mu (1/s)
 * per busy operator, n operators, K lines (calls in the system, waiting or
 * talking), abandonment theta (1/s) per waiting caller (0: nobody gives
 * up). Exact for exponential times; stores the blocking (PASTA: the share
 * of time all K lines are busy), the share of arrivals that abandon, the
 * operators' busy share and the mean calls in the system. */
static void
mmnk(double lam, double mu, long n, long k, double theta, double *block,
     double *p_ab, double *occ, double *in_system) {
    if (n > k)
        n = k;
    double p = 1, sum = 1, busy = 0, queue = 0, l = 0;
    for (long j = 1; j <= k; j++) {
        double out = (j < n ? j : n) * mu + (j > n ? (j - n) * theta : 0);
        p = out > 0 ? p * lam / out : 0;
        sum += p;
        busy += p * (double)(j < n ? j : n);
        queue += p * (double)(j > n ? j - n : 0);
        l += p * (double)j;
        if (sum > 1e250) { /* rescale: only ratios matter */
            p /= sum;
            busy /= sum;
            queue /= sum;
            l /= sum;
            sum = 1;
        }
    }
    *block = p / sum;
    *occ = n > 0 ? busy / sum / (double)n : 0;
    *p_ab = lam > 0 ? queue / sum * theta / lam : 0;
    *in_system = l / sum;
}

/* Erlang C (or A, for finite patience) on the operators: the service
 * level at each of the nsl times into sl[], and the mean wait (s). */
static double
operator_waits(double load, long n, double aht, double patience, size_t nsl,
               const double *slt, double *sl) {
    double asa = 0;
    for (size_t k = 0; k < nsl; k++) {
        sl[k] = NAN;
        if (isinf(patience)) {
            struct bh_erlang_c c;
            if (bh_erlang_c_eval(load, n, aht, slt[k], &c) == 0) {
                sl[k] = c.service_level;
                asa = c.asa;
            }
        } else {
            struct bh_erlang_a e;
            if (bh_erlang_a_eval(load, n, aht, patience, slt[k], &e) == 0) {
                sl[k] = e.service_level;
                asa = e.asa;
            }
        }
    }
    if (nsl == 0) {
        struct bh_erlang_c c;
        if (isinf(patience) && bh_erlang_c_eval(load, n, aht, 0, &c) == 0)
            asa = c.asa;
    }
    return asa;
}

/* A number with operators and callers: lines and operators together, as
 * the M/M/n/K+M chain on the lines the menu and campaigns leave free. */
static void
number_queue(const struct bh_sc_number *num, const struct load *l, size_t nsl,
             const double *slt, struct an_iv *o) {
    double lam = l->attempts;
    long n = num->queue.operators;
    double aht = l->operators / lam; /* s: talk plus wrap-up */
    double menu = num->ivr.present ? num->ivr.menu_time : 0;
    double asa =
        operator_waits(l->operators, n, aht, l->patience, nsl, slt, o->sl);
    if (num->ivr.noptions) {
        /* a group per option: each its share of the load on its own
         * operators; the number's figures are their share-weighted sums
         * (the lines' chain below still pools them: a lower bound of the
         * lines' blocking) */
        double gsl[BH_RES_MAX_SL];
        asa = 0;
        for (size_t j = 0; j < nsl; j++)
            o->sl[j] = 0;
        for (size_t g = 0; g < num->ivr.noptions; g++) {
            const struct bh_sc_ivr_option *op = &num->ivr.options[g];
            double ga = operator_waits(l->operators * op->share, op->operators,
                                       aht, l->patience, nsl, slt, gsl);
            asa += op->share * ga;
            for (size_t j = 0; j < nsl; j++)
                o->sl[j] += op->share * gsl[j];
        }
    }
    double k_free = num->lines - lam * menu - l->campaign;
    long k = k_free > (double)n ? (long)floor(k_free) : n;
    if (num->queue.max_length > 0 && k > n + num->queue.max_length)
        k = n + num->queue.max_length; /* the queue's own limit */
    double block, ab, occ, in_system;
    mmnk(lam, 1 / aht, n, k, isinf(l->patience) ? 0 : 1 / l->patience, &block,
         &ab, &occ, &in_system);
    o->line_load = l->offered + lam * (isfinite(asa) ? asa : 0);
    o->blocking = block;
    o->abandon = ab;
    for (size_t j = 0; j < nsl; j++)
        o->sl[j] *= 1 - o->blocking;
    o->asa = asa;
    o->occupancy = occ;
    o->busy = in_system + lam * (1 - block) * menu + l->campaign;
}

static void
number_iv(const struct bh_scenario *sc, size_t ni, double a, double b,
          size_t nsl, const double *slt, struct an_iv *o) {
    const struct bh_sc_number *num = &sc->sw.numbers[ni];
    struct load l;
    load_of(sc, BH_TARGET_NUMBER, (int)ni, a, b, &l);
    memset(o, 0, sizeof *o);
    o->calls = l.attempts * (b - a);
    o->offered = l.offered;
    if (num->queue.present && num->queue.operators > 0 && l.attempts > 0) {
        number_queue(num, &l, nsl, slt, o);
    } else {
        /* without a queue, callers hear the announcement on a line */
        o->line_load =
            l.offered +
            (num->queue.present ? 0 : l.attempts * num->announcement);
        struct loss_model m;
        loss_model(sc, BH_TARGET_NUMBER, (int)ni, &m);
        o->blocking = loss_blocking(&m, o->line_load, num->lines);
        for (size_t k = 0; k < nsl; k++)
            o->sl[k] = 1 - o->blocking;
        o->occupancy = num->lines > 0
                           ? o->line_load * (1 - o->blocking) / num->lines
                           : NAN;
        o->busy = o->line_load * (1 - o->blocking);
    }
    if (l.attempts == 0 && l.campaign == 0) {
        o->blocking = o->abandon = o->asa = 0;
        for (size_t k = 0; k < nsl; k++)
            o->sl[k] = NAN;
    }
}

/* Blocking of the calls dialling a bridge in [a, b) when scheduled
 * meetings reach it: the slots whose participants dial then (at their
 * mean join time, as bh_traffic_rate counts them) by their slot's
 * blocking, the rest of the calls by `other`. */
static double
scheduled_iv(const struct bh_scenario *sc, int bridge, double a, double b,
             double calls, double other) {
    const struct bh_sc_bridge *br = &sc->sw.bridges[bridge];
    double in_slots = 0, blocked = 0;
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if (s->target_kind != BH_TARGET_BRIDGE || s->target != bridge ||
            s->kind != BH_SOURCE_MEETINGS || !s->meetings.schedule.present)
            continue;
        double j = bh_traffic_dist_mean(&s->meetings.join_spread);
        for (double u = bh_schedule_next(&s->meetings.schedule, sc->start,
                                         a - j - 1e-9);
             u + j < b;
             u = bh_schedule_next(&s->meetings.schedule, sc->start, u)) {
            struct demand d;
            slot_demand(sc, bridge, i, u, &d);
            in_slots += d.now;
            blocked += d.now * slot_blocking(&d, (double)br->ports);
        }
    }
    double rest = calls > in_slots ? calls - in_slots : 0;
    return calls > 0 ? (blocked + rest * other) / calls : 0;
}

static void
bridge_iv(const struct bh_scenario *sc, size_t bi, double a, double b,
          struct an_iv *o) {
    const struct bh_sc_bridge *br = &sc->sw.bridges[bi];
    struct load l;
    load_of(sc, BH_TARGET_BRIDGE, (int)bi, a, b, &l);
    memset(o, 0, sizeof *o);
    o->calls = l.attempts * (b - a);
    o->offered = o->line_load = l.offered;
    struct loss_model m;
    loss_model(sc, BH_TARGET_BRIDGE, (int)bi, &m);
    o->blocking = o->calls > 0 ? loss_blocking(&m, o->line_load, br->ports) : 0;
    if (m.kind == LOSS_SCHEDULED && o->calls > 0)
        o->blocking = scheduled_iv(sc, (int)bi, a, b, o->calls, o->blocking);
    o->busy = o->line_load * (1 - o->blocking);
    o->occupancy = br->ports > 0 ? o->busy / br->ports : NAN;
}

/* One target's sums over the intervals after the warm-up. */
struct an_sum {
    double calls, blocked, aband, waitsum, answered;
    double load_s, busy_s, occ_s, span; /* Erlang s, s */
    double sl[BH_RES_MAX_SL];
};

static void
sum_add(struct an_sum *s, const struct an_iv *o, double a, double b,
        double warmup, size_t nsl) {
    /* the part of the interval after the warm-up */
    double w = b > warmup ? (b - (a > warmup ? a : warmup)) / (b - a) : 0;
    if (w <= 0)
        return;
    double c = o->calls * w;
    s->calls += c;
    s->blocked += c * o->blocking;
    s->aband += c * o->abandon;
    double ans = c * (1 - o->blocking - o->abandon);
    s->answered += ans;
    if (isfinite(o->asa))
        s->waitsum += ans * o->asa;
    for (size_t j = 0; j < nsl; j++)
        if (isfinite(o->sl[j]))
            s->sl[j] += c * o->sl[j];
    s->load_s += o->offered * (b - a) * w;
    s->busy_s += o->busy * (b - a) * w;
    if (isfinite(o->occupancy))
        s->occ_s += o->occupancy * (b - a) * w;
    s->span += (b - a) * w;
}

static void
interval_put(struct bh_interval_result *iv, double a, const struct an_iv *o,
             bool queue, size_t nsl, const double *slt) {
    iv->start = a;
    iv->offered_erlangs = bh_estimate_exact(o->offered);
    iv->offered = bh_estimate_exact(o->calls);
    iv->blocking = bh_estimate_exact(o->calls > 0 ? o->blocking : NAN);
    iv->abandonment = bh_estimate_exact(o->calls > 0 ? o->abandon : NAN);
    iv->wait_mean = bh_estimate_exact(queue && o->calls > 0 ? o->asa : NAN);
    iv->busy_mean = bh_estimate_exact(o->busy);
    iv->occupancy = bh_estimate_exact(o->occupancy);
    iv->nsl = nsl;
    for (size_t j = 0; j < nsl; j++) {
        iv->sl[j].t = slt[j];
        iv->sl[j].value = bh_estimate_exact(o->sl[j]);
    }
}

static void
target_put(struct bh_target_result *t, const struct an_sum *s, size_t nsl,
           const double *slt) {
    double calls = s->calls, span = s->span;
    t->offered_erlangs = bh_estimate_exact(span > 0 ? s->load_s / span : 0);
    t->offered = bh_estimate_exact(calls);
    t->answered = bh_estimate_exact(s->answered);
    t->blocked = bh_estimate_exact(s->blocked);
    t->abandoned = bh_estimate_exact(s->aband);
    t->overflow = bh_estimate_exact(NAN);
    t->retried = bh_estimate_exact(0);
    t->blocking = bh_estimate_exact(calls > 0 ? s->blocked / calls : 0);
    t->abandonment = bh_estimate_exact(calls > 0 ? s->aband / calls : 0);
    t->wait_mean = bh_estimate_exact(
        t->operators ? (s->answered > 0 ? s->waitsum / s->answered : 0) : 0);
    t->wait_p50 = t->wait_p90 = t->wait_p99 = bh_estimate_exact(NAN);
    if (!t->operators)
        t->wait_p50 = t->wait_p90 = t->wait_p99 = bh_estimate_exact(0);
    t->nsl = nsl;
    for (size_t j = 0; j < nsl; j++) {
        t->sl[j].t = slt[j];
        t->sl[j].value = bh_estimate_exact(calls > 0 ? s->sl[j] / calls : NAN);
    }
    t->occupancy = bh_estimate_exact(span > 0 ? s->occ_s / span : 0);
    t->busy_mean = bh_estimate_exact(span > 0 ? s->busy_s / span : 0);
    t->peak_busy = bh_estimate_exact(NAN);
    t->incomplete_meetings = bh_estimate_exact(NAN);
    t->meetings = bh_estimate_exact(NAN);
}

/* Target ti of r: numbers first, then bridges; its service-level times. */
static void
target_head(const struct bh_scenario *sc, size_t ti, struct bh_target_result *t,
            double *slt, size_t *nsl) {
    *nsl = 0;
    if (ti >= sc->sw.nnumbers) {
        const struct bh_sc_bridge *b = &sc->sw.bridges[ti - sc->sw.nnumbers];
        snprintf(t->name, sizeof t->name, "%s", b->name);
        snprintf(t->kind, sizeof t->kind, "bridge");
        t->lines = b->ports;
        return;
    }
    const struct bh_sc_number *n = &sc->sw.numbers[ti];
    snprintf(t->name, sizeof t->name, "%s", n->name);
    snprintf(t->kind, sizeof t->kind, "number");
    t->lines = n->lines;
    t->operators = n->queue.present ? n->queue.operators : 0;
    if (t->operators)
        *nsl = sl_times(sc, n->name, slt, BH_RES_MAX_SL);
}

int
bh_sim_analytic(const struct bh_scenario *sc, struct bh_results *r) {
    size_t nt = sc->sw.nnumbers + sc->sw.nbridges;
    double len;
    size_t ni = intervals(sc, &len);
    if (ni > BH_SIM_MAX_INTERVALS)
        return BH_ERANGE;
    int rc = bh_results_init(r, nt, ni);
    if (rc)
        return rc;
    r->source = BH_SOURCE_ANALYTIC;
    snprintf(r->scenario, sizeof r->scenario, "%s", sc->name);
    snprintf(r->scenario_hash, sizeof r->scenario_hash, "%s", sc->digest);
    r->seed = sc->seed;
    r->replications = 1;
    r->horizon = sc->horizon;
    r->warmup = sc->sim.warmup;
    r->interval = len;
    for (size_t ti = 0; ti < nt; ti++) {
        struct bh_target_result *t = &r->targets[ti];
        double slt[BH_RES_MAX_SL];
        size_t nsl;
        target_head(sc, ti, t, slt, &nsl);
        struct an_sum s;
        memset(&s, 0, sizeof s);
        for (size_t k = 0; k < ni; k++) {
            double a = (double)k * len, b = a + len;
            if (b > sc->horizon)
                b = sc->horizon;
            struct an_iv o;
            if (ti >= sc->sw.nnumbers)
                bridge_iv(sc, ti - sc->sw.nnumbers, a, b, &o);
            else
                number_iv(sc, ti, a, b, nsl, slt, &o);
            interval_put(bh_results_interval(r, ti, k), a, &o, t->operators > 0,
                         nsl, slt);
            sum_add(&s, &o, a, b, r->warmup, nsl);
        }
        target_put(t, &s, nsl, slt);
    }
    return 0;
}

/* ---- Capacity curves ------------------------------------------------- */

/* Offered Erlangs in the busiest interval (the whole horizon's mean when
 * there are no intervals). */
static double
peak_load(const struct bh_results *r, size_t ti) {
    double a = NAN;
    for (size_t i = 0; r->intervals && i < r->nintervals; i++) {
        double v = r->intervals[ti * r->nintervals + i].offered_erlangs.mean;
        if (isfinite(v) && (!isfinite(a) || v > a))
            a = v;
    }
    if (!isfinite(a))
        a = r->targets[ti].offered_erlangs.mean;
    return a;
}

/* The first calls source of the scenario that targets a number or bridge
 * named `name`, or NULL. */
static const struct bh_sc_source *
source_for(const struct bh_scenario *sc, const char *name) {
    if (!sc)
        return NULL;
    int num = bh_scenario_find_number(sc, name);
    int br = bh_scenario_find_bridge(sc, name);
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if (s->kind != BH_SOURCE_CALLS)
            continue;
        if ((s->target_kind == BH_TARGET_NUMBER && s->target == num) ||
            (s->target_kind == BH_TARGET_BRIDGE && s->target == br))
            return s;
    }
    return NULL;
}

/* Limit of the first threshold on target.metric in the results (and its
 * service-level time), or NaN. */
static double
limit_of(const struct bh_results *r, const char *target, const char *metric,
         double *sl_time) {
    size_t tl = strlen(target), ml = strlen(metric);
    for (size_t i = 0; i < r->nthresholds; i++) {
        const char *e = r->thresholds[i].expr;
        while (*e == ' ')
            e++;
        if (strncmp(e, target, tl) != 0 || e[tl] != '.' ||
            strncmp(e + tl + 1, metric, ml) != 0)
            continue;
        const char *p = e + tl + 1 + ml;
        if (sl_time && *p == '(') {
            char buf[32];
            size_t k = 0;
            for (p++; *p && *p != ')' && k + 1 < sizeof buf; p++)
                buf[k++] = *p;
            buf[k] = '\0';
            double t;
            if (bh_parse_duration(buf, &t) != 0)
                continue;
            *sl_time = t;
        }
        return r->thresholds[i].limit;
    }
    return NAN;
}

static const struct bh_plan_row *
plan_for(const struct bh_results *r, const char *target, const char *res) {
    for (size_t i = 0; r->plan && i < r->nplan; i++)
        if (strcmp(r->plan[i].target, target) == 0 &&
            strcmp(r->plan[i].resource, res) == 0)
            return &r->plan[i];
    return NULL;
}

/* Total lines and ports the results show (for the rental per line). */
static long
all_lines(const struct bh_results *r) {
    long n = 0;
    for (size_t i = 0; i < r->ntargets; i++)
        if (strcmp(r->targets[i].kind, "campaign") != 0)
            n += r->targets[i].lines;
    return n;
}

/* What one curve is drawn from, besides its points. */
struct curve_in {
    double a;          /* Erlangs: the busiest interval's load */
    bool queue;        /* operators against service level */
    bool bridge;       /* ports */
    double aht;        /* s: mean handling (queue) */
    double patience;   /* s: exponential patience, INFINITY: Erlang C */
    double month_now;  /* the results' monthly cost, NaN if none */
    double line_month; /* the rental of one line a month, NaN if none */
    const struct bh_sc_tariffs *tf; /* the scenario's, or NULL */
    int simulated; /* the capacity the results were simulated at */
    const struct bh_plan_row *pr; /* busyhour plan's row, or NULL */
    struct loss_model lm;         /* lines and ports: the loss model */
    bool lm_known;                /* false: no scenario to tell it (Erlang B is
                                     then shown but no capacity recommended for a
                                     bridge, where it is known optimistic) */
    bool op_load;                 /* a and aht are the operators' (talk and
                                     wrap-up), from the scenario */
};

/* The curve's target, resource, limit and service-level time, and the
 * handling time and patience of its callers: from the scenario's first
 * calls source when given, else from the results (load = rate x holding
 * time). Returns false when a queue's handling time is unknown. */
static bool
curve_head(const struct bh_results *r, size_t ti, const struct bh_scenario *sc,
           struct bh_capacity_curve *c, struct curve_in *in) {
    const struct bh_target_result *t = &r->targets[ti];
    snprintf(c->target, sizeof c->target, "%s", t->name);
    c->limit = NAN;
    in->queue = t->operators > 0;
    in->bridge = strcmp(t->kind, "bridge") == 0;
    snprintf(c->resource, sizeof c->resource, "%s",
             in->queue    ? "operators"
             : in->bridge ? "ports"
                          : "lines");
    c->now = in->queue ? t->operators : t->lines;
    in->aht = NAN;
    in->patience = INFINITY;
    int num = sc ? bh_scenario_find_number(sc, t->name) : -1;
    int br = sc ? bh_scenario_find_bridge(sc, t->name) : -1;
    if (!in->queue) {
        c->limit = limit_of(r, t->name, "blocking", NULL);
        if (in->bridge ? br >= 0 : num >= 0) {
            loss_model(sc, in->bridge ? BH_TARGET_BRIDGE : BH_TARGET_NUMBER,
                       in->bridge ? br : num, &in->lm);
            in->lm_known = true;
        }
        return true;
    }
    double slt = NAN;
    c->limit = limit_of(r, t->name, "service_level", &slt);
    c->sl_time = isfinite(slt) ? slt : t->nsl ? t->sl[0].t : BH_SIM_SL_TIME;
    const struct bh_sc_source *src = source_for(sc, t->name);
    struct bh_sim_busiest bz;
    if (src && num >= 0 &&
        bh_sim_busiest(sc, BH_TARGET_NUMBER, num, r->warmup, &bz) == 0 &&
        bz.op_peak > 0 && bz.aht > 0) {
        /* the operators' own load and handling time (talk and wrap-up),
         * as busyhour plan's analytic figure takes them */
        in->a = bz.op_peak;
        in->aht = bz.aht;
        in->op_load = true;
        if (src->has_patience && src->patience.kind == BH_DIST_EXPONENTIAL)
            in->patience = bh_traffic_dist_mean(&src->patience);
    } else if (src) {
        in->aht = bh_traffic_dist_mean(&src->holding);
        if (src->has_patience && src->patience.kind == BH_DIST_EXPONENTIAL)
            in->patience = bh_traffic_dist_mean(&src->patience);
    } else {
        double span = r->horizon - r->warmup;
        if (t->offered.mean > 0 && span > 0)
            in->aht = t->offered_erlangs.mean * span / t->offered.mean;
    }
    return isfinite(in->aht) && in->aht > 0;
}

/* The results' monthly cost, the rental of one line a month, and the
 * capacity the results were simulated at: busyhour plan simulates at the
 * recommended capacity, so today's is then the plan row's. */
static void
curve_costs(const struct bh_results *r, const struct bh_scenario *sc,
            struct bh_capacity_curve *c, struct curve_in *in) {
    in->month_now = r->costs.present ? r->costs.per_month.mean : NAN;
    in->line_month = NAN;
    in->tf = sc && sc->tariffs.present ? &sc->tariffs : NULL;
    if (sc && sc->tariffs.present)
        in->line_month = (double)sc->tariffs.per_line_month / BH_MONEY_UNIT;
    else if (r->costs.present && r->horizon > 0 && all_lines(r) > 0)
        in->line_month = r->costs.line_rental.mean * BH_RATING_MONTH /
                         r->horizon / (double)all_lines(r);
    in->pr = plan_for(r, c->target, c->resource);
    in->simulated = c->now;
    if (in->pr && in->pr->now > 0)
        c->now = in->pr->now;
}

/* The share answered within t (s) with n operators: Erlang C, or A with
 * exponential patience; NaN when the formula gives up. */
static double
curve_sl(const struct curve_in *in, int n, double t) {
    if (isinf(in->patience)) {
        struct bh_erlang_c ec;
        if (bh_erlang_c_eval(in->a, n, in->aht, t, &ec) == 0)
            return ec.service_level;
    } else {
        struct bh_erlang_a ea;
        if (bh_erlang_a_eval(in->a, n, in->aht, in->patience, t, &ea) == 0)
            return ea.service_level;
    }
    return NAN;
}

/* The points, from about half the load to well past today's and the
 * recommended capacity; c->recommended from the plan, else the fewest
 * that meet the limit (to the step). Returns that fewest, or 0. */
static int
curve_points(struct bh_capacity_curve *c, const struct curve_in *in,
             struct bh_capacity_point *pts) {
    int lo = (int)floor(in->a * 0.6), hi = (int)ceil(in->a * 1.6) + 4;
    if (lo < 1)
        lo = 1;
    if (c->now > 0 && c->now + 3 > hi)
        hi = c->now + 3;
    if (c->now > 0 && c->now - 3 < lo)
        lo = c->now - 3 > 1 ? c->now - 3 : 1;
    if (in->pr && in->pr->recommended + 3 > hi)
        hi = in->pr->recommended + 3;
    int step = (hi - lo) / BH_SIM_CURVE_POINTS + 1, found = 0;
    for (int n = lo; n <= hi && c->n < BH_SIM_CURVE_POINTS; n += step) {
        struct bh_capacity_point *p = &pts[c->n++];
        p->n = n;
        p->blocking = p->service_level = p->cost_month = NAN;
        if (in->queue) {
            p->service_level = curve_sl(in, n, c->sl_time);
            /* the operators' pay as the rater prices it, n against the
             * operators the results were simulated with */
            if (isfinite(in->month_now) && in->tf &&
                in->tf->operator_per_hour > 0 && in->simulated > 0)
                p->cost_month =
                    in->month_now +
                    (double)(bh_rating_operators(in->tf, n, BH_RATING_MONTH) -
                             bh_rating_operators(in->tf, in->simulated,
                                                 BH_RATING_MONTH)) /
                        BH_MONEY_UNIT;
        } else {
            p->blocking = in->lm_known ? loss_blocking(&in->lm, in->a, n)
                                       : bh_erlang_b(in->a, n);
            if (isfinite(in->month_now) && isfinite(in->line_month) &&
                in->simulated > 0)
                p->cost_month =
                    in->month_now + (n - in->simulated) * in->line_month;
        }
        if (!found && isfinite(c->limit) &&
            (in->queue ? p->service_level >= c->limit
                       : p->blocking <= c->limit))
            found = n;
    }
    /* never a recommendation from a model known to be wrong: Erlang B on
     * a bridge whose meetings the scenario does not describe */
    if (!in->queue && in->bridge && !in->lm_known)
        found = 0;
    if (in->pr)
        c->recommended = in->pr->recommended;
    else if (found)
        c->recommended = found;
    return found;
}

static void
curve_note(struct bh_capacity_curve *c, const struct curve_in *in, int found) {
    char dur[32];
    bh_format_duration(c->sl_time, dur, sizeof dur);
    bool exp = isfinite(in->patience);
    char model[160];
    if (in->lm_known && in->lm.kind == LOSS_HAYWARD)
        snprintf(model, sizeof model,
                 "Hayward's approximation B(A/Z, C/Z), Z = %.2f from the "
                 "participants per meeting (they join together)",
                 in->lm.z);
    else if (in->lm_known && in->lm.kind == LOSS_ENGSET)
        snprintf(model, sizeof model, "Engset, %ld sources", in->lm.sources);
    else if (in->bridge && !in->lm_known)
        snprintf(model, sizeof model,
                 "Erlang B (optimistic for meetings: no recommendation "
                 "without the scenario)");
    else
        snprintf(model, sizeof model, "Erlang B");
    if (in->queue)
        snprintf(c->note, sizeof c->note,
                 "Erlang %s at the busiest interval's %s load, %.1f "
                 "Erlangs, mean handling %.0f s%s%s; share answered within "
                 "%s. Cost: %s. Recommended: %s.",
                 exp ? "A" : "C", in->op_load ? "operators'" : "line", in->a,
                 in->aht, in->op_load ? " (talk and wrap-up)" : "",
                 exp ? " and exponential patience" : "", dur,
                 in->tf && in->tf->operator_per_hour > 0
                     ? "the simulated monthly cost, plus the pay of each "
                       "operator added (tariffs.operators), less each "
                       "removed"
                     : "none (the tariffs do not price operators)",
                 in->pr  ? "busyhour plan's simulated search"
                 : found ? "fewest operators meeting the threshold"
                         : "no threshold on the service level");
    else
        snprintf(c->note, sizeof c->note,
                 "%s at the busiest interval's load, %.1f Erlangs. "
                 "Cost: the simulated monthly cost, plus the rental of each "
                 "%s added, less each removed. Recommended: %s.",
                 model, in->a, in->bridge ? "port" : "line",
                 in->pr  ? "busyhour plan's simulated search"
                 : found ? "fewest that meet the blocking threshold"
                         : "no threshold on blocking");
}

int
bh_sim_capacity_curve(const struct bh_results *r, size_t ti,
                      const struct bh_scenario *sc, struct bh_sim_curve *out) {
    memset(out, 0, sizeof *out);
    if (!r || ti >= r->ntargets)
        return BH_EINVAL;
    if (strcmp(r->targets[ti].kind, "campaign") == 0)
        return BH_ENOENT;
    struct curve_in in;
    memset(&in, 0, sizeof in);
    in.a = peak_load(r, ti);
    if (!isfinite(in.a) || in.a <= 0)
        return BH_ENOENT;
    struct bh_capacity_curve *c = &out->curve;
    if (!curve_head(r, ti, sc, c, &in))
        return BH_ENOENT;
    curve_costs(r, sc, c, &in);
    int found = curve_points(c, &in, out->points);
    curve_note(c, &in, found);
    c->points = out->points;
    return c->n > 0 ? 0 : BH_ENOENT;
}
