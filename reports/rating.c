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

/* A plan's terms in whole seconds, converted once per rater rather than
 * on every call (sec() is a ceil, two or three per call). */
struct terms {
    int64_t inc, min, allow; /* s */
    double len;              /* s, a bundle's period */
    /* the period index holding [plo, phi) (s since the horizon start);
     * empty at first */
    double plo, phi;
    int64_t period;
};

/* The rate of one origin over a stretch of time in which no band starts
 * or ends: [lo, hi) in s since the horizon start, a microsecond inside
 * the band boundaries so that rounding never carries a call across one
 * (outside it, the rate is worked out from the bands as before). Calls
 * are rated in end-time order, so most fall in the stretch of the last
 * one: a band look-up and an fmod fewer per call. */
struct rate_cache {
    double lo, hi;
    bh_money rate;
};

/* How the calls of one (source, origin, plan) are priced, worked out once
 * per rater: the card of a record whose source calls its own target
 * inbound. Records that fit no card (outbound calls, dial-out legs, CDRs
 * of unknown sources) take the general path, which gives the same price
 * (test_rating.c holds the two to it). */
enum { CARD_NONE, CARD_METERED, CARD_BUNDLE };

struct card {
    uint8_t kind;
    uint8_t payer;       /* enum bh_payer */
    uint8_t target_kind; /* the source's target */
    int8_t origin;       /* origin rate at the call's time; -1: per_minute */
    int32_t target;
    int32_t plan;     /* plan index, -1 = none */
    int64_t min, inc; /* s */
    bh_money per_minute, setup;
    bh_money attempt; /* an attempt that was not billed */
    uint32_t slot;    /* class slot (bh_rater_class) */
};

/* Cards are kept up to this many (source, origin, plan) triples (3 MiB);
 * beyond, every call takes the general path. */
#define MAX_CARDS 65536

/* Allowances of the subscribers of one (source, caller class) under one
 * bundle plan, by subscriber number: the last period a call of theirs was
 * rated in and the seconds used in it. 16 bytes a subscriber and no hash,
 * where the table takes 64 with its load factor: the table's misses were
 * most of a bundled call's cost (perf, bench/sim). */
struct dentry {
    int64_t stamp; /* period + 1; 0: no call yet */
    int64_t used;  /* s */
};

/* Direct allowances are kept up to this many subscribers per rater (16
 * MiB); the rest are in the table. */
#define MAX_DIRECT (1u << 20)

/* A prepaid balance as the company's calls and line rental draw it. */
struct prepaid {
    bool on;
    double epoch;     /* s: the balance's start (the warm-up's end) */
    double rent_rate; /* micro-units per s of line rental */
    bh_money spent;   /* the company's calls charged so far */
    double last;      /* s: checked up to here */
    double out;       /* s: when it first fell to zero or below; NaN */
};

struct bh_rater {
    const struct bh_scenario *sc; /* borrowed */
    struct bh_bill bill;
    bh_money callers, company, provider, participants_cost;
    size_t nslots;
    size_t norigins, nplans1;   /* origins (at least 1), plans + 1 */
    struct terms *terms;        /* owned; one per plan */
    struct rate_cache *rates;   /* owned; one per origin */
    int64_t free_inc, free_min; /* s, toll-free terms */
    int64_t out_inc;            /* s, outbound increment and minimum */
    struct card *cards;         /* owned; source x origin x plan + 1 */
    size_t *class_first;        /* owned; per source, its first class */
    struct dentry **direct;     /* owned; class x plan, allocated at use */
    size_t ndirect;             /* subscribers in them */
    bh_money *class_total;      /* owned */
    uint64_t *class_calls;      /* owned */
    uint64_t *class_answered;   /* owned */
    size_t cap, used;           /* allowance table: open addressing */
    struct allowance *tab;      /* owned */
    struct prepaid pre;
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
 * (60.0000000001 s) does not make a second. ceil by truncation, without a
 * libm call: x is positive and below 2^53. */
static int64_t
whole_seconds(double s) {
    if (!(s > 1e-6))
        return 0;
    if (s > 1e12)
        s = 1e12;
    double x = s - 1e-6;
    int64_t k = (int64_t)x;
    return k + ((double)k < x);
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

/* The class slot of a record (bh_rater_class), with the sizes the rater
 * keeps: no origins (at least 1), np plans + 1. */
static size_t
slot_of(const struct bh_rater *r, const struct bh_call_record *rec,
        enum bh_payer payer) {
    size_t no = r->norigins, np = r->nplans1;
    if (rec->source >= r->sc->nsources || rec->origin >= no || rec->plan < -1 ||
        (size_t)(rec->plan + 1) >= np)
        return r->nslots - 1; /* "other" */
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

/* ---- Fixed costs ------------------------------------------------------ */

/* x * num / den rounded half up, exactly for non-negative operands. */
static bh_money
muldiv(__int128 x, __int128 den) {
    if (x <= 0 || den <= 0)
        return 0;
    return (bh_money)((x + den / 2) / den);
}

bh_money
bh_rating_line_rental(const struct bh_sc_tariffs *tf, int64_t lines,
                      double seconds) {
    if (!tf || !tf->present || tf->per_line_month <= 0 || lines <= 0 ||
        !(seconds > 0))
        return 0;
    int64_t h = (int64_t)llround(seconds);
    return muldiv((__int128)tf->per_line_month * lines * h,
                  (int64_t)BH_RATING_MONTH);
}

bh_money
bh_rating_operators(const struct bh_sc_tariffs *tf, int64_t operators,
                    double seconds) {
    if (!tf || !tf->present || tf->operator_per_hour <= 0 || operators <= 0 ||
        !(seconds > 0))
        return 0;
    /* paid = staffed / (1 - shrinkage), shrinkage in millionths so that
     * 30% is exactly 300,000 / 1,000,000 */
    int64_t keep = 1000000 - (int64_t)llround(tf->shrinkage * 1e6);
    if (keep < 1)
        keep = 1;
    int64_t h = (int64_t)llround(seconds);
    return muldiv((__int128)tf->operator_per_hour * operators * h * 1000000,
                  (__int128)3600 * keep);
}

/* Operators staffed on number i (0 without a queue). */
static int64_t
operators_of(const struct bh_scenario *sc, size_t i) {
    const struct bh_sc_number *n = &sc->sw.numbers[i];
    return n->queue.present ? n->queue.operators : 0;
}

int
bh_rating_target_of(const struct bh_scenario *sc, size_t s) {
    if (s >= sc->nsources)
        return -1;
    const struct bh_sc_source *src = &sc->sources[s];
    if (src->kind == BH_SOURCE_CAMPAIGN) {
        int k = (int)(sc->sw.nnumbers + sc->sw.nbridges);
        for (size_t i = 0; i < s; i++)
            k += sc->sources[i].kind == BH_SOURCE_CAMPAIGN;
        return k;
    }
    if (src->target_kind == BH_TARGET_NUMBER &&
        (size_t)src->target < sc->sw.nnumbers)
        return src->target;
    if (src->target_kind == BH_TARGET_BRIDGE &&
        (size_t)src->target < sc->sw.nbridges)
        return (int)sc->sw.nnumbers + src->target;
    return -1;
}

/* ---- Prepaid balance ----------------------------------------------------
 * balance(t) = start + top-ups added by t - line rental accrued by t - the
 * company's calls charged by t (each at its end), t from the warm-up's
 * end. Between charges it falls linearly with the rental and jumps up at
 * each top-up; the first t where it is <= 0 is when it ran out. */

static void
prepaid_init(struct bh_rater *r) {
    const struct bh_scenario *sc = r->sc;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    struct prepaid *p = &r->pre;
    p->on = tf->present && tf->prepaid;
    p->epoch = sc->sim.warmup > 0 ? sc->sim.warmup : 0;
    p->last = p->epoch;
    p->out = NAN;
    int64_t lines = 0;
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        lines += sc->sw.numbers[i].lines;
    for (size_t i = 0; i < sc->sw.nbridges; i++)
        lines += sc->sw.bridges[i].ports;
    p->rent_rate = tf->present ? (double)tf->per_line_month * (double)lines /
                                     BH_RATING_MONTH
                               : 0;
    if (p->on && tf->balance <= 0 && p->rent_rate > 0)
        p->out = p->epoch; /* nothing to draw on */
}

/* Top-ups added by time t (s since the horizon start), micro-units. */
static double
topups_by(const struct bh_sc_tariffs *tf, double epoch, double t) {
    if (tf->top_up <= 0 || !(tf->top_up_every > 0) || t <= epoch)
        return 0;
    return floor((t - epoch) / tf->top_up_every + 1e-9) * (double)tf->top_up;
}

/* The first time in [a, b] at which the balance, with `spent` charged and
 * only the rental falling, is <= 0; NaN when none. Walks the top-up
 * periods in between (at most horizon / 1 h of them in a replication). */
static double
drift_zero(const struct bh_rater *r, double a, double b, bh_money spent) {
    const struct bh_sc_tariffs *tf = &r->sc->tariffs;
    const struct prepaid *p = &r->pre;
    if (!(p->rent_rate > 0) || !(b >= a))
        return NAN;
    while (a <= b) {
        double level =
            (double)tf->balance + topups_by(tf, p->epoch, a) - (double)spent;
        /* the next top-up after a, or b */
        double next = b;
        if (tf->top_up > 0 && tf->top_up_every > 0) {
            double k = floor((a - p->epoch) / tf->top_up_every + 1e-9) + 1;
            double tn = p->epoch + k * tf->top_up_every;
            if (tn < next)
                next = tn;
        }
        double zero = p->epoch + level / p->rent_rate;
        if (zero <= a)
            return a;
        if (zero <= next)
            return zero;
        if (next >= b)
            break;
        a = next;
    }
    return NAN;
}

/* Charges `cost` of the company's call ending at t to the balance. */
static void
prepaid_charge(struct bh_rater *r, double t, bh_money cost) {
    struct prepaid *p = &r->pre;
    if (!isnan(p->out))
        return;
    if (!(t >= p->last)) /* out of end-time order: charged at `last` */
        t = p->last;
    double z = drift_zero(r, p->last, t, p->spent);
    if (!isnan(z)) {
        p->out = z;
        return;
    }
    p->last = t;
    p->spent += cost;
    const struct bh_sc_tariffs *tf = &r->sc->tariffs;
    double level = (double)tf->balance + topups_by(tf, p->epoch, t) -
                   p->rent_rate * (t - p->epoch) - (double)p->spent;
    if (level <= 0)
        p->out = t;
}

/* ---- Rater ---------------------------------------------------------- */

/* The tariffs' durations in whole seconds and empty rate caches. */
static int
terms_init(struct bh_rater *r) {
    const struct bh_sc_tariffs *tf = &r->sc->tariffs;
    r->norigins = tf->norigins ? tf->norigins : 1;
    r->nplans1 = tf->nplans + 1;
    r->terms = calloc(tf->nplans + 1, sizeof *r->terms);
    r->rates = calloc(r->norigins, sizeof *r->rates);
    if (!r->terms || !r->rates)
        return BH_ENOMEM;
    for (size_t i = 0; i < tf->nplans; i++) {
        const struct bh_sc_plan *p = &tf->plans[i];
        struct terms *t = &r->terms[i];
        t->inc = sec(p->increment);
        t->min = sec(p->minimum);
        t->allow = sec(p->allowance);
        t->len = p->period == BH_PERIOD_DAY    ? 86400.0
                 : p->period == BH_PERIOD_WEEK ? 7 * 86400.0
                                               : BH_RATING_MONTH;
    }
    r->free_inc = sec(tf->toll_free_increment);
    r->free_min = sec(tf->toll_free_minimum);
    r->out_inc = sec(tf->outbound_increment);
    /* direct allowances, by (source, class) and plan */
    const struct bh_scenario *sc = r->sc;
    r->class_first = calloc(sc->nsources + 1, sizeof *r->class_first);
    if (!r->class_first)
        return BH_ENOMEM;
    for (size_t i = 0; i < sc->nsources; i++)
        r->class_first[i + 1] = r->class_first[i] + sc->sources[i].nclasses;
    size_t n = r->class_first[sc->nsources] * r->nplans1;
    if (n && !(r->direct = calloc(n, sizeof *r->direct)))
        return BH_ENOMEM;
    return 0;
}

/* The card of source si calling with origin o on plan p (-1: none). */
static void
card_fill(const struct bh_rater *r, size_t si, size_t o, int p,
          struct card *cd) {
    const struct bh_scenario *sc = r->sc;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    const struct bh_sc_source *src = &sc->sources[si];
    memset(cd, 0, sizeof *cd);
    if (!tf->present || src->kind == BH_SOURCE_CAMPAIGN)
        return; /* priced as outbound calls, on the general path */
    if (src->target_kind == BH_TARGET_NUMBER &&
        (size_t)src->target < sc->sw.nnumbers)
        cd->payer = (uint8_t)sc->sw.numbers[src->target].payer;
    else if (src->target_kind == BH_TARGET_BRIDGE &&
             (size_t)src->target < sc->sw.nbridges)
        cd->payer = (uint8_t)sc->sw.bridges[src->target].payer;
    else
        return;
    cd->target_kind = (uint8_t)src->target_kind;
    cd->target = src->target;
    cd->plan = p;
    struct bh_call_record rec;
    memset(&rec, 0, sizeof rec);
    rec.source = (uint32_t)si;
    rec.origin = (uint16_t)o;
    rec.plan = (int16_t)p;
    cd->slot = (uint32_t)slot_of(r, &rec, (enum bh_payer)cd->payer);
    cd->origin = (int8_t)(o < tf->norigins ? (int)o : -1);
    cd->kind = CARD_METERED;
    if (cd->payer == BH_PAYER_CALLEE) {
        /* toll-free: the company pays the toll-free rate, no bands */
        cd->origin = -1;
        cd->per_minute = tf->toll_free_per_minute;
        cd->min = r->free_min;
        cd->inc = r->free_inc;
        return;
    }
    if (p < 0) { /* no plan: the origin's rate per second */
        cd->inc = 1;
        return;
    }
    const struct bh_sc_plan *pl = &tf->plans[p];
    cd->attempt = pl->setup_on_attempt ? pl->setup : 0;
    if (pl->bundle) {
        cd->kind = CARD_BUNDLE;
        return;
    }
    cd->min = r->terms[p].min;
    cd->inc = r->terms[p].inc;
    cd->setup = pl->setup;
    if (pl->has_per_minute) {
        cd->origin = -1;
        cd->per_minute = pl->per_minute;
    }
}

static int
cards_init(struct bh_rater *r) {
    const struct bh_scenario *sc = r->sc;
    size_t n = sc->nsources * r->norigins * r->nplans1;
    if (!sc->tariffs.present || n == 0 || n > MAX_CARDS)
        return 0;
    r->cards = calloc(n, sizeof *r->cards);
    if (!r->cards)
        return BH_ENOMEM;
    for (size_t si = 0; si < sc->nsources; si++)
        for (size_t o = 0; o < r->norigins; o++)
            for (size_t p = 0; p < r->nplans1; p++)
                card_fill(r, si, o, (int)p - 1,
                          &r->cards[(si * r->norigins + o) * r->nplans1 + p]);
    return 0;
}

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
    r->class_answered = calloc(r->nslots, sizeof *r->class_answered);
    int rc = r->class_total && r->class_calls && r->class_answered
                 ? terms_init(r)
                 : BH_ENOMEM;
    if (!rc)
        rc = cards_init(r);
    if (rc) {
        bh_rater_free(r);
        return rc;
    }
    prepaid_init(r);
    *out = r;
    return 0;
}

void
bh_rater_free(struct bh_rater *r) {
    if (!r)
        return;
    free(r->class_total);
    free(r->class_calls);
    free(r->class_answered);
    free(r->tab);
    free(r->terms);
    free(r->rates);
    free(r->cards);
    if (r->direct)
        for (size_t i = 0; i < r->class_first[r->sc->nsources] * r->nplans1;
             i++)
            free(r->direct[i]);
    free(r->direct);
    free(r->class_first);
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
    /* one mix: the key's own bits are spread, period and plan are small */
    uint64_t h = mix(key ^ ((uint64_t)period * 0x9e3779b97f4a7c15ULL) ^
                     ((uint64_t)plan << 56));
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

static int64_t *table_used(struct bh_rater *r, uint64_t key, int64_t period,
                           int32_t plan);

/* The direct allowance of rec's subscriber under plan, or NULL when it
 * has none: a subscriber number outside its class's population (records
 * not from the traffic model), too many subscribers, no memory. */
static struct dentry *
direct_entry(struct bh_rater *r, const struct bh_call_record *rec, int plan) {
    const struct bh_scenario *sc = r->sc;
    if (!r->direct || rec->source >= sc->nsources)
        return NULL;
    const struct bh_sc_source *src = &sc->sources[rec->source];
    if (rec->caller_class >= src->nclasses)
        return NULL;
    const struct bh_sc_class *cl = &src->classes[rec->caller_class];
    if (cl->subscribers <= 0 || rec->subscriber >= (uint32_t)cl->subscribers)
        return NULL;
    struct dentry **d =
        &r->direct[(r->class_first[rec->source] + rec->caller_class) *
                       r->nplans1 +
                   (size_t)plan];
    if (!*d) {
        if (r->ndirect + (size_t)cl->subscribers > MAX_DIRECT)
            return NULL;
        if (!(*d = calloc((size_t)cl->subscribers, sizeof **d)))
            return NULL;
        r->ndirect += (size_t)cl->subscribers;
    }
    return &(*d)[rec->subscriber];
}

/* The allowance consumed so far by this record's subscriber under plan in
 * the period of time t; NULL only when out of memory. */
static int64_t *
allowance_used(struct bh_rater *r, const struct bh_call_record *rec, int plan,
               double t) {
    struct terms *tm = &r->terms[plan];
    if (!(t >= tm->plo && t < tm->phi)) {
        /* another period than the last call's: its index, and the
         * stretch (a millisecond inside its ends) where it holds */
        double start = r->sc->start;
        tm->period = (int64_t)floor((start + t) / tm->len);
        tm->plo = (double)tm->period * tm->len - start + 1e-3;
        tm->phi = (double)(tm->period + 1) * tm->len - start - 1e-3;
    }
    int64_t period = tm->period;
    uint64_t key = ((uint64_t)rec->source << 48) ^
                   ((uint64_t)rec->caller_class << 32) ^ rec->subscriber;
    struct dentry *e = direct_entry(r, rec, plan);
    if (e && e->stamp == period + 1)
        return &e->used;
    if (e && e->stamp < period + 1) {
        /* the subscriber's first call in a later period: the last
         * period's figure moves to the table, where a call rated late
         * (a long one answered before the period ended) finds it */
        if (e->stamp) {
            int64_t *old = table_used(r, key, e->stamp - 1, plan);
            if (!old)
                return NULL;
            *old = e->used;
        }
        e->stamp = period + 1;
        e->used = 0;
        return &e->used;
    }
    return table_used(r, key, period, plan);
}

/* The table's entry of (key, period, plan), made when new. */
static int64_t *
table_used(struct bh_rater *r, uint64_t key, int64_t period, int32_t plan) {
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

/* origin_rate at t, from the origin's cache when t is in its stretch;
 * else worked out and the stretch around t cached (rate_cache). */
static bh_money __attribute__((noinline))
rate_miss(struct bh_rater *r, int origin, double t) {
    const struct bh_scenario *sc = r->sc;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    struct rate_cache *c = &r->rates[origin];
    c->rate = origin_rate(sc, origin, t);
    if (tf->nbands == 0) {
        c->lo = -INFINITY;
        c->hi = INFINITY;
        return c->rate;
    }
    /* the bands' ends around the time of day: no band starts or ends
     * in between, so the rate holds there */
    double tod = fmod(sc->start + t, 86400.0);
    if (tod < 0)
        tod += 86400.0;
    double a = 0, b = 86400.0;
    for (size_t i = 0; i < tf->nbands; i++) {
        const double ends[2] = {tf->bands[i].from, tf->bands[i].to};
        for (int k = 0; k < 2; k++) {
            if (ends[k] <= tod && ends[k] > a)
                a = ends[k];
            if (ends[k] > tod && ends[k] < b)
                b = ends[k];
        }
    }
    c->lo = t - (tod - a) + 1e-6;
    c->hi = t + (b - tod) - 1e-6;
    return c->rate;
}

static inline bh_money
rate_at(struct bh_rater *r, int origin, double t) {
    if (origin < 0 || (size_t)origin >= r->sc->tariffs.norigins)
        return 0;
    const struct rate_cache *c = &r->rates[origin];
    if (t >= c->lo && t < c->hi)
        return c->rate;
    return rate_miss(r, origin, t);
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
        return bh_rating_price(rate_at(r, rec->origin, t0), d);
    const struct bh_sc_plan *p = &tf->plans[plan];
    const struct terms *tm = &r->terms[plan];
    int64_t inc = tm->inc;
    int64_t min = first ? tm->min : 0;
    bh_money setup = first ? p->setup : 0;
    if (!p->bundle) {
        bh_money rate =
            p->has_per_minute ? p->per_minute : rate_at(r, rec->origin, t0);
        return setup +
               bh_rating_price(rate, bh_rating_billed_seconds(d, min, inc));
    }
    int64_t *used = allowance_used(r, rec, plan, t0);
    int64_t allow = tm->allow;
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
        return setup + bh_rating_price(rate_at(r, rec->origin, t0),
                                       bh_rating_billed_seconds(rest, 0, inc));
    }
    /* Allowance used up before the call: the whole call on `then`. */
    if (p->then >= 0)
        return plan_piece(r, rec, p->then, d, first, t0, depth + 1);
    return setup + bh_rating_price(rate_at(r, rec->origin, t0), b);
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

/* The card of an inbound record of a known source calling its own
 * target, or NULL. */
static inline const struct card *
card_of(const struct bh_rater *r, const struct bh_call_record *rec) {
    if (!r->cards || rec->outbound || rec->source >= r->sc->nsources ||
        rec->origin >= r->norigins || rec->plan < -1 ||
        (size_t)(rec->plan + 1) >= r->nplans1)
        return NULL;
    const struct card *cd =
        &r->cards[((size_t)rec->source * r->norigins + rec->origin) *
                      r->nplans1 +
                  (size_t)(rec->plan + 1)];
    if (cd->kind == CARD_NONE || rec->target != (uint32_t)cd->target ||
        rec->target_kind != cd->target_kind)
        return NULL;
    return cd;
}

/* The bill's sums for a rated call: who paid, the participants' and the
 * provider's figures, the class slot s. */
static inline void
book(struct bh_rater *r, const struct bh_call_record *rec, enum bh_payer payer,
     bh_money cost, bool billed, int64_t d, size_t s) {
    const struct bh_scenario *sc = r->sc;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    if (payer == BH_PAYER_CALLEE) {
        r->company += cost;
        if (r->pre.on && cost > 0)
            prepaid_charge(r, rec->end, cost);
    } else {
        r->callers += cost;
    }
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
    r->class_total[s] += cost;
    r->class_calls[s]++;
    /* answered calls of the target: not the dial-out legs of a call */
    if (rec->outcome == BH_OUTCOME_ANSWERED &&
        (!rec->outbound ||
         (rec->source < sc->nsources &&
          sc->sources[rec->source].kind == BH_SOURCE_CAMPAIGN)))
        r->class_answered[s]++;
}

/* Billed from the switch's answer (the caller's carrier starts charging
 * then: IVR, queue and music count), else from the connect (outbound: the
 * called party answered); -1 when neither. */
static inline double
billed_from(const struct bh_call_record *rec) {
    return rec->answer >= 0    ? rec->answer
           : rec->connect >= 0 ? rec->connect
                               : -1;
}

/* Whole billed seconds of a call billed from t0 (0 when it is not). */
static inline int64_t
billed_length(const struct bh_call_record *rec, double t0, bool billed) {
    return billed && isfinite(rec->end) ? whole_seconds(rec->end - t0) : 0;
}

/* Any record, by the rules as README.md writes them. */
static bh_money __attribute__((noinline))
rate_general(struct bh_rater *r, struct bh_call_record *rec) {
    const struct bh_scenario *sc = r->sc;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    enum bh_payer payer = payer_of(sc, rec);
    rec->payer = (uint8_t)payer;
    double t0 = billed_from(rec);
    bool billed =
        t0 >= 0 && isfinite(t0) && rec->outcome != BH_OUTCOME_UNANSWERED;
    int64_t d = billed_length(rec, t0, billed);
    bh_money cost = 0;
    if (!tf->present) {
        cost = 0;
    } else if (rec->outbound) {
        /* The company's outgoing call: per-origin rate (time bands apply),
         * the outbound increment, which is also the minimum; setup per
         * answered call. Unanswered and blocked attempts are free. */
        if (billed) {
            int64_t inc = r->out_inc;
            cost = tf->outbound_setup +
                   bh_rating_price(rate_at(r, rec->origin, t0),
                                   bh_rating_billed_seconds(d, inc, inc));
        }
    } else if (payer == BH_PAYER_CALLEE) {
        /* Toll-free: every minute at the toll-free rate; no bands. */
        if (billed)
            cost = bh_rating_price(
                tf->toll_free_per_minute,
                bh_rating_billed_seconds(d, r->free_min, r->free_inc));
    } else if (billed) {
        cost = plan_piece(r, rec, rec->plan, d, true, t0, 0);
    } else if (rec->plan >= 0 && (size_t)rec->plan < tf->nplans &&
               tf->plans[rec->plan].setup_on_attempt) {
        cost = tf->plans[rec->plan].setup; /* a blocked attempt */
    }
    rec->cost = cost;
    book(r, rec, payer, cost, billed, d, slot_of(r, rec, payer));
    return cost;
}

bh_money
bh_rater_rate(struct bh_rater *r, struct bh_call_record *rec) {
    if (!r || !rec)
        return 0;
    const struct card *cd = card_of(r, rec);
    if (!cd)
        return rate_general(r, rec);
    /* by the record's card: what rate_general works out for it, with the
     * plan's terms, the payer and the slot looked up once per rater */
    double t0 = billed_from(rec);
    bool billed =
        t0 >= 0 && isfinite(t0) && rec->outcome != BH_OUTCOME_UNANSWERED;
    int64_t d = billed_length(rec, t0, billed);
    bh_money cost = cd->attempt;
    if (billed && cd->kind == CARD_BUNDLE) {
        cost = plan_piece(r, rec, cd->plan, d, true, t0, 0);
    } else if (billed) {
        bh_money rate =
            cd->origin >= 0 ? rate_at(r, cd->origin, t0) : cd->per_minute;
        int64_t b = d;
        if (cd->inc != 1 || cd->min > 0)
            b = bh_rating_billed_seconds(d, cd->min, cd->inc);
        cost = cd->setup + bh_rating_price(rate, b);
    }
    rec->payer = cd->payer;
    rec->cost = cost;
    book(r, rec, (enum bh_payer)cd->payer, cost, billed, d, cd->slot);
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

/* Operators of every queue. */
static int64_t
staffed_operators(const struct bh_scenario *sc) {
    int64_t n = 0;
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        n += operators_of(sc, i);
    return n;
}

void
bh_rater_bill(const struct bh_rater *r, double horizon, struct bh_bill *out) {
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    *out = r->bill;
    const struct bh_sc_tariffs *tf = &r->sc->tariffs;
    out->line_rental = bh_rating_line_rental(tf, rented_lines(r->sc), horizon);
    out->operators = bh_rating_operators(tf, staffed_operators(r->sc), horizon);
    out->callers = r->callers;
    out->company = r->company + out->line_rental + out->operators;
    out->total = out->callers + out->company;
    out->provider_revenue = r->provider;
    out->participants_cost = r->participants_cost;
    out->horizon = horizon;
    out->nclasses = r->nslots;
    out->class_total = r->class_total;
    out->class_calls = r->class_calls;
    out->class_answered = r->class_answered;
    out->balance_out = NAN;
    if (r->pre.on) {
        /* the rental falls on from the last charge to the horizon's end */
        double end = r->pre.epoch + (horizon > 0 ? horizon : 0);
        out->balance_out = r->pre.out;
        if (isnan(out->balance_out))
            out->balance_out = drift_zero(r, r->pre.last, end, r->pre.spent);
        out->balance_end = tf->balance +
                           (bh_money)llround(topups_by(tf, r->pre.epoch, end)) -
                           out->line_rental - r->company;
    }
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

/* Per replication, per target (and one more for the whole scenario):
 * answered calls and the cost of each payer, for ratio estimators. */
enum {
    COL_ANSWERED,
    COL_ALL,
    COL_COMPANY,
    COL_CALLERS,
    COL_RENTAL,
    COL_OPS,
    NCOL
};

struct bh_cost_acc {
    const struct bh_scenario *sc; /* borrowed */
    size_t nbills;
    struct run total, callers, company, rental, operators, provider, per_call,
        per_participant, per_month, balance_end, out_at;
    double span;     /* s, the bills' horizon (the last one's) */
    size_t runs_out; /* bills whose balance ran out */
    double earliest; /* s, NaN: none */
    size_t nslots;
    struct run *class_total; /* owned */
    struct run *class_calls; /* owned */
    size_t ntargets;         /* results' targets; row ntargets: all */
    double *rows;            /* owned: nbills x (ntargets + 1) x NCOL */
    size_t caprows;          /* bills room in rows */
};

/* Targets a scenario's results have: numbers, bridges, campaigns. */
static size_t
ntargets_of(const struct bh_scenario *sc) {
    size_t n = sc->sw.nnumbers + sc->sw.nbridges;
    for (size_t i = 0; i < sc->nsources; i++)
        n += sc->sources[i].kind == BH_SOURCE_CAMPAIGN;
    return n;
}

/* The target name of results index ti. */
static const char *
target_name(const struct bh_scenario *sc, size_t ti) {
    if (ti < sc->sw.nnumbers)
        return sc->sw.numbers[ti].name;
    ti -= sc->sw.nnumbers;
    if (ti < sc->sw.nbridges)
        return sc->sw.bridges[ti].name;
    ti -= sc->sw.nbridges;
    for (size_t i = 0; i < sc->nsources; i++)
        if (sc->sources[i].kind == BH_SOURCE_CAMPAIGN && ti-- == 0)
            return sc->sources[i].name;
    return "";
}

/* Fills one bill's row block: per target and for all, in micro-units. */
static void
bill_rows(const struct bh_cost_acc *a, const struct bh_bill *b, double *row) {
    const struct bh_scenario *sc = a->sc;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    size_t nt = a->ntargets;
    memset(row, 0, (nt + 1) * NCOL * sizeof *row);
    for (size_t i = 0; i < a->nslots && i < b->nclasses; i++) {
        /* slot i = ((source * origins + origin) * plans + plan) * 2 + payer,
         * the last one "other" */
        bool company = i % 2;
        size_t per_source =
            (tf->norigins ? tf->norigins : 1) * (tf->nplans + 1) * 2;
        int ti =
            i + 1 < a->nslots ? bh_rating_target_of(sc, i / per_source) : -1;
        double cost = b->class_total ? (double)b->class_total[i] : 0;
        double ans = b->class_answered ? (double)b->class_answered[i] : 0;
        double *t = ti >= 0 ? &row[(size_t)ti * NCOL] : NULL;
        double *all = &row[nt * NCOL];
        if (t) {
            t[COL_ANSWERED] += ans;
            t[COL_ALL] += cost;
            t[company ? COL_COMPANY : COL_CALLERS] += cost;
        }
        all[COL_ANSWERED] += ans;
    }
    for (size_t i = 0; i < nt && i < sc->sw.nnumbers + sc->sw.nbridges; i++) {
        int64_t lines = i < sc->sw.nnumbers
                            ? sc->sw.numbers[i].lines
                            : sc->sw.bridges[i - sc->sw.nnumbers].ports;
        double *t = &row[i * NCOL];
        t[COL_RENTAL] = (double)bh_rating_line_rental(tf, lines, b->horizon);
        t[COL_OPS] = i < sc->sw.nnumbers
                         ? (double)bh_rating_operators(tf, operators_of(sc, i),
                                                       b->horizon)
                         : 0;
        t[COL_ALL] += t[COL_RENTAL] + t[COL_OPS];
        t[COL_COMPANY] += t[COL_RENTAL] + t[COL_OPS];
    }
    double *all = &row[nt * NCOL];
    all[COL_ALL] = (double)b->total;
    all[COL_COMPANY] = (double)b->company;
    all[COL_CALLERS] = (double)b->callers;
    all[COL_RENTAL] = (double)b->line_rental;
    all[COL_OPS] = (double)b->operators;
}

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
    a->ntargets = ntargets_of(sc);
    a->earliest = NAN;
    *out = a;
    return 0;
}

void
bh_cost_acc_free(struct bh_cost_acc *a) {
    if (!a)
        return;
    free(a->class_total);
    free(a->class_calls);
    free(a->rows);
    free(a);
}

void
bh_cost_acc_add(struct bh_cost_acc *a, const struct bh_bill *b) {
    if (!a || !b)
        return;
    size_t w = (a->ntargets + 1) * NCOL;
    if (a->nbills == a->caprows) {
        size_t cap = a->caprows ? a->caprows * 2 : 16;
        double *rows = realloc(a->rows, cap * w * sizeof *rows);
        if (!rows)
            return; /* the figures then leave this bill out */
        a->rows = rows;
        a->caprows = cap;
    }
    bill_rows(a, b, &a->rows[a->nbills * w]);
    a->nbills++;
    a->span = b->horizon;
    run_add(&a->operators, (double)b->operators);
    if (a->sc->tariffs.prepaid) {
        run_add(&a->balance_end, (double)b->balance_end);
        if (!isnan(b->balance_out)) {
            a->runs_out++;
            run_add(&a->out_at, b->balance_out);
            if (isnan(a->earliest) || b->balance_out < a->earliest)
                a->earliest = b->balance_out;
        }
    }
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

/* Column col of row block r (target ti, or ntargets for all) of each bill,
 * into x (micro-units to units by scale). */
static void
column(const struct bh_cost_acc *a, size_t ti, int col, double scale,
       double *x) {
    size_t w = (a->ntargets + 1) * NCOL;
    for (size_t i = 0; i < a->nbills; i++)
        x[i] = a->rows[i * w + ti * NCOL + (size_t)col] * scale;
}

/* One payer's figures of target ti (or all): total, per answered call
 * (sum cost / sum answered over the bills, a ratio estimator), per hour
 * and per month (total over the horizon's span). */
static void
payer_costs(const struct bh_cost_acc *a, size_t ti, int col, double *x,
            double *y, struct bh_payer_costs *p) {
    double u = 1.0 / (double)BH_MONEY_UNIT;
    column(a, ti, col, u, x);
    column(a, ti, COL_ANSWERED, 1, y);
    struct run r = {0, 0, 0};
    for (size_t i = 0; i < a->nbills; i++)
        run_add(&r, x[i]);
    p->total = run_est(&r, 1);
    p->per_answered_call = bh_ratio_estimate(x, y, a->nbills, false);
    double h = a->span > 0 ? 3600.0 / a->span : NAN;
    p->per_hour = run_est(&r, h);
    p->per_month = run_est(&r, a->span > 0 ? BH_RATING_MONTH / a->span : NAN);
}

static int
payer_figures(const struct bh_cost_acc *a, struct bh_costs *out) {
    static const int cols[BH_COST_PAYERS] = {COL_ALL, COL_COMPANY, COL_CALLERS};
    size_t n = a->nbills ? a->nbills : 1;
    double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    if (a->ntargets)
        out->targets = calloc(a->ntargets, sizeof *out->targets);
    if (!x || !y || (a->ntargets && !out->targets)) {
        free(x);
        free(y);
        return BH_ENOMEM;
    }
    double u = 1.0 / (double)BH_MONEY_UNIT;
    for (size_t ti = 0; ti <= a->ntargets; ti++) {
        struct bh_payer_costs *by =
            ti < a->ntargets ? out->targets[ti].by : out->by;
        for (int p = 0; p < BH_COST_PAYERS; p++)
            payer_costs(a, ti, cols[p], x, y, &by[p]);
        column(a, ti, COL_ANSWERED, 1, y);
        struct run ans = {0, 0, 0}, ren = {0, 0, 0}, ops = {0, 0, 0};
        for (size_t i = 0; i < a->nbills; i++)
            run_add(&ans, y[i]);
        column(a, ti, COL_RENTAL, u, x);
        for (size_t i = 0; i < a->nbills; i++)
            run_add(&ren, x[i]);
        column(a, ti, COL_OPS, u, x);
        for (size_t i = 0; i < a->nbills; i++)
            run_add(&ops, x[i]);
        if (ti == a->ntargets) {
            out->answered = run_est(&ans, 1);
            continue;
        }
        struct bh_target_costs *t = &out->targets[ti];
        snprintf(t->name, sizeof t->name, "%s", target_name(a->sc, ti));
        t->answered = run_est(&ans, 1);
        t->line_rental = run_est(&ren, 1);
        t->operators = run_est(&ops, 1);
    }
    out->ntargets = a->ntargets;
    free(x);
    free(y);
    return 0;
}

static void
balance_figures(const struct bh_cost_acc *a, struct bh_costs *out) {
    const struct bh_sc_tariffs *tf = &a->sc->tariffs;
    struct bh_balance *b = &out->balance;
    if (!tf->prepaid || a->nbills == 0)
        return;
    double u = 1.0 / (double)BH_MONEY_UNIT;
    b->present = true;
    b->start = (double)tf->balance * u;
    b->top_up = (double)tf->top_up * u;
    b->every = tf->top_up > 0 ? tf->top_up_every : 0;
    b->end = run_est(&a->balance_end, u);
    b->runs_out = (double)a->runs_out / (double)a->nbills;
    b->out_at = run_est(&a->out_at, 1);
    b->earliest = a->earliest;
    b->projected = NAN;
    /* never ran out: at the mean net draw per second, when would it? */
    double epoch = a->sc->sim.warmup > 0 ? a->sc->sim.warmup : 0;
    double drawn = b->start - b->end.mean; /* net of top-ups */
    if (a->runs_out == 0 && drawn > 0 && a->span > 0 && b->end.mean > 0)
        b->projected = epoch + a->span + b->end.mean / (drawn / a->span);
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
    out->operators = run_est(&a->operators, u);
    if (payer_figures(a, out) != 0)
        return BH_ENOMEM;
    balance_figures(a, out);
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

/* ---- Describing a balance ----------------------------------------------- */

/* "day D at HH:MM" of t s since the horizon start. */
static void
day_time(double t, double clock, char *buf, size_t size) {
    double abs = clock + t;
    long day = (long)floor(abs / 86400.0);
    long sec = (long)llround(abs - (double)day * 86400.0);
    if (sec >= 86400) {
        sec -= 86400;
        day++;
    }
    /* a short buffer cuts the text short (the result is read so that
     * GCC's -Wformat-truncation does not stop a RelWithDebInfo build) */
    if (snprintf(buf, size, "day %ld at %02ld:%02ld", day + 1, sec / 3600,
                 sec / 60 % 60) >= (int)size &&
        size > 0)
        buf[size - 1] = '\0';
}

void
bh_balance_describe(const struct bh_balance *b, const char *currency,
                    double clock, int replications, char *buf, size_t size) {
    if (!buf || !size)
        return;
    buf[0] = '\0';
    if (!b || !b->present)
        return;
    char when[48], first[48];
    int n = replications > 0 ? replications : 1;
    int out = (int)llround(b->runs_out * n);
    if (out > 0) {
        day_time(b->out_at.mean, clock, when, sizeof when);
        day_time(b->earliest, clock, first, sizeof first);
        snprintf(buf, size,
                 "the prepaid balance of %.2f %s runs out on %s (mean) in %d "
                 "of %d replications, earliest %s; %.2f %s at the end (calls "
                 "are not blocked after it: see reports/README.md)",
                 b->start, currency, when, out, n, first, b->end.mean,
                 currency);
    } else if (!isnan(b->projected)) {
        day_time(b->projected, clock, when, sizeof when);
        snprintf(buf, size,
                 "the prepaid balance of %.2f %s lasts the horizon: %.2f %s "
                 "at the end; at this traffic it would run out on %s",
                 b->start, currency, b->end.mean, currency, when);
    } else {
        snprintf(buf, size,
                 "the prepaid balance of %.2f %s lasts: %.2f %s at the end, "
                 "not drawn down",
                 b->start, currency, b->end.mean, currency);
    }
}
