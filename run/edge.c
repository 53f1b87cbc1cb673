/* edge.c: what a driver measured at the edge over a run's calls, summed
 * per call and turned into the results' `measured` block: one place for
 * busyhour run and busyhour load. */
#include "driver.h"
#include "reports.h"
#include "run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void
sum(double *s, uint64_t *n, double v, int have) {
    if (have) {
        *s += v;
        (*n)++;
    }
}

void
bh_run_edge_add(struct bh_run_edge *e, const struct bh_driver_call *c) {
    sum(&e->t100, &e->n100, c->t100, c->t100 >= 0);
    sum(&e->t180, &e->n180, c->t180, c->t180 >= 0);
    sum(&e->t200, &e->n200, c->t200, c->t200 >= 0);
    sum(&e->jitter, &e->njitter, c->jitter_ms, c->rtp_received > 0);
    sum(&e->mos_in, &e->nmos, c->mos_in, !isnan(c->mos_in));
    sum(&e->mos_out, &e->nmos_out, c->mos_out, !isnan(c->mos_out));
}

static double
mean(double s, uint64_t n) {
    return n ? s / (double)n : NAN;
}

void
bh_run_edge_measured(const struct bh_run_edge *e,
                     const struct bh_driver_stats *st, struct bh_measured *m) {
    memset(m, 0, sizeof *m);
    m->present = true;
    m->calls = (double)st->started;
    m->late = (double)st->late;
    m->late_mean = st->started ? st->late_sum / (double)st->started : NAN;
    m->late_max = st->late_max;
    m->setup_trying = mean(e->t100, e->n100);
    m->setup_ringing = mean(e->t180, e->n180);
    m->setup_answer = mean(e->t200, e->n200);
    m->rtp_sent = (double)st->rtp_sent;
    m->rtp_received = (double)st->rtp_received;
    m->rtp_lost = (double)st->rtp_lost;
    double expected = (double)(st->rtp_received + st->rtp_lost);
    m->loss = expected > 0 ? (double)st->rtp_lost / expected : NAN;
    m->jitter = mean(e->jitter, e->njitter);
    m->mos_in = mean(e->mos_in, e->nmos);
    m->mos_out = mean(e->mos_out, e->nmos_out);
    for (int f = 1; f < BH_DRIVER_FAIL_COUNT; f++)
        if (st->failed[f] && m->nfailures < BH_RES_MAX_FAILURES) {
            snprintf(m->failures[m->nfailures].reason,
                     sizeof m->failures[0].reason, "%s",
                     bh_driver_fail_name((enum bh_driver_fail)f));
            m->failures[m->nfailures++].count = (double)st->failed[f];
        }
}
