/*
 * limits.h - what one zone may hold and still be compiled: the limits the
 * snapshot format's field widths set (snap_format.h).  zone_check_limits
 * (zone.h; every load of ringdns-control, and `ringctl check-zone`)
 * refuses a zone past them with FILE:LINE, so the compiler never meets
 * one; the compiler keeps its own check as a guard.  Both word it with
 * the one function below.
 *
 * Checked by the compiler only: the image's 4 GiB (32-bit offsets) and
 * 2^31 names with the empty non-terminals, which only its layout knows;
 * it reports them without FILE:LINE.  RRsets at one name (16-bit
 * snap_block.nrrsets) stay below 65536 as there are no more types; the
 * compiler guards that too.  Names, labels and RDATA lengths are bounded
 * by the parser (RFC 1035 §3.1, §3.2.1).
 */
#ifndef RINGDNS_LIMITS_H
#define RINGDNS_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* Records of one type at one name (RRSIGs: all of them at the name):
 * snap_rrset.count and .nsigs are 16-bit. */
#define ZONE_RRSET_MAX 65535u

/* Writes into buf the error for n records of type at owner (wire form),
 * more than ZONE_RRSET_MAX. */
void zone_limit_rrset_msg(char *buf, size_t cap, const uint8_t *owner, uint16_t type,
			  size_t n);

#endif
