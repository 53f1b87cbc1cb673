/* cmd_load.c: `busyhour load SCENARIO --target HOST:PORT`: the scenario's
 * traffic as real SIP/RTP calls against a SIP switch (the load driver,
 * driver.h), measured at the edge: a summary, results JSON (source
 * "load"), per-call records, thresholds. */
#include "bh.h"
#include "cli.h"
#include "run.h"
#include "driver.h"
#include "reports.h"
#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void
help(FILE *out) {
    fprintf(out,
            "usage: busyhour load SCENARIO --target HOST:PORT [--speed X] "
            "[--duration D]\n"
            "                     [--seed N] [--local IP] [--json FILE] "
            "[--records FILE]\n"
            "                     [--calls FILE] [--no-operators] "
            "[--no-carrier] [--segment I/N]\n"
            "                     [--pcap FILE [--pcap-rtp]]\n"
            "\n"
            "Places the scenario's traffic as real SIP calls with RTP "
            "against the switch at\nHOST:PORT (a literal IPv4 address or "
            "[IPv6]; UDP). The arrivals are those of\nthe simulator's first "
            "replication for the same seed; each starts at wall time\nt / "
            "speed (open loop), and holding times, patience and menu times "
            "are divided\nby the speed too. Callers send INVITE with PCMU, "
            "PCMA and telephone-event,\nACK, RTP for the whole call (the "
            "scenario's load.media), a digit for an IVR\nmenu, BYE at the "
            "end of the holding time, and BYE or CANCEL when patience\nruns "
            "out while they wait. What the target must offer: "
            "traffic/driver/README.md.\n"
            "\n"
            "Options:\n"
            "  --target HOST:PORT  the switch (required)\n"
            "  --speed X           scenario seconds per wall second "
            "(default: load.speed)\n"
            "  --duration D        wall time of arrivals, e.g. 90s or 10m "
            "(default: the\n"
            "                      horizon / speed); calls up then run to "
            "their end\n"
            "  --seed N            seed of the traffic model (default: the "
            "scenario's)\n"
            "  --local IP          our address (default 127.0.0.1, or ::1 "
            "for an IPv6 target)\n"
            "  --no-operators      do not answer as the queues' operators "
            "(they are someone\n"
            "                      else's); by default the driver listens "
            "on the static\n"
            "                      contacts and registers the accounts "
            "first\n"
            "  --no-carrier        do not answer at switch.trunk's gateway "
            "(it is someone\n"
            "                      else's); by default the driver is the "
            "carrier there,\n"
            "                      and places campaign attempts out through "
            "the trunk\n"
            "  --json FILE         write the results file (source \"load\"; "
            "'-' = stdout)\n"
            "  --records FILE      write every call attempt as CSV (the "
            "columns of sim)\n"
            "  --calls FILE        write what only a real call has, one row "
            "per attempt:\n"
            "                      id (as in --records), Call-ID, outcome, "
            "failure reason,\n"
            "                      final SIP status, lateness, INVITE to "
            "100/18x/200 (s),\n"
            "                      RTP sent/received/lost, jitter (ms), MOS "
            "in and out,\n"
            "                      the scenario time (s) the traffic model "
            "gave the arrival\n"
            "  --segment I/N       drive only segment I of N of the arrival "
            "stream: N\n"
            "                      drivers (same scenario and seed) with "
            "1/N..N/N place\n"
            "                      the whole scenario once; merge their "
            "--json files with\n"
            "                      busyhour report --merge "
            "(traffic/README.md, Segments)\n"
            "  --pcap FILE         write the SIP the driver sent and "
            "received as a pcap\n"
            "                      (tshark, Wireshark, sngrep open it)\n"
            "  --pcap-rtp          put the RTP and RTCP in the capture too\n"
            "  --help              show this help\n"
            "\n"
            "Progress is shown on a terminal only. Exit status: 0 success, "
            "1 a scenario\nthreshold failed, 2 bad usage or bad input, 3 "
            "the target failed (stopped\nanswering or unreachable: the run "
            "stops within seconds, calls failed with\ntheir reasons).\n");
}

struct load_args {
    const char *path, *target, *local, *json, *records, *calls, *pcap;
    double speed, duration;
    int no_operators, no_carrier;
    unsigned long seed;
    int have_seed;
    int pcap_rtp;
    uint32_t segment_index, segment_count;
};

static int
parse(struct load_args *a, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            help(stdout);
            return BH_EXIT_OK;
        } else if (strcmp(o, "--target") == 0) {
            if (!v)
                return bh_cli_usage_error("load", "--target needs HOST:PORT");
            a->target = v;
            i++;
        } else if (strcmp(o, "--local") == 0) {
            if (!v)
                return bh_cli_usage_error("load", "--local needs an address");
            a->local = v;
            i++;
        } else if (strcmp(o, "--speed") == 0) {
            if (bh_cli_speed("load", v, &a->speed))
                return BH_EXIT_USAGE;
            i++;
        } else if (strcmp(o, "--duration") == 0) {
            if (bh_cli_duration("load", v, &a->duration))
                return BH_EXIT_USAGE;
            i++;
        } else if (strcmp(o, "--seed") == 0) {
            errno = 0;
            a->seed = v && *v != '-' ? strtoul(v, &end, 10) : 0;
            if (!v || *v == '-' || errno || end == v || *end ||
                a->seed > 4294967295UL)
                return bh_cli_usage_error(
                    "load", "--seed needs a number from 0 to 4294967295");
            a->have_seed = 1;
            i++;
        } else if (strcmp(o, "--json") == 0) {
            if (!v)
                return bh_cli_usage_error("load", "--json needs a file");
            a->json = v;
            i++;
        } else if (strcmp(o, "--records") == 0) {
            if (!v)
                return bh_cli_usage_error("load", "--records needs a file");
            a->records = v;
            i++;
        } else if (strcmp(o, "--no-operators") == 0) {
            a->no_operators = 1;
        } else if (strcmp(o, "--no-carrier") == 0) {
            a->no_carrier = 1;
        } else if (strcmp(o, "--calls") == 0) {
            if (!v)
                return bh_cli_usage_error("load", "--calls needs a file");
            a->calls = v;
            i++;
        } else if (strcmp(o, "--segment") == 0) {
            if (!v || bh_traffic_segment_parse(v, &a->segment_index,
                                               &a->segment_count))
                return bh_cli_usage_error(
                    "load", "--segment needs I/N, 1 <= I <= N <= %d (e.g. 1/2)",
                    BH_TRAFFIC_MAX_SEGMENTS);
            i++;
        } else if (strcmp(o, "--pcap") == 0) {
            if (!v)
                return bh_cli_usage_error("load", "--pcap needs a file");
            a->pcap = v;
            i++;
        } else if (strcmp(o, "--pcap-rtp") == 0) {
            a->pcap_rtp = 1;
        } else if (o[0] == '-' && o[1]) {
            return bh_cli_usage_error(
                "load", "unknown option '%s' (see busyhour load --help)", o);
        } else if (!a->path) {
            a->path = o;
        } else {
            return bh_cli_usage_error("load", "one scenario at a time");
        }
    }
    if (!a->path)
        return bh_cli_usage_error("load",
                                  "which scenario? (busyhour load SCENARIO "
                                  "--target HOST:PORT)");
    if (!a->target)
        return bh_cli_usage_error("load", "--target HOST:PORT is required");
    if (a->pcap_rtp && !a->pcap)
        return bh_cli_usage_error("load", "--pcap-rtp needs --pcap FILE");
    return -1;
}

/* ---- what the run measures beyond the records --------------------------- */

struct load_run {
    const struct bh_scenario *sc;
    FILE *records;
    FILE *calls;
    struct bh_run_edge edge; /* setup times, jitter, MOS: sums */
    uint64_t status[7];      /* final statuses by class 1xx..6xx, [0] none */
};

static volatile sig_atomic_t stop_asked;

static void
on_signal(int sig) {
    (void)sig;
    stop_asked = 1;
}

static void
on_call(void *arg, const struct bh_driver_call *c) {
    struct load_run *r = arg;
    if (r->records)
        bh_call_record_csv(r->records, &c->rec, r->sc);
    if (r->calls)
        fprintf(r->calls,
                "%llu,%s,%s,%s,%d,%.6f,%.6f,%.6f,%.6f,%u,%u,%d,%.3f,%.2f,%.2f,"
                "%.6f\n",
                (unsigned long long)c->rec.id, c->call_id,
                bh_outcome_name((enum bh_outcome)c->rec.outcome),
                bh_driver_fail_name(c->fail), c->status, c->late, c->t100,
                c->t180, c->t200, c->rtp_sent, c->rtp_received, c->rtp_lost,
                c->jitter_ms, c->mos_in, c->mos_out,
                c->arrival ? c->arrival->t : NAN);
    bh_run_edge_add(&r->edge, c);
    r->status[c->status >= 100 && c->status < 700 ? c->status / 100 : 0]++;
}

static void
progress(void *arg, struct bh_driver *d, const struct bh_driver_stats *st,
         double now, double total) {
    (void)arg;
    if (stop_asked) {
        stop_asked = 0;
        bh_driver_stop(d);
    }
    if (!bh_cli_interactive())
        return;
    /* failures by reason, those that happened: "timeout 2 5xx 1" */
    char why[160] = "";
    size_t n = 0;
    for (int f = 1; f < BH_DRIVER_FAIL_COUNT && n < sizeof why; f++)
        if (st->failed[f]) {
            int w = snprintf(why + n, sizeof why - n, " %s %llu",
                             bh_driver_fail_name((enum bh_driver_fail)f),
                             (unsigned long long)st->failed[f]);
            n += w > 0 ? (size_t)w : 0;
        }
    /* \033[K clears what a longer line left on the right */
    fprintf(stderr,
            "\rload %5.0f/%.0f s  up %llu  started %llu  late %llu  "
            "failed %llu%s%s  rtp lost %llu\033[K",
            now, total, (unsigned long long)st->up,
            (unsigned long long)st->started, (unsigned long long)st->late,
            (unsigned long long)st->outcomes[BH_OUTCOME_FAILED],
            why[0] ? ":" : "", why, (unsigned long long)st->rtp_lost);
    fflush(stderr);
}

static void
summary(const struct bh_scenario *sc, const struct bh_results *res,
        const struct bh_driver_stats *st, const struct load_run *r,
        double speed) {
    printf("%s: load at speed %g, %llu calls started, %llu finished\n",
           sc->name, speed, (unsigned long long)st->started,
           (unsigned long long)st->finished);
    if (res->segment_count > 0)
        printf("  segment     %u of %u of the arrival stream\n",
               (unsigned)res->segment_index, (unsigned)res->segment_count);
    printf("  outcomes   ");
    for (int o = 0; o < BH_OUTCOME_COUNT; o++)
        printf(" %s %llu", bh_outcome_name((enum bh_outcome)o),
               (unsigned long long)st->outcomes[o]);
    printf("\n");
    int anyf = 0;
    for (int f = 1; f < BH_DRIVER_FAIL_COUNT; f++)
        if (st->failed[f]) {
            printf("%s %s %llu", anyf ? "," : "  failures   ",
                   bh_driver_fail_name((enum bh_driver_fail)f),
                   (unsigned long long)st->failed[f]);
            anyf = 1;
        }
    if (anyf)
        printf("\n");
    if (st->failed[BH_DRIVER_FAIL_NOT_DRIVEN])
        printf("  not driven: %llu campaign attempts (%s)\n",
               (unsigned long long)st->failed[BH_DRIVER_FAIL_NOT_DRIVEN],
               st->not_driven_why);
    if (st->carrier_calls)
        printf("  carrier     %llu calls answered or refused at the trunk's "
               "gateway\n",
               (unsigned long long)st->carrier_calls);
    printf("  lateness    mean %.2f ms, max %.2f ms, %llu starts late\n",
           st->started ? 1000 * st->late_sum / (double)st->started : 0,
           1000 * st->late_max, (unsigned long long)st->late);
    if (st->late)
        printf("  the driver could not keep up: %llu of %llu calls started "
               "more than 10 ms late\n",
               (unsigned long long)st->late, (unsigned long long)st->started);
    printf("  setup       INVITE->100 %.2f ms, ->18x %.2f ms, ->200 %.2f ms "
           "(means)\n",
           r->edge.n100 ? 1000 * r->edge.t100 / (double)r->edge.n100 : NAN,
           r->edge.n180 ? 1000 * r->edge.t180 / (double)r->edge.n180 : NAN,
           r->edge.n200 ? 1000 * r->edge.t200 / (double)r->edge.n200 : NAN);
    printf("  rtp         sent %llu, received %llu, lost %llu; jitter mean "
           "%.2f ms; MOS in %.2f, out %.2f\n",
           (unsigned long long)st->rtp_sent,
           (unsigned long long)st->rtp_received,
           (unsigned long long)st->rtp_lost,
           r->edge.njitter ? r->edge.jitter / (double)r->edge.njitter : NAN,
           r->edge.nmos ? r->edge.mos_in / (double)r->edge.nmos : NAN,
           r->edge.nmos_out ? r->edge.mos_out / (double)r->edge.nmos_out : NAN);
    printf("  sip         sent %llu, received %llu, retransmissions %llu\n",
           (unsigned long long)st->sip_sent,
           (unsigned long long)st->sip_received,
           (unsigned long long)st->retransmissions);
    for (size_t i = 0; i < res->ntargets; i++) {
        const struct bh_target_result *t = &res->targets[i];
        printf("  %-10s offered %.0f answered %.0f blocked %.0f abandoned "
               "%.0f overflow %.0f",
               t->name, t->offered.mean, t->answered.mean, t->blocked.mean,
               t->abandoned.mean, t->overflow.mean);
        if (t->operators > 0 && !isnan(t->wait_mean.mean))
            printf(" wait mean %.2f s", t->wait_mean.mean);
        printf("\n");
    }
    for (size_t i = 0; i < res->nthresholds; i++) {
        const struct bh_threshold_result *t = &res->thresholds[i];
        printf("threshold %-40s %s (value %.6g, limit %.6g)\n", t->expr,
               t->pass ? "pass" : "FAIL", t->value, t->limit);
    }
    if (st->aborted)
        printf("the target stopped answering: run stopped, calls up failed "
               "(target-down)\n");
}

/* ---- the command --------------------------------------------------------- */

static int
run(struct load_args *a, struct bh_scenario *sc) {
    double speed = a->speed > 0 ? a->speed : sc->load.speed;
    double span = a->duration > 0 ? a->duration * speed : sc->horizon;
    if (span < sc->horizon)
        sc->horizon = span; /* the results cover what was driven */
    if (sc->sim.warmup >= sc->horizon)
        sc->sim.warmup = 0;
    struct bh_collector *col = NULL;
    int rc = bh_collector_new(sc, BH_SOURCE_LOAD, &col);
    if (rc) {
        fprintf(stderr, "busyhour load: %s\n", bh_strerror(rc));
        return BH_EXIT_USAGE;
    }
    struct load_run lr;
    memset(&lr, 0, sizeof lr);
    lr.sc = sc;
    if (a->records) {
        lr.records =
            strcmp(a->records, "-") == 0 ? stdout : fopen(a->records, "w");
        if (!lr.records) {
            fprintf(stderr, "busyhour load: %s: cannot write: %s\n", a->records,
                    strerror(errno));
            bh_collector_free(col);
            return BH_EXIT_USAGE;
        }
        bh_call_record_csv_header(lr.records);
    }
    if (a->calls) {
        lr.calls = strcmp(a->calls, "-") == 0 ? stdout : fopen(a->calls, "w");
        if (!lr.calls) {
            fprintf(stderr, "busyhour load: %s: cannot write: %s\n", a->calls,
                    strerror(errno));
            if (lr.records && lr.records != stdout)
                fclose(lr.records);
            bh_collector_free(col);
            return BH_EXIT_USAGE;
        }
        fprintf(lr.calls, "id,call_id,outcome,failure,status,late,t100,t180,"
                          "t200,rtp_sent,rtp_received,rtp_lost,jitter_ms,"
                          "mos_in,mos_out,due\n");
    }
    struct bh_driver_options opt;
    memset(&opt, 0, sizeof opt);
    opt.target = a->target;
    opt.local_ip = a->local;
    opt.seed = sc->seed;
    opt.speed = speed;
    opt.no_operators = a->no_operators;
    opt.no_carrier = a->no_carrier;
    opt.span = span;
    opt.sink = bh_collector_sink(col);
    opt.on_call = on_call;
    opt.call_arg = &lr;
    opt.progress = progress;
    opt.segment_index = a->segment_index;
    opt.segment_count = a->segment_count;
    struct bh_pcap *cap = NULL;
    struct bh_driver *d = NULL;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    rc = 0;
    if (a->pcap) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        rc = bh_pcap_open(a->pcap, a->pcap_rtp,
                          (double)now.tv_sec + (double)now.tv_nsec * 1e-9, &cap,
                          &diag);
        if (rc)
            fprintf(stderr, "busyhour load: %s: %s\n", a->pcap,
                    diag.msg[0] ? diag.msg : bh_strerror(rc));
        opt.on_packet = bh_pcap_packet;
        opt.packet_arg = cap;
    }
    int status = BH_EXIT_OK;
    if (rc == 0)
        rc = bh_driver_new(sc, &opt, &d, &diag);
    else
        status = BH_EXIT_USAGE; /* the capture cannot be written */
    if (rc && status == BH_EXIT_OK) {
        fprintf(stderr, "busyhour load: %s\n",
                diag.msg[0] ? diag.msg : bh_strerror(rc));
        status = rc == BH_EINVAL ? BH_EXIT_USAGE : BH_EXIT_TARGET;
    }
    if (status == BH_EXIT_OK && rc == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        rc = bh_driver_run(d);
        if (cap && bh_pcap_close(cap)) {
            fprintf(stderr, "busyhour load: %s: write failed\n", a->pcap);
            status = BH_EXIT_USAGE;
        }
        cap = NULL;
        if (bh_cli_interactive())
            fputc('\n', stderr);
        struct bh_driver_stats st;
        bh_driver_stats(d, &st);
        struct bh_results res;
        memset(&res, 0, sizeof res);
        int crc = bh_collector_results(col, &res);
        if (!crc)
            bh_run_edge_measured(&lr.edge, &st, &res.measured);
        res.segment_index = a->segment_index;
        res.segment_count = a->segment_count;
        int failed = crc ? crc : bh_thresholds_eval(sc, &res);
        if (crc || failed < 0) {
            fprintf(stderr, "busyhour load: results: %s\n",
                    bh_strerror(crc ? crc : failed));
            status = BH_EXIT_USAGE;
        } else {
            if (!a->json || strcmp(a->json, "-") != 0)
                summary(sc, &res, &st, &lr, speed);
            if (a->json && bh_results_write_json(&res, a->json)) {
                fprintf(stderr, "busyhour load: %s: cannot write results\n",
                        a->json);
                status = BH_EXIT_USAGE;
            }
            if (status == BH_EXIT_OK && failed > 0)
                status = BH_EXIT_THRESHOLD;
        }
        if (rc == BH_EIO) {
            fprintf(stderr,
                    "busyhour load: %s: the target stopped answering; "
                    "%llu calls failed\n",
                    a->target,
                    (unsigned long long)st.outcomes[BH_OUTCOME_FAILED]);
            status = BH_EXIT_TARGET;
        } else if (rc) {
            fprintf(stderr, "busyhour load: %s\n", bh_strerror(rc));
            status = BH_EXIT_TARGET;
        }
        bh_results_clear(&res);
    }
    bh_driver_free(d);
    bh_pcap_close(cap); /* not run: nothing to report */
    if (lr.records && lr.records != stdout && fclose(lr.records) &&
        status == BH_EXIT_OK) {
        fprintf(stderr, "busyhour load: %s: write failed\n", a->records);
        status = BH_EXIT_USAGE;
    }
    if (lr.calls && lr.calls != stdout && fclose(lr.calls) &&
        status == BH_EXIT_OK) {
        fprintf(stderr, "busyhour load: %s: write failed\n", a->calls);
        status = BH_EXIT_USAGE;
    }
    bh_collector_free(col);
    return status;
}

int
bh_cmd_load(int argc, char **argv) {
    struct load_args a;
    memset(&a, 0, sizeof a);
    int status = parse(&a, argc, argv);
    if (status >= 0)
        return status;
    struct bh_scenario *sc = NULL;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    if (bh_scenario_load(a.path, &sc, &diag)) {
        bh_diag_print(&diag, stderr);
        return BH_EXIT_USAGE;
    }
    if (a.have_seed)
        sc->seed = a.seed;
    /* one socket per call's RTP: as many descriptors as we may have */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    status = run(&a, sc);
    bh_scenario_free(sc);
    return status;
}
