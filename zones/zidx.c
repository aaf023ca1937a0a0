/*
 * zidx.c - the zone index, the dataplane's root: a small open-addressing
 * hash of zone apex names mapping a query name to the snapshot that serves
 * it by longest match.  Immutable once built; it does not own the
 * snapshots, so replacing one zone means building a new index around the
 * other zones' unchanged snapshots.
 */
#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/snap.h"

struct zidx_ent {
	uint64_t hash;
	const struct snap *s;	/* NULL = empty slot */
};

/* With a handful of zones (the common case for one server), comparing the
 * query name's tail with each apex is cheaper than hashing every suffix:
 * the apexes, longest (most labels) first, so the first match is the
 * longest one. */
#define ZIDX_LINEAR 8

struct zidx_apex {
	const struct snap *s;
	const uint8_t *name;
	uint8_t len;		/* wire length */
	uint8_t labels;
};

struct zidx {
	uint32_t mask;
	unsigned min_labels, max_labels;	/* of the apexes held */
	struct zidx_ent *tab;
	unsigned napex;		/* > ZIDX_LINEAR: hash lookups only */
	struct zidx_apex apex[ZIDX_LINEAR];
};

static const struct snap *zidx_get(const struct zidx *ix, const uint8_t *name,
				   uint64_t h)
{
	for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
		const struct zidx_ent *e = &ix->tab[i];
		if (!e->s)
			return NULL;
		if (e->hash == h && dname_eq(snap_origin(e->s), name))
			return e->s;
	}
}

struct zidx *zidx_new(struct snap *const *zones, size_t n)
{
	struct zidx *ix = calloc(1, sizeof *ix);
	if (!ix)
		return NULL;
	size_t cap = 4;
	while (cap < 2 * n + 2)
		cap *= 2;
	ix->tab = calloc(cap, sizeof *ix->tab);
	if (!ix->tab) {
		free(ix);
		return NULL;
	}
	ix->mask = (uint32_t)(cap - 1);
	ix->min_labels = DNAME_LABELS_MAX;
	for (size_t k = 0; k < n; k++) {
		const uint8_t *o = snap_origin(zones[k]);
		uint64_t h = dname_hash(o);
		if (zidx_get(ix, o, h))
			continue;	/* same apex twice: the first serves */
		uint32_t i = (uint32_t)h & ix->mask;
		while (ix->tab[i].s)
			i = (i + 1) & ix->mask;
		ix->tab[i] = (struct zidx_ent){ h, zones[k] };
		unsigned l = snap_hdr(zones[k])->origin_labels;
		if (l < ix->min_labels)
			ix->min_labels = l;
		if (l > ix->max_labels)
			ix->max_labels = l;
		if (ix->napex < ZIDX_LINEAR) {
			/* insertion by label count, descending; equal counts
			 * cannot both match one name (different apexes) */
			unsigned j = ix->napex;
			for (; j > 0 && ix->apex[j - 1].labels < l; j--)
				ix->apex[j] = ix->apex[j - 1];
			ix->apex[j] = (struct zidx_apex){ zones[k], o, (uint8_t)dname_len(o),
							  (uint8_t)l };
		}
		ix->napex++;
	}
	return ix;
}

void zidx_free(struct zidx *ix)
{
	if (!ix)
		return;
	free(ix->tab);
	free(ix);
}

const struct snap *zidx_find(const struct zidx *ix, const uint8_t *qname)
{
	unsigned labels = dname_labels(qname);
	const uint8_t *n = qname;
	/* Suffixes longer than the deepest apex cannot match. */
	for (; labels > ix->max_labels; labels--)
		n += *n + 1;
	for (; labels >= ix->min_labels; labels--) {
		const struct snap *s = zidx_get(ix, n, dname_hash(n));
		if (s)
			return s;
		if (labels == 0)
			break;
		n += *n + 1;
	}
	return NULL;
}

/* Case-insensitive equality of n bytes that start at a label boundary in
 * both names: length bytes (< 64) are unchanged by lowercasing, so equal
 * bytes mean equal label structure, as dname_eq would find. */
static bool tail_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (dname_bytes_same(a, b, n))
		return true;	/* the usual case: the zone's own spelling */
	for (size_t k = 0; k < n; k++)
		if (dname_lc(a[k]) != dname_lc(b[k]))
			return false;
	return true;
}

const struct snap *zidx_find_q(const struct zidx *ix, const uint8_t *qname, size_t qlen,
			       const uint8_t *lo, unsigned labels, uint64_t hash)
{
	if (ix->napex <= ZIDX_LINEAR) {
		for (unsigned k = 0; k < ix->napex; k++) {
			const struct zidx_apex *a = &ix->apex[k];
			if (a->labels > labels)
				continue;
			size_t at = a->labels ? lo[labels - a->labels] : qlen - 1;
			if (qlen - at == a->len && tail_eq(qname + at, a->name, a->len))
				return a->s;
		}
		return NULL;
	}
	unsigned l = labels < ix->max_labels ? labels : ix->max_labels;
	for (; l >= ix->min_labels; l--) {
		const uint8_t *n = l ? qname + lo[labels - l] : qname + qlen - 1;
		const struct snap *s = zidx_get(ix, n, l == labels ? hash : dname_hash(n));
		if (s)
			return s;
		if (l == 0)
			break;
	}
	return NULL;
}
