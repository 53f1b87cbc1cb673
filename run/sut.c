/* sut.c: the system under test of a run: the reference switch in a
 * thread of its own, pinned to a core of its own where there are two,
 * loopback contacts for the operators of queues without any (the driver
 * answers there), and the OPTIONS ping
 * that tells a switch answers. */
#define _GNU_SOURCE
#include "run_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
nap(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* A UDP port free on 127.0.0.1 now (the kernel's choice), or -1. */
static int
free_port(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* 1 when something holds UDP port on 127.0.0.1. */
static int __attribute__((unused)) port_taken(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int taken =
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

/* 1 when the driver must answer as q's operators on contacts of ours:
 * the queue names none, or names extensions (their phones are
 * registrations of people the run does not have). */
static int
ours(const struct bh_sc_queue *q) {
    if (!q->present || q->operators <= 0)
        return 0;
    for (size_t k = 0; k < q->ncontacts; k++)
        if (strncmp(q->contacts[k], "sip:", 4) != 0)
            return 1;
    return q->ncontacts == 0;
}

/* Points those queues at the operators. */
static int
give_contacts(struct run_sut *s, struct bh_scenario *sc, int port) {
    for (size_t i = 0; i < sc->sw.nnumbers; i++) {
        struct bh_sc_queue *q = &sc->sw.numbers[i].queue;
        if (!ours(q))
            continue;
        s->extension_queues += q->ncontacts > 0;
        char(*c)[128] = calloc((size_t)q->operators, sizeof *c);
        if (!c)
            return BH_ENOMEM;
        for (int k = 0; k < q->operators; k++)
            snprintf(c[k], sizeof c[k], "sip:op%d@127.0.0.1:%d", k + 1, port);
        free(q->contacts);
        q->contacts = c;
        q->ncontacts = (size_t)q->operators;
    }
    return 0;
}

static int
needs_operators(const struct bh_scenario *sc) {
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        if (ours(&sc->sw.numbers[i].queue))
            return 1;
    return 0;
}

/* Two CPUs the process may use: the switch's and the driver's. */
static int
two_cpus(int *drv, int *sw) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set))
        return 0;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set)) {
            if (n == 0)
                *drv = c;
            else
                *sw = c;
            n++;
        }
    return n == 2;
}

static void
pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int
run_sut_scale(const struct bh_sc_switch *in, double speed,
              struct run_switch_cfg *out) {
    memset(out, 0, sizeof *out);
    out->sw = *in;
    out->sw.numbers = NULL;
    out->sw.extensions = NULL;
    if (in->nnumbers &&
        !(out->numbers = malloc(in->nnumbers * sizeof *out->numbers)))
        return BH_ENOMEM;
    if (in->nextensions && !(out->extensions = malloc(
                                 in->nextensions * sizeof *out->extensions))) {
        run_sut_scale_free(out);
        return BH_ENOMEM;
    }
    for (size_t i = 0; i < in->nnumbers; i++) {
        struct bh_sc_number *n = &out->numbers[i];
        *n = in->numbers[i]; /* contacts borrowed */
        n->ivr.menu_time /= speed;
        n->queue.max_wait /= speed;
        n->queue.wrap_up /= speed;
        n->queue.ring_timeout /= speed;
    }
    for (size_t i = 0; i < in->nextensions; i++) {
        out->extensions[i] = in->extensions[i];
        out->extensions[i].no_answer /= speed;
    }
    out->sw.numbers = out->numbers;
    out->sw.extensions = out->extensions;
    out->sw.timers.max_call /= speed;
    return 0;
}

void
run_sut_scale_free(struct run_switch_cfg *out) {
    free(out->numbers);
    free(out->extensions);
    memset(out, 0, sizeof *out);
}

int
run_sut_start(struct run_sut *s, struct bh_scenario *sc, double speed,
              const char *cdr_path, struct bh_diag *diag) {
    memset(s, 0, sizeof *s);
    int rc;
    if (needs_operators(sc)) {
        /* the driver answers as the operators on these contacts */
        s->operators_port = free_port();
        if (s->operators_port < 0) {
            bh_diag_set(diag, 0, 0, "no free UDP port for the operators");
            return BH_EIO;
        }
        if ((rc = give_contacts(s, sc, s->operators_port))) {
            bh_diag_set(diag, 0, 0, "%s", bh_strerror(rc));
            return BH_EIO;
        }
    }
    if ((rc = run_sut_scale(&sc->sw, speed, &s->cfg))) {
        bh_diag_set(diag, 0, 0, "%s", bh_strerror(rc));
        return BH_EIO;
    }
    int drv = 0, swc = 0;
    cpu_set_t all;
    int have_all = sched_getaffinity(0, sizeof all, &all) == 0;
    s->pinned = two_cpus(&drv, &swc);
    if (s->pinned)
        pin(swc); /* the switch's thread inherits this */
    struct bh_switch_options o;
    memset(&o, 0, sizeof o);
    o.listen = "127.0.0.1:0";
    o.cdr_path = cdr_path;
    rc = bh_switch_start_thread(&s->cfg.sw, &o, &s->sw, diag);
    if (s->pinned)
        pin(drv);
    else if (have_all)
        pthread_setaffinity_np(pthread_self(), sizeof all, &all);
    if (rc) {
        s->sw = NULL;
        if (!diag->msg[0])
            bh_diag_set(diag, 0, 0, "the switch did not start: %s",
                        bh_strerror(rc));
        return BH_EIO;
    }
    snprintf(s->target, sizeof s->target, "127.0.0.1:%d",
             bh_switch_sip_port(s->sw));
    return 0;
}

int
run_sut_stop(struct run_sut *s, uint64_t *lost) {
    int rc = 0;
    *lost = 0;
    if (s->sw) {
        rc = bh_switch_stop_thread(s->sw);
        struct bh_cdr_stats st;
        bh_switch_cdr_stats(s->sw, &st);
        *lost = st.lost;
        bh_switch_free(s->sw);
        s->sw = NULL;
    }
    run_sut_scale_free(&s->cfg);
    return rc;
}

/* "IP:PORT" or "[IPv6]:PORT" into a socket address. */
static int
parse_target(const char *t, struct sockaddr_storage *ss, socklen_t *len) {
    char host[64];
    const char *colon;
    if (t[0] == '[') {
        const char *close = strchr(t, ']');
        if (!close || close[1] != ':' || (size_t)(close - t - 1) >= sizeof host)
            return BH_EINVAL;
        memcpy(host, t + 1, (size_t)(close - t - 1));
        host[close - t - 1] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(t, ':');
        if (!colon || (size_t)(colon - t) >= sizeof host)
            return BH_EINVAL;
        memcpy(host, t, (size_t)(colon - t));
        host[colon - t] = 0;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return BH_EINVAL;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof *a6;
    } else {
        return BH_EINVAL;
    }
    return 0;
}

int
run_sut_check_target(const char *target) {
    struct sockaddr_storage ss;
    socklen_t len;
    return parse_target(target, &ss, &len);
}

int
run_sut_ping(const char *target, double wait, struct bh_diag *diag) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_target(target, &ss, &len)) {
        bh_diag_set(diag, 0, 0,
                    "--switch %s: need IP:PORT or [IPv6]:PORT (no DNS)",
                    target);
        return BH_EINVAL;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
        bh_diag_set(diag, 0, 0, "%s: %s", target, strerror(errno));
        if (fd >= 0)
            close(fd);
        return BH_EIO;
    }
    struct sockaddr_storage me;
    socklen_t mlen = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &mlen);
    char ip[64] = "127.0.0.1";
    int port = 0;
    if (me.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, ip,
                  sizeof ip);
        port = ntohs(((struct sockaddr_in *)&me)->sin_port);
    } else {
        char v6[48];
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, v6,
                  sizeof v6);
        snprintf(ip, sizeof ip, "[%s]", v6);
        port = ntohs(((struct sockaddr_in6 *)&me)->sin6_port);
    }
    char msg[1024];
    double t0 = mono();
    int answered = 0;
    for (int i = 0; !answered && mono() - t0 < wait; i++) {
        int n = snprintf(msg, sizeof msg,
                         "OPTIONS sip:ping@%s SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKrunping%d\r\n"
                         "Max-Forwards: 70\r\n"
                         "From: <sip:run@%s>;tag=run%d\r\n"
                         "To: <sip:ping@%s>\r\n"
                         "Call-ID: runping%d@busyhour\r\n"
                         "CSeq: %d OPTIONS\r\n"
                         "Content-Length: 0\r\n\r\n",
                         target, ip, port, i, ip, (int)getpid(), target,
                         (int)getpid(), i + 1);
        (void)send(fd, msg, (size_t)n, 0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) == 1) {
            char buf[2048];
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r > 7 && memcmp(buf, "SIP/2.0", 7) == 0)
                answered = 1;
            else if (r < 0)
                nap(0.2); /* ICMP unreachable: nobody listens yet */
        }
    }
    close(fd);
    if (!answered) {
        bh_diag_set(diag, 0, 0,
                    "the switch at %s does not answer (OPTIONS, "
                    "%.0f s)",
                    target, wait);
        return BH_EIO;
    }
    return 0;
}
