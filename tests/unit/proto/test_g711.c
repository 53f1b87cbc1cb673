/* test_g711.c: G.711 against a reference built from the G.711 tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto.h"

/* The reference here is derived from the quantisation tables of ITU-T
 * G.711 (Tables 1a and 2a: segments, decision values, decoder outputs),
 * not from spandsp. A 16-bit sample enters as in the ITU-T G.191
 * reference software: the magnitude is x >> k for x >= 0 and (~x) >> k
 * for x < 0 (k = 2 for mu-law's 14 bits, 4 for A-law's 12 bits). */

/* mu-law: segment s = 0..7, interval j = 0..15. The lower decision
 * value in the 14-bit scale (0..8191): G.711 Table 2a, whose segment
 * end points are 0, 31, 95, 223, 479, 991, 2015, 4063, 8159 and whose
 * step doubles from 2 to 256 (the very first interval is 1 wide). */
static int
ulaw_lo(int s, int j) {
    int base[9] = {0, 31, 95, 223, 479, 991, 2015, 4063, 8159};
    int step = 2 << s;
    if (s == 0 && j == 0)
        return 0;
    if (s == 0)
        return 1 + (j - 1) * step;
    return base[s] + j * step;
}

/* Decoder output: the middle of the decision interval, G.711 2a. */
static int
ulaw_out14(int s, int j) {
    int lo = ulaw_lo(s, j);
    int hi = (s == 7 && j == 15)
                 ? 8158
                 : (j == 15 ? ulaw_lo(s + 1, 0) : ulaw_lo(s, j + 1)) - 1;
    return (lo + hi + 1) / 2;
}

static uint8_t
ref_ulaw_encode(int16_t x) {
    int neg = x < 0;
    int m = neg ? (~x) >> 2 : x >> 2;
    int code = 0;
    for (int s = 0; s < 8; s++)
        for (int j = 0; j < 16; j++)
            if (ulaw_lo(s, j) <= m)
                code = s << 4 | j;
    /* Code words are sent inverted; sign bit 1 for positive. */
    return (uint8_t)(neg ? (code ^ 0x7F) : (code ^ 0xFF));
}

static int16_t
ref_ulaw_decode(uint8_t c) {
    uint8_t u = (uint8_t)~c;
    int y = ulaw_out14((u >> 4) & 7, u & 15) * 4;
    return (int16_t)((u & 0x80) ? -y : y);
}

/* A-law, 12-bit magnitude (0..4095 in 13-bit units of 2): segments 0
 * and 1 have step 2 (1 here), then the step doubles (G.711 Table 1a). */
static int
alaw_lo(int s, int j) {
    if (s == 0)
        return j;
    return (16 + j) << (s - 1);
}

static uint8_t
ref_alaw_encode(int16_t x) {
    int pos = x >= 0;
    int m = pos ? x >> 4 : (~x) >> 4;
    int code = 0;
    for (int s = 0; s < 8; s++)
        for (int j = 0; j < 16; j++)
            if (alaw_lo(s, j) <= m)
                code = s << 4 | j;
    /* Sign bit 1 for positive; even bits inverted (0x55). */
    return (uint8_t)((code | (pos ? 0x80 : 0)) ^ 0x55);
}

static int16_t
ref_alaw_decode(uint8_t c) {
    uint8_t a = c ^ 0x55;
    int s = (a >> 4) & 7, j = a & 15;
    int lo = alaw_lo(s, j);
    int hi = (s == 7 && j == 15)
                 ? 2047
                 : (j == 15 ? alaw_lo(s + 1, 0) : alaw_lo(s, j + 1)) - 1;
    int y = (lo + hi + 1) * 8; /* the middle, in 16-bit units */
    return (int16_t)((a & 0x80) ? y : -y);
}

static void
test_tables_sane(void **state) {
    (void)state;
    /* Spot values printed in G.711: mu-law outputs 0, 2, 33, 8031 and
     * A-law outputs 1, 33 (13-bit scale: here x8 -> 8, 264), 4032. */
    assert_int_equal(ulaw_out14(0, 0), 0);
    assert_int_equal(ulaw_out14(0, 1), 2);
    assert_int_equal(ulaw_out14(1, 0), 33);
    assert_int_equal(ulaw_out14(7, 15), 8031);
    assert_int_equal(ref_alaw_decode(0xD5), 8);
    assert_int_equal(ref_alaw_decode(0x55), -8);
    assert_int_equal(ref_alaw_decode(0xAA), 32256);
    /* Idle codes: silence encodes to 0xFF (mu) and 0xD5 (A). */
    assert_int_equal(ref_ulaw_encode(0), 0xFF);
    assert_int_equal(ref_alaw_encode(0), 0xD5);
}

static void
test_ulaw_all_codes(void **state) {
    (void)state;
    for (int c = 0; c < 256; c++) {
        int16_t want = ref_ulaw_decode((uint8_t)c);
        int16_t got = bh_g711_ulaw_decode((uint8_t)c);
        if (got != want)
            fail_msg("mu-law code 0x%02x: got %d want %d", c, got, want);
        /* Every code but the negative zero re-encodes to itself. */
        if (c != 0x7F)
            assert_int_equal(bh_g711_ulaw_encode(got), c);
    }
}

static void
test_alaw_all_codes(void **state) {
    (void)state;
    for (int c = 0; c < 256; c++) {
        int16_t want = ref_alaw_decode((uint8_t)c);
        int16_t got = bh_g711_alaw_decode((uint8_t)c);
        if (got != want)
            fail_msg("A-law code 0x%02x: got %d want %d", c, got, want);
        assert_int_equal(bh_g711_alaw_encode(got), c);
    }
}

static void
test_ulaw_all_inputs(void **state) {
    (void)state;
    for (int x = -32768; x <= 32767; x++) {
        uint8_t want = ref_ulaw_encode((int16_t)x);
        uint8_t got = bh_g711_ulaw_encode((int16_t)x);
        if (got != want)
            fail_msg("mu-law input %d: got 0x%02x want 0x%02x", x, got, want);
    }
}

static void
test_alaw_all_inputs(void **state) {
    (void)state;
    for (int x = -32768; x <= 32767; x++) {
        uint8_t want = ref_alaw_encode((int16_t)x);
        uint8_t got = bh_g711_alaw_encode((int16_t)x);
        if (got != want)
            fail_msg("A-law input %d: got 0x%02x want 0x%02x", x, got, want);
    }
}

static void
test_blocks(void **state) {
    (void)state;
    int16_t in[160], out[160];
    uint8_t enc[160];
    for (int i = 0; i < 160; i++)
        in[i] = (int16_t)(i * 397 - 30000);
    assert_int_equal(bh_g711_encode(BH_RTP_PT_PCMU, in, enc, 160), 0);
    assert_int_equal(bh_g711_decode(BH_RTP_PT_PCMU, enc, out, 160), 0);
    for (int i = 0; i < 160; i++) {
        assert_int_equal(enc[i], ref_ulaw_encode(in[i]));
        assert_int_equal(out[i], ref_ulaw_decode(enc[i]));
    }
    assert_int_equal(bh_g711_encode(BH_RTP_PT_PCMA, in, enc, 160), 0);
    assert_int_equal(bh_g711_decode(BH_RTP_PT_PCMA, enc, out, 160), 0);
    for (int i = 0; i < 160; i++)
        assert_int_equal(out[i], ref_alaw_decode(ref_alaw_encode(in[i])));
    assert_int_equal(bh_g711_encode(18, in, enc, 160), BH_EINVAL);
    assert_int_equal(bh_g711_decode(3, enc, out, 160), BH_EINVAL);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_sane),
        cmocka_unit_test(test_ulaw_all_codes),
        cmocka_unit_test(test_alaw_all_codes),
        cmocka_unit_test(test_ulaw_all_inputs),
        cmocka_unit_test(test_alaw_all_inputs),
        cmocka_unit_test(test_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
