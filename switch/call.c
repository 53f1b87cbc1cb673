/* call.c: calls: a new INVITE handed to the service its Request-URI names,
 * the caller's leg from answer to BYE, the call's end (once, whatever ends
 * it), its timer, CANCEL, shutdown, and the CDR rows of a loop turn. */
#include "call.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- CDRs and group commit ----------------------------------------------
 * Rows are queued as calls are answered and end, and committed once per
 * loop turn (one SQLite transaction). Answers and BYEs that tell a peer a
 * call started or ended wait for that commit (sw_must_hold): a peer never
 * hears of a call whose row a crash could still lose. A busy or full
 * database holds them (and the rows) until a retry succeeds; the retry
 * waits as the store's backoff says, on a timer, never blocking the
 * loop. */

static void
put_row(struct bh_switch *sw, const struct bh_cdr_row *row,
        enum bh_cdr_state state) {
    if (!sw->cdr)
        return;
    if (bh_cdr_put(sw->cdr, row, state) < 0) {
        /* Lost and counted by the store (bh_cdr_stats, /metrics, the exit
         * status); said once, not per row. */
        struct bh_cdr_stats st;
        bh_cdr_stats(sw->cdr, &st);
        if (st.lost == 1)
            fprintf(stderr,
                    "busyhour switch: CDR queue full (%llu rows waiting for "
                    "the database): rows are being lost\n",
                    (unsigned long long)st.pending);
    }
    event_active(sw->flush_ev, 0, 0);
}

void
sw_call_record_refused(struct bh_switch *sw, struct bh_cdr_row *row,
                       const struct sw_req *req, int status,
                       enum bh_outcome outcome, const char *reason) {
    const struct bh_sip_msg *m = req->msg;
    row->rec.outcome = (uint8_t)outcome;
    row->rec.end = row->rec.arrival;
    sw_copy_str(row->called, sizeof row->called, m->ruri.user);
    sw_copy_str(row->caller, sizeof row->caller, m->from.uri.user);
    sw_copy_str(row->call_id, sizeof row->call_id, m->call_id);
    snprintf(row->reason, sizeof row->reason, "%s", reason);
    row->status = status;
    sw_call_record(sw, row);
}

void
sw_call_record(struct bh_switch *sw, const struct bh_cdr_row *row) {
    if (row->rec.outcome < BH_OUTCOME_COUNT)
        sw->m.outcomes[row->rec.outcome]++;
    put_row(sw, row, BH_CDR_ENDED);
    struct bh_call_record rec = row->rec; /* the sink may fill its cost */
    bh_sink_record(sw->sink, &rec);
}

void
sw_call_record_up(struct bh_switch *sw, const struct bh_cdr_row *row) {
    put_row(sw, row, BH_CDR_UP);
}

void
sw_call_level(struct bh_switch *sw, int target_kind, int target, int busy,
              int agents_busy) {
    bh_sink_level(sw->sink, target_kind, target, sw_now(sw), busy, agents_busy);
}

int
sw_must_hold(const struct bh_switch *sw, const struct bh_sip_msg *req,
             int status) {
    if (!sw->cdr || status < 200)
        return 0;
    if (req->method == BH_SIP_INVITE)
        return req->to.tag.len == 0; /* a new call: answered or refused */
    if (req->method == BH_SIP_BYE)
        return status < 300; /* the end of a call */
    return 0;
}

void
sw_hold(struct bh_switch *sw, struct sw_held *h) {
    h->prev = sw->held.prev;
    h->next = &sw->held;
    sw->held.prev->next = h;
    sw->held.prev = h;
    sw->nheld++;
    /* Committed, and so sent, at the end of this loop turn. */
    event_active(sw->flush_ev, 0, 0);
}

void
sw_unhold(struct bh_switch *sw, struct sw_held *h) {
    if (!h->next)
        return;
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->next = h->prev = NULL;
    sw->nheld--;
}

void
sw_release_held(struct bh_switch *sw) {
    /* In the order they were held: a 2xx before the BYE of the same
     * dialog. */
    while (sw->held.next != &sw->held) {
        struct sw_held *h = sw->held.next;
        sw_unhold(sw, h);
        if (h->is_ctx)
            sw_ctx_start(
                (struct ctx *)((char *)h - offsetof(struct ctx, held)));
        else
            sw_stx_release(
                (struct stx *)((char *)h - offsetof(struct stx, held)));
    }
}

/* Forgets every held message without sending it: a response is
 * discarded (a retransmitted request gets nothing), a request never
 * starts. */
static void
drop_held(struct bh_switch *sw) {
    while (sw->held.next != &sw->held) {
        struct sw_held *h = sw->held.next;
        sw_unhold(sw, h);
        if (!h->is_ctx) {
            struct stx *st =
                (struct stx *)((char *)h - offsetof(struct stx, held));
            free(st->resp);
            st->resp = NULL;
            st->resp_len = 0;
        }
    }
}

/* A commit failed: rows and held messages wait; the store says when to
 * try again. One line when the trouble starts, one when it ends. */
static void
flush_failed(struct bh_switch *sw, int rc, double now, double retry_at) {
    struct bh_cdr_stats st;
    bh_cdr_stats(sw->cdr, &st);
    if (sw->cdr_fail_since < 0) {
        sw->cdr_fail_since = now;
        fprintf(stderr,
                "busyhour switch: CDR write failed (%s): %llu rows kept in "
                "memory, %zu answers held, retrying\n",
                st.last_error, (unsigned long long)st.pending, sw->nheld);
    }
    (void)rc;
    sw->cdr_retry_at = retry_at;
    sw_timer_in(sw->cdr_retry_ev, retry_at - now);
}

void
sw_cdr_flush(struct bh_switch *sw) {
    if (!sw->cdr) {
        sw_release_held(sw);
        return;
    }
    double now = sw_now(sw);
    if (now < sw->cdr_retry_at)
        return; /* backing off: cdr_retry_ev tries again */
    double retry_at;
    int rc = bh_cdr_flush(sw->cdr, now, &retry_at);
    if (rc < 0) {
        flush_failed(sw, rc, now, retry_at);
        return;
    }
    if (sw->cdr_fail_since >= 0) {
        struct bh_cdr_stats st;
        bh_cdr_stats(sw->cdr, &st);
        fprintf(stderr,
                "busyhour switch: CDR writes resumed after %.3f s "
                "(%llu rows written in all)\n",
                now - sw->cdr_fail_since, (unsigned long long)st.written);
        sw->cdr_fail_since = -1;
    }
    sw_release_held(sw);
}

void
sw_cdr_close(struct bh_switch *sw) {
    if (!sw->cdr)
        return;
    struct bh_cdr_stats before;
    bh_cdr_stats(sw->cdr, &before);
    uint64_t lost = 0;
    /* Retries for the store's close_wait (blocking: the loop is done). */
    bh_cdr_close(sw->cdr, &lost);
    sw->cdr = NULL;
    sw->cdr_final = before;
    sw->cdr_final.written = before.written + before.pending -
                            (lost > before.lost ? lost - before.lost : 0);
    sw->cdr_final.pending = 0;
    sw->cdr_final.lost = lost;
    if (lost > 0)
        fprintf(stderr,
                "busyhour switch: %llu CDR rows lost (not written: %s)\n",
                (unsigned long long)lost,
                before.last_error[0] ? before.last_error : "queue full");
    /* What waited for a commit goes out once its row is written. When
     * rows were lost, nothing held is sent (their transactions are
     * dropped): no peer hears that a call ended whose row is not in the
     * file; the loss is on stderr and in the exit status. */
    if (lost == 0)
        sw_release_held(sw);
    else
        drop_held(sw);
}

void
bh_switch_cdr_stats(const struct bh_switch *sw, struct bh_cdr_stats *out) {
    if (sw->cdr)
        bh_cdr_stats(sw->cdr, out);
    else
        *out = sw->cdr_final;
}

/* The store's counters into the metrics, before they are rendered. */
void
sw_cdr_metrics(struct bh_switch *sw) {
    struct bh_cdr_stats st;
    bh_switch_cdr_stats(sw, &st);
    sw->m.cdr_written = st.written;
    sw->m.cdr_pending = st.pending;
    sw->m.cdr_lost = st.lost;
    sw->m.cdr_retries = st.retries;
    sw->m.cdr_busy = st.busy;
    sw->m.cdr_full = st.full;
    sw->m.cdr_held = sw->nheld;
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

/* ---- session timers (RFC 4028) ------------------------------------------ */

/* What a request says about session timers. */
struct se_req {
    double se;     /* Session-Expires, s; 0: none */
    int refresher; /* 0 not given, 1 uac, 2 uas */
    double min_se; /* Min-SE, s; 0: none */
    int timer;     /* Supported or Require lists "timer" */
    int update;    /* Allow lists UPDATE: we can refresh with it */
};

/* 1 when a comma-separated header value lists token (case-insensitive
 * when nocase). */
static int
lists(const struct bh_sip_msg *m, enum bh_sip_hdr id, const char *token,
      int nocase) {
    size_t tl = strlen(token);
    const struct bh_sip_header *h = NULL;
    while ((h = bh_sip_header_next(m, id, h)) != NULL) {
        const char *p = h->value.p, *end = p + h->value.len;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
                p++;
            const char *e = p;
            while (e < end && *e != ',' && *e != ' ' && *e != '\t')
                e++;
            if ((size_t)(e - p) == tl && (nocase ? strncasecmp(p, token, tl)
                                                 : strncmp(p, token, tl)) == 0)
                return 1;
            p = e;
        }
    }
    return 0;
}

/* delta-seconds at the start of a header value (RFC 4028 4, 5), bounded
 * to a day; 0 when absent or unreadable. *params points after it. */
static double
delta_seconds(const struct bh_sip_header *h, const char **params) {
    if (!h)
        return 0;
    const char *p = h->value.p, *end = p + h->value.len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    double v = 0;
    while (p < end && *p >= '0' && *p <= '9' && v <= 86400)
        v = v * 10 + (*p++ - '0');
    if (params)
        *params = p;
    return v > 86400 ? 86400 : v;
}

static void
se_parse(const struct bh_sip_msg *m, struct se_req *r) {
    memset(r, 0, sizeof *r);
    const struct bh_sip_header *h =
        bh_sip_header_find(m, "Session-Expires", NULL);
    const char *params = NULL;
    r->se = delta_seconds(h, &params);
    if (h && params) {
        const char *end = h->value.p + h->value.len;
        for (const char *q = params; q + 10 <= end; q++)
            if (strncasecmp(q, "refresher=", 10) == 0) {
                q += 10;
                if (end - q >= 3 && strncasecmp(q, "uac", 3) == 0)
                    r->refresher = 1;
                else if (end - q >= 3 && strncasecmp(q, "uas", 3) == 0)
                    r->refresher = 2;
                break;
            }
    }
    r->min_se = delta_seconds(bh_sip_header_find(m, "Min-SE", NULL), NULL);
    r->timer = lists(m, BH_SIP_H_SUPPORTED, "timer", 1) ||
               lists(m, BH_SIP_H_REQUIRE, "timer", 1);
    r->update = lists(m, BH_SIP_H_ALLOW, "UPDATE", 0);
}

/* RFC 4028 6, 8.1: a Session-Expires below our Min-SE gets 422 with our
 * Min-SE. Returns 1 when it was answered so. */
static int
se_too_small(const struct sw_req *req, const struct se_req *r,
             const char *to_tag) {
    double min = req->sw->cfg->timers.min_se;
    if (!(r->se > 0) || r->se >= min)
        return 0;
    char extra[64];
    snprintf(extra, sizeof extra, "Min-SE: %.0f\r\n", min);
    sw_answer(req, WHY_SESSION_TOO_SMALL, to_tag, extra, NULL, 0);
    return 1;
}

static void guard_arm(struct call *c);

/* The session was (re)started or refreshed now. RFC 4028 10: the
 * refresher refreshes at half the interval; the other side sends BYE
 * min(32, SE/3) s before it runs out. */
static void
se_restart(struct call *c) {
    struct sw_guard *g = &c->guard;
    double now = sw_now(c->sw);
    g->refresh_at = g->we_refresh ? now + g->se / 2 : INFINITY;
    g->expires =
        g->we_refresh ? now + g->se : now + g->se - fmin(32, g->se / 3);
}

/* RFC 4028 9: the interval and refresher of the caller's dialog, from
 * the request and our settings; the headers of our 2xx go into extra.
 * The caller refreshes when it supports timers (unless it asked us to
 * and allows UPDATE, our refresh); a caller without timers is refreshed
 * by us with UPDATE when it allows UPDATE, else no session timer is used
 * (RTP inactivity and max_call still end the call). */
static void
se_negotiate(struct call *c, const struct se_req *r, char *extra, size_t size) {
    const struct bh_sc_call_timers *t = &c->sw->cfg->timers;
    struct sw_guard *g = &c->guard;
    extra[0] = '\0';
    double se =
        r->se > 0
            ? (t->session_expires > 0 ? fmin(r->se, t->session_expires) : r->se)
            : t->session_expires;
    double min = fmax(t->min_se, r->min_se);
    if (se > 0 && se < min)
        se = min;
    int uas = r->timer ? r->refresher == 2 && r->update : r->update;
    if (!(se > 0) || (!r->timer && !uas)) {
        g->se = 0;
        return;
    }
    g->se = se;
    g->we_refresh = uas;
    g->peer_timer = r->timer;
    se_restart(c);
    snprintf(extra, size, "Session-Expires: %.0f;refresher=%s\r\n%s", se,
             uas ? "uas" : "uac", uas ? "" : "Require: timer\r\n");
}

int
sw_call_session_refused(const struct sw_req *req) {
    struct se_req r;
    se_parse(req->msg, &r);
    return se_too_small(req, &r, NULL);
}

void
sw_call_session_refresh(struct call *c, const struct sw_req *req, char *extra,
                        size_t size) {
    extra[0] = '\0';
    struct se_req r;
    se_parse(req->msg, &r);
    if (r.se > 0)
        se_negotiate(c, &r, extra, size); /* restarts the session too */
    else if (c->guard.se > 0)
        se_restart(c); /* RFC 4028 10: a 2xx to a re-INVITE or UPDATE */
    if (c->guard.se > 0)
        c->sw->m.session_refreshes++;
    guard_arm(c);
}

void
sw_call_refresh_answered(struct call *c, int status) {
    struct sw_guard *g = &c->guard;
    if (!(g->se > 0))
        return;
    if (status >= 200 && status < 300) {
        c->sw->m.session_refreshes++;
        se_restart(c);
        guard_arm(c);
    } else if (status == 408 || status == 481 || status == 0) {
        /* RFC 4028 10: a refresh that times out or finds no dialog ends
         * the session. */
        sw_call_end(c, SW_END_SESSION_EXPIRED,
                    "Q.850;cause=102;text=\"session refresh failed\"");
    }
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
    /* RFC 4028 8.1: an interval below our Min-SE is refused before the
     * service sees the call (the caller retries with ours). */
    struct se_req se;
    se_parse(m, &se);
    if (se_too_small(req, &se, NULL))
        return;
    /* Overloaded (media.c's tick runs late), over max_cps, or at the
     * bound of calls: 503 before the service spends anything on it. */
    int overloaded = sw_now(sw) < sw->overload_until;
    /* A backlog: the INVITE waited in the socket buffer longer than
     * SW_QUEUE_AGE_MAX. Shed at once, whatever max_cps says, so that the
     * backlog drains instead of growing into timeouts (a collapse). */
    int stale = !overloaded && sw->rx_age > SW_QUEUE_AGE_MAX;
    int shed = !overloaded && !stale && !sw_cps_admit(sw); /* over max_cps */
    if (overloaded || stale || shed ||
        sw->m.calls_active >= BH_SWITCH_MAX_CALLS) {
        if (overloaded)
            sw->m.overload_rejected++;
        if (stale)
            sw->m.shed_stale++;
        if (shed)
            sw->m.shed++;
        int s = sw_reply(req, WHY_UNAVAILABLE);
        svc->ops->on_refused(svc, target, req, s, BH_OUTCOME_FAILED);
        return;
    }
    svc->ops->on_invite(svc, target, req);
}

static void on_call_timer(evutil_socket_t fd, short what, void *arg);
static void on_guard(evutil_socket_t fd, short what, void *arg);

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
    evtimer_assign(&c->guard.ev, sw->base, on_guard, c);
    double max_call = sw->cfg->timers.max_call;
    c->guard.max_end = max_call > 0 ? c->arrival + max_call : INFINITY;
    c->guard.refresh_at = c->guard.expires = INFINITY;
    sw_addr_str(&req->from, c->from_addr, sizeof c->from_addr);
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
    guard_arm(c);
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
    if (rc < 0) {
        /* RFC 3261 20.43: a Warning says what was wrong with the offer
         * (399: miscellaneous, 305: incompatible media format). */
        enum sw_why why = rc == BH_EUNSUPP || rc == BH_ENOENT
                              ? WHY_NOT_ACCEPTABLE
                          : rc == BH_EPARSE ? WHY_BAD_REQUEST
                                            : WHY_SERVER_ERROR;
        const char *warn =
            why == WHY_BAD_REQUEST
                ? "Warning: 399 busyhour \"unreadable SDP offer\"\r\n"
            : why == WHY_NOT_ACCEPTABLE
                ? "Warning: 305 busyhour \"no PCMU or PCMA audio stream\"\r\n"
                : NULL;
        c->final_status = sw_answer(req, why, leg->local_tag, warn, NULL, 0);
        sw_log(sw, "call %llu from %s: %s: %d", (unsigned long long)c->id,
               c->from_addr,
               why == WHY_BAD_REQUEST      ? "unreadable SDP offer"
               : why == WHY_NOT_ACCEPTABLE ? "no common codec"
                                           : bh_strerror(rc),
               c->final_status);
    }
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
    struct se_req se;
    char extra[128];
    se_parse(req->msg, &se);
    se_negotiate(c, &se, extra, sizeof extra);
    c->final_status = sw_answer(req, WHY_OK, leg->local_tag, extra, sdp, len);
    guard_arm(c);
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
    if (!c->caller.acked) {
        /* The caller's silence counts from its ACK. */
        c->guard.rtp_on = 1;
        c->guard.rtp_last = sw_now(c->sw);
        guard_arm(c);
    }
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
    if (c->guard.armed) {
        event_del(&c->guard.ev);
        c->guard.armed = 0;
    }
    if ((int)why >= 0 && (int)why < BH_SWITCH_END_COUNT)
        sw->m.ended[why]++;
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

/* ---- the guards: calls that would never end on their own ----------------
 * One timer per call at the earliest of: max_call after the arrival, the
 * caller's RTP silence reaching rtp_timeout (not while the caller holds
 * the call with sendonly or inactive, RFC 3264 8.4), our session refresh
 * (RFC 4028 10) and the session's expiry. RTP packets only move
 * rtp_last; the timer, when it fires, looks again. */

static double
guard_rtp_deadline(const struct call *c) {
    double t = c->sw->cfg->timers.rtp_timeout;
    if (!(t > 0) || !c->guard.rtp_on || c->caller.on_hold)
        return INFINITY;
    return c->guard.rtp_last + t;
}

static void
guard_arm(struct call *c) {
    struct sw_guard *g = &c->guard;
    if (c->ended)
        return;
    double at = fmin(g->max_end, guard_rtp_deadline(c));
    if (g->se > 0)
        at = fmin(at, fmin(g->refresh_at, g->expires));
    if (g->armed) {
        event_del(&g->ev);
        g->armed = 0;
    }
    if (isfinite(at)) {
        sw_timer_in(&g->ev, at - sw_now(c->sw));
        g->armed = 1;
    }
}

static void
on_guard(evutil_socket_t fd, short what, void *arg) {
    struct call *c = arg;
    struct bh_switch *sw = c->sw;
    struct sw_guard *g = &c->guard;
    double now = sw_now(sw);
    g->armed = 0;
    if (now >= g->max_end) {
        sw_log(sw, "call %llu from %s: max_call reached",
               (unsigned long long)c->id, c->from_addr);
        sw_call_end(c, SW_END_MAX_DURATION,
                    "Q.850;cause=16;text=\"maximum call length\"");
    } else if (now >= guard_rtp_deadline(c)) {
        sw_log(sw, "call %llu from %s: no RTP for %.1f s",
               (unsigned long long)c->id, c->from_addr, now - g->rtp_last);
        sw_call_end(c, SW_END_RTP_TIMEOUT, "Q.850;cause=102;text=\"no RTP\"");
    } else if (g->se > 0 && now >= g->expires) {
        sw_log(sw, "call %llu from %s: session expired",
               (unsigned long long)c->id, c->from_addr);
        sw_call_end(c, SW_END_SESSION_EXPIRED,
                    "Q.850;cause=102;text=\"session expired\"");
    } else {
        if (g->se > 0 && now >= g->refresh_at) {
            /* RFC 4028 7.4 / 9: our refresh, an UPDATE without a body;
             * its answer comes to sw_call_refresh_answered. */
            char v[48];
            snprintf(v, sizeof v, "%.0f;refresher=uas", g->se);
            g->refresh_at = INFINITY;
            sw_leg_request(&c->caller, BH_SIP_UPDATE, "Session-Expires", v);
        }
        guard_arm(c);
    }
    sw_cdr_flush(sw);
}

void
sw_call_media_changed(struct call *c) {
    /* Taken off hold (or a new offer): the silence counts from now. */
    c->guard.rtp_last = sw_now(c->sw);
    guard_arm(c);
}

double
sw_call_billed_end(const struct call *c, enum sw_end why, double now) {
    if (why != SW_END_RTP_TIMEOUT)
        return now;
    /* A caller that went silent is billed up to its last packet; one that
     * never sent any (a ghost) up to its answer: no talk at all. */
    if (!c->guard.rtp_seen)
        return c->answer >= 0 ? c->answer : c->arrival;
    return fmin(now, c->guard.rtp_last);
}

void
sw_leg_digit(struct leg *leg, char digit) {
    struct call *c = leg->call;
    sw_log(c->sw, "call %llu: digit %c", (unsigned long long)c->id, digit);
    c->svc->ops->on_digit(c, leg, digit);
}

void
sw_call_cancel(const struct sw_req *req) {
    /* RFC 3261 9.2: CANCEL matches the INVITE's server transaction.
     * Most services answer INVITEs at once, so there is nothing left to
     * cancel by the time a CANCEL arrives: 200 for the CANCEL, and the
     * call goes on (the caller sends BYE). A service that rings first
     * (on_cancel) answers the INVITE 487. */
    struct stx *inv = sw_stx_find(req->sw, req->msg, 1);
    if (!inv) {
        sw_reply(req, WHY_NO_TXN);
        return;
    }
    struct call *c = inv->call;
    const char *tag = c ? c->caller.local_tag : NULL;
    sw_answer(req, WHY_OK, tag, NULL, NULL, 0);
    /* A service that rings before it answers (pbx.c) stops ringing. */
    if (c && !c->ended && c->final_status < 200 && c->svc->ops->on_cancel)
        c->svc->ops->on_cancel(c);
}
