/* analytic.c: the exact formulas on the traffic model's offered load:
 * each number's and bridge's busiest interval (busyhour check, plan's
 * first guess). */
#include "sim.h"

#include <math.h>
#include <string.h>

/* ---- Offered load on one target -------------------------------------- */

/* One number or bridge over one interval: the traffic model's figures
 * (traffic.h, offered.c) summed over the sources that reach it. */
struct load {
    size_t sources;   /* traffic items that reach it */
    double attempts;  /* first attempts per s: calls and participants */
    double offered;   /* Erlangs on the lines or ports, campaigns included */
    double campaign;  /* of which Erlangs of campaigns through the number */
    double operators; /* Erlangs on operators: calls x (talk + wrap-up) */
    double pat_w;     /* sum of rate (1/s) x mean patience (s), and */
    double pat_rate;  /* of rate, over the calls whose callers give up */
    double patience;  /* s: the callers' exponential patience; INFINITY
                         when none give up or not all exponentially */
};

static void
load_of(const struct bh_scenario *sc, enum bh_target_kind kind, int index,
        double t0, double t1, struct load *l) {
    memset(l, 0, sizeof *l);
    bool any_patience = false, all_exp = true;
    double exp_patience = INFINITY;
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if ((int)s->target_kind != (int)kind || s->target != index)
            continue;
        l->sources++;
        double a = bh_traffic_offered(sc, i, t0, t1);
        l->offered += a;
        if (s->kind == BH_SOURCE_CAMPAIGN) {
            l->campaign += a;
            continue;
        }
        double rate = bh_traffic_rate(sc, i, t0, t1);
        l->attempts += rate;
        if (s->kind != BH_SOURCE_CALLS)
            continue;
        l->operators += rate * bh_traffic_handling(sc, i);
        if (s->has_patience) {
            double m = bh_traffic_dist_mean(&s->patience);
            l->pat_w += rate * m;
            l->pat_rate += rate;
            any_patience = true;
            if (s->patience.kind == BH_DIST_EXPONENTIAL)
                exp_patience = m;
            else
                all_exp = false;
        }
    }
    l->patience = any_patience && all_exp ? exp_patience : INFINITY;
}

/* Reporting intervals of sc and their length (s): the horizon's when the
 * scenario has no interval. */
static size_t
intervals(const struct bh_scenario *sc, double *len) {
    *len = sc->interval > 0 ? sc->interval : sc->horizon;
    return *len > 0 ? (size_t)ceil(sc->horizon / *len - 1e-9) : 0;
}

/* The capacity of a target: lines or ports, and operators (0: no queue).
 * Returns 0, or BH_EINVAL when it does not exist. */
static int
capacity(const struct bh_scenario *sc, enum bh_target_kind kind, int index,
         long *lines, long *operators) {
    *lines = *operators = 0;
    if (kind == BH_TARGET_NUMBER && index >= 0 &&
        (size_t)index < sc->sw.nnumbers) {
        const struct bh_sc_number *n = &sc->sw.numbers[index];
        *lines = n->lines;
        *operators = n->queue.present ? n->queue.operators : 0;
        return 0;
    }
    if (kind == BH_TARGET_BRIDGE && index >= 0 &&
        (size_t)index < sc->sw.nbridges) {
        *lines = sc->sw.bridges[index].ports;
        return 0;
    }
    return BH_EINVAL;
}

/* ---- The busiest interval ------------------------------------------- */

int
bh_sim_busiest(const struct bh_scenario *sc, enum bh_target_kind kind,
               int index, double from, struct bh_sim_busiest *out) {
    memset(out, 0, sizeof *out);
    long lines, operators;
    if (!sc || capacity(sc, kind, index, &lines, &operators))
        return BH_EINVAL;
    double len;
    size_t nint = intervals(sc, &len);
    if (nint > BH_SIM_MAX_INTERVALS)
        nint = BH_SIM_MAX_INTERVALS;
    if (nint == 0)
        nint = 1;
    double hold_w = 0, rate_w = 0, pat_w = 0, pat_rate = 0;
    out->offered = -1; /* the first interval scanned is the first best */
    for (size_t k = 0; k < nint; k++) {
        double t0 = (double)k * len, t1 = t0 + len;
        if (t1 > sc->horizon)
            t1 = sc->horizon;
        if (t1 <= from)
            continue;
        struct load l;
        load_of(sc, kind, index, t0, t1, &l);
        out->sources = l.sources;
        if (l.offered > out->offered) {
            out->offered = l.offered;
            out->op_offered = l.operators;
            out->start = t0;
        }
        if (l.operators > out->op_peak)
            out->op_peak = l.operators;
        hold_w += l.operators;
        rate_w += l.attempts;
        pat_w += l.pat_w;
        pat_rate += l.pat_rate;
    }
    if (out->offered < 0)
        out->offered = 0;
    out->aht = operators && rate_w > 0 ? hold_w / rate_w : 0;
    out->patience = pat_rate > 0 ? pat_w / pat_rate : INFINITY;
    out->blocking = bh_erlang_b(out->offered, lines);
    out->p_wait = operators ? bh_erlang_c(out->op_offered, operators) : 0;
    return 0;
}
