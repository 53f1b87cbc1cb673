/* test_conformance.c: the simulator and the switch choose alike: on the same
 * trace, sim/ and the switch's line group and ACD queue (switch/lines.c,
 * switch/acd.c) take the same line, block the same callers, serve the queue
 * in the same order and give each caller the same operator at the same
 * moment, for every queue strategy.
 *
 * The trace is one replication of a random scenario (seeded): the
 * simulator runs it and its call records are replayed into the switch's
 * pieces in time order as inputs: arrivals, the end of the IVR, callers who
 * hang up while waiting, hang-ups after talking. What the switch decides
 * (the line seized or busy, the queue full, RING, OVERFLOW) is compared with
 * the records, and after every step so are every operator's state, its
 * answered calls, the queue length and the busy lines.
 *
 * With ring-all the switch rings every free operator and whoever answers
 * first takes the call; the simulator draws that operator at random among
 * the idle ones. Compared: the operators rung are exactly the simulator's
 * idle ones, and the one it drew is among them (and answers here).
 *
 * Only what both model is in the trace. The scenario gives operators no
 * answer delay and no refusal, so the simulator's operators answer the
 * moment they are offered a call and its ring timeout never fires; here
 * the switch's operators answer at once too (ring_timeout, refusals and
 * resting are tested in tests/unit/switch/test_acd.c alone). Times are
 * continuous, so no two calls' events fall on the same instant, where
 * either side's order of handling would decide. */
#include "sim.h"
#include "sim_testutil.h"
#include "switch.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TRACES 16     /* random scenarios (seeds) per strategy */
#define ATTEMPTS 2500 /* offered to the number per trace, about */
#define MAX_OPS 12    /* operators of a trace, at most */

/* ---- the trace: the simulator's records of one replication ------------ */

struct trace {
    struct bh_call_record *r; /* owned, by id: r[id - 1] */
    size_t n, cap;
};

static void
keep(void *arg, const struct bh_call_record *rec) {
    struct trace *t = arg;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->r = realloc(t->r, t->cap * sizeof *t->r);
        assert_non_null(t->r);
    }
    t->r[t->n++] = *rec;
}

static int
by_id(const void *a, const void *b) {
    const struct bh_call_record *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static struct bh_dist
random_dist(gsl_rng *g, double mean) {
    struct bh_dist d = texp(mean);
    switch (gsl_rng_uniform_int(g, 4)) {
    case 0:
        break;
    case 1:
        d = tdist(BH_DIST_LOGNORMAL, mean, mean * (0.3 + gsl_rng_uniform(g)));
        break;
    case 2:
        d = tdist(BH_DIST_UNIFORM, 0, 0);
        d.min = mean / 2;
        d.max = mean * 3 / 2;
        break;
    default:
        d = tdist(BH_DIST_DETERMINISTIC, mean, 0);
        break;
    }
    return d;
}

/* One number with a queue of the given strategy. Trace j of a strategy
 * has a queue limit if bit 0 of j is set, a wait limit if bit 1 is, and
 * callers with patience if bit 2 is, so that each strategy sees every mix;
 * operators, lines, load, holding and patience times, IVR, wrap-up,
 * retrials, a campaign and ad-hoc dial-out legs on the same lines are
 * drawn from g. */
static struct bh_scenario *
random_scenario(gsl_rng *g, enum bh_strategy st, unsigned long j) {
    int ops = 1 + (int)gsl_rng_uniform_int(g, MAX_OPS);
    int lines = ops + (int)gsl_rng_uniform_int(g, (unsigned long)ops + 6);
    if (gsl_rng_uniform(g) < 0.25) /* fewer lines than operators */
        lines = ops - (int)gsl_rng_uniform_int(g, 3);
    double hold = 30 + 270 * gsl_rng_uniform(g);
    double wrap = gsl_rng_uniform(g) < 0.5 ? 0 : 1 + 29 * gsl_rng_uniform(g);
    double load = 0.5 + gsl_rng_uniform(g); /* Erlangs per operator */
    double per_hour = load * ops * 3600 / (hold + wrap);
    double horizon = ATTEMPTS * 3600 / per_hour;
    struct bh_scenario *sc = tsc_new(horizon, horizon, 0);
    int ni = tsc_number(sc, "desk", lines < 1 ? 1 : lines);
    int max_length = j & 1 ? 1 + (int)gsl_rng_uniform_int(g, 4) : 0;
    double max_wait = j & 2 ? 10 + 190 * gsl_rng_uniform(g) : 0;
    tsc_queue(sc, ni, ops, max_length, max_wait, wrap);
    struct bh_sc_number *n = &sc->sw.numbers[ni];
    n->queue.strategy = st;
    n->queue.ring_timeout = 15;
    if (gsl_rng_uniform(g) < 0.5) {
        n->ivr.present = true;
        n->ivr.menu_time = 2 + 18 * gsl_rng_uniform(g);
    }
    struct bh_sc_source *s =
        tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni,
                  per_hour, random_dist(g, hold));
    if (j & 4) {
        s->has_patience = true;
        s->patience = random_dist(g, 20 + 280 * gsl_rng_uniform(g));
    }
    if (gsl_rng_uniform(g) < 0.3) {
        s->retry.present = true;
        s->retry.probability = 0.5;
        s->retry.delay = texp(60);
        s->retry.max_attempts = 3;
    }
    if (gsl_rng_uniform(g) < 0.25) {
        s->adhoc.present = true;
        s->adhoc.probability = 0.3;
        s->adhoc.added = tdist(BH_DIST_DETERMINISTIC, 1, 0);
    }
    if (gsl_rng_uniform(g) < 0.25) {
        struct bh_sc_source *c =
            tsc_calls(sc, "dialer", BH_SOURCE_CAMPAIGN, BH_TARGET_NUMBER, ni,
                      per_hour / 5, texp(60));
        c->campaign.answer_probability = 0.6;
        c->campaign.ring = tdist(BH_DIST_UNIFORM, 0, 0);
        c->campaign.ring.min = 5;
        c->campaign.ring.max = 25;
    }
    char msg[256];
    if (bh_sim_check(sc, msg, sizeof msg))
        fail_msg("random scenario: %s", msg);
    return sc;
}

/* ---- the replay into the switch's line group and queue ----------------- */

/* Inputs, in the order of a record's life: the INVITE, the end of the IVR
 * (joining the queue), the hang-up (after talking or while waiting). */
enum input_kind { IN_ARRIVE, IN_JOIN, IN_END };

struct input {
    double t;
    uint64_t id;
    int kind;
};

static int
by_time(const void *a, const void *b) {
    const struct input *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->kind - y->kind;
}

/* What the simulator's records say each operator does, for the state
 * comparison: talking until `end`, then wrap-up until `free`. */
struct mirror_op {
    double end, free;
    long calls;
};

/* What a test's traces did, for its summary. */
struct counts {
    long attempts, events, choices, contested, seized, line_busy, queue_full,
        overflows, left;
};

struct replay {
    const char *strategy;
    unsigned long seed;
    const struct bh_scenario *sc;
    const struct trace *tr;
    struct bh_switch_lines *lines;
    struct bh_switch_acd *acd;
    int ops;
    double wrap, menu;
    double now;
    struct mirror_op op[MAX_OPS];
    size_t waiting;  /* callers in the queue by the records */
    int busy;        /* lines held by the records */
    uint8_t *done;   /* per record: connected, overflowed or left */
    struct counts n; /* for the summary */
};

static void
mismatch(const struct replay *p, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s seed %lu t=%.9g: ", p->strategy, p->seed, p->now);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fail();
}

static const struct bh_call_record *
record(const struct replay *p, uint64_t id) {
    if (id < 1 || id > p->tr->n)
        mismatch(p, "the switch names call %llu, not in the trace",
                 (unsigned long long)id);
    return &p->tr->r[id - 1];
}

static void
release_line(struct replay *p, const struct bh_call_record *r) {
    if (bh_switch_lines_release(p->lines, r->line))
        mismatch(p, "call %llu: line %d was not busy in the switch",
                 (unsigned long long)r->id, (int)r->line);
    p->busy--;
}

static enum bh_switch_op_state
mirror_state(const struct replay *p, int i) {
    if (p->op[i].end > p->now)
        return BH_SWITCH_OP_BUSY;
    if (p->op[i].free > p->now)
        return BH_SWITCH_OP_WRAPUP;
    return BH_SWITCH_OP_FREE;
}

/* RINGs for one caller (one, or every free operator for ring-all): the
 * operator the simulator gave the caller answers at once. */
static void
answer(struct replay *p, const struct bh_switch_acd_action *ring, size_t n) {
    uint64_t id = ring[0].call;
    const struct bh_call_record *r = record(p, id);
    if (r->outbound || r->outcome != BH_OUTCOME_ANSWERED || p->done[id - 1])
        mismatch(p,
                 "the switch offers call %llu to operator %d; the "
                 "simulator's call has outcome %d%s",
                 (unsigned long long)id, ring[0].op, r->outcome,
                 p->done[id - 1] ? " and was served already" : "");
    /* exact: both sides add the same durations to the same times */
    if (r->connect != p->now)
        mismatch(p,
                 "call %llu: the switch offers it now, the simulator "
                 "connected it at %.9g",
                 (unsigned long long)id, r->connect);
    int answered = 0;
    for (size_t k = 0; k < n; k++) {
        if (mirror_state(p, ring[k].op) != BH_SWITCH_OP_FREE)
            mismatch(p,
                     "call %llu: the switch rings operator %d, busy in "
                     "the simulator",
                     (unsigned long long)id, ring[k].op);
        answered |= ring[k].op == r->agent;
    }
    if (!answered)
        mismatch(p,
                 "call %llu: the switch offers it to operator %d, the "
                 "simulator gave it operator %d",
                 (unsigned long long)id, ring[0].op, (int)r->agent);
    /* ring-all rings every free operator: exactly the simulator's idle
     * ones (offers are answered at once, so none is ringing for another
     * caller); the others ring one operator */
    int free_ops = 0;
    for (int i = 0; i < p->ops; i++)
        free_ops += mirror_state(p, i) == BH_SWITCH_OP_FREE;
    int ring_all = p->sc->sw.numbers[0].queue.strategy == BH_STRATEGY_RING_ALL;
    if ((int)n != (ring_all ? free_ops : 1))
        mismatch(p,
                 "call %llu: the switch rings %zu operators, %d are idle "
                 "in the simulator",
                 (unsigned long long)id, n, free_ops);
    struct bh_switch_acd_action cancel[MAX_OPS];
    int nc = bh_switch_acd_answered(p->acd, r->agent, p->now, cancel, MAX_OPS);
    if (nc != (int)n - 1)
        mismatch(p, "call %llu: %d operators cancelled, %zu rang",
                 (unsigned long long)id, nc, n);
    struct mirror_op *o = &p->op[r->agent];
    o->end = r->end;
    o->free = r->end + p->wrap;
    o->calls++;
    p->waiting--;
    p->done[id - 1] = 1;
    p->n.choices++;
    p->n.contested += free_ops > 1; /* the strategy had a choice */
}

static void
overflowed(struct replay *p, uint64_t id) {
    const struct bh_call_record *r = record(p, id);
    if (r->outcome != BH_OUTCOME_OVERFLOW || r->end != p->now ||
        p->done[id - 1])
        mismatch(p,
                 "the switch overflows call %llu; the simulator's has "
                 "outcome %d at %.9g",
                 (unsigned long long)id, r->outcome, r->end);
    release_line(p, r);
    p->waiting--;
    p->done[id - 1] = 1;
    p->n.overflows++;
}

/* Advances the queue to now, handling what it decides. */
static void
advance(struct replay *p) {
    struct bh_switch_acd_action act[2 * MAX_OPS + 2];
    size_t n;
    do {
        n = bh_switch_acd_poll(p->acd, p->now, act, 2 * MAX_OPS + 2);
        for (size_t k = 0; k < n;) {
            p->n.events++;
            if (act[k].kind == BH_SWITCH_ACD_OVERFLOW) {
                overflowed(p, act[k++].call);
                continue;
            }
            if (act[k].kind != BH_SWITCH_ACD_RING)
                mismatch(p,
                         "the switch cancels an offer of call %llu "
                         "(operators here answer at once)",
                         (unsigned long long)act[k].call);
            size_t j = k + 1;
            while (j < n && act[j].kind == BH_SWITCH_ACD_RING &&
                   act[j].call == act[k].call)
                j++;
            answer(p, act + k, j - k);
            k = j;
        }
    } while (n > 0);
}

static void
seize(struct replay *p, const struct bh_call_record *r) {
    int line = bh_switch_lines_seize(p->lines);
    if (r->line < 0) {
        if (r->outcome != BH_OUTCOME_BLOCKED || line != BH_ERANGE)
            mismatch(p,
                     "call %llu: the simulator found no line, the switch "
                     "gave it line %d",
                     (unsigned long long)r->id, line);
        p->n.line_busy++;
        return;
    }
    if (line != r->line)
        mismatch(p,
                 "call %llu: the switch seizes line %d, the simulator "
                 "line %d",
                 (unsigned long long)r->id, line, (int)r->line);
    p->busy++;
    p->n.seized++;
}

static void
join_queue(struct replay *p, const struct bh_call_record *r) {
    int rc = bh_switch_acd_enqueue(p->acd, r->id, p->now);
    if (r->outcome == BH_OUTCOME_BLOCKED) {
        /* the queue was full: busy, the line given back */
        if (rc != BH_ERANGE || r->end != p->now)
            mismatch(p,
                     "call %llu: the simulator's queue was full, the "
                     "switch's enqueue says: %s",
                     (unsigned long long)r->id, rc ? bh_strerror(rc) : "ok");
        release_line(p, r);
        p->n.queue_full++;
        return;
    }
    if (rc != 0)
        mismatch(p, "call %llu: the switch refuses it the queue: %s",
                 (unsigned long long)r->id, bh_strerror(rc));
    p->waiting++;
}

static void
hang_up(struct replay *p, const struct bh_call_record *r) {
    if (r->outbound || !p->acd) { /* no queue: the line only */
        release_line(p, r);
        return;
    }
    if (r->outcome == BH_OUTCOME_ABANDONED) {
        if (bh_switch_acd_leave(p->acd, r->id) != 0)
            mismatch(p,
                     "call %llu hangs up waiting; the switch no longer "
                     "has it in the queue",
                     (unsigned long long)r->id);
        release_line(p, r);
        p->waiting--;
        p->done[r->id - 1] = 1;
        p->n.left++;
        return;
    }
    if (!p->done[r->id - 1] ||
        bh_switch_acd_hangup(p->acd, r->agent, p->now) != 0)
        mismatch(p,
                 "call %llu ends; the switch did not connect it to "
                 "operator %d",
                 (unsigned long long)r->id, (int)r->agent);
    release_line(p, r);
}

/* After every step both sides agree on every operator, the queue and the
 * lines. */
static void
compare_state(const struct replay *p) {
    for (int i = 0; i < p->ops; i++) {
        enum bh_switch_op_state s = bh_switch_acd_op_state(p->acd, i);
        if (s != mirror_state(p, i))
            mismatch(p,
                     "operator %d is in state %d in the switch, %d in the "
                     "simulator",
                     i, s, mirror_state(p, i));
        if (bh_switch_acd_op_calls(p->acd, i) != p->op[i].calls)
            mismatch(p,
                     "operator %d answered %ld calls in the switch, %ld "
                     "in the simulator",
                     i, bh_switch_acd_op_calls(p->acd, i), p->op[i].calls);
    }
    if (p->acd && bh_switch_acd_waiting(p->acd) != p->waiting)
        mismatch(p, "%zu callers wait in the switch, %zu in the simulator",
                 bh_switch_acd_waiting(p->acd), p->waiting);
    if (bh_switch_lines_busy(p->lines) != p->busy)
        mismatch(p, "%d lines busy in the switch, %d in the simulator",
                 bh_switch_lines_busy(p->lines), p->busy);
}

/* The inputs of a trace, in time order. */
static struct input *
inputs(const struct replay *p, size_t *count) {
    const struct trace *tr = p->tr;
    struct input *in = calloc(3 * tr->n + 1, sizeof *in);
    assert_non_null(in);
    size_t n = 0;
    for (size_t i = 0; i < tr->n; i++) {
        const struct bh_call_record *r = &tr->r[i];
        assert_int_equal(r->id, i + 1);
        assert_int_equal(r->target_kind, BH_TARGET_NUMBER);
        in[n++] = (struct input){r->arrival, r->id, IN_ARRIVE};
        if (r->line < 0)
            continue;
        if (!r->outbound && p->acd)
            in[n++] = (struct input){r->arrival + p->menu, r->id, IN_JOIN};
        /* overflows come from the switch; the queue-full block is the
         * join's answer */
        if (r->outcome != BH_OUTCOME_OVERFLOW &&
            (r->outbound || !p->acd || r->outcome != BH_OUTCOME_BLOCKED))
            in[n++] = (struct input){r->end, r->id, IN_END};
    }
    qsort(in, n, sizeof *in, by_time);
    *count = n;
    return in;
}

static void
input(struct replay *p, const struct input *in) {
    const struct bh_call_record *r = &p->tr->r[in->id - 1];
    if (in->t < p->now)
        mismatch(p, "inputs out of order");
    p->now = in->t;
    switch (in->kind) {
    case IN_ARRIVE:
        seize(p, r);
        break;
    case IN_JOIN:
        join_queue(p, r);
        break;
    default:
        hang_up(p, r);
        break;
    }
    p->n.events++;
    if (p->acd)
        advance(p);
}

/* Feeds the trace to the switch's pieces in time order, with the queue's
 * own timer (its deadline) in between, as the switch arms it. */
static void
run(struct replay *p) {
    size_t nin, k = 0;
    struct input *in = inputs(p, &nin);
    p->done = calloc(p->tr->n + 1, 1);
    assert_non_null(p->done);
    for (int i = 0; i < p->ops; i++)
        p->op[i] = (struct mirror_op){-INFINITY, -INFINITY, 0};
    for (;;) {
        double due = p->acd ? bh_switch_acd_deadline(p->acd) : INFINITY;
        double next = k < nin ? in[k].t : INFINITY;
        if (due == INFINITY && k == nin)
            break;
        if (due <= next) {
            if (due > p->now)
                p->now = due;
            long before = p->n.events;
            advance(p);
            if (p->n.events == before &&
                bh_switch_acd_deadline(p->acd) <= p->now)
                mismatch(p, "the switch's queue is due but does nothing");
        } else {
            input(p, &in[k++]);
        }
        compare_state(p);
    }
    for (size_t i = 0; i < p->tr->n; i++) {
        const struct bh_call_record *r = &p->tr->r[i];
        int queued = p->acd && !r->outbound && r->line >= 0 &&
                     r->outcome != BH_OUTCOME_BLOCKED;
        if (queued && !p->done[i])
            mismatch(p,
                     "call %llu (outcome %d) never left the switch's "
                     "queue",
                     (unsigned long long)r->id, r->outcome);
    }
    assert_int_equal(p->waiting, 0);
    assert_int_equal(p->busy, 0);
    free(p->done);
    free(in);
}

/* Runs sc's one replication with seed and replays it; adds its counts to
 * sum. */
static void
trace(const char *name, const struct bh_scenario *sc, unsigned long seed,
      struct counts *sum) {
    struct bh_collector *c;
    struct trace tr = {0};
    assert_int_equal(bh_collector_new(sc, BH_SOURCE_SIM, &c), 0);
    assert_int_equal(bh_sim_replication(sc, seed, 0, c, keep, &tr, NULL), 0);
    qsort(tr.r, tr.n, sizeof *tr.r, by_id);
    const struct bh_sc_number *n = &sc->sw.numbers[0];
    struct replay p = {.strategy = name, .seed = seed, .sc = sc, .tr = &tr};
    assert_int_equal(bh_switch_lines_new(n->lines, &p.lines), 0);
    if (n->queue.present) {
        p.ops = n->queue.operators;
        p.wrap = n->queue.wrap_up;
        p.menu = n->ivr.present ? n->ivr.menu_time : 0;
        assert_int_equal(bh_switch_acd_new(&n->queue, p.ops, &p.acd), 0);
    }
    run(&p);
    sum->attempts += (long)tr.n;
    sum->events += p.n.events;
    sum->choices += p.n.choices;
    sum->contested += p.n.contested;
    sum->seized += p.n.seized;
    sum->line_busy += p.n.line_busy;
    sum->queue_full += p.n.queue_full;
    sum->overflows += p.n.overflows;
    sum->left += p.n.left;
    bh_switch_acd_free(p.acd);
    bh_switch_lines_free(p.lines);
    bh_collector_free(c);
    free(tr.r);
}

/* ---- the tests --------------------------------------------------------- */

/* One strategy (the test's state) on TRACES random scenarios. */
static void
strategy(void **state) {
    enum bh_strategy st = *(const enum bh_strategy *)*state;
    const char *name = bh_strategy_name(st);
    struct counts sum = {0};
    for (unsigned long j = 0; j < TRACES; j++) {
        unsigned long seed = 1000 * (unsigned long)(st + 1) + j;
        gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
        assert_non_null(g);
        gsl_rng_set(g, seed);
        struct bh_scenario *sc = random_scenario(g, st, j);
        gsl_rng_free(g);
        trace(name, sc, seed, &sum);
        tsc_free(sc);
    }
    printf("  %-12s %d traces: %ld attempts, %ld events, %ld operator "
           "choices (%ld among several idle), %ld lines seized, %ld found "
           "no line, %ld queue full, %ld overflowed, %ld hung up waiting\n",
           name, TRACES, sum.attempts, sum.events, sum.choices, sum.contested,
           sum.seized, sum.line_busy, sum.queue_full, sum.overflows, sum.left);
    /* every kind of fate occurred, so each was compared */
    assert_true(sum.contested > 1000 && sum.line_busy > 0 &&
                sum.queue_full > 0 && sum.overflows > 0 && sum.left > 0);
}

/* Line seizure on trunks of one to four levels of the simulator's free-line
 * bitmap (64, 4,096, 262,144 lines per level): numbers without a queue,
 * near or past their capacity, so lines are taken and given back all over
 * the trunk; the biggest is far from full but still walks every level. */
static void
trunks(void **state) {
    (void)state;
    static const int lines[] = {40, 3000, 6000, 300000};
    struct counts sum = {0};
    for (unsigned long j = 0; j < sizeof lines / sizeof *lines; j++) {
        unsigned long seed = 9000 + j;
        double hold = 120, erlangs = lines[j] <= 6000 ? lines[j] * 1.02 : 5000;
        struct bh_scenario *sc = tsc_new(6 * hold, 6 * hold, 0);
        int ni = tsc_number(sc, "trunk", lines[j]);
        tsc_calls(sc, "callers", BH_SOURCE_CALLS, BH_TARGET_NUMBER, ni,
                  erlangs * 3600 / hold, texp(hold));
        trace("trunk", sc, seed, &sum);
        tsc_free(sc);
    }
    printf("  %ld attempts: %ld lines seized, %ld found no line\n",
           sum.attempts, sum.seized, sum.line_busy);
    assert_true(sum.seized > 10000 && sum.line_busy > 0);
}

int
main(void) {
    static const enum bh_strategy st[] = {
        BH_STRATEGY_LONGEST_IDLE, BH_STRATEGY_ROUND_ROBIN, BH_STRATEGY_RING_ALL,
        BH_STRATEGY_FEWEST_CALLS};
    const struct CMUnitTest tests[] = {
        {"longest-idle", strategy, NULL, NULL, (void *)&st[0]},
        {"round-robin", strategy, NULL, NULL, (void *)&st[1]},
        {"ring-all", strategy, NULL, NULL, (void *)&st[2]},
        {"fewest-calls", strategy, NULL, NULL, (void *)&st[3]},
        cmocka_unit_test(trunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
