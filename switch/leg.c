/* leg.c: legs and their dialogs: the dialog table, requests we send in a
 * dialog (BYE, UPDATE, CANCEL, the ACK for a 2xx), outgoing INVITE legs
 * and their responses, and the requests a peer sends in a dialog (ACK,
 * BYE, INFO, re-INVITE, UPDATE). */
#include "call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the dialog table ---------------------------------------------------- */

void
sw_dialog_add(struct bh_switch *sw, struct leg *leg) {
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
     * whether we answered (caller legs) or called (outgoing legs). */
    char key[SW_CALLID_MAX + SW_TAG_MAX];
    int n = snprintf(key, sizeof key, "%.*s\001%.*s", (int)m->call_id.len,
                     m->call_id.p, (int)m->to.tag.len, m->to.tag.p);
    if (n < 0 || (size_t)n >= sizeof key)
        return NULL;
    struct sw_hnode *x = sw_htab_get(&sw->dialogs, key, (size_t)n);
    if (!x)
        return NULL;
    struct leg *leg = (struct leg *)((char *)x - offsetof(struct leg, dnode));
    /* RFC 3261 12.2.2: a dialog is its Call-ID and both tags; a request
     * whose From tag is not the peer's (a BYE forged from elsewhere) is
     * in no dialog of ours (481). The tag is compared as kept (cut to
     * SW_TAG_MAX - 1 bytes). */
    char tag[SW_TAG_MAX];
    sw_copy_str(tag, sizeof tag, m->from.tag);
    if (strcmp(tag, leg->remote_tag) != 0)
        return NULL;
    return leg;
}

/* The dialog's route set from Record-Route (RFC 3261 12.1.1: in order for
 * the answering side, 12.1.2: reversed for the calling side), kept as one
 * Route header value. Requests still go to the address the peer's
 * messages came from, which is the first hop: loose routing (;lr) is
 * assumed. A route set too long for the leg is dropped. */
void
sw_leg_route_set(const struct bh_sip_msg *m, struct leg *leg, int reverse) {
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

/* ---- the media of a leg -------------------------------------------------- */

int
sw_leg_sdp(struct bh_switch *sw, struct leg *leg, const struct bh_sip_msg *m,
           int is_offer, char *answer, size_t asize, size_t *alen) {
    struct bh_sdp sdp;
    if (bh_sdp_parse(m->body.p, m->body.len, &sdp, NULL) < 0)
        return BH_EPARSE;
    /* What we can receive: either G.711 law and RFC 4733 events. */
    struct bh_sdp_audio local;
    memset(&local, 0, sizeof local);
    snprintf(local.addr, sizeof local.addr, "%s", sw->media_ip);
    local.port = leg->rtp ? leg->rtp->port : 0;
    local.pt[0] = BH_RTP_PT_PCMU;
    local.pt[1] = BH_RTP_PT_PCMA;
    local.npt = 2;
    local.te_pt = BH_RTP_PT_TELEPHONE_EVENT;
    struct bh_sdp_plan plan;
    if (is_offer) {
        struct bh_sdp_audio ans;
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
        int rc = bh_sdp_accept(&sdp, &local, &plan);
        if (rc < 0)
            return rc;
    }
    leg->pt = plan.pt;
    leg->te_pt = plan.te_pt;
    leg->on_hold = plan.hold;
    if (plan.remote_port != 0 &&
        sw_addr_parse(plan.remote_addr, plan.remote_port, &leg->media) == 0)
        leg->have_media = 1;
    return 0;
}

/* ---- requests we send in a dialog ---------------------------------------- */

/* The lines every request of the leg starts with, through CSeq: the
 * Request-URI (the remote target), our Via with the branch, Max-Forwards,
 * the route set (RFC 3261 12.2.1.1), From with our tag, To with the
 * peer's (none yet for an INVITE; a CANCEL's To is the INVITE's, 9.1),
 * Call-ID. */
static void
build_head(struct bh_switch *sw, struct bh_sip_builder *b, struct leg *leg,
           enum bh_sip_method method, const char *branch, uint32_t cseq) {
    bh_sip_build_request(
        b, method, NULL,
        bh_str_make(leg->remote_target, strlen(leg->remote_target)));
    bh_sip_build_via(b, "UDP",
                     bh_str_make(sw->local_host, strlen(sw->local_host)),
                     sw->local_port, bh_str_make(branch, strlen(branch)), 1);
    bh_sip_build_header(b, "Max-Forwards", BH_STR_LIT("70"));
    if (leg->route[0])
        bh_sip_build_header(b, "Route",
                            bh_str_make(leg->route, strlen(leg->route)));
    bh_sip_build_nameaddr(b, "From", BH_STR_NULL,
                          bh_str_make(leg->local_uri, strlen(leg->local_uri)),
                          bh_str_make(leg->local_tag, strlen(leg->local_tag)));
    bh_sip_build_nameaddr(
        b, "To", BH_STR_NULL,
        bh_str_make(leg->remote_uri, strlen(leg->remote_uri)),
        method == BH_SIP_CANCEL
            ? BH_STR_NULL
            : bh_str_make(leg->remote_tag, strlen(leg->remote_tag)));
    bh_sip_build_header(b, "Call-ID",
                        bh_str_make(leg->call_id, strlen(leg->call_id)));
    bh_sip_build_cseq(b, cseq, method, NULL);
}

/* A client transaction of the leg: it receives the responses. */
static struct ctx *
leg_send(struct leg *leg, enum bh_sip_method method, const char *branch,
         const char *buf, size_t len) {
    struct bh_switch *sw = leg->call->sw;
    struct ctx *c = sw_ctx_new(sw, leg, method, branch, &leg->peer, buf, len);
    if (!c)
        return NULL;
    c->leg_next = leg->ctxs;
    leg->ctxs = c;
    /* A BYE ends a call: it goes out once the call's row is committed
     * (group commit, call.c). */
    if (method == BH_SIP_BYE && sw->cdr)
        sw_hold(sw, &c->held);
    else
        sw_ctx_start(c);
    return c;
}

void
sw_leg_request(struct leg *leg, enum bh_sip_method method, const char *hname,
               const char *hvalue) {
    struct bh_switch *sw = leg->call->sw;
    /* CANCEL reuses the INVITE's branch and CSeq number (RFC 3261 9.1). */
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
    build_head(sw, &b, leg, method, branch, cseq);
    if (method == BH_SIP_UPDATE)
        bh_sip_build_headerf(&b, "Contact", "<sip:switch@%s:%u>",
                             sw->local_host, (unsigned)sw->local_port);
    if (hname && hvalue)
        bh_sip_build_header(&b, hname, bh_str_make(hvalue, strlen(hvalue)));
    int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    if (n <= 0)
        return;
    /* The transaction outlives the leg when the call is ending: it is
     * detached (leg NULL) and only retransmits and times out. */
    leg_send(leg, method, branch, buf, (size_t)n);
}

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
        build_head(sw, &b, leg, BH_SIP_ACK, branch, leg->invite_cseq);
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

/* ---- a leg's lifetime ---------------------------------------------------- */

void
sw_leg_ctx_gone(struct ctx *c) {
    struct leg *leg = c->leg;
    if (!leg)
        return;
    if (leg->invite_ctx == c)
        leg->invite_ctx = NULL;
    for (struct ctx **p = &leg->ctxs; *p; p = &(*p)->leg_next)
        if (*p == c) {
            *p = c->leg_next;
            break;
        }
    c->leg = NULL;
    c->leg_next = NULL;
}

void
sw_leg_free(struct bh_switch *sw, struct leg *leg) {
    dialog_del(sw, leg);
    sw_play_stop(sw, leg);
    sw_leg_attach(leg, NULL, NULL);
    sw_leg_inband_stop(leg);
    sw_rtp_close(sw, leg);
    /* Its client transactions keep retransmitting and time out on their
     * own; their responses go nowhere. */
    while (leg->ctxs)
        sw_leg_ctx_gone(leg->ctxs);
    if (leg->reinv) {
        leg->reinv->reinv = NULL;
        leg->reinv = NULL;
    }
    free(leg->ack);
    leg->ack = NULL;
}

/* Unlinks an outgoing leg from its call and frees it. */
static void
leg_destroy(struct leg *leg) {
    struct call *c = leg->call;
    for (struct leg **p = &c->legs; *p; p = &(*p)->next)
        if (*p == leg) {
            *p = leg->next;
            break;
        }
    sw_leg_free(c->sw, leg);
    free(leg);
}

void
sw_leg_end(struct leg *leg) {
    /* Hang up or stop ringing: BYE in a dialog, CANCEL before it. */
    if (leg->state == LEG_CONFIRMED)
        sw_leg_request(leg, BH_SIP_BYE, NULL, NULL);
    else if (leg->state == LEG_EARLY)
        sw_leg_request(leg, BH_SIP_CANCEL, NULL, NULL);
    leg->state = LEG_DONE;
    leg_destroy(leg);
}

struct leg *
sw_leg_find(struct call *c, int slot) {
    for (struct leg *l = c->legs; l; l = l->next)
        if (l->slot == slot)
            return l;
    return NULL;
}

/* ---- outgoing INVITE legs ------------------------------------------------ */

/* A new outgoing leg with its dialog identity (our tag, a Call-ID of its
 * own: the switch is a back-to-back user agent) and its RTP socket. */
static struct leg *
leg_new(struct call *c, int slot, const struct sw_invite *inv) {
    struct bh_switch *sw = c->sw;
    struct leg *leg = calloc(1, sizeof *leg);
    if (!leg)
        return NULL;
    leg->call = c;
    leg->slot = slot;
    leg->te_pt = -1;
    leg->state = LEG_EARLY;
    bh_sip_make_tag(leg->local_tag, sw_random(sw));
    char cid[BH_SIP_TOKEN_MAX];
    bh_sip_make_tag(cid, sw_random(sw));
    snprintf(leg->call_id, sizeof leg->call_id, "%s@%s", cid, sw->media_ip);
    snprintf(leg->local_uri, sizeof leg->local_uri, "sip:%s@%s:%u",
             c->from_user[0] ? c->from_user : "caller", sw->local_host,
             (unsigned)sw->local_port);
    snprintf(leg->remote_uri, sizeof leg->remote_uri, "%s", inv->target);
    snprintf(leg->remote_target, sizeof leg->remote_target, "%s", inv->target);
    leg->peer = *inv->addr;
    leg->ssrc = (uint32_t)sw_random(sw);
    leg->next = c->legs;
    c->legs = leg;
    if (sw_rtp_open(sw, leg) < 0) {
        leg_destroy(leg);
        return NULL;
    }
    return leg;
}

struct leg *
sw_leg_invite(struct call *c, int slot, const struct sw_invite *inv) {
    struct bh_switch *sw = c->sw;
    struct leg *leg = leg_new(c, slot, inv);
    if (!leg)
        return NULL;
    /* Offer the caller's codec first, so that no transcoding is needed
     * when the peer has it too. */
    uint8_t pts[2] = {c->caller.pt, c->caller.pt == BH_RTP_PT_PCMA
                                        ? BH_RTP_PT_PCMU
                                        : BH_RTP_PT_PCMA};
    char sdp[1024];
    int sdplen = sw_sdp_local(sw, leg, sdp, sizeof sdp, pts, 2);
    char branch[BH_SIP_TOKEN_MAX];
    bh_sip_make_branch(branch, sw_random(sw));
    leg->invite_cseq = leg->local_cseq = 1;
    char buf[4096];
    struct bh_sip_builder b;
    bh_sip_build_init(&b, buf, sizeof buf);
    build_head(sw, &b, leg, BH_SIP_INVITE, branch, leg->invite_cseq);
    bh_sip_build_headerf(&b, "Contact", "<sip:switch@%s:%u>", sw->local_host,
                         (unsigned)sw->local_port);
    if (inv->subject)
        bh_sip_build_header(&b, "Subject",
                            bh_str_make(inv->subject, strlen(inv->subject)));
    int len = sdplen < 0
                  ? -1
                  : bh_sip_build_finish(&b, "application/sdp",
                                        bh_str_make(sdp, (size_t)sdplen));
    if (len <= 0) {
        leg_destroy(leg);
        return NULL;
    }
    sw_dialog_add(sw, leg);
    leg->invite_ctx = leg_send(leg, BH_SIP_INVITE, branch, buf, (size_t)len);
    return leg;
}

/* A 2xx to our INVITE: the dialog is up (RFC 3261 12.1.2: remote tag,
 * target from Contact, route set reversed); ACK it, apply its SDP, and
 * let the service decide. */
static void
leg_answered(struct bh_switch *sw, struct leg *leg,
             const struct bh_sip_msg *m) {
    struct call *c = leg->call;
    sw_copy_str(leg->remote_tag, sizeof leg->remote_tag, m->to.tag);
    struct bh_sip_nameaddr contact;
    int star = 0;
    if (bh_sip_contacts(m, &contact, 1, &star) == 1 && !star)
        sw_copy_str(leg->remote_target, sizeof leg->remote_target,
                    contact.uri.raw);
    sw_leg_route_set(m, leg, 1);
    leg->state = LEG_CONFIRMED;
    send_ack_2xx(sw, leg);
    int usable =
        m->body.len > 0 && sw_leg_sdp(sw, leg, m, 0, NULL, 0, NULL) == 0;
    c->svc->ops->on_leg_answered(c, leg, usable);
}

/* The outgoing leg failed before it answered: the core frees it, then
 * tells the service (which may end the call). */
static void
leg_failed(struct leg *leg, int status) {
    struct call *c = leg->call;
    c->leg_status = status;
    int slot = leg->slot;
    leg->state = LEG_DONE;
    leg_destroy(leg);
    c->svc->ops->on_leg_failed(c, slot);
}

void
sw_leg_response(struct leg *leg, enum bh_sip_method method,
                const struct bh_sip_msg *m) {
    struct bh_switch *sw = leg->call->sw;
    if (method == BH_SIP_UPDATE && leg->is_caller && m->status >= 200) {
        sw_call_refresh_answered(leg->call, m->status);
        return;
    }
    if (method != BH_SIP_INVITE || leg->is_caller)
        return; /* BYE, CANCEL answers: nothing to do */
    if (m->status < 200)
        return; /* ringing: the service's ring timeout runs on its own */
    if (m->status >= 300) {
        /* Busy, declined, 487 after our CANCEL ... */
        leg_failed(leg, m->status);
        return;
    }
    if (leg->state == LEG_CONFIRMED)
        send_ack_2xx(sw, leg); /* a retransmitted 2xx */
    else
        leg_answered(sw, leg, m);
}

void
sw_leg_timeout(struct leg *leg, enum bh_sip_method method) {
    /* Timer B: the peer never answered our INVITE at all. A BYE that
     * timed out (timer F) leaves nothing to wait for. */
    if (method == BH_SIP_INVITE && !leg->is_caller)
        leg_failed(leg, 408);
    else if (method == BH_SIP_UPDATE && leg->is_caller)
        sw_call_refresh_answered(leg->call, 0); /* RFC 4028 10 */
}

/* ---- requests a peer sends in a dialog ----------------------------------- */

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

/* An ACK in the dialog: of a re-INVITE's 2xx, or of the caller's INVITE
 * (with the SDP answer when our 2xx carried the offer). */
static void
dialog_ack(const struct sw_req *req, struct leg *leg) {
    if (leg->reinv) {
        sw_stx_ack(leg->reinv);
        leg->reinv->reinv = NULL;
        leg->reinv = NULL;
        return;
    }
    if (!leg->is_caller)
        return;
    if (!leg->acked && req->msg->body.len > 0)
        sw_leg_sdp(req->sw, leg, req->msg, 0, NULL, 0, NULL);
    sw_call_acked(leg->call);
}

/* The peer hung up (RFC 3261 15.1.2): 200, and the call or the leg ends. */
static void
dialog_bye(const struct sw_req *req, struct leg *leg) {
    struct call *c = leg->call;
    leg->state = LEG_DONE;
    if (leg->is_caller && c->svc->ops->on_caller_bye &&
        c->svc->ops->on_caller_bye(c)) {
        /* The service goes on without the caller: nothing more comes
         * from it, and it is not refreshed. */
        c->guard.rtp_on = 0;
        c->guard.se = 0;
    } else if (leg->is_caller) {
        sw_call_end(c, SW_END_CALLER_BYE, NULL);
    } else {
        int slot = leg->slot;
        if (c->svc->ops->on_leg_leaving)
            c->svc->ops->on_leg_leaving(c, leg);
        leg_destroy(leg);
        c->svc->ops->on_leg_ended(c, slot);
    }
    /* After the call's row is queued: the 200 waits for its commit. */
    sw_reply(req, WHY_OK);
}

/* Re-INVITE / UPDATE: a new offer (hold, codec change) or a session
 * refresh; media stays anchored here. */
static void
dialog_offer(const struct sw_req *req, struct leg *leg) {
    const struct bh_sip_msg *m = req->msg;
    struct stx *st = req->st;
    char sdp[1024];
    size_t sdplen = 0;
    int rc = 0;
    /* RFC 4028 8.1: an interval below our Min-SE: 422, the offer unused. */
    if (leg->is_caller && sw_call_session_refused(req))
        return;
    if (m->body.len > 0) {
        rc = sw_leg_sdp(req->sw, leg, m, 1, sdp, sizeof sdp, &sdplen);
    } else {
        uint8_t pts[1] = {leg->pt};
        int k = sw_sdp_local(req->sw, leg, sdp, sizeof sdp, pts, 1);
        sdplen = k > 0 ? (size_t)k : 0;
    }
    if (rc < 0) {
        sw_reply(req, WHY_NOT_ACCEPTABLE);
        return;
    }
    char extra[128] = "";
    if (leg->is_caller) {
        /* RFC 4028 10: its 2xx refreshes the session; a new offer may
         * hold or resume the media. */
        sw_call_session_refresh(leg->call, req, extra, sizeof extra);
        sw_call_media_changed(leg->call);
    }
    sw_answer(req, WHY_OK, NULL, extra, sdplen ? sdp : NULL, sdplen);
    if (m->method == BH_SIP_INVITE && st) {
        /* Its 2xx is resent until the ACK, which arrives in the dialog
         * (13.3.1.4); no ACK only ends the transaction. */
        st->call = NULL;
        if (leg->reinv)
            leg->reinv->reinv = NULL;
        leg->reinv = st;
        st->reinv = leg;
    }
}

void
sw_call_in_dialog(const struct sw_req *req, struct leg *leg) {
    switch (req->msg->method) {
    case BH_SIP_ACK:
        dialog_ack(req, leg);
        return;
    case BH_SIP_BYE:
        dialog_bye(req, leg);
        return;
    case BH_SIP_INFO: {
        char d;
        sw_reply(req, WHY_OK);
        if ((leg->digits & SW_DIGITS_INFO) && info_digit(req->msg, &d))
            sw_leg_digit(leg, d);
        return;
    }
    case BH_SIP_INVITE:
    case BH_SIP_UPDATE:
        dialog_offer(req, leg);
        return;
    default:
        sw_reply(req, WHY_OK);
        return;
    }
}
