/* switch.c: the switch context: the SIP socket on the event_base it is
 * given, the clock and the random stream; start and clean shutdown. */
#define _GNU_SOURCE /* recvmmsg */
#include "bridge.h"
#include "conf.h"
#include "number.h"
#include "pbx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

double
sw_now(const struct bh_switch *sw) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - sw->mono0;
}

uint64_t
sw_random(struct bh_switch *sw) {
    /* xorshift64*, seeded from the kernel at start: tags, branches and
     * SSRCs must be unique, not secret (RFC 3261 19.3). */
    uint64_t x = sw->rnd;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    sw->rnd = x;
    return x * 2685821657736338717ULL;
}

void
sw_log(struct bh_switch *sw, const char *fmt, ...) {
    if (!sw->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "busyhour switch: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void
sw_copy_str(char *dst, size_t size, struct bh_str s) {
    size_t n = s.len < size - 1 ? s.len : size - 1;
    if (n > 0) /* an absent value is a NULL view */
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

void
sw_timer_in(struct event *ev, double seconds) {
    if (!(seconds > 0))
        seconds = 0; /* past deadlines (and NaN): at the next turn */
    struct timeval tv = {(time_t)seconds,
                         (suseconds_t)((seconds - floor(seconds)) * 1e6)};
    evtimer_add(ev, &tv);
}

/* Numeric addresses only: the switch never resolves a name (a response
 * or request to a name would need DNS; see RFC 3261 18.2.2 handling in
 * sip.c). */
int
sw_addr_parse(const char *host, uint16_t port, struct sw_addr *out) {
    memset(out, 0, sizeof *out);
    char h[80];
    size_t n = strlen(host);
    if (n >= sizeof h)
        return BH_EINVAL;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else {
        memcpy(h, host, n + 1);
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->ss;
    if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        out->len = sizeof *a4;
        return 0;
    }
    if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        out->len = sizeof *a6;
        return 0;
    }
    return BH_EINVAL;
}

void
sw_addr_format(const struct sw_addr *a, char *host, size_t size,
               uint16_t *port) {
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
        char b[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a6->sin6_addr, b, sizeof b);
        snprintf(host, size, "[%s]", b);
        *port = ntohs(a6->sin6_port);
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->ss;
        inet_ntop(AF_INET, &a4->sin_addr, host, (socklen_t)size);
        *port = ntohs(a4->sin_port);
    }
}

void
sw_addr_str(const struct sw_addr *a, char *buf, size_t size) {
    char host[INET6_ADDRSTRLEN + 2];
    uint16_t port;
    sw_addr_format(a, host, sizeof host, &port);
    snprintf(buf, size, "%s:%u", host, (unsigned)port);
}

void
sw_send(struct bh_switch *sw, const struct sw_addr *to, const char *buf,
        size_t len) {
    /* UDP: a full socket buffer drops the datagram, and the transaction
     * timers resend it, as for any loss on the way. */
    if (to->len == 0)
        return;
    (void)sendto(sw->sip_fd, buf, len, MSG_DONTWAIT,
                 (const struct sockaddr *)&to->ss, to->len);
}

#define RECV_BATCH 32

static void
on_sip(evutil_socket_t fd, short what, void *arg) {
    struct bh_switch *sw = arg;
    /* Whole datagrams, the oversize ones too (sip.c answers 513). */
    static const size_t cap = SW_RECV_MAX;
    char *bufs = sw->rxbuf;
    struct mmsghdr msgs[RECV_BATCH];
    struct iovec iov[RECV_BATCH];
    struct sockaddr_storage from[RECV_BATCH];
    /* The kernel's receive time of each datagram (SO_TIMESTAMPNS): how
     * long it waited in the socket buffer tells a backlog (call.c sheds
     * new calls that waited too long). */
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl[RECV_BATCH];
    /* Bounded: at most 8 batches per wakeup, so timers and the HTTP
     * endpoint get their turn under flood. */
    for (int round = 0; round < 8; round++) {
        memset(msgs, 0, sizeof msgs);
        for (int i = 0; i < RECV_BATCH; i++) {
            iov[i].iov_base = bufs + (size_t)i * cap;
            iov[i].iov_len = cap;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof from[i];
            msgs[i].msg_hdr.msg_control = ctl[i].buf;
            msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
        }
        int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        for (int i = 0; i < n; i++) {
            sw->rx_age = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
                 c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
                if (c->cmsg_level == SOL_SOCKET &&
                    c->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec ts;
                    memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    double age = (double)(rt.tv_sec - ts.tv_sec) +
                                 (double)(rt.tv_nsec - ts.tv_nsec) / 1e9;
                    sw->rx_age = age > 0 ? age : 0;
                }
            struct sw_addr a;
            memcpy(&a.ss, &from[i], sizeof a.ss);
            a.len = msgs[i].msg_hdr.msg_namelen;
            size_t len = msgs[i].msg_len;
            if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
                len = cap; /* larger than cap: oversize */
            sw_sip_receive(sw, bufs + (size_t)i * cap, len, &a);
        }
        sw->rx_age = 0;
        if (n < RECV_BATCH)
            break;
    }
    sw_cdr_flush(sw);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg) {
    sw_cdr_flush(arg);
}

/* ---- stopping ---------------------------------------------------------- */

/* The stop is over: the CDR store is closed (what it could not write is
 * counted lost), the owner's sink hears the end, then the owner. */
static void
stop_finish(struct bh_switch *sw) {
    sw_cdr_flush(sw);
    sw_cdr_close(sw);
    sw->stopped = 1;
    if (sw->sink_begun)
        bh_sink_end(sw->sink, sw_now(sw));
    sw->sink_begun = 0;
    if (sw->thread_started)
        event_base_loopbreak(sw->base);
    /* Last: the owner may free the switch from its callback. */
    if (sw->on_stopped)
        sw->on_stopped(sw, sw->on_stopped_arg);
}

/* Every SW_STOP_POLL s while stopping: done when every BYE was answered
 * (they are retransmitted per timer E meanwhile) and every row committed,
 * or after BH_SWITCH_STOP_WAIT s. */
static void
on_stop_timer(evutil_socket_t fd, short what, void *arg) {
    struct bh_switch *sw = arg;
    sw_cdr_flush(sw);
    struct bh_cdr_stats st;
    bh_switch_cdr_stats(sw, &st);
    size_t byes = sw_ctx_byes_open(sw);
    double waited = sw_now(sw) - sw->stop_since;
    if ((byes == 0 && st.pending == 0 && sw->nheld == 0) ||
        waited >= BH_SWITCH_STOP_WAIT) {
        if (byes > 0 || sw->nheld > 0)
            fprintf(stderr,
                    "busyhour switch: stopped after %.1f s with %zu BYEs "
                    "unanswered or unsent, %zu messages waiting for the "
                    "CDR commit\n",
                    waited, byes, sw->nheld);
        stop_finish(sw);
        return;
    }
    sw_timer_in(sw->stop_timer, SW_STOP_POLL);
}

/* The loop's side of bh_switch_stop: end active calls with BYE (sent once
 * their rows are committed), then wait for their answers. */
static void
on_stop_request(evutil_socket_t fd, short what, void *arg) {
    struct bh_switch *sw = arg;
    uint64_t n;
    while (read(fd, &n, sizeof n) > 0)
        ; /* drain: any number of requests means one stop */
    if (sw->stopping)
        return;
    sw->stopping = 1;
    sw->stop_since = sw_now(sw);
    sw_calls_shutdown(sw);
    sw_cdr_flush(sw);
    sw_timer_in(sw->stop_timer, 0);
}

void
bh_switch_stop(struct bh_switch *sw) {
    /* write(2) on an eventfd is async-signal-safe and needs no lock; the
     * loop wakes up and does the work. A full counter (EAGAIN) already
     * means a stop is pending. */
    uint64_t one = 1;
    ssize_t rc = write(sw->stop_fd, &one, sizeof one);
    (void)rc;
}

int
bh_switch_stopped(const struct bh_switch *sw) {
    return sw->stopped;
}

/* 1 when s ends in ":PORT" after the host ("[v6]:port", "v4:port"). */
static int
has_port(const char *s) {
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        return rb && rb[1] == ':';
    }
    const char *c = strchr(s, ':');
    return c && c == strrchr(s, ':');
}

/* "host:port", "[v6]:port", or "host" (port def). */
static int
split_hostport(const char *s, char *host, size_t hsize, uint16_t *port,
               uint16_t def) {
    const char *colon = NULL;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb)
            return BH_EINVAL;
        if (rb[1] == ':')
            colon = rb + 1;
        else if (rb[1])
            return BH_EINVAL;
    } else {
        colon = strrchr(s, ':');
    }
    size_t hl = colon ? (size_t)(colon - s) : strlen(s);
    if (hl == 0 || hl >= hsize)
        return BH_EINVAL;
    memcpy(host, s, hl);
    host[hl] = '\0';
    *port = def;
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || p < 0 || p > 65535 || end == colon + 1)
            return BH_EINVAL;
        *port = (uint16_t)p;
    }
    return 0;
}

static int
open_sip(struct bh_switch *sw, const char *listen, char *err, size_t errlen) {
    char host[80];
    uint16_t port;
    /* The port is never guessed: "127.0.0.1" alone is an error, not a
     * silent 5060 (the default is the whole of BH_SWITCH_LISTEN). */
    if (split_hostport(listen, host, sizeof host, &port, 0) < 0 ||
        sw_addr_parse(host, port, &sw->local) < 0 || !has_port(listen)) {
        snprintf(err, errlen,
                 "--listen %s: need a numeric HOST:PORT, e.g. 127.0.0.1:5060 "
                 "or [::1]:5060 (port 0: any free port)",
                 listen);
        return BH_EINVAL;
    }
    sw->sip_fd = socket(sw->local.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (sw->sip_fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return BH_EIO;
    }
    int one = 1, big = 8 << 20;
    setsockopt(sw->sip_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(sw->sip_fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    /* Big buffers ride out scheduling hiccups under load without drops
     * (each drop costs a retransmission, 500 ms later). The FORCE forms
     * pass net.core.rmem_max when the process may (CAP_NET_ADMIN). */
    if (setsockopt(sw->sip_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) <
        0)
        setsockopt(sw->sip_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (setsockopt(sw->sip_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) <
        0)
        setsockopt(sw->sip_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (bind(sw->sip_fd, (struct sockaddr *)&sw->local.ss, sw->local.len) < 0) {
        snprintf(err, errlen, "bind %s: %s", listen, strerror(errno));
        return BH_EIO;
    }
    socklen_t len = sizeof sw->local.ss;
    getsockname(sw->sip_fd, (struct sockaddr *)&sw->local.ss, &len);
    sw->local.len = len;
    sw_addr_format(&sw->local, sw->local_host, sizeof sw->local_host,
                   &sw->local_port);
    /* A wildcard address cannot go into Via, Contact or SDP. */
    if (strcmp(sw->local_host, "0.0.0.0") == 0)
        snprintf(sw->local_host, sizeof sw->local_host, "127.0.0.1");
    else if (strcmp(sw->local_host, "[::]") == 0)
        snprintf(sw->local_host, sizeof sw->local_host, "[::1]");
    if (sw->local_host[0] == '[') {
        size_t n = strlen(sw->local_host);
        int k = (int)(n - 2) < 63 ? (int)(n - 2) : 63;
        snprintf(sw->media_ip, sizeof sw->media_ip, "%.*s", k,
                 sw->local_host + 1);
    } else {
        snprintf(sw->media_ip, sizeof sw->media_ip, "%.63s", sw->local_host);
    }
    sw->sip_ev =
        event_new(sw->base, sw->sip_fd, EV_READ | EV_PERSIST, on_sip, sw);
    if (!sw->sip_ev || event_add(sw->sip_ev, NULL) < 0)
        return BH_ENOMEM;
    return 0;
}

/* An operator contact "sip:op1@127.0.0.1:5070": its host must be a
 * literal address, since the switch does no DNS. */
int
sw_uri_addr(const char *uri, struct sw_addr *out) {
    struct bh_sip_uri u;
    if (bh_sip_uri_parse(bh_str_make(uri, strlen(uri)), &u) < 0 ||
        (u.scheme != BH_URI_SIP && u.scheme != BH_URI_SIPS))
        return BH_EPARSE;
    char host[80];
    if (u.host.len >= sizeof host)
        return BH_EPARSE;
    memcpy(host, u.host.p, u.host.len);
    host[u.host.len] = '\0';
    return sw_addr_parse(host, u.has_port ? u.port : 5060, out);
}

/* The services, in the order they are asked whether they serve a
 * Request-URI (call.c). A new kind of target (a conference bridge) is one
 * more line here and a file of its own beside number.c. */
static const struct sw_service_ops *const service_table[] = {
    &sw_number_service, &sw_bridge_service,
    &sw_pbx_service, /* last: with a trunk it takes any other digits */
};

_Static_assert(sizeof service_table / sizeof *service_table <= SW_MAX_SERVICES,
               "SW_MAX_SERVICES too small for the service table");

/* A section of the scenario's switch: with entries, no service serving
 * it, is said at start (calls to its numbers get 404). */
static void
warn_unserved(struct bh_switch *sw) {
    static const struct {
        const char *section;
        size_t off;
    } sections[] = {
        {"numbers", offsetof(struct bh_sc_switch, nnumbers)},
        {"bridges", offsetof(struct bh_sc_switch, nbridges)},
        {"extensions", offsetof(struct bh_sc_switch, nextensions)},
    };
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        size_t n;
        memcpy(&n, (const char *)sw->cfg + sections[i].off, sizeof n);
        int served = 0;
        for (size_t k = 0; k < sw->nservices; k++)
            if (sw->services[k].ops->section &&
                strcmp(sw->services[k].ops->section, sections[i].section) == 0)
                served = 1;
        if (n > 0 && !served)
            fprintf(stderr,
                    "busyhour switch: warning: the scenario's %s: (%zu) "
                    "are not served by this switch yet; calls to them get "
                    "404\n",
                    sections[i].section, n);
    }
}

static int
services_init(struct bh_switch *sw, char *err, size_t errlen) {
    for (size_t i = 0; i < sizeof service_table / sizeof *service_table; i++) {
        struct sw_service *svc = &sw->services[sw->nservices++];
        svc->ops = service_table[i];
        svc->sw = sw;
        int rc = svc->ops->init(svc, err, errlen);
        if (rc < 0) {
            if (!err[0])
                snprintf(err, errlen, "%s: %s", svc->ops->name,
                         bh_strerror(rc));
            return rc;
        }
    }
    warn_unserved(sw);
    return 0;
}

static void
services_fini(struct bh_switch *sw) {
    for (size_t i = 0; i < sw->nservices; i++)
        sw->services[i].ops->fini(&sw->services[i]);
    sw->nservices = 0;
}

struct sw_service *
sw_service_find(struct bh_switch *sw, const struct sw_service_ops *ops) {
    for (size_t i = 0; i < sw->nservices; i++)
        if (sw->services[i].ops == ops)
            return &sw->services[i];
    return NULL;
}

/* The clock's origins, the random stream and the tables: what the switch
 * is before it touches the network. */
static int
context_init(struct bh_switch *sw) {
    sw->sip_fd = -1;
    sw->stop_fd = -1;
    sw->mono0 = 0;
    sw->mono0 = sw_now(sw);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    sw->epoch0 = (double)rt.tv_sec + (double)rt.tv_nsec / 1e9;
    if (getrandom(&sw->rnd, sizeof sw->rnd, 0) != sizeof sw->rnd ||
        getrandom(sw->nonce_secret, sizeof sw->nonce_secret, 0) !=
            sizeof sw->nonce_secret)
        sw->rnd = (uint64_t)rt.tv_nsec ^ ((uint64_t)getpid() << 32);
    if (sw->rnd == 0)
        sw->rnd = 0x9e3779b97f4a7c15ULL;
    sw->next_call = 1;
    sw->held.next = sw->held.prev = &sw->held;
    sw->cdr_fail_since = -1;
    sw->rxbuf = malloc(RECV_BATCH * (size_t)SW_RECV_MAX);
    sw->rawout = malloc(SW_RAW_MAX);
    sw->rawvia = malloc(SW_RAW_MAX);
    sw->nonces = calloc(SW_NONCE_SLOTS, sizeof *sw->nonces);
    /* switch.limits: new requests per source per second (pike), failed
     * authentications per source and per account per minute. */
    const struct bh_sc_switch_limits *lim = &sw->cfg->limits;
    if (!sw->nonces ||
        sw_limiter_init(&sw->pike, SW_LIMIT_SOURCES, sw_random(sw),
                        (uint32_t)lim->source_rate, 1.0,
                        lim->source_block) < 0 ||
        sw_limiter_init(&sw->auth_src, SW_LIMIT_SOURCES, sw_random(sw),
                        (uint32_t)lim->auth_failures, 60.0,
                        lim->auth_block) < 0 ||
        sw_limiter_init(&sw->auth_user, SW_LIMIT_SOURCES, sw_random(sw),
                        (uint32_t)lim->auth_failures, 60.0,
                        lim->auth_block) < 0)
        return BH_ENOMEM;
    if (!sw->rxbuf || !sw->rawout || !sw->rawvia ||
        sw_htab_init(&sw->stx) < 0 || sw_htab_init(&sw->ctx) < 0 ||
        sw_htab_init(&sw->dialogs) < 0 || sw_htab_init(&sw->calls) < 0)
        return BH_ENOMEM;
    return 0;
}

/* The loop's own events: the CDR flush at the end of a turn, and the stop
 * request (an eventfd, so that any thread or a signal handler may ask). */
static int
control_init(struct bh_switch *sw) {
    sw->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (sw->stop_fd < 0)
        return BH_EIO;
    sw->stop_ev = event_new(sw->base, sw->stop_fd, EV_READ | EV_PERSIST,
                            on_stop_request, sw);
    sw->stop_timer = evtimer_new(sw->base, on_stop_timer, sw);
    sw->flush_ev = event_new(sw->base, -1, 0, on_flush, sw);
    sw->cdr_retry_ev = evtimer_new(sw->base, on_flush, sw);
    if (!sw->stop_ev || !sw->stop_timer || !sw->flush_ev || !sw->cdr_retry_ev ||
        event_add(sw->stop_ev, NULL) < 0)
        return BH_ENOMEM;
    return 0;
}

/* --rtp-ports LO-HI: 0, or BH_EINVAL with the reason in err. */
static int
rtp_ports(struct bh_switch *sw, const char *spec, char *err, size_t errlen) {
    if (!spec)
        return 0;
    unsigned lo, hi;
    char tail;
    if (sscanf(spec, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1024 ||
        hi > 65535 || lo > hi) {
        snprintf(err, errlen,
                 "--rtp-ports %s: need LO-HI, 1024 <= LO <= HI <= 65535", spec);
        return BH_EINVAL;
    }
    lo += lo & 1; /* even ports */
    hi -= hi & 1;
    if (lo > hi) {
        snprintf(err, errlen, "--rtp-ports %s: no even port in it", spec);
        return BH_EINVAL;
    }
    sw->rtp_lo = sw->rtp_next = (uint16_t)lo;
    sw->rtp_hi = (uint16_t)hi;
    return 0;
}

/* Where recordings go: the option, else the CDR file's folder, else the
 * current one. */
static void
recordings_dir(struct bh_switch *sw, const struct bh_switch_options *opt) {
    const char *cdr = opt->cdr_path;
    const char *slash = cdr ? strrchr(cdr, '/') : NULL;
    if (opt->recordings)
        snprintf(sw->rec_dir, sizeof sw->rec_dir, "%s", opt->recordings);
    else if (slash)
        snprintf(sw->rec_dir, sizeof sw->rec_dir, "%.*s",
                 (int)(slash == cdr ? 1 : slash - cdr), cdr);
    else
        snprintf(sw->rec_dir, sizeof sw->rec_dir, ".");
}

int
bh_switch_new(const struct bh_sc_switch *cfg,
              const struct bh_switch_options *opt, struct event_base *base,
              struct bh_switch **out, struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    memset(diag, 0, sizeof *diag);
    *out = NULL;
    if (!base) {
        bh_diag_set(diag, 0, 0, "no event_base to run on");
        return BH_EINVAL;
    }
    struct bh_switch *sw = calloc(1, sizeof *sw);
    if (!sw) {
        bh_diag_set(diag, 0, 0, "out of memory");
        return BH_ENOMEM;
    }
    sw->cfg = cfg;
    sw->base = base;
    sw->verbose = opt->verbose;
    sw->sink = opt->sink;
    sw->on_stopped = opt->on_stopped;
    sw->on_stopped_arg = opt->on_stopped_arg;
    recordings_dir(sw, opt);
    char err[sizeof diag->msg] = "";
    int rc = context_init(sw);
    if (rc == 0)
        rc = control_init(sw);
    if (rc == 0)
        rc = sw_filter_init(sw);
    if (rc < 0) {
        snprintf(err, sizeof err, "%s", bh_strerror(rc));
        goto fail;
    }
    rc = rtp_ports(sw, opt->rtp_ports, err, sizeof err);
    if (rc < 0)
        goto fail;
    rc = open_sip(sw, opt->listen ? opt->listen : BH_SWITCH_LISTEN, err,
                  sizeof err);
    if (rc < 0)
        goto fail;
    rc = sw_media_init(sw);
    if (rc < 0) {
        snprintf(err, sizeof err, "media: %s", bh_strerror(rc));
        goto fail;
    }
    rc = services_init(sw, err, sizeof err);
    if (rc < 0)
        goto fail;
    if (opt->cdr_path) {
        /* The store's run starts when the switch's clock does: CDR times
         * (s since the switch started) are then times in that run. */
        rc = bh_cdr_open(opt->cdr_path, sw->epoch0, opt->cdr_options, &sw->cdr,
                         diag);
        if (rc < 0)
            goto fail_diag;
        /* A reused file appends: this run's ids follow the last one. */
        sw->next_call = bh_cdr_first_id(sw->cdr);
    }
    if (opt->http) {
        rc = sw_http_start(sw, opt->http, err, sizeof err);
        if (rc < 0)
            goto fail;
    }
    rc = bh_sink_begin(sw->sink, 0);
    sw->sink_begun = rc == 0;
    if (rc < 0) {
        snprintf(err, sizeof err, "the record sink refused to begin: %s",
                 bh_strerror(rc));
        goto fail;
    }
    *out = sw;
    return 0;
fail:
    bh_diag_set(diag, 0, 0, "%s", err);
fail_diag:
    sw->stopping = 1; /* nothing to hang up: free quietly */
    bh_switch_free(sw);
    return rc;
}

int
bh_switch_sip_port(const struct bh_switch *sw) {
    return sw->local_port;
}

static void
event_drop(struct event *ev) {
    if (ev)
        event_free(ev);
}

void
bh_switch_free(struct bh_switch *sw) {
    if (!sw)
        return;
    if (sw->thread_started && !sw->thread_joined)
        bh_switch_stop_thread(sw);
    if (!sw->stopping) {
        sw->stopping = 1;
        sw_calls_shutdown(sw);
    }
    sw_cdr_flush(sw);
    if (sw->sink_begun)
        bh_sink_end(sw->sink, sw_now(sw));
    sw->sink_begun = 0;
    /* Rows of the calls just ended are committed (or counted lost) and
     * their BYEs go out, before the transactions are freed. */
    sw_cdr_close(sw);
    for (size_t i = 0; i < sw->stx.nb; i++)
        while (sw->stx.b && sw->stx.b[i])
            sw_stx_free((struct stx *)sw->stx.b[i]);
    for (size_t i = 0; i < sw->ctx.nb; i++)
        while (sw->ctx.b && sw->ctx.b[i])
            sw_ctx_free((struct ctx *)sw->ctx.b[i]);
    services_fini(sw);
    sw_conf_fini(sw);
    sw_media_fini(sw);
    free(sw->rxbuf);
    free(sw->rawout);
    free(sw->rawvia);
    sw_http_free(sw);
    event_drop(sw->sip_ev);
    event_drop(sw->stop_ev);
    event_drop(sw->stop_timer);
    event_drop(sw->flush_ev);
    event_drop(sw->cdr_retry_ev);
    sw_filter_fini(sw);
    if (sw->sip_fd >= 0)
        close(sw->sip_fd);
    if (sw->stop_fd >= 0)
        close(sw->stop_fd);
    free(sw->nonces);
    sw_limiter_fini(&sw->pike);
    sw_limiter_fini(&sw->auth_src);
    sw_limiter_fini(&sw->auth_user);
    sw_htab_fini(&sw->stx);
    sw_htab_fini(&sw->ctx);
    sw_htab_fini(&sw->dialogs);
    sw_htab_fini(&sw->calls);
    sw_thread_fini(sw);
    if (sw->own_base)
        event_base_free(sw->own_base);
    free(sw);
}
