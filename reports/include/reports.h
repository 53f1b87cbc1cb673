/* reports.h: statistics, the results model and its JSON file, tariff
 * rating, thresholds, and the report writers (HTML, CSV, Markdown, JUnit).
 *
 * Simulator, load driver and `run` fill a struct bh_results; `report`
 * reads it back from results.json. The file format is documented in
 * reports/README.md and reports/results.schema.json. */
#ifndef BH_REPORTS_H
#define BH_REPORTS_H

#include "bh.h"
#include "scenario.h"
#include "records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Statistics ---------------------------------------------------- */

/* A figure across replications: mean and 95% confidence interval (Student
 * t). With one replication (or a figure that has no spread, such as an
 * analytic one) lo == hi == mean. NaN means "not measured". */
struct bh_estimate {
    double mean;
    double lo, hi;
};

/* Running mean and variance (Welford). Zero-initialise to start. */
struct bh_running {
    uint64_t n;
    double mean;
    double m2;
};

void bh_running_add(struct bh_running *r, double x);
double bh_running_var(const struct bh_running *r);
/* Mean and 95% Student-t interval of the values added. */
struct bh_estimate bh_running_estimate(const struct bh_running *r);
/* The same at another confidence level in (0, 1), e.g. 0.999 (tests). */
struct bh_estimate bh_running_interval(const struct bh_running *r,
                                       double level);

/* A ratio of sums across n replications, x[i] / y[i] being replication
 * i's numerator and denominator (blocked and offered calls, wait seconds
 * and answered calls): the ratio estimator sum x / sum y (the pooled
 * figure; the mean of the replications' ratios is biased, and more so as
 * intervals shorten) with a delta-method 95% interval, Student t with
 * n - 1 degrees of freedom on s^2 = sum (x - R y)^2 / (n - 1) over
 * n mean(y)^2. A share (share = true: 0 <= x <= y) gets at least the 95%
 * Wilson interval of the pooled counts, their effective number divided by
 * the design effect (the delta variance over the binomial one, at least
 * 1), so that rare events that cluster in a few replications keep their
 * coverage. NaN when sum y is 0 or n is 0; lo == hi == mean when n == 1
 * (one measured run). Pairs with a NaN are skipped. */
struct bh_estimate bh_ratio_estimate(const double *x, const double *y, size_t n,
                                     bool share);

/* A histogram of non-negative values (waits in s) with log-spaced buckets:
 * every recorded value is reported within BH_HIST_REL_ERROR relative error
 * (and exactly 0 for zero). Fixed size, no allocation. */
#define BH_HIST_SUB 64   /* sub-buckets per power of two */
#define BH_HIST_EXP 48   /* powers of two covered above BH_HIST_MIN */
#define BH_HIST_MIN 1e-3 /* s; smaller positive values go in bucket 0 */
#define BH_HIST_REL_ERROR (1.0 / BH_HIST_SUB)
struct bh_hist {
    uint64_t zero;
    uint64_t count;
    double sum;
    uint64_t bucket[BH_HIST_SUB * BH_HIST_EXP];
};

void bh_hist_add(struct bh_hist *h, double x);
void bh_hist_merge(struct bh_hist *into, const struct bh_hist *from);
/* Value at quantile q in [0, 1]; 0 for an empty histogram. */
double bh_hist_quantile(const struct bh_hist *h, double q);
/* Share of recorded values <= x. */
double bh_hist_cdf(const struct bh_hist *h, double x);

/* ---- Results ------------------------------------------------------- */

#define BH_RES_MAX_SL 8 /* service-level target times per target */

enum bh_results_source { BH_SOURCE_ANALYTIC, BH_SOURCE_SIM, BH_SOURCE_LOAD };

struct bh_service_level {
    double t;                 /* target time, s */
    struct bh_estimate value; /* share of all offered answered within t */
};

/* Figures for one number, bridge or campaign (over the horizon after the
 * warm-up), means over replications. */
struct bh_target_result {
    char name[BH_SC_MAX_NAME];
    char kind[16]; /* "number", "bridge", "campaign" */
    int lines;     /* capacity as configured */
    int operators; /* 0 when there is no queue */
    struct bh_estimate offered_erlangs;
    struct bh_estimate offered, answered, blocked, abandoned, overflow;
    struct bh_estimate retried;
    struct bh_estimate blocking;    /* blocked (and overflowed) / offered */
    struct bh_estimate abandonment; /* abandoned / offered */
    struct bh_estimate wait_mean;   /* s, answered calls */
    struct bh_estimate wait_p50, wait_p90, wait_p99;
    size_t nsl;
    struct bh_service_level sl[BH_RES_MAX_SL];
    struct bh_estimate occupancy; /* operator (or line) busy share */
    struct bh_estimate busy_mean; /* time-average busy lines or ports */
    struct bh_estimate peak_busy;
    struct bh_estimate incomplete_meetings; /* bridges: share of meetings */
    struct bh_estimate meetings;
    /* the waits of answered calls themselves (owned, NULL when the file
     * has none): load results carry it so that segments' files merge
     * into exact percentiles (bh_results_merge) */
    struct bh_hist *wait_hist;
};

/* One reporting interval of one target. */
struct bh_interval_result {
    double start; /* s since the horizon start */
    struct bh_estimate offered_erlangs;
    struct bh_estimate offered;
    struct bh_estimate blocking;
    struct bh_estimate abandonment;
    struct bh_estimate wait_mean;
    size_t nsl;
    struct bh_service_level sl[BH_RES_MAX_SL];
    struct bh_estimate busy_mean;
    struct bh_estimate occupancy;
};

struct bh_cost_class {
    char source[BH_SC_MAX_NAME];
    char origin[BH_SC_MAX_NAME];
    char plan[BH_SC_MAX_NAME];
    struct bh_estimate total; /* currency units */
    struct bh_estimate calls;
    char payer[16]; /* "callers" or "company" */
};

/* Costs of one payer (or of both): over the horizon, per answered call
 * (ratio estimator over replications), per hour and per 30-day month. */
struct bh_payer_costs {
    struct bh_estimate total;
    struct bh_estimate per_answered_call;
    struct bh_estimate per_hour;
    struct bh_estimate per_month;
};

/* The costs of one number, bridge or campaign: its sources' calls (a
 * campaign's dial-out, a number's ad-hoc legs), its own lines (ports)
 * and operators; by payer (BH_COST_ALL, _COMPANY, _CALLERS). */
struct bh_target_costs {
    char name[BH_SC_MAX_NAME];
    struct bh_estimate answered;    /* answered calls (participants) */
    struct bh_estimate line_rental; /* its lines or ports (company) */
    struct bh_estimate operators;   /* its operators' pay (company) */
    struct bh_payer_costs by[BH_COST_PAYERS];
};

/* A prepaid balance (tariffs.prepaid) over the replications. */
struct bh_balance {
    bool present;
    double start;              /* currency units at the horizon's start */
    double top_up, every;      /* units, s (0: no top-ups) */
    struct bh_estimate end;    /* at the horizon's end (may be < 0) */
    double runs_out;           /* share of replications in which it ran out */
    struct bh_estimate out_at; /* s since the horizon start, over the
                                  replications in which it ran out */
    double earliest;           /* s, the earliest run-out; NaN: never */
    double projected;          /* s since the horizon start: when it would run
                                  out if the horizon's traffic went on (net
                                  drawn per second at the mean); NaN when it
                                  ran out, or is not drawn down */
};

struct bh_costs {
    bool present;
    char currency[8];
    struct bh_estimate total;            /* currency units, over the horizon */
    struct bh_estimate per_call;         /* deprecated: per offered call */
    struct bh_estimate per_participant;  /* per conference participant */
    struct bh_estimate callers;          /* paid by callers */
    struct bh_estimate company;          /* paid by the company */
    struct bh_estimate line_rental;      /* included in company */
    struct bh_estimate operators;        /* operators' pay, in company */
    struct bh_estimate per_month;        /* total scaled to a 30-day month */
    struct bh_estimate provider_revenue; /* termination revenue, if asked */
    struct bh_estimate answered;         /* answered calls, all targets */
    struct bh_payer_costs by[BH_COST_PAYERS]; /* [BH_COST_ALL].total is
                                                 total, and so on */
    size_t ntargets;
    struct bh_target_costs *targets; /* owned; results' target order */
    struct bh_balance balance;
    size_t nclasses;
    struct bh_cost_class *classes; /* owned */
};

struct bh_threshold_result {
    char expr[160];
    double value; /* the bound that was compared (see README) */
    double limit;
    bool pass;
};

/* A capacity-plan row (busyhour plan). */
struct bh_plan_row {
    char target[BH_SC_MAX_NAME];
    char resource[16]; /* "lines", "operators", "ports" */
    int now;
    int analytic; /* first guess from the formulas */
    int recommended;
    struct bh_estimate blocking_now, blocking_recommended;
    struct bh_estimate sl_now, sl_recommended;     /* NaN when not asked */
    struct bh_estimate cost_now, cost_recommended; /* per month */
    char binding[160]; /* the threshold that set the answer (one fewer
                          fails it), "" when unknown */
    char period[64];   /* what it was judged over: "busy hour 10:00-11:00",
                          "horizon", "every interval (10:00)" */
    struct bh_estimate judged; /* that threshold's figure at the
                                  recommendation over the period (pooled
                                  over replications, 95% interval) */
};

/* The numbers of one measured run (load.json's "run", the report). */
struct bh_run_numbers {
    bool present;
    double speed;                  /* scenario s per wall s */
    double window_start;           /* s since midnight of the window's start */
    double window;                 /* s of scenario time driven */
    double wall;                   /* wall s the run took */
    uint64_t calls_on_wire;        /* INVITEs the driver sent (attempts) */
    uint64_t peak_calls;           /* most calls up at once, at the edge */
    int64_t peak_mixer;            /* most conference participants at once in
                                      the switch's CDRs; -1 not measured */
    uint64_t late;                 /* starts more than 10 ms late */
    double late_mean, late_max;    /* ms, wall */
    uint64_t driver_records, cdrs; /* call-by-call: records of each side */
    uint64_t matched;              /* Call-IDs in both, with the same outcome */
    uint64_t mismatched;           /* in both, outcomes differ */
    uint64_t driver_only, cdr_only;
    /* The run's calls rated twice with the scenario's tariffs (currency
     * units): from the driver's records (as results.costs) and from the
     * switch's CDRs (their outcome and times, the caller's class from
     * the record of the same Call-ID); NaN when not rated */
    char currency[8];
    double cost_records, cost_records_callers, cost_records_company;
    double cost_cdrs, cost_cdrs_callers, cost_cdrs_company;
    uint64_t cdrs_rated; /* CDRs rated (those with a driver record) */
    bool incomplete;     /* stopped early (Ctrl-C, a failed switch) */
    char note[600];      /* why incomplete, what was lost */
};

#define BH_RES_MAX_FAILURES 16 /* failure reasons a results file names */

/* What a load run measured at the edge beyond the call records (busyhour
 * load): counts, and means over the calls that had each figure; NaN when
 * none did. Wall-clock seconds (setup times, lateness) are not scaled by
 * the speed. */
struct bh_measured {
    bool present;
    double calls;         /* attempts placed */
    double late;          /* of them started more than 10 ms late */
    double late_mean;     /* s (wall) a start came after its due time */
    double late_max;      /* s (wall) */
    double setup_trying;  /* s (wall) INVITE to 100, mean */
    double setup_ringing; /* s (wall) INVITE to 18x: post-dial delay */
    double setup_answer;  /* s (wall) INVITE to 2xx, mean */
    double rtp_sent, rtp_received, rtp_lost; /* packets */
    double loss;    /* share of expected packets lost */
    double jitter;  /* ms, RFC 3550 A.8, mean over calls */
    double mos_in;  /* E-model (G.107) of what callers heard */
    double mos_out; /* of what the far end (our operators) heard */
    size_t nfailures;
    struct {
        char reason[24]; /* "timeout", "icmp-unreachable", "5xx" ... */
        double count;
    } failures[BH_RES_MAX_FAILURES];
};

struct bh_results {
    enum bh_results_source source;
    char scenario[BH_SC_MAX_NAME];
    char scenario_hash[17]; /* the scenario file's digest (bh_scenario's
                               digest), "" when the file has none */
    unsigned long seed;
    int replications;
    double horizon, warmup, interval; /* s */
    size_t ntargets;
    struct bh_target_result *targets;     /* owned */
    size_t nintervals;                    /* per target */
    struct bh_interval_result *intervals; /* owned; [target][interval] */
    struct bh_costs costs;
    size_t nthresholds;
    struct bh_threshold_result *thresholds; /* owned */
    size_t nplan;
    struct bh_plan_row *plan; /* owned */
    /* load results of one segment of the arrival stream (busyhour load
     * --segment I/N): index 1..count; count 0 for the whole stream */
    uint32_t segment_index, segment_count;
    /* a measured run's numbers (busyhour run; "run" in the file, written
     * when present, not read back) */
    struct bh_run_numbers run;
    struct bh_measured measured; /* load only: what the edge measured */
};

/* Allocates the arrays for ntargets x nintervals; everything zeroed. */
int bh_results_init(struct bh_results *r, size_t ntargets, size_t nintervals);
/* Frees what r owns (not r itself, but the targets' wait_hist too);
 * harmless on a zeroed struct. */
void bh_results_clear(struct bh_results *r);
/* The interval slot of target ti, interval ii. */
struct bh_interval_result *bh_results_interval(struct bh_results *r, size_t ti,
                                               size_t ii);

/* Writes results as JSON (see reports/README.md). Deterministic: the same
 * struct gives the same bytes. Returns 0 or BH_EIO. */
int bh_results_write_json(const struct bh_results *r, const char *path);
/* Reads a results file; on error fills diag (file:line:column for JSON
 * syntax, the JSON path such as ".targets.hotline.blocking.mean" for a
 * schema error) and returns BH_EPARSE, BH_ENOENT (missing), BH_EIO (not a
 * regular file) or BH_ETOOBIG (over 256 MiB); r is then empty. On success
 * the caller owns r's arrays (bh_results_clear). NaN stands for null. */
int bh_results_read_json(const char *path, struct bh_results *r,
                         struct bh_diag *diag);

/* Additions (results.c). */
#define BH_RESULTS_FORMAT "busyhour-results/1" /* the file's "format" */
#define BH_RES_MAX_TARGETS 1024 /* targets a results file may hold */
/* "analytic", "sim", "load". */
const char *bh_results_source_name(enum bh_results_source s);
/* An exact figure: lo == hi == mean == v. */
struct bh_estimate bh_estimate_exact(double v);
/* The same as bh_results_read_json from a buffer of len bytes; `name` is
 * the file name diagnostics give. */
int bh_results_parse(const char *buf, size_t len, const char *name,
                     struct bh_results *r, struct bh_diag *diag);
/* Writes results as JSON to an open stream (same bytes as the file). */
int bh_results_write_stream(const struct bh_results *r, FILE *f);
/* s as a JSON string: quoted, with quote, backslash and control
 * characters escaped. */
void bh_json_write_string(FILE *f, const char *s);
/* A double in its shortest round-trip form ("0.1", "42"); NaN and
 * infinities as "null". buf of at least 32 bytes. */
void bh_results_format_number(double v, char *buf, size_t size);

/* ---- Merging segments (merge.c) -----------------------------------
 * The results files of the N segments of one load run (busyhour load
 * --segment I/N on N machines) as the results of the whole run: the
 * figures of counts summed, shares and means recomputed from the summed
 * counts (weighted by calls, never averaged over files), wait histograms
 * merged and their percentiles read from the merged one. See
 * reports/README.md for each figure. Every file must be source "load",
 * of one scenario, seed, horizon, warm-up, interval and targets, and
 * the segments 1..N of one N, each once. Fills *out (the caller owns it:
 * bh_results_clear) with no thresholds (judge them on the merged figures:
 * bh_thresholds_eval) and returns 0, or BH_EINVAL with diag naming the
 * file and what does not fit, or BH_ENOMEM. */
int bh_results_merge(const struct bh_results *const *in,
                     const char *const *names, size_t n, struct bh_results *out,
                     struct bh_diag *diag);

/* ---- Collector (owned by the simulator's author; sim and load use it) --
 * Turns a stream of call records into struct bh_results without keeping
 * them: per target and per interval accumulators within a replication,
 * then across replications. Records must arrive with their end time known;
 * order does not matter. Warm-up records (arrival < warmup) are rated
 * nowhere and counted nowhere. */
struct bh_collector;

int bh_collector_new(const struct bh_scenario *sc, enum bh_results_source src,
                     struct bh_collector **out);
void bh_collector_free(struct bh_collector *c);
/* Starts replication `rep` (0-based); replications are independent. */
int bh_collector_begin(struct bh_collector *c, int rep);
/* Adds one finished call (rates it when the scenario has tariffs: sets
 * rec->cost and rec->payer). */
void bh_collector_add(struct bh_collector *c, struct bh_call_record *rec);
/* Time-weighted occupancy: at time t (s) target ti has `busy` lines (or
 * ports) and `agents_busy` operators busy, from now until the next call. */
void bh_collector_level(struct bh_collector *c, int target_kind, int target,
                        double t, int busy, int agents_busy);
/* A conference meeting on bridge `bridge` that started at `start` (s) is
 * over: incomplete when any of its participants' attempts was blocked.
 * Meetings that start in the warm-up are not counted. */
void bh_collector_meeting(struct bh_collector *c, int bridge, double start,
                          int incomplete);
/* Ends the replication at time `end` (s, the horizon). */
int bh_collector_end(struct bh_collector *c, double end);
/* Merges another collector's finished replications into c (for parallel
 * runs); must be called in replication order for byte-identical output. */
int bh_collector_merge(struct bh_collector *c, const struct bh_collector *o);
/* Fills results from all finished replications (means, 95% intervals). */
int bh_collector_results(const struct bh_collector *c, struct bh_results *r);
/* The collector as a record sink (records.h): begin, record, level,
 * meeting and end go to the functions above. c is borrowed. */
struct bh_record_sink bh_collector_sink(struct bh_collector *c);

/* ---- Rating (owned by the costs author) ------------------------------
 * One rater per replication: it keeps the bill and each subscriber's
 * bundle allowance. It reads the scenario's tariffs, sources and targets
 * when it is made (bh_rater_new works out each plan's terms and how each
 * source's calls are priced): after changing them, make a new rater. */
struct bh_rater;

/* What one replication cost, in micro-units. */
struct bh_bill {
    bh_money total;            /* callers + company */
    bh_money callers;          /* paid by callers on their own plans */
    bh_money company;          /* toll-free minutes, outbound calls, rental */
    bh_money line_rental;      /* part of company: lines prorated to horizon */
    bh_money provider_revenue; /* termination revenue (provider view) */
    uint64_t calls;            /* offered calls rated */
    uint64_t participants;     /* conference participants answered */
    size_t nclasses;           /* one per (source, origin, plan, payer) slot,
                                  see bh_rater_class */
    bh_money *class_total;     /* owned by the rater; valid until next call */
    uint64_t *class_calls;
    uint64_t *class_answered;   /* answered calls per slot (outbound legs
                                   of a call not counted); as class_total */
    bh_money participants_cost; /* all calls to bridges and dial-out legs
                                   of meetings: per_participant's numerator */
    double horizon;             /* s the bill covers (for per_month) */
    bh_money operators;         /* part of company: operators' pay */
    /* tariffs.prepaid: the balance at the end (start + top-ups - the
     * company's calls and line rental) and when it first fell to zero or
     * below, s since the horizon start (NaN: it lasted) */
    bh_money balance_end;
    double balance_out;
};

/* Length of the month that line rental and per_month use: 30 days (s). */
#define BH_RATING_MONTH (30.0 * 86400.0)

/* What cost-class slot i of a bill means (names borrowed from the
 * scenario; plan "" when the call had no plan). Returns 0 or BH_ERANGE. */
struct bh_rating_class {
    const char *source;
    const char *origin;
    const char *plan;
    enum bh_payer payer;
};
int bh_rater_class(const struct bh_scenario *sc, size_t i,
                   struct bh_rating_class *out);
/* Number of class slots of a scenario's bills. */
size_t bh_rater_nclasses(const struct bh_scenario *sc);

/* The building blocks of rating, exposed for tests and the README:
 * seconds billed for a call of d whole seconds under a minimum and an
 * increment (both whole seconds; "30/6" = minimum 30, increment 6): the
 * minimum when d <= minimum, else the minimum plus (d - minimum) rounded up
 * to whole increments; and the price of billed seconds at a per-minute
 * rate, per_minute x seconds / 60 rounded half up to the micro-unit. */
int64_t bh_rating_billed_seconds(int64_t d, int64_t minimum, int64_t increment);
bh_money bh_rating_price(bh_money per_minute, int64_t seconds);
/* Fixed costs at a capacity, in micro-units, rounded half up once: the
 * rental of `lines` lines (or ports) over `seconds`, per_line_month x
 * lines x seconds / BH_RATING_MONTH; and the pay of `operators` staffed
 * operators over `seconds`, per_hour x operators x seconds / 3600 /
 * (1 - shrinkage) (shrinkage to the millionth). 0 without tariffs. The
 * rater, busyhour plan and the capacity curves all price with these. */
bh_money bh_rating_line_rental(const struct bh_sc_tariffs *tf, int64_t lines,
                               double seconds);
bh_money bh_rating_operators(const struct bh_sc_tariffs *tf, int64_t operators,
                             double seconds);
/* Index of source s's target in results order (numbers, bridges, then
 * campaigns in source order); -1 for none. */
int bh_rating_target_of(const struct bh_scenario *sc, size_t s);

int bh_rater_new(const struct bh_scenario *sc, struct bh_rater **out);
void bh_rater_free(struct bh_rater *r);
/* Rates one record in place (cost, payer) and adds it to the bill.
 * Returns the record's cost. Records may come in any order of end time,
 * but bundle allowances are consumed in the order calls are rated. */
bh_money bh_rater_rate(struct bh_rater *r, struct bh_call_record *rec);
/* The bill so far, with line rental prorated over `horizon` s. */
void bh_rater_bill(const struct bh_rater *r, double horizon,
                   struct bh_bill *out);

/* One sentence on a prepaid balance for reports and the command line:
 * when it runs out ("runs out on day 1 at 14:32 in 20 of 20
 * replications (earliest day 1 13:50); -123.45 EUR at the end") or that
 * it lasts ("lasts the horizon: 320.00 EUR at the end; at this traffic
 * it runs out on day 3 at 10:00"). clock: s since midnight of the
 * horizon's start (the scenario's start), for times of day. */
void bh_balance_describe(const struct bh_balance *b, const char *currency,
                         double clock, int replications, char *buf,
                         size_t size);

/* ---- A switch's CDR file, rated (cdr_rate.c) -----------------------------
 * `busyhour report --cdr`: every final row of a CDR file (records.h)
 * becomes the call record the simulator would have made for it and is
 * rated by bh_rater_rate with the scenario's tariffs. The rate class of a
 * number comes from tariffs.prefixes (an extension: origin `internal`). */

/* The origin (index into tariffs.origins) a dialled number is rated at:
 * an extension's number is `internal` when the tariffs name it; any other
 * the longest tariffs.prefixes code it starts with; -1 when none. */
int bh_rating_origin_of(const struct bh_scenario *sc, const char *number);

/* One rated row. */
struct bh_cdr_cost {
    uint64_t id;
    uint8_t kind;     /* enum bh_target_kind */
    uint8_t outcome;  /* enum bh_outcome */
    uint8_t outbound; /* 1: the company's outgoing call */
    enum bh_payer payer;
    int origin;      /* rate class, -1: none (not priced) */
    int64_t seconds; /* whole s from answer (else connect) to end, 0 when
                        not billed */
    bh_money cost;   /* micro-units */
    char number[BH_SC_MAX_NAME];
    char called[BH_CDR_TEXT_MAX];
    char caller[BH_CDR_TEXT_MAX];
    char rated[BH_CDR_TEXT_MAX]; /* the number the origin was read from */
    char reason[BH_CDR_REASON_MAX];
    char call_id[BH_CDR_TEXT_MAX];
};

struct bh_cdr_costs {
    uint64_t rows;     /* rows in the file */
    uint64_t rated;    /* final rows, rated (one line each) */
    uint64_t open;     /* rows of calls up, or cut by a crash: left out */
    uint64_t unpriced; /* rated lines with talk whose origin is unknown */
    bh_money company, callers; /* micro-units */
    size_t n, cap;
    struct bh_cdr_cost *lines; /* owned, n, in id order */
};

/* Reads and rates the CDR file at path. 0, BH_EINVAL (no tariffs, said in
 * diag), BH_ENOMEM, or bh_cdr_read's BH_EIO / BH_EPARSE with diag. *out is
 * then owned by the caller: bh_cdr_costs_clear. */
int bh_cdr_rate(const struct bh_scenario *sc, const char *path,
                struct bh_cdr_costs *out, struct bh_diag *diag);
void bh_cdr_costs_clear(struct bh_cdr_costs *c);
/* One CSV line per rated row (header first); Markdown totals by payer and
 * by (payer, kind, direction, origin). 0 or BH_EIO / BH_ENOMEM. */
int bh_cdr_costs_csv(const struct bh_cdr_costs *c, const struct bh_scenario *sc,
                     FILE *f);
int bh_cdr_costs_md(const struct bh_cdr_costs *c, const struct bh_scenario *sc,
                    const char *path, FILE *f);

/* Across replications: accumulate bills, then write results->costs. */
struct bh_cost_acc;
int bh_cost_acc_new(const struct bh_scenario *sc, struct bh_cost_acc **out);
void bh_cost_acc_free(struct bh_cost_acc *a);
void bh_cost_acc_add(struct bh_cost_acc *a, const struct bh_bill *bill);
/* Overwrites *out (a previous out->classes is not freed: clear it first);
 * out->classes is then owned by the caller (bh_results_clear frees it).
 * Figures in currency units; per_call = total / offered calls,
 * per_participant = participants_cost / participants, per_month = total
 * scaled from the horizon to BH_RATING_MONTH; classes with no calls are
 * left out. No tariffs: out->present is false. */
int bh_cost_acc_results(const struct bh_cost_acc *a, struct bh_costs *out);

/* ---- Thresholds (owned by the costs author) ---------------------------
 * Evaluates the scenario's thresholds on results, on the confidence bound
 * that the direction requires (a "<" limit is checked on the upper bound),
 * fills r->thresholds, and returns how many failed (0 = verdict pass). */
int bh_thresholds_eval(const struct bh_scenario *sc, struct bh_results *r);
/* Additions (thresholds.c). The bound a limit is checked on: the upper
 * bound for "<" and "<=", the lower for ">" and ">="; the mean when the
 * figure has no interval. */
double bh_threshold_bound(struct bh_estimate e, enum bh_op op);
/* A share (blocking, abandonment, service level, incomplete meetings)
 * measured over n pooled trials: its interval widened to at least the 95%
 * binomial (Wilson score) interval of those counts. The Student-t interval
 * across replications is [0, 0] when no replication saw a single event;
 * the binomial one never claims more than n trials can show. */
struct bh_estimate bh_share_widen(struct bh_estimate e, double n);
/* The figure a threshold metric (not a cost) names on target t of r, as
 * thresholds are judged: measured shares widened by bh_share_widen over
 * the pooled calls (or meetings), analytic figures as they are; NaN when
 * t does not have it (e.g. a service level at a time not measured). */
struct bh_estimate bh_target_figure(const struct bh_results *r,
                                    const struct bh_target_result *t,
                                    enum bh_metric metric, double arg);
/* value OP limit; false when either is NaN (a figure the results lack
 * cannot be shown to pass). */
bool bh_threshold_compare(double value, enum bh_op op, double limit);
/* Thresholds in r that failed (0 = verdict pass). */
int bh_results_failed(const struct bh_results *r);
/* One judged threshold as the reports show it, in the unit its limit is
 * written in (shares in %, times in s, money in currency units): "FAIL
 * (upper bound 30.61%, limit < 1.00%)" into buf (render.c). */
void bh_threshold_describe(const struct bh_threshold_result *t, char *buf,
                           size_t size);

/* ---- Charts (chart.c) -------------------------------------------------
 * SVG charts drawn by gnuplot (`set terminal svg`), for the HTML report. */
enum bh_chart_style {
    BH_CHART_LINES,
    BH_CHART_STEPS,
    BH_CHART_POINTS,
    BH_CHART_LINESPOINTS,
    BH_CHART_BARS /* one bar per category; series side by side */
};

struct bh_chart_series {
    const char *title; /* legend; borrowed */
    enum bh_chart_style style;
    size_t n;
    const double *x; /* NULL: 0, 1, 2... (ignored for bars) */
    const double *y;
    const double *lo, *hi; /* 95% interval or NULL: a band (lines),
                              error bars (bars, points) */
    double scale;          /* y, lo, hi multiplied by it; 0 means 1 */
    bool y2;               /* on the right-hand axis */
    bool dashed;
    const char *colour; /* "#rrggbb" or NULL for the palette */
};

struct bh_chart_mark {
    double at; /* x (or y when horizontal) */
    bool horizontal;
    const char *label; /* may be NULL */
    const char *colour;
};

struct bh_chart {
    int id;            /* unique in the page: prefixes SVG ids */
    int width, height; /* px; 0 = 760 x 340 */
    const char *title, *xlabel, *ylabel, *y2label;
    bool x_clock;               /* x in s since midnight, shown as HH:MM */
    bool y_percent, y2_percent; /* axis tics end in % (scale the data) */
    bool y_from_zero;
    size_t ncategories; /* bars: category names on x */
    const char *const *categories;
    size_t nseries;
    const struct bh_chart_series *series;
    size_t nmarks;
    const struct bh_chart_mark *marks;
    const char *gnuplot; /* program; NULL: $BH_GNUPLOT or "gnuplot" */
};

/* Draws a chart with gnuplot and returns its SVG (without XML prologue,
 * ready to inline; caller frees). Returns 0, BH_ENOENT when gnuplot cannot
 * be run (diag says to install gnuplot-nox), BH_EIO when it fails. */
int bh_chart_svg(const struct bh_chart *c, char **svg, struct bh_diag *d);

/* ---- A run: measured beside simulated (agree.c) ------------------------
 * busyhour run puts one measured run (source "load") beside the
 * simulation of the same window and capacity. For each target and figure
 * (blocking, abandonment, mean wait, service levels; a bridge's blocking
 * and incomplete meetings) the measured value
 * is tested against the simulation's 95% interval widened by the run's
 * own sampling error: one run of the window varies as much as one
 * replication does, so that error is the 95% spread of one replication
 * (the simulation's half-width x sqrt(replications) x z / t), and for a
 * share at least the binomial (Wilson) half-width of the run's calls.
 * The run agrees when sim.lo - error <= measured <= sim.hi + error. */
#define BH_AGREE_MAX 64 /* figures tested in one run, at most */

struct bh_agreement {
    char target[BH_SC_MAX_NAME];
    char figure[32];        /* "blocking", "abandonment", "wait mean",
                               "service level 20s", "incomplete meetings"
                               (a bridge's, over its meetings) */
    bool share;             /* shown in percent; else s */
    struct bh_estimate sim; /* the simulation's mean and 95% interval */
    double measured;        /* NaN: not measured (see why) */
    double error;           /* the run's sampling error (half-width) */
    double calls;           /* measured calls the figure is over */
    int agrees;             /* 1 agrees, 0 disagrees, -1 not tested */
    char why[160];          /* not tested: why ("not measured: ...") */
};

/* Fills out (up to max) with the agreement of every figure sim and load
 * both have for each target of sim; returns how many. load's targets are
 * found by name; a target whose measured offered count is NaN is "not
 * measured" with `why_missing` (may be NULL) as the reason. */
size_t bh_agree_test(const struct bh_results *sim,
                     const struct bh_results *load, const char *why_missing,
                     struct bh_agreement *out, size_t max);
/* "measured 2.1% within simulated 1.8% [1.5, 2.2] +/- 0.6" (or "outside",
 * or "not tested: why") into buf. */
void bh_agree_format(const struct bh_agreement *a, char *buf, size_t size);

/* What busyhour run adds to a report: the agreement, disagreements
 * first, and the run's numbers. Borrowed by struct bh_report. */
struct bh_run_report {
    const struct bh_run_numbers *numbers;
    size_t nagree;
    const struct bh_agreement *agree;
    size_t nnotes;
    const char *const *notes; /* sentences the reader must know */
};
/* Writes the run's section (render_run.c), called by the writers when
 * struct bh_report's run is set. */
int bh_report_run_md(const struct bh_run_report *run, FILE *out);
int bh_report_run_html(const struct bh_run_report *run, FILE *out);

/* ---- Report writers (render_*.c) --------------------------------------
 * Several results files of one scenario (analytic, sim, load) side by
 * side. rs[0] is the reference: its thresholds give the verdict. */

/* One point of a capacity curve. */
struct bh_capacity_point {
    int n;                /* lines, operators or ports */
    double blocking;      /* share; NaN when not computed */
    double service_level; /* share answered within sl_time; NaN if none */
    double cost_month;    /* currency units per 30-day month; NaN if none */
};

/* Blocking (or service level) and cost against capacity for one target,
 * computed by the caller (busyhour report uses the Erlang formulas). */
struct bh_capacity_curve {
    char target[BH_SC_MAX_NAME];
    char resource[16];    /* "lines", "operators", "ports" */
    double sl_time;       /* s; > 0: the curve is a service level */
    double limit;         /* the threshold on that figure; NaN if none */
    int now, recommended; /* recommended 0 = not known */
    size_t n;
    const struct bh_capacity_point *points; /* borrowed */
    char note[400]; /* how it was computed, shown under the chart */
};

struct bh_report {
    size_t n;                           /* results files, >= 1 */
    const struct bh_results *const *rs; /* borrowed */
    const char *const *labels;          /* borrowed: "sim (file.json)" */
    double start; /* s since midnight of the horizon start */
    size_t ncurves;
    const struct bh_capacity_curve *curves; /* borrowed */
    const char *gnuplot;                    /* NULL: $BH_GNUPLOT or "gnuplot" */
    const struct bh_scenario *sc;    /* borrowed, may be NULL: when given, each
                                        target's section shows the cost
                                        classes of the sources calling it */
    const struct bh_run_report *run; /* borrowed, may be NULL: busyhour
                                        run's agreement and numbers */
    size_t verdict_of; /* the file whose thresholds give the verdict (run:
                          the measured one); 0: rs[0] */
    size_t nwarnings;
    const char *const *warnings; /* borrowed, may be NULL: sentences shown
                                    first (results of different scenarios
                                    compared) */
};

/* Warnings about comparing results rs[0..n) (labels name them): results of
 * different scenarios (names differ) or of different versions of one
 * scenario file (scenario_hash differs where both have one). sc (may be
 * NULL) is the scenario the report was given: a file not computed from it
 * is warned about too. Writes up to max sentences of size bytes into
 * out and returns how many. */
size_t bh_report_compare_warnings(const struct bh_results *const *rs,
                                  const char *const *labels, size_t n,
                                  const struct bh_scenario *sc,
                                  char (*out)[400], size_t max);

/* Markdown summary for CI logs. Returns 0 or BH_EIO. */
int bh_report_md(const struct bh_report *rep, FILE *out);
/* intervals.csv, targets.csv and classes.csv in dir (created if need
 * be). Returns 0 or BH_EIO with diag. */
int bh_report_csv(const struct bh_report *rep, const char *dir,
                  struct bh_diag *diag);
/* JUnit XML: one test suite per results file, one test case per
 * threshold; a failed one has a <failure> naming metric, value, limit. */
int bh_report_junit(const struct bh_report *rep, FILE *out);
/* The report as JSON (busyhour report --json): {"format":
 * "busyhour-report/1", "scenario", "verdict": "pass" | "fail" | "none",
 * "failed" (thresholds), "verdict_of" (the label of the file judged),
 * "warnings": [...], "columns": [{"label", "results": a results object
 * (reports/README.md) with the thresholds as the report judged them}]}.
 * Returns 0 or BH_EIO. */
#define BH_REPORT_FORMAT "busyhour-report/1"
int bh_report_json(const struct bh_report *rep, FILE *out);
/* One self-contained HTML page (inline CSS, inline SVG from gnuplot, no
 * external URL). Returns 0, or BH_ENOENT / BH_EIO with diag (gnuplot). */
int bh_report_html(const struct bh_report *rep, FILE *out,
                   struct bh_diag *diag);

#endif
