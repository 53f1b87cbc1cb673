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

static void derived_tag(const struct bh_switch *sw, struct bh_str a,
                        struct bh_str b, struct bh_str c, char out[17]);

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
    /* RFC 3261 8.2.6.2: a final answer to a request without a To tag
     * gets ours; one derived from the request when the caller names
     * none (OPTIONS, REGISTER, refusals), so that a retransmission, or
     * the CANCEL of an INVITE (same branch, RFC 3261 9.1), hears the
     * same tag. */
    char derived[17];
    if (!to_tag && m->to.tag.len == 0 && status >= 200) {
        derived_tag(sw, m->nvia ? m->via[0].branch : BH_STR_NULL, m->call_id,
                    m->from.tag, derived);
        to_tag = derived;
    }
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

/* 1 when a value has no bare CR or LF (a fold, CRLF then a blank, is
 * fine): such a value cannot be written back as one header. */
static int
safe_line(const char *vs, const char *ve) {
    for (const char *c = vs; c < ve; c++)
        if ((*c == '\r' || *c == '\n') &&
            !(*c == '\r' && ve - c > 2 && c[1] == '\n' &&
              (c[2] == ' ' || c[2] == '\t')))
            return 0;
        else if (*c == '\r')
            c += 2;
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

/* The top via-parm of an unparsable request, as far as its answer needs
 * it: where it ends (the first comma), the sent-by port (0: none), and
 * rport (RFC 3581: present; where its value goes when it has none). */
struct raw_via {
    const char *end;
    uint16_t port;
    int rport;
    const char *rport_fill; /* after "rport" without "=": fill in here */
};

static int
is_lws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
raw_via_parse(const char *vs, const char *ve, struct raw_via *v) {
    memset(v, 0, sizeof *v);
    const char *ce = memchr(vs, ',', (size_t)(ve - vs));
    v->end = ce ? ce : ve;
    const char *p = vs;
    /* "SIP/2.0/UDP", LWS, then host[:port] up to ';' or LWS. */
    while (p < v->end && !is_lws(*p) && *p != ';')
        p++;
    while (p < v->end && is_lws(*p))
        p++;
    const char *hs = p;
    while (p < v->end && !is_lws(*p) && *p != ';')
        p++;
    const char *he = p, *colon = NULL;
    if (hs < he && *hs == '[') {
        const char *rb = memchr(hs, ']', (size_t)(he - hs));
        if (rb && rb + 1 < he && rb[1] == ':')
            colon = rb + 1;
    } else {
        colon = memchr(hs, ':', (size_t)(he - hs));
    }
    if (colon) {
        unsigned long port = 0;
        const char *d = colon + 1;
        while (d < he && *d >= '0' && *d <= '9' && port <= 65535)
            port = port * 10 + (unsigned long)(*d++ - '0');
        if (d == he && d > colon + 1 && port > 0 && port <= 65535)
            v->port = (uint16_t)port;
    }
    /* The parameters: ";name[=value]" each. */
    while (p < v->end) {
        const char *semi = memchr(p, ';', (size_t)(v->end - p));
        if (!semi)
            break;
        p = semi + 1;
        while (p < v->end && is_lws(*p))
            p++;
        const char *ns = p;
        while (p < v->end && !is_lws(*p) && *p != '=' && *p != ';')
            p++;
        if (p - ns == 5 && strncasecmp(ns, "rport", 5) == 0) {
            v->rport = 1;
            const char *q = p;
            while (q < v->end && is_lws(*q))
                q++;
            v->rport_fill = (q < v->end && *q == '=') ? NULL : p;
        }
    }
}

/* A To tag for an answer that has none to give (RFC 3261 8.2.6.2), the
 * same for every retransmission of one request: a keyed hash of what
 * identifies it (FNV-1a over the switch's nonce secret and the parts). */
static void
derived_tag(const struct bh_switch *sw, struct bh_str a, struct bh_str b,
            struct bh_str c, char out[17]) {
    uint64_t h = 0xcbf29ce484222325ULL;
    const struct bh_str part[4] = {
        {(const char *)sw->nonce_secret, 16}, a, b, c};
    for (size_t k = 0; k < 4; k++) {
        for (size_t i = 0; i < part[k].len; i++) {
            h ^= (uint8_t)part[k].p[i];
            h *= 0x100000001b3ULL;
        }
        h ^= 0xff; /* a separator: "ab"+"c" differs from "a"+"bc" */
        h *= 0x100000001b3ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* 1 when a To or From value carries a tag parameter. */
static int
has_tag(const char *vs, const char *ve) {
    for (const char *p = vs; p + 4 <= ve; p++)
        if (*p == ';') {
            const char *q = p + 1;
            while (q < ve && is_lws(*q))
                q++;
            if (ve - q >= 4 && strncasecmp(q, "tag=", 4) == 0)
                return 1;
        }
    return 0;
}

/* The kept headers of an unparsable request: the value of each (the
 * first line of each; the top Via's value whole), NULL when absent or
 * not safe to write back (a bare CR or LF inside). */
struct raw_kept {
    const char *vs[NKEEP], *ve[NKEEP];
};

static void
raw_find(const char *p, const char *end, struct raw_kept *k) {
    memset(k, 0, sizeof *k);
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
        for (size_t i = 0; i < NKEEP; i++) {
            if (!name_is(ls, (size_t)(ne - ls), keep[i].name, keep[i].compact))
                continue;
            /* One line per header: a second To/From/Call-ID/CSeq (or a
             * second Via line) is not copied (the answer must not repeat
             * the ambiguity). */
            if (k->vs[i])
                break;
            const char *vs = colon + 1, *ve = le;
            while (vs < ve && (*vs == ' ' || *vs == '\t'))
                vs++;
            while (ve > vs && is_lws(ve[-1]))
                ve--;
            if (vs < ve && safe_line(vs, ve)) {
                k->vs[i] = vs;
                k->ve[i] = ve;
            }
            break;
        }
    }
}

/* Writes the top Via back with received (RFC 3261 18.2.1) and rport's
 * value (RFC 3581 4), byte for byte otherwise (a NUL too). */
static void
raw_via_write(struct bh_switch *sw, struct bh_sip_builder *b, const char *vs,
              const char *ve, const struct raw_via *v,
              const struct sw_addr *from) {
    char ip[INET6_ADDRSTRLEN];
    uint16_t sport;
    source_ip(from, ip, sizeof ip, &sport);
    char *out = sw->rawvia;
    size_t n = 0, cap = SW_RAW_MAX;
    const char *fill = v->rport_fill ? v->rport_fill : v->end;
    char mid[96];
    int m = snprintf(mid, sizeof mid, v->rport_fill ? "=%u" : "", sport);
    int r = snprintf(mid + m, sizeof mid - (size_t)m, ";received=%s", ip);
    /* [vs, fill) rport's value [fill, end) ;received [end, ve) */
    size_t a = (size_t)(fill - vs), c = (size_t)(v->end - fill),
           d = (size_t)(ve - v->end);
    if (a + (size_t)m + c + (size_t)r + d > cap) {
        b->err = BH_ETOOBIG;
        return;
    }
    memcpy(out + n, vs, a);
    n += a;
    memcpy(out + n, mid, (size_t)m);
    n += (size_t)m;
    memcpy(out + n, fill, c);
    n += c;
    memcpy(out + n, mid + m, (size_t)r);
    n += (size_t)r;
    memcpy(out + n, v->end, d);
    n += d;
    bh_sip_build_header(b, "Via", bh_str_make(out, n));
}

static void
raw_reject(struct bh_switch *sw, const char *buf, size_t len,
           const struct sw_addr *from, int status) {
    const char *p = buf, *end = buf + len;
    while (p + 1 < end && p[0] == '\r' && p[1] == '\n')
        p += 2;
    if (end - p < 8 || memcmp(p, "SIP/", 4) == 0 || memcmp(p, "ACK ", 4) == 0)
        return; /* a response, or an ACK: never answered */
    struct raw_kept k;
    raw_find(p, end, &k);
    /* Without a Via there is nobody to answer (RFC 3261 18.2.2); the
     * other headers are copied when present (RFC 4475 3.3.1 insuf: a
     * request missing To, From and Call-ID still gets its 400). */
    if (!k.vs[0])
        return;
    struct raw_via v;
    raw_via_parse(k.vs[0], k.ve[0], &v);
    struct bh_sip_builder b;
    bh_sip_build_init(&b, sw->rawout, SW_RAW_MAX);
    bh_sip_build_status(&b, status, NULL);
    raw_via_write(sw, &b, k.vs[0], k.ve[0], &v, from);
    for (size_t i = 1; i < NKEEP; i++) {
        if (!k.vs[i])
            continue;
        struct bh_str val = bh_str_make(k.vs[i], (size_t)(k.ve[i] - k.vs[i]));
        if (i == 2 && !has_tag(k.vs[i], k.ve[i])) {
            /* RFC 3261 8.2.6.2: our tag on the To of a final answer, the
             * same for each retransmission. */
            char tag[17];
            struct bh_str cid =
                k.vs[3] ? bh_str_make(k.vs[3], (size_t)(k.ve[3] - k.vs[3]))
                        : BH_STR_NULL;
            derived_tag(sw, bh_str_make(k.vs[0], (size_t)(v.end - k.vs[0])),
                        cid, BH_STR_NULL, tag);
            if (val.len + 22 > SW_RAW_MAX)
                return;
            memcpy(sw->rawvia, val.p, val.len);
            memcpy(sw->rawvia + val.len, ";tag=", 5);
            memcpy(sw->rawvia + val.len + 5, tag, 16);
            val = bh_str_make(sw->rawvia, val.len + 21);
        }
        bh_sip_build_header(&b, keep[i].out, val);
    }
    bh_sip_build_header(&b, "Server", BH_STR_LIT("busyhour"));
    int n = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    if (n <= 0)
        return;
    /* RFC 3261 18.2.2, RFC 3581 4: the source address, at the source
     * port with rport, else at the Via's port (5060 when it names none). */
    struct sw_addr to = *from;
    if (!v.rport) {
        uint16_t port = v.port ? v.port : 5060;
        if (to.ss.ss_family == AF_INET6)
            ((struct sockaddr_in6 *)&to.ss)->sin6_port = htons(port);
        else
            ((struct sockaddr_in *)&to.ss)->sin_port = htons(port);
    }
    sw_send(sw, &to, sw->rawout, (size_t)n);
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
        raw_reject(sw, buf, len, from, 513);
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
