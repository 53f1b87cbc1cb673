/* traffic.h: the traffic model: who calls what, when, for how long, how
 * patient.
 *
 * The model is an event source that does not know which clock runs it: it
 * yields arrivals in time order and never reads a clock. sim/ runs it in
 * virtual time; the load driver runs the same arrivals at wall-clock time
 * t / speed. Both write struct bh_call_record (records.h), which reports/
 * rates and summarises. */
#ifndef BH_TRAFFIC_H
#define BH_TRAFFIC_H

#include "bh.h"
#include "records.h"
#include "scenario.h"

#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <stdio.h>

/* ---- Random streams and sampling (dist.c) ----------------------------
 * Every stream is a GSL generator (taus2, see dist.c) seeded from the scenario
 * seed, the replication and a stream number through a splitmix64 hash, so runs
 * are reproducible byte for byte however replications are spread over
 * threads. Stream numbers: 0 the switch model, 2i+1 source i's arrivals
 * and their attributes, 2i+2 source i's retrial decisions. */
uint64_t bh_traffic_stream_seed(uint64_t seed, uint32_t replication,
                                uint32_t stream);
/* A new generator for that stream (caller owns; gsl_rng_free), or NULL. */
gsl_rng *bh_traffic_stream(uint64_t seed, uint32_t replication,
                           uint32_t stream);

/* One draw from d (s for durations, a count for counts), clamped to
 * [min, max] when has_min / has_max (UNIFORM: they are its bounds).
 * LOGNORMAL and GAMMA take the mean and sd of the value; NORMAL is
 * truncated at 0 (conditioned on >= 0, not clamped); EMPIRICAL inverts
 * the empirical CDF over its sorted samples. Never negative except for
 * UNIFORM, DETERMINISTIC or EMPIRICAL values written negative (join
 * spreads). */
double bh_traffic_sample(const struct bh_dist *d, gsl_rng *rng);
/* One Exp(1) draw (mean 1): a ziggurat on the generator's 32-bit output
 * (dist.c), inversion for generators with fewer bits. Thread-safe. */
double bh_traffic_exp1(gsl_rng *rng);
/* The mean of d (s or count): the mean of what bh_traffic_sample draws,
 * the one mean every figure of offered load uses. NORMAL gives the mean
 * of the normal conditioned on >= 0 (a normal of mean 30 s and sd 120 s
 * draws 107.5 s on average, not 30 s); EMPIRICAL the samples' mean.
 * min/max clamps are ignored (they move the mean by what lies beyond
 * them). */
double bh_traffic_dist_mean(const struct bh_dist *d);
/* P(X > x) for X drawn from d (bh_traffic_sample's law, clamps
 * included): how many meetings of a duration outlast x, say. */
double bh_traffic_dist_survival(const struct bh_dist *d, double x);
/* The smallest value d can yield (finite for every kind). */
double bh_traffic_dist_lower(const struct bh_dist *d);

/* ---- Arrival profiles (profile.c) ------------------------------------
 * All arithmetic on a daily profile (struct bh_profile, per hour). A
 * non-homogeneous Poisson process with the piecewise constant daily
 * profile p, times `mult`, is simulated exactly by inverting its
 * integrated rate: the next arrival after t0 is where the integral from
 * t0 reaches an Exp(1) draw. Times are s since the horizon start, which
 * is `start` s after midnight; the profile repeats daily. */

/* The index of p's step holding time of day tod (s since midnight,
 * 0 <= tod < 86400): the last i with at[i] <= tod. p->n >= 1. */
size_t bh_profile_step(const struct bh_profile *p, double tod);
/* p's rate (per hour) at time t; 0 for an empty profile. */
double bh_profile_rate(const struct bh_profile *p, double start, double t);
/* Expected arrivals of p between t0 and t1 (per unit of mult). */
double bh_profile_integral(const struct bh_profile *p, double start, double t0,
                           double t1);
/* p's mean rate (per hour) over [t0, t1): the integral over the span's
 * length; 0 when t1 <= t0. */
double bh_profile_mean_rate(const struct bh_profile *p, double start, double t0,
                            double t1);
/* The time tau >= t0 at which mult * integral(t0, tau) == w; INFINITY
 * when that is not before `limit` (or the profile is zero all day).
 * Bounded work: at most two passes over the profile per call. */
double bh_profile_invert(const struct bh_profile *p, double start, double mult,
                         double t0, double w, double limit);

/* Meetings on a fixed schedule (struct bh_sc_schedule: times of day,
 * every day). The first scheduled start strictly after t (s since the
 * horizon start, which is `start` s after midnight), and never before 0:
 * for t < 0 the first start at or after 0. INFINITY for an empty
 * schedule. */
double bh_schedule_next(const struct bh_sc_schedule *x, double start, double t);

/* ---- The traffic model (model.c) -------------------------------------
 * One per replication. It yields arrivals in time order; the switch (sim
 * or real) tells it how each attempt ended, so that callers can retry and
 * finite sources become idle again. It never reads a clock.
 *
 * Finite sources (`sources: K`, Engset): K callers; each idle one calls
 * at rate profile(t) / K per hour, so the profile is the rate of the whole
 * population when every caller is idle. A caller is busy from its arrival
 * until its attempt ends (and while it waits to retry). */
struct bh_arrival {
    double t;            /* s since the horizon start */
    uint16_t source;     /* index into scenario sources */
    uint8_t kind;        /* enum bh_source_kind */
    uint8_t target_kind; /* enum bh_target_kind */
    uint16_t target;
    uint16_t caller_class;
    uint16_t origin;
    int16_t plan;
    uint8_t attempt;  /* 1, 2, ... */
    uint8_t outbound; /* campaign attempt */
    uint8_t answers;  /* campaign: the called party answers */
    uint8_t option;   /* calls to a number with ivr options: the index of
                         the option the caller chooses (its digit, its
                         operator group), drawn by the options' shares */
    uint32_t subscriber;
    double holding;        /* s of talk once connected */
    double patience;       /* s the caller waits at most; INFINITY none */
    double ring;           /* campaign: s of ringing */
    uint64_t meeting;      /* conference participant: meeting id, else 0 */
    uint32_t meeting_size; /* participants the meeting brings */
    double meeting_start;  /* s */
    double meeting_end;    /* s; participants leave then */
    double passcode;       /* s from answer to joining the room */
};

struct bh_traffic;

/* A model for replication `replication` of sc (borrowed, must outlive
 * it), with streams from `seed`. Returns 0, BH_ENOMEM or BH_EINVAL. */
int bh_traffic_new(const struct bh_scenario *sc, uint64_t seed,
                   uint32_t replication, struct bh_traffic **out);
void bh_traffic_free(struct bh_traffic *tm);
/* Time of the next arrival before `limit` (s), INFINITY when none. */
double bh_traffic_peek(struct bh_traffic *tm, double limit);
/* Takes the next arrival before `limit`: 1 and *out filled, or 0. */
int bh_traffic_next(struct bh_traffic *tm, double limit,
                    struct bh_arrival *out);
/* How arrival a's attempt ended at time t (s, not before a->t). Call it
 * once for every arrival taken, in time order (the model's own clock is
 * these times). For blocked, abandoned and overflowed attempts (and a
 * campaign's unanswered ones) the caller retries with the source's
 * probability and delay (returns 1 when a retrial is scheduled; it comes
 * back from bh_traffic_next with attempt + 1, the same class, subscriber,
 * holding time and patience; a campaign's redial draws its ring time and
 * whether it is answered anew); a finite
 * source's caller becomes idle unless it retries. */
int bh_traffic_finish(struct bh_traffic *tm, const struct bh_arrival *a,
                      enum bh_outcome outcome, double t);
/* Whether bh_traffic_finish can do anything for source i's arrivals: 1
 * when the source retries or is a finite population, else 0 (also for
 * i out of range). When 0, a caller may skip bh_traffic_finish for them:
 * it would change nothing, and bh_traffic_peek stays as it was. */
int bh_traffic_listens(const struct bh_traffic *tm, size_t i);

/* ---- Segments (model.c) ---------------------------------------------
 * N drivers on N machines generate one scenario once: each runs the same
 * model (same scenario, seed and replication) restricted to segment I of
 * N, and the N segments are disjoint and together are exactly the
 * unsegmented stream of first attempts. A finite source goes whole to
 * segment (source index mod N) + 1 (its arrivals depend on its callers'
 * ends); every other first attempt (call, campaign attempt, meeting
 * participant) is dealt by a hash of (seed, source, its index in its
 * source), so each segment is a Poisson process at 1/N of the rate and
 * the deal never depends on outcomes. Retrials stay with the segment of
 * their first attempt; they follow outcomes and the segment's own
 * retrial stream, so they have the same law as an unsegmented run's but
 * not the same draws. Without a segment nothing changes: the simulator's
 * arrivals are what they were. */
#define BH_TRAFFIC_MAX_SEGMENTS 65536
/* Restricts tm to segment `index` (1-based) of `count`; before its first
 * peek or next. 0, or BH_EINVAL (bad numbers, or arrivals taken). 1 of 1
 * is the whole stream. */
int bh_traffic_segment(struct bh_traffic *tm, uint32_t index, uint32_t count);
/* Parses "I/N" (decimal, 1 <= I <= N <= BH_TRAFFIC_MAX_SEGMENTS, nothing
 * else): 0 and *index, *count set, or BH_EINVAL and both untouched. */
int bh_traffic_segment_parse(const char *text, uint32_t *index,
                             uint32_t *count);

/* ---- Offered load (offered.c) ---------------------------------------
 * The one model of offered load: what check, plan, the collector and the
 * analytic figures count, for first attempts (retrials add load). Each
 * source's Erlangs are its first attempts per s times the s each holds
 * its target's lines or ports, from bh_traffic_dist_mean. Campaigns
 * offer their load to their `via` number (the source's target). */

/* Expected first attempts per s of source i over [t0, t1) (s since the
 * horizon start): calls, meeting participants, campaign attempts. The
 * participants of scheduled meetings count where they dial on average
 * (the start plus the mean join spread). */
double bh_traffic_rate(const struct bh_scenario *sc, size_t i, double t0,
                       double t1);
/* Mean s one first attempt of source i holds a line or port: calls their
 * holding time plus the number's IVR menu; meeting participants the
 * meeting's duration less the join spread, plus the passcode entry;
 * campaigns the ring time plus the answered share of the holding time. */
double bh_traffic_holding(const struct bh_scenario *sc, size_t i);
/* Mean s an operator is busy with one call of source i: holding time plus
 * wrap-up for calls to a number with a queue, else 0. */
double bh_traffic_handling(const struct bh_scenario *sc, size_t i);
/* Offered load in Erlangs of source i on its target's lines or ports over
 * [t0, t1): rate x holding; for finite sources Engset's intended traffic
 * K a / (1 + a), a = rate / K x holding. Scheduled meetings, whose load
 * comes and goes with the schedule, offer the ports their participants
 * would hold during [t0, t1), averaged over it: each participant from
 * the mean join time for bh_traffic_holding's s. */
double bh_traffic_offered(const struct bh_scenario *sc, size_t i, double t0,
                          double t1);

#endif
