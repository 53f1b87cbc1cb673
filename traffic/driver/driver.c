/* driver.c: the load driver's context: its libevent loop, the SIP socket
 * to the target (connected, with IP_RECVERR so that an ICMP unreachable
 * names the request it answers), the scheduler's timer, the media and
 * housekeeping ticks, and the stop when the target is gone. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "driver_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const fail_names[] = {
#define BH_DRIVER_FAIL_NAME_(name, str) str,
    BH_DRIVER_FAIL_MAP(BH_DRIVER_FAIL_NAME_)
#undef BH_DRIVER_FAIL_NAME_
};

const char *
bh_driver_fail_name(enum bh_driver_fail f) {
    if ((unsigned)f >= sizeof fail_names / sizeof *fail_names)
        return "unknown";
    return fail_names[f];
}

/* ---- clock and randomness ------------------------------------------- */

double
drv_now(const struct bh_driver *d) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - d->t0.tv_sec) +
           (double)(t.tv_nsec - d->t0.tv_nsec) * 1e-9;
}

uint64_t
drv_random(struct bh_driver *d) {
    /* splitmix64: tags, branches and SSRCs need uniqueness, not secrecy */
    uint64_t z = (d->rnd += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void
timer_at(struct bh_driver *d, struct event *ev, double at) {
    double dt = at - drv_now(d);
    if (dt < 0)
        dt = 0;
    struct timeval tv = {(time_t)dt, (suseconds_t)((dt - floor(dt)) * 1e6)};
    evtimer_add(ev, &tv);
}

/* ---- addresses ------------------------------------------------------- */

int
drv_addr(const char *ip, uint16_t port, struct sockaddr_storage *ss,
         socklen_t *len) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *len = sizeof *v6;
    } else {
        return BH_EINVAL;
    }
    return 0;
}

int
drv_udp_open(const char *ip, uint16_t port, struct sockaddr_storage *bound,
             socklen_t *len) {
    if (drv_addr(ip, port, bound, len) < 0) {
        errno = EINVAL;
        return -1;
    }
    int fd =
        socket(bound->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    if (bound->ss_family == AF_INET)
        setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    else
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)bound, *len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    socklen_t l = *len;
    getsockname(fd, (struct sockaddr *)bound, &l);
    return fd;
}

int
drv_errqueue_drain(int fd) {
    char buf[256], ctl[256];
    int n = 0;
    for (; n < 64; n++) {
        struct iovec iov = {buf, sizeof buf};
        struct msghdr mh = {0};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof ctl;
        if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            break;
    }
    return n;
}

uint16_t
drv_port(const struct sockaddr_storage *ss) {
    return ntohs(ss->ss_family == AF_INET
                     ? ((const struct sockaddr_in *)ss)->sin_port
                     : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* "IP:PORT" or "[IPv6]:PORT" into a sockaddr; no names resolved. */
static int
parse_target(const char *s, struct sockaddr_storage *ss, socklen_t *len,
             char *host, size_t hostlen, uint16_t *port) {
    char ip[64];
    const char *colon;
    if (!s)
        return BH_EINVAL;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof ip)
            return BH_EINVAL;
        memcpy(ip, s + 1, (size_t)(end - s - 1));
        ip[end - s - 1] = 0;
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof ip)
            return BH_EINVAL;
        memcpy(ip, s, (size_t)(colon - s));
        ip[colon - s] = 0;
    }
    char *e;
    errno = 0;
    long p = strtol(colon + 1, &e, 10);
    if (errno || e == colon + 1 || *e || p < 1 || p > 65535)
        return BH_EINVAL;
    if (drv_addr(ip, (uint16_t)p, ss, len) < 0)
        return BH_EINVAL;
    snprintf(host, hostlen, ss->ss_family == AF_INET6 ? "[%s]" : "%s", ip);
    *port = (uint16_t)p;
    return 0;
}

/* ---- calls ----------------------------------------------------------- */

/* Call-IDs are "c<slot>.<gen>.<random>@bh": the slot finds the call in
 * O(1), the generation refuses a message for an earlier call of the
 * slot. */
struct drv_call *
drv_call_find(struct bh_driver *d, struct bh_str id) {
    char buf[BH_DRIVER_CALL_ID_MAX];
    if (id.len == 0 || id.len >= sizeof buf)
        return NULL;
    memcpy(buf, id.p, id.len);
    buf[id.len] = 0;
    unsigned slot, gen;
    if (sscanf(buf, "c%u.%u.", &slot, &gen) != 2 || slot >= d->ncalls)
        return NULL;
    struct drv_call *c = d->calls[slot];
    if (c->state == CALL_FREE || c->gen != gen || strcmp(c->call_id, buf))
        return NULL;
    return c;
}

/* The target's lines (calls up) and operators (calls connected) as the
 * edge sees them, for the sink's levels. */
void
drv_level(struct bh_driver *d, struct drv_call *c, int up, int connected) {
    size_t k = c->a.target_kind == BH_TARGET_BRIDGE
                   ? d->sc->sw.nnumbers + c->a.target
                   : c->a.target;
    if (up == c->in_up && connected == c->in_connected)
        return;
    d->up[k] += up - c->in_up;
    d->connected[k] += connected - c->in_connected;
    c->in_up = up;
    c->in_connected = connected;
    bh_sink_level(d->opt.sink, c->a.target_kind, c->a.target,
                  bh_driver_sched_scenario_time(d->sched, drv_now(d)), d->up[k],
                  d->connected[k]);
}

/* ---- the SIP socket --------------------------------------------------- */

void
drv_packet(struct bh_driver *d, int dir, const struct sockaddr *peer,
           socklen_t peer_len, int local_fd, const void *buf, size_t len) {
    if (!d->opt.on_packet)
        return;
    struct sockaddr_storage me;
    socklen_t ml = sizeof me;
    if (getsockname(local_fd, (struct sockaddr *)&me, &ml) < 0)
        return;
    (void)peer_len;
    if (dir == 0)
        d->opt.on_packet(d->opt.packet_arg, 0, (struct sockaddr *)&me, peer,
                         buf, len, drv_now(d));
    else
        d->opt.on_packet(d->opt.packet_arg, 1, peer, (struct sockaddr *)&me,
                         buf, len, drv_now(d));
}

void
drv_sip_flush(struct bh_driver *d) {
    struct mmsghdr v[DRV_TX_BATCH];
    struct iovec iov[DRV_TX_BATCH];
    size_t n = d->ntx;
    d->ntx = 0;
    for (size_t i = 0; i < n; i++) {
        iov[i].iov_base = d->tx + i * DRV_TX_SLOT;
        iov[i].iov_len = d->tx_len[i];
        memset(&v[i], 0, sizeof v[i]);
        v[i].msg_hdr.msg_iov = &iov[i];
        v[i].msg_hdr.msg_iovlen = 1;
    }
    /* an earlier ICMP error is reported by the next send, which then
     * sent nothing: try it once more, then give that datagram up (its
     * transaction's retransmissions and timers deal with the loss) */
    int retried = 0;
    for (size_t i = 0; i < n;) {
        int r = sendmmsg(d->sip_fd, v + i, (unsigned)(n - i), 0);
        if (r > 0) {
            i += (size_t)r;
            retried = 0;
        } else if (r < 0 && errno == ECONNREFUSED && !retried) {
            retried = 1;
        } else {
            i++;
            retried = 0;
        }
    }
}

int
drv_sip_send(struct bh_driver *d, const char *buf, size_t len) {
    d->st.sip_sent++;
    drv_packet(d, 0, (struct sockaddr *)&d->target, d->target_len, d->sip_fd,
               buf, len);
    if (len > DRV_TX_SLOT || !d->tx) {
        /* too long for a slot: alone, after what is queued */
        drv_sip_flush(d);
        ssize_t n = send(d->sip_fd, buf, len, 0);
        if (n < 0 && errno == ECONNREFUSED) /* an earlier ICMP */
            n = send(d->sip_fd, buf, len, 0);
        return n < 0 ? -1 : 0;
    }
    memcpy(d->tx + d->ntx * DRV_TX_SLOT, buf, len);
    d->tx_len[d->ntx++] = len;
    if (d->ntx == DRV_TX_BATCH)
        drv_sip_flush(d);
    return 0;
}

/* The Call-ID of the datagram an ICMP error quotes: the quote holds only
 * its first few hundred bytes (RFC 1812 4.3.2.3: up to 576 in all), too
 * few for the parser, but our requests put Call-ID before the body. */
static struct bh_str
quoted_call_id(const char *buf, size_t n) {
    static const char key[] = "\r\nCall-ID:";
    size_t k = sizeof key - 1;
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(buf + i, key, k) != 0)
            continue;
        size_t a = i + k;
        while (a < n && buf[a] == ' ')
            a++;
        size_t b = a;
        while (b < n && buf[b] != '\r')
            b++;
        if (b < n)
            return bh_str_make(buf + a, b - a);
        break;
    }
    return BH_STR_NULL;
}

/* An ICMP error queued for the socket (IP_RECVERR): the payload is the
 * datagram it answers, so the call it names fails "icmp-unreachable". */
static void
drain_errors(struct bh_driver *d) {
    for (int i = 0; i < 1024; i++) {
        char buf[BH_SIP_MAX_MSG + 1];
        char ctl[512];
        struct iovec iov = {buf, sizeof buf - 1};
        struct msghdr mh = {0};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof ctl;
        ssize_t n = recvmsg(d->sip_fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
        if (n < 0)
            return;
        int unreachable = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
             cm = CMSG_NXTHDR(&mh, cm)) {
            if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
                (cm->cmsg_level == IPPROTO_IPV6 &&
                 cm->cmsg_type == IPV6_RECVERR)) {
                struct sock_extended_err ee;
                memcpy(&ee, CMSG_DATA(cm), sizeof ee);
                if (ee.ee_origin == SO_EE_ORIGIN_ICMP ||
                    ee.ee_origin == SO_EE_ORIGIN_ICMP6 ||
                    ee.ee_errno == ECONNREFUSED ||
                    ee.ee_errno == EHOSTUNREACH || ee.ee_errno == ENETUNREACH)
                    unreachable = 1;
            }
        }
        if (!unreachable)
            continue;
        d->last_unreach = drv_now(d);
        struct drv_call *c = drv_call_find(d, quoted_call_id(buf, (size_t)n));
        if (c)
            drv_caller_fail(c, BH_DRIVER_FAIL_UNREACHABLE);
    }
}

/* One datagram from the target. */
static void
sip_in(struct bh_driver *d, char *buf, size_t n) {
    static struct bh_sip_msg m;
    d->last_rx = drv_now(d);
    d->st.sip_received++;
    drv_packet(d, 1, (struct sockaddr *)&d->target, d->target_len, d->sip_fd,
               buf, n);
    if (bh_sip_parse(buf, n, &m, NULL) != 0)
        return; /* nothing to answer a message we cannot read */
    struct drv_call *c = drv_call_find(d, m.call_id);
    if (m.is_request) {
        if (c) {
            drv_caller_request(c, &m);
        } else if (m.method != BH_SIP_ACK) {
            /* RFC 3261 12.2.2: no such dialog */
            char out[2048];
            struct bh_sip_builder b;
            bh_sip_build_init(&b, out, sizeof out);
            bh_sip_build_response(&b, &m, 481, NULL, BH_STR_NULL);
            int len = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
            if (len > 0)
                drv_sip_send(d, out, (size_t)len);
        }
    } else if (c) {
        drv_caller_response(c, &m);
    }
}

static void
on_sip(evutil_socket_t fd, short what, void *arg) {
    struct bh_driver *d = arg;
    (void)what;
    struct mmsghdr v[DRV_RX_BATCH];
    struct iovec iov[DRV_RX_BATCH];
    const size_t slot = BH_SIP_MAX_MSG + 1;
    /* bounded: 16 batches a turn, the loop comes back for more */
    for (int round = 0; round < 16; round++) {
        for (int i = 0; i < DRV_RX_BATCH; i++) {
            iov[i].iov_base = d->rx + (size_t)i * slot;
            iov[i].iov_len = slot - 1;
            memset(&v[i], 0, sizeof v[i]);
            v[i].msg_hdr.msg_iov = &iov[i];
            v[i].msg_hdr.msg_iovlen = 1;
        }
        int r = recvmmsg(fd, v, DRV_RX_BATCH, MSG_DONTWAIT, NULL);
        if (r < 0) {
            /* IP_RECVERR: an ICMP error is reported here first */
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
                errno == ENETUNREACH) {
                drain_errors(d);
                continue;
            }
            return;
        }
        for (int i = 0; i < r; i++)
            sip_in(d, d->rx + (size_t)i * slot, v[i].msg_len);
        /* what this batch answered goes out now, not after the turn's
         * other callbacks: the edge's times are taken as it is queued */
        drv_sip_flush(d);
        if (r < DRV_RX_BATCH)
            return;
    }
}

static int
open_sip(struct bh_driver *d, struct bh_diag *diag) {
    struct sockaddr_storage me;
    socklen_t ml;
    if (drv_addr(d->local_ip, 0, &me, &ml) < 0 || me.ss_family != d->family) {
        bh_diag_set(diag, 0, 0, "%s: not an %s address", d->local_ip,
                    d->family == AF_INET ? "IPv4" : "IPv6");
        return BH_EINVAL;
    }
    d->sip_fd = drv_udp_open(d->local_ip, 0, &me, &ml);
    if (d->sip_fd < 0 ||
        connect(d->sip_fd, (struct sockaddr *)&d->target, d->target_len) < 0) {
        bh_diag_set(diag, 0, 0, "%s: %s", d->opt.target, strerror(errno));
        return BH_EIO;
    }
    int sz = 4 << 20;
    setsockopt(d->sip_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(d->sip_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    d->sip_port = drv_port(&me);
    event_assign(&d->sip_ev, d->base, d->sip_fd, EV_READ | EV_PERSIST, on_sip,
                 d);
    event_add(&d->sip_ev, NULL);
    return 0;
}

/* ---- scheduling ------------------------------------------------------- */

static int
calls_up(const struct bh_driver *d) {
    return (int)d->st.up;
}

void
drv_maybe_done(struct bh_driver *d) {
    if (!d->started && !d->stopping)
        return; /* operators still registering */
    if (calls_up(d) == 0 &&
        (d->stopping || !isfinite(bh_driver_sched_due(d->sched)))) {
        d->done = 1;
        event_base_loopbreak(d->base);
    }
}

static void
on_sched(evutil_socket_t fd, short what, void *arg) {
    struct bh_driver *d = arg;
    (void)fd;
    (void)what;
    if (d->stopping)
        return;
    struct bh_arrival a;
    double late;
    /* Every arrival due now starts now: open loop, whatever the target
     * does. Bounded by the arrivals due. */
    while (!d->stopping &&
           bh_driver_sched_take(d->sched, drv_now(d), &a, &late))
        drv_caller_start(d, &a, late);
    drv_sip_flush(d); /* the INVITEs of the arrivals due, together */
    double due = bh_driver_sched_due(d->sched);
    if (isfinite(due) && !d->stopping)
        timer_at(d, &d->sched_ev, due);
    else
        drv_maybe_done(d);
}

/* Stops starting calls and hangs up those up; the loop ends when they
 * have ended. */
static void
stop_all(struct bh_driver *d, enum bh_driver_fail why) {
    d->stopping = 1;
    evtimer_del(&d->sched_ev);
    drv_ops_hangup(d);
    for (size_t i = 0; i < d->ncalls; i++) {
        struct drv_call *c = d->calls[i];
        if (c->state == CALL_FREE)
            continue;
        if (why != BH_DRIVER_FAIL_NONE)
            drv_caller_fail(c, why);
        else
            drv_caller_hangup(c);
    }
    drv_maybe_done(d);
}

void
bh_driver_stop(struct bh_driver *d) {
    if (d && !d->stopping)
        stop_all(d, BH_DRIVER_FAIL_NONE);
}

/* The target is gone when an ICMP unreachable came and nothing has been
 * heard from it for a second, or a request has waited dead_after s with
 * nothing heard since it was sent. */
static int
target_gone(struct bh_driver *d, double now) {
    if (d->last_unreach > d->last_rx && now - d->last_rx > 1.0 &&
        now - d->last_unreach < 1.0)
        return 1;
    double dead = d->opt.dead_after;
    for (size_t i = 0; i < d->ncalls; i++) {
        struct drv_call *c = d->calls[i];
        if (c->state == CALL_FREE || !c->req)
            continue;
        double sent = c->req_dead - DRV_TIMER_B;
        if (sent > d->last_rx && now - sent > dead && now - d->last_rx > dead)
            return 1;
    }
    return 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg) {
    struct bh_driver *d = arg;
    (void)fd;
    (void)what;
    double now = drv_now(d);
    if (!d->st.aborted && target_gone(d, now)) {
        d->st.aborted = 1;
        d->rc = BH_EIO;
        stop_all(d, BH_DRIVER_FAIL_TARGET_DOWN);
    }
    if (d->opt.progress && now >= d->next_progress) {
        d->next_progress = now + 1;
        d->opt.progress(d->opt.progress_arg, d, &d->st, now,
                        d->span / d->speed);
    }
    drv_maybe_done(d);
}

static void
on_media(evutil_socket_t fd, short what, void *arg) {
    struct bh_driver *d = arg;
    (void)fd;
    (void)what;
    double now = drv_now(d);
    for (size_t i = 0; i < d->ncalls; i++) {
        struct drv_call *c = d->calls[i];
        if (c->state != CALL_FREE && c->m.on)
            drv_media_tick(&c->m, now);
    }
    drv_ops_media_tick(d, now);
}

/* ---- the driver -------------------------------------------------------- */

int
bh_driver_new(const struct bh_scenario *sc, const struct bh_driver_options *opt,
              struct bh_driver **out, struct bh_diag *diag) {
    *out = NULL;
    struct bh_diag dummy;
    if (!diag)
        diag = &dummy;
    memset(diag, 0, sizeof *diag);
    struct bh_driver *d = calloc(1, sizeof *d);
    if (!d)
        return BH_ENOMEM;
    d->sc = sc;
    d->opt = *opt;
    d->sip_fd = -1;
    d->last_unreach = -1;
    d->dial_account = -1;
    d->carrier_sock = -1;
    if (d->opt.late_limit <= 0)
        d->opt.late_limit = 0.010;
    if (d->opt.dead_after <= 0)
        d->opt.dead_after = 5;
    d->speed = opt->speed > 0 ? opt->speed : sc->load.speed;
    if (!(d->speed > 0) || !isfinite(d->speed)) {
        bh_diag_set(diag, 0, 0, "speed must be > 0");
        bh_driver_free(d);
        return BH_EINVAL;
    }
    d->span =
        opt->span > 0 && opt->span < sc->horizon ? opt->span : sc->horizon;
    if (parse_target(opt->target, &d->target, &d->target_len, d->target_host,
                     sizeof d->target_host, &d->target_port)) {
        bh_diag_set(diag, 0, 0,
                    "target '%s': need IP:PORT or [IPv6]:PORT (no names)",
                    opt->target ? opt->target : "");
        bh_driver_free(d);
        return BH_EINVAL;
    }
    d->family = d->target.ss_family;
    snprintf(d->local_ip, sizeof d->local_ip, "%s",
             opt->local_ip          ? opt->local_ip
             : d->family == AF_INET ? "127.0.0.1"
                                    : "::1");
    snprintf(d->local_host, sizeof d->local_host,
             d->family == AF_INET6 ? "[%s]" : "%s", d->local_ip);
    size_t nt = sc->sw.nnumbers + sc->sw.nbridges;
    d->up = calloc(nt + 1, sizeof *d->up);
    d->connected = calloc(nt + 1, sizeof *d->connected);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    d->rnd = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 20) ^
             ((uint64_t)getpid() << 44);
    d->frame = (size_t)lround(sc->load.ptime * 8000);
    if (d->frame < 80 || d->frame > BH_JITTER_FRAME_MAX)
        d->frame = 160;
    struct event_config *cfg = event_config_new();
    if (cfg)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    d->base = cfg ? event_base_new_with_config(cfg) : NULL;
    event_config_free(cfg);
    d->tx = malloc((size_t)DRV_TX_BATCH * DRV_TX_SLOT);
    d->rx = malloc((size_t)DRV_RX_BATCH * (BH_SIP_MAX_MSG + 1));
    if (!d->up || !d->connected || !d->base || !d->tx || !d->rx) {
        bh_driver_free(d);
        return BH_ENOMEM;
    }
    int rc = bh_driver_sched_new(sc, opt->seed, d->speed, d->span, opt->filter,
                                 opt->filter_arg, &d->sched);
    if (rc == 0 && opt->segment_count > 0) {
        rc = bh_driver_sched_segment(d->sched, opt->segment_index,
                                     opt->segment_count);
        if (rc) {
            bh_diag_set(diag, 0, 0, "segment %u/%u: not a segment",
                        (unsigned)opt->segment_index,
                        (unsigned)opt->segment_count);
            bh_driver_free(d);
            return rc;
        }
    }
    if (rc) {
        bh_diag_set(diag, 0, 0, "traffic model: %s", bh_strerror(rc));
        bh_driver_free(d);
        return rc;
    }
    if (sc->load.media == BH_MEDIA_PCAP &&
        (rc = bh_pcap_audio_read(sc->load.media_file, &d->clip, diag))) {
        bh_driver_free(d);
        return rc == BH_ENOMEM ? rc : BH_EINVAL;
    }
    rc = open_sip(d, diag);
    if (rc == 0)
        rc = drv_ops_new(d, diag);
    if (rc == 0)
        drv_dialer_init(d);
    if (rc) {
        bh_driver_free(d);
        return rc;
    }
    evtimer_assign(&d->sched_ev, d->base, on_sched, d);
    event_assign(&d->tick_ev, d->base, -1, EV_PERSIST, on_tick, d);
    event_assign(&d->media_ev, d->base, -1, EV_PERSIST, on_media, d);
    *out = d;
    return 0;
}

void
drv_start_arrivals(struct bh_driver *d) {
    if (d->started || d->stopping)
        return;
    d->started = 1;
    if (d->reg_wait_on)
        evtimer_del(&d->reg_wait);
    d->reg_wait_on = 0;
    /* the run's clock starts with the first arrival's schedule */
    clock_gettime(CLOCK_MONOTONIC, &d->t0);
    d->last_rx = 0;
    d->last_unreach = -1;
    /* the media tick every DRV_MEDIA_TICK: each stream sends what is due
     * by its own clock (start + k ptime), so a packet leaves at most one
     * tick late (plus the loop's own delay); streams start at any phase,
     * so a tick of half the packet time would leave half the packets up
     * to 10 ms late */
    struct timeval mt = {0, (suseconds_t)(DRV_MEDIA_TICK * 1e6)};
    event_add(&d->media_ev, &mt);
    double due = bh_driver_sched_due(d->sched);
    if (isfinite(due))
        timer_at(d, &d->sched_ev, due);
    drv_maybe_done(d);
}

int
bh_driver_run(struct bh_driver *d) {
    clock_gettime(CLOCK_MONOTONIC, &d->t0);
    d->last_rx = 0;
    int rc = bh_sink_begin(d->opt.sink, 0);
    if (rc)
        return rc;
    struct timeval tick = {0, 100000};
    event_add(&d->tick_ev, &tick);
    d->registering = -1;
    drv_ops_register(d);
    if (d->registering == 0)
        drv_start_arrivals(d);
    /* one turn of the loop at a time, so that the SIP each turn sends
     * goes out in one batch */
    drv_sip_flush(d);
    while (!d->done && event_base_loop(d->base, EVLOOP_ONCE) == 0)
        drv_sip_flush(d);
    drv_sip_flush(d);
    event_del(&d->tick_ev);
    event_del(&d->media_ev);
    evtimer_del(&d->sched_ev);
    if (d->opt.progress)
        d->opt.progress(d->opt.progress_arg, d, &d->st, drv_now(d),
                        d->span / d->speed);
    double end = d->st.aborted
                     ? bh_driver_sched_scenario_time(d->sched, drv_now(d))
                     : d->span;
    int erc = bh_sink_end(d->opt.sink, end < d->span ? end : d->span);
    return d->rc ? d->rc : erc;
}

void
bh_driver_stats(const struct bh_driver *d, struct bh_driver_stats *out) {
    *out = d->st;
}

void
bh_driver_free(struct bh_driver *d) {
    if (!d)
        return;
    for (size_t i = 0; i < d->ncalls; i++) {
        struct drv_call *c = d->calls[i];
        if (c->state != CALL_FREE) {
            evtimer_del(&c->timer);
            drv_media_close(&c->m);
            free(c->req);
        }
        free(c);
    }
    free(d->calls);
    if (d->sip_fd >= 0) {
        if (d->base)
            event_del(&d->sip_ev);
        close(d->sip_fd);
    }
    bh_driver_sched_free(d->sched);
    drv_ops_free(d);
    drv_media_pool_free(d);
    if (d->base)
        event_base_free(d->base);
    free(d->up);
    free(d->connected);
    free(d->tx);
    free(d->rx);
    bh_pcap_audio_free(&d->clip);
    free(d);
}
