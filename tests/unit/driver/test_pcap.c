/* test_pcap.c: the driver's captures (pcap.c), read back with libpcap:
 * Ethernet, IPv4 and IPv6 with UDP around each payload, addresses, ports
 * and lengths as given, checksums that verify, wall-clock timestamps;
 * RTP left out unless asked; a file that cannot be written is an error
 * with the reason. A capture's audio (media: pcap:FILE): the first G.711
 * stream of tests/data/pcap's capture (written by a script of its own),
 * of our own captures over IPv6, and the errors. */
#include "driver.h"
#include "proto.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static const char invite[] = "INVITE sip:100@127.0.0.1:5060 SIP/2.0\r\n"
                             "Call-ID: c1.1\r\nContent-Length: 0\r\n\r\n";
static const char ok[] = "SIP/2.0 200 OK\r\nCall-ID: c1.1\r\n"
                         "Content-Length: 0\r\n\r\n";

static struct sockaddr_in
v4(const char *ip, int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6
v6(const char *ip, int port) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

static unsigned
get16(const unsigned char *b) {
    return (unsigned)b[0] << 8 | b[1];
}

/* The ones'-complement sum of len bytes plus sum, folded: 0xffff when a
 * checksummed header verifies. */
static unsigned
csum(unsigned sum, const unsigned char *b, size_t len) {
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(b + i);
    if (len & 1)
        sum += (unsigned)b[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

/* One frame: checks its headers and returns its UDP payload's length,
 * with *payload pointing at it. */
static size_t
frame(const struct pcap_pkthdr *h, const unsigned char *f, int family,
      const char *src, const char *dst, unsigned sport, unsigned dport,
      const unsigned char **payload) {
    assert_true(h->caplen == h->len);
    char a[64], b[64];
    const unsigned char *udp;
    unsigned pseudo;
    if (family == AF_INET) {
        assert_int_equal(get16(f + 12), 0x0800);
        const unsigned char *ip = f + 14;
        assert_int_equal(ip[0], 0x45);
        assert_int_equal(ip[9], 17);
        assert_int_equal(get16(ip + 2), h->len - 14);
        assert_int_equal(csum(0, ip, 20), 0xffff);
        inet_ntop(AF_INET, ip + 12, a, sizeof a);
        inet_ntop(AF_INET, ip + 16, b, sizeof b);
        udp = ip + 20;
        pseudo = csum(0, ip + 12, 8) + 17 + get16(udp + 4);
    } else {
        assert_int_equal(get16(f + 12), 0x86dd);
        const unsigned char *ip = f + 14;
        assert_int_equal(ip[0] >> 4, 6);
        assert_int_equal(ip[6], 17);
        assert_int_equal(get16(ip + 4), h->len - 54);
        inet_ntop(AF_INET6, ip + 8, a, sizeof a);
        inet_ntop(AF_INET6, ip + 24, b, sizeof b);
        udp = ip + 40;
        pseudo = csum(0, ip + 8, 32) + 17 + get16(udp + 4);
    }
    assert_string_equal(a, src);
    assert_string_equal(b, dst);
    assert_int_equal(get16(udp), sport);
    assert_int_equal(get16(udp + 2), dport);
    size_t ulen = get16(udp + 4);
    assert_true(udp + ulen == f + h->len);
    assert_int_not_equal(get16(udp + 6), 0);
    assert_int_equal(csum(pseudo, udp, ulen), 0xffff);
    *payload = udp + 8;
    return ulen - 8;
}

static void
write_and_read(void **state) {
    (void)state;
    char path[] = "/tmp/bh_test_pcap_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int rtp = 0; rtp <= 1; rtp++) {
        struct bh_pcap *p;
        struct bh_diag d;
        double epoch = 1765000000.25;
        assert_int_equal(bh_pcap_open(path, rtp, epoch, &p, &d), 0);
        struct sockaddr_in me = v4("127.0.0.1", 40000),
                           sw = v4("127.0.0.2", 5060),
                           rme = v4("127.0.0.1", 30000),
                           rsw = v4("127.0.0.2", 20000);
        struct sockaddr_in6 me6 = v6("::1", 40001), sw6 = v6("::1", 5062);
        unsigned char media[172];
        memset(media, 0xd5, sizeof media);
        media[0] = 0x80; /* RTP version 2 */
        bh_pcap_packet(p, 0, (void *)&me, (void *)&sw, invite,
                       sizeof invite - 1, 0.5);
        bh_pcap_packet(p, 0, (void *)&rme, (void *)&rsw, media, sizeof media,
                       0.75);
        bh_pcap_packet(p, 1, (void *)&sw, (void *)&me, ok, sizeof ok - 1,
                       1.000001);
        bh_pcap_packet(p, 1, (void *)&sw6, (void *)&me6, ok, sizeof ok - 2, 2);
        /* mixed families: left out */
        bh_pcap_packet(p, 1, (void *)&sw6, (void *)&me, ok, sizeof ok - 1, 3);
        assert_int_equal(bh_pcap_count(p), rtp ? 4 : 3);
        assert_int_equal(bh_pcap_close(p), 0);

        char err[PCAP_ERRBUF_SIZE];
        pcap_t *in = pcap_open_offline(path, err);
        assert_non_null(in);
        assert_int_equal(pcap_datalink(in), DLT_EN10MB);
        struct pcap_pkthdr *h;
        const unsigned char *f, *pl;
        assert_int_equal(pcap_next_ex(in, &h, &f), 1);
        size_t n =
            frame(h, f, AF_INET, "127.0.0.1", "127.0.0.2", 40000, 5060, &pl);
        assert_int_equal(n, sizeof invite - 1);
        assert_memory_equal(pl, invite, n);
        assert_int_equal(h->ts.tv_sec, 1765000000);
        assert_true(h->ts.tv_usec >= 749999 && h->ts.tv_usec <= 750001);
        if (rtp) {
            assert_int_equal(pcap_next_ex(in, &h, &f), 1);
            n = frame(h, f, AF_INET, "127.0.0.1", "127.0.0.2", 30000, 20000,
                      &pl);
            assert_int_equal(n, sizeof media);
            assert_memory_equal(pl, media, n);
        }
        assert_int_equal(pcap_next_ex(in, &h, &f), 1);
        n = frame(h, f, AF_INET, "127.0.0.2", "127.0.0.1", 5060, 40000, &pl);
        assert_memory_equal(pl, ok, n);
        assert_int_equal(h->ts.tv_sec, 1765000001);
        assert_true(h->ts.tv_usec >= 250000 && h->ts.tv_usec <= 250002);
        assert_int_equal(pcap_next_ex(in, &h, &f), 1);
        n = frame(h, f, AF_INET6, "::1", "::1", 5062, 40001, &pl);
        assert_int_equal(n, sizeof ok - 2); /* odd length: checksum pad */
        assert_int_equal(pcap_next_ex(in, &h, &f), PCAP_ERROR_BREAK);
        pcap_close(in);
    }
    unlink(path);
}

static void
cannot_write(void **state) {
    (void)state;
    struct bh_pcap *p = (void *)1;
    struct bh_diag d;
    assert_int_equal(bh_pcap_open("/nonexistent/dir/x.pcap", 0, 0, &p, &d),
                     BH_EIO);
    assert_null(p);
    assert_string_equal(d.file, "/nonexistent/dir/x.pcap");
    assert_true(strlen(d.msg) > 0);
    assert_int_equal(bh_pcap_open("", 0, 0, &p, &d), BH_EINVAL);
    assert_int_equal(bh_pcap_close(NULL), 0);
    /* a full disk shows at close */
    if (access("/dev/full", W_OK) == 0) {
        assert_int_equal(bh_pcap_open("/dev/full", 0, 0, &p, &d), 0);
        struct sockaddr_in a = v4("127.0.0.1", 1), b = v4("127.0.0.1", 2);
        for (int i = 0; i < 100; i++)
            bh_pcap_packet(p, 0, (void *)&a, (void *)&b, invite,
                           sizeof invite - 1, i);
        assert_int_equal(bh_pcap_close(p), BH_EIO);
    }
}

/* tests/data/pcap/g711u-sweep.pcap (make_g711_pcap.py): a SIP datagram,
 * 50 packets of PCMU of a 300-3,300 Hz sweep, 5 packets of another
 * stream among them. */
static void
audio_of_a_capture(void **state) {
    (void)state;
    struct bh_pcap_audio a;
    struct bh_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(
        bh_pcap_audio_read(BH_TEST_DATA "/pcap/g711u-sweep.pcap", &a, &d), 0);
    assert_int_equal(a.pt, 0);
    assert_int_equal(a.ssrc, 0x11223344u);
    assert_int_equal(a.packets, 50);
    assert_int_equal(a.n, 8000);
    double phase = 0, worst = 0;
    for (size_t i = 0; i < a.n; i++) {
        phase += 2 * M_PI * (300 + 3000 * (double)i / 8000) / 8000;
        double want = round(8000 * sin(phase));
        worst = fmax(worst, fabs(a.pcm[i] - want));
        /* the octets as captured, and the samples they decode to */
        assert_int_equal(a.pcm[i], bh_g711_ulaw_decode(a.code[i]));
    }
    /* mu-law's step at 4,096-8,159 is 256: at most half of it off */
    assert_true(worst <= 129);
    bh_pcap_audio_free(&a);
    bh_pcap_audio_free(NULL);
}

/* Our own capture (IPv6, PCMA among SIP) read back: the octets sent. */
static void
audio_of_our_capture(void **state) {
    (void)state;
    char path[] = "/tmp/bh_test_pcap_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct bh_pcap *p;
    struct bh_diag d;
    assert_int_equal(bh_pcap_open(path, 1, 0, &p, &d), 0);
    struct sockaddr_in6 a = v6("::1", 30000), b = v6("::1", 20000);
    bh_pcap_packet(p, 0, (void *)&a, (void *)&b, invite, sizeof invite - 1, 0);
    unsigned char pkt[12 + 80];
    for (int k = 0; k < 3; k++) {
        memset(pkt, 0, 12);
        pkt[0] = 0x80;
        pkt[1] = 8; /* PCMA */
        pkt[3] = (unsigned char)k;
        pkt[11] = 7; /* SSRC 7 */
        for (int i = 0; i < 80; i++)
            pkt[12 + i] = (unsigned char)(k * 80 + i);
        bh_pcap_packet(p, 0, (void *)&a, (void *)&b, pkt, sizeof pkt, 0.01 * k);
    }
    assert_int_equal(bh_pcap_close(p), 0);
    struct bh_pcap_audio au;
    assert_int_equal(bh_pcap_audio_read(path, &au, &d), 0);
    assert_int_equal(au.pt, 8);
    assert_int_equal(au.packets, 3);
    assert_int_equal(au.n, 240);
    for (size_t i = 0; i < au.n; i++) {
        assert_int_equal(au.code[i], (unsigned char)i);
        assert_int_equal(au.pcm[i], bh_g711_alaw_decode((uint8_t)i));
    }
    bh_pcap_audio_free(&au);

    /* SIP only: no audio, said */
    assert_int_equal(bh_pcap_open(path, 1, 0, &p, &d), 0);
    bh_pcap_packet(p, 0, (void *)&a, (void *)&b, invite, sizeof invite - 1, 0);
    assert_int_equal(bh_pcap_close(p), 0);
    memset(&d, 0, sizeof d);
    assert_int_equal(bh_pcap_audio_read(path, &au, &d), BH_EINVAL);
    assert_non_null(strstr(d.msg, "no RTP"));
    assert_null(au.pcm);
    /* not a capture; no file */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a capture\n", f);
    fclose(f);
    assert_int_equal(bh_pcap_audio_read(path, &au, &d), BH_EIO);
    unlink(path);
    memset(&d, 0, sizeof d);
    assert_int_equal(bh_pcap_audio_read(path, &au, &d), BH_EIO);
    assert_non_null(strstr(d.msg, path));
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_and_read),
        cmocka_unit_test(cannot_write),
        cmocka_unit_test(audio_of_a_capture),
        cmocka_unit_test(audio_of_our_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
