/*
 * zone.c - collecting, deduplicating and checking one zone's records.
 *
 * Memory is what limits zone size, so records are kept compact: owner names
 * are interned once in a hash table, rdata lives in a chunked arena (no
 * reallocation copies), and a record is a 24-byte entry.  Grouping by owner
 * is a counting sort on the interned name ids (linear); only the handful of
 * records at each name are sorted by type and rdata.
 */
#include "zones/zone.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "zones/dname.h"
#include "zones/limits.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap_format.h"

#define ARENA_SHIFT 22			/* 4 MiB chunks */
#define ARENA_CHUNK (1u << ARENA_SHIFT)

struct arena {
	uint8_t **chunks;
	uint32_t nchunks, cap;
	uint32_t used;			/* bytes used in the last chunk */
	uint32_t last_cap;		/* bytes allocated for the last chunk */
};

/* Large, long-lived arrays ask for transparent huge pages: fewer page
 * faults and TLB misses while loading zones of millions of records. */
static void big_hint(void *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
	if (n >= (2u << 20) && e > a)
		madvise((void *)a, e - a, MADV_HUGEPAGE);
}

/*
 * Reference = chunk << ARENA_SHIFT | offset.  The first chunk starts small
 * and grows by realloc up to ARENA_CHUNK (references are offsets, so they
 * survive the move); later chunks are allocated whole.  Pointers from
 * arena_get are valid until the next arena_put.
 */
static int64_t arena_put(struct arena *a, const void *p, size_t n)
{
	if (a->nchunks == 1 && a->used + n > a->last_cap &&
	    a->last_cap < ARENA_CHUNK) {
		uint32_t nc = a->last_cap * 4 < ARENA_CHUNK ? a->last_cap * 4 : ARENA_CHUNK;
		uint8_t *c = realloc(a->chunks[0], nc);
		if (!c)
			return -1;
		a->chunks[0] = c;
		a->last_cap = nc;
	}
	if (a->nchunks == 0 || a->used + n > a->last_cap) {
		if (a->nchunks == (1u << (32 - ARENA_SHIFT)))
			return -1;
		if (a->nchunks == a->cap) {
			uint32_t nc = a->cap ? a->cap * 2 : 16;
			uint8_t **c = realloc(a->chunks, nc * sizeof *c);
			if (!c)
				return -1;
			a->chunks = c;
			a->cap = nc;
		}
		uint32_t size = a->nchunks ? ARENA_CHUNK : 1u << 16;
		a->chunks[a->nchunks] = a->nchunks ? aligned_alloc(2u << 20, size)
						   : malloc(size);
		if (!a->chunks[a->nchunks])
			return -1;
		if (a->nchunks)
			big_hint(a->chunks[a->nchunks], size);
		a->nchunks++;
		a->used = 0;
		a->last_cap = size;
	}
	uint32_t ref = (a->nchunks - 1) << ARENA_SHIFT | a->used;
	memcpy(a->chunks[a->nchunks - 1] + a->used, p, n);
	a->used += (uint32_t)n;
	return ref;
}

static inline const uint8_t *arena_get(const struct arena *a, uint32_t ref)
{
	return a->chunks[ref >> ARENA_SHIFT] + (ref & (ARENA_CHUNK - 1));
}

static void arena_fini(struct arena *a)
{
	for (uint32_t k = 0; k < a->nchunks; k++)
		free(a->chunks[k]);
	free(a->chunks);
}

/* Flags of an owner name, from the types found there. */
enum {
	NF_SOA = 1 << 0, NF_NS = 1 << 1, NF_CNAME = 1 << 2, NF_DNAME = 1 << 3,
	NF_ADDR = 1 << 4,	/* A or AAAA */
	NF_NONCNAME = 1 << 5,	/* a type that may not sit beside a CNAME */
};

struct zname {
	uint32_t ref;		/* name in the names arena */
	uint32_t hash;
	uint32_t first;		/* index into perm after grouping */
	uint32_t count;		/* records at this name */
	uint32_t flags;
};

struct zrr {
	uint32_t name;
	uint32_t rd;		/* rdata in the rdata arena */
	uint32_t ttl;
	uint32_t line;
	uint16_t type;
	uint16_t rdlen;
	uint16_t file;
	uint16_t dropped;	/* duplicate, left out */
};

struct zone {
	uint8_t origin[DNAME_MAX];
	struct diag *d;
	struct arena names_a, rdata_a;
	struct zname *names;
	uint32_t nnames, names_cap;
	uint64_t *table;	/* open addressing: hash << 32 | (index + 1), 0 = empty */
	uint32_t table_mask;
	struct zrr *rrs;
	size_t nrrs, rrs_cap;
	uint32_t *perm;		/* record indices grouped by name */
	char **files;
	uint32_t nfiles;
	unsigned last_seq;	/* zf_record.file_seq of the last record */
	int last_file;
	int64_t last_name;	/* owner of the last record: files group by owner */
	bool finished;
	const volatile sig_atomic_t *cancel;	/* zone_set_cancel */
	uint32_t names_given_back;	/* zone_release_names: arena chunks freed */
	struct zone_stats st;
};

struct zone *zone_new(const uint8_t *origin, struct diag *d)
{
	struct zone *z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	memcpy(z->origin, origin, dname_len(origin));
	z->d = d;
	z->last_file = -1;
	z->last_name = -1;
	return z;
}

void zone_free(struct zone *z)
{
	if (!z)
		return;
	arena_fini(&z->names_a);
	arena_fini(&z->rdata_a);
	free(z->names);
	free(z->table);
	free(z->rrs);
	free(z->perm);
	for (uint32_t k = 0; k < z->nfiles; k++)
		free(z->files[k]);
	free(z->files);
	free(z);
}

static const uint8_t *zname_wire(const struct zone *z, uint32_t id)
{
	return arena_get(&z->names_a, z->names[id].ref);
}

/* Index of name in the table, or -1 when absent with *slot the empty slot
 * where it would go. */
static int64_t table_probe(const struct zone *z, const uint8_t *name, uint32_t hash,
			   uint32_t *slot)
{
	uint32_t h = hash & z->table_mask;
	uint64_t e;
	while ((e = z->table[h])) {
		uint32_t id = (uint32_t)e - 1;
		if ((uint32_t)(e >> 32) == hash && dname_eq(zname_wire(z, id), name))
			return id;
		h = (h + 1) & z->table_mask;
	}
	*slot = h;
	return -1;
}

/* Index of name, or -1 when absent (after dedupe_names). */
static int64_t name_find(const struct zone *z, const uint8_t *name, uint32_t hash)
{
	assert(z->table);	/* only between dedupe_names and the end of zone_finish */
	uint32_t slot;
	return table_probe(z, name, hash, &slot);
}

void zone_expect(struct zone *z, uint64_t bytes)
{
	/* a record line takes at least about 12 bytes ("a A 192.0.2.1") */
	uint64_t n = bytes / 12 + 4096;
	if (n > UINT32_MAX / 2 || z->nrrs || z->nnames)
		return;
	struct zrr *r = malloc(n * sizeof *r);
	struct zname *nm = malloc(n * sizeof *nm);
	if (!r || !nm) {
		free(r);
		free(nm);
		return;	/* growing as records come still works */
	}
	free(z->rrs);
	free(z->names);
	z->rrs = r;
	z->rrs_cap = n;
	z->names = nm;
	z->names_cap = (uint32_t)n;
	big_hint(z->rrs, n * sizeof *r);
	big_hint(z->names, n * sizeof *nm);
}

/* A new name entry for an owner, without looking it up: zone files group
 * records by owner, so nearly every owner that differs from the previous
 * record's is new.  The rare repeats are merged by dedupe_names once the
 * whole zone is in; a lookup per owner here would be a cache miss into a
 * table of millions of names for every one of them. */
static int64_t name_append(struct zone *z, const uint8_t *name)
{
	size_t len;
	uint32_t hash = (uint32_t)dname_hash_len(name, &len);
	if (z->nnames == UINT32_MAX - 1)
		return -1;
	if (z->nnames == z->names_cap) {
		uint32_t nc = z->names_cap ? z->names_cap * 2 : 1024;
		struct zname *nn = realloc(z->names, (size_t)nc * sizeof *nn);
		if (!nn)
			return -1;
		z->names = nn;
		z->names_cap = nc;
		big_hint(z->names, (size_t)nc * sizeof *nn);
	}
	int64_t ref = arena_put(&z->names_a, name, len);
	if (ref < 0)
		return -1;
	z->names[z->nnames] = (struct zname){ .ref = (uint32_t)ref, .hash = hash };
	return z->nnames++;
}

#define DEDUPE_BATCH 16

/* Merges the name entries that repeat an earlier one (an owner whose
 * records were not all together), keeping first-appearance order, points
 * every record at the surviving entry, and builds the lookup table.  The
 * table is filled DEDUPE_BATCH names at a time, their home slots
 * prefetched first, so the cache misses overlap.  Returns -1 when out of
 * memory, 1 when the load was cancelled (zone_finish reports it). */
static int dedupe_names(struct zone *z)
{
	uint32_t n = z->nnames;
	uint64_t slots = 4096;
	while (slots < (uint64_t)n + n / 2 + 2)	/* load <= 2/3 */
		slots *= 2;
	uint64_t *t = calloc(slots, sizeof *t);
	uint32_t *remap = malloc((n ? n : 1) * sizeof *remap);
	if (!t || !remap) {
		free(t);
		free(remap);
		return -1;
	}
	big_hint(t, slots * sizeof *t);
	free(z->table);
	z->table = t;
	z->table_mask = (uint32_t)(slots - 1);
	uint32_t kept = 0;
	bool merged = false;
	for (uint32_t base = 0; base < n; base += DEDUPE_BATCH) {
		if (base % 4096 == 0 && zone_cancelled(z)) {
			free(remap);	/* the zone is only freed after this */
			return 1;
		}
		uint32_t end = n - base < DEDUPE_BATCH ? n : base + DEDUPE_BATCH;
		for (uint32_t i = base; i < end; i++)
			__builtin_prefetch(&t[z->names[i].hash & z->table_mask], 1);
		for (uint32_t i = base; i < end; i++) {
			struct zname nm = z->names[i];
			uint32_t h;
			int64_t dup = table_probe(z, arena_get(&z->names_a, nm.ref), nm.hash, &h);
			if (dup >= 0) {
				remap[i] = (uint32_t)dup;
				z->names[dup].count += nm.count;
				merged = true;
				continue;
			}
			/* kept <= i: entries not yet read are never overwritten */
			z->names[kept] = nm;
			t[h] = (uint64_t)nm.hash << 32 | (kept + 1);
			remap[i] = kept++;
		}
	}
	z->nnames = kept;
	if (merged)
		for (size_t k = 0; k < z->nrrs; k++)
			z->rrs[k].name = remap[z->rrs[k].name];
	free(remap);
	return 0;
}

static int file_id(struct zone *z, const char *file)
{
	if (z->nfiles && strcmp(z->files[z->nfiles - 1], file) == 0)
		return (int)z->nfiles - 1;
	for (uint32_t k = 0; k < z->nfiles; k++)
		if (strcmp(z->files[k], file) == 0)
			return (int)k;
	if (z->nfiles == UINT16_MAX)
		return -1;
	char **nf = realloc(z->files, (z->nfiles + 1) * sizeof *nf);
	if (!nf)
		return -1;
	z->files = nf;
	if (!(z->files[z->nfiles] = strdup(file)))
		return -1;
	return (int)z->nfiles++;
}

int zone_add(struct zone *z, const struct zf_record *rr)
{
	char tn[DNAME_TEXT_MAX];

	if (!dname_in(rr->owner, z->origin)) {
		char on[DNAME_TEXT_MAX];
		dname_to_text(tn, sizeof tn, rr->owner);
		dname_to_text(on, sizeof on, z->origin);
		diag_report(z->d, DIAG_ERROR, rr->file, rr->line,
			    "owner %s is outside the zone %s", tn, on);
		return -1;
	}
	/* RFC 2181 §8: TTLs are 31-bit; a larger one is a broken zone. */
	if (rr->ttl > INT32_MAX) {
		diag_report(z->d, DIAG_ERROR, rr->file, rr->line,
			    "TTL %u above the maximum 2147483647 (RFC 2181 §8)", rr->ttl);
		return -1;
	}
	int f = z->last_file;
	if (f < 0 || rr->file_seq != z->last_seq) {
		f = z->last_file = file_id(z, rr->file);
		z->last_seq = rr->file_seq;
	}
	int64_t id = z->last_name;
	if (id < 0 || !dname_eq(zname_wire(z, (uint32_t)id), rr->owner))
		id = z->last_name = name_append(z, rr->owner);
	int64_t rd = arena_put(&z->rdata_a, rr->rdata, rr->rdlen);
	if (f < 0 || id < 0 || rd < 0 || z->nrrs >= UINT32_MAX) {
		diag_report(z->d, DIAG_ERROR, rr->file, rr->line,
			    "out of memory (or more than 2^32 records) loading the zone");
		return -1;
	}
	if (z->nrrs == z->rrs_cap) {
		size_t nc = z->rrs_cap ? z->rrs_cap * 2 : 4096;
		struct zrr *n = realloc(z->rrs, nc * sizeof *n);
		if (!n) {
			diag_report(z->d, DIAG_ERROR, rr->file, rr->line,
				    "out of memory loading the zone");
			return -1;
		}
		z->rrs = n;
		z->rrs_cap = nc;
		big_hint(z->rrs, nc * sizeof *n);
	}
	z->rrs[z->nrrs++] = (struct zrr){
		.name = (uint32_t)id, .rd = (uint32_t)rd, .ttl = rr->ttl,
		.line = rr->line, .type = rr->type, .rdlen = rr->rdlen,
		.file = (uint16_t)f,
	};
	z->names[id].count++;
	return 0;
}

void zone_set_cancel(struct zone *z, const volatile sig_atomic_t *flag)
{
	z->cancel = flag;
}

bool zone_cancelled(const struct zone *z)
{
	return z->cancel && *z->cancel;
}

int zone_add_cb(void *ud, const struct zf_record *rr)
{
	zone_add(ud, rr);
	/* zone_finish reports the stop */
	return zone_cancelled(ud);
}

/* Order of records at one name: type, then canonical rdata. */
static int rr_cmp(const struct zone *z, uint32_t ia, uint32_t ib)
{
	const struct zrr *a = &z->rrs[ia], *b = &z->rrs[ib];
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return rdata_canon_cmp(a->type, arena_get(&z->rdata_a, a->rd), a->rdlen,
			       arena_get(&z->rdata_a, b->rd), b->rdlen);
}

static int rr_qsort_cmp(const void *a, const void *b, void *ud)
{
	return rr_cmp(ud, *(const uint32_t *)a, *(const uint32_t *)b);
}

static void sort_group(struct zone *z, uint32_t *v, uint32_t n)
{
	if (n > 24) {
		qsort_r(v, n, sizeof *v, rr_qsort_cmp, z);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		uint32_t x = v[i], j = i;
		while (j > 0 && rr_cmp(z, v[j - 1], x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

#define ZERR(rr, ...) diag_report(z->d, DIAG_ERROR, z->files[(rr)->file], (rr)->line, __VA_ARGS__)
#define ZWARN(rr, ...) diag_report(z->d, DIAG_WARNING, z->files[(rr)->file], (rr)->line, __VA_ARGS__)

static const char *type_str(uint16_t type, char buf[16])
{
	rrtype_to_text(type, buf, 16);
	return buf;
}

static uint32_t type_flag(uint16_t type)
{
	switch (type) {
	case RR_SOA: return NF_SOA | NF_NONCNAME;
	case RR_NS: return NF_NS | NF_NONCNAME;
	case RR_CNAME: return NF_CNAME;
	case RR_DNAME: return NF_DNAME | NF_NONCNAME;
	case RR_A: case RR_AAAA: return NF_ADDR | NF_NONCNAME;
	default: return rrtype_cname_ok(type) ? 0 : NF_NONCNAME;
	}
}

/* The type an RRSIG covers (0 when its rdata is too short to say). */
static uint16_t rrsig_covered(const struct zone *z, const struct zrr *r)
{
	const uint8_t *rd = arena_get(&z->rdata_a, r->rd);
	return r->rdlen >= 2 ? (uint16_t)(rd[0] << 8 | rd[1]) : 0;
}

/* Drops duplicates and evens out TTLs inside each RRset of one name. */
static void finish_name(struct zone *z, uint32_t id)
{
	struct zname *nm = &z->names[id];
	uint32_t *v = z->perm + nm->first;
	char owner[DNAME_TEXT_MAX], tb[16];

	sort_group(z, v, nm->count);
	for (uint32_t i = 0; i < nm->count;) {
		uint32_t j = i + 1;
		struct zrr *first = &z->rrs[v[i]];
		for (; j < nm->count && z->rrs[v[j]].type == first->type; j++) {
			struct zrr *r = &z->rrs[v[j]];
			if (rr_cmp(z, v[j - 1], v[j]) == 0) {
				/* RFC 2181 §5: an RRset holds no duplicates */
				r->dropped = 1;
				z->st.duplicates++;
				dname_to_text(owner, sizeof owner, zname_wire(z, id));
				ZWARN(r, "duplicate %s record at %s dropped", type_str(r->type, tb),
				      owner);
			}
		}
		/* RFC 2181 §5.2: one TTL per RRset; use the lowest.  RRSIGs
		 * take the TTL of the RRset they cover (RFC 4034 §3), so they
		 * are evened out per covered type (canonical order groups
		 * them by it: it is the first rdata field). */
		for (uint32_t g = i; g < j;) {
			uint32_t e = g + 1;
			if (first->type == RR_RRSIG)
				while (e < j && rrsig_covered(z, &z->rrs[v[e]]) ==
						rrsig_covered(z, &z->rrs[v[g]]))
					e++;
			else
				e = j;
			uint32_t minttl = UINT32_MAX;
			bool ttl_differs = false;
			for (uint32_t k = g; k < e; k++) {
				const struct zrr *r = &z->rrs[v[k]];
				if (r->dropped)
					continue;
				if (minttl != UINT32_MAX && r->ttl != minttl)
					ttl_differs = true;
				if (r->ttl < minttl)
					minttl = r->ttl;
			}
			if (ttl_differs) {
				dname_to_text(owner, sizeof owner, zname_wire(z, id));
				ZWARN(&z->rrs[v[g]], "%s %s RRset has records with different TTLs: using the lowest, %u (RFC 2181 §5.2)",
				      owner, type_str(first->type, tb), minttl);
				for (uint32_t k = g; k < e; k++)
					z->rrs[v[k]].ttl = minttl;
			}
			g = e;
		}
		nm->flags |= type_flag(first->type);
		z->st.rrsets++;
		i = j;
	}
}

/* The name ancestor that is closest above name (not name itself) and has
 * any of flags, searching up to and including the apex when with_apex. */
static int64_t ancestor_with(const struct zone *z, const uint8_t *name,
			     uint32_t flags, bool include_self, bool with_apex)
{
	unsigned apex_labels = dname_labels(z->origin);
	unsigned nl = dname_labels(name);
	const uint8_t *p = include_self ? name : dname_parent(name);
	unsigned l = include_self ? nl : nl - 1;
	for (; p && l >= apex_labels; p = dname_parent(p), l--) {
		if (l == apex_labels && !with_apex)
			break;
		int64_t id = name_find(z, p, (uint32_t)dname_hash(p));
		if (id >= 0 && (z->names[id].flags & flags))
			return id;
		if (l == 0)
			break;
	}
	return -1;
}

static const struct zrr *first_of_type(const struct zone *z, uint32_t id, uint16_t type)
{
	const struct zname *nm = &z->names[id];
	for (uint32_t k = 0; k < nm->count; k++) {
		const struct zrr *r = &z->rrs[z->perm[nm->first + k]];
		if (!r->dropped && (type == 0 || r->type == type))
			return r;
	}
	return NULL;
}

static void check_name(struct zone *z, uint32_t id, bool apex, bool any_dname)
{
	const struct zname *nm = &z->names[id];
	const uint8_t *name = zname_wire(z, id);
	char owner[DNAME_TEXT_MAX], tb[16];
	unsigned ncname = 0, ndname = 0, nsoa = 0;
	const struct zrr *other = NULL, *soa1 = NULL;

	owner[0] = 0;
	for (uint32_t k = 0; k < nm->count; k++) {
		const struct zrr *r = &z->rrs[z->perm[nm->first + k]];
		if (r->dropped)
			continue;
		if (!owner[0] && (r->type == RR_SOA || r->type == RR_CNAME ||
				  r->type == RR_DNAME || any_dname))
			dname_to_text(owner, sizeof owner, name);
		switch (r->type) {
		case RR_CNAME: ncname++; break;
		case RR_DNAME: ndname++; break;
		case RR_SOA:
			nsoa++;
			if (!apex)
				ZERR(r, "SOA record at %s: a zone has its SOA at the apex only", owner);
			else if (nsoa > 1)
				ZERR(r->line > soa1->line ? r : soa1,
				     "more than one SOA record at the apex %s", owner);
			else
				soa1 = r;
			break;
		default: break;
		}
		if (type_flag(r->type) & NF_NONCNAME && !other)
			other = r;
	}
	if (ncname) {
		const struct zrr *c = first_of_type(z, id, RR_CNAME);
		if (ncname > 1)
			ZERR(c, "more than one CNAME record at %s (RFC 2181 §10.1)", owner);
		if (other)
			ZERR(c, "CNAME at %s beside other data (%s at line %u): a CNAME owner has no other records except DNSSEC ones (RFC 1034 §3.6.2, RFC 2181 §10.1)",
			     owner, type_str(other->type, tb), other->line);
	}
	if (ndname > 1)
		ZERR(first_of_type(z, id, RR_DNAME),
		     "more than one DNAME record at %s (RFC 6672 §2.4)", owner);
	if (any_dname) {
		int64_t d = ancestor_with(z, name, NF_DNAME, false, true);
		if (d >= 0) {
			char dn[DNAME_TEXT_MAX];
			const struct zrr *dr = first_of_type(z, (uint32_t)d, RR_DNAME);
			dname_to_text(dn, sizeof dn, zname_wire(z, (uint32_t)d));
			ZERR(first_of_type(z, id, 0),
			     "%s is below the DNAME at %s (line %u): a DNAME owner has no descendants (RFC 6672 §2.4)",
			     owner, dn, dr->line);
		}
	}
}

/* NS targets inside the zone at or below a zone cut need glue. */
/* RFC 9276 §3.1: NSEC3 with extra iterations or a salt costs every
 * validator and every denial more hashing and buys nothing; validators
 * may treat a zone with many iterations as insecure (§3.2).  ringdns
 * answers such a zone correctly, only slower, up to RFC 5155 §10.3's
 * ceiling of 2500 iterations: past it the zone is refused (each
 * denial would cost thousands of hashes per query). */
static void check_nsec3param(struct zone *z, const struct zrr *r)
{
	const uint8_t *rd = arena_get(&z->rdata_a, r->rd);
	if (r->rdlen < 5)
		return;
	unsigned iter = (unsigned)(rd[2] << 8 | rd[3]), salt = rd[4];
	if (iter > SNAP_NSEC3_ITER_MAX)
		ZERR(r, "NSEC3PARAM with %u iterations: RFC 5155 §10.3 allows at most %u; re-sign "
		     "with iterations 0 (RFC 9276 §3.1)", iter, SNAP_NSEC3_ITER_MAX);
	else if (iter)
		ZWARN(r, "NSEC3PARAM with %u iterations: RFC 9276 §3.1 asks for 0 (every NXDOMAIN "
		      "costs %u more hashes here and in every validator; some treat the zone as "
		      "insecure); re-sign with iterations 0", iter, iter);
	if (salt)
		ZWARN(r, "NSEC3PARAM with a %u-byte salt: RFC 9276 §3.1 asks for none (-); "
		      "re-sign without a salt", salt);
}

static void check_glue(struct zone *z, uint32_t id, bool apex)
{
	const struct zname *nm = &z->names[id];
	char owner[DNAME_TEXT_MAX], target[DNAME_TEXT_MAX];

	for (uint32_t k = 0; k < nm->count; k++) {
		const struct zrr *r = &z->rrs[z->perm[nm->first + k]];
		if (r->dropped || r->type != RR_NS)
			continue;
		const uint8_t *t = arena_get(&z->rdata_a, r->rd);
		if (dname_check(t, r->rdlen) != r->rdlen || !dname_in(t, z->origin))
			continue;
		int64_t cut = ancestor_with(z, t, NF_NS, true, false);
		int64_t tid = name_find(z, t, (uint32_t)dname_hash(t));
		if (tid >= 0 && (z->names[tid].flags & NF_ADDR))
			continue;
		dname_to_text(owner, sizeof owner, zname_wire(z, id));
		dname_to_text(target, sizeof target, t);
		if (cut >= 0) {
			char cn[DNAME_TEXT_MAX];
			dname_to_text(cn, sizeof cn, zname_wire(z, (uint32_t)cut));
			ZERR(r, "NS %s of %s is at or below the zone cut %s but has no glue A/AAAA record in the zone",
			     target, owner, cn);
		} else {
			ZWARN(r, "NS %s of %s%s is inside the zone but has no A/AAAA record",
			      target, owner, apex ? " (apex)" : "");
		}
	}
}

/* zone_finish's check for a stop, every 4096 names of a pass over them:
 * true (and the error reported) when the load is to stop. */
static bool finish_cancelled(struct zone *z, uint32_t id)
{
	if ((id & 4095) != 0 || !zone_cancelled(z))
		return false;
	diag_report(z->d, DIAG_ERROR, NULL, 0, ZONE_ERR_CANCELLED);
	return true;
}

unsigned zone_finish(struct zone *z)
{
	char on[DNAME_TEXT_MAX];

	if (z->finished)
		return z->d->errors;
	z->finished = true;
	memset(&z->st, 0, sizeof z->st);
	if (finish_cancelled(z, 0))
		return z->d->errors;
	dname_to_text(on, sizeof on, z->origin);

	/* counting sort of record indices by owner */
	z->perm = malloc((z->nrrs ? z->nrrs : 1) * sizeof *z->perm);
	if (!z->perm || dedupe_names(z) < 0) {
		diag_report(z->d, DIAG_ERROR, NULL, 0, "out of memory checking zone %s", on);
		return z->d->errors;
	}
	if (finish_cancelled(z, 0))
		return z->d->errors;
	uint32_t pos = 0;
	for (uint32_t id = 0; id < z->nnames; id++) {
		z->names[id].first = pos;
		pos += z->names[id].count;
		z->names[id].count = 0;
	}
	for (size_t k = 0; k < z->nrrs; k++) {
		struct zname *nm = &z->names[z->rrs[k].name];
		z->perm[nm->first + nm->count++] = (uint32_t)k;
	}

	bool any_dname = false, any_cut = false;
	for (uint32_t id = 0; id < z->nnames; id++) {
		if (finish_cancelled(z, id))
			return z->d->errors;
		finish_name(z, id);
		any_dname |= (z->names[id].flags & NF_DNAME) != 0;
	}
	int64_t apex = name_find(z, z->origin, (uint32_t)dname_hash(z->origin));
	for (uint32_t id = 0; id < z->nnames; id++) {
		if (finish_cancelled(z, id))
			return z->d->errors;
		bool is_apex = id == apex;
		if ((z->names[id].flags & NF_NS) && !is_apex)
			any_cut = true;
		check_name(z, id, is_apex, any_dname);
	}
	for (uint32_t id = 0; id < z->nnames; id++) {
		if (finish_cancelled(z, id))
			return z->d->errors;
		if (z->names[id].flags & NF_NS)
			check_glue(z, id, id == apex);
	}
	(void)any_cut;

	if (apex < 0 || !(z->names[apex].flags & NF_SOA)) {
		diag_report(z->d, DIAG_ERROR, z->nfiles ? z->files[0] : NULL, 0,
			    "no SOA record at the zone apex %s", on);
	} else {
		const struct zrr *soa = first_of_type(z, (uint32_t)apex, RR_SOA);
		const uint8_t *rd = arena_get(&z->rdata_a, soa->rd);
		z->st.has_soa = true;
		if (soa->rdlen >= 20) {
			const uint8_t *s = rd + soa->rdlen - 20;
			z->st.serial = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
				       (uint32_t)s[2] << 8 | s[3];
		}
	}
	if (apex >= 0 && !(z->names[apex].flags & NF_NS))
		diag_report(z->d, DIAG_ERROR, z->nfiles ? z->files[0] : NULL, 0,
			    "no NS records at the zone apex %s", on);

	for (size_t k = 0; k < z->nrrs; k++) {
		const struct zrr *r = &z->rrs[k];
		if (r->dropped)
			continue;
		z->st.records++;
		if (rrtype_is_dnssec(r->type))
			z->st.dnssec = true;
		if (r->type == RR_NSEC3 || r->type == RR_NSEC3PARAM)
			z->st.nsec3 = true;
		if (r->type == RR_NSEC3PARAM)
			check_nsec3param(z, r);
	}
	z->st.names = z->nnames;
	/* The table stays for zone_take_table: the compiler needs one of the
	 * same names (zone_shed_index frees it otherwise). */
	return z->d->errors;
}

/* An RRset past ZONE_RRSET_MAX (limits.h), duplicates left out, is an
 * error at its first record in the files. */
static void check_rrset_size(struct zone *z, uint32_t id, const uint32_t *v, uint32_t n)
{
	uint32_t kept = 0;
	const struct zrr *first = NULL;
	for (uint32_t k = 0; k < n; k++) {
		const struct zrr *r = &z->rrs[v[k]];
		if (r->dropped)
			continue;
		kept++;
		if (!first || r->file < first->file ||
		    (r->file == first->file && r->line < first->line))
			first = r;
	}
	if (kept <= ZONE_RRSET_MAX)
		return;
	char msg[512];
	zone_limit_rrset_msg(msg, sizeof msg, zname_wire(z, id), first->type, kept);
	ZERR(first, "%s", msg);
}

unsigned zone_check_limits(struct zone *z)
{
	if (!z->finished || !z->perm)
		return z->d->errors;
	for (uint32_t id = 0; id < z->nnames; id++) {
		const struct zname *nm = &z->names[id];
		if (nm->count <= ZONE_RRSET_MAX)
			continue;
		const uint32_t *v = z->perm + nm->first;
		for (uint32_t i = 0, j; i < nm->count; i = j) {
			for (j = i + 1; j < nm->count && z->rrs[v[j]].type == z->rrs[v[i]].type; j++)
				;
			if (j - i > ZONE_RRSET_MAX)
				check_rrset_size(z, id, v + i, j - i);
		}
	}
	return z->d->errors;
}

void zone_get_stats(const struct zone *z, struct zone_stats *st)
{
	*st = z->st;
}

const uint8_t *zone_origin(const struct zone *z)
{
	return z->origin;
}

int zone_foreach(const struct zone *z, zone_rr_fn fn, void *ud)
{
	if (!z->finished || !z->perm)
		return -1;
	for (uint32_t id = 0; id < z->nnames; id++) {
		const struct zname *nm = &z->names[id];
		for (uint32_t k = 0; k < nm->count; k++) {
			const struct zrr *r = &z->rrs[z->perm[nm->first + k]];
			if (r->dropped)
				continue;
			int ret = fn(ud, zname_wire(z, id), r->type, r->ttl,
				     arena_get(&z->rdata_a, r->rd), r->rdlen);
			if (ret)
				return ret;
		}
	}
	return 0;
}

uint64_t *zone_take_table(struct zone *z, uint32_t *mask, size_t *count)
{
	if (!z->finished || !z->perm || !z->table)
		return NULL;
	uint64_t *t = z->table;
	*mask = z->table_mask;
	*count = z->nnames;
	z->table = NULL;
	z->table_mask = 0;
	return t;
}

void zone_release_names(struct zone *z, const uint8_t *owner)
{
	struct arena *a = &z->names_a;
	uintptr_t o = (uintptr_t)owner;
	/* every chunk but the last holds ARENA_CHUNK bytes (the first grows
	 * to that before a second is made) */
	while (z->names_given_back + 1 < a->nchunks) {
		uintptr_t c = (uintptr_t)a->chunks[z->names_given_back];
		if (o >= c && o < c + ARENA_CHUNK)
			return;
		free(a->chunks[z->names_given_back]);
		a->chunks[z->names_given_back++] = NULL;
	}
}

void zone_shed_index(struct zone *z)
{
	free(z->table);
	z->table = NULL;
	z->table_mask = 0;
	free(z->names);
	free(z->rrs);
	free(z->perm);
	z->names = NULL;
	z->rrs = NULL;
	z->perm = NULL;
	z->nnames = z->names_cap = 0;
	z->nrrs = z->rrs_cap = 0;
}

struct zone *zone_load_file(const uint8_t *origin, const char *path,
			    struct diag *d)
{
	return zone_load_file_max(origin, path, (uint64_t)ZONE_MAX_MB_DEFAULT << 20,
				  ZONE_MAX_RECORDS_DEFAULT, d);
}

struct zone *zone_load_file_max(const uint8_t *origin, const char *path, uint64_t max_bytes,
				uint64_t max_records, struct diag *d)
{
	struct zone *z = zone_new(origin, d);
	if (!z) {
		diag_report(d, DIAG_ERROR, path, 0, "out of memory");
		return NULL;
	}
	struct zf_options opt = { .origin = origin, .max_bytes = max_bytes,
				  .max_records = max_records };
	struct stat st;
	if (stat(path, &st) == 0)
		zone_expect(z, (uint64_t)st.st_size);
	zf_parse_file(path, &opt, zone_add_cb, z, d);
	if (zone_finish(z) == 0)
		zone_check_limits(z);
	return z;
}
