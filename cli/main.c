/* main.c: the busyhour command, git-style subcommands. */
#include "bh.h"
#include "cli.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef BH_VERSION
#define BH_VERSION "0.0.0"
#endif

/* The table of subcommands, in the order `busyhour help` lists them.
 * A command whose run is NULL is part of the design but not built yet. */
static const struct bh_command commands[] = {
    {"run", "the main job: simulate, drive real load, compare", bh_cmd_run},
    {"sim", "simulate a scenario (replications, confidence intervals)",
     bh_cmd_sim},
    {"plan", "fewest lines / operators / ports that meet the thresholds",
     bh_cmd_plan},
    {"load", "real SIP/RTP load against a SIP switch", bh_cmd_load},
    {"export", "SIPp scenario and injection files approximating the traffic",
     bh_cmd_export},
    {"switch", "run the reference SIP switch in the foreground", bh_cmd_switch},
    {"erlang", "Erlang B, C, A and Engset calculator", bh_cmd_erlang},
    {"report", "render or compare results files", bh_cmd_report},
    {"check", "validate a scenario file and summarise its load", bh_cmd_check},
};

static void
usage(FILE *out) {
    fprintf(out, "usage: busyhour [--version] [--help] COMMAND [ARGS...]\n"
                 "\n"
                 "Telephone capacity planning and load testing.\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-8s %s%s\n", commands[i].name, commands[i].summary,
                commands[i].run ? "" : " (not built yet)");
    fprintf(out, "\n"
                 "Every command takes --help. Exit status: 0 success, 1 a "
                 "scenario threshold\nfailed, 2 bad usage or bad input.\n"
                 "Run 'busyhour help COMMAND' for one command's options.\n");
}

static const struct bh_command *
find(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int
bh_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "busyhour %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return BH_EXIT_USAGE;
}

int
bh_cli_interactive(void) {
    const char *ci = getenv("CI");
    if (ci && *ci && strcmp(ci, "false") != 0 && strcmp(ci, "0") != 0)
        return 0;
    return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}

static double
now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds as "45s", "3m20s", "1h05m" (the coarser, the longer). */
static void
span(double s, char *buf, size_t size) {
    long t = (long)ceil(s);
    if (t < 60)
        snprintf(buf, size, "%lds", t);
    else if (t < 3600)
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60 / 10 * 10);
    else
        snprintf(buf, size, "%ldh%02ldm", t / 3600, t % 3600 / 60);
}

void
bh_cli_progress(struct bh_cli_bar *bar, double done, double total) {
    if (!bh_cli_interactive() || total <= 0)
        return;
    double t = now();
    if (bar->started <= 0)
        bar->started = t;
    double f = done / total, spent = t - bar->started;
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    int width = 40, fill = (int)(f * width);
    fprintf(stderr, "\r%-12.12s [", bar->label ? bar->label : "");
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(f * 100));
    char time[32], tail[48] = "";
    if (done >= total) {
        span(spent, time, sizeof time);
        snprintf(tail, sizeof tail, "in %s", time);
    } else if (f >= 0.02 && spent >= 1) {
        /* an estimate once 2% and a second of the work are behind */
        span(spent * (1 - f) / f, time, sizeof time);
        snprintf(tail, sizeof tail, "about %s left", time);
    }
    /* padded: a shorter tail overwrites the longer one before it */
    fprintf(stderr, " %-20s%s", tail, done >= total ? "\n" : "");
    fflush(stderr);
}

int
main(int argc, char **argv) {
    /* GSL's default error handler aborts; input must never abort us.
     * With it off, GSL functions report failure by NaN or a status, which
     * every caller checks. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        usage(stderr);
        return BH_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        (strcmp(name, "help") == 0 && argc == 2)) {
        usage(stdout);
        return BH_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("busyhour %s\n", BH_VERSION);
        return BH_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        const struct bh_command *c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "busyhour: no command '%s'\n", argv[2]);
            return BH_EXIT_USAGE;
        }
        if (!c->run) {
            printf("busyhour %s: %s (not built yet)\n", c->name, c->summary);
            return BH_EXIT_OK;
        }
        char *hargv[] = {argv[2], "--help", NULL};
        return c->run(2, hargv);
    }
    const struct bh_command *c = find(name);
    if (!c) {
        fprintf(stderr,
                "busyhour: '%s' is not a command. See 'busyhour "
                "--help'.\n",
                name);
        return BH_EXIT_USAGE;
    }
    if (!c->run) {
        fprintf(stderr, "busyhour %s: not built yet in this version\n",
                c->name);
        return BH_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
