/* sched.c: the driver's scheduler: the traffic model's arrivals at wall
 * time t / speed, with each start's lateness. Pure logic: the wall time is
 * passed in, so the test runs it without sockets or clocks. */
#include "driver.h"

#include <math.h>
#include <stdlib.h>

struct bh_driver_sched {
    const struct bh_scenario *sc; /* borrowed */
    struct bh_traffic *tm;        /* owned */
    double speed;                 /* scenario s per wall s */
    double span;                  /* scenario s: arrivals before it */
    bh_driver_filter_fn filter;
    void *filter_arg;
    double last; /* scenario s of the model's last event (its clock) */
};

int
bh_driver_sched_new(const struct bh_scenario *sc, uint64_t seed, double speed,
                    double span, bh_driver_filter_fn filter, void *filter_arg,
                    struct bh_driver_sched **out) {
    *out = NULL;
    if (!sc || !(speed > 0) || !isfinite(speed) || !(span >= 0))
        return BH_EINVAL;
    struct bh_driver_sched *s = calloc(1, sizeof *s);
    if (!s)
        return BH_ENOMEM;
    /* Replication 0: the simulator's first replication of the same seed
     * draws the same arrivals (test_sched.c holds them to it). */
    int rc = bh_traffic_new(sc, seed, 0, &s->tm);
    if (rc) {
        free(s);
        return rc;
    }
    s->sc = sc;
    s->speed = speed;
    s->span = span > 0 && span < sc->horizon ? span : sc->horizon;
    s->filter = filter;
    s->filter_arg = filter_arg;
    *out = s;
    return 0;
}

int
bh_driver_sched_segment(struct bh_driver_sched *s, uint32_t index,
                        uint32_t count) {
    return bh_traffic_segment(s->tm, index, count);
}

void
bh_driver_sched_free(struct bh_driver_sched *s) {
    if (!s)
        return;
    bh_traffic_free(s->tm);
    free(s);
}

double
bh_driver_sched_due(struct bh_driver_sched *s) {
    double t = bh_traffic_peek(s->tm, s->span);
    return t < s->span ? t / s->speed : INFINITY;
}

int
bh_driver_sched_take(struct bh_driver_sched *s, double now,
                     struct bh_arrival *a, double *late) {
    /* Bounded: every turn takes one arrival from the model, and the model
     * yields no arrival at or after the span. */
    for (;;) {
        double t = bh_traffic_peek(s->tm, s->span);
        if (!(t < s->span) || t / s->speed > now)
            return 0;
        if (!bh_traffic_next(s->tm, s->span, a))
            return 0;
        if (a->t > s->last)
            s->last = a->t;
        if (s->filter && !s->filter(s->filter_arg, a))
            continue;
        double d = now - a->t / s->speed;
        *late = d > 0 ? d : 0;
        return 1;
    }
}

int
bh_driver_sched_finish(struct bh_driver_sched *s, const struct bh_arrival *a,
                       enum bh_outcome o, double now) {
    if (!bh_traffic_listens(s->tm, a->source))
        return 0;
    /* The model's clock is the times it is told: never before the
     * arrival, never backwards. */
    double t = now * s->speed;
    if (t < a->t)
        t = a->t;
    if (t < s->last)
        t = s->last;
    s->last = t;
    return bh_traffic_finish(s->tm, a, o, t);
}

double
bh_driver_sched_scenario_time(const struct bh_driver_sched *s, double now) {
    return now * s->speed;
}
