/* test_jitter.c: the adaptive jitter buffer under loss, reorder, jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto.h"

#include <stdlib.h>
#include <string.h>

static struct bh_rtp_hdr
packet(uint16_t seq, uint8_t *payload) {
    struct bh_rtp_hdr h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.seq = seq;
    h.ts = (uint32_t)seq * 160;
    h.pt = 0;
    payload[0] = (uint8_t)seq;
    payload[1] = (uint8_t)(seq >> 8);
    h.payload = payload;
    h.payload_len = 160;
    return h;
}

static void
test_init(void **state) {
    (void)state;
    struct bh_jitter *jb = malloc(sizeof *jb);
    assert_int_equal(bh_jitter_init(jb, 0, 1, 4), BH_EINVAL);
    assert_int_equal(bh_jitter_init(jb, 160, 0, 4), BH_EINVAL);
    assert_int_equal(bh_jitter_init(jb, 160, 5, 4), BH_EINVAL);
    assert_int_equal(bh_jitter_init(jb, 160, 1, BH_JITTER_SLOTS), BH_EINVAL);
    assert_int_equal(bh_jitter_init(jb, 160, 2, 8), 0);
    struct bh_jitter_frame f;
    assert_int_equal(bh_jitter_get(jb, &f), BH_JITTER_EMPTY);
    free(jb);
}

/* In-order stream: buffers to the target, then plays every frame. */
static void
test_in_order(void **state) {
    (void)state;
    struct bh_jitter *jb = malloc(sizeof *jb);
    bh_jitter_init(jb, 160, 2, 8);
    uint8_t pay[160] = {0};
    struct bh_jitter_frame f;
    uint16_t next = 65530; /* crosses the wrap */
    int played = 0;
    for (int i = 0; i < 100; i++) {
        struct bh_rtp_hdr h = packet((uint16_t)(65530 + i), pay);
        assert_int_equal(bh_jitter_put(jb, &h, h.ts + 1000), 0);
        enum bh_jitter_result r = bh_jitter_get(jb, &f);
        if (i == 0)
            assert_int_equal(r, BH_JITTER_EMPTY);
        if (r == BH_JITTER_FRAME) {
            assert_int_equal(f.seq, next);
            assert_int_equal(f.len, 160);
            assert_int_equal(f.data[0], (uint8_t)next);
            next++;
            played++;
        }
    }
    assert_int_equal(played, 99);
    assert_int_equal(jb->stats.lost, 0);
    free(jb);
}

/* Reordered pairs and one loss: frames come out in order, the missing
 * one is reported as lost once, duplicates and late frames dropped. */
static void
test_reorder_loss_dup(void **state) {
    (void)state;
    struct bh_jitter *jb = malloc(sizeof *jb);
    bh_jitter_init(jb, 160, 3, 8);
    uint8_t pay[160] = {0};
    uint16_t order[] = {0, 2, 1, 3, 5, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    struct bh_jitter_frame f;
    int frames = 0, lost = 0;
    uint16_t expect = 0;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        struct bh_rtp_hdr h = packet(order[i], pay);
        assert_int_equal(bh_jitter_put(jb, &h, h.ts), 0);
        if (order[i] == 4)
            assert_int_equal(bh_jitter_put(jb, &h, h.ts), 1); /* dup */
        enum bh_jitter_result r = bh_jitter_get(jb, &f);
        if (r == BH_JITTER_FRAME) {
            assert_int_equal(f.seq, expect);
            expect++;
            frames++;
        } else if (r == BH_JITTER_LOST) {
            assert_int_equal(expect, 7);
            expect++;
            lost++;
        }
    }
    while (bh_jitter_get(jb, &f) == BH_JITTER_FRAME) {
        assert_int_equal(f.seq, expect);
        expect++;
        frames++;
    }
    assert_int_equal(frames, 15);
    assert_int_equal(lost, 1);
    assert_int_equal(expect, 16);
    assert_int_equal(jb->stats.duplicate, 1);
    assert_int_equal(jb->stats.reordered, 2);
    /* Seq 7 arriving now is late. */
    struct bh_rtp_hdr h = packet(7, pay);
    assert_int_equal(bh_jitter_put(jb, &h, h.ts), 1);
    assert_int_equal(jb->stats.late, 1);
    free(jb);
}

/* Under jitter the target grows; when the jitter goes away the buffer
 * shrinks back by dropping frames. */
static void
test_adapts(void **state) {
    (void)state;
    struct bh_jitter *jb = malloc(sizeof *jb);
    bh_jitter_init(jb, 160, 1, 10);
    uint8_t pay[160] = {0};
    struct bh_jitter_frame f;
    uint16_t seq = 0;
    /* Bursty: packets arrive in clumps of 4 every 80 ms. */
    for (int t = 0; t < 200; t++) {
        if (t % 4 == 3) {
            for (int k = 0; k < 4; k++, seq++) {
                struct bh_rtp_hdr h = packet(seq, pay);
                bh_jitter_put(jb, &h, (uint32_t)t * 160);
            }
        }
        bh_jitter_get(jb, &f);
    }
    uint32_t grown = jb->target_frames;
    assert_true(grown >= 4);
    /* Smooth: one packet per tick. */
    for (int t = 200; t < 800; t++, seq++) {
        struct bh_rtp_hdr h = packet(seq, pay);
        bh_jitter_put(jb, &h, (uint32_t)t * 160);
        bh_jitter_get(jb, &f);
    }
    assert_true(jb->target_frames < grown);
    assert_true(jb->depth <= jb->target_frames + 1);
    assert_true(jb->stats.dropped > 0);
    free(jb);
}

static void
test_limits(void **state) {
    (void)state;
    struct bh_jitter *jb = malloc(sizeof *jb);
    bh_jitter_init(jb, 160, 2, 8);
    uint8_t big[BH_JITTER_FRAME_MAX + 1] = {0};
    struct bh_rtp_hdr h = packet(1, big);
    h.payload_len = sizeof big;
    assert_int_equal(bh_jitter_put(jb, &h, 0), BH_ETOOBIG);
    /* A jump further than the buffer restarts from the new packet. */
    h.payload_len = 10;
    assert_int_equal(bh_jitter_put(jb, &h, 0), 0);
    h = packet(1 + BH_JITTER_SLOTS, big);
    h.payload_len = 10;
    assert_int_equal(bh_jitter_put(jb, &h, 0), 0);
    assert_int_equal(jb->stats.overflow, 1);
    assert_int_equal(jb->depth, 1);
    free(jb);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reorder_loss_dup),
        cmocka_unit_test(test_adapts),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
