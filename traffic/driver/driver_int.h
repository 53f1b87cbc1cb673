/* driver_int.h: private to the load driver: the context, a call, and the
 * functions its files share (driver.c the loop and sockets, caller.c the
 * UAC, media.c RTP). */
#ifndef BH_DRIVER_INT_H
#define BH_DRIVER_INT_H

#include "driver.h"
#include "proto.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* RFC 3261 17.1.1.1 / 17.1.2.1 timers, s. */
#define DRV_T1 0.5
#define DRV_T2 4.0
#define DRV_TIMER_B (64 * DRV_T1) /* no final answer to a request */
/* After a provisional answer an INVITE is not retransmitted; a final
 * answer must still come within this (a proxy's timer C is >= 3 min). */
#define DRV_RING_MAX 180.0
#define DRV_MAX_BURST 5 /* RTP packets one tick sends for one call */
#define DRV_USER_MAX 32
#define DRV_URI_MAX 160
#define DRV_MEDIA_TICK 0.002 /* s between walks of the streams */
/* SIP datagrams to the target go out in batches (sendmmsg): those one
 * callback queues (a batch of answers read by recvmmsg, the arrivals due
 * at once), flushed as the callback ends and at the end of each turn of
 * the loop. */
#define DRV_TX_BATCH 32
#define DRV_TX_SLOT 4096 /* larger messages go out at once, alone */
#define DRV_RX_BATCH 16

enum call_state {
    CALL_FREE = 0,
    CALL_INVITING,   /* INVITE sent, nothing back */
    CALL_PROCEEDING, /* a provisional answer came */
    CALL_CANCELLING, /* CANCEL sent (patience ran out while ringing) */
    CALL_UP,         /* 2xx ACKed: menu, waiting or talking */
    CALL_BYE_SENT,   /* our BYE waits for its answer */
};

enum call_phase {
    PHASE_NONE = 0,
    PHASE_MENU,     /* the IVR: a digit at menu_time */
    PHASE_WAIT,     /* in the queue until an operator answers (UPDATE) */
    PHASE_TALK,     /* connected: BYE at the end of the holding time */
    PHASE_PASSCODE, /* a bridge: the passcode and '#' as RFC 4733 events */
};

/* An RTP socket. Kept open between calls (DRV_RTP_POOL_MAX of them at
 * most) with its read event registered: a call's start and end then
 * cost no socket, bind, setsockopt, getsockname, close or epoll_ctl
 * (seven system calls of the twenty a short call made, bench/driver). */
#define DRV_RTP_POOL_MAX 4096
struct drv_rtpsock {
    struct bh_driver *d;
    int fd;
    uint16_t port;
    struct event ev;
    struct drv_media *m; /* the stream using it; NULL: pooled */
    struct drv_rtpsock *next;
};

struct drv_media {
    struct bh_driver *d;
    uint64_t id;                  /* picks the tone */
    struct drv_rtpsock *s;        /* borrowed from the pool; NULL none */
    int fd;                       /* s->fd, -1 none */
    uint16_t port;                /* our RTP port */
    struct sockaddr_storage peer; /* where we send, from the SDP */
    socklen_t peer_len;
    int on;         /* sending */
    double start;   /* wall s the stream started */
    uint64_t ticks; /* packet times elapsed */
    uint32_t sent;  /* packets sent */
    uint16_t seq;
    uint32_t ts, ssrc;
    uint8_t pt;
    int te_pt;
    size_t clip_pos; /* media pcap: the next sample of the clip */
    /* a tone: rotating phasor (cos, sin) by (wc, ws) per sample */
    double pc, ps, wc, ws;
    struct bh_dtmf_tx dtmf;
    int dtmf_on;
    char keys[24]; /* digits still to send after the current one */
    size_t nkeys, key;
    double last_key_at; /* wall s the last queued digit began; -1 */
    /* receiving */
    int rx_started;
    struct bh_rtp_stats rx;
    uint32_t received;
    uint64_t lost_before, expected_before; /* of earlier sources */
};

struct drv_call {
    struct bh_driver *d;
    uint32_t slot, gen;
    enum call_state state;
    enum call_phase phase;
    struct bh_arrival a;
    uint64_t id; /* record id: starts in arrival order */
    char user[DRV_USER_MAX];
    char call_id[BH_DRIVER_CALL_ID_MAX];
    char from_tag[BH_SIP_TOKEN_MAX], to_tag[BH_SIP_TOKEN_MAX];
    char branch[BH_SIP_TOKEN_MAX]; /* the INVITE's */
    char ruri[DRV_URI_MAX];        /* the number at the target */
    char remote[DRV_URI_MAX];      /* the 2xx's Contact: in-dialog R-URI */
    uint32_t cseq;                 /* last CSeq we used in the dialog */
    uint32_t invite_cseq;          /* the INVITE's (2 after a challenge) */
    int campaign;                  /* a dialer's attempt through the trunk */
    int auth_tries;                /* challenges answered */
    int cancel_wanted;             /* patience ran out before a 1xx */
    /* the one request waiting for its answer (retransmitted); owned */
    char *req;
    size_t req_len;
    double rtx_at, rtx_gap, req_dead; /* wall s */
    double act_at;                    /* wall s of the phase's next step */
    struct event timer;
    /* measurements, wall s since the start; -1 not happened */
    double late, t_invite, t_100, t_180, t_200, t_queue, t_connect;
    int status;
    enum bh_outcome outcome;
    enum bh_driver_fail fail;
    struct drv_media m;
    int in_up;                    /* counted in the target's busy level */
    int in_connected;             /* counted in its operators' level */
    int agent;                    /* operator who answered, -1 */
    char code[24];                /* a bridge's passcode and '#' */
    int keyed;                    /* its digits are on their way */
    int tied;                     /* one of our operators took the call */
    double t_op_answer, t_op_end; /* wall s it answered, hung up; -1 */
    double mos_out;               /* what our operator heard of us; NaN */
    struct drv_call *next_free;
};

/* ---- operators (operator.c) ------------------------------------------ */

#define DRV_OP_RING 0.05 /* s an operator rings before answering */
/* s a caller tied to our operator waits past its holding time for the
 * operator's hang-up to reach it before hanging up itself */
#define DRV_OP_GRACE 2.0
#define DRV_REG_EXPIRES 3600 /* s of binding asked */
#define DRV_REG_WAIT 5.0     /* s every account has to register in */

/* A socket operators listen on: a static contact's address, or ours for
 * the registered accounts. */
struct drv_opsock {
    struct bh_driver *d;
    int index; /* in the driver's opsocks */
    int fd;
    int ev_added;
    struct event ev;
    struct sockaddr_storage addr;
    socklen_t len;
    char host[72];
    uint16_t port;
};

enum op_state { OP_IDLE, OP_RINGING, OP_TALKING, OP_BYE_SENT };

/* The carrier: lines of a UAS on the trunk's gateway address, standing
 * in for the outside network (carrier.c's part of operator.c). */
#define DRV_CARRIER_SPARE 4 /* lines beyond the trunk's, for strays */
/* The dialled number of a campaign attempt: the trunk's first allowed
 * prefix, then the call's slot (9 digits) and generation (3 digits), so
 * that the carrier finds the attempt whatever From the switch sends. */
#define DRV_DIAL_SLOT_DIGITS 9
#define DRV_DIAL_GEN_MOD 1000

struct drv_op {
    struct bh_driver *d;
    int number;  /* index into the scenario's numbers */
    int pos;     /* position in its queue (the switch's operator N) */
    int account; /* index into switch.accounts, -1: a static contact */
    int carrier; /* 1: a line of the carrier, not an operator */
    int answers; /* carrier: the called party answers after the ring */
    int sock;    /* index into the driver's opsocks */
    char user[BH_SC_MAX_NAME];
    enum op_state state;
    /* the call being handled */
    char *invite; /* a copy of its INVITE (owned), to answer it later */
    size_t invite_len;
    char call_id[BH_CDR_TEXT_MAX];
    char tag[BH_SIP_TOKEN_MAX]; /* our To tag */
    char *final; /* our last final answer (owned): for retransmissions */
    size_t final_len;
    struct sockaddr_storage peer; /* where the INVITE came from */
    socklen_t peer_len;
    double answer_at, hangup_at; /* wall s */
    struct drv_call *caller;     /* the tied caller, checked by gen */
    uint32_t caller_gen;
    double holding; /* scenario s the caller talks */
    struct drv_media m;
    struct event timer;
    /* registration */
    int registered;
    uint32_t reg_cseq;
    char reg_call_id[BH_DRIVER_CALL_ID_MAX];
    char reg_tag[BH_SIP_TOKEN_MAX];
    int reg_auth_tries;
    struct event reg_timer;
    uint64_t handled; /* calls answered */
};

struct bh_driver {
    const struct bh_scenario *sc; /* borrowed */
    struct bh_driver_options opt;
    struct bh_driver_sched *sched;
    double speed, span;
    struct event_base *base;
    struct event sched_ev, tick_ev, media_ev;
    int sched_added;
    struct timespec t0; /* the run's start, CLOCK_MONOTONIC */
    /* the target and our SIP socket (connected to it) */
    struct sockaddr_storage target;
    socklen_t target_len;
    char target_host[72]; /* as written in URIs ("[::1]" for IPv6) */
    uint16_t target_port;
    int family;
    char local_ip[64];
    char local_host[72];
    uint16_t sip_port;
    int sip_fd;
    struct event sip_ev;
    char *tx; /* owned: DRV_TX_BATCH slots of DRV_TX_SLOT bytes */
    size_t tx_len[DRV_TX_BATCH];
    size_t ntx; /* queued */
    char *rx;   /* owned: DRV_RX_BATCH slots of BH_SIP_MAX_MSG + 1 */
    /* calls: pointers stable, slots reused with a new generation */
    struct drv_call **calls;
    size_t ncalls, cap;
    struct drv_call *free_list;
    uint64_t next_id;
    uint64_t rnd; /* splitmix64 state: tags, branches, SSRCs */
    /* per target (numbers, then bridges): calls up and connected */
    int *up, *connected;
    double last_rx;      /* wall s of the last datagram from the target */
    double last_unreach; /* wall s of the last ICMP unreachable, -1 */
    double next_progress;
    struct drv_rtpsock *rtp_pool; /* idle RTP sockets (media.c) */
    size_t rtp_pooled;
    struct drv_op *ops; /* owned, nops */
    size_t nops;
    struct drv_opsock *opsocks; /* owned, nopsocks */
    size_t nopsocks;
    int reg_sock;    /* opsock of the registering accounts, -1 none */
    int registering; /* accounts still to register before the start */
    struct event reg_wait;
    int reg_wait_on;
    int started; /* arrivals started (after registration) */
    /* the dialer (campaign attempts, caller.c): an account of the switch
     * through its trunk; dial_account -1: not placed (st.not_driven_why) */
    int dial_account;
    char dial_prefix[BH_SC_MAX_NUMBER];
    char dial_chal[1024]; /* the last WWW-Authenticate value; "" none */
    uint32_t dial_nc;     /* nonce count of its nonce */
    /* the carrier (operator.c) */
    int carrier_sock; /* opsock on the trunk's gateway, -1 none */
    const struct bh_sc_source *campaign; /* the first campaign, or NULL */
    gsl_rng *carrier_rng; /* answers to INVITEs not of our dialer */
    int stopping, done;
    int rc;
    struct bh_driver_stats st;
    size_t frame;              /* samples per packet */
    struct bh_pcap_audio clip; /* media pcap: the capture's audio */
};

/* driver.c */
/* ip (literal) and port into a sockaddr. 0 or BH_EINVAL. */
int drv_addr(const char *ip, uint16_t port, struct sockaddr_storage *ss,
             socklen_t *len);
/* A non-blocking UDP socket with IP_RECVERR bound to ip:port (0: any);
 * *bound gets its address. The descriptor, or -1 (errno). */
int drv_udp_open(const char *ip, uint16_t port, struct sockaddr_storage *bound,
                 socklen_t *len);
uint16_t drv_port(const struct sockaddr_storage *ss);
/* Reads (and drops) what IP_RECVERR queued on fd, at most 64 entries,
 * so that the socket stops reporting an error. Returns how many. */
int drv_errqueue_drain(int fd);
double drv_now(const struct bh_driver *d);
uint64_t drv_random(struct bh_driver *d);
/* Queues a SIP message to the target (sent at the end of the loop's
 * turn, or when DRV_TX_BATCH are queued); counts it. 0 or -1. */
int drv_sip_send(struct bh_driver *d, const char *buf, size_t len);
/* Sends what is queued (sendmmsg). */
void drv_sip_flush(struct bh_driver *d);
void drv_packet(struct bh_driver *d, int dir, const struct sockaddr *peer,
                socklen_t peer_len, int local_fd, const void *buf, size_t len);
struct drv_call *drv_call_find(struct bh_driver *d, struct bh_str call_id);
/* Ends the loop when no call is up and no arrival is left (or we stop). */
void drv_maybe_done(struct bh_driver *d);
void drv_level(struct bh_driver *d, struct drv_call *c, int up, int connected);

/* caller.c */
void drv_caller_start(struct bh_driver *d, const struct bh_arrival *a,
                      double late);
void drv_caller_response(struct drv_call *c, const struct bh_sip_msg *m);
void drv_caller_request(struct drv_call *c, const struct bh_sip_msg *m);
void drv_caller_timer(struct drv_call *c);
/* Ends the call now with failure f (no more SIP waited for). */
void drv_caller_fail(struct drv_call *c, enum bh_driver_fail f);
/* Hangs up a call for a stop (BYE, CANCEL, or drop). */
void drv_caller_hangup(struct drv_call *c);
void drv_call_rearm(struct drv_call *c);

/* operator.c */
/* Sets up the operators of every queue (sockets, accounts). 0 or < 0
 * with diag. */
int drv_ops_new(struct bh_driver *d, struct bh_diag *diag);
/* Starts the registrations; when none is needed, 0 and nothing to wait
 * for (d->registering 0). */
void drv_ops_register(struct bh_driver *d);
void drv_ops_free(struct bh_driver *d);
/* Hangs up every operator call (a stop). */
void drv_ops_hangup(struct bh_driver *d);
void drv_ops_media_tick(struct bh_driver *d, double now);
/* What our operator or carrier line still on a call with c heard of it
 * so far (the E-model MOS), NaN when none is: the far end's hang-up may
 * reach it after c's own end. */
double drv_ops_heard(struct bh_driver *d, const struct drv_call *c);
/* Operators with a call (for the end of the loop). */
int drv_ops_busy(const struct bh_driver *d);
/* The caller "c<slot>.<gen>" named by user, or NULL. */
struct drv_call *drv_call_by_user(struct bh_driver *d, struct bh_str user);
/* Arrivals start (after the registrations). */
void drv_start_arrivals(struct bh_driver *d);
/* The campaign attempt the carrier's INVITE dialled (its Request-URI
 * user), or NULL. */
struct drv_call *drv_call_by_dialled(struct bh_driver *d, struct bh_str user);

/* caller.c: the dialer */
/* Chooses the dialer's account and prefix (or why campaigns are not
 * placed). */
void drv_dialer_init(struct bh_driver *d);

/* media.c: a stream of a caller or an operator */
/* Opens its socket; id picks the tone. 0 or -1. */
int drv_media_open(struct bh_driver *d, struct drv_media *m, uint64_t id);
void drv_media_close(struct drv_media *m);
/* Closes the pooled RTP sockets (the driver's end). */
void drv_media_pool_free(struct bh_driver *d);
/* The agreed plan gives where to send; starts sending. 0 or -1. */
int drv_media_start(struct drv_media *m, const struct bh_sdp_plan *plan);
void drv_media_tick(struct drv_media *m, double now);
int drv_media_dtmf(struct drv_media *m, char digit);
/* Queues digits to send one after the other. 0 or -1 (no
 * telephone-event agreed, or too many). */
int drv_media_digits(struct drv_media *m, const char *digits);
/* Wall s a train of n digits takes. */
double drv_media_digits_time(const struct bh_driver *d, size_t n);
/* Writes our SDP offer into buf. Returns its length or < 0. */
int drv_media_sdp(const struct drv_media *m, char *buf, size_t size);
void drv_media_local(const struct drv_media *m, struct bh_sdp_audio *a);
/* The received stream's E-model MOS (NaN: nothing received), its jitter
 * (ms) and packets lost over every source it had. */
double drv_media_mos(const struct drv_media *m, double *jitter_ms,
                     int32_t *lost);

#endif
