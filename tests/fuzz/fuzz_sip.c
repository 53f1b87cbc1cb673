/* fuzz_sip.c: libFuzzer entry for the SIP parser, lazy headers, builder. */
#include "proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Static: the message struct is large; libFuzzer runs one input at a
 * time in this process. */
static struct bh_sip_msg sip_msg, sip_again;
static char sip_out[BH_SIP_MAX_MSG + 4096];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A heap copy of exactly size bytes: ASan flags any overread. */
    char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    struct bh_sip_error err;
    int rc = bh_sip_parse(buf, size, &sip_msg, &err);
    if (rc != 0) {
        if (err.offset > size || err.what == NULL)
            abort();
        free(buf);
        return 0;
    }
    if (sip_msg.msg_len > size || sip_msg.body.len > size)
        abort();

    /* Everything lazy, on every header. */
    struct bh_sip_nameaddr na[BH_SIP_MAX_CONTACT];
    int star;
    (void)bh_sip_contacts(&sip_msg, na, BH_SIP_MAX_CONTACT, &star);
    (void)bh_sip_routes(&sip_msg, BH_SIP_H_ROUTE, na, BH_SIP_MAX_ROUTE);
    (void)bh_sip_routes(&sip_msg, BH_SIP_H_RECORD_ROUTE, na, BH_SIP_MAX_ROUTE);
    uint32_t secs;
    (void)bh_sip_expires(&sip_msg, &secs);
    char tmp[512];
    (void)bh_sip_unescape(sip_msg.ruri.user, tmp, sizeof tmp);
    (void)bh_sip_unescape(sip_msg.to.uri.user, tmp, sizeof tmp);
    (void)bh_sip_param(sip_msg.ruri.params, "lr", NULL);
    (void)bh_sip_param(sip_msg.from.params, "tag", NULL);
    (void)bh_sip_uri_equal(&sip_msg.from.uri, &sip_msg.to.uri);
    for (size_t i = 0; i < sip_msg.nheaders; i++) {
        struct bh_sip_nameaddr one;
        (void)bh_sip_nameaddr_parse(sip_msg.headers[i].value, &one);
        char name[64];
        size_t n = sip_msg.headers[i].name.len < sizeof name - 1
                       ? sip_msg.headers[i].name.len
                       : sizeof name - 1;
        memcpy(name, sip_msg.headers[i].name.p, n);
        name[n] = '\0';
        if (sip_msg.headers[i].name.len < sizeof name - 1 &&
            bh_sip_header_find(&sip_msg, name, NULL) == NULL)
            abort(); /* every header is findable by its own name */
    }

    /* A response to any request we accept must itself parse, with the
     * same Call-ID, CSeq and Via count (RFC 3261 8.2.6.2). */
    if (sip_msg.is_request) {
        struct bh_sip_builder b;
        bh_sip_build_init(&b, sip_out, sizeof sip_out);
        bh_sip_build_response_src(&b, &sip_msg, 486, NULL, BH_STR_LIT("t1"),
                                  BH_STR_LIT("192.0.2.1"), 5060);
        int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
        if (n > 0) {
            struct bh_sip_error e2;
            if (bh_sip_parse(sip_out, (size_t)n, &sip_again, &e2) != 0)
                abort();
            if (sip_again.cseq != sip_msg.cseq ||
                sip_again.nvia != sip_msg.nvia ||
                sip_again.call_id.len != sip_msg.call_id.len)
                abort();
        } else if (n != BH_ETOOBIG) {
            abort();
        }
    }
    free(buf);
    return 0;
}
