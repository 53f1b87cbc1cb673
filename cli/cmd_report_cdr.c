/* cmd_report_cdr.c: `busyhour report --cdr CDR.sqlite --scenario FILE`: a
 * switch's CDR file rated with the scenario's tariffs (reports/cdr_rate.c),
 * its cost tables as Markdown and one CSV line per row. */
#include "bh.h"
#include "cli.h"
#include "reports.h"
#include "scenario.h"

#include <errno.h>
#include <string.h>

static int
write_md(const char *path, const struct bh_cdr_costs *c,
         const struct bh_scenario *sc, const char *cdr) {
    FILE *f = strcmp(path, "-") == 0        ? stdout
              : bh_mkdir_parents(path) == 0 ? fopen(path, "w")
                                            : NULL;
    if (!f) {
        fprintf(stderr, "busyhour report: cannot write %s: %s\n", path,
                strerror(errno));
        return BH_EIO;
    }
    int rc = bh_cdr_costs_md(c, sc, cdr, f);
    if (f == stdout ? fflush(f) != 0 : fclose(f) != 0)
        rc = BH_EIO;
    if (rc)
        fprintf(stderr, "busyhour report: cannot write %s\n", path);
    return rc;
}

static int
write_csv(const char *dir, const struct bh_cdr_costs *c,
          const struct bh_scenario *sc) {
    char path[4096];
    snprintf(path, sizeof path, "%s/cdr-costs.csv", dir);
    FILE *f = bh_mkdir_parents(path) == 0 ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "busyhour report: cannot write %s: %s\n", path,
                strerror(errno));
        return BH_EIO;
    }
    int rc = bh_cdr_costs_csv(c, sc, f);
    if (fclose(f) != 0)
        rc = BH_EIO;
    if (rc)
        fprintf(stderr, "busyhour report: cannot write %s\n", path);
    return rc;
}

int
bh_cmd_report_cdr(const struct bh_cli_report_cdr *a) {
    if (!a->scenario)
        return bh_cli_usage_error("report", "--cdr needs --scenario (its "
                                            "tariffs price the rows)");
    if (a->others)
        return bh_cli_usage_error("report",
                                  "--cdr takes --scenario, --md and --csv "
                                  "only (no results files, --html, --junit, "
                                  "--merge or --analytic)");
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    if (bh_scenario_load(a->scenario, &sc, &d) != 0) {
        bh_diag_print(&d, stderr);
        return BH_EXIT_USAGE;
    }
    struct bh_cdr_costs c;
    memset(&d, 0, sizeof d);
    snprintf(d.file, sizeof d.file, "%s", a->cdr);
    int rc = bh_cdr_rate(sc, a->cdr, &c, &d);
    if (rc) {
        if (rc == BH_ENOMEM)
            fprintf(stderr, "busyhour report: out of memory\n");
        else if (rc == BH_EINVAL)
            fprintf(stderr, "busyhour report: %s: %s\n", a->scenario, d.msg);
        else
            bh_diag_print(&d, stderr);
        bh_scenario_free(sc);
        return BH_EXIT_USAGE;
    }
    if (a->md || !a->csv)
        rc |= write_md(a->md ? a->md : "-", &c, sc, a->cdr);
    if (a->csv)
        rc |= write_csv(a->csv, &c, sc);
    if (c.unpriced)
        fprintf(stderr,
                "busyhour report: %llu calls not priced: no tariffs.prefixes "
                "code matches their number\n",
                (unsigned long long)c.unpriced);
    bh_cdr_costs_clear(&c);
    bh_scenario_free(sc);
    return rc ? BH_EXIT_USAGE : BH_EXIT_OK;
}
