/* render_md.c: the Markdown summary of one or more results files, for CI
 * logs and pull-request comments: verdict, thresholds, per-target figures
 * side by side, costs. */
#include "render.h"

#include <math.h>
#include <string.h>

/* A table cell: pipes would end the cell. */
static void
cell(FILE *out, const char *s) {
    fputs("| ", out);
    for (; *s; s++)
        fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, out);
    fputc(' ', out);
}

static void
header(FILE *out, const struct bh_report *rep, const char *first) {
    cell(out, first);
    for (size_t f = 0; f < rep->n; f++)
        cell(out, rep->labels[f]);
    fputs("|\n", out);
    fputs("|---", out);
    for (size_t f = 0; f < rep->n; f++)
        fputs("|---:", out);
    fputs("|\n", out);
}

typedef struct bh_estimate (*getter)(const struct bh_target_result *t,
                                     double arg);

static struct bh_estimate
g_offered(const struct bh_target_result *t, double a) {
    return t->offered;
}
static struct bh_estimate
g_erl(const struct bh_target_result *t, double a) {
    return t->offered_erlangs;
}
static struct bh_estimate
g_answered(const struct bh_target_result *t, double a) {
    return t->answered;
}
static struct bh_estimate
g_blocked(const struct bh_target_result *t, double a) {
    return t->blocked;
}
static struct bh_estimate
g_abandoned(const struct bh_target_result *t, double a) {
    return t->abandoned;
}
static struct bh_estimate
g_blocking(const struct bh_target_result *t, double a) {
    return t->blocking;
}
static struct bh_estimate
g_abandonment(const struct bh_target_result *t, double a) {
    return t->abandonment;
}
static struct bh_estimate
g_wmean(const struct bh_target_result *t, double a) {
    return t->wait_mean;
}
static struct bh_estimate
g_wp90(const struct bh_target_result *t, double a) {
    return t->wait_p90;
}
static struct bh_estimate
g_wp99(const struct bh_target_result *t, double a) {
    return t->wait_p99;
}
static struct bh_estimate
g_sl(const struct bh_target_result *t, double a) {
    return rd_target_sl(t, a);
}
static struct bh_estimate
g_occ(const struct bh_target_result *t, double a) {
    return t->occupancy;
}
static struct bh_estimate
g_peak(const struct bh_target_result *t, double a) {
    return t->peak_busy;
}
static struct bh_estimate
g_incomplete(const struct bh_target_result *t, double a) {
    return t->incomplete_meetings;
}

static struct bh_estimate
g_lines(const struct bh_target_result *t, double a) {
    return rd_capacity_figure(t, false);
}
static struct bh_estimate
g_operators(const struct bh_target_result *t, double a) {
    return rd_capacity_figure(t, true);
}

static void
row(FILE *out, const struct bh_report *rep, const char *target,
    const char *label, getter g, double arg, enum rd_unit u) {
    /* Rows that no file measured are left out. */
    bool any = false;
    for (size_t f = 0; f < rep->n; f++) {
        int ti = rd_find_target(rep->rs[f], target);
        if (ti >= 0 && isfinite(g(&rep->rs[f]->targets[ti], arg).mean))
            any = true;
    }
    if (!any)
        return;
    cell(out, label);
    for (size_t f = 0; f < rep->n; f++) {
        int ti = rd_find_target(rep->rs[f], target);
        char buf[128] = "-";
        if (ti >= 0)
            rd_fmt(buf, sizeof buf, g(&rep->rs[f]->targets[ti], arg), u, true);
        cell(out, buf);
    }
    fputs("|\n", out);
}

/* busyhour plan's rows: capacity now and recommended, with the figures
 * at each, what set each answer and over which period. */
static void
plan_table(FILE *out, const struct bh_report *rep) {
    for (size_t f = 0; f < rep->n; f++) {
        const struct bh_results *r = rep->rs[f];
        if (!r->nplan)
            continue;
        fprintf(out,
                "## Capacity plan (%s)\n\n"
                "Now: the scenario's capacity; recommended: the fewest that "
                "meet the thresholds, which this file's other figures are "
                "computed at.\n\n"
                "| target | resource | now | analytic | recommended | "
                "blocking now | blocking recommended | service level now | "
                "service level recommended | cost/month now | cost/month "
                "recommended | set by | over | there |\n"
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
                "---|---:|\n",
                rep->labels[f]);
        for (size_t i = 0; i < r->nplan; i++) {
            const struct bh_plan_row *p = &r->plan[i];
            char b[8][96];
            snprintf(b[0], sizeof b[0], "%d", p->now);
            snprintf(b[1], sizeof b[1], "%d", p->analytic);
            snprintf(b[2], sizeof b[2], "%d", p->recommended);
            cell(out, p->target);
            cell(out, p->resource);
            for (int k = 0; k < 3; k++)
                cell(out, b[k]);
            rd_fmt(b[0], sizeof b[0], p->blocking_now, RU_PERCENT, true);
            rd_fmt(b[1], sizeof b[1], p->blocking_recommended, RU_PERCENT,
                   true);
            rd_fmt(b[2], sizeof b[2], p->sl_now, RU_PERCENT, true);
            rd_fmt(b[3], sizeof b[3], p->sl_recommended, RU_PERCENT, true);
            rd_fmt(b[4], sizeof b[4], p->cost_now, RU_MONEY, true);
            rd_fmt(b[5], sizeof b[5], p->cost_recommended, RU_MONEY, true);
            struct rd_expr e;
            enum rd_unit u =
                rd_parse_expr(p->binding, &e) ? e.unit : RU_PERCENT;
            rd_fmt(b[6], sizeof b[6], p->judged, u, true);
            for (int k = 0; k < 6; k++)
                cell(out, b[k]);
            cell(out, p->binding[0] ? p->binding : "-");
            cell(out, p->period[0] ? p->period : "-");
            cell(out, b[6]);
            fputs("|\n", out);
        }
        fputc('\n', out);
    }
}

static void
cost_row(FILE *out, const struct bh_report *rep, const char *label,
         size_t off) {
    cell(out, label);
    for (size_t f = 0; f < rep->n; f++) {
        char buf[128] = "-";
        const struct bh_costs *c = &rep->rs[f]->costs;
        if (c->present)
            rd_fmt(buf, sizeof buf,
                   *(const struct bh_estimate *)((const char *)c + off),
                   RU_MONEY, true);
        cell(out, buf);
    }
    fputs("|\n", out);
}

/* Each target's costs per answered call, by payer (the first file with
 * them), so a manager sees what one answered call costs the company. */
static void
md_target_costs(FILE *out, const struct bh_report *rep) {
    const struct bh_costs *c = NULL;
    size_t f0 = 0;
    for (size_t f = 0; f < rep->n && !c; f++)
        if (rep->rs[f]->costs.present && rep->rs[f]->costs.ntargets) {
            c = &rep->rs[f]->costs;
            f0 = f;
        }
    if (!c)
        return;
    fprintf(out,
            "### By target (%s)\n\n"
            "| target | answered | company | callers | company per "
            "answered call | callers per answered call |\n"
            "|---|---:|---:|---:|---:|---:|\n",
            rep->labels[f0]);
    for (size_t i = 0; i < c->ntargets; i++) {
        const struct bh_target_costs *t = &c->targets[i];
        char b[5][96];
        rd_fmt(b[0], sizeof b[0], t->answered, RU_COUNT, true);
        rd_fmt(b[1], sizeof b[1], t->by[BH_COST_COMPANY].total, RU_MONEY, true);
        rd_fmt(b[2], sizeof b[2], t->by[BH_COST_CALLERS].total, RU_MONEY, true);
        rd_fmt(b[3], sizeof b[3], t->by[BH_COST_COMPANY].per_answered_call,
               RU_MONEY, true);
        rd_fmt(b[4], sizeof b[4], t->by[BH_COST_CALLERS].per_answered_call,
               RU_MONEY, true);
        cell(out, t->name);
        for (int k = 0; k < 5; k++)
            cell(out, b[k]);
        fputs("|\n", out);
    }
    fputc('\n', out);
}

int
bh_report_md(const struct bh_report *rep, FILE *out) {
    if (!rep || !out || rep->n == 0)
        return BH_EINVAL;
    size_t vf = rep->verdict_of < rep->n ? rep->verdict_of : 0;
    const struct bh_results *r0 = rep->rs[0], *rv = rep->rs[vf];
    int failed = bh_results_failed(rv);
    fprintf(out, "# busyhour report: %s\n\n", r0->scenario);
    if (rv->nthresholds == 0)
        fprintf(out, "**Verdict: no thresholds** (the scenario sets "
                     "none).\n\n");
    else if (failed)
        fprintf(out,
                "**Verdict: FAIL** - %d of %zu thresholds failed "
                "(%s).\n\n",
                failed, rv->nthresholds, rep->labels[vf]);
    else
        fprintf(out, "**Verdict: PASS** - all %zu thresholds met (%s).\n\n",
                rv->nthresholds, rep->labels[vf]);
    fprintf(out, "Results: ");
    for (size_t f = 0; f < rep->n; f++)
        fprintf(out, "%s%s: %d replication%s, seed %lu", f ? "; " : "",
                rep->labels[f], rep->rs[f]->replications,
                rep->rs[f]->replications == 1 ? "" : "s", rep->rs[f]->seed);
    fprintf(out, ". Figures are means with 95%% confidence intervals "
                 "[lo, hi].\n\n");
    for (size_t i = 0; i < rep->nwarnings; i++)
        fprintf(out, "> **Warning:** %s\n\n", rep->warnings[i]);
    if (!rd_capacities_agree(rep))
        fprintf(out, "Columns are at different capacities: each is computed "
                     "at its own (the lines, operators and ports rows), so "
                     "they compare designs, not estimates of one.\n\n");
    if (rep->run && bh_report_run_md(rep->run, out))
        return BH_EIO;

    for (size_t f = 0; f < rep->n; f++) {
        const struct bh_results *r = rep->rs[f];
        if (!r->nthresholds)
            continue;
        char cap[600];
        rd_file_capacity(cap, sizeof cap, r);
        fprintf(out, "## Thresholds (%s)\n\n", rep->labels[f]);
        if (cap[0])
            fprintf(out, "Judged at %s.\n\n", cap);
        fprintf(out, "| threshold | compared value | limit | result |\n"
                     "|---|---:|---:|---|\n");
        for (size_t i = 0; i < r->nthresholds; i++) {
            const struct bh_threshold_result *t = &r->thresholds[i];
            struct rd_expr e;
            char v[64], l[64];
            if (!rd_parse_expr(t->expr, &e))
                e.unit = RU_COUNT;
            rd_fmt1(v, sizeof v, t->value, e.unit, true);
            rd_fmt1(l, sizeof l, t->limit, e.unit, true);
            cell(out, t->expr);
            char vb[96];
            snprintf(vb, sizeof vb, "%s (%s)", v,
                     e.upper ? "upper bound" : "lower bound");
            cell(out, vb);
            char lb[96];
            snprintf(lb, sizeof lb, "%s %s", e.op, l);
            cell(out, lb);
            cell(out, t->pass ? "pass" : "**FAIL**");
            fputs("|\n", out);
        }
        fputc('\n', out);
    }

    const char *names[BH_RES_MAX_TARGETS];
    size_t nn = rd_target_names(rep, names, BH_RES_MAX_TARGETS);
    double sl[BH_RES_MAX_SL * 4];
    size_t nsl = rd_sl_times(rep, sl, sizeof sl / sizeof *sl);
    for (size_t k = 0; k < nn; k++) {
        int t0 = rd_find_target(r0, names[k]);
        const struct bh_target_result *t = t0 >= 0 ? &r0->targets[t0] : NULL;
        fprintf(out, "## %s", names[k]);
        if (!t) /* first file lacks it: the first that has it */
            for (size_t f = 0; f < rep->n && !t; f++) {
                int ti = rd_find_target(rep->rs[f], names[k]);
                t = ti >= 0 ? &rep->rs[f]->targets[ti] : NULL;
            }
        if (t && t->kind[0]) {
            /* a capacity in the heading only when every column has it */
            char cap[64];
            rd_capacity(cap, sizeof cap, t);
            if (cap[0] && rd_same_capacity(rep, names[k]))
                fprintf(out, " (%s: %s)", t->kind, cap);
            else
                fprintf(out, " (%s)", t->kind);
        }
        fputs("\n\n", out);
        header(out, rep, "figure");
        bool bridge = t && strcmp(t->kind, "bridge") == 0;
        row(out, rep, names[k], bridge ? "ports" : "lines", g_lines, 0,
            RU_COUNT);
        row(out, rep, names[k], "operators", g_operators, 0, RU_COUNT);
        row(out, rep, names[k], "offered load", g_erl, 0, RU_ERLANG);
        row(out, rep, names[k], "offered calls", g_offered, 0, RU_COUNT);
        row(out, rep, names[k], "answered", g_answered, 0, RU_COUNT);
        row(out, rep, names[k], "blocked", g_blocked, 0, RU_COUNT);
        row(out, rep, names[k], "abandoned", g_abandoned, 0, RU_COUNT);
        row(out, rep, names[k], "blocking", g_blocking, 0, RU_PERCENT);
        row(out, rep, names[k], "abandonment", g_abandonment, 0, RU_PERCENT);
        row(out, rep, names[k], "wait, mean", g_wmean, 0, RU_SECONDS);
        row(out, rep, names[k], "wait, 90th percentile", g_wp90, 0, RU_SECONDS);
        row(out, rep, names[k], "wait, 99th percentile", g_wp99, 0, RU_SECONDS);
        for (size_t i = 0; i < nsl; i++) {
            char lab[64], d[32];
            bh_format_duration(sl[i], d, sizeof d);
            snprintf(lab, sizeof lab, "answered within %s", d);
            row(out, rep, names[k], lab, g_sl, sl[i], RU_PERCENT);
        }
        row(out, rep, names[k], "occupancy", g_occ, 0, RU_PERCENT);
        row(out, rep, names[k], "peak busy", g_peak, 0, RU_COUNT);
        row(out, rep, names[k], "incomplete meetings", g_incomplete, 0,
            RU_PERCENT);
        fputc('\n', out);
    }

    plan_table(out, rep);

    bool costs = false;
    for (size_t f = 0; f < rep->n; f++)
        costs |= rep->rs[f]->costs.present;
    if (costs) {
        const char *cur = "";
        for (size_t f = 0; f < rep->n && !cur[0]; f++)
            cur = rep->rs[f]->costs.currency;
        fprintf(out, "## Costs (%s, over the horizon)\n\n", cur);
        header(out, rep, "cost");
        cost_row(out, rep, "total", offsetof(struct bh_costs, total));
        cost_row(out, rep, "paid by callers",
                 offsetof(struct bh_costs, callers));
        cost_row(out, rep, "paid by the company",
                 offsetof(struct bh_costs, company));
        cost_row(out, rep, "of which line rental",
                 offsetof(struct bh_costs, line_rental));
        cost_row(out, rep, "of which operators' pay",
                 offsetof(struct bh_costs, operators));
        cost_row(
            out, rep, "company per answered call",
            offsetof(struct bh_costs, by[BH_COST_COMPANY].per_answered_call));
        cost_row(
            out, rep, "callers per answered call",
            offsetof(struct bh_costs, by[BH_COST_CALLERS].per_answered_call));
        cost_row(out, rep, "company per hour",
                 offsetof(struct bh_costs, by[BH_COST_COMPANY].per_hour));
        cost_row(out, rep, "per offered call, both payers (deprecated)",
                 offsetof(struct bh_costs, per_call));
        cost_row(out, rep, "per participant",
                 offsetof(struct bh_costs, per_participant));
        cost_row(out, rep, "per 30-day month",
                 offsetof(struct bh_costs, per_month));
        if (rd_has_provider_revenue(rep))
            cost_row(out, rep, "provider's termination revenue",
                     offsetof(struct bh_costs, provider_revenue));
        fputc('\n', out);
        const struct bh_costs *c = &r0->costs;
        md_target_costs(out, rep);
        for (size_t f = 0; f < rep->n; f++) {
            const struct bh_costs *k = &rep->rs[f]->costs;
            char b[400];
            bh_balance_describe(&k->balance, k->currency, rep->start,
                                rep->rs[f]->replications, b, sizeof b);
            if (b[0])
                fprintf(out, "Prepaid balance (%s): %s.\n\n", rep->labels[f],
                        b);
        }
        if (c->present && c->nclasses) {
            fprintf(out,
                    "### By caller class (%s)\n\n"
                    "| source | origin | plan | payer | calls | cost |\n"
                    "|---|---|---|---|---:|---:|\n",
                    rep->labels[0]);
            for (size_t i = 0; i < c->nclasses; i++) {
                const struct bh_cost_class *k = &c->classes[i];
                char calls[96], tot[96];
                rd_fmt(calls, sizeof calls, k->calls, RU_COUNT, true);
                rd_fmt(tot, sizeof tot, k->total, RU_MONEY, true);
                cell(out, k->source);
                cell(out, k->origin[0] ? k->origin : "-");
                cell(out, k->plan[0] ? k->plan : "-");
                cell(out, k->payer[0] ? k->payer : "-");
                cell(out, calls);
                cell(out, tot);
                fputs("|\n", out);
            }
            fputc('\n', out);
        }
    }
    bool heading = false;
    for (size_t i = 0; i < rep->ncurves; i++) {
        const struct bh_capacity_curve *c = &rep->curves[i];
        if (c->recommended > 0 && !heading) {
            fprintf(out, "## Capacity\n\n");
            heading = true;
        }
        if (c->recommended > 0)
            fprintf(out, "- %s: %d %s today, %d recommended (%s).\n", c->target,
                    c->now, c->resource, c->recommended, c->note);
    }
    return ferror(out) ? BH_EIO : 0;
}
