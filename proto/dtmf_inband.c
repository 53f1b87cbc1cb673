/* dtmf_inband.c: in-band DTMF detection and generation via spandsp. */
#include "proto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

struct bh_dtmf_detector {
    dtmf_rx_state_t *rx; /* owned */
};

struct bh_dtmf_generator {
    dtmf_tx_state_t *tx; /* owned */
};

struct bh_dtmf_detector *
bh_dtmf_detector_new(void) {
    struct bh_dtmf_detector *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    /* No callback: digits are collected in spandsp's buffer and read
     * back with dtmf_rx_get after each block. */
    d->rx = dtmf_rx_init(NULL, NULL, NULL);
    if (d->rx == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

void
bh_dtmf_detector_free(struct bh_dtmf_detector *d) {
    if (d == NULL)
        return;
    dtmf_rx_free(d->rx);
    free(d);
}

int
bh_dtmf_detect(struct bh_dtmf_detector *d, const int16_t *pcm, size_t n,
               char *digits, size_t size) {
    if (d == NULL || (pcm == NULL && n > 0) || digits == NULL || size == 0 ||
        size > INT_MAX)
        return BH_EINVAL;
    while (n > 0) {
        int chunk = n > 8000 ? 8000 : (int)n;
        dtmf_rx(d->rx, pcm, chunk);
        pcm += chunk;
        n -= (size_t)chunk;
    }
    size_t got = dtmf_rx_get(d->rx, digits, (int)(size - 1));
    digits[got] = '\0';
    return (int)got;
}

struct bh_dtmf_generator *
bh_dtmf_generator_new(void) {
    struct bh_dtmf_generator *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    g->tx = dtmf_tx_init(NULL);
    if (g->tx == NULL) {
        free(g);
        return NULL;
    }
    return g;
}

void
bh_dtmf_generator_free(struct bh_dtmf_generator *g) {
    if (g == NULL)
        return;
    dtmf_tx_free(g->tx);
    free(g);
}

int
bh_dtmf_generate_queue(struct bh_dtmf_generator *g, const char *digits) {
    if (g == NULL || digits == NULL)
        return BH_EINVAL;
    for (const char *p = digits; *p; p++)
        if (bh_dtmf_from_char(*p) < 0)
            return BH_EINVAL;
    size_t len = strlen(digits);
    if (len > INT_MAX)
        return BH_ETOOBIG;
    /* dtmf_tx_put returns the number of digits it could not queue. */
    if (dtmf_tx_put(g->tx, digits, (int)len) != 0)
        return BH_ETOOBIG;
    return 0;
}

int
bh_dtmf_generate(struct bh_dtmf_generator *g, int16_t *pcm, size_t n) {
    if (g == NULL || (pcm == NULL && n > 0) || n > INT_MAX)
        return BH_EINVAL;
    int made = dtmf_tx(g->tx, pcm, (int)n);
    if (made < 0)
        made = 0;
    if ((size_t)made < n)
        memset(pcm + made, 0, (n - (size_t)made) * sizeof *pcm);
    return made;
}
