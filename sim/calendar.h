/* calendar.h: the event calendar of the simulator, a 4-ary min-heap of
 * (time, payload) pairs, inline because it is the hot path (measured in
 * bench/sim). Internal to sim/; tests include it directly.
 *
 * Equal times pop in an order fixed by the sequence of pushes and pops,
 * so a run is deterministic. Cancelled events are not removed: their
 * payload carries a generation number that the owner checks on pop. */
#ifndef BH_SIM_CALENDAR_H
#define BH_SIM_CALENDAR_H

#include "bh.h"

#include <stdint.h>
#include <stdlib.h>

struct bh_event {
    double t;      /* s of virtual time */
    uint64_t data; /* owner's payload */
};

struct bh_calendar {
    struct bh_event *heap; /* owned */
    size_t n, cap;
};

static inline void
bh_calendar_init(struct bh_calendar *c) {
    c->heap = NULL;
    c->n = c->cap = 0;
}

static inline void
bh_calendar_clear(struct bh_calendar *c) {
    free(c->heap);
    bh_calendar_init(c);
}

/* Adds an event; 0 or BH_ENOMEM. */
static inline int
bh_calendar_push(struct bh_calendar *c, double t, uint64_t data) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct bh_event *h = realloc(c->heap, cap * sizeof *h);
        if (!h)
            return BH_ENOMEM;
        c->heap = h;
        c->cap = cap;
    }
    size_t i = c->n++;
    struct bh_event *h = c->heap;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (h[p].t <= t)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i].t = t;
    h[i].data = data;
    return 0;
}

/* Time of the earliest event; only when n > 0. */
static inline double
bh_calendar_top(const struct bh_calendar *c) {
    return c->heap[0].t;
}

/* Removes the earliest event into *out; only when n > 0. */
static inline void
bh_calendar_pop(struct bh_calendar *c, struct bh_event *out) {
    struct bh_event *h = c->heap;
    *out = h[0];
    struct bh_event last = h[--c->n];
    size_t n = c->n, i = 0;
    for (;;) {
        size_t k = 4 * i + 1;
        if (k >= n)
            break;
        size_t m = k, end = k + 4 < n ? k + 4 : n;
        for (size_t j = k + 1; j < end; j++)
            if (h[j].t < h[m].t)
                m = j;
        if (!(h[m].t < last.t))
            break;
        h[i] = h[m];
        i = m;
    }
    if (n)
        h[i] = last;
}

#endif
