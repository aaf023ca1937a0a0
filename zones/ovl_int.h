/*
 * ovl_int.h - the overlay builder's state and its primitives, shared by
 * zones/overlay.c (state, undo, export, mapping) and zones/ovl_apply.c
 * (applying a change).  Internal to zones/.
 */
#ifndef RINGDNS_OVL_INT_H
#define RINGDNS_OVL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/overlay.h"
#include "zones/snap.h"

/* A growable byte buffer. */
struct ovl_buf {
	uint8_t *p;
	size_t len, cap;
};

/* A multimap of 32-bit keys to nodes: (key << 32 | node), sorted, from
 * the base; and those an overlay added since, in no order (dropped with
 * a change rolled back). */
struct ovl_idx {
	uint64_t *v;
	size_t n, cap;
	uint64_t *x;
	size_t nx, xcap, saved;
};

struct ovl {
	int fd;			/* the base's memfd (ours) */
	const uint8_t *base;	/* the base, mapped read-only */
	size_t base_size;
	uint8_t *img;		/* the composed image: a private mapping */
	size_t reserved;	/* bytes of address space it holds */
	size_t size;		/* its bytes: base_size + tail */
	uint8_t *dirty;		/* one bit per base page written */
	uint32_t ndirty;
	uint64_t records;	/* records of the current version */
	/* the names NS, MX and SRV records point at (and the NSEC3 owners
	 * of referrals' proofs of no DS): key the name's hash32 */
	struct ovl_idx refs;
	/* NSEC3 zones: the nodes linked to an NSEC3 entry, key the entry's
	 * wildcard entry (snap_nsec3.wild) */
	struct ovl_idx wilds;
	/* the change being applied: old bytes of every write (offset,
	 * length, bytes), pages first dirtied, and what to restore */
	struct ovl_buf undo;
	struct ovl_buf newdirty;	/* uint32_t page indices */
	uint8_t *step;		/* one bit per base page the change wrote */
	struct ovl_buf steplist;	/* those pages (uint32_t) */
	uint64_t begin_id;	/* the version the change started from (its
				   header_checksum) */
	size_t saved_size;
	uint64_t saved_records;
};

static inline struct snap_header *ovl_hdr(const struct ovl *o)
{
	return (struct snap_header *)o->img;
}

static inline const struct snap_node *ovl_node(const struct ovl *o, uint32_t i)
{
	return snap_node_tab(o->img, ovl_hdr(o)) + i;
}

static inline const struct snap_block *ovl_head(const struct ovl *o, uint32_t i)
{
	return snap_node_head(o->img, ovl_node(o, i));
}

/* Appends n bytes to b; false when out of memory. */
bool ovl_buf_add(struct ovl_buf *b, const void *p, size_t n);

/* Writes len bytes at off of the base part (header, node table, buckets),
 * keeping the old ones for ovl_rollback.  false when out of memory. */
bool ovl_put(struct ovl *o, uint32_t off, const void *src, size_t len);
/* Appends len zero bytes (4-aligned start) to the tail, to be written in
 * place: their offset, or 0 when the tail is full. */
uint32_t ovl_reserve(struct ovl *o, size_t len);
/* Where a change starts: what ovl_rollback goes back to. */
void ovl_begin(struct ovl *o);
/* Adds (key, node) to an index, as a change's. */
bool ovl_idx_add(struct ovl_idx *x, uint32_t key, uint32_t node);
/* Calls fn for each node under key (candidates: the caller checks). */
void ovl_idx_each(const struct ovl_idx *x, uint32_t key, void (*fn)(void *ud, uint32_t node),
		  void *ud);

/* Appends a reference (target hash, node) made by a new record. */
static inline bool ovl_xref_add(struct ovl *o, uint32_t hash, uint32_t node)
{
	return ovl_idx_add(&o->refs, hash, node);
}

/* The nodes whose NS/MX/SRV records may name a name of hash hv, and the
 * cuts whose referrals' proofs name an NSEC3 owner of hash hv: calls fn
 * for each (candidates: the caller checks the records). */
static inline void ovl_refs(const struct ovl *o, uint32_t hv,
			    void (*fn)(void *ud, uint32_t node), void *ud)
{
	ovl_idx_each(&o->refs, hv, fn, ud);
}

/* Does live node x have live descendants? */
bool ovl_has_desc(const struct ovl *o, uint32_t x);
/* Calls fn for each live node below x, until it returns false. */
void ovl_below(const struct ovl *o, uint32_t x, bool (*fn)(void *ud, uint32_t d), void *ud);

#endif
