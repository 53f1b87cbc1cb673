/* grow.h: a caller's array grown by doubling, for the switch's pure-logic
 * pieces (mixer.c, rooms.c). */
#ifndef BH_SWITCH_GROW_H
#define BH_SWITCH_GROW_H

#include "bh.h"

#include <stdlib.h>

/* Grows the array *arr (of *cap elements of `size` bytes) to hold at least
 * `need`, doubling from 16. Returns 0, or BH_ENOMEM with *arr unchanged. */
static inline int
sw_grow(void *arr, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *p = realloc(*(void **)arr, c * size);
    if (!p)
        return BH_ENOMEM;
    *(void **)arr = p;
    *cap = c;
    return 0;
}

#endif
