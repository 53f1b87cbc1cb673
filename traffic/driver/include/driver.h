/* driver.h: the load driver: the traffic model's arrivals as real SIP/RTP
 * calls against a SIP switch, measured at the edge.
 *
 * The traffic model (traffic.h) yields arrivals at scenario time t; the
 * driver starts each as a call at wall-clock time t / speed after the run
 * starts (open loop: whatever the target does), and divides holding
 * times, patience and menu times by speed too, so offered Erlangs and
 * concurrency stay real. Each start's lateness is measured; a driver that
 * cannot keep up says so (bh_driver_stats.late), it never thins the load.
 *
 * Every call ends as a struct bh_call_record (records.h) given to the
 * record sink of the options (reports/'s collector is one), times in
 * scenario seconds (wall seconds since the start times speed), and as a
 * struct bh_driver_call with what only a real call has (SIP status, setup
 * times, RTP loss, jitter, MOS) given to on_call.
 *
 * Two halves: the scheduler (sched.c) is pure logic with time passed in
 * (unit-tested without sockets); the driver (driver.c and its files) runs
 * it on a libevent loop of its own, with UDP sockets. One thread; nothing
 * here installs signal handlers. */
#ifndef BH_DRIVER_H
#define BH_DRIVER_H

#include "bh.h"
#include "records.h"
#include "scenario.h"
#include "traffic.h"

#include <stddef.h>
#include <stdint.h>

/* ---- The scheduler (sched.c): arrivals at wall time t / speed ---------
 * Wraps one traffic model (replication 0 of the seed, the simulator's
 * first replication) and a filter. Times passed in are wall seconds since
 * the run started. */

/* Keeps (1) or skips (0) arrival a: a segment I/N of the arrival stream
 * is such a filter. Skipped arrivals are not started; the model is told
 * nothing of them. */
typedef int (*bh_driver_filter_fn)(void *arg, const struct bh_arrival *a);

struct bh_driver_sched;

/* A scheduler over sc (borrowed) with seed, running arrivals before
 * `span` s of scenario time (at most the horizon) at `speed` (> 0).
 * filter may be NULL (every arrival). Returns 0, BH_EINVAL, BH_ENOMEM. */
int bh_driver_sched_new(const struct bh_scenario *sc, uint64_t seed,
                        double speed, double span, bh_driver_filter_fn filter,
                        void *filter_arg, struct bh_driver_sched **out);
void bh_driver_sched_free(struct bh_driver_sched *s);
/* Restricts s to segment `index` (1-based) of `count` of the arrival
 * stream (bh_traffic_segment: disjoint, deterministic, together the
 * whole stream); before the first due or take. 0 or BH_EINVAL. */
int bh_driver_sched_segment(struct bh_driver_sched *s, uint32_t index,
                            uint32_t count);
/* Wall time (s since the start) the next arrival is due; INFINITY when
 * there is none left. */
double bh_driver_sched_due(struct bh_driver_sched *s);
/* Takes the next arrival if it is due at wall time `now`: 1 and *a
 * filled, *late the s it starts after its due time (>= 0); 0 when none is
 * due. Skipped arrivals are passed over here. */
int bh_driver_sched_take(struct bh_driver_sched *s, double now,
                         struct bh_arrival *a, double *late);
/* How a's attempt ended at wall time `now` (retrials, finite sources:
 * bh_traffic_finish at scenario time now * speed, never before a->t).
 * Returns 1 when a retrial was scheduled. */
int bh_driver_sched_finish(struct bh_driver_sched *s,
                           const struct bh_arrival *a, enum bh_outcome o,
                           double now);
/* Scenario seconds of wall time `now`. */
double bh_driver_sched_scenario_time(const struct bh_driver_sched *s,
                                     double now);

/* ---- The E-model (emodel.c, ITU-T G.107) -------------------------------
 * A MOS estimate for one direction of a G.711 call from its packet loss
 * (share 0..1, random), mean one-way delay (ms) and jitter (ms, the RFC
 * 3550 estimate; counted as a jitter buffer of twice that much delay).
 * Ie = 0 and Bpl = 4.3 (G.113 Appendix I, G.711 without concealment)
 * unless plc: Bpl = 25.1 (with packet loss concealment). */
double bh_emodel_r(double loss, double delay_ms, double jitter_ms, int plc);
/* R to MOS (G.107 Annex B): 1 for R < 0, 4.5 for R > 100. */
double bh_emodel_mos(double r);

/* ---- The driver -------------------------------------------------------- */

/* Why a call failed, at the edge. */
#define BH_DRIVER_FAIL_MAP(X)                                                  \
    X(NONE, "")                                                                \
    X(TIMEOUT, "timeout")              /* no final answer in 64*T1 */          \
    X(UNREACHABLE, "icmp-unreachable") /* ICMP port/host unreachable */        \
    X(STATUS_4XX, "4xx")               /* 4xx other than busy */               \
    X(STATUS_5XX, "5xx")               /* 5xx (503 overload ...) */            \
    X(STATUS_6XX, "6xx")               /* 6xx other than busy */               \
    X(BAD_ANSWER, "bad-answer")        /* unusable 2xx (no SDP ...) */         \
    X(REMOTE_BYE, "remote-bye")        /* the target hung up early */          \
    X(TARGET_DOWN, "target-down")      /* the run stopped: no target */        \
    X(LOCAL, "local")                  /* our own resources ran out */         \
    X(NOT_DRIVEN, "not-driven")        /* an arrival the driver cannot         \
                                          place (a campaign without a trunk    \
                                          or an account to dial out with) */

#define BH_DRIVER_FAIL_ENUM_(name, str) BH_DRIVER_FAIL_##name,
enum bh_driver_fail { BH_DRIVER_FAIL_MAP(BH_DRIVER_FAIL_ENUM_) };
#undef BH_DRIVER_FAIL_ENUM_
#define BH_DRIVER_FAIL_COUNT (BH_DRIVER_FAIL_NOT_DRIVEN + 1)
/* "timeout", ...; "" for NONE, "unknown" out of range. */
const char *bh_driver_fail_name(enum bh_driver_fail f);

#define BH_DRIVER_CALL_ID_MAX 64

/* One finished call as the edge saw it (times in wall seconds). */
struct bh_driver_call {
    struct bh_call_record rec;        /* as given to the sink */
    const struct bh_arrival *arrival; /* borrowed for the callback */
    char call_id[BH_DRIVER_CALL_ID_MAX];
    int status;               /* final SIP status of the INVITE, 0 none */
    enum bh_driver_fail fail; /* NONE unless rec.outcome is failed */
    double late;              /* s the INVITE went out after its due time */
    double t100, t180, t200;  /* s from INVITE to 100, 18x, 2xx; -1 none */
    uint32_t rtp_sent, rtp_received;
    int32_t rtp_lost; /* RFC 3550 A.3 of the received stream */
    double jitter_ms; /* RFC 3550 A.8 of the received stream */
    double mos_in;    /* E-model of what we received; NaN none */
    double mos_out;   /* of what we sent, as the far end (our
                         operator) measured it; NaN unknown */
};

/* Per-packet hook for captures: dir 0 sent, 1 received; the addresses
 * are sockaddr_in/_in6 (from/to), t wall s since the start. */
struct sockaddr;
typedef void (*bh_driver_packet_fn)(void *arg, int dir,
                                    const struct sockaddr *from,
                                    const struct sockaddr *to, const void *buf,
                                    size_t len, double t);

struct bh_driver_stats {
    uint64_t started;  /* calls whose INVITE went out */
    uint64_t finished; /* records written */
    uint64_t up;       /* calls in progress now */
    uint64_t late;     /* starts more than late_limit after due */
    double late_max;   /* s, wall */
    double late_sum;   /* s, wall: mean = late_sum / started */
    uint64_t outcomes[BH_OUTCOME_COUNT];
    uint64_t failed[BH_DRIVER_FAIL_COUNT];
    uint64_t rtp_sent, rtp_received, rtp_lost;
    uint64_t sip_sent, sip_received, retransmissions;
    int aborted; /* the run stopped because the target was gone */
    /* why campaign attempts are not driven ("" when they are) */
    char not_driven_why[120];
    uint64_t carrier_calls; /* INVITEs our carrier took */
};

struct bh_driver;

struct bh_driver_options {
    const char *target;         /* "IP:PORT" or "[IPv6]:PORT", required */
    const char *local_ip;       /* our address; NULL: 127.0.0.1 or ::1 */
    uint64_t seed;              /* the traffic model's seed */
    double speed;               /* > 0; 0: the scenario's load.speed */
    double span;                /* scenario s of arrivals; 0: the horizon */
    double late_limit;          /* wall s after which a start is late; 0:
                                   0.010 */
    double dead_after;          /* wall s without any answer from the target
                                   while requests wait: the run stops; 0: 5 */
    int no_operators;           /* 1: the queues' operators are not ours;
                                   0: the driver answers as them (static
                                   contacts listened on, accounts
                                   registered before the first call) */
    int answer_at_once;         /* 1: our operators answer (200) right
                                   after their 180, as the simulator's
                                   operators answer the moment they are
                                   offered a call (busyhour run); 0: they
                                   ring DRV_OP_RING (50 ms wall) first;
                                   the carrier rings as its model says */
    int no_carrier;             /* 1: switch.trunk's gateway is not ours;
                                   0: the driver answers there as the
                                   carrier (carrier lines in operator.c) */
    struct bh_record_sink sink; /* where records go (may be empty) */
    void (*on_call)(void *arg, const struct bh_driver_call *c);
    void *call_arg;
    bh_driver_filter_fn filter; /* a filter; NULL: every arrival */
    void *filter_arg;
    /* segment index (1-based) of count of the arrival stream
     * (bh_driver_sched_segment); count 0: the whole stream */
    uint32_t segment_index, segment_count;
    bh_driver_packet_fn on_packet; /* captures; NULL: none */
    void *packet_arg;
    /* Called about once a wall second, and at the end, with the stats,
     * the wall s since the start and the wall s arrivals last; d may be
     * stopped from here (bh_driver_stop). */
    void (*progress)(void *arg, struct bh_driver *d,
                     const struct bh_driver_stats *st, double now,
                     double total);
    void *progress_arg;
};

/* ---- Captures (pcap.c) ------------------------------------------------
 * busyhour load --pcap FILE: the datagrams the driver sent and received,
 * each framed in the Ethernet, IPv4/IPv6 and UDP headers it had on the
 * wire (checksums computed; MACs made up), written with libpcap in the
 * classic pcap format (Ethernet link type, microsecond timestamps), so
 * tshark, Wireshark and sngrep open it. */
struct bh_pcap;

/* Creates (truncates) path. rtp: 0 keeps SIP only, 1 RTP and RTCP too;
 * epoch: the Unix time (s) of the driver's t = 0, so packets carry wall
 * clock times. Returns 0 and *out (owned: bh_pcap_close), BH_EINVAL (no
 * path), BH_ENOMEM, or BH_EIO with the reason in diag. */
int bh_pcap_open(const char *path, int rtp, double epoch, struct bh_pcap **out,
                 struct bh_diag *diag);
/* A bh_driver_packet_fn (arg: the struct bh_pcap): writes one datagram.
 * Datagrams between address families, or longer than UDP allows, are
 * left out. */
void bh_pcap_packet(void *arg, int dir, const struct sockaddr *from,
                    const struct sockaddr *to, const void *buf, size_t len,
                    double t);
/* Packets written so far. */
uint64_t bh_pcap_count(const struct bh_pcap *p);
/* Flushes and closes: 0, or BH_EIO when a write failed (a full disk).
 * NULL is harmless. */
int bh_pcap_close(struct bh_pcap *p);

/* ---- A capture's audio (pcap.c; media: pcap:FILE) ------------------
 * Reads a capture with libpcap (Ethernet, Linux cooked v1/v2, BSD
 * loopback or raw IP; IPv4 or IPv6; UDP) and keeps the payload of the
 * first RTP stream of PCMU or PCMA it finds (that SSRC and payload type,
 * in capture order), as captured and decoded to 8 kHz linear samples,
 * so that the driver replays it in whichever law the call agreed (byte
 * for byte when it is the capture's). What SIPp's play_pcap_audio sends, as
 * audio. */
#define BH_PCAP_AUDIO_MAX (8000 * 600)         /* samples: 10 minutes */
#define BH_PCAP_AUDIO_MAX_FRAMES (1000 * 1000) /* frames read at most */
struct bh_pcap_audio {
    int16_t *pcm;  /* owned: n samples */
    uint8_t *code; /* owned: the n payload octets as captured */
    size_t n;
    uint8_t pt;       /* the capture's law: 0 PCMU, 8 PCMA */
    uint32_t ssrc;    /* the stream kept */
    uint64_t packets; /* RTP packets kept */
};
/* 0 and *out filled (free with bh_pcap_audio_free), BH_EIO (cannot read
 * the file), BH_EINVAL (no G.711 RTP in it), BH_ERANGE (longer than
 * BH_PCAP_AUDIO_MAX), BH_ENOMEM; diag says which and where. */
int bh_pcap_audio_read(const char *path, struct bh_pcap_audio *out,
                       struct bh_diag *diag);
/* NULL is harmless. */
void bh_pcap_audio_free(struct bh_pcap_audio *a);

/* ---- SIPp export (export.c) -------------------------------------------
 * busyhour export sipp SCENARIO DIR: for each number that callers call,
 * DIR/<name>.xml, a SIPp UAC scenario (INVITE with SDP, 486/503 ACKed,
 * ACK, the reference switch's queue UPDATE answered when the number has
 * a queue, a pause for the call's holding time, BYE), and DIR/<name>.csv,
 * its injection file: the holding times (ms) the traffic model draws for
 * the calls of the number's busiest reporting interval, whose rate the
 * XML's comment gives for `-r` with the command line and the limits
 * (SIPp spaces calls evenly and cannot follow a profile; no patience,
 * retrials, digits, passcodes or costs). Bridges and campaigns are not
 * exported. */
#define BH_EXPORT_MAX_FILES BH_SC_MAX_ITEMS
struct bh_export_file {
    char base[BH_SC_MAX_NAME];     /* DIR/<base>.xml and .csv */
    char number[BH_SC_MAX_NUMBER]; /* the number dialled */
    double calls_per_hour;         /* the busiest interval's rate */
    double interval_start;         /* s since the horizon start */
    long calls;                    /* lines of the .csv */
};
struct bh_export_sipp {
    size_t n;
    struct bh_export_file files[BH_EXPORT_MAX_FILES];
    size_t skipped; /* sources not exported (meetings, campaigns) */
};
/* Writes the files (DIR created if need be; existing files of the same
 * names replaced) and fills *out. 0, BH_EINVAL, BH_ENOMEM, or BH_EIO with
 * diag naming the file. Numbers no caller calls get no files. */
int bh_driver_export_sipp(const struct bh_scenario *sc, const char *dir,
                          struct bh_export_sipp *out, struct bh_diag *diag);

/* A driver for sc (borrowed; must outlive it). Resolves nothing by name:
 * the target must be a literal address. Opens the SIP sockets. Returns
 * 0, BH_EINVAL (bad target, speed ...) with the reason in diag, BH_EIO
 * (a socket), BH_ENOMEM. */
int bh_driver_new(const struct bh_scenario *sc,
                  const struct bh_driver_options *opt, struct bh_driver **out,
                  struct bh_diag *diag);
/* Runs the whole span: every arrival becomes a call, then waits for the
 * calls in progress to end (bounded: their holding times, patience and
 * SIP timers). Returns 0, BH_EIO when the run stopped because the target
 * went away (stats.aborted; the calls then up are failed "target-down"),
 * or BH_ENOMEM. */
int bh_driver_run(struct bh_driver *d);
/* Asks a running driver to stop starting calls and end those up (from a
 * signal handler's flag checked by progress, or another callback). */
void bh_driver_stop(struct bh_driver *d);
void bh_driver_stats(const struct bh_driver *d, struct bh_driver_stats *out);
/* NULL is harmless. */
void bh_driver_free(struct bh_driver *d);

#endif
