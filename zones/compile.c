/*
 * compile.c - the zone compiler: turns a checked zone into a snapshot image
 * (snap_format.h).  It adds the empty non-terminals, sorts every name into
 * canonical order with a radix sort over order-preserving byte keys,
 * precomputes the per-name facts the answer engine needs (cuts, occlusion,
 * wildcards, CNAME/DNAME), groups RRSIGs under the RRsets they cover,
 * pre-encodes the answers with names or additional data (NS, MX, SRV,
 * CNAME...) with the engine's own writer (zones/rwrite.c), and builds the
 * owner hash table and the NSEC3 hash table.
 */
#include "zones/compile.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "zones/dname.h"
#include "zones/frag.h"
#include "zones/limits.h"
#include "zones/rrtype.h"
#include "zones/rwrite.h"
#include "zones/snap.h"
#include "zones/snap_format.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "snapshot images are little-endian: this compiler needs a little-endian host"
#endif

/* One record as zone_foreach gave it (rdata stays in the zone). */
struct zc_rec {
	const uint8_t *rd;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
};

/* One name: an owner or an empty non-terminal (nrec = 0). */
struct zc_name {
	const uint8_t *name;	/* in the zone, or a suffix of an owner */
	uint32_t rec;		/* first record */
	uint32_t nrec;
	uint32_t hash;		/* (uint32_t)dname_hash */
	uint32_t parent;	/* name index, SNAP_NONE for the apex */
	uint8_t len;		/* wire length - 1 */
	uint8_t labels;
	uint16_t tflags;	/* SNAP_N_* its types give: CNAME, DNAME, CUT
				   (any NS), NSEC3; once the nodes are made,
				   all of its node's flags */
	uint32_t resp;		/* 1 + offset in zc.resp of its first pre-encoded
				   answer, 0 if none */
};
/* 32 bytes (the sort keys' offsets are in zc.koff): ten million names
 * take 320 MB while the image is made */
_Static_assert(sizeof(struct zc_name) == 32, "zc_name grew");

struct zc_item {
	uint64_t pfx;		/* 8 key bytes from the current depth, big-endian */
	uint32_t idx;
	uint32_t pad;
};

struct zc {
	const struct zone *zone;	/* the zone compiled (zone_cancelled) */
	const uint8_t *origin;
	unsigned olabels;
	struct zc_name *names;
	size_t nnames, names_cap;
	struct zc_rec *recs;
	size_t nrecs, recs_cap;
	const uint8_t *last_owner;
	uint64_t *tab;		/* hash32 << 32 | (name + 1) */
	uint32_t tab_mask;
	uint8_t *keys;
	size_t keys_len, keys_cap;
	uint32_t *koff;		/* name i's sort key: keys[koff[i], koff[i + 1]) */
	bool oom;
	char *err;
	size_t errcap;
	/* pre-encoded answers, per name in type order (RESP_HEAD, then the
	 * bytes snap_rrset.resp describes) */
	uint8_t *resp;
	size_t resp_len, resp_cap;
	uint32_t *cand;		/* names with a type that may get one */
	size_t ncand, cand_cap;
	size_t nowners;		/* names [0, nowners) are owners, the rest ENTs */
	struct zone *shed;	/* the zone, when its names may be given back */
};

__attribute__((format(printf, 2, 3)))
static int zc_fail(struct zc *c, const char *fmt, ...)
{
	if (c->errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, c->errcap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A stop asked for (zone_set_cancel), looked at every 65536 items i of a
 * pass: true, with the error set, when the compile is to stop. */
static bool zc_stop(struct zc *c, size_t i)
{
	if ((i & 0xffff) != 0 || !zone_cancelled(c->zone))
		return false;
	zc_fail(c, ZONE_ERR_CANCELLED);
	return true;
}

/* Big arrays ask for transparent huge pages: a compile of millions of
 * names otherwise spends much of its time in page faults. */
static void big_hint(void *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
	if (n >= (4u << 20) && e > a)
		madvise((void *)a, e - a, MADV_HUGEPAGE);
}

static void *big_malloc(size_t n)
{
	void *p = malloc(n);
	if (p)
		big_hint(p, n);
	return p;
}

/* 2 MiB aligned when big, so huge pages cover all of it; free()able. */
static void *big_aligned(size_t n)
{
	if (n < (4u << 20))
		return malloc(n);
	void *p;
	if (posix_memalign(&p, 2u << 20, n) != 0)
		return NULL;
	big_hint(p, n);
	return p;
}

static void *big_calloc(size_t n)
{
	void *p = big_aligned(n);
	if (p)
		memset(p, 0, n);
	return p;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elsize)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elsize);
	if (!q)
		return false;
	big_hint(q, n * elsize);
	*p = q;
	*cap = n;
	return true;
}

static uint32_t add_name(struct zc *c, const uint8_t *name)
{
	if (!grow((void **)&c->names, &c->names_cap, c->nnames + 1,
		  sizeof *c->names)) {
		c->oom = true;
		return SNAP_NONE;
	}
	struct zc_name *n = &c->names[c->nnames];
	memset(n, 0, sizeof *n);
	n->name = name;
	n->hash = (uint32_t)dname_hash(name);
	n->parent = SNAP_NONE;
	return (uint32_t)c->nnames++;
}

/* The node flag a record of this type gives its owner. */
static uint16_t type_flag(uint16_t type)
{
	switch (type) {
	case RR_CNAME: return SNAP_N_CNAME;
	case RR_DNAME: return SNAP_N_DNAME;
	case RR_NS: return SNAP_N_CUT;	/* cleared later at the apex */
	case RR_NSEC3: return SNAP_N_NSEC3;	/* so is this */
	default: return 0;
	}
}

static int collect_cb(void *ud, const uint8_t *owner, uint16_t type,
		      uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	struct zc *c = ud;
	if (zc_stop(c, c->nrecs))
		return -1;
	if (owner != c->last_owner) {
		if (add_name(c, owner) == SNAP_NONE)
			return -1;
		c->names[c->nnames - 1].rec = (uint32_t)c->nrecs;
		c->last_owner = owner;
	}
	if (!grow((void **)&c->recs, &c->recs_cap, c->nrecs + 1,
		  sizeof *c->recs)) {
		c->oom = true;
		return -1;
	}
	c->recs[c->nrecs++] = (struct zc_rec){ rd, ttl, type, rdlen };
	c->names[c->nnames - 1].nrec++;
	c->names[c->nnames - 1].tflags |= type_flag(type);
	uint32_t at = (uint32_t)c->nnames - 1;
	if ((type == RR_SRV || rw_compressed_type(type)) &&
	    (c->ncand == 0 || c->cand[c->ncand - 1] != at)) {
		if (!grow((void **)&c->cand, &c->cand_cap, c->ncand + 1, sizeof *c->cand)) {
			c->oom = true;
			return -1;
		}
		c->cand[c->ncand++] = at;
	}
	return 0;
}

/* ------------------------------------------------------- name hash table */

static void tab_put(uint64_t *tab, uint32_t mask, uint32_t hash, uint32_t idx)
{
	uint32_t i = hash & mask;
	while (tab[i])
		i = (i + 1) & mask;
	tab[i] = (uint64_t)hash << 32 | (idx + 1);
}

/* The image's bucket value for the block [off, end) (snap_format.h): its
 * offset, and in the low 2 bits the lines its first 256 bytes touch, minus
 * one. */
static inline uint32_t bucket_val(uint32_t off, uint32_t end)
{
	if (end - off > 256)
		end = off + 256;
	uint32_t lines = (end - 1) / 64 - off / 64;
	return off | (lines < 3 ? lines : 3);
}

/* Gives back, as a big array is read front to back, the whole pages read
 * so far (they must not be read again; the array is free()d as usual). */
struct zc_release {
	uintptr_t next;		/* first page not given back */
	uintptr_t end;
};

static void zc_release_init(struct zc_release *r, const void *base, size_t size)
{
	r->next = ((uintptr_t)base + 4095) & ~(uintptr_t)4095;
	r->end = (uintptr_t)base + size;
}

static void zc_release(struct zc_release *r, const void *upto)
{
	const uintptr_t step = 2u << 20;	/* one call per huge page */
	uintptr_t to = (uintptr_t)upto & ~(uintptr_t)4095;
	if (to > r->end || to < r->next + step)
		return;
	madvise((void *)r->next, to - r->next, MADV_DONTNEED);
	r->next = to;
}

/* tab_put for the n names: the slots are random in a table far larger
 * than the caches, so each is prefetched AHEAD names early and the misses
 * overlap. */
static void tab_fill(uint64_t *tab, uint32_t mask, const struct zc_name *names, size_t n)
{
	enum { AHEAD = 16 };
	for (size_t k = 0; k < n; k++) {
		if (k + AHEAD < n)
			__builtin_prefetch(&tab[names[k + AHEAD].hash & mask], 1);
		tab_put(tab, mask, names[k].hash, (uint32_t)k);
	}
}

static uint32_t tab_get(const struct zc *c, const uint8_t *name, uint32_t hash)
{
	for (uint32_t i = hash & c->tab_mask;; i = (i + 1) & c->tab_mask) {
		uint64_t e = c->tab[i];
		if (!e)
			return SNAP_NONE;
		uint32_t idx = (uint32_t)e - 1;
		if ((uint32_t)(e >> 32) == hash &&
		    dname_eq(c->names[idx].name, name))
			return idx;
	}
}

/* Smallest power of two minus one >= 2n - 1 (n >= 1). */
static uint32_t mask_for(size_t n)
{
	uint64_t m = 1;
	while (m < 2 * (uint64_t)n)
		m <<= 1;
	return (uint32_t)(m - 1);
}

/* Would n names load the table past 3/4 (linear probing stays short)? */
static bool tab_full(const struct zc *c, size_t n)
{
	return 4 * n > 3 * ((size_t)c->tab_mask + 1);
}

/* The image's table (snap_format.h): the smallest power of two minus one
 * with more than 3/2 slots per node, a load of at most 2/3. */
static uint32_t image_mask_for(size_t n)
{
	/* with room for 256 names more, as the node table has (an overlay
	 * of a small zone would fill a table sized to the load alone with
	 * a few names and be compacted at every change) */
	uint64_t m = 1, k = (uint64_t)n + 256;
	while (m < k + k / 2 + 1)
		m <<= 1;
	return (uint32_t)(m - 1);
}

static bool tab_resize(struct zc *c, size_t n)
{
	uint32_t mask = mask_for(n);
	uint64_t *t = big_calloc(((size_t)mask + 1) * sizeof *t);
	if (!t)
		return false;
	tab_fill(t, mask, c->names, c->nnames);
	free(c->tab);
	c->tab = t;
	c->tab_mask = mask;
	return true;
}

/* RFC 4592 §2.2.2: every name between an owner and the apex exists; the
 * missing ones become empty non-terminals.  Also links every name to its
 * parent. */
static int add_ents(struct zc *c, uint32_t apex)
{
	size_t owners = c->nnames;
	c->nowners = owners;
	for (size_t i = 0; i < owners; i++) {
		uint32_t cur = (uint32_t)i;
		while (cur != apex && c->names[cur].parent == SNAP_NONE) {
			const uint8_t *pn = dname_parent(c->names[cur].name);
			uint32_t ph = (uint32_t)dname_hash(pn);
			uint32_t p = tab_get(c, pn, ph);
			bool fresh = p == SNAP_NONE;
			if (fresh) {
				if (tab_full(c, c->nnames + 1) &&
				    !tab_resize(c, 2 * (c->nnames + 1)))
					return -1;
				p = add_name(c, pn);
				if (p == SNAP_NONE)
					return -1;
				tab_put(c->tab, c->tab_mask, ph, p);
			}
			c->names[cur].parent = p;
			if (!fresh)
				break;
			cur = p;
		}
	}
	return 0;
}

/* ----------------------------------------------------------- sort keys */

/*
 * The key of a name: its labels below the apex from the apex down, each
 * lowercased and ended by 0x00, with octets 0x00 and 0x01 escaped as 0x01
 * 0x01 and 0x01 0x02.  memcmp order of keys (a shorter key that is a prefix
 * first) is then the canonical order of RFC 4034 §6.1, and no key holds two
 * 0x00 in a row, so zero padding never makes two keys equal.
 */
static int make_key(struct zc *c, uint32_t idx)
{
	const uint8_t *name = c->names[idx].name;
	const uint8_t *lab[DNAME_LABELS_MAX];
	unsigned n = 0;
	for (const uint8_t *p = name; *p; p += *p + 1)
		lab[n++] = p;
	unsigned own = n - c->olabels;
	if (!grow((void **)&c->keys, &c->keys_cap, c->keys_len + 2 * DNAME_MAX,
		  1))
		return -1;
	uint8_t *k0 = c->keys + c->keys_len, *k = k0;
	while (own > 0) {
		const uint8_t *l = lab[--own];
		for (unsigned j = 1; j <= l[0]; j++) {
			uint8_t b = dname_lc(l[j]);
			if (b <= 1) {
				*k++ = 1;
				b++;
			}
			*k++ = b;
		}
		*k++ = 0;
	}
	c->koff[idx] = (uint32_t)c->keys_len;
	c->names[idx].len = (uint8_t)(dname_len(name) - 1);
	c->names[idx].labels = (uint8_t)n;
	c->keys_len += (size_t)(k - k0);
	return 0;
}

static uint64_t key_pfx(const struct zc *c, uint32_t idx, size_t depth)
{
	size_t from = depth * 8, len = c->koff[idx + 1] - c->koff[idx];
	if (from >= len)
		return 0;
	size_t m = len - from;
	if (m > 8)
		m = 8;
	const uint8_t *k = c->keys + c->koff[idx] + from;
	uint64_t v = 0;
	for (size_t j = 0; j < 8; j++)
		v = v << 8 | (j < m ? k[j] : 0);
	return v;
}

static int key_cmp(const struct zc *c, uint32_t a, uint32_t b, size_t from)
{
	size_t xl = c->koff[a + 1] - c->koff[a], yl = c->koff[b + 1] - c->koff[b];
	size_t la = xl > from ? xl - from : 0;
	size_t lb = yl > from ? yl - from : 0;
	size_t m = la < lb ? la : lb;
	int r = m ? memcmp(c->keys + c->koff[a] + from, c->keys + c->koff[b] + from, m) : 0;
	if (r)
		return r;
	return la < lb ? -1 : la > lb;
}

static void radix64(struct zc_item *a, struct zc_item *tmp, size_t n)
{
	static const size_t zero[256];
	size_t cnt[8][256];
	for (int b = 0; b < 8; b++)
		memcpy(cnt[b], zero, sizeof zero);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = a[i].pfx;
		for (int b = 0; b < 8; b++)
			cnt[b][(v >> (8 * b)) & 255]++;
	}
	struct zc_item *src = a, *dst = tmp;
	for (int b = 0; b < 8; b++) {
		if (cnt[b][(src[0].pfx >> (8 * b)) & 255] == n)
			continue;	/* all the same byte: nothing to do */
		size_t sum = 0;
		for (int d = 0; d < 256; d++) {
			size_t t = cnt[b][d];
			cnt[b][d] = sum;
			sum += t;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[b][(src[i].pfx >> (8 * b)) & 255]++] = src[i];
		struct zc_item *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

/* MSD by 8-byte chunks: radix-sort on the chunk at depth, then sort each
 * run of equal chunks on the next one; small runs by insertion. */
static void sort_names(const struct zc *c, struct zc_item *a,
		       struct zc_item *tmp, size_t n, size_t depth)
{
	if (n < 2)
		return;
	/* Keys are at most 2 * 255 bytes: past that only equal keys remain,
	 * which unique names never give; insertion keeps it finite anyway. */
	if (n <= 16 || depth * 8 > 2 * DNAME_MAX) {
		for (size_t i = 1; i < n; i++) {
			struct zc_item x = a[i];
			size_t j = i;
			while (j > 0 && key_cmp(c, a[j - 1].idx, x.idx,
						depth * 8) > 0) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = x;
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		a[i].pfx = key_pfx(c, a[i].idx, depth);
	radix64(a, tmp, n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && a[j].pfx == a[i].pfx)
			j++;
		/* Equal chunks that end the key (low byte 0 cannot be
		 * followed by more key) mean equal keys: only one. */
		if (j - i > 1)
			sort_names(c, a + i, tmp + i, j - i, depth + 1);
		i = j;
	}
}

/* ------------------------------------------------------------- RRsets */

static inline uint16_t covered_of(const struct zc_rec *r)
{
	return r->rdlen >= 2 ? (uint16_t)(r->rd[0] << 8 | r->rd[1]) : 0;
}

/* The records of type t at n: [*lo, return value).  zone_foreach gives
 * them sorted by type, so this is a binary search (names with thousands
 * of types or signatures stay O(n log n)). */
static uint32_t type_range(const struct zc *c, const struct zc_name *n,
			   uint16_t t, uint32_t *lo)
{
	const struct zc_rec *r = c->recs + n->rec;
	uint32_t a = 0, b = n->nrec;
	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		if (r[m].type < t)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	while (b < n->nrec && r[b].type == t)
		b++;
	return b;
}

/* Does the name have a (non-RRSIG) RRset of type t? */
static bool has_type(const struct zc *c, const struct zc_name *n, uint16_t t)
{
	uint32_t lo;
	return t != RR_RRSIG && type_range(c, n, t, &lo) > lo;
}

/* RRsets the name will have: its types other than RRSIG, plus one
 * synthetic RRSIG RRset when some signature covers no type present. */
static uint32_t count_rrsets(const struct zc *c, const struct zc_name *n)
{
	const struct zc_rec *r = c->recs + n->rec;
	uint32_t count = 0;
	bool stray = false;
	for (uint32_t k = 0; k < n->nrec; k++) {
		if (r[k].type == RR_RRSIG) {
			if (!stray && !has_type(c, n, covered_of(&r[k])))
				stray = true;
		} else if (k == 0 || r[k - 1].type != r[k].type) {
			count++;
		}
	}
	return count + (stray ? 1 : 0);
}

/* ------------------------------------------------- pre-encoded answers */

/* Scratch for one pre-encoded answer: the message being written, and the
 * records of one RRset in snapshot form (2-byte RDLENGTH + RDATA each).
 * An answer that does not fit is not pre-encoded (the engine's general
 * path writes it, or truncates). */
#define RESP_MSG 16384
/* In zc.resp each answer is preceded by its name index (4 bytes), type
 * and length (2 bytes each), host order. */
#define RESP_HEAD 8
/* A target name outside the zone (no additional data for it). */
#define TGT_OUT 0xfffffffdu
struct zc_scratch {
	uint8_t msg[RESP_MSG];
	uint8_t msg_do[RESP_MSG];	/* the answer with DNSSEC records */
	uint8_t rd[RESP_MSG];
	struct frag_b fb;	/* a referral being made */
	uint8_t frag[FRAG_MSG];
};

/* Records [lo, hi) of one RRset in snapshot form, in s->rd. */
static bool resp_entries(const struct zc_rec *r, uint32_t lo, uint32_t hi,
			 struct zc_scratch *s)
{
	size_t n = 0;
	for (uint32_t k = lo; k < hi; k++) {
		if (sizeof s->rd - n < 2u + r[k].rdlen)
			return false;
		s->rd[n] = (uint8_t)(r[k].rdlen >> 8);
		s->rd[n + 1] = (uint8_t)r[k].rdlen;
		memcpy(s->rd + n + 2, r[k].rd, r[k].rdlen);
		n += 2u + r[k].rdlen;
	}
	return true;
}

/* One RRset to pre-encode: records [k, j) of name, and the targets of its
 * first SNAP_ADDL_MAX records at tgt[t0..]. */
struct zc_job {
	uint32_t name, k, j, t0;
	bool ref;		/* the NS RRset of a cut: a referral */
};

/* A target name: where it is, its hash, then its name index (SNAP_NONE:
 * no such name, TGT_OUT: outside the zone). */
struct zc_tgt {
	const uint8_t *name;
	uint32_t hash;
	uint32_t idx;
};

/* Is the name at or below a zone cut (an NS RRset at it or an ancestor
 * other than the apex)?  The engine answers there with a referral. */
static bool below_cut(const struct zc *c, uint32_t i, uint32_t apex)
{
	for (; i != apex && i != SNAP_NONE; i = c->names[i].parent)
		if (has_type(c, &c->names[i], RR_NS))
			return true;
	return false;
}

/* Room for len bytes of name zn's pre-encoded answer of type, appended to
 * c->resp after its RESP_HEAD; NULL when out of memory. */
static uint8_t *resp_add(struct zc *c, const struct zc_name *zn, uint16_t type, size_t len)
{
	if (!grow((void **)&c->resp, &c->resp_cap, c->resp_len + RESP_HEAD + len, 1)) {
		c->oom = true;
		return NULL;
	}
	uint8_t *p = c->resp + c->resp_len;
	uint32_t name = (uint32_t)(zn - c->names);
	uint16_t l16 = (uint16_t)len;
	memcpy(p, &name, 4);
	memcpy(p + 4, &type, 2);
	memcpy(p + 6, &l16, 2);
	c->resp_len += RESP_HEAD + len;
	return p + RESP_HEAD;
}

/* Does name n have a signature over its type t RRset? */
static bool signed_type(const struct zc *c, const struct zc_name *n, uint16_t t)
{
	uint32_t lo, hi = type_range(c, n, RR_RRSIG, &lo);
	for (uint32_t k = lo; k < hi; k++)
		if (covered_of(&c->recs[n->rec + k]) == t)
			return true;
	return false;
}

/* With DNSSEC (dnssec), the RRSIGs over name n's type t RRset after it,
 * as the engine's eng_put writes them: owned by owner (NULL: the question
 * name), in the order the snapshot keeps them (put_sigs), with the
 * smallest of their TTLs.  True when there are none. */
static bool put_rrsigs(const struct zc *c, struct zc_scratch *s, struct rw *w, int sect,
		       const struct zc_name *n, const uint8_t *owner, uint16_t t, bool dnssec)
{
	if (!dnssec)
		return true;
	const struct zc_rec *r = c->recs + n->rec;
	uint32_t lo, hi = type_range(c, n, RR_RRSIG, &lo), cnt = 0, ttl = 0;
	size_t len = 0;
	for (uint32_t k = lo; k < hi; k++) {
		if (covered_of(&r[k]) != t)
			continue;
		if (sizeof s->rd - len < 2u + r[k].rdlen || cnt == UINT16_MAX)
			return false;
		s->rd[len] = (uint8_t)(r[k].rdlen >> 8);
		s->rd[len + 1] = (uint8_t)r[k].rdlen;
		memcpy(s->rd + len + 2, r[k].rd, r[k].rdlen);
		len += 2u + r[k].rdlen;
		if (cnt++ == 0 || r[k].ttl < ttl)
			ttl = r[k].ttl;
	}
	return cnt == 0 ||
	       rw_rrset(w, sect, owner, RR_RRSIG, RR_CLASS_IN, ttl, s->rd, (uint16_t)cnt);
}

/*
 * The additional section of a pre-encoded answer, written to w as
 * dataplane/answer.c's additional() writes it: for each of the first
 * SNAP_ADDL_MAX of the n targets tgt inside the zone, once per name, its A
 * then its AAAA RRset, owned by the target's name.  A target below `below`
 * (a referral's cut; NULL: none) that does not exist adds nothing: no
 * wildcard applies below a cut.  With dnssec each RRset's RRSIGs follow
 * it.  *sig: whether an RRset written is signed.
 * False when the engine must decide (a target that does not exist, or an
 * NSEC3 owner) or it does not fit.
 */
static bool put_addl(const struct zc *c, struct zc_scratch *s, struct rw *w, uint32_t n,
		     const struct zc_tgt *tgt, const uint8_t *below, bool dnssec, bool *sig)
{
	uint32_t done[SNAP_ADDL_MAX];
	unsigned ndone = 0;
	*sig = false;
	for (uint32_t m = 0; m < n && m < SNAP_ADDL_MAX; m++) {
		uint32_t ti = tgt[m].idx;
		if (ti == TGT_OUT || (ti == SNAP_NONE && below && dname_in(tgt[m].name, below)))
			continue;
		if (ti == SNAP_NONE || has_type(c, &c->names[ti], RR_NSEC3))
			return false;	/* a wildcard's or nobody's: the engine decides */
		bool dup = false;
		for (unsigned d = 0; d < ndone && !dup; d++)
			dup = done[d] == ti;
		if (dup)
			continue;
		done[ndone++] = ti;
		const struct zc_name *tn = &c->names[ti];
		static const uint16_t addr[2] = { RR_A, RR_AAAA };
		for (int a = 0; a < 2; a++) {
			uint32_t lo, hi = type_range(c, tn, addr[a], &lo);
			const struct zc_rec *tr = c->recs + tn->rec;
			if (hi == lo)
				continue;
			if (!resp_entries(tr, lo, hi, s) ||
			    !rw_rrset(w, RW_AR, tn->name, addr[a], RR_CLASS_IN, tr[lo].ttl, s->rd,
				      (uint16_t)(hi - lo)) ||
			    !put_rrsigs(c, s, w, RW_AR, tn, tn->name, addr[a], dnssec))
				return false;
			*sig |= signed_type(c, tn, addr[a]);
		}
	}
	return true;
}

/* The response to a query for exactly the records [k, j) of name zn, all
 * of one type, as dataplane/answer.c writes it for an exact match, written
 * to msg through w: the question, the RRset (and with dnssec its RRSIGs),
 * then when tgt is not NULL the additional section (put_addl).  False
 * when the engine must decide or it does not fit. */
static bool resp_answer(const struct zc *c, struct zc_scratch *s, struct rw *w, uint8_t *msg,
			const struct zc_name *zn, uint32_t k, uint32_t j,
			const struct zc_tgt *tgt, bool dnssec, bool *sig)
{
	const struct zc_rec *r = c->recs + zn->rec;
	uint16_t type = r[k].type;
	rw_init(w, msg, RESP_MSG);
	return rw_question(w, zn->name, dname_len(zn->name), type, RR_CLASS_IN) &&
	       resp_entries(r, k, j, s) &&
	       rw_rrset(w, RW_AN, NULL, type, RR_CLASS_IN, r[k].ttl, s->rd, (uint16_t)(j - k)) &&
	       put_rrsigs(c, s, w, RW_AN, zn, NULL, type, dnssec) &&
	       (!tgt || put_addl(c, s, w, j - k, tgt, NULL, dnssec, sig));
}

/*
 * The pre-encoded answer (snap_format.h, snap_rrset.resp) for the records
 * [k, j) of name zn, all of one type, appended to c->resp (tgt: the name
 * index of each record's target, make_resps says how); false when none
 * is made (not needed, does not fit, or a target the engine would have to
 * look for a wildcard for).  It mirrors what dataplane/answer.c writes for
 * an exact match without DNSSEC: eng_put of the RRset, then additional():
 * for each of the first SNAP_ADDL_MAX targets inside the zone, once per
 * name, its A then its AAAA RRset, owned by the target's name; and, when
 * the additional section is not empty and something in the answer is
 * signed, the same with DNSSEC (SNAP_RESP_DO).
 */
static bool resp_one(struct zc *c, struct zc_scratch *s, const struct zc_name *zn,
		     uint32_t k, uint32_t j, const struct zc_tgt *tgt)
{
	const struct zc_rec *r = c->recs + zn->rec;
	uint16_t type = r[k].type;
	bool addl = rrtype_addl_at(type) >= 0;
	struct rw w, wd;
	size_t qlen = dname_len(zn->name);	/* zn->len is not set yet */
	size_t qend = RW_HDR + qlen + 4u;
	bool sig = false;
	if (!resp_answer(c, s, &w, s->msg, zn, k, j, addl ? tgt : NULL, false, &sig))
		return false;
	size_t body = w.pos - qend, dbody = 0;
	/* with DNSSEC the RRSIGs interleave with the additional section: a
	 * second answer when something there is signed (else the engine
	 * appends the answer's RRSIGs to the first) */
	bool with_do = w.cnt[RW_AR] && (sig || signed_type(c, zn, type)) &&
		       resp_answer(c, s, &wd, s->msg_do, zn, k, j, tgt, true, &sig);
	if (with_do)
		dbody = wd.pos - qend;
	size_t len = 2 + body + (with_do ? dbody + 4 : 0);
	if (len > UINT16_MAX || (with_do && dbody > UINT16_MAX))
		return false;
	uint8_t *p = resp_add(c, zn, type, len);
	if (!p)
		return false;
	uint16_t ar = (uint16_t)(w.cnt[RW_AR] | (with_do ? SNAP_RESP_DO : 0));
	memcpy(p, &ar, 2);
	memcpy(p + 2, s->msg + qend, body);
	if (with_do) {
		uint16_t dar = wd.cnt[RW_AR], dl = (uint16_t)dbody;
		memcpy(p + 2 + body, s->msg_do + qend, dbody);
		memcpy(p + 2 + body + dbody, &dar, 2);
		memcpy(p + 4 + body + dbody, &dl, 2);
	}
	return true;
}

/*
 * The pre-encoded referral (snap_format.h) for the NS records [k, j) of
 * the cut zn, appended to c->resp; false when none is made.  It mirrors
 * what dataplane/answer.c writes for a referral without DNSSEC: eng_put
 * of the NS RRset owned by the cut, then additional() over the first
 * SNAP_ADDL_MAX targets inside the zone, once per name, A then AAAA.  A
 * target below the cut that does not exist has nothing to add (no
 * wildcard applies below a cut); any other that does not exist, or an
 * NSEC3 owner, is left to the engine.
 */
static bool ref_one(struct zc *c, struct zc_scratch *s, const struct zc_name *zn,
		    uint32_t k, uint32_t j, const struct zc_tgt *tgt)
{
	const struct zc_rec *r = c->recs + zn->rec;
	struct frag_b *fb = &s->fb;
	if (dname_is_wildcard(zn->name) || !frag_begin(fb, zn->name, c->origin) ||
	    !resp_entries(r, k, j, s) ||
	    !rw_rrset(&fb->w, RW_NS, zn->name, RR_NS, RR_CLASS_IN, r[k].ttl, s->rd,
		      (uint16_t)(j - k)))
		return false;
	frag_addl(fb);
	bool sig;
	if (!put_addl(c, s, &fb->w, j - k, tgt, zn->name, false, &sig))
		return false;
	size_t n = frag_finish(fb, sig ? FRAG_F_ADDL_SIGNED : 0, NULL, s->frag, sizeof s->frag);
	uint8_t *p = n ? resp_add(c, zn, RR_NS, n) : NULL;
	if (!p)
		return false;
	memcpy(p, s->frag, n);
	return true;
}

/* The RRsets to pre-encode and their targets (make_resps). */
struct zc_jobs {
	struct zc_job *v;
	size_t n, cap;
	struct zc_tgt *tg;
	size_t ntg, tg_cap;
};

enum { RESP_AHEAD = 16 };	/* how far ahead make_resps's steps prefetch */

/* Step 1: the RRsets (of the names collect_cb listed) that may get a
 * pre-encoded answer, and their targets' names and hashes.  0, or -1
 * (out of memory, or a stop). */
static int list_jobs(struct zc *c, uint32_t apex, struct zc_jobs *jb)
{
	enum { AHEAD = RESP_AHEAD };
	for (size_t ci = 0; ci < c->ncand; ci++) {
		if (zc_stop(c, ci))
			return -1;
		/* the zone's records and RDATA are not in name order: fetch
		 * ahead, the name entry, then its records, then their RDATA */
		if (ci + 2 * AHEAD < c->ncand)
			__builtin_prefetch(&c->names[c->cand[ci + 2 * AHEAD]]);
		if (ci + AHEAD < c->ncand)
			__builtin_prefetch(&c->recs[c->names[c->cand[ci + AHEAD]].rec]);
		if (ci + AHEAD / 2 < c->ncand) {
			const struct zc_name *a = &c->names[c->cand[ci + AHEAD / 2]];
			for (uint32_t k = 0; k < a->nrec && k < 4; k++)
				__builtin_prefetch(c->recs[a->rec + k].rd);
		}
		uint32_t i = c->cand[ci];
		struct zc_name *zn = &c->names[i];
		const struct zc_rec *r = c->recs + zn->rec;
		int checked = 0;
		for (uint32_t k = 0; k < zn->nrec;) {
			uint32_t j = k + 1;
			while (j < zn->nrec && r[j].type == r[k].type)
				j++;
			uint16_t t = r[k].type;
			/* at a cut (not below another one) only its NS RRset:
			 * the referral */
			bool ref = t == RR_NS && i != apex && !below_cut(c, zn->parent, apex) &&
				   !has_type(c, zn, RR_NSEC3);
			bool answer = t == RR_SRV || rw_compressed_type(t);
			if (answer && !ref && !checked)
				checked = has_type(c, zn, RR_NSEC3) || below_cut(c, i, apex) ? -1 : 1;
			if (ref || (answer && checked > 0)) {
				if (!grow((void **)&jb->v, &jb->cap, jb->n + 1, sizeof *jb->v) ||
				    !grow((void **)&jb->tg, &jb->tg_cap, jb->ntg + SNAP_ADDL_MAX,
					  sizeof *jb->tg))
					return -1;
				jb->v[jb->n++] = (struct zc_job){ i, k, j, (uint32_t)jb->ntg, ref };
				int at = rrtype_addl_at(t);
				for (uint32_t m = k; at >= 0 && m < j && m - k < SNAP_ADDL_MAX; m++) {
					const uint8_t *name = r[m].rd + at;
					bool in = dname_in(name, c->origin);
					jb->tg[jb->ntg++] = (struct zc_tgt){ name,
						in ? (uint32_t)dname_hash(name) : 0,
						in ? SNAP_NONE : TGT_OUT };
				}
			}
			k = j;
		}
	}
	return 0;
}

/* Step 2: the targets' name indices; the hash slot of target x + 2 AHEAD
 * and the name entry of x + AHEAD in flight while x is looked up. */
static void resolve_targets(const struct zc *c, struct zc_jobs *jb)
{
	enum { AHEAD = RESP_AHEAD };
	struct zc_tgt *tg = jb->tg;
	size_t ntg = jb->ntg;
	for (size_t x = 0; x < ntg; x++) {
		if (x + 2 * AHEAD < ntg && tg[x + 2 * AHEAD].idx != TGT_OUT)
			__builtin_prefetch(&c->tab[tg[x + 2 * AHEAD].hash & c->tab_mask]);
		if (x + AHEAD < ntg && tg[x + AHEAD].idx != TGT_OUT) {
			uint64_t e = c->tab[tg[x + AHEAD].hash & c->tab_mask];
			if (e)
				__builtin_prefetch(&c->names[(uint32_t)e - 1]);
		}
		if (tg[x].idx != TGT_OUT)
			tg[x].idx = tab_get(c, tg[x].name, tg[x].hash);
	}
}

/* Step 3: the answers; for job x + 2 AHEAD the targets' name entries, for
 * x + AHEAD their records and names, for x + AHEAD / 2 the first
 * record's RDATA.  0, or -1 (out of memory, or a stop). */
static int encode_jobs(struct zc *c, const struct zc_jobs *jb, struct zc_scratch *s)
{
	enum { AHEAD = RESP_AHEAD };
	const struct zc_job *jobs = jb->v;
	const struct zc_tgt *tg = jb->tg;
	size_t njobs = jb->n, ntg = jb->ntg;
	for (size_t x = 0; x < njobs; x++) {
		if (zc_stop(c, x))
			return -1;
		if (x + AHEAD < njobs) {
			const struct zc_job *a = &jobs[x + AHEAD];
			const struct zc_name *an = &c->names[a->name];
			__builtin_prefetch(an->name);
			for (uint32_t k = a->k; k < a->j && k < a->k + 4; k++)
				__builtin_prefetch(c->recs[an->rec + k].rd);
		}
		for (int d = 0; d < 3; d++) {
			size_t y = x + (d == 0 ? 2 * AHEAD : d == 1 ? AHEAD : AHEAD / 2);
			if (y >= njobs)
				continue;
			size_t end = y + 1 < njobs ? jobs[y + 1].t0 : ntg;
			for (size_t t = jobs[y].t0; t < end; t++) {
				uint32_t ti = tg[t].idx;
				if (ti == TGT_OUT || ti == SNAP_NONE)
					continue;
				const struct zc_name *n = &c->names[ti];
				if (d == 0) {
					__builtin_prefetch(n);
				} else if (d == 1) {
					__builtin_prefetch(&c->recs[n->rec]);
					__builtin_prefetch(n->name);
				} else if (n->nrec) {
					__builtin_prefetch(c->recs[n->rec].rd);
				}
			}
		}
		struct zc_name *zn = &c->names[jobs[x].name];
		size_t at = c->resp_len;
		bool made = jobs[x].ref ? ref_one(c, s, zn, jobs[x].k, jobs[x].j, tg + jobs[x].t0)
					: resp_one(c, s, zn, jobs[x].k, jobs[x].j, tg + jobs[x].t0);
		if (made && !zn->resp)
			zn->resp = (uint32_t)at + 1;
		if (c->oom)
			return -1;
	}
	return 0;
}

/*
 * Pre-encoded answers for every name that can have them.  Looking up the
 * targets is a chain of cache misses per name (hash slot, name entry,
 * name bytes, then its records): done one RRset at a time it cost about
 * 0.1 s per million records, so the RRsets are listed first, then their
 * targets resolved with the slots and name entries prefetched ahead.
 */
static int make_resps(struct zc *c, uint32_t apex)
{
	struct zc_jobs jb = { 0 };
	struct zc_scratch *s = malloc(sizeof *s);
	int ret = -1;
	if (s && list_jobs(c, apex, &jb) == 0) {
		resolve_targets(c, &jb);
		if (encode_jobs(c, &jb, s) == 0)
			ret = c->resp_len > UINT32_MAX - 1 ? -1 : 0;
	}
	free(c->cand);
	c->cand = NULL;
	c->ncand = c->cand_cap = 0;
	free(s);
	free(jb.v);
	free(jb.tg);
	return ret;
}

struct zc_out {
	uint8_t *img;
	uint32_t data;		/* next free byte in the data area */
};

static uint32_t put_bytes(struct zc_out *o, const void *p, size_t n)
{
	uint32_t at = o->data;
	memcpy(o->img + at, p, n);
	o->data += (uint32_t)n;
	return at;
}

static void put_rec(struct zc_out *o, const struct zc_rec *r)
{
	o->img[o->data] = (uint8_t)(r->rdlen >> 8);
	o->img[o->data + 1] = (uint8_t)r->rdlen;
	memcpy(o->img + o->data + 2, r->rd, r->rdlen);
	o->data += 2u + r->rdlen;
}

/* The RRSIG records at a name: [lo, hi), and whether they are sorted by
 * the type they cover (canonical rdata order puts it first, so they are). */
struct zc_sigs {
	uint32_t lo, hi;
	bool sorted;
};

/* Writes the signatures at n covering type (all strays when stray). */
static void put_sigs(const struct zc *c, const struct zc_name *n,
		     const struct zc_sigs *sg, struct zc_out *o,
		     struct snap_rrset *rs, uint16_t type, bool stray)
{
	const struct zc_rec *r = c->recs + n->rec;
	uint32_t start = o->data, from = sg->lo;
	if (!stray && sg->sorted) {
		uint32_t b = sg->hi;
		while (from < b) {
			uint32_t m = from + (b - from) / 2;
			if (covered_of(&r[m]) < type)
				from = m + 1;
			else
				b = m;
		}
	}
	for (uint32_t k = from; k < sg->hi; k++) {
		uint16_t cov = covered_of(&r[k]);
		if (!stray && sg->sorted && cov != type)
			break;
		if (stray ? has_type(c, n, cov) : cov != type)
			continue;
		put_rec(o, &r[k]);
		if (rs->nsigs == 0 || r[k].ttl < rs->sig_ttl)
			rs->sig_ttl = r[k].ttl;
		rs->nsigs++;
	}
	/* where the engine finds them: right after the records and the
	 * pre-encoded answer */
	assert(start == snap_rrset_sigs(rs));
	if (rs->nsigs)
		rs->sigs_len = o->data - start;
}

/* The pre-encoded answer of RRset rs at n, if *cur (n's next one in
 * c->resp) is for its type: copied after its records. */
static void put_resp(const struct zc *c, const struct zc_name *n, const uint8_t **cur,
		     struct zc_out *o, struct snap_rrset *rs)
{
	const uint8_t *p = *cur;
	uint32_t name;
	uint16_t type, len;
	if (!p || p >= c->resp + c->resp_len)
		return;
	memcpy(&name, p, 4);
	memcpy(&type, p + 4, 2);
	memcpy(&len, p + 6, 2);
	if (name != (uint32_t)(n - c->names) || type != rs->type)
		return;
	put_bytes(o, p + RESP_HEAD, len);
	rs->resp = len;
	*cur = p + RESP_HEAD + len;
}

/* Writes the RRsets of n at rs[0..]; returns how many.  (The node flags
 * its types give are in n->tflags, from collect_cb.) */
static uint32_t put_rrsets(const struct zc *c, const struct zc_name *n,
			   struct zc_out *o, struct snap_rrset *rs)
{
	const struct zc_rec *r = c->recs + n->rec;
	uint32_t cnt = 0;
	bool stray = false;
	const uint8_t *resp = n->resp ? c->resp + n->resp - 1 : NULL;
	struct zc_sigs sg;
	sg.hi = type_range(c, n, RR_RRSIG, &sg.lo);
	sg.sorted = true;
	for (uint32_t k = sg.lo; k < sg.hi; k++) {
		if (!has_type(c, n, covered_of(&r[k])))
			stray = true;
		if (k > sg.lo && covered_of(&r[k]) < covered_of(&r[k - 1]))
			sg.sorted = false;
	}
	for (uint32_t k = 0; k < n->nrec;) {
		uint16_t type = r[k].type;
		uint32_t j = k;
		while (j < n->nrec && r[j].type == type)
			j++;
		if (type == RR_RRSIG) {
			if (stray) {
				struct snap_rrset *s = &rs[cnt++];
				memset(s, 0, sizeof *s);
				s->type = RR_RRSIG;
				s->rdata = o->data;	/* no records: the sigs are here */
				put_sigs(c, n, &sg, o, s, 0, true);
				s->ttl = s->sig_ttl;
			}
			k = j;
			continue;
		}
		struct snap_rrset *s = &rs[cnt++];
		memset(s, 0, sizeof *s);
		s->type = type;
		s->ttl = r[k].ttl;
		s->count = (uint16_t)(j - k);
		s->rdata = o->data;
		for (uint32_t m = k; m < j; m++)
			put_rec(o, &r[m]);
		s->rdata_len = o->data - s->rdata;
		put_resp(c, n, &resp, o, s);
		put_sigs(c, n, &sg, o, s, type, false);
		k = j;
	}
	return cnt;
}

/* --------------------------------------------------------------- NSEC3 */

/* The next NSEC3PARAM record after *at (NULL: the first) at the apex
 * with flags 0 (RFC 5155 §4) and SHA-1, or NULL. */
static const uint8_t *next_nsec3param(const struct snap_rrset *r,
				      const uint8_t *img, const uint8_t *at)
{
	const uint8_t *p = img + r->rdata;
	for (unsigned i = 0; i < r->count; i++) {
		size_t len = (size_t)p[0] << 8 | p[1];
		const uint8_t *rd = p + 2;
		p += 2 + len;
		if (at) {
			if (rd == at)
				at = NULL;
			continue;
		}
		if (len >= 5 && rd[0] == 1 && rd[1] == 0 &&
		    (size_t)5 + rd[4] <= len)
			return rd;
	}
	return NULL;
}

/* Does some NSEC3 record of the RRset use hash alg 1 with these
 * iterations and salt? */
static bool nsec3_matches(const struct snap_rrset *r, const uint8_t *img,
			  const uint8_t *param)
{
	const uint8_t *p = img + r->rdata;
	for (unsigned i = 0; i < r->count; i++) {
		size_t len = (size_t)p[0] << 8 | p[1];
		const uint8_t *rd = p + 2;
		if (len >= 5 && rd[0] == param[0] && rd[2] == param[2] &&
		    rd[3] == param[3] && rd[4] == param[4] &&
		    (size_t)5 + rd[4] <= len &&
		    memcmp(rd + 5, param + 5, rd[4]) == 0)
			return true;
		p += 2 + len;
	}
	return false;
}

static int nsec3_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

/* Fills the nsec3 table with the NSEC3 records made with param; returns
 * the number of entries. */
static uint32_t nsec3_table(uint8_t *img, const struct snap_header *h,
			    const uint8_t *param, struct snap_nsec3 *tab)
{
	const struct snap_node *nodes = (const struct snap_node *)(img + h->nodes);
	uint32_t nn = 0;
	bool sorted = true;
	for (uint32_t i = 0; i < h->nnodes; i++) {
		const struct snap_node *n = &nodes[i];
		const struct snap_block *bh = snap_node_head(img, n);
		if (!(bh->flags & SNAP_N_NSEC3) || bh->labels != h->origin_labels + 1)
			continue;
		const struct snap_rrset *r = snap_rrset_in(
			(const struct snap_rrset *)(img + snap_node_rrset_off(img, n)),
			bh->nrrsets, RR_NSEC3);
		if (!r || !nsec3_matches(r, img, param))
			continue;
		uint8_t raw[20];
		if (!snap_nsec3_label_hash(img + n->name, raw))
			continue;
		memcpy(tab[nn].hash, raw, 20);
		tab[nn].node = i;
		tab[nn].block = n->name - (uint32_t)sizeof(struct snap_block);
		tab[nn].wild = SNAP_NONE;
		if (nn && memcmp(tab[nn - 1].hash, raw, 20) >= 0)
			sorted = false;
		nn++;
	}
	/* Canonical name order is hash order (base32hex keeps the order,
	 * labels compare lowercased): sorting is only a fallback. */
	if (!sorted)
		qsort(tab, nn, sizeof *tab, nsec3_cmp);
	return nn;
}

/* The RFC 5155 §5 hash of name with the chain's parameters. */
static void param_hash(const uint8_t *param, const uint8_t *name, uint8_t hash[20])
{
	snap_nsec3_hash(name, param + 5, param[4], (unsigned)(param[2] << 8 | param[3]), hash);
}

/* Sets every node's nsec3 index (the entry whose hash is its own) and, for
 * the entries so matched, the entry matching or covering the wildcard
 * below the node (snap_nsec3.wild). */
static void nsec3_nodes(uint8_t *img, const struct snap_header *h,
			const uint8_t *param, struct snap_nsec3 *tab,
			uint32_t nn, uint32_t *cover)
{
	struct snap_node *nodes = (struct snap_node *)(img + h->nodes);
	for (uint32_t i = 0; i < h->nnodes; i++) {
		struct snap_node *n = &nodes[i];
		n->nsec3 = SNAP_NONE;
		if (cover)
			cover[i] = SNAP_NONE;
		if (nn == 0 || (snap_node_flags(img, n) & (SNAP_N_NSEC3 | SNAP_N_OCCLUDED)))
			continue;
		uint8_t hash[20], star[DNAME_MAX + 2];
		uint32_t idx;
		param_hash(param, img + n->name, hash);
		bool match = snap_nsec3_search(tab, nn, hash, &idx);
		if (cover)
			cover[i] = match ? SNAP_NONE : idx;
		if (!match)
			continue;
		n->nsec3 = idx;
		star[0] = 1;
		star[1] = '*';
		memcpy(star + 2, img + n->name, dname_len(img + n->name));
		param_hash(param, star, hash);
		snap_nsec3_search(tab, nn, hash, &tab[idx].wild);
	}
}

/*
 * The NSEC3 owners a referral's fragment names for DNSSEC answers to a cut
 * without DS, as dataplane/dnssec.c's dsec_nods chooses them (RFC 5155
 * §7.2.7): the cut's own NSEC3, or under opt-out the closest provable
 * encloser's and the one covering the next closer name, once each.
 * Leaves the fragment without FRAG_F_N3 where the engine would hash a name
 * with no NSEC3 of its own at the apex (no such proof is made ahead).
 */
static void nsec3_referral(uint8_t *img, const struct snap_header *h, const uint32_t *cover,
			   const struct snap_nsec3 *tab, uint32_t cut, uint8_t *frag)
{
	const struct snap_node *nodes = (const struct snap_node *)(img + h->nodes);
	uint32_t n3[2] = { SNAP_NONE, SNAP_NONE };
	/* the engine writes NSEC3 owners compressed against the apex in the
	 * question: not when the question's name right below the apex might
	 * be one itself */
	uint32_t top = cut;
	while (snap_node_labels(img, &nodes[top]) > h->origin_labels + 1)
		top = nodes[top].parent;
	if (snap_node_flags(img, &nodes[top]) & SNAP_N_NSEC3)
		return;
	if (nodes[cut].nsec3 != SNAP_NONE) {
		n3[0] = tab[nodes[cut].nsec3].block;
	} else {
		uint32_t ce = cut;
		while (nodes[ce].nsec3 == SNAP_NONE && nodes[ce].parent != SNAP_NONE)
			ce = nodes[ce].parent;
		if (nodes[ce].nsec3 == SNAP_NONE)
			return;
		/* the apex's: by its table entry (zones/frag.h) */
		n3[0] = ce == 0 ? nodes[ce].nsec3 << 2 | 1 : tab[nodes[ce].nsec3].block;
		unsigned cl = snap_node_labels(img, &nodes[ce]);
		uint32_t nc = cut;
		while (snap_node_labels(img, &nodes[nc]) > cl + 1)
			nc = nodes[nc].parent;
		/* nc has no NSEC3 of its own (else it would be the encloser):
		 * its cover was noted, unless the engine would have to hash */
		if (cover[nc] == SNAP_NONE)
			return;
		if (tab[cover[nc]].block != tab[nodes[ce].nsec3].block)
			n3[1] = tab[cover[nc]].block;
	}
	for (int k = 0; k < 2; k++)
		for (int b = 0; b < 4; b++)
			frag[12 + 4 * k + b] = (uint8_t)(n3[k] >> (8 * b));
	frag[10] |= FRAG_F_N3;
}

/* Every cut's referral fragment gets its proof of no DS, where it has no
 * DS RRset; cover[i]: the entry matching or covering node i's hash. */
static void nsec3_referrals(uint8_t *img, const struct snap_header *h, const uint32_t *cover,
			    const struct snap_nsec3 *tab)
{
	const struct snap_node *nodes = (const struct snap_node *)(img + h->nodes);
	for (uint32_t i = 0; i < h->nnodes; i++) {
		if (!(snap_node_flags(img, &nodes[i]) & SNAP_N_CUT))
			continue;
		const struct snap_rrset *rs = (const struct snap_rrset *)
			(img + snap_node_rrset_off(img, &nodes[i]));
		unsigned nr = snap_node_nrrsets(img, &nodes[i]);
		const struct snap_rrset *ns = snap_rrset_in(rs, nr, RR_NS);
		if (ns && ns->resp && !snap_rrset_in(rs, nr, RR_DS))
			nsec3_referral(img, h, cover, tab, i, img + ns->rdata + ns->rdata_len);
	}
}

/* ------------------------------------------------------------- compile */

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Zero bytes up to the next multiple of 4. */
static void pad4(struct zc_out *o)
{
	while (o->data & 3)
		o->img[o->data++] = 0;
}

static uint64_t align4(uint64_t n)
{
	return (n + 3) & ~(uint64_t)3;
}

/* Bytes of the block of name zn with cnt RRsets (snap_format.h): head,
 * name, padding, RRset entries, every record, pre-encoded answers,
 * padding. */
static uint64_t block_size(const struct zc *c, const struct zc_name *zn, uint32_t cnt)
{
	uint64_t n = align4(sizeof(struct snap_block) + zn->len + 1u) +
		     (uint64_t)cnt * sizeof(struct snap_rrset);
	for (uint32_t k = 0; k < zn->nrec; k++)
		n += 2u + c->recs[zn->rec + k].rdlen;
	if (zn->resp) {
		uint32_t self = (uint32_t)(zn - c->names), name;
		uint16_t len;
		for (const uint8_t *p = c->resp + zn->resp - 1; p < c->resp + c->resp_len;
		     p += RESP_HEAD + len) {
			memcpy(&name, p, 4);
			memcpy(&len, p + 6, 2);
			if (name != self)
				break;
			n += len;
		}
	}
	return align4(n);
}

/* The image being made: its header, and what one pass hands the next. */
struct zc_img {
	struct snap_header hdr;
	uint8_t *img;
	uint32_t apex;		/* name index of the apex */
	uint32_t mask;		/* of the image's owner hash table */
	uint64_t nsec3_off;	/* the NSEC3 table: offset, room for entries */
	uint64_t nsec3_max;
	uint64_t data;		/* bytes of the data area (the blocks) */
	uint64_t total;		/* bytes of the image */
	uint64_t nrrsets;
	uint32_t *order;	/* canonical position -> name index */
	uint32_t *pos;		/* name index -> canonical position */
	uint32_t *bval;		/* name index -> bucket value of its block */
	bool any_sig;
};

static int zc_oom(struct zc *c)
{
	return zc_fail(c, "out of memory");
}

/* The apex, and the check that every owner is at or below it; the name
 * hash table gets room for the empty non-terminals to come. */
static int find_apex(struct zc *c, struct zc_img *m)
{
	m->apex = SNAP_NONE;
	for (size_t i = 0; i < c->nnames; i++)
		if (dname_eq(c->names[i].name, c->origin))
			m->apex = (uint32_t)i;
	if (m->apex == SNAP_NONE)
		return zc_fail(c, "no records at the zone apex");
	if ((!c->tab || tab_full(c, c->nnames + 1)) &&
	    !tab_resize(c, c->nnames + c->nnames / 4 + 16))
		return zc_oom(c);
	for (size_t i = 0; i < c->nnames; i++)
		if (!dname_in(c->names[i].name, c->origin))
			return zc_fail(c, "owner outside the zone");
	return 0;
}

static int pass_ents(struct zc *c, struct zc_img *m)
{
	return add_ents(c, m->apex) < 0 ? zc_oom(c) : 0;
}

static int pass_resps(struct zc *c, struct zc_img *m)
{
	if (make_resps(c, m->apex) == 0)
		return 0;
	return zone_cancelled(c->zone) ? zc_fail(c, ZONE_ERR_CANCELLED) : zc_oom(c);
}

/* Canonical order (RFC 4034 §6.1): m->order and m->pos.  The sort keys
 * and the name hash table are done with after it: their memory goes back
 * before the image is made (a lower peak). */
static int canonical_order(struct zc *c, struct zc_img *m)
{
	size_t nn = c->nnames;
	if (nn >= SNAP_NONE / 2)
		return zc_fail(c, "too many names");
	c->koff = malloc((nn + 1) * sizeof *c->koff);
	if (!c->koff)
		return zc_oom(c);
	for (size_t i = 0; i < nn; i++) {
		if (zc_stop(c, i))
			return -1;
		/* offsets are 32-bit: an image this big would not fit anyway */
		if (c->keys_len > UINT32_MAX - 2 * DNAME_MAX)
			return zc_fail(c, "too many names");
		if (make_key(c, (uint32_t)i) < 0)
			return zc_oom(c);
	}
	c->koff[nn] = (uint32_t)c->keys_len;
	struct zc_item *items = big_malloc(nn * sizeof *items);
	struct zc_item *tmp = big_malloc(nn * sizeof *tmp);
	m->order = malloc(nn * sizeof *m->order);
	m->pos = malloc(nn * sizeof *m->pos);
	if (!items || !tmp || !m->order || !m->pos) {
		free(items);
		free(tmp);
		return zc_oom(c);
	}
	for (size_t i = 0; i < nn; i++)
		items[i] = (struct zc_item){ 0, (uint32_t)i, 0 };
	sort_names(c, items, tmp, nn, 0);
	for (size_t i = 0; i < nn; i++) {
		m->order[i] = items[i].idx;
		m->pos[items[i].idx] = (uint32_t)i;
	}
	free(items);
	free(tmp);
	free(c->keys);
	c->keys = NULL;
	c->keys_len = c->keys_cap = 0;
	free(c->koff);
	c->koff = NULL;
	free(c->tab);
	c->tab = NULL;
	c->tab_mask = 0;
	return 0;
}

/* The layout up to the data area: the nodes, the owner hash table and the
 * NSEC3 table. */
static int layout(struct zc *c, struct zc_img *m)
{
	size_t nn = c->nnames;
	m->mask = image_mask_for(nn);
	for (size_t i = 0; i < c->nrecs; i++)
		if (c->recs[i].type == RR_NSEC3)
			m->nsec3_max++;
	struct snap_header *hdr = &m->hdr;
	uint64_t off = sizeof *hdr;
	hdr->nodes = (uint32_t)off;
	hdr->node_cap = snap_node_room(nn);
	off = align8(off + (uint64_t)hdr->node_cap * sizeof(struct snap_node));
	hdr->buckets = (uint32_t)off;
	off += ((uint64_t)m->mask + 1) * 8;
	hdr->nsec3 = (uint32_t)off;
	m->nsec3_off = off;
	off = align8(off + m->nsec3_max * sizeof(struct snap_nsec3));
	if (off > UINT32_MAX)
		return zc_fail(c, "image exceeds the 4 GiB limit of 32-bit offsets");
	hdr->data = (uint32_t)off;
	return 0;
}

/* The guards for the 16-bit counts of the format at name zn, with cnt
 * RRsets (snap_block.nrrsets; see limits.h), and for ZONE_RRSET_MAX,
 * which zone_finish checks with FILE:LINE: records of one type (RRSIGs
 * together, as their count per covered type is no larger).  0, or -1
 * with the error set. */
static int check_rrsets(struct zc *c, const struct zc_name *zn, uint32_t cnt)
{
	const struct zc_rec *r = c->recs + zn->rec;
	if (cnt > UINT16_MAX) {
		char t[DNAME_TEXT_MAX];
		dname_to_text(t, sizeof t, zn->name);
		return zc_fail(c, "%s: more than 65535 RRsets", t);
	}
	for (uint32_t k = 0, e; k < zn->nrec; k = e) {
		for (e = k + 1; e < zn->nrec && r[e].type == r[k].type; e++)
			;
		if (e - k > ZONE_RRSET_MAX) {
			char msg[512];
			zone_limit_rrset_msg(msg, sizeof msg, zn->name, r[k].type, e - k);
			return zc_fail(c, "%s", msg);
		}
	}
	return 0;
}

/* Sizes, in the order the blocks are written (empty non-terminals first,
 * see write_blocks), and so every block's offset: its bucket value goes in
 * m->bval, so that the nodes and the hash table can be made before the
 * blocks, leaving the block pass without random writes. */
static int block_offsets(struct zc *c, struct zc_img *m)
{
	size_t nn = c->nnames, no = c->nowners;
	uint64_t off = m->hdr.data;
	m->bval = big_malloc(nn * sizeof *m->bval);
	if (!m->bval)
		return zc_oom(c);
	for (size_t x = 0; x < nn; x++) {
		if (zc_stop(c, x))
			return -1;
		size_t i = x < nn - no ? no + x : x - (nn - no);
		const struct zc_name *zn = &c->names[i];
		uint32_t cnt = count_rrsets(c, zn);
		if (zn->nrec > ZONE_RRSET_MAX && check_rrsets(c, zn, cnt) < 0)
			return -1;
		m->nrrsets += cnt;
		uint64_t at = off + m->data, size = block_size(c, zn, cnt);
		if (at + size > UINT32_MAX)
			return zc_fail(c, "image exceeds the 4 GiB limit of 32-bit offsets");
		m->bval[i] = bucket_val((uint32_t)at, (uint32_t)(at + size));
		m->data += size;
	}
	m->total = align8(off + m->data);
	if (m->total > UINT32_MAX)
		return zc_fail(c, "image of %llu bytes exceeds the 4 GiB limit of 32-bit "
			       "offsets", (unsigned long long)m->total);
	m->hdr.data_size = (uint32_t)m->data;
	return 0;
}

/* Every byte is written by the passes after this one except the hash
 * table's empty slots and the alignment gaps: zero those only (a full
 * memset of hundreds of MB would double the page clearing the kernel does
 * anyway). */
static int image_alloc(struct zc *c, struct zc_img *m)
{
	const struct snap_header *hdr = &m->hdr;
	size_t nodes_end = hdr->nodes + c->nnames * sizeof(struct snap_node);
	uint8_t *img = m->img = big_aligned(m->total);
	if (!img)
		return zc_oom(c);
	memset(img, 0, hdr->nodes);
	memset(img + nodes_end, 0, hdr->buckets - nodes_end);
	memset(img + hdr->buckets, 0, ((size_t)m->mask + 1) * 8);
	memset(img + hdr->nsec3, 0, hdr->data - hdr->nsec3);
	memset(img + hdr->data + m->data, 0, m->total - hdr->data - m->data);
	return 0;
}

/* The nodes in canonical order and the owner hash table, with every fact
 * that needs the parent's (parents sort first, so theirs are final) but
 * not the blocks: one pass over the small name entries. */
static int make_nodes(struct zc *c, struct zc_img *m)
{
	size_t nn = c->nnames;
	const uint32_t *order = m->order, *pos = m->pos, *bval = m->bval;
	struct snap_node *nodes = (struct snap_node *)(m->img + m->hdr.nodes);
	if (pos[m->apex] != 0)
		return zc_fail(c, "the apex does not sort first");
	enum { AHEAD = 16 };
	uint64_t *b = (uint64_t *)(m->img + m->hdr.buckets);
	for (size_t k = 0; k < nn; k++) {
		if (zc_stop(c, k))
			return -1;
		/* the name entries and hash slots are random: fetched ahead
		 * (the entry twice as far, as the slot needs its hash) */
		if (k + 2 * AHEAD < nn) {
			__builtin_prefetch(&c->names[order[k + 2 * AHEAD]]);
			__builtin_prefetch(&bval[order[k + 2 * AHEAD]]);
		}
		if (k + AHEAD < nn)
			__builtin_prefetch(&b[c->names[order[k + AHEAD]].hash & m->mask], 1);
		uint32_t i = order[k];
		struct zc_name *zn = &c->names[i];
		struct snap_node *n = &nodes[k];
		n->name = (bval[i] & ~3u) + (uint32_t)sizeof(struct snap_block);
		tab_put(b, m->mask, zn->hash, bval[i] - 1);
		uint32_t f = zn->tflags;
		if (zn->nrec == 0)
			f |= SNAP_N_ENT;
		if (dname_is_wildcard(zn->name))
			f |= SNAP_N_WILDCARD;
		n->parent = zn->parent == SNAP_NONE ? SNAP_NONE : pos[zn->parent];
		n->cut = SNAP_NONE;
		n->nsec3 = SNAP_NONE;
		if (k == 0) {
			/* an NSEC3 record at the apex makes no hashed owner
			 * (RFC 5155 §3: those are one label below it): the
			 * engine takes a hashed owner's parent, the apex has
			 * none */
			f |= SNAP_N_APEX;
			f &= ~(uint32_t)(SNAP_N_CUT | SNAP_N_NSEC3);
		} else {
			/* the parent's flags are final: it sorts first */
			struct zc_name *p = &c->names[zn->parent];
			if (p->tflags & (SNAP_N_CUT | SNAP_N_OCCLUDED)) {
				f |= SNAP_N_OCCLUDED;
				f &= ~(uint32_t)SNAP_N_CUT;
				n->cut = nodes[n->parent].cut;
			} else if (f & SNAP_N_CUT) {
				n->cut = (uint32_t)k;
			}
			if (f & SNAP_N_WILDCARD)
				p->tflags |= SNAP_N_WILD_CHILD;
		}
		/* the node's flags, for its block head (children sort later:
		 * their WILD_CHILD comes after) */
		zn->tflags = (uint16_t)f;
	}
	free(m->order);
	m->order = NULL;
	free(m->bval);
	m->bval = NULL;
	return 0;
}

/* The blocks, in the order of the names (the empty non-terminals, then
 * the zone's): the zone's arrays are read front to back, the image written
 * front to back, and what is read is given back as it goes, so that the
 * source and the image are not both whole in memory at once. */
static int write_blocks(struct zc *c, struct zc_img *m)
{
	size_t nn = c->nnames, no = c->nowners;
	uint8_t *img = m->img;
	struct zc_out o = { img, m->hdr.data };
	struct zc_release rel_names, rel_recs;
	zc_release_init(&rel_names, c->names, nn * sizeof *c->names);
	zc_release_init(&rel_recs, c->recs, c->nrecs * sizeof *c->recs);
	uint32_t nr = 0;
	for (size_t x = 0; x < nn; x++) {
		if (zc_stop(c, x))
			return -1;
		/* the empty non-terminals first: their names are suffixes of
		 * owners' names, which are given back as the owners are done */
		size_t i = x < nn - no ? no + x : x - (nn - no);
		const struct zc_name *zn = &c->names[i];
		uint32_t k = m->pos[i];
		uint32_t blk = o.data;	/* the head goes in once the RRsets are counted */
		o.data += sizeof(struct snap_block);
		put_bytes(&o, zn->name, zn->len + 1u);
		pad4(&o);
		struct snap_rrset *rrsets = (struct snap_rrset *)(img + o.data);
		o.data += count_rrsets(c, zn) * (uint32_t)sizeof(struct snap_rrset);
		uint32_t cnt = put_rrsets(c, zn, &o, rrsets);
		pad4(&o);
		assert(o.data - blk == block_size(c, zn, cnt));
		for (uint32_t j = 0; j < cnt; j++)
			if (rrsets[j].nsigs)
				m->any_sig = true;
		nr += cnt;
		struct snap_block bh = { k, zn->tflags, (uint16_t)cnt, zn->len, zn->labels };
		memcpy(img + blk, &bh, sizeof bh);
		if (i < no) {	/* done with zn: last */
			if (c->shed)
				zone_release_names(c->shed, zn->name);
			zc_release(&rel_recs, c->recs + zn->rec + zn->nrec);
			zc_release(&rel_names, zn + 1);
		}
	}
	assert(o.data == m->hdr.data + m->data && nr == m->nrrsets);
	m->hdr.nrrsets = nr;
	free(c->resp);
	c->resp = NULL;
	c->resp_len = c->resp_cap = 0;
	return 0;
}

/* The header's facts from the apex (node 0): its SOA (serial, negative
 * TTL), the DNSSEC flags, and the fields that describe the image. */
static int apex_facts(struct zc *c, struct zc_img *m)
{
	const uint8_t *img = m->img;
	struct snap_header *hdr = &m->hdr;
	const struct snap_node *an = (const struct snap_node *)(img + hdr->nodes);
	const struct snap_block *ah = snap_node_head(img, an);
	uint32_t aroff = snap_node_rrset_off(img, an);
	const struct snap_rrset *arr = (const struct snap_rrset *)(img + aroff);
	hdr->soa = SNAP_NONE;
	for (unsigned j = 0; j < ah->nrrsets; j++) {
		const struct snap_rrset *r = &arr[j];
		if (r->type == RR_SOA)
			hdr->soa = aroff + j * (uint32_t)sizeof *r;
		else if (r->type == RR_DNSKEY)
			hdr->flags |= SNAP_F_SIGNED;
		else if (r->type == RR_NSEC)
			hdr->flags |= SNAP_F_NSEC;
	}
	if (hdr->soa == SNAP_NONE)
		return zc_fail(c, "no SOA at the apex");
	const struct snap_rrset *soa = (const struct snap_rrset *)(img + hdr->soa);
	const uint8_t *srd = img + soa->rdata + 2;
	size_t slen = (size_t)img[soa->rdata] << 8 | img[soa->rdata + 1];
	if (slen < 22)
		return zc_fail(c, "SOA rdata too short");
	hdr->serial = (uint32_t)srd[slen - 20] << 24 | (uint32_t)srd[slen - 19] << 16 |
		      (uint32_t)srd[slen - 18] << 8 | srd[slen - 17];
	uint32_t minimum = (uint32_t)srd[slen - 4] << 24 | (uint32_t)srd[slen - 3] << 16 |
			   (uint32_t)srd[slen - 2] << 8 | srd[slen - 1];
	hdr->neg_ttl = soa->ttl < minimum ? soa->ttl : minimum;
	if (m->any_sig)
		hdr->flags |= SNAP_F_SIGNED;

	hdr->magic = SNAP_MAGIC;
	hdr->version = SNAP_VERSION;
	hdr->header_size = sizeof *hdr;
	hdr->image_size = m->total;
	hdr->origin = an->name;
	hdr->origin_labels = ah->labels;
	hdr->apex = 0;
	hdr->nnodes = (uint32_t)c->nnames;
	hdr->nsorted = hdr->nnodes;
	hdr->hash_mask = m->mask;
	return 0;
}

/* NSEC3: the first NSEC3PARAM (flags 0, SHA-1, canonical order) that has
 * a chain of NSEC3 records made with it. */
static int nsec3_chain(struct zc *c, struct zc_img *m)
{
	(void)c;
	uint8_t *img = m->img;
	struct snap_header *hdr = &m->hdr;
	const struct snap_node *an = (const struct snap_node *)(img + hdr->nodes);
	const struct snap_block *ah = snap_node_head(img, an);
	const struct snap_rrset *arr =
		(const struct snap_rrset *)(img + snap_node_rrset_off(img, an));
	const struct snap_rrset *n3p = NULL;
	for (unsigned j = 0; j < ah->nrrsets; j++)
		if (arr[j].type == RR_NSEC3PARAM)
			n3p = &arr[j];
	const uint8_t *param = NULL;
	struct snap_nsec3 *n3t = (struct snap_nsec3 *)(img + m->nsec3_off);
	while (n3p && (param = next_nsec3param(n3p, img, param)) != NULL) {
		hdr->nnsec3 = nsec3_table(img, hdr, param, n3t);
		if (hdr->nnsec3)
			break;
	}
	if (param && hdr->nnsec3) {
		hdr->flags |= SNAP_F_NSEC3;
		hdr->nsec3_alg = param[0];
		hdr->nsec3_flags = param[1];
		hdr->nsec3_iter = (uint16_t)(param[2] << 8 | param[3]);
		hdr->nsec3_salt_len = param[4];
		memcpy(hdr->nsec3_salt, param + 5, param[4]);
		hdr->nsec3_hash_len = 20;
		/* without memory for the covers, no referral gets a proof:
		 * the engine's general path makes them */
		uint32_t *cover = malloc((size_t)hdr->nnodes * sizeof *cover);
		nsec3_nodes(img, hdr, param, n3t, hdr->nnsec3, cover);
		if (cover)
			nsec3_referrals(img, hdr, cover, n3t);
		free(cover);
	} else {
		hdr->nnsec3 = 0;
		memset(n3t, 0, m->nsec3_max * sizeof *n3t);
	}
	return 0;
}

/* The header goes in, with the checksums of the image and of itself. */
static int seal(struct zc *c, struct zc_img *m)
{
	(void)c;
	struct snap_header *hdr = &m->hdr;
	hdr->checksum = snap_checksum(m->img + sizeof *hdr, m->total - sizeof *hdr);
	memcpy(m->img, hdr, sizeof *hdr);
	hdr->header_checksum = snap_checksum(m->img, sizeof *hdr);
	memcpy(m->img, hdr, sizeof *hdr);
	return 0;
}

/* The compiler's passes, in order; each returns 0 or fails with zc_fail. */
static int (*const zc_passes[])(struct zc *, struct zc_img *) = {
	find_apex, pass_ents, pass_resps, canonical_order, layout, block_offsets,
	image_alloc, make_nodes, write_blocks, apex_facts, nsec3_chain, seal,
};

static int zc_build(struct zc *c, void **image, size_t *size)
{
	struct zc_img m = { .apex = SNAP_NONE };
	int ret = 0;
	for (size_t p = 0; ret == 0 && p < sizeof zc_passes / sizeof *zc_passes; p++)
		ret = zc_stop(c, 0) ? -1 : zc_passes[p](c, &m);
	if (ret == 0) {
		*image = m.img;
		*size = m.total;
		m.img = NULL;
	}
	free(m.img);
	free(m.order);
	free(m.pos);
	free(m.bval);
	return ret;
}

/* shed: z itself, when its index goes once the records are collected */
static int compile(const struct zone *z, struct zone *shed, void **image, size_t *size,
		   char *err, size_t errcap)
{
	struct zc c = { .zone = z, .err = err, .errcap = errcap };
	*image = NULL;
	*size = 0;
	if (errcap)
		err[0] = 0;
	c.origin = zone_origin(z);
	c.olabels = dname_labels(c.origin);
	struct zone_stats st;
	zone_get_stats(z, &st);
	if (!grow((void **)&c.names, &c.names_cap, st.names + st.names / 8 + 16,
		  sizeof *c.names) ||
	    !grow((void **)&c.recs, &c.recs_cap, st.records + 1, sizeof *c.recs) ||
	    !grow((void **)&c.keys, &c.keys_cap,
		  (st.names + 16) * 24 + 2 * DNAME_MAX, 1)) {
		free(c.names);
		free(c.recs);
		free(c.keys);
		return zc_fail(&c, "out of memory");
	}
	int ret;
	if (zone_foreach(z, collect_cb, &c) != 0)
		ret = zc_fail(&c, "%s", c.oom ? "out of memory"
					: zone_cancelled(z) ? ZONE_ERR_CANCELLED
					: "zone not finished");
	else {
		if (shed) {
			/* the zone's name table, if it indexes exactly the
			 * names collected (in the same order): no second one
			 * to build */
			uint32_t mask;
			size_t count;
			uint64_t *t = zone_take_table(shed, &mask, &count);
			if (t && count == c.nnames) {
				c.tab = t;
				c.tab_mask = mask;
			} else {
				free(t);
			}
			zone_shed_index(shed);
			c.shed = shed;
		}
		ret = zc_build(&c, image, size);
	}
	free(c.names);
	free(c.recs);
	free(c.tab);
	free(c.keys);
	free(c.koff);
	free(c.resp);
	free(c.cand);
	return ret;
}

int zc_compile(const struct zone *z, void **image, size_t *size, char *err,
	       size_t errcap)
{
	return compile(z, NULL, image, size, err, errcap);
}

int zc_compile_shed(struct zone *z, void **image, size_t *size, char *err, size_t errcap)
{
	return compile(z, z, image, size, err, errcap);
}
