/* cdr_rate.c: a switch's CDR file (records/) rated with a scenario's
 * tariffs by the simulator's rating (rating.c), and its cost tables.
 *
 * A CDR row names numbers, not rate classes: the number a trunk call or an
 * ad-hoc leg rang, the number a caller called from. The rate class
 * (origin) comes from the scenario: an extension's number is `internal`
 * when the tariffs name that origin, any other number takes the origin of
 * the longest `tariffs.prefixes` code it starts with. The row then becomes
 * the call record the simulator would have made for it (outbound legs paid
 * by the company, to the number rung; calls to a number or bridge paid as
 * the scenario says) and goes through bh_rater_rate, so a dial-out leg of
 * d seconds costs here what it costs in `busyhour sim`. What a CDR cannot
 * say is the caller's plan: calls the callers pay are priced at their
 * origin's rate per second (plan none). */
#include "reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Rate classes of numbers -------------------------------------------- */

static int
is_extension(const struct bh_scenario *sc, const char *number) {
    for (size_t i = 0; i < sc->sw.nextensions; i++)
        if (strcmp(sc->sw.extensions[i].number, number) == 0)
            return 1;
    return 0;
}

int
bh_rating_origin_of(const struct bh_scenario *sc, const char *number) {
    if (!sc || !number || !number[0])
        return -1;
    const struct bh_sc_tariffs *tf = &sc->tariffs;
    if (is_extension(sc, number)) {
        for (size_t i = 0; i < tf->norigins; i++)
            if (strcmp(tf->origins[i], "internal") == 0)
                return (int)i;
        return -1;
    }
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < tf->nprefixes; i++) {
        size_t n = strlen(tf->prefixes[i].digits);
        if (n > best_len && strncmp(number, tf->prefixes[i].digits, n) == 0) {
            best = tf->prefixes[i].origin;
            best_len = n;
        }
    }
    return best;
}

/* ---- A row as the simulator's record ------------------------------------ */

static int
digits(const char *s) {
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Seconds from the run's start to its local midnight's clock: the rater
 * reads the time of day (bands) and the day (bundles) as scenario start +
 * t, so a row is rated at the local time it really happened. */
static double
clock_offset(const struct bh_scenario *sc, double started) {
    time_t t = (time_t)floor(started);
    struct tm tm;
    if (!(started > 0) || !localtime_r(&t, &tm))
        return 0;
    return started + (double)tm.tm_gmtoff - sc->start;
}

static void
shift(double *t, double by) {
    if (*t >= 0)
        *t += by;
}

static int
target_index(const struct bh_scenario *sc, const struct bh_cdr_row *row) {
    if (row->rec.target_kind == BH_TARGET_BRIDGE) {
        for (size_t i = 0; i < sc->sw.nbridges; i++)
            if (strcmp(sc->sw.bridges[i].name, row->number) == 0)
                return (int)i;
        return (int)sc->sw.nbridges;
    }
    if (row->rec.target_kind == BH_TARGET_NUMBER)
        return bh_scenario_find_number(sc, row->number) >= 0
                   ? bh_scenario_find_number(sc, row->number)
                   : (int)sc->sw.nnumbers;
    return row->rec.target;
}

/* The first source that calls the row's number or bridge; nsources (no
 * class: "other") for the office's own calls. */
static int
source_of(const struct bh_scenario *sc, const struct bh_call_record *r) {
    if (r->target_kind == BH_TARGET_NUMBER ||
        r->target_kind == BH_TARGET_BRIDGE)
        for (size_t i = 0; i < sc->nsources; i++)
            if (sc->sources[i].target_kind == r->target_kind &&
                sc->sources[i].target == (int)r->target && !r->outbound)
                return (int)i;
    return (int)sc->nsources;
}

/* Does the price of this record depend on its origin? Outbound calls and
 * calls the callers pay do; toll-free minutes do not. */
static int
origin_priced(const struct bh_scenario *sc, const struct bh_call_record *r) {
    if (r->outbound)
        return 1;
    if (r->target_kind == BH_TARGET_NUMBER && r->target < sc->sw.nnumbers)
        return sc->sw.numbers[r->target].payer == BH_PAYER_CALLER;
    if (r->target_kind == BH_TARGET_BRIDGE && r->target < sc->sw.nbridges)
        return sc->sw.bridges[r->target].payer == BH_PAYER_CALLER;
    return 1;
}

struct walk {
    const struct bh_scenario *sc;
    struct bh_rater *rater;
    struct bh_cdr_costs *out;
    int nomem;
};

static int
add_line(struct bh_cdr_costs *c, const struct bh_cdr_cost *line) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        struct bh_cdr_cost *v = realloc(c->lines, cap * sizeof *v);
        if (!v)
            return BH_ENOMEM;
        c->lines = v;
        c->cap = cap;
    }
    c->lines[c->n++] = *line;
    return 0;
}

static int
rate_row(void *ctx, const struct bh_cdr_row *row) {
    struct walk *w = ctx;
    const struct bh_scenario *sc = w->sc;
    struct bh_cdr_costs *out = w->out;
    out->rows++;
    if (row->state != BH_CDR_ENDED) {
        out->open++; /* in progress, or cut by a crash: no end to bill */
        return 0;
    }
    struct bh_call_record rec = row->rec;
    rec.target = (uint16_t)target_index(sc, row);
    rec.source = (uint16_t)source_of(sc, &rec);
    rec.plan = -1;
    rec.caller_class = 0;
    rec.subscriber = 0;
    /* The number the origin is read from: the one rung for the company's
     * outgoing calls (a trunk row names the outside number, or only what
     * was dialled), the caller's for the rest. */
    const char *num = row->caller;
    if (rec.outbound)
        num = rec.target_kind == BH_TARGET_TRUNK && !digits(row->number)
                  ? row->called
                  : row->number;
    int origin = bh_rating_origin_of(sc, num);
    rec.origin = (uint16_t)(origin >= 0 ? origin : (int)sc->tariffs.norigins);
    double off = clock_offset(sc, row->started);
    shift(&rec.arrival, off);
    shift(&rec.answer, off);
    shift(&rec.connect, off);
    shift(&rec.end, off);
    bh_money cost = bh_rater_rate(w->rater, &rec);

    struct bh_cdr_cost line;
    memset(&line, 0, sizeof line);
    line.id = rec.id;
    line.kind = rec.target_kind;
    line.outcome = rec.outcome;
    line.outbound = rec.outbound;
    line.payer = (enum bh_payer)rec.payer;
    line.origin = origin;
    double t0 = rec.answer >= 0 ? rec.answer : rec.connect;
    line.seconds =
        t0 >= 0 && rec.end > t0 && rec.outcome != BH_OUTCOME_UNANSWERED
            ? (int64_t)ceil(rec.end - t0 - 1e-6)
            : 0;
    line.cost = cost;
    snprintf(line.number, sizeof line.number, "%s", row->number);
    snprintf(line.called, sizeof line.called, "%s", row->called);
    snprintf(line.caller, sizeof line.caller, "%s", row->caller);
    snprintf(line.rated, sizeof line.rated, "%s", num);
    snprintf(line.reason, sizeof line.reason, "%s", row->reason);
    snprintf(line.call_id, sizeof line.call_id, "%s", row->call_id);
    out->rated++;
    if (origin < 0 && line.seconds > 0 && origin_priced(sc, &rec))
        out->unpriced++;
    if (line.payer == BH_PAYER_CALLEE)
        out->company += cost;
    else
        out->callers += cost;
    if (add_line(out, &line) < 0) {
        w->nomem = 1;
        return BH_ENOMEM;
    }
    return 0;
}

int
bh_cdr_rate(const struct bh_scenario *sc, const char *path,
            struct bh_cdr_costs *out, struct bh_diag *diag) {
    if (!sc || !path || !out)
        return BH_EINVAL;
    memset(out, 0, sizeof *out);
    if (!sc->tariffs.present) {
        bh_diag_set(diag, 0, 0, "the scenario has no tariffs: nothing to rate");
        return BH_EINVAL;
    }
    struct walk w = {.sc = sc, .out = out};
    int rc = bh_rater_new(sc, &w.rater);
    if (rc)
        return rc;
    rc = bh_cdr_read(path, NULL, rate_row, &w, diag);
    bh_rater_free(w.rater);
    if (w.nomem)
        rc = BH_ENOMEM;
    if (rc)
        bh_cdr_costs_clear(out);
    return rc;
}

void
bh_cdr_costs_clear(struct bh_cdr_costs *c) {
    if (!c)
        return;
    free(c->lines);
    memset(c, 0, sizeof *c);
}

/* ---- Writers ------------------------------------------------------------ */

static const char *
kind_name(int kind) {
    switch (kind) {
    case BH_TARGET_NUMBER:
        return "number";
    case BH_TARGET_BRIDGE:
        return "bridge";
    case BH_TARGET_EXTENSION:
        return "extension";
    default:
        return "trunk";
    }
}

static const char *
origin_name(const struct bh_scenario *sc, int origin) {
    return origin >= 0 && (size_t)origin < sc->tariffs.norigins
               ? sc->tariffs.origins[origin]
               : "";
}

/* A CSV field, quoted when it holds a comma, a quote or a line break
 * (RFC 4180). */
static void
csv_text(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static double
units(bh_money m) {
    return (double)m / (double)BH_MONEY_UNIT;
}

int
bh_cdr_costs_csv(const struct bh_cdr_costs *c, const struct bh_scenario *sc,
                 FILE *f) {
    fputs("id,call_id,kind,number,called,caller,outcome,reason,outbound,"
          "payer,rated_number,origin,seconds,cost\n",
          f);
    for (size_t i = 0; i < c->n; i++) {
        const struct bh_cdr_cost *l = &c->lines[i];
        fprintf(f, "%llu,", (unsigned long long)l->id);
        const char *texts[] = {
            l->call_id, kind_name(l->kind),
            l->number,  l->called,
            l->caller,  bh_outcome_name((enum bh_outcome)l->outcome),
            l->reason};
        for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
            csv_text(f, texts[k]);
            fputc(',', f);
        }
        fprintf(f, "%d,%s,", l->outbound,
                l->payer == BH_PAYER_CALLEE ? "company" : "caller");
        csv_text(f, l->rated);
        fputc(',', f);
        csv_text(f, origin_name(sc, l->origin));
        fprintf(f, ",%lld,%.6f\n", (long long)l->seconds, units(l->cost));
    }
    return ferror(f) ? BH_EIO : 0;
}

/* Totals of one (payer, kind, origin) group of the Markdown table. */
struct group {
    int payer, kind, origin, outbound;
    uint64_t calls;
    int64_t seconds;
    bh_money cost;
};

int
bh_cdr_costs_md(const struct bh_cdr_costs *c, const struct bh_scenario *sc,
                const char *path, FILE *f) {
    const char *cur = sc->tariffs.currency;
    fprintf(f, "# Costs of %s\n\n", path);
    fprintf(f, "%llu CDR rows, %llu rated with the tariffs of %s",
            (unsigned long long)c->rows, (unsigned long long)c->rated,
            sc->name);
    if (c->open)
        fprintf(f, " (%llu of calls still up or cut by a crash left out)",
                (unsigned long long)c->open);
    fprintf(f, ".\n\n| paid by | %s |\n|---|---:|\n", cur);
    fprintf(f, "| company | %.2f |\n| callers | %.2f |\n| total | %.2f |\n\n",
            units(c->company), units(c->callers),
            units(c->company + c->callers));
    struct group *g = calloc(c->n + 1, sizeof *g);
    if (!g)
        return BH_ENOMEM;
    size_t ng = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct bh_cdr_cost *l = &c->lines[i];
        size_t k = 0;
        while (k < ng &&
               !(g[k].payer == (int)l->payer && g[k].kind == l->kind &&
                 g[k].origin == l->origin && g[k].outbound == l->outbound))
            k++;
        if (k == ng)
            g[ng++] = (struct group){
                (int)l->payer, l->kind, l->origin, l->outbound, 0, 0, 0};
        g[k].calls++;
        g[k].seconds += l->seconds;
        g[k].cost += l->cost;
    }
    fprintf(f,
            "| paid by | kind | direction | origin | calls | seconds | "
            "%s |\n|---|---|---|---|---:|---:|---:|\n",
            cur);
    for (size_t k = 0; k < ng; k++)
        fprintf(f, "| %s | %s | %s | %s | %llu | %lld | %.2f |\n",
                g[k].payer == BH_PAYER_CALLEE ? "company" : "callers",
                kind_name(g[k].kind), g[k].outbound ? "outgoing" : "incoming",
                g[k].origin >= 0 ? origin_name(sc, g[k].origin) : "(none)",
                (unsigned long long)g[k].calls, (long long)g[k].seconds,
                units(g[k].cost));
    free(g);
    if (c->unpriced)
        fprintf(f,
                "\n%llu calls with talk were not priced: their number matches "
                "no tariffs.prefixes code (nor is an extension with an "
                "`internal` rate); an outgoing one is charged its setup "
                "only.\n",
                (unsigned long long)c->unpriced);
    fprintf(f, "\nCalls the callers pay are priced at their origin's rate per "
               "second: a CDR does not say the caller's plan.\n");
    return ferror(f) ? BH_EIO : 0;
}
