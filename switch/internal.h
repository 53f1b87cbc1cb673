/* internal.h: the switch's private structures below the call core: the
 * context, transport, SIP handling and transactions. Shared by the
 * switch's .c files only (other parts include switch.h).
 *
 * The layers, in the order a request travels through them:
 *
 *   switch.c, thread.c  the context: owns everything, the SIP socket on the
 *                       event_base it is given, the clock, the random
 *                       stream, start and stop; creates the services from
 *                       its table and feeds datagrams to sip.c
 *   sip.c               parse, route in RFC 3261 8.2 order, and sw_answer():
 *                       the one place SIP answers are chosen
 *   txn.c               transactions (RFC 3261 17, RFC 6026)
 *   leg.c, call.c,      the call core (call.h): dialogs and legs, requests
 *   media.c             in a dialog, BYE/CANCEL/ACK, client INVITE legs,
 *                       calls and their CDR rows, RTP, sounds, digits, the
 *                       media relay
 *   number.c            a service (number.h) built on the core
 *
 * Calls go one way, up this list: a service calls the core; the core calls
 * txn.c, sw_answer() and the transport (sw_send). No file of the core
 * names a service (only switch.c's table and http.c's views do), and txn.c
 * knows legs and calls only as pointers it hands back. Events travel down
 * the list through named entry points: sip.c gives requests to the core
 * (sw_call_invite, sw_call_in_dialog, sw_call_cancel) or to register.c;
 * txn.c reports to the core (sw_leg_response, sw_leg_timeout,
 * sw_call_ack_timeout, sw_leg_ctx_gone, sw_call_stx_gone); the core tells a
 * service only through its struct sw_service_ops. register.c (accounts)
 * and http.c (/metrics, reading the services' views) sit beside the
 * core. */
#ifndef BH_SWITCH_INTERNAL_H
#define BH_SWITCH_INTERNAL_H

#include "proto.h"
#include "switch.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

/* RFC 3261 17.1.1.1 timer values, seconds. */
#define SW_T1 0.5
#define SW_T2 4.0
#define SW_T4 5.0
#define SW_TXN_LIFE (64 * SW_T1) /* timers B, F, H, J, L */

#define SW_FRAME 160      /* samples per 20 ms frame at 8 kHz */
#define SW_TAG_MAX 64     /* bytes of a tag we keep, with NUL */
#define SW_URI_MAX 256    /* bytes of a URI we keep, with NUL */
#define SW_CALLID_MAX 128 /* bytes of a Call-ID we keep, with NUL */
#define SW_MAX_REGISTRATIONS 4096
#define SW_MAX_SERVICES 4 /* kinds of target a Request-URI can name */
#define SW_REALM "busyhour"
#define SW_LAG_MAX 0.1       /* s a tick may be late before it counts */
#define SW_LAG_TICKS 3       /* late ticks in a row that mean overload */
#define SW_LAG_BUSY 0.5      /* CPU share of a late gap that means busy */
#define SW_OVERLOAD_HOLD 2.0 /* s new calls are refused after that */
/* s a new INVITE may have waited in the socket buffer: older, it is shed
 * with 503 (its client has resent it three times by then: RFC 3261 timer
 * A). Not shorter: the start of a flood, before its source is blocked
 * and filtered, may queue legitimate calls for a second on a busy
 * machine, and they must still be served. */
#define SW_QUEUE_AGE_MAX 2.0
#define SW_STOP_POLL 0.05 /* s between checks of a stop's progress */
/* Bytes read of one datagram: more than any UDP payload (65,507), so
 * that an oversize request is read whole and its 513 can copy its Via,
 * From, To, Call-ID and CSeq. */
#define SW_RECV_MAX 65536
/* The answer to an unparsable request: its kept headers and a few more. */
#define SW_RAW_MAX (SW_RECV_MAX + 1024)

struct call;
struct leg;
struct rtp_sock;
struct sw_service_ops;
struct sw_conf;

/* A peer address. */
struct sw_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* ---- hash table (hash.c): byte-string keys, chained, grows ×2 ---------- */

struct sw_hnode {
    struct sw_hnode *next;
    uint64_t hash;
    const char *key; /* borrowed from the entry that embeds the node */
    size_t klen;
};

struct sw_htab {
    struct sw_hnode **b; /* owned */
    size_t nb, n;
};

int sw_htab_init(struct sw_htab *t);
void sw_htab_fini(struct sw_htab *t);
uint64_t sw_hash(const char *k, size_t n);
/* Inserts node (key set by the caller); BH_ENOMEM when growing fails
 * (the node is still inserted). */
int sw_htab_put(struct sw_htab *t, struct sw_hnode *node);
struct sw_hnode *sw_htab_get(const struct sw_htab *t, const char *k, size_t n);
void sw_htab_del(struct sw_htab *t, struct sw_hnode *node);

/* ---- waiting for the CDR commit (call.c) --------------------------------
 * Group commit: an answer or BYE that tells a peer a call started or ended
 * is held until the loop turn's CDR rows are committed (sw_cdr_flush),
 * so that a peer never hears of a call the CDR file could lose in a
 * crash. A held message is a server transaction's response or a client
 * transaction's first send; it waits in one FIFO list per switch. */
struct sw_held {
    struct sw_held *next, *prev; /* NULL, NULL: not held */
    int is_ctx;                  /* the container: 0 struct stx, 1 ctx */
};

/* ---- transactions (txn.c), RFC 3261 17 --------------------------------- */

enum stx_state {
    STX_PROCEEDING, /* request received, no final response yet */
    STX_COMPLETED,  /* final non-2xx sent (INVITE: waiting for ACK) */
    STX_CONFIRMED,  /* INVITE: ACK received, absorbing ACKs (timer I) */
    STX_ACCEPTED    /* INVITE: 2xx sent (RFC 6026), waiting for ACK */
};

/* A server transaction. It owns a copy of its last response, which it
 * resends for retransmitted requests (17.2.1, 17.2.2) and, for INVITE, on
 * timer G until the ACK (for 2xx, RFC 3261 13.3.1.4, done here too). */
struct stx {
    struct sw_hnode node;
    char key[192];
    struct bh_switch *sw;
    int invite;
    enum stx_state state;
    struct sw_addr peer;
    char *resp; /* owned */
    size_t resp_len;
    int status;
    double interval; /* current retransmit interval, s */
    double next_tx;  /* when to resend, s (monotonic) */
    double end;      /* when the state ends, s */
    struct event timer;
    /* Set and cleared by the call core; txn.c only hands them back. */
    struct call *call;   /* INVITE: the call it started; NULL when gone */
    struct leg *reinv;   /* re-INVITE: the leg whose ACK ends its 2xx */
    struct sw_held held; /* its response waits for the CDR commit */
};

enum ctx_state { CTX_CALLING, CTX_PROCEEDING, CTX_COMPLETED, CTX_ACCEPTED };

/* A client transaction toward the peer of a leg (INVITE, CANCEL,
 * BYE, UPDATE). It owns its request for retransmission. */
struct ctx {
    struct sw_hnode node;
    char branch[BH_SIP_TOKEN_MAX];
    struct bh_switch *sw;
    enum bh_sip_method method;
    enum ctx_state state;
    struct sw_addr peer;
    char *req; /* owned */
    size_t req_len;
    char *ack; /* owned; INVITE: the ACK for a non-2xx, resent on
                  retransmitted finals (17.1.1.3) */
    size_t ack_len;
    double interval, next_tx, end;
    struct event timer;
    /* The leg that receives the responses (NULL when gone), and the link
     * of the leg's list of transactions; both kept by the call core. */
    struct leg *leg;
    struct ctx *leg_next;
    int orphan;          /* INVITE: 2xx after the leg was gone, ended */
    struct sw_held held; /* its first send waits for the CDR commit */
};

/* ---- media state the context owns ---------------------------------------- */

/* A sound, 8 kHz, pre-encoded in both G.711 laws. */
struct sw_sound {
    size_t n;             /* samples */
    uint8_t *pcmu, *pcma; /* owned */
};

/* ---- services: what a Request-URI can name ------------------------------- */

/* A service as the context holds it: its operations (call.h) and its
 * state, which only the service reads. */
struct sw_service {
    const struct sw_service_ops *ops;
    struct bh_switch *sw;
    void *state; /* owned by the service: set by init, freed by fini */
};

/* ---- the switch -------------------------------------------------------- */

/* ---- limits.c: counts per source address or account -------------------- */

#define SW_LIMIT_KEY 64 /* bytes of a key kept (an address, a user name) */
#define SW_LIMIT_SOURCES 16384 /* slots of each limiter's table */

struct sw_limit_slot {
    uint64_t hash; /* 0: free */
    double since;  /* s, when the current window started */
    double blocked_until;
    uint32_t count; /* events in the window */
    uint8_t klen;
    uint8_t key[SW_LIMIT_KEY];
};

/* Events of a key counted per window; more than max in one window blocks
 * the key for `block` s. A fixed table of nslots: a key that finds no
 * room is not counted (counted in untracked). max 0: no limit. */
struct sw_limiter {
    struct sw_limit_slot *slot; /* owned */
    size_t nslots;
    uint64_t seed;
    uint32_t max;
    double window, block;
    uint64_t blocks;    /* times a key was blocked */
    uint64_t untracked; /* events of keys that found no slot */
};

enum { SW_LIMIT_OK, SW_LIMIT_BLOCKED, SW_LIMIT_NEWLY_BLOCKED };

int sw_limiter_init(struct sw_limiter *l, size_t nslots, uint64_t seed,
                    uint32_t max, double window, double block);
void sw_limiter_fini(struct sw_limiter *l);
/* Counts one event of key at now: SW_LIMIT_OK, SW_LIMIT_BLOCKED (the key
 * is blocked; not counted) or SW_LIMIT_NEWLY_BLOCKED (this event went over
 * the bound). */
int sw_limiter_hit(struct sw_limiter *l, const void *key, size_t klen,
                   double now);
/* 1 when key is blocked at now. */
int sw_limiter_blocked(const struct sw_limiter *l, const void *key, size_t klen,
                       double now);
/* Keys blocked at now (O(nslots), for /metrics). */
size_t sw_limiter_blocked_now(const struct sw_limiter *l, double now);
/* 1 when a new call may start now (switch.limits.max_cps, a token
 * bucket), 0 when it must be shed with 503. */
int sw_cps_admit(struct bh_switch *sw);

/* ---- filter.c: blocked sources dropped by the kernel ------------------- */

/* Addresses the socket filter holds (the first found; beyond them the
 * process drops a blocked source's datagrams after reading them), and
 * the program's bound (all IPv6: 9 instructions each, under the kernel's
 * BPF_MAXINSNS of 4096). */
#define SW_FILTER_MAX_ADDRS 400
#define SW_FILTER_MAX_INS 3700
/* Sets up the filter's rebuild (nothing when switch.limits has no
 * source_rate). */
int sw_filter_init(struct bh_switch *sw);
/* The pike blocked a new source: rebuild the filter soon. */
void sw_filter_changed(struct bh_switch *sw);
void sw_filter_fini(struct bh_switch *sw);
/* The address part of a (4 or 16 bytes): the key of a source. */
size_t sw_addr_key(const struct sw_addr *a, uint8_t key[16]);

/* A digest nonce the switch issued (register.c): its number and the
 * highest nonce count accepted with it (RFC 2617 3.2.2: nc replay). */
struct sw_nonce_slot {
    uint32_t id;
    uint32_t nc;
};
#define SW_NONCE_SLOTS 65536 /* nonces live at once; older ones are stale */

struct sw_registration {
    char user[BH_SC_MAX_NAME];
    char contact[SW_URI_MAX];
    double expires; /* s (monotonic) */
};

struct bh_switch {
    const struct bh_sc_switch *cfg;
    struct event_base *base; /* borrowed, or own_base */
    struct evhttp *http;
    struct sw_http_guard *http_guard; /* http.c: its connection limits */
    struct event *play_timer, *flush_ev;
    /* Stopping (switch.c): bh_switch_stop writes to stop_fd from any
     * thread; stop_ev starts the shutdown on the loop, stop_timer ends
     * it SW_STOP_GRACE_US later and calls on_stopped. */
    int stop_fd; /* eventfd, owned */
    struct event *stop_ev, *stop_timer;
    void (*on_stopped)(struct bh_switch *sw, void *arg);
    void *on_stopped_arg;
    int stopped; /* the stop has finished */
    /* A switch in a thread of its own (thread.c). */
    struct event_base *own_base; /* owned, NULL when embedded */
    pthread_t thread;
    pthread_mutex_t thread_mu; /* guards thread_running */
    pthread_cond_t thread_cv;
    int thread_sync;    /* thread_mu and thread_cv initialised */
    int thread_started; /* set before the thread starts, read by it */
    int thread_running; /* the loop runs (start waits for it) */
    int thread_joined;
    int thread_rc; /* the loop's result, 0 or BH_EIO */
    int sip_fd;
    struct event *sip_ev;
    struct sw_addr local;
    char local_host[80]; /* "127.0.0.1" or "[::1]" for Via/Contact */
    uint16_t local_port;
    char media_ip[BH_SDP_ADDR_MAX]; /* for SDP c= (no brackets) */
    struct bh_cdr *cdr;
    /* CDR writes (call.c): a failed commit is retried at cdr_retry_at by
     * cdr_retry_ev; messages wait in `held` until a commit succeeds. */
    struct event *cdr_retry_ev;
    double cdr_retry_at;   /* s; no commit is tried before it */
    double cdr_fail_since; /* s; when the current failure began, -1 none */
    struct sw_held held;   /* list head of held messages */
    size_t nheld;
    struct bh_cdr_stats cdr_final; /* the store's counters once closed */
    struct bh_record_sink sink;    /* the owner's, or none */
    int sink_begun;                /* begin was called: end is owed */
    double stop_since;             /* s, when the stop began */
    struct bh_switch_metrics m;
    /* The services, in the order they are asked about a Request-URI. */
    struct sw_service services[SW_MAX_SERVICES];
    size_t nservices;
    struct sw_htab stx, ctx, dialogs, calls;
    size_t stx_peak; /* most server transactions since the last trim */
    uint64_t next_call;
    uint64_t rnd; /* xorshift state for tags and branches */
    double mono0, epoch0;
    /* Conference rooms (conf.c), made on the first; NULL before. */
    struct sw_conf *conf;
    char rec_dir[BH_CDR_PATH_MAX - 96]; /* where recordings are written */
    struct rtp_sock *rtp_free;
    size_t rtp_open;
    /* RTP ports (--rtp-ports): even ports rtp_lo..rtp_hi, 0 = any. */
    uint16_t rtp_lo, rtp_hi, rtp_next;
    struct leg *playing; /* legs being sent a sound */
    /* The default sounds services play when they have no WAV file. */
    struct sw_sound tone, music, prompt_tone;
    struct sw_registration regs[SW_MAX_REGISTRATIONS];
    size_t nregs;
    uint8_t nonce_secret[32];
    struct sw_nonce_slot *nonces; /* owned, SW_NONCE_SLOTS */
    uint32_t next_nonce;
    /* limits.c: new requests per source (pike), failed authentications
     * per source and per account. */
    struct sw_limiter pike, auth_src, auth_user;
    double cps_tokens, cps_at; /* max_cps's bucket (limits.c) */
    /* filter.c: the socket filter of blocked sources, when rebuilt. */
    struct sock_filter *filter_prog; /* owned, SW_FILTER_MAX_INS */
    struct event *filter_ev;         /* owned: the rebuild */
    double filter_at;                /* s, last rebuild */
    int filter_failed;               /* the kernel refused it (said once) */
    int stopping, verbose;
    /* Overload: the 20 ms media tick measures how late the loop runs. */
    double last_tick;      /* s, when the tick last ran */
    double last_tick_cpu;  /* s of the loop thread's CPU time then */
    int late_ticks;        /* consecutive ticks more than SW_LAG_MAX late */
    double overload_until; /* s; new INVITEs get 503 until then */
    double rx_age;         /* s the datagram being handled waited in the socket
                              buffer (0: not known, or not from the socket) */
    struct bh_sip_msg rxmsg; /* parse scratch of sip.c (large); handlers
                                get the message through struct sw_req */
    char *rxbuf;             /* owned, RECV_BATCH datagrams of
                                SW_RECV_MAX bytes */
    /* sip.c's answers to unparsable requests (oversize ones included:
     * their headers are copied whole), SW_RAW_MAX bytes each, owned. */
    char *rawout, *rawvia;
    char out[BH_SWITCH_MAX_MSG + 1024]; /* scratch for building */
    uint8_t ulaw2alaw[256], alaw2ulaw[256];
};

/* thread.c: destroys the start-up lock of a threaded switch. */
void sw_thread_fini(struct bh_switch *sw);

/* switch.c */
double sw_now(const struct bh_switch *sw);
uint64_t sw_random(struct bh_switch *sw);
void sw_log(struct bh_switch *sw, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sw_addr_parse(const char *host, uint16_t port, struct sw_addr *out);
void sw_addr_format(const struct sw_addr *a, char *host, size_t size,
                    uint16_t *port);
/* "ip:port" or "[v6]:port" of an address, for logs. */
#define SW_ADDR_STR 64
void sw_addr_str(const struct sw_addr *a, char *buf, size_t size);
/* The address of a sip:/sips: URI whose host is a literal IP (no DNS);
 * BH_EPARSE or BH_EINVAL otherwise. */
int sw_uri_addr(const char *uri, struct sw_addr *out);
/* Copies a view into dst as a NUL-terminated string, cut to size - 1. */
void sw_copy_str(char *dst, size_t size, struct bh_str s);
/* The service with these operations, or NULL. */
struct sw_service *sw_service_find(struct bh_switch *sw,
                                   const struct sw_service_ops *ops);
/* Arms ev to fire `seconds` from now (0 or less: at the next turn). */
void sw_timer_in(struct event *ev, double seconds);

/* transport (switch.c): sends a datagram on the SIP socket. */
void sw_send(struct bh_switch *sw, const struct sw_addr *to, const char *buf,
             size_t len);

/* ---- sip.c: the message handler and the one place SIP answers are chosen */

void sw_sip_receive(struct bh_switch *sw, const char *buf, size_t len,
                    const struct sw_addr *from);

/* Why a request is refused; sw_answer maps each to its status. */
enum sw_why {
    WHY_OK,               /* 200 */
    WHY_TRYING,           /* 100 */
    WHY_BAD_REQUEST,      /* 400: malformed */
    WHY_UNAUTHORIZED,     /* 401 with a challenge */
    WHY_FORBIDDEN,        /* 403: wrong credentials */
    WHY_NOT_FOUND,        /* 404: no such number */
    WHY_NOT_ALLOWED,      /* 405: known method we do not accept */
    WHY_NO_ACCEPT,        /* 406: Accept excludes the SDP we must send */
    WHY_UNSUPP_MEDIA,     /* 415: a body that is not SDP */
    WHY_UNSUPP_URI,       /* 416: not a sip/sips/tel URI */
    WHY_BAD_EXTENSION,    /* 420: Require names an extension we lack */
    WHY_INTERVAL_BRIEF,   /* 423 */
    WHY_OFFLINE,          /* 480: nobody there (no phone registered) */
    WHY_NO_TXN,           /* 481: no such dialog or transaction */
    WHY_LOOP,             /* 483: Max-Forwards exhausted */
    WHY_BUSY,             /* 486: all lines busy, queue full */
    WHY_TERMINATED,       /* 487: cancelled */
    WHY_NOT_ACCEPTABLE,   /* 488: no common codec */
    WHY_SERVER_ERROR,     /* 500 */
    WHY_NOT_IMPLEMENTED,  /* 501: unknown method */
    WHY_UNAVAILABLE,      /* 503: out of resources, shutting down */
    WHY_VERSION,          /* 505 */
    WHY_TOO_LARGE,        /* 513 */
    WHY_RINGING,          /* 180 */
    WHY_SESSION_TOO_SMALL /* 422: Session-Expires below our Min-SE */
};

/* The request being handled, passed explicitly from sip.c to whoever
 * answers it. It lives for one call of the handler: msg is borrowed (views
 * into the received datagram), st is borrowed from the transaction table. */
struct sw_req {
    struct bh_switch *sw;
    const struct bh_sip_msg *msg; /* the parsed request */
    /* Its server transaction; NULL for an ACK, or when none could be kept
     * (the answer is then stateless). */
    struct stx *st;
    struct sw_addr from; /* where the datagram came from */
};

/* Builds and sends the response `why` to req through its server
 * transaction (if any), with our To tag (may be NULL), optional extra
 * headers (CRLF-terminated lines, or NULL) and an optional SDP body.
 * Returns the status sent (0 for an ACK, which gets no response). */
int sw_answer(const struct sw_req *req, enum sw_why why, const char *to_tag,
              const char *extra, const char *sdp, size_t sdp_len);
/* sw_answer with nothing but the status. */
int sw_reply(const struct sw_req *req, enum sw_why why);
/* RFC 3261 18.2.2: where a response to the request goes. */
void sw_response_target(const struct bh_sip_msg *m, const struct sw_addr *src,
                        struct sw_addr *out);

/* ---- txn.c --------------------------------------------------------------- */

struct stx *sw_stx_find(struct bh_switch *sw, const struct bh_sip_msg *m,
                        int for_ack_or_cancel);
/* A server transaction for m (NULL when the table is full: new work
 * stops at SW_STX_NEW_WORK, requests in a dialog at the bound). */
struct stx *sw_stx_new(struct bh_switch *sw, const struct bh_sip_msg *m,
                       const struct sw_addr *from, int new_work);
/* Server transactions new work may take; the rest of
 * BH_SWITCH_MAX_TRANSACTIONS is kept for requests in dialogs. */
#define SW_STX_NEW_WORK (BH_SWITCH_MAX_TRANSACTIONS / 8 * 7)
/* Transactions at a peak after which memory is given back (txn.c). */
#define SW_TRIM_AFTER 4096
/* Records the response just built (buf) as the transaction's last and
 * moves it to its next state (17.2.1 / 17.2.2 / RFC 6026). */
void sw_stx_responded(struct stx *st, const char *buf, size_t len, int status);
/* An ACK for the transaction's final response arrived. */
void sw_stx_ack(struct stx *st);
void sw_stx_free(struct stx *st);
/* Creates a client transaction and sends req (copied); timers A/B or E/F
 * per method. The branch must already be in the request's Via. Responses
 * go to leg (may be NULL), which the caller links to it. */
struct ctx *sw_ctx_send(struct bh_switch *sw, struct leg *leg,
                        enum bh_sip_method method, const char *branch,
                        const struct sw_addr *to, const char *req, size_t len);
void sw_ctx_response(struct bh_switch *sw, const struct bh_sip_msg *m);
void sw_ctx_free(struct ctx *c);
/* sw_ctx_send in two steps: the transaction, its timers not yet armed and
 * nothing sent (NULL when out of memory); then its first send. */
struct ctx *sw_ctx_new(struct bh_switch *sw, struct leg *leg,
                       enum bh_sip_method method, const char *branch,
                       const struct sw_addr *to, const char *req, size_t len);
void sw_ctx_start(struct ctx *c);
/* A held response goes out now and its transaction takes its next state
 * (as sw_stx_responded would have). */
void sw_stx_release(struct stx *st);
/* Client transactions of BYEs still waiting for their answer. */
size_t sw_ctx_byes_open(const struct bh_switch *sw);

/* ---- entry points of the call core for the layers below ----------------- */

/* A new INVITE outside a dialog: a service takes it, or 404. */
void sw_call_invite(const struct sw_req *req);
/* A request in the dialog of leg (RFC 3261 12.2.2). */
void sw_call_in_dialog(const struct sw_req *req, struct leg *leg);
/* RFC 3261 9.2: a CANCEL (its own transaction is req->st). */
void sw_call_cancel(const struct sw_req *req);
/* The leg our tag and the Call-ID name, or NULL. */
struct leg *sw_dialog_find(struct bh_switch *sw, const struct bh_sip_msg *m);
/* A response to a request the leg sent. */
void sw_leg_response(struct leg *leg, enum bh_sip_method method,
                     const struct bh_sip_msg *m);
/* A client transaction of the leg timed out (B or F). */
void sw_leg_timeout(struct leg *leg, enum bh_sip_method method);
/* The client transaction c of its leg is ending: the leg forgets it. */
void sw_leg_ctx_gone(struct ctx *c);
/* The server transaction st is being freed: the call or leg that points
 * at it forgets it. */
void sw_call_stx_gone(struct stx *st);
/* The caller never ACKed our 2xx (RFC 3261 13.3.1.4): end the call. */
void sw_call_ack_timeout(struct call *c);
/* Ends every call with BYE (the switch stops). */
void sw_calls_shutdown(struct bh_switch *sw);
/* Commits the CDR rows of this loop turn in one SQLite transaction, then
 * sends what waited for it; after a failure, retries at the store's
 * backoff (a timer) and holds everything until it succeeds. */
void sw_cdr_flush(struct bh_switch *sw);
/* 1 when a message of this kind must wait for the commit: every final
 * answer to a new INVITE (its row is written: up or ended), a 2xx to a
 * BYE, and BYEs we send. */
int sw_must_hold(const struct bh_switch *sw, const struct bh_sip_msg *req,
                 int status);
/* Holds st's response (already recorded in st, not sent) or c's first
 * send until the next successful commit. */
void sw_hold(struct bh_switch *sw, struct sw_held *h);
/* Forgets a held message whose transaction is freed. */
void sw_unhold(struct bh_switch *sw, struct sw_held *h);
/* The CDR store closes (stop or free): what could not be written is
 * counted lost; held messages go out. */
void sw_cdr_close(struct bh_switch *sw);
/* Sends every held message (after a commit, or when giving up). */
void sw_release_held(struct bh_switch *sw);
/* Copies the CDR store's counters into sw->m (before rendering). */
void sw_cdr_metrics(struct bh_switch *sw);

/* media.c, for the context */
int sw_media_init(struct bh_switch *sw);
void sw_media_fini(struct bh_switch *sw);

/* ---- beside the core ----------------------------------------------------- */

/* register.c */
void sw_register(const struct sw_req *req);
/* The registered contact of user, or NULL. */
const char *sw_registered(struct bh_switch *sw, const char *user);
/* Every live binding of the account `user`, at most max, into out;
 * returns how many. */
size_t sw_registered_all(struct bh_switch *sw, const char *user,
                         const char **out, size_t max);
/* Digest authentication of a request (RFC 3261 22) against the accounts:
 * the account, or NULL once the request has been answered (401 with a
 * challenge when it carries no credentials for our realm or a stale
 * nonce, 403 for an unknown user or a wrong password; *refused says
 * which: 0 challenged, 1 forbidden). */
const struct bh_sc_account *sw_authenticate(const struct sw_req *req,
                                            int *refused);

/* http.c */
int sw_http_start(struct bh_switch *sw, const char *hostport, char *err,
                  size_t errlen);
/* Frees the endpoint and its connection guard. */
void sw_http_free(struct bh_switch *sw);
/* Descriptors HTTP leaves to SIP and RTP below the process's limit. */
#define SW_FD_RESERVE 256

#endif
