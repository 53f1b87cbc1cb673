/* test_sut.c: the switch section a run hands its switch (sut.c): the
 * scenario's own times divided by the speed, wall-clock protections left
 * alone, the scenario untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run_int.h"

#include <string.h>

static const char yaml[] =
    "name: t\n"
    "switch:\n"
    "  numbers:\n"
    "    - name: desk\n"
    "      number: \"100\"\n"
    "      lines: 10\n"
    "      ivr: { menu_time: 12s }\n"
    "      queue: { operators: 2, max_wait: 5m, wrap_up: 30s,\n"
    "               ring_timeout: 15s, contacts: [\"sip:a@127.0.0.1:5070\",\n"
    "               \"sip:b@127.0.0.1:5070\"] }\n"
    "    - name: info\n"
    "      number: \"200\"\n"
    "      lines: 4\n"
    "  extensions:\n"
    "    - { number: \"101\", name: A, forward_no_answer: \"102\",\n"
    "        no_answer: 15s }\n"
    "    - { number: \"102\", name: B }\n"
    "  timers: { rtp_timeout: 30s, max_call: 2h }\n"
    "traffic:\n"
    "  - { name: c, to: desk, rate: 60, holding: 3m }\n";

static void
test_scaled(void **state) {
    (void)state;
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(bh_scenario_parse(yaml, strlen(yaml), "t.yaml", &sc, &d),
                     0);
    struct run_switch_cfg c;
    assert_int_equal(run_sut_scale(&sc->sw, 60, &c), 0);
    const struct bh_sc_number *n = &c.sw.numbers[0];
    assert_int_equal(c.sw.nnumbers, 2);
    assert_float_equal(n->ivr.menu_time, 12.0 / 60, 1e-12);
    assert_float_equal(n->queue.max_wait, 300.0 / 60, 1e-12);
    assert_float_equal(n->queue.wrap_up, 30.0 / 60, 1e-12);
    assert_float_equal(n->queue.ring_timeout, 15.0 / 60, 1e-12);
    assert_int_equal(n->lines, 10);
    assert_int_equal(n->queue.operators, 2);
    assert_int_equal(n->queue.ncontacts, 2);
    assert_string_equal(n->queue.contacts[1], "sip:b@127.0.0.1:5070");
    assert_int_equal(c.sw.nextensions, 2);
    assert_float_equal(c.sw.extensions[0].no_answer, 15.0 / 60, 1e-12);
    assert_float_equal(c.sw.timers.max_call, 7200.0 / 60, 1e-12);
    /* media and protocol timers are about real packets: wall seconds */
    assert_float_equal(c.sw.timers.rtp_timeout, 30, 0);
    assert_float_equal(c.sw.timers.session_expires,
                       sc->sw.timers.session_expires, 0);
    /* the scenario itself is unchanged: the simulator reads it */
    assert_float_equal(sc->sw.numbers[0].queue.max_wait, 300, 0);
    assert_float_equal(sc->sw.numbers[0].ivr.menu_time, 12, 0);
    assert_float_equal(sc->sw.extensions[0].no_answer, 15, 0);
    assert_float_equal(sc->sw.timers.max_call, 7200, 0);
    run_sut_scale_free(&c);
    run_sut_scale_free(&c); /* harmless twice */
    /* speed 1: the same times */
    assert_int_equal(run_sut_scale(&sc->sw, 1, &c), 0);
    assert_float_equal(c.sw.numbers[0].queue.max_wait, 300, 0);
    run_sut_scale_free(&c);
    bh_scenario_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
