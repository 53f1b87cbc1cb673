/* test_digest.c: digest authentication (RFC 2617, RFC 8760), nonces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corpus.h"
#include "proto.h"

/* RFC 2617 3.5: the worked example. */
static void
test_rfc2617_example(void **state) {
    (void)state;
    char out[BH_DIGEST_HEX_MAX];
    assert_int_equal(
        bh_digest_response(BH_DIGEST_MD5, BH_STR_LIT("Mufasa"),
                           BH_STR_LIT("testrealm@host.com"),
                           BH_STR_LIT("Circle Of Life"), BH_STR_LIT("GET"),
                           BH_STR_LIT("/dir/index.html"),
                           BH_STR_LIT("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
                           BH_STR_LIT("00000001"), BH_STR_LIT("0a4f113b"),
                           BH_STR_LIT("auth"), out),
        0);
    assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 3.9.1 (the same example with SHA-256, which RFC 8760 brings
 * to SIP). */
static void
test_sha256_example(void **state) {
    (void)state;
    char out[BH_DIGEST_HEX_MAX];
    assert_int_equal(
        bh_digest_response(
            BH_DIGEST_SHA256, BH_STR_LIT("Mufasa"),
            BH_STR_LIT("http-auth@example.org"), BH_STR_LIT("Circle of Life"),
            BH_STR_LIT("GET"), BH_STR_LIT("/dir/index.html"),
            BH_STR_LIT("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
            BH_STR_LIT("00000001"),
            BH_STR_LIT("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
            BH_STR_LIT("auth"), out),
        0);
    assert_string_equal(
        out,
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

static void
test_challenge_response_verify(void **state) {
    (void)state;
    const uint8_t secret[] = "switch secret, 32 bytes at least";
    for (int alg = 0; alg < 2; alg++) {
        char nonce[BH_DIGEST_NONCE_MAX];
        assert_int_equal(
            bh_digest_nonce_make(nonce, secret, sizeof secret, 1700000000), 0);
        char chal[512];
        int n = bh_digest_build_challenge(
            chal, sizeof chal, BH_STR_LIT("busyhour"),
            bh_str_make(nonce, strlen(nonce)), (enum bh_digest_alg)alg, 0);
        assert_true(n > 0);
        struct bh_digest_challenge c;
        assert_int_equal(
            bh_digest_parse_challenge(bh_str_make(chal, (size_t)n), &c), 0);
        assert_int_equal(c.alg, alg);
        assert_true(str_eq(c.realm, "busyhour"));
        assert_true(str_eq(c.nonce, nonce));
        char cred[1024];
        n = bh_digest_build_credentials(
            cred, sizeof cred, &c, BH_STR_LIT("op17"), BH_STR_LIT("pw-17"),
            BH_STR_LIT("REGISTER"), BH_STR_LIT("sip:busyhour.example"),
            BH_STR_LIT("c0ffee"), 1);
        assert_true(n > 0);
        struct bh_digest_credentials cr;
        assert_int_equal(
            bh_digest_parse_credentials(bh_str_make(cred, (size_t)n), &cr), 0);
        assert_true(str_eq(cr.username, "op17"));
        assert_true(str_eq(cr.nc, "00000001"));
        assert_true(str_eq(cr.qop, "auth"));
        assert_int_equal(cr.response.len, alg ? 64 : 32);
        assert_int_equal(
            bh_digest_verify(&cr, BH_STR_LIT("REGISTER"), BH_STR_LIT("pw-17")),
            0);
        assert_int_equal(
            bh_digest_verify(&cr, BH_STR_LIT("REGISTER"), BH_STR_LIT("pw-18")),
            BH_EAUTH);
        assert_int_equal(
            bh_digest_verify(&cr, BH_STR_LIT("INVITE"), BH_STR_LIT("pw-17")),
            BH_EAUTH);
        assert_int_equal(bh_digest_nonce_check(cr.nonce, secret, sizeof secret,
                                               1700000030, 300),
                         0);
    }
}

static void
test_nonce(void **state) {
    (void)state;
    const uint8_t secret[] = "k1", other[] = "k2";
    char nonce[BH_DIGEST_NONCE_MAX];
    assert_int_equal(bh_digest_nonce_make(nonce, secret, sizeof secret, 1000),
                     0);
    struct bh_str n = bh_str_make(nonce, strlen(nonce));
    assert_int_equal(n.len, 49);
    assert_int_equal(bh_digest_nonce_check(n, secret, sizeof secret, 1000, 60),
                     0);
    assert_int_equal(bh_digest_nonce_check(n, secret, sizeof secret, 1060, 60),
                     0);
    /* Older than max age: genuine but stale (answer stale=true). */
    assert_int_equal(bh_digest_nonce_check(n, secret, sizeof secret, 1061, 60),
                     BH_ESTATE);
    /* From the future, forged, or under another secret. */
    assert_int_equal(bh_digest_nonce_check(n, secret, sizeof secret, 999, 60),
                     BH_EAUTH);
    assert_int_equal(bh_digest_nonce_check(n, other, sizeof other, 1000, 60),
                     BH_EAUTH);
    nonce[15] = nonce[15] == '0' ? '1' : '0'; /* change the timestamp */
    assert_int_equal(
        bh_digest_nonce_check(n, secret, sizeof secret, 5000, 1000000),
        BH_EAUTH);
    assert_int_equal(bh_digest_nonce_check(BH_STR_LIT("abc"), secret,
                                           sizeof secret, 1000, 60),
                     BH_EAUTH);
    assert_int_equal(bh_digest_nonce_make(nonce, NULL, 0, 1), BH_EINVAL);
}

static void
test_parse_headers(void **state) {
    (void)state;
    struct bh_digest_challenge c;
    /* Folded, mixed case, unknown params, stale, quoted qop list. */
    assert_int_equal(
        bh_digest_parse_challenge(
            BH_STR_LIT(
                "Digest realm=\"atlanta.example.com\", "
                "domain=\"sip:ss1.example.com\",\r\n qop=\"auth,auth-int\""
                ", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", "
                "opaque=\"\", stale=TRUE, algorithm=MD5, foo=bar"),
            &c),
        0);
    assert_true(str_eq(c.realm, "atlanta.example.com"));
    assert_true(str_eq(c.qop, "auth,auth-int"));
    assert_true(c.stale);
    assert_int_equal(c.opaque.len, 0);
    assert_non_null(c.opaque.p);
    assert_int_equal(
        bh_digest_parse_challenge(BH_STR_LIT("Digest realm=\"a\", nonce=\"b\", "
                                             "algorithm=SHA-256"),
                                  &c),
        0);
    assert_int_equal(c.alg, BH_DIGEST_SHA256);
    assert_int_equal(
        bh_digest_parse_challenge(BH_STR_LIT("Digest realm=\"a\", nonce=\"b\", "
                                             "algorithm=MD5-sess"),
                                  &c),
        BH_EUNSUPP);
    assert_int_equal(
        bh_digest_parse_challenge(BH_STR_LIT("Basic realm=\"a\""), &c),
        BH_EUNSUPP);
    assert_int_equal(
        bh_digest_parse_challenge(BH_STR_LIT("Digest realm=\"a\""), &c),
        BH_EPARSE);
    assert_int_equal(
        bh_digest_parse_challenge(BH_STR_LIT("Digest realm=\"a, nonce=b"), &c),
        BH_EPARSE);
    assert_int_equal(bh_digest_parse_challenge(
                         BH_STR_LIT("Digest realm=\"a\", nonce=\"b\","), &c),
                     BH_EPARSE);
    struct bh_digest_credentials cr;
    /* qop without a proper nc */
    assert_int_equal(
        bh_digest_parse_credentials(
            BH_STR_LIT("Digest username=\"u\", realm=\"r\", nonce=\"n\", "
                       "uri=\"sip:x\", response=\"00\", qop=auth, nc=1, "
                       "cnonce=\"c\""),
            &cr),
        BH_EPARSE);
    /* RFC 2069 form without qop */
    assert_int_equal(
        bh_digest_parse_credentials(
            BH_STR_LIT("Digest username=\"u\", realm=\"r\", nonce=\"n\", "
                       "uri=\"sip:x\", response=\"00\""),
            &cr),
        0);
    assert_int_equal(
        bh_digest_verify(&cr, BH_STR_LIT("INVITE"), BH_STR_LIT("p")), BH_EAUTH);
}

static void
test_rfc2069_verify(void **state) {
    (void)state;
    /* Compute without qop and check verify agrees, uppercase hex too. */
    char hex[BH_DIGEST_HEX_MAX];
    assert_int_equal(bh_digest_response(BH_DIGEST_MD5, BH_STR_LIT("u"),
                                        BH_STR_LIT("r"), BH_STR_LIT("p"),
                                        BH_STR_LIT("BYE"), BH_STR_LIT("sip:x"),
                                        BH_STR_LIT("n"), BH_STR_NULL,
                                        BH_STR_NULL, BH_STR_NULL, hex),
                     0);
    for (char *q = hex; *q; q++)
        if (*q >= 'a' && *q <= 'f')
            *q = (char)(*q - 32);
    char hdr[256];
    snprintf(hdr, sizeof hdr,
             "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", "
             "response=\"%s\"",
             hex);
    struct bh_digest_credentials cr;
    assert_int_equal(
        bh_digest_parse_credentials(bh_str_make(hdr, strlen(hdr)), &cr), 0);
    assert_int_equal(bh_digest_verify(&cr, BH_STR_LIT("BYE"), BH_STR_LIT("p")),
                     0);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc2617_example),
        cmocka_unit_test(test_sha256_example),
        cmocka_unit_test(test_challenge_response_verify),
        cmocka_unit_test(test_nonce),
        cmocka_unit_test(test_parse_headers),
        cmocka_unit_test(test_rfc2069_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
