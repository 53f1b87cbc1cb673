/* load.c: the scenario schema, walked over libyaml's document nodes. Each
 * section is a key table (struct sc_key) and a function that reads its
 * typed values; cross-references (to:, via:, origins, plans, thresholds)
 * are resolved as soon as what they name has been read. */
#include "sc_internal.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400.0

/* Defaults, documented in scenarios/README.md. */
#define DEF_HORIZON DAY
#define DEF_INTERVAL 900.0
#define DEF_SEED 1UL
#define DEF_SUBSCRIBERS 1000
#define DEF_RING_TIMEOUT 15.0
#define DEF_REPLICATIONS 10
#define DEF_MAX_ATTEMPTS 3
#define DEF_CAMPAIGN_RING 20.0
#define DEF_OUTBOUND_INCREMENT 60.0
#define DEF_ORIGIN "local"
#define DEF_TALKERS 3
#define DEF_LOCKOUT_FAILURES 10
#define DEF_LOCKOUT_WINDOW 600.0
#define DEF_LOCKOUT_TIME 900.0

static void *
alloc(struct sc_ld *L, size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p)
        bh_diag_set(L->diag, 0, 0, "out of memory");
    return p;
}

/* ---- Names ------------------------------------------------------------ */

/* Where a name is already used (numbers, bridges, traffic items), or 0. */
static int
name_used(const struct bh_scenario *sc, const char *name) {
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        if (sc->sw.numbers[i].name != name &&
            strcmp(sc->sw.numbers[i].name, name) == 0)
            return sc->sw.numbers[i].pos.line;
    for (size_t i = 0; i < sc->sw.nbridges; i++)
        if (sc->sw.bridges[i].name != name &&
            strcmp(sc->sw.bridges[i].name, name) == 0)
            return sc->sw.bridges[i].pos.line;
    for (size_t i = 0; i < sc->nsources; i++)
        if (sc->sources[i].name != name &&
            strcmp(sc->sources[i].name, name) == 0)
            return sc->sources[i].pos.line;
    return 0;
}

static int
unique_name(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf) {
    int rc = bh_sc_name(L, n, what, buf);
    if (rc)
        return rc;
    if (strcmp(buf, "cost") == 0)
        return bh_sc_fail(L, n,
                          "'cost' is reserved (thresholds use cost.*); "
                          "choose another name");
    int line = name_used(L->sc, buf);
    if (line)
        return bh_sc_fail(L, n,
                          "name '%s' is already used at line %d (names of "
                          "numbers, bridges and traffic are unique)",
                          buf, line);
    return 0;
}

static int
unique_digits(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf) {
    int rc = bh_sc_digits(L, n, what, buf, BH_SC_MAX_NUMBER);
    if (rc)
        return rc;
    const struct bh_sc_switch *sw = &L->sc->sw;
    int line = 0;
    for (size_t i = 0; i < sw->nnumbers && !line; i++)
        if (sw->numbers[i].pos.line && buf != sw->numbers[i].number &&
            strcmp(sw->numbers[i].number, buf) == 0)
            line = sw->numbers[i].pos.line;
    for (size_t i = 0; i < sw->nbridges && !line; i++)
        if (sw->bridges[i].pos.line && buf != sw->bridges[i].number &&
            strcmp(sw->bridges[i].number, buf) == 0)
            line = sw->bridges[i].pos.line;
    for (size_t i = 0; i < sw->nextensions && !line; i++)
        if (sw->extensions[i].pos.line && buf != sw->extensions[i].number &&
            strcmp(sw->extensions[i].number, buf) == 0)
            line = sw->extensions[i].pos.line;
    if (line)
        return bh_sc_fail(L, n, "%s %s is already used at line %d", what, buf,
                          line);
    return 0;
}

static const char *const payer_names[] = {"caller", "callee", NULL};

/* ---- switch ----------------------------------------------------------- */

enum {
    Q_OPERATORS,
    Q_STRATEGY,
    Q_MAX_LENGTH,
    Q_MAX_WAIT,
    Q_WRAP_UP,
    Q_RING_TIMEOUT,
    Q_CONTACTS
};
static const struct sc_key queue_keys[] = {
    {"operators", 1}, {"strategy", 0},     {"max_length", 0}, {"max_wait", 0},
    {"wrap_up", 0},   {"ring_timeout", 0}, {"contacts", 0},   {NULL, 0}};
static const char *const strategy_names[] = {"longest-idle", "round-robin",
                                             "ring-all", "fewest-calls", NULL};

static int
queue(struct sc_ld *L, yaml_node_t *n, struct bh_sc_queue *q) {
    struct sc_map m;
    long v;
    int e, rc = bh_sc_map(L, n, "queue", queue_keys, &m);
    if (rc)
        return rc;
    q->present = true;
    q->ring_timeout = DEF_RING_TIMEOUT;
    if ((rc = bh_sc_int(L, m.val[Q_OPERATORS], "operators", 1,
                        BH_SC_MAX_CAPACITY, &v)))
        return rc;
    q->operators = (int)v;
    if (m.val[Q_STRATEGY]) {
        if ((rc = bh_sc_enum(L, m.val[Q_STRATEGY], "strategy", strategy_names,
                             &e)))
            return rc;
        q->strategy = (enum bh_strategy)e;
    }
    if (m.val[Q_MAX_LENGTH]) {
        if ((rc = bh_sc_int(L, m.val[Q_MAX_LENGTH], "max_length", 0,
                            BH_SC_MAX_CAPACITY, &v)))
            return rc;
        q->max_length = (int)v;
    }
    if (m.val[Q_MAX_WAIT] && (rc = bh_sc_dur(L, m.val[Q_MAX_WAIT], "max_wait",
                                             0, 30 * DAY, &q->max_wait)))
        return rc;
    if (m.val[Q_WRAP_UP] &&
        (rc = bh_sc_dur(L, m.val[Q_WRAP_UP], "wrap_up", 0, DAY, &q->wrap_up)))
        return rc;
    if (m.val[Q_RING_TIMEOUT]) {
        if ((rc = bh_sc_dur(L, m.val[Q_RING_TIMEOUT], "ring_timeout", 0, 3600,
                            &q->ring_timeout)))
            return rc;
        if (q->ring_timeout <= 0)
            return bh_sc_fail(L, m.val[Q_RING_TIMEOUT],
                              "ring_timeout must be more than 0s");
    }
    if (m.val[Q_CONTACTS]) {
        size_t c;
        if ((rc = bh_sc_seq(L, m.val[Q_CONTACTS], "contacts", BH_SC_MAX_ITEMS,
                            &c)))
            return rc;
        q->contacts = alloc(L, c, sizeof *q->contacts);
        if (!q->contacts)
            return BH_ENOMEM;
        q->ncontacts = c;
        for (size_t i = 0; i < c; i++) {
            yaml_node_t *it = bh_sc_item(L, m.val[Q_CONTACTS], i);
            if ((rc = bh_sc_str(L, it, "a contact", q->contacts[i], 128)))
                return rc;
            /* A SIP URI, or an extension's number (its phones). */
            if (strncmp(q->contacts[i], "sip:", 4) != 0 &&
                strspn(q->contacts[i], "0123456789") != strlen(q->contacts[i]))
                return bh_sc_fail(L, it,
                                  "a contact is a SIP URI "
                                  "(sip:op1@127.0.0.1:5070) or an "
                                  "extension's number, not '%s'",
                                  q->contacts[i]);
        }
    }
    return 0;
}

enum { I_MENU_TIME, I_PROMPT, I_OPTIONS };
static const struct sc_key ivr_keys[] = {
    {"menu_time", 1}, {"prompt", 0}, {"options", 0}, {NULL, 0}};

enum { O_DIGIT, O_NAME, O_SHARE, O_OPERATORS };
static const struct sc_key option_keys[] = {
    {"digit", 1}, {"name", 1}, {"share", 1}, {"operators", 1}, {NULL, 0}};

/* ivr.options: each a digit, a group name, a share of the callers and
 * the group's operators; shares add to 100%, digits and names once. */
static int
ivr_options(struct sc_ld *L, yaml_node_t *n, struct bh_sc_ivr *x) {
    size_t c;
    int rc = bh_sc_seq(L, n, "options", BH_SC_MAX_OPTIONS, &c);
    if (rc)
        return rc;
    if (c == 0)
        return bh_sc_fail(L, n, "options lists no choice");
    double total = 0;
    for (size_t i = 0; i < c; i++) {
        yaml_node_t *it = bh_sc_item(L, n, i);
        struct bh_sc_ivr_option *o = &x->options[i];
        struct sc_map m;
        long v;
        char digit[4];
        if ((rc = bh_sc_map(L, it, "an option", option_keys, &m)))
            return rc;
        o->pos = bh_sc_pos(it);
        if ((rc = bh_sc_str(L, m.val[O_DIGIT], "digit", digit, sizeof digit)))
            return rc;
        if (strlen(digit) != 1 || !strchr("0123456789*#", digit[0]))
            return bh_sc_fail(L, m.val[O_DIGIT],
                              "digit is one key of the phone: 0-9, * or #, "
                              "quoted (\"1\"), not '%s'",
                              digit);
        o->digit = digit[0];
        if ((rc = bh_sc_name(L, m.val[O_NAME], "name", o->name)))
            return rc;
        if ((rc = bh_sc_pct(L, m.val[O_SHARE], "share", &o->share)))
            return rc;
        if ((rc = bh_sc_int(L, m.val[O_OPERATORS], "operators", 1,
                            BH_SC_MAX_CAPACITY, &v)))
            return rc;
        o->operators = (int)v;
        for (size_t k = 0; k < i; k++) {
            if (x->options[k].digit == o->digit)
                return bh_sc_fail(L, m.val[O_DIGIT],
                                  "digit %c is already an option at line %d",
                                  o->digit, x->options[k].pos.line);
            if (strcmp(x->options[k].name, o->name) == 0)
                return bh_sc_fail(L, m.val[O_NAME],
                                  "name '%s' is already an option at line %d",
                                  o->name, x->options[k].pos.line);
        }
        total += o->share;
    }
    if (fabs(total - 1) > 1e-9)
        return bh_sc_fail(L, n, "option shares add to %g%%, not 100%%",
                          100 * total);
    x->noptions = c;
    return 0;
}

enum {
    N_NAME,
    N_NUMBER,
    N_LINES,
    N_PAYER,
    N_RECORDING,
    N_ANNOUNCEMENT,
    N_MUSIC,
    N_IVR,
    N_QUEUE
};
static const struct sc_key number_keys[] = {
    {"name", 1},  {"number", 1},    {"lines", 1},
    {"payer", 0}, {"recording", 0}, {"announcement", 0},
    {"music", 0}, {"ivr", 0},       {"queue", 0},
    {NULL, 0}};

static int
number(struct sc_ld *L, yaml_node_t *n, struct bh_sc_number *x) {
    struct sc_map m;
    long v;
    int e, rc = bh_sc_map(L, n, "a number", number_keys, &m);
    if (rc)
        return rc;
    if ((rc = unique_name(L, m.val[N_NAME], "name", x->name)))
        return rc;
    if ((rc = unique_digits(L, m.val[N_NUMBER], "number", x->number)))
        return rc;
    if ((rc = bh_sc_int(L, m.val[N_LINES], "lines", 1, BH_SC_MAX_CAPACITY, &v)))
        return rc;
    x->lines = (int)v;
    if (m.val[N_PAYER]) {
        if ((rc = bh_sc_enum(L, m.val[N_PAYER], "payer", payer_names, &e)))
            return rc;
        x->payer = (enum bh_payer)e;
    }
    if (m.val[N_RECORDING] &&
        (rc = bh_sc_bool(L, m.val[N_RECORDING], "recording", &x->recording)))
        return rc;
    if (m.val[N_ANNOUNCEMENT] &&
        (rc = bh_sc_dur(L, m.val[N_ANNOUNCEMENT], "announcement", 0, 3600,
                        &x->announcement)))
        return rc;
    if (m.val[N_MUSIC] && (rc = bh_sc_file(L, m.val[N_MUSIC], "music", x->music,
                                           sizeof x->music)))
        return rc;
    if (m.val[N_IVR]) {
        struct sc_map im;
        if ((rc = bh_sc_map(L, m.val[N_IVR], "ivr", ivr_keys, &im)))
            return rc;
        x->ivr.present = true;
        if ((rc = bh_sc_dur(L, im.val[I_MENU_TIME], "menu_time", 0, 3600,
                            &x->ivr.menu_time)))
            return rc;
        if (im.val[I_PROMPT] &&
            (rc = bh_sc_file(L, im.val[I_PROMPT], "prompt", x->ivr.prompt,
                             sizeof x->ivr.prompt)))
            return rc;
        if (im.val[I_OPTIONS] &&
            (rc = ivr_options(L, im.val[I_OPTIONS], &x->ivr)))
            return rc;
    }
    if (m.val[N_QUEUE] && (rc = queue(L, m.val[N_QUEUE], &x->queue)))
        return rc;
    if (x->ivr.noptions) {
        /* the groups split the number's operators */
        long sum = 0;
        for (size_t i = 0; i < x->ivr.noptions; i++)
            sum += x->ivr.options[i].operators;
        if (!x->queue.present)
            return bh_sc_fail(L, m.key[N_IVR],
                              "ivr options route to operator groups: the "
                              "number needs a queue: (its settings, and "
                              "operators: %ld, the groups' together)",
                              sum);
        if (sum != x->queue.operators)
            return bh_sc_fail(L, m.val[N_QUEUE],
                              "queue operators %d are not the ivr options' "
                              "operators together (%ld)",
                              x->queue.operators, sum);
    }
    return 0;
}

enum {
    B_NAME,
    B_NUMBER,
    B_PORTS,
    B_MAX_PER_ROOM,
    B_PAYER,
    B_RECORDING,
    B_PASSCODES,
    B_PASSCODE_LENGTH,
    B_END_WITH_MODERATOR,
    B_TALKERS,
    B_LOCKOUT,
    B_PROMPT
};
static const struct sc_key bridge_keys[] = {{"name", 1},
                                            {"number", 1},
                                            {"ports", 1},
                                            {"max_per_room", 0},
                                            {"payer", 0},
                                            {"recording", 0},
                                            {"passcodes", 0},
                                            {"passcode_length", 0},
                                            {"end_with_moderator", 0},
                                            {"talkers", 0},
                                            {"lockout", 0},
                                            {"prompt", 0},
                                            {NULL, 0}};

enum { R_PASSCODE, R_MODERATOR_PIN };
static const struct sc_key room_keys[] = {
    {"passcode", 1}, {"moderator_pin", 0}, {NULL, 0}};

enum { L_FAILURES, L_WINDOW, L_TIME };
static const struct sc_key lockout_keys[] = {
    {"failures", 0}, {"window", 0}, {"time", 0}, {NULL, 0}};

/* A passcode or PIN: 1 to 15 of the digits 0-9 ('#' ends the entry on the
 * phone; '*' and '+' are not passcode digits), not used by the bridge's
 * first n_read rooms (their passcodes and PINs). */
static int
room_code(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf,
          const struct bh_sc_bridge *x, size_t n_read) {
    int rc = bh_sc_digits(L, n, what, buf, BH_SC_MAX_PASSCODE);
    if (rc)
        return rc;
    for (size_t i = 0; buf[i]; i++)
        if (buf[i] < '0' || buf[i] > '9')
            return bh_sc_fail_at(L, n, i, "%s '%s' may hold only 0-9", what,
                                 buf);
    for (size_t j = 0; j < n_read; j++)
        if (strcmp(x->passcodes[j], buf) == 0 ||
            strcmp(x->moderator_pins[j], buf) == 0)
            return bh_sc_fail(L, n, "%s %s is used twice in this bridge", what,
                              buf);
    return 0;
}

/* passcodes: a list of fixed rooms, each a passcode or a mapping with its
 * passcode and moderator PIN. */
static int
rooms(struct sc_ld *L, yaml_node_t *n, struct bh_sc_bridge *x) {
    size_t c;
    int rc = bh_sc_seq(L, n, "passcodes", BH_SC_MAX_ITEMS, &c);
    if (rc)
        return rc;
    x->passcodes = alloc(L, c, sizeof *x->passcodes);
    x->moderator_pins = alloc(L, c, sizeof *x->moderator_pins);
    if (!x->passcodes || !x->moderator_pins)
        return BH_ENOMEM;
    x->npasscodes = c;
    for (size_t i = 0; i < c; i++) {
        yaml_node_t *it = bh_sc_item(L, n, i);
        if (it->type != YAML_MAPPING_NODE) {
            if ((rc = room_code(L, it, "a passcode", x->passcodes[i], x, i)))
                return rc;
            continue;
        }
        struct sc_map m;
        if ((rc = bh_sc_map(L, it, "a room", room_keys, &m)))
            return rc;
        if ((rc = room_code(L, m.val[R_PASSCODE], "a passcode", x->passcodes[i],
                            x, i)))
            return rc;
        if (m.val[R_MODERATOR_PIN] &&
            (rc = room_code(L, m.val[R_MODERATOR_PIN], "a moderator PIN",
                            x->moderator_pins[i], x, i)))
            return rc;
        if (strcmp(x->passcodes[i], x->moderator_pins[i]) == 0)
            return bh_sc_fail(L, m.val[R_MODERATOR_PIN],
                              "a moderator PIN %s is the room's passcode",
                              x->moderator_pins[i]);
    }
    return 0;
}

static int
lockout(struct sc_ld *L, yaml_node_t *n, struct bh_sc_lockout *lo) {
    struct sc_map m;
    long v;
    int rc = bh_sc_map(L, n, "lockout", lockout_keys, &m);
    if (rc)
        return rc;
    if (m.val[L_FAILURES]) {
        if ((rc = bh_sc_int(L, m.val[L_FAILURES], "failures", 0, 1000, &v)))
            return rc;
        lo->failures = (int)v;
    }
    if (m.val[L_WINDOW]) {
        if ((rc = bh_sc_dur(L, m.val[L_WINDOW], "window", 0, DAY, &lo->window)))
            return rc;
        if (lo->window <= 0)
            return bh_sc_fail(L, m.val[L_WINDOW],
                              "window must be more than 0s");
    }
    if (m.val[L_TIME]) {
        if ((rc = bh_sc_dur(L, m.val[L_TIME], "time", 0, DAY, &lo->time)))
            return rc;
        if (lo->time <= 0)
            return bh_sc_fail(L, m.val[L_TIME], "time must be more than 0s");
    }
    return 0;
}

/* The settings of the real switch's bridge: rooms, moderators, mixing,
 * passcode guessing. */
static int
bridge_rooms(struct sc_ld *L, struct sc_map *m, struct bh_sc_bridge *x) {
    long v;
    int rc;
    x->talkers = DEF_TALKERS;
    x->lockout = (struct bh_sc_lockout){DEF_LOCKOUT_FAILURES,
                                        DEF_LOCKOUT_WINDOW, DEF_LOCKOUT_TIME};
    if (m->val[B_PASSCODES] && (rc = rooms(L, m->val[B_PASSCODES], x)))
        return rc;
    if (m->val[B_PASSCODE_LENGTH]) {
        if ((rc = bh_sc_int(L, m->val[B_PASSCODE_LENGTH], "passcode_length", 1,
                            BH_SC_MAX_PASSCODE - 1, &v)))
            return rc;
        if (x->npasscodes > 0)
            return bh_sc_fail(L, m->val[B_PASSCODE_LENGTH],
                              "passcode_length is for open rooms; this "
                              "bridge lists its passcodes");
        x->passcode_length = (int)v;
    }
    if (m->val[B_END_WITH_MODERATOR] &&
        (rc = bh_sc_bool(L, m->val[B_END_WITH_MODERATOR], "end_with_moderator",
                         &x->end_with_moderator)))
        return rc;
    if (m->val[B_TALKERS]) {
        if ((rc = bh_sc_int(L, m->val[B_TALKERS], "talkers", 1,
                            BH_SC_MAX_TALKERS, &v)))
            return rc;
        x->talkers = (int)v;
    }
    if (m->val[B_LOCKOUT] && (rc = lockout(L, m->val[B_LOCKOUT], &x->lockout)))
        return rc;
    if (m->val[B_PROMPT] && (rc = bh_sc_file(L, m->val[B_PROMPT], "prompt",
                                             x->prompt, sizeof x->prompt)))
        return rc;
    return 0;
}

static int
bridge(struct sc_ld *L, yaml_node_t *n, struct bh_sc_bridge *x) {
    struct sc_map m;
    long v;
    int e, rc = bh_sc_map(L, n, "a bridge", bridge_keys, &m);
    if (rc)
        return rc;
    if ((rc = unique_name(L, m.val[B_NAME], "name", x->name)))
        return rc;
    if ((rc = unique_digits(L, m.val[B_NUMBER], "number", x->number)))
        return rc;
    if ((rc = bh_sc_int(L, m.val[B_PORTS], "ports", 1, BH_SC_MAX_CAPACITY, &v)))
        return rc;
    x->ports = (int)v;
    x->max_per_room = x->ports;
    x->payer = BH_PAYER_CALLER;
    if (m.val[B_MAX_PER_ROOM]) {
        if ((rc = bh_sc_int(L, m.val[B_MAX_PER_ROOM], "max_per_room", 1,
                            BH_SC_MAX_CAPACITY, &v)))
            return rc;
        if (v > x->ports)
            return bh_sc_fail(L, m.val[B_MAX_PER_ROOM],
                              "max_per_room %ld exceeds the bridge's %d "
                              "ports",
                              v, x->ports);
        x->max_per_room = (int)v;
    }
    if (m.val[B_PAYER]) {
        if ((rc = bh_sc_enum(L, m.val[B_PAYER], "payer", payer_names, &e)))
            return rc;
        x->payer = (enum bh_payer)e;
    }
    if (m.val[B_RECORDING] &&
        (rc = bh_sc_bool(L, m.val[B_RECORDING], "recording", &x->recording)))
        return rc;
    return bridge_rooms(L, &m, x);
}

enum {
    E_NUMBER,
    E_NAME,
    E_FORWARD,
    E_FORWARD_BUSY,
    E_FORWARD_NO_ANSWER,
    E_NO_ANSWER,
    E_ACCOUNT,
    E_RECORDING
};
static const struct sc_key extension_keys[] = {{"number", 1},
                                               {"name", 0},
                                               {"forward", 0},
                                               {"forward_busy", 0},
                                               {"forward_no_answer", 0},
                                               {"no_answer", 0},
                                               {"account", 0},
                                               {"recording", 0},
                                               {NULL, 0}};
enum { K_GATEWAY, K_LINES, K_ALLOW, K_ACCOUNT_CALLS, K_ACCOUNT_PER_HOUR };
static const struct sc_key trunk_keys[] = {
    {"gateway", 1},          {"lines", 1}, {"allow", 1}, {"account_calls", 0},
    {"account_per_hour", 0}, {NULL, 0}};
enum { A_USER, A_PASSWORD };
static const struct sc_key account_keys[] = {
    {"user", 1}, {"password", 1}, {NULL, 0}};

enum { T_RTP_TIMEOUT, T_SESSION_EXPIRES, T_MIN_SE, T_MAX_CALL };
static const struct sc_key timer_keys[] = {{"rtp_timeout", 0},
                                           {"session_expires", 0},
                                           {"min_se", 0},
                                           {"max_call", 0},
                                           {NULL, 0}};

/* switch.timers: how the real switch ends calls that would never end on
 * their own. Each is 0 (off) or at least 1s. */
static int
timers(struct sc_ld *L, yaml_node_t *n, struct bh_sc_call_timers *t) {
    struct sc_map m;
    int rc = bh_sc_map(L, n, "timers", timer_keys, &m);
    if (rc)
        return rc;
    t->pos = bh_sc_pos(n);
    static const struct {
        const char *name;
        size_t off;
        double max;
    } keys[] = {
        {"rtp_timeout", offsetof(struct bh_sc_call_timers, rtp_timeout), DAY},
        {"session_expires", offsetof(struct bh_sc_call_timers, session_expires),
         DAY},
        {"min_se", offsetof(struct bh_sc_call_timers, min_se), DAY},
        {"max_call", offsetof(struct bh_sc_call_timers, max_call), 30 * DAY},
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        yaml_node_t *v = m.val[i];
        double *d = (double *)((char *)t + keys[i].off);
        if (!v)
            continue;
        if ((rc = bh_sc_dur(L, v, keys[i].name, 0, keys[i].max, d)))
            return rc;
        if (*d > 0 && *d < 1)
            return bh_sc_fail(L, v, "%s must be 0 (off) or at least 1s",
                              keys[i].name);
    }
    if (m.val[T_MIN_SE] && t->min_se <= 0)
        return bh_sc_fail(L, m.val[T_MIN_SE], "min_se must be at least 1s");
    if (t->session_expires > 0 && t->session_expires < t->min_se)
        return bh_sc_fail(
            L, m.val[T_SESSION_EXPIRES] ? m.val[T_SESSION_EXPIRES] : n,
            "session_expires is shorter than min_se (%gs)", t->min_se);
    return 0;
}

static const struct sc_key limit_keys[] = {
    {"source_rate", 0},   {"source_block", 0},
    {"auth_failures", 0}, {"auth_block", 0},
    {"max_cps", 0},       {"http_connections", 0},
    {"http_idle", 0},     {NULL, 0}};

/* switch.limits: what one source, one account or the HTTP endpoint may
 * take of the real switch. Counts are 0 (no limit) or more, except the
 * HTTP connections (at least 1); durations at least 1s. */
static int
limits(struct sc_ld *L, yaml_node_t *n, struct bh_sc_switch_limits *l) {
    struct sc_map m;
    int rc = bh_sc_map(L, n, "limits", limit_keys, &m);
    if (rc)
        return rc;
    l->pos = bh_sc_pos(n);
    static const struct {
        const char *name;
        size_t off;
        long lo, hi; /* counts; hi 0: a duration of lo s to 1 day */
    } keys[] = {
        {"source_rate", offsetof(struct bh_sc_switch_limits, source_rate), 0,
         10000000},
        {"source_block", offsetof(struct bh_sc_switch_limits, source_block), 1,
         0},
        {"auth_failures", offsetof(struct bh_sc_switch_limits, auth_failures),
         0, 1000000},
        {"auth_block", offsetof(struct bh_sc_switch_limits, auth_block), 1, 0},
        {"max_cps", offsetof(struct bh_sc_switch_limits, max_cps), 0, 1000000},
        {"http_connections",
         offsetof(struct bh_sc_switch_limits, http_connections), 1, 100000},
        {"http_idle", offsetof(struct bh_sc_switch_limits, http_idle), 1, 0},
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        yaml_node_t *v = m.val[i];
        void *at = (char *)l + keys[i].off;
        if (!v)
            continue;
        if (keys[i].hi == 0) {
            if ((rc = bh_sc_dur(L, v, keys[i].name, 0, DAY, at)))
                return rc;
            if (*(double *)at < (double)keys[i].lo)
                return bh_sc_fail(L, v, "%s must be at least 1s", keys[i].name);
        } else if ((rc = bh_sc_int(L, v, keys[i].name, keys[i].lo, keys[i].hi,
                                   at))) {
            return rc;
        }
    }
    return 0;
}

enum {
    S_NUMBERS,
    S_BRIDGES,
    S_EXTENSIONS,
    S_ACCOUNTS,
    S_TIMERS,
    S_LIMITS,
    S_TRUNK
};
static const struct sc_key switch_keys[] = {
    {"numbers", 0}, {"bridges", 0}, {"extensions", 0}, {"accounts", 0},
    {"timers", 0},  {"limits", 0},  {"trunk", 0},      {NULL, 0}};

/* switch.trunk: the gateway outside numbers go through, its lines, and
 * the toll-fraud guard. */
static int
trunk(struct sc_ld *L, yaml_node_t *n, struct bh_sc_trunk *t) {
    struct sc_map m;
    long v;
    size_t c;
    int rc = bh_sc_map(L, n, "trunk", trunk_keys, &m);
    if (rc)
        return rc;
    t->present = true;
    t->pos = bh_sc_pos(n);
    t->account_calls = BH_SC_ACCOUNT_CALLS_DEFAULT;
    t->account_per_hour = BH_SC_ACCOUNT_PER_HOUR_DEFAULT;
    if ((rc = bh_sc_str(L, m.val[K_GATEWAY], "gateway", t->gateway,
                        sizeof t->gateway)))
        return rc;
    if (strncmp(t->gateway, "sip:", 4) != 0 || !strchr(t->gateway + 4, ':'))
        return bh_sc_fail(L, m.val[K_GATEWAY],
                          "gateway is sip:HOST:PORT (sip:127.0.0.1:5090), "
                          "not '%s'",
                          t->gateway);
    if ((rc = bh_sc_int(L, m.val[K_LINES], "lines", 1, BH_SC_MAX_CAPACITY, &v)))
        return rc;
    t->lines = (int)v;
    if ((rc = bh_sc_seq(L, m.val[K_ALLOW], "allow", BH_SC_MAX_ITEMS, &c)))
        return rc;
    if (!(t->allow = alloc(L, c, sizeof *t->allow)))
        return BH_ENOMEM;
    t->nallow = c;
    for (size_t i = 0; i < c; i++)
        if ((rc = bh_sc_digits(L, bh_sc_item(L, m.val[K_ALLOW], i),
                               "an allowed prefix", t->allow[i],
                               sizeof t->allow[i])))
            return rc;
    if (m.val[K_ACCOUNT_CALLS]) {
        if ((rc = bh_sc_int(L, m.val[K_ACCOUNT_CALLS], "account_calls", 1,
                            BH_SC_MAX_CAPACITY, &v)))
            return rc;
        t->account_calls = (int)v;
    }
    if (m.val[K_ACCOUNT_PER_HOUR]) {
        if ((rc = bh_sc_int(L, m.val[K_ACCOUNT_PER_HOUR], "account_per_hour", 1,
                            1000000, &v)))
            return rc;
        t->account_per_hour = (int)v;
    }
    return 0;
}

/* A forward target of an extension: digits, not the extension itself. */
static int
forward_to(struct sc_ld *L, yaml_node_t *n, const char *what,
           const struct bh_sc_extension *x, char *buf) {
    int rc;
    if (!n)
        return 0;
    if ((rc = bh_sc_digits(L, n, what, buf, BH_SC_MAX_NUMBER)))
        return rc;
    if (strcmp(buf, x->number) == 0)
        return bh_sc_fail(L, n, "extension %s forwards to itself", x->number);
    return 0;
}

/* The extensions, once the accounts are read: each is tied to the
 * account it names, or to the account whose user is its number. */
static int
extension(struct sc_ld *L, yaml_node_t *it, struct bh_sc_extension *x) {
    const struct bh_sc_switch *sw = &L->sc->sw;
    struct sc_map em;
    int rc;
    if ((rc = bh_sc_map(L, it, "an extension", extension_keys, &em)))
        return rc;
    if ((rc = unique_digits(L, em.val[E_NUMBER], "extension", x->number)))
        return rc;
    if (em.val[E_NAME] &&
        (rc = bh_sc_str(L, em.val[E_NAME], "name", x->name, sizeof x->name)))
        return rc;
    if ((rc = forward_to(L, em.val[E_FORWARD], "forward", x, x->forward)) ||
        (rc = forward_to(L, em.val[E_FORWARD_BUSY], "forward_busy", x,
                         x->forward_busy)) ||
        (rc = forward_to(L, em.val[E_FORWARD_NO_ANSWER], "forward_no_answer", x,
                         x->forward_no_answer)))
        return rc;
    x->no_answer = BH_SC_NO_ANSWER_DEFAULT;
    if (em.val[E_NO_ANSWER]) {
        if ((rc = bh_sc_dur(L, em.val[E_NO_ANSWER], "no_answer", 0, 3600,
                            &x->no_answer)))
            return rc;
        if (x->no_answer < 1)
            return bh_sc_fail(L, em.val[E_NO_ANSWER],
                              "no_answer must be at least 1s");
    }
    if (em.val[E_RECORDING] &&
        (rc = bh_sc_bool(L, em.val[E_RECORDING], "recording", &x->recording)))
        return rc;
    if (em.val[E_ACCOUNT]) {
        if ((rc = bh_sc_str(L, em.val[E_ACCOUNT], "account", x->account,
                            sizeof x->account)))
            return rc;
    } else {
        snprintf(x->account, sizeof x->account, "%s", x->number);
    }
    size_t j = 0;
    while (j < sw->naccounts && strcmp(sw->accounts[j].user, x->account) != 0)
        j++;
    if (j == sw->naccounts) {
        if (em.val[E_ACCOUNT])
            return bh_sc_fail(L, em.val[E_ACCOUNT],
                              "account '%s' is not in switch.accounts",
                              x->account);
        x->account[0] = '\0'; /* no account of that name: no phones */
    }
    x->pos = bh_sc_pos(it);
    return 0;
}

static int
switch_section(struct sc_ld *L, yaml_node_t *n) {
    struct bh_sc_switch *sw = &L->sc->sw;
    struct sc_map m;
    size_t c;
    int rc = bh_sc_map(L, n, "switch", switch_keys, &m);
    if (rc)
        return rc;
    if (!m.val[S_NUMBERS] && !m.val[S_BRIDGES] && !m.val[S_EXTENSIONS])
        return bh_sc_fail(L, n,
                          "switch needs at least one of numbers:, bridges: "
                          "or extensions:");
    sw->timers.rtp_timeout = BH_SC_RTP_TIMEOUT_DEFAULT;
    sw->timers.session_expires = BH_SC_SESSION_EXPIRES_DEFAULT;
    sw->timers.min_se = BH_SC_MIN_SE_DEFAULT;
    sw->timers.max_call = BH_SC_MAX_CALL_DEFAULT;
    if (m.val[S_TIMERS] && (rc = timers(L, m.val[S_TIMERS], &sw->timers)))
        return rc;
    sw->limits.source_rate = BH_SC_SOURCE_RATE_DEFAULT;
    sw->limits.source_block = BH_SC_SOURCE_BLOCK_DEFAULT;
    sw->limits.auth_failures = BH_SC_AUTH_FAILURES_DEFAULT;
    sw->limits.auth_block = BH_SC_AUTH_BLOCK_DEFAULT;
    sw->limits.max_cps = BH_SC_MAX_CPS_DEFAULT;
    sw->limits.http_connections = BH_SC_HTTP_CONNECTIONS_DEFAULT;
    sw->limits.http_idle = BH_SC_HTTP_IDLE_DEFAULT;
    if (m.val[S_LIMITS] && (rc = limits(L, m.val[S_LIMITS], &sw->limits)))
        return rc;
    if (m.val[S_NUMBERS]) {
        if ((rc = bh_sc_seq(L, m.val[S_NUMBERS], "numbers", BH_SC_MAX_ITEMS,
                            &c)))
            return rc;
        if (!(sw->numbers = alloc(L, c, sizeof *sw->numbers)))
            return BH_ENOMEM;
        sw->nnumbers = c;
        for (size_t i = 0; i < c; i++) {
            yaml_node_t *it = bh_sc_item(L, m.val[S_NUMBERS], i);
            if ((rc = number(L, it, &sw->numbers[i])))
                return rc;
            sw->numbers[i].pos = bh_sc_pos(it);
        }
    }
    if (m.val[S_BRIDGES]) {
        if ((rc = bh_sc_seq(L, m.val[S_BRIDGES], "bridges", BH_SC_MAX_ITEMS,
                            &c)))
            return rc;
        if (!(sw->bridges = alloc(L, c, sizeof *sw->bridges)))
            return BH_ENOMEM;
        sw->nbridges = c;
        for (size_t i = 0; i < c; i++) {
            yaml_node_t *it = bh_sc_item(L, m.val[S_BRIDGES], i);
            if ((rc = bridge(L, it, &sw->bridges[i])))
                return rc;
            sw->bridges[i].pos = bh_sc_pos(it);
        }
    }
    if (m.val[S_ACCOUNTS]) {
        if ((rc = bh_sc_seq(L, m.val[S_ACCOUNTS], "accounts", BH_SC_MAX_ITEMS,
                            &c)))
            return rc;
        if (!(sw->accounts = alloc(L, c, sizeof *sw->accounts)))
            return BH_ENOMEM;
        sw->naccounts = c;
        for (size_t i = 0; i < c; i++) {
            yaml_node_t *it = bh_sc_item(L, m.val[S_ACCOUNTS], i);
            struct bh_sc_account *x = &sw->accounts[i];
            struct sc_map am;
            if ((rc = bh_sc_map(L, it, "an account", account_keys, &am)))
                return rc;
            if ((rc = bh_sc_str(L, am.val[A_USER], "user", x->user,
                                sizeof x->user)))
                return rc;
            if ((rc = bh_sc_str(L, am.val[A_PASSWORD], "password", x->password,
                                sizeof x->password)))
                return rc;
            for (size_t j = 0; j < i; j++)
                if (strcmp(sw->accounts[j].user, x->user) == 0)
                    return bh_sc_fail(L, am.val[A_USER],
                                      "user '%s' is listed twice", x->user);
            x->pos = bh_sc_pos(it);
        }
    }
    if (m.val[S_EXTENSIONS]) {
        if ((rc = bh_sc_seq(L, m.val[S_EXTENSIONS], "extensions",
                            BH_SC_MAX_ITEMS, &c)))
            return rc;
        if (!(sw->extensions = alloc(L, c, sizeof *sw->extensions)))
            return BH_ENOMEM;
        sw->nextensions = c;
        for (size_t i = 0; i < c; i++)
            if ((rc = extension(L, bh_sc_item(L, m.val[S_EXTENSIONS], i),
                                &sw->extensions[i])))
                return rc;
    }
    if (m.val[S_TRUNK] && (rc = trunk(L, m.val[S_TRUNK], &sw->trunk)))
        return rc;
    return 0;
}

/* ---- tariffs ---------------------------------------------------------- */

/* Index of an origin (rate class). With tariffs, it must be a key of
 * tariffs.rates; without, origins are registered as they are named. */
static int
origin(struct sc_ld *L, yaml_node_t *n, const char *name, int *out) {
    struct bh_sc_tariffs *t = &L->sc->tariffs;
    for (size_t i = 0; i < t->norigins; i++)
        if (strcmp(t->origins[i], name) == 0) {
            *out = (int)i;
            return 0;
        }
    if (L->strict_origins) {
        const char *names[BH_SC_MAX_ITEMS / 8];
        for (size_t i = 0; i < t->norigins; i++)
            names[i] = t->origins[i];
        int s = bh_sc_suggest(name, names, t->norigins);
        if (s >= 0)
            return bh_sc_fail(L, n,
                              "origin '%s' has no rate in tariffs.rates (did "
                              "you mean '%s'?)",
                              name, names[s]);
        return bh_sc_fail(L, n, "origin '%s' has no rate in tariffs.rates",
                          name);
    }
    if (t->norigins == BH_SC_MAX_ITEMS / 8)
        return bh_sc_fail(L, n, "more than %d origins", BH_SC_MAX_ITEMS / 8);
    snprintf(t->origins[t->norigins], BH_SC_MAX_NAME, "%s", name);
    *out = (int)t->norigins++;
    return 0;
}

static int
plan_index(const struct bh_sc_tariffs *t, const char *name) {
    for (size_t i = 0; i < t->nplans; i++)
        if (strcmp(t->plans[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int
plan_ref(struct sc_ld *L, yaml_node_t *n, int *out) {
    const struct bh_sc_tariffs *t = &L->sc->tariffs;
    char name[BH_SC_MAX_NAME];
    int rc = bh_sc_name(L, n, "plan", name);
    if (rc)
        return rc;
    *out = plan_index(t, name);
    if (*out >= 0)
        return 0;
    const char *names[BH_SC_MAX_ITEMS];
    for (size_t i = 0; i < t->nplans; i++)
        names[i] = t->plans[i].name;
    int s = bh_sc_suggest(name, names, t->nplans);
    if (s >= 0)
        return bh_sc_fail(L, n,
                          "plan '%s' is not in tariffs.plans (did you mean "
                          "'%s'?)",
                          name, names[s]);
    return bh_sc_fail(L, n, "plan '%s' is not in tariffs.plans", name);
}

enum {
    P_INCREMENT,
    P_MINIMUM,
    P_SETUP,
    P_SETUP_ON_ATTEMPT,
    P_PER_MINUTE,
    P_ALLOWANCE,
    P_PERIOD,
    P_THEN
};
static const struct sc_key plan_keys[] = {
    {"increment", 0},        {"minimum", 0},    {"setup", 0},
    {"setup_on_attempt", 0}, {"per_minute", 0}, {"allowance", 0},
    {"period", 0},           {"then", 0},       {NULL, 0}};
static const char *const period_names[] = {"day", "week", "month", NULL};

static int
plans(struct sc_ld *L, yaml_node_t *n) {
    struct bh_sc_tariffs *t = &L->sc->tariffs;
    int rc = bh_sc_mapping(L, n, "plans");
    if (rc)
        return rc;
    size_t c =
        (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (c > BH_SC_MAX_ITEMS)
        return bh_sc_fail(L, n, "more than %d plans", BH_SC_MAX_ITEMS);
    if (!(t->plans = alloc(L, c, sizeof *t->plans)))
        return BH_ENOMEM;
    /* names first, so that then: may name a plan written later */
    for (size_t i = 0; i < c; i++) {
        yaml_node_t *k = bh_sc_node(L, n->data.mapping.pairs.start[i].key);
        if ((rc = bh_sc_name(L, k, "plan name", t->plans[i].name)))
            return rc;
        if (plan_index(t, t->plans[i].name) >= 0)
            return bh_sc_fail(L, k, "duplicate plan '%s'", t->plans[i].name);
        t->plans[i].pos = bh_sc_pos(k);
        t->nplans = i + 1;
    }
    yaml_node_t *then_node[BH_SC_MAX_ITEMS] = {0};
    for (size_t i = 0; i < c; i++) {
        struct bh_sc_plan *p = &t->plans[i];
        yaml_node_t *v = bh_sc_node(L, n->data.mapping.pairs.start[i].value);
        char what[BH_SC_MAX_NAME + 8];
        snprintf(what, sizeof what, "plan %s", p->name);
        struct sc_map m;
        int e;
        p->increment = 1;
        p->then = -1;
        p->period = BH_PERIOD_MONTH;
        if ((rc = bh_sc_map(L, v, what, plan_keys, &m)))
            return rc;
        if (m.val[P_INCREMENT]) {
            if ((rc = bh_sc_dur(L, m.val[P_INCREMENT], "increment", 0, 3600,
                                &p->increment)))
                return rc;
            if (p->increment <= 0)
                return bh_sc_fail(L, m.val[P_INCREMENT],
                                  "increment must be more than 0s");
        }
        if (m.val[P_MINIMUM] && (rc = bh_sc_dur(L, m.val[P_MINIMUM], "minimum",
                                                0, 3600, &p->minimum)))
            return rc;
        if (m.val[P_SETUP] &&
            (rc = bh_sc_money(L, m.val[P_SETUP], "setup", &p->setup)))
            return rc;
        if (m.val[P_SETUP_ON_ATTEMPT] &&
            (rc = bh_sc_bool(L, m.val[P_SETUP_ON_ATTEMPT], "setup_on_attempt",
                             &p->setup_on_attempt)))
            return rc;
        if (m.val[P_PER_MINUTE]) {
            if ((rc = bh_sc_money(L, m.val[P_PER_MINUTE], "per_minute",
                                  &p->per_minute)))
                return rc;
            p->has_per_minute = true;
        }
        if (m.val[P_ALLOWANCE]) {
            if ((rc = bh_sc_dur(L, m.val[P_ALLOWANCE], "allowance", 0,
                                366 * DAY, &p->allowance)))
                return rc;
            p->bundle = true;
        }
        if (m.val[P_PERIOD]) {
            if (!p->bundle)
                return bh_sc_fail(L, m.key[P_PERIOD],
                                  "period applies to a bundle: give an "
                                  "allowance too");
            if ((rc = bh_sc_enum(L, m.val[P_PERIOD], "period", period_names,
                                 &e)))
                return rc;
            p->period = (enum bh_period)e;
        }
        if (m.val[P_THEN]) {
            if (!p->bundle)
                return bh_sc_fail(L, m.key[P_THEN],
                                  "then: applies after a bundle's allowance: "
                                  "give an allowance too");
            if ((rc = plan_ref(L, m.val[P_THEN], &p->then)))
                return rc;
            then_node[i] = m.val[P_THEN];
        }
    }
    /* then: chains must end */
    for (size_t i = 0; i < c; i++) {
        int cur = t->plans[i].then;
        for (size_t steps = 0; cur >= 0; steps++) {
            if (cur == (int)i || steps > c)
                return bh_sc_fail(L, then_node[i],
                                  "plan %s: then: leads back to itself (a "
                                  "cycle)",
                                  t->plans[i].name);
            cur = t->plans[cur].then;
        }
    }
    return 0;
}

static int
rates(struct sc_ld *L, yaml_node_t *n, const char *what, bh_money *out,
      int define) {
    struct bh_sc_tariffs *t = &L->sc->tariffs;
    int rc = bh_sc_mapping(L, n, what);
    if (rc)
        return rc;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
         pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = bh_sc_node(L, pr->key);
        yaml_node_t *v = bh_sc_node(L, pr->value);
        char name[BH_SC_MAX_NAME];
        if ((rc = bh_sc_name(L, k, "origin", name)))
            return rc;
        int idx = -1;
        for (size_t i = 0; i < t->norigins; i++)
            if (strcmp(t->origins[i], name) == 0)
                idx = (int)i;
        if (define) {
            if (idx >= 0)
                return bh_sc_fail(L, k, "duplicate origin '%s'", name);
            if (t->norigins == BH_SC_MAX_ITEMS / 8)
                return bh_sc_fail(L, k, "more than %d origins",
                                  BH_SC_MAX_ITEMS / 8);
            idx = (int)t->norigins++;
            snprintf(t->origins[idx], BH_SC_MAX_NAME, "%s", name);
        } else {
            if (idx < 0 && (rc = origin(L, k, name, &idx)))
                return rc;
            if (out[idx] >= 0)
                return bh_sc_fail(L, k, "duplicate origin '%s'", name);
        }
        char vw[BH_SC_MAX_NAME + 16];
        snprintf(vw, sizeof vw, "rate for %s", name);
        if (!v || bh_sc_is_null(v))
            return bh_sc_fail(L, k, "origin '%s' needs a price per minute",
                              name);
        if ((rc = bh_sc_money(L, v, vw, &out[idx])))
            return rc;
    }
    return 0;
}

enum { BD_NAME, BD_FROM, BD_TO, BD_RATES };
static const struct sc_key band_keys[] = {
    {"name", 1}, {"from", 1}, {"to", 1}, {"rates", 1}, {NULL, 0}};

enum {
    T_CURRENCY,
    T_PLANS,
    T_RATES,
    T_BANDS,
    T_TOLL_FREE,
    T_OUTBOUND,
    T_LINES,
    T_PROVIDER,
    T_PREFIXES,
    T_OPERATORS,
    T_PREPAID
};
static const struct sc_key tariff_keys[] = {
    {"currency", 1},  {"plans", 0},     {"rates", 0},   {"bands", 0},
    {"toll_free", 0}, {"outbound", 0},  {"lines", 0},   {"provider", 0},
    {"prefixes", 0},  {"operators", 0}, {"prepaid", 0}, {NULL, 0}};
static const struct sc_key operator_keys[] = {
    {"per_hour", 1}, {"shrinkage", 0}, {NULL, 0}};
static const struct sc_key prepaid_keys[] = {
    {"balance", 1}, {"top_up", 0}, {"every", 0}, {NULL, 0}};
#define MAX_SHRINKAGE 0.95      /* paid hours at most 20x the staffed ones */
#define MIN_TOP_UP_EVERY 3600.0 /* s: top-ups are counted one by one */

/* tariffs.operators: the wage of a paid operator-hour and shrinkage. */
static int
operators_tariff(struct sc_ld *L, yaml_node_t *n, struct bh_sc_tariffs *t) {
    struct sc_map s;
    int rc = bh_sc_map(L, n, "operators", operator_keys, &s);
    if (rc)
        return rc;
    if ((rc = bh_sc_money(L, s.val[0], "per_hour", &t->operator_per_hour)))
        return rc;
    if (s.val[1] && (rc = bh_sc_pct(L, s.val[1], "shrinkage", &t->shrinkage)))
        return rc;
    if (t->shrinkage > MAX_SHRINKAGE)
        return bh_sc_fail(L, s.val[1],
                          "shrinkage is at most 95%% (paid hours = staffed "
                          "hours / (1 - shrinkage))");
    return 0;
}

/* tariffs.prepaid: a balance the company's telephone bill is drawn from,
 * with optional periodic top-ups. */
static int
prepaid_tariff(struct sc_ld *L, yaml_node_t *n, struct bh_sc_tariffs *t) {
    struct sc_map s;
    int rc = bh_sc_map(L, n, "prepaid", prepaid_keys, &s);
    if (rc)
        return rc;
    t->prepaid = true;
    if ((rc = bh_sc_money(L, s.val[0], "balance", &t->balance)))
        return rc;
    if (s.val[1] && (rc = bh_sc_money(L, s.val[1], "top_up", &t->top_up)))
        return rc;
    if (t->top_up > 0 && !s.val[2])
        return bh_sc_fail(L, s.val[1],
                          "top_up needs 'every' (how often it is added, "
                          "e.g. every: 7d)");
    if (s.val[2] && !s.val[1])
        return bh_sc_fail(L, s.val[2], "every needs a top_up amount");
    if (s.val[2] && (rc = bh_sc_dur(L, s.val[2], "every", MIN_TOP_UP_EVERY,
                                    366 * 86400.0, &t->top_up_every)))
        return rc;
    return 0;
}
static const struct sc_key toll_free_keys[] = {
    {"per_minute", 1}, {"increment", 0}, {"minimum", 0}, {NULL, 0}};
static const struct sc_key outbound_keys[] = {
    {"setup", 0}, {"increment", 0}, {NULL, 0}};
static const struct sc_key lines_keys[] = {{"per_line_month", 1}, {NULL, 0}};
static const struct sc_key provider_keys[] = {{"termination_per_minute", 1},
                                              {NULL, 0}};

/* tariffs.prefixes: {"7495": local, "79": mobile}, dial codes of outside
 * numbers to origins (a switch's CDRs name the number, not its rate
 * class). */
static int
prefixes(struct sc_ld *L, yaml_node_t *n) {
    struct bh_sc_tariffs *t = &L->sc->tariffs;
    int rc = bh_sc_mapping(L, n, "prefixes");
    if (rc)
        return rc;
    size_t c =
        (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (c > BH_SC_MAX_ITEMS)
        return bh_sc_fail(L, n, "more than %d prefixes", BH_SC_MAX_ITEMS);
    if (!(t->prefixes = alloc(L, c, sizeof *t->prefixes)))
        return BH_ENOMEM;
    for (size_t i = 0; i < c; i++) {
        yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = bh_sc_node(L, pr->key);
        yaml_node_t *v = bh_sc_node(L, pr->value);
        struct bh_sc_prefix *x = &t->prefixes[i];
        char name[BH_SC_MAX_NAME];
        if ((rc = bh_sc_digits(L, k, "a prefix", x->digits, sizeof x->digits)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->prefixes[j].digits, x->digits) == 0)
                return bh_sc_fail(L, k, "duplicate prefix '%s'", x->digits);
        if ((rc = bh_sc_name(L, v, "origin", name)) ||
            (rc = origin(L, v, name, &x->origin)))
            return rc;
        x->pos = bh_sc_pos(k);
        t->nprefixes = i + 1;
    }
    return 0;
}

static int
tariffs(struct sc_ld *L, yaml_node_t *n) {
    struct bh_sc_tariffs *t = &L->sc->tariffs;
    struct sc_map m, s;
    int rc = bh_sc_map(L, n, "tariffs", tariff_keys, &m);
    if (rc)
        return rc;
    t->present = true;
    t->toll_free_increment = 1;
    t->outbound_increment = DEF_OUTBOUND_INCREMENT;
    if ((rc = bh_sc_str(L, m.val[T_CURRENCY], "currency", t->currency,
                        sizeof t->currency)))
        return rc;
    if (strlen(t->currency) != 3 || t->currency[0] < 'A' ||
        t->currency[0] > 'Z' || t->currency[1] < 'A' || t->currency[1] > 'Z' ||
        t->currency[2] < 'A' || t->currency[2] > 'Z')
        return bh_sc_fail(L, m.val[T_CURRENCY],
                          "currency is a three-letter code such as EUR, not "
                          "'%s'",
                          t->currency);
    if (m.val[T_RATES]) {
        if ((rc = rates(L, m.val[T_RATES], "rates", t->rate, 1)))
            return rc;
        L->strict_origins = 1;
    }
    if (m.val[T_PLANS] && (rc = plans(L, m.val[T_PLANS])))
        return rc;
    if (m.val[T_PREFIXES] && (rc = prefixes(L, m.val[T_PREFIXES])))
        return rc;
    if (m.val[T_BANDS]) {
        size_t c;
        if ((rc = bh_sc_seq(L, m.val[T_BANDS], "bands", BH_SC_MAX_ITEMS, &c)))
            return rc;
        if (!(t->bands = alloc(L, c, sizeof *t->bands)))
            return BH_ENOMEM;
        t->nbands = c;
        for (size_t i = 0; i < c; i++) {
            struct bh_sc_band *b = &t->bands[i];
            yaml_node_t *it = bh_sc_item(L, m.val[T_BANDS], i);
            struct sc_map bm;
            for (size_t j = 0; j < BH_SC_MAX_ITEMS / 8; j++)
                b->rate[j] = -1;
            if ((rc = bh_sc_map(L, it, "a band", band_keys, &bm)))
                return rc;
            if ((rc = bh_sc_name(L, bm.val[BD_NAME], "name", b->name)))
                return rc;
            if ((rc = bh_sc_clock(L, bm.val[BD_FROM], "from", &b->from)))
                return rc;
            if ((rc = bh_sc_clock(L, bm.val[BD_TO], "to", &b->to)))
                return rc;
            if (b->from == b->to)
                return bh_sc_fail(L, bm.val[BD_TO],
                                  "band %s is empty (from equals to)", b->name);
            if ((rc = rates(L, bm.val[BD_RATES], "band rates", b->rate, 0)))
                return rc;
            b->pos = bh_sc_pos(it);
        }
    }
    if (m.val[T_TOLL_FREE]) {
        if ((rc = bh_sc_map(L, m.val[T_TOLL_FREE], "toll_free", toll_free_keys,
                            &s)))
            return rc;
        if ((rc = bh_sc_money(L, s.val[0], "per_minute",
                              &t->toll_free_per_minute)))
            return rc;
        if (s.val[1] && (rc = bh_sc_dur(L, s.val[1], "increment", 0, 3600,
                                        &t->toll_free_increment)))
            return rc;
        if (s.val[1] && t->toll_free_increment <= 0)
            return bh_sc_fail(L, s.val[1], "increment must be more than 0s");
        if (s.val[2] && (rc = bh_sc_dur(L, s.val[2], "minimum", 0, 3600,
                                        &t->toll_free_minimum)))
            return rc;
    }
    if (m.val[T_OUTBOUND]) {
        if ((rc = bh_sc_map(L, m.val[T_OUTBOUND], "outbound", outbound_keys,
                            &s)))
            return rc;
        if (s.val[0] &&
            (rc = bh_sc_money(L, s.val[0], "setup", &t->outbound_setup)))
            return rc;
        if (s.val[1] && (rc = bh_sc_dur(L, s.val[1], "increment", 0, 3600,
                                        &t->outbound_increment)))
            return rc;
        if (s.val[1] && t->outbound_increment <= 0)
            return bh_sc_fail(L, s.val[1], "increment must be more than 0s");
    }
    if (m.val[T_LINES]) {
        if ((rc = bh_sc_map(L, m.val[T_LINES], "lines", lines_keys, &s)))
            return rc;
        if ((rc = bh_sc_money(L, s.val[0], "per_line_month",
                              &t->per_line_month)))
            return rc;
    }
    if (m.val[T_PROVIDER]) {
        if ((rc = bh_sc_map(L, m.val[T_PROVIDER], "provider", provider_keys,
                            &s)))
            return rc;
        if ((rc = bh_sc_money(L, s.val[0], "termination_per_minute",
                              &t->termination_per_minute)))
            return rc;
    }
    if (m.val[T_OPERATORS] && (rc = operators_tariff(L, m.val[T_OPERATORS], t)))
        return rc;
    if (m.val[T_PREPAID] && (rc = prepaid_tariff(L, m.val[T_PREPAID], t)))
        return rc;
    return 0;
}

/* ---- traffic ---------------------------------------------------------- */

/* A day profile {"HH:MM": rate, ...}: rates per hour, times increasing. */
static int
profile(struct sc_ld *L, yaml_node_t *n, const char *what,
        struct bh_profile *p) {
    int rc = bh_sc_mapping(L, n, what);
    if (rc)
        return rc;
    size_t c =
        (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    p->pos = bh_sc_pos(n);
    if (c == 0)
        return bh_sc_fail(L, n,
                          "%s has no steps (write {\"00:00\": rate, "
                          "...})",
                          what);
    if (c > BH_SC_MAX_PROFILE)
        return bh_sc_fail(L, n, "%s has more than %d steps", what,
                          BH_SC_MAX_PROFILE);
    for (size_t i = 0; i < c; i++) {
        yaml_node_t *k = bh_sc_node(L, n->data.mapping.pairs.start[i].key);
        yaml_node_t *v = bh_sc_node(L, n->data.mapping.pairs.start[i].value);
        double at, rate;
        if ((rc = bh_sc_clock(L, k, "a profile time", &at)))
            return rc;
        if (at >= DAY)
            return bh_sc_fail(L, k, "a profile time is before 24:00");
        if (i > 0 && at <= p->at[i - 1])
            return bh_sc_fail(L, k,
                              "profile times must increase: %s is not after "
                              "the step before it",
                              (const char *)k->data.scalar.value);
        if (!v || bh_sc_is_null(v))
            return bh_sc_fail(L, k, "profile step %s needs a rate per hour",
                              (const char *)k->data.scalar.value);
        if ((rc = bh_sc_num(L, v, "a rate per hour", 0, 1e7, &rate)))
            return rc;
        p->at[i] = at;
        p->rate[i] = rate;
    }
    p->n = c;
    if (p->at[0] > 0) {
        /* wrap: the last step runs on from midnight until the first */
        if (p->n == BH_SC_MAX_PROFILE)
            return bh_sc_fail(L, n,
                              "%s has %d steps and does not start at 00:00 "
                              "(wrapping needs one more)",
                              what, BH_SC_MAX_PROFILE);
        memmove(p->at + 1, p->at, p->n * sizeof *p->at);
        memmove(p->rate + 1, p->rate, p->n * sizeof *p->rate);
        p->at[0] = 0;
        p->rate[0] = p->rate[p->n];
        p->n++;
    }
    return 0;
}

static int
constant_rate(struct sc_ld *L, yaml_node_t *n, const char *what,
              struct bh_profile *p) {
    double r;
    int rc = bh_sc_num(L, n, what, 0, 1e7, &r);
    if (rc)
        return rc;
    p->n = 1;
    p->at[0] = 0;
    p->rate[0] = r;
    p->pos = bh_sc_pos(n);
    return 0;
}

/* Shares by origin, {local: 50%, mobile: 50%}, adding to 100%. */
static int
destinations(struct sc_ld *L, yaml_node_t *n, struct bh_sc_destinations *d) {
    int rc = bh_sc_mapping(L, n, "destinations");
    if (rc)
        return rc;
    size_t c =
        (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (c == 0)
        return bh_sc_fail(L, n, "destinations is empty");
    if (c > BH_SC_MAX_ITEMS / 8)
        return bh_sc_fail(L, n, "more than %d destinations",
                          BH_SC_MAX_ITEMS / 8);
    double sum = 0;
    for (size_t i = 0; i < c; i++) {
        yaml_node_t *k = bh_sc_node(L, n->data.mapping.pairs.start[i].key);
        yaml_node_t *v = bh_sc_node(L, n->data.mapping.pairs.start[i].value);
        char name[BH_SC_MAX_NAME];
        if ((rc = bh_sc_name(L, k, "destination", name)))
            return rc;
        if ((rc = origin(L, k, name, &d->origin[i])))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (d->origin[j] == d->origin[i])
                return bh_sc_fail(L, k, "duplicate destination '%s'", name);
        if ((rc = bh_sc_pct(L, v, "a destination share", &d->share[i])))
            return rc;
        sum += d->share[i];
        d->n = i + 1;
    }
    if (fabs(sum - 1) > 1e-9)
        return bh_sc_fail(L, n, "destination shares add to %g%%, not 100%%",
                          sum * 100);
    return 0;
}

enum { C_SHARE, C_ORIGIN, C_PLAN, C_SUBSCRIBERS };
static const struct sc_key class_keys[] = {
    {"share", 1}, {"origin", 0}, {"plan", 0}, {"subscribers", 0}, {NULL, 0}};

static int
default_class(struct sc_ld *L, yaml_node_t *at, struct bh_sc_source *s) {
    if (!(s->classes = alloc(L, 1, sizeof *s->classes)))
        return BH_ENOMEM;
    s->nclasses = 1;
    s->classes[0].share = 1;
    s->classes[0].plan = -1;
    s->classes[0].subscribers = DEF_SUBSCRIBERS;
    s->classes[0].pos = bh_sc_pos(at);
    const struct bh_sc_tariffs *t = &L->sc->tariffs;
    if (L->strict_origins && t->norigins > 0) {
        s->classes[0].origin = 0; /* the first origin of tariffs.rates */
        return 0;
    }
    return origin(L, at, DEF_ORIGIN, &s->classes[0].origin);
}

static int
classes(struct sc_ld *L, yaml_node_t *key, yaml_node_t *n,
        struct bh_sc_source *s) {
    size_t c;
    int rc = bh_sc_seq(L, n, "callers", BH_SC_MAX_ITEMS, &c);
    if (rc)
        return rc;
    if (c == 0)
        return bh_sc_fail(L, n, "callers is empty");
    if (!(s->classes = alloc(L, c, sizeof *s->classes)))
        return BH_ENOMEM;
    s->nclasses = c;
    double sum = 0;
    for (size_t i = 0; i < c; i++) {
        yaml_node_t *it = bh_sc_item(L, n, i);
        struct bh_sc_class *k = &s->classes[i];
        struct sc_map m;
        char name[BH_SC_MAX_NAME] = DEF_ORIGIN;
        long v;
        if ((rc = bh_sc_map(L, it, "a caller class", class_keys, &m)))
            return rc;
        k->pos = bh_sc_pos(it);
        if ((rc = bh_sc_pct(L, m.val[C_SHARE], "share", &k->share)))
            return rc;
        sum += k->share;
        if (m.val[C_ORIGIN] &&
            (rc = bh_sc_name(L, m.val[C_ORIGIN], "origin", name)))
            return rc;
        if ((rc = origin(L, m.val[C_ORIGIN] ? m.val[C_ORIGIN] : it, name,
                         &k->origin)))
            return rc;
        k->plan = -1;
        if (m.val[C_PLAN] && L->sc->tariffs.present &&
            (rc = plan_ref(L, m.val[C_PLAN], &k->plan)))
            return rc;
        if (m.val[C_PLAN] && !L->sc->tariffs.present &&
            (rc = bh_sc_name(L, m.val[C_PLAN], "plan", name)))
            return rc;
        k->subscribers = DEF_SUBSCRIBERS;
        if (m.val[C_SUBSCRIBERS]) {
            if ((rc = bh_sc_int(L, m.val[C_SUBSCRIBERS], "subscribers", 1,
                                100000000, &v)))
                return rc;
            k->subscribers = (int)v;
        }
    }
    if (fabs(sum - 1) > 1e-9)
        return bh_sc_fail(L, key, "caller shares add to %g%%, not 100%%",
                          sum * 100);
    return 0;
}

enum { R_PROBABILITY, R_DELAY, R_MAX_ATTEMPTS };
static const struct sc_key retry_keys[] = {
    {"probability", 1}, {"delay", 1}, {"max_attempts", 0}, {NULL, 0}};

static int
retry(struct sc_ld *L, yaml_node_t *n, struct bh_sc_retry *r) {
    struct sc_map m;
    long v;
    int rc = bh_sc_map(L, n, "retry", retry_keys, &m);
    if (rc)
        return rc;
    r->present = true;
    if ((rc = bh_sc_pct(L, m.val[R_PROBABILITY], "probability",
                        &r->probability)))
        return rc;
    if ((rc = bh_sc_dist(L, m.val[R_DELAY], "delay", SC_DURATION, &r->delay)))
        return rc;
    r->max_attempts = DEF_MAX_ATTEMPTS;
    if (m.val[R_MAX_ATTEMPTS]) {
        if ((rc = bh_sc_int(L, m.val[R_MAX_ATTEMPTS], "max_attempts", 1, 100,
                            &v)))
            return rc;
        r->max_attempts = (int)v;
    }
    return 0;
}

enum { SCH_ROOMS, SCH_AT, SCH_EVERY, SCH_FROM, SCH_TO };
static const struct sc_key schedule_keys[] = {
    {"rooms", 1}, {"at", 0}, {"every", 0}, {"from", 0}, {"to", 0}, {NULL, 0}};

/* meetings.schedule: `rooms` meetings at each of the times `at`, or every
 * `every` from `from` (default 00:00) until before `to` (default 24:00). */
static int
schedule(struct sc_ld *L, yaml_node_t *n, struct bh_sc_schedule *x) {
    struct sc_map m;
    long v;
    int rc = bh_sc_map(L, n, "schedule", schedule_keys, &m);
    if (rc)
        return rc;
    x->present = true;
    x->pos = bh_sc_pos(n);
    if ((rc = bh_sc_int(L, m.val[SCH_ROOMS], "rooms", 1, BH_SC_MAX_CAPACITY,
                        &v)))
        return rc;
    x->rooms = (int)v;
    if (m.key[SCH_AT] &&
        (m.key[SCH_EVERY] || m.key[SCH_FROM] || m.key[SCH_TO])) {
        yaml_node_t *k = m.key[SCH_EVERY]  ? m.key[SCH_EVERY]
                         : m.key[SCH_FROM] ? m.key[SCH_FROM]
                                           : m.key[SCH_TO];
        return bh_sc_fail(L, k,
                          "give either at: (a list of times) or every: "
                          "(with from: and to:), not both");
    }
    if (m.val[SCH_AT]) {
        size_t c;
        if ((rc = bh_sc_seq(L, m.val[SCH_AT], "at", BH_SC_MAX_PROFILE, &c)))
            return rc;
        if (c == 0)
            return bh_sc_fail(L, m.val[SCH_AT], "at lists no time");
        for (size_t i = 0; i < c; i++) {
            yaml_node_t *t = bh_sc_item(L, m.val[SCH_AT], i);
            if ((rc = bh_sc_clock(L, t, "a meeting time", &x->at[i])))
                return rc;
            if (x->at[i] >= 86400)
                return bh_sc_fail(L, t, "a meeting time is before 24:00");
            if (i > 0 && x->at[i] <= x->at[i - 1])
                return bh_sc_fail(L, t,
                                  "meeting times must increase (this one "
                                  "is not after the one before)");
        }
        x->n = c;
        return 0;
    }
    if (!m.val[SCH_EVERY])
        return bh_sc_fail(L, n,
                          "a schedule needs at: (a list of times of day) or "
                          "every: (a duration, with from: and to:)");
    double every, from = 0, to = 86400;
    if ((rc = bh_sc_dur(L, m.val[SCH_EVERY], "every", 60, 86400, &every)))
        return rc;
    if (m.val[SCH_FROM] &&
        (rc = bh_sc_clock(L, m.val[SCH_FROM], "from", &from)))
        return rc;
    if (m.val[SCH_TO] && (rc = bh_sc_clock(L, m.val[SCH_TO], "to", &to)))
        return rc;
    if (from >= 86400)
        return bh_sc_fail(L, m.val[SCH_FROM], "from is before 24:00");
    if (to <= from)
        return bh_sc_fail(L, m.val[SCH_TO] ? m.val[SCH_TO] : n,
                          "to must be after from (a schedule does not wrap "
                          "midnight: meetings start from, from + every, ... "
                          "before to)");
    for (double t = from; t < to - 1e-9; t += every) {
        if (x->n == BH_SC_MAX_PROFILE)
            return bh_sc_fail(L, m.val[SCH_EVERY],
                              "the schedule starts more than %d meetings' "
                              "times a day; make every longer",
                              BH_SC_MAX_PROFILE);
        x->at[x->n++] = t;
    }
    return 0;
}

enum {
    M_PROFILE,
    M_RATE,
    M_SCHEDULE,
    M_PARTICIPANTS,
    M_DURATION,
    M_JOIN_SPREAD,
    M_PASSCODE_ENTRY
};
static const struct sc_key meeting_keys[] = {
    {"profile", 0},        {"rate", 0},     {"schedule", 0},
    {"participants", 1},   {"duration", 1}, {"join_spread", 0},
    {"passcode_entry", 0}, {NULL, 0}};

static int
meetings(struct sc_ld *L, yaml_node_t *n, struct bh_sc_source *s) {
    struct bh_sc_meetings *x = &s->meetings;
    struct sc_map m;
    int rc = bh_sc_map(L, n, "meetings", meeting_keys, &m);
    if (rc)
        return rc;
    if (!!m.key[M_PROFILE] + !!m.key[M_RATE] + !!m.key[M_SCHEDULE] > 1)
        return bh_sc_fail(L,
                          m.key[M_SCHEDULE] ? m.key[M_SCHEDULE] : m.key[M_RATE],
                          "give one of profile:, rate: and schedule:");
    if (m.val[M_PROFILE]) {
        rc = profile(L, m.val[M_PROFILE], "profile", &x->profile);
    } else if (m.val[M_RATE]) {
        rc = constant_rate(L, m.val[M_RATE], "rate", &x->profile);
    } else if (m.val[M_SCHEDULE]) {
        /* no Poisson meetings: a profile of rate 0 all day */
        x->profile.n = 1;
        x->profile.at[0] = x->profile.rate[0] = 0;
        x->profile.pos = bh_sc_pos(m.val[M_SCHEDULE]);
        rc = schedule(L, m.val[M_SCHEDULE], &x->schedule);
    } else {
        rc = bh_sc_fail(L, n,
                        "meetings need profile: (meetings per hour by time "
                        "of day), rate: (meetings per hour) or schedule: "
                        "(meetings at fixed times)");
    }
    if (rc)
        return rc;
    if ((rc = bh_sc_dist(L, m.val[M_PARTICIPANTS], "participants", SC_COUNT,
                         &x->participants)))
        return rc;
    if ((rc = bh_sc_dist(L, m.val[M_DURATION], "duration", SC_DURATION,
                         &x->duration)))
        return rc;
    if (m.val[M_JOIN_SPREAD]) {
        if ((rc = bh_sc_dist(L, m.val[M_JOIN_SPREAD], "join_spread",
                             SC_DURATION_SIGNED, &x->join_spread)))
            return rc;
    } else {
        x->join_spread.kind = BH_DIST_DETERMINISTIC;
        x->join_spread.mean = 0;
    }
    if (m.val[M_PASSCODE_ENTRY] &&
        (rc = bh_sc_dur(L, m.val[M_PASSCODE_ENTRY], "passcode_entry", 0, 3600,
                        &x->passcode_entry)))
        return rc;
    return 0;
}

enum { CP_CALLS_PER_HOUR, CP_PROFILE, CP_ANSWER, CP_RING, CP_DESTINATIONS };
static const struct sc_key campaign_keys[] = {
    {"calls_per_hour", 0}, {"profile", 0},      {"answer_probability", 1},
    {"ring", 0},           {"destinations", 1}, {NULL, 0}};

static int
campaign(struct sc_ld *L, yaml_node_t *n, struct bh_sc_source *s) {
    struct bh_sc_campaign *x = &s->campaign;
    struct sc_map m;
    int rc = bh_sc_map(L, n, "campaign", campaign_keys, &m);
    if (rc)
        return rc;
    if (m.key[CP_CALLS_PER_HOUR] && m.key[CP_PROFILE])
        return bh_sc_fail(L, m.key[CP_PROFILE],
                          "give either calls_per_hour: or profile:, not "
                          "both");
    if (m.val[CP_PROFILE])
        rc = profile(L, m.val[CP_PROFILE], "profile", &x->profile);
    else if (m.val[CP_CALLS_PER_HOUR])
        rc = constant_rate(L, m.val[CP_CALLS_PER_HOUR], "calls_per_hour",
                           &x->profile);
    else
        rc = bh_sc_fail(L, n,
                        "a campaign needs calls_per_hour: or profile: "
                        "(attempts per hour by time of day)");
    if (rc)
        return rc;
    if ((rc = bh_sc_pct(L, m.val[CP_ANSWER], "answer_probability",
                        &x->answer_probability)))
        return rc;
    if (m.val[CP_RING]) {
        if ((rc = bh_sc_dist(L, m.val[CP_RING], "ring", SC_DURATION, &x->ring)))
            return rc;
    } else {
        x->ring.kind = BH_DIST_DETERMINISTIC;
        x->ring.mean = DEF_CAMPAIGN_RING;
    }
    return destinations(L, m.val[CP_DESTINATIONS], &x->destinations);
}

enum { AD_PROBABILITY, AD_ADDED, AD_DESTINATIONS };
static const struct sc_key adhoc_keys[] = {
    {"probability", 1}, {"added", 1}, {"destinations", 1}, {NULL, 0}};

static int
adhoc(struct sc_ld *L, yaml_node_t *n, struct bh_sc_adhoc *x) {
    struct sc_map m;
    int rc = bh_sc_map(L, n, "adhoc", adhoc_keys, &m);
    if (rc)
        return rc;
    x->present = true;
    if ((rc = bh_sc_pct(L, m.val[AD_PROBABILITY], "probability",
                        &x->probability)))
        return rc;
    if ((rc = bh_sc_dist(L, m.val[AD_ADDED], "added", SC_COUNT, &x->added)))
        return rc;
    return destinations(L, m.val[AD_DESTINATIONS], &x->destinations);
}

/* The number or bridge a to: / via: names. */
static int
target(struct sc_ld *L, yaml_node_t *n, const char *key,
       struct bh_sc_source *s) {
    char name[BH_SC_MAX_NAME];
    int rc = bh_sc_name(L, n, key, name);
    if (rc)
        return rc;
    int i = bh_scenario_find_number(L->sc, name);
    if (i >= 0) {
        s->target_kind = BH_TARGET_NUMBER;
        s->target = i;
        return 0;
    }
    i = bh_scenario_find_bridge(L->sc, name);
    if (i >= 0) {
        s->target_kind = BH_TARGET_BRIDGE;
        s->target = i;
        return 0;
    }
    const struct bh_sc_switch *sw = &L->sc->sw;
    const char *names[2 * BH_SC_MAX_ITEMS];
    size_t nn = 0;
    for (size_t j = 0; j < sw->nnumbers; j++)
        names[nn++] = sw->numbers[j].name;
    for (size_t j = 0; j < sw->nbridges; j++)
        names[nn++] = sw->bridges[j].name;
    int sg = bh_sc_suggest(name, names, nn);
    if (sg >= 0)
        return bh_sc_fail(L, n,
                          "%s: '%s' names no number or bridge (did you mean "
                          "'%s'?)",
                          key, name, names[sg]);
    return bh_sc_fail(L, n, "%s: '%s' names no number or bridge", key, name);
}

enum {
    TR_NAME,
    TR_TO,
    TR_VIA,
    TR_PROFILE,
    TR_RATE,
    TR_SOURCES,
    TR_HOLDING,
    TR_PATIENCE,
    TR_RETRY,
    TR_CALLERS,
    TR_MEETINGS,
    TR_CAMPAIGN,
    TR_ADHOC
};
static const struct sc_key traffic_keys[] = {
    {"name", 1},  {"to", 0},      {"via", 0},      {"profile", 0},
    {"rate", 0},  {"sources", 0}, {"holding", 0},  {"patience", 0},
    {"retry", 0}, {"callers", 0}, {"meetings", 0}, {"campaign", 0},
    {"adhoc", 0}, {NULL, 0}};

/* Keys that a kind of traffic item does not take, with the reason. */
static int
refuse(struct sc_ld *L, const struct sc_map *m, const int *keys,
       const char *why) {
    for (; *keys >= 0; keys++)
        if (m->key[*keys])
            return bh_sc_fail(L, m->key[*keys], "'%s' %s",
                              traffic_keys[*keys].name, why);
    return 0;
}

static int
source(struct sc_ld *L, yaml_node_t *n, struct bh_sc_source *s) {
    struct sc_map m;
    long v;
    int rc = bh_sc_map(L, n, "a traffic item", traffic_keys, &m);
    if (rc)
        return rc;
    if ((rc = unique_name(L, m.val[TR_NAME], "name", s->name)))
        return rc;
    s->pos = bh_sc_pos(n);
    if (m.key[TR_MEETINGS] && m.key[TR_CAMPAIGN])
        return bh_sc_fail(L, m.key[TR_CAMPAIGN],
                          "a traffic item is calls, meetings or a campaign, "
                          "not both meetings and campaign");
    if (m.key[TR_MEETINGS]) {
        static const int no[] = {TR_VIA,     TR_PROFILE, TR_RATE,
                                 TR_SOURCES, TR_HOLDING, TR_PATIENCE,
                                 TR_RETRY,   TR_ADHOC,   -1};
        s->kind = BH_SOURCE_MEETINGS;
        if ((rc = refuse(L, &m, no,
                         "does not apply to meetings (profile, duration "
                         "and participants go inside meetings:)")))
            return rc;
        if (!m.val[TR_TO])
            return bh_sc_fail(L, n, "meetings need to: naming a bridge");
        if ((rc = target(L, m.val[TR_TO], "to", s)))
            return rc;
        if (s->target_kind != BH_TARGET_BRIDGE)
            return bh_sc_fail(L, m.val[TR_TO],
                              "meetings need a bridge; '%s' is a number",
                              L->sc->sw.numbers[s->target].name);
        if (!m.val[TR_MEETINGS])
            return bh_sc_fail(L, m.key[TR_MEETINGS], "meetings needs a value");
        if ((rc = meetings(L, m.val[TR_MEETINGS], s)))
            return rc;
    } else if (m.key[TR_CAMPAIGN]) {
        static const int no[] = {TR_PROFILE, TR_RATE,  TR_SOURCES, TR_PATIENCE,
                                 TR_CALLERS, TR_ADHOC, -1};
        s->kind = BH_SOURCE_CAMPAIGN;
        if (m.key[TR_TO])
            return bh_sc_fail(L, m.key[TR_TO],
                              "a campaign calls out: name the number whose "
                              "lines carry its calls with via:, not to:");
        if ((rc = refuse(L, &m, no,
                         "does not apply to a campaign (its rate and "
                         "destinations go inside campaign:)")))
            return rc;
        if (!m.val[TR_VIA])
            return bh_sc_fail(L, n,
                              "a campaign needs via: naming the number whose "
                              "lines carry its calls");
        if ((rc = target(L, m.val[TR_VIA], "via", s)))
            return rc;
        if (s->target_kind != BH_TARGET_NUMBER)
            return bh_sc_fail(L, m.val[TR_VIA],
                              "via: needs a number; '%s' is a bridge",
                              L->sc->sw.bridges[s->target].name);
        if (!m.val[TR_CAMPAIGN])
            return bh_sc_fail(L, m.key[TR_CAMPAIGN], "campaign needs a value");
        if ((rc = campaign(L, m.val[TR_CAMPAIGN], s)))
            return rc;
        if (!m.val[TR_HOLDING])
            return bh_sc_fail(L, n,
                              "a campaign needs holding: (talk time of "
                              "answered calls)");
        if ((rc = bh_sc_dist(L, m.val[TR_HOLDING], "holding", SC_DURATION,
                             &s->holding)))
            return rc;
        if (m.val[TR_RETRY] && (rc = retry(L, m.val[TR_RETRY], &s->retry)))
            return rc;
        /* the company pays; classes carry the destinations' origins */
        if (!(s->classes =
                  alloc(L, s->campaign.destinations.n, sizeof *s->classes)))
            return BH_ENOMEM;
        s->nclasses = s->campaign.destinations.n;
        for (size_t i = 0; i < s->nclasses; i++) {
            s->classes[i].share = s->campaign.destinations.share[i];
            s->classes[i].origin = s->campaign.destinations.origin[i];
            s->classes[i].plan = -1;
            s->classes[i].subscribers = DEF_SUBSCRIBERS;
            s->classes[i].pos = s->pos;
        }
        return 0;
    } else {
        static const int no[] = {TR_VIA, -1};
        s->kind = BH_SOURCE_CALLS;
        if ((rc = refuse(L, &m, no,
                         "is for campaigns (calls to a number use to:)")))
            return rc;
        if (!m.val[TR_TO])
            return bh_sc_fail(L, n,
                              "traffic item %s needs to: naming a number or "
                              "bridge",
                              s->name);
        if ((rc = target(L, m.val[TR_TO], "to", s)))
            return rc;
        if (m.key[TR_PROFILE] && m.key[TR_RATE])
            return bh_sc_fail(L, m.key[TR_RATE],
                              "give either profile: or rate:, not both");
        if (m.val[TR_PROFILE])
            rc = profile(L, m.val[TR_PROFILE], "profile", &s->profile);
        else if (m.val[TR_RATE])
            rc = constant_rate(L, m.val[TR_RATE], "rate", &s->profile);
        else
            rc = bh_sc_fail(L, n,
                            "traffic item %s needs profile: (calls per hour "
                            "by time of day) or rate: (calls per hour)",
                            s->name);
        if (rc)
            return rc;
        if (m.val[TR_SOURCES]) {
            if ((rc = bh_sc_int(L, m.val[TR_SOURCES], "sources", 1, 100000000,
                                &v)))
                return rc;
            s->sources = (int)v;
        }
        if (!m.val[TR_HOLDING])
            return bh_sc_fail(L, n,
                              "traffic item %s needs holding: (how long an "
                              "answered call lasts)",
                              s->name);
        if ((rc = bh_sc_dist(L, m.val[TR_HOLDING], "holding", SC_DURATION,
                             &s->holding)))
            return rc;
        if (m.val[TR_PATIENCE]) {
            if ((rc = bh_sc_dist(L, m.val[TR_PATIENCE], "patience", SC_DURATION,
                                 &s->patience)))
                return rc;
            s->has_patience = true;
        }
        if (m.val[TR_RETRY] && (rc = retry(L, m.val[TR_RETRY], &s->retry)))
            return rc;
        if (m.val[TR_ADHOC] && (rc = adhoc(L, m.val[TR_ADHOC], &s->adhoc)))
            return rc;
    }
    if (m.val[TR_CALLERS])
        return classes(L, m.key[TR_CALLERS], m.val[TR_CALLERS], s);
    return default_class(L, n, s);
}

/* ---- the top level ---------------------------------------------------- */

enum { SM_REPLICATIONS, SM_WARMUP, SM_PLAN_OVER };
static const struct sc_key sim_keys[] = {
    {"replications", 0}, {"warmup", 0}, {"plan_over", 0}, {NULL, 0}};
/* enum bh_plan_over, in order */
static const char *const plan_over_names[] = {"busy-hour", "horizon",
                                              "every-interval", NULL};
enum { LD_SPEED, LD_CODEC, LD_PTIME, LD_MEDIA };
static const struct sc_key load_keys[] = {
    {"speed", 0}, {"codec", 0}, {"ptime", 0}, {"media", 0}, {NULL, 0}};
static const char *const codec_names[] = {"PCMU", "PCMA", NULL};
static const char *const media_names[] = {"tone", "silence", "none", NULL};

/* load.media: tone | silence | none | pcap:FILE (a capture whose RTP
 * payload the driver replays, its path from the scenario's folder). */
static int
load_media(struct sc_ld *L, yaml_node_t *n, struct bh_scenario *sc) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, "media", &v);
    if (rc)
        return rc;
    if (strncmp(v, "pcap:", 5) != 0) {
        int e;
        if ((rc = bh_sc_enum(L, n, "media", media_names, &e)))
            return rc;
        sc->load.media = (enum bh_media)e;
        return 0;
    }
    const char *f = v + 5;
    if (!f[0])
        return bh_sc_fail_at(L, n, 5, "media pcap: needs a file (pcap:FILE)");
    size_t size = sizeof sc->load.media_file;
    int len = f[0] == '/' || !L->dir[0]
                  ? snprintf(sc->load.media_file, size, "%s", f)
                  : snprintf(sc->load.media_file, size, "%s/%s", L->dir, f);
    if (len < 0 || (size_t)len >= size)
        return bh_sc_fail(L, n, "media: the path is longer than %zu bytes",
                          size - 1);
    sc->load.media = BH_MEDIA_PCAP;
    return 0;
}

enum {
    K_NAME,
    K_DESCRIPTION,
    K_HORIZON,
    K_INTERVAL,
    K_START,
    K_SEED,
    K_SWITCH,
    K_TRAFFIC,
    K_TARIFFS,
    K_THRESHOLDS,
    K_SIM,
    K_LOAD
};
static const struct sc_key top_keys[] = {
    {"name", 1},    {"description", 0}, {"horizon", 0}, {"interval", 0},
    {"start", 0},   {"seed", 0},        {"switch", 1},  {"traffic", 1},
    {"tariffs", 0}, {"thresholds", 0},  {"sim", 0},     {"load", 0},
    {NULL, 0}};

static int
top(struct sc_ld *L, yaml_node_t *root) {
    struct bh_scenario *sc = L->sc;
    struct sc_map m;
    size_t c;
    long v;
    int e, rc;
    if (root->type != YAML_MAPPING_NODE)
        return bh_sc_fail(L, root,
                          "a scenario is a mapping (name:, switch:, "
                          "traffic:, ...), not %s",
                          bh_sc_kind(root));
    if ((rc = bh_sc_map(L, root, "the scenario", top_keys, &m)))
        return rc;
    if ((rc = bh_sc_name(L, m.val[K_NAME], "name", sc->name)))
        return rc;
    if (m.val[K_DESCRIPTION] &&
        (rc = bh_sc_str(L, m.val[K_DESCRIPTION], "description", sc->description,
                        sizeof sc->description)))
        return rc;
    sc->horizon = DEF_HORIZON;
    sc->interval = DEF_INTERVAL;
    sc->seed = DEF_SEED;
    if (m.val[K_HORIZON]) {
        if ((rc = bh_sc_dur(L, m.val[K_HORIZON], "horizon", 0, 366 * DAY,
                            &sc->horizon)))
            return rc;
        if (sc->horizon < 1)
            return bh_sc_fail(L, m.val[K_HORIZON],
                              "horizon must be at least 1s");
    }
    if (m.val[K_INTERVAL]) {
        if ((rc = bh_sc_dur(L, m.val[K_INTERVAL], "interval", 0, 366 * DAY,
                            &sc->interval)))
            return rc;
        if (sc->interval < 1)
            return bh_sc_fail(L, m.val[K_INTERVAL],
                              "interval must be at least 1s");
        if (sc->interval > sc->horizon)
            return bh_sc_fail(L, m.val[K_INTERVAL],
                              "interval is longer than the horizon");
    } else if (sc->interval > sc->horizon) {
        sc->interval = sc->horizon;
    }
    if (m.val[K_START]) {
        if ((rc = bh_sc_clock(L, m.val[K_START], "start", &sc->start)))
            return rc;
        if (sc->start >= DAY)
            return bh_sc_fail(L, m.val[K_START], "start is before 24:00");
    }
    if (m.val[K_SEED]) {
        if ((rc = bh_sc_int(L, m.val[K_SEED], "seed", 0, 4294967295L, &v)))
            return rc;
        sc->seed = (unsigned long)v;
    }
    if ((rc = switch_section(L, m.val[K_SWITCH])))
        return rc;
    if (m.val[K_TARIFFS] && (rc = tariffs(L, m.val[K_TARIFFS])))
        return rc;
    if ((rc = bh_sc_seq(L, m.val[K_TRAFFIC], "traffic", BH_SC_MAX_ITEMS, &c)))
        return rc;
    if (c == 0)
        return bh_sc_fail(L, m.val[K_TRAFFIC], "traffic is empty");
    if (!(sc->sources = alloc(L, c, sizeof *sc->sources)))
        return BH_ENOMEM;
    for (size_t i = 0; i < c; i++) {
        sc->nsources = i + 1;
        if ((rc = source(L, bh_sc_item(L, m.val[K_TRAFFIC], i),
                         &sc->sources[i])))
            return rc;
    }
    if (m.val[K_THRESHOLDS]) {
        if ((rc = bh_sc_seq(L, m.val[K_THRESHOLDS], "thresholds",
                            BH_SC_MAX_ITEMS, &c)))
            return rc;
        if (!(sc->thresholds = alloc(L, c, sizeof *sc->thresholds)))
            return BH_ENOMEM;
        sc->nthresholds = c;
        for (size_t i = 0; i < c; i++)
            if ((rc = bh_sc_threshold(L, bh_sc_item(L, m.val[K_THRESHOLDS], i),
                                      &sc->thresholds[i])))
                return rc;
    }
    sc->sim.replications = DEF_REPLICATIONS;
    sc->sim.warmup = 0;
    if (m.val[K_SIM]) {
        struct sc_map s;
        if ((rc = bh_sc_map(L, m.val[K_SIM], "sim", sim_keys, &s)))
            return rc;
        if (s.val[SM_REPLICATIONS]) {
            if ((rc = bh_sc_int(L, s.val[SM_REPLICATIONS], "replications", 1,
                                BH_SC_MAX_REPLICATIONS, &v)))
                return rc;
            sc->sim.replications = (int)v;
        }
        if (s.val[SM_WARMUP]) {
            if ((rc = bh_sc_dur(L, s.val[SM_WARMUP], "warmup", 0, 366 * DAY,
                                &sc->sim.warmup)))
                return rc;
            if (sc->sim.warmup >= sc->horizon)
                return bh_sc_fail(L, s.val[SM_WARMUP],
                                  "warmup must be shorter than the horizon");
        }
        if (s.val[SM_PLAN_OVER]) {
            int po;
            if ((rc = bh_sc_enum(L, s.val[SM_PLAN_OVER], "plan_over",
                                 plan_over_names, &po)))
                return rc;
            sc->sim.plan_over = (enum bh_plan_over)po;
        }
    }
    sc->load.speed = 1;
    sc->load.codec = BH_CODEC_PCMU;
    sc->load.ptime = 0.020;
    sc->load.media = BH_MEDIA_TONE;
    if (m.val[K_LOAD]) {
        struct sc_map s;
        if ((rc = bh_sc_map(L, m.val[K_LOAD], "load", load_keys, &s)))
            return rc;
        if (s.val[LD_SPEED]) {
            if ((rc = bh_sc_num(L, s.val[LD_SPEED], "speed", 0, 100000,
                                &sc->load.speed)))
                return rc;
            if (sc->load.speed <= 0)
                return bh_sc_fail(L, s.val[LD_SPEED],
                                  "speed must be more than 0");
        }
        if (s.val[LD_CODEC]) {
            if ((rc = bh_sc_enum(L, s.val[LD_CODEC], "codec", codec_names, &e)))
                return rc;
            sc->load.codec = (enum bh_codec)e;
        }
        if (s.val[LD_PTIME]) {
            if ((rc = bh_sc_dur(L, s.val[LD_PTIME], "ptime", 0.010, 0.120,
                                &sc->load.ptime)))
                return rc;
            double ms = sc->load.ptime * 1000;
            if (fabs(ms - round(ms / 10) * 10) > 1e-6)
                return bh_sc_fail(L, s.val[LD_PTIME],
                                  "ptime must be a multiple of 10ms");
        }
        if (s.val[LD_MEDIA] && (rc = load_media(L, s.val[LD_MEDIA], sc)))
            return rc;
    }
    return 0;
}

int
bh_scenario_parse(const char *buf, size_t len, const char *name,
                  struct bh_scenario **out, struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    memset(diag, 0, sizeof *diag);
    if (!name)
        name = "<input>";
    snprintf(diag->file, sizeof diag->file, "%s", name);
    if (!out || (!buf && len))
        return BH_EINVAL;
    *out = NULL;
    if (len > BH_SC_MAX_FILE) {
        bh_diag_set(diag, 0, 0, "file larger than %d bytes (the limit)",
                    BH_SC_MAX_FILE);
        return BH_ETOOBIG;
    }
    struct sc_ld L;
    memset(&L, 0, sizeof L);
    L.diag = diag;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", name);
    if (strchr(tmp, '/'))
        snprintf(L.dir, sizeof L.dir, "%s", dirname(tmp));
    int rc = bh_sc_load_document(&L, buf ? buf : "", len);
    if (rc)
        return rc;
    yaml_node_t *root = yaml_document_get_root_node(&L.doc);
    if (!root) {
        bh_diag_set(diag, 1, 1,
                    "empty scenario: expected a mapping with name:, "
                    "switch: and traffic:");
        yaml_document_delete(&L.doc);
        return BH_EPARSE;
    }
    struct bh_scenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        yaml_document_delete(&L.doc);
        bh_diag_set(diag, 0, 0, "out of memory");
        return BH_ENOMEM;
    }
    snprintf(sc->path, sizeof sc->path, "%s", name);
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a 64 */
    for (size_t i = 0; buf && i < len; i++)
        h = (h ^ (unsigned char)buf[i]) * 0x100000001b3u;
    snprintf(sc->digest, sizeof sc->digest, "%016llx", (unsigned long long)h);
    L.sc = sc;
    rc = top(&L, root);
    yaml_document_delete(&L.doc);
    if (rc) {
        bh_scenario_free(sc);
        return rc;
    }
    *out = sc;
    return 0;
}

int
bh_scenario_load(const char *path, struct bh_scenario **out,
                 struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    memset(diag, 0, sizeof *diag);
    if (out)
        *out = NULL;
    if (!path || !out)
        return BH_EINVAL;
    snprintf(diag->file, sizeof diag->file, "%s", path);
    char *buf;
    size_t len;
    int rc = bh_sc_read_file(path, BH_SC_MAX_FILE, &buf, &len, diag);
    if (rc)
        return rc;
    rc = bh_scenario_parse(buf, len, path, out, diag);
    free(buf);
    return rc;
}
