/*
 * nsecord.c - the NSEC chain as sorted 8-byte keys (see nsecord.h).
 *
 * The key of a name at or below the apex: its labels below the apex from
 * the most significant one down, each lowercased and followed by a zero
 * octet, the first 8 octets of that read as a big-endian integer (zero
 * padded).  When no label holds a zero octet, comparing these strings
 * byte by byte is RFC 4034 §6.1's order (a label that is a prefix of
 * another ends first, with the zero, and sorts first), so a key that is
 * smaller belongs to a name that is smaller; equal keys decide nothing and
 * the names themselves are compared.
 *
 * The sorted owners are made once per base image (struct ord, shared by
 * every version composed on that base and freed with the last); a
 * version an overlay changed has its delta from them: the positions of
 * the base's owners that own no NSEC now, and the owners the base's
 * owners do not hold, in canonical order.  A version's delta is made from
 * the one before and the nodes whose entries changed since it
 * (nsecord_patch), so a change costs what the overlay holds, not the
 * zone.
 */
#include "zones/nsecord.h"

#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/snap.h"

/* The owners of a base, sorted. */
struct ord {
	uint32_t n;
	uint32_t apex_labels;
	bool keyed;		/* no owner's label below the apex holds a
				   zero octet: the keys order the owners */
	uint64_t *key;		/* n keys, non-decreasing when keyed */
	uint32_t *node;		/* node index of each key's NSEC owner */
	int refs;		/* the versions sharing it */
};

struct nsecord {
	struct ord *b;
	uint32_t *dead;		/* positions in b of owners owning no NSEC now,
				   ascending */
	uint32_t ndead;
	uint32_t *add;		/* nodes owning an NSEC b does not hold, in
				   canonical order */
	uint32_t nadd;
};

/* The key of a name whose labels start at name + lo[i] (lo[0] = 0), nl
 * of them, the last apex_labels the apex's. */
static uint64_t make_key(const uint8_t *name, const uint8_t *lo, unsigned nl,
			 unsigned apex_labels)
{
	uint64_t k = 0;
	unsigned used = 0;
	for (unsigned i = nl - apex_labels; i-- > 0 && used < 8;) {
		const uint8_t *l = name + lo[i];
		for (unsigned j = 1; j <= l[0] && used < 8; j++, used++)
			k |= (uint64_t)dname_lc(l[j]) << (56 - 8 * used);
		used++;		/* the label's terminating zero */
	}
	return k;
}

/* The label offsets of name (lo[], their count returned). */
static unsigned label_offsets(const uint8_t *name, uint8_t lo[DNAME_LABELS_MAX])
{
	unsigned nl = 0;
	for (unsigned o = 0; name[o]; o += name[o] + 1u)
		lo[nl++] = (uint8_t)o;
	return nl;
}

/* Whether the labels below the apex, the first `below` of the nl, are free
 * of zero octets (the key's order needs that of every label, not only of
 * the 8 octets read): their wire bytes, whose length octets are never 0,
 * hold no zero. */
static bool zero_free(const uint8_t *name, const uint8_t *lo, unsigned nl, unsigned below)
{
	size_t end = below < nl ? lo[below] : dname_len(name) - 1;
	return memchr(name, 0, end) == NULL;
}

/* Compares the name of owner node a with name (whose key is k when the
 * index is keyed): the keys first, the names when they tie. */
static int owner_cmp(const struct ord *o, const uint8_t *base, const struct snap_node *nodes,
		     uint32_t at, const uint8_t *name, uint64_t k)
{
	if (o->keyed && o->key[at] != k)
		return o->key[at] < k ? -1 : 1;
	return dname_canon_cmp(base + nodes[o->node[at]].name, name);
}

/* The key of an owner's name; o->keyed cleared when a label below the apex
 * holds a zero octet (the keys then order nothing). */
static uint64_t owner_key(struct ord *o, const uint8_t *name)
{
	uint8_t lo[DNAME_LABELS_MAX];
	unsigned nl = label_offsets(name, lo);
	if (!zero_free(name, lo, nl, nl - o->apex_labels))
		o->keyed = false;
	return make_key(name, lo, nl, o->apex_labels);
}

static int name_cmp(const void *x, const void *y, void *ud)
{
	const struct snap *s = ud;
	const struct snap_node *nodes = snap_nodes(s);
	return dname_canon_cmp(snap_base(s) + nodes[*(const uint32_t *)x].name,
			       snap_base(s) + nodes[*(const uint32_t *)y].name);
}

/* The owners among nodes [from, to), in node order, appended to o.  Each
 * node's block is a cache miss (the blocks are spread over the image):
 * fetched AHEAD nodes ahead, with its RRset entries. */
static void add_owners(struct ord *o, const struct snap *s, uint32_t from, uint32_t to)
{
	enum { AHEAD = 16 };
	const struct snap_node *nodes = snap_nodes(s);
	const uint8_t *base = snap_base(s);
	for (uint32_t i = from; i < to; i++) {
		if (i + AHEAD < to) {
			const uint8_t *b = base + nodes[i + AHEAD].name;
			__builtin_prefetch(b);
			__builtin_prefetch(b + 64);
		}
		if (snap_rrset_of(s, &nodes[i], RR_NSEC)) {
			o->key[o->n] = owner_key(o, base + nodes[i].name);
			o->node[o->n++] = i;
		}
	}
}

/*
 * A composed image's appended owners (o's entries [ns, n), their nodes
 * in no order) sorted and merged into the sorted ones before them: each,
 * from the largest down, finds its place among the sorted ones by binary
 * search and the run after that place moves up at once, so the cost is
 * one move of the sorted owners and m log(n) compares for m appended.
 */
static bool merge_appended(struct ord *o, const struct snap *s, uint32_t ns)
{
	uint32_t m = o->n - ns;
	if (m == 0)
		return true;
	uint32_t *app = malloc((size_t)m * sizeof *app);
	if (!app)
		return false;
	memcpy(app, o->node + ns, (size_t)m * sizeof *app);
	qsort_r(app, m, sizeof *app, name_cmp, (void *)s);
	const uint8_t *base = snap_base(s);
	const struct snap_node *nodes = snap_nodes(s);
	uint32_t hi = ns;	/* sorted owners [0, hi) not yet moved */
	for (uint32_t j = m; j-- > 0;) {
		const uint8_t *name = base + nodes[app[j]].name;
		uint64_t k = owner_key(o, name);
		uint32_t lo = 0, top = hi;	/* the first sorted owner above name */
		while (lo < top) {
			uint32_t mid = lo + (top - lo) / 2;
			if (owner_cmp(o, base, nodes, mid, name, k) < 0)
				lo = mid + 1;
			else
				top = mid;
		}
		memmove(o->key + lo + j + 1, o->key + lo, (size_t)(hi - lo) * sizeof *o->key);
		memmove(o->node + lo + j + 1, o->node + lo, (size_t)(hi - lo) * sizeof *o->node);
		o->key[lo + j] = k;
		o->node[lo + j] = app[j];
		hi = lo;
	}
	free(app);
	return true;
}

static void ord_free(struct ord *o)
{
	if (o && __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(o->key);
		free(o->node);
		free(o);
	}
}

/* The sorted owners of s, or NULL (not NSEC-signed, out of memory). */
static struct ord *ord_make(const struct snap *s)
{
	const struct snap_header *h = snap_hdr(s);
	if (!(h->flags & SNAP_F_NSEC) || (h->flags & SNAP_F_NSEC3))
		return NULL;
	const struct snap_node *nodes = snap_nodes(s);
	struct ord *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->refs = 1;
	o->apex_labels = snap_node_labels(snap_base(s), &nodes[h->apex]);
	o->keyed = true;
	o->key = malloc((size_t)h->nnodes * sizeof *o->key);
	o->node = malloc((size_t)h->nnodes * sizeof *o->node);
	if (!o->key || !o->node)
		goto fail;
	/* nodes [0, nsorted) are in canonical order (deleted ones own no
	 * NSEC), those appended by an overlay after them in none */
	add_owners(o, s, h->apex, h->nsorted);
	for (uint32_t k = 1; o->keyed && k < o->n; k++)
		if (o->key[k] < o->key[k - 1])
			goto fail;	/* not in canonical order: no index */
	uint32_t ns = o->n;
	add_owners(o, s, h->nsorted, h->nnodes);
	if (!merge_appended(o, s, ns) || o->n == 0 || o->node[0] != h->apex)
		goto fail;
	return o;
fail:
	ord_free(o);
	return NULL;
}

struct nsecord *nsecord_make(const struct snap *s)
{
	struct ord *b = ord_make(s);
	struct nsecord *o = b ? calloc(1, sizeof *o) : NULL;
	if (!o) {
		ord_free(b);
		return NULL;
	}
	o->b = b;
	return o;
}

void nsecord_free(struct nsecord *o)
{
	if (o) {
		ord_free(o->b);
		free(o->dead);
		free(o->add);
	}
	free(o);
}

/* The first index in [lo, hi) whose key is > k (or >= k when `ge`). */
static uint32_t bound(const uint64_t *key, uint32_t lo, uint32_t hi, uint64_t k, bool ge)
{
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ge ? key[mid] < k : key[mid] <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The position of the last owner <= name, which is in [lo - 1, hi):
 * those before lo are smaller than name, those from hi on larger (the
 * apex, the first, when none is smaller). */
static uint32_t last_le(const struct ord *o, const struct snap *s, const uint8_t *name,
			uint32_t lo, uint32_t hi)
{
	const uint8_t *base = snap_base(s);
	const struct snap_node *nodes = snap_nodes(s);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dname_canon_cmp(base + nodes[o->node[mid]].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

static bool is_dead(const struct nsecord *o, uint32_t pos)
{
	uint32_t lo = 0, hi = o->ndead;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o->dead[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->ndead && o->dead[lo] == pos;
}

/* The count of the delta's added owners at or before name. */
static uint32_t add_le(const struct nsecord *o, const struct snap *s, const uint8_t *name)
{
	const uint8_t *base = snap_base(s);
	const struct snap_node *nodes = snap_nodes(s);
	uint32_t lo = 0, hi = o->nadd;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dname_canon_cmp(base + nodes[o->add[mid]].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The owner at or before name given pos, the base's last owner <= name:
 * the base's owners that own no NSEC now skipped, the delta's added ones
 * taken in (the apex, at 0, never dies: ovl_nsec.h). */
static uint32_t with_delta(const struct nsecord *o, const struct snap *s, const uint8_t *name,
			   uint32_t pos)
{
	while (pos > 0 && is_dead(o, pos))
		pos--;
	uint32_t node = o->b->node[pos], k = o->nadd ? add_le(o, s, name) : 0;
	if (k == 0)
		return node;
	const uint8_t *base = snap_base(s);
	const struct snap_node *nodes = snap_nodes(s);
	uint32_t a = o->add[k - 1];
	return dname_canon_cmp(base + nodes[a].name, base + nodes[node].name) > 0 ? a : node;
}

bool nsecord_pred(const struct nsecord *d, const struct snap *s, const uint8_t *name,
		  uint32_t *node)
{
	const struct ord *o = d->b;
	uint8_t lab[DNAME_LABELS_MAX];
	unsigned nl = label_offsets(name, lab);
	if (!o->keyed || !zero_free(name, lab, nl, nl - o->apex_labels))
		return false;
	uint64_t k = make_key(name, lab, nl, o->apex_labels);
	/* [eq, gt): the owners whose key equals name's; before eq all are
	 * smaller than name, from gt on all larger.  The apex (key 0, the
	 * only such key) is at index 0 and never larger. */
	uint32_t gt = bound(o->key, 0, o->n, k, false);
	uint32_t eq = bound(o->key, 0, gt, k, true);
	uint32_t pos = last_le(o, s, name, eq, gt);
	*node = d->ndead || d->nadd ? with_delta(d, s, name, pos) : o->node[pos];
	return true;
}

uint32_t nsecord_pred_name(const struct nsecord *d, const struct snap *s, const uint8_t *name)
{
	uint32_t pos = last_le(d->b, s, name, 0, d->b->n);
	return d->ndead || d->nadd ? with_delta(d, s, name, pos) : d->b->node[pos];
}

/* ----------------------------------------------------------- patching */

/* The position in b of owner node i, or SNAP_NONE when b holds it not. */
static uint32_t base_pos(const struct ord *b, const struct snap *s, uint32_t i)
{
	const uint8_t *name = snap_base(s) + snap_nodes(s)[i].name;
	uint32_t pos = last_le(b, s, name, 0, b->n);
	return b->node[pos] == i ? pos : SNAP_NONE;
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* v[0, *n) sorted and each once. */
static void sort_unique(uint32_t *v, uint32_t *n, int (*cmp)(const void *, const void *, void *),
			void *ud)
{
	if (*n == 0)
		return;
	qsort_r(v, *n, sizeof *v, cmp, ud);
	uint32_t u = 1;
	for (uint32_t k = 1; k < *n; k++)
		if (v[k] != v[u - 1])
			v[u++] = v[k];
	*n = u;
}

static int pos_cmp(const void *x, const void *y, void *ud)
{
	(void)ud;
	return u32_cmp(x, y);
}

struct nsecord *nsecord_patch(const struct nsecord *prev, const struct snap *s,
			      const uint32_t *touched, size_t n)
{
	struct nsecord *o = calloc(1, sizeof *o);
	size_t cap = (size_t)prev->ndead + prev->nadd + n + 1;
	if (o) {
		o->dead = malloc(cap * sizeof *o->dead);
		o->add = malloc(cap * sizeof *o->add);
	}
	if (!o || !o->dead || !o->add) {
		nsecord_free(o);
		return NULL;
	}
	__atomic_add_fetch(&prev->b->refs, 1, __ATOMIC_ACQ_REL);
	o->b = prev->b;
	/* the delta before with the touched nodes', then each member
	 * checked: a base owner owning again, a node added owning no more,
	 * leave it */
	for (uint32_t k = 0; k < prev->ndead; k++)
		o->dead[o->ndead++] = prev->dead[k];
	for (uint32_t k = 0; k < prev->nadd; k++)
		o->add[o->nadd++] = prev->add[k];
	const struct snap_node *nodes = snap_nodes(s);
	for (size_t k = 0; k < n; k++) {
		uint32_t i = touched[k];
		bool owns = snap_rrset_of(s, &nodes[i], RR_NSEC) != NULL;
		uint32_t pos = base_pos(o->b, s, i);
		if (pos != SNAP_NONE && !owns)
			o->dead[o->ndead++] = pos;
		else if (pos == SNAP_NONE && owns)
			o->add[o->nadd++] = i;
	}
	uint32_t w = 0;
	for (uint32_t k = 0; k < o->ndead; k++) {
		uint32_t i = o->b->node[o->dead[k]];
		if (!snap_rrset_of(s, &nodes[i], RR_NSEC))
			o->dead[w++] = o->dead[k];
	}
	o->ndead = w;
	w = 0;
	for (uint32_t k = 0; k < o->nadd; k++)
		if (snap_rrset_of(s, &nodes[o->add[k]], RR_NSEC))
			o->add[w++] = o->add[k];
	o->nadd = w;
	sort_unique(o->dead, &o->ndead, pos_cmp, NULL);
	sort_unique(o->add, &o->nadd, name_cmp, (void *)s);
	return o;
}
