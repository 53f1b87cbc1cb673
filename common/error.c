/* error.c: the one table of error codes and their messages. */
#include "bh.h"

static const char *const messages[] = {
    [0] = "success",
    [1] = "out of memory",
    [2] = "invalid argument",
    [3] = "malformed input",
    [4] = "value out of range",
    [5] = "input/output error",
    [6] = "no such file or entry",
    [7] = "input larger than allowed",
    [8] = "not supported",
    [9] = "incomplete input, try again",
    [10] = "authentication failed",
    [11] = "not valid in this state",
    [12] = "a threshold failed",
};

const char *
bh_strerror(int err) {
    if (err > 0 || err < BH_ERR_MIN)
        return "unknown error";
    return messages[-err];
}
