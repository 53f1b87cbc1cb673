/* test_rating.c: hand-computed bills, exact to the micro-unit: billing
 * increments and minimums, setup fees, rounding, toll-free, bundles that
 * run out mid-call, dial-out legs, time bands, line rental, flat plans,
 * blocked attempts, the provider view, and costs across replications. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cmocka's float assertion works in float; figures here need double. */
#define assert_near(a, b, eps)                                                 \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(fabs(a_ - b_) <= (eps)))                                         \
            fail_msg("%.17g != %.17g", a_, b_);                                \
    } while (0)

enum { LOCAL, LONGDIST, MOBILE, INTL };
enum { METERED, PERSEC, P306, BUNDLE, FLAT, ATTEMPTFEE, DAYBUNDLE };
enum { SRC_CITY, SRC_HOTLINE, SRC_MEET, SRC_CAMPAIGN };
enum { NUM_CITY, NUM_HOTLINE };

/* Two numbers (city: caller pays, 10 lines; hotline: toll-free, 30 lines),
 * one bridge (caller pays, 120 ports), four sources, the tariffs of the
 * scenario format's example plus a few more plans. The horizon starts at
 * midnight. */
static struct bh_scenario *
make_scenario(void) {
    struct bh_scenario *sc = calloc(1, sizeof *sc);
    assert_non_null(sc);
    strcpy(sc->name, "rating-test");
    sc->horizon = 86400;
    sc->interval = 900;
    sc->start = 0;
    sc->sw.nnumbers = 2;
    sc->sw.numbers = calloc(2, sizeof *sc->sw.numbers);
    assert_non_null(sc->sw.numbers);
    strcpy(sc->sw.numbers[NUM_CITY].name, "city");
    sc->sw.numbers[NUM_CITY].lines = 10;
    sc->sw.numbers[NUM_CITY].payer = BH_PAYER_CALLER;
    strcpy(sc->sw.numbers[NUM_HOTLINE].name, "hotline");
    sc->sw.numbers[NUM_HOTLINE].lines = 30;
    sc->sw.numbers[NUM_HOTLINE].payer = BH_PAYER_CALLEE;
    sc->sw.nbridges = 1;
    sc->sw.bridges = calloc(1, sizeof *sc->sw.bridges);
    assert_non_null(sc->sw.bridges);
    strcpy(sc->sw.bridges[0].name, "conf");
    sc->sw.bridges[0].ports = 120;
    sc->sw.bridges[0].payer = BH_PAYER_CALLER;

    sc->nsources = 4;
    sc->sources = calloc(4, sizeof *sc->sources);
    assert_non_null(sc->sources);
    const char *names[] = {"city-callers", "hotline-callers", "team-meetings",
                           "dialer"};
    for (int i = 0; i < 4; i++)
        strcpy(sc->sources[i].name, names[i]);

    struct bh_sc_tariffs *tf = &sc->tariffs;
    tf->present = true;
    strcpy(tf->currency, "EUR");
    tf->norigins = 4;
    strcpy(tf->origins[LOCAL], "local");
    strcpy(tf->origins[LONGDIST], "long-distance");
    strcpy(tf->origins[MOBILE], "mobile");
    strcpy(tf->origins[INTL], "international");
    tf->rate[LOCAL] = 20000;    /* 0.02 per minute */
    tf->rate[LONGDIST] = 90000; /* 0.09 */
    tf->rate[MOBILE] = 120000;  /* 0.12 */
    tf->rate[INTL] = 450000;    /* 0.45 */
    tf->nplans = 7;
    tf->plans = calloc(7, sizeof *tf->plans);
    assert_non_null(tf->plans);
    struct bh_sc_plan *p = tf->plans;
    strcpy(p[METERED].name, "metered"); /* 60/60 */
    p[METERED].increment = 60;
    p[METERED].minimum = 60;
    p[METERED].then = -1;
    strcpy(p[PERSEC].name, "per-second"); /* 1/1 */
    p[PERSEC].increment = 1;
    p[PERSEC].minimum = 0;
    p[PERSEC].then = -1;
    strcpy(p[P306].name, "thirty-six"); /* 30/6 with a 0.05 setup */
    p[P306].increment = 6;
    p[P306].minimum = 30;
    p[P306].setup = 50000;
    p[P306].then = -1;
    strcpy(p[BUNDLE].name, "bundle"); /* 10 min a month, then metered */
    p[BUNDLE].bundle = true;
    p[BUNDLE].allowance = 600;
    p[BUNDLE].period = BH_PERIOD_MONTH;
    p[BUNDLE].increment = 60;
    p[BUNDLE].minimum = 60;
    p[BUNDLE].then = METERED;
    strcpy(p[FLAT].name, "flat");
    p[FLAT].has_per_minute = true;
    p[FLAT].per_minute = 0;
    p[FLAT].increment = 1;
    p[FLAT].then = -1;
    strcpy(p[ATTEMPTFEE].name, "attempt-fee");
    p[ATTEMPTFEE].increment = 60;
    p[ATTEMPTFEE].minimum = 60;
    p[ATTEMPTFEE].setup = 50000;
    p[ATTEMPTFEE].setup_on_attempt = true;
    p[ATTEMPTFEE].then = -1;
    strcpy(p[DAYBUNDLE].name, "day-bundle"); /* 2 min a day, per second */
    p[DAYBUNDLE].bundle = true;
    p[DAYBUNDLE].allowance = 120;
    p[DAYBUNDLE].period = BH_PERIOD_DAY;
    p[DAYBUNDLE].increment = 1;
    p[DAYBUNDLE].then = -1;

    tf->toll_free_per_minute = 35000; /* 0.035, 1 s increment */
    tf->toll_free_increment = 1;
    tf->toll_free_minimum = 0;
    tf->outbound_setup = 100000; /* 0.10 per answered outgoing call */
    tf->outbound_increment = 60;
    tf->per_line_month = 8500000; /* 8.50 */
    tf->termination_per_minute = 0;
    return sc;
}

static void
free_scenario(struct bh_scenario *sc) {
    free(sc->sw.numbers);
    free(sc->sw.bridges);
    free(sc->sources);
    free(sc->tariffs.plans);
    free(sc->tariffs.bands);
    free(sc);
}

/* An answered inbound call to the city number: answered at t0 (s), lasting
 * dur (s) from the switch's answer. */
static struct bh_call_record
call(int origin, int plan, double t0, double dur) {
    struct bh_call_record r;
    memset(&r, 0, sizeof r);
    r.source = SRC_CITY;
    r.target_kind = BH_TARGET_NUMBER;
    r.target = NUM_CITY;
    r.origin = (uint16_t)origin;
    r.plan = (int16_t)plan;
    r.attempt = 1;
    r.outcome = BH_OUTCOME_ANSWERED;
    r.arrival = t0;
    r.answer = t0;
    r.connect = t0;
    r.end = t0 + dur;
    r.talk = dur;
    r.line = 0;
    r.agent = -1;
    return r;
}

static struct bh_call_record
blocked(int origin, int plan, double t) {
    struct bh_call_record r = call(origin, plan, t, 0);
    r.outcome = BH_OUTCOME_BLOCKED;
    r.answer = r.connect = -1;
    r.end = t;
    r.talk = 0;
    r.line = -1;
    return r;
}

struct fixture {
    struct bh_scenario *sc;
    struct bh_rater *r;
};

static int
setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->sc = make_scenario();
    if (bh_rater_new(f->sc, &f->r) != 0)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state) {
    struct fixture *f = *state;
    bh_rater_free(f->r);
    free_scenario(f->sc);
    free(f);
    return 0;
}

static bh_money
rate(struct fixture *f, struct bh_call_record rec) {
    return bh_rater_rate(f->r, &rec);
}

/* The rater reads the tariffs when it is made: after a test changes them,
 * a new one. */
static void
renew(struct fixture *f) {
    bh_rater_free(f->r);
    f->r = NULL;
    assert_int_equal(bh_rater_new(f->sc, &f->r), 0);
}

static void
test_building_blocks(void **state) {
    (void)state;
    /* 60/60 */
    assert_int_equal(bh_rating_billed_seconds(61, 60, 60), 120);
    assert_int_equal(bh_rating_billed_seconds(60, 60, 60), 60);
    assert_int_equal(bh_rating_billed_seconds(1, 60, 60), 60);
    /* 30/6: first 30 s as a block, then 6 s steps */
    assert_int_equal(bh_rating_billed_seconds(10, 30, 6), 30);
    assert_int_equal(bh_rating_billed_seconds(31, 30, 6), 36);
    assert_int_equal(bh_rating_billed_seconds(36, 30, 6), 36);
    assert_int_equal(bh_rating_billed_seconds(37, 30, 6), 42);
    /* a minimum that is not a multiple of the increment: 45/60 */
    assert_int_equal(bh_rating_billed_seconds(50, 45, 60), 105);
    /* 1/1, and a zero increment read as 1 s */
    assert_int_equal(bh_rating_billed_seconds(61, 0, 1), 61);
    assert_int_equal(bh_rating_billed_seconds(61, 0, 0), 61);
    assert_int_equal(bh_rating_billed_seconds(0, 0, 60), 0);
    /* price: per-minute x s / 60, half up to the micro-unit */
    assert_int_equal(bh_rating_price(20000, 120), 40000);
    assert_int_equal(bh_rating_price(50, 3), 3);      /* 2.5 -> 3 */
    assert_int_equal(bh_rating_price(10, 3), 1);      /* 0.5 -> 1 */
    assert_int_equal(bh_rating_price(10, 2), 0);      /* 0.33 -> 0 */
    assert_int_equal(bh_rating_price(50, 1), 1);      /* 0.83 -> 1 */
    assert_int_equal(bh_rating_price(35000, 1), 583); /* 583.33 -> 583 */
    assert_int_equal(bh_rating_price(0, 1000), 0);
}

/* Bill 1: 60/60 rounds a 61 s local call up to two minutes: 2 x 0.02. */
static void
test_bill_60_60(void **state) {
    struct fixture *f = *state;
    assert_int_equal(rate(f, call(LOCAL, METERED, 100, 61)), 40000);
    /* Bill 2: the 60 s minimum: a 5 s call pays one minute. */
    assert_int_equal(rate(f, call(LOCAL, METERED, 200, 5)), 20000);
    /* Floating-point noise is not a second: 60.0000000001 s = 60 s. */
    assert_int_equal(rate(f, call(LOCAL, METERED, 1.1, 60.0000000001)), 20000);
}

/* Bill 3: 1/1 bills 61 s of long distance: 0.09 x 61 / 60 = 0.0915. */
static void
test_bill_per_second(void **state) {
    struct fixture *f = *state;
    assert_int_equal(rate(f, call(LONGDIST, PERSEC, 0, 61)), 91500);
    /* 60.2 s rounds up to 61 s */
    assert_int_equal(rate(f, call(LONGDIST, PERSEC, 0, 60.2)), 91500);
}

/* Bill 4: 30/6 with a 0.05 setup, mobile 0.12/min:
 * 31 s -> 36 s -> 0.072 + 0.05 = 0.122; 10 s -> 30 s -> 0.06 + 0.05. */
static void
test_bill_30_6_setup(void **state) {
    struct fixture *f = *state;
    assert_int_equal(rate(f, call(MOBILE, P306, 0, 31)), 122000);
    assert_int_equal(rate(f, call(MOBILE, P306, 0, 10)), 110000);
}

/* Bill 5: toll-free: the company pays 0.035/min per second for 251 s
 * (250.4 s rounded up): 0.035 x 251 / 60 = 0.1464166.. -> 0.146417; the
 * caller pays nothing, whatever their plan. */
static void
test_bill_toll_free(void **state) {
    struct fixture *f = *state;
    struct bh_call_record r = call(MOBILE, METERED, 100, 250.4);
    r.source = SRC_HOTLINE;
    r.target = NUM_HOTLINE;
    assert_int_equal(bh_rater_rate(f->r, &r), 146417);
    assert_int_equal(r.cost, 146417);
    assert_int_equal(r.payer, BH_PAYER_CALLEE);
    struct bh_bill b;
    bh_rater_bill(f->r, 0, &b);
    assert_int_equal(b.callers, 0);
    assert_int_equal(b.company, 146417);
    assert_int_equal(b.total, 146417);
}

/* Bill 6: a 10-minute monthly bundle counted in whole minutes, then the
 * 60/60 metered plan at the mobile rate 0.12:
 *   call 1, 420 s: 7 min of the 10, free;
 *   call 2, 250 s: bills 5 min but 3 are left: the first 180 s are
 *     included, the remaining 70 s continue on metered with its 60 s
 *     increment and no new minimum: 120 s -> 0.24;
 *   call 3, 30 s: allowance gone, all on metered with its minimum: 0.12;
 *   another subscriber's 30 s call is inside their own allowance: free. */
static void
test_bill_bundle_crossing(void **state) {
    struct fixture *f = *state;
    struct bh_call_record r = call(MOBILE, BUNDLE, 1000, 420);
    r.subscriber = 7;
    assert_int_equal(rate(f, r), 0);
    r = call(MOBILE, BUNDLE, 5000, 250);
    r.subscriber = 7;
    assert_int_equal(rate(f, r), 240000);
    r = call(MOBILE, BUNDLE, 9000, 30);
    r.subscriber = 7;
    assert_int_equal(rate(f, r), 120000);
    r = call(MOBILE, BUNDLE, 9000, 30);
    r.subscriber = 8;
    assert_int_equal(rate(f, r), 0);
    /* The same subscriber number in another caller class is someone
     * else. */
    r = call(MOBILE, BUNDLE, 9500, 30);
    r.subscriber = 7;
    r.caller_class = 1;
    assert_int_equal(rate(f, r), 0);
    /* 30 days later a new month brings a new allowance. */
    r = call(MOBILE, BUNDLE, 30 * 86400.0 + 10, 30);
    r.subscriber = 7;
    assert_int_equal(rate(f, r), 0);
    struct bh_bill b;
    bh_rater_bill(f->r, 0, &b);
    assert_int_equal(b.callers, 360000);
}

/* Bill 7: a daily bundle with no `then` plan: 120 s a day per second;
 * a 200 s call uses 120 s, the 80 s rest at the origin rate (local 0.02)
 * with the bundle's 1 s increment: 0.02 x 80 / 60 = 0.026667 (half up);
 * the next day the allowance is fresh. */
static void
test_bill_day_bundle_no_then(void **state) {
    struct fixture *f = *state;
    struct bh_call_record r = call(LOCAL, DAYBUNDLE, 3600, 200);
    r.subscriber = 1;
    assert_int_equal(rate(f, r), 26667);
    r = call(LOCAL, DAYBUNDLE, 7200, 30);
    r.subscriber = 1;
    assert_int_equal(rate(f, r), 10000); /* 30 s x 0.02 / 60 */
    r = call(LOCAL, DAYBUNDLE, 86400 + 3600, 100);
    r.subscriber = 1;
    assert_int_equal(rate(f, r), 0);
}

/* Bill 8: dial-out legs (seed 004) and a campaign: the company pays
 * per-origin rates with the outbound 60 s increment (and minimum) and a
 * 0.10 setup per answered call: international 61 s -> 120 s -> 0.90 +
 * 0.10 = 1.00; mobile 20 s -> 60 s -> 0.12 + 0.10. An unanswered attempt
 * is free. */
static void
test_bill_dial_out(void **state) {
    struct fixture *f = *state;
    struct bh_call_record r = call(INTL, -1, 500, 61);
    r.outbound = 1;
    r.meeting = 3; /* a party added to an ad-hoc conference */
    assert_int_equal(bh_rater_rate(f->r, &r), 1000000);
    assert_int_equal(r.payer, BH_PAYER_CALLEE);
    r = call(MOBILE, -1, 600, 20);
    r.source = SRC_CAMPAIGN;
    r.outbound = 1;
    r.answer = -1; /* only the connect is known */
    assert_int_equal(rate(f, r), 220000);
    r = call(MOBILE, -1, 700, 0);
    r.source = SRC_CAMPAIGN;
    r.outbound = 1;
    r.outcome = BH_OUTCOME_UNANSWERED;
    r.answer = r.connect = -1;
    assert_int_equal(rate(f, r), 0);
    struct bh_bill b;
    bh_rater_bill(f->r, 0, &b);
    assert_int_equal(b.company, 1220000);
    assert_int_equal(b.callers, 0);
    assert_int_equal(b.participants, 1); /* the added party */
    assert_int_equal(b.participants_cost, 1000000);
}

/* Bill 9: time bands: off-peak 18:00-08:00 (wrapping midnight) at 0.03
 * for long distance, mobile unchanged. The band at the start of the billed
 * time rates the whole call: a 120 s per-second call answered at 07:59:30
 * is off-peak (0.06) though it ends at peak; at 08:00:00 it is peak
 * (0.18); at 23:00 off-peak; mobile keeps 0.12 in the band (rate -1). */
static void
test_bill_time_bands(void **state) {
    struct fixture *f = *state;
    struct bh_sc_tariffs *tf = &f->sc->tariffs;
    tf->nbands = 1;
    tf->bands = calloc(1, sizeof *tf->bands);
    assert_non_null(tf->bands);
    strcpy(tf->bands[0].name, "off-peak");
    tf->bands[0].from = 18 * 3600;
    tf->bands[0].to = 8 * 3600;
    for (int i = 0; i < BH_SC_MAX_ITEMS / 8; i++)
        tf->bands[0].rate[i] = -1;
    tf->bands[0].rate[LONGDIST] = 30000;
    renew(f);
    assert_int_equal(
        rate(f, call(LONGDIST, PERSEC, 7 * 3600 + 59 * 60 + 30, 120)), 60000);
    assert_int_equal(rate(f, call(LONGDIST, PERSEC, 8 * 3600, 120)), 180000);
    assert_int_equal(rate(f, call(LONGDIST, PERSEC, 23 * 3600, 120)), 60000);
    assert_int_equal(rate(f, call(MOBILE, PERSEC, 23 * 3600, 120)), 240000);
    /* The horizon's start shifts the clock: starting at 06:00, t = 3 h is
     * 09:00, peak. */
    f->sc->start = 6 * 3600;
    renew(f);
    assert_int_equal(rate(f, call(LONGDIST, PERSEC, 3 * 3600, 120)), 180000);
    /* Outbound calls follow bands too: 61 s -> 120 s at 0.03 + 0.10. */
    struct bh_call_record r = call(LONGDIST, -1, 14 * 3600, 61);
    r.outbound = 1;
    assert_int_equal(rate(f, r), 160000);
}

/* Bill 10: line rental: 10 + 30 lines and 120 ports at 8.50 a month (30
 * days): a 30-day horizon costs 160 x 8.50 = 1360.00; a 1-day horizon
 * 1360 / 30 = 45.333333 (half up to the micro-unit). */
static void
test_bill_line_rental(void **state) {
    struct fixture *f = *state;
    struct bh_bill b;
    bh_rater_bill(f->r, 30 * 86400.0, &b);
    assert_int_equal(b.line_rental, 1360000000);
    assert_int_equal(b.company, 1360000000);
    assert_int_equal(b.total, 1360000000);
    bh_rater_bill(f->r, 86400, &b);
    assert_int_equal(b.line_rental, 45333333);
    /* 8 h: 1360 / 90 = 15.111111 */
    bh_rater_bill(f->r, 8 * 3600, &b);
    assert_int_equal(b.line_rental, 15111111);
}

/* Bill 11: blocked attempts cost nothing, unless the plan charges its
 * setup on attempts (0.05); a flat plan pays nothing for a long call. */
static void
test_bill_attempts_and_flat(void **state) {
    struct fixture *f = *state;
    assert_int_equal(rate(f, blocked(LOCAL, METERED, 10)), 0);
    assert_int_equal(rate(f, blocked(LOCAL, ATTEMPTFEE, 10)), 50000);
    /* answered on that plan: setup + 60/60: 0.05 + 0.02 */
    assert_int_equal(rate(f, call(LOCAL, ATTEMPTFEE, 10, 59)), 70000);
    /* a toll-free blocked attempt: nothing for anyone */
    struct bh_call_record r = blocked(LOCAL, ATTEMPTFEE, 10);
    r.source = SRC_HOTLINE;
    r.target = NUM_HOTLINE;
    assert_int_equal(rate(f, r), 0);
    assert_int_equal(rate(f, call(INTL, FLAT, 0, 3 * 3600)), 0);
    struct bh_bill b;
    bh_rater_bill(f->r, 0, &b);
    assert_int_equal(b.calls, 5);
    assert_int_equal(b.callers, 120000);
}

/* Bill 12: a free conference (seed 000): three participants pay their own
 * long-distance calls: 45 min metered (4.05), 44 min 10 s metered (45 min:
 * 4.05), one on a mobile bundle (10 of 45 min included, 35 min metered at
 * 0.12 = 4.20). The provider earns 0.01/min terminated: 45 + 44.1667 ->
 * 2700 s + 2650 s + 2700 s = 8050 s -> 0.01 x 8050 / 60 = 1.341667 summed
 * per call: 0.45 + 0.441667 + 0.45 = 1.341667. The queue's waiting time of
 * the abandoned caller (answered by the switch, 40 s in the IVR) is paid
 * by them. */
static void
test_bill_free_conference(void **state) {
    struct fixture *f = *state;
    f->sc->tariffs.termination_per_minute = 10000;
    renew(f);
    struct bh_call_record r = call(LONGDIST, METERED, 32400, 2700);
    r.source = SRC_MEET;
    r.target_kind = BH_TARGET_BRIDGE;
    r.target = 0;
    r.meeting = 1;
    assert_int_equal(rate(f, r), 4050000);
    r.end = r.answer + 2650;
    assert_int_equal(rate(f, r), 4050000);
    r.origin = MOBILE;
    r.plan = BUNDLE;
    r.subscriber = 3;
    r.end = r.answer + 2700;
    assert_int_equal(rate(f, r), 4200000);
    /* abandoned in the IVR after 40 s: 60/60 -> one minute of 0.02 */
    struct bh_call_record a = call(LOCAL, METERED, 100, 40);
    a.outcome = BH_OUTCOME_ABANDONED;
    a.connect = -1;
    assert_int_equal(rate(f, a), 20000);
    struct bh_bill b;
    bh_rater_bill(f->r, 86400, &b);
    assert_int_equal(b.callers, 4050000 * 2 + 4200000 + 20000);
    assert_int_equal(b.provider_revenue, 450000 + 441667 + 450000);
    assert_int_equal(b.participants, 3);
    assert_int_equal(b.participants_cost, 12300000);
    assert_int_equal(b.calls, 4);
    /* company = line rental only: 45.333333 */
    assert_int_equal(b.company, 45333333);
    assert_int_equal(b.total, 12320000 + 45333333);
}

/* Classes: each record lands in its (source, origin, plan, payer) slot. */
static void
test_bill_classes(void **state) {
    struct fixture *f = *state;
    rate(f, call(LOCAL, METERED, 0, 61));  /* 0.04 */
    rate(f, call(LOCAL, METERED, 0, 120)); /* 0.04 */
    struct bh_call_record r = call(MOBILE, METERED, 0, 60);
    r.source = SRC_HOTLINE;
    r.target = NUM_HOTLINE; /* toll-free 0.035 */
    rate(f, r);
    struct bh_bill b;
    bh_rater_bill(f->r, 0, &b);
    assert_int_equal(b.nclasses, bh_rater_nclasses(f->sc));
    int seen = 0;
    for (size_t i = 0; i < b.nclasses; i++) {
        if (!b.class_calls[i])
            continue;
        struct bh_rating_class c;
        assert_int_equal(bh_rater_class(f->sc, i, &c), 0);
        if (strcmp(c.source, "city-callers") == 0) {
            assert_string_equal(c.origin, "local");
            assert_string_equal(c.plan, "metered");
            assert_int_equal(c.payer, BH_PAYER_CALLER);
            assert_int_equal(b.class_calls[i], 2);
            assert_int_equal(b.class_total[i], 80000);
            seen |= 1;
        } else {
            assert_string_equal(c.source, "hotline-callers");
            assert_string_equal(c.origin, "mobile");
            assert_int_equal(c.payer, BH_PAYER_CALLEE);
            assert_int_equal(b.class_total[i], 35000);
            seen |= 2;
        }
    }
    assert_int_equal(seen, 3);
    struct bh_rating_class c;
    assert_int_equal(bh_rater_class(f->sc, b.nclasses, &c), BH_ERANGE);
    /* Out-of-range indices in a record go to the "other" slot, no crash. */
    r = call(LOCAL, 99, 0, 60);
    r.origin = 77;
    rate(f, r);
    bh_rater_bill(f->r, 0, &b);
    assert_int_equal(b.class_calls[b.nclasses - 1], 1);
}

/* Across replications: bills of 2.00 and 6.00 (100 and 300 one-minute
 * local calls, a day each, plus one free blocked attempt): mean 4.00, sd
 * 2 sqrt 2, t(0.975, 1) = 12.7062 gives 4 +- 12.7062 x 2; per call is the
 * mean of 2/101 and 6/301; per month = mean total x 30. */
static void
test_cost_acc(void **state) {
    struct fixture *f = *state;
    f->sc->tariffs.per_line_month = 0;
    struct bh_cost_acc *acc;
    assert_int_equal(bh_cost_acc_new(f->sc, &acc), 0);
    for (int rep = 0; rep < 2; rep++) {
        struct bh_rater *r;
        assert_int_equal(bh_rater_new(f->sc, &r), 0);
        int n = rep ? 300 : 100;
        for (int i = 0; i < n; i++) {
            struct bh_call_record c = call(LOCAL, METERED, i * 10.0, 30);
            assert_int_equal(bh_rater_rate(r, &c), 20000);
        }
        struct bh_call_record c = call(LOCAL, METERED, 0, 30);
        c.outcome = BH_OUTCOME_BLOCKED;
        c.answer = c.connect = -1;
        bh_rater_rate(r, &c); /* free, but an offered call */
        struct bh_bill b;
        bh_rater_bill(r, 86400, &b);
        bh_cost_acc_add(acc, &b);
        bh_rater_free(r);
    }
    struct bh_costs costs;
    assert_int_equal(bh_cost_acc_results(acc, &costs), 0);
    assert_true(costs.present);
    assert_string_equal(costs.currency, "EUR");
    assert_near(costs.total.mean, 4.0, 1e-12);
    assert_near(costs.total.hi - costs.total.mean, 2 * 12.7062047, 1e-6);
    assert_near(costs.callers.mean, 4.0, 1e-12);
    assert_near(costs.company.mean, 0, 1e-12);
    assert_near(costs.per_call.mean, (2.0 / 101 + 6.0 / 301) / 2, 1e-12);
    assert_near(costs.per_month.mean, 120.0, 1e-9);
    assert_true(isnan(costs.per_participant.mean)); /* no participants */
    assert_int_equal(costs.nclasses, 1);
    assert_string_equal(costs.classes[0].source, "city-callers");
    assert_string_equal(costs.classes[0].payer, "callers");
    assert_near(costs.classes[0].calls.mean, 201, 1e-12);
    free(costs.classes);
    free(costs.targets);
    bh_cost_acc_free(acc);

    /* No tariffs: no costs block. */
    f->sc->tariffs.present = false;
    assert_int_equal(bh_cost_acc_new(f->sc, &acc), 0);
    assert_int_equal(bh_cost_acc_results(acc, &costs), 0);
    assert_false(costs.present);
    bh_cost_acc_free(acc);
    bh_rater_free(NULL);
    bh_cost_acc_free(NULL);
}

/* Bill 13: chained bundles: 1 min a day (per second), then 2 min a week
 * (per second), then metered 60/60 at the local rate 0.02:
 *   200 s: 60 s on the day bundle, 120 s of the 140 s rest on the week
 *     bundle, the last 20 s continue on metered: one increment, 0.02;
 *   30 s the same day: both bundles used up, metered with its minimum:
 *     0.02;
 *   30 s the next day: a fresh day allowance: free;
 *   90 s a week later: 60 s on the day bundle, 30 s on a fresh week
 *     bundle: free. */
static void
test_bill_chained_bundles(void **state) {
    struct fixture *f = *state;
    struct bh_sc_tariffs *tf = &f->sc->tariffs;
    struct bh_sc_plan *p = realloc(tf->plans, 9 * sizeof *p);
    assert_non_null(p);
    tf->plans = p;
    tf->nplans = 9;
    memset(&p[7], 0, 2 * sizeof *p);
    strcpy(p[7].name, "daily");
    p[7].bundle = true;
    p[7].allowance = 60;
    p[7].period = BH_PERIOD_DAY;
    p[7].increment = 1;
    p[7].then = 8;
    strcpy(p[8].name, "weekly");
    p[8].bundle = true;
    p[8].allowance = 120;
    p[8].period = BH_PERIOD_WEEK;
    p[8].increment = 1;
    p[8].then = METERED;
    renew(f);
    struct bh_call_record r = call(LOCAL, 7, 3600, 200);
    assert_int_equal(rate(f, r), 20000);
    r = call(LOCAL, 7, 7200, 30);
    assert_int_equal(rate(f, r), 20000);
    r = call(LOCAL, 7, 86400 + 3600, 30);
    assert_int_equal(rate(f, r), 0);
    r = call(LOCAL, 7, 7 * 86400 + 3600, 90);
    assert_int_equal(rate(f, r), 0);
    /* A band with from == to covers the whole day. */
    tf->nbands = 1;
    tf->bands = calloc(1, sizeof *tf->bands);
    assert_non_null(tf->bands);
    for (int i = 0; i < BH_SC_MAX_ITEMS / 8; i++)
        tf->bands[0].rate[i] = -1;
    tf->bands[0].from = tf->bands[0].to = 6 * 3600;
    tf->bands[0].rate[INTL] = 300000;
    renew(f);
    assert_int_equal(rate(f, call(INTL, PERSEC, 3 * 3600, 60)), 300000);
    assert_int_equal(rate(f, call(INTL, PERSEC, 20 * 3600, 60)), 300000);
}

/* A small generator for the test below (fixed sequence). */
static uint64_t
next_u(uint64_t *x) {
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/* The rater prices a known source's calls by a card worked out when it is
 * made, keeps their bundle allowances by subscriber number, and caches
 * each origin's rate between band ends; records of an unknown source take
 * the general path, with the allowance table and no card. 20,000 random
 * calls (every plan, origin and class, blocked ones, bands, a start at
 * 06:00, 40 days so that day, week and month periods turn, times that go
 * back now and then across a period's end) cost the same both ways to the
 * micro-unit, and the same again on a new rater for each call (cold
 * caches, no allowances: plans without a bundle only). */
static void
test_card_path_same_price(void **state) {
    struct fixture *f = *state;
    struct bh_scenario *sc = f->sc;
    struct bh_sc_tariffs *tf = &sc->tariffs;
    struct bh_sc_class cls[2] = {{.share = 0.5, .subscribers = 40},
                                 {.share = 0.5, .subscribers = 7}};
    sc->sources[SRC_CITY].classes = cls;
    sc->sources[SRC_CITY].nclasses = 2;
    tf->nbands = 2;
    tf->bands = calloc(2, sizeof *tf->bands);
    assert_non_null(tf->bands);
    for (int i = 0; i < BH_SC_MAX_ITEMS / 8; i++)
        tf->bands[0].rate[i] = tf->bands[1].rate[i] = -1;
    tf->bands[0].from = 18 * 3600; /* evening, across midnight */
    tf->bands[0].to = 8 * 3600;
    tf->bands[0].rate[LONGDIST] = 30000;
    tf->bands[0].rate[MOBILE] = 70000;
    tf->bands[1].from = 12 * 3600 + 1800; /* lunch */
    tf->bands[1].to = 13 * 3600 + 1800;
    tf->bands[1].rate[LOCAL] = 10000;
    sc->start = 6 * 3600;
    renew(f);
    struct bh_rater *general;
    assert_int_equal(bh_rater_new(sc, &general), 0);
    uint64_t x = 42;
    double t = 0;
    bh_money sum = 0;
    for (int i = 0; i < 20000; i++) {
        t += (double)(next_u(&x) % 400000) / 1000.0; /* 0-400 s */
        double t0 = t;
        if (next_u(&x) % 50 == 0) /* now and then a call from the past */
            t0 = t - (double)(next_u(&x) % 3000000) / 10.0;
        if (t0 < 0)
            t0 = 0;
        int plan = (int)(next_u(&x) % 8) - 1;
        struct bh_call_record r = call((int)(next_u(&x) % 4), plan, t0,
                                       (double)(next_u(&x) % 2000000) / 1000.0);
        r.caller_class = (uint16_t)(next_u(&x) % 2);
        /* a few numbers outside the class's population: the table */
        r.subscriber = (uint32_t)(next_u(&x) % 45);
        if (next_u(&x) % 10 == 0)
            r = blocked(r.origin, plan, t0);
        struct bh_call_record g = r;
        g.source = (uint32_t)sc->nsources; /* unknown: the general path */
        bh_money c = bh_rater_rate(f->r, &r);
        assert_int_equal(bh_rater_rate(general, &g), c);
        assert_int_equal(r.payer, g.payer);
        sum += c;
        if (plan >= 0 && tf->plans[plan].bundle)
            continue;
        struct bh_rater *cold;
        assert_int_equal(bh_rater_new(sc, &cold), 0);
        struct bh_call_record k = r;
        assert_int_equal(bh_rater_rate(cold, &k), c);
        bh_rater_free(cold);
    }
    assert_true(sum > 0);
    struct bh_bill a, b;
    bh_rater_bill(f->r, 40 * 86400, &a);
    bh_rater_bill(general, 40 * 86400, &b);
    assert_int_equal(a.total, b.total);
    assert_int_equal(a.callers, sum);
    /* right around each band's ends, forwards and back: the cached rate
     * is the one the bands give, to the microsecond */
    const double near[] = {-30,  -1,   -1e-3, -1e-6, -1e-9, 0,
                           1e-9, 1e-6, 1e-3,  1,     30};
    const int n = (int)(sizeof near / sizeof near[0]);
    const double ends[] = {2 * 3600, 6.5 * 3600, 7.5 * 3600, 12 * 3600};
    for (int day = 0; day < 3; day++)
        for (int e = 0; e < 4; e++)
            for (int k = 0; k < 2 * n; k++) {
                double t0 =
                    day * 86400.0 + ends[e] + near[k < n ? k : 2 * n - 1 - k];
                for (int o = 0; o < 4; o++) {
                    struct bh_call_record r = call(o, PERSEC, t0, 60);
                    struct bh_call_record k2 = r;
                    struct bh_rater *cold;
                    assert_int_equal(bh_rater_new(sc, &cold), 0);
                    assert_int_equal(bh_rater_rate(f->r, &r),
                                     bh_rater_rate(cold, &k2));
                    bh_rater_free(cold);
                }
            }
    bh_rater_free(general);
    sc->sources[SRC_CITY].classes = NULL;
    sc->sources[SRC_CITY].nclasses = 0;
}

/* No tariffs: records get cost 0 and a payer, nothing is billed. */
static void
test_no_tariffs(void **state) {
    struct fixture *f = *state;
    f->sc->tariffs.present = false;
    renew(f);
    struct bh_call_record r = call(INTL, METERED, 0, 600);
    r.source = SRC_HOTLINE;
    r.target = NUM_HOTLINE;
    assert_int_equal(bh_rater_rate(f->r, &r), 0);
    assert_int_equal(r.payer, BH_PAYER_CALLEE);
    struct bh_bill b;
    bh_rater_bill(f->r, 86400, &b);
    assert_int_equal(b.total, 0);
    assert_int_equal(b.line_rental, 0);
    assert_int_equal(b.calls, 1);
}

/* Many subscribers: the allowance table grows and keeps every one. */
static void
test_bundle_many_subscribers(void **state) {
    struct fixture *f = *state;
    for (uint32_t s = 0; s < 5000; s++) {
        struct bh_call_record r = call(MOBILE, BUNDLE, 0, 540); /* 9 min */
        r.subscriber = s;
        assert_int_equal(rate(f, r), 0);
    }
    for (uint32_t s = 0; s < 5000; s++) {
        /* 2 min more: 1 min included, 1 min metered at 0.12 */
        struct bh_call_record r = call(MOBILE, BUNDLE, 100, 120);
        r.subscriber = s;
        assert_int_equal(rate(f, r), 120000);
    }
}

/* Operators' pay (tariffs.operators): 22 operators at 18.00 per paid hour
 * over 23 h with 30% shrinkage are paid 22 x 23 / 0.7 = 722.857142857 h:
 * 13,011.428571428... rounded half up to 13,011.428571; without shrinkage
 * 22 x 23 x 18 = 9,108 exactly. The bill counts the queue's operators in
 * the company's costs. */
static void
test_operators_pay(void **state) {
    struct fixture *f = *state;
    struct bh_sc_tariffs *tf = &f->sc->tariffs;
    tf->operator_per_hour = 18000000;
    tf->shrinkage = 0.30;
    assert_int_equal(bh_rating_operators(tf, 22, 23 * 3600.0), 13011428571);
    tf->shrinkage = 0;
    assert_int_equal(bh_rating_operators(tf, 22, 23 * 3600.0), 9108000000);
    assert_int_equal(bh_rating_operators(tf, 0, 3600), 0);
    assert_int_equal(bh_rating_operators(NULL, 5, 3600), 0);
    /* a 30-day month of one operator, 25% shrinkage: 720 / 0.75 = 960 h */
    tf->shrinkage = 0.25;
    assert_int_equal(bh_rating_operators(tf, 1, BH_RATING_MONTH),
                     960 * 18000000LL);
    /* line rental: 30 lines at 8.50 a month over a day = 8.50 */
    assert_int_equal(bh_rating_line_rental(tf, 30, 86400), 8500000);

    f->sc->sw.numbers[NUM_HOTLINE].queue.present = true;
    f->sc->sw.numbers[NUM_HOTLINE].queue.operators = 4;
    struct bh_call_record r = call(LOCAL, -1, 0, 60);
    r.source = SRC_HOTLINE;
    r.target = NUM_HOTLINE;
    assert_int_equal(rate(f, r), 35000);
    struct bh_bill b;
    bh_rater_bill(f->r, 3600, &b);
    /* 4 operators, 1 h, 25%: 5.333... h = 96.000000 */
    assert_int_equal(b.operators, 96000000);
    /* rental: 160 lines x 8.50 / 720 = 1.888888... -> 1.888889 */
    assert_int_equal(b.line_rental, 1888889);
    assert_int_equal(b.company, 35000 + 1888889 + 96000000);
    assert_int_equal(b.total, b.company);
}

/* Costs by payer and by target, per answered call as the ratio of sums:
 * replication 1 has 10 answered one-minute local calls to the city number
 * (callers pay 0.02 each) and 4 answered one-minute calls to the toll-free
 * hotline (the company pays 0.035 each) and one blocked hotline call;
 * replication 2 twice as many. Line rental: city 10 lines, hotline 30,
 * bridge 120 at 8.50 a month over a day: 2.833333, 8.50 and 34.00. */
static void
test_costs_by_payer(void **state) {
    struct fixture *f = *state;
    f->sc->sources[SRC_HOTLINE].target = NUM_HOTLINE;
    f->sc->sources[SRC_MEET].target_kind = BH_TARGET_BRIDGE;
    f->sc->sources[SRC_MEET].target = 0;
    f->sc->sources[SRC_CAMPAIGN].kind = BH_SOURCE_CAMPAIGN;
    assert_int_equal(bh_rating_target_of(f->sc, SRC_CITY), 0);
    assert_int_equal(bh_rating_target_of(f->sc, SRC_HOTLINE), 1);
    assert_int_equal(bh_rating_target_of(f->sc, SRC_MEET), 2);
    assert_int_equal(bh_rating_target_of(f->sc, SRC_CAMPAIGN), 3);
    assert_int_equal(bh_rating_target_of(f->sc, 99), -1);
    struct bh_cost_acc *acc;
    assert_int_equal(bh_cost_acc_new(f->sc, &acc), 0);
    for (int rep = 1; rep <= 2; rep++) {
        struct bh_rater *r;
        assert_int_equal(bh_rater_new(f->sc, &r), 0);
        for (int i = 0; i < 10 * rep; i++) {
            struct bh_call_record c = call(LOCAL, PERSEC, i * 100.0, 60);
            assert_int_equal(bh_rater_rate(r, &c), 20000);
        }
        for (int i = 0; i < 4 * rep; i++) {
            struct bh_call_record c = call(LOCAL, -1, i * 100.0, 60);
            c.source = SRC_HOTLINE;
            c.target = NUM_HOTLINE;
            assert_int_equal(bh_rater_rate(r, &c), 35000);
        }
        struct bh_call_record c = blocked(LOCAL, -1, 50);
        c.source = SRC_HOTLINE;
        c.target = NUM_HOTLINE;
        bh_rater_rate(r, &c);
        struct bh_bill b;
        bh_rater_bill(r, 86400, &b);
        bh_cost_acc_add(acc, &b);
        bh_rater_free(r);
    }
    struct bh_costs k;
    assert_int_equal(bh_cost_acc_results(acc, &k), 0);
    double rental = 2.833333 + 8.5 + 34.0;
    /* whole scenario: 14 and 28 answered calls */
    assert_near(k.answered.mean, 21, 1e-12);
    assert_near(k.by[BH_COST_CALLERS].total.mean, 0.3, 1e-9);
    assert_near(k.by[BH_COST_CALLERS].per_answered_call.mean, 0.6 / 42, 1e-12);
    assert_near(k.by[BH_COST_COMPANY].total.mean, 0.21 + rental, 1e-9);
    assert_near(k.by[BH_COST_COMPANY].per_answered_call.mean,
                (0.42 + 2 * rental) / 42, 1e-12);
    assert_near(k.by[BH_COST_ALL].per_answered_call.mean,
                (1.02 + 2 * rental) / 42, 1e-12);
    assert_near(k.by[BH_COST_COMPANY].per_hour.mean, (0.21 + rental) / 24,
                1e-9);
    assert_near(k.by[BH_COST_COMPANY].per_month.mean, (0.21 + rental) * 30,
                1e-9);
    /* per target: city 10, 20 answered; hotline 4, 8 */
    assert_int_equal(k.ntargets, 4);
    const struct bh_target_costs *city = &k.targets[0], *hot = &k.targets[1];
    assert_string_equal(city->name, "city");
    assert_string_equal(hot->name, "hotline");
    assert_string_equal(k.targets[2].name, "conf");
    assert_string_equal(k.targets[3].name, "dialer");
    assert_near(city->answered.mean, 15, 1e-12);
    assert_near(city->by[BH_COST_CALLERS].per_answered_call.mean, 0.02, 1e-12);
    assert_near(city->by[BH_COST_COMPANY].per_answered_call.mean, 2.833333 / 15,
                1e-12);
    assert_near(hot->answered.mean, 6, 1e-12);
    assert_near(hot->line_rental.mean, 8.5, 1e-12);
    assert_near(hot->by[BH_COST_COMPANY].per_answered_call.mean,
                0.035 + 8.5 / 6, 1e-12);
    assert_near(hot->by[BH_COST_CALLERS].total.mean, 0, 1e-12);
    assert_true(isnan(k.targets[2].by[BH_COST_ALL].per_answered_call.mean));
    assert_near(k.targets[2].line_rental.mean, 34, 1e-12);
    assert_false(k.balance.present);
    free(k.classes);
    free(k.targets);
    bh_cost_acc_free(acc);
}

/* A prepaid balance of 0.036 drawn by line rental at 1 micro-unit a second
 * (160 lines at 0.0162 a month) with 0.0017 added every hour: before the
 * k-th top-up it holds 36,000 + 1,700 (k - 1) - t, which first reaches 0
 * at t = 66,600 s (18:30 of day 1, before the 19th top-up). At the day's
 * end it holds 36,000 + 24 x 1,700 - 86,400 = -9,600 micro-units. With
 * 0.0018 an hour it reaches exactly 0 at 68,400 s, the moment the 19th
 * top-up comes: that counts (zero or below is out). */
static void
test_prepaid_rental(void **state) {
    struct fixture *f = *state;
    struct bh_sc_tariffs *tf = &f->sc->tariffs;
    tf->per_line_month = 16200;
    tf->prepaid = true;
    tf->top_up_every = 3600;
    static const struct {
        bh_money balance, top_up;
        double out; /* s, NaN: lasts */
        bh_money end;
    } cases[] = {
        {36000, 1700, 66600, -9600},
        {36000, 1800, 68400, -7200},
        /* a top-up as large as the hour's rental: it never runs out */
        {36000, 3600, NAN, 36000},
        /* nothing to start with and rent to pay: out at once */
        {0, 3600, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tf->balance = cases[i].balance;
        tf->top_up = cases[i].top_up;
        struct bh_rater *r;
        assert_int_equal(bh_rater_new(f->sc, &r), 0);
        struct bh_bill b;
        bh_rater_bill(r, 86400, &b);
        if (isnan(cases[i].out))
            assert_true(isnan(b.balance_out));
        else
            assert_near(b.balance_out, cases[i].out, 1e-6);
        assert_int_equal(b.balance_end, cases[i].end);
        bh_rater_free(r);
    }
}

/* Calls charged at their end: a balance of 1.00, toll-free minutes at
 * 0.60, no rental. One call ending at 60 s leaves 0.40; a second ending
 * at 160 s takes it to -0.20: out at 160 s. With only the first call it
 * lasts the day, and at 0.60 a day it would run out 0.40 / 0.60 days
 * after the day's end: at 86,400 + 57,600 s (day 2 at 16:00). */
static void
test_prepaid_calls(void **state) {
    struct fixture *f = *state;
    struct bh_sc_tariffs *tf = &f->sc->tariffs;
    tf->per_line_month = 0;
    tf->toll_free_per_minute = 600000;
    tf->prepaid = true;
    tf->balance = 1000000;
    for (int calls = 2; calls >= 1; calls--) {
        struct bh_cost_acc *acc;
        assert_int_equal(bh_cost_acc_new(f->sc, &acc), 0);
        struct bh_rater *r;
        assert_int_equal(bh_rater_new(f->sc, &r), 0);
        for (int i = 0; i < calls; i++) {
            struct bh_call_record c = call(LOCAL, -1, i * 100.0, 60);
            c.source = SRC_HOTLINE;
            c.target = NUM_HOTLINE;
            assert_int_equal(bh_rater_rate(r, &c), 600000);
        }
        struct bh_bill b;
        bh_rater_bill(r, 86400, &b);
        bh_cost_acc_add(acc, &b);
        bh_rater_free(r);
        struct bh_costs k;
        assert_int_equal(bh_cost_acc_results(acc, &k), 0);
        assert_true(k.balance.present);
        assert_near(k.balance.start, 1.0, 1e-12);
        char text[400];
        bh_balance_describe(&k.balance, "EUR", 0, 1, text, sizeof text);
        if (calls == 2) {
            assert_near(b.balance_out, 160, 1e-9);
            assert_int_equal(b.balance_end, -200000);
            assert_near(k.balance.runs_out, 1, 1e-12);
            assert_near(k.balance.out_at.mean, 160, 1e-9);
            assert_near(k.balance.earliest, 160, 1e-9);
            assert_true(isnan(k.balance.projected));
            assert_non_null(strstr(text, "runs out on day 1 at 00:02"));
        } else {
            assert_true(isnan(b.balance_out));
            assert_near(k.balance.end.mean, 0.4, 1e-12);
            assert_near(k.balance.runs_out, 0, 1e-12);
            assert_near(k.balance.projected, 86400 + 57600, 1e-6);
            assert_non_null(strstr(text, "lasts the horizon"));
            assert_non_null(strstr(text, "run out on day 2 at 16:00"));
        }
        free(k.classes);
        free(k.targets);
        bh_cost_acc_free(acc);
    }
}

int
main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_building_blocks),
        T(test_bill_60_60),
        T(test_bill_per_second),
        T(test_bill_30_6_setup),
        T(test_bill_toll_free),
        T(test_bill_bundle_crossing),
        T(test_bill_day_bundle_no_then),
        T(test_bill_dial_out),
        T(test_bill_time_bands),
        T(test_bill_line_rental),
        T(test_bill_attempts_and_flat),
        T(test_bill_free_conference),
        T(test_bill_classes),
        T(test_cost_acc),
        T(test_bundle_many_subscribers),
        T(test_bill_chained_bundles),
        T(test_no_tariffs),
        T(test_card_path_same_price),
        T(test_operators_pay),
        T(test_costs_by_payer),
        T(test_prepaid_rental),
        T(test_prepaid_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
