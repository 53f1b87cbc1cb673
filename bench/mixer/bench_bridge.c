/* bench_bridge: a benchmark client for the conference bridge of a running
 * `busyhour switch` (bench_bridge.py starts both, each pinned to a core of
 * its own). Prints key=value lines; never part of ctest.
 *
 *   bench_bridge mix   SIP_PORT HTTP_PORT PID PARTICIPANTS ROOM TALKERS
 *                      SECONDS [PROBES]
 *   bench_bridge joins SIP_PORT HTTP_PORT PID CALLS RATE [HOLD]
 *
 * Every participant is a real call: INVITE, 200, ACK, its passcode as
 * RFC 4733 events, then (mix) one RTP packet every 20 ms, sent with
 * sendmmsg from one socket (the switch answers symmetric RTP to it) and
 * received with recvmmsg. Participant i is in room i / ROOM (an open room,
 * passcode 100000 + room); the first TALKERS of a room send a tone, the
 * others silence. PROBES extra rooms of two measure the mix latency: one
 * sends a loud frame every 500 ms and silence otherwise, and the other's
 * first loud packet back is timed (client send to client receive, so it
 * includes the switch's jitter buffer and the wait for its tick).
 *
 * joins: CALLS calls offered at RATE per second (answers, joins counted
 * through /metrics, polled every 50 ms); with HOLD each hangs up HOLD s
 * after its answer, else they all stay (and are mixed) to the end. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME 160
#define MAX_LAT 100000

struct part {
    int status; /* final answer to the INVITE, 0 none */
    int acked;
    double sent;     /* INVITE sent, s */
    double answered; /* 200 came */
    int tries;
    uint16_t media; /* the switch's RTP port */
    uint16_t seq;
    uint32_t ts, ssrc;
    int room, talker;
    int probe; /* 1: probe talker, 2: probe listener */
    char totag[64];
    int byed;
    int bye_sent;
};

static struct part *P;
static int NP;
static int sip_fd, rtp_fd;
static uint16_t sip_me, rtp_me, sw_port;
static int http_port;
static struct sockaddr_in sw_addr;
static int *port_part; /* switch RTP port -> participant */
static uint8_t tone[8000];
static uint8_t silence[FRAME];
static int16_t ulaw_mag[256];
static double lat[MAX_LAT];
static int nlat;
static double burst_sent[4096]; /* per probe room: last loud frame sent */
static int burst_seen[4096];

static double
now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint8_t
ulaw(int x) {
    int sign = x < 0 ? 0x80 : 0;
    if (x < 0)
        x = -x;
    if (x > 32635)
        x = 32635;
    x += 0x84;
    int seg = 0;
    for (int v = x >> 7; v > 1; v >>= 1)
        seg++;
    return (uint8_t) ~(sign | seg << 4 | ((x >> (seg + 3)) & 0x0f));
}

static int
ulaw_dec(uint8_t u) {
    u = (uint8_t)~u;
    int t = ((u & 0x0f) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return (u & 0x80) ? 0x84 - t : t - 0x84;
}

static int
udp(uint16_t *port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int big = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        perror("bind");
        exit(2);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- SIP ------------------------------------------------------------------
 */

static void
sip_send(const char *msg, size_t n) {
    sendto(sip_fd, msg, n, 0, (struct sockaddr *)&sw_addr, sizeof sw_addr);
}

static void
invite(int i) {
    char sdp[512], msg[2048];
    int sl = snprintf(sdp, sizeof sdp,
                      "v=0\r\no=b %d 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                      "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=audio %u RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                      "a=rtpmap:101 telephone-event/8000\r\n"
                      "a=fmtp:101 0-15\r\na=ptime:20\r\n",
                      i, rtp_me);
    int n =
        snprintf(msg, sizeof msg,
                 "INVITE sip:200@127.0.0.1:%u SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbb%d;rport\r\n"
                 "From: <sip:b%d@127.0.0.1>;tag=f%d\r\n"
                 "To: <sip:200@127.0.0.1>\r\n"
                 "Call-ID: bb-%d@bench\r\nCSeq: 1 INVITE\r\n"
                 "Contact: <sip:b%d@127.0.0.1:%u>\r\nMax-Forwards: 70\r\n"
                 "Content-Type: application/sdp\r\nContent-Length: %d\r\n"
                 "\r\n%s",
                 sw_port, sip_me, i, i, i, i, i, sip_me, sl, sdp);
    sip_send(msg, (size_t)n);
    P[i].tries++;
}

static void
in_dialog(int i, const char *method, int cseq) {
    char msg[1024];
    int n = snprintf(msg, sizeof msg,
                     "%s sip:200@127.0.0.1:%u SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbb%s%d\r\n"
                     "From: <sip:b%d@127.0.0.1>;tag=f%d\r\n"
                     "To: <sip:200@127.0.0.1>;tag=%s\r\n"
                     "Call-ID: bb-%d@bench\r\nCSeq: %d %s\r\n"
                     "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
                     method, sw_port, sip_me, method, i, i, i, P[i].totag, i,
                     cseq, method);
    sip_send(msg, (size_t)n);
}

/* The passcode as RFC 4733 events: one packet per digit, each with a
 * timestamp of its own (a new event), sent twice. */
static void
passcode(int i) {
    struct part *p = &P[i];
    char code[16];
    snprintf(code, sizeof code, "%d#", 100000 + p->room);
    struct sockaddr_in to = sw_addr;
    to.sin_port = htons(p->media);
    for (const char *d = code; *d; d++) {
        int ev = *d == '#' ? 11 : *d - '0';
        for (int k = 0; k < 2; k++) {
            uint8_t pkt[16];
            pkt[0] = 0x80;
            pkt[1] = (uint8_t)(k == 0 ? 0x80 | 101 : 101);
            p->seq++;
            pkt[2] = (uint8_t)(p->seq >> 8);
            pkt[3] = (uint8_t)p->seq;
            uint32_t ts = p->ts;
            pkt[4] = (uint8_t)(ts >> 24);
            pkt[5] = (uint8_t)(ts >> 16);
            pkt[6] = (uint8_t)(ts >> 8);
            pkt[7] = (uint8_t)ts;
            uint32_t s = p->ssrc;
            pkt[8] = (uint8_t)(s >> 24);
            pkt[9] = (uint8_t)(s >> 16);
            pkt[10] = (uint8_t)(s >> 8);
            pkt[11] = (uint8_t)s;
            pkt[12] = (uint8_t)ev;
            pkt[13] = 0x80 | 10;
            pkt[14] = 0x03;
            pkt[15] = 0x20;
            sendto(rtp_fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to,
                   sizeof to);
        }
        p->ts += 960;
    }
}

static const char *
hdr(const char *msg, const char *name, char *out, size_t size) {
    size_t nl = strlen(name);
    for (const char *l = strstr(msg, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, nl) == 0 && l[2 + nl] == ':') {
            const char *v = l + 3 + nl;
            while (*v == ' ')
                v++;
            size_t n = strcspn(v, "\r\n");
            if (n >= size)
                n = size - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return out;
        }
    }
    return NULL;
}

static void
sip_reply200(const char *msg) {
    char out[2048], via[512], from[256], to[256], cid[128], cseq[64];
    if (!hdr(msg, "Via", via, sizeof via) ||
        !hdr(msg, "From", from, sizeof from) ||
        !hdr(msg, "To", to, sizeof to) ||
        !hdr(msg, "Call-ID", cid, sizeof cid) ||
        !hdr(msg, "CSeq", cseq, sizeof cseq))
        return;
    int n = snprintf(out, sizeof out,
                     "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
                     "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
                     via, from, to, cid, cseq);
    sip_send(out, (size_t)n);
}

static int answers, busy, failed, failed503, bye_ok;

static void
sip_read(void) {
    char buf[4096];
    for (;;) {
        ssize_t n = recv(sip_fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            return;
        buf[n] = '\0';
        char cid[128];
        int i = -1;
        if (hdr(buf, "Call-ID", cid, sizeof cid))
            sscanf(cid, "bb-%d@", &i);
        if (strncmp(buf, "SIP/2.0 ", 8) != 0) {
            if (strncmp(buf, "ACK", 3) != 0)
                sip_reply200(buf);
            if (i >= 0 && i < NP && strncmp(buf, "BYE", 3) == 0)
                P[i].byed = 1;
            continue;
        }
        if (i < 0 || i >= NP)
            continue;
        int status = atoi(buf + 8);
        char cseq[64];
        hdr(buf, "CSeq", cseq, sizeof cseq);
        struct part *p = &P[i];
        if (strstr(cseq, "BYE")) {
            if (status >= 200 && !p->byed) {
                p->byed = 1;
                bye_ok++;
            }
            continue;
        }
        if (!strstr(cseq, "INVITE") || status < 200)
            continue;
        if (p->status == 0) {
            p->status = status;
            p->answered = now();
            if (status == 200) {
                answers++;
                char to[256];
                const char *t =
                    hdr(buf, "To", to, sizeof to) ? strstr(to, "tag=") : NULL;
                snprintf(p->totag, sizeof p->totag, "%.*s",
                         t ? (int)strcspn(t + 4, ";> ") : 0, t ? t + 4 : "");
                const char *m = strstr(buf, "m=audio ");
                p->media = m ? (uint16_t)atoi(m + 8) : 0;
                port_part[p->media] = i;
            } else if (status == 486) {
                busy++;
            } else {
                failed++;
                if (status == 503)
                    failed503++;
            }
        }
        if (status == 200) {
            in_dialog(i, "ACK", 1);
            if (!p->acked && p->media) {
                p->acked = 1;
                passcode(i);
            }
        }
    }
}

/* ---- /metrics -------------------------------------------------------------
 */

static char metrics_buf[1 << 17];

static int
fetch_metrics(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)http_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
    if (write(fd, req, strlen(req)) < 0) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t n;
    while (got < sizeof metrics_buf - 1 &&
           (n = read(fd, metrics_buf + got, sizeof metrics_buf - 1 - got)) > 0)
        got += (size_t)n;
    metrics_buf[got] = '\0';
    close(fd);
    return 0;
}

static double
metric(const char *name) {
    char key[160];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(metrics_buf, key);
    return p ? atof(p + strlen(key)) : -1;
}

static double
cpu_of(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- RTP -------------------------------------------------------------------
 */

static uint64_t rtp_sent, rtp_recv;
static int tick_no;

static void
rtp_tick(double t) {
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH][2];
    static uint8_t head[BATCH][12];
    static struct sockaddr_in to[BATCH];
    int k = 0;
    for (int i = 0; i < NP; i++) {
        struct part *p = &P[i];
        if (p->status != 200 || !p->media || p->byed)
            continue;
        p->seq++;
        p->ts += FRAME;
        uint8_t *h = head[k];
        h[0] = 0x80;
        h[1] = 0;
        h[2] = (uint8_t)(p->seq >> 8);
        h[3] = (uint8_t)p->seq;
        h[4] = (uint8_t)(p->ts >> 24);
        h[5] = (uint8_t)(p->ts >> 16);
        h[6] = (uint8_t)(p->ts >> 8);
        h[7] = (uint8_t)p->ts;
        h[8] = (uint8_t)(p->ssrc >> 24);
        h[9] = (uint8_t)(p->ssrc >> 16);
        h[10] = (uint8_t)(p->ssrc >> 8);
        h[11] = (uint8_t)p->ssrc;
        const uint8_t *pl = silence;
        if (p->talker)
            pl = tone + (size_t)((tick_no + i) % 50) * FRAME;
        if (p->probe == 1 && tick_no % 25 == 0) {
            pl = tone; /* a loud frame */
            burst_sent[p->room % 4096] = t;
            burst_seen[p->room % 4096] = 0;
        }
        iov[k][0] = (struct iovec){h, 12};
        iov[k][1] = (struct iovec){(void *)pl, FRAME};
        to[k] = sw_addr;
        to[k].sin_port = htons(p->media);
        msgs[k].msg_hdr = (struct msghdr){.msg_name = &to[k],
                                          .msg_namelen = sizeof to[k],
                                          .msg_iov = iov[k],
                                          .msg_iovlen = 2};
        if (++k == BATCH) {
            int s = sendmmsg(rtp_fd, msgs, (unsigned)k, 0);
            rtp_sent += s > 0 ? (uint64_t)s : 0;
            k = 0;
        }
    }
    if (k) {
        int s = sendmmsg(rtp_fd, msgs, (unsigned)k, 0);
        rtp_sent += s > 0 ? (uint64_t)s : 0;
    }
    tick_no++;
}

static void
rtp_read(void) {
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH];
    static uint8_t buf[BATCH][256];
    static struct sockaddr_in from[BATCH];
    for (;;) {
        for (int k = 0; k < BATCH; k++) {
            iov[k] = (struct iovec){buf[k], sizeof buf[k]};
            msgs[k].msg_hdr = (struct msghdr){.msg_name = &from[k],
                                              .msg_namelen = sizeof from[k],
                                              .msg_iov = &iov[k],
                                              .msg_iovlen = 1};
        }
        int n = recvmmsg(rtp_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        rtp_recv += (uint64_t)n;
        double t = now();
        for (int k = 0; k < n; k++) {
            int i = port_part[ntohs(from[k].sin_port)];
            if (i < 0 || P[i].probe != 2 || msgs[k].msg_len < 12 + FRAME)
                continue;
            int room = P[i].room % 4096;
            if (burst_seen[room] || burst_sent[room] == 0)
                continue;
            int loud = 0;
            for (int s = 12; s < 12 + FRAME; s += 8)
                if (ulaw_mag[buf[k][s]] > 2000)
                    loud = 1;
            if (loud) {
                burst_seen[room] = 1;
                if (nlat < MAX_LAT)
                    lat[nlat++] = t - burst_sent[room];
            }
        }
    }
}

/* joins: each answered call hangs up `hold` s after its answer (0: they
 * stay until the end). */
static double hold;

static void
hold_tick(double t) {
    if (hold <= 0)
        return;
    for (int i = 0; i < NP; i++) {
        struct part *p = &P[i];
        if (p->status == 200 && p->acked && !p->bye_sent && !p->byed &&
            t - p->answered > hold) {
            p->bye_sent = 1;
            in_dialog(i, "BYE", 2);
        }
    }
}

static void
wait_io(double until) {
    for (;;) {
        double left = until - now();
        if (left <= 0)
            return;
        struct pollfd f[2] = {{sip_fd, POLLIN, 0}, {rtp_fd, POLLIN, 0}};
        int r = poll(f, 2, (int)(left * 1000) + 1);
        if (r > 0) {
            if (f[0].revents)
                sip_read();
            if (f[1].revents)
                rtp_read();
        }
    }
}

static int
cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Offers the INVITEs of participants [from, to) at rate per second (and
 * resends those unanswered after 2 s, at most 4 times), until all have a
 * final answer or `limit` s passed. RTP ticks go on meanwhile when
 * `media`. */
static void
offer(int from, int to, double rate, double limit, int media) {
    double t0 = now(), next_tick = t0;
    int sent = from;
    while (now() - t0 < limit) {
        double t = now();
        while (sent < to && t0 + (sent - from) / rate <= t) {
            P[sent].sent = now();
            invite(sent++);
        }
        for (int i = from; i < sent; i++)
            if (P[i].status == 0 && t - P[i].sent > 2.0 * P[i].tries &&
                P[i].tries < 5)
                invite(i);
        int done = sent == to;
        for (int i = from; done && i < to; i++)
            if (P[i].status == 0)
                done = 0;
        if (done)
            return;
        if (media && t >= next_tick) {
            rtp_tick(t);
            next_tick += 0.020;
        }
        hold_tick(t);
        wait_io(fmin(t + 0.002, media ? next_tick : t + 0.002));
    }
}

static void
hang_up(void) {
    for (int i = 0; i < NP; i++)
        if (P[i].status == 200 && !P[i].byed && !P[i].bye_sent)
            in_dialog(i, "BYE", 2);
    double t0 = now();
    while (now() - t0 < 10) {
        wait_io(now() + 0.05);
        int left = 0;
        for (int i = 0; i < NP; i++)
            if (P[i].status == 200 && !P[i].byed)
                left++;
        if (!left)
            break;
        if (now() - t0 > 2)
            for (int i = 0; i < NP; i++)
                if (P[i].status == 200 && !P[i].byed &&
                    (int)(now() * 10) % 10 == 0)
                    in_dialog(i, "BYE", 2);
    }
}

static double
wait_joined(double target, double limit, int media) {
    double t0 = now(), next_tick = t0, next_poll = t0;
    while (now() - t0 < limit) {
        double t = now();
        if (t >= next_poll) {
            if (fetch_metrics() == 0 &&
                metric("bh_switch_bridge_joined_total") >= target)
                return now();
            next_poll = t + 0.05;
        }
        if (media && t >= next_tick) {
            rtp_tick(t);
            next_tick += 0.020;
        }
        hold_tick(t);
        wait_io(fmin(next_poll, media ? next_tick : next_poll));
    }
    return -1;
}

int
main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: see bench_bridge.c\n");
        return 2;
    }
    const char *mode = argv[1];
    sw_port = (uint16_t)atoi(argv[2]);
    http_port = atoi(argv[3]);
    int pid = atoi(argv[4]);
    sw_addr =
        (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(sw_port)};
    sw_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sip_fd = udp(&sip_me);
    rtp_fd = udp(&rtp_me);
    port_part = malloc(65536 * sizeof *port_part);
    for (int i = 0; i < 65536; i++)
        port_part[i] = -1;
    for (int i = 0; i < 256; i++)
        ulaw_mag[i] = (int16_t)abs(ulaw_dec((uint8_t)i));
    for (int i = 0; i < 8000; i++)
        tone[i] = ulaw((int)(6000 * sin(2 * M_PI * 400 * i / 8000.0)));
    memset(silence, 0xff, sizeof silence);
    srand((unsigned)getpid());
    if (fetch_metrics() < 0) {
        fprintf(stderr, "bench_bridge: no /metrics at port %d\n", http_port);
        return 2;
    }
    double joined0 = metric("bh_switch_bridge_joined_total");

    if (strcmp(mode, "joins") == 0) {
        NP = atoi(argv[5]);
        double rate = atof(argv[6]);
        hold = argc > 7 ? atof(argv[7]) : 0;
        P = calloc((size_t)NP, sizeof *P);
        for (int i = 0; i < NP; i++) {
            P[i].room = i / 10;
            P[i].ssrc = (uint32_t)rand();
            P[i].seq = (uint16_t)rand();
        }
        double cpu0 = cpu_of(pid);
        double t0 = now();
        offer(0, NP, rate, 60, 0);
        double t_ans = now();
        double t_join = wait_joined(joined0 + answers, 30, 0);
        double cpu1 = cpu_of(pid);
        double *al = malloc((size_t)NP * sizeof *al);
        int na = 0;
        for (int i = 0; i < NP; i++)
            if (P[i].status == 200)
                al[na++] = P[i].answered - P[i].sent;
        qsort(al, (size_t)na, sizeof *al, cmp_d);
        fetch_metrics();
        double joined = metric("bh_switch_bridge_joined_total") - joined0;
        printf("hold_s=%.1f\n", hold);
        printf("mode=joins\ncalls=%d\noffered_rate=%.0f\nanswered=%d\n"
               "busy=%d\nother_failures=%d\nfailed_503=%d\nunanswered=%d\n"
               "joined=%.0f\n",
               NP, rate, answers, busy, failed, failed503,
               NP - answers - busy - failed, joined);
        printf("seconds_to_all_joined=%.3f\njoins_per_s=%.0f\n",
               t_join > 0 ? t_join - t0 : -1,
               t_join > 0 ? joined / (t_join - t0) : 0);
        printf("answer_ms_p50=%.2f\nanswer_ms_p99=%.2f\n",
               na ? 1e3 * al[na / 2] : -1,
               na ? 1e3 * al[(size_t)(na * 0.99)] : -1);
        printf("switch_cpu_s=%.2f\nswitch_cpu_share=%.2f\n", cpu1 - cpu0,
               (cpu1 - cpu0) / (now() - t0));
        (void)t_ans;
        hang_up();
        printf("bye_answered=%d\n", bye_ok);
        free(al);
        return 0;
    }

    /* mix */
    int n = atoi(argv[5]), room = atoi(argv[6]);
    int talkers = argc > 7 ? atoi(argv[7]) : room;
    double seconds = argc > 8 ? atof(argv[8]) : 10;
    int probes = argc > 9 ? atoi(argv[9]) : 0;
    NP = n + 2 * probes;
    P = calloc((size_t)NP, sizeof *P);
    int nrooms = (n + room - 1) / room;
    for (int i = 0; i < NP; i++) {
        P[i].ssrc = (uint32_t)rand();
        P[i].seq = (uint16_t)rand();
        if (i < n) {
            P[i].room = i / room;
            P[i].talker = i % room < talkers;
        } else {
            int k = (i - n) / 2;
            P[i].room = nrooms + k;
            P[i].probe = 1 + (i - n) % 2;
        }
    }
    double t0 = now();
    offer(0, NP, 2000, 120, 1);
    double t_join = wait_joined(joined0 + answers, 60, 1);
    if (t_join < 0) {
        fprintf(stderr, "bench_bridge: not everyone joined\n");
    }
    /* Warm up 2 s, then measure. */
    double next = now();
    for (double end = now() + 2; now() < end;) {
        rtp_tick(now());
        next += 0.020;
        wait_io(next);
    }
    fetch_metrics();
    double ticks0 = metric("bh_switch_mixer_ticks_total"),
           late0 = metric("bh_switch_mixer_late_ticks_total"),
           parts = metric("bh_switch_mixer_participants");
    double cpu0 = cpu_of(pid), m0 = now();
    uint64_t s0 = rtp_sent, r0 = rtp_recv;
    nlat = 0;
    int client_late = 0;
    for (double end = m0 + seconds; now() < end;) {
        if (now() - next > 0.020)
            client_late++;
        rtp_tick(now());
        next += 0.020;
        wait_io(next);
    }
    double m1 = now(), cpu1 = cpu_of(pid);
    uint64_t sent = rtp_sent - s0, recv = rtp_recv - r0;
    fetch_metrics();
    double ticks = metric("bh_switch_mixer_ticks_total") - ticks0,
           late = metric("bh_switch_mixer_late_ticks_total") - late0;
    qsort(lat, (size_t)nlat, sizeof *lat, cmp_d);
    printf("mode=mix\nparticipants=%d\nroom=%d\ntalkers=%d\nprobe_rooms=%d\n"
           "answered=%d\nbusy=%d\nfailed=%d\nfailed_503=%d\n"
           "mixed_participants=%.0f\n"
           "setup_s=%.2f\nseconds=%.2f\n",
           n, room, talkers, probes, answers, busy, failed, failed503, parts,
           t_join - t0, m1 - m0);
    printf("switch_ticks=%.0f\nswitch_late_ticks=%.0f\nlate_percent=%.3f\n",
           ticks, late, ticks > 0 ? 100 * late / (ticks + late) : -1);
    printf("switch_cpu_share=%.3f\nclient_late_frames=%d\n",
           (cpu1 - cpu0) / (m1 - m0), client_late);
    printf("pps_to_switch=%.0f\npps_from_switch=%.0f\n",
           (double)sent / (m1 - m0), (double)recv / (m1 - m0));
    printf("expected_pps=%.0f\n", NP / 0.020);
    if (nlat)
        printf("mix_latency_ms_p50=%.2f\nmix_latency_ms_p99=%.2f\n"
               "latency_samples=%d\n",
               1e3 * lat[nlat / 2], 1e3 * lat[(size_t)(nlat * 0.99)], nlat);
    hang_up();
    printf("bye_answered=%d\n", bye_ok);
    return 0;
}
