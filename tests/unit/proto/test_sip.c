/* test_sip.c: SIP names, URIs, name-addr, builder and bounded sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corpus.h"
#include "proto.h"

static struct bh_sip_msg msg;

static void
test_names(void **state) {
    (void)state;
    for (int i = 1; i < BH_SIP_H_COUNT; i++) {
        const char *n = bh_sip_hdr_name((enum bh_sip_hdr)i);
        assert_int_equal(bh_sip_hdr_from(bh_str_make(n, strlen(n))), i);
        /* upper case too */
        char up[64];
        size_t k;
        for (k = 0; n[k]; k++)
            up[k] = (char)(n[k] >= 'a' && n[k] <= 'z' ? n[k] - 32 : n[k]);
        assert_int_equal(bh_sip_hdr_from(bh_str_make(up, k)), i);
    }
    /* RFC 3261 7.3.3 compact forms */
    static const struct {
        char c;
        enum bh_sip_hdr h;
    } compact[] = {
        {'v', BH_SIP_H_VIA},          {'f', BH_SIP_H_FROM},
        {'t', BH_SIP_H_TO},           {'i', BH_SIP_H_CALL_ID},
        {'m', BH_SIP_H_CONTACT},      {'l', BH_SIP_H_CONTENT_LENGTH},
        {'c', BH_SIP_H_CONTENT_TYPE}, {'e', BH_SIP_H_CONTENT_ENCODING},
        {'k', BH_SIP_H_SUPPORTED},    {'s', BH_SIP_H_SUBJECT},
        {'o', BH_SIP_H_EVENT},        {'r', BH_SIP_H_REFER_TO},
        {'V', BH_SIP_H_VIA},          {'L', BH_SIP_H_CONTENT_LENGTH}};
    for (size_t i = 0; i < sizeof compact / sizeof *compact; i++)
        assert_int_equal(bh_sip_hdr_from(bh_str_make(&compact[i].c, 1)),
                         compact[i].h);
    assert_int_equal(bh_sip_hdr_from(BH_STR_LIT("x")), BH_SIP_H_OTHER);
    assert_int_equal(bh_sip_hdr_from(BH_STR_LIT("Max\rForwards")),
                     BH_SIP_H_OTHER);
    assert_int_equal(bh_sip_hdr_from(BH_STR_LIT("Via2")), BH_SIP_H_OTHER);
    for (int i = 1; i < BH_SIP_METHOD_COUNT; i++) {
        const char *n = bh_sip_method_name((enum bh_sip_method)i);
        assert_int_equal(bh_sip_method_from(bh_str_make(n, strlen(n))), i);
    }
    /* methods are case-sensitive (RFC 3261 7.1) */
    assert_int_equal(bh_sip_method_from(BH_STR_LIT("invite")), BH_SIP_UNKNOWN);
    assert_string_equal(bh_sip_reason(486), "Busy Here");
    assert_string_equal(bh_sip_reason(799), "");
}

static void
test_uris(void **state) {
    (void)state;
    struct bh_sip_uri u;
    assert_int_equal(
        bh_sip_uri_parse(
            BH_STR_LIT("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr"
                       "?subject=hi&priority=urgent"),
            &u),
        0);
    assert_int_equal(u.scheme, BH_URI_SIPS);
    assert_true(str_eq(u.user, "alice"));
    assert_true(str_eq(u.password, "secret"));
    assert_true(str_eq(u.host, "[2001:db8::1]"));
    assert_int_equal(u.port, 5061);
    assert_true(u.has_port);
    struct bh_str v;
    assert_int_equal(bh_sip_param(u.params, "transport", &v), 1);
    assert_true(str_eq(v, "tcp"));
    assert_int_equal(bh_sip_param(u.params, "LR", &v), 1);
    assert_int_equal(v.len, 0);
    assert_int_equal(bh_sip_param(u.params, "maddr", &v), 0);
    assert_true(str_eq(u.headers, "subject=hi&priority=urgent"));

    assert_int_equal(bh_sip_uri_parse(BH_STR_LIT("tel:+1-201-555-0123;"
                                                 "phone-context=example.com"),
                                      &u),
                     0);
    assert_int_equal(u.scheme, BH_URI_TEL);
    assert_true(str_eq(u.user, "+1-201-555-0123"));
    assert_int_equal(bh_sip_param(u.params, "phone-context", &v), 1);

    assert_int_equal(bh_sip_uri_parse(BH_STR_LIT("sip:8800@192.0.2.1"), &u), 0);
    assert_true(str_eq(u.host, "192.0.2.1"));
    assert_int_equal(u.port, 0);

    static const char *const bad[] = {
        "sip:",                /* no host */
        "sip:user@",           /* no host */
        "sip:host:70000",      /* port out of range */
        "sip:host:",           /* empty port */
        "sip:us%4g@host",      /* bad escape */
        "sip:user@host;",      /* empty param */
        "sip:user@host;a=%zz", /* bad escape in a param */
        "sip:user@host?",      /* empty headers */
        "sip:user@host?a",     /* header without '=' */
        "sip:user@[::1",       /* unclosed IPv6 */
        "sip:user@ho st",      /* space */
        "sip:user@.host",      /* hostname starts with '.' */
        "1sip:user@host",      /* scheme must start with a letter */
        "<sip:user@host>",     /* brackets are not part of a URI */
        "sip:u<s@host",        /* '<' in user */
        "tel:",                /* no number */
        "mailto:a b",          /* space in an absoluteURI */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (bh_sip_uri_parse(bh_str_make(bad[i], strlen(bad[i])), &u) !=
            BH_EPARSE)
            fail_msg("accepted bad URI \"%s\"", bad[i]);
}

static void
test_escape_user(void **state) {
    (void)state;
    char out[64], back[64];
    struct bh_str in = {"a b@c:d\0e;f", 11};
    int n = bh_sip_escape_user(in, out, sizeof out);
    assert_int_equal(n, 19);
    assert_memory_equal(out, "a%20b%40c%3Ad%00e;f", 19);
    /* parses as the user part of a URI and unescapes to the input */
    char uri[128];
    int m = snprintf(uri, sizeof uri, "sip:%.*s@h", n, out);
    struct bh_sip_uri u;
    assert_int_equal(bh_sip_uri_parse(bh_str_make(uri, (size_t)m), &u), 0);
    assert_int_equal(u.user.len, (size_t)n);
    assert_int_equal(bh_sip_unescape(u.user, back, sizeof back), 11);
    assert_memory_equal(back, in.p, 11);
    assert_int_equal(bh_sip_escape_user(in, out, 3), BH_ETOOBIG);
    assert_int_equal(bh_sip_escape_user(in, out, 1), BH_ETOOBIG);
}

static int
uri_eq(const char *a, const char *b) {
    struct bh_sip_uri ua, ub;
    assert_int_equal(bh_sip_uri_parse(bh_str_make(a, strlen(a)), &ua), 0);
    assert_int_equal(bh_sip_uri_parse(bh_str_make(b, strlen(b)), &ub), 0);
    return bh_sip_uri_equal(&ua, &ub);
}

static void
test_uri_equal(void **state) {
    (void)state;
    /* RFC 3261 19.1.4 examples */
    assert_true(uri_eq("sip:%61lice@atlanta.com;transport=TCP",
                       "sip:alice@AtLanTa.CoM;Transport=tcp"));
    assert_true(
        uri_eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
    assert_true(uri_eq("sip:biloxi.com;transport=tcp;method=REGISTER",
                       "sip:biloxi.com;method=REGISTER;transport=tcp"));
    assert_false(uri_eq("SIP:ALICE@AtLanTa.CoM;Transport=udp",
                        "sip:alice@AtLanTa.CoM;Transport=UDP"));
    assert_false(uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
    assert_false(
        uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
    assert_false(uri_eq("sip:carol@chicago.com",
                        "sip:carol@chicago.com;security=on;user=phone"));
    assert_false(uri_eq("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
}

static void
test_nameaddr(void **state) {
    (void)state;
    struct bh_sip_nameaddr na;
    assert_int_equal(bh_sip_nameaddr_parse(
                         BH_STR_LIT("\"Bob \\\"the\\\" Builder\" "
                                    "<sip:bob@biloxi.com>;tag=a73kszlfl;x"),
                         &na),
                     0);
    assert_true(na.display_quoted);
    assert_true(str_eq(na.display, "Bob \\\"the\\\" Builder"));
    assert_true(str_eq(na.tag, "a73kszlfl"));
    assert_true(str_eq(na.params, "tag=a73kszlfl;x"));
    assert_int_equal(
        bh_sip_nameaddr_parse(BH_STR_LIT("Anonymous <sip:c8oqz84zk7z@"
                                         "privacy.org>;tag=hyh8"),
                              &na),
        0);
    assert_true(str_eq(na.display, "Anonymous"));
    assert_int_equal(na.display_quoted, 0);
    /* addr-spec: ;tag is the header's, URI params would need <> */
    assert_int_equal(
        bh_sip_nameaddr_parse(BH_STR_LIT("sip:+12125551212@server.phone2net."
                                         "com;tag=887s"),
                              &na),
        0);
    assert_true(str_eq(na.uri.raw, "sip:+12125551212@server.phone2net.com"));
    assert_true(str_eq(na.tag, "887s"));
    static const char *const bad[] = {
        "\"unterminated <sip:a@b>",
        "<sip:a@b",
        "< sip:a@b>",
        "Bell, Alexander <sip:a@b>",
        "<sip:a@b>;tag",
        "<sip:a@b>;tag=\"quoted\"",
        "<sip:a@b>;;x",
        "<sip:a@b> junk",
        "sip:a@b?x=y",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (bh_sip_nameaddr_parse(bh_str_make(bad[i], strlen(bad[i])), &na) !=
            BH_EPARSE)
            fail_msg("accepted bad name-addr \"%s\"", bad[i]);
}

static const char minimal[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n"
                              "From: <sip:b@example.com>;tag=1\r\n"
                              "To: <sip:a@example.com>\r\n"
                              "Call-ID: c1\r\n"
                              "CSeq: %s OPTIONS\r\n"
                              "Max-Forwards: %s\r\n"
                              "Content-Length: %s\r\n"
                              "\r\n"
                              "%s";

static int
parse_minimal(const char *cseq, const char *mf, const char *cl,
              const char *body) {
    static char buf[1024];
    int n = snprintf(buf, sizeof buf, minimal, cseq, mf, cl, body);
    /* msg views its buffer: keep the copy until the next call. */
    static char *copy;
    free(copy);
    copy = malloc((size_t)n);
    memcpy(copy, buf, (size_t)n);
    return bh_sip_parse(copy, (size_t)n, &msg, NULL);
}

static void
test_range_checks(void **state) {
    (void)state;
    assert_int_equal(parse_minimal("2147483647", "70", "0", ""), 0);
    assert_int_equal(msg.cseq, 2147483647u);
    assert_int_equal(parse_minimal("2147483648", "70", "0", ""), BH_ERANGE);
    assert_int_equal(parse_minimal("-1", "70", "0", ""), BH_EPARSE);
    assert_int_equal(parse_minimal("0", "255", "0", ""), 0);
    assert_int_equal(msg.max_forwards, 255);
    assert_int_equal(parse_minimal("1", "256", "0", ""), BH_ERANGE);
    assert_int_equal(parse_minimal("1", "7a", "0", ""), BH_EPARSE);
    assert_int_equal(parse_minimal("1", "70", "4", "abcd"), 0);
    assert_true(str_eq(msg.body, "abcd"));
    assert_int_equal(parse_minimal("1", "70", "5", "abcd"), BH_ERANGE);
    assert_int_equal(parse_minimal("1", "70", "2", "abcd"), 0);
    assert_true(str_eq(msg.body, "ab"));
    assert_int_equal(parse_minimal("1", "70", "99999999999999999999", ""),
                     BH_ERANGE);
    assert_int_equal(parse_minimal("1", "70", "+3", "abc"), BH_EPARSE);
}

/* RFC 3261 7: lines end in CRLF; a bare CR or LF anywhere outside a
 * fold is an error, even in a header nobody reads. */
static void
test_line_endings(void **state) {
    (void)state;
    static const char *const bad[] = {
        "OPTIONS sip:a@b SIP/2.0\n", "OPTIONS sip:a@b SIP/2.0\rX",
        "X-Unknown: a\nb\r\n",       "X-Unknown: a\rb\r\n",
        "X-Unknown: a\r\n\r\n",
    };
    static const char rest[] = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                               "From: <sip:b@c>;tag=1\r\nTo: <sip:a@b>\r\n"
                               "Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
    char buf[512];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int n;
        if (i < 2)
            n = snprintf(buf, sizeof buf, "%s\r\n%s", bad[i], rest);
        else
            n = snprintf(buf, sizeof buf, "OPTIONS sip:a@b SIP/2.0\r\n%s%s",
                         bad[i], rest);
        struct bh_sip_error e;
        int rc = bh_sip_parse(buf, (size_t)n, &msg, &e);
        /* the last one ends the headers early: no Via etc. */
        if (rc != BH_EPARSE)
            fail_msg("case %zu: rc %d", i, rc);
    }
    /* A fold is fine, in any header. */
    int n =
        snprintf(buf, sizeof buf,
                 "OPTIONS sip:a@b SIP/2.0\r\nX-Folded: a\r\n\tb\r\n%s", rest);
    assert_int_equal(bh_sip_parse(buf, (size_t)n, &msg, NULL), 0);
    assert_true(
        str_eq(bh_sip_header_find(&msg, "X-Folded", NULL)->value, "a\r\n\tb"));
}

/* BH_SIP_MAX_HEADERS, BH_SIP_MAX_VIA and BH_SIP_MAX_MSG each hold, and
 * one more fails with BH_ETOOBIG. */
static void
test_bounds(void **state) {
    (void)state;
    static char buf[BH_SIP_MAX_MSG + 16];
    for (int extra = 0; extra < 2; extra++) {
        size_t n = (size_t)snprintf(buf, sizeof buf,
                                    "OPTIONS sip:a@b SIP/2.0\r\n"
                                    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                                    "From: <sip:b@c>;tag=1\r\nTo: <sip:a@b>\r\n"
                                    "Call-ID: x\r\nCSeq: 1 OPTIONS\r\n");
        for (int i = 0; i < BH_SIP_MAX_HEADERS - 5 + extra; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "X-%d: y\r\n", i);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n");
        assert_int_equal(bh_sip_parse(buf, n, &msg, NULL),
                         extra ? BH_ETOOBIG : 0);
    }
    for (int extra = 0; extra < 2; extra++) {
        size_t n = (size_t)snprintf(buf, sizeof buf,
                                    "OPTIONS sip:a@b SIP/2.0\r\n"
                                    "From: <sip:b@c>;tag=1\r\nTo: <sip:a@b>\r\n"
                                    "Call-ID: x\r\nCSeq: 1 OPTIONS\r\nVia: ");
        for (int i = 0; i < BH_SIP_MAX_VIA + extra; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n,
                                  "%sSIP/2.0/UDP h%d;branch=z9hG4bK%d",
                                  i ? ", " : "", i, i);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n\r\n");
        struct bh_sip_error e;
        assert_int_equal(bh_sip_parse(buf, n, &msg, &e),
                         extra ? BH_ETOOBIG : 0);
        if (!extra)
            assert_int_equal(msg.nvia, BH_SIP_MAX_VIA);
    }
    memset(buf, 'a', sizeof buf);
    assert_int_equal(bh_sip_parse(buf, BH_SIP_MAX_MSG + 1, &msg, NULL),
                     BH_ETOOBIG);
    assert_int_equal(bh_sip_parse(NULL, 0, &msg, NULL), BH_EINVAL);
}

/* Every prefix of every valid message, in a buffer of exactly that
 * size: either parses or fails with a code; ASan checks the reads. */
static void
test_truncations(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof corpus_valid / sizeof *corpus_valid; i++) {
        struct corpus_msg c = corpus_load(corpus_valid[i]);
        for (size_t k = 0; k <= c.len; k++) {
            char *p = malloc(k ? k : 1);
            memcpy(p, c.buf, k);
            struct bh_sip_error e = {0, NULL, BH_SIP_H_OTHER};
            int rc = bh_sip_parse(p, k, &msg, &e);
            assert_true(rc == 0 || rc == BH_EPARSE || rc == BH_ERANGE ||
                        rc == BH_EUNSUPP);
            if (rc != 0)
                assert_true(e.offset <= k && e.what != NULL);
            free(p);
        }
        free(c.buf);
    }
}

static void
test_builder(void **state) {
    (void)state;
    char buf[1024];
    char branch[BH_SIP_TOKEN_MAX], tag[BH_SIP_TOKEN_MAX];
    bh_sip_make_branch(branch, 0x0123456789abcdefull);
    bh_sip_make_tag(tag, 42);
    assert_string_equal(branch, "z9hG4bK0123456789abcdef");
    assert_string_equal(tag, "000000000000002a");
    struct bh_sip_builder b;
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_request(&b, BH_SIP_INVITE, NULL, BH_STR_LIT("sip:8800@pbx"));
    bh_sip_build_via(&b, "UDP", BH_STR_LIT("192.0.2.5"), 5070,
                     bh_str_make(branch, strlen(branch)), 1);
    bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
    bh_sip_build_header(&b, "Route", BH_STR_LIT("<sip:p1.example;lr>"));
    bh_sip_build_header(&b, "Route", BH_STR_LIT("<sip:p2.example;lr>"));
    bh_sip_build_nameaddr(&b, "From", BH_STR_LIT("Caller \"7\""),
                          BH_STR_LIT("sip:c7@example.org"),
                          bh_str_make(tag, strlen(tag)));
    bh_sip_build_nameaddr(&b, "To", BH_STR_NULL, BH_STR_LIT("sip:8800@pbx"),
                          BH_STR_NULL);
    bh_sip_build_headerf(&b, "Call-ID", "%s@%s", "abc", "192.0.2.5");
    bh_sip_build_cseq(&b, 1, BH_SIP_INVITE, NULL);
    bh_sip_build_nameaddr(&b, "Contact", BH_STR_NULL,
                          BH_STR_LIT("sip:c7@192.0.2.5:5070"), BH_STR_NULL);
    int n = bh_sip_build_finish(&b, "application/sdp", BH_STR_LIT("v=0\r\n"));
    assert_true(n > 0);
    assert_int_equal(bh_sip_parse(buf, (size_t)n, &msg, NULL), 0);
    assert_int_equal(msg.method, BH_SIP_INVITE);
    assert_true(str_eq(msg.via[0].branch, branch));
    assert_true(msg.via[0].has_rport);
    assert_int_equal(msg.via[0].port, 5070);
    assert_true(str_eq(msg.from.display, "Caller \\\"7\\\""));
    assert_true(str_eq(msg.from.tag, tag));
    assert_int_equal(msg.content_length, 5);
    assert_true(str_eq(msg.content_type, "application/sdp"));
    struct bh_sip_nameaddr r[4];
    assert_int_equal(bh_sip_routes(&msg, BH_SIP_H_ROUTE, r, 4), 2);
    assert_true(str_eq(r[0].uri.host, "p1.example"));
    assert_true(str_eq(r[1].uri.host, "p2.example"));

    /* A 180 keeps Record-Route in order, a 100 gets no To tag. */
    static char req[1024];
    static struct bh_sip_msg inv;
    bh_sip_build_init(&b, req, sizeof req);
    bh_sip_build_request(&b, BH_SIP_INVITE, NULL, BH_STR_LIT("sip:a@b"));
    bh_sip_build_via(&b, "UDP", BH_STR_LIT("p2"), 0, BH_STR_LIT("z9hG4bK2"), 0);
    bh_sip_build_via(&b, "UDP", BH_STR_LIT("ua"), 0, BH_STR_LIT("z9hG4bK1"), 1);
    bh_sip_build_header(&b, "Record-Route", BH_STR_LIT("<sip:p2;lr>"));
    bh_sip_build_header(&b, "Record-Route", BH_STR_LIT("<sip:p1;lr>"));
    bh_sip_build_nameaddr(&b, "From", BH_STR_NULL, BH_STR_LIT("sip:u@a"),
                          BH_STR_LIT("f1"));
    bh_sip_build_nameaddr(&b, "To", BH_STR_NULL, BH_STR_LIT("sip:a@b"),
                          BH_STR_NULL);
    bh_sip_build_header(&b, "Call-ID", BH_STR_LIT("k"));
    bh_sip_build_cseq(&b, 7, BH_SIP_INVITE, NULL);
    n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    assert_int_equal(bh_sip_parse(req, (size_t)n, &inv, NULL), 0);
    for (int status = 100; status <= 180; status += 80) {
        bh_sip_build_init(&b, buf, sizeof buf);
        bh_sip_build_response(&b, &inv, status, NULL, BH_STR_LIT("t9"));
        n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
        assert_true(n > 0);
        assert_int_equal(bh_sip_parse(buf, (size_t)n, &msg, NULL), 0);
        assert_int_equal(msg.status, status);
        assert_int_equal(msg.nvia, 2);
        assert_true(str_eq(msg.via[1].branch, "z9hG4bK1"));
        int rr = bh_sip_routes(&msg, BH_SIP_H_RECORD_ROUTE, r, 4);
        if (status == 100) {
            assert_int_equal(msg.to.tag.len, 0);
            assert_int_equal(rr, 0);
        } else {
            assert_true(str_eq(msg.to.tag, "t9"));
            assert_int_equal(rr, 2);
            assert_true(str_eq(r[0].uri.host, "p2"));
        }
    }
}

/* RFC 3261 18.2.1 received, RFC 3581 4 rport on the top Via only. */
static void
test_response_via(void **state) {
    (void)state;
    static const char req[] =
        "BYE sip:a@b SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport;"
        "received=1.2.3.4 , SIP/2.0/TCP p.example;branch=z9hG4bKb\r\n"
        "Via: SIP/2.0/UDP ua.example;branch=z9hG4bKc;rport\r\n"
        "From: <sip:u@a>;tag=f\r\nTo: <sip:a@b>;tag=t\r\n"
        "Call-ID: v\r\nCSeq: 2 BYE\r\n\r\n";
    static struct bh_sip_msg r;
    assert_int_equal(bh_sip_parse(req, sizeof req - 1, &r, NULL), 0);
    assert_int_equal(r.nvia, 3);
    char buf[1024];
    struct bh_sip_builder b;
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_response_src(&b, &r, 200, NULL, BH_STR_LIT("zz"),
                              BH_STR_LIT("198.51.100.7"), 4000);
    int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    assert_true(n > 0);
    assert_int_equal(bh_sip_parse(buf, (size_t)n, &msg, NULL), 0);
    assert_int_equal(msg.nvia, 3);
    assert_true(str_eq(msg.via[0].branch, "z9hG4bKa"));
    assert_int_equal(msg.via[0].rport, 4000);
    assert_true(str_eq(msg.via[0].received, "198.51.100.7"));
    assert_true(str_eq(msg.via[0].params,
                       "branch=z9hG4bKa;rport=4000;received=198.51.100.7"));
    /* the rest of the line and the other Vias untouched */
    assert_true(str_eq(msg.via[1].host, "p.example"));
    assert_int_equal(msg.via[2].rport, 0);
    assert_int_equal(msg.via[2].received.len, 0);
    /* the To tag was there: kept, not doubled */
    assert_true(str_eq(msg.to.tag, "t"));
    assert_null(strstr(buf, "zz"));

    /* Same host, no rport: no received (18.2.1). */
    static const char req2[] =
        "OPTIONS sip:a@b SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKd\r\n"
        "From: <sip:u@a>;tag=f\r\nTo: <sip:a@b>\r\n"
        "Call-ID: w\r\nCSeq: 3 OPTIONS\r\n\r\n";
    assert_int_equal(bh_sip_parse(req2, sizeof req2 - 1, &r, NULL), 0);
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_response_src(&b, &r, 200, NULL, BH_STR_NULL,
                              BH_STR_LIT("198.51.100.7"), 5060);
    n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    assert_int_equal(bh_sip_parse(buf, (size_t)n, &msg, NULL), 0);
    assert_int_equal(msg.via[0].received.len, 0);
    assert_false(msg.via[0].has_rport);
    assert_int_equal(msg.to.tag.len, 0); /* no tag given */
}

static void
test_builder_errors(void **state) {
    (void)state;
    char buf[256];
    struct bh_sip_builder b;
    /* header injection */
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_status(&b, 200, NULL);
    bh_sip_build_header(&b, "X", BH_STR_LIT("a\r\nVia: evil"));
    assert_int_equal(bh_sip_build_finish(&b, NULL, BH_STR_NULL), BH_EINVAL);
    /* branch without the RFC 3261 magic cookie */
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_via(&b, "UDP", BH_STR_LIT("h"), 0, BH_STR_LIT("abc"), 0);
    assert_int_equal(bh_sip_build_finish(&b, NULL, BH_STR_NULL), BH_EINVAL);
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_status(&b, 99, NULL);
    assert_int_equal(bh_sip_build_finish(&b, NULL, BH_STR_NULL), BH_EINVAL);
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_cseq(&b, 2147483648u, BH_SIP_BYE, NULL);
    assert_int_equal(bh_sip_build_finish(&b, NULL, BH_STR_NULL), BH_EINVAL);
    /* every buffer too small fails cleanly, and the error sticks */
    /* "SIP/2.0 486 Busy Here", "Call-ID: x", "Content-Length: 0": 56 */
    for (size_t size = 1; size < 60; size++) {
        bh_sip_build_init(&b, buf, size);
        bh_sip_build_status(&b, 486, NULL);
        bh_sip_build_header(&b, "Call-ID", BH_STR_LIT("x"));
        int rc = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
        if (size < 56)
            assert_int_equal(rc, BH_ETOOBIG);
        else
            assert_int_equal(rc, 56);
    }
}

static void
test_lookup_and_expires(void **state) {
    (void)state;
    static const char m[] = "REGISTER sip:r SIP/2.0\r\n"
                            "v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                            "f: <sip:a@r>;tag=1\r\nt: <sip:a@r>\r\n"
                            "i: x\r\nCSeq: 1 REGISTER\r\n"
                            "x: 1800\r\nExpires: 3600\r\n"
                            "m: *\r\nl: 0\r\n\r\n";
    assert_int_equal(bh_sip_parse(m, sizeof m - 1, &msg, NULL), 0);
    assert_non_null(bh_sip_header_find(&msg, "Session-Expires", NULL));
    assert_non_null(bh_sip_header_find(&msg, "x", NULL));
    assert_non_null(bh_sip_header_find(&msg, "call-id", NULL));
    assert_null(bh_sip_header_find(&msg, "Route", NULL));
    uint32_t secs;
    assert_int_equal(bh_sip_expires(&msg, &secs), 0);
    assert_int_equal(secs, 3600);
    struct bh_sip_nameaddr c[2];
    int star;
    assert_int_equal(bh_sip_contacts(&msg, c, 2, &star), 0);
    assert_true(star);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_uris),
        cmocka_unit_test(test_uri_equal),
        cmocka_unit_test(test_escape_user),
        cmocka_unit_test(test_nameaddr),
        cmocka_unit_test(test_range_checks),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_builder),
        cmocka_unit_test(test_response_via),
        cmocka_unit_test(test_builder_errors),
        cmocka_unit_test(test_lookup_and_expires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
