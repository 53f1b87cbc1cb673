/* threshold.c: pass/fail thresholds, `target.metric(arg) OP value`, with
 * errors pointing at the character inside the string that is wrong. */
#include "sc_internal.h"

#include <ctype.h>
#include <string.h>

static const char *const metric_names[] = {
    "blocking", "abandonment", "service_level",       "wait.mean", "wait.p90",
    "wait.p99", "occupancy",   "incomplete_meetings", NULL};
#define NMETRICS 8

/* Cost metrics: `cost.NAME` for the scenario's costs, `TARGET.cost.NAME`
 * for one target's (all but the first two). */
static const struct cost_metric {
    const char *name;
    enum bh_metric metric;
    enum bh_cost_payer payer;
} cost_metrics[] = {
    {"per_call", BH_METRIC_COST_PER_CALL, BH_COST_ALL},
    {"per_participant", BH_METRIC_COST_PER_PARTICIPANT, BH_COST_ALL},
    {"total", BH_METRIC_COST_TOTAL, BH_COST_ALL},
    {"per_answered_call", BH_METRIC_COST_PER_ANSWERED_CALL, BH_COST_ALL},
    {"per_hour", BH_METRIC_COST_PER_HOUR, BH_COST_ALL},
    {"per_month", BH_METRIC_COST_PER_MONTH, BH_COST_ALL},
    {"company.total", BH_METRIC_COST_TOTAL, BH_COST_COMPANY},
    {"company.per_answered_call", BH_METRIC_COST_PER_ANSWERED_CALL,
     BH_COST_COMPANY},
    {"company.per_hour", BH_METRIC_COST_PER_HOUR, BH_COST_COMPANY},
    {"company.per_month", BH_METRIC_COST_PER_MONTH, BH_COST_COMPANY},
    {"callers.total", BH_METRIC_COST_TOTAL, BH_COST_CALLERS},
    {"callers.per_answered_call", BH_METRIC_COST_PER_ANSWERED_CALL,
     BH_COST_CALLERS},
    {"callers.per_hour", BH_METRIC_COST_PER_HOUR, BH_COST_CALLERS},
    {"callers.per_month", BH_METRIC_COST_PER_MONTH, BH_COST_CALLERS},
};
#define NCOST (sizeof cost_metrics / sizeof *cost_metrics)
#define NCOST_TARGET (NCOST - 2) /* no per_call, per_participant */

enum value_kind { V_FRACTION, V_DURATION, V_MONEY };

static enum value_kind
value_kind(enum bh_metric m) {
    switch (m) {
    case BH_METRIC_WAIT_MEAN:
    case BH_METRIC_WAIT_P90:
    case BH_METRIC_WAIT_P99:
        return V_DURATION;
    case BH_METRIC_COST_PER_CALL:
    case BH_METRIC_COST_PER_PARTICIPANT:
    case BH_METRIC_COST_TOTAL:
    case BH_METRIC_COST_PER_ANSWERED_CALL:
    case BH_METRIC_COST_PER_HOUR:
    case BH_METRIC_COST_PER_MONTH:
        return V_MONEY;
    default:
        return V_FRACTION;
    }
}

static int
name_char(int c) {
    return isalnum(c) || c == '-' || c == '_';
}

/* Every name a threshold may target: numbers, bridges, campaigns. */
static size_t
targets(const struct bh_scenario *sc, const char **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < sc->sw.nnumbers && n < max; i++)
        out[n++] = sc->sw.numbers[i].name;
    for (size_t i = 0; i < sc->sw.nbridges && n < max; i++)
        out[n++] = sc->sw.bridges[i].name;
    for (size_t i = 0; i < sc->nsources && n < max; i++)
        if (sc->sources[i].kind == BH_SOURCE_CAMPAIGN)
            out[n++] = sc->sources[i].name;
    if (n < max)
        out[n++] = "cost";
    return n;
}

int
bh_sc_threshold(struct sc_ld *L, yaml_node_t *n, struct bh_sc_threshold *t) {
    const struct bh_scenario *sc = L->sc;
    const char *s;
    int rc = bh_sc_text(L, n, "a threshold", &s);
    if (rc)
        return rc;
    memset(t, 0, sizeof *t);
    t->pos = bh_sc_pos(n);
    if (strlen(s) >= sizeof t->expr)
        return bh_sc_fail(L, n, "threshold longer than %zu characters",
                          sizeof t->expr - 1);
    memcpy(t->expr, s, strlen(s) + 1);
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    /* target */
    size_t t0 = i;
    while (name_char((unsigned char)s[i]))
        i++;
    if (i == t0 || s[i] != '.')
        return bh_sc_fail_at(L, n, i,
                             "a threshold reads target.metric OP value, e.g. "
                             "'hotline.blocking < 1%%'");
    if (i - t0 >= BH_SC_MAX_NAME)
        return bh_sc_fail_at(L, n, t0, "threshold target is too long");
    memcpy(t->target, s + t0, i - t0);
    t->target[i - t0] = '\0';
    i++;
    /* metric */
    size_t m0 = i;
    while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.')
        i++;
    char metric[48];
    if (i == m0 || i - m0 >= sizeof metric)
        return bh_sc_fail_at(L, n, m0,
                             "a threshold needs a metric after "
                             "'%s.'",
                             t->target);
    memcpy(metric, s + m0, i - m0);
    metric[i - m0] = '\0';

    const char *names[BH_SC_MAX_ITEMS * 3 + 1];
    size_t nn = targets(sc, names, sizeof names / sizeof *names);
    int is_cost = strcmp(t->target, "cost") == 0;
    int found = 0;
    for (size_t k = 0; k < nn && !found; k++)
        found = strcmp(names[k], t->target) == 0;
    if (!found) {
        int sg = bh_sc_suggest(t->target, names, nn);
        if (sg >= 0)
            return bh_sc_fail_at(L, n, t0,
                                 "threshold names '%s', which is no number, "
                                 "bridge or campaign (did you mean '%s'?)",
                                 t->target, names[sg]);
        return bh_sc_fail_at(L, n, t0,
                             "threshold names '%s', which is no number, "
                             "bridge or campaign",
                             t->target);
    }
    /* cost.* take the cost metrics; a target its own and cost.* of its
     * own costs */
    const char *cand[NCOST + NMETRICS + 1];
    size_t ncand = 0;
    char costnames[NCOST][40];
    int own_cost = !is_cost && strncmp(metric, "cost.", 5) == 0;
    if (is_cost) {
        for (size_t k = 0; k < NCOST; k++)
            cand[ncand++] = cost_metrics[k].name;
    } else {
        for (size_t k = 0; k < NMETRICS; k++)
            cand[ncand++] = metric_names[k];
        for (size_t k = 2; k < NCOST; k++) {
            snprintf(costnames[k], sizeof costnames[k], "cost.%s",
                     cost_metrics[k].name);
            cand[ncand++] = costnames[k];
        }
    }
    int mi = -1;
    for (size_t k = 0; k < ncand; k++)
        if (strcmp(cand[k], metric) == 0)
            mi = (int)k;
    if (mi >= 0 && (is_cost || own_cost)) {
        const struct cost_metric *cm = &cost_metrics[is_cost ? mi : mi - 6];
        t->metric = cm->metric;
        t->payer = cm->payer;
    } else if (mi >= 0) {
        t->metric = (enum bh_metric)mi;
    }
    if (mi < 0) {
        int sg = bh_sc_suggest(metric, cand, ncand);
        char list[600];
        bh_sc_join(list, sizeof list, cand, ncand, ", ");
        if (sg >= 0)
            return bh_sc_fail_at(L, n, m0,
                                 "unknown metric '%s' for %s (did you mean "
                                 "'%s'?)",
                                 metric, t->target, cand[sg]);
        return bh_sc_fail_at(L, n, m0, "unknown metric '%s' for %s (valid: %s)",
                             metric, t->target, list);
    }
    if (t->metric == BH_METRIC_INCOMPLETE_MEETINGS &&
        bh_scenario_find_bridge(sc, t->target) < 0)
        return bh_sc_fail_at(L, n, m0,
                             "incomplete_meetings applies to bridges; %s is "
                             "not one",
                             t->target);
    /* (arg) */
    if (s[i] == '(') {
        size_t a0 = ++i;
        while (s[i] && s[i] != ')')
            i++;
        if (s[i] != ')')
            return bh_sc_fail_at(L, n, i, "missing ')' in threshold");
        if (t->metric != BH_METRIC_SERVICE_LEVEL)
            return bh_sc_fail_at(L, n, a0 - 1, "%s takes no argument", metric);
        char arg[32];
        if (i - a0 >= sizeof arg)
            return bh_sc_fail_at(L, n, a0, "service_level time too long");
        memcpy(arg, s + a0, i - a0);
        arg[i - a0] = '\0';
        if (bh_parse_duration(arg, &t->arg) || !(t->arg > 0))
            return bh_sc_fail_at(L, n, a0,
                                 "service_level needs a waiting time, e.g. "
                                 "service_level(20s), not '%s'",
                                 arg);
        i++;
    } else if (t->metric == BH_METRIC_SERVICE_LEVEL) {
        return bh_sc_fail_at(L, n, i,
                             "service_level needs a waiting time, e.g. "
                             "service_level(20s)");
    }
    /* OP */
    while (s[i] == ' ')
        i++;
    size_t o0 = i;
    if (s[i] == '<' && s[i + 1] == '=') {
        t->op = BH_OP_LE;
        i += 2;
    } else if (s[i] == '>' && s[i + 1] == '=') {
        t->op = BH_OP_GE;
        i += 2;
    } else if (s[i] == '<') {
        t->op = BH_OP_LT;
        i++;
    } else if (s[i] == '>') {
        t->op = BH_OP_GT;
        i++;
    } else {
        return bh_sc_fail_at(L, n, o0,
                             "expected a comparison (<, <=, >, >=) after "
                             "%s.%s",
                             t->target, metric);
    }
    while (s[i] == ' ')
        i++;
    size_t v0 = i;
    size_t vend = strlen(s);
    while (vend > v0 && s[vend - 1] == ' ')
        vend--;
    char val[40];
    if (vend == v0)
        return bh_sc_fail_at(L, n, v0, "the threshold needs a value");
    if (vend - v0 >= sizeof val)
        return bh_sc_fail_at(L, n, v0, "threshold value too long");
    memcpy(val, s + v0, vend - v0);
    val[vend - v0] = '\0';
    size_t comma = bh_sc_decimal_comma(val);
    if (comma) {
        char fixed[sizeof val];
        memcpy(fixed, val, sizeof val);
        fixed[comma] = '.';
        return bh_sc_fail_at(L, n, v0 + comma,
                             "'%s' has a decimal comma: write %s", val, fixed);
    }
    double plain;
    switch (value_kind(t->metric)) {
    case V_FRACTION:
        if (bh_parse_percent(val, &t->value) &&
            bh_sc_parse_number(val, &plain) == 0) {
            char hint[160];
            bh_sc_percent_hint(val, hint, sizeof hint);
            return bh_sc_fail_at(L, n, v0,
                                 "%s is a share: write a percentage (%s)",
                                 metric, hint);
        }
        if (bh_parse_percent(val, &t->value))
            return bh_sc_fail_at(L, n, v0,
                                 "%s is a share: write a percentage such as "
                                 "1%%, not '%s'",
                                 metric, val);
        break;
    case V_DURATION:
        if (bh_parse_duration(val, &t->value) || t->value < 0)
            return bh_sc_fail_at(L, n, v0,
                                 "%s is a time: write a duration such as "
                                 "20s, not '%s'",
                                 metric, val);
        break;
    case V_MONEY: {
        bh_money m;
        if (bh_parse_money(val, &m) || m < 0)
            return bh_sc_fail_at(L, n, v0,
                                 "%s%s is an amount in %s: write a "
                                 "number such as 0.40, not '%s'",
                                 is_cost ? "cost." : "", metric,
                                 sc->tariffs.present ? sc->tariffs.currency
                                                     : "currency units",
                                 val);
        t->value = (double)m / (double)BH_MONEY_UNIT;
        if (!sc->tariffs.present)
            return bh_sc_fail_at(L, n, t0,
                                 "a cost threshold needs a tariffs: "
                                 "section");
        break;
    }
    }
    return 0;
}
