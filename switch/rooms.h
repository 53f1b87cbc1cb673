/* rooms.h: a dial-in conference bridge's ports, rooms and passcodes as pure
 * logic with time passed in, emitting actions (as acd.c does for a queue).
 *
 * A call to the bridge takes one of its ports, first come first served
 * across all rooms (lowest free port, for the CDRs), from answer until it
 * leaves; with none free it is refused (486). The caller hears a prompt and
 * keys a passcode ended by '#' ('*' starts the entry again); a wrong one is
 * asked again, BH_ROOMS_TRIES tries in all, then the call ends. An entry
 * left without a digit for BH_ROOMS_ENTRY_TIMEOUT counts as a try. Wrong
 * passcodes from one source address are counted: `lockout.failures` of
 * them within `lockout.window` refuse that address (403) for
 * `lockout.time`.
 *
 * Rooms are the scenario's passcodes (fixed rooms), or without them any
 * passcode (of `passcode_length` digits when set) opens a room or joins
 * the room it opened. A fixed room's moderator PIN joins that room as its
 * moderator; a room without a PIN is moderated by the participant who
 * opened it (no hand-over when that one leaves). `max_per_room` caps a
 * room; a locked room takes only moderators. With `end_with_moderator`,
 * when a room's last moderator leaves, everyone else's call ends.
 *
 * Keys in a room (DTMF after joining):
 *   1  mute / unmute oneself
 *   2  moderator: lock / unlock the room
 *   3  moderator: remove the participant who joined last (moderators are
 *      never removed)
 *   4  moderator: mute / unmute everyone but the moderators (participants
 *      who join while it is on join muted; anyone may unmute with 1)
 *
 * Every input queues actions (play the prompt, join the mixer, tones,
 * music on hold when alone, mute, end a call); bh_rooms_poll hands them
 * out in order and runs the entry timeouts. Nothing here reads a clock or
 * touches a socket: the switch turns actions into SIP and media. */
#ifndef BH_ROOMS_H
#define BH_ROOMS_H

#include "bh.h"
#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounded sizes and fixed rules, each tested. */
#define BH_ROOMS_TRIES 3            /* passcode entries before the end */
#define BH_ROOMS_ENTRY_TIMEOUT 15.0 /* s without a digit: a try is used */
#define BH_ROOMS_MAX_ADDRESSES 4096 /* source addresses counted at once */
#define BH_ROOMS_MAX_ADDR 64        /* bytes of an address, NUL included */

enum bh_rooms_kind {
    BH_ROOMS_PROMPT,     /* play the passcode prompt to `port`; arg: tries
                            used so far (> 0: "wrong passcode, again") */
    BH_ROOMS_JOIN,       /* `port` joins `room` (mixer); arg: BH_ROOMS_F_* */
    BH_ROOMS_END,        /* end `port`'s call (BYE); arg: enum
                            bh_rooms_reason. The port stays held until
                            bh_rooms_leave. */
    BH_ROOMS_JOIN_TONE,  /* `port` joined `room`: a tone to the room */
    BH_ROOMS_LEAVE_TONE, /* `port` left `room`: a tone to the room */
    BH_ROOMS_MOH_START,  /* `port` is alone in `room`: music on hold */
    BH_ROOMS_MOH_STOP,   /* `port` is no longer alone */
    BH_ROOMS_MUTE,       /* mute `port` in the mixer */
    BH_ROOMS_UNMUTE,
    BH_ROOMS_LOCK, /* `room` locked by moderator `port` (a tone) */
    BH_ROOMS_UNLOCK
};

/* BH_ROOMS_JOIN flags. */
#define BH_ROOMS_F_MODERATOR 1
#define BH_ROOMS_F_MUTED 2

enum bh_rooms_reason {
    BH_ROOMS_HANGUP,         /* the caller left (not an END action) */
    BH_ROOMS_TRIES_USED,     /* BH_ROOMS_TRIES wrong or empty entries */
    BH_ROOMS_LOCKED_OUT,     /* this wrong passcode locked its address */
    BH_ROOMS_ROOM_FULL,      /* max_per_room reached */
    BH_ROOMS_ROOM_LOCKED,    /* the room is locked */
    BH_ROOMS_REMOVED,        /* removed by the moderator */
    BH_ROOMS_MODERATOR_LEFT, /* end_with_moderator */
    BH_ROOMS_REASON_COUNT
};

/* "hangup", "tries-used", ...: for logs and CDRs. Static storage. */
const char *bh_rooms_reason_name(enum bh_rooms_reason r);

struct bh_rooms_action {
    enum bh_rooms_kind kind;
    int port;      /* the participant's port; for tones, the one who came
                      or went; for LOCK/UNLOCK the moderator */
    uint64_t call; /* the call on that port */
    int room;      /* -1 before joining */
    int arg;
};

/* What a participant did, for its CDR row (bh_rooms_leave). */
struct bh_rooms_participant {
    uint64_t call;
    int port;
    int room;                          /* -1: never joined */
    char passcode[BH_SC_MAX_PASSCODE]; /* of its room, "" if none */
    int tries;                         /* passcode entries used */
    bool moderator;
    double answer, join, leave; /* s; join -1 when it never joined */
    enum bh_rooms_reason reason;
};

struct bh_rooms_stats {
    uint64_t arrived;  /* calls that took a port */
    uint64_t busy;     /* refused: no free port (486) */
    uint64_t refused;  /* refused: address locked out (403) */
    uint64_t lockouts; /* addresses locked out */
    uint64_t wrong;    /* wrong passcodes */
    uint64_t timeouts; /* entries without a digit */
    uint64_t joined;   /* joins */
    uint64_t ended[BH_ROOMS_REASON_COUNT]; /* END actions by reason */
};

struct bh_rooms;

/* The bridge b (borrowed: it must outlive the rooms). BH_ENOMEM. */
int bh_rooms_new(const struct bh_sc_bridge *b, struct bh_rooms **out);
void bh_rooms_free(struct bh_rooms *r);

/* A call from source address addr (text such as "192.0.2.1", borrowed;
 * longer than BH_ROOMS_MAX_ADDR - 1 bytes it is cut) arrives at now.
 * Returns its port (>= 0): answered, its prompt queued; BH_ERANGE when
 * every port is busy (486); BH_EAUTH when the address is locked out
 * (403). */
int bh_rooms_arrive(struct bh_rooms *r, uint64_t call, const char *addr,
                    double now);
/* A digit ('0'-'9', '*', '#', 'A'-'D') keyed by the caller on port, however
 * it came (RFC 4733, SIP INFO, in-band). BH_ESTATE when the port is free;
 * digits on a call being ended are ignored (0). */
int bh_rooms_digit(struct bh_rooms *r, int port, char digit, double now);
/* The call on port is over (the caller hung up, or the switch ended it
 * after an END action): the port is free again. Fills info (may be NULL)
 * for the CDR. BH_ESTATE when the port is free. */
int bh_rooms_leave(struct bh_rooms *r, int port, double now,
                   struct bh_rooms_participant *info);
/* Runs entry timeouts due by now, then writes at most max queued actions
 * in order and returns how many; call again while it returns max. */
size_t bh_rooms_poll(struct bh_rooms *r, double now,
                     struct bh_rooms_action *out, size_t max);
/* Earliest time at which poll has a timeout to run (INFINITY if none);
 * actions already queued are due at once. */
double bh_rooms_deadline(const struct bh_rooms *r);

/* Observers. */
int bh_rooms_ports_busy(const struct bh_rooms *r);
/* Participants in room, or 0 for a room that is not open. */
int bh_rooms_room_size(const struct bh_rooms *r, int room);
bool bh_rooms_room_locked(const struct bh_rooms *r, int room);
/* The room's passcode (static until the room closes), "" if none. */
const char *bh_rooms_room_passcode(const struct bh_rooms *r, int room);
/* Whether addr is refused at now. */
bool bh_rooms_locked_out(const struct bh_rooms *r, const char *addr,
                         double now);
void bh_rooms_stats(const struct bh_rooms *r, struct bh_rooms_stats *st);

#endif
