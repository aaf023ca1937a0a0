/*
 * limits.c - the wording of the zone limits (limits.h), one for the
 * checks and the compiler alike.
 */
#include "zones/limits.h"

#include <stdio.h>

#include "zones/dname.h"
#include "zones/rrtype.h"

void zone_limit_rrset_msg(char *buf, size_t cap, const uint8_t *owner, uint16_t type,
			  size_t n)
{
	char on[DNAME_TEXT_MAX], tn[16];
	dname_to_text(on, sizeof on, owner);
	rrtype_to_text(type, tn, sizeof tn);
	snprintf(buf, cap, "%s: more than %u %s records (%zu) in one RRset, the most "
		 "the snapshot format holds", on, ZONE_RRSET_MAX, tn, n);
}

void zone_limit_size_msg(char *buf, size_t cap, uint64_t max_bytes)
{
	snprintf(buf, cap, "larger than %llu MiB (zone-max-mb)",
		 (unsigned long long)(max_bytes >> 20));
}

void zone_limit_records_msg(char *buf, size_t cap, uint64_t max_records)
{
	snprintf(buf, cap, "more than %llu records (zone-max-records)",
		 (unsigned long long)max_records);
}
