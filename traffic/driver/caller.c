/* caller.c: one arrival as a SIP user agent client (RFC 3261): INVITE
 * with an SDP offer, provisional and final answers, ACK, the IVR digit,
 * waiting in the queue with patience, talking for the holding time, BYE
 * or CANCEL; retransmissions by timers A/B and E/F; the call's record. */
#include "driver_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 4096

static double
scaled(const struct bh_driver *d, double scenario_s) {
    return scenario_s / d->speed;
}

/* ---- slots --------------------------------------------------------------- */

static void on_timer(evutil_socket_t fd, short what, void *arg);

static struct drv_call *
call_alloc(struct bh_driver *d) {
    struct drv_call *c = d->free_list;
    if (c) {
        d->free_list = c->next_free;
    } else {
        if (d->ncalls == d->cap) {
            size_t cap = d->cap ? 2 * d->cap : 256;
            struct drv_call **v = realloc(d->calls, cap * sizeof *v);
            if (!v)
                return NULL;
            d->calls = v;
            d->cap = cap;
        }
        c = calloc(1, sizeof *c);
        if (!c)
            return NULL;
        c->slot = (uint32_t)d->ncalls;
        d->calls[d->ncalls++] = c;
    }
    uint32_t slot = c->slot, gen = c->gen + 1;
    memset(c, 0, sizeof *c);
    c->slot = slot;
    c->gen = gen;
    c->d = d;
    c->m.fd = -1;
    c->agent = -1;
    c->mos_out = NAN;
    c->t_op_answer = c->t_op_end = -1;
    c->t_100 = c->t_180 = c->t_200 = c->t_queue = c->t_connect = -1;
    c->rtx_at = c->req_dead = c->act_at = INFINITY;
    evtimer_assign(&c->timer, d->base, on_timer, c);
    return c;
}

static void
call_release(struct drv_call *c) {
    struct bh_driver *d = c->d;
    evtimer_del(&c->timer);
    drv_media_close(&c->m);
    free(c->req);
    c->req = NULL;
    c->state = CALL_FREE;
    c->next_free = d->free_list;
    d->free_list = c;
}

void
drv_call_rearm(struct drv_call *c) {
    double at = c->act_at;
    if (c->req && c->rtx_at < at)
        at = c->rtx_at;
    if (c->req_dead < at)
        at = c->req_dead;
    evtimer_del(&c->timer);
    if (isfinite(at)) {
        double dt = at - drv_now(c->d);
        if (dt < 0)
            dt = 0;
        struct timeval tv = {(time_t)dt, (suseconds_t)((dt - floor(dt)) * 1e6)};
        evtimer_add(&c->timer, &tv);
    }
}

/* ---- building requests -----------------------------------------------------
 */

/* RFC 3261 22.2 with RFC 2617: a dialer's INVITE answers the switch's
 * last challenge, its nonce reused with a growing nonce count (one
 * challenge, not one per call; a stale nonce is challenged again). */
static void
authorize(struct drv_call *c, struct bh_sip_builder *b) {
    struct bh_driver *d = c->d;
    const struct bh_sc_account *acc = &d->sc->sw.accounts[d->dial_account];
    struct bh_digest_challenge ch;
    if (bh_digest_parse_challenge(
            bh_str_make(d->dial_chal, strlen(d->dial_chal)), &ch) != 0)
        return;
    char cred[1024], cnonce[BH_SIP_TOKEN_MAX];
    bh_sip_make_tag(cnonce, drv_random(d));
    int n = bh_digest_build_credentials(
        cred, sizeof cred, &ch, bh_str_make(acc->user, strlen(acc->user)),
        bh_str_make(acc->password, strlen(acc->password)), BH_STR_LIT("INVITE"),
        bh_str_make(c->ruri, strlen(c->ruri)),
        bh_str_make(cnonce, strlen(cnonce)), ++d->dial_nc);
    if (n > 0)
        bh_sip_build_header(b, "Authorization", bh_str_make(cred, (size_t)n));
}

/* A request of the call's dialog (or its INVITE transaction: CANCEL and
 * the ACK of a failure reuse the INVITE's branch, RFC 3261 9.1, 17.1.1.3).
 * Returns its length or < 0. */
static int
build(struct drv_call *c, enum bh_sip_method method, uint32_t cseq,
      const char *branch, const char *ruri, int with_to_tag, int with_sdp,
      char *out, size_t size) {
    struct bh_driver *d = c->d;
    struct bh_sip_builder b;
    bh_sip_build_init(&b, out, size);
    bh_sip_build_request(&b, method, NULL, bh_str_make(ruri, strlen(ruri)));
    bh_sip_build_via(&b, "UDP",
                     bh_str_make(d->local_host, strlen(d->local_host)),
                     d->sip_port, bh_str_make(branch, strlen(branch)), 1);
    bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
    char uri[DRV_URI_MAX];
    /* a dialer's attempt comes from its account (the trunk's toll-fraud
     * guard wants the caller to be the account it authenticates) */
    snprintf(uri, sizeof uri, "sip:%s@%s",
             c->campaign ? d->sc->sw.accounts[d->dial_account].user : c->user,
             d->local_host);
    bh_sip_build_nameaddr(&b, "From", BH_STR_NULL,
                          bh_str_make(uri, strlen(uri)),
                          bh_str_make(c->from_tag, strlen(c->from_tag)));
    bh_sip_build_nameaddr(
        &b, "To", BH_STR_NULL, bh_str_make(c->ruri, strlen(c->ruri)),
        with_to_tag ? bh_str_make(c->to_tag, strlen(c->to_tag)) : BH_STR_NULL);
    bh_sip_build_header(&b, "Call-ID",
                        bh_str_make(c->call_id, strlen(c->call_id)));
    bh_sip_build_cseq(&b, cseq, method, NULL);
    if (method == BH_SIP_INVITE) {
        snprintf(uri, sizeof uri, "sip:%s@%s:%u", c->user, d->local_host,
                 d->sip_port);
        bh_sip_build_nameaddr(&b, "Contact", BH_STR_NULL,
                              bh_str_make(uri, strlen(uri)), BH_STR_NULL);
        bh_sip_build_header(
            &b, "Allow",
            BH_STR_LIT("INVITE, ACK, BYE, CANCEL, UPDATE, INFO, OPTIONS"));
        if (c->campaign && d->dial_chal[0])
            authorize(c, &b);
    }
    char sdp[1024];
    int sdplen = 0;
    if (with_sdp && (sdplen = drv_media_sdp(&c->m, sdp, sizeof sdp)) < 0)
        return sdplen;
    return bh_sip_build_finish(&b, "application/sdp",
                               bh_str_make(sdp, (size_t)sdplen));
}

/* Sends a request that waits for its answer, retransmitted until then
 * (INVITE: timer A doubling; others: timer E capped at T2). */
static void
send_request(struct drv_call *c, const char *msg, int len) {
    struct bh_driver *d = c->d;
    free(c->req);
    c->req = malloc((size_t)len);
    if (c->req) {
        memcpy(c->req, msg, (size_t)len);
        c->req_len = (size_t)len;
    }
    double now = drv_now(d);
    drv_sip_send(d, msg, (size_t)len);
    c->rtx_gap = DRV_T1;
    c->rtx_at = now + DRV_T1;
    c->req_dead = now + DRV_TIMER_B;
    drv_call_rearm(c);
}

static void
request_done(struct drv_call *c) {
    free(c->req);
    c->req = NULL;
    c->rtx_at = c->req_dead = INFINITY;
}

static void
send_ack(struct drv_call *c, int success) {
    char msg[MSG_MAX];
    char branch[BH_SIP_TOKEN_MAX];
    if (success)
        bh_sip_make_branch(branch, drv_random(c->d));
    int len = build(c, BH_SIP_ACK, c->invite_cseq, success ? branch : c->branch,
                    success && c->remote[0] ? c->remote : c->ruri, 1, 0, msg,
                    sizeof msg);
    if (len > 0)
        drv_sip_send(c->d, msg, (size_t)len);
}

static void
send_bye(struct drv_call *c) {
    char msg[MSG_MAX];
    char branch[BH_SIP_TOKEN_MAX];
    bh_sip_make_branch(branch, drv_random(c->d));
    int len = build(c, BH_SIP_BYE, ++c->cseq, branch,
                    c->remote[0] ? c->remote : c->ruri, 1, 0, msg, sizeof msg);
    c->state = CALL_BYE_SENT;
    c->act_at = INFINITY;
    c->m.on = 0;
    if (len > 0)
        send_request(c, msg, len);
}

static void
send_cancel(struct drv_call *c) {
    char msg[MSG_MAX];
    int len = build(c, BH_SIP_CANCEL, c->invite_cseq, c->branch, c->ruri, 0, 0,
                    msg, sizeof msg);
    c->state = CALL_CANCELLING;
    c->cancel_wanted = 0;
    c->act_at = INFINITY;
    if (len > 0)
        send_request(c, msg, len);
}

static void
respond(struct drv_call *c, const struct bh_sip_msg *m, int status,
        int with_sdp) {
    char msg[MSG_MAX], sdp[1024];
    struct bh_sip_builder b;
    bh_sip_build_init(&b, msg, sizeof msg);
    bh_sip_build_response(&b, m, status, NULL, BH_STR_NULL);
    int sdplen = 0;
    if (with_sdp) {
        char uri[DRV_URI_MAX];
        snprintf(uri, sizeof uri, "sip:%s@%s:%u", c->user, c->d->local_host,
                 c->d->sip_port);
        bh_sip_build_nameaddr(&b, "Contact", BH_STR_NULL,
                              bh_str_make(uri, strlen(uri)), BH_STR_NULL);
        sdplen = drv_media_sdp(&c->m, sdp, sizeof sdp);
        if (sdplen < 0)
            sdplen = 0;
    }
    int len = bh_sip_build_finish(&b, "application/sdp",
                                  bh_str_make(sdp, (size_t)sdplen));
    if (len > 0)
        drv_sip_send(c->d, msg, (size_t)len);
}

/* ---- the end of a call: its record -----------------------------------------
 */

static void
finish(struct drv_call *c, enum bh_outcome o, enum bh_driver_fail f) {
    struct bh_driver *d = c->d;
    double now = drv_now(d);
    /* our operator's hang-up is the call's end; the switch's BYE that
     * tells the caller comes after its commit */
    if (c->t_op_end >= 0 && c->t_op_end < now)
        now = c->t_op_end;
    double sp = d->speed;
    struct bh_driver_call out;
    memset(&out, 0, sizeof out);
    struct bh_call_record *r = &out.rec;
    const struct bh_arrival *a = &c->a;
    r->id = c->id;
    r->replication = 0;
    r->source = a->source;
    r->target_kind = a->target_kind;
    r->target = a->target;
    r->caller_class = a->caller_class;
    r->origin = a->origin;
    r->plan = a->plan;
    r->attempt = a->attempt;
    r->outcome = (uint8_t)o;
    r->payer = (uint8_t)(a->target_kind == BH_TARGET_BRIDGE
                             ? d->sc->sw.bridges[a->target].payer
                             : d->sc->sw.numbers[a->target].payer);
    r->outbound = a->outbound;
    r->subscriber = a->subscriber;
    r->meeting = a->meeting;
    r->arrival = c->t_invite * sp;
    r->answer = c->t_200 >= 0 ? c->t_200 * sp : -1;
    r->connect = c->t_connect >= 0 ? c->t_connect * sp : -1;
    r->end = now * sp;
    if (c->t_queue >= 0)
        r->wait = ((c->t_connect >= 0 ? c->t_connect : now) - c->t_queue) * sp;
    r->talk = c->t_connect >= 0 ? (now - c->t_connect) * sp : 0;
    r->line = -1;
    r->agent = c->agent;
    out.arrival = a;
    snprintf(out.call_id, sizeof out.call_id, "%s", c->call_id);
    out.status = c->status;
    out.fail = o == BH_OUTCOME_FAILED ? f : BH_DRIVER_FAIL_NONE;
    out.late = c->late;
    out.t100 = c->t_100 >= 0 ? c->t_100 - c->t_invite : -1;
    out.t180 = c->t_180 >= 0 ? c->t_180 - c->t_invite : -1;
    out.t200 = c->t_200 >= 0 ? c->t_200 - c->t_invite : -1;
    out.rtp_sent = c->m.sent;
    out.rtp_received = c->m.received;
    out.mos_in = drv_media_mos(&c->m, &out.jitter_ms, &out.rtp_lost);
    out.mos_out = isnan(c->mos_out) ? drv_ops_heard(d, c) : c->mos_out;
    d->st.finished++;
    d->st.outcomes[(int)o < BH_OUTCOME_COUNT ? (int)o : BH_OUTCOME_FAILED]++;
    if (o == BH_OUTCOME_FAILED)
        d->st.failed[f < BH_DRIVER_FAIL_COUNT ? f : BH_DRIVER_FAIL_LOCAL]++;
    d->st.rtp_sent += c->m.sent;
    d->st.rtp_received += c->m.received;
    if (out.rtp_lost > 0)
        d->st.rtp_lost += (uint64_t)out.rtp_lost;
    drv_level(d, c, 0, 0);
    d->st.up--;
    bh_sink_record(d->opt.sink, r);
    if (d->opt.on_call)
        d->opt.on_call(d->opt.call_arg, &out);
    struct bh_arrival copy = *a;
    call_release(c);
    /* the model hears how the attempt ended (retrials, finite sources) */
    if (!d->stopping && bh_driver_sched_finish(d->sched, &copy, o, now)) {
        double due = bh_driver_sched_due(d->sched);
        if (isfinite(due)) {
            double dt = due - now;
            if (dt < 0)
                dt = 0;
            struct timeval tv = {(time_t)dt,
                                 (suseconds_t)((dt - floor(dt)) * 1e6)};
            evtimer_add(&d->sched_ev, &tv);
        }
    }
    drv_maybe_done(d);
}

void
drv_caller_fail(struct drv_call *c, enum bh_driver_fail f) {
    if (c->state == CALL_FREE)
        return;
    /* a call that was talking and is told its target went away ends as
     * it was: its BYE is sent once, not waited for */
    if (c->state == CALL_UP || c->state == CALL_BYE_SENT) {
        if (c->state == CALL_UP) {
            char msg[MSG_MAX];
            char branch[BH_SIP_TOKEN_MAX];
            bh_sip_make_branch(branch, drv_random(c->d));
            int len = build(c, BH_SIP_BYE, ++c->cseq, branch,
                            c->remote[0] ? c->remote : c->ruri, 1, 0, msg,
                            sizeof msg);
            if (len > 0)
                drv_sip_send(c->d, msg, (size_t)len);
        }
    }
    finish(c, BH_OUTCOME_FAILED, f);
}

void
drv_caller_hangup(struct drv_call *c) {
    switch (c->state) {
    case CALL_INVITING:
        c->cancel_wanted = 1;
        c->outcome = BH_OUTCOME_ABANDONED;
        break;
    case CALL_PROCEEDING:
        c->outcome = BH_OUTCOME_ABANDONED;
        send_cancel(c);
        break;
    case CALL_UP:
        c->outcome =
            c->phase == PHASE_TALK ? BH_OUTCOME_ANSWERED : BH_OUTCOME_ABANDONED;
        send_bye(c);
        break;
    default:
        break;
    }
}

/* ---- the start -------------------------------------------------------------
 */

/* Campaign attempts go out through the switch's trunk (switch.trunk):
 * from an account of switch.accounts (the first one no queue rings as an
 * operator, else the last), authenticated by digest, to the trunk's
 * first allowed prefix, so that the switch holds a trunk line for each
 * from dialling to hang-up, as the simulator holds a line of the `via`
 * number. Without a trunk or an account they are not placed. */
void
drv_dialer_init(struct bh_driver *d) {
    const struct bh_sc_switch *sw = &d->sc->sw;
    int any = 0;
    for (size_t i = 0; i < d->sc->nsources; i++)
        any |= d->sc->sources[i].kind == BH_SOURCE_CAMPAIGN;
    d->dial_account = -1;
    if (!any)
        return;
    const char *why = NULL;
    if (!sw->trunk.present)
        why = "the scenario has no switch.trunk to dial out through";
    else if (sw->naccounts == 0)
        why = "switch.accounts has no account to dial out with";
    else if (sw->trunk.nallow == 0)
        why = "switch.trunk allows no prefix";
    if (why) {
        snprintf(d->st.not_driven_why, sizeof d->st.not_driven_why, "%s", why);
        return;
    }
    size_t k = sw->naccounts - 1;
    for (size_t a = 0; a < sw->naccounts; a++) {
        int used = 0;
        for (size_t i = 0; i < sw->nnumbers && !used; i++) {
            const struct bh_sc_queue *q = &sw->numbers[i].queue;
            used = q->present && a >= q->ncontacts && a < (size_t)q->operators;
        }
        if (!used) {
            k = a;
            break;
        }
    }
    d->dial_account = (int)k;
    snprintf(d->dial_prefix, sizeof d->dial_prefix, "%s", sw->trunk.allow[0]);
}

void
drv_caller_start(struct bh_driver *d, const struct bh_arrival *a, double late) {
    d->st.started++;
    d->st.late_sum += late;
    if (late > d->st.late_max)
        d->st.late_max = late;
    if (late > d->opt.late_limit)
        d->st.late++;
    if (a->outbound && d->dial_account < 0) {
        /* no way out through the switch: said in the summary */
        d->st.failed[BH_DRIVER_FAIL_NOT_DRIVEN]++;
        return;
    }
    struct drv_call *c = call_alloc(d);
    if (!c) {
        d->st.failed[BH_DRIVER_FAIL_LOCAL]++;
        return;
    }
    d->st.up++;
    c->state = CALL_INVITING;
    c->a = *a;
    c->id = d->next_id++;
    c->late = late;
    c->t_invite = drv_now(d);
    snprintf(c->user, sizeof c->user, "c%u.%u", c->slot, c->gen);
    snprintf(c->call_id, sizeof c->call_id, "c%u.%u.%016llx@bh", c->slot,
             c->gen, (unsigned long long)drv_random(d));
    bh_sip_make_tag(c->from_tag, drv_random(d));
    bh_sip_make_branch(c->branch, drv_random(d));
    const char *number = a->target_kind == BH_TARGET_BRIDGE
                             ? d->sc->sw.bridges[a->target].number
                             : d->sc->sw.numbers[a->target].number;
    char dialled[BH_SC_MAX_NUMBER + 16];
    if (a->outbound) {
        /* a campaign attempt: an outside number through the trunk, which
         * names this call to our carrier (drv_call_by_dialled) */
        c->campaign = 1;
        snprintf(dialled, sizeof dialled, "%s%0*u%03u", d->dial_prefix,
                 DRV_DIAL_SLOT_DIGITS, c->slot, c->gen % DRV_DIAL_GEN_MOD);
        number = dialled;
    }
    snprintf(c->ruri, sizeof c->ruri, "sip:%s@%s:%u", number, d->target_host,
             d->target_port);
    c->cseq = c->invite_cseq = 1;
    drv_level(d, c, 0, 0);
    if (drv_media_open(d, &c->m, c->id) < 0) {
        finish(c, BH_OUTCOME_FAILED, BH_DRIVER_FAIL_LOCAL);
        return;
    }
    char msg[MSG_MAX];
    int len = build(c, BH_SIP_INVITE, c->invite_cseq, c->branch, c->ruri, 0, 1,
                    msg, sizeof msg);
    if (len < 0) {
        finish(c, BH_OUTCOME_FAILED, BH_DRIVER_FAIL_LOCAL);
        return;
    }
    /* A caller of a number with a queue waits from its INVITE: a switch
     * that rings it while it is queued (a proxy to the operators) makes
     * it wait there; patience runs from then on. */
    if (a->target_kind == BH_TARGET_NUMBER &&
        d->sc->sw.numbers[a->target].queue.present &&
        !d->sc->sw.numbers[a->target].ivr.present && isfinite(a->patience))
        c->act_at = c->t_invite + scaled(d, a->patience);
    send_request(c, msg, len);
}

/* ---- answers to our requests ----------------------------------------------
 */

/* The room a bridge's caller keys, ended by '#': a fixed room's passcode
 * (rooms by meeting), or for open rooms digits of the meeting's id (of
 * passcode_length, else 6), so that one meeting's participants meet. */
static void
passcode(const struct bh_driver *d, struct drv_call *c) {
    const struct bh_sc_bridge *b = &d->sc->sw.bridges[c->a.target];
    uint64_t key = c->a.meeting ? c->a.meeting : (uint64_t)c->a.subscriber + 1;
    if (b->npasscodes > 0) {
        snprintf(c->code, sizeof c->code, "%s#",
                 b->passcodes[key % b->npasscodes]);
        return;
    }
    int len = b->passcode_length > 0 ? b->passcode_length : 6;
    uint64_t x = key * 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < len; i++) {
        c->code[i] = (char)('0' + (int)((x >> 33) % 10));
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    c->code[len] = '#';
    c->code[len + 1] = 0;
}

static void
enter_phase(struct drv_call *c, enum call_phase p, double now) {
    struct bh_driver *d = c->d;
    c->phase = p;
    switch (p) {
    case PHASE_MENU: {
        /* the menu runs from the answer, which the switch gives as the
         * INVITE arrives (its 200 reaches us after its commit) */
        const struct bh_sc_number *n = &d->sc->sw.numbers[c->a.target];
        c->act_at = c->t_invite + scaled(d, n->ivr.menu_time);
        break;
    }
    case PHASE_WAIT: {
        /* without a menu the caller is queued from its INVITE (the
         * switch queues it as it arrives, the simulator at arrival);
         * after a menu, from the menu's end */
        const struct bh_sc_number *n = &d->sc->sw.numbers[c->a.target];
        c->t_queue = n->ivr.present ? now : c->t_invite;
        c->act_at = isfinite(c->a.patience)
                        ? c->t_queue + scaled(d, c->a.patience)
                        : INFINITY;
        break;
    }
    case PHASE_TALK: {
        c->t_connect = now;
        double hold = c->a.holding;
        if (c->a.meeting && !(hold > 0))
            hold = c->a.meeting_end - c->a.t;
        /* tied to our operator, who hangs up at the holding time: the
         * caller hangs up itself only if that never reaches it */
        c->act_at =
            now + scaled(d, hold > 0 ? hold : 0) + (c->tied ? DRV_OP_GRACE : 0);
        break;
    }
    case PHASE_PASSCODE: {
        /* the '#' should reach the bridge when the model's passcode
         * entry is over: the digits start that long before it */
        passcode(d, c);
        double done = c->t_invite + scaled(d, c->a.passcode);
        double start = done - drv_media_digits_time(d, strlen(c->code));
        c->act_at = start > now ? start : now;
        break;
    }
    default:
        c->act_at = INFINITY;
    }
    drv_call_rearm(c);
}

/* The 2xx answered our INVITE: what the number does next. */
static void
answered(struct drv_call *c, const struct bh_sip_msg *m, double now) {
    struct bh_driver *d = c->d;
    struct bh_sdp sdp;
    struct bh_sdp_audio offer;
    struct bh_sdp_plan plan;
    drv_media_local(&c->m, &offer);
    if (bh_sdp_parse(m->body.p, m->body.len, &sdp, NULL) != 0 ||
        bh_sdp_accept(&sdp, &offer, &plan) != 0 ||
        drv_media_start(&c->m, &plan) != 0) {
        c->outcome = BH_OUTCOME_FAILED;
        c->fail = BH_DRIVER_FAIL_BAD_ANSWER;
        send_bye(c);
        return;
    }
    c->state = CALL_UP;
    drv_level(d, c, 1, 0);
    const struct bh_sip_header *op =
        bh_sip_header_find(m, "X-BH-Operator", NULL);
    if (op) {
        /* the 2xx is our operator's own, through a proxy: the caller
         * waited (rang) from its INVITE until now */
        char buf[16];
        snprintf(buf, sizeof buf, "%.*s", (int)op->value.len, op->value.p);
        c->agent = atoi(buf);
        c->t_queue = c->t_invite;
        drv_level(d, c, 1, 1);
        enter_phase(c, PHASE_TALK, now);
        return;
    }
    if (c->campaign) {
        enter_phase(c, PHASE_TALK, now); /* the called party answered */
    } else if (c->a.target_kind == BH_TARGET_NUMBER) {
        const struct bh_sc_number *n = &d->sc->sw.numbers[c->a.target];
        if (n->ivr.present)
            enter_phase(c, PHASE_MENU, now);
        else if (n->queue.present)
            enter_phase(c, PHASE_WAIT, now);
        else
            enter_phase(c, PHASE_TALK, now);
    } else {
        enter_phase(c, PHASE_PASSCODE, now);
    }
}

static enum bh_driver_fail
fail_of(int status) {
    return status >= 600   ? BH_DRIVER_FAIL_STATUS_6XX
           : status >= 500 ? BH_DRIVER_FAIL_STATUS_5XX
                           : BH_DRIVER_FAIL_STATUS_4XX;
}

/* The switch challenged the dialer's INVITE (ACKed already): the same
 * INVITE again with credentials, a new branch and the next CSeq (RFC
 * 3261 22.2); the challenge is kept for the next attempts. 1 when sent,
 * 0 when given up (a second challenge in a row, or none we can read). */
static int
reinvite_authorized(struct drv_call *c, const struct bh_sip_msg *m) {
    struct bh_driver *d = c->d;
    if (c->auth_tries++ >= 2)
        return 0;
    const struct bh_sip_header *h = NULL;
    struct bh_digest_challenge ch;
    const char *name =
        m->status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
    while ((h = bh_sip_header_find(m, name, h)) != NULL)
        if (bh_digest_parse_challenge(h->value, &ch) == 0 &&
            h->value.len < sizeof d->dial_chal)
            break;
    if (!h)
        return 0;
    /* the first challenge we can answer (the switch offers SHA-256, then
     * MD5: RFC 8760 2.4), unless another attempt renewed it already */
    if (strlen(d->dial_chal) != h->value.len ||
        memcmp(d->dial_chal, h->value.p, h->value.len) != 0) {
        memcpy(d->dial_chal, h->value.p, h->value.len);
        d->dial_chal[h->value.len] = 0;
        d->dial_nc = 0;
    }
    c->to_tag[0] = 0;
    c->invite_cseq++;
    c->cseq = c->invite_cseq;
    bh_sip_make_branch(c->branch, drv_random(d));
    c->state = CALL_INVITING;
    char msg[MSG_MAX];
    int len = build(c, BH_SIP_INVITE, c->invite_cseq, c->branch, c->ruri, 0, 1,
                    msg, sizeof msg);
    if (len < 0)
        return 0;
    send_request(c, msg, len);
    return 1;
}

static void
invite_response(struct drv_call *c, const struct bh_sip_msg *m) {
    double now = drv_now(c->d);
    int st = m->status;
    if (m->cseq != c->invite_cseq)
        return; /* the challenged INVITE's, retransmitted */
    if (st < 200) {
        if (st == 100 && c->t_100 < 0)
            c->t_100 = now;
        if (st >= 180 && c->t_180 < 0)
            c->t_180 = now;
        if (c->state == CALL_INVITING) {
            /* RFC 3261 17.1.1.2: a provisional answer stops timer A */
            c->state = CALL_PROCEEDING;
            request_done(c);
            c->req_dead = now + DRV_RING_MAX;
            if (c->cancel_wanted)
                send_cancel(c);
            drv_call_rearm(c);
        }
        return;
    }
    if (st < 300) {
        if (c->state == CALL_UP || c->state == CALL_BYE_SENT) {
            send_ack(c, 1); /* a retransmitted 2xx: ACK it again */
            return;
        }
        c->status = st;
        c->t_200 = now;
        snprintf(c->to_tag, sizeof c->to_tag, "%.*s", (int)m->to.tag.len,
                 m->to.tag.p);
        struct bh_sip_nameaddr ct[1];
        int star = 0;
        if (bh_sip_contacts(m, ct, 1, &star) == 1 &&
            ct[0].uri.raw.len < sizeof c->remote)
            snprintf(c->remote, sizeof c->remote, "%.*s",
                     (int)ct[0].uri.raw.len, ct[0].uri.raw.p);
        request_done(c);
        send_ack(c, 1);
        int cancelled = c->state == CALL_CANCELLING || c->cancel_wanted;
        if (cancelled || c->d->stopping) {
            /* patience ran out as the answer crossed our CANCEL */
            c->outcome = BH_OUTCOME_ABANDONED;
            send_bye(c);
            return;
        }
        answered(c, m, now);
        return;
    }
    /* RFC 3261 17.1.1.3: ACK every final failure */
    if (!c->to_tag[0])
        snprintf(c->to_tag, sizeof c->to_tag, "%.*s", (int)m->to.tag.len,
                 m->to.tag.p);
    send_ack(c, 0);
    if (c->state == CALL_UP || c->state == CALL_BYE_SENT)
        return;
    if ((st == 401 || st == 407) && c->campaign &&
        (c->state == CALL_INVITING || c->state == CALL_PROCEEDING) &&
        reinvite_authorized(c, m))
        return;
    c->status = st;
    if (c->state == CALL_CANCELLING && st == 487) {
        finish(c, BH_OUTCOME_ABANDONED, BH_DRIVER_FAIL_NONE);
        return;
    }
    if (st == 486 || st == 600 || st == 603 || (c->campaign && st == 503))
        /* busy; for the dialer 503 too: no trunk line free (RFC 3398:
         * Q.850 cause 34, no circuit available, is 503) */
        finish(c, BH_OUTCOME_BLOCKED, BH_DRIVER_FAIL_NONE);
    else if (c->campaign && (st == 480 || st == 408))
        finish(c, BH_OUTCOME_UNANSWERED, BH_DRIVER_FAIL_NONE);
    else
        finish(c, BH_OUTCOME_FAILED, fail_of(st));
}

void
drv_caller_response(struct drv_call *c, const struct bh_sip_msg *m) {
    switch (m->cseq_method) {
    case BH_SIP_INVITE:
        invite_response(c, m);
        break;
    case BH_SIP_BYE:
        if (c->state == CALL_BYE_SENT && m->status >= 200 && m->cseq == c->cseq)
            finish(c, c->outcome, c->fail);
        break;
    case BH_SIP_CANCEL:
        if (m->status >= 200 && c->state == CALL_CANCELLING) {
            /* the INVITE's 487 (or 2xx) follows; wait for it a while */
            request_done(c);
            c->req_dead = drv_now(c->d) + DRV_TIMER_B;
            drv_call_rearm(c);
        }
        break;
    default:
        break;
    }
}

/* ---- requests from the target ----------------------------------------------
 */

static int
header_has(const struct bh_sip_msg *m, const char *name, const char *word) {
    const struct bh_sip_header *h = bh_sip_header_find(m, name, NULL);
    if (!h)
        return 0;
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= h->value.len; i++)
        if (strncasecmp(h->value.p + i, word, n) == 0)
            return 1;
    return 0;
}

/* An in-dialog UPDATE (or re-INVITE) naming the operator who answered
 * ("Subject: connected to operator N", switch/README.md). */
static void
maybe_connected(struct drv_call *c, const struct bh_sip_msg *m) {
    if (c->state != CALL_UP ||
        (c->phase != PHASE_WAIT && c->phase != PHASE_MENU))
        return;
    const struct bh_sip_header *h = bh_sip_header_find(m, "Subject", NULL);
    if (!h || h->value.len < 9 || strncasecmp(h->value.p, "connected", 9) != 0)
        return;
    char buf[96];
    snprintf(buf, sizeof buf, "%.*s", (int)h->value.len, h->value.p);
    int op;
    if (sscanf(buf, "connected to operator %d", &op) == 1)
        c->agent = op;
    drv_level(c->d, c, 1, 1);
    enter_phase(c, PHASE_TALK, drv_now(c->d));
    /* our operator's own answer is the connect time: the switch's UPDATE
     * telling us of it comes after its database commit */
    if (c->tied && c->t_op_answer >= 0)
        c->t_connect = c->t_op_answer;
}

/* The target hung up on us: what that means depends on where we were. */
static enum bh_outcome
bye_outcome(struct drv_call *c, const struct bh_sip_msg *m,
            enum bh_driver_fail *f) {
    *f = BH_DRIVER_FAIL_NONE;
    if (c->phase == PHASE_TALK)
        return BH_OUTCOME_ANSWERED;
    /* waiting (or in the menu before a queue): the switch's max_wait is
     * an overflow, a full queue busy (Q.850 cause 17, switch/README.md) */
    if (header_has(m, "Reason", "max wait"))
        return BH_OUTCOME_OVERFLOW;
    if (header_has(m, "Reason", "cause=17"))
        return BH_OUTCOME_BLOCKED;
    *f = BH_DRIVER_FAIL_REMOTE_BYE;
    return BH_OUTCOME_FAILED;
}

void
drv_caller_request(struct drv_call *c, const struct bh_sip_msg *m) {
    switch (m->method) {
    case BH_SIP_ACK:
        return;
    case BH_SIP_BYE: {
        respond(c, m, 200, 0);
        enum bh_driver_fail f = c->fail;
        enum bh_outcome o = c->outcome;
        if (c->state == CALL_UP)
            o = bye_outcome(c, m, &f);
        if (c->state == CALL_UP || c->state == CALL_BYE_SENT)
            finish(c, o, f);
        return;
    }
    case BH_SIP_INVITE:
        respond(c, m, 200, 1);
        maybe_connected(c, m);
        return;
    case BH_SIP_UPDATE:
        respond(c, m, 200, m->body.len > 0);
        maybe_connected(c, m);
        return;
    default:
        respond(c, m, 200, 0);
        return;
    }
}

/* ---- timers ----------------------------------------------------------------
 */

/* The phase's next step is due: the menu's digit, patience, the end of
 * the holding time. */
static void
act(struct drv_call *c, double now) {
    c->act_at = INFINITY;
    if (c->state == CALL_INVITING) {
        /* patience ran out while the INVITE waits: RFC 3261 9.1, no
         * CANCEL before a provisional answer */
        c->cancel_wanted = 1;
        return;
    }
    if (c->state == CALL_PROCEEDING) {
        c->outcome = BH_OUTCOME_ABANDONED;
        send_cancel(c);
        return;
    }
    if (c->state != CALL_UP)
        return;
    switch (c->phase) {
    case PHASE_MENU: {
        const struct bh_sc_number *n = &c->d->sc->sw.numbers[c->a.target];
        /* the caller's choice (ivr options), else any key */
        drv_media_dtmf(&c->m, n->ivr.noptions && c->a.option < n->ivr.noptions
                                  ? n->ivr.options[c->a.option].digit
                                  : '1');
        enter_phase(c, n->queue.present ? PHASE_WAIT : PHASE_TALK, now);
        break;
    }
    case PHASE_WAIT:
        c->outcome = BH_OUTCOME_ABANDONED;
        send_bye(c);
        break;
    case PHASE_PASSCODE:
        if (!c->keyed) {
            c->keyed = 1;
            if (drv_media_digits(&c->m, c->code) == 0) {
                double done = c->t_invite + scaled(c->d, c->a.passcode);
                double sent =
                    now + drv_media_digits_time(c->d, strlen(c->code));
                c->act_at = done > sent ? done : sent;
                break;
            }
            /* no telephone-event agreed: the bridge cannot hear us */
            c->outcome = BH_OUTCOME_FAILED;
            c->fail = BH_DRIVER_FAIL_BAD_ANSWER;
            send_bye(c);
            break;
        }
        /* the '#' is in: the participant is in the room until the
         * meeting's end; it joined when the '#' began (RFC 4733 2.5.2:
         * a receiver acts on an event's first packet) */
        enter_phase(c, PHASE_TALK, now);
        if (c->m.last_key_at >= 0 && c->m.last_key_at <= now)
            c->t_connect = c->m.last_key_at;
        break;
    case PHASE_TALK:
        c->outcome = BH_OUTCOME_ANSWERED;
        send_bye(c);
        break;
    default:
        break;
    }
}

void
drv_caller_timer(struct drv_call *c) {
    struct bh_driver *d = c->d;
    double now = drv_now(d);
    if (now >= c->req_dead) {
        /* timer B / F: no final answer in time */
        c->req_dead = INFINITY;
        switch (c->state) {
        case CALL_BYE_SENT:
            finish(c, c->outcome, c->fail);
            return;
        case CALL_CANCELLING:
            finish(c, c->outcome, c->fail);
            return;
        case CALL_PROCEEDING:
            /* rang too long: give up as a timeout */
            c->outcome = BH_OUTCOME_FAILED;
            send_cancel(c);
            c->state = CALL_CANCELLING;
            finish(c, BH_OUTCOME_FAILED, BH_DRIVER_FAIL_TIMEOUT);
            return;
        default:
            finish(c, BH_OUTCOME_FAILED, BH_DRIVER_FAIL_TIMEOUT);
            return;
        }
    }
    if (c->req && now >= c->rtx_at) {
        drv_sip_send(d, c->req, c->req_len);
        d->st.retransmissions++;
        c->rtx_gap *= 2;
        if (c->state != CALL_INVITING && c->rtx_gap > DRV_T2)
            c->rtx_gap = DRV_T2;
        c->rtx_at = now + c->rtx_gap;
    }
    if (now >= c->act_at)
        act(c, now);
    if (c->state != CALL_FREE)
        drv_call_rearm(c);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg) {
    struct drv_call *c = arg;
    struct bh_driver *d = c->d;
    (void)fd;
    (void)what;
    drv_caller_timer(c);
    drv_sip_flush(d); /* a BYE at the holding time's end leaves now */
}
