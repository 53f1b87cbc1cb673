/* fuzz_rtp.c: libFuzzer entry for RTP, RTCP, RFC 4733 and the jitter
 * buffer. */
#include "proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bh_jitter rtp_jb;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    struct bh_rtp_hdr h;
    if (bh_rtp_parse(buf, size, &h) == 0) {
        if (h.payload + h.payload_len > buf + size)
            abort();
        struct bh_dtmf_rx rx;
        char digit;
        bh_dtmf_rx_init(&rx);
        (void)bh_dtmf_rx_packet(&rx, &h, &digit);
        uint8_t out[2048];
        int n = bh_rtp_build(out, sizeof out, &h, h.payload, h.payload_len);
        struct bh_rtp_hdr g;
        if (n > 0 && (bh_rtp_parse(out, (size_t)n, &g) != 0 || g.seq != h.seq ||
                      g.payload_len != h.payload_len))
            abort();
    }
    struct bh_rtcp_report rep[4];
    int nr = bh_rtcp_parse(buf, size, rep, 4);
    for (int i = 0; i < nr; i++) {
        uint8_t out[1024];
        if (bh_rtcp_build(out, sizeof out, &rep[i]) <= 0)
            abort();
    }
    /* The input as a train of 4-byte (seq, arrival) pairs into a jitter
     * buffer and receiver statistics. */
    bh_jitter_init(&rtp_jb, 160, 1, 8);
    struct bh_rtp_stats st;
    uint8_t pay[8] = {0};
    for (size_t i = 0; i + 4 <= size; i += 4) {
        struct bh_rtp_hdr p;
        memset(&p, 0, sizeof p);
        p.seq = (uint16_t)(buf[i] << 8 | buf[i + 1]);
        p.ts = (uint32_t)p.seq * 160;
        p.payload = pay;
        p.payload_len = sizeof pay;
        uint32_t arrival = (uint32_t)(i / 4) * 160 + buf[i + 2] * 40u;
        if (i == 0)
            bh_rtp_stats_init(&st, 1, p.seq);
        (void)bh_rtp_stats_update(&st, p.seq, p.ts, arrival);
        (void)bh_jitter_put(&rtp_jb, &p, arrival);
        struct bh_jitter_frame f;
        for (int k = 0; k < (buf[i + 3] & 3); k++)
            (void)bh_jitter_get(&rtp_jb, &f);
        if (rtp_jb.depth > BH_JITTER_SLOTS)
            abort();
    }
    if (size >= 4) {
        struct bh_rtcp_rb rb;
        bh_rtp_stats_report_block(&st, 0, 0, &rb);
    }
    free(buf);
    return 0;
}
