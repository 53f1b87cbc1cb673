/* bench_rtp_sink.c: the far end of the RTP benchmark: receives RTP on
 * one UDP port, echoes every packet to its sender (so the driver also
 * receives a stream per call), and measures how late each packet came
 * against its stream's ideal clock.
 *
 * A stream is a (source address, source port, SSRC, our port): the sink
 * listens on NPORTS consecutive ports, so that a sender whose calls all
 * share one source port and SSRC (SIPp's play_pcap_audio replays the
 * capture's packets as they are) is still told apart per call when each
 * call's SDP answer names another port. Its packet k (by
 * extended sequence number) is due at anchor + k * ptime; the anchor is
 * the stream's earliest (arrival - k * ptime), so the earliest packet is
 * 0 ms late and a stream that starts late is not counted late for it.
 * Arrival times are the kernel's receive timestamps (SO_TIMESTAMPNS), so
 * the sink's own scheduling is not counted.
 *
 * usage: bench_rtp_sink PORT [PTIME_MS [IDLE_S [NPORTS]]]
 * Runs until IDLE_S (default 3) seconds pass without a packet after the
 * first, or SIGTERM/SIGINT; then prints key=value lines: streams,
 * packets, late_5ms (packets more than 5 ms late), late_share, p50_ms,
 * p99_ms, p999_ms, max_ms. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_STREAMS (1 << 17)
#define MAX_PACKETS (16u << 20)

struct stream {
    uint64_t key; /* port << 32 | ssrc, plus the addresses below */
    uint32_t addr;
    uint16_t dport; /* our port */
    int used;
    uint32_t last_seq; /* extended */
    int started;
};

struct pkt {
    uint32_t stream;
    uint32_t seq; /* extended */
    int64_t t_ns;
};

static volatile sig_atomic_t stop;
static struct stream *streams;
static uint32_t nstreams;

static void
on_sig(int s) {
    (void)s;
    stop = 1;
}

static uint32_t
find(uint32_t addr, uint16_t port, uint32_t ssrc, uint16_t dport) {
    uint64_t key = (uint64_t)port << 32 | ssrc;
    uint64_t h = (key ^ addr ^ ((uint64_t)dport << 48)) * 0x9e3779b97f4a7c15ULL;
    uint32_t i = (uint32_t)(h >> 40) & (MAX_STREAMS - 1);
    for (;;) {
        struct stream *s = &streams[i];
        if (!s->used) {
            if (nstreams + 1 >= MAX_STREAMS / 2)
                return UINT32_MAX;
            s->used = 1;
            s->key = key;
            s->addr = addr;
            s->dport = dport;
            nstreams++;
            return i;
        }
        if (s->key == key && s->addr == addr && s->dport == dport)
            return i;
        i = (i + 1) & (MAX_STREAMS - 1);
    }
}

static int
cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int
main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr,
                "usage: bench_rtp_sink PORT [PTIME_MS [IDLE_S [NPORTS]]]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double ptime_ms = argc > 2 ? atof(argv[2]) : 20;
    double idle_s = argc > 3 ? atof(argv[3]) : 3;
    int nports = argc > 4 ? atoi(argv[4]) : 1;
    if (nports < 1 || port + nports > 65536) {
        fprintf(stderr, "bench_rtp_sink: bad port range\n");
        return 2;
    }
    int64_t ptime_ns = (int64_t)(ptime_ms * 1e6);
    streams = calloc(MAX_STREAMS, sizeof *streams);
    struct pkt *pk = malloc((size_t)MAX_PACKETS * sizeof *pk);
    int *fds = calloc((size_t)nports, sizeof *fds);
    int ep = epoll_create1(0);
    if (!streams || !pk || !fds || ep < 0)
        return 1;
    for (int k = 0; k < nports; k++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        int on = 1, big = (nports > 1 ? 1 : 32) << 20;
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        struct sockaddr_in me = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)(port + k))};
        me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
            perror("bind");
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        fds[k] = fd;
    }
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);
    printf("ready port=%d ports=%d\n", port, nports);
    fflush(stdout);

    static char buf[BATCH][2048];
    static char ctl[BATCH][64];
    struct sockaddr_in from[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr msg[BATCH];
    struct epoll_event evs[256];
    uint64_t n = 0, dropped = 0;
    int got_any = 0;
    while (!stop) {
        int pr = epoll_wait(ep, evs, 256, (int)(idle_s * 1000));
        if (pr == 0 && got_any)
            break;
        for (int e = 0; e < pr; e++) {
            int k = (int)evs[e].data.u32, fd = fds[k];
            uint16_t dport = (uint16_t)(port + k);
            for (int i = 0; i < BATCH; i++) {
                iov[i].iov_base = buf[i];
                iov[i].iov_len = sizeof buf[i];
                memset(&msg[i].msg_hdr, 0, sizeof msg[i].msg_hdr);
                msg[i].msg_hdr.msg_iov = &iov[i];
                msg[i].msg_hdr.msg_iovlen = 1;
                msg[i].msg_hdr.msg_name = &from[i];
                msg[i].msg_hdr.msg_namelen = sizeof from[i];
                msg[i].msg_hdr.msg_control = ctl[i];
                msg[i].msg_hdr.msg_controllen = sizeof ctl[i];
            }
            int m = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
            if (m <= 0)
                continue;
            got_any = 1;
            for (int i = 0; i < m; i++) {
                const unsigned char *b = (const unsigned char *)buf[i];
                unsigned len = msg[i].msg_len;
                if (len < 12 || (b[0] & 0xc0) != 0x80 || (b[1] & 0x7f) >= 72)
                    continue; /* not RTP (RTCP types are 200-204) */
                int64_t t = 0;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg[i].msg_hdr); c;
                     c = CMSG_NXTHDR(&msg[i].msg_hdr, c))
                    if (c->cmsg_level == SOL_SOCKET &&
                        c->cmsg_type == SCM_TIMESTAMPNS) {
                        struct timespec ts;
                        memcpy(&ts, CMSG_DATA(c), sizeof ts);
                        t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
                    }
                uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 |
                                (uint32_t)b[10] << 8 | b[11];
                uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);
                uint32_t si = find(from[i].sin_addr.s_addr,
                                   ntohs(from[i].sin_port), ssrc, dport);
                if (si == UINT32_MAX || n >= MAX_PACKETS) {
                    dropped++;
                    continue;
                }
                struct stream *s = &streams[si];
                uint32_t ext;
                if (!s->started) {
                    ext = (1u << 16) + seq; /* room for reordering below */
                    s->started = 1;
                } else {
                    uint16_t last = (uint16_t)s->last_seq;
                    int16_t d = (int16_t)(seq - last);
                    ext = s->last_seq + (uint32_t)(int32_t)d;
                }
                if (ext > s->last_seq)
                    s->last_seq = ext;
                pk[n].stream = si;
                pk[n].seq = ext;
                pk[n].t_ns = t;
                n++;
            }
            /* echo: the same datagrams back to their senders */
            for (int i = 0; i < m; i++) {
                iov[i].iov_len = msg[i].msg_len;
                msg[i].msg_hdr.msg_control = NULL;
                msg[i].msg_hdr.msg_controllen = 0;
            }
            sendmmsg(fd, msg, (unsigned)m, MSG_DONTWAIT);
        }
    }
    /* anchors: each stream's earliest arrival less its seq * ptime */
    int64_t *anchor = malloc(MAX_STREAMS * sizeof *anchor);
    for (uint32_t i = 0; i < MAX_STREAMS; i++)
        anchor[i] = INT64_MAX;
    for (uint64_t i = 0; i < n; i++) {
        int64_t a = pk[i].t_ns - (int64_t)pk[i].seq * ptime_ns;
        if (a < anchor[pk[i].stream])
            anchor[pk[i].stream] = a;
    }
    double *late = malloc((n ? n : 1) * sizeof *late);
    uint64_t late5 = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t due = anchor[pk[i].stream] + (int64_t)pk[i].seq * ptime_ns;
        late[i] = (double)(pk[i].t_ns - due) / 1e6;
        if (late[i] > 5.0)
            late5++;
    }
    qsort(late, n, sizeof *late, cmp_double);
#define Q(q) (n ? late[(uint64_t)((double)(n - 1) * (q))] : 0)
    printf("streams=%u\npackets=%llu\nlate_5ms=%llu\nlate_share=%.6f\n"
           "p50_ms=%.3f\np99_ms=%.3f\np999_ms=%.3f\nmax_ms=%.3f\n"
           "not_counted=%llu\n",
           nstreams, (unsigned long long)n, (unsigned long long)late5,
           n ? (double)late5 / (double)n : 0, Q(0.5), Q(0.99), Q(0.999),
           n ? late[n - 1] : 0, (unsigned long long)dropped);
    free(late);
    free(anchor);
    free(pk);
    free(streams);
    for (int k = 0; k < nports; k++)
        close(fds[k]);
    free(fds);
    close(ep);
    return 0;
}
