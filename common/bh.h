/* bh.h: what every part of busyhour shares: error codes, counted strings,
 * units (durations, percentages, money) and located diagnostics. */
#ifndef BH_H
#define BH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Error codes. Functions return 0 or one of these (negative). The messages
 * come from one table in error.c, read with bh_strerror(). */
enum bh_err {
    BH_OK = 0,
    BH_ENOMEM = -1,   /* out of memory */
    BH_EINVAL = -2,   /* invalid argument */
    BH_EPARSE = -3,   /* malformed input */
    BH_ERANGE = -4,   /* value out of range */
    BH_EIO = -5,      /* input/output error */
    BH_ENOENT = -6,   /* no such file or entry */
    BH_ETOOBIG = -7,  /* input larger than a bounded size */
    BH_EUNSUPP = -8,  /* valid but unsupported */
    BH_EAGAIN = -9,   /* try again later (incomplete input) */
    BH_EAUTH = -10,   /* authentication failed */
    BH_ESTATE = -11,  /* operation not valid in this state */
    BH_ETHRESH = -12, /* a scenario threshold failed */
    BH_ERR_MIN = -12
};

/* Message for a code; never NULL, static storage. */
const char *bh_strerror(int err);

/* Exit statuses of the busyhour command (DESIGN.md). */
enum bh_exit {
    BH_EXIT_OK = 0,        /* success */
    BH_EXIT_THRESHOLD = 1, /* a scenario threshold failed */
    BH_EXIT_USAGE = 2      /* bad usage or bad input */
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
