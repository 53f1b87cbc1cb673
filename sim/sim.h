/* sim.h: exact queueing formulas and the discrete-event simulator of the
 * switch in virtual time. */
#ifndef BH_SIM_H
#define BH_SIM_H

#include "bh.h"
#include "reports.h"
#include "scenario.h"
#include "traffic.h"

/* ---- Exact formulas (erlang.c) --------------------------------------
 * Traffic a in Erlangs, n lines or agents, times in seconds. All are
 * numerically stable for n up to 100,000 and a up to 100,000 (recurrences
 * and log-space sums: no factorials, no overflow, no NaN for valid input).
 * Invalid input (negative, NaN) returns NaN. */

/* ---- Simulator (sim.c and friends) ------------------------------------ */

#endif
