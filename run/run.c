/* run.c: busyhour run from start to end: the scenario at the window and
 * speed asked, the analytic figures, the simulation, the switch and its
 * operators, the load, the join, the agreement and the report. */
#include "run.h"
#include "run_int.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DAY 86400.0
#define RUN_SIM_THREADS 2 /* the machine the run is sized for */
#define RUN_PING_WAIT 5.0 /* s a switch not ours has to answer */

int
bh_run_parse_window(const char *s, double *start, double *end) {
    char a[16], b[16];
    const char *dash = s ? strchr(s, '-') : NULL;
    if (!dash || (size_t)(dash - s) >= sizeof a || strlen(dash + 1) >= sizeof b)
        return BH_EINVAL;
    memcpy(a, s, (size_t)(dash - s));
    a[dash - s] = 0;
    snprintf(b, sizeof b, "%s", dash + 1);
    if (bh_parse_clock(a, start) || bh_parse_clock(b, end))
        return BH_EINVAL;
    return *start == *end ? BH_EINVAL : 0;
}

/* Everything one run holds, freed by done(). */
struct run {
    const struct bh_run_options *opt;
    struct bh_run_result *res;
    struct bh_diag *diag;
    struct bh_scenario *sc;
    double speed;
    char dir[480];
    struct bh_results an, sim, load;
    struct run_sut sut;
    struct run_calls calls;
    struct bh_collector *col;
    struct bh_record_sink inner; /* the collector's, behind the tap */
    int *lv_up, *lv_conn;        /* calls up, connected to an operator, by
                                    target (numbers, then bridges) at the edge */
    struct bh_driver *drv;
    struct bh_driver_stats st;
    struct bh_run_edge edge; /* what the edge measured, per call summed */
    struct run_meeting *mt;  /* meetings with participants still out */
    size_t nmt, capmt;
    int nomem;
    uint64_t skipped_campaigns; /* attempts the driver could not place */
    char unjudged[400];         /* thresholds on figures not measured */
    char not_run[600];          /* the load did not run: why */
    char campaign_why[200];     /* campaign calls not placed: why */
};

static void
path_of(const struct run *r, const char *name, char *buf, size_t size) {
    snprintf(buf, size, "%s/%s", r->dir, name);
}

/* mkdir -p */
static int
make_dir(const char *dir) {
    char p[480];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0777) && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
}

/* The scenario at the window and duration asked: the same for the
 * formulas, the simulation and the load. */
static int
shape(struct run *r) {
    const struct bh_run_options *o = r->opt;
    struct bh_scenario *sc = r->sc;
    r->speed = o->speed > 0 ? o->speed : sc->load.speed;
    if (!(r->speed > 0)) {
        bh_diag_set(r->diag, 0, 0, "%s: no speed (load.speed or --speed)",
                    sc->path);
        return BH_EINVAL;
    }
    if (o->have_window) {
        double off = fmod(o->window_start - sc->start + DAY, DAY);
        double len = fmod(o->window_end - o->window_start + DAY, DAY);
        if (off + len > sc->horizon + 1e-6) {
            char a[16], b[16];
            bh_format_duration(sc->horizon, a, sizeof a);
            snprintf(b, sizeof b, "%02d:%02d", (int)(sc->start / 3600),
                     (int)fmod(sc->start / 60, 60));
            bh_diag_set(r->diag, 0, 0,
                        "--window is not inside the scenario's horizon (%s "
                        "from %s)",
                        a, b);
            return BH_EINVAL;
        }
        /* the profiles are by time of day: the window starts there, empty
         * in the simulation as on the switch (no warm-up) */
        sc->start = fmod(o->window_start, DAY);
        sc->horizon = len;
        sc->sim.warmup = 0;
    }
    if (o->duration > 0 && o->duration * r->speed < sc->horizon)
        sc->horizon = o->duration * r->speed;
    if (sc->interval > sc->horizon)
        sc->interval = sc->horizon;
    if (sc->sim.warmup >= sc->horizon)
        sc->sim.warmup = 0;
    if (o->replications > 0)
        sc->sim.replications = o->replications;
    if (sc->sim.replications < 2)
        sc->sim.replications = 10;
    char msg[256];
    if (bh_sim_check(sc, msg, sizeof msg)) {
        bh_diag_set(r->diag, 0, 0, "%s: %s", sc->path, msg);
        return BH_EINVAL;
    }
    return 0;
}

static int
write_results(struct run *r, struct bh_results *res, const char *name) {
    char p[600];
    path_of(r, name, p, sizeof p);
    if (bh_results_write_json(res, p)) {
        bh_diag_set(r->diag, 0, 0, "%s: cannot write", p);
        return BH_EIO;
    }
    return 0;
}

static int
model(struct run *r) {
    int rc = bh_sim_analytic(r->sc, &r->an);
    if (rc) {
        bh_diag_set(r->diag, 0, 0, "analytic figures: %s", bh_strerror(rc));
        return rc == BH_ENOMEM ? BH_EIO : BH_EINVAL;
    }
    if (bh_thresholds_eval(r->sc, &r->an) < 0 ||
        (rc = write_results(r, &r->an, "analytic.json")))
        return rc ? rc : BH_EINVAL;
    struct bh_sim_options so;
    memset(&so, 0, sizeof so);
    so.seed = r->sc->seed;
    so.replications = r->sc->sim.replications;
    so.threads = r->opt->threads > 0 ? r->opt->threads : RUN_SIM_THREADS;
    char msg[512];
    rc = bh_sim_run(r->sc, &so, &r->sim, NULL, msg, sizeof msg);
    if (rc) {
        bh_diag_set(r->diag, 0, 0, "simulation: %s", msg);
        return rc == BH_ENOMEM ? BH_EIO : BH_EINVAL;
    }
    if (bh_thresholds_eval(r->sc, &r->sim) < 0)
        return BH_EINVAL;
    return write_results(r, &r->sim, "sim.json");
}

/* A meeting the run placed participants of: it is counted (the sink's
 * meeting) when every participant's first attempt has ended, incomplete
 * when any was blocked, as the simulator counts it (sim/README.md). */
struct run_meeting {
    uint64_t id;
    double start;
    uint32_t size, ended;
    int bridge, blocked;
};

static void
meeting_call(struct run *r, const struct bh_driver_call *c) {
    const struct bh_arrival *a = c->arrival;
    if (!a || !a->meeting || a->attempt != 1)
        return;
    size_t i = r->nmt;
    while (i > 0 && r->mt[i - 1].id != a->meeting)
        i--;
    if (i == 0) {
        if (r->nmt == r->capmt) {
            size_t cap = r->capmt ? 2 * r->capmt : 64;
            struct run_meeting *v = realloc(r->mt, cap * sizeof *v);
            if (!v) {
                r->nomem = 1;
                return;
            }
            r->mt = v;
            r->capmt = cap;
        }
        r->mt[r->nmt++] = (struct run_meeting){
            a->meeting, a->meeting_start, a->meeting_size, 0, a->target, 0};
        i = r->nmt;
    }
    struct run_meeting *m = &r->mt[i - 1];
    m->ended++;
    m->blocked |= c->rec.outcome == BH_OUTCOME_BLOCKED;
    if (m->ended >= m->size) {
        bh_sink_meeting(r->inner, m->bridge, m->start, m->blocked);
        *m = r->mt[--r->nmt];
    }
}

/* The tap: the collector's sink, with the levels the progress line
 * shows kept on the way (the driver's thread only). */
static int
tap_begin(void *ctx, int rep) {
    return bh_sink_begin(((struct run *)ctx)->inner, rep);
}

static void
tap_record(void *ctx, struct bh_call_record *rec) {
    bh_sink_record(((struct run *)ctx)->inner, rec);
}

static void
tap_level(void *ctx, int kind, int target, double t, int busy, int agents) {
    struct run *r = ctx;
    size_t k = kind == BH_TARGET_BRIDGE ? r->sc->sw.nnumbers + (size_t)target
                                        : (size_t)target;
    if (r->lv_up && k < r->sc->sw.nnumbers + r->sc->sw.nbridges) {
        r->lv_up[k] = busy;
        r->lv_conn[k] = agents;
    }
    bh_sink_level(r->inner, kind, target, t, busy, agents);
}

static void
tap_meeting(void *ctx, int bridge, double start, int incomplete) {
    bh_sink_meeting(((struct run *)ctx)->inner, bridge, start, incomplete);
}

static int
tap_end(void *ctx, double t) {
    return bh_sink_end(((struct run *)ctx)->inner, t);
}

static const struct bh_record_sink_ops tap_ops = {
    tap_begin, tap_record, tap_level, tap_meeting, tap_end};

/* Callers in a queue (or its menu: up, no operator yet) and bridge
 * participants (calls up on a bridge, passcode entry included), as the
 * edge sees them now. */
static void
levels(const struct run *r, uint64_t *queue, uint64_t *mixer) {
    *queue = *mixer = 0;
    if (!r->lv_up)
        return;
    const struct bh_sc_switch *sw = &r->sc->sw;
    for (size_t i = 0; i < sw->nnumbers; i++)
        if (sw->numbers[i].queue.present && r->lv_up[i] > r->lv_conn[i])
            *queue += (uint64_t)(r->lv_up[i] - r->lv_conn[i]);
    for (size_t i = 0; i < sw->nbridges; i++)
        *mixer += (uint64_t)r->lv_up[sw->nnumbers + i];
}

static void
on_call(void *arg, const struct bh_driver_call *c) {
    struct run *r = arg;
    if (run_calls_add(&r->calls, c))
        r->nomem = 1;
    bh_run_edge_add(&r->edge, c);
    meeting_call(r, c);
}

static void
on_progress(void *arg, struct bh_driver *d, const struct bh_driver_stats *st,
            double now, double total) {
    struct run *r = arg;
    if (r->opt->stop && *r->opt->stop) {
        r->res->incomplete = 1;
        bh_driver_stop(d);
    }
    if (!r->opt->progress)
        return;
    struct bh_run_progress p = {
        .clock = fmod(r->sc->start + now * r->speed, DAY),
        .wall = now,
        .total = total,
        .up = st->up,
        .started = st->started,
        .blocked = st->outcomes[BH_OUTCOME_BLOCKED],
        .abandoned = st->outcomes[BH_OUTCOME_ABANDONED],
        .late = st->late,
        .failed = st->outcomes[BH_OUTCOME_FAILED],
    };
    levels(r, &p.queue, &p.mixer);
    r->opt->progress(r->opt->progress_arg, &p);
}

static double
mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Start the switch (or find the target), drive, stop. Returns 0, or
 * BH_EIO when the switch failed (the measured figures are still there). */
static int
load(struct run *r, double *wall) {
    char cdr[600];
    path_of(r, "cdr.sqlite", cdr, sizeof cdr);
    const char *target = r->opt->target;
    int rc;
    if (!target) {
        /* a fresh CDR file: the run's calls only */
        const char *ext[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char p[640];
            snprintf(p, sizeof p, "%s%s", cdr, ext[i]);
            unlink(p);
        }
        if ((rc = run_sut_start(&r->sut, r->sc, r->speed, cdr, r->diag)))
            return rc;
        target = r->sut.target;
    } else if ((rc = run_sut_ping(target, RUN_PING_WAIT, r->diag))) {
        return rc;
    }
    if ((rc = bh_collector_new(r->sc, BH_SOURCE_LOAD, &r->col)))
        return BH_EIO;
    struct bh_driver_options o;
    memset(&o, 0, sizeof o);
    o.target = target;
    o.seed = r->sc->seed;
    o.speed = r->speed;
    o.span = r->sc->horizon;
    size_t nt = r->sc->sw.nnumbers + r->sc->sw.nbridges;
    r->lv_up = calloc(nt + 1, sizeof *r->lv_up);
    r->lv_conn = calloc(nt + 1, sizeof *r->lv_conn);
    if (!r->lv_up || !r->lv_conn)
        return BH_EIO;
    r->inner = bh_collector_sink(r->col);
    o.sink = (struct bh_record_sink){&tap_ops, r};
    o.on_call = on_call;
    o.call_arg = r;
    o.progress = on_progress;
    o.progress_arg = r;
    o.answer_at_once = 1; /* as the simulator's operators */
    rc = bh_driver_new(r->sc, &o, &r->drv, r->diag);
    if (rc) {
        if (!r->diag->msg[0])
            bh_diag_set(r->diag, 0, 0, "the driver: %s", bh_strerror(rc));
        return BH_EIO;
    }
    double t0 = mono();
    int drc = bh_driver_run(r->drv);
    *wall = mono() - t0;
    bh_driver_stats(r->drv, &r->st);
    r->skipped_campaigns = r->st.failed[BH_DRIVER_FAIL_NOT_DRIVEN];
    uint64_t lost = 0;
    int src = run_sut_stop(&r->sut, &lost);
    if (drc == BH_EIO || r->st.aborted) {
        r->res->switch_failed = 1;
        r->res->incomplete = 1;
        bh_diag_set(
            r->diag, 0, 0,
            "the switch at %s stopped answering: the run stopped "
            "after %.1f s; %llu calls were up and are lost (failed "
            "target-down), %llu calls finished before",
            target, *wall,
            (unsigned long long)r->st.failed[BH_DRIVER_FAIL_TARGET_DOWN],
            (unsigned long long)(r->st.finished -
                                 r->st.failed[BH_DRIVER_FAIL_TARGET_DOWN]));
        return BH_EIO;
    }
    if (src || lost) {
        r->res->switch_failed = 1;
        bh_diag_set(
            r->diag, 0, 0, "the switch %s: %llu CDR rows could not be written",
            src ? "failed at its stop" : "stopped", (unsigned long long)lost);
        return BH_EIO;
    }
    if (drc) {
        bh_diag_set(r->diag, 0, 0, "the driver: %s", bh_strerror(drc));
        return BH_EIO;
    }
    return 0;
}

/* 1 when name is a campaign's, or the number whose lines carry one
 * (`via`): what the run measures there lacks the campaign's calls when
 * they were not placed. */
static int
campaign_side(const struct bh_scenario *sc, const char *name) {
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if (s->kind != BH_SOURCE_CAMPAIGN)
            continue;
        if (strcmp(s->name, name) == 0 ||
            (s->target >= 0 && (size_t)s->target < sc->sw.nnumbers &&
             strcmp(sc->sw.numbers[s->target].name, name) == 0))
            return 1;
    }
    return 0;
}

/* Targets the run did not drive as the scenario offers them: every
 * figure not measured (NaN). No load ran: all; campaign attempts not
 * placed: the campaigns and the numbers they go out through. */
static void
unmeasured(struct run *r) {
    for (size_t i = 0; i < r->load.ntargets; i++) {
        struct bh_target_result *t = &r->load.targets[i];
        if (!r->not_run[0] &&
            !(r->skipped_campaigns && campaign_side(r->sc, t->name)))
            continue;
        struct bh_estimate nan = bh_estimate_exact(NAN);
        t->offered = t->answered = t->blocked = t->abandoned = nan;
        t->overflow = t->retried = t->blocking = t->abandonment = nan;
        t->wait_mean = t->wait_p50 = t->wait_p90 = t->wait_p99 = nan;
        t->occupancy = t->busy_mean = t->peak_busy = nan;
        t->incomplete_meetings = t->meetings = nan;
        for (size_t k = 0; k < t->nsl && k < BH_RES_MAX_SL; k++)
            t->sl[k].value = nan;
        for (size_t j = 0; j < r->load.nintervals; j++) {
            struct bh_interval_result *iv = bh_results_interval(&r->load, i, j);
            iv->offered = iv->blocking = iv->abandonment = nan;
            iv->wait_mean = iv->busy_mean = iv->occupancy = nan;
            for (size_t k = 0; k < iv->nsl && k < BH_RES_MAX_SL; k++)
                iv->sl[k].value = nan;
        }
    }
}

/* Thresholds on figures the run did not measure (NaN) are left out of
 * the measured verdict, and said: a figure not measured neither passes
 * nor fails. */
static void
unjudged(struct run *r) {
    size_t k = 0;
    r->unjudged[0] = 0;
    for (size_t i = 0; i < r->load.nthresholds; i++) {
        struct bh_threshold_result *t = &r->load.thresholds[i];
        if (isnan(t->value)) {
            size_t len = strlen(r->unjudged);
            snprintf(r->unjudged + len, sizeof r->unjudged - len, "%s%s",
                     len ? ", " : "", t->expr);
            continue;
        }
        r->load.thresholds[k++] = *t;
    }
    r->load.nthresholds = k;
}

#define RUN_MAX_NOTES 8

/* What the switch's signalling of an operator's leg (its INVITE to the
 * operator, the answer) adds to a measured wait, in scenario s: the
 * shortest wait of a call an operator answered, a caller offered at
 * once. NaN when no operator answered. */
static double
operator_leg(const struct run *r) {
    double least = NAN;
    for (size_t i = 0; i < r->calls.n; i++) {
        const struct bh_call_record *c = &r->calls.v[i].rec;
        if (c->outcome == BH_OUTCOME_ANSWERED && c->agent >= 0 &&
            c->target_kind == BH_TARGET_NUMBER && !isnan(c->wait) &&
            !(c->wait >= least))
            least = c->wait;
    }
    return least;
}

static int
report(struct run *r, struct bh_run_numbers *num) {
    snprintf(r->campaign_why, sizeof r->campaign_why,
             "campaign calls were not placed: %s",
             r->st.not_driven_why[0] ? r->st.not_driven_why
                                     : "the driver could not dial out");
    struct bh_agreement agree[BH_AGREE_MAX];
    const char *why = r->not_run[0] ? r->not_run : r->campaign_why;
    size_t na = bh_agree_test(&r->sim, &r->load, why, agree, BH_AGREE_MAX);
    for (size_t i = 0; i < na; i++)
        r->res->disagreements += agree[i].agrees == 0;
    char notes[RUN_MAX_NOTES][640];
    const char *np[RUN_MAX_NOTES];
    size_t nn = 0;
    char w[32];
    bh_format_duration(r->sc->horizon, w, sizeof w);
    snprintf(notes[nn++], sizeof notes[0],
             "Same window, same capacity: the three columns are the "
             "scenario's %s from %02d:%02d with the capacities it names; "
             "analytic and simulated figures have no warm-up when a "
             "window is asked, as the switch starts empty.",
             w, (int)(r->sc->start / 3600), (int)fmod(r->sc->start / 60, 60));
    if (r->skipped_campaigns)
        snprintf(notes[nn++], sizeof notes[0],
                 "Campaigns not measured: %llu outbound attempts were not "
                 "placed (%s); the campaigns and the numbers whose lines "
                 "carry them have an empty measured column, not zero.",
                 (unsigned long long)r->skipped_campaigns,
                 r->st.not_driven_why[0] ? r->st.not_driven_why
                                         : "the driver could not dial out");
    if (r->unjudged[0])
        snprintf(notes[nn++], sizeof notes[0],
                 "Thresholds not judged on the measured figures (not "
                 "measured): %.300s.",
                 r->unjudged);
    double leg = operator_leg(r);
    if (r->sut.operators_port && !isnan(leg))
        snprintf(notes[nn++], sizeof notes[0],
                 "The queue's operators were the driver's own UAS on "
                 "loopback contacts: they answer the moment they are "
                 "offered a call, as the simulator's do, and hang up after "
                 "the model's holding time. The switch's signalling of the "
                 "operator's leg adds %.3f s of scenario time to a measured "
                 "wait (%.2f ms of wall time: the shortest wait measured), "
                 "which the simulator does not have.",
                 leg, 1000 * leg / r->speed);
    else if (r->sut.operators_port)
        snprintf(notes[nn++], sizeof notes[0],
                 "The queue's operators were the driver's own UAS on "
                 "loopback contacts: they answer the moment they are "
                 "offered a call, as the simulator's do, and hang up after "
                 "the model's holding time.");
    if (r->sut.extension_queues)
        snprintf(notes[nn++], sizeof notes[0],
                 "%d queues named extensions as their operators; the run has "
                 "no phones registered there, so the driver's operators took "
                 "their places on loopback contacts (the extensions' "
                 "forwarding and recording were not exercised).",
                 r->sut.extension_queues);
    if (r->opt->target)
        snprintf(notes[nn++], sizeof notes[0],
                 "The switch at %s is not ours: its CDRs were not read, so "
                 "the call-by-call check has no CDR side.",
                 r->opt->target);
    for (size_t i = 0; i < nn; i++)
        np[i] = notes[i];
    struct bh_run_report run = {.numbers = num,
                                .nagree = na,
                                .agree = agree,
                                .nnotes = nn,
                                .notes = np};
    const struct bh_results *rs[3] = {&r->an, &r->sim, &r->load};
    char l0[64], l1[64], l2[96];
    snprintf(l0, sizeof l0, "analytic (Erlang)");
    snprintf(l1, sizeof l1, "simulated (%d replications)", r->sim.replications);
    snprintf(l2, sizeof l2, "measured (one run at speed %g)", r->speed);
    const char *labels[3] = {l0, l1, l2};
    struct bh_sim_curve *curves = calloc(r->sim.ntargets + 1, sizeof *curves);
    struct bh_capacity_curve *cv = calloc(r->sim.ntargets + 1, sizeof *cv);
    if (!curves || !cv) {
        free(curves);
        free(cv);
        return BH_EIO;
    }
    size_t nc = 0;
    for (size_t ti = 0; ti < r->sim.ntargets; ti++)
        if (bh_sim_capacity_curve(&r->sim, ti, r->sc, &curves[nc]) == 0) {
            cv[nc] = curves[nc].curve;
            nc++;
        }
    struct bh_report rep = {.n = 3,
                            .rs = rs,
                            .labels = labels,
                            .start = r->sc->start,
                            .ncurves = nc,
                            .curves = cv,
                            .sc = r->sc,
                            .run = &run,
                            .verdict_of = 2};
    int rc = 0;
    if (r->opt->md && bh_report_md(&rep, r->opt->md))
        rc = BH_EIO;
    char p[600];
    path_of(r, "report.html", p, sizeof p);
    FILE *f = fopen(p, "w");
    if (!f) {
        bh_diag_set(r->diag, 0, 0, "%s: cannot write: %s", p, strerror(errno));
        rc = BH_EIO;
    } else {
        struct bh_diag d;
        memset(&d, 0, sizeof d);
        int hr = bh_report_html(&rep, f, &d);
        if (fclose(f) || hr) {
            bh_diag_set(r->diag, 0, 0, "%s: %s", p,
                        d.msg[0] ? d.msg : "write failed");
            rc = BH_EIO;
        } else {
            snprintf(r->res->report, sizeof r->res->report, "%s", p);
        }
    }
    free(curves);
    free(cv);
    return rc;
}

/* The run's calls rated from the driver's records (the measured
 * results' costs) and from the switch's CDRs (cc, fed by the join; NULL:
 * none): NaN what was not rated. */
static void
costs(struct run *r, struct bh_collector *cc, struct bh_run_numbers *num) {
    const struct bh_costs *k = &r->load.costs;
    num->cost_records = num->cost_records_callers = NAN;
    num->cost_records_company = NAN;
    num->cost_cdrs = num->cost_cdrs_callers = num->cost_cdrs_company = NAN;
    if (!k->present)
        return;
    snprintf(num->currency, sizeof num->currency, "%s", k->currency);
    num->cost_records = k->total.mean;
    num->cost_records_callers = k->callers.mean;
    num->cost_records_company = k->company.mean;
    struct bh_results cr;
    memset(&cr, 0, sizeof cr);
    if (cc && bh_sink_end(bh_collector_sink(cc), r->sc->horizon) == 0 &&
        bh_collector_results(cc, &cr) == 0 && cr.costs.present) {
        num->cost_cdrs = cr.costs.total.mean;
        num->cost_cdrs_callers = cr.costs.callers.mean;
        num->cost_cdrs_company = cr.costs.company.mean;
    }
    bh_results_clear(&cr);
}

/* After the load (complete or not): the measured results, the join, the
 * files and the report. */
static int
measured(struct run *r, double wall, int load_rc) {
    struct bh_run_numbers *num = &r->load.run;
    if (!r->col && bh_collector_new(r->sc, BH_SOURCE_LOAD, &r->col))
        return BH_EIO;
    if (bh_collector_results(r->col, &r->load) == 0) {
        unmeasured(r);
    } else {
        bh_results_clear(&r->load);
        return BH_EIO;
    }
    bh_thresholds_eval(r->sc, &r->load);
    unjudged(r);
    r->res->thresholds_failed = bh_results_failed(&r->load);
    num->present = true;
    num->speed = r->speed;
    num->window_start = r->sc->start;
    num->window = r->sc->horizon;
    num->wall = wall;
    num->calls_on_wire = r->st.started - r->skipped_campaigns;
    if (r->drv) {
        bh_run_edge_measured(&r->edge, &r->st, &r->load.measured);
        r->load.measured.calls = (double)num->calls_on_wire;
    }
    num->late = r->st.late;
    num->late_mean =
        r->st.started ? 1000 * r->st.late_sum / (double)r->st.started : 0;
    num->late_max = 1000 * r->st.late_max;
    num->incomplete = r->res->incomplete;
    if (r->res->incomplete)
        snprintf(num->note, sizeof num->note, "%s",
                 r->not_run[0] ? r->not_run
                 : load_rc     ? r->diag->msg
                               : "stopped by the user (Ctrl-C)");
    char cdr[600], csv[600];
    path_of(r, "cdr.sqlite", cdr, sizeof cdr);
    path_of(r, "records.csv", csv, sizeof csv);
    struct bh_diag jd;
    memset(&jd, 0, sizeof jd);
    int cdrs = !r->opt->target && !r->not_run[0];
    struct bh_collector *cc = NULL;
    struct bh_record_sink cs = {0};
    if (cdrs && r->load.costs.present &&
        bh_collector_new(r->sc, BH_SOURCE_LOAD, &cc) == 0) {
        cs = bh_collector_sink(cc);
        bh_sink_begin(cs, 0);
    }
    int rc = run_join(&r->calls, cdrs ? cdr : NULL, r->sc, r->speed, csv, cs,
                      num, &jd);
    costs(r, cc, num);
    bh_collector_free(cc);
    if (rc && !load_rc)
        *r->diag = jd;
    int wr = write_results(r, &r->load, "load.json");
    int rr = report(r, num);
    return rc ? rc : wr ? wr : rr;
}

int
bh_run(const struct bh_run_options *opt, struct bh_run_result *res,
       struct bh_diag *diag) {
    struct run r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    r.opt = opt;
    r.res = res;
    r.diag = diag;
    if (!opt->scenario || !opt->out_dir) {
        bh_diag_set(diag, 0, 0, "a scenario and a folder are required");
        return BH_EINVAL;
    }
    if (opt->target && run_sut_check_target(opt->target)) {
        bh_diag_set(diag, 0, 0,
                    "--switch %s: need IP:PORT or [IPv6]:PORT (no DNS)",
                    opt->target);
        return BH_EINVAL;
    }
    snprintf(r.dir, sizeof r.dir, "%s", opt->out_dir);
    int rc = bh_scenario_load(opt->scenario, &r.sc, diag);
    if (rc)
        return rc == BH_EIO || rc == BH_ENOENT ? BH_EINVAL : rc;
    if ((rc = shape(&r)))
        goto out;
    if (make_dir(r.dir)) {
        bh_diag_set(diag, 0, 0, "%s: cannot create: %s", r.dir,
                    strerror(errno));
        rc = BH_EINVAL;
        goto out;
    }
    if ((rc = model(&r)))
        goto out;
    double wall = 0;
    int lrc = load(&r, &wall);
    if (lrc && !r.drv) {
        /* nothing was measured: the report says why, beside the model */
        run_sut_stop(&r.sut, &(uint64_t){0});
        snprintf(r.not_run, sizeof r.not_run, "no load ran: %s", diag->msg);
        res->incomplete = 1;
    }
    if (r.nomem)
        lrc = BH_EIO;
    rc = measured(&r, wall, lrc);
    if (lrc)
        rc = lrc;
out:
    bh_driver_free(r.drv);
    bh_collector_free(r.col);
    free(r.mt);
    free(r.lv_up);
    free(r.lv_conn);
    run_calls_free(&r.calls);
    bh_results_clear(&r.an);
    bh_results_clear(&r.sim);
    bh_results_clear(&r.load);
    bh_scenario_free(r.sc);
    return rc;
}
