/* call.h: the call core (leg.c, call.c, media.c) and the seam services
 * plug into.
 *
 * The core knows SIP dialogs and RTP, not what a number or a bridge is. A
 * call is the caller's leg (we answered its INVITE: the UAS side of a
 * back-to-back user agent) plus any legs the service places toward other
 * peers (client INVITEs). A service (number.c; next, bridge.c) owns its
 * calls: it is asked whether it serves a Request-URI, takes the INVITE,
 * and builds its behaviour from the functions below, which answer, play,
 * collect digits, place and end legs, connect media and write CDR rows.
 * The core calls a service only through its struct sw_service_ops. */
#ifndef BH_SWITCH_CALL_H
#define BH_SWITCH_CALL_H

#include "internal.h"

/* ---- legs ---------------------------------------------------------------- */

enum leg_state {
    LEG_NEW,
    LEG_EARLY,     /* outgoing leg: INVITE sent */
    LEG_CONFIRMED, /* 2xx/ACK */
    LEG_DONE       /* BYE or CANCEL sent or received */
};

/* Where a leg's received RTP goes (other than digits taken out of it):
 * pkt is the whole packet (len bytes, the sink may rewrite it in place),
 * h its parsed header. */
typedef void (*sw_media_sink)(struct leg *from, uint8_t *pkt, size_t len,
                              const struct bh_rtp_hdr *h, void *arg);

/* Ways digits reach a service (sw_leg_digits). */
enum {
    SW_DIGITS_EVENTS = 1, /* RFC 4733 telephone-events in the RTP */
    SW_DIGITS_INFO = 2,   /* SIP INFO, application/dtmf(-relay) */
    SW_DIGITS_INBAND = 4  /* tones in the G.711 audio (Q.23/Q.24) */
};

/* One RTP socket, reused through a free list. gen counts its owners, so
 * that code holding a leg across a service callback sees it was closed. */
struct rtp_sock {
    int fd;
    uint16_t port;
    struct event ev;
    struct bh_switch *sw;
    struct leg *leg; /* NULL while free */
    unsigned gen;
    int unwatched; /* its event is off: a service reads it (sw_rtp_poll) */
    struct rtp_sock *next_free;
};

struct leg {
    struct call *call;
    int is_caller;
    int slot; /* the service's name for an outgoing leg (numbers: the
                 operator); -1 for the caller */
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
    int acked;              /* caller leg: our 2xx was ACKed */
    struct ctx *invite_ctx; /* outgoing leg: our INVITE */
    struct ctx *ctxs;       /* every client transaction of the leg */
    struct stx *reinv;      /* a re-INVITE of the peer awaiting its ACK */
    char *ack;              /* outgoing leg: the ACK for its 2xx, owned */
    size_t ack_len;
    /* Media. */
    struct rtp_sock *rtp;
    struct sw_addr media; /* the peer's RTP address */
    int have_media;
    int on_hold; /* the peer's last SDP holds us (sendonly, inactive) */
    uint8_t pt;  /* payload type this peer receives */
    int te_pt;   /* its telephone-event type, -1 none */
    uint16_t seq;
    uint32_t ts, ssrc;
    sw_media_sink sink; /* NULL: received audio is dropped */
    void *sink_arg;
    /* Sound being played (media.c): sound once, then `then` in a loop
     * (NULL: silence after it). */
    const struct sw_sound *sound, *then;
    size_t play_pos;
    struct leg *play_next, *play_prev; /* list of legs being played to */
    int playing;
    int play_held; /* 1: nothing sent until released (before the ACK) */
    /* Digits. */
    unsigned digits; /* SW_DIGITS_* collected now */
    struct bh_dtmf_rx dtmf;
    struct bh_dtmf_detector *inband; /* owned, while collecting in-band */
    struct leg *next;                /* outgoing legs of a call */
};

/* ---- calls --------------------------------------------------------------- */

/* Why a call ends, for the service's on_end (the reasons of switch.h,
 * counted there and named in the CDR). */
enum sw_end {
    SW_END_SERVICE = BH_SWITCH_END_SERVICE,   /* the service (it knows the
                                                 outcome and its reason) */
    SW_END_CALLER_BYE = BH_SWITCH_END_BYE,    /* the caller hung up */
    SW_END_NO_ACK = BH_SWITCH_END_NO_ACK,     /* our 2xx was never ACKed
                                                 (RFC 3261 13.3.1.4) */
    SW_END_SHUTDOWN = BH_SWITCH_END_SHUTDOWN, /* the switch stops */
    /* The core's guards (call.c, switch.timers): */
    SW_END_RTP_TIMEOUT = BH_SWITCH_END_RTP_TIMEOUT,         /* caller silent */
    SW_END_SESSION_EXPIRED = BH_SWITCH_END_SESSION_EXPIRED, /* RFC 4028 */
    SW_END_MAX_DURATION = BH_SWITCH_END_MAX_DURATION        /* max_call */
};

/* A call's guards: what ends a call that would never end on its own
 * (switch.timers). Times in s on sw_now's clock; INFINITY when off. */
struct sw_guard {
    struct event ev; /* one timer, at the earliest deadline */
    int armed;
    double rtp_last; /* the caller's last RTP packet (or the ACK) */
    int rtp_on;      /* watching the caller's RTP (after the ACK) */
    int rtp_seen;    /* a packet came from the caller */
    double max_end;  /* arrival + max_call */
    /* RFC 4028 session timer of the caller's dialog. */
    double se;         /* the interval, s; 0: no session timer */
    int we_refresh;    /* we are the refresher (refresher=uas) */
    int peer_timer;    /* the caller supports (or required) "timer" */
    double refresh_at; /* when we send the next refresh (UPDATE) */
    double expires;    /* the session ends unless refreshed by then */
};

/* A call. Services embed it as the first member of their own call
 * structure (sw_call_new allocates that size), and reach theirs by a
 * cast. */
struct call {
    uint64_t id;
    struct sw_hnode node; /* by id */
    char idkey[24];
    struct bh_switch *sw;
    struct sw_service *svc; /* the service that owns the call */
    int ended;
    double arrival, answer; /* s since start; answer -1 until the 2xx */
    int final_status;       /* final SIP status sent to the caller */
    int leg_status;         /* final status of the last outgoing leg that
                               failed (408 for timer B), for on_leg_failed */
    struct leg caller;
    struct leg *legs;   /* outgoing legs, owned */
    struct stx *inv;    /* the caller's INVITE transaction; NULL when gone */
    struct event timer; /* the service's (sw_call_arm) */
    int timer_armed;
    struct sw_guard guard; /* the core's (RTP, session timer, max_call) */
    char called[128], from_user[128]; /* user parts: Request-URI, From */
    char from_addr[64]; /* where the INVITE came from, "ip:port", for logs */
};

/* ---- the seam: a service ------------------------------------------------
 * Every operation may be called only from the switch's loop. Those taking
 * a call may end it (sw_call_end); the core touches neither the call nor
 * the leg after such a callback returns. */
struct sw_service_ops {
    const char *name; /* "number" */
    /* The scenario's switch section it serves ("numbers", "bridges",
     * "extensions"): a section no service claims gets a warning at
     * start. NULL: none. */
    const char *section;
    /* Builds the service's targets from the scenario (svc->sw->cfg) into
     * svc->state. Returns 0, or a negative code with a message in err. */
    int (*init)(struct sw_service *svc, char *err, size_t errlen);
    /* Frees svc->state (also after a failed init); calls are gone. */
    void (*fini)(struct sw_service *svc);
    /* The target the Request-URI's user part names, or NULL. */
    void *(*match)(struct sw_service *svc, struct bh_str user);
    /* The core refused an INVITE for target before the service saw it
     * (overload, call limit): the service writes its CDR row. */
    void (*on_refused)(struct sw_service *svc, void *target,
                       const struct sw_req *req, int status,
                       enum bh_outcome outcome);
    /* A new INVITE for target: the service refuses it (sw_reply) or
     * creates a call (sw_call_new) and answers or refuses that. */
    void (*on_invite)(struct sw_service *svc, void *target,
                      const struct sw_req *req);
    /* An outgoing leg answered: the core ACKed the 2xx and applied its SDP
     * (usable: 0 when the answer had no usable media). The service keeps
     * the leg (sw_leg_connect ...) or ends it (sw_leg_end). */
    void (*on_leg_answered)(struct call *c, struct leg *leg, int usable);
    /* The outgoing leg `slot` failed before it answered (a non-2xx final,
     * or timer B: no answer at all, c->leg_status says which); the core
     * has freed it. */
    void (*on_leg_failed)(struct call *c, int slot);
    /* Optional: the peer of this outgoing leg hung up and the core is
     * about to free the leg: the service lets go of what points at it (a
     * conference room). Then on_leg_ended. */
    void (*on_leg_leaving)(struct call *c, struct leg *leg);
    /* The peer of the outgoing leg `slot` hung up (BYE, answered 200);
     * the core has freed the leg. */
    void (*on_leg_ended)(struct call *c, int slot);
    /* Optional: the caller hung up (BYE). A service that keeps the call
     * going without it (an ad-hoc conference whose customer and another
     * employee remain) returns 1: the caller's leg is done and its RTP
     * and session no longer watched, and the call lasts until the service
     * ends it. 0 (or no function): the call ends, SW_END_CALLER_BYE. */
    int (*on_caller_bye)(struct call *c);
    /* A digit ('0'-'9', '*', '#', 'A'-'D') on a leg collecting them. */
    void (*on_digit)(struct call *c, struct leg *leg, char digit);
    /* The call's timer (sw_call_arm) fired. */
    void (*on_timer)(struct call *c);
    /* Optional (NULL: the caller's CANCEL is answered 200 and the call
     * goes on, for services that answer at once). The caller CANCELled
     * an INVITE the service has not answered finally yet; the CANCEL got
     * its 200, the service answers the INVITE 487 and ends the call. */
    void (*on_cancel)(struct call *c);
    /* The call ends (once): the service releases what it holds and writes
     * its CDR row (sw_call_record). Then the core ends the outgoing legs
     * (BYE or CANCEL), sends the caller BYE if the dialog is up, and frees
     * the call. */
    void (*on_end)(struct call *c, enum sw_end why);
};

/* ---- calls: the core offers (call.c) ------------------------------------- */

/* A call for the INVITE req, owned by svc: `size` bytes (at least struct
 * call, which comes first), zeroed; the caller leg takes its dialog state
 * from the request (RFC 3261 12.1.1) and our tag. NULL when out of memory
 * (the service then answers 500). */
struct call *sw_call_new(const struct sw_req *req, struct sw_service *svc,
                         size_t size);
/* Opens the caller leg's RTP socket and prepares our SDP: the answer to
 * the INVITE's offer, or an offer when it had none (RFC 3261 13.2.1, the
 * answer then comes in the ACK). Returns 0 with the SDP in sdp (len
 * bytes); on failure answers 488, 400 or 500 itself and returns < 0 (the
 * service then ends the call). */
int sw_call_negotiate(struct call *c, const struct sw_req *req, char *sdp,
                      size_t size, size_t *len);
/* A final refusal of the call's INVITE with our To tag; returns the
 * status (also kept as the call's final_status). */
int sw_call_refuse(struct call *c, const struct sw_req *req, enum sw_why why);
/* Answers the INVITE with 200 and the SDP of sw_call_negotiate: the
 * dialog is up; sounds played to the caller wait for its ACK. */
void sw_call_answer(struct call *c, const struct sw_req *req, const char *sdp,
                    size_t len);
/* Ends the call (see on_end); `reason` is the Reason header of the
 * caller's BYE (RFC 3326), or NULL. Harmless on an ended call. */
void sw_call_end(struct call *c, enum sw_end why, const char *reason);
/* The call with this id, or NULL. */
struct call *sw_call_find(struct bh_switch *sw, uint64_t id);
/* RFC 4028 for a re-INVITE or UPDATE of the caller: 1 when its
 * Session-Expires is below our Min-SE (answered 422 here, before its offer
 * is looked at), else 0. */
int sw_call_session_refused(const struct sw_req *req);
/* The session is refreshed by the 2xx about to be sent (renegotiated when
 * the request says Session-Expires); the headers of that 2xx are written
 * into extra. */
void sw_call_session_refresh(struct call *c, const struct sw_req *req,
                             char *extra, size_t size);
/* The answer to our refresh (or any UPDATE) in the caller's dialog:
 * status 0 when it timed out. 2xx refreshes; 408, 481 or no answer end
 * the call (RFC 4028 10). */
void sw_call_refresh_answered(struct call *c, int status);
/* The caller's media changed (hold, resume): its silence counts anew. */
void sw_call_media_changed(struct call *c);
/* The call's one timer: on_timer fires `seconds` from now (re-arming
 * moves it); disarm cancels it. */
void sw_call_arm(struct call *c, double seconds);
void sw_call_disarm(struct call *c);
/* The final row of a call (or of an INVITE refused before it became one):
 * counts its outcome, queues it for the CDR store (committed at the end of
 * this loop turn with the other rows of the turn, before any answer or
 * BYE of the turn goes out) and hands its record to the owner's sink. */
void sw_call_record(struct bh_switch *sw, const struct bh_cdr_row *row);
/* The final row of an INVITE refused before it became a call: row comes
 * with the service's fields and its arrival (now); the rest (end, the
 * request's users and Call-ID, status, outcome, reason) is filled from
 * req here, then recorded as sw_call_record does. */
void sw_call_record_refused(struct bh_switch *sw, struct bh_cdr_row *row,
                            const struct sw_req *req, int status,
                            enum bh_outcome outcome, const char *reason);
/* The row of a call in progress (state "up"), written when it is answered
 * (and updated when it connects): a crash leaves it, marked unfinished by
 * the next run, instead of nothing. The final row replaces it (same id). */
void sw_call_record_up(struct bh_switch *sw, const struct bh_cdr_row *row);
/* The level of a number's lines and operators changed (for the sink). */
void sw_call_level(struct bh_switch *sw, int target_kind, int target, int busy,
                   int agents_busy);
/* The call's billing end after a guard ended it: the caller's last RTP
 * packet for rtp-timeout (a ghost is not billed for its silence), else
 * now. */
double sw_call_billed_end(const struct call *c, enum sw_end why, double now);

/* ---- legs: the core offers (leg.c) --------------------------------------- */

/* What an outgoing INVITE says. */
struct sw_invite {
    const char *target;         /* Request-URI and To: the peer's URI */
    const struct sw_addr *addr; /* where it goes (no DNS) */
    const char *subject;        /* Subject header, or NULL */
};

/* Places an outgoing leg of the call (a client INVITE, RFC 3261 17.1.1)
 * offering the caller's codec first; its answer comes to on_leg_answered,
 * its failure to on_leg_failed. NULL if it could not be sent (no RTP
 * socket, out of memory): nothing to clean up. */
struct leg *sw_leg_invite(struct call *c, int slot,
                          const struct sw_invite *inv);
/* The outgoing leg with this slot, or NULL. */
struct leg *sw_leg_find(struct call *c, int slot);
/* Ends an outgoing leg: BYE in a dialog, CANCEL before it (RFC 3261 9.1),
 * and frees it (its transactions finish on their own). */
void sw_leg_end(struct leg *leg);
/* Sends BYE, UPDATE or CANCEL in the leg's dialog, with one optional extra
 * header (name and value, or NULLs): Reason (RFC 3326), Subject. */
void sw_leg_request(struct leg *leg, enum bh_sip_method method,
                    const char *hname, const char *hvalue);

/* ---- media: the core offers (media.c) ------------------------------------ */

/* Relays media between two legs, both ways, transcoding G.711 law to law
 * when their codecs differ (media anchoring). */
void sw_leg_connect(struct leg *a, struct leg *b);
/* Sends a leg's received audio to sink (a mixer), or nowhere (NULL).
 * Undoes a connection of the leg. */
void sw_leg_attach(struct leg *leg, sw_media_sink sink, void *arg);
/* Collects digits on the leg in the given ways (SW_DIGITS_*, 0: stop);
 * each comes once to on_digit. BH_ENOMEM if the in-band detector cannot
 * be had (the other ways still apply). */
int sw_leg_digits(struct leg *leg, unsigned how);

/* A WAV file (8000 Hz mono, 16-bit PCM or G.711, at most 16 MB) as a
 * sound: 0, BH_ENOENT, BH_EPARSE, BH_EUNSUPP or BH_ENOMEM. */
int sw_sound_wav(struct sw_sound *s, const char *path);
/* A sound of tones: nsteps (frequency Hz, duration ms) steps, 0 Hz for
 * silence, e.g. {{425, 1000}, {0, 500}}: 0 or BH_ENOMEM, BH_EINVAL when
 * shorter than a frame. */
int sw_sound_tones(struct sw_sound *s, const int (*steps)[2], size_t nsteps);
void sw_sound_free(struct sw_sound *s);
/* Plays `sound` to the leg from its start, then `then` in a loop (NULL:
 * silence after it); both borrowed, they must outlive the playing. */
void sw_play(struct bh_switch *sw, struct leg *leg,
             const struct sw_sound *sound, const struct sw_sound *then);
void sw_play_stop(struct bh_switch *sw, struct leg *leg);
/* Holds (1) or releases (0) a leg's sound without losing its place. */
void sw_play_hold(struct bh_switch *sw, struct leg *leg, int hold);
/* A service that reads a leg's socket on its own tick (conf.c's mixer)
 * takes it out of the loop's watch (on = 0): no wakeup per packet; back
 * in with 1 (also done when the socket is closed). */
void sw_rtp_watch(struct bh_switch *sw, struct leg *leg, int on);
/* Reads what waits on the socket (recvmmsg, a batch at a time, at most
 * 64 packets) and handles each packet as the loop would (guard, symmetric
 * RTP, digits, the sink). A digit may end calls: handling stops once the
 * socket's owner changes (gen). Returns the packets read. */
int sw_rtp_poll(struct rtp_sock *r);
/* Sends one 20 ms frame (already in the leg's payload type) to the leg. */
void sw_leg_send_audio(struct bh_switch *sw, struct leg *leg,
                       const uint8_t *payload, size_t n, int marker);

/* ---- inside the core ----------------------------------------------------- */

/* leg.c */
void sw_dialog_add(struct bh_switch *sw, struct leg *leg);
void sw_leg_route_set(const struct bh_sip_msg *m, struct leg *leg, int reverse);
/* Applies an SDP body (offer or answer) to a leg's media; for an offer,
 * writes our answer into answer (alen bytes). Returns 0, BH_EUNSUPP (no
 * common codec) or another error. */
int sw_leg_sdp(struct bh_switch *sw, struct leg *leg,
               const struct bh_sip_msg *m, int is_offer, char *answer,
               size_t asize, size_t *alen);
/* Releases what a leg holds (dialog, sound, sink, RTP socket; its client
 * transactions are detached); the leg's memory stays. */
void sw_leg_free(struct bh_switch *sw, struct leg *leg);
/* call.c: the caller ACKed our 2xx; a digit heard on a leg (media.c) or
 * in an INFO (leg.c) goes to the service. */
void sw_call_acked(struct call *c);
void sw_leg_digit(struct leg *leg, char digit);

/* media.c */
int sw_rtp_open(struct bh_switch *sw, struct leg *leg);
void sw_rtp_close(struct bh_switch *sw, struct leg *leg);
/* The SDP we offer or answer with, for a leg. */
int sw_sdp_local(struct bh_switch *sw, struct leg *leg, char *buf, size_t size,
                 const uint8_t *pts, size_t npt);
/* Frees the in-band detector of a leg. */
void sw_leg_inband_stop(struct leg *leg);

#endif
