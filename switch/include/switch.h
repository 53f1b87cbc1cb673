/* switch.h: the reference SIP switch (multichannel numbers, ACD queue, CDRs,
 * metrics) on libevent, and the pure-logic pieces it is built from.
 *
 * The switch is one opaque context (struct bh_switch) that owns every socket,
 * timer, call and the CDR store; nothing is global. The pieces below it (line
 * group, ACD queue, metrics) are exposed here so that they can be
 * tested without sockets: none of them reads a clock, the time `now` is
 * passed in (seconds, any epoch, monotonic). */
#ifndef BH_SWITCH_H
#define BH_SWITCH_H

#include "bh.h"
#include "scenario.h"
#include "records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounded sizes, each tested. */
#define BH_SWITCH_MAX_MSG 8192        /* bytes in a SIP message (else 513) */
#define BH_SWITCH_MAX_CALLS 65536     /* calls in progress (else 503) */
#define BH_SWITCH_MAX_QUEUE 100000    /* callers waiting in one queue */
#define BH_SWITCH_MAX_OPERATORS 10000 /* operators of one queue */
#define BH_SWITCH_MAX_LINES 1000000   /* lines of one number */
#define BH_SWITCH_MAX_TRANSACTIONS 1000000 /* server transactions kept */

/* ---- The switch ------------------------------------------------------- */

struct bh_switch_options {
    const char *listen;   /* "127.0.0.1:5060", "[::1]:5060"; NULL = that */
    const char *http;     /* "127.0.0.1:8080"; NULL = no HTTP endpoint */
    const char *cdr_path; /* SQLite file; NULL = no CDRs */
    int verbose;          /* 1: log each call's fate to stderr */
};

struct bh_switch;

/* Creates a switch for the scenario's switch section (borrowed: it must
 * outlive the switch), binds its sockets and opens the CDR store. On
 * failure returns a negative code and writes a message into err. */
int bh_switch_new(const struct bh_sc_switch *cfg,
                  const struct bh_switch_options *opt, struct bh_switch **out,
                  char *err, size_t errlen);
/* Runs the event loop until SIGINT or SIGTERM (or bh_switch_stop), then
 * ends active calls with BYE, flushes the CDRs and returns 0. */
int bh_switch_run(struct bh_switch *sw);
/* Asks a running loop to shut down cleanly (as on SIGTERM). */
void bh_switch_stop(struct bh_switch *sw);
/* The bound SIP port (useful when listen asked for port 0). */
int bh_switch_sip_port(const struct bh_switch *sw);
/* Frees the switch; NULL is harmless. */
void bh_switch_free(struct bh_switch *sw);

/* ---- Line group: N lines, first come first served -------------------- */

struct bh_switch_lines;

int bh_switch_lines_new(int n, struct bh_switch_lines **out);
void bh_switch_lines_free(struct bh_switch_lines *g);
/* Takes the lowest free line; returns its index, or BH_ERANGE when all are
 * busy (the caller then hears 486). O(1) amortised. */
int bh_switch_lines_seize(struct bh_switch_lines *g);
/* Frees line i; BH_ESTATE if it was not busy. */
int bh_switch_lines_release(struct bh_switch_lines *g, int i);
int bh_switch_lines_busy(const struct bh_switch_lines *g);
int bh_switch_lines_count(const struct bh_switch_lines *g);

/* ---- ACD queue: callers wait, the first free operator answers -------- */

enum bh_switch_op_state {
    BH_SWITCH_OP_FREE,
    BH_SWITCH_OP_RINGING, /* offered a caller, not yet answered */
    BH_SWITCH_OP_BUSY,    /* talking */
    BH_SWITCH_OP_WRAPUP,  /* after a call, until wrap_up has passed */
    BH_SWITCH_OP_RESTING  /* skipped after a ring timeout or refusal */
};

enum bh_switch_acd_kind {
    BH_SWITCH_ACD_RING,    /* ring operator `op` for caller `call` */
    BH_SWITCH_ACD_CANCEL,  /* stop ringing operator `op` for `call` */
    BH_SWITCH_ACD_OVERFLOW /* caller `call` waited max_wait: busy */
};

struct bh_switch_acd_action {
    enum bh_switch_acd_kind kind;
    uint64_t call;
    int op; /* -1 for OVERFLOW */
};

struct bh_switch_acd;

/* A queue for `operators` operators with the strategy, max_length,
 * max_wait, wrap_up and ring_timeout of q (copied). An operator skipped
 * after a ring timeout (or refusing the call) rests for ring_timeout
 * seconds before being offered calls again (1 s when ring_timeout is 0). */
int bh_switch_acd_new(const struct bh_sc_queue *q, int operators,
                      struct bh_switch_acd **out);
void bh_switch_acd_free(struct bh_switch_acd *a);
/* A caller joins the end of the queue at now. BH_ERANGE when max_length
 * callers already wait (the caller is blocked), BH_EINVAL for a duplicate
 * id. */
int bh_switch_acd_enqueue(struct bh_switch_acd *a, uint64_t call, double now);
/* The caller hung up while waiting (abandoned): it leaves the queue and
 * operators ringing for it become free. The switch cancels their legs.
 * BH_ENOENT if the caller is not waiting. O(queue length). */
int bh_switch_acd_leave(struct bh_switch_acd *a, uint64_t call);
/* Advances the queue to now: wrap-ups and rests that end, ring timeouts
 * (CANCEL, operator rested), max_wait (OVERFLOW, caller removed), then new
 * offers in arrival order by the strategy (RING). Writes at most max
 * actions and returns how many; call again while it returns max. */
size_t bh_switch_acd_poll(struct bh_switch_acd *a, double now,
                          struct bh_switch_acd_action *out, size_t max);
/* Operator op answered the caller it was ringing for: it is busy, the
 * caller leaves the queue, and other operators ringing for the same caller
 * (ring-all) are cancelled (written to out, at most max). Returns the
 * number of actions, or BH_ESTATE if op was not ringing. */
int bh_switch_acd_answered(struct bh_switch_acd *a, int op, double now,
                           struct bh_switch_acd_action *out, size_t max);
/* Operator op refused or failed the offer: rested, the caller waits on.
 * BH_ESTATE if op was not ringing. */
int bh_switch_acd_refused(struct bh_switch_acd *a, int op, double now);
/* The call operator op was talking on ended: wrap-up starts. */
int bh_switch_acd_hangup(struct bh_switch_acd *a, int op, double now);
/* Earliest time at which poll has something to do (INFINITY if none
 * without new input). Used to arm one timer per queue. */
double bh_switch_acd_deadline(const struct bh_switch_acd *a);
/* Observers. */
size_t bh_switch_acd_waiting(const struct bh_switch_acd *a);
int bh_switch_acd_free_operators(const struct bh_switch_acd *a);
enum bh_switch_op_state bh_switch_acd_op_state(const struct bh_switch_acd *a,
                                               int op);
/* The caller the operator rings for or talks to; 0 if none. */
uint64_t bh_switch_acd_op_call(const struct bh_switch_acd *a, int op);
long bh_switch_acd_op_calls(const struct bh_switch_acd *a, int op);
/* When the caller joined the queue; -1 if it is not waiting. */
double bh_switch_acd_since(const struct bh_switch_acd *a, uint64_t call);

/* ---- Metrics ----------------------------------------------------------- */

/* SIP methods counted separately; anything else is OTHER. */
enum bh_switch_method {
    BH_SWITCH_M_INVITE,
    BH_SWITCH_M_ACK,
    BH_SWITCH_M_BYE,
    BH_SWITCH_M_CANCEL,
    BH_SWITCH_M_OPTIONS,
    BH_SWITCH_M_REGISTER,
    BH_SWITCH_M_INFO,
    BH_SWITCH_M_UPDATE,
    BH_SWITCH_M_OTHER,
    BH_SWITCH_M_COUNT
};

#define BH_SWITCH_STATUS_SLOTS 700 /* status codes 0..699 */

struct bh_switch_metrics {
    uint64_t requests_in[BH_SWITCH_M_COUNT];
    uint64_t requests_out[BH_SWITCH_M_COUNT];
    uint64_t responses_in[BH_SWITCH_STATUS_SLOTS];
    uint64_t responses_out[BH_SWITCH_STATUS_SLOTS];
    uint64_t outcomes[BH_OUTCOME_COUNT];
    uint64_t parse_errors;
    uint64_t oversize;
    uint64_t retransmissions_in;  /* absorbed retransmitted requests */
    uint64_t retransmissions_out; /* timer-driven resends */
    uint64_t rtp_in, rtp_out;
    uint64_t calls_active;
    uint64_t overload_rejected; /* INVITEs refused (503) while overloaded */
};

/* A live view of one number for /metrics and /status. */
struct bh_switch_number_view {
    const char *name;
    const char *number;
    int lines, lines_busy;
    bool queue;
    size_t waiting;
    int operators, operators_free;
};

const char *bh_switch_method_name(enum bh_switch_method m);
enum bh_switch_method bh_switch_method_from(struct bh_str name);

/* Renders Prometheus text exposition (version 0.0.4) / a JSON status
 * object into buf (at most size bytes, NUL-terminated). Returns the length
 * it needed, like snprintf. */
size_t bh_switch_metrics_prometheus(const struct bh_switch_metrics *m,
                                    const struct bh_switch_number_view *nv,
                                    size_t nnumbers, char *buf, size_t size);
size_t bh_switch_metrics_json(const struct bh_switch_metrics *m,
                              const struct bh_switch_number_view *nv,
                              size_t nnumbers, double uptime, char *buf,
                              size_t size);

#endif
