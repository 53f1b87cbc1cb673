/* cmd_plan.c: `busyhour plan SCENARIO`: the fewest lines, operators and
 * ports that meet the scenario's thresholds, from the exact formulas and
 * confirmed by simulation; a table of now vs recommended, with cost. */
#include "bh.h"
#include "cli.h"
#include "reports.h"
#include "scenario.h"
#include "sim.h"

#include <math.h>
#include <string.h>

static void
help(FILE *out) {
    fprintf(out,
            "usage: busyhour plan SCENARIO [--seed N] [--replications N] "
            "[--threads N]\n"
            "                     [--json FILE]\n"
            "\n"
            "Capacity planning: for every number (lines, and operators when "
            "it has a\nqueue) and every bridge (ports), the fewest that meet "
            "the scenario's\nthresholds on it (and on the campaigns dialling "
            "out through it) over the\nperiod sim.plan_over names: the "
            "target's busy hour (default: the 60\nminutes after the warm-up "
            "with the most Erlangs offered), the horizon, or\nevery "
            "reporting interval. A target without a blocking threshold must "
            "keep\nblocking under 1%%; a queue without a service-level or "
            "wait threshold must\nanswer 80%% of callers within 20 s. Lines "
            "are never fewer than operators.\n"
            "\n"
            "A threshold is met when its pooled estimate over the period "
            "(total blocked\nover total offered across the replications) "
            "meets it. Every candidate\nruns the same replications with the "
            "same random streams, so the answer\nconverges to the exact "
            "inverse as replications grow. The search starts\nfrom the "
            "exact formulas at the busiest interval (Erlang B, Engset or\n"
            "Hayward for lines and ports, Erlang C, or A when callers have "
            "patience,\nfor operators), gallops, then bisects. Operators are "
            "planned first (with\nlines that do not block), then lines for "
            "those operators.\n"
            "\n"
            "Prints a table of capacity now and recommended, with blocking "
            "and service\nlevel at each (over the horizon) and, when the "
            "tariffs price them, a\n30-day month of the row's lines or ports "
            "(rental) or operators (their pay,\ntariffs.operators); for each "
            "answer, the "
            "threshold that set it (one fewer\nfails it), the period, and "
            "its figure there with a 95%% interval; then the\nverdict of "
            "every threshold at the recommended capacities.\n"
            "\n"
            "Options:\n"
            "  --seed N          seed of the random streams (default: the "
            "scenario's)\n"
            "  --replications N  replications per simulation (default: the "
            "scenario's\n"
            "                    sim.replications, else %d)\n"
            "  --threads N       threads (default: the number of "
            "processors)\n"
            "  --json FILE       write the results file with its plan rows "
            "('-' = stdout)\n"
            "  --help            show this help\n"
            "\n"
            "On a terminal a progress bar moves with every replication of "
            "every\nsimulation of the search, with the time left estimated "
            "from the time\ntaken so far.\n"
            "\n"
            "Exit status: 0 success, 1 a threshold fails at the recommended "
            "capacities\n(e.g. a cost the capacity cannot meet), 2 bad "
            "usage, bad input, or no\ncapacity up to the search bound meets "
            "the thresholds.\n",
            BH_CLI_DEFAULT_REPLICATIONS);
}

static void
money(char *buf, size_t size, struct bh_estimate e) {
    if (isnan(e.mean))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.2f", e.mean);
}

static void
table(const struct bh_scenario *sc, const struct bh_results *r) {
    printf("%s: capacity plan (%d replications per simulation, seed %lu)\n"
           "\n",
           r->scenario, r->replications, r->seed);
    printf("%-16s %-9s %5s %8s %11s  %-24s %-24s", "target", "resource", "now",
           "analytic", "recommended", "blocking now", "blocking recommended");
    printf("  %-24s %-24s", "service level now", "service level rec.");
    bool priced = sc->tariffs.present && (sc->tariffs.per_line_month > 0 ||
                                          sc->tariffs.operator_per_hour > 0);
    if (priced)
        printf("  %10s %10s", "cost/month", "rec./month");
    printf("\n");
    for (size_t i = 0; i < r->nplan; i++) {
        const struct bh_plan_row *p = &r->plan[i];
        char bn[48], br[48], sn[48], sr[48], cn[32], cr[32];
        bh_cli_pct(bn, sizeof bn, &p->blocking_now, 1);
        bh_cli_pct(br, sizeof br, &p->blocking_recommended, 1);
        bh_cli_pct(sn, sizeof sn, &p->sl_now, 1);
        bh_cli_pct(sr, sizeof sr, &p->sl_recommended, 1);
        printf("%-16s %-9s %5d %8d %11d  %-24s %-24s  %-24s %-24s", p->target,
               p->resource, p->now, p->analytic, p->recommended, bn, br, sn,
               sr);
        if (priced) {
            money(cn, sizeof cn, p->cost_now);
            money(cr, sizeof cr, p->cost_recommended);
            printf("  %10s %10s", cn, cr);
        }
        printf("\n");
    }
    if (priced)
        printf("\ncost/month (%s, 30 days): line (port) rental of the "
               "lines (ports); operators' pay (tariffs.operators: per "
               "paid hour, staffed hours / (1 - shrinkage)); '-' where "
               "the tariffs do not price it\n",
               sc->tariffs.currency);
    printf("\n");
    for (size_t i = 0; i < r->nplan; i++) {
        const struct bh_plan_row *p = &r->plan[i];
        char j[48] = "-";
        if (!isnan(p->judged.mean)) {
            if (strstr(p->binding, "wait_mean"))
                snprintf(j, sizeof j, "%.1f s [%.1f, %.1f]", p->judged.mean,
                         p->judged.lo, p->judged.hi);
            else
                bh_cli_pct(j, sizeof j, &p->judged, 2);
        }
        printf("%s %s %d: set by %s over the %s: %s\n", p->target, p->resource,
               p->recommended, p->binding[0] ? p->binding : "-",
               p->period[0] ? p->period : "-", j);
    }
    size_t fails = 0;
    for (size_t i = 0; i < r->nthresholds; i++)
        fails += !r->thresholds[i].pass;
    printf("\nverdict at the recommended capacities: %s (%zu of %zu "
           "thresholds pass)\n",
           fails ? "FAIL" : "PASS", r->nthresholds - fails, r->nthresholds);
    for (size_t i = 0; i < r->nthresholds; i++) {
        if (r->thresholds[i].pass)
            continue;
        char v[160];
        bh_threshold_describe(&r->thresholds[i], v, sizeof v);
        printf("  %s %s\n", r->thresholds[i].expr, v);
    }
}

int
bh_cmd_plan(int argc, char **argv) {
    struct bh_cli_sim_args args = {.cmd = "plan",
                                   .help = help,
                                   .min_replications = 2,
                                   .max_seed = 2147483647UL};
    struct bh_scenario *sc = NULL;
    struct bh_sim_options opt;
    int status = bh_cli_sim_start(&args, argc, argv, &sc, &opt);
    if (status >= 0)
        return status;
    struct bh_results res;
    memset(&res, 0, sizeof res);
    char msg[512];
    int rc = bh_sim_plan(sc, &opt, &res, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "busyhour plan: %s: %s\n", args.path,
                msg[0] ? msg : bh_strerror(rc));
        status = BH_EXIT_USAGE;
    } else if (bh_thresholds_eval(sc, &res) < 0) {
        fprintf(stderr, "busyhour plan: cannot evaluate thresholds\n");
        status = BH_EXIT_USAGE;
    } else {
        status = bh_cli_results_out(&args, sc, &res, table);
        for (size_t i = 0; status == BH_EXIT_OK && i < res.nthresholds; i++)
            if (!res.thresholds[i].pass)
                status = BH_EXIT_THRESHOLD;
    }
    bh_results_clear(&res);
    bh_scenario_free(sc);
    return status;
}
