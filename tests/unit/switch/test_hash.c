/* test_hash.c: the switch's hash table (transactions, dialogs, calls). */
#include "internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct item {
    struct sw_hnode node;
    char key[32];
};

static void
put_get_del(void **state) {
    struct sw_htab t;
    assert_int_equal(sw_htab_init(&t), 0);
    enum { N = 10000 };
    struct item *items = calloc(N, sizeof *items);
    assert_non_null(items);
    for (int i = 0; i < N; i++) {
        int n = snprintf(items[i].key, sizeof items[i].key, "z9hG4bK%d", i);
        items[i].node.key = items[i].key;
        items[i].node.klen = (size_t)n;
        assert_int_equal(sw_htab_put(&t, &items[i].node), 0);
    }
    assert_int_equal(t.n, N);
    assert_true(t.nb >= N); /* grew: at most one entry per bucket */
    for (int i = 0; i < N; i++) {
        struct sw_hnode *x =
            sw_htab_get(&t, items[i].key, strlen(items[i].key));
        assert_ptr_equal(x, &items[i].node);
    }
    assert_null(sw_htab_get(&t, "z9hG4bK", 7));
    assert_null(sw_htab_get(&t, "z9hG4bK1x", 9));
    for (int i = 0; i < N; i += 2)
        sw_htab_del(&t, &items[i].node);
    assert_int_equal(t.n, N / 2);
    for (int i = 0; i < N; i++) {
        struct sw_hnode *x =
            sw_htab_get(&t, items[i].key, strlen(items[i].key));
        if (i % 2)
            assert_ptr_equal(x, &items[i].node);
        else
            assert_null(x);
    }
    /* Keys are byte strings: embedded NULs count. */
    struct item a = {0}, b = {0};
    memcpy(a.key, "ab\0c", 4);
    memcpy(b.key, "ab\0d", 4);
    a.node.key = a.key;
    a.node.klen = 4;
    b.node.key = b.key;
    b.node.klen = 4;
    sw_htab_put(&t, &a.node);
    sw_htab_put(&t, &b.node);
    assert_ptr_equal(sw_htab_get(&t, "ab\0d", 4), &b.node);
    assert_ptr_equal(sw_htab_get(&t, "ab\0c", 4), &a.node);
    assert_null(sw_htab_get(&t, "ab", 2));
    sw_htab_fini(&t);
    free(items);
}

int
main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_del),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
