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
#define MAX_EVAL_INTERVALS 100000 /* intervals scanned for the busiest */
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
            "Erlang B blocking of that load on the lines or ports and, for\n"
            "an operator queue, the Erlang C probability of waiting.\n"
            "\n"
            "Offered load counts first attempts only (no retries) and, on a "
            "number,\nthe IVR menu time; a campaign offers ring time plus "
            "answered talk time on\nits via: number; meetings offer "
            "participants x (duration + passcode entry).\n"
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

/* Load one source puts on a target, in Erlangs per (call per hour):
 * seconds a line (or port) is held per arrival, and seconds an operator is
 * busy per arrival. */
struct per_arrival {
    double line_s;
    double op_s;
};

static struct per_arrival
per_arrival(const struct bh_scenario *sc, const struct bh_sc_source *s) {
    struct per_arrival r = {0, 0};
    switch (s->kind) {
    case BH_SOURCE_CALLS:
        r.line_s = bh_dist_mean(&s->holding);
        if (s->target_kind == BH_TARGET_NUMBER) {
            const struct bh_sc_number *n = &sc->sw.numbers[s->target];
            if (n->ivr.present)
                r.line_s += n->ivr.menu_time;
            if (n->queue.present)
                r.op_s = bh_dist_mean(&s->holding) + n->queue.wrap_up;
        }
        break;
    case BH_SOURCE_MEETINGS:
        r.line_s =
            bh_dist_mean(&s->meetings.participants) *
            (bh_dist_mean(&s->meetings.duration) + s->meetings.passcode_entry);
        break;
    case BH_SOURCE_CAMPAIGN:
        r.line_s = bh_dist_mean(&s->campaign.ring) +
                   s->campaign.answer_probability * bh_dist_mean(&s->holding);
        break;
    }
    return r;
}

struct summary {
    const char *name;
    const char *kind;  /* "number" or "bridge" */
    int capacity;      /* lines or ports */
    int operators;     /* 0 = no queue */
    double busiest;    /* s since the horizon start */
    double offered;    /* Erlangs on lines / ports */
    double op_offered; /* Erlangs on operators */
    double blocking;   /* Erlang B on capacity */
    double p_wait;     /* Erlang C on operators */
    size_t nsources;
};

static void
summarise(const struct bh_scenario *sc, int kind, int index,
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
    size_t nint = (size_t)ceil(sc->horizon / sc->interval - 1e-9);
    if (nint > MAX_EVAL_INTERVALS)
        nint = MAX_EVAL_INTERVALS;
    if (nint == 0)
        nint = 1;
    for (size_t s = 0; s < sc->nsources; s++)
        if ((int)sc->sources[s].target_kind == kind &&
            sc->sources[s].target == index)
            out->nsources++;
    out->offered = -1;
    for (size_t k = 0; k < nint; k++) {
        double a = (double)k * sc->interval;
        double b = a + sc->interval;
        if (b > sc->horizon)
            b = sc->horizon;
        double lines = 0, ops = 0;
        for (size_t s = 0; s < sc->nsources; s++) {
            const struct bh_sc_source *src = &sc->sources[s];
            if ((int)src->target_kind != kind || src->target != index)
                continue;
            double rate =
                bh_profile_mean_rate(bh_source_profile(src), sc->start, a, b);
            struct per_arrival pa = per_arrival(sc, src);
            lines += rate * pa.line_s / 3600.0;
            ops += rate * pa.op_s / 3600.0;
        }
        if (lines > out->offered) {
            out->offered = lines;
            out->op_offered = ops;
            out->busiest = a;
        }
    }
    out->blocking = bh_erlang_b(out->offered, out->capacity);
    out->p_wait =
        out->operators ? bh_erlang_c(out->op_offered, out->operators) : 0;
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
            clock_text(s->busiest, sc->start, at, sizeof at);
            fputs(i ? ", " : "", f);
            json_str(f, s->name);
            fputs(": {\"kind\": ", f);
            json_str(f, s->kind);
            fputs(", \"busiest\": ", f);
            json_str(f, at);
            fputs(", \"offered\": ", f);
            json_num(f, s->offered);
            fprintf(f, ", \"capacity\": %d, \"blocking\": ", s->capacity);
            json_num(f, s->blocking);
            if (s->operators) {
                fprintf(f, ", \"operators\": %d, \"operator_offered\": ",
                        s->operators);
                json_num(f, s->op_offered);
                fputs(", \"p_wait\": ", f);
                json_num(f, s->p_wait);
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
        char at[CLOCK_TEXT], cap[32];
        clock_text(s->busiest, sc->start, at, sizeof at);
        snprintf(cap, sizeof cap, "%d %s", s->capacity,
                 strcmp(s->kind, "number") == 0 ? "lines" : "ports");
        if (s->nsources == 0) {
            fprintf(out, "%-16s %-7s %-9s %10s  %-16s %s\n", s->name, s->kind,
                    "-", "0.00 E", cap, "no traffic");
            continue;
        }
        char off[32];
        snprintf(off, sizeof off, "%.2f E", s->offered);
        fprintf(out, "%-16s %-7s %-9s %10s  %-16s Erlang B blocking %.4g%%\n",
                s->name, s->kind, at, off, cap, 100 * s->blocking);
        if (s->operators) {
            snprintf(off, sizeof off, "%.2f E", s->op_offered);
            snprintf(cap, sizeof cap, "%d operators", s->operators);
            fprintf(out, "%-16s %-7s %-9s %10s  %-16s ", "", "queue", at, off,
                    cap);
            if (s->op_offered >= s->operators)
                fprintf(out, "overloaded (offered >= operators)\n");
            else
                fprintf(out, "Erlang C P(wait) %.4g%%, occupancy %.1f%%\n",
                        100 * s->p_wait, 100 * s->op_offered / s->operators);
        }
    }
    int status = BH_EXIT_OK;
    if (json && write_json(json, sc, NULL, sum, n) != 0)
        status = BH_EXIT_USAGE;
    free(sum);
    bh_scenario_free(sc);
    return status;
}
