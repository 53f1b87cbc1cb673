/* offered.c: the one model of offered load: each source's first attempts
 * per second, the time each holds a line, port or operator, and the
 * Erlangs they offer, from the means of what the sampler draws. */
#include "traffic.h"

/* Source i of sc, or NULL when there is none. */
static const struct bh_sc_source *
source(const struct bh_scenario *sc, size_t i) {
    return i < sc->nsources ? &sc->sources[i] : NULL;
}

/* Scheduled meetings: participants a slot brings (rooms x mean
 * participants), and their mean dial time after the slot (s). */
static const struct bh_sc_schedule *
scheduled(const struct bh_sc_source *s, double *per_slot, double *join) {
    if (s->kind != BH_SOURCE_MEETINGS || !s->meetings.schedule.present)
        return NULL;
    const struct bh_sc_meetings *m = &s->meetings;
    *per_slot = m->schedule.rooms * bh_traffic_dist_mean(&m->participants);
    *join = bh_traffic_dist_mean(&m->join_spread);
    return &m->schedule;
}

double
bh_traffic_rate(const struct bh_scenario *sc, size_t i, double t0, double t1) {
    const struct bh_sc_source *s = source(sc, i);
    if (!s || !(t1 > t0))
        return 0;
    double per, join;
    const struct bh_sc_schedule *x = scheduled(s, &per, &join);
    if (x) {
        double n = 0; /* slots whose participants dial in [t0, t1) */
        for (double u = bh_schedule_next(x, sc->start, t0 - join - 1e-9);
             u + join < t1; u = bh_schedule_next(x, sc->start, u))
            n++;
        return n * per / (t1 - t0);
    }
    double n = bh_profile_integral(bh_source_profile(s), sc->start, t0, t1);
    double rate = n / (t1 - t0);
    if (s->kind == BH_SOURCE_MEETINGS)
        rate *= bh_traffic_dist_mean(&s->meetings.participants);
    return rate;
}

double
bh_traffic_holding(const struct bh_scenario *sc, size_t i) {
    const struct bh_sc_source *s = source(sc, i);
    if (!s)
        return 0;
    double hold = bh_traffic_dist_mean(&s->holding);
    switch (s->kind) {
    case BH_SOURCE_MEETINGS: {
        /* a participant dials at start + join spread and stays until
         * the meeting ends. The simulator holds the port from the dial
         * to the end, so the passcode entry added here is counted twice
         * (seconds against meetings of tens of minutes): kept for now,
         * so that results keep their figures. */
        const struct bh_sc_meetings *m = &s->meetings;
        hold = bh_traffic_dist_mean(&m->duration) -
               bh_traffic_dist_mean(&m->join_spread);
        if (hold < 0)
            hold = 0;
        hold += m->passcode_entry;
        break;
    }
    case BH_SOURCE_CAMPAIGN:
        /* every attempt rings; the answered ones talk */
        hold = bh_traffic_dist_mean(&s->campaign.ring) +
               s->campaign.answer_probability * hold;
        break;
    default:
        if (s->target_kind == BH_TARGET_NUMBER &&
            (size_t)s->target < sc->sw.nnumbers &&
            sc->sw.numbers[s->target].ivr.present)
            hold += sc->sw.numbers[s->target].ivr.menu_time;
        break;
    }
    return hold;
}

double
bh_traffic_handling(const struct bh_scenario *sc, size_t i) {
    const struct bh_sc_source *s = source(sc, i);
    if (!s || s->kind != BH_SOURCE_CALLS ||
        s->target_kind != BH_TARGET_NUMBER ||
        (size_t)s->target >= sc->sw.nnumbers ||
        !sc->sw.numbers[s->target].queue.present)
        return 0;
    return bh_traffic_dist_mean(&s->holding) +
           sc->sw.numbers[s->target].queue.wrap_up;
}

double
bh_traffic_offered(const struct bh_scenario *sc, size_t i, double t0,
                   double t1) {
    const struct bh_sc_source *s = source(sc, i);
    if (!s)
        return 0;
    double hold = bh_traffic_holding(sc, i), per, join;
    const struct bh_sc_schedule *x = scheduled(s, &per, &join);
    if (x && t1 > t0) {
        /* port-seconds held within [t0, t1) by the slots overlapping it */
        double held = 0;
        for (double u = bh_schedule_next(x, sc->start, t0 - join - hold);
             u + join < t1; u = bh_schedule_next(x, sc->start, u)) {
            double a = u + join > t0 ? u + join : t0;
            double b = u + join + hold < t1 ? u + join + hold : t1;
            held += b > a ? b - a : 0;
        }
        return per * held / (t1 - t0);
    }
    double rate = bh_traffic_rate(sc, i, t0, t1);
    if (s->sources > 0 && s->kind == BH_SOURCE_CALLS) {
        /* Engset's intended traffic: K a / (1 + a), a = (rate / K) h */
        double a = rate / s->sources * hold;
        return s->sources * a / (1 + a);
    }
    return rate * hold;
}
