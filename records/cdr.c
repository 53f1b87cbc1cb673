/* cdr.c: the CDR store, one SQLite row per call, and reading it back. */
#include "records.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* What marks a file as ours: meta('format') holds FORMAT, meta('version')
 * VERSION. A file without them is somebody else's and is never touched. */
#define FORMAT "busyhour-cdr"
#define VERSION 2

/* The columns carry the meaning of struct bh_call_record (records.h):
 * times in s since the start of the row's run (runs.started, Unix s), -1
 * for what did not happen; wait is the time in the queue, talk the time
 * from connect to end. `id` is unique in the file (each run continues
 * after the largest id), so rows can be updated in place: written at
 * answer (state 'up'), again at the end ('ended'). */
static const char schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE runs(run INTEGER PRIMARY KEY, started REAL NOT NULL,"
    " ended REAL, lost INTEGER);"
    "CREATE TABLE calls("
    " id INTEGER PRIMARY KEY, run INTEGER, number TEXT, target INTEGER,"
    " kind TEXT, called TEXT, caller TEXT, call_id TEXT, arrival REAL,"
    " answer REAL, connect REAL, \"end\" REAL, outcome TEXT, line INTEGER,"
    " operator INTEGER, wait REAL, talk REAL, status INTEGER, state TEXT,"
    " reason TEXT, room TEXT, tries INTEGER, recording TEXT, payer TEXT,"
    " outbound INTEGER);"
    "CREATE INDEX calls_call_id ON calls(call_id);"
    "INSERT INTO meta VALUES('format', '" FORMAT "');"
    "INSERT INTO meta VALUES('version', '2');"
    "INSERT INTO meta VALUES('time_unit', 's since the run started');";

static const char upsert_sql[] =
    "INSERT INTO calls(id, run, number, target, kind, called, caller,"
    " call_id, arrival, answer, connect, \"end\", outcome, line, operator,"
    " wait, talk, status, state, reason, room, tries, recording, payer,"
    " outbound) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT(id) DO UPDATE SET run=excluded.run, number=excluded.number,"
    " target=excluded.target, kind=excluded.kind, called=excluded.called,"
    " caller=excluded.caller, call_id=excluded.call_id,"
    " arrival=excluded.arrival, answer=excluded.answer,"
    " connect=excluded.connect, \"end\"=excluded.\"end\","
    " outcome=excluded.outcome, line=excluded.line,"
    " operator=excluded.operator, wait=excluded.wait, talk=excluded.talk,"
    " status=excluded.status, state=excluded.state, reason=excluded.reason,"
    " room=excluded.room, tries=excluded.tries,"
    " recording=excluded.recording, payer=excluded.payer,"
    " outbound=excluded.outbound";

static const char *const kind_names[] = {
    [BH_TARGET_NUMBER] = "number",
    [BH_TARGET_BRIDGE] = "bridge",
    [BH_TARGET_EXTENSION] = "extension",
    [BH_TARGET_TRUNK] = "trunk",
};

static const char *const state_names[] = {
    [BH_CDR_UP] = "up",
    [BH_CDR_ENDED] = "ended",
    [BH_CDR_UNFINISHED] = "unfinished",
};

struct bh_cdr {
    sqlite3 *db;
    sqlite3_stmt *upsert;
    struct bh_cdr_options opt;
    int run;
    uint64_t first_id;
    struct bh_cdr_row *q; /* owned: rows waiting for a commit */
    size_t nq, capq;
    double backoff;  /* s, the next wait after a failure; 0 after success */
    double retry_at; /* s, on the caller's clock */
    struct bh_cdr_stats st;
};

/* ---- Opening ------------------------------------------------------------ */

static int
file_size(const char *path, long long *size) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    *size = (long long)sb.st_size;
    return 0;
}

/* One integer (or text read as a number) from a query; fallback when the
 * query fails or yields nothing. */
static double
query_number(sqlite3 *db, const char *sql, double fallback) {
    sqlite3_stmt *s;
    double v = fallback;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return fallback;
    if (sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Checks, without writing anything, that an existing database is one of
 * ours. 0, or BH_EPARSE with the reason. */
static int
check_ours(sqlite3 *db, struct bh_diag *diag) {
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(
        db, "SELECT value FROM meta WHERE key = 'format'", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        bh_diag_set(diag, 0, 0,
                    "not a busyhour CDR file (%s); refusing to touch it, "
                    "name a new file",
                    sqlite3_errmsg(db));
        return BH_EPARSE;
    }
    char format[64] = "";
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(format, sizeof format, "%s",
                 (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (strcmp(format, FORMAT) != 0) {
        bh_diag_set(diag, 0, 0,
                    "not a busyhour CDR file (its meta table has no format "
                    "'" FORMAT "': written by an older busyhour or another "
                    "program); refusing to touch it, name a new file");
        return BH_EPARSE;
    }
    double v =
        query_number(db, "SELECT value FROM meta WHERE key='version'", 0);
    if (v != VERSION) {
        bh_diag_set(diag, 0, 0,
                    "busyhour CDR file of version %g, this busyhour writes "
                    "version %d; refusing to touch it",
                    v, VERSION);
        return BH_EPARSE;
    }
    return 0;
}

static void
set_defaults(struct bh_cdr_options *o) {
    if (o->max_pending == 0)
        o->max_pending = BH_CDR_MAX_PENDING_DEFAULT;
    if (!(o->retry_min > 0))
        o->retry_min = 0.05;
    if (!(o->retry_max > 0))
        o->retry_max = 2.0;
    if (!(o->close_wait > 0))
        o->close_wait = 5.0;
}

/* Creates the schema in a new file, or checks an existing one; then marks
 * rows left up by an earlier run and starts this run. */
static int
prepare_file(struct bh_cdr *c, int fresh, double started,
             struct bh_diag *diag) {
    sqlite3 *db = c->db;
    if (!fresh) {
        int rc = check_ours(db, diag);
        if (rc < 0)
            return rc;
    }
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;",
             c->opt.sync_full ? "FULL" : "NORMAL");
    char *sql = sqlite3_mprintf(
        "%s BEGIN IMMEDIATE; %s"
        "UPDATE calls SET state = 'unfinished' WHERE state = 'up';"
        "INSERT INTO runs(started) VALUES(%.6f);"
        "INSERT OR IGNORE INTO meta VALUES('started', '%.6f');"
        "COMMIT;",
        pragmas, fresh ? schema : "", started, started);
    if (!sql)
        return BH_ENOMEM;
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) {
        bh_diag_set(diag, 0, 0, "cannot prepare the CDR file: %s",
                    err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return BH_EIO;
    }
    c->run = (int)query_number(db, "SELECT max(run) FROM runs", 0);
    c->first_id =
        (uint64_t)query_number(db, "SELECT max(id) FROM calls", 0) + 1;
    return 0;
}

int
bh_cdr_open(const char *path, double started, const struct bh_cdr_options *opt,
            struct bh_cdr **out, struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    snprintf(diag->file, sizeof diag->file, "%s", path);
    diag->line = diag->column = 0;
    diag->msg[0] = 0;
    *out = NULL;
    struct bh_cdr *c = calloc(1, sizeof *c);
    if (!c)
        return BH_ENOMEM;
    if (opt)
        c->opt = *opt;
    set_defaults(&c->opt);
    long long size = 0;
    int exists = file_size(path, &size) == 0;
    int fresh = !exists || size == 0;
    /* An existing file is opened without CREATE, and nothing is written to
     * it before check_ours() has read its meta table. */
    int flags = SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
    int rc = BH_EIO;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        bh_diag_set(diag, 0, 0, "cannot open the CDR file: %s",
                    c->db ? sqlite3_errmsg(c->db) : "out of memory");
        goto fail;
    }
    /* Never wait for a lock inside the event loop: a busy database is
     * retried later from bh_cdr_flush's backoff. */
    sqlite3_busy_timeout(c->db, 0);
    rc = prepare_file(c, fresh, started, diag);
    if (rc < 0)
        goto fail;
    if (sqlite3_prepare_v2(c->db, upsert_sql, -1, &c->upsert, NULL) !=
        SQLITE_OK) {
        bh_diag_set(diag, 0, 0, "cannot prepare the CDR insert: %s",
                    sqlite3_errmsg(c->db));
        rc = BH_EIO;
        goto fail;
    }
    *out = c;
    return 0;
fail:
    sqlite3_close(c->db);
    free(c);
    return rc;
}

uint64_t
bh_cdr_first_id(const struct bh_cdr *c) {
    return c->first_id;
}

int
bh_cdr_run(const struct bh_cdr *c) {
    return c->run;
}

/* ---- Writing ------------------------------------------------------------ */

int
bh_cdr_put(struct bh_cdr *c, const struct bh_cdr_row *row,
           enum bh_cdr_state state) {
    if (c->nq >= c->opt.max_pending) {
        c->st.lost++;
        return BH_ETOOBIG;
    }
    if (c->nq == c->capq) {
        size_t cap = c->capq ? c->capq * 2 : 64;
        if (cap > c->opt.max_pending)
            cap = c->opt.max_pending;
        struct bh_cdr_row *q = realloc(c->q, cap * sizeof *q);
        if (!q) {
            c->st.lost++;
            return BH_ENOMEM;
        }
        c->q = q;
        c->capq = cap;
    }
    c->q[c->nq] = *row;
    c->q[c->nq].state = state;
    c->nq++;
    return 0;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *t) {
    if (t[0])
        sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static int
write_row(struct bh_cdr *c, const struct bh_cdr_row *row) {
    sqlite3_stmt *s = c->upsert;
    const struct bh_call_record *r = &row->rec;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)r->id);
    sqlite3_bind_int(s, 2, c->run);
    sqlite3_bind_text(s, 3, row->number, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, r->target);
    sqlite3_bind_text(
        s, 5,
        kind_names[r->target_kind <= BH_TARGET_TRUNK ? r->target_kind
                                                     : BH_TARGET_NUMBER],
        -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, row->called, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, row->caller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, row->call_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 9, r->arrival);
    sqlite3_bind_double(s, 10, r->answer);
    sqlite3_bind_double(s, 11, r->connect);
    sqlite3_bind_double(s, 12, r->end);
    sqlite3_bind_text(s, 13, bh_outcome_name((enum bh_outcome)r->outcome), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(s, 14, r->line);
    sqlite3_bind_int(s, 15, r->agent);
    sqlite3_bind_double(s, 16, r->wait);
    sqlite3_bind_double(s, 17, r->talk);
    sqlite3_bind_int(s, 18, row->status);
    sqlite3_bind_text(s, 19, state_names[row->state], -1, SQLITE_STATIC);
    bind_text(s, 20, row->reason);
    bind_text(s, 21, row->room);
    sqlite3_bind_int(s, 22, row->tries);
    bind_text(s, 23, row->recording);
    sqlite3_bind_text(s, 24, r->payer == BH_PAYER_CALLEE ? "company" : "caller",
                      -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 25, r->outbound);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

/* A failed flush: the transaction is rolled back (a COMMIT that fails with
 * SQLITE_BUSY leaves it open, and every later BEGIN would fail: the bug
 * that once lost every row after one short lock), the rows stay queued,
 * and the next try waits twice as long as the last. */
static int
flush_failed(struct bh_cdr *c, int code, double now, double *retry_at) {
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    snprintf(c->st.last_error, sizeof c->st.last_error, "%s",
             sqlite3_errstr(code));
    int primary = code & 0xff;
    int transient = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
                    primary == SQLITE_FULL || primary == SQLITE_IOERR;
    c->st.retries++;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        c->st.busy++;
    if (primary == SQLITE_FULL)
        c->st.full++;
    c->backoff = c->backoff > 0 ? fmin(c->backoff * 2, c->opt.retry_max)
                                : c->opt.retry_min;
    c->retry_at = now + c->backoff;
    if (retry_at)
        *retry_at = c->retry_at;
    return transient ? BH_EAGAIN : BH_EIO;
}

int
bh_cdr_flush(struct bh_cdr *c, double now, double *retry_at) {
    if (retry_at)
        *retry_at = now;
    if (c->nq == 0)
        return 0;
    int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return flush_failed(c, rc, now, retry_at);
    for (size_t i = 0; i < c->nq; i++) {
        rc = write_row(c, &c->q[i]);
        if (rc != SQLITE_DONE)
            return flush_failed(c, rc, now, retry_at);
    }
    rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return flush_failed(c, rc, now, retry_at);
    c->st.written += c->nq;
    c->nq = 0;
    c->backoff = 0;
    return 0;
}

void
bh_cdr_stats(const struct bh_cdr *c, struct bh_cdr_stats *out) {
    *out = c->st;
    out->pending = c->nq;
}

static double
mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Retries the last rows until close_wait has passed (at shutdown, waiting
 * is right: a lock held by a reader of the file ends soon). */
static void
flush_at_close(struct bh_cdr *c) {
    double t0 = mono_now(), retry_at;
    while (c->nq > 0) {
        double now = mono_now();
        int rc = bh_cdr_flush(c, now, &retry_at);
        if (rc == 0 || now - t0 >= c->opt.close_wait)
            break;
        double wait = fmin(retry_at, t0 + c->opt.close_wait) - now;
        if (wait > 0) {
            struct timespec ts = {(time_t)wait,
                                  (long)((wait - (time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
}

int
bh_cdr_close(struct bh_cdr *c, uint64_t *lost) {
    if (lost)
        *lost = 0;
    if (!c)
        return 0;
    flush_at_close(c);
    c->st.lost += c->nq;
    c->nq = 0;
    char *sql = sqlite3_mprintf(
        "UPDATE runs SET ended = %.6f, lost = %llu WHERE run = %d",
        (double)time(NULL), (unsigned long long)c->st.lost, c->run);
    if (sql) {
        sqlite3_busy_timeout(c->db, 1000);
        sqlite3_exec(c->db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
    }
    uint64_t n = c->st.lost;
    sqlite3_finalize(c->upsert);
    sqlite3_close(c->db);
    free(c->q);
    free(c);
    if (lost)
        *lost = n;
    return n ? BH_EIO : 0;
}

/* ---- Reading back ------------------------------------------------------- */

static const char select_sql[] =
    "SELECT c.id, c.number, c.target, c.called, c.caller, c.call_id,"
    " c.arrival, c.answer, c.connect, c.\"end\", c.outcome, c.line,"
    " c.operator, c.wait, c.talk, c.status, c.state, c.reason, c.room,"
    " c.tries, c.recording, c.kind, c.payer, c.outbound, c.run, r.started"
    " FROM calls c LEFT JOIN runs r ON r.run = c.run ORDER BY c.id";

/* Copies a text column into a fixed buffer, cut at its size. */
static void
col_text(sqlite3_stmt *s, int i, char *buf, size_t size) {
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(buf, size, "%s", t ? (const char *)t : "");
}

static enum bh_cdr_state
state_from(const unsigned char *t) {
    for (size_t i = 0; i < sizeof state_names / sizeof *state_names; i++)
        if (t && strcmp((const char *)t, state_names[i]) == 0)
            return (enum bh_cdr_state)i;
    return BH_CDR_UNFINISHED;
}

/* The SIP facts of a result row (columns 1..5, 15..20). */
static void
row_texts(sqlite3_stmt *s, struct bh_cdr_row *row) {
    col_text(s, 1, row->number, sizeof row->number);
    col_text(s, 3, row->called, sizeof row->called);
    col_text(s, 4, row->caller, sizeof row->caller);
    col_text(s, 5, row->call_id, sizeof row->call_id);
    row->status = sqlite3_column_int(s, 15);
    row->state = state_from(sqlite3_column_text(s, 16));
    col_text(s, 17, row->reason, sizeof row->reason);
    col_text(s, 18, row->room, sizeof row->room);
    row->tries = sqlite3_column_int(s, 19);
    col_text(s, 20, row->recording, sizeof row->recording);
    row->run = sqlite3_column_int(s, 24);
    row->started = sqlite3_column_double(s, 25);
}

/* One result row as a CDR row; BH_EPARSE for an unknown outcome name. */
static int
row_from(sqlite3_stmt *s, struct bh_cdr_row *row) {
    memset(row, 0, sizeof *row);
    struct bh_call_record *r = &row->rec;
    r->id = (uint64_t)sqlite3_column_int64(s, 0);
    r->target = (uint16_t)sqlite3_column_int(s, 2);
    r->arrival = sqlite3_column_double(s, 6);
    r->answer = sqlite3_column_double(s, 7);
    r->connect = sqlite3_column_double(s, 8);
    r->end = sqlite3_column_double(s, 9);
    const unsigned char *o = sqlite3_column_text(s, 10);
    enum bh_outcome oc;
    if (bh_outcome_parse(o ? (const char *)o : "", &oc) < 0)
        return BH_EPARSE;
    r->outcome = (uint8_t)oc;
    r->line = sqlite3_column_int(s, 11);
    r->agent = sqlite3_column_int(s, 12);
    r->wait = sqlite3_column_double(s, 13);
    r->talk = sqlite3_column_double(s, 14);
    const unsigned char *k = sqlite3_column_text(s, 21);
    r->target_kind = BH_TARGET_NUMBER;
    for (int i = 0; k && i <= BH_TARGET_TRUNK; i++)
        if (strcmp((const char *)k, kind_names[i]) == 0)
            r->target_kind = (uint8_t)i;
    const unsigned char *p = sqlite3_column_text(s, 22);
    r->payer = p && strcmp((const char *)p, "company") == 0 ? BH_PAYER_CALLEE
                                                            : BH_PAYER_CALLER;
    r->outbound = (uint8_t)sqlite3_column_int(s, 23);
    r->plan = -1;
    r->attempt = 1;
    row_texts(s, row);
    return 0;
}

/* Opens a CDR file read-only and checks it is one of ours. */
static int
open_for_reading(const char *path, sqlite3 **db, struct bh_diag *diag) {
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        bh_diag_set(diag, 0, 0, "cannot open CDR file: %s",
                    *db ? sqlite3_errmsg(*db) : "out of memory");
        return BH_EIO;
    }
    sqlite3_busy_timeout(*db, 2000);
    return check_ours(*db, diag);
}

int
bh_cdr_read(const char *path, double *started,
            int (*fn)(void *ctx, const struct bh_cdr_row *row), void *ctx,
            struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    snprintf(diag->file, sizeof diag->file, "%s", path);
    diag->msg[0] = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc = open_for_reading(path, &db, diag);
    if (rc < 0)
        goto done;
    if (sqlite3_prepare_v2(db, select_sql, -1, &s, NULL) != SQLITE_OK) {
        bh_diag_set(diag, 0, 0, "not a busyhour CDR file: %s",
                    sqlite3_errmsg(db));
        rc = BH_EPARSE;
        goto done;
    }
    if (started)
        *started = query_number(db, "SELECT min(started) FROM runs", 0);
    struct bh_cdr_row row;
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (row_from(s, &row) < 0) {
            bh_diag_set(diag, 0, 0, "CDR row id %lld: unknown outcome",
                        (long long)sqlite3_column_int64(s, 0));
            rc = BH_EPARSE;
            break;
        }
        rc = fn(ctx, &row);
    }
    if (rc == 0 && step != SQLITE_DONE) {
        bh_diag_set(diag, 0, 0, "reading CDRs: %s", sqlite3_errmsg(db));
        rc = BH_EIO;
    }
done:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rc;
}
