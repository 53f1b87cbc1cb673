/* render_csv.c: CSV files for spreadsheets: figures per interval, per
 * target and per cost class, every results file in one table (a `results`
 * column tells them apart), each figure with its 95% interval. */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

/* RFC 4180: quote a field that holds a comma, quote or line break. */
static void
field(FILE *out, const char *s, bool last) {
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', out);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', out);
            fputc(*s, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
    fputc(last ? '\n' : ',', out);
}

static void
num(FILE *out, double v, bool last) {
    char buf[40];
    if (isfinite(v))
        bh_results_format_number(v, buf, sizeof buf);
    else
        buf[0] = '\0'; /* empty: not measured */
    field(out, buf, last);
}

static void
est(FILE *out, struct bh_estimate e, bool last) {
    num(out, e.mean, false);
    num(out, e.lo, false);
    num(out, e.hi, last);
}

static void
est_header(FILE *out, const char *name, bool last) {
    fprintf(out, "%s,%s_lo,%s_hi%c", name, name, name, last ? '\n' : ',');
}

/* The last columns of a row: service_level_<T> for each of nsl times. */
static void
sl_headers(FILE *out, const double *sl, size_t nsl) {
    for (size_t i = 0; i < nsl; i++) {
        char name[64], dur[32];
        bh_format_duration(sl[i], dur, sizeof dur);
        snprintf(name, sizeof name, "service_level_%s", dur);
        est_header(out, name, i + 1 == nsl);
    }
}

/* The first columns of a row: results file, its source, and what the row
 * is about (a target or a traffic source). */
static void
lead(FILE *out, const struct bh_report *rep, size_t k, const char *name) {
    field(out, rep->labels[k], false);
    field(out, bh_results_source_name(rep->rs[k]->source), false);
    field(out, name, false);
}

static FILE *
open_in(const char *dir, const char *name, struct bh_diag *d) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        bh_diag_set(d, 0, 0, "cannot write %s: %s", path, strerror(errno));
    return f;
}

static int
close_file(FILE *f, const char *dir, const char *name, struct bh_diag *d) {
    bool bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        bh_diag_set(d, 0, 0, "cannot write %s/%s", dir, name);
        return BH_EIO;
    }
    return 0;
}

static int
intervals(const struct bh_report *rep, const char *dir, struct bh_diag *d) {
    FILE *f = open_in(dir, "intervals.csv", d);
    if (!f)
        return BH_EIO;
    double sl[BH_RES_MAX_SL * 4];
    size_t nsl = rd_sl_times(rep, sl, sizeof sl / sizeof *sl);
    fputs("results,source,target,start_s,clock,", f);
    est_header(f, "offered_erlangs", false);
    est_header(f, "offered", false);
    est_header(f, "blocking", false);
    est_header(f, "abandonment", false);
    est_header(f, "wait_mean_s", false);
    est_header(f, "busy_mean", false);
    est_header(f, "occupancy", nsl == 0);
    sl_headers(f, sl, nsl);
    for (size_t k = 0; k < rep->n; k++) {
        const struct bh_results *r = rep->rs[k];
        for (size_t ti = 0; ti < r->ntargets; ti++) {
            for (size_t ii = 0; ii < r->nintervals; ii++) {
                const struct bh_interval_result *iv =
                    &r->intervals[ti * r->nintervals + ii];
                char clock[16];
                rd_clock(clock, sizeof clock, rep->start, iv->start);
                lead(f, rep, k, r->targets[ti].name);
                num(f, iv->start, false);
                field(f, clock, false);
                est(f, iv->offered_erlangs, false);
                est(f, iv->offered, false);
                est(f, iv->blocking, false);
                est(f, iv->abandonment, false);
                est(f, iv->wait_mean, false);
                est(f, iv->busy_mean, false);
                est(f, iv->occupancy, nsl == 0);
                for (size_t i = 0; i < nsl; i++) {
                    struct bh_estimate e = bh_estimate_exact(NAN);
                    for (size_t j = 0; j < iv->nsl && j < BH_RES_MAX_SL; j++)
                        if (fabs(iv->sl[j].t - sl[i]) < 1e-9)
                            e = iv->sl[j].value;
                    est(f, e, i + 1 == nsl);
                }
            }
        }
    }
    return close_file(f, dir, "intervals.csv", d);
}

static int
targets(const struct bh_report *rep, const char *dir, struct bh_diag *d) {
    FILE *f = open_in(dir, "targets.csv", d);
    if (!f)
        return BH_EIO;
    double sl[BH_RES_MAX_SL * 4];
    size_t nsl = rd_sl_times(rep, sl, sizeof sl / sizeof *sl);
    fputs("results,source,target,kind,lines,operators,", f);
    const char *names[] = {
        "offered_erlangs", "offered",    "answered",
        "blocked",         "abandoned",  "overflow",
        "retried",         "blocking",   "abandonment",
        "wait_mean_s",     "wait_p50_s", "wait_p90_s",
        "wait_p99_s",      "occupancy",  "busy_mean",
        "peak_busy",       "meetings",   "incomplete_meetings"};
    size_t nn = sizeof names / sizeof *names;
    for (size_t i = 0; i < nn; i++)
        est_header(f, names[i], false);
    for (size_t i = 0; i < nsl; i++) {
        char name[64], dur[32];
        bh_format_duration(sl[i], dur, sizeof dur);
        snprintf(name, sizeof name, "service_level_%s", dur);
        est_header(f, name, false);
    }
    /* what the target costs, by payer (empty without costs by target) */
    const char *costs[] = {"cost_company", "cost_callers",
                           "cost_company_per_answered_call",
                           "cost_callers_per_answered_call"};
    size_t nc = sizeof costs / sizeof *costs;
    for (size_t i = 0; i < nc; i++)
        est_header(f, costs[i], i + 1 == nc);
    for (size_t k = 0; k < rep->n; k++) {
        const struct bh_results *r = rep->rs[k];
        for (size_t ti = 0; ti < r->ntargets; ti++) {
            const struct bh_target_result *t = &r->targets[ti];
            lead(f, rep, k, t->name);
            field(f, t->kind, false);
            num(f, t->lines, false);
            num(f, t->operators, false);
            struct bh_estimate v[] = {
                t->offered_erlangs, t->offered,   t->answered,
                t->blocked,         t->abandoned, t->overflow,
                t->retried,         t->blocking,  t->abandonment,
                t->wait_mean,       t->wait_p50,  t->wait_p90,
                t->wait_p99,        t->occupancy, t->busy_mean,
                t->peak_busy,       t->meetings,  t->incomplete_meetings};
            for (size_t i = 0; i < nn; i++)
                est(f, v[i], false);
            for (size_t i = 0; i < nsl; i++)
                est(f, rd_target_sl(t, sl[i]), false);
            const struct bh_target_costs *tc = NULL;
            for (size_t j = 0; j < r->costs.ntargets; j++)
                if (strcmp(r->costs.targets[j].name, t->name) == 0)
                    tc = &r->costs.targets[j];
            struct bh_estimate none = bh_estimate_exact(NAN);
            struct bh_estimate cv[] = {
                tc ? tc->by[BH_COST_COMPANY].total : none,
                tc ? tc->by[BH_COST_CALLERS].total : none,
                tc ? tc->by[BH_COST_COMPANY].per_answered_call : none,
                tc ? tc->by[BH_COST_CALLERS].per_answered_call : none};
            for (size_t i = 0; i < nc; i++)
                est(f, cv[i], i + 1 == nc);
        }
    }
    return close_file(f, dir, "targets.csv", d);
}

static int
classes(const struct bh_report *rep, const char *dir, struct bh_diag *d) {
    FILE *f = open_in(dir, "classes.csv", d);
    if (!f)
        return BH_EIO;
    fputs("results,source,traffic_source,origin,plan,payer,currency,", f);
    est_header(f, "calls", false);
    est_header(f, "cost", true);
    for (size_t k = 0; k < rep->n; k++) {
        const struct bh_costs *c = &rep->rs[k]->costs;
        if (!c->present)
            continue;
        for (size_t i = 0; i < c->nclasses; i++) {
            const struct bh_cost_class *cc = &c->classes[i];
            lead(f, rep, k, cc->source);
            field(f, cc->origin, false);
            field(f, cc->plan, false);
            field(f, cc->payer, false);
            field(f, c->currency, false);
            est(f, cc->calls, false);
            est(f, cc->total, true);
        }
    }
    return close_file(f, dir, "classes.csv", d);
}

int
bh_report_csv(const struct bh_report *rep, const char *dir, struct bh_diag *d) {
    struct bh_diag scratch;
    if (!d)
        d = &scratch;
    if (!rep || !dir || rep->n == 0)
        return BH_EINVAL;
    snprintf(d->file, sizeof d->file, "%s", dir);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        bh_diag_set(d, 0, 0, "cannot create the folder: %s", strerror(errno));
        return BH_EIO;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        bh_diag_set(d, 0, 0, "not a folder");
        return BH_EIO;
    }
    int rc = intervals(rep, dir, d);
    if (!rc)
        rc = targets(rep, dir, d);
    if (!rc)
        rc = classes(rep, dir, d);
    return rc;
}
