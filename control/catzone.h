/*
 * catzone.h - what a catalog zone (RFC 9432, schema version 2) says: its
 * member zones with their unique-id, group and change-of-ownership (coo)
 * properties, read from the catalog's records (a served snapshot image,
 * or its zone file), and whether the catalog is valid at all.  No policy:
 * control/catalog.c decides what is served from it.
 */
#ifndef RINGDNS_CATZONE_H
#define RINGDNS_CATZONE_H

#include <stddef.h>
#include <stdint.h>

#include "zones/dname.h"

struct snap;

#define CATZ_NAME_MAX 256	/* text names incl. NUL (cfg.h's CFG_NAME_MAX) */
#define CATZ_GROUPS_MAX 4	/* group properties kept per member */
#define CATZ_GROUP_MAX 64	/* bytes incl. NUL; a longer group is kept cut
				   (it names no template: cfg.h's ids are shorter) */

struct catz_member {
	char zone[CATZ_NAME_MAX];	/* the member zone: lowercase text, trailing dot */
	uint8_t id[64];			/* its unique-id label, lowercase: id[0] bytes
					   follow (RFC 9432 §4.1, case does not matter) */
	char groups[CATZ_GROUPS_MAX][CATZ_GROUP_MAX];	/* §4.3.2, canonical order */
	unsigned ngroups;
	char coo[CATZ_NAME_MAX];	/* §4.3.1: the catalog it moves to, "" = none */
};

struct catz;

/* An empty catalog with apex origin (wire); NULL when out of memory. */
struct catz *catz_new(const uint8_t *origin);
void catz_free(struct catz *z);

/* Takes one record of the catalog (a zone_rr_fn, zones/zone.h): only
 * those that mean something to a consumer are kept.  0, or -1 when out
 * of memory. */
int catz_add(void *z, const uint8_t *owner, uint16_t type, uint32_t ttl,
	     const uint8_t *rdata, uint16_t rdlen);

/* Every record of the image s (validated: snap_open or
 * snap_open_validated) into z; 0, or -1 when out of memory. */
int catz_add_snap(struct catz *z, const struct snap *s);

/* Every record of the zone file at path into z (parsed and checked as
 * any zone file); -1 with the reason in err (FILE:LINE for the first
 * error) when the file cannot be used. */
int catz_add_file(struct catz *z, const char *path, char *err, size_t errcap);

/*
 * After the records: checks the catalog and sorts its members by zone
 * name.  -1 with the reason in err when it is broken and must not be
 * processed (RFC 9432 §4.1, §4.2.1, §4.3.1, §5.1): no version TXT of
 * "2", a member node with more than one PTR record, two member nodes
 * naming one zone, more than one coo PTR record at a member; also a
 * name longer than CATZ_NAME_MAX in text.
 */
int catz_finish(struct catz *z, char *err, size_t errcap);

size_t catz_count(const struct catz *z);
/* The i-th member, in zone name order (after catz_finish). */
const struct catz_member *catz_get(const struct catz *z, size_t i);
/* The member for zone (lowercase text, trailing dot), or NULL. */
const struct catz_member *catz_find(const struct catz *z, const char *zone);
/* The file name a member zone is kept in: "ZONE.zone" ("example.com.zone",
 * the root "root.zone"), zone being lowercase text with its trailing dot;
 * a character a file name should not hold ('/', a leading '.', escapes)
 * written %XX, so that no name from a catalog reaches outside the
 * directory.  cap: CATZ_FILE_NAME_MAX is always enough. */
#define CATZ_FILE_NAME_MAX (3 * CATZ_NAME_MAX + 8)
void catz_file_name(const char *zone, char *out, size_t cap);

/* The unique-id of m as text (for logs). */
void catz_id_text(const struct catz_member *m, char *out, size_t cap);

#endif
