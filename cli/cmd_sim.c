/* cmd_sim.c: `busyhour sim SCENARIO`: simulate the scenario's switch in
 * virtual time (replications, confidence intervals), print a summary,
 * write results JSON and per-call records, and judge the thresholds. */
#include "bh.h"
#include "cli.h"
#include "reports.h"
#include "scenario.h"
#include "sim.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
help(FILE *out) {
    /* the records' columns as the file has them, wrapped and indented */
    char columns[512];
    size_t n = 0, line = 0;
    for (const char *c = BH_CALL_RECORD_CSV_COLUMNS;
         *c && n + 24 < sizeof columns; c++) {
        if (line == 0) {
            n += (size_t)snprintf(columns + n, sizeof columns - n, "%20s", "");
            line = 20;
        }
        columns[n++] = *c;
        line++;
        if (*c == ',' && line > 66) {
            columns[n++] = '\n';
            line = 0;
        } else if (*c == ',') {
            columns[n++] = ' ';
            line++;
        }
    }
    columns[n] = '\0';
    fprintf(out,
            "usage: busyhour sim SCENARIO [--seed N] [--replications N] "
            "[--threads N]\n"
            "                    [--json FILE] [--records FILE]\n"
            "\n"
            "Simulates the scenario's switch in virtual time: numbers "
            "(lines, IVR,\noperator queue with abandonment and overflow), "
            "conference bridges (shared\nports, rooms) and outbound "
            "campaigns, driven by the scenario's traffic.\nEach replication "
            "runs the whole horizon; the warm-up (sim.warmup) is\ndiscarded. "
            "Figures are means over replications with 95%% confidence\n"
            "intervals (Student t). Same seed, same results, byte for byte, "
            "whatever\nthe number of threads.\n"
            "\n"
            "Options:\n"
            "  --seed N          seed of the random streams (default: the "
            "scenario's)\n"
            "  --replications N  replications (default: the scenario's "
            "sim.replications,\n"
            "                    else %d)\n"
            "  --threads N       threads running replications in parallel "
            "(default: the\n"
            "                    number of processors)\n"
            "  --json FILE       write the results file (reports/README.md; "
            "'-' = stdout)\n"
            "  --records FILE    write every call attempt as CSV, these "
            "columns:\n%s\n"
            "                    (times in s; line is the line or port, "
            "agent the operator\n"
            "                    or room, -1 none; cost in currency units; "
            "warmup 1 for\n"
            "                    an attempt that arrived in the warm-up, "
            "which the results\n"
            "                    leave out)\n"
            "  --help            show this help\n"
            "\n"
            "A progress bar is shown on a terminal only. Exit status: 0 "
            "success, 1 a\nscenario threshold failed (judged on the "
            "confidence bound), 2 bad usage or\nbad input.\n",
            BH_CLI_DEFAULT_REPLICATIONS, columns);
}

static void
summary(const struct bh_scenario *sc, const struct bh_results *r) {
    printf("%s: %d replications of %.1f h (warm-up %.1f h), seed %lu\n\n",
           r->scenario, r->replications, r->horizon / 3600, r->warmup / 3600,
           r->seed);
    for (size_t i = 0; i < r->ntargets; i++) {
        const struct bh_target_result *t = &r->targets[i];
        char b[64], a[64], w[64], s[64];
        printf("%s (%s): %d %s", t->name, t->kind, t->lines,
               strcmp(t->kind, "bridge") == 0 ? "ports" : "lines");
        if (t->operators > 0)
            printf(", %d operators", t->operators);
        printf(", %.2f Erlangs offered\n", t->offered_erlangs.mean);
        printf("  attempts    %.1f (answered %.1f, blocked %.1f, abandoned "
               "%.1f, overflow %.1f, retries %.1f)\n",
               t->offered.mean, t->answered.mean, t->blocked.mean,
               t->abandoned.mean, t->overflow.mean, t->retried.mean);
        bh_cli_pct(b, sizeof b, &t->blocking, 0);
        bh_cli_pct(a, sizeof a, &t->abandonment, 0);
        printf("  blocking    %s\n  abandonment %s\n", b, a);
        if (t->operators > 0) {
            if (isnan(t->wait_mean.mean))
                snprintf(w, sizeof w, "-");
            else
                snprintf(w, sizeof w, "%.1f s [%.1f, %.1f]", t->wait_mean.mean,
                         t->wait_mean.lo, t->wait_mean.hi);
            printf("  wait        mean %s, p50 %.1f s, p90 %.1f s, p99 %.1f "
                   "s\n",
                   w, t->wait_p50.mean, t->wait_p90.mean, t->wait_p99.mean);
            for (size_t k = 0; k < t->nsl; k++) {
                char d[32];
                bh_format_duration(t->sl[k].t, d, sizeof d);
                bh_cli_pct(s, sizeof s, &t->sl[k].value, 0);
                printf("  service level(%s) %s\n", d, s);
            }
        }
        if (!isnan(t->busy_mean.mean)) {
            bh_cli_pct(s, sizeof s, &t->occupancy, 0);
            printf("  busy        mean %.2f, peak %.1f; occupancy %s\n",
                   t->busy_mean.mean, t->peak_busy.mean, s);
        }
        if (strcmp(t->kind, "bridge") == 0 && !isnan(t->meetings.mean)) {
            bh_cli_pct(s, sizeof s, &t->incomplete_meetings, 0);
            printf("  meetings    %.1f, incomplete %s\n", t->meetings.mean, s);
        }
        printf("\n");
    }
    if (r->costs.present) {
        const struct bh_costs *c = &r->costs;
        const struct bh_payer_costs *co = &c->by[BH_COST_COMPANY];
        printf("costs (%s): total %.2f [%.2f, %.2f], callers %.2f, company "
               "%.2f (operators %.2f, line rental %.2f), per month %.2f\n"
               "  company per answered call %.4f [%.4f, %.4f], per hour "
               "%.2f; callers per answered call %.4f\n",
               c->currency, c->total.mean, c->total.lo, c->total.hi,
               c->callers.mean, c->company.mean, c->operators.mean,
               c->line_rental.mean, c->per_month.mean,
               co->per_answered_call.mean, co->per_answered_call.lo,
               co->per_answered_call.hi, co->per_hour.mean,
               c->by[BH_COST_CALLERS].per_answered_call.mean);
        if (c->balance.present) {
            char b[400];
            bh_balance_describe(&c->balance, c->currency, sc->start,
                                r->replications, b, sizeof b);
            printf("  %s\n", b);
        }
        printf("\n");
    }
    for (size_t i = 0; i < r->nthresholds; i++) {
        const struct bh_threshold_result *t = &r->thresholds[i];
        char v[200];
        bh_threshold_describe(t, v, sizeof v);
        printf("threshold %-40s %s\n", t->expr, v);
    }
}

int
bh_cmd_sim(int argc, char **argv) {
    struct bh_cli_sim_args args = {.cmd = "sim",
                                   .help = help,
                                   .min_replications = 1,
                                   .max_seed = ULONG_MAX,
                                   .records_allowed = 1};
    struct bh_scenario *sc = NULL;
    struct bh_sim_options opt;
    int status = bh_cli_sim_start(&args, argc, argv, &sc, &opt);
    if (status >= 0)
        return status;
    const char *records = args.records;
    FILE *rec = NULL;
    if (records) {
        rec = strcmp(records, "-") == 0 ? stdout : fopen(records, "w");
        if (!rec) {
            fprintf(stderr, "busyhour sim: %s: cannot write: %s\n", records,
                    strerror(errno));
            bh_scenario_free(sc);
            return BH_EXIT_USAGE;
        }
    }
    opt.records = rec;
    struct bh_results res;
    memset(&res, 0, sizeof res);
    char msg[512];
    int rc = bh_sim_run(sc, &opt, &res, NULL, msg, sizeof msg);
    if (rec && rec != stdout && fclose(rec) && !rc) {
        snprintf(msg, sizeof msg, "%s: write failed", records);
        rc = BH_EIO;
    }
    int failed = 0;
    if (rc) {
        fprintf(stderr, "busyhour sim: %s: %s\n", args.path, msg);
        status = BH_EXIT_USAGE;
    } else if ((failed = bh_thresholds_eval(sc, &res)) < 0) {
        fprintf(stderr, "busyhour sim: thresholds: %s\n", bh_strerror(failed));
        status = BH_EXIT_USAGE;
    } else {
        status = bh_cli_results_out(&args, sc, &res, summary);
        if (status == BH_EXIT_OK && failed > 0)
            status = BH_EXIT_THRESHOLD;
    }
    bh_results_clear(&res);
    bh_scenario_free(sc);
    return status;
}
