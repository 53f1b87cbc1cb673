/* cdr.c: the CDR store, one SQLite row per call, written at call end. */
#include "switch.h"

#include <sqlite3.h>
#include <stdlib.h>

/* The columns carry the meaning of struct bh_call_record (traffic.h):
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

struct bh_switch_cdr {
    sqlite3 *db;
    sqlite3_stmt *insert;
    int batch; /* inside begin/commit */
};

void
bh_switch_cdr_close(struct bh_switch_cdr *c) {
    if (!c)
        return;
    if (c->batch)
        bh_switch_cdr_commit(c);
    sqlite3_finalize(c->insert);
    sqlite3_close(c->db);
    free(c);
}

int
bh_switch_cdr_open(const char *path, double started,
                   struct bh_switch_cdr **out) {
    *out = NULL;
    struct bh_switch_cdr *c = calloc(1, sizeof *c);
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
    bh_switch_cdr_close(c);
    return BH_EIO;
}

int
bh_switch_cdr_begin(struct bh_switch_cdr *c) {
    if (c->batch)
        return 0;
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return BH_EIO;
    c->batch = 1;
    return 0;
}

int
bh_switch_cdr_commit(struct bh_switch_cdr *c) {
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
bh_switch_cdr_write(struct bh_switch_cdr *c,
                    const struct bh_switch_cdr_row *row) {
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
    sqlite3_bind_text(s, 11,
                      bh_switch_outcome_name((enum bh_outcome)r->outcome), -1,
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
