/* test_dtmf.c: RFC 4733 telephone events, sender and receiver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto.h"

#include <string.h>

static void
test_chars(void **state) {
    (void)state;
    const char *all = "0123456789*#ABCD";
    for (int i = 0; i < 16; i++) {
        assert_int_equal(bh_dtmf_from_char(all[i]), i);
        assert_int_equal(bh_dtmf_to_char((uint8_t)i), all[i]);
    }
    assert_int_equal(bh_dtmf_from_char('d'), 15);
    assert_int_equal(bh_dtmf_from_char('E'), -1);
    assert_int_equal(bh_dtmf_to_char(16), 0);
}

static void
test_payload(void **state) {
    (void)state;
    /* RFC 4733 2.3 layout: event, E|R|volume, duration. */
    struct bh_dtmf_event ev = {11, 1, 10, 1600}, back;
    uint8_t p[4];
    assert_int_equal(bh_dtmf_build(p, 4, &ev), 4);
    assert_int_equal(p[0], 11);
    assert_int_equal(p[1], 0x8A);
    assert_int_equal(p[2], 0x06);
    assert_int_equal(p[3], 0x40);
    assert_int_equal(bh_dtmf_parse(p, 4, &back), 0);
    assert_int_equal(back.event, 11);
    assert_int_equal(back.end, 1);
    assert_int_equal(back.volume, 10);
    assert_int_equal(back.duration, 1600);
    assert_int_equal(bh_dtmf_parse(p, 3, &back), BH_EPARSE);
    assert_int_equal(bh_dtmf_build(p, 3, &ev), BH_ETOOBIG);
    ev.volume = 64;
    assert_int_equal(bh_dtmf_build(p, 4, &ev), BH_EINVAL);
}

/* Sends digits through tx, feeds the packets to rx (with a duplicate of
 * every packet and the retransmitted ends), collects the digits. */
static void
test_send_receive(void **state) {
    (void)state;
    const char *digits = "1#9*";
    char got[8] = {0};
    int ngot = 0;
    struct bh_dtmf_rx rx;
    bh_dtmf_rx_init(&rx);
    uint32_t ts = 0xFFFFF000u; /* crosses the 32-bit wrap */
    for (const char *d = digits; *d; d++) {
        struct bh_dtmf_tx tx;
        assert_int_equal(bh_dtmf_tx_start(&tx, *d, ts, 800, 160), 0);
        uint8_t p[4];
        int marker, packets = 0, ends = 0;
        while (bh_dtmf_tx_next(&tx, p, &marker) == 1) {
            struct bh_dtmf_event ev;
            bh_dtmf_parse(p, 4, &ev);
            assert_int_equal(marker, packets == 0);
            assert_int_equal(ev.event, bh_dtmf_from_char(*d));
            ends += ev.end;
            if (ev.end)
                assert_int_equal(ev.duration, 800);
            struct bh_rtp_hdr h = {0};
            h.pt = 101;
            h.ts = ts;
            h.marker = (uint8_t)marker;
            h.payload = p;
            h.payload_len = 4;
            for (int rep = 0; rep < 2; rep++) {
                char c;
                int r = bh_dtmf_rx_packet(&rx, &h, &c);
                assert_true(r == 0 || r == 1);
                if (r == 1)
                    got[ngot++] = c;
            }
            packets++;
        }
        /* 160, 320, 480, 640 then the end (800) three times. */
        assert_int_equal(packets, 7);
        assert_int_equal(ends, 3);
        ts += 1600;
    }
    assert_string_equal(got, digits);
}

static void
test_receiver_reorder(void **state) {
    (void)state;
    struct bh_dtmf_rx rx;
    bh_dtmf_rx_init(&rx);
    uint8_t p5[4] = {5, 0, 0, 160}, p6[4] = {6, 0, 0, 160};
    struct bh_rtp_hdr a = {0}, b = {0};
    a.ts = 1000;
    a.payload = p5;
    a.payload_len = 4;
    b.ts = 2000;
    b.payload = p6;
    b.payload_len = 4;
    char c = 0;
    assert_int_equal(bh_dtmf_rx_packet(&rx, &b, &c), 1);
    assert_int_equal(c, '6');
    /* A late packet of an older event is not a new digit. */
    assert_int_equal(bh_dtmf_rx_packet(&rx, &a, &c), 0);
    a.payload_len = 2;
    assert_int_equal(bh_dtmf_rx_packet(&rx, &a, &c), BH_EPARSE);
}

static void
test_tx_bad(void **state) {
    (void)state;
    struct bh_dtmf_tx tx;
    assert_int_equal(bh_dtmf_tx_start(&tx, 'x', 0, 800, 160), BH_EINVAL);
    assert_int_equal(bh_dtmf_tx_start(&tx, '1', 0, 800, 0), BH_EINVAL);
    /* A duration shorter than one step: only the end packets. */
    assert_int_equal(bh_dtmf_tx_start(&tx, '1', 0, 100, 160), 0);
    uint8_t p[4];
    int marker, n = 0;
    while (bh_dtmf_tx_next(&tx, p, &marker))
        n++;
    assert_int_equal(n, 3);
}

/* In-band: tones from the generator, through G.711 mu-law and back,
 * are detected as the same digits. */
static void
test_inband_round_trip(void **state) {
    (void)state;
    struct bh_dtmf_generator *g = bh_dtmf_generator_new();
    struct bh_dtmf_detector *d = bh_dtmf_detector_new();
    assert_non_null(g);
    assert_non_null(d);
    const char *want = "0123456789*#ABCD";
    assert_int_equal(bh_dtmf_generate_queue(g, want), 0);
    assert_int_equal(bh_dtmf_generate_queue(g, "12x"), BH_EINVAL);
    char got[64] = "";
    size_t ngot = 0;
    int idle = 0;
    for (int frame = 0; frame < 400 && idle < 10; frame++) {
        int16_t pcm[160];
        uint8_t law[160];
        int made = bh_dtmf_generate(g, pcm, 160);
        assert_true(made >= 0 && made <= 160);
        idle = made == 0 ? idle + 1 : 0;
        bh_g711_encode(BH_RTP_PT_PCMU, pcm, law, 160);
        bh_g711_decode(BH_RTP_PT_PCMU, law, pcm, 160);
        char digits[8];
        int n = bh_dtmf_detect(d, pcm, 160, digits, sizeof digits);
        assert_true(n >= 0);
        memcpy(got + ngot, digits, (size_t)n);
        ngot += (size_t)n;
        got[ngot] = '\0';
    }
    assert_string_equal(got, want);
    /* Silence detects nothing. */
    int16_t quiet[800] = {0};
    char digits[8];
    assert_int_equal(bh_dtmf_detect(d, quiet, 800, digits, sizeof digits), 0);
    assert_string_equal(digits, "");
    /* A full queue says so. */
    char many[200];
    memset(many, '5', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    assert_int_equal(bh_dtmf_generate_queue(g, many), BH_ETOOBIG);
    bh_dtmf_generator_free(g);
    bh_dtmf_detector_free(d);
    bh_dtmf_generator_free(NULL);
    bh_dtmf_detector_free(NULL);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chars),
        cmocka_unit_test(test_payload),
        cmocka_unit_test(test_send_receive),
        cmocka_unit_test(test_receiver_reorder),
        cmocka_unit_test(test_tx_bad),
        cmocka_unit_test(test_inband_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
