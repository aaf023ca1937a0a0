/*
 * overlay.c - incremental images (overlay.h): the builder's composed
 * image and its undo log, the overlay's export, the dataplane's mapping
 * of one over its base, and the canonical walk of a composed image.  The
 * change itself is applied by ovl_apply.c.
 */
#include "zones/overlay.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fcntl.h>

#include "zones/dname.h"
#include "zones/frag.h"
#include "zones/ovl_int.h"
#include "zones/rrtype.h"

static size_t page_up(size_t n)
{
	return (n + SNAP_PAGE - 1) & ~(size_t)(SNAP_PAGE - 1);
}

/* A private, writable mapping of the base's memfd with room for a tail
 * of up to tail bytes after it; NULL on failure. */
static uint8_t *map_composed(int fd, size_t base_size, size_t tail, size_t *reserved)
{
	size_t total = page_up(base_size) + page_up(tail) + SNAP_PAGE;
	void *va = mmap(NULL, total, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (va == MAP_FAILED)
		return NULL;
	if (mmap(va, page_up(base_size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
		 0) == MAP_FAILED) {
		munmap(va, total);
		return NULL;
	}
	*reserved = total;
	return va;
}

/* ------------------------------------------------------ the name index */

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Appends (key, node) to a growing array. */
static bool grow_add(uint64_t **v, size_t *n, size_t *cap, uint32_t key, uint32_t node)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		uint64_t *p = realloc(*v, nc * sizeof *p);
		if (!p)
			return false;
		*v = p;
		*cap = nc;
	}
	(*v)[(*n)++] = (uint64_t)key << 32 | node;
	return true;
}

/* Adds (key, node) to the base's part (sorted by idx_seal). */
static bool idx_base_add(struct ovl_idx *x, uint32_t key, uint32_t node)
{
	return grow_add(&x->v, &x->n, &x->cap, key, node);
}

static void idx_seal(struct ovl_idx *x)
{
	if (x->n)
		qsort(x->v, x->n, sizeof *x->v, key_cmp);
}

static void idx_free(struct ovl_idx *x)
{
	free(x->v);
	free(x->x);
}

bool ovl_idx_add(struct ovl_idx *x, uint32_t key, uint32_t node)
{
	return grow_add(&x->x, &x->nx, &x->xcap, key, node);
}

void ovl_idx_each(const struct ovl_idx *x, uint32_t key, void (*fn)(void *ud, uint32_t node),
		  void *ud)
{
	size_t lo = 0, hi = x->n;
	uint64_t k0 = (uint64_t)key << 32;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->v[mid] < k0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < x->n && (uint32_t)(x->v[lo] >> 32) == key; lo++)
		fn(ud, (uint32_t)x->v[lo]);
	for (size_t k = 0; k < x->nx; k++)
		if ((uint32_t)(x->x[k] >> 32) == key)
			fn(ud, (uint32_t)x->x[k]);
}

/* A cut i whose pre-encoded referral proves it has no DS with NSEC3
 * owners (zones/frag.h): listed under their names, for a change to one of
 * them to find it (ovl_apply). */
static bool index_proof(struct ovl *o, uint32_t i)
{
	const struct snap_node *n = ovl_node(o, i);
	if (!(snap_node_flags(o->img, n) & SNAP_N_CUT))
		return true;
	const struct snap_rrset *ns = snap_rrset_in(
		(const struct snap_rrset *)(o->img + snap_node_rrset_off(o->img, n)),
		snap_node_nrrsets(o->img, n), RR_NS);
	const uint8_t *f = ns && ns->resp ? o->img + ns->rdata + ns->rdata_len : NULL;
	for (int k = 0; f && (f[10] & FRAG_F_N3) && k < 2; k++) {
		uint32_t x = frag_u32(f, 12 + 4u * (unsigned)k);
		/* one named by its table entry (the apex's) stays true while
		 * it lives, but where it also covers the next closer name (no
		 * second owner): an entry added after it takes that
		 * (ovl_nsec3.c) */
		if (x == SNAP_NONE || ((x & 1) && frag_u32(f, 16) != SNAP_NONE))
			continue;
		uint32_t node = (x & 1) ? snap_nsec3_at(o->img, ovl_hdr(o), x >> 2)->node
				       : snap_block_at(o->img, x)->node;
		const uint8_t *owner = o->img + ovl_node(o, node)->name;
		if (!idx_base_add(&o->refs, (uint32_t)dname_hash(owner), i))
			return false;
	}
	return true;
}

/* Node i's NS, MX and SRV targets inside the zone into the index; its
 * records counted; its link to an NSEC3 entry under that entry's
 * wildcard entry. */
static bool index_node(struct ovl *o, uint32_t i)
{
	const struct snap_header *h = ovl_hdr(o);
	const struct snap_node *n = ovl_node(o, i);
	const struct snap_rrset *r = (const struct snap_rrset *)(o->img +
								  snap_node_rrset_off(o->img, n));
	unsigned nr = snap_node_nrrsets(o->img, n);
	const uint8_t *origin = o->img + h->origin;
	for (unsigned k = 0; k < nr; k++) {
		o->records += r[k].count + r[k].nsigs;
		int skip = rrtype_addl_at(r[k].type);
		if (skip < 0)
			continue;
		const uint8_t *rd = o->img + r[k].rdata;
		for (unsigned j = 0; j < r[k].count; j++) {
			uint16_t len = (uint16_t)(rd[0] << 8 | rd[1]);
			const uint8_t *t = rd + 2 + skip;
			rd += 2 + len;
			if (!dname_in(t, origin))
				continue;
			if (!idx_base_add(&o->refs, (uint32_t)dname_hash(t), i))
				return false;
		}
	}
	if (n->nsec3 != SNAP_NONE && snap_nsec3_at(o->img, h, n->nsec3)->wild != SNAP_NONE &&
	    !idx_base_add(&o->wilds, snap_nsec3_at(o->img, h, n->nsec3)->wild, i))
		return false;
	return index_proof(o, i);
}

static bool build_index(struct ovl *o)
{
	for (uint32_t i = 0; i < ovl_hdr(o)->nnodes; i++)
		if (!index_node(o, i))
			return false;
	idx_seal(&o->refs);
	idx_seal(&o->wilds);
	return true;
}

/* ------------------------------------------------------ state and undo */

__attribute__((format(printf, 3, 4)))
static int ovl_fail(char *err, size_t errcap, const char *fmt, ...)
{
	if (errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errcap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int ovl_new(int fd, size_t size, struct ovl **out, char *err, size_t errcap)
{
	*out = NULL;
	struct ovl *o = calloc(1, sizeof *o);
	if (!o)
		return ovl_fail(err, errcap, "out of memory");
	o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	o->base_size = o->size = size;
	void *b = o->fd < 0 ? MAP_FAILED : mmap(NULL, size, PROT_READ, MAP_SHARED, o->fd, 0);
	o->base = b == MAP_FAILED ? NULL : b;
	o->img = o->base ? map_composed(o->fd, size, OVL_TAIL_MAX, &o->reserved) : NULL;
	o->dirty = calloc(page_up(size) / SNAP_PAGE / 8 + 1, 1);
	o->step = calloc(page_up(size) / SNAP_PAGE / 8 + 1, 1);
	if (!o->img || !o->dirty || !o->step) {
		ovl_free(o);
		return ovl_fail(err, errcap, "mapping the image for an overlay failed");
	}
	const struct snap_header *h = ovl_hdr(o);
	if (size < sizeof *h || h->magic != SNAP_MAGIC || h->version != SNAP_VERSION ||
	    h->image_size != size || h->base_size != 0) {
		ovl_free(o);
		return ovl_fail(err, errcap, "not a compiled image of this version");
	}
	if (!build_index(o)) {
		ovl_free(o);
		return ovl_fail(err, errcap, "out of memory");
	}
	ovl_begin(o);
	*out = o;
	return 0;
}

void ovl_free(struct ovl *o)
{
	if (!o)
		return;
	if (o->img)
		munmap(o->img, o->reserved);
	if (o->base)
		munmap((void *)o->base, o->base_size);
	if (o->fd >= 0)
		close(o->fd);
	free(o->dirty);
	free(o->step);
	free(o->steplist.p);
	idx_free(&o->refs);
	idx_free(&o->wilds);
	free(o->undo.p);
	free(o->newdirty.p);
	free(o);
}

bool ovl_buf_add(struct ovl_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		size_t nc = b->cap ? b->cap * 2 : 4096;
		while (nc - b->len < n)
			nc *= 2;
		uint8_t *q = realloc(b->p, nc);
		if (!q)
			return false;
		b->p = q;
		b->cap = nc;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return true;
}

/* An undo record: the old bytes, then their offset and length (read
 * backwards by the rollback). */
struct undo_tail {
	uint32_t off;
	uint32_t len;
};

bool ovl_put(struct ovl *o, uint32_t off, const void *src, size_t len)
{
	struct undo_tail t = { off, (uint32_t)len };
	if (!ovl_buf_add(&o->undo, o->img + off, len) || !ovl_buf_add(&o->undo, &t, sizeof t))
		return false;
	for (uint32_t p = off / SNAP_PAGE; p <= (off + len - 1) / SNAP_PAGE; p++) {
		if (!(o->step[p / 8] & (1u << (p % 8)))) {
			if (!ovl_buf_add(&o->steplist, &p, sizeof p))
				return false;
			o->step[p / 8] |= (uint8_t)(1u << (p % 8));
		}
		if (o->dirty[p / 8] & (1u << (p % 8)))
			continue;
		if (!ovl_buf_add(&o->newdirty, &p, sizeof p))
			return false;
		o->dirty[p / 8] |= (uint8_t)(1u << (p % 8));
		o->ndirty++;
	}
	memcpy(o->img + off, src, len);
	return true;
}

uint32_t ovl_reserve(struct ovl *o, size_t len)
{
	size_t at = (o->size + 3) & ~(size_t)3;
	if (at + len + 8 > o->base_size + OVL_TAIL_MAX || at + len > UINT32_MAX)
		return 0;
	memset(o->img + o->size, 0, at + len - o->size);
	o->size = at + len;
	return (uint32_t)at;
}

/* Forgets which pages the change wrote. */
static void step_clear(struct ovl *o)
{
	const uint32_t *pg = (const uint32_t *)o->steplist.p;
	for (size_t k = 0; k < o->steplist.len / sizeof *pg; k++)
		o->step[pg[k] / 8] &= (uint8_t)~(1u << (pg[k] % 8));
	o->steplist.len = 0;
}

void ovl_begin(struct ovl *o)
{
	step_clear(o);
	o->begin_id = ovl_hdr(o)->header_checksum;
	o->undo.len = 0;
	o->newdirty.len = 0;
	o->saved_size = o->size;
	o->refs.saved = o->refs.nx;
	o->wilds.saved = o->wilds.nx;
	o->saved_records = o->records;
}

void ovl_commit(struct ovl *o)
{
	ovl_begin(o);	/* what is applied stays: the next change starts here */
}

void ovl_rollback(struct ovl *o)
{
	size_t at = o->undo.len;
	while (at) {
		struct undo_tail t;
		memcpy(&t, o->undo.p + at - sizeof t, sizeof t);
		at -= sizeof t + t.len;
		memcpy(o->img + t.off, o->undo.p + at, t.len);
	}
	const uint32_t *pg = (const uint32_t *)o->newdirty.p;
	for (size_t k = 0; k < o->newdirty.len / sizeof *pg; k++) {
		o->dirty[pg[k] / 8] &= (uint8_t)~(1u << (pg[k] % 8));
		o->ndirty--;
	}
	if (o->size > o->saved_size)
		memset(o->img + o->saved_size, 0, o->size - o->saved_size);
	o->size = o->saved_size;
	o->refs.nx = o->refs.saved;
	o->wilds.nx = o->wilds.saved;
	o->records = o->saved_records;
	o->undo.len = 0;
	o->newdirty.len = 0;
	step_clear(o);
}

uint64_t ovl_id(const struct ovl *o)
{
	return ovl_hdr(o)->header_checksum;
}

const uint8_t *ovl_image(const struct ovl *o, size_t *size)
{
	*size = o->size;
	return o->img;
}

size_t ovl_bytes(const struct ovl *o)
{
	return (size_t)o->ndirty * SNAP_PAGE + (o->size - o->base_size);
}

uint64_t ovl_records(const struct ovl *o)
{
	return o->records;
}

/* ---------------------------------------------------------- the export */

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* What an overlay carries: pages (ascending) and the tail from t0. */
struct sel {
	uint32_t *pages;
	uint32_t n;
	size_t t0;
	uint64_t prev_id;	/* 0: relative to the base */
};

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The selection of a full overlay (every page changed since the base, the
 * whole tail) or, delta, of the pending change only (relative to the
 * version it started from).  pages malloc'd. */
static int select_pages(const struct ovl *o, bool delta, struct sel *sl)
{
	uint32_t n = delta ? (uint32_t)(o->steplist.len / 4) : o->ndirty;
	sl->pages = malloc(((size_t)n + 2) * sizeof *sl->pages);
	if (!sl->pages)
		return -1;
	/* the list goes out padded to 8 bytes: the padding zeros, as every
	 * byte of an overlay is defined */
	sl->pages[n] = sl->pages[n + 1] = 0;
	sl->n = n;
	sl->t0 = delta ? o->saved_size : o->base_size;
	sl->prev_id = delta ? o->begin_id : 0;
	if (delta) {
		if (n) {
			memcpy(sl->pages, o->steplist.p, (size_t)n * 4);
			qsort(sl->pages, n, sizeof *sl->pages, u32_cmp);
		}
		return 0;
	}
	uint32_t k = 0;
	for (uint32_t pg = 0; pg * (size_t)SNAP_PAGE < o->base_size; pg++)
		if (o->dirty[pg / 8] & (1u << (pg % 8)))
			sl->pages[k++] = pg;
	return 0;
}

static size_t export_len(const struct ovl *o, const struct sel *sl)
{
	return sizeof(struct ovl_header) + align8((size_t)sl->n * 4) +
	       (size_t)sl->n * SNAP_PAGE + (o->size - sl->t0);
}

/* The overlay's header (its checksum 0) for o and selection sl. */
static void export_head(const struct ovl *o, const struct sel *sl, struct ovl_header *oh)
{
	const struct snap_header *b = (const struct snap_header *)o->base;
	*oh = (struct ovl_header){
		.magic = OVL_MAGIC, .version = OVL_VERSION, .header_size = sizeof *oh,
		.size = export_len(o, sl), .base_size = o->base_size, .base_id = b->header_checksum,
		.npages = sl->n, .serial = ovl_hdr(o)->serial, .tail_len = o->size - sl->t0,
		.tail_off = sl->t0 - o->base_size, .id = ovl_hdr(o)->header_checksum,
		.prev_id = sl->prev_id,
	};
}

/* The pieces of the overlay after its header, in order: the page list
 * (padded), each page (the base's last one zero-filled), the tail; iov
 * has room for n + 4.  Their count. */
static size_t export_iov(const struct ovl *o, const struct sel *sl, struct iovec *iov)
{
	static const uint8_t zero[SNAP_PAGE];
	size_t n = 0, idx = align8((size_t)sl->n * 4);
	iov[n++] = (struct iovec){ sl->pages, idx };
	for (uint32_t k = 0; k < sl->n; k++) {
		size_t off = (size_t)sl->pages[k] * SNAP_PAGE;
		size_t len = o->base_size - off < SNAP_PAGE ? o->base_size - off : SNAP_PAGE;
		iov[n++] = (struct iovec){ o->img + off, len };
		if (len < SNAP_PAGE)
			iov[n++] = (struct iovec){ (void *)zero, SNAP_PAGE - len };
	}
	iov[n++] = (struct iovec){ o->img + sl->t0, o->size - sl->t0 };
	return n;
}

/* The overlay's checksum (ovl_header.checksum): of the page list, then of
 * each page (SNAP_PAGE bytes), then of the tail, chained; computed piece by
 * piece, so that neither side copies the overlay to check it. */
static uint64_t ovl_sum(uint64_t c, const void *p, size_t n)
{
	return (c ^ snap_checksum(p, n)) * 0x9e3779b97f4a7c15ull + 1;
}

static uint64_t iov_checksum(const struct iovec *iov, size_t n)
{
	uint8_t page[SNAP_PAGE];
	uint64_t c = ovl_sum(0, iov[0].iov_base, iov[0].iov_len);
	for (size_t k = 1; k + 1 < n; k++) {
		if (k + 2 < n && iov[k + 1].iov_len + iov[k].iov_len == SNAP_PAGE &&
		    iov[k].iov_len < SNAP_PAGE) {
			/* the base's last page, zero-filled: one piece */
			memcpy(page, iov[k].iov_base, iov[k].iov_len);
			memset(page + iov[k].iov_len, 0, iov[k + 1].iov_len);
			c = ovl_sum(c, page, SNAP_PAGE);
			k++;
			continue;
		}
		c = ovl_sum(c, iov[k].iov_base, iov[k].iov_len);
	}
	return ovl_sum(c, iov[n - 1].iov_base, iov[n - 1].iov_len);
}

uint64_t ovl_checksum(const uint8_t *ov)
{
	struct ovl_header h;
	const struct ovl_header *oh = &h;
	memcpy(&h, ov, sizeof h);
	size_t idx = align8((size_t)oh->npages * 4);
	const uint8_t *p = ov + sizeof *oh;
	uint64_t c = ovl_sum(0, p, idx);
	p += idx;
	for (uint32_t k = 0; k < oh->npages; k++, p += SNAP_PAGE)
		c = ovl_sum(c, p, SNAP_PAGE);
	return ovl_sum(c, p, oh->tail_len);
}

/* Builds o's overlay (a delta one or not): header, selection and the
 * pieces (malloc'd). */
static int export_parts(const struct ovl *o, bool delta, struct ovl_header *oh,
			struct sel *sl, struct iovec **iov, size_t *n)
{
	if (select_pages(o, delta, sl) != 0)
		return -1;
	*iov = malloc(((size_t)sl->n + 4) * sizeof **iov);
	if (!*iov) {
		free(sl->pages);
		return -1;
	}
	export_head(o, sl, oh);
	*n = export_iov(o, sl, *iov);
	oh->checksum = iov_checksum(*iov, *n);
	return 0;
}

int ovl_export(const struct ovl *o, bool delta, uint8_t **buf, size_t *len)
{
	struct ovl_header oh;
	struct sel sl;
	struct iovec *iov;
	size_t n;
	if (export_parts(o, delta, &oh, &sl, &iov, &n) != 0)
		return -1;
	*len = oh.size;
	*buf = malloc(*len);
	if (*buf) {
		memcpy(*buf, &oh, sizeof oh);
		size_t at = sizeof oh;
		for (size_t k = 0; k < n; k++) {
			memcpy(*buf + at, iov[k].iov_base, iov[k].iov_len);
			at += iov[k].iov_len;
		}
	}
	free(sl.pages);
	free(iov);
	return *buf ? 0 : -1;
}

/* Writes the n pieces at iov to fd, IOV_MAX at a time. */
static bool write_all(int fd, struct iovec *iov, size_t n)
{
	while (n) {
		int k = n < 1024 ? (int)n : 1024;	/* IOV_MAX on Linux */
		ssize_t w = writev(fd, iov, k);
		if (w < 0)
			return false;
		size_t left = (size_t)w;
		while (n && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return true;
}

int ovl_export_memfd(const struct ovl *o, bool delta, int *fd, size_t *len)
{
	struct ovl_header oh;
	struct sel sl;
	struct iovec *iov, head;
	size_t n;
	*fd = -1;
	if (export_parts(o, delta, &oh, &sl, &iov, &n) != 0)
		return -1;
	*len = oh.size;
	*fd = memfd_create("ringdns-overlay", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	head = (struct iovec){ &oh, sizeof oh };
	bool ok = *fd >= 0 && write_all(*fd, &head, 1) && write_all(*fd, iov, n) &&
		  fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
	free(sl.pages);
	free(iov);
	if (!ok && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return ok ? 0 : -1;
}

/* --------------------------------------------------- the dataplane side */

/* The overlay's header against its bytes and the base. */
static int check_ovl(const uint8_t *ov, size_t len, const void *base, size_t base_size,
		     struct ovl_header *oh, char *err, size_t errcap)
{
	if (len < sizeof *oh)
		return ovl_fail(err, errcap, "overlay truncated");
	memcpy(oh, ov, sizeof *oh);
	const struct snap_header *b = base;
	if (oh->magic != OVL_MAGIC || oh->version != OVL_VERSION ||
	    oh->header_size != sizeof *oh || oh->size != len)
		return ovl_fail(err, errcap, "not an overlay of this version");
	if (oh->base_size != base_size || oh->base_id != b->header_checksum)
		return ovl_fail(err, errcap, "overlay for another base image");
	uint64_t need = sizeof *oh + align8((uint64_t)oh->npages * 4) +
			(uint64_t)oh->npages * SNAP_PAGE + oh->tail_len;
	if (need != len || oh->tail_len > OVL_TAIL_MAX || oh->tail_off > OVL_TAIL_MAX ||
	    oh->tail_off + oh->tail_len > OVL_TAIL_MAX || (!oh->prev_id && oh->tail_off) ||
	    (uint64_t)oh->npages * SNAP_PAGE > page_up(base_size))
		return ovl_fail(err, errcap, "overlay sizes inconsistent");
	if (ovl_checksum(ov) != oh->checksum)
		return ovl_fail(err, errcap, "overlay checksum mismatch");
	return 0;
}

int ovl_map_prepare(int base_fd, size_t base_size, bool fill, struct ovl_map *m, char *err,
		    size_t errcap)
{
	*m = (struct ovl_map){ .base_size = base_size };
	m->map = map_composed(base_fd, base_size, OVL_TAIL_MAX, &m->reserved);
	if (!m->map)
		return ovl_fail(err, errcap, "mapping an image to compose versions in failed");
	m->size = base_size;
	m->id = ((const struct snap_header *)m->map)->header_checksum;
	/* the page tables filled now, as snap_open's reads fill a new
	 * image's: readers of the versions made here do not fault */
	if (fill)
		madvise(m->map, base_size, MADV_POPULATE_READ);
	if (mprotect(m->map, m->reserved, PROT_READ) != 0) {
		ovl_unmap(m);
		return ovl_fail(err, errcap, "protecting an image to compose versions in failed");
	}
	return 0;
}

/* Sets m's bytes [off, off + n) (inside one page) to src, writing only
 * when they differ.  false when the page cannot be made writable. */
static bool put_bytes(struct ovl_map *m, size_t off, const uint8_t *src, size_t n)
{
	if (!n || memcmp(m->map + off, src, n) == 0)
		return true;
	uint8_t *pg = m->map + (off & ~(size_t)(SNAP_PAGE - 1));
	if (mprotect(pg, SNAP_PAGE, PROT_READ | PROT_WRITE) != 0)
		return false;
	memcpy(m->map + off, src, n);
	return mprotect(pg, SNAP_PAGE, PROT_READ) == 0;
}

/* m's base pages made those of the overlay (pages, their bytes at pb),
 * the pages m held changed and the overlay does not given back the
 * base's bytes. */
static bool put_pages(struct ovl_map *m, const uint8_t *base, const uint32_t *pages,
		      uint32_t np, const uint8_t *pb)
{
	size_t bs = m->base_size;
	uint32_t i = 0, k = 0;
	while (i < np || k < m->npages) {
		bool from_ov = k == m->npages || (i < np && pages[i] <= m->pages[k]);
		uint32_t pg = from_ov ? pages[i] : m->pages[k];
		size_t off = (size_t)pg * SNAP_PAGE;
		size_t n = bs - off < SNAP_PAGE ? bs - off : SNAP_PAGE;
		const uint8_t *src = from_ov ? pb + (size_t)i * SNAP_PAGE : base + off;
		if (!put_bytes(m, off, src, n))
			return false;
		if (k < m->npages && m->pages[k] == pg)
			k++;
		if (from_ov)
			i++;
	}
	return true;
}

/* m's tail from byte from on made t[0..len) (what m held before from is
 * kept), zeros after it up to what m held, page by page. */
static bool put_tail(struct ovl_map *m, size_t from, const uint8_t *t, size_t len)
{
	static const uint8_t zero[SNAP_PAGE];
	size_t bs = m->base_size, old = m->size - bs, stop = from + len;
	size_t end = bs + (old > stop ? old : stop);
	for (size_t at = bs + from; at < end;) {
		size_t next = (at & ~(size_t)(SNAP_PAGE - 1)) + SNAP_PAGE;
		size_t n = (next < end ? next : end) - at, rel = at - bs;
		size_t have = rel < stop ? stop - rel : 0;
		if (have > n)
			have = n;
		if ((have && !put_bytes(m, at, t + (rel - from), have)) ||
		    (have < n && !put_bytes(m, at + have, zero, n - have)))
			return false;
		at += n;
	}
	return true;
}

/* Sets m->pages to v (n, ascending; copied) and m->last to w (nw). */
static bool set_pages(struct ovl_map *m, const uint32_t *v, uint32_t n, const uint32_t *w,
		      uint32_t nw)
{
	uint32_t *a = malloc(((size_t)n + 1) * sizeof *a), *b = malloc(((size_t)nw + 1) * sizeof *b);
	if (!a || !b) {
		free(a);
		free(b);
		return false;
	}
	if (n)
		memcpy(a, v, (size_t)n * sizeof *a);
	if (nw)
		memcpy(b, w, (size_t)nw * sizeof *b);
	free(m->pages);
	free(m->last);
	m->pages = a;
	m->npages = n;
	m->last = b;
	m->nlast = nw;
	return true;
}

/* The union of two ascending lists (malloc'd, *n). */
static uint32_t *merge(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
		       uint32_t *n)
{
	uint32_t *v = malloc(((size_t)na + nb + 1) * sizeof *v), i = 0, j = 0, k = 0;
	while (v && (i < na || j < nb)) {
		uint32_t x = j == nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
		i += i < na && a[i] == x;
		j += j < nb && b[j] == x;
		v[k++] = x;
	}
	*n = k;
	return v;
}

/* m made to hold the version cur holds (m held the one before it: only
 * what cur's step changed is copied; else every page either holds
 * changed is compared). */
static bool bring_to(struct ovl_map *m, const struct ovl_map *cur)
{
	bool next = m->id && m->id == cur->prev_id;
	const uint32_t *v = next ? cur->last : cur->pages;
	uint32_t n = next ? cur->nlast : cur->npages, nall;
	uint32_t *all = next ? NULL : merge(m->pages, m->npages, cur->pages, cur->npages, &nall);
	if (!next && !all)
		return false;
	if (!next) {
		v = all;
		n = nall;
	}
	size_t bs = m->base_size;
	bool ok = true;
	for (uint32_t k = 0; ok && k < n; k++) {
		size_t off = (size_t)v[k] * SNAP_PAGE;
		ok = put_bytes(m, off, cur->map + off, bs - off < SNAP_PAGE ? bs - off : SNAP_PAGE);
	}
	free(all);
	size_t from = next ? m->size - bs : 0;
	if (from > cur->size - bs)
		from = 0;
	ok = ok && put_tail(m, from, cur->map + bs + from, cur->size - bs - from) &&
	     set_pages(m, cur->pages, cur->npages, cur->last, cur->nlast);
	m->size = cur->size;
	m->id = cur->id;
	m->prev_id = cur->prev_id;
	return ok;
}

/* The pages where m differs from ref (cur's image, or the base): among
 * those m or cur holds changed.  malloc'd, ascending, *n. */
static uint32_t *diff_pages(const struct ovl_map *m, const uint8_t *ref,
			    const struct ovl_map *cur, size_t *n)
{
	uint32_t nc = cur ? cur->npages : 0;
	uint32_t *d = malloc(((size_t)m->npages + nc + 1) * sizeof *d);
	if (!d)
		return NULL;
	size_t bs = m->base_size, k = 0;
	uint32_t i = 0, j = 0;
	while (i < m->npages || j < nc) {
		bool mine = j == nc || (i < m->npages && m->pages[i] <= cur->pages[j]);
		uint32_t pg = mine ? m->pages[i] : cur->pages[j];
		if (mine)
			i++;
		if (j < nc && cur->pages[j] == pg)
			j++;
		size_t off = (size_t)pg * SNAP_PAGE;
		size_t len = bs - off < SNAP_PAGE ? bs - off : SNAP_PAGE;
		if (memcmp(m->map + off, ref + off, len) != 0)
			d[k++] = pg;
	}
	*n = k;
	return d;
}

/* The overlay's pages, checked ascending and inside the base. */
static int check_pages(const uint32_t *pages, uint32_t n, size_t bs, char *err, size_t errcap)
{
	for (uint32_t k = 0; k < n; k++)
		if ((uint64_t)pages[k] * SNAP_PAGE >= bs || (k && pages[k] <= pages[k - 1]))
			return ovl_fail(err, errcap, "overlay page %u out of order or range", k);
	return 0;
}

/* A full overlay into m: every page it holds changed (those m held
 * changed and it does not, the base's again), its whole tail; the pages
 * where m then differs from ref into *d (malloc'd, *nd). */
static bool apply_full(struct ovl_map *m, const uint8_t *base, const struct ovl_map *cur,
		       const struct ovl_header *oh, const uint32_t *pages, const uint8_t *pb,
		       uint32_t **d, size_t *nd)
{
	bool ok = put_pages(m, base, pages, oh->npages, pb) &&
		  put_tail(m, 0, pb + (size_t)oh->npages * SNAP_PAGE, oh->tail_len);
	m->size = m->base_size + oh->tail_len;
	ok = ok && set_pages(m, pages, oh->npages, NULL, 0);
	*d = ok ? diff_pages(m, cur ? cur->map : base, cur, nd) : NULL;
	ok = ok && *d && set_pages(m, pages, oh->npages, *d, (uint32_t)*nd);
	return ok;
}

/* A delta overlay into m: m brought to cur's version, then the pages and
 * the tail the delta holds; *d: its pages. */
static bool apply_delta(struct ovl_map *m, const struct ovl_map *cur,
			const struct ovl_header *oh, const uint32_t *pages, const uint8_t *pb,
			uint32_t **d, size_t *nd)
{
	/* with the base served, m holds it (prepared, or a full overlay's
	 * failure unmapped it) or the delta cannot go on it */
	bool ok = cur ? bring_to(m, cur) : m->npages == 0 && m->size == m->base_size;
	for (uint32_t k = 0; ok && k < oh->npages; k++) {
		size_t off = (size_t)pages[k] * SNAP_PAGE, bs = m->base_size;
		ok = put_bytes(m, off, pb + (size_t)k * SNAP_PAGE,
			       bs - off < SNAP_PAGE ? bs - off : SNAP_PAGE);
	}
	ok = ok && put_tail(m, oh->tail_off, pb + (size_t)oh->npages * SNAP_PAGE, oh->tail_len);
	m->size = m->base_size + oh->tail_off + oh->tail_len;
	uint32_t nall;
	uint32_t *all = ok ? merge(m->pages, m->npages, pages, oh->npages, &nall) : NULL;
	ok = ok && all && set_pages(m, all, nall, pages, oh->npages);
	free(all);
	*d = ok ? malloc(((size_t)oh->npages + 1) * sizeof **d) : NULL;
	if (*d)
		memcpy(*d, pages, (size_t)oh->npages * sizeof **d);
	*nd = oh->npages;
	return *d != NULL;
}

int ovl_compose_into(struct ovl_map *m, const void *base, const struct ovl_map *cur,
		     const struct snap *served, const uint8_t *ov, size_t len, struct snap **s,
		     char *err, size_t errcap)
{
	struct ovl_header oh;
	size_t bs = m->base_size;
	if (check_ovl(ov, len, base, bs, &oh, err, errcap))
		return -1;
	const uint32_t *pages = (const uint32_t *)(ov + sizeof oh);
	const uint8_t *pb = ov + sizeof oh + align8((size_t)oh.npages * 4);
	if (check_pages(pages, oh.npages, bs, err, errcap))
		return -1;
	if (page_up(bs) + page_up(oh.tail_off + oh.tail_len) + SNAP_PAGE > m->reserved)
		return ovl_fail(err, errcap, "overlay tail past its room");
	uint64_t cur_id = cur ? cur->id : ((const struct snap_header *)base)->header_checksum;
	size_t cur_tail = cur ? cur->size - bs : 0;
	if (oh.prev_id && (oh.prev_id != cur_id || oh.tail_off != cur_tail))
		return ovl_fail(err, errcap, "a delta of another version than the one served");
	uint32_t *d;
	size_t nd;
	bool ok = oh.prev_id ? apply_delta(m, cur, &oh, pages, pb, &d, &nd)
			     : apply_full(m, base, cur, &oh, pages, pb, &d, &nd);
	if (!ok) {
		free(d);
		ovl_unmap(m);	/* what it holds is not known: not to be used */
		return ovl_fail(err, errcap, "composing the image failed");
	}
	m->id = 0;	/* not a version until validated */
	int rc = snap_open_patched(m->map, m->size, base, bs, cur ? cur->map : base,
				   cur ? cur->size : bs, d, nd, served, s, err, errcap);
	free(d);
	if (rc == 0) {
		m->prev_id = cur_id;
		m->id = ((const struct snap_header *)m->map)->header_checksum;
	}
	return rc;
}

int ovl_compose(int base_fd, const void *base, size_t base_size, const uint8_t *ov,
		size_t len, struct ovl_map *m, struct snap **s, char *err, size_t errcap)
{
	if (ovl_map_prepare(base_fd, base_size, false, m, err, errcap) != 0)
		return -1;
	if (ovl_compose_into(m, base, NULL, NULL, ov, len, s, err, errcap) != 0) {
		ovl_unmap(m);
		return -1;
	}
	return 0;
}

void ovl_unmap(struct ovl_map *m)
{
	if (m->map)
		munmap(m->map, m->reserved);
	free(m->pages);
	free(m->last);
	*m = (struct ovl_map){ 0 };
}

/* ------------------------------------------------------ canonical walk */

struct ovl_walk {
	const struct snap *s;
	const uint8_t *base;
	uint32_t i, nsorted;	/* next sorted node */
	uint32_t *app;		/* appended live nodes, sorted */
	uint32_t napp, k;
};

static int app_cmp(const void *a, const void *b, void *ud)
{
	const struct snap *s = ud;
	const struct snap_node *nodes = snap_nodes(s);
	return dname_canon_cmp(snap_base(s) + nodes[*(const uint32_t *)a].name,
			       snap_base(s) + nodes[*(const uint32_t *)b].name);
}

struct ovl_walk *ovl_walk_new(const struct snap *s)
{
	const struct snap_header *h = snap_hdr(s);
	struct ovl_walk *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->s = s;
	w->base = snap_base(s);
	w->nsorted = h->nsorted ? h->nsorted : h->nnodes;
	uint32_t extra = h->nnodes - w->nsorted;
	w->app = malloc((extra ? extra : 1) * sizeof *w->app);
	if (!w->app) {
		free(w);
		return NULL;
	}
	const struct snap_node *nodes = snap_nodes(s);
	for (uint32_t i = w->nsorted; i < h->nnodes; i++)
		if (!(snap_node_flags(w->base, &nodes[i]) & SNAP_N_DELETED))
			w->app[w->napp++] = i;
	if (w->napp)
		qsort_r(w->app, w->napp, sizeof *w->app, app_cmp, (void *)s);
	return w;
}

uint32_t ovl_walk_next(struct ovl_walk *w)
{
	const struct snap_node *nodes = snap_nodes(w->s);
	while (w->i < w->nsorted &&
	       (snap_node_flags(w->base, &nodes[w->i]) & SNAP_N_DELETED))
		w->i++;
	bool have_s = w->i < w->nsorted, have_a = w->k < w->napp;
	if (!have_s && !have_a)
		return SNAP_NONE;
	if (have_s && have_a &&
	    dname_canon_cmp(w->base + nodes[w->app[w->k]].name, w->base + nodes[w->i].name) < 0)
		return w->app[w->k++];
	return have_s ? w->i++ : w->app[w->k++];
}

void ovl_walk_free(struct ovl_walk *w)
{
	if (w)
		free(w->app);
	free(w);
}
