/*
 * ovl_nsec.h - what applying a change (zones/ovl_apply.c) to a zone
 * signed with NSEC (RFC 4034 §4, RFC 4035 §3.1.3) may do: make and delete
 * names, cuts, wildcards and empty non-terminals, and NSEC RRsets with
 * them.  Internal to zones/.
 *
 * Why an NSEC zone needs little beyond an unsigned zone's rules: the
 * engine's NSEC denial reads one thing the compiler orders, which NSEC
 * owner is at or canonically before a name, and it reads it from the
 * chain's index (zones/nsecord.h), made when each version is opened from
 * the live nodes that own an NSEC RRset, the ones an overlay appended
 * sorted and merged in.  Every other NSEC fact the engine reads is a
 * node's own RRsets (a NODATA's or a cut's NSEC, read where the node is)
 * or a node flag the unsigned rules already make as the compiler does
 * (ENT, WILDCARD, WILD_CHILD, CUT, OCCLUDED).  The compiler precomputes
 * nothing from the chain: an NSEC zone's referral fragment holds the NS
 * records and glue, its proof of no DS (the cut's own NSEC, RFC 4035
 * §3.1.4.1) is read from the cut's block when the referral is written,
 * and a new cut gets no fragment (the general path writes the same
 * bytes).  So a version whose NSEC records are wrong is served as the
 * full compile serves it, and the overlay needs to decline only what
 * changes the header's facts.
 */
#ifndef RINGDNS_OVL_NSEC_H
#define RINGDNS_OVL_NSEC_H

#include <stdbool.h>
#include <stdint.h>

#include "zones/snap_format.h"

/* Is the zone of header h signed with NSEC (and not NSEC3, whose flag the
 * engine reads first)?  Its changes may then make and delete names.  Its
 * NSEC3 records, if any, are left as they are (ovl_apply declines changes
 * to them: their owners are flagged and hidden from the zone's tree). */
bool ovl_nsec_zone(const struct snap_header *h);

/* The rule for one owner: node ni (SNAP_NONE: a name made, 0: the apex),
 * which after the change owns an NSEC RRset or not (nsec).  NULL when
 * the change may apply, else why it is declined. */
const char *ovl_nsec_owner(uint32_t ni, bool nsec);

#endif
