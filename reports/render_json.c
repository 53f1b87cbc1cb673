/* render_json.c: `busyhour report --json`: what the report compared, as
 * one JSON document: the verdict, the warnings, and every column's
 * results (each a results object, thresholds as judged in the report). */
#include "render.h"

#include <string.h>

int
bh_report_json(const struct bh_report *rep, FILE *out) {
    if (!rep || !out || rep->n == 0)
        return BH_EINVAL;
    size_t vf = rep->verdict_of < rep->n ? rep->verdict_of : 0;
    const struct bh_results *rv = rep->rs[vf];
    int failed = bh_results_failed(rv);
    fputs("{\n  \"format\": \"" BH_REPORT_FORMAT "\",\n  \"scenario\": ", out);
    bh_json_write_string(out, rep->rs[0]->scenario);
    fprintf(out, ",\n  \"verdict\": \"%s\",\n  \"failed\": %d,\n",
            rv->nthresholds == 0 ? "none"
            : failed             ? "fail"
                                 : "pass",
            failed);
    fputs("  \"verdict_of\": ", out);
    bh_json_write_string(out, rep->labels[vf]);
    fputs(",\n  \"warnings\": [", out);
    for (size_t i = 0; i < rep->nwarnings; i++) {
        fputs(i ? ", " : "", out);
        bh_json_write_string(out, rep->warnings[i]);
    }
    fputs("],\n  \"columns\": [\n", out);
    for (size_t f = 0; f < rep->n; f++) {
        fputs("    {\"label\": ", out);
        bh_json_write_string(out, rep->labels[f]);
        fputs(", \"results\":\n", out);
        if (bh_results_write_stream(rep->rs[f], out))
            return BH_EIO;
        fprintf(out, "    }%s\n", f + 1 < rep->n ? "," : "");
    }
    fputs("  ]\n}\n", out);
    return ferror(out) ? BH_EIO : 0;
}
