/* internal.h: the switch's private structures, shared by its .c files only
 * (other parts include switch.h). */
#ifndef BH_SWITCH_INTERNAL_H
#define BH_SWITCH_INTERNAL_H

#include "proto.h"
#include "switch.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <netinet/in.h>
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
#define SW_REALM "busyhour"
#define SW_LAG_MAX 0.1       /* s a tick may be late before it counts */
#define SW_LAG_TICKS 3       /* late ticks in a row that mean overload */
#define SW_OVERLOAD_HOLD 2.0 /* s new calls are refused after that */

struct call;
struct leg;

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
    struct call *call; /* INVITE: the call it started; NULL when gone */
    struct leg *reinv; /* re-INVITE: the leg whose ACK ends its 2xx */
};

enum ctx_state { CTX_CALLING, CTX_PROCEEDING, CTX_COMPLETED, CTX_ACCEPTED };

/* A client transaction toward an operator or a caller (INVITE, CANCEL,
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
    struct leg *leg;      /* receives the responses; NULL when gone */
    struct ctx *leg_next; /* the leg's other transactions */
    int orphan;           /* INVITE: 2xx after the leg was gone, ended */
};

/* ---- media (media.c) --------------------------------------------------- */

enum play_kind {
    PLAY_NONE,
    PLAY_ANNOUNCE, /* announcement, then music */
    PLAY_MUSIC,    /* music on hold */
    PLAY_PROMPT    /* IVR menu prompt, then silence */
};

/* A sound, 8 kHz, pre-encoded in both G.711 laws. */
struct sw_sound {
    size_t n;             /* samples */
    uint8_t *pcmu, *pcma; /* owned */
};

/* One RTP socket, reused through a free list. */
struct rtp_sock {
    int fd;
    uint16_t port;
    struct event ev;
    struct bh_switch *sw;
    struct leg *leg; /* NULL while free */
    struct rtp_sock *next_free;
};

/* ---- calls and legs (call.c) ------------------------------------------- */

enum leg_state {
    LEG_NEW,
    LEG_EARLY,     /* operator leg: INVITE sent */
    LEG_CONFIRMED, /* 2xx/ACK */
    LEG_ENDING,    /* BYE or CANCEL sent */
    LEG_DONE
};

struct leg {
    struct call *call;
    int is_caller;
    int op; /* operator index, operator legs */
    enum leg_state state;
    struct sw_hnode dnode; /* dialog key: Call-ID + our tag */
    char dkey[SW_CALLID_MAX + SW_TAG_MAX];
    char call_id[SW_CALLID_MAX];
    char local_tag[SW_TAG_MAX], remote_tag[SW_TAG_MAX];
    char local_uri[SW_URI_MAX], remote_uri[SW_URI_MAX];
    char remote_target[SW_URI_MAX];
    char route[1024];    /* route set as a Route header value, "" = none */
    struct sw_addr peer; /* where our requests go */
    uint32_t local_cseq, invite_cseq;
    int got_provisional, cancel_pending, acked;
    struct ctx *invite_ctx; /* operator leg: our INVITE */
    struct ctx *ctxs;       /* every client transaction of the leg */
    struct stx *reinv;      /* a re-INVITE of the peer awaiting its ACK */
    char *ack;              /* operator leg: the ACK for its 2xx, owned */
    size_t ack_len;
    /* Media. */
    struct rtp_sock *rtp;
    struct sw_addr media; /* the peer's RTP address */
    int have_media;
    uint8_t pt; /* payload type this peer receives */
    int te_pt;  /* its telephone-event type, -1 none */
    uint16_t seq;
    uint32_t ts, ssrc;
    enum play_kind play;
    size_t play_pos;
    struct leg *play_next, *play_prev; /* list of legs being played to */
    int playing;
    int play_held; /* 1: nothing sent until released (before the ACK) */
    struct bh_dtmf_rx dtmf;
    struct leg *next; /* operator legs of a call */
};

enum call_state {
    CALL_IVR,       /* answered, menu playing, collecting a digit */
    CALL_HOLDING,   /* no queue: announcement, line held */
    CALL_WAITING,   /* in the queue, music on hold */
    CALL_CONNECTED, /* talking to an operator */
    CALL_ENDED
};

struct number;

struct call {
    uint64_t id;
    struct sw_hnode node; /* by id */
    char idkey[24];
    struct bh_switch *sw;
    struct number *num;
    enum call_state state;
    int line;
    int op; /* operator connected, -1 */
    double arrival, answer, connect, queued;
    struct leg caller;
    struct leg *ops; /* operator legs ringing or connected, owned */
    struct stx *inv; /* the caller's INVITE transaction; NULL when gone */
    struct event ivr_timer;
    int ivr_armed;
    char called[128], from_user[128];
    enum bh_outcome outcome;
    int final_status;
};

/* An operator's contact (static), resolved at start without DNS. */
struct sw_operator {
    char uri[SW_URI_MAX];
    struct sw_addr addr;
};

struct number {
    const struct bh_sc_number *cfg; /* borrowed from the scenario */
    int index;
    struct bh_switch_lines *lines; /* owned */
    struct bh_switch_acd *acd;     /* owned, NULL without a queue */
    int noperators;
    struct sw_operator *ops; /* owned */
    struct event acd_timer;
    int acd_armed;
    struct bh_switch *sw;
};

struct sw_registration {
    char user[BH_SC_MAX_NAME];
    char contact[SW_URI_MAX];
    double expires; /* s (monotonic) */
};

/* ---- the switch -------------------------------------------------------- */

struct bh_switch {
    const struct bh_sc_switch *cfg;
    struct event_base *base;
    struct evhttp *http;
    struct event *sigint, *sigterm, *play_timer, *flush_ev;
    int sip_fd;
    struct event *sip_ev;
    struct sw_addr local;
    char local_host[80]; /* "127.0.0.1" or "[::1]" for Via/Contact */
    uint16_t local_port;
    char media_ip[BH_SDP_ADDR_MAX]; /* for SDP c= (no brackets) */
    struct bh_cdr *cdr;
    struct bh_switch_metrics m;
    size_t nnumbers;
    struct number *numbers; /* owned */
    struct sw_htab stx, ctx, dialogs, calls;
    uint64_t next_call;
    uint64_t rnd; /* xorshift state for tags and branches */
    double mono0, epoch0;
    struct rtp_sock *rtp_free;
    size_t rtp_open;
    struct leg *playing; /* legs being sent announcement/music */
    struct sw_sound tone, music, prompt_tone;
    struct sw_sound *wavs;      /* owned, one per number: announcement/music */
    struct sw_registration regs[SW_MAX_REGISTRATIONS];
    size_t nregs;
    uint8_t nonce_secret[32];
    int stopping, verbose;
    /* Overload: the 20 ms media tick measures how late the loop runs. */
    double last_tick;      /* s, when the tick last ran */
    int late_ticks;        /* consecutive ticks more than SW_LAG_MAX late */
    double overload_until; /* s; new INVITEs get 503 until then */
    struct bh_sip_msg msg; /* the message being handled (large) */
    struct stx *cur;       /* its server transaction, NULL for ACK */
    char *rxbuf;           /* owned, RECV_BATCH datagrams */
    char out[BH_SWITCH_MAX_MSG + 1024]; /* scratch for building */
    uint8_t ulaw2alaw[256], alaw2ulaw[256];
};

/* switch.c */
double sw_now(const struct bh_switch *sw);
uint64_t sw_random(struct bh_switch *sw);
void sw_log(struct bh_switch *sw, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sw_addr_parse(const char *host, uint16_t port, struct sw_addr *out);
void sw_addr_format(const struct sw_addr *a, char *host, size_t size,
                    uint16_t *port);
/* The address of a sip:/sips: URI whose host is a literal IP (no DNS);
 * BH_EPARSE or BH_EINVAL otherwise. */
int sw_uri_addr(const char *uri, struct sw_addr *out);

/* transport (switch.c): sends a datagram on the SIP socket. */
void sw_send(struct bh_switch *sw, const struct sw_addr *to, const char *buf,
             size_t len);

/* sip.c: the message handler and the one place SIP answers are chosen. */
void sw_sip_receive(struct bh_switch *sw, const char *buf, size_t len,
                    const struct sw_addr *from);

/* Why a request is refused; sw_answer maps each to its status. */
enum sw_why {
    WHY_OK,              /* 200 */
    WHY_TRYING,          /* 100 */
    WHY_BAD_REQUEST,     /* 400: malformed */
    WHY_UNAUTHORIZED,    /* 401 with a challenge */
    WHY_FORBIDDEN,       /* 403: wrong credentials */
    WHY_NOT_FOUND,       /* 404: no such number */
    WHY_NOT_ALLOWED,     /* 405: known method we do not accept */
    WHY_NO_ACCEPT,       /* 406: Accept excludes the SDP we must send */
    WHY_UNSUPP_MEDIA,    /* 415: a body that is not SDP */
    WHY_UNSUPP_URI,      /* 416: not a sip/sips/tel URI */
    WHY_BAD_EXTENSION,   /* 420: Require names an extension we lack */
    WHY_INTERVAL_BRIEF,  /* 423 */
    WHY_NO_TXN,          /* 481: no such dialog or transaction */
    WHY_LOOP,            /* 483: Max-Forwards exhausted */
    WHY_BUSY,            /* 486: all lines busy, queue full */
    WHY_TERMINATED,      /* 487: cancelled */
    WHY_NOT_ACCEPTABLE,  /* 488: no common codec */
    WHY_SERVER_ERROR,    /* 500 */
    WHY_NOT_IMPLEMENTED, /* 501: unknown method */
    WHY_UNAVAILABLE,     /* 503: out of resources, shutting down */
    WHY_VERSION,         /* 505 */
    WHY_TOO_LARGE,       /* 513 */
    WHY_RINGING          /* 180 */
};

/* Builds and sends the response `why` to the request sw->msg from `from`
 * through its server transaction st (may be NULL for stateless answers),
 * with our To tag (may be empty), optional extra headers (CRLF-separated
 * lines, or NULL) and an optional SDP body. Returns the status sent. */
int sw_answer(struct bh_switch *sw, struct stx *st, const struct sw_addr *from,
              enum sw_why why, const char *to_tag, const char *extra,
              const char *sdp, size_t sdp_len);
/* RFC 3261 18.2.2: where a response to the request goes. */
void sw_response_target(const struct bh_sip_msg *m, const struct sw_addr *src,
                        struct sw_addr *out);

/* txn.c */
struct stx *sw_stx_find(struct bh_switch *sw, const struct bh_sip_msg *m,
                        int for_ack_or_cancel);
struct stx *sw_stx_new(struct bh_switch *sw, const struct bh_sip_msg *m,
                       const struct sw_addr *from);
/* Records the response just built (buf) as the transaction's last and
 * moves it to its next state (17.2.1 / 17.2.2 / RFC 6026). */
void sw_stx_responded(struct stx *st, const char *buf, size_t len, int status);
/* An ACK for the transaction's final response arrived. */
void sw_stx_ack(struct stx *st);
void sw_stx_free(struct stx *st);
/* Creates a client transaction and sends req (copied); timers A/B or E/F
 * per method. The branch must already be in the request's Via. */
struct ctx *sw_ctx_send(struct bh_switch *sw, struct leg *leg,
                        enum bh_sip_method method, const char *branch,
                        const struct sw_addr *to, const char *req, size_t len);
void sw_ctx_response(struct bh_switch *sw, const struct bh_sip_msg *m);
void sw_ctx_detach(struct ctx *c);
void sw_ctx_free(struct ctx *c);

/* call.c */
void sw_call_invite(struct bh_switch *sw, const struct sw_addr *from);
void sw_call_in_dialog(struct bh_switch *sw, const struct sw_addr *from,
                       struct leg *leg);
void sw_call_cancel(struct bh_switch *sw, const struct sw_addr *from);
/* A response to a request the leg sent (from txn.c). */
void sw_leg_response(struct leg *leg, enum bh_sip_method method,
                     const struct bh_sip_msg *m);
/* A client transaction of the leg timed out (B or F). */
void sw_leg_timeout(struct leg *leg, enum bh_sip_method method);
/* The caller never ACKed our 2xx (RFC 3261 13.3.1.4): end the call. */
void sw_call_ack_timeout(struct call *c);
void sw_call_acked(struct call *c);
struct leg *sw_dialog_find(struct bh_switch *sw, const struct bh_sip_msg *m);
void sw_number_poll(struct number *n);
void sw_calls_shutdown(struct bh_switch *sw);
/* A DTMF digit the caller sent as an RFC 4733 event (from media.c). */
void sw_media_digit(struct bh_switch *sw, struct leg *leg, char digit);
/* The leg media is relayed to (the connected other side), or NULL. */
struct leg *sw_leg_peer(struct leg *leg);
void sw_cdr_flush(struct bh_switch *sw);

/* media.c */
int sw_media_init(struct bh_switch *sw);
void sw_media_fini(struct bh_switch *sw);
int sw_rtp_open(struct bh_switch *sw, struct leg *leg);
void sw_rtp_close(struct bh_switch *sw, struct leg *leg);
void sw_play(struct bh_switch *sw, struct leg *leg, enum play_kind k);
void sw_play_stop(struct bh_switch *sw, struct leg *leg);
/* Holds (1) or releases (0) a leg's sound without losing its place. */
void sw_play_hold(struct bh_switch *sw, struct leg *leg, int hold);
/* The SDP we offer or answer with, for a leg. */
int sw_sdp_local(struct bh_switch *sw, struct leg *leg, char *buf, size_t size,
                 const uint8_t *pts, size_t npt);

/* register.c */
void sw_register(struct bh_switch *sw, struct stx *st,
                 const struct sw_addr *from);
/* The registered contact of user, or NULL. */
const char *sw_registered(struct bh_switch *sw, const char *user);

/* http.c */
int sw_http_start(struct bh_switch *sw, const char *hostport, char *err,
                  size_t errlen);

#endif
