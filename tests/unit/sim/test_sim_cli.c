/* test_sim_cli.c: `busyhour sim` and `busyhour plan` as users run them:
 * exit statuses (0, 1 on a failed threshold, 2 on bad usage or input),
 * results JSON byte-identical with 1 or 2 threads, records CSV, help
 * naming every option, no progress bar when not on a terminal, a plan
 * that agrees with the Erlang B inverse, and `check`, `report --analytic`
 * and `sim` agreeing on offered load (issue 9). */
#include "sim_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#define BIN BH_BINARY_DIR "/cli/busyhour"
#define HOTLINE BH_SOURCE_DIR "/scenarios/hotline-8800.yaml"
#define TMP BH_BINARY_DIR "/sim_test_cli"

/* Runs a shell command; its exit status. */
static int
run(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *
slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static void
sim_runs(void **state) {
    run("mkdir -p " TMP);
    /* the bundled hotline misses its thresholds: exit 1 */
    assert_int_equal(run("CI=1 " BIN " sim " HOTLINE " --replications 3 "
                         "--threads 1 --json " TMP "/a.json --records " TMP
                         "/a.csv > " TMP "/a.out 2> " TMP "/a.err"),
                     1);
    assert_int_equal(run("CI=1 " BIN " sim " HOTLINE " --replications 3 "
                         "--threads 2 --json " TMP "/b.json > /dev/null"),
                     1);
    size_t na, nb, no, ne;
    char *a = slurp(TMP "/a.json", &na), *b = slurp(TMP "/b.json", &nb);
    assert_true(na == nb && memcmp(a, b, na) == 0);
    assert_non_null(strstr(a, "\"targets\""));
    assert_non_null(strstr(a, "\"hotline\""));
    char *out = slurp(TMP "/a.out", &no), *err = slurp(TMP "/a.err", &ne);
    assert_non_null(strstr(out, "hotline (number)"));
    assert_non_null(strstr(out, "FAIL"));
    assert_int_equal(ne, 0); /* no progress bar off a terminal */
    size_t nr;
    char *rec = slurp(TMP "/a.csv", &nr);
    assert_true(strncmp(rec, "replication,id,", 15) == 0);
    assert_non_null(strstr(rec, ",hotline,"));
    /* a different seed, different results */
    assert_int_equal(run(BIN " sim " HOTLINE " --replications 3 --seed 7 "
                             "--json " TMP "/c.json > /dev/null"),
                     1);
    size_t nc;
    char *c = slurp(TMP "/c.json", &nc);
    assert_false(nc == na && memcmp(a, c, na) == 0);
    free(a);
    free(b);
    free(c);
    free(out);
    free(err);
    free(rec);
}

static void
bad_usage(void **state) {
    assert_int_equal(run(BIN " sim > /dev/null 2>&1"), 2);
    assert_int_equal(run(BIN " sim " HOTLINE " --bogus > /dev/null 2>&1"), 2);
    assert_int_equal(
        run(BIN " sim " HOTLINE " --replications 0 > /dev/null 2>&1"), 2);
    assert_int_equal(run(BIN " sim " HOTLINE " --seed x > /dev/null 2>&1"), 2);
    assert_int_equal(run(BIN " sim /nonexistent.yaml > /dev/null 2>&1"), 2);
    assert_int_equal(run(BIN " plan > /dev/null 2>&1"), 2);
    assert_int_equal(
        run(BIN " plan " HOTLINE " --replications 1 > /dev/null 2>&1"), 2);
    /* help names every option */
    assert_int_equal(run(BIN " sim --help > " TMP "/h.txt"), 0);
    size_t n;
    char *h = slurp(TMP "/h.txt", &n);
    const char *opts[] = {"--seed", "--replications", "--threads",
                          "--json", "--records",      "--help"};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        assert_non_null(strstr(h, opts[i]));
    free(h);
    assert_int_equal(run(BIN " plan --help > " TMP "/h.txt"), 0);
    h = slurp(TMP "/h.txt", &n);
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (strcmp(opts[i], "--records") != 0)
            assert_non_null(strstr(h, opts[i]));
    free(h);
}

static void
plan_file(void **state) {
    /* 4 Erlangs on 5 lines, blocking < 2%: Erlang B says 9 */
    FILE *f = fopen(TMP "/trunk.yaml", "w");
    assert_non_null(f);
    fputs("name: trunk\n"
          "horizon: 1d\n"
          "interval: 1d\n"
          "seed: 5\n"
          "switch:\n"
          "  numbers:\n"
          "    - name: trunk\n"
          "      number: \"100\"\n"
          "      lines: 5\n"
          "traffic:\n"
          "  - name: callers\n"
          "    to: trunk\n"
          "    profile: { \"00:00\": 144 }\n"
          "    holding: { dist: exponential, mean: 100s }\n"
          "thresholds:\n"
          "  - trunk.blocking < 2%\n"
          "sim: { replications: 10, warmup: 10m }\n",
          f);
    fclose(f);
    assert_int_equal(run(BIN " plan " TMP "/trunk.yaml --json " TMP
                             "/p.json > " TMP "/p.out"),
                     0);
    size_t n;
    char *j = slurp(TMP "/p.json", &n);
    assert_non_null(strstr(j, "\"plan\""));
    assert_non_null(strstr(j, "\"analytic\": 9"));
    assert_non_null(strstr(j, "\"recommended\": 9"));
    free(j);
    j = slurp(TMP "/p.out", &n);
    assert_non_null(strstr(j, "recommended"));
    free(j);
    /* and the plan's capacity passes the threshold in sim */
    assert_int_equal(run("sed -i 's/lines: 5/lines: 9/' " TMP "/trunk.yaml"),
                     0);
    assert_int_equal(run(BIN " sim " TMP "/trunk.yaml > /dev/null"), 0);
}

/* The options sim and plan share, parsed by one function with each
 * command's own bounds and words. */
static void
shared_options(void **state) {
    (void)state;
    run("mkdir -p " TMP);
    FILE *f = fopen(TMP "/tiny.yaml", "w");
    assert_non_null(f);
    fputs("name: tiny\n"
          "horizon: 2h\n"
          "interval: 1h\n"
          "switch: { numbers: [ { name: n, number: \"1\", lines: 3 } ] }\n"
          "traffic:\n"
          "  - name: c\n"
          "    to: n\n"
          "    profile: { \"00:00\": 30 }\n"
          "    holding: { dist: exponential, mean: 2m }\n",
          f);
    fclose(f);
    /* sim takes any unsigned seed and a single replication; plan takes a
     * seed up to 2^31 - 1 and at least two replications */
    assert_int_equal(run(BIN " sim " TMP "/tiny.yaml --seed 99999999999 "
                             "--replications 1 --threads 1 > /dev/null"),
                     0);
    assert_int_equal(run(BIN " plan " TMP "/tiny.yaml --seed 2147483648 "
                             "> /dev/null 2>&1"),
                     2);
    assert_int_equal(run(BIN " sim " TMP "/tiny.yaml --seed -1 "
                             "> /dev/null 2>&1"),
                     2);
    /* messages name the command and its own bounds */
    assert_int_equal(run(BIN " plan " TMP "/tiny.yaml --replications 1 2>&1 "
                             "| grep -q 'busyhour plan: --replications needs "
                             "a number from 2 to [0-9]* (an interval needs "
                             "two)'"),
                     0);
    assert_int_equal(run(BIN " sim " TMP "/tiny.yaml --replications 0 2>&1 "
                             "| grep -q 'busyhour sim: --replications needs "
                             "a number from 1 to [0-9]*$'"),
                     0);
    assert_int_equal(run(BIN " plan " TMP "/tiny.yaml --bogus 2>&1 | grep -q "
                             "'see busyhour plan --help'"),
                     0);
    /* --records is sim's alone */
    assert_int_equal(run(BIN " plan " TMP "/tiny.yaml --records " TMP
                             "/r.csv > /dev/null 2>&1"),
                     2);
    assert_int_equal(run(BIN " sim " TMP "/tiny.yaml --replications 2 "
                             "--threads 1 --records " TMP "/r.csv > /dev/null"),
                     0);
    assert_int_equal(run("test -s " TMP "/r.csv"), 0);
    /* one scenario at a time, and a scenario is needed */
    assert_int_equal(run(BIN " plan " TMP "/tiny.yaml " TMP "/tiny.yaml "
                             "> /dev/null 2>&1"),
                     2);
    assert_int_equal(run(BIN " sim 2>&1 | grep -q 'which scenario? "
                             "(busyhour sim SCENARIO)'"),
                     0);
}

/* The value after `key` in text (a JSON number), NaN if absent. */
static double
number_after(const char *text, const char *key) {
    const char *p = strstr(text, key);
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

/* Issue 9: 600 calls an hour on 50 lines, holding normal(30s, 120s). The
 * simulator draws the normal conditioned on >= 0 (107.5 s on average), so
 * 17.92 E are offered; check and report --analytic said 5.00 E. All three
 * now count the traffic model's load, and the simulated busy lines (no
 * call is blocked) bear it out. */
static void
offered_agrees(void **state) {
    (void)state;
    run("mkdir -p " TMP);
    FILE *f = fopen(TMP "/normal.yaml", "w");
    assert_non_null(f);
    fputs("name: normal-holding\n"
          "horizon: 1d\n"
          "interval: 1h\n"
          "seed: 9\n"
          "switch: { numbers: [ { name: n50, number: \"1\", lines: 50 } ] }\n"
          "traffic:\n"
          "  - name: callers\n"
          "    to: n50\n"
          "    rate: 600\n"
          "    holding: { dist: normal, mean: 30s, sd: 120s }\n"
          "sim: { replications: 10 }\n",
          f);
    fclose(f);
    assert_int_equal(run(BIN " check " TMP "/normal.yaml --json " TMP
                             "/normal.check.json > /dev/null"),
                     0);
    size_t n;
    char *j = slurp(TMP "/normal.check.json", &n);
    double check = number_after(j, "\"offered\": ");
    free(j);
    printf("  check: %.10g E\n", check);
    assert_true(fabs(check - 17.92) < 0.005);

    assert_int_equal(run(BIN " report --scenario " TMP "/normal.yaml "
                             "--analytic --md " TMP "/normal.md"),
                     0);
    char row[64];
    snprintf(row, sizeof row, "| offered load | %.2f E |", check);
    j = slurp(TMP "/normal.md", &n);
    assert_non_null(strstr(j, row));
    free(j);

    assert_int_equal(run("CI=1 " BIN " sim " TMP "/normal.yaml --threads 2 "
                         "--json " TMP "/normal.sim.json > /dev/null"),
                     0);
    struct bh_results r;
    struct bh_diag d;
    assert_int_equal(bh_results_read_json(TMP "/normal.sim.json", &r, &d), 0);
    const struct bh_target_result *t = &r.targets[0];
    assert_true(fabs(t->offered_erlangs.mean - check) < 1e-8 * check);
    assert_true(t->blocking.mean < 1e-4); /* Erlang B: 1e-9 */
    assert_true(covers("sim's busy lines = check's offered", t->busy_mean,
                       r.replications, check));
    bh_results_clear(&r);
}

/* Issue 15 item 13: on a terminal (a pty from script(1)) plan's bar
 * moves through many steps and its last line says how long the plan
 * took; off a terminal nothing of it is printed (checked in sim_runs for
 * sim, here for plan). */
static void
plan_progress(void **state) {
    (void)state;
    run("mkdir -p " TMP);
    assert_int_equal(run(BIN " plan " HOTLINE " --replications 3 --threads 1 "
                             "> /dev/null 2> " TMP "/p.err"),
                     1);
    size_t n;
    char *err = slurp(TMP "/p.err", &n);
    assert_int_equal(n, 0);
    free(err);
    /* script(1) is in bsdutils, an essential Debian package: its absence
     * fails the test rather than skipping the pty half of it. */
    if (run("command -v script > /dev/null") != 0)
        fail_msg("script(1) (Debian package bsdutils) is not installed");
    assert_int_equal(run("env -u CI script -qec '" BIN " plan " HOTLINE
                         " --replications 3 --threads 1' " TMP
                         "/p.tty < /dev/null > /dev/null"),
                     1);
    char *tty = slurp(TMP "/p.tty", &n);
    /* distinct percentages drawn: many more than three coarse steps */
    int seen[101] = {0}, steps = 0;
    for (const char *p = tty; (p = strstr(p, "] ")) != NULL; p += 2) {
        int pc = atoi(p + 2);
        if (pc >= 0 && pc <= 100 && !seen[pc]++)
            steps++;
    }
    printf("  %d distinct percentages on the terminal\n", steps);
    assert_true(steps > 20);
    assert_non_null(strstr(tty, "100% in "));
    free(tty);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sim_runs),       cmocka_unit_test(bad_usage),
        cmocka_unit_test(plan_file),      cmocka_unit_test(shared_options),
        cmocka_unit_test(offered_agrees), cmocka_unit_test(plan_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
