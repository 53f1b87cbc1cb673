/* rooms.c: a conference bridge's ports, passcodes, rooms, moderators and
 * lockouts as pure logic emitting actions (rooms.h). */
#include "rooms.h"
#include "grow.h"
#include "switch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hash buckets of the lockout table (a power of two, twice its entries). */
#define ADDR_BUCKETS (2 * BH_ROOMS_MAX_ADDRESSES)

enum port_state { P_FREE, P_ENTRY, P_ROOM, P_ENDING };

struct port {
    uint8_t state;
    bool moderator, muted, overflow;
    bool armed; /* has an entry in the timeout heap */
    uint8_t ndigits;
    int tries;
    int room;       /* -1 until joined */
    int prev, next; /* join order in the room; -1 at the ends */
    uint32_t gen;   /* tells its timeouts from a former call's */
    uint64_t call;
    double answer, join, deadline;
    enum bh_rooms_reason reason;
    /* the digits keyed; once joined, the room's passcode (for the CDR) */
    char digits[BH_SC_MAX_PASSCODE];
    char addr[BH_ROOMS_MAX_ADDR];
};

/* Fixed rooms are the first npasscodes slots; open rooms take the others,
 * found by passcode through a chained hash and recycled when empty. */
struct room {
    char passcode[BH_SC_MAX_PASSCODE];
    const char *pin; /* fixed rooms: the moderator PIN, "" none */
    int n, moderators;
    int head, tail; /* ports in join order */
    int hnext;      /* open rooms: hash chain, or the free list */
    bool locked, mute_all;
};

/* A source address that keyed wrong passcodes. */
struct addr {
    char addr[BH_ROOMS_MAX_ADDR];
    int failures;
    double first, until; /* the window's start; locked out until */
    int next;            /* hash chain, or the free list */
};

struct timeout {
    double at;
    int port;
    uint32_t gen;
};

struct bh_rooms {
    const struct bh_sc_bridge *b;
    struct bh_switch_lines *lines;
    struct port *ports; /* grown as ports are seized, up to b->ports */
    size_t capports;
    struct room *rooms;
    size_t nrooms, caprooms;
    int free_room;      /* open room slots to reuse */
    int *buckets;       /* open rooms by passcode */
    uint64_t nbuckets;  /* a power of two */
    struct addr *addrs; /* BH_ROOMS_MAX_ADDRESSES, when lockout is on */
    int *abuckets;      /* ADDR_BUCKETS */
    int afree, naddrs;
    struct bh_rooms_action *q; /* actions queued: q[qhead..qlen) */
    size_t qhead, qlen, qcap;
    struct timeout *heap; /* entry timeouts, a binary min-heap */
    size_t nheap, capheap;
    struct bh_rooms_stats st;
};

static const char *const reason_names[BH_ROOMS_REASON_COUNT] = {
    "hangup",      "tries-used", "locked-out",     "room-full",
    "room-locked", "removed",    "moderator-left",
};

const char *
bh_rooms_reason_name(enum bh_rooms_reason r) {
    return (unsigned)r < BH_ROOMS_REASON_COUNT ? reason_names[r] : "";
}

int
bh_rooms_new(const struct bh_sc_bridge *b, struct bh_rooms **out) {
    *out = NULL;
    struct bh_rooms *r = calloc(1, sizeof *r);
    if (!r)
        return BH_ENOMEM;
    r->b = b;
    r->free_room = -1;
    r->nbuckets = 16;
    while (r->nbuckets < (uint64_t)b->ports && r->nbuckets < (1u << 20))
        r->nbuckets *= 2;
    int rc = bh_switch_lines_new(b->ports, &r->lines);
    if (!rc && !(r->buckets = malloc(r->nbuckets * sizeof *r->buckets)))
        rc = BH_ENOMEM;
    if (!rc)
        rc = sw_grow(&r->rooms, &r->caprooms, b->npasscodes + 1,
                     sizeof *r->rooms);
    if (!rc && b->lockout.failures > 0) {
        r->addrs = calloc(BH_ROOMS_MAX_ADDRESSES, sizeof *r->addrs);
        r->abuckets = malloc(ADDR_BUCKETS * sizeof *r->abuckets);
        if (!r->addrs || !r->abuckets)
            rc = BH_ENOMEM;
    }
    if (rc) {
        bh_rooms_free(r);
        return rc;
    }
    for (uint64_t i = 0; i < r->nbuckets; i++)
        r->buckets[i] = -1;
    if (r->addrs) {
        for (int i = 0; i < ADDR_BUCKETS; i++)
            r->abuckets[i] = -1;
        for (int i = 0; i < BH_ROOMS_MAX_ADDRESSES; i++)
            r->addrs[i].next = i + 1 < BH_ROOMS_MAX_ADDRESSES ? i + 1 : -1;
    }
    for (size_t i = 0; i < b->npasscodes; i++) {
        struct room *rm = &r->rooms[i];
        memset(rm, 0, sizeof *rm);
        strcpy(rm->passcode, b->passcodes[i]);
        rm->pin = b->moderator_pins[i];
        rm->head = rm->tail = rm->hnext = -1;
    }
    r->nrooms = b->npasscodes;
    *out = r;
    return 0;
}

void
bh_rooms_free(struct bh_rooms *r) {
    if (!r)
        return;
    bh_switch_lines_free(r->lines);
    free(r->ports);
    free(r->rooms);
    free(r->buckets);
    free(r->addrs);
    free(r->abuckets);
    free(r->q);
    free(r->heap);
    free(r);
}

/* ---- actions and timeouts ----------------------------------------------- */

static void
emit(struct bh_rooms *r, enum bh_rooms_kind kind, int port, int room, int arg) {
    if (r->qhead > 0 && r->qlen == r->qcap) {
        memmove(r->q, r->q + r->qhead, (r->qlen - r->qhead) * sizeof *r->q);
        r->qlen -= r->qhead;
        r->qhead = 0;
    }
    /* Out of memory, the action is lost: the switch's call goes on as if
     * it had not been asked (never a crash). */
    if (sw_grow(&r->q, &r->qcap, r->qlen + 1, sizeof *r->q))
        return;
    uint64_t call = port >= 0 ? r->ports[port].call : 0;
    r->q[r->qlen++] = (struct bh_rooms_action){kind, port, call, room, arg};
}

static bool
earlier(const struct timeout *a, const struct timeout *b) {
    return a->at < b->at;
}

/* Sets port's entry deadline; one heap entry per port at a time, moved
 * on lazily when it comes due (digits push the deadline on). */
static void
arm(struct bh_rooms *r, int port, double at) {
    struct port *p = &r->ports[port];
    p->deadline = at;
    if (p->armed)
        return;
    if (sw_grow(&r->heap, &r->capheap, r->nheap + 1, sizeof *r->heap))
        return; /* the entry then waits for its digits, never a crash */
    p->armed = true;
    size_t i = r->nheap++;
    struct timeout t = {at, port, p->gen};
    while (i > 0 && earlier(&t, &r->heap[(i - 1) / 2])) {
        r->heap[i] = r->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    r->heap[i] = t;
}

static struct timeout
pop(struct bh_rooms *r) {
    struct timeout top = r->heap[0], last = r->heap[--r->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= r->nheap)
            break;
        if (c + 1 < r->nheap && earlier(&r->heap[c + 1], &r->heap[c]))
            c++;
        if (!earlier(&r->heap[c], &last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (r->nheap > 0)
        r->heap[i] = last;
    return top;
}

/* ---- lockout: wrong passcodes by source address ------------------------- */

static size_t
addr_bucket(const char *a) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 1099511628211ULL;
    return (size_t)(h & (ADDR_BUCKETS - 1));
}

static int
addr_find(const struct bh_rooms *r, const char *a) {
    for (int i = r->abuckets[addr_bucket(a)]; i >= 0; i = r->addrs[i].next)
        if (strcmp(r->addrs[i].addr, a) == 0)
            return i;
    return -1;
}

static void
addr_remove(struct bh_rooms *r, int e) {
    int *link = &r->abuckets[addr_bucket(r->addrs[e].addr)];
    while (*link != e)
        link = &r->addrs[*link].next;
    *link = r->addrs[e].next;
    r->addrs[e].next = r->afree;
    r->afree = e;
    r->naddrs--;
}

/* The entry to give up when the table is full: one whose window and
 * lockout are over, else the oldest not locked out, else the one whose
 * lockout ends first. O(BH_ROOMS_MAX_ADDRESSES), only when full. */
static int
addr_victim(const struct bh_rooms *r, double now) {
    const struct bh_sc_lockout *lo = &r->b->lockout;
    int best = 0;
    for (int i = 0; i < BH_ROOMS_MAX_ADDRESSES; i++) {
        const struct addr *e = &r->addrs[i], *b = &r->addrs[best];
        bool locked = e->until > now, blocked = b->until > now;
        if (!locked && now - e->first > lo->window)
            return i;
        if (locked != blocked
                ? !locked
                : (locked ? e->until < b->until : e->first < b->first))
            best = i;
    }
    return best;
}

static int
addr_get(struct bh_rooms *r, const char *a, double now) {
    int e = addr_find(r, a);
    if (e >= 0)
        return e;
    if (r->naddrs == BH_ROOMS_MAX_ADDRESSES)
        addr_remove(r, addr_victim(r, now));
    e = r->afree;
    r->afree = r->addrs[e].next;
    r->naddrs++;
    struct addr *x = &r->addrs[e];
    strcpy(x->addr, a);
    x->failures = 0;
    x->first = now;
    x->until = -INFINITY;
    size_t bk = addr_bucket(a);
    x->next = r->abuckets[bk];
    r->abuckets[bk] = e;
    return e;
}

/* A wrong passcode from a: true when it locks a out. */
static bool
addr_failure(struct bh_rooms *r, const char *a, double now) {
    const struct bh_sc_lockout *lo = &r->b->lockout;
    if (lo->failures <= 0)
        return false;
    struct addr *e = &r->addrs[addr_get(r, a, now)];
    if (e->failures == 0 || now - e->first > lo->window) {
        e->failures = 0;
        e->first = now;
    }
    if (++e->failures < lo->failures)
        return false;
    e->failures = 0;
    e->until = now + lo->time;
    r->st.lockouts++;
    return true;
}

bool
bh_rooms_locked_out(const struct bh_rooms *r, const char *addr, double now) {
    if (!r->addrs)
        return false;
    char a[BH_ROOMS_MAX_ADDR];
    strncpy(a, addr, sizeof a - 1);
    a[sizeof a - 1] = '\0';
    int e = addr_find(r, a);
    return e >= 0 && r->addrs[e].until > now;
}

/* ---- rooms -------------------------------------------------------------- */

/* An open room's hash key: the passcode's digits as a number, and its
 * length (leading zeros count). */
static size_t
room_bucket(const struct bh_rooms *r, const char *code) {
    uint64_t k = 0;
    size_t n = 0;
    for (; code[n]; n++)
        k = k * 10 + (uint64_t)(code[n] - '0');
    k = k * 16 + n;
    return (size_t)((k * 0x9E3779B97F4A7C15ULL) >> 20) & (r->nbuckets - 1);
}

/* The open room with this passcode, opened if need be; -1 out of
 * memory. */
static int
room_open(struct bh_rooms *r, const char *code) {
    size_t bk = room_bucket(r, code);
    for (int i = r->buckets[bk]; i >= 0; i = r->rooms[i].hnext)
        if (strcmp(r->rooms[i].passcode, code) == 0)
            return i;
    int i = r->free_room;
    if (i >= 0) {
        r->free_room = r->rooms[i].hnext;
    } else {
        if (sw_grow(&r->rooms, &r->caprooms, r->nrooms + 1, sizeof *r->rooms))
            return -1;
        i = (int)r->nrooms++;
    }
    struct room *rm = &r->rooms[i];
    memset(rm, 0, sizeof *rm);
    strcpy(rm->passcode, code);
    rm->pin = "";
    rm->head = rm->tail = -1;
    rm->hnext = r->buckets[bk];
    r->buckets[bk] = i;
    return i;
}

/* The last participant left: the room forgets its lock and mute-all; an
 * open room closes. */
static void
room_close(struct bh_rooms *r, int i) {
    struct room *rm = &r->rooms[i];
    rm->locked = rm->mute_all = false;
    if ((size_t)i < r->b->npasscodes)
        return;
    int *link = &r->buckets[room_bucket(r, rm->passcode)];
    while (*link != i)
        link = &r->rooms[*link].hnext;
    *link = rm->hnext;
    rm->passcode[0] = '\0';
    rm->hnext = r->free_room;
    r->free_room = i;
}

static void
room_enter(struct bh_rooms *r, int port, int room, bool moderator, double now) {
    struct port *p = &r->ports[port];
    struct room *rm = &r->rooms[room];
    p->state = P_ROOM;
    p->room = room;
    p->join = now;
    p->moderator = moderator;
    p->muted = rm->mute_all && !moderator;
    strcpy(p->digits, rm->passcode);
    p->prev = rm->tail;
    p->next = -1;
    if (rm->tail >= 0)
        r->ports[rm->tail].next = port;
    else
        rm->head = port;
    rm->tail = port;
    rm->n++;
    rm->moderators += moderator;
    r->st.joined++;
    emit(r, BH_ROOMS_JOIN, port, room,
         (moderator ? BH_ROOMS_F_MODERATOR : 0) |
             (p->muted ? BH_ROOMS_F_MUTED : 0));
    if (rm->n == 1) {
        emit(r, BH_ROOMS_MOH_START, port, room, 0);
        return;
    }
    if (rm->n == 2)
        emit(r, BH_ROOMS_MOH_STOP, rm->head, room, 0);
    emit(r, BH_ROOMS_JOIN_TONE, port, room, 0);
}

/* Takes port out of its room; with `tones`, the others hear it go and one
 * left alone gets music on hold. */
static void
room_exit(struct bh_rooms *r, int port, bool tones) {
    struct port *p = &r->ports[port];
    struct room *rm = &r->rooms[p->room];
    if (p->prev >= 0)
        r->ports[p->prev].next = p->next;
    else
        rm->head = p->next;
    if (p->next >= 0)
        r->ports[p->next].prev = p->prev;
    else
        rm->tail = p->prev;
    rm->n--;
    rm->moderators -= p->moderator;
    if (rm->n == 0) {
        room_close(r, p->room);
        return;
    }
    if (!tones)
        return;
    emit(r, BH_ROOMS_LEAVE_TONE, port, p->room, 0);
    if (rm->n == 1)
        emit(r, BH_ROOMS_MOH_START, rm->head, p->room, 0);
}

/* Ends port's call: out of its room at once (the room's count is right
 * for the next caller), the port held until bh_rooms_leave. */
static void
end_call(struct bh_rooms *r, int port, enum bh_rooms_reason why) {
    struct port *p = &r->ports[port];
    if (p->state == P_ROOM)
        room_exit(r, port, why != BH_ROOMS_MODERATOR_LEFT);
    p->state = P_ENDING;
    p->reason = why;
    r->st.ended[why]++;
    emit(r, BH_ROOMS_END, port, p->room, why);
}

/* The room's last moderator left a room that ends with its moderator:
 * everyone else's call ends, without tones. */
static void
end_room(struct bh_rooms *r, int room) {
    while (r->rooms[room].n > 0)
        end_call(r, r->rooms[room].head, BH_ROOMS_MODERATOR_LEFT);
}

/* ---- passcode entry ----------------------------------------------------- */

static void
prompt(struct bh_rooms *r, int port, double now) {
    struct port *p = &r->ports[port];
    p->ndigits = 0;
    p->digits[0] = '\0';
    p->overflow = false;
    emit(r, BH_ROOMS_PROMPT, port, -1, p->tries);
    arm(r, port, now + BH_ROOMS_ENTRY_TIMEOUT);
}

/* A try used without joining: prompt again, or end the call. */
static void
try_used(struct bh_rooms *r, int port, double now) {
    if (r->ports[port].tries >= BH_ROOMS_TRIES)
        end_call(r, port, BH_ROOMS_TRIES_USED);
    else
        prompt(r, port, now);
}

/* The room the digits open, and whether as its moderator; -1 if none. */
static int
find_room(struct bh_rooms *r, const struct port *p, bool *moderator) {
    const struct bh_sc_bridge *b = r->b;
    *moderator = false;
    if (p->overflow || p->ndigits == 0)
        return -1;
    if (b->npasscodes == 0) {
        if (b->passcode_length > 0 && p->ndigits != b->passcode_length)
            return -1;
        int i = room_open(r, p->digits);
        *moderator = i >= 0 && r->rooms[i].n == 0;
        return i;
    }
    for (size_t i = 0; i < b->npasscodes; i++) {
        const struct room *rm = &r->rooms[i];
        if (strcmp(rm->passcode, p->digits) == 0) {
            *moderator = rm->pin[0] == '\0' && rm->n == 0;
            return (int)i;
        }
        if (rm->pin[0] && strcmp(rm->pin, p->digits) == 0) {
            *moderator = true;
            return (int)i;
        }
    }
    return -1;
}

/* '#' ended an entry. */
static void
entered(struct bh_rooms *r, int port, double now) {
    struct port *p = &r->ports[port];
    bool moderator;
    p->tries++;
    int room = find_room(r, p, &moderator);
    if (room < 0) {
        r->st.wrong++;
        if (addr_failure(r, p->addr, now))
            end_call(r, port, BH_ROOMS_LOCKED_OUT);
        else
            try_used(r, port, now);
        return;
    }
    const struct room *rm = &r->rooms[room];
    if (rm->locked && !moderator) {
        p->room = room;
        end_call(r, port, BH_ROOMS_ROOM_LOCKED);
    } else if (rm->n >= r->b->max_per_room) {
        p->room = room;
        end_call(r, port, BH_ROOMS_ROOM_FULL);
    } else {
        room_enter(r, port, room, moderator, now);
    }
}

static void
entry_digit(struct bh_rooms *r, int port, char d, double now) {
    struct port *p = &r->ports[port];
    if (d == '#') {
        entered(r, port, now);
        return;
    }
    if (d == '*') {
        p->ndigits = 0;
        p->digits[0] = '\0';
        p->overflow = false;
    } else if (d >= '0' && d <= '9') {
        if (p->ndigits + 1 < BH_SC_MAX_PASSCODE) {
            p->digits[p->ndigits++] = d;
            p->digits[p->ndigits] = '\0';
        } else {
            p->overflow = true;
        }
    } else {
        return;
    }
    p->deadline = now + BH_ROOMS_ENTRY_TIMEOUT; /* the heap entry follows */
}

/* ---- in a room ---------------------------------------------------------- */

static void
set_mute(struct bh_rooms *r, int port, bool muted) {
    struct port *p = &r->ports[port];
    if (p->muted == muted)
        return;
    p->muted = muted;
    emit(r, muted ? BH_ROOMS_MUTE : BH_ROOMS_UNMUTE, port, p->room, 0);
}

static void
room_digit(struct bh_rooms *r, int port, char d) {
    struct port *p = &r->ports[port];
    struct room *rm = &r->rooms[p->room];
    if (d == '1') {
        set_mute(r, port, !p->muted);
        return;
    }
    if (!p->moderator)
        return;
    if (d == '2') {
        rm->locked = !rm->locked;
        emit(r, rm->locked ? BH_ROOMS_LOCK : BH_ROOMS_UNLOCK, port, p->room, 0);
    } else if (d == '3') {
        int i = rm->tail;
        while (i >= 0 && r->ports[i].moderator)
            i = r->ports[i].prev;
        if (i >= 0)
            end_call(r, i, BH_ROOMS_REMOVED);
    } else if (d == '4') {
        rm->mute_all = !rm->mute_all;
        for (int i = rm->head; i >= 0; i = r->ports[i].next)
            if (!r->ports[i].moderator)
                set_mute(r, i, rm->mute_all);
    }
}

/* ---- inputs ------------------------------------------------------------- */

int
bh_rooms_arrive(struct bh_rooms *r, uint64_t call, const char *addr,
                double now) {
    char a[BH_ROOMS_MAX_ADDR];
    strncpy(a, addr, sizeof a - 1);
    a[sizeof a - 1] = '\0';
    if (bh_rooms_locked_out(r, a, now)) {
        r->st.refused++;
        return BH_EAUTH;
    }
    int port = bh_switch_lines_seize(r->lines);
    if (port < 0) {
        r->st.busy++;
        return BH_ERANGE;
    }
    size_t cap = r->capports;
    if (sw_grow(&r->ports, &r->capports, (size_t)port + 1, sizeof *r->ports)) {
        bh_switch_lines_release(r->lines, port);
        return BH_ENOMEM;
    }
    memset(r->ports + cap, 0, (r->capports - cap) * sizeof *r->ports);
    struct port *p = &r->ports[port];
    uint32_t gen = p->gen; /* older timeouts of this port are stale */
    memset(p, 0, sizeof *p);
    p->gen = gen + 1;
    p->state = P_ENTRY;
    p->call = call;
    p->room = -1;
    p->answer = now;
    p->join = -1;
    strcpy(p->addr, a);
    r->st.arrived++;
    prompt(r, port, now);
    return port;
}

static struct port *
busy_port(struct bh_rooms *r, int port) {
    if (port < 0 || (size_t)port >= r->capports ||
        r->ports[port].state == P_FREE)
        return NULL;
    return &r->ports[port];
}

int
bh_rooms_digit(struct bh_rooms *r, int port, char digit, double now) {
    struct port *p = busy_port(r, port);
    if (!p)
        return BH_ESTATE;
    if (p->state == P_ENTRY)
        entry_digit(r, port, digit, now);
    else if (p->state == P_ROOM)
        room_digit(r, port, digit);
    return 0;
}

int
bh_rooms_leave(struct bh_rooms *r, int port, double now,
               struct bh_rooms_participant *info) {
    struct port *p = busy_port(r, port);
    if (!p)
        return BH_ESTATE;
    if (p->state == P_ROOM) {
        int room = p->room;
        bool ends = p->moderator && r->b->end_with_moderator &&
                    r->rooms[room].moderators == 1;
        room_exit(r, port, !ends);
        if (ends)
            end_room(r, room);
    }
    if (info) {
        *info = (struct bh_rooms_participant){
            .call = p->call,
            .port = port,
            .room = p->join >= 0 ? p->room : -1,
            .tries = p->tries,
            .moderator = p->moderator,
            .answer = p->answer,
            .join = p->join,
            .leave = now,
            .reason = p->state == P_ENDING ? p->reason : BH_ROOMS_HANGUP};
        if (p->join >= 0)
            strcpy(info->passcode, p->digits);
    }
    p->state = P_FREE;
    p->gen++;
    bh_switch_lines_release(r->lines, port);
    return 0;
}

size_t
bh_rooms_poll(struct bh_rooms *r, double now, struct bh_rooms_action *out,
              size_t max) {
    while (r->nheap > 0 && r->heap[0].at <= now) {
        struct timeout t = pop(r);
        struct port *p = &r->ports[t.port];
        if (p->gen != t.gen)
            continue; /* a former call's */
        p->armed = false;
        if (p->state != P_ENTRY)
            continue; /* the entry is over */
        if (p->deadline > t.at) {
            arm(r, t.port, p->deadline); /* digits came since */
            continue;
        }
        r->st.timeouts++;
        p->tries++;
        try_used(r, t.port, t.at);
    }
    size_t n = 0;
    while (n < max && r->qhead < r->qlen)
        out[n++] = r->q[r->qhead++];
    if (r->qhead == r->qlen)
        r->qhead = r->qlen = 0;
    return n;
}

double
bh_rooms_deadline(const struct bh_rooms *r) {
    return r->nheap > 0 ? r->heap[0].at : INFINITY;
}

/* ---- observers ---------------------------------------------------------- */

int
bh_rooms_ports_busy(const struct bh_rooms *r) {
    return bh_switch_lines_busy(r->lines);
}

static const struct room *
open_room(const struct bh_rooms *r, int room) {
    if (room < 0 || (size_t)room >= r->nrooms)
        return NULL;
    const struct room *rm = &r->rooms[room];
    return (size_t)room < r->b->npasscodes || rm->passcode[0] ? rm : NULL;
}

int
bh_rooms_room_size(const struct bh_rooms *r, int room) {
    const struct room *rm = open_room(r, room);
    return rm ? rm->n : 0;
}

bool
bh_rooms_room_locked(const struct bh_rooms *r, int room) {
    const struct room *rm = open_room(r, room);
    return rm && rm->locked;
}

const char *
bh_rooms_room_passcode(const struct bh_rooms *r, int room) {
    const struct room *rm = open_room(r, room);
    return rm ? rm->passcode : "";
}

void
bh_rooms_stats(const struct bh_rooms *r, struct bh_rooms_stats *st) {
    *st = r->st;
}
