/* traffic.h: the traffic model (who calls what, when, for how long, how
 * patient) and the call record that both clocks fill.
 *
 * The model is an event source that does not know which clock runs it: it
 * yields arrivals in time order and never reads a clock. sim/ runs it in
 * virtual time; the load driver runs the same arrivals at wall-clock time
 * t / speed. Both write struct bh_call_record, which reports/ rates and
 * summarises. */
#ifndef BH_TRAFFIC_H
#define BH_TRAFFIC_H

#include "bh.h"
#include "scenario.h"

#include <stdint.h>

/* What happened to one call attempt. The names are the CDR outcomes. */
enum bh_outcome {
    BH_OUTCOME_ANSWERED,  /* served (by an operator, a room, the number) */
    BH_OUTCOME_BLOCKED,   /* all lines / ports busy, or queue full: busy */
    BH_OUTCOME_ABANDONED, /* caller hung up while waiting */
    BH_OUTCOME_OVERFLOW,  /* waited max_wait, then busy */
    BH_OUTCOME_FAILED,    /* error (SIP failure, timeout) */
    BH_OUTCOME_UNANSWERED /* outbound: the called party did not answer */
};

const char *bh_outcome_name(enum bh_outcome o);
/* Parses an outcome name; returns 0 or BH_EINVAL. */
int bh_outcome_parse(const char *name, enum bh_outcome *out);

/* One call attempt, from arrival to end. Times are seconds since the
 * horizon start (virtual, or wall-clock times speed); a time that did not
 * happen is -1. */
struct bh_call_record {
    uint64_t id;          /* unique in a replication, in arrival order */
    uint32_t replication;
    uint16_t source;      /* index into scenario sources */
    uint8_t target_kind;  /* enum bh_target_kind */
    uint16_t target;      /* index into numbers or bridges */
    uint16_t caller_class; /* index into the source's classes */
    uint16_t origin;      /* tariff origin (rate class) */
    int16_t plan;         /* tariff plan, -1 none */
    uint8_t attempt;      /* 1 for a first attempt, 2.. for retrials */
    uint8_t outcome;      /* enum bh_outcome */
    uint8_t payer;        /* enum bh_payer */
    uint8_t outbound;     /* 1: the company called out (campaign, dial-out) */
    uint32_t subscriber;  /* who within the class, for bundle allowances */
    uint64_t meeting;     /* meeting id for conference participants, else 0 */
    double arrival;       /* INVITE reached the switch */
    double answer;        /* the switch answered (IVR, queue, announcement) */
    double connect;       /* an operator answered or the room was joined */
    double end;           /* hang-up, or rejection time */
    double wait;          /* s in the queue, 0 if connected at once */
    double talk;          /* s from connect to end */
    int32_t line;         /* line or bridge port taken, -1 none */
    int32_t agent;        /* operator index or room, -1 none */
    bh_money cost;        /* filled by rating, micro-units */
};

#endif
