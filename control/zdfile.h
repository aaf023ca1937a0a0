/*
 * zdfile.h - the records of a zone change (zones/zdiff.h) one by one, as
 * zone-file lines, and a sequence of changes as a file: the child process
 * that receives an IXFR writes its steps there, the control process reads
 * them back (control/xfrin.c).
 *
 * The file: per step a 36-byte head (the bytes "ZDF1", FROM, TO, NDEL,
 * NADD as 32-bit and DEL_LEN, ADD_LEN as 64-bit big-endian numbers), then
 * DEL_LEN bytes of deleted records and ADD_LEN bytes of added records in
 * the zdiff.h layout.
 */
#ifndef RINGDNS_ZDFILE_H
#define RINGDNS_ZDFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zones/zdiff.h"

/* One record of a list. */
struct zdf_rec {
	const uint8_t *owner, *rd;
	uint16_t type, rdlen;
	uint32_t ttl;
};

/* The record at p of a list already checked (zdf_read, or one this
 * process wrote) into r; returns the record after it. */
const uint8_t *zdf_rec_at(const uint8_t *p, struct zdf_rec *r);

/* r as a zone-file line (absolute owner, TTL, class IN, type, rdata; no
 * newline) into out; its length, or -1 when cap is too small. */
int zdf_rec_text(const struct zdf_rec *r, char *out, size_t cap);

/* A growing list of records in the zdiff.h layout. */
struct zdf_list {
	uint8_t *p;
	size_t len, cap;
	uint32_t n;
};

/* Appends a record (owner uncompressed, rdata with its names
 * uncompressed); false when out of memory. */
bool zdf_put(struct zdf_list *l, const uint8_t *owner, uint16_t type, uint32_t ttl,
	     const uint8_t *rd, uint16_t rdlen);
void zdf_list_free(struct zdf_list *l);

/* Writes step d to f; false on a write error (errno). */
bool zdf_write(FILE *f, const struct zdiff *d);

/* The steps of a file, read and checked (every record well-formed). */
struct zdf_steps {
	uint8_t *buf;		/* the file's bytes: the lists point into it */
	struct zdiff *v;
	size_t n;
};

/* Reads path into s.  0, or -1 with err (an I/O error, a malformed
 * file). */
int zdf_read(const char *path, struct zdf_steps *s, char *err, size_t errcap);
/* The same for the len bytes at buf (malloc'd: s takes it, freed by
 * zdf_steps_free even on failure), read as the file at path. */
int zdf_parse(uint8_t *buf, size_t len, const char *path, struct zdf_steps *s, char *err,
	      size_t errcap);
void zdf_steps_free(struct zdf_steps *s);

#endif
