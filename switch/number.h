/* number.h: the multichannel number service (number.c): what the context
 * registers and what the HTTP endpoint shows. */
#ifndef BH_SWITCH_NUMBER_H
#define BH_SWITCH_NUMBER_H

#include "call.h"

/* The service's operations (a constant table, not state). */
extern const struct sw_service_ops sw_number_service;

/* Live views of at most max numbers, for /metrics and /status; returns
 * how many were written. The views borrow names from the scenario. */
size_t sw_number_views(struct bh_switch *sw, struct bh_switch_number_view *v,
                       size_t max);

#endif
