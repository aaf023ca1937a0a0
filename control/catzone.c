/*
 * catzone.c - reading a catalog zone (catzone.h, RFC 9432 schema version
 * 2).  The records are collected as they come, in any order (a snapshot
 * walk and a zone file give them differently): the version TXT, the
 * member PTRs at <unique-id>.zones.$CATZ and the group TXT and coo PTR
 * properties below them.  catz_finish then checks what makes a catalog
 * broken and joins each member with its properties.
 */
#include "control/catzone.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/diag.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/zone.h"

enum prop_kind { PROP_GROUP, PROP_COO };

/* A property record below a member node, until it is joined. */
struct prop {
	uint8_t id[64];
	enum prop_kind kind;
	char value[CATZ_NAME_MAX];	/* the group, or the coo target */
};

struct catz {
	uint8_t origin[DNAME_MAX];
	uint8_t zones[DNAME_MAX];	/* zones.$CATZ */
	uint8_t version[DNAME_MAX];	/* version.$CATZ */
	unsigned zones_labels;
	unsigned nversion;		/* version TXT records */
	char version_text[64];		/* the first one's text */
	bool long_name;			/* a name did not fit CATZ_NAME_MAX */
	struct catz_member *m;
	size_t n, cap;
	struct prop *p;
	size_t np, pcap;
};

/* "label" + origin into out (wire); false when too long. */
static bool prepend(uint8_t out[DNAME_MAX], const char *label, const uint8_t *origin)
{
	size_t l = strlen(label), ol = dname_len(origin);
	if (1 + l + ol > DNAME_MAX)
		return false;
	out[0] = (uint8_t)l;
	memcpy(out + 1, label, l);
	memcpy(out + 1 + l, origin, ol);
	return true;
}

struct catz *catz_new(const uint8_t *origin)
{
	struct catz *z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	memcpy(z->origin, origin, dname_len(origin));
	if (!prepend(z->zones, "zones", origin) || !prepend(z->version, "version", origin)) {
		/* no room below the apex: a catalog without members */
		z->zones[0] = 0;
		z->version[0] = 0;
	}
	z->zones_labels = dname_labels(z->zones);
	return z;
}

void catz_free(struct catz *z)
{
	if (!z)
		return;
	free(z->m);
	free(z->p);
	free(z);
}

/* The first label of name, lowercased, into id. */
static void label_of(const uint8_t *name, uint8_t id[64])
{
	memcpy(id, name, 1u + name[0]);
	for (unsigned i = 1; i <= id[0]; i++)
		id[i] = dname_lc(id[i]);
}

static bool label_is(const uint8_t *name, const char *lit)
{
	size_t l = strlen(lit);
	if (name[0] != l)
		return false;
	for (size_t i = 0; i < l; i++)
		if (dname_lc(name[1 + i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/* A name in rdata as lowercase text into out; false when it does not fit. */
static bool name_text(const uint8_t *rdata, uint16_t rdlen, char out[CATZ_NAME_MAX])
{
	uint8_t n[DNAME_MAX];
	int l = dname_check(rdata, rdlen);
	if (l < 0)
		return false;
	memcpy(n, rdata, (size_t)l);
	dname_lower(n);
	return dname_to_text(out, CATZ_NAME_MAX, n) >= 0;
}

/* The character-strings of TXT rdata, joined, into out (cut to cap). */
static void txt_text(const uint8_t *rdata, uint16_t rdlen, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t at = 0; at < rdlen;) {
		size_t l = rdata[at++];
		for (size_t k = 0; k < l && at + k < rdlen && o + 1 < cap; k++)
			out[o++] = (char)rdata[at + k];
		at += l;
	}
	out[o] = 0;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	void *nv = realloc(*v, nc * size);
	if (!nv)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

static int add_member(struct catz *z, const uint8_t *owner, const uint8_t *rdata,
		      uint16_t rdlen)
{
	if (grow((void **)&z->m, &z->cap, z->n, sizeof *z->m) != 0)
		return -1;
	struct catz_member *m = &z->m[z->n];
	memset(m, 0, sizeof *m);
	label_of(owner, m->id);
	if (!name_text(rdata, rdlen, m->zone)) {
		z->long_name = true;
		return 0;
	}
	z->n++;
	return 0;
}

static int add_prop(struct catz *z, const uint8_t *owner, enum prop_kind kind,
		    const uint8_t *rdata, uint16_t rdlen)
{
	if (grow((void **)&z->p, &z->pcap, z->np, sizeof *z->p) != 0)
		return -1;
	struct prop *p = &z->p[z->np];
	memset(p, 0, sizeof *p);
	label_of(dname_parent(owner), p->id);
	p->kind = kind;
	if (kind == PROP_GROUP)
		txt_text(rdata, rdlen, p->value, CATZ_GROUP_MAX);
	else if (!name_text(rdata, rdlen, p->value)) {
		z->long_name = true;
		return 0;
	}
	z->np++;
	return 0;
}

int catz_add(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
	     const uint8_t *rdata, uint16_t rdlen)
{
	struct catz *z = ud;
	(void)ttl;
	if (type != RR_PTR && type != RR_TXT)
		return 0;
	if (type == RR_TXT && z->version[0] && dname_eq(owner, z->version)) {
		if (z->nversion++ == 0)
			txt_text(rdata, rdlen, z->version_text, sizeof z->version_text);
		return 0;
	}
	if (!z->zones[0] || !dname_in(owner, z->zones))
		return 0;
	unsigned below = dname_labels(owner) - z->zones_labels;
	/* <unique-id>.zones.$CATZ PTR <member> (RFC 9432 §4.1) */
	if (below == 1 && type == RR_PTR)
		return add_member(z, owner, rdata, rdlen);
	/* group.<unique-id>.zones.$CATZ TXT (§4.3.2), coo... PTR (§4.3.1);
	 * any other property is not ours to know (§4.4, §5.1) */
	if (below == 2 && type == RR_TXT && label_is(owner, "group"))
		return add_prop(z, owner, PROP_GROUP, rdata, rdlen);
	if (below == 2 && type == RR_PTR && label_is(owner, "coo"))
		return add_prop(z, owner, PROP_COO, rdata, rdlen);
	return 0;
}

int catz_add_snap(struct catz *z, const struct snap *s)
{
	const struct snap_header *h = snap_hdr(s);
	const struct snap_node *nodes = snap_nodes(s);
	for (uint32_t i = 0; i < h->nnodes; i++) {
		const uint8_t *owner = snap_at(s, nodes[i].name);
		const struct snap_rrset *r = snap_node_rrsets(s, &nodes[i]);
		unsigned nr = snap_node_nrrsets(snap_base(s), &nodes[i]);
		for (unsigned k = 0; k < nr; k++) {
			const uint8_t *p = snap_at(s, r[k].rdata);
			for (unsigned j = 0; j < r[k].count; j++) {
				uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
				if (catz_add(z, owner, r[k].type, r[k].ttl, p + 2, len) != 0)
					return -1;
				p += 2 + len;
			}
		}
	}
	return 0;
}

/* Where the first error of a zone file goes, for the reason. */
struct first_err {
	char *buf;
	size_t cap;
};

static void first_error(void *ud, enum diag_sev sev, const char *file, unsigned line,
			const char *msg)
{
	struct first_err *e = ud;
	if (sev != DIAG_ERROR || e->buf[0])
		return;
	if (line)
		snprintf(e->buf, e->cap, "%s:%u: %s", file ? file : "-", line, msg);
	else
		snprintf(e->buf, e->cap, "%s: %s", file ? file : "-", msg);
}

int catz_add_file(struct catz *z, const char *path, char *err, size_t errcap)
{
	err[0] = 0;
	struct first_err fe = { err, errcap };
	struct diag d = { .fn = first_error, .ud = &fe };
	struct zone *zn = zone_load_file(z->origin, path, &d);
	int rc = -1;
	if (zn && !d.errors)
		rc = zone_foreach(zn, catz_add, z) == 0 ? 0 : -1;
	if (rc != 0 && !err[0])
		snprintf(err, errcap, "out of memory reading %s", path);
	zone_free(zn);
	return rc;
}

/* ---- the checks ---- */

/* qsort, for arrays that may be empty (and NULL) */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(v, n, size, cmp);
}

static int id_cmp(const uint8_t *a, const uint8_t *b)
{
	int c = memcmp(a + 1, b + 1, a[0] < b[0] ? a[0] : b[0]);
	return c ? c : (int)a[0] - (int)b[0];
}

static int by_id(const void *a, const void *b)
{
	return id_cmp(((const struct catz_member *)a)->id, ((const struct catz_member *)b)->id);
}

static int by_zone(const void *a, const void *b)
{
	return strcmp(((const struct catz_member *)a)->zone, ((const struct catz_member *)b)->zone);
}

static int prop_by_id(const void *a, const void *b)
{
	const struct prop *x = a, *y = b;
	int c = id_cmp(x->id, y->id);
	if (c)
		return c;
	/* groups in a stable (canonical-like) order, whatever the source */
	return x->kind != y->kind ? (int)x->kind - (int)y->kind : strcmp(x->value, y->value);
}

static int broken(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int broken(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}

void catz_id_text(const struct catz_member *m, char *out, size_t cap)
{
	uint8_t n[66];
	memcpy(n, m->id, 1u + m->id[0]);
	n[1 + m->id[0]] = 0;
	char t[DNAME_TEXT_MAX];
	int l = dname_to_text(t, sizeof t, n);
	if (l > 0)
		t[l - 1] = 0;	/* the trailing dot */
	snprintf(out, cap, "%s", l > 0 ? t : "?");
}

/* The schema version (RFC 9432 §4.2.1): one TXT record, "2". */
static int check_version(const struct catz *z, char *err, size_t cap)
{
	if (z->nversion == 0)
		return broken(err, cap, "no version TXT record (RFC 9432 §4.2.1: a consumer "
			      "must not process a catalog without one)");
	if (z->nversion > 1)
		return broken(err, cap, "%u version TXT records (RFC 9432 §4.2.1: exactly one)",
			      z->nversion);
	if (strcmp(z->version_text, "2") != 0)
		return broken(err, cap, "schema version \"%s\" (only version \"2\", RFC 9432, is "
			      "understood)", z->version_text);
	return 0;
}

/* Members sorted by id, one PTR each (§4.1); then by zone, each named
 * once (§4.1). */
static int check_members(struct catz *z, char *err, size_t cap)
{
	char a[128], b[128];
	sort(z->m, z->n, sizeof *z->m, by_id);
	for (size_t i = 1; i < z->n; i++)
		if (id_cmp(z->m[i - 1].id, z->m[i].id) == 0) {
			catz_id_text(&z->m[i], a, sizeof a);
			return broken(err, cap, "member node %s has more than one PTR record "
				      "(RFC 9432 §4.1: a broken catalog)", a);
		}
	sort(z->m, z->n, sizeof *z->m, by_zone);
	for (size_t i = 1; i < z->n; i++)
		if (strcmp(z->m[i - 1].zone, z->m[i].zone) == 0) {
			catz_id_text(&z->m[i - 1], a, sizeof a);
			catz_id_text(&z->m[i], b, sizeof b);
			return broken(err, cap, "member nodes %s and %s both name zone %s (RFC 9432 "
				      "§4.1: a broken catalog)", a, b, z->m[i].zone);
		}
	return 0;
}

/* The member of unique-id id in members sorted by id, or NULL. */
static struct catz_member *by_id_find(struct catz_member *m, size_t n, const uint8_t *id)
{
	struct catz_member key;
	memcpy(key.id, id, 1u + id[0]);
	return n ? bsearch(&key, m, n, sizeof *m, by_id) : NULL;
}

/* Each property onto its member; a property of no member means nothing. */
static int join_props(struct catz *z, char *err, size_t cap)
{
	sort(z->m, z->n, sizeof *z->m, by_id);
	sort(z->p, z->np, sizeof *z->p, prop_by_id);
	for (size_t i = 0; i < z->np; i++) {
		const struct prop *p = &z->p[i];
		struct catz_member *m = by_id_find(z->m, z->n, p->id);
		if (!m)
			continue;
		if (p->kind == PROP_GROUP) {
			/* the value was cut to CATZ_GROUP_MAX when read */
			if (m->ngroups < CATZ_GROUPS_MAX)
				memcpy(m->groups[m->ngroups++], p->value, CATZ_GROUP_MAX);
			continue;
		}
		if (m->coo[0]) {
			char a[128];
			catz_id_text(m, a, sizeof a);
			return broken(err, cap, "member node %s (zone %s) has more than one coo PTR "
				      "record (RFC 9432 §4.3.1: a broken catalog)", a, m->zone);
		}
		snprintf(m->coo, sizeof m->coo, "%s", p->value);
	}
	sort(z->m, z->n, sizeof *z->m, by_zone);
	return 0;
}

int catz_finish(struct catz *z, char *err, size_t errcap)
{
	if (check_version(z, err, errcap) != 0 || check_members(z, err, errcap) != 0)
		return -1;
	if (z->long_name)
		return broken(err, errcap, "a name in it is longer than %d characters as text",
			      CATZ_NAME_MAX - 1);
	return join_props(z, err, errcap);
}

size_t catz_count(const struct catz *z)
{
	return z->n;
}

const struct catz_member *catz_get(const struct catz *z, size_t i)
{
	return &z->m[i];
}

const struct catz_member *catz_find(const struct catz *z, const char *zone)
{
	struct catz_member key;
	snprintf(key.zone, sizeof key.zone, "%s", zone);
	return z->n ? bsearch(&key, z->m, z->n, sizeof *z->m, by_zone) : NULL;
}

void catz_file_name(const char *zone, char *out, size_t cap)
{
	size_t o = 0;
	if (strcmp(zone, ".") == 0)
		zone = "root.";
	for (const char *p = zone; *p && o + 4 + 5 <= cap; p++) {
		unsigned char ch = (unsigned char)*p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			  ch == '_' || (ch == '.' && p != zone);
		o += (size_t)snprintf(out + o, cap - o, ok ? "%c" : "%%%02x", ch);
	}
	snprintf(out + o, cap - o, "zone");
}
