/* fuzz_sdp.c: libFuzzer entry for the SDP parser and offer/answer. */
#include "proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bh_sip_msg sdp_msg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    /* Seeded with SIP messages: use the body when the input is one. */
    const char *p = buf;
    size_t len = size;
    if (bh_sip_parse(buf, size, &sdp_msg, NULL) == 0) {
        p = sdp_msg.body.p;
        len = sdp_msg.body.len;
    }
    struct bh_sdp sdp;
    size_t off = 0;
    if (bh_sdp_parse(p, len, &sdp, &off) == 0) {
        struct bh_sdp_audio local, ans;
        memset(&local, 0, sizeof local);
        memcpy(local.addr, "192.0.2.1", 10);
        local.port = 4000;
        local.pt[0] = BH_RTP_PT_PCMU;
        local.pt[1] = BH_RTP_PT_PCMA;
        local.npt = 2;
        local.te_pt = 101;
        local.ptime = 20;
        struct bh_sdp_plan plan;
        if (bh_sdp_answer(&sdp, &local, &ans, &plan) == 0) {
            char out[2048];
            int n = bh_sdp_build_audio(out, sizeof out, &ans);
            struct bh_sdp back;
            if (n <= 0 || bh_sdp_parse(out, (size_t)n, &back, NULL) != 0)
                abort(); /* our own answer must parse */
            struct bh_sdp_plan p2;
            if (bh_sdp_accept(&back, &ans, &p2) != 0)
                abort();
        }
        for (size_t i = 0; i < sdp.nmedia; i++)
            (void)bh_sdp_is_hold(&sdp.media[i]);
    } else if (off > len) {
        abort();
    }
    free(buf);
    return 0;
}
