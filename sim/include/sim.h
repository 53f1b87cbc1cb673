/* sim.h: exact queueing formulas and the discrete-event simulator of the
 * switch in virtual time. */
#ifndef BH_SIM_H
#define BH_SIM_H

#include "bh.h"
#include "reports.h"
#include "scenario.h"

/* Bounded sizes. Replications are bounded by BH_SC_MAX_REPLICATIONS
 * (scenario.h), in the scenario file and in the options alike. */
#define BH_SIM_MAX_THREADS 64
/* Reporting intervals in a horizon (horizon / interval) that the
 * simulator counts in and the analytic figures are computed for; check
 * and plan scan the first this many for the busiest. */
#define BH_SIM_MAX_INTERVALS 1000000

/* ---- Exact formulas (erlang.c) --------------------------------------
 * Traffic a in Erlangs, n lines or agents, times in seconds. All are
 * numerically stable for n up to 100,000 and a up to 100,000 (recurrences
 * and log-space sums: no factorials, no overflow, no NaN for valid input).
 * Invalid input (negative, NaN) returns NaN. */

/* Search bounds of the inverses: they give up (BH_ERANGE) rather than look
 * beyond this many lines or agents. */
#define BH_ERLANG_MAX_SERVERS 10000000L
/* Erlang A sums its queue states one by one; beyond this many it returns
 * BH_ERANGE instead of running for minutes (only reached when the load far
 * exceeds the agents and patience is thousands of times the handling time;
 * see erlang.c). */
#define BH_ERLANG_A_MAX_STATES 200000000L

/* Erlang B: probability that a call finds all n lines busy when a Erlangs
 * are offered (M/M/n/n, blocked calls cleared). B(a, 0) = 1. NaN when a is
 * negative, infinite or NaN, or n < 0. Cost O(n). */
double bh_erlang_b(double a, long n);

/* Fewest lines n >= 0 with bh_erlang_b(a, n) <= target (a fraction in
 * [1e-300, 1]). Stores n in *lines and its blocking in *blocking (either may
 * be NULL). Returns 0, BH_EINVAL for invalid a or target, or BH_ERANGE when
 * more than BH_ERLANG_MAX_SERVERS lines would be needed. */
int bh_erlang_b_lines(double a, double target, long *lines, double *blocking);

/* Erlang B for a real number of servers x >= 0, the continuous extension
 * 1/B(a, x) = a times the integral over t >= 0 of e^-at (1 + t)^x dt
 * (by the incomplete gamma function); equals bh_erlang_b at whole x. NaN
 * for invalid input. */
double bh_erlang_b_real(double a, double x);

/* Hayward's approximation for peaked traffic (peakedness z = variance /
 * mean of busy servers with infinitely many, z >= 1 for batches): the
 * blocking of a Erlangs on n servers is B(a / z, n / z), by
 * bh_erlang_b_real. z = 1 is Erlang B. NaN for invalid input. */
double bh_erlang_hayward(double a, double n, double z);

/* Erlang C: probability that a call waits (M/M/n, infinite queue, infinite
 * patience). 1 when a >= n (the queue grows without bound). NaN when a is
 * invalid or n < 1. */
double bh_erlang_c(double a, long n);

/* What callers of an M/M/n queue see. */
struct bh_erlang_c {
    double p_wait;        /* probability a call waits at all */
    double asa;           /* mean wait of all calls, s; INFINITY if a >= n */
    double service_level; /* share of calls answered within the target time */
    double occupancy;     /* a / n, the busy share of agents; 1 if a >= n */
};

/* Erlang C figures for a Erlangs on n agents with mean handling time aht
 * (s, > 0) and service-level target time target_time (s, >= 0). Returns 0,
 * or BH_EINVAL (fields NaN) for invalid input. When a >= n the queue is
 * unstable: p_wait 1, asa INFINITY, service_level 0, occupancy 1. */
int bh_erlang_c_eval(double a, long n, double aht, double target_time,
                     struct bh_erlang_c *out);

/* Fewest agents n > a whose service level within target_time is at least
 * target_sl (a fraction in [0, 1)). Stores n in *agents and the figures at
 * n in *at (either may be NULL). Returns 0, BH_EINVAL, or BH_ERANGE (more
 * than BH_ERLANG_MAX_SERVERS agents). */
int bh_erlang_c_agents(double a, double aht, double target_time,
                       double target_sl, long *agents, struct bh_erlang_c *at);

/* What callers of an M/M/n+M queue (Erlang A: exponential patience) see. */
struct bh_erlang_a {
    double p_wait;        /* probability a call finds all agents busy */
    double p_abandon;     /* probability a call hangs up before an answer */
    double asa;           /* mean wait of answered calls (0 if answered at
                             once), s */
    double service_level; /* share of ALL offered calls answered within the
                             target time; abandoned calls count as missed */
    double occupancy;     /* busy share of agents: a (1 - p_abandon) / n */
};

/* Erlang A figures: a Erlangs offered to n >= 1 agents, mean handling time
 * aht (s, > 0), mean patience (s, >= 0; 0 = nobody waits, INFINITY = Erlang
 * C), target time (s, >= 0). Returns 0, BH_EINVAL (fields NaN) for invalid
 * input, or BH_ERANGE (fields NaN) when a exceeds BH_ERLANG_MAX_SERVERS or
 * the queue would need more than BH_ERLANG_A_MAX_STATES states. Cost O(n +
 * queue states that carry probability). */
int bh_erlang_a_eval(double a, long n, double aht, double patience,
                     double target_time, struct bh_erlang_a *out);

/* Fewest agents n >= 1 with service level >= target_sl and p_abandon <=
 * max_abandon (pass 0 and 1 for "no target"); target_sl in [0, 1),
 * max_abandon in (0, 1]. Stores n and the figures at n (either pointer may
 * be NULL). Returns 0, BH_EINVAL, or BH_ERANGE. */
int bh_erlang_a_agents(double a, double aht, double patience,
                       double target_time, double target_sl, double max_abandon,
                       long *agents, struct bh_erlang_a *at);

/* Engset call congestion: the share of call attempts that find all n lines
 * busy when k sources each, while idle, offer beta Erlangs (beta = attempt
 * rate of one idle source x mean holding time; Iversen's "offered traffic
 * per idle source"). It is the time congestion of k - 1 sources:
 * C(k-1, n) beta^n / sum_{i<=n} C(k-1, i) beta^i; 0 when n >= k. NaN when
 * k < 1, n < 0 or beta invalid. */
double bh_erlang_engset(long sources, long lines, double beta);

/* The common Engset-calculator convention (Wikipedia, erlang.com): alpha is
 * the offered traffic per source, A / k, where A counts every attempt,
 * blocked ones too (attempt rate x mean holding time). Solves
 * beta = alpha / (1 - alpha (1 - B)) for beta and stores it in *beta (may
 * be NULL); returns the call congestion B, or NaN for invalid input or an
 * alpha no beta reaches (alpha >= 1 when n >= k). */
double bh_erlang_engset_offered(long sources, long lines, double alpha,
                                double *beta);

/* ---- Analytic figures (analytic.c) ------------------------------------
 * The exact formulas above on the traffic model's offered load
 * (traffic.h: bh_traffic_offered and its parts), reporting interval by
 * reporting interval: first attempts only (retrials add load), each
 * interval stationary at its mean rate. busyhour check shows the busiest
 * interval, plan starts its search from it, report --analytic shows every
 * interval, and report draws the capacity curves. */

/* The service level's target time when no threshold names one (s). */
#define BH_SIM_SL_TIME 20.0

/* One number's or bridge's busiest reporting interval. */
struct bh_sim_busiest {
    size_t sources;      /* traffic items that reach it (campaigns through a
                            number included) */
    double start;        /* s since the horizon start: the interval with the
                            most Erlangs offered to the lines or ports (the
                            first of equals) */
    double offered;      /* Erlangs offered to the lines or ports in it */
    double op_offered;   /* Erlangs offered to the operators in it (talk and
                            wrap-up); 0 without a queue */
    double op_peak;      /* Erlangs offered to the operators in their own
                            busiest interval */
    double aht;          /* s: mean handling time (talk and wrap-up) of a
                            call, over the intervals scanned; 0 without a
                            queue */
    double patience;     /* s: mean patience of the callers who have one,
                            over the intervals scanned; INFINITY if none */
    double blocking;     /* blocking of `offered` on the lines or ports by
                            `model` */
    const char *model;   /* the loss model (static text): "Erlang B";
                            "Engset" when the one source is a finite
                            population of callers; "Hayward" (B(A/Z, C/Z))
                            when meetings reach it, their participants
                            arriving in batches; "scheduled batch" when
                            meetings on a schedule do (below) */
    double peakedness;   /* Z of the load (1 but for Hayward; for a
                            scheduled batch, the variance over mean of
                            the ports demanded at the slot) */
    long engset_sources; /* Engset: the population, else 0 */
    /* "scheduled batch", meetings on a schedule reach the bridge: start
     * is the slot demanding the most ports, offered the mean ports it
     * demands at its peak (its participants, those of earlier meetings
     * still running, other traffic), slot_var their variance and
     * slot_now its own participants, who are the ones blocked:
     * blocking is E[(D - ports)+] / slot_now, D normal. Else 0. */
    double slot_var, slot_now;
    double p_wait; /* Erlang C of `op_offered` on the operators; 0
                      without a queue */
};

/* Scans the reporting intervals of sc that end after `from` (s since the
 * horizon start; the first BH_SIM_MAX_INTERVALS at most) for number or
 * bridge `index` of `kind` and fills *out. Returns 0, or BH_EINVAL when
 * there is no such target. */
int bh_sim_busiest(const struct bh_scenario *sc, enum bh_target_kind kind,
                   int index, double from, struct bh_sim_busiest *out);

/* The fewest lines or ports whose blocking under bz's model (model,
 * peakedness, engset_sources) at bz->offered Erlangs is at most target
 * (a fraction in (0, 1]) into *n. Returns 0, BH_EINVAL or BH_ERANGE. */
int bh_sim_loss_lines(const struct bh_sim_busiest *bz, double target, long *n);

/* Fills r (bh_results_init'ed here; the caller clears it) with the
 * figures of every number and then every bridge of sc at every interval,
 * and over the horizon after the warm-up, as results of source
 * "analytic": operators by Erlang C, or Erlang A when every caller who
 * gives up does so with exponential patience; a number's lines with its
 * operators as the M/M/n/K+M chain, without operators by the loss model
 * of bh_sim_busiest (Erlang B, or Engset for a finite population); a
 * bridge's ports by Erlang B, or Hayward's approximation when meetings
 * reach it. Service levels at the times the thresholds
 * name, else at BH_SIM_SL_TIME. No costs, no percentiles. Returns 0,
 * BH_ENOMEM, or BH_ERANGE for more than BH_SIM_MAX_INTERVALS intervals. */
int bh_sim_analytic(const struct bh_scenario *sc, struct bh_results *r);

/* Capacities on one curve, at most. */
#define BH_SIM_CURVE_POINTS 48

/* A capacity curve and the storage of its points (curve.points points
 * into points[]: copy the curve only while this lives). */
struct bh_sim_curve {
    struct bh_capacity_curve curve;
    struct bh_capacity_point points[BH_SIM_CURVE_POINTS];
};

/* Target ti's capacity curve from results r: Erlang B blocking against
 * lines or ports, or the Erlang C (A with exponential patience) service
 * level against operators, at the busiest interval's offered load in r;
 * the monthly cost from r's and the line rental. sc (may be NULL) gives
 * the callers' holding time and patience and the rental. Returns 0,
 * BH_ENOENT when r has no load for the target (a campaign, no offered
 * Erlangs, no handling time) or BH_EINVAL for ti out of range. */
int bh_sim_capacity_curve(const struct bh_results *r, size_t ti,
                          const struct bh_scenario *sc,
                          struct bh_sim_curve *out);

/* ---- Simulator (sim.c and friends) ------------------------------------ */
/* The switch of the scenario in virtual time (sim.c): lines taken first
 * come first served, IVR, an FCFS queue to operators (strategy, max length,
 * max wait, wrap-up, abandonment), conference bridges with shared ports
 * and a per-room cap, outbound campaigns through a number's lines. Each
 * replication has its own traffic model and random streams derived from
 * (seed, replication), so results do not depend on how replications are
 * spread over threads. Every loop is bounded by the horizon: arrivals stop
 * at it, and calls still in progress then run to their end (no new ones).
 * Memory does not grow with the horizon: no call is kept after it ends
 * unless records are asked for (they are written out, not kept). */

/* Called with every finished call record (rated), in end-time order within
 * a replication, from the thread that runs it. */
typedef void (*bh_sim_record_fn)(void *arg, const struct bh_call_record *rec);

struct bh_sim_options {
    unsigned long seed;
    int replications; /* >= 1 */
    int threads;      /* >= 1; 0 means 1 */
    FILE *records;    /* borrowed; CSV of every attempt, replication order,
                         NULL = none */
    /* progress, called under a lock with replications done of total;
     * bh_sim_plan reports its whole search as a fraction (done of 1),
     * moving with every replication of every simulation, forward only */
    void (*progress)(void *arg, double done, double total);
    void *progress_arg;
    /* called with every finished record (rec->replication says which),
     * from the thread running that replication; NULL = none */
    bh_sim_record_fn on_record;
    void *record_arg;
};

/* What a run did, for benchmarks. */
struct bh_sim_stats {
    uint64_t events; /* arrivals plus calendar events handled */
    uint64_t calls;  /* call attempts (records) */
};

/* Checks that sc can be simulated: capacities, a queue with operators,
 * targets of the right kind, horizon, interval, warm-up. Returns 0, or
 * BH_EINVAL with a one-line reason in msg. */
int bh_sim_check(const struct bh_scenario *sc, char *msg, size_t size);

/* Runs replication `rep` into the collector (begin and end included).
 * on_record may be NULL. stats (may be NULL) is added to. Returns 0,
 * BH_ENOMEM or BH_EINVAL. */
int bh_sim_replication(const struct bh_scenario *sc, uint64_t seed, int rep,
                       struct bh_collector *c, bh_sim_record_fn on_record,
                       void *arg, struct bh_sim_stats *stats);

/* Runs opt->replications replications on opt->threads threads and fills
 * out (bh_results_init'ed here; the caller clears it). Thresholds are not
 * evaluated here. Returns 0, or a BH_E* code with a reason in msg. */
int bh_sim_run(const struct bh_scenario *sc, const struct bh_sim_options *opt,
               struct bh_results *out, struct bh_sim_stats *stats, char *msg,
               size_t size);

/* Capacity planning (plan.c): for every number (lines, and operators when
 * it has a queue) and bridge (ports), the fewest that meet the scenario's
 * thresholds on that target at every interval after the warm-up, judged
 * on the 95% bound the direction requires. A target without a blocking
 * threshold must keep blocking < 1%; a queue without a service-level or
 * wait threshold must answer 80% within 20 s; lines are never fewer than
 * operators. The first
 * guess comes from Erlang B (lines, ports) and Erlang C or A (operators)
 * at the busiest interval; simulation then confirms and refines it with
 * the target simulated alone (its sources only). Fills out->plan (and the
 * rest of out from a simulation at the recommended capacities). */
int bh_sim_plan(const struct bh_scenario *sc, const struct bh_sim_options *opt,
                struct bh_results *out, char *msg, size_t size);

#endif
