/* test_metrics.c: the metrics renderers (Prometheus text, JSON status). */
#include "switch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void
metrics_text(void **state) {
    struct bh_switch_metrics m;
    memset(&m, 0, sizeof m);
    m.requests_in[BH_SWITCH_M_INVITE] = 8;
    m.responses_out[486] = 3;
    m.outcomes[BH_OUTCOME_ANSWERED] = 5;
    m.parse_errors = 1;
    m.ended[BH_SWITCH_END_RTP_TIMEOUT] = 20;
    m.cdr_written = 7;
    m.cdr_pending = 3;
    m.cdr_lost = 2;
    m.cdr_busy = 4;
    struct bh_switch_number_view nv = {"sup\"port", "8800", 5, 4,
                                       true,        2,      3, 1};
    char buf[16384];
    size_t n = bh_switch_metrics_prometheus(&m, &nv, 1, buf, sizeof buf);
    assert_true(n < sizeof buf);
    assert_non_null(strstr(buf, "bh_switch_lines_busy{number=\"sup\\\"port\"}"
                                " 4\n"));
    assert_non_null(strstr(buf, "bh_switch_queue_length{number=\"sup\\\""
                                "port\"} 2\n"));
    assert_non_null(strstr(buf, "bh_switch_operators_free{number=\"sup\\\""
                                "port\"} 1\n"));
    assert_non_null(strstr(buf, "bh_switch_calls_total{outcome=\"answered\"}"
                                " 5\n"));
    assert_non_null(strstr(buf, "{method=\"INVITE\",dir=\"in\"} 8\n"));
    assert_non_null(strstr(buf, "{status=\"486\",dir=\"out\"} 3\n"));
    assert_non_null(strstr(buf, "bh_switch_sip_parse_errors_total 1\n"));
    assert_non_null(strstr(buf, "bh_switch_calls_ended_total{reason=\""
                                "rtp-timeout\"} 20\n"));
    assert_non_null(strstr(buf, "bh_switch_cdr_rows_written_total 7\n"));
    assert_non_null(strstr(buf, "bh_switch_cdr_rows_pending 3\n"));
    assert_non_null(strstr(buf, "bh_switch_cdr_rows_lost_total 2\n"));
    assert_non_null(strstr(buf, "bh_switch_cdr_busy_total 4\n"));
    assert_string_equal(bh_switch_end_name(BH_SWITCH_END_SESSION_EXPIRED),
                        "session-expired");
    assert_string_equal(bh_switch_end_name(BH_SWITCH_END_COUNT), "unknown");
    /* Truncation reports the size needed and stays terminated. */
    char small[64];
    size_t need = bh_switch_metrics_prometheus(&m, &nv, 1, small, sizeof small);
    assert_int_equal(need, n);
    assert_int_equal(strlen(small), sizeof small - 1);
    n = bh_switch_metrics_json(&m, &nv, 1, 12.5, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"name\":\"sup\\\"port\""));
    assert_non_null(strstr(buf, "\"answered\":5"));
    assert_non_null(strstr(buf, "\"rtp-timeout\":20"));
    assert_non_null(strstr(buf, "\"cdr\":{\"written\":7,\"pending\":3,"
                                "\"lost\":2"));
    assert_int_equal(bh_switch_method_from(BH_STR_LIT("BYE")), BH_SWITCH_M_BYE);
    assert_int_equal(bh_switch_method_from(BH_STR_LIT("bye")),
                     BH_SWITCH_M_OTHER);
    assert_string_equal(bh_outcome_name(BH_OUTCOME_OVERFLOW), "overflow");
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
