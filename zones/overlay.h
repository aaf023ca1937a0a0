/*
 * overlay.h - incremental images: a change to a zone (struct zdiff, one
 * IXFR step) applied to its served image in time and memory that follow
 * the change, not the zone (doc/incremental-images.md).
 *
 * The base is a compiled image in a sealed memfd.  A version after it is
 * the base with some of its pages replaced (the header, node entries,
 * hash buckets: never the data area) and a tail of new blocks appended:
 * the "composed image", a private copy-on-write mapping of the base's
 * memfd, so that it shares every page it does not change with the base.
 * It is an image of the usual format (snap_format.h, version 9: deleted
 * nodes, nodes appended in the node table's room, base_size set), read by
 * the engine as any other.  The overlay, what travels to the dataplane, is
 * the replaced pages and the tail: whole (every page changed since the
 * base: it stands alone) or a delta (the pages the last change wrote,
 * relative to the version before: what the change costs).  The pages
 * changed since the base grow until a compaction makes a new base.
 *
 * The control side (struct ovl) applies changes to its own composed image
 * and exports overlays; the dataplane side (ovl_compose_into) composes one
 * in a mapping of its base it keeps for that, and validates it
 * (snap_open_patched) against the version served before serving it.
 *
 * ovl_apply declines (returns 0) a change it cannot keep exactly as a
 * full compile would: in a signed zone one that makes or deletes names,
 * NSEC/NSEC3 chains or cuts, or changes keys; DNAME; DNSSEC records in an
 * unsigned zone (see ovl_apply), and the caller compiles the whole zone
 * instead.
 */
#ifndef RINGDNS_OVERLAY_H
#define RINGDNS_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/snap.h"
#include "zones/zdiff.h"

#define OVL_MAGIC 0x4f4e4452u	/* bytes "RDNO" */
#define OVL_VERSION 1

/* An overlay as it travels: this header, npages uint32_t page indices
 * (ascending, padded to 8 bytes), the pages (SNAP_PAGE bytes each, the
 * last page of the base zero-filled past its end), then tail_len bytes
 * appended at base_size. */
struct ovl_header {
	uint32_t magic;		/* OVL_MAGIC */
	uint16_t version;	/* OVL_VERSION */
	uint16_t header_size;	/* sizeof(struct ovl_header) */
	uint64_t size;		/* total bytes */
	uint64_t checksum;	/* ovl_checksum() */
	uint64_t base_size;	/* the base image's size */
	uint64_t base_id;	/* the base's header_checksum: which base */
	uint32_t npages;
	uint32_t serial;	/* of the version it makes */
	uint64_t tail_len;
	uint64_t tail_off;	/* where in the tail those bytes go */
	uint64_t id;		/* the version it makes: its header_checksum */
	uint64_t prev_id;	/* 0: relative to the base (every page changed since
				   it, the whole tail); else a delta: relative to
				   the version of this id (the pages changed since
				   it, the tail past its end) */
};

/* ---- control side: building ---- */

struct ovl;

/* The tail's room (the address space the builder reserves for it). */
#define OVL_TAIL_MAX (256u << 20)
/* An overlay past this many bytes (ovl_bytes) wants a compaction.  A
 * change costs what it changes (delta overlays), but the overlay's pages
 * are held three times (the control process's version, the dataplane's
 * two mappings), and a whole overlay (after the dataplane refused a delta)
 * carries them all. */
#define OVL_BYTES_MAX (64u << 20)

/*
 * Starts overlays over the compiled image of size bytes in the sealed
 * memfd fd (dup'd: the caller keeps its own).  Builds the index of the
 * names NS, MX and SRV records point at (a pass over the zone, once per
 * base).  0, or -1 with err.
 */
int ovl_new(int fd, size_t size, struct ovl **out, char *err, size_t errcap);
void ovl_free(struct ovl *o);

/*
 * Applies d to the current version.  Returns 1 when applied (pending:
 * ovl_commit once the dataplane serves it, ovl_rollback otherwise), 0
 * when the incremental path does not apply (the caller compiles the whole
 * zone; err says why), -1 when the change is wrong for this version (a
 * deleted record absent, an added one present, the serials, a malformed
 * record; err says which).  On 0 and -1 nothing changed.
 */
int ovl_apply(struct ovl *o, const struct zdiff *d, char *err, size_t errcap);
void ovl_commit(struct ovl *o);
void ovl_rollback(struct ovl *o);

/* The composed image of the current version (pending change included),
 * for reading: valid until the next ovl_apply/rollback/free. */
const uint8_t *ovl_image(const struct ovl *o, size_t *size);
/* The current version's id: its header_checksum (ovl_header.id). */
uint64_t ovl_id(const struct ovl *o);
/* Bytes the exported overlay takes (pages and tail). */
size_t ovl_bytes(const struct ovl *o);
/* Records in the current version (the base's counted when it was made). */
uint64_t ovl_records(const struct ovl *o);

/* The overlay of the current version (malloc'd, *len bytes): relative to
 * the base, or, delta, to the version the pending change started from
 * (only what the change wrote: its cost follows the change).  0 or -1
 * (out of memory). */
int ovl_export(const struct ovl *o, bool delta, uint8_t **buf, size_t *len);
/* The same written straight into a new memfd, sealed against writes and
 * resizing (*fd, *len bytes): what the dataplane is handed.  0 or -1. */
int ovl_export_memfd(const struct ovl *o, bool delta, int *fd, size_t *len);

/* ---- dataplane side: serving ---- */

/* The checksum of the overlay at ov (its header's sizes believed: the
 * caller checked them): snap_checksum of the page list, of each page and
 * of the tail, chained, so that the writer need not copy the pieces
 * together. */
uint64_t ovl_checksum(const uint8_t *ov);

/* A composed image as the dataplane maps it: a private mapping of the
 * base that holds one version (base + overlay) at a time, reused for the
 * version after the next, so that its page tables and the pages it holds
 * changed carry over. */
struct ovl_map {
	uint8_t *map;		/* NULL: none */
	size_t size;		/* the version's bytes */
	size_t reserved;	/* bytes mapped */
	size_t base_size;
	uint32_t *pages;	/* the base's pages it holds changed, ascending */
	uint32_t npages;
	uint32_t *last;		/* those that differ from the version before */
	uint32_t nlast;
	uint64_t id;		/* the version it holds (header_checksum), 0: none
				   validated; the base's when it holds the base */
	uint64_t prev_id;	/* the version before that one */
};

/*
 * A mapping to compose versions of the base (sealed memfd base_fd,
 * base_size bytes) in, holding the base; fill: its page tables filled now
 * (MADV_POPULATE_READ), so that the readers of the versions made in it do
 * not fault.  0, or -1 with err.
 */
int ovl_map_prepare(int base_fd, size_t base_size, bool fill, struct ovl_map *m, char *err,
		    size_t errcap);

/*
 * Makes m (prepared over the base, a compiled image validated by snap_open
 * and mapped at base; read by no one now) hold the version of the overlay
 * ov[0..len), writing only the bytes that differ from what m held, and
 * validates it against cur (the version served now on the same base, whose
 * validation passed; NULL: the base itself) with snap_open_patched: only
 * what differs from cur is checked, and with served (cur's handle, or the
 * base's) what the handle derives from the image is made from served's (or
 * from the whole image, served NULL).  0 with *s, or -1 with err (m is then
 * not to be served; it may be composed into again, or is unmapped when its
 * contents are not known).
 */
int ovl_compose_into(struct ovl_map *m, const void *base, const struct ovl_map *cur,
		     const struct snap *served, const uint8_t *ov, size_t len, struct snap **s,
		     char *err, size_t errcap);

/* ovl_map_prepare (page tables left to fill) and ovl_compose_into from
 * the base, in one: a fresh mapping of the version of ov. */
int ovl_compose(int base_fd, const void *base, size_t base_size, const uint8_t *ov,
		size_t len, struct ovl_map *m, struct snap **s, char *err, size_t errcap);
void ovl_unmap(struct ovl_map *m);

/*
 * The nodes of an image in canonical order (RFC 4034 §6.1), deleted ones
 * left out: for walks that need the order (journal.c).  Compiled images
 * are in order already; a composed one's appended nodes are merged in.
 */
struct ovl_walk;
struct ovl_walk *ovl_walk_new(const struct snap *s);
/* The next node's index, or SNAP_NONE at the end. */
uint32_t ovl_walk_next(struct ovl_walk *w);
void ovl_walk_free(struct ovl_walk *w);

#endif
