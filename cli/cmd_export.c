/* cmd_export.c: `busyhour export sipp SCENARIO DIR`: SIPp scenario and
 * injection files approximating the scenario's callers (the load
 * driver's export, driver.h). */
#include "bh.h"
#include "cli.h"
#include "driver.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

static void
help(FILE *out) {
    fprintf(out,
            "usage: busyhour export sipp SCENARIO DIR\n"
            "\n"
            "Writes, for each number the scenario's callers call, "
            "DIR/NAME.xml (a SIPp\nUAC scenario: INVITE, ACK, a pause for "
            "the holding time, BYE; busy\nanswers ACKed) and DIR/NAME.csv "
            "(its injection file: the holding times\nthe traffic model "
            "draws for the calls of the number's busiest interval).\nThe "
            "XML's first comment gives the command line (-r from that "
            "interval's\nrate, -m its calls) and what SIPp cannot do: it "
            "spaces calls evenly and\ncannot follow the day's profile; no "
            "patience, retrials, IVR digits,\nbridge passcodes or costs. "
            "busyhour load drives the scenario itself.\n"
            "\n"
            "Options:\n"
            "  --help   show this help\n"
            "\n"
            "Exit status: 0 written, 2 bad usage, a bad scenario or a file "
            "that cannot\nbe written.\n");
}

int
bh_cmd_export(int argc, char **argv) {
    const char *what = NULL, *path = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return BH_EXIT_OK;
        } else if (a[0] == '-' && a[1]) {
            return bh_cli_usage_error(
                "export", "unknown option '%s' (see busyhour export --help)",
                a);
        } else if (!what) {
            what = a;
        } else if (!path) {
            path = a;
        } else if (!dir) {
            dir = a;
        } else {
            return bh_cli_usage_error("export", "unexpected argument '%s'", a);
        }
    }
    if (!what || strcmp(what, "sipp") != 0)
        return bh_cli_usage_error("export",
                                  "what to export? only 'sipp' is known "
                                  "(busyhour export sipp SCENARIO DIR)");
    if (!path || !dir)
        return bh_cli_usage_error("export",
                                  "usage: busyhour export sipp SCENARIO DIR");
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    memset(&d, 0, sizeof d);
    if (bh_scenario_load(path, &sc, &d)) {
        bh_diag_print(&d, stderr);
        return BH_EXIT_USAGE;
    }
    struct bh_export_sipp *out = malloc(sizeof *out);
    if (!out) {
        bh_scenario_free(sc);
        fprintf(stderr, "busyhour export: out of memory\n");
        return BH_EXIT_USAGE;
    }
    int rc = bh_driver_export_sipp(sc, dir, out, &d);
    int status = BH_EXIT_OK;
    if (rc) {
        if (d.msg[0])
            bh_diag_print(&d, stderr);
        else
            fprintf(stderr, "busyhour export: %s\n", bh_strerror(rc));
        status = BH_EXIT_USAGE;
    } else {
        for (size_t i = 0; i < out->n; i++) {
            const struct bh_export_file *f = &out->files[i];
            printf("%s/%s.xml, %s.csv: number %s, %.0f calls an hour "
                   "(busiest interval), %ld calls\n"
                   "  sipp -sf %s/%s.xml -inf %s/%s.csv -r %.0f -rp 3600000 "
                   "-m %ld HOST:PORT\n",
                   dir, f->base, f->base, f->number, f->calls_per_hour,
                   f->calls, dir, f->base, dir, f->base, f->calls_per_hour,
                   f->calls);
        }
        if (out->n == 0)
            printf("nothing exported: no callers call a number\n");
        if (out->skipped)
            printf("not exported: %zu sources (meetings and campaigns: SIPp "
                   "cannot send passcodes or stand in for the outside "
                   "network)\n",
                   out->skipped);
    }
    free(out);
    bh_scenario_free(sc);
    return status;
}
