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
#include <string.h>

struct bh_event {
    double t;      /* s of virtual time */
    uint64_t data; /* owner's payload */
};

/* The heap lives at mem + 3, in 64-byte aligned memory: the four
 * children of node i are heap[4i+1..4i+4] = mem[4i+4..4i+7], one cache
 * line of 16-byte events. */
#define BH_CAL_PAD 3
struct bh_calendar {
    struct bh_event *heap; /* view into mem */
    struct bh_event *mem;  /* owned, 64-byte aligned */
    size_t n, cap;
};

static inline void
bh_calendar_init(struct bh_calendar *c) {
    c->heap = c->mem = NULL;
    c->n = c->cap = 0;
}

static inline void
bh_calendar_clear(struct bh_calendar *c) {
    free(c->mem);
    bh_calendar_init(c);
}

/* Adds an event; 0 or BH_ENOMEM. */
static inline int
bh_calendar_push(struct bh_calendar *c, double t, uint64_t data) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        size_t bytes = (cap + BH_CAL_PAD + 1) * sizeof(struct bh_event);
        bytes = (bytes + 63) & ~(size_t)63;
        struct bh_event *m = aligned_alloc(64, bytes);
        if (!m)
            return BH_ENOMEM;
        if (c->n)
            memcpy(m + BH_CAL_PAD, c->heap, c->n * sizeof *m);
        free(c->mem);
        c->mem = m;
        c->heap = m + BH_CAL_PAD;
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

/* Removes the earliest event into *out; only when n > 0. Bottom-up: the
 * hole at the root goes down along the smallest children to a leaf, then
 * the last element rises from there, which takes fewer comparisons than
 * sinking the last element from the root (it usually belongs low). */
static inline void
bh_calendar_pop(struct bh_calendar *c, struct bh_event *out) {
    struct bh_event *h = c->heap;
    *out = h[0];
    size_t n = --c->n;
    if (n == 0)
        return;
    struct bh_event last = h[n];
    size_t i = 0;
    for (;;) {
        size_t k = 4 * i + 1;
        if (k + 3 < n) {
            /* a full family of four: a small tournament */
            size_t a = h[k + 1].t < h[k].t ? k + 1 : k;
            size_t b = h[k + 3].t < h[k + 2].t ? k + 3 : k + 2;
            size_t m = h[b].t < h[a].t ? b : a;
            h[i] = h[m];
            i = m;
        } else if (k < n) {
            size_t m = k;
            for (size_t j = k + 1; j < n; j++)
                if (h[j].t < h[m].t)
                    m = j;
            h[i] = h[m];
            i = m;
        } else {
            break;
        }
    }
    /* sift `last` up from the hole */
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (h[p].t <= last.t)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = last;
}

#endif
