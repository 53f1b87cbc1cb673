/* cmd_run.c: `busyhour run SCENARIO`: the main job (run.h): analytic,
 * simulated and measured figures side by side in one report, with a
 * verdict a CI pipeline can act on. */
#include "bh.h"
#include "cli.h"
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void
help(FILE *out) {
    fprintf(
        out,
        "usage: busyhour run SCENARIO [--out DIR] [--speed X] [--window "
        "HH:MM-HH:MM]\n"
        "                    [--duration D] [--switch HOST:PORT] "
        "[--replications N]\n"
        "                    [--json FILE]\n"
        "\n"
        "The main job. Starts the reference switch on free loopback "
        "ports (a thread on\nits own core where there are two; the "
        "driver answers as the operators of\nqueues that name no contacts), "
        "computes the exact formulas, simulates, drives real SIP/RTP\n"
        "load (the simulator's first replication's calls at wall time t "
        "/ speed) over\nthe window, stops the switch cleanly, joins its "
        "CDRs with the driver's\nrecords by Call-ID, and writes the "
        "report: analytic, simulated and measured\nfigures side by "
        "side at the same window and capacity, each measured figure\n"
        "tested against the simulation's interval widened by the run's "
        "own sampling\nerror (disagreements first).\n"
        "\n"
        "Files in DIR: analytic.json, sim.json, load.json (results, "
        "source telling\nwhich; load.json has the run's numbers), "
        "cdr.sqlite (the switch's CDRs),\nrecords.csv (the driver's "
        "records joined to the CDRs), report.html. The\nMarkdown "
        "summary goes to stdout.\n"
        "\n"
        "Options:\n"
        "  --out DIR           folder of the files (default out/run)\n"
        "  --speed X           scenario seconds per wall second "
        "(default: load.speed)\n"
        "  --window A-B        the part of the horizon to run, e.g. "
        "10:00-12:00 (the\n"
        "                      busy hours): a day's peak in minutes\n"
        "  --duration D        wall time of arrivals at most, e.g. 90s "
        "or 5m\n"
        "  --switch HOST:PORT  load a switch already running instead of "
        "ours (its CDRs\n"
        "                      are not read)\n"
        "  --replications N    of the simulation (default: the "
        "scenario's, or 10)\n"
        "  --json FILE         write the measured results there too\n"
        "  --help              show this help\n"
        "\n"
        "A progress line is shown on a terminal only. Ctrl-C stops the "
        "load and the\nswitch and writes what was measured, marked "
        "incomplete.\n"
        "Exit status: 0 every threshold passes and the run agrees with "
        "the simulation;\n1 a threshold fails or the run disagrees; 2 "
        "bad usage or input; 3 the switch\nfailed or was unreachable "
        "(said with what was lost), the run was interrupted,\nor a file "
        "could not be written.\n");
}

struct run_args {
    struct bh_run_options o;
    const char *window, *json;
};

static int
parse(struct run_args *a, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            help(stdout);
            return BH_EXIT_OK;
        } else if (strcmp(o, "--out") == 0) {
            if (!v || !*v)
                return bh_cli_usage_error("run", "--out needs a folder");
            a->o.out_dir = v;
            i++;
        } else if (strcmp(o, "--speed") == 0) {
            if (bh_cli_speed("run", v, &a->o.speed))
                return BH_EXIT_USAGE;
            i++;
        } else if (strcmp(o, "--window") == 0) {
            if (!v ||
                bh_run_parse_window(v, &a->o.window_start, &a->o.window_end))
                return bh_cli_usage_error(
                    "run", "--window needs HH:MM-HH:MM (e.g. 10:00-12:00)");
            a->o.have_window = 1;
            i++;
        } else if (strcmp(o, "--duration") == 0) {
            if (bh_cli_duration("run", v, &a->o.duration))
                return BH_EXIT_USAGE;
            i++;
        } else if (strcmp(o, "--switch") == 0) {
            if (!v)
                return bh_cli_usage_error("run", "--switch needs HOST:PORT");
            a->o.target = v;
            i++;
        } else if (strcmp(o, "--replications") == 0) {
            errno = 0;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || errno || end == v || *end || n < 2 || n > 100000)
                return bh_cli_usage_error(
                    "run", "--replications needs a number from 2 to 100000");
            a->o.replications = (int)n;
            i++;
        } else if (strcmp(o, "--json") == 0) {
            if (!v)
                return bh_cli_usage_error("run", "--json needs a file");
            a->json = v;
            i++;
        } else if (o[0] == '-' && o[1]) {
            return bh_cli_usage_error(
                "run", "unknown option '%s' (see busyhour run --help)", o);
        } else if (!a->o.scenario) {
            a->o.scenario = o;
        } else {
            return bh_cli_usage_error("run", "one scenario at a time");
        }
    }
    if (!a->o.scenario)
        return bh_cli_usage_error("run", "which scenario? (busyhour run "
                                         "SCENARIO)");
    if (!a->o.out_dir)
        a->o.out_dir = "out/run";
    return -1;
}

static volatile sig_atomic_t stop_asked;

static void
on_signal(int sig) {
    (void)sig;
    stop_asked = 1;
}

static void
progress(void *arg, const struct bh_run_progress *p) {
    (void)arg;
    if (!bh_cli_interactive())
        return;
    fprintf(stderr,
            "\rrun %02d:%02d  %4.0f/%.0f s  up %-4llu blocked %-4llu "
            "queue %-3llu mixer %-3llu late %-4llu placed %-6llu "
            "abandoned %-4llu failed %llu ",
            (int)(p->clock / 3600), (int)(p->clock / 60) % 60, p->wall,
            p->total, (unsigned long long)p->up, (unsigned long long)p->blocked,
            (unsigned long long)p->queue, (unsigned long long)p->mixer,
            (unsigned long long)p->late, (unsigned long long)p->started,
            (unsigned long long)p->abandoned, (unsigned long long)p->failed);
    fflush(stderr);
}

/* Copies DIR/load.json to --json FILE ('-': stdout). */
static int
copy_json(const char *dir, const char *to) {
    char from[600];
    snprintf(from, sizeof from, "%s/load.json", dir);
    FILE *in = fopen(from, "r");
    FILE *out = strcmp(to, "-") == 0 ? stdout : fopen(to, "w");
    int rc = in && out ? 0 : -1;
    char buf[8192];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (in)
        fclose(in);
    if (out && out != stdout && fclose(out))
        rc = -1;
    return rc;
}

int
bh_cmd_run(int argc, char **argv) {
    struct run_args a;
    memset(&a, 0, sizeof a);
    int status = parse(&a, argc, argv);
    if (status >= 0)
        return status;
    /* one socket per call's RTP: as many descriptors as we may have */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    char *md = NULL;
    size_t mdlen = 0;
    FILE *mds = open_memstream(&md, &mdlen);
    a.o.md = mds;
    a.o.progress = progress;
    a.o.stop = &stop_asked;
    struct bh_run_result res;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = bh_run(&a.o, &res, &diag);
    if (mds)
        fclose(mds);
    if (bh_cli_interactive())
        fputc('\n', stderr);
    if (rc == BH_EINVAL || rc == BH_EPARSE || rc == BH_ENOENT) {
        if (diag.file[0])
            bh_diag_print(&diag, stderr);
        else
            fprintf(stderr, "busyhour run: %s\n",
                    diag.msg[0] ? diag.msg : bh_strerror(rc));
        free(md);
        return BH_EXIT_USAGE;
    }
    if (res.report[0]) {
        printf("report: %s\n\n", res.report);
        if (md)
            fputs(md, stdout);
        fflush(stdout);
    }
    free(md);
    if (a.json && res.report[0] && copy_json(a.o.out_dir, a.json)) {
        fprintf(stderr, "busyhour run: %s: cannot write\n", a.json);
        rc = rc ? rc : BH_EIO;
    }
    if (rc) {
        fprintf(stderr, "busyhour run: %s\n",
                diag.msg[0] ? diag.msg : bh_strerror(rc));
        if (res.report[0])
            fprintf(stderr,
                    "busyhour run: what was measured is in %s "
                    "(marked incomplete)\n",
                    res.report);
        return BH_EXIT_TARGET;
    }
    if (res.incomplete) {
        fprintf(stderr,
                "busyhour run: interrupted: what was measured is in "
                "%s (marked incomplete)\n",
                res.report);
        return BH_EXIT_TARGET;
    }
    if (res.disagreements)
        fprintf(stderr,
                "busyhour run: %d measured figures disagree with "
                "the simulation (listed first in the report)\n",
                res.disagreements);
    if (res.thresholds_failed)
        fprintf(stderr,
                "busyhour run: %d thresholds failed on the measured "
                "figures\n",
                res.thresholds_failed);
    return res.disagreements || res.thresholds_failed ? BH_EXIT_THRESHOLD
                                                      : BH_EXIT_OK;
}
