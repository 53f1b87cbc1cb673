/* limits.c: what one source address or one account may take of the
 * switch, in the spirit of Kamailio's pike: events of a key counted in a
 * window, a key over its bound blocked for a while. A fixed table, so
 * that a flood from many addresses costs no memory beyond it. */
#include "internal.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Slots probed for a key: a key's slot is one of these from its hash. */
#define PROBE 8

int
sw_limiter_init(struct sw_limiter *l, size_t nslots, uint64_t seed,
                uint32_t max, double window, double block) {
    memset(l, 0, sizeof *l);
    /* A power of two, so that the probe wraps with a mask. */
    size_t n = PROBE;
    while (n < nslots)
        n <<= 1;
    l->slot = calloc(n, sizeof *l->slot);
    if (!l->slot)
        return BH_ENOMEM;
    l->nslots = n;
    l->seed = seed | 1;
    l->max = max;
    l->window = window;
    l->block = block;
    return 0;
}

void
sw_limiter_fini(struct sw_limiter *l) {
    free(l->slot);
    l->slot = NULL;
    l->nslots = 0;
}

/* FNV-1a mixed with a random seed: an attacker cannot choose keys that
 * share a probe sequence without knowing it. */
static uint64_t
key_hash(const struct sw_limiter *l, const void *key, size_t klen) {
    uint64_t h = 0xcbf29ce484222325ULL ^ l->seed;
    const uint8_t *p = key;
    for (size_t i = 0; i < klen; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 29;
    return h ? h : 1;
}

static int
slot_is(const struct sw_limit_slot *s, uint64_t h, const void *key,
        size_t klen) {
    return s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0;
}

/* The slot of key, or NULL. */
static struct sw_limit_slot *
lookup(const struct sw_limiter *l, const void *key, size_t klen, uint64_t h) {
    for (size_t i = 0; i < PROBE; i++) {
        struct sw_limit_slot *s = &l->slot[(h + i) & (l->nslots - 1)];
        if (slot_is(s, h, key, klen))
            return s;
    }
    return NULL;
}

int
sw_limiter_hit(struct sw_limiter *l, const void *key, size_t klen, double now) {
    if (l->max == 0 || !l->slot)
        return SW_LIMIT_OK;
    if (klen > SW_LIMIT_KEY)
        klen = SW_LIMIT_KEY;
    uint64_t h = key_hash(l, key, klen);
    struct sw_limit_slot *s = lookup(l, key, klen, h);
    if (!s) {
        /* A free slot, one whose window and block are over, or else the
         * one whose window started longest ago and is not blocked. A
         * probe sequence full of blocked keys leaves the key uncounted. */
        struct sw_limit_slot *oldest = NULL;
        for (size_t i = 0; i < PROBE && !s; i++) {
            struct sw_limit_slot *c = &l->slot[(h + i) & (l->nslots - 1)];
            if (c->hash == 0 ||
                (c->blocked_until <= now && c->since + l->window <= now))
                s = c;
            else if (c->blocked_until <= now &&
                     (!oldest || c->since < oldest->since))
                oldest = c;
        }
        if (!s)
            s = oldest;
        if (!s) {
            l->untracked++;
            return SW_LIMIT_OK;
        }
        memset(s, 0, sizeof *s);
        s->hash = h;
        s->klen = (uint8_t)klen;
        memcpy(s->key, key, klen);
        s->since = now;
    }
    if (s->blocked_until > now)
        return SW_LIMIT_BLOCKED;
    if (now - s->since >= l->window) {
        s->since = now;
        s->count = 0;
    }
    if (++s->count > l->max) {
        s->blocked_until = now + l->block;
        l->blocks++;
        return SW_LIMIT_NEWLY_BLOCKED;
    }
    return SW_LIMIT_OK;
}

int
sw_limiter_blocked(const struct sw_limiter *l, const void *key, size_t klen,
                   double now) {
    if (l->max == 0 || !l->slot)
        return 0;
    if (klen > SW_LIMIT_KEY)
        klen = SW_LIMIT_KEY;
    const struct sw_limit_slot *s =
        lookup(l, key, klen, key_hash(l, key, klen));
    return s && s->blocked_until > now;
}

size_t
sw_limiter_blocked_now(const struct sw_limiter *l, double now) {
    size_t n = 0;
    for (size_t i = 0; i < l->nslots; i++)
        if (l->slot[i].hash && l->slot[i].blocked_until > now)
            n++;
    return n;
}

size_t
sw_addr_key(const struct sw_addr *a, uint8_t key[16]) {
    if (a->ss.ss_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, 16);
        return 16;
    }
    memcpy(key, &((const struct sockaddr_in *)&a->ss)->sin_addr, 4);
    return 4;
}

int
sw_cps_admit(struct bh_switch *sw) {
    /* A token bucket holding 250 ms of max_cps (at least one call): new
     * calls beyond the rate are shed at once, before they cost anything,
     * so that the calls admitted keep their time. */
    long cps = sw->cfg->limits.max_cps;
    if (cps <= 0)
        return 1;
    double now = sw_now(sw);
    double burst = fmax(1.0, (double)cps / 4.0);
    if (sw->cps_at == 0)
        sw->cps_tokens = burst;
    sw->cps_tokens =
        fmin(burst, sw->cps_tokens + (now - sw->cps_at) * (double)cps);
    sw->cps_at = now;
    if (sw->cps_tokens < 1.0)
        return 0;
    sw->cps_tokens -= 1.0;
    return 1;
}
