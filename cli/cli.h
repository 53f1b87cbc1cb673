/* cli.h: the busyhour subcommands. Each takes argc/argv starting at its own
 * name (argv[0] == "erlang") and returns an exit status (enum bh_exit). */
#ifndef BH_CLI_H
#define BH_CLI_H

#include <stdio.h>

struct bh_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* NULL: not built yet */
};

int bh_cmd_check(int argc, char **argv);
int bh_cmd_erlang(int argc, char **argv);
int bh_cmd_sim(int argc, char **argv);
int bh_cmd_plan(int argc, char **argv);
int bh_cmd_report(int argc, char **argv);
int bh_cmd_switch(int argc, char **argv);
int bh_cmd_load(int argc, char **argv);
int bh_cmd_export(int argc, char **argv);
int bh_cmd_run(int argc, char **argv);

/* `busyhour report --cdr FILE` (cmd_report_cdr.c), from report's options:
 * the CDR file, the scenario, --md, --csv DIR; `others` is true when any
 * option --cdr does not take was given. */
struct bh_cli_report_cdr {
    const char *cdr, *scenario, *md, *csv;
    int others;
};
int bh_cmd_report_cdr(const struct bh_cli_report_cdr *a);

/* Prints "busyhour CMD: message" to stderr and returns BH_EXIT_USAGE. */
int bh_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The real-load options `load` and `run` share: --speed X (scenario s per
 * wall s, > 0, at most 100000) and --duration D (wall time, > 0). Return
 * 0, or BH_EXIT_USAGE after saying what is wrong for cmd. */
int bh_cli_speed(const char *cmd, const char *v, double *out);
int bh_cli_duration(const char *cmd, const char *v, double *out);
/* True when stdout is a terminal and CI is not set: show progress. */
int bh_cli_interactive(void);
/* A progress bar on stderr: its label, and when its work started
 * (monotonic s; 0 = not yet: the first report starts the clock). */
struct bh_cli_bar {
    const char *label; /* borrowed */
    double started;
};
/* Draws bar at done of total, with the time left estimated from the time
 * taken so far (once there is enough to go by), on a terminal only (no-op
 * unless interactive). Call with done == total to finish the line, which
 * then says how long the work took. */
void bh_cli_progress(struct bh_cli_bar *bar, double done, double total);

/* ---- Shared by the simulating commands (common.c) -------------------- */

struct bh_scenario;
struct bh_sim_options;
struct bh_results;

/* Replications when neither --replications nor the scenario gives them. */
#define BH_CLI_DEFAULT_REPLICATIONS 10

/* The options of `busyhour sim` and `busyhour plan`. The command sets the
 * first block; parsing fills the second (strings are views into argv). */
struct bh_cli_sim_args {
    const char *cmd;         /* "sim" or "plan": messages, progress label */
    void (*help)(FILE *out); /* for --help */
    int min_replications;    /* least --replications, and least of the
                                scenario's sim.replications used */
    unsigned long max_seed;  /* largest --seed */
    int records_allowed;     /* accept --records FILE */

    const char *path;    /* the scenario */
    const char *json;    /* --json FILE, NULL = none, "-" = stdout */
    const char *records; /* --records FILE, NULL = none */
    long replications;   /* 0 = not given */
    long threads;        /* 0 = not given */
    unsigned long seed;  /* when have_seed */
    int have_seed;
    struct bh_cli_bar bar; /* the progress bar, labelled cmd */
};

/* Parses argv (argv[0] is the command's name) into a, then loads a->path
 * into *sc (owned by the caller: bh_scenario_free), applies --seed, and
 * fills opt: seed, replications (--replications, else the scenario's when
 * at least min_replications, else BH_CLI_DEFAULT_REPLICATIONS), threads
 * (--threads, else the processors, at most BH_SIM_MAX_THREADS) and a
 * progress bar labelled a->cmd; no records. Returns -1 when the command
 * should go on, else the exit status to return at once (*sc is then
 * NULL): 0 after --help, BH_EXIT_USAGE after a usage error or the
 * scenario's FILE:LINE:COLUMN error (printed). */
int bh_cli_sim_start(struct bh_cli_sim_args *a, int argc, char **argv,
                     struct bh_scenario **sc, struct bh_sim_options *opt);
struct bh_estimate;
/* A share with its interval in percent, "12.34% [11.00, 13.50]" (compact:
 * no space after the comma, for tables), or "-" when not measured (NaN). */
void bh_cli_pct(char *buf, size_t size, const struct bh_estimate *e,
                int compact);
/* Prints res with print unless --json is "-" (stdout is then the JSON's),
 * then writes the results file when --json was given. Returns 0, or
 * BH_EXIT_USAGE after saying the file could not be written. */
int bh_cli_results_out(const struct bh_cli_sim_args *a,
                       const struct bh_scenario *sc,
                       const struct bh_results *res,
                       void (*print)(const struct bh_scenario *sc,
                                     const struct bh_results *res));

#endif
