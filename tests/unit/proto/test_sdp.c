/* test_sdp.c: SDP parsing and building, RFC 3264 offer/answer, hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corpus.h"
#include "proto.h"

static const char offer_text[] =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\n"
    "s=call\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 18 8 0 101\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:30\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/AVP 31\r\n";

static void
test_parse_offer(void **state) {
    (void)state;
    struct bh_sdp s;
    assert_int_equal(bh_sdp_parse(offer_text, sizeof offer_text - 1, &s, NULL),
                     0);
    assert_true(str_eq(s.origin_user, "alice"));
    assert_true(s.sess_id == 2890844526ull);
    assert_true(s.sess_version == 2890844527ull);
    assert_true(str_eq(s.conn_addr, "192.0.2.10"));
    assert_int_equal(s.nmedia, 2);
    const struct bh_sdp_media *m = &s.media[0];
    assert_true(str_eq(m->type, "audio"));
    assert_int_equal(m->port, 49170);
    assert_int_equal(m->nfmt, 4);
    assert_int_equal(m->fmt[0].pt, 18);
    assert_true(str_eq(m->fmt[1].encoding, "PCMA"));
    assert_int_equal(m->fmt[3].clock_rate, 8000);
    assert_true(str_eq(m->fmt[3].encoding, "telephone-event"));
    assert_true(str_eq(m->fmt[3].fmtp, "0-16"));
    assert_int_equal(m->ptime, 30);
    assert_int_equal(m->dir, BH_SDP_SENDRECV);
    assert_true(str_eq(m->conn_addr, "192.0.2.10"));
    assert_int_equal(s.media[1].port, 0);
}

static void
test_parse_errors(void **state) {
    (void)state;
    struct bh_sdp s;
    size_t off = 0;
    static const char no_v[] = "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n";
    assert_int_equal(bh_sdp_parse(no_v, sizeof no_v - 1, &s, &off), BH_EPARSE);
    assert_int_equal(off, 0);
    /* "m =video": not <type>= (RFC 4475 dblreq's second body) */
    static const char bad_line[] =
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
        "c=IN IP4 1.2.3.4\r\nm =video 1 RTP/AVP 0\r\n";
    assert_int_equal(bh_sdp_parse(bad_line, sizeof bad_line - 1, &s, &off),
                     BH_EPARSE);
    assert_int_equal(off, 52);
    static const char no_c[] = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
                               "m=audio 1000 RTP/AVP 0\r\n";
    assert_int_equal(bh_sdp_parse(no_c, sizeof no_c - 1, &s, &off), BH_EPARSE);
    static const char big_port[] =
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
        "c=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n";
    assert_int_equal(bh_sdp_parse(big_port, sizeof big_port - 1, &s, &off),
                     BH_ERANGE);
    static const char big_pt[] =
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
        "c=IN IP4 1.2.3.4\r\nm=audio 7000 RTP/AVP 128\r\n";
    assert_int_equal(bh_sdp_parse(big_pt, sizeof big_pt - 1, &s, &off),
                     BH_ERANGE);
}

static void
test_corpus_bodies(void **state) {
    (void)state;
    /* The SDP bodies of RFC 4475 (LF or CRLF) parse. */
    static const char *const names[] = {"wsinv", "esc01", "unreason",
                                        "bcast", "sdp01", "inv2543"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct corpus_msg c = corpus_load(names[i]);
        static struct bh_sip_msg m;
        assert_int_equal(bh_sip_parse(c.buf, c.len, &m, NULL), 0);
        struct bh_sdp s;
        int rc = bh_sdp_parse(m.body.p, m.body.len, &s, NULL);
        if (rc != 0)
            fail_msg("%s: %d", names[i], rc);
        assert_true(s.nmedia >= 1);
        assert_true(str_eq(s.media[0].type, "audio"));
        assert_int_equal(s.media[0].fmt[0].pt, 0);
        free(c.buf);
    }
}

static struct bh_sdp_audio
local_caps(void) {
    struct bh_sdp_audio a;
    memset(&a, 0, sizeof a);
    snprintf(a.addr, sizeof a.addr, "198.51.100.1");
    a.port = 20000;
    a.pt[0] = BH_RTP_PT_PCMU;
    a.pt[1] = BH_RTP_PT_PCMA;
    a.npt = 2;
    a.te_pt = BH_RTP_PT_TELEPHONE_EVENT;
    a.ptime = 20;
    a.dir = BH_SDP_SENDRECV;
    a.sess_id = 42;
    a.sess_version = 1;
    return a;
}

static void
test_answer(void **state) {
    (void)state;
    struct bh_sdp offer;
    assert_int_equal(
        bh_sdp_parse(offer_text, sizeof offer_text - 1, &offer, NULL), 0);
    struct bh_sdp_audio local = local_caps(), ans;
    struct bh_sdp_plan plan;
    assert_int_equal(bh_sdp_answer(&offer, &local, &ans, &plan), 0);
    /* The offer prefers G729 (unsupported) then PCMA. */
    assert_int_equal(plan.pt, BH_RTP_PT_PCMA);
    assert_int_equal(plan.te_pt, 101);
    assert_int_equal(plan.ptime, 30);
    assert_int_equal(plan.dir, BH_SDP_SENDRECV);
    assert_string_equal(plan.remote_addr, "192.0.2.10");
    assert_int_equal(plan.remote_port, 49170);
    assert_false(plan.hold);
    /* The answer, built and parsed back. */
    char buf[1024];
    int n = bh_sdp_build_audio(buf, sizeof buf, &ans);
    assert_true(n > 0);
    struct bh_sdp back;
    assert_int_equal(bh_sdp_parse(buf, (size_t)n, &back, NULL), 0);
    assert_int_equal(back.nmedia, 1);
    assert_int_equal(back.media[0].port, 20000);
    assert_int_equal(back.media[0].nfmt, 2);
    assert_int_equal(back.media[0].fmt[0].pt, BH_RTP_PT_PCMA);
    assert_int_equal(back.media[0].fmt[1].pt, 101);
    assert_int_equal(back.media[0].ptime, 30);
    assert_true(str_eq(back.media[0].conn_addr, "198.51.100.1"));
    /* The offerer applies that answer. */
    struct bh_sdp_audio mine = local_caps();
    mine.pt[0] = BH_RTP_PT_PCMA;
    mine.pt[1] = BH_RTP_PT_PCMU;
    struct bh_sdp_plan p2;
    assert_int_equal(bh_sdp_accept(&back, &mine, &p2), 0);
    assert_int_equal(p2.pt, BH_RTP_PT_PCMA);
    assert_int_equal(p2.te_pt, 101);
    assert_string_equal(p2.remote_addr, "198.51.100.1");
    assert_int_equal(p2.remote_port, 20000);
}

static void
offer_with(const char *attr, const char *conn, struct bh_sdp *s, char *buf,
           size_t size) {
    int n = snprintf(buf, size,
                     "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
                     "c=IN IP4 %s\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n%s",
                     conn, attr);
    assert_int_equal(bh_sdp_parse(buf, (size_t)n, s, NULL), 0);
}

static void
test_directions_and_hold(void **state) {
    (void)state;
    struct {
        const char *attr, *conn;
        enum bh_sdp_dir want;
        int hold;
    } cases[] = {
        {"a=sendonly\r\n", "192.0.2.1", BH_SDP_RECVONLY, 1},
        {"a=recvonly\r\n", "192.0.2.1", BH_SDP_SENDONLY, 0},
        {"a=inactive\r\n", "192.0.2.1", BH_SDP_INACTIVE, 1},
        {"", "192.0.2.1", BH_SDP_SENDRECV, 0},
        {"", "0.0.0.0", BH_SDP_RECVONLY, 1}, /* RFC 2543 hold */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[512];
        struct bh_sdp s;
        offer_with(cases[i].attr, cases[i].conn, &s, buf, sizeof buf);
        struct bh_sdp_audio local = local_caps(), ans;
        struct bh_sdp_plan plan;
        assert_int_equal(bh_sdp_answer(&s, &local, &ans, &plan), 0);
        assert_int_equal(plan.dir, cases[i].want);
        assert_int_equal(ans.dir, cases[i].want);
        assert_int_equal(plan.hold, cases[i].hold);
        assert_int_equal(plan.te_pt, -1); /* not offered */
    }
    /* Session-level direction is inherited by the media. */
    char buf[512];
    struct bh_sdp s;
    int n =
        snprintf(buf, sizeof buf,
                 "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\na=sendonly\r\n"
                 "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
    assert_int_equal(bh_sdp_parse(buf, (size_t)n, &s, NULL), 0);
    assert_int_equal(s.media[0].dir, BH_SDP_SENDONLY);
    assert_true(bh_sdp_is_hold(&s.media[0]));
}

static void
test_no_common_codec(void **state) {
    (void)state;
    char buf[512];
    struct bh_sdp s;
    int n = snprintf(buf, sizeof buf,
                     "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
                     "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 "
                     "96\r\na=rtpmap:96 opus/48000/2\r\n");
    assert_int_equal(bh_sdp_parse(buf, (size_t)n, &s, NULL), 0);
    struct bh_sdp_audio local = local_caps(), ans;
    struct bh_sdp_plan plan;
    assert_int_equal(bh_sdp_answer(&s, &local, &ans, &plan), BH_EUNSUPP);
    n = snprintf(buf, sizeof buf,
                 "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
                 "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=video 4000 RTP/AVP 31\r\n");
    assert_int_equal(bh_sdp_parse(buf, (size_t)n, &s, NULL), 0);
    assert_int_equal(bh_sdp_answer(&s, &local, &ans, &plan), BH_ENOENT);
}

static void
test_build_limits(void **state) {
    (void)state;
    struct bh_sdp_audio a = local_caps();
    char buf[1024];
    int n = bh_sdp_build_audio(buf, sizeof buf, &a);
    assert_true(n > 0);
    /* Every shorter buffer fails cleanly. */
    for (int k = 0; k < n; k++)
        assert_int_equal(bh_sdp_build_audio(buf, (size_t)k, &a), BH_ETOOBIG);
    a.pt[0] = 18;
    assert_int_equal(bh_sdp_build_audio(buf, sizeof buf, &a), BH_EINVAL);
    a = local_caps();
    snprintf(a.addr, sizeof a.addr, "2001:db8::1");
    n = bh_sdp_build_audio(buf, sizeof buf, &a);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "c=IN IP6 2001:db8::1\r\n"));
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_offer),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_corpus_bodies),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_directions_and_hold),
        cmocka_unit_test(test_no_common_codec),
        cmocka_unit_test(test_build_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
