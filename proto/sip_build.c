/* sip_build.c: writes SIP requests and responses into a caller's buffer. */
#include "proto.h"
#include "sip_lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
bh_sip_build_init(struct bh_sip_builder *b, char *buf, size_t size) {
    b->buf = buf;
    b->size = size;
    b->len = 0;
    b->err = (buf == NULL || size == 0) ? BH_EINVAL : 0;
}

static void
put(struct bh_sip_builder *b, const char *s, size_t n) {
    if (b->err != 0)
        return;
    if (n > b->size - b->len) {
        b->err = BH_ETOOBIG;
        return;
    }
    if (n > 0)
        memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void
puts_(struct bh_sip_builder *b, const char *s) {
    put(b, s, strlen(s));
}

static void
putstr(struct bh_sip_builder *b, struct bh_str s) {
    if (s.p != NULL)
        put(b, s.p, s.len);
}

static void putf(struct bh_sip_builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
putf(struct bh_sip_builder *b, const char *fmt, ...) {
    /* Short pieces only (numbers, "CSeq: n METHOD"): formatted aside so
     * that a piece fitting the buffer exactly needs no room for a NUL. */
    if (b->err != 0)
        return;
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->err = BH_EINVAL;
        return;
    }
    put(b, tmp, (size_t)n);
}

/* A value written into a header must not end the line early: reject
 * bare CR/LF that are not a fold (header injection). */
static int
safe_value(struct bh_str v) {
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == '\r' || v.p[i] == '\n') {
            if (v.p[i] == '\r' && i + 2 < v.len && v.p[i + 1] == '\n' &&
                (v.p[i + 2] == ' ' || v.p[i + 2] == '\t')) {
                i += 2;
                continue;
            }
            return 0;
        }
    }
    return 1;
}

void
bh_sip_build_request(struct bh_sip_builder *b, enum bh_sip_method method,
                     const char *method_name, struct bh_str ruri) {
    const char *name =
        method == BH_SIP_UNKNOWN ? method_name : bh_sip_method_name(method);
    if (name == NULL || *name == '\0' || ruri.len == 0 ||
        memchr(ruri.p, ' ', ruri.len) != NULL || !safe_value(ruri)) {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    puts_(b, name);
    put(b, " ", 1);
    putstr(b, ruri);
    put(b, " SIP/2.0\r\n", 10);
}

void
bh_sip_build_status(struct bh_sip_builder *b, int status, const char *reason) {
    if (status < 100 || status > 699) {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    if (reason == NULL)
        reason = bh_sip_reason(status);
    if (!safe_value(bh_str_make(reason, strlen(reason)))) {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    putf(b, "SIP/2.0 %d ", status);
    puts_(b, reason);
    put(b, "\r\n", 2);
}

void
bh_sip_build_header(struct bh_sip_builder *b, const char *name,
                    struct bh_str value) {
    if (!safe_value(value)) {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    puts_(b, name);
    put(b, ": ", 2);
    putstr(b, value);
    put(b, "\r\n", 2);
}

void
bh_sip_build_headerf(struct bh_sip_builder *b, const char *name,
                     const char *fmt, ...) {
    if (b->err != 0)
        return;
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->err = BH_ETOOBIG;
        return;
    }
    bh_sip_build_header(b, name, bh_str_make(tmp, (size_t)n));
}

void
bh_sip_build_via(struct bh_sip_builder *b, const char *transport,
                 struct bh_str host, uint16_t port, struct bh_str branch,
                 int rport) {
    /* RFC 3261 8.1.1.7: the branch starts with the magic cookie. */
    if (branch.len < 7 || memcmp(branch.p, "z9hG4bK", 7) != 0 ||
        host.len == 0) {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    puts_(b, "Via: SIP/2.0/");
    puts_(b, transport);
    put(b, " ", 1);
    putstr(b, host);
    if (port != 0)
        putf(b, ":%u", (unsigned)port);
    put(b, ";branch=", 8);
    putstr(b, branch);
    if (rport)
        put(b, ";rport", 6); /* RFC 3581 3 */
    put(b, "\r\n", 2);
}

void
bh_sip_build_nameaddr(struct bh_sip_builder *b, const char *name,
                      struct bh_str display, struct bh_str uri,
                      struct bh_str tag) {
    if (uri.len == 0 || !safe_value(uri) || !safe_value(display)) {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    puts_(b, name);
    put(b, ": ", 2);
    if (display.len > 0) {
        /* RFC 3261 25.1 quoted-string; escape '"' and '\'. */
        put(b, "\"", 1);
        for (size_t i = 0; i < display.len; i++) {
            if (display.p[i] == '"' || display.p[i] == '\\')
                put(b, "\\", 1);
            put(b, &display.p[i], 1);
        }
        put(b, "\" ", 2);
    }
    put(b, "<", 1);
    putstr(b, uri);
    put(b, ">", 1);
    if (tag.len > 0) {
        put(b, ";tag=", 5);
        putstr(b, tag);
    }
    put(b, "\r\n", 2);
}

void
bh_sip_build_cseq(struct bh_sip_builder *b, uint32_t cseq,
                  enum bh_sip_method method, const char *method_name) {
    const char *name =
        method == BH_SIP_UNKNOWN ? method_name : bh_sip_method_name(method);
    if (cseq > BH_SIP_CSEQ_MAX || name == NULL || *name == '\0') {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    putf(b, "CSeq: %u ", (unsigned)cseq);
    puts_(b, name);
    put(b, "\r\n", 2);
}

void
bh_sip_build_copy(struct bh_sip_builder *b, const struct bh_sip_msg *m,
                  enum bh_sip_hdr id) {
    const struct bh_sip_header *h = NULL;
    while ((h = bh_sip_header_next(m, id, h)) != NULL)
        bh_sip_build_header(b, bh_sip_hdr_name(id), h->value);
}

static int
dialog_creating(enum bh_sip_method m) {
    return m == BH_SIP_INVITE || m == BH_SIP_SUBSCRIBE || m == BH_SIP_REFER;
}

/* Writes the top Via with RFC 3261 18.2.1 received and RFC 3581 4 rport
 * applied; the other via-parms of the same line follow as written. */
static void
top_via(struct bh_sip_builder *b, const struct bh_sip_msg *req,
        struct bh_str src_ip, uint16_t src_port) {
    const struct bh_sip_via *v = &req->via[0];
    const struct bh_sip_header *h = bh_sip_header_next(req, BH_SIP_H_VIA, NULL);
    puts_(b, "Via: SIP/2.0/");
    putstr(b, v->transport);
    put(b, " ", 1);
    putstr(b, v->host);
    if (v->port != 0)
        putf(b, ":%u", (unsigned)v->port);
    /* Each param as written, minus received; rport gets its value. */
    const char *p = v->params.p;
    const char *end = p != NULL ? p + v->params.len : NULL;
    while (p != NULL && p < end) {
        const char *s = p;
        int inq = 0;
        while (p < end && (inq || *p != ';')) {
            if (*p == '"')
                inq = !inq;
            else if (*p == '\\' && inq && p + 1 < end)
                p++;
            p++;
        }
        const char *e = lex_rtrim(s, p);
        const char *ns = lex_lws(s, e);
        const char *ne = lex_span(ns, e, L_TOKEN);
        if (lex_caseeq(ns, (size_t)(ne - ns), "received")) {
            /* dropped: we add our own below */
        } else if (lex_caseeq(ns, (size_t)(ne - ns), "rport") &&
                   v->rport == 0 && src_port != 0) {
            putf(b, ";rport=%u", (unsigned)src_port);
        } else {
            put(b, ";", 1);
            put(b, ns, (size_t)(e - ns));
        }
        if (p < end)
            p = lex_lws(p + 1, end);
    }
    if (src_ip.len > 0 && (v->has_rport || v->host.len != src_ip.len ||
                           memcmp(v->host.p, src_ip.p, src_ip.len) != 0)) {
        put(b, ";received=", 10);
        putstr(b, src_ip);
    }
    /* The rest of the first Via line (", SIP/2.0/UDP ..."). */
    const char *rest = v->raw.p + v->raw.len;
    const char *hend = h->value.p + h->value.len;
    if (rest < hend)
        put(b, rest, (size_t)(hend - rest));
    put(b, "\r\n", 2);
    while ((h = bh_sip_header_next(req, BH_SIP_H_VIA, h)) != NULL)
        bh_sip_build_header(b, "Via", h->value);
}

void
bh_sip_build_response_src(struct bh_sip_builder *b,
                          const struct bh_sip_msg *req, int status,
                          const char *reason, struct bh_str to_tag,
                          struct bh_str src_ip, uint16_t src_port) {
    if (req == NULL || !req->is_request || req->nvia == 0) {
        if (b->err == 0)
            b->err = BH_EINVAL;
        return;
    }
    bh_sip_build_status(b, status, reason);
    /* RFC 3261 8.2.6.2: Via (all, same order), From, Call-ID, CSeq
     * equal to the request's; To equal, plus a tag when it had none. */
    if (src_ip.len > 0 || src_port != 0)
        top_via(b, req, src_ip, src_port);
    else
        bh_sip_build_copy(b, req, BH_SIP_H_VIA);
    bh_sip_build_copy(b, req, BH_SIP_H_FROM);
    const struct bh_sip_header *to = bh_sip_header_next(req, BH_SIP_H_TO, NULL);
    if (to != NULL) {
        puts_(b, "To: ");
        putstr(b, to->value);
        if (req->to.tag.len == 0 && to_tag.len > 0 && status != 100) {
            put(b, ";tag=", 5);
            putstr(b, to_tag);
        }
        put(b, "\r\n", 2);
    }
    bh_sip_build_copy(b, req, BH_SIP_H_CALL_ID);
    bh_sip_build_copy(b, req, BH_SIP_H_CSEQ);
    /* RFC 3261 12.1.1: Record-Route copied into dialog-creating
     * responses (18x, 2xx). */
    if (dialog_creating(req->method) && status > 100 && status < 300)
        bh_sip_build_copy(b, req, BH_SIP_H_RECORD_ROUTE);
}

void
bh_sip_build_response(struct bh_sip_builder *b, const struct bh_sip_msg *req,
                      int status, const char *reason, struct bh_str to_tag) {
    bh_sip_build_response_src(b, req, status, reason, to_tag, BH_STR_NULL, 0);
}

int
bh_sip_build_finish(struct bh_sip_builder *b, const char *content_type,
                    struct bh_str body) {
    if (content_type != NULL && body.len > 0) {
        puts_(b, "Content-Type: ");
        puts_(b, content_type);
        put(b, "\r\n", 2);
    }
    putf(b, "Content-Length: %zu\r\n\r\n", body.len);
    putstr(b, body);
    if (b->err != 0)
        return b->err;
    if (b->len > BH_SIP_MAX_MSG)
        return BH_ETOOBIG;
    return (int)b->len;
}

static void
hex16(char *out, uint64_t v) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = digits[v & 15];
        v >>= 4;
    }
    out[16] = '\0';
}

void
bh_sip_make_branch(char *out, uint64_t rnd) {
    memcpy(out, "z9hG4bK", 7);
    hex16(out + 7, rnd);
}

void
bh_sip_make_tag(char *out, uint64_t rnd) {
    hex16(out, rnd);
}

const char *
bh_sip_reason(int status) {
    /* RFC 3261 21, plus RFC 3262 (PRACK-era 204?) kept to the base set. */
    switch (status) {
    case 100:
        return "Trying";
    case 180:
        return "Ringing";
    case 181:
        return "Call Is Being Forwarded";
    case 182:
        return "Queued";
    case 183:
        return "Session Progress";
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Moved Temporarily";
    case 305:
        return "Use Proxy";
    case 380:
        return "Alternative Service";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 407:
        return "Proxy Authentication Required";
    case 408:
        return "Request Timeout";
    case 410:
        return "Gone";
    case 413:
        return "Request Entity Too Large";
    case 414:
        return "Request-URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Unsupported URI Scheme";
    case 420:
        return "Bad Extension";
    case 421:
        return "Extension Required";
    case 423:
        return "Interval Too Brief";
    case 480:
        return "Temporarily Unavailable";
    case 481:
        return "Call/Transaction Does Not Exist";
    case 482:
        return "Loop Detected";
    case 483:
        return "Too Many Hops";
    case 484:
        return "Address Incomplete";
    case 485:
        return "Ambiguous";
    case 486:
        return "Busy Here";
    case 487:
        return "Request Terminated";
    case 488:
        return "Not Acceptable Here";
    case 491:
        return "Request Pending";
    case 493:
        return "Undecipherable";
    case 500:
        return "Server Internal Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Server Time-out";
    case 505:
        return "Version Not Supported";
    case 513:
        return "Message Too Large";
    case 600:
        return "Busy Everywhere";
    case 603:
        return "Decline";
    case 604:
        return "Does Not Exist Anywhere";
    case 606:
        return "Not Acceptable";
    default:
        return "";
    }
}
