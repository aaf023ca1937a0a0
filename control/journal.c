/*
 * journal.c - differences between served versions of a zone, and IXFR
 * responses from them (journal.h).
 *
 * A difference is found by walking the two images side by side: their
 * nodes are in canonical order (RFC 4034 §6.1), a node's RRsets in type
 * order, an RRset's records and its signatures in canonical rdata order,
 * so one merge pass tells each record deleted, added or kept.  An RRset
 * whose TTL changed is deleted and added whole (RFC 1995 has no other
 * way to say it).  The apex SOA is not part of it: IXFR carries the SOAs
 * around each step.  Records are kept in wire form: owner (uncompressed),
 * type, TTL, RDLENGTH, RDATA (control/zdfile.h).  A secondary that
 * received a step by IXFR records it as it came (jr_add_diff): no walk.
 */
#include "control/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/zdfile.h"
#include "zones/dname.h"
#include "zones/overlay.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap.h"

/* One step: from serial `from` to `to`; SOAs as rdata. */
struct step {
	uint32_t from, to;
	struct zdf_list del, add;
	uint8_t soa_from[512], soa_to[512];
	uint16_t soa_from_len, soa_to_len;
	uint32_t soa_from_ttl, soa_to_ttl;
};

struct journal {
	struct step *v;		/* oldest first */
	size_t n;
	size_t bytes, max_bytes;
};

struct journal *jr_new(size_t max_bytes)
{
	struct journal *j = calloc(1, sizeof *j);
	if (j)
		j->max_bytes = max_bytes;
	return j;
}

static void step_free(struct step *s)
{
	zdf_list_free(&s->del);
	zdf_list_free(&s->add);
}

static size_t step_bytes(const struct step *s)
{
	return sizeof *s + s->del.len + s->add.len;
}

void jr_free(struct journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		step_free(&j->v[i]);
	free(j->v);
	free(j);
}

size_t jr_count(const struct journal *j)
{
	return j->n;
}

size_t jr_bytes(const struct journal *j)
{
	return j->bytes;
}

/* ---- a difference ---- */

/* Record entries (2-byte RDLENGTH + RDATA) of one list of an image. */
struct ents {
	const uint8_t *p;
	unsigned n;
	uint32_t ttl;
};

/* All of e into l. */
static bool put_all(struct zdf_list *l, const uint8_t *owner, uint16_t type, struct ents e)
{
	for (unsigned i = 0; i < e.n; i++) {
		uint16_t len = (uint16_t)(e.p[0] << 8 | e.p[1]);
		if (!zdf_put(l, owner, type, e.ttl, e.p + 2, len))
			return false;
		e.p += 2 + len;
	}
	return true;
}

/* The records of one type at one owner, old against new (both in
 * canonical rdata order, RFC 4034 §6.3). */
static bool diff_ents(struct step *s, const uint8_t *owner, uint16_t type, struct ents o,
		      struct ents n)
{
	if (o.ttl != n.ttl && o.n && n.n)
		return put_all(&s->del, owner, type, o) && put_all(&s->add, owner, type, n);
	while (o.n || n.n) {
		int c;
		uint16_t ol = o.n ? (uint16_t)(o.p[0] << 8 | o.p[1]) : 0;
		uint16_t nl = n.n ? (uint16_t)(n.p[0] << 8 | n.p[1]) : 0;
		if (!o.n)
			c = 1;
		else if (!n.n)
			c = -1;
		else
			c = rdata_canon_cmp(type, o.p + 2, ol, n.p + 2, nl);
		if (c < 0 && !zdf_put(&s->del, owner, type, o.ttl, o.p + 2, ol))
			return false;
		if (c > 0 && !zdf_put(&s->add, owner, type, n.ttl, n.p + 2, nl))
			return false;
		if (c <= 0) {
			o.p += 2 + ol;
			o.n--;
		}
		if (c >= 0) {
			n.p += 2 + nl;
			n.n--;
		}
	}
	return true;
}

static struct ents recs_of(const struct snap *z, const struct snap_rrset *r)
{
	return r ? (struct ents){ snap_at(z, r->rdata), r->count, r->ttl } : (struct ents){ 0 };
}

static struct ents sigs_of(const struct snap *z, const struct snap_rrset *r)
{
	return r ? (struct ents){ snap_at(z, snap_rrset_sigs(r)), r->nsigs, r->sig_ttl }
		 : (struct ents){ 0 };
}

/* One RRset (either side may be NULL), with its signatures; the apex
 * SOA's records are left out (skip). */
static bool diff_rrset(struct step *s, const struct snap *oz, const struct snap_rrset *o,
		       const struct snap *nz, const struct snap_rrset *n, const uint8_t *owner,
		       bool skip_records)
{
	uint16_t type = o ? o->type : n->type;
	if (!skip_records && type != RR_RRSIG &&
	    !diff_ents(s, owner, type, recs_of(oz, o), recs_of(nz, n)))
		return false;
	/* stray signatures sit at the records of a synthetic RRSIG RRset */
	if (type == RR_RRSIG)
		return diff_ents(s, owner, RR_RRSIG, recs_of(oz, o), recs_of(nz, n)) &&
		       diff_ents(s, owner, RR_RRSIG, sigs_of(oz, o), sigs_of(nz, n));
	return diff_ents(s, owner, RR_RRSIG, sigs_of(oz, o), sigs_of(nz, n));
}

/* The RRsets of one node on each side (either may be NULL). */
static bool diff_node(struct step *s, const struct snap *oz, const struct snap_node *o,
		      const struct snap *nz, const struct snap_node *n, bool apex)
{
	const struct snap_rrset *or = o ? snap_node_rrsets(oz, o) : NULL;
	const struct snap_rrset *nr = n ? snap_node_rrsets(nz, n) : NULL;
	unsigned on = o ? snap_node_nrrsets(snap_base(oz), o) : 0;
	unsigned nn = n ? snap_node_nrrsets(snap_base(nz), n) : 0;
	const uint8_t *owner = o ? snap_at(oz, o->name) : snap_at(nz, n->name);
	unsigned i = 0, k = 0;
	while (i < on || k < nn) {
		const struct snap_rrset *a = i < on ? &or[i] : NULL, *b = k < nn ? &nr[k] : NULL;
		if (a && b && a->type != b->type) {
			if (a->type < b->type)
				b = NULL;
			else
				a = NULL;
		}
		uint16_t type = a ? a->type : b->type;
		if (!diff_rrset(s, oz, a, nz, b, owner, apex && type == RR_SOA))
			return false;
		i += a != NULL;
		k += b != NULL;
	}
	return true;
}

/* Walks both node tables in canonical order (a composed image's nodes
 * through ovl_walk: appended ones merged in, deleted ones left out). */
static bool diff_zone(struct step *s, const struct snap *oz, const struct snap *nz)
{
	const struct snap_node *on = snap_nodes(oz), *nn = snap_nodes(nz);
	struct ovl_walk *ow = ovl_walk_new(oz), *nw = ovl_walk_new(nz);
	bool ok = ow && nw;
	uint32_t i = ok ? ovl_walk_next(ow) : SNAP_NONE, k = ok ? ovl_walk_next(nw) : SNAP_NONE;
	while (ok && (i != SNAP_NONE || k != SNAP_NONE)) {
		int c = i == SNAP_NONE ? 1 : k == SNAP_NONE ? -1
				: dname_canon_cmp(snap_at(oz, on[i].name), snap_at(nz, nn[k].name));
		const struct snap_node *a = c <= 0 ? &on[i] : NULL, *b = c >= 0 ? &nn[k] : NULL;
		ok = diff_node(s, oz, a, nz, b, (a ? i : k) == 0);
		if (c <= 0)
			i = ovl_walk_next(ow);
		if (c >= 0)
			k = ovl_walk_next(nw);
	}
	ovl_walk_free(ow);
	ovl_walk_free(nw);
	return ok;
}

/* The apex SOA's TTL and rdata. */
static void soa_of(const struct snap *z, uint8_t *rd, uint16_t *len, uint32_t *ttl)
{
	const struct snap_rrset *r = (const struct snap_rrset *)snap_at(z, snap_hdr(z)->soa);
	const uint8_t *p = snap_at(z, r->rdata);
	uint16_t l = (uint16_t)(p[0] << 8 | p[1]);
	*len = l <= 512 ? l : 0;
	memcpy(rd, p + 2, *len);
	*ttl = r->ttl;
}

static void drop_oldest(struct journal *j, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		j->bytes -= step_bytes(&j->v[i]);
		step_free(&j->v[i]);
	}
	memmove(j->v, j->v + k, (j->n - k) * sizeof *j->v);
	j->n -= k;
}

/* Appends s (taken over: freed here on failure) after the chain's last
 * step, within the bound. */
static int push(struct journal *j, struct step *s)
{
	struct step *v = realloc(j->v, (j->n + 1) * sizeof *v);
	if (!v) {
		step_free(s);
		drop_oldest(j, j->n);
		return -1;
	}
	j->v = v;
	/* a chain broken in the middle leads nowhere: the versions before a
	 * step that does not start where the last one ended go */
	if (j->n && j->v[j->n - 1].to != s->from)
		drop_oldest(j, j->n);
	if (step_bytes(s) > j->max_bytes) {
		step_free(s);
		drop_oldest(j, j->n);
		return 0;
	}
	j->v[j->n++] = *s;
	j->bytes += step_bytes(s);
	size_t k = 0, bytes = j->bytes;
	while (bytes > j->max_bytes && k < j->n - 1)
		bytes -= step_bytes(&j->v[k++]);
	if (k)
		drop_oldest(j, k);
	return 0;
}

int jr_add(struct journal *j, const struct snap *old, const struct snap *cur)
{
	struct step s = { .from = snap_hdr(old)->serial, .to = snap_hdr(cur)->serial };
	soa_of(old, s.soa_from, &s.soa_from_len, &s.soa_from_ttl);
	soa_of(cur, s.soa_to, &s.soa_to_len, &s.soa_to_ttl);
	if (!diff_zone(&s, old, cur)) {
		step_free(&s);
		drop_oldest(j, j->n);
		return -1;
	}
	return push(j, &s);
}

/* One list of a zdiff into l, its SOA into soa/len/ttl. */
static bool take_list(struct zdf_list *l, const uint8_t *p, uint32_t n, uint8_t soa[512],
		      uint16_t *len, uint32_t *ttl)
{
	struct zdf_rec r;
	for (uint32_t i = 0; i < n; i++) {
		p = zdf_rec_at(p, &r);
		if (r.type == RR_SOA && r.rdlen <= 512) {
			memcpy(soa, r.rd, r.rdlen);
			*len = r.rdlen;
			*ttl = r.ttl;
		} else if (!zdf_put(l, r.owner, r.type, r.ttl, r.rd, r.rdlen)) {
			return false;
		}
	}
	return true;
}

int jr_add_diff(struct journal *j, const struct zdiff *d)
{
	struct step s = { .from = d->from, .to = d->to };
	if (!take_list(&s.del, d->del, d->ndel, s.soa_from, &s.soa_from_len, &s.soa_from_ttl) ||
	    !take_list(&s.add, d->add, d->nadd, s.soa_to, &s.soa_to_len, &s.soa_to_ttl)) {
		step_free(&s);
		drop_oldest(j, j->n);
		return -1;
	}
	return push(j, &s);
}

/* ---- text ---- */

static void print_list(const struct zdf_list *l, char sign, void (*line)(void *, const char *),
		       void *ud)
{
	static char text[DNAME_TEXT_MAX + 5 * 65536 + 96];
	const uint8_t *p = l->p;
	struct zdf_rec r;
	for (uint32_t i = 0; i < l->n; i++) {
		p = zdf_rec_at(p, &r);
		text[0] = sign;
		text[1] = ' ';
		if (zdf_rec_text(&r, text + 2, sizeof text - 2) >= 0)
			line(ud, text);
	}
}

void jr_print(const struct journal *j, void (*line)(void *ud, const char *text), void *ud)
{
	char head[128];
	for (size_t i = 0; i < j->n; i++) {
		const struct step *s = &j->v[i];
		snprintf(head, sizeof head, "serial %u -> %u: %u deleted, %u added", s->from, s->to,
			 s->del.n, s->add.n);
		line(ud, head);
		print_list(&s->del, '-', line, ud);
		print_list(&s->add, '+', line, ud);
	}
}

/* ---- IXFR ---- */

static int put_list(struct axm *m, const struct zdf_list *l)
{
	const uint8_t *p = l->p;
	struct zdf_rec r;
	for (uint32_t i = 0; i < l->n; i++) {
		p = zdf_rec_at(p, &r);
		if (axm_put(m, r.owner, r.type, r.ttl, r.rd, r.rdlen) < 0)
			return -1;
	}
	return 0;
}

long jr_write_ixfr(const struct journal *j, uint32_t from, const struct snap *cur,
		   const struct axfr_query *q, size_t msg_max, axfr_emit_fn emit, void *ud,
		   char *err, size_t errcap)
{
	size_t first = 0;
	while (first < j->n && j->v[first].from != from)
		first++;
	uint32_t serial = snap_hdr(cur)->serial;
	if (first == j->n || j->v[j->n - 1].to != serial)
		return -2;
	const uint8_t *apex = snap_at(cur, snap_nodes(cur)[snap_hdr(cur)->apex].name);
	const struct step *last = &j->v[j->n - 1];
	struct axm *m = axm_begin(q, msg_max, emit, ud, err, errcap);
	if (!m)
		return -1;
	bool ok = axm_put(m, apex, RR_SOA, last->soa_to_ttl, last->soa_to, last->soa_to_len) == 0;
	for (size_t i = first; ok && i < j->n; i++) {
		const struct step *s = &j->v[i];
		ok = axm_put(m, apex, RR_SOA, s->soa_from_ttl, s->soa_from, s->soa_from_len) == 0 &&
		     put_list(m, &s->del) == 0 &&
		     axm_put(m, apex, RR_SOA, s->soa_to_ttl, s->soa_to, s->soa_to_len) == 0 &&
		     put_list(m, &s->add) == 0;
	}
	ok = ok && axm_put(m, apex, RR_SOA, last->soa_to_ttl, last->soa_to, last->soa_to_len) == 0;
	return axm_end(m, ok);
}
