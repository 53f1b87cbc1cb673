/* sip_lex.h: character classes and LWS helpers shared by the SIP parsers. */
#ifndef BH_SIP_LEX_H
#define BH_SIP_LEX_H

/* Private to proto/. The classes are the ABNF sets of RFC 3261 25.1. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum sip_lex_class {
    L_TOKEN = 0x0001,
    L_UNRES = 0x0002,
    L_USER = 0x0004,
    L_PASS = 0x0008,
    L_PARAM = 0x0010,
    L_HNV = 0x0020,
    L_HOST = 0x0040,
    L_WORD = 0x0080,
    L_URIC = 0x0100,
    L_SCHEME = 0x0200,
    L_DIGIT = 0x0400,
    L_HEX = 0x0800,
    L_ALPHA = 0x1000,
    L_TEL = 0x2000,
    L_QDTEXT = 0x4000,
    L_GENVAL = 0x8000,
};

/* One entry per byte: OR of the classes it belongs to (sip_lex.c). */
extern const uint16_t bh_sip_lex[256];

static inline int
lex_is(char c, unsigned cls) {
    return (bh_sip_lex[(unsigned char)c] & cls) != 0;
}

/* Skips LWS: SP, HT, and a fold (CRLF followed by SP or HT), RFC 3261
 * 25.1. Never reads at or past end. */
static inline const char *
lex_lws(const char *p, const char *end) {
    if (p < end && *p != ' ' && *p != '\t' && *p != '\r')
        return p; /* the common case: no whitespace at all */
    for (;;) {
        if (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        } else if (end - p >= 3 && p[0] == '\r' && p[1] == '\n' &&
                   (p[2] == ' ' || p[2] == '\t')) {
            p += 3;
        } else {
            return p;
        }
    }
}

/* First CR or LF in [p, end), or NULL. Header lines are short (~40
 * bytes), so an inline scan eight bytes at a time beats a call to
 * memchr: a byte equal to CR (LF) becomes zero in w ^ 0x0d.. (0x0a..),
 * and the classic "has a zero byte" test marks it; the lowest mark is
 * the first match (little-endian only, else a byte loop). */
static inline const char *
lex_find_eol(const char *p, const char *end) {
#if defined(__SSE2__)
    /* x86-64 always has SSE2: sixteen bytes per step. */
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        int mask = _mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
        if (mask != 0)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t x = w ^ 0x0d0d0d0d0d0d0d0dull;
        uint64_t y = w ^ 0x0a0a0a0a0a0a0a0aull;
        uint64_t t = ((x - 0x0101010101010101ull) & ~x) |
                     ((y - 0x0101010101010101ull) & ~y);
        t &= 0x8080808080808080ull;
        if (t != 0)
            return p + (__builtin_ctzll(t) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != '\r' && *p != '\n')
        p++;
    return p < end ? p : NULL;
}

/* Moves end back over SP, HT, CR and LF. */
static inline const char *
lex_rtrim(const char *p, const char *end) {
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
                       end[-1] == '\n'))
        end--;
    return end;
}

/* Skips a run of class cls. */
static inline const char *
lex_span(const char *p, const char *end, unsigned cls) {
    /* Four at a time while there is room: this is the parser's inner
     * loop (header names, tokens, Call-IDs, hosts). */
    while (end - p >= 4) {
        if (!lex_is(p[0], cls))
            return p;
        if (!lex_is(p[1], cls))
            return p + 1;
        if (!lex_is(p[2], cls))
            return p + 2;
        if (!lex_is(p[3], cls))
            return p + 3;
        p += 4;
    }
    while (p < end && lex_is(*p, cls))
        p++;
    return p;
}

/* Skips chars of class cls and %HH escapes; returns NULL on a bad
 * escape. */
static inline const char *
lex_span_esc(const char *p, const char *end, unsigned cls) {
    while (p < end) {
        if (lex_is(*p, cls)) {
            p++;
        } else if (*p == '%') {
            if (end - p < 3 || !lex_is(p[1], L_HEX) || !lex_is(p[2], L_HEX))
                return NULL;
            p += 3;
        } else {
            break;
        }
    }
    return p;
}

static inline int
lex_lower(int c) {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Equality of the TOKEN p (n bytes, RFC 3261 token characters only)
 * with s, a lower-case name of exactly n bytes made of letters and '-'.
 * For token characters c | 0x20 lower-cases letters and maps no other
 * token character onto a letter or '-', so eight bytes are compared at
 * once. */
static inline int
lex_tokeneq(const char *p, size_t n, const char *s) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, p + i, 8);
        memcpy(&b, s + i, 8);
        if ((a | 0x2020202020202020ull) != b)
            return 0;
    }
    for (; i < n; i++)
        if ((p[i] | 0x20) != s[i])
            return 0;
    return 1;
}

/* Case-insensitive equality of n bytes at p with lower-case s. */
static inline int
lex_caseeq(const char *p, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || lex_lower((unsigned char)p[i]) != s[i])
            return 0;
    }
    return s[n] == '\0';
}

/* Scans a quoted-string starting at the opening quote (RFC 3261 25.1
 * qdtext / quoted-pair). Returns the byte after the closing quote, or
 * NULL when unterminated or holding a bare control character. */
const char *bh_sip_lex_quoted(const char *p, const char *end);

#endif
