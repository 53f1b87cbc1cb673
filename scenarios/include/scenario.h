/* scenario.h: the scenario model (what a scenario file means) and its loader.
 *
 * A scenario is loaded once, validated completely, and then read by every
 * other part (sim, traffic, switch, reports) through these plain structs.
 * The scenario owns every pointer inside it; bh_scenario_free() releases all
 * of it. Units: durations in seconds (double), rates in calls (or meetings)
 * per hour, shares and probabilities as fractions in [0, 1], money in
 * bh_money micro-units. The schema is documented in scenarios/README.md. */
#ifndef BH_SCENARIO_H
#define BH_SCENARIO_H

#include "bh.h"

#include <stdbool.h>
#include <stddef.h>

/* Bounded sizes, each tested. */
#define BH_SC_MAX_NAME 64           /* bytes in a name, with NUL */
#define BH_SC_MAX_NUMBER 32         /* digits of a dialled number, with NUL */
#define BH_SC_MAX_ITEMS 256         /* numbers, bridges, sources, classes... */
#define BH_SC_MAX_PROFILE 288       /* steps in a day profile (5 min steps) */
#define BH_SC_MAX_EMPIRICAL 1000000 /* samples in an empirical CSV */
#define BH_SC_MAX_FILE (4 << 20)    /* bytes in a scenario file */
#define BH_SC_MAX_CAPACITY 1000000  /* lines, operators, ports */
#define BH_SC_MAX_REPLICATIONS 100000 /* sim.replications, --replications */
#define BH_SC_MAX_PASSCODE 16 /* digits of a passcode or PIN, with NUL */
#define BH_SC_MAX_TALKERS 16  /* talkers a bridge mixes at most */

/* Where something was written, for located errors after loading. */
struct bh_pos {
    int line;
    int column;
};

/* A random distribution. For durations the values are seconds; for counts
 * (participants) plain numbers. `min`/`max` clamp the sampled value when
 * has_min/has_max are set, except for UNIFORM where they are its bounds. */
enum bh_dist_kind {
    BH_DIST_EXPONENTIAL,   /* mean */
    BH_DIST_LOGNORMAL,     /* mean, sd (of the value, not of its log) */
    BH_DIST_NORMAL,        /* mean, sd; truncated at 0 */
    BH_DIST_GAMMA,         /* mean, sd */
    BH_DIST_ERLANG,        /* mean, k phases */
    BH_DIST_UNIFORM,       /* min, max */
    BH_DIST_DETERMINISTIC, /* value (stored in mean) */
    BH_DIST_POISSON,       /* mean; counts */
    BH_DIST_EMPIRICAL      /* samples from a CSV file */
};

struct bh_dist {
    enum bh_dist_kind kind;
    double mean;
    double sd;
    int k;
    double min, max;
    bool has_min, has_max;
    double *samples; /* owned; EMPIRICAL only, sorted ascending */
    size_t nsamples;
    struct bh_pos pos;
};

/* Piecewise constant rate by time of day: rate[i] per hour applies from
 * at[i] (seconds since midnight, strictly increasing, at[0] == 0 after
 * loading: a profile that does not start at 00:00 wraps the last step
 * around midnight) until at[i+1], the last until 24:00. Repeats daily. */
struct bh_profile {
    size_t n;
    double at[BH_SC_MAX_PROFILE];
    double rate[BH_SC_MAX_PROFILE];
    struct bh_pos pos;
};

enum bh_payer {
    BH_PAYER_CALLER, /* each caller pays their own call on their own plan */
    BH_PAYER_CALLEE  /* toll-free: the company pays, the caller nothing */
};

enum bh_strategy {
    BH_STRATEGY_LONGEST_IDLE,
    BH_STRATEGY_ROUND_ROBIN,
    BH_STRATEGY_RING_ALL,
    BH_STRATEGY_FEWEST_CALLS
};

/* A choice of a voice menu (seed 001: "when you choose the desired
 * command, the operator is connected"): the callers who press `digit`
 * (a share of them) wait for their own group of operators. */
#define BH_SC_MAX_OPTIONS 12 /* digits 0-9, * and # */
struct bh_sc_ivr_option {
    char digit;                /* '0'-'9', '*' or '#' */
    char name[BH_SC_MAX_NAME]; /* the group, unique within the number */
    double share;              /* of the number's callers, in [0, 1] */
    int operators;             /* the group's operators */
    struct bh_pos pos;
};

struct bh_sc_ivr {
    bool present;
    double menu_time; /* s the menu holds a line before routing */
    char prompt[256]; /* WAV file played by the real switch; "" = tone */
    /* choices, each to its own operator group on the number's lines (the
     * number's queue settings, its operators split among them); 0: one
     * queue for every caller */
    size_t noptions;
    struct bh_sc_ivr_option options[BH_SC_MAX_OPTIONS];
};

struct bh_sc_queue {
    bool present;
    int operators;
    enum bh_strategy strategy;
    int max_length;        /* callers waiting beyond it hear busy; 0 = none */
    double max_wait;       /* s, then overflow (busy); 0 = no limit */
    double wrap_up;        /* s after each call before the next */
    double ring_timeout;   /* s an operator rings before being skipped */
    size_t ncontacts;      /* static operator contacts for the real switch */
    char (*contacts)[128]; /* owned; "sip:op1@127.0.0.1:5070" */
};

/* A multichannel number (seed 001). */
struct bh_sc_number {
    char name[BH_SC_MAX_NAME];
    char number[BH_SC_MAX_NUMBER];
    int lines; /* simultaneous calls accepted */
    enum bh_payer payer;
    bool recording;      /* calls recorded (seed 003) */
    double announcement; /* s of announcement when there is no queue */
    char music[256];     /* WAV for announcement / hold; "" = tone */
    struct bh_sc_ivr ivr;
    struct bh_sc_queue queue;
    struct bh_pos pos;
};

/* Passcode guessing from one source address (the real switch): after
 * `failures` wrong passcodes within `window`, the address is refused
 * (403) for `time`. */
struct bh_sc_lockout {
    int failures;  /* 0 = never locked out */
    double window; /* s */
    double time;   /* s */
};

/* A dial-in conference bridge (seed 000). */
struct bh_sc_bridge {
    char name[BH_SC_MAX_NAME];
    char number[BH_SC_MAX_NUMBER];
    int ports; /* shared by all rooms, first come first served */
    int max_per_room;
    enum bh_payer payer;
    bool recording;
    size_t npasscodes; /* fixed rooms for the real switch; 0 = open rooms */
    char (*passcodes)[BH_SC_MAX_PASSCODE];      /* owned, npasscodes */
    char (*moderator_pins)[BH_SC_MAX_PASSCODE]; /* owned, npasscodes; "" =
                                                   none (the room's first
                                                   participant moderates) */
    int passcode_length;     /* open rooms: digits; 0 = any, 1 to 15 */
    bool end_with_moderator; /* the room ends when its moderator leaves */
    int talkers;             /* loudest talkers a large room mixes */
    char prompt[256];        /* WAV of the passcode prompt; "" = tones */
    struct bh_sc_lockout lockout;
    struct bh_pos pos;
};

/* An office extension of a virtual PBX (seed 003). Forward targets are
 * another extension or an outside number (through switch.trunk). */
struct bh_sc_extension {
    char number[BH_SC_MAX_NUMBER]; /* short number, "101" */
    char name[BH_SC_MAX_NAME];
    char forward[BH_SC_MAX_NUMBER];           /* forward always to, "" = none */
    char forward_busy[BH_SC_MAX_NUMBER];      /* when busy, "" = none */
    char forward_no_answer[BH_SC_MAX_NUMBER]; /* after no_answer, "" none */
    double no_answer;             /* s of ringing before forward_no_answer */
    char account[BH_SC_MAX_NAME]; /* the account that owns it (its phones
                                     are that account's registrations);
                                     "" = none */
    bool recording;               /* calls to it are recorded */
    struct bh_pos pos;
};

/* The PBX's way out (the real switch): outside numbers go to a SIP
 * gateway through `lines` trunk lines, and only as the toll-fraud guard
 * allows (authenticated accounts, allowed prefixes, per-account caps). */
struct bh_sc_trunk {
    bool present;
    char gateway[128]; /* sip:HOST:PORT, a literal address */
    int lines;         /* simultaneous outside calls */
    size_t nallow;     /* prefixes an outside number may start with */
    char (*allow)[BH_SC_MAX_NUMBER]; /* owned */
    int account_calls;    /* simultaneous outgoing calls per account */
    int account_per_hour; /* outgoing calls per account in any hour */
    struct bh_pos pos;
};

#define BH_SC_NO_ANSWER_DEFAULT 20.0
#define BH_SC_ACCOUNT_CALLS_DEFAULT 2
#define BH_SC_ACCOUNT_PER_HOUR_DEFAULT 30

struct bh_sc_account {
    char user[BH_SC_MAX_NAME];
    char password[BH_SC_MAX_NAME];
    struct bh_pos pos;
};

/* How the real switch ends calls that would never end on their own
 * (switch.timers); the simulator does not model them. Seconds, 0: off. */
struct bh_sc_call_timers {
    double rtp_timeout;     /* no RTP from the caller this long: ended */
    double session_expires; /* RFC 4028 interval offered; 0: not offered */
    double min_se;          /* RFC 4028 smallest interval accepted */
    double max_call;        /* a call ends after this long */
    struct bh_pos pos;      /* of the timers: mapping, 0 when absent */
};

/* Their defaults (also what a scenario without switch.timers gets). */
#define BH_SC_RTP_TIMEOUT_DEFAULT 30.0
#define BH_SC_SESSION_EXPIRES_DEFAULT 1800.0
#define BH_SC_MIN_SE_DEFAULT 90.0
#define BH_SC_MAX_CALL_DEFAULT 43200.0

/* What one source, one account or the HTTP endpoint may take of the
 * real switch (switch.limits); the simulator does not model them. */
struct bh_sc_switch_limits {
    long source_rate;      /* new requests per second from one address;
                              0: no limit */
    double source_block;   /* s a source over source_rate is ignored */
    long auth_failures;    /* failed authentications per minute of one
                              address or account before it is blocked;
                              0: no limit */
    double auth_block;     /* s the address or account is refused */
    long max_cps;          /* new calls admitted per second; 0: no limit */
    long http_connections; /* HTTP connections open at once */
    double http_idle;      /* s an HTTP connection may stay idle */
    struct bh_pos pos;     /* of the limits: mapping, 0 when absent */
};

/* Their defaults (also what a scenario without switch.limits gets). */
#define BH_SC_SOURCE_RATE_DEFAULT 20000
#define BH_SC_SOURCE_BLOCK_DEFAULT 10.0
#define BH_SC_AUTH_FAILURES_DEFAULT 10
#define BH_SC_AUTH_BLOCK_DEFAULT 60.0
#define BH_SC_MAX_CPS_DEFAULT 0
#define BH_SC_HTTP_CONNECTIONS_DEFAULT 64
#define BH_SC_HTTP_IDLE_DEFAULT 10.0

struct bh_sc_switch {
    size_t nnumbers;
    struct bh_sc_number *numbers; /* owned */
    size_t nbridges;
    struct bh_sc_bridge *bridges; /* owned */
    size_t nextensions;
    struct bh_sc_extension *extensions; /* owned */
    size_t naccounts;
    struct bh_sc_account *accounts; /* owned */
    struct bh_sc_trunk trunk;
    struct bh_sc_call_timers timers;
    struct bh_sc_switch_limits limits;
};

/* A caller class: a share of a source's callers with an origin (rate
 * class) and a plan. Subscribers is the population that shares the class's
 * calls, so bundle allowances are tracked per subscriber (default 1000).
 * A source without `callers:` has one class: share 1, the first origin of
 * tariffs.rates ("local" without tariffs), plan -1. Without tariffs, the
 * origins named in the file are collected in tariffs.origins (rates 0). */
struct bh_sc_class {
    double share;
    int origin; /* index into tariffs.origins */
    int plan;   /* index into tariffs.plans, -1 = none named */
    int subscribers;
    struct bh_pos pos;
};

struct bh_sc_retry {
    bool present;
    double probability;
    struct bh_dist delay;
    int max_attempts; /* attempts in all, the first included */
};

/* Meetings on a fixed schedule: `rooms` meetings start together at each
 * time of day in at[] (s since midnight, strictly increasing), every day
 * of the horizon. */
struct bh_sc_schedule {
    bool present;
    size_t n;
    double at[BH_SC_MAX_PROFILE];
    int rooms; /* meetings starting at each time */
    struct bh_pos pos;
};

struct bh_sc_meetings {
    struct bh_profile profile;      /* meetings per hour; rate 0 all day
                                       with a schedule */
    struct bh_sc_schedule schedule; /* or meetings at fixed times */
    struct bh_dist participants;    /* count */
    struct bh_dist duration;
    struct bh_dist join_spread; /* s around the start, may be negative */
    double passcode_entry;      /* s from answer to joining the room */
};

/* Destination shares by origin class, for outbound calls. */
struct bh_sc_destinations {
    size_t n;
    int origin[BH_SC_MAX_ITEMS / 8];
    double share[BH_SC_MAX_ITEMS / 8];
};

struct bh_sc_campaign {
    struct bh_profile profile; /* attempts per hour */
    double answer_probability;
    struct bh_dist ring; /* s of ringing before answer or give-up */
    struct bh_sc_destinations destinations;
};

/* Ad-hoc conference by transfer (seed 004): on an answered call the
 * employee presses # and dials out to add parties, paid by the company. */
struct bh_sc_adhoc {
    bool present;
    double probability;   /* share of answered calls */
    struct bh_dist added; /* parties added, count */
    struct bh_sc_destinations destinations;
};

enum bh_source_kind {
    BH_SOURCE_CALLS,    /* callers to a number (or a bridge) */
    BH_SOURCE_MEETINGS, /* conference meetings on a bridge */
    BH_SOURCE_CAMPAIGN  /* outbound dialer through a number's lines */
};

/* What a call record is about. EXTENSION and TRUNK are the real switch's
 * office PBX (a call to an extension; an outside call out through the
 * trunk); the simulator makes neither. */
enum bh_target_kind {
    BH_TARGET_NUMBER,
    BH_TARGET_BRIDGE,
    BH_TARGET_EXTENSION,
    BH_TARGET_TRUNK
};

/* A traffic item. CALLS and MEETINGS: target is what `to:` names.
 * CAMPAIGN: target is the number `via:` names (whose lines carry the
 * dialer's calls); its classes mirror campaign.destinations (plan -1),
 * and results key it by `name`. */
struct bh_sc_source {
    char name[BH_SC_MAX_NAME];
    enum bh_source_kind kind;
    enum bh_target_kind target_kind;
    int target;                /* index into numbers or bridges */
    struct bh_profile profile; /* CALLS: calls per hour */
    int sources;               /* > 0: finite population (Engset) */
    struct bh_dist holding;    /* talk time once answered */
    bool has_patience;
    struct bh_dist patience; /* max wait before hanging up */
    struct bh_sc_retry retry;
    struct bh_sc_meetings meetings; /* MEETINGS */
    struct bh_sc_campaign campaign; /* CAMPAIGN */
    struct bh_sc_adhoc adhoc;
    size_t nclasses;
    struct bh_sc_class *classes; /* owned; shares add to 1 */
    struct bh_pos pos;
};

enum bh_period { BH_PERIOD_DAY, BH_PERIOD_WEEK, BH_PERIOD_MONTH };

struct bh_sc_plan {
    char name[BH_SC_MAX_NAME];
    double increment;      /* s, billing increment (60 for 60/60) */
    double minimum;        /* s, minimum billed */
    bh_money setup;        /* per answered call */
    bool setup_on_attempt; /* setup charged on blocked attempts too */
    bool has_per_minute;
    bh_money per_minute; /* overrides the origin rate (flat: 0) */
    bool bundle;
    double allowance; /* s of included minutes per period */
    enum bh_period period;
    int then; /* plan index after the allowance, -1 = none */
    struct bh_pos pos;
};

/* A time band overrides per-origin rates between two times of day. */
struct bh_sc_band {
    char name[BH_SC_MAX_NAME];
    double from, to; /* s since midnight; wraps when from > to */
    bh_money rate[BH_SC_MAX_ITEMS / 8]; /* by origin; -1 = use base rate */
    struct bh_pos pos;
};

/* A dial code of the tariffs: outside numbers that start with `digits`
 * are rated at origin `origin` (the longest matching code wins). */
struct bh_sc_prefix {
    char digits[BH_SC_MAX_NUMBER];
    int origin; /* index into tariffs.origins */
    struct bh_pos pos;
};

struct bh_sc_tariffs {
    bool present;
    char currency[8];
    size_t norigins;
    char origins[BH_SC_MAX_ITEMS / 8][BH_SC_MAX_NAME];
    bh_money rate[BH_SC_MAX_ITEMS / 8]; /* per minute, by origin */
    size_t nplans;
    struct bh_sc_plan *plans; /* owned */
    size_t nbands;
    struct bh_sc_band *bands; /* owned */
    size_t nprefixes;
    struct bh_sc_prefix *prefixes; /* owned; dial codes -> origins */
    bh_money toll_free_per_minute;
    double toll_free_increment;      /* s */
    double toll_free_minimum;        /* s */
    bh_money outbound_setup;         /* company's outgoing calls (campaigns,
                                        dial-out legs): per-origin rates, with */
    double outbound_increment;       /* this increment (s) */
    bh_money per_line_month;         /* line rental */
    bh_money termination_per_minute; /* provider's revenue, 0 = not shown */
    /* operators: wage per paid operator-hour; paid hours are the queues'
     * operators x hours / (1 - shrinkage) */
    bh_money operator_per_hour;
    double shrinkage; /* share of paid time not on calls, [0, 0.95] */
    /* prepaid: the company's telephone bill (toll-free minutes, outgoing
     * calls, line rental) is drawn from a balance */
    bool prepaid;
    bh_money balance;    /* at the start of the measured horizon */
    bh_money top_up;     /* added every top_up_every s, 0 = none */
    double top_up_every; /* s */
};

/* A threshold: `target.metric(arg) OP value`. target "cost" for cost.* */
enum bh_op { BH_OP_LT, BH_OP_LE, BH_OP_GT, BH_OP_GE };

enum bh_metric {
    BH_METRIC_BLOCKING,
    BH_METRIC_ABANDONMENT,
    BH_METRIC_SERVICE_LEVEL, /* arg = target time, s */
    BH_METRIC_WAIT_MEAN,
    BH_METRIC_WAIT_P90,
    BH_METRIC_WAIT_P99,
    BH_METRIC_OCCUPANCY,
    BH_METRIC_INCOMPLETE_MEETINGS,
    BH_METRIC_COST_PER_CALL, /* deprecated: all costs / offered attempts */
    BH_METRIC_COST_PER_PARTICIPANT,
    BH_METRIC_COST_TOTAL,
    BH_METRIC_COST_PER_ANSWERED_CALL,
    BH_METRIC_COST_PER_HOUR,
    BH_METRIC_COST_PER_MONTH /* 30 days */
};

/* Who pays a cost figure: both, the company, the callers. */
enum bh_cost_payer { BH_COST_ALL, BH_COST_COMPANY, BH_COST_CALLERS };
#define BH_COST_PAYERS 3

struct bh_sc_threshold {
    char expr[160];              /* as written */
    char target[BH_SC_MAX_NAME]; /* "cost" for the scenario's costs; a
                                    target's name for its own */
    enum bh_metric metric;
    enum bh_cost_payer payer; /* cost metrics: whose costs */
    double arg;               /* service_level(T): T in s */
    enum bh_op op;
    double value; /* fraction for %, s for times, currency
                     units for costs */
    struct bh_pos pos;
};

/* What busyhour plan's targets are judged over (sim.plan_over). */
enum bh_plan_over {
    BH_PLAN_BUSY_HOUR,     /* the target's busiest hour after the warm-up
                              (classic traffic engineering; the default) */
    BH_PLAN_HORIZON,       /* the whole horizon after the warm-up */
    BH_PLAN_EVERY_INTERVAL /* each reporting interval after the warm-up */
};

struct bh_sc_sim {
    int replications;
    double warmup; /* s discarded at the start of each replication */
    enum bh_plan_over plan_over;
};

enum bh_codec { BH_CODEC_PCMU, BH_CODEC_PCMA };
/* PCAP: the RTP payload of a capture, replayed (media: pcap:FILE). */
enum bh_media { BH_MEDIA_TONE, BH_MEDIA_SILENCE, BH_MEDIA_NONE, BH_MEDIA_PCAP };

struct bh_sc_load {
    double speed; /* wall clock = virtual / speed */
    enum bh_codec codec;
    double ptime; /* s, 0.02 */
    enum bh_media media;
    char media_file[512]; /* PCAP: the capture, from the scenario's folder */
};

struct bh_scenario {
    char path[512];
    char name[BH_SC_MAX_NAME];
    /* which text the scenario was read from: FNV-1a 64 of the file's
     * bytes in hex, so that results (their "scenario_hash") tell two
     * versions of one scenario apart and a report warns when it compares
     * results of different scenarios */
    char digest[17];
    char description[512];
    double horizon;  /* s of one replication */
    double interval; /* s per reporting interval */
    double start;    /* s since midnight when the horizon starts */
    unsigned long seed;
    struct bh_sc_switch sw;
    size_t nsources;
    struct bh_sc_source *sources; /* owned */
    struct bh_sc_tariffs tariffs;
    size_t nthresholds;
    struct bh_sc_threshold *thresholds; /* owned */
    struct bh_sc_sim sim;
    struct bh_sc_load load;
};

/* Loads and validates a scenario file. On success *out is a new scenario
 * (the caller owns it) and 0 is returned. On failure returns BH_ENOENT,
 * BH_EIO, BH_EPARSE (or another code), fills diag with FILE:LINE:COLUMN and
 * a message, and leaves *out NULL. Never crashes on any input. */
int bh_scenario_load(const char *path, struct bh_scenario **out,
                     struct bh_diag *diag);
/* The same from a buffer; `name` is used in diagnostics and to resolve
 * relative paths (empirical CSV files) against its directory. */
int bh_scenario_parse(const char *buf, size_t len, const char *name,
                      struct bh_scenario **out, struct bh_diag *diag);
/* Frees a scenario; NULL is harmless. */
void bh_scenario_free(struct bh_scenario *sc);

/* Lookups by name; -1 when absent. */
int bh_scenario_find_number(const struct bh_scenario *sc, const char *name);
int bh_scenario_find_bridge(const struct bh_scenario *sc, const char *name);

/* The profile that drives source s's first attempts (borrowed from s):
 * calls per hour, meetings per hour for MEETINGS, attempts per hour for a
 * CAMPAIGN. */
const struct bh_profile *bh_source_profile(const struct bh_sc_source *s);

/* Names for printing and JSON. */
const char *bh_strategy_name(enum bh_strategy s);
const char *bh_dist_name(enum bh_dist_kind k);
const char *bh_metric_name(enum bh_metric m);

#endif
