/*
 * zonefile.h - the master-file parser (RFC 1035 §5.1, RFC 2308 §4 $TTL,
 * RFC 3597 generic types and classes, BIND's $GENERATE).
 *
 * Streams records to a callback, one at a time, in file order; it keeps no
 * zone in memory and reads the file in bounded chunks, so memory does not
 * grow with the file.  Every problem is reported as FILE:LINE through a
 * struct diag and parsing goes on with the next entry where it can.
 */
#ifndef RINGDNS_ZONEFILE_H
#define RINGDNS_ZONEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "zones/diag.h"

struct zf_record {
	const uint8_t *owner;	/* wire form, case as written */
	const uint8_t *rdata;	/* wire form */
	uint16_t rdlen;
	uint16_t type;
	uint16_t cls;
	uint32_t ttl;
	const char *file;	/* file the record came from */
	unsigned file_seq;	/* changes whenever file may have changed */
	unsigned line;		/* line where the record starts */
};

/* Returns 0 to go on, non-zero to stop parsing. */
typedef int (*zf_record_fn)(void *ud, const struct zf_record *rr);

struct zf_options {
	const uint8_t *origin;		/* initial $ORIGIN (required) */
	uint16_t cls;			/* the zone's class, 0 = IN */
	unsigned max_include_depth;	/* 0 = 10 */
	unsigned max_errors;		/* stop after this many, 0 = 100 */
	unsigned long max_generate;	/* records per $GENERATE, 0 = 1<<20 */
	/* stop with an error past either (limits.h); 0 = no limit */
	uint64_t max_bytes;		/* text read, the $INCLUDE files too */
	uint64_t max_records;		/* records given to the callback */
	/* called with every file opened for reading (the file itself and
	 * each $INCLUDE), with its fstat: what a cache of the compiled zone
	 * must check is unchanged */
	void (*on_file)(void *ud, const char *path, const struct stat *st);
	void *on_file_ud;
};

/*
 * Parses the master file at path.  Errors and warnings go to d (d->errors
 * counts them).  Returns 0 when the whole file was read, or -1 when parsing
 * stopped early (unreadable file, binary data, too many errors, callback).
 */
int zf_parse_file(const char *path, const struct zf_options *opt,
		  zf_record_fn fn, void *ud, struct diag *d);

/* The same over text in memory; name is used in diagnostics and as the
 * base for relative $INCLUDE paths (its directory). */
int zf_parse_mem(const char *name, const char *text, size_t len,
		 const struct zf_options *opt, zf_record_fn fn, void *ud,
		 struct diag *d);

#endif
