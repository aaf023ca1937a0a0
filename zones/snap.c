/*
 * snap.c - opening compiled zone snapshots: the validator that stands
 * between an image (possibly truncated, corrupt or hostile) and the answer
 * engine, and the read-side lookups (owner name hash probe with closest
 * encloser, RRset by type, NSEC3 hash and cover search).  Layout:
 * snap_format.h.
 */
#include "zones/snap.h"

/* The low-level SHA-1 calls run on the caller's stack with no algorithm
 * fetch, allocation or lock (the one-shot SHA1() of OpenSSL 3 fetches on
 * every call): what a lookup on the answer path needs. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/enc.h"
#include "zones/frag.h"
#include "zones/nsecord.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap_check.h"

_Static_assert(sizeof(struct snap_header) == 392, "snap_header layout");
_Static_assert(sizeof(struct snap_node) == 16, "snap_node layout");
_Static_assert(sizeof(struct snap_block) == 12, "snap_block layout");
_Static_assert(sizeof(struct snap_rrset) == 28, "snap_rrset layout");
_Static_assert(sizeof(struct snap_nsec3) == 32, "snap_nsec3 layout");

struct snap {
	const uint8_t *base;
	size_t size;
	bool expired;		/* a secondary zone past its expire time (atomic) */
	uint32_t slot;		/* snap_slot */
	uint8_t *negsoa;	/* the negative answers' SOA fragment, or NULL */
	/* the NSEC3 table by the leading bits of the hash: n3idx[v] is the
	 * first entry whose top n3bits bits are >= v (v <= 2^n3bits), about
	 * one entry a slot; NULL: none (the whole table is searched) */
	uint32_t *n3idx;
	unsigned n3bits;
	struct nsecord *nsecord;	/* NSEC-signed zones: the chain's index, or NULL */
	struct frag_ct negct;	/* negsoa's compression targets */
};

/* ------------------------------------------------------------- checksum */

#define CK_K1 0x9e3779b97f4a7c15ull
#define CK_K2 0xbf58476d1ce4e5b9ull
#define CK_K3 0x94d049bb133111ebull

static inline uint64_t ck_load(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* One lane step: a bijection of h for every w, and of w for every h, so a
 * change confined to one word always changes the lane and then the sum. */
static inline uint64_t ck_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * CK_K1;
	return h ^ (h >> 31);
}

uint64_t snap_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	/* Four independent lanes keep four multiplies in flight. */
	uint64_t h0 = 0x243f6a8885a308d3ull ^ n, h1 = 0x13198a2e03707344ull,
		 h2 = 0xa4093822299f31d0ull, h3 = 0x082efa98ec4e6c89ull;
	size_t k = 0;
	for (; k + 32 <= n; k += 32) {
		h0 = ck_step(h0, ck_load(b + k));
		h1 = ck_step(h1, ck_load(b + k + 8));
		h2 = ck_step(h2, ck_load(b + k + 16));
		h3 = ck_step(h3, ck_load(b + k + 24));
	}
	for (; k + 8 <= n; k += 8)
		h0 = ck_step(h0, ck_load(b + k));
	if (k < n) {
		uint8_t t[8] = { 0 };
		memcpy(t, b + k, n - k);
		h1 = ck_step(h1, ck_load(t));
	}
	uint64_t h = h0;
	h = (h ^ h1) * CK_K2;
	h = (h ^ (h >> 29) ^ h2) * CK_K3;
	h = (h ^ (h >> 32) ^ h3) * CK_K2;
	return h ^ (h >> 31);
}

/* ---------------------------------------------------------------- NSEC3 */

void snap_nsec3_hash(const uint8_t *name, const uint8_t *salt, size_t salt_len,
		     unsigned iterations, uint8_t out[20])
{
	uint8_t lc[DNAME_MAX];
	size_t len = dname_len(name);
	for (size_t k = 0; k < len; k++)
		lc[k] = dname_lc(name[k]);
	/* RFC 5155 §5: IH(0) = H(name | salt), IH(k) = H(IH(k-1) | salt). */
	SHA_CTX c;
	SHA1_Init(&c);
	SHA1_Update(&c, lc, len);
	SHA1_Update(&c, salt, salt_len);
	SHA1_Final(out, &c);
	for (unsigned i = 0; i < iterations; i++) {
		SHA1_Init(&c);
		SHA1_Update(&c, out, 20);
		SHA1_Update(&c, salt, salt_len);
		SHA1_Final(out, &c);
	}
}

/* The count of entries of t at or below hash, given that those before
 * lo are below it and those from hi on above it. */
static uint32_t count_le(const struct snap_nsec3 *t, uint32_t lo, uint32_t hi,
			 const uint8_t hash[20])
{
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (snap_hash_le(t[mid].hash, hash))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The greatest entry <= hash among t[lo, hi) (count_le's terms); below
 * the first entry, the last one covers (the chain wraps around, RFC 5155
 * §7.2.1).  True when it matches. */
static bool search_in(const struct snap_nsec3 *t, uint32_t n, uint32_t lo, uint32_t hi,
		      const uint8_t hash[20], uint32_t *index)
{
	if (n == 0) {
		*index = SNAP_NONE;
		return false;
	}
	lo = count_le(t, lo, hi, hash);
	*index = lo ? lo - 1 : n - 1;
	return lo && memcmp(t[lo - 1].hash, hash, 20) == 0;
}

bool snap_nsec3_search(const struct snap_nsec3 *t, uint32_t n, const uint8_t hash[20],
		       uint32_t *index)
{
	return search_in(t, n, 0, n, hash, index);
}

/* The count of entries of the extension at or below hash (x->order). */
static uint32_t x_count_le(const struct snap_nsec3x *x, const uint8_t hash[20])
{
	const uint32_t *order = (const uint32_t *)(x->e + x->cap);
	uint32_t lo = 0, hi = x->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (snap_hash_le(x->e[order[mid]].hash, hash))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The last live entry among the first b of the base table and the first
 * k of the extension's order, the greater by hash; SNAP_NONE if none. */
static uint32_t last_live(const uint8_t *img, const struct snap_header *h, uint32_t b,
			  uint32_t k)
{
	const struct snap_nsec3 *t = (const struct snap_nsec3 *)(img + h->nsec3);
	const struct snap_nsec3x *x = (const struct snap_nsec3x *)(img + h->nsec3x);
	const uint32_t *order = (const uint32_t *)(x->e + x->cap);
	while (b && t[b - 1].wild == SNAP_N3_DEAD)
		b--;
	while (k && x->e[order[k - 1]].wild == SNAP_N3_DEAD)
		k--;
	if (!k)
		return b ? b - 1 : SNAP_NONE;
	uint32_t xi = h->nnsec3 + order[k - 1];
	if (!b)
		return xi;
	return memcmp(t[b - 1].hash, x->e[order[k - 1]].hash, 20) > 0 ? b - 1 : xi;
}

uint32_t snap_nsec3_pick_x(const uint8_t *img, const struct snap_header *h,
			   const uint8_t hash[20], uint32_t lo)
{
	const struct snap_nsec3x *x = (const struct snap_nsec3x *)(img + h->nsec3x);
	uint32_t i = last_live(img, h, lo, x_count_le(x, hash));
	return i != SNAP_NONE ? i : last_live(img, h, h->nnsec3, x->n);
}

bool snap_nsec3_search_img(const uint8_t *img, const struct snap_header *h,
			   const uint8_t hash[20], uint32_t *index)
{
	const struct snap_nsec3 *t = (const struct snap_nsec3 *)(img + h->nsec3);
	uint32_t lo = count_le(t, 0, h->nnsec3, hash);
	*index = h->nnsec3 ? snap_nsec3_pick(img, h, hash, lo) : SNAP_NONE;
	return *index != SNAP_NONE && memcmp(snap_nsec3_at(img, h, *index)->hash, hash, 20) == 0;
}

bool snap_nsec3_label_hash(const uint8_t *name, uint8_t hash[20])
{
	uint8_t raw[32];
	struct enc_dec d;
	enc_dec_init(&d, raw, raw + sizeof raw);
	if (enc_b32hex_feed(&d, (const char *)name + 1, name[0]) < 0 || enc_b32hex_finish(&d) < 0 ||
	    d.o - raw != 20)
		return false;
	memcpy(hash, raw, 20);
	return true;
}

uint32_t snap_nsec3_entry_of(const uint8_t *img, const struct snap_header *h, uint32_t i)
{
	const struct snap_node *n = (const struct snap_node *)(img + h->nodes) + i;
	uint8_t raw[20];
	uint32_t x;
	if (!h->nnsec3 || !snap_nsec3_label_hash(img + n->name, raw))
		return SNAP_NONE;
	return snap_nsec3_search_img(img, h, raw, &x) && snap_nsec3_at(img, h, x)->node == i
	       ? x : SNAP_NONE;
}

static uint32_t hash_top(const uint8_t hash[20], unsigned bits)
{
	uint32_t v = (uint32_t)hash[0] << 24 | (uint32_t)hash[1] << 16 | (uint32_t)hash[2] << 8 |
		     hash[3];
	return bits ? v >> (32 - bits) : 0;
}

/* The index of the table t of n entries (sorted) by leading hash bits. */
static uint32_t *make_n3idx(const struct snap_nsec3 *t, uint32_t n, unsigned *bits)
{
	unsigned b = 0;
	while (b < 20 && (2u << b) <= n)
		b++;
	uint32_t slots = 1u << b;
	uint32_t *idx = malloc(((size_t)slots + 1) * sizeof *idx);
	if (!idx)
		return NULL;
	uint32_t i = 0;
	for (uint32_t v = 0; v <= slots; v++) {
		while (i < n && hash_top(t[i].hash, b) < v)
			i++;
		idx[v] = i;
	}
	*bits = b;
	return idx;
}

void snap_nsec3_bounds(const struct snap *s, const uint8_t hash[20], uint32_t *lo,
		       uint32_t *hi)
{
	if (!s->n3idx) {
		*lo = 0;
		*hi = snap_hdr(s)->nnsec3;
		return;
	}
	uint32_t v = hash_top(hash, s->n3bits);
	*lo = s->n3idx[v];
	*hi = s->n3idx[v + 1];
}

bool snap_nsec3_find(const struct snap *s, const uint8_t *name,
		     uint32_t *index, uint8_t hash[20])
{
	const struct snap_header *h = snap_hdr(s);
	const struct snap_nsec3 *t = (const struct snap_nsec3 *)(s->base + h->nsec3);
	snap_nsec3_hash(name, h->nsec3_salt, h->nsec3_salt_len, h->nsec3_iter,
			hash);
	uint32_t lo, hi;
	snap_nsec3_bounds(s, hash, &lo, &hi);
	if (__builtin_expect(h->nsec3x == 0, 1))
		return search_in(t, h->nnsec3, lo, hi, hash, index);
	*index = snap_nsec3_pick_x(s->base, h, hash, count_le(t, lo, hi, hash));
	return *index != SNAP_NONE && memcmp(snap_nsec3_at(s->base, h, *index)->hash, hash, 20) == 0;
}

/* -------------------------------------------------------------- lookups */

const struct snap_header *snap_hdr(const struct snap *s)
{
	return (const struct snap_header *)s->base;
}

const uint8_t *snap_base(const struct snap *s)
{
	return s->base;
}

const uint8_t *snap_origin(const struct snap *s)
{
	return s->base + snap_hdr(s)->origin;
}

const struct snap_rrset *snap_rrset_of(const struct snap *s,
				       const struct snap_node *n, uint16_t type)
{
	return snap_rrset_in(snap_node_rrsets(s, n), snap_node_nrrsets(s->base, n), type);
}

bool snap_name_eq(const struct snap_node *n, const uint8_t *nbase, const uint8_t *name,
		  size_t len)
{
	return snap_name_is(nbase + n->name, snap_node_head(nbase, n)->name_len, name, len);
}

/* One hash probe: the node named name (wire length len, hash hv), or
 * SNAP_NONE.  The bucket holds the hash, so names are read only for
 * entries whose 32-bit hash matches. */
static uint32_t probe(const struct snap *s, const uint8_t *name, size_t len, uint32_t hv)
{
	const struct snap_header *h = snap_hdr(s);
	uint32_t slot = hv;
	unsigned lines;
	for (;;) {
		uint32_t off = snap_bucket_next(s->base, h, hv, &slot, &lines);
		if (off == SNAP_NONE)
			return SNAP_NONE;
		const struct snap_block *bh = snap_block_at(s->base, off);
		if (snap_name_is(snap_block_name(s->base, off), bh->name_len, name, len))
			return bh->node;
	}
}

bool snap_find_q(const struct snap *s, const uint8_t *qname, unsigned labels,
		 uint32_t hash, unsigned skip, uint32_t first, uint32_t *node)
{
	const struct snap_header *h = snap_hdr(s);
	const uint8_t *n = qname;
	for (; skip > 0 && labels > h->origin_labels; skip--, labels--)
		n += *n + 1;
	const uint8_t *start = n;
	/* Every ancestor of a node up to the apex is a node (ENTs
	 * included), so the first suffix found is the closest encloser; the
	 * apex itself needs no probe (qname is at or below it). */
	while (labels > h->origin_labels) {
		uint32_t i;
		if (n == start && first != SNAP_UNPROBED)
			i = first;
		else {
			/* a suffix's hash is not derived from the name's:
			 * hash it here */
			size_t len;
			uint32_t hv = n == qname ? (len = dname_len(n), hash)
						 : (uint32_t)dname_hash_len(n, &len);
			i = probe(s, n, len, hv);
		}
		if (i != SNAP_NONE) {
			*node = i;
			return n == qname;
		}
		n += *n + 1;
		labels--;
	}
	*node = h->apex;
	return n == qname && labels == h->origin_labels;
}

bool snap_find(const struct snap *s, const uint8_t *qname, uint32_t *node)
{
	return snap_find_q(s, qname, dname_labels(qname), (uint32_t)dname_hash(qname), 0,
			   SNAP_UNPROBED, node);
}

/* ------------------------------------------------------------ validator */

int snapv_fail(struct vctx *v, const char *fmt, ...)
{
	if (v->errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->err, v->errcap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A table of count entries of elsize bytes at off, inside the image after
 * the header, 8-aligned. */
static int check_table(struct vctx *v, const char *what, uint32_t off,
		       uint64_t count, size_t elsize, size_t hsize)
{
	if (count == 0)
		return 0;
	if (off % 8 != 0)
		return snapv_fail(v, "%s table offset %u not 8-aligned", what, off);
	if (off < hsize || (uint64_t)off + count * elsize > v->size)
		return snapv_fail(v, "%s table (offset %u, %llu entries) out of bounds",
			    what, off, (unsigned long long)count);
	return 0;
}

/* count records of 2-byte RDLENGTH + RDATA exactly filling [off, off+len)
 * inside the data area, each well-formed for type (covered: for RRSIGs,
 * the type they must cover, or -1 for any). */
static int check_records(struct vctx *v, const struct snap_header *h,
			 uint32_t ri, const char *what, uint32_t off,
			 uint32_t len, uint32_t count, uint16_t type,
			 int covered)
{
	if (count == 0 && len == 0)
		return 0;
	uint64_t dend = (uint64_t)h->data + h->data_size;
	if (off < h->data || (uint64_t)off + len > dend)
		return snapv_fail(v, "rrset %u %s out of bounds", ri, what);
	const uint8_t *p = v->base + off, *end = p + len;
	for (uint32_t k = 0; k < count; k++) {
		if (end - p < 2)
			return snapv_fail(v, "rrset %u %s: record %u past the end",
				    ri, what, k);
		size_t rl = (size_t)p[0] << 8 | p[1];
		p += 2;
		if ((size_t)(end - p) < rl)
			return snapv_fail(v, "rrset %u %s: record %u past the end",
				    ri, what, k);
		if (rdata_check(type, p, rl) < 0)
			return snapv_fail(v, "rrset %u %s: record %u malformed",
				    ri, what, k);
		if (covered >= 0 && (rl < 2 || (p[0] << 8 | p[1]) != covered))
			return snapv_fail(v, "rrset %u %s: record %u covers another "
				    "type", ri, what, k);
		p += rl;
	}
	if (p != end)
		return snapv_fail(v, "rrset %u %s: %u records do not fill %u bytes",
			    ri, what, count, len);
	return 0;
}

/* The NSEC3 table's extension (only in a composed image's tail, of an
 * NSEC3 zone) within the image; its entries are checked by
 * snap_open_patched. */
static int check_nsec3x_bounds(struct vctx *v, const struct snap_header *h)
{
	if (!h->nsec3x)
		return 0;
	uint64_t at = h->nsec3x, end = at + sizeof(struct snap_nsec3x);
	if (h->base_size == 0 || !(h->flags & SNAP_F_NSEC3) || at < h->base_size || at % 4 ||
	    end > v->size)
		return snapv_fail(v, "nsec3 extension misplaced");
	const struct snap_nsec3x *x = (const struct snap_nsec3x *)(v->base + at);
	end += (uint64_t)x->cap * (sizeof(struct snap_nsec3) + 4);
	if (end > v->size || x->n > x->cap || (uint64_t)h->nnsec3 + x->n >= SNAP_N3_DEAD)
		return snapv_fail(v, "nsec3 extension of %u entries out of bounds", x->n);
	return 0;
}

int snapv_header(struct vctx *v, const struct snap_header *h)
{
	if (h->magic != SNAP_MAGIC)
		return snapv_fail(v, "bad magic");
	if (h->version != SNAP_VERSION)
		return snapv_fail(v, "version %u not supported", h->version);
	if (h->header_size != sizeof *h)
		return snapv_fail(v, "header size %u, expected %zu", h->header_size,
			    sizeof *h);
	if (h->image_size != v->size)
		return snapv_fail(v, "image size %llu but %zu bytes given",
			    (unsigned long long)h->image_size, v->size);
	struct snap_header copy;
	memcpy(&copy, h, sizeof copy);
	copy.header_checksum = 0;
	if (snap_checksum(&copy, sizeof copy) != h->header_checksum)
		return snapv_fail(v, "header checksum mismatch");
	/* a composed image's bytes past its base are the overlay's, whose
	 * own checksum was checked (zones/overlay.c); its base's were when
	 * the base was opened */
	if (h->base_size == 0 &&
	    snap_checksum(v->base + sizeof *h, v->size - sizeof *h) != h->checksum)
		return snapv_fail(v, "checksum mismatch");
	if (v->size > UINT32_MAX)
		return snapv_fail(v, "image larger than 4 GiB");
	if (h->nnodes == 0)
		return snapv_fail(v, "no nodes");
	if (h->node_cap < h->nnodes)
		return snapv_fail(v, "node count %u out of bounds of the node table (room for %u)",
				  h->nnodes, h->node_cap);
	if (h->ndead >= h->nnodes || h->nsorted > h->nnodes ||
	    (h->base_size == 0 && (h->ndead || h->nsorted != h->nnodes)))
		return snapv_fail(v, "node counts inconsistent (%u nodes, room for %u, %u sorted, "
			    "%u deleted)", h->nnodes, h->node_cap, h->nsorted, h->ndead);
	if (h->base_size > v->size || h->reserved)
		return snapv_fail(v, "bad base size or reserved fields");
	if (check_nsec3x_bounds(v, h))
		return -1;
	if (check_table(v, "node", h->nodes, h->node_cap,
			sizeof(struct snap_node), sizeof *h) ||
	    check_table(v, "nsec3", h->nsec3, h->nnsec3,
			sizeof(struct snap_nsec3), sizeof *h))
		return -1;
	uint64_t live = (uint64_t)h->nnodes - h->ndead;
	if ((h->hash_mask & ((uint64_t)h->hash_mask + 1)) != 0 ||
	    (uint64_t)h->hash_mask + 1 < live + live / 2 + 1)
		return snapv_fail(v, "bad hash mask %#x for %u nodes", h->hash_mask,
			    h->nnodes);
	if (check_table(v, "bucket", h->buckets, (uint64_t)h->hash_mask + 1,
			sizeof(uint64_t), sizeof *h))
		return -1;
	/* The data area comes last, padded to 8 bytes. */
	uint64_t dend = (uint64_t)h->data + h->data_size;
	if (h->data < sizeof *h || ((dend + 7) & ~(uint64_t)7) != v->size)
		return snapv_fail(v, "data area out of bounds");
	if (h->apex != 0)
		return snapv_fail(v, "apex is node %u, not 0", h->apex);
	if (h->rrsets != 0)
		return snapv_fail(v, "rrset table offset %u (version 4 has none)", h->rrsets);
	if (h->flags & SNAP_F_NSEC3) {
		if (h->nsec3_alg != 1 || h->nsec3_hash_len != 20 ||
		    h->nnsec3 == 0 || h->nsec3_iter > SNAP_NSEC3_ITER_MAX)
			return snapv_fail(v, "bad NSEC3 parameters");
	} else if (h->nnsec3 != 0) {
		return snapv_fail(v, "nsec3 table in a zone without NSEC3");
	}
	return 0;
}

/* A name at off inside the data area; returns its length or -1. */
int snapv_name(struct vctx *v, const struct snap_header *h, uint32_t off)
{
	uint64_t dend = (uint64_t)h->data + h->data_size;
	if (off < h->data || off >= dend)
		return -1;
	int len = dname_check(v->base + off, (size_t)(dend - off));
	return len < 0 ? -1 : len;
}

/* Node i: its block and name, its links (parent, cut, nsec3), its RRset
 * entries in bounds and sorted; deleted nodes (SNAP_N_DELETED) have no
 * RRsets and are no live node's parent. */
int snapv_node(struct vctx *v, const struct snap_header *h, uint32_t i)
{
	const struct snap_node *nodes =
		(const struct snap_node *)(v->base + h->nodes);
	const uint8_t *origin = v->base + h->origin;
	uint64_t dend = (uint64_t)h->data + h->data_size;
	const struct snap_node *n = &nodes[i];
	/* its block: the head right before the name, naming it */
	if (n->name < h->data + sizeof(struct snap_block) || n->name >= dend ||
	    (n->name - sizeof(struct snap_block)) % 4 != 0)
		return snapv_fail(v, "node %u name offset %u out of bounds or its block "
			    "misaligned", i, n->name);
	int len = snapv_name(v, h, n->name);
	if (len < 0)
		return snapv_fail(v, "node %u name offset out of bounds or "
			    "malformed", i);
	const struct snap_block *bh = snap_node_head(v->base, n);
	if (bh->node != i)
		return snapv_fail(v, "node %u block head names node %u", i, bh->node);
	const uint8_t *name = v->base + n->name;
	if (bh->name_len != len - 1 || bh->labels != dname_labels(name))
		return snapv_fail(v, "node %u name length or labels wrong", i);
	uint32_t flags = bh->flags;
	if (i == 0) {
		/* no hashed owner: the engine takes a hashed owner's parent */
		if (n->parent != SNAP_NONE || !dname_eq(name, origin) ||
		    (flags & (SNAP_N_APEX | SNAP_N_DELETED | SNAP_N_NSEC3)) != SNAP_N_APEX)
			return snapv_fail(v, "node 0 is not the apex");
	} else {
		/* the parent's head was checked already */
		if (n->parent >= i)
			return snapv_fail(v, "node %u parent %u not before it",
				    i, n->parent);
		uint32_t pf = snap_node_flags(v->base, &nodes[n->parent]);
		if (bh->labels != snap_node_labels(v->base, &nodes[n->parent]) + 1 ||
		    (flags & SNAP_N_APEX) ||
		    ((pf & SNAP_N_DELETED) && !(flags & SNAP_N_DELETED)))
			return snapv_fail(v, "node %u parent %u inconsistent",
				    i, n->parent);
		if (!dname_in(name, origin))
			return snapv_fail(v, "node %u outside the zone", i);
	}
	if ((flags & SNAP_N_DELETED) && bh->nrrsets)
		return snapv_fail(v, "deleted node %u has RRsets", i);
	if (n->cut != SNAP_NONE && n->cut >= h->nnodes)
		return snapv_fail(v, "node %u cut %u out of range", i, n->cut);
	if ((flags & (SNAP_N_CUT | SNAP_N_OCCLUDED)) && n->cut == SNAP_NONE)
		return snapv_fail(v, "node %u cut missing", i);
	/* its RRset entries: 4-aligned after the name, inside the data
	 * area */
	uint64_t rr = ((uint64_t)n->name + (uint64_t)len + 3) & ~(uint64_t)3;
	if (rr + (uint64_t)bh->nrrsets * sizeof(struct snap_rrset) > dend)
		return snapv_fail(v, "node %u rrsets out of range", i);
	if (n->nsec3 != SNAP_NONE && n->nsec3 >= snap_nsec3_count(v->base, h))
		return snapv_fail(v, "node %u nsec3 index out of range", i);
	const struct snap_rrset *r = (const struct snap_rrset *)(v->base + rr);
	for (unsigned k = 1; k < bh->nrrsets; k++)
		if (r[k].type <= r[k - 1].type)
			return snapv_fail(v, "node %u rrsets not sorted", i);
	return 0;
}

static int check_nodes(struct vctx *v, const struct snap_header *h)
{
	const uint8_t *origin = v->base + h->origin;
	if (snapv_name(v, h, h->origin) < 0 ||
	    dname_labels(origin) != h->origin_labels)
		return snapv_fail(v, "bad origin name");
	uint32_t dead = 0;
	for (uint32_t i = 0; i < h->nnodes; i++) {
		if (snapv_node(v, h, i))
			return -1;
		dead += (snap_node_flags(v->base, snap_node_tab(v->base, h) + i) &
			 SNAP_N_DELETED) != 0;
	}
	if (dead != h->ndead)
		return snapv_fail(v, "%u deleted nodes, header says %u", dead, h->ndead);
	return 0;
}

/* One RRset entry (ri: its number, for messages). */
static int check_rrset(struct vctx *v, const struct snap_header *h, uint32_t ri,
		       const struct snap_rrset *r)
{
	if (r->count == 0 && (r->type != RR_RRSIG || r->nsigs == 0))
		return snapv_fail(v, "rrset %u is empty", ri);
	if (check_records(v, h, ri, "rdata", r->rdata, r->rdata_len, r->count, r->type, -1))
		return -1;
	/* the pre-encoded answer: after the records, inside the data area;
	 * the engine copies it as it is */
	uint64_t dend = (uint64_t)h->data + h->data_size;
	uint64_t after = (uint64_t)r->rdata + r->rdata_len + r->resp;
	if (r->resp && (r->count == 0 || r->resp < 2 || after > dend))
		return snapv_fail(v, "rrset %u pre-encoded answer out of bounds", ri);
	if (r->resp) {
		const uint8_t *pre = v->base + r->rdata + r->rdata_len;
		uint16_t ar = (uint16_t)(pre[0] | pre[1] << 8);
		if ((ar & SNAP_RESP_DO) &&
		    (r->resp < 6 ||
		     (size_t)(pre[r->resp - 2] | pre[r->resp - 1] << 8) + 6 > r->resp))
			return snapv_fail(v, "rrset %u pre-encoded answer with DNSSEC out of bounds", ri);
	}
	/* the signatures: after that (a 32-bit offset, as the engine
	 * computes it) */
	if (r->nsigs && after > dend)
		return snapv_fail(v, "rrset %u sigs out of bounds", ri);
	return check_records(v, h, ri, "sigs", (uint32_t)after, r->sigs_len, r->nsigs,
			     RR_RRSIG, r->count == 0 ? -1 : r->type);
}

/* The RRset entries of node i (ri: the number of the first, for
 * messages). */
int snapv_node_rrsets(struct vctx *v, const struct snap_header *h, uint32_t i,
			     uint64_t ri)
{
	const struct snap_node *n = snap_node_tab(v->base, h) + i;
	const struct snap_block *bh = snap_node_head(v->base, n);
	const struct snap_rrset *r = (const struct snap_rrset *)
		(v->base + snap_node_rrset_off(v->base, n));
	for (unsigned k = 0; k < bh->nrrsets; k++)
		if (check_rrset(v, h, (uint32_t)(ri + k), &r[k]))
			return -1;
	return 0;
}

/* h->soa: the apex's SOA RRset. */
int snapv_soa(struct vctx *v, const struct snap_header *h)
{
	const struct snap_node *nodes = snap_node_tab(v->base, h);
	uint32_t aroff = snap_node_rrset_off(v->base, &nodes[0]);
	uint64_t at = (uint64_t)h->soa - aroff;
	if (h->soa < aroff || at % sizeof(struct snap_rrset) != 0 ||
	    at / sizeof(struct snap_rrset) >= snap_node_nrrsets(v->base, &nodes[0]) ||
	    ((const struct snap_rrset *)(v->base + h->soa))->type != RR_SOA)
		return snapv_fail(v, "soa rrset at %u is not the apex SOA", h->soa);
	return 0;
}

static int check_rrsets(struct vctx *v, const struct snap_header *h)
{
	const struct snap_node *nodes = snap_node_tab(v->base, h);
	uint64_t total = 0;
	for (uint32_t i = 0; i < h->nnodes; i++) {
		if (snapv_node_rrsets(v, h, i, total))
			return -1;
		total += snap_node_nrrsets(v->base, &nodes[i]);
	}
	if (total != h->nrrsets)
		return snapv_fail(v, "%llu rrsets in the blocks, header says %u",
			    (unsigned long long)total, h->nrrsets);
	return snapv_soa(v, h);
}

/* NSEC3 table entry t (index x) of the composed image: its node in
 * range; live, it names its node's block; its wildcard entry in range
 * or none.  A dead one (SNAP_N3_DEAD, only with an extension to say the
 * chain changed) was checked when it was live, its block then its
 * node's: a block whose bytes stay (the base's, or the tail's before). */
int snapv_nsec3_entry(struct vctx *v, const struct snap_header *h, const struct snap_nsec3 *t,
		       uint64_t x)
{
	if (t->node >= h->nnodes)
		return snapv_fail(v, "nsec3 entry %llu: node out of range", (unsigned long long)x);
	if (t->wild == SNAP_N3_DEAD)
		return h->nsec3x ? 0 : snapv_fail(v, "nsec3 entry %llu dead without an extension",
						  (unsigned long long)x);
	if (t->block != snap_node_tab(v->base, h)[t->node].name - (uint32_t)sizeof(struct snap_block) ||
	    (t->wild != SNAP_NONE && t->wild >= snap_nsec3_count(v->base, h)))
		return snapv_fail(v, "nsec3 entry %llu: bad block or wildcard entry",
				  (unsigned long long)x);
	return 0;
}

/* The NSEC3 table's extension (its bounds checked with the header): every
 * entry checked, the order a permutation of them by strictly ascending
 * hash. */
int snapv_nsec3x(struct vctx *v, const struct snap_header *h)
{
	if (!h->nsec3x)
		return 0;
	const struct snap_nsec3x *x = (const struct snap_nsec3x *)(v->base + h->nsec3x);
	const uint32_t *order = (const uint32_t *)(x->e + x->cap);
	uint8_t *seen = calloc(x->n / 8 + 1, 1);
	if (!seen)
		return snapv_fail(v, "out of memory");
	int rc = x->pad[0] || x->pad[1] ? snapv_fail(v, "nsec3 extension: padding not zero") : 0;
	for (uint32_t k = 0; rc == 0 && k < x->n; k++) {
		uint32_t e = order[k];
		if (e >= x->n || (seen[e / 8] & (1u << (e % 8))) ||
		    (k && memcmp(x->e[order[k - 1]].hash, x->e[e].hash, 20) >= 0))
			rc = snapv_fail(v, "nsec3 extension: order broken at %u", k);
		else
			seen[e / 8] |= (uint8_t)(1u << (e % 8));
		if (rc == 0)
			rc = snapv_nsec3_entry(v, h, &x->e[k], (uint64_t)h->nnsec3 + k);
	}
	free(seen);
	return rc;
}

static int check_nsec3(struct vctx *v, const struct snap_header *h)
{
	const struct snap_nsec3 *t =
		(const struct snap_nsec3 *)(v->base + h->nsec3);
	if (snapv_nsec3x(v, h))
		return -1;
	for (uint32_t i = 0; i < h->nnsec3; i++) {
		if (snapv_nsec3_entry(v, h, &t[i], i))
			return -1;
		if (i && memcmp(t[i - 1].hash, t[i].hash, 20) >= 0)
			return snapv_fail(v, "nsec3 table not sorted at %u", i);
	}
	return 0;
}

/* Is off the block of a node (the engine reads a block's node, flags and
 * RRsets from it)? */
bool snapv_is_block(const struct vctx *v, const struct snap_header *h, uint32_t off)
{
	uint64_t dend = (uint64_t)h->data + h->data_size;
	if (off < h->data || off % 4 || (uint64_t)off + sizeof(struct snap_block) > dend)
		return false;
	const struct snap_block *bh = snap_block_at(v->base, off);
	const struct snap_node *nodes = (const struct snap_node *)(v->base + h->nodes);
	return bh->node < h->nnodes &&
	       nodes[bh->node].name == off + (uint32_t)sizeof(struct snap_block);
}

/* The pre-encoded referral of node i, if a cut has one: a well-formed
 * fragment whose NSEC3 owners are blocks or entries of the table. */
int snapv_referral(struct vctx *v, const struct snap_header *h, uint32_t i)
{
	const struct snap_node *n = snap_node_tab(v->base, h) + i;
	if (!(snap_node_flags(v->base, n) & SNAP_N_CUT))
		return 0;
	const struct snap_rrset *r = snap_rrset_in(
		(const struct snap_rrset *)(v->base + snap_node_rrset_off(v->base, n)),
		snap_node_nrrsets(v->base, n), RR_NS);
	if (!r || !r->resp)
		return 0;
	const uint8_t *f = v->base + r->rdata + r->rdata_len;
	const char *why = frag_check(f, r->resp);
	if (why)
		return snapv_fail(v, "node %u referral: %s", i, why);
	for (int k = 0; k < 2; k++) {
		uint32_t x = frag_u32(f, 12 + 4u * (unsigned)k);
		if (x != SNAP_NONE && ((x & 1) ? (x & 2) || x >> 2 >= snap_nsec3_count(v->base, h)
				       : !snapv_is_block(v, h, x)))
			return snapv_fail(v, "node %u referral: NSEC3 owner %#x is no block or entry",
					  i, x);
	}
	return 0;
}

static int check_referrals(struct vctx *v, const struct snap_header *h)
{
	for (uint32_t i = 0; i < h->nnodes; i++)
		if (snapv_referral(v, h, i))
			return -1;
	return 0;
}

/* The SOA of negative answers with DNSSEC (RFC 2308 §3, RFC 4035
 * §3.1.3), as answer.c's eng_put writes it after a question naming the
 * apex: the SOA and its RRSIGs, TTLs lowered to the negative TTL.  NULL
 * when it does not fit a fragment. */
static uint8_t *make_negsoa(const uint8_t *base, const struct snap_header *h,
			    struct frag_ct *ct)
{
	struct frag_b *b = malloc(sizeof *b);
	uint8_t *out = malloc(FRAG_MSG);
	const struct snap_rrset *soa = (const struct snap_rrset *)(base + h->soa);
	const uint8_t *origin = base + h->origin;
	uint32_t cap = h->neg_ttl;
	bool ok = b && out && frag_begin(b, origin, origin) &&
		  rw_rrset(&b->w, RW_NS, origin, RR_SOA, RR_CLASS_IN,
			   soa->ttl < cap ? soa->ttl : cap, base + soa->rdata, soa->count) &&
		  (!soa->nsigs ||
		   rw_rrset(&b->w, RW_NS, origin, RR_RRSIG, RR_CLASS_IN,
			    soa->sig_ttl < cap ? soa->sig_ttl : cap, base + snap_rrset_sigs(soa),
			    soa->nsigs)) &&
		  frag_finish(b, 0, NULL, out, FRAG_MSG) > 0;
	if (ok)
		frag_targets(b, ct);
	free(b);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

const uint8_t *snap_negsoa(const struct snap *s)
{
	return s->negsoa;
}

const struct frag_ct *snap_negsoa_ct(const struct snap *s)
{
	return &s->negct;
}

/*
 * The owner hash table: exactly one entry per node, each found by probing
 * from its home slot with the node's hash and block.  Checked from the
 * nodes' side (their names and blocks are read in image order; only the
 * slots are random, and independent, so their misses overlap) rather than
 * by walking the slots, which would read a random block and node entry per
 * slot.  As every node finds its own entry and the entries number the
 * nodes, no entry is left that points anywhere else.
 */
static int check_buckets(struct vctx *v, const struct snap_header *h)
{
	enum { AHEAD = 16 };
	const uint64_t *b = (const uint64_t *)(v->base + h->buckets);
	const struct snap_node *nodes =
		(const struct snap_node *)(v->base + h->nodes);
	uint32_t mask = h->hash_mask;
	uint64_t count = 0;
	for (uint64_t i = 0; i <= mask; i++)
		count += b[i] != 0;
	if (count > mask)
		return snapv_fail(v, "hash table full");
	if (count != (uint64_t)h->nnodes - h->ndead)
		return snapv_fail(v, "hash table holds %llu entries for %u nodes",
			    (unsigned long long)count, h->nnodes - h->ndead);
	uint32_t hv[AHEAD];
	for (uint32_t i = 0; i < h->nnodes && i < AHEAD; i++) {
		hv[i] = (uint32_t)dname_hash(v->base + nodes[i].name);
		__builtin_prefetch(&b[hv[i] & mask]);
	}
	for (uint32_t i = 0; i < h->nnodes; i++) {
		uint32_t hash = hv[i % AHEAD];
		if (i + AHEAD < h->nnodes) {
			uint32_t a = (uint32_t)dname_hash(v->base + nodes[i + AHEAD].name);
			hv[(i + AHEAD) % AHEAD] = a;
			__builtin_prefetch(&b[a & mask]);
		}
		uint32_t blk = nodes[i].name - (uint32_t)sizeof(struct snap_block);
		if (snap_block_at(v->base, blk)->flags & SNAP_N_DELETED)
			continue;	/* counted out above: in no bucket */
		uint32_t slot = hash, off;
		unsigned lines;
		do
			off = snap_bucket_next(v->base, h, hash, &slot, &lines);
		while (off != SNAP_NONE && off != blk);
		if (off == SNAP_NONE)
			return snapv_fail(v, "node %u not reachable in the hash table", i);
	}
	return 0;
}

int snap_open(const void *image, size_t size, struct snap **out, char *err,
	      size_t errcap)
{
	struct vctx v = { image, size, err, errcap };
	*out = NULL;
	if (errcap)
		err[0] = 0;
	if ((uintptr_t)image % 8 != 0)
		return snapv_fail(&v, "image not 8-byte aligned");
	if (size < sizeof(struct snap_header))
		return snapv_fail(&v, "image truncated (%zu bytes)", size);
	const struct snap_header *h = image;
	if (snapv_header(&v, h) || check_nodes(&v, h) || check_rrsets(&v, h) ||
	    check_nsec3(&v, h) || check_referrals(&v, h) || check_buckets(&v, h))
		return -1;
	return snapv_make(&v, out);
}

int snapv_make(struct vctx *v, struct snap **out)
{
	return snapv_make_patched(v, NULL, NULL, 0, out);
}

int snapv_make_patched(struct vctx *v, const struct snap *served, const uint32_t *touched,
		       size_t n, struct snap **out)
{
	const struct snap_header *h = (const struct snap_header *)v->base;
	const void *image = v->base;
	size_t size = v->size;
	struct snap *s = malloc(sizeof *s);
	if (!s)
		return snapv_fail(v, "out of memory");
	s->base = image;
	s->size = size;
	s->negsoa = make_negsoa(image, h, &s->negct);
	s->n3idx = h->nnsec3 ? make_n3idx((const struct snap_nsec3 *)(s->base + h->nsec3),
					  h->nnsec3, &s->n3bits) : NULL;
	s->nsecord = served && served->nsecord ? nsecord_patch(served->nsecord, s, touched, n)
					       : nsecord_make(s);
	s->expired = false;
	/* NSEC denial without the chain's index searches the node table,
	 * which an overlay's appended nodes leave out of canonical order */
	if (!s->nsecord && (h->flags & SNAP_F_NSEC) && !(h->flags & SNAP_F_NSEC3) &&
	    h->nsorted != h->nnodes) {
		snap_close(s);
		return snapv_fail(v, "the NSEC chain has no index (out of memory, or the "
				  "apex owns no NSEC)");
	}
	*out = s;
	return 0;
}

int snap_open_validated(const void *image, size_t size, struct snap **out)
{
	struct snap *s = calloc(1, sizeof *s);
	*out = s;
	if (!s)
		return -1;
	s->base = image;
	s->size = size;
	return 0;
}

bool snap_expired(const struct snap *s)
{
	return __atomic_load_n(&s->expired, __ATOMIC_RELAXED);
}

void snap_set_expired(struct snap *s, bool expired)
{
	__atomic_store_n(&s->expired, expired, __ATOMIC_RELAXED);
}

uint32_t snap_slot(const struct snap *s)
{
	return s->slot;
}

void snap_set_slot(struct snap *s, uint32_t slot)
{
	s->slot = slot;
}

const struct nsecord *snap_nsecord(const struct snap *s)
{
	return s->nsecord;
}

void snap_close(struct snap *s)
{
	if (s) {
		nsecord_free(s->nsecord);
		free(s->negsoa);
		free(s->n3idx);
	}
	free(s);
}
