/* test_cdr.c: CDR rows in SQLite (WAL), written and read back. */
#include "records.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

static void
rows_committed(void **state) {
    char path[] = "/tmp/bh_cdr_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct bh_cdr *c;
    assert_int_equal(bh_cdr_open(path, 1.7e9, &c), 0);
    struct bh_cdr_row row;
    memset(&row, 0, sizeof row);
    row.rec.id = 1;
    row.rec.outcome = BH_OUTCOME_ANSWERED;
    row.rec.arrival = 1.0;
    row.rec.answer = 1.0;
    row.rec.connect = 3.5;
    row.rec.end = 10.0;
    row.rec.wait = 2.5;
    row.rec.talk = 6.5;
    row.rec.line = 0;
    row.rec.agent = 2;
    snprintf(row.number, sizeof row.number, "support");
    snprintf(row.called, sizeof row.called, "88001234567");
    snprintf(row.caller, sizeof row.caller, "sipp");
    snprintf(row.call_id, sizeof row.call_id, "abc@host");
    row.status = 200;
    assert_int_equal(bh_cdr_write(c, &row), 0);
    assert_int_equal(bh_cdr_begin(c), 0);
    row.rec.id = 2;
    row.rec.outcome = BH_OUTCOME_BLOCKED;
    row.rec.line = -1;
    row.status = 486;
    assert_int_equal(bh_cdr_write(c, &row), 0);
    row.rec.id = 3;
    row.rec.outcome = BH_OUTCOME_ABANDONED;
    assert_int_equal(bh_cdr_write(c, &row), 0);
    assert_int_equal(bh_cdr_commit(c), 0);

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
    bh_cdr_close(c);
    bh_cdr_close(NULL);
    unlink(path);
    char aux[sizeof path + 8];
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
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
    char path[] = "/tmp/bh_cdr_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct bh_cdr *c;
    assert_int_equal(bh_cdr_open(path, 1.75e9, &c), 0);
    struct bh_cdr_row row;
    memset(&row, 0, sizeof row);
    const enum bh_outcome oc[3] = {BH_OUTCOME_ANSWERED, BH_OUTCOME_OVERFLOW,
                                   BH_OUTCOME_FAILED};
    for (int i = 0; i < 3; i++) {
        row.rec.id = (uint64_t)(i + 1);
        row.rec.outcome = (uint8_t)oc[i];
        row.rec.target = (uint16_t)i;
        row.rec.arrival = 1.25 * i;
        row.rec.answer = i ? -1 : 1.5;
        row.rec.connect = -1;
        row.rec.end = 9.75;
        row.rec.wait = 0.5 * i;
        row.rec.talk = 0;
        row.rec.line = i - 1;
        row.rec.agent = -1;
        snprintf(row.number, sizeof row.number, "n%d", i);
        snprintf(row.call_id, sizeof row.call_id, "call-%d@h", i);
        snprintf(row.caller, sizeof row.caller, "alice");
        snprintf(row.called, sizeof row.called, "8800");
        row.status = 200 + 100 * i;
        assert_int_equal(bh_cdr_write(c, &row), 0);
    }
    bh_cdr_close(c);

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
        assert_true(r->rec.arrival == 1.25 * i);
        assert_true(r->rec.answer == (i ? -1 : 1.5));
        assert_true(r->rec.wait == 0.5 * i);
        assert_int_equal(r->rec.line, i - 1);
        assert_int_equal(r->rec.plan, -1);
        assert_int_equal(r->status, 200 + 100 * i);
        char want[32];
        snprintf(want, sizeof want, "call-%d@h", i);
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
    assert_int_equal(bh_cdr_open("/nonexistent/dir/x.sqlite", 0, &c), BH_EIO);
    assert_null(c);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_committed),
        cmocka_unit_test(rows_read_back),
        cmocka_unit_test(open_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
