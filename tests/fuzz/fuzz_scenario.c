/* fuzz_scenario.c: libFuzzer entry point for the scenario loader: any bytes
 * either load or fail with a located diagnostic, never crash or leak. */
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct bh_scenario *sc = NULL;
    struct bh_diag d;
    /* empirical files resolve against /nonexistent: no file is read */
    int rc = bh_scenario_parse((const char *)data, size,
                               "/nonexistent/fuzz.yaml", &sc, &d);
    if (rc == 0) {
        /* read what the traffic model reads first: all initialised */
        const struct bh_sc_source *s = &sc->sources[0];
        volatile double v = s->holding.mean + bh_source_profile(s)->rate[0];
        (void)v;
        bh_scenario_free(sc);
    } else if (rc == BH_EPARSE && (d.line < 1 || d.column < 1)) {
        abort(); /* every parse error is located */
    }
    return 0;
}
