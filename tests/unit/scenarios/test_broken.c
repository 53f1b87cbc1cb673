/* test_broken.c: broken scenario files fail with BH_EPARSE at the exact
 * FILE:LINE:COLUMN of the fault, with a clear message; bounded sizes are
 * enforced; no input crashes the loader (mutated examples, under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BROKEN BH_TEST_DATA "/scenarios/broken/"

/* One broken file: where the error must point and what it must say. A
 * non-NULL `in` is the file the error is in when it is not the scenario
 * (a CSV of samples). */
struct broken {
    const char *file;
    int line, column;
    const char *fragment;
    const char *in;
};

static const struct broken broken[] = {
    {"alias-bomb.yaml", 2, 4, "anchors (&a) are not supported", NULL},
    {"alias.yaml", 3, 14, "aliases (*undefined) are not supported", NULL},
    {"anchor-scalar.yaml", 2, 7, "anchors (&n)", NULL},
    {"bad-clock.yaml", 23, 43, "'25:00' is not a time of day", NULL},
    {"bad-duration-unit.yaml", 13, 19, "max_wait '5x' is not a duration", NULL},
    {"bad-money.yaml", 40, 54, "at most six decimals", NULL},
    {"bool-typo.yaml", 9, 18, "must be true or false", NULL},
    {"bridge-length-with-passcodes.yaml", 20, 24,
     "passcode_length is for open rooms; this bridge lists its passcodes",
     NULL},
    {"bridge-lockout-window.yaml", 19, 39, "window must be more than 0s", NULL},
    {"bridge-passcode-star.yaml", 19, 32,
     "a passcode '33*444' may hold only 0-9", NULL},
    {"bridge-pin-twice.yaml", 21, 48,
     "a moderator PIN 111222 is used twice in this bridge", NULL},
    {"bridge-room-key-typo.yaml", 20, 33,
     "unknown key 'moderator' in a room (did you mean 'moderator_pin'?)", NULL},
    {"bridge-talkers-over.yaml", 19, 16, "talkers 17 is out of range (1 to 16)",
     NULL},
    {"campaign-to.yaml", 30, 5, "with via:, not to:", NULL},
    {"comments-only.yaml", 1, 1, "empty scenario", NULL},
    {"control-char.yaml", 3, 20, "control characters are not allowed", NULL},
    {"cost-reserved.yaml", 16, 13, "'cost' is reserved", NULL},
    {"csv-bad-sample.yaml", 4, 3, "'4x' is not a duration sample",
     "bad-samples.csv"},
    {"decimal-comma-block.yaml", 42, 18,
     "per_minute '0,035' has a decimal comma: write 0.035", NULL},
    {"decimal-comma-duration.yaml", 24, 40,
     "mean '4,5m' has a decimal comma: write 4.5m", NULL},
    {"decimal-comma-flow.yaml", 41, 29,
     "per_minute '0,035' has a decimal comma: write 0.035", NULL},
    {"deep-nesting.yaml", 3, 32, "nesting deeper than 24 levels", NULL},
    {"duplicate-key.yaml", 8, 7, "duplicate key 'lines'", NULL},
    {"duplicate-name.yaml", 16, 13, "name 'hotline' is already used at line 5",
     NULL},
    {"duration-no-unit.yaml", 14, 18, "wrap_up '10' needs a unit", NULL},
    {"empty.yaml", 1, 1, "empty scenario", NULL},
    {"erlang-k-fraction.yaml", 24, 44, "k must be a whole number", NULL},
    {"garbage.bin", 1, 8, "NUL byte", NULL},
    {"huge-number.yaml", 7, 14, "is out of range (1 to 1000000)", NULL},
    {"interval-over-horizon.yaml", 4, 11, "interval is longer than the horizon",
     NULL},
    {"invalid-utf8.yaml", 3, 17, "invalid UTF-8 (byte 0xC3)", NULL},
    {"ivr-options-digit-twice.yaml", 13, 22,
     "digit 1 is already an option at line 12", NULL},
    {"ivr-options-operators.yaml", 15, 9,
     "queue operators 22 are not the ivr options' operators together (20)",
     NULL},
    {"ivr-options-shares.yaml", 12, 11, "option shares add to 90%, not 100%",
     NULL},
    {"long-name.yaml", 2, 7, "longer than 63 bytes", NULL},
    {"max-per-room-over.yaml", 19, 21, "exceeds the bridge's 120 ports", NULL},
    {"meetings-to-number.yaml", 30, 9, "meetings need a bridge", NULL},
    {"missing-csv.yaml", 24, 39, "no-such-samples.csv': cannot open", NULL},
    {"missing-required.yaml", 16, 7, "missing the required key 'ports'", NULL},
    {"name-with-dot.yaml", 16, 17, "may hold only letters, digits", NULL},
    {"negative-money.yaml", 38, 53, "must not be negative", NULL},
    {"negative-operators.yaml", 11, 20, "operators -3 is out of range", NULL},
    {"no-profile.yaml", 21, 5, "needs profile:", NULL},
    {"nul-byte.yaml", 2, 9, "NUL byte", NULL},
    {"null-required.yaml", 7, 7, "'lines' in a number needs a value", NULL},
    {"origin-unknown.yaml", 28, 31, "did you mean 'mobile'?", NULL},
    {"param-not-applicable.yaml", 25, 47,
     "'sd' does not apply to the exponential", NULL},
    {"percent-fraction.yaml", 26, 27,
     "probability '0.4' needs a % sign (0.4 means 0.4%; write 40% for forty "
     "percent)",
     NULL},
    {"percent-over.yaml", 27, 18, "share 160% is out of range", NULL},
    {"plan-unknown.yaml", 28, 45, "did you mean 'bundle'?", NULL},
    {"poisson-duration.yaml", 24, 22, "poisson is for counts", NULL},
    {"profile-not-increasing.yaml", 23, 43, "profile times must increase",
     NULL},
    {"root-list.yaml", 2, 1, "a scenario is a mapping", NULL},
    {"schedule-and-profile.yaml", 33, 7,
     "give one of profile:, rate: and schedule:", NULL},
    {"schedule-at-and-every.yaml", 32, 47,
     "give either at: (a list of times) or every:", NULL},
    {"schedule-not-increasing.yaml", 32, 53, "meeting times must increase",
     NULL},
    {"schedule-to-before-from.yaml", 32, 60, "to must be after from", NULL},
    {"sd-zero.yaml", 24, 47, "sd must be more than 0", NULL},
    {"shares-90.yaml", 26, 5, "caller shares add to 90%, not 100%", NULL},
    {"strategy-typo.yaml", 12, 19, "did you mean 'longest-idle'?", NULL},
    {"syntax-colon.yaml", 7, 16,
     "YAML syntax error: mapping values are not allowed", NULL},
    {"tab-indent.yaml", 7, 1, "a tab: YAML indents with spaces only", NULL},
    {"then-cycle.yaml", 38, 39, "a cycle", NULL},
    {"then-unknown.yaml", 39, 54, "did you mean 'metered'?", NULL},
    {"limits-block-short.yaml", 9, 17, "auth_block must be at least 1s", NULL},
    {"limits-http-zero.yaml", 9, 23,
     "http_connections 0 is out of range (1 to 100000)", NULL},
    {"limits-negative.yaml", 9, 18,
     "source_rate -5 is out of range (0 to 10000000)", NULL},
    {"limits-typo.yaml", 9, 5,
     "unknown key 'source_rat' in limits (did you mean 'source_rate'?)", NULL},
    {"threshold-bad-op.yaml", 42, 22, "expected a comparison", NULL},
    {"threshold-no-percent.yaml", 43, 21,
     "write a percentage (0.5 means 0.5%; write 50% for fifty percent)", NULL},
    {"threshold-decimal-comma.yaml", 43, 22,
     "'0,5%' has a decimal comma: write 0.5%", NULL},
    {"threshold-quoted.yaml", 43, 23, "write a duration such as 20s, not '20x'",
     NULL},
    {"threshold-unknown-metric.yaml", 42, 13, "unknown metric 'blockng'", NULL},
    {"threshold-unknown-target.yaml", 42, 5,
     "threshold names 'hotlne', which is no number, bridge or campaign", NULL},
    {"timers-min-se-zero.yaml", 9, 13, "min_se must be at least 1s", NULL},
    {"timers-no-unit.yaml", 9, 18, "rtp_timeout '30' needs a unit", NULL},
    {"timers-se-below-min.yaml", 9, 22,
     "session_expires is shorter than min_se (90s)", NULL},
    {"timers-typo.yaml", 9, 5,
     "unknown key 'max_cal' in timers (did you mean 'max_call'?)", NULL},
    {"timers-under-second.yaml", 9, 18,
     "rtp_timeout must be 0 (off) or at least 1s", NULL},
    {"to-typo.yaml", 22, 9,
     "'hotlin' names no number or bridge (did you mean 'hotline'?)", NULL},
    {"truncated.yaml", 23, 1, "YAML syntax error", NULL},
    {"two-documents.yaml", 44, 1, "a second YAML document", NULL},
    {"unclosed-quote.yaml", 23, 17, "YAML syntax error", NULL},
    {"uniform-min-max.yaml", 25, 46, "max is below min", NULL},
    {"unknown-dist.yaml", 24, 22, "did you mean 'lognormal'?", NULL},
    {"unknown-key.yaml", 7, 7,
     "unknown key 'lnes' in a number (did you mean 'lines'?)", NULL},
    {"unknown-top-key.yaml", 41, 1, "did you mean 'thresholds'?", NULL},
    {"wrong-type.yaml", 18, 14, "ports must be a single value, not a list",
     NULL},
    {"zero-lines.yaml", 7, 14, "lines 0 is out of range", NULL},
    {"extension-account-unknown.yaml", 9, 33,
     "account 'ana' is not in switch.accounts", NULL},
    {"extension-no-answer-zero.yaml", 7, 61, "no_answer must be at least 1s",
     NULL},
    {"extension-forward-busy-self.yaml", 7, 38,
     "extension 101 forwards to itself", NULL},
    {"trunk-gateway-no-port.yaml", 7, 14, "gateway is sip:HOST:PORT", NULL},
    {"trunk-no-allow.yaml", 7, 5, "missing the required key 'allow'", NULL},
    {"trunk-prefix-letters.yaml", 9, 23,
     "an allowed prefix '8x' must be digits", NULL},
    {"tariffs-prefix-origin.yaml", 14, 36,
     "origin 'mobil' has no rate in tariffs.rates (did you mean 'mobile'?)",
     NULL},
    {"tariffs-prefix-twice.yaml", 17, 5, "duplicate", NULL},
};

static int
ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
test_broken_files(void **state) {
    (void)state;
    size_t n = sizeof broken / sizeof *broken;
    assert_true(n >= 30);
    for (size_t i = 0; i < n; i++) {
        const struct broken *b = &broken[i];
        char path[1024];
        snprintf(path, sizeof path, "%s%s", BROKEN, b->file);
        struct bh_scenario *sc = (struct bh_scenario *)1;
        struct bh_diag d;
        int rc = bh_scenario_load(path, &sc, &d);
        if (rc != BH_EPARSE || d.line != b->line || d.column != b->column ||
            !strstr(d.msg, b->fragment)) {
            fprintf(stderr, "%s: expected %d:%d: ...%s...\n got: ", b->file,
                    b->line, b->column, b->fragment);
            bh_diag_print(&d, stderr);
        }
        assert_int_equal(rc, BH_EPARSE);
        assert_null(sc);
        assert_int_equal(d.line, b->line);
        assert_int_equal(d.column, b->column);
        assert_non_null(strstr(d.msg, b->fragment));
        assert_true(ends_with(d.file, b->in ? b->in : b->file));
    }
}

/* Every file in broken/ (but the CSV the table names) is in the table. */
static void
test_table_covers_folder(void **state) {
    (void)state;
    FILE *p = popen("ls '" BROKEN "'", "r");
    assert_non_null(p);
    char name[256];
    int files = 0;
    while (fgets(name, sizeof name, p)) {
        name[strcspn(name, "\n")] = '\0';
        if (ends_with(name, ".csv"))
            continue;
        files++;
        int found = 0;
        for (size_t i = 0; i < sizeof broken / sizeof *broken; i++)
            found |= strcmp(broken[i].file, name) == 0;
        if (!found)
            fprintf(stderr, "not in the table: %s\n", name);
        assert_true(found);
    }
    pclose(p);
    assert_int_equal(files, (int)(sizeof broken / sizeof *broken));
}

static void
test_missing_file(void **state) {
    (void)state;
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc = bh_scenario_load(BROKEN "no-such-file.yaml", &sc, &d);
    assert_int_equal(rc, BH_ENOENT);
    assert_null(sc);
    assert_non_null(strstr(d.msg, "cannot open"));
    rc = bh_scenario_load(BROKEN, &sc, &d); /* a directory */
    assert_true(rc == BH_EIO || rc == BH_EPARSE);
    assert_null(sc);
    assert_int_equal(bh_scenario_load(NULL, &sc, &d), BH_EINVAL);
}

/* A tiny valid scenario with a hole for one list, for the bounds. */
static int
parse(const char *text, size_t len, struct bh_diag *d) {
    struct bh_scenario *sc = NULL;
    int rc = bh_scenario_parse(text, len, "bounds.yaml", &sc, d);
    bh_scenario_free(sc);
    return rc;
}

static void
test_bound_file_size(void **state) {
    (void)state;
    size_t len = (size_t)BH_SC_MAX_FILE + 1;
    char *buf = malloc(len);
    assert_non_null(buf);
    memset(buf, '#', len);
    struct bh_diag d;
    assert_int_equal(parse(buf, len, &d), BH_ETOOBIG);
    assert_non_null(strstr(d.msg, "larger than"));
    /* and from a file: the position where the limit is crossed */
    char path[] = "/tmp/bh_scenario_bigXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (size_t i = 0; i < len; i += 64)
        fputs(
            "# a comment line that is exactly sixty-four bytes long.........\n",
            f);
    fclose(f);
    struct bh_scenario *sc = NULL;
    assert_int_equal(bh_scenario_load(path, &sc, &d), BH_ETOOBIG);
    assert_null(sc);
    assert_int_equal(d.line, BH_SC_MAX_FILE / 64 + 1);
    assert_int_equal(d.column, 1);
    unlink(path);
    free(buf);
}

/* The YAML values a file may hold are bounded before libyaml builds its
 * document (a 4 MiB list of numbers would take hundreds of MB). */
static void
test_bound_nodes(void **state) {
    (void)state;
    size_t n = 400000, cap = 16 + 2 * n;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t off = (size_t)snprintf(s, cap, "x: [");
    for (size_t i = 0; i < n; i++) {
        s[off++] = '1';
        s[off++] = i + 1 < n ? ',' : ']';
    }
    struct bh_diag d;
    assert_int_equal(parse(s, off, &d), BH_EPARSE);
    assert_int_equal(d.line, 1);
    /* the map, the key and the list are values 1-3: the 300,001st value
     * is the list's 299,998th number */
    assert_int_equal(d.column, 5 + 2 * (299998 - 1));
    assert_non_null(strstr(d.msg, "more than 300000 YAML values"));
    free(s);
}

static char *
numbers_scenario(int count, int lines, const char *number) {
    size_t cap = 256 + (size_t)count * 96;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t off =
        (size_t)snprintf(s, cap, "name: bounds\nswitch:\n  numbers:\n");
    for (int i = 0; i < count; i++)
        off += (size_t)snprintf(s + off, cap - off,
                                "    - { name: n%d, number: \"%s%d\", "
                                "lines: %d }\n",
                                i, number, i, lines);
    snprintf(s + off, cap - off,
             "traffic: [ { name: t, to: n0, rate: 1, holding: 1m } ]\n");
    return s;
}

static void
test_bound_items(void **state) {
    (void)state;
    struct bh_diag d;
    char *s = numbers_scenario(BH_SC_MAX_ITEMS, 1, "1");
    assert_int_equal(parse(s, strlen(s), &d), 0);
    free(s);
    s = numbers_scenario(BH_SC_MAX_ITEMS + 1, 1, "1");
    assert_int_equal(parse(s, strlen(s), &d), BH_EPARSE);
    assert_int_equal(d.line, 4);
    assert_non_null(strstr(d.msg, "at most 256"));
    free(s);
}

static void
test_bound_capacity(void **state) {
    (void)state;
    struct bh_diag d;
    char *s = numbers_scenario(1, BH_SC_MAX_CAPACITY, "1");
    assert_int_equal(parse(s, strlen(s), &d), 0);
    free(s);
    s = numbers_scenario(1, BH_SC_MAX_CAPACITY + 1, "1");
    assert_int_equal(parse(s, strlen(s), &d), BH_EPARSE);
    assert_int_equal(d.line, 4);
    assert_int_equal(d.column, 40);
    free(s);
}

static void
test_bound_number_digits(void **state) {
    (void)state;
    struct bh_diag d;
    char digits[BH_SC_MAX_NUMBER + 1];
    memset(digits, '7', sizeof digits);
    digits[BH_SC_MAX_NUMBER - 2] = '\0'; /* + one digit of the index */
    char *s = numbers_scenario(1, 1, digits);
    assert_int_equal(parse(s, strlen(s), &d), 0);
    free(s);
    digits[BH_SC_MAX_NUMBER - 2] = '7';
    digits[BH_SC_MAX_NUMBER - 1] = '\0';
    s = numbers_scenario(1, 1, digits);
    assert_int_equal(parse(s, strlen(s), &d), BH_EPARSE);
    assert_non_null(strstr(d.msg, "longer than 31"));
    free(s);
}

static char *
profile_scenario(int steps) {
    size_t cap = 512 + (size_t)steps * 32;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t off = (size_t)snprintf(
        s, cap,
        "name: bounds\n"
        "switch: { numbers: [ { name: n, number: \"1\", lines: 1 } ] }\n"
        "traffic:\n  - name: t\n    to: n\n    holding: 1m\n    profile:\n");
    for (int i = 0; i < steps; i++)
        off += (size_t)snprintf(s + off, cap - off, "      \"%02d:%02d\": %d\n",
                                i / 12, i % 12 * 5, i);
    return s;
}

static void
test_bound_profile(void **state) {
    (void)state;
    struct bh_diag d;
    char *s = profile_scenario(BH_SC_MAX_PROFILE);
    assert_int_equal(parse(s, strlen(s), &d), 0);
    free(s);
    s = profile_scenario(BH_SC_MAX_PROFILE + 1); /* "24:00" is step 289 */
    assert_int_equal(parse(s, strlen(s), &d), BH_EPARSE);
    assert_int_equal(d.line, 8);
    assert_non_null(strstr(d.msg, "more than 288 steps"));
    free(s);
}

/* sim.replications: up to BH_SC_MAX_REPLICATIONS, which busyhour sim
 * and plan take on the command line too. */
static void
test_bound_replications(void **state) {
    (void)state;
    char s[512];
    struct bh_diag d;
    for (int extra = 0; extra <= 1; extra++) {
        snprintf(s, sizeof s,
                 "name: bounds\n"
                 "switch: { numbers: [ { name: n, number: \"1\", lines: 1 } "
                 "] }\n"
                 "traffic: [ { name: t, to: n, rate: 1, holding: 1m } ]\n"
                 "sim: { replications: %d }\n",
                 BH_SC_MAX_REPLICATIONS + extra);
        int rc = parse(s, strlen(s), &d);
        if (!extra) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, BH_EPARSE);
        assert_int_equal(d.line, 4);
        assert_int_equal(d.column, 22);
    }
}

static void
test_bound_empirical(void **state) {
    (void)state;
    char dir[] = "/tmp/bh_scenario_empXXXXXX";
    assert_non_null(mkdtemp(dir));
    char csv[128], yaml[128];
    snprintf(csv, sizeof csv, "%s/s.csv", dir);
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    FILE *f = fopen(yaml, "w");
    assert_non_null(f);
    fputs("name: emp\n"
          "switch: { numbers: [ { name: n, number: \"1\", lines: 1 } ] }\n"
          "traffic:\n"
          "  - { name: t, to: n, rate: 1, holding: { dist: empirical, "
          "file: s.csv } }\n",
          f);
    fclose(f);
    for (int extra = 0; extra <= 1; extra++) {
        f = fopen(csv, "w");
        assert_non_null(f);
        for (long i = 0; i < BH_SC_MAX_EMPIRICAL + extra; i++)
            fputs("1\n", f);
        fclose(f);
        struct bh_scenario *sc = NULL;
        struct bh_diag d;
        int rc = bh_scenario_load(yaml, &sc, &d);
        if (!extra) {
            assert_int_equal(rc, 0);
            assert_int_equal(sc->sources[0].holding.nsamples,
                             BH_SC_MAX_EMPIRICAL);
            bh_scenario_free(sc);
        } else {
            assert_int_equal(rc, BH_EPARSE);
            assert_true(ends_with(d.file, "s.csv"));
            assert_int_equal(d.line, BH_SC_MAX_EMPIRICAL + 1);
        }
    }
    unlink(csv);
    unlink(yaml);
    rmdir(dir);
}

/* Deterministic pseudo-random numbers for the mutations (a test-local
 * LCG: the same mutations on every run). */
static uint32_t
lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void
check_no_crash(const char *buf, size_t len) {
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    int rc =
        bh_scenario_parse(buf, len, BH_SOURCE_DIR "/scenarios/m.yaml", &sc, &d);
    if (rc == 0) {
        assert_non_null(sc);
        bh_scenario_free(sc);
        return;
    }
    assert_null(sc);
    assert_true(rc < 0);
    assert_true(d.msg[0] != '\0');
    if (rc == BH_EPARSE) {
        assert_true(d.line >= 1);
        assert_true(d.column >= 1);
    }
}

static void
test_mutations_never_crash(void **state) {
    (void)state;
    static const char *const examples[] = {
        "hotline-8800.yaml", "free-conference.yaml", "outbound-campaign.yaml",
        "office-pbx.yaml", "hourly-bridge.yaml"};
    uint32_t seed = 12345;
    for (size_t e = 0; e < sizeof examples / sizeof *examples; e++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", BH_SOURCE_DIR,
                 examples[e]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *buf = malloc(1 << 16);
        assert_non_null(buf);
        size_t len = fread(buf, 1, 1 << 16, f);
        fclose(f);
        /* every truncation, by steps of 5 bytes */
        for (size_t cut = 0; cut < len; cut += 5)
            check_no_crash(buf, cut);
        /* random byte replacements, insertions of YAML punctuation */
        static const char punct[] = ":-{}[],&*!|>'\"#%@`\t\n \0\xff";
        char *m = malloc(len + 1);
        assert_non_null(m);
        for (int round = 0; round < 500; round++) {
            memcpy(m, buf, len);
            int edits = 1 + (int)(lcg(&seed) % 3);
            for (int k = 0; k < edits; k++) {
                size_t at = lcg(&seed) % len;
                m[at] = (lcg(&seed) & 1)
                            ? punct[lcg(&seed) % (sizeof punct - 1)]
                            : (char)(lcg(&seed) & 0xff);
            }
            check_no_crash(m, len);
        }
        free(m);
        free(buf);
    }
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_table_covers_folder),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bound_file_size),
        cmocka_unit_test(test_bound_nodes),
        cmocka_unit_test(test_bound_items),
        cmocka_unit_test(test_bound_capacity),
        cmocka_unit_test(test_bound_number_digits),
        cmocka_unit_test(test_bound_profile),
        cmocka_unit_test(test_bound_replications),
        cmocka_unit_test(test_bound_empirical),
        cmocka_unit_test(test_mutations_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
