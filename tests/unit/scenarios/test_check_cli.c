/* test_check_cli.c: the built `busyhour check` on every bundled example
 * (exit 0) and on broken files (exit 2, FILE:LINE:COLUMN: on stderr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUSYHOUR BH_BINARY_DIR "/cli/busyhour"
#define BROKEN BH_TEST_DATA "/scenarios/broken/"

/* Runs a shell command; stores what it printed (stdout or stderr, as the
 * redirections in cmd choose) and returns its exit status. */
static int
run(const char *cmd, char *out, size_t size) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void
test_examples_pass(void **state) {
    (void)state;
    static const char *const examples[] = {
        "hotline-8800.yaml", "free-conference.yaml", "outbound-campaign.yaml",
        "office-pbx.yaml", "hourly-bridge.yaml"};
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++) {
        char cmd[2048], out[8192];
        snprintf(cmd, sizeof cmd, "'%s' check '%s/scenarios/%s' 2>&1", BUSYHOUR,
                 BH_SOURCE_DIR, examples[i]);
        int rc = run(cmd, out, sizeof out);
        if (rc != 0)
            fprintf(stderr, "%s\n", out);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, ": valid:"));
        assert_non_null(strstr(out, " E "));
    }
}

/* The hotline example's figures: 900 calls/h x (4m + 12s IVR) = 63 E on
 * 30 lines at 10:00; meetings 20/h x 8 participants, each holding a port
 * for 45m0.0096s (the mean of the normal(45m, 10m) truncated at 0) less
 * the mean join spread of 1m30s plus the 8s passcode: 116.36 E on 120
 * ports at 11:00, as the traffic model (and so busyhour sim) counts. */
static void
test_summary_figures(void **state) {
    (void)state;
    char cmd[2048], out[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' check --json - '%s/scenarios/hotline-8800.yaml' "
             "2>/dev/null",
             BUSYHOUR, BH_SOURCE_DIR);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"valid\": true"));
    assert_non_null(strstr(out, "\"hotline\": {\"kind\": \"number\", "
                                "\"busiest\": \"10:00\", \"offered\": 63,"));
    assert_non_null(strstr(out, "\"capacity\": 30"));
    assert_non_null(strstr(out, "\"operators\": 22"));
    assert_non_null(strstr(out, "\"conf\": {\"kind\": \"bridge\", "
                                "\"busiest\": \"11:00\", \"offered\": "
                                "116.3559818"));
}

static void
test_broken_exit_2(void **state) {
    (void)state;
    static const struct {
        const char *file;
        const char *where;
    } cases[] = {
        {"to-typo.yaml", ":22:9: "},
        {"shares-90.yaml", ":26:5: "},
        {"alias-bomb.yaml", ":2:4: "},
        {"nul-byte.yaml", ":2:9: "},
        {"empty.yaml", ":1:1: "},
        {"garbage.bin", ":1:8: "},
        {"threshold-unknown-target.yaml", ":42:5: "},
        {"deep-nesting.yaml", ":3:32: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char cmd[2048], err[4096], prefix[1024];
        snprintf(cmd, sizeof cmd, "'%s' check '%s%s' 2>&1 >/dev/null", BUSYHOUR,
                 BROKEN, cases[i].file);
        int rc = run(cmd, err, sizeof err);
        assert_int_equal(rc, 2);
        snprintf(prefix, sizeof prefix, "%s%s%s", BROKEN, cases[i].file,
                 cases[i].where);
        if (strncmp(err, prefix, strlen(prefix)) != 0)
            fprintf(stderr, "expected prefix %s\n got %s\n", prefix, err);
        assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
        assert_non_null(strchr(err, '\n'));
    }
}

static void
test_usage(void **state) {
    (void)state;
    char cmd[2048], out[8192];
    snprintf(cmd, sizeof cmd, "'%s' check --help", BUSYHOUR);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "--json FILE"));
    assert_non_null(strstr(out, "--help"));
    snprintf(cmd, sizeof cmd, "'%s' check 2>&1", BUSYHOUR);
    assert_int_equal(run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "'%s' check --frobnicate x.yaml 2>&1", BUSYHOUR);
    assert_int_equal(run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "--frobnicate"));
    snprintf(cmd, sizeof cmd, "'%s' check '%sno-such.yaml' 2>&1", BUSYHOUR,
             BROKEN);
    assert_int_equal(run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "cannot open"));
}

/* --json on a broken file records the located error. */
static void
test_json_error(void **state) {
    (void)state;
    char cmd[2048], out[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' check --json - '%sto-typo.yaml' 2>/dev/null", BUSYHOUR,
             BROKEN);
    assert_int_equal(run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "\"valid\": false"));
    assert_non_null(strstr(out, "\"line\": 22, \"column\": 9"));
}

/* Tiny figures read as such: 20 E on 100 lines blocks about 1e-40 of
 * calls, which check prints as "< 0.001%", never in exponent notation
 * (issue 15 item 13: "4.829e-305%"). */
static void
test_tiny_percent(void **state) {
    (void)state;
    char path[] = "/tmp/bh-check-tinyXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] =
        "name: tiny\n"
        "switch:\n"
        "  numbers:\n"
        "    - { name: big, number: \"100\", lines: 100,\n"
        "        queue: { operators: 100 } }\n"
        "traffic:\n"
        "  - { name: few, to: big, rate: 600, holding: 2m }\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (long)sizeof text - 1);
    close(fd);
    char cmd[2048], out[8192];
    snprintf(cmd, sizeof cmd, "'%s' check '%s' 2>&1", BUSYHOUR, path);
    int rc = run(cmd, out, sizeof out);
    unlink(path);
    if (rc != 0)
        fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "Erlang B blocking < 0.001%"));
    assert_non_null(strstr(out, "P(wait) < 0.001%"));
    assert_null(strstr(out, "e-"));
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_pass),
        cmocka_unit_test(test_summary_figures),
        cmocka_unit_test(test_broken_exit_2),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_json_error),
        cmocka_unit_test(test_tiny_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
