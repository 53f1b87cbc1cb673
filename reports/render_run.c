/* render_run.c: busyhour run's part of a report: the agreement of the
 * measured run with the simulation (disagreements first), the call-by-call
 * join of the driver's records with the switch's CDRs, and the numbers of
 * the run. The HTML and Markdown writers call these when struct
 * bh_report's run is set. */
#include "render.h"
#include "reports.h"

#include <math.h>
#include <stdio.h>

/* Indexes of run->agree in the order shown: disagreements, agreements,
 * then the figures not tested. */
static size_t
order(const struct bh_run_report *run, size_t *idx) {
    size_t n = 0;
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < run->nagree && n < BH_AGREE_MAX; i++) {
            int a = run->agree[i].agrees;
            if ((pass == 0 && a == 0) || (pass == 1 && a == 1) ||
                (pass == 2 && a < 0))
                idx[n++] = i;
        }
    return n;
}

static size_t
count(const struct bh_run_report *run, int agrees) {
    size_t n = 0;
    for (size_t i = 0; i < run->nagree; i++)
        n += run->agree[i].agrees == agrees;
    return n;
}

static void
late_text(char *buf, size_t size, const struct bh_run_numbers *n) {
    snprintf(buf, size,
             "mean %.2f ms, max %.2f ms, %llu starts more than 10 "
             "ms late",
             n->late_mean, n->late_max, (unsigned long long)n->late);
}

/* The run's costs, from the driver's records and from the CDRs. */
static void
cost_text(char *buf, size_t size, const struct bh_run_numbers *n) {
    if (isnan(n->cost_records)) {
        snprintf(buf, size, "not rated (the scenario has no tariffs)");
        return;
    }
    int k = snprintf(buf, size,
                     "%.2f %s from the driver's records (callers %.2f, "
                     "company %.2f); ",
                     n->cost_records, n->currency, n->cost_records_callers,
                     n->cost_records_company);
    if (k < 0 || (size_t)k >= size)
        return;
    if (isnan(n->cost_cdrs))
        snprintf(buf + k, size - (size_t)k,
                 "from the switch's CDRs: not rated (no CDRs)");
    else
        snprintf(buf + k, size - (size_t)k,
                 "%.2f %s from the switch's CDRs (callers %.2f, company "
                 "%.2f; %llu CDRs, their outcome and times, the caller's "
                 "class from the record of the same Call-ID)",
                 n->cost_cdrs, n->currency, n->cost_cdrs_callers,
                 n->cost_cdrs_company, (unsigned long long)n->cdrs_rated);
}

static void
window_text(char *buf, size_t size, const struct bh_run_numbers *n) {
    char a[16], b[16], d[32];
    rd_clock(a, sizeof a, n->window_start, 0);
    rd_clock(b, sizeof b, n->window_start, n->window);
    bh_format_duration(n->wall, d, sizeof d);
    snprintf(buf, size, "%s-%s at speed %g (%s of wall time)", a, b, n->speed,
             d);
}

int
bh_report_run_md(const struct bh_run_report *run, FILE *out) {
    if (!run)
        return 0;
    const struct bh_run_numbers *n = run->numbers;
    size_t dis = count(run, 0), agr = count(run, 1);
    fprintf(out, "## Measured against simulated\n\n");
    if (n && n->incomplete)
        fprintf(out, "**The run is INCOMPLETE**: %s\n\n", n->note);
    fprintf(out,
            "**%s**: %zu figures agree, %zu disagree, %zu not tested. "
            "A measured figure agrees when it lies within the "
            "simulation's 95%% interval widened by the run's own "
            "sampling error (\xc2\xb1, one replication's spread, at "
            "least the binomial one for shares).\n\n",
            dis   ? "The run DISAGREES with the model"
            : agr ? "The run agrees"
                  : "Nothing measured could be tested",
            agr, dis, run->nagree - agr - dis);
    size_t idx[BH_AGREE_MAX];
    size_t k = order(run, idx);
    if (k) {
        fprintf(out,
                "| target | figure | test | result |\n|---|---|---|---|\n");
        for (size_t j = 0; j < k; j++) {
            const struct bh_agreement *a = &run->agree[idx[j]];
            char t[256];
            bh_agree_format(a, t, sizeof t);
            fprintf(out, "| %s | %s | %s | %s |\n", a->target, a->figure, t,
                    a->agrees == 0   ? "**DISAGREES**"
                    : a->agrees == 1 ? "agrees"
                                     : "not tested");
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < run->nnotes; i++)
        fprintf(out, "- %s\n", run->notes[i]);
    if (run->nnotes)
        fputc('\n', out);
    if (n && n->present) {
        char w[128], l[128];
        window_text(w, sizeof w, n);
        late_text(l, sizeof l, n);
        fprintf(out, "## The run\n\n");
        fprintf(out, "- window: %s\n", w);
        fprintf(out,
                "- calls on the wire: %llu; peak concurrent calls: "
                "%llu; peak mixer participants: ",
                (unsigned long long)n->calls_on_wire,
                (unsigned long long)n->peak_calls);
        if (n->peak_mixer >= 0)
            fprintf(out, "%lld\n", (long long)n->peak_mixer);
        else
            fprintf(out, "not measured\n");
        fprintf(out, "- lateness of starts: %s\n", l);
        char c[400];
        cost_text(c, sizeof c, n);
        fprintf(out, "- costs of the run's calls: %s\n", c);
        fprintf(out,
                "- call by call: %llu driver records, %llu CDRs; %llu "
                "matched by Call-ID with the same outcome, %llu with "
                "different outcomes, %llu records without a CDR, %llu "
                "CDRs without a record\n\n",
                (unsigned long long)n->driver_records,
                (unsigned long long)n->cdrs, (unsigned long long)n->matched,
                (unsigned long long)n->mismatched,
                (unsigned long long)n->driver_only,
                (unsigned long long)n->cdr_only);
    }
    return ferror(out) ? BH_EIO : 0;
}

int
bh_report_run_html(const struct bh_run_report *run, FILE *out) {
    if (!run)
        return 0;
    const struct bh_run_numbers *n = run->numbers;
    size_t dis = count(run, 0), agr = count(run, 1);
    fputs("<section id=\"run\">\n<h2>Measured against simulated</h2>\n", out);
    if (n && n->incomplete) {
        fputs("<p class=\"note\"><b>The run is incomplete:</b> ", out);
        rd_escape(out, n->note);
        fputs("</p>\n", out);
    }
    fprintf(out,
            "<p><b>%s</b>: %zu figures agree, %zu disagree, %zu not tested. "
            "A measured figure agrees when it lies within the simulation's "
            "95%% interval widened by the run's own sampling error "
            "(&plusmn;: the spread of one replication, at least the "
            "binomial one for shares).</p>\n",
            dis   ? "The run disagrees with the model"
            : agr ? "The run agrees"
                  : "Nothing measured could be tested",
            agr, dis, run->nagree - agr - dis);
    size_t idx[BH_AGREE_MAX];
    size_t k = order(run, idx);
    if (k) {
        fputs("<table class=\"agree\">\n<tr><th>target</th><th>figure</th>"
              "<th>test</th><th>result</th></tr>\n",
              out);
        for (size_t j = 0; j < k; j++) {
            const struct bh_agreement *a = &run->agree[idx[j]];
            char t[256];
            bh_agree_format(a, t, sizeof t);
            fputs("<tr><td>", out);
            rd_escape(out, a->target);
            fputs("</td><td>", out);
            rd_escape(out, a->figure);
            fputs("</td><td>", out);
            rd_escape(out, t);
            fprintf(out, "</td><td%s>%s</td></tr>\n",
                    a->agrees == 0 ? " class=\"bad\"" : "",
                    a->agrees == 0   ? "disagrees"
                    : a->agrees == 1 ? "agrees"
                                     : "not tested");
        }
        fputs("</table>\n", out);
    }
    if (run->nnotes) {
        fputs("<ul>\n", out);
        for (size_t i = 0; i < run->nnotes; i++) {
            fputs("<li>", out);
            rd_escape(out, run->notes[i]);
            fputs("</li>\n", out);
        }
        fputs("</ul>\n", out);
    }
    if (n && n->present) {
        char w[128], l[128];
        window_text(w, sizeof w, n);
        late_text(l, sizeof l, n);
        fputs("<h3>The run</h3>\n<table class=\"run\">\n", out);
        fputs("<tr><th>window</th><td>", out);
        rd_escape(out, w);
        fprintf(out,
                "</td></tr>\n<tr><th>calls on the wire</th><td>%llu"
                "</td></tr>\n<tr><th>peak concurrent calls</th><td>%llu"
                "</td></tr>\n<tr><th>peak mixer participants</th><td>",
                (unsigned long long)n->calls_on_wire,
                (unsigned long long)n->peak_calls);
        if (n->peak_mixer >= 0)
            fprintf(out, "%lld", (long long)n->peak_mixer);
        else
            fputs("not measured", out);
        fputs("</td></tr>\n<tr><th>lateness of starts</th><td>", out);
        rd_escape(out, l);
        char c[400];
        cost_text(c, sizeof c, n);
        fputs("</td></tr>\n<tr><th>costs of the run's calls</th><td>", out);
        rd_escape(out, c);
        fprintf(out,
                "</td></tr>\n<tr><th>call by call</th><td>%llu driver "
                "records, %llu CDRs: %llu matched by Call-ID with the same "
                "outcome, %llu with different outcomes, %llu records "
                "without a CDR, %llu CDRs without a record</td></tr>\n"
                "</table>\n",
                (unsigned long long)n->driver_records,
                (unsigned long long)n->cdrs, (unsigned long long)n->matched,
                (unsigned long long)n->mismatched,
                (unsigned long long)n->driver_only,
                (unsigned long long)n->cdr_only);
    }
    fputs("</section>\n", out);
    return ferror(out) ? BH_EIO : 0;
}
