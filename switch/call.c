/* call.c: calls to multichannel numbers: lines, IVR, the ACD queue,
 * operator legs (the switch is a back-to-back user agent), dialogs,
 * BYE in both directions, and the CDR written when a call ends. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
copy_str(char *dst, size_t size, struct bh_str s) {
    size_t n = s.len < size - 1 ? s.len : size - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static void
dialog_add(struct bh_switch *sw, struct leg *leg) {
    int n = snprintf(leg->dkey, sizeof leg->dkey, "%s\001%s", leg->call_id,
                     leg->local_tag);
    leg->dnode.key = leg->dkey;
    leg->dnode.klen = n < 0 ? 0 : (size_t)n;
    sw_htab_put(&sw->dialogs, &leg->dnode);
}

static void
dialog_del(struct bh_switch *sw, struct leg *leg) {
    if (leg->dnode.key) {
        sw_htab_del(&sw->dialogs, &leg->dnode);
        leg->dnode.key = NULL;
    }
}

struct leg *
sw_dialog_find(struct bh_switch *sw, const struct bh_sip_msg *m) {
    /* Our tag is in To of every request the peer sends in a dialog,
     * whether we answered (caller legs) or called (operator legs). */
    char key[SW_CALLID_MAX + SW_TAG_MAX];
    int n = snprintf(key, sizeof key, "%.*s\001%.*s", (int)m->call_id.len,
                     m->call_id.p, (int)m->to.tag.len, m->to.tag.p);
    if (n < 0 || (size_t)n >= sizeof key)
        return NULL;
    struct sw_hnode *x = sw_htab_get(&sw->dialogs, key, (size_t)n);
    if (!x)
        return NULL;
    return (struct leg *)((char *)x - offsetof(struct leg, dnode));
}

static struct call *
call_by_id(struct bh_switch *sw, uint64_t id) {
    char key[24];
    int n = snprintf(key, sizeof key, "%llu", (unsigned long long)id);
    struct sw_hnode *x = sw_htab_get(&sw->calls, key, (size_t)n);
    return x ? (struct call *)((char *)x - offsetof(struct call, node)) : NULL;
}

/* ---- requests we send in a dialog --------------------------------------- */

/* Builds and sends BYE, UPDATE or CANCEL for a leg. CANCEL reuses the
 * INVITE's branch and CSeq number (RFC 3261 9.1). */
static void
leg_request(struct bh_switch *sw, struct leg *leg, enum bh_sip_method method,
            const char *extra) {
    char branch[BH_SIP_TOKEN_MAX];
    uint32_t cseq;
    if (method == BH_SIP_CANCEL) {
        if (!leg->invite_ctx)
            return;
        snprintf(branch, sizeof branch, "%s", leg->invite_ctx->branch);
        cseq = leg->invite_cseq;
    } else {
        bh_sip_make_branch(branch, sw_random(sw));
        cseq = ++leg->local_cseq;
    }
    char buf[4096];
    struct bh_sip_builder b;
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_request(
        &b, method, NULL,
        bh_str_make(leg->remote_target, strlen(leg->remote_target)));
    bh_sip_build_via(&b, "UDP",
                     bh_str_make(sw->local_host, strlen(sw->local_host)),
                     sw->local_port, bh_str_make(branch, strlen(branch)), 1);
    bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
    if (leg->route[0]) /* RFC 3261 12.2.1.1 */
        bh_sip_build_header(&b, "Route",
                            bh_str_make(leg->route, strlen(leg->route)));
    bh_sip_build_nameaddr(&b, "From", BH_STR_NULL,
                          bh_str_make(leg->local_uri, strlen(leg->local_uri)),
                          bh_str_make(leg->local_tag, strlen(leg->local_tag)));
    /* A CANCEL's To is the INVITE's: no tag (9.1). */
    bh_sip_build_nameaddr(
        &b, "To", BH_STR_NULL,
        bh_str_make(leg->remote_uri, strlen(leg->remote_uri)),
        method == BH_SIP_CANCEL
            ? BH_STR_NULL
            : bh_str_make(leg->remote_tag, strlen(leg->remote_tag)));
    bh_sip_build_header(&b, "Call-ID",
                        bh_str_make(leg->call_id, strlen(leg->call_id)));
    bh_sip_build_cseq(&b, cseq, method, NULL);
    if (method == BH_SIP_UPDATE)
        bh_sip_build_headerf(&b, "Contact", "<sip:switch@%s:%u>",
                             sw->local_host, (unsigned)sw->local_port);
    if (extra)
        bh_sip_build_header(&b, extra[0] == 'S' ? "Subject" : "Reason",
                            bh_str_make(extra + 2, strlen(extra + 2)));
    int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    if (n <= 0)
        return;
    /* The transaction outlives the leg when the call is ending: it is
     * detached (leg NULL) and only retransmits and times out. */
    sw_ctx_send(sw, leg, method, branch, &leg->peer, buf, (size_t)n);
}

/* ---- CDRs --------------------------------------------------------------- */

static void
cdr_add(struct bh_switch *sw, const struct call *c, double end) {
    if (!sw->cdr)
        return;
    struct bh_cdr_row row;
    memset(&row, 0, sizeof row);
    struct bh_call_record *r = &row.rec;
    r->id = c->id;
    r->target_kind = BH_TARGET_NUMBER;
    r->target = c->num ? (uint16_t)c->num->index : 0;
    r->plan = -1;
    r->attempt = 1;
    r->outcome = (uint8_t)c->outcome;
    r->payer = c->num ? (uint8_t)c->num->cfg->payer : 0;
    r->arrival = c->arrival;
    r->answer = c->answer;
    r->connect = c->connect;
    r->end = end;
    r->wait = 0;
    if (c->queued >= 0) {
        double until = c->connect >= 0 ? c->connect : end;
        r->wait = until - c->queued;
    }
    r->talk = c->connect >= 0 ? end - c->connect : 0;
    r->line = c->line;
    r->agent = c->op;
    if (c->num)
        snprintf(row.number, sizeof row.number, "%s", c->num->cfg->name);
    snprintf(row.called, sizeof row.called, "%s", c->called);
    snprintf(row.caller, sizeof row.caller, "%s", c->from_user);
    snprintf(row.call_id, sizeof row.call_id, "%s", c->caller.call_id);
    row.status = c->final_status;
    /* Committed at the end of this event-loop turn, with the other calls
     * that ended in it (one transaction). */
    if (bh_cdr_put(sw->cdr, &row, BH_CDR_ENDED) < 0)
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

/* ---- call lifetime ------------------------------------------------------ */

static void number_kick(struct number *n);

static void
leg_free(struct bh_switch *sw, struct leg *leg) {
    dialog_del(sw, leg);
    sw_play_stop(sw, leg);
    sw_rtp_close(sw, leg);
    while (leg->ctxs)
        sw_ctx_detach(leg->ctxs);
    if (leg->reinv) {
        leg->reinv->reinv = NULL;
        leg->reinv = NULL;
    }
    free(leg->ack);
    leg->ack = NULL;
}

/* Detaches every client transaction of a leg: they keep retransmitting
 * and time out on their own, and their responses go nowhere. */
static void
detach_ctx(struct bh_switch *sw, struct leg *leg) {
    while (leg->ctxs)
        sw_ctx_detach(leg->ctxs);
}

static void
op_leg_end(struct bh_switch *sw, struct call *c, struct leg *leg) {
    /* Hang up or stop ringing: BYE in a dialog, CANCEL before it. */
    if (leg->state == LEG_CONFIRMED)
        leg_request(sw, leg, BH_SIP_BYE, NULL);
    else if (leg->state == LEG_EARLY)
        leg_request(sw, leg, BH_SIP_CANCEL, NULL);
    leg->state = LEG_DONE;
}

static void
unlink_op(struct call *c, struct leg *leg) {
    for (struct leg **p = &c->ops; *p; p = &(*p)->next)
        if (*p == leg) {
            *p = leg->next;
            return;
        }
}

static void
op_leg_destroy(struct bh_switch *sw, struct call *c, struct leg *leg) {
    unlink_op(c, leg);
    detach_ctx(sw, leg);
    leg_free(sw, leg);
    free(leg);
}

/* Ends a call: the CDR, the line, the operator's wrap-up, both legs. */
static void
call_end(struct bh_switch *sw, struct call *c, enum bh_outcome outcome,
         int bye_caller, const char *reason) {
    if (c->state == CALL_ENDED)
        return;
    double now = sw_now(sw);
    int was_waiting = c->state == CALL_WAITING;
    c->state = CALL_ENDED;
    c->outcome = outcome;
    struct number *n = c->num;
    if (n && n->acd) {
        if (was_waiting)
            bh_switch_acd_leave(n->acd, c->id);
        if (c->op >= 0 && bh_switch_acd_op_call(n->acd, c->op) == c->id &&
            bh_switch_acd_op_state(n->acd, c->op) == BH_SWITCH_OP_BUSY)
            bh_switch_acd_hangup(n->acd, c->op, now);
        number_kick(n);
    }
    if (n && c->line >= 0)
        bh_switch_lines_release(n->lines, c->line);
    while (c->ops) {
        struct leg *leg = c->ops;
        if (leg->state != LEG_DONE)
            op_leg_end(sw, c, leg);
        op_leg_destroy(sw, c, leg);
    }
    if (bye_caller && c->caller.state == LEG_CONFIRMED)
        leg_request(sw, &c->caller, BH_SIP_BYE, reason);
    detach_ctx(sw, &c->caller);
    leg_free(sw, &c->caller);
    if (c->ivr_armed)
        event_del(&c->ivr_timer);
    if (c->inv)
        c->inv->call = NULL;
    cdr_add(sw, c, now);
    sw->m.outcomes[outcome]++;
    sw->m.calls_active--;
    sw_htab_del(&sw->calls, &c->node);
    sw_log(sw, "call %llu: %s", (unsigned long long)c->id,
           bh_outcome_name(outcome));
    free(c);
}

/* A rejected INVITE still leaves a CDR (blocked, failed). */
static void
reject_cdr(struct bh_switch *sw, struct number *n, enum bh_outcome outcome,
           int status, double arrival) {
    struct call c;
    memset(&c, 0, sizeof c);
    c.id = sw->next_call++;
    c.num = n;
    c.line = -1;
    c.op = -1;
    c.arrival = arrival;
    c.answer = c.connect = c.queued = -1;
    c.outcome = outcome;
    c.final_status = status;
    const struct bh_sip_msg *m = &sw->msg;
    copy_str(c.called, sizeof c.called, m->ruri.user);
    copy_str(c.from_user, sizeof c.from_user, m->from.uri.user);
    copy_str(c.caller.call_id, sizeof c.caller.call_id, m->call_id);
    cdr_add(sw, &c, arrival);
    sw->m.outcomes[outcome]++;
}

/* ---- the caller's INVITE ------------------------------------------------ */

static struct number *
find_number(struct bh_switch *sw, struct bh_str user) {
    for (size_t i = 0; i < sw->nnumbers; i++) {
        const struct bh_sc_number *c = sw->numbers[i].cfg;
        if ((user.len == strlen(c->number) &&
             memcmp(user.p, c->number, user.len) == 0) ||
            (user.len == strlen(c->name) &&
             memcmp(user.p, c->name, user.len) == 0))
            return &sw->numbers[i];
    }
    return NULL;
}

static void on_ivr_timer(evutil_socket_t fd, short what, void *arg);

/* The dialog's route set from Record-Route (RFC 3261 12.1.1: in order for
 * the answering side, 12.1.2: reversed for the calling side), kept as one
 * Route header value. Requests still go to the address the peer's
 * messages came from, which is the first hop: loose routing (;lr) is
 * assumed. A route set too long for the leg is dropped. */
static void
route_set(const struct bh_sip_msg *m, struct leg *leg, int reverse) {
    struct bh_sip_nameaddr rr[BH_SIP_MAX_ROUTE];
    int n = bh_sip_routes(m, BH_SIP_H_RECORD_ROUTE, rr, BH_SIP_MAX_ROUTE);
    size_t at = 0;
    leg->route[0] = '\0';
    for (int i = 0; i < n; i++) {
        const struct bh_sip_nameaddr *r = &rr[reverse ? n - 1 - i : i];
        int k =
            snprintf(leg->route + at, sizeof leg->route - at, "%s<%.*s>%s%.*s",
                     i ? ", " : "", (int)r->uri.raw.len, r->uri.raw.p,
                     r->params.len ? ";" : "", (int)r->params.len, r->params.p);
        if (k < 0 || (size_t)k >= sizeof leg->route - at) {
            leg->route[0] = '\0';
            return;
        }
        at += (size_t)k;
    }
}

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

/* Applies an SDP body (offer or answer) to a leg's media. Returns 0,
 * BH_EUNSUPP (no common codec) or another error. */
static int
leg_media(struct bh_switch *sw, struct leg *leg, const struct bh_sip_msg *m,
          int is_offer, char *answer, size_t asize, size_t *alen) {
    struct bh_sdp sdp;
    if (bh_sdp_parse(m->body.p, m->body.len, &sdp, NULL) < 0)
        return BH_EPARSE;
    struct bh_sdp_plan plan;
    if (is_offer) {
        struct bh_sdp_audio local, ans;
        memset(&local, 0, sizeof local);
        snprintf(local.addr, sizeof local.addr, "%s", sw->media_ip);
        local.port = leg->rtp ? leg->rtp->port : 0;
        local.pt[0] = BH_RTP_PT_PCMU;
        local.pt[1] = BH_RTP_PT_PCMA;
        local.npt = 2;
        local.te_pt = BH_RTP_PT_TELEPHONE_EVENT;
        local.ptime = 20;
        local.dir = BH_SDP_SENDRECV;
        local.sess_id = leg->ssrc;
        local.sess_version = 1;
        int rc = bh_sdp_answer(&sdp, &local, &ans, &plan);
        if (rc < 0)
            return rc;
        int n = bh_sdp_build_audio(answer, asize, &ans);
        if (n < 0)
            return n;
        *alen = (size_t)n;
    } else {
        struct bh_sdp_audio offer;
        memset(&offer, 0, sizeof offer);
        snprintf(offer.addr, sizeof offer.addr, "%s", sw->media_ip);
        offer.port = leg->rtp ? leg->rtp->port : 0;
        offer.pt[0] = BH_RTP_PT_PCMU;
        offer.pt[1] = BH_RTP_PT_PCMA;
        offer.npt = 2;
        offer.te_pt = BH_RTP_PT_TELEPHONE_EVENT;
        int rc = bh_sdp_accept(&sdp, &offer, &plan);
        if (rc < 0)
            return rc;
    }
    leg->pt = plan.pt;
    leg->te_pt = plan.te_pt;
    if (plan.remote_port != 0 &&
        sw_addr_parse(plan.remote_addr, plan.remote_port, &leg->media) == 0)
        leg->have_media = 1;
    return 0;
}

static void route_after_ivr(struct bh_switch *sw, struct call *c);

void
sw_call_invite(struct bh_switch *sw, const struct sw_addr *from) {
    const struct bh_sip_msg *m = &sw->msg;
    struct stx *st = sw->cur;
    double now = sw_now(sw);
    struct number *n = find_number(sw, m->ruri.user);
    if (!n) {
        sw_answer(sw, st, from, WHY_NOT_FOUND, NULL, NULL, NULL, 0);
        return;
    }
    /* RFC 3261 8.2.3: a body we cannot read, or an Accept that rules out
     * the SDP our answer must carry (RFC 4475 3.3.6 invut, 3.3.14
     * sdp01). */
    if (m->body.len > 0 &&
        !media_type_is(m->content_type, "application", "sdp")) {
        sw_answer(sw, st, from, WHY_UNSUPP_MEDIA, NULL, NULL, NULL, 0);
        return;
    }
    if (!accepts_sdp(m)) {
        sw_answer(sw, st, from, WHY_NO_ACCEPT, NULL, NULL, NULL, 0);
        return;
    }
    if (now < sw->overload_until) {
        sw->m.overload_rejected++;
        int s = sw_answer(sw, st, from, WHY_UNAVAILABLE, NULL, NULL, NULL, 0);
        reject_cdr(sw, n, BH_OUTCOME_FAILED, s, now);
        return;
    }
    if (sw->m.calls_active >= BH_SWITCH_MAX_CALLS) {
        int s = sw_answer(sw, st, from, WHY_UNAVAILABLE, NULL, NULL, NULL, 0);
        reject_cdr(sw, n, BH_OUTCOME_FAILED, s, now);
        return;
    }
    /* Lines first come first served: all taken, busy (seed 001). */
    int line = bh_switch_lines_seize(n->lines);
    if (line < 0) {
        int s = sw_answer(sw, st, from, WHY_BUSY, NULL, NULL, NULL, 0);
        reject_cdr(sw, n, BH_OUTCOME_BLOCKED, s, now);
        return;
    }
    struct call *c = calloc(1, sizeof *c);
    if (!c) {
        bh_switch_lines_release(n->lines, line);
        sw_answer(sw, st, from, WHY_SERVER_ERROR, NULL, NULL, NULL, 0);
        return;
    }
    c->id = sw->next_call++;
    c->sw = sw;
    c->num = n;
    c->line = line;
    c->op = -1;
    c->arrival = now;
    c->answer = c->connect = c->queued = -1;
    copy_str(c->called, sizeof c->called, m->ruri.user);
    copy_str(c->from_user, sizeof c->from_user, m->from.uri.user);
    struct leg *leg = &c->caller;
    leg->call = c;
    leg->is_caller = 1;
    leg->op = -1;
    leg->te_pt = -1;
    copy_str(leg->call_id, sizeof leg->call_id, m->call_id);
    copy_str(leg->remote_tag, sizeof leg->remote_tag, m->from.tag);
    copy_str(leg->remote_uri, sizeof leg->remote_uri, m->from.uri.raw);
    copy_str(leg->local_uri, sizeof leg->local_uri, m->to.uri.raw);
    bh_sip_make_tag(leg->local_tag, sw_random(sw));
    leg->ssrc = (uint32_t)sw_random(sw);
    /* In-dialog requests go to the Contact as Request-URI but to the
     * address the INVITE came from: no name is ever resolved, and it
     * works through NAT (RFC 3581 spirit). */
    struct bh_sip_nameaddr contact;
    int star = 0;
    if (bh_sip_contacts(m, &contact, 1, &star) == 1 && !star)
        copy_str(leg->remote_target, sizeof leg->remote_target,
                 contact.uri.raw);
    else
        copy_str(leg->remote_target, sizeof leg->remote_target,
                 m->from.uri.raw);
    sw_response_target(m, from, &leg->peer);
    route_set(m, leg, 0);
    c->node.key = c->idkey;
    c->node.klen = (size_t)snprintf(c->idkey, sizeof c->idkey, "%llu",
                                    (unsigned long long)c->id);
    sw_htab_put(&sw->calls, &c->node);
    sw->m.calls_active++;
    c->inv = st;
    if (st)
        st->call = c;

    char sdp[1024];
    size_t sdplen = 0;
    int rc = sw_rtp_open(sw, leg);
    if (rc == 0 && m->body.len > 0)
        rc = leg_media(sw, leg, m, 1, sdp, sizeof sdp, &sdplen);
    else if (rc == 0) {
        /* No offer: ours goes in the 2xx, the answer in the ACK
         * (RFC 3264 via RFC 3261 13.2.1). */
        static const uint8_t pts[] = {BH_RTP_PT_PCMU, BH_RTP_PT_PCMA};
        int k = sw_sdp_local(sw, leg, sdp, sizeof sdp, pts, 2);
        rc = k < 0 ? k : 0;
        sdplen = k < 0 ? 0 : (size_t)k;
        leg->pt = BH_RTP_PT_PCMU;
    }
    if (rc < 0) {
        enum sw_why why = rc == BH_EUNSUPP || rc == BH_ENOENT
                              ? WHY_NOT_ACCEPTABLE
                          : rc == BH_EPARSE ? WHY_BAD_REQUEST
                                            : WHY_SERVER_ERROR;
        c->final_status =
            sw_answer(sw, st, from, why, leg->local_tag, NULL, NULL, 0);
        call_end(sw, c, BH_OUTCOME_FAILED, 0, NULL);
        return;
    }
    const struct bh_sc_number *cfg = n->cfg;
    /* A queue that is full turns the caller away before answering
     * (max_length: busy, recorded as blocked). */
    if (cfg->queue.present && !cfg->ivr.present) {
        if (bh_switch_acd_enqueue(n->acd, c->id, now) < 0) {
            c->final_status = sw_answer(sw, st, from, WHY_BUSY, leg->local_tag,
                                        NULL, NULL, 0);
            call_end(sw, c, BH_OUTCOME_BLOCKED, 0, NULL);
            return;
        }
        c->queued = now;
    }
    c->final_status =
        sw_answer(sw, st, from, WHY_OK, leg->local_tag, NULL, sdp, sdplen);
    c->answer = now;
    leg->state = LEG_CONFIRMED;
    dialog_add(sw, leg);
    if (cfg->ivr.present) {
        c->state = CALL_IVR;
        bh_dtmf_rx_init(&leg->dtmf);
        sw_play(sw, leg, PLAY_PROMPT);
        evtimer_assign(&c->ivr_timer, sw->base, on_ivr_timer, c);
        double d = cfg->ivr.menu_time > 0 ? cfg->ivr.menu_time : 0;
        struct timeval tv = {(time_t)d, (suseconds_t)((d - floor(d)) * 1e6)};
        evtimer_add(&c->ivr_timer, &tv);
        c->ivr_armed = 1;
    } else if (cfg->queue.present) {
        c->state = CALL_WAITING;
        sw_play(sw, leg, PLAY_MUSIC);
        number_kick(n);
    } else {
        /* No queue: the number answers with its announcement and holds
         * the line until the caller hangs up (seed 003). */
        c->state = CALL_HOLDING;
        c->connect = now;
        sw_play(sw, leg, PLAY_ANNOUNCE);
    }
    /* Sounds start once the caller ACKs: an unconfirmed call (a caller
     * that gave up, an overloaded peer) costs no media until then. */
    if (!leg->acked)
        sw_play_hold(sw, leg, 1);
}

static void
route_after_ivr(struct bh_switch *sw, struct call *c) {
    if (c->state != CALL_IVR)
        return;
    if (c->ivr_armed) {
        event_del(&c->ivr_timer);
        c->ivr_armed = 0;
    }
    double now = sw_now(sw);
    struct number *n = c->num;
    if (n->cfg->queue.present) {
        if (bh_switch_acd_enqueue(n->acd, c->id, now) < 0) {
            call_end(sw, c, BH_OUTCOME_BLOCKED, 1, "R Q.850;cause=17");
            return;
        }
        c->queued = now;
        c->state = CALL_WAITING;
        sw_play(sw, &c->caller, PLAY_MUSIC);
        number_kick(n);
    } else {
        c->state = CALL_HOLDING;
        c->connect = now;
        sw_play(sw, &c->caller, PLAY_ANNOUNCE);
    }
}

static void
on_ivr_timer(evutil_socket_t fd, short what, void *arg) {
    struct call *c = arg;
    struct bh_switch *sw = c->sw;
    c->ivr_armed = 0;
    route_after_ivr(sw, c);
    sw_cdr_flush(sw);
}

/* A DTMF digit from the caller (RFC 4733 event or SIP INFO): during the
 * menu, any digit routes the call. */
static void
call_digit(struct bh_switch *sw, struct call *c, char digit) {
    sw_log(sw, "call %llu: digit %c", (unsigned long long)c->id, digit);
    if (c->state == CALL_IVR)
        route_after_ivr(sw, c);
}

/* ---- the ACD queue drives operator legs ------------------------------- */

static void
ring_operator(struct bh_switch *sw, struct number *n, struct call *c, int k) {
    double now = sw_now(sw);
    struct sw_operator *o = &n->ops[k];
    /* A static contact, or the binding of the account at this position
     * (a literal address only: no DNS). */
    const char *target = o->uri;
    struct sw_addr addr = o->addr;
    if (addr.len == 0 && strncmp(o->uri, "account:", 8) == 0) {
        const char *ct = sw_registered(sw, o->uri + 8);
        if (ct && sw_uri_addr(ct, &addr) == 0)
            target = ct;
    }
    struct leg *leg = calloc(1, sizeof *leg);
    if (!leg || addr.len == 0) {
        free(leg);
        bh_switch_acd_refused(n->acd, k, now);
        number_kick(n);
        return;
    }
    leg->call = c;
    leg->op = k;
    leg->te_pt = -1;
    leg->state = LEG_EARLY;
    bh_sip_make_tag(leg->local_tag, sw_random(sw));
    char cid[BH_SIP_TOKEN_MAX];
    bh_sip_make_tag(cid, sw_random(sw));
    snprintf(leg->call_id, sizeof leg->call_id, "%s@%s", cid, sw->media_ip);
    snprintf(leg->local_uri, sizeof leg->local_uri, "sip:%s@%s:%u",
             c->from_user[0] ? c->from_user : "caller", sw->local_host,
             (unsigned)sw->local_port);
    snprintf(leg->remote_uri, sizeof leg->remote_uri, "%s", target);
    snprintf(leg->remote_target, sizeof leg->remote_target, "%s", target);
    leg->peer = addr;
    leg->ssrc = (uint32_t)sw_random(sw);
    leg->next = c->ops;
    c->ops = leg;
    char sdp[1024];
    int k2 = -1;
    if (sw_rtp_open(sw, leg) == 0) {
        /* Offer the caller's codec first, so that no transcoding is
         * needed when the operator has it too. */
        uint8_t pts[2] = {c->caller.pt, c->caller.pt == BH_RTP_PT_PCMA
                                            ? BH_RTP_PT_PCMU
                                            : BH_RTP_PT_PCMA};
        k2 = sw_sdp_local(sw, leg, sdp, sizeof sdp, pts, 2);
    }
    if (k2 < 0) {
        op_leg_destroy(sw, c, leg);
        bh_switch_acd_refused(n->acd, k, now);
        number_kick(n);
        return;
    }
    char branch[BH_SIP_TOKEN_MAX];
    bh_sip_make_branch(branch, sw_random(sw));
    leg->invite_cseq = leg->local_cseq = 1;
    char buf[4096];
    struct bh_sip_builder b;
    bh_sip_build_init(&b, buf, sizeof buf);
    bh_sip_build_request(&b, BH_SIP_INVITE, NULL,
                         bh_str_make(target, strlen(target)));
    bh_sip_build_via(&b, "UDP",
                     bh_str_make(sw->local_host, strlen(sw->local_host)),
                     sw->local_port, bh_str_make(branch, strlen(branch)), 1);
    bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
    bh_sip_build_nameaddr(&b, "From", BH_STR_NULL,
                          bh_str_make(leg->local_uri, strlen(leg->local_uri)),
                          bh_str_make(leg->local_tag, strlen(leg->local_tag)));
    bh_sip_build_nameaddr(&b, "To", BH_STR_NULL,
                          bh_str_make(target, strlen(target)), BH_STR_NULL);
    bh_sip_build_header(&b, "Call-ID",
                        bh_str_make(leg->call_id, strlen(leg->call_id)));
    bh_sip_build_cseq(&b, 1, BH_SIP_INVITE, NULL);
    bh_sip_build_headerf(&b, "Contact", "<sip:switch@%s:%u>", sw->local_host,
                         (unsigned)sw->local_port);
    bh_sip_build_headerf(&b, "Subject", "%s caller %s", n->cfg->name,
                         c->from_user);
    int len = bh_sip_build_finish(&b, "application/sdp",
                                  bh_str_make(sdp, (size_t)k2));
    if (len <= 0) {
        op_leg_destroy(sw, c, leg);
        bh_switch_acd_refused(n->acd, k, now);
        number_kick(n);
        return;
    }
    dialog_add(sw, leg);
    leg->invite_ctx =
        sw_ctx_send(sw, leg, BH_SIP_INVITE, branch, &addr, buf, (size_t)len);
    sw_log(sw, "call %llu: ringing operator %d", (unsigned long long)c->id, k);
}

static struct leg *
op_leg_of(struct call *c, int k) {
    for (struct leg *l = c->ops; l; l = l->next)
        if (l->op == k)
            return l;
    return NULL;
}

void
sw_number_poll(struct number *n) {
    struct bh_switch *sw = n->sw;
    if (!n->acd)
        return;
    double now = sw_now(sw);
    struct bh_switch_acd_action act[16];
    size_t got;
    /* Bounded: each round handles at most 16 actions, and every action
     * changes an operator or removes a caller. */
    for (int round = 0; round < 10000; round++) {
        got = bh_switch_acd_poll(n->acd, now, act, 16);
        for (size_t i = 0; i < got; i++) {
            struct call *c = call_by_id(sw, act[i].call);
            switch (act[i].kind) {
            case BH_SWITCH_ACD_RING:
                if (c)
                    ring_operator(sw, n, c, act[i].op);
                else /* the caller is gone: give the operator back */
                    bh_switch_acd_refused(n->acd, act[i].op, now);
                break;
            case BH_SWITCH_ACD_CANCEL:
                if (c) {
                    struct leg *l = op_leg_of(c, act[i].op);
                    if (l) {
                        op_leg_end(sw, c, l);
                        op_leg_destroy(sw, c, l);
                    }
                }
                break;
            case BH_SWITCH_ACD_OVERFLOW:
                /* max_wait: busy for the caller (Q.850 cause 17). */
                if (c)
                    call_end(sw, c, BH_OUTCOME_OVERFLOW, 1,
                             "R Q.850;cause=17;text=\"max wait\"");
                break;
            }
        }
        if (got < 16)
            break;
    }
    double d = bh_switch_acd_deadline(n->acd);
    if (isfinite(d) || d < 0) {
        double wait = d - sw_now(sw);
        if (wait < 0)
            wait = 0;
        if (isinf(d))
            wait = 0;
        struct timeval tv = {(time_t)wait,
                             (suseconds_t)((wait - floor(wait)) * 1e6)};
        evtimer_add(&n->acd_timer, &tv);
        n->acd_armed = 1;
    }
}

static void
number_kick(struct number *n) {
    if (!n->acd || n->sw->stopping)
        return;
    struct timeval tv = {0, 0};
    evtimer_add(&n->acd_timer, &tv);
    n->acd_armed = 1;
}

/* ---- responses to what we sent ---------------------------------------- */

static void
send_ack_2xx(struct bh_switch *sw, struct leg *leg) {
    /* RFC 3261 13.2.2.4: the ACK for a 2xx is a new transaction with
     * the INVITE's CSeq number, sent to the remote target; it is resent
     * for every retransmitted 2xx. */
    if (!leg->ack) {
        char branch[BH_SIP_TOKEN_MAX];
        bh_sip_make_branch(branch, sw_random(sw));
        char buf[2048];
        struct bh_sip_builder b;
        bh_sip_build_init(&b, buf, sizeof buf);
        bh_sip_build_request(
            &b, BH_SIP_ACK, NULL,
            bh_str_make(leg->remote_target, strlen(leg->remote_target)));
        bh_sip_build_via(
            &b, "UDP", bh_str_make(sw->local_host, strlen(sw->local_host)),
            sw->local_port, bh_str_make(branch, strlen(branch)), 1);
        bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
        if (leg->route[0]) /* RFC 3261 12.2.1.1 */
            bh_sip_build_header(&b, "Route",
                                bh_str_make(leg->route, strlen(leg->route)));
        bh_sip_build_nameaddr(
            &b, "From", BH_STR_NULL,
            bh_str_make(leg->local_uri, strlen(leg->local_uri)),
            bh_str_make(leg->local_tag, strlen(leg->local_tag)));
        bh_sip_build_nameaddr(
            &b, "To", BH_STR_NULL,
            bh_str_make(leg->remote_uri, strlen(leg->remote_uri)),
            bh_str_make(leg->remote_tag, strlen(leg->remote_tag)));
        bh_sip_build_header(&b, "Call-ID",
                            bh_str_make(leg->call_id, strlen(leg->call_id)));
        bh_sip_build_cseq(&b, leg->invite_cseq, BH_SIP_ACK, NULL);
        int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
        if (n <= 0)
            return;
        leg->ack = malloc((size_t)n);
        if (!leg->ack)
            return;
        memcpy(leg->ack, buf, (size_t)n);
        leg->ack_len = (size_t)n;
    }
    sw_send(sw, &leg->peer, leg->ack, leg->ack_len);
    sw->m.requests_out[BH_SWITCH_M_ACK]++;
}

static void
operator_answered(struct bh_switch *sw, struct call *c, struct leg *leg,
                  const struct bh_sip_msg *m) {
    struct number *n = c->num;
    double now = sw_now(sw);
    copy_str(leg->remote_tag, sizeof leg->remote_tag, m->to.tag);
    struct bh_sip_nameaddr contact;
    int star = 0;
    if (bh_sip_contacts(m, &contact, 1, &star) == 1 && !star)
        copy_str(leg->remote_target, sizeof leg->remote_target,
                 contact.uri.raw);
    route_set(m, leg, 1);
    leg->state = LEG_CONFIRMED;
    send_ack_2xx(sw, leg);
    int usable =
        m->body.len > 0 && leg_media(sw, leg, m, 0, NULL, 0, NULL) == 0;
    if (c->state != CALL_WAITING ||
        bh_switch_acd_op_state(n->acd, leg->op) != BH_SWITCH_OP_RINGING ||
        bh_switch_acd_op_call(n->acd, leg->op) != c->id || !usable) {
        /* Too late (another operator won, the caller left) or no usable
         * media: hang up this operator. */
        if (bh_switch_acd_op_call(n->acd, leg->op) == c->id &&
            bh_switch_acd_op_state(n->acd, leg->op) == BH_SWITCH_OP_RINGING)
            bh_switch_acd_refused(n->acd, leg->op, now);
        op_leg_end(sw, c, leg);
        op_leg_destroy(sw, c, leg);
        number_kick(n);
        return;
    }
    struct bh_switch_acd_action act[64];
    int k = bh_switch_acd_answered(n->acd, leg->op, now, act, 64);
    for (int i = 0; i < k; i++) {
        struct leg *other = op_leg_of(c, act[i].op);
        if (other && other != leg) {
            op_leg_end(sw, c, other);
            op_leg_destroy(sw, c, other);
        }
    }
    c->state = CALL_CONNECTED;
    c->op = leg->op;
    c->connect = now;
    sw_play_stop(sw, &c->caller);
    /* Tell the caller the operator is on the line: an UPDATE in the
     * dialog (RFC 3311) naming the operator, as a connected-party
     * indication (in the spirit of RFC 4916). */
    char subj[96];
    snprintf(subj, sizeof subj, "S connected to operator %d", leg->op);
    leg_request(sw, &c->caller, BH_SIP_UPDATE, subj);
    sw_log(sw, "call %llu: operator %d answered after %.3f s",
           (unsigned long long)c->id, leg->op, now - c->queued);
    number_kick(n);
}

void
sw_leg_response(struct leg *leg, enum bh_sip_method method,
                const struct bh_sip_msg *m) {
    struct call *c = leg->call;
    struct bh_switch *sw = c->sw;
    if (method != BH_SIP_INVITE || leg->is_caller)
        return; /* BYE, CANCEL, UPDATE answers: nothing to do */
    int status = m->status;
    if (status < 200) {
        if (!leg->got_provisional) {
            leg->got_provisional = 1;
            if (leg->cancel_pending)
                leg_request(sw, leg, BH_SIP_CANCEL, NULL);
        }
        return;
    }
    if (status < 300) {
        if (leg->state == LEG_CONFIRMED) {
            send_ack_2xx(sw, leg); /* retransmitted 2xx */
            return;
        }
        operator_answered(sw, c, leg, m);
        return;
    }
    /* Refused (busy, declined, 487 after our CANCEL...): the operator
     * rests and the caller waits on. */
    struct number *n = c->num;
    if (n->acd && bh_switch_acd_op_call(n->acd, leg->op) == c->id &&
        bh_switch_acd_op_state(n->acd, leg->op) == BH_SWITCH_OP_RINGING)
        bh_switch_acd_refused(n->acd, leg->op, sw_now(sw));
    leg->state = LEG_DONE;
    op_leg_destroy(sw, c, leg);
    number_kick(n);
}

void
sw_leg_timeout(struct leg *leg, enum bh_sip_method method) {
    struct call *c = leg->call;
    struct bh_switch *sw = c->sw;
    if (method == BH_SIP_INVITE && !leg->is_caller) {
        /* Timer B: the operator never answered at all. */
        struct number *n = c->num;
        if (n->acd && bh_switch_acd_op_call(n->acd, leg->op) == c->id &&
            bh_switch_acd_op_state(n->acd, leg->op) == BH_SWITCH_OP_RINGING)
            bh_switch_acd_refused(n->acd, leg->op, sw_now(sw));
        leg->state = LEG_DONE;
        op_leg_destroy(sw, c, leg);
        number_kick(n);
        return;
    }
    if (method == BH_SIP_BYE && c->state != CALL_ENDED) {
        /* The peer vanished (timer F on our BYE): nothing to wait for. */
        return;
    }
}

void
sw_call_ack_timeout(struct call *c) {
    /* RFC 3261 13.3.1.4: no ACK for our 2xx within 64*T1: end the
     * dialog with BYE. */
    if (c->caller.acked || c->state == CALL_ENDED)
        return;
    call_end(c->sw, c, BH_OUTCOME_FAILED, 1, NULL);
}

void
sw_call_acked(struct call *c) {
    c->caller.acked = 1;
    sw_play_hold(c->sw, &c->caller, 0);
    if (c->inv)
        sw_stx_ack(c->inv);
}

/* ---- requests in a dialog ---------------------------------------------- */

static int
info_digit(const struct bh_sip_msg *m, char *digit) {
    /* application/dtmf-relay ("Signal=5") or application/dtmf ("5"). */
    const char *p = m->body.p, *end = p + m->body.len;
    if (m->body.len == 0)
        return 0;
    const char *s = NULL;
    for (const char *q = p; q + 7 <= end; q++)
        if (strncasecmp(q, "signal=", 7) == 0) {
            s = q + 7;
            break;
        }
    if (!s)
        s = p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s < end && bh_dtmf_from_char(*s) >= 0) {
        *digit = *s;
        return 1;
    }
    return 0;
}

void
sw_call_in_dialog(struct bh_switch *sw, const struct sw_addr *from,
                  struct leg *leg) {
    const struct bh_sip_msg *m = &sw->msg;
    struct stx *st = sw->cur;
    struct call *c = leg->call;
    switch (m->method) {
    case BH_SIP_ACK:
        if (leg->reinv) {
            sw_stx_ack(leg->reinv); /* the ACK of a re-INVITE's 2xx */
            leg->reinv->reinv = NULL;
            leg->reinv = NULL;
            return;
        }
        if (leg->is_caller) {
            if (!leg->acked && m->body.len > 0) {
                /* The answer to the offer in our 2xx. */
                leg_media(sw, leg, m, 0, NULL, 0, NULL);
            }
            sw_call_acked(c);
        }
        return;
    case BH_SIP_BYE:
        sw_answer(sw, st, from, WHY_OK, NULL, NULL, NULL, 0);
        leg->state = LEG_DONE;
        if (leg->is_caller) {
            /* The caller hung up: while waiting it abandoned (with or
             * without IVR when a queue follows). */
            enum bh_outcome o = BH_OUTCOME_ANSWERED;
            if (c->state == CALL_WAITING ||
                (c->state == CALL_IVR && c->num->cfg->queue.present))
                o = BH_OUTCOME_ABANDONED;
            call_end(sw, c, o, 0, NULL);
        } else {
            /* The operator hung up: the call ends for the caller too. */
            if (c->state == CALL_CONNECTED && c->op == leg->op)
                call_end(sw, c, BH_OUTCOME_ANSWERED, 1, NULL);
            else
                op_leg_destroy(sw, c, leg);
        }
        return;
    case BH_SIP_INFO: {
        char d;
        sw_answer(sw, st, from, WHY_OK, NULL, NULL, NULL, 0);
        if (leg->is_caller && info_digit(m, &d))
            call_digit(sw, c, d);
        return;
    }
    case BH_SIP_INVITE:
    case BH_SIP_UPDATE: {
        /* Re-INVITE / UPDATE: a new offer (hold, codec change) or a
         * session refresh; media stays anchored here. */
        char sdp[1024];
        size_t sdplen = 0;
        int rc = 0;
        if (m->body.len > 0)
            rc = leg_media(sw, leg, m, 1, sdp, sizeof sdp, &sdplen);
        else {
            uint8_t pts[1] = {leg->pt};
            int k = sw_sdp_local(sw, leg, sdp, sizeof sdp, pts, 1);
            sdplen = k > 0 ? (size_t)k : 0;
        }
        if (rc < 0) {
            sw_answer(sw, st, from, WHY_NOT_ACCEPTABLE, NULL, NULL, NULL, 0);
            return;
        }
        sw_answer(sw, st, from, WHY_OK, NULL, NULL, sdplen ? sdp : NULL,
                  sdplen);
        if (m->method == BH_SIP_INVITE && st) {
            /* Its 2xx is resent until the ACK, which arrives in the
             * dialog (13.3.1.4); no ACK only ends the transaction. */
            st->call = NULL;
            if (leg->reinv)
                leg->reinv->reinv = NULL;
            leg->reinv = st;
            st->reinv = leg;
        }
        return;
    }
    default:
        sw_answer(sw, st, from, WHY_OK, NULL, NULL, NULL, 0);
        return;
    }
}

void
sw_call_cancel(struct bh_switch *sw, const struct sw_addr *from) {
    /* RFC 3261 9.2: CANCEL matches the INVITE's server transaction. The
     * switch answers INVITEs at once, so there is nothing left to cancel
     * by the time a CANCEL arrives: 200 for the CANCEL, and the call
     * goes on (the caller sends BYE). */
    const struct bh_sip_msg *m = &sw->msg;
    struct stx *inv = sw_stx_find(sw, m, 1);
    if (!inv) {
        sw_answer(sw, sw->cur, from, WHY_NO_TXN, NULL, NULL, NULL, 0);
        return;
    }
    const char *tag = inv->call ? inv->call->caller.local_tag : NULL;
    sw_answer(sw, sw->cur, from, WHY_OK, tag, NULL, NULL, 0);
}

void
sw_media_digit(struct bh_switch *sw, struct leg *leg, char digit) {
    if (leg->is_caller)
        call_digit(sw, leg->call, digit);
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
    for (size_t i = 0; i < k; i++) {
        struct call *c = all[i];
        enum bh_outcome o =
            c->state == CALL_CONNECTED || c->state == CALL_HOLDING
                ? BH_OUTCOME_ANSWERED
                : BH_OUTCOME_FAILED;
        call_end(sw, c, o, 1, "R SIP;cause=503;text=\"shutting down\"");
    }
    free(all);
}
