/* pbx.h: the office PBX service (pbx.c): extensions tied to accounts,
 * forwarding, the trunk to a SIP gateway and its toll-fraud guard; and the
 * connected call as the office keeps it (struct sw_pbx_talk: relayed or
 * recorded, the ad-hoc conference by '#'), which number.c's operator
 * calls use too. */
#ifndef BH_SWITCH_PBX_H
#define BH_SWITCH_PBX_H

#include "call.h"
#include "conf.h"

/* Forwards one call may follow; one more is a loop (483). */
#define SW_PBX_FORWARD_DEPTH 5
/* Phones of one extension rung at once (its live registrations). */
#define SW_PBX_MAX_PHONES 8
/* Parties one ad-hoc conference may add, and where their slots start. */
#define SW_PBX_MAX_PARTIES 8
#define SW_PBX_ADHOC_SLOT (1 << 24)

extern const struct sw_service_ops sw_pbx_service;

/* A party the employee dialled into an ad-hoc conference: its own leg
 * (slot SW_PBX_ADHOC_SLOT + index), its own CDR row. */
struct sw_pbx_party {
    uint64_t id; /* its CDR row */
    char number[BH_SC_MAX_NUMBER];
    int ext;                         /* extension index, -1: outside */
    int line;                        /* trunk line, -1 */
    double dialled, answered, ended; /* -1 until then */
    struct sw_conf_part *part;
    int done; /* its row written */
};

/* A call of two legs once the callee answered (the caller, and the leg in
 * slot `callee`), embedded in a service's call: relayed, or recorded (both
 * legs in a room of two whose mix is a WAV file); and the ad-hoc
 * conference by '#' (seed 004) started by the employee's '#'. */
struct sw_pbx_talk {
    int on;                        /* connected */
    int callee;                    /* the answered leg's slot */
    int caller_may_start;          /* the caller may be the employee too */
    char employee[BH_SC_MAX_NAME]; /* the callee as an employee (rows) */
    struct sw_conf_room *room;
    struct sw_conf_part *parts[2];   /* caller, callee */
    char recording[BH_CDR_PATH_MAX]; /* the file, "error: why", or "" */
    enum { SW_AD_NONE, SW_AD_DIGITS, SW_AD_CONSULT, SW_AD_CONF } adhoc;
    int emp_is_caller; /* the employee (who pressed '#') */
    int caller_gone;   /* that employee, the caller, hung up */
    char dial[BH_SC_MAX_NUMBER];
    size_t ndial;
    int nparties;
    struct sw_pbx_party parties[SW_PBX_MAX_PARTIES];
};

/* The callee answered: the two legs relayed, or with `record` mixed into
 * a room of two recorded to DIR/<tag>-<run start>-<n>.wav (listed at
 * /recordings as room `kind/number`, with the caller and `number`). A recording
 * that cannot be made leaves the call relayed: said on stderr, counted, and
 * t->recording says "error: ...". Digits are then collected on both legs. */
void sw_pbx_talk_connect(struct sw_pbx_talk *t, struct call *c,
                         struct leg *callee, int record, const char *tag,
                         const char *kind, const char *number);
/* What the service's callbacks hand over while t->on. The *_answered and
 * *_failed calls return 1 when the slot was a party of the conference
 * (handled), else 0. sw_pbx_talk_ended returns 0 (the call goes on), 1
 * (the callee hung up a call of two) or 2 (the conference is over: the
 * customer left, or every employee has). sw_pbx_talk_end writes the
 * parties' rows and frees the room, before the call's own row. */
void sw_pbx_talk_digit(struct sw_pbx_talk *t, struct call *c, struct leg *leg,
                       char digit);
int sw_pbx_talk_answered(struct sw_pbx_talk *t, struct call *c, struct leg *leg,
                         int usable);
int sw_pbx_talk_failed(struct sw_pbx_talk *t, struct call *c, int slot);
void sw_pbx_talk_leaving(struct sw_pbx_talk *t, struct call *c,
                         struct leg *leg);
int sw_pbx_talk_ended(struct sw_pbx_talk *t, struct call *c, int slot);
void sw_pbx_talk_end(struct sw_pbx_talk *t, struct call *c);
/* The caller hung up: 1 when the conference goes on without it (the
 * caller was the employee, and the customer and another employee
 * remain), else 0 (the call ends). */
int sw_pbx_talk_caller_left(struct sw_pbx_talk *t, struct call *c);

#endif
