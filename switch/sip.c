/* sip.c: the SIP message handler: parse, route to transactions, dialogs
 * and methods, and the one place where the switch chooses its answers. */
#include "internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO, UPDATE"
/* The extensions we support: RFC 4028 session timers. */
#define SUPPORTED "timer"

/* 1 when one option-tag of a Require value is one we support. */
static int
supported_tag(const char *p, size_t n) {
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n == 5 && strncasecmp(p, "timer", 5) == 0;
}

/* Calls fn for each option-tag of every Require header (RFC 3261 20.32:
 * a comma-separated list). */
static int
each_required(const struct bh_sip_msg *m,
              int (*fn)(const char *p, size_t n, void *arg), void *arg) {
    const struct bh_sip_header *h = NULL;
    while ((h = bh_sip_header_next(m, BH_SIP_H_REQUIRE, h)) != NULL) {
        const char *p = h->value.p, *end = p + h->value.len;
        while (p <= end) {
            const char *c = memchr(p, ',', (size_t)(end - p));
            if (!c)
                c = end;
            if (fn(p, (size_t)(c - p), arg))
                return 1;
            p = c + 1;
        }
    }
    return 0;
}

static int
is_unsupported(const char *p, size_t n, void *arg) {
    return !supported_tag(p, n);
}

static int
add_unsupported(const char *p, size_t n, void *arg) {
    if (!supported_tag(p, n)) {
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        bh_sip_build_header(arg, "Unsupported", bh_str_make(p, n));
    }
    return 0;
}

/* RFC 3261 8.2.2.3: a 420 lists what we do not support of what the
 * request required. */
static void
unsupported(struct bh_sip_builder *b, const struct bh_sip_msg *m) {
    each_required(m, add_unsupported, b);
}

/* Every answer the switch gives, in one table (STYLE.md). */
static const struct {
    enum sw_why why;
    int status;
} answers[] = {
    {WHY_TRYING, 100},
    {WHY_RINGING, 180},
    {WHY_OK, 200},
    {WHY_BAD_REQUEST, 400},
    {WHY_UNAUTHORIZED, 401},
    {WHY_FORBIDDEN, 403},
    {WHY_NOT_FOUND, 404},
    {WHY_NOT_ALLOWED, 405},
    {WHY_NO_ACCEPT, 406},
    {WHY_UNSUPP_MEDIA, 415},
    {WHY_UNSUPP_URI, 416},
    {WHY_BAD_EXTENSION, 420},
    {WHY_SESSION_TOO_SMALL, 422},
    {WHY_INTERVAL_BRIEF, 423},
    {WHY_OFFLINE, 480},
    {WHY_NO_TXN, 481},
    {WHY_LOOP, 483},
    {WHY_BUSY, 486},
    {WHY_TERMINATED, 487},
    {WHY_NOT_ACCEPTABLE, 488},
    {WHY_SERVER_ERROR, 500},
    {WHY_NOT_IMPLEMENTED, 501},
    {WHY_UNAVAILABLE, 503},
    {WHY_VERSION, 505},
    {WHY_TOO_LARGE, 513},
};

static int
status_of(enum sw_why why) {
    for (size_t i = 0; i < sizeof answers / sizeof *answers; i++)
        if (answers[i].why == why)
            return answers[i].status;
    return 500;
}

void
sw_response_target(const struct bh_sip_msg *m, const struct sw_addr *src,
                   struct sw_addr *out) {
    /* RFC 3261 18.2.2 for unreliable unicast: to the address the request
     * came from (what `received` records), at the port of rport (RFC 3581
     * 4) or of the sent-by, or 5060. maddr is not honoured: it may name
     * a host, and the switch never resolves names. */
    *out = *src;
    uint16_t port = 5060;
    if (m->nvia > 0) {
        if (m->via[0].has_rport)
            return; /* the source port */
        if (m->via[0].port)
            port = m->via[0].port;
    }
    if (out->ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&out->ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)&out->ss)->sin_port = htons(port);
}

static void
source_ip(const struct sw_addr *a, char *buf, size_t size, uint16_t *port) {
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
        inet_ntop(AF_INET6, &a6->sin6_addr, buf, (socklen_t)size);
        *port = ntohs(a6->sin6_port);
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->ss;
        inet_ntop(AF_INET, &a4->sin_addr, buf, (socklen_t)size);
        *port = ntohs(a4->sin_port);
    }
}

int
sw_answer(const struct sw_req *req, enum sw_why why, const char *to_tag,
          const char *extra, const char *sdp, size_t sdp_len) {
    struct bh_switch *sw = req->sw;
    const struct bh_sip_msg *m = req->msg;
    const struct sw_addr *from = &req->from;
    struct stx *st = req->st;
    int status = status_of(why);
    if (m->method == BH_SIP_ACK)
        return 0; /* RFC 3261 17.2.1: an ACK gets no response */
    char ip[INET6_ADDRSTRLEN];
    uint16_t sport;
    source_ip(from, ip, sizeof ip, &sport);
    struct bh_sip_builder b;
    bh_sip_build_init(&b, sw->out, sizeof sw->out);
    bh_sip_build_response_src(&b, m, status, NULL,
                              to_tag ? bh_str_make(to_tag, strlen(to_tag))
                                     : BH_STR_NULL,
                              bh_str_make(ip, strlen(ip)), sport);
    bh_sip_build_header(&b, "Server", BH_STR_LIT("busyhour"));
    if (why == WHY_NOT_ALLOWED ||
        (m->method == BH_SIP_OPTIONS && status == 200))
        bh_sip_build_header(&b, "Allow", BH_STR_LIT(ALLOW));
    if (why == WHY_UNSUPP_MEDIA || why == WHY_NO_ACCEPT ||
        (m->method == BH_SIP_OPTIONS && status == 200)) {
        /* RFC 3261 21.4.13 (415), 11.2 (OPTIONS): what we accept. */
        bh_sip_build_header(&b, "Accept", BH_STR_LIT("application/sdp"));
        if (status == 200)
            bh_sip_build_header(&b, "Supported", BH_STR_LIT(SUPPORTED));
    }
    if (why == WHY_BAD_EXTENSION)
        unsupported(&b, m);
    if (why == WHY_UNAVAILABLE)
        bh_sip_build_header(&b, "Retry-After", BH_STR_LIT("5"));
    if (m->method == BH_SIP_INVITE && status > 100 && status < 300)
        bh_sip_build_headerf(&b, "Contact", "<sip:%.*s@%s:%u>",
                             (int)m->ruri.user.len, m->ruri.user.p,
                             sw->local_host, (unsigned)sw->local_port);
    if (extra && *extra) {
        /* extra is whole header lines, each ending in CRLF */
        size_t n = strlen(extra);
        if (b.err == 0 && b.len + n < b.size) {
            memcpy(b.buf + b.len, extra, n);
            b.len += n;
        }
    }
    int len = bh_sip_build_finish(&b, sdp ? "application/sdp" : NULL,
                                  bh_str_make(sdp, sdp ? sdp_len : 0));
    if (len <= 0)
        return 0;
    struct sw_addr to;
    sw_response_target(m, from, &to);
    /* Group commit (call.c): an answer that starts or ends a call waits
     * for the CDR rows of this loop turn. */
    int hold = st && sw_must_hold(sw, m, status);
    if (!hold)
        sw_send(sw, &to, sw->out, (size_t)len);
    if (status < BH_SWITCH_STATUS_SLOTS)
        sw->m.responses_out[status]++;
    if (st) {
        st->peer = to;
        if (hold)
            sw_hold(sw, &st->held);
        sw_stx_responded(st, sw->out, (size_t)len, status);
    }
    return status;
}

int
sw_reply(const struct sw_req *req, enum sw_why why) {
    return sw_answer(req, why, NULL, NULL, NULL, 0);
}

/* ---- answers to messages the parser refused ----------------------------
 * A request we cannot parse still deserves 400 (or 505, 513) when its Via
 * can be found: Via, From, To, Call-ID and CSeq lines are copied as
 * written and the answer goes back to the source address and port. It is
 * stateless: a retransmission gets the same answer again. */

static int
name_is(const char *p, size_t n, const char *lng, char cmp) {
    size_t l = strlen(lng);
    if (n == 1 && (p[0] | 0x20) == cmp)
        return 1;
    if (n != l)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((p[i] | 0x20) != (lng[i] | 0x20))
            return 0;
    return 1;
}

/* The headers an answer to an unparsable request copies, by their long
 * and compact names (RFC 3261 7.3.3), and as they are written back. */
static const struct {
    const char *name;
    char compact;
    const char *out;
} keep[] = {{"via", 'v', "Via"},
            {"from", 'f', "From"},
            {"to", 't', "To"},
            {"call-id", 'i', "Call-ID"},
            {"cseq", 0, "CSeq"}};

#define NKEEP (sizeof keep / sizeof *keep)

/* Copies the value of one kept header (from after its colon to the end
 * of its line, le) into the answer; seen counts each header's lines. */
static void
copy_kept(struct bh_sip_builder *b, size_t k, const char *colon, const char *le,
          int *seen, const struct sw_addr *from) {
    const char *vs = colon + 1, *ve = le;
    while (vs < ve && (*vs == ' ' || *vs == '\t'))
        vs++;
    while (ve > vs && (ve[-1] == '\r' || ve[-1] == '\n' || ve[-1] == ' ' ||
                       ve[-1] == '\t'))
        ve--;
    /* One line per header; a second To/From/Call-ID/CSeq is dropped (the
     * answer must not repeat the ambiguity). */
    if (k > 0 && seen[k])
        return;
    seen[k]++;
    for (const char *c = vs; c < ve; c++)
        if (*c == '\0' || *c == '\r' || *c == '\n')
            return; /* nothing we could write back safely */
    if (vs == ve)
        return;
    if (k == 0 && seen[0] == 1) {
        /* RFC 3261 18.2.1: the top via-parm (up to the first comma)
         * records where the request really came from. */
        char ip[INET6_ADDRSTRLEN];
        uint16_t sport;
        source_ip(from, ip, sizeof ip, &sport);
        const char *comma = memchr(vs, ',', (size_t)(ve - vs));
        const char *ce = comma ? comma : ve;
        bh_sip_build_headerf(b, "Via", "%.*s;received=%s%.*s", (int)(ce - vs),
                             vs, ip, (int)(ve - ce), ce);
        return;
    }
    bh_sip_build_header(b, keep[k].out, bh_str_make(vs, (size_t)(ve - vs)));
}

static void
raw_reject(struct bh_switch *sw, const char *buf, size_t len,
           const struct sw_addr *from, int status) {
    const char *p = buf, *end = buf + len;
    while (p + 1 < end && p[0] == '\r' && p[1] == '\n')
        p += 2;
    if (end - p < 8 || memcmp(p, "SIP/", 4) == 0 || memcmp(p, "ACK ", 4) == 0)
        return; /* a response, or an ACK: never answered */
    int seen[NKEEP] = {0};
    struct bh_sip_builder b;
    bh_sip_build_init(&b, sw->out, sizeof sw->out);
    bh_sip_build_status(&b, status, NULL);
    /* Skip the start line, then walk the header lines (folded lines are
     * kept with their header). */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return;
    p = nl + 1;
    while (p < end && *p != '\r' && *p != '\n') {
        const char *ls = p, *le = p;
        for (;;) {
            const char *q = memchr(le, '\n', (size_t)(end - le));
            le = q ? q + 1 : end;
            if (le >= end || (*le != ' ' && *le != '\t'))
                break;
        }
        p = le;
        const char *colon = memchr(ls, ':', (size_t)(le - ls));
        if (!colon)
            continue;
        const char *ne = colon;
        while (ne > ls && (ne[-1] == ' ' || ne[-1] == '\t'))
            ne--;
        for (size_t k = 0; k < NKEEP; k++)
            if (name_is(ls, (size_t)(ne - ls), keep[k].name, keep[k].compact)) {
                copy_kept(&b, k, colon, le, seen, from);
                break;
            }
    }
    /* Without a Via there is nobody to answer (RFC 3261 18.2.2); the
     * other headers are copied when present (RFC 4475 3.3.1 insuf: a
     * request missing To, From and Call-ID still gets its 400). */
    if (!seen[0])
        return;
    bh_sip_build_header(&b, "Server", BH_STR_LIT("busyhour"));
    int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    if (n <= 0)
        return;
    sw_send(sw, from, sw->out, (size_t)n);
    sw->m.responses_out[status]++;
}

/* RFC 3261 17.2.1: an ACK for a non-2xx final belongs to the INVITE
 * transaction; an ACK for a 2xx is its own request in the dialog
 * (13.2.2.4). An ACK matching nothing is dropped. */
static void
handle_ack(struct sw_req *req) {
    struct bh_switch *sw = req->sw;
    struct stx *st = sw_stx_find(sw, req->msg, 1);
    if (st && (st->state == STX_COMPLETED || st->state == STX_CONFIRMED)) {
        sw_stx_ack(st);
        return;
    }
    struct leg *leg = sw_dialog_find(sw, req->msg);
    if (leg)
        sw_call_in_dialog(req, leg);
}

/* Absorbs a retransmitted request (RFC 3261 17.2.1, 17.2.2): it gets the
 * transaction's last response again (INVITE in Accepted state: absorbed,
 * RFC 6026 7.1; the 2xx is resent by its own timer). */
static void
absorb(struct bh_switch *sw, struct stx *st) {
    sw->m.retransmissions_in++;
    /* A response waiting for the CDR commit is not sent early. */
    if (st->resp && !st->held.next && st->state != STX_ACCEPTED)
        sw_send(sw, &st->peer, st->resp, st->resp_len);
}

/* RFC 3261 8.2 in order: the method (405/501), Max-Forwards (483), the
 * Request-URI scheme (416), Require (420). Answers and returns 1 when the
 * request stops here. */
static int
refused(const struct sw_req *req) {
    const struct bh_sip_msg *m = req->msg;
    switch (m->method) {
    case BH_SIP_INVITE:
    case BH_SIP_BYE:
    case BH_SIP_OPTIONS:
    case BH_SIP_REGISTER:
    case BH_SIP_INFO:
    case BH_SIP_UPDATE:
        break;
    case BH_SIP_UNKNOWN:
        sw_reply(req, WHY_NOT_IMPLEMENTED);
        return 1;
    default:
        sw_reply(req, WHY_NOT_ALLOWED);
        return 1;
    }
    /* RFC 3261 16.3 item 2 / 8.2: Max-Forwards exhausted. The switch
     * forwards calls to operators, so 0 ends here; an OPTIONS with 0 is
     * still answered (RFC 3261 11: probing the next hop). */
    if (m->max_forwards == 0 && m->method != BH_SIP_OPTIONS) {
        sw_reply(req, WHY_LOOP);
        return 1;
    }
    /* RFC 3261 8.2.2.1: a Request-URI scheme we do not serve. */
    if (m->ruri.scheme == BH_URI_OTHER) {
        sw_reply(req, WHY_UNSUPP_URI);
        return 1;
    }
    /* RFC 3261 8.2.2.3: of the extensions a peer may require we support
     * only "timer" (RFC 4028). */
    if (each_required(m, is_unsupported, NULL)) {
        sw_reply(req, WHY_BAD_EXTENSION);
        return 1;
    }
    return 0;
}

/* A request that passed the checks of 8.2: in a dialog (12.2.2) or a
 * method of its own. */
static void
dispatch(const struct sw_req *req) {
    struct bh_switch *sw = req->sw;
    const struct bh_sip_msg *m = req->msg;
    if (m->to.tag.len > 0) {
        /* RFC 3261 12.2.2: in a dialog, or 481. */
        struct leg *leg = sw_dialog_find(sw, m);
        if (!leg)
            sw_reply(req, WHY_NO_TXN);
        else
            sw_call_in_dialog(req, leg);
        return;
    }
    switch (m->method) {
    case BH_SIP_INVITE:
        if (sw->stopping)
            sw_reply(req, WHY_UNAVAILABLE);
        else
            sw_call_invite(req);
        return;
    case BH_SIP_OPTIONS:
        sw_reply(req, WHY_OK);
        return;
    case BH_SIP_REGISTER:
        sw_register(req);
        return;
    default: /* BYE, INFO, UPDATE outside a dialog */
        sw_reply(req, WHY_NO_TXN);
        return;
    }
}

/* Requests answered at once, with nothing to remember: OPTIONS outside a
 * dialog (RFC 3261 11), methods we refuse (405, 501), and BYE, INFO or
 * UPDATE naming no dialog (481). They get no server transaction, so a
 * flood of them costs no memory: a retransmission is answered again, the
 * same way (Kamailio's sl_send_reply). */
static int
stateless(const struct bh_sip_msg *m, int in_dialog) {
    switch (m->method) {
    case BH_SIP_INVITE:
    case BH_SIP_REGISTER:
    case BH_SIP_CANCEL:
        return 0;
    case BH_SIP_OPTIONS:
        return m->to.tag.len == 0;
    case BH_SIP_BYE:
    case BH_SIP_INFO:
    case BH_SIP_UPDATE:
        return !in_dialog;
    default: /* 405 or 501 */
        return 1;
    }
}

/* Kamailio's pike: new work (every request but those of a dialog we
 * have) counts against its source address; a source over source_rate in
 * one second is ignored for source_block s, said once on stderr. Returns
 * 1 when the request is dropped. */
static int
over_limit(struct bh_switch *sw, const struct sw_addr *from) {
    uint8_t key[16];
    size_t klen = sw_addr_key(from, key);
    int rc = sw_limiter_hit(&sw->pike, key, klen, sw_now(sw));
    if (rc == SW_LIMIT_OK)
        return 0;
    sw->m.limit_dropped++;
    if (rc == SW_LIMIT_NEWLY_BLOCKED) {
        sw->m.limit_blocks++;
        sw_filter_changed(sw);
        char who[SW_ADDR_STR];
        sw_addr_str(from, who, sizeof who);
        fprintf(stderr,
                "busyhour switch: source %s sent over %u new requests in "
                "1 s: ignored for %.0f s\n",
                who, (unsigned)sw->pike.max, sw->pike.block);
    }
    return 1;
}

static void
handle_request(struct bh_switch *sw, const struct bh_sip_msg *m,
               const struct sw_addr *from) {
    struct sw_req req = {.sw = sw, .msg = m, .st = NULL, .from = *from};
    /* Requests of the dialogs of calls up (BYE, ACK, re-INVITE ...) are
     * always served: no source limit, and room kept for them in the
     * transaction table. */
    int in_dialog = m->to.tag.len > 0 && sw_dialog_find(sw, m) != NULL;
    if (!in_dialog && m->method != BH_SIP_ACK && over_limit(sw, from))
        return;
    if (m->method == BH_SIP_ACK) {
        handle_ack(&req);
        return;
    }
    /* A retransmission of a request we answered statefully is absorbed
     * first: the BYE whose 200 was lost comes back after its dialog is
     * gone, and must hear that 200 again, not a stateless 481. A CANCEL
     * has a transaction of its own (RFC 3261 9.2), matched apart from the
     * INVITE it cancels. */
    struct stx *st = sw_stx_find(sw, m, 0);
    if (st) {
        absorb(sw, st);
        return;
    }
    if (stateless(m, in_dialog)) {
        sw->m.stateless++;
        if (!refused(&req))
            dispatch(&req);
        return;
    }
    req.st = sw_stx_new(sw, m, from, !in_dialog);
    if (!req.st) {
        sw_reply(&req, WHY_UNAVAILABLE); /* stateless */
        return;
    }
    if (m->method == BH_SIP_CANCEL) {
        sw_call_cancel(&req);
        return;
    }
    if (!refused(&req))
        dispatch(&req);
}

/* 1 when a datagram may belong to one of our dialogs: a response, or a
 * request whose To header (long or compact form) carries a tag. Looked at
 * without parsing, for datagrams of blocked sources. */
static int
may_be_dialog(const char *buf, size_t len) {
    const char *end = buf + len;
    if (len >= 8 && memcmp(buf, "SIP/2.0 ", 8) == 0)
        return 1;
    for (const char *p = buf; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *q = p;
        if (q < le && (*q == 't' || *q == 'T')) {
            q++;
            if (q + 1 < le && (q[0] == 'o' || q[0] == 'O'))
                q++;
            while (q < le && (*q == ' ' || *q == '\t'))
                q++;
            if (q < le && *q == ':') {
                for (const char *t = q; t + 4 <= le; t++)
                    if (memcmp(t, "tag=", 4) == 0)
                        return 1;
                return 0;
            }
        }
        p = le + 1;
    }
    return 0;
}

void
sw_sip_receive(struct bh_switch *sw, const char *buf, size_t len,
               const struct sw_addr *from) {
    if (sw->pike.max > 0) {
        /* A blocked source costs a hash lookup, not a parse: unless the
         * datagram may be in a dialog (then it is parsed, and a request
         * in no dialog of ours is dropped below). */
        uint8_t key[16];
        size_t klen = sw_addr_key(from, key);
        if (sw_limiter_blocked(&sw->pike, key, klen, sw_now(sw)) &&
            !may_be_dialog(buf, len)) {
            sw->m.limit_dropped++;
            return;
        }
    }
    if (len > BH_SWITCH_MAX_MSG) {
        /* RFC 3261 21.5.11 513: the switch bounds what it reads. */
        sw->m.oversize++;
        raw_reject(sw, buf, BH_SWITCH_MAX_MSG, from, 513);
        return;
    }
    /* RFC 5626 3.5.1 keep-alives: bare CRLFs. */
    size_t k = 0;
    while (k < len && (buf[k] == '\r' || buf[k] == '\n'))
        k++;
    if (k == len)
        return;
    struct bh_sip_error err;
    struct bh_sip_msg *m = &sw->rxmsg;
    int rc = bh_sip_parse(buf, len, m, &err);
    if (rc < 0) {
        sw->m.parse_errors++;
        char who[SW_ADDR_STR];
        sw_addr_str(from, who, sizeof who);
        sw_log(sw, "unparsable message from %s: %s at byte %zu", who,
               err.what ? err.what : "?", err.offset);
        raw_reject(sw, buf, len, from,
                   rc == BH_EUNSUPP   ? status_of(WHY_VERSION)
                   : rc == BH_ETOOBIG ? status_of(WHY_TOO_LARGE)
                                      : status_of(WHY_BAD_REQUEST));
        return;
    }
    if (!m->is_request) {
        if (m->status < BH_SWITCH_STATUS_SLOTS)
            sw->m.responses_in[m->status]++;
        sw_ctx_response(sw, m);
        return;
    }
    sw->m.requests_in[bh_switch_method_from(m->method_name)]++;
    if (m->nvia == 0)
        return; /* the parser requires a Via; defensive */
    handle_request(sw, m, from);
}
