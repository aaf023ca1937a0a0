/*
 * zone.h - a zone being loaded: collects the records of one zone from the
 * parser, drops duplicates, applies the semantic checks an authoritative
 * server needs, and hands the checked records on (to the checker's summary
 * now, to the snapshot compiler later).  A zone with any error is rejected
 * as a whole: callers use it only when zone_finish() returns 0.
 */
#ifndef RINGDNS_ZONE_H
#define RINGDNS_ZONE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/diag.h"
#include "zones/zonefile.h"

struct zone;

struct zone_stats {
	size_t records;		/* after duplicates were dropped */
	size_t names;		/* distinct owner names */
	size_t rrsets;
	size_t duplicates;	/* records dropped as duplicates */
	uint32_t serial;
	bool has_soa;
	bool dnssec;		/* has DNSKEY, RRSIG, NSEC or NSEC3 */
	bool nsec3;		/* has NSEC3 or NSEC3PARAM */
};

/* origin: the zone apex (wire form).  Diagnostics go to d. */
struct zone *zone_new(const uint8_t *origin, struct diag *d);
void zone_free(struct zone *z);

/* The master-file text about to be added is about bytes long: room for
 * the records it may hold is set aside up front (address space only until
 * used), so the arrays are not copied as they grow.  Optional. */
void zone_expect(struct zone *z, uint64_t bytes);

/*
 * Lets a caller stop a load early: once *flag is non-zero (a signal
 * handler may set it), zone_add_cb stops the parser, zone_finish stops
 * and fails, and the compiler (compile.h) stops between and within its
 * passes and fails, each with the error ZONE_ERR_CANCELLED.  The flag is
 * only read, every record or every few thousand names (no system call).
 * NULL (the default) never stops.
 */
void zone_set_cancel(struct zone *z, const volatile sig_atomic_t *flag);
/* Whether the flag given to zone_set_cancel is set. */
bool zone_cancelled(const struct zone *z);
#define ZONE_ERR_CANCELLED "load interrupted"

/* Adds one parsed record (copied).  Out-of-zone owners, TTLs above 2^31-1
 * and the like are reported and the record is left out: returns -1. */
int zone_add(struct zone *z, const struct zf_record *rr);

/* Record callback for zf_parse_*: ud is the struct zone.  Returns
 * non-zero (stop parsing) once the load is cancelled. */
int zone_add_cb(void *ud, const struct zf_record *rr);

/* Groups, deduplicates and checks the zone.  Returns the number of errors
 * found so far in d (parse errors included); 0 means the zone is usable. */
unsigned zone_finish(struct zone *z);

/* Checks a finished zone against the limits of the snapshot format
 * (limits.h), reporting each excess at its FILE:LINE: a zone that passes
 * zone_finish and this compiles.  Returns the errors in d so far. */
unsigned zone_check_limits(struct zone *z);

void zone_get_stats(const struct zone *z, struct zone_stats *st);
/* The apex name (wire). */
const uint8_t *zone_origin(const struct zone *z);

/* Calls fn for every record of a finished zone, grouped by owner, then by
 * type, in canonical rdata order.  Stops when fn returns non-zero. */
typedef int (*zone_rr_fn)(void *ud, const uint8_t *owner, uint16_t type,
			  uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);
int zone_foreach(const struct zone *z, zone_rr_fn fn, void *ud);

/* Frees the per-name and per-record arrays (what zone_foreach and the
 * checks walk) of a finished zone, keeping the names and rdata its records
 * point into.  Afterwards only zone_get_stats, zone_origin and zone_free
 * may be used (zone_foreach returns -1).  The compiler calls it once it has
 * collected the records (zc_compile_shed), for a lower peak. */
void zone_shed_index(struct zone *z);

/* For a reader going once through the owner names zone_foreach gave, in
 * that order, after zone_shed_index (the compiler): gives back the memory
 * of the names before owner, which must not be read again, nor any suffix
 * of them. */
void zone_release_names(struct zone *z, const uint8_t *owner);

/* Hands over the name table of a finished zone (the caller free()s it):
 * open addressing with linear probing, *mask + 1 slots, each entry
 * (uint64_t)(uint32_t)dname_hash(name) << 32 | (i + 1) for the i-th name
 * zone_foreach gives, 0 for an empty slot; *count names.  NULL when taken
 * already, shed, or the zone is not finished. */
uint64_t *zone_take_table(struct zone *z, uint32_t *mask, size_t *count);

/* Parses path as the zone origin, adds every record, finishes and checks
 * the limits (zone_check_limits): the whole load in one call.  Returns the zone (check d->errors) or NULL when
 * out of memory.  The text and the records are limited to the defaults of
 * limits.h (zone-max-mb, zone-max-records). */
struct zone *zone_load_file(const uint8_t *origin, const char *path,
			    struct diag *d);
/* The same with limits of the caller's (zf_options.max_bytes and
 * .max_records; 0 = none). */
struct zone *zone_load_file_max(const uint8_t *origin, const char *path, uint64_t max_bytes,
				uint64_t max_records, struct diag *d);

#endif
