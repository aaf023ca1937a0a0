/*
 * ovl_apply.c - applying one change (struct zdiff) to an overlay's
 * composed image (overlay.h): every name the change touches gets a new
 * block in the tail, and so does every name whose facts it changes (the
 * parent of a wildcard, the names below a cut that came or went, the
 * owners of pre-encoded answers that held a changed address); node
 * entries, buckets and the header are written in place, each write
 * logged so that a change declined half-way leaves nothing behind.
 *
 * The result is what zones/compile.c makes of the new version but for
 * the layout and the pre-encoded answers: a rewritten block carries none
 * where its own records changed or an address it held did (the engine's
 * general path writes the same bytes, slower), and keeps those that
 * still hold.  The rules of the compiler are followed for the facts the
 * engine reads (make_nodes: flags, cut, parent), and zone_finish's
 * checks for the ones a change can break (CNAME beside other data, SOA
 * off the apex, no NS at the apex, glue under a cut, one DNAME and no
 * names below it): where one would fail, or the change needs what
 * overlays do not do (in a signed zone cuts made or deleted at names
 * kept, the NSEC3 parameters, the apex's keys gone), it is declined and
 * the caller compiles the whole zone, which reports it.  In a signed zone
 * RRsets carry their signatures, and an NSEC3 owner written again takes
 * its NSEC3 table entry and the referrals proving with it along.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/frag.h"
#include "zones/limits.h"
#include "zones/ovl_int.h"
#include "zones/ovl_n3.h"
#include "zones/ovl_nsec.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"

/* The most blocks one change may rewrite for facts it changes elsewhere
 * (names below a new cut, owners of stale pre-encoded answers): past it,
 * a full compile. */
#define OVL_REWRITE_MAX 65536u

/* One record of the change; ent points at its RDLENGTH, which with the
 * RDATA after it is an image record entry. */
struct chg {
	const uint8_t *owner;
	const uint8_t *ent;
	uint32_t ttl;
	uint16_t type;
	bool add;
};

/* An RRset of a name's new version: kept as it is (e), or new records
 * (rec: count entries). */
struct nrs {
	struct snap_rrset e;
	bool keep;
	const uint8_t **rec;
	const uint8_t **sig;	/* !keep: its signatures (e.nsigs; sigs_len
				   is made), NULL when none */
};

struct apply {
	struct ovl *o;
	struct snap *s;		/* a handle on o->img, for lookups */
	char *err;
	size_t errcap;
	int rc;			/* what a failure returns: 0 declined, -1 wrong */
	struct chg *c;
	size_t n;
	/* names (pointers to wire names that stay valid) whose addresses,
	 * or existence, changed; targets of added NS records; nodes whose
	 * cut status changed */
	struct ovl_buf addr, glue, cuts;
	bool sig;		/* a signed zone (see apply_all) */
	bool n3;		/* signed with NSEC3: names may come and go,
				   the chain's edits in n3c */
	struct n3ch *n3c;
	bool nsec;		/* signed with NSEC: names come and go
				   (zones/ovl_nsec.h) */
	int64_t drr;		/* RRsets added */
	uint32_t rewrites;
};

__attribute__((format(printf, 3, 4)))
static int stop(struct apply *a, int rc, const char *fmt, ...)
{
	a->rc = rc;
	if (a->errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(a->err, a->errcap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int oom(struct apply *a)
{
	return stop(a, 0, "out of memory applying the change");
}

static bool push_ptr(struct ovl_buf *b, const uint8_t *p)
{
	return ovl_buf_add(b, &p, sizeof p);
}

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ------------------------------------------------------------ parsing */

static bool dnssec_type(uint16_t t)
{
	return t == RR_RRSIG || t == RR_NSEC || t == RR_NSEC3 || t == RR_NSEC3PARAM ||
	       t == RR_DNSKEY;
}

/* n records in wire form at p (len bytes) into a->c. */
static int parse_list(struct apply *a, const uint8_t *p, size_t len, uint32_t n, bool add)
{
	const uint8_t *end = p + len;
	const uint8_t *origin = a->o->img + ovl_hdr(a->o)->origin;
	for (uint32_t k = 0; k < n; k++) {
		int ol = dname_check(p, (size_t)(end - p));
		if (ol < 0 || end - p < ol + 8)
			return stop(a, -1, "change record %u malformed", k);
		const uint8_t *w = p + ol;
		struct chg c = { p, w + 6, u32(w + 2), u16(w), add };
		size_t rdlen = u16(w + 6);
		if ((size_t)(end - w - 8) < rdlen)
			return stop(a, -1, "change record %u past the end", k);
		p = w + 8 + rdlen;
		char on[DNAME_TEXT_MAX];
		dname_to_text(on, sizeof on, c.owner);
		if (!dname_in(c.owner, origin))
			return stop(a, -1, "%s is outside the zone", on);
		if (c.type == 0 || rrtype_is_meta(c.type) || c.ttl > INT32_MAX ||
		    rdata_check(c.type, c.ent + 2, rdlen) < 0)
			return stop(a, -1, "%s: a malformed record (type %u)", on, c.type);
		/* signed zones: signatures, chains and keys (a DNSKEY RRset
		 * stays at the apex: check_name_rules); not the NSEC3
		 * parameters (the chain's hashes), NSEC3 records in an NSEC
		 * zone (ovl_nsec.h), nor DNSSEC in an unsigned zone (it would
		 * become signed) */
		if (dnssec_type(c.type) &&
		    (!a->sig || c.type == RR_NSEC3PARAM || (c.type == RR_NSEC3 && a->nsec)))
			return stop(a, 0, "%s: the NSEC3 parameters change, NSEC3 records in an NSEC "
				    "zone, or DNSSEC records in an unsigned zone", on);
		a->c[a->n++] = c;
	}
	if (p != end)
		return stop(a, -1, "change lists hold more bytes than their records");
	return 0;
}

static int chg_cmp(const void *x, const void *y)
{
	const struct chg *a = x, *b = y;
	int c = dname_canon_cmp(a->owner, b->owner);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return (int)a->add - (int)b->add;	/* deletions first */
}

/* The SOAs: the current one deleted, one added with the new serial. */
static int check_serials(struct apply *a, const struct zdiff *d)
{
	const struct snap_header *h = ovl_hdr(a->o);
	unsigned del = 0, add = 0;
	for (size_t k = 0; k < a->n; k++) {
		const struct chg *c = &a->c[k];
		if (c->type != RR_SOA)
			continue;
		uint16_t len = u16(c->ent);
		if (len < 22)
			return stop(a, -1, "SOA record too short");
		uint32_t serial = u32(c->ent + 2 + len - 20);
		if (c->add ? serial != d->to : serial != d->from)
			return stop(a, -1, "SOA serial %u does not match the change's", serial);
		c->add ? add++ : del++;
	}
	if (d->from != h->serial)
		return stop(a, -1, "change from serial %u, serving %u", d->from, h->serial);
	if (!rdata_serial_gt(d->to, d->from) || add != 1 || del != 1)
		return stop(a, -1, "change from %u to %u without one SOA each way", d->from, d->to);
	return 0;
}

/* ------------------------------------------------------ reading nodes */

static const struct snap_rrset *rrsets_of(const struct ovl *o, uint32_t i)
{
	return (const struct snap_rrset *)(o->img + snap_node_rrset_off(o->img, ovl_node(o, i)));
}

static const uint8_t *name_of(const struct ovl *o, uint32_t i)
{
	return o->img + ovl_node(o, i)->name;
}

static bool deleted(const struct ovl *o, uint32_t i)
{
	return (ovl_head(o, i)->flags & SNAP_N_DELETED) != 0;
}

/* The live node named name, or SNAP_NONE. */
static uint32_t lookup(const struct apply *a, const uint8_t *name)
{
	uint32_t ni;
	return snap_find(a->s, name, &ni) ? ni : SNAP_NONE;
}

/* Calls fn for each live node strictly below node x: those after it in
 * the sorted part while they are below it (canonical order puts them
 * there), and the appended ones below it.  Stops when fn returns false. */
void ovl_below(const struct ovl *o, uint32_t x, bool (*fn)(void *ud, uint32_t d), void *ud)
{
	const struct snap_header *h = ovl_hdr(o);
	const uint8_t *xn = name_of(o, x);
	if (x < h->nsorted)
		for (uint32_t j = x + 1; j < h->nsorted && dname_in(name_of(o, j), xn); j++)
			if (!deleted(o, j) && !fn(ud, j))
				return;
	for (uint32_t j = h->nsorted; j < h->nnodes; j++)
		if (j != x && !deleted(o, j) && dname_in(name_of(o, j), xn) && !fn(ud, j))
			return;
}

static bool found_one(void *ud, uint32_t d)
{
	(void)d;
	*(bool *)ud = true;
	return false;
}

bool ovl_has_desc(const struct ovl *o, uint32_t x)
{
	bool any = false;
	ovl_below(o, x, found_one, &any);
	return any;
}

/* ------------------------------------------------------------ writing */

static bool put32(struct ovl *o, const void *field, uint32_t v)
{
	return ovl_put(o, (uint32_t)((const uint8_t *)field - o->img), &v, sizeof v);
}

static uint32_t lines_of(uint32_t off, uint32_t end)
{
	if (end - off > 256)
		end = off + 256;
	uint32_t lines = (end - 1) / 64 - off / 64;
	return lines < 3 ? lines : 3;
}

/* The bucket slot holding block blk of a name of hash hv. */
static uint32_t slot_of(const struct ovl *o, uint32_t hv, uint32_t blk)
{
	const struct snap_header *h = ovl_hdr(o);
	const uint64_t *b = (const uint64_t *)(o->img + h->buckets);
	for (uint32_t k = hv & h->hash_mask;; k = (k + 1) & h->hash_mask)
		if (b[k] == 0 || ((uint32_t)b[k] & ~3u) == blk)
			return b[k] ? k : SNAP_NONE;
}

static bool bucket_write(struct ovl *o, uint32_t slot, uint64_t v)
{
	const struct snap_header *h = ovl_hdr(o);
	return ovl_put(o, h->buckets + slot * 8u, &v, sizeof v);
}

/* Linear probing deletion by shifting back the entries after the slot
 * that would no longer be found. */
static bool bucket_remove(struct ovl *o, uint32_t slot)
{
	const struct snap_header *h = ovl_hdr(o);
	const uint64_t *b = (const uint64_t *)(o->img + h->buckets);
	uint32_t mask = h->hash_mask, hole = slot;
	for (uint32_t k = (slot + 1) & mask; b[k]; k = (k + 1) & mask) {
		uint32_t home = (uint32_t)(b[k] >> 32) & mask;
		/* k's entry stays when its home is cyclically in (hole, k] */
		bool stays = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
		if (stays)
			continue;
		if (!bucket_write(o, hole, b[k]))
			return false;
		hole = k;
	}
	return bucket_write(o, hole, 0);
}

static bool bucket_insert(struct ovl *o, uint32_t hv, uint64_t v)
{
	const struct snap_header *h = ovl_hdr(o);
	const uint64_t *b = (const uint64_t *)(o->img + h->buckets);
	uint32_t k = hv & h->hash_mask;
	while (b[k])
		k = (k + 1) & h->hash_mask;
	return bucket_write(o, k, v);
}

/* NSEC3-signed zones: node i's block moved from old to blk.  When it is
 * an NSEC3 owner of the chain in use its entry in the NSEC3 table follows
 * it (what node links, wildcard entries and the apex's proofs name), and
 * the referrals whose proofs name its old block lose theirs (n3ch). */
static int n3_moved(struct apply *a, uint32_t i, uint32_t old, uint32_t blk)
{
	struct ovl *o = a->o;
	const struct snap_header *h = ovl_hdr(o);
	if (!(h->flags & SNAP_F_NSEC3) || !(snap_block_at(o->img, old)->flags & SNAP_N_NSEC3))
		return 0;
	uint32_t x = snap_nsec3_entry_of(o->img, h, i);
	if (x == SNAP_NONE || !a->n3c)
		return 0;
	return n3ch_set_block(a->n3c, x, old, blk) ? 0 : stop(a, 0, "the overlay is full");
}

/* A new block for node i named name (wire), with flags and the RRsets r
 * (n): written to the tail, node i's entry and bucket pointed at it
 * (old: its block before, 0 for a new node).  0 or -1. */
static int write_block(struct apply *a, uint32_t i, const uint8_t *name, uint32_t flags,
		       const struct nrs *r, unsigned n, uint32_t old)
{
	struct ovl *o = a->o;
	size_t nl = dname_len(name), head = (sizeof(struct snap_block) + nl + 3) & ~(size_t)3;
	size_t size = head + n * sizeof(struct snap_rrset);
	for (unsigned k = 0; k < n; k++)
		if (!r[k].keep) {
			for (unsigned j = 0; j < r[k].e.count; j++)
				size += 2u + u16(r[k].rec[j]);
			for (unsigned j = 0; j < r[k].e.nsigs; j++)
				size += 2u + u16(r[k].sig[j]);
		}
	size = (size + 3) & ~(size_t)3;
	uint32_t blk = ovl_reserve(o, size);
	if (!blk)
		return stop(a, 0, "the overlay is full: a compaction is due");
	struct snap_block bh = { i, flags, (uint16_t)n, (uint8_t)(nl - 1), (uint8_t)dname_labels(name) };
	memcpy(o->img + blk, &bh, sizeof bh);
	memcpy(o->img + blk + sizeof bh, name, nl);
	uint32_t at = blk + (uint32_t)(head + n * sizeof(struct snap_rrset));
	for (unsigned k = 0; k < n; k++) {
		struct snap_rrset e = r[k].e;
		if (!r[k].keep) {
			e.rdata = at;
			for (unsigned j = 0; j < e.count; j++) {
				size_t l = 2u + u16(r[k].rec[j]);
				memcpy(o->img + at, r[k].rec[j], l);
				at += (uint32_t)l;
			}
			e.rdata_len = at - e.rdata;
			e.resp = 0;
			/* the signatures right after the records (no
			 * pre-encoded answer between) */
			for (unsigned j = 0; j < e.nsigs; j++) {
				size_t l = 2u + u16(r[k].sig[j]);
				memcpy(o->img + at, r[k].sig[j], l);
				at += (uint32_t)l;
			}
			e.sigs_len = at - e.rdata - e.rdata_len;
			if (!e.nsigs)
				e.sig_ttl = 0;
		}
		memcpy(o->img + blk + head + k * sizeof e, &e, sizeof e);
	}
	const struct snap_node *nd = ovl_node(o, i);
	if (!put32(o, &nd->name, blk + (uint32_t)sizeof bh))
		return oom(a);
	if (old && !(flags & SNAP_N_DELETED) && n3_moved(a, i, old, blk))
		return -1;
	uint32_t hv = (uint32_t)dname_hash(name);
	uint64_t v = (uint64_t)hv << 32 | blk | lines_of(blk, blk + (uint32_t)size);
	if (flags & SNAP_N_DELETED) {
		uint32_t slot = slot_of(o, hv, old);
		return slot != SNAP_NONE && bucket_remove(o, slot) ? 0 : oom(a);
	}
	if (old) {
		uint32_t slot = slot_of(o, hv, old);
		return slot != SNAP_NONE && bucket_write(o, slot, v) ? 0 : oom(a);
	}
	return bucket_insert(o, hv, v) ? 0 : oom(a);
}

/* ------------------------------------------------------- node facts */

static uint32_t type_flags(const struct nrs *r, unsigned n)
{
	uint32_t f = n ? 0 : SNAP_N_ENT;
	for (unsigned k = 0; k < n; k++)
		f |= r[k].e.type == RR_CNAME ? SNAP_N_CNAME : r[k].e.type == RR_DNAME ? SNAP_N_DNAME
		   : r[k].e.type == RR_NS ? SNAP_N_CUT : r[k].e.type == RR_NSEC3 ? SNAP_N_NSEC3 : 0;
	return f;
}

/* make_nodes' rules (zones/compile.c): node i's flags from its own types
 * (tf), its name and its parent's flags; its cut in *cut. */
static uint32_t node_flags(const struct ovl *o, uint32_t i, uint32_t parent, const uint8_t *name,
			   uint32_t tf, uint32_t wild_child, uint32_t *cut)
{
	uint32_t f = tf | wild_child;
	if (dname_is_wildcard(name))
		f |= SNAP_N_WILDCARD;
	*cut = SNAP_NONE;
	if (i == 0)
		return (f | SNAP_N_APEX) & ~(uint32_t)(SNAP_N_CUT | SNAP_N_NSEC3);
	uint32_t pf = ovl_head(o, parent)->flags;
	if (pf & (SNAP_N_CUT | SNAP_N_OCCLUDED)) {
		*cut = ovl_node(o, parent)->cut;
		return (f | SNAP_N_OCCLUDED) & ~(uint32_t)SNAP_N_CUT;
	}
	if (f & SNAP_N_CUT)
		*cut = i;
	return f;
}

/* Node i's RRsets as they are, for a copy of its block. */
static struct nrs *current(const struct ovl *o, uint32_t i, unsigned *n)
{
	unsigned nr = ovl_head(o, i)->nrrsets;
	struct nrs *r = calloc(nr ? nr : 1, sizeof *r);
	if (!r)
		return NULL;
	const struct snap_rrset *e = rrsets_of(o, i);
	for (unsigned k = 0; k < nr; k++) {
		r[k].e = e[k];
		r[k].keep = true;
	}
	*n = nr;
	return r;
}

/* The n record entries from p, listed (malloc'd; NULL when out of
 * memory). */
static const uint8_t **entries(const uint8_t *p, unsigned n)
{
	const uint8_t **v = malloc((n ? n : 1) * sizeof *v);
	for (unsigned j = 0; v && j < n; j++, p += 2u + u16(p))
		v[j] = p;
	return v;
}

/* A kept RRset r to be written again: its records and signatures listed,
 * its pre-encoded answer left out. */
static int unkeep(struct apply *a, struct nrs *r)
{
	if (!r->keep)
		return 0;
	r->rec = entries(a->o->img + r->e.rdata, r->e.count);
	r->sig = r->e.nsigs ? entries(a->o->img + snap_rrset_sigs(&r->e), r->e.nsigs) : NULL;
	r->keep = false;
	return r->rec && (r->sig || !r->e.nsigs) ? 0 : oom(a);
}

static void free_nrs(struct nrs *r, unsigned n)
{
	for (unsigned k = 0; r && k < n; k++) {
		free(r[k].rec);
		free(r[k].sig);
	}
	free(r);
}

/* Rewrites node i's block with its RRsets as they are but flags, its cut
 * and, where drop says, without a pre-encoded answer (drop: a type, or
 * 0 for none). */
static int copy_block(struct apply *a, uint32_t i, uint32_t flags, uint32_t cut, uint16_t drop)
{
	struct ovl *o = a->o;
	if (++a->rewrites > OVL_REWRITE_MAX)
		return stop(a, 0, "the change rewrites more than %u names", OVL_REWRITE_MAX);
	unsigned n;
	struct nrs *r = current(o, i, &n);
	if (!r)
		return oom(a);
	int rc = 0;
	for (unsigned k = 0; k < n && rc == 0; k++)
		if (r[k].e.type == drop && r[k].e.resp)
			rc = unkeep(a, &r[k]);	/* written again without it */
	const struct snap_node *nd = ovl_node(o, i);
	if (rc == 0)
		rc = write_block(a, i, name_of(o, i), flags, r, n,
				 nd->name - (uint32_t)sizeof(struct snap_block));
	free_nrs(r, n);
	if (rc == 0 && nd->cut != cut && !put32(o, &nd->cut, cut))
		return oom(a);
	return rc;
}

/* Node i's WILD_CHILD set or cleared. */
static int set_wild_child(struct apply *a, uint32_t i, bool on)
{
	const struct snap_block *bh = ovl_head(a->o, i);
	uint32_t f = on ? bh->flags | SNAP_N_WILD_CHILD : bh->flags & ~(uint32_t)SNAP_N_WILD_CHILD;
	return f == bh->flags ? 0 : copy_block(a, i, f, ovl_node(a->o, i)->cut, 0);
}

/* ------------------------------------------------------ name changes */

static int bump(struct apply *a, const void *field, int delta)
{
	uint32_t v;
	memcpy(&v, field, sizeof v);
	return put32(a->o, field, v + (uint32_t)delta) ? 0 : oom(a);
}

/* Deletes node i (no RRsets, no live descendants), then its parent if it
 * is left an empty non-terminal with no descendants. */
static int delete_node(struct apply *a, uint32_t i)
{
	struct ovl *o = a->o;
	const struct snap_node *nd = ovl_node(o, i);
	uint32_t parent = nd->parent;
	bool wild = dname_is_wildcard(name_of(o, i));
	/* NSEC: a name with an NSEC3 record, outside any chain in use:
	 * declined (NSEC3 zones: the chain's edits follow, n3ch) */
	if (a->sig && !a->n3 && (nd->nsec3 != SNAP_NONE || (ovl_head(o, i)->flags & SNAP_N_NSEC3)))
		return stop(a, 0, "a name with an NSEC3 record deleted");
	a->drr -= ovl_head(o, i)->nrrsets;
	if (!push_ptr(&a->addr, name_of(o, i)))
		return oom(a);
	if (write_block(a, i, name_of(o, i), SNAP_N_DELETED, NULL, 0,
			nd->name - (uint32_t)sizeof(struct snap_block)) ||
	    (nd->cut != SNAP_NONE && !put32(o, &nd->cut, SNAP_NONE)) ||
	    bump(a, &ovl_hdr(o)->ndead, 1))
		return -1;
	if (wild && set_wild_child(a, parent, false))
		return -1;
	if (parent != 0 && ovl_head(o, parent)->nrrsets == 0 && !ovl_has_desc(o, parent))
		return delete_node(a, parent);
	return 0;
}

/* A new node named name below parent, with the RRsets r (n). */
static int new_node(struct apply *a, const uint8_t *name, uint32_t parent, const struct nrs *r,
		    unsigned n)
{
	struct ovl *o = a->o;
	const struct snap_header *h = ovl_hdr(o);
	uint32_t i = h->nnodes;
	uint64_t live = (uint64_t)h->nnodes + 1 - h->ndead;
	if (i >= h->node_cap || (uint64_t)h->hash_mask + 1 < live + live / 2 + 1)
		return stop(a, 0, "no room for more names: a compaction is due");
	uint32_t cut, f = node_flags(o, i, parent, name, type_flags(r, n), 0, &cut);
	struct snap_node nd = { 0, parent, cut, SNAP_NONE };
	if (!ovl_put(o, h->nodes + i * (uint32_t)sizeof nd, &nd, sizeof nd) ||
	    bump(a, &h->nnodes, 1) || write_block(a, i, name, f, r, n, 0))
		return -1;
	a->drr += n;
	if (!push_ptr(&a->addr, o->img + ovl_node(o, i)->name))
		return oom(a);
	if ((f & SNAP_N_WILDCARD) && set_wild_child(a, parent, true))
		return -1;
	return 0;
}

/* ------------------------------------------------------------ DNAME */

/* RFC 6672 §2.4: "Resource records MUST NOT exist at any subdomain of the
 * owner of a DNAME RR" (zone.c's check_name refuses a name with records
 * below a DNAME owner, the apex's included): name, made or kept, is below
 * the DNAME at node d.  Declined, for the full compile to report it. */
static int dname_below(struct apply *a, const uint8_t *name, uint32_t d)
{
	char on[DNAME_TEXT_MAX], dn[DNAME_TEXT_MAX];
	dname_to_text(on, sizeof on, name);
	dname_to_text(dn, sizeof dn, name_of(a->o, d));
	return stop(a, 0, "%s is below the DNAME at %s (RFC 6672 §2.4)", on, dn);
}

static bool first_below(void *ud, uint32_t d)
{
	*(uint32_t *)ud = d;
	return false;
}

/* The owners the change adds a DNAME at have no live descendants: a
 * DNAME added above names that stay is refused here, after every owner
 * is applied (the change may delete them).  Names the change makes below
 * a DNAME are refused in create, and an owner whose DNAME stays had none
 * (the rule held before).  With that rule kept, no other name's facts
 * depend on a DNAME: the engine synthesizes below its owner from the
 * owner's flag and RRset alone (dataplane/answer.c's chain; the fast
 * paths leave a DNAME encloser to it), and pre-encoded answers and
 * referrals are made only for targets that exist, which none below a
 * DNAME does, or for a referral's targets below its cut, which must have
 * glue (check_glue). */
static int dname_owners(struct apply *a)
{
	for (size_t k = 0; k < a->n; k++) {
		if (!a->c[k].add || a->c[k].type != RR_DNAME)
			continue;
		uint32_t ni = lookup(a, a->c[k].owner), d = SNAP_NONE;
		if (ni == SNAP_NONE || !(ovl_head(a->o, ni)->flags & SNAP_N_DNAME))
			continue;
		ovl_below(a->o, ni, first_below, &d);
		if (d != SNAP_NONE)
			return dname_below(a, name_of(a->o, d), ni);
	}
	return 0;
}

/* Creates name (with RRsets r) and the empty non-terminals above it. */
static int create(struct apply *a, const uint8_t *name, const struct nrs *r, unsigned n)
{
	uint32_t ce;
	snap_find(a->s, name, &ce);
	/* ancestors come before their descendants in the change (canonical
	 * order): their DNAMEs are the new version's */
	for (uint32_t x = ce;; x = ovl_node(a->o, x)->parent) {
		if (ovl_head(a->o, x)->flags & SNAP_N_DNAME)
			return dname_below(a, name, x);
		if (x == 0)
			break;
	}
	unsigned nl = dname_labels(name), cl = ovl_head(a->o, ce)->labels;
	for (unsigned l = cl + 1; l < nl; l++) {
		const uint8_t *sfx = name;
		for (unsigned k = 0; k < nl - l; k++)
			sfx += *sfx + 1;
		if (new_node(a, sfx, ce, NULL, 0))
			return -1;
		ce = ovl_hdr(a->o)->nnodes - 1;
	}
	return new_node(a, name, ce, r, n);
}

/* Node i gets the RRsets r (n): a new block, its facts made again. */
static int rewrite(struct apply *a, uint32_t i, const struct nrs *r, unsigned n)
{
	struct ovl *o = a->o;
	const struct snap_node *nd = ovl_node(o, i);
	const struct snap_block *bh = ovl_head(o, i);
	uint32_t old = bh->flags, oldcut = nd->cut, cut;
	uint32_t f = node_flags(o, i, nd->parent, name_of(o, i), type_flags(r, n),
				old & SNAP_N_WILD_CHILD, &cut);
	a->drr += (int64_t)n - bh->nrrsets;
	if (write_block(a, i, name_of(o, i), f, r, n,
			nd->name - (uint32_t)sizeof(struct snap_block)))
		return -1;
	if (cut != oldcut && !put32(o, &nd->cut, cut))
		return oom(a);
	const uint32_t cm = SNAP_N_CUT | SNAP_N_OCCLUDED;
	if (((old & cm) != (f & cm) || cut != oldcut) && !ovl_buf_add(&a->cuts, &i, sizeof i))
		return oom(a);
	return 0;
}

/* ---------------------------------------------------- one owner's change */

static int ent_cmp(const void *x, const void *y, void *ud)
{
	uint16_t type = *(const uint16_t *)ud;
	const uint8_t *a = *(const uint8_t *const *)x, *b = *(const uint8_t *const *)y;
	return rdata_canon_cmp(type, a + 2, u16(a), b + 2, u16(b));
}

/* The position of the record entry e among rec (n), or -1. */
static long find_ent(const uint8_t **rec, unsigned n, uint16_t type, const uint8_t *e)
{
	for (unsigned j = 0; j < n; j++)
		if (rdata_canon_cmp(type, rec[j] + 2, u16(rec[j]), e + 2, u16(e)) == 0)
			return j;
	return -1;
}

/* The new records of type at owner: the current RRset's (cur, may be
 * NULL) less the deletions, with the additions (c[0..n) are this type's
 * changes), sorted canonically (RFC 4034 §6.3), their TTL the lowest as
 * zone_finish makes it (RFC 2181 §5.2).  Fills *out (rec malloc'd). */
static int new_rrset(struct apply *a, const char *on, const struct snap_rrset *cur,
		     const struct chg *c, size_t n, struct nrs *out)
{
	size_t have = cur ? cur->count : 0, cap = have + n;
	const uint8_t **rec = malloc((cap ? cap : 1) * sizeof *rec);
	if (!rec)
		return oom(a);
	const uint8_t *p = cur ? a->o->img + cur->rdata : NULL;
	for (size_t j = 0; j < have; j++, p += 2u + u16(p))
		rec[j] = p;
	unsigned cnt = (unsigned)have;
	uint16_t type = c[0].type;
	uint32_t ttl = UINT32_MAX;
	for (size_t k = 0; k < n; k++) {
		long at = find_ent(rec, cnt, type, c[k].ent);
		if (c[k].add != (at < 0)) {
			char tn[32];
			rrtype_to_text(type, tn, sizeof tn);
			free(rec);
			return stop(a, -1, "%s: %s %s record %s", on, c[k].add ? "added" : "deleted",
				    tn, c[k].add ? "already present" : "not present");
		}
		if (c[k].add) {
			rec[cnt++] = c[k].ent;
			ttl = c[k].ttl < ttl ? c[k].ttl : ttl;
		} else {
			rec[at] = rec[--cnt];
		}
	}
	bool kept_old = false;
	for (unsigned j = 0; j < cnt && !kept_old; j++)
		kept_old = cur && rec[j] >= a->o->img && rec[j] < a->o->img + a->o->size;
	if (kept_old && cur->ttl < ttl)
		ttl = cur->ttl;
	if (cnt)
		qsort_r(rec, cnt, sizeof *rec, ent_cmp, &type);
	if (cnt > ZONE_RRSET_MAX) {
		free(rec);
		return stop(a, 0, "%s: an RRset past the format's limit", on);
	}
	*out = (struct nrs){ .e = { .type = type, .count = (uint16_t)cnt, .ttl = ttl }, .rec = rec };
	return 0;
}

/* The RRsets of the owner's new version into r (room for nr + changes):
 * untouched ones kept, changed ones made again, empty ones dropped. */
static int new_rrsets(struct apply *a, const char *on, uint32_t ni, const struct chg *c,
		      size_t n, struct nrs *r, unsigned *nout)
{
	const struct snap_rrset *cur = ni == SNAP_NONE ? NULL : rrsets_of(a->o, ni);
	unsigned ncur = ni == SNAP_NONE ? 0 : ovl_head(a->o, ni)->nrrsets, i = 0, out = 0;
	size_t k = 0;
	*nout = 0;
	while (i < ncur || k < n) {
		uint16_t t = i < ncur && (k == n || cur[i].type <= c[k].type) ? cur[i].type : c[k].type;
		size_t e = k;
		while (e < n && c[e].type == t)
			e++;
		const struct snap_rrset *old = i < ncur && cur[i].type == t ? &cur[i++] : NULL;
		if (e == k) {
			r[out] = (struct nrs){ .e = *old, .keep = true };
			*nout = ++out;
			continue;
		}
		if (new_rrset(a, on, old, c + k, e - k, &r[out]))
			return -1;
		k = e;
		if (r[out].e.count)
			*nout = ++out;
		else
			free(r[out].rec);
	}
	return 0;
}

/* ------------------------------------------------------ signed zones */

static uint16_t covered(const struct chg *c)
{
	return u16(c->ent + 2);
}

static struct nrs *nrs_in(struct nrs *r, unsigned n, uint16_t t)
{
	for (unsigned k = 0; k < n; k++)
		if (r[k].e.type == t)
			return &r[k];
	return NULL;
}

/* What a change to a zone signed with NSEC3, or with neither chain, may
 * not do at node ni, a name kept with RRsets (signed_names for the
 * others; NSEC zones: ovl_nsec.h), for the overlay to stay exact,
 * declined: make or delete an NSEC RRset; with neither chain also an NS
 * RRset (the cuts, and the names they occlude) or an NSEC3 RRset, or
 * give an empty non-terminal data (NSEC3 zones: the chain's edits follow
 * those, ovl_nsec3.c).  A cut whose DS changes loses its pre-encoded
 * referral: its proof of no DS (RFC 5155 §7.2.7) is for the engine's
 * general path to make again. */
static int signed_rules(struct apply *a, const char *on, uint32_t ni, const struct chg *c,
			size_t n, struct nrs *r, unsigned nr)
{
	if (!a->n3 && ovl_head(a->o, ni)->nrrsets == 0)
		return stop(a, 0, "%s: a name made or deleted in a signed zone", on);
	const struct snap_rrset *cur = rrsets_of(a->o, ni);
	unsigned ncur = ovl_head(a->o, ni)->nrrsets;
	static const uint16_t kept[] = { RR_NSEC, RR_NS, RR_NSEC3 };
	for (size_t t = 0; t < (a->n3 ? 1 : sizeof kept / sizeof *kept); t++)
		if ((snap_rrset_in(cur, ncur, kept[t]) != NULL) != (nrs_in(r, nr, kept[t]) != NULL))
			return stop(a, 0, "%s: an NSEC, NSEC3 or NS RRset made or deleted in a "
				    "signed zone", on);
	bool ds = false;
	for (size_t k = 0; k < n; k++)
		ds |= c[k].type == RR_DS;
	struct nrs *ns = nrs_in(r, nr, RR_NS);
	if (ds && ns && (ovl_head(a->o, ni)->flags & SNAP_N_CUT))
		return unkeep(a, ns);
	return 0;
}

/* Do the RRsets r (n) hold only types t0 and t1? */
static bool only(const struct nrs *r, unsigned n, uint16_t t0, uint16_t t1)
{
	for (unsigned k = 0; k < n; k++)
		if (r[k].e.type != t0 && r[k].e.type != t1)
			return false;
	return true;
}

/* A signed zone's name made (ni SNAP_NONE) or left without RRsets (nr
 * 0): declined in zones signed with NSEC.  In NSEC3 zones the chain's
 * edits follow (ovl_nsec3.c), but below a cut, where only addresses are
 * made (glue; other occluded data is declined). */
static int signed_names(struct apply *a, const char *on, const uint8_t *name, uint32_t ni,
			const struct nrs *r, unsigned nr)
{
	if (!a->n3)
		return stop(a, 0, "%s: a name made or deleted in a signed zone", on);
	if (ni != SNAP_NONE)
		return 0;
	uint32_t ce;
	snap_find(a->s, name, &ce);
	if ((ovl_head(a->o, ce)->flags & (SNAP_N_CUT | SNAP_N_OCCLUDED)) && !only(r, nr, RR_A, RR_AAAA))
		return stop(a, 0, "%s: data other than addresses made below a cut", on);
	return 0;
}

/* The signatures of r (an RRset of the owner's new version): those over
 * its type before (old, may be NULL) less the RRSIG deletions, with the
 * additions (sg: the owner's RRSIG changes, ns), sorted canonically,
 * their TTL the lowest (zone_finish evens RRSIG TTLs out per covered
 * type, RFC 4034 §3).  r is written again when they change. */
static int new_sigs(struct apply *a, const char *on, const struct snap_rrset *old,
		    const struct chg *sg, size_t ns, struct nrs *r)
{
	uint16_t type = r->e.type, st = RR_RRSIG;
	size_t n = 0;
	for (size_t k = 0; k < ns; k++)
		n += covered(&sg[k]) == type;
	if (n == 0 && (r->keep || !old || !old->nsigs))
		return 0;
	if (unkeep(a, r))
		return -1;
	free(r->sig);
	r->sig = NULL;
	unsigned have = old ? old->nsigs : 0, cnt = have;
	const uint8_t **v = malloc((have + n + 1) * sizeof *v);
	if (!v)
		return oom(a);
	const uint8_t *p = have ? a->o->img + snap_rrset_sigs(old) : NULL;
	for (unsigned j = 0; j < have; j++, p += 2u + u16(p))
		v[j] = p;
	uint32_t ttl = UINT32_MAX;
	for (size_t k = 0; k < ns; k++) {
		if (covered(&sg[k]) != type)
			continue;
		long at = find_ent(v, cnt, st, sg[k].ent);
		if (sg[k].add != (at < 0)) {
			free(v);
			return stop(a, -1, "%s: %s RRSIG record %s", on, sg[k].add ? "added" : "deleted",
				    sg[k].add ? "already present" : "not present");
		}
		if (sg[k].add) {
			v[cnt++] = sg[k].ent;
			ttl = sg[k].ttl < ttl ? sg[k].ttl : ttl;
		} else {
			v[at] = v[--cnt];
		}
	}
	bool kept_old = false;
	for (unsigned j = 0; j < cnt && !kept_old; j++)
		kept_old = v[j] >= a->o->img && v[j] < a->o->img + a->o->size;
	if (kept_old && old->sig_ttl < ttl)
		ttl = old->sig_ttl;
	qsort_r(v, cnt, sizeof *v, ent_cmp, &st);
	r->sig = v;
	r->e.nsigs = (uint16_t)cnt;
	r->e.sig_ttl = cnt ? ttl : 0;
	return cnt > ZONE_RRSET_MAX ? stop(a, 0, "%s: too many RRSIGs", on) : 0;
}

/* Signed zones: the new RRsets r (nr) of node ni get their signatures
 * (sg: the owner's RRSIG changes, ns).  Declined where signatures would be
 * left without the RRset they cover (a synthetic RRSIG RRset, which
 * overlays do not make), or are so already. */
static int sign_rrsets(struct apply *a, const char *on, uint32_t ni, const struct chg *sg,
		       size_t ns, struct nrs *r, unsigned nr)
{
	const struct snap_rrset *cur = ni == SNAP_NONE ? NULL : rrsets_of(a->o, ni);
	unsigned ncur = ni == SNAP_NONE ? 0 : ovl_head(a->o, ni)->nrrsets;
	for (unsigned k = 0; k < ncur; k++) {
		if (cur[k].type == RR_RRSIG)
			return stop(a, 0, "%s: RRSIGs without their RRset", on);
		if (!cur[k].nsigs || nrs_in(r, nr, cur[k].type))
			continue;
		unsigned dels = 0;	/* an RRset deleted: its signatures with it */
		for (size_t j = 0; j < ns; j++)
			dels += covered(&sg[j]) == cur[k].type && !sg[j].add;
		if (dels != cur[k].nsigs)
			return stop(a, 0, "%s: RRSIGs left without their RRset", on);
	}
	for (size_t j = 0; j < ns; j++)
		if (sg[j].add && !nrs_in(r, nr, covered(&sg[j])))
			return stop(a, 0, "%s: RRSIGs without their RRset", on);
	for (unsigned k = 0; k < nr; k++)
		if (new_sigs(a, on, snap_rrset_in(cur, ncur, r[k].e.type), sg, ns, &r[k]))
			return -1;
	return 0;
}

/* zone_finish's checks a change can break at one name (zones/zone.c):
 * declined, for the full compile to report them. */
static int check_name_rules(struct apply *a, const char *on, bool apex, const struct nrs *r,
			    unsigned n)
{
	bool soa = false, ns = false, key = false;
	unsigned other = 0;	/* RRsets that may not sit beside a CNAME */
	for (unsigned k = 0; k < n; k++)
		other += r[k].e.type != RR_CNAME && !rrtype_cname_ok(r[k].e.type);
	for (unsigned k = 0; k < n; k++) {
		uint16_t t = r[k].e.type;
		if (t == RR_CNAME && (other || r[k].e.count > 1))
			return stop(a, 0, "%s: CNAME beside other data", on);
		if (t == RR_SOA && (!apex || r[k].e.count != 1))
			return stop(a, 0, "%s: SOA off the apex or not one", on);
		soa |= t == RR_SOA;
		ns |= t == RR_NS;
		key |= t == RR_DNSKEY;
		/* RFC 6672 §2.4: one DNAME record at a name (zone.c's
		 * check_name; beside a CNAME it is other data, above) */
		if (t == RR_DNAME && r[k].e.count > 1)
			return stop(a, 0, "%s: more than one DNAME record", on);
	}
	if (apex && (!soa || !ns))
		return stop(a, 0, "%s: the apex without SOA or NS", on);
	/* the zone stays signed (SNAP_F_SIGNED, signed_zone) */
	if (apex && a->sig && !key)
		return stop(a, 0, "%s: the apex left without DNSKEY", on);
	if (n > UINT16_MAX)
		return stop(a, 0, "%s: too many RRsets", on);
	return 0;
}

/* What the owner's changes touch that other names depend on: addresses
 * (pre-encoded answers holding them, glue), NS targets (glue). */
static int note_owner(struct apply *a, uint32_t ni, const struct chg *c, size_t n)
{
	const uint8_t *origin = a->o->img + ovl_hdr(a->o)->origin;
	bool addr = false;
	for (size_t k = 0; k < n; k++) {
		uint16_t t = c[k].type == RR_RRSIG ? covered(&c[k]) : c[k].type;
		addr |= t == RR_A || t == RR_AAAA;	/* RRSIGs: answers with DNSSEC */
		if (c[k].type == RR_NS && c[k].add && dname_in(c[k].ent + 2, origin) &&
		    !push_ptr(&a->glue, c[k].ent + 2))
			return oom(a);
		int skip = rrtype_addl_at(c[k].type);
		if (c[k].add && skip >= 0 && ni != SNAP_NONE && dname_in(c[k].ent + 2 + skip, origin) &&
		    !ovl_xref_add(a->o, (uint32_t)dname_hash(c[k].ent + 2 + skip), ni))
			return oom(a);
	}
	if (addr && ni != SNAP_NONE && !push_ptr(&a->addr, name_of(a->o, ni)))
		return oom(a);
	return 0;
}

/* NSEC-signed zones: ovl_nsec_owner's rule for node ni (SNAP_NONE: a
 * name made) with the new RRsets r (nr). */
static int nsec_owner(struct apply *a, const char *on, uint32_t ni, const struct nrs *r,
		      unsigned nr)
{
	bool nsec = false;
	for (unsigned k = 0; k < nr; k++)
		nsec |= r[k].e.type == RR_NSEC;
	const char *why = ovl_nsec_owner(ni, nsec);
	return why ? stop(a, 0, "%s: %s", on, why) : 0;
}

/* The changes c[0..n) of one owner. */
static int apply_owner(struct apply *a, const struct chg *c, size_t n)
{
	char on[DNAME_TEXT_MAX];
	dname_to_text(on, sizeof on, c[0].owner);
	uint32_t ni = lookup(a, c[0].owner);
	unsigned ncur = ni == SNAP_NONE ? 0 : ovl_head(a->o, ni)->nrrsets, nr = 0;
	struct nrs *r = calloc(ncur + n + 1, sizeof *r);
	if (!r)
		return oom(a);
	/* the RRSIG changes (one run: c is sorted by type) are not an RRset
	 * of their own: they go with the RRsets they cover */
	size_t s0 = 0, ns = 0;
	while (s0 < n && c[s0].type < RR_RRSIG)
		s0++;
	while (s0 + ns < n && c[s0 + ns].type == RR_RRSIG)
		ns++;
	struct chg *cc = malloc((n + 1) * sizeof *cc);
	if (!cc) {
		free(r);
		return oom(a);
	}
	memcpy(cc, c, s0 * sizeof *cc);
	memcpy(cc + s0, c + s0 + ns, (n - s0 - ns) * sizeof *cc);
	int rc = new_rrsets(a, on, ni, cc, n - ns, r, &nr);
	if (rc == 0)
		rc = check_name_rules(a, on, ni == 0, r, nr);
	if (rc == 0 && a->nsec)		/* NSEC-signed zones: ovl_nsec.h */
		rc = nsec_owner(a, on, ni, r, nr) ? -1 : 0;
	else if (rc == 0 && a->sig && (ni == SNAP_NONE || nr == 0))
		rc = signed_names(a, on, c[0].owner, ni, r, nr);
	else if (rc == 0 && a->sig)
		rc = signed_rules(a, on, ni, c, n, r, nr);
	if (rc == 0 && a->sig)
		rc = sign_rrsets(a, on, ni, c + s0, ns, r, nr);
	uint32_t x0 = a->n3c && ni != SNAP_NONE ? n3ch_entry_of(a->n3c, ni) : SNAP_NONE;
	free(cc);
	if (rc == 0) {
		if (ni == SNAP_NONE)
			rc = create(a, c[0].owner, r, nr);
		else if (nr || ovl_has_desc(a->o, ni))
			rc = rewrite(a, ni, r, nr);
		else
			rc = delete_node(a, ni);
	}
	if (rc == 0)
		rc = note_owner(a, ni == SNAP_NONE ? lookup(a, c[0].owner) : ni, c, n);
	if (rc == 0 && a->n3c &&
	    !n3ch_owner(a->n3c, ni == SNAP_NONE ? lookup(a, c[0].owner) : ni, x0))
		rc = oom(a);
	free_nrs(r, nr);
	return rc;
}

/* --------------------------------------- facts of other names it changes */

/* The live nodes below a node, collected. */
struct coll {
	struct ovl_buf v;	/* uint32_t */
	bool oom;
};

static bool collect(void *ud, uint32_t d)
{
	struct coll *c = ud;
	if (c->v.len / 4 >= OVL_REWRITE_MAX)
		return false;
	c->oom |= !ovl_buf_add(&c->v, &d, sizeof d);
	return !c->oom;
}

static int by_labels(const void *x, const void *y, void *ud)
{
	const struct ovl *o = ud;
	unsigned a = ovl_head(o, *(const uint32_t *)x)->labels;
	unsigned b = ovl_head(o, *(const uint32_t *)y)->labels;
	return (a > b) - (a < b);
}

/* The names below node x, whose cut status changed: OCCLUDED and cut made
 * again from their parents', top down (make_nodes' rule). */
static int recut_below(struct apply *a, uint32_t x)
{
	struct ovl *o = a->o;
	struct coll c = { 0 };
	ovl_below(o, x, collect, &c);
	uint32_t *v = (uint32_t *)c.v.p;
	size_t n = c.v.len / 4;
	int rc = c.oom ? oom(a) : n >= OVL_REWRITE_MAX ? stop(a, 0, "a cut over too many names") : 0;
	if (rc == 0 && n)
		qsort_r(v, n, sizeof *v, by_labels, o);
	for (size_t k = 0; rc == 0 && k < n; k++) {
		const struct snap_block *bh = ovl_head(o, v[k]);
		const struct snap_node *nd = ovl_node(o, v[k]);
		uint32_t tf = bh->flags & (SNAP_N_CNAME | SNAP_N_DNAME | SNAP_N_ENT);
		for (unsigned j = 0; j < bh->nrrsets; j++)
			tf |= rrsets_of(o, v[k])[j].type == RR_NS ? SNAP_N_CUT : 0;
		uint32_t cut, f = node_flags(o, v[k], nd->parent, name_of(o, v[k]), tf,
					     bh->flags & SNAP_N_WILD_CHILD, &cut);
		/* a cut again (occluded since the base: its referral, if
		 * it has one, may hold what changed meanwhile) without it */
		bool recut = (f & SNAP_N_CUT) && !(bh->flags & SNAP_N_CUT);
		if (f != bh->flags || cut != nd->cut)
			rc = copy_block(a, v[k], f, cut, recut ? RR_NS : 0);
		/* NSEC3: occluded names have no link, others may (the chain's
		 * edits look at it) */
		if (rc == 0 && (f != bh->flags || cut != nd->cut) && a->n3c &&
		    !n3ch_name(a->n3c, v[k]))
			rc = oom(a);
		/* now at or below a cut: glue rules apply to it */
		if (rc == 0 && (f & (SNAP_N_CUT | SNAP_N_OCCLUDED)) && !push_ptr(&a->glue, name_of(o, v[k])))
			rc = oom(a);
	}
	free(c.v.p);
	return rc;
}

static int recut(struct apply *a)
{
	const uint32_t *v = (const uint32_t *)a->cuts.p;
	for (size_t k = 0; k < a->cuts.len / 4; k++) {
		if (deleted(a->o, v[k]))
			continue;
		if ((ovl_head(a->o, v[k])->flags & SNAP_N_CUT) &&
		    !push_ptr(&a->glue, name_of(a->o, v[k])))
			return oom(a);
		if (recut_below(a, v[k]))
			return -1;
	}
	return 0;
}

/* The nodes that may point at a name (candidates: same hash). */
struct refs {
	struct ovl_buf b;
	uint32_t *v;
	size_t n;
	bool many;		/* out of memory, or past OVL_REWRITE_MAX */
};

static void add_ref(void *ud, uint32_t node)
{
	struct refs *r = ud;
	if (r->b.len / 4 >= OVL_REWRITE_MAX || !ovl_buf_add(&r->b, &node, sizeof node))
		r->many = true;
	r->v = (uint32_t *)r->b.p;
	r->n = r->b.len / 4;
}

/* Does node i's RRset of type t (NS, MX or SRV) name name?  *pre: one
 * that does has a pre-encoded answer. */
static bool names_it(const struct ovl *o, uint32_t i, uint16_t t, const uint8_t *name, bool *pre)
{
	const struct snap_rrset *r = snap_rrset_in(rrsets_of(o, i), ovl_head(o, i)->nrrsets, t);
	if (!r)
		return false;
	const uint8_t *p = o->img + r->rdata;
	for (unsigned j = 0; j < r->count; j++, p += 2u + u16(p))
		if (dname_eq(p + 2 + rrtype_addl_at(t), name)) {
			*pre = r->resp != 0;
			return true;
		}
	return false;
}

/* The pre-encoded answers (MX, SRV, NS: their additional section) and
 * referrals that hold the addresses of name, whose addresses or existence
 * changed: their owners rewritten without them. */
static int unprecode(struct apply *a, const uint8_t *name)
{
	struct refs r = { .n = 0 };
	ovl_refs(a->o, (uint32_t)dname_hash(name), add_ref, &r);
	static const uint16_t types[] = { RR_NS, RR_MX, RR_SRV };
	int rc = r.many ? stop(a, 0, "an address too many answers hold changed") : 0;
	for (size_t k = 0; rc == 0 && k < r.n; k++) {
		for (size_t t = 0; rc == 0 && t < 3; t++) {
			bool pre = false;
			if (deleted(a->o, r.v[k]) || !names_it(a->o, r.v[k], types[t], name, &pre) ||
			    !pre)
				continue;
			const struct snap_node *nd = ovl_node(a->o, r.v[k]);
			rc = copy_block(a, r.v[k], ovl_head(a->o, r.v[k])->flags, nd->cut, types[t]);
		}
	}
	free(r.b.p);
	return rc;
}

/* zone_finish's glue rule (check_glue, zones/zone.c): an NS target at or
 * below a zone cut has an address.  name: a name whose addresses went,
 * that came under a cut, or an added NS record's target. */
static int check_glue(struct apply *a, const uint8_t *name)
{
	const struct ovl *o = a->o;
	uint32_t ni = lookup(a, name);
	if (ni != SNAP_NONE) {
		const struct snap_rrset *r = rrsets_of(o, ni);
		unsigned n = ovl_head(o, ni)->nrrsets;
		if (snap_rrset_in(r, n, RR_A) || snap_rrset_in(r, n, RR_AAAA))
			return 0;
	}
	bool cut = false;
	const uint8_t *origin = o->img + ovl_hdr(o)->origin;
	for (const uint8_t *s = name; *s && !dname_eq(s, origin) && !cut; s += *s + 1) {
		uint32_t x = lookup(a, s);
		cut = x != SNAP_NONE &&
		      snap_rrset_in(rrsets_of(o, x), ovl_head(o, x)->nrrsets, RR_NS) != NULL;
	}
	if (!cut)
		return 0;
	struct refs r = { .n = 0 };
	ovl_refs(o, (uint32_t)dname_hash(name), add_ref, &r);
	bool pre, named = r.many;
	for (size_t k = 0; k < r.n && !named; k++)
		named = !deleted(o, r.v[k]) && names_it(o, r.v[k], RR_NS, name, &pre);
	free(r.b.p);
	if (!named)
		return 0;
	char tn[DNAME_TEXT_MAX];
	dname_to_text(tn, sizeof tn, name);
	return stop(a, 0, "NS target %s under a cut without glue", tn);
}

/* NSEC3 zones: cut i's pre-encoded referral dropped (its proof of no DS
 * names an entry the chain's edits changed). */
static int drop_referral(void *ud, uint32_t i)
{
	struct apply *a = ud;
	return copy_block(a, i, ovl_head(a->o, i)->flags, ovl_node(a->o, i)->cut, RR_NS);
}

/* NSEC3 zones: the chain's edits (ovl_nsec3.c). */
static int chain(struct apply *a)
{
	char why[160] = "";
	if (!a->n3c || n3ch_finish(a->n3c, drop_referral, a, why, sizeof why) == 0)
		return 0;
	return why[0] ? stop(a, 0, "%s", why) : -1;	/* else a drop stopped */
}

static int for_names(struct apply *a, const struct ovl_buf *b,
		     int (*fn)(struct apply *a, const uint8_t *name))
{
	const uint8_t *const *v = (const uint8_t *const *)b->p;
	for (size_t k = 0; k < b->len / sizeof *v; k++)
		if (fn(a, v[k]))
			return -1;
	return 0;
}

/* ------------------------------------------------------------ the header */

/* The header's facts from the new apex (apex_facts, zones/compile.c) and
 * the overlay's sizes; its checksum. */
static int finish_header(struct apply *a)
{
	struct ovl *o = a->o;
	if (o->size % 8 && !ovl_reserve(o, 4))
		return stop(a, 0, "the overlay is full: a compaction is due");
	struct snap_header h = *ovl_hdr(o);
	const struct snap_node *an = ovl_node(o, 0);
	uint32_t aroff = snap_node_rrset_off(o->img, an);
	const struct snap_rrset *r = (const struct snap_rrset *)(o->img + aroff);
	unsigned n = snap_node_head(o->img, an)->nrrsets;
	for (unsigned j = 0; j < n; j++)
		if (r[j].type == RR_SOA)
			h.soa = aroff + j * (uint32_t)sizeof *r;
	const struct snap_rrset *soa = (const struct snap_rrset *)(o->img + h.soa);
	const uint8_t *srd = o->img + soa->rdata + 2;
	size_t slen = u16(o->img + soa->rdata);
	h.serial = u32(srd + slen - 20);
	uint32_t minimum = u32(srd + slen - 4);
	h.neg_ttl = soa->ttl < minimum ? soa->ttl : minimum;
	h.origin = an->name;
	h.nrrsets = (uint32_t)((int64_t)h.nrrsets + a->drr);
	h.image_size = o->size;
	h.data_size = (uint32_t)(o->size - h.data);
	h.base_size = (uint32_t)o->base_size;
	h.header_checksum = 0;
	h.header_checksum = snap_checksum(&h, sizeof h);
	return ovl_put(o, 0, &h, sizeof h) ? 0 : oom(a);
}

/* ------------------------------------------------------------ the change */

/* A signed zone whose changes overlays can follow: signed with keys at
 * the apex (SNAP_F_SIGNED then stays as it is: the DNSKEY RRset may
 * change, not go), its names those of its base but with NSEC3 (the
 * chain's edits, ovl_nsec3.c) or NSEC (ovl_nsec.h). */
static int signed_zone(struct apply *a)
{
	const struct snap_header *h = ovl_hdr(a->o);
	if (!(h->flags & (SNAP_F_SIGNED | SNAP_F_NSEC | SNAP_F_NSEC3)))
		return 0;
	bool names = h->ndead || h->nsorted != h->nnodes;
	a->nsec = ovl_nsec_zone(h);
	if (!(h->flags & SNAP_F_SIGNED) || (names && !(h->flags & SNAP_F_NSEC3) && !a->nsec) ||
	    !snap_rrset_in(rrsets_of(a->o, 0), ovl_head(a->o, 0)->nrrsets, RR_DNSKEY))
		return stop(a, 0, "a signed zone without keys at its apex, or with names changed");
	a->sig = true;
	a->n3 = (h->flags & SNAP_F_NSEC3) != 0;
	return 0;
}

/* Zones signed with neither chain: no existing name becomes or stops
 * being a cut (names come and go only in NSEC and NSEC3 zones), but for
 * a cut left without NS that was deleted with its glue. */
static int signed_cuts(struct apply *a)
{
	const uint32_t *v = (const uint32_t *)a->cuts.p;
	for (size_t k = 0; k < a->cuts.len / 4; k++)
		if (!deleted(a->o, v[k]))
			return stop(a, 0, "a zone cut made or unmade in a signed zone");
	return 0;
}

/* The NSEC3 records the change adds (the most entries it adds). */
static uint32_t nsec3_added(const struct apply *a)
{
	uint32_t n = 0;
	for (size_t k = 0; k < a->n; k++)
		n += a->c[k].add && a->c[k].type == RR_NSEC3;
	return n;
}

static int apply_all(struct apply *a, const struct zdiff *d)
{
	if (signed_zone(a))
		return -1;
	if (parse_list(a, d->del, d->del_len, d->ndel, false) ||
	    parse_list(a, d->add, d->add_len, d->nadd, true) || check_serials(a, d))
		return -1;
	if (a->n)
		qsort(a->c, a->n, sizeof *a->c, chg_cmp);
	if (a->n3 && !(a->n3c = n3ch_new(a->o, nsec3_added(a))))
		return oom(a);
	for (size_t k = 0, e; k < a->n; k = e) {
		for (e = k + 1; e < a->n && dname_eq(a->c[e].owner, a->c[k].owner); e++)
			;
		if (apply_owner(a, a->c + k, e - k))
			return -1;
	}
	/* NSEC3 zones: the chain's edits after the cuts' (names they occlude
	 * leave it, names they uncover join it) */
	if ((a->sig && !a->nsec && !a->n3 && signed_cuts(a)) || dname_owners(a))
		return -1;
	if (recut(a) || chain(a) || for_names(a, &a->addr, unprecode) ||
	    for_names(a, &a->addr, check_glue) || for_names(a, &a->glue, check_glue))
		return -1;
	a->o->records += (uint64_t)d->nadd - d->ndel;
	return finish_header(a);
}

int ovl_apply(struct ovl *o, const struct zdiff *d, char *err, size_t errcap)
{
	struct apply a = { .o = o, .err = err, .errcap = errcap };
	if (errcap)
		err[0] = 0;
	ovl_begin(o);
	a.c = malloc(((size_t)d->ndel + d->nadd + 1) * sizeof *a.c);
	int rc = a.c && snap_open_validated(o->img, o->size, &a.s) == 0 ? 0 : oom(&a);
	if (rc == 0)
		rc = apply_all(&a, d);
	snap_close(a.s);
	free(a.c);
	free(a.addr.p);
	free(a.glue.p);
	free(a.cuts.p);
	n3ch_free(a.n3c);
	if (rc) {
		ovl_rollback(o);
		return a.rc;
	}
	return 1;
}
