/* bridge.c: the dial-in conference bridge service (seed 000): ports taken
 * first come first served (486 beyond them), a passcode prompt and digits
 * ended by '#' (RFC 4733 events, SIP INFO, in-band tones), three tries,
 * lockout of guessing addresses (403), fixed or open rooms, moderators,
 * keys in a room, join and leave tones, music on hold when alone,
 * end_with_moderator, recording, one CDR row per participant. The logic
 * is rooms.c's (pure, time passed in); this file turns its actions into
 * SIP and media, and puts legs in mixer rooms through conf.h. The core
 * calls it only through sw_bridge_service. */
#include "bridge.h"

#include "conf.h"
#include "grow.h"
#include "rooms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bcall;

struct bridge {
    const struct bh_sc_bridge *cfg; /* borrowed from the scenario */
    int index;
    struct bh_switch *sw;
    struct bh_rooms *rooms;     /* owned */
    struct bcall **port;        /* owned, cfg->ports: the call on a port */
    struct sw_conf_room **conf; /* owned array: the mixer room of a room */
    size_t nconf;
    struct event timer; /* at rooms.c's next entry timeout */
    int timer_assigned;
    int polling;            /* in rooms_poll(): actions queued meanwhile wait */
    struct sw_sound prompt; /* the bridge's WAV prompt; n 0: the tones */
    struct sw_sound again;  /* a wrong passcode: a low tone, the prompt */
    uint64_t recordings;
};

struct bridges {
    size_t n;
    struct bridge *v;      /* owned, n */
    struct sw_sound wrong; /* "wrong passcode": a low tone */
};

/* A participant: the core's call first. */
struct bcall {
    struct call c;
    struct bridge *b;
    int port;                  /* -1 once left */
    int room;                  /* rooms.c's room joined, -1 */
    struct sw_conf_part *part; /* in the mixer, NULL */
    char recording[BH_CDR_PATH_MAX];
    enum bh_rooms_reason reason; /* why rooms.c ended it */
    int ended_by_rooms;
};

static struct bcall *
bcall(struct call *c) {
    return (struct bcall *)c;
}

static struct bridges *
bridges_of(struct bh_switch *sw) {
    struct sw_service *svc = sw_service_find(sw, &sw_bridge_service);
    return svc ? svc->state : NULL;
}

/* ---- CDR rows ------------------------------------------------------------ */

static void
row_init(struct bh_cdr_row *row, const struct bridge *b, uint64_t id,
         double arrival) {
    memset(row, 0, sizeof *row);
    struct bh_call_record *r = &row->rec;
    r->id = id;
    r->target_kind = BH_TARGET_BRIDGE;
    r->target = (uint16_t)b->index;
    r->plan = -1;
    r->attempt = 1;
    r->payer = (uint8_t)b->cfg->payer;
    r->arrival = arrival;
    r->answer = r->connect = -1;
    r->line = r->agent = -1;
    snprintf(row->number, sizeof row->number, "%s", b->cfg->name);
}

/* A participant's row: in progress (UP, at answer) or final. line is the
 * port, operator the room's index, room its passcode, connect the join,
 * talk the time in the room. */
static void
record(struct bcall *bc, const struct bh_rooms_participant *info,
       enum bh_outcome outcome, const char *reason, enum bh_cdr_state state) {
    struct call *c = &bc->c;
    struct bh_cdr_row row;
    row_init(&row, bc->b, c->id, c->arrival);
    struct bh_call_record *r = &row.rec;
    r->outcome = (uint8_t)outcome;
    r->answer = c->answer;
    r->line = bc->port;
    if (info) {
        r->line = info->port;
        r->connect = info->join;
        r->agent = info->room;
        r->end = info->leave;
        r->talk = info->join >= 0 ? fmax(0, info->leave - info->join) : 0;
        row.tries = info->tries;
        snprintf(row.room, sizeof row.room, "%s", info->passcode);
    }
    snprintf(row.called, sizeof row.called, "%s", c->called);
    snprintf(row.caller, sizeof row.caller, "%s", c->from_user);
    snprintf(row.call_id, sizeof row.call_id, "%s", c->caller.call_id);
    snprintf(row.reason, sizeof row.reason, "%s", reason ? reason : "");
    snprintf(row.recording, sizeof row.recording, "%s", bc->recording);
    row.status = c->final_status;
    if (state == BH_CDR_UP) {
        r->end = -1;
        sw_call_record_up(c->sw, &row);
    } else {
        sw_call_record(c->sw, &row);
    }
}

/* An INVITE refused before it became a call (ports busy, locked out,
 * overload): its row. */
static void
on_refused(struct sw_service *svc, void *target, const struct sw_req *req,
           int status, enum bh_outcome outcome) {
    struct bh_switch *sw = svc->sw;
    struct bh_cdr_row row;
    row_init(&row, target, sw->next_call++, sw_now(sw));
    sw_call_record_refused(sw, &row, req, status, outcome,
                           status == 486   ? "busy"
                           : status == 403 ? "locked-out"
                           : status == 503 ? "unavailable"
                                           : "refused");
}

/* ---- rooms.c's actions --------------------------------------------------- */

static void arm_timer(struct bridge *b);

/* The mixer room of rooms.c's room, made on the first join. */
static struct sw_conf_room *
conf_room(struct bridge *b, int room) {
    if (room < 0)
        return NULL;
    if ((size_t)room >= b->nconf) {
        size_t cap = b->nconf;
        if (sw_grow(&b->conf, &cap, (size_t)room + 1, sizeof *b->conf))
            return NULL;
        memset(b->conf + b->nconf, 0, (cap - b->nconf) * sizeof *b->conf);
        b->nconf = cap;
    }
    if (b->conf[room])
        return b->conf[room];
    struct bh_switch *sw = b->sw;
    const char *code = bh_rooms_room_passcode(b->rooms, room);
    char path[BH_CDR_PATH_MAX], label[2 * BH_SC_MAX_NAME], err[256] = "";
    snprintf(label, sizeof label, "%s/%s", b->cfg->name, code);
    if (b->cfg->recording)
        snprintf(path, sizeof path, "%s/%s-%s-%lld-%llu.wav", sw->rec_dir,
                 b->cfg->name, code[0] ? code : "room", (long long)sw->epoch0,
                 (unsigned long long)++b->recordings);
    int rc =
        sw_conf_room_new(sw, b->cfg->talkers, b->cfg->recording ? path : NULL,
                         label, &b->conf[room], err, sizeof err);
    if (rc < 0 && b->cfg->recording) {
        /* Not recorded rather than not joined: said once per room. */
        fprintf(stderr, "busyhour switch: bridge %s: recording %s: %s\n",
                b->cfg->name, path, err[0] ? err : bh_strerror(rc));
        rc = sw_conf_room_new(sw, b->cfg->talkers, NULL, label, &b->conf[room],
                              err, sizeof err);
    }
    return rc < 0 ? NULL : b->conf[room];
}

/* The participant leaves the mixer; an empty mixer room is freed (its
 * recording closed). */
static void
conf_leave(struct bcall *bc) {
    struct bridge *b = bc->b;
    if (!bc->part)
        return;
    sw_conf_leave(bc->part);
    bc->part = NULL;
    struct sw_conf_room *cr = b->conf[bc->room];
    if (cr && sw_conf_room_size(cr) == 0) {
        sw_conf_room_free(cr);
        b->conf[bc->room] = NULL;
    }
}

static void
act_join(struct bridge *b, struct bcall *bc, const struct bh_rooms_action *a) {
    struct sw_conf_room *cr = conf_room(b, a->room);
    bc->room = a->room;
    if (!cr || sw_conf_join(cr, &bc->c.caller, &bc->part) < 0) {
        sw_call_end(&bc->c, SW_END_SERVICE,
                    "Q.850;cause=47;text=\"no resources\"");
        return;
    }
    snprintf(bc->recording, sizeof bc->recording, "%s",
             sw_conf_room_recording(cr));
    if (a->arg & BH_ROOMS_F_MUTED)
        sw_conf_mute(bc->part, true);
    sw_log(b->sw, "call %llu: joined room %s of %s on port %d%s",
           (unsigned long long)bc->c.id,
           bh_rooms_room_passcode(b->rooms, a->room), b->cfg->name, bc->port,
           (a->arg & BH_ROOMS_F_MODERATOR) ? " as moderator" : "");
}

/* The call on a port (NULL: it is gone). */
static struct bcall *
on_port(struct bridge *b, int port) {
    return port >= 0 && port < b->cfg->ports ? b->port[port] : NULL;
}

static void
act(struct bridge *b, const struct bh_rooms_action *a) {
    struct bh_switch *sw = b->sw;
    struct bcall *bc = on_port(b, a->port);
    if (bc && bc->c.id != a->call)
        bc = NULL;
    struct sw_conf_room *room =
        a->room >= 0 && (size_t)a->room < b->nconf ? b->conf[a->room] : NULL;
    switch (a->kind) {
    case BH_ROOMS_PROMPT:
        if (bc) {
            const struct sw_sound *p =
                b->prompt.n ? &b->prompt : &sw->prompt_tone;
            sw_play(sw, &bc->c.caller, a->arg > 0 ? &b->again : p, NULL);
        }
        break;
    case BH_ROOMS_JOIN:
        if (bc)
            act_join(b, bc, a);
        break;
    case BH_ROOMS_END:
        if (bc) {
            bc->reason = (enum bh_rooms_reason)a->arg;
            bc->ended_by_rooms = 1;
            /* refused for want of room: said as busy is (Q.850 cause 17),
             * so that the caller counts it blocked, as the CDR does */
            sw_call_end(&bc->c, SW_END_SERVICE,
                        bc->reason == BH_ROOMS_ROOM_FULL ||
                                bc->reason == BH_ROOMS_ROOM_LOCKED
                            ? "Q.850;cause=17;text=\"room full\""
                            : NULL);
        }
        break;
    case BH_ROOMS_JOIN_TONE:
        if (room)
            sw_conf_tone(room, SW_CONF_JOIN_TONE);
        break;
    case BH_ROOMS_LEAVE_TONE:
        if (room)
            sw_conf_tone(room, SW_CONF_LEAVE_TONE);
        break;
    case BH_ROOMS_LOCK:
    case BH_ROOMS_UNLOCK:
        if (room)
            sw_conf_tone(room, SW_CONF_LOCK_TONE);
        break;
    case BH_ROOMS_MOH_START:
    case BH_ROOMS_MOH_STOP:
        if (bc && bc->part)
            sw_conf_moh(bc->part, a->kind == BH_ROOMS_MOH_START);
        break;
    case BH_ROOMS_MUTE:
    case BH_ROOMS_UNMUTE:
        if (bc && bc->part)
            sw_conf_mute(bc->part, a->kind == BH_ROOMS_MUTE);
        break;
    }
}

/* Hands out rooms.c's queued actions. Ending a call from an action comes
 * back here (on_end, bh_rooms_leave): the inner call returns at once and
 * this loop takes the actions it queued. */
static void
rooms_poll(struct bridge *b) {
    if (b->polling)
        return;
    b->polling = 1;
    struct bh_rooms_action a[32];
    for (;;) {
        size_t got = bh_rooms_poll(b->rooms, sw_now(b->sw), a, 32);
        for (size_t i = 0; i < got; i++)
            act(b, &a[i]);
        if (got == 0)
            break;
    }
    b->polling = 0;
    arm_timer(b);
}

static void
on_rooms_timer(evutil_socket_t fd, short what, void *arg) {
    struct bridge *b = arg;
    rooms_poll(b);
    sw_cdr_flush(b->sw);
}

static void
arm_timer(struct bridge *b) {
    double d = bh_rooms_deadline(b->rooms);
    if (isfinite(d) && !b->sw->stopping)
        sw_timer_in(&b->timer, d - sw_now(b->sw) + 0.001);
    else
        event_del(&b->timer);
}

/* ---- the caller's INVITE ------------------------------------------------- */

static void
on_invite(struct sw_service *svc, void *target, const struct sw_req *req) {
    struct bridge *b = target;
    struct bh_switch *sw = svc->sw;
    char addr[SW_ADDR_STR], host[SW_ADDR_STR];
    uint16_t sport;
    sw_addr_format(&req->from, host, sizeof host, &sport);
    snprintf(addr, sizeof addr, "%s", host);
    /* The call's id is taken before the port, so that rooms.c knows the
     * call; a refused INVITE gives it back unused. */
    struct call *c = sw_call_new(req, svc, sizeof(struct bcall));
    if (!c) {
        sw_reply(req, WHY_SERVER_ERROR);
        return;
    }
    struct bcall *bc = bcall(c);
    bc->b = b;
    bc->port = bc->room = -1;
    int port = bh_rooms_arrive(b->rooms, c->id, addr, sw_now(sw));
    if (port < 0) {
        /* Every port busy (486), or an address locked out for guessing
         * passcodes (403, counted). */
        int locked = port == BH_EAUTH;
        if (locked)
            sw->m.bridge_locked_out++;
        sw_call_refuse(c, req, locked ? WHY_FORBIDDEN : WHY_BUSY);
        bc->reason = locked ? BH_ROOMS_LOCKED_OUT : BH_ROOMS_HANGUP;
        sw_call_end(c, SW_END_SERVICE, NULL);
        return;
    }
    bc->port = port;
    b->port[port] = bc;
    char sdp[1024];
    size_t sdplen;
    if (sw_call_negotiate(c, req, sdp, sizeof sdp, &sdplen) < 0) {
        sw_call_end(c, SW_END_SERVICE, NULL);
        return;
    }
    sw_call_answer(c, req, sdp, sdplen);
    /* Digits however they come: RFC 4733 events, INFO, and tones in the
     * audio from a caller that agreed no telephone-event. */
    struct leg *leg = &c->caller;
    unsigned how = SW_DIGITS_EVENTS | SW_DIGITS_INFO;
    if (leg->te_pt < 0)
        how |= SW_DIGITS_INBAND;
    (void)sw_leg_digits(leg, how);
    record(bc, NULL, BH_OUTCOME_ANSWERED, NULL, BH_CDR_UP);
    rooms_poll(b); /* the prompt */
}

static void
on_digit(struct call *c, struct leg *leg, char digit) {
    struct bcall *bc = bcall(c);
    if (bc->port < 0)
        return;
    (void)bh_rooms_digit(bc->b->rooms, bc->port, digit, sw_now(c->sw));
    rooms_poll(bc->b);
}

static void
on_timer(struct call *c) {
    /* The bridge arms no call timer (entry timeouts are rooms.c's). */
}

/* The bridge places no outgoing legs; should one answer, it is ended. */
static void
on_leg_answered(struct call *c, struct leg *leg, int usable) {
    sw_leg_end(leg);
}

static void
on_leg_gone(struct call *c, int slot) {
}

/* ---- the end ------------------------------------------------------------- */

static enum bh_outcome
outcome_of(const struct bcall *bc, const struct bh_rooms_participant *info,
           enum sw_end why) {
    if (bc->c.final_status >= 300)
        return bc->c.final_status == 486 ? BH_OUTCOME_BLOCKED
                                         : BH_OUTCOME_FAILED;
    if (why == SW_END_NO_ACK)
        return BH_OUTCOME_FAILED;
    if (info && info->join >= 0)
        return BH_OUTCOME_ANSWERED;
    if (bc->ended_by_rooms && (bc->reason == BH_ROOMS_ROOM_FULL ||
                               bc->reason == BH_ROOMS_ROOM_LOCKED))
        return BH_OUTCOME_BLOCKED;
    if (why == SW_END_CALLER_BYE)
        return BH_OUTCOME_ABANDONED;
    return BH_OUTCOME_FAILED;
}

static void
on_end(struct call *c, enum sw_end why) {
    struct bcall *bc = bcall(c);
    struct bridge *b = bc->b;
    double now = sw_now(c->sw);
    conf_leave(bc);
    struct bh_rooms_participant info, *ip = NULL;
    if (bc->port >= 0) {
        if (bh_rooms_leave(b->rooms, bc->port, now, &info) == 0)
            ip = &info;
        b->port[bc->port] = NULL;
    }
    enum bh_outcome outcome = outcome_of(bc, ip, why);
    const char *reason = why != SW_END_SERVICE
                             ? bh_switch_end_name((enum bh_switch_end)why)
                         : bc->ended_by_rooms ? bh_rooms_reason_name(bc->reason)
                         : c->final_status == 486 ? "busy"
                         : c->final_status == 403 ? "locked-out"
                         : c->final_status == 400 ? "bad-sdp"
                         : c->final_status == 488 ? "no-codec"
                                                  : "error";
    if (ip && why == SW_END_NO_ACK)
        ip->join = -1;
    record(bc, ip, outcome, reason, BH_CDR_ENDED);
    sw_log(c->sw, "call %llu from %s: %s (%s)", (unsigned long long)c->id,
           c->from_addr, bh_outcome_name(outcome), reason);
    bc->port = -1;
    /* Who is left hears the leave tone, may end with the moderator. */
    rooms_poll(b);
}

/* ---- the service --------------------------------------------------------- */

static void *
match(struct sw_service *svc, struct bh_str user) {
    struct bridges *bs = svc->state;
    for (size_t i = 0; i < bs->n; i++) {
        const struct bh_sc_bridge *c = bs->v[i].cfg;
        if (bh_str_eq(user, c->number) || bh_str_eq(user, c->name))
            return &bs->v[i];
    }
    return NULL;
}

/* out = a then b (both laws). BH_ENOMEM. */
static int
sound_cat(struct sw_sound *out, const struct sw_sound *a,
          const struct sw_sound *b) {
    size_t n = a->n + b->n;
    out->pcmu = malloc(n + 1);
    out->pcma = malloc(n + 1);
    if (!out->pcmu || !out->pcma)
        return BH_ENOMEM;
    memcpy(out->pcmu, a->pcmu, a->n);
    memcpy(out->pcmu + a->n, b->pcmu, b->n);
    memcpy(out->pcma, a->pcma, a->n);
    memcpy(out->pcma + a->n, b->pcma, b->n);
    out->n = n;
    return 0;
}

static int
init(struct sw_service *svc, char *err, size_t errlen) {
    const struct bh_sc_switch *cfg = svc->sw->cfg;
    struct bridges *bs = calloc(1, sizeof *bs);
    if (!bs)
        return BH_ENOMEM;
    svc->state = bs;
    static const int wrong[][2] = {{400, 300}, {0, 200}};
    int rc = sw_sound_tones(&bs->wrong, wrong, 2);
    if (rc < 0)
        return rc;
    bs->v = calloc(cfg->nbridges + 1, sizeof *bs->v);
    if (!bs->v)
        return BH_ENOMEM;
    for (size_t i = 0; i < cfg->nbridges; i++) {
        struct bridge *b = &bs->v[bs->n++];
        b->cfg = &cfg->bridges[i];
        b->index = (int)i;
        b->sw = svc->sw;
        evtimer_assign(&b->timer, svc->sw->base, on_rooms_timer, b);
        b->timer_assigned = 1;
        b->port = calloc((size_t)b->cfg->ports + 1, sizeof *b->port);
        if (!b->port)
            return BH_ENOMEM;
        if (b->cfg->prompt[0] &&
            (rc = sw_sound_wav(&b->prompt, b->cfg->prompt)) < 0) {
            snprintf(err, errlen,
                     "bridge %s: prompt %s: %s (need 8 kHz mono 16-bit PCM "
                     "or G.711 WAV)",
                     b->cfg->name, b->cfg->prompt, bh_strerror(rc));
            return rc;
        }
        rc = sound_cat(&b->again, &bs->wrong,
                       b->prompt.n ? &b->prompt : &svc->sw->prompt_tone);
        if (rc < 0)
            return rc;
        rc = bh_rooms_new(b->cfg, &b->rooms);
        if (rc < 0) {
            snprintf(err, errlen, "bridge %s: %s", b->cfg->name,
                     bh_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static void
fini(struct sw_service *svc) {
    struct bridges *bs = svc->state;
    if (!bs)
        return;
    for (size_t i = 0; i < bs->n; i++) {
        struct bridge *b = &bs->v[i];
        if (b->timer_assigned)
            event_del(&b->timer);
        for (size_t k = 0; k < b->nconf; k++)
            sw_conf_room_free(b->conf[k]);
        free(b->conf);
        free(b->port);
        bh_rooms_free(b->rooms);
        sw_sound_free(&b->prompt);
        sw_sound_free(&b->again);
    }
    sw_sound_free(&bs->wrong);
    free(bs->v);
    free(bs);
    svc->state = NULL;
}

const struct sw_service_ops sw_bridge_service = {
    .name = "bridge",
    .section = "bridges",
    .init = init,
    .fini = fini,
    .match = match,
    .on_refused = on_refused,
    .on_invite = on_invite,
    .on_leg_answered = on_leg_answered,
    .on_leg_failed = on_leg_gone,
    .on_leg_ended = on_leg_gone,
    .on_digit = on_digit,
    .on_timer = on_timer,
    .on_end = on_end,
};

void
sw_bridge_stats(struct bh_switch *sw, struct bh_rooms_stats *st) {
    memset(st, 0, sizeof *st);
    struct bridges *bs = bridges_of(sw);
    for (size_t i = 0; bs && i < bs->n; i++) {
        struct bh_rooms_stats s;
        bh_rooms_stats(bs->v[i].rooms, &s);
        st->arrived += s.arrived;
        st->busy += s.busy;
        st->refused += s.refused;
        st->lockouts += s.lockouts;
        st->wrong += s.wrong;
        st->timeouts += s.timeouts;
        st->joined += s.joined;
        for (int k = 0; k < BH_ROOMS_REASON_COUNT; k++)
            st->ended[k] += s.ended[k];
    }
}

uint64_t
sw_bridge_ports_busy(struct bh_switch *sw) {
    struct bridges *bs = bridges_of(sw);
    uint64_t n = 0;
    for (size_t i = 0; bs && i < bs->n; i++)
        n += (uint64_t)bh_rooms_ports_busy(bs->v[i].rooms);
    return n;
}
