/* acd.c: the ACD queue as pure logic: callers wait in arrival order and the
 * first free operator, chosen by the queue's strategy, answers. */
#include "switch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct op {
    enum bh_switch_op_state state;
    uint64_t call;     /* RINGING/BUSY: the caller */
    double until;      /* RINGING: ring deadline; WRAPUP/RESTING: end */
    double idle_since; /* when it last became free, for longest-idle */
    long calls;        /* answered calls, for fewest-calls */
};

struct waiter {
    uint64_t call;
    double since;
    int offered; /* operators ringing for this caller now */
};

struct bh_switch_acd {
    struct bh_sc_queue q; /* copy; contacts not used here */
    double rest;          /* s an operator rests after a missed offer */
    int nops;
    struct op *ops; /* owned, nops */
    int last;       /* round-robin: the operator offered last */
    /* Waiting callers in arrival order. Removal from the middle (abandon,
     * answer) is a memmove: O(queue length), bounded by max_length or
     * BH_SWITCH_MAX_QUEUE, and queues of interest are short. */
    size_t nwait, capwait;
    struct waiter *wait; /* owned */
};

int
bh_switch_acd_new(const struct bh_sc_queue *q, int operators,
                  struct bh_switch_acd **out) {
    *out = NULL;
    if (operators < 0 || operators > BH_SWITCH_MAX_OPERATORS)
        return BH_ERANGE;
    if (q->max_length < 0 || q->max_length > BH_SWITCH_MAX_QUEUE ||
        q->max_wait < 0 || q->wrap_up < 0 || q->ring_timeout < 0)
        return BH_ERANGE;
    struct bh_switch_acd *a = calloc(1, sizeof *a);
    if (!a)
        return BH_ENOMEM;
    a->q = *q;
    a->q.contacts = NULL;
    a->q.ncontacts = 0;
    a->rest = q->ring_timeout > 0 ? q->ring_timeout : 1.0;
    a->nops = operators;
    a->ops = calloc((size_t)operators + 1, sizeof *a->ops);
    if (!a->ops) {
        free(a);
        return BH_ENOMEM;
    }
    for (int i = 0; i < operators; i++)
        a->ops[i].idle_since = -INFINITY;
    a->last = -1;
    *out = a;
    return 0;
}

void
bh_switch_acd_free(struct bh_switch_acd *a) {
    if (!a)
        return;
    free(a->ops);
    free(a->wait);
    free(a);
}

static long
find_waiter(const struct bh_switch_acd *a, uint64_t call) {
    for (size_t i = 0; i < a->nwait; i++)
        if (a->wait[i].call == call)
            return (long)i;
    return -1;
}

static void
remove_waiter(struct bh_switch_acd *a, size_t i) {
    memmove(&a->wait[i], &a->wait[i + 1], (a->nwait - i - 1) * sizeof *a->wait);
    a->nwait--;
}

int
bh_switch_acd_enqueue(struct bh_switch_acd *a, uint64_t call, double now) {
    size_t limit = a->q.max_length > 0 ? (size_t)a->q.max_length
                                       : (size_t)BH_SWITCH_MAX_QUEUE;
    if (a->nwait >= limit)
        return BH_ERANGE;
    if (call == 0 || find_waiter(a, call) >= 0)
        return BH_EINVAL;
    if (a->nwait == a->capwait) {
        size_t cap = a->capwait ? a->capwait * 2 : 16;
        struct waiter *w = realloc(a->wait, cap * sizeof *w);
        if (!w)
            return BH_ENOMEM;
        a->wait = w;
        a->capwait = cap;
    }
    a->wait[a->nwait++] = (struct waiter){call, now, 0};
    return 0;
}

static void
set_free(struct op *o, double now) {
    o->state = BH_SWITCH_OP_FREE;
    o->call = 0;
    o->idle_since = now;
}

int
bh_switch_acd_leave(struct bh_switch_acd *a, uint64_t call) {
    long w = find_waiter(a, call);
    if (w < 0)
        return BH_ENOENT;
    for (int i = 0; i < a->nops; i++) {
        struct op *o = &a->ops[i];
        /* An operator rung for a caller who gave up did no work: it keeps
         * its place for longest-idle. */
        if (o->state == BH_SWITCH_OP_RINGING && o->call == call) {
            o->state = BH_SWITCH_OP_FREE;
            o->call = 0;
        }
    }
    remove_waiter(a, (size_t)w);
    return 0;
}

/* The free operator the strategy picks, or -1. ring-all is handled by the
 * caller (every free operator). */
static int
pick(struct bh_switch_acd *a) {
    int best = -1;
    switch (a->q.strategy) {
    case BH_STRATEGY_ROUND_ROBIN:
        for (int k = 1; k <= a->nops; k++) {
            int i = (a->last + k) % a->nops;
            if (i < 0)
                i += a->nops;
            if (a->ops[i].state == BH_SWITCH_OP_FREE)
                return i;
        }
        return -1;
    case BH_STRATEGY_FEWEST_CALLS:
        for (int i = 0; i < a->nops; i++) {
            const struct op *o = &a->ops[i];
            if (o->state != BH_SWITCH_OP_FREE)
                continue;
            if (best < 0 || o->calls < a->ops[best].calls ||
                (o->calls == a->ops[best].calls &&
                 o->idle_since < a->ops[best].idle_since))
                best = i;
        }
        return best;
    case BH_STRATEGY_LONGEST_IDLE:
    case BH_STRATEGY_RING_ALL:
    default:
        for (int i = 0; i < a->nops; i++) {
            const struct op *o = &a->ops[i];
            if (o->state != BH_SWITCH_OP_FREE)
                continue;
            if (best < 0 || o->idle_since < a->ops[best].idle_since)
                best = i;
        }
        return best;
    }
}

static void
ring(struct bh_switch_acd *a, int i, struct waiter *w, double now) {
    struct op *o = &a->ops[i];
    o->state = BH_SWITCH_OP_RINGING;
    o->call = w->call;
    o->until = a->q.ring_timeout > 0 ? now + a->q.ring_timeout : INFINITY;
    w->offered++;
    a->last = i;
}

size_t
bh_switch_acd_poll(struct bh_switch_acd *a, double now,
                   struct bh_switch_acd_action *out, size_t max) {
    size_t n = 0;
    if (max == 0)
        return 0;
    /* Operators whose wrap-up, rest or ring time is over. */
    for (int i = 0; i < a->nops; i++) {
        struct op *o = &a->ops[i];
        if ((o->state == BH_SWITCH_OP_WRAPUP ||
             o->state == BH_SWITCH_OP_RESTING) &&
            o->until <= now) {
            set_free(o, o->until);
        } else if (o->state == BH_SWITCH_OP_RINGING && o->until <= now) {
            /* Ring timeout: skip the operator and rest it; the caller
             * keeps its place at the front of the queue. */
            out[n++] =
                (struct bh_switch_acd_action){BH_SWITCH_ACD_CANCEL, o->call, i};
            long w = find_waiter(a, o->call);
            if (w >= 0)
                a->wait[w].offered--;
            o->state = BH_SWITCH_OP_RESTING;
            o->call = 0;
            o->until = now + a->rest;
            if (n == max)
                return n;
        }
    }
    /* max_wait: the caller leaves with busy (overflow). Callers are in
     * arrival order, so only the front can be due. */
    while (a->q.max_wait > 0 && a->nwait > 0 &&
           a->wait[0].since + a->q.max_wait <= now) {
        uint64_t call = a->wait[0].call;
        for (int i = 0; i < a->nops && a->wait[0].offered > 0; i++) {
            struct op *o = &a->ops[i];
            if (o->state == BH_SWITCH_OP_RINGING && o->call == call) {
                if (n == max)
                    return n;
                out[n++] = (struct bh_switch_acd_action){BH_SWITCH_ACD_CANCEL,
                                                         call, i};
                o->state = BH_SWITCH_OP_FREE;
                o->call = 0;
                a->wait[0].offered--;
            }
        }
        if (n == max)
            return n;
        out[n++] =
            (struct bh_switch_acd_action){BH_SWITCH_ACD_OVERFLOW, call, -1};
        remove_waiter(a, 0);
    }
    /* ring-all: every free operator rings for the first caller, also
     * operators that come free while it rings; the callers behind it wait
     * until it is answered. */
    if (a->q.strategy == BH_STRATEGY_RING_ALL) {
        if (a->nwait == 0)
            return n;
        for (int i = 0; i < a->nops; i++) {
            if (a->ops[i].state != BH_SWITCH_OP_FREE)
                continue;
            if (n == max)
                return n;
            ring(a, i, &a->wait[0], now);
            out[n++] = (struct bh_switch_acd_action){BH_SWITCH_ACD_RING,
                                                     a->wait[0].call, i};
        }
        return n;
    }
    /* Offers, in arrival order. */
    for (size_t k = 0; k < a->nwait; k++) {
        struct waiter *w = &a->wait[k];
        if (w->offered > 0)
            continue;
        int i = pick(a);
        if (i < 0)
            break;
        if (n == max)
            return n;
        ring(a, i, w, now);
        out[n++] =
            (struct bh_switch_acd_action){BH_SWITCH_ACD_RING, w->call, i};
    }
    return n;
}

int
bh_switch_acd_answered(struct bh_switch_acd *a, int op, double now,
                       struct bh_switch_acd_action *out, size_t max) {
    if (op < 0 || op >= a->nops || a->ops[op].state != BH_SWITCH_OP_RINGING)
        return BH_ESTATE;
    struct op *o = &a->ops[op];
    uint64_t call = o->call;
    o->state = BH_SWITCH_OP_BUSY;
    o->calls++;
    size_t n = 0;
    for (int i = 0; i < a->nops; i++) {
        struct op *x = &a->ops[i];
        if (i != op && x->state == BH_SWITCH_OP_RINGING && x->call == call) {
            x->state = BH_SWITCH_OP_FREE;
            x->call = 0;
            if (n < max)
                out[n++] = (struct bh_switch_acd_action){BH_SWITCH_ACD_CANCEL,
                                                         call, i};
        }
    }
    long w = find_waiter(a, call);
    if (w >= 0)
        remove_waiter(a, (size_t)w);
    (void)now;
    return (int)n;
}

int
bh_switch_acd_refused(struct bh_switch_acd *a, int op, double now) {
    if (op < 0 || op >= a->nops || a->ops[op].state != BH_SWITCH_OP_RINGING)
        return BH_ESTATE;
    struct op *o = &a->ops[op];
    long w = find_waiter(a, o->call);
    if (w >= 0)
        a->wait[w].offered--;
    o->state = BH_SWITCH_OP_RESTING;
    o->call = 0;
    o->until = now + a->rest;
    return 0;
}

int
bh_switch_acd_hangup(struct bh_switch_acd *a, int op, double now) {
    if (op < 0 || op >= a->nops || a->ops[op].state != BH_SWITCH_OP_BUSY)
        return BH_ESTATE;
    struct op *o = &a->ops[op];
    if (a->q.wrap_up > 0) {
        o->state = BH_SWITCH_OP_WRAPUP;
        o->call = 0;
        o->until = now + a->q.wrap_up;
    } else {
        set_free(o, now);
    }
    return 0;
}

double
bh_switch_acd_deadline(const struct bh_switch_acd *a) {
    double t = INFINITY;
    int any_free = 0;
    for (int i = 0; i < a->nops; i++) {
        const struct op *o = &a->ops[i];
        if (o->state == BH_SWITCH_OP_FREE)
            any_free = 1;
        else if (o->state != BH_SWITCH_OP_BUSY && o->until < t)
            t = o->until;
    }
    if (a->q.max_wait > 0 && a->nwait > 0 &&
        a->wait[0].since + a->q.max_wait < t)
        t = a->wait[0].since + a->q.max_wait;
    if (any_free && a->nwait > 0 && a->q.strategy == BH_STRATEGY_RING_ALL)
        return -INFINITY;
    if (any_free)
        for (size_t k = 0; k < a->nwait; k++)
            if (a->wait[k].offered == 0)
                return -INFINITY;
    return t;
}

size_t
bh_switch_acd_waiting(const struct bh_switch_acd *a) {
    return a->nwait;
}

int
bh_switch_acd_free_operators(const struct bh_switch_acd *a) {
    int n = 0;
    for (int i = 0; i < a->nops; i++)
        n += a->ops[i].state == BH_SWITCH_OP_FREE;
    return n;
}

enum bh_switch_op_state
bh_switch_acd_op_state(const struct bh_switch_acd *a, int op) {
    if (op < 0 || op >= a->nops)
        return BH_SWITCH_OP_FREE;
    return a->ops[op].state;
}

uint64_t
bh_switch_acd_op_call(const struct bh_switch_acd *a, int op) {
    if (op < 0 || op >= a->nops)
        return 0;
    return a->ops[op].call;
}

long
bh_switch_acd_op_calls(const struct bh_switch_acd *a, int op) {
    if (op < 0 || op >= a->nops)
        return 0;
    return a->ops[op].calls;
}

double
bh_switch_acd_since(const struct bh_switch_acd *a, uint64_t call) {
    long w = find_waiter(a, call);
    return w < 0 ? -1 : a->wait[w].since;
}
