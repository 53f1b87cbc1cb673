/* bench_sim.c: one core simulating an M/M/N/N trunk (default 1,000 lines
 * at 90% load) over a horizon of days: events/s, calls/s and max RSS; or,
 * with --scenario, a scenario file's replications on N threads, tariffs
 * on or off (the priced reference model, the bundled scenarios). Printed
 * as "key value" lines for run.sh. */
#include "scenario.h"
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The benchmark's own clocks: wall time, and CPU time of this process
 * (the fair measure on a shared machine, where wall time includes
 * waiting for a core). */
static double
clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs a scenario file's replications through bh_sim_run on `threads`
 * threads, tariffs on or off, horizon optionally replaced: calls per CPU
 * second (all threads) and per wall second. */
static int
scenario_mode(const char *path, int threads, int reps, double days,
              int tariffs) {
    struct bh_scenario *sc = NULL;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    if (bh_scenario_load(path, &sc, &diag)) {
        bh_diag_print(&diag, stderr);
        return 2;
    }
    if (days > 0)
        sc->horizon = days * 86400;
    if (!tariffs)
        sc->tariffs.present = false;
    struct bh_sim_options opt;
    memset(&opt, 0, sizeof opt);
    opt.seed = sc->seed;
    opt.replications = reps > 0 ? reps : sc->sim.replications;
    opt.threads = threads;
    struct bh_results r;
    memset(&r, 0, sizeof r);
    struct bh_sim_stats st = {0, 0};
    char msg[256];
    double w0 = clock_s(CLOCK_MONOTONIC);
    double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    int rc = bh_sim_run(sc, &opt, &r, &st, msg, sizeof msg);
    double dt = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
    double wall = clock_s(CLOCK_MONOTONIC) - w0;
    if (rc) {
        fprintf(stderr, "bench_sim: %s: %s\n", path, msg);
        bh_scenario_free(sc);
        return 1;
    }
    printf("engine busyhour\n");
    printf("scenario %s\n", sc->name);
    printf("tariffs %s\n", tariffs && sc->tariffs.present ? "on" : "off");
    printf("threads %d\n", threads);
    printf("replications %d\n", opt.replications);
    printf("horizon_days %g\n", sc->horizon / 86400);
    printf("events %llu\n", (unsigned long long)st.events);
    printf("calls %llu\n", (unsigned long long)st.calls);
    printf("cpu_seconds %.4f\n", dt);
    printf("wall_seconds %.4f\n", wall);
    printf("calls_per_s %.0f\n", st.calls / dt);
    printf("calls_per_wall_s %.0f\n", st.calls / wall);
    if (r.costs.present)
        printf("cost_total %.6f\n", r.costs.total.mean);
    bh_results_clear(&r);
    bh_scenario_free(sc);
    return 0;
}

int
main(int argc, char **argv) {
    double days = 7, load = 0.9, hold = 180; /* s */
    int lines = 1000, threads = 1, reps = 0, tariffs = 1, days_set = 0;
    const char *scenario = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--no-tariffs") == 0) {
            tariffs = 0;
            continue;
        }
        if (!v)
            break;
        if (strcmp(argv[i], "--scenario") == 0)
            scenario = v;
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(v);
        else if (strcmp(argv[i], "--replications") == 0)
            reps = atoi(v);
        else if (strcmp(argv[i], "--days") == 0)
            days = atof(v), days_set = 1;
        else if (strcmp(argv[i], "--lines") == 0)
            lines = atoi(v);
        else if (strcmp(argv[i], "--load") == 0)
            load = atof(v);
        else if (strcmp(argv[i], "--hold") == 0)
            hold = atof(v);
        else
            break;
        i++;
    }
    if (i < argc) {
        fprintf(stderr,
                "usage: bench_sim [--days D] [--lines N] [--load FRACTION] "
                "[--hold S]\n"
                "       bench_sim --scenario FILE [--threads N] "
                "[--replications N] [--days D] [--no-tariffs]\n");
        return 2;
    }
    if (!(days > 0) || lines < 1 || !(load > 0) || !(hold > 0) || threads < 1 ||
        reps < 0) {
        fprintf(stderr, "bench_sim: bad arguments\n");
        return 2;
    }
    if (scenario)
        return scenario_mode(scenario, threads, reps, days_set ? days : 0,
                             tariffs);
    /* the scenario, by hand: one number, one Poisson source */
    struct bh_sc_number num;
    memset(&num, 0, sizeof num);
    snprintf(num.name, sizeof num.name, "trunk");
    num.lines = lines;
    struct bh_sc_source src;
    memset(&src, 0, sizeof src);
    snprintf(src.name, sizeof src.name, "callers");
    src.kind = BH_SOURCE_CALLS;
    src.target_kind = BH_TARGET_NUMBER;
    src.profile.n = 1;
    src.profile.rate[0] = load * lines / hold * 3600; /* calls per hour */
    src.holding.kind = BH_DIST_EXPONENTIAL;
    src.holding.mean = hold;
    struct bh_scenario sc;
    memset(&sc, 0, sizeof sc);
    snprintf(sc.name, sizeof sc.name, "bench-mmnn");
    sc.horizon = days * 86400;
    sc.interval = 3600;
    sc.sim.warmup = 0;
    sc.seed = 1;
    sc.sw.nnumbers = 1;
    sc.sw.numbers = &num;
    sc.nsources = 1;
    sc.sources = &src;

    struct bh_collector *c = NULL;
    if (bh_collector_new(&sc, BH_SOURCE_SIM, &c))
        return 1;
    struct bh_sim_stats st = {0, 0};
    double w0 = clock_s(CLOCK_MONOTONIC);
    double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    int rc = bh_sim_replication(&sc, sc.seed, 0, c, NULL, NULL, &st);
    double dt = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
    double wall = clock_s(CLOCK_MONOTONIC) - w0;
    if (rc) {
        fprintf(stderr, "bench_sim: %s\n", bh_strerror(rc));
        return 1;
    }
    struct bh_results r;
    memset(&r, 0, sizeof r);
    if (bh_collector_results(c, &r))
        return 1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("engine busyhour\n");
    printf("lines %d\n", lines);
    printf("offered_erlangs %.1f\n", load * lines);
    printf("horizon_days %g\n", days);
    printf("events %llu\n", (unsigned long long)st.events);
    printf("calls %llu\n", (unsigned long long)st.calls);
    printf("cpu_seconds %.3f\n", dt);
    printf("wall_seconds %.3f\n", wall);
    printf("events_per_s %.0f\n", st.events / dt);
    printf("calls_per_s %.0f\n", st.calls / dt);
    printf("events_per_wall_s %.0f\n", st.events / wall);
    printf("blocking %.6f\n", r.targets[0].blocking.mean);
    printf("max_rss_kb %ld\n", ru.ru_maxrss);
    bh_results_clear(&r);
    bh_collector_free(c);
    return 0;
}
