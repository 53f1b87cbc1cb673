/* units.c: durations, percentages, money and clock times as scenario files
 * write them, parsed strictly (no trailing garbage, no NaN, no overflow). */
#include "bh.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
bh_str_eq(struct bh_str a, const char *cstr) {
    size_t n = strlen(cstr);
    return a.len == n && (n == 0 || memcmp(a.p, cstr, n) == 0);
}

int
bh_str_caseeq(struct bh_str a, const char *cstr) {
    size_t n = strlen(cstr);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a.p[i]) != tolower((unsigned char)cstr[i]))
            return 0;
    return 1;
}

/* Parses a plain non-negative decimal number (digits, optional fraction).
 * Returns the number of characters consumed, 0 if none. */
static size_t
decimal(const char *s, double *out) {
    size_t i = 0;
    while (isdigit((unsigned char)s[i]))
        i++;
    size_t int_digits = i;
    if (s[i] == '.') {
        size_t j = i + 1;
        while (isdigit((unsigned char)s[j]))
            j++;
        if (j == i + 1 && int_digits == 0)
            return 0;
        i = j;
    }
    if (i == 0)
        return 0;
    char buf[64];
    if (i >= sizeof buf)
        return 0;
    memcpy(buf, s, i);
    buf[i] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno || !isfinite(v))
        return 0;
    *out = v;
    return i;
}

int
bh_parse_duration(const char *s, double *seconds) {
    if (!s || !*s)
        return BH_EPARSE;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    double total = 0;
    int parts = 0;
    while (*s) {
        double v;
        size_t n = decimal(s, &v);
        if (n == 0)
            return BH_EPARSE;
        s += n;
        double unit;
        if (strncmp(s, "ms", 2) == 0) {
            unit = 0.001;
            s += 2;
        } else if (*s == 's') {
            unit = 1;
            s++;
        } else if (*s == 'm') {
            unit = 60;
            s++;
        } else if (*s == 'h') {
            unit = 3600;
            s++;
        } else if (*s == 'd') {
            unit = 86400;
            s++;
        } else if (*s == '\0' && parts == 0 && v == 0) {
            unit = 0; /* a bare 0 needs no unit */
        } else {
            return BH_EPARSE;
        }
        total += v * unit;
        parts++;
    }
    if (!isfinite(total) || total > 1e12)
        return BH_ERANGE;
    *seconds = neg ? -total : total;
    return 0;
}

int
bh_parse_percent(const char *s, double *fraction) {
    if (!s || !*s)
        return BH_EPARSE;
    double v;
    size_t n = decimal(s, &v);
    if (n == 0 || strcmp(s + n, "%") != 0)
        return BH_EPARSE;
    if (v > 100)
        return BH_ERANGE;
    *fraction = v / 100.0;
    return 0;
}

int
bh_parse_money(const char *s, bh_money *out) {
    if (!s || !*s)
        return BH_EPARSE;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    int64_t whole = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
        if (whole > (INT64_MAX / BH_MONEY_UNIT) / 10)
            return BH_ERANGE;
        whole = whole * 10 + (*s++ - '0');
        digits++;
    }
    int64_t frac = 0;
    int fdigits = 0;
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s)) {
            if (fdigits == 6)
                return BH_ERANGE; /* finer than a micro-unit */
            frac = frac * 10 + (*s++ - '0');
            fdigits++;
        }
    }
    if (*s != '\0' || digits + fdigits == 0)
        return BH_EPARSE;
    while (fdigits++ < 6)
        frac *= 10;
    bh_money m = whole * BH_MONEY_UNIT + frac;
    *out = neg ? -m : m;
    return 0;
}

int
bh_parse_clock(const char *s, double *seconds) {
    int h = 0, m = 0, sec = 0, n = 0;
    if (!s)
        return BH_EPARSE;
    size_t len = strlen(s);
    if (len == 5 && sscanf(s, "%2d:%2d%n", &h, &m, &n) == 2 && n == 5) {
        sec = 0;
    } else if (len == 8 && sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) == 3 &&
               n == 8) {
    } else {
        return BH_EPARSE;
    }
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]) && s[i] != ':')
            return BH_EPARSE;
    if (m > 59 || sec > 59 || h > 24 || (h == 24 && (m || sec)))
        return BH_ERANGE;
    *seconds = h * 3600.0 + m * 60.0 + sec;
    return 0;
}

void
bh_format_duration(double seconds, char *buf, size_t size) {
    if (seconds < 0 || !isfinite(seconds) || seconds != floor(seconds) ||
        seconds < 60) {
        snprintf(buf, size, "%gs", seconds);
        return;
    }
    long s = (long)seconds;
    long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, r = s % 60;
    size_t off = 0;
    if (d && off < size)
        off += snprintf(buf + off, size - off, "%ldd", d);
    if (h && off < size)
        off += snprintf(buf + off, size - off, "%ldh", h);
    if (m && off < size)
        off += snprintf(buf + off, size - off, "%ldm", m);
    if (r && off < size)
        snprintf(buf + off, size - off, "%lds", r);
}

void
bh_format_percent(double fraction, int digits, char *buf, size_t size) {
    if (isnan(fraction))
        snprintf(buf, size, "-");
    else if (fraction == 0)
        snprintf(buf, size, "0%%");
    else if (fraction > 0 && fraction < BH_PERCENT_TINY)
        snprintf(buf, size, "< %g%%", BH_PERCENT_TINY * 100);
    else
        snprintf(buf, size, "%.*g%%", digits, fraction * 100);
}

void
bh_format_money(bh_money m, int decimals, char *buf, size_t size) {
    if (decimals < 0)
        decimals = 0;
    if (decimals > 6)
        decimals = 6;
    int64_t div = 1;
    for (int i = decimals; i < 6; i++)
        div *= 10;
    int neg = m < 0;
    uint64_t a = neg ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
    a = (a + (uint64_t)div / 2) / (uint64_t)div; /* half away from zero */
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    if (decimals)
        snprintf(buf, size, "%s%llu.%0*llu", neg && a ? "-" : "",
                 (unsigned long long)(a / scale), decimals,
                 (unsigned long long)(a % scale));
    else
        snprintf(buf, size, "%s%llu", neg && a ? "-" : "",
                 (unsigned long long)a);
}

void
bh_diag_set(struct bh_diag *d, int line, int column, const char *fmt, ...) {
    if (!d)
        return;
    d->line = line;
    d->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

void
bh_diag_print(const struct bh_diag *d, FILE *out) {
    const char *file = d->file[0] ? d->file : "<input>";
    if (d->line > 0 && d->column > 0)
        fprintf(out, "%s:%d:%d: %s\n", file, d->line, d->column, d->msg);
    else if (d->line > 0)
        fprintf(out, "%s:%d: %s\n", file, d->line, d->msg);
    else
        fprintf(out, "%s: %s\n", file, d->msg);
}
