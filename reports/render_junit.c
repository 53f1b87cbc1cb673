/* render_junit.c: JUnit XML, one test case per threshold, so that any CI
 * system lists them; a failed threshold carries a <failure> that names the
 * metric, the compared value and the limit. */
#include "render.h"

#include <math.h>
#include <string.h>

int
bh_report_junit(const struct bh_report *rep, FILE *out) {
    if (!rep || !out || rep->n == 0)
        return BH_EINVAL;
    size_t tests = 0;
    int failures = 0;
    for (size_t f = 0; f < rep->n; f++) {
        tests += rep->rs[f]->nthresholds;
        failures += bh_results_failed(rep->rs[f]);
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out,
            "<testsuites name=\"busyhour\" tests=\"%zu\" "
            "failures=\"%d\" errors=\"0\">\n",
            tests, failures);
    for (size_t f = 0; f < rep->n; f++) {
        const struct bh_results *r = rep->rs[f];
        /* one suite per column, named by its source; a second column
         * of the same source is numbered ("sim-2") */
        const char *kind = bh_results_source_name(r->source);
        size_t same = 0;
        for (size_t g = 0; g < f; g++)
            same += rep->rs[g]->source == r->source;
        fputs("  <testsuite name=\"busyhour.", out);
        rd_escape(out, r->scenario);
        fprintf(out, ".%s", kind);
        if (same)
            fprintf(out, "-%zu", same + 1);
        fprintf(out,
                "\" tests=\"%zu\" failures=\"%d\" errors=\"0\" "
                "skipped=\"0\">\n",
                r->nthresholds, bh_results_failed(r));
        fputs("    <properties>\n      <property name=\"results\" value=\"",
              out);
        rd_escape(out, rep->labels[f]);
        /* the capacity this suite's thresholds were judged at */
        char cap[1000];
        rd_file_capacity(cap, sizeof cap, r);
        fputs("\"/>\n      <property name=\"capacity\" value=\"", out);
        rd_escape(out, cap);
        fprintf(out,
                "\"/>\n      <property name=\"replications\" "
                "value=\"%d\"/>\n      <property name=\"seed\" "
                "value=\"%lu\"/>\n    </properties>\n",
                r->replications, r->seed);
        for (size_t i = 0; i < r->nthresholds; i++) {
            const struct bh_threshold_result *t = &r->thresholds[i];
            struct rd_expr e;
            bool parsed = rd_parse_expr(t->expr, &e);
            if (!parsed) {
                snprintf(e.metric, sizeof e.metric, "%s", t->expr);
                e.unit = RU_COUNT;
                e.upper = true;
            }
            /* classname groups by target: "busyhour.hotline". */
            char target[160];
            snprintf(target, sizeof target, "%s", e.metric);
            char *dot = strchr(target, '.');
            if (dot)
                *dot = '\0';
            fputs("    <testcase classname=\"busyhour.", out);
            rd_escape(out, target);
            fputs("\" name=\"", out);
            rd_escape(out, t->expr);
            fputs("\" time=\"0\"", out);
            if (t->pass) {
                fputs("/>\n", out);
                continue;
            }
            char v[64], l[64], raw[320];
            rd_fmt1(v, sizeof v, t->value, e.unit, true);
            rd_fmt1(l, sizeof l, t->limit, e.unit, true);
            fputs(">\n      <failure type=\"threshold\" message=\"", out);
            char msg[640];
            if (isnan(t->value))
                snprintf(msg, sizeof msg,
                         "%s was not measured; limit %s %s (%s)", e.metric,
                         e.op, l, e.limit);
            else
                snprintf(msg, sizeof msg,
                         "%s = %s (%s 95%% bound) fails the limit %s %s",
                         e.metric, v, e.upper ? "upper" : "lower", e.op, l);
            rd_escape(out, msg);
            fputs("\">", out);
            snprintf(raw, sizeof raw,
                     "metric: %s\nvalue: %.10g\nlimit: %s %.10g\n", e.metric,
                     t->value, e.op, t->limit);
            rd_escape(out, raw);
            fputs("</failure>\n    </testcase>\n", out);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
    return ferror(out) ? BH_EIO : 0;
}
