/* cmd_erlang.c: `busyhour erlang b|c|a|engset`, the exact formulas of
 * sim/erlang.c as a calculator with readable or --json output. */
#include "bh.h"
#include "cli.h"
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every option any erlang subcommand knows; each subcommand accepts the
 * subset named in its table. Values are borrowed views of argv. */
enum opt {
    O_TRAFFIC,
    O_RATE,
    O_AHT,
    O_LINES,
    O_AGENTS,
    O_TARGET_BLOCKING,
    O_TARGET_TIME,
    O_TARGET_SL,
    O_PATIENCE,
    O_MAX_ABANDON,
    O_SOURCES,
    O_PER_SOURCE,
    O_PER_IDLE_SOURCE,
    O_JSON,
    O_COUNT
};

static const char *const opt_names[O_COUNT] = {
    "traffic",
    "rate",
    "aht",
    "lines",
    "agents",
    "target-blocking",
    "target-time",
    "target-sl",
    "patience",
    "max-abandon",
    "sources",
    "traffic-per-source",
    "traffic-per-idle-source",
    "json",
};

struct args {
    const char *cmd;        /* "erlang b" etc., for messages */
    const char *v[O_COUNT]; /* option values, NULL when not given */
    int help;               /* --help seen */
};

static const char erlang_help[] =
    "usage: busyhour erlang b|c|a|engset [OPTIONS]\n"
    "\n"
    "The exact queueing formulas, as a calculator.\n"
    "\n"
    "  b       Erlang B: blocking on N lines, or the fewest lines for a\n"
    "          target blocking (blocked calls cleared, M/M/N/N)\n"
    "  c       Erlang C: waiting, speed of answer and service level with N\n"
    "          agents and an endless queue, or the fewest agents for a\n"
    "          service level (M/M/N)\n"
    "  a       Erlang A: as C but callers hang up after an exponential\n"
    "          patience (M/M/N+M); or the fewest agents for targets\n"
    "  engset  Engset: blocking on N lines offered by K sources\n"
    "\n"
    "Run 'busyhour erlang SUB --help' for the options of each. Traffic is in\n"
    "Erlangs (--traffic), or --rate (calls per hour) with --aht. Durations\n"
    "take units (90s, 4m, 1h; a bare number is seconds); shares take 80%\n"
    "or 0.8. --json FILE writes the figures as a JSON object ('-' for\n"
    "stdout). Exit status 0, or 2 with a one-line reason on bad arguments.\n";

static const char traffic_help[] =
    "  --traffic A          offered traffic, Erlangs (>= 0)\n"
    "  --rate R             instead of --traffic: calls per hour, with --aht\n"
    "                       (A = R x aht / 3600)\n";

static const char json_help[] =
    "  --json FILE          write the result as a JSON object to FILE ('-'\n"
    "                       for stdout; numbers at full precision)\n"
    "  --help               this text\n";

static void
help_b(void) {
    printf("usage: busyhour erlang b (--traffic A | --rate R --aht S)\n"
           "                         (--lines N | --target-blocking P) "
           "[--json FILE]\n"
           "\n"
           "Erlang B: the share of calls that find all lines busy and are\n"
           "lost (Poisson arrivals, any holding-time distribution).\n"
           "\n%s"
           "  --aht S              mean holding time (with --rate), e.g. "
           "180, 3m\n"
           "  --lines N            lines (integer >= 1): prints "
           "{\"blocking\"}\n"
           "  --target-blocking P  target blocking (1%% or 0.01): prints the "
           "fewest\n"
           "                       lines meeting it, {\"lines\", "
           "\"blocking\"}\n%s",
           traffic_help, json_help);
}

static void
help_c(void) {
    printf("usage: busyhour erlang c (--traffic A | --rate R) --aht S "
           "--target-time T\n"
           "                         (--agents N | --target-sl X) "
           "[--json FILE]\n"
           "\n"
           "Erlang C: callers queue until an agent is free and never hang "
           "up\n"
           "(M/M/N, first come first served).\n"
           "\n%s"
           "  --aht S              mean handling time (> 0), e.g. 180, 3m\n"
           "  --target-time T      service-level target time, e.g. 20s\n"
           "  --agents N           agents (integer >= 1): prints {\"p_wait\", "
           "\"asa\",\n"
           "                       \"service_level\", \"occupancy\"}\n"
           "  --target-sl X        service-level target (80%% or 0.8, below "
           "100%%):\n"
           "                       prints the fewest agents meeting it, "
           "{\"agents\", ...}\n"
           "%sFields: p_wait = probability a call waits; asa = mean wait of "
           "all calls,\n"
           "seconds (null when traffic >= agents: the queue grows without "
           "end);\n"
           "service_level = share answered within T; occupancy = traffic / "
           "agents.\n",
           traffic_help, json_help);
}

static void
help_a(void) {
    printf("usage: busyhour erlang a (--traffic A | --rate R) --aht S "
           "--patience P\n"
           "                         --target-time T (--agents N | "
           "[--target-sl X]\n"
           "                         [--max-abandon Y]) [--json FILE]\n"
           "\n"
           "Erlang A: callers queue and hang up after an exponential "
           "patience\n"
           "(M/M/N+M).\n"
           "\n%s"
           "  --aht S              mean handling time (> 0), e.g. 180, 3m\n"
           "  --patience P         mean patience of a waiting caller, e.g. "
           "90s\n"
           "                       (0: nobody waits, the Erlang B loss "
           "system)\n"
           "  --target-time T      service-level target time, e.g. 20s\n"
           "  --agents N           agents (integer >= 1): prints {\"p_wait\", "
           "\"p_abandon\",\n"
           "                       \"asa\", \"service_level\"}\n"
           "  --target-sl X        instead of --agents: service-level target "
           "(80%% or\n"
           "                       0.8, below 100%%) ...\n"
           "  --max-abandon Y      ... and/or highest abandonment (5%% or "
           "0.05); prints\n"
           "                       the fewest agents meeting both, "
           "{\"agents\", ...}\n"
           "%sFields: p_wait = probability all agents are busy on arrival; "
           "p_abandon =\n"
           "share of calls that hang up; asa = mean wait of answered calls, "
           "seconds\n"
           "(0 for those answered at once); service_level = share of ALL "
           "offered\n"
           "calls answered within T (abandoned calls count as missed).\n",
           traffic_help, json_help);
}

static void
help_engset(void) {
    printf("usage: busyhour erlang engset --sources K --lines N\n"
           "         (--traffic-per-source a | --traffic A |\n"
           "          --traffic-per-idle-source b) [--json FILE]\n"
           "\n"
           "Engset: call congestion (the share of call attempts that find all "
           "lines\n"
           "busy) when K sources share N lines and blocked calls are cleared.\n"
           "\n"
           "  --sources K          traffic sources, e.g. extensions (integer "
           ">= 1)\n"
           "  --lines N            lines (integer >= 1)\n"
           "  --traffic-per-source a\n"
           "                       offered traffic per source, Erlangs: A / K, "
           "where A\n"
           "                       is the total offered traffic counting every "
           "attempt,\n"
           "                       blocked ones too (the convention of the "
           "common\n"
           "                       Engset calculators, e.g. erlang.com and "
           "Wikipedia's\n"
           "                       iterative form); below 1 when N >= K\n"
           "  --traffic A          total offered traffic, Erlangs (= K x a)\n"
           "  --traffic-per-idle-source b\n"
           "                       instead: attempt rate of one idle source x "
           "mean\n"
           "                       holding time (Iversen's beta; the formula's "
           "own\n"
           "                       parameter)\n"
           "%sPrints {\"blocking\"}.\n",
           json_help);
}

/* ---- Argument parsing ------------------------------------------------ */

/* Reads argv into ar->v, accepting only the options in allowed. Returns
 * -1 when the subcommand should go on, else the exit status to return at
 * once: 0 after printing help for --help, BH_EXIT_USAGE after a usage
 * error (printed). */
static int
parse_args(struct args *ar, int argc, char **argv, const enum opt *allowed,
           size_t n_allowed, void (*help)(void)) {
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            ar->help = 1;
            continue;
        }
        if (strncmp(s, "--", 2) != 0)
            return bh_cli_usage_error(ar->cmd, "unexpected argument '%s'", s);
        const char *name = s + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int found = -1;
        for (size_t k = 0; k < n_allowed; k++) {
            const char *o = opt_names[allowed[k]];
            if (strlen(o) == len && strncmp(o, name, len) == 0)
                found = (int)allowed[k];
        }
        if (found < 0)
            return bh_cli_usage_error(ar->cmd, "unknown option '%.*s'",
                                      (int)(len + 2), s);
        const char *val;
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            return bh_cli_usage_error(ar->cmd, "--%s needs a value",
                                      opt_names[found]);
        }
        if (ar->v[found])
            return bh_cli_usage_error(ar->cmd, "--%s given twice",
                                      opt_names[found]);
        ar->v[found] = val;
    }
    if (ar->help) {
        help();
        return BH_EXIT_OK;
    }
    return -1;
}

/* A plain non-negative decimal number: digits, optional fraction and
 * exponent; no sign, no inf/nan, no hex, nothing after it. */
static int
plain_number(const char *s, double *out) {
    if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
        return 0;
    for (const char *p = s; *p; p++)
        if (*p == 'x' || *p == 'X')
            return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v) || v < 0)
        return 0;
    *out = v;
    return 1;
}

static int
get_number(const struct args *ar, enum opt o, double *out) {
    if (!plain_number(ar->v[o], out))
        return bh_cli_usage_error(ar->cmd,
                                  "--%s wants a non-negative number, not "
                                  "'%s'",
                                  opt_names[o], ar->v[o]);
    return 0;
}

static int
get_count(const struct args *ar, enum opt o, long *out) {
    const char *s = ar->v[o];
    long v = 0;
    int ok = *s != '\0';
    for (const char *p = s; *p && ok; p++) {
        if (!isdigit((unsigned char)*p) || v > BH_ERLANG_MAX_SERVERS)
            ok = 0;
        else
            v = v * 10 + (*p - '0');
    }
    if (!ok || v < 1 || v > BH_ERLANG_MAX_SERVERS)
        return bh_cli_usage_error(ar->cmd,
                                  "--%s wants a whole number from 1 to %ld, "
                                  "not '%s'",
                                  opt_names[o], BH_ERLANG_MAX_SERVERS, s);
    *out = v;
    return 0;
}

/* Seconds: a bare number, or a duration with units. */
static int
get_duration(const struct args *ar, enum opt o, double *out) {
    const char *s = ar->v[o];
    double v;
    if (!plain_number(s, &v) &&
        (s[0] == '-' || bh_parse_duration(s, &v) != 0 || v < 0))
        return bh_cli_usage_error(ar->cmd,
                                  "--%s wants a duration such as 90, 90s or "
                                  "4m, not '%s'",
                                  opt_names[o], s);
    *out = v;
    return 0;
}

/* A share: "80%" or a fraction 0.8. */
static int
get_share(const struct args *ar, enum opt o, double *out) {
    const char *s = ar->v[o];
    size_t len = strlen(s);
    double v;
    int ok = len > 0 && s[len - 1] == '%' ? bh_parse_percent(s, &v) == 0
                                          : plain_number(s, &v) && v <= 1;
    if (!ok)
        return bh_cli_usage_error(ar->cmd,
                                  "--%s wants a share such as 80%% or 0.8, "
                                  "not '%s'",
                                  opt_names[o], s);
    *out = v;
    return 0;
}

static int
need(const struct args *ar, enum opt o) {
    if (!ar->v[o])
        return bh_cli_usage_error(ar->cmd, "missing --%s (see --help)",
                                  opt_names[o]);
    return 0;
}

/* Offered Erlangs from --traffic, or --rate (calls/hour) x aht (s). */
static int
get_traffic(const struct args *ar, double aht, double *a) {
    if (ar->v[O_TRAFFIC] && ar->v[O_RATE])
        return bh_cli_usage_error(ar->cmd,
                                  "give --traffic or --rate, not both");
    if (ar->v[O_TRAFFIC])
        return get_number(ar, O_TRAFFIC, a);
    if (!ar->v[O_RATE])
        return bh_cli_usage_error(ar->cmd,
                                  "missing --traffic (or --rate with --aht)");
    if (!(aht > 0))
        return bh_cli_usage_error(ar->cmd, "--rate needs --aht");
    double r;
    int rc = get_number(ar, O_RATE, &r);
    if (rc)
        return rc;
    *a = r * aht / 3600;
    if (!isfinite(*a))
        return bh_cli_usage_error(ar->cmd, "--rate x --aht is too large");
    return 0;
}

static int
get_needed_duration(const struct args *ar, enum opt o, double *out) {
    int rc = need(ar, o);
    return rc ? rc : get_duration(ar, o, out);
}

/* A queue's load: --aht (s, > 0, required) and the offered Erlangs. */
static int
queue_load(const struct args *ar, double *aht, double *a) {
    int rc = get_needed_duration(ar, O_AHT, aht);
    if (rc)
        return rc;
    if (!(*aht > 0))
        return bh_cli_usage_error(ar->cmd, "--aht must be above 0");
    return get_traffic(ar, *aht, a);
}

/* ---- Output ------------------------------------------------------------ */

/* Adds a real, or null for an infinite value (JSON has no infinity). */
static void
put_real(json_t *o, const char *key, double v) {
    json_object_set_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

/* Writes obj (stolen, may be NULL when out of memory) to --json's file,
 * if --json was given; returns an exit status. */
static int
emit_json(const struct args *ar, json_t *obj) {
    int rc = BH_EXIT_OK;
    const char *path = ar->v[O_JSON];
    if (!path) {
        json_decref(obj);
        return rc;
    }
    size_t flags =
        JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    if (!obj) {
        rc = bh_cli_usage_error(ar->cmd, "%s", bh_strerror(BH_ENOMEM));
    } else if (strcmp(path, "-") == 0) {
        if (json_dumpf(obj, stdout, flags) != 0 || fputc('\n', stdout) < 0)
            rc = bh_cli_usage_error(ar->cmd, "cannot write to stdout");
    } else {
        FILE *f = fopen(path, "w");
        int bad = !f || json_dumpf(obj, f, flags) != 0 || fputc('\n', f) < 0;
        if (f && fclose(f) != 0)
            bad = 1;
        if (bad)
            rc = bh_cli_usage_error(ar->cmd, "cannot write '%s': %s", path,
                                    strerror(errno));
    }
    json_decref(obj);
    return rc;
}

/* Readable output goes to stdout unless the JSON does. */
static int
human(const struct args *ar) {
    return !ar->v[O_JSON] || strcmp(ar->v[O_JSON], "-") != 0;
}

static void
print_asa(double asa) {
    if (isfinite(asa))
        printf("ASA %.4g s", asa);
    else
        printf("ASA unbounded (traffic >= agents)");
}

/* ---- Subcommands ------------------------------------------------------- */

/* A percentage for the human line: four decimals, and "< 0.001%" where
 * four decimals would print 0.0000% of a real, tiny figure. */
struct pct {
    char s[32];
};

static struct pct
pct(double fraction) {
    struct pct p;
    if (fraction > 0 && fraction < BH_PERCENT_TINY)
        bh_format_percent(fraction, 4, p.s, sizeof p.s);
    else
        snprintf(p.s, sizeof p.s, "%.4f%%", 100 * fraction);
    return p;
}

static int
run_b(struct args *ar, int argc, char **argv) {
    static const enum opt ok[] = {O_TRAFFIC,         O_RATE, O_AHT, O_LINES,
                                  O_TARGET_BLOCKING, O_JSON};
    int rc = parse_args(ar, argc, argv, ok, sizeof ok / sizeof *ok, help_b);
    if (rc >= 0)
        return rc;
    double aht = 0, a, target;
    long n;
    if (ar->v[O_AHT] && (rc = get_duration(ar, O_AHT, &aht)))
        return rc;
    if ((rc = get_traffic(ar, aht, &a)))
        return rc;
    if (!!ar->v[O_LINES] == !!ar->v[O_TARGET_BLOCKING])
        return bh_cli_usage_error(ar->cmd, "give exactly one of --lines and "
                                           "--target-blocking");
    if (ar->v[O_LINES]) {
        if ((rc = get_count(ar, O_LINES, &n)))
            return rc;
        double b = bh_erlang_b(a, n);
        if (human(ar))
            printf("blocking %.6g (%s): %.6g Erlangs on %ld lines\n", b,
                   pct(b).s, a, n);
        json_t *o = json_object();
        if (o)
            put_real(o, "blocking", b);
        return emit_json(ar, o);
    }
    if ((rc = get_share(ar, O_TARGET_BLOCKING, &target)))
        return rc;
    if (target < 1e-300)
        return bh_cli_usage_error(ar->cmd, "--target-blocking must be above 0");
    if (target >= 1) /* 0 lines would "meet" it: every call blocked */
        return bh_cli_usage_error(ar->cmd,
                                  "--target-blocking %g means %g%%: every "
                                  "call may be blocked; write 1%% for one "
                                  "percent",
                                  target, 100 * target);
    double b;
    rc = bh_erlang_b_lines(a, target, &n, &b);
    if (rc < 0)
        return bh_cli_usage_error(ar->cmd, "no answer within %ld lines: %s",
                                  BH_ERLANG_MAX_SERVERS, bh_strerror(rc));
    if (human(ar))
        printf("%ld lines: blocking %.6g (%s) at %.6g Erlangs\n", n, b,
               pct(b).s, a);
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "lines", json_integer(n));
        put_real(o, "blocking", b);
    }
    return emit_json(ar, o);
}

static int
run_c(struct args *ar, int argc, char **argv) {
    static const enum opt ok[] = {O_TRAFFIC,     O_RATE,      O_AHT, O_AGENTS,
                                  O_TARGET_TIME, O_TARGET_SL, O_JSON};
    int rc = parse_args(ar, argc, argv, ok, sizeof ok / sizeof *ok, help_c);
    if (rc >= 0)
        return rc;
    double aht = 0, a = 0, t = 0, sl = 0;
    long n = 0;
    if ((rc = queue_load(ar, &aht, &a)) ||
        (rc = get_needed_duration(ar, O_TARGET_TIME, &t)))
        return rc;
    if (!!ar->v[O_AGENTS] == !!ar->v[O_TARGET_SL])
        return bh_cli_usage_error(ar->cmd, "give exactly one of --agents and "
                                           "--target-sl");
    struct bh_erlang_c r;
    int inverse = ar->v[O_TARGET_SL] != NULL;
    if (!inverse) {
        if ((rc = get_count(ar, O_AGENTS, &n)))
            return rc;
        rc = bh_erlang_c_eval(a, n, aht, t, &r);
    } else {
        if ((rc = get_share(ar, O_TARGET_SL, &sl)))
            return rc;
        if (sl >= 1)
            return bh_cli_usage_error(ar->cmd, "--target-sl must be below "
                                               "100%% (no finite number of "
                                               "agents answers every call at "
                                               "once)");
        rc = bh_erlang_c_agents(a, aht, t, sl, &n, &r);
    }
    if (rc < 0)
        return bh_cli_usage_error(ar->cmd, "cannot compute: %s",
                                  bh_strerror(rc));
    if (human(ar)) {
        printf("%ld agents: P(wait) %.6g, ", n, r.p_wait);
        print_asa(r.asa);
        printf(", service level %s within %gs, occupancy %s\n",
               pct(r.service_level).s, t, pct(r.occupancy).s);
    }
    json_t *o = json_object();
    if (o) {
        if (inverse)
            json_object_set_new(o, "agents", json_integer(n));
        put_real(o, "p_wait", r.p_wait);
        put_real(o, "asa", r.asa);
        put_real(o, "service_level", r.service_level);
        put_real(o, "occupancy", r.occupancy);
    }
    return emit_json(ar, o);
}

static int
run_a(struct args *ar, int argc, char **argv) {
    static const enum opt ok[] = {O_TRAFFIC,   O_RATE,        O_AHT,
                                  O_AGENTS,    O_PATIENCE,    O_TARGET_TIME,
                                  O_TARGET_SL, O_MAX_ABANDON, O_JSON};
    int rc = parse_args(ar, argc, argv, ok, sizeof ok / sizeof *ok, help_a);
    if (rc >= 0)
        return rc;
    double aht = 0, a = 0, t = 0, patience = 0, sl = 0, ab = 1;
    long n = 0;
    if ((rc = queue_load(ar, &aht, &a)) ||
        (rc = get_needed_duration(ar, O_PATIENCE, &patience)) ||
        (rc = get_needed_duration(ar, O_TARGET_TIME, &t)))
        return rc;
    int inverse = ar->v[O_TARGET_SL] || ar->v[O_MAX_ABANDON];
    if (!!ar->v[O_AGENTS] == inverse)
        return bh_cli_usage_error(ar->cmd,
                                  "give either --agents or targets "
                                  "(--target-sl and/or --max-abandon)");
    struct bh_erlang_a r;
    if (!inverse) {
        if ((rc = get_count(ar, O_AGENTS, &n)))
            return rc;
        rc = bh_erlang_a_eval(a, n, aht, patience, t, &r);
    } else {
        if (ar->v[O_TARGET_SL] && (rc = get_share(ar, O_TARGET_SL, &sl)))
            return rc;
        if (ar->v[O_MAX_ABANDON] && (rc = get_share(ar, O_MAX_ABANDON, &ab)))
            return rc;
        if (sl >= 1)
            return bh_cli_usage_error(ar->cmd,
                                      "--target-sl must be below 100%%");
        if (ab <= 0)
            return bh_cli_usage_error(ar->cmd, "--max-abandon must be above 0");
        rc = bh_erlang_a_agents(a, aht, patience, t, sl, ab, &n, &r);
    }
    if (rc < 0)
        return bh_cli_usage_error(
            ar->cmd, "cannot compute: %s (the queue is too long to sum)",
            bh_strerror(rc));
    if (human(ar))
        printf("%ld agents: P(wait) %.6g, abandoned %s, ASA %.4g s, "
               "service level %s within %gs\n",
               n, r.p_wait, pct(r.p_abandon).s, r.asa, pct(r.service_level).s,
               t);
    json_t *o = json_object();
    if (o) {
        if (inverse)
            json_object_set_new(o, "agents", json_integer(n));
        put_real(o, "p_wait", r.p_wait);
        put_real(o, "p_abandon", r.p_abandon);
        put_real(o, "asa", r.asa);
        put_real(o, "service_level", r.service_level);
    }
    return emit_json(ar, o);
}

static int
run_engset(struct args *ar, int argc, char **argv) {
    static const enum opt ok[] = {O_SOURCES, O_LINES,           O_PER_SOURCE,
                                  O_TRAFFIC, O_PER_IDLE_SOURCE, O_JSON};
    int rc =
        parse_args(ar, argc, argv, ok, sizeof ok / sizeof *ok, help_engset);
    if (rc >= 0)
        return rc;
    long k, n;
    if ((rc = need(ar, O_SOURCES)) || (rc = get_count(ar, O_SOURCES, &k)) ||
        (rc = need(ar, O_LINES)) || (rc = get_count(ar, O_LINES, &n)))
        return rc;
    int given =
        !!ar->v[O_PER_SOURCE] + !!ar->v[O_TRAFFIC] + !!ar->v[O_PER_IDLE_SOURCE];
    if (given != 1)
        return bh_cli_usage_error(ar->cmd,
                                  "give exactly one of --traffic-per-source, "
                                  "--traffic and --traffic-per-idle-source");
    double x, b, beta;
    if (ar->v[O_PER_IDLE_SOURCE]) {
        if ((rc = get_number(ar, O_PER_IDLE_SOURCE, &x)))
            return rc;
        beta = x;
        b = bh_erlang_engset(k, n, beta);
    } else {
        enum opt o = ar->v[O_TRAFFIC] ? O_TRAFFIC : O_PER_SOURCE;
        if ((rc = get_number(ar, o, &x)))
            return rc;
        double alpha = o == O_TRAFFIC ? x / (double)k : x;
        b = bh_erlang_engset_offered(k, n, alpha, &beta);
        if (isnan(b) && n >= k)
            return bh_cli_usage_error(ar->cmd,
                                      "with lines >= sources nothing is "
                                      "blocked and each source offers below "
                                      "1 Erlang; %g is too much",
                                      alpha);
        if (isnan(b))
            return bh_cli_usage_error(ar->cmd,
                                      "%g Erlangs per source is beyond "
                                      "what the formula can solve",
                                      alpha);
    }
    if (human(ar))
        printf("blocking %.6g (%s): %ld sources on %ld lines, %.6g "
               "Erlangs per idle source\n",
               b, pct(b).s, k, n, beta);
    json_t *o = json_object();
    if (o)
        put_real(o, "blocking", b);
    return emit_json(ar, o);
}

int
bh_cmd_erlang(int argc, char **argv) {
    if (argc < 2)
        return bh_cli_usage_error("erlang", "missing b, c, a or engset "
                                            "(see 'busyhour erlang --help')");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
        strcmp(sub, "help") == 0) {
        fputs(erlang_help, stdout);
        return BH_EXIT_OK;
    }
    struct args ar = {0};
    if (strcmp(sub, "b") == 0) {
        ar.cmd = "erlang b";
        return run_b(&ar, argc - 2, argv + 2);
    }
    if (strcmp(sub, "c") == 0) {
        ar.cmd = "erlang c";
        return run_c(&ar, argc - 2, argv + 2);
    }
    if (strcmp(sub, "a") == 0) {
        ar.cmd = "erlang a";
        return run_a(&ar, argc - 2, argv + 2);
    }
    if (strcmp(sub, "engset") == 0) {
        ar.cmd = "erlang engset";
        return run_engset(&ar, argc - 2, argv + 2);
    }
    return bh_cli_usage_error("erlang", "'%s' is not b, c, a or engset", sub);
}
