/*
 * nsecord.h - the NSEC chain of a snapshot in a form made for search: the
 * nodes that own an NSEC RRset, in canonical order (RFC 4034 §6.1), each
 * with an 8-byte key that orders names the way the canonical order does.
 * Finding the NSEC that matches or covers a name (RFC 4035 §3.1.3) is then
 * a binary search over 8-byte integers instead of one over owner names,
 * each compare of which walks two names label by label.  Built when a
 * snapshot is opened; the image format does not change.
 */
#ifndef RINGDNS_NSECORD_H
#define RINGDNS_NSECORD_H

#include <stdbool.h>
#include <stdint.h>

struct snap;
struct nsecord;

/* The index of s's NSEC chain, or NULL when s is not NSEC-signed, when an
 * owner's label holds a zero octet (the key could not order it) or when
 * memory runs out: callers then search the node table. */
struct nsecord *nsecord_make(const struct snap *s);

void nsecord_free(struct nsecord *o);

/* Sets *node to the NSEC owner at or canonically before name (a name at
 * or below the apex of the zone, any case): its NSEC matches or covers
 * name.  False, leaving *node alone, when the index cannot order this name
 * (a label with a zero octet); the caller then searches without it. */
bool nsecord_pred(const struct nsecord *o, const struct snap *s, const uint8_t *name,
		  uint32_t *node);

#endif
