/*
 * ttl.c - TTLs in master-file form: seconds, or BIND's units (1w2d3h4m5s).
 */
#include "zones/ttl.h"

#include <stdbool.h>

int ttl_from_text(const char *txt, size_t len, uint32_t *out)
{
	uint64_t total = 0, cur = 0;
	bool digits = false, units = false;

	if (len == 0)
		return TTL_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		char c = txt[i];
		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			if (cur > UINT32_MAX)
				return TTL_ERANGE;
			digits = true;
			continue;
		}
		uint64_t mult;
		switch (c | 0x20) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 604800; break;
		default: return TTL_ESYNTAX;
		}
		if (!digits)
			return TTL_ESYNTAX;
		total += cur * mult;
		if (total > UINT32_MAX)
			return TTL_ERANGE;
		cur = 0;
		digits = false;
		units = true;
	}
	if (digits) {
		/* a bare number, or trailing seconds after units ("1h30") */
		total += cur;
		if (total > UINT32_MAX)
			return TTL_ERANGE;
	} else if (!units) {
		return TTL_ESYNTAX;
	}
	*out = (uint32_t)total;
	return 0;
}
