/* fuzz_digest.c: libFuzzer entry for digest challenge/credential parsing,
 * verification and nonce checks. */
#include "proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bh_sip_msg dg_msg;

static void
dg_one(struct bh_str v) {
    static const uint8_t secret[] = "fuzz secret";
    struct bh_digest_challenge c;
    if (bh_digest_parse_challenge(v, &c) == 0) {
        char out[4096];
        (void)bh_digest_build_credentials(
            out, sizeof out, &c, BH_STR_LIT("user"), BH_STR_LIT("pw"),
            BH_STR_LIT("INVITE"), BH_STR_LIT("sip:x"), BH_STR_LIT("cn"), 1);
    }
    struct bh_digest_credentials cr;
    if (bh_digest_parse_credentials(v, &cr) == 0) {
        (void)bh_digest_verify(&cr, BH_STR_LIT("REGISTER"), BH_STR_LIT("pw"));
        (void)bh_digest_nonce_check(cr.nonce, secret, sizeof secret, 1000, 300);
    }
    (void)bh_digest_nonce_check(v, secret, sizeof secret, 1000, 300);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    /* Seeded with SIP messages: try every header value of one. */
    if (bh_sip_parse(buf, size, &dg_msg, NULL) == 0) {
        for (size_t i = 0; i < dg_msg.nheaders; i++)
            dg_one(dg_msg.headers[i].value);
    } else {
        dg_one(bh_str_make(buf, size));
    }
    free(buf);
    return 0;
}
