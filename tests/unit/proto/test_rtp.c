/* test_rtp.c: RTP/RTCP packets, wrap arithmetic, receiver statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto.h"

#include <math.h>
#include <string.h>

static void
test_build_parse(void **state) {
    (void)state;
    uint8_t pay[160], pkt[256];
    for (int i = 0; i < 160; i++)
        pay[i] = (uint8_t)i;
    struct bh_rtp_hdr h = {0};
    h.version = 2;
    h.marker = 1;
    h.pt = 8;
    h.seq = 65535;
    h.ts = 0xFFFFFF60u;
    h.ssrc = 0xDEADBEEF;
    h.cc = 2;
    h.csrc[0] = 1;
    h.csrc[1] = 2;
    int n = bh_rtp_build(pkt, sizeof pkt, &h, pay, sizeof pay);
    assert_int_equal(n, 12 + 8 + 160);
    assert_int_equal(pkt[0], 0x82);
    assert_int_equal(pkt[1], 0x88);
    struct bh_rtp_hdr g;
    assert_int_equal(bh_rtp_parse(pkt, (size_t)n, &g), 0);
    assert_int_equal(g.seq, 65535);
    assert_int_equal(g.ts, 0xFFFFFF60u);
    assert_int_equal(g.ssrc, 0xDEADBEEF);
    assert_int_equal(g.pt, 8);
    assert_int_equal(g.marker, 1);
    assert_int_equal(g.cc, 2);
    assert_int_equal(g.csrc[1], 2);
    assert_int_equal(g.payload_len, 160);
    assert_memory_equal(g.payload, pay, 160);
    assert_int_equal(bh_rtp_build(pkt, 100, &h, pay, sizeof pay), BH_ETOOBIG);
}

static void
test_parse_rejects(void **state) {
    (void)state;
    struct bh_rtp_hdr h;
    uint8_t p[32] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    assert_int_equal(bh_rtp_parse(p, 11, &h), BH_EPARSE);
    assert_int_equal(bh_rtp_parse(p, 12, &h), 0);
    assert_int_equal(h.payload_len, 0);
    p[0] = 0x40; /* version 1 */
    assert_int_equal(bh_rtp_parse(p, 12, &h), BH_EPARSE);
    p[0] = 0x8F; /* 15 CSRCs, not there */
    assert_int_equal(bh_rtp_parse(p, 32, &h), BH_EPARSE);
    /* Extension: one word, present. */
    p[0] = 0x90;
    p[12] = 0xBE;
    p[13] = 0xDE;
    p[14] = 0;
    p[15] = 1;
    assert_int_equal(bh_rtp_parse(p, 20, &h), 0);
    assert_int_equal(h.payload_len, 0);
    assert_int_equal(bh_rtp_parse(p, 19, &h), BH_EPARSE);
    /* Padding: last octet counts, must fit and be > 0. */
    p[0] = 0xA0;
    p[15] = 4;
    assert_int_equal(bh_rtp_parse(p, 16, &h), 0);
    assert_int_equal(h.payload_len, 0);
    p[15] = 5;
    assert_int_equal(bh_rtp_parse(p, 16, &h), BH_EPARSE);
    p[15] = 0;
    assert_int_equal(bh_rtp_parse(p, 16, &h), BH_EPARSE);
}

static void
test_wrap_arithmetic(void **state) {
    (void)state;
    assert_int_equal(bh_rtp_seq_diff(0, 65535), 1);
    assert_int_equal(bh_rtp_seq_diff(65535, 0), -1);
    assert_int_equal(bh_rtp_seq_diff(100, 90), 10);
    assert_int_equal(bh_rtp_seq_diff(5, 65530), 11);
    assert_true(bh_rtp_ts_diff(80, 0xFFFFFFB0u) == 160);
    assert_true(bh_rtp_ts_diff(0xFFFFFFB0u, 80) == -160);
}

static void
test_stats_wrap_and_loss(void **state) {
    (void)state;
    struct bh_rtp_stats s;
    uint16_t seq = 65530;
    uint32_t ts = 1000;
    bh_rtp_stats_init(&s, 7, seq);
    /* 20 packets across the wrap, losing two of them. */
    for (int i = 0; i < 20; i++, seq++, ts += 160) {
        if (i == 4 || i == 9)
            continue;
        assert_int_equal(bh_rtp_stats_update(&s, seq, ts, ts + 500), 0);
    }
    assert_int_equal(bh_rtp_stats_expected(&s), 20);
    assert_int_equal(s.received, 18);
    assert_int_equal(bh_rtp_stats_lost(&s), 2);
    assert_int_equal(bh_rtp_stats_ext_max(&s), 65536u + 13);
    assert_int_equal(bh_rtp_stats_jitter(&s), 0); /* constant transit */
    struct bh_rtcp_rb rb;
    bh_rtp_stats_report_block(&s, 0x1234, 0x10000, &rb);
    assert_int_equal(rb.ssrc, 7);
    assert_int_equal(rb.cum_lost, 2);
    assert_int_equal(rb.fraction_lost, (2 * 256) / 20);
    assert_int_equal(rb.ext_max_seq, 65536u + 13);
    /* Next interval: nothing lost. */
    for (int i = 0; i < 10; i++, seq++, ts += 160)
        bh_rtp_stats_update(&s, seq, ts, ts + 500);
    bh_rtp_stats_report_block(&s, 0, 0, &rb);
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cum_lost, 2);
}

/* A stream whose first sequence number is 0: its first packet is no
 * wrap (A.1's max_seq starts at seq - 1 = 65535). */
static void
test_stats_first_seq_zero(void **state) {
    (void)state;
    struct bh_rtp_stats s;
    bh_rtp_stats_init(&s, 3, 0);
    for (uint16_t i = 0; i < 50; i++)
        assert_int_equal(bh_rtp_stats_update(&s, i, i * 160u, i * 160u), 0);
    assert_int_equal(bh_rtp_stats_expected(&s), 50);
    assert_int_equal(bh_rtp_stats_lost(&s), 0);
    assert_int_equal(bh_rtp_stats_ext_max(&s), 49);
}

static void
test_stats_reorder_dup_jump(void **state) {
    (void)state;
    struct bh_rtp_stats s;
    bh_rtp_stats_init(&s, 1, 100);
    bh_rtp_stats_update(&s, 100, 0, 0);
    bh_rtp_stats_update(&s, 102, 320, 320);
    bh_rtp_stats_update(&s, 101, 160, 330); /* late: reordered */
    bh_rtp_stats_update(&s, 102, 320, 340); /* duplicate */
    assert_int_equal(s.max_seq, 102);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(bh_rtp_stats_lost(&s), -1); /* duplicate counted */
    /* A jump of 10000 is dropped once, accepted when it continues. */
    assert_int_equal(bh_rtp_stats_update(&s, 10102, 0, 0), 1);
    assert_int_equal(bh_rtp_stats_update(&s, 10103, 160, 160), 0);
    assert_int_equal(s.base_seq, 10103);
}

static void
test_jitter_a8(void **state) {
    (void)state;
    /* Transit alternating 0 and 80: |D| = 80 each time, so J converges
     * to 80 by J += (|D| - J) / 16. */
    struct bh_rtp_stats s;
    bh_rtp_stats_init(&s, 1, 0);
    double j = 0;
    for (int i = 0; i < 200; i++) {
        uint32_t ts = (uint32_t)i * 160;
        bh_rtp_stats_update(&s, (uint16_t)i, ts, ts + (i % 2 ? 80 : 0));
        if (i > 0)
            j += (80.0 - j) / 16.0;
    }
    assert_true(fabs(s.jitter - j) < 1e-9);
    assert_int_equal(bh_rtp_stats_jitter(&s), 79);
}

static void
test_rtcp_round_trip(void **state) {
    (void)state;
    struct bh_rtcp_report sr = {0}, rr = {0};
    sr.type = BH_RTCP_SR;
    sr.ssrc = 0x11111111;
    sr.ntp_sec = 3900000000u;
    sr.ntp_frac = 0x80000000u;
    sr.rtp_ts = 123456;
    sr.packet_count = 50;
    sr.octet_count = 8000;
    sr.nrb = 1;
    sr.rb[0] = (struct bh_rtcp_rb){0x22222222, 25, -5, 70000, 12, 0xABCD, 99};
    rr.type = BH_RTCP_RR;
    rr.ssrc = 0x33333333;
    rr.nrb = 0;
    uint8_t buf[256];
    int a = bh_rtcp_build(buf, sizeof buf, &sr);
    assert_int_equal(a, 52);
    int b = bh_rtcp_build(buf + a, sizeof buf - (size_t)a, &rr);
    assert_int_equal(b, 8);
    struct bh_rtcp_report out[4];
    assert_int_equal(bh_rtcp_parse(buf, (size_t)(a + b), out, 4), 2);
    assert_int_equal(out[0].type, BH_RTCP_SR);
    assert_int_equal(out[0].ntp_sec, 3900000000u);
    assert_int_equal(out[0].octet_count, 8000);
    assert_int_equal(out[0].nrb, 1);
    assert_int_equal(out[0].rb[0].cum_lost, -5);
    assert_int_equal(out[0].rb[0].ext_max_seq, 70000);
    assert_int_equal(out[0].rb[0].lsr, 0xABCD);
    assert_int_equal(out[1].type, BH_RTCP_RR);
    assert_int_equal(out[1].ssrc, 0x33333333);
    /* Truncations and a non-SR/RR first packet are rejected. */
    for (int k = 1; k < a + b; k++)
        if (k != a)
            assert_int_equal(bh_rtcp_parse(buf, (size_t)k, out, 4), BH_EPARSE);
    buf[1] = BH_RTCP_BYE;
    assert_int_equal(bh_rtcp_parse(buf, (size_t)(a + b), out, 4), BH_EPARSE);
    assert_int_equal(bh_rtcp_build(buf, 10, &sr), BH_ETOOBIG);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_parse),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_wrap_arithmetic),
        cmocka_unit_test(test_stats_wrap_and_loss),
        cmocka_unit_test(test_stats_first_seq_zero),
        cmocka_unit_test(test_stats_reorder_dup_jump),
        cmocka_unit_test(test_jitter_a8),
        cmocka_unit_test(test_rtcp_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
