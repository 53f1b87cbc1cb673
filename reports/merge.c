/* merge.c: the results files of the segments of one load run (busyhour
 * load --segment I/N) merged into the results of the whole run: counts
 * summed, shares and means recomputed from the summed counts, wait
 * histograms merged (bh_results_merge; reports/README.md, "Merging
 * segments"). */
#include "reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A figure of one run: no interval of its own. */
static struct bh_estimate
exact(double v) {
    return bh_estimate_exact(v);
}

/* Running sums that skip NaN ("not measured"): NaN when every term was. */
struct acc {
    double sum, weight;
    int terms;
};

static void
acc_add(struct acc *a, double v, double w) {
    if (isnan(v) || isnan(w))
        return;
    a->sum += v * w;
    a->weight += w;
    a->terms++;
}

static double
acc_sum(const struct acc *a) {
    return a->terms ? a->sum : NAN;
}

/* The weighted mean; NaN when there is no weight. */
static double
acc_mean(const struct acc *a) {
    return a->weight > 0 ? a->sum / a->weight : NAN;
}

static double
share(double v) {
    return v > 1 ? 1 : v;
}

/* The model's offered Erlangs: every segment's driver writes the whole
 * scenario's figure (it comes from the model, not from its calls), so
 * equal figures are kept; figures that differ are each segment's share
 * and are summed. */
struct erlangs {
    struct acc sum;
    double first;
    int n, differ;
};

static void
erl_add(struct erlangs *e, double v) {
    if (e->n++ == 0)
        e->first = v;
    else if (!(v == e->first) && !(isnan(v) && isnan(e->first)))
        e->differ = 1;
    acc_add(&e->sum, v, 1);
}

static double
erl_value(const struct erlangs *e) {
    return e->differ ? acc_sum(&e->sum) : e->first;
}

static int
fail(struct bh_diag *diag, const char *name, const char *what,
     const char *more) {
    if (diag) {
        memset(diag, 0, sizeof *diag);
        snprintf(diag->file, sizeof diag->file, "%s", name);
        bh_diag_set(diag, 0, 0, "cannot merge: %s%s", what, more ? more : "");
    }
    return BH_EINVAL;
}

/* Whether the n files are the segments 1..N of one run. */
static int
check(const struct bh_results *const *in, const char *const *names, size_t n,
      struct bh_diag *diag) {
    const struct bh_results *a = in[0];
    char *seen = calloc(n + 1, 1);
    if (!seen)
        return BH_ENOMEM;
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        const struct bh_results *b = in[k];
        const char *nm = names ? names[k] : "results";
        if (b->source != BH_SOURCE_LOAD)
            rc = fail(diag, nm, "not load results (source ",
                      b->source == BH_SOURCE_SIM ? "sim)" : "analytic)");
        else if (b->segment_count == 0)
            rc = fail(diag, nm,
                      "not a segment of a load run (no \"segment\"; "
                      "written by busyhour load --segment I/N)",
                      NULL);
        else if (b->segment_count != n)
            rc = fail(diag, nm,
                      "its segment count is not the number of files "
                      "given (every segment 1..N, each once)",
                      NULL);
        else if (seen[b->segment_index])
            rc = fail(diag, nm, "its segment is given twice", NULL);
        else if (strcmp(b->scenario, a->scenario) != 0 ||
                 strcmp(b->scenario_hash, a->scenario_hash) != 0 ||
                 b->seed != a->seed)
            rc = fail(diag, nm, "another scenario or seed than ",
                      names ? names[0] : "the first file");
        else if (b->horizon != a->horizon || b->warmup != a->warmup ||
                 b->interval != a->interval || b->ntargets != a->ntargets ||
                 b->nintervals != a->nintervals)
            rc = fail(diag, nm,
                      "another horizon, warm-up, interval or target list "
                      "than ",
                      names ? names[0] : "the first file");
        for (size_t ti = 0; !rc && ti < a->ntargets; ti++) {
            const struct bh_target_result *x = &a->targets[ti],
                                          *y = &b->targets[ti];
            int same = strcmp(x->name, y->name) == 0 &&
                       strcmp(x->kind, y->kind) == 0 && x->nsl == y->nsl;
            for (size_t j = 0; same && j < x->nsl; j++)
                same = x->sl[j].t == y->sl[j].t;
            if (!same)
                rc = fail(diag, nm, "another target or service level than ",
                          names ? names[0] : "the first file");
        }
        if (!rc)
            seen[b->segment_index] = 1;
    }
    free(seen);
    return rc;
}

static int
merge_target(const struct bh_results *const *in, size_t n, size_t ti,
             struct bh_target_result *t) {
    const struct bh_target_result *f = &in[0]->targets[ti];
    memcpy(t->name, f->name, sizeof t->name);
    memcpy(t->kind, f->kind, sizeof t->kind);
    t->lines = f->lines;
    t->operators = f->operators;
    t->nsl = f->nsl;
    struct acc offered = {0}, answered = {0}, blocked = {0}, abandoned = {0},
               overflow = {0}, retried = {0}, wait = {0}, busy = {0}, occ = {0},
               peak = {0}, sl[BH_RES_MAX_SL];
    memset(sl, 0, sizeof sl);
    struct erlangs erl = {0};
    int hists = 1;
    for (size_t k = 0; k < n; k++) {
        const struct bh_target_result *x = &in[k]->targets[ti];
        erl_add(&erl, x->offered_erlangs.mean);
        acc_add(&offered, x->offered.mean, 1);
        acc_add(&answered, x->answered.mean, 1);
        acc_add(&blocked, x->blocked.mean, 1);
        acc_add(&abandoned, x->abandoned.mean, 1);
        acc_add(&overflow, x->overflow.mean, 1);
        acc_add(&retried, x->retried.mean, 1);
        acc_add(&wait, x->wait_mean.mean, x->answered.mean);
        acc_add(&busy, x->busy_mean.mean, 1);
        acc_add(&occ, x->occupancy.mean, 1);
        acc_add(&peak, x->peak_busy.mean, 1);
        for (size_t j = 0; j < x->nsl; j++)
            acc_add(&sl[j], x->sl[j].value.mean, x->offered.mean);
        hists = hists && x->wait_hist;
    }
    t->offered_erlangs = exact(erl_value(&erl));
    t->offered = exact(acc_sum(&offered));
    t->answered = exact(acc_sum(&answered));
    t->blocked = exact(acc_sum(&blocked));
    t->abandoned = exact(acc_sum(&abandoned));
    t->overflow = exact(acc_sum(&overflow));
    t->retried = exact(acc_sum(&retried));
    double o = acc_sum(&offered);
    double lost = acc_sum(&blocked) + (overflow.terms ? overflow.sum : 0);
    t->blocking = exact(o > 0 ? lost / o : NAN);
    t->abandonment = exact(o > 0 ? acc_sum(&abandoned) / o : NAN);
    t->wait_mean = exact(acc_mean(&wait));
    for (size_t j = 0; j < t->nsl; j++) {
        t->sl[j].t = f->sl[j].t;
        t->sl[j].value = exact(acc_mean(&sl[j]));
    }
    /* each segment's calls hold their own share of the same lines */
    t->busy_mean = exact(acc_sum(&busy));
    t->occupancy = exact(share(acc_sum(&occ)));
    /* the segments' peaks need not coincide: their sum bounds the peak */
    t->peak_busy = exact(acc_sum(&peak));
    /* a meeting's participants may be dealt to several segments, so no
     * file saw a whole meeting: not measured in a merge */
    t->meetings = t->incomplete_meetings = exact(NAN);
    if (n == 1) {
        t->meetings = f->meetings;
        t->incomplete_meetings = f->incomplete_meetings;
    }
    if (!hists) {
        t->wait_p50 = t->wait_p90 = t->wait_p99 = exact(NAN);
        return 0;
    }
    t->wait_hist = calloc(1, sizeof *t->wait_hist);
    if (!t->wait_hist)
        return BH_ENOMEM;
    for (size_t k = 0; k < n; k++)
        bh_hist_merge(t->wait_hist, in[k]->targets[ti].wait_hist);
    t->wait_p50 = exact(bh_hist_quantile(t->wait_hist, 0.50));
    t->wait_p90 = exact(bh_hist_quantile(t->wait_hist, 0.90));
    t->wait_p99 = exact(bh_hist_quantile(t->wait_hist, 0.99));
    return 0;
}

static void
merge_interval(const struct bh_results *const *in, size_t n, size_t ti,
               size_t ii, struct bh_interval_result *iv) {
    const struct bh_interval_result *f =
        bh_results_interval((struct bh_results *)in[0], ti, ii);
    iv->start = f->start;
    iv->nsl = f->nsl;
    struct acc offered = {0}, blocking = {0}, abandonment = {0}, wait = {0},
               busy = {0}, occ = {0}, sl[BH_RES_MAX_SL];
    memset(sl, 0, sizeof sl);
    struct erlangs erl = {0};
    for (size_t k = 0; k < n; k++) {
        const struct bh_interval_result *x =
            bh_results_interval((struct bh_results *)in[k], ti, ii);
        double o = x->offered.mean;
        erl_add(&erl, x->offered_erlangs.mean);
        acc_add(&offered, o, 1);
        acc_add(&blocking, x->blocking.mean, o);
        acc_add(&abandonment, x->abandonment.mean, o);
        /* the interval's answered calls: those neither lost nor gone */
        double ans =
            o * (1 - (isnan(x->blocking.mean) ? 0 : x->blocking.mean) -
                 (isnan(x->abandonment.mean) ? 0 : x->abandonment.mean));
        acc_add(&wait, x->wait_mean.mean, ans > 0 ? ans : 0);
        acc_add(&busy, x->busy_mean.mean, 1);
        acc_add(&occ, x->occupancy.mean, 1);
        for (size_t j = 0; j < x->nsl && j < iv->nsl; j++)
            acc_add(&sl[j], x->sl[j].value.mean, o);
    }
    iv->offered_erlangs = exact(erl_value(&erl));
    iv->offered = exact(acc_sum(&offered));
    iv->blocking = exact(acc_mean(&blocking));
    iv->abandonment = exact(acc_mean(&abandonment));
    iv->wait_mean = exact(acc_mean(&wait));
    iv->busy_mean = exact(acc_sum(&busy));
    iv->occupancy = exact(share(acc_sum(&occ)));
    for (size_t j = 0; j < iv->nsl; j++) {
        iv->sl[j].t = f->sl[j].t;
        iv->sl[j].value = exact(acc_mean(&sl[j]));
    }
}

/* A payer's figures from its total and the answered calls over span s. */
static void
payer_fill(struct bh_payer_costs *p, double total, double answered,
           double span) {
    p->total = exact(total);
    p->per_answered_call = exact(answered > 0 ? total / answered : NAN);
    p->per_hour = exact(span > 0 ? total * 3600.0 / span : NAN);
    p->per_month = exact(span > 0 ? total * BH_RATING_MONTH / span : NAN);
}

static double
or0(double v) {
    return isnan(v) ? 0 : v;
}

/* Costs by payer and by target: sums, the fixed costs (line rental,
 * operators' pay) that every segment's bill carries counted once. */
static int
merge_payers(const struct bh_results *const *in, size_t n, double span,
             struct bh_costs *c) {
    const struct bh_costs *f = &in[0]->costs;
    double answered = 0;
    for (size_t k = 0; k < n; k++)
        answered += or0(in[k]->costs.answered.mean);
    c->answered = exact(answered);
    payer_fill(&c->by[BH_COST_ALL], c->total.mean, answered, span);
    payer_fill(&c->by[BH_COST_COMPANY], c->company.mean, answered, span);
    payer_fill(&c->by[BH_COST_CALLERS], c->callers.mean, answered, span);
    if (!f->ntargets)
        return 0;
    c->targets = calloc(f->ntargets, sizeof *c->targets);
    if (!c->targets)
        return BH_ENOMEM;
    c->ntargets = f->ntargets;
    for (size_t i = 0; i < f->ntargets; i++) {
        const struct bh_target_costs *t0 = &f->targets[i];
        struct bh_target_costs *t = &c->targets[i];
        memcpy(t->name, t0->name, sizeof t->name);
        t->line_rental = t0->line_rental;
        t->operators = t0->operators;
        double fixed = or0(t0->line_rental.mean) + or0(t0->operators.mean);
        double sum[BH_COST_PAYERS] = {0}, ans = 0;
        for (size_t k = 0; k < n; k++)
            for (size_t j = 0; j < in[k]->costs.ntargets; j++) {
                const struct bh_target_costs *x = &in[k]->costs.targets[j];
                if (strcmp(x->name, t->name) != 0)
                    continue;
                ans += or0(x->answered.mean);
                for (int p = 0; p < BH_COST_PAYERS; p++)
                    sum[p] += or0(x->by[p].total.mean);
            }
        sum[BH_COST_ALL] -= (double)(n - 1) * fixed;
        sum[BH_COST_COMPANY] -= (double)(n - 1) * fixed;
        t->answered = exact(ans);
        for (int p = 0; p < BH_COST_PAYERS; p++)
            payer_fill(&t->by[p], sum[p], ans, span);
    }
    return 0;
}

/* Costs: sums, less the line rental every segment's bill carries once. */
static int
merge_costs(const struct bh_results *const *in, size_t n, double span,
            struct bh_costs *c) {
    memset(c, 0, sizeof *c);
    for (size_t k = 0; k < n; k++)
        if (!in[k]->costs.present)
            return 0;
    const struct bh_costs *f = &in[0]->costs;
    c->present = true;
    memcpy(c->currency, f->currency, sizeof c->currency);
    /* line rental and operators' pay: in every segment's bill, once */
    double rental = or0(f->line_rental.mean) + or0(f->operators.mean);
    struct acc total = {0}, callers = {0}, company = {0}, revenue = {0},
               part = {0};
    size_t cap = 0;
    for (size_t k = 0; k < n; k++) {
        const struct bh_costs *x = &in[k]->costs;
        acc_add(&total, x->total.mean, 1);
        acc_add(&callers, x->callers.mean, 1);
        acc_add(&company, x->company.mean, 1);
        acc_add(&revenue, x->provider_revenue.mean, 1);
        /* participants: the answered calls to bridges */
        double people = 0;
        for (size_t ti = 0; ti < in[k]->ntargets; ti++)
            if (strcmp(in[k]->targets[ti].kind, "bridge") == 0 &&
                !isnan(in[k]->targets[ti].answered.mean))
                people += in[k]->targets[ti].answered.mean;
        acc_add(&part, x->per_participant.mean, people);
        cap += x->nclasses;
    }
    double tot = acc_sum(&total) - (double)(n - 1) * rental;
    c->total = exact(tot);
    c->callers = exact(acc_sum(&callers));
    c->company = exact(acc_sum(&company) - (double)(n - 1) * rental);
    c->line_rental = f->line_rental;
    c->operators = f->operators;
    c->provider_revenue = exact(acc_sum(&revenue));
    c->per_participant = exact(acc_mean(&part));
    c->per_month = exact(span > 0 ? tot * BH_RATING_MONTH / span : NAN);
    c->classes = calloc(cap ? cap : 1, sizeof *c->classes);
    if (!c->classes)
        return BH_ENOMEM;
    double calls = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < in[k]->costs.nclasses; i++) {
            const struct bh_cost_class *x = &in[k]->costs.classes[i];
            size_t j = 0;
            while (j < c->nclasses &&
                   !(strcmp(c->classes[j].source, x->source) == 0 &&
                     strcmp(c->classes[j].origin, x->origin) == 0 &&
                     strcmp(c->classes[j].plan, x->plan) == 0 &&
                     strcmp(c->classes[j].payer, x->payer) == 0))
                j++;
            struct bh_cost_class *y = &c->classes[j];
            if (j == c->nclasses) {
                *y = *x;
                y->total = exact(0);
                y->calls = exact(0);
                c->nclasses++;
            }
            y->total = exact(y->total.mean +
                             (isnan(x->total.mean) ? 0 : x->total.mean));
            y->calls = exact(y->calls.mean +
                             (isnan(x->calls.mean) ? 0 : x->calls.mean));
            calls += isnan(x->calls.mean) ? 0 : x->calls.mean;
        }
    }
    c->per_call = exact(calls > 0 ? tot / calls : NAN);
    /* A prepaid balance is not merged: each segment drew its own copy,
     * and when the whole run's ran out depends on how their charges
     * interleave (c->balance stays absent). */
    return merge_payers(in, n, span, c);
}

int
bh_results_merge(const struct bh_results *const *in, const char *const *names,
                 size_t n, struct bh_results *out, struct bh_diag *diag) {
    if (!in || !out || n == 0)
        return BH_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = check(in, names, n, diag);
    if (rc)
        return rc;
    const struct bh_results *a = in[0];
    rc = bh_results_init(out, a->ntargets, a->nintervals);
    if (rc)
        return rc;
    out->source = BH_SOURCE_LOAD;
    memcpy(out->scenario, a->scenario, sizeof out->scenario);
    memcpy(out->scenario_hash, a->scenario_hash, sizeof out->scenario_hash);
    out->seed = a->seed;
    out->replications = 1;
    out->horizon = a->horizon;
    out->warmup = a->warmup;
    out->interval = a->interval;
    for (size_t ti = 0; !rc && ti < a->ntargets; ti++) {
        rc = merge_target(in, n, ti, &out->targets[ti]);
        for (size_t ii = 0; !rc && ii < a->nintervals; ii++)
            merge_interval(in, n, ti, ii, bh_results_interval(out, ti, ii));
    }
    if (!rc)
        rc = merge_costs(in, n, a->horizon - a->warmup, &out->costs);
    if (rc)
        bh_results_clear(out);
    return rc;
}
