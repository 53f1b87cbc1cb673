/* cmd_report.c: `busyhour report RESULTS.json...`: reads results files
 * (reports/), adds the analytic figures and each target's capacity curve
 * from the exact formulas (sim/analytic.c: bh_reports cannot link
 * bh_sim, which depends on it), and writes the Markdown, CSV, JUnit and
 * HTML reports. */
#include "bh.h"
#include "cli.h"
#include "reports.h"
#include "scenario.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESULTS 8 /* results files side by side */

static void
help(FILE *out) {
    fprintf(
        out,
        "usage: busyhour report RESULTS.json [MORE.json ...] [--html FILE]\n"
        "                       [--csv DIR] [--junit FILE] [--md FILE] "
        "[--json FILE]\n"
        "                       [--scenario FILE [--analytic]] "
        "[--exit-zero]\n"
        "                       [--merge OUT.json]\n"
        "       busyhour report --cdr CDR.sqlite --scenario FILE [--md FILE]\n"
        "                       [--csv DIR]\n"
        "\n"
        "Reads results files written by busyhour sim, plan, load or run "
        "(format:\nreports/README.md) and renders them. Several files of one "
        "scenario\n(analytic, simulated, measured) are shown side by side, "
        "with confidence\nintervals. The first file gives the verdict.\n"
        "\n"
        "Options:\n"
        "  --html FILE      one self-contained HTML page (inline CSS and SVG "
        "charts\n"
        "                   drawn by gnuplot; opens offline): the verdict, "
        "then per\n"
        "                   number and bridge load against capacity, "
        "blocking,\n"
        "                   waits, abandonment, costs and the capacity "
        "curve\n"
        "  --csv DIR        intervals.csv, targets.csv and classes.csv in "
        "DIR\n"
        "                   (created if need be)\n"
        "  --junit FILE     JUnit XML: one test case per threshold\n"
        "  --md FILE        Markdown summary ('-' for standard output)\n"
        "  --json FILE      what was compared as JSON ('-' for standard "
        "output):\n"
        "                   the verdict, the warnings and every column's "
        "results\n"
        "                   (merged, analytic, thresholds judged again) "
        "(format:\n"
        "                   busyhour-report/1, reports/README.md)\n"
        "  --scenario FILE  the scenario the results came from: its "
        "thresholds are\n"
        "                   evaluated again on every file, its start time "
        "sets the\n"
        "                   clock, and its holding times, patience and "
        "tariffs feed\n"
        "                   the capacity curves\n"
        "  --analytic       add the scenario's figures from the exact "
        "formulas (needs\n"
        "                   --scenario; alone, without results files, it "
        "reports\n"
        "                   them by themselves): per interval, first "
        "attempts, Erlang\n"
        "                   B on lines and ports, C or A on operators\n"
        "  --merge OUT.json the files are the segments 1/N..N/N of one "
        "load run\n"
        "                   (busyhour load --segment I/N): merge them "
        "into the\n"
        "                   results of the whole run (counts summed, "
        "shares and\n"
        "                   means from the summed counts, wait histograms "
        "merged),\n"
        "                   write OUT.json, and render that one file; "
        "thresholds\n"
        "                   are judged on it when --scenario is given\n"
        "  --cdr FILE       rate a switch's CDR file (busyhour switch --cdr) "
        "with the\n"
        "                   scenario's tariffs, as the simulator rates its "
        "calls: the\n"
        "                   costs by payer and rate class (Markdown), one "
        "line per\n"
        "                   row in DIR/cdr-costs.csv with --csv DIR\n"
        "  --exit-zero      exit 0 even when a threshold fails (the "
        "verdict stays in\n"
        "                   the outputs); bad input still exits 2\n"
        "  --help           show this help\n"
        "\n"
        "With no output option the Markdown summary goes to standard "
        "output.\n"
        "Charts need gnuplot (Debian package gnuplot-nox); $BH_GNUPLOT "
        "names\nanother program.\n"
        "\n"
        "Exit status: 0 all thresholds of the first file pass (or there are "
        "none,\nor --exit-zero); 1 one of them failed; 2 bad usage, or a "
        "results file that "
        "is missing,\nmalformed or truncated (FILE:LINE:COLUMN: what is "
        "wrong).\n");
}

/* ---- The command ---------------------------------------------------- */

static int
write_to(const char *path, const struct bh_report *rep,
         int (*fn)(const struct bh_report *, FILE *)) {
    if (strcmp(path, "-") == 0)
        return fn(rep, stdout) || fflush(stdout) ? BH_EIO : 0;
    FILE *f = bh_mkdir_parents(path) == 0 ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "busyhour report: cannot write %s: %s\n", path,
                strerror(errno));
        return BH_EIO;
    }
    int rc = fn(rep, f);
    if (fclose(f) != 0)
        rc = BH_EIO;
    if (rc)
        fprintf(stderr, "busyhour report: cannot write %s\n", path);
    return rc;
}

/* --merge: rs[0..n) (read from files) become rs[0], the whole run,
 * written to `path`; *nread is then 1. Thresholds are judged on it
 * when there is a scenario. */
static int
merge_files(const char *const *files, size_t n, struct bh_results *rs,
            size_t *nread, const struct bh_scenario *sc, const char *path) {
    const struct bh_results *in[MAX_RESULTS];
    for (size_t f = 0; f < n; f++)
        in[f] = &rs[f];
    struct bh_results m;
    struct bh_diag d;
    int rc = bh_results_merge(in, files, n, &m, &d);
    if (rc) {
        if (rc == BH_ENOMEM)
            fprintf(stderr, "busyhour report: out of memory\n");
        else
            bh_diag_print(&d, stderr);
        return BH_EXIT_USAGE;
    }
    for (size_t f = 0; f < n; f++)
        bh_results_clear(&rs[f]);
    rs[0] = m;
    *nread = 1;
    if (sc && bh_thresholds_eval(sc, &rs[0]) < 0) {
        fprintf(stderr, "busyhour report: out of memory\n");
        return BH_EXIT_USAGE;
    }
    if (!sc)
        fprintf(stderr,
                "busyhour report: %s: thresholds not judged (give "
                "--scenario)\n",
                path);
    if (bh_mkdir_parents(path) != 0 ||
        bh_results_write_json(&rs[0], path) != 0) {
        fprintf(stderr, "busyhour report: cannot write %s\n", path);
        return BH_EXIT_USAGE;
    }
    return BH_EXIT_OK;
}

/* A scenario at the capacities of results r: each number's lines and
 * operators and each bridge's ports taken from r's target of that name
 * (as in sc when r does not have it). *out is a shallow copy of sc that
 * borrows everything but its numbers and bridges, which the caller frees
 * (num, br). Returns 0 or BH_ENOMEM. */
static int
at_capacity(const struct bh_scenario *sc, const struct bh_results *r,
            struct bh_scenario *out, struct bh_sc_number **num,
            struct bh_sc_bridge **br) {
    *out = *sc;
    *num = calloc(sc->sw.nnumbers + 1, sizeof **num);
    *br = calloc(sc->sw.nbridges + 1, sizeof **br);
    if (!*num || !*br) {
        free(*num);
        free(*br);
        *num = NULL;
        *br = NULL;
        return BH_ENOMEM;
    }
    for (size_t i = 0; i < sc->sw.nnumbers; i++) {
        struct bh_sc_number *n = &(*num)[i];
        *n = sc->sw.numbers[i];
        for (size_t t = 0; r && t < r->ntargets; t++) {
            const struct bh_target_result *tr = &r->targets[t];
            if (strcmp(tr->name, n->name) != 0 ||
                strcmp(tr->kind, "number") != 0)
                continue;
            n->lines = tr->lines;
            if (n->queue.present && tr->operators > 0)
                n->queue.operators = tr->operators;
        }
    }
    for (size_t i = 0; i < sc->sw.nbridges; i++) {
        struct bh_sc_bridge *b = &(*br)[i];
        *b = sc->sw.bridges[i];
        for (size_t t = 0; r && t < r->ntargets; t++)
            if (strcmp(r->targets[t].name, b->name) == 0 &&
                strcmp(r->targets[t].kind, "bridge") == 0)
                b->ports = r->targets[t].lines;
    }
    out->sw.numbers = *num;
    out->sw.bridges = *br;
    return 0;
}

/* Do two scenarios (at_capacity's copies) have the same capacities? */
static bool
same_capacity(const struct bh_scenario *a, const struct bh_scenario *b) {
    for (size_t i = 0; i < a->sw.nnumbers; i++)
        if (a->sw.numbers[i].lines != b->sw.numbers[i].lines ||
            a->sw.numbers[i].queue.operators !=
                b->sw.numbers[i].queue.operators)
            return false;
    for (size_t i = 0; i < a->sw.nbridges; i++)
        if (a->sw.bridges[i].ports != b->sw.bridges[i].ports)
            return false;
    return true;
}

/* The formulas' figures of sc into *out, with the thresholds they can
 * judge (costs, percentiles and meetings are left out rather than
 * failed). Returns 0 or a BH_E* code. */
static int
analytic_of(const struct bh_scenario *sc, struct bh_results *out) {
    int rc = bh_sim_analytic(sc, out);
    if (rc == 0)
        rc = bh_thresholds_eval(sc, out) < 0 ? BH_ENOMEM : 0;
    size_t kept = 0;
    for (size_t i = 0; rc == 0 && i < out->nthresholds; i++)
        if (!isnan(out->thresholds[i].value))
            out->thresholds[kept++] = out->thresholds[i];
    if (rc == 0)
        out->nthresholds = kept;
    else
        bh_results_clear(out);
    return rc;
}

/* --analytic: one column of the formulas' figures at each capacity the
 * results files rs[0..nfiles) were computed at (a plan's recommended
 * capacity, a simulation's), or at the scenario's when there is no file,
 * appended at rs[nfiles..); returns how many, or -1 with a message. */
static int
add_analytic(const struct bh_scenario *sc, struct bh_results *rs, size_t nfiles,
             const char *const *files, char (*labels)[600]) {
    struct bh_scenario at[MAX_RESULTS];
    struct bh_sc_number *num[MAX_RESULTS] = {0};
    struct bh_sc_bridge *br[MAX_RESULTS] = {0};
    size_t from[MAX_RESULTS]; /* the first file at each capacity */
    size_t nat = 0;
    int rc = 0;
    for (size_t f = 0; rc == 0 && f < (nfiles ? nfiles : 1); f++) {
        rc = at_capacity(sc, nfiles ? &rs[f] : NULL, &at[nat], &num[nat],
                         &br[nat]);
        if (rc)
            break;
        bool seen = false;
        for (size_t k = 0; k < nat && !seen; k++)
            seen = same_capacity(&at[k], &at[nat]);
        if (seen) {
            free(num[nat]);
            free(br[nat]);
            num[nat] = NULL;
            br[nat] = NULL;
            continue;
        }
        from[nat++] = f;
    }
    size_t made = 0;
    for (size_t k = 0; rc == 0 && k < nat; k++) {
        rc = analytic_of(&at[k], &rs[nfiles + k]);
        if (rc)
            break;
        made++;
        if (nat == 1)
            snprintf(labels[nfiles + k], sizeof labels[0], "analytic (Erlang)");
        else {
            const char *base = strrchr(files[from[k]], '/');
            base = base ? base + 1 : files[from[k]];
            snprintf(labels[nfiles + k], sizeof labels[0],
                     "analytic (Erlang, at %s's capacity)", base);
        }
    }
    for (size_t k = 0; k < nat; k++) {
        free(num[k]);
        free(br[k]);
    }
    if (rc) {
        for (size_t k = 0; k < made; k++)
            bh_results_clear(&rs[nfiles + k]);
        fprintf(stderr, "busyhour report: analytic figures: %s\n",
                bh_strerror(rc));
        return -1;
    }
    return (int)made;
}

int
bh_cmd_report(int argc, char **argv) {
    const char *html = NULL, *csv = NULL, *junit = NULL, *md = NULL,
               *scen = NULL, *merge = NULL, *cdr = NULL, *json = NULL;
    const char *files[MAX_RESULTS];
    size_t nfiles = 0;
    bool analytic = false, exit_zero = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **opt = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return BH_EXIT_OK;
        } else if (strcmp(a, "--html") == 0) {
            opt = &html;
        } else if (strcmp(a, "--csv") == 0) {
            opt = &csv;
        } else if (strcmp(a, "--junit") == 0) {
            opt = &junit;
        } else if (strcmp(a, "--md") == 0) {
            opt = &md;
        } else if (strcmp(a, "--scenario") == 0) {
            opt = &scen;
        } else if (strcmp(a, "--merge") == 0) {
            opt = &merge;
        } else if (strcmp(a, "--json") == 0) {
            opt = &json;
        } else if (strcmp(a, "--cdr") == 0) {
            opt = &cdr;
        } else if (strcmp(a, "--analytic") == 0) {
            analytic = true;
            continue;
        } else if (strcmp(a, "--exit-zero") == 0) {
            exit_zero = true;
            continue;
        } else if (a[0] == '-' && a[1]) {
            return bh_cli_usage_error("report",
                                      "unknown option '%s' (see busyhour "
                                      "report --help)",
                                      a);
        } else {
            if (nfiles == MAX_RESULTS)
                return bh_cli_usage_error("report", "at most %d results files",
                                          MAX_RESULTS);
            files[nfiles++] = a;
            continue;
        }
        if (i + 1 >= argc || !argv[i + 1][0])
            return bh_cli_usage_error("report", "%s needs a value", a);
        *opt = argv[++i];
    }
    if (cdr) {
        struct bh_cli_report_cdr rc = {cdr, scen, md, csv,
                                       nfiles || html || junit || merge ||
                                           analytic || exit_zero};
        return bh_cmd_report_cdr(&rc);
    }
    if (analytic && !scen)
        return bh_cli_usage_error("report", "--analytic needs --scenario");
    if (merge && nfiles == 0)
        return bh_cli_usage_error("report", "--merge needs the segments' "
                                            "results files");
    if (nfiles == 0 && !analytic)
        return bh_cli_usage_error("report",
                                  "no results file given (usage: busyhour "
                                  "report RESULTS.json [MORE.json ...])");

    int status = BH_EXIT_OK;
    struct bh_scenario *sc = NULL;
    struct bh_results rs[2 * MAX_RESULTS];
    const struct bh_results *rp[2 * MAX_RESULTS];
    char labels[2 * MAX_RESULTS][600];
    const char *lp[2 * MAX_RESULTS];
    char warnings[4 * MAX_RESULTS][400];
    const char *wp[4 * MAX_RESULTS];
    size_t nwarnings = 0;
    size_t nread = 0;
    struct bh_sim_curve *curves = NULL;
    struct bh_capacity_curve *cv = NULL;
    size_t ncurves = 0;

    if (scen) {
        struct bh_diag d;
        if (bh_scenario_load(scen, &sc, &d) != 0) {
            bh_diag_print(&d, stderr);
            return BH_EXIT_USAGE;
        }
    }
    for (size_t f = 0; f < nfiles; f++) {
        struct bh_diag d;
        int rc = bh_results_read_json(files[f], &rs[f], &d);
        if (rc) {
            bh_diag_print(&d, stderr);
            status = BH_EXIT_USAGE;
            goto out;
        }
        nread++;
        rp[f] = &rs[f];
        const char *base = strrchr(files[f], '/');
        base = base ? base + 1 : files[f];
        /* busyhour plan's results are a simulation at the recommended
         * capacity: say so */
        snprintf(labels[f], sizeof labels[f], "%s (%s)",
                 rs[f].nplan ? "plan" : bh_results_source_name(rs[f].source),
                 base);
        lp[f] = labels[f];
        if (sc && !merge && bh_thresholds_eval(sc, &rs[f]) < 0) {
            fprintf(stderr, "busyhour report: out of memory\n");
            status = BH_EXIT_USAGE;
            goto out;
        }
    }

    if (merge) {
        status = merge_files(files, nfiles, rs, &nread, sc, merge);
        if (status != BH_EXIT_OK)
            goto out;
        snprintf(labels[0], sizeof labels[0], "load (%zu segments merged)",
                 nfiles);
        nfiles = 1;
    }

    nwarnings = bh_report_compare_warnings(rp, lp, nfiles, sc, warnings,
                                           sizeof warnings / sizeof *warnings);
    for (size_t i = 0; i < nwarnings; i++) {
        fprintf(stderr, "busyhour report: warning: %s\n", warnings[i]);
        wp[i] = warnings[i];
    }

    if (analytic) {
        /* The formulas' figures beside the files (or alone), each at
         * the capacity of the files it stands beside. */
        int made = add_analytic(sc, rs, nfiles, files, labels);
        if (made < 0) {
            status = BH_EXIT_USAGE;
            goto out;
        }
        for (int k = 0; k < made; k++) {
            rp[nfiles] = &rs[nfiles];
            lp[nfiles] = labels[nfiles];
            nfiles++;
            nread++;
        }
    }

    struct bh_report rep = {.n = nfiles,
                            .rs = rp,
                            .labels = lp,
                            .start = sc ? sc->start : 0,
                            .sc = sc,
                            .nwarnings = nwarnings,
                            .warnings = wp};
    { /* capacity curves: HTML charts, Markdown recommendations */
        curves = calloc(rs[0].ntargets ? rs[0].ntargets : 1, sizeof *curves);
        cv = calloc(rs[0].ntargets ? rs[0].ntargets : 1, sizeof *cv);
        if (!curves || !cv) {
            fprintf(stderr, "busyhour report: out of memory\n");
            status = BH_EXIT_USAGE;
            goto out;
        }
        for (size_t ti = 0; ti < rs[0].ntargets; ti++)
            if (bh_sim_capacity_curve(&rs[0], ti, sc, &curves[ncurves]) == 0) {
                cv[ncurves] = curves[ncurves].curve;
                ncurves++;
            }
        rep.curves = cv;
        rep.ncurves = ncurves;
    }

    int rc = 0;
    if (md || (!html && !csv && !junit && !merge && !json))
        rc |= write_to(md ? md : "-", &rep, bh_report_md);
    if (json)
        rc |= write_to(json, &rep, bh_report_json);
    if (junit)
        rc |= write_to(junit, &rep, bh_report_junit);
    if (csv) {
        struct bh_diag d;
        if (bh_report_csv(&rep, csv, &d) != 0) {
            bh_diag_print(&d, stderr);
            rc = BH_EIO;
        }
    }
    if (html) {
        struct bh_diag d = {0};
        snprintf(d.file, sizeof d.file, "%s", html);
        FILE *f = bh_mkdir_parents(html) == 0 ? fopen(html, "w") : NULL;
        if (!f) {
            fprintf(stderr, "busyhour report: cannot write %s: %s\n", html,
                    strerror(errno));
            rc = BH_EIO;
        } else {
            int hr = bh_report_html(&rep, f, &d);
            if (fclose(f) != 0 && !hr)
                hr = BH_EIO;
            if (hr) {
                if (!d.msg[0])
                    bh_diag_set(&d, 0, 0, "cannot write the report");
                bh_diag_print(&d, stderr);
                remove(html); /* no half-written page */
                rc = BH_EIO;
            }
        }
    }
    if (rc)
        status = BH_EXIT_USAGE;
    else if (bh_results_failed(&rs[0]) > 0 && !exit_zero)
        status = BH_EXIT_THRESHOLD;
out:
    for (size_t f = 0; f < nread; f++)
        bh_results_clear(&rs[f]);
    free(curves);
    free(cv);
    bh_scenario_free(sc);
    return status;
}
