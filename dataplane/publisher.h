/*
 * publisher.h - the dataplane's zone table and root publisher.  Receives
 * snapshot images (sealed memfds from the control process), maps them
 * read-only, validates them with snap_open, builds a new zone index with
 * the one zone replaced, publishes it with rcu_xchg_pointer, waits for a
 * grace period and only then frees the old index and unmaps the old image:
 * memory peaks at old + new image of the zone being replaced.  Runs on one
 * thread (ringdns's main thread), never on a worker.
 */
#ifndef RINGDNS_PUBLISHER_H
#define RINGDNS_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "zones/snap.h"

struct pub;

struct pub_zone_info {
	const char *name;	/* text */
	uint32_t serial;
	uint64_t records;
	size_t size;
	time_t loaded_at;
};

/* root: the pointer workers read (set here to an empty index). */
struct pub *pub_new(struct zidx **root);
/* Gives each zone served from now on one of n counter slots (snap_slot;
 * common/stats.h ZS_*): a zone keeps its slot for p's life, also when it
 * is removed and served again; past n, zones share ZS_OTHER.  n 0 (the
 * default): every zone has slot ZS_NONE.  -1 when out of memory. */
int pub_set_slots(struct pub *p, uint32_t n);
/* Slots given so far (names for slots ZS_FIRST..), and slot i's zone name
 * (NULL for ZS_NONE and ZS_OTHER). */
uint32_t pub_slots_used(const struct pub *p);
const char *pub_slot_name(const struct pub *p, uint32_t i);
/* Unpublishes everything (after the workers stopped) and frees it all. */
void pub_free(struct pub *p);

/* The most bytes of zone images mapped at once (snapshot-max-mb): an
 * image that would take the images served and itself past it is refused
 * before it is mapped.  0 (the default): no limit. */
void pub_set_max_mapped(struct pub *p, uint64_t bytes);

/*
 * Serves the image in memfd fd (size bytes) as zone name (text), replacing
 * the zone's previous image.  Takes ownership of fd (closed in any case).
 * Returns 0, or -1 with the reason in err: the old image keeps serving.
 */
int pub_image(struct pub *p, const char *name, int fd, size_t size, uint64_t records,
	      char *err, size_t errcap);
/*
 * Serves zone name's base image with the overlay in memfd fd (size bytes,
 * zones/overlay.h) applied: composed in the mapping of the base not served
 * (ovl_compose_into: what differs from the version served written and
 * validated), and swapped in as pub_image swaps an image; after the grace
 * period the version it replaced is read by no one, and its mapping is
 * where the next one is composed.
 * Takes ownership of fd.  0, or -1 with err: the old version keeps serving.
 */
int pub_overlay(struct pub *p, const char *name, int fd, size_t size, uint64_t records,
		char *err, size_t errcap);
/* Gets zone name ready for overlays: the mappings its versions are
 * composed in made now, their page tables filled (a pass over the image),
 * rather than at the first overlay.  For a zone whose changes are to come
 * incrementally (IPC_IMAGE_OVERLAYS). */
void pub_prepare(struct pub *p, const char *name);
/* Stops serving zone name; -1 if not served. */
int pub_remove(struct pub *p, const char *name);
/* Zone name expired (a secondary whose primaries stayed silent): answered
 * SERVFAIL until a new image of it comes or (expired false) it is current
 * again; -1 if not served. */
int pub_expire(struct pub *p, const char *name, bool expired);

uint64_t pub_generation(const struct pub *p);
time_t pub_last_swap(const struct pub *p);
size_t pub_zones(const struct pub *p);
uint64_t pub_mapped(const struct pub *p);
/* Zone i (0..pub_zones) for reports. */
void pub_zone(const struct pub *p, size_t i, struct pub_zone_info *out);

#endif
