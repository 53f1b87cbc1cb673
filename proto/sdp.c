/* sdp.c: SDP parse and build (RFC 4566), audio offer/answer (RFC 3264). */
#include "proto.h"

#include <stdio.h>
#include <string.h>

static int
is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* Splits off the next SP-separated field of [*p, end). */
static struct bh_str
field(const char **p, const char *end) {
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    const char *e = s;
    while (e < end && *e != ' ')
        e++;
    *p = e;
    return bh_str_make(s, (size_t)(e - s));
}

static int
to_u64(struct bh_str s, uint64_t max, uint64_t *out) {
    uint64_t v = 0;
    if (s.len == 0 || s.len > 20)
        return BH_EPARSE;
    for (size_t i = 0; i < s.len; i++) {
        if (!is_digit(s.p[i]))
            return BH_EPARSE;
        uint64_t d = (uint64_t)(s.p[i] - '0');
        if (v > (max - d) / 10)
            return BH_ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int
str_is(struct bh_str s, const char *c) {
    return s.len == strlen(c) && memcmp(s.p, c, s.len) == 0;
}

static enum bh_sdp_dir
dir_of(struct bh_str a, int *ok) {
    *ok = 1;
    if (str_is(a, "sendrecv"))
        return BH_SDP_SENDRECV;
    if (str_is(a, "sendonly"))
        return BH_SDP_SENDONLY;
    if (str_is(a, "recvonly"))
        return BH_SDP_RECVONLY;
    if (str_is(a, "inactive"))
        return BH_SDP_INACTIVE;
    *ok = 0;
    return BH_SDP_SENDRECV;
}

/* RFC 3551 table 4: encodings of the static audio payload types. */
static void
static_pt(struct bh_sdp_fmt *f) {
    static const struct {
        uint8_t pt;
        const char *name;
    } map[] = {{0, "PCMU"}, {3, "GSM"}, {4, "G723"}, {8, "PCMA"},
               {9, "G722"}, {13, "CN"}, {18, "G729"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        if (map[i].pt == f->pt) {
            f->encoding = bh_str_make(map[i].name, strlen(map[i].name));
            f->clock_rate = 8000;
        }
    }
}

/* c=IN IP4 <addr>[/ttl] -> addr */
static int
parse_conn(const char *p, const char *end, struct bh_str *addr) {
    struct bh_str nt = field(&p, end), at = field(&p, end);
    struct bh_str a = field(&p, end);
    if (!str_is(nt, "IN") || (!str_is(at, "IP4") && !str_is(at, "IP6")) ||
        a.len == 0 || p != end)
        return BH_EPARSE;
    const char *slash = memchr(a.p, '/', a.len);
    if (slash != NULL)
        a.len = (size_t)(slash - a.p);
    if (a.len == 0 || a.len >= BH_SDP_ADDR_MAX)
        return BH_EPARSE;
    *addr = a;
    return 0;
}

#define FAIL(c, at)                                                            \
    do {                                                                       \
        rc = (c);                                                              \
        where = (at);                                                          \
        goto fail;                                                             \
    } while (0)

int
bh_sdp_parse(const char *buf, size_t len, struct bh_sdp *s,
             size_t *err_offset) {
    int rc = 0;
    const char *where = buf;
    memset(s, 0, sizeof *s);
    if (buf == NULL)
        return BH_EINVAL;
    const char *p = buf, *end = buf + len;
    int line = 0;
    struct bh_sdp_media *m = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *next = nl != NULL ? nl + 1 : end;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p) { /* tolerate a trailing empty line */
            p = next;
            continue;
        }
        /* RFC 4566 5: <type>=<value>, type one lower-case letter. */
        if (le - p < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z')
            FAIL(BH_EPARSE, p);
        char type = p[0];
        const char *v = p + 2;
        for (const char *q = v; q < le; q++)
            if (*q == '\0' || *q == '\r')
                FAIL(BH_EPARSE, q);
        /* v, o, s come first, in this order. */
        if (line == 0 && type != 'v')
            FAIL(BH_EPARSE, p);
        if (line == 1 && type != 'o')
            FAIL(BH_EPARSE, p);
        if (line == 2 && type != 's')
            FAIL(BH_EPARSE, p);
        line++;
        const char *q = v;
        switch (type) {
        case 'v':
            if (line != 1 || le - v != 1 || *v != '0')
                FAIL(BH_EPARSE, v);
            break;
        case 'o': {
            if (line != 2)
                FAIL(BH_EPARSE, p);
            s->origin_user = field(&q, le);
            struct bh_str id = field(&q, le), ver = field(&q, le);
            int r1 = to_u64(id, UINT64_MAX, &s->sess_id);
            int r2 = to_u64(ver, UINT64_MAX, &s->sess_version);
            if (r1 != 0 || r2 != 0)
                FAIL(r1 != 0 ? r1 : r2, v);
            struct bh_str nt = field(&q, le), at = field(&q, le);
            s->origin_addr = field(&q, le);
            if (!str_is(nt, "IN") || at.len == 0 || s->origin_addr.len == 0 ||
                q != le || s->origin_user.len == 0)
                FAIL(BH_EPARSE, v);
            break;
        }
        case 's':
            if (line != 3)
                FAIL(BH_EPARSE, p);
            s->session_name = bh_str_make(v, (size_t)(le - v));
            break;
        case 'c': {
            struct bh_str a;
            if (parse_conn(v, le, &a) != 0)
                FAIL(BH_EPARSE, v);
            if (m != NULL)
                m->conn_addr = a;
            else
                s->conn_addr = a;
            break;
        }
        case 'm': {
            if (s->nmedia >= BH_SDP_MAX_MEDIA)
                FAIL(BH_ETOOBIG, p);
            m = &s->media[s->nmedia++];
            memset(m, 0, sizeof *m);
            m->dir = s->dir;
            m->type = field(&q, le);
            struct bh_str port = field(&q, le);
            const char *slash = memchr(port.p, '/', port.len);
            if (slash != NULL)
                port.len = (size_t)(slash - port.p); /* port/count */
            uint64_t pv;
            int r = to_u64(port, 65535, &pv);
            if (m->type.len == 0 || r != 0)
                FAIL(r != 0 ? r : BH_EPARSE, v);
            m->port = (uint16_t)pv;
            m->proto = field(&q, le);
            if (m->proto.len == 0)
                FAIL(BH_EPARSE, v);
            int rtp = m->proto.len >= 7 && memcmp(m->proto.p, "RTP/", 4) == 0;
            for (;;) {
                struct bh_str f = field(&q, le);
                if (f.len == 0)
                    break;
                if (!rtp)
                    continue; /* fmt is not a payload type here */
                uint64_t pt;
                r = to_u64(f, 127, &pt);
                if (r != 0)
                    FAIL(r, f.p);
                if (m->nfmt >= BH_SDP_MAX_FMT)
                    FAIL(BH_ETOOBIG, f.p);
                struct bh_sdp_fmt *fm = &m->fmt[m->nfmt++];
                memset(fm, 0, sizeof *fm);
                fm->pt = (uint8_t)pt;
                static_pt(fm);
            }
            if (rtp && m->nfmt == 0)
                FAIL(BH_EPARSE, v);
            break;
        }
        case 'a': {
            const char *colon = memchr(v, ':', (size_t)(le - v));
            struct bh_str name =
                bh_str_make(v, (size_t)((colon ? colon : le) - v));
            int ok;
            enum bh_sdp_dir d = dir_of(name, &ok);
            if (ok && colon == NULL) {
                if (m != NULL)
                    m->dir = d;
                else
                    s->dir = d;
                break;
            }
            if (m == NULL || colon == NULL)
                break;
            q = colon + 1;
            if (str_is(name, "ptime")) {
                uint64_t pt;
                int r = to_u64(bh_str_make(q, (size_t)(le - q)), 10000, &pt);
                if (r != 0)
                    FAIL(r, q);
                m->ptime = (int)pt;
            } else if (str_is(name, "rtpmap") || str_is(name, "fmtp")) {
                /* rtpmap:<pt> <encoding>/<clock rate>[/<params>] */
                struct bh_str pts = field(&q, le);
                uint64_t pt;
                int r = to_u64(pts, 127, &pt);
                if (r != 0)
                    FAIL(r, pts.p);
                while (q < le && *q == ' ')
                    q++;
                struct bh_str rest = bh_str_make(q, (size_t)(le - q));
                struct bh_sdp_fmt *fm = NULL;
                for (size_t i = 0; i < m->nfmt; i++)
                    if (m->fmt[i].pt == pt)
                        fm = &m->fmt[i];
                if (fm == NULL)
                    break; /* attribute for a format not listed */
                if (name.p[0] == 'f') {
                    fm->fmtp = rest;
                    break;
                }
                /* RFC 4566 6 wants <encoding>/<rate>; RFC 2327-era
                 * bodies (RFC 4475: "a=rtpmap:31 LPC") leave the rate
                 * out, which we take as unknown (0). */
                const char *sl = memchr(rest.p, '/', rest.len);
                if (rest.len == 0 || sl == rest.p)
                    FAIL(BH_EPARSE, rest.p);
                fm->encoding =
                    bh_str_make(rest.p, (size_t)((sl ? sl : le) - rest.p));
                fm->clock_rate = 0;
                if (sl == NULL)
                    break;
                const char *re = sl + 1;
                const char *rend = memchr(re, '/', (size_t)(le - re));
                uint64_t rate;
                r = to_u64(bh_str_make(re, (size_t)((rend ? rend : le) - re)),
                           UINT32_MAX, &rate);
                if (r != 0)
                    FAIL(r, re);
                fm->clock_rate = (uint32_t)rate;
            }
            break;
        }
        default:
            break; /* i, u, e, p, b, t, r, z, k: not needed here */
        }
        p = next;
    }
    if (line < 3)
        FAIL(BH_EPARSE, p);
    /* RFC 4566 5.7: each media needs a connection address. */
    for (size_t i = 0; i < s->nmedia; i++) {
        if (s->media[i].conn_addr.len == 0)
            s->media[i].conn_addr = s->conn_addr;
        if (s->media[i].conn_addr.len == 0)
            FAIL(BH_EPARSE, end);
    }
    return 0;
fail:
    if (err_offset != NULL)
        *err_offset = (size_t)(where - buf);
    return rc;
}

static const char *
dir_name(enum bh_sdp_dir d) {
    switch (d) {
    case BH_SDP_SENDONLY:
        return "sendonly";
    case BH_SDP_RECVONLY:
        return "recvonly";
    case BH_SDP_INACTIVE:
        return "inactive";
    default:
        return "sendrecv";
    }
}

int
bh_sdp_build_audio(char *buf, size_t size, const struct bh_sdp_audio *a) {
    if (a->addr[0] == '\0' || memchr(a->addr, '\0', sizeof a->addr) == NULL ||
        a->npt > 4 || (a->npt == 0 && a->te_pt < 0))
        return BH_EINVAL;
    for (size_t i = 0; i < a->npt; i++)
        if (a->pt[i] != BH_RTP_PT_PCMU && a->pt[i] != BH_RTP_PT_PCMA)
            return BH_EINVAL;
    if (a->te_pt > 127)
        return BH_EINVAL;
    const char *af = strchr(a->addr, ':') != NULL ? "IP6" : "IP4";
    size_t n = 0;
    int w;
#define OUT(...)                                                               \
    do {                                                                       \
        w = snprintf(buf + n, size - n, __VA_ARGS__);                          \
        if (w < 0 || (size_t)w >= size - n)                                    \
            return BH_ETOOBIG;                                                 \
        n += (size_t)w;                                                        \
    } while (0)
    if (buf == NULL || size == 0)
        return BH_ETOOBIG;
    OUT("v=0\r\no=- %llu %llu IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n"
        "m=audio %u RTP/AVP",
        (unsigned long long)a->sess_id, (unsigned long long)a->sess_version, af,
        a->addr, af, a->addr, (unsigned)a->port);
    for (size_t i = 0; i < a->npt; i++)
        OUT(" %u", (unsigned)a->pt[i]);
    if (a->te_pt >= 0)
        OUT(" %d", a->te_pt);
    OUT("\r\n");
    for (size_t i = 0; i < a->npt; i++)
        OUT("a=rtpmap:%u %s/8000\r\n", (unsigned)a->pt[i],
            a->pt[i] == BH_RTP_PT_PCMU ? "PCMU" : "PCMA");
    if (a->te_pt >= 0)
        OUT("a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n", a->te_pt,
            a->te_pt);
    if (a->ptime > 0)
        OUT("a=ptime:%d\r\n", a->ptime);
    OUT("a=%s\r\n", dir_name(a->dir));
#undef OUT
    if (n > INT32_MAX)
        return BH_ETOOBIG;
    return (int)n;
}

static int
caseeq(struct bh_str s, const char *c) {
    return bh_str_caseeq(s, c);
}

/* Is fmt f one of the G.711 codecs with payload type pt? */
static int
is_codec(const struct bh_sdp_fmt *f, uint8_t pt) {
    const char *name = pt == BH_RTP_PT_PCMU ? "PCMU" : "PCMA";
    if (f->encoding.len == 0)
        return f->pt == pt;
    return caseeq(f->encoding, name) && f->clock_rate == 8000;
}

static const struct bh_sdp_media *
first_audio(const struct bh_sdp *s) {
    for (size_t i = 0; i < s->nmedia; i++) {
        const struct bh_sdp_media *m = &s->media[i];
        if (str_is(m->type, "audio") && m->nfmt > 0)
            return m;
    }
    return NULL;
}

static enum bh_sdp_dir
mirror(enum bh_sdp_dir peer, enum bh_sdp_dir local) {
    /* RFC 3264 6.1 */
    enum bh_sdp_dir d;
    switch (peer) {
    case BH_SDP_SENDONLY:
        d = BH_SDP_RECVONLY;
        break;
    case BH_SDP_RECVONLY:
        d = BH_SDP_SENDONLY;
        break;
    case BH_SDP_INACTIVE:
        return BH_SDP_INACTIVE;
    default:
        return local;
    }
    if (local == BH_SDP_INACTIVE || (local != BH_SDP_SENDRECV && local != d))
        return BH_SDP_INACTIVE;
    return d;
}

static void
copy_addr(char *dst, struct bh_str a) {
    size_t n = a.len < BH_SDP_ADDR_MAX - 1 ? a.len : BH_SDP_ADDR_MAX - 1;
    memcpy(dst, a.p, n);
    dst[n] = '\0';
}

int
bh_sdp_is_hold(const struct bh_sdp_media *m) {
    /* RFC 3264 8.4; 0.0.0.0 is the RFC 2543 way. */
    return m->dir == BH_SDP_SENDONLY || m->dir == BH_SDP_INACTIVE ||
           str_is(m->conn_addr, "0.0.0.0");
}

int
bh_sdp_answer(const struct bh_sdp *offer, const struct bh_sdp_audio *local,
              struct bh_sdp_audio *answer, struct bh_sdp_plan *plan) {
    const struct bh_sdp_media *m = first_audio(offer);
    if (m == NULL || m->port == 0)
        return BH_ENOENT;
    int chosen = -1, te = -1;
    /* The offerer's order wins (RFC 3264 6.1: SHOULD use the offer's
     * preference); the codec must be one we have. */
    for (size_t i = 0; i < m->nfmt && chosen < 0; i++)
        for (size_t k = 0; k < local->npt; k++)
            if (is_codec(&m->fmt[i], local->pt[k]))
                chosen = local->pt[k];
    if (chosen < 0)
        return BH_EUNSUPP;
    if (local->te_pt >= 0)
        for (size_t i = 0; i < m->nfmt; i++)
            if (caseeq(m->fmt[i].encoding, "telephone-event") &&
                m->fmt[i].clock_rate == 8000)
                te = m->fmt[i].pt; /* the offer's PT number, RFC 3264 6.1 */
    *answer = *local;
    answer->pt[0] = (uint8_t)chosen;
    answer->npt = 1;
    answer->te_pt = te;
    answer->ptime = m->ptime > 0 ? m->ptime : local->ptime;
    answer->dir = mirror(m->dir, local->dir);
    if (str_is(m->conn_addr, "0.0.0.0") && answer->dir == BH_SDP_SENDRECV)
        answer->dir = BH_SDP_RECVONLY;
    memset(plan, 0, sizeof *plan);
    plan->pt = (uint8_t)chosen;
    plan->te_pt = te;
    plan->ptime = answer->ptime > 0 ? answer->ptime : 20;
    plan->dir = answer->dir;
    copy_addr(plan->remote_addr, m->conn_addr);
    plan->remote_port = m->port;
    plan->hold = bh_sdp_is_hold(m);
    return 0;
}

int
bh_sdp_accept(const struct bh_sdp *answer, const struct bh_sdp_audio *offer,
              struct bh_sdp_plan *plan) {
    const struct bh_sdp_media *m = first_audio(answer);
    if (m == NULL || m->port == 0)
        return BH_ENOENT;
    int chosen = -1, te = -1;
    for (size_t i = 0; i < m->nfmt && chosen < 0; i++)
        for (size_t k = 0; k < offer->npt; k++)
            if (m->fmt[i].pt == offer->pt[k] &&
                is_codec(&m->fmt[i], offer->pt[k]))
                chosen = offer->pt[k];
    if (chosen < 0)
        return BH_EUNSUPP;
    for (size_t i = 0; i < m->nfmt; i++)
        if (offer->te_pt >= 0 && m->fmt[i].pt == offer->te_pt &&
            caseeq(m->fmt[i].encoding, "telephone-event"))
            te = offer->te_pt;
    memset(plan, 0, sizeof *plan);
    plan->pt = (uint8_t)chosen;
    plan->te_pt = te;
    plan->ptime =
        m->ptime > 0 ? m->ptime : (offer->ptime > 0 ? offer->ptime : 20);
    plan->dir = mirror(m->dir, offer->dir);
    copy_addr(plan->remote_addr, m->conn_addr);
    plan->remote_port = m->port;
    plan->hold = bh_sdp_is_hold(m);
    return 0;
}
