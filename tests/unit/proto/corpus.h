/* corpus.h: loads RFC 4475 messages for the proto tests (header-only). */
#ifndef BH_TEST_CORPUS_H
#define BH_TEST_CORPUS_H

#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every message of tests/data/rfc4475, by RFC 4475 section. */
static const char *const corpus_valid[] = {
    /* 3.1.1: valid, must parse */
    "wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq",
    "dblreq", "semiuri", "transports", "mpart01", "unreason", "noreason",
    /* 3.2-3.4 that are well-formed for a parser */
    "badbranch", "unkscm", "novelsc", "unksm2", "bext01", "invut", "regaut01",
    "bcast", "zeromf", "cparam01", "cparam02", "regescrt", "sdp01", "inv2543",
    "regbadct"};

/* A loaded message: a heap copy of exactly the file's bytes, so that
 * AddressSanitizer sees any read past the end. */
struct corpus_msg {
    char *buf;
    size_t len;
};

static inline struct corpus_msg
corpus_load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/rfc4475/%s.dat", BH_TEST_DATA, name);
    struct corpus_msg m = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return m;
    char tmp[8192];
    m.len = fread(tmp, 1, sizeof tmp, f);
    fclose(f);
    m.buf = malloc(m.len ? m.len : 1);
    if (m.buf != NULL)
        memcpy(m.buf, tmp, m.len);
    return m;
}

static inline int
str_eq(struct bh_str s, const char *c) {
    return s.p != NULL && s.len == strlen(c) && memcmp(s.p, c, s.len) == 0;
}

#endif
