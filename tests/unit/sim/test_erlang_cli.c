/* test_erlang_cli.c: `busyhour erlang` run as a process: --json field
 * names and values, units, --help texts, and exit 2 with one line on
 * stderr for bad arguments, never a crash. */
#include "sim.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include <cmocka.h>

#define BUSYHOUR BH_BINARY_DIR "/cli/busyhour"

struct run {
    int status;     /* exit status, or -1 when killed by a signal */
    char out[8192]; /* stdout, NUL-terminated (truncated if longer) */
    char err[8192]; /* stderr, likewise */
};

static void
slurp(int fd, char *buf, size_t size) {
    size_t len = 0;
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
}

/* Runs busyhour with args (NULL-terminated, without argv[0]). */
static void
run(struct run *r, const char *const *args) {
    char out_path[] = "/tmp/bh_erlang_cli_outXXXXXX";
    char err_path[] = "/tmp/bh_erlang_cli_errXXXXXX";
    int out = mkstemp(out_path), err = mkstemp(err_path);
    assert_true(out >= 0 && err >= 0);
    unlink(out_path);
    unlink(err_path);
    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)BUSYHOUR;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        execv(BUSYHOUR, argv);
        _exit(127);
    }
    int st;
    assert_true(waitpid(pid, &st, 0) == pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
    close(out);
    close(err);
}

#define RUN(r, ...)                                                            \
    do {                                                                       \
        const char *const a_[] = {__VA_ARGS__, NULL};                          \
        run((r), a_);                                                          \
    } while (0)

/* Parses r->out as a JSON object whose keys are exactly those named
 * (in that order). Returns it (caller decrefs). */
static json_t *
json_with_keys(const struct run *r, const char *const *keys) {
    if (r->status != 0)
        fail_msg("exit %d, stderr: %s", r->status, r->err);
    json_error_t e;
    json_t *o = json_loads(r->out, 0, &e);
    if (!o)
        fail_msg("not JSON (%s): %s", e.text, r->out);
    assert_true(json_is_object(o));
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!keys[n] || strcmp(key, keys[n]) != 0)
            fail_msg("unexpected key '%s' at %zu", key, n);
        n++;
    }
    assert_null(keys[n]);
    return o;
}

static double
num(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static void
json_b(void **state) {
    struct run r;
    RUN(&r, "erlang", "b", "--traffic", "10", "--lines", "15", "--json", "-");
    json_t *o = json_with_keys(&r, (const char *[]){"blocking", NULL});
    /* Full precision: the printed number is the double itself. */
    assert_true(num(o, "blocking") == bh_erlang_b(10, 15));
    json_decref(o);

    RUN(&r, "erlang", "b", "--traffic=10", "--target-blocking=1%", "--json",
        "-");
    o = json_with_keys(&r, (const char *[]){"lines", "blocking", NULL});
    assert_true(json_is_integer(json_object_get(o, "lines")));
    assert_int_equal(json_integer_value(json_object_get(o, "lines")), 18);
    assert_true(num(o, "blocking") == bh_erlang_b(10, 18));
    json_decref(o);

    /* --rate R --aht S: 200 calls an hour of 3 minutes is 10 Erlangs. */
    RUN(&r, "erlang", "b", "--rate", "200", "--aht", "3m", "--lines", "15",
        "--json", "-");
    o = json_with_keys(&r, (const char *[]){"blocking", NULL});
    assert_true(num(o, "blocking") == bh_erlang_b(10, 15));
    json_decref(o);

    /* Without --json: one readable line. */
    RUN(&r, "erlang", "b", "--traffic", "10", "--lines", "15");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "0.0364969"));
    assert_string_equal(r.err, "");

    /* A tiny blocking is a bound in percent, not 0.0000% (issue 15 item
     * 13); the fraction itself stays exact. */
    RUN(&r, "erlang", "b", "--traffic", "20", "--lines", "100");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "(< 0.001%)"));
    assert_null(strstr(r.out, "0.0000%"));
}

static void
json_c(void **state) {
    struct run r;
    struct bh_erlang_c c;
    static const char *const fields[] = {"p_wait", "asa", "service_level",
                                         "occupancy", NULL};
    RUN(&r, "erlang", "c", "--traffic", "10", "--agents", "12", "--aht", "180",
        "--target-time", "20s", "--json", "-");
    json_t *o = json_with_keys(&r, fields);
    assert_int_equal(bh_erlang_c_eval(10, 12, 180, 20, &c), 0);
    assert_true(num(o, "p_wait") == c.p_wait);
    assert_true(num(o, "asa") == c.asa);
    assert_true(num(o, "service_level") == c.service_level);
    assert_true(num(o, "occupancy") == c.occupancy);
    json_decref(o);

    /* Units: 3m and 180 are the same handling time; 0.8 and 80%. */
    RUN(&r, "erlang", "c", "--rate", "200", "--aht", "3m", "--target-time",
        "20", "--target-sl", "0.8", "--json", "-");
    o = json_with_keys(&r,
                       (const char *[]){"agents", "p_wait", "asa",
                                        "service_level", "occupancy", NULL});
    long n;
    assert_int_equal(bh_erlang_c_agents(10, 180, 20, 0.8, &n, &c), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "agents")), n);
    assert_true(num(o, "service_level") == c.service_level);
    json_decref(o);
    RUN(&r, "erlang", "c", "--traffic", "10", "--aht", "180", "--target-time",
        "20s", "--target-sl", "80%", "--json", "-");
    o = json_with_keys(&r,
                       (const char *[]){"agents", "p_wait", "asa",
                                        "service_level", "occupancy", NULL});
    assert_int_equal(json_integer_value(json_object_get(o, "agents")), n);
    json_decref(o);

    /* Traffic at or above the agents: asa is null, not a crash. */
    RUN(&r, "erlang", "c", "--traffic", "12", "--agents", "12", "--aht", "180",
        "--target-time", "20", "--json", "-");
    o = json_with_keys(&r, fields);
    assert_true(json_is_null(json_object_get(o, "asa")));
    assert_true(num(o, "p_wait") == 1);
    json_decref(o);
}

static void
json_a(void **state) {
    struct run r;
    struct bh_erlang_a a;
    RUN(&r, "erlang", "a", "--traffic", "10", "--agents", "12", "--aht", "3m",
        "--patience", "2m", "--target-time", "20s", "--json", "-");
    json_t *o =
        json_with_keys(&r, (const char *[]){"p_wait", "p_abandon", "asa",
                                            "service_level", NULL});
    assert_int_equal(bh_erlang_a_eval(10, 12, 180, 120, 20, &a), 0);
    assert_true(num(o, "p_wait") == a.p_wait);
    assert_true(num(o, "p_abandon") == a.p_abandon);
    assert_true(num(o, "asa") == a.asa);
    assert_true(num(o, "service_level") == a.service_level);
    json_decref(o);

    RUN(&r, "erlang", "a", "--traffic", "10", "--aht", "180", "--patience",
        "120", "--target-time", "20", "--target-sl", "80%", "--max-abandon",
        "3%", "--json", "-");
    o = json_with_keys(&r, (const char *[]){"agents", "p_wait", "p_abandon",
                                            "asa", "service_level", NULL});
    long n;
    assert_int_equal(bh_erlang_a_agents(10, 180, 120, 20, 0.8, 0.03, &n, &a),
                     0);
    assert_int_equal(json_integer_value(json_object_get(o, "agents")), n);
    assert_true(num(o, "p_abandon") == a.p_abandon);
    json_decref(o);
}

static void
json_engset(void **state) {
    struct run r;
    RUN(&r, "erlang", "engset", "--sources", "100", "--lines", "40",
        "--traffic-per-source", "0.35", "--json", "-");
    json_t *o = json_with_keys(&r, (const char *[]){"blocking", NULL});
    assert_true(num(o, "blocking") ==
                bh_erlang_engset_offered(100, 40, 0.35, NULL));
    json_decref(o);
    RUN(&r, "erlang", "engset", "--sources", "100", "--lines", "40",
        "--traffic", "35", "--json", "-");
    o = json_with_keys(&r, (const char *[]){"blocking", NULL});
    assert_true(num(o, "blocking") ==
                bh_erlang_engset_offered(100, 40, 0.35, NULL));
    json_decref(o);
    RUN(&r, "erlang", "engset", "--sources", "10", "--lines", "4",
        "--traffic-per-idle-source", "0.2", "--json", "-");
    o = json_with_keys(&r, (const char *[]){"blocking", NULL});
    assert_true(num(o, "blocking") == bh_erlang_engset(10, 4, 0.2));
    json_decref(o);
}

static void
json_to_file(void **state) {
    char dir[] = "/tmp/bh_erlang_cli_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.json", dir);
    struct run r;
    RUN(&r, "erlang", "b", "--traffic", "10", "--lines", "15", "--json", path);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "blocking")); /* the readable line */
    json_error_t e;
    json_t *o = json_load_file(path, 0, &e);
    assert_non_null(o);
    assert_true(json_real_value(json_object_get(o, "blocking")) ==
                bh_erlang_b(10, 15));
    json_decref(o);
    unlink(path);
    rmdir(dir);
    /* An unwritable path is bad input. */
    RUN(&r, "erlang", "b", "--traffic", "10", "--lines", "15", "--json",
        "/nonexistent/dir/out.json");
    assert_int_equal(r.status, 2);
}

/* Exit 2, nothing on stdout, exactly one line on stderr. */
static void
expect_usage(const char *const *args) {
    struct run r;
    run(&r, args);
    char all[512] = "";
    for (size_t i = 0; args[i]; i++) {
        strncat(all, args[i], sizeof all - strlen(all) - 2);
        strcat(all, " ");
    }
    if (r.status != 2)
        fail_msg("'%s': exit %d, stderr %s", all, r.status, r.err);
    size_t len = strlen(r.err);
    if (len < 10 || r.err[len - 1] != '\n' ||
        strchr(r.err, '\n') != r.err + len - 1)
        fail_msg("'%s': stderr is not one line: '%s'", all, r.err);
    assert_string_equal(r.out, "");
}

#define USAGE(...)                                                             \
    do {                                                                       \
        const char *const a_[] = {__VA_ARGS__, NULL};                          \
        expect_usage(a_);                                                      \
    } while (0)

static void
bad_arguments(void **state) {
    USAGE("erlang");
    USAGE("erlang", "x");
    USAGE("erlang", "b");
    USAGE("erlang", "b", "--traffic", "10");
    USAGE("erlang", "b", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "abc", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "-3", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "nan", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "inf", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "1e999", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "0x10", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "0");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "-1");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "2.5");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "99999999999999999");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "15", "--bogus", "1");
    USAGE("erlang", "b", "--traffic", "10", "--lines");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "15", "extra");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "15", "--lines", "16");
    USAGE("erlang", "b", "--traffic", "10", "--lines", "15",
          "--target-blocking", "1%");
    USAGE("erlang", "b", "--traffic", "10", "--target-blocking", "0");
    USAGE("erlang", "b", "--traffic", "10", "--target-blocking", "150%");
    USAGE("erlang", "b", "--traffic", "10", "--target-blocking", "2");
    /* 1 is 100%: "0 lines" would meet it (issue 15 item 13) */
    USAGE("erlang", "b", "--traffic", "50", "--target-blocking", "1");
    USAGE("erlang", "b", "--rate", "200", "--lines", "15");
    USAGE("erlang", "b", "--traffic", "10", "--rate", "200", "--aht", "3m",
          "--lines", "15");
    USAGE("erlang", "c", "--traffic", "10", "--agents", "12", "--aht", "0",
          "--target-time", "20");
    USAGE("erlang", "c", "--traffic", "10", "--agents", "12", "--aht", "-3m",
          "--target-time", "20");
    USAGE("erlang", "c", "--traffic", "10", "--agents", "12", "--aht", "3x",
          "--target-time", "20");
    USAGE("erlang", "c", "--traffic", "10", "--agents", "12", "--aht", "180");
    USAGE("erlang", "c", "--traffic", "10", "--agents", "12", "--target-time",
          "20");
    USAGE("erlang", "c", "--traffic", "10", "--aht", "180", "--target-time",
          "20", "--target-sl", "100%");
    USAGE("erlang", "c", "--traffic", "10", "--aht", "180", "--target-time",
          "20", "--target-sl", "80");
    USAGE("erlang", "c", "--traffic", "10", "--aht", "180", "--target-time",
          "20");
    USAGE("erlang", "c", "--traffic", "10", "--agents", "0", "--aht", "180",
          "--target-time", "20");
    USAGE("erlang", "c", "--traffic", "10", "--agents", "12", "--aht", "180",
          "--target-time", "20", "--patience", "60");
    USAGE("erlang", "a", "--traffic", "10", "--agents", "12", "--aht", "180",
          "--target-time", "20");
    USAGE("erlang", "a", "--traffic", "10", "--agents", "12", "--aht", "180",
          "--patience", "-1", "--target-time", "20");
    USAGE("erlang", "a", "--traffic", "10", "--aht", "180", "--patience", "60",
          "--target-time", "20");
    USAGE("erlang", "a", "--traffic", "10", "--agents", "12", "--aht", "180",
          "--patience", "60", "--target-time", "20", "--target-sl", "80%");
    USAGE("erlang", "a", "--traffic", "10", "--aht", "180", "--patience", "60",
          "--target-time", "20", "--max-abandon", "0");
    USAGE("erlang", "engset", "--sources", "10", "--lines", "4");
    USAGE("erlang", "engset", "--sources", "0", "--lines", "4",
          "--traffic-per-source", "0.1");
    USAGE("erlang", "engset", "--sources", "10", "--lines", "0",
          "--traffic-per-source", "0.1");
    USAGE("erlang", "engset", "--sources", "10", "--lines", "12",
          "--traffic-per-source", "1.5");
    USAGE("erlang", "engset", "--sources", "10", "--lines", "4",
          "--traffic-per-source", "0.1", "--traffic", "1");
    USAGE("erlang", "engset", "--sources", "10", "--lines", "4",
          "--traffic-per-source", "-0.1");
}

static void
help(void **state) {
    static const struct {
        const char *sub;
        const char *opts[12];
    } h[] = {
        {"b",
         {"--traffic", "--rate", "--aht", "--lines", "--target-blocking",
          "--json", "--help"}},
        {"c",
         {"--traffic", "--rate", "--aht", "--agents", "--target-time",
          "--target-sl", "--json", "--help"}},
        {"a",
         {"--traffic", "--rate", "--aht", "--agents", "--patience",
          "--target-time", "--target-sl", "--max-abandon", "--json", "--help"}},
        {"engset",
         {"--sources", "--lines", "--traffic-per-source",
          "--traffic-per-idle-source", "--traffic", "--json", "--help"}},
    };
    struct run r;
    RUN(&r, "erlang", "--help");
    assert_int_equal(r.status, 0);
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
        char line[32];
        snprintf(line, sizeof line, "  %s ", h[i].sub);
        assert_non_null(strstr(r.out, line));
    }
    RUN(&r, "help", "erlang");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "engset"));
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
        RUN(&r, "erlang", h[i].sub, "--help");
        assert_int_equal(r.status, 0);
        for (size_t k = 0; h[i].opts[k]; k++)
            if (!strstr(r.out, h[i].opts[k]))
                fail_msg("erlang %s --help does not mention %s", h[i].sub,
                         h[i].opts[k]);
    }
}

/* Pseudo-random argument lists from a pool of plausible and hostile
 * tokens: every run exits 0 or 2, none crashes (sanitizers on). */
static void
never_crashes(void **state) {
    static const char *const pool[] = {
        "b",
        "c",
        "a",
        "engset",
        "--traffic",
        "--rate",
        "--aht",
        "--lines",
        "--agents",
        "--patience",
        "--target-time",
        "--target-sl",
        "--target-blocking",
        "--max-abandon",
        "--sources",
        "--traffic-per-source",
        "--json",
        "-",
        "10",
        "0",
        "1",
        "12",
        "3m",
        "90s",
        "80%",
        "0.8",
        "-1",
        "1e308",
        "nan",
        "",
        "%",
        "100000",
        "1e-300",
        "--help=x",
        "--lines=",
        "=",
        "--",
        "0.999999",
        "4294967297",
        "1h1h",
        "0.0000001",
        "100%",
    };
    const size_t np = sizeof pool / sizeof *pool;
    unsigned long long x = 88172645463325252ULL;
    for (int iter = 0; iter < 150; iter++) {
        const char *args[12];
        size_t n = 0;
        args[n++] = "erlang";
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t len = 1 + (size_t)(x % 9);
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            args[n++] = pool[x % np];
        }
        args[n] = NULL;
        struct run r;
        run(&r, args);
        if (r.status != 0 && r.status != 2) {
            char all[512] = "";
            for (size_t i = 0; args[i]; i++) {
                strncat(all, args[i], sizeof all - strlen(all) - 4);
                strcat(all, "|");
            }
            fail_msg("'%s': exit %d: %s", all, r.status, r.err);
        }
    }
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_b),       cmocka_unit_test(json_c),
        cmocka_unit_test(json_a),       cmocka_unit_test(json_engset),
        cmocka_unit_test(json_to_file), cmocka_unit_test(bad_arguments),
        cmocka_unit_test(help),         cmocka_unit_test(never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
