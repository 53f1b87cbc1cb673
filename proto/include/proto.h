/* proto.h: SIP, SDP, RTP/RTCP, G.711, DTMF, digest and jitter buffer. */
#ifndef BH_PROTO_H
#define BH_PROTO_H

/* The protocol library of busyhour. Buffers in, buffers out: nothing here
 * opens a socket, reads a clock or draws a random number. Times and random
 * values are passed in by the caller (switch/, traffic/).
 *
 * Memory: every struct bh_str filled by a parser is a VIEW into the buffer
 * given to that parser (borrowed; valid while that buffer lives and is not
 * modified). Builders write into a caller-owned buffer. Nothing in this
 * header allocates, except where a comment says so.
 *
 * Errors: functions return 0 (or a documented non-negative value) or a
 * negative BH_E* code from bh.h. */

#include "bh.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Bounded sizes                                                       */
/* ------------------------------------------------------------------ */

#define BH_SIP_MAX_MSG 65535  /* bytes in one message (UDP datagram) */
#define BH_SIP_MAX_HEADERS 96 /* header lines in one message */
#define BH_SIP_MAX_VIA 70     /* Via entries: a hop each for Max-Forwards 70 */
#define BH_SIP_MAX_ROUTE 16   /* Route / Record-Route entries */
#define BH_SIP_MAX_CONTACT 16 /* Contact entries */
#define BH_SIP_CSEQ_MAX 2147483647u /* RFC 3261 8.1.1.5: < 2^31 */
#define BH_SIP_MAX_FORWARDS_MAX 255 /* RFC 3261 20.22: 0..255 */
#define BH_SIP_TOKEN_MAX 48         /* branch / tag / Call-ID we generate */

/* ------------------------------------------------------------------ */
/* SIP: methods and header names                                       */
/* ------------------------------------------------------------------ */

enum bh_sip_method {
    BH_SIP_UNKNOWN = 0, /* an extension method; see method_name */
    BH_SIP_INVITE,
    BH_SIP_ACK,
    BH_SIP_BYE,
    BH_SIP_CANCEL,
    BH_SIP_REGISTER,
    BH_SIP_OPTIONS,
    BH_SIP_INFO,
    BH_SIP_UPDATE,
    BH_SIP_PRACK,
    BH_SIP_SUBSCRIBE,
    BH_SIP_NOTIFY,
    BH_SIP_REFER,
    BH_SIP_MESSAGE,
    BH_SIP_METHOD_COUNT
};

/* "INVITE", ...; "" for BH_SIP_UNKNOWN. Static storage. */
const char *bh_sip_method_name(enum bh_sip_method m);
/* Case-sensitive (RFC 3261 7.1: method names are case-sensitive). */
enum bh_sip_method bh_sip_method_from(struct bh_str name);

/* Header names the parser recognises, by long or compact form (RFC 3261
 * 7.3.3 and 20). Anything else is BH_SIP_H_OTHER, still findable by name. */
enum bh_sip_hdr {
    BH_SIP_H_OTHER = 0,
    BH_SIP_H_VIA,     /* v */
    BH_SIP_H_FROM,    /* f */
    BH_SIP_H_TO,      /* t */
    BH_SIP_H_CALL_ID, /* i */
    BH_SIP_H_CSEQ,
    BH_SIP_H_CONTACT, /* m */
    BH_SIP_H_MAX_FORWARDS,
    BH_SIP_H_ROUTE,
    BH_SIP_H_RECORD_ROUTE,
    BH_SIP_H_CONTENT_LENGTH,   /* l */
    BH_SIP_H_CONTENT_TYPE,     /* c */
    BH_SIP_H_CONTENT_ENCODING, /* e */
    BH_SIP_H_EXPIRES,
    BH_SIP_H_AUTHORIZATION,
    BH_SIP_H_WWW_AUTHENTICATE,
    BH_SIP_H_PROXY_AUTHENTICATE,
    BH_SIP_H_PROXY_AUTHORIZATION,
    BH_SIP_H_SUPPORTED, /* k */
    BH_SIP_H_REQUIRE,
    BH_SIP_H_PROXY_REQUIRE,
    BH_SIP_H_ALLOW,
    BH_SIP_H_SUBJECT, /* s */
    BH_SIP_H_USER_AGENT,
    BH_SIP_H_EVENT,    /* o */
    BH_SIP_H_REFER_TO, /* r */
    BH_SIP_H_DATE,
    BH_SIP_H_COUNT
};

/* Canonical long name ("Call-ID"); static storage. */
const char *bh_sip_hdr_name(enum bh_sip_hdr h);
/* Case-insensitive, long or compact form. */
enum bh_sip_hdr bh_sip_hdr_from(struct bh_str name);

/* One header line. value is trimmed of leading/trailing whitespace but
 * may still contain folded line breaks (CRLF followed by SP/HT, RFC 3261
 * 7.3.1); every parser in this library treats such a fold as LWS. */
struct bh_sip_header {
    enum bh_sip_hdr id;
    struct bh_str name;  /* as written, view */
    struct bh_str value; /* view */
};

/* ------------------------------------------------------------------ */
/* URIs and name-addr (RFC 3261 19, 20.10, 25.1; RFC 3966 for tel)      */
/* ------------------------------------------------------------------ */

enum bh_uri_scheme {
    BH_URI_OTHER = 0, /* any other absoluteURI (e.g. http:, mailto:) */
    BH_URI_SIP,
    BH_URI_SIPS,
    BH_URI_TEL
};

/* Parsed URI; all views, still %-escaped as written. For tel: URIs
 * `user` holds the telephone-subscriber number and `host` is empty. */
struct bh_sip_uri {
    enum bh_uri_scheme scheme;
    struct bh_str raw;      /* the whole URI */
    struct bh_str scheme_s; /* "sip", "sips", "tel", ... */
    struct bh_str user;     /* empty when absent */
    struct bh_str password; /* empty when absent */
    struct bh_str host;     /* hostname, IPv4, or "[IPv6]" with brackets */
    uint16_t port;          /* 0 when absent */
    int has_port;
    struct bh_str params;  /* after the first ';' up to '?', no ';' */
    struct bh_str headers; /* after '?', no '?' */
};

/* Parses a URI (no surrounding '<' '>' and no LWS). Strict: a sip/sips URI
 * must have a host; escapes must be %HH. Returns 0 or BH_EPARSE. */
int bh_sip_uri_parse(struct bh_str s, struct bh_sip_uri *uri);

/* Finds parameter `name` (case-insensitive) in a ';'-separated list such
 * as uri->params or a header's generic params. Returns 1 and sets *value
 * (empty for a flag parameter like "lr") when found, else 0. value may be
 * NULL. */
int bh_sip_param(struct bh_str params, const char *name, struct bh_str *value);

/* Decodes %HH escapes of `in` into out (size bytes). The result may hold
 * NUL bytes (RFC 4475 escnull); it is NOT NUL-terminated. Returns the
 * decoded length, BH_EPARSE for a bad escape, BH_ETOOBIG when out is too
 * small. */
int bh_sip_unescape(struct bh_str in, char *out, size_t size);

/* The reverse for building a user part: every byte that is not
 * unreserved / user-unreserved (RFC 3261 25.1 "user") becomes %HH, so
 * that any string (even with NUL, '@' or ':') can be a SIP user. Writes
 * no NUL. Returns the length or BH_ETOOBIG. */
int bh_sip_escape_user(struct bh_str in, char *out, size_t size);

/* RFC 3261 19.1.4 URI comparison (sip/sips): case-insensitive scheme and
 * host, escapes decoded, user and password case-sensitive, port, and the
 * transport/user/ttl/method/maddr parameters. Returns 1 equal, 0 not. */
int bh_sip_uri_equal(const struct bh_sip_uri *a, const struct bh_sip_uri *b);

/* name-addr / addr-spec with header parameters, as in From, To, Contact,
 * Route and Record-Route (RFC 3261 20.10). */
struct bh_sip_nameaddr {
    struct bh_str display; /* without the quotes; quoted-pairs still
                              escaped; empty when absent */
    int display_quoted;    /* 1 when it was a quoted-string */
    struct bh_sip_uri uri;
    struct bh_str params; /* header params after the URI, no ';' */
    struct bh_str tag;    /* value of ;tag=, empty when absent */
};

/* Parses one name-addr or addr-spec (with params). Returns 0 or
 * BH_EPARSE. RFC 3261 20.10: with an addr-spec, params after ';' belong
 * to the header, not the URI. */
int bh_sip_nameaddr_parse(struct bh_str s, struct bh_sip_nameaddr *na);

/* ------------------------------------------------------------------ */
/* SIP message                                                         */
/* ------------------------------------------------------------------ */

/* One Via entry (RFC 3261 20.42, 18.2.1, RFC 3581). */
struct bh_sip_via {
    struct bh_str raw;       /* the whole via-parm, view */
    struct bh_str protocol;  /* "SIP/2.0" */
    struct bh_str transport; /* "UDP", "TCP", "TLS", ... */
    struct bh_str host;      /* sent-by host ("[v6]" keeps brackets) */
    uint16_t port;           /* 0 when absent */
    struct bh_str params;    /* all params, no leading ';' */
    struct bh_str branch;    /* empty when absent */
    struct bh_str received;  /* empty when absent */
    int has_rport;           /* rport present (with or without value) */
    uint16_t rport;          /* its value, 0 when given without one */
};

/* A parsed message. Header lines are split and a few headers are parsed
 * eagerly because strict validation needs them (Via, From, To, Call-ID,
 * CSeq, Max-Forwards, Content-Length, Content-Type); the others are kept
 * as raw views and parsed on demand (bh_sip_contacts, bh_sip_routes,
 * bh_sip_nameaddr_parse, bh_digest_parse_*). Everything is a view into
 * `buf`. The struct is large (about 13.5 KB): keep it off small stacks or
 * reuse one. */
struct bh_sip_msg {
    const char *buf; /* borrowed: the datagram */
    size_t len;      /* bytes of the datagram */
    size_t msg_len;  /* bytes used: start line through body; any bytes
                        after that are ignored (RFC 3261 18.3) */
    int is_request;

    /* Request line (is_request). */
    enum bh_sip_method method;
    struct bh_str method_name;
    struct bh_sip_uri ruri;

    /* Status line (!is_request). */
    int status;           /* 100..699 */
    struct bh_str reason; /* may be empty (RFC 4475 noreason) */

    struct bh_str version; /* "SIP/2.0" */

    struct bh_sip_header headers[BH_SIP_MAX_HEADERS];
    size_t nheaders;

    struct bh_sip_via via[BH_SIP_MAX_VIA]; /* in message order; via[0] is
                                              the top Via */
    size_t nvia;

    struct bh_sip_nameaddr from, to;
    struct bh_str call_id;
    uint32_t cseq; /* < 2^31 */
    enum bh_sip_method cseq_method;
    struct bh_str cseq_method_name;
    int max_forwards;           /* 0..255, -1 when absent */
    long content_length;        /* -1 when absent */
    struct bh_str content_type; /* empty when absent */
    struct bh_str body;         /* view, may be empty */
};

/* Where and why a parse failed. what is a short static English phrase
 * ("bad CSeq number"); hdr names the header involved (BH_SIP_H_OTHER
 * when it is the start line or an unknown header). */
struct bh_sip_error {
    size_t offset; /* byte offset into the buffer */
    const char *what;
    enum bh_sip_hdr hdr;
};

/* Parses one SIP message from a datagram of len bytes. Strict:
 *  - start line per RFC 3261 7.1/7.2, single SP separators; version
 *    must be SIP/2.0 (else BH_EUNSUPP, the switch answers 505);
 *  - mandatory headers present (8.1.1: To, From, CSeq, Call-ID, Via;
 *    Max-Forwards is not required, for RFC 2543 peers);
 *  - CSeq number < 2^31 and CSeq method equal to the request method
 *    (BH_ERANGE / BH_EPARSE);
 *  - Max-Forwards 0..255 (BH_ERANGE);
 *  - Content-Length within the datagram (18.3; BH_ERANGE); when absent
 *    the body runs to the end of the datagram (UDP);
 *  - at most one of each single-valued header (To, From, Call-ID, CSeq,
 *    Max-Forwards, Content-Length, Content-Type).
 * Returns 0, BH_EPARSE, BH_ERANGE, BH_EUNSUPP or BH_ETOOBIG (more than
 * BH_SIP_MAX_HEADERS headers or BH_SIP_MAX_VIA Vias, or len >
 * BH_SIP_MAX_MSG). On failure *err (may be NULL) says where, and the
 * fields of *m other than buf and len are unspecified. buf need not
 * be NUL-terminated and may contain NUL bytes; it must outlive m. */
int bh_sip_parse(const char *buf, size_t len, struct bh_sip_msg *m,
                 struct bh_sip_error *err);

/* Header lookup by name (long or compact, case-insensitive). Returns the
 * first header after `after` (NULL: from the start), or NULL. */
const struct bh_sip_header *
bh_sip_header_find(const struct bh_sip_msg *m, const char *name,
                   const struct bh_sip_header *after);
/* Same, by id (faster). */
const struct bh_sip_header *
bh_sip_header_next(const struct bh_sip_msg *m, enum bh_sip_hdr id,
                   const struct bh_sip_header *after);

/* Contact entries (lazy). *star is set to 1 for "Contact: *" (REGISTER,
 * RFC 3261 10.2.2). Returns the number of entries (>= 0) or BH_EPARSE /
 * BH_ETOOBIG (more than max). */
int bh_sip_contacts(const struct bh_sip_msg *m, struct bh_sip_nameaddr *out,
                    size_t max, int *star);

/* Route (id BH_SIP_H_ROUTE) or Record-Route (BH_SIP_H_RECORD_ROUTE)
 * entries in message order, comma lists split (lazy). Returns the count
 * or BH_EPARSE / BH_ETOOBIG / BH_EINVAL. */
int bh_sip_routes(const struct bh_sip_msg *m, enum bh_sip_hdr id,
                  struct bh_sip_nameaddr *out, size_t max);

/* Expires header as seconds; returns 0 and sets *seconds, BH_ENOENT when
 * absent, BH_EPARSE / BH_ERANGE when malformed. */
int bh_sip_expires(const struct bh_sip_msg *m, uint32_t *seconds);

/* ------------------------------------------------------------------ */
/* SIP builder                                                         */
/* ------------------------------------------------------------------ */

/* Writes a message into a caller-owned buffer. Errors are sticky: after
 * the first overflow (BH_ETOOBIG) or bad argument (BH_EINVAL) every call
 * is a no-op and bh_sip_build_finish returns the error. Order of calls is
 * the order of lines in the message: start line, headers, then finish. */
struct bh_sip_builder {
    char *buf; /* borrowed */
    size_t size;
    size_t len;
    int err;
};

void bh_sip_build_init(struct bh_sip_builder *b, char *buf, size_t size);
/* "METHOD uri SIP/2.0". method_name is used for BH_SIP_UNKNOWN. */
void bh_sip_build_request(struct bh_sip_builder *b, enum bh_sip_method method,
                          const char *method_name, struct bh_str ruri);
/* "SIP/2.0 status reason"; reason NULL: the RFC 3261 21 phrase. */
void bh_sip_build_status(struct bh_sip_builder *b, int status,
                         const char *reason);
/* Via: SIP/2.0/<transport> host[:port];branch=<branch>[;rport]
 * (RFC 3261 8.1.1.7: branch must start with "z9hG4bK"; RFC 3581). port 0
 * leaves the port out. */
void bh_sip_build_via(struct bh_sip_builder *b, const char *transport,
                      struct bh_str host, uint16_t port, struct bh_str branch,
                      int rport);
/* Any header, value written as given. */
void bh_sip_build_header(struct bh_sip_builder *b, const char *name,
                         struct bh_str value);
void bh_sip_build_headerf(struct bh_sip_builder *b, const char *name,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* From/To/Contact/Route/Record-Route style: name: ["display"] <uri>
 * [;tag=tag]. display and tag may be empty. The display name is quoted
 * and '"' and '\' in it escaped (RFC 3261 25.1 quoted-pair). */
void bh_sip_build_nameaddr(struct bh_sip_builder *b, const char *name,
                           struct bh_str display, struct bh_str uri,
                           struct bh_str tag);
void bh_sip_build_cseq(struct bh_sip_builder *b, uint32_t cseq,
                       enum bh_sip_method method, const char *method_name);
/* Copies every header of `m` with id `id` as written (Route and
 * Record-Route keep their order: RFC 3261 16.6, 12.1.1). */
void bh_sip_build_copy(struct bh_sip_builder *b, const struct bh_sip_msg *m,
                       enum bh_sip_hdr id);
/* RFC 3261 8.2.6.2: status line, then copies of every Via (in order),
 * From, To (adding ;tag=to_tag when the request's To has no tag and
 * to_tag is not empty; 100 Trying never gets one), Call-ID and CSeq from
 * the request; and Record-Route for 2xx/18x to a dialog-creating INVITE
 * (12.1.1). The caller adds Contact etc. and then calls finish. */
void bh_sip_build_response(struct bh_sip_builder *b,
                           const struct bh_sip_msg *req, int status,
                           const char *reason, struct bh_str to_tag);
/* Same, and applies RFC 3261 18.2.1 / RFC 3581 4 to the top Via with the
 * request's source address: adds ;received=src_ip when it differs from
 * the sent-by host (or when rport was asked), fills an empty ;rport with
 * src_port; an old received param is replaced. src_ip empty and
 * src_port 0: plain copy. */
void bh_sip_build_response_src(struct bh_sip_builder *b,
                               const struct bh_sip_msg *req, int status,
                               const char *reason, struct bh_str to_tag,
                               struct bh_str src_ip, uint16_t src_port);
/* Ends the headers: Content-Type (if content_type is not NULL and the
 * body is not empty), Content-Length computed from body, the empty line
 * and the body. Returns the message length (> 0) or the sticky error. */
int bh_sip_build_finish(struct bh_sip_builder *b, const char *content_type,
                        struct bh_str body);

/* Tokens from caller randomness (proto draws none). Writes a
 * NUL-terminated token into out[BH_SIP_TOKEN_MAX]:
 * branch: "z9hG4bK" + 16 hex digits of rnd; tag and Call-ID: 16 hex. */
void bh_sip_make_branch(char *out, uint64_t rnd);
void bh_sip_make_tag(char *out, uint64_t rnd);

/* The RFC 3261 21 reason phrase for a status code ("" if unknown). */
const char *bh_sip_reason(int status);

/* ------------------------------------------------------------------ */
/* Digest authentication (RFC 2617, RFC 8760, RFC 3261 22)             */
/* ------------------------------------------------------------------ */

enum bh_digest_alg {
    BH_DIGEST_MD5 = 0,   /* RFC 2617 */
    BH_DIGEST_SHA256 = 1 /* RFC 8760 */
};

#define BH_DIGEST_HEX_MAX 65   /* hex digest + NUL (SHA-256: 64) */
#define BH_DIGEST_NONCE_MAX 65 /* nonce from bh_digest_nonce_make + NUL */

/* A WWW-/Proxy-Authenticate challenge (views into the header value;
 * quoted values without their quotes). */
struct bh_digest_challenge {
    struct bh_str realm, nonce, opaque, qop, algorithm, domain;
    enum bh_digest_alg alg;
    int stale;
};

/* An Authorization / Proxy-Authorization credential (views). */
struct bh_digest_credentials {
    struct bh_str username, realm, nonce, uri, response, cnonce, nc, qop,
        opaque, algorithm;
    enum bh_digest_alg alg;
};

/* Parse "Digest k=v, k="v", ..." header values. Unknown parameters are
 * skipped; an unknown algorithm is BH_EUNSUPP; missing realm/nonce (or
 * username/uri/response for credentials) is BH_EPARSE. */
int bh_digest_parse_challenge(struct bh_str value,
                              struct bh_digest_challenge *c);
int bh_digest_parse_credentials(struct bh_str value,
                                struct bh_digest_credentials *c);

/* Stateless nonces: hex(now_s) ":" hex(HMAC-SHA256(secret, now_s)) cut to
 * 32 hex digits, so a server checks a nonce with only its secret and the
 * clock value it passes in. Writes a NUL-terminated nonce into
 * out[BH_DIGEST_NONCE_MAX]. Returns 0 or BH_EINVAL. */
int bh_digest_nonce_make(char *out, const uint8_t *secret, size_t secret_len,
                         uint64_t now_s);
/* 0 when the nonce is ours and younger than max_age_s; BH_EAUTH when
 * forged or malformed; BH_ESTATE when genuine but stale (answer with
 * stale=true, RFC 2617 3.2.1). */
int bh_digest_nonce_check(struct bh_str nonce, const uint8_t *secret,
                          size_t secret_len, uint64_t now_s,
                          uint64_t max_age_s);

/* Writes a challenge header value: Digest realm="..", nonce="..",
 * algorithm=MD5|SHA-256, qop="auth"[, stale=true]. Returns length or
 * BH_ETOOBIG. */
int bh_digest_build_challenge(char *buf, size_t size, struct bh_str realm,
                              struct bh_str nonce, enum bh_digest_alg alg,
                              int stale);

/* RFC 2617 3.2.2.1 request-digest into out[BH_DIGEST_HEX_MAX] (lower
 * hex, NUL-terminated). qop empty: the RFC 2069 form without nc/cnonce.
 * Returns 0 or BH_EINVAL / BH_ENOMEM (libcrypto failure). */
int bh_digest_response(enum bh_digest_alg alg, struct bh_str username,
                       struct bh_str realm, struct bh_str password,
                       struct bh_str method, struct bh_str uri,
                       struct bh_str nonce, struct bh_str nc,
                       struct bh_str cnonce, struct bh_str qop, char *out);

/* Client: answers challenge c with qop=auth (when offered) and writes the
 * Authorization header value. cnonce comes from the caller (randomness),
 * nc is the nonce count (1 for the first use). Returns length or error. */
int bh_digest_build_credentials(char *buf, size_t size,
                                const struct bh_digest_challenge *c,
                                struct bh_str username, struct bh_str password,
                                struct bh_str method, struct bh_str uri,
                                struct bh_str cnonce, uint32_t nc);

/* Server: recomputes the response with the stored password and compares
 * it in constant time. Returns 0 when it matches, BH_EAUTH when not. The
 * nonce is checked separately with bh_digest_nonce_check. */
int bh_digest_verify(const struct bh_digest_credentials *c,
                     struct bh_str method, struct bh_str password);

/* ------------------------------------------------------------------ */
/* SDP (RFC 4566) and offer/answer for audio (RFC 3264)                 */
/* ------------------------------------------------------------------ */

#define BH_SDP_MAX_MEDIA 8
#define BH_SDP_MAX_FMT 16
#define BH_SDP_ADDR_MAX 64

/* Static payload types and the dynamic one we offer for RFC 4733. */
#define BH_RTP_PT_PCMU 0
#define BH_RTP_PT_PCMA 8
#define BH_RTP_PT_TELEPHONE_EVENT 101

enum bh_sdp_dir {
    BH_SDP_SENDRECV = 0,
    BH_SDP_SENDONLY,
    BH_SDP_RECVONLY,
    BH_SDP_INACTIVE
};

struct bh_sdp_fmt {
    uint8_t pt;             /* 0..127 */
    struct bh_str encoding; /* from a=rtpmap ("PCMU"), or empty */
    uint32_t clock_rate;    /* from a=rtpmap, 0 when unknown */
    struct bh_str fmtp;     /* a=fmtp value, empty when absent */
};

struct bh_sdp_media {
    struct bh_str type;  /* "audio" */
    uint16_t port;       /* 0: stream rejected/disabled */
    struct bh_str proto; /* "RTP/AVP" */
    struct bh_sdp_fmt fmt[BH_SDP_MAX_FMT];
    size_t nfmt;
    struct bh_str conn_addr; /* media c= or the session's; view */
    int ptime;               /* ms, 0 when absent */
    enum bh_sdp_dir dir;     /* media attribute, else the session's */
};

/* A parsed session description (views into the body). */
struct bh_sdp {
    struct bh_str origin_user;
    uint64_t sess_id, sess_version;
    struct bh_str origin_addr;
    struct bh_str session_name;
    struct bh_str conn_addr; /* session-level c=, empty when absent */
    enum bh_sdp_dir dir;     /* session-level direction */
    struct bh_sdp_media media[BH_SDP_MAX_MEDIA];
    size_t nmedia;
};

/* Parses an SDP body. Lines end in CRLF or LF; order v, o, s, ... per
 * RFC 4566 5 is checked for v/o/s; each m= needs a connection address
 * (session or media level). Returns 0, BH_EPARSE (with *err_offset set
 * when not NULL), BH_ERANGE, or BH_ETOOBIG. */
int bh_sdp_parse(const char *buf, size_t len, struct bh_sdp *s,
                 size_t *err_offset);

/* Our side of an audio stream, owned values, for building. */
struct bh_sdp_audio {
    char addr[BH_SDP_ADDR_MAX]; /* IPv4 dotted or IPv6 literal */
    uint16_t port;              /* 0 rejects the stream */
    uint8_t pt[4];              /* codecs in preference order (0, 8) */
    size_t npt;
    int te_pt; /* telephone-event payload type, -1 none */
    int ptime; /* ms, 0 to leave out */
    enum bh_sdp_dir dir;
    uint64_t sess_id, sess_version;
};

/* Writes one audio session (v/o/s/c/t/m/a=rtpmap/fmtp/ptime/direction).
 * Returns length or BH_ETOOBIG / BH_EINVAL. */
int bh_sdp_build_audio(char *buf, size_t size, const struct bh_sdp_audio *a);

/* The agreed media after offer/answer. */
struct bh_sdp_plan {
    uint8_t pt;          /* the codec both sides send */
    int te_pt;           /* telephone-event PT, -1 none */
    int ptime;           /* ms (20 when not given) */
    enum bh_sdp_dir dir; /* OUR direction */
    char remote_addr[BH_SDP_ADDR_MAX];
    uint16_t remote_port;
    int hold; /* the peer put us on hold */
};

/* Answerer (RFC 3264 6): picks the first audio stream, the first offered
 * codec that `local` supports, telephone-event if both have it, mirrors
 * the direction (sendonly -> recvonly, recvonly -> sendonly, inactive ->
 * inactive, sendrecv -> local->dir). Fills *answer (from local, with the
 * chosen codec only) and *plan. Returns 0, BH_EUNSUPP when no common
 * codec (answer 488), BH_ENOENT when no audio stream. */
int bh_sdp_answer(const struct bh_sdp *offer, const struct bh_sdp_audio *local,
                  struct bh_sdp_audio *answer, struct bh_sdp_plan *plan);

/* Offerer: applies the peer's answer to what we offered. Returns 0,
 * BH_EUNSUPP (answer picked a codec we did not offer), BH_ENOENT. */
int bh_sdp_accept(const struct bh_sdp *answer, const struct bh_sdp_audio *offer,
                  struct bh_sdp_plan *plan);

/* 1 when a stream puts the other side on hold: sendonly, inactive, or
 * the RFC 2543 connection address 0.0.0.0 (RFC 3264 8.4). */
int bh_sdp_is_hold(const struct bh_sdp_media *m);

/* ------------------------------------------------------------------ */
/* RTP and RTCP (RFC 3550)                                              */
/* ------------------------------------------------------------------ */

#define BH_RTP_HEADER_LEN 12
#define BH_RTP_MAX_PACKET 1500

struct bh_rtp_hdr {
    uint8_t version; /* 2 */
    uint8_t padding; /* 0/1 */
    uint8_t extension;
    uint8_t cc; /* CSRC count */
    uint8_t marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint32_t csrc[15];
    const uint8_t *payload; /* view into the packet (parse) */
    size_t payload_len;     /* padding and extension excluded */
};

/* Parses an RTP packet: version 2, CSRCs, header extension (skipped),
 * padding (5.1: the last octet counts padding, must fit). Returns 0 or
 * BH_EPARSE. */
int bh_rtp_parse(const uint8_t *buf, size_t len, struct bh_rtp_hdr *h);
/* Writes header (no extension, no padding) and payload. Returns length
 * or BH_ETOOBIG / BH_EINVAL. h->payload is ignored. */
int bh_rtp_build(uint8_t *buf, size_t size, const struct bh_rtp_hdr *h,
                 const uint8_t *payload, size_t payload_len);

/* Wrap-around arithmetic (RFC 3550 A.1, RFC 1982). diff(a, b) is a - b
 * as a signed distance: positive when a is after b. */
static inline int32_t
bh_rtp_seq_diff(uint16_t a, uint16_t b) {
    return (int32_t)(int16_t)(uint16_t)(a - b);
}
static inline int64_t
bh_rtp_ts_diff(uint32_t a, uint32_t b) {
    return (int64_t)(int32_t)(uint32_t)(a - b);
}

/* Receiver state for one source (RFC 3550 A.1, A.3, A.8). */
struct bh_rtp_stats {
    uint32_t ssrc;
    uint16_t max_seq;
    uint32_t cycles; /* shifted count of seq cycles (<< 16) */
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t probation;
    uint32_t received;
    uint32_t expected_prior;
    uint32_t received_prior;
    int64_t transit; /* last relative transit, RTP units */
    int have_transit;
    double jitter;       /* RTP timestamp units (A.8) */
    uint32_t duplicates; /* informational */
};

/* Starts tracking from the first packet (A.1 init_seq; probation 0: we
 * trust a signalled stream at once). */
void bh_rtp_stats_init(struct bh_rtp_stats *s, uint32_t ssrc, uint16_t seq);
/* Feeds one packet; arrival is the arrival time in the stream's RTP
 * clock units (caller converts its clock). Returns 0, or 1 when the
 * packet was judged invalid by A.1 update_seq (big jump) and dropped. */
int bh_rtp_stats_update(struct bh_rtp_stats *s, uint16_t seq, uint32_t ts,
                        uint32_t arrival);
uint32_t bh_rtp_stats_ext_max(const struct bh_rtp_stats *s);
uint32_t bh_rtp_stats_expected(const struct bh_rtp_stats *s);
/* Cumulative lost (A.3), clamped to the 24-bit signed RTCP field. */
int32_t bh_rtp_stats_lost(const struct bh_rtp_stats *s);
/* Jitter in RTP units, as sent in a report block. */
uint32_t bh_rtp_stats_jitter(const struct bh_rtp_stats *s);

enum bh_rtcp_type {
    BH_RTCP_SR = 200,
    BH_RTCP_RR = 201,
    BH_RTCP_SDES = 202,
    BH_RTCP_BYE = 203,
    BH_RTCP_APP = 204
};

struct bh_rtcp_rb {
    uint32_t ssrc;
    uint8_t fraction_lost; /* fixed point /256 */
    int32_t cum_lost;      /* 24-bit signed */
    uint32_t ext_max_seq;
    uint32_t jitter;
    uint32_t lsr;
    uint32_t dlsr; /* units of 1/65536 s */
};

/* One SR or RR (sr fields zero for RR). */
struct bh_rtcp_report {
    uint8_t type; /* BH_RTCP_SR or BH_RTCP_RR */
    uint32_t ssrc;
    uint32_t ntp_sec, ntp_frac, rtp_ts, packet_count, octet_count;
    struct bh_rtcp_rb rb[31];
    size_t nrb;
};

/* Fills a report block from stats and advances the interval counters
 * (A.3 fraction lost). lsr/dlsr come from the caller's SR bookkeeping. */
void bh_rtp_stats_report_block(struct bh_rtp_stats *s, uint32_t lsr,
                               uint32_t dlsr, struct bh_rtcp_rb *rb);

/* Parses a compound RTCP packet (6.1: version 2, lengths consistent, the
 * first packet SR or RR). SR/RR packets go into out (up to max); other
 * packet types are validated and skipped. Returns the number of reports
 * (>= 0) or BH_EPARSE / BH_ETOOBIG. */
int bh_rtcp_parse(const uint8_t *buf, size_t len, struct bh_rtcp_report *out,
                  size_t max);
/* Writes one SR or RR (per r->type). Returns length or an error. */
int bh_rtcp_build(uint8_t *buf, size_t size, const struct bh_rtcp_report *r);

/* ------------------------------------------------------------------ */
/* G.711 (ITU-T G.711; spandsp's implementation)                       */
/* ------------------------------------------------------------------ */

uint8_t bh_g711_ulaw_encode(int16_t linear);
int16_t bh_g711_ulaw_decode(uint8_t code);
uint8_t bh_g711_alaw_encode(int16_t linear);
int16_t bh_g711_alaw_decode(uint8_t code);
/* Block forms for a frame of n samples; pt is BH_RTP_PT_PCMU or _PCMA.
 * Return 0 or BH_EINVAL for another pt. */
int bh_g711_encode(uint8_t pt, const int16_t *in, uint8_t *out, size_t n);
int bh_g711_decode(uint8_t pt, const uint8_t *in, int16_t *out, size_t n);

/* ------------------------------------------------------------------ */
/* DTMF as RTP events (RFC 4733)                                        */
/* ------------------------------------------------------------------ */

struct bh_dtmf_event {
    uint8_t event;     /* 0-9, 10 '*', 11 '#', 12-15 A-D (4733 3.2) */
    uint8_t end;       /* E bit */
    uint8_t volume;    /* 0..63, -dBm0 */
    uint16_t duration; /* RTP timestamp units */
};

/* Payload is 4 bytes (RFC 4733 2.3). Parse returns 0 or BH_EPARSE. */
int bh_dtmf_parse(const uint8_t *p, size_t len, struct bh_dtmf_event *ev);
int bh_dtmf_build(uint8_t *p, size_t size, const struct bh_dtmf_event *ev);
/* '0'..'9','*','#','A'..'D' <-> 0..15; -1 / 0 for anything else. */
int bh_dtmf_from_char(char c);
char bh_dtmf_to_char(uint8_t event);

/* Receiver: reports each digit once, on its first packet, whatever
 * duplicates, retransmitted end packets or reordering follow (4733
 * 2.5.2). An event is identified by its RTP timestamp. */
struct bh_dtmf_rx {
    int have_last;
    uint32_t last_ts; /* timestamp of the last reported event */
};
void bh_dtmf_rx_init(struct bh_dtmf_rx *rx);
/* h is the parsed RTP packet carrying the event payload. Returns 1 and
 * sets *digit for a new event, 0 for a continuation/duplicate, or
 * BH_EPARSE. */
int bh_dtmf_rx_packet(struct bh_dtmf_rx *rx, const struct bh_rtp_hdr *h,
                      char *digit);

/* Sender: one event as a train of packets every `step` timestamp units
 * (160 = 20 ms at 8 kHz) until `duration`, then the end packet sent
 * three times (4733 2.5.1.4). All packets carry the event's start
 * timestamp; the first has the marker bit. */
struct bh_dtmf_tx {
    uint8_t event;
    uint8_t volume;
    uint32_t ts;
    uint16_t duration, step, sent;
    int ends_left;
    int first;
};
/* Returns 0 or BH_EINVAL (not a DTMF char, step 0). */
int bh_dtmf_tx_start(struct bh_dtmf_tx *tx, char digit, uint32_t ts,
                     uint16_t duration, uint16_t step);
/* Writes the next 4-byte payload into p and whether to set the marker.
 * Returns 1 when a packet was written, 0 when the event is finished. */
int bh_dtmf_tx_next(struct bh_dtmf_tx *tx, uint8_t *p, int *marker);

/* In-band DTMF (tones in the audio, ITU-T Q.23/Q.24) through spandsp's
 * detector and generator, for peers that send no RFC 4733 events. The
 * handles are opaque and own spandsp state: _new allocates (NULL when out
 * of memory), _free releases; freeing NULL is harmless. Audio is 16-bit
 * linear at 8 kHz. */
struct bh_dtmf_detector;
struct bh_dtmf_detector *bh_dtmf_detector_new(void);
void bh_dtmf_detector_free(struct bh_dtmf_detector *d);
/* Feeds n samples; writes the digits completed in them into digits as a
 * NUL-terminated string (at most size - 1). Returns the number written,
 * or BH_EINVAL. */
int bh_dtmf_detect(struct bh_dtmf_detector *d, const int16_t *pcm, size_t n,
                   char *digits, size_t size);

struct bh_dtmf_generator;
struct bh_dtmf_generator *bh_dtmf_generator_new(void);
void bh_dtmf_generator_free(struct bh_dtmf_generator *g);
/* Queues digits ("0-9*#A-D") to play, 50 ms tone and 55 ms pause each
 * (spandsp's defaults). Returns 0, BH_EINVAL for another character,
 * BH_ETOOBIG when the queue (128 digits) is full. */
int bh_dtmf_generate_queue(struct bh_dtmf_generator *g, const char *digits);
/* Writes the next n samples of tones, silence when the queue is empty.
 * Returns the number of samples that carried tones or pauses between
 * them (0 when idle). */
int bh_dtmf_generate(struct bh_dtmf_generator *g, int16_t *pcm, size_t n);

/* ------------------------------------------------------------------ */
/* Adaptive jitter buffer                                              */
/* ------------------------------------------------------------------ */

#define BH_JITTER_SLOTS 64      /* frames held at most */
#define BH_JITTER_FRAME_MAX 480 /* payload bytes per frame (60 ms G.711) */

/* The caller pulls one frame per frame interval (e.g. every 20 ms) and
 * pushes packets as they arrive; times are the caller's clock in RTP
 * timestamp units (passed in; proto reads no clock). The playout delay
 * adapts between min and max to the measured jitter (RFC 3550 A.8
 * estimate, target = 3 * jitter + one frame, rounded up to frames),
 * growing as the estimate grows (felt when the buffer refills, at the
 * start or after an underrun) and shrinking by dropping one frame
 * when the buffer has held more than the target for a while. */
struct bh_jitter_frame {
    uint16_t seq;
    uint32_t ts;
    uint8_t pt;
    uint8_t marker;
    size_t len;
    uint8_t data[BH_JITTER_FRAME_MAX];
};

struct bh_jitter_stats {
    uint64_t pushed, played, lost, late, duplicate, reordered, dropped,
        overflow, underruns;
};

/* About 32 KB (the frames are copied in): one per call leg, allocated
 * with the leg. */
struct bh_jitter {
    struct bh_jitter_frame slot[BH_JITTER_SLOTS];
    uint8_t used[BH_JITTER_SLOTS];
    uint32_t frame_ts; /* RTP units per frame (160) */
    uint32_t min_frames, max_frames, target_frames;
    int started; /* playout has begun */
    int have_next;
    uint16_t next_seq;   /* next sequence number to play */
    uint16_t high_seq;   /* highest sequence number received */
    size_t depth;        /* frames held */
    uint32_t over_count; /* pulls in a row with depth > target */
    int have_transit;
    int64_t transit;
    double jitter; /* RTP units */
    struct bh_jitter_stats stats;
};

/* frame_ts: RTP units per frame (> 0); min/max delay in frames
 * (1 <= min <= max <= BH_JITTER_SLOTS / 2). Returns 0 or BH_EINVAL. */
int bh_jitter_init(struct bh_jitter *jb, uint32_t frame_ts, uint32_t min_frames,
                   uint32_t max_frames);
/* Stores a copy of the packet's payload. Returns 0 when stored, 1 when
 * discarded as late or duplicate (counted in stats), BH_ETOOBIG when
 * the payload exceeds BH_JITTER_FRAME_MAX. */
int bh_jitter_put(struct bh_jitter *jb, const struct bh_rtp_hdr *h,
                  uint32_t arrival);

enum bh_jitter_result {
    BH_JITTER_EMPTY = 0, /* still buffering or idle: play silence */
    BH_JITTER_FRAME = 1, /* *out holds the next frame */
    BH_JITTER_LOST = 2   /* the next frame is missing: conceal it */
};
/* Pulls the frame for this interval. */
enum bh_jitter_result bh_jitter_get(struct bh_jitter *jb,
                                    struct bh_jitter_frame *out);

#endif
