/* test_units.c: durations, percentages, money, clock times, error table. */
#include "bh.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static void
durations(void **state) {
    double s;
    assert_int_equal(bh_parse_duration("90s", &s), 0);
    assert_true(s == 90);
    assert_int_equal(bh_parse_duration("4m", &s), 0);
    assert_true(s == 240);
    assert_int_equal(bh_parse_duration("1h", &s), 0);
    assert_true(s == 3600);
    assert_int_equal(bh_parse_duration("1d", &s), 0);
    assert_true(s == 86400);
    assert_int_equal(bh_parse_duration("250ms", &s), 0);
    assert_true(s == 0.25);
    assert_int_equal(bh_parse_duration("1h30m", &s), 0);
    assert_true(s == 5400);
    assert_int_equal(bh_parse_duration("1.5h", &s), 0);
    assert_true(s == 5400);
    assert_int_equal(bh_parse_duration("-2m", &s), 0);
    assert_true(s == -120);
    assert_int_equal(bh_parse_duration("0", &s), 0);
    assert_true(s == 0);
    assert_int_equal(bh_parse_duration("90", &s), BH_EPARSE);
    assert_int_equal(bh_parse_duration("90x", &s), BH_EPARSE);
    assert_int_equal(bh_parse_duration("", &s), BH_EPARSE);
    assert_int_equal(bh_parse_duration("m", &s), BH_EPARSE);
    assert_int_equal(bh_parse_duration(".s", &s), BH_EPARSE);
    assert_int_equal(bh_parse_duration("1e9d", &s), BH_EPARSE);
    assert_int_equal(bh_parse_duration("99999999999999d", &s), BH_ERANGE);
}

static void
percents(void **state) {
    double f;
    assert_int_equal(bh_parse_percent("40%", &f), 0);
    assert_true(f == 0.4);
    assert_int_equal(bh_parse_percent("0.5%", &f), 0);
    assert_true(f == 0.005);
    assert_int_equal(bh_parse_percent("100%", &f), 0);
    assert_int_equal(bh_parse_percent("101%", &f), BH_ERANGE);
    assert_int_equal(bh_parse_percent("40", &f), BH_EPARSE);
    assert_int_equal(bh_parse_percent("-4%", &f), BH_EPARSE);
    assert_int_equal(bh_parse_percent("4%%", &f), BH_EPARSE);
    /* printed for people: significant digits, tiny figures as a bound */
    char buf[32];
    bh_format_percent(0.536912, 4, buf, sizeof buf);
    assert_string_equal(buf, "53.69%");
    bh_format_percent(4.829e-307, 4, buf, sizeof buf);
    assert_string_equal(buf, "< 0.001%");
    bh_format_percent(1e-5, 4, buf, sizeof buf);
    assert_string_equal(buf, "0.001%");
    bh_format_percent(0, 4, buf, sizeof buf);
    assert_string_equal(buf, "0%");
    bh_format_percent(NAN, 4, buf, sizeof buf);
    assert_string_equal(buf, "-");
}

static void
money(void **state) {
    bh_money m;
    char buf[32];
    assert_int_equal(bh_parse_money("0.035", &m), 0);
    assert_true(m == 35000);
    assert_int_equal(bh_parse_money("8.50", &m), 0);
    assert_true(m == 8500000);
    assert_int_equal(bh_parse_money("0.000001", &m), 0);
    assert_true(m == 1);
    assert_int_equal(bh_parse_money("0.0000001", &m), BH_ERANGE);
    assert_int_equal(bh_parse_money("1e3", &m), BH_EPARSE);
    assert_int_equal(bh_parse_money(".", &m), BH_EPARSE);
    assert_int_equal(bh_parse_money("99999999999999999", &m), BH_ERANGE);
    bh_format_money(1234567, 2, buf, sizeof buf);
    assert_string_equal(buf, "1.23");
    bh_format_money(1235000, 2, buf, sizeof buf);
    assert_string_equal(buf, "1.24"); /* half away from zero */
    bh_format_money(-1235000, 2, buf, sizeof buf);
    assert_string_equal(buf, "-1.24");
    bh_format_money(35000, 6, buf, sizeof buf);
    assert_string_equal(buf, "0.035000");
    bh_format_money(-1, 2, buf, sizeof buf);
    assert_string_equal(buf, "0.00");
}

static void
clocks(void **state) {
    double s;
    assert_int_equal(bh_parse_clock("08:00", &s), 0);
    assert_true(s == 8 * 3600);
    assert_int_equal(bh_parse_clock("23:59:30", &s), 0);
    assert_true(s == 86370);
    assert_int_equal(bh_parse_clock("24:00", &s), 0);
    assert_int_equal(bh_parse_clock("24:01", &s), BH_ERANGE);
    assert_int_equal(bh_parse_clock("8:00", &s), BH_EPARSE);
    assert_int_equal(bh_parse_clock("08:60", &s), BH_ERANGE);
    assert_int_equal(bh_parse_clock("0a:00", &s), BH_EPARSE);
}

static void
errors_and_format(void **state) {
    char buf[32];
    for (int e = 0; e >= BH_ERR_MIN; e--)
        assert_non_null(bh_strerror(e));
    assert_string_equal(bh_strerror(1), "unknown error");
    assert_string_equal(bh_strerror(BH_ERR_MIN - 1), "unknown error");
    bh_format_duration(5400, buf, sizeof buf);
    assert_string_equal(buf, "1h30m");
    bh_format_duration(20, buf, sizeof buf);
    assert_string_equal(buf, "20s");
    struct bh_diag d = {.file = "a.yaml"};
    bh_diag_set(&d, 3, 7, "unknown key '%s'", "lnes");
    assert_int_equal(d.line, 3);
    assert_string_equal(d.msg, "unknown key 'lnes'");
}

static void
mkdir_parents(void **state) {
    char root[] = "/tmp/bh_mkdir_XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[256], dir[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/a/b/c.json", root);
    assert_int_equal(bh_mkdir_parents(path), 0);
    snprintf(dir, sizeof dir, "%s/a/b", root);
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(bh_mkdir_parents(path), 0); /* already there */
    assert_int_equal(bh_mkdir_parents("plain.json"), 0);
    assert_int_equal(bh_mkdir_parents(""), 0);
    /* A file where a folder should be: an error, not a crash. */
    char file[256], under[256];
    snprintf(file, sizeof file, "%s/f", root);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(under, sizeof under, "%s/f/x.json", root);
    assert_int_equal(bh_mkdir_parents(under), BH_EIO);
    unlink(file);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/a", root);
    rmdir(dir);
    rmdir(root);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),
        cmocka_unit_test(percents),
        cmocka_unit_test(money),
        cmocka_unit_test(clocks),
        cmocka_unit_test(errors_and_format),
        cmocka_unit_test(mkdir_parents),
    };
    return cmocka_run_group_tests_name("common/units", tests, NULL, NULL);
}
