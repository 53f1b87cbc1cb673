/* error.c: bh_strerror(), its table generated from BH_ERRNO_MAP (bh.h). */
#include "bh.h"

#define BH_ERR_MSG_(name, n, msg) [n] = msg,
static const char *const messages[] = {[0] = "success",
                                       BH_ERRNO_MAP(BH_ERR_MSG_)};
#undef BH_ERR_MSG_

/* Every code numbered 1..N with no gap: the table then has N + 1 entries. */
_Static_assert(sizeof messages / sizeof *messages == 1 - BH_ERR_MIN,
               "BH_ERRNO_MAP must number its codes 1..N without gaps");

const char *
bh_strerror(int err) {
    if (err > 0 || err < BH_ERR_MIN || !messages[-err])
        return "unknown error";
    return messages[-err];
}
