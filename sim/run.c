/* run.c: checking a scenario for simulation, and running replications on
 * several threads with results independent of the thread count. */
#include "sim.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int
fail(char *msg, size_t size, const char *fmt, ...) {
    if (msg && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
    }
    return BH_EINVAL;
}

static int
profile_ok(const struct bh_profile *p) {
    if (p->n < 1 || p->n > BH_SC_MAX_PROFILE)
        return 0;
    for (size_t i = 0; i < p->n; i++) {
        if (!isfinite(p->rate[i]) || p->rate[i] < 0 || !isfinite(p->at[i]))
            return 0;
        if (i > 0 && !(p->at[i] > p->at[i - 1]))
            return 0;
    }
    return p->at[0] >= 0 && p->at[p->n - 1] < 86400;
}

static int
dist_ok(const struct bh_dist *d) {
    if (!isfinite(d->mean) || !isfinite(d->sd) || d->sd < 0)
        return 0;
    if (d->kind == BH_DIST_UNIFORM &&
        !(isfinite(d->min) && isfinite(d->max) && d->min <= d->max))
        return 0;
    if (d->kind == BH_DIST_EMPIRICAL && (!d->samples || !d->nsamples))
        return 0;
    return 1;
}

int
bh_sim_check(const struct bh_scenario *sc, char *msg, size_t size) {
    if (!sc)
        return fail(msg, size, "no scenario");
    if (!(sc->horizon > 0) || !isfinite(sc->horizon))
        return fail(msg, size, "horizon must be positive");
    if (!(sc->interval > 0) || !isfinite(sc->interval))
        return fail(msg, size, "interval must be positive");
    if (sc->horizon / sc->interval > BH_SIM_MAX_INTERVALS)
        return fail(msg, size, "more than %d intervals in the horizon",
                    BH_SIM_MAX_INTERVALS);
    if (!(sc->sim.warmup >= 0) || !(sc->sim.warmup < sc->horizon))
        return fail(msg, size,
                    "warm-up must be at least 0 and shorter than the "
                    "horizon");
    if (!(sc->start >= 0) || !isfinite(sc->start))
        return fail(msg, size, "start time of day must be at least 0");
    for (size_t i = 0; i < sc->sw.nnumbers; i++) {
        const struct bh_sc_number *n = &sc->sw.numbers[i];
        if (n->lines < 1 || n->lines > BH_SC_MAX_CAPACITY)
            return fail(msg, size, "number %s: lines must be 1 to %d", n->name,
                        BH_SC_MAX_CAPACITY);
        if (n->ivr.present &&
            !(n->ivr.menu_time >= 0 && isfinite(n->ivr.menu_time)))
            return fail(msg, size, "number %s: bad IVR menu time", n->name);
        if (!n->queue.present)
            continue;
        if (n->queue.operators < 1 || n->queue.operators > BH_SC_MAX_CAPACITY)
            return fail(msg, size,
                        "number %s: a queue needs 1 to %d operators (with "
                        "%d, callers would wait forever)",
                        n->name, BH_SC_MAX_CAPACITY, n->queue.operators);
        if (n->queue.max_length < 0)
            return fail(msg, size, "number %s: negative queue max_length",
                        n->name);
        if (!(n->queue.max_wait >= 0) || !(n->queue.wrap_up >= 0) ||
            !isfinite(n->queue.wrap_up))
            return fail(msg, size,
                        "number %s: max_wait and wrap_up must be at least "
                        "0",
                        n->name);
    }
    for (size_t i = 0; i < sc->sw.nbridges; i++) {
        const struct bh_sc_bridge *b = &sc->sw.bridges[i];
        if (b->ports < 1 || b->ports > BH_SC_MAX_CAPACITY)
            return fail(msg, size, "bridge %s: ports must be 1 to %d", b->name,
                        BH_SC_MAX_CAPACITY);
        if (b->max_per_room < 0)
            return fail(msg, size, "bridge %s: negative max_per_room", b->name);
    }
    if (sc->nsources > BH_SC_MAX_ITEMS)
        return fail(msg, size, "more than %d traffic sources", BH_SC_MAX_ITEMS);
    for (size_t i = 0; i < sc->nsources; i++) {
        const struct bh_sc_source *s = &sc->sources[i];
        size_t ntarget = s->target_kind == BH_TARGET_NUMBER ? sc->sw.nnumbers
                                                            : sc->sw.nbridges;
        if (s->target < 0 || (size_t)s->target >= ntarget)
            return fail(msg, size, "traffic %s: unknown target", s->name);
        if (s->kind == BH_SOURCE_MEETINGS && s->target_kind != BH_TARGET_BRIDGE)
            return fail(msg, size, "traffic %s: meetings need a bridge",
                        s->name);
        if (s->kind == BH_SOURCE_CAMPAIGN && s->target_kind != BH_TARGET_NUMBER)
            return fail(msg, size,
                        "traffic %s: a campaign dials out through a "
                        "number's lines",
                        s->name);
        const struct bh_profile *p =
            s->kind == BH_SOURCE_MEETINGS   ? &s->meetings.profile
            : s->kind == BH_SOURCE_CAMPAIGN ? &s->campaign.profile
                                            : &s->profile;
        if (!profile_ok(p))
            return fail(msg, size,
                        "traffic %s: the profile needs increasing times "
                        "of day and finite rates >= 0",
                        s->name);
        if (!dist_ok(&s->holding) ||
            (s->has_patience && !dist_ok(&s->patience)))
            return fail(msg, size, "traffic %s: bad holding or patience",
                        s->name);
        if (s->kind == BH_SOURCE_MEETINGS &&
            (!dist_ok(&s->meetings.participants) ||
             !dist_ok(&s->meetings.duration) ||
             !dist_ok(&s->meetings.join_spread) ||
             !(s->meetings.passcode_entry >= 0)))
            return fail(msg, size, "traffic %s: bad meeting description",
                        s->name);
        if (s->kind == BH_SOURCE_CAMPAIGN &&
            (!(s->campaign.answer_probability >= 0 &&
               s->campaign.answer_probability <= 1) ||
             !dist_ok(&s->campaign.ring)))
            return fail(msg, size, "traffic %s: bad campaign description",
                        s->name);
        if (s->retry.present &&
            (!(s->retry.probability >= 0 && s->retry.probability <= 1) ||
             s->retry.max_attempts < 1 || !dist_ok(&s->retry.delay)))
            return fail(msg, size,
                        "traffic %s: retry needs a probability in [0, 1] "
                        "and max_attempts >= 1",
                        s->name);
        if (s->sources < 0)
            return fail(msg, size, "traffic %s: negative sources", s->name);
        for (size_t c = 0; c < s->nclasses; c++)
            if (!(s->classes[c].share >= 0) || s->classes[c].subscribers < 0)
                return fail(msg, size, "traffic %s: bad caller class", s->name);
    }
    return 0;
}

/* ---- parallel replications ------------------------------------------ */

struct shared {
    const struct bh_scenario *sc;
    const struct bh_sim_options *opt;
    pthread_mutex_t lock;
    int next; /* next replication to run */
    int done;
    int err;
    FILE **tmp; /* per replication records, when records are asked */
};

struct worker {
    struct shared *sh;
    struct bh_collector *col;
    struct bh_sim_stats stats;
    pthread_t thread;
};

struct sink {
    FILE *out;
    const struct bh_scenario *sc;
    const struct bh_sim_options *opt;
};

static void
write_record(void *arg, const struct bh_call_record *rec) {
    struct sink *k = arg;
    if (k->out)
        bh_call_record_csv(k->out, rec, k->sc);
    if (k->opt->on_record)
        k->opt->on_record(k->opt->record_arg, rec);
}

static void *
work(void *arg) {
    struct worker *w = arg;
    struct shared *sh = w->sh;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        int rep = sh->err ? sh->opt->replications : sh->next++;
        pthread_mutex_unlock(&sh->lock);
        if (rep >= sh->opt->replications)
            break;
        struct sink k = {sh->tmp ? sh->tmp[rep] : sh->opt->records, sh->sc,
                         sh->opt};
        int rc = bh_sim_replication(
            sh->sc, sh->opt->seed, rep, w->col,
            k.out || sh->opt->on_record ? write_record : NULL, &k, &w->stats);
        pthread_mutex_lock(&sh->lock);
        if (rc && !sh->err)
            sh->err = rc;
        sh->done++;
        if (sh->opt->progress)
            sh->opt->progress(sh->opt->progress_arg, sh->done,
                              sh->opt->replications);
        pthread_mutex_unlock(&sh->lock);
    }
    return NULL;
}

static int
copy_file(FILE *from, FILE *to) {
    char buf[65536];
    size_t n;
    rewind(from);
    while ((n = fread(buf, 1, sizeof buf, from)) > 0)
        if (fwrite(buf, 1, n, to) != n)
            return BH_EIO;
    return ferror(from) ? BH_EIO : 0;
}

int
bh_sim_run(const struct bh_scenario *sc, const struct bh_sim_options *opt,
           struct bh_results *out, struct bh_sim_stats *stats, char *msg,
           size_t size) {
    if (msg && size)
        msg[0] = '\0';
    int rc = bh_sim_check(sc, msg, size);
    if (rc)
        return rc;
    if (opt->replications < 1 || opt->replications > BH_SC_MAX_REPLICATIONS)
        return fail(msg, size, "replications must be 1 to %d",
                    BH_SC_MAX_REPLICATIONS);
    int nthreads = opt->threads < 1 ? 1 : opt->threads;
    if (nthreads > BH_SIM_MAX_THREADS)
        return fail(msg, size, "threads must be 1 to %d", BH_SIM_MAX_THREADS);
    if (nthreads > opt->replications)
        nthreads = opt->replications;
    /* records of parallel replications go through one temporary file
     * each; keep the number of open files modest */
    if (opt->records && opt->replications > 256)
        nthreads = 1;

    struct shared sh;
    memset(&sh, 0, sizeof sh);
    sh.sc = sc;
    sh.opt = opt;
    pthread_mutex_init(&sh.lock, NULL);
    struct worker *w = calloc((size_t)nthreads, sizeof *w);
    if (!w) {
        pthread_mutex_destroy(&sh.lock);
        return BH_ENOMEM;
    }
    if (opt->records)
        bh_call_record_csv_header(opt->records);
    if (opt->records && nthreads > 1) {
        sh.tmp = calloc((size_t)opt->replications, sizeof *sh.tmp);
        if (!sh.tmp)
            rc = BH_ENOMEM;
        for (int r = 0; !rc && r < opt->replications; r++)
            if (!(sh.tmp[r] = tmpfile()))
                rc = BH_EIO;
    }
    for (int i = 0; !rc && i < nthreads; i++) {
        w[i].sh = &sh;
        rc = bh_collector_new(sc, BH_SOURCE_SIM, &w[i].col);
    }
    int started = 0;
    if (!rc) {
        if (nthreads == 1) {
            work(&w[0]);
        } else {
            for (; started < nthreads; started++)
                if (pthread_create(&w[started].thread, NULL, work, &w[started]))
                    break;
            if (started == 0)
                work(&w[0]); /* no threads to be had: run here */
            for (int i = 0; i < started; i++)
                pthread_join(w[i].thread, NULL);
        }
        rc = sh.err;
    }
    /* merge in replication order: the collector keeps replications sorted
     * by index, so the thread that ran one does not matter */
    for (int i = 1; !rc && i < nthreads; i++)
        rc = bh_collector_merge(w[0].col, w[i].col);
    if (!rc)
        rc = bh_collector_results(w[0].col, out);
    if (!rc && sh.tmp) {
        for (int r = 0; !rc && r < opt->replications; r++)
            rc = copy_file(sh.tmp[r], opt->records);
        if (!rc && fflush(opt->records))
            rc = BH_EIO;
    }
    for (int i = 0; i < nthreads; i++) {
        if (stats) {
            stats->events += w[i].stats.events;
            stats->calls += w[i].stats.calls;
        }
        bh_collector_free(w[i].col);
    }
    if (sh.tmp)
        for (int r = 0; r < opt->replications; r++)
            if (sh.tmp[r])
                fclose(sh.tmp[r]);
    free(sh.tmp);
    free(w);
    pthread_mutex_destroy(&sh.lock);
    if (rc && msg && size && !msg[0])
        snprintf(msg, size, "simulation failed: %s", bh_strerror(rc));
    return rc;
}
