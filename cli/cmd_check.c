/* cmd_check.c: `busyhour check SCENARIO`: validate a scenario file and
 * summarise the offered load at each number's and bridge's busiest
 * interval against its capacity. */
#include "bh.h"
#include "cli.h"
#include "scenario.h"
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400.0
#define CLOCK_TEXT 80 /* "day N HH:MM" for any long N: no truncation */

static void
help(FILE *out) {
    fprintf(out,
            "usage: busyhour check SCENARIO [--json FILE]\n"
            "\n"
            "Validates a scenario file (schema: scenarios/README.md) and "
            "prints a short\nsummary: for every number and bridge, the "
            "offered load in Erlangs in its\nbusiest reporting interval "
            "against its capacity (lines, operators, ports),\nwith the "
            "blocking of that load on the lines or ports and, for\n"
            "an operator queue, the Erlang C probability of waiting.\n"
            "Blocking is Erlang B; Engset when the one traffic item is a "
            "finite\npopulation (sources:); Hayward's approximation B(A/Z, "
            "C/Z) on a bridge\nmeetings reach, Z the peakedness of their "
            "participants arriving together\n(E[X^2]/E[X] of the "
            "participants per meeting). Meetings on a schedule:\nthe slot "
            "demanding the most ports, at its peak (its participants, "
            "those of\nearlier meetings still running, the other "
            "traffic), its blocking E[(D - C)+]\nover its participants "
            "with the demand D taken as normal (\"scheduled batch\").\n"
            "\n"
            "Offered load counts first attempts only (no retries), with "
            "the mean\nholding times the simulator draws (a normal "
            "distribution is truncated at\n0), and, on a number, the IVR "
            "menu time; a campaign offers ring time plus\nanswered talk "
            "time on its via: number; meeting participants offer the\n"
            "duration less the mean join spread, plus the passcode "
            "entry.\n"
            "\n"
            "Options:\n"
            "  --json FILE  also write the result (or the error) as JSON to "
            "FILE\n"
            "               ('-' for standard output)\n"
            "  --help       show this help\n"
            "\n"
            "Exit status: 0 the scenario is valid; 2 it is not (the error is "
            "printed\nto stderr as FILE:LINE:COLUMN: message) or the usage "
            "is wrong.\n");
}

/* One number's or bridge's line of the summary. */
struct summary {
    const char *name;
    const char *kind; /* "number" or "bridge" */
    int capacity;     /* lines or ports */
    int operators;    /* 0 = no queue */
    struct bh_sim_busiest busiest;
};

static void
summarise(const struct bh_scenario *sc, enum bh_target_kind kind, int index,
          struct summary *out) {
    memset(out, 0, sizeof *out);
    if (kind == BH_TARGET_NUMBER) {
        const struct bh_sc_number *n = &sc->sw.numbers[index];
        out->name = n->name;
        out->kind = "number";
        out->capacity = n->lines;
        out->operators = n->queue.present ? n->queue.operators : 0;
    } else {
        const struct bh_sc_bridge *b = &sc->sw.bridges[index];
        out->name = b->name;
        out->kind = "bridge";
        out->capacity = b->ports;
    }
    bh_sim_busiest(sc, kind, index, 0, &out->busiest);
}

static void
clock_text(double t, double start, char *buf, size_t size) {
    double tod = fmod(start + t, DAY);
    long day = (long)((start + t) / DAY);
    long m = (long)floor(tod / 60 + 1e-9);
    if (day > 0)
        snprintf(buf, size, "day %ld %02ld:%02ld", day + 1, m / 60, m % 60);
    else
        snprintf(buf, size, "%02ld:%02ld", m / 60, m % 60);
}

static void
json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
json_num(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

static int
write_json(const char *path, const struct bh_scenario *sc,
           const struct bh_diag *d, const struct summary *sum, size_t n) {
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    fputs("{\"valid\": ", f);
    fputs(sc ? "true" : "false", f);
    if (!sc) {
        fputs(", \"error\": {\"file\": ", f);
        json_str(f, d->file);
        fprintf(f, ", \"line\": %d, \"column\": %d, \"message\": ", d->line,
                d->column);
        json_str(f, d->msg);
        fputs("}}\n", f);
    } else {
        fputs(", \"scenario\": ", f);
        json_str(f, sc->name);
        fprintf(f, ", \"seed\": %lu, \"horizon\": ", sc->seed);
        json_num(f, sc->horizon);
        fputs(", \"interval\": ", f);
        json_num(f, sc->interval);
        fputs(", \"targets\": {", f);
        for (size_t i = 0; i < n; i++) {
            const struct summary *s = &sum[i];
            char at[CLOCK_TEXT];
            const struct bh_sim_busiest *z = &s->busiest;
            clock_text(z->start, sc->start, at, sizeof at);
            fputs(i ? ", " : "", f);
            json_str(f, s->name);
            fputs(": {\"kind\": ", f);
            json_str(f, s->kind);
            fputs(", \"busiest\": ", f);
            json_str(f, at);
            fputs(", \"offered\": ", f);
            json_num(f, z->offered);
            fprintf(f, ", \"capacity\": %d, \"blocking\": ", s->capacity);
            json_num(f, z->blocking);
            fputs(", \"model\": ", f);
            json_str(f, z->model ? z->model : "Erlang B");
            fputs(", \"peakedness\": ", f);
            json_num(f, z->peakedness);
            if (s->operators) {
                fprintf(f, ", \"operators\": %d, \"operator_offered\": ",
                        s->operators);
                json_num(f, z->op_offered);
                fputs(", \"p_wait\": ", f);
                json_num(f, z->p_wait);
            }
            fputs("}", f);
        }
        fputs("}}\n", f);
    }
    if (f != stdout && fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int
bh_cmd_check(int argc, char **argv) {
    const char *file = NULL, *json = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help(stdout);
            return BH_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            if (i + 1 >= argc)
                return bh_cli_usage_error("check", "--json needs a FILE");
            json = argv[++i];
        } else if (strncmp(argv[i], "--json=", 7) == 0) {
            json = argv[i] + 7;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return bh_cli_usage_error("check",
                                      "unknown option '%s' (see "
                                      "busyhour check --help)",
                                      argv[i]);
        } else if (file) {
            return bh_cli_usage_error("check", "one SCENARIO only");
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return bh_cli_usage_error("check", "no SCENARIO given (see busyhour "
                                           "check --help)");
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_load(file, &sc, &d);
    if (rc) {
        bh_diag_print(&d, stderr);
        if (json)
            write_json(json, NULL, &d, NULL, 0);
        return BH_EXIT_USAGE;
    }
    size_t n = sc->sw.nnumbers + sc->sw.nbridges;
    struct summary *sum = calloc(n ? n : 1, sizeof *sum);
    if (!sum) {
        bh_scenario_free(sc);
        fprintf(stderr, "busyhour check: out of memory\n");
        return BH_EXIT_USAGE;
    }
    for (size_t i = 0; i < sc->sw.nnumbers; i++)
        summarise(sc, BH_TARGET_NUMBER, (int)i, &sum[i]);
    for (size_t i = 0; i < sc->sw.nbridges; i++)
        summarise(sc, BH_TARGET_BRIDGE, (int)i, &sum[sc->sw.nnumbers + i]);

    FILE *out = json && strcmp(json, "-") == 0 ? stderr : stdout;
    char hz[32], iv[32], st[CLOCK_TEXT];
    bh_format_duration(sc->horizon, hz, sizeof hz);
    bh_format_duration(sc->interval, iv, sizeof iv);
    clock_text(0, sc->start, st, sizeof st);
    fprintf(out,
            "%s: valid: %zu number%s, %zu bridge%s, %zu traffic item%s, %zu "
            "threshold%s\n",
            file, sc->sw.nnumbers, sc->sw.nnumbers == 1 ? "" : "s",
            sc->sw.nbridges, sc->sw.nbridges == 1 ? "" : "s", sc->nsources,
            sc->nsources == 1 ? "" : "s", sc->nthresholds,
            sc->nthresholds == 1 ? "" : "s");
    fprintf(out, "horizon %s from %s, interval %s, seed %lu\n\n", hz, st, iv,
            sc->seed);
    fprintf(out, "%-16s %-7s %-9s %10s  %-16s %s\n", "target", "kind",
            "busiest", "offered", "capacity", "at that load");
    for (size_t i = 0; i < n; i++) {
        const struct summary *s = &sum[i];
        const struct bh_sim_busiest *z = &s->busiest;
        char at[CLOCK_TEXT], cap[32];
        clock_text(z->start, sc->start, at, sizeof at);
        snprintf(cap, sizeof cap, "%d %s", s->capacity,
                 strcmp(s->kind, "number") == 0 ? "lines" : "ports");
        if (z->sources == 0) {
            fprintf(out, "%-16s %-7s %-9s %10s  %-16s %s\n", s->name, s->kind,
                    "-", "0.00 E", cap, "no traffic");
            continue;
        }
        char off[32];
        snprintf(off, sizeof off, "%.2f E", z->offered);
        char model[48];
        if (z->slot_now > 0)
            snprintf(model, sizeof model, "scheduled batch (%.0f dial in)",
                     z->slot_now);
        else if (z->engset_sources > 0)
            snprintf(model, sizeof model, "Engset (%ld sources)",
                     z->engset_sources);
        else if (z->peakedness > 1 + 1e-9)
            snprintf(model, sizeof model, "Hayward (meetings, Z = %.2f)",
                     z->peakedness);
        else
            snprintf(model, sizeof model, "Erlang B");
        char pc[32];
        bh_format_percent(z->blocking, 4, pc, sizeof pc);
        fprintf(out, "%-16s %-7s %-9s %10s  %-16s %s blocking %s\n", s->name,
                s->kind, at, off, cap, model, pc);
        if (s->operators) {
            snprintf(off, sizeof off, "%.2f E", z->op_offered);
            snprintf(cap, sizeof cap, "%d operators", s->operators);
            fprintf(out, "%-16s %-7s %-9s %10s  %-16s ", "", "queue", at, off,
                    cap);
            if (z->op_offered >= s->operators)
                fprintf(out, "overloaded (offered >= operators)\n");
            else {
                bh_format_percent(z->p_wait, 4, pc, sizeof pc);
                fprintf(out, "Erlang C P(wait) %s, occupancy %.1f%%\n", pc,
                        100 * z->op_offered / s->operators);
            }
        }
    }
    int status = BH_EXIT_OK;
    if (json && write_json(json, sc, NULL, sum, n) != 0)
        status = BH_EXIT_USAGE;
    free(sum);
    bh_scenario_free(sc);
    return status;
}
