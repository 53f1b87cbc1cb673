/* results.c: the results model's storage and its JSON file (written by a
 * small deterministic emitter, read and validated with jansson). */
#include "reports.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Results files larger than this are refused (bytes). A day of 5-minute
 * intervals for 256 targets is about 30 MB. */
#define RESULTS_MAX_FILE (256L << 20)

int
bh_results_init(struct bh_results *r, size_t ntargets, size_t nintervals) {
    if (!r)
        return BH_EINVAL;
    memset(r, 0, sizeof *r);
    r->replications = 1;
    if (ntargets) {
        r->targets = calloc(ntargets, sizeof *r->targets);
        if (!r->targets)
            return BH_ENOMEM;
    }
    if (ntargets && nintervals) {
        if (nintervals > SIZE_MAX / sizeof *r->intervals / ntargets) {
            bh_results_clear(r);
            return BH_ENOMEM;
        }
        r->intervals = calloc(ntargets * nintervals, sizeof *r->intervals);
        if (!r->intervals) {
            bh_results_clear(r);
            return BH_ENOMEM;
        }
    }
    r->ntargets = ntargets;
    r->nintervals = nintervals;
    return 0;
}

void
bh_results_clear(struct bh_results *r) {
    if (!r)
        return;
    for (size_t i = 0; r->targets && i < r->ntargets; i++)
        free(r->targets[i].wait_hist);
    free(r->targets);
    free(r->intervals);
    free(r->costs.classes);
    free(r->costs.targets);
    free(r->thresholds);
    free(r->plan);
    memset(r, 0, sizeof *r);
}

struct bh_interval_result *
bh_results_interval(struct bh_results *r, size_t ti, size_t ii) {
    if (!r || !r->intervals || ti >= r->ntargets || ii >= r->nintervals)
        return NULL;
    return &r->intervals[ti * r->nintervals + ii];
}

const char *
bh_results_source_name(enum bh_results_source s) {
    switch (s) {
    case BH_SOURCE_ANALYTIC:
        return "analytic";
    case BH_SOURCE_SIM:
        return "sim";
    case BH_SOURCE_LOAD:
        return "load";
    }
    return "sim";
}

struct bh_estimate
bh_estimate_exact(double v) {
    struct bh_estimate e = {v, v, v};
    return e;
}

/* ---- Writer --------------------------------------------------------- */

/* A JSON emitter with fixed key order (the order of the calls), two-space
 * indentation, and numbers in their shortest round-trip form. */
struct jw {
    FILE *f;
    int depth;
    bool first[64]; /* per depth: no member written yet */
    bool inl[64];   /* per depth: an inline (one-line) container */
};

static void
jw_sep(struct jw *w) {
    if (w->depth > 0 && !w->first[w->depth])
        fputc(',', w->f);
    if (w->depth > 0) {
        if (w->inl[w->depth]) {
            if (!w->first[w->depth])
                fputc(' ', w->f);
        } else {
            fputc('\n', w->f);
            for (int i = 0; i < w->depth; i++)
                fputs("  ", w->f);
        }
        w->first[w->depth] = false;
    }
}

void
bh_json_write_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void
jw_string(struct jw *w, const char *s) {
    bh_json_write_string(w->f, s);
}

static void
jw_key(struct jw *w, const char *key) {
    jw_sep(w);
    if (key) {
        jw_string(w, key);
        fputs(": ", w->f);
    }
}

static void
jw_open(struct jw *w, const char *key, char c, bool inl) {
    jw_key(w, key);
    fputc(c, w->f);
    bool parent_inline = w->inl[w->depth];
    if (w->depth + 1 < (int)(sizeof w->first / sizeof *w->first))
        w->depth++;
    w->first[w->depth] = true;
    w->inl[w->depth] = inl || parent_inline;
}

static void
jw_close(struct jw *w, char c) {
    bool empty = w->first[w->depth];
    bool was_inline = w->inl[w->depth];
    w->depth--;
    if (!empty && !was_inline) {
        fputc('\n', w->f);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->f);
    }
    fputc(c, w->f);
}

/* Shortest of %.15g, %.16g, %.17g that reads back to the same double;
 * NaN and infinities (not JSON) become null. */
void
bh_results_format_number(double v, char *buf, size_t size) {
    if (!buf || size == 0)
        return;
    if (!isfinite(v)) {
        snprintf(buf, size, "null");
        return;
    }
    if (v == 0) {
        snprintf(buf, size, "0"); /* also for -0 */
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void
jw_num(struct jw *w, const char *key, double v) {
    char buf[40];
    bh_results_format_number(v, buf, sizeof buf);
    jw_key(w, key);
    fputs(buf, w->f);
}

static void
jw_int(struct jw *w, const char *key, long long v) {
    jw_key(w, key);
    fprintf(w->f, "%lld", v);
}

static void
jw_str(struct jw *w, const char *key, const char *s) {
    jw_key(w, key);
    jw_string(w, s);
}

static void
jw_bool(struct jw *w, const char *key, bool b) {
    jw_key(w, key);
    fputs(b ? "true" : "false", w->f);
}

/* [lo, hi] */
static void
jw_ci(struct jw *w, const char *key, struct bh_estimate e) {
    jw_open(w, key, '[', true);
    jw_num(w, NULL, e.lo);
    jw_num(w, NULL, e.hi);
    jw_close(w, ']');
}

/* {"mean": m, "ci95": [lo, hi]} on one line. */
static void
jw_est(struct jw *w, const char *key, struct bh_estimate e) {
    jw_open(w, key, '{', true);
    jw_num(w, "mean", e.mean);
    jw_ci(w, "ci95", e);
    jw_close(w, '}');
}

/* Service-level key: the target time as a duration ("20s", "1m30s"). */
static void
sl_key(double t, char *buf, size_t size) {
    bh_format_duration(t, buf, size);
    if (!buf[0])
        snprintf(buf, size, "0s");
}

/* A named figure written as a plain number, with its interval collected
 * in a sibling "ci95" object. */
struct fig {
    const char *key;
    struct bh_estimate e;
};

static void
jw_ci_object(struct jw *w, const struct fig *figs, size_t n) {
    jw_open(w, "ci95", '{', false);
    for (size_t i = 0; i < n; i++)
        jw_ci(w, figs[i].key, figs[i].e);
    jw_close(w, '}');
}

static void
write_sl(struct jw *w, size_t nsl, const struct bh_service_level *sl, bool ci) {
    jw_open(w, "service_level", '{', !ci);
    for (size_t i = 0; i < nsl && i < BH_RES_MAX_SL; i++) {
        char k[32];
        sl_key(sl[i].t, k, sizeof k);
        if (ci)
            jw_ci(w, k, sl[i].value);
        else
            jw_num(w, k, sl[i].value.mean);
    }
    jw_close(w, '}');
}

static void
write_interval(struct jw *w, const struct bh_interval_result *iv) {
    jw_open(w, NULL, '{', false);
    jw_num(w, "start", iv->start);
    struct fig figs[] = {
        {"offered_erlangs", iv->offered_erlangs},
        {"offered", iv->offered},
        {"blocking", iv->blocking},
        {"abandonment", iv->abandonment},
        {"wait_mean", iv->wait_mean},
        {"busy_mean", iv->busy_mean},
        {"occupancy", iv->occupancy},
    };
    size_t n = sizeof figs / sizeof *figs;
    for (size_t i = 0; i < n; i++)
        jw_num(w, figs[i].key, figs[i].e.mean);
    write_sl(w, iv->nsl, iv->sl, false);
    jw_open(w, "ci95", '{', true);
    for (size_t i = 0; i < n; i++)
        jw_ci(w, figs[i].key, figs[i].e);
    jw_close(w, '}');
    jw_open(w, "service_level_ci95", '{', true);
    for (size_t i = 0; i < iv->nsl && i < BH_RES_MAX_SL; i++) {
        char k[32];
        sl_key(iv->sl[i].t, k, sizeof k);
        jw_ci(w, k, iv->sl[i].value);
    }
    jw_close(w, '}');
    jw_close(w, '}');
}

/* The wait histogram: its layout (sub-buckets per power of two, the
 * smallest positive bucket's bound), the zero waits, count and sum, and
 * the non-empty buckets as [index, count] pairs. */
static void
write_hist(struct jw *w, const struct bh_hist *h) {
    jw_open(w, "histogram", '{', false);
    jw_int(w, "sub", BH_HIST_SUB);
    jw_num(w, "min", BH_HIST_MIN);
    jw_int(w, "zero", (long long)h->zero);
    jw_int(w, "count", (long long)h->count);
    jw_num(w, "sum", h->sum);
    jw_open(w, "buckets", '[', true);
    for (size_t i = 0; i < BH_HIST_SUB * BH_HIST_EXP; i++)
        if (h->bucket[i]) {
            jw_open(w, NULL, '[', true);
            jw_int(w, NULL, (long long)i);
            jw_int(w, NULL, (long long)h->bucket[i]);
            jw_close(w, ']');
        }
    jw_close(w, ']');
    jw_close(w, '}');
}

static void
write_target(struct jw *w, const struct bh_results *r, size_t ti) {
    const struct bh_target_result *t = &r->targets[ti];
    jw_open(w, t->name, '{', false);
    jw_str(w, "kind", t->kind);
    jw_int(w, "lines", t->lines);
    jw_int(w, "operators", t->operators);
    struct fig figs[] = {
        {"offered_erlangs", t->offered_erlangs},
        {"offered", t->offered},
        {"answered", t->answered},
        {"blocked", t->blocked},
        {"abandoned", t->abandoned},
        {"overflow", t->overflow},
        {"retried", t->retried},
        {"occupancy", t->occupancy},
        {"busy_mean", t->busy_mean},
        {"peak_busy", t->peak_busy},
        {"meetings", t->meetings},
        {"incomplete_meetings", t->incomplete_meetings},
    };
    size_t n = sizeof figs / sizeof *figs;
    for (size_t i = 0; i < n; i++)
        jw_num(w, figs[i].key, figs[i].e.mean);
    jw_ci_object(w, figs, n);
    jw_est(w, "blocking", t->blocking);
    jw_est(w, "abandonment", t->abandonment);

    jw_open(w, "wait", '{', false);
    struct fig wf[] = {
        {"mean", t->wait_mean},
        {"p50", t->wait_p50},
        {"p90", t->wait_p90},
        {"p99", t->wait_p99},
    };
    for (size_t i = 0; i < 4; i++)
        jw_num(w, wf[i].key, wf[i].e.mean);
    write_sl(w, t->nsl, t->sl, false);
    jw_open(w, "ci95", '{', false);
    for (size_t i = 0; i < 4; i++)
        jw_ci(w, wf[i].key, wf[i].e);
    write_sl(w, t->nsl, t->sl, true);
    jw_close(w, '}');
    if (t->wait_hist)
        write_hist(w, t->wait_hist);
    jw_close(w, '}');

    jw_open(w, "intervals", '[', false);
    for (size_t ii = 0; r->intervals && ii < r->nintervals; ii++)
        write_interval(w, &r->intervals[ti * r->nintervals + ii]);
    jw_close(w, ']');
    jw_close(w, '}');
}

/* One payer's figures: total, per_answered_call, per_hour, per_month. */
static void
write_payer(struct jw *w, const struct bh_payer_costs *p) {
    jw_est(w, "total", p->total);
    jw_est(w, "per_answered_call", p->per_answered_call);
    jw_est(w, "per_hour", p->per_hour);
    jw_est(w, "per_month", p->per_month);
}

/* Both payers' figures at this level (total ... per_month as
 * "all_payers"), then "company" and "callers" objects. */
static const char *const payer_keys[BH_COST_PAYERS] = {"all_payers", "company",
                                                       "callers"};

static void
write_payers(struct jw *w, const struct bh_payer_costs *by) {
    for (int p = 0; p < BH_COST_PAYERS; p++) {
        jw_open(w, payer_keys[p], '{', false);
        write_payer(w, &by[p]);
        jw_close(w, '}');
    }
}

static void
write_balance(struct jw *w, const struct bh_balance *b) {
    jw_open(w, "balance", '{', false);
    jw_num(w, "start", b->start);
    jw_num(w, "top_up", b->top_up);
    jw_num(w, "every", b->every);
    jw_est(w, "end", b->end);
    jw_num(w, "runs_out", b->runs_out);
    jw_est(w, "out_at", b->out_at);
    jw_num(w, "earliest", b->earliest);
    jw_num(w, "projected", b->projected);
    jw_close(w, '}');
}

static void
write_costs(struct jw *w, const struct bh_costs *c) {
    if (!c->present) {
        jw_key(w, "costs");
        fputs("null", w->f);
        return;
    }
    jw_open(w, "costs", '{', false);
    jw_str(w, "currency", c->currency);
    struct fig figs[] = {
        {"total", c->total},
        {"per_call", c->per_call},
        {"per_participant", c->per_participant},
        {"per_month", c->per_month},
        {"line_rental", c->line_rental},
        {"provider_revenue", c->provider_revenue},
        {"operators", c->operators},
        {"answered", c->answered},
    };
    size_t n = sizeof figs / sizeof *figs;
    for (size_t i = 0; i < n; i++)
        jw_num(w, figs[i].key, figs[i].e.mean);
    jw_open(w, "by_payer", '{', false);
    jw_num(w, "callers", c->callers.mean);
    jw_num(w, "company", c->company.mean);
    jw_open(w, "ci95", '{', false);
    jw_ci(w, "callers", c->callers);
    jw_ci(w, "company", c->company);
    jw_close(w, '}');
    jw_close(w, '}');
    jw_ci_object(w, figs, n);
    write_payers(w, c->by);
    if (c->ntargets) {
        jw_open(w, "targets", '{', false);
        for (size_t i = 0; c->targets && i < c->ntargets; i++) {
            const struct bh_target_costs *t = &c->targets[i];
            jw_open(w, t->name, '{', false);
            jw_est(w, "answered", t->answered);
            jw_est(w, "line_rental", t->line_rental);
            jw_est(w, "operators", t->operators);
            write_payers(w, t->by);
            jw_close(w, '}');
        }
        jw_close(w, '}');
    }
    if (c->balance.present)
        write_balance(w, &c->balance);
    jw_open(w, "by_class", '[', false);
    for (size_t i = 0; c->classes && i < c->nclasses; i++) {
        const struct bh_cost_class *k = &c->classes[i];
        jw_open(w, NULL, '{', true);
        jw_str(w, "source", k->source);
        jw_str(w, "origin", k->origin);
        jw_str(w, "plan", k->plan);
        jw_str(w, "payer", k->payer);
        jw_num(w, "total", k->total.mean);
        jw_num(w, "calls", k->calls.mean);
        jw_open(w, "ci95", '{', true);
        jw_ci(w, "total", k->total);
        jw_ci(w, "calls", k->calls);
        jw_close(w, '}');
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_close(w, '}');
}

static void
write_plan(struct jw *w, const struct bh_results *r) {
    jw_open(w, "plan", '[', false);
    for (size_t i = 0; r->plan && i < r->nplan; i++) {
        const struct bh_plan_row *p = &r->plan[i];
        jw_open(w, NULL, '{', false);
        jw_str(w, "target", p->target);
        jw_str(w, "resource", p->resource);
        jw_int(w, "now", p->now);
        jw_int(w, "analytic", p->analytic);
        jw_int(w, "recommended", p->recommended);
        jw_est(w, "blocking_now", p->blocking_now);
        jw_est(w, "blocking_recommended", p->blocking_recommended);
        jw_est(w, "sl_now", p->sl_now);
        jw_est(w, "sl_recommended", p->sl_recommended);
        jw_est(w, "cost_now", p->cost_now);
        jw_est(w, "cost_recommended", p->cost_recommended);
        if (p->binding[0])
            jw_str(w, "binding", p->binding);
        if (p->period[0])
            jw_str(w, "period", p->period);
        if (!isnan(p->judged.mean))
            jw_est(w, "judged", p->judged);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* busyhour run's numbers (reports.h, struct bh_run_numbers). */
static void
write_run(struct jw *w, const struct bh_run_numbers *n) {
    jw_open(w, "run", '{', false);
    jw_num(w, "speed", n->speed);
    jw_num(w, "window_start", n->window_start);
    jw_num(w, "window", n->window);
    jw_num(w, "wall", n->wall);
    jw_int(w, "calls_on_wire", (long long)n->calls_on_wire);
    jw_int(w, "peak_calls", (long long)n->peak_calls);
    if (n->peak_mixer >= 0)
        jw_int(w, "peak_mixer_participants", (long long)n->peak_mixer);
    else
        jw_num(w, "peak_mixer_participants", NAN);
    jw_int(w, "late_starts", (long long)n->late);
    jw_num(w, "late_mean_ms", n->late_mean);
    jw_num(w, "late_max_ms", n->late_max);
    jw_open(w, "call_by_call", '{', true);
    jw_int(w, "driver_records", (long long)n->driver_records);
    jw_int(w, "cdrs", (long long)n->cdrs);
    jw_int(w, "matched", (long long)n->matched);
    jw_int(w, "mismatched", (long long)n->mismatched);
    jw_int(w, "driver_only", (long long)n->driver_only);
    jw_int(w, "cdr_only", (long long)n->cdr_only);
    jw_close(w, '}');
    jw_open(w, "costs", '{', true);
    jw_str(w, "currency", n->currency);
    jw_num(w, "records", n->cost_records);
    jw_num(w, "records_callers", n->cost_records_callers);
    jw_num(w, "records_company", n->cost_records_company);
    jw_num(w, "cdrs", n->cost_cdrs);
    jw_num(w, "cdrs_callers", n->cost_cdrs_callers);
    jw_num(w, "cdrs_company", n->cost_cdrs_company);
    jw_int(w, "cdrs_rated", (long long)n->cdrs_rated);
    jw_close(w, '}');
    jw_bool(w, "incomplete", n->incomplete);
    jw_str(w, "note", n->note);
    jw_close(w, '}');
}

static void
write_measured(struct jw *w, const struct bh_measured *m) {
    jw_open(w, "measured", '{', false);
    jw_num(w, "calls", m->calls);
    jw_num(w, "late", m->late);
    jw_num(w, "late_mean", m->late_mean);
    jw_num(w, "late_max", m->late_max);
    jw_num(w, "setup_trying", m->setup_trying);
    jw_num(w, "setup_ringing", m->setup_ringing);
    jw_num(w, "setup_answer", m->setup_answer);
    jw_num(w, "rtp_sent", m->rtp_sent);
    jw_num(w, "rtp_received", m->rtp_received);
    jw_num(w, "rtp_lost", m->rtp_lost);
    jw_num(w, "loss", m->loss);
    jw_num(w, "jitter", m->jitter);
    jw_num(w, "mos_in", m->mos_in);
    jw_num(w, "mos_out", m->mos_out);
    jw_open(w, "failures", '{', true);
    for (size_t i = 0; i < m->nfailures && i < BH_RES_MAX_FAILURES; i++)
        jw_num(w, m->failures[i].reason, m->failures[i].count);
    jw_close(w, '}');
    jw_close(w, '}');
}

static void
write_all(struct jw *w, const struct bh_results *r) {
    jw_open(w, NULL, '{', false);
    jw_str(w, "format", BH_RESULTS_FORMAT);
    jw_str(w, "source", bh_results_source_name(r->source));
    jw_str(w, "scenario", r->scenario);
    if (r->scenario_hash[0])
        jw_str(w, "scenario_hash", r->scenario_hash);
    jw_key(w, "seed");
    fprintf(w->f, "%lu", r->seed);
    jw_int(w, "replications", r->replications);
    jw_num(w, "horizon", r->horizon);
    jw_num(w, "warmup", r->warmup);
    jw_num(w, "interval", r->interval);
    if (r->segment_count > 0) {
        jw_open(w, "segment", '{', true);
        jw_int(w, "index", r->segment_index);
        jw_int(w, "count", r->segment_count);
        jw_close(w, '}');
    }
    if (r->run.present)
        write_run(w, &r->run);
    if (r->measured.present)
        write_measured(w, &r->measured);
    jw_open(w, "targets", '{', false);
    for (size_t ti = 0; r->targets && ti < r->ntargets; ti++)
        write_target(w, r, ti);
    jw_close(w, '}');
    write_costs(w, &r->costs);
    jw_open(w, "thresholds", '[', false);
    for (size_t i = 0; r->thresholds && i < r->nthresholds; i++) {
        const struct bh_threshold_result *t = &r->thresholds[i];
        jw_open(w, NULL, '{', true);
        jw_str(w, "expr", t->expr);
        jw_num(w, "value", t->value);
        jw_num(w, "limit", t->limit);
        jw_bool(w, "pass", t->pass);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    write_plan(w, r);
    jw_close(w, '}');
    fputc('\n', w->f);
}

int
bh_results_write_stream(const struct bh_results *r, FILE *f) {
    if (!r || !f)
        return BH_EINVAL;
    struct jw w = {.f = f};
    write_all(&w, r);
    return ferror(f) ? BH_EIO : 0;
}

int
bh_results_write_json(const struct bh_results *r, const char *path) {
    if (!r || !path)
        return BH_EINVAL;
    if (strcmp(path, "-") == 0) {
        int rc = bh_results_write_stream(r, stdout);
        return rc ? rc : (fflush(stdout) ? BH_EIO : 0);
    }
    /* Write beside the target and rename, so that a reader never sees a
     * half-written file and a failed write leaves the old one intact. */
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    if (!tmp)
        return BH_ENOMEM;
    snprintf(tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = bh_mkdir_parents(path) == 0 ? fopen(tmp, "w") : NULL;
    if (!f) {
        free(tmp);
        return BH_EIO;
    }
    int rc = bh_results_write_stream(r, f);
    if (fclose(f) != 0)
        rc = BH_EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = BH_EIO;
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* ---- Reader --------------------------------------------------------- */

/* The reader keeps the JSON path of the value being checked, so that a
 * schema error reads ".targets.hotline.blocking.mean: expected ...". */
struct rd {
    struct bh_diag *diag;
    char path[512];
    size_t len;
    int err;
};

static size_t
rd_push(struct rd *d, const char *fmt, ...) {
    size_t saved = d->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->path + d->len, sizeof d->path - d->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        d->len += (size_t)n;
        if (d->len >= sizeof d->path)
            d->len = sizeof d->path - 1;
    }
    return saved;
}

static void
rd_pop(struct rd *d, size_t saved) {
    d->len = saved;
    d->path[saved] = '\0';
}

static const char *
type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

static int rd_fail(struct rd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rd_fail(struct rd *d, const char *fmt, ...) {
    if (d->err)
        return d->err;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bh_diag_set(d->diag, 0, 0, "%s: %s", d->len ? d->path : "(top level)", msg);
    d->err = BH_EPARSE;
    return d->err;
}

/* obj[key]; NULL (and an error when required) when absent. */
static json_t *
rd_get(struct rd *d, json_t *obj, const char *key, bool required) {
    json_t *v = json_object_get(obj, key);
    if (!v && required) {
        size_t s = rd_push(d, ".%s", key);
        rd_fail(d, "required field missing");
        rd_pop(d, s);
    }
    return v;
}

static json_t *
rd_object(struct rd *d, json_t *obj, const char *key, bool required) {
    json_t *v = rd_get(d, obj, key, required);
    if (v && !json_is_object(v)) {
        size_t s = rd_push(d, ".%s", key);
        rd_fail(d, "expected an object, got %s", type_name(v));
        rd_pop(d, s);
        return NULL;
    }
    return v;
}

static json_t *
rd_array(struct rd *d, json_t *obj, const char *key, bool required) {
    json_t *v = rd_get(d, obj, key, required);
    if (v && !json_is_array(v)) {
        size_t s = rd_push(d, ".%s", key);
        rd_fail(d, "expected an array, got %s", type_name(v));
        rd_pop(d, s);
        return NULL;
    }
    return v;
}

/* A number or null (NaN, "not measured"). */
static int
rd_value(struct rd *d, json_t *v, double *out) {
    if (json_is_null(v)) {
        *out = NAN;
        return 0;
    }
    if (!json_is_number(v))
        return rd_fail(d, "expected a number or null, got %s", type_name(v));
    *out = json_number_value(v);
    return 0;
}

enum range { ANY, NONNEG, SHARE };

static int
rd_check_range(struct rd *d, double v, enum range rg) {
    if (isnan(v))
        return 0;
    if (rg == NONNEG && v < 0)
        return rd_fail(d, "must not be negative, got %g", v);
    if (rg == SHARE && (v < 0 || v > 1))
        return rd_fail(d, "must be a share between 0 and 1, got %g", v);
    return 0;
}

static int
rd_num(struct rd *d, json_t *obj, const char *key, bool required, enum range rg,
       double *out) {
    *out = NAN;
    json_t *v = rd_get(d, obj, key, required);
    if (!v)
        return d->err;
    size_t s = rd_push(d, ".%s", key);
    if (rd_value(d, v, out) == 0)
        rd_check_range(d, *out, rg);
    rd_pop(d, s);
    return d->err;
}

/* [lo, hi] into e (mean untouched). */
static int
rd_ci(struct rd *d, json_t *v, struct bh_estimate *e) {
    if (!json_is_array(v) || json_array_size(v) != 2)
        return rd_fail(d, "expected [lo, hi], got %s",
                       json_is_array(v) ? "an array of another length"
                                        : type_name(v));
    size_t s = rd_push(d, "[0]");
    rd_value(d, json_array_get(v, 0), &e->lo);
    rd_pop(d, s);
    s = rd_push(d, "[1]");
    rd_value(d, json_array_get(v, 1), &e->hi);
    rd_pop(d, s);
    if (!d->err && e->lo > e->hi)
        return rd_fail(d, "interval [%g, %g] has lo > hi", e->lo, e->hi);
    return d->err;
}

/* A figure: obj[key] a number, its interval in ci[key] when present
 * (else lo == hi == mean). */
static int
rd_fig(struct rd *d, json_t *obj, json_t *ci, const char *key, bool required,
       enum range rg, struct bh_estimate *e) {
    if (rd_num(d, obj, key, required, rg, &e->mean))
        return d->err;
    e->lo = e->hi = e->mean;
    json_t *c = ci ? json_object_get(ci, key) : NULL;
    if (c) {
        size_t s = rd_push(d, ".ci95.%s", key);
        rd_ci(d, c, e);
        rd_pop(d, s);
    }
    return d->err;
}

/* {"mean": m, "ci95": [lo, hi]} */
static int
rd_est(struct rd *d, json_t *obj, const char *key, bool required, enum range rg,
       struct bh_estimate *e) {
    *e = bh_estimate_exact(NAN);
    json_t *o = rd_object(d, obj, key, required);
    if (!o)
        return d->err;
    size_t s = rd_push(d, ".%s", key);
    if (rd_num(d, o, "mean", true, rg, &e->mean) == 0) {
        e->lo = e->hi = e->mean;
        json_t *c = json_object_get(o, "ci95");
        if (c) {
            size_t s2 = rd_push(d, ".ci95");
            rd_ci(d, c, e);
            rd_pop(d, s2);
        }
    }
    rd_pop(d, s);
    return d->err;
}

static int
rd_string(struct rd *d, json_t *obj, const char *key, bool required, char *buf,
          size_t size) {
    json_t *v = rd_get(d, obj, key, required);
    if (!v)
        return d->err;
    size_t s = rd_push(d, ".%s", key);
    if (!json_is_string(v))
        rd_fail(d, "expected a string, got %s", type_name(v));
    else if (json_string_length(v) >= size)
        rd_fail(d, "string longer than %zu bytes", size - 1);
    else
        memcpy(buf, json_string_value(v), json_string_length(v) + 1);
    rd_pop(d, s);
    return d->err;
}

static int
rd_int(struct rd *d, json_t *obj, const char *key, bool required, long long min,
       long long max, long long *out) {
    json_t *v = rd_get(d, obj, key, required);
    if (!v)
        return d->err;
    size_t s = rd_push(d, ".%s", key);
    if (!json_is_integer(v))
        rd_fail(d, "expected an integer, got %s", type_name(v));
    else if (json_integer_value(v) < min || json_integer_value(v) > max)
        rd_fail(d, "%lld is out of range [%lld, %lld]",
                (long long)json_integer_value(v), min, max);
    else
        *out = json_integer_value(v);
    rd_pop(d, s);
    return d->err;
}

/* service_level {"20s": v, ...} with intervals from ci (same keys). */
static int
rd_sl(struct rd *d, json_t *obj, json_t *ci, size_t *nsl,
      struct bh_service_level *sl) {
    *nsl = 0;
    if (!obj)
        return d->err;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        size_t s = rd_push(d, ".%s", k);
        double t;
        if (*nsl >= BH_RES_MAX_SL)
            rd_fail(d, "more than %d service-level target times",
                    BH_RES_MAX_SL);
        else if (bh_parse_duration(k, &t) != 0 || t < 0)
            rd_fail(d, "key is not a target time such as \"20s\"");
        else if (rd_value(d, v, &sl[*nsl].value.mean) == 0 &&
                 rd_check_range(d, sl[*nsl].value.mean, SHARE) == 0) {
            struct bh_estimate *e = &sl[*nsl].value;
            sl[*nsl].t = t;
            e->lo = e->hi = e->mean;
            json_t *c = ci ? json_object_get(ci, k) : NULL;
            if (c)
                rd_ci(d, c, e);
            (*nsl)++;
        }
        rd_pop(d, s);
        if (d->err)
            return d->err;
    }
    return d->err;
}

static int
rd_interval(struct rd *d, json_t *o, struct bh_interval_result *iv) {
    if (!json_is_object(o))
        return rd_fail(d, "expected an object, got %s", type_name(o));
    json_t *ci = rd_object(d, o, "ci95", false);
    if (rd_num(d, o, "start", true, NONNEG, &iv->start))
        return d->err;
    rd_fig(d, o, ci, "offered_erlangs", false, NONNEG, &iv->offered_erlangs);
    rd_fig(d, o, ci, "offered", true, NONNEG, &iv->offered);
    rd_fig(d, o, ci, "blocking", true, SHARE, &iv->blocking);
    rd_fig(d, o, ci, "abandonment", false, SHARE, &iv->abandonment);
    rd_fig(d, o, ci, "wait_mean", false, NONNEG, &iv->wait_mean);
    rd_fig(d, o, ci, "busy_mean", false, NONNEG, &iv->busy_mean);
    rd_fig(d, o, ci, "occupancy", false, SHARE, &iv->occupancy);
    if (d->err)
        return d->err;
    json_t *sl = rd_object(d, o, "service_level", false);
    json_t *slci = rd_object(d, o, "service_level_ci95", false);
    if (d->err)
        return d->err;
    size_t s = rd_push(d, ".service_level");
    rd_sl(d, sl, slci, &iv->nsl, iv->sl);
    rd_pop(d, s);
    return d->err;
}

/* A count: an integer in [0, 2^53]. */
/* The "measured" object of load results. */
static int
rd_measured(struct rd *d, json_t *o, struct bh_measured *m) {
    size_t s = rd_push(d, ".measured");
    m->present = true;
    static const struct {
        const char *key;
        size_t off;
    } nums[] = {
        {"calls", offsetof(struct bh_measured, calls)},
        {"late", offsetof(struct bh_measured, late)},
        {"late_mean", offsetof(struct bh_measured, late_mean)},
        {"late_max", offsetof(struct bh_measured, late_max)},
        {"setup_trying", offsetof(struct bh_measured, setup_trying)},
        {"setup_ringing", offsetof(struct bh_measured, setup_ringing)},
        {"setup_answer", offsetof(struct bh_measured, setup_answer)},
        {"rtp_sent", offsetof(struct bh_measured, rtp_sent)},
        {"rtp_received", offsetof(struct bh_measured, rtp_received)},
        {"rtp_lost", offsetof(struct bh_measured, rtp_lost)},
        {"loss", offsetof(struct bh_measured, loss)},
        {"jitter", offsetof(struct bh_measured, jitter)},
        {"mos_in", offsetof(struct bh_measured, mos_in)},
        {"mos_out", offsetof(struct bh_measured, mos_out)},
    };
    for (size_t i = 0; i < sizeof nums / sizeof *nums && !d->err; i++)
        rd_num(d, o, nums[i].key, false,
               strcmp(nums[i].key, "loss") == 0 ? SHARE : NONNEG,
               (double *)((char *)m + nums[i].off));
    json_t *f = rd_object(d, o, "failures", false);
    const char *reason;
    json_t *v;
    if (f && !d->err) {
        json_object_foreach(f, reason, v) {
            if (m->nfailures == BH_RES_MAX_FAILURES) {
                rd_fail(d, "more than %d failure reasons", BH_RES_MAX_FAILURES);
                break;
            }
            if (strlen(reason) >= sizeof m->failures[0].reason) {
                rd_fail(d, "failure reason '%s' too long", reason);
                break;
            }
            snprintf(m->failures[m->nfailures].reason,
                     sizeof m->failures[0].reason, "%s", reason);
            rd_num(d, f, reason, true, NONNEG,
                   &m->failures[m->nfailures].count);
            m->nfailures++;
        }
    }
    rd_pop(d, s);
    return d->err;
}

static int
rd_count(struct rd *d, json_t *v, uint64_t *out) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > (1LL << 53))
        return rd_fail(d, "expected a count (an integer >= 0), got %s",
                       type_name(v));
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* The wait histogram write_hist wrote, into a new *out (owned by the
 * target). Its layout must be this build's; the buckets must add up. */
static int
rd_hist(struct rd *d, json_t *o, struct bh_hist **out) {
    long long sub = 0;
    double min = 0, sum = 0;
    rd_int(d, o, "sub", true, 1, INT_MAX, &sub);
    rd_num(d, o, "min", true, NONNEG, &min);
    rd_num(d, o, "sum", true, NONNEG, &sum);
    json_t *b = rd_array(d, o, "buckets", true);
    if (d->err)
        return d->err;
    if (sub != BH_HIST_SUB || min != BH_HIST_MIN)
        return rd_fail(d,
                       "histogram layout sub %lld, min %g is not this "
                       "build's (sub %d, min %g)",
                       sub, min, BH_HIST_SUB, BH_HIST_MIN);
    struct bh_hist *h = calloc(1, sizeof *h);
    if (!h) {
        bh_diag_set(d->diag, 0, 0, "out of memory");
        return d->err = BH_ENOMEM;
    }
    *out = h;
    h->sum = isnan(sum) ? 0 : sum;
    const char *keys[] = {"zero", "count"};
    uint64_t *vals[] = {&h->zero, &h->count};
    for (size_t k = 0; k < 2 && !d->err; k++) {
        json_t *v = rd_get(d, o, keys[k], true);
        size_t s = rd_push(d, ".%s", keys[k]);
        if (v)
            rd_count(d, v, vals[k]);
        rd_pop(d, s);
    }
    uint64_t total = h->zero;
    for (size_t i = 0; i < json_array_size(b) && !d->err; i++) {
        json_t *e = json_array_get(b, i);
        size_t s = rd_push(d, ".buckets[%zu]", i);
        uint64_t idx = 0, n = 0;
        if (!json_is_array(e) || json_array_size(e) != 2)
            rd_fail(d, "expected [index, count]");
        else if (rd_count(d, json_array_get(e, 0), &idx) == 0 &&
                 rd_count(d, json_array_get(e, 1), &n) == 0) {
            if (idx >= BH_HIST_SUB * BH_HIST_EXP)
                rd_fail(d, "bucket index %llu beyond the last, %d",
                        (unsigned long long)idx, BH_HIST_SUB * BH_HIST_EXP - 1);
            else if (total > h->count || n > h->count - total)
                rd_fail(d, "buckets hold more than count, %llu",
                        (unsigned long long)h->count);
            else {
                h->bucket[idx] += n;
                total += n;
            }
        }
        rd_pop(d, s);
    }
    if (!d->err && total != h->count)
        return rd_fail(d, "zero and buckets hold %llu values, count says %llu",
                       (unsigned long long)total, (unsigned long long)h->count);
    return d->err;
}

static int
rd_target(struct rd *d, json_t *o, const char *name,
          struct bh_target_result *t) {
    if (!json_is_object(o))
        return rd_fail(d, "expected an object, got %s", type_name(o));
    if (strlen(name) == 0 || strlen(name) >= sizeof t->name)
        return rd_fail(d, "target name must be 1 to %zu bytes",
                       sizeof t->name - 1);
    memcpy(t->name, name, strlen(name) + 1);
    long long lines = 0, operators = 0;
    rd_string(d, o, "kind", false, t->kind, sizeof t->kind);
    rd_int(d, o, "lines", false, 0, BH_SC_MAX_CAPACITY, &lines);
    rd_int(d, o, "operators", false, 0, BH_SC_MAX_CAPACITY, &operators);
    t->lines = (int)lines;
    t->operators = (int)operators;
    json_t *ci = rd_object(d, o, "ci95", false);
    if (d->err)
        return d->err;
    rd_fig(d, o, ci, "offered", true, NONNEG, &t->offered);
    rd_fig(d, o, ci, "answered", true, NONNEG, &t->answered);
    rd_fig(d, o, ci, "blocked", true, NONNEG, &t->blocked);
    rd_fig(d, o, ci, "abandoned", true, NONNEG, &t->abandoned);
    rd_est(d, o, "blocking", true, SHARE, &t->blocking);
    rd_est(d, o, "abandonment", true, SHARE, &t->abandonment);
    rd_fig(d, o, ci, "occupancy", true, SHARE, &t->occupancy);
    rd_fig(d, o, ci, "peak_busy", true, NONNEG, &t->peak_busy);
    rd_fig(d, o, ci, "offered_erlangs", false, NONNEG, &t->offered_erlangs);
    rd_fig(d, o, ci, "overflow", false, NONNEG, &t->overflow);
    rd_fig(d, o, ci, "retried", false, NONNEG, &t->retried);
    rd_fig(d, o, ci, "busy_mean", false, NONNEG, &t->busy_mean);
    rd_fig(d, o, ci, "meetings", false, NONNEG, &t->meetings);
    rd_fig(d, o, ci, "incomplete_meetings", false, SHARE,
           &t->incomplete_meetings);
    if (d->err)
        return d->err;

    json_t *w = rd_object(d, o, "wait", true);
    if (!w)
        return d->err;
    size_t s = rd_push(d, ".wait");
    json_t *wci = rd_object(d, w, "ci95", false);
    rd_fig(d, w, wci, "mean", true, NONNEG, &t->wait_mean);
    rd_fig(d, w, wci, "p50", true, NONNEG, &t->wait_p50);
    rd_fig(d, w, wci, "p90", true, NONNEG, &t->wait_p90);
    rd_fig(d, w, wci, "p99", true, NONNEG, &t->wait_p99);
    json_t *sl = rd_object(d, w, "service_level", true);
    json_t *slci = wci ? rd_object(d, wci, "service_level", false) : NULL;
    if (!d->err) {
        size_t s2 = rd_push(d, ".service_level");
        rd_sl(d, sl, slci, &t->nsl, t->sl);
        rd_pop(d, s2);
    }
    json_t *h = rd_object(d, w, "histogram", false);
    if (h && !d->err) {
        size_t s2 = rd_push(d, ".histogram");
        rd_hist(d, h, &t->wait_hist);
        rd_pop(d, s2);
    }
    rd_pop(d, s);
    return d->err;
}

/* Reads the array a of objects into a new array of elements of `size`
 * bytes, each read by one() under the path "<name>[i]". Returns it (owned
 * by the caller; NULL when a is empty or memory ran out, d->err then
 * says so); *count is how many elements were read without error. */
static void *
rd_list(struct rd *d, json_t *a, const char *name, size_t size,
        void (*one)(struct rd *d, json_t *o, void *elem), size_t *count) {
    size_t n = json_array_size(a);
    if (n == 0)
        return NULL;
    char *v = calloc(n, size);
    if (!v) {
        bh_diag_set(d->diag, 0, 0, "out of memory");
        d->err = BH_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n && !d->err; i++) {
        json_t *o = json_array_get(a, i);
        size_t s = rd_push(d, "%s[%zu]", name, i);
        if (!json_is_object(o))
            rd_fail(d, "expected an object, got %s", type_name(o));
        else
            one(d, o, v + i * size);
        rd_pop(d, s);
        if (!d->err)
            *count = i + 1;
    }
    return v;
}

static void
rd_class(struct rd *d, json_t *k, void *elem) {
    struct bh_cost_class *cc = elem;
    json_t *kci = rd_object(d, k, "ci95", false);
    rd_string(d, k, "source", true, cc->source, sizeof cc->source);
    rd_string(d, k, "origin", false, cc->origin, sizeof cc->origin);
    rd_string(d, k, "plan", false, cc->plan, sizeof cc->plan);
    rd_string(d, k, "payer", false, cc->payer, sizeof cc->payer);
    rd_fig(d, k, kci, "total", true, ANY, &cc->total);
    rd_fig(d, k, kci, "calls", false, NONNEG, &cc->calls);
}

/* A payer's figures (NaN when absent: files before they were written). */
static void
rd_payer(struct rd *d, json_t *o, const char *key, struct bh_payer_costs *p) {
    json_t *v = rd_object(d, o, key, false);
    p->total = p->per_answered_call = p->per_hour = p->per_month =
        bh_estimate_exact(NAN);
    if (!v)
        return;
    size_t s = rd_push(d, ".%s", key);
    rd_est(d, v, "total", false, ANY, &p->total);
    rd_est(d, v, "per_answered_call", false, ANY, &p->per_answered_call);
    rd_est(d, v, "per_hour", false, ANY, &p->per_hour);
    rd_est(d, v, "per_month", false, ANY, &p->per_month);
    rd_pop(d, s);
}

static void
rd_payers(struct rd *d, json_t *o, struct bh_payer_costs *by) {
    for (int p = 0; p < BH_COST_PAYERS; p++)
        rd_payer(d, o, payer_keys[p], &by[p]);
}

static int
rd_costs(struct rd *d, json_t *c, struct bh_costs *out) {
    memset(out, 0, sizeof *out);
    if (!c || json_is_null(c))
        return 0;
    size_t s = rd_push(d, ".costs");
    if (!json_is_object(c)) {
        rd_fail(d, "expected an object or null, got %s", type_name(c));
        rd_pop(d, s);
        return d->err;
    }
    out->present = true;
    json_t *ci = rd_object(d, c, "ci95", false);
    rd_string(d, c, "currency", true, out->currency, sizeof out->currency);
    rd_fig(d, c, ci, "total", true, ANY, &out->total);
    rd_fig(d, c, ci, "per_call", true, ANY, &out->per_call);
    rd_fig(d, c, ci, "per_participant", true, ANY, &out->per_participant);
    rd_fig(d, c, ci, "per_month", false, ANY, &out->per_month);
    rd_fig(d, c, ci, "line_rental", false, ANY, &out->line_rental);
    rd_fig(d, c, ci, "provider_revenue", false, ANY, &out->provider_revenue);
    rd_fig(d, c, ci, "operators", false, ANY, &out->operators);
    rd_fig(d, c, ci, "answered", false, NONNEG, &out->answered);
    rd_payers(d, c, out->by);
    json_t *tg = rd_object(d, c, "targets", false);
    if (tg && !d->err && json_object_size(tg) > 0) {
        size_t nt = json_object_size(tg);
        if (nt > BH_RES_MAX_TARGETS)
            nt = BH_RES_MAX_TARGETS;
        out->targets = calloc(nt, sizeof *out->targets);
        if (!out->targets)
            return rd_fail(d, "out of memory");
        const char *name;
        json_t *t;
        size_t s2 = rd_push(d, ".targets");
        json_object_foreach(tg, name, t) {
            if (out->ntargets == nt || d->err)
                break;
            struct bh_target_costs *tc = &out->targets[out->ntargets++];
            snprintf(tc->name, sizeof tc->name, "%s", name);
            size_t s3 = rd_push(d, ".%s", name);
            if (!json_is_object(t)) {
                rd_fail(d, "expected an object, got %s", type_name(t));
            } else {
                rd_est(d, t, "answered", false, NONNEG, &tc->answered);
                rd_est(d, t, "line_rental", false, ANY, &tc->line_rental);
                rd_est(d, t, "operators", false, ANY, &tc->operators);
                rd_payers(d, t, tc->by);
            }
            rd_pop(d, s3);
        }
        rd_pop(d, s2);
    }
    json_t *bal = rd_object(d, c, "balance", false);
    if (bal && !d->err) {
        struct bh_balance *b = &out->balance;
        size_t s2 = rd_push(d, ".balance");
        b->present = true;
        rd_num(d, bal, "start", true, ANY, &b->start);
        rd_num(d, bal, "top_up", false, NONNEG, &b->top_up);
        rd_num(d, bal, "every", false, NONNEG, &b->every);
        rd_est(d, bal, "end", false, ANY, &b->end);
        rd_num(d, bal, "runs_out", false, SHARE, &b->runs_out);
        rd_est(d, bal, "out_at", false, NONNEG, &b->out_at);
        rd_num(d, bal, "earliest", false, NONNEG, &b->earliest);
        rd_num(d, bal, "projected", false, NONNEG, &b->projected);
        rd_pop(d, s2);
    }
    json_t *bp = rd_object(d, c, "by_payer", true);
    if (bp) {
        size_t s2 = rd_push(d, ".by_payer");
        json_t *bci = rd_object(d, bp, "ci95", false);
        rd_fig(d, bp, bci, "callers", true, ANY, &out->callers);
        rd_fig(d, bp, bci, "company", true, ANY, &out->company);
        rd_pop(d, s2);
    }
    json_t *bc = rd_array(d, c, "by_class", false);
    if (bc && !d->err)
        out->classes = rd_list(d, bc, ".by_class", sizeof *out->classes,
                               rd_class, &out->nclasses);
    rd_pop(d, s);
    return d->err;
}

static void
rd_threshold(struct rd *d, json_t *o, void *elem) {
    struct bh_threshold_result *t = elem;
    rd_string(d, o, "expr", true, t->expr, sizeof t->expr);
    rd_num(d, o, "value", true, ANY, &t->value);
    rd_num(d, o, "limit", false, ANY, &t->limit);
    json_t *p = rd_get(d, o, "pass", true);
    if (p && !json_is_boolean(p)) {
        size_t s = rd_push(d, ".pass");
        rd_fail(d, "expected true or false, got %s", type_name(p));
        rd_pop(d, s);
    } else if (p) {
        t->pass = json_is_true(p);
    }
}

static void
rd_plan_row(struct rd *d, json_t *o, void *elem) {
    struct bh_plan_row *p = elem;
    long long now = 0, an = 0, rec = 0;
    rd_string(d, o, "target", true, p->target, sizeof p->target);
    rd_string(d, o, "resource", true, p->resource, sizeof p->resource);
    rd_int(d, o, "now", true, 0, BH_SC_MAX_CAPACITY, &now);
    rd_int(d, o, "analytic", false, 0, BH_SC_MAX_CAPACITY, &an);
    rd_int(d, o, "recommended", true, 0, BH_SC_MAX_CAPACITY, &rec);
    p->now = (int)now;
    p->analytic = (int)an;
    p->recommended = (int)rec;
    rd_est(d, o, "blocking_now", false, SHARE, &p->blocking_now);
    rd_est(d, o, "blocking_recommended", false, SHARE,
           &p->blocking_recommended);
    rd_est(d, o, "sl_now", false, SHARE, &p->sl_now);
    rd_est(d, o, "sl_recommended", false, SHARE, &p->sl_recommended);
    rd_est(d, o, "cost_now", false, ANY, &p->cost_now);
    rd_est(d, o, "cost_recommended", false, ANY, &p->cost_recommended);
    rd_string(d, o, "binding", false, p->binding, sizeof p->binding);
    rd_string(d, o, "period", false, p->period, sizeof p->period);
    rd_est(d, o, "judged", false, ANY, &p->judged);
}

static int
rd_results(struct rd *d, json_t *root, struct bh_results *r) {
    if (!json_is_object(root))
        return rd_fail(d, "expected a results object, got %s", type_name(root));
    char src[16] = "";
    if (rd_string(d, root, "source", true, src, sizeof src))
        return d->err;
    enum bh_results_source source;
    if (strcmp(src, "analytic") == 0)
        source = BH_SOURCE_ANALYTIC;
    else if (strcmp(src, "sim") == 0)
        source = BH_SOURCE_SIM;
    else if (strcmp(src, "load") == 0)
        source = BH_SOURCE_LOAD;
    else {
        size_t s = rd_push(d, ".source");
        rd_fail(d, "\"%s\" is not one of analytic, sim, load", src);
        rd_pop(d, s);
        return d->err;
    }
    char fmt[64] = "";
    if (rd_string(d, root, "format", false, fmt, sizeof fmt))
        return d->err;
    if (fmt[0] && strncmp(fmt, "busyhour-results/", 17) != 0) {
        size_t s = rd_push(d, ".format");
        rd_fail(d, "\"%s\" is not a busyhour results format", fmt);
        rd_pop(d, s);
        return d->err;
    }
    char scenario[sizeof r->scenario] = "";
    rd_string(d, root, "scenario", true, scenario, sizeof scenario);
    char hash[sizeof r->scenario_hash] = "";
    if (!rd_string(d, root, "scenario_hash", false, hash, sizeof hash) &&
        hash[0] && strspn(hash, "0123456789abcdef") != 16) {
        size_t s = rd_push(d, ".scenario_hash");
        rd_fail(d, "\"%s\" is not 16 lowercase hex digits", hash);
        rd_pop(d, s);
        return d->err;
    }
    long long seed = 0, reps = 1;
    rd_int(d, root, "seed", true, 0, LLONG_MAX, &seed);
    rd_int(d, root, "replications", false, 1, 1000000000, &reps);
    double horizon, warmup, interval;
    rd_num(d, root, "horizon", false, NONNEG, &horizon);
    rd_num(d, root, "warmup", false, NONNEG, &warmup);
    rd_num(d, root, "interval", false, NONNEG, &interval);
    long long seg_index = 0, seg_count = 0;
    json_t *seg = rd_object(d, root, "segment", false);
    if (seg && !d->err) {
        size_t s = rd_push(d, ".segment");
        rd_int(d, seg, "index", true, 1, 65536, &seg_index);
        rd_int(d, seg, "count", true, 1, 65536, &seg_count);
        if (!d->err && seg_index > seg_count)
            rd_fail(d, "index %lld is beyond count %lld", seg_index, seg_count);
        rd_pop(d, s);
    }
    struct bh_measured measured;
    memset(&measured, 0, sizeof measured);
    json_t *meas = rd_object(d, root, "measured", false);
    if (meas && !d->err)
        rd_measured(d, meas, &measured);
    json_t *targets = rd_object(d, root, "targets", true);
    if (d->err)
        return d->err;

    /* Every target must have the same number of intervals. */
    size_t nt = json_object_size(targets), ni = 0;
    const char *name;
    json_t *t;
    bool firstt = true;
    json_object_foreach(targets, name, t) {
        json_t *iv = json_is_object(t) ? json_object_get(t, "intervals") : NULL;
        size_t n = json_is_array(iv) ? json_array_size(iv) : 0;
        if (firstt)
            ni = n;
        else if (n != ni) {
            size_t s = rd_push(d, ".targets.%s.intervals", name);
            rd_fail(d, "has %zu intervals, the first target has %zu", n, ni);
            rd_pop(d, s);
            return d->err;
        }
        firstt = false;
    }
    if (nt > BH_RES_MAX_TARGETS)
        return rd_fail(d, "more than %d targets", BH_RES_MAX_TARGETS);
    int rc = bh_results_init(r, nt, ni);
    if (rc) {
        bh_diag_set(d->diag, 0, 0, "out of memory");
        return d->err = rc;
    }
    r->source = source;
    memcpy(r->scenario, scenario, sizeof r->scenario);
    memcpy(r->scenario_hash, hash, sizeof r->scenario_hash);
    r->seed = (unsigned long)seed;
    r->replications = (int)reps;
    r->horizon = horizon;
    r->warmup = warmup;
    r->interval = interval;
    r->segment_index = (uint32_t)seg_index;
    r->segment_count = (uint32_t)seg_count;
    r->measured = measured;

    size_t ti = 0;
    json_object_foreach(targets, name, t) {
        size_t s = rd_push(d, ".targets.%s", name);
        rd_target(d, t, name, &r->targets[ti]);
        json_t *iv =
            json_is_object(t) ? rd_array(d, t, "intervals", false) : NULL;
        for (size_t ii = 0; iv && !d->err && ii < ni; ii++) {
            size_t s2 = rd_push(d, ".intervals[%zu]", ii);
            rd_interval(d, json_array_get(iv, ii),
                        bh_results_interval(r, ti, ii));
            rd_pop(d, s2);
        }
        rd_pop(d, s);
        if (d->err)
            return d->err;
        ti++;
    }

    json_t *costs = rd_get(d, root, "costs", true);
    if (d->err || rd_costs(d, costs, &r->costs))
        return d->err;
    json_t *th = rd_array(d, root, "thresholds", true);
    if (!d->err)
        r->thresholds = rd_list(d, th, ".thresholds", sizeof *r->thresholds,
                                rd_threshold, &r->nthresholds);
    if (d->err)
        return d->err;
    json_t *plan = rd_array(d, root, "plan", false);
    if (!d->err && plan)
        r->plan =
            rd_list(d, plan, ".plan", sizeof *r->plan, rd_plan_row, &r->nplan);
    if (d->err)
        return d->err;
    return 0;
}

/* Checks a parsed document (NULL: a syntax error in jerr) and fills r. */
static int
from_root(json_t *root, const json_error_t *jerr, struct bh_results *r,
          struct bh_diag *diag) {
    if (!root) {
        bh_diag_set(diag, jerr->line > 0 ? jerr->line : 0,
                    jerr->column > 0 ? jerr->column : 0, "malformed JSON: %s",
                    jerr->text);
        return BH_EPARSE;
    }
    struct rd d = {.diag = diag};
    d.path[0] = '\0';
    int rc = rd_results(&d, root, r);
    json_decref(root);
    if (rc)
        bh_results_clear(r);
    return rc;
}

int
bh_results_parse(const char *buf, size_t len, const char *name,
                 struct bh_results *r, struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    memset(diag, 0, sizeof *diag);
    if (!r || (!buf && len))
        return BH_EINVAL;
    memset(r, 0, sizeof *r);
    snprintf(diag->file, sizeof diag->file, "%s", name ? name : "<input>");
    if (len > (size_t)RESULTS_MAX_FILE) {
        bh_diag_set(diag, 0, 0, "results larger than %ld bytes",
                    RESULTS_MAX_FILE);
        return BH_ETOOBIG;
    }
    json_error_t jerr;
    json_t *root =
        json_loadb(buf ? buf : "", len, JSON_REJECT_DUPLICATES, &jerr);
    return from_root(root, &jerr, r, diag);
}

int
bh_results_read_json(const char *path, struct bh_results *r,
                     struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    memset(diag, 0, sizeof *diag);
    if (!r || !path)
        return BH_EINVAL;
    memset(r, 0, sizeof *r);
    snprintf(diag->file, sizeof diag->file, "%s", path);

    struct stat st;
    if (stat(path, &st) != 0) {
        bh_diag_set(diag, 0, 0, "cannot open results file: %s",
                    strerror(errno));
        return BH_ENOENT;
    }
    if (!S_ISREG(st.st_mode)) {
        bh_diag_set(diag, 0, 0, "not a regular file");
        return BH_EIO;
    }
    if (st.st_size > RESULTS_MAX_FILE) {
        bh_diag_set(diag, 0, 0, "results file larger than %ld bytes",
                    RESULTS_MAX_FILE);
        return BH_ETOOBIG;
    }
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root && jerr.line <= 0 && strstr(jerr.text, "unable to open")) {
        bh_diag_set(diag, 0, 0, "%s", jerr.text);
        return BH_ENOENT;
    }
    return from_root(root, &jerr, r, diag);
}
