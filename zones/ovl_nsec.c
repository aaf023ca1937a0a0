/*
 * ovl_nsec.c - the rules of changes to NSEC-signed zones applied as
 * overlays (ovl_nsec.h says why they are so few).
 */
#include "zones/ovl_nsec.h"

#include <stddef.h>

bool ovl_nsec_zone(const struct snap_header *h)
{
	return (h->flags & SNAP_F_SIGNED) && (h->flags & SNAP_F_NSEC) &&
	       !(h->flags & SNAP_F_NSEC3);
}

const char *ovl_nsec_owner(uint32_t ni, bool nsec)
{
	/* the header's SNAP_F_NSEC is the apex's NSEC RRset (the compiler's
	 * apex_facts), and the chain's index starts there */
	if (ni == 0 && !nsec)
		return "the apex's NSEC RRset deleted";
	return NULL;
}
