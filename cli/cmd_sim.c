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
#include <unistd.h>

#define DEFAULT_REPLICATIONS 10

static void
help(FILE *out) {
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
            "  --records FILE    write every call attempt as CSV: "
            "replication, source,\n"
            "                    target, caller class, origin, plan, payer, "
            "attempt,\n"
            "                    meeting, arrival, answer, connect, end, "
            "outcome, wait,\n"
            "                    talk, line or port, operator, cost\n"
            "  --help            show this help\n"
            "\n"
            "A progress bar is shown on a terminal only. Exit status: 0 "
            "success, 1 a\nscenario threshold failed (judged on the "
            "confidence bound), 2 bad usage or\nbad input.\n",
            DEFAULT_REPLICATIONS);
}

static int
parse_count(const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return BH_EINVAL;
    *out = v;
    return 0;
}

static int
parse_seed(const char *s, unsigned long *out) {
    char *end;
    errno = 0;
    if (*s == '-')
        return BH_EINVAL;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end)
        return BH_EINVAL;
    *out = v;
    return 0;
}

static void
progress(void *arg, double done, double total) {
    (void)arg;
    bh_cli_progress("sim", done, total);
}

static void
pct(char *buf, size_t size, struct bh_estimate e) {
    if (isnan(e.mean))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.2f%% [%.2f, %.2f]", 100 * e.mean, 100 * e.lo,
                 100 * e.hi);
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
        pct(b, sizeof b, t->blocking);
        pct(a, sizeof a, t->abandonment);
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
                pct(s, sizeof s, t->sl[k].value);
                printf("  service level(%s) %s\n", d, s);
            }
        }
        if (!isnan(t->busy_mean.mean)) {
            pct(s, sizeof s, t->occupancy);
            printf("  busy        mean %.2f, peak %.1f; occupancy %s\n",
                   t->busy_mean.mean, t->peak_busy.mean, s);
        }
        if (strcmp(t->kind, "bridge") == 0 && !isnan(t->meetings.mean)) {
            pct(s, sizeof s, t->incomplete_meetings);
            printf("  meetings    %.1f, incomplete %s\n", t->meetings.mean, s);
        }
        printf("\n");
    }
    if (r->costs.present) {
        const struct bh_costs *c = &r->costs;
        printf("costs (%s): total %.2f [%.2f, %.2f], per call %.4f, callers "
               "%.2f, company %.2f, per month %.2f\n\n",
               c->currency, c->total.mean, c->total.lo, c->total.hi,
               c->per_call.mean, c->callers.mean, c->company.mean,
               c->per_month.mean);
    }
    (void)sc;
    for (size_t i = 0; i < r->nthresholds; i++) {
        const struct bh_threshold_result *t = &r->thresholds[i];
        printf("threshold %-40s %s (value %.6g, limit %.6g)\n", t->expr,
               t->pass ? "pass" : "FAIL", t->value, t->limit);
    }
}

int
bh_cmd_sim(int argc, char **argv) {
    const char *path = NULL, *json = NULL, *records = NULL;
    long reps = 0, threads = 0;
    unsigned long seed = 0;
    int have_seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return BH_EXIT_OK;
        } else if (strcmp(a, "--seed") == 0) {
            if (!v || parse_seed(v, &seed))
                return bh_cli_usage_error("sim", "--seed needs a number "
                                                 ">= 0");
            have_seed = 1;
            i++;
        } else if (strcmp(a, "--replications") == 0) {
            if (!v || parse_count(v, 1, BH_SIM_MAX_REPLICATIONS, &reps))
                return bh_cli_usage_error(
                    "sim", "--replications needs a number from 1 to %d",
                    BH_SIM_MAX_REPLICATIONS);
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (!v || parse_count(v, 1, BH_SIM_MAX_THREADS, &threads))
                return bh_cli_usage_error(
                    "sim", "--threads needs a number from 1 to %d",
                    BH_SIM_MAX_THREADS);
            i++;
        } else if (strcmp(a, "--json") == 0) {
            if (!v)
                return bh_cli_usage_error("sim", "--json needs a file");
            json = v;
            i++;
        } else if (strcmp(a, "--records") == 0) {
            if (!v)
                return bh_cli_usage_error("sim", "--records needs a file");
            records = v;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return bh_cli_usage_error("sim",
                                      "unknown option '%s' (see "
                                      "busyhour sim --help)",
                                      a);
        } else if (!path) {
            path = a;
        } else {
            return bh_cli_usage_error("sim", "one scenario at a time");
        }
    }
    if (!path)
        return bh_cli_usage_error("sim", "which scenario? (busyhour sim "
                                         "SCENARIO)");
    struct bh_scenario *sc = NULL;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    if (bh_scenario_load(path, &sc, &diag)) {
        bh_diag_print(&diag, stderr);
        return BH_EXIT_USAGE;
    }
    if (have_seed)
        sc->seed = seed;
    if (!reps)
        reps = sc->sim.replications > 0 ? sc->sim.replications
                                        : DEFAULT_REPLICATIONS;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (n > BH_SIM_MAX_THREADS ? BH_SIM_MAX_THREADS : n) : 1;
    }
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
    struct bh_sim_options opt;
    memset(&opt, 0, sizeof opt);
    opt.seed = sc->seed;
    opt.replications = (int)reps;
    opt.threads = (int)threads;
    opt.records = rec;
    opt.progress = progress;
    struct bh_results res;
    memset(&res, 0, sizeof res);
    char msg[512];
    int rc = bh_sim_run(sc, &opt, &res, NULL, msg, sizeof msg);
    int status = BH_EXIT_OK;
    if (rec && rec != stdout && fclose(rec) && !rc) {
        snprintf(msg, sizeof msg, "%s: write failed", records);
        rc = BH_EIO;
    }
    if (rc) {
        fprintf(stderr, "busyhour sim: %s: %s\n", path, msg);
        status = BH_EXIT_USAGE;
        goto out;
    }
    int failed = bh_thresholds_eval(sc, &res);
    if (failed < 0) {
        fprintf(stderr, "busyhour sim: thresholds: %s\n", bh_strerror(failed));
        status = BH_EXIT_USAGE;
        goto out;
    }
    if (!json || strcmp(json, "-") != 0)
        summary(sc, &res);
    if (json && bh_results_write_json(&res, json)) {
        fprintf(stderr, "busyhour sim: %s: cannot write results\n", json);
        status = BH_EXIT_USAGE;
        goto out;
    }
    if (failed > 0)
        status = BH_EXIT_THRESHOLD;
out:
    bh_results_clear(&res);
    bh_scenario_free(sc);
    return status;
}
