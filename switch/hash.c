/* hash.c: a chained hash table with byte-string keys for transactions,
 * dialogs and calls. Nodes are embedded in the entries (no allocation per
 * entry); the table doubles when it holds more entries than buckets. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t
sw_hash(const char *k, size_t n) {
    /* FNV-1a, 64 bit: keys are short tokens, speed matters more than
     * resistance to chosen keys (the switch never trusts peers to spread
     * them evenly; a long chain costs time, not correctness). */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int
sw_htab_init(struct sw_htab *t) {
    t->nb = 1024;
    t->n = 0;
    t->b = calloc(t->nb, sizeof *t->b);
    return t->b ? 0 : BH_ENOMEM;
}

void
sw_htab_fini(struct sw_htab *t) {
    free(t->b);
    t->b = NULL;
    t->nb = t->n = 0;
}

static void
grow(struct sw_htab *t) {
    size_t nb = t->nb * 2;
    struct sw_hnode **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* keep the longer chains */
    for (size_t i = 0; i < t->nb; i++) {
        struct sw_hnode *x = t->b[i], *next;
        for (; x; x = next) {
            next = x->next;
            size_t j = x->hash & (nb - 1);
            x->next = b[j];
            b[j] = x;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

int
sw_htab_put(struct sw_htab *t, struct sw_hnode *node) {
    node->hash = sw_hash(node->key, node->klen);
    size_t j = node->hash & (t->nb - 1);
    node->next = t->b[j];
    t->b[j] = node;
    t->n++;
    if (t->n > t->nb)
        grow(t);
    return 0;
}

struct sw_hnode *
sw_htab_get(const struct sw_htab *t, const char *k, size_t n) {
    uint64_t h = sw_hash(k, n);
    for (struct sw_hnode *x = t->b[h & (t->nb - 1)]; x; x = x->next)
        if (x->hash == h && x->klen == n && memcmp(x->key, k, n) == 0)
            return x;
    return NULL;
}

void
sw_htab_del(struct sw_htab *t, struct sw_hnode *node) {
    struct sw_hnode **p = &t->b[node->hash & (t->nb - 1)];
    for (; *p; p = &(*p)->next)
        if (*p == node) {
            *p = node->next;
            t->n--;
            node->next = NULL;
            return;
        }
}
