/* test_readme.c: the README opens with the two commands, and .ci/run runs
 * the second one exactly. */
#include "bh.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *
slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *copy = strdup(buf);
    assert_non_null(copy);
    return copy;
}

/* The n-th (0-based) ```sh block's first line. */
static char *
sh_block(const char *text, int n) {
    const char *p = text;
    for (int i = 0; i <= n; i++) {
        p = strstr(p, "```sh\n");
        assert_non_null(p);
        p += 6;
    }
    const char *e = strchr(p, '\n');
    assert_non_null(e);
    return strndup(p, (size_t)(e - p));
}

static void
ci_runs_readme_test_command(void **state) {
    char *readme = slurp(BH_SOURCE_DIR "/README.md");
    char *ci = slurp(BH_SOURCE_DIR "/.ci/run");
    char *main_job = sh_block(readme, 0);
    char *tests = sh_block(readme, 1);
    assert_non_null(strstr(main_job, "deps/install.sh"));
    assert_non_null(strstr(main_job, "busyhour"));
    assert_non_null(strstr(tests, "deps/install.sh"));
    assert_non_null(strstr(tests, "ctest"));
    /* .ci/run has the test command as a line of its own. */
    size_t n = strlen(tests);
    const char *hit = strstr(ci, tests);
    assert_non_null(hit);
    assert_true(hit[n] == '\n' && (hit == ci || hit[-1] == '\n'));
    free(readme);
    free(ci);
    free(main_job);
    free(tests);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ci_runs_readme_test_command),
    };
    return cmocka_run_group_tests_name("common/readme", tests, NULL, NULL);
}
