/* test_cdr.c: CDR rows in SQLite (WAL), and the metrics renderers. */
#include "switch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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
    struct bh_switch_cdr *c;
    assert_int_equal(bh_switch_cdr_open(path, 1.7e9, &c), 0);
    struct bh_switch_cdr_row row;
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
    assert_int_equal(bh_switch_cdr_write(c, &row), 0);
    assert_int_equal(bh_switch_cdr_begin(c), 0);
    row.rec.id = 2;
    row.rec.outcome = BH_OUTCOME_BLOCKED;
    row.rec.line = -1;
    row.status = 486;
    assert_int_equal(bh_switch_cdr_write(c, &row), 0);
    row.rec.id = 3;
    row.rec.outcome = BH_OUTCOME_ABANDONED;
    assert_int_equal(bh_switch_cdr_write(c, &row), 0);
    assert_int_equal(bh_switch_cdr_commit(c), 0);

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
    bh_switch_cdr_close(c);
    bh_switch_cdr_close(NULL);
    unlink(path);
    char aux[sizeof path + 8];
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

static void
open_fails_cleanly(void **state) {
    struct bh_switch_cdr *c;
    assert_int_equal(bh_switch_cdr_open("/nonexistent/dir/x.sqlite", 0, &c),
                     BH_EIO);
    assert_null(c);
}

static void
metrics_text(void **state) {
    struct bh_switch_metrics m;
    memset(&m, 0, sizeof m);
    m.requests_in[BH_SWITCH_M_INVITE] = 8;
    m.responses_out[486] = 3;
    m.outcomes[BH_OUTCOME_ANSWERED] = 5;
    m.parse_errors = 1;
    struct bh_switch_number_view nv = {"sup\"port", "8800", 5, 4,
                                       true,        2,      3, 1};
    char buf[16384];
    size_t n = bh_switch_metrics_prometheus(&m, &nv, 1, buf, sizeof buf);
    assert_true(n < sizeof buf);
    assert_non_null(strstr(buf, "bh_switch_lines_busy{number=\"sup\\\"port\"}"
                                " 4\n"));
    assert_non_null(strstr(buf, "bh_switch_queue_length{number=\"sup\\\""
                                "port\"} 2\n"));
    assert_non_null(strstr(buf, "bh_switch_operators_free{number=\"sup\\\""
                                "port\"} 1\n"));
    assert_non_null(strstr(buf, "bh_switch_calls_total{outcome=\"answered\"}"
                                " 5\n"));
    assert_non_null(strstr(buf, "{method=\"INVITE\",dir=\"in\"} 8\n"));
    assert_non_null(strstr(buf, "{status=\"486\",dir=\"out\"} 3\n"));
    assert_non_null(strstr(buf, "bh_switch_sip_parse_errors_total 1\n"));
    /* Truncation reports the size needed and stays terminated. */
    char small[64];
    size_t need = bh_switch_metrics_prometheus(&m, &nv, 1, small, sizeof small);
    assert_int_equal(need, n);
    assert_int_equal(strlen(small), sizeof small - 1);
    n = bh_switch_metrics_json(&m, &nv, 1, 12.5, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"name\":\"sup\\\"port\""));
    assert_non_null(strstr(buf, "\"answered\":5"));
    assert_int_equal(bh_switch_method_from(BH_STR_LIT("BYE")), BH_SWITCH_M_BYE);
    assert_int_equal(bh_switch_method_from(BH_STR_LIT("bye")),
                     BH_SWITCH_M_OTHER);
    assert_string_equal(bh_switch_outcome_name(BH_OUTCOME_OVERFLOW),
                        "overflow");
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_committed),
        cmocka_unit_test(open_fails_cleanly),
        cmocka_unit_test(metrics_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
