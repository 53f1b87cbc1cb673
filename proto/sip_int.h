/* sip_int.h: scanners shared between the SIP parser files (private). */
#ifndef BH_SIP_INT_H
#define BH_SIP_INT_H

#include "proto.h"

/* host = hostname / IPv4address / IPv6reference; returns the end of the
 * host or NULL. */
const char *bh_sip_scan_host(const char *p, const char *end);

/* One name-addr or addr-spec with header params, from p (LWS allowed
 * before it). Returns where it stopped (after trailing LWS: at ',' or
 * end) or NULL when malformed. */
const char *bh_sip_scan_nameaddr(const char *p, const char *end,
                                 struct bh_sip_nameaddr *na);

#endif
