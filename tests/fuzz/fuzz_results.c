/* fuzz_results.c: libFuzzer entry point for the results-file reader: any
 * bytes either read, and then write back and read again to the same
 * figures, or fail with a diagnostic; never crash or leak. */
#include "reports.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct bh_results r;
    struct bh_diag d;
    int rc = bh_results_parse((const char *)data, size, "fuzz.json", &r, &d);
    if (rc != 0) {
        if (!d.msg[0])
            abort(); /* every failure says why */
        return 0;
    }
    /* What was read writes out and reads back. */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m) {
        if (bh_results_write_stream(&r, m) != 0)
            abort();
        fclose(m);
        struct bh_results again;
        if (bh_results_parse(buf, len, "again.json", &again, &d) != 0)
            abort();
        if (again.ntargets != r.ntargets || again.nintervals != r.nintervals ||
            again.nthresholds != r.nthresholds)
            abort();
        bh_results_clear(&again);
        free(buf);
    }
    bh_results_clear(&r);
    return 0;
}
