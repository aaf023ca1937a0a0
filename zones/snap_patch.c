/*
 * snap_patch.c - validating a composed image (a validated base with an
 * overlay's pages and tail, zones/overlay.h) at the cost of what changed:
 * snap_open_patched (zones/snap.h).  It checks with the validator's own
 * checks (zones/snap_check.h) every part of the image that differs from a
 * reference validated before (the base, or the version served before on
 * the same base), and that the rest is the reference's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/snap.h"
#include "zones/snap_check.h"

/* The parts of the image an overlay may change in place (byte ranges). */
struct zones_mut {
	uint64_t lo[4], hi[4];
};

static void mutable_ranges(const struct snap_header *h, struct zones_mut *m)
{
	m->lo[0] = 0;
	m->hi[0] = sizeof *h;
	m->lo[1] = h->nodes;
	m->hi[1] = h->nodes + (uint64_t)h->node_cap * sizeof(struct snap_node);
	m->lo[2] = h->buckets;
	m->hi[2] = h->buckets + ((uint64_t)h->hash_mask + 1) * 8;
	m->lo[3] = h->nsec3;
	m->hi[3] = h->nsec3 + (uint64_t)h->nnsec3 * sizeof(struct snap_nsec3);
}

/* The header against the base's: the same tables at the same places, more
 * bytes and nodes, the apex name well-formed where it says (node 0's
 * check reads it; check_rest compares it with node 0's); a signed zone
 * keeps its flags and NSEC3 parameters, and one signed with neither NSEC
 * nor NSEC3 its names too. */
static int check_head(struct vctx *v, const struct snap_header *h,
		      const struct snap_header *b, size_t base_size)
{
	if (snapv_header(v, h))
		return -1;
	if (b->base_size != 0 || h->base_size != base_size || v->size < base_size)
		return snapv_fail(v, "overlay of %zu bytes does not extend its base", v->size);
	if (h->nodes != b->nodes || h->node_cap != b->node_cap || h->buckets != b->buckets ||
	    h->hash_mask != b->hash_mask || h->nsec3 != b->nsec3 || h->data != b->data ||
	    h->nsorted != b->nnodes || h->nnodes < b->nnodes ||
	    h->origin_labels != b->origin_labels)
		return snapv_fail(v, "overlay header moves the base's tables");
	if (snapv_name(v, h, h->origin) < 0 || dname_labels(v->base + h->origin) != h->origin_labels)
		return snapv_fail(v, "bad origin name");
	const uint32_t dnssec = SNAP_F_SIGNED | SNAP_F_NSEC | SNAP_F_NSEC3;
	size_t n3lo = offsetof(struct snap_header, nsec3_alg);
	size_t n3hi = offsetof(struct snap_header, pad2);
	if ((h->flags & dnssec) != (b->flags & dnssec) || h->nnsec3 != b->nnsec3 ||
	    memcmp((const uint8_t *)h + n3lo, (const uint8_t *)b + n3lo, n3hi - n3lo) != 0)
		return snapv_fail(v, "overlay changes the zone's DNSSEC parameters");
	/* NSEC denial reads the owners in canonical order from the chain's
	 * index, which snapv_make sorts the appended nodes into (refusing
	 * the image when it cannot); a zone signed with neither chain keeps
	 * its names */
	if ((h->flags & dnssec) && !(h->flags & (SNAP_F_NSEC3 | SNAP_F_NSEC)) &&
	    (h->nnodes != b->nnodes || h->ndead))
		return snapv_fail(v, "overlay of a signed zone changes its names");
	return 0;
}

/* Page p changes nothing outside the header, node table and buckets. */
static int check_page(struct vctx *v, const uint8_t *base, size_t base_size,
		      const struct zones_mut *m, uint32_t p)
{
	uint64_t lo = (uint64_t)p * SNAP_PAGE, hi = lo + SNAP_PAGE;
	if (hi > base_size)
		hi = base_size;
	if (lo >= hi)
		return snapv_fail(v, "overlay page %u past its base", p);
	for (uint64_t at = lo; at < hi;) {
		uint64_t end = hi;
		bool mut = false;
		for (int r = 0; r < 4; r++) {
			if (at >= m->lo[r] && at < m->hi[r]) {
				mut = true;
				end = m->hi[r] < hi ? m->hi[r] : hi;
			} else if (m->lo[r] > at && m->lo[r] < end) {
				end = m->lo[r];
			}
		}
		if (!mut && memcmp(v->base + at, base + at, (size_t)(end - at)) != 0)
			return snapv_fail(v, "overlay page %u changes bytes outside the tables", p);
		at = end;
	}
	return 0;
}

/* The node indices whose entries in the pages differ from the reference's
 * (ref, header r), ascending, then the nodes appended since; *n of them
 * (malloc'd).  An entry left as it was names the reference's block (kept:
 * the data area, and the tail's bytes up to the reference's end, are
 * checked unchanged), parent and cut, which were checked then (a parent
 * deleted since is checked from the parent's side). */
static uint32_t *touched_nodes(const uint8_t *img, const uint8_t *ref,
			       const struct snap_header *h, const struct snap_header *r,
			       const uint32_t *pages, size_t npages, size_t *n)
{
	size_t cap = npages * (SNAP_PAGE / sizeof(struct snap_node) + 2) +
		     (h->nnodes - r->nnodes) + 1;
	uint32_t *v = malloc(cap * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	uint64_t n0 = h->nodes, esz = sizeof(struct snap_node);
	int64_t last = -1;
	for (size_t i = 0; i < npages; i++) {
		uint64_t lo = (uint64_t)pages[i] * SNAP_PAGE, hi = lo + SNAP_PAGE;
		if (hi <= n0 || lo >= n0 + (uint64_t)r->nnodes * esz)
			continue;
		uint64_t first = lo > n0 ? (lo - n0) / esz : 0;
		uint64_t end = (hi - n0 + esz - 1) / esz;
		if (end > r->nnodes)
			end = r->nnodes;
		for (uint64_t x = first; x < end; x++) {
			uint64_t at = n0 + x * esz;
			if ((int64_t)x > last && memcmp(img + at, ref + at, esz) != 0)
				v[k++] = (uint32_t)x;
			last = (int64_t)x > last ? (int64_t)x : last;
		}
	}
	for (uint32_t x = r->nnodes; x < h->nnodes; x++)
		v[k++] = x;
	*n = k;
	return v;
}

static const struct snap_node *node_at(const uint8_t *img, const struct snap_header *h,
				       uint32_t i)
{
	return snap_node_tab(img, h) + i;
}

/* Is live node i found by probing the composed table? */
static bool reachable(const struct vctx *v, const struct snap_header *h, uint32_t i)
{
	const struct snap_node *n = node_at(v->base, h, i);
	uint32_t blk = n->name - (uint32_t)sizeof(struct snap_block);
	uint32_t hash = (uint32_t)dname_hash(v->base + n->name), slot = hash, off;
	unsigned lines;
	do
		off = snap_bucket_next(v->base, h, hash, &slot, &lines);
	while (off != SNAP_NONE && off != blk);
	return off == blk;
}

/* NSEC3-signed zones: the entries of the NSEC3 table in the pages that
 * differ from the reference's keep their hash (the table's order; an
 * owner leaving the chain marks its entry dead, one coming back makes it
 * live again) and are checked (snapv_nsec3_entry). */
static int check_nsec3_in(struct vctx *v, const struct snap_header *h, const uint8_t *ref,
			  const uint32_t *pages, size_t npages)
{
	const struct snap_nsec3 *t = (const struct snap_nsec3 *)(v->base + h->nsec3);
	const struct snap_nsec3 *o = (const struct snap_nsec3 *)(ref + h->nsec3);
	uint64_t t0 = h->nsec3, esz = sizeof *t;
	for (size_t i = 0; i < npages; i++) {
		uint64_t lo = (uint64_t)pages[i] * SNAP_PAGE, hi = lo + SNAP_PAGE;
		if (hi <= t0 || lo >= t0 + h->nnsec3 * esz)
			continue;
		uint64_t x = lo > t0 ? (lo - t0) / esz : 0;
		for (; x < h->nnsec3 && t0 + x * esz < hi; x++) {
			if (memcmp(&t[x], &o[x], sizeof *t) == 0)
				continue;
			if (memcmp(t[x].hash, o[x].hash, 20) != 0)
				return snapv_fail(v, "nsec3 entry %llu changed its hash",
						  (unsigned long long)x);
			if (snapv_nsec3_entry(v, h, &t[x], x))
				return -1;
		}
	}
	return 0;
}

/* The three images: the one checked, its base and the reference. */
struct pimg {
	const uint8_t *base, *ref;
	const struct snap_header *b, *r;
};

/* A deleted node i of the base: its base descendants (after it, in
 * canonical order) deleted too.  One whose entry differs from the
 * reference's is checked on its own (later: it is not read here), and a
 * live node whose parent is deleted is refused there. */
static int check_deleted(struct vctx *v, const struct snap_header *h, const struct pimg *p,
			 uint32_t i)
{
	const uint8_t *name = p->base + node_at(p->base, p->b, i)->name;
	for (uint32_t j = i + 1; j < p->b->nnodes; j++) {
		if (!dname_in(p->base + node_at(p->base, p->b, j)->name, name))
			break;
		const struct snap_node *d = node_at(v->base, h, j);
		if (memcmp(d, node_at(p->ref, p->r, j), sizeof *d) == 0 &&
		    !(snap_node_flags(v->base, d) & SNAP_N_DELETED))
			return snapv_fail(v, "node %u deleted below live node %u", i, j);
	}
	return 0;
}

/* The nodes in list: each checked as snap_open checks it, an existing one
 * keeping its name, a deleted base node's base descendants deleted too;
 * counts the nodes deleted since the reference, and the RRsets' change. */
static int check_nodes_in(struct vctx *v, const struct snap_header *h, const struct pimg *p,
			  const uint32_t *list, size_t n, int64_t *dead, int64_t *drr)
{
	for (size_t k = 0; k < n; k++) {
		uint32_t i = list[k];
		if (snapv_node(v, h, i) || snapv_node_rrsets(v, h, i, i) ||
		    snapv_referral(v, h, i))
			return -1;
		const struct snap_node *x = node_at(v->base, h, i);
		const struct snap_block *bh = snap_node_head(v->base, x);
		bool gone = (bh->flags & SNAP_N_DELETED) != 0, was = false;
		*drr += bh->nrrsets;
		if (!gone && !reachable(v, h, i))
			return snapv_fail(v, "node %u not reachable in the hash table", i);
		if (i < p->r->nnodes) {
			const struct snap_node *o = node_at(p->ref, p->r, i);
			const struct snap_block *oh = snap_node_head(p->ref, o);
			*drr -= oh->nrrsets;
			was = (oh->flags & SNAP_N_DELETED) != 0;
			if (bh->name_len != oh->name_len ||
			    memcmp(v->base + x->name, p->ref + o->name, bh->name_len + 1u) != 0)
				return snapv_fail(v, "node %u renamed by the overlay", i);
		}
		*dead += gone && !was;
		*dead -= !gone && was;
		if (gone && i < p->b->nnodes && check_deleted(v, h, p, i))
			return -1;
		/* an NSEC3 owner of the chain: the table names its block,
		 * and it is not deleted */
		if (gone && (h->flags & SNAP_F_NSEC3) && snap_nsec3_entry_of(v->base, h, i) != SNAP_NONE)
			return snapv_fail(v, "node %u deleted but the nsec3 table names it", i);
		uint32_t e = (bh->flags & SNAP_N_NSEC3) ? snap_nsec3_entry_of(v->base, h, i)
							: SNAP_NONE;
		if (e != SNAP_NONE &&
		    snap_nsec3_at(v->base, h, e)->block != x->name - (uint32_t)sizeof(struct snap_block))
			return snapv_fail(v, "node %u: its nsec3 entry names another block", i);
	}
	return 0;
}

/* One bucket slot s whose entry e differs from the reference's o: e a
 * live node's block under its hash, found by probing; o's node still
 * found, or deleted. */
static int check_slot(struct vctx *v, const struct snap_header *h, const uint8_t *ref,
		      uint64_t s, uint64_t e, uint64_t o)
{
	if (e) {
		uint32_t blk = (uint32_t)e & ~3u;
		if (!snapv_is_block(v, h, blk))
			return snapv_fail(v, "bucket %llu holds no block", (unsigned long long)s);
		const struct snap_block *bh = snap_block_at(v->base, blk);
		uint32_t hv = (uint32_t)dname_hash(snap_block_name(v->base, blk));
		if ((bh->flags & SNAP_N_DELETED) || (uint32_t)(e >> 32) != hv ||
		    !reachable(v, h, bh->node))
			return snapv_fail(v, "bucket %llu: bad entry", (unsigned long long)s);
	}
	if (o) {
		uint32_t node = snap_block_at(ref, (uint32_t)o & ~3u)->node;
		const struct snap_node *x = node_at(v->base, h, node);
		if (!(snap_node_flags(v->base, x) & SNAP_N_DELETED) && !reachable(v, h, node))
			return snapv_fail(v, "node %u lost from the hash table", node);
	}
	return 0;
}

/* The slots of the buckets in the pages (their range in *s0, *s1), or
 * false when the page holds none. */
static bool slots_of(const struct snap_header *h, uint32_t page, uint64_t *s0, uint64_t *s1)
{
	uint64_t b0 = h->buckets, nslots = (uint64_t)h->hash_mask + 1;
	uint64_t lo = (uint64_t)page * SNAP_PAGE, hi = lo + SNAP_PAGE;
	if (hi <= b0 || lo >= b0 + nslots * 8)
		return false;
	*s0 = lo > b0 ? (lo - b0) / 8 : 0;
	*s1 = (hi - b0) / 8 < nslots ? (hi - b0) / 8 : nslots;
	return true;
}

/* The buckets in the pages: each that differs from the reference's
 * checked (check_slot), then, every entry being known good, the run after
 * each slot emptied still found.  *dcount: entries added. */
static int check_buckets_in(struct vctx *v, const struct snap_header *h,
			    const uint8_t *ref, const uint32_t *pages, size_t npages,
			    int64_t *dcount)
{
	const uint64_t *nb = (const uint64_t *)(v->base + h->buckets);
	const uint64_t *ob = (const uint64_t *)(ref + h->buckets);
	uint64_t s0, s1;
	for (size_t i = 0; i < npages; i++)
		for (uint64_t s = 0; slots_of(h, pages[i], &s0, &s1) && s < s1 - s0; s++) {
			uint64_t e = nb[s0 + s], o = ob[s0 + s];
			*dcount += (e != 0) - (o != 0);
			if (e != o && check_slot(v, h, ref, s0 + s, e, o))
				return -1;
		}
	for (size_t i = 0; i < npages; i++)
		for (uint64_t s = 0; slots_of(h, pages[i], &s0, &s1) && s < s1 - s0; s++) {
			if (nb[s0 + s] || !ob[s0 + s])
				continue;
			for (uint64_t t = (s0 + s + 1) & h->hash_mask; nb[t];
			     t = (t + 1) & h->hash_mask) {
				uint32_t node = snap_block_at(v->base, (uint32_t)nb[t] & ~3u)->node;
				if (!reachable(v, h, node))
					return snapv_fail(v, "bucket %llu cut off",
							  (unsigned long long)t);
			}
		}
	return 0;
}

/* The reference (a validated image of the same base, no bigger) and the
 * bytes of its tail kept. */
static int check_ref(struct vctx *v, const struct snap_header *h, const struct pimg *p,
		     size_t base_size, size_t ref_size)
{
	if (ref_size < base_size || ref_size > v->size || p->r->nnodes > h->nnodes ||
	    p->r->nodes != h->nodes || p->r->buckets != h->buckets ||
	    p->r->hash_mask != h->hash_mask ||
	    (p->ref != p->base && p->r->base_size != base_size))
		return snapv_fail(v, "the version before is of another base");
	if (memcmp(v->base + base_size, p->ref + base_size, ref_size - base_size) != 0)
		return snapv_fail(v, "the tail of the version before changed");
	return 0;
}

/* What the nodes' checks leave: the buckets, SOA and NSEC3 table in
 * the pages, the origin, the counts (dead, drr: the nodes' findings). */
static int check_rest(struct vctx *v, const struct snap_header *h, const struct pimg *p,
		      const uint32_t *pages, size_t npages, int64_t dead, int64_t drr)
{
	int64_t dcount = 0;
	if (check_buckets_in(v, h, p->ref, pages, npages, &dcount) || snapv_soa(v, h) ||
	    check_nsec3_in(v, h, p->ref, pages, npages))
		return -1;
	/* node 0's entry is known good now (checked, or the reference's) */
	const uint8_t *origin = v->base + h->origin;
	if (snapv_name(v, h, h->origin) < 0 || dname_labels(origin) != h->origin_labels ||
	    !dname_eq(origin, v->base + node_at(v->base, h, 0)->name))
		return snapv_fail(v, "bad origin name");
	if ((int64_t)p->r->ndead + dead != (int64_t)h->ndead || (int64_t)p->r->nrrsets + drr != (int64_t)h->nrrsets)
		return snapv_fail(v, "overlay's deleted nodes or RRsets miscounted");
	int64_t live = (int64_t)p->r->nnodes - p->r->ndead + dcount;
	if (live != (int64_t)h->nnodes - h->ndead)
		return snapv_fail(v, "hash table holds %lld entries for %u nodes", (long long)live,
				  h->nnodes - h->ndead);
	return 0;
}

int snap_open_patched(const void *image, size_t size, const void *base, size_t base_size,
		      const void *ref, size_t ref_size, const uint32_t *pages, size_t npages,
		      const struct snap *served, struct snap **out, char *err, size_t errcap)
{
	struct vctx v = { image, size, err, errcap };
	*out = NULL;
	if (errcap)
		err[0] = 0;
	if ((uintptr_t)image % 8 != 0 || size < sizeof(struct snap_header) ||
	    base_size < sizeof(struct snap_header))
		return snapv_fail(&v, "image truncated or misaligned");
	const struct snap_header *h = image;
	struct pimg p = { base, ref, base, ref };
	if (check_head(&v, h, p.b, base_size) || check_ref(&v, h, &p, base_size, ref_size))
		return -1;
	struct zones_mut m;
	mutable_ranges(h, &m);
	for (size_t i = 0; i < npages; i++) {
		if (i && pages[i] <= pages[i - 1])
			return snapv_fail(&v, "overlay pages not ascending");
		if (check_page(&v, base, base_size, &m, pages[i]))
			return -1;
	}
	/* before any search of the chain reads its order */
	if (snapv_nsec3x(&v, h))
		return -1;
	size_t n;
	uint32_t *list = touched_nodes(v.base, p.ref, h, p.r, pages, npages, &n);
	if (!list)
		return snapv_fail(&v, "out of memory");
	int64_t dead = 0, drr = 0;
	int rc = check_nodes_in(&v, h, &p, list, n, &dead, &drr);
	if (rc == 0)
		rc = check_rest(&v, h, &p, pages, npages, dead, drr);
	if (rc == 0)
		rc = snapv_make_patched(&v, served, list, n, out);
	free(list);
	return rc;
}

