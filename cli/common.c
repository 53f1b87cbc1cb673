/* common.c: what the simulating commands (sim, plan) share: their common
 * options, loading the scenario into simulation options, printing and
 * writing the results, and shares formatted with their intervals. */
#include "bh.h"
#include "cli.h"
#include "reports.h"
#include "scenario.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
parse_seed(const char *s, unsigned long max, unsigned long *out) {
    char *end;
    errno = 0;
    if (*s == '-')
        return BH_EINVAL;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return BH_EINVAL;
    *out = v;
    return 0;
}

/* Parses argv into a: -1 to go on, else the exit status. */
static int
parse(struct bh_cli_sim_args *a, int argc, char **argv) {
    const char *cmd = a->cmd;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            a->help(stdout);
            return BH_EXIT_OK;
        } else if (strcmp(o, "--seed") == 0) {
            if (!v || parse_seed(v, a->max_seed, &a->seed))
                return bh_cli_usage_error(cmd, "--seed needs a number >= 0");
            a->have_seed = 1;
            i++;
        } else if (strcmp(o, "--replications") == 0) {
            if (!v || parse_count(v, a->min_replications,
                                  BH_SC_MAX_REPLICATIONS, &a->replications))
                return bh_cli_usage_error(
                    cmd, "--replications needs a number from %d to %d%s",
                    a->min_replications, BH_SC_MAX_REPLICATIONS,
                    a->min_replications >= 2 ? " (an interval needs two)" : "");
            i++;
        } else if (strcmp(o, "--threads") == 0) {
            if (!v || parse_count(v, 1, BH_SIM_MAX_THREADS, &a->threads))
                return bh_cli_usage_error(
                    cmd, "--threads needs a number from 1 to %d",
                    BH_SIM_MAX_THREADS);
            i++;
        } else if (strcmp(o, "--json") == 0) {
            if (!v)
                return bh_cli_usage_error(cmd, "--json needs a file");
            a->json = v;
            i++;
        } else if (a->records_allowed && strcmp(o, "--records") == 0) {
            if (!v)
                return bh_cli_usage_error(cmd, "--records needs a file");
            a->records = v;
            i++;
        } else if (o[0] == '-' && o[1]) {
            return bh_cli_usage_error(
                cmd, "unknown option '%s' (see busyhour %s --help)", o, cmd);
        } else if (!a->path) {
            a->path = o;
        } else {
            return bh_cli_usage_error(cmd, "one scenario at a time");
        }
    }
    if (!a->path)
        return bh_cli_usage_error(cmd, "which scenario? (busyhour %s SCENARIO)",
                                  cmd);
    return -1;
}

static void
progress(void *arg, double done, double total) {
    bh_cli_progress(arg, done, total);
}

int
bh_cli_sim_start(struct bh_cli_sim_args *a, int argc, char **argv,
                 struct bh_scenario **sc, struct bh_sim_options *opt) {
    *sc = NULL;
    int status = parse(a, argc, argv);
    if (status >= 0)
        return status;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    if (bh_scenario_load(a->path, sc, &diag)) {
        bh_diag_print(&diag, stderr);
        return BH_EXIT_USAGE;
    }
    if (a->have_seed)
        (*sc)->seed = a->seed;
    long reps = a->replications, threads = a->threads;
    if (!reps)
        reps = (*sc)->sim.replications >= a->min_replications
                   ? (*sc)->sim.replications
                   : BH_CLI_DEFAULT_REPLICATIONS;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (n > BH_SIM_MAX_THREADS ? BH_SIM_MAX_THREADS : n) : 1;
    }
    memset(opt, 0, sizeof *opt);
    opt->seed = (*sc)->seed;
    opt->replications = (int)reps;
    opt->threads = (int)threads;
    a->bar.label = a->cmd;
    a->bar.started = 0;
    opt->progress = progress;
    opt->progress_arg = &a->bar; /* lives as long as a */
    return -1;
}

int
bh_cli_results_out(const struct bh_cli_sim_args *a,
                   const struct bh_scenario *sc, const struct bh_results *res,
                   void (*print)(const struct bh_scenario *sc,
                                 const struct bh_results *res)) {
    if (!a->json || strcmp(a->json, "-") != 0)
        print(sc, res);
    if (a->json && bh_results_write_json(res, a->json)) {
        fprintf(stderr, "busyhour %s: %s: cannot write results\n", a->cmd,
                a->json);
        return BH_EXIT_USAGE;
    }
    return BH_EXIT_OK;
}

/* A share as a percentage with its interval, clipped to [0%, 100%] (a t
 * interval of few replications can reach below zero; a share cannot). */
void
bh_cli_pct(char *buf, size_t size, const struct bh_estimate *e, int compact) {
    if (isnan(e->mean))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size,
                 compact ? "%.2f%% [%.2f,%.2f]" : "%.2f%% [%.2f, %.2f]",
                 100 * e->mean, 100 * fmax(e->lo, 0), 100 * fmin(e->hi, 1));
}

int
bh_cli_speed(const char *cmd, const char *v, double *out) {
    char *end;
    errno = 0;
    *out = v ? strtod(v, &end) : 0;
    if (!v || errno || end == v || *end || !(*out > 0) || *out > 100000)
        return bh_cli_usage_error(cmd,
                                  "--speed needs a number > 0, at most 100000");
    return 0;
}

int
bh_cli_duration(const char *cmd, const char *v, double *out) {
    if (!v || bh_parse_duration(v, out) || !(*out > 0))
        return bh_cli_usage_error(
            cmd, "--duration needs a duration > 0 (90s, 10m, 1h)");
    return 0;
}
