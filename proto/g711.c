/* g711.c: G.711 mu-law and A-law through spandsp's inline coders. */
#include "proto.h"

#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

/* spandsp maps a negative 16-bit sample x to the mu-law magnitude |x|,
 * one LSB above the ITU-T G.191 reference coder, which takes ~x
 * (= |x| - 1) so that both signs quantise alike. Feeding x + 1 gives
 * the reference result; x = -1 is the negative zero, code 0x7F. A-law
 * already uses ~x in spandsp. tests/unit/proto/test_g711.c checks all
 * 65,536 inputs against the G.711 tables. */
uint8_t
bh_g711_ulaw_encode(int16_t linear) {
    if (linear >= 0)
        return linear_to_ulaw(linear);
    if (linear == -1)
        return 0x7F;
    return linear_to_ulaw(linear + 1);
}

int16_t
bh_g711_ulaw_decode(uint8_t code) {
    return ulaw_to_linear(code);
}

uint8_t
bh_g711_alaw_encode(int16_t linear) {
    return linear_to_alaw(linear);
}

int16_t
bh_g711_alaw_decode(uint8_t code) {
    return alaw_to_linear(code);
}

int
bh_g711_encode(uint8_t pt, const int16_t *in, uint8_t *out, size_t n) {
    if (pt == BH_RTP_PT_PCMU) {
        for (size_t i = 0; i < n; i++)
            out[i] = bh_g711_ulaw_encode(in[i]);
    } else if (pt == BH_RTP_PT_PCMA) {
        for (size_t i = 0; i < n; i++)
            out[i] = linear_to_alaw(in[i]);
    } else {
        return BH_EINVAL;
    }
    return 0;
}

int
bh_g711_decode(uint8_t pt, const uint8_t *in, int16_t *out, size_t n) {
    if (pt == BH_RTP_PT_PCMU) {
        for (size_t i = 0; i < n; i++)
            out[i] = ulaw_to_linear(in[i]);
    } else if (pt == BH_RTP_PT_PCMA) {
        for (size_t i = 0; i < n; i++)
            out[i] = alaw_to_linear(in[i]);
    } else {
        return BH_EINVAL;
    }
    return 0;
}
