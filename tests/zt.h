/*
 * zt.h - helpers shared by the zone-file tests: parse text into a zone
 * with collected diagnostics, and look records up in the result.
 */
#ifndef RINGDNS_TESTS_ZT_H
#define RINGDNS_TESTS_ZT_H

#include <stddef.h>
#include <stdint.h>

#include "zones/diag.h"
#include "zones/snap.h"
#include "zones/zone.h"

struct zt {
	struct diag d;
	char msgs[16384];	/* every diagnostic, one per line */
	struct zone *z;
	struct zone_stats st;
	unsigned errors;
};

/* Parses text as zone origin (presentation form) into t.  name is the
 * file name used in messages and for relative $INCLUDE. */
void zt_load(struct zt *t, const char *origin, const char *name, const char *text);
/* zt_load with zone_expect(bytes) first. */
void zt_load_expect(struct zt *t, const char *origin, const char *name, const char *text,
		    uint64_t bytes);
/* Loads a file. */
void zt_load_file(struct zt *t, const char *origin, const char *path);
void zt_free(struct zt *t);
/* Number of records of type at owner (text, absolute); with rdata_text
 * non-NULL, only records whose rdata prints as that text; *ttl (when not
 * NULL) gets the TTL of the last match. */
int zt_count(struct zt *t, const char *owner, uint16_t type, const char *rdata_text,
	     uint32_t *ttl);
/* Makes a fresh directory /tmp/ringdns-TAG-XXXXXX into dir (64 bytes),
 * world-readable so an unprivileged child can use it. */
void zt_mktmp(char dir[64], const char *tag);
/* Removes dir and everything below it. */
void zt_rmtmp(const char *dir);
/* Writes a file under dir; returns its path in a static rotating buffer. */
const char *zt_write(const char *dir, const char *name, const char *text);

/* One zone compiled and opened (its image in memory). */
struct zt_cz {
	struct zt t;
	void *img;
	size_t size;
	struct snap *s;
};

/* Loads text as zone origin, compiles and opens it; aborts with the
 * diagnostics on stderr when any step fails. */
void zt_cz_load(struct zt_cz *c, const char *origin, const char *text);
void zt_cz_free(struct zt_cz *c);

/* Zones compiled and opened for the answer-engine tests. */
#define ZT_SERVE_MAX 24
struct zt_serve {
	struct zt zt[ZT_SERVE_MAX];
	void *image[ZT_SERVE_MAX];
	struct snap *snaps[ZT_SERVE_MAX];
	size_t n;
};

/* Loads (from text, or from file when file is not NULL), compiles and
 * opens one more zone.  0, or -1 with the reason in err. */
int zt_serve_add(struct zt_serve *s, const char *origin, const char *text,
		 const char *file, char *err, size_t errcap);
void zt_serve_free(struct zt_serve *s);
/* Serves the answer-engine test zones of tests/data/answer: unit.zone as
 * example.com., nsec.zone as example.org., nsec3.zone as example.net.,
 * wildcut-nsec.zone and wildcut-nsec3.zone (wildcard cuts, signed) as
 * wildcut-nsec.example. and wildcut-nsec3.example., tld.zone (a signed
 * TLD-shaped zone: NSEC3 opt-out, 0 iterations) as bench-tld.
 * srcdir is the source tree (NULL: "."). */
int zt_serve_answer_zones(struct zt_serve *s, const char *srcdir, char *err, size_t errcap);

#endif
