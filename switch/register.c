/* register.c: REGISTER with digest authentication (RFC 3261 10 and 22,
 * RFC 2617 MD5, RFC 8760 SHA-256) for the scenario's accounts, and the
 * table of their bindings. */
#include "internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NONCE_AGE 300    /* s a nonce stays valid */
#define EXPIRES_MAX 7200 /* s, longest binding granted */
#define EXPIRES_DEF 3600 /* s, when the UA names none */

static const struct bh_sc_account *
account(struct bh_switch *sw, struct bh_str user) {
    for (size_t i = 0; i < sw->cfg->naccounts; i++) {
        const struct bh_sc_account *a = &sw->cfg->accounts[i];
        if (strlen(a->user) == user.len &&
            memcmp(a->user, user.p, user.len) == 0)
            return a;
    }
    return NULL;
}

/* ---- nonces (RFC 2617, RFC 8760) ------------------------------------------
 * A nonce is "IIIIIIII." + the proto's stateless nonce (time and HMAC),
 * made with a key that mixes the switch's secret, the nonce's number
 * IIIIIIII and the client's address: it is valid only from the address it
 * was given to (Kamailio's auth_checks) and only while its slot in
 * sw->nonces still holds its number (65,536 at once, older ones are
 * stale). The slot keeps the highest nonce count accepted, so a captured
 * Authorization replayed, from any port or Call-ID, is refused
 * (Kamailio's nonce_count; without qop a nonce is single-use, as
 * one_time_nonce). */

#define NONCE_ID_HEX 8

static size_t
nonce_key(const struct bh_switch *sw, uint32_t id, const struct sw_addr *a,
          uint8_t *key) {
    memcpy(key, sw->nonce_secret, sizeof sw->nonce_secret);
    size_t n = sizeof sw->nonce_secret;
    memcpy(key + n, &id, sizeof id);
    n += sizeof id;
    return n + sw_addr_key(a, key + n);
}

#define NONCE_KEY_MAX (32 + 4 + 16)

/* A fresh nonce for the client at a into out[BH_DIGEST_NONCE_MAX]. */
static int
nonce_new(struct bh_switch *sw, const struct sw_addr *a, char *out) {
    uint32_t id = sw->next_nonce++;
    struct sw_nonce_slot *slot = &sw->nonces[id % SW_NONCE_SLOTS];
    slot->id = id;
    slot->nc = 0;
    uint8_t key[NONCE_KEY_MAX];
    size_t klen = nonce_key(sw, id, a, key);
    snprintf(out, NONCE_ID_HEX + 2, "%08x.", (unsigned)id);
    uint64_t now = (uint64_t)(sw->epoch0 + sw_now(sw));
    return bh_digest_nonce_make(out + NONCE_ID_HEX + 1, key, klen, now);
}

_Static_assert(NONCE_ID_HEX + 1 + 16 + 1 + 32 < BH_DIGEST_NONCE_MAX,
               "a numbered nonce must fit BH_DIGEST_NONCE_MAX");

/* 0: the nonce is ours, for this client, fresh, its slot live (*slot
 * set); BH_ESTATE: genuine but stale (answer stale=true); BH_EAUTH:
 * forged, for another client, or malformed. */
static int
nonce_check(struct bh_switch *sw, struct bh_str nonce, const struct sw_addr *a,
            struct sw_nonce_slot **slot) {
    if (nonce.len <= NONCE_ID_HEX + 1 || nonce.p[NONCE_ID_HEX] != '.')
        return BH_EAUTH;
    uint32_t id = 0;
    for (size_t i = 0; i < NONCE_ID_HEX; i++) {
        char c = nonce.p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0)
            return BH_EAUTH;
        id = id << 4 | (uint32_t)d;
    }
    uint8_t key[NONCE_KEY_MAX];
    size_t klen = nonce_key(sw, id, a, key);
    uint64_t now = (uint64_t)(sw->epoch0 + sw_now(sw));
    int rc = bh_digest_nonce_check(
        bh_str_make(nonce.p + NONCE_ID_HEX + 1, nonce.len - NONCE_ID_HEX - 1),
        key, klen, now, NONCE_AGE);
    if (rc < 0)
        return rc;
    *slot = &sw->nonces[id % SW_NONCE_SLOTS];
    return (*slot)->id == id ? 0 : BH_ESTATE;
}

/* 1 when the credentials' nonce count is new for the nonce (and records
 * it), 0 for a replay. */
static int
nonce_count_fresh(struct sw_nonce_slot *slot,
                  const struct bh_digest_credentials *cr) {
    uint32_t nc = UINT32_MAX; /* no qop: the nonce is used once */
    if (cr->qop.len > 0) {
        if (cr->nc.len == 0 || cr->nc.len > 8)
            return 0;
        nc = 0;
        for (size_t i = 0; i < cr->nc.len; i++) {
            char c = cr->nc.p[i];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return 0;
            nc = nc << 4 | (uint32_t)d;
        }
    }
    if (nc <= slot->nc)
        return 0;
    slot->nc = nc;
    return 1;
}

static void
challenge(const struct sw_req *req, int stale) {
    struct bh_switch *sw = req->sw;
    /* RFC 8760 2.4: one challenge per algorithm, preferred first. */
    char nonce[BH_DIGEST_NONCE_MAX];
    if (nonce_new(sw, &req->from, nonce) < 0) {
        sw_reply(req, WHY_SERVER_ERROR);
        return;
    }
    char extra[1024], v[400];
    size_t at = 0;
    static const enum bh_digest_alg algs[] = {BH_DIGEST_SHA256, BH_DIGEST_MD5};
    for (int i = 0; i < 2; i++) {
        int n = bh_digest_build_challenge(v, sizeof v, BH_STR_LIT(SW_REALM),
                                          bh_str_make(nonce, strlen(nonce)),
                                          algs[i], stale);
        if (n < 0)
            continue;
        int k = snprintf(extra + at, sizeof extra - at,
                         "WWW-Authenticate: %.*s\r\n", n, v);
        if (k > 0 && (size_t)k < sizeof extra - at)
            at += (size_t)k;
    }
    extra[at] = '\0';
    sw_answer(req, WHY_UNAUTHORIZED, NULL, extra, NULL, 0);
}

/* ---- failed authentications ----------------------------------------------
 * Each is one line on stderr, whatever --verbose says, in the format the
 * fail2ban filter contrib/fail2ban/busyhour.conf reads (switch/README.md):
 *   2026-12-07T21:10:00Z busyhour switch: auth failed: source=127.0.0.2
 *   port=5071 user="op1" reason=wrong-password
 * A source or an account with more than auth_failures in a minute is
 * blocked for auth_block s: its attempts get 403 unchecked and unlogged
 * (one line says when the block starts), so a guesser learns nothing and
 * cannot fill the disk. */

static void auth_line(struct bh_switch *sw, const char *what, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void
auth_line(struct bh_switch *sw, const char *what, const char *fmt, ...) {
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char rest[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s busyhour switch: auth %s: %s\n", when, what, rest);
    (void)sw;
}

/* A user name as it may be written in a log line: letters, digits and
 * ._@+- kept, anything else '?', cut at 32 bytes. */
static void
safe_user(char *out, size_t size, struct bh_str u) {
    size_t n = 0;
    for (size_t i = 0; i < u.len && n + 1 < size && i < 32; i++) {
        char c = u.p[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || strchr("._@+-", c);
        out[n++] = ok && c ? c : '?';
    }
    out[n] = '\0';
}

/* A failed attempt: counted, logged, the source and the account charged;
 * answered 403 (the same for an unknown user, Asterisk's
 * alwaysauthreject), or with a fresh challenge (stale=true) for a replay,
 * which a client that reused its nonce by mistake answers again. */
static void
auth_failed(const struct sw_req *req, struct bh_str user, const char *why,
            int replay) {
    struct bh_switch *sw = req->sw;
    char ip[INET6_ADDRSTRLEN + 2], name[40];
    uint16_t port;
    sw_addr_format(&req->from, ip, sizeof ip, &port);
    safe_user(name, sizeof name, user);
    sw->m.auth_failures++;
    auth_line(sw, "failed", "source=%s port=%u user=\"%s\" reason=%s", ip,
              (unsigned)port, name, why);
    double now = sw_now(sw);
    uint8_t key[16];
    size_t klen = sw_addr_key(&req->from, key);
    if (sw_limiter_hit(&sw->auth_src, key, klen, now) ==
        SW_LIMIT_NEWLY_BLOCKED) {
        sw->m.auth_blocks++;
        auth_line(sw, "blocked", "source=%s for %.0f s after %u failures", ip,
                  sw->auth_src.block, (unsigned)sw->auth_src.max);
    }
    if (user.len > 0 && sw_limiter_hit(&sw->auth_user, user.p, user.len, now) ==
                            SW_LIMIT_NEWLY_BLOCKED) {
        sw->m.auth_blocks++;
        auth_line(sw, "blocked", "user=\"%s\" for %.0f s after %u failures",
                  name, sw->auth_user.block, (unsigned)sw->auth_user.max);
    }
    if (replay)
        challenge(req, 1);
    else
        sw_reply(req, WHY_FORBIDDEN);
}

size_t
sw_registered_all(struct bh_switch *sw, const char *user, const char **out,
                  size_t max) {
    double now = sw_now(sw);
    size_t k = 0;
    for (size_t i = 0; i < sw->nregs && k < max; i++)
        if (strcmp(sw->regs[i].user, user) == 0 && sw->regs[i].expires > now)
            out[k++] = sw->regs[i].contact;
    return k;
}

const char *
sw_registered(struct bh_switch *sw, const char *user) {
    /* The latest of its live bindings (the one that expires last). */
    double now = sw_now(sw);
    const struct sw_registration *best = NULL;
    for (size_t i = 0; i < sw->nregs; i++)
        if (strcmp(sw->regs[i].user, user) == 0 && sw->regs[i].expires > now &&
            (!best || sw->regs[i].expires >= best->expires))
            best = &sw->regs[i];
    return best ? best->contact : NULL;
}

static void
bind_contact(struct bh_switch *sw, const char *user, struct bh_str contact,
             uint32_t expires) {
    /* One binding per (account, contact): an account may have several
     * phones (RFC 3261 10.3 step 7); an expired slot is reused. */
    double now = sw_now(sw);
    struct sw_registration *r = NULL, *spare = NULL;
    for (size_t i = 0; i < sw->nregs && !r; i++) {
        struct sw_registration *x = &sw->regs[i];
        if (strcmp(x->user, user) == 0 && strlen(x->contact) == contact.len &&
            memcmp(x->contact, contact.p, contact.len) == 0)
            r = x;
        else if (x->expires <= now && !spare)
            spare = x;
    }
    if (!r)
        r = spare;
    if (!r && sw->nregs < SW_MAX_REGISTRATIONS)
        r = &sw->regs[sw->nregs++];
    if (!r)
        return;
    snprintf(r->user, sizeof r->user, "%s", user);
    snprintf(r->contact, sizeof r->contact, "%.*s", (int)contact.len,
             contact.p);
    r->expires = expires ? now + expires : now;
}

/* RFC 3261 22 with RFC 2617 / RFC 8760 digest: the account whose
 * credentials the request carries, or NULL once it has been answered
 * (401 with a fresh challenge, or 403). An unknown user and a wrong
 * password get the same answer, after the same work. */
const struct bh_sc_account *
sw_authenticate(const struct sw_req *req, int *refused) {
    struct bh_switch *sw = req->sw;
    const struct bh_sip_msg *m = req->msg;
    double now = sw_now(sw);
    *refused = 1; /* a 403, unless a challenge is sent below */
    uint8_t key[16];
    size_t klen = sw_addr_key(&req->from, key);
    if (sw_limiter_blocked(&sw->auth_src, key, klen, now)) {
        sw->m.auth_refused++;
        sw_reply(req, WHY_FORBIDDEN);
        return NULL;
    }
    const struct bh_sip_header *h =
        bh_sip_header_next(m, BH_SIP_H_AUTHORIZATION, NULL);
    struct bh_digest_credentials cr;
    if (!h || bh_digest_parse_credentials(h->value, &cr) < 0 ||
        !bh_str_eq(cr.realm, SW_REALM)) {
        /* No credentials, or for another realm (RFC 4475 regaut01):
         * challenge. */
        *refused = 0;
        challenge(req, 0);
        return NULL;
    }
    if (sw_limiter_blocked(&sw->auth_user, cr.username.p, cr.username.len,
                           now)) {
        sw->m.auth_refused++;
        sw_reply(req, WHY_FORBIDDEN);
        return NULL;
    }
    /* The nonce before the user: a nonce that is not this client's gets a
     * challenge whoever the user is. */
    struct sw_nonce_slot *slot = NULL;
    int rc = nonce_check(sw, cr.nonce, &req->from, &slot);
    if (rc < 0) {
        *refused = 0;
        challenge(req, rc == BH_ESTATE); /* RFC 2617 3.2.1 stale=true */
        return NULL;
    }
    const struct bh_sc_account *a = account(sw, cr.username);
    /* An unknown user is checked against a password nobody has, so that
     * it costs what a wrong password costs. */
    int ok = bh_digest_verify(&cr, m->method_name,
                              a ? bh_str_make(a->password, strlen(a->password))
                                : BH_STR_LIT("\001unknown\001")) == 0;
    if (!a || !ok) {
        auth_failed(req, cr.username, a ? "wrong-password" : "unknown-user", 0);
        return NULL;
    }
    if (!nonce_count_fresh(slot, &cr)) {
        /* A nonce count seen before: a replayed Authorization. */
        sw->m.auth_replays++;
        *refused = 0; /* challenged again (stale) */
        auth_failed(req, cr.username, "replay", 1);
        return NULL;
    }
    return a;
}

void
sw_register(const struct sw_req *req) {
    struct bh_switch *sw = req->sw;
    const struct bh_sip_msg *m = req->msg;
    if (sw->cfg->naccounts == 0) {
        sw_reply(req, WHY_FORBIDDEN);
        return;
    }
    /* RFC 3261 10.3 steps 1-2 and 8.2.2: the address of record must be
     * a SIP URI, and the bindings must parse, before any challenge
     * (RFC 4475 3.1.2.13 regbadct, 3.3.4 unksm2). */
    if (m->to.uri.scheme != BH_URI_SIP && m->to.uri.scheme != BH_URI_SIPS) {
        sw_reply(req, WHY_UNSUPP_URI);
        return;
    }
    struct bh_sip_nameaddr contacts[4];
    int star = 0;
    int n = bh_sip_contacts(m, contacts, 4, &star);
    if (n < 0) {
        sw_reply(req, WHY_BAD_REQUEST);
        return;
    }
    int refused;
    const struct bh_sc_account *a = sw_authenticate(req, &refused);
    if (!a)
        return;
    /* The AOR's user must be the authenticated account (RFC 3261 10.3
     * step 3). */
    if (!bh_str_eq(m->to.uri.user, a->user)) {
        sw_reply(req, WHY_FORBIDDEN);
        return;
    }
    uint32_t expires = EXPIRES_DEF;
    uint32_t hdr;
    if (bh_sip_expires(m, &hdr) == 0)
        expires = hdr;
    char extra[512] = "";
    if (star) {
        for (size_t i = 0; i < sw->nregs; i++) /* remove all */
            if (strcmp(sw->regs[i].user, a->user) == 0)
                sw->regs[i].expires = sw_now(sw);
    } else if (n > 0) {
        struct bh_str ev;
        if (bh_sip_param(contacts[0].params, "expires", &ev) && ev.len > 0 &&
            ev.len < 10) {
            char tmp[12];
            memcpy(tmp, ev.p, ev.len);
            tmp[ev.len] = '\0';
            expires = (uint32_t)strtoul(tmp, NULL, 10);
        }
        if (expires > EXPIRES_MAX)
            expires = EXPIRES_MAX;
        bind_contact(sw, a->user, contacts[0].uri.raw, expires);
        if (expires > 0)
            snprintf(extra, sizeof extra, "Contact: <%.*s>;expires=%u\r\n",
                     (int)contacts[0].uri.raw.len, contacts[0].uri.raw.p,
                     (unsigned)expires);
    }
    sw_answer(req, WHY_OK, NULL, extra, NULL, 0);
}
