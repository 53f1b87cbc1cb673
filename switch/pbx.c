/* pbx.c: the office PBX service (seeds 003, 004) on the call core.
 *
 * An extension (switch.extensions[]) belongs to an account; its phones are
 * that account's live registrations. A call to it rings every phone at
 * once (one outgoing leg each), the caller hears 180; the first phone to
 * answer wins, the others get CANCEL, and the caller gets 200 then. An
 * extension forwards always, when busy (every phone said busy, or it is in
 * a call) or after no answer, to another extension or an outside number;
 * a call follows at most SW_PBX_FORWARD_DEPTH forwards, then 483 (a loop,
 * counted). Outside numbers go to the trunk's gateway on one of its lines
 * (first come first served, 503 beyond); a caller dialling out must be an
 * account that authenticates its INVITE (digest), dial an allowed prefix
 * and stay within its caps, else 403 counted by reason.
 *
 * The caller's INVITE is kept (its bytes) so that it can be answered
 * later from any callback: 200 when a phone answers, 486/480/483/503, or
 * 487 after a CANCEL. */
#include "pbx.h"
#include "conf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ext {
    const struct bh_sc_extension *cfg; /* borrowed from the scenario */
    int index;
    int talking; /* calls connected to it now */
};

/* An account's outside calls: now, and the start times of its last
 * account_per_hour calls (a ring). */
struct account_use {
    int active;
    double *times; /* owned, trunk.account_per_hour */
    int next;
};

struct pbx {
    struct bh_switch *sw;
    size_t n;
    struct ext *ext; /* owned, n */
    /* The trunk (trunk.present). */
    const struct bh_sc_trunk *trunk;
    struct sw_addr gw;
    char gw_host[128];             /* "127.0.0.1:5090", for Request-URIs */
    struct bh_switch_lines *lines; /* owned */
    struct account_use *use;       /* owned, one per account */
    int outside;                   /* the target an outside number matches */
    struct bh_sip_msg scratch;     /* the kept INVITE, parsed again */
    uint64_t recordings;           /* files named so far */
};

enum pstate { P_RINGING, P_TALKING };

struct pcall {
    struct call c;
    struct pbx *pbx;
    enum pstate state;
    struct ext *ext;    /* the extension ringing now; NULL: the trunk */
    struct ext *talker; /* the extension connected, NULL */
    char target[BH_SC_MAX_NUMBER]; /* what rings now, after forwards */
    int depth;                     /* forwards followed */
    int gen;                       /* ring round; its slots gen*PHONES+i */
    int ringing, busy;             /* legs of the round ringing; busy ones */
    int winner;                    /* slot connected, -1 */
    int line;                      /* trunk line, -1 */
    int account;                   /* account charged for an outside call */
    int outbound;                  /* the connected leg went out the trunk */
    double connect;
    int rang;     /* 180 sent */
    char *invite; /* the caller's INVITE, owned */
    size_t invite_len;
    struct sw_addr from;
    char sdp[1024]; /* our answer to the caller */
    size_t sdplen;
    enum bh_outcome outcome;
    const char *reason;
    struct sw_pbx_talk t; /* once answered: relayed, recorded, '#' */
};

static struct pcall *
pcall(struct call *c) {
    return (struct pcall *)c;
}

/* ---- helpers ------------------------------------------------------------- */

static struct ext *
find_ext(struct pbx *p, const char *number) {
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->ext[i].cfg->number, number) == 0)
            return &p->ext[i];
    return NULL;
}

static int
all_digits(const char *s, size_t n) {
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int
account_index(const struct bh_switch *sw, const char *user) {
    for (size_t i = 0; i < sw->cfg->naccounts; i++)
        if (strcmp(sw->cfg->accounts[i].user, user) == 0)
            return (int)i;
    return -1;
}

/* The kept INVITE as a request again, to answer it. 0, or -1 when its
 * transaction is gone (nothing can be answered any more). */
static int
kept_invite(struct pcall *pc, struct sw_req *req) {
    struct pbx *p = pc->pbx;
    if (!pc->c.inv || !pc->invite ||
        bh_sip_parse(pc->invite, pc->invite_len, &p->scratch, NULL) < 0)
        return -1;
    req->sw = p->sw;
    req->msg = &p->scratch;
    req->st = pc->c.inv;
    req->from = pc->from;
    return 0;
}

/* ---- CDR rows ------------------------------------------------------------ */

static void
row_init(struct bh_cdr_row *row, struct pcall *pc) {
    struct call *c = &pc->c;
    memset(row, 0, sizeof *row);
    struct bh_call_record *r = &row->rec;
    r->id = c->id;
    r->plan = -1;
    r->attempt = 1;
    r->arrival = c->arrival;
    r->answer = c->answer;
    r->connect = pc->connect;
    r->end = -1;
    r->line = pc->line;
    r->agent = -1;
    const struct ext *x = pc->talker ? pc->talker : pc->ext;
    if (x) {
        r->target_kind = BH_TARGET_EXTENSION;
        r->target = (uint16_t)x->index;
        snprintf(row->number, sizeof row->number, "%s", x->cfg->number);
    } else {
        r->target_kind = BH_TARGET_TRUNK;
        r->outbound = 1;
        r->payer = BH_PAYER_CALLEE; /* the company pays outside calls */
        /* the outside number rung, after forwards: what the carrier
         * bills the company for */
        snprintf(row->number, sizeof row->number, "%s",
                 pc->target[0] ? pc->target : "trunk");
    }
    snprintf(row->called, sizeof row->called, "%s", c->called);
    snprintf(row->caller, sizeof row->caller, "%s", c->from_user);
    snprintf(row->call_id, sizeof row->call_id, "%s", c->caller.call_id);
    row->status = c->final_status;
}

static void
record(struct pcall *pc, enum bh_outcome outcome, double end, double billed,
       const char *reason, enum bh_cdr_state state) {
    struct bh_cdr_row row;
    row_init(&row, pc);
    struct bh_call_record *r = &row.rec;
    r->outcome = (uint8_t)outcome;
    if (state != BH_CDR_UP) {
        r->end = end;
        r->talk = pc->connect >= 0 ? fmax(0, billed - pc->connect) : 0;
    }
    snprintf(row.reason, sizeof row.reason, "%s", reason ? reason : "");
    snprintf(row.recording, sizeof row.recording, "%s", pc->t.recording);
    if (state == BH_CDR_UP)
        sw_call_record_up(pc->c.sw, &row);
    else
        sw_call_record(pc->c.sw, &row);
}

/* The row of an INVITE refused before it became a call. */
static void
refused_row(struct bh_switch *sw, const struct sw_req *req, struct ext *x,
            int status, enum bh_outcome outcome, const char *reason) {
    const struct bh_sip_msg *m = req->msg;
    double now = sw_now(sw);
    struct bh_cdr_row row;
    memset(&row, 0, sizeof row);
    struct bh_call_record *r = &row.rec;
    r->id = sw->next_call++;
    r->plan = -1;
    r->attempt = 1;
    r->arrival = r->end = now;
    r->answer = r->connect = -1;
    r->line = r->agent = -1;
    r->outcome = (uint8_t)outcome;
    if (x) {
        r->target_kind = BH_TARGET_EXTENSION;
        r->target = (uint16_t)x->index;
        snprintf(row.number, sizeof row.number, "%s", x->cfg->number);
    } else {
        r->target_kind = BH_TARGET_TRUNK;
        r->outbound = 1;
        r->payer = BH_PAYER_CALLEE;
        snprintf(row.number, sizeof row.number, "trunk");
    }
    sw_copy_str(row.called, sizeof row.called, m->ruri.user);
    sw_copy_str(row.caller, sizeof row.caller, m->from.uri.user);
    sw_copy_str(row.call_id, sizeof row.call_id, m->call_id);
    snprintf(row.reason, sizeof row.reason, "%s", reason);
    row.status = status;
    sw_call_record(sw, &row);
}

static void
on_refused(struct sw_service *svc, void *target, const struct sw_req *req,
           int status, enum bh_outcome outcome) {
    struct pbx *p = svc->state;
    struct ext *x = target == &p->outside ? NULL : target;
    refused_row(svc->sw, req, x, status, outcome,
                status == 503 ? "unavailable" : "refused");
}

/* ---- ending a call that rings -------------------------------------------- */

/* The caller's INVITE gets a final refusal and the call ends. */
static void
fail(struct pcall *pc, enum sw_why why, enum bh_outcome outcome,
     const char *reason) {
    struct sw_req req;
    if (pc->c.final_status < 200 && kept_invite(pc, &req) == 0)
        sw_call_refuse(&pc->c, &req, why);
    pc->outcome = outcome;
    pc->reason = reason;
    sw_call_end(&pc->c, SW_END_SERVICE, NULL);
}

/* Stops every leg still ringing (CANCEL). */
static void
stop_ringing(struct pcall *pc) {
    struct call *c = &pc->c;
    while (c->legs)
        sw_leg_end(c->legs);
    pc->ringing = pc->busy = 0;
    sw_call_disarm(c);
}

static void route(struct pcall *pc, const char *number);

/* One more forward, unless the call has followed too many: a loop. */
static void
forward(struct pcall *pc, const char *to) {
    struct bh_switch *sw = pc->c.sw;
    stop_ringing(pc);
    if (++pc->depth > SW_PBX_FORWARD_DEPTH) {
        sw->m.pbx_forward_loops++;
        sw_log(sw, "call %llu: forwarding loop at %s (%d forwards)",
               (unsigned long long)pc->c.id, pc->target, pc->depth - 1);
        fail(pc, WHY_LOOP, BH_OUTCOME_FAILED, "forward-loop");
        return;
    }
    sw->m.pbx_forwards++;
    sw_log(sw, "call %llu: %s forwards to %s", (unsigned long long)pc->c.id,
           pc->target, to);
    route(pc, to);
}

/* Every phone of the extension was busy, or it is in a call. */
static void
on_busy(struct pcall *pc) {
    if (pc->ext && pc->ext->cfg->forward_busy[0])
        forward(pc, pc->ext->cfg->forward_busy);
    else
        fail(pc, WHY_BUSY, BH_OUTCOME_BLOCKED, "busy");
}

/* Nobody answered in time, no phone is registered, or every phone
 * failed. */
static void
on_no_answer(struct pcall *pc) {
    if (pc->ext && pc->ext->cfg->forward_no_answer[0])
        forward(pc, pc->ext->cfg->forward_no_answer);
    else
        fail(pc, WHY_OFFLINE, BH_OUTCOME_UNANSWERED,
             pc->ext ? "no-answer" : "trunk-failed");
}

static void
ringing(struct pcall *pc) {
    struct sw_req req;
    if (pc->rang || kept_invite(pc, &req) < 0)
        return;
    sw_answer(&req, WHY_RINGING, pc->c.caller.local_tag, NULL, NULL, 0);
    pc->rang = 1;
}

/* ---- ringing an extension or the trunk ----------------------------------- */

static void
ring_ext(struct pcall *pc, struct ext *x) {
    struct call *c = &pc->c;
    struct bh_switch *sw = c->sw;
    pc->ext = x;
    pc->gen++;
    pc->ringing = pc->busy = 0;
    if (x->talking > 0) {
        on_busy(pc);
        return;
    }
    const char *phones[SW_PBX_MAX_PHONES];
    size_t n = x->cfg->account[0] ? sw_registered_all(sw, x->cfg->account,
                                                      phones, SW_PBX_MAX_PHONES)
                                  : 0;
    char subject[BH_SC_MAX_NUMBER + 160];
    snprintf(subject, sizeof subject, "call for %s from %s", x->cfg->number,
             c->from_user);
    for (size_t i = 0; i < n; i++) {
        struct sw_addr addr;
        if (sw_uri_addr(phones[i], &addr) < 0)
            continue; /* a name, not an address: no DNS */
        struct sw_invite inv = {
            .target = phones[i], .addr = &addr, .subject = subject};
        if (sw_leg_invite(c, pc->gen * SW_PBX_MAX_PHONES + (int)i, &inv))
            pc->ringing++;
    }
    if (pc->ringing == 0) {
        on_no_answer(pc);
        return;
    }
    sw_log(sw, "call %llu: ringing %s on %d phone(s)",
           (unsigned long long)c->id, x->cfg->number, pc->ringing);
    ringing(pc);
    if (x->cfg->forward_no_answer[0])
        sw_call_arm(c, x->cfg->no_answer);
}

static void
ring_trunk(struct pcall *pc, const char *number) {
    struct call *c = &pc->c;
    struct bh_switch *sw = c->sw;
    struct pbx *p = pc->pbx;
    pc->ext = NULL;
    pc->gen++;
    pc->ringing = pc->busy = 0;
    if (pc->line < 0) {
        pc->line = bh_switch_lines_seize(p->lines);
        if (pc->line < 0) {
            sw->m.pbx_trunk_full++;
            fail(pc, WHY_UNAVAILABLE, BH_OUTCOME_BLOCKED, "trunk-full");
            return;
        }
        sw->m.pbx_trunk_busy++;
    }
    char uri[SW_URI_MAX];
    snprintf(uri, sizeof uri, "sip:%s@%s", number, p->gw_host);
    struct sw_invite inv = {.target = uri, .addr = &p->gw, .subject = NULL};
    if (!sw_leg_invite(c, pc->gen * SW_PBX_MAX_PHONES, &inv)) {
        fail(pc, WHY_SERVER_ERROR, BH_OUTCOME_FAILED, "error");
        return;
    }
    pc->ringing = 1;
    sw->m.pbx_trunk_calls++;
    sw_log(sw, "call %llu: out to %s on trunk line %d",
           (unsigned long long)c->id, number, pc->line);
    ringing(pc);
}

/* Rings what `number` names: an extension (or where it forwards always),
 * else an outside number through the trunk. */
static void
route(struct pcall *pc, const char *number) {
    snprintf(pc->target, sizeof pc->target, "%s", number);
    struct ext *x = find_ext(pc->pbx, number);
    if (x && x->cfg->forward[0]) {
        pc->ext = x;
        forward(pc, x->cfg->forward);
    } else if (x) {
        ring_ext(pc, x);
    } else if (pc->pbx->trunk->present) {
        ring_trunk(pc, number);
    } else {
        fail(pc, WHY_NOT_FOUND, BH_OUTCOME_FAILED, "no-route");
    }
}

/* ---- a connected call: relayed, recorded, ad-hoc by '#' ------------------ */

/* The office's state, for the talk of any service's call. */
static struct pbx *
office(struct bh_switch *sw) {
    struct sw_service *svc = sw_service_find(sw, &sw_pbx_service);
    return svc ? svc->state : NULL;
}

static void hold_customer(struct sw_pbx_talk *t, struct call *c, int hold);
static void all_in(struct sw_pbx_talk *t, struct call *c);

static void
collect_digits(struct leg *leg) {
    (void)sw_leg_digits(leg, SW_DIGITS_EVENTS | SW_DIGITS_INFO |
                                 (leg->te_pt < 0 ? SW_DIGITS_INBAND : 0));
}

void
sw_pbx_talk_connect(struct sw_pbx_talk *t, struct call *c, struct leg *callee,
                    int record, const char *tag, const char *kind,
                    const char *number) {
    struct bh_switch *sw = c->sw;
    struct pbx *p = office(sw);
    t->on = 1;
    t->callee = callee->slot;
    if (p && (p->n > 0 || p->trunk->present)) {
        /* An office with extensions or a trunk: '#' may add parties. */
        collect_digits(&c->caller);
        collect_digits(callee);
    }
    if (!record || !p) {
        sw_leg_connect(&c->caller, callee);
        return;
    }
    char path[BH_CDR_PATH_MAX], label[2 * BH_SC_MAX_NAME], err[200] = "";
    snprintf(path, sizeof path, "%s/%s-%lld-%llu.wav", sw->rec_dir, tag,
             (long long)sw->epoch0, (unsigned long long)++p->recordings);
    snprintf(label, sizeof label, "%s/%s", kind, number);
    int rc = sw_conf_room_new(sw, 0, path, label, &t->room, err, sizeof err);
    if (rc == 0 && (sw_conf_join(t->room, &c->caller, &t->parts[0]) < 0 ||
                    sw_conf_join(t->room, callee, &t->parts[1]) < 0)) {
        snprintf(err, sizeof err, "a codec the mixer does not take");
        sw_conf_room_free(t->room);
        t->room = NULL;
        t->parts[0] = t->parts[1] = NULL;
        rc = BH_EINVAL;
    }
    if (rc < 0) {
        sw->m.recording_errors++;
        fprintf(stderr, "busyhour switch: call %llu to %s: recording %s: %s\n",
                (unsigned long long)c->id, number, path,
                err[0] ? err : bh_strerror(rc));
        snprintf(t->recording, sizeof t->recording, "error: %s",
                 err[0] ? err : bh_strerror(rc));
        sw_leg_connect(&c->caller, callee);
        return;
    }
    sw_conf_room_call(t->room, c->from_user, number);
    snprintf(t->recording, sizeof t->recording, "%s", path);
}

static struct sw_pbx_party *
party_of(struct sw_pbx_talk *t, int slot) {
    int k = slot - SW_PBX_ADHOC_SLOT;
    return k >= 0 && k < t->nparties ? &t->parties[k] : NULL;
}

/* The row of a party the employee dialled: an outgoing call paid by the
 * company, to the number dialled. */
static void
party_row(struct sw_pbx_talk *t, struct call *c, struct sw_pbx_party *y,
          double now) {
    struct pbx *p = office(c->sw);
    if (y->done)
        return;
    y->done = 1;
    struct bh_cdr_row row;
    memset(&row, 0, sizeof row);
    struct bh_call_record *r = &row.rec;
    r->id = y->id;
    r->plan = -1;
    r->attempt = 1;
    r->outbound = 1;
    r->payer = BH_PAYER_CALLEE;
    r->arrival = y->dialled;
    r->answer = r->connect = y->answered;
    r->end = y->ended >= 0 ? y->ended : now;
    r->talk = y->answered >= 0 ? fmax(0, r->end - y->answered) : 0;
    r->line = y->line;
    r->agent = -1;
    r->outcome = (uint8_t)(y->answered >= 0 ? BH_OUTCOME_ANSWERED
                                            : BH_OUTCOME_UNANSWERED);
    r->target_kind = y->ext >= 0 ? BH_TARGET_EXTENSION : BH_TARGET_TRUNK;
    r->target = (uint16_t)(y->ext >= 0 ? y->ext : 0);
    snprintf(row.number, sizeof row.number, "%s", y->number);
    snprintf(row.called, sizeof row.called, "%s", y->number);
    snprintf(row.caller, sizeof row.caller, "%s",
             t->emp_is_caller || !t->employee[0] ? c->from_user : t->employee);
    snprintf(row.call_id, sizeof row.call_id, "%s", c->caller.call_id);
    snprintf(row.reason, sizeof row.reason, "adhoc");
    snprintf(row.recording, sizeof row.recording, "%s", t->recording);
    row.status = y->answered >= 0 ? 200 : c->leg_status;
    sw_call_record(c->sw, &row);
    if (y->line >= 0 && p) {
        bh_switch_lines_release(p->lines, y->line);
        c->sw->m.pbx_trunk_busy--;
        y->line = -1;
    }
}

/* A leg whose peer hung up leaves the room before the core frees it. */
void
sw_pbx_talk_leaving(struct sw_pbx_talk *t, struct call *c, struct leg *leg) {
    struct sw_pbx_party *y = party_of(t, leg->slot);
    if (y) {
        sw_conf_leave(y->part);
        y->part = NULL;
        y->ended = sw_now(c->sw);
        party_row(t, c, y, y->ended);
    } else if (t->on && leg->slot == t->callee) {
        sw_conf_leave(t->parts[1]);
        t->parts[1] = NULL;
    }
}

int
sw_pbx_talk_answered(struct sw_pbx_talk *t, struct call *c, struct leg *leg,
                     int usable) {
    struct sw_pbx_party *y = party_of(t, leg->slot);
    if (!y)
        return 0;
    if (!usable || !t->room || sw_conf_join(t->room, leg, &y->part) < 0) {
        sw_leg_end(leg);
        y->ended = sw_now(c->sw);
        party_row(t, c, y, y->ended);
        return 1;
    }
    y->answered = sw_now(c->sw);
    sw_log(c->sw, "call %llu: ad-hoc party %s answered",
           (unsigned long long)c->id, y->number);
    return 1;
}

int
sw_pbx_talk_failed(struct sw_pbx_talk *t, struct call *c, int slot) {
    struct sw_pbx_party *y = party_of(t, slot);
    if (!y)
        return 0;
    /* Busy or no answer: the row says so; the call goes on. */
    y->ended = sw_now(c->sw);
    party_row(t, c, y, y->ended);
    return 1;
}

/* Employees still in an ad-hoc conference: the one who pressed '#' (if
 * on the line) and the extensions added. */
static int
employees_left(struct sw_pbx_talk *t, struct call *c) {
    int n =
        t->emp_is_caller ? !t->caller_gone : sw_leg_find(c, t->callee) != NULL;
    for (int k = 0; k < t->nparties; k++)
        n += t->parties[k].ext >= 0 && t->parties[k].part != NULL;
    return n;
}

int
sw_pbx_talk_ended(struct sw_pbx_talk *t, struct call *c, int slot) {
    if (!t->on)
        return 0;
    /* In an ad-hoc conference the room ends when the customer hangs up
     * or every employee has left; else the callee's BYE ends the call. */
    if (t->adhoc == SW_AD_NONE)
        return slot == t->callee ? 1 : 0;
    if ((slot == t->callee && t->emp_is_caller) || employees_left(t, c) == 0)
        return 2;
    if (slot == t->callee)
        all_in(t, c); /* the employee left while consulting */
    return 0;
}

int
sw_pbx_talk_caller_left(struct sw_pbx_talk *t, struct call *c) {
    if (!t->on || t->adhoc == SW_AD_NONE || !t->emp_is_caller)
        return 0;
    t->caller_gone = 1;
    if (employees_left(t, c) == 0) {
        t->caller_gone = 0;
        return 0;
    }
    sw_conf_leave(t->parts[0]);
    t->parts[0] = NULL;
    all_in(t, c);
    sw_log(c->sw, "call %llu: the employee hung up; the conference goes on",
           (unsigned long long)c->id);
    return 1;
}

void
sw_pbx_talk_end(struct sw_pbx_talk *t, struct call *c) {
    double now = sw_now(c->sw);
    for (int k = 0; k < t->nparties; k++)
        party_row(t, c, &t->parties[k], now);
    /* The room goes before the legs in it. */
    sw_conf_room_free(t->room);
    t->room = NULL;
}

/* Everyone left in the room: a customer on hold comes back. */
static void
all_in(struct sw_pbx_talk *t, struct call *c) {
    if (t->adhoc == SW_AD_CONF)
        return;
    t->adhoc = SW_AD_CONF;
    hold_customer(t, c, 0);
}

/* The customer: the party of the first call who did not press '#'. */
static struct leg *
customer_leg(struct sw_pbx_talk *t, struct call *c) {
    return t->emp_is_caller ? sw_leg_find(c, t->callee) : &c->caller;
}

/* The call's two legs into a room of the mixer (once). */
static int
to_room(struct sw_pbx_talk *t, struct call *c) {
    if (t->room)
        return 0;
    struct leg *callee = sw_leg_find(c, t->callee);
    char err[200];
    if (!callee || sw_conf_room_new(c->sw, 0, NULL, "adhoc", &t->room, err,
                                    sizeof err) < 0)
        return -1;
    if (sw_conf_join(t->room, &c->caller, &t->parts[0]) < 0 ||
        sw_conf_join(t->room, callee, &t->parts[1]) < 0) {
        sw_conf_room_free(t->room);
        t->room = NULL;
        t->parts[0] = t->parts[1] = NULL;
        return -1;
    }
    return 0;
}

/* The customer on hold: out of the room, music instead; or back. */
static void
hold_customer(struct sw_pbx_talk *t, struct call *c, int hold) {
    struct bh_switch *sw = c->sw;
    struct leg *cust = customer_leg(t, c);
    struct sw_conf_part **part = &t->parts[t->emp_is_caller ? 1 : 0];
    if (!cust)
        return;
    if (hold && *part) {
        sw_conf_leave(*part);
        *part = NULL;
        sw_play(sw, cust, &sw->music, &sw->music);
    } else if (!hold && !*part) {
        sw_play_stop(sw, cust);
        (void)sw_conf_join(t->room, cust, part);
    }
}

/* The digits keyed after '#': a leg to that extension's phone or out
 * through the trunk (the allowed prefixes and a line), joined to the room
 * when it answers. */
static void
dial_party(struct sw_pbx_talk *t, struct call *c) {
    struct bh_switch *sw = c->sw;
    struct pbx *p = office(sw);
    if (!p || t->nparties >= SW_PBX_MAX_PARTIES)
        return;
    struct sw_pbx_party *y = &t->parties[t->nparties];
    memset(y, 0, sizeof *y);
    snprintf(y->number, sizeof y->number, "%s", t->dial);
    y->line = -1;
    y->dialled = sw_now(sw);
    y->answered = y->ended = -1;
    struct ext *x = find_ext(p, t->dial);
    y->ext = x ? x->index : -1;
    char uri[SW_URI_MAX];
    struct sw_addr addr;
    if (x) {
        const char *ph =
            x->cfg->account[0] ? sw_registered(sw, x->cfg->account) : NULL;
        if (!ph || sw_uri_addr(ph, &addr) < 0)
            return;
        snprintf(uri, sizeof uri, "%s", ph);
    } else {
        int allowed = 0;
        for (size_t i = 0; p->trunk->present && i < p->trunk->nallow; i++)
            allowed |= strncmp(t->dial, p->trunk->allow[i],
                               strlen(p->trunk->allow[i])) == 0;
        if (!allowed) {
            sw->m.pbx_fraud[BH_SWITCH_FRAUD_PREFIX]++;
            return;
        }
        if ((y->line = bh_switch_lines_seize(p->lines)) < 0) {
            sw->m.pbx_trunk_full++;
            return;
        }
        sw->m.pbx_trunk_busy++;
        sw->m.pbx_trunk_calls++;
        snprintf(uri, sizeof uri, "sip:%s@%s", t->dial, p->gw_host);
        addr = p->gw;
    }
    struct sw_invite inv = {.target = uri, .addr = &addr, .subject = NULL};
    y->id = sw->next_call++;
    t->nparties++;
    if (!sw_leg_invite(c, SW_PBX_ADHOC_SLOT + t->nparties - 1, &inv)) {
        y->ended = y->dialled;
        party_row(t, c, y, y->dialled);
        return;
    }
    sw_log(sw, "call %llu: ad-hoc: dialling %s", (unsigned long long)c->id,
           t->dial);
}

/* '#' digits '#' on the employee's leg: the customer on hold, the new
 * party called; '#' again: all in conference. '*' while keying gives up.
 * The employee is the callee when it is one (an extension, an operator),
 * or the caller when it may be (an account of the office). */
void
sw_pbx_talk_digit(struct sw_pbx_talk *t, struct call *c, struct leg *leg,
                  char digit) {
    if (!t->on)
        return;
    int from_caller = leg == &c->caller;
    if (t->adhoc == SW_AD_NONE) {
        int may = from_caller ? t->caller_may_start : t->employee[0] != '\0';
        if (digit != '#' || !may || to_room(t, c) < 0)
            return;
        t->emp_is_caller = from_caller;
    } else if (from_caller != t->emp_is_caller) {
        return; /* the customer's keys do nothing */
    }
    switch (t->adhoc) {
    case SW_AD_NONE:
    case SW_AD_CONF:
        if (digit != '#')
            return;
        t->adhoc = SW_AD_DIGITS;
        t->ndial = 0;
        t->dial[0] = '\0';
        hold_customer(t, c, 1);
        return;
    case SW_AD_DIGITS:
        if (digit >= '0' && digit <= '9' && t->ndial + 1 < sizeof t->dial) {
            t->dial[t->ndial++] = digit;
            t->dial[t->ndial] = '\0';
        } else if (digit == '#' && t->ndial > 0) {
            t->adhoc = SW_AD_CONSULT;
            dial_party(t, c);
        } else if (digit == '*') {
            t->adhoc = SW_AD_CONF;
            hold_customer(t, c, 0);
        }
        return;
    case SW_AD_CONSULT:
        if (digit != '#')
            return;
        /* All in: a party still ringing is given up. */
        for (int k = 0; k < t->nparties; k++) {
            struct sw_pbx_party *y = &t->parties[k];
            struct leg *l = sw_leg_find(c, SW_PBX_ADHOC_SLOT + k);
            if (l && y->answered < 0) {
                sw_leg_end(l);
                y->ended = sw_now(c->sw);
                party_row(t, c, y, y->ended);
            }
        }
        t->adhoc = SW_AD_CONF;
        hold_customer(t, c, 0);
        sw_conf_tone(t->room, SW_CONF_JOIN_TONE);
        return;
    }
}

/* ---- the legs ------------------------------------------------------------ */

static void
on_leg_leaving(struct call *c, struct leg *leg) {
    sw_pbx_talk_leaving(&pcall(c)->t, c, leg);
}

static int
of_round(const struct pcall *pc, int slot) {
    return pc->state == P_RINGING && slot / SW_PBX_MAX_PHONES == pc->gen;
}

static void
on_leg_answered(struct call *c, struct leg *leg, int usable) {
    struct pcall *pc = pcall(c);
    struct bh_switch *sw = c->sw;
    if (sw_pbx_talk_answered(&pc->t, c, leg, usable))
        return;
    if (!of_round(pc, leg->slot) || !usable) {
        int mine = of_round(pc, leg->slot);
        sw_leg_end(leg);
        if (mine && --pc->ringing == 0)
            on_no_answer(pc);
        return;
    }
    /* The first answer wins; the other phones stop ringing. */
    for (struct leg *l = c->legs, *next; l; l = next) {
        next = l->next;
        if (l != leg)
            sw_leg_end(l);
    }
    sw_call_disarm(c);
    struct sw_req req;
    if (kept_invite(pc, &req) < 0) {
        pc->outcome = BH_OUTCOME_FAILED;
        pc->reason = "caller-gone";
        sw_call_end(c, SW_END_SERVICE, NULL);
        return;
    }
    pc->state = P_TALKING;
    pc->winner = leg->slot;
    pc->connect = sw_now(sw);
    pc->talker = pc->ext;
    pc->outbound = pc->ext == NULL;
    if (pc->talker)
        pc->talker->talking++;
    sw_call_answer(c, &req, pc->sdp, pc->sdplen);
    /* The employee who may start an ad-hoc conference: the extension
     * that answered, or a caller that is an account of the office. */
    pc->t.caller_may_start = account_index(sw, c->from_user) >= 0;
    snprintf(pc->t.employee, sizeof pc->t.employee, "%s",
             pc->talker ? pc->talker->cfg->number : "");
    if (pc->talker) {
        char tag[BH_SC_MAX_NUMBER + 8];
        snprintf(tag, sizeof tag, "ext-%s", pc->talker->cfg->number);
        sw_pbx_talk_connect(&pc->t, c, leg, pc->talker->cfg->recording, tag,
                            "extension", pc->talker->cfg->number);
    } else {
        sw_pbx_talk_connect(&pc->t, c, leg, 0, NULL, "trunk", pc->target);
    }
    sw_log(sw, "call %llu: %s answered", (unsigned long long)c->id, pc->target);
    record(pc, BH_OUTCOME_ANSWERED, -1, -1, NULL, BH_CDR_UP);
}

static void
on_leg_failed(struct call *c, int slot) {
    struct pcall *pc = pcall(c);
    if (sw_pbx_talk_failed(&pc->t, c, slot))
        return;
    if (!of_round(pc, slot))
        return;
    int st = c->leg_status;
    if (st == 486 || st == 600 || st == 603)
        pc->busy++;
    if (--pc->ringing > 0)
        return;
    sw_call_disarm(c);
    if (!pc->ext) {
        /* The gateway's refusal, told to the caller in our words. */
        enum sw_why why = st == 486 || st == 600   ? WHY_BUSY
                          : st == 404 || st == 484 ? WHY_NOT_FOUND
                          : st == 480 || st == 408 ? WHY_OFFLINE
                          : st == 403              ? WHY_FORBIDDEN
                                                   : WHY_UNAVAILABLE;
        fail(pc, why,
             why == WHY_BUSY ? BH_OUTCOME_BLOCKED : BH_OUTCOME_UNANSWERED,
             "trunk-refused");
    } else if (pc->busy > 0) {
        on_busy(pc);
    } else {
        on_no_answer(pc);
    }
}

static void
on_leg_ended(struct call *c, int slot) {
    struct pcall *pc = pcall(c);
    if (pc->state != P_TALKING)
        return;
    int why = sw_pbx_talk_ended(&pc->t, c, slot);
    if (why) {
        pc->outcome = BH_OUTCOME_ANSWERED;
        pc->reason = why == 2 ? "conference-end" : "callee-bye";
        sw_call_end(c, SW_END_SERVICE, NULL);
    }
}

static void
on_digit(struct call *c, struct leg *leg, char digit) {
    struct pcall *pc = pcall(c);
    if (pc->state == P_TALKING)
        sw_pbx_talk_digit(&pc->t, c, leg, digit);
}

static int
on_caller_bye(struct call *c) {
    struct pcall *pc = pcall(c);
    return pc->state == P_TALKING && sw_pbx_talk_caller_left(&pc->t, c);
}

/* The no-answer time of the ringing extension passed. */
static void
on_timer(struct call *c) {
    struct pcall *pc = pcall(c);
    if (pc->state == P_RINGING)
        on_no_answer(pc);
}

static void
on_cancel(struct call *c) {
    struct pcall *pc = pcall(c);
    fail(pc, WHY_TERMINATED, BH_OUTCOME_ABANDONED, "cancel");
}

/* ---- a caller's INVITE --------------------------------------------------- */

static void
fraud(struct bh_switch *sw, const struct sw_req *req, enum bh_switch_fraud f,
      int answered) {
    sw->m.pbx_fraud[f]++;
    int status = answered ? 403 : sw_reply(req, WHY_FORBIDDEN);
    char reason[48];
    snprintf(reason, sizeof reason, "fraud-%s", bh_switch_fraud_name(f));
    refused_row(sw, req, NULL, status, BH_OUTCOME_FAILED, reason);
    sw_log(sw, "outside call to %.*s refused: %s", (int)req->msg->ruri.user.len,
           req->msg->ruri.user.p, reason);
}

/* The toll-fraud guard: the account charged for an outside call, or -1
 * once the INVITE has been answered (401 challenge, 403 refusal). */
static int
guard(struct pbx *p, const struct sw_req *req) {
    struct bh_switch *sw = p->sw;
    const struct bh_sip_msg *m = req->msg;
    const struct bh_sc_trunk *t = p->trunk;
    char from[BH_SC_MAX_NAME];
    sw_copy_str(from, sizeof from, m->from.uri.user);
    int k = account_index(sw, from);
    if (k < 0) {
        fraud(sw, req, BH_SWITCH_FRAUD_UNAUTHENTICATED, 0);
        return -1;
    }
    int refused;
    const struct bh_sc_account *a = sw_authenticate(req, &refused);
    if (!a) {
        if (refused)
            fraud(sw, req, BH_SWITCH_FRAUD_AUTH_FAILED, 1);
        return -1; /* challenged: the phone retries with credentials */
    }
    if (strcmp(a->user, from) != 0) {
        fraud(sw, req, BH_SWITCH_FRAUD_AUTH_FAILED, 0);
        return -1;
    }
    char to[BH_SC_MAX_NUMBER];
    sw_copy_str(to, sizeof to, m->ruri.user);
    int allowed = 0;
    for (size_t i = 0; i < t->nallow && !allowed; i++)
        allowed = strncmp(to, t->allow[i], strlen(t->allow[i])) == 0;
    if (!allowed) {
        fraud(sw, req, BH_SWITCH_FRAUD_PREFIX, 0);
        return -1;
    }
    struct account_use *u = &p->use[k];
    if (u->active >= t->account_calls) {
        fraud(sw, req, BH_SWITCH_FRAUD_ACCOUNT_CALLS, 0);
        return -1;
    }
    /* The oldest of its last account_per_hour calls is within the hour. */
    double now = sw_now(sw), oldest = u->times[u->next];
    if (!isnan(oldest) && now - oldest < 3600) {
        fraud(sw, req, BH_SWITCH_FRAUD_ACCOUNT_RATE, 0);
        return -1;
    }
    return k;
}

static void
on_invite(struct sw_service *svc, void *target, const struct sw_req *req) {
    struct pbx *p = svc->state;
    struct bh_switch *sw = svc->sw;
    int account = -1;
    if (target == &p->outside) {
        account = guard(p, req);
        if (account < 0)
            return;
    }
    struct call *c = sw_call_new(req, svc, sizeof(struct pcall));
    if (!c) {
        sw_reply(req, WHY_SERVER_ERROR);
        return;
    }
    struct pcall *pc = pcall(c);
    pc->pbx = p;
    pc->state = P_RINGING;
    pc->winner = pc->line = -1;
    pc->account = account;
    pc->connect = -1;
    pc->outcome = BH_OUTCOME_FAILED;
    pc->from = req->from;
    pc->ext = target == &p->outside ? NULL : target;
    if (sw_call_negotiate(c, req, pc->sdp, sizeof pc->sdp, &pc->sdplen) < 0) {
        pc->reason = c->final_status == 400   ? "bad-sdp"
                     : c->final_status == 488 ? "no-codec"
                                              : "error";
        sw_call_end(c, SW_END_SERVICE, NULL);
        return;
    }
    pc->invite_len = req->msg->msg_len;
    pc->invite = malloc(pc->invite_len ? pc->invite_len : 1);
    if (!pc->invite) {
        sw_call_refuse(c, req, WHY_SERVER_ERROR);
        pc->reason = "error";
        sw_call_end(c, SW_END_SERVICE, NULL);
        return;
    }
    memcpy(pc->invite, req->msg->buf, pc->invite_len);
    if (account >= 0) {
        struct account_use *u = &p->use[account];
        u->active++;
        u->times[u->next] = sw_now(sw);
        u->next = (u->next + 1) % p->trunk->account_per_hour;
    }
    char number[BH_SC_MAX_NUMBER];
    sw_copy_str(number, sizeof number, req->msg->ruri.user);
    route(pc, number);
}

/* ---- the call's end ------------------------------------------------------ */

static enum bh_outcome
outcome_of(const struct pcall *pc, enum sw_end why) {
    switch (why) {
    case SW_END_SERVICE:
        return pc->outcome;
    case SW_END_NO_ACK:
        return BH_OUTCOME_FAILED;
    case SW_END_RTP_TIMEOUT:
        if (!pc->c.guard.rtp_seen)
            return BH_OUTCOME_FAILED;
        /* fall through */
    default:
        return pc->state == P_TALKING ? BH_OUTCOME_ANSWERED
                                      : BH_OUTCOME_ABANDONED;
    }
}

static void
on_end(struct call *c, enum sw_end why) {
    struct pcall *pc = pcall(c);
    struct pbx *p = pc->pbx;
    struct bh_switch *sw = c->sw;
    double now = sw_now(sw);
    sw_pbx_talk_end(&pc->t, c);
    if (c->final_status < 200) {
        /* Still ringing when the switch stops (or a guard fires). */
        struct sw_req req;
        if (kept_invite(pc, &req) == 0)
            sw_call_refuse(c, &req, WHY_UNAVAILABLE);
    }
    if (pc->line >= 0) {
        bh_switch_lines_release(p->lines, pc->line);
        sw->m.pbx_trunk_busy--;
    }
    if (pc->account >= 0)
        p->use[pc->account].active--;
    if (pc->talker)
        pc->talker->talking--;
    if (why == SW_END_NO_ACK)
        pc->connect = -1;
    enum bh_outcome outcome = outcome_of(pc, why);
    const char *reason = why == SW_END_SERVICE
                             ? (pc->reason ? pc->reason : "service")
                             : bh_switch_end_name((enum bh_switch_end)why);
    record(pc, outcome, now, sw_call_billed_end(c, why, now), reason,
           BH_CDR_ENDED);
    sw_log(sw, "call %llu from %s to %s: %s (%s)", (unsigned long long)c->id,
           c->from_addr, c->called, bh_outcome_name(outcome), reason);
    free(pc->invite);
    pc->invite = NULL;
}

/* ---- the service --------------------------------------------------------- */

static void *
match(struct sw_service *svc, struct bh_str user) {
    struct pbx *p = svc->state;
    for (size_t i = 0; i < p->n; i++)
        if (bh_str_eq(user, p->ext[i].cfg->number))
            return &p->ext[i];
    if (p->trunk->present && all_digits(user.p, user.len))
        return &p->outside;
    return NULL;
}

static int
init(struct sw_service *svc, char *err, size_t errlen) {
    struct bh_switch *sw = svc->sw;
    const struct bh_sc_switch *cfg = sw->cfg;
    struct pbx *p = calloc(1, sizeof *p);
    if (!p)
        return BH_ENOMEM;
    svc->state = p;
    p->sw = sw;
    p->trunk = &cfg->trunk;
    p->ext = calloc(cfg->nextensions + 1, sizeof *p->ext);
    if (!p->ext)
        return BH_ENOMEM;
    for (size_t i = 0; i < cfg->nextensions; i++) {
        p->ext[i].cfg = &cfg->extensions[i];
        p->ext[i].index = (int)i;
    }
    p->n = cfg->nextensions;
    if (!p->trunk->present)
        return 0;
    const char *gw = p->trunk->gateway + 4; /* after "sip:" */
    snprintf(p->gw_host, sizeof p->gw_host, "%s", gw);
    if (sw_uri_addr(p->trunk->gateway, &p->gw) < 0) {
        snprintf(err, errlen,
                 "trunk gateway %s: need sip:IP:port (a literal address, "
                 "no DNS)",
                 p->trunk->gateway);
        return BH_EINVAL;
    }
    int rc = bh_switch_lines_new(p->trunk->lines, &p->lines);
    if (rc < 0) {
        snprintf(err, errlen, "trunk: %d lines: %s", p->trunk->lines,
                 bh_strerror(rc));
        return rc;
    }
    p->use = calloc(cfg->naccounts + 1, sizeof *p->use);
    if (!p->use)
        return BH_ENOMEM;
    for (size_t i = 0; i < cfg->naccounts; i++) {
        int n = p->trunk->account_per_hour;
        p->use[i].times = malloc((size_t)n * sizeof *p->use[i].times);
        if (!p->use[i].times)
            return BH_ENOMEM;
        for (int j = 0; j < n; j++)
            p->use[i].times[j] = NAN;
    }
    return 0;
}

static void
fini(struct sw_service *svc) {
    struct pbx *p = svc->state;
    if (!p)
        return;
    if (p->use)
        for (size_t i = 0; i < svc->sw->cfg->naccounts; i++)
            free(p->use[i].times);
    free(p->use);
    bh_switch_lines_free(p->lines);
    free(p->ext);
    free(p);
    svc->state = NULL;
}

const struct sw_service_ops sw_pbx_service = {
    .name = "pbx",
    .section = "extensions",
    .init = init,
    .fini = fini,
    .match = match,
    .on_refused = on_refused,
    .on_invite = on_invite,
    .on_leg_answered = on_leg_answered,
    .on_leg_failed = on_leg_failed,
    .on_leg_leaving = on_leg_leaving,
    .on_leg_ended = on_leg_ended,
    .on_caller_bye = on_caller_bye,
    .on_digit = on_digit,
    .on_timer = on_timer,
    .on_cancel = on_cancel,
    .on_end = on_end,
};
