/*
 * ttl.h - TTL values in master-file form: a plain number of seconds or BIND's
 * unit form ("1h30m", "2w", "1D"; units s, m, h, d, w, case-insensitive).
 */
#ifndef RINGDNS_TTL_H
#define RINGDNS_TTL_H

#include <stddef.h>
#include <stdint.h>

enum {
	TTL_ESYNTAX = -1,	/* not a number or unit form */
	TTL_ERANGE = -2,	/* above 2^32-1 */
};

/* Parses txt[0..len) into *out (seconds, up to 2^32-1).  0 or TTL_E*. */
int ttl_from_text(const char *txt, size_t len, uint32_t *out);
/* True when txt starts like a TTL (a digit); used to tell TTL from type. */
static inline int ttl_looks_like(const char *txt, size_t len)
{
	return len > 0 && txt[0] >= '0' && txt[0] <= '9';
}

#endif
