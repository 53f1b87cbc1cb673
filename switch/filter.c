/* filter.c: the pike's blocked sources dropped by the kernel, below the
 * process: a classic BPF socket filter on the SIP socket, rebuilt when the
 * block list changes, so that a flood from a blocked host never fills the
 * socket's receive buffer (where it would crowd out everyone else's
 * datagrams) and never wakes the loop.
 *
 * The program, for a datagram whose source address is blocked, keeps
 * what may belong to a dialog of ours and can be told by its first four
 * bytes: responses ("SIP/"), ACK, BYE, INFO, UPDATE and PRACK, which the
 * switch then looks at as before (sip.c serves them when they are in one
 * of its dialogs, and drops them otherwise). Every other request of a
 * blocked source (INVITE, OPTIONS, REGISTER ...: the new work the pike
 * refused) is dropped by the kernel. A datagram from any other source is
 * kept after one comparison per blocked address. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Rebuilt at most this often (s): a flood from many addresses blocks
 * them one by one, and each rebuild scans the pike's table. */
#define SW_FILTER_MIN_GAP 0.1

#define KEEP 0xffffffffu /* the whole datagram */
#define DROP 0u

/* For a UDP socket the filter sees the datagram from its UDP header on;
 * the payload starts 8 bytes in. */
#define UDP_PAYLOAD 8
#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd

/* The first four bytes of what a blocked source may still send (network
 * order read as a big-endian word, as BPF_LD|BPF_W|BPF_ABS does). */
static const char *const kept_prefix[] = {"SIP/", "ACK ", "BYE ",
                                          "INFO", "UPDA", "PRAC"};
#define NKEPT (sizeof kept_prefix / sizeof kept_prefix[0])

/* The program's size: HEAD instructions, the IPv4 list (a load, PER_V4
 * per address, a return), the IPv6 list (PER_V6 per address, a return),
 * the check of a blocked source's datagram. */
#define HEAD 6
#define PER_V4 2
#define PER_V6 9
_Static_assert(SW_FILTER_MAX_INS >=
                   HEAD + 2 + 1 + PER_V6 * SW_FILTER_MAX_ADDRS + 1 + 6 + 2,
               "SW_FILTER_MAX_INS holds the longest program");
_Static_assert(SW_FILTER_MAX_INS <= BPF_MAXINSNS, "the kernel's bound");

struct prog {
    struct sock_filter *ins;
    size_t n, cap;
};

static void
emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
    if (p->n < p->cap)
        p->ins[p->n] = (struct sock_filter){code, jt, jf, k};
    p->n++;
}

static uint32_t
be32(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           b[3];
}

/* 1 when a 16-byte key is an IPv4-mapped IPv6 address (::ffff:a.b.c.d):
 * such datagrams arrive on a dual-stack socket as IPv4. */
static int
v4_mapped(const uint8_t *k) {
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(k, pre, 12) == 0;
}

/* The program for the keys blocked at now into p (p->n past p->cap means
 * it did not fit). `until` is set to the earliest end of a block, or 0. */
static size_t
build(const struct sw_limiter *l, double now, struct prog *p, double *until,
      size_t max_addrs) {
    size_t nv4 = 0, nv6 = 0;
    *until = 0;
    for (size_t i = 0; i < l->nslots; i++) {
        const struct sw_limit_slot *s = &l->slot[i];
        if (!s->hash || s->blocked_until <= now)
            continue;
        if (nv4 + nv6 >= max_addrs)
            break;
        if (s->klen == 4 || (s->klen == 16 && v4_mapped(s->key)))
            nv4++;
        else if (s->klen == 16)
            nv6++;
        else
            continue;
        if (*until == 0 || s->blocked_until < *until)
            *until = s->blocked_until;
    }
    size_t v4_at = HEAD, v6_at = v4_at + 2 + PER_V4 * nv4;
    size_t check_at = v6_at + PER_V6 * nv6 + 1;
    /* Head: by the datagram's network protocol to its list. */
    emit(p, BPF_LD | BPF_H | BPF_ABS, 0, 0,
         (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ETH_IPV4);
    emit(p, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(v4_at - 3));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ETH_IPV6);
    emit(p, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(v6_at - 5));
    emit(p, BPF_RET | BPF_K, 0, 0, KEEP);
    /* IPv4: the source address at byte 12 of the header. */
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 12));
    size_t seen = 0;
    for (size_t i = 0; i < l->nslots && seen < nv4; i++) {
        const struct sw_limit_slot *s = &l->slot[i];
        if (!s->hash || s->blocked_until <= now)
            continue;
        const uint8_t *a = s->klen == 4                           ? s->key
                           : (s->klen == 16 && v4_mapped(s->key)) ? s->key + 12
                                                                  : NULL;
        if (!a)
            continue;
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, be32(a));
        emit(p, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(check_at - p->n - 1));
        seen++;
    }
    emit(p, BPF_RET | BPF_K, 0, 0, KEEP);
    /* IPv6: the source address at bytes 8-23, a word at a time; a word
     * that differs goes on to the next address (PER_V6 instructions
     * each: four loads, four comparisons, the jump to the check). */
    seen = 0;
    for (size_t i = 0; i < l->nslots && seen < nv6; i++) {
        const struct sw_limit_slot *s = &l->slot[i];
        if (!s->hash || s->blocked_until <= now || s->klen != 16 ||
            v4_mapped(s->key))
            continue;
        for (int w = 0; w < 4; w++) {
            emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
                 (uint32_t)(SKF_NET_OFF + 8 + 4 * w));
            emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(7 - 2 * w),
                 be32(s->key + 4 * w));
        }
        emit(p, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(check_at - p->n - 1));
        seen++;
    }
    emit(p, BPF_RET | BPF_K, 0, 0, KEEP);
    /* A blocked source: keep what may be in a dialog, drop the rest (and
     * what is too short to tell: the load fails and the program drops). */
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, UDP_PAYLOAD);
    for (size_t i = 0; i < NKEPT; i++)
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(NKEPT - i), 0,
             be32((const uint8_t *)kept_prefix[i]));
    emit(p, BPF_RET | BPF_K, 0, 0, DROP);
    emit(p, BPF_RET | BPF_K, 0, 0, KEEP);
    return nv4 + nv6;
}

/* Attaches the program for the sources blocked now (or takes the filter
 * off when there are none), and arms the rebuild for the earliest end of
 * a block. */
static void
rebuild(struct bh_switch *sw) {
    double now = sw_now(sw), until;
    struct prog p = {sw->filter_prog, 0, SW_FILTER_MAX_INS};
    size_t n = build(&sw->pike, now, &p, &until, SW_FILTER_MAX_ADDRS);
    sw->filter_at = now;
    sw->m.filter_builds++;
    if (p.n > p.cap) {
        /* Cannot happen with SW_FILTER_MAX_INS sized for the most
         * addresses; defensive, and the process still drops them. */
        n = 0;
    }
    if (n == 0) {
        /* The kernel reads an int it ignores (and refuses a shorter
         * option). Failing, the last program stays: its sources are
         * dropped until the next rebuild, which is retried soon. */
        int unused = 0;
        if (sw->m.filter_sources > 0 &&
            setsockopt(sw->sip_fd, SOL_SOCKET, SO_DETACH_FILTER, &unused,
                       sizeof unused) < 0 &&
            errno != ENOENT) {
            sw_timer_in(sw->filter_ev, 1.0);
            return;
        }
        sw->m.filter_sources = 0;
    } else {
        struct sock_fprog fp = {(unsigned short)p.n, p.ins};
        if (setsockopt(sw->sip_fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
                       sizeof fp) < 0) {
            /* The process still drops a blocked source's datagrams (sip.c);
             * only the kernel's help is lost. Said once. */
            if (!sw->filter_failed)
                fprintf(stderr,
                        "busyhour switch: cannot attach the socket filter of "
                        "blocked sources (%s): they are dropped after "
                        "reading\n",
                        strerror(errno));
            sw->filter_failed = 1;
            sw->m.filter_sources = 0;
        } else {
            sw->m.filter_sources = n;
        }
    }
    if (until > 0)
        sw_timer_in(sw->filter_ev, until - now + 0.001);
}

static void
on_filter(evutil_socket_t fd, short what, void *arg) {
    rebuild(arg);
}

int
sw_filter_init(struct bh_switch *sw) {
    if (sw->pike.max == 0)
        return 0; /* no source limit: nothing is ever blocked */
    sw->filter_prog = calloc(SW_FILTER_MAX_INS, sizeof *sw->filter_prog);
    sw->filter_ev = evtimer_new(sw->base, on_filter, sw);
    return sw->filter_prog && sw->filter_ev ? 0 : BH_ENOMEM;
}

void
sw_filter_changed(struct bh_switch *sw) {
    if (!sw->filter_ev)
        return;
    /* At once, unless a rebuild ran less than SW_FILTER_MIN_GAP ago: then
     * at the end of the gap (one rebuild for a burst of new blocks). */
    double wait = sw->filter_at + SW_FILTER_MIN_GAP - sw_now(sw);
    if (sw->filter_at == 0 || wait < 0)
        wait = 0;
    struct timeval tv;
    if (evtimer_pending(sw->filter_ev, &tv)) {
        /* Armed for a block's end, maybe far off: bring it forward. */
        struct timeval nowtv;
        event_base_gettimeofday_cached(sw->base, &nowtv);
        double left = (double)(tv.tv_sec - nowtv.tv_sec) +
                      (double)(tv.tv_usec - nowtv.tv_usec) / 1e6;
        if (left <= wait)
            return;
    }
    sw_timer_in(sw->filter_ev, wait);
}

void
sw_filter_fini(struct bh_switch *sw) {
    if (sw->filter_ev)
        event_free(sw->filter_ev);
    sw->filter_ev = NULL;
    free(sw->filter_prog);
    sw->filter_prog = NULL;
}
