/* digest.c: HTTP digest authentication for SIP (RFC 2617, RFC 8760). */
#include "proto.h"
#include "sip_lex.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <string.h>

static const EVP_MD *
md_of(enum bh_digest_alg alg) {
    return alg == BH_DIGEST_SHA256 ? EVP_sha256() : EVP_md5();
}

static void
to_hex(const unsigned char *d, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* H(p0 ":" p1 ":" ... ) in lower hex, the building block of 3.2.2.1. */
static int
hash_parts(enum bh_digest_alg alg, const struct bh_str *parts, size_t n,
           char *out) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md_of(alg), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++) {
        if (i > 0)
            ok = EVP_DigestUpdate(ctx, ":", 1) == 1;
        if (ok && parts[i].len > 0)
            ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].len) == 1;
    }
    if (ok)
        ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return BH_ENOMEM;
    to_hex(md, mdlen, out);
    return 0;
}

int
bh_digest_response(enum bh_digest_alg alg, struct bh_str username,
                   struct bh_str realm, struct bh_str password,
                   struct bh_str method, struct bh_str uri, struct bh_str nonce,
                   struct bh_str nc, struct bh_str cnonce, struct bh_str qop,
                   char *out) {
    if (alg != BH_DIGEST_MD5 && alg != BH_DIGEST_SHA256)
        return BH_EINVAL;
    char ha1[BH_DIGEST_HEX_MAX], ha2[BH_DIGEST_HEX_MAX];
    struct bh_str a1[] = {username, realm, password};
    struct bh_str a2[] = {method, uri};
    int rc = hash_parts(alg, a1, 3, ha1);
    if (rc == 0)
        rc = hash_parts(alg, a2, 2, ha2);
    if (rc != 0)
        return rc;
    struct bh_str h1 = bh_str_make(ha1, strlen(ha1));
    struct bh_str h2 = bh_str_make(ha2, strlen(ha2));
    if (qop.len == 0) {
        /* RFC 2617 3.2.2.1, the RFC 2069 compatible form */
        struct bh_str r[] = {h1, nonce, h2};
        return hash_parts(alg, r, 3, out);
    }
    struct bh_str r[] = {h1, nonce, nc, cnonce, qop, h2};
    return hash_parts(alg, r, 6, out);
}

/* ---- header parsing ------------------------------------------------ */

/* Iterates auth-params: token "=" ( token / quoted-string ), separated by
 * commas with LWS (RFC 2617 1.2, 3.2.1). The callback gets the name and
 * the value without quotes. Returns 0 or BH_EPARSE. */
typedef void (*param_fn)(void *arg, struct bh_str name, struct bh_str value);

static int
each_param(struct bh_str value, struct bh_str *scheme, param_fn fn, void *arg) {
    if (value.p == NULL)
        return BH_EPARSE;
    const char *p = value.p, *end = value.p + value.len;
    p = lex_lws(p, end);
    const char *s = p;
    p = lex_span(p, end, L_TOKEN);
    if (p == s)
        return BH_EPARSE;
    *scheme = bh_str_make(s, (size_t)(p - s));
    const char *q = lex_lws(p, end);
    if (q == p && q != end)
        return BH_EPARSE;
    p = q;
    while (p < end) {
        const char *ns = p;
        p = lex_span(p, end, L_TOKEN);
        if (p == ns)
            return BH_EPARSE;
        struct bh_str name = bh_str_make(ns, (size_t)(p - ns));
        p = lex_lws(p, end);
        if (p >= end || *p != '=')
            return BH_EPARSE;
        p = lex_lws(p + 1, end);
        struct bh_str v;
        if (p < end && *p == '"') {
            const char *e = bh_sip_lex_quoted(p, end);
            if (e == NULL)
                return BH_EPARSE;
            v = bh_str_make(p + 1, (size_t)(e - p - 2));
            p = e;
        } else {
            const char *vs = p;
            p = lex_span(p, end, L_TOKEN);
            if (p == vs)
                return BH_EPARSE;
            v = bh_str_make(vs, (size_t)(p - vs));
        }
        fn(arg, name, v);
        p = lex_lws(p, end);
        if (p < end) {
            if (*p != ',')
                return BH_EPARSE;
            p = lex_lws(p + 1, end);
            if (p >= end)
                return BH_EPARSE;
        }
    }
    return 0;
}

static int
alg_of(struct bh_str a, enum bh_digest_alg *alg) {
    if (a.len == 0 || bh_str_caseeq(a, "MD5")) {
        *alg = BH_DIGEST_MD5; /* RFC 2617 3.2.1: MD5 when absent */
        return 0;
    }
    if (bh_str_caseeq(a, "SHA-256")) {
        *alg = BH_DIGEST_SHA256;
        return 0;
    }
    return BH_EUNSUPP; /* -sess variants, SHA-512-256 */
}

static int
name_is(struct bh_str n, const char *c) {
    return bh_str_caseeq(n, c);
}

static void
challenge_param(void *arg, struct bh_str n, struct bh_str v) {
    struct bh_digest_challenge *c = arg;
    if (name_is(n, "realm"))
        c->realm = v;
    else if (name_is(n, "nonce"))
        c->nonce = v;
    else if (name_is(n, "opaque"))
        c->opaque = v;
    else if (name_is(n, "qop"))
        c->qop = v;
    else if (name_is(n, "algorithm"))
        c->algorithm = v;
    else if (name_is(n, "domain"))
        c->domain = v;
    else if (name_is(n, "stale"))
        c->stale = bh_str_caseeq(v, "true");
}

int
bh_digest_parse_challenge(struct bh_str value, struct bh_digest_challenge *c) {
    memset(c, 0, sizeof *c);
    struct bh_str scheme;
    int rc = each_param(value, &scheme, challenge_param, c);
    if (rc != 0)
        return rc;
    if (!bh_str_caseeq(scheme, "Digest"))
        return BH_EUNSUPP;
    rc = alg_of(c->algorithm, &c->alg);
    if (rc != 0)
        return rc;
    if (c->realm.p == NULL || c->nonce.p == NULL)
        return BH_EPARSE;
    return 0;
}

static void
cred_param(void *arg, struct bh_str n, struct bh_str v) {
    struct bh_digest_credentials *c = arg;
    if (name_is(n, "username"))
        c->username = v;
    else if (name_is(n, "realm"))
        c->realm = v;
    else if (name_is(n, "nonce"))
        c->nonce = v;
    else if (name_is(n, "uri"))
        c->uri = v;
    else if (name_is(n, "response"))
        c->response = v;
    else if (name_is(n, "cnonce"))
        c->cnonce = v;
    else if (name_is(n, "nc"))
        c->nc = v;
    else if (name_is(n, "qop"))
        c->qop = v;
    else if (name_is(n, "opaque"))
        c->opaque = v;
    else if (name_is(n, "algorithm"))
        c->algorithm = v;
}

int
bh_digest_parse_credentials(struct bh_str value,
                            struct bh_digest_credentials *c) {
    memset(c, 0, sizeof *c);
    struct bh_str scheme;
    int rc = each_param(value, &scheme, cred_param, c);
    if (rc != 0)
        return rc;
    if (!bh_str_caseeq(scheme, "Digest"))
        return BH_EUNSUPP;
    rc = alg_of(c->algorithm, &c->alg);
    if (rc != 0)
        return rc;
    if (c->username.p == NULL || c->realm.p == NULL || c->nonce.p == NULL ||
        c->uri.p == NULL || c->response.p == NULL)
        return BH_EPARSE;
    /* RFC 2617 3.2.2: with qop, cnonce and an 8-hex-digit nc. */
    if (c->qop.len > 0) {
        if (c->cnonce.p == NULL || c->nc.len != 8)
            return BH_EPARSE;
        for (size_t i = 0; i < 8; i++)
            if (!lex_is(c->nc.p[i], L_HEX))
                return BH_EPARSE;
    }
    return 0;
}

/* ---- nonces -------------------------------------------------------- */

#define NONCE_TS_HEX 16
#define NONCE_MAC_HEX 32

static int
nonce_mac(const uint8_t *secret, size_t secret_len, uint64_t ts, char *out) {
    unsigned char msg[8], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    for (int i = 0; i < 8; i++)
        msg[i] = (unsigned char)(ts >> (56 - 8 * i));
    if (secret_len > INT32_MAX ||
        HMAC(EVP_sha256(), secret, (int)secret_len, msg, sizeof msg, md,
             &mdlen) == NULL ||
        mdlen < NONCE_MAC_HEX / 2)
        return BH_ENOMEM;
    to_hex(md, NONCE_MAC_HEX / 2, out);
    return 0;
}

int
bh_digest_nonce_make(char *out, const uint8_t *secret, size_t secret_len,
                     uint64_t now_s) {
    if (out == NULL || secret == NULL || secret_len == 0)
        return BH_EINVAL;
    snprintf(out, NONCE_TS_HEX + 1, "%016llx", (unsigned long long)now_s);
    out[NONCE_TS_HEX] = ':';
    return nonce_mac(secret, secret_len, now_s, out + NONCE_TS_HEX + 1);
}

int
bh_digest_nonce_check(struct bh_str nonce, const uint8_t *secret,
                      size_t secret_len, uint64_t now_s, uint64_t max_age_s) {
    if (secret == NULL || secret_len == 0)
        return BH_EINVAL;
    if (nonce.len != NONCE_TS_HEX + 1 + NONCE_MAC_HEX ||
        nonce.p[NONCE_TS_HEX] != ':')
        return BH_EAUTH;
    uint64_t ts = 0;
    for (size_t i = 0; i < NONCE_TS_HEX; i++) {
        char c = nonce.p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return BH_EAUTH;
        ts = ts << 4 | (uint64_t)d;
    }
    char mac[NONCE_MAC_HEX + 1];
    if (nonce_mac(secret, secret_len, ts, mac) != 0)
        return BH_ENOMEM;
    if (CRYPTO_memcmp(mac, nonce.p + NONCE_TS_HEX + 1, NONCE_MAC_HEX) != 0)
        return BH_EAUTH;
    if (ts > now_s)
        return BH_EAUTH; /* from the future: not ours to trust */
    if (now_s - ts > max_age_s)
        return BH_ESTATE;
    return 0;
}

/* ---- building and verifying ---------------------------------------- */

static const char *
alg_name(enum bh_digest_alg alg) {
    return alg == BH_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

/* Values we put inside quotes must not need escaping. */
static int
quotable(struct bh_str s) {
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '"' || c == '\\' || c < 0x20 || c == 0x7F)
            return 0;
    }
    return 1;
}

int
bh_digest_build_challenge(char *buf, size_t size, struct bh_str realm,
                          struct bh_str nonce, enum bh_digest_alg alg,
                          int stale) {
    if (!quotable(realm) || !quotable(nonce) || realm.len > INT32_MAX ||
        nonce.len > INT32_MAX)
        return BH_EINVAL;
    int n = snprintf(buf, size,
                     "Digest realm=\"%.*s\", nonce=\"%.*s\", algorithm=%s, "
                     "qop=\"auth\"%s",
                     (int)realm.len, realm.p, (int)nonce.len, nonce.p,
                     alg_name(alg), stale ? ", stale=true" : "");
    if (n < 0 || (size_t)n >= size)
        return BH_ETOOBIG;
    return n;
}

/* Does the qop list ("auth,auth-int") offer "auth"? */
static int
offers_auth(struct bh_str qop) {
    if (qop.p == NULL)
        return 0;
    const char *p = qop.p, *end = qop.p + qop.len;
    while (p != NULL && p < end) {
        p = lex_lws(p, end);
        const char *s = p;
        p = lex_span(p, end, L_TOKEN);
        if (p - s == 4 && lex_caseeq(s, 4, "auth"))
            return 1;
        p = lex_lws(p, end);
        if (p < end && *p != ',')
            return 0;
        if (p < end)
            p++;
        if (p == s)
            return 0;
    }
    return 0;
}

int
bh_digest_build_credentials(char *buf, size_t size,
                            const struct bh_digest_challenge *c,
                            struct bh_str username, struct bh_str password,
                            struct bh_str method, struct bh_str uri,
                            struct bh_str cnonce, uint32_t nc) {
    if (!quotable(username) || !quotable(uri) || !quotable(cnonce) ||
        !quotable(c->realm) || !quotable(c->nonce) || !quotable(c->opaque))
        return BH_EINVAL;
    int auth = offers_auth(c->qop);
    char ncs[9];
    snprintf(ncs, sizeof ncs, "%08x", (unsigned)nc);
    struct bh_str ncv = bh_str_make(ncs, 8);
    struct bh_str qop = auth ? BH_STR_LIT("auth") : BH_STR_NULL;
    if (auth && cnonce.len == 0)
        return BH_EINVAL;
    char resp[BH_DIGEST_HEX_MAX];
    int rc = bh_digest_response(c->alg, username, c->realm, password, method,
                                uri, c->nonce, ncv, cnonce, qop, resp);
    if (rc != 0)
        return rc;
    size_t n = 0;
    int w;
#define OUT(...)                                                               \
    do {                                                                       \
        w = snprintf(buf + n, size - n, __VA_ARGS__);                          \
        if (w < 0 || (size_t)w >= size - n)                                    \
            return BH_ETOOBIG;                                                 \
        n += (size_t)w;                                                        \
    } while (0)
    if (buf == NULL || size == 0 || username.len > 4096 || uri.len > 4096 ||
        cnonce.len > 4096 || c->realm.len > 4096 || c->nonce.len > 4096 ||
        c->opaque.len > 4096)
        return BH_ETOOBIG;
    OUT("Digest username=\"%.*s\", realm=\"%.*s\", nonce=\"%.*s\", "
        "uri=\"%.*s\", response=\"%s\", algorithm=%s",
        (int)username.len, username.p, (int)c->realm.len, c->realm.p,
        (int)c->nonce.len, c->nonce.p, (int)uri.len, uri.p, resp,
        alg_name(c->alg));
    if (auth)
        OUT(", cnonce=\"%.*s\", nc=%s, qop=auth", (int)cnonce.len, cnonce.p,
            ncs);
    if (c->opaque.p != NULL)
        OUT(", opaque=\"%.*s\"", (int)c->opaque.len, c->opaque.p);
#undef OUT
    return (int)n;
}

int
bh_digest_verify(const struct bh_digest_credentials *c, struct bh_str method,
                 struct bh_str password) {
    char want[BH_DIGEST_HEX_MAX];
    if (c->qop.len > 0 && !bh_str_caseeq(c->qop, "auth"))
        return BH_EAUTH; /* auth-int is not offered */
    int rc =
        bh_digest_response(c->alg, c->username, c->realm, password, method,
                           c->uri, c->nonce, c->nc, c->cnonce, c->qop, want);
    if (rc != 0)
        return rc;
    size_t n = strlen(want);
    if (c->response.len != n)
        return BH_EAUTH;
    /* Lower-case the received hex, then compare in constant time. */
    char got[BH_DIGEST_HEX_MAX];
    for (size_t i = 0; i < n; i++)
        got[i] = (char)lex_lower((unsigned char)c->response.p[i]);
    return CRYPTO_memcmp(got, want, n) == 0 ? 0 : BH_EAUTH;
}
