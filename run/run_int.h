/* run_int.h: private to run/: the system under test (sut.c) and the
 * call-by-call join (join.c). */
#ifndef BH_RUN_INT_H
#define BH_RUN_INT_H

#include "driver.h"
#include "records.h"
#include "reports.h"
#include "scenario.h"
#include "switch.h"

#include <sys/types.h>

/* ---- The system under test (sut.c) ----------------------------------- */

/* The switch section as the switch must see it at a speed: the times
 * the scenario gives in its own seconds and the simulator models (the
 * queue's max_wait, wrap_up, ring_timeout, the IVR's menu_time) and the
 * other durations of a call (an extension's no_answer, timers.max_call),
 * divided by the speed, as the driver divides holding times and
 * patience. Protocol and media timers (rtp_timeout, session_expires,
 * min_se), the passcode lockout and the request limits stay wall
 * seconds: they are about real packets. */
struct run_switch_cfg {
    struct bh_sc_switch sw;             /* arrays below; others borrowed */
    struct bh_sc_number *numbers;       /* owned copy */
    struct bh_sc_extension *extensions; /* owned copy */
};

/* out gets in at speed (> 0); in must outlive out. 0 or BH_ENOMEM. */
int run_sut_scale(const struct bh_sc_switch *in, double speed,
                  struct run_switch_cfg *out);
/* Frees what out owns; harmless on a zeroed or freed one. */
void run_sut_scale_free(struct run_switch_cfg *out);

struct run_sut {
    struct bh_switch *sw;      /* ours, in its thread; NULL with a target */
    struct run_switch_cfg cfg; /* what sw runs (it borrows it) */
    int operators_port;        /* the contacts given to queues without any,
                                  where the driver answers as the operators */
    int extension_queues;      /* queues whose extensions were replaced so */
    char target[64];           /* "127.0.0.1:PORT" the driver loads */
    int pinned;                /* 1: switch and driver on different cores */
};

/* Gives every queue of sc that names no operator contacts (or names
 * extensions, whose phones the run does not have) one contact per
 * operator on a free loopback port (sip:opN@127.0.0.1:PORT), where
 * the driver answers as the operators, then starts the switch at speed
 * (run_sut_scale) in its thread with its CDRs in cdr_path, pinned away
 * from the calling thread. 0, or BH_EIO with diag. */
int run_sut_start(struct run_sut *s, struct bh_scenario *sc, double speed,
                  const char *cdr_path, struct bh_diag *diag);
/* 0 when target is "IP:PORT" or "[IPv6]:PORT", else BH_EINVAL. */
int run_sut_check_target(const char *target);
/* Waits until a switch at target answers OPTIONS (at most wait s): 0 or
 * BH_EIO with diag. */
int run_sut_ping(const char *target, double wait, struct bh_diag *diag);
/* Stops the switch cleanly (BYE to calls up, CDRs committed) and the
 * operators; *lost gets the CDR rows the switch could not write. 0, or
 * BH_EIO when the switch's loop failed. Harmless twice. */
int run_sut_stop(struct run_sut *s, uint64_t *lost);

/* ---- The call-by-call join (join.c) ----------------------------------- */

/* One call as the driver saw it. */
struct run_call {
    struct bh_call_record rec;
    char call_id[BH_DRIVER_CALL_ID_MAX];
    int status;
    enum bh_driver_fail fail;
    double late; /* wall s */
};

struct run_calls {
    size_t n, cap;
    struct run_call *v; /* owned */
};

int run_calls_add(struct run_calls *c, const struct bh_driver_call *dc);
void run_calls_free(struct run_calls *c);

/* Joins calls with the CDR file's rows by Call-ID, writes records.csv
 * (path) and fills the call-by-call counts, the peaks of n. speed turns
 * the CDRs' wall seconds into scenario seconds. Each call in both goes
 * to cdr_sink (may be empty) as the CDR bills it: the record's caller
 * with the CDR's outcome and times (n->cdrs_rated counts them). cdr_path
 * NULL: no CDRs (a switch not ours). 0, or BH_EIO with diag. */
int run_join(const struct run_calls *calls, const char *cdr_path,
             const struct bh_scenario *sc, double speed, const char *path,
             struct bh_record_sink cdr_sink, struct bh_run_numbers *n,
             struct bh_diag *diag);

#endif
