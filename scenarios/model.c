/* model.c: reading a loaded scenario: lookups, which profile drives a
 * source, names, and freeing it. (Arithmetic on it, such as means and
 * profile rates, is the traffic model's: traffic/.) */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

void
bh_scenario_free(struct bh_scenario *sc) {
    if (!sc)
        return;
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        free(sc->sw.numbers[i].queue.contacts);
    free(sc->sw.numbers);
    for (size_t i = 0; i < sc->sw.nbridges; i++) {
        free(sc->sw.bridges[i].passcodes);
        free(sc->sw.bridges[i].moderator_pins);
    }
    free(sc->sw.bridges);
    free(sc->sw.extensions);
    free(sc->sw.trunk.allow);
    free(sc->sw.accounts);
    for (size_t i = 0; i < sc->nsources; i++) {
        struct bh_sc_source *s = &sc->sources[i];
        free(s->holding.samples);
        free(s->patience.samples);
        free(s->retry.delay.samples);
        free(s->meetings.participants.samples);
        free(s->meetings.duration.samples);
        free(s->meetings.join_spread.samples);
        free(s->campaign.ring.samples);
        free(s->adhoc.added.samples);
        free(s->classes);
    }
    free(sc->sources);
    free(sc->tariffs.plans);
    free(sc->tariffs.prefixes);
    free(sc->tariffs.bands);
    free(sc->thresholds);
    free(sc);
}

int
bh_scenario_find_number(const struct bh_scenario *sc, const char *name) {
    if (!sc || !name)
        return -1;
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        if (strcmp(sc->sw.numbers[i].name, name) == 0)
            return (int)i;
    return -1;
}

int
bh_scenario_find_bridge(const struct bh_scenario *sc, const char *name) {
    if (!sc || !name)
        return -1;
    for (size_t i = 0; i < sc->sw.nbridges; i++)
        if (strcmp(sc->sw.bridges[i].name, name) == 0)
            return (int)i;
    return -1;
}

const struct bh_profile *
bh_source_profile(const struct bh_sc_source *s) {
    switch (s->kind) {
    case BH_SOURCE_MEETINGS:
        return &s->meetings.profile;
    case BH_SOURCE_CAMPAIGN:
        return &s->campaign.profile;
    default:
        return &s->profile;
    }
}

const char *
bh_strategy_name(enum bh_strategy s) {
    switch (s) {
    case BH_STRATEGY_LONGEST_IDLE:
        return "longest-idle";
    case BH_STRATEGY_ROUND_ROBIN:
        return "round-robin";
    case BH_STRATEGY_RING_ALL:
        return "ring-all";
    case BH_STRATEGY_FEWEST_CALLS:
        return "fewest-calls";
    }
    return "?";
}

const char *
bh_dist_name(enum bh_dist_kind k) {
    switch (k) {
    case BH_DIST_EXPONENTIAL:
        return "exponential";
    case BH_DIST_LOGNORMAL:
        return "lognormal";
    case BH_DIST_NORMAL:
        return "normal";
    case BH_DIST_GAMMA:
        return "gamma";
    case BH_DIST_ERLANG:
        return "erlang";
    case BH_DIST_UNIFORM:
        return "uniform";
    case BH_DIST_DETERMINISTIC:
        return "deterministic";
    case BH_DIST_POISSON:
        return "poisson";
    case BH_DIST_EMPIRICAL:
        return "empirical";
    }
    return "?";
}

const char *
bh_metric_name(enum bh_metric m) {
    switch (m) {
    case BH_METRIC_BLOCKING:
        return "blocking";
    case BH_METRIC_ABANDONMENT:
        return "abandonment";
    case BH_METRIC_SERVICE_LEVEL:
        return "service_level";
    case BH_METRIC_WAIT_MEAN:
        return "wait.mean";
    case BH_METRIC_WAIT_P90:
        return "wait.p90";
    case BH_METRIC_WAIT_P99:
        return "wait.p99";
    case BH_METRIC_OCCUPANCY:
        return "occupancy";
    case BH_METRIC_INCOMPLETE_MEETINGS:
        return "incomplete_meetings";
    case BH_METRIC_COST_PER_CALL:
        return "cost.per_call";
    case BH_METRIC_COST_PER_PARTICIPANT:
        return "cost.per_participant";
    case BH_METRIC_COST_PER_ANSWERED_CALL:
        return "cost.per_answered_call";
    case BH_METRIC_COST_PER_HOUR:
        return "cost.per_hour";
    case BH_METRIC_COST_PER_MONTH:
        return "cost.per_month";
    case BH_METRIC_COST_TOTAL:
        return "cost.total";
    }
    return "?";
}
