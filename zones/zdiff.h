/*
 * zdiff.h - one change to a zone: the records deleted and the records
 * added from one serial to the next, as an IXFR carries a step of it
 * (RFC 1995 §4).  The change is applied to the version it starts from;
 * the SOA is part of it (the old SOA among the deleted records, the new
 * one among the added).
 *
 * Records are in wire form, one after another: owner (uncompressed), type
 * (2 octets), TTL (4), RDLENGTH (2), RDATA (names in it uncompressed).
 * Class IN is implied.  Neither list holds a record twice.
 */
#ifndef RINGDNS_ZDIFF_H
#define RINGDNS_ZDIFF_H

#include <stddef.h>
#include <stdint.h>

struct zdiff {
	uint32_t from, to;		/* serials */
	const uint8_t *del;		/* records deleted */
	size_t del_len;
	uint32_t ndel;
	const uint8_t *add;		/* records added */
	size_t add_len;
	uint32_t nadd;
};

#endif
