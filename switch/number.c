/* number.c: the multichannel number service (seed 001): a line group taken
 * first come first served, the announcement, the IVR menu, the ACD queue
 * with music on hold, operator legs chosen by acd.c, and one CDR row per
 * call. Built on the call core (call.h); the core calls it only through
 * sw_number_service. */
#include "number.h"
#include "pbx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An operator's contact (static), resolved at start without DNS. */
struct operator{
    char uri[SW_URI_MAX];
    struct sw_addr addr; /* len 0: a registered account, looked up */
};

struct number {
    const struct bh_sc_number *cfg; /* borrowed from the scenario */
    int index;
    struct bh_switch *sw;
    struct bh_switch_lines *lines; /* owned */
    struct bh_switch_acd *acd;     /* owned, NULL without a queue */
    int noperators;
    struct operator* ops; /* owned */
    struct event acd_timer;
    int acd_assigned; /* acd_timer set up (event_del is safe) */
    /* The number's WAV for announcement and hold, and its menu prompt;
     * n == 0: the switch's default tones. */
    struct sw_sound music, prompt;
};

/* The service's state. */
struct numbers {
    size_t n;
    struct number *v; /* owned, n */
};

enum ncall_state {
    NCALL_SETUP,     /* INVITE taken, not answered yet */
    NCALL_IVR,       /* answered, menu playing, collecting a digit */
    NCALL_HOLDING,   /* no queue: announcement, line held */
    NCALL_WAITING,   /* in the queue, music on hold */
    NCALL_CONNECTED, /* talking to an operator */
};

/* A call to a number: the core's call first. */
struct ncall {
    struct call c;
    struct number *num;
    enum ncall_state state;
    int line;                /* -1: none */
    int op;                  /* operator connected, -1 */
    double connect;          /* s: operator answered (or announcement), -1 */
    double queued;           /* s: joined the queue, -1 */
    enum bh_outcome outcome; /* when the service ends the call itself */
    const char *reason;      /* and why (static), for the CDR */
    struct sw_pbx_talk t;    /* with the operator: relayed or recorded, and
                                the operator's ad-hoc conference by '#' */
};

static enum bh_outcome outcome_of(const struct ncall *nc, enum sw_end why);

static struct ncall *
ncall(struct call *c) {
    return (struct ncall *)c;
}

/* ---- CDR rows ------------------------------------------------------------ */

/* The fields every row of the number has; times -1 until they happen. */
static void
row_init(struct bh_cdr_row *row, const struct number *n, uint64_t id,
         double arrival) {
    memset(row, 0, sizeof *row);
    struct bh_call_record *r = &row->rec;
    r->id = id;
    r->target_kind = BH_TARGET_NUMBER;
    r->target = (uint16_t)n->index;
    r->plan = -1;
    r->attempt = 1;
    r->payer = (uint8_t)n->cfg->payer;
    r->arrival = arrival;
    r->answer = r->connect = -1;
    r->line = r->agent = -1;
    snprintf(row->number, sizeof row->number, "%s", n->cfg->name);
}

/* The call's row: final (ENDED, with why it ended) or in progress (UP,
 * end -1, written at answer and at connect so that a crash leaves it).
 * wait runs from joining the queue to the operator's answer (or the end),
 * talk from connect to `billed`: the end, or the caller's last RTP packet
 * when silence ended the call (sw_call_billed_end). */
static void
record(struct ncall *nc, enum bh_outcome outcome, double end, double billed,
       const char *reason, enum bh_cdr_state state) {
    struct call *c = &nc->c;
    struct bh_cdr_row row;
    row_init(&row, nc->num, c->id, c->arrival);
    struct bh_call_record *r = &row.rec;
    r->outcome = (uint8_t)outcome;
    r->answer = c->answer;
    r->connect = nc->connect;
    r->end = state == BH_CDR_UP ? -1 : end;
    if (nc->queued >= 0)
        r->wait = nc->connect >= 0     ? nc->connect - nc->queued
                  : state == BH_CDR_UP ? 0
                                       : end - nc->queued;
    r->talk = nc->connect >= 0 && state != BH_CDR_UP
                  ? fmax(0, billed - nc->connect)
                  : 0;
    r->line = nc->line;
    r->agent = nc->op;
    snprintf(row.called, sizeof row.called, "%s", c->called);
    snprintf(row.caller, sizeof row.caller, "%s", c->from_user);
    snprintf(row.call_id, sizeof row.call_id, "%s", c->caller.call_id);
    snprintf(row.reason, sizeof row.reason, "%s", reason ? reason : "");
    snprintf(row.recording, sizeof row.recording, "%s", nc->t.recording);
    row.status = c->final_status;
    if (state == BH_CDR_UP)
        sw_call_record_up(c->sw, &row);
    else
        sw_call_record(c->sw, &row);
}

/* The lines and operators of the number, for the owner's sink. */
static void
level(struct number *n) {
    int busy_ops =
        n->acd ? n->noperators - bh_switch_acd_free_operators(n->acd) : 0;
    sw_call_level(n->sw, BH_TARGET_NUMBER, n->index,
                  bh_switch_lines_busy(n->lines), busy_ops);
}

/* An INVITE refused before it became a call still leaves a row
 * (blocked, failed), with why: "busy" (486), "unavailable" (503:
 * overload, call limit, shutting down). */
static void
on_refused(struct sw_service *svc, void *target, const struct sw_req *req,
           int status, enum bh_outcome outcome) {
    struct bh_switch *sw = svc->sw;
    struct bh_cdr_row row;
    row_init(&row, target, sw->next_call++, sw_now(sw));
    sw_call_record_refused(sw, &row, req, status, outcome,
                           status == 486   ? "busy"
                           : status == 503 ? "unavailable"
                                           : "refused");
}

/* ---- sounds -------------------------------------------------------------- */

static void
play_music(struct number *n, struct leg *leg) {
    const struct sw_sound *s = n->music.n ? &n->music : &n->sw->music;
    sw_play(n->sw, leg, s, s);
}

/* The announcement, then music, until the caller hangs up (seed 003). */
static void
play_announcement(struct number *n, struct leg *leg) {
    struct bh_switch *sw = n->sw;
    sw_play(sw, leg, n->music.n ? &n->music : &sw->tone,
            n->music.n ? &n->music : &sw->music);
}

/* The menu prompt once, then silence while a digit is awaited. */
static void
play_prompt(struct number *n, struct leg *leg) {
    sw_play(n->sw, leg, n->prompt.n ? &n->prompt : &n->sw->prompt_tone, NULL);
}

/* ---- the ACD queue drives operator legs ---------------------------------- */

static void
kick(struct number *n) {
    if (!n->acd || n->sw->stopping)
        return;
    sw_timer_in(&n->acd_timer, 0);
}

/* The operator refused, failed or came too late for the caller it rang
 * for: it rests and the caller waits on (acd.c). */
static void
op_refused(struct number *n, uint64_t call, int op) {
    if (bh_switch_acd_op_call(n->acd, op) == call &&
        bh_switch_acd_op_state(n->acd, op) == BH_SWITCH_OP_RINGING)
        bh_switch_acd_refused(n->acd, op, sw_now(n->sw));
}

static void
ring_operator(struct number *n, struct ncall *nc, int k) {
    struct bh_switch *sw = n->sw;
    struct operator* o = & n->ops[k];
    /* A static contact, or the binding of the account at this position
     * (a literal address only: no DNS). */
    const char *target = o->uri;
    struct sw_addr addr = o->addr;
    if (addr.len == 0 && strncmp(o->uri, "account:", 8) == 0) {
        const char *ct = sw_registered(sw, o->uri + 8);
        if (ct && sw_uri_addr(ct, &addr) == 0)
            target = ct;
    }
    char subject[BH_SC_MAX_NAME + 160];
    snprintf(subject, sizeof subject, "%s caller %s", n->cfg->name,
             nc->c.from_user);
    struct sw_invite inv = {
        .target = target, .addr = &addr, .subject = subject};
    if (addr.len == 0 || !sw_leg_invite(&nc->c, k, &inv)) {
        bh_switch_acd_refused(n->acd, k, sw_now(sw));
        kick(n);
        return;
    }
    sw_log(sw, "call %llu: ringing operator %d", (unsigned long long)nc->c.id,
           k);
}

/* One action of the queue turned into SIP. */
static void
act(struct number *n, const struct bh_switch_acd_action *a, double now) {
    struct call *c = sw_call_find(n->sw, a->call);
    switch (a->kind) {
    case BH_SWITCH_ACD_RING:
        if (c)
            ring_operator(n, ncall(c), a->op);
        else /* the caller is gone: give the operator back */
            bh_switch_acd_refused(n->acd, a->op, now);
        break;
    case BH_SWITCH_ACD_CANCEL:
        if (c) {
            struct leg *l = sw_leg_find(c, a->op);
            if (l)
                sw_leg_end(l);
        }
        break;
    case BH_SWITCH_ACD_OVERFLOW:
        /* max_wait: busy for the caller (Q.850 cause 17). */
        if (c) {
            ncall(c)->outcome = BH_OUTCOME_OVERFLOW;
            ncall(c)->reason = "max-wait";
            sw_call_end(c, SW_END_SERVICE, "Q.850;cause=17;text=\"max wait\"");
        }
        break;
    }
}

static void
poll_queue(struct number *n) {
    struct bh_switch *sw = n->sw;
    double now = sw_now(sw);
    struct bh_switch_acd_action a[16];
    /* Bounded: each round handles at most 16 actions, and every action
     * changes an operator or removes a caller. */
    for (int round = 0; round < 10000; round++) {
        size_t got = bh_switch_acd_poll(n->acd, now, a, 16);
        for (size_t i = 0; i < got; i++)
            act(n, &a[i], now);
        if (got < 16)
            break;
    }
    /* One timer per queue, at its next deadline (-INFINITY: at once). */
    double d = bh_switch_acd_deadline(n->acd);
    if (isfinite(d) || d < 0)
        sw_timer_in(&n->acd_timer, isinf(d) ? 0 : d - sw_now(sw));
}

static void
on_acd_timer(evutil_socket_t fd, short what, void *arg) {
    struct number *n = arg;
    poll_queue(n);
    sw_cdr_flush(n->sw);
}

/* The caller joins the queue with music on hold; BH_ERANGE when it is
 * full (max_length). */
static int
enqueue(struct ncall *nc, double now) {
    struct number *n = nc->num;
    if (bh_switch_acd_enqueue(n->acd, nc->c.id, now) < 0)
        return BH_ERANGE;
    nc->queued = now;
    return 0;
}

static void
wait_in_queue(struct ncall *nc) {
    nc->state = NCALL_WAITING;
    play_music(nc->num, &nc->c.caller);
    kick(nc->num);
}

/* ---- operator legs ------------------------------------------------------- */

static void
on_leg_answered(struct call *c, struct leg *leg, int usable) {
    struct ncall *nc = ncall(c);
    struct number *n = nc->num;
    struct bh_switch *sw = c->sw;
    double now = sw_now(sw);
    if (sw_pbx_talk_answered(&nc->t, c, leg, usable))
        return; /* a party the operator dialled */
    if (nc->state != NCALL_WAITING ||
        bh_switch_acd_op_state(n->acd, leg->slot) != BH_SWITCH_OP_RINGING ||
        bh_switch_acd_op_call(n->acd, leg->slot) != c->id || !usable) {
        /* Too late (another operator won, the caller left) or no usable
         * media: hang up this operator. */
        op_refused(n, c->id, leg->slot);
        sw_leg_end(leg);
        kick(n);
        return;
    }
    struct bh_switch_acd_action a[64];
    int k = bh_switch_acd_answered(n->acd, leg->slot, now, a, 64);
    for (int i = 0; i < k; i++) {
        struct leg *other = sw_leg_find(c, a[i].op);
        if (other && other != leg)
            sw_leg_end(other);
    }
    nc->state = NCALL_CONNECTED;
    nc->op = leg->slot;
    nc->connect = now;
    sw_play_stop(sw, &c->caller);
    /* The operator is the employee who may add parties by '#' (an
     * extension's account, or a static contact's user part). */
    const char *who = n->ops[leg->slot].uri, *at;
    if (strncmp(who, "account:", 8) == 0)
        who += 8;
    else if (strncmp(who, "sip:", 4) == 0)
        who += 4;
    at = strchr(who, '@');
    snprintf(nc->t.employee, sizeof nc->t.employee, "%.*s",
             (int)(at ? (size_t)(at - who) : strlen(who)), who);
    sw_pbx_talk_connect(&nc->t, c, leg, n->cfg->recording, n->cfg->name,
                        "number", n->cfg->name);
    /* Tell the caller the operator is on the line: an UPDATE in the
     * dialog (RFC 3311) naming the operator, as a connected-party
     * indication (in the spirit of RFC 4916). */
    char subj[64];
    snprintf(subj, sizeof subj, "connected to operator %d", leg->slot);
    sw_leg_request(&c->caller, BH_SIP_UPDATE, "Subject", subj);
    sw_log(sw, "call %llu: operator %d answered after %.3f s",
           (unsigned long long)c->id, leg->slot, now - nc->queued);
    record(nc, BH_OUTCOME_ANSWERED, -1, -1, NULL, BH_CDR_UP);
    level(n);
    kick(n);
}

static void
on_leg_failed(struct call *c, int slot) {
    if (sw_pbx_talk_failed(&ncall(c)->t, c, slot))
        return;
    struct number *n = ncall(c)->num;
    op_refused(n, c->id, slot);
    kick(n);
}

static void
on_leg_ended(struct call *c, int slot) {
    struct ncall *nc = ncall(c);
    /* The operator hung up: the call ends for the caller too; in an
     * ad-hoc conference, once the caller or every employee has left. */
    int why =
        nc->state == NCALL_CONNECTED ? sw_pbx_talk_ended(&nc->t, c, slot) : 0;
    if (why) {
        nc->outcome = BH_OUTCOME_ANSWERED;
        nc->reason = why == 2 ? "conference-end" : "operator-hangup";
        sw_call_end(c, SW_END_SERVICE, NULL);
    }
}

/* A leg whose peer hung up leaves the room before the core frees it. */
static void
on_leg_leaving(struct call *c, struct leg *leg) {
    sw_pbx_talk_leaving(&ncall(c)->t, c, leg);
}

/* ---- the IVR menu -------------------------------------------------------- */

/* The menu is over (a digit, or menu_time passed): to the queue, or to
 * the announcement. */
static void
leave_menu(struct ncall *nc) {
    if (nc->state != NCALL_IVR)
        return;
    struct call *c = &nc->c;
    struct number *n = nc->num;
    sw_call_disarm(c);
    sw_leg_digits(&c->caller, 0);
    double now = sw_now(c->sw);
    if (!n->cfg->queue.present) {
        nc->state = NCALL_HOLDING;
        nc->connect = now;
        play_announcement(n, &c->caller);
    } else if (enqueue(nc, now) == 0) {
        wait_in_queue(nc);
    } else {
        nc->outcome = BH_OUTCOME_BLOCKED;
        nc->reason = "queue-full";
        sw_call_end(c, SW_END_SERVICE, "Q.850;cause=17");
    }
}

static void
on_timer(struct call *c) {
    leave_menu(ncall(c));
}

/* A digit during the menu (RFC 4733 event, SIP INFO or an in-band tone):
 * any digit routes the call; menus with several choices are not
 * modelled. */
static void
on_digit(struct call *c, struct leg *leg, char digit) {
    struct ncall *nc = ncall(c);
    if (nc->state == NCALL_CONNECTED)
        sw_pbx_talk_digit(&nc->t, c, leg, digit);
    else
        leave_menu(nc);
}

/* ---- a caller's INVITE --------------------------------------------------- */

/* Answered: the menu, the queue, or the announcement. */
static void
start(struct ncall *nc) {
    struct number *n = nc->num;
    const struct bh_sc_number *cfg = n->cfg;
    struct leg *leg = &nc->c.caller;
    if (cfg->ivr.present) {
        nc->state = NCALL_IVR;
        /* A caller that agreed no telephone-event (RFC 4733) may still
         * press keys: their tones are heard in the audio. Without memory
         * for the detector, events and INFO still work. */
        unsigned how = SW_DIGITS_EVENTS | SW_DIGITS_INFO;
        if (leg->te_pt < 0)
            how |= SW_DIGITS_INBAND;
        (void)sw_leg_digits(leg, how);
        play_prompt(n, leg);
        sw_call_arm(&nc->c, cfg->ivr.menu_time > 0 ? cfg->ivr.menu_time : 0);
    } else if (cfg->queue.present) {
        wait_in_queue(nc);
    } else {
        /* No queue: the number answers with its announcement and holds
         * the line until the caller hangs up (seed 003). */
        nc->state = NCALL_HOLDING;
        nc->connect = nc->c.answer;
        play_announcement(n, leg);
    }
}

static void
on_invite(struct sw_service *svc, void *target, const struct sw_req *req) {
    struct number *n = target;
    /* Lines first come first served: all taken, busy (seed 001). */
    int line = bh_switch_lines_seize(n->lines);
    if (line < 0) {
        on_refused(svc, n, req, sw_reply(req, WHY_BUSY), BH_OUTCOME_BLOCKED);
        return;
    }
    level(n);
    struct call *c = sw_call_new(req, svc, sizeof(struct ncall));
    if (!c) {
        bh_switch_lines_release(n->lines, line);
        level(n);
        sw_reply(req, WHY_SERVER_ERROR);
        return;
    }
    struct ncall *nc = ncall(c);
    nc->num = n;
    nc->line = line;
    nc->op = -1;
    nc->connect = nc->queued = -1;
    nc->outcome = BH_OUTCOME_FAILED;
    char sdp[1024];
    size_t sdplen;
    if (sw_call_negotiate(c, req, sdp, sizeof sdp, &sdplen) < 0) {
        nc->reason = c->final_status == 400   ? "bad-sdp"
                     : c->final_status == 488 ? "no-codec"
                                              : "error";
        sw_call_end(c, SW_END_SERVICE, NULL);
        return;
    }
    /* A queue that is full turns the caller away before answering
     * (max_length: busy, recorded as blocked). */
    if (n->acd && !n->cfg->ivr.present && enqueue(nc, c->arrival) < 0) {
        sw_call_refuse(c, req, WHY_BUSY);
        nc->outcome = BH_OUTCOME_BLOCKED;
        nc->reason = "queue-full";
        sw_call_end(c, SW_END_SERVICE, NULL);
        return;
    }
    sw_call_answer(c, req, sdp, sdplen);
    start(nc);
    /* The row of a call in progress: its 200 waits for its commit. */
    record(nc, outcome_of(nc, SW_END_SHUTDOWN), -1, -1, NULL, BH_CDR_UP);
}

/* ---- the call's end ------------------------------------------------------ */

/* The outcome of a call the service did not end itself. */
static enum bh_outcome
outcome_of(const struct ncall *nc, enum sw_end why) {
    switch (why) {
    case SW_END_CALLER_BYE:
        /* While waiting the caller abandoned (with or without the menu
         * when a queue follows). */
        if (nc->state == NCALL_WAITING ||
            (nc->state == NCALL_IVR && nc->num->cfg->queue.present))
            return BH_OUTCOME_ABANDONED;
        return BH_OUTCOME_ANSWERED;
    case SW_END_RTP_TIMEOUT:
        /* A caller that never sent a packet (a ghost) was never a call. */
        if (!nc->c.guard.rtp_seen)
            return BH_OUTCOME_FAILED;
        /* fall through */
    case SW_END_SHUTDOWN:
    case SW_END_SESSION_EXPIRED:
    case SW_END_MAX_DURATION:
        return nc->state == NCALL_CONNECTED || nc->state == NCALL_HOLDING
                   ? BH_OUTCOME_ANSWERED
                   : BH_OUTCOME_FAILED;
    case SW_END_NO_ACK:
        /* The caller never confirmed our 2xx (RFC 3261 13.3.1.4): no
         * session, nothing billed. */
        return BH_OUTCOME_FAILED;
    case SW_END_SERVICE:
    default:
        return nc->outcome;
    }
}

static void
on_end(struct call *c, enum sw_end why) {
    struct ncall *nc = ncall(c);
    struct number *n = nc->num;
    double now = sw_now(c->sw);
    enum bh_outcome outcome = outcome_of(nc, why);
    sw_pbx_talk_end(&nc->t, c);
    if (n->acd) {
        /* The queue forgets the caller; the operator it talked to starts
         * its wrap-up. */
        if (nc->state == NCALL_WAITING)
            bh_switch_acd_leave(n->acd, c->id);
        if (nc->op >= 0 && bh_switch_acd_op_call(n->acd, nc->op) == c->id &&
            bh_switch_acd_op_state(n->acd, nc->op) == BH_SWITCH_OP_BUSY)
            bh_switch_acd_hangup(n->acd, nc->op, now);
        kick(n);
    }
    if (nc->line >= 0) {
        bh_switch_lines_release(n->lines, nc->line);
        level(n);
    }
    if (why == SW_END_NO_ACK)
        nc->connect = -1; /* never connected: no talk */
    const char *reason = why == SW_END_SERVICE
                             ? (nc->reason ? nc->reason : "service")
                             : bh_switch_end_name((enum bh_switch_end)why);
    record(nc, outcome, now, sw_call_billed_end(c, why, now), reason,
           BH_CDR_ENDED);
    sw_log(c->sw, "call %llu from %s: %s (%s)", (unsigned long long)c->id,
           c->from_addr, bh_outcome_name(outcome), reason);
}

/* ---- the service --------------------------------------------------------- */

static void *
match(struct sw_service *svc, struct bh_str user) {
    struct numbers *ns = svc->state;
    for (size_t i = 0; i < ns->n; i++) {
        const struct bh_sc_number *c = ns->v[i].cfg;
        if (bh_str_eq(user, c->number) || bh_str_eq(user, c->name))
            return &ns->v[i];
    }
    return NULL;
}

/* The operators of a queue: static contacts (literal addresses),
 * extensions (the latest phone of the account each is tied to), or the
 * accounts of the same positions, reached once they register. */
static int
operators_init(struct number *n, char *err, size_t errlen) {
    const struct bh_sc_number *c = n->cfg;
    const struct bh_sc_switch *cfg = n->sw->cfg;
    n->noperators =
        c->queue.ncontacts > 0 ? (int)c->queue.ncontacts : c->queue.operators;
    if (c->queue.ncontacts > 0 && (int)c->queue.ncontacts != c->queue.operators)
        fprintf(stderr,
                "busyhour switch: number %s: %zu contacts for %d "
                "operators; using the contacts\n",
                c->name, c->queue.ncontacts, c->queue.operators);
    n->ops = calloc((size_t)n->noperators + 1, sizeof *n->ops);
    if (!n->ops)
        return BH_ENOMEM;
    for (int k = 0; k < n->noperators; k++) {
        struct operator* o = & n->ops[k];
        if ((size_t)k < c->queue.ncontacts &&
            strncmp(c->queue.contacts[k], "sip:", 4) != 0) {
            /* An extension's number: the account it is tied to. */
            const struct bh_sc_extension *x = NULL;
            for (size_t i = 0; i < cfg->nextensions && !x; i++)
                if (strcmp(cfg->extensions[i].number, c->queue.contacts[k]) ==
                    0)
                    x = &cfg->extensions[i];
            if (!x || !x->account[0]) {
                snprintf(err, errlen,
                         "number %s: operator %s is %s (an operator that is "
                         "an extension needs its account)",
                         c->name, c->queue.contacts[k],
                         x ? "an extension without an account"
                           : "no extension of switch.extensions");
                return BH_EINVAL;
            }
            snprintf(o->uri, sizeof o->uri, "account:%s", x->account);
        } else if ((size_t)k < c->queue.ncontacts) {
            snprintf(o->uri, sizeof o->uri, "%s", c->queue.contacts[k]);
            if (sw_uri_addr(o->uri, &o->addr) < 0) {
                snprintf(err, errlen,
                         "number %s: operator contact %s: need "
                         "sip:user@IP:port (no DNS)",
                         c->name, o->uri);
                return BH_EINVAL;
            }
        } else if ((size_t)k < cfg->naccounts) {
            snprintf(o->uri, sizeof o->uri, "account:%s",
                     cfg->accounts[k].user);
        }
    }
    int rc = bh_switch_acd_new(&c->queue, n->noperators, &n->acd);
    if (rc < 0)
        snprintf(err, errlen, "number %s: queue: %s", c->name, bh_strerror(rc));
    return rc;
}

/* A number's WAV file, when it names one. */
static int
sound_init(struct sw_sound *s, const struct bh_sc_number *c, const char *path,
           char *err, size_t errlen) {
    if (!path[0])
        return 0;
    int rc = sw_sound_wav(s, path);
    if (rc < 0)
        snprintf(err, errlen,
                 "number %s: %s: %s (need 8 kHz mono 16-bit PCM or G.711 "
                 "WAV)",
                 c->name, path, bh_strerror(rc));
    return rc;
}

static int
number_init(struct number *n, char *err, size_t errlen) {
    const struct bh_sc_number *c = n->cfg;
    evtimer_assign(&n->acd_timer, n->sw->base, on_acd_timer, n);
    n->acd_assigned = 1;
    int rc = bh_switch_lines_new(c->lines, &n->lines);
    if (rc < 0) {
        snprintf(err, errlen, "number %s: %d lines: %s", c->name, c->lines,
                 bh_strerror(rc));
        return rc;
    }
    rc = sound_init(&n->music, c, c->music, err, errlen);
    if (rc == 0 && c->ivr.present)
        rc = sound_init(&n->prompt, c, c->ivr.prompt, err, errlen);
    if (rc == 0 && c->queue.present)
        rc = operators_init(n, err, errlen);
    return rc;
}

static int
init(struct sw_service *svc, char *err, size_t errlen) {
    const struct bh_sc_switch *cfg = svc->sw->cfg;
    struct numbers *ns = calloc(1, sizeof *ns);
    if (!ns)
        return BH_ENOMEM;
    svc->state = ns;
    ns->v = calloc(cfg->nnumbers + 1, sizeof *ns->v);
    if (!ns->v)
        return BH_ENOMEM;
    for (size_t i = 0; i < cfg->nnumbers; i++) {
        struct number *n = &ns->v[ns->n++];
        n->cfg = &cfg->numbers[i];
        n->index = (int)i;
        n->sw = svc->sw;
        int rc = number_init(n, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void
fini(struct sw_service *svc) {
    struct numbers *ns = svc->state;
    if (!ns)
        return;
    for (size_t i = 0; i < ns->n; i++) {
        struct number *n = &ns->v[i];
        if (n->acd_assigned)
            event_del(&n->acd_timer);
        bh_switch_lines_free(n->lines);
        bh_switch_acd_free(n->acd);
        free(n->ops);
        sw_sound_free(&n->music);
        sw_sound_free(&n->prompt);
    }
    free(ns->v);
    free(ns);
    svc->state = NULL;
}

const struct sw_service_ops sw_number_service = {
    .name = "number",
    .section = "numbers",
    .init = init,
    .fini = fini,
    .match = match,
    .on_refused = on_refused,
    .on_invite = on_invite,
    .on_leg_answered = on_leg_answered,
    .on_leg_failed = on_leg_failed,
    .on_leg_leaving = on_leg_leaving,
    .on_leg_ended = on_leg_ended,
    .on_digit = on_digit,
    .on_timer = on_timer,
    .on_end = on_end,
};

size_t
sw_number_views(struct bh_switch *sw, struct bh_switch_number_view *v,
                size_t max) {
    struct sw_service *svc = sw_service_find(sw, &sw_number_service);
    struct numbers *ns = svc ? svc->state : NULL;
    size_t k = 0;
    for (; ns && k < ns->n && k < max; k++) {
        const struct number *n = &ns->v[k];
        v[k].name = n->cfg->name;
        v[k].number = n->cfg->number;
        v[k].lines = bh_switch_lines_count(n->lines);
        v[k].lines_busy = bh_switch_lines_busy(n->lines);
        v[k].queue = n->acd != NULL;
        v[k].waiting = n->acd ? bh_switch_acd_waiting(n->acd) : 0;
        v[k].operators = n->noperators;
        v[k].operators_free = n->acd ? bh_switch_acd_free_operators(n->acd) : 0;
    }
    return k;
}
