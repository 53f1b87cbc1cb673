/* test_acd.c: the ACD queue: strategies, ring timeout, wrap-up, max_length,
 * max_wait, abandonment. */
#include "switch.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static struct bh_sc_queue
queue(enum bh_strategy s) {
    struct bh_sc_queue q = {0};
    q.present = true;
    q.operators = 3;
    q.strategy = s;
    return q;
}

static size_t
poll(struct bh_switch_acd *a, double now, struct bh_switch_acd_action *out) {
    return bh_switch_acd_poll(a, now, out, 32);
}

/* Six callers, three operators answering at once: served in arrival
 * order as operators come free. */
static void
arrival_order(void **state) {
    struct bh_sc_queue q = queue(BH_STRATEGY_LONGEST_IDLE);
    q.wrap_up = 2;
    struct bh_switch_acd *a;
    struct bh_switch_acd_action act[32];
    assert_int_equal(bh_switch_acd_new(&q, 3, &a), 0);
    for (uint64_t c = 1; c <= 6; c++)
        assert_int_equal(bh_switch_acd_enqueue(a, c, (double)c / 10), 0);
    assert_int_equal(bh_switch_acd_enqueue(a, 3, 1), BH_EINVAL);
    size_t n = poll(a, 1, act);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(act[i].kind, BH_SWITCH_ACD_RING);
        assert_int_equal(act[i].call, (uint64_t)i + 1);
        assert_int_equal(act[i].op, i);
        assert_int_equal(bh_switch_acd_answered(a, i, 1, act + 3, 8), 0);
    }
    assert_int_equal(bh_switch_acd_waiting(a), 3);
    assert_int_equal(poll(a, 2, act), 0);
    assert_true(isinf(bh_switch_acd_deadline(a)));
    /* Operator 1 hangs up first, then 0: wrap-up decides who is free. */
    assert_int_equal(bh_switch_acd_hangup(a, 1, 10), 0);
    assert_int_equal(bh_switch_acd_hangup(a, 0, 11), 0);
    assert_true(bh_switch_acd_deadline(a) == 12);
    assert_int_equal(poll(a, 11.5, act), 0);
    n = poll(a, 12, act);
    assert_int_equal(n, 1);
    assert_int_equal(act[0].call, 4);
    assert_int_equal(act[0].op, 1);
    n = poll(a, 13, act);
    assert_int_equal(n, 1);
    assert_int_equal(act[0].call, 5);
    assert_int_equal(act[0].op, 0);
    assert_true(bh_switch_acd_since(a, 6) == 0.6);
    assert_int_equal(bh_switch_acd_answered(a, 2, 1, act, 8), BH_ESTATE);
    bh_switch_acd_free(a);
}

static void
abandon_while_waiting(void **state) {
    struct bh_sc_queue q = queue(BH_STRATEGY_LONGEST_IDLE);
    struct bh_switch_acd *a;
    struct bh_switch_acd_action act[32];
    assert_int_equal(bh_switch_acd_new(&q, 1, &a), 0);
    bh_switch_acd_enqueue(a, 1, 0);
    bh_switch_acd_enqueue(a, 2, 0);
    bh_switch_acd_enqueue(a, 3, 0);
    assert_int_equal(poll(a, 0, act), 1);
    assert_int_equal(bh_switch_acd_answered(a, 0, 0, act, 8), 0);
    assert_int_equal(bh_switch_acd_leave(a, 2), 0);
    assert_int_equal(bh_switch_acd_leave(a, 2), BH_ENOENT);
    assert_int_equal(bh_switch_acd_waiting(a), 1);
    bh_switch_acd_hangup(a, 0, 5);
    assert_int_equal(poll(a, 5, act), 1);
    assert_int_equal(act[0].call, 3);
    /* Leaving while rung frees the operator without a rest. */
    assert_int_equal(bh_switch_acd_leave(a, 3), 0);
    assert_int_equal(bh_switch_acd_op_state(a, 0), BH_SWITCH_OP_FREE);
    bh_switch_acd_free(a);
}

static void
ring_timeout_rests(void **state) {
    struct bh_sc_queue q = queue(BH_STRATEGY_LONGEST_IDLE);
    q.ring_timeout = 15;
    struct bh_switch_acd *a;
    struct bh_switch_acd_action act[32];
    assert_int_equal(bh_switch_acd_new(&q, 2, &a), 0);
    bh_switch_acd_enqueue(a, 7, 0);
    assert_int_equal(poll(a, 0, act), 1);
    assert_int_equal(act[0].op, 0);
    assert_true(bh_switch_acd_deadline(a) == 15);
    size_t n = poll(a, 15, act);
    assert_int_equal(n, 2);
    assert_int_equal(act[0].kind, BH_SWITCH_ACD_CANCEL);
    assert_int_equal(act[0].op, 0);
    assert_int_equal(act[1].kind, BH_SWITCH_ACD_RING);
    assert_int_equal(act[1].op, 1);
    assert_int_equal(bh_switch_acd_op_state(a, 0), BH_SWITCH_OP_RESTING);
    /* Operator 1 refuses: rested too; the caller waits on. */
    assert_int_equal(bh_switch_acd_refused(a, 1, 16), 0);
    assert_int_equal(poll(a, 16, act), 0);
    assert_true(bh_switch_acd_deadline(a) == 30);
    n = poll(a, 30, act);
    assert_int_equal(n, 1);
    assert_int_equal(act[0].op, 0);
    assert_int_equal(act[0].call, 7);
    bh_switch_acd_free(a);
}

static void
max_length_and_max_wait(void **state) {
    struct bh_sc_queue q = queue(BH_STRATEGY_LONGEST_IDLE);
    q.max_length = 2;
    q.max_wait = 60;
    struct bh_switch_acd *a;
    struct bh_switch_acd_action act[32];
    assert_int_equal(bh_switch_acd_new(&q, 0, &a), 0);
    assert_int_equal(bh_switch_acd_enqueue(a, 1, 0), 0);
    assert_int_equal(bh_switch_acd_enqueue(a, 2, 10), 0);
    assert_int_equal(bh_switch_acd_enqueue(a, 3, 10), BH_ERANGE);
    assert_true(bh_switch_acd_deadline(a) == 60);
    size_t n = poll(a, 60, act);
    assert_int_equal(n, 1);
    assert_int_equal(act[0].kind, BH_SWITCH_ACD_OVERFLOW);
    assert_int_equal(act[0].call, 1);
    n = poll(a, 100, act);
    assert_int_equal(n, 1);
    assert_int_equal(act[0].call, 2);
    assert_int_equal(bh_switch_acd_waiting(a), 0);
    bh_switch_acd_free(a);
    q.max_length = BH_SWITCH_MAX_QUEUE + 1;
    assert_int_equal(bh_switch_acd_new(&q, 1, &a), BH_ERANGE);
    q.max_length = 0;
    assert_int_equal(bh_switch_acd_new(&q, BH_SWITCH_MAX_OPERATORS + 1, &a),
                     BH_ERANGE);
}

static void
strategies(void **state) {
    struct bh_switch_acd *a;
    struct bh_switch_acd_action act[32];
    /* round-robin: 0, 1, 2, 0 ... even when 0 is free again. */
    struct bh_sc_queue q = queue(BH_STRATEGY_ROUND_ROBIN);
    assert_int_equal(bh_switch_acd_new(&q, 3, &a), 0);
    for (uint64_t c = 1; c <= 4; c++) {
        bh_switch_acd_enqueue(a, c, 0);
        assert_int_equal(poll(a, c, act), 1);
        assert_int_equal(act[0].op, (int)((c - 1) % 3));
        bh_switch_acd_answered(a, act[0].op, c, act + 1, 8);
        bh_switch_acd_hangup(a, act[0].op, c);
    }
    bh_switch_acd_free(a);

    /* fewest-calls: the operator with the fewest answered calls. */
    q = queue(BH_STRATEGY_FEWEST_CALLS);
    assert_int_equal(bh_switch_acd_new(&q, 3, &a), 0);
    bh_switch_acd_enqueue(a, 1, 0);
    poll(a, 0, act);
    assert_int_equal(act[0].op, 0);
    bh_switch_acd_answered(a, 0, 0, act, 8);
    bh_switch_acd_hangup(a, 0, 1);
    bh_switch_acd_enqueue(a, 2, 2);
    poll(a, 2, act);
    assert_int_equal(act[0].op, 1);
    assert_int_equal(bh_switch_acd_op_calls(a, 0), 1);
    bh_switch_acd_free(a);

    /* longest-idle: the operator free the longest. */
    q = queue(BH_STRATEGY_LONGEST_IDLE);
    assert_int_equal(bh_switch_acd_new(&q, 2, &a), 0);
    bh_switch_acd_enqueue(a, 1, 0);
    bh_switch_acd_enqueue(a, 2, 0);
    assert_int_equal(poll(a, 0, act), 2);
    bh_switch_acd_answered(a, 0, 0, act, 8);
    bh_switch_acd_answered(a, 1, 0, act, 8);
    bh_switch_acd_hangup(a, 1, 5);
    bh_switch_acd_hangup(a, 0, 6);
    bh_switch_acd_enqueue(a, 3, 7);
    assert_int_equal(poll(a, 7, act), 1);
    assert_int_equal(act[0].op, 1);
    bh_switch_acd_free(a);

    /* ring-all: every free operator rings; the first answer cancels the
     * others. */
    q = queue(BH_STRATEGY_RING_ALL);
    assert_int_equal(bh_switch_acd_new(&q, 3, &a), 0);
    bh_switch_acd_enqueue(a, 9, 0);
    bh_switch_acd_enqueue(a, 10, 0);
    assert_int_equal(poll(a, 0, act), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(act[i].call, 9);
    int n = bh_switch_acd_answered(a, 1, 1, act, 8);
    assert_int_equal(n, 2);
    assert_int_equal(act[0].kind, BH_SWITCH_ACD_CANCEL);
    assert_int_equal(act[0].op, 0);
    assert_int_equal(act[1].op, 2);
    assert_int_equal(poll(a, 1, act), 2);
    assert_int_equal(act[0].call, 10);
    assert_int_equal(bh_switch_acd_free_operators(a), 0);
    bh_switch_acd_free(a);
}

/* poll with a small output array resumes where it stopped. */
static void
small_output(void **state) {
    struct bh_sc_queue q = queue(BH_STRATEGY_RING_ALL);
    struct bh_switch_acd *a;
    struct bh_switch_acd_action act[2];
    assert_int_equal(bh_switch_acd_new(&q, 5, &a), 0);
    bh_switch_acd_enqueue(a, 1, 0);
    size_t total = 0, n;
    while ((n = bh_switch_acd_poll(a, 0, act, 2)) > 0)
        total += n;
    assert_int_equal(total, 5);
    bh_switch_acd_free(a);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arrival_order),
        cmocka_unit_test(abandon_while_waiting),
        cmocka_unit_test(ring_timeout_rests),
        cmocka_unit_test(max_length_and_max_wait),
        cmocka_unit_test(strategies),
        cmocka_unit_test(small_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
