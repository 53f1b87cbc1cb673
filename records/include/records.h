/* records.h: the call record every clock fills, its CSV row, the CDR store
 * in SQLite, and the record sink the statistics implement.
 *
 * One format for simulated, measured and switch records: sim/ fills a
 * struct bh_call_record in virtual time, the switch fills one per call it
 * handles (with the SIP facts of a struct bh_cdr_row around it), the load
 * driver one per call it places. Whatever consumes records (the collector
 * in reports/, a CSV file, the CDR store) is reached through a struct
 * bh_record_sink, so that none of the clocks knows who listens. */
#ifndef BH_RECORDS_H
#define BH_RECORDS_H

#include "bh.h"
#include "scenario.h"

#include <stdint.h>
#include <stdio.h>

/* ---- Outcomes ------------------------------------------------------------
 * What happened to one call attempt. One list gives the codes and the
 * names used in CSV rows, CDRs, metrics and results (an X-macro, as
 * BH_ERRNO_MAP in bh.h). New outcomes go at the end. */
#define BH_OUTCOME_MAP(X)                                                      \
    /* served (by an operator, a room, the number) */                          \
    X(ANSWERED, "answered")                                                    \
    /* all lines / ports busy, or queue full: busy */                          \
    X(BLOCKED, "blocked")                                                      \
    /* caller hung up while waiting */                                         \
    X(ABANDONED, "abandoned")                                                  \
    /* waited max_wait, then busy */                                           \
    X(OVERFLOW, "overflow")                                                    \
    /* error (SIP failure, timeout) */                                         \
    X(FAILED, "failed")                                                        \
    /* outbound: the called party did not answer */                            \
    X(UNANSWERED, "unanswered")

#define BH_OUTCOME_ENUM_(name, str) BH_OUTCOME_##name,
#define BH_OUTCOME_ONE_(name, str) +1
enum bh_outcome { BH_OUTCOME_MAP(BH_OUTCOME_ENUM_) };
/* How many outcomes there are (apart from the enum, so that a switch over
 * enum bh_outcome need not name it). */
enum { BH_OUTCOME_COUNT = 0 BH_OUTCOME_MAP(BH_OUTCOME_ONE_) };
#undef BH_OUTCOME_ENUM_
#undef BH_OUTCOME_ONE_

/* The outcome's name ("answered", ...); "unknown" out of range. */
const char *bh_outcome_name(enum bh_outcome o);
/* Parses an outcome name; returns 0 or BH_EINVAL. */
int bh_outcome_parse(const char *name, enum bh_outcome *out);

/* ---- The call record ---------------------------------------------------- */

/* One call attempt, from arrival to end. Times are seconds since the
 * horizon start (virtual, or wall-clock times speed; for a switch's CDRs,
 * since the switch started); a time that did not happen is -1. */
struct bh_call_record {
    uint64_t id; /* unique in a replication, in arrival order */
    uint32_t replication;
    uint16_t source;       /* index into scenario sources */
    uint8_t target_kind;   /* enum bh_target_kind */
    uint16_t target;       /* index into numbers or bridges */
    uint16_t caller_class; /* index into the source's classes */
    uint16_t origin;       /* tariff origin (rate class) */
    int16_t plan;          /* tariff plan, -1 none */
    uint8_t attempt;       /* 1 for a first attempt, 2.. for retrials */
    uint8_t outcome;       /* enum bh_outcome */
    uint8_t payer;         /* enum bh_payer */
    uint8_t outbound;      /* 1: the company called out (campaign, dial-out) */
    uint32_t subscriber;   /* who within the class, for bundle allowances */
    uint64_t meeting;      /* meeting id for conference participants, else 0 */
    double arrival;        /* INVITE reached the switch */
    double answer;         /* the switch answered (IVR, queue, announcement) */
    double connect;        /* an operator answered or the room was joined */
    double end;            /* hang-up, or rejection time */
    double wait;           /* s in the queue, 0 if connected at once */
    double talk;           /* s from connect to end */
    int32_t line;          /* line or bridge port taken, -1 none */
    int32_t agent;         /* operator index or room, -1 none */
    bh_money cost;         /* filled by rating, micro-units */
};

/* The --records file's columns, in order (the header line; the help of
 * busyhour sim prints the same). warmup is 1 for a record that arrived in
 * the warm-up (arrival < sim.warmup): counted and rated nowhere (its cost
 * is 0), so the results' figures are over the rows with warmup 0. */
#define BH_CALL_RECORD_CSV_COLUMNS                                             \
    "replication,id,source,target,caller_class,origin,plan,payer,outbound,"    \
    "subscriber,attempt,meeting,arrival,answer,connect,end,outcome,wait,"      \
    "talk,line,agent,cost,warmup"

/* Writes the CSV header, and one record as a CSV row (the --records file).
 * Names of sources, origins and plans come from the scenario (borrowed).
 * Times in s with microsecond precision, cost in currency units. */
void bh_call_record_csv_header(FILE *out);
void bh_call_record_csv(FILE *out, const struct bh_call_record *rec,
                        const struct bh_scenario *sc);

/* ---- Record sinks --------------------------------------------------------
 * Where records go. A clock (the simulator, the switch, the load driver)
 * writes into a sink without knowing what it is; reports/'s collector is
 * one (bh_collector_sink), a CDR store another. Every operation is
 * optional (NULL: ignored). A sink is a value: two words, copied freely;
 * ctx is borrowed and must outlive every use. */
struct bh_record_sink_ops {
    /* A replication (or a measured run) starts. 0 or a BH_E* code. */
    int (*begin)(void *ctx, int replication);
    /* One finished attempt. The sink may fill rec->cost (rating). */
    void (*record)(void *ctx, struct bh_call_record *rec);
    /* From time t (s) on, target `target` of kind `target_kind` has `busy`
     * lines (or ports) and `agents_busy` operators busy. */
    void (*level)(void *ctx, int target_kind, int target, double t, int busy,
                  int agents_busy);
    /* A meeting on bridge `bridge` that started at `start` (s) is over;
     * incomplete when any participant's attempt was blocked. */
    void (*meeting)(void *ctx, int bridge, double start, int incomplete);
    /* The replication ends at time t (s). 0 or a BH_E* code. */
    int (*end)(void *ctx, double t);
};

struct bh_record_sink {
    const struct bh_record_sink_ops *ops; /* static storage; NULL: no sink */
    void *ctx;                            /* borrowed */
};

static inline int
bh_sink_begin(struct bh_record_sink s, int replication) {
    return s.ops && s.ops->begin ? s.ops->begin(s.ctx, replication) : 0;
}

static inline void
bh_sink_record(struct bh_record_sink s, struct bh_call_record *rec) {
    if (s.ops && s.ops->record)
        s.ops->record(s.ctx, rec);
}

static inline void
bh_sink_level(struct bh_record_sink s, int target_kind, int target, double t,
              int busy, int agents_busy) {
    if (s.ops && s.ops->level)
        s.ops->level(s.ctx, target_kind, target, t, busy, agents_busy);
}

static inline void
bh_sink_meeting(struct bh_record_sink s, int bridge, double start,
                int incomplete) {
    if (s.ops && s.ops->meeting)
        s.ops->meeting(s.ctx, bridge, start, incomplete);
}

static inline int
bh_sink_end(struct bh_record_sink s, double t) {
    return s.ops && s.ops->end ? s.ops->end(s.ctx, t) : 0;
}

/* ---- The CDR store (SQLite, WAL) -----------------------------------------
 * The switch's call detail records: one row per call, the call record's
 * fields plus what only a real call has. Times are s since the start of
 * the run that wrote the row (the runs table keeps each run's start as
 * Unix time, so a file reused across restarts never moves earlier rows).
 * The schema is in cdr.c and records/README.md; `run` and `report` read
 * it back with bh_cdr_read without linking the switch.
 *
 * Durability. A row is queued in memory (bh_cdr_put) and written, with the
 * other rows queued in the same event-loop turn, by bh_cdr_flush in one
 * transaction. A committed row survives a crash of the process (WAL,
 * synchronous=NORMAL: the commit is in the WAL file before flush returns;
 * only a crash of the operating system can lose the last commits, unless
 * `sync_full`). The switch writes a row when a call is answered (state
 * "up") and again when it ends ("ended"): a crash leaves the rows of the
 * calls that were up, which the next open marks "unfinished". When the
 * database is busy (another process holds its write lock) or full, the
 * transaction is rolled back, the rows stay queued (bounded by
 * max_pending; beyond it rows are lost and counted) and flush says when
 * to try again (exponential backoff); the loop never blocks on a lock. */

#define BH_CDR_TEXT_MAX 128  /* bytes of caller, called, Call-ID, with NUL */
#define BH_CDR_REASON_MAX 32 /* bytes of an end reason, with NUL */
#define BH_CDR_PATH_MAX 256  /* bytes of a recording's path, with NUL */
#define BH_CDR_MAX_PENDING_DEFAULT 100000 /* rows queued at most */

enum bh_cdr_state {
    BH_CDR_UP,        /* the call is in progress (written at answer) */
    BH_CDR_ENDED,     /* the call ended; the row is final */
    BH_CDR_UNFINISHED /* was up when an earlier run stopped without ending it */
};

struct bh_cdr_row {
    struct bh_call_record rec;       /* id, target, outcome, times, line .. */
    enum bh_cdr_state state;         /* filled by bh_cdr_read */
    char number[BH_SC_MAX_NAME];     /* the number's or bridge's name */
    char called[BH_CDR_TEXT_MAX];    /* user part of the Request-URI */
    char caller[BH_CDR_TEXT_MAX];    /* user part of the From URI */
    char call_id[BH_CDR_TEXT_MAX];   /* SIP Call-ID of the caller's leg */
    int status;                      /* final SIP status sent to the caller */
    char reason[BH_CDR_REASON_MAX];  /* why it ended ("bye", "rtp-timeout".. */
    char room[BH_SC_MAX_NAME];       /* bridges: the room (passcode name) */
    int tries;                       /* bridges: passcode attempts */
    char recording[BH_CDR_PATH_MAX]; /* WAV file of the call, "" none */
    int run;                         /* filled by bh_cdr_read: 1, 2, ... */
    double started;                  /* filled by bh_cdr_read: run start */
};

struct bh_cdr_options {
    size_t max_pending; /* rows queued at most; 0: the default */
    double retry_min;   /* s, first backoff after a busy or full database;
                           0: 0.05 */
    double retry_max;   /* s, backoff cap; 0: 2 */
    double close_wait;  /* s bh_cdr_close keeps retrying; 0: 5 */
    int sync_full;      /* 1: synchronous=FULL, survives power loss too */
};

struct bh_cdr_stats {
    uint64_t written; /* rows committed */
    uint64_t pending; /* rows queued, not yet committed */
    uint64_t lost;    /* rows dropped: queue full, or not written at close */
    uint64_t retries; /* flushes that failed and will be retried */
    uint64_t busy;    /* of those, because the database was locked */
    uint64_t full;    /* of those, because the disk or file was full */
    char last_error[128]; /* SQLite's message for the last failure, or "" */
};

struct bh_cdr;

/* Opens the CDR file for a new run that started at `started` (Unix s),
 * creating it if it does not exist. An existing file must be a busyhour
 * CDR file: anything else is refused untouched (not switched to WAL, no
 * table added), with the reason in diag (may be NULL): BH_EPARSE for a
 * foreign file, BH_EIO when it cannot be opened. opt may be NULL. */
int bh_cdr_open(const char *path, double started,
                const struct bh_cdr_options *opt, struct bh_cdr **out,
                struct bh_diag *diag);
/* The first call id of this run: one more than any id in the file, so
 * that a reused file appends. */
uint64_t bh_cdr_first_id(const struct bh_cdr *c);
/* This run's number in the file (1 for a new file). */
int bh_cdr_run(const struct bh_cdr *c);
/* Queues a row (copied) in state `state` (BH_CDR_UP or BH_CDR_ENDED); a
 * later row with the same rec.id replaces the earlier one. BH_ETOOBIG
 * when max_pending rows wait already: the row is lost and counted. */
int bh_cdr_put(struct bh_cdr *c, const struct bh_cdr_row *row,
               enum bh_cdr_state state);
/* Writes every queued row in one transaction. 0 when all are committed
 * (or none waited); BH_EAGAIN when the database was busy or full: the
 * rows stay queued and *retry_at (may be NULL) is when to try again (s,
 * on the clock of `now`); BH_EIO for other failures (rows stay queued). */
int bh_cdr_flush(struct bh_cdr *c, double now, double *retry_at);
void bh_cdr_stats(const struct bh_cdr *c, struct bh_cdr_stats *out);
/* Flushes, retrying for up to close_wait s, records the run's end and
 * closes. Returns 0, or BH_EIO when rows were lost in this run (then
 * *lost, may be NULL, says how many). NULL is harmless. */
int bh_cdr_close(struct bh_cdr *c, uint64_t *lost);

/* Reads a CDR file back (read-only, in id order): fn is called for each
 * row (the row is borrowed for the call) and stops the walk by returning
 * non-zero, which bh_cdr_read then returns. *started (may be NULL) gets
 * the first run's start (Unix s). Returns 0, fn's value, or BH_EIO /
 * BH_EPARSE with a message in diag (may be NULL). The fields the store
 * does not keep (source, class, origin, tariff plan, cost) come back
 * zero, plan -1. */
int bh_cdr_read(const char *path, double *started,
                int (*fn)(void *ctx, const struct bh_cdr_row *row), void *ctx,
                struct bh_diag *diag);

#endif
