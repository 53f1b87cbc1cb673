/* dist.c: distributions in scenario files ({dist: lognormal, mean: 4m,
 * sd: 3m}, a bare "3m", or samples from an empirical CSV file). */
#include "sc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const dist_names[] = {
    "exponential", "lognormal",     "normal",  "gamma",     "erlang",
    "uniform",     "deterministic", "poisson", "empirical", NULL};

/* Which parameters each distribution takes (besides dist, min, max). */
enum { P_MEAN = 1, P_SD = 2, P_K = 4, P_VALUE = 8, P_FILE = 16, P_BOUNDS = 32 };
static const int dist_params[] = {P_MEAN,        P_MEAN | P_SD, P_MEAN | P_SD,
                                  P_MEAN | P_SD, P_MEAN | P_K,  P_BOUNDS,
                                  P_VALUE,       P_MEAN,        P_FILE};

static const char *
unit_word(enum sc_dist_unit u) {
    return u == SC_COUNT ? "count" : "duration";
}

/* A value in the distribution's unit. */
static int
value(struct sc_ld *L, yaml_node_t *n, const char *what, enum sc_dist_unit unit,
      double *out) {
    if (unit == SC_COUNT)
        return bh_sc_num(L, n, what, 0, 1e9, out);
    double lo = unit == SC_DURATION_SIGNED ? -1e9 : 0;
    return bh_sc_dur(L, n, what, lo, 1e9, out);
}

/* Errors inside a CSV file are reported against that file. */
static void
set_file(struct bh_diag *d, const char *path) {
    size_t n = strlen(path);
    if (n >= sizeof d->file)
        n = sizeof d->file - 1;
    memcpy(d->file, path, n);
    d->file[n] = '\0';
}

static int
cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Samples from a CSV file: one value per line (the first field when a
 * line has commas), '#' comments and blank lines skipped, a non-numeric
 * first line taken as a header. Errors point into the CSV file itself. */
static int
empirical(struct sc_ld *L, yaml_node_t *fnode, enum sc_dist_unit unit,
          struct bh_dist *d) {
    char path[1024];
    int rc = bh_sc_file(L, fnode, "file", path, sizeof path);
    if (rc)
        return rc;
    if (!path[0])
        return bh_sc_fail(L, fnode, "file is empty");
    char *buf;
    size_t len;
    struct bh_diag tmp = {{0}, 0, 0, {0}};
    rc = bh_sc_read_file(path, BH_SC_MAX_CSV, &buf, &len, &tmp);
    if (rc) {
        bh_sc_fail(L, fnode, "cannot read empirical samples '%s': %s", path,
                   tmp.msg);
        return rc == BH_ENOMEM ? rc : BH_EPARSE;
    }
    size_t cap = 1024, n = 0;
    double *s = malloc(cap * sizeof *s);
    if (!s) {
        free(buf);
        bh_diag_set(L->diag, 0, 0, "out of memory");
        return BH_ENOMEM;
    }
    int lineno = 0, header = 0;
    rc = 0;
    char *p = buf, *end = buf + len;
    while (p < end && !rc) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p, *le = nl ? nl : end;
        lineno++;
        p = nl ? nl + 1 : end;
        if (le > line && le[-1] == '\r')
            le--;
        size_t linelen = le > line ? (size_t)(le - line) : 0;
        char *comma = memchr(line, ',', linelen);
        if (comma)
            le = comma;
        char *q = line;
        while (q < le && (*q == ' ' || *q == '\t'))
            q++;
        while (le > q && (le[-1] == ' ' || le[-1] == '\t'))
            le--;
        if (q == le || *q == '#')
            continue;
        char field[64];
        size_t flen = (size_t)(le - q);
        int bad = flen >= sizeof field || memchr(q, '\0', flen) != NULL;
        int alpha = 0;
        double v = 0;
        if (!bad) {
            memcpy(field, q, flen);
            field[flen] = '\0';
            for (size_t i = 0; i < flen; i++)
                alpha |= (field[i] >= 'A' && field[i] <= 'Z') ||
                         (field[i] >= 'a' && field[i] <= 'z');
            if (unit == SC_COUNT)
                bad = bh_sc_parse_number(field, &v) != 0;
            else if (bh_sc_parse_number(field, &v) != 0)
                bad = bh_parse_duration(field, &v) != 0; /* "90s" */
            if (!bad && v < 0 && unit != SC_DURATION_SIGNED)
                bad = 2;
        } else {
            snprintf(field, sizeof field, "%.40s...", q);
        }
        if (bad == 1 && n == 0 && !header && alpha) {
            header = 1; /* a column title */
            continue;
        }
        if (bad) {
            set_file(L->diag, path);
            bh_diag_set(L->diag, lineno, (int)(q - line) + 1,
                        bad == 2 ? "negative sample '%.40s' in a %s "
                                   "distribution"
                                 : "'%.40s' is not a %s sample",
                        field, unit_word(unit));
            rc = BH_EPARSE;
            break;
        }
        if (n == BH_SC_MAX_EMPIRICAL) {
            set_file(L->diag, path);
            bh_diag_set(L->diag, lineno, 1, "more than %d samples",
                        BH_SC_MAX_EMPIRICAL);
            rc = BH_EPARSE;
            break;
        }
        if (n == cap) {
            double *ns = realloc(s, 2 * cap * sizeof *s);
            if (!ns) {
                bh_diag_set(L->diag, 0, 0, "out of memory");
                rc = BH_ENOMEM;
                break;
            }
            s = ns;
            cap *= 2;
        }
        s[n++] = v;
    }
    free(buf);
    if (!rc && n == 0)
        rc =
            bh_sc_fail(L, fnode, "empirical samples '%s' hold no values", path);
    if (rc) {
        free(s);
        return rc;
    }
    qsort(s, n, sizeof *s, cmp_double);
    d->samples = s;
    d->nsamples = n;
    return 0;
}

int
bh_sc_dist(struct sc_ld *L, yaml_node_t *n, const char *what,
           enum sc_dist_unit unit, struct bh_dist *d) {
    memset(d, 0, sizeof *d);
    d->pos = bh_sc_pos(n);
    int rc;
    if (n && n->type == YAML_SCALAR_NODE && !bh_sc_is_null(n)) {
        /* a bare value: deterministic */
        d->kind = BH_DIST_DETERMINISTIC;
        return value(L, n, what, unit, &d->mean);
    }
    if (!n || n->type != YAML_MAPPING_NODE)
        return bh_sc_fail(L, n,
                          "%s must be a %s (e.g. %s) or a distribution "
                          "{dist: ..., ...}, not %s",
                          what, unit_word(unit), unit == SC_COUNT ? "8" : "3m",
                          bh_sc_kind(n));
    /* First find dist: to know which keys apply. */
    yaml_node_t *kind = NULL;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
         pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = bh_sc_node(L, pr->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, "dist") == 0)
            kind = bh_sc_node(L, pr->value);
    }
    if (!kind)
        return bh_sc_fail(L, n,
                          "%s is missing the required key 'dist' (one of "
                          "exponential, lognormal, normal, gamma, erlang, "
                          "uniform, deterministic, poisson, empirical)",
                          what);
    int k;
    rc = bh_sc_enum(L, kind, "dist", dist_names, &k);
    if (rc)
        return rc;
    d->kind = (enum bh_dist_kind)k;
    if (d->kind == BH_DIST_POISSON && unit != SC_COUNT)
        return bh_sc_fail(L, kind,
                          "poisson is for counts; %s is a duration (use "
                          "exponential, lognormal, gamma, erlang...)",
                          what);
    int want = dist_params[k];
    struct sc_key keys[] = {{"dist", 1},
                            {"mean", (want & P_MEAN) != 0},
                            {"sd", (want & P_SD) != 0},
                            {"k", (want & P_K) != 0},
                            {"value", (want & P_VALUE) != 0},
                            {"file", (want & P_FILE) != 0},
                            {"min", (want & P_BOUNDS) != 0},
                            {"max", (want & P_BOUNDS) != 0},
                            {NULL, 0}};
    char ctx[128];
    snprintf(ctx, sizeof ctx, "%s (%s)", what, dist_names[k]);
    struct sc_map m;
    rc = bh_sc_map(L, n, ctx, keys, &m);
    if (rc)
        return rc;
    static const int key_param[] = {0, P_MEAN, P_SD, P_K, P_VALUE, P_FILE};
    for (int i = 1; i <= 5; i++)
        if (m.key[i] && !(want & key_param[i]))
            return bh_sc_fail(L, m.key[i],
                              "'%s' does not apply to the %s distribution",
                              keys[i].name, dist_names[k]);
    if (m.val[1] && (rc = value(L, m.val[1], "mean", unit, &d->mean)))
        return rc;
    if (m.val[2] && (rc = value(L, m.val[2], "sd", unit, &d->sd)))
        return rc;
    if (m.val[4] && (rc = value(L, m.val[4], "value", unit, &d->mean)))
        return rc;
    if (m.val[3]) {
        long kk;
        if ((rc = bh_sc_int(L, m.val[3], "k", 1, 1000, &kk)))
            return rc;
        d->k = (int)kk;
    }
    if (m.val[6]) {
        if ((rc = value(L, m.val[6], "min", unit, &d->min)))
            return rc;
        d->has_min = true;
    }
    if (m.val[7]) {
        if ((rc = value(L, m.val[7], "max", unit, &d->max)))
            return rc;
        d->has_max = true;
    }
    if (d->has_min && d->has_max && d->min > d->max)
        return bh_sc_fail(L, m.val[7], "max is below min");
    /* every mean is positive; normal is truncated at 0 even for signed
     * spreads, so a mean at or below 0 would mostly sample 0 */
    if ((want & P_MEAN) && !(d->mean > 0))
        return bh_sc_fail(L, m.val[1], "mean must be more than 0");
    if ((want & P_SD) && !(d->sd > 0))
        return bh_sc_fail(L, m.val[2], "sd must be more than 0");
    if (d->kind == BH_DIST_UNIFORM) {
        d->mean = (d->min + d->max) / 2;
        d->sd = (d->max - d->min) / sqrt(12.0);
    }
    if (d->kind == BH_DIST_EMPIRICAL) {
        rc = empirical(L, m.val[5], unit, d);
        if (rc)
            return rc;
        double sum = 0;
        for (size_t i = 0; i < d->nsamples; i++)
            sum += d->samples[i];
        d->mean = sum / (double)d->nsamples;
    }
    return 0;
}
