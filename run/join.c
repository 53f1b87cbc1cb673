/* join.c: the driver's records joined to the switch's CDRs by Call-ID
 * (records.csv), the call-by-call counts, and the peaks of the run. */
#include "run_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
run_calls_add(struct run_calls *c, const struct bh_driver_call *dc) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        struct run_call *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return BH_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    struct run_call *k = &c->v[c->n++];
    k->rec = dc->rec;
    snprintf(k->call_id, sizeof k->call_id, "%s", dc->call_id);
    k->status = dc->status;
    k->fail = dc->fail;
    k->late = dc->late;
    return 0;
}

void
run_calls_free(struct run_calls *c) {
    free(c->v);
    memset(c, 0, sizeof *c);
}

struct cdrs {
    size_t n, cap;
    struct bh_cdr_row *v; /* owned */
    int nomem;
};

static int
keep_row(void *ctx, const struct bh_cdr_row *row) {
    struct cdrs *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        struct bh_cdr_row *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->nomem = 1;
            return BH_ENOMEM;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = *row;
    return 0;
}

static int
by_call_id(const void *a, const void *b) {
    return strcmp(((const struct bh_cdr_row *)a)->call_id,
                  ((const struct bh_cdr_row *)b)->call_id);
}

static const char *
target_name(const struct bh_scenario *sc, const struct bh_call_record *r) {
    if (r->target_kind == BH_TARGET_BRIDGE)
        return r->target < sc->sw.nbridges ? sc->sw.bridges[r->target].name
                                           : "";
    return r->target < sc->sw.nnumbers ? sc->sw.numbers[r->target].name : "";
}

/* The most intervals [a, b) open at once. */
struct span {
    double t;
    int d;
};

static int
by_time(const void *a, const void *b) {
    const struct span *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->d - y->d; /* ends before starts at the same instant */
}

static uint64_t
peak(struct span *s, size_t n) {
    if (n)
        qsort(s, n, sizeof *s, by_time);
    int64_t up = 0, best = 0;
    for (size_t i = 0; i < n; i++) {
        up += s[i].d;
        if (up > best)
            best = up;
    }
    return (uint64_t)best;
}

static void
cdr_cols(FILE *f, const struct bh_cdr_row *r, double speed) {
    if (!r) {
        fputs(",,,,", f);
        return;
    }
    fprintf(f, "%s,%d,%s,%.6f,%.6f",
            bh_outcome_name((enum bh_outcome)r->rec.outcome), r->status,
            r->reason, r->rec.wait * speed, r->rec.talk * speed);
}

/* The driver's record of a call with the switch's account of it: the
 * CDR's outcome, and its answer, connect and end (wall s after its
 * arrival, times the speed) after the record's arrival; who called (class,
 * origin, plan, payer) is the record's. What the CDR bills. */
static struct bh_call_record
cdr_timed(const struct bh_call_record *r, const struct bh_cdr_row *row,
          double speed) {
    struct bh_call_record c = *r;
    const struct bh_call_record *w = &row->rec;
    c.outcome = w->outcome;
    c.answer =
        w->answer >= 0 ? r->arrival + (w->answer - w->arrival) * speed : -1;
    c.connect =
        w->connect >= 0 ? r->arrival + (w->connect - w->arrival) * speed : -1;
    c.end = r->arrival + (w->end - w->arrival) * speed;
    c.wait = w->wait * speed;
    c.talk = w->talk * speed;
    c.cost = 0;
    return c;
}

int
run_join(const struct run_calls *calls, const char *cdr_path,
         const struct bh_scenario *sc, double speed, const char *path,
         struct bh_record_sink cdr_sink, struct bh_run_numbers *n,
         struct bh_diag *diag) {
    struct cdrs c = {0};
    if (cdr_path) {
        int rc = bh_cdr_read(cdr_path, NULL, keep_row, &c, diag);
        if (rc) {
            free(c.v);
            if (!diag->msg[0])
                bh_diag_set(diag, 0, 0, "%s: %s", cdr_path,
                            c.nomem ? "out of memory" : bh_strerror(rc));
            return BH_EIO;
        }
        if (c.n)
            qsort(c.v, c.n, sizeof *c.v, by_call_id);
    }
    char *used = calloc(c.n + 1, 1);
    struct span *sp = calloc(2 * (calls->n + c.n) + 1, sizeof *sp);
    FILE *f = fopen(path, "w");
    if (!used || !sp || !f) {
        bh_diag_set(diag, 0, 0, "%s: cannot write", path);
        free(used);
        free(sp);
        free(c.v);
        if (f)
            fclose(f);
        return BH_EIO;
    }
    fputs("id,call_id,source,target,attempt,outcome,arrival,answer,connect,"
          "end,wait,talk,cost,status,failure,late_ms,cdr_outcome,cdr_status,"
          "cdr_reason,cdr_wait,cdr_talk,match\n",
          f);
    n->driver_records = calls->n;
    n->cdrs = c.n;
    size_t ns = 0;
    for (size_t i = 0; i < calls->n; i++) {
        const struct run_call *k = &calls->v[i];
        const struct bh_call_record *r = &k->rec;
        struct bh_cdr_row key;
        snprintf(key.call_id, sizeof key.call_id, "%s", k->call_id);
        struct bh_cdr_row *row =
            c.n ? bsearch(&key, c.v, c.n, sizeof *c.v, by_call_id) : NULL;
        const char *match = "no-cdr";
        if (row) {
            used[row - c.v] = 1;
            struct bh_call_record timed = cdr_timed(r, row, speed);
            bh_sink_record(cdr_sink, &timed);
            n->cdrs_rated++;
            if (row->rec.outcome == r->outcome) {
                n->matched++;
                match = "yes";
            } else {
                n->mismatched++;
                match = "outcome";
            }
        } else {
            n->driver_only++;
        }
        fprintf(f,
                "%llu,%s,%s,%s,%u,%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%d,%s,"
                "%.3f,",
                (unsigned long long)r->id, k->call_id,
                r->source < sc->nsources ? sc->sources[r->source].name : "",
                target_name(sc, r), (unsigned)r->attempt,
                bh_outcome_name((enum bh_outcome)r->outcome), r->arrival,
                r->answer, r->connect, r->end, r->wait, r->talk,
                (double)r->cost / 1e6, k->status, bh_driver_fail_name(k->fail),
                1000 * k->late);
        cdr_cols(f, row, speed);
        fprintf(f, ",%s\n", match);
        if (r->end >= r->arrival) {
            sp[ns++] = (struct span){r->arrival, 1};
            sp[ns++] = (struct span){r->end, -1};
        }
    }
    n->peak_calls = peak(sp, ns);
    ns = 0;
    int bridge_rows = 0;
    for (size_t j = 0; j < c.n; j++) {
        const struct bh_cdr_row *row = &c.v[j];
        if (!used[j]) {
            n->cdr_only++;
            fprintf(f, ",%s,,%s%s", row->call_id, row->number, ",,,,,,,,,,,,,");
            cdr_cols(f, row, speed);
            fputs(",no-record\n", f);
        }
        if (row->rec.target_kind == BH_TARGET_BRIDGE) {
            bridge_rows = 1;
            if (row->rec.outcome == BH_OUTCOME_ANSWERED &&
                row->rec.end >= row->rec.connect && row->rec.connect > 0) {
                sp[ns++] = (struct span){row->rec.connect, 1};
                sp[ns++] = (struct span){row->rec.end, -1};
            }
        }
    }
    n->peak_mixer = bridge_rows ? (int64_t)peak(sp, ns) : -1;
    free(used);
    free(sp);
    free(c.v);
    if (fclose(f)) {
        bh_diag_set(diag, 0, 0, "%s: write failed", path);
        return BH_EIO;
    }
    return 0;
}
