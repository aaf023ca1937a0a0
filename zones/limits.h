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
 *
 * Limits of the operator's (server.zone-max-mb, server.zone-max-records)
 * stop a runaway file or transfer before it takes the control process's
 * memory: the parser (zonefile.h) and the transfer code count against
 * them and name the key in their error.  The defaults let a 10-million
 * record TLD zone load with room to spare.
 */
#ifndef RINGDNS_LIMITS_H
#define RINGDNS_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* Records of one type at one name (RRSIGs: all of them at the name):
 * snap_rrset.count and .nsigs are 16-bit. */
#define ZONE_RRSET_MAX 65535u

/* Text of one zone, its $INCLUDE files too, in MiB: the zone-max-mb
 * default, as large as the 4096 MiB of xfr-max-mb. */
#define ZONE_MAX_MB_DEFAULT 4096u
/* Records of one zone: the zone-max-records default, five times a
 * 10-million record TLD, about what a 4 GiB image (32-bit offsets) holds. */
#define ZONE_MAX_RECORDS_DEFAULT 50000000u

/* "larger than N MiB (zone-max-mb)" into buf, for a limit of max_bytes. */
void zone_limit_size_msg(char *buf, size_t cap, uint64_t max_bytes);
/* "more than N records (zone-max-records)" into buf. */
void zone_limit_records_msg(char *buf, size_t cap, uint64_t max_records);

/* Writes into buf the error for n records of type at owner (wire form),
 * more than ZONE_RRSET_MAX. */
void zone_limit_rrset_msg(char *buf, size_t cap, const uint8_t *owner, uint16_t type,
			  size_t n);

#endif
