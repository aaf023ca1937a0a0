/*
 * ovl_nsec3.c - an overlay change's edits of an NSEC3 zone's chain
 * (ovl_n3.h).  The base's NSEC3 table stays where it is: an owner that
 * leaves the chain marks its entry dead, one that joins gets an entry in
 * the table's extension (struct snap_nsec3x, written anew in the tail by
 * each change that edits it), so every index the image holds stays true.
 * Around the entries, what zones/compile.c derives from the chain is made
 * again for what the change can have changed: nsec3_nodes' links (a name
 * to the entry of its hash; not NSEC3 owners, not occluded names) for the
 * names the change touched and their ancestors, the wildcard entries of
 * the names whose "*." hash an added entry now covers or a dead one
 * covered (found through the overlay's index of them), and the referrals
 * whose precomputed proofs of no DS (RFC 5155 §7.2.7) name a dead entry
 * or the one an added entry split: those lose their pre-encoded referral
 * and the engine's general path writes the proof from the new chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/frag.h"
#include "zones/ovl_int.h"
#include "zones/ovl_n3.h"
#include "zones/rrtype.h"

struct own {
	uint32_t node, old;
};

/* A touched name or an ancestor: its link before and after. */
struct cand {
	uint32_t node, old, link;
};

/* A block of entry x's owner, which a referral's proof may name
 * (zones/frag.h); split: x's span split, which a proof naming x by its
 * entry (the apex's) as the cover of the next closer name too (no second
 * owner) names. */
struct proof {
	uint32_t x, blk;
	bool split;
};

struct n3ch {
	struct ovl *o;
	uint32_t room;		/* entries the change may add */
	uint32_t nodes0;	/* nodes when the change began */
	struct snap_nsec3x *x;	/* the change's extension, once it edits one */
	struct ovl_buf owners;	/* struct own */
	struct ovl_buf dead;	/* uint32_t: entries marked dead */
	struct ovl_buf split;	/* uint32_t: entries an added one split */
	struct ovl_buf added;	/* uint32_t: entries added */
	struct ovl_buf linked;	/* uint32_t: dead entries a name was linked to */
	struct ovl_buf moved;	/* struct proof: entries whose block moved */
	struct ovl_buf names;	/* uint32_t: names a cut made or unmade moved */
	struct ovl_buf below;	/* uint32_t: cuts whose closest provable
				   encloser a name joining the chain may be */
	struct cand *cand;
	size_t ncand;
	char *err;
	size_t errcap;
};

static int fail(struct n3ch *c, const char *why)
{
	if (c->errcap)
		snprintf(c->err, c->errcap, "%s", why);
	return -1;
}

static const struct snap_header *hdr(const struct n3ch *c)
{
	return ovl_hdr(c->o);
}

static bool push32(struct ovl_buf *b, uint32_t v)
{
	return ovl_buf_add(b, &v, sizeof v);
}

static const uint32_t *u32s(const struct ovl_buf *b, size_t *n)
{
	*n = b->len / sizeof(uint32_t);
	return (const uint32_t *)b->p;
}

struct n3ch *n3ch_new(struct ovl *o, uint32_t room)
{
	struct n3ch *c = calloc(1, sizeof *c);
	if (c) {
		c->o = o;
		c->room = room;
		c->nodes0 = ovl_hdr(o)->nnodes;
	}
	return c;
}

void n3ch_free(struct n3ch *c)
{
	if (!c)
		return;
	free(c->owners.p);
	free(c->dead.p);
	free(c->split.p);
	free(c->added.p);
	free(c->linked.p);
	free(c->moved.p);
	free(c->names.p);
	free(c->below.p);
	free(c->cand);
	free(c);
}

uint32_t n3ch_entry_of(const struct n3ch *c, uint32_t i)
{
	const struct snap_header *h = hdr(c);
	if (!(snap_node_flags(c->o->img, ovl_node(c->o, i)) & SNAP_N_NSEC3))
		return SNAP_NONE;
	return snap_nsec3_entry_of(c->o->img, h, i);
}

bool n3ch_owner(struct n3ch *c, uint32_t i, uint32_t old)
{
	struct own w = { i, old };
	return ovl_buf_add(&c->owners, &w, sizeof w);
}

bool n3ch_name(struct n3ch *c, uint32_t i)
{
	return push32(&c->names, i);
}

/* ------------------------------------------------------------ entries */

/* The change's own extension: the version's copied into the tail with
 * room for the entries the change may add, the header pointed at it. */
static struct snap_nsec3x *x_own(struct n3ch *c)
{
	if (c->x)
		return c->x;
	struct ovl *o = c->o;
	const struct snap_header *h = hdr(c);
	const struct snap_nsec3x *old =
		h->nsec3x ? (const struct snap_nsec3x *)(o->img + h->nsec3x) : NULL;
	uint32_t n = old ? old->n : 0, cap = n + c->room + 1;
	size_t size = sizeof(struct snap_nsec3x) + (size_t)cap * (sizeof(struct snap_nsec3) + 4);
	uint32_t off = ovl_reserve(o, size);
	if (!off)
		return NULL;
	struct snap_nsec3x *x = (struct snap_nsec3x *)(o->img + off);
	x->n = n;
	x->cap = cap;
	if (old) {
		memcpy(x->e, old->e, n * sizeof *x->e);
		memcpy(x->e + cap, old->e + old->cap, n * sizeof(uint32_t));
	}
	if (!ovl_put(o, (uint32_t)offsetof(struct snap_header, nsec3x), &off, sizeof off))
		return NULL;
	return c->x = x;
}

/* Writes a 32-bit field (at offset field of struct snap_nsec3) of entry
 * x: in the base's table in place, in the extension in the change's
 * copy. */
static bool set_field(struct n3ch *c, uint32_t x, size_t field, uint32_t v)
{
	const struct snap_header *h = hdr(c);
	if (x < h->nnsec3)
		return ovl_put(c->o, h->nsec3 + x * (uint32_t)sizeof(struct snap_nsec3) +
					     (uint32_t)field, &v, sizeof v);
	struct snap_nsec3x *e = x_own(c);
	if (!e)
		return false;
	memcpy((uint8_t *)&e->e[x - h->nnsec3] + field, &v, sizeof v);
	return true;
}

bool n3ch_set_block(struct n3ch *c, uint32_t x, uint32_t old, uint32_t blk)
{
	struct proof m = { x, old, false };
	return set_field(c, x, offsetof(struct snap_nsec3, block), blk) &&
	       ovl_buf_add(&c->moved, &m, sizeof m);
}

static const struct snap_nsec3 *entry(const struct n3ch *c, uint32_t x)
{
	return snap_nsec3_at(c->o->img, hdr(c), x);
}

/* A new entry (hash, node i), its place in the order: its index. */
static uint32_t add_entry(struct n3ch *c, const uint8_t hash[20], uint32_t i)
{
	struct snap_nsec3x *x = x_own(c);
	if (!x || x->n == x->cap)
		return SNAP_NONE;
	uint32_t k = x->n, *order = (uint32_t *)(x->e + x->cap), at = 0;
	while (at < k && memcmp(x->e[order[at]].hash, hash, 20) < 0)
		at++;
	memmove(order + at + 1, order + at, (k - at) * sizeof *order);
	order[at] = k;
	memcpy(x->e[k].hash, hash, 20);
	x->e[k].node = i;
	x->e[k].wild = SNAP_NONE;
	x->e[k].block = ovl_node(c->o, i)->name - (uint32_t)sizeof(struct snap_block);
	x->n = k + 1;
	return hdr(c)->nnsec3 + k;
}

/* ------------------------------------------------------ the chain's owners */

static bool deleted(const struct ovl *o, uint32_t i)
{
	return (snap_node_flags(o->img, ovl_node(o, i)) & SNAP_N_DELETED) != 0;
}

/* Is one of r's records made with the chain's parameters (the header's
 * hash algorithm, iterations and salt; compile.c's nsec3_matches)? */
static bool matches(const struct snap_header *h, const uint8_t *img, const struct snap_rrset *r)
{
	const uint8_t *p = img + r->rdata;
	for (unsigned j = 0; j < r->count; j++, p += 2u + (p[0] << 8 | p[1])) {
		const uint8_t *rd = p + 2;
		size_t len = (size_t)(p[0] << 8 | p[1]);
		if (len >= 5 && rd[0] == h->nsec3_alg && (rd[2] << 8 | rd[3]) == h->nsec3_iter &&
		    rd[4] == h->nsec3_salt_len && 5u + rd[4] <= len &&
		    memcmp(rd + 5, h->nsec3_salt, rd[4]) == 0)
			return true;
	}
	return false;
}

/* Is node i an owner of the chain (compile.c's nsec3_table: an NSEC3
 * RRset with the chain's parameters, right below the apex, its label a
 * hash)?  Its hash in hash. */
static bool in_chain(const struct n3ch *c, uint32_t i, uint8_t hash[20])
{
	const struct ovl *o = c->o;
	const struct snap_header *h = hdr(c);
	const struct snap_node *n = ovl_node(o, i);
	const struct snap_block *bh = snap_node_head(o->img, n);
	if (deleted(o, i) || !(bh->flags & SNAP_N_NSEC3) || bh->labels != h->origin_labels + 1)
		return false;
	const struct snap_rrset *r = snap_rrset_in(
		(const struct snap_rrset *)(o->img + snap_node_rrset_off(o->img, n)), bh->nrrsets,
		RR_NSEC3);
	if (!r || !matches(h, o->img, r))
		return false;
	return snap_nsec3_label_hash(o->img + n->name, hash);
}

/* The owners that left the chain: their entries dead (first, so that an
 * owner joining takes the place of one leaving in the searches). */
static int kill_left(struct n3ch *c)
{
	size_t n = c->owners.len / sizeof(struct own);
	const struct own *w = (const struct own *)c->owners.p;
	for (size_t k = 0; k < n; k++) {
		uint8_t hash[20];
		if (w[k].old == SNAP_NONE || in_chain(c, w[k].node, hash))
			continue;
		/* every proof below the apex names its entry */
		if (w[k].old == ovl_node(c->o, 0)->nsec3)
			return fail(c, "the apex's NSEC3 record leaves the chain");
		bool linked = entry(c, w[k].old)->wild != SNAP_NONE;
		if (!x_own(c) || !set_field(c, w[k].old, offsetof(struct snap_nsec3, wild), SNAP_N3_DEAD) ||
		    !push32(&c->dead, w[k].old) || (linked && !push32(&c->linked, w[k].old)))
			return fail(c, "out of room or memory for the NSEC3 chain");
	}
	return 0;
}

/* The dead entry of hash, if there is one (an owner that left the chain
 * and comes back: its entry lives again, as no index names it now). */
static uint32_t dead_of(const struct n3ch *c, const uint8_t hash[20])
{
	const struct snap_header *h = hdr(c);
	const struct snap_nsec3 *t = (const struct snap_nsec3 *)(c->o->img + h->nsec3);
	uint32_t lo = 0, hi = h->nnsec3;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (memcmp(t[mid].hash, hash, 20) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->nnsec3 && memcmp(t[lo].hash, hash, 20) == 0)
		return t[lo].wild == SNAP_N3_DEAD ? lo : SNAP_NONE;
	const struct snap_nsec3x *x = h->nsec3x ? (const struct snap_nsec3x *)(c->o->img + h->nsec3x)
						: NULL;
	for (uint32_t k = 0; x && k < x->n; k++)
		if (x->e[k].wild == SNAP_N3_DEAD && memcmp(x->e[k].hash, hash, 20) == 0)
			return h->nnsec3 + k;
	return SNAP_NONE;
}

/* Dead entry x living again for node i. */
static bool revive(struct n3ch *c, uint32_t x, uint32_t i)
{
	uint32_t blk = ovl_node(c->o, i)->name - (uint32_t)sizeof(struct snap_block);
	return set_field(c, x, offsetof(struct snap_nsec3, node), i) &&
	       set_field(c, x, offsetof(struct snap_nsec3, block), blk) &&
	       set_field(c, x, offsetof(struct snap_nsec3, wild), SNAP_NONE);
}

/* The owners that joined the chain: entries added (or dead ones living
 * again), and the entry each split noted (its span now ends at the new
 * one). */
static int add_joined(struct n3ch *c)
{
	size_t n = c->owners.len / sizeof(struct own);
	const struct own *w = (const struct own *)c->owners.p;
	for (size_t k = 0; k < n; k++) {
		uint8_t hash[20];
		if (w[k].old != SNAP_NONE || !in_chain(c, w[k].node, hash))
			continue;
		uint32_t p;
		if (snap_nsec3_search_img(c->o->img, hdr(c), hash, &p))
			return fail(c, "two NSEC3 owners of one hash");
		uint32_t x = dead_of(c, hash);
		bool ok = x != SNAP_NONE ? revive(c, x, w[k].node)
					 : (x = add_entry(c, hash, w[k].node)) != SNAP_NONE;
		if (!ok || (p != SNAP_NONE && !push32(&c->split, p)) || !push32(&c->added, x))
			return fail(c, "out of room or memory for the NSEC3 chain");
	}
	return 0;
}

/* ------------------------------------------------------------- links */

static void hash_of(const struct snap_header *h, const uint8_t *name, uint8_t hash[20])
{
	snap_nsec3_hash(name, h->nsec3_salt, h->nsec3_salt_len, h->nsec3_iter, hash);
}

/* The entry node i is linked to in the new version (nsec3_nodes' rule). */
static uint32_t link_of(const struct n3ch *c, uint32_t i)
{
	const struct ovl *o = c->o;
	if (deleted(o, i) ||
	    (snap_node_flags(o->img, ovl_node(o, i)) & (SNAP_N_NSEC3 | SNAP_N_OCCLUDED)))
		return SNAP_NONE;
	uint8_t hash[20];
	uint32_t x;
	hash_of(hdr(c), o->img + ovl_node(o, i)->name, hash);
	return snap_nsec3_search_img(o->img, hdr(c), hash, &x) ? x : SNAP_NONE;
}

static int cand_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct cand *)a)->node, y = ((const struct cand *)b)->node;
	return (x > y) - (x < y);
}

/* The touched names and their ancestors (the empty non-terminals made
 * or unmade among them), and the names below cuts made or unmade, each
 * once, with their links before and after. */
static int candidates(struct n3ch *c)
{
	size_t n = c->owners.len / sizeof(struct own), nn, cap = 0;
	const struct own *w = (const struct own *)c->owners.p;
	const uint32_t *moved = u32s(&c->names, &nn);
	for (size_t k = 0; k < n + nn; k++)
		for (uint32_t i = k < n ? w[k].node : moved[k - n];; i = ovl_node(c->o, i)->parent) {
			if (c->ncand == cap) {
				cap = cap ? cap * 2 : 64;
				struct cand *v = realloc(c->cand, cap * sizeof *v);
				if (!v)
					return fail(c, "out of memory");
				c->cand = v;
			}
			c->cand[c->ncand++].node = i;
			if (i == 0)
				break;
		}
	if (c->ncand)
		qsort(c->cand, c->ncand, sizeof *c->cand, cand_cmp);
	size_t u = 0;
	for (size_t k = 0; k < c->ncand; k++)
		if (u == 0 || c->cand[u - 1].node != c->cand[k].node)
			c->cand[u++] = c->cand[k];
	c->ncand = u;
	for (size_t k = 0; k < u; k++) {
		c->cand[k].old = ovl_node(c->o, c->cand[k].node)->nsec3;
		c->cand[k].link = link_of(c, c->cand[k].node);
	}
	return 0;
}

static bool cand_has(const struct n3ch *c, uint32_t x, bool before)
{
	for (size_t k = 0; k < c->ncand; k++)
		if ((before ? c->cand[k].old : c->cand[k].link) == x)
			return true;
	return false;
}

/* The pre-encoded referral of cut i that proves it has no DS (its
 * fragment, zones/frag.h), or NULL. */
static const uint8_t *proof_frag(const struct ovl *o, uint32_t i)
{
	const struct snap_node *n = ovl_node(o, i);
	const struct snap_block *bh = snap_node_head(o->img, n);
	if (!(bh->flags & SNAP_N_CUT))
		return NULL;	/* a deleted node is no cut */
	const struct snap_rrset *ns = snap_rrset_in(
		(const struct snap_rrset *)(o->img + snap_node_rrset_off(o->img, n)), bh->nrrsets,
		RR_NS);
	const uint8_t *f = ns && ns->resp ? o->img + ns->rdata + ns->rdata_len : NULL;
	return f && (f[10] & FRAG_F_N3) ? f : NULL;
}

static bool has_proof(const struct ovl *o, uint32_t i)
{
	return proof_frag(o, i) != NULL;
}

struct below {
	struct n3ch *c;
	bool oom;
};

static bool note_below(void *ud, uint32_t d)
{
	struct below *b = ud;
	if (has_proof(b->c->o, d) && !push32(&b->c->below, d))
		b->oom = true;
	return !b->oom;
}

/* What this cannot be sure of: an entry the change deleted that a name
 * it did not touch was linked to, or one it added for such a name (the
 * compiler links every name whose hash has an entry); an empty chain.
 * A name with descendants joining the chain (but a cut, whose names are
 * occluded) may be the closest provable encloser of the cuts below it
 * now (RFC 5155 §7.2.7): their precomputed proofs are noted, to be
 * dropped. */
static int check_links(struct n3ch *c)
{
	size_t n;
	const uint32_t *v = u32s(&c->linked, &n);
	for (size_t k = 0; k < n; k++)
		if (!cand_has(c, v[k], true))
			return fail(c, "an NSEC3 record deleted for a name the change did not touch");
	v = u32s(&c->added, &n);
	for (size_t k = 0; k < n; k++)
		if (!cand_has(c, v[k], false))
			return fail(c, "an NSEC3 record added for a name the change did not touch");
	for (size_t k = 0; k < c->ncand; k++) {
		const struct cand *x = &c->cand[k];
		struct below b = { c, false };
		if (x->old == SNAP_NONE && x->link != SNAP_NONE && x->node < c->nodes0 &&
		    !(snap_node_flags(c->o->img, ovl_node(c->o, x->node)) & SNAP_N_CUT))
			ovl_below(c->o, x->node, note_below, &b);
		if (b.oom)
			return fail(c, "out of memory");
	}
	uint32_t any;
	uint8_t zero[20] = { 0 };
	snap_nsec3_search_img(c->o->img, hdr(c), zero, &any);
	return any == SNAP_NONE ? fail(c, "the NSEC3 chain left empty") : 0;
}

static int write_links(struct n3ch *c)
{
	for (size_t k = 0; k < c->ncand; k++) {
		const struct cand *x = &c->cand[k];
		uint32_t off = hdr(c)->nodes + x->node * (uint32_t)sizeof(struct snap_node) +
			       (uint32_t)offsetof(struct snap_node, nsec3);
		if (x->link != x->old && !ovl_put(c->o, off, &x->link, sizeof x->link))
			return fail(c, "out of memory");
	}
	return 0;
}

/* ---------------------------------------------------- wildcard entries */

struct nodes {
	struct ovl_buf b;	/* uint32_t */
	bool oom;
};

static void add_node(void *ud, uint32_t i)
{
	struct nodes *s = ud;
	s->oom |= !push32(&s->b, i);
}

/* Node i's entry's wildcard entry made again: the entry matching or
 * covering the hash of "*.<i's name>" (nsec3_nodes' rule). */
static int rewild(struct n3ch *c, uint32_t i)
{
	const struct ovl *o = c->o;
	uint32_t e = ovl_node(o, i)->nsec3;
	if (deleted(o, i) || e == SNAP_NONE)
		return 0;
	uint8_t star[DNAME_MAX + 2], hash[20];
	const uint8_t *name = o->img + ovl_node(o, i)->name;
	star[0] = 1;
	star[1] = '*';
	memcpy(star + 2, name, dname_len(name));
	hash_of(hdr(c), star, hash);
	uint32_t w;
	snap_nsec3_search_img(o->img, hdr(c), hash, &w);
	if (entry(c, e)->wild == w)
		return 0;
	return set_field(c, e, offsetof(struct snap_nsec3, wild), w) &&
	       ovl_idx_add(&c->o->wilds, w, i) ? 0 : fail(c, "out of room or memory");
}

/* The wildcard entries of the names linked now, and of those whose
 * wildcard entry was a dead entry or one an added entry split. */
static int rewilds(struct n3ch *c)
{
	struct nodes s = { .oom = false };
	for (size_t k = 0; k < c->ncand; k++)
		add_node(&s, c->cand[k].node);
	const struct ovl_buf *lists[] = { &c->dead, &c->split };
	for (int l = 0; l < 2; l++) {
		size_t n;
		const uint32_t *v = u32s(lists[l], &n);
		for (size_t k = 0; k < n; k++)
			ovl_idx_each(&c->o->wilds, v[k], add_node, &s);
	}
	size_t n;
	const uint32_t *v = u32s(&s.b, &n);
	int rc = s.oom ? fail(c, "out of memory") : 0;
	for (size_t k = 0; rc == 0 && k < n; k++)
		rc = rewild(c, v[k]);
	free(s.b.p);
	return rc;
}

/* --------------------------------------------------------- referrals */

/* Does cut i's pre-encoded referral prove its lack of DS with what p
 * names? */
static bool proves_with(const struct ovl *o, uint32_t i, const struct proof *p)
{
	const uint8_t *f = proof_frag(o, i);
	if (!f)
		return false;
	uint32_t v0 = frag_u32(f, 12), v1 = frag_u32(f, 16);
	return v0 == p->blk || v1 == p->blk ||
	       (p->split && v0 == (p->x << 2 | 1) && v1 == SNAP_NONE);
}

/* The referrals whose proofs name p (listed in the index of targets
 * under the name of the entry's owner): drop(ud, cut). */
static int drop_proving(struct n3ch *c, const struct proof *p,
			int (*drop)(void *ud, uint32_t cut), void *ud)
{
	const uint8_t *owner = c->o->img + ovl_node(c->o, entry(c, p->x)->node)->name;
	struct nodes s = { .oom = false };
	ovl_refs(c->o, (uint32_t)dname_hash(owner), add_node, &s);
	size_t m;
	const uint32_t *cut = u32s(&s.b, &m);
	int rc = s.oom ? fail(c, "out of memory") : 0;
	for (size_t j = 0; rc == 0 && j < m; j++)
		if (proves_with(c->o, cut[j], p) && drop(ud, cut[j]))
			rc = -1;
	free(s.b.p);
	return rc;
}

/* The referrals naming the block of a dead entry or a split one, or the
 * old block of an owner written again, and those below a name joining
 * the chain. */
static int referrals(struct n3ch *c, int (*drop)(void *ud, uint32_t cut), void *ud)
{
	const struct ovl_buf *lists[] = { &c->dead, &c->split };
	for (int l = 0; l < 2; l++) {
		size_t n;
		const uint32_t *v = u32s(lists[l], &n);
		for (size_t k = 0; k < n; k++) {
			struct proof p = { v[k], entry(c, v[k])->block, l == 1 };
			if (drop_proving(c, &p, drop, ud))
				return -1;
		}
	}
	const struct proof *m = (const struct proof *)c->moved.p;
	for (size_t k = 0; k < c->moved.len / sizeof *m; k++)
		if (drop_proving(c, &m[k], drop, ud))
			return -1;
	size_t n;
	const uint32_t *v = u32s(&c->below, &n);
	for (size_t k = 0; k < n; k++)
		if (has_proof(c->o, v[k]) && drop(ud, v[k]))
			return -1;
	return 0;
}

int n3ch_finish(struct n3ch *c, int (*drop)(void *ud, uint32_t cut), void *ud, char *err,
		size_t errcap)
{
	c->err = err;
	c->errcap = errcap;
	if (kill_left(c) || add_joined(c) || candidates(c) || check_links(c) || write_links(c) ||
	    rewilds(c))
		return -1;
	return referrals(c, drop, ud);
}
