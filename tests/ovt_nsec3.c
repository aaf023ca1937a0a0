/*
 * ovt_nsec3.c - incremental-image test helpers for NSEC3 zones: a zone
 * version's NSEC3 chain made again as a signer makes it (RFC 5155 §7.1),
 * so that a change of names comes with the chain's own changes (owners
 * joining and leaving, the next hashed owner of the one before), and the
 * random name changes of such a zone (ovt.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/ovt.h"
#include "zones/dname.h"
#include "zones/enc.h"
#include "zones/snap.h"

/* One owner of the version: its name (lowercased text) and types. */
struct own {
	char name[300];
	char types[600];	/* " A NS DS ..." */
	bool cut, ds, occluded, in;
	uint8_t hash[20];
};

struct chain {
	struct own *v;
	size_t n, cap;
	char origin[300];
	uint8_t salt[255];
	size_t salt_len;
	unsigned iter, ttl;
	bool optout;
};

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static struct own *own_of(struct chain *c, const char *name)
{
	for (size_t k = 0; k < c->n; k++)
		if (strcmp(c->v[k].name, name) == 0)
			return &c->v[k];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = realloc(c->v, c->cap * sizeof *c->v);
	}
	struct own *o = &c->v[c->n++];
	memset(o, 0, sizeof *o);
	snprintf(o->name, sizeof o->name, "%s", name);
	return o;
}

/* Does list (" A NS ...") hold t? */
static bool has_ovt_field(const char *list, const char *t)
{
	size_t n = strlen(t);
	for (const char *p = list; (p = strstr(p, t)) != NULL; p += n)
		if (p > list && p[-1] == ' ' && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

/* Is name strictly below anc (both lowercased, absolute)? */
static bool below(const char *name, const char *anc)
{
	size_t n = strlen(name), a = strlen(anc);
	return n > a && name[n - a - 1] == '.' && strcmp(name + n - a, anc) == 0;
}

/* The version's owners but the chain's (NSEC3 records and their RRSIGs
 * dropped from z), the parameters from its NSEC3PARAM. */
static void gather(struct ovt_zone *z, const char *origin, struct chain *c)
{
	snprintf(c->origin, sizeof c->origin, "%s", origin);
	lower(c->origin);
	c->ttl = 300;
	for (size_t k = z->n; k-- > 0;) {
		char o[300], ttl[32], t[32], cov[32], f[8][300];
		if (!ovt_field(z->line[k], 0, o, sizeof o) || !ovt_field(z->line[k], 1, ttl, sizeof ttl) ||
		    !ovt_field(z->line[k], 3, t, sizeof t))
			continue;
		ovt_field(z->line[k], 4, cov, sizeof cov);
		if (strcmp(t, "NSEC3") == 0 || (strcmp(t, "RRSIG") == 0 && strcmp(cov, "NSEC3") == 0)) {
			if (strcmp(t, "NSEC3") == 0)
				c->ttl = (unsigned)atoi(ttl);
			ovt_del(z, k);
			continue;
		}
		lower(o);
		if (strcmp(t, "NSEC3PARAM") == 0) {
			for (int i = 0; i < 4; i++)
				ovt_field(z->line[k], 4 + i, f[i], sizeof f[i]);
			c->iter = (unsigned)atoi(f[2]);
			c->salt_len = strcmp(f[3], "-") ? strlen(f[3]) / 2 : 0;
			for (size_t i = 0; i < c->salt_len; i++)
				sscanf(f[3] + 2 * i, "%2hhx", &c->salt[i]);
		}
		struct own *w = own_of(c, o);
		if (!has_ovt_field(w->types, t)) {
			size_t l = strlen(w->types);
			snprintf(w->types + l, sizeof w->types - l, " %s", t);
		}
		w->cut |= strcmp(t, "NS") == 0 && strcmp(o, c->origin) != 0;
		w->ds |= strcmp(t, "DS") == 0;
	}
}

/* Which names the chain holds: every authoritative name, but under
 * opt-out the insecure delegations; the empty non-terminals above those
 * it holds (RFC 5155 §7.1). */
static void choose(struct chain *c)
{
	for (size_t k = 0; k < c->n; k++)
		for (size_t j = 0; j < c->n; j++)
			if (c->v[j].cut && below(c->v[k].name, c->v[j].name))
				c->v[k].occluded = true;
	size_t n0 = c->n;
	for (size_t k = 0; k < n0; k++) {
		struct own *w = &c->v[k];
		w->in = !w->occluded && !(c->optout && w->cut && !w->ds);
		if (!w->in)
			continue;
		char anc[300];
		snprintf(anc, sizeof anc, "%s", w->name);
		while (below(anc, c->origin)) {
			memmove(anc, strchr(anc, '.') + 1, strlen(strchr(anc, '.') + 1) + 1);
			own_of(c, anc)->in = true;
		}
	}
}

static int by_hash(const void *a, const void *b)
{
	return memcmp(((const struct own *)a)->hash, ((const struct own *)b)->hash, 20);
}

void ovt_rechain_nsec3(struct ovt_zone *z, const char *origin, bool optout)
{
	struct chain c = { .optout = optout };
	gather(z, origin, &c);
	choose(&c);
	size_t m = 0;
	for (size_t k = 0; k < c.n; k++) {
		if (!c.v[k].in)
			continue;
		uint8_t wire[DNAME_MAX];
		if (dname_from_text(wire, c.v[k].name, strlen(c.v[k].name), NULL) < 0)
			abort();
		snap_nsec3_hash(wire, c.salt, c.salt_len, c.iter, c.v[k].hash);
		c.v[m++] = c.v[k];
	}
	qsort(c.v, m, sizeof *c.v, by_hash);
	char salt[520] = "-";
	for (size_t i = 0; i < c.salt_len; i++)
		sprintf(salt + 2 * i, "%02X", c.salt[i]);
	unsigned labels = 1;
	for (const char *p = c.origin; *p; p++)
		labels += *p == '.';
	labels -= 1;
	for (size_t k = 0; k < m; k++) {
		char own[40], next[40];
		own[enc_b32hex_encode(own, c.v[k].hash, 20)] = 0;
		next[enc_b32hex_encode(next, c.v[(k + 1) % m].hash, 20)] = 0;
		ovt_add(z, "%s.%s %u IN NSEC3 1 %u %u %s %s%s", own, c.origin, c.ttl, optout ? 1 : 0,
			c.iter, salt, next, c.v[k].types);
		ovt_add(z, "%s.%s %u IN RRSIG NSEC3 13 %u %u 20361231000000 20260101000000 34959 %s "
			"%.86s==", own, c.origin, c.ttl, labels + 1, c.ttl, c.origin,
			"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3"
			"ODkrLw");
	}
	free(c.v);
}

/* ------------------------------------------------------- name changes */

/* The owner of a random line of type type (not the apex's), or false. */
static bool owner_with(const struct ovt_zone *z, const char *origin, const char *type,
		       uint64_t *rng, char *o, size_t cap)
{
	char t[32];
	for (size_t tries = 0; z->n && tries < 4 * z->n + 8; tries++) {
		size_t k = ovt_rnd(rng) % z->n;
		if (ovt_field(z->line[k], 3, t, sizeof t) && strcmp(t, type) == 0 &&
		    ovt_field(z->line[k], 0, o, cap) && strcasecmp(o, origin) != 0)
			return true;
	}
	return false;
}

static bool has(const struct ovt_zone *z, const char *o, const char *type)
{
	char f0[300], f3[32];
	for (size_t k = 0; k < z->n; k++)
		if (ovt_field(z->line[k], 0, f0, sizeof f0) && strcasecmp(f0, o) == 0 &&
		    ovt_field(z->line[k], 3, f3, sizeof f3) && strcmp(f3, type) == 0)
			return true;
	return false;
}

/* Deletes the lines of name and below (of type only, when not NULL,
 * with the RRSIGs over it). */
static void drop(struct ovt_zone *z, const char *name, const char *type)
{
	char o[300], t[32], cov[32];
	size_t nl = strlen(name);
	for (size_t k = z->n; k-- > 0;) {
		ovt_field(z->line[k], 0, o, sizeof o);
		ovt_field(z->line[k], 3, t, sizeof t);
		cov[0] = 0;
		ovt_field(z->line[k], 4, cov, sizeof cov);
		size_t ol = strlen(o);
		bool at = strcasecmp(o, name) == 0;
		bool under = ol > nl && o[ol - nl - 1] == '.' && strcasecmp(o + ol - nl, name) == 0;
		if (type ? at && (strcmp(t, type) == 0 || (strcmp(t, "RRSIG") == 0 &&
							   strcmp(cov, type) == 0))
			 : at || under)
			ovt_del(z, k);
	}
}

static void edit_names(struct ovt_zone *z, uint64_t *rng, const char *o0)
{
	char o[300];
	unsigned x = (unsigned)(ovt_rnd(rng) % 100000), r = (unsigned)(ovt_rnd(rng) % 12);
	switch (r) {
	case 0:		/* a host */
		ovt_add(z, "h%u.%s 3600 IN A 192.0.2.%u", x, o0, x % 250);
		ovt_add(z, "h%u.%s 3600 IN AAAA 2001:db8::%x", x, o0, x % 65536);
		break;
	case 1:		/* a name below an empty non-terminal */
		ovt_add(z, "a%u.e%u.%s 3600 IN TXT \"t%u\"", x, x % 7, o0, x);
		break;
	case 2:		/* a name deleted (with the names below it) */
		if (owner_with(z, o0, "A", rng, o, sizeof o) || owner_with(z, o0, "TXT", rng, o, sizeof o))
			drop(z, o, NULL);
		break;
	case 3:		/* a wildcard */
		ovt_add(z, "*.w%u.%s 3600 IN TXT \"w%u\"", x % 5, o0, x);
		break;
	case 4:		/* a secure delegation with glue */
		ovt_add(z, "s%u.%s 3600 IN NS ns1.s%u.%s", x, o0, x, o0);
		ovt_add(z, "s%u.%s 3600 IN DS %u 13 2 %064X", x, o0, x % 65536, x);
		ovt_add(z, "ns1.s%u.%s 3600 IN A 198.51.100.%u", x, o0, x % 250);
		break;
	case 5:		/* a DS added to a delegation */
		if (owner_with(z, o0, "NS", rng, o, sizeof o) && !has(z, o, "DS"))
			ovt_add(z, "%s 3600 IN DS %u 13 2 %064X", o, x % 65536, x);
		break;
	case 6:		/* a delegation's DS deleted */
		if (owner_with(z, o0, "DS", rng, o, sizeof o))
			drop(z, o, "DS");
		break;
	case 7:		/* a delegation deleted, with its glue */
		if (owner_with(z, o0, "NS", rng, o, sizeof o))
			drop(z, o, NULL);
		break;
	case 8:		/* an insecure delegation */
		ovt_add(z, "d%u.%s 3600 IN NS ns.d%u.example.test.", x, o0, x);
		break;
	case 10:	/* a cut made at a name with data (its names occluded) */
		if (owner_with(z, o0, "A", rng, o, sizeof o) && !has(z, o, "CNAME"))
			ovt_add(z, "%s 3600 IN NS ns.d%u.example.test.", o, x);
		break;
	case 11:	/* a cut unmade, its DS and glue kept (names uncovered) */
		if (owner_with(z, o0, "NS", rng, o, sizeof o))
			drop(z, o, "NS");
		break;
	default:	/* data at an existing name */
		if (owner_with(z, o0, "A", rng, o, sizeof o))
			ovt_add(z, "%s 3600 IN TXT \"x%u\"", o, x);
		break;
	}
}

void ovt_mutate_nsec3(struct ovt_zone *z, const char *origin, bool optout, unsigned k,
		      uint64_t *rng)
{
	for (unsigned i = 0; i < k; i++)
		edit_names(z, rng, origin);
	ovt_rechain_nsec3(z, origin, optout);
	z->serial++;
}
