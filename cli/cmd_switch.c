/* cmd_switch.c: `busyhour switch SCENARIO`: runs the reference SIP switch
 * in the foreground until SIGINT or SIGTERM. */
#include "bh.h"
#include "cli.h"
#include "scenario.h"
#include "switch.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static void
usage(FILE *out) {
    fprintf(out,
            "usage: busyhour switch SCENARIO [--listen HOST:PORT] "
            "[--http HOST:PORT]\n"
            "                        [--cdr FILE.sqlite] [--recordings "
            "DIR]\n                        [--rtp-ports LO-HI] "
            "[--verbose] [--help]\n"
            "\n"
            "Runs the reference SIP switch configured by the scenario's "
            "switch: section\n"
            "(multichannel numbers with lines, IVR and operator queues; "
            "dial-in conference\nbridges; accounts) in the "
            "foreground. SIGINT or SIGTERM end active calls with\nBYE "
            "(retransmitted until answered, at most 4 s), commit the "
            "CDRs and exit: 0, or 3 when CDR\nrows could not be "
            "written (how many is said on stderr); 2 on bad usage,\n"
            "a bad scenario or a CDR file that is not busyhour's (left "
            "untouched).\n"
            "\n"
            "  --listen HOST:PORT  SIP over UDP (default 127.0.0.1:5060); "
            "numeric, port\n"
            "                      required (0: any free port)\n"
            "  --http HOST:PORT    /metrics (Prometheus) and /status "
            "(JSON)\n"
            "  --cdr FILE          one SQLite row per call (WAL), "
            "written at answer and\n"
            "                      at the end; a reused file is "
            "appended to\n"
            "  --recordings DIR    where recorded rooms' and calls' WAV files "
            "go (default: the\n"
            "                      CDR file's folder, or the current "
            "one); listed at\n"
            "                      /recordings\n"
            "  --rtp-ports LO-HI   RTP on the even ports of this range "
            "(default: any free\n"
            "                      port)\n"
            "  --verbose           log each call's fate to stderr\n");
}

/* SIGINT, SIGTERM: the switch stops cleanly (BYE to calls up, CDRs
 * flushed); a second signal changes nothing. */
static void
on_signal(evutil_socket_t sig, short what, void *arg) {
    bh_switch_stop(arg);
}

static void
on_stopped(struct bh_switch *sw, void *arg) {
    event_base_loopbreak(arg);
}

/* The switch on a loop of its own, with the process's signals handled
 * here (the library installs none). Returns an exit code. */
static int
run(const struct bh_sc_switch *cfg, struct bh_switch_options *opt) {
    /* SIGPIPE never matters for UDP, but an HTTP client may hang up. */
    signal(SIGPIPE, SIG_IGN);
    /* Every call holds RTP sockets: the soft limit on descriptors (often
     * 1,024) is raised to the hard one. A process-wide setting, so here
     * and not in the library; the HTTP endpoint still leaves the last
     * 256 below the limit to SIP (switch/README.md). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "busyhour switch: out of memory\n");
        return BH_EXIT_USAGE;
    }
    opt->on_stopped = on_stopped;
    opt->on_stopped_arg = base;
    struct bh_switch *sw = NULL;
    struct bh_diag diag;
    int rc = bh_switch_new(cfg, opt, base, &sw, &diag);
    if (rc < 0) {
        if (diag.file[0])
            bh_diag_print(&diag, stderr);
        else
            fprintf(stderr, "busyhour switch: %s\n", diag.msg);
        event_base_free(base);
        return BH_EXIT_USAGE;
    }
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, sw);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, sw);
    if (!sigint || !sigterm || evsignal_add(sigint, NULL) < 0 ||
        evsignal_add(sigterm, NULL) < 0)
        rc = BH_EIO;
    if (rc == 0) {
        /* Every section served is named: a scenario of bridges alone
         * must not start as "0 numbers" (issue 14). */
        fprintf(stderr,
                "busyhour switch: %zu numbers, %zu bridges, %zu extensions, "
                "SIP on udp port %d%s%s%s%s\n",
                cfg->nnumbers, cfg->nbridges, cfg->nextensions,
                bh_switch_sip_port(sw), opt->http ? ", http on " : "",
                opt->http ? opt->http : "", opt->cdr_path ? ", CDRs in " : "",
                opt->cdr_path ? opt->cdr_path : "");
        if (event_base_dispatch(base) < 0)
            rc = BH_EIO;
    }
    /* The store was closed when the stop finished: its final count of rows
     * it could not write decides the exit status. (A loop that failed
     * exits 2 whatever the count.) */
    struct bh_cdr_stats st;
    bh_switch_cdr_stats(sw, &st);
    bh_switch_free(sw);
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    event_base_free(base);
    if (rc < 0) {
        fprintf(stderr, "busyhour switch: %s\n", bh_strerror(rc));
        return BH_EXIT_USAGE;
    }
    if (st.lost > 0) {
        fprintf(stderr,
                "busyhour switch: %llu CDR rows lost of %llu (%s); exit "
                "status 3\n",
                (unsigned long long)st.lost,
                (unsigned long long)(st.lost + st.written),
                st.last_error[0] ? st.last_error : "queue full");
        return BH_EXIT_LOST;
    }
    return BH_EXIT_OK;
}

int
bh_cmd_switch(int argc, char **argv) {
    const char *path = NULL;
    struct bh_switch_options opt = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return BH_EXIT_OK;
        }
        const char **slot = strcmp(a, "--listen") == 0       ? &opt.listen
                            : strcmp(a, "--http") == 0       ? &opt.http
                            : strcmp(a, "--cdr") == 0        ? &opt.cdr_path
                            : strcmp(a, "--recordings") == 0 ? &opt.recordings
                            : strcmp(a, "--rtp-ports") == 0  ? &opt.rtp_ports
                                                             : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return bh_cli_usage_error("switch", "%s needs a value", a);
            *slot = argv[++i];
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            opt.verbose = 1;
        } else if (a[0] == '-' && a[1]) {
            return bh_cli_usage_error("switch", "unknown option %s", a);
        } else if (!path) {
            path = a;
        } else {
            return bh_cli_usage_error("switch", "one scenario only");
        }
    }
    if (!path) {
        usage(stderr);
        return BH_EXIT_USAGE;
    }
    struct bh_scenario *sc = NULL;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    if (bh_scenario_load(path, &sc, &diag) < 0) {
        bh_diag_print(&diag, stderr);
        return BH_EXIT_USAGE;
    }
    int rc = run(&sc->sw, &opt);
    bh_scenario_free(sc);
    return rc;
}
