/*
 * ixstream.h - the incremental form of an IXFR response (RFC 1995 §4),
 * record by record, turned into the steps of a zone change
 * (zones/zdiff.h) written to a file (control/zdfile.h).
 *
 * The response: the new SOA, then per step the old SOA, the records
 * deleted, the new SOA of the step, the records added; then the new SOA
 * again.  The caller (control/xfrin.c) reads the first two records,
 * decides the form from them, and hands every record from the second on
 * to ixs_take.  Only the shape is checked here; whether the steps apply
 * to the version held is control/zdapply.h's question.
 */
#ifndef RINGDNS_IXSTREAM_H
#define RINGDNS_IXSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "control/zdfile.h"

struct ixs {
	FILE *out;
	const uint8_t *origin;
	uint32_t end;		/* the new version's serial */
	int phase;
	struct zdf_list del, add;	/* the step being read */
	uint32_t from, to;
	unsigned steps;		/* written */
	uint64_t records;	/* deleted and added, SOAs counted */
};

/* Starts reading the steps of a response whose first SOA has serial end
 * (origin: the zone's, wire form) into out. */
void ixs_begin(struct ixs *s, FILE *out, const uint8_t *origin, uint32_t end);
/* One record (the response's second record first).  0, or -1 with err
 * (a record after the last SOA, a SOA that is not the zone's, a write
 * error, out of memory). */
int ixs_take(struct ixs *s, const struct zdf_rec *r, char *err, size_t errcap);
/* Whether the closing SOA came. */
bool ixs_done(const struct ixs *s);
void ixs_free(struct ixs *s);

#endif
