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
int bh_cmd_run(int argc, char **argv);

/* Prints "busyhour CMD: message" to stderr and returns BH_EXIT_USAGE. */
int bh_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when stdout is a terminal and CI is not set: show progress. */
int bh_cli_interactive(void);
/* A progress bar on stderr: done of total, with a label. No-op unless
 * interactive. Call with done == total to finish the line. */
void bh_cli_progress(const char *label, double done, double total);

#endif
