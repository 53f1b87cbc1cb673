/* switch.h: the reference SIP switch (multichannel numbers, ACD queue, CDRs,
 * metrics) on libevent, and the pure-logic pieces it is built from.
 *
 * The switch is one opaque context (struct bh_switch) that owns every socket,
 * timer, call and the CDR store; nothing is global. The pieces below it (line
 * group, ACD queue, conference mixer, metrics) are exposed here so that they
 * can be tested (and measured: bench/mixer) without sockets: none of them
 * reads a clock, the time `now` is passed in (seconds, any epoch,
 * monotonic). */
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
/* Server transactions kept (each about 1 KB while it lives, 32 s for an
 * INVITE): 262,144 hold 8,000 call setups/s. */
#define BH_SWITCH_MAX_TRANSACTIONS 262144
/* s a stop waits for the answers to its BYEs (retransmitted per timer E,
 * RFC 3261 17.1.2.2) and for the CDR rows to be committed. */
#define BH_SWITCH_STOP_WAIT 4.0

/* ---- The switch ------------------------------------------------------- */

/* The switch runs in one of two ways:
 *
 * - embedded, on an event_base its owner runs (bh_switch_new): the load
 *   driver and `busyhour run` put the switch and a driver side by side on
 *   one loop; `busyhour switch` runs one on a loop of its own;
 * - in a thread of its own, with its own event_base
 *   (bh_switch_start_thread / bh_switch_stop_thread).
 *
 * Either way the library installs no signal handler and changes no
 * process-wide setting: whoever owns the process decides what SIGINT,
 * SIGTERM and SIGPIPE do (the HTTP endpoint writes to TCP sockets, so a
 * process with one should ignore SIGPIPE, as `busyhour switch` does). */

struct bh_switch;
struct event_base; /* libevent */

#define BH_SWITCH_LISTEN "127.0.0.1:5060" /* SIP address when none given */

struct bh_switch_options {
    /* "127.0.0.1:5060", "[::1]:5060" (port 0: any free one); the port is
     * required. NULL: BH_SWITCH_LISTEN. */
    const char *listen;
    const char *http;     /* "127.0.0.1:8080"; NULL = no HTTP endpoint */
    const char *cdr_path; /* SQLite file; NULL = no CDRs */
    /* Folder for recordings (bridges with `recording: true`); NULL: the
     * CDR file's folder, or the current one without a CDR file. */
    const char *recordings;
    /* RTP ports: "LO-HI", the even ports of that range (RTP's custom),
     * taken round robin; NULL: any free port the kernel gives. A call
     * that finds none free is refused (500). */
    const char *rtp_ports;
    /* The CDR store's retry and bound settings (records.h); NULL: its
     * defaults. Borrowed for bh_switch_new only. */
    const struct bh_cdr_options *cdr_options;
    /* Where the switch's records also go, in-process (an embedding
     * program such as `busyhour run` hands its collector): begin once the
     * switch runs, one record per call that ended (times in s since the
     * switch started, as in the CDR file), the level of lines and
     * operators of a number whenever a line is taken or given back, end
     * when a stop has finished. Called on the switch's loop; ops NULL:
     * none. */
    struct bh_record_sink sink;
    int verbose; /* 1: log each call's fate to stderr */
    /* Called once, on the switch's loop, when a stop asked for with
     * bh_switch_stop has finished (see there); NULL = nobody is told. An
     * embedding owner typically ends its loop here, or frees the switch
     * (allowed from inside the callback on an owner's loop, not on a
     * switch started with bh_switch_start_thread). */
    void (*on_stopped)(struct bh_switch *sw, void *arg);
    void *on_stopped_arg;
};

/* Creates a switch on base (borrowed: it must outlive the switch) for the
 * scenario's switch section (borrowed too), binds its sockets, opens the
 * CDR store and registers its events on base; it runs whenever its owner
 * runs the loop. On failure returns a negative code, says why in diag (may
 * be NULL; diag->file names the file at fault, the CDR file, or is "")
 * and leaves base as it was. BH_EPARSE: the CDR file is not ours (it is
 * left untouched). */
int bh_switch_new(const struct bh_sc_switch *cfg,
                  const struct bh_switch_options *opt, struct event_base *base,
                  struct bh_switch **out, struct bh_diag *diag);
/* Asks the switch to stop cleanly: new calls get 503, active calls are
 * ended with BYE (Reason: 503 shutting down) and their CDRs committed;
 * the BYEs are retransmitted until answered, for at most
 * BH_SWITCH_STOP_WAIT s; then the CDR store is closed (bh_switch_cdr_stats
 * says whether rows were lost) and opt->on_stopped is called. Safe from
 * any thread and from a signal handler (it only writes to an eventfd the
 * loop watches); the work itself happens on the switch's loop, at its
 * next turn. Asking again is harmless. */
void bh_switch_stop(struct bh_switch *sw);
/* 1 once a stop has finished (on_stopped was called), else 0. Read it on
 * the switch's loop. */
int bh_switch_stopped(const struct bh_switch *sw);
/* Creates a switch as bh_switch_new does, on an event_base of its own, and
 * runs it in a thread of its own. Returns once the sockets are bound and
 * the loop runs (the SIP port answers). The thread blocks every signal, so
 * that the process's handlers run in the owner's threads. */
int bh_switch_start_thread(const struct bh_sc_switch *cfg,
                           const struct bh_switch_options *opt,
                           struct bh_switch **out, struct bh_diag *diag);
/* Stops a switch started with bh_switch_start_thread cleanly (as
 * bh_switch_stop: BYE to calls up, CDRs flushed) and joins its thread.
 * Returns 0, BH_EIO if its loop failed, BH_ESTATE for a switch not started
 * in a thread (or already joined). Free it afterwards with
 * bh_switch_free. */
int bh_switch_stop_thread(struct bh_switch *sw);
/* The bound SIP port (useful when listen asked for port 0). */
int bh_switch_sip_port(const struct bh_switch *sw);
/* The CDR store's counters (records.h): rows written, pending, lost, the
 * failed writes; final once a stop has finished (the store is closed
 * then, and rows it could not write are counted lost). All zero without a
 * CDR file. Read it on the switch's loop, or after its thread joined. */
void bh_switch_cdr_stats(const struct bh_switch *sw, struct bh_cdr_stats *out);
/* Frees the switch and removes its events from the loop; NULL is harmless.
 * Calls still up get a BYE (sent once) and their CDRs; a switch still
 * running in its thread is stopped and joined first. Call it on the
 * switch's loop (or after its thread was joined), never while that loop
 * runs in another thread. */
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

/* ---- Conference mixer (mixer.c) ---------------------------------------
 * Rooms of participants; RTP audio in (jitter buffer, G.711 decode, loss
 * concealment), each listener the mix of the others (N-1), RTP audio out.
 * Pure logic like the ACD queue: the switch pushes each received RTP
 * packet (bh_mixer_put) with its arrival time, calls bh_mixer_tick once
 * per 20 ms frame with the frame's scheduled time, and sends the packets
 * the tick returns; a recorded room's mix comes back from the same tick.
 *
 * The mix. Per frame, each participant's next frame is pulled from its
 * jitter buffer (proto's bh_jitter), concealed when lost (the last frame
 * repeated, fading out over three frames), and judged talking or silent
 * by its energy (mean |sample| against `silence`, with `hangover` frames
 * of grace after the last loud one). Muted and silent participants do not
 * contribute. The talkers mixed are all of them, or in a room of more than
 * talkers + 1 participants only the `talkers` loudest. Their frames are
 * summed in 32 bits; a mixed talker hears that sum minus its own frame,
 * clipped to 16 bits once at the end -- never the clipped sum minus its
 * own frame, which leaks a loud talker's voice back to it. Everyone else
 * hears the whole sum, clipped, encoded once per codec and shared.
 *
 * Costs: a tick is O(participants) plus O(talkers mixed) encodes plus one
 * encode per codec; silent frames are judged from their G.711 codes
 * without decoding them.
 *
 * Memory: the mixer owns its rooms and participants; the handles it gives
 * out are valid until bh_mixer_room_free / bh_mixer_leave /
 * bh_mixer_free. `user` pointers are borrowed and only handed back. */

#define BH_MIXER_RATE 8000   /* samples per second (G.711) */
#define BH_MIXER_FRAME 160   /* samples in a 20 ms frame, the tick */
#define BH_MIXER_PTIME 0.020 /* s per frame */
#define BH_MIXER_PLAY_MAX                                                      \
    8000 /* samples queued to play (1 s), per room and                         \
            per participant */
#define BH_MIXER_MAX_TALKERS BH_SC_MAX_TALKERS /* option `talkers` */
#define BH_MIXER_HEADER 12 /* bytes of RTP fixed header (RFC 3550 5.1) */

struct bh_mixer_options {
    int talkers;    /* 1..BH_MIXER_MAX_TALKERS; default 3 */
    int silence;    /* mean |sample| (16-bit linear) below which a frame
                       is silent; default 64 (about -54 dBov) */
    int hangover;   /* frames a talker stays talking after its last loud
                       frame; default 10 (200 ms) */
    int jitter_min; /* jitter buffer delay bounds in frames (proto's
                       bh_jitter_init: 1 <= min <= max <= 32); default 2
                       and 10 */
    int jitter_max;
};

/* Fills the defaults above. */
void bh_mixer_options_default(struct bh_mixer_options *o);

struct bh_mixer;
struct bh_mixer_room;
struct bh_mixer_part;

/* A mixer with options o (copied; NULL for the defaults). BH_EINVAL for
 * options out of range, BH_ENOMEM. */
int bh_mixer_new(const struct bh_mixer_options *o, struct bh_mixer **out);
/* Frees the mixer with all its rooms and participants; NULL is harmless. */
void bh_mixer_free(struct bh_mixer *m);

/* A new, empty room. With `record`, each tick returns the room's mix (what
 * a listener who is not talking hears). */
int bh_mixer_room_new(struct bh_mixer *m, void *user, bool record,
                      struct bh_mixer_room **out);
/* Frees an empty room; BH_ESTATE while participants remain (they leave
 * first). NULL is harmless. */
int bh_mixer_room_free(struct bh_mixer_room *r);
size_t bh_mixer_room_size(const struct bh_mixer_room *r);

/* How a participant is heard: its codec and its outgoing RTP stream. The
 * SSRC, first sequence number and first timestamp are random values the
 * caller draws (RFC 3550 5.1: they start at random). */
struct bh_mixer_join {
    void *user; /* borrowed; handed back with each of its packets */
    uint8_t pt; /* BH_RTP_PT_PCMU or BH_RTP_PT_PCMA */
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
};

/* Adds a participant to room r. BH_EINVAL for another codec, BH_ENOMEM.
 * About 33 KB each (the jitter buffer). The switch bounds participants by
 * its bridges' ports. */
int bh_mixer_join(struct bh_mixer_room *r, const struct bh_mixer_join *j,
                  struct bh_mixer_part **out);
/* Removes and frees the participant; NULL is harmless. */
void bh_mixer_leave(struct bh_mixer_part *p);

/* One received RTP packet (len bytes at pkt, copied) arriving at `now`
 * (s, the clock of the ticks). Returns 0 when stored, 1 when discarded as
 * late or duplicate (counted), BH_EPARSE when it is no RTP packet,
 * BH_EINVAL when it is not a 20 ms G.711 frame (PCMU or PCMA,
 * BH_MIXER_FRAME bytes): the caller then looks for RFC 4733 events. */
int bh_mixer_put(struct bh_mixer_part *p, const uint8_t *pkt, size_t len,
                 double now);

/* A muted participant is heard by nobody; it still hears the room. */
void bh_mixer_mute(struct bh_mixer_part *p, bool muted);
bool bh_mixer_muted(const struct bh_mixer_part *p);
/* Whether its last frame was judged talking (not muted, loud enough or in
 * its hangover) and whether it was among the talkers mixed. */
bool bh_mixer_talking(const struct bh_mixer_part *p);
bool bh_mixer_mixed(const struct bh_mixer_part *p);

/* A participant's incoming stream, from its jitter buffer. */
struct bh_mixer_part_stats {
    uint64_t received;  /* packets stored */
    uint64_t played;    /* frames played */
    uint64_t lost;      /* frames missing when due */
    uint64_t late;      /* packets that came after their frame was due */
    uint64_t duplicate; /* packets received twice */
    uint64_t reordered; /* packets that came before an earlier one */
};
void bh_mixer_part_stats(const struct bh_mixer_part *p,
                         struct bh_mixer_part_stats *st);

/* Queues n samples (16-bit linear, 8 kHz) to be added to what the whole
 * room hears, from the next tick on (join and leave tones), or to what one
 * participant hears (music on hold, a beep). Returns 0, or BH_ETOOBIG
 * when more than BH_MIXER_PLAY_MAX samples would be waiting (nothing is
 * queued then). */
int bh_mixer_play_room(struct bh_mixer_room *r, const int16_t *pcm, size_t n);
int bh_mixer_play(struct bh_mixer_part *p, const int16_t *pcm, size_t n);
/* Samples still queued. */
size_t bh_mixer_play_room_pending(const struct bh_mixer_room *r);
size_t bh_mixer_play_pending(const struct bh_mixer_part *p);

/* What one tick emits. Packets: one per participant, its RTP header built
 * (version 2, marker on the first packet of the stream, the listener's codec,
 * sequence number, timestamp and SSRC) and its payload a view into mixer memory
 * shared between listeners who hear the same encoded mix. Records: one per
 * recorded room, BH_MIXER_FRAME samples of its mix. Everything is valid until
 * the next tick, join, leave or free. */
struct bh_mixer_packet {
    void *user;
    uint8_t head[BH_MIXER_HEADER];
    const uint8_t *payload;
    size_t len;
};

struct bh_mixer_record {
    void *user;
    const int16_t *pcm;
};

struct bh_mixer_output {
    const struct bh_mixer_packet *packets;
    size_t npackets;
    const struct bh_mixer_record *records;
    size_t nrecords;
};

/* Mixes one frame for every room. `now` is the frame's scheduled time (s,
 * the same clock as bh_mixer_put): outgoing timestamps follow it, 160 per
 * 20 ms, so that a frame the scheduler skipped shows as a timestamp gap
 * with consecutive sequence numbers (RFC 3550 5.1). Returns 0 or
 * BH_ENOMEM. */
int bh_mixer_tick(struct bh_mixer *m, double now, struct bh_mixer_output *out);

struct bh_mixer_stats {
    uint64_t ticks;
    uint64_t skipped;   /* frames between ticks more than 20 ms apart */
    uint64_t frames;    /* frames pulled from jitter buffers */
    uint64_t concealed; /* lost frames concealed */
    uint64_t silent;    /* frames judged silent (not decoded) */
    uint64_t mixed;     /* talker frames summed into a mix */
    uint64_t encodes;   /* frames encoded (own and shared) */
    uint64_t shared;    /* packets that reused a shared encoding */
    uint64_t packets;   /* packets emitted */
};

void bh_mixer_stats(const struct bh_mixer *m, struct bh_mixer_stats *st);
size_t bh_mixer_participants(const struct bh_mixer *m);

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

/* Why a call ended: the CDR's `reason` column and
 * bh_switch_calls_ended_total{reason}. A service that ends a call itself
 * writes a reason of its own in the CDR ("max-wait", "operator-hangup"
 * ...) and counts as "service" here. New reasons go at the end. */
#define BH_SWITCH_END_MAP(X)                                                   \
    X(SERVICE, "service")                 /* the service ended it */           \
    X(BYE, "bye")                         /* the caller hung up */             \
    X(NO_ACK, "no-ack")                   /* our 2xx was never ACKed */        \
    X(SHUTDOWN, "shutdown")               /* the switch stopped */             \
    X(RTP_TIMEOUT, "rtp-timeout")         /* no RTP from the caller */         \
    X(SESSION_EXPIRED, "session-expired") /* RFC 4028: no refresh */           \
    X(MAX_DURATION, "max-duration")       /* the call reached max_call */

#define BH_SWITCH_END_ENUM_(name, str) BH_SWITCH_END_##name,
enum bh_switch_end {
    BH_SWITCH_END_MAP(BH_SWITCH_END_ENUM_) BH_SWITCH_END_COUNT
};
#undef BH_SWITCH_END_ENUM_

/* The reason's name ("rtp-timeout"); "unknown" out of range. */
const char *bh_switch_end_name(enum bh_switch_end e);

/* Why the office PBX refused an outside call 403 (the toll-fraud guard),
 * for /metrics: the caller is no account, its credentials are wrong, the
 * number's prefix is not allowed, the account has its simultaneous
 * outgoing calls, or its calls of the last hour. */
#define BH_SWITCH_FRAUD_MAP(X)                                                 \
    X(UNAUTHENTICATED, "unauthenticated")                                      \
    X(AUTH_FAILED, "auth-failed")                                              \
    X(PREFIX, "prefix")                                                        \
    X(ACCOUNT_CALLS, "account-calls")                                          \
    X(ACCOUNT_RATE, "account-rate")
#define BH_SWITCH_FRAUD_ENUM_(id, name) BH_SWITCH_FRAUD_##id,
enum bh_switch_fraud {
    BH_SWITCH_FRAUD_MAP(BH_SWITCH_FRAUD_ENUM_) BH_SWITCH_FRAUD_COUNT
};
#undef BH_SWITCH_FRAUD_ENUM_
const char *bh_switch_fraud_name(enum bh_switch_fraud f);

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
    uint64_t ended[BH_SWITCH_END_COUNT]; /* calls ended, by reason */
    uint64_t session_refreshes;          /* RFC 4028 refreshes, both ways */
    /* The CDR store (bh_cdr_stats), copied in when rendered. */
    uint64_t cdr_written, cdr_pending, cdr_lost, cdr_retries, cdr_busy,
        cdr_full;
    uint64_t cdr_held; /* answers and BYEs waiting for a CDR commit */
    /* Conference bridges and the mixer, copied in when rendered (but
     * bridge_locked_out, counted as it happens). */
    uint64_t bridge_locked_out; /* INVITEs refused 403: address locked out */
    uint64_t bridge_lockouts;   /* addresses locked out */
    uint64_t bridge_wrong;      /* wrong passcodes */
    uint64_t bridge_joined;     /* participants who joined a room */
    uint64_t bridge_ports_busy; /* ports held now */
    uint64_t mixer_ticks, mixer_late_ticks;   /* 20 ms ticks run; frames
                                                 whose tick ran late */
    uint64_t mixer_rooms, mixer_participants; /* now */
    /* The office PBX (pbx.c), counted as it happens. */
    uint64_t pbx_forwards;      /* forwards followed */
    uint64_t pbx_forward_loops; /* calls refused 483: forwarded too deep */
    uint64_t pbx_trunk_calls;   /* outside calls placed on the trunk */
    uint64_t pbx_trunk_full;    /* refused 503: every trunk line taken */
    uint64_t pbx_trunk_busy;    /* trunk lines held now */
    uint64_t pbx_fraud[BH_SWITCH_FRAUD_COUNT]; /* 403s by reason */
    uint64_t recording_errors; /* recordings that could not be made */
    /* Limits (switch.limits, limits.c). */
    uint64_t limit_dropped;  /* requests of a blocked source, ignored */
    uint64_t limit_blocks;   /* times a source went over source_rate */
    uint64_t limit_blocked;  /* sources blocked now */
    uint64_t filter_sources; /* blocked sources the kernel drops now */
    uint64_t filter_builds;  /* times the socket filter was rebuilt */
    uint64_t stateless;      /* requests answered without transaction state */
    uint64_t auth_failures;  /* wrong password, unknown user, replay */
    uint64_t auth_replays;   /* of which a nonce count seen before */
    uint64_t auth_refused;   /* attempts refused while blocked */
    uint64_t auth_blocks;    /* times a source or account was blocked */
    uint64_t shed;           /* new calls refused (503) over max_cps */
    uint64_t shed_stale;     /* new calls refused (503): waited too long in the
                                socket buffer (a backlog) */
    uint64_t http_refused;   /* HTTP connections closed at accept */
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
