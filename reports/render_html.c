/* render_html.c: the HTML report, one self-contained file a manager can
 * read offline: the verdict first, then per number or bridge the load
 * against capacity over the day, blocking, waits, abandonment, costs and
 * the capacity curve. Inline CSS; charts are inline SVG drawn by gnuplot
 * (chart.c); no URL anywhere but the SVG namespace declarations. */
#include "render.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 8 /* results files shown side by side in charts */

struct page {
    const struct bh_report *rep;
    FILE *out;
    struct bh_diag *diag;
    int next_id;
    int err;
};

/* An id attribute from a name: letters, digits, '-' and '_' kept. */
static void
anchor(FILE *out, const char *prefix, const char *name) {
    fputs(prefix, out);
    for (; *name; name++)
        fputc(isalnum((unsigned char)*name) || *name == '-' ? *name : '_', out);
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "margin:0;color:#1d2433;background:#f4f6f9;line-height:1.45}"
    "main{max-width:1040px;margin:0 auto;padding:24px}"
    "h1{font-size:1.7em;margin:0 0 4px}h2{margin:36px 0 8px;"
    "border-bottom:2px solid #d7dde6;padding-bottom:4px}"
    "h3{margin:22px 0 6px;font-size:1.1em}"
    ".sub{color:#5a6475;margin:0 0 18px}"
    ".verdict{border-radius:10px;padding:18px 22px;margin:18px 0;"
    "color:#fff}.verdict .big{font-size:2.1em;font-weight:700;"
    "letter-spacing:.04em}.verdict p{margin:4px 0 0}"
    ".pass{background:#2e7d32}.fail{background:#b3261e}"
    ".none{background:#5a6475}"
    "table{border-collapse:collapse;margin:8px 0 14px;"
    "display:block;overflow-x:auto;max-width:100%;width:max-content;"
    "font-size:.93em;min-width:50%}"
    "th,td{border:1px solid #d7dde6;padding:5px 9px;text-align:right;"
    "vertical-align:top;background:#fff}th{background:#e9edf3}"
    "td:first-child,th:first-child{text-align:left}"
    "td.ok{color:#2e7d32;font-weight:600}"
    "td.bad{color:#b3261e;font-weight:700}"
    ".ci{color:#6b7588;font-size:.86em;white-space:nowrap}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}"
    ".card{background:#fff;border:1px solid #d7dde6;border-radius:8px;"
    "padding:10px 14px;min-width:150px}.card b{display:block;"
    "font-size:1.35em}.card span{color:#5a6475;font-size:.88em}"
    ".chart{background:#fff;border:1px solid #d7dde6;border-radius:8px;"
    "padding:6px;margin:10px 0}.chart svg{width:100%;height:auto;"
    "display:block}.note{color:#5a6475;font-size:.88em;margin:2px 6px 6px}"
    ".warn{background:#fff4e5;border:1px solid #e0a040;border-radius:8px;"
    "padding:10px 14px;margin:10px 0}"
    "nav a{margin-right:14px}footer{color:#5a6475;font-size:.85em;"
    "margin-top:40px}";

/* ---- Charts --------------------------------------------------------- */

/* Arrays of one series, owned while a chart is drawn. */
struct arr {
    double *x, *y, *lo, *hi;
};

static bool
arr_alloc(struct arr *a, size_t n) {
    size_t k = n ? n : 1;
    a->x = calloc(k, sizeof *a->x);
    a->y = calloc(k, sizeof *a->y);
    a->lo = calloc(k, sizeof *a->lo);
    a->hi = calloc(k, sizeof *a->hi);
    return a->x && a->y && a->lo && a->hi;
}

static void
arr_free(struct arr *a) {
    free(a->x);
    free(a->y);
    free(a->lo);
    free(a->hi);
    memset(a, 0, sizeof *a);
}

static void
chart(struct page *pg, struct bh_chart *c, const char *note) {
    if (pg->err)
        return;
    c->id = pg->next_id++;
    c->gnuplot = pg->rep->gnuplot;
    char *svg = NULL;
    int rc = bh_chart_svg(c, &svg, pg->diag);
    if (rc) {
        pg->err = rc;
        return;
    }
    fputs("<div class=\"chart\">", pg->out);
    fputs(svg, pg->out);
    if (note) {
        fputs("<p class=\"note\">", pg->out);
        rd_escape(pg->out, note);
        fputs("</p>", pg->out);
    }
    fputs("</div>\n", pg->out);
    free(svg);
}

typedef struct bh_estimate (*iv_get)(const struct bh_interval_result *iv);

static struct bh_estimate
iv_erl(const struct bh_interval_result *iv) {
    return iv->offered_erlangs;
}
static struct bh_estimate
iv_busy(const struct bh_interval_result *iv) {
    return iv->busy_mean;
}
static struct bh_estimate
iv_blocking(const struct bh_interval_result *iv) {
    return iv->blocking;
}
static struct bh_estimate
iv_aband(const struct bh_interval_result *iv) {
    return iv->abandonment;
}
static struct bh_estimate
iv_wait(const struct bh_interval_result *iv) {
    return iv->wait_mean;
}
static struct bh_estimate
iv_sl0(const struct bh_interval_result *iv) {
    return iv->nsl ? iv->sl[0].value : bh_estimate_exact(NAN);
}

/* Fills a series from one target's intervals in one results file; x is
 * the time of day (s) at the interval's start. Returns false when there is
 * nothing to draw. */
static bool
interval_series(const struct page *pg, const struct bh_results *r, int ti,
                iv_get get, bool share, struct arr *a,
                struct bh_chart_series *s) {
    if (ti < 0 || r->nintervals == 0 || !r->intervals)
        return false;
    if (!arr_alloc(a, r->nintervals))
        return false;
    bool any = false;
    for (size_t i = 0; i < r->nintervals; i++) {
        const struct bh_interval_result *iv =
            &r->intervals[(size_t)ti * r->nintervals + i];
        struct bh_estimate e = rd_clip(get(iv), share ? RU_PERCENT : RU_COUNT);
        a->x[i] = pg->rep->start + iv->start;
        a->y[i] = e.mean;
        a->lo[i] = e.lo;
        a->hi[i] = e.hi;
        any |= isfinite(e.mean);
    }
    s->n = r->nintervals;
    s->x = a->x;
    s->y = a->y;
    s->lo = a->lo;
    s->hi = a->hi;
    return any;
}

/* Does any interval carry an interval estimate (a band worth drawing)? */
static bool
has_spread(const struct bh_chart_series *s) {
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(s->lo[i]) && isfinite(s->hi[i]) && s->lo[i] < s->hi[i])
            return true;
    return false;
}

/* The limit of a threshold of rs[0] on target.metric, or NaN. */
static double
threshold_limit(const struct bh_results *r, const char *target,
                const char *metric) {
    char want[200];
    snprintf(want, sizeof want, "%s.%s", target, metric);
    for (size_t i = 0; i < r->nthresholds; i++) {
        struct rd_expr e;
        if (rd_parse_expr(r->thresholds[i].expr, &e) &&
            strcmp(e.metric, want) == 0)
            return r->thresholds[i].limit;
    }
    return NAN;
}

/* Several per-interval figures of one target from every results file. */
struct line_spec {
    iv_get get;
    const char *what; /* appended to the file's label in the legend */
    bool y2, dashed, steps;
    double scale;
};

static void
interval_chart(struct page *pg, const char *target, struct bh_chart *c,
               const struct line_spec *specs, size_t nspecs, const char *note) {
    const struct bh_report *rep = pg->rep;
    size_t nf = rep->n < MAX_FILES ? rep->n : MAX_FILES;
    size_t max = nf * nspecs;
    struct arr *arrs = calloc(max, sizeof *arrs);
    struct bh_chart_series *ser = calloc(max, sizeof *ser);
    char(*titles)[160] = calloc(max, sizeof *titles);
    static const char *const palette[] = {"#1f5fa8", "#d9681c", "#2e8b3a",
                                          "#8e3fa8", "#b0302a", "#6b6b6b",
                                          "#0f8b8d", "#a5760b"};
    size_t n = 0;
    if (arrs && ser && titles) {
        for (size_t f = 0; f < nf; f++) {
            const struct bh_results *r = rep->rs[f];
            int ti = rd_find_target(r, target);
            for (size_t k = 0; k < nspecs; k++) {
                struct bh_chart_series *s = &ser[n];
                if (!interval_series(pg, r, ti, specs[k].get,
                                     specs[k].scale == 100, &arrs[n], s)) {
                    arr_free(&arrs[n]);
                    continue;
                }
                if (!has_spread(s))
                    s->lo = s->hi = NULL;
                snprintf(titles[n], sizeof titles[n], "%s%s%s", rep->labels[f],
                         specs[k].what[0] ? ": " : "", specs[k].what);
                s->title = titles[n];
                s->style = specs[k].steps ? BH_CHART_STEPS : BH_CHART_LINES;
                s->y2 = specs[k].y2;
                s->dashed = specs[k].dashed;
                s->scale = specs[k].scale;
                /* One colour per file when a file has several lines. */
                s->colour = nspecs > 1 ? palette[f % 8] : NULL;
                if (nspecs == 1)
                    s->colour = palette[f % 8];
                n++;
            }
        }
    }
    if (n > 0) {
        c->series = ser;
        c->nseries = n;
        chart(pg, c, note);
    }
    for (size_t i = 0; i < max && arrs; i++)
        arr_free(&arrs[i]);
    free(arrs);
    free(ser);
    free(titles);
}

/* ---- Tables ---------------------------------------------------------- */

static void
td_est(FILE *out, struct bh_estimate e, enum rd_unit u) {
    char m[64], lo[64], hi[64];
    e = rd_clip(e, u);
    rd_fmt1(m, sizeof m, e.mean, u, false);
    fputs("<td>", out);
    rd_escape(out, m);
    if (isfinite(e.mean) && isfinite(e.lo) && isfinite(e.hi) && e.lo != e.hi) {
        rd_fmt1(lo, sizeof lo, e.lo, u, false);
        rd_fmt1(hi, sizeof hi, e.hi, u, false);
        fputs(" <span class=\"ci\">[", out);
        rd_escape(out, lo);
        fputs(", ", out);
        rd_escape(out, hi);
        fputs("]</span>", out);
    }
    fputs("</td>", out);
}

static void
th_files(const struct page *pg, const char *first) {
    fputs("<tr><th>", pg->out);
    rd_escape(pg->out, first);
    fputs("</th>", pg->out);
    for (size_t f = 0; f < pg->rep->n; f++) {
        fputs("<th>", pg->out);
        rd_escape(pg->out, pg->rep->labels[f]);
        fputs("</th>", pg->out);
    }
    fputs("</tr>\n", pg->out);
}

typedef struct bh_estimate (*t_get)(const struct bh_target_result *t,
                                    double arg);

#define GETTER(name, field)                                                    \
    static struct bh_estimate name(const struct bh_target_result *t,           \
                                   double arg) {                               \
        (void)arg;                                                             \
        return t->field;                                                       \
    }
GETTER(t_erl, offered_erlangs)
GETTER(t_offered, offered)
GETTER(t_answered, answered)
GETTER(t_blocked, blocked)
GETTER(t_abandoned, abandoned)
GETTER(t_overflow, overflow)
GETTER(t_blocking, blocking)
GETTER(t_aband, abandonment)
GETTER(t_wmean, wait_mean)
GETTER(t_wp50, wait_p50)
GETTER(t_wp90, wait_p90)
GETTER(t_wp99, wait_p99)
GETTER(t_occ, occupancy)
GETTER(t_busy, busy_mean)
GETTER(t_peak, peak_busy)
GETTER(t_meet, meetings)
GETTER(t_incomplete, incomplete_meetings)

static struct bh_estimate
t_sl(const struct bh_target_result *t, double arg) {
    return rd_target_sl(t, arg);
}
static struct bh_estimate
t_lines(const struct bh_target_result *t, double arg) {
    (void)arg;
    return rd_capacity_figure(t, false);
}
static struct bh_estimate
t_operators(const struct bh_target_result *t, double arg) {
    (void)arg;
    return rd_capacity_figure(t, true);
}

static void
tr_target(const struct page *pg, const char *target, const char *label,
          t_get get, double arg, enum rd_unit u) {
    bool any = false;
    for (size_t f = 0; f < pg->rep->n; f++) {
        int ti = rd_find_target(pg->rep->rs[f], target);
        any |= ti >= 0 && isfinite(get(&pg->rep->rs[f]->targets[ti], arg).mean);
    }
    if (!any)
        return;
    fputs("<tr><td>", pg->out);
    rd_escape(pg->out, label);
    fputs("</td>", pg->out);
    for (size_t f = 0; f < pg->rep->n; f++) {
        int ti = rd_find_target(pg->rep->rs[f], target);
        if (ti < 0)
            fputs("<td>&mdash;</td>", pg->out);
        else
            td_est(pg->out, get(&pg->rep->rs[f]->targets[ti], arg), u);
    }
    fputs("</tr>\n", pg->out);
}

static void
card(FILE *out, const char *value, const char *label) {
    fputs("<div class=\"card\"><b>", out);
    rd_escape(out, value);
    fputs("</b><span>", out);
    rd_escape(out, label);
    fputs("</span></div>", out);
}

/* ---- Sections ------------------------------------------------------- */

static void
verdict(struct page *pg) {
    size_t vf = pg->rep->verdict_of < pg->rep->n ? pg->rep->verdict_of : 0;
    const struct bh_results *r0 = pg->rep->rs[vf];
    FILE *out = pg->out;
    int failed = bh_results_failed(r0);
    const char *cls = r0->nthresholds == 0 ? "none" : failed ? "fail" : "pass";
    fprintf(out, "<section class=\"verdict %s\" id=\"verdict\">", cls);
    if (r0->nthresholds == 0)
        fputs("<div class=\"big\">NO VERDICT</div><p>The scenario sets no "
              "thresholds.</p>",
              out);
    else if (failed)
        fprintf(out,
                "<div class=\"big\">FAIL</div><p>%d of %zu thresholds "
                "failed (%s).</p>",
                failed, r0->nthresholds, pg->rep->labels[vf]);
    else
        fprintf(out,
                "<div class=\"big\">PASS</div><p>All %zu thresholds are "
                "met, even at the pessimistic end of their 95%% confidence "
                "intervals (%s).</p>",
                r0->nthresholds, pg->rep->labels[vf]);
    fputs("</section>\n", out);
    for (size_t f = 0; f < pg->rep->n; f++) {
        const struct bh_results *r = pg->rep->rs[f];
        if (!r->nthresholds)
            continue;
        fputs("<h3>Thresholds: ", out);
        rd_escape(out, pg->rep->labels[f]);
        char cap[600];
        rd_file_capacity(cap, sizeof cap, r);
        if (cap[0]) {
            fputs(" <span class=\"ci\">at ", out);
            rd_escape(out, cap);
            fputs("</span>", out);
        }
        fputs("</h3>\n<table><tr><th>threshold</th><th>compared value</th>"
              "<th>limit</th><th>result</th></tr>\n",
              out);
        for (size_t i = 0; i < r->nthresholds; i++) {
            const struct bh_threshold_result *t = &r->thresholds[i];
            struct rd_expr e;
            if (!rd_parse_expr(t->expr, &e)) {
                e.unit = RU_COUNT;
                e.upper = true;
            }
            char v[64], l[64];
            rd_fmt1(v, sizeof v, t->value, e.unit, false);
            rd_fmt1(l, sizeof l, t->limit, e.unit, false);
            fputs("<tr><td>", out);
            rd_escape(out, t->expr);
            fputs("</td><td>", out);
            rd_escape(out, v);
            fprintf(out, " <span class=\"ci\">(%s bound)</span></td><td>",
                    e.upper ? "upper" : "lower");
            rd_escape(out, e.op);
            fputs(" ", out);
            rd_escape(out, l);
            fprintf(out, "</td><td class=\"%s\">%s</td></tr>\n",
                    t->pass ? "ok" : "bad", t->pass ? "pass" : "FAIL");
        }
        fputs("</table>\n", out);
    }
}

/* busyhour plan's rows: capacity now and recommended, the figures at
 * each, what set each answer and over which period. */
static void
plan_section(struct page *pg) {
    FILE *out = pg->out;
    for (size_t f = 0; f < pg->rep->n; f++) {
        const struct bh_results *r = pg->rep->rs[f];
        if (!r->nplan)
            continue;
        fputs("<section id=\"plan\"><h2>Capacity plan <span class=\"ci\">",
              out);
        rd_escape(out, pg->rep->labels[f]);
        fputs("</span></h2>\n<p class=\"note\">Now: the scenario's "
              "capacity. Recommended: the fewest that meet the thresholds; "
              "this file's other figures are computed at it.</p>\n"
              "<table><tr><th>target</th><th>resource</th><th>now</th>"
              "<th>analytic</th><th>recommended</th><th>blocking now</th>"
              "<th>blocking recommended</th><th>service level now</th>"
              "<th>service level recommended</th><th>cost/month now</th>"
              "<th>cost/month recommended</th><th>set by</th><th>over</th>"
              "<th>there</th></tr>\n",
              out);
        for (size_t i = 0; i < r->nplan; i++) {
            const struct bh_plan_row *p = &r->plan[i];
            fputs("<tr><td>", out);
            rd_escape(out, p->target);
            fputs("</td><td>", out);
            rd_escape(out, p->resource);
            fprintf(out, "</td><td>%d</td><td>%d</td><td><b>%d</b></td>",
                    p->now, p->analytic, p->recommended);
            td_est(out, p->blocking_now, RU_PERCENT);
            td_est(out, p->blocking_recommended, RU_PERCENT);
            td_est(out, p->sl_now, RU_PERCENT);
            td_est(out, p->sl_recommended, RU_PERCENT);
            td_est(out, p->cost_now, RU_MONEY);
            td_est(out, p->cost_recommended, RU_MONEY);
            fputs("<td style=\"text-align:left\">", out);
            rd_escape(out, p->binding[0] ? p->binding : "\xe2\x80\x94");
            fputs("</td><td style=\"text-align:left\">", out);
            rd_escape(out, p->period[0] ? p->period : "\xe2\x80\x94");
            fputs("</td>", out);
            struct rd_expr e;
            td_est(out, p->judged,
                   rd_parse_expr(p->binding, &e) ? e.unit : RU_PERCENT);
            fputs("</tr>\n", out);
        }
        fputs("</table>\n</section>\n", out);
    }
}

static const struct bh_capacity_curve *
curve_for(const struct bh_report *rep, const char *target) {
    for (size_t i = 0; i < rep->ncurves; i++)
        if (strcmp(rep->curves[i].target, target) == 0)
            return &rep->curves[i];
    return NULL;
}

static void
capacity_chart(struct page *pg, const struct bh_capacity_curve *cv,
               const char *currency) {
    if (!cv || cv->n == 0)
        return;
    struct arr a = {0}, b = {0};
    if (!arr_alloc(&a, cv->n) || !arr_alloc(&b, cv->n)) {
        arr_free(&a);
        arr_free(&b);
        return;
    }
    bool sl = cv->sl_time > 0, cost = false;
    for (size_t i = 0; i < cv->n; i++) {
        a.x[i] = b.x[i] = cv->points[i].n;
        a.y[i] = sl ? cv->points[i].service_level : cv->points[i].blocking;
        b.y[i] = cv->points[i].cost_month;
        cost |= isfinite(b.y[i]);
    }
    char t1[96], t2[96], ylabel[96], dur[32];
    bh_format_duration(cv->sl_time, dur, sizeof dur);
    snprintf(t1, sizeof t1, sl ? "answered within %s" : "blocking", dur);
    snprintf(t2, sizeof t2, "cost per month (%s)", currency);
    snprintf(ylabel, sizeof ylabel, "%s", t1);
    struct bh_chart_series s[2] = {{.title = t1,
                                    .style = BH_CHART_LINESPOINTS,
                                    .n = cv->n,
                                    .x = a.x,
                                    .y = a.y,
                                    .scale = 100},
                                   {.title = t2,
                                    .style = BH_CHART_LINES,
                                    .n = cv->n,
                                    .x = b.x,
                                    .y = b.y,
                                    .y2 = true,
                                    .dashed = true,
                                    .colour = "#6b6b6b"}};
    char now[64], rec[64], lim[64];
    snprintf(now, sizeof now, "today: %d", cv->now);
    snprintf(rec, sizeof rec, "recommended: %d", cv->recommended);
    char lv[32];
    rd_fmt1(lv, sizeof lv, cv->limit, RU_PERCENT, false);
    snprintf(lim, sizeof lim, "%s limit %s", sl ? "service level" : "blocking",
             lv);
    struct bh_chart_mark m[3];
    size_t nm = 0;
    m[nm++] = (struct bh_chart_mark){
        .at = cv->now, .label = now, .colour = "#b0302a"};
    if (cv->recommended > 0)
        m[nm++] = (struct bh_chart_mark){
            .at = cv->recommended, .label = rec, .colour = "#2e7d32"};
    if (isfinite(cv->limit))
        m[nm++] = (struct bh_chart_mark){.at = cv->limit * 100,
                                         .horizontal = true,
                                         .label = lim,
                                         .colour = "#8e3fa8"};
    char title[160], xl[64];
    snprintf(title, sizeof title, "Capacity curve: %s against %s",
             sl ? "service level" : "blocking", cv->resource);
    snprintf(xl, sizeof xl, "%s", cv->resource);
    struct bh_chart c = {.title = title,
                         .xlabel = xl,
                         .ylabel = ylabel,
                         .y2label = cost ? t2 : NULL,
                         .y_percent = true,
                         .y_from_zero = true,
                         .nseries = cost ? 2 : 1,
                         .series = s,
                         .nmarks = nm,
                         .marks = m};
    chart(pg, &c, cv->note[0] ? cv->note : NULL);
    arr_free(&a);
    arr_free(&b);
}

static void
wait_chart(struct page *pg, const char *target) {
    const struct bh_report *rep = pg->rep;
    size_t nf = rep->n < MAX_FILES ? rep->n : MAX_FILES;
    static const char *const cats[] = {"mean", "median", "90th pct",
                                       "99th pct"};
    double y[MAX_FILES][4], lo[MAX_FILES][4], hi[MAX_FILES][4];
    struct bh_chart_series s[MAX_FILES];
    size_t n = 0;
    bool any_wait = false;
    for (size_t f = 0; f < nf; f++) {
        int ti = rd_find_target(rep->rs[f], target);
        if (ti < 0)
            continue;
        const struct bh_target_result *t = &rep->rs[f]->targets[ti];
        struct bh_estimate e[4] = {t->wait_mean, t->wait_p50, t->wait_p90,
                                   t->wait_p99};
        bool spread = false;
        for (int k = 0; k < 4; k++) {
            y[n][k] = e[k].mean;
            lo[n][k] = e[k].lo;
            hi[n][k] = e[k].hi;
            spread |= e[k].lo < e[k].hi;
            any_wait |= isfinite(e[k].mean) && e[k].mean > 0;
        }
        s[n] = (struct bh_chart_series){.title = rep->labels[f],
                                        .style = BH_CHART_BARS,
                                        .n = 4,
                                        .y = y[n],
                                        .lo = spread ? lo[n] : NULL,
                                        .hi = spread ? hi[n] : NULL};
        n++;
    }
    if (n == 0 || !any_wait)
        return; /* nobody waits: no chart of zeros */
    struct bh_chart c = {.title = "Wait of answered calls (queue to "
                                  "operator)",
                         .ylabel = "seconds",
                         .y_from_zero = true,
                         .ncategories = 4,
                         .categories = cats,
                         .nseries = n,
                         .series = s,
                         .height = 300};
    chart(pg, &c,
          "Bars: mean and percentiles of the wait of answered calls "
          "(0 when answered at once); black whiskers: 95% confidence "
          "intervals.");
}

/* Does the scenario's source named `source` call (or dial out through)
 * the target named `target`? */
static bool
source_calls(const struct bh_scenario *sc, const char *source,
             const char *target) {
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        if (strcmp(s->name, source) != 0)
            continue;
        if (s->kind == BH_SOURCE_CAMPAIGN && strcmp(s->name, target) == 0)
            return true;
        if (s->target_kind == BH_TARGET_BRIDGE)
            return s->target >= 0 && (size_t)s->target < sc->sw.nbridges &&
                   strcmp(sc->sw.bridges[s->target].name, target) == 0;
        return s->target >= 0 && (size_t)s->target < sc->sw.nnumbers &&
               strcmp(sc->sw.numbers[s->target].name, target) == 0;
    }
    return false;
}

/* The cost classes of the sources that call this target (needs the
 * scenario to know who calls what). */
static void
target_costs(struct page *pg, const char *name) {
    const struct bh_report *rep = pg->rep;
    const struct bh_results *r0 = rep->rs[0];
    if (!rep->sc || !r0->costs.present || !r0->costs.nclasses)
        return;
    FILE *out = pg->out;
    bool any = false;
    double callers = 0, company = 0;
    for (size_t i = 0; i < r0->costs.nclasses; i++) {
        const struct bh_cost_class *k = &r0->costs.classes[i];
        if (!source_calls(rep->sc, k->source, name))
            continue;
        if (!any)
            fprintf(out,
                    "<h3>Costs of these calls <span class=\"ci\">%s, "
                    "over the horizon, ",
                    r0->costs.currency);
        if (!any) {
            rd_escape(out, rep->labels[0]);
            fputs("</span></h3>\n<table><tr><th>traffic source</th>"
                  "<th>origin</th><th>plan</th><th>payer</th><th>calls</th>"
                  "<th>cost</th></tr>\n",
                  out);
        }
        any = true;
        fputs("<tr><td>", out);
        rd_escape(out, k->source);
        fputs("</td><td>", out);
        rd_escape(out, k->origin);
        fputs("</td><td>", out);
        rd_escape(out, k->plan[0] ? k->plan : "(none)");
        fputs("</td><td>", out);
        rd_escape(out, k->payer);
        fputs("</td>", out);
        td_est(out, k->calls, RU_COUNT);
        td_est(out, k->total, RU_MONEY);
        fputs("</tr>\n", out);
        if (strcmp(k->payer, "company") == 0)
            company += k->total.mean;
        else
            callers += k->total.mean;
    }
    if (!any)
        return;
    char a[64], b[64];
    rd_fmt1(a, sizeof a, callers, RU_MONEY, false);
    rd_fmt1(b, sizeof b, company, RU_MONEY, false);
    fprintf(out,
            "<tr><th>total</th><th></th><th></th><th></th><th></th>"
            "<th>callers %s, company %s</th></tr>\n</table>\n",
            a, b);
}

static void
target_section(struct page *pg, const char *name) {
    const struct bh_report *rep = pg->rep;
    FILE *out = pg->out;
    const struct bh_results *r0 = rep->rs[0];
    int t0 = rd_find_target(r0, name);
    const struct bh_target_result *t = NULL;
    for (size_t f = 0; f < rep->n && !t; f++) {
        int ti = rd_find_target(rep->rs[f], name);
        if (ti >= 0)
            t = &rep->rs[f]->targets[ti];
    }
    (void)t0;
    size_t tf = 0; /* the file the cards are from */
    for (size_t f = 0; f < rep->n; f++)
        if (rd_find_target(rep->rs[f], name) >= 0) {
            tf = f;
            break;
        }
    bool bridge = t && strcmp(t->kind, "bridge") == 0;
    const char *unit = bridge ? "ports" : "lines";
    bool one_capacity = rd_same_capacity(rep, name);
    fputs("<section id=\"", out);
    anchor(out, "t-", name);
    fputs("\"><h2>", out);
    rd_escape(out, name);
    if (t) {
        /* a capacity in the heading only when every column has it */
        char cap[64];
        rd_capacity(cap, sizeof cap, t);
        fputs(" <span class=\"ci\">", out);
        rd_escape(out, t->kind[0] ? t->kind : "target");
        if (cap[0] && one_capacity) {
            fputs(", ", out);
            rd_escape(out, cap);
        } else if (cap[0])
            fputs(", capacity per column below", out);
        fputs("</span>", out);
    }
    fputs("</h2>\n", out);

    if (t) {
        char v[64], cap[64];
        rd_capacity(cap, sizeof cap, t);
        if (!one_capacity) {
            fputs("<p class=\"note\">Key figures of ", out);
            rd_escape(out, rep->labels[tf]);
            fputs(", at ", out);
            rd_escape(out, cap);
            fputs(".</p>", out);
        }
        fputs("<div class=\"cards\">", out);
        rd_fmt1(v, sizeof v, t->blocking.mean, RU_PERCENT, false);
        card(out, v, "callers hearing busy");
        if (t->operators) {
            rd_fmt1(v, sizeof v, t->abandonment.mean, RU_PERCENT, false);
            card(out, v, "hung up while waiting");
            if (t->nsl) {
                char lab[64], d[32];
                bh_format_duration(t->sl[0].t, d, sizeof d);
                snprintf(lab, sizeof lab, "answered within %s", d);
                rd_fmt1(v, sizeof v, t->sl[0].value.mean, RU_PERCENT, false);
                card(out, v, lab);
            }
            rd_fmt1(v, sizeof v, t->wait_p90.mean, RU_SECONDS, false);
            card(out, v, "90% of answered calls waited less");
        }
        rd_fmt1(v, sizeof v, t->peak_busy.mean, RU_COUNT, false);
        char lab[64];
        snprintf(lab, sizeof lab, "%s busy at the peak, of %d", unit, t->lines);
        card(out, v, lab);
        fputs("</div>\n", out);
    }

    fputs("<table>\n", out);
    th_files(pg, "figure (per replication)");
    tr_target(pg, name, unit, t_lines, 0, RU_COUNT);
    tr_target(pg, name, "operators", t_operators, 0, RU_COUNT);
    tr_target(pg, name, "offered load", t_erl, 0, RU_ERLANG);
    tr_target(pg, name, "offered calls", t_offered, 0, RU_COUNT);
    tr_target(pg, name, "answered", t_answered, 0, RU_COUNT);
    tr_target(pg, name, "blocked (busy)", t_blocked, 0, RU_COUNT);
    tr_target(pg, name, "overflowed after max wait", t_overflow, 0, RU_COUNT);
    tr_target(pg, name, "abandoned while waiting", t_abandoned, 0, RU_COUNT);
    tr_target(pg, name, "blocking", t_blocking, 0, RU_PERCENT);
    tr_target(pg, name, "abandonment", t_aband, 0, RU_PERCENT);
    tr_target(pg, name, "wait, mean", t_wmean, 0, RU_SECONDS);
    tr_target(pg, name, "wait, median", t_wp50, 0, RU_SECONDS);
    tr_target(pg, name, "wait, 90th percentile", t_wp90, 0, RU_SECONDS);
    tr_target(pg, name, "wait, 99th percentile", t_wp99, 0, RU_SECONDS);
    double sl[BH_RES_MAX_SL * 4];
    size_t nsl = rd_sl_times(rep, sl, sizeof sl / sizeof *sl);
    for (size_t i = 0; i < nsl; i++) {
        char lab[64], d[32];
        bh_format_duration(sl[i], d, sizeof d);
        snprintf(lab, sizeof lab, "answered within %s", d);
        tr_target(pg, name, lab, t_sl, sl[i], RU_PERCENT);
    }
    tr_target(pg, name, "occupancy", t_occ, 0, RU_PERCENT);
    char busy_avg[48], busy_peak[48];
    snprintf(busy_avg, sizeof busy_avg, "busy %s, time average", unit);
    snprintf(busy_peak, sizeof busy_peak, "busy %s, peak", unit);
    tr_target(pg, name, busy_avg, t_busy, 0, RU_COUNT);
    tr_target(pg, name, busy_peak, t_peak, 0, RU_COUNT);
    tr_target(pg, name, "meetings", t_meet, 0, RU_COUNT);
    tr_target(pg, name, "incomplete meetings", t_incomplete, 0, RU_PERCENT);
    fputs("</table>\n", out);

    /* Offered load against capacity over the day: each file's own
     * capacity, named by file when they differ. */
    struct bh_chart_mark marks[2 * MAX_FILES];
    char mlab[2 * MAX_FILES][160];
    size_t nm = 0;
    for (size_t f = 0; f < rep->n && f < MAX_FILES; f++) {
        int ti = rd_find_target(rep->rs[f], name);
        if (ti < 0)
            continue;
        const struct bh_target_result *tt = &rep->rs[f]->targets[ti];
        int v[2] = {tt->lines, tt->operators};
        for (int k = 0; k < 2; k++) {
            bool seen = v[k] <= 0;
            for (size_t j = 0; j < nm && !seen; j++)
                seen = marks[j].at == v[k];
            if (seen)
                continue;
            /* "75 lines: plan", the label's first word naming the file */
            int kw = (int)strcspn(rep->labels[f], " ");
            snprintf(mlab[nm], sizeof mlab[nm], "%d %s%s%.*s", v[k],
                     k ? "operators" : unit, one_capacity ? "" : ": ",
                     one_capacity ? 0 : kw, rep->labels[f]);
            marks[nm] = (struct bh_chart_mark){.at = v[k],
                                               .horizontal = true,
                                               .label = mlab[nm],
                                               .colour = k ? "#8e3fa8" : NULL};
            nm++;
        }
    }
    struct line_spec load[] = {
        {iv_erl, "offered Erlangs", false, false, true, 0},
        {iv_busy, "busy (mean)", false, true, true, 0}};
    struct bh_chart c1 = {.title = "Offered load against capacity over the "
                                   "day",
                          .xlabel = "time of day",
                          .ylabel = "Erlangs / busy lines",
                          .x_clock = true,
                          .y_from_zero = true,
                          .nmarks = nm,
                          .marks = marks};
    interval_chart(pg, name, &c1, load, 2,
                   "Offered load (Erlangs = calls per hour x mean holding "
                   "hours) per reporting interval, and the lines actually "
                   "busy; shaded: 95% confidence band. Dotted lines: "
                   "capacity.");

    /* Blocking and abandonment on charts of their own, each with its
     * own limit: one limit line over both made abandonment look failed
     * against blocking's limit. */
    static const struct {
        const char *metric, *title, *note;
        iv_get get;
    } shares[] = {{"blocking", "Blocking per interval",
                   "Share of offered calls that heard busy, per interval.",
                   iv_blocking},
                  {"abandonment", "Abandonment per interval",
                   "Share of offered calls that hung up while waiting, per "
                   "interval.",
                   iv_aband}};
    for (size_t k = 0; k < (t && t->operators ? 2u : 1u); k++) {
        double lim = threshold_limit(r0, name, shares[k].metric);
        char lab[96], rl[32];
        rd_fmt1(rl, sizeof rl, lim, RU_PERCENT, false);
        snprintf(lab, sizeof lab, "%s limit %s", shares[k].metric, rl);
        struct bh_chart_mark bm = {
            .at = lim * 100, .horizontal = true, .label = lab};
        struct line_spec spec = {shares[k].get, "", false, false, true, 100};
        struct bh_chart c2 = {.title = shares[k].title,
                              .xlabel = "time of day",
                              .ylabel = "share of offered calls",
                              .x_clock = true,
                              .y_percent = true,
                              .y_from_zero = true,
                              .nmarks = isfinite(lim) ? 1 : 0,
                              .marks = &bm};
        interval_chart(pg, name, &c2, &spec, 1, shares[k].note);
    }

    if (t && t->operators) {
        char sl_title[64] = "answered within target";
        if (t->nsl) {
            char d[32];
            bh_format_duration(t->sl[0].t, d, sizeof d);
            snprintf(sl_title, sizeof sl_title, "answered within %s", d);
        }
        struct line_spec wt[] = {
            {iv_wait, "mean wait (s)", false, false, true, 0},
            {iv_sl0, sl_title, true, true, true, 100}};
        struct bh_chart c3 = {.title = "Waits and service level per "
                                       "interval",
                              .xlabel = "time of day",
                              .ylabel = "mean wait (s)",
                              .y2label = sl_title,
                              .y2_percent = true,
                              .x_clock = true,
                              .y_from_zero = true};
        interval_chart(pg, name, &c3, wt, 2,
                       "Mean wait of answered calls (solid, left axis) and "
                       "the share of offered calls answered within the "
                       "target time (dashed, right axis).");
        wait_chart(pg, name);
    }
    const char *cur = "";
    for (size_t f = 0; f < rep->n && !cur[0]; f++)
        cur = rep->rs[f]->costs.currency;
    target_costs(pg, name);
    capacity_chart(pg, curve_for(rep, name), cur);
    fputs("</section>\n", out);
}

static void
cost_row(const struct page *pg, const char *label, size_t off) {
    fputs("<tr><td>", pg->out);
    rd_escape(pg->out, label);
    fputs("</td>", pg->out);
    for (size_t f = 0; f < pg->rep->n; f++) {
        const struct bh_costs *c = &pg->rep->rs[f]->costs;
        if (!c->present)
            fputs("<td>&mdash;</td>", pg->out);
        else
            td_est(pg->out,
                   *(const struct bh_estimate *)((const char *)c + off),
                   RU_MONEY);
    }
    fputs("</tr>\n", pg->out);
}

static bool
same_class(const struct bh_cost_class *a, const struct bh_cost_class *b) {
    return strcmp(a->source, b->source) == 0 &&
           strcmp(a->origin, b->origin) == 0 && strcmp(a->plan, b->plan) == 0 &&
           strcmp(a->payer, b->payer) == 0;
}

static void
costs_section(struct page *pg) {
    const struct bh_report *rep = pg->rep;
    FILE *out = pg->out;
    const struct bh_costs *c0 = NULL;
    for (size_t f = 0; f < rep->n && !c0; f++)
        if (rep->rs[f]->costs.present)
            c0 = &rep->rs[f]->costs;
    if (!c0)
        return;
    fputs("<section id=\"costs\"><h2>Costs <span class=\"ci\">", out);
    rd_escape(out, c0->currency);
    fputs(", over the simulated horizon</span></h2>\n<div class=\"cards\">",
          out);
    char v[64];
    rd_fmt1(v, sizeof v, c0->by[BH_COST_COMPANY].per_answered_call.mean,
            RU_MONEY, false);
    card(out, v, "the company pays per answered call");
    if (isfinite(c0->per_participant.mean)) {
        rd_fmt1(v, sizeof v, c0->per_participant.mean, RU_MONEY, false);
        card(out, v, "per conference participant");
    }
    rd_fmt1(v, sizeof v, c0->per_month.mean, RU_MONEY, false);
    card(out, v, "per 30-day month");
    rd_fmt1(v, sizeof v, c0->company.mean, RU_MONEY, false);
    card(out, v, "paid by the company");
    rd_fmt1(v, sizeof v, c0->callers.mean, RU_MONEY, false);
    card(out, v, "paid by callers");
    if (c0->provider_revenue.mean > 0) {
        rd_fmt1(v, sizeof v, c0->provider_revenue.mean, RU_MONEY, false);
        card(out, v, "the provider earns (terminated minutes)");
    }
    fputs("</div>\n<table>\n", out);
    th_files(pg, "cost");
    cost_row(pg, "total", offsetof(struct bh_costs, total));
    cost_row(pg, "paid by callers (their own plans)",
             offsetof(struct bh_costs, callers));
    cost_row(pg, "paid by the company", offsetof(struct bh_costs, company));
    cost_row(pg, "of which line rental",
             offsetof(struct bh_costs, line_rental));
    cost_row(pg, "of which operators' pay",
             offsetof(struct bh_costs, operators));
    cost_row(pg, "the company per answered call",
             offsetof(struct bh_costs, by[BH_COST_COMPANY].per_answered_call));
    cost_row(pg, "callers per answered call",
             offsetof(struct bh_costs, by[BH_COST_CALLERS].per_answered_call));
    cost_row(pg, "both per answered call",
             offsetof(struct bh_costs, by[BH_COST_ALL].per_answered_call));
    cost_row(pg, "the company per hour",
             offsetof(struct bh_costs, by[BH_COST_COMPANY].per_hour));
    cost_row(pg, "per offered call, both payers (deprecated)",
             offsetof(struct bh_costs, per_call));
    cost_row(pg, "per conference participant",
             offsetof(struct bh_costs, per_participant));
    cost_row(pg, "per 30-day month", offsetof(struct bh_costs, per_month));
    if (rd_has_provider_revenue(rep))
        cost_row(pg, "provider's termination revenue (not a cost)",
                 offsetof(struct bh_costs, provider_revenue));
    fputs("</table>\n", out);
    if (c0->ntargets) {
        /* what one answered call of each target costs, by payer */
        fputs("<h3>By target</h3>\n<table><tr><th>target</th><th>answered"
              "</th><th>the company pays</th><th>callers pay</th><th>the "
              "company per answered call</th><th>callers per answered "
              "call</th></tr>\n",
              out);
        for (size_t i = 0; i < c0->ntargets; i++) {
            const struct bh_target_costs *t = &c0->targets[i];
            fputs("<tr><td>", out);
            rd_escape(out, t->name);
            fputs("</td>", out);
            td_est(out, t->answered, RU_COUNT);
            td_est(out, t->by[BH_COST_COMPANY].total, RU_MONEY);
            td_est(out, t->by[BH_COST_CALLERS].total, RU_MONEY);
            td_est(out, t->by[BH_COST_COMPANY].per_answered_call, RU_MONEY);
            td_est(out, t->by[BH_COST_CALLERS].per_answered_call, RU_MONEY);
            fputs("</tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    for (size_t f = 0; f < rep->n; f++) {
        const struct bh_costs *k = &rep->rs[f]->costs;
        char b[400];
        bh_balance_describe(&k->balance, k->currency, rep->start,
                            rep->rs[f]->replications, b, sizeof b);
        if (!b[0])
            continue;
        fputs("<p class=\"note\">Prepaid balance (", out);
        rd_escape(out, rep->labels[f]);
        fputs("): ", out);
        rd_escape(out, b);
        fputs(".</p>\n", out);
    }

    /* By payer, side by side. */
    size_t nf = rep->n < MAX_FILES ? rep->n : MAX_FILES;
    static const char *const payer_cats[] = {"callers", "company: calls",
                                             "company: line rental",
                                             "company: operators"};
    double y[MAX_FILES][4], lo[MAX_FILES][4], hi[MAX_FILES][4];
    struct bh_chart_series s[MAX_FILES];
    size_t n = 0;
    for (size_t f = 0; f < nf; f++) {
        const struct bh_costs *c = &rep->rs[f]->costs;
        if (!c->present)
            continue;
        double ops = isfinite(c->operators.mean) ? c->operators.mean : 0;
        struct bh_estimate calls = {c->company.mean - c->line_rental.mean - ops,
                                    NAN, NAN};
        struct bh_estimate e[4] = {
            c->callers, calls, c->line_rental,
            isfinite(c->operators.mean) ? c->operators : bh_estimate_exact(0)};
        bool spread = false;
        for (int k = 0; k < 4; k++) {
            y[n][k] = e[k].mean;
            lo[n][k] = e[k].lo;
            hi[n][k] = e[k].hi;
            spread |= e[k].lo < e[k].hi;
        }
        if (!spread)
            for (int k = 0; k < 4; k++)
                lo[n][k] = hi[n][k] = NAN;
        s[n] = (struct bh_chart_series){.title = rep->labels[f],
                                        .style = BH_CHART_BARS,
                                        .n = 4,
                                        .y = y[n],
                                        .lo = spread ? lo[n] : NULL,
                                        .hi = spread ? hi[n] : NULL};
        n++;
    }
    char ylabel[48];
    snprintf(ylabel, sizeof ylabel, "%s over the horizon", c0->currency);
    struct bh_chart cp = {.title = "Who pays",
                          .ylabel = ylabel,
                          .y_from_zero = true,
                          .ncategories = 4,
                          .categories = payer_cats,
                          .nseries = n,
                          .series = s,
                          .height = 300};
    if (n)
        chart(pg, &cp,
              "Callers pay their own calls on their own plans; the "
              "company pays toll-free minutes, outgoing calls, line "
              "rental and its operators (tariffs.operators).");

    /* By caller class: the first file's classes, others matched. */
    if (c0->nclasses) {
        fputs("<h3>By caller class</h3>\n<table><tr><th>traffic source"
              "</th><th>origin</th><th>plan</th><th>payer</th>",
              out);
        for (size_t f = 0; f < rep->n; f++) {
            fputs("<th>calls: ", out);
            rd_escape(out, rep->labels[f]);
            fputs("</th><th>cost: ", out);
            rd_escape(out, rep->labels[f]);
            fputs("</th>", out);
        }
        fputs("</tr>\n", out);
        size_t nk = c0->nclasses;
        const char **cats = calloc(nk, sizeof *cats);
        char(*names)[200] = calloc(nk, sizeof *names);
        double *cy = calloc(nk * MAX_FILES, sizeof *cy);
        double *clo = calloc(nk * MAX_FILES, sizeof *clo);
        double *chi = calloc(nk * MAX_FILES, sizeof *chi);
        struct bh_chart_series cs[MAX_FILES];
        size_t ncs = 0;
        for (size_t i = 0; i < nk; i++) {
            const struct bh_cost_class *k = &c0->classes[i];
            fputs("<tr><td>", out);
            rd_escape(out, k->source);
            fputs("</td><td>", out);
            rd_escape(out, k->origin);
            fputs("</td><td>", out);
            rd_escape(out, k->plan[0] ? k->plan : "(none)");
            fputs("</td><td>", out);
            rd_escape(out, k->payer);
            fputs("</td>", out);
            for (size_t f = 0; f < rep->n; f++) {
                const struct bh_costs *c = &rep->rs[f]->costs;
                const struct bh_cost_class *m = NULL;
                for (size_t j = 0; c->present && j < c->nclasses && !m; j++)
                    if (same_class(&c->classes[j], k))
                        m = &c->classes[j];
                if (!m) {
                    fputs("<td>&mdash;</td><td>&mdash;</td>", out);
                    continue;
                }
                td_est(out, m->calls, RU_COUNT);
                td_est(out, m->total, RU_MONEY);
            }
            fputs("</tr>\n", out);
            if (names)
                snprintf(names[i], sizeof names[i], "%s %s %s", k->source,
                         k->origin, k->plan);
        }
        fputs("</table>\n", out);
        if (cats && names && cy && clo && chi) {
            for (size_t i = 0; i < nk; i++)
                cats[i] = names[i];
            for (size_t f = 0; f < nf; f++) {
                const struct bh_costs *c = &rep->rs[f]->costs;
                if (!c->present)
                    continue;
                double *yy = cy + ncs * nk, *ll = clo + ncs * nk,
                       *hh = chi + ncs * nk;
                bool spread = false;
                for (size_t i = 0; i < nk; i++) {
                    yy[i] = ll[i] = hh[i] = NAN;
                    for (size_t j = 0; j < c->nclasses; j++)
                        if (same_class(&c->classes[j], &c0->classes[i])) {
                            yy[i] = c->classes[j].total.mean;
                            ll[i] = c->classes[j].total.lo;
                            hh[i] = c->classes[j].total.hi;
                            spread |= ll[i] < hh[i];
                        }
                }
                cs[ncs] = (struct bh_chart_series){.title = rep->labels[f],
                                                   .style = BH_CHART_BARS,
                                                   .n = nk,
                                                   .y = yy,
                                                   .lo = spread ? ll : NULL,
                                                   .hi = spread ? hh : NULL};
                ncs++;
            }
            struct bh_chart cc = {.title = "Cost by caller class",
                                  .ylabel = ylabel,
                                  .y_from_zero = true,
                                  .ncategories = nk,
                                  .categories = cats,
                                  .nseries = ncs,
                                  .series = cs,
                                  .height = 320};
            if (ncs)
                chart(pg, &cc,
                      "Each class: a traffic source's callers of one origin "
                      "on one plan, and who pays for them.");
        }
        free(cats);
        free(names);
        free(cy);
        free(clo);
        free(chi);
    }
    fputs("</section>\n", out);
}

int
bh_report_html(const struct bh_report *rep, FILE *out, struct bh_diag *diag) {
    struct bh_diag scratch;
    if (!diag)
        diag = &scratch;
    if (!rep || !out || rep->n == 0)
        return BH_EINVAL;
    struct page pg = {.rep = rep, .out = out, .diag = diag, .next_id = 1};
    const struct bh_results *r0 = rep->rs[0];
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
          "charset=\"utf-8\">\n<meta name=\"viewport\" "
          "content=\"width=device-width, initial-scale=1\">\n<title>"
          "busyhour report: ",
          out);
    rd_escape(out, r0->scenario);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", css);
    fputs("<h1>Capacity and cost report: ", out);
    rd_escape(out, r0->scenario);
    fputs("</h1>\n<p class=\"sub\">", out);
    for (size_t f = 0; f < rep->n; f++) {
        const struct bh_results *r = rep->rs[f];
        char hz[32];
        bh_format_duration(r->horizon, hz, sizeof hz);
        if (f)
            fputs("; ", out);
        rd_escape(out, rep->labels[f]);
        fprintf(out, ": %d replication%s of %s, seed %lu", r->replications,
                r->replications == 1 ? "" : "s", hz, r->seed);
    }
    fputs(". Figures are means with 95% confidence intervals in "
          "brackets.</p>\n",
          out);
    for (size_t i = 0; i < rep->nwarnings; i++) {
        fputs("<p class=\"warn\"><b>Warning:</b> ", out);
        rd_escape(out, rep->warnings[i]);
        fputs("</p>\n", out);
    }
    if (!rd_capacities_agree(rep))
        fputs("<p class=\"note\">Columns are at different capacities: "
              "each is computed at its own (the lines, operators and ports "
              "rows of each table), so they compare designs, not estimates "
              "of one.</p>\n",
              out);
    verdict(&pg);
    plan_section(&pg);
    if (rep->run)
        bh_report_run_html(rep->run, out);
    const char *names[BH_RES_MAX_TARGETS];
    size_t nn = rd_target_names(rep, names, BH_RES_MAX_TARGETS);
    fputs("<nav>", out);
    for (size_t i = 0; i < nn; i++) {
        fputs("<a href=\"#", out);
        anchor(out, "t-", names[i]);
        fputs("\">", out);
        rd_escape(out, names[i]);
        fputs("</a>", out);
    }
    for (size_t f = 0; f < rep->n; f++)
        if (rep->rs[f]->costs.present) {
            fputs("<a href=\"#costs\">costs</a>", out);
            break;
        }
    fputs("</nav>\n", out);
    for (size_t i = 0; i < nn && !pg.err; i++)
        target_section(&pg, names[i]);
    if (!pg.err)
        costs_section(&pg);
    fputs("<footer>Made by busyhour report. Blocking: share of offered "
          "calls that heard busy. Abandonment: share that hung up while "
          "waiting. Service level: share of all offered calls answered "
          "within the target time. A threshold passes only when its "
          "pessimistic 95% bound meets the limit.</footer>\n</main>\n"
          "</body>\n</html>\n",
          out);
    if (pg.err)
        return pg.err;
    return ferror(out) ? BH_EIO : 0;
}
