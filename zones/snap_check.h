/*
 * snap_check.h - the validator's checks of one part of an image, shared
 * by snap_open (zones/snap.c: the whole image) and snap_open_patched
 * (zones/snap_patch.c: only what an overlay changed).  Internal to zones/.
 * Each returns 0, or -1 with the reason in v->err.
 */
#ifndef RINGDNS_SNAP_CHECK_H
#define RINGDNS_SNAP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/snap.h"

struct vctx {
	const uint8_t *base;
	size_t size;
	char *err;
	size_t errcap;
};

__attribute__((format(printf, 2, 3)))
int snapv_fail(struct vctx *v, const char *fmt, ...);
/* The header: magic, version, sizes, checksums, table bounds. */
int snapv_header(struct vctx *v, const struct snap_header *h);
/* A name at off inside the data area: its length, or -1. */
int snapv_name(struct vctx *v, const struct snap_header *h, uint32_t off);
/* Node i (its parent's head checked before it). */
int snapv_node(struct vctx *v, const struct snap_header *h, uint32_t i);
/* Node i's RRset entries and their records (ri: the first's number). */
int snapv_node_rrsets(struct vctx *v, const struct snap_header *h, uint32_t i, uint64_t ri);
/* NSEC3 table entry t, index x (of the base's table or the extension). */
int snapv_nsec3_entry(struct vctx *v, const struct snap_header *h, const struct snap_nsec3 *t,
		      uint64_t x);
/* The NSEC3 table's extension, if there is one (snap_format.h). */
int snapv_nsec3x(struct vctx *v, const struct snap_header *h);
/* Node i's pre-encoded referral, if it has one. */
int snapv_referral(struct vctx *v, const struct snap_header *h, uint32_t i);
/* h->soa is the apex's SOA RRset. */
int snapv_soa(struct vctx *v, const struct snap_header *h);
/* Is off the block of a node? */
bool snapv_is_block(const struct vctx *v, const struct snap_header *h, uint32_t off);
/* The handle for a validated image (v->base, v->size). */
int snapv_make(struct vctx *v, struct snap **out);
/* The same for a composed image whose nodes touched (n) differ from those
 * of the version served (its handle: what the handle derives from the
 * image, the NSEC chain's index, made from served's). */
int snapv_make_patched(struct vctx *v, const struct snap *served, const uint32_t *touched,
		       size_t n, struct snap **out);

#endif
