/* rating.c: tariff rating of call records (who pays what, in micro-units),
 * the bill of one replication, and costs across replications.
 *
 * The rules are written down in reports/README.md ("Rating"); in short:
 * a call is billed from the switch's answer (else the connect) to its end,
 * in whole seconds rounded up; minimum then increments; per-minute price x
 * billed seconds / 60 rounded half up per call; the time band at the start
 * of the billed time rates the whole call; bundles are tracked per
 * (source, caller class, subscriber, plan, period) and a call that crosses
 * its allowance is split, the rest billed on the `then` plan. */
#include "reports.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bundle allowance used by one subscriber in one period (s). */
struct allowance {
    uint64_t key;   /* source, class, subscriber */
    int64_t period; /* period index since the epoch of the horizon */
    int32_t plan;
    int32_t used_slot; /* 0 = empty */
    int64_t used;      /* s of allowance consumed */
};

struct bh_rater {
    const struct bh_scenario *sc; /* borrowed */
    struct bh_bill bill;
    bh_money callers, company, provider, participants_cost;
    size_t nslots;
    bh_money *class_total; /* owned */
    uint64_t *class_calls; /* owned */
    size_t cap, used;      /* allowance table: open addressing */
    struct allowance *tab; /* owned */
};

/* ---- Building blocks ------------------------------------------------ */

int64_t
bh_rating_billed_seconds(int64_t d, int64_t minimum, int64_t increment) {
    if (increment < 1)
        increment = 1;
    if (minimum < 0)
        minimum = 0;
    if (d <= minimum)
        return minimum;
    int64_t rest = d - minimum;
    return minimum + (rest + increment - 1) / increment * increment;
}

bh_money
bh_rating_price(bh_money per_minute, int64_t seconds) {
    if (per_minute <= 0 || seconds <= 0)
        return 0;
    /* Half up: add half a divisor before the integer division. Fine in
     * int64 up to 1.5e11 s at 1000 currency units per minute. */
    return (per_minute * seconds + 30) / 60;
}

/* Whole seconds of a duration, rounded up; 1 us of floating-point noise
 * (60.0000000001 s) does not make a second. */
static int64_t
whole_seconds(double s) {
    if (!(s > 1e-6))
        return 0;
    if (s > 1e12)
        s = 1e12;
    return (int64_t)ceil(s - 1e-6);
}

/* Seconds of a duration field given in s (plan increments, minimums);
 * 0.5 s is not expressible in whole seconds and rounds up. */
static int64_t
sec(double s) {
    return whole_seconds(s);
}

/* ---- Class slots ---------------------------------------------------- */

size_t
bh_rater_nclasses(const struct bh_scenario *sc) {
    size_t no = sc->tariffs.norigins ? sc->tariffs.norigins : 1;
    return sc->nsources * no * (sc->tariffs.nplans + 1) * 2 + 1;
}

static size_t
slot_of(const struct bh_scenario *sc, const struct bh_call_record *rec,
        enum bh_payer payer) {
    size_t no = sc->tariffs.norigins ? sc->tariffs.norigins : 1;
    size_t np = sc->tariffs.nplans + 1;
    size_t other = bh_rater_nclasses(sc) - 1;
    if (rec->source >= sc->nsources || rec->origin >= no || rec->plan < -1 ||
        (size_t)(rec->plan + 1) >= np)
        return other;
    return (((size_t)rec->source * no + rec->origin) * np +
            (size_t)(rec->plan + 1)) *
               2 +
           (payer == BH_PAYER_CALLEE);
}

int
bh_rater_class(const struct bh_scenario *sc, size_t i,
               struct bh_rating_class *out) {
    size_t n = bh_rater_nclasses(sc);
    if (i >= n)
        return BH_ERANGE;
    if (i == n - 1) {
        out->source = "other";
        out->origin = "";
        out->plan = "";
        out->payer = BH_PAYER_CALLER;
        return 0;
    }
    size_t no = sc->tariffs.norigins ? sc->tariffs.norigins : 1;
    size_t np = sc->tariffs.nplans + 1;
    out->payer = (i % 2) ? BH_PAYER_CALLEE : BH_PAYER_CALLER;
    i /= 2;
    size_t plan = i % np;
    i /= np;
    size_t origin = i % no;
    size_t source = i / no;
    out->source = sc->sources[source].name;
    out->origin =
        origin < sc->tariffs.norigins ? sc->tariffs.origins[origin] : "";
    out->plan = plan ? sc->tariffs.plans[plan - 1].name : "";
    return 0;
}

/* ---- Rater ---------------------------------------------------------- */

int
bh_rater_new(const struct bh_scenario *sc, struct bh_rater **out) {
    if (!sc || !out)
        return BH_EINVAL;
    *out = NULL;
    struct bh_rater *r = calloc(1, sizeof *r);
    if (!r)
        return BH_ENOMEM;
    r->sc = sc;
    r->nslots = bh_rater_nclasses(sc);
    r->class_total = calloc(r->nslots, sizeof *r->class_total);
    r->class_calls = calloc(r->nslots, sizeof *r->class_calls);
    if (!r->class_total || !r->class_calls) {
        bh_rater_free(r);
        return BH_ENOMEM;
    }
    *out = r;
    return 0;
}

void
bh_rater_free(struct bh_rater *r) {
    if (!r)
        return;
    free(r->class_total);
    free(r->class_calls);
    free(r->tab);
    free(r);
}

static uint64_t
mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static size_t
tab_index(const struct bh_rater *r, uint64_t key, int64_t period,
          int32_t plan) {
    uint64_t h = mix(key ^ mix((uint64_t)period * 31 + (uint64_t)plan));
    return (size_t)(h & (r->cap - 1));
}

static int
tab_grow(struct bh_rater *r) {
    size_t ncap = r->cap ? r->cap * 2 : 256;
    struct allowance *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return BH_ENOMEM;
    struct allowance *old = r->tab;
    size_t ocap = r->cap;
    r->tab = nt;
    r->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].used_slot)
            continue;
        size_t j = tab_index(r, old[i].key, old[i].period, old[i].plan);
        while (r->tab[j].used_slot)
            j = (j + 1) & (r->cap - 1);
        r->tab[j] = old[i];
    }
    free(old);
    return 0;
}

/* The allowance consumed so far by this record's subscriber under plan in
 * the period of time t; NULL only when out of memory. */
static int64_t *
allowance_used(struct bh_rater *r, const struct bh_call_record *rec, int plan,
               double t) {
    const struct bh_sc_plan *p = &r->sc->tariffs.plans[plan];
    double len = p->period == BH_PERIOD_DAY    ? 86400.0
                 : p->period == BH_PERIOD_WEEK ? 7 * 86400.0
                                               : BH_RATING_MONTH;
    int64_t period = (int64_t)floor((r->sc->start + t) / len);
    uint64_t key = ((uint64_t)rec->source << 48) ^
                   ((uint64_t)rec->caller_class << 32) ^ rec->subscriber;
    if ((r->used + 1) * 2 > r->cap && tab_grow(r) != 0)
        return NULL;
    size_t j = tab_index(r, key, period, plan);
    while (r->tab[j].used_slot) {
        struct allowance *a = &r->tab[j];
        if (a->key == key && a->period == period && a->plan == plan)
            return &a->used;
        j = (j + 1) & (r->cap - 1);
    }
    r->tab[j].used_slot = 1;
    r->tab[j].key = key;
    r->tab[j].period = period;
    r->tab[j].plan = plan;
    r->tab[j].used = 0;
    r->used++;
    return &r->tab[j].used;
}

/* Does band b cover time of day tod (s)? from == to covers the day. */
static bool
band_covers(const struct bh_sc_band *b, double tod) {
    if (b->from == b->to)
        return true;
    if (b->from < b->to)
        return tod >= b->from && tod < b->to;
    return tod >= b->from || tod < b->to;
}

/* Per-minute rate of an origin at time t (s since the horizon start): the
 * first band covering the time of day that names a rate for the origin,
 * else the origin's base rate. */
static bh_money
origin_rate(const struct bh_scenario *sc, int origin, double t) {
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    if (origin < 0 || (size_t)origin >= tf->norigins)
        return 0;
    double tod = fmod(sc->start + t, 86400.0);
    if (tod < 0)
        tod += 86400.0;
    for (size_t i = 0; i < tf->nbands; i++)
        if (band_covers(&tf->bands[i], tod) && tf->bands[i].rate[origin] >= 0)
            return tf->bands[i].rate[origin];
    return tf->rate[origin];
}

#define MAX_PLAN_CHAIN 8 /* bundle -> then -> then ... */

/* Cost of d whole seconds of a caller's call on plan `plan`, starting at t0.
 * `first`: this piece starts the call (minimum and setup apply); a piece
 * after a bundle ran out continues the call (increment only). */
static bh_money
plan_piece(struct bh_rater *r, const struct bh_call_record *rec, int plan,
           int64_t d, bool first, double t0, int depth) {
    const struct bh_sc_tariffs *tf = &r->sc->tariffs;
    if (plan < 0 || (size_t)plan >= tf->nplans || depth > MAX_PLAN_CHAIN)
        /* No plan: the origin's rate, per second. */
        return bh_rating_price(origin_rate(r->sc, rec->origin, t0), d);
    const struct bh_sc_plan *p = &tf->plans[plan];
    int64_t inc = sec(p->increment);
    int64_t min = first ? sec(p->minimum) : 0;
    bh_money setup = first ? p->setup : 0;
    bh_money rate =
        p->has_per_minute ? p->per_minute : origin_rate(r->sc, rec->origin, t0);
    if (!p->bundle)
        return setup +
               bh_rating_price(rate, bh_rating_billed_seconds(d, min, inc));
    int64_t *used = allowance_used(r, rec, plan, t0);
    int64_t allow = sec(p->allowance);
    int64_t left = used ? allow - *used : 0;
    if (left < 0)
        left = 0;
    int64_t b = bh_rating_billed_seconds(d, min, inc);
    if (left > 0 && b <= left) {
        *used += b; /* inside the allowance */
        return setup;
    }
    if (left > 0) {
        /* Crosses the allowance: the first `left` s are included, the rest
         * continues on the `then` plan (its increment, no new minimum or
         * setup), or at the origin rate with this plan's increment. */
        *used = allow;
        int64_t rest = d - left;
        if (rest <= 0) /* only the rounding crossed it */
            return setup;
        if (p->then >= 0)
            return setup +
                   plan_piece(r, rec, p->then, rest, false, t0, depth + 1);
        return setup + bh_rating_price(origin_rate(r->sc, rec->origin, t0),
                                       bh_rating_billed_seconds(rest, 0, inc));
    }
    /* Allowance used up before the call: the whole call on `then`. */
    if (p->then >= 0)
        return plan_piece(r, rec, p->then, d, first, t0, depth + 1);
    return setup + bh_rating_price(origin_rate(r->sc, rec->origin, t0), b);
}

/* The payer of a record's call: the company for outbound calls and for
 * calls to a payer: callee number or bridge; else the caller. */
static enum bh_payer
payer_of(const struct bh_scenario *sc, const struct bh_call_record *rec) {
    if (rec->outbound)
        return BH_PAYER_CALLEE;
    if (rec->target_kind == BH_TARGET_EXTENSION ||
        rec->target_kind == BH_TARGET_TRUNK)
        return BH_PAYER_CALLER; /* an office call, paid as dialled */
    if (rec->target_kind == BH_TARGET_BRIDGE) {
        if (rec->target < sc->sw.nbridges)
            return sc->sw.bridges[rec->target].payer;
    } else if (rec->target < sc->sw.nnumbers) {
        return sc->sw.numbers[rec->target].payer;
    }
    return BH_PAYER_CALLER;
}

bh_money
bh_rater_rate(struct bh_rater *r, struct bh_call_record *rec) {
    if (!r || !rec)
        return 0;
    const struct bh_scenario *sc = r->sc;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    enum bh_payer payer = payer_of(sc, rec);
    rec->payer = (uint8_t)payer;

    /* Billed from the switch's answer (the caller's carrier starts
     * charging then: IVR, queue and music count), else from the connect
     * (outbound: the called party answered). */
    double t0 = rec->answer >= 0    ? rec->answer
                : rec->connect >= 0 ? rec->connect
                                    : -1;
    bool billed =
        t0 >= 0 && isfinite(t0) && rec->outcome != BH_OUTCOME_UNANSWERED;
    int64_t d = billed && isfinite(rec->end) ? whole_seconds(rec->end - t0) : 0;
    bh_money cost = 0;
    if (!tf->present) {
        cost = 0;
    } else if (rec->outbound) {
        /* The company's outgoing call: per-origin rate (time bands apply),
         * the outbound increment, which is also the minimum; setup per
         * answered call. Unanswered and blocked attempts are free. */
        if (billed) {
            int64_t inc = sec(tf->outbound_increment);
            cost = tf->outbound_setup +
                   bh_rating_price(origin_rate(sc, rec->origin, t0),
                                   bh_rating_billed_seconds(d, inc, inc));
        }
    } else if (payer == BH_PAYER_CALLEE) {
        /* Toll-free: every minute at the toll-free rate; no bands. */
        if (billed)
            cost = bh_rating_price(
                tf->toll_free_per_minute,
                bh_rating_billed_seconds(d, sec(tf->toll_free_minimum),
                                         sec(tf->toll_free_increment)));
    } else if (billed) {
        cost = plan_piece(r, rec, rec->plan, d, true, t0, 0);
    } else if (rec->plan >= 0 && (size_t)rec->plan < tf->nplans &&
               tf->plans[rec->plan].setup_on_attempt) {
        cost = tf->plans[rec->plan].setup; /* a blocked attempt */
    }
    rec->cost = cost;

    if (payer == BH_PAYER_CALLEE)
        r->company += cost;
    else
        r->callers += cost;
    r->bill.calls++;
    bool meeting_leg =
        rec->target_kind == BH_TARGET_BRIDGE || rec->meeting != 0;
    if (meeting_leg) {
        r->participants_cost += cost;
        if (billed)
            r->bill.participants++;
    }
    if (billed && !rec->outbound && rec->target_kind == BH_TARGET_BRIDGE &&
        tf->termination_per_minute > 0)
        r->provider += bh_rating_price(tf->termination_per_minute, d);
    size_t s = slot_of(sc, rec, payer);
    r->class_total[s] += cost;
    r->class_calls[s]++;
    return cost;
}

/* Lines of all numbers plus ports of all bridges. */
static int64_t
rented_lines(const struct bh_scenario *sc) {
    int64_t n = 0;
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        n += sc->sw.numbers[i].lines;
    for (size_t i = 0; i < sc->sw.nbridges; i++)
        n += sc->sw.bridges[i].ports;
    return n;
}

/* per_line_month x lines x horizon / month, rounded half up to the
 * micro-unit, computed exactly in whole seconds with 128-bit products. */
static bh_money
line_rental(const struct bh_scenario *sc, double horizon) {
    if (!sc->tariffs.present || sc->tariffs.per_line_month <= 0 ||
        !(horizon > 0))
        return 0;
    int64_t h = (int64_t)llround(horizon);
    int64_t month = (int64_t)BH_RATING_MONTH;
    __int128 num = (__int128)sc->tariffs.per_line_month * rented_lines(sc) * h;
    return (bh_money)((num + month / 2) / month);
}

void
bh_rater_bill(const struct bh_rater *r, double horizon, struct bh_bill *out) {
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    *out = r->bill;
    out->line_rental = line_rental(r->sc, horizon);
    out->callers = r->callers;
    out->company = r->company + out->line_rental;
    out->total = out->callers + out->company;
    out->provider_revenue = r->provider;
    out->participants_cost = r->participants_cost;
    out->horizon = horizon;
    out->nclasses = r->nslots;
    out->class_total = r->class_total;
    out->class_calls = r->class_calls;
}

/* ---- Across replications --------------------------------------------- */

/* Welford mean and variance, here so rating stands on its own. */
struct run {
    uint64_t n;
    double mean, m2;
};

static void
run_add(struct run *s, double x) {
    if (!isfinite(x))
        return;
    s->n++;
    double dlt = x - s->mean;
    s->mean += dlt / (double)s->n;
    s->m2 += dlt * (x - s->mean);
}

/* Mean and 95% Student-t interval, scaled by `scale`; NaN when empty. */
static struct bh_estimate
run_est(const struct run *s, double scale) {
    struct bh_estimate e = {NAN, NAN, NAN};
    if (s->n == 0)
        return e;
    e.mean = e.lo = e.hi = s->mean * scale;
    if (s->n > 1) {
        double sd = sqrt(s->m2 / (double)(s->n - 1));
        double half = gsl_cdf_tdist_Pinv(0.975, (double)(s->n - 1)) * sd /
                      sqrt((double)s->n);
        e.lo = (s->mean - half) * scale;
        e.hi = (s->mean + half) * scale;
    }
    return e;
}

struct bh_cost_acc {
    const struct bh_scenario *sc; /* borrowed */
    size_t nbills;
    struct run total, callers, company, rental, provider, per_call,
        per_participant, per_month;
    size_t nslots;
    struct run *class_total; /* owned */
    struct run *class_calls; /* owned */
};

int
bh_cost_acc_new(const struct bh_scenario *sc, struct bh_cost_acc **out) {
    if (!sc || !out)
        return BH_EINVAL;
    *out = NULL;
    struct bh_cost_acc *a = calloc(1, sizeof *a);
    if (!a)
        return BH_ENOMEM;
    a->sc = sc;
    a->nslots = bh_rater_nclasses(sc);
    a->class_total = calloc(a->nslots, sizeof *a->class_total);
    a->class_calls = calloc(a->nslots, sizeof *a->class_calls);
    if (!a->class_total || !a->class_calls) {
        bh_cost_acc_free(a);
        return BH_ENOMEM;
    }
    *out = a;
    return 0;
}

void
bh_cost_acc_free(struct bh_cost_acc *a) {
    if (!a)
        return;
    free(a->class_total);
    free(a->class_calls);
    free(a);
}

void
bh_cost_acc_add(struct bh_cost_acc *a, const struct bh_bill *b) {
    if (!a || !b)
        return;
    a->nbills++;
    run_add(&a->total, (double)b->total);
    run_add(&a->callers, (double)b->callers);
    run_add(&a->company, (double)b->company);
    run_add(&a->rental, (double)b->line_rental);
    run_add(&a->provider, (double)b->provider_revenue);
    if (b->calls)
        run_add(&a->per_call, (double)b->total / (double)b->calls);
    if (b->participants)
        run_add(&a->per_participant,
                (double)b->participants_cost / (double)b->participants);
    if (b->horizon > 0)
        run_add(&a->per_month, (double)b->total * BH_RATING_MONTH / b->horizon);
    for (size_t i = 0; i < a->nslots && i < b->nclasses; i++) {
        run_add(&a->class_total[i],
                b->class_total ? (double)b->class_total[i] : 0);
        run_add(&a->class_calls[i],
                b->class_calls ? (double)b->class_calls[i] : 0);
    }
}

int
bh_cost_acc_results(const struct bh_cost_acc *a, struct bh_costs *out) {
    if (!a || !out)
        return BH_EINVAL;
    memset(out, 0, sizeof *out);
    const struct bh_sc_tariffs *tf = &a->sc->tariffs;
    if (!tf->present)
        return 0; /* no tariffs, no costs block */
    out->present = true;
    snprintf(out->currency, sizeof out->currency, "%s", tf->currency);
    double u = 1.0 / (double)BH_MONEY_UNIT; /* micro-units to units */
    out->total = run_est(&a->total, u);
    out->callers = run_est(&a->callers, u);
    out->company = run_est(&a->company, u);
    out->line_rental = run_est(&a->rental, u);
    out->provider_revenue = run_est(&a->provider, u);
    out->per_call = run_est(&a->per_call, u);
    out->per_participant = run_est(&a->per_participant, u);
    out->per_month = run_est(&a->per_month, u);
    size_t n = 0;
    for (size_t i = 0; i < a->nslots; i++)
        if (a->class_calls[i].n && a->class_calls[i].mean > 0)
            n++;
    if (n) {
        out->classes = calloc(n, sizeof *out->classes);
        if (!out->classes)
            return BH_ENOMEM;
    }
    for (size_t i = 0; i < a->nslots; i++) {
        if (!(a->class_calls[i].n && a->class_calls[i].mean > 0))
            continue;
        struct bh_rating_class rc;
        if (bh_rater_class(a->sc, i, &rc) != 0)
            continue;
        struct bh_cost_class *c = &out->classes[out->nclasses++];
        snprintf(c->source, sizeof c->source, "%s", rc.source);
        snprintf(c->origin, sizeof c->origin, "%s", rc.origin);
        snprintf(c->plan, sizeof c->plan, "%s", rc.plan);
        snprintf(c->payer, sizeof c->payer, "%s",
                 rc.payer == BH_PAYER_CALLEE ? "company" : "callers");
        c->total = run_est(&a->class_total[i], u);
        c->calls = run_est(&a->class_calls[i], 1.0);
    }
    return 0;
}
