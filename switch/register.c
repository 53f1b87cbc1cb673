/* register.c: REGISTER with digest authentication (RFC 3261 10 and 22,
 * RFC 2617 MD5, RFC 8760 SHA-256) for the scenario's accounts, and the
 * table of their bindings. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
challenge(const struct sw_req *req, int stale) {
    struct bh_switch *sw = req->sw;
    /* RFC 8760 2.4: one challenge per algorithm, preferred first. */
    char nonce[BH_DIGEST_NONCE_MAX];
    uint64_t now = (uint64_t)(sw->epoch0 + sw_now(sw));
    bh_digest_nonce_make(nonce, sw->nonce_secret, sizeof sw->nonce_secret, now);
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
 * (401 with a fresh challenge, or 403). */
const struct bh_sc_account *
sw_authenticate(const struct sw_req *req, int *refused) {
    struct bh_switch *sw = req->sw;
    const struct bh_sip_msg *m = req->msg;
    const struct bh_sip_header *h =
        bh_sip_header_next(m, BH_SIP_H_AUTHORIZATION, NULL);
    struct bh_digest_credentials cr;
    *refused = 0;
    if (!h || bh_digest_parse_credentials(h->value, &cr) < 0 ||
        !bh_str_eq(cr.realm, SW_REALM)) {
        /* No credentials, or for another realm (RFC 4475 regaut01):
         * challenge. */
        challenge(req, 0);
        return NULL;
    }
    const struct bh_sc_account *a = account(sw, cr.username);
    if (!a) {
        *refused = 1;
        sw_reply(req, WHY_FORBIDDEN);
        return NULL;
    }
    uint64_t now = (uint64_t)(sw->epoch0 + sw_now(sw));
    int rc = bh_digest_nonce_check(cr.nonce, sw->nonce_secret,
                                   sizeof sw->nonce_secret, now, NONCE_AGE);
    if (rc < 0) {
        challenge(req, rc == BH_ESTATE); /* RFC 2617 3.2.1 stale=true */
        return NULL;
    }
    if (bh_digest_verify(&cr, m->method_name,
                         bh_str_make(a->password, strlen(a->password))) < 0) {
        *refused = 1;
        sw_reply(req, WHY_FORBIDDEN);
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
