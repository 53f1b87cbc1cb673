/* test_record.c: outcome names, the CSV row, record sinks. */
#include "records.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void
outcome_names(void **state) {
    enum bh_outcome o;
    for (int i = 0; i <= BH_OUTCOME_UNANSWERED; i++) {
        assert_int_equal(bh_outcome_parse(bh_outcome_name(i), &o), 0);
        assert_int_equal((int)o, i);
    }
    assert_int_equal(bh_outcome_parse("nonsense", &o), BH_EINVAL);
    assert_string_equal(bh_outcome_name(99), "unknown");
    /* The names are a contract (CDRs, results, metrics). */
    assert_int_equal(BH_OUTCOME_COUNT, 6);
    assert_string_equal(bh_outcome_name(BH_OUTCOME_ANSWERED), "answered");
    assert_string_equal(bh_outcome_name(BH_OUTCOME_OVERFLOW), "overflow");
    assert_string_equal(bh_outcome_name(BH_OUTCOME_UNANSWERED), "unanswered");
}

static void
csv_row(void **state) {
    struct bh_scenario sc;
    memset(&sc, 0, sizeof sc);
    struct bh_sc_source src;
    memset(&src, 0, sizeof src);
    snprintf(src.name, sizeof src.name, "callers");
    sc.sources = &src;
    sc.nsources = 1;
    struct bh_call_record r = {.id = 7,
                               .replication = 2,
                               .outcome = BH_OUTCOME_ABANDONED,
                               .payer = BH_PAYER_CALLEE,
                               .plan = -1,
                               .attempt = 1,
                               .arrival = 1.5,
                               .answer = 2,
                               .connect = -1,
                               .end = 4.25,
                               .wait = 2.25,
                               .line = 3,
                               .agent = -1,
                               .cost = 1500000};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    bh_call_record_csv_header(f);
    bh_call_record_csv(f, &r, &sc);
    fclose(f);
    const char *row = strchr(buf, '\n') + 1;
    /* Unknown target names print '?', times that did not happen print
     * nothing, cost in currency units. */
    assert_string_equal(row, "2,7,callers,?,0,,,company,0,0,1,0,1.500000,"
                             "2.000000,,4.250000,abandoned,2.250000,0.000000,"
                             "3,-1,1.500000,0\n");
    free(buf);
}

struct counts {
    int begin, record, level, meeting, end;
};

static int
on_begin(void *ctx, int rep) {
    ((struct counts *)ctx)->begin += rep;
    return 0;
}
static void
on_record(void *ctx, struct bh_call_record *rec) {
    ((struct counts *)ctx)->record++;
    rec->cost = 42;
}
static int
on_end(void *ctx, double t) {
    ((struct counts *)ctx)->end++;
    return BH_EIO;
}

static void
sinks(void **state) {
    static const struct bh_record_sink_ops ops = {
        .begin = on_begin, .record = on_record, .end = on_end};
    struct counts n = {0};
    struct bh_record_sink s = {&ops, &n};
    struct bh_call_record r = {0};
    assert_int_equal(bh_sink_begin(s, 3), 0);
    bh_sink_record(s, &r);
    bh_sink_level(s, 0, 0, 1.0, 2, 1); /* not implemented: ignored */
    bh_sink_meeting(s, 0, 1.0, 0);
    assert_int_equal(bh_sink_end(s, 10.0), BH_EIO);
    assert_int_equal(n.begin, 3);
    assert_int_equal(n.record, 1);
    assert_int_equal(n.end, 1);
    assert_int_equal(r.cost, 42);
    /* No sink at all is harmless. */
    struct bh_record_sink none = {0};
    assert_int_equal(bh_sink_begin(none, 0), 0);
    bh_sink_record(none, &r);
    assert_int_equal(bh_sink_end(none, 0), 0);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outcome_names),
        cmocka_unit_test(csv_row),
        cmocka_unit_test(sinks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
