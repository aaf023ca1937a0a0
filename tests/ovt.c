/*
 * ovt.c - helpers for the incremental-image tests (ovt.h).
 */
#include "tests/ovt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>

#include "dataplane/answer.h"
#include "tests/dnsmsg.h"
#include "tests/zt.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/overlay.h"
#include "zones/rrtype.h"
#include "zones/zonefile.h"

/* ------------------------------------------------------------ versions */

void ovt_add(struct ovt_zone *z, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (ovt_has(z, buf))
		return;
	if (z->n == z->cap) {
		z->cap = z->cap ? 2 * z->cap : 64;
		z->line = realloc(z->line, z->cap * sizeof *z->line);
	}
	z->line[z->n++] = strdup(buf);
}

void ovt_del(struct ovt_zone *z, size_t k)
{
	free(z->line[k]);
	z->line[k] = z->line[--z->n];
}

bool ovt_has(const struct ovt_zone *z, const char *line)
{
	for (size_t k = 0; k < z->n; k++)
		if (strcmp(z->line[k], line) == 0)
			return true;
	return false;
}

void ovt_copy(struct ovt_zone *dst, const struct ovt_zone *src)
{
	*dst = (struct ovt_zone){ .serial = src->serial };
	for (size_t k = 0; k < src->n; k++)
		ovt_add(dst, "%s", src->line[k]);
}

void ovt_free(struct ovt_zone *z)
{
	for (size_t k = 0; k < z->n; k++)
		free(z->line[k]);
	free(z->line);
	*z = (struct ovt_zone){ 0 };
}

static char *soa_line(uint32_t serial)
{
	static char b[128];
	snprintf(b, sizeof b, "@ 300 SOA ns1 hostmaster %u 7200 3600 1209600 60", serial);
	return b;
}

char *ovt_text(const char *origin, const struct ovt_zone *z)
{
	size_t cap = 256;
	for (size_t k = 0; k < z->n; k++)
		cap += strlen(z->line[k]) + 1;
	char *t = malloc(cap), *p = t;
	p += sprintf(p, "$ORIGIN %s\n%s\n", origin, soa_line(z->serial));
	for (size_t k = 0; k < z->n; k++)
		p += sprintf(p, "%s\n", z->line[k]);
	return t;
}

/* ------------------------------------------------------------- changes */

struct wbuf {
	uint8_t *p;
	size_t len;
	uint32_t n;
};

static int put_rec(void *ud, const struct zf_record *rr)
{
	struct wbuf *b = ud;
	size_t ol = dname_len(rr->owner);
	b->p = realloc(b->p, b->len + ol + 10 + rr->rdlen);
	uint8_t *w = b->p + b->len;
	memcpy(w, rr->owner, ol);
	w += ol;
	w[0] = (uint8_t)(rr->type >> 8);
	w[1] = (uint8_t)rr->type;
	w[2] = (uint8_t)(rr->ttl >> 24);
	w[3] = (uint8_t)(rr->ttl >> 16);
	w[4] = (uint8_t)(rr->ttl >> 8);
	w[5] = (uint8_t)rr->ttl;
	w[6] = (uint8_t)(rr->rdlen >> 8);
	w[7] = (uint8_t)rr->rdlen;
	memcpy(w + 8, rr->rdata, rr->rdlen);
	b->len += ol + 8 + rr->rdlen;
	b->n++;
	return 0;
}

/* A record line into b, in wire form. */
static void wire(const char *origin, const char *line, struct wbuf *b)
{
	uint8_t o[DNAME_MAX];
	dname_from_text(o, origin, strlen(origin), NULL);
	struct zf_options opt = { .origin = o };
	struct diag d = { 0 };
	zf_parse_mem("change", line, strlen(line), &opt, put_rec, b, &d);
	if (d.errors) {
		fprintf(stderr, "bad line in a test change: %s\n", line);
		abort();
	}
}

void ovt_diff(const char *origin, const struct ovt_zone *a, const struct ovt_zone *b,
	      struct zdiff *d)
{
	struct wbuf del = { 0 }, add = { 0 };
	wire(origin, soa_line(a->serial), &del);
	wire(origin, soa_line(b->serial), &add);
	for (size_t k = 0; k < a->n; k++)
		if (!ovt_has(b, a->line[k]))
			wire(origin, a->line[k], &del);
	for (size_t k = 0; k < b->n; k++)
		if (!ovt_has(a, b->line[k]))
			wire(origin, b->line[k], &add);
	*d = (struct zdiff){ .from = a->serial, .to = b->serial, .del = del.p,
			     .del_len = del.len, .ndel = del.n, .add = add.p,
			     .add_len = add.len, .nadd = add.n };
}

void ovt_diff_free(struct zdiff *d)
{
	free((void *)d->del);
	free((void *)d->add);
}

/* ------------------------------------------------------------- images */

int ovt_compile(const char *origin, const char *text, struct ovt_img *m, char *err,
		size_t errcap)
{
	struct zt t;
	*m = (struct ovt_img){ .fd = -1 };
	zt_load(&t, origin, "test.zone", text);
	if (t.errors) {
		snprintf(err, errcap, "%s", t.msgs);
		zt_free(&t);
		return -1;
	}
	void *img;
	int rc = zc_compile(t.z, &img, &m->size, err, errcap);
	zt_free(&t);
	if (rc < 0)
		return -1;
	m->fd = memfd_create("ovt", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m->fd < 0 || write(m->fd, img, m->size) != (ssize_t)m->size ||
	    fcntl(m->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		snprintf(err, errcap, "memfd");
		free(img);
		return -1;
	}
	free(img);
	m->image = mmap(NULL, m->size, PROT_READ, MAP_SHARED, m->fd, 0);
	if (m->image == MAP_FAILED || snap_open(m->image, m->size, &m->snap, err, errcap) < 0) {
		ovt_img_free(m);
		return -1;
	}
	return 0;
}

void ovt_img_free(struct ovt_img *m)
{
	snap_close(m->snap);
	if (m->image && m->image != MAP_FAILED)
		munmap(m->image, m->size);
	if (m->fd >= 0)
		close(m->fd);
	*m = (struct ovt_img){ .fd = -1 };
}

/* ------------------------------------------------------- a zone's steps */

/* l's base made again from its version. */
static void rebase(struct ovt_life *l)
{
	char err[4096];
	char *text = ovt_text(l->origin, &l->cur);
	ovt_img_free(&l->base);
	ovl_free(l->o);
	l->o = NULL;
	if (ovt_compile(l->origin, text, &l->base, err, sizeof err) != 0 ||
	    ovl_new(l->base.fd, l->base.size, &l->o, err, sizeof err) != 0) {
		fprintf(stderr, "base: %s\n", err);
		abort();
	}
	free(text);
}

void ovt_life_start(struct ovt_life *l, const char *origin, const struct ovt_zone *first)
{
	*l = (struct ovt_life){ .origin = origin, .base = { .fd = -1 } };
	ovt_copy(&l->cur, first);
	rebase(l);
}

void ovt_life_free(struct ovt_life *l)
{
	ovl_free(l->o);
	ovt_img_free(&l->base);
	ovt_free(&l->cur);
}

int ovt_life_step(struct ovt_life *l, struct ovt_zone *next,
		  void (*check)(struct ovt_life *l, const struct ovt_zone *next, void *ud),
		  void *ud, char *err, size_t errcap)
{
	struct zdiff d;
	ovt_diff(l->origin, &l->cur, next, &d);
	int rc = ovl_apply(l->o, &d, err, errcap);
	ovt_diff_free(&d);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (check)
			check(l, next, ud);
		ovl_commit(l->o);
		l->applied++;
	} else {
		struct ovt_img full;
		char e2[4096];
		char *text = ovt_text(l->origin, next);
		int ok = ovt_compile(l->origin, text, &full, e2, sizeof e2);
		free(text);
		ovt_img_free(&full);
		l->declined++;
		fprintf(stderr, "declined (full compile %s): %s\n", ok ? "fails too" : "serves it",
			err);
		if (ok != 0) {	/* a broken version: not served either way */
			ovt_free(next);
			ovt_copy(next, &l->cur);
			return rc;
		}
	}
	ovt_free(&l->cur);
	ovt_copy(&l->cur, next);
	if (rc != 1) {
		rebase(l);
		l->rebased++;
	}
	return rc;
}

/* -------------------------------------------------------- a zone's life */

void ovt_start(struct ovt_zone *z)
{
	static const char *const lines[] = {
		"@ 300 NS ns1", "@ 300 NS ns2", "@ 300 MX 10 mail", "@ 300 TXT \"v=spf1 -all\"",
		"ns1 300 A 192.0.2.1", "ns2 300 A 192.0.2.2", "ns2 300 AAAA 2001:db8::2",
		"mail 300 A 192.0.2.3", "www 300 A 192.0.2.4", "www 300 AAAA 2001:db8::4",
		"alias 300 CNAME www", "ext 300 CNAME www.example.net.",
		"*.wild 300 A 192.0.2.5", "*.wild 300 MX 10 mail", "a.b.c.ent 300 TXT \"deep\"",
		"sub 300 NS ns.sub", "sub 300 NS ns1", "ns.sub 300 A 192.0.2.6",
		"sib 300 NS ns.sub", "sib 300 NS ns.elsewhere.net.", ("sib 300 DS 1 8 2 "
		 "0000000000000000000000000000000000000000000000000000000000000000"),
		"_sip._tcp 300 SRV 0 5 5060 sip", "sip 300 A 192.0.2.7",
		"mx2 300 MX 20 mail", "mx2 300 MX 30 www", "mx3 300 MX 5 nohost",
		"nsx 300 NS ns1", "nsx 300 NS ns.sub",
	};
	*z = (struct ovt_zone){ .serial = 1 };
	for (size_t k = 0; k < sizeof lines / sizeof *lines; k++)
		ovt_add(z, "%s", lines[k]);
	for (int k = 0; k < 40; k++)
		ovt_add(z, "h%d 300 A 198.51.100.%d", k, k);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The owner (first field) of line k. */
static void owner_of(const struct ovt_zone *z, size_t k, char *out, size_t cap)
{
	snprintf(out, cap, "%.*s", (int)strcspn(z->line[k], " "), z->line[k]);
}

/* A random existing owner other than the apex ("@" when none). */
static void some_owner(const struct ovt_zone *z, uint64_t *rng, char *out, size_t cap)
{
	snprintf(out, cap, "@");
	for (int tries = 0; tries < 8 && z->n; tries++) {
		owner_of(z, rnd(rng) % z->n, out, cap);
		if (strcmp(out, "@") != 0)
			return;
	}
}

/* Deletes the lines of owner (all, or those of type when not NULL). */
static void drop_owner(struct ovt_zone *z, const char *owner, const char *type)
{
	char o[300], pat[64];
	snprintf(pat, sizeof pat, " %s ", type ? type : "");
	for (size_t k = z->n; k-- > 0;) {
		owner_of(z, k, o, sizeof o);
		if (strcmp(o, owner) == 0 && (!type || strstr(z->line[k], pat)))
			ovt_del(z, k);
	}
}

/* The owner of a random DNAME record of z, into o; false when none. */
static bool dname_owner(const struct ovt_zone *z, uint64_t *rng, char *o, size_t cap)
{
	size_t n = 0, pick;
	for (size_t k = 0; k < z->n; k++)
		n += strstr(z->line[k], " DNAME ") != NULL;
	if (!n)
		return false;
	pick = rnd(rng) % n;
	for (size_t k = 0; k < z->n; k++)
		if (strstr(z->line[k], " DNAME ") && pick-- == 0) {
			owner_of(z, k, o, cap);
			return true;
		}
	return false;
}

/* Deletes owner's DNAME record to target t (at any TTL). */
static void drop_dname_to(struct ovt_zone *z, const char *owner, const char *t)
{
	char o[300], tail[300];
	snprintf(tail, sizeof tail, " DNAME %s", t);
	size_t tl = strlen(tail);
	for (size_t k = z->n; k-- > 0;) {
		owner_of(z, k, o, sizeof o);
		size_t ll = strlen(z->line[k]);
		if (strcmp(o, owner) == 0 && ll > tl && strcmp(z->line[k] + ll - tl, tail) == 0)
			ovt_del(z, k);
	}
}

/* DNAME edits: one added at a new leaf or beside an existing owner's
 * data (declined when it has names below it, or a CNAME), one's target
 * or TTL changed, one deleted, records whose targets are below one, and
 * (now and then) a name below one (the full compile refuses that). */
static void edit_dname(struct ovt_zone *z, uint64_t *rng, unsigned v)
{
	static const char *const targets[] = { "wild", "www", "b.c.ent", "example.net.",
					       "h7", "dnt.example.org." };
	const char *t = targets[rnd(rng) % (sizeof targets / sizeof *targets)];
	char o[300];
	switch (rnd(rng) % 8) {
	case 0: case 1:	/* a second one at an owner now and then; the same
			   record at another TTL is no second record */
		snprintf(o, sizeof o, "dn%u", v % 50);
		drop_dname_to(z, o, t);
		ovt_add(z, "%s 300 DNAME %s", o, t);
		break;
	case 2: some_owner(z, rng, o, sizeof o); drop_owner(z, o, "DNAME");
		ovt_add(z, "%s 300 DNAME %s", o, t); break;
	case 3: if (dname_owner(z, rng, o, sizeof o)) {
			drop_owner(z, o, "DNAME");
			ovt_add(z, "%s %u DNAME %s", o, rnd(rng) % 2 ? 300 : 60 + v, t);
		}
		break;
	case 4: case 5: if (dname_owner(z, rng, o, sizeof o)) drop_owner(z, o, "DNAME"); break;
	case 6: if (dname_owner(z, rng, o, sizeof o)) {
			if (v % 3 == 0)
				ovt_add(z, "m%u 300 MX 10 mx.%s", v, o);
			else if (v % 3 == 1)
				ovt_add(z, "c%u 300 CNAME c.%s", v, o);
			else
				ovt_add(z, "srv%u._tcp 300 SRV 0 1 80 s.%s", v, o);
		}
		break;
	default: if (v % 4 == 0 && dname_owner(z, rng, o, sizeof o))
			ovt_add(z, "x.%s 300 A 192.0.2.%u", o, v % 250);
		break;
	}
}

static void edit(struct ovt_zone *z, uint64_t *rng)
{
	char o[300];
	unsigned v = (unsigned)(rnd(rng) % 1000), r = (unsigned)(rnd(rng) % 18);
	const char *parents[] = { "", ".deep", ".x.y", ".wild", ".sub", ".b.c.ent", ".h1" };
	const char *par = parents[rnd(rng) % (sizeof parents / sizeof *parents)];
	switch (r) {
	case 0: ovt_add(z, "n%u%s 300 A 203.0.113.%u", v, par, v % 250); break;
	case 1: if (z->n > 4) ovt_del(z, rnd(rng) % z->n); break;
	case 2: some_owner(z, rng, o, sizeof o); ovt_add(z, "%s 300 TXT \"t%u\"", o, v); break;
	case 3: ovt_add(z, "d%u 300 NS ns.d%u", v, v); ovt_add(z, "ns.d%u 300 A 192.0.2.%u", v, v % 250);
		ovt_add(z, "d%u 300 NS ns1", v); break;
	case 4: some_owner(z, rng, o, sizeof o); drop_owner(z, o, "NS"); break;
	case 5: ovt_add(z, "*%s 300 A 192.0.2.%u", par, v % 250); break;
	case 6: drop_owner(z, rnd(rng) % 2 ? "ns.sub" : "mail", "A");
		ovt_add(z, "%s 300 A 192.0.2.%u", rnd(rng) % 2 ? "ns.sub" : "mail", v % 250); break;
	case 7: ovt_add(z, "@ 300 TXT \"apex%u\"", v % 4); break;
	case 8: ovt_add(z, "c%u 300 CNAME %s", v, rnd(rng) % 2 ? "www" : "n1.wild"); break;
	case 9: ovt_add(z, "m%u 300 MX 10 %s", v, rnd(rng) % 2 ? "mail" : "ns.sub"); break;
	case 10: some_owner(z, rng, o, sizeof o); drop_owner(z, o, NULL); break;
	case 11: ovt_add(z, "@ 300 NS ns%u", 1 + v % 3); ovt_add(z, "ns3 300 A 192.0.2.33"); break;
	case 12: drop_owner(z, "www", "A"); ovt_add(z, "www %u A 192.0.2.4", 60 + v); break;
	case 13: some_owner(z, rng, o, sizeof o); ovt_add(z, "%s 300 NS ns.%s", o, o);
		ovt_add(z, "ns.%s 300 A 192.0.2.9", o); break;
	case 14: ovt_add(z, "srv%u._tcp 300 SRV 0 1 80 %s", v, rnd(rng) % 2 ? "sip" : "www"); break;
	case 15: drop_owner(z, "*.wild", NULL); break;
	case 16: edit_dname(z, rng, v); break;
	default: ovt_add(z, "h%u 300 AAAA 2001:db8::%x", v % 40, v); break;
	}
}

void ovt_mutate(struct ovt_zone *z, unsigned k, uint64_t *rng)
{
	for (unsigned i = 0; i < k; i++)
		edit(z, rng);
	z->serial++;
}

/* ------------------------------------------------------------- queries */

static void add_q(uint8_t *buf, size_t *n, size_t cap, const char *name, uint16_t type, bool dob)
{
	if (*n == cap)
		return;
	struct dm_qopt o = { .edns = true, .do_bit = dob, .id = (uint16_t)*n };
	size_t len = dm_query(buf + *n * OVT_QMAX + 2, OVT_QMAX - 2, name, type, &o);
	buf[*n * OVT_QMAX] = (uint8_t)(len >> 8);
	buf[*n * OVT_QMAX + 1] = (uint8_t)len;
	++*n;
}

/* The absolute name of an owner field. */
static void absname(const char *origin, const char *owner, char *out, size_t cap)
{
	if (strcmp(owner, "@") == 0)
		snprintf(out, cap, "%s", origin);
	else if (owner[strlen(owner) - 1] == '.')
		snprintf(out, cap, "%s", owner);
	else
		snprintf(out, cap, "%s.%s", owner, origin);
}

uint8_t *ovt_queries(const char *origin, const struct ovt_zone *const *v, size_t nv, size_t *n)
{
	static const uint16_t types[] = { RR_A, RR_AAAA, RR_NS, RR_MX, RR_TXT, RR_CNAME,
					  RR_SOA, RR_SRV, RR_ANY, RR_DS, RR_DNAME };
	size_t names = 8;
	for (size_t i = 0; i < nv; i++)
		names += v[i]->n;
	size_t cap = names * 3 * 11 * 2;
	uint8_t *buf = malloc(cap * OVT_QMAX);
	*n = 0;
	for (size_t i = 0; i <= nv; i++) {
		for (size_t k = 0; k < (i < nv ? v[i]->n : 1); k++) {
			char o[300], a[600], b[700];
			if (i < nv)
				owner_of(v[i], k, o, sizeof o);
			else
				snprintf(o, sizeof o, "@");
			absname(origin, o, a, sizeof a);
			for (int form = 0; form < 3; form++) {
				if (form == 0)
					snprintf(b, sizeof b, "%s", a);
				else if (form == 1)
					snprintf(b, sizeof b, "nx.%s", a);
				else
					snprintf(b, sizeof b, "q.z.%s", a);
				if (strlen(b) > 250)
					continue;
				for (size_t t = 0; t < sizeof types / sizeof *types; t++)
					for (int d = 0; d < 2; d++)
						add_q(buf, n, cap, b, types[t], d);
			}
		}
	}
	return buf;
}

size_t ovt_compare(const struct snap *a, const struct snap *b, const uint8_t *q, size_t n,
		   const char *what)
{
	struct snap *za = (struct snap *)a, *zb = (struct snap *)b;
	struct zidx *ia = zidx_new(&za, 1), *ib = zidx_new(&zb, 1);
	const struct ans_cfg cfg = { .max_udp = 1232 };
	size_t bad = 0;
	enum { B = 16 };
	static uint8_t ra[B][1300], rb[B][1300];
	for (size_t i = 0; i < n; i += B) {
		size_t k = n - i < B ? n - i : B;
		struct ans_req req[B];
		uint8_t *oa[B], *ob[B];
		size_t caps[B], la[B], lb[B];
		struct ans_outcome oc[B];
		for (size_t j = 0; j < k; j++) {
			const uint8_t *m = q + (i + j) * OVT_QMAX;
			req[j] = (struct ans_req){ .q = m + 2, .qlen = (size_t)(m[0] << 8 | m[1]) };
			oa[j] = ra[j];
			ob[j] = rb[j];
			caps[j] = sizeof ra[j];
		}
		ans_respond_burst(ia, &cfg, req, k, oa, caps, la, oc);
		ans_respond_burst(ib, &cfg, req, k, ob, caps, lb, oc);
		for (size_t j = 0; j < k; j++) {
			if (la[j] == lb[j] && memcmp(ra[j], rb[j], la[j]) == 0)
				continue;
			if (!bad++) {
				struct dm_resp x, y;
				char px[4096], py[4096];
				dm_parse(ra[j], la[j], &x);
				dm_parse(rb[j], lb[j], &y);
				dm_resp_print(&x, px, sizeof px);
				dm_resp_print(&y, py, sizeof py);
				fprintf(stderr, "%s: query %zu differs:\n--- one:\n%s\n--- other:\n%s\n",
					what, i + j, px, py);
				dm_resp_free(&x);
				dm_resp_free(&y);
			}
		}
	}
	zidx_free(ia);
	zidx_free(ib);
	return bad;
}

/* --------------------------------------------------------- signed zones */

void ovt_load(struct ovt_zone *z, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		abort();
	}
	*z = (struct ovt_zone){ .serial = 1 };
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		for (char *t = line; *t; t++)
			if (*t == '\t')
				*t = ' ';
		char o[300], ttl[32], cls[32], type[32];
		if (line[0] == ';' || line[0] == '$' || line[0] == ' ' || !line[0] ||
		    sscanf(line, "%299s %31s %31s %31s", o, ttl, cls, type) != 4)
			continue;
		if (strcmp(type, "SOA") != 0)	/* ovt_text writes its own */
			ovt_add(z, "%s", line);
	}
	fclose(f);
}

/* The whitespace-separated field k of line (into out), or false. */
static bool field(const char *line, int k, char *out, size_t cap)
{
	const char *p = line;
	for (int i = 0;; i++) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (!n)
			return false;
		if (i == k) {
			snprintf(out, cap, "%.*s", (int)n, p);
			return true;
		}
		p += n;
	}
}

/* A random line of type type (field 3), or -1. */
static long line_of(const struct ovt_zone *z, const char *type, uint64_t *rng)
{
	char t[32];
	size_t n = z->n;
	for (size_t tries = 0; tries < 4 * n + 8; tries++) {
		size_t k = rnd(rng) % n;
		if (field(z->line[k], 3, t, sizeof t) && strcmp(t, type) == 0)
			return (long)k;
	}
	return -1;
}

/* Line k with field f replaced by val. */
static void replace_field(struct ovt_zone *z, size_t k, int f, const char *val)
{
	char out[4096], tok[2048];
	size_t n = 0;
	for (int i = 0; field(z->line[k], i, tok, sizeof tok); i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? " " : "",
				      i == f ? val : tok);
	ovt_del(z, k);
	ovt_add(z, "%s", out);
}

/* The owner (field 0) of a random line of type type, into o. */
static bool owner_with(const struct ovt_zone *z, const char *type, uint64_t *rng, char *o,
		       size_t cap)
{
	long k = line_of(z, type, rng);
	return k >= 0 && field(z->line[k], 0, o, cap);
}

static void edit_signed(struct ovt_zone *z, uint64_t *rng, const char *origin)
{
	char o[300], v[4200];
	unsigned x = (unsigned)(rnd(rng) % 1000), r = (unsigned)(rnd(rng) % 12);
	long k;
	switch (r) {
	case 0: case 1:	/* re-signed: a new expiry */
		if ((k = line_of(z, "RRSIG", rng)) >= 0) {
			snprintf(v, sizeof v, "2037%02u%02u%02u0000", 1 + x % 12, 1 + x % 28, x % 24);
			replace_field(z, (size_t)k, 8, v);
		}
		break;
	case 2:		/* a signature's TTL */
		if ((k = line_of(z, "RRSIG", rng)) >= 0) {
			snprintf(v, sizeof v, "%u", 100 + x);
			replace_field(z, (size_t)k, 1, v);
		}
		break;
	case 3:		/* an address */
		if ((k = line_of(z, "A", rng)) >= 0) {
			snprintf(v, sizeof v, "192.0.2.%u", x % 250);
			replace_field(z, (size_t)k, 4, v);
		}
		break;
	case 4:		/* a record beside others (no RRSIG: signed later) */
		if ((k = line_of(z, "A", rng)) >= 0 && field(z->line[k], 0, o, sizeof o))
			ovt_add(z, "%s 300 IN TXT \"t%u\"", o, x);
		break;
	case 5:		/* a delegation's NS */
		if (owner_with(z, "DS", rng, o, sizeof o) || owner_with(z, "NS", rng, o, sizeof o))
			ovt_add(z, "%s 300 IN NS ns%u.%s", o, 1 + x % 2, origin);
		break;
	case 6:		/* a DS changed */
		if ((k = line_of(z, "DS", rng)) >= 0 && field(z->line[k], 0, o, sizeof o) &&
		    field(z->line[k], 1, v, sizeof v)) {
			ovt_del(z, (size_t)k);
			ovt_add(z, "%s %s IN DS %u 13 2 %064X", o, v, x, x);
		}
		break;
	case 7:		/* a DS added to a delegation */
		if (owner_with(z, "NS", rng, o, sizeof o) && strcmp(o, origin) != 0)
			ovt_add(z, "%s 300 IN DS %u 13 2 %064X", o, x, x);
		break;
	case 8:		/* an NSEC's type bitmap */
		if ((k = line_of(z, "NSEC", rng)) >= 0) {
			snprintf(v, sizeof v, "%s HINFO", z->line[k]);
			ovt_del(z, (size_t)k);
			ovt_add(z, "%s", v);
		}
		break;
	case 9:		/* an NSEC3's opt-out flag or bitmap */
		if ((k = line_of(z, "NSEC3", rng)) >= 0) {
			if (x % 2) {
				field(z->line[k], 5, v, sizeof v);
				replace_field(z, (size_t)k, 5, strcmp(v, "1") ? "1" : "0");
			} else {
				snprintf(v, sizeof v, "%s HINFO", z->line[k]);
				ovt_del(z, (size_t)k);
				ovt_add(z, "%s", v);
			}
		}
		break;
	case 10:	/* a TXT deleted (its RRset too, when the last) */
		if ((k = line_of(z, "TXT", rng)) >= 0)
			ovt_del(z, (size_t)k);
		break;
	default:	/* an MX changed */
		if ((k = line_of(z, "MX", rng)) >= 0) {
			snprintf(v, sizeof v, "%u", x % 50);
			replace_field(z, (size_t)k, 4, v);
		}
		break;
	}
}

void ovt_mutate_signed(struct ovt_zone *z, const char *origin, unsigned k, uint64_t *rng)
{
	for (unsigned i = 0; i < k; i++)
		edit_signed(z, rng, origin);
	z->serial++;
}

/* ------------------------------------------ insecure delegations (opt-out) */

/* Does a line of owner o have type type? */
static bool has_type(const struct ovt_zone *z, const char *o, const char *type)
{
	char f0[300], f3[32];
	for (size_t k = 0; k < z->n; k++)
		if (field(z->line[k], 0, f0, sizeof f0) && strcmp(f0, o) == 0 &&
		    field(z->line[k], 3, f3, sizeof f3) && strcmp(f3, type) == 0)
			return true;
	return false;
}

/* Deletes the lines of name and of the names below it. */
static void drop_tree(struct ovt_zone *z, const char *name)
{
	char o[300];
	size_t nl = strlen(name);
	for (size_t k = z->n; k-- > 0;) {
		field(z->line[k], 0, o, sizeof o);
		size_t ol = strlen(o);
		if (strcmp(o, name) == 0 || (ol > nl && o[ol - nl - 1] == '.' &&
					     strcmp(o + ol - nl, name) == 0))
			ovt_del(z, k);
	}
}

static void edit_delegation(struct ovt_zone *z, uint64_t *rng, const char *origin)
{
	char o[300], g[300];
	unsigned x = (unsigned)(rnd(rng) % 100000), r = (unsigned)(rnd(rng) % 6);
	long k;
	switch (r) {
	case 0:		/* glue in bailiwick, A and AAAA */
		snprintf(o, sizeof o, "d%u.%s", x, origin);
		ovt_add(z, "%s 3600 IN NS ns1.%s", o, o);
		ovt_add(z, "%s 3600 IN NS ns2.%s", o, o);
		ovt_add(z, "ns1.%s 3600 IN A 192.0.2.%u", o, x % 250);
		ovt_add(z, "ns1.%s 3600 IN AAAA 2001:db8::%x", o, x % 65536);
		ovt_add(z, "ns2.%s 3600 IN A 198.51.100.%u", o, x % 250);
		break;
	case 1:		/* no glue */
		snprintf(o, sizeof o, "d%u.%s", x, origin);
		ovt_add(z, "%s 3600 IN NS ns.d%u.example.test.", o, x);
		break;
	case 2:		/* another delegation's glue (shared), below an empty
			   non-terminal */
		if ((k = line_of(z, "A", rng)) >= 0 && field(z->line[k], 0, g, sizeof g) &&
		    strncmp(g, "ns", 2) == 0 && strchr(g, '.')) {
			snprintf(o, sizeof o, "d%u.e%u.%s", x, x % 3, origin);
			ovt_add(z, "%s 3600 IN NS %s", o, g);
		}
		break;
	case 3: case 4:	/* a delegation without DS deleted with its glue */
		if ((k = line_of(z, "NS", rng)) >= 0 && field(z->line[k], 0, o, sizeof o) &&
		    strcmp(o, origin) != 0 && !has_type(z, o, "DS"))
			drop_tree(z, o);
		break;
	default:	/* glue added to a delegation */
		if ((k = line_of(z, "NS", rng)) >= 0 && field(z->line[k], 0, o, sizeof o) &&
		    strcmp(o, origin) != 0 && !has_type(z, o, "DS"))
			ovt_add(z, "g%u.%s 3600 IN A 203.0.113.%u", x, o, x % 250);
		break;
	}
}

void ovt_mutate_optout(struct ovt_zone *z, const char *origin, unsigned k, uint64_t *rng)
{
	for (unsigned i = 0; i < k; i++)
		edit_delegation(z, rng, origin);
	z->serial++;
}

bool ovt_field(const char *line, int k, char *out, size_t cap)
{
	return field(line, k, out, cap);
}

uint64_t ovt_rnd(uint64_t *s)
{
	return rnd(s);
}

/* ------------------------------------------- NSEC-signed zones' names */

/* A name of an NSEC zone's version: its wire form (absolute), its text
 * as the lines write it, its types (but NSEC and RRSIG), the TTL of
 * each, and which have signatures. */
struct nname {
	uint8_t w[DNAME_MAX];
	char text[300];
	uint16_t type[64];
	char ttl[64][16];
	bool sig[64], rec[64];	/* signed, has records */
	unsigned nt, nrec;
	bool cut, occluded;
};

static int nname_cmp(const void *a, const void *b)
{
	return dname_canon_cmp(((const struct nname *)a)->w, ((const struct nname *)b)->w);
}

static uint16_t type_of(const char *t)
{
	uint16_t v = 0;
	rrtype_from_text(t, strlen(t), &v);
	return v;
}

/* The name w in v[0..n) (sorted), or NULL. */
static struct nname *nname_find(struct nname *v, size_t n, const uint8_t *w)
{
	struct nname key;
	memcpy(key.w, w, dname_len(w));
	return bsearch(&key, v, n, sizeof *v, nname_cmp);
}

/* The names of z's lines, sorted canonically, with their types. */
static struct nname *nsec_names(const struct ovt_zone *z, const uint8_t *o, size_t *count)
{
	struct nname *v = calloc(z->n + 1, sizeof *v);
	size_t n = 0;
	memcpy(v[n].w, o, dname_len(o));
	dname_to_text(v[n].text, sizeof v[0].text, o);
	/* the SOA (ovt_text's own line) */
	v[n].type[0] = RR_SOA;
	v[n].rec[0] = true;
	v[n].nt = v[n].nrec = 1;
	snprintf(v[n++].ttl[0], sizeof v[0].ttl[0], "300");
	for (size_t k = 0; k < z->n; k++) {
		char f0[300];
		field(z->line[k], 0, f0, sizeof f0);
		uint8_t w[DNAME_MAX];
		dname_from_text(w, f0, strlen(f0), o);
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = dname_eq(v[j].w, w);
		if (!dup) {
			memcpy(v[n].w, w, dname_len(w));
			snprintf(v[n++].text, sizeof v[0].text, "%s", f0);
		}
	}
	qsort(v, n, sizeof *v, nname_cmp);
	for (size_t k = 0; k < z->n; k++) {
		char f0[300], f1[16], f3[32], f4[32];
		uint8_t w[DNAME_MAX];
		field(z->line[k], 0, f0, sizeof f0);
		field(z->line[k], 1, f1, sizeof f1);
		field(z->line[k], 3, f3, sizeof f3);
		dname_from_text(w, f0, strlen(f0), o);
		struct nname *x = nname_find(v, n, w);
		bool rrsig = strcmp(f3, "RRSIG") == 0;
		uint16_t t = type_of(rrsig && field(z->line[k], 4, f4, sizeof f4) ? f4 : f3);
		if (t == RR_NSEC || (rrsig && !t))
			continue;
		unsigned j = 0;
		while (j < x->nt && x->type[j] != t)
			j++;
		if (j == x->nt && x->nt < 64)
			x->type[x->nt++] = t;
		if (j == x->nt)
			continue;
		x->sig[j] |= rrsig;
		if (!rrsig && !x->rec[j]) {
			x->rec[j] = true;
			x->nrec++;
			snprintf(x->ttl[j], sizeof x->ttl[0], "%s", f1);
		}
		x->cut |= t == RR_NS && !rrsig && !dname_eq(w, o);
	}
	for (size_t i = 0; i < n; i++)	/* below a cut: an ancestor is one */
		for (const uint8_t *s = v[i].w; *s && !dname_eq(s, o); s += *s + 1)
			if (s != v[i].w) {
				struct nname *a = nname_find(v, n, s);
				v[i].occluded |= a && a->cut;
			}
	*count = n;
	return v;
}

/* Is type t of name x signed in an NSEC zone (RFC 4035 §2.2: the
 * authoritative RRsets; at a cut only DS and NSEC)?  Records of t there
 * (but for NSEC, made again) are needed too. */
static bool signs(const struct nname *x, uint16_t t)
{
	bool rec = t == RR_NSEC;
	for (unsigned j = 0; j < x->nt; j++)
		rec |= x->type[j] == t && x->rec[j];
	return rec && t != RR_RRSIG && !x->occluded && (!x->cut || t == RR_DS || t == RR_NSEC);
}

/* A fake signature's base64 text: 24 characters from a hash of s. */
static void fake_sig(const char *s, char out[25])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint64_t h[2] = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };
	for (; *s; s++)
		for (int k = 0; k < 2; k++)
			h[k] = (h[k] ^ (uint8_t)*s) * (k ? 0x100000001b3ull : 0x100000001b5ull);
	uint8_t b[18] = { 0 };
	memcpy(b, h, 16);
	for (int i = 0; i < 6; i++) {
		uint32_t v = (uint32_t)b[3 * i] << 16 | (uint32_t)b[3 * i + 1] << 8 | b[3 * i + 2];
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = b64[(v >> (18 - 6 * j)) & 63];
	}
	out[24] = 0;
}

/* A fake RRSIG over type t of x (TTL ttl), its signature a hash of what. */
static void add_fake_rrsig(struct ovt_zone *z, const struct nname *x, const uint8_t *o,
			   uint16_t t, const char *ttl, const char *what)
{
	char tn[32], on[DNAME_TEXT_MAX], sig[25];
	rrtype_to_text(t, tn, sizeof tn);
	dname_to_text(on, sizeof on, o);
	fake_sig(what, sig);
	unsigned labels = dname_labels(x->w) - (dname_is_wildcard(x->w) ? 1u : 0u);
	ovt_add(z, "%s %s IN RRSIG %s 13 %u %s 20370101000000 20260101000000 4242 %s %s", x->text,
		ttl, tn, labels, ttl, on, sig);
}

/* Drops the NSEC records, their signatures and the signatures that
 * signs() does not want. */
static void drop_chain(struct ovt_zone *z, const uint8_t *o, struct nname *v, size_t n)
{
	for (size_t k = z->n; k-- > 0;) {
		char f0[300], f3[32], f4[32];
		field(z->line[k], 0, f0, sizeof f0);
		field(z->line[k], 3, f3, sizeof f3);
		uint8_t w[DNAME_MAX];
		dname_from_text(w, f0, strlen(f0), o);
		const struct nname *x = nname_find(v, n, w);
		bool rrsig = strcmp(f3, "RRSIG") == 0 && field(z->line[k], 4, f4, sizeof f4);
		uint16_t t = type_of(rrsig ? f4 : f3);
		if (t == RR_NSEC || (rrsig && !signs(x, t)))
			ovt_del(z, k);
	}
}

/* z's lines with their fields one space apart (a record added as
 * ovt_add writes it is then one line). */
static void one_space(struct ovt_zone *z)
{
	for (size_t k = 0; k < z->n; k++) {
		char *w = z->line[k];
		for (const char *r = z->line[k]; *r; r++)
			if (*r != ' ' || (w > z->line[k] && w[-1] != ' '))
				*w++ = *r;
		while (w > z->line[k] && w[-1] == ' ')
			w--;
		*w = 0;
	}
	struct ovt_zone c;
	ovt_copy(&c, z);	/* drops lines made equal */
	ovt_free(z);
	*z = c;
}

void ovt_nsec_chain(struct ovt_zone *z, const char *origin)
{
	one_space(z);
	uint8_t o[DNAME_MAX];
	dname_from_text(o, origin, strlen(origin), NULL);
	size_t n;
	struct nname *v = nsec_names(z, o, &n);
	drop_chain(z, o, v, n);
	/* the chain: the names with data not below a cut, in order */
	size_t *in = malloc((n + 1) * sizeof *in), nin = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].nrec && !v[i].occluded)
			in[nin++] = i;
	for (size_t c = 0; c < nin; c++) {
		struct nname *x = &v[in[c]];
		uint16_t t[66];
		unsigned nt = 0;
		for (unsigned j = 0; j < x->nt; j++)
			if (x->rec[j])
				t[nt++] = x->type[j];
		t[nt++] = RR_NSEC;
		t[nt++] = RR_RRSIG;
		for (unsigned a = 1; a < nt; a++)	/* ascending (few) */
			for (unsigned b = a; b > 0 && t[b] < t[b - 1]; b--) {
				uint16_t tmp = t[b];
				t[b] = t[b - 1];
				t[b - 1] = tmp;
			}
		char line[2048];
		size_t len = (size_t)snprintf(line, sizeof line, "%s 300 IN NSEC %s", x->text,
					      v[in[(c + 1) % nin]].text);
		for (unsigned j = 0; j < nt; j++) {
			char tn[32];
			rrtype_to_text(t[j], tn, sizeof tn);
			len += (size_t)snprintf(line + len, sizeof line - len, " %s", tn);
		}
		ovt_add(z, "%s", line);
		add_fake_rrsig(z, x, o, RR_NSEC, "300", line);
		for (unsigned j = 0; j < x->nt; j++)
			if (!x->sig[j] && signs(x, x->type[j]))
				add_fake_rrsig(z, x, o, x->type[j], x->ttl[j], x->text);
	}
	free(in);
	free(v);
}

/* A random owner of z other than the apex (origin), into o; false when
 * none was found. */
static bool other_owner(const struct ovt_zone *z, const char *origin, uint64_t *rng, char *o,
			size_t cap)
{
	for (int tries = 0; tries < 16 && z->n; tries++)
		if (field(z->line[rnd(rng) % z->n], 0, o, cap) && strcmp(o, origin) != 0)
			return true;
	return false;
}

static void edit_nsec(struct ovt_zone *z, uint64_t *rng, const char *origin)
{
	char o[300], p[300];
	unsigned x = (unsigned)(rnd(rng) % 100000), r = (unsigned)(rnd(rng) % 12);
	long k;
	const char *par = rnd(rng) % 2 || !other_owner(z, origin, rng, p, sizeof p) ? origin : p;
	switch (r) {
	case 0:		/* a name with data, below the apex or another name */
		ovt_add(z, "n%u.%s 300 IN A 192.0.2.%u", x, par, x % 250);
		break;
	case 1:		/* with empty non-terminals above it */
		ovt_add(z, "a.b.n%u.%s 300 IN TXT \"t%u\"", x, par, x);
		break;
	case 2:		/* a name deleted (the names below it kept) */
		if (other_owner(z, origin, rng, o, sizeof o))
			drop_owner(z, o, NULL);
		break;
	case 3:		/* a name deleted with the names below it */
		if (other_owner(z, origin, rng, o, sizeof o))
			drop_tree(z, o);
		break;
	case 4:		/* a wildcard made */
		ovt_add(z, "*.%s 300 IN %s", par, x % 2 ? "A 192.0.2.200" : "TXT \"wild\"");
		break;
	case 5:		/* a wildcard deleted */
		if ((k = line_of(z, "A", rng)) >= 0 && field(z->line[k], 0, o, sizeof o) &&
		    o[0] == '*')
			drop_owner(z, o, NULL);
		else if (other_owner(z, origin, rng, o, sizeof o) && o[0] == '*')
			drop_owner(z, o, NULL);
		break;
	case 6:		/* a delegation with glue, secure or not */
		snprintf(o, sizeof o, "d%u.%s", x, origin);
		ovt_add(z, "%s 3600 IN NS ns.%s", o, o);
		ovt_add(z, "%s 3600 IN NS ns.example.test.", o);
		ovt_add(z, "ns.%s 3600 IN A 192.0.2.%u", o, x % 250);
		if (x % 2)
			ovt_add(z, "%s 3600 IN DS %u 13 2 %064X", o, x % 65536, x);
		break;
	case 7:		/* a cut made at a name, data or not below it (not a
			   wildcard: RFC 4592 §4.2 leaves those undefined) */
		if (other_owner(z, origin, rng, o, sizeof o) && !has_type(z, o, "CNAME") &&
		    !has_type(z, o, "NS") && o[0] != '*') {
			ovt_add(z, "%s 3600 IN NS ns.%s", o, o);
			ovt_add(z, "ns.%s 3600 IN A 192.0.2.%u", o, x % 250);
		}
		break;
	case 8:		/* a cut unmade (its DS, glue and names below kept) */
		if ((k = line_of(z, "NS", rng)) >= 0 && field(z->line[k], 0, o, sizeof o) &&
		    strcmp(o, origin) != 0)
			drop_owner(z, o, "NS");
		break;
	case 9:		/* an empty non-terminal, if any, given data */
		if (other_owner(z, origin, rng, o, sizeof o) && strchr(o, '.') &&
		    strcmp(strchr(o, '.') + 1, origin) != 0 && !has_type(z, strchr(o, '.') + 1, "CNAME"))
			ovt_add(z, "%s 300 IN TXT \"ent%u\"", strchr(o, '.') + 1, x);
		break;
	case 10:	/* glue below a cut */
		if ((k = line_of(z, "NS", rng)) >= 0 && field(z->line[k], 0, o, sizeof o) &&
		    strcmp(o, origin) != 0)
			ovt_add(z, "g%u.%s 3600 IN A 203.0.113.%u", x, o, x % 250);
		break;
	default:	/* a delegation deleted with its glue */
		if ((k = line_of(z, "NS", rng)) >= 0 && field(z->line[k], 0, o, sizeof o) &&
		    strcmp(o, origin) != 0)
			drop_tree(z, o);
		break;
	}
}

void ovt_mutate_nsec(struct ovt_zone *z, const char *origin, unsigned k, uint64_t *rng)
{
	for (unsigned i = 0; i < k; i++)
		edit_nsec(z, rng, origin);
	ovt_nsec_chain(z, origin);
	z->serial++;
}
