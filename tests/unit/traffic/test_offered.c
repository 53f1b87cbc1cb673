/* test_offered.c: the one model of offered load (traffic/offered.c): the
 * first attempts per second, the time each holds a line, port or
 * operator, and the Erlangs of every kind of source, against figures
 * worked out by hand. */
#include "traffic_testutil.h"

#include <math.h>

/* A number with an IVR and a queue, a plain number, a bridge; calls
 * (one finite population), meetings and a campaign. */
static const char text[] =
    "name: offered\n"
    "interval: 1h\n"
    "switch:\n"
    "  numbers:\n"
    "    - name: desk\n"
    "      number: \"100\"\n"
    "      lines: 40\n"
    "      ivr: { menu_time: 12s }\n"
    "      queue: { operators: 10, wrap_up: 10s }\n"
    "    - { name: plain, number: \"200\", lines: 50 }\n"
    "  bridges:\n"
    "    - { name: conf, number: \"300\", ports: 100 }\n"
    "traffic:\n"
    "  - name: callers\n"
    "    to: desk\n"
    "    profile: { \"00:00\": 60, \"09:00\": 360 }\n"
    "    holding: { dist: exponential, mean: 3m }\n"
    "  - name: normal\n"
    "    to: plain\n"
    "    rate: 600\n"
    "    holding: { dist: normal, mean: 30s, sd: 120s }\n"
    "  - name: meetings\n"
    "    to: conf\n"
    "    meetings:\n"
    "      rate: 6\n"
    "      participants: 5\n"
    "      duration: 30m\n"
    "      join_spread: { dist: uniform, min: -1m, max: 3m }\n"
    "      passcode_entry: 10s\n"
    "  - name: dialer\n"
    "    via: plain\n"
    "    campaign:\n"
    "      calls_per_hour: 120\n"
    "      answer_probability: 40%\n"
    "      ring: 20s\n"
    "      destinations: { local: 100% }\n"
    "    holding: 2m\n"
    "  - name: staff\n"
    "    to: plain\n"
    "    rate: 30\n"
    "    sources: 10\n"
    "    holding: 4m\n";

static int
setup(void **state) {
    *state = parse_ok(text);
    return 0;
}

static int
teardown(void **state) {
    bh_scenario_free(*state);
    return 0;
}

/* x and y agree to about 9 significant digits */
static int
near(double x, double y) {
    return fabs(x - y) <= 1e-9 * (1 + fabs(y));
}

static void
test_calls_through_ivr_and_queue(void **state) {
    const struct bh_scenario *sc = *state;
    /* 60/h before 09:00, 360/h after: 08:30-09:30 averages 210/h */
    assert_true(
        near(bh_traffic_rate(sc, 0, 8.5 * 3600, 9.5 * 3600), 210.0 / 3600));
    assert_true(near(bh_traffic_holding(sc, 0), 180 + 12));
    assert_true(near(bh_traffic_handling(sc, 0), 180 + 10));
    assert_true(near(bh_traffic_offered(sc, 0, 10 * 3600, 11 * 3600),
                     360.0 / 3600 * 192));
    assert_true(bh_traffic_offered(sc, 0, 3600, 3600) == 0);
}

/* Issue 9: the normal holding time is drawn conditioned on >= 0, so its
 * offered load is 600/h x 107.5 s = 17.92 E, not 600/h x 30 s = 5 E. */
static void
test_truncated_normal_holding(void **state) {
    const struct bh_scenario *sc = *state;
    double h = bh_traffic_holding(sc, 1);
    assert_true(h == bh_traffic_dist_mean(&sc->sources[1].holding));
    assert_true(fabs(h - 107.5) < 0.05);
    double a = bh_traffic_offered(sc, 1, 0, 3600);
    assert_true(near(a, 600.0 / 3600 * h));
    assert_true(fabs(a - 17.92) < 0.005);
    assert_true(bh_traffic_handling(sc, 1) == 0); /* no queue */
}

/* Participants arrive at 6 x 5 an hour; each holds a port from start +
 * spread (1m on average) to the end, plus the passcode entry. */
static void
test_meetings(void **state) {
    const struct bh_scenario *sc = *state;
    assert_true(near(bh_traffic_rate(sc, 2, 0, 3600), 30.0 / 3600));
    assert_true(near(bh_traffic_holding(sc, 2), 1800 - 60 + 10));
    assert_true(near(bh_traffic_offered(sc, 2, 0, 3600), 30.0 / 3600 * 1750));
    assert_true(bh_traffic_handling(sc, 2) == 0);
}

/* Every attempt rings 20 s; 40% talk 2 m: 68 s a line per attempt. */
static void
test_campaign(void **state) {
    const struct bh_scenario *sc = *state;
    assert_int_equal(sc->sources[3].target_kind, BH_TARGET_NUMBER);
    assert_int_equal(sc->sources[3].target, 1); /* its via number */
    assert_true(near(bh_traffic_holding(sc, 3), 20 + 0.4 * 120));
    assert_true(near(bh_traffic_offered(sc, 3, 0, 3600), 120.0 / 3600 * 68));
    assert_true(bh_traffic_handling(sc, 3) == 0);
}

/* 10 callers, 30/h when all are idle, 4 m each: a = 3/h / 1 x 240 s =
 * 0.2 per idle caller; intended traffic K a / (1 + a) = 10 x 0.2 / 1.2. */
static void
test_finite_sources(void **state) {
    const struct bh_scenario *sc = *state;
    assert_true(near(bh_traffic_offered(sc, 4, 0, 3600), 10 * 0.2 / 1.2));
    /* out of range: nothing */
    assert_true(bh_traffic_offered(sc, 5, 0, 3600) == 0);
    assert_true(bh_traffic_holding(sc, 5) == 0);
    assert_true(bh_traffic_handling(sc, 5) == 0);
    assert_true(bh_traffic_rate(sc, 5, 0, 3600) == 0);
}

/* Issue 15 item 14: 3 rooms meet at 09:00, 10:00 and 11:00 (every 1h
 * from 09:00 before 12:00), 4 participants each, 30 minutes, dialling
 * 0 to 2 minutes after the start; and 2 rooms at 13:30 (at:). The model
 * yields exactly those meetings, each participant within its spread;
 * offered load follows the schedule (the ports held in an interval, not
 * the participants dialling in it). */
static void
test_scheduled_meetings(void **state) {
    (void)state;
    struct bh_scenario *sc =
        parse_ok("name: hourly\n"
                 "interval: 15m\n"
                 "switch:\n"
                 "  bridges: [ { name: conf, number: \"300\", ports: 100 } ]\n"
                 "traffic:\n"
                 "  - name: rooms\n"
                 "    to: conf\n"
                 "    meetings:\n"
                 "      schedule: { rooms: 3, every: 1h, from: \"09:00\", to: "
                 "\"12:00\" }\n"
                 "      participants: 4\n"
                 "      duration: 30m\n"
                 "      join_spread: { dist: uniform, min: 0s, max: 2m }\n"
                 "  - name: later\n"
                 "    to: conf\n"
                 "    meetings:\n"
                 "      schedule: { rooms: 2, at: [ \"13:30\" ] }\n"
                 "      participants: 4\n"
                 "      duration: 30m\n");
    const struct bh_sc_schedule *x = &sc->sources[0].meetings.schedule;
    assert_true(x->present);
    assert_int_equal(x->rooms, 3);
    assert_int_equal(x->n, 3);
    assert_true(x->at[0] == 9 * 3600.0 && x->at[2] == 11 * 3600.0);
    assert_true(bh_schedule_next(x, 0, -1) == 9 * 3600.0);
    assert_true(bh_schedule_next(x, 0, 9 * 3600.0) == 10 * 3600.0);
    assert_true(bh_schedule_next(x, 0, 11 * 3600.0) == 86400 + 9 * 3600.0);
    assert_true(bh_schedule_next(x, 3600, 0) == 8 * 3600.0); /* from 01:00 */

    struct bh_traffic *tm;
    assert_int_equal(bh_traffic_new(sc, 1, 0, &tm), 0);
    struct bh_arrival a;
    int per_slot[24] = {0}, n = 0;
    uint64_t ids[64];
    size_t nid = 0;
    while (bh_traffic_next(tm, 86400, &a)) {
        n++;
        int h = (int)(a.meeting_start / 3600);
        assert_true(a.meeting_start == h * 3600.0 ||
                    a.meeting_start == 13.5 * 3600);
        assert_true(a.t >= a.meeting_start && a.t <= a.meeting_start + 120);
        assert_true(a.meeting_end == a.meeting_start + 1800);
        per_slot[h]++;
        size_t k = 0;
        while (k < nid && ids[k] != a.meeting)
            k++;
        if (k == nid && nid < 64)
            ids[nid++] = a.meeting;
    }
    bh_traffic_free(tm);
    assert_int_equal(n, 3 * 3 * 4 + 2 * 4);
    assert_int_equal(per_slot[9], 12);
    assert_int_equal(per_slot[11], 12);
    assert_int_equal(per_slot[13], 8);
    assert_int_equal(nid, 11); /* 9 meetings, then 2 */

    /* 12 participants hold a port from 09:01 (the mean spread) for 30
     * minutes: 12 E over 09:15-09:30, half of that over 09:00-09:30 less
     * the minute before they come, none 09:45-10:00 */
    double h = bh_traffic_holding(sc, 0);
    assert_true(near(h, 1800 - 60));
    assert_true(near(bh_traffic_offered(sc, 0, 9.25 * 3600, 9.5 * 3600), 12));
    assert_true(near(bh_traffic_offered(sc, 0, 9 * 3600, 9.25 * 3600),
                     12.0 * (900 - 60) / 900));
    assert_true(bh_traffic_offered(sc, 0, 9.75 * 3600, 10 * 3600) == 0);
    /* participants per s: 12 dial (on average) in 09:00-09:15 */
    assert_true(
        near(bh_traffic_rate(sc, 0, 9 * 3600, 9.25 * 3600), 12.0 / 900));
    assert_true(bh_traffic_rate(sc, 0, 9.25 * 3600, 9.5 * 3600) == 0);
    /* over the day: 36 participants x 1740 s */
    assert_true(near(bh_traffic_offered(sc, 0, 0, 86400), 36 * h / 86400));
    bh_scenario_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_through_ivr_and_queue),
        cmocka_unit_test(test_truncated_normal_holding),
        cmocka_unit_test(test_meetings),
        cmocka_unit_test(test_campaign),
        cmocka_unit_test(test_finite_sources),
        cmocka_unit_test(test_scheduled_meetings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
