/* sip_parse.c: the strict zero-copy SIP message parser (RFC 3261 7, 20). */
#include "proto.h"
#include "sip_int.h"
#include "sip_lex.h"

#include <string.h>

/* ---- names --------------------------------------------------------- */

static const char *const method_names[BH_SIP_METHOD_COUNT] = {
    [BH_SIP_UNKNOWN] = "",
    [BH_SIP_INVITE] = "INVITE",
    [BH_SIP_ACK] = "ACK",
    [BH_SIP_BYE] = "BYE",
    [BH_SIP_CANCEL] = "CANCEL",
    [BH_SIP_REGISTER] = "REGISTER",
    [BH_SIP_OPTIONS] = "OPTIONS",
    [BH_SIP_INFO] = "INFO",
    [BH_SIP_UPDATE] = "UPDATE",
    [BH_SIP_PRACK] = "PRACK",
    [BH_SIP_SUBSCRIBE] = "SUBSCRIBE",
    [BH_SIP_NOTIFY] = "NOTIFY",
    [BH_SIP_REFER] = "REFER",
    [BH_SIP_MESSAGE] = "MESSAGE",
};

const char *
bh_sip_method_name(enum bh_sip_method m) {
    if ((unsigned)m >= BH_SIP_METHOD_COUNT)
        return "";
    return method_names[m];
}

enum bh_sip_method
bh_sip_method_from(struct bh_str name) {
    /* RFC 3261 7.1: case-sensitive. */
    for (int i = 1; i < BH_SIP_METHOD_COUNT; i++) {
        const char *s = method_names[i];
        if (name.len == strlen(s) && memcmp(name.p, s, name.len) == 0)
            return (enum bh_sip_method)i;
    }
    return BH_SIP_UNKNOWN;
}

struct hdr_name {
    /* lower case, zero-padded: names compare eight bytes at a time */
    char name[24];
    char compact; /* RFC 3261 7.3.3 compact form, 0 when none */
};

static const struct hdr_name hdr_names[BH_SIP_H_COUNT] = {
    [BH_SIP_H_OTHER] = {"", 0},
    [BH_SIP_H_VIA] = {"via", 'v'},
    [BH_SIP_H_FROM] = {"from", 'f'},
    [BH_SIP_H_TO] = {"to", 't'},
    [BH_SIP_H_CALL_ID] = {"call-id", 'i'},
    [BH_SIP_H_CSEQ] = {"cseq", 0},
    [BH_SIP_H_CONTACT] = {"contact", 'm'},
    [BH_SIP_H_MAX_FORWARDS] = {"max-forwards", 0},
    [BH_SIP_H_ROUTE] = {"route", 0},
    [BH_SIP_H_RECORD_ROUTE] = {"record-route", 0},
    [BH_SIP_H_CONTENT_LENGTH] = {"content-length", 'l'},
    [BH_SIP_H_CONTENT_TYPE] = {"content-type", 'c'},
    [BH_SIP_H_CONTENT_ENCODING] = {"content-encoding", 'e'},
    [BH_SIP_H_EXPIRES] = {"expires", 0},
    [BH_SIP_H_AUTHORIZATION] = {"authorization", 0},
    [BH_SIP_H_WWW_AUTHENTICATE] = {"www-authenticate", 0},
    [BH_SIP_H_PROXY_AUTHENTICATE] = {"proxy-authenticate", 0},
    [BH_SIP_H_PROXY_AUTHORIZATION] = {"proxy-authorization", 0},
    [BH_SIP_H_SUPPORTED] = {"supported", 'k'},
    [BH_SIP_H_REQUIRE] = {"require", 0},
    [BH_SIP_H_PROXY_REQUIRE] = {"proxy-require", 0},
    [BH_SIP_H_ALLOW] = {"allow", 0},
    [BH_SIP_H_SUBJECT] = {"subject", 's'},
    [BH_SIP_H_USER_AGENT] = {"user-agent", 0},
    [BH_SIP_H_EVENT] = {"event", 'o'},
    [BH_SIP_H_REFER_TO] = {"refer-to", 'r'},
    [BH_SIP_H_DATE] = {"date", 0},
};

static const char *const canonical[BH_SIP_H_COUNT] = {
    "",
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Max-Forwards",
    "Route",
    "Record-Route",
    "Content-Length",
    "Content-Type",
    "Content-Encoding",
    "Expires",
    "Authorization",
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Supported",
    "Require",
    "Proxy-Require",
    "Allow",
    "Subject",
    "User-Agent",
    "Event",
    "Refer-To",
    "Date",
};

const char *
bh_sip_hdr_name(enum bh_sip_hdr h) {
    if ((unsigned)h >= BH_SIP_H_COUNT)
        return "";
    return canonical[h];
}

/* name (a token) equals the padded lower-case canonical name s? When
 * 24 bytes can be read at name.p (the parser knows its buffer), whole
 * words are compared, the last one masked to the name's length. */
static int
name_eq(struct bh_str name, const char *s, const char *end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end != NULL && end - name.p >= 24 && name.len <= 24) {
        for (size_t i = 0; i < name.len; i += 8) {
            uint64_t a, b;
            memcpy(&a, name.p + i, 8);
            memcpy(&b, s + i, 8);
            a |= 0x2020202020202020ull; /* see lex_tokeneq */
            if (name.len - i < 8)
                a &= (1ull << (8 * (name.len - i))) - 1;
            if (a != b)
                return 0;
        }
        return 1;
    }
#endif
    return lex_tokeneq(name.p, name.len, s);
}

/* The parser's lookup: name is a non-empty token; end (or NULL) bounds
 * the readable buffer. */
static enum bh_sip_hdr
hdr_from_token(struct bh_str name, const char *end) {
    if (name.len == 1) {
        int c = lex_lower((unsigned char)name.p[0]);
        for (int i = 1; i < BH_SIP_H_COUNT; i++)
            if (hdr_names[i].compact == c)
                return (enum bh_sip_hdr)i;
        return BH_SIP_H_OTHER;
    }
    /* Hot path (every header line): dispatch on the length, then one
     * or two case-insensitive comparisons. */
    enum bh_sip_hdr c1 = BH_SIP_H_OTHER, c2 = BH_SIP_H_OTHER;
    switch (name.len) {
    case 2:
        c1 = BH_SIP_H_TO;
        break;
    case 3:
        c1 = BH_SIP_H_VIA;
        break;
    case 4:
        c1 = BH_SIP_H_FROM;
        c2 = lex_lower((unsigned char)name.p[0]) == 'c' ? BH_SIP_H_CSEQ
                                                        : BH_SIP_H_DATE;
        break;
    case 5:
        c1 = lex_lower((unsigned char)name.p[0]) == 'r' ? BH_SIP_H_ROUTE
                                                        : BH_SIP_H_ALLOW;
        c2 = BH_SIP_H_EVENT;
        break;
    case 7:
        switch (lex_lower((unsigned char)name.p[0])) {
        case 'c':
            c1 = lex_lower((unsigned char)name.p[1]) == 'a' ? BH_SIP_H_CALL_ID
                                                            : BH_SIP_H_CONTACT;
            break;
        case 'e':
            c1 = BH_SIP_H_EXPIRES;
            break;
        case 'r':
            c1 = BH_SIP_H_REQUIRE;
            break;
        case 's':
            c1 = BH_SIP_H_SUBJECT;
            break;
        default:
            break;
        }
        break;
    case 8:
        c1 = BH_SIP_H_REFER_TO;
        break;
    case 9:
        c1 = BH_SIP_H_SUPPORTED;
        break;
    case 10:
        c1 = BH_SIP_H_USER_AGENT;
        break;
    case 12:
        c1 = lex_lower((unsigned char)name.p[0]) == 'm' ? BH_SIP_H_MAX_FORWARDS
             : lex_lower((unsigned char)name.p[0]) == 'r'
                 ? BH_SIP_H_RECORD_ROUTE
                 : BH_SIP_H_CONTENT_TYPE;
        break;
    case 13:
        c1 = lex_lower((unsigned char)name.p[0]) == 'a'
                 ? BH_SIP_H_AUTHORIZATION
                 : BH_SIP_H_PROXY_REQUIRE;
        break;
    case 14:
        c1 = BH_SIP_H_CONTENT_LENGTH;
        break;
    case 16:
        c1 = lex_lower((unsigned char)name.p[0]) == 'w'
                 ? BH_SIP_H_WWW_AUTHENTICATE
                 : BH_SIP_H_CONTENT_ENCODING;
        break;
    case 18:
        c1 = BH_SIP_H_PROXY_AUTHENTICATE;
        break;
    case 19:
        c1 = BH_SIP_H_PROXY_AUTHORIZATION;
        break;
    default:
        break;
    }
    /* Every candidate above has exactly name.len bytes; the caller
     * passes a token (the parser's header names are). */
    if (c1 != BH_SIP_H_OTHER && name_eq(name, hdr_names[c1].name, end))
        return c1;
    if (c2 != BH_SIP_H_OTHER && name_eq(name, hdr_names[c2].name, end))
        return c2;
    return BH_SIP_H_OTHER;
}

enum bh_sip_hdr
bh_sip_hdr_from(struct bh_str name) {
    if (name.p == NULL || name.len == 0 ||
        lex_span(name.p, name.p + name.len, L_TOKEN) != name.p + name.len)
        return BH_SIP_H_OTHER;
    return hdr_from_token(name, NULL);
}

/* Compact forms of headers this library does not name (RFC 3261 7.3.3
 * and the IANA registry), for lookup by name. */
static const char *
compact_other(char c) {
    switch (lex_lower((unsigned char)c)) {
    case 'a':
        return "accept-contact";
    case 'b':
        return "referred-by";
    case 'd':
        return "request-disposition";
    case 'j':
        return "reject-contact";
    case 'n':
        return "identity-info";
    case 'u':
        return "allow-events";
    case 'x':
        return "session-expires";
    case 'y':
        return "identity";
    default:
        return NULL;
    }
}

const struct bh_sip_header *
bh_sip_header_next(const struct bh_sip_msg *m, enum bh_sip_hdr id,
                   const struct bh_sip_header *after) {
    size_t i = after == NULL ? 0 : (size_t)(after - m->headers) + 1;
    for (; i < m->nheaders; i++)
        if (m->headers[i].id == id)
            return &m->headers[i];
    return NULL;
}

/* The long name of a header name as written: compact forms of the
 * headers without an enum value expanded (lower case), others as is. */
static struct bh_str
long_name(struct bh_str n) {
    if (n.len == 1) {
        const char *s = compact_other(n.p[0]);
        if (s != NULL)
            return bh_str_make(s, strlen(s));
    }
    return n;
}

static int
caseless_eq(struct bh_str a, struct bh_str b) {
    if (a.len != b.len)
        return 0;
    for (size_t i = 0; i < a.len; i++)
        if (lex_lower((unsigned char)a.p[i]) !=
            lex_lower((unsigned char)b.p[i]))
            return 0;
    return 1;
}

const struct bh_sip_header *
bh_sip_header_find(const struct bh_sip_msg *m, const char *name,
                   const struct bh_sip_header *after) {
    struct bh_str n = bh_str_make(name, strlen(name));
    if (n.len == 0)
        return NULL;
    enum bh_sip_hdr id = bh_sip_hdr_from(n);
    if (id != BH_SIP_H_OTHER)
        return bh_sip_header_next(m, id, after);
    struct bh_str want = long_name(n);
    size_t i = after == NULL ? 0 : (size_t)(after - m->headers) + 1;
    for (; i < m->nheaders; i++) {
        const struct bh_sip_header *h = &m->headers[i];
        if (h->id == BH_SIP_H_OTHER && caseless_eq(long_name(h->name), want))
            return h;
    }
    return NULL;
}

/* ---- field parsers ------------------------------------------------- */

/* Decimal with a bound; leading zeros allowed (RFC 4475 wsinv). Returns
 * the end, or NULL when not a number; *over set when above max. */
static const char *
parse_uint(const char *p, const char *end, uint64_t max, uint64_t *out,
           int *over) {
    const char *s = p;
    uint64_t v = 0;
    *over = 0;
    *out = 0;
    while (p < end && lex_is(*p, L_DIGIT)) {
        if (!*over) {
            v = v * 10 + (uint64_t)(*p - '0');
            if (v > max)
                *over = 1;
        }
        p++;
    }
    if (p == s)
        return NULL;
    *out = v;
    return p;
}

/* One via-parm (RFC 3261 20.42, 25.1):
 * sent-protocol LWS sent-by *( SEMI via-params ). */
static const char *
parse_via(const char *p, const char *end, struct bh_sip_via *v,
          const char **what) {
    v->port = 0;
    v->params = v->branch = v->received = BH_STR_NULL;
    v->has_rport = 0;
    v->rport = 0;
    const char *s = p;
    const char *a = p;
    p = lex_span(p, end, L_TOKEN);
    if (p == a)
        goto bad_proto;
    const char *pe = p;
    p = lex_lws(p, end);
    if (p >= end || *p != '/')
        goto bad_proto;
    p = lex_lws(p + 1, end);
    const char *b = p;
    p = lex_span(p, end, L_TOKEN);
    if (p == b)
        goto bad_proto;
    /* protocol = "SIP" SLASH "2.0", shown as written but checked. */
    if (!lex_caseeq(a, (size_t)(pe - a), "sip") || (size_t)(p - b) != 3 ||
        memcmp(b, "2.0", 3) != 0)
        goto bad_proto;
    v->protocol = bh_str_make(a, (size_t)(p - a));
    p = lex_lws(p, end);
    if (p >= end || *p != '/')
        goto bad_proto;
    p = lex_lws(p + 1, end);
    const char *t = p;
    p = lex_span(p, end, L_TOKEN);
    if (p == t)
        goto bad_proto;
    v->transport = bh_str_make(t, (size_t)(p - t));
    const char *h = lex_lws(p, end);
    if (h == p) {
        *what = "no space before Via sent-by";
        return NULL;
    }
    p = bh_sip_scan_host(h, end);
    if (p == NULL) {
        *what = "bad Via host";
        return NULL;
    }
    v->host = bh_str_make(h, (size_t)(p - h));
    const char *q = lex_lws(p, end);
    if (q < end && *q == ':') {
        uint64_t port = 0;
        int over;
        q = lex_lws(q + 1, end);
        p = parse_uint(q, end, 65535, &port, &over);
        if (p == NULL || over || port == 0) {
            *what = "bad Via port";
            return NULL;
        }
        v->port = (uint16_t)port;
        q = lex_lws(p, end);
    }
    p = q;
    const char *first = NULL, *last = NULL;
    while (p < end && *p == ';') {
        p = lex_lws(p + 1, end);
        const char *ns = p;
        p = lex_span(p, end, L_TOKEN);
        if (p == ns) {
            *what = "empty Via parameter";
            return NULL;
        }
        size_t nl = (size_t)(p - ns);
        if (first == NULL)
            first = ns;
        last = p;
        const char *vs = NULL, *ve = NULL;
        q = lex_lws(p, end);
        if (q < end && *q == '=') {
            q = lex_lws(q + 1, end);
            vs = q;
            if (q < end && *q == '"') {
                q = bh_sip_lex_quoted(q, end);
                if (q == NULL) {
                    *what = "bad Via parameter";
                    return NULL;
                }
            } else {
                q = lex_span(q, end, L_GENVAL); /* token / host */
            }
            ve = q;
            if (ve == vs) {
                *what = "empty Via parameter value";
                return NULL;
            }
            p = last = q;
        }
        if (nl == 6 && lex_caseeq(ns, nl, "branch")) {
            /* branch = "branch" EQUAL token */
            if (vs == NULL || *vs == '"' || lex_span(vs, ve, L_TOKEN) != ve) {
                *what = "bad Via branch";
                return NULL;
            }
            v->branch = bh_str_make(vs, (size_t)(ve - vs));
        } else if (nl == 8 && lex_caseeq(ns, nl, "received")) {
            /* received = IPv4address / IPv6address */
            if (vs == NULL || *vs == '"') {
                *what = "bad Via received";
                return NULL;
            }
            v->received = bh_str_make(vs, (size_t)(ve - vs));
        } else if (nl == 5 && lex_caseeq(ns, nl, "rport")) {
            /* RFC 3581 3: response-port = "rport" [EQUAL 1*DIGIT] */
            v->has_rport = 1;
            if (vs != NULL) {
                uint64_t port = 0;
                int over;
                if (parse_uint(vs, ve, 65535, &port, &over) != ve || over) {
                    *what = "bad Via rport";
                    return NULL;
                }
                v->rport = (uint16_t)port;
            }
        } else if (nl == 3 && lex_caseeq(ns, nl, "ttl")) {
            uint64_t ttl;
            int over;
            if (vs == NULL || parse_uint(vs, ve, 255, &ttl, &over) != ve ||
                over) {
                *what = "bad Via ttl";
                return NULL;
            }
        }
        p = lex_lws(p, end);
    }
    if (first != NULL)
        v->params = bh_str_make(first, (size_t)(last - first));
    v->raw = bh_str_make(s, (size_t)(lex_rtrim(s, p) - s));
    return p;
bad_proto:
    *what = "bad Via sent-protocol";
    return NULL;
}

/* RFC 1123 date as RFC 3261 20.17 restricts it: always "GMT". */
static int
check_date(const char *p, const char *end) {
    static const char *const days = "MonTueWedThuFriSatSun";
    static const char *const months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /* "Sun, 06 Nov 1994 08:49:37 GMT" is 29 bytes. */
    if (end - p != 29)
        return -1;
    int ok = 0;
    for (int i = 0; i < 7; i++)
        ok |= memcmp(p, days + 3 * i, 3) == 0;
    for (int i = 0; i < 12; i++)
        ok |= (memcmp(p + 8, months + 3 * i, 3) == 0) << 1;
    if (ok != 3 || memcmp(p + 3, ", ", 2) != 0 || p[7] != ' ' || p[11] != ' ' ||
        p[16] != ' ' || p[19] != ':' || p[22] != ':' ||
        memcmp(p + 25, " GMT", 4) != 0)
        return -1;
    static const int digits[] = {5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24};
    for (size_t i = 0; i < sizeof digits / sizeof *digits; i++)
        if (!lex_is(p[digits[i]], L_DIGIT))
            return -1;
    return 0;
}

/* ---- the message --------------------------------------------------- */

/* Bit per header id seen, for "at most one" checks. */
#define SEEN(id) (1u << (id))
#define SINGLE                                                                 \
    (SEEN(BH_SIP_H_FROM) | SEEN(BH_SIP_H_TO) | SEEN(BH_SIP_H_CALL_ID) |        \
     SEEN(BH_SIP_H_CSEQ) | SEEN(BH_SIP_H_MAX_FORWARDS) |                       \
     SEEN(BH_SIP_H_CONTENT_LENGTH) | SEEN(BH_SIP_H_CONTENT_TYPE))

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 25.1).
 * Returns 0 for SIP/2.0, BH_EUNSUPP for another version, else
 * BH_EPARSE. */
static int
check_version(const char *p, const char *end) {
    if (end - p < 5 || !lex_caseeq(p, 4, "sip/"))
        return BH_EPARSE;
    const char *q = lex_span(p + 4, end, L_DIGIT);
    if (q == p + 4 || q >= end || *q != '.')
        return BH_EPARSE;
    const char *r = lex_span(q + 1, end, L_DIGIT);
    if (r == q + 1 || r != end)
        return BH_EPARSE;
    if (end - p == 7 && memcmp(p + 4, "2.0", 3) == 0)
        return 0;
    return BH_EUNSUPP;
}

/* Finds the CRLF ending the line that starts at p; NULL when the first
 * line break is a bare CR or LF (RFC 3261 7: lines end in CRLF). */
static const char *
find_crlf(const char *p, const char *end) {
    const char *c = lex_find_eol(p, end);
    if (c == NULL || *c != '\r' || end - c < 2 || c[1] != '\n')
        return NULL;
    return c;
}

#define FAIL(c, at_, w, h)                                                     \
    do {                                                                       \
        code = (c);                                                            \
        at = (at_);                                                            \
        what = (w);                                                            \
        hdr = (h);                                                             \
        goto fail;                                                             \
    } while (0)

int
bh_sip_parse(const char *buf, size_t len, struct bh_sip_msg *m,
             struct bh_sip_error *err) {
    int code = 0;
    const char *at = buf;
    const char *what = NULL;
    enum bh_sip_hdr hdr = BH_SIP_H_OTHER;
    const char *end = buf != NULL ? buf + len : NULL;
    const char *p = buf;
    uint32_t seen = 0;

    /* Only the fields every caller reads are cleared: the header arrays
     * are filled up to their counts. */
    m->buf = buf;
    m->len = len;
    m->msg_len = 0;
    m->is_request = 0;
    m->method = BH_SIP_UNKNOWN;
    m->method_name = BH_STR_NULL;
    m->status = 0;
    m->reason = BH_STR_NULL;
    m->version = BH_STR_NULL;
    m->nheaders = 0;
    m->nvia = 0;
    /* from, to and ruri are filled (cleared first) by their parsers;
     * a message without From or To fails below. */
    m->call_id = BH_STR_NULL;
    m->cseq = 0;
    m->cseq_method = BH_SIP_UNKNOWN;
    m->cseq_method_name = BH_STR_NULL;
    m->max_forwards = -1;
    m->content_length = -1;
    m->content_type = BH_STR_NULL;
    m->body = BH_STR_NULL;

    if (buf == NULL)
        FAIL(BH_EINVAL, buf, "no buffer", BH_SIP_H_OTHER);
    if (len > BH_SIP_MAX_MSG)
        FAIL(BH_ETOOBIG, buf, "message too large", BH_SIP_H_OTHER);

    /* RFC 3261 7.5: ignore CRLFs before the start line. */
    while (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
        p += 2;

    const char *eol = find_crlf(p, end);
    if (eol == NULL)
        FAIL(BH_EPARSE, p, "start line not ended by CRLF", BH_SIP_H_OTHER);

    if (eol - p >= 4 && lex_caseeq(p, 4, "sip/")) {
        memset(&m->ruri, 0, sizeof m->ruri);
        /* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
        const char *sp = memchr(p, ' ', (size_t)(eol - p));
        if (sp == NULL)
            FAIL(BH_EPARSE, p, "bad status line", BH_SIP_H_OTHER);
        int vc = check_version(p, sp);
        if (vc != 0)
            FAIL(vc, p, "bad SIP version", BH_SIP_H_OTHER);
        m->version = bh_str_make(p, (size_t)(sp - p));
        const char *c = sp + 1;
        const char *ce = lex_span(c, eol, L_DIGIT);
        if (ce == c)
            FAIL(BH_EPARSE, c, "bad status code", BH_SIP_H_OTHER);
        if (ce - c != 3 || *c < '1' || *c > '6')
            FAIL(BH_ERANGE, c, "status code out of range", BH_SIP_H_OTHER);
        if (ce >= eol || *ce != ' ')
            FAIL(BH_EPARSE, ce, "no SP after status code", BH_SIP_H_OTHER);
        m->status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
        /* Reason-Phrase: any text but CTLs (UTF-8 allowed, RFC 4475
         * unreason). */
        for (const char *r = ce + 1; r < eol; r++) {
            unsigned char ch = (unsigned char)*r;
            if ((ch < 0x20 && ch != '\t') || ch == 0x7F)
                FAIL(BH_EPARSE, r, "control character in reason",
                     BH_SIP_H_OTHER);
        }
        m->reason = bh_str_make(ce + 1, (size_t)(eol - ce - 1));
    } else {
        /* Request-Line = Method SP Request-URI SP SIP-Version CRLF, with
         * exactly one SP each (RFC 4475 lwsstart, trws, lwsruri). */
        m->is_request = 1;
        const char *me = lex_span(p, eol, L_TOKEN);
        if (me == p || me >= eol || *me != ' ')
            FAIL(BH_EPARSE, me, "bad method", BH_SIP_H_OTHER);
        m->method_name = bh_str_make(p, (size_t)(me - p));
        m->method = bh_sip_method_from(m->method_name);
        const char *u = me + 1;
        const char *ue = memchr(u, ' ', (size_t)(eol - u));
        if (ue == NULL)
            FAIL(BH_EPARSE, u, "no SIP version in request line",
                 BH_SIP_H_OTHER);
        int vc = check_version(ue + 1, eol);
        if (vc != 0)
            FAIL(vc, ue + 1, "bad SIP version", BH_SIP_H_OTHER);
        m->version = bh_str_make(ue + 1, (size_t)(eol - ue - 1));
        if (bh_sip_uri_parse(bh_str_make(u, (size_t)(ue - u)), &m->ruri) != 0)
            FAIL(BH_EPARSE, u, "bad Request-URI", BH_SIP_H_OTHER);
        /* RFC 3261 19.1.1 table 1: headers are not allowed in a
         * Request-URI (RFC 4475 escruri). */
        if ((m->ruri.scheme == BH_URI_SIP || m->ruri.scheme == BH_URI_SIPS) &&
            m->ruri.headers.p != NULL)
            FAIL(BH_EPARSE, u, "headers in Request-URI", BH_SIP_H_OTHER);
    }
    p = eol + 2;

    /* Header lines until the empty line. */
    for (;;) {
        if (end - p < 2)
            FAIL(BH_EPARSE, p, "headers not ended by an empty line",
                 BH_SIP_H_OTHER);
        if (p[0] == '\r' && p[1] == '\n') {
            p += 2;
            break;
        }
        const char *ns = p;
        p = lex_span(p, end, L_TOKEN);
        if (p == ns)
            FAIL(BH_EPARSE, ns, "bad header name", BH_SIP_H_OTHER);
        const char *ne = p;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || *p != ':')
            FAIL(BH_EPARSE, p, "no colon after header name", BH_SIP_H_OTHER);
        const char *vs = lex_lws(p + 1, end);
        const char *ve;
        /* The logical line ends at a CRLF not followed by SP/HT
         * (RFC 3261 7.3.1 folding). */
        const char *q = vs;
        for (;;) {
            const char *cr = find_crlf(q, end);
            if (cr == NULL)
                FAIL(BH_EPARSE, q, "header line not ended by CRLF",
                     BH_SIP_H_OTHER);
            if (end - cr >= 3 && (cr[2] == ' ' || cr[2] == '\t')) {
                q = cr + 3;
                continue;
            }
            ve = cr;
            p = cr + 2;
            break;
        }
        ve = lex_rtrim(vs, ve);
        if (m->nheaders >= BH_SIP_MAX_HEADERS)
            FAIL(BH_ETOOBIG, ns, "too many headers", BH_SIP_H_OTHER);
        struct bh_sip_header *h = &m->headers[m->nheaders++];
        h->name = bh_str_make(ns, (size_t)(ne - ns));
        h->value = bh_str_make(vs, (size_t)(ve - vs));
        h->id = hdr_from_token(h->name, end);

        if (h->id != BH_SIP_H_OTHER && (SINGLE & SEEN(h->id)) &&
            (seen & SEEN(h->id)))
            FAIL(BH_EPARSE, ns, "header repeated", h->id);
        seen |= SEEN(h->id);

        uint64_t num;
        int over;
        const char *e;
        switch (h->id) {
        case BH_SIP_H_VIA:
            q = vs;
            for (;;) {
                if (m->nvia >= BH_SIP_MAX_VIA)
                    FAIL(BH_ETOOBIG, q, "too many Vias", h->id);
                const char *w = NULL;
                e = parse_via(q, ve, &m->via[m->nvia], &w);
                if (e == NULL)
                    FAIL(BH_EPARSE, q, w, h->id);
                m->nvia++;
                if (e == ve)
                    break;
                if (*e != ',')
                    FAIL(BH_EPARSE, e, "junk after Via", h->id);
                q = lex_lws(e + 1, ve);
            }
            break;
        case BH_SIP_H_FROM:
        case BH_SIP_H_TO:
            if (bh_sip_nameaddr_parse(
                    h->value, h->id == BH_SIP_H_FROM ? &m->from : &m->to) != 0)
                FAIL(BH_EPARSE, vs,
                     h->id == BH_SIP_H_FROM ? "bad From" : "bad To", h->id);
            break;
        case BH_SIP_H_CALL_ID:
            /* callid = word [ "@" word ] */
            e = lex_span(vs, ve, L_WORD);
            if (e == vs)
                FAIL(BH_EPARSE, vs, "bad Call-ID", h->id);
            if (e < ve && *e == '@') {
                const char *w = e + 1;
                e = lex_span(w, ve, L_WORD);
                if (e == w)
                    FAIL(BH_EPARSE, w, "bad Call-ID", h->id);
            }
            if (e != ve)
                FAIL(BH_EPARSE, e, "bad Call-ID", h->id);
            m->call_id = h->value;
            break;
        case BH_SIP_H_CSEQ:
            /* CSeq = 1*DIGIT LWS Method; RFC 3261 8.1.1.5: < 2^31 */
            e = parse_uint(vs, ve, BH_SIP_CSEQ_MAX, &num, &over);
            if (e == NULL)
                FAIL(BH_EPARSE, vs, "bad CSeq number", h->id);
            if (over)
                FAIL(BH_ERANGE, vs, "CSeq number out of range", h->id);
            q = lex_lws(e, ve);
            if (q == e)
                FAIL(BH_EPARSE, e, "bad CSeq", h->id);
            e = lex_span(q, ve, L_TOKEN);
            if (e == q || e != ve)
                FAIL(BH_EPARSE, q, "bad CSeq method", h->id);
            m->cseq = (uint32_t)num;
            m->cseq_method_name = bh_str_make(q, (size_t)(e - q));
            m->cseq_method = bh_sip_method_from(m->cseq_method_name);
            break;
        case BH_SIP_H_MAX_FORWARDS:
            /* RFC 3261 20.22: 0..255 */
            e = parse_uint(vs, ve, BH_SIP_MAX_FORWARDS_MAX, &num, &over);
            if (e == NULL || e != ve)
                FAIL(BH_EPARSE, vs, "bad Max-Forwards", h->id);
            if (over)
                FAIL(BH_ERANGE, vs, "Max-Forwards out of range", h->id);
            m->max_forwards = (int)num;
            break;
        case BH_SIP_H_CONTENT_LENGTH:
            e = parse_uint(vs, ve, BH_SIP_MAX_MSG, &num, &over);
            if (e == NULL || e != ve)
                FAIL(BH_EPARSE, vs, "bad Content-Length", h->id);
            if (over)
                FAIL(BH_ERANGE, vs, "Content-Length out of range", h->id);
            m->content_length = (long)num;
            break;
        case BH_SIP_H_CONTENT_TYPE:
            /* media-type = m-type SLASH m-subtype *(SEMI m-parameter) */
            e = lex_span(vs, ve, L_TOKEN);
            if (e == vs)
                FAIL(BH_EPARSE, vs, "bad Content-Type", h->id);
            e = lex_lws(e, ve);
            if (e >= ve || *e != '/')
                FAIL(BH_EPARSE, e, "bad Content-Type", h->id);
            q = lex_lws(e + 1, ve);
            e = lex_span(q, ve, L_TOKEN);
            if (e == q)
                FAIL(BH_EPARSE, q, "bad Content-Type", h->id);
            e = lex_lws(e, ve);
            if (e != ve && *e != ';')
                FAIL(BH_EPARSE, e, "bad Content-Type", h->id);
            m->content_type = h->value;
            break;
        case BH_SIP_H_DATE:
            if (check_date(vs, ve) != 0)
                FAIL(BH_EPARSE, vs, "bad Date (RFC 3261 20.17: GMT)", h->id);
            break;
        default:
            break;
        }
    }

    /* RFC 3261 8.1.1: the mandatory headers. */
    if (!(seen & SEEN(BH_SIP_H_VIA)))
        FAIL(BH_EPARSE, p, "no Via", BH_SIP_H_VIA);
    if (!(seen & SEEN(BH_SIP_H_FROM)))
        FAIL(BH_EPARSE, p, "no From", BH_SIP_H_FROM);
    if (!(seen & SEEN(BH_SIP_H_TO)))
        FAIL(BH_EPARSE, p, "no To", BH_SIP_H_TO);
    if (!(seen & SEEN(BH_SIP_H_CALL_ID)))
        FAIL(BH_EPARSE, p, "no Call-ID", BH_SIP_H_CALL_ID);
    if (!(seen & SEEN(BH_SIP_H_CSEQ)))
        FAIL(BH_EPARSE, p, "no CSeq", BH_SIP_H_CSEQ);
    /* RFC 3261 8.1.1.5: the CSeq method matches the request method
     * (RFC 4475 mismatch01, mismatch02). */
    if (m->is_request && (m->cseq_method_name.len != m->method_name.len ||
                          memcmp(m->cseq_method_name.p, m->method_name.p,
                                 m->method_name.len) != 0))
        FAIL(BH_EPARSE, buf, "CSeq method differs from request method",
             BH_SIP_H_CSEQ);

    /* RFC 3261 18.3: Content-Length bounds the body; bytes after it are
     * ignored (RFC 4475 dblreq); a larger value than the datagram holds
     * is an error (clerr). Without it (UDP) the body is the rest. */
    size_t left = (size_t)(end - p);
    if (m->content_length >= 0) {
        if ((size_t)m->content_length > left)
            FAIL(BH_ERANGE, p, "Content-Length larger than the message",
                 BH_SIP_H_CONTENT_LENGTH);
        m->body = bh_str_make(p, (size_t)m->content_length);
    } else {
        m->body = bh_str_make(p, left);
    }
    m->msg_len = (size_t)(m->body.p + m->body.len - buf);
    return 0;

fail:
    if (err != NULL) {
        err->offset = (size_t)(at - buf);
        err->what = what;
        err->hdr = hdr;
    }
    return code;
}

/* ---- lazy headers -------------------------------------------------- */

int
bh_sip_contacts(const struct bh_sip_msg *m, struct bh_sip_nameaddr *out,
                size_t max, int *star) {
    size_t n = 0;
    *star = 0;
    const struct bh_sip_header *h = NULL;
    while ((h = bh_sip_header_next(m, BH_SIP_H_CONTACT, h)) != NULL) {
        const char *p = h->value.p, *end = p + h->value.len;
        if (h->value.len == 1 && *p == '*') {
            /* RFC 3261 10.2.2: "*" alone. */
            *star = 1;
            continue;
        }
        for (;;) {
            if (n >= max)
                return BH_ETOOBIG;
            const char *e = bh_sip_scan_nameaddr(p, end, &out[n]);
            if (e == NULL)
                return BH_EPARSE;
            n++;
            if (e == end)
                break;
            if (*e != ',')
                return BH_EPARSE;
            p = e + 1;
        }
    }
    if (*star && n > 0)
        return BH_EPARSE;
    return (int)n;
}

int
bh_sip_routes(const struct bh_sip_msg *m, enum bh_sip_hdr id,
              struct bh_sip_nameaddr *out, size_t max) {
    if (id != BH_SIP_H_ROUTE && id != BH_SIP_H_RECORD_ROUTE)
        return BH_EINVAL;
    size_t n = 0;
    const struct bh_sip_header *h = NULL;
    while ((h = bh_sip_header_next(m, id, h)) != NULL) {
        const char *p = h->value.p, *end = p + h->value.len;
        for (;;) {
            if (n >= max)
                return BH_ETOOBIG;
            const char *e = bh_sip_scan_nameaddr(p, end, &out[n]);
            /* route-param = name-addr *( SEMI rr-param ): brackets are
             * required (RFC 3261 20.34). */
            if (e == NULL || out[n].uri.raw.p == h->value.p ||
                out[n].uri.raw.p[-1] != '<')
                return BH_EPARSE;
            n++;
            if (e == end)
                break;
            if (*e != ',')
                return BH_EPARSE;
            p = e + 1;
        }
    }
    return (int)n;
}

int
bh_sip_expires(const struct bh_sip_msg *m, uint32_t *seconds) {
    const struct bh_sip_header *h =
        bh_sip_header_next(m, BH_SIP_H_EXPIRES, NULL);
    if (h == NULL)
        return BH_ENOENT;
    uint64_t v;
    int over;
    const char *end = h->value.p + h->value.len;
    const char *e = parse_uint(h->value.p, end, UINT32_MAX, &v, &over);
    if (e == NULL || e != end)
        return BH_EPARSE;
    if (over)
        return BH_ERANGE;
    *seconds = (uint32_t)v;
    return 0;
}
