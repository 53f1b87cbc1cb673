/* render.c: helpers shared by the report writers (see render.h). */
#include "render.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
rd_fmt1(char *buf, size_t size, double v, enum rd_unit u, bool ascii) {
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", ascii ? "-" : "\xe2\x80\x94");
        return;
    }
    switch (u) {
    case RU_COUNT:
        if (fabs(v - round(v)) < 1e-9 || fabs(v) >= 1000)
            snprintf(buf, size, "%.0f", v);
        else
            snprintf(buf, size, "%.1f", v);
        break;
    case RU_ERLANG:
        snprintf(buf, size, "%.2f E", v);
        break;
    case RU_PERCENT:
        if (v != 0 && fabs(v) < 0.001)
            snprintf(buf, size, "%.3f%%", v * 100);
        else
            snprintf(buf, size, "%.2f%%", v * 100);
        break;
    case RU_SECONDS:
        snprintf(buf, size, "%.1f s", v);
        break;
    case RU_MONEY:
        if (fabs(v) < 10)
            snprintf(buf, size, "%.4f", v);
        else
            snprintf(buf, size, "%.2f", v);
        break;
    }
}

static void
strip_suffix(char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    if (k && n >= k && strcmp(s + n - k, suffix) == 0)
        s[n - k] = '\0';
}

struct bh_estimate
rd_clip(struct bh_estimate e, enum rd_unit u) {
    if (u == RU_MONEY)
        return e; /* a refund is possible */
    if (e.lo < 0)
        e.lo = 0;
    if (e.hi < 0)
        e.hi = 0;
    if (u == RU_PERCENT) {
        if (e.lo > 1)
            e.lo = 1;
        if (e.hi > 1)
            e.hi = 1;
    }
    return e;
}

void
rd_fmt(char *buf, size_t size, struct bh_estimate e, enum rd_unit u,
       bool ascii) {
    char m[48], lo[48], hi[48];
    e = rd_clip(e, u);
    rd_fmt1(m, sizeof m, e.mean, u, ascii);
    if (!isfinite(e.mean) || !isfinite(e.lo) || !isfinite(e.hi) ||
        e.lo == e.hi) {
        snprintf(buf, size, "%s", m);
        return;
    }
    rd_fmt1(lo, sizeof lo, e.lo, u, ascii);
    rd_fmt1(hi, sizeof hi, e.hi, u, ascii);
    /* Drop the unit from the bounds: "3.20% [2.80, 3.60]". */
    const char *unit = u == RU_PERCENT   ? "%"
                       : u == RU_SECONDS ? " s"
                       : u == RU_ERLANG  ? " E"
                                         : "";
    strip_suffix(lo, unit);
    strip_suffix(hi, unit);
    snprintf(buf, size, "%s [%s, %s]", m, lo, hi);
}

bool
rd_parse_expr(const char *expr, struct rd_expr *out) {
    memset(out, 0, sizeof *out);
    const char *op = NULL;
    size_t oplen = 0;
    for (const char *p = expr; *p; p++) {
        if (*p == '<' || *p == '>') {
            op = p;
            oplen = p[1] == '=' ? 2 : 1;
            break;
        }
    }
    if (!op)
        return false;
    size_t ml = (size_t)(op - expr);
    while (ml && isspace((unsigned char)expr[ml - 1]))
        ml--;
    const char *ms = expr;
    while (ml && isspace((unsigned char)*ms)) {
        ms++;
        ml--;
    }
    if (ml >= sizeof out->metric)
        ml = sizeof out->metric - 1;
    memcpy(out->metric, ms, ml);
    memcpy(out->op, op, oplen);
    out->upper = *op == '<';
    const char *l = op + oplen;
    while (isspace((unsigned char)*l))
        l++;
    snprintf(out->limit, sizeof out->limit, "%s", l);
    size_t ll = strlen(out->limit);
    while (ll && isspace((unsigned char)out->limit[ll - 1]))
        out->limit[--ll] = '\0';
    char last = ll ? out->limit[ll - 1] : '\0';
    if (strstr(out->metric, "cost."))
        out->unit = RU_MONEY;
    else if (last == '%')
        out->unit = RU_PERCENT;
    else if (strstr(out->metric, "wait."))
        out->unit = RU_SECONDS;
    else if (strstr(out->metric, "blocking") ||
             strstr(out->metric, "abandonment") ||
             strstr(out->metric, "service_level") ||
             strstr(out->metric, "occupancy") ||
             strstr(out->metric, "incomplete_meetings"))
        out->unit = RU_PERCENT;
    else
        out->unit = RU_COUNT;
    return true;
}

void
rd_escape(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                fputc(*s, out);
        }
    }
}

int
rd_find_target(const struct bh_results *r, const char *name) {
    for (size_t i = 0; r->targets && i < r->ntargets; i++)
        if (strcmp(r->targets[i].name, name) == 0)
            return (int)i;
    return -1;
}

void
rd_clock(char *buf, size_t size, double start, double t) {
    double s = fmod(start + t, 86400.0);
    if (!isfinite(s))
        s = 0;
    if (s < 0)
        s += 86400.0;
    long m = (long)floor(s / 60.0 + 1e-9);
    snprintf(buf, size, "%02ld:%02ld", m / 60 % 24, m % 60);
}

size_t
rd_target_names(const struct bh_report *rep, const char **names, size_t max) {
    size_t n = 0;
    for (size_t f = 0; f < rep->n; f++) {
        const struct bh_results *r = rep->rs[f];
        for (size_t i = 0; r->targets && i < r->ntargets; i++) {
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = strcmp(names[k], r->targets[i].name) == 0;
            if (!seen && n < max)
                names[n++] = r->targets[i].name;
        }
    }
    return n;
}

bool
rd_has_provider_revenue(const struct bh_report *rep) {
    for (size_t f = 0; f < rep->n; f++)
        if (rep->rs[f]->costs.present &&
            rep->rs[f]->costs.provider_revenue.mean > 0)
            return true;
    return false;
}

static int
cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t
rd_sl_times(const struct bh_report *rep, double *times, size_t max) {
    size_t n = 0;
    for (size_t f = 0; f < rep->n; f++) {
        const struct bh_results *r = rep->rs[f];
        for (size_t i = 0; r->targets && i < r->ntargets; i++)
            for (size_t k = 0; k < r->targets[i].nsl && k < BH_RES_MAX_SL;
                 k++) {
                double t = r->targets[i].sl[k].t;
                bool seen = false;
                for (size_t j = 0; j < n && !seen; j++)
                    seen = fabs(times[j] - t) < 1e-9;
                if (!seen && n < max)
                    times[n++] = t;
            }
    }
    qsort(times, n, sizeof *times, cmp_double);
    return n;
}

struct bh_estimate
rd_target_sl(const struct bh_target_result *t, double t_s) {
    for (size_t k = 0; k < t->nsl && k < BH_RES_MAX_SL; k++)
        if (fabs(t->sl[k].t - t_s) < 1e-9)
            return t->sl[k].value;
    return bh_estimate_exact(NAN);
}

void
rd_capacity(char *buf, size_t size, const struct bh_target_result *t) {
    if (strcmp(t->kind, "campaign") == 0)
        snprintf(buf, size, "%s", "");
    else if (strcmp(t->kind, "bridge") == 0)
        snprintf(buf, size, "%d ports", t->lines);
    else if (t->operators > 0)
        snprintf(buf, size, "%d lines, %d operators", t->lines, t->operators);
    else
        snprintf(buf, size, "%d lines", t->lines);
}

struct bh_estimate
rd_capacity_figure(const struct bh_target_result *t, bool operators) {
    int v = operators ? t->operators : t->lines;
    if (strcmp(t->kind, "campaign") == 0 || v <= 0)
        return bh_estimate_exact(NAN);
    return bh_estimate_exact(v);
}

bool
rd_same_capacity(const struct bh_report *rep, const char *name) {
    const struct bh_target_result *first = NULL;
    for (size_t f = 0; f < rep->n; f++) {
        int ti = rd_find_target(rep->rs[f], name);
        if (ti < 0)
            continue;
        const struct bh_target_result *t = &rep->rs[f]->targets[ti];
        if (!first)
            first = t;
        else if (t->lines != first->lines || t->operators != first->operators)
            return false;
    }
    return true;
}

bool
rd_capacities_agree(const struct bh_report *rep) {
    for (size_t f = 0; f < rep->n; f++)
        for (size_t i = 0; i < rep->rs[f]->ntargets; i++)
            if (!rd_same_capacity(rep, rep->rs[f]->targets[i].name))
                return false;
    return true;
}

void
rd_file_capacity(char *buf, size_t size, const struct bh_results *r) {
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->ntargets && len + 1 < size; i++) {
        char c[64];
        rd_capacity(c, sizeof c, &r->targets[i]);
        if (!c[0])
            continue;
        int k = snprintf(buf + len, size - len, "%s%s %s", len ? "; " : "",
                         r->targets[i].name, c);
        if (k < 0)
            break;
        len += (size_t)k < size - len ? (size_t)k : size - len - 1;
    }
}

/* Adds one warning, if there is room. */
static size_t warn(char (*out)[400], size_t n, size_t max, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t
warn(char (*out)[400], size_t n, size_t max, const char *fmt, ...) {
    if (n >= max)
        return n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out[n], sizeof out[n], fmt, ap);
    va_end(ap);
    return n + 1;
}

size_t
bh_report_compare_warnings(const struct bh_results *const *rs,
                           const char *const *labels, size_t n,
                           const struct bh_scenario *sc, char (*out)[400],
                           size_t max) {
    size_t k = 0;
    for (size_t f = 1; f < n; f++) {
        const struct bh_results *a = rs[0], *b = rs[f];
        if (strcmp(a->scenario, b->scenario) != 0)
            k = warn(out, k, max,
                     "Results of different scenarios are compared: %s is "
                     "scenario \"%s\", %s is \"%s\"; their figures "
                     "describe different traffic.",
                     labels[0], a->scenario, labels[f], b->scenario);
        else if (a->scenario_hash[0] && b->scenario_hash[0] &&
                 strcmp(a->scenario_hash, b->scenario_hash) != 0)
            k = warn(out, k, max,
                     "Results of different versions of scenario \"%s\" "
                     "are compared: %s and %s were computed from different "
                     "scenario files (hash %s, %s).",
                     a->scenario, labels[0], labels[f], a->scenario_hash,
                     b->scenario_hash);
    }
    for (size_t f = 0; sc && f < n; f++) {
        const struct bh_results *r = rs[f];
        if (strcmp(r->scenario, sc->name) != 0)
            k = warn(out, k, max,
                     "%s is of scenario \"%s\", not of the scenario given "
                     "(%s, \"%s\"): its thresholds and figures from the "
                     "formulas come from the scenario given.",
                     labels[f], r->scenario, sc->path, sc->name);
        else if (r->scenario_hash[0] && sc->digest[0] &&
                 strcmp(r->scenario_hash, sc->digest) != 0)
            k = warn(out, k, max,
                     "%s was computed from another version of %s (hash "
                     "%s, the file now %s).",
                     labels[f], sc->path, r->scenario_hash, sc->digest);
    }
    return k;
}

void
bh_threshold_describe(const struct bh_threshold_result *t, char *buf,
                      size_t size) {
    struct rd_expr e;
    if (!rd_parse_expr(t->expr, &e)) {
        e.unit = RU_COUNT;
        e.upper = true;
    }
    char v[64], l[64];
    rd_fmt1(v, sizeof v, t->value, e.unit, true);
    rd_fmt1(l, sizeof l, t->limit, e.unit, true);
    if (isnan(t->value))
        snprintf(buf, size, "%s (not measured, limit %s %s)",
                 t->pass ? "pass" : "FAIL", e.op, l);
    else
        snprintf(buf, size, "%s (%s bound %s, limit %s %s)",
                 t->pass ? "pass" : "FAIL", e.upper ? "upper" : "lower", v,
                 e.op, l);
}
