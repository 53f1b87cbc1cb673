/* lines.c: a number's line group, lines taken first come first served. */
#include "switch.h"

#include <stdlib.h>

/* "Lowest free line" is found with a cursor below which every line is
 * busy; it only moves back on release, so seize is amortised O(1) and line
 * numbers stay small for the CDRs. */
struct bh_switch_lines {
    int n;
    int busy;
    int low;              /* every line below low is busy */
    unsigned char *taken; /* owned, n bytes */
};

int
bh_switch_lines_new(int n, struct bh_switch_lines **out) {
    *out = NULL;
    if (n < 0 || n > BH_SWITCH_MAX_LINES)
        return BH_ERANGE;
    struct bh_switch_lines *g = calloc(1, sizeof *g);
    if (!g)
        return BH_ENOMEM;
    g->taken = calloc((size_t)n + 1, 1);
    if (!g->taken) {
        free(g);
        return BH_ENOMEM;
    }
    g->n = n;
    *out = g;
    return 0;
}

void
bh_switch_lines_free(struct bh_switch_lines *g) {
    if (!g)
        return;
    free(g->taken);
    free(g);
}

int
bh_switch_lines_seize(struct bh_switch_lines *g) {
    if (g->busy >= g->n)
        return BH_ERANGE;
    while (g->low < g->n && g->taken[g->low])
        g->low++;
    if (g->low >= g->n)
        return BH_ERANGE; /* unreachable while busy < n */
    int i = g->low++;
    g->taken[i] = 1;
    g->busy++;
    return i;
}

int
bh_switch_lines_release(struct bh_switch_lines *g, int i) {
    if (i < 0 || i >= g->n || !g->taken[i])
        return BH_ESTATE;
    g->taken[i] = 0;
    g->busy--;
    if (i < g->low)
        g->low = i;
    return 0;
}

int
bh_switch_lines_busy(const struct bh_switch_lines *g) {
    return g->busy;
}

int
bh_switch_lines_count(const struct bh_switch_lines *g) {
    return g->n;
}
