/* cmd_report.c: `busyhour report RESULTS.json...`: reads results files
 * and writes the Markdown, CSV, JUnit and HTML reports; computes each
 * target's capacity curve with the Erlang formulas (here, because
 * bh_reports cannot link bh_sim, which depends on it). */
#include "bh.h"
#include "cli.h"
#include "reports.h"
#include "scenario.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESULTS 8      /* results files side by side */
#define CURVE_POINTS 48    /* at most this many capacities on a curve */
#define DEFAULT_SL_TIME 20 /* s, when nothing names a service-level time */

static void
help(FILE *out) {
    fprintf(
        out,
        "usage: busyhour report RESULTS.json [MORE.json ...] [--html FILE]\n"
        "                       [--csv DIR] [--junit FILE] [--md FILE]\n"
        "                       [--scenario FILE [--analytic]] "
        "[--exit-zero]\n"
        "\n"
        "Reads results files written by busyhour sim, plan, load or run "
        "(format:\nreports/README.md) and renders them. Several files of one "
        "scenario\n(analytic, simulated, measured) are shown side by side, "
        "with confidence\nintervals. The first file gives the verdict.\n"
        "\n"
        "Options:\n"
        "  --html FILE      one self-contained HTML page (inline CSS and SVG "
        "charts\n"
        "                   drawn by gnuplot; opens offline): the verdict, "
        "then per\n"
        "                   number and bridge load against capacity, "
        "blocking,\n"
        "                   waits, abandonment, costs and the capacity "
        "curve\n"
        "  --csv DIR        intervals.csv, targets.csv and classes.csv in "
        "DIR\n"
        "                   (created if need be)\n"
        "  --junit FILE     JUnit XML: one test case per threshold\n"
        "  --md FILE        Markdown summary ('-' for standard output)\n"
        "  --scenario FILE  the scenario the results came from: its "
        "thresholds are\n"
        "                   evaluated again on every file, its start time "
        "sets the\n"
        "                   clock, and its holding times, patience and "
        "tariffs feed\n"
        "                   the capacity curves\n"
        "  --analytic       add the scenario's figures from the exact "
        "formulas (needs\n"
        "                   --scenario; alone, without results files, it "
        "reports\n"
        "                   them by themselves): per interval, first "
        "attempts, Erlang\n"
        "                   B on lines and ports, C or A on operators\n"
        "  --exit-zero      exit 0 even when a threshold fails (the "
        "verdict stays in\n"
        "                   the outputs); bad input still exits 2\n"
        "  --help           show this help\n"
        "\n"
        "With no output option the Markdown summary goes to standard "
        "output.\n"
        "Charts need gnuplot (Debian package gnuplot-nox); $BH_GNUPLOT "
        "names\nanother program.\n"
        "\n"
        "Exit status: 0 all thresholds of the first file pass (or there are "
        "none,\nor --exit-zero); 1 one of them failed; 2 bad usage, or a "
        "results file that "
        "is missing,\nmalformed or truncated (FILE:LINE:COLUMN: what is "
        "wrong).\n");
}

/* ---- Capacity curves ----------------------------------------------- */

/* Offered Erlangs in the busiest interval (the whole horizon's mean when
 * there are no intervals). */
static double
peak_load(const struct bh_results *r, size_t ti) {
    double a = NAN;
    for (size_t i = 0; r->intervals && i < r->nintervals; i++) {
        double v = r->intervals[ti * r->nintervals + i].offered_erlangs.mean;
        if (isfinite(v) && (!isfinite(a) || v > a))
            a = v;
    }
    if (!isfinite(a))
        a = r->targets[ti].offered_erlangs.mean;
    return a;
}

/* The first calls source of the scenario that targets a number or bridge
 * named `name`, or NULL. */
static const struct bh_sc_source *
source_for(const struct bh_scenario *sc, const char *name) {
    if (!sc)
        return NULL;
    int num = bh_scenario_find_number(sc, name);
    int br = bh_scenario_find_bridge(sc, name);
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if (s->kind != BH_SOURCE_CALLS)
            continue;
        if ((s->target_kind == BH_TARGET_NUMBER && s->target == num) ||
            (s->target_kind == BH_TARGET_BRIDGE && s->target == br))
            return s;
    }
    return NULL;
}

/* Limit of the first threshold on target.metric in the results (and its
 * service-level time), or NaN. */
static double
limit_of(const struct bh_results *r, const char *target, const char *metric,
         double *sl_time) {
    size_t tl = strlen(target), ml = strlen(metric);
    for (size_t i = 0; i < r->nthresholds; i++) {
        const char *e = r->thresholds[i].expr;
        while (*e == ' ')
            e++;
        if (strncmp(e, target, tl) != 0 || e[tl] != '.' ||
            strncmp(e + tl + 1, metric, ml) != 0)
            continue;
        const char *p = e + tl + 1 + ml;
        if (sl_time && *p == '(') {
            char buf[32];
            size_t k = 0;
            for (p++; *p && *p != ')' && k + 1 < sizeof buf; p++)
                buf[k++] = *p;
            buf[k] = '\0';
            double t;
            if (bh_parse_duration(buf, &t) != 0)
                continue;
            *sl_time = t;
        }
        return r->thresholds[i].limit;
    }
    return NAN;
}

static const struct bh_plan_row *
plan_for(const struct bh_results *r, const char *target, const char *res) {
    for (size_t i = 0; r->plan && i < r->nplan; i++)
        if (strcmp(r->plan[i].target, target) == 0 &&
            strcmp(r->plan[i].resource, res) == 0)
            return &r->plan[i];
    return NULL;
}

/* Total lines and ports the results show (for the rental per line). */
static long
all_lines(const struct bh_results *r) {
    long n = 0;
    for (size_t i = 0; i < r->ntargets; i++)
        if (strcmp(r->targets[i].kind, "campaign") != 0)
            n += r->targets[i].lines;
    return n;
}

struct curve_store {
    struct bh_capacity_curve curve;
    struct bh_capacity_point pts[CURVE_POINTS];
};

/* One target's curve: Erlang B blocking against lines or ports, or the
 * Erlang C (A with exponential patience) service level against
 * operators, at the busiest interval's load; cost per month from today's
 * and the line rental. Returns false when the results lack the load. */
static bool
make_curve(const struct bh_results *r, size_t ti, const struct bh_scenario *sc,
           struct curve_store *cs) {
    const struct bh_target_result *t = &r->targets[ti];
    if (strcmp(t->kind, "campaign") == 0)
        return false;
    double a = peak_load(r, ti);
    if (!isfinite(a) || a <= 0)
        return false;
    struct bh_capacity_curve *c = &cs->curve;
    memset(cs, 0, sizeof *cs);
    snprintf(c->target, sizeof c->target, "%s", t->name);
    c->limit = NAN;
    bool queue = t->operators > 0;
    bool bridge = strcmp(t->kind, "bridge") == 0;
    snprintf(c->resource, sizeof c->resource, "%s",
             queue    ? "operators"
             : bridge ? "ports"
                      : "lines");
    c->now = queue ? t->operators : t->lines;

    const struct bh_sc_source *src = source_for(sc, t->name);
    double aht = NAN, patience = INFINITY;
    if (queue) {
        double slt = NAN;
        c->limit = limit_of(r, t->name, "service_level", &slt);
        c->sl_time = isfinite(slt) ? slt
                     : t->nsl      ? t->sl[0].t
                                   : DEFAULT_SL_TIME;
        if (src) {
            aht = bh_dist_mean(&src->holding);
            if (src->has_patience && src->patience.kind == BH_DIST_EXPONENTIAL)
                patience = src->patience.mean;
        } else {
            /* From the results: load = rate x holding time. */
            double span = r->horizon - r->warmup;
            if (t->offered.mean > 0 && span > 0)
                aht = t->offered_erlangs.mean * span / t->offered.mean;
        }
        if (!isfinite(aht) || aht <= 0)
            return false;
    } else {
        c->limit = limit_of(r, t->name, "blocking", NULL);
    }

    /* The results' monthly cost, and the rental of one line a month. */
    double month_now = r->costs.present ? r->costs.per_month.mean : NAN;
    double line_month = NAN;
    if (sc && sc->tariffs.present)
        line_month = (double)sc->tariffs.per_line_month / BH_MONEY_UNIT;
    else if (r->costs.present && r->horizon > 0 && all_lines(r) > 0)
        line_month = r->costs.line_rental.mean * BH_RATING_MONTH / r->horizon /
                     (double)all_lines(r);

    /* The range: from about half the load to well past today's and the
     * recommended capacity. */
    const struct bh_plan_row *pr = plan_for(r, t->name, c->resource);
    /* The capacity the results were simulated at anchors the cost line.
     * busyhour plan simulates at the recommended capacity: then today's
     * capacity is the plan row's, not the results'. */
    int simulated = c->now;
    if (pr && pr->now > 0)
        c->now = pr->now;
    int lo = (int)floor(a * 0.6), hi = (int)ceil(a * 1.6) + 4;
    if (lo < 1)
        lo = 1;
    if (c->now > 0 && c->now + 3 > hi)
        hi = c->now + 3;
    if (c->now > 0 && c->now - 3 < lo)
        lo = c->now - 3 > 1 ? c->now - 3 : 1;
    if (pr && pr->recommended + 3 > hi)
        hi = pr->recommended + 3;
    int step = (hi - lo) / CURVE_POINTS + 1;
    int found = 0;
    for (int n = lo; n <= hi && c->n < CURVE_POINTS; n += step) {
        struct bh_capacity_point *p = &cs->pts[c->n++];
        p->n = n;
        p->blocking = p->service_level = p->cost_month = NAN;
        if (queue) {
            if (isinf(patience)) {
                struct bh_erlang_c ec;
                if (bh_erlang_c_eval(a, n, aht, c->sl_time, &ec) == 0)
                    p->service_level = ec.service_level;
            } else {
                struct bh_erlang_a ea;
                if (bh_erlang_a_eval(a, n, aht, patience, c->sl_time, &ea) == 0)
                    p->service_level = ea.service_level;
            }
            /* Operators are not in the tariffs: no cost line. */
        } else {
            p->blocking = bh_erlang_b(a, n);
            if (isfinite(month_now) && isfinite(line_month) && simulated > 0)
                p->cost_month = month_now + (n - simulated) * line_month;
        }
        if (!found && isfinite(c->limit)) {
            bool ok =
                queue ? p->service_level >= c->limit : p->blocking <= c->limit;
            if (ok)
                found = n;
        }
    }
    if (pr)
        c->recommended = pr->recommended;
    else if (found)
        c->recommended = found; /* from the formula, to the step */
    char dur[32];
    bh_format_duration(c->sl_time, dur, sizeof dur);
    if (queue)
        snprintf(c->note, sizeof c->note,
                 "Erlang %s at the busiest interval's load, %.1f Erlangs, "
                 "mean handling %.0f s%s; share answered within %s. "
                 "Operators are not in the tariffs: no cost line. "
                 "Recommended: %s.",
                 isinf(patience) ? "C" : "A", a, aht,
                 isinf(patience) ? "" : " and exponential patience", dur,
                 pr      ? "busyhour plan's simulated search"
                 : found ? "fewest operators meeting the threshold"
                         : "no threshold on the service level");
    else
        snprintf(c->note, sizeof c->note,
                 "Erlang B at the busiest interval's load, %.1f Erlangs%s. "
                 "Cost: the simulated monthly cost, plus the rental of each "
                 "%s added, less each removed. Recommended: %s.",
                 a,
                 bridge ? " (participants taken as independent calls, which "
                          "is optimistic for meetings that join at once)"
                        : "",
                 bridge ? "port" : "line",
                 pr      ? "busyhour plan's simulated search"
                 : found ? "fewest that meet the blocking threshold"
                         : "no threshold on blocking");
    c->points = cs->pts;
    return c->n > 0;
}

/* ---- Analytic results ------------------------------------------------
 * --analytic: the scenario's figures from the exact formulas, interval by
 * interval, as a results file of source "analytic", to stand beside the
 * simulated and measured ones. What it models (see reports/README.md):
 * first attempts only (no retrials), each interval stationary at its mean
 * rate; a number's operators as Erlang C, or Erlang A when callers have
 * exponential patience; its lines as Erlang B on the load the lines carry
 * (menu, wait and talk, plus a campaign's ringing and talk through it);
 * a bridge's ports as Erlang B on participants' port time. No costs. */

/* Service-level times for a target: those its thresholds name, else the
 * default. */
static size_t
sl_times(const struct bh_scenario *sc, const char *name, double *t,
         size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < sc->nthresholds && n < max; i++)
        if (sc->thresholds[i].metric == BH_METRIC_SERVICE_LEVEL &&
            strcmp(sc->thresholds[i].target, name) == 0) {
            bool seen = false;
            for (size_t k = 0; k < n; k++)
                seen |= fabs(t[k] - sc->thresholds[i].arg) < 1e-9;
            if (!seen)
                t[n++] = sc->thresholds[i].arg;
        }
    if (n == 0)
        t[n++] = DEFAULT_SL_TIME;
    return n;
}

/* The M/M/n/K+M birth-death chain: arrivals lam (1/s), service mu (1/s)
 * per busy operator, n operators, K lines (calls in the system, waiting or
 * talking), abandonment theta (1/s) per waiting caller (0: nobody gives
 * up). Exact for exponential times; stores the blocking (PASTA: the share
 * of time all K lines are busy), the share of arrivals that abandon, the
 * operators' busy share and the mean calls in the system. */
static void
mmnk(double lam, double mu, long n, long k, double theta, double *block,
     double *p_ab, double *occ, double *in_system) {
    if (n > k)
        n = k;
    double p = 1, sum = 1, busy = 0, queue = 0, l = 0;
    for (long j = 1; j <= k; j++) {
        double out = (j < n ? j : n) * mu + (j > n ? (j - n) * theta : 0);
        p = out > 0 ? p * lam / out : 0;
        sum += p;
        busy += p * (double)(j < n ? j : n);
        queue += p * (double)(j > n ? j - n : 0);
        l += p * (double)j;
        if (sum > 1e250) { /* rescale: only ratios matter */
            p /= sum;
            busy /= sum;
            queue /= sum;
            l /= sum;
            sum = 1;
        }
    }
    *block = p / sum;
    *occ = n > 0 ? busy / sum / (double)n : 0;
    *p_ab = lam > 0 ? queue / sum * theta / lam : 0;
    *in_system = l / sum;
}

/* One interval of one number or bridge. */
struct an_iv {
    double calls;     /* first attempts in the interval */
    double offered;   /* Erlangs: arrivals x (menu + talk), as `check` */
    double line_load; /* Erlangs carried on lines or ports if unblocked */
    double blocking, abandon, asa, occupancy, busy;
    double sl[BH_RES_MAX_SL];
};

static void
analytic_number(const struct bh_scenario *sc, size_t ni, double a, double b,
                size_t nsl, const double *slt, struct an_iv *o) {
    const struct bh_sc_number *num = &sc->sw.numbers[ni];
    double lam = 0, hold = 0, camp = 0, patience = INFINITY;
    bool any_patience = false, all_exp = true;
    for (size_t s = 0; s < sc->nsources; s++) {
        const struct bh_sc_source *src = &sc->sources[s];
        if (src->target_kind != BH_TARGET_NUMBER || src->target != (int)ni)
            continue;
        if (src->kind == BH_SOURCE_CAMPAIGN) {
            double r =
                bh_profile_mean_rate(&src->campaign.profile, sc->start, a, b);
            camp += r / 3600.0 *
                    (bh_dist_mean(&src->campaign.ring) +
                     src->campaign.answer_probability *
                         bh_dist_mean(&src->holding));
            continue;
        }
        if (src->kind != BH_SOURCE_CALLS)
            continue;
        double r =
            bh_profile_mean_rate(&src->profile, sc->start, a, b) / 3600.0;
        lam += r;
        hold += r * bh_dist_mean(&src->holding);
        if (src->has_patience) {
            any_patience = true;
            if (src->patience.kind == BH_DIST_EXPONENTIAL)
                patience = src->patience.mean;
            else
                all_exp = false;
        }
    }
    memset(o, 0, sizeof *o);
    o->calls = lam * (b - a);
    double h = lam > 0 ? hold / lam : 0; /* mean talk, s */
    double menu = num->ivr.present ? num->ivr.menu_time : 0;
    if (!any_patience || !all_exp)
        patience = INFINITY; /* Erlang C: callers wait */
    if (num->queue.present && num->queue.operators > 0 && lam > 0) {
        long n = num->queue.operators;
        double aht = h + num->queue.wrap_up;
        double load = lam * aht;
        double p_ab = 0, asa = 0;
        for (size_t k = 0; k < nsl; k++) {
            double sl = NAN;
            if (isinf(patience)) {
                struct bh_erlang_c c;
                if (bh_erlang_c_eval(load, n, aht, slt[k], &c) == 0) {
                    sl = c.service_level;
                    asa = c.asa;
                }
            } else {
                struct bh_erlang_a e;
                if (bh_erlang_a_eval(load, n, aht, patience, slt[k], &e) == 0) {
                    sl = e.service_level;
                    asa = e.asa;
                    p_ab = e.p_abandon;
                }
            }
            o->sl[k] = sl;
        }
        if (nsl == 0) {
            struct bh_erlang_c c;
            if (isinf(patience) && bh_erlang_c_eval(load, n, aht, 0, &c) == 0)
                asa = c.asa;
        }
        /* Lines and operators together: the M/M/n/K+M chain on the lines
         * the menu and campaigns leave free. */
        double k_free = num->lines - lam * menu - camp;
        long k = k_free > (double)n ? (long)floor(k_free) : n;
        if (num->queue.max_length > 0 && k > n + num->queue.max_length)
            k = n + num->queue.max_length; /* the queue's own limit */
        double block, ab, occ, l;
        mmnk(lam, 1 / aht, n, k, isinf(patience) ? 0 : 1 / patience, &block,
             &ab, &occ, &l);
        (void)p_ab; /* with unlimited lines; the chain's is used */
        o->line_load = lam * (menu + (isfinite(asa) ? asa : 0) + h) + camp;
        o->blocking = block;
        o->abandon = ab;
        for (size_t j = 0; j < nsl; j++)
            o->sl[j] *= 1 - o->blocking;
        o->asa = asa;
        o->occupancy = occ;
        o->busy = l + lam * (1 - block) * menu + camp;
    } else {
        o->line_load =
            lam * (menu + (num->queue.present ? h : h + num->announcement)) +
            camp;
        o->blocking = bh_erlang_b(o->line_load, num->lines);
        for (size_t k = 0; k < nsl; k++)
            o->sl[k] = 1 - o->blocking;
        o->occupancy = num->lines > 0
                           ? o->line_load * (1 - o->blocking) / num->lines
                           : NAN;
    }
    if (!(num->queue.present && num->queue.operators > 0 && lam > 0))
        o->busy = o->line_load * (1 - o->blocking);
    o->offered = lam * (menu + h) + camp;
    if (lam == 0 && camp == 0) {
        o->blocking = o->abandon = o->asa = 0;
        for (size_t k = 0; k < nsl; k++)
            o->sl[k] = NAN;
    }
}

static void
analytic_bridge(const struct bh_scenario *sc, size_t bi, double a, double b,
                struct an_iv *o) {
    const struct bh_sc_bridge *br = &sc->sw.bridges[bi];
    memset(o, 0, sizeof *o);
    for (size_t s = 0; s < sc->nsources; s++) {
        const struct bh_sc_source *src = &sc->sources[s];
        if (src->target_kind != BH_TARGET_BRIDGE || src->target != (int)bi)
            continue;
        if (src->kind == BH_SOURCE_MEETINGS) {
            double r =
                bh_profile_mean_rate(&src->meetings.profile, sc->start, a, b) /
                3600.0;
            double parts = bh_dist_mean(&src->meetings.participants);
            o->calls += r * parts * (b - a);
            o->line_load += r * parts *
                            (bh_dist_mean(&src->meetings.duration) +
                             src->meetings.passcode_entry);
        } else if (src->kind == BH_SOURCE_CALLS) {
            double r =
                bh_profile_mean_rate(&src->profile, sc->start, a, b) / 3600.0;
            o->calls += r * (b - a);
            o->line_load += r * bh_dist_mean(&src->holding);
        }
    }
    o->offered = o->line_load;
    o->blocking = o->calls > 0 ? bh_erlang_b(o->line_load, br->ports) : 0;
    o->busy = o->line_load * (1 - o->blocking);
    o->occupancy = br->ports > 0 ? o->busy / br->ports : NAN;
}

/* Fills r with the analytic figures of every number and bridge. */
static int
analytic_results(const struct bh_scenario *sc, struct bh_results *r) {
    size_t nt = sc->sw.nnumbers + sc->sw.nbridges;
    double len = sc->interval > 0 ? sc->interval : sc->horizon;
    size_t ni = len > 0 ? (size_t)ceil(sc->horizon / len - 1e-9) : 0;
    if (ni > 100000)
        return BH_ERANGE;
    int rc = bh_results_init(r, nt, ni);
    if (rc)
        return rc;
    r->source = BH_SOURCE_ANALYTIC;
    snprintf(r->scenario, sizeof r->scenario, "%s", sc->name);
    r->seed = sc->seed;
    r->replications = 1;
    r->horizon = sc->horizon;
    r->warmup = sc->sim.warmup;
    r->interval = len;
    for (size_t ti = 0; ti < nt; ti++) {
        struct bh_target_result *t = &r->targets[ti];
        bool bridge = ti >= sc->sw.nnumbers;
        size_t idx = bridge ? ti - sc->sw.nnumbers : ti;
        double slt[BH_RES_MAX_SL];
        size_t nsl = 0;
        if (bridge) {
            snprintf(t->name, sizeof t->name, "%s", sc->sw.bridges[idx].name);
            snprintf(t->kind, sizeof t->kind, "bridge");
            t->lines = sc->sw.bridges[idx].ports;
        } else {
            const struct bh_sc_number *n = &sc->sw.numbers[idx];
            snprintf(t->name, sizeof t->name, "%s", n->name);
            snprintf(t->kind, sizeof t->kind, "number");
            t->lines = n->lines;
            t->operators = n->queue.present ? n->queue.operators : 0;
            if (t->operators)
                nsl = sl_times(sc, n->name, slt, BH_RES_MAX_SL);
        }
        /* Sums over the intervals after the warm-up. */
        double calls = 0, blocked = 0, aband = 0, waitsum = 0, answered = 0,
               load_s = 0, busy_s = 0, occ_s = 0, span = 0;
        double slsum[BH_RES_MAX_SL] = {0};
        for (size_t k = 0; k < ni; k++) {
            double a = (double)k * len, b = a + len;
            if (b > sc->horizon)
                b = sc->horizon;
            struct an_iv o;
            if (bridge)
                analytic_bridge(sc, idx, a, b, &o);
            else
                analytic_number(sc, idx, a, b, nsl, slt, &o);
            struct bh_interval_result *iv = bh_results_interval(r, ti, k);
            iv->start = a;
            iv->offered_erlangs = bh_estimate_exact(o.offered);
            iv->offered = bh_estimate_exact(o.calls);
            iv->blocking = bh_estimate_exact(o.calls > 0 ? o.blocking : NAN);
            iv->abandonment = bh_estimate_exact(o.calls > 0 ? o.abandon : NAN);
            iv->wait_mean =
                bh_estimate_exact(t->operators && o.calls > 0 ? o.asa : NAN);
            iv->busy_mean = bh_estimate_exact(o.busy);
            iv->occupancy = bh_estimate_exact(o.occupancy);
            iv->nsl = nsl;
            for (size_t j = 0; j < nsl; j++) {
                iv->sl[j].t = slt[j];
                iv->sl[j].value = bh_estimate_exact(o.sl[j]);
            }
            /* the part of the interval after the warm-up */
            double w = b > r->warmup
                           ? (b - (a > r->warmup ? a : r->warmup)) / (b - a)
                           : 0;
            if (w <= 0)
                continue;
            double c = o.calls * w;
            calls += c;
            blocked += c * o.blocking;
            aband += c * o.abandon;
            double ans = c * (1 - o.blocking - o.abandon);
            answered += ans;
            if (isfinite(o.asa))
                waitsum += ans * o.asa;
            for (size_t j = 0; j < nsl; j++)
                if (isfinite(o.sl[j]))
                    slsum[j] += c * o.sl[j];
            load_s += o.offered * (b - a) * w;
            busy_s += o.busy * (b - a) * w;
            if (isfinite(o.occupancy))
                occ_s += o.occupancy * (b - a) * w;
            span += (b - a) * w;
        }
        t->offered_erlangs = bh_estimate_exact(span > 0 ? load_s / span : 0);
        t->offered = bh_estimate_exact(calls);
        t->answered = bh_estimate_exact(answered);
        t->blocked = bh_estimate_exact(blocked);
        t->abandoned = bh_estimate_exact(aband);
        t->overflow = bh_estimate_exact(NAN);
        t->retried = bh_estimate_exact(0);
        t->blocking = bh_estimate_exact(calls > 0 ? blocked / calls : 0);
        t->abandonment = bh_estimate_exact(calls > 0 ? aband / calls : 0);
        t->wait_mean = bh_estimate_exact(
            t->operators ? (answered > 0 ? waitsum / answered : 0) : 0);
        t->wait_p50 = t->wait_p90 = t->wait_p99 = bh_estimate_exact(NAN);
        if (!t->operators)
            t->wait_p50 = t->wait_p90 = t->wait_p99 = bh_estimate_exact(0);
        t->nsl = nsl;
        for (size_t j = 0; j < nsl; j++) {
            t->sl[j].t = slt[j];
            t->sl[j].value =
                bh_estimate_exact(calls > 0 ? slsum[j] / calls : NAN);
        }
        t->occupancy = bh_estimate_exact(span > 0 ? occ_s / span : 0);
        t->busy_mean = bh_estimate_exact(span > 0 ? busy_s / span : 0);
        t->peak_busy = bh_estimate_exact(NAN);
        t->incomplete_meetings = bh_estimate_exact(NAN);
        t->meetings = bh_estimate_exact(NAN);
    }
    return 0;
}

/* ---- The command ---------------------------------------------------- */

static int
write_to(const char *path, const struct bh_report *rep,
         int (*fn)(const struct bh_report *, FILE *)) {
    if (strcmp(path, "-") == 0)
        return fn(rep, stdout) || fflush(stdout) ? BH_EIO : 0;
    FILE *f = bh_mkdir_parents(path) == 0 ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "busyhour report: cannot write %s: %s\n", path,
                strerror(errno));
        return BH_EIO;
    }
    int rc = fn(rep, f);
    if (fclose(f) != 0)
        rc = BH_EIO;
    if (rc)
        fprintf(stderr, "busyhour report: cannot write %s\n", path);
    return rc;
}

int
bh_cmd_report(int argc, char **argv) {
    const char *html = NULL, *csv = NULL, *junit = NULL, *md = NULL,
               *scen = NULL;
    const char *files[MAX_RESULTS];
    size_t nfiles = 0;
    bool analytic = false, exit_zero = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **opt = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return BH_EXIT_OK;
        } else if (strcmp(a, "--html") == 0) {
            opt = &html;
        } else if (strcmp(a, "--csv") == 0) {
            opt = &csv;
        } else if (strcmp(a, "--junit") == 0) {
            opt = &junit;
        } else if (strcmp(a, "--md") == 0) {
            opt = &md;
        } else if (strcmp(a, "--scenario") == 0) {
            opt = &scen;
        } else if (strcmp(a, "--analytic") == 0) {
            analytic = true;
            continue;
        } else if (strcmp(a, "--exit-zero") == 0) {
            exit_zero = true;
            continue;
        } else if (a[0] == '-' && a[1]) {
            return bh_cli_usage_error("report",
                                      "unknown option '%s' (see busyhour "
                                      "report --help)",
                                      a);
        } else {
            if (nfiles == MAX_RESULTS)
                return bh_cli_usage_error("report", "at most %d results files",
                                          MAX_RESULTS);
            files[nfiles++] = a;
            continue;
        }
        if (i + 1 >= argc || !argv[i + 1][0])
            return bh_cli_usage_error("report", "%s needs a value", a);
        *opt = argv[++i];
    }
    if (analytic && !scen)
        return bh_cli_usage_error("report", "--analytic needs --scenario");
    if (nfiles == 0 && !analytic)
        return bh_cli_usage_error("report",
                                  "no results file given (usage: busyhour "
                                  "report RESULTS.json [MORE.json ...])");

    int status = BH_EXIT_OK;
    struct bh_scenario *sc = NULL;
    struct bh_results rs[MAX_RESULTS + 1];
    const struct bh_results *rp[MAX_RESULTS + 1];
    char labels[MAX_RESULTS + 1][600];
    const char *lp[MAX_RESULTS + 1];
    size_t nread = 0;
    struct curve_store *curves = NULL;
    struct bh_capacity_curve *cv = NULL;
    size_t ncurves = 0;

    if (scen) {
        struct bh_diag d;
        if (bh_scenario_load(scen, &sc, &d) != 0) {
            bh_diag_print(&d, stderr);
            return BH_EXIT_USAGE;
        }
    }
    for (size_t f = 0; f < nfiles; f++) {
        struct bh_diag d;
        int rc = bh_results_read_json(files[f], &rs[f], &d);
        if (rc) {
            bh_diag_print(&d, stderr);
            status = BH_EXIT_USAGE;
            goto out;
        }
        nread++;
        rp[f] = &rs[f];
        const char *base = strrchr(files[f], '/');
        base = base ? base + 1 : files[f];
        snprintf(labels[f], sizeof labels[f], "%s (%s)",
                 bh_results_source_name(rs[f].source), base);
        lp[f] = labels[f];
        if (sc && bh_thresholds_eval(sc, &rs[f]) < 0) {
            fprintf(stderr, "busyhour report: out of memory\n");
            status = BH_EXIT_USAGE;
            goto out;
        }
    }

    if (analytic) {
        /* The formulas' figures beside the files (or alone). */
        int rc = analytic_results(sc, &rs[nfiles]);
        if (rc == 0)
            rc = bh_thresholds_eval(sc, &rs[nfiles]) < 0 ? BH_ENOMEM : 0;
        /* Thresholds the formulas cannot judge (costs, percentiles,
         * meetings) are left out rather than failed. */
        struct bh_results *an = &rs[nfiles];
        size_t kept = 0;
        for (size_t i = 0; rc == 0 && i < an->nthresholds; i++)
            if (!isnan(an->thresholds[i].value))
                an->thresholds[kept++] = an->thresholds[i];
        an->nthresholds = kept;
        if (rc) {
            bh_results_clear(&rs[nfiles]);
            fprintf(stderr, "busyhour report: analytic figures: %s\n",
                    bh_strerror(rc));
            status = BH_EXIT_USAGE;
            goto out;
        }
        rp[nfiles] = &rs[nfiles];
        snprintf(labels[nfiles], sizeof labels[nfiles], "analytic (Erlang)");
        lp[nfiles] = labels[nfiles];
        nfiles++;
        nread++;
    }

    struct bh_report rep = {.n = nfiles,
                            .rs = rp,
                            .labels = lp,
                            .start = sc ? sc->start : 0,
                            .sc = sc};
    { /* capacity curves: HTML charts, Markdown recommendations */
        curves = calloc(rs[0].ntargets ? rs[0].ntargets : 1, sizeof *curves);
        cv = calloc(rs[0].ntargets ? rs[0].ntargets : 1, sizeof *cv);
        if (!curves || !cv) {
            fprintf(stderr, "busyhour report: out of memory\n");
            status = BH_EXIT_USAGE;
            goto out;
        }
        for (size_t ti = 0; ti < rs[0].ntargets; ti++)
            if (make_curve(&rs[0], ti, sc, &curves[ncurves])) {
                cv[ncurves] = curves[ncurves].curve;
                ncurves++;
            }
        rep.curves = cv;
        rep.ncurves = ncurves;
    }

    int rc = 0;
    if (md || (!html && !csv && !junit))
        rc |= write_to(md ? md : "-", &rep, bh_report_md);
    if (junit)
        rc |= write_to(junit, &rep, bh_report_junit);
    if (csv) {
        struct bh_diag d;
        if (bh_report_csv(&rep, csv, &d) != 0) {
            bh_diag_print(&d, stderr);
            rc = BH_EIO;
        }
    }
    if (html) {
        struct bh_diag d = {0};
        snprintf(d.file, sizeof d.file, "%s", html);
        FILE *f = bh_mkdir_parents(html) == 0 ? fopen(html, "w") : NULL;
        if (!f) {
            fprintf(stderr, "busyhour report: cannot write %s: %s\n", html,
                    strerror(errno));
            rc = BH_EIO;
        } else {
            int hr = bh_report_html(&rep, f, &d);
            if (fclose(f) != 0 && !hr)
                hr = BH_EIO;
            if (hr) {
                if (!d.msg[0])
                    bh_diag_set(&d, 0, 0, "cannot write the report");
                bh_diag_print(&d, stderr);
                remove(html); /* no half-written page */
                rc = BH_EIO;
            }
        }
    }
    if (rc)
        status = BH_EXIT_USAGE;
    else if (bh_results_failed(&rs[0]) > 0 && !exit_zero)
        status = BH_EXIT_THRESHOLD;
out:
    for (size_t f = 0; f < nread; f++)
        bh_results_clear(&rs[f]);
    free(curves);
    free(cv);
    bh_scenario_free(sc);
    return status;
}
