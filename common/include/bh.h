/* bh.h: what every part of busyhour shares: error codes, counted strings,
 * units (durations, percentages, money) and located diagnostics. */
#ifndef BH_H
#define BH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Error codes. Functions return 0 or one of these (negative). The codes
 * and their messages come from this one list (an X-macro, as libuv's
 * UV_ERRNO_MAP): the enum below and bh_strerror()'s table in error.c are
 * both generated from it, so a code cannot lose its message. Add new codes
 * at the end; numbers are stable. */
#define BH_ERRNO_MAP(X)                                                        \
    X(ENOMEM, 1, "out of memory")                                              \
    X(EINVAL, 2, "invalid argument")                                           \
    X(EPARSE, 3, "malformed input")                                            \
    X(ERANGE, 4, "value out of range")                                         \
    X(EIO, 5, "input/output error")                                            \
    X(ENOENT, 6, "no such file or entry")                                      \
    X(ETOOBIG, 7, "input larger than allowed")                                 \
    X(EUNSUPP, 8, "not supported")                                             \
    X(EAGAIN, 9, "incomplete input, try again")                                \
    X(EAUTH, 10, "authentication failed")                                      \
    X(ESTATE, 11, "not valid in this state")                                   \
    X(ETHRESH, 12, "a threshold failed")

#define BH_ERR_ENUM_(name, n, msg) BH_##name = -(n),
#define BH_ERR_COUNT_(name, n, msg) +1
enum bh_err {
    BH_OK = 0,
    BH_ERRNO_MAP(BH_ERR_ENUM_)
    /* The most negative code: -(number of codes). */
    BH_ERR_MIN = -(0 BH_ERRNO_MAP(BH_ERR_COUNT_))
};
#undef BH_ERR_ENUM_
#undef BH_ERR_COUNT_

/* Message for a code; never NULL, static storage. */
const char *bh_strerror(int err);

/* Exit statuses of the busyhour command (DESIGN.md). */
enum bh_exit {
    BH_EXIT_OK = 0,        /* success */
    BH_EXIT_THRESHOLD = 1, /* a scenario threshold failed */
    BH_EXIT_USAGE = 2,     /* bad usage or bad input */
    BH_EXIT_LOST = 3,      /* data was lost (the switch's CDR rows) */
    BH_EXIT_TARGET = 3     /* `load`: the target failed (stopped answering) */
};

/* A counted string: a view of len bytes at p, not NUL-terminated, owned by
 * whoever owns the buffer it points into. */
struct bh_str {
    const char *p;
    size_t len;
};

#define BH_STR_NULL ((struct bh_str){NULL, 0})
#define BH_STR_LIT(s) ((struct bh_str){(s), sizeof(s) - 1})

static inline struct bh_str
bh_str_make(const char *p, size_t len) {
    struct bh_str s = {p, len};
    return s;
}

int bh_str_eq(struct bh_str a, const char *cstr);     /* exact */
int bh_str_caseeq(struct bh_str a, const char *cstr); /* ASCII case-folded */

/* Money: integer micro-units of the scenario's currency (1 EUR = 1,000,000),
 * so that sums never drift. */
typedef int64_t bh_money;
#define BH_MONEY_UNIT 1000000LL

/* Units. Durations are double seconds in the model. Parsers accept the
 * scenario-file forms and return 0 or BH_EPARSE / BH_ERANGE. */

/* "90s", "4m", "1h", "1d", "250ms", "1.5h", "0" (bare 0 only). */
int bh_parse_duration(const char *s, double *seconds);
/* "40%", "0.5%"; stores a fraction in [0, 1]. */
int bh_parse_percent(const char *s, double *fraction);
/* "0.035", "8.50": a decimal amount, exact to the micro-unit; at most six
 * decimals, no exponent. */
int bh_parse_money(const char *s, bh_money *out);
/* "08:00", "23:59:30", "24:00": time of day, seconds since midnight. */
int bh_parse_clock(const char *s, double *seconds);
/* Formats a duration compactly ("4m", "1h30m", "90s", "0.25s") into buf. */
void bh_format_duration(double seconds, char *buf, size_t size);
/* Formats a fraction as a percentage with `digits` significant digits
 * ("53.69%"), for people: below BH_PERCENT_TINY (0.001%) it is "< 0.001%"
 * (never "4.829e-305%"), 0 is "0%", NaN "-". */
#define BH_PERCENT_TINY 1e-5
void bh_format_percent(double fraction, int digits, char *buf, size_t size);
/* Formats micro-units as a decimal with `decimals` places (2..6), rounding
 * half away from zero. */
void bh_format_money(bh_money m, int decimals, char *buf, size_t size);

/* Creates the folders above a file path that do not exist yet ("out/a/x.json"
 * makes out/ and out/a/), like mkdir -p on its dirname. Returns 0 or
 * BH_EIO. A path with no folder part needs nothing. */
int bh_mkdir_parents(const char *path);

/* A located diagnostic: FILE:LINE:COLUMN: message. Line and column are
 * 1-based; 0 means unknown (then they are left out when printed). */
struct bh_diag {
    char file[512];
    int line;
    int column;
    char msg[512];
};

void bh_diag_set(struct bh_diag *d, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes "file:line:column: msg\n". */
void bh_diag_print(const struct bh_diag *d, FILE *out);

#endif
