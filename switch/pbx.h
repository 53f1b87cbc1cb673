/* pbx.h: the office PBX service (pbx.c): extensions tied to accounts,
 * forwarding, the trunk to a SIP gateway and its toll-fraud guard. */
#ifndef BH_SWITCH_PBX_H
#define BH_SWITCH_PBX_H

#include "call.h"

/* Forwards one call may follow; one more is a loop (483). */
#define SW_PBX_FORWARD_DEPTH 5
/* Phones of one extension rung at once (its live registrations). */
#define SW_PBX_MAX_PHONES 8
/* Parties one ad-hoc conference may add, and where their slots start. */
#define SW_PBX_MAX_PARTIES 8
#define SW_PBX_ADHOC_SLOT (1 << 24)

extern const struct sw_service_ops sw_pbx_service;

#endif
