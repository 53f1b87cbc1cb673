/* test_switch.c: the switch as a library: embedded on an event_base the
 * test runs, in a thread of its own started and stopped with a call up,
 * without touching the process's signal dispositions; and a voice menu
 * that hears a key pressed as a tone in the audio. The test is the SIP
 * and RTP peer, over UDP on 127.0.0.1. Every wait is for a datagram that
 * the switch owes; nothing is timed. */
#include "proto.h"
#include "scenario.h"
#include "switch.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

/* One number, five lines, no queue: a caller is answered at once and
 * hears the announcement until it hangs up. */
static const char lines_yaml[] = "name: embedded\n"
                                 "switch:\n"
                                 "  numbers:\n"
                                 "    - name: info\n"
                                 "      number: \"100\"\n"
                                 "      lines: 5\n"
                                 "traffic:\n"
                                 "  - name: callers\n"
                                 "    to: info\n"
                                 "    profile: { \"00:00\": 60 }\n"
                                 "    holding: { dist: deterministic, "
                                 "value: 5s }\n";

static struct bh_scenario *
load(const char *yaml) {
    struct bh_scenario *sc = NULL;
    struct bh_diag diag;
    memset(&diag, 0, sizeof diag);
    assert_int_equal(
        bh_scenario_parse(yaml, strlen(yaml), "embedded.yaml", &sc, &diag), 0);
    return sc;
}

static struct sockaddr_in
loopback(uint16_t port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

/* A UDP socket on 127.0.0.1 at a port the kernel picks. */
static int
udp(uint16_t *port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = loopback(0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void
send_to(int fd, int port, const char *msg) {
    struct sockaddr_in a = loopback((uint16_t)port);
    assert_true(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a,
                       sizeof a) == (ssize_t)strlen(msg));
}

/* Blocks until a datagram that starts with `start` arrives; others
 * (retransmissions) are skipped. */
static void
recv_starting(int fd, const char *start, char *buf, size_t size) {
    for (;;) {
        ssize_t n = recv(fd, buf, size - 1, 0);
        assert_true(n > 0);
        buf[n] = '\0';
        if (strncmp(buf, start, strlen(start)) == 0)
            return;
    }
}

/* The process's dispositions of the signals a library must leave to its
 * owner, and the calling thread's mask. */
struct dispositions {
    struct sigaction act[3];
    sigset_t mask;
};

static const int watched[3] = {SIGINT, SIGTERM, SIGPIPE};

static void
snapshot(struct dispositions *d) {
    memset(d, 0, sizeof *d);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sigaction(watched[i], NULL, &d->act[i]), 0);
    assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &d->mask), 0);
}

static void
assert_unchanged(const struct dispositions *before) {
    struct dispositions now;
    snapshot(&now);
    for (int i = 0; i < 3; i++) {
        assert_ptr_equal((void *)now.act[i].sa_handler,
                         (void *)before->act[i].sa_handler);
        assert_int_equal(now.act[i].sa_flags, before->act[i].sa_flags);
    }
    for (int s = 1; s < 32; s++)
        assert_int_equal(sigismember(&now.mask, s),
                         sigismember(&before->mask, s));
}

/* ---- embedded on the test's loop ------------------------------------- */

struct probe {
    struct event_base *base;
    struct bh_switch *sw;
    int fd;
    char reply[2048];
    int stopped_calls;
};

static void
on_reply(evutil_socket_t fd, short what, void *arg) {
    struct probe *p = arg;
    ssize_t n = recv(fd, p->reply, sizeof p->reply - 1, 0);
    p->reply[n > 0 ? n : 0] = '\0';
    event_base_loopbreak(p->base);
}

static void
on_stopped(struct bh_switch *sw, void *arg) {
    struct probe *p = arg;
    assert_ptr_equal(sw, p->sw);
    p->stopped_calls++;
    event_base_loopbreak(p->base);
}

static void
embedded_options(void **state) {
    struct dispositions before;
    snapshot(&before);
    struct bh_scenario *sc = load(lines_yaml);
    struct probe p;
    memset(&p, 0, sizeof p);
    p.base = event_base_new();
    assert_non_null(p.base);
    uint16_t port;
    p.fd = udp(&port);
    struct event *ev =
        event_new(p.base, p.fd, EV_READ | EV_PERSIST, on_reply, &p);
    event_add(ev, NULL);
    int events_before =
        event_base_get_num_events(p.base, EVENT_BASE_COUNT_ADDED);

    struct bh_switch_options opt = {.listen = "127.0.0.1:0",
                                    .on_stopped = on_stopped,
                                    .on_stopped_arg = &p};
    char err[256] = "";
    assert_int_equal(
        bh_switch_new(&sc->sw, &opt, p.base, &p.sw, err, sizeof err), 0);
    assert_unchanged(&before);
    int sip = bh_switch_sip_port(p.sw);
    char msg[1024];
    snprintf(msg, sizeof msg,
             "OPTIONS sip:100@127.0.0.1:%d SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKemb1;rport\r\n"
             "From: <sip:test@127.0.0.1>;tag=e1\r\n"
             "To: <sip:100@127.0.0.1>\r\n"
             "Call-ID: embedded-options@test\r\n"
             "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
             "Content-Length: 0\r\n\r\n",
             sip, (unsigned)port);
    send_to(p.fd, sip, msg);
    /* The switch answers on the same loop as the test's own socket. */
    assert_int_equal(event_base_dispatch(p.base), 0);
    assert_true(strncmp(p.reply, "SIP/2.0 200", 11) == 0);
    assert_non_null(strstr(p.reply, "Allow: INVITE"));

    /* A stop asked for on the same loop: on_stopped ends the loop. */
    assert_int_equal(bh_switch_stopped(p.sw), 0);
    bh_switch_stop(p.sw);
    bh_switch_stop(p.sw); /* asking twice is one stop */
    assert_int_equal(event_base_dispatch(p.base), 0);
    assert_int_equal(p.stopped_calls, 1);
    assert_int_equal(bh_switch_stopped(p.sw), 1);
    bh_switch_free(p.sw);
    /* The loop is the test's again: the switch left no event behind. */
    assert_int_equal(event_base_get_num_events(p.base, EVENT_BASE_COUNT_ADDED),
                     events_before);
    assert_unchanged(&before);
    event_free(ev);
    close(p.fd);
    event_base_free(p.base);
    bh_scenario_free(sc);
}

/* ---- in a thread of its own, with a call up --------------------------- */

/* The To tag of a response, copied into tag. */
static void
to_tag(const char *msg, char *tag, size_t size) {
    const char *to = strstr(msg, "\r\nTo:");
    assert_non_null(to);
    const char *t = strstr(to, "tag=");
    assert_non_null(t);
    t += 4;
    size_t n = strcspn(t, ";>\r\n");
    assert_true(n > 0 && n < size);
    memcpy(tag, t, n);
    tag[n] = '\0';
}

/* Calls `number` from the caller at port (signalling) and rtp (media,
 * PCMU only, no telephone-event) and ACKs the 2xx, which it leaves in
 * ok. */
static void
call_up(int fd, uint16_t port, uint16_t rtp, int sip, const char *number,
        int round, char *ok, size_t oksize) {
    char sdp[256], msg[2048];
    int sl = snprintf(sdp, sizeof sdp,
                      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                      "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                      (unsigned)rtp);
    snprintf(msg, sizeof msg,
             "INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKthr%d;rport\r\n"
             "From: <sip:caller@127.0.0.1>;tag=c%d\r\n"
             "To: <sip:%s@127.0.0.1>\r\n"
             "Call-ID: thread-%d@test\r\n"
             "CSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:%u>\r\n"
             "Max-Forwards: 70\r\nContent-Type: application/sdp\r\n"
             "Content-Length: %d\r\n\r\n%s",
             number, sip, (unsigned)port, round, round, number, round,
             (unsigned)port, sl, sdp);
    send_to(fd, sip, msg);
    char tag[64];
    recv_starting(fd, "SIP/2.0 200", ok, oksize);
    to_tag(ok, tag, sizeof tag);
    snprintf(msg, sizeof msg,
             "ACK sip:%s@127.0.0.1:%d SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKack%d;rport\r\n"
             "From: <sip:caller@127.0.0.1>;tag=c%d\r\n"
             "To: <sip:%s@127.0.0.1>;tag=%s\r\n"
             "Call-ID: thread-%d@test\r\n"
             "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
             number, sip, (unsigned)port, round, round, number, tag, round);
    send_to(fd, sip, msg);
}

/* The CDR file holds exactly one row, answered, ended after it began. */
static void
assert_one_answered(const char *path, int round) {
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT outcome, call_id, status, "
                                        "\"end\" > arrival, count(*) "
                                        "FROM calls",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 4), 1);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "answered");
    char cid[64];
    snprintf(cid, sizeof cid, "thread-%d@test", round);
    assert_string_equal((const char *)sqlite3_column_text(s, 1), cid);
    assert_int_equal(sqlite3_column_int(s, 2), 200);
    assert_int_equal(sqlite3_column_int(s, 3), 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void
thread_twice_with_call(void **state) {
    struct dispositions before;
    snapshot(&before);
    struct bh_scenario *sc = load(lines_yaml);
    for (int round = 0; round < 2; round++) {
        char path[] = "/tmp/bh_sw_cdr_XXXXXX";
        int tmp = mkstemp(path);
        assert_true(tmp >= 0);
        close(tmp);
        struct bh_switch_options opt = {.listen = "127.0.0.1:0",
                                        .cdr_path = path};
        struct bh_switch *sw = NULL;
        char err[256] = "";
        assert_int_equal(
            bh_switch_start_thread(&sc->sw, &opt, &sw, err, sizeof err), 0);
        assert_unchanged(&before);
        uint16_t port, rtp;
        int fd = udp(&port), media = udp(&rtp);
        char ok[4096];
        call_up(fd, port, rtp, bh_switch_sip_port(sw), "100", round, ok,
                sizeof ok);
        /* The stop ends the call with BYE and writes its CDR before the
         * thread is joined. */
        assert_int_equal(bh_switch_stop_thread(sw), 0);
        assert_int_equal(bh_switch_stop_thread(sw), BH_ESTATE);
        char bye[4096];
        recv_starting(fd, "BYE ", bye, sizeof bye);
        assert_non_null(strstr(bye, "shutting down"));
        bh_switch_free(sw);
        assert_unchanged(&before);
        assert_one_answered(path, round);
        close(fd);
        close(media);
        unlink(path);
        char side[64];
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    bh_scenario_free(sc);
}

/* ---- a key pressed as a tone in the audio -------------------------------- */

/* A voice menu far longer than the test: only a digit ends it early, and
 * then the queue rings the operator, who is the test's socket at %u. */
static const char menu_yaml[] = "name: inband\n"
                                "switch:\n"
                                "  numbers:\n"
                                "    - name: menu\n"
                                "      number: \"800\"\n"
                                "      lines: 5\n"
                                "      ivr: { menu_time: 3600s }\n"
                                "      queue:\n"
                                "        operators: 1\n"
                                "        contacts:\n"
                                "          - \"sip:op@127.0.0.1:%u\"\n"
                                "traffic:\n"
                                "  - name: callers\n"
                                "    to: menu\n"
                                "    profile: { \"00:00\": 60 }\n"
                                "    holding: { dist: deterministic, "
                                "value: 1s }\n";

/* The port of the m=audio line of an SDP body in msg. */
static uint16_t
media_port(const char *msg) {
    const char *m = strstr(msg, "m=audio ");
    assert_non_null(m);
    return (uint16_t)atoi(m + 8);
}

/* Sends the key as in-band DTMF (Q.23 tones, PCMU, 20 ms frames) and a
 * few frames of silence after it to the switch's RTP port. */
static void
press_inband(int media, uint16_t to, char key) {
    struct bh_dtmf_generator *g = bh_dtmf_generator_new();
    assert_non_null(g);
    char keys[2] = {key, '\0'};
    assert_int_equal(bh_dtmf_generate_queue(g, keys), 0);
    struct sockaddr_in a = loopback(to);
    for (int i = 0, quiet = 0; quiet < 5; i++) {
        int16_t pcm[160];
        uint8_t ulaw[160], pkt[BH_RTP_HEADER_LEN + 160];
        quiet = bh_dtmf_generate(g, pcm, 160) > 0 ? 0 : quiet + 1;
        bh_g711_encode(BH_RTP_PT_PCMU, pcm, ulaw, 160);
        struct bh_rtp_hdr h = {.version = 2,
                               .pt = BH_RTP_PT_PCMU,
                               .seq = (uint16_t)i,
                               .ts = (uint32_t)i * 160,
                               .ssrc = 0x1234};
        int n = bh_rtp_build(pkt, sizeof pkt, &h, ulaw, 160);
        assert_true(n > 0);
        assert_true(sendto(media, pkt, (size_t)n, 0, (struct sockaddr *)&a,
                           sizeof a) == n);
    }
    bh_dtmf_generator_free(g);
}

static void
ivr_hears_inband_digit(void **state) {
    uint16_t op_port;
    int op = udp(&op_port);
    char yaml[sizeof menu_yaml + 16];
    snprintf(yaml, sizeof yaml, menu_yaml, (unsigned)op_port);
    struct bh_scenario *sc = load(yaml);
    struct bh_switch_options opt = {.listen = "127.0.0.1:0"};
    struct bh_switch *sw = NULL;
    char err[256] = "";
    assert_int_equal(
        bh_switch_start_thread(&sc->sw, &opt, &sw, err, sizeof err), 0);
    uint16_t port, rtp;
    int fd = udp(&port), media = udp(&rtp);
    char ok[4096];
    call_up(fd, port, rtp, bh_switch_sip_port(sw), "800", 9, ok, sizeof ok);
    assert_null(strstr(ok, "telephone-event")); /* no RFC 4733 agreed */
    press_inband(media, media_port(ok), '5');
    /* The digit left the menu: the queue rings the operator. */
    char inv[4096];
    recv_starting(op, "INVITE ", inv, sizeof inv);
    assert_non_null(strstr(inv, "Subject: menu caller caller"));
    assert_int_equal(bh_switch_stop_thread(sw), 0);
    bh_switch_free(sw);
    close(fd);
    close(media);
    close(op);
    bh_scenario_free(sc);
}

/* A switch that was never started in a thread cannot be joined; one
 * without a loop cannot be made. */
static void
stop_thread_needs_thread(void **state) {
    struct bh_scenario *sc = load(lines_yaml);
    struct event_base *base = event_base_new();
    struct bh_switch_options opt = {.listen = "127.0.0.1:0"};
    struct bh_switch *sw = NULL;
    char err[256] = "";
    assert_int_equal(bh_switch_new(&sc->sw, &opt, base, &sw, err, sizeof err),
                     0);
    assert_int_equal(bh_switch_stop_thread(sw), BH_ESTATE);
    bh_switch_free(sw);
    bh_switch_free(NULL);
    /* A loop is needed to run on. */
    assert_int_equal(bh_switch_new(&sc->sw, &opt, NULL, &sw, err, sizeof err),
                     BH_EINVAL);
    assert_null(sw);
    event_base_free(base);
    bh_scenario_free(sc);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embedded_options),
        cmocka_unit_test(thread_twice_with_call),
        cmocka_unit_test(stop_thread_needs_thread),
        cmocka_unit_test(ivr_hears_inband_digit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
