/* test_cdr.c: CDR rows in SQLite (WAL), written and read back, and the
 * faults a store must survive: a held lock, a full disk, a crash, a file
 * reused across runs, a foreign file, a full queue. */
#include "records.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

/* A fresh temporary file name (the file exists, empty). */
static void
temp_path(char *path, size_t size) {
    snprintf(path, size, "/tmp/bh_cdr_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void
remove_db(const char *path) {
    char aux[300];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

static void
fill_row(struct bh_cdr_row *row, uint64_t id, enum bh_outcome oc) {
    memset(row, 0, sizeof *row);
    row->rec.id = id;
    row->rec.outcome = (uint8_t)oc;
    row->rec.arrival = 1.0;
    row->rec.answer = 1.0;
    row->rec.connect = 3.5;
    row->rec.end = 10.0;
    row->rec.wait = 2.5;
    row->rec.talk = 6.5;
    row->rec.line = 0;
    row->rec.agent = 2;
    snprintf(row->number, sizeof row->number, "support");
    snprintf(row->called, sizeof row->called, "88001234567");
    snprintf(row->caller, sizeof row->caller, "sipp");
    snprintf(row->call_id, sizeof row->call_id, "call-%llu@host",
             (unsigned long long)id);
    row->status = 200;
}

/* SELECT count(*) ... through a connection of the test's own. */
static int
count_rows(const char *path, const char *where) {
    sqlite3 *db;
    sqlite3_stmt *s;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM calls %s", where);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static void
rows_committed(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    struct bh_cdr *c;
    assert_int_equal(bh_cdr_open(path, 1.7e9, NULL, &c, NULL), 0);
    assert_int_equal(bh_cdr_first_id(c), 1);
    assert_int_equal(bh_cdr_run(c), 1);
    struct bh_cdr_row row;
    fill_row(&row, 1, BH_OUTCOME_ANSWERED);
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    assert_int_equal(bh_cdr_flush(c, 0, NULL), 0);
    fill_row(&row, 2, BH_OUTCOME_BLOCKED);
    row.rec.line = -1;
    row.status = 486;
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    fill_row(&row, 3, BH_OUTCOME_ABANDONED);
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    struct bh_cdr_stats st;
    bh_cdr_stats(c, &st);
    assert_int_equal(st.pending, 2);
    assert_int_equal(bh_cdr_flush(c, 0, NULL), 0);
    bh_cdr_stats(c, &st);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.written, 3);

    /* A second connection sees committed rows while the store is open. */
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT outcome, count(*), "
                                        "sum(wait) FROM calls GROUP BY "
                                        "outcome ORDER BY outcome",
                                        -1, &s, NULL),
                     SQLITE_OK);
    const char *want[] = {"abandoned", "answered", "blocked"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), want[i]);
        assert_int_equal(sqlite3_column_int(s, 1), 1);
    }
    sqlite3_finalize(s);
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
    assert_int_equal(bh_cdr_close(c, NULL), 0);
    assert_int_equal(bh_cdr_close(NULL, NULL), 0);
    remove_db(path);
}

/* A row written at answer and again at its end is one row, updated. */
static void
row_updated_in_place(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    struct bh_cdr *c;
    assert_int_equal(bh_cdr_open(path, 1.7e9, NULL, &c, NULL), 0);
    struct bh_cdr_row row;
    fill_row(&row, 1, BH_OUTCOME_ANSWERED);
    row.rec.end = -1;
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_UP), 0);
    assert_int_equal(bh_cdr_flush(c, 0, NULL), 0);
    assert_int_equal(count_rows(path, "WHERE state = 'up'"), 1);
    row.rec.end = 20;
    snprintf(row.reason, sizeof row.reason, "bye");
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    assert_int_equal(bh_cdr_flush(c, 0, NULL), 0);
    assert_int_equal(count_rows(path, ""), 1);
    assert_int_equal(count_rows(path,
                                "WHERE state = 'ended' AND \"end\" = 20 AND "
                                "reason = 'bye'"),
                     1);
    assert_int_equal(bh_cdr_close(c, NULL), 0);
    remove_db(path);
}

struct seen {
    int n;
    struct bh_cdr_row rows[4];
};

static int
keep(void *ctx, const struct bh_cdr_row *row) {
    struct seen *s = ctx;
    if (s->n < 4)
        s->rows[s->n] = *row;
    s->n++;
    return 0;
}

static int
stop_at_two(void *ctx, const struct bh_cdr_row *row) {
    struct seen *s = ctx;
    return ++s->n == 2 ? 7 : 0;
}

/* What the switch writes, run and report read back without the switch. */
static void
rows_read_back(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    struct bh_cdr *c;
    assert_int_equal(bh_cdr_open(path, 1.75e9, NULL, &c, NULL), 0);
    struct bh_cdr_row row;
    const enum bh_outcome oc[3] = {BH_OUTCOME_ANSWERED, BH_OUTCOME_OVERFLOW,
                                   BH_OUTCOME_FAILED};
    for (int i = 0; i < 3; i++) {
        fill_row(&row, (uint64_t)(i + 1), oc[i]);
        row.rec.target = (uint16_t)i;
        row.rec.target_kind = i == 2 ? BH_TARGET_BRIDGE : BH_TARGET_NUMBER;
        row.rec.arrival = 1.25 * i;
        row.rec.answer = i ? -1 : 1.5;
        row.rec.wait = 0.5 * i;
        row.rec.line = i - 1;
        row.rec.payer = i == 1 ? BH_PAYER_CALLEE : BH_PAYER_CALLER;
        snprintf(row.number, sizeof row.number, "n%d", i);
        snprintf(row.caller, sizeof row.caller, "alice");
        snprintf(row.called, sizeof row.called, "8800");
        snprintf(row.room, sizeof row.room, i == 2 ? "r1" : "");
        row.tries = i;
        row.status = 200 + 100 * i;
        assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    }
    assert_int_equal(bh_cdr_close(c, NULL), 0);

    struct seen seen = {0};
    double started = 0;
    assert_int_equal(bh_cdr_read(path, &started, keep, &seen, NULL), 0);
    assert_true(started == 1.75e9);
    assert_int_equal(seen.n, 3);
    for (int i = 0; i < 3; i++) {
        const struct bh_cdr_row *r = &seen.rows[i];
        assert_int_equal(r->rec.id, i + 1);
        assert_int_equal(r->rec.outcome, oc[i]);
        assert_int_equal(r->rec.target, i);
        assert_int_equal(r->rec.target_kind,
                         i == 2 ? BH_TARGET_BRIDGE : BH_TARGET_NUMBER);
        assert_int_equal(r->rec.payer,
                         i == 1 ? BH_PAYER_CALLEE : BH_PAYER_CALLER);
        assert_true(r->rec.arrival == 1.25 * i);
        assert_true(r->rec.answer == (i ? -1 : 1.5));
        assert_true(r->rec.wait == 0.5 * i);
        assert_int_equal(r->rec.line, i - 1);
        assert_int_equal(r->rec.plan, -1);
        assert_int_equal(r->status, 200 + 100 * i);
        assert_int_equal(r->state, BH_CDR_ENDED);
        assert_int_equal(r->run, 1);
        assert_true(r->started == 1.75e9);
        assert_int_equal(r->tries, i);
        assert_string_equal(r->room, i == 2 ? "r1" : "");
        char want[32];
        snprintf(want, sizeof want, "call-%d@host", i + 1);
        assert_string_equal(r->call_id, want);
        snprintf(want, sizeof want, "n%d", i);
        assert_string_equal(r->number, want);
        assert_string_equal(r->caller, "alice");
        assert_string_equal(r->called, "8800");
    }
    /* The callback stops the walk with its own value. */
    seen.n = 0;
    assert_int_equal(bh_cdr_read(path, NULL, stop_at_two, &seen, NULL), 7);
    assert_int_equal(seen.n, 2);

    /* Not a CDR file: an error with the file's name, never a crash. */
    struct bh_diag d;
    assert_int_equal(
        bh_cdr_read("/nonexistent/x.sqlite", NULL, keep, &seen, &d), BH_EIO);
    assert_string_equal(d.file, "/nonexistent/x.sqlite");
    remove_db(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not SQLite", f);
    fclose(f);
    int rc = bh_cdr_read(path, NULL, keep, &seen, &d);
    assert_true(rc == BH_EPARSE || rc == BH_EIO);
    assert_true(strlen(d.msg) > 0);
    unlink(path);
}

static void
open_fails_cleanly(void **state) {
    struct bh_cdr *c;
    struct bh_diag d;
    assert_int_equal(bh_cdr_open("/nonexistent/dir/x.sqlite", 0, NULL, &c, &d),
                     BH_EIO);
    assert_null(c);
    assert_non_null(strstr(d.msg, "cannot open"));
}

/* Fault: another process holds the write lock (BEGIN IMMEDIATE) while
 * calls end. Nothing is lost: the rows wait in memory, flush backs off,
 * and the rows are written once the lock is gone. */
static void
held_lock_loses_nothing(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    struct bh_cdr *c;
    struct bh_cdr_options o = {.retry_min = 0.1, .retry_max = 0.4};
    assert_int_equal(bh_cdr_open(path, 1.7e9, &o, &c, NULL), 0);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    struct bh_cdr_row row;
    double retry_at = 0, now = 100;
    for (uint64_t id = 1; id <= 120; id++) {
        fill_row(&row, id, BH_OUTCOME_ANSWERED);
        assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
        if (id % 6 == 0) {
            assert_int_equal(bh_cdr_flush(c, now, &retry_at), BH_EAGAIN);
            assert_true(retry_at > now);
            now = retry_at;
        }
    }
    struct bh_cdr_stats st;
    bh_cdr_stats(c, &st);
    assert_int_equal(st.pending, 120);
    assert_int_equal(st.written, 0);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.busy, 20);
    /* Backoff doubles up to retry_max. */
    assert_true(retry_at - 0.4 > 100);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(bh_cdr_flush(c, now, &retry_at), 0);
    bh_cdr_stats(c, &st);
    assert_int_equal(st.written, 120);
    assert_int_equal(st.pending, 0);
    assert_int_equal(count_rows(path, ""), 120);
    /* The store still works after the lock (the old bug: every later
     * BEGIN failed and the rows were rolled back at close). */
    fill_row(&row, 121, BH_OUTCOME_ANSWERED);
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    assert_int_equal(bh_cdr_flush(c, now, NULL), 0);
    uint64_t lost = 99;
    assert_int_equal(bh_cdr_close(c, &lost), 0);
    assert_int_equal(lost, 0);
    assert_int_equal(count_rows(path, ""), 121);
    remove_db(path);
}

/* Fault: the disk is full (RLIMIT_FSIZE below what the next commit needs).
 * The rows stay queued and counted; once space returns they are written. */
static void
full_disk_keeps_rows(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    struct bh_cdr *c;
    assert_int_equal(bh_cdr_open(path, 1.7e9, NULL, &c, NULL), 0);
    struct bh_cdr_row row;
    fill_row(&row, 1, BH_OUTCOME_ANSWERED);
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    assert_int_equal(bh_cdr_flush(c, 0, NULL), 0);

    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)sb.st_size + 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (uint64_t id = 2; id <= 2001; id++) {
        fill_row(&row, id, BH_OUTCOME_ANSWERED);
        assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    }
    double retry_at;
    int rc = bh_cdr_flush(c, 10, &retry_at);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, BH_EAGAIN);
    struct bh_cdr_stats st;
    bh_cdr_stats(c, &st);
    assert_int_equal(st.pending, 2000);
    assert_true(st.full + st.retries >= 1);
    assert_true(strlen(st.last_error) > 0);
    assert_int_equal(bh_cdr_flush(c, retry_at, NULL), 0);
    assert_int_equal(bh_cdr_close(c, NULL), 0);
    assert_int_equal(count_rows(path, ""), 2001);
    remove_db(path);
}

/* Fault: the process dies (no close) with one call up and one ended. The
 * ended row is there; the up one is marked unfinished by the next run, and
 * the next run appends with new ids, keeping the first run's start. */
static void
crash_and_reuse(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct bh_cdr *c;
        if (bh_cdr_open(path, 1000.0, NULL, &c, NULL) < 0)
            _exit(3);
        struct bh_cdr_row row;
        fill_row(&row, 1, BH_OUTCOME_ANSWERED);
        bh_cdr_put(c, &row, BH_CDR_ENDED);
        fill_row(&row, 2, BH_OUTCOME_ANSWERED);
        row.rec.end = -1;
        bh_cdr_put(c, &row, BH_CDR_UP);
        if (bh_cdr_flush(c, 0, NULL) < 0)
            _exit(4);
        kill(getpid(), SIGKILL); /* as kill -9: no close, no atexit */
        _exit(5);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    struct bh_cdr *c;
    assert_int_equal(bh_cdr_open(path, 2000.0, NULL, &c, NULL), 0);
    assert_int_equal(bh_cdr_run(c), 2);
    assert_int_equal(bh_cdr_first_id(c), 3);
    struct bh_cdr_row row;
    fill_row(&row, bh_cdr_first_id(c), BH_OUTCOME_BLOCKED);
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    assert_int_equal(bh_cdr_close(c, NULL), 0);

    struct seen seen = {0};
    double started;
    assert_int_equal(bh_cdr_read(path, &started, keep, &seen, NULL), 0);
    assert_true(started == 1000.0);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.rows[0].state, BH_CDR_ENDED);
    assert_int_equal(seen.rows[1].state, BH_CDR_UNFINISHED);
    assert_int_equal(seen.rows[2].state, BH_CDR_ENDED);
    assert_true(seen.rows[0].started == 1000.0);
    assert_true(seen.rows[1].started == 1000.0);
    assert_true(seen.rows[2].started == 2000.0);
    assert_int_equal(seen.rows[2].run, 2);
    assert_int_equal(seen.rows[2].rec.id, 3);
    remove_db(path);
}

/* SHA-256-free fingerprint: the whole file's bytes. */
static size_t
slurp(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, size, f);
    fclose(f);
    return n;
}

/* A foreign SQLite file is refused untouched, with the reason. */
static void
foreign_file_untouched(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE accounts(id, balance);"
                                  "INSERT INTO accounts VALUES(1, 100);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    static char before[1 << 16], after[1 << 16];
    size_t nb = slurp(path, before, sizeof before);
    struct bh_cdr *c;
    struct bh_diag d;
    assert_int_equal(bh_cdr_open(path, 1.0, NULL, &c, &d), BH_EPARSE);
    assert_null(c);
    assert_non_null(strstr(d.msg, "not a busyhour CDR file"));
    assert_string_equal(d.file, path);
    size_t na = slurp(path, after, sizeof after);
    assert_int_equal(na, nb);
    assert_memory_equal(before, after, nb);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(access(wal, F_OK), -1);
    /* Not SQLite at all: refused too. */
    FILE *f = fopen(path, "w");
    fputs("hello", f);
    fclose(f);
    assert_int_equal(bh_cdr_open(path, 1.0, NULL, &c, &d), BH_EPARSE);
    assert_int_equal(slurp(path, after, sizeof after), 5);
    remove_db(path);
}

/* The queue is bounded: beyond max_pending rows are lost and counted, and
 * close reports the loss. */
static void
bounded_queue(void **state) {
    char path[64];
    temp_path(path, sizeof path);
    struct bh_cdr *c;
    struct bh_cdr_options o = {.max_pending = 10, .close_wait = 0.2};
    assert_int_equal(bh_cdr_open(path, 1.0, &o, &c, NULL), 0);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    struct bh_cdr_row row;
    for (uint64_t id = 1; id <= 10; id++) {
        fill_row(&row, id, BH_OUTCOME_ANSWERED);
        assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), 0);
    }
    fill_row(&row, 11, BH_OUTCOME_ANSWERED);
    assert_int_equal(bh_cdr_put(c, &row, BH_CDR_ENDED), BH_ETOOBIG);
    struct bh_cdr_stats st;
    bh_cdr_stats(c, &st);
    assert_int_equal(st.lost, 1);
    assert_int_equal(st.pending, 10);
    /* The lock is still held at close: close gives up after close_wait
     * and says how many rows were lost. */
    uint64_t lost;
    assert_int_equal(bh_cdr_close(c, &lost), BH_EIO);
    assert_int_equal(lost, 11);
    sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(other);
    remove_db(path);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_committed),
        cmocka_unit_test(row_updated_in_place),
        cmocka_unit_test(rows_read_back),
        cmocka_unit_test(open_fails_cleanly),
        cmocka_unit_test(held_lock_loses_nothing),
        cmocka_unit_test(full_disk_keeps_rows),
        cmocka_unit_test(crash_and_reuse),
        cmocka_unit_test(foreign_file_untouched),
        cmocka_unit_test(bounded_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
