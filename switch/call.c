/* call.c: calls: a new INVITE handed to the service its Request-URI names,
 * the caller's leg from answer to BYE, the call's end (once, whatever ends
 * it), its timer, CANCEL, shutdown, and the CDR rows of a loop turn. */
#include "call.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- CDRs --------------------------------------------------------------- */

void
sw_call_record(struct bh_switch *sw, const struct bh_cdr_row *row) {
    if (row->rec.outcome < BH_OUTCOME_COUNT)
        sw->m.outcomes[row->rec.outcome]++;
    if (!sw->cdr)
        return;
    /* Committed at the end of this event-loop turn, with the other calls
     * that ended in it (one transaction). */
    if (bh_cdr_put(sw->cdr, row, BH_CDR_ENDED) < 0)
        fprintf(stderr, "busyhour switch: CDR queue full, row lost\n");
    event_active(sw->flush_ev, 0, 0);
}

void
sw_cdr_flush(struct bh_switch *sw) {
    if (!sw->cdr)
        return;
    if (bh_cdr_flush(sw->cdr, sw_now(sw), NULL) < 0) {
        struct bh_cdr_stats st;
        bh_cdr_stats(sw->cdr, &st);
        fprintf(stderr,
                "busyhour switch: CDR write failed (%s), %llu rows kept\n",
                st.last_error, (unsigned long long)st.pending);
    }
}

/* ---- a new INVITE -------------------------------------------------------- */

/* "type/subtype[;params]" equals type/subtype, case-insensitive. */
static int
media_type_is(struct bh_str ct, const char *type, const char *sub) {
    size_t tl = strlen(type), sl = strlen(sub);
    const char *p = ct.p, *end = ct.p + ct.len;
    if (ct.len < tl + 1 + sl || strncasecmp(p, type, tl) != 0)
        return 0;
    p += tl;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p != '/')
        return 0;
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if ((size_t)(end - p) < sl || strncasecmp(p, sub, sl) != 0)
        return 0;
    p += sl;
    return p == end || *p == ';' || *p == ' ' || *p == '\t';
}

/* RFC 3261 20.1: no Accept means application/sdp; otherwise one of its
 * entries must cover it (application/sdp, application/ *, * / *). */
static int
accepts_sdp(const struct bh_sip_msg *m) {
    const struct bh_sip_header *h = NULL;
    int any = 0;
    while ((h = bh_sip_header_find(m, "Accept", h)) != NULL) {
        any = 1;
        const char *p = h->value.p, *end = p + h->value.len;
        if (h->value.len == 0)
            return 0;
        while (p < end) {
            const char *e = memchr(p, ',', (size_t)(end - p));
            if (!e)
                e = end;
            while (p < e &&
                   (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
                p++;
            struct bh_str one = bh_str_make(p, (size_t)(e - p));
            if (media_type_is(one, "application", "sdp") ||
                media_type_is(one, "application", "*") ||
                media_type_is(one, "*", "*"))
                return 1;
            p = e + 1;
        }
    }
    return !any;
}

void
sw_call_invite(const struct sw_req *req) {
    struct bh_switch *sw = req->sw;
    const struct bh_sip_msg *m = req->msg;
    /* The target the Request-URI names, asked of each service in turn. */
    struct sw_service *svc = NULL;
    void *target = NULL;
    for (size_t i = 0; i < sw->nservices && !target; i++) {
        svc = &sw->services[i];
        target = svc->ops->match(svc, m->ruri.user);
    }
    if (!target) {
        sw_reply(req, WHY_NOT_FOUND);
        return;
    }
    /* RFC 3261 8.2.3: a body we cannot read, or an Accept that rules out
     * the SDP our answer must carry (RFC 4475 3.3.6 invut, 3.3.14
     * sdp01). */
    if (m->body.len > 0 &&
        !media_type_is(m->content_type, "application", "sdp")) {
        sw_reply(req, WHY_UNSUPP_MEDIA);
        return;
    }
    if (!accepts_sdp(m)) {
        sw_reply(req, WHY_NO_ACCEPT);
        return;
    }
    /* Overloaded (media.c's tick runs late) or at the bound of calls:
     * 503 before the service spends anything on it. */
    int overloaded = sw_now(sw) < sw->overload_until;
    if (overloaded || sw->m.calls_active >= BH_SWITCH_MAX_CALLS) {
        if (overloaded)
            sw->m.overload_rejected++;
        int s = sw_reply(req, WHY_UNAVAILABLE);
        svc->ops->on_refused(svc, target, req, s, BH_OUTCOME_FAILED);
        return;
    }
    svc->ops->on_invite(svc, target, req);
}

static void on_call_timer(evutil_socket_t fd, short what, void *arg);

struct call *
sw_call_new(const struct sw_req *req, struct sw_service *svc, size_t size) {
    struct bh_switch *sw = req->sw;
    const struct bh_sip_msg *m = req->msg;
    struct call *c = calloc(1, size);
    if (!c)
        return NULL;
    c->id = sw->next_call++;
    c->sw = sw;
    c->svc = svc;
    c->arrival = sw_now(sw);
    c->answer = -1;
    sw_copy_str(c->called, sizeof c->called, m->ruri.user);
    sw_copy_str(c->from_user, sizeof c->from_user, m->from.uri.user);
    evtimer_assign(&c->timer, sw->base, on_call_timer, c);
    struct leg *leg = &c->caller;
    leg->call = c;
    leg->is_caller = 1;
    leg->slot = -1;
    leg->te_pt = -1;
    sw_copy_str(leg->call_id, sizeof leg->call_id, m->call_id);
    sw_copy_str(leg->remote_tag, sizeof leg->remote_tag, m->from.tag);
    sw_copy_str(leg->remote_uri, sizeof leg->remote_uri, m->from.uri.raw);
    sw_copy_str(leg->local_uri, sizeof leg->local_uri, m->to.uri.raw);
    bh_sip_make_tag(leg->local_tag, sw_random(sw));
    leg->ssrc = (uint32_t)sw_random(sw);
    /* In-dialog requests go to the Contact as Request-URI but to the
     * address the INVITE came from: no name is ever resolved, and it
     * works through NAT (RFC 3581 spirit). */
    struct bh_sip_nameaddr contact;
    int star = 0;
    if (bh_sip_contacts(m, &contact, 1, &star) == 1 && !star)
        sw_copy_str(leg->remote_target, sizeof leg->remote_target,
                    contact.uri.raw);
    else
        sw_copy_str(leg->remote_target, sizeof leg->remote_target,
                    m->from.uri.raw);
    sw_response_target(m, &req->from, &leg->peer);
    sw_leg_route_set(m, leg, 0);
    c->node.key = c->idkey;
    c->node.klen = (size_t)snprintf(c->idkey, sizeof c->idkey, "%llu",
                                    (unsigned long long)c->id);
    sw_htab_put(&sw->calls, &c->node);
    sw->m.calls_active++;
    c->inv = req->st;
    if (req->st)
        req->st->call = c;
    return c;
}

int
sw_call_negotiate(struct call *c, const struct sw_req *req, char *sdp,
                  size_t size, size_t *len) {
    struct bh_switch *sw = c->sw;
    struct leg *leg = &c->caller;
    *len = 0;
    int rc = sw_rtp_open(sw, leg);
    if (rc == 0 && req->msg->body.len > 0) {
        rc = sw_leg_sdp(sw, leg, req->msg, 1, sdp, size, len);
    } else if (rc == 0) {
        /* No offer: ours goes in the 2xx, the answer in the ACK
         * (RFC 3264 via RFC 3261 13.2.1). */
        static const uint8_t pts[] = {BH_RTP_PT_PCMU, BH_RTP_PT_PCMA};
        int k = sw_sdp_local(sw, leg, sdp, size, pts, 2);
        rc = k < 0 ? k : 0;
        *len = k < 0 ? 0 : (size_t)k;
        leg->pt = BH_RTP_PT_PCMU;
    }
    if (rc < 0)
        sw_call_refuse(c, req,
                       rc == BH_EUNSUPP || rc == BH_ENOENT ? WHY_NOT_ACCEPTABLE
                       : rc == BH_EPARSE                   ? WHY_BAD_REQUEST
                                                           : WHY_SERVER_ERROR);
    return rc;
}

int
sw_call_refuse(struct call *c, const struct sw_req *req, enum sw_why why) {
    c->final_status = sw_answer(req, why, c->caller.local_tag, NULL, NULL, 0);
    return c->final_status;
}

void
sw_call_answer(struct call *c, const struct sw_req *req, const char *sdp,
               size_t len) {
    struct leg *leg = &c->caller;
    c->final_status = sw_answer(req, WHY_OK, leg->local_tag, NULL, sdp, len);
    c->answer = sw_now(c->sw);
    leg->state = LEG_CONFIRMED;
    sw_dialog_add(c->sw, leg);
    /* Sounds start once the caller ACKs: an unconfirmed call (a caller
     * that gave up, an overloaded peer) costs no media until then. */
    if (!leg->acked)
        sw_play_hold(c->sw, leg, 1);
}

void
sw_call_acked(struct call *c) {
    c->caller.acked = 1;
    sw_play_hold(c->sw, &c->caller, 0);
    if (c->inv)
        sw_stx_ack(c->inv);
}

/* ---- the call's end ------------------------------------------------------ */

void
sw_call_end(struct call *c, enum sw_end why, const char *reason) {
    if (c->ended)
        return;
    struct bh_switch *sw = c->sw;
    c->ended = 1;
    sw_call_disarm(c);
    c->svc->ops->on_end(c, why);
    while (c->legs)
        sw_leg_end(c->legs);
    if (c->caller.state == LEG_CONFIRMED)
        sw_leg_request(&c->caller, BH_SIP_BYE, reason ? "Reason" : NULL,
                       reason);
    sw_leg_free(sw, &c->caller);
    if (c->inv)
        c->inv->call = NULL;
    sw->m.calls_active--;
    sw_htab_del(&sw->calls, &c->node);
    free(c);
}

void
sw_call_ack_timeout(struct call *c) {
    /* RFC 3261 13.3.1.4: no ACK for our 2xx within 64*T1: end the
     * dialog with BYE. */
    if (!c->caller.acked)
        sw_call_end(c, SW_END_NO_ACK, NULL);
}

void
sw_call_stx_gone(struct stx *st) {
    if (st->call && st->call->inv == st)
        st->call->inv = NULL;
    if (st->reinv && st->reinv->reinv == st)
        st->reinv->reinv = NULL;
}

struct call *
sw_call_find(struct bh_switch *sw, uint64_t id) {
    char key[24];
    int n = snprintf(key, sizeof key, "%llu", (unsigned long long)id);
    struct sw_hnode *x = sw_htab_get(&sw->calls, key, (size_t)n);
    return x ? (struct call *)((char *)x - offsetof(struct call, node)) : NULL;
}

void
sw_calls_shutdown(struct bh_switch *sw) {
    /* End every call with BYE; collected first, since ending a call
     * changes the table. */
    size_t n = sw->calls.n, k = 0;
    struct call **all = calloc(n + 1, sizeof *all);
    if (!all)
        return;
    for (size_t i = 0; i < sw->calls.nb; i++)
        for (struct sw_hnode *x = sw->calls.b[i]; x && k < n; x = x->next)
            all[k++] = (struct call *)((char *)x - offsetof(struct call, node));
    for (size_t i = 0; i < k; i++)
        sw_call_end(all[i], SW_END_SHUTDOWN,
                    "SIP;cause=503;text=\"shutting down\"");
    free(all);
}

/* ---- what services hear about a call ------------------------------------- */

static void
on_call_timer(evutil_socket_t fd, short what, void *arg) {
    struct call *c = arg;
    struct bh_switch *sw = c->sw;
    c->timer_armed = 0;
    c->svc->ops->on_timer(c);
    sw_cdr_flush(sw);
}

void
sw_call_arm(struct call *c, double seconds) {
    sw_timer_in(&c->timer, seconds);
    c->timer_armed = 1;
}

void
sw_call_disarm(struct call *c) {
    if (c->timer_armed) {
        event_del(&c->timer);
        c->timer_armed = 0;
    }
}

void
sw_leg_digit(struct leg *leg, char digit) {
    struct call *c = leg->call;
    sw_log(c->sw, "call %llu: digit %c", (unsigned long long)c->id, digit);
    c->svc->ops->on_digit(c, leg, digit);
}

void
sw_call_cancel(const struct sw_req *req) {
    /* RFC 3261 9.2: CANCEL matches the INVITE's server transaction. The
     * switch answers INVITEs at once, so there is nothing left to cancel
     * by the time a CANCEL arrives: 200 for the CANCEL, and the call
     * goes on (the caller sends BYE). */
    struct stx *inv = sw_stx_find(req->sw, req->msg, 1);
    if (!inv) {
        sw_reply(req, WHY_NO_TXN);
        return;
    }
    const char *tag = inv->call ? inv->call->caller.local_tag : NULL;
    sw_answer(req, WHY_OK, tag, NULL, NULL, 0);
}
