/* bridge.h: the dial-in conference bridge service (bridge.c), as the
 * switch's service table and its metrics see it. */
#ifndef BH_SWITCH_BRIDGE_H
#define BH_SWITCH_BRIDGE_H

#include "call.h"
#include "rooms.h"

extern const struct sw_service_ops sw_bridge_service;

/* The counters of every bridge's rooms, summed (for /metrics). */
void sw_bridge_stats(struct bh_switch *sw, struct bh_rooms_stats *st);
/* Ports held now, every bridge. */
uint64_t sw_bridge_ports_busy(struct bh_switch *sw);

#endif
