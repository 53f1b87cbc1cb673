/* sc_internal.h: what the loader's files share (not part of the public
 * contract; other parts include scenario.h only).
 *
 * The loader reads a file into memory (yamlread.c), checks its bytes and
 * its YAML events (no NUL, valid UTF-8, no aliases or anchors, bounded
 * nesting, one document), builds a libyaml document, and walks its nodes
 * against the schema (load.c, dist.c, threshold.c). Every error is located
 * at the node (or the character inside a scalar) that is wrong. */
#ifndef BH_SC_INTERNAL_H
#define BH_SC_INTERNAL_H

#include "scenario.h"

#include <yaml.h>

#define BH_SC_MAX_DEPTH 24       /* nested mappings / sequences */
#define BH_SC_MAX_CSV (32 << 20) /* bytes in an empirical CSV file */
#define BH_SC_MAX_NODES 300000   /* YAML values (scalars, lists, maps) */
#define BH_SC_MAX_KEYS 24        /* keys in one schema mapping */

/* The state of one load: the document being walked and where errors go. */
struct sc_ld {
    yaml_document_t doc;
    struct bh_diag *diag;
    struct bh_scenario *sc;
    char dir[512];      /* directory of the scenario file, "" for the cwd */
    int strict_origins; /* tariffs.rates given: origins must be its keys */
};

/* A key of a schema mapping. */
struct sc_key {
    const char *name;
    int required;
};

/* A mapping checked against a key table: val[i] is the value written for
 * keys[i] (NULL when absent or null), key[i] the key node. */
struct sc_map {
    yaml_node_t *node;
    yaml_node_t *key[BH_SC_MAX_KEYS];
    yaml_node_t *val[BH_SC_MAX_KEYS];
};

/* yamlread.c: files, bytes, events, document. */
int bh_sc_read_file(const char *path, size_t max, char **buf, size_t *len,
                    struct bh_diag *diag);
int bh_sc_load_document(struct sc_ld *L, const char *buf, size_t len);

/* yamlread.c: located errors; return BH_EPARSE (or code). */
int bh_sc_fail(struct sc_ld *L, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bh_sc_fail_at(struct sc_ld *L, const yaml_node_t *n, size_t offset,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct bh_pos bh_sc_pos(const yaml_node_t *n);

/* yamlread.c: structure. */
yaml_node_t *bh_sc_node(struct sc_ld *L, int index);
const char *bh_sc_kind(const yaml_node_t *n);
int bh_sc_is_null(const yaml_node_t *n);
int bh_sc_map(struct sc_ld *L, yaml_node_t *n, const char *what,
              const struct sc_key *keys, struct sc_map *m);
int bh_sc_mapping(struct sc_ld *L, yaml_node_t *n, const char *what);
int bh_sc_seq(struct sc_ld *L, yaml_node_t *n, const char *what, size_t max,
              size_t *count);
yaml_node_t *bh_sc_item(struct sc_ld *L, yaml_node_t *seq, size_t i);
int bh_sc_suggest(const char *word, const char *const *cands, size_t n);
/* names[0..n) joined by sep into buf (cut short when it does not fit),
 * for "valid: ..." lists. */
void bh_sc_join(char *buf, size_t size, const char *const *names, size_t n,
                const char *sep);

/* yamlread.c: typed scalars. `what` names the value in messages. */
int bh_sc_text(struct sc_ld *L, yaml_node_t *n, const char *what,
               const char **out);
int bh_sc_str(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf,
              size_t size);
int bh_sc_name(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf);
int bh_sc_file(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf,
               size_t size);
int bh_sc_digits(struct sc_ld *L, yaml_node_t *n, const char *what, char *buf,
                 size_t size);
int bh_sc_int(struct sc_ld *L, yaml_node_t *n, const char *what, long lo,
              long hi, long *out);
int bh_sc_num(struct sc_ld *L, yaml_node_t *n, const char *what, double lo,
              double hi, double *out);
int bh_sc_dur(struct sc_ld *L, yaml_node_t *n, const char *what, double lo,
              double hi, double *out);
int bh_sc_pct(struct sc_ld *L, yaml_node_t *n, const char *what, double *out);
int bh_sc_money(struct sc_ld *L, yaml_node_t *n, const char *what,
                bh_money *out);
int bh_sc_bool(struct sc_ld *L, yaml_node_t *n, const char *what, bool *out);
int bh_sc_enum(struct sc_ld *L, yaml_node_t *n, const char *what,
               const char *const *names, int *out);
int bh_sc_clock(struct sc_ld *L, yaml_node_t *n, const char *what, double *out);
/* The offset of the comma in a number written with a decimal comma
 * ("0,035", "1,5h", "12,5%": digits, a comma, a digit), else 0. */
size_t bh_sc_decimal_comma(const char *v);
/* What to say about a plain number v where a percentage belongs: a
 * fraction (0.4) is most likely a share of one, which a file writes as
 * 40%: "0.4 means 0.4%; write 40% for forty percent". Else "e.g. 30%". */
void bh_sc_percent_hint(const char *v, char *buf, size_t size);
/* Strict decimal number text (no NaN, inf, hex); 0 or BH_EPARSE. */
int bh_sc_parse_number(const char *s, double *out);

/* dist.c: a distribution of durations (seconds) or of counts. */
enum sc_dist_unit { SC_DURATION, SC_DURATION_SIGNED, SC_COUNT };
int bh_sc_dist(struct sc_ld *L, yaml_node_t *n, const char *what,
               enum sc_dist_unit unit, struct bh_dist *d);

/* threshold.c: one threshold string, resolved against the scenario. */
int bh_sc_threshold(struct sc_ld *L, yaml_node_t *n, struct bh_sc_threshold *t);

#endif
