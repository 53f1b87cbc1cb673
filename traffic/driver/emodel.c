/* emodel.c: the E-model of ITU-T G.107 reduced to what a G.711 call
 * measured at the edge gives: packet loss, delay and jitter to a
 * transmission rating R, and R to a MOS estimate. */
#include "driver.h"

#include <math.h>

/* G.107 default values: R0 - Is = 93.2 (all other inputs at their
 * defaults), A = 0 (wired access). */
#define EMODEL_R_DEFAULT 93.2
/* G.113 Appendix I: G.711 has Ie = 0; its packet-loss robustness Bpl is
 * 4.3 without concealment and 25.1 with it. */
#define EMODEL_BPL_G711 4.3
#define EMODEL_BPL_G711_PLC 25.1

double
bh_emodel_r(double loss, double delay_ms, double jitter_ms, int plc) {
    if (!(loss >= 0))
        loss = 0;
    if (loss > 1)
        loss = 1;
    if (!(delay_ms >= 0))
        delay_ms = 0;
    if (!(jitter_ms >= 0))
        jitter_ms = 0;
    /* A jitter buffer sized to twice the jitter adds that much delay. */
    double ta = delay_ms + 2 * jitter_ms;
    /* Id: the delay impairment as G.107's curve is usually fitted for
     * echo-free paths (0.024 per ms, steeper beyond 177.3 ms). */
    double id = 0.024 * ta + (ta > 177.3 ? 0.11 * (ta - 177.3) : 0);
    /* Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl), random loss
     * (BurstR = 1), Ppl in percent, Ie = 0 for G.711. */
    double ppl = 100 * loss;
    double bpl = plc ? EMODEL_BPL_G711_PLC : EMODEL_BPL_G711;
    double ie = 95 * ppl / (ppl + bpl);
    return EMODEL_R_DEFAULT - id - ie;
}

double
bh_emodel_mos(double r) {
    if (isnan(r))
        return NAN;
    if (r <= 0)
        return 1;
    if (r >= 100)
        return 4.5;
    /* G.107 Annex B (B-4) */
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}
