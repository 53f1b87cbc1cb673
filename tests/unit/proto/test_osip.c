/* test_osip.c: libosip2 as a second opinion on the valid RFC 4475 set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corpus.h"
#include "proto.h"

#include <osipparser2/osip_parser.h>

static int
same(struct bh_str ours, const char *theirs) {
    if (theirs == NULL)
        return ours.len == 0;
    return ours.len == strlen(theirs) && memcmp(ours.p, theirs, ours.len) == 0;
}

static int
same_unescaped(struct bh_str ours, const char *theirs) {
    char buf[512];
    int n = bh_sip_unescape(ours, buf, sizeof buf);
    if (theirs == NULL)
        return n == 0;
    return n >= 0 && (size_t)n == strlen(theirs) &&
           memcmp(buf, theirs, (size_t)n) == 0;
}

static const char *
tag_of(osip_from_t *h) {
    osip_generic_param_t *t = NULL;
    if (h == NULL || osip_from_get_tag(h, &t) != 0 || t == NULL)
        return NULL;
    return t->gvalue;
}

/* Compares the fields the issue names; returns the number of
 * disagreements and prints each. */
static int
compare(const char *name, const struct bh_sip_msg *m, osip_message_t *o) {
    int bad = 0;
#define CHECK(cond, what)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            print_message("%s: disagree on %s\n", name, what);                 \
            bad++;                                                             \
        }                                                                      \
    } while (0)
    if (m->is_request) {
        CHECK(same(m->method_name, o->sip_method), "method");
        osip_uri_t *u = o->req_uri;
        CHECK(u != NULL, "Request-URI present");
        if (u != NULL &&
            (m->ruri.scheme == BH_URI_SIP || m->ruri.scheme == BH_URI_SIPS)) {
            CHECK(same(m->ruri.scheme_s, u->scheme), "Request-URI scheme");
            /* libosip2 unescapes the user part */
            CHECK(same_unescaped(m->ruri.user, u->username),
                  "Request-URI user");
            CHECK(same(m->ruri.host, u->host), "Request-URI host");
        } else if (u != NULL) {
            char *s = NULL;
            osip_uri_to_str(u, &s);
            CHECK(s != NULL && same(m->ruri.raw, s), "Request-URI");
            osip_free(s);
        }
    } else {
        CHECK(m->status == o->status_code, "status");
    }
    char *cid = NULL;
    if (o->call_id != NULL)
        osip_call_id_to_str(o->call_id, &cid);
    CHECK(cid != NULL && same(m->call_id, cid), "Call-ID");
    osip_free(cid);
    CHECK(o->cseq != NULL && o->cseq->number != NULL &&
              strtoul(o->cseq->number, NULL, 10) == m->cseq,
          "CSeq number");
    CHECK(o->cseq != NULL && same(m->cseq_method_name, o->cseq->method),
          "CSeq method");
    CHECK(same(m->from.tag, tag_of(o->from)), "From tag");
    CHECK(same(m->to.tag, tag_of(o->to)), "To tag");
    osip_via_t *via = NULL;
    osip_generic_param_t *br = NULL;
    if (osip_message_get_via(o, 0, &via) >= 0 && via != NULL)
        osip_via_param_get_byname(via, "branch", &br);
    CHECK(same(m->via[0].branch, br ? br->gvalue : NULL), "top Via branch");
    /* libosip2 splits multipart bodies into parts; compare the rest. */
    if (m->content_type.len < 10 ||
        !bh_str_caseeq(bh_str_make(m->content_type.p, 10), "multipart/")) {
        osip_body_t *b = NULL;
        osip_message_get_body(o, 0, &b);
        if (m->body.len == 0)
            CHECK(b == NULL || b->length == 0, "body (empty)");
        else
            CHECK(b != NULL && b->length == m->body.len &&
                      memcmp(b->body, m->body.p, m->body.len) == 0,
                  "body");
    }
#undef CHECK
    return bad;
}

/* Messages libosip2 itself does not accept, or reads differently from
 * the RFC; each is checked against RFC 4475 in test_rfc4475.c. */
static const char *const osip_differs[] = {
    "intmeth", /* a NUL inside a quoted-pair (RFC 4475 3.1.1.2): libosip2
                  reads C strings and stops there */
    "novelsc", /* Request-URI scheme "soap.beep" (3.4.2): libosip2 does
                  not parse a scheme holding '.' */
    NULL,
};

static int
listed(const char *name) {
    for (size_t i = 0; osip_differs[i] != NULL; i++)
        if (strcmp(osip_differs[i], name) == 0)
            return 1;
    return 0;
}

static void
test_agree_on_valid(void **state) {
    (void)state;
    static struct bh_sip_msg m;
    int compared = 0, disagreements = 0;
    for (size_t i = 0; i < sizeof corpus_valid / sizeof *corpus_valid; i++) {
        const char *name = corpus_valid[i];
        struct corpus_msg c = corpus_load(name);
        assert_non_null(c.buf);
        assert_int_equal(bh_sip_parse(c.buf, c.len, &m, NULL), 0);
        osip_message_t *o = NULL;
        assert_int_equal(osip_message_init(&o), 0);
        /* libosip2 wants the message only (not dblreq's second one). */
        int rc = osip_message_parse(o, c.buf, m.msg_len);
        if (rc != 0) {
            print_message("%s: libosip2 rejects it (%d)\n", name, rc);
            if (!listed(name))
                disagreements++;
        } else {
            int bad = compare(name, &m, o);
            if (bad && !listed(name))
                disagreements += bad;
            compared++;
        }
        osip_message_free(o);
        free(c.buf);
    }
    print_message("compared %d messages with libosip2\n", compared);
    assert_int_equal(disagreements, 0);
    assert_true(compared >= 20);
}

/* The strictness the issue asks for: values libosip2 may let through
 * are rejected here. libosip2's own verdict is printed, not asserted. */
static void
test_stricter_than_osip(void **state) {
    (void)state;
    static struct bh_sip_msg m;
    static const char *const names[] = {"ncl",   "scalar02",   "scalarlg",
                                        "clerr", "mismatch01", "bigcode"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct corpus_msg c = corpus_load(names[i]);
        assert_non_null(c.buf);
        struct bh_sip_error e;
        assert_true(bh_sip_parse(c.buf, c.len, &m, &e) < 0);
        osip_message_t *o = NULL;
        assert_int_equal(osip_message_init(&o), 0);
        int rc = osip_message_parse(o, c.buf, c.len);
        print_message("%s: busyhour rejects (%s); libosip2 %s\n", names[i],
                      e.what, rc == 0 ? "accepts it" : "rejects it too");
        osip_message_free(o);
        free(c.buf);
    }
}

int
main(void) {
    parser_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree_on_valid),
        cmocka_unit_test(test_stricter_than_osip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
