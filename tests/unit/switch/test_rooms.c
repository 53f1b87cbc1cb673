/* test_rooms.c: the bridge's ports, passcodes, rooms, moderators and
 * lockouts, one rule per test, by the actions they emit. */
#include "rooms.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A bridge: fixed rooms from codes ("pass" or "pass/pin"), none = open. */
struct bridge {
    struct bh_sc_bridge b;
    char pass[8][BH_SC_MAX_PASSCODE];
    char pins[8][BH_SC_MAX_PASSCODE];
};

static void
bridge(struct bridge *x, int ports, int per_room, const char *const *codes) {
    memset(x, 0, sizeof *x);
    strcpy(x->b.name, "conf");
    x->b.ports = ports;
    x->b.max_per_room = per_room;
    x->b.talkers = 3;
    x->b.lockout = (struct bh_sc_lockout){10, 600, 900};
    for (; codes && *codes; codes++) {
        size_t i = x->b.npasscodes++;
        const char *slash = strchr(*codes, '/');
        size_t n = slash ? (size_t)(slash - *codes) : strlen(*codes);
        memcpy(x->pass[i], *codes, n);
        if (slash)
            strcpy(x->pins[i], slash + 1);
    }
    x->b.passcodes = x->pass;
    x->b.moderator_pins = x->pins;
}

static struct bh_rooms *
rooms(const struct bridge *x) {
    struct bh_rooms *r = NULL;
    assert_int_equal(bh_rooms_new(&x->b, &r), 0);
    return r;
}

static struct bh_rooms *
setup(struct bridge *x, int ports, int per_room, const char *const *codes) {
    bridge(x, ports, per_room, codes);
    return rooms(x);
}

/* The actions queued, polled at now. */
struct acts {
    struct bh_rooms_action a[64];
    size_t n;
};

static struct acts
poll_at(struct bh_rooms *r, double now) {
    struct acts x;
    x.n = bh_rooms_poll(r, now, x.a, 64);
    assert_true(x.n < 64);
    return x;
}

static void
is(const struct bh_rooms_action *a, enum bh_rooms_kind kind, int port, int room,
   int arg) {
    if (a->kind != kind || a->port != port || a->room != room || a->arg != arg)
        fprintf(stderr,
                "action %d port %d room %d arg %d, expected %d %d %d %d\n",
                a->kind, a->port, a->room, a->arg, kind, port, room, arg);
    assert_int_equal(a->kind, kind);
    assert_int_equal(a->port, port);
    assert_int_equal(a->room, room);
    assert_int_equal(a->arg, arg);
}

/* Keys digits on port at now. */
static void
keys(struct bh_rooms *r, int port, const char *d, double now) {
    for (; *d; d++)
        assert_int_equal(bh_rooms_digit(r, port, *d, now), 0);
}

/* A caller from addr who arrives and keys code at now; returns its port
 * and drops the actions (the PROMPT and whatever joining did). */
static int
join(struct bh_rooms *r, uint64_t call, const char *addr, const char *code,
     double now) {
    int port = bh_rooms_arrive(r, call, addr, now);
    assert_true(port >= 0);
    keys(r, port, code, now);
    poll_at(r, now);
    return port;
}

/* ---- ports -------------------------------------------------------------- */

/* Ports are taken first come first served across all rooms (lowest free
 * first), from answer -- before any passcode -- until the caller leaves;
 * with none free the caller is refused. */
static void
ports_first_come(void **state) {
    (void)state;
    static const char *const codes[] = {"11", "22", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 3, 3, codes);
    assert_int_equal(join(r, 1, "a", "11#", 0), 0);
    assert_int_equal(join(r, 2, "b", "22#", 1), 1);
    assert_int_equal(bh_rooms_arrive(r, 3, "c", 2), 2); /* still keying */
    assert_int_equal(bh_rooms_ports_busy(r), 3);
    assert_int_equal(bh_rooms_arrive(r, 4, "d", 3), BH_ERANGE);
    assert_int_equal(bh_rooms_leave(r, 1, 4, NULL), 0);
    assert_int_equal(bh_rooms_arrive(r, 5, "e", 5), 1);
    assert_int_equal(bh_rooms_arrive(r, 6, "f", 6), BH_ERANGE);
    struct bh_rooms_stats st;
    bh_rooms_stats(r, &st);
    assert_int_equal(st.arrived, 4);
    assert_int_equal(st.busy, 2);
    assert_int_equal(bh_rooms_leave(r, 1, 7, NULL), 0);
    assert_int_equal(bh_rooms_leave(r, 1, 7, NULL), BH_ESTATE);
    assert_int_equal(bh_rooms_digit(r, 1, '1', 7), BH_ESTATE);
    assert_int_equal(bh_rooms_digit(r, 99, '1', 7), BH_ESTATE);
    assert_int_equal(bh_rooms_leave(r, -1, 7, NULL), BH_ESTATE);
    bh_rooms_free(r);
    bh_rooms_free(NULL);
}

/* max_per_room caps a room, not the others; the port is held until the
 * switch ends the call. */
static void
max_per_room(void **state) {
    (void)state;
    static const char *const codes[] = {"11", "22", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 10, 2, codes);
    join(r, 1, "a", "11#", 0);
    join(r, 2, "b", "11#", 0);
    int p = bh_rooms_arrive(r, 3, "c", 1);
    keys(r, p, "11#", 2);
    struct acts a = poll_at(r, 2);
    assert_int_equal(a.n, 2);
    is(&a.a[0], BH_ROOMS_PROMPT, p, -1, 0);
    is(&a.a[1], BH_ROOMS_END, p, 0, BH_ROOMS_ROOM_FULL);
    assert_int_equal(bh_rooms_room_size(r, 0), 2);
    assert_int_equal(bh_rooms_ports_busy(r), 3);
    struct bh_rooms_participant info;
    assert_int_equal(bh_rooms_leave(r, p, 3, &info), 0);
    assert_int_equal(info.reason, BH_ROOMS_ROOM_FULL);
    assert_int_equal(info.room, -1);
    assert_int_equal(info.tries, 1);
    join(r, 4, "d", "22#", 4);
    assert_int_equal(bh_rooms_room_size(r, 1), 1);
    bh_rooms_free(r);
}

/* ---- passcodes ---------------------------------------------------------- */

/* The right passcode, ended by '#', joins; the participant's CDR facts. */
static void
right_passcode(void **state) {
    (void)state;
    static const char *const codes[] = {"1234", "5678", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 4, 4, codes);
    int p = bh_rooms_arrive(r, 77, "192.0.2.1", 10);
    struct acts a = poll_at(r, 10);
    assert_int_equal(a.n, 1);
    is(&a.a[0], BH_ROOMS_PROMPT, p, -1, 0);
    assert_int_equal(a.a[0].call, 77);
    keys(r, p, "567", 11);
    assert_int_equal(poll_at(r, 11).n, 0);
    keys(r, p, "8#", 12);
    a = poll_at(r, 12);
    assert_int_equal(a.n, 2);
    is(&a.a[0], BH_ROOMS_JOIN, p, 1, BH_ROOMS_F_MODERATOR);
    is(&a.a[1], BH_ROOMS_MOH_START, p, 1, 0);
    assert_string_equal(bh_rooms_room_passcode(r, 1), "5678");
    struct bh_rooms_participant info;
    assert_int_equal(bh_rooms_leave(r, p, 70, &info), 0);
    assert_int_equal(info.call, 77);
    assert_int_equal(info.port, p);
    assert_int_equal(info.room, 1);
    assert_string_equal(info.passcode, "5678");
    assert_int_equal(info.tries, 1);
    assert_true(info.answer == 10 && info.join == 12 && info.leave == 70);
    assert_int_equal(info.reason, BH_ROOMS_HANGUP);
    bh_rooms_free(r);
}

/* A wrong passcode is asked again; the third ends the call. '*' starts an
 * entry again; more than 15 digits are wrong; other keys are ignored. */
static void
three_tries(void **state) {
    (void)state;
    static const char *const codes[] = {"1234", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 4, 4, codes);
    int p = bh_rooms_arrive(r, 1, "a", 0);
    poll_at(r, 0);
    keys(r, p, "1235#", 1);
    struct acts a = poll_at(r, 1);
    assert_int_equal(a.n, 1);
    is(&a.a[0], BH_ROOMS_PROMPT, p, -1, 1);
    keys(r, p, "12341234123412341234#", 2); /* 20 digits: cut, wrong */
    a = poll_at(r, 2);
    is(&a.a[0], BH_ROOMS_PROMPT, p, -1, 2);
    keys(r, p, "99*1A234#", 3); /* '*' restarts, 'A' is ignored */
    a = poll_at(r, 3);
    assert_int_equal(a.n, 2);
    is(&a.a[0], BH_ROOMS_JOIN, p, 0, BH_ROOMS_F_MODERATOR);

    int q = bh_rooms_arrive(r, 2, "b", 4);
    keys(r, q, "1#2#3#", 5);
    a = poll_at(r, 5);
    assert_int_equal(a.n, 4);
    is(&a.a[1], BH_ROOMS_PROMPT, q, -1, 1);
    is(&a.a[2], BH_ROOMS_PROMPT, q, -1, 2);
    is(&a.a[3], BH_ROOMS_END, q, -1, BH_ROOMS_TRIES_USED);
    keys(r, q, "1234#", 6); /* too late: the call is ending */
    assert_int_equal(poll_at(r, 6).n, 0);
    struct bh_rooms_participant info;
    assert_int_equal(bh_rooms_leave(r, q, 7, &info), 0);
    assert_int_equal(info.tries, 3);
    assert_int_equal(info.reason, BH_ROOMS_TRIES_USED);
    assert_true(info.join == -1);
    struct bh_rooms_stats st;
    bh_rooms_stats(r, &st);
    assert_int_equal(st.wrong, 5);
    assert_int_equal(st.ended[BH_ROOMS_TRIES_USED], 1);
    assert_int_equal(BH_ROOMS_TRIES, 3);
    bh_rooms_free(r);
}

/* BH_ROOMS_ENTRY_TIMEOUT without a digit uses a try; digits keep the
 * entry alive; the third timeout ends the call. */
static void
entry_timeout(void **state) {
    (void)state;
    const double T = BH_ROOMS_ENTRY_TIMEOUT;
    static const char *const codes[] = {"1234", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 4, 4, codes);
    int p = bh_rooms_arrive(r, 1, "a", 100);
    poll_at(r, 100);
    assert_true(bh_rooms_deadline(r) == 100 + T);
    keys(r, p, "1", 100 + T - 1);
    assert_int_equal(poll_at(r, 100 + T).n, 0); /* a digit came */
    assert_int_equal(poll_at(r, 100 + 2 * T - 1.5).n, 0);
    struct acts a = poll_at(r, 100 + 2 * T);
    assert_int_equal(a.n, 1);
    is(&a.a[0], BH_ROOMS_PROMPT, p, -1, 1);
    a = poll_at(r, 100 + 4 * T);
    assert_int_equal(a.n, 2);
    is(&a.a[0], BH_ROOMS_PROMPT, p, -1, 2);
    is(&a.a[1], BH_ROOMS_END, p, -1, BH_ROOMS_TRIES_USED);
    struct bh_rooms_stats st;
    bh_rooms_stats(r, &st);
    assert_int_equal(st.timeouts, 3);
    assert_int_equal(st.wrong, 0);
    /* a caller who leaves while keying leaves no timeout behind */
    assert_int_equal(bh_rooms_leave(r, p, 200, NULL), 0);
    p = bh_rooms_arrive(r, 2, "a", 200);
    assert_int_equal(bh_rooms_leave(r, p, 201, NULL), 0);
    p = bh_rooms_arrive(r, 3, "a", 202);
    poll_at(r, 202);
    assert_int_equal(poll_at(r, 200 + T).n, 0); /* the former call's */
    a = poll_at(r, 202 + T);
    assert_int_equal(a.n, 1);
    is(&a.a[0], BH_ROOMS_PROMPT, p, -1, 1);
    assert_int_equal(a.a[0].call, 3);
    bh_rooms_free(r);
}

/* ---- lockout ------------------------------------------------------------ */

/* `failures` wrong passcodes from one address within `window` lock it out
 * for `time`: the call that made the last one ends, new calls are refused
 * (403) and counted, other addresses are not; after `time` it may call. */
static void
lockout(void **state) {
    (void)state;
    static const char *const codes[] = {"1234", NULL};
    struct bridge x;
    bridge(&x, 8, 8, codes);
    x.b.lockout = (struct bh_sc_lockout){4, 60, 300};
    struct bh_rooms *r = rooms(&x);
    int p = bh_rooms_arrive(r, 1, "198.51.100.7", 0);
    keys(r, p, "1#2#3#", 1); /* three wrong: the call ends */
    int q = bh_rooms_arrive(r, 2, "198.51.100.7", 2);
    assert_true(q >= 0);
    poll_at(r, 2);
    keys(r, q, "4#", 3); /* the fourth within 60 s */
    struct acts a = poll_at(r, 3);
    assert_int_equal(a.n, 1);
    is(&a.a[0], BH_ROOMS_END, q, -1, BH_ROOMS_LOCKED_OUT);
    assert_true(bh_rooms_locked_out(r, "198.51.100.7", 3));
    assert_int_equal(bh_rooms_arrive(r, 3, "198.51.100.7", 4), BH_EAUTH);
    assert_int_equal(bh_rooms_arrive(r, 4, "198.51.100.7", 302), BH_EAUTH);
    assert_true(bh_rooms_arrive(r, 5, "198.51.100.8", 5) >= 0);
    assert_false(bh_rooms_locked_out(r, "198.51.100.7", 303));
    int s = bh_rooms_arrive(r, 6, "198.51.100.7", 303);
    assert_true(s >= 0);
    struct bh_rooms_stats st;
    bh_rooms_stats(r, &st);
    assert_int_equal(st.lockouts, 1);
    assert_int_equal(st.refused, 2);
    assert_int_equal(st.ended[BH_ROOMS_LOCKED_OUT], 1);
    /* failures spread wider than the window do not lock out */
    poll_at(r, 303);
    keys(r, s, "1#", 310);
    keys(r, s, "2#", 340);
    keys(r, s, "3#", 371); /* the first is 61 s old: a new window */
    int t = bh_rooms_arrive(r, 7, "198.51.100.7", 372);
    keys(r, t, "4#5#", 373);
    assert_false(bh_rooms_locked_out(r, "198.51.100.7", 374));
    keys(r, t, "6#", 374); /* 4 within 60 s: 371, 373, 373, 374 */
    assert_true(bh_rooms_locked_out(r, "198.51.100.7", 375));
    bh_rooms_free(r);

    /* failures: 0 never locks out */
    x.b.lockout.failures = 0;
    r = rooms(&x);
    for (int i = 0; i < 20; i++) {
        p = bh_rooms_arrive(r, (uint64_t)i, "a", i);
        assert_true(p >= 0);
        keys(r, p, "1#2#3#", i);
        poll_at(r, i);
        bh_rooms_leave(r, p, i, NULL);
    }
    bh_rooms_stats(r, &st);
    assert_int_equal(st.lockouts, 0);
    bh_rooms_free(r);
}

/* The lockout table holds BH_ROOMS_MAX_ADDRESSES addresses: past that it
 * forgets the oldest that are not locked out, never one that is; a long
 * address is cut to BH_ROOMS_MAX_ADDR - 1 bytes. */
static void
lockout_table_bound(void **state) {
    (void)state;
    static const char *const codes[] = {"1234", NULL};
    struct bridge x;
    bridge(&x, 4, 4, codes);
    x.b.lockout = (struct bh_sc_lockout){2, 3600, 3600};
    struct bh_rooms *r = rooms(&x);
    int p = bh_rooms_arrive(r, 1, "locked", 0);
    keys(r, p, "1#2#", 0);
    bh_rooms_leave(r, p, 0, NULL);
    assert_true(bh_rooms_locked_out(r, "locked", 1));
    char a[32];
    for (int i = 0; i < 3 * BH_ROOMS_MAX_ADDRESSES; i++) {
        snprintf(a, sizeof a, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        p = bh_rooms_arrive(r, 2, a, 1 + i * 0.001);
        keys(r, p, "1#", 1 + i * 0.001);
        bh_rooms_leave(r, p, 1 + i * 0.001, NULL);
        poll_at(r, 1 + i * 0.001);
    }
    assert_true(bh_rooms_locked_out(r, "locked", 100));
    /* a recent one is still counted: one more failure locks it */
    p = bh_rooms_arrive(r, 3, a, 101);
    keys(r, p, "1#", 101);
    assert_true(bh_rooms_locked_out(r, a, 101));
    /* an early one was forgotten: one failure does not lock it */
    p = bh_rooms_arrive(r, 4, "10.0.0.0", 102);
    assert_true(p >= 0);
    keys(r, p, "1#", 102);
    assert_false(bh_rooms_locked_out(r, "10.0.0.0", 102));
    bh_rooms_leave(r, p, 102, NULL);
    /* long addresses: the first 63 bytes count */
    char longa[200];
    memset(longa, 'x', sizeof longa - 1);
    longa[sizeof longa - 1] = '\0';
    p = bh_rooms_arrive(r, 5, longa, 103);
    keys(r, p, "1#2#", 103);
    longa[BH_ROOMS_MAX_ADDR - 1] = 'y'; /* differs past the cut */
    assert_true(bh_rooms_locked_out(r, longa, 104));
    assert_int_equal(bh_rooms_arrive(r, 6, longa, 104), BH_EAUTH);
    bh_rooms_free(r);
}

/* ---- rooms -------------------------------------------------------------- */

/* Open rooms: any passcode of passcode_length digits opens a room, the
 * same passcode joins it; a room closes when empty and its slot is
 * reused. */
static void
open_rooms(void **state) {
    (void)state;
    struct bridge x;
    bridge(&x, 10, 10, NULL);
    x.b.passcode_length = 6;
    struct bh_rooms *r = rooms(&x);
    int a = bh_rooms_arrive(r, 1, "h", 0);
    keys(r, a, "12345#", 0); /* 5 digits: wrong */
    struct acts ac = poll_at(r, 0);
    is(&ac.a[1], BH_ROOMS_PROMPT, a, -1, 1);
    keys(r, a, "123456#", 1);
    ac = poll_at(r, 1);
    is(&ac.a[0], BH_ROOMS_JOIN, a, 0, BH_ROOMS_F_MODERATOR);
    int b = join(r, 2, "h", "123456#", 2);
    int c = join(r, 3, "h", "654321#", 3);
    assert_int_equal(bh_rooms_room_size(r, 0), 2);
    assert_int_equal(bh_rooms_room_size(r, 1), 1);
    assert_string_equal(bh_rooms_room_passcode(r, 1), "654321");
    bh_rooms_leave(r, c, 4, NULL);
    assert_int_equal(bh_rooms_room_size(r, 1), 0);
    assert_string_equal(bh_rooms_room_passcode(r, 1), "");
    int d = bh_rooms_arrive(r, 4, "h", 5);
    keys(r, d, "000001#", 5);
    ac = poll_at(r, 5);
    is(&ac.a[1], BH_ROOMS_JOIN, d, 1, BH_ROOMS_F_MODERATOR); /* reused */
    assert_string_equal(bh_rooms_room_passcode(r, 1), "000001");
    /* without a length, any 1 to 15 digits; '#' alone is wrong */
    bh_rooms_free(r);
    x.b.passcode_length = 0;
    r = rooms(&x);
    a = bh_rooms_arrive(r, 1, "h", 0);
    keys(r, a, "#7#", 0);
    ac = poll_at(r, 0);
    is(&ac.a[1], BH_ROOMS_PROMPT, a, -1, 1);
    is(&ac.a[2], BH_ROOMS_JOIN, a, 0, BH_ROOMS_F_MODERATOR);
    b = join(r, 2, "h", "07#", 1); /* leading zero: another room */
    assert_int_equal(bh_rooms_room_size(r, 0), 1);
    assert_string_equal(bh_rooms_room_passcode(r, 1), "07");
    (void)b;
    /* many rooms at once, each found again by its passcode */
    char code[16];
    for (int i = 0; i < 8; i++) {
        snprintf(code, sizeof code, "%d#", 1000 + i);
        join(r, 10 + (uint64_t)i, "h", code, 2);
    }
    assert_int_equal(bh_rooms_ports_busy(r), 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(bh_rooms_room_size(r, i), 1);
    bh_rooms_free(r);
}

/* A fixed room's PIN joins as moderator, its passcode never does; a room
 * without a PIN is moderated by whoever opened it. */
static void
moderators(void **state) {
    (void)state;
    static const char *const codes[] = {"1111/9999", "2222", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 10, 10, codes);
    int a = bh_rooms_arrive(r, 1, "h", 0);
    keys(r, a, "1111#", 0);
    struct acts ac = poll_at(r, 0);
    is(&ac.a[1], BH_ROOMS_JOIN, a, 0, 0);
    int b = bh_rooms_arrive(r, 2, "h", 1);
    keys(r, b, "9999#", 1);
    ac = poll_at(r, 1);
    is(&ac.a[1], BH_ROOMS_JOIN, b, 0, BH_ROOMS_F_MODERATOR);
    int c = bh_rooms_arrive(r, 3, "h", 2);
    keys(r, c, "2222#", 2);
    ac = poll_at(r, 2);
    is(&ac.a[1], BH_ROOMS_JOIN, c, 1, BH_ROOMS_F_MODERATOR);
    int d = bh_rooms_arrive(r, 4, "h", 3);
    keys(r, d, "2222#", 3);
    ac = poll_at(r, 3);
    is(&ac.a[1], BH_ROOMS_JOIN, d, 1, 0);
    struct bh_rooms_participant info;
    bh_rooms_leave(r, b, 4, &info);
    assert_true(info.moderator);
    assert_string_equal(info.passcode, "1111"); /* the room's, not the PIN */
    bh_rooms_free(r);
}

/* Join and leave tones; music on hold for whoever is alone. */
static void
tones_and_hold(void **state) {
    (void)state;
    static const char *const codes[] = {"5", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 10, 10, codes);
    int a = bh_rooms_arrive(r, 1, "h", 0);
    keys(r, a, "5#", 0);
    struct acts ac = poll_at(r, 0);
    assert_int_equal(ac.n, 3);
    is(&ac.a[2], BH_ROOMS_MOH_START, a, 0, 0);
    int b = bh_rooms_arrive(r, 2, "h", 1);
    keys(r, b, "5#", 1);
    ac = poll_at(r, 1);
    assert_int_equal(ac.n, 4);
    is(&ac.a[1], BH_ROOMS_JOIN, b, 0, 0);
    is(&ac.a[2], BH_ROOMS_MOH_STOP, a, 0, 0);
    is(&ac.a[3], BH_ROOMS_JOIN_TONE, b, 0, 0);
    int c = join(r, 3, "h", "5#", 2);
    bh_rooms_leave(r, c, 3, NULL);
    ac = poll_at(r, 3);
    assert_int_equal(ac.n, 1);
    is(&ac.a[0], BH_ROOMS_LEAVE_TONE, c, 0, 0);
    bh_rooms_leave(r, a, 4, NULL);
    ac = poll_at(r, 4);
    assert_int_equal(ac.n, 2);
    is(&ac.a[0], BH_ROOMS_LEAVE_TONE, a, 0, 0);
    is(&ac.a[1], BH_ROOMS_MOH_START, b, 0, 0);
    bh_rooms_leave(r, b, 5, NULL);
    assert_int_equal(poll_at(r, 5).n, 0);
    assert_int_equal(bh_rooms_room_size(r, 0), 0);
    bh_rooms_free(r);
}

/* end_with_moderator: the last moderator leaving ends everyone's call,
 * without tones; without it, the room goes on. */
static void
end_with_moderator(void **state) {
    (void)state;
    static const char *const codes[] = {"1111/9999", NULL};
    struct bridge x;
    bridge(&x, 10, 10, codes);
    x.b.end_with_moderator = true;
    struct bh_rooms *r = rooms(&x);
    int a = join(r, 1, "h", "9999#", 0);
    int b = join(r, 2, "h", "1111#", 1);
    int c = join(r, 3, "h", "9999#", 2);
    int d = join(r, 4, "h", "1111#", 3);
    bh_rooms_leave(r, a, 4, NULL); /* another moderator stays */
    struct acts ac = poll_at(r, 4);
    assert_int_equal(ac.n, 1);
    is(&ac.a[0], BH_ROOMS_LEAVE_TONE, a, 0, 0);
    bh_rooms_leave(r, c, 5, NULL);
    ac = poll_at(r, 5);
    assert_int_equal(ac.n, 2);
    is(&ac.a[0], BH_ROOMS_END, b, 0, BH_ROOMS_MODERATOR_LEFT);
    is(&ac.a[1], BH_ROOMS_END, d, 0, BH_ROOMS_MODERATOR_LEFT);
    assert_int_equal(bh_rooms_room_size(r, 0), 0);
    assert_int_equal(bh_rooms_ports_busy(r), 2); /* until they leave */
    struct bh_rooms_participant info;
    bh_rooms_leave(r, d, 6, &info);
    assert_int_equal(info.reason, BH_ROOMS_MODERATOR_LEFT);
    assert_int_equal(info.room, 0);
    assert_true(info.join == 3);
    bh_rooms_leave(r, b, 6, NULL);
    struct bh_rooms_stats st;
    bh_rooms_stats(r, &st);
    assert_int_equal(st.ended[BH_ROOMS_MODERATOR_LEFT], 2);
    bh_rooms_free(r);

    x.b.end_with_moderator = false;
    r = rooms(&x);
    a = join(r, 1, "h", "9999#", 0);
    b = join(r, 2, "h", "1111#", 1);
    bh_rooms_leave(r, a, 2, NULL);
    ac = poll_at(r, 2);
    assert_int_equal(ac.n, 2);
    is(&ac.a[0], BH_ROOMS_LEAVE_TONE, a, 0, 0);
    is(&ac.a[1], BH_ROOMS_MOH_START, b, 0, 0);
    bh_rooms_free(r);
}

/* ---- keys in a room ----------------------------------------------------- */

/* 1 mutes and unmutes oneself; the moderator's keys do nothing for
 * others. */
static void
self_mute(void **state) {
    (void)state;
    static const char *const codes[] = {"1111/9999", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 10, 10, codes);
    int m = join(r, 1, "h", "9999#", 0);
    int a = join(r, 2, "h", "1111#", 1);
    int b = join(r, 3, "h", "1111#", 1);
    keys(r, a, "1", 2);
    struct acts ac = poll_at(r, 2);
    assert_int_equal(ac.n, 1);
    is(&ac.a[0], BH_ROOMS_MUTE, a, 0, 0);
    keys(r, a, "1", 3);
    ac = poll_at(r, 3);
    is(&ac.a[0], BH_ROOMS_UNMUTE, a, 0, 0);
    keys(r, a, "234*#5", 4); /* not a moderator */
    assert_int_equal(poll_at(r, 4).n, 0);
    assert_false(bh_rooms_room_locked(r, 0));
    assert_int_equal(bh_rooms_room_size(r, 0), 3);
    (void)m;
    (void)b;
    bh_rooms_free(r);
}

/* 2 locks the room (new participants are turned away, moderators not) and
 * unlocks it. */
static void
lock(void **state) {
    (void)state;
    static const char *const codes[] = {"1111/9999", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 10, 10, codes);
    int m = join(r, 1, "h", "9999#", 0);
    keys(r, m, "2", 1);
    struct acts ac = poll_at(r, 1);
    assert_int_equal(ac.n, 1);
    is(&ac.a[0], BH_ROOMS_LOCK, m, 0, 0);
    assert_true(bh_rooms_room_locked(r, 0));
    int a = bh_rooms_arrive(r, 2, "h", 2);
    keys(r, a, "1111#", 2);
    ac = poll_at(r, 2);
    is(&ac.a[1], BH_ROOMS_END, a, 0, BH_ROOMS_ROOM_LOCKED);
    int b = bh_rooms_arrive(r, 3, "h", 3);
    keys(r, b, "9999#", 3);
    ac = poll_at(r, 3);
    is(&ac.a[1], BH_ROOMS_JOIN, b, 0, BH_ROOMS_F_MODERATOR);
    keys(r, m, "2", 4);
    ac = poll_at(r, 4);
    is(&ac.a[0], BH_ROOMS_UNLOCK, m, 0, 0);
    int c = bh_rooms_arrive(r, 4, "h", 5);
    keys(r, c, "1111#", 5);
    ac = poll_at(r, 5);
    is(&ac.a[1], BH_ROOMS_JOIN, c, 0, 0);
    /* an empty room forgets its lock */
    keys(r, m, "2", 6);
    bh_rooms_leave(r, a, 6, NULL);
    bh_rooms_leave(r, m, 7, NULL);
    bh_rooms_leave(r, b, 7, NULL);
    bh_rooms_leave(r, c, 7, NULL);
    assert_false(bh_rooms_room_locked(r, 0));
    bh_rooms_free(r);
}

/* 3 removes the participant who joined last, never a moderator. */
static void
remove_last(void **state) {
    (void)state;
    static const char *const codes[] = {"1111/9999", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 10, 10, codes);
    int a = join(r, 1, "h", "1111#", 0);
    int m = join(r, 2, "h", "9999#", 1);
    int b = join(r, 3, "h", "1111#", 2);
    int m2 = join(r, 4, "h", "9999#", 3);
    keys(r, m, "3", 4);
    struct acts ac = poll_at(r, 4);
    assert_int_equal(ac.n, 2);
    is(&ac.a[0], BH_ROOMS_LEAVE_TONE, b, 0, 0);
    is(&ac.a[1], BH_ROOMS_END, b, 0, BH_ROOMS_REMOVED);
    assert_int_equal(bh_rooms_room_size(r, 0), 3);
    keys(r, m2, "3", 5);
    ac = poll_at(r, 5);
    is(&ac.a[1], BH_ROOMS_END, a, 0, BH_ROOMS_REMOVED);
    keys(r, m, "3", 6); /* only moderators left */
    assert_int_equal(poll_at(r, 6).n, 0);
    assert_int_equal(bh_rooms_room_size(r, 0), 2);
    struct bh_rooms_participant info;
    bh_rooms_leave(r, b, 7, &info);
    assert_int_equal(info.reason, BH_ROOMS_REMOVED);
    bh_rooms_free(r);
}

/* 4 mutes everyone but the moderators, and those who join meanwhile;
 * again, unmutes them. */
static void
mute_all(void **state) {
    (void)state;
    static const char *const codes[] = {"1111/9999", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 10, 10, codes);
    int a = join(r, 1, "h", "1111#", 0);
    int m = join(r, 2, "h", "9999#", 1);
    int b = join(r, 3, "h", "1111#", 2);
    keys(r, b, "1", 2); /* b muted itself already */
    poll_at(r, 2);
    keys(r, m, "4", 3);
    struct acts ac = poll_at(r, 3);
    assert_int_equal(ac.n, 1);
    is(&ac.a[0], BH_ROOMS_MUTE, a, 0, 0);
    int c = bh_rooms_arrive(r, 4, "h", 4);
    keys(r, c, "1111#", 4);
    ac = poll_at(r, 4);
    is(&ac.a[1], BH_ROOMS_JOIN, c, 0, BH_ROOMS_F_MUTED);
    int m2 = bh_rooms_arrive(r, 5, "h", 5);
    keys(r, m2, "9999#", 5);
    ac = poll_at(r, 5);
    is(&ac.a[1], BH_ROOMS_JOIN, m2, 0, BH_ROOMS_F_MODERATOR);
    keys(r, c, "1", 6); /* anyone may unmute */
    ac = poll_at(r, 6);
    is(&ac.a[0], BH_ROOMS_UNMUTE, c, 0, 0);
    keys(r, m, "4", 7);
    ac = poll_at(r, 7);
    assert_int_equal(ac.n, 2);
    is(&ac.a[0], BH_ROOMS_UNMUTE, a, 0, 0);
    is(&ac.a[1], BH_ROOMS_UNMUTE, b, 0, 0);
    bh_rooms_free(r);
}

/* poll hands out at most max actions a call, in order. */
static void
poll_in_parts(void **state) {
    (void)state;
    static const char *const codes[] = {"1", NULL};
    struct bridge x;
    struct bh_rooms *r = setup(&x, 100, 100, codes);
    for (int i = 0; i < 50; i++)
        assert_int_equal(bh_rooms_arrive(r, (uint64_t)i + 1, "h", 0), i);
    struct bh_rooms_action a[7];
    int seen = 0;
    size_t n;
    while ((n = bh_rooms_poll(r, 0, a, 7)) > 0) {
        for (size_t k = 0; k < n; k++) {
            is(&a[k], BH_ROOMS_PROMPT, seen, -1, 0);
            assert_int_equal(a[k].call, (uint64_t)seen + 1);
            seen++;
        }
        if (n < 7)
            break;
    }
    assert_int_equal(seen, 50);
    assert_true(isinf(bh_rooms_deadline(r)) == 0);
    bh_rooms_free(r);
    assert_string_equal(bh_rooms_reason_name(BH_ROOMS_MODERATOR_LEFT),
                        "moderator-left");
    assert_string_equal(bh_rooms_reason_name(BH_ROOMS_REASON_COUNT), "");
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ports_first_come),
        cmocka_unit_test(max_per_room),
        cmocka_unit_test(right_passcode),
        cmocka_unit_test(three_tries),
        cmocka_unit_test(entry_timeout),
        cmocka_unit_test(lockout),
        cmocka_unit_test(lockout_table_bound),
        cmocka_unit_test(open_rooms),
        cmocka_unit_test(moderators),
        cmocka_unit_test(tones_and_hold),
        cmocka_unit_test(end_with_moderator),
        cmocka_unit_test(self_mute),
        cmocka_unit_test(lock),
        cmocka_unit_test(remove_last),
        cmocka_unit_test(mute_all),
        cmocka_unit_test(poll_in_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
