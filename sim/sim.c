/* sim.c: the discrete-event simulator of the switch: numbers (lines, IVR,
 * operator queue), bridges (shared ports, rooms), campaigns; one
 * replication at a time, in virtual time. */
#include "sim.h"
#include "calendar.h"
#include "traffic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Event kinds, in the low byte of the payload; calls carry their slot in
 * the high 32 bits and a generation in bits 8..31, so that an event of a
 * call that has already ended is recognised and skipped. */
enum { EV_END = 1, EV_IVR, EV_TIMEOUT, EV_WRAP, EV_LEG };

enum call_state { CALL_FREE, CALL_IVR, CALL_QUEUED, CALL_TALK, CALL_LEG };

/* Parties an ad-hoc conference adds, at most (bounded, like a room). */
#define MAX_ADDED 16

struct call {
    struct bh_arrival a;
    struct bh_call_record rec;
    double qjoin; /* s, joined the queue */
    uint32_t gen; /* 24 bits used */
    uint8_t state;
    uint32_t next_free;
};

/* A number's free lines, taken lowest first as the switch takes them
 * (switch/lines.c), so that records name the lines the switch would: a
 * bitmap of free lines (a set bit is a free line) and, above it, one bit
 * per non-empty word of the level below, up to a single word. Taking and
 * giving back visit one word per level: 2 levels up to 4,096 lines, 4 up
 * to BH_SC_MAX_CAPACITY. Kept only when records are (line_seize). */
#define LINE_LEVELS 6 /* 64^6 lines: more than an int counts */

struct line_set {
    uint64_t *bits;              /* owned; the leaves first, the top last */
    uint32_t level[LINE_LEVELS]; /* first word of each level */
    int levels;
};

/* A number's lines, and an operator pool with its queue. A number whose
 * voice menu has options has a pool per option (its operator group, in
 * entries of sim.num after the numbers, their `parent` the number) and
 * none of its own; its lines are the number's. */
struct number {
    const struct bh_sc_number *sc;
    int lines, busy;
    struct line_set free;
    int parent; /* the number whose lines these are (itself, or a group's) */
    int group0; /* the first of its groups' pools in sim.num, -1: none */
    int agents_all; /* the number's operators busy, all groups together */
    /* operators */
    int operators, agents_busy; /* busy includes wrap-up */
    uint8_t *agent_busy;
    double *idle_since;
    uint64_t *agent_calls;
    int32_t *idle_fifo; /* longest-idle: ring of idle operators */
    int idle_head, idle_n;
    int rr; /* round-robin: last operator chosen */
    /* queue: ring of (slot << 24 | gen) entries, some stale */
    uint64_t *q;
    size_t qhead, qn, qcap;
    int qlive;
};

struct bridge {
    const struct bh_sc_bridge *sc;
    int ports, busy;
    int32_t *free_ports;
    int nfree;
};

struct meeting {
    uint64_t id; /* 0 = empty slot */
    double start;
    uint32_t size, arrived, in_room;
    int bridge;
    int blocked;
    /* end_with_moderator: the moderator is the first participant to take
     * a port (the call in slot mod_slot at generation mod_gen); `ended`
     * once it has left */
    uint32_t mod_slot, mod_gen;
    uint8_t has_mod, ended;
};

struct sim {
    const struct bh_scenario *sc;
    double horizon;
    struct bh_collector *col;
    bh_sim_record_fn on_record;
    void *arg;
    struct bh_traffic *tm;
    gsl_rng *rng; /* the switch's own stream (ring-all choice) */
    struct bh_calendar cal;
    struct call *calls;
    uint32_t ncalls, capcalls, free_head;
    struct number *num; /* the numbers, then their groups' pools */
    size_t nnum;        /* entries of num */
    struct bridge *br;
    struct meeting *mt; /* open addressing, power-of-two size */
    size_t mtcap, mtn;
    uint64_t next_id;
    uint32_t rep;
    uint64_t events, attempts;
    int err;
    int adhoc; /* some source has ad-hoc conferences */
    /* call records go to on_record or are rated: fill every field */
    int full_records;
    /* records go to on_record: they name the line each call took */
    int line_ids;
    /* per source: bh_traffic_listens (1 byte each, owned) */
    uint8_t *listens;
    /* the model's state may have changed since the loop's last peek */
    int stale;
};

#define NIL UINT32_MAX

/* ---- call slots ------------------------------------------------------ */

static uint32_t
call_alloc(struct sim *s) {
    if (s->free_head == NIL) {
        if (s->ncalls == s->capcalls) {
            uint32_t cap = s->capcalls ? s->capcalls * 2 : 1024;
            struct call *c = realloc(s->calls, (size_t)cap * sizeof *c);
            if (!c) {
                s->err = BH_ENOMEM;
                return NIL;
            }
            s->calls = c;
            s->capcalls = cap;
        }
        uint32_t i = s->ncalls++;
        s->calls[i].gen = 0;
        s->calls[i].state = CALL_FREE;
        return i;
    }
    uint32_t i = s->free_head;
    s->free_head = s->calls[i].next_free;
    return i;
}

/* Gives back a slot that never had an event (no new generation needed). */
static void
call_return(struct sim *s, uint32_t i) {
    s->calls[i].next_free = s->free_head;
    s->free_head = i;
}

static void
call_free(struct sim *s, uint32_t i) {
    struct call *c = &s->calls[i];
    c->state = CALL_FREE;
    c->gen = (c->gen + 1) & 0xffffff;
    c->next_free = s->free_head;
    s->free_head = i;
}

/* schedule, record_init and route are inline: together 43 instructions
 * fewer per call (callgrind, bench/sim); forcing schedule inline
 * everywhere costs more than it saves. */
static inline void
schedule(struct sim *s, double t, uint32_t slot, int kind) {
    uint64_t data = ((uint64_t)slot << 32) |
                    ((uint64_t)(s->calls[slot].gen & 0xffffff) << 8) |
                    (uint64_t)kind;
    if (bh_calendar_push(&s->cal, t, data))
        s->err = BH_ENOMEM;
}

/* ---- meetings (a small hash table by id) ------------------------------ */

static struct meeting *
meeting_find(struct sim *s, uint64_t id, int create) {
    if (s->mtcap == 0 || (create && (s->mtn + 1) * 2 > s->mtcap)) {
        size_t cap = s->mtcap ? s->mtcap * 2 : 64;
        struct meeting *t = calloc(cap, sizeof *t);
        if (!t) {
            s->err = BH_ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < s->mtcap; i++) {
            if (!s->mt[i].id)
                continue;
            size_t j =
                (size_t)(s->mt[i].id * 0x9e3779b97f4a7c15ULL) & (cap - 1);
            while (t[j].id)
                j = (j + 1) & (cap - 1);
            t[j] = s->mt[i];
        }
        free(s->mt);
        s->mt = t;
        s->mtcap = cap;
    }
    size_t mask = s->mtcap - 1;
    size_t j = (size_t)(id * 0x9e3779b97f4a7c15ULL) & mask;
    while (s->mt[j].id) {
        if (s->mt[j].id == id)
            return &s->mt[j];
        j = (j + 1) & mask;
    }
    if (!create)
        return NULL;
    memset(&s->mt[j], 0, sizeof s->mt[j]);
    s->mt[j].id = id;
    s->mtn++;
    return &s->mt[j];
}

/* Removes m (backward-shift deletion keeps probe chains intact). */
static void
meeting_remove(struct sim *s, struct meeting *m) {
    size_t mask = s->mtcap - 1;
    size_t i = (size_t)(m - s->mt);
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->mt[j].id)
            break;
        size_t home = (size_t)(s->mt[j].id * 0x9e3779b97f4a7c15ULL) & mask;
        /* move j to i when home is not cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) ||
            (j < i && (home <= i && home > j))) {
            s->mt[i] = s->mt[j];
            i = j;
        }
    }
    s->mt[i].id = 0;
    s->mtn--;
}

static void
meeting_settle(struct sim *s, struct meeting *m) {
    if (m->arrived >= m->size && m->in_room == 0) {
        bh_collector_meeting(s->col, m->bridge, m->start, m->blocked);
        meeting_remove(s, m);
    }
}

/* ---- records ------------------------------------------------------- */

static inline void
record_init(struct sim *s, struct bh_call_record *r,
            const struct bh_arrival *a) {
    if (!s->full_records) {
        /* no --records and no tariffs: the fields the switch model and
         * bh_collector_add read, and no others (id, class, payer and the
         * like would be read by nobody): 20 instructions fewer per call
         * (callgrind, bench/sim). The figures are the same either way
         * (test_sim_run.c: records_same_figures). */
        r->source = a->source;
        r->target_kind = a->target_kind;
        r->target = a->target;
        r->attempt = a->attempt;
        r->outcome = 0;
        r->outbound = a->outbound;
        r->arrival = a->t;
        r->answer = r->connect = -1;
        r->wait = 0;
        r->line = r->agent = -1;
        return;
    }
    uint8_t payer;
    if (a->outbound)
        payer = BH_PAYER_CALLEE; /* the company calls out */
    else if (a->target_kind == BH_TARGET_NUMBER)
        payer = (uint8_t)s->sc->sw.numbers[a->target].payer;
    else
        payer = (uint8_t)s->sc->sw.bridges[a->target].payer;
    /* every field stored once (a memset and then the fields, or a
     * compound literal, cost 15-25% more instructions, callgrind) */
    r->id = ++s->next_id;
    r->replication = s->rep;
    r->source = a->source;
    r->target_kind = a->target_kind;
    r->target = a->target;
    r->caller_class = a->caller_class;
    r->origin = a->origin;
    r->plan = a->plan;
    r->attempt = a->attempt;
    r->outcome = 0;
    r->payer = payer;
    r->outbound = a->outbound;
    r->subscriber = a->subscriber;
    r->meeting = a->meeting;
    r->arrival = a->t;
    r->answer = r->connect = r->end = -1;
    r->wait = r->talk = 0;
    r->line = r->agent = -1;
    r->cost = 0;
}

/* A finished attempt: to the collector, the record sink, and back to the
 * traffic model (retrials, finite sources). */
static void
finish(struct sim *s, struct bh_call_record *r, const struct bh_arrival *a,
       enum bh_outcome o, double t) {
    r->outcome = (uint8_t)o;
    r->end = t;
    if (r->connect >= 0)
        r->talk = t - r->connect;
    s->attempts++;
    bh_collector_add(s->col, r);
    if (s->on_record)
        s->on_record(s->arg, r);
    /* dial-out legs of ad-hoc conferences are the switch's, not the
     * traffic model's: nothing to tell it */
    if (!(a->outbound && a->kind != BH_SOURCE_CAMPAIGN) &&
        s->listens[a->source]) {
        /* only sources that retry or are finite hear back: for the rest
         * it would do nothing, and the loop's peek stays valid (38
         * instructions fewer per call, callgrind, bench/sim) */
        bh_traffic_finish(s->tm, a, o, t);
        s->stale = 1;
    }
}

static void
reject(struct sim *s, const struct bh_arrival *a, double t) {
    struct bh_call_record r;
    record_init(s, &r, a);
    finish(s, &r, a, BH_OUTCOME_BLOCKED, t);
}

/* ---- lines: the lowest free line first --------------------------------- */

static int
line_set_init(struct line_set *ls, int n) {
    size_t words[LINE_LEVELS], total = 0;
    size_t w = ((size_t)n + 63) / 64;
    ls->levels = 0;
    do {
        if (ls->levels == LINE_LEVELS)
            return BH_ERANGE;
        words[ls->levels++] = w;
        total += w;
        w = (w + 63) / 64;
    } while (words[ls->levels - 1] > 1);
    ls->bits = calloc(total + 1, sizeof *ls->bits);
    if (!ls->bits)
        return BH_ENOMEM;
    /* every line free: each level has bits 0 .. count - 1 set, the count
     * being the lines, then the words of the level below */
    size_t count = (size_t)n, first = 0;
    for (int l = 0; l < ls->levels; l++) {
        ls->level[l] = (uint32_t)first;
        for (size_t i = 0; i < count; i++)
            ls->bits[first + i / 64] |= 1ULL << (i % 64);
        first += words[l];
        count = words[l];
    }
    return 0;
}

/* The lowest free line; there must be one. Both out of line: they run
 * only when records are kept (line_seize), and inline they grow their
 * callers on the path without records. */
static __attribute__((noinline)) int32_t
line_take(struct line_set *ls) {
    uint32_t i = 0; /* down from the top word, by the lowest set bit */
    for (int l = ls->levels - 1; l >= 0; l--)
        i = (i << 6) | (uint32_t)__builtin_ctzll(ls->bits[ls->level[l] + i]);
    /* busy now; a word left empty clears its own bit one level up (the
     * path came down by the lowest bits, so the bit to clear is each
     * word's lowest) */
    uint32_t w = i;
    for (int l = 0; l < ls->levels; l++, w >>= 6) {
        uint64_t *p = &ls->bits[ls->level[l] + (w >> 6)];
        *p &= *p - 1;
        if (*p)
            break;
    }
    return (int32_t)i;
}

static __attribute__((noinline)) void
line_give(struct line_set *ls, int32_t line) {
    uint32_t w = (uint32_t)line;
    for (int l = 0; l < ls->levels; l++, w >>= 6) {
        uint64_t *p = &ls->bits[ls->level[l] + (w >> 6)];
        uint64_t was = *p;
        *p |= 1ULL << (w & 63);
        if (was)
            break;
    }
}

/* ---- numbers ------------------------------------------------------- */

static void
number_level(struct sim *s, int ni, double t) {
    struct number *n = &s->num[ni];
    bh_collector_level(s->col, BH_TARGET_NUMBER, ni, t, n->busy, n->agents_all);
}

/* The operator pool of a call to number ni choosing `option`. */
static inline int
pool_of(const struct sim *s, int ni, int option) {
    int g = s->num[ni].group0;
    return g < 0 ? ni : g + option;
}

static void
line_release(struct sim *s, int ni, int32_t line, double t) {
    struct number *n = &s->num[ni];
    n->busy--;
    if (line >= 0)
        line_give(&n->free, line);
    number_level(s, ni, t);
}

/* A line of a number with one free: the lowest when records are kept.
 * Nothing else reads line ids (the collector counts busy lines, the rater
 * does not look at them), so without records only the count is kept: the
 * bitmap on every call cost 72 instructions per call more (callgrind,
 * bench/sim: 706 -> 778), with tariffs too. */
static inline int32_t
line_seize(struct sim *s, struct number *n) {
    n->busy++;
    return s->line_ids ? line_take(&n->free) : -1;
}

/* An idle operator by the number's strategy, or -1. */
static int
agent_pick(struct sim *s, struct number *n) {
    if (n->agents_busy >= n->operators)
        return -1;
    int pick = -1;
    switch (n->sc->queue.strategy) {
    case BH_STRATEGY_LONGEST_IDLE:
        if (n->idle_n > 0) {
            pick = n->idle_fifo[n->idle_head];
            n->idle_head = (n->idle_head + 1) % n->operators;
            n->idle_n--;
        }
        return pick;
    case BH_STRATEGY_ROUND_ROBIN:
        for (int k = 1; k <= n->operators; k++) {
            int i = (n->rr + k) % n->operators;
            if (!n->agent_busy[i]) {
                pick = i;
                break;
            }
        }
        if (pick >= 0)
            n->rr = pick;
        return pick;
    case BH_STRATEGY_RING_ALL: {
        /* every idle phone rings; one of them, at random, answers first */
        int idle = n->operators - n->agents_busy;
        int k = (int)gsl_rng_uniform_int(s->rng, (unsigned long)idle);
        for (int i = 0; i < n->operators; i++)
            if (!n->agent_busy[i] && k-- == 0)
                return i;
        return -1;
    }
    case BH_STRATEGY_FEWEST_CALLS:
        /* among equals the longest idle, then the lowest index, as
         * switch/acd.c chooses */
        for (int i = 0; i < n->operators; i++)
            if (!n->agent_busy[i] &&
                (pick < 0 || n->agent_calls[i] < n->agent_calls[pick] ||
                 (n->agent_calls[i] == n->agent_calls[pick] &&
                  n->idle_since[i] < n->idle_since[pick])))
                pick = i;
        return pick;
    }
    return -1;
}

/* Ad-hoc conference by transfer (seed 004): on an answered call, with
 * the source's probability, the employee dials out to add parties, each
 * at a random moment of the call, each an outgoing call from the company
 * that takes a line of the number until the call ends. Their records are
 * rated but not counted as the number's traffic. Draws come from the
 * switch's stream. */
static void
adhoc(struct sim *s, uint32_t slot, double t) {
    const struct call *c = &s->calls[slot];
    const struct bh_sc_source *src = &s->sc->sources[c->a.source];
    const struct bh_sc_adhoc *ad = &src->adhoc;
    if (!ad->present || c->a.outbound || c->a.holding <= 0 ||
        gsl_rng_uniform(s->rng) >= ad->probability)
        return;
    double k = floor(bh_traffic_sample(&ad->added, s->rng) + 0.5);
    if (k > MAX_ADDED)
        k = MAX_ADDED;
    double end = t + c->a.holding;
    for (int j = 0; j < (int)k; j++) {
        struct bh_arrival leg = c->a;
        leg.outbound = 1;
        leg.answers = 1;
        leg.plan = -1;
        leg.attempt = 1;
        leg.patience = INFINITY;
        leg.ring = 0;
        leg.t = t + c->a.holding * gsl_rng_uniform(s->rng);
        leg.holding = end - leg.t;
        const struct bh_sc_destinations *d = &ad->destinations;
        if (d->n > 0) {
            double tot = 0, acc = 0;
            for (size_t i = 0; i < d->n; i++)
                tot += d->share[i];
            double u = gsl_rng_uniform(s->rng) * tot;
            size_t pick = d->n - 1;
            for (size_t i = 0; i < d->n; i++) {
                acc += d->share[i];
                if (u < acc) {
                    pick = i;
                    break;
                }
            }
            leg.origin = (uint16_t)(d->origin[pick] > 0 ? d->origin[pick] : 0);
        }
        uint32_t ls = call_alloc(s);
        if (ls == NIL)
            return;
        c = &s->calls[slot]; /* call_alloc may have moved the array */
        struct call *l = &s->calls[ls];
        l->a = leg;
        l->state = CALL_LEG;
        schedule(s, leg.t, ls, EV_LEG);
    }
}

/* A dial-out leg's moment: a line, or busy. */
static void
on_leg(struct sim *s, uint32_t slot, double t) {
    struct call *c = &s->calls[slot];
    int ni = c->a.target;
    struct number *n = &s->num[ni];
    record_init(s, &c->rec, &c->a);
    if (n->busy >= n->lines) {
        finish(s, &c->rec, &c->a, BH_OUTCOME_BLOCKED, t);
        call_free(s, slot);
        return;
    }
    c->rec.line = line_seize(s, n);
    c->rec.answer = c->rec.connect = t;
    c->state = CALL_TALK;
    schedule(s, t + c->a.holding, slot, EV_END);
    number_level(s, ni, t);
}

static void
connect_agent(struct sim *s, int pi, uint32_t slot, int agent, double t) {
    struct number *n = &s->num[pi];
    struct call *c = &s->calls[slot];
    n->agent_busy[agent] = 1;
    n->agent_calls[agent]++;
    n->agents_busy++;
    s->num[n->parent].agents_all++;
    c->state = CALL_TALK;
    c->rec.agent = agent;
    c->rec.connect = t;
    c->rec.wait = t - c->qjoin;
    schedule(s, t + c->a.holding, slot, EV_END);
    number_level(s, n->parent, t);
    if (s->adhoc)
        adhoc(s, slot, t);
}

static void
agent_free(struct sim *s, int pi, int agent, double t) {
    struct number *n = &s->num[pi];
    n->agent_busy[agent] = 0;
    n->agents_busy--;
    s->num[n->parent].agents_all--;
    n->idle_since[agent] = t;
    if (n->sc->queue.strategy == BH_STRATEGY_LONGEST_IDLE) {
        n->idle_fifo[(n->idle_head + n->idle_n) % n->operators] = agent;
        n->idle_n++;
    }
    /* the head of the queue, skipping callers who already left */
    while (n->qn > 0) {
        uint64_t e = n->q[n->qhead];
        n->qhead = (n->qhead + 1) % n->qcap;
        n->qn--;
        uint32_t slot = (uint32_t)(e >> 24), gen = (uint32_t)(e & 0xffffff);
        struct call *c = &s->calls[slot];
        if (c->gen != gen || c->state != CALL_QUEUED)
            continue;
        n->qlive--;
        int a = agent_pick(s, n);
        if (a < 0)
            a = agent; /* cannot happen: one was just freed */
        connect_agent(s, pi, slot, a, t);
        return;
    }
    number_level(s, n->parent, t);
}

static int
queue_push(struct sim *s, struct number *n, uint32_t slot) {
    if (n->qn == n->qcap) {
        size_t cap = n->qcap ? n->qcap * 2 : 64;
        uint64_t *q = malloc(cap * sizeof *q);
        if (!q)
            return s->err = BH_ENOMEM;
        for (size_t i = 0; i < n->qn; i++)
            q[i] = n->q[(n->qhead + i) % n->qcap];
        free(n->q);
        n->q = q;
        n->qhead = 0;
        n->qcap = cap;
    }
    n->q[(n->qhead + n->qn) % n->qcap] =
        ((uint64_t)slot << 24) | (s->calls[slot].gen & 0xffffff);
    n->qn++;
    n->qlive++;
    return 0;
}

/* After the IVR (or at once): to an operator, the queue, or the number's
 * own answer. Always inline: left to itself, GCC made it a function once
 * the calendar's push got smaller, 30 instructions more per call
 * (callgrind, bench/sim). */
static inline __attribute__((always_inline)) void
route(struct sim *s, uint32_t slot, double t) {
    struct call *c = &s->calls[slot];
    int ni = c->a.target;
    int pi = pool_of(s, ni, c->a.option);
    struct number *n = &s->num[pi];
    if (!n->sc->queue.present) {
        c->state = CALL_TALK;
        c->rec.connect = t;
        c->rec.wait = 0;
        schedule(s, t + c->a.holding, slot, EV_END);
        if (s->adhoc) /* a call then costs no draw and no look-up */
            adhoc(s, slot, t);
        return;
    }
    c->qjoin = t;
    int agent = agent_pick(s, n);
    if (agent >= 0) {
        connect_agent(s, pi, slot, agent, t);
        return;
    }
    const struct bh_sc_queue *q = &n->sc->queue;
    if (q->max_length > 0 && n->qlive >= q->max_length) {
        /* queue full: busy */
        int32_t line = c->rec.line;
        struct bh_arrival a = c->a;
        struct bh_call_record r = c->rec;
        call_free(s, slot);
        line_release(s, ni, line, t);
        r.wait = 0;
        finish(s, &r, &a, BH_OUTCOME_BLOCKED, t);
        return;
    }
    c->state = CALL_QUEUED;
    if (queue_push(s, n, slot))
        return;
    double limit = q->max_wait > 0 ? q->max_wait : INFINITY;
    double d = c->a.patience < limit ? c->a.patience : limit;
    if (d < INFINITY)
        schedule(s, t + d, slot, EV_TIMEOUT);
}

/* A call to a number, its arrival already in slot (taken for it by the
 * loop, so that the model writes it in place). */
static void
arrive_number(struct sim *s, uint32_t slot) {
    struct call *c = &s->calls[slot];
    const struct bh_arrival *a = &c->a;
    int ni = a->target;
    struct number *n = &s->num[ni];
    double t = a->t;
    if (n->busy >= n->lines) {
        reject(s, a, t);
        call_return(s, slot);
        return;
    }
    record_init(s, &c->rec, a);
    c->rec.line = line_seize(s, n);
    number_level(s, ni, t);
    if (a->outbound) {
        /* a campaign attempt: ringing, then talk or give up */
        c->state = CALL_TALK;
        double end = t + a->ring;
        if (a->answers) {
            c->rec.answer = c->rec.connect = end;
            end += a->holding;
        }
        schedule(s, end, slot, EV_END);
        return;
    }
    c->rec.answer = t;
    if (n->sc->ivr.present && n->sc->ivr.menu_time > 0) {
        c->state = CALL_IVR;
        schedule(s, t + n->sc->ivr.menu_time, slot, EV_IVR);
        return;
    }
    route(s, slot, t);
}

/* ---- bridges ------------------------------------------------------- */

static void
arrive_bridge(struct sim *s, const struct bh_arrival *a) {
    int bi = a->target;
    struct bridge *b = &s->br[bi];
    double t = a->t;
    struct meeting *m = NULL;
    if (a->meeting) {
        /* a retrial may come after its meeting was settled: it then joins
         * as a plain participant, never re-creating the meeting (which
         * would never settle again) */
        m = meeting_find(s, a->meeting, a->attempt == 1);
        if (!m && s->err)
            return;
    }
    if (m) {
        if (m->size == 0) {
            m->size = a->meeting_size;
            m->start = a->meeting_start;
            m->bridge = bi;
        }
        if (a->attempt == 1)
            m->arrived++;
    }
    /* end_with_moderator: a participant of a meeting whose moderator has
     * left (or that has been settled) finds the room ended */
    int ended = b->sc->end_with_moderator && a->meeting && (!m || m->ended);
    int cap = b->sc->max_per_room;
    if (b->busy >= b->ports || (m && cap > 0 && (int)m->in_room >= cap)) {
        if (m)
            m->blocked = 1;
        reject(s, a, t);
        if (m)
            meeting_settle(s, m);
        return;
    }
    uint32_t slot = call_alloc(s);
    if (slot == NIL)
        return;
    struct call *c = &s->calls[slot];
    c->a = *a;
    record_init(s, &c->rec, a);
    b->busy++;
    c->rec.line = b->free_ports[--b->nfree];
    c->rec.answer = t;
    c->rec.connect = t + a->passcode;
    c->rec.wait = 0;
    c->state = CALL_TALK;
    double end = c->rec.connect + a->holding;
    if (m) {
        m->in_room++;
        if (end < a->meeting_end)
            end = a->meeting_end;
        if (b->sc->end_with_moderator && !m->has_mod) {
            m->has_mod = 1;
            m->mod_slot = slot;
            m->mod_gen = c->gen;
        }
    }
    if (ended)
        end = c->rec.connect; /* right after the passcode */
    schedule(s, end, slot, EV_END);
    bh_collector_level(s->col, BH_TARGET_BRIDGE, bi, t, b->busy, 0);
}

/* ---- events -------------------------------------------------------- */

static void on_end(struct sim *s, uint32_t slot, double t);

/* end_with_moderator: meeting id's moderator left at t; everyone else of
 * the meeting in the room leaves with it (their pending ends go stale with
 * their slots' generations), and those still keying the passcode leave
 * right after it. O(call slots), once per meeting and only on such
 * bridges. */
static void
end_meeting(struct sim *s, uint64_t id, double t) {
    for (uint32_t i = 0; i < s->ncalls; i++) {
        const struct call *c = &s->calls[i];
        if (c->state != CALL_TALK || c->a.target_kind != BH_TARGET_BRIDGE ||
            c->a.meeting != id)
            continue;
        if (c->rec.connect > t)
            schedule(s, c->rec.connect, i, EV_END);
        else
            on_end(s, i, t);
    }
}

static void
on_end(struct sim *s, uint32_t slot, double t) {
    /* the record and arrival are used in place: nothing below allocates a
     * call slot, so they stay where they are until call_free */
    struct call *c = &s->calls[slot];
    const struct bh_arrival *a = &c->a;
    struct bh_call_record *r = &c->rec;
    enum bh_outcome o = BH_OUTCOME_ANSWERED;
    if (a->target_kind == BH_TARGET_BRIDGE) {
        struct bridge *b = &s->br[a->target];
        b->busy--;
        b->free_ports[b->nfree++] = r->line;
        bh_collector_level(s->col, BH_TARGET_BRIDGE, a->target, t, b->busy, 0);
        finish(s, r, a, o, t);
        uint64_t meeting = a->meeting;
        uint32_t gen = c->gen;
        call_free(s, slot);
        if (meeting) {
            struct meeting *m = meeting_find(s, meeting, 0);
            if (!m)
                return;
            m->in_room--;
            if (m->has_mod && !m->ended && m->mod_slot == slot &&
                m->mod_gen == gen) {
                m->ended = 1;
                end_meeting(s, meeting, t);
                /* the others' ends may have settled (moved) it */
                m = meeting_find(s, meeting, 0);
            }
            if (m)
                meeting_settle(s, m);
        }
        return;
    }
    if (a->outbound && !a->answers)
        o = BH_OUTCOME_UNANSWERED;
    int ni = a->target;
    int agent = r->agent, option = a->option;
    line_release(s, ni, r->line, t);
    finish(s, r, a, o, t);
    call_free(s, slot);
    if (agent >= 0) {
        int pi = pool_of(s, ni, option);
        double wrap = s->num[pi].sc->queue.wrap_up;
        if (wrap > 0) {
            uint64_t data = ((uint64_t)(uint32_t)agent << 32) |
                            ((uint64_t)pi << 8) | EV_WRAP;
            if (bh_calendar_push(&s->cal, t + wrap, data))
                s->err = BH_ENOMEM;
        } else {
            agent_free(s, pi, agent, t);
        }
    }
}

static void
on_timeout(struct sim *s, uint32_t slot, double t) {
    struct call *c = &s->calls[slot];
    if (c->state != CALL_QUEUED)
        return;
    int ni = c->a.target;
    struct number *n = &s->num[pool_of(s, ni, c->a.option)];
    n->qlive--;
    struct bh_arrival a = c->a;
    struct bh_call_record r = c->rec;
    r.wait = t - c->qjoin;
    call_free(s, slot); /* its queue entry is now stale */
    double max_wait = n->sc->queue.max_wait;
    enum bh_outcome o = BH_OUTCOME_ABANDONED;
    if (max_wait > 0 && !(a.patience < max_wait))
        o = BH_OUTCOME_OVERFLOW;
    line_release(s, ni, r.line, t);
    finish(s, &r, &a, o, t);
}

static void
on_event(struct sim *s, const struct bh_event *e) {
    int kind = (int)(e->data & 0xff);
    if (kind == EV_WRAP) {
        agent_free(s, (int)((e->data >> 8) & 0xffffff), (int)(e->data >> 32),
                   e->t);
        return;
    }
    uint32_t slot = (uint32_t)(e->data >> 32);
    uint32_t gen = (uint32_t)((e->data >> 8) & 0xffffff);
    if (slot >= s->ncalls || s->calls[slot].gen != gen ||
        s->calls[slot].state == CALL_FREE)
        return; /* the call ended before this event */
    switch (kind) {
    case EV_END:
        on_end(s, slot, e->t);
        break;
    case EV_IVR:
        route(s, slot, e->t);
        break;
    case EV_LEG:
        on_leg(s, slot, e->t);
        break;
    case EV_TIMEOUT:
        on_timeout(s, slot, e->t);
        break;
    }
}

/* ---- setup and the loop ---------------------------------------------- */

static void
sim_clear(struct sim *s) {
    for (size_t i = 0; s->num && i < s->nnum; i++) {
        struct number *n = &s->num[i];
        free(n->free.bits);
        free(n->agent_busy);
        free(n->idle_since);
        free(n->agent_calls);
        free(n->idle_fifo);
        free(n->q);
    }
    for (size_t i = 0; s->br && i < s->sc->sw.nbridges; i++)
        free(s->br[i].free_ports);
    free(s->num);
    free(s->br);
    free(s->calls);
    free(s->mt);
    free(s->listens);
    bh_calendar_clear(&s->cal);
    bh_traffic_free(s->tm);
    gsl_rng_free(s->rng);
}

/* An operator pool of ops operators, all idle. */
static int
pool_init(struct number *n, int ops) {
    n->operators = ops;
    n->agent_busy = calloc((size_t)ops, 1);
    n->idle_since = calloc((size_t)ops, sizeof *n->idle_since);
    n->agent_calls = calloc((size_t)ops, sizeof *n->agent_calls);
    n->idle_fifo = malloc((size_t)ops * sizeof *n->idle_fifo);
    if (!n->agent_busy || !n->idle_since || !n->agent_calls || !n->idle_fifo)
        return BH_ENOMEM;
    for (int k = 0; k < ops; k++) {
        n->idle_fifo[k] = k;
        n->idle_since[k] = -INFINITY; /* idle longer than anyone freed */
    }
    n->idle_n = ops;
    n->rr = ops - 1;
    return 0;
}

static int
sim_setup(struct sim *s) {
    const struct bh_scenario *sc = s->sc;
    s->nnum = sc->sw.nnumbers;
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        s->nnum += sc->sw.numbers[i].ivr.noptions;
    s->num = calloc(s->nnum + 1, sizeof *s->num);
    s->br = calloc(sc->sw.nbridges + 1, sizeof *s->br);
    s->listens = calloc(sc->nsources + 1, 1);
    if (!s->num || !s->br || !s->listens)
        return BH_ENOMEM;
    for (size_t i = 0; i < sc->nsources; i++)
        s->listens[i] = (uint8_t)bh_traffic_listens(s->tm, i);
    size_t next_group = sc->sw.nnumbers;
    for (size_t i = 0; i < sc->sw.nnumbers; i++) {
        struct number *n = &s->num[i];
        n->sc = &sc->sw.numbers[i];
        n->lines = n->sc->lines;
        n->parent = (int)i;
        n->group0 = -1;
        int rc = line_set_init(&n->free, n->lines);
        if (rc)
            return rc;
        if (!n->sc->queue.present)
            continue;
        const struct bh_sc_ivr *v = &n->sc->ivr;
        if (v->noptions == 0) {
            if ((rc = pool_init(n, n->sc->queue.operators)))
                return rc;
            continue;
        }
        /* a pool per option: the number's queue settings, its operators */
        n->group0 = (int)next_group;
        for (size_t k = 0; k < v->noptions; k++) {
            struct number *g = &s->num[next_group++];
            g->sc = n->sc;
            g->parent = (int)i;
            g->group0 = -1;
            if ((rc = pool_init(g, v->options[k].operators)))
                return rc;
        }
    }
    for (size_t i = 0; i < sc->sw.nbridges; i++) {
        struct bridge *b = &s->br[i];
        b->sc = &sc->sw.bridges[i];
        b->ports = b->sc->ports;
        b->free_ports = malloc((size_t)b->ports * sizeof *b->free_ports);
        if (!b->free_ports)
            return BH_ENOMEM;
        for (int k = 0; k < b->ports; k++)
            b->free_ports[k] = b->ports - 1 - k;
        b->nfree = b->ports;
    }
    return 0;
}

int
bh_sim_replication(const struct bh_scenario *sc, uint64_t seed, int rep,
                   struct bh_collector *c, bh_sim_record_fn on_record,
                   void *arg, struct bh_sim_stats *stats) {
    struct sim s;
    memset(&s, 0, sizeof s);
    s.sc = sc;
    s.horizon = sc->horizon;
    s.col = c;
    s.on_record = on_record;
    s.arg = arg;
    s.rep = (uint32_t)rep;
    s.full_records = on_record != NULL || sc->tariffs.present;
    s.line_ids = on_record != NULL;
    s.free_head = NIL;
    for (size_t i = 0; i < sc->nsources; i++)
        if (sc->sources[i].adhoc.present)
            s.adhoc = 1;
    bh_calendar_init(&s.cal);
    int rc = bh_traffic_new(sc, seed, (uint32_t)rep, &s.tm);
    if (rc == 0) {
        s.rng = bh_traffic_stream(seed, (uint32_t)rep, 0);
        rc = s.rng ? sim_setup(&s) : BH_ENOMEM;
    }
    if (rc == 0)
        rc = bh_collector_begin(c, rep);
    if (rc) {
        sim_clear(&s);
        return rc;
    }
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        number_level(&s, (int)i, 0);
    for (size_t i = 0; i < sc->sw.nbridges; i++)
        bh_collector_level(c, BH_TARGET_BRIDGE, (int)i, 0, 0, 0);
    /* Arrivals stop at the horizon; calls in progress then run to their
     * end, so every loop below ends: each event either ends a call or
     * moves it on, and no new call comes after the horizon. */
    struct bh_event e;
    double ta = 0;
    s.stale = 1;
    while (!s.err) {
        if (s.stale) { /* taking or finishing an arrival may change it */
            ta = bh_traffic_peek(s.tm, s.horizon);
            s.stale = 0;
        }
        if (s.cal.n > 0 && bh_calendar_top(&s.cal) <= ta) {
            bh_calendar_pop(&s.cal, &e);
            s.events++;
            on_event(&s, &e);
        } else if (ta < s.horizon) {
            /* the model writes the arrival straight into a call slot
             * (one copy of it fewer per call) */
            uint32_t slot = call_alloc(&s);
            if (slot == NIL)
                break;
            struct bh_arrival *a = &s.calls[slot].a;
            s.stale = 1;
            if (!bh_traffic_next(s.tm, s.horizon, a)) {
                call_return(&s, slot);
                break;
            }
            s.events++;
            if (a->target_kind == BH_TARGET_NUMBER) {
                arrive_number(&s, slot);
            } else {
                struct bh_arrival b = *a;
                call_return(&s, slot);
                arrive_bridge(&s, &b);
            }
        } else {
            break;
        }
    }
    rc = s.err;
    if (rc == 0)
        rc = bh_collector_end(c, s.horizon);
    if (stats) {
        stats->events += s.events;
        stats->calls += s.attempts;
    }
    sim_clear(&s);
    return rc;
}
