/* test_cdr_rate.c: a switch's CDR file rated with a scenario's tariffs
 * (cdr_rate.c): the rate class of a dialled number (longest dial code, an
 * extension is internal, none), and each row costing what the simulator's
 * record of the same call costs through bh_rater_rate: an ad-hoc leg to a
 * mobile, to an extension, a trunk call whose row names the outside
 * number, a toll-free call, a call still up (left out), an unanswered leg
 * (free) and a leg to a number no code matches (counted, not priced). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char yaml[] =
    "name: cdr-rate\n"
    "start: \"00:00\"\n"
    "switch:\n"
    "  numbers:\n"
    "    - { name: office, number: \"100\", lines: 4, payer: caller }\n"
    "    - { name: hotline, number: \"800\", lines: 4, payer: callee }\n"
    "  accounts: [ { user: \"101\", password: x } ]\n"
    "  extensions: [ { number: \"101\" }, { number: \"102\" } ]\n"
    "traffic:\n"
    "  - { name: c, to: office, rate: 60, holding: 3m }\n"
    "tariffs:\n"
    "  currency: EUR\n"
    "  rates: { internal: 0.05, local: 1.50, mobile: 2.40 }\n"
    "  prefixes: { \"7\": local, \"79\": mobile, \"7495\": local }\n"
    "  outbound: { setup: 0.10, increment: 6s }\n"
    "  toll_free: { per_minute: 0.90, increment: 60s }\n";

static struct bh_scenario *
scenario(void) {
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(yaml, sizeof yaml - 1, "cdr-rate.yaml", &sc, &d);
    if (rc)
        fail_msg("%s", d.msg);
    return sc;
}

static void
test_origin_of(void **state) {
    (void)state;
    struct bh_scenario *sc = scenario();
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    int mobile = bh_rating_origin_of(sc, "79161234567");
    int local = bh_rating_origin_of(sc, "74951234567");
    int internal = bh_rating_origin_of(sc, "102");
    assert_true(mobile >= 0 && local >= 0 && internal >= 0);
    assert_string_equal(tf->origins[mobile], "mobile");
    assert_string_equal(tf->origins[local], "local");
    assert_string_equal(tf->origins[internal], "internal");
    /* "7" matches too; the longest code wins either way round */
    assert_int_equal(bh_rating_origin_of(sc, "73430000000"), local);
    assert_int_equal(bh_rating_origin_of(sc, "4930123456"), -1);
    assert_int_equal(bh_rating_origin_of(sc, ""), -1);
    assert_int_equal(bh_rating_origin_of(sc, NULL), -1);
    bh_scenario_free(sc);
}

/* A row of the switch's: times since the run's start. */
static struct bh_cdr_row
row(uint64_t id, int kind, const char *number, const char *called,
    const char *caller, double answer, double end, int outbound,
    enum bh_outcome o) {
    struct bh_cdr_row r;
    memset(&r, 0, sizeof r);
    r.rec.id = id;
    r.rec.target_kind = (uint8_t)kind;
    r.rec.arrival = answer >= 0 ? answer - 1 : 0;
    r.rec.answer = r.rec.connect = answer;
    r.rec.end = end;
    r.rec.outbound = (uint8_t)outbound;
    r.rec.payer = outbound ? BH_PAYER_CALLEE : BH_PAYER_CALLER;
    r.rec.outcome = (uint8_t)o;
    r.rec.line = r.rec.agent = -1;
    r.rec.plan = -1;
    snprintf(r.number, sizeof r.number, "%s", number);
    snprintf(r.called, sizeof r.called, "%s", called);
    snprintf(r.caller, sizeof r.caller, "%s", caller);
    snprintf(r.call_id, sizeof r.call_id, "call-%llu", (unsigned long long)id);
    r.status = 200;
    return r;
}

/* What the simulator's record of a dial-out leg to `origin` from t0 to t1
 * costs (sim.c's adhoc(): outbound, no plan, the destination's origin). */
static bh_money
sim_leg(const struct bh_scenario *sc, int origin, double t0, double t1) {
    struct bh_rater *r = NULL;
    assert_int_equal(bh_rater_new(sc, &r), 0);
    struct bh_call_record rec;
    memset(&rec, 0, sizeof rec);
    rec.outbound = 1;
    rec.plan = -1;
    rec.origin = (uint16_t)origin;
    rec.arrival = rec.answer = rec.connect = t0;
    rec.end = t1;
    rec.outcome = BH_OUTCOME_ANSWERED;
    bh_money c = bh_rater_rate(r, &rec);
    bh_rater_free(r);
    return c;
}

static void
test_rows_rated_as_the_simulator(void **state) {
    (void)state;
    struct bh_scenario *sc = scenario();
    char dir[] = "/tmp/bh_cdr_rate_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/cdr.sqlite", dir);
    struct bh_cdr *db = NULL;
    assert_int_equal(bh_cdr_open(path, 1.7e9, NULL, &db, NULL), 0);
    uint64_t id = bh_cdr_first_id(db);
    struct bh_cdr_row rows[] = {
        /* ad-hoc legs: a mobile 47.3 s, an extension 12 s */
        row(id, BH_TARGET_TRUNK, "79161234567", "79161234567", "101", 10.0,
            57.3, 1, BH_OUTCOME_ANSWERED),
        row(id + 1, BH_TARGET_EXTENSION, "102", "102", "101", 20.0, 32.0, 1,
            BH_OUTCOME_ANSWERED),
        /* a call forwarded out: the row names the outside number */
        row(id + 2, BH_TARGET_TRUNK, "74951234567", "105", "customer", 5.0,
            65.0, 1, BH_OUTCOME_ANSWERED),
        /* toll-free: 61 s is two minutes at 60 s increments */
        row(id + 3, BH_TARGET_NUMBER, "hotline", "800", "79160000000", 0.0,
            61.0, 0, BH_OUTCOME_ANSWERED),
        /* the dialled party did not answer: free */
        row(id + 4, BH_TARGET_TRUNK, "79161234567", "79161234567", "101", -1,
            30.0, 1, BH_OUTCOME_UNANSWERED),
        /* a number no code matches: counted, not priced */
        row(id + 5, BH_TARGET_TRUNK, "4930123456", "4930123456", "101", 1.0,
            11.0, 1, BH_OUTCOME_ANSWERED),
    };
    size_t n = sizeof rows / sizeof *rows;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bh_cdr_put(db, &rows[i], BH_CDR_ENDED), 0);
    struct bh_cdr_row up = row(id + 6, BH_TARGET_EXTENSION, "102", "102", "101",
                               3.0, -1, 0, BH_OUTCOME_ANSWERED);
    assert_int_equal(bh_cdr_put(db, &up, BH_CDR_UP), 0);
    assert_int_equal(bh_cdr_flush(db, 0, NULL), 0);
    assert_int_equal(bh_cdr_close(db, NULL), 0);

    struct bh_cdr_costs c;
    struct bh_diag d;
    assert_int_equal(bh_cdr_rate(sc, path, &c, &d), 0);
    assert_int_equal(c.rows, n + 1);
    assert_int_equal(c.rated, n);
    assert_int_equal(c.open, 1);
    assert_int_equal(c.unpriced, 1);
    assert_int_equal(c.n, n);

    int mobile = bh_rating_origin_of(sc, "79");
    int local = bh_rating_origin_of(sc, "7495");
    int internal = bh_rating_origin_of(sc, "101");
    /* hand check of one: 48 s, at 6 s steps 48 s, 2.40/min: 1.92 + 0.10 */
    assert_int_equal(c.lines[0].cost, 2020000);
    assert_int_equal(c.lines[0].cost, sim_leg(sc, mobile, 10.0, 57.3));
    assert_int_equal(c.lines[0].seconds, 48);
    assert_int_equal(c.lines[0].payer, BH_PAYER_CALLEE);
    assert_int_equal(c.lines[1].cost, sim_leg(sc, internal, 20.0, 32.0));
    assert_int_equal(c.lines[1].cost, 100000 + 10000); /* 12 s at 0.05 */
    assert_int_equal(c.lines[2].origin, local);
    assert_string_equal(c.lines[2].rated, "74951234567");
    assert_int_equal(c.lines[2].cost, sim_leg(sc, local, 5.0, 65.0));
    assert_int_equal(c.lines[3].cost, 1800000);
    assert_int_equal(c.lines[3].payer, BH_PAYER_CALLEE);
    assert_int_equal(c.lines[4].cost, 0);
    assert_int_equal(c.lines[5].origin, -1);
    assert_int_equal(c.lines[5].cost, 100000); /* the setup only */
    bh_money company = 0;
    for (size_t i = 0; i < n; i++)
        company += c.lines[i].cost;
    assert_int_equal(c.company, company);
    assert_int_equal(c.callers, 0);

    /* the writers: a CSV line per row, the company's total in Markdown */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(bh_cdr_costs_csv(&c, sc, f), 0);
    fclose(f);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, (int)n + 1);
    assert_non_null(strstr(buf, ",company,79161234567,mobile,48,2.020000\n"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(bh_cdr_costs_md(&c, sc, path, f), 0);
    fclose(f);
    char want[64];
    snprintf(want, sizeof want, "| company | %.2f |", (double)company / 1e6);
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "1 calls with talk were not priced"));
    free(buf);

    bh_cdr_costs_clear(&c);
    bh_cdr_costs_clear(NULL);
    /* a scenario without tariffs is refused with the reason */
    struct bh_scenario *bare = scenario();
    bare->tariffs.present = false;
    assert_int_equal(bh_cdr_rate(bare, path, &c, &d), BH_EINVAL);
    assert_non_null(strstr(d.msg, "no tariffs"));
    bh_scenario_free(bare);
    /* not a CDR file */
    assert_int_not_equal(bh_cdr_rate(sc, "/nonexistent/cdr.sqlite", &c, &d), 0);
    unlink(path);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    rmdir(dir);
    bh_scenario_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_origin_of),
        cmocka_unit_test(test_rows_rated_as_the_simulator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
