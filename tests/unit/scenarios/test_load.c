/* test_load.c: the normative example of issue 2 and every bundled example
 * scenario load with the meanings their comments give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scenario.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXAMPLE(f) BH_SOURCE_DIR "/scenarios/" f

static struct bh_scenario *
load_ok(const char *path) {
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_load(path, &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_non_null(sc);
    return sc;
}

static void
test_normative_top(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    assert_string_equal(sc->name, "hotline-8800");
    assert_string_equal(sc->description, "Toll-free hotline with a voice "
                                         "menu and an operator queue, "
                                         "weekday peak.");
    assert_true(sc->horizon == 86400.0);
    assert_true(sc->interval == 900.0);
    assert_true(sc->start == 0.0);
    assert_int_equal(sc->seed, 42);
    assert_int_equal(sc->sim.replications, 20);
    assert_true(sc->sim.warmup == 3600.0);
    assert_true(sc->load.speed == 60.0);
    assert_int_equal(sc->load.codec, BH_CODEC_PCMU);
    assert_true(fabs(sc->load.ptime - 0.020) < 1e-12);
    assert_int_equal(sc->load.media, BH_MEDIA_TONE);
    bh_scenario_free(sc);
}

static void
test_normative_switch(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    assert_int_equal(sc->sw.nnumbers, 1);
    const struct bh_sc_number *n = &sc->sw.numbers[0];
    assert_string_equal(n->name, "hotline");
    assert_string_equal(n->number, "88001002030");
    assert_int_equal(n->lines, 30);
    assert_int_equal(n->payer, BH_PAYER_CALLEE);
    assert_false(n->recording);
    assert_true(n->ivr.present);
    assert_true(n->ivr.menu_time == 12.0);
    assert_true(n->queue.present);
    assert_int_equal(n->queue.operators, 22);
    assert_int_equal(n->queue.strategy, BH_STRATEGY_LONGEST_IDLE);
    assert_int_equal(n->queue.max_length, 40);
    assert_true(n->queue.max_wait == 300.0);
    assert_true(n->queue.wrap_up == 10.0);
    assert_true(n->queue.ring_timeout == 15.0); /* default */
    assert_int_equal(n->pos.line, 8);
    assert_int_equal(n->pos.column, 7);

    assert_int_equal(sc->sw.nbridges, 1);
    const struct bh_sc_bridge *b = &sc->sw.bridges[0];
    assert_string_equal(b->name, "conf");
    assert_string_equal(b->number, "74951234567");
    assert_int_equal(b->ports, 120);
    assert_int_equal(b->max_per_room, 50);
    assert_int_equal(b->payer, BH_PAYER_CALLER);
    assert_int_equal(bh_scenario_find_number(sc, "hotline"), 0);
    assert_int_equal(bh_scenario_find_bridge(sc, "conf"), 0);
    assert_int_equal(bh_scenario_find_number(sc, "conf"), -1);
    assert_int_equal(bh_scenario_find_bridge(sc, "nope"), -1);
    bh_scenario_free(sc);
}

static void
test_normative_callers(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    assert_int_equal(sc->nsources, 2);
    const struct bh_sc_source *s = &sc->sources[0];
    assert_string_equal(s->name, "hotline-callers");
    assert_int_equal(s->kind, BH_SOURCE_CALLS);
    assert_int_equal(s->target_kind, BH_TARGET_NUMBER);
    assert_int_equal(s->target, 0);
    assert_int_equal(s->sources, 0);
    /* profile: 00:00 20, 08:00 300, 10:00 900, 12:00 600, 18:00 100 */
    assert_int_equal(s->profile.n, 5);
    static const double at[] = {0, 8 * 3600, 10 * 3600, 12 * 3600, 18 * 3600};
    static const double rate[] = {20, 300, 900, 600, 100};
    for (int i = 0; i < 5; i++) {
        assert_true(s->profile.at[i] == at[i]);
        assert_true(s->profile.rate[i] == rate[i]);
    }

    assert_int_equal(s->holding.kind, BH_DIST_LOGNORMAL);
    assert_true(s->holding.mean == 240);
    assert_true(s->holding.sd == 180);
    assert_true(s->has_patience);
    assert_int_equal(s->patience.kind, BH_DIST_EXPONENTIAL);
    assert_true(s->patience.mean == 90);
    assert_true(s->retry.present);
    assert_true(fabs(s->retry.probability - 0.4) < 1e-12);
    assert_int_equal(s->retry.delay.kind, BH_DIST_EXPONENTIAL);
    assert_true(s->retry.delay.mean == 300);
    assert_int_equal(s->retry.max_attempts, 3);
    assert_false(s->adhoc.present);

    assert_int_equal(s->nclasses, 3);
    const struct bh_sc_tariffs *t = &sc->tariffs;
    static const char *origin[] = {"local", "long-distance", "mobile"};
    static const char *plan[] = {"metered", "metered", "bundle"};
    static const double share[] = {0.5, 0.3, 0.2};
    for (int i = 0; i < 3; i++) {
        const struct bh_sc_class *c = &s->classes[i];
        assert_true(fabs(c->share - share[i]) < 1e-12);
        assert_string_equal(t->origins[c->origin], origin[i]);
        assert_true(c->plan >= 0);
        assert_string_equal(t->plans[c->plan].name, plan[i]);
        assert_int_equal(c->subscribers, 1000); /* default */
    }
    bh_scenario_free(sc);
}

static void
test_normative_meetings(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    const struct bh_sc_source *s = &sc->sources[1];
    assert_string_equal(s->name, "team-meetings");
    assert_int_equal(s->kind, BH_SOURCE_MEETINGS);
    assert_int_equal(s->target_kind, BH_TARGET_BRIDGE);
    assert_int_equal(s->target, 0);
    const struct bh_sc_meetings *m = &s->meetings;
    assert_int_equal(m->profile.n, 4);
    assert_true(m->profile.at[1] == 9 * 3600 && m->profile.rate[1] == 12);
    assert_true(m->profile.at[2] == 11 * 3600 && m->profile.rate[2] == 20);
    assert_true(m->profile.at[3] == 17 * 3600 && m->profile.rate[3] == 0);
    assert_int_equal(m->participants.kind, BH_DIST_POISSON);
    assert_true(m->participants.mean == 8);
    assert_true(m->participants.has_min && m->participants.min == 2);
    assert_false(m->participants.has_max);
    assert_int_equal(m->duration.kind, BH_DIST_NORMAL);
    assert_true(m->duration.mean == 2700 && m->duration.sd == 600);
    assert_int_equal(m->join_spread.kind, BH_DIST_UNIFORM);
    assert_true(m->join_spread.min == -120 && m->join_spread.max == 300);
    assert_true(m->passcode_entry == 8);
    assert_int_equal(s->nclasses, 2);
    assert_true(fabs(s->classes[0].share - 0.7) < 1e-12);
    bh_scenario_free(sc);
}

static void
test_normative_tariffs(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    const struct bh_sc_tariffs *t = &sc->tariffs;
    assert_true(t->present);
    assert_string_equal(t->currency, "EUR");
    assert_int_equal(t->nplans, 3);
    const struct bh_sc_plan *metered = &t->plans[0];
    assert_string_equal(metered->name, "metered");
    assert_true(metered->increment == 60 && metered->minimum == 60);
    assert_int_equal(metered->setup, 0);
    assert_false(metered->bundle);
    assert_false(metered->has_per_minute);
    const struct bh_sc_plan *bundle = &t->plans[1];
    assert_string_equal(bundle->name, "bundle");
    assert_true(bundle->bundle);
    assert_true(bundle->allowance == 300 * 60);
    assert_int_equal(bundle->period, BH_PERIOD_MONTH);
    assert_int_equal(bundle->then, 0);
    const struct bh_sc_plan *flat = &t->plans[2];
    assert_true(flat->has_per_minute);
    assert_int_equal(flat->per_minute, 0);
    assert_int_equal(t->norigins, 4);
    static const char *origin[] = {"local", "long-distance", "mobile",
                                   "international"};
    static const bh_money rate[] = {20000, 90000, 120000, 450000};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(t->origins[i], origin[i]);
        assert_int_equal(t->rate[i], rate[i]);
    }
    assert_int_equal(t->toll_free_per_minute, 35000);
    assert_true(t->toll_free_increment == 1);
    assert_int_equal(t->per_line_month, 8500000);
    bh_scenario_free(sc);
}

static void
test_normative_thresholds(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("hotline-8800.yaml"));
    assert_int_equal(sc->nthresholds, 5);
    const struct bh_sc_threshold *t = sc->thresholds;
    assert_string_equal(t[0].expr, "hotline.blocking < 1%");
    assert_string_equal(t[0].target, "hotline");
    assert_int_equal(t[0].metric, BH_METRIC_BLOCKING);
    assert_int_equal(t[0].op, BH_OP_LT);
    assert_true(fabs(t[0].value - 0.01) < 1e-12);
    assert_int_equal(t[1].metric, BH_METRIC_SERVICE_LEVEL);
    assert_true(t[1].arg == 20);
    assert_int_equal(t[1].op, BH_OP_GE);
    assert_true(fabs(t[1].value - 0.8) < 1e-12);
    assert_int_equal(t[2].metric, BH_METRIC_ABANDONMENT);
    assert_true(fabs(t[2].value - 0.05) < 1e-12);
    assert_string_equal(t[3].target, "conf");
    assert_true(fabs(t[3].value - 0.005) < 1e-12);
    assert_string_equal(t[4].target, "hotline");
    assert_int_equal(t[4].metric, BH_METRIC_COST_PER_ANSWERED_CALL);
    assert_int_equal(t[4].payer, BH_COST_COMPANY);
    assert_true(fabs(t[4].value - 4.50) < 1e-12);
    assert_int_equal(sc->tariffs.operator_per_hour, 12000000);
    assert_true(fabs(sc->tariffs.shrinkage - 0.30) < 1e-12);
    assert_int_equal(t[4].pos.line, 62);
    assert_int_equal(t[4].pos.column, 5);
    assert_string_equal(bh_metric_name(t[1].metric), "service_level");
    bh_scenario_free(sc);
}

static void
test_names(void **state) {
    (void)state;
    assert_string_equal(bh_strategy_name(BH_STRATEGY_RING_ALL), "ring-all");
    assert_string_equal(bh_strategy_name(BH_STRATEGY_FEWEST_CALLS),
                        "fewest-calls");
    assert_string_equal(bh_dist_name(BH_DIST_LOGNORMAL), "lognormal");
    assert_string_equal(bh_dist_name(BH_DIST_EMPIRICAL), "empirical");
    assert_string_equal(bh_metric_name(BH_METRIC_WAIT_P90), "wait.p90");
    assert_string_equal(bh_metric_name(BH_METRIC_COST_TOTAL), "cost.total");
    bh_scenario_free(NULL);
}

/* A scenario with every optional field left out. */
#define MINIMAL                                                                \
    "name: minimal\n"                                                          \
    "switch:\n"                                                                \
    "  numbers:\n"                                                             \
    "    - { name: info, number: \"100\", lines: 4 }\n"                        \
    "traffic:\n"                                                               \
    "  - { name: callers, to: info, rate: 30, holding: 3m }\n"

/* load.media: pcap:FILE keeps the file, from the scenario's folder;
 * "pcap:" without one is located at the missing name. */
static void
test_media_pcap(void **state) {
    (void)state;
    static const char head[] = MINIMAL;
    char text[512];
    snprintf(text, sizeof text, "%sload: { media: \"pcap:a b.pcap\" }\n", head);
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    assert_int_equal(
        bh_scenario_parse(text, strlen(text), "dir/m.yaml", &sc, &d), 0);
    assert_int_equal(sc->load.media, BH_MEDIA_PCAP);
    assert_string_equal(sc->load.media_file, "dir/a b.pcap");
    bh_scenario_free(sc);
    snprintf(text, sizeof text, "%sload: { media: \"pcap:/x.pcap\" }\n", head);
    assert_int_equal(
        bh_scenario_parse(text, strlen(text), "dir/m.yaml", &sc, &d), 0);
    assert_string_equal(sc->load.media_file, "/x.pcap");
    bh_scenario_free(sc);
    snprintf(text, sizeof text, "%sload: { media: \"pcap:\" }\n", head);
    sc = NULL;
    assert_int_equal(
        bh_scenario_parse(text, strlen(text), "dir/m.yaml", &sc, &d),
        BH_EPARSE);
    assert_null(sc);
    assert_int_equal(d.line, 7);
    assert_non_null(strstr(d.msg, "pcap:FILE"));
    snprintf(text, sizeof text, "%sload: { media: tones }\n", head);
    assert_int_equal(
        bh_scenario_parse(text, strlen(text), "dir/m.yaml", &sc, &d),
        BH_EPARSE);
    assert_non_null(strstr(d.msg, "did you mean 'tone'"));
}

/* Defaults of optional fields, from a minimal scenario. */
static void
test_defaults(void **state) {
    (void)state;
    static const char text[] = MINIMAL;
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, sizeof text - 1, "min.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_true(sc->horizon == 86400 && sc->interval == 900);
    assert_true(sc->start == 0);
    assert_int_equal(sc->seed, 1);
    assert_int_equal(sc->sim.replications, 10);
    assert_true(sc->sim.warmup == 0);
    assert_true(sc->load.speed == 1);
    assert_int_equal(sc->load.codec, BH_CODEC_PCMU);
    assert_int_equal(sc->load.media, BH_MEDIA_TONE);
    const struct bh_sc_number *n = &sc->sw.numbers[0];
    assert_int_equal(n->payer, BH_PAYER_CALLER);
    assert_false(n->queue.present);
    assert_false(n->ivr.present);
    const struct bh_sc_source *s = &sc->sources[0];
    assert_int_equal(s->profile.n, 1);
    assert_true(s->profile.rate[0] == 30);
    assert_int_equal(s->holding.kind, BH_DIST_DETERMINISTIC);
    assert_false(s->has_patience);
    assert_false(s->retry.present);
    assert_int_equal(s->nclasses, 1);
    assert_true(s->classes[0].share == 1);
    assert_int_equal(s->classes[0].plan, -1);
    assert_string_equal(sc->tariffs.origins[s->classes[0].origin], "local");
    assert_false(sc->tariffs.present);
    assert_int_equal(sc->nthresholds, 0);
    const struct bh_sc_call_timers *t = &sc->sw.timers;
    assert_true(t->rtp_timeout == BH_SC_RTP_TIMEOUT_DEFAULT &&
                t->rtp_timeout == 30);
    assert_true(t->session_expires == BH_SC_SESSION_EXPIRES_DEFAULT &&
                t->session_expires == 1800);
    assert_true(t->min_se == BH_SC_MIN_SE_DEFAULT && t->min_se == 90);
    assert_true(t->max_call == BH_SC_MAX_CALL_DEFAULT &&
                t->max_call == 12 * 3600);
    assert_int_equal(t->pos.line, 0);
    const struct bh_sc_switch_limits *l = &sc->sw.limits;
    assert_true(l->source_rate == BH_SC_SOURCE_RATE_DEFAULT &&
                l->source_rate == 20000 && l->source_block == 10 &&
                l->auth_failures == 10 && l->auth_block == 60 &&
                l->max_cps == 0 && l->http_connections == 64 &&
                l->http_idle == 10);
    assert_int_equal(l->pos.line, 0);
    bh_scenario_free(sc);
}

/* switch.limits: written values, 0 turning a limit off. */
static void
test_limits(void **state) {
    (void)state;
    static const char text[] = "name: limits\n"
                               "switch:\n"
                               "  numbers:\n"
                               "    - { name: info, number: \"100\", "
                               "lines: 4 }\n"
                               "  limits: { source_rate: 0, source_block: 2s, "
                               "auth_failures: 3, auth_block: 5m, max_cps: "
                               "800, http_connections: 8, http_idle: 3s }\n"
                               "traffic:\n"
                               "  - { name: callers, to: info, rate: 30, "
                               "holding: 3m }\n";
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, sizeof text - 1, "t.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    const struct bh_sc_switch_limits *l = &sc->sw.limits;
    assert_true(l->source_rate == 0 && l->source_block == 2 &&
                l->auth_failures == 3 && l->auth_block == 300 &&
                l->max_cps == 800 && l->http_connections == 8 &&
                l->http_idle == 3);
    assert_int_equal(l->pos.line, 5);
    assert_int_equal(l->pos.column, 11);
    bh_scenario_free(sc);
}

/* switch.timers: written values, 0 turning a guard off. */
static void
test_timers(void **state) {
    (void)state;
    static const char text[] = "name: timers\n"
                               "switch:\n"
                               "  numbers:\n"
                               "    - { name: info, number: \"100\", "
                               "lines: 4 }\n"
                               "  timers: { rtp_timeout: 0, session_expires: "
                               "10m, min_se: 2m, max_call: 4h }\n"
                               "traffic:\n"
                               "  - { name: callers, to: info, rate: 30, "
                               "holding: 3m }\n";
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, sizeof text - 1, "t.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    const struct bh_sc_call_timers *t = &sc->sw.timers;
    assert_true(t->rtp_timeout == 0 && t->session_expires == 600 &&
                t->min_se == 120 && t->max_call == 4 * 3600);
    assert_int_equal(t->pos.line, 5);
    assert_int_equal(t->pos.column, 11);
    bh_scenario_free(sc);
}

/* A profile that does not start at 00:00 wraps its last step. */
static void
test_profile_wrap(void **state) {
    (void)state;
    static const char text[] =
        "name: wrap\n"
        "switch: { numbers: [ { name: n, number: \"1\", lines: 2 } ] }\n"
        "traffic:\n"
        "  - name: t\n"
        "    to: n\n"
        "    profile: { \"06:00\": 10, \"22:00\": 3 }\n"
        "    holding: { dist: erlang, mean: 2m, k: 3, max: 10m }\n";
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, sizeof text - 1, "wrap.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    const struct bh_profile *p = &sc->sources[0].profile;
    assert_int_equal(p->n, 3);
    assert_true(p->at[0] == 0 && p->rate[0] == 3);
    assert_true(p->at[1] == 6 * 3600 && p->rate[1] == 10);
    assert_true(p->at[2] == 22 * 3600 && p->rate[2] == 3);
    const struct bh_dist *h = &sc->sources[0].holding;
    assert_int_equal(h->kind, BH_DIST_ERLANG);
    assert_int_equal(h->k, 3);
    assert_true(h->has_max && h->max == 600);
    bh_scenario_free(sc);
}

/* Empirical samples from a CSV next to the scenario. */
static void
test_empirical(void **state) {
    (void)state;
    struct bh_scenario *sc =
        load_ok(BH_TEST_DATA "/scenarios/valid/empirical.yaml");
    const struct bh_dist *h = &sc->sources[0].holding;
    assert_int_equal(h->kind, BH_DIST_EMPIRICAL);
    assert_int_equal(h->nsamples, 6);
    for (size_t i = 1; i < h->nsamples; i++)
        assert_true(h->samples[i - 1] <= h->samples[i]);
    assert_true(h->samples[0] == 30);
    assert_true(h->samples[5] == 600);
    bh_scenario_free(sc);
}

/* Money comes from the scalar's text, exact to the micro-unit. */
static void
test_money_exact(void **state) {
    (void)state;
    static const char text[] =
        "name: money\n"
        "switch: { numbers: [ { name: n, number: \"1\", lines: 2 } ] }\n"
        "traffic: [ { name: t, to: n, rate: 1, holding: 1m } ]\n"
        "tariffs:\n"
        "  currency: USD\n"
        "  rates: { local: 0.000001, intl: 123456.789012 }\n"
        "  outbound: { setup: 0.10, increment: 6s }\n";
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, sizeof text - 1, "m.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_int_equal(sc->tariffs.rate[0], 1);
    assert_int_equal(sc->tariffs.rate[1], 123456789012LL);
    assert_int_equal(sc->tariffs.outbound_setup, 100000);
    assert_true(sc->tariffs.outbound_increment == 6);
    assert_int_equal(sc->sources[0].classes[0].origin, 0); /* first rate */
    bh_scenario_free(sc);
}

/* Tariffs without rates: origins are collected as named, priced 0. */
static void
test_tariffs_without_rates(void **state) {
    (void)state;
    static const char text[] =
        "name: tollfree\n"
        "switch: { numbers: [ { name: n, number: \"8800\", lines: 2, "
        "payer: callee } ] }\n"
        "traffic:\n"
        "  - name: t\n"
        "    to: n\n"
        "    rate: 10\n"
        "    holding: 2m\n"
        "    callers: [ { share: 100%, origin: mobile } ]\n"
        "tariffs: { currency: EUR, toll_free: { per_minute: 0.035 } }\n";
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, sizeof text - 1, "tf.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_int_equal(sc->tariffs.norigins, 1);
    assert_string_equal(sc->tariffs.origins[0], "mobile");
    assert_int_equal(sc->tariffs.rate[0], 0);
    assert_int_equal(sc->tariffs.toll_free_per_minute, 35000);
    assert_true(sc->tariffs.toll_free_increment == 1);
    assert_true(sc->tariffs.outbound_increment == 60);
    bh_scenario_free(sc);
}

/* The outbound campaign example: via:, campaign block, destinations,
 * bands, outbound billing. */
static void
test_campaign_example(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("outbound-campaign.yaml"));
    const struct bh_sc_source *s = &sc->sources[0];
    assert_string_equal(s->name, "dialer");
    assert_int_equal(s->kind, BH_SOURCE_CAMPAIGN);
    assert_int_equal(s->target_kind, BH_TARGET_NUMBER);
    assert_string_equal(sc->sw.numbers[s->target].name, "sales");
    const struct bh_sc_campaign *c = &s->campaign;
    assert_true(fabs(c->answer_probability - 0.35) < 1e-12);
    assert_int_equal(c->ring.kind, BH_DIST_UNIFORM);
    assert_int_equal(c->destinations.n, 4);
    const struct bh_sc_tariffs *t = &sc->tariffs;
    assert_string_equal(t->origins[c->destinations.origin[3]], "international");
    assert_true(fabs(c->destinations.share[3] - 0.05) < 1e-12);
    /* classes mirror the destinations */
    assert_int_equal(s->nclasses, 4);
    assert_int_equal(s->classes[2].origin, c->destinations.origin[2]);
    assert_true(s->retry.present);
    assert_int_equal(s->retry.delay.kind, BH_DIST_DETERMINISTIC);
    assert_true(s->retry.delay.mean == 7200);
    assert_true(sc->sw.numbers[0].recording);
    assert_int_equal(t->nbands, 1);
    assert_true(t->bands[0].from == 18 * 3600 && t->bands[0].to == 8 * 3600);
    int mobile = -1, local = -1;
    for (size_t i = 0; i < t->norigins; i++) {
        if (!strcmp(t->origins[i], "mobile"))
            mobile = (int)i;
        if (!strcmp(t->origins[i], "local"))
            local = (int)i;
    }
    assert_true(mobile >= 0 && local >= 0);
    assert_int_equal(t->bands[0].rate[mobile], 100000);
    assert_int_equal(t->bands[0].rate[local], -1);
    assert_true(t->outbound_increment == 60);
    assert_int_equal(t->per_line_month, 50000000);
    assert_int_equal(sc->load.codec, BH_CODEC_PCMA);
    assert_string_equal(sc->thresholds[0].target, "dialer");
    assert_string_equal(sc->thresholds[2].target, "dialer");
    assert_int_equal(sc->thresholds[2].metric,
                     BH_METRIC_COST_PER_ANSWERED_CALL);
    assert_int_equal(sc->thresholds[2].payer, BH_COST_COMPANY);
    assert_true(sc->thresholds[2].value == 1);
    bh_scenario_free(sc);
}

/* The office PBX example: IVR, queue contacts, extensions, accounts,
 * ad-hoc conferences. */
static int
ends_with(const char *s, const char *tail) {
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void
test_office_example(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("office-pbx.yaml"));
    const struct bh_sc_number *n = &sc->sw.numbers[0];
    assert_true(n->recording);
    /* Sound files are read from the scenario's own folder, where the
     * bundled ones are. */
    assert_true(ends_with(n->music, "scenarios/hold.wav"));
    assert_true(ends_with(n->ivr.prompt, "scenarios/welcome.wav"));
    assert_int_equal(access(n->music, R_OK), 0);
    assert_int_equal(access(n->ivr.prompt, R_OK), 0);
    assert_int_equal(n->queue.strategy, BH_STRATEGY_RING_ALL);
    assert_true(n->queue.ring_timeout == 20);
    assert_int_equal(n->queue.ncontacts, 4);
    assert_string_equal(n->queue.contacts[3], "104");
    assert_int_equal(sc->sw.nextensions, 6);
    const struct bh_sc_extension *x = sc->sw.extensions;
    assert_string_equal(x[4].number, "105");
    assert_string_equal(x[4].forward, "79161234567");
    assert_string_equal(x[4].account, ""); /* no account 105: no phones */
    assert_string_equal(x[5].forward, "");
    assert_string_equal(x[0].account, "101"); /* tied by its number */
    assert_false(x[0].recording);
    assert_true(x[0].no_answer == BH_SC_NO_ANSWER_DEFAULT);
    assert_string_equal(x[1].forward_busy, "103");
    assert_true(x[5].recording);
    assert_string_equal(x[5].forward_no_answer, "101");
    assert_true(x[5].no_answer == 15);
    const struct bh_sc_trunk *t = &sc->sw.trunk;
    assert_true(t->present);
    assert_string_equal(t->gateway, "sip:127.0.0.1:5090");
    assert_int_equal(t->lines, 4);
    assert_int_equal(t->nallow, 3);
    assert_string_equal(t->allow[2], "79");
    assert_int_equal(t->account_calls, 2);
    assert_int_equal(t->account_per_hour, 20);
    assert_int_equal(sc->sw.naccounts, 5);
    assert_string_equal(sc->sw.accounts[1].user, "102");
    assert_string_equal(sc->sw.accounts[1].password, "boris-secret");
    const struct bh_sc_source *s = &sc->sources[0];
    assert_true(s->adhoc.present);
    assert_true(fabs(s->adhoc.probability - 0.08) < 1e-12);
    assert_int_equal(s->adhoc.added.kind, BH_DIST_POISSON);
    assert_true(s->adhoc.added.mean == 1.2);
    assert_true(s->adhoc.added.has_min && s->adhoc.added.min == 1);
    assert_true(s->adhoc.added.has_max && s->adhoc.added.max == 4);
    assert_int_equal(s->adhoc.destinations.n, 3);
    assert_string_equal(sc->tariffs.origins[s->adhoc.destinations.origin[0]],
                        "internal");
    assert_int_equal(sc->tariffs.rate[s->adhoc.destinations.origin[0]], 0);
    assert_int_equal(s->retry.max_attempts, 2);
    assert_true(s->holding.has_max && s->holding.max == 1800);
    assert_int_equal(sc->thresholds[2].metric, BH_METRIC_WAIT_P90);
    assert_true(sc->thresholds[2].value == 45);
    /* seed 003: a prepaid balance, no top-ups */
    assert_true(sc->tariffs.prepaid);
    assert_int_equal(sc->tariffs.balance, 1000000000);
    assert_int_equal(sc->tariffs.top_up, 0);
    bh_scenario_free(sc);
}

/* The free conference example: passcodes, provider revenue, plans. */
static void
test_free_conference_example(void **state) {
    (void)state;
    struct bh_scenario *sc = load_ok(EXAMPLE("free-conference.yaml"));
    const struct bh_sc_bridge *b = &sc->sw.bridges[0];
    assert_int_equal(b->ports, 96);
    assert_int_equal(b->npasscodes, 3);
    assert_string_equal(b->passcodes[1], "333444");
    assert_string_equal(b->moderator_pins[1], "909090");
    assert_string_equal(b->moderator_pins[2], "");
    assert_int_equal(b->lockout.failures, 10);
    assert_true(b->lockout.time == 3600);
    const struct bh_sc_source *s = &sc->sources[0];
    assert_int_equal(s->kind, BH_SOURCE_MEETINGS);
    assert_true(s->meetings.passcode_entry == 10);
    assert_true(s->meetings.participants.has_max &&
                s->meetings.participants.max == 40);
    assert_int_equal(sc->tariffs.termination_per_minute, 6000);
    assert_int_equal(sc->tariffs.nplans, 3);
    assert_true(sc->tariffs.plans[2].has_per_minute);
    assert_int_equal(sc->thresholds[1].metric, BH_METRIC_INCOMPLETE_MEETINGS);
    assert_int_equal(sc->thresholds[2].metric,
                     BH_METRIC_COST_PER_ANSWERED_CALL);
    assert_int_equal(sc->thresholds[2].payer, BH_COST_CALLERS);
    assert_int_equal(sc->seed, 2026);
    bh_scenario_free(sc);
}

/* A bridge's rooms: passcodes with and without moderator PINs, open rooms
 * of a passcode length, moderators, talkers, lockout; and their defaults. */
static void
test_bridge_rooms(void **state) {
    (void)state;
    static const char text[] =
        "name: rooms\n"
        "switch:\n"
        "  bridges:\n"
        "    - name: fixed\n"
        "      number: \"100\"\n"
        "      ports: 10\n"
        "      passcodes: [\"1234\", { passcode: \"5678\", "
        "moderator_pin: \"9090\" }, { passcode: \"42\" }]\n"
        "      end_with_moderator: true\n"
        "      recording: true\n"
        "      talkers: 5\n"
        "      lockout: { failures: 3, window: 1m, time: 2h }\n"
        "    - { name: open, number: \"200\", ports: 4, passcode_length: 6 }\n"
        "    - { name: plain, number: \"300\", ports: 4 }\n"
        "traffic:\n"
        "  - { name: callers, to: fixed, rate: 30, holding: 3m }\n";
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, sizeof text - 1, "rooms.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    const struct bh_sc_bridge *b = &sc->sw.bridges[0];
    assert_int_equal(b->npasscodes, 3);
    assert_string_equal(b->passcodes[0], "1234");
    assert_string_equal(b->moderator_pins[0], "");
    assert_string_equal(b->passcodes[1], "5678");
    assert_string_equal(b->moderator_pins[1], "9090");
    assert_string_equal(b->passcodes[2], "42");
    assert_string_equal(b->moderator_pins[2], "");
    assert_true(b->end_with_moderator);
    assert_true(b->recording);
    assert_int_equal(b->talkers, 5);
    assert_int_equal(b->passcode_length, 0);
    assert_int_equal(b->lockout.failures, 3);
    assert_true(b->lockout.window == 60 && b->lockout.time == 7200);
    const struct bh_sc_bridge *o = &sc->sw.bridges[1];
    assert_int_equal(o->npasscodes, 0);
    assert_int_equal(o->passcode_length, 6);
    const struct bh_sc_bridge *p = &sc->sw.bridges[2];
    assert_int_equal(p->passcode_length, 0);
    assert_false(p->end_with_moderator);
    assert_false(p->recording);
    assert_int_equal(p->talkers, 3);
    assert_int_equal(p->lockout.failures, 10);
    assert_true(p->lockout.window == 600 && p->lockout.time == 900);
    bh_scenario_free(sc);
}

/* Issue 15 item 15: a voice menu's options, each to its own operator
 * group; the callers' choices are drawn by their shares. */
static void
test_ivr_options(void **state) {
    (void)state;
    static const char text[] =
        "name: menu\n"
        "switch:\n"
        "  numbers:\n"
        "    - name: hotline\n"
        "      number: \"100\"\n"
        "      lines: 40\n"
        "      ivr:\n"
        "        menu_time: 12s\n"
        "        options:\n"
        "          - { digit: \"1\", name: sales, share: 70%, operators: 7 }\n"
        "          - { digit: \"#\", name: support, share: 30%, operators: "
        "3 }\n"
        "      queue: { operators: 10, wrap_up: 5s }\n"
        "traffic:\n"
        "  - { name: callers, to: hotline, rate: 100, holding: 2m }\n";
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_parse(text, strlen(text), "menu.yaml", &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    const struct bh_sc_ivr *v = &sc->sw.numbers[0].ivr;
    assert_int_equal(v->noptions, 2);
    assert_int_equal(v->options[0].digit, '1');
    assert_string_equal(v->options[0].name, "sales");
    assert_true(v->options[0].share == 0.7 && v->options[0].operators == 7);
    assert_int_equal(v->options[1].digit, '#');
    assert_int_equal(v->options[1].operators, 3);
    bh_scenario_free(sc);
}

static const char *const examples[] = {
    "hotline-8800.yaml", "free-conference.yaml", "outbound-campaign.yaml",
    "office-pbx.yaml",   "hourly-bridge.yaml",
};

static void
test_examples_load(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", BH_SOURCE_DIR,
                 examples[i]);
        struct bh_scenario *sc = load_ok(path);
        assert_true(sc->nsources > 0);
        bh_scenario_free(sc);
    }
}

/* tariffs.operators, tariffs.prepaid and the cost thresholds by payer and
 * by target (issue 15 items 6, 11, 16), then their errors at LINE:COLUMN. */
static const char money_head[] =
    "name: money\n"
    "switch:\n"
    "  numbers:\n"
    "    - { name: hotline, number: \"8800\", lines: 10, payer: callee,\n"
    "        queue: { operators: 4 } }\n"
    "traffic:\n"
    "  - { name: c, to: hotline, rate: 10, holding: 3m }\n"
    "tariffs:\n"
    "  currency: EUR\n";

static int
parse_money(const char *tail, struct bh_scenario **sc, struct bh_diag *d) {
    char buf[2048];
    snprintf(buf, sizeof buf, "%s%s", money_head, tail);
    *sc = NULL;
    return bh_scenario_parse(buf, strlen(buf), "money.yaml", sc, d);
}

static void
test_money_tariffs(void **state) {
    (void)state;
    struct bh_scenario *sc;
    struct bh_diag d;
    int rc = parse_money("  operators: { per_hour: 18.50, shrinkage: 30% }\n"
                         "  prepaid: { balance: 500, top_up: 100.25, "
                         "every: 7d }\n"
                         "thresholds:\n"
                         "  - cost.company.per_answered_call < 2.50\n"
                         "  - cost.callers.total <= 0\n"
                         "  - hotline.cost.company.per_hour < 40\n"
                         "  - hotline.cost.per_answered_call < 3\n"
                         "  - cost.per_month < 30000\n"
                         "  - cost.per_call < 1\n",
                         &sc, &d);
    if (rc)
        bh_diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    const struct bh_sc_tariffs *t = &sc->tariffs;
    assert_int_equal(t->operator_per_hour, 18500000);
    assert_true(fabs(t->shrinkage - 0.30) < 1e-12);
    assert_true(t->prepaid);
    assert_int_equal(t->balance, 500000000);
    assert_int_equal(t->top_up, 100250000);
    assert_true(t->top_up_every == 7 * 86400.0);
    const struct bh_sc_threshold *th = sc->thresholds;
    assert_int_equal(sc->nthresholds, 6);
    assert_string_equal(th[0].target, "cost");
    assert_int_equal(th[0].metric, BH_METRIC_COST_PER_ANSWERED_CALL);
    assert_int_equal(th[0].payer, BH_COST_COMPANY);
    assert_true(th[0].value == 2.5);
    assert_int_equal(th[1].metric, BH_METRIC_COST_TOTAL);
    assert_int_equal(th[1].payer, BH_COST_CALLERS);
    assert_string_equal(th[2].target, "hotline");
    assert_int_equal(th[2].metric, BH_METRIC_COST_PER_HOUR);
    assert_int_equal(th[2].payer, BH_COST_COMPANY);
    assert_int_equal(th[3].metric, BH_METRIC_COST_PER_ANSWERED_CALL);
    assert_int_equal(th[3].payer, BH_COST_ALL);
    assert_int_equal(th[4].metric, BH_METRIC_COST_PER_MONTH);
    assert_int_equal(th[5].metric, BH_METRIC_COST_PER_CALL);
    bh_scenario_free(sc);

    /* defaults: no shrinkage, no prepaid balance, no operators' pay */
    assert_int_equal(parse_money("  operators: { per_hour: 10 }\n", &sc, &d),
                     0);
    assert_true(sc->tariffs.shrinkage == 0);
    assert_false(sc->tariffs.prepaid);
    bh_scenario_free(sc);

    static const struct {
        const char *tail;
        int line, column;
        const char *fragment;
    } bad[] = {
        {"  operators: { per_hour: 10, shrinkage: 96% }\n", 10, 41,
         "at most 95%"},
        {"  operators: { shrinkage: 10% }\n", 10, 14, "per_hour"},
        {"  operators: { per_hour: 10, shrinkage: 30 }\n", 10, 41,
         "needs a % sign"},
        {"  prepaid: { balance: 5, top_up: 1 }\n", 10, 34, "needs 'every'"},
        {"  prepaid: { balance: 5, every: 1d }\n", 10, 33, "needs a top_up"},
        {"  prepaid: { balance: 5, top_up: 1, every: 10m }\n", 10, 44,
         "at least 1h"},
        {"thresholds:\n  - cost.company.per_call < 1\n", 11, 10,
         "unknown metric 'company.per_call'"},
        {"thresholds:\n  - hotline.cost.per_call < 1\n", 11, 13,
         "unknown metric 'cost.per_call' for hotline"},
        {"thresholds:\n  - cost.compnay.total < 1\n", 11, 10,
         "did you mean 'company.total'"},
        {"thresholds:\n  - hotline.cost.company.total < 1%\n", 11, 34,
         "is an amount in EUR"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rc = parse_money(bad[i].tail, &sc, &d);
        if (rc != BH_EPARSE || d.line != bad[i].line ||
            d.column != bad[i].column || !strstr(d.msg, bad[i].fragment))
            fprintf(stderr, "case %zu: %d:%d: %s\n", i, d.line, d.column,
                    d.msg);
        assert_int_equal(rc, BH_EPARSE);
        assert_null(sc);
        assert_int_equal(d.line, bad[i].line);
        assert_int_equal(d.column, bad[i].column);
        assert_non_null(strstr(d.msg, bad[i].fragment));
    }
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normative_top),
        cmocka_unit_test(test_normative_switch),
        cmocka_unit_test(test_normative_callers),
        cmocka_unit_test(test_normative_meetings),
        cmocka_unit_test(test_normative_tariffs),
        cmocka_unit_test(test_normative_thresholds),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_media_pcap),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_profile_wrap),
        cmocka_unit_test(test_empirical),
        cmocka_unit_test(test_money_exact),
        cmocka_unit_test(test_tariffs_without_rates),
        cmocka_unit_test(test_campaign_example),
        cmocka_unit_test(test_office_example),
        cmocka_unit_test(test_free_conference_example),
        cmocka_unit_test(test_bridge_rooms),
        cmocka_unit_test(test_ivr_options),
        cmocka_unit_test(test_examples_load),
        cmocka_unit_test(test_money_tariffs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
