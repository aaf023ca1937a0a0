/*
 * zdapply.c - IXFR steps applied to a served version (zdapply.h).
 *
 * The table holds one entry per record (owner, type, rdata; not TTL: a
 * deletion names a record whatever TTL it gives) that a step touched:
 * whether the image holds it, whether a step deleted the image's copy,
 * and the copy a step added.  The version holds a record when a step
 * added it, or when the image holds it and no step deleted it.  Records
 * compare as the zone does: owners ignoring case, rdata in canonical
 * form (RFC 4034 §6.2), so the hash lowercases every byte it reads.
 * Open addressing, linear probing, at most half full; entries stay.
 */
#include "control/zdapply.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "control/zdfile.h"
#include "zones/dname.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap.h"

struct ent {
	const uint8_t *key;	/* a record with this owner, type, rdata */
	const uint8_t *add;	/* the version's copy when a step added it */
	uint64_t h;		/* 0: an empty slot */
	bool in_img;		/* the image holds it */
	bool del_img;		/* ... and a step deleted that copy */
};

struct zda {
	const struct snap *img;
	const uint8_t *origin;
	uint32_t serial;
	const uint8_t *soa;	/* the version's SOA record, NULL: the image's */
	struct ent *t;
	size_t cap, n;
	uint64_t *owners;	/* hashes of the owners in t (0: empty) */
	size_t ocap, on;
};

/* ------------------------------------------------------------ hashing */

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ dname_lc(p[i])) * 0x100000001b3ull;
	return h;
}

static uint64_t owner_hash(const uint8_t *owner)
{
	return dname_hash(owner) | 1;
}

static uint64_t rec_hash(const struct zdf_rec *r)
{
	uint8_t t[2] = { (uint8_t)(r->type >> 8), (uint8_t)r->type };
	uint64_t h = fnv(fnv(0xcbf29ce484222325ull, t, 2), r->rd, r->rdlen);
	return (owner_hash(r->owner) ^ (h * 0x9e3779b97f4a7c15ull)) | 1;
}

static bool same(const struct zdf_rec *a, const struct zdf_rec *b)
{
	return a->type == b->type && dname_eq(a->owner, b->owner) &&
	       rdata_canon_cmp(a->type, a->rd, a->rdlen, b->rd, b->rdlen) == 0;
}

/* The entry of r, or NULL. */
static struct ent *find(const struct zda *a, const struct zdf_rec *r, uint64_t h)
{
	if (!a->cap)
		return NULL;
	for (size_t i = h & (a->cap - 1);; i = (i + 1) & (a->cap - 1)) {
		struct ent *e = &a->t[i];
		struct zdf_rec k;
		if (!e->h)
			return NULL;
		if (e->h == h && (zdf_rec_at(e->key, &k), same(&k, r)))
			return e;
	}
}

static bool owners_has(const struct zda *a, uint64_t oh)
{
	if (!a->ocap)
		return false;
	for (size_t i = oh & (a->ocap - 1); a->owners[i]; i = (i + 1) & (a->ocap - 1))
		if (a->owners[i] == oh)
			return true;
	return false;
}

static bool owners_add(struct zda *a, uint64_t oh)
{
	if (owners_has(a, oh))
		return true;
	if (2 * (a->on + 1) > a->ocap) {
		size_t cap = a->ocap ? 2 * a->ocap : 64;
		uint64_t *v = calloc(cap, sizeof *v);
		if (!v)
			return false;
		for (size_t i = 0; i < a->ocap; i++)
			if (a->owners[i]) {
				size_t k = a->owners[i] & (cap - 1);
				while (v[k])
					k = (k + 1) & (cap - 1);
				v[k] = a->owners[i];
			}
		free(a->owners);
		a->owners = v;
		a->ocap = cap;
	}
	size_t k = oh & (a->ocap - 1);
	while (a->owners[k])
		k = (k + 1) & (a->ocap - 1);
	a->owners[k] = oh;
	a->on++;
	return true;
}

static bool grow(struct zda *a)
{
	size_t cap = a->cap ? 2 * a->cap : 256;
	struct ent *v = calloc(cap, sizeof *v);
	if (!v)
		return false;
	for (size_t i = 0; i < a->cap; i++)
		if (a->t[i].h) {
			size_t k = a->t[i].h & (cap - 1);
			while (v[k].h)
				k = (k + 1) & (cap - 1);
			v[k] = a->t[i];
		}
	free(a->t);
	a->t = v;
	a->cap = cap;
	return true;
}

/* ------------------------------------------------------- the image */

/* Whether n entries (2-byte RDLENGTH, RDATA) at p hold r's rdata. */
static bool entries_hold(const uint8_t *p, unsigned n, const struct zdf_rec *r)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
		if (rdata_canon_cmp(r->type, p + 2, len, r->rd, r->rdlen) == 0)
			return true;
		p += 2 + len;
	}
	return false;
}

/* Whether the image holds r (an RRSIG among the signatures of the RRset
 * it covers, or among the stray ones). */
static bool image_holds(const struct snap *s, const struct zdf_rec *r)
{
	uint32_t node;
	if (!snap_find(s, r->owner, &node))
		return false;
	const struct snap_node *n = &snap_nodes(s)[node];
	const struct snap_rrset *rs = snap_node_rrsets(s, n);
	unsigned nr = snap_node_nrrsets(snap_base(s), n);
	if (r->type != RR_RRSIG) {
		const struct snap_rrset *x = snap_rrset_in(rs, nr, r->type);
		return x && entries_hold(snap_at(s, x->rdata), x->count, r);
	}
	if (r->rdlen < 2)
		return false;
	const struct snap_rrset *cov = snap_rrset_in(rs, nr, (uint16_t)(r->rd[0] << 8 | r->rd[1]));
	const struct snap_rrset *stray = snap_rrset_in(rs, nr, RR_RRSIG);
	return (cov && entries_hold(snap_at(s, snap_rrset_sigs(cov)), cov->nsigs, r)) ||
	       (stray && entries_hold(snap_at(s, snap_rrset_sigs(stray)), stray->nsigs, r));
}

/* The entry of the record at p, made when new; NULL when out of memory. */
static struct ent *entry(struct zda *a, const uint8_t *p, const struct zdf_rec *r)
{
	uint64_t h = rec_hash(r);
	struct ent *e = find(a, r, h);
	if (e)
		return e;
	if ((2 * (a->n + 1) > a->cap && !grow(a)) || !owners_add(a, owner_hash(r->owner)))
		return NULL;
	size_t k = h & (a->cap - 1);
	while (a->t[k].h)
		k = (k + 1) & (a->cap - 1);
	e = &a->t[k];
	*e = (struct ent){ .key = p, .h = h, .in_img = image_holds(a->img, r) };
	a->n++;
	return e;
}

/* ------------------------------------------------------- applying */

struct zda *zda_new(const struct snap *s)
{
	struct zda *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->img = s;
	a->origin = snap_origin(s);
	a->serial = snap_hdr(s)->serial;
	return a;
}

void zda_free(struct zda *a)
{
	if (!a)
		return;
	free(a->t);
	free(a->owners);
	free(a);
}

uint32_t zda_serial(const struct zda *a)
{
	return a->serial;
}

static int fail_rec(const struct zdiff *d, const struct zdf_rec *r, const char *fmt,
		    uint32_t serial, char *err, size_t errcap)
{
	static char text[DNAME_TEXT_MAX + 5 * 65536 + 96];
	if (zdf_rec_text(r, text, sizeof text) < 0)
		snprintf(text, sizeof text, "(a record)");
	int k = snprintf(err, errcap, "step %u -> %u ", d->from, d->to);
	if (k >= 0 && (size_t)k < errcap)
		snprintf(err + k, errcap - (size_t)k, fmt, text, serial);
	return -1;
}

/* The SOAs of d: the first record of each list, the only SOAs there. */
static int check_soas(const struct zdiff *d, const uint8_t *origin, char *err, size_t errcap)
{
	const struct { const uint8_t *p; uint32_t n, serial; const char *what; } l[2] = {
		{ d->del, d->ndel, d->from, "deleted" }, { d->add, d->nadd, d->to, "added" } };
	for (int i = 0; i < 2; i++) {
		struct zdf_rec r;
		const uint8_t *p = l[i].n ? zdf_rec_at(l[i].p, &r) : NULL;
		if (!p || r.type != RR_SOA || !dname_eq(r.owner, origin) || r.rdlen < 22 ||
		    (uint32_t)(r.rd[r.rdlen - 20] << 24 | r.rd[r.rdlen - 19] << 16 |
			       r.rd[r.rdlen - 18] << 8 | r.rd[r.rdlen - 17]) != l[i].serial) {
			snprintf(err, errcap, "step %u -> %u: the first record %s is not the SOA "
				 "with serial %u", d->from, d->to, l[i].what, l[i].serial);
			return -1;
		}
		for (uint32_t k = 1; k < l[i].n; k++) {
			p = zdf_rec_at(p, &r);
			if (r.type == RR_SOA) {
				snprintf(err, errcap, "step %u -> %u: a second SOA among the records %s",
					 d->from, d->to, l[i].what);
				return -1;
			}
		}
	}
	return 0;
}

static bool holds(const struct ent *e)
{
	return e->add || (e->in_img && !e->del_img);
}

/* The records of one list of d, deleted or added. */
static int apply_list(struct zda *a, const struct zdiff *d, bool del, char *err,
		      size_t errcap)
{
	const uint8_t *p = del ? d->del : d->add;
	uint32_t n = del ? d->ndel : d->nadd;
	for (uint32_t i = 0; i < n; i++) {
		struct zdf_rec r;
		const uint8_t *at = p;
		p = zdf_rec_at(p, &r);
		if (!dname_in(r.owner, a->origin))
			return fail_rec(d, &r, "has %s, which is not in the zone", 0, err, errcap);
		struct ent *e = entry(a, at, &r);
		if (!e) {
			snprintf(err, errcap, "out of memory applying the IXFR");
			return -1;
		}
		if (del && !holds(e))
			return fail_rec(d, &r, "deletes %s, which serial %u does not hold",
					d->from, err, errcap);
		if (!del && holds(e))
			return fail_rec(d, &r, "adds %s, which serial %u holds already (RFC 1995 "
					"§4: a change is a deletion, then an addition)", d->from, err,
					errcap);
		if (del && e->add)
			e->add = NULL;
		else if (del)
			e->del_img = true;
		else
			e->add = at;
	}
	return 0;
}

int zda_apply(struct zda *a, const struct zdiff *d, char *err, size_t errcap)
{
	if (d->from != a->serial) {
		snprintf(err, errcap, "step %u -> %u does not start at serial %u, the version "
			 "held", d->from, d->to, a->serial);
		return -1;
	}
	if (!rdata_serial_gt(d->to, d->from)) {
		snprintf(err, errcap, "step %u -> %u: the serial does not increase (RFC 1982)",
			 d->from, d->to);
		return -1;
	}
	if (check_soas(d, a->origin, err, errcap) < 0 || apply_list(a, d, true, err, errcap) < 0 ||
	    apply_list(a, d, false, err, errcap) < 0)
		return -1;
	a->serial = d->to;
	a->soa = d->add;
	return 0;
}

/* ------------------------------------------------------- the text */

struct out {
	FILE *f;
	char line[DNAME_TEXT_MAX + 5 * 65536 + 96];
};

static void put_line(struct out *o, const struct zdf_rec *r)
{
	if (zdf_rec_text(r, o->line, sizeof o->line) >= 0)
		fprintf(o->f, "%s\n", o->line);
}

/* n image entries at p, but those deleted (check: the owner has
 * entries). */
static void put_entries(const struct zda *a, struct out *o, const uint8_t *owner,
			uint16_t type, uint32_t ttl, const uint8_t *p, unsigned n, bool check)
{
	for (unsigned i = 0; i < n; i++) {
		struct zdf_rec r = { .owner = owner, .type = type, .ttl = ttl, .rd = p + 2,
				     .rdlen = (uint16_t)(p[0] << 8 | p[1]) };
		p += 2 + r.rdlen;
		const struct ent *e = check ? find(a, &r, rec_hash(&r)) : NULL;
		if (!e || !e->del_img)
			put_line(o, &r);
	}
}

/* The image's records that the version keeps. */
static void put_image(const struct zda *a, struct out *o)
{
	const struct snap *s = a->img;
	const struct snap_node *nodes = snap_nodes(s);
	for (uint32_t i = 0; i < snap_hdr(s)->nnodes; i++) {
		const uint8_t *owner = snap_at(s, nodes[i].name);
		const struct snap_rrset *rs = snap_node_rrsets(s, &nodes[i]);
		unsigned nr = snap_node_nrrsets(snap_base(s), &nodes[i]);
		bool check = owners_has(a, owner_hash(owner));
		for (unsigned k = 0; k < nr; k++) {
			const struct snap_rrset *x = &rs[k];
			if (!(i == snap_hdr(s)->apex && x->type == RR_SOA))
				put_entries(a, o, owner, x->type, x->ttl, snap_at(s, x->rdata),
					    x->count, check);
			put_entries(a, o, owner, RR_RRSIG, x->sig_ttl,
				    snap_at(s, snap_rrset_sigs(x)), x->nsigs, check);
		}
	}
}

int zda_write(const struct zda *a, FILE *f, char *err, size_t errcap)
{
	struct out *o = malloc(sizeof *o);
	if (!o) {
		snprintf(err, errcap, "out of memory writing the zone");
		return -1;
	}
	o->f = f;
	fprintf(f, "$ORIGIN .\n");
	struct zdf_rec r;
	if (a->soa) {
		zdf_rec_at(a->soa, &r);
		put_line(o, &r);
	} else {
		const struct snap *s = a->img;
		const struct snap_rrset *x =
			(const struct snap_rrset *)snap_at(s, snap_hdr(s)->soa);
		put_entries(a, o, a->origin, RR_SOA, x->ttl, snap_at(s, x->rdata), 1, false);
	}
	put_image(a, o);
	for (size_t i = 0; i < a->cap; i++)
		if (a->t[i].h && a->t[i].add && (zdf_rec_at(a->t[i].add, &r), r.type != RR_SOA))
			put_line(o, &r);
	free(o);
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(err, errcap, "writing the zone: %s", strerror(errno));
		return -1;
	}
	return 0;
}
