/*
 * nsecord.h - the NSEC chain of a snapshot in a form made for search: the
 * nodes that own an NSEC RRset, in canonical order (RFC 4034 §6.1), each
 * with an 8-byte key that orders names the way the canonical order does.
 * Finding the NSEC that matches or covers a name (RFC 4035 §3.1.3) is then
 * a binary search over 8-byte integers instead of one over owner names,
 * each compare of which walks two names label by label.  Built when a
 * snapshot is opened (once per base: a version an overlay composed keeps
 * its delta from its base's); the image format does not change.
 */
#ifndef RINGDNS_NSECORD_H
#define RINGDNS_NSECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct snap;
struct nsecord;

/* The index of s's NSEC chain, or NULL when s is not NSEC-signed or when
 * memory runs out (callers then search the node table, which only a
 * compiled image has in canonical order: snap_open refuses a composed one
 * then).  The nodes an overlay appended (zones/overlay.h), in no order,
 * are sorted and merged in; deleted ones own no NSEC and are left out. */
struct nsecord *nsecord_make(const struct snap *s);

/* The index of s, a version composed on the same base as the version
 * prev indexes, from prev's and the nodes whose entries differ from
 * prev's version (touched, n of them: changed and appended): the base's
 * sorted owners shared, the delta made again (cost: the delta's size and
 * n, not the zone's).  NULL when out of memory. */
struct nsecord *nsecord_patch(const struct nsecord *prev, const struct snap *s,
			      const uint32_t *touched, size_t n);

void nsecord_free(struct nsecord *o);

/* Sets *node to the NSEC owner at or canonically before name (a name at
 * or below the apex of the zone, any case): its NSEC matches or covers
 * name.  False, leaving *node alone, when the keys cannot order this name
 * (a label with a zero octet, here or in an owner's name); the caller then
 * uses nsecord_pred_name. */
bool nsecord_pred(const struct nsecord *o, const struct snap *s, const uint8_t *name,
		  uint32_t *node);

/* The same owner for any name, found by comparing names (slower). */
uint32_t nsecord_pred_name(const struct nsecord *o, const struct snap *s, const uint8_t *name);

#endif
