/* yamlread.c: a scenario file into a libyaml document, safely, and the
 * typed readers that report errors at the offending node's line:column. */
#include "sc_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- Files ------------------------------------------------------------ */

/* Line and column (1-based, in characters) of byte offset off in buf. */
static void
locate(const char *buf, size_t len, size_t off, int *line, int *col) {
    int l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

int
bh_sc_read_file(const char *path, size_t max, char **buf, size_t *len,
                struct bh_diag *diag) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        bh_diag_set(diag, 0, 0, "cannot open: %s", strerror(e));
        return e == ENOENT ? BH_ENOENT : BH_EIO;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    if (!b) {
        fclose(f);
        bh_diag_set(diag, 0, 0, "out of memory");
        return BH_ENOMEM;
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                break;
            }
            size_t ncap = cap * 2;
            if (ncap > max + 1)
                ncap = max + 1;
            char *nb = realloc(b, ncap + 1);
            if (!nb) {
                free(b);
                fclose(f);
                bh_diag_set(diag, 0, 0, "out of memory");
                return BH_ENOMEM;
            }
            b = nb;
            cap = ncap;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    int e = errno;
    fclose(f);
    if (err) {
        free(b);
        bh_diag_set(diag, 0, 0, "cannot read: %s", strerror(e));
        return BH_EIO;
    }
    if (n > max) {
        int line, col;
        locate(b, n, max, &line, &col);
        free(b);
        bh_diag_set(diag, line, col, "file larger than %zu bytes (the limit)",
                    max);
        return BH_ETOOBIG;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* ---- Bytes and events ------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t
utf8_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t k;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return k;
}

static int
check_bytes(const char *buf, size_t len, struct bh_diag *diag) {
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)buf[i];
        if (c == 0) {
            bh_diag_set(diag, line, col,
                        "NUL byte in the file (a scenario is UTF-8 text)");
            return BH_EPARSE;
        }
        size_t k = utf8_len((const unsigned char *)buf + i, len - i);
        if (k == 0) {
            bh_diag_set(diag, line, col,
                        "invalid UTF-8 (byte 0x%02X); a scenario is UTF-8 "
                        "text",
                        c);
            return BH_EPARSE;
        }
        if (c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += k;
    }
    return 0;
}

static int
syntax_error(yaml_parser_t *p, const char *buf, size_t len,
             struct bh_diag *diag) {
    if (p->error == YAML_MEMORY_ERROR) {
        bh_diag_set(diag, 0, 0, "out of memory reading YAML");
        return BH_ENOMEM;
    }
    int line, col;
    if (p->error == YAML_READER_ERROR) {
        locate(buf, len, p->problem_offset, &line, &col);
    } else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "malformed YAML";
    const char *hint = "";
    if (strstr(problem, "cannot start any token")) {
        /* find the character at the mark: tabs are the usual culprit */
        size_t off = 0;
        for (int l = 1; l < line && off < len; off++)
            if (buf[off] == '\n')
                l++;
        for (int c = 1; c < col && off < len && buf[off] != '\n'; c++) {
            off++;
            while (off < len && ((unsigned char)buf[off] & 0xC0) == 0x80)
                off++;
        }
        if (off < len && buf[off] == '\t')
            hint = " (a tab: YAML indents with spaces only)";
    }
    if (p->context && p->error != YAML_READER_ERROR)
        bh_diag_set(diag, line, col, "YAML syntax error: %s %s (line %d)%s",
                    problem, p->context, (int)p->context_mark.line + 1, hint);
    else
        bh_diag_set(diag, line, col, "YAML syntax error: %s%s", problem, hint);
    return BH_EPARSE;
}

/* The event pass: syntax, aliases, anchors, depth and document count are
 * checked before any document is built, so an alias bomb or a deeply
 * nested file is refused at its first offending event. */
static int
check_events(const char *buf, size_t len, struct bh_diag *diag) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        bh_diag_set(diag, 0, 0, "out of memory reading YAML");
        return BH_ENOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    int depth = 0, docs = 0, rc = 0;
    long nodes = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(&p, buf, len, diag);
            break;
        }
        int line = (int)ev.start_mark.line + 1;
        int col = (int)ev.start_mark.column + 1;
        const yaml_char_t *anchor = NULL;
        int done = 0;
        switch (ev.type) {
        case YAML_ALIAS_EVENT:
            bh_diag_set(diag, line, col,
                        "aliases (*%s) are not supported in scenario files: "
                        "write the value out",
                        (const char *)ev.data.alias.anchor);
            rc = BH_EPARSE;
            break;
        case YAML_SCALAR_EVENT:
            anchor = ev.data.scalar.anchor;
            break;
        default:
            break;
        }
        if (!rc &&
            (ev.type == YAML_SCALAR_EVENT ||
             ev.type == YAML_SEQUENCE_START_EVENT ||
             ev.type == YAML_MAPPING_START_EVENT) &&
            ++nodes > BH_SC_MAX_NODES) {
            /* bounds the document libyaml builds next (memory, time) */
            bh_diag_set(diag, line, col, "more than %d YAML values",
                        BH_SC_MAX_NODES);
            rc = BH_EPARSE;
        }
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            anchor = ev.type == YAML_SEQUENCE_START_EVENT
                         ? ev.data.sequence_start.anchor
                         : ev.data.mapping_start.anchor;
            if (++depth > BH_SC_MAX_DEPTH && !rc) {
                bh_diag_set(diag, line, col, "nesting deeper than %d levels",
                            BH_SC_MAX_DEPTH);
                rc = BH_EPARSE;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1 && !rc) {
                bh_diag_set(diag, line, col,
                            "a second YAML document: a scenario file holds "
                            "one");
                rc = BH_EPARSE;
            }
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        if (anchor && !rc) {
            bh_diag_set(diag, line, col,
                        "anchors (&%s) are not supported in scenario files: "
                        "write the value out",
                        (const char *)anchor);
            rc = BH_EPARSE;
        }
        yaml_event_delete(&ev);
        if (rc || done)
            break;
    }
    yaml_parser_delete(&p);
    return rc;
}

static int comma_fail(struct sc_ld *L, yaml_node_t *n, const char *what,
                      const char *v);

/* A plain scalar, its text when it is one. */
static const char *
plain(const yaml_node_t *n) {
    if (!n || n->type != YAML_SCALAR_NODE ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return NULL;
    return (const char *)n->data.scalar.value;
}

/* A decimal comma inside { }: `{ per_minute: 0,035 }` is, to YAML, the
 * value 0 and then a key '035' without a value. Such a key (digits first,
 * no value) right after a value that ends in a digit, with only the comma
 * between them, is one number with a decimal comma: say so at the value,
 * before the schema walk would call '035' an unknown key. */
static int
check_commas(struct sc_ld *L) {
    for (yaml_node_t *n = L->doc.nodes.start; n < L->doc.nodes.top; n++) {
        if (n->type != YAML_MAPPING_NODE ||
            n->data.mapping.style != YAML_FLOW_MAPPING_STYLE)
            continue;
        yaml_node_pair_t *pr = n->data.mapping.pairs.start;
        for (; pr + 1 < n->data.mapping.pairs.top; pr++) {
            yaml_node_t *v = bh_sc_node(L, pr->value);
            yaml_node_t *k = bh_sc_node(L, pr[1].key);
            const char *vt = plain(v), *kt = plain(k);
            if (!vt || !kt || !v->data.scalar.length ||
                !isdigit((unsigned char)vt[v->data.scalar.length - 1]) ||
                !isdigit((unsigned char)kt[0]) ||
                !bh_sc_is_null(bh_sc_node(L, pr[1].value)) ||
                k->start_mark.index != v->end_mark.index + 1)
                continue;
            char text[96];
            snprintf(text, sizeof text, "%.40s,%.40s", vt, kt);
            if (!bh_sc_decimal_comma(text))
                continue;
            const char *what = plain(bh_sc_node(L, pr->key));
            return comma_fail(L, v, what ? what : "the value", text);
        }
    }
    return 0;
}

int
bh_sc_load_document(struct sc_ld *L, const char *buf, size_t len) {
    int rc = check_bytes(buf, len, L->diag);
    if (rc)
        return rc;
    rc = check_events(buf, len, L->diag);
    if (rc)
        return rc;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        bh_diag_set(L->diag, 0, 0, "out of memory reading YAML");
        return BH_ENOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    if (!yaml_parser_load(&p, &L->doc)) {
        rc = syntax_error(&p, buf, len, L->diag);
        yaml_parser_delete(&p);
        return rc;
    }
    yaml_parser_delete(&p);
    rc = check_commas(L);
    if (rc) /* the caller owns the document only on success */
        yaml_document_delete(&L->doc);
    return rc;
}

/* ---- Located errors --------------------------------------------------- */

struct bh_pos
bh_sc_pos(const yaml_node_t *n) {
    struct bh_pos p = {0, 0};
    if (n) {
        p.line = (int)n->start_mark.line + 1;
        p.column = (int)n->start_mark.column + 1;
    }
    return p;
}

static int
vfail(struct sc_ld *L, const yaml_node_t *n, size_t offset, const char *fmt,
      va_list ap) {
    char msg[sizeof L->diag->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* quoted values may hold escaped newlines or controls: one line only */
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    struct bh_pos p = bh_sc_pos(n);
    if (n && offset && n->type == YAML_SCALAR_NODE &&
        n->start_mark.line == n->end_mark.line) {
        /* a point inside a one-line scalar: skip its opening quote */
        yaml_scalar_style_t st = n->data.scalar.style;
        if (st == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
            st == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
            offset++;
        const unsigned char *s = n->data.scalar.value;
        size_t chars = 0;
        for (size_t i = 0; i < offset && i < n->data.scalar.length; i++)
            if ((s[i] & 0xC0) != 0x80)
                chars++;
        if (offset > n->data.scalar.length)
            chars += offset - n->data.scalar.length;
        p.column += (int)chars;
    }
    bh_diag_set(L->diag, p.line, p.column, "%s", msg);
    return BH_EPARSE;
}

int
bh_sc_fail(struct sc_ld *L, const yaml_node_t *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(L, n, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int
bh_sc_fail_at(struct sc_ld *L, const yaml_node_t *n, size_t offset,
              const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(L, n, offset, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- Structure -------------------------------------------------------- */

yaml_node_t *
bh_sc_node(struct sc_ld *L, int index) {
    return yaml_document_get_node(&L->doc, index);
}

const char *
bh_sc_kind(const yaml_node_t *n) {
    if (!n)
        return "nothing";
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_SCALAR_NODE:
        return bh_sc_is_null(n) ? "nothing" : "a scalar";
    default:
        return "nothing";
    }
}

int
bh_sc_is_null(const yaml_node_t *n) {
    if (!n)
        return 1;
    if (n->type != YAML_SCALAR_NODE ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *v = (const char *)n->data.scalar.value;
    return n->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
           strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

/* Levenshtein distance, bounded to short words. */
static size_t
distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] =
                sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

void
bh_sc_join(char *buf, size_t size, const char *const *names, size_t n,
           const char *sep) {
    size_t off = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < n && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? sep : "",
                                names[i]);
}

int
bh_sc_suggest(const char *word, const char *const *cands, size_t n) {
    int best = -1;
    size_t bestd = 0;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(word, cands[i]);
        if (best < 0 || d < bestd) {
            best = (int)i;
            bestd = d;
        }
    }
    size_t len = strlen(word);
    size_t limit = len <= 4 ? 2 : len / 3 + 1;
    if (best < 0 || bestd > limit)
        return -1;
    return best;
}

int
bh_sc_mapping(struct sc_ld *L, yaml_node_t *n, const char *what) {
    if (!n || n->type != YAML_MAPPING_NODE)
        return bh_sc_fail(L, n, "%s must be a mapping (key: value), not %s",
                          what, bh_sc_kind(n));
    return 0;
}

int
bh_sc_map(struct sc_ld *L, yaml_node_t *n, const char *what,
          const struct sc_key *keys, struct sc_map *m) {
    memset(m, 0, sizeof *m);
    m->node = n;
    int rc = bh_sc_mapping(L, n, what);
    if (rc)
        return rc;
    const char *names[BH_SC_MAX_KEYS];
    size_t nkeys = 0;
    while (keys[nkeys].name && nkeys < BH_SC_MAX_KEYS) {
        names[nkeys] = keys[nkeys].name;
        nkeys++;
    }
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
         pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = bh_sc_node(L, pr->key);
        yaml_node_t *v = bh_sc_node(L, pr->value);
        if (!k || k->type != YAML_SCALAR_NODE)
            return bh_sc_fail(L, k, "a key in %s must be a plain word, not %s",
                              what, bh_sc_kind(k));
        const char *ks = (const char *)k->data.scalar.value;
        size_t i;
        for (i = 0; i < nkeys; i++)
            if (strlen(ks) == k->data.scalar.length &&
                strcmp(ks, names[i]) == 0)
                break;
        if (i == nkeys) {
            int s = bh_sc_suggest(ks, names, nkeys);
            char list[400];
            bh_sc_join(list, sizeof list, names, nkeys, ", ");
            if (s >= 0)
                return bh_sc_fail(L, k,
                                  "unknown key '%.64s' in %s (did you mean "
                                  "'%s'?)",
                                  ks, what, names[s]);
            return bh_sc_fail(L, k, "unknown key '%.64s' in %s (valid: %s)", ks,
                              what, list);
        }
        if (m->key[i]) {
            struct bh_pos first = bh_sc_pos(m->key[i]);
            return bh_sc_fail(L, k,
                              "duplicate key '%s' in %s (first at line %d)", ks,
                              what, first.line);
        }
        m->key[i] = k;
        m->val[i] = bh_sc_is_null(v) ? NULL : v;
    }
    for (size_t i = 0; i < nkeys; i++) {
        if (!keys[i].required)
            continue;
        if (!m->key[i])
            return bh_sc_fail(L, n, "%s is missing the required key '%s'", what,
                              names[i]);
        if (!m->val[i])
            return bh_sc_fail(L, m->key[i], "'%s' in %s needs a value",
                              names[i], what);
    }
    return 0;
}

int
bh_sc_seq(struct sc_ld *L, yaml_node_t *n, const char *what, size_t max,
          size_t *count) {
    if (!n || n->type != YAML_SEQUENCE_NODE)
        return bh_sc_fail(L, n, "%s must be a list (- item), not %s", what,
                          bh_sc_kind(n));
    size_t c =
        (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (c > max)
        return bh_sc_fail(L, n, "%s has %zu items; at most %zu are allowed",
                          what, c, max);
    *count = c;
    return 0;
}

yaml_node_t *
bh_sc_item(struct sc_ld *L, yaml_node_t *seq, size_t i) {
    return bh_sc_node(L, seq->data.sequence.items.start[i]);
}

/* ---- Typed scalars ---------------------------------------------------- */

int
bh_sc_text(struct sc_ld *L, yaml_node_t *n, const char *what,
           const char **out) {
    if (!n || n->type != YAML_SCALAR_NODE || bh_sc_is_null(n))
        return bh_sc_fail(L, n, "%s must be a single value, not %s", what,
                          bh_sc_kind(n));
    const char *v = (const char *)n->data.scalar.value;
    if (strlen(v) != n->data.scalar.length)
        return bh_sc_fail(L, n, "%s contains a NUL character", what);
    *out = v;
    return 0;
}

int
bh_sc_str(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf,
          size_t size) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    if (strlen(v) >= size)
        return bh_sc_fail(L, n, "%s is longer than %zu bytes", what, size - 1);
    memcpy(buf, v, strlen(v) + 1);
    return 0;
}

/* A file the scenario names: a relative path is taken from the scenario
 * file's directory (as a shell in that directory would read it), so a
 * scenario and its sounds or samples move together. "" stays "". */
int
bh_sc_file(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf,
           size_t size) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    int len = v[0] == '/' || !v[0] || !L->dir[0]
                  ? snprintf(buf, size, "%s", v)
                  : snprintf(buf, size, "%s/%s", L->dir, v);
    if (len < 0 || (size_t)len >= size)
        return bh_sc_fail(L, n, "%s: the path is longer than %zu bytes", what,
                          size - 1);
    return 0;
}

int
bh_sc_name(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf) {
    int rc = bh_sc_str(L, n, what, buf, BH_SC_MAX_NAME);
    if (rc)
        return rc;
    if (!buf[0])
        return bh_sc_fail(L, n, "%s is empty", what);
    for (size_t i = 0; buf[i]; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (!isalnum(c) && c != '-' && c != '_')
            return bh_sc_fail_at(L, n, i,
                                 "%s '%s' may hold only letters, digits, "
                                 "'-' and '_'",
                                 what, buf);
    }
    return 0;
}

int
bh_sc_digits(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf,
             size_t size) {
    int rc = bh_sc_str(L, n, what, buf, size);
    if (rc)
        return rc;
    if (!buf[0])
        return bh_sc_fail(L, n, "%s is empty", what);
    for (size_t i = 0; buf[i]; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (!isdigit(c) && !(i == 0 && c == '+') && c != '*' && c != '#')
            return bh_sc_fail_at(L, n, i,
                                 "%s '%s' must be digits (quote it: \"%s\")",
                                 what, buf, buf);
    }
    return 0;
}

int
bh_sc_parse_number(const char *s, double *out) {
    size_t i = 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    size_t d0 = i;
    while (isdigit((unsigned char)s[i]))
        i++;
    size_t nd = i - d0;
    if (s[i] == '.') {
        i++;
        size_t f0 = i;
        while (isdigit((unsigned char)s[i]))
            i++;
        nd += i - f0;
    }
    if (nd == 0)
        return BH_EPARSE;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '-' || s[i] == '+')
            i++;
        if (!isdigit((unsigned char)s[i]))
            return BH_EPARSE;
        while (isdigit((unsigned char)s[i]))
            i++;
    }
    if (s[i] != '\0')
        return BH_EPARSE;
    errno = 0;
    double v = strtod(s, NULL);
    if (errno == ERANGE || !isfinite(v))
        return BH_ERANGE;
    *out = v;
    return 0;
}

size_t
bh_sc_decimal_comma(const char *v) {
    size_t i = v[0] == '-' || v[0] == '+';
    size_t d0 = i;
    while (isdigit((unsigned char)v[i]))
        i++;
    if (i == d0 || v[i] != ',' || !isdigit((unsigned char)v[i + 1]))
        return 0;
    return i;
}

/* A number written with a decimal comma gets its own error, at the comma,
 * with the value as it should be written. */
static int
comma_fail(struct sc_ld *L, yaml_node_t *n, const char *what, const char *v) {
    size_t at = bh_sc_decimal_comma(v);
    char fixed[48];
    snprintf(fixed, sizeof fixed, "%.40s", v);
    if (at < sizeof fixed)
        fixed[at] = '.';
    return bh_sc_fail_at(L, n, at,
                         "%s '%.40s' has a decimal comma: write %s (a point "
                         "separates decimals)",
                         what, v, fixed);
}

int
bh_sc_int(struct sc_ld *L, yaml_node_t *n, const char *what, long lo, long hi,
          long *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    if (bh_sc_decimal_comma(v))
        return comma_fail(L, n, what, v);
    size_t i = 0;
    int neg = 0;
    if (v[0] == '-' || v[0] == '+') {
        neg = v[0] == '-';
        i++;
    }
    if (!isdigit((unsigned char)v[i]))
        return bh_sc_fail(L, n, "%s must be a whole number, not '%.40s'", what,
                          v);
    long long x = 0;
    int big = 0;
    for (; isdigit((unsigned char)v[i]); i++) {
        if (x > (LLONG_MAX - 9) / 10)
            big = 1;
        else
            x = x * 10 + (v[i] - '0');
    }
    if (v[i] != '\0')
        return bh_sc_fail_at(L, n, i, "%s must be a whole number, not '%.40s'",
                             what, v);
    if (neg)
        x = -x;
    if (big || x < lo || x > hi)
        return bh_sc_fail(L, n, "%s %.40s is out of range (%ld to %ld)", what,
                          v, lo, hi);
    *out = (long)x;
    return 0;
}

int
bh_sc_num(struct sc_ld *L, yaml_node_t *n, const char *what, double lo,
          double hi, double *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    double x;
    rc = bh_sc_parse_number(v, &x);
    if (rc == BH_EPARSE && bh_sc_decimal_comma(v))
        return comma_fail(L, n, what, v);
    if (rc == BH_EPARSE)
        return bh_sc_fail(L, n, "%s must be a number, not '%.40s'", what, v);
    if (rc || x < lo || x > hi)
        return bh_sc_fail(L, n, "%s %.40s is out of range (%g to %g)", what, v,
                          lo, hi);
    *out = x;
    return 0;
}

int
bh_sc_dur(struct sc_ld *L, yaml_node_t *n, const char *what, double lo,
          double hi, double *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    double x = 0;
    rc = bh_parse_duration(v, &x);
    if (rc == BH_EPARSE && bh_sc_decimal_comma(v))
        return comma_fail(L, n, what, v);
    if (rc == BH_EPARSE) {
        double plain;
        if (bh_sc_parse_number(v, &plain) == 0)
            return bh_sc_fail(L, n,
                              "%s '%.40s' needs a unit: %.40ss, %.40sm, "
                              "%.40sh or %.40sd",
                              what, v, v, v, v, v);
        return bh_sc_fail(L, n,
                          "%s '%.40s' is not a duration (write e.g. 90s, 4m, "
                          "1h, 1d, 250ms)",
                          what, v);
    }
    if (rc || x < lo || x > hi) {
        char a[32], b[32];
        bh_format_duration(lo, a, sizeof a);
        bh_format_duration(hi, b, sizeof b);
        if (!rc && x < 0 && lo == 0)
            return bh_sc_fail(L, n, "%s %.40s must not be negative", what, v);
        if (!rc && x < lo && x >= 0)
            return bh_sc_fail(L, n, "%s %.40s must be at least %s", what, v, a);
        return bh_sc_fail(L, n, "%s %.40s is out of range (%s to %s)", what, v,
                          a, b);
    }
    *out = x;
    return 0;
}

/* "forty" for 40: the whole percentages a fraction is usually meant as. */
static void
spell(int v, char *buf, size_t size) {
    static const char *const ones[] = {
        "zero",    "one",     "two",       "three",    "four",
        "five",    "six",     "seven",     "eight",    "nine",
        "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
        "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
    static const char *const tens[] = {"",       "",      "twenty", "thirty",
                                       "forty",  "fifty", "sixty",  "seventy",
                                       "eighty", "ninety"};
    if (v >= 100)
        snprintf(buf, size, "a hundred");
    else if (v < 20)
        snprintf(buf, size, "%s", ones[v]);
    else if (v % 10 == 0)
        snprintf(buf, size, "%s", tens[v / 10]);
    else
        snprintf(buf, size, "%s-%s", tens[v / 10], ones[v % 10]);
}

void
bh_sc_percent_hint(const char *v, char *buf, size_t size) {
    double plain = 0;
    if (bh_sc_parse_number(v, &plain) || !(plain > 0 && plain <= 1)) {
        snprintf(buf, size, "e.g. %.40s%%", v);
        return;
    }
    double pc = plain * 100;
    char words[48];
    if (fabs(pc - floor(pc + 0.5)) < 1e-9)
        spell((int)floor(pc + 0.5), words, sizeof words);
    else
        snprintf(words, sizeof words, "%.6g", pc);
    snprintf(buf, size, "%.40s means %.40s%%; write %.6g%% for %s percent", v,
             v, pc, words);
}

int
bh_sc_pct(struct sc_ld *L, yaml_node_t *n, const char *what, double *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    rc = bh_parse_percent(v, out);
    if (rc == BH_ERANGE || (rc && v[0] == '-'))
        return bh_sc_fail(L, n, "%s %.40s is out of range (0%% to 100%%)", what,
                          v);
    if (rc && bh_sc_decimal_comma(v))
        return comma_fail(L, n, what, v);
    if (rc) {
        double plain;
        if (bh_sc_parse_number(v, &plain) == 0) {
            char hint[160];
            bh_sc_percent_hint(v, hint, sizeof hint);
            return bh_sc_fail(L, n, "%s '%.40s' needs a %% sign (%s)", what, v,
                              hint);
        }
        return bh_sc_fail(L, n, "%s '%.40s' is not a percentage (e.g. 40%%)",
                          what, v);
    }
    return 0;
}

int
bh_sc_money(struct sc_ld *L, yaml_node_t *n, const char *what, bh_money *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    /* The scalar's own text, never a double: "0.035" is exact. */
    rc = bh_parse_money(v, out);
    if (rc == BH_EPARSE && bh_sc_decimal_comma(v))
        return comma_fail(L, n, what, v);
    if (rc == BH_ERANGE)
        return bh_sc_fail(
            L, n, "%s %.40s is out of range (at most six decimals)", what, v);
    if (rc)
        return bh_sc_fail(
            L, n, "%s '%.40s' is not an amount (write e.g. 0.035)", what, v);
    if (*out < 0)
        return bh_sc_fail(L, n, "%s %.40s must not be negative", what, v);
    if (*out > 1000000 * BH_MONEY_UNIT)
        return bh_sc_fail(L, n, "%s %.40s is out of range (at most 1000000)",
                          what, v);
    return 0;
}

int
bh_sc_bool(struct sc_ld *L, yaml_node_t *n, const char *what, bool *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
        *out = false;
    else
        return bh_sc_fail(L, n, "%s must be true or false, not '%.40s'", what,
                          v);
    return 0;
}

int
bh_sc_enum(struct sc_ld *L, yaml_node_t *n, const char *what,
           const char *const *names, int *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    size_t k = 0;
    for (; names[k]; k++)
        if (strcmp(v, names[k]) == 0) {
            *out = (int)k;
            return 0;
        }
    char list[256];
    bh_sc_join(list, sizeof list, names, k, " | ");
    int s = bh_sc_suggest(v, names, k);
    if (s >= 0)
        return bh_sc_fail(L, n,
                          "%s '%.40s' is not one of %s (did you mean '%s'?)",
                          what, v, list, names[s]);
    return bh_sc_fail(L, n, "%s '%.40s' is not one of %s", what, v, list);
}

int
bh_sc_clock(struct sc_ld *L, yaml_node_t *n, const char *what, double *out) {
    const char *v = NULL;
    int rc = bh_sc_text(L, n, what, &v);
    if (rc)
        return rc;
    rc = bh_parse_clock(v, out);
    if (rc == BH_ERANGE)
        return bh_sc_fail(L, n,
                          "%s '%.40s' is not a time of day (00:00 to "
                          "24:00)",
                          what, v);
    if (rc)
        return bh_sc_fail(
            L, n, "%s '%.40s' is not a time of day (write \"HH:MM\")", what, v);
    return 0;
}
