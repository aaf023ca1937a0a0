/*
 * snap.h - opening (validating) and reading compiled zone snapshot images
 * (layout: snap_format.h), and the zone index that maps a query name to the
 * zone that serves it.
 *
 * An image is validated once by snap_open(); afterwards every offset and
 * index in it is known to be in bounds, and the read functions below do no
 * checks.  A struct snap does not own the image bytes: the caller keeps them
 * mapped (read-only) for the life of the struct snap.
 */
#ifndef RINGDNS_SNAP_H
#define RINGDNS_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/snap_format.h"

struct snap;

/*
 * A handle for reading an image that snap_open has validated before (the
 * dataplane did, for the image it serves, sealed in its memfd) without
 * validating it again: for the walks of a whole zone (zone transfers),
 * where the checks would cost as much as the walk.  No search indexes
 * (NSEC chain, NSEC3 table, negative SOA): lookups that need them are the
 * dataplane's.  -1 when out of memory.
 */
int snap_open_validated(const void *image, size_t size, struct snap **out);

/* A secondary zone past its SOA expire time (RFC 1035 §3.3.13): still
 * mapped, answered SERVFAIL.  Set (and cleared, when its primary answers
 * its serial again) by the publisher on the handle it serves; a new
 * version comes with a new handle, not expired. */
bool snap_expired(const struct snap *s);
void snap_set_expired(struct snap *s, bool expired);

/* The zone's counter slot in the serving threads' per-zone counters
 * (common/stats.h struct zstats), set by the publisher before the handle
 * is published; 0 until then. */
uint32_t snap_slot(const struct snap *s);
void snap_set_slot(struct snap *s, uint32_t slot);

/* The node table's room for n nodes (snap_header.node_cap): a little more,
 * so that an overlay can append names without moving the tables. */
static inline uint32_t snap_node_room(size_t n)
{
	return (uint32_t)(n + n / 128 + 256);
}

/* Checksum of the image body (a fast 64-bit hash, not cryptographic). */
uint64_t snap_checksum(const void *p, size_t n);

/*
 * Validates image[0..size) and returns a handle in *out.  On failure returns
 * -1 with a message in err naming what is wrong (bad magic, version N not
 * supported, checksum mismatch, node 17 name offset out of bounds, ...).
 * Never reads outside image[0..size).
 */
int snap_open(const void *image, size_t size, struct snap **out,
	      char *err, size_t errcap);
void snap_close(struct snap *s);

/* The size of the pages an overlay replaces (zones/overlay.h). */
#define SNAP_PAGE 4096u

/*
 * Validates a composed image: image[0..size) is the image base[0..
 * base_size) (validated by snap_open before, a compiled image) with pages
 * replaced and bytes appended from base_size on, and ref[0..ref_size) a
 * version validated before on the same base (the base itself, or a
 * composed image this function accepted) that image differs from only in
 * the pages listed (npages indices of SNAP_PAGE-byte pages, ascending: the
 * caller's own finding) and past ref_size.  Checks everything those bytes
 * can change, and only that (its cost follows the change, not the zone):
 * the header against the base's; that the pages change nothing but the
 * header, node entries and hash buckets, and ref's tail is kept; every
 * node whose entry differs from ref's or is new (block, name kept, links,
 * RRsets, records); every bucket that differs (its block, hash and
 * reachability) and the nodes whose entries moved or whose probe runs it
 * cuts; the counts.  On success *out is a handle as snap_open gives; -1
 * with err otherwise.  served: ref's handle, or NULL; what a handle
 * derives from its image (the NSEC chain's index) is then made from
 * served's and what changed, not from the whole image.
 */
int snap_open_patched(const void *image, size_t size, const void *base, size_t base_size,
		      const void *ref, size_t ref_size, const uint32_t *pages, size_t npages,
		      const struct snap *served, struct snap **out, char *err, size_t errcap);

/* Out of line on purpose: with these inlined (the struct in this header)
 * the burst pipeline of dataplane/answer.c ran up to 2x slower on
 * answers that need more than one lookup (MX with additional addresses:
 * 2.1 -> 0.95 M/s in bench/answer_bench), as measured in one session. */
const struct snap_header *snap_hdr(const struct snap *s);
const uint8_t *snap_base(const struct snap *s);
/* The apex name (wire). */
const uint8_t *snap_origin(const struct snap *s);

static inline const struct snap_node *snap_nodes(const struct snap *s)
{
	return (const struct snap_node *)(snap_base(s) + snap_hdr(s)->nodes);
}

/* Offset of the RRSIG records covering RRset r (r->nsigs of them, in
 * r->sigs_len bytes): after its records and its pre-encoded answer. */
static inline uint32_t snap_rrset_sigs(const struct snap_rrset *r)
{
	return r->rdata + r->rdata_len + r->resp;
}

/* The block head at offset off of an image based at base (a bucket's
 * value, or a node's name offset minus the head's size). */
static inline const struct snap_block *snap_block_at(const uint8_t *base, uint32_t off)
{
	return (const struct snap_block *)(base + off);
}

/* Offset of the RRset entries of the block at off (4-aligned after the
 * name). */
static inline uint32_t snap_block_rrsets(const uint8_t *base, uint32_t off)
{
	uint32_t at = off + (uint32_t)sizeof(struct snap_block) +
		      snap_block_at(base, off)->name_len + 1u;
	return (at + 3) & ~3u;
}

/* The block head of node n: its flags (SNAP_N_*), labels, nrrsets,
 * name_len. */
static inline const struct snap_block *snap_node_head(const uint8_t *base,
						      const struct snap_node *n)
{
	return snap_block_at(base, n->name - (uint32_t)sizeof(struct snap_block));
}

static inline uint32_t snap_node_flags(const uint8_t *base, const struct snap_node *n)
{
	return snap_node_head(base, n)->flags;
}

static inline unsigned snap_node_labels(const uint8_t *base, const struct snap_node *n)
{
	return snap_node_head(base, n)->labels;
}

static inline unsigned snap_node_nrrsets(const uint8_t *base, const struct snap_node *n)
{
	return snap_node_head(base, n)->nrrsets;
}

/* Offset of node n's RRset entries (snap_node_nrrsets of them, sorted by
 * type), and the entries themselves. */
static inline uint32_t snap_node_rrset_off(const uint8_t *base, const struct snap_node *n)
{
	return snap_block_rrsets(base, n->name - (uint32_t)sizeof(struct snap_block));
}

static inline const struct snap_rrset *snap_node_rrsets(const struct snap *s,
							const struct snap_node *n)
{
	return (const struct snap_rrset *)(snap_base(s) + snap_node_rrset_off(snap_base(s), n));
}

static inline const uint8_t *snap_at(const struct snap *s, uint32_t off)
{
	return snap_base(s) + off;
}

/* The RRset of type among a node's n RRsets at r (sorted by type), or
 * NULL: for callers that hold the rrset table already. */
static inline const struct snap_rrset *snap_rrset_in(const struct snap_rrset *r, unsigned n,
						     uint16_t type)
{
	for (unsigned k = 0; k < n; k++) {
		if (r[k].type == type)
			return &r[k];
		if (r[k].type > type)
			break;
	}
	return NULL;
}

/*
 * The staged probe of an owner name, for a pipeline that overlaps the
 * cache misses of many lookups (dataplane's burst): (1) snap_probe_home
 * prefetches the home bucket of a name's hash; (2) snap_probe_block scans
 * the bucket run for the first entry with that hash and returns its block
 * (prefetched: head, name, RRset entries and the lines after them the
 * entry names), or SNAP_NONE when the name is absent; (3) the block
 * accessors (snap_block_at, snap_block_name, snap_block_rrset_tab) read
 * it.  A candidate block may be another name with the same 32-bit hash:
 * the caller compares names (snap_name_is).  base and h are the zone's
 * (snap_base, snap_hdr: fetched once per zone, they are calls).
 */

/* The next entry of hash's bucket run at or after slot *slot with that
 * hash: its block offset (and in *lines the number of 64-byte lines after
 * the block's first that its head, name and RRset entries touch); *slot
 * moves past it.  SNAP_NONE at the end of the run (an empty slot).  The
 * one reader of the bucket format (snap_format.h: hash << 32 | offset |
 * lines). */
static inline uint32_t snap_bucket_next(const uint8_t *base, const struct snap_header *h,
					uint32_t hash, uint32_t *slot, unsigned *lines)
{
	const uint64_t *b = (const uint64_t *)(base + h->buckets);
	uint32_t mask = h->hash_mask;
	for (uint32_t k = *slot & mask;; k = (k + 1) & mask) {
		uint64_t e = b[k];
		if (e == 0)
			return SNAP_NONE;
		if ((uint32_t)(e >> 32) == hash) {
			*slot = k + 1;
			*lines = (unsigned)(e & 3);
			return (uint32_t)e & ~3u;
		}
	}
}

/*
 * Starts bringing the line at p into the cache, for a page that may not
 * be in the TLB.  A prefetch instruction that misses the TLB does nothing
 * on the (virtual) machines measured: a DO referral's NSEC3 record
 * "prefetched" a stage ahead was read from memory as if it had not been,
 * and loading it instead made those referrals twice as fast.  A load whose
 * value nothing waits for is not dropped: out-of-order execution overlaps
 * it with the work that follows, and once its page is in the TLB the
 * prefetches of the lines next to it do their part.
 */
static inline void snap_touch(const void *p)
{
	(void)*(const volatile uint8_t *)p;
}

static inline void snap_probe_home(const uint8_t *base, const struct snap_header *h,
				   uint32_t hash)
{
	__builtin_prefetch((const uint64_t *)(base + h->buckets) + (hash & h->hash_mask));
}

static inline uint32_t snap_probe_block(const uint8_t *base, const struct snap_header *h,
					uint32_t hash)
{
	uint32_t slot = hash;
	unsigned lines;
	uint32_t off = snap_bucket_next(base, h, hash, &slot, &lines);
	if (off == SNAP_NONE)
		return SNAP_NONE;
	const uint8_t *p = base + off;
	__builtin_prefetch(p);
	if (lines) {
		p = (const uint8_t *)((uintptr_t)p & ~(uintptr_t)63);
		for (unsigned l = 1; l <= lines; l++)
			__builtin_prefetch(p + 64 * l);
	}
	return off;
}

/* The name of the block at off (wire, name_len + 1 bytes) and its RRset
 * entries (nrrsets of them, sorted by type). */
static inline const uint8_t *snap_block_name(const uint8_t *base, uint32_t off)
{
	return base + off + sizeof(struct snap_block);
}

static inline const struct snap_rrset *snap_block_rrset_tab(const uint8_t *base, uint32_t off)
{
	return (const struct snap_rrset *)(base + snap_block_rrsets(base, off));
}

/* The node table of the image at base. */
static inline const struct snap_node *snap_node_tab(const uint8_t *base,
						    const struct snap_header *h)
{
	return (const struct snap_node *)(base + h->nodes);
}

/* The RRset of type at node n, or NULL. */
const struct snap_rrset *snap_rrset_of(const struct snap *s,
				       const struct snap_node *n, uint16_t type);

/*
 * Looks qname up in the zone (qname must be at or below the apex, any
 * case).  Sets *node to the node of qname when it exists (returns true), or
 * to its closest encloser, the deepest existing ancestor (returns false).
 * Empty non-terminals exist (RFC 4592 §2.2.2).
 */
bool snap_find(const struct snap *s, const uint8_t *qname, uint32_t *node);

/* Marks "not probed yet" for snap_find_q's first argument. */
#define SNAP_UNPROBED 0xfffffffeu

/*
 * snap_find for a name whose label count and (uint32_t)dname_hash are
 * known, when the caller probed some suffixes already: the first skip
 * suffixes (qname, its parent, ...) are absent, and first is the result of
 * probing the next one (its node, or SNAP_NONE when absent), or
 * SNAP_UNPROBED.  hash is only used when skip is 0.
 */
bool snap_find_q(const struct snap *s, const uint8_t *qname, unsigned labels,
		 uint32_t hash, unsigned skip, uint32_t first, uint32_t *node);

/* Name equality for lookups: the stored name at a (wire length
 * name_len + 1, as in snap_block) against a name of len wire
 * bytes; lengths first, then bytes exactly (the usual case), then ignoring
 * case. */
static inline bool snap_name_is(const uint8_t *a, unsigned name_len, const uint8_t *name,
				size_t len)
{
	return (size_t)name_len + 1 == len && (dname_bytes_same(a, name, len) || dname_eq(a, name));
}

/* snap_name_is for a node's name. */
bool snap_name_eq(const struct snap_node *n, const uint8_t *nbase, const uint8_t *name,
		  size_t len);

/*
 * NSEC3 (RFC 5155): the index into the nsec3 table of the record whose hash
 * equals the hash of name (returns true) or, failing that, of the record
 * that covers it (returns false).  hash receives the raw hash of name.
 * Only for zones with SNAP_F_NSEC3.
 */
bool snap_nsec3_find(const struct snap *s, const uint8_t *name,
		     uint32_t *index, uint8_t hash[20]);

/* memcmp(a, b, 20) <= 0 for two NSEC3 hashes, deciding on the first 8
 * bytes (one compare of big-endian words) but where they are equal. */
static inline bool snap_hash_le(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	if (x != y)
		return __builtin_bswap64(x) < __builtin_bswap64(y);
	return memcmp(a + 8, b + 8, 12) <= 0;
}

/* The same for a hash already made, in the table t of n entries (at compile
 * time too); *index SNAP_NONE when n is 0. */
bool snap_nsec3_search(const struct snap_nsec3 *t, uint32_t n, const uint8_t hash[20],
		       uint32_t *index);

/* NSEC3 table entry i of image img (header h): in the base's table, or
 * past it in an overlay's extension (struct snap_nsec3x). */
static inline const struct snap_nsec3 *snap_nsec3_at(const uint8_t *img,
						     const struct snap_header *h, uint32_t i)
{
	if (__builtin_expect(i < h->nnsec3, 1))
		return (const struct snap_nsec3 *)(img + h->nsec3) + i;
	return ((const struct snap_nsec3x *)(img + h->nsec3x))->e + (i - h->nnsec3);
}

/* The block of an NSEC3 owner a referral's proof names (zones/frag.h):
 * a block offset, or x << 2 | 1 for table entry x. */
static inline uint32_t snap_proof_block(const uint8_t *img, const struct snap_header *h,
					uint32_t v)
{
	return (v & 1) ? snap_nsec3_at(img, h, v >> 2)->block : v;
}

/* The entries of the table, the extension's included (dead ones too). */
static inline uint32_t snap_nsec3_count(const uint8_t *img, const struct snap_header *h)
{
	return h->nnsec3 + (h->nsec3x ? ((const struct snap_nsec3x *)(img + h->nsec3x))->n : 0);
}

/* The chain's entry matching or covering hash (RFC 5155 §7.2.1: the
 * greatest at or below it, the last below the first) given lo, the count
 * of the base table's entries at or below it (a binary search's result):
 * that table's entry lo - 1 (or its last) but in a composed image whose
 * chain changed, where dead entries are skipped and the extension's
 * entries taken in.  SNAP_NONE when the chain is empty. */
uint32_t snap_nsec3_pick_x(const uint8_t *img, const struct snap_header *h,
			   const uint8_t hash[20], uint32_t lo);

static inline uint32_t snap_nsec3_pick(const uint8_t *img, const struct snap_header *h,
				       const uint8_t hash[20], uint32_t lo)
{
	if (__builtin_expect(h->nsec3x == 0, 1))
		return lo ? lo - 1 : h->nnsec3 - 1;
	return snap_nsec3_pick_x(img, h, hash, lo);
}

/* The chain's entry matching or covering hash in image img (the whole
 * table searched); true when it matches. */
bool snap_nsec3_search_img(const uint8_t *img, const struct snap_header *h,
			   const uint8_t hash[20], uint32_t *index);

/* The hash an NSEC3 owner name stands for: its first label,
 * base32hex-decoded (RFC 5155 §3.3); false when that is not 20 bytes. */
bool snap_nsec3_label_hash(const uint8_t *name, uint8_t hash[20]);

/* The entry of the NSEC3 table of image img (header h) whose owner is node
 * i (its first label, base32hex-decoded, is the entry's hash and the entry
 * names i), or SNAP_NONE: i is not an NSEC3 owner of the chain in use. */
uint32_t snap_nsec3_entry_of(const uint8_t *img, const struct snap_header *h, uint32_t i);

/* Where in the NSEC3 table to search for hash: the entries before *lo
 * are below it, those from *hi on above it (an index by the hash's
 * leading bits, made when the snapshot was opened). */
void snap_nsec3_bounds(const struct snap *s, const uint8_t hash[20], uint32_t *lo,
		       uint32_t *hi);

/* The SOA of negative answers with DNSSEC (its RRSIGs after it, TTLs
 * lowered to the negative TTL, RFC 2308 §3) as an anchored fragment
 * (zones/frag.h) whose anchor is the apex, made when the snapshot was
 * opened; NULL when it could not be made. */
const uint8_t *snap_negsoa(const struct snap *s);

/* The compression targets that fragment adds (zones/frag.h); meaningful
 * only when snap_negsoa is not NULL. */
struct frag_ct;
const struct frag_ct *snap_negsoa_ct(const struct snap *s);

/* The NSEC chain's search index (zones/nsecord.h), made when the snapshot
 * was opened; NULL for zones not signed with NSEC, or when it could not be
 * made (the node table is searched then). */
struct nsecord;
const struct nsecord *snap_nsecord(const struct snap *s);

/* The RFC 5155 §5 SHA-1 hash of name (any case: hashed lowercased) with
 * salt and iterations.  No allocation or locking. */
void snap_nsec3_hash(const uint8_t *name, const uint8_t *salt, size_t salt_len,
		     unsigned iterations, uint8_t out[20]);

/*
 * The zone index: the dataplane's root, mapping query names to zones by
 * longest match.  Built from open snapshots; immutable once built.  It does
 * not own the snapshots (zidx_free frees the index only), so one zone's
 * snapshot can be replaced by building a new index.  When two snapshots
 * have the same apex, the first one given serves it.
 */
struct zidx;

struct zidx *zidx_new(struct snap *const *zones, size_t n);
void zidx_free(struct zidx *ix);
/* The zone serving qname (longest matching apex), or NULL. */
const struct snap *zidx_find(const struct zidx *ix, const uint8_t *qname);
/* The same for a name whose wire length (qlen), label offsets (lo[i]: the
 * length byte of label i), label count and dname_hash are known already
 * (the query parser computes them): no pass over the name. */
const struct snap *zidx_find_q(const struct zidx *ix, const uint8_t *qname, size_t qlen,
			       const uint8_t *lo, unsigned labels, uint64_t hash);

#endif
