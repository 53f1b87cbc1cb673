/* txn.c: SIP transactions over UDP (RFC 3261 17, RFC 6026): server
 * transactions that absorb retransmitted requests and resend their final
 * response, client transactions that retransmit requests and time out.
 * Each has one libevent timer, armed at its next deadline. */
#include "internal.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
arm(struct event *ev, double now, double at) {
    sw_timer_in(ev, at - now);
}

/* ---- server transactions ----------------------------------------------- */

/* RFC 3261 17.2.3: a request matches a transaction by the top Via's
 * branch (with the magic cookie), its sent-by, and the method, ACK
 * matching INVITE. The Call-ID and CSeq number are added: they are equal
 * in every genuine retransmission, ACK and CANCEL, and they keep apart
 * requests from broken peers that reuse a branch (RFC 4475 reuses
 * "z9hG4bKkdjuw" across messages). Requests from RFC 2543 peers (no
 * cookie) match by Call-ID, CSeq, From tag and the top Via as written. */
static size_t
stx_key(const struct bh_sip_msg *m, int as_invite, char *key, size_t size) {
    const struct bh_sip_via *v = &m->via[0];
    const char *meth = as_invite ? "INVITE"
                       : m->method == BH_SIP_ACK
                           ? "INVITE"
                           : bh_sip_method_name(m->method);
    int n;
    if (v->branch.len > 7 && memcmp(v->branch.p, "z9hG4bK", 7) == 0)
        n = snprintf(key, size, "%.*s\001%.*s:%u\001%s\001%u\001%.*s",
                     (int)v->branch.len, v->branch.p, (int)v->host.len,
                     v->host.p, (unsigned)v->port, *meth ? meth : "?",
                     (unsigned)m->cseq, (int)m->call_id.len, m->call_id.p);
    else
        n = snprintf(key, size, "%.*s\001%u\001%.*s\001%.*s\001%s",
                     (int)m->call_id.len, m->call_id.p, (unsigned)m->cseq,
                     (int)m->from.tag.len, m->from.tag.p, (int)v->raw.len,
                     v->raw.p, *meth ? meth : "?");
    if (n < 0)
        return 0;
    /* An over-long key is cut: two requests sharing its first bytes are
     * then treated as one, which only matters for hostile peers. */
    return (size_t)n < size ? (size_t)n : size - 1;
}

struct stx *
sw_stx_find(struct bh_switch *sw, const struct bh_sip_msg *m, int as_invite) {
    char key[192];
    size_t n = stx_key(m, as_invite, key, sizeof key);
    struct sw_hnode *x = sw_htab_get(&sw->stx, key, n);
    return (struct stx *)x;
}

static void stx_timer(evutil_socket_t fd, short what, void *arg);
static void stx_final(struct stx *st);

struct stx *
sw_stx_new(struct bh_switch *sw, const struct bh_sip_msg *m,
           const struct sw_addr *from, int new_work) {
    /* Bounded: a flood of distinct requests would otherwise keep 32 s
     * of transactions each (timer J); beyond the bound the caller
     * answers 503 without keeping state. New work (a new INVITE,
     * REGISTER, CANCEL) stops at SW_STX_NEW_WORK: the rest is kept for
     * the requests of calls already up, so that a BYE always gets
     * through. */
    if (sw->stx.n >= (new_work ? SW_STX_NEW_WORK : BH_SWITCH_MAX_TRANSACTIONS))
        return NULL;
    struct stx *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->sw = sw;
    st->invite = m->method == BH_SIP_INVITE;
    st->state = STX_PROCEEDING;
    st->peer = *from;
    st->node.klen = stx_key(m, 0, st->key, sizeof st->key);
    st->node.key = st->key;
    evtimer_assign(&st->timer, sw->base, stx_timer, st);
    sw_htab_put(&sw->stx, &st->node);
    if (sw->stx.n > sw->stx_peak)
        sw->stx_peak = sw->stx.n;
    return st;
}

void
sw_stx_free(struct stx *st) {
    if (!st)
        return;
    struct bh_switch *sw = st->sw;
    sw_unhold(sw, &st->held);
    sw_call_stx_gone(st);
    event_del(&st->timer);
    sw_htab_del(&sw->stx, &st->node);
    free(st->resp);
    free(st);
    /* After a burst (a flood of INVITEs, a peak) the memory of its
     * transactions goes back to the system once the table has shrunk to
     * a quarter: the allocator keeps freed small blocks otherwise. */
    if (sw->stx.n > sw->stx_peak)
        sw->stx_peak = sw->stx.n;
    if (sw->stx_peak >= SW_TRIM_AFTER && sw->stx.n < sw->stx_peak / 4) {
        malloc_trim(0);
        sw->stx_peak = sw->stx.n;
    }
}

void
sw_stx_responded(struct stx *st, const char *buf, size_t len, int status) {
    char *copy = malloc(len);
    if (copy) {
        memcpy(copy, buf, len);
        free(st->resp);
        st->resp = copy;
        st->resp_len = len;
    }
    st->status = status;
    /* A final response waiting for the CDR commit takes its next state
     * when it goes out (sw_stx_release): no timer resends it before. */
    if (status < 200 || st->held.next)
        return;
    stx_final(st);
}

void
sw_stx_release(struct stx *st) {
    if (st->resp)
        sw_send(st->sw, &st->peer, st->resp, st->resp_len);
    if (st->status >= 200)
        stx_final(st);
}

/* A final response went out: the states of 17.2.1, 17.2.2, RFC 6026. */
static void
stx_final(struct stx *st) {
    struct bh_switch *sw = st->sw;
    double now = sw_now(sw);
    if (st->invite) {
        /* 2xx: RFC 6026 Accepted; the 2xx is resent at T1, 2T1 ... T2
         * until the ACK (RFC 3261 13.3.1.4). Non-2xx: Completed, timer
         * G resends, H gives up (17.2.1). Both end after 64*T1. */
        st->state = st->status < 300 ? STX_ACCEPTED : STX_COMPLETED;
        st->interval = SW_T1;
        st->next_tx = now + SW_T1;
        st->end = now + SW_TXN_LIFE;
        arm(&st->timer, now, st->next_tx);
    } else {
        /* 17.2.2: Completed, timer J absorbs retransmissions. */
        st->state = STX_COMPLETED;
        st->next_tx = INFINITY;
        st->end = now + SW_TXN_LIFE;
        arm(&st->timer, now, st->end);
    }
}

void
sw_stx_ack(struct stx *st) {
    double now = sw_now(st->sw);
    if (st->state == STX_COMPLETED) {
        /* 17.2.1: Confirmed; timer I (T4) absorbs further ACKs. */
        st->state = STX_CONFIRMED;
        st->next_tx = INFINITY;
        st->end = now + SW_T4;
        arm(&st->timer, now, st->end);
    } else if (st->state == STX_ACCEPTED) {
        /* The 2xx was ACKed: stop resending, keep absorbing INVITE
         * retransmissions until timer L (RFC 6026 8.7). */
        st->next_tx = INFINITY;
        free(st->resp);
        st->resp = NULL;
        st->resp_len = 0;
        arm(&st->timer, now, st->end);
    }
}

static void
stx_timer(evutil_socket_t fd, short what, void *arg) {
    struct stx *st = arg;
    struct bh_switch *sw = st->sw;
    double now = sw_now(sw);
    if (now >= st->end) {
        struct call *c = st->call;
        int unacked = st->state == STX_ACCEPTED && st->next_tx < INFINITY;
        sw_stx_free(st);
        if (c && unacked)
            sw_call_ack_timeout(c); /* timer H / 13.3.1.4 */
        sw_cdr_flush(sw);
        return;
    }
    if (now >= st->next_tx && st->resp) {
        sw_send(sw, &st->peer, st->resp, st->resp_len);
        sw->m.retransmissions_out++;
        st->interval = fmin(st->interval * 2, SW_T2);
        st->next_tx = now + st->interval;
    }
    arm(&st->timer, now, fmin(st->next_tx, st->end));
}

/* ---- client transactions ----------------------------------------------- */

static void ctx_timer(evutil_socket_t fd, short what, void *arg);

static size_t
ctx_key(const char *branch, size_t blen, enum bh_sip_method method, char *key,
        size_t size) {
    /* A CANCEL shares its INVITE's branch (RFC 3261 9.1): the method is
     * part of the key. */
    int n = snprintf(key, size, "%.*s:%d", (int)blen, branch, (int)method);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

struct ctx_keyed {
    struct ctx c;
    char key[BH_SIP_TOKEN_MAX + 8];
};

struct ctx *
sw_ctx_new(struct bh_switch *sw, struct leg *leg, enum bh_sip_method method,
           const char *branch, const struct sw_addr *to, const char *req,
           size_t len) {
    struct ctx_keyed *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    struct ctx *c = &k->c;
    c->req = malloc(len);
    if (!c->req) {
        free(k);
        return NULL;
    }
    memcpy(c->req, req, len);
    c->req_len = len;
    c->sw = sw;
    c->method = method;
    c->state = CTX_CALLING;
    c->peer = *to;
    c->leg = leg;
    c->held.is_ctx = 1;
    snprintf(c->branch, sizeof c->branch, "%s", branch);
    c->node.klen =
        ctx_key(branch, strlen(branch), method, k->key, sizeof k->key);
    c->node.key = k->key;
    sw_htab_put(&sw->ctx, &c->node);
    evtimer_assign(&c->timer, sw->base, ctx_timer, c);
    return c;
}

void
sw_ctx_start(struct ctx *c) {
    struct bh_switch *sw = c->sw;
    double now = sw_now(sw);
    /* Timers A/B (17.1.1.2) or E/F (17.1.2.2), from the first send. */
    c->interval = SW_T1;
    c->next_tx = now + SW_T1;
    c->end = now + SW_TXN_LIFE;
    arm(&c->timer, now, c->next_tx);
    sw_send(sw, &c->peer, c->req, c->req_len);
    const char *name = bh_sip_method_name(c->method);
    sw->m
        .requests_out[bh_switch_method_from(bh_str_make(name, strlen(name)))]++;
}

struct ctx *
sw_ctx_send(struct bh_switch *sw, struct leg *leg, enum bh_sip_method method,
            const char *branch, const struct sw_addr *to, const char *req,
            size_t len) {
    struct ctx *c = sw_ctx_new(sw, leg, method, branch, to, req, len);
    if (c)
        sw_ctx_start(c);
    return c;
}

size_t
sw_ctx_byes_open(const struct bh_switch *sw) {
    /* O(client transactions): called every SW_STOP_POLL s while a stop
     * waits, never on the hot path. */
    size_t n = 0;
    for (size_t i = 0; i < sw->ctx.nb; i++)
        for (const struct sw_hnode *x = sw->ctx.b[i]; x; x = x->next)
            if (((const struct ctx *)x)->method == BH_SIP_BYE)
                n++;
    return n;
}

void
sw_ctx_free(struct ctx *c) {
    if (!c)
        return;
    sw_unhold(c->sw, &c->held);
    sw_leg_ctx_gone(c);
    event_del(&c->timer);
    sw_htab_del(&c->sw->ctx, &c->node);
    free(c->req);
    free(c->ack);
    free(c);
}

static void
ctx_timer(evutil_socket_t fd, short what, void *arg) {
    struct ctx *c = arg;
    struct bh_switch *sw = c->sw;
    double now = sw_now(sw);
    if (now >= c->end) {
        struct leg *leg = c->leg;
        enum bh_sip_method method = c->method;
        int timed_out =
            c->state == CTX_CALLING ||
            (c->method != BH_SIP_INVITE && c->state == CTX_PROCEEDING);
        sw_ctx_free(c);
        if (leg && timed_out)
            sw_leg_timeout(leg, method); /* timer B or F */
        sw_cdr_flush(sw);
        return;
    }
    if (now >= c->next_tx) {
        sw_send(sw, &c->peer, c->req, c->req_len);
        sw->m.retransmissions_out++;
        /* A doubles without bound (17.1.1.2); E doubles up to T2 and
         * stays at T2 once a provisional came (17.1.2.2). */
        c->interval = c->method == BH_SIP_INVITE ? c->interval * 2
                      : c->state == CTX_PROCEEDING
                          ? SW_T2
                          : fmin(c->interval * 2, SW_T2);
        c->next_tx = now + c->interval;
    }
    arm(&c->timer, now, fmin(c->next_tx, c->end));
}

/* RFC 3261 17.1.1.3: the ACK for a non-2xx final: same Request-URI,
 * Call-ID, From, CSeq number and top Via as the INVITE; To from the
 * response. Built by re-reading our own INVITE. */
static void
ack_non2xx(struct bh_switch *sw, struct ctx *c, const struct bh_sip_msg *r) {
    struct bh_sip_msg *inv = malloc(sizeof *inv);
    if (!inv)
        return;
    char buf[BH_SWITCH_MAX_MSG];
    if (bh_sip_parse(c->req, c->req_len, inv, NULL) == 0) {
        struct bh_sip_builder b;
        bh_sip_build_init(&b, buf, sizeof buf);
        bh_sip_build_request(&b, BH_SIP_ACK, NULL, inv->ruri.raw);
        bh_sip_build_header(&b, "Via", inv->via[0].raw);
        bh_sip_build_copy(&b, inv, BH_SIP_H_FROM);
        bh_sip_build_copy(&b, r, BH_SIP_H_TO);
        bh_sip_build_copy(&b, inv, BH_SIP_H_CALL_ID);
        bh_sip_build_cseq(&b, inv->cseq, BH_SIP_ACK, NULL);
        bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
        int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
        if (n > 0) {
            free(c->ack);
            c->ack = malloc((size_t)n);
            if (c->ack) {
                memcpy(c->ack, buf, (size_t)n);
                c->ack_len = (size_t)n;
            }
        }
    }
    free(inv);
}

/* A 2xx to an INVITE whose leg is gone (the caller left while the
 * peer answered, a race CANCEL loses): ACK it and hang up with BYE
 * (RFC 3261 15: a UAC that no longer wants a session sends BYE). Only
 * the first 2xx starts the BYE; retransmissions get the ACK again. */
static void
orphan_2xx(struct bh_switch *sw, struct ctx *c, const struct bh_sip_msg *r) {
    double now = sw_now(sw);
    if (c->state != CTX_ACCEPTED) {
        c->state = CTX_ACCEPTED;
        c->next_tx = INFINITY;
        c->end = now + SW_TXN_LIFE;
        arm(&c->timer, now, c->end);
    }
    struct bh_str target = r->to.uri.raw;
    struct bh_sip_nameaddr contact;
    int star = 0;
    if (bh_sip_contacts(r, &contact, 1, &star) == 1 && !star)
        target = contact.uri.raw;
    char buf[4096];
    for (int bye = 0; bye <= (c->orphan ? 0 : 1); bye++) {
        char branch[BH_SIP_TOKEN_MAX];
        bh_sip_make_branch(branch, sw_random(sw));
        struct bh_sip_builder b;
        bh_sip_build_init(&b, buf, sizeof buf);
        enum bh_sip_method meth = bye ? BH_SIP_BYE : BH_SIP_ACK;
        bh_sip_build_request(&b, meth, NULL, target);
        bh_sip_build_via(
            &b, "UDP", bh_str_make(sw->local_host, strlen(sw->local_host)),
            sw->local_port, bh_str_make(branch, strlen(branch)), 1);
        bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
        bh_sip_build_copy(&b, r, BH_SIP_H_FROM);
        bh_sip_build_copy(&b, r, BH_SIP_H_TO);
        bh_sip_build_copy(&b, r, BH_SIP_H_CALL_ID);
        bh_sip_build_cseq(&b, r->cseq + (uint32_t)bye, meth, NULL);
        int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
        if (n <= 0)
            return;
        if (bye)
            sw_ctx_send(sw, NULL, BH_SIP_BYE, branch, &c->peer, buf, (size_t)n);
        else
            sw_send(sw, &c->peer, buf, (size_t)n);
    }
    c->orphan = 1;
}

void
sw_ctx_response(struct bh_switch *sw, const struct bh_sip_msg *m) {
    if (m->nvia == 0)
        return;
    char key[BH_SIP_TOKEN_MAX + 8];
    const struct bh_sip_via *v = &m->via[0];
    size_t n =
        ctx_key(v->branch.p, v->branch.len, m->cseq_method, key, sizeof key);
    struct ctx *c = (struct ctx *)sw_htab_get(&sw->ctx, key, n);
    if (!c)
        return; /* RFC 3261 18.1.2: no match, discard */
    double now = sw_now(sw);
    int status = m->status;
    struct leg *leg = c->leg;
    if (c->method == BH_SIP_INVITE) {
        if (status < 200) {
            if (c->state == CTX_CALLING)
                c->state = CTX_PROCEEDING;
            c->next_tx = INFINITY; /* A stops; no B once proceeding */
            c->end = INFINITY;
            event_del(&c->timer);
            if (leg)
                sw_leg_response(leg, c->method, m);
            return;
        }
        if (status < 300 && !leg) {
            orphan_2xx(sw, c, m);
            return;
        }
        if (status < 300) {
            /* RFC 6026 7.2: Accepted, absorbing 2xx retransmissions
             * (each is passed on so the leg can resend its ACK). */
            c->state = CTX_ACCEPTED;
            c->next_tx = INFINITY;
            c->end = now + SW_TXN_LIFE;
            arm(&c->timer, now, c->end);
            if (leg)
                sw_leg_response(leg, c->method, m);
            return;
        }
        if (c->state == CTX_COMPLETED) {
            if (c->ack)
                sw_send(sw, &c->peer, c->ack, c->ack_len);
            return;
        }
        ack_non2xx(sw, c, m);
        if (c->ack) {
            sw_send(sw, &c->peer, c->ack, c->ack_len);
            sw->m.requests_out[BH_SWITCH_M_ACK]++;
        }
        c->state = CTX_COMPLETED;
        c->next_tx = INFINITY;
        c->end = now + SW_TXN_LIFE; /* timer D (>= 32 s) */
        arm(&c->timer, now, c->end);
        if (leg)
            sw_leg_response(leg, c->method, m);
        sw_leg_ctx_gone(c);
        return;
    }
    if (status < 200) {
        c->state = CTX_PROCEEDING;
        return;
    }
    /* Final: the leg learns it; timer K (T4) would only absorb copies of
     * this final, which then match nothing and are dropped the same. */
    sw_ctx_free(c);
    if (leg)
        sw_leg_response(leg, m->cseq_method, m);
}
