/* cdr.c: the CDR store, one SQLite row per call, and reading it back. */
#include "records.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The columns carry the meaning of struct bh_call_record (records.h):
 * times in seconds since the switch started (meta.started, Unix epoch s),
 * -1 for what did not happen; wait is the time in the queue, talk the time
 * from connect to end. */
static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS calls("
    " id INTEGER, number TEXT, target INTEGER, called TEXT, caller TEXT,"
    " call_id TEXT, arrival REAL, answer REAL, connect REAL, \"end\" REAL,"
    " outcome TEXT, line INTEGER, operator INTEGER, wait REAL, talk REAL,"
    " status INTEGER);";

static const char insert_sql[] =
    "INSERT INTO calls(id, number, target, called, caller, call_id, arrival,"
    " answer, connect, \"end\", outcome, line, operator, wait, talk, status)"
    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

struct bh_cdr {
    sqlite3 *db;
    sqlite3_stmt *insert;
    int batch; /* inside begin/commit */
};

void
bh_cdr_close(struct bh_cdr *c) {
    if (!c)
        return;
    if (c->batch)
        bh_cdr_commit(c);
    sqlite3_finalize(c->insert);
    sqlite3_close(c->db);
    free(c);
}

int
bh_cdr_open(const char *path, double started, struct bh_cdr **out) {
    *out = NULL;
    struct bh_cdr *c = calloc(1, sizeof *c);
    if (!c)
        return BH_ENOMEM;
    if (sqlite3_open(path, &c->db) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(c->db, 2000);
    if (sqlite3_exec(c->db, schema, NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    char *sql = sqlite3_mprintf(
        "INSERT OR REPLACE INTO meta VALUES('started', '%.6f');"
        "INSERT OR REPLACE INTO meta VALUES('time_unit', 's since started');",
        started);
    if (!sql)
        goto fail;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(c->db, insert_sql, -1, &c->insert, NULL) !=
        SQLITE_OK)
        goto fail;
    *out = c;
    return 0;
fail:
    bh_cdr_close(c);
    return BH_EIO;
}

int
bh_cdr_begin(struct bh_cdr *c) {
    if (c->batch)
        return 0;
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return BH_EIO;
    c->batch = 1;
    return 0;
}

int
bh_cdr_commit(struct bh_cdr *c) {
    if (!c->batch)
        return 0;
    c->batch = 0;
    if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return BH_EIO;
    return 0;
}

static void
bind_time(sqlite3_stmt *s, int i, double t) {
    sqlite3_bind_double(s, i, t);
}

int
bh_cdr_write(struct bh_cdr *c, const struct bh_cdr_row *row) {
    sqlite3_stmt *s = c->insert;
    const struct bh_call_record *r = &row->rec;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)r->id);
    sqlite3_bind_text(s, 2, row->number, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, r->target);
    sqlite3_bind_text(s, 4, row->called, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, row->caller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, row->call_id, -1, SQLITE_STATIC);
    bind_time(s, 7, r->arrival);
    bind_time(s, 8, r->answer);
    bind_time(s, 9, r->connect);
    bind_time(s, 10, r->end);
    sqlite3_bind_text(s, 11, bh_outcome_name((enum bh_outcome)r->outcome), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(s, 12, r->line);
    sqlite3_bind_int(s, 13, r->agent);
    sqlite3_bind_double(s, 14, r->wait);
    sqlite3_bind_double(s, 15, r->talk);
    sqlite3_bind_int(s, 16, row->status);
    int rc = sqlite3_step(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? 0 : BH_EIO;
}

/* ---- Reading back ------------------------------------------------------- */

static const char select_sql[] =
    "SELECT id, number, target, called, caller, call_id, arrival, answer,"
    " connect, \"end\", outcome, line, operator, wait, talk, status"
    " FROM calls ORDER BY rowid";

/* Copies a text column into a fixed buffer, cut at its size. */
static void
col_text(sqlite3_stmt *s, int i, char *buf, size_t size) {
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(buf, size, "%s", t ? (const char *)t : "");
}

/* One result row as a CDR row; BH_EPARSE for an unknown outcome name. */
static int
row_from(sqlite3_stmt *s, struct bh_cdr_row *row) {
    memset(row, 0, sizeof *row);
    struct bh_call_record *r = &row->rec;
    r->id = (uint64_t)sqlite3_column_int64(s, 0);
    col_text(s, 1, row->number, sizeof row->number);
    r->target = (uint16_t)sqlite3_column_int(s, 2);
    col_text(s, 3, row->called, sizeof row->called);
    col_text(s, 4, row->caller, sizeof row->caller);
    col_text(s, 5, row->call_id, sizeof row->call_id);
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
    row->status = sqlite3_column_int(s, 15);
    r->plan = -1;
    r->attempt = 1;
    return 0;
}

static double
meta_started(sqlite3 *db) {
    sqlite3_stmt *s;
    double v = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='started'", -1,
                           &s, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

int
bh_cdr_read(const char *path, double *started,
            int (*fn)(void *ctx, const struct bh_cdr_row *row), void *ctx,
            struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    snprintf(diag->file, sizeof diag->file, "%s", path);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc = BH_EIO;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        bh_diag_set(diag, 0, 0, "cannot open CDR file: %s",
                    db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(db, 2000);
    if (sqlite3_prepare_v2(db, select_sql, -1, &s, NULL) != SQLITE_OK) {
        bh_diag_set(diag, 0, 0, "not a busyhour CDR file: %s",
                    sqlite3_errmsg(db));
        rc = BH_EPARSE;
        goto done;
    }
    if (started)
        *started = meta_started(db);
    struct bh_cdr_row row;
    int step;
    rc = 0;
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
