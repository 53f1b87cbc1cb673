/* sip_uri.c: SIP, SIPS and tel URIs, parameters, escapes and name-addr. */
#include "proto.h"
#include "sip_int.h"
#include "sip_lex.h"

#include <string.h>

/* RFC 3261 25.1: port = 1*DIGIT; we also bound it to 16 bits. */
static const char *
parse_port(const char *p, const char *end, uint16_t *port) {
    uint32_t v = 0;
    const char *s = p;
    while (p < end && lex_is(*p, L_DIGIT)) {
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > 65535)
            return NULL;
        p++;
    }
    if (p == s || p - s > 5)
        return NULL;
    *port = (uint16_t)v;
    return p;
}

/* host = hostname / IPv4address / IPv6reference (RFC 3261 25.1). */
const char *
bh_sip_scan_host(const char *p, const char *end) {
    if (p < end && *p == '[') {
        const char *q = p + 1;
        while (q < end && (lex_is(*q, L_HEX) || *q == ':' || *q == '.'))
            q++;
        if (q == p + 1 || q >= end || *q != ']')
            return NULL;
        return q + 1;
    }
    const char *q = lex_span(p, end, L_HOST);
    if (q == p || *p == '.' || *p == '-')
        return NULL;
    return q;
}

/* params: *( ";" pname [ "=" pvalue ] ) with paramchar, no LWS (19.1.1).
 * p points after the first ';'. Stops at '?' or end. */
static const char *
scan_uri_params(const char *p, const char *end) {
    for (;;) {
        const char *q = lex_span_esc(p, end, L_PARAM);
        if (q == NULL || q == p)
            return NULL; /* empty or badly escaped pname */
        p = q;
        if (p < end && *p == '=') {
            q = lex_span_esc(p + 1, end, L_PARAM);
            if (q == NULL || q == p + 1)
                return NULL;
            p = q;
        }
        if (p < end && *p == ';') {
            p++;
            continue;
        }
        return p;
    }
}

/* headers: hname "=" hvalue *( "&" hname "=" hvalue ), p after '?'. */
static const char *
scan_uri_headers(const char *p, const char *end) {
    for (;;) {
        const char *q = lex_span_esc(p, end, L_HNV);
        if (q == NULL || q == p || q >= end || *q != '=')
            return NULL;
        p = lex_span_esc(q + 1, end, L_HNV);
        if (p == NULL)
            return NULL;
        if (p < end && *p == '&') {
            p++;
            continue;
        }
        return p;
    }
}

static int
parse_sip(const char *p, const char *end, struct bh_sip_uri *u) {
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at != NULL) {
        /* userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
         * The user part may hold ';' and '?' (RFC 4475 semiuri,
         * intmeth), so '@' decides where it ends. */
        const char *q = lex_span_esc(p, at, L_USER);
        if (q == NULL || q == p)
            return BH_EPARSE;
        u->user = bh_str_make(p, (size_t)(q - p));
        if (q < at) {
            if (*q != ':')
                return BH_EPARSE;
            const char *w = lex_span_esc(q + 1, at, L_PASS);
            if (w != at)
                return BH_EPARSE;
            u->password = bh_str_make(q + 1, (size_t)(at - q - 1));
        }
        p = at + 1;
    }
    const char *h = bh_sip_scan_host(p, end);
    if (h == NULL)
        return BH_EPARSE;
    u->host = bh_str_make(p, (size_t)(h - p));
    p = h;
    if (p < end && *p == ':') {
        p = parse_port(p + 1, end, &u->port);
        if (p == NULL)
            return BH_EPARSE;
        u->has_port = 1;
    }
    if (p < end && *p == ';') {
        const char *q = scan_uri_params(p + 1, end);
        if (q == NULL)
            return BH_EPARSE;
        u->params = bh_str_make(p + 1, (size_t)(q - p - 1));
        p = q;
    }
    if (p < end && *p == '?') {
        const char *q = scan_uri_headers(p + 1, end);
        if (q == NULL)
            return BH_EPARSE;
        u->headers = bh_str_make(p + 1, (size_t)(q - p - 1));
        p = q;
    }
    return p == end ? 0 : BH_EPARSE;
}

/* RFC 3966: telephone-subscriber *par; we check the character set, not
 * the full global/local number grammar. */
static int
parse_tel(const char *p, const char *end, struct bh_sip_uri *u) {
    const char *q = lex_span(p, end, L_TEL);
    if (q == p)
        return BH_EPARSE;
    u->user = bh_str_make(p, (size_t)(q - p));
    if (q < end && *q == ';') {
        const char *r = scan_uri_params(q + 1, end);
        if (r != end)
            return BH_EPARSE;
        u->params = bh_str_make(q + 1, (size_t)(end - q - 1));
        q = end;
    }
    return q == end ? 0 : BH_EPARSE;
}

int
bh_sip_uri_parse(struct bh_str s, struct bh_sip_uri *u) {
    memset(u, 0, sizeof *u);
    if (s.p == NULL || s.len == 0)
        return BH_EPARSE;
    const char *p = s.p, *end = s.p + s.len;
    u->raw = s;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    if (!lex_is(*p, L_ALPHA))
        return BH_EPARSE;
    const char *q = lex_span(p, end, L_SCHEME);
    if (q >= end || *q != ':')
        return BH_EPARSE;
    u->scheme_s = bh_str_make(p, (size_t)(q - p));
    size_t n = (size_t)(q - p);
    p = q + 1;
    if (lex_caseeq(u->scheme_s.p, n, "sip")) {
        u->scheme = BH_URI_SIP;
        return parse_sip(p, end, u);
    }
    if (lex_caseeq(u->scheme_s.p, n, "sips")) {
        u->scheme = BH_URI_SIPS;
        return parse_sip(p, end, u);
    }
    if (lex_caseeq(u->scheme_s.p, n, "tel")) {
        u->scheme = BH_URI_TEL;
        return parse_tel(p, end, u);
    }
    /* absoluteURI: hier-part / opaque-part, RFC 3261 25.1; we only check
     * that it is made of URI characters and is not empty. */
    u->scheme = BH_URI_OTHER;
    q = lex_span_esc(p, end, L_URIC);
    if (q != end || p == end)
        return BH_EPARSE;
    return 0;
}

/* Iterates generic params "name [= value]" separated by ';' with LWS
 * allowed around ';' and '=' (header params, RFC 3261 7.3.1) as well as
 * none (URI params). */
int
bh_sip_param(struct bh_str params, const char *name, struct bh_str *value) {
    if (params.p == NULL)
        return 0;
    const char *p = params.p, *end = params.p + params.len;
    size_t nlen = strlen(name);
    while (p < end) {
        p = lex_lws(p, end);
        const char *ns = p;
        while (p < end && *p != '=' && *p != ';' && *p != ' ' && *p != '\t' &&
               *p != '\r')
            p++;
        const char *ne = p;
        p = lex_lws(p, end);
        struct bh_str v = bh_str_make(p, 0);
        if (p < end && *p == '=') {
            p = lex_lws(p + 1, end);
            const char *vs = p;
            if (p < end && *p == '"') {
                const char *q = bh_sip_lex_quoted(p, end);
                p = q != NULL ? q : end;
                v = bh_str_make(vs + 1, (size_t)(p - vs) - (q ? 2 : 1));
            } else {
                while (p < end && *p != ';' && *p != ' ' && *p != '\t' &&
                       *p != '\r')
                    p++;
                v = bh_str_make(vs, (size_t)(p - vs));
            }
            p = lex_lws(p, end);
        }
        if ((size_t)(ne - ns) == nlen &&
            bh_str_caseeq(bh_str_make(ns, nlen), name)) {
            if (value != NULL)
                *value = v;
            return 1;
        }
        while (p < end && *p != ';')
            p++;
        if (p < end)
            p++;
    }
    return 0;
}

static int
hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)lex_lower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
bh_sip_unescape(struct bh_str in, char *out, size_t size) {
    size_t o = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];
        if (c == '%') {
            if (in.len - i < 3)
                return BH_EPARSE;
            int h = hexval(in.p[i + 1]), l = hexval(in.p[i + 2]);
            if (h < 0 || l < 0)
                return BH_EPARSE;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (o >= size)
            return BH_ETOOBIG;
        out[o++] = c;
    }
    if (o > (size_t)INT32_MAX)
        return BH_ETOOBIG;
    return (int)o;
}

int
bh_sip_escape_user(struct bh_str in, char *out, size_t size) {
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.p[i];
        if (lex_is((char)c, L_USER)) {
            if (o >= size)
                return BH_ETOOBIG;
            out[o++] = (char)c;
        } else {
            if (size - o < 3 || o > size)
                return BH_ETOOBIG;
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o > (size_t)INT32_MAX)
        return BH_ETOOBIG;
    return (int)o;
}

/* Compares two escaped strings after decoding; case-folded or not. */
static int
esc_equal(struct bh_str a, struct bh_str b, int fold) {
    size_t i = 0, j = 0;
    for (;;) {
        if (i >= a.len || j >= b.len)
            return i >= a.len && j >= b.len;
        int ca = (unsigned char)a.p[i], cb = (unsigned char)b.p[j];
        if (ca == '%' && a.len - i >= 3 && hexval(a.p[i + 1]) >= 0 &&
            hexval(a.p[i + 2]) >= 0) {
            ca = hexval(a.p[i + 1]) * 16 + hexval(a.p[i + 2]);
            i += 2;
        }
        if (cb == '%' && b.len - j >= 3 && hexval(b.p[j + 1]) >= 0 &&
            hexval(b.p[j + 2]) >= 0) {
            cb = hexval(b.p[j + 1]) * 16 + hexval(b.p[j + 2]);
            j += 2;
        }
        if (fold) {
            ca = lex_lower(ca);
            cb = lex_lower(cb);
        }
        if (ca != cb)
            return 0;
        i++;
        j++;
    }
}

int
bh_sip_uri_equal(const struct bh_sip_uri *a, const struct bh_sip_uri *b) {
    if (a->scheme != b->scheme)
        return 0;
    if (a->scheme != BH_URI_SIP && a->scheme != BH_URI_SIPS) {
        return esc_equal(a->raw, b->raw, 0);
    }
    /* RFC 3261 19.1.4 */
    if (!esc_equal(a->user, b->user, 0) ||
        !esc_equal(a->password, b->password, 0) ||
        !esc_equal(a->host, b->host, 1) || a->has_port != b->has_port ||
        a->port != b->port)
        return 0;
    static const char *const special[] = {"transport", "user", "ttl", "method",
                                          "maddr"};
    for (size_t k = 0; k < sizeof special / sizeof *special; k++) {
        struct bh_str va, vb;
        int ha = bh_sip_param(a->params, special[k], &va);
        int hb = bh_sip_param(b->params, special[k], &vb);
        if (ha != hb || (ha && !esc_equal(va, vb, 1)))
            return 0;
    }
    return 1;
}

/* Header params after a name-addr: *( SEMI generic-param ) with LWS
 * (RFC 3261 20.10, 25.1 generic-param = token [ EQUAL gen-value ]).
 * p is at the first ';' (after LWS). Stops at ',' or end. */
static const char *
scan_header_params(const char *p, const char *end, struct bh_sip_nameaddr *na) {
    const char *first = NULL, *last = p;
    while (p < end && *p == ';') {
        p = lex_lws(p + 1, end);
        const char *ns = p;
        p = lex_span(p, end, L_TOKEN);
        if (p == ns)
            return NULL;
        if (first == NULL)
            first = ns;
        size_t nlen = (size_t)(p - ns);
        const char *vs = NULL, *ve = NULL;
        const char *q = lex_lws(p, end);
        if (q < end && *q == '=') {
            q = lex_lws(q + 1, end);
            vs = q;
            if (q < end && *q == '"') {
                q = bh_sip_lex_quoted(q, end);
                if (q == NULL)
                    return NULL;
            } else if (q < end && *q == '[') {
                q = bh_sip_scan_host(q, end);
                if (q == NULL)
                    return NULL;
            } else {
                q = lex_span(q, end, L_TOKEN);
                if (q == vs)
                    return NULL;
            }
            ve = q;
            p = q;
        }
        if (nlen == 3 && lex_caseeq(ns, 3, "tag")) {
            /* tag-param = "tag" EQUAL token */
            if (vs == NULL || *vs == '"' || *vs == '[')
                return NULL;
            na->tag = bh_str_make(vs, (size_t)(ve - vs));
        }
        last = p;
        p = lex_lws(p, end);
    }
    if (first != NULL)
        na->params = bh_str_make(first, (size_t)(last - first));
    return p;
}

/* Scans one name-addr / addr-spec with params from p; stops at ',' or
 * end (after LWS). Returns the stop position or NULL. */
const char *
bh_sip_scan_nameaddr(const char *p, const char *end,
                     struct bh_sip_nameaddr *na) {
    /* na->uri is cleared by bh_sip_uri_parse; the rest here. */
    na->display = BH_STR_NULL;
    na->display_quoted = 0;
    na->params = BH_STR_NULL;
    na->tag = BH_STR_NULL;
    p = lex_lws(p, end);
    const char *start = p;
    const char *lt = NULL;
    if (p < end && *p == '"') {
        const char *q = bh_sip_lex_quoted(p, end);
        if (q == NULL)
            return NULL;
        na->display = bh_str_make(p + 1, (size_t)(q - p - 2));
        na->display_quoted = 1;
        p = lex_lws(q, end);
        if (p >= end || *p != '<')
            return NULL;
        lt = p;
    } else if (p < end && *p == '<') {
        lt = p;
    } else {
        /* display-name = *(token LWS), or an addr-spec. */
        const char *q = p, *last = p;
        while (q < end) {
            const char *t = lex_span(q, end, L_TOKEN);
            if (t == q)
                break;
            last = t;
            q = lex_lws(t, end);
        }
        if (q < end && *q == '<') {
            na->display = bh_str_make(start, (size_t)(last - start));
            lt = q;
        }
    }
    if (lt != NULL) {
        /* RFC 3261 25.1 name-addr: LAQUOT addr-spec RAQUOT; no LWS
         * inside the brackets (RFC 4475 badaspec). */
        const char *gt = memchr(lt + 1, '>', (size_t)(end - lt - 1));
        if (gt == NULL)
            return NULL;
        if (bh_sip_uri_parse(bh_str_make(lt + 1, (size_t)(gt - lt - 1)),
                             &na->uri) != 0)
            return NULL;
        p = lex_lws(gt + 1, end);
    } else {
        /* addr-spec: RFC 3261 20: a URI holding ',', ';' or '?' must be
         * in angle brackets, so here it ends at ';', ',' or LWS. */
        const char *q = p;
        while (q < end && *q != ';' && *q != ',' && *q != ' ' && *q != '\t' &&
               *q != '\r')
            q++;
        if (bh_sip_uri_parse(bh_str_make(p, (size_t)(q - p)), &na->uri) != 0)
            return NULL;
        if (na->uri.headers.len > 0 || memchr(p, '?', (size_t)(q - p)))
            if (na->uri.scheme == BH_URI_SIP || na->uri.scheme == BH_URI_SIPS)
                return NULL; /* RFC 4475 regbadct */
        p = lex_lws(q, end);
    }
    if (p < end && *p == ';') {
        p = scan_header_params(p, end, na);
        if (p == NULL)
            return NULL;
    }
    return p;
}

int
bh_sip_nameaddr_parse(struct bh_str s, struct bh_sip_nameaddr *na) {
    if (s.p == NULL)
        return BH_EPARSE;
    const char *end = s.p + s.len;
    const char *p = bh_sip_scan_nameaddr(s.p, end, na);
    if (p == NULL || p != end)
        return BH_EPARSE;
    return 0;
}
