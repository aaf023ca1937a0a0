/*
 * publisher.c - zone table, index rebuild and RCU publication (see
 * publisher.h and DESIGN.md "RCU").
 */
#include "dataplane/publisher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zones/dname.h"
#include "zones/overlay.h"
#include "common/ipc.h"
#include "common/stats.h"
#include "dataplane/rcu.h"

/* A zone: the image it serves (snap), which is its base (a compiled
 * image, mapped from its memfd, kept for overlays) or, after a change
 * applied incrementally, the base with an overlay (zones/overlay.h) in
 * one of two mappings of the base: the one served and the one the next
 * version is composed in (it held the version before, which no reader
 * holds once the swap's grace period has passed). */
struct pub_zone {
	char name[256];
	struct snap *snap;
	const void *map;	/* the base */
	int base_fd;		/* its memfd, -1: none */
	size_t base_size;
	struct ovl_map om[2];	/* composed images (map NULL: none) */
	int cur;		/* om[cur] is served; -1: the base */
	size_t size;		/* bytes of the image served */
	uint64_t records;
	time_t loaded_at;
	uint32_t slot;		/* its counters' slot (snap_slot) */
};

/* A counter slot's zone name (pub_set_slots). */
struct pub_slot {
	char name[256];
};

struct pub {
	struct zidx **root;
	struct pub_zone *z;
	size_t n, cap;
	uint64_t gen;
	time_t last_swap;
	struct pub_slot *slot;	/* [nslots]: entries ZS_FIRST..used named */
	uint32_t nslots, used;
	uint64_t max_mapped;	/* pub_set_max_mapped; 0: no limit */
};

/* Builds an index over the zones (in table order) and publishes it; waits
 * for every reader of the old one to pass a quiescent state, then frees it. */
static int pub_publish(struct pub *p)
{
	struct snap **v = malloc((p->n ? p->n : 1) * sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < p->n; i++)
		v[i] = p->z[i].snap;
	struct zidx *ix = zidx_new(v, p->n);
	free(v);
	if (!ix)
		return -1;
	struct zidx *old = dp_rcu_publish(p->root, ix);
	dp_rcu_synchronize();
	zidx_free(old);
	p->gen++;
	p->last_swap = time(NULL);
	return 0;
}

struct pub *pub_new(struct zidx **root)
{
	struct pub *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->root = root;
	*root = zidx_new(NULL, 0);
	if (!*root) {
		free(p);
		return NULL;
	}
	return p;
}

int pub_set_slots(struct pub *p, uint32_t n)
{
	struct pub_slot *s = n ? calloc(n, sizeof *s) : NULL;
	if (n && !s)
		return -1;
	free(p->slot);
	p->slot = s;
	p->nslots = n;
	p->used = n ? ZS_FIRST : 0;
	return 0;
}

uint32_t pub_slots_used(const struct pub *p)
{
	return p->used;
}

const char *pub_slot_name(const struct pub *p, uint32_t i)
{
	return i >= ZS_FIRST && i < p->used ? p->slot[i].name : NULL;
}

/* Zone name's slot: the one it had, a new one, or ZS_OTHER when all are
 * given (ZS_NONE when slots are off). */
static uint32_t pub_slot_of(struct pub *p, const char *name)
{
	if (!p->nslots)
		return ZS_NONE;
	for (uint32_t i = ZS_FIRST; i < p->used; i++)
		if (strcasecmp(p->slot[i].name, name) == 0)
			return i;
	if (p->used == p->nslots)
		return ZS_OTHER;
	snprintf(p->slot[p->used].name, sizeof p->slot[p->used].name, "%s", name);
	return p->used++;
}

static void pub_zone_drop(struct pub_zone *z)
{
	snap_close(z->snap);
	ovl_unmap(&z->om[0]);
	ovl_unmap(&z->om[1]);
	munmap((void *)z->map, z->base_size);
	if (z->base_fd >= 0)
		close(z->base_fd);
}

void pub_free(struct pub *p)
{
	if (!p)
		return;
	struct zidx *old = dp_rcu_publish(p->root, NULL);
	dp_rcu_synchronize();
	zidx_free(old);
	for (size_t i = 0; i < p->n; i++)
		pub_zone_drop(&p->z[i]);
	free(p->z);
	free(p->slot);
	free(p);
}

static ssize_t pub_find(const struct pub *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->z[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

void pub_set_max_mapped(struct pub *p, uint64_t bytes)
{
	p->max_mapped = bytes;
}

/* Whether a new image of size bytes would take the images mapped past
 * the limit: the zone's old image counts until the swap's grace period
 * ends, so what is served and the new one are mapped at once.  Checked
 * before mapping the new one.  True with the reason in err. */
static bool pub_over_max(const struct pub *p, size_t size, char *err, size_t errcap)
{
	uint64_t served = pub_mapped(p);
	if (!p->max_mapped || served + size <= p->max_mapped)
		return false;
	snprintf(err, errcap, "%.1f MiB of images served and %.1f MiB new would be more than "
		 "snapshot-max-mb %llu", (double)served / (1 << 20), (double)size / (1 << 20),
		 (unsigned long long)(p->max_mapped >> 20));
	return true;
}

int pub_image(struct pub *p, const char *name, int fd, size_t size, uint64_t records,
	      char *err, size_t errcap)
{
	char why[200];
	uint8_t want[DNAME_MAX];
	if (dname_from_text(want, name, strlen(name), NULL) < 0) {
		snprintf(err, errcap, "zone name '%.64s' is not a domain name", name);
		close(fd);
		return -1;
	}
	if (pub_over_max(p, size, err, errcap)) {
		close(fd);
		return -1;
	}
	const void *map = ipc_memfd_map(fd, size, why, sizeof why);
	if (!map) {
		close(fd);
		snprintf(err, errcap, "%s: %s", name, why);
		return -1;
	}
	struct snap *s;
	if (snap_open(map, size, &s, why, sizeof why) != 0) {
		snprintf(err, errcap, "%s: image refused: %s", name, why);
		munmap((void *)map, size);
		close(fd);
		return -1;
	}
	if (!dname_eq(snap_origin(s), want)) {
		snprintf(err, errcap, "%s: image refused: it is for another zone", name);
		snap_close(s);
		munmap((void *)map, size);
		close(fd);
		return -1;
	}
	ssize_t i = pub_find(p, name);
	struct pub_zone old = { 0 };
	if (i < 0) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? 2 * p->cap : 8;
			struct pub_zone *z = realloc(p->z, cap * sizeof *z);
			if (!z)
				goto nomem;
			p->z = z;
			p->cap = cap;
		}
		i = (ssize_t)p->n++;
		memset(&p->z[i], 0, sizeof p->z[i]);
		snprintf(p->z[i].name, sizeof p->z[i].name, "%s", name);
		p->z[i].slot = pub_slot_of(p, name);
	} else {
		old = p->z[i];
	}
	struct pub_zone *z = &p->z[i];
	snap_set_slot(s, z->slot);
	z->snap = s;
	z->map = map;
	z->base_fd = fd;
	z->base_size = size;
	z->om[0] = z->om[1] = (struct ovl_map){ 0 };
	z->cur = -1;
	z->size = size;
	z->records = records;
	z->loaded_at = time(NULL);
	if (pub_publish(p) != 0) {
		/* put the old one back: nothing changed for the readers */
		if (old.snap)
			*z = old;
		else
			p->n--;
		goto nomem;
	}
	/* no reader holds the old image now: the grace period has passed */
	if (old.snap)
		pub_zone_drop(&old);
	return 0;
nomem:
	snap_close(s);
	munmap((void *)map, size);
	close(fd);
	snprintf(err, errcap, "%s: out of memory publishing the image", name);
	return -1;
}

void pub_prepare(struct pub *p, const char *name)
{
	ssize_t i = pub_find(p, name);
	char why[200];
	for (int t = 0; i >= 0 && p->z[i].base_fd >= 0 && t < 2; t++)
		if (!p->z[i].om[t].map && p->z[i].cur != t)
			ovl_map_prepare(p->z[i].base_fd, p->z[i].base_size, true, &p->z[i].om[t], why,
					sizeof why);
}

int pub_overlay(struct pub *p, const char *name, int fd, size_t size, uint64_t records,
		char *err, size_t errcap)
{
	char why[200];
	ssize_t i = pub_find(p, name);
	if (i < 0 || p->z[i].base_fd < 0) {
		close(fd);
		snprintf(err, errcap, "%s: overlay refused: no base image served", name);
		return -1;
	}
	const uint8_t *ov = ipc_memfd_map(fd, size, why, sizeof why);
	close(fd);
	if (!ov) {
		snprintf(err, errcap, "%s: %s", name, why);
		return -1;
	}
	struct pub_zone *z = &p->z[i], old = *z;
	/* the mapping not served: no reader holds it since the last swap */
	int t = z->cur == 0 ? 1 : 0;
	struct snap *s = NULL;
	int rc = z->om[t].map ? 0 : ovl_map_prepare(z->base_fd, z->base_size, true, &z->om[t], why,
						    sizeof why);
	if (rc == 0)
		rc = ovl_compose_into(&z->om[t], z->map, z->cur >= 0 ? &z->om[z->cur] : NULL,
				      z->snap, ov, size, &s, why, sizeof why);
	munmap((void *)ov, size);
	if (rc != 0) {
		snprintf(err, errcap, "%s: overlay refused: %s", name, why);
		return -1;
	}
	snap_set_slot(s, z->slot);
	z->snap = s;
	z->cur = t;
	z->size = z->om[t].size;
	z->records = records;
	z->loaded_at = time(NULL);
	if (pub_publish(p) != 0) {
		z->snap = old.snap;
		z->cur = old.cur;
		z->size = old.size;
		z->records = old.records;
		z->loaded_at = old.loaded_at;
		snap_close(s);
		snprintf(err, errcap, "%s: out of memory publishing the overlay", name);
		return -1;
	}
	/* the grace period has passed: the version before is read by no one;
	 * its mapping holds it until the next version is composed there */
	snap_close(old.snap);
	return 0;
}

int pub_remove(struct pub *p, const char *name)
{
	ssize_t i = pub_find(p, name);
	if (i < 0)
		return -1;
	struct pub_zone old = p->z[i];
	p->z[i] = p->z[--p->n];
	if (pub_publish(p) != 0) {
		/* keep serving it rather than free what readers may hold */
		p->z[p->n++] = p->z[i];
		p->z[i] = old;
		return -1;
	}
	pub_zone_drop(&old);
	return 0;
}

int pub_expire(struct pub *p, const char *name, bool expired)
{
	ssize_t i = pub_find(p, name);
	if (i < 0)
		return -1;
	snap_set_expired(p->z[i].snap, expired);
	return 0;
}

uint64_t pub_generation(const struct pub *p)
{
	return p->gen;
}

time_t pub_last_swap(const struct pub *p)
{
	return p->last_swap;
}

size_t pub_zones(const struct pub *p)
{
	return p->n;
}

uint64_t pub_mapped(const struct pub *p)
{
	uint64_t t = 0;
	for (size_t i = 0; i < p->n; i++)
		t += p->z[i].size;
	return t;
}

void pub_zone(const struct pub *p, size_t i, struct pub_zone_info *out)
{
	const struct pub_zone *z = &p->z[i];
	*out = (struct pub_zone_info){ z->name, snap_hdr(z->snap)->serial, z->records,
				       z->size, z->loaded_at };
}
