/* test_rfc4475.c: every RFC 4475 torture message against the SIP parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corpus.h"
#include "proto.h"

#include <openssl/evp.h>

/* The parsed message of the current test (large: kept off the stack). */
struct fixture {
    struct corpus_msg raw;
    struct bh_sip_msg msg;
    struct bh_sip_error err;
    int rc;
};

static struct fixture *
parse_file(const char *name) {
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->raw = corpus_load(name);
    assert_non_null(f->raw.buf);
    f->rc = bh_sip_parse(f->raw.buf, f->raw.len, &f->msg, &f->err);
    return f;
}

static void
done(struct fixture *f) {
    free(f->raw.buf);
    free(f);
}

static void
assert_str(struct bh_str s, const char *want) {
    if (!str_eq(s, want))
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.len, s.p ? s.p : "", want);
}

static void
assert_unescaped(struct bh_str s, const char *want, size_t want_len) {
    char out[256];
    int n = bh_sip_unescape(s, out, sizeof out);
    assert_int_equal(n, (int)want_len);
    assert_memory_equal(out, want, want_len);
}

/* ---- corpus integrity ---------------------------------------------- */

static void
test_sha256sums(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/rfc4475/SHA256SUMS", BH_TEST_DATA);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int files = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char hex[65], name[256];
        if (sscanf(line, "%64s %255s", hex, name) != 2)
            continue;
        struct corpus_msg m;
        char fp[768];
        snprintf(fp, sizeof fp, "%s/rfc4475/%s", BH_TEST_DATA, name);
        FILE *g = fopen(fp, "rb");
        assert_non_null(g);
        static char data[65536];
        m.len = fread(data, 1, sizeof data, g);
        fclose(g);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        assert_int_equal(
            EVP_Digest(data, m.len, md, &mdlen, EVP_sha256(), NULL), 1);
        char got[65];
        for (unsigned i = 0; i < mdlen; i++)
            snprintf(got + 2 * i, 3, "%02x", md[i]);
        if (strcmp(got, hex) != 0)
            fail_msg("%s: sha256 %s, SHA256SUMS says %s", name, got, hex);
        files++;
    }
    fclose(f);
    assert_int_equal(files, 50);
}

/* ---- 3.1.1 valid messages ------------------------------------------ */

static void
test_wsinv(void **state) {
    (void)state;
    struct fixture *f = parse_file("wsinv");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->method, BH_SIP_INVITE);
    assert_str(m->ruri.raw, "sip:vivekg@chair-dnrc.example.com;unknownparam");
    assert_str(m->ruri.user, "vivekg");
    assert_str(m->ruri.params, "unknownparam");
    /* "TO :\r\n sip:vivekg@... ;   tag    = 1918181833n" */
    assert_str(m->to.uri.raw, "sip:vivekg@chair-dnrc.example.com");
    assert_str(m->to.tag, "1918181833n");
    assert_int_equal(m->from.display_quoted, 1);
    assert_str(m->from.display, "J Rosenberg \\\\\\\"");
    assert_str(m->from.tag, "98asjd8");
    assert_int_equal(m->max_forwards, 68);
    assert_int_equal(m->cseq, 9);
    assert_int_equal(m->cseq_method, BH_SIP_INVITE);
    assert_str(m->call_id, "wsinv.ndaksdj@192.0.2.1");
    assert_int_equal(m->content_length, 150);
    assert_int_equal(m->body.len, 150);
    assert_int_equal(m->nvia, 3);
    assert_str(m->via[0].transport, "UDP");
    assert_str(m->via[0].host, "192.0.2.2");
    assert_str(m->via[0].branch, "390skdjuw");
    assert_str(m->via[1].transport, "TCP");
    assert_str(m->via[1].host, "spindle.example.com");
    assert_str(m->via[1].branch, "z9hG4bK9ikj8");
    assert_str(m->via[2].host, "192.168.255.111");
    assert_str(m->via[2].branch, "z9hG4bK30239");
    /* "s :" is an empty Subject in compact form. */
    const struct bh_sip_header *h = bh_sip_header_find(m, "Subject", NULL);
    assert_non_null(h);
    assert_int_equal(h->value.len, 0);
    h = bh_sip_header_find(m, "newfangledheader", NULL);
    assert_non_null(h);
    assert_str(h->value, "newfangled value\r\n continued newfangled value");
    assert_str(
        bh_sip_header_find(m, "UnknownHeaderWithUnusualValue", NULL)->value,
        ";;,,;;,;");
    struct bh_sip_nameaddr c[4];
    int star;
    assert_int_equal(bh_sip_contacts(m, c, 4, &star), 1);
    assert_str(c[0].display, "Quoted string \\\"\\\"");
    struct bh_str v;
    assert_int_equal(bh_sip_param(c[0].params, "newparam", &v), 1);
    assert_str(v, "newvalue");
    assert_int_equal(bh_sip_param(c[0].params, "q", &v), 1);
    assert_str(v, "0.33");
    assert_int_equal(bh_sip_param(c[0].params, "secondparam", &v), 1);
    assert_int_equal(v.len, 0);
    struct bh_sip_nameaddr r[4];
    assert_int_equal(bh_sip_routes(m, BH_SIP_H_ROUTE, r, 4), 1);
    assert_str(r[0].uri.host, "services.example.com");
    assert_int_equal(bh_sip_param(r[0].uri.params, "lr", NULL), 1);
    assert_int_equal(bh_sip_param(r[0].uri.params, "unknownwith", &v), 1);
    assert_str(v, "value");
    done(f);
}

static void
test_intmeth(void **state) {
    (void)state;
    struct fixture *f = parse_file("intmeth");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->method, BH_SIP_UNKNOWN);
    assert_str(m->method_name, "!interesting-Method0123456789_*+`.%indeed'~");
    assert_str(m->ruri.user,
               "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert_str(m->ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert_str(m->ruri.host, "example.com");
    assert_str(m->via[0].branch, "z9hG4bK-.!%66*_+`'~");
    /* To's display name holds quoted-pairs of BEL, NUL and DEL. */
    assert_int_equal(m->to.display_quoted, 1);
    assert_int_equal(m->to.display.len, 20);
    assert_memory_equal(m->to.display.p, "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f",
                        20);
    assert_str(m->to.uri.user,
               "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert_int_equal(m->from.display_quoted, 0);
    assert_str(m->from.display, "token1~` token2'+_ token3*%!.-");
    assert_str(m->from.tag, "_token~1'+`*%!-.");
    struct bh_str v;
    assert_int_equal(bh_sip_param(m->from.params, "fromParam''~+*_!.-%", &v),
                     1);
    /* "работающий" in UTF-8, quotes stripped */
    assert_str(v, "\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1"
                  "\x89\xd0\xb8\xd0\xb9");
    assert_str(m->call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert_int_equal(m->cseq, 139122385);
    assert_int_equal(m->max_forwards, 255);
    assert_non_null(bh_sip_header_find(m, "extensionHeader-!.%*+_`'~", NULL));
    assert_int_equal(m->body.len, 0);
    done(f);
}

static void
test_esc01(void **state) {
    (void)state;
    struct fixture *f = parse_file("esc01");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_str(m->ruri.user, "sips%3Auser%40example.com");
    assert_unescaped(m->ruri.user, "sips:user@example.com", 21);
    assert_str(m->ruri.host, "example.net");
    assert_unescaped(m->to.uri.user, "user", 4);
    assert_unescaped(m->from.uri.user, "I have spaces", 13);
    assert_str(m->content_type, "application/sdp"); /* compact "C" */
    assert_str(m->call_id, "esc01.239409asdfakjkn23onasd0-3234");
    struct bh_sip_nameaddr c[2];
    int star;
    assert_int_equal(bh_sip_contacts(m, c, 2, &star), 1);
    assert_unescaped(c[0].uri.user, "caller", 6);
    /* RFC 3261 19.1.4: escaped and unescaped forms are equal. */
    struct bh_sip_uri u;
    assert_int_equal(
        bh_sip_uri_parse(BH_STR_LIT("sip:caller@HOST5.example.net"), &u), 0);
    assert_true(bh_sip_uri_equal(&u, &c[0].uri));
    assert_int_equal(m->body.len, 150);
    done(f);
}

static void
test_escnull(void **state) {
    (void)state;
    struct fixture *f = parse_file("escnull");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->method, BH_SIP_REGISTER);
    assert_unescaped(m->to.uri.user, "null-\0-null", 11);
    assert_unescaped(m->from.uri.user, "null-\0-null", 11);
    assert_str(m->from.tag, "839923423");
    struct bh_sip_nameaddr c[4];
    int star;
    assert_int_equal(bh_sip_contacts(m, c, 4, &star), 2);
    assert_unescaped(c[0].uri.user, "\0", 1);
    assert_unescaped(c[1].uri.user, "\0\0", 2);
    assert_int_equal(m->content_length, 0);
    done(f);
}

static void
test_esc02(void **state) {
    (void)state;
    struct fixture *f = parse_file("esc02");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    /* An escaped method name is an unknown method, not REGISTER. */
    assert_int_equal(m->method, BH_SIP_UNKNOWN);
    assert_str(m->method_name, "RE%47IST%45R");
    assert_str(m->cseq_method_name, "RE%47IST%45R");
    assert_str(m->to.display, "%Z%45");
    assert_str(m->via[0].branch, "z9hG4bK209%fzsnel234");
    /* "C%6Fntact" is an unknown header, not a Contact. */
    struct bh_sip_nameaddr c[4];
    int star;
    assert_int_equal(bh_sip_contacts(m, c, 4, &star), 2);
    assert_str(c[0].uri.host, "host1.example.com");
    assert_str(c[1].uri.host, "host3.example.com");
    const struct bh_sip_header *h = bh_sip_header_find(m, "C%6Fntact", NULL);
    assert_non_null(h);
    assert_str(h->value, "<sip:alias2@host2.example.com>");
    done(f);
}

static void
test_lwsdisp(void **state) {
    (void)state;
    struct fixture *f = parse_file("lwsdisp");
    assert_int_equal(f->rc, 0);
    assert_str(f->msg.from.display, "caller");
    assert_int_equal(f->msg.from.display_quoted, 0);
    assert_str(f->msg.from.uri.raw, "sip:caller@example.com");
    assert_str(f->msg.from.tag, "323");
    done(f);
}

static void
test_longreq(void **state) {
    (void)state;
    struct fixture *f = parse_file("longreq");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->nvia, 34);
    assert_str(m->via[0].host, "sip33.example.com");
    assert_int_equal(m->to.display.len, 22 + 70 + 11); /* extreme x 10 */
    assert_memory_equal(m->to.display.p + 92, " proportion", 11);
    assert_int_equal(m->from.tag.len, 155);
    assert_int_equal(m->from.uri.user.len, 115);
    assert_int_equal(m->call_id.len, 11 + 20 * 6 + 10); /* really x 20 */
    assert_int_equal(m->cseq, 3882340);
    /* a 93-byte header name, found case-insensitively */
    assert_non_null(
        bh_sip_header_find(m,
                           "unknown-"
                           "longlonglonglonglonglonglonglonglonglonglonglonglon"
                           "glonglonglonglonglonglonglong-name",
                           NULL));
    assert_int_equal(m->body.len, 150);
    done(f);
}

static void
test_dblreq(void **state) {
    (void)state;
    struct fixture *f = parse_file("dblreq");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->method, BH_SIP_REGISTER);
    assert_str(m->call_id, "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
    assert_int_equal(m->body.len, 0);
    /* The INVITE after Content-Length is ignored (RFC 3261 18.3). */
    assert_true(m->msg_len < m->len);
    assert_memory_equal(m->buf + m->msg_len, "\r\nINVITE ", 9);
    done(f);
}

static void
test_semiuri(void **state) {
    (void)state;
    struct fixture *f = parse_file("semiuri");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->method, BH_SIP_OPTIONS);
    /* The user part is "user;par=u@example.net", no URI parameters. */
    assert_str(m->ruri.user, "user;par=u%40example.net");
    assert_unescaped(m->ruri.user, "user;par=u@example.net", 22);
    assert_str(m->ruri.host, "example.com");
    assert_int_equal(m->ruri.params.len, 0);
    assert_int_equal(bh_sip_param(m->ruri.params, "par", NULL), 0);
    done(f);
}

static void
test_transports(void **state) {
    (void)state;
    struct fixture *f = parse_file("transports");
    struct bh_sip_msg *m = &f->msg;
    static const char *const t[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->nvia, 5);
    for (int i = 0; i < 5; i++) {
        assert_str(m->via[i].transport, t[i]);
        assert_true(m->via[i].branch.len > 7);
    }
    assert_str(m->via[3].host, "t4.example.com");
    done(f);
}

static void
test_mpart01(void **state) {
    (void)state;
    struct fixture *f = parse_file("mpart01");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_int_equal(m->method, BH_SIP_MESSAGE);
    assert_str(m->via[0].host, "127.0.0.1");
    assert_int_equal(m->via[0].port, 5070);
    assert_true(m->via[0].has_rport);
    assert_int_equal(m->via[0].rport, 0);
    assert_str(m->content_type, "multipart/mixed;boundary=7a9cbec02ceef655");
    assert_int_equal(m->body.len, (size_t)m->content_length);
    assert_int_equal(m->msg_len, m->len);
    /* The binary body holds NUL bytes and is kept intact. */
    assert_non_null(memchr(m->body.p, '\0', m->body.len));
    done(f);
}

static void
test_unreason(void **state) {
    (void)state;
    struct fixture *f = parse_file("unreason");
    struct bh_sip_msg *m = &f->msg;
    assert_int_equal(f->rc, 0);
    assert_false(m->is_request);
    assert_int_equal(m->status, 200);
    assert_true(m->reason.len > 40);
    assert_memory_equal(m->reason.p, "= 2**3 * 5**2 ", 14);
    assert_int_equal(m->body.len, 154);
    assert_str(m->to.tag, "2229");
    done(f);
}

static void
test_noreason(void **state) {
    (void)state;
    struct fixture *f = parse_file("noreason");
    assert_int_equal(f->rc, 0);
    assert_int_equal(f->msg.status, 100);
    assert_non_null(f->msg.reason.p);
    assert_int_equal(f->msg.reason.len, 0);
    done(f);
}

/* ---- 3.1.2 invalid messages ---------------------------------------- */

struct bad {
    const char *name;
    int code;
    enum bh_sip_hdr hdr;
};

static const struct bad bad_msgs[] = {
    {"badinv01", BH_EPARSE, BH_SIP_H_VIA}, /* ";;,;,," */
    {"clerr", BH_ERANGE, BH_SIP_H_CONTENT_LENGTH},
    {"ncl", BH_EPARSE, BH_SIP_H_CONTENT_LENGTH}, /* -999 */
    {"scalar02", BH_ERANGE, BH_SIP_H_CSEQ},
    {"scalarlg", BH_ERANGE, BH_SIP_H_CSEQ},
    {"quotbal", BH_EPARSE, BH_SIP_H_TO},
    {"ltgtruri", BH_EPARSE, BH_SIP_H_OTHER},
    {"lwsruri", BH_EPARSE, BH_SIP_H_OTHER},
    {"lwsstart", BH_EPARSE, BH_SIP_H_OTHER},
    {"trws", BH_EPARSE, BH_SIP_H_OTHER},
    {"escruri", BH_EPARSE, BH_SIP_H_OTHER},
    {"baddate", BH_EPARSE, BH_SIP_H_DATE},
    {"badaspec", BH_EPARSE, BH_SIP_H_TO},
    {"baddn", BH_EPARSE, BH_SIP_H_FROM},
    {"badvers", BH_EUNSUPP, BH_SIP_H_OTHER}, /* answer 505 */
    {"mismatch01", BH_EPARSE, BH_SIP_H_CSEQ},
    {"mismatch02", BH_EPARSE, BH_SIP_H_CSEQ},
    {"bigcode", BH_ERANGE, BH_SIP_H_OTHER},
    /* 3.4 messages whose right answer is 400 */
    {"insuf", BH_EPARSE, BH_SIP_H_FROM},
    {"multi01", BH_EPARSE, BH_SIP_H_CSEQ},
    {"mcl01", BH_EPARSE, BH_SIP_H_CONTENT_LENGTH},
    /* in the archive, used by no section: not even a SIP version */
    {"test", BH_EPARSE, BH_SIP_H_OTHER},
};

/* One cmocka test per invalid message; state is its bad_msgs entry. */
static void
test_invalid(void **state) {
    const struct bad *bad = *state;
    struct fixture *f = parse_file(bad->name);
    if (f->rc != bad->code || f->err.hdr != bad->hdr)
        fail_msg("%s: rc %d (%s) hdr %s at %zu, want %d hdr %s", bad->name,
                 f->rc, f->err.what ? f->err.what : "",
                 bh_sip_hdr_name(f->err.hdr), f->err.offset, bad->code,
                 bh_sip_hdr_name(bad->hdr));
    assert_non_null(f->err.what);
    assert_true(f->err.offset < f->raw.len);
    done(f);
}

static void
test_error_offsets(void **state) {
    (void)state;
    /* The offset points at the bad field. */
    struct fixture *f = parse_file("scalar02");
    assert_memory_equal(f->raw.buf + f->err.offset, "36893488147419103232", 20);
    done(f);
    f = parse_file("bigcode");
    assert_memory_equal(f->raw.buf + f->err.offset, "4294967301", 10);
    done(f);
    f = parse_file("ncl");
    assert_memory_equal(f->raw.buf + f->err.offset, "-999", 4);
    done(f);
    f = parse_file("badvers");
    assert_memory_equal(f->raw.buf + f->err.offset, "SIP/7.0", 7);
    done(f);
}

static void
test_regbadct(void **state) {
    (void)state;
    /* Contact is parsed lazily: the message parses, the Contact with an
     * unbracketed '?' URI does not (RFC 3261 20). */
    struct fixture *f = parse_file("regbadct");
    assert_int_equal(f->rc, 0);
    struct bh_sip_nameaddr c[2];
    int star;
    assert_int_equal(bh_sip_contacts(&f->msg, c, 2, &star), BH_EPARSE);
    done(f);
}

/* ---- 3.2-3.4: well-formed, the semantics are the element's --------- */

static void
test_badbranch(void **state) {
    (void)state;
    struct fixture *f = parse_file("badbranch");
    assert_int_equal(f->rc, 0);
    assert_str(f->msg.via[0].branch, "z9hG4bK");
    done(f);
}

static void
test_unkscm(void **state) {
    (void)state;
    struct fixture *f = parse_file("unkscm");
    assert_int_equal(f->rc, 0);
    assert_int_equal(f->msg.ruri.scheme, BH_URI_OTHER); /* answer 416 */
    assert_str(f->msg.ruri.scheme_s, "nobodyKnowsThisScheme");
    done(f);
}

static void
test_novelsc(void **state) {
    (void)state;
    struct fixture *f = parse_file("novelsc");
    assert_int_equal(f->rc, 0);
    assert_int_equal(f->msg.ruri.scheme, BH_URI_OTHER);
    assert_str(f->msg.ruri.scheme_s, "soap.beep");
    done(f);
}

static void
test_unksm2(void **state) {
    (void)state;
    struct fixture *f = parse_file("unksm2");
    assert_int_equal(f->rc, 0);
    assert_int_equal(f->msg.to.uri.scheme, BH_URI_OTHER);
    assert_str(f->msg.to.uri.raw, "isbn:2983792873");
    assert_str(f->msg.from.uri.raw, "http://www.example.com");
    done(f);
}

static void
test_bext01(void **state) {
    (void)state;
    struct fixture *f = parse_file("bext01");
    assert_int_equal(f->rc, 0);
    assert_str(bh_sip_header_next(&f->msg, BH_SIP_H_REQUIRE, NULL)->value,
               "nothingSupportsThis, nothingSupportsThisEither");
    assert_non_null(bh_sip_header_next(&f->msg, BH_SIP_H_PROXY_REQUIRE, NULL));
    done(f);
}

static void
test_invut(void **state) {
    (void)state;
    struct fixture *f = parse_file("invut");
    assert_int_equal(f->rc, 0);
    assert_str(f->msg.content_type, "application/unknownformat");
    assert_int_equal(f->msg.body.len, 40);
    done(f);
}

static void
test_regaut01(void **state) {
    (void)state;
    struct bh_digest_credentials cr;
    struct fixture *f = parse_file("regaut01");
    assert_int_equal(f->rc, 0);
    assert_int_equal(
        bh_digest_parse_credentials(
            bh_sip_header_next(&f->msg, BH_SIP_H_AUTHORIZATION, NULL)->value,
            &cr),
        BH_EUNSUPP);
    done(f);
}

static void
test_bcast(void **state) {
    (void)state;
    struct fixture *f = parse_file("bcast");
    assert_int_equal(f->rc, 0);
    assert_int_equal(f->msg.nvia, 2);
    assert_str(f->msg.via[1].host, "255.255.255.255");
    done(f);
}

static void
test_zeromf(void **state) {
    (void)state;
    struct fixture *f = parse_file("zeromf");
    assert_int_equal(f->rc, 0);
    assert_int_equal(f->msg.max_forwards, 0); /* answer 483 */
    done(f);
}

static void
test_cparam01(void **state) {
    (void)state;
    struct bh_sip_nameaddr c[2];
    int star;
    struct bh_str v;
    struct fixture *f = parse_file("cparam01");
    assert_int_equal(f->rc, 0);
    assert_int_equal(bh_sip_contacts(&f->msg, c, 2, &star), 1);
    /* addr-spec: the param belongs to the header, not the URI */
    assert_str(c[0].uri.raw, "sip:+19725552222@gw1.example.net");
    assert_int_equal(bh_sip_param(c[0].params, "unknownparam", &v), 1);
    done(f);
}

static void
test_cparam02(void **state) {
    (void)state;
    struct bh_sip_nameaddr c[2];
    int star;
    struct bh_str v;
    struct fixture *f = parse_file("cparam02");
    assert_int_equal(f->rc, 0);
    assert_int_equal(bh_sip_contacts(&f->msg, c, 2, &star), 1);
    assert_int_equal(bh_sip_param(c[0].uri.params, "unknownparam", &v), 1);
    assert_int_equal(c[0].params.len, 0);
    done(f);
}

static void
test_regescrt(void **state) {
    (void)state;
    struct bh_sip_nameaddr c[2];
    int star;
    struct fixture *f = parse_file("regescrt");
    assert_int_equal(f->rc, 0);
    assert_int_equal(bh_sip_contacts(&f->msg, c, 2, &star), 1);
    assert_str(c[0].uri.headers, "Route=%3Csip:sip.example.com%3E");
    done(f);
}

static void
test_sdp01(void **state) {
    (void)state;
    struct fixture *f = parse_file("sdp01");
    assert_int_equal(f->rc, 0);
    assert_str(f->msg.content_type, "application/sdp");
    done(f);
}

static void
test_inv2543(void **state) {
    (void)state;
    struct bh_str v;
    struct bh_sip_nameaddr rr[2];
    struct fixture *f = parse_file("inv2543");
    assert_int_equal(f->rc, 0);
    assert_int_equal(f->msg.via[0].branch.len, 0);
    assert_int_equal(f->msg.from.tag.len, 0);
    assert_int_equal(f->msg.max_forwards, -1);
    assert_int_equal(f->msg.content_length, -1);
    assert_int_equal(f->msg.body.len,
                     f->msg.len - (size_t)(f->msg.body.p - f->msg.buf));
    assert_int_equal(bh_sip_routes(&f->msg, BH_SIP_H_RECORD_ROUTE, rr, 2), 1);
    assert_int_equal(bh_sip_param(rr[0].uri.params, "maddr", &v), 1);
    assert_str(v, "ss1.example.com");
    done(f);
}

/* ---- round trip ---------------------------------------------------- */

static void
same_nameaddr(const struct bh_sip_nameaddr *a,
              const struct bh_sip_nameaddr *b) {
    assert_int_equal(a->display.len, b->display.len);
    if (a->display.len)
        assert_memory_equal(a->display.p, b->display.p, a->display.len);
    assert_int_equal(a->uri.raw.len, b->uri.raw.len);
    assert_memory_equal(a->uri.raw.p, b->uri.raw.p, a->uri.raw.len);
    assert_int_equal(a->tag.len, b->tag.len);
    if (a->tag.len)
        assert_memory_equal(a->tag.p, b->tag.p, a->tag.len);
}

static void
same_str(struct bh_str a, struct bh_str b) {
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_memory_equal(a.p, b.p, a.len);
}

/* Rebuilds m with the builder: start line, every header under its long
 * name (compact forms expanded), Content-Length computed by finish. */
static int
rebuild(const struct bh_sip_msg *m, char *out, size_t size) {
    struct bh_sip_builder b;
    bh_sip_build_init(&b, out, size);
    if (m->is_request) {
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)m->method_name.len,
                 m->method_name.p);
        bh_sip_build_request(&b, m->method, name, m->ruri.raw);
    } else {
        char reason[512];
        snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len,
                 m->reason.p);
        bh_sip_build_status(&b, m->status, reason);
    }
    char ct[256] = "";
    for (size_t i = 0; i < m->nheaders; i++) {
        const struct bh_sip_header *h = &m->headers[i];
        if (h->id == BH_SIP_H_CONTENT_LENGTH)
            continue;
        if (h->id == BH_SIP_H_CONTENT_TYPE) {
            snprintf(ct, sizeof ct, "%.*s", (int)h->value.len, h->value.p);
            continue;
        }
        char name[256];
        if (h->id != BH_SIP_H_OTHER)
            snprintf(name, sizeof name, "%s", bh_sip_hdr_name(h->id));
        else
            snprintf(name, sizeof name, "%.*s", (int)h->name.len, h->name.p);
        bh_sip_build_header(&b, name, h->value);
    }
    return bh_sip_build_finish(&b, ct[0] ? ct : NULL, m->body);
}

static void
test_round_trip(void **state) {
    (void)state;
    static struct bh_sip_msg again;
    static char out[16384];
    for (size_t i = 0; i < sizeof corpus_valid / sizeof *corpus_valid; i++) {
        struct fixture *f = parse_file(corpus_valid[i]);
        if (f->rc != 0)
            fail_msg("%s: %s", corpus_valid[i], f->err.what);
        const struct bh_sip_msg *m = &f->msg;
        int n = rebuild(m, out, sizeof out);
        assert_true(n > 0);
        struct bh_sip_error e;
        int rc = bh_sip_parse(out, (size_t)n, &again, &e);
        if (rc != 0)
            fail_msg("%s rebuilt: %s at %zu", corpus_valid[i], e.what,
                     e.offset);
        assert_int_equal(again.is_request, m->is_request);
        assert_int_equal(again.method, m->method);
        same_str(again.method_name, m->method_name);
        same_str(again.ruri.raw, m->ruri.raw);
        assert_int_equal(again.status, m->status);
        same_str(again.reason, m->reason);
        same_str(again.call_id, m->call_id);
        assert_int_equal(again.cseq, m->cseq);
        same_str(again.cseq_method_name, m->cseq_method_name);
        assert_int_equal(again.max_forwards, m->max_forwards);
        same_nameaddr(&again.from, &m->from);
        same_nameaddr(&again.to, &m->to);
        assert_int_equal(again.nvia, m->nvia);
        for (size_t k = 0; k < m->nvia; k++) {
            same_str(again.via[k].transport, m->via[k].transport);
            same_str(again.via[k].host, m->via[k].host);
            assert_int_equal(again.via[k].port, m->via[k].port);
            same_str(again.via[k].branch, m->via[k].branch);
        }
        same_str(again.body, m->body);
        same_str(again.content_type, m->content_type);
        /* Content-Length is always written by the builder. */
        assert_int_equal(again.content_length, (long)m->body.len);
        done(f);
    }
}

/* Response built from each valid request: RFC 3261 8.2.6.2 fields. */
static void
test_response_from_request(void **state) {
    (void)state;
    static struct bh_sip_msg resp;
    static char out[16384];
    int built = 0;
    for (size_t i = 0; i < sizeof corpus_valid / sizeof *corpus_valid; i++) {
        struct fixture *f = parse_file(corpus_valid[i]);
        const struct bh_sip_msg *m = &f->msg;
        if (!m->is_request || m->nvia == 0) {
            done(f);
            continue;
        }
        struct bh_sip_builder b;
        bh_sip_build_init(&b, out, sizeof out);
        bh_sip_build_response_src(&b, m, 200, NULL, BH_STR_LIT("abc123"),
                                  BH_STR_LIT("198.51.100.7"), 5062);
        bh_sip_build_header(&b, "Contact", BH_STR_LIT("<sip:uas@192.0.2.9>"));
        int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
        assert_true(n > 0);
        struct bh_sip_error e;
        int rc = bh_sip_parse(out, (size_t)n, &resp, &e);
        if (rc != 0)
            fail_msg("%s response: %s at %zu: %.*s", corpus_valid[i], e.what,
                     e.offset, n, out);
        assert_int_equal(resp.status, 200);
        assert_int_equal(resp.nvia, m->nvia);
        for (size_t k = 0; k < m->nvia; k++) {
            same_str(resp.via[k].branch, m->via[k].branch);
            same_str(resp.via[k].host, m->via[k].host);
        }
        struct bh_str v;
        assert_int_equal(bh_sip_param(resp.via[0].params, "received", &v), 1);
        assert_true(str_eq(v, "198.51.100.7"));
        if (m->via[0].has_rport)
            assert_int_equal(resp.via[0].rport, 5062);
        same_nameaddr(&resp.from, &m->from);
        same_str(resp.call_id, m->call_id);
        assert_int_equal(resp.cseq, m->cseq);
        same_str(resp.cseq_method_name, m->cseq_method_name);
        if (m->to.tag.len == 0)
            assert_true(str_eq(resp.to.tag, "abc123"));
        else
            same_str(resp.to.tag, m->to.tag);
        built++;
        done(f);
    }
    assert_true(built >= 20);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256sums),
        cmocka_unit_test(test_wsinv),
        cmocka_unit_test(test_intmeth),
        cmocka_unit_test(test_esc01),
        cmocka_unit_test(test_escnull),
        cmocka_unit_test(test_esc02),
        cmocka_unit_test(test_lwsdisp),
        cmocka_unit_test(test_longreq),
        cmocka_unit_test(test_dblreq),
        cmocka_unit_test(test_semiuri),
        cmocka_unit_test(test_transports),
        cmocka_unit_test(test_mpart01),
        cmocka_unit_test(test_unreason),
        cmocka_unit_test(test_noreason),
        cmocka_unit_test(test_error_offsets),
        cmocka_unit_test(test_regbadct),
        cmocka_unit_test(test_badbranch),
        cmocka_unit_test(test_unkscm),
        cmocka_unit_test(test_novelsc),
        cmocka_unit_test(test_unksm2),
        cmocka_unit_test(test_bext01),
        cmocka_unit_test(test_invut),
        cmocka_unit_test(test_regaut01),
        cmocka_unit_test(test_bcast),
        cmocka_unit_test(test_zeromf),
        cmocka_unit_test(test_cparam01),
        cmocka_unit_test(test_cparam02),
        cmocka_unit_test(test_regescrt),
        cmocka_unit_test(test_sdp01),
        cmocka_unit_test(test_inv2543),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_response_from_request),
    };
    /* ... and one test per invalid message, named after it. */
    enum {
        NFIXED = sizeof tests / sizeof *tests,
        NBAD = sizeof bad_msgs / sizeof *bad_msgs
    };
    static struct CMUnitTest all[NFIXED + NBAD];
    memcpy(all, tests, sizeof tests);
    for (size_t i = 0; i < NBAD; i++) {
        all[NFIXED + i].name = bad_msgs[i].name;
        all[NFIXED + i].test_func = test_invalid;
        all[NFIXED + i].initial_state = (void *)&bad_msgs[i];
    }
    return _cmocka_run_group_tests("rfc4475", all, NFIXED + NBAD, NULL, NULL);
}
