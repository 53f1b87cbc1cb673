/* test_fuzz_regress.c: replays fuzzer findings and the RFC 4475 corpus
 * through the four fuzz entry points, without libFuzzer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fuzz sources, each entry point under its own name. */
#define LLVMFuzzerTestOneInput fuzz_sip_one
#include "../../fuzz/fuzz_sip.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sdp_one
#include "../../fuzz/fuzz_sdp.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_rtp_one
#include "../../fuzz/fuzz_rtp.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_digest_one
#include "../../fuzz/fuzz_digest.c"
#undef LLVMFuzzerTestOneInput

/* Runs every file of dir through all entry points; returns the count. */
static int
replay_dir(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    static uint8_t data[1 << 16];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t len = fread(data, 1, sizeof data, f);
        fclose(f);
        assert_int_equal(fuzz_sip_one(data, len), 0);
        assert_int_equal(fuzz_sdp_one(data, len), 0);
        assert_int_equal(fuzz_rtp_one(data, len), 0);
        assert_int_equal(fuzz_digest_one(data, len), 0);
        n++;
    }
    closedir(d);
    return n;
}

static void
test_regressions(void **state) {
    (void)state;
    assert_true(replay_dir(BH_SOURCE_DIR "/tests/fuzz/regressions") >= 1);
}

static void
test_seeds(void **state) {
    (void)state;
    assert_int_equal(replay_dir(BH_SOURCE_DIR "/tests/fuzz/seeds/rtp"), 4);
    /* The RTCP seed is a valid compound packet: SR, RR, SDES, BYE. */
    FILE *f =
        fopen(BH_SOURCE_DIR "/tests/fuzz/seeds/rtp/rtcp-sr-rr-sdes-bye", "rb");
    assert_non_null(f);
    uint8_t buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct bh_rtcp_report r[4];
    assert_int_equal(bh_rtcp_parse(buf, n, r, 4), 2);
    assert_int_equal(r[0].rb[0].cum_lost, -5);
}

static void
test_corpus_through_fuzzers(void **state) {
    (void)state;
    assert_int_equal(replay_dir(BH_TEST_DATA "/rfc4475"), 52);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regressions),
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_corpus_through_fuzzers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
