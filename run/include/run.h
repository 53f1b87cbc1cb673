/* run.h: `busyhour run`, the main job: one scenario, three sets of
 * figures at the same window and capacity (the exact formulas, the
 * simulation, and real SIP/RTP load on the reference switch), one report.
 *
 * bh_run starts the reference switch in a thread of its own (its own
 * event loop, pinned to another core than the driver's where the process
 * may use two), the driver answering as the operators of queues that name
 * no contacts, waits until it answers, computes the analytic figures,
 * simulates, drives the load (traffic/driver) at the speed asked over the
 * window asked, stops the switch cleanly (BYE to calls still up, CDRs
 * committed), joins the driver's records with the switch's CDRs by
 * Call-ID, tests the measured figures against the simulated ones, and
 * writes the files of the run (README.md of this folder). With a target
 * it loads a switch already running instead (no CDRs then). */
#ifndef BH_RUN_H
#define BH_RUN_H

#include "bh.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/* What the progress line shows, about once a wall second. */
struct bh_run_progress {
    double clock;     /* scenario time, s since midnight */
    double wall;      /* wall s since the load started */
    double total;     /* wall s the arrivals last */
    uint64_t up;      /* calls up at the edge */
    uint64_t queue;   /* callers in a queue or its menu (edge: up, no
                         operator yet) */
    uint64_t mixer;   /* bridge participants (edge: calls up on a bridge,
                         passcode entry included) */
    uint64_t started; /* calls placed */
    uint64_t blocked; /* attempts that heard busy */
    uint64_t abandoned;
    uint64_t late; /* starts more than 10 ms late */
    uint64_t failed;
};

struct bh_run_options {
    const char *scenario; /* path, required */
    const char *out_dir;  /* folder of the files, created; required */
    double speed;         /* scenario s per wall s; 0: load.speed */
    int have_window;      /* 1: window_start..window_end */
    double window_start;  /* s since midnight */
    double window_end;    /* s since midnight (the next day if earlier) */
    double duration;      /* wall s of arrivals at most; 0: the window */
    const char *target;   /* "IP:PORT" of a running switch; NULL: ours */
    int replications;     /* of the simulation; 0: the scenario's, or 10 */
    int threads;          /* of the simulation; 0: 2 */
    void (*progress)(void *arg, const struct bh_run_progress *p);
    void *progress_arg;
    /* set (from a signal handler) to stop: the load and the switch stop,
     * what was measured is written, marked incomplete */
    volatile sig_atomic_t *stop;
    FILE *md; /* the Markdown summary; NULL: none */
};

/* What came out. */
struct bh_run_result {
    int thresholds_failed; /* of the measured results */
    int disagreements;     /* figures outside the simulation's interval */
    int incomplete;        /* stopped early: Ctrl-C or a failed switch */
    int switch_failed;     /* the switch stopped answering, or lost CDRs */
    char report[600];      /* path of report.html, "" none */
};

/* Runs it all. Returns 0 (the verdict is in *res), BH_EINVAL or
 * BH_EPARSE for bad input (the reason in diag: a scenario error is
 * FILE:LINE:COLUMN), or BH_EIO for a run-time failure (the switch could
 * not start or failed, a file could not be written; diag says what, the
 * files written so far are valid). */
int bh_run(const struct bh_run_options *opt, struct bh_run_result *res,
           struct bh_diag *diag);

/* ---- What the edge measured (busyhour run and busyhour load) ----------
 * Sums over a run's calls of the figures a driver measures per call
 * (traffic/driver: INVITE to 100, 18x, 2xx in wall s, jitter in ms, MOS
 * in and out), and the results' `measured` block made of them and the
 * driver's stats. Zero-initialise to start. */
struct bh_driver_call;
struct bh_driver_stats;
struct bh_measured;

struct bh_run_edge {
    double t100, t180, t200; /* wall s, sums */
    uint64_t n100, n180, n200;
    double jitter, mos_in, mos_out;
    uint64_t njitter, nmos, nmos_out;
};

void bh_run_edge_add(struct bh_run_edge *e, const struct bh_driver_call *c);
/* Means (NaN when no call had the figure), counts and failures by
 * reason. */
void bh_run_edge_measured(const struct bh_run_edge *e,
                          const struct bh_driver_stats *st,
                          struct bh_measured *m);

/* "HH:MM-HH:MM" into s since midnight; 0 or BH_EINVAL. */
int bh_run_parse_window(const char *s, double *start, double *end);

#endif
