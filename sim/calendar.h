/* calendar.h: the event calendar of the simulator, a calendar queue
 * (R. Brown, CACM 31(10), 1988): a ring of time buckets, each a list
 * sorted by time, resized as the number of events changes, so that
 * adding and taking the next event cost O(1) on average. It replaced a
 * 4-ary heap that cost about twice as much per event (bench/sim). Inline
 * because it is the hot path; internal to sim/ (tests include it).
 *
 * Events with equal times come out in the order they were added (FIFO),
 * so a run is deterministic. Cancelled events are not removed: their
 * payload carries a generation number that the owner checks. */
#ifndef BH_SIM_CALENDAR_H
#define BH_SIM_CALENDAR_H

#include "bh.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct bh_event {
    double t;      /* s of virtual time */
    uint64_t data; /* owner's payload */
};

struct bh_cal_node {
    double t;
    uint64_t data;
    uint64_t vb;   /* virtual bucket: floor(t / width) */
    uint32_t next; /* next node in the bucket, or BH_CAL_NIL */
};

#define BH_CAL_NIL UINT32_MAX
#define BH_CAL_MIN_BUCKETS 16
#define BH_CAL_MAX_VB ((double)(1ULL << 62))

struct bh_calendar {
    struct bh_cal_node *node; /* owned pool */
    uint32_t capnode, free;   /* free list through next */
    uint32_t *bucket;         /* owned; nb heads */
    uint32_t nb;              /* power of two */
    double width, inv_width;  /* s per bucket */
    uint64_t cur;             /* virtual bucket of the last event taken */
    size_t n;                 /* events held */
    uint32_t top;             /* cached earliest node, or BH_CAL_NIL */
    double last;              /* time of the last event taken */
    /* resize when n passes these (set with nb: one compare each in push
     * and pop, 6 instructions fewer per call, callgrind, bench/sim) */
    size_t grow_at, shrink_at;
};

static inline void
bh_calendar_init(struct bh_calendar *c) {
    memset(c, 0, sizeof *c);
    c->free = BH_CAL_NIL;
    c->top = BH_CAL_NIL;
}

static inline void
bh_calendar_clear(struct bh_calendar *c) {
    free(c->node);
    free(c->bucket);
    bh_calendar_init(c);
}

static inline uint64_t
bh_cal_vb(const struct bh_calendar *c, double t) {
    double v = t * c->inv_width;
    return v < BH_CAL_MAX_VB ? (uint64_t)v : (uint64_t)BH_CAL_MAX_VB;
}

/* Links node i into its bucket, after any event with the same time. */
static inline void
bh_cal_link(struct bh_calendar *c, uint32_t i) {
    struct bh_cal_node *nd = c->node;
    double t = nd[i].t;
    nd[i].vb = bh_cal_vb(c, t);
    uint32_t *p = &c->bucket[nd[i].vb & (c->nb - 1)];
    while (*p != BH_CAL_NIL && nd[*p].t <= t)
        p = &nd[*p].next;
    nd[i].next = *p;
    *p = i;
}

/* Rebuilds with nb buckets, the width from the events held: twice their
 * mean distance from now, over their number (it was four times: with
 * about one bucket per event, see push and pop, two cost 7 instructions
 * fewer per call, shorter sorted inserts against a few more empty buckets
 * skipped, callgrind, bench/sim; 1 to 3 times measure within 5 of each
 * other). Out of line, like
 * bh_cal_grow: the rare paths kept out of push and pop spare them
 * registers (callgrind, bench/sim). */
static __attribute__((noinline, unused)) int
bh_cal_resize(struct bh_calendar *c, uint32_t nb) {
    uint32_t *b = malloc((size_t)nb * sizeof *b);
    if (!b)
        return BH_ENOMEM;
    /* gather the events held, each bucket in its order, so that events
     * with equal times (always in one bucket) keep theirs */
    uint32_t head = BH_CAL_NIL, *tail = &head;
    double sum = 0;
    for (uint32_t k = 0; c->bucket && k < c->nb; k++) {
        uint32_t i = c->bucket[k];
        while (i != BH_CAL_NIL) {
            *tail = i;
            tail = &c->node[i].next;
            sum += c->node[i].t - c->last;
            i = c->node[i].next;
        }
    }
    *tail = BH_CAL_NIL;
    double width = c->n > 1 ? 2.0 * (sum / (double)c->n) / (double)c->n : 1.0;
    if (!(width > 1e-9))
        width = 1e-9;
    if (!isfinite(width))
        width = 1.0;
    free(c->bucket);
    c->bucket = b;
    c->nb = nb;
    c->grow_at = nb < (1u << 30) ? nb : SIZE_MAX;
    c->shrink_at = nb > BH_CAL_MIN_BUCKETS ? nb / 8 : 0;
    for (uint32_t k = 0; k < nb; k++)
        b[k] = BH_CAL_NIL;
    c->width = width;
    c->inv_width = 1.0 / width;
    c->cur = bh_cal_vb(c, c->last);
    /* linking sorts by time, after any equal time already linked */
    while (head != BH_CAL_NIL) {
        uint32_t nx = c->node[head].next;
        bh_cal_link(c, head);
        head = nx;
    }
    c->top = BH_CAL_NIL;
    return 0;
}

/* Makes room for one more event: the first buckets, more nodes. */
static __attribute__((noinline, unused)) int
bh_cal_grow(struct bh_calendar *c) {
    if (!c->bucket) {
        c->inv_width = c->width = 1.0;
        if (bh_cal_resize(c, BH_CAL_MIN_BUCKETS))
            return BH_ENOMEM;
    }
    if (c->free == BH_CAL_NIL) {
        uint32_t cap = c->capnode ? c->capnode * 2 : 256;
        struct bh_cal_node *nd = realloc(c->node, (size_t)cap * sizeof *nd);
        if (!nd)
            return BH_ENOMEM;
        for (uint32_t k = c->capnode; k < cap; k++)
            nd[k].next = k + 1 < cap ? k + 1 : BH_CAL_NIL;
        c->free = c->capnode;
        c->node = nd;
        c->capnode = cap;
    }
    return 0;
}

/* Adds an event at t (s, not before the last event taken); 0 or
 * BH_ENOMEM. */
static inline int
bh_calendar_push(struct bh_calendar *c, double t, uint64_t data) {
    /* no free node also covers the first push (no buckets yet either) */
    if (c->free == BH_CAL_NIL && bh_cal_grow(c))
        return BH_ENOMEM;
    uint32_t i = c->free;
    c->free = c->node[i].next;
    c->node[i].t = t;
    c->node[i].data = data;
    bh_cal_link(c, i);
    c->n++;
    /* keep every event at or after the bucket the search starts from
     * (an event may come before the one just found by _top) */
    if (c->node[i].vb < c->cur)
        c->cur = c->node[i].vb;
    /* an event earlier than the cached earliest becomes it (it heads its
     * bucket, since everything else is later) */
    if (c->top != BH_CAL_NIL && t < c->node[c->top].t)
        c->top = i;
    /* at least one bucket per event (and at most eight, see pop): with
     * the narrower width, a year of buckets stays long against the
     * times ahead (it was one per two events) */
    if (c->n > c->grow_at)
        return bh_cal_resize(c, c->nb * 2);
    return 0;
}

/* Finds (and caches) the earliest event; only when n > 0. */
static inline uint32_t
bh_cal_find(struct bh_calendar *c) {
    if (c->top != BH_CAL_NIL)
        return c->top;
    const struct bh_cal_node *nd = c->node;
    uint32_t mask = c->nb - 1;
    /* one year of buckets from the current one */
    for (uint32_t k = 0; k < c->nb; k++) {
        uint64_t v = c->cur + k;
        uint32_t i = c->bucket[v & mask];
        if (i != BH_CAL_NIL && nd[i].vb <= v) {
            c->cur = v;
            return c->top = i;
        }
    }
    /* nothing within a year: the earliest head, directly */
    uint32_t best = BH_CAL_NIL;
    for (uint32_t k = 0; k < c->nb; k++) {
        uint32_t i = c->bucket[k];
        if (i != BH_CAL_NIL && (best == BH_CAL_NIL || nd[i].t < nd[best].t))
            best = i;
    }
    c->cur = nd[best].vb;
    return c->top = best;
}

/* Time of the earliest event; only when n > 0. */
static inline double
bh_calendar_top(struct bh_calendar *c) {
    return c->node[bh_cal_find(c)].t;
}

/* Removes the earliest event into *out; only when n > 0. */
static inline void
bh_calendar_pop(struct bh_calendar *c, struct bh_event *out) {
    uint32_t i = bh_cal_find(c);
    struct bh_cal_node *nd = &c->node[i];
    out->t = nd->t;
    out->data = nd->data;
    c->bucket[nd->vb & (c->nb - 1)] = nd->next; /* it heads its bucket */
    nd->next = c->free;
    c->free = i;
    c->n--;
    c->top = BH_CAL_NIL;
    c->last = out->t;
    c->cur = nd->vb;
    if (c->n < c->shrink_at)
        bh_cal_resize(c, c->nb / 2); /* on failure keep the larger one */
}

#endif
