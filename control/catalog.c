/*
 * catalog.c - catalog zones (RFC 9432), the consumer role: the member
 * zones a catalog lists are served as secondary zones, with settings from
 * the configured templates, added and removed as the catalog changes.
 *
 * Each catalog's last valid reading is kept (catzone.h); a version that
 * is broken is refused and the previous reading stays in force.  Which
 * zone is served for which catalog is worked out from all the readings at
 * once (resolve): a zone configured in the file is never taken (§5.2), a
 * zone two catalogs list stays with the one that has it unless that one
 * hands it over with a coo property (§4.3.1, §5.5).  The outcome is
 * compared with what is served (struct owned) and the difference applied:
 * members added (a secondary zone entry in c->cfg.zones, member_of set,
 * so that transfers, NOTIFY and ringctl treat it as any other), removed
 * (§5.3: no longer served, its file deleted), moved, or reset when their
 * unique-id changed (§5.4, §5.6: removed and transferred anew).
 *
 * A catalog's new version is noticed when served (cat_zone_served, from
 * the zone jobs) and applied from the loop (cat_tick): adding and
 * removing zone table entries under a zone job would move the entry it
 * works on.  At start-up (cat_config) a catalog is read from its zone
 * file, so its members are in the configuration before zones load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/log.h"
#include "control/catzone.h"
#include "control/ctl.h"
#include "zones/snap.h"

/* A catalog's last valid reading. */
struct cat_read {
	char name[CFG_NAME_MAX];
	struct catz *z;		/* NULL: none valid yet */
	bool due;		/* a new version is served: read it */
	char refused[512];	/* why the last version read was refused, "" = not */
};

/* A member zone served for a catalog, and under which unique-id. */
struct owned {
	char zone[CFG_NAME_MAX];
	char catalog[CFG_NAME_MAX];
	uint8_t id[64];
	char tpl[CFG_TEMPLATE_ID_MAX];	/* the template it takes, "" = none */
	unsigned order;			/* its catalog's place in the configuration */
	const struct catz_member *m;	/* while resolving: its catalog's entry
					   (NULL once applied) */
};

struct cat_state {
	struct cat_read *rd;
	size_t nrd;
	struct owned *own;	/* sorted by zone */
	size_t nown;
};

static struct cat_state *state(struct ctl *c)
{
	if (!c->cat)
		c->cat = calloc(1, sizeof *c->cat);
	return c->cat;
}

static struct cat_read *read_of(struct cat_state *st, const char *catalog)
{
	for (size_t i = 0; st && i < st->nrd; i++)
		if (strcmp(st->rd[i].name, catalog) == 0)
			return &st->rd[i];
	return NULL;
}

static int own_cmp(const void *a, const void *b)
{
	return strcmp(((const struct owned *)a)->zone, ((const struct owned *)b)->zone);
}

/* By zone, then by the catalog's place in the configuration. */
static int own_order_cmp(const void *a, const void *b)
{
	const struct owned *x = a, *y = b;
	int c = strcmp(x->zone, y->zone);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static struct owned *owned_find(struct owned *v, size_t n, const char *zone)
{
	struct owned key;
	snprintf(key.zone, sizeof key.zone, "%s", zone);
	return n ? bsearch(&key, v, n, sizeof *v, own_cmp) : NULL;
}

static void id_text(const uint8_t *id, char *out, size_t cap)
{
	struct catz_member m;
	memcpy(m.id, id, 1u + id[0]);
	catz_id_text(&m, out, cap);
}

static bool same_id(const uint8_t *a, const uint8_t *b)
{
	return a[0] == b[0] && memcmp(a + 1, b + 1, a[0]) == 0;
}

/* ---- reading a catalog ---- */

/* A reading of catalog name from its zone file (start-up), or NULL with
 * the reason in why. */
static struct catz *read_file(const char *name, const char *file, char *why, size_t cap)
{
	uint8_t origin[DNAME_MAX];
	struct catz *z = NULL;
	if (dname_from_text(origin, name, strlen(name), NULL) < 0 || !(z = catz_new(origin))) {
		snprintf(why, cap, "out of memory");
		return NULL;
	}
	if (catz_add_file(z, file, why, cap) != 0 || catz_finish(z, why, cap) != 0) {
		catz_free(z);
		return NULL;
	}
	return z;
}

/* A reading of the version z serves, from its image; NULL with why. */
static struct catz *read_image(const struct zst *z, char *why, size_t cap)
{
	uint8_t origin[DNAME_MAX];
	struct catz *cz = NULL;
	void *m = NULL;
	/* the version served: a composed image after an incremental change */
	struct snap *s = zj_open_served(z, &m);
	if (!s)
		snprintf(why, cap, "its image is not at hand");
	else if (dname_from_text(origin, z->name, strlen(z->name), NULL) < 0 ||
		 !(cz = catz_new(origin)) || catz_add_snap(cz, s) != 0)
		snprintf(why, cap, "out of memory");
	else if (catz_finish(cz, why, cap) != 0) {
		catz_free(cz);
		cz = NULL;
	}
	if (s)
		snap_close(s);
	if (m)
		munmap(m, z->img_size);
	return cz;
}

/* ---- who serves what ---- */

/* The zones configured in the file (not members), sorted, for the
 * clash checks. */
struct names {
	const char **v;
	size_t n;
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool configured(const struct names *cf, const char *zone)
{
	return cf->n && bsearch(&zone, cf->v, cf->n, sizeof *cf->v, str_cmp);
}

/* Which of two catalogs listing a zone keeps it (first comes earlier in
 * the configuration): the one serving it (else first), unless that one's
 * member entry hands it to the other with coo (RFC 9432 §4.3.1, §5.5). */
static bool second_wins(const struct owned *first, const struct owned *second,
			const struct owned *prev)
{
	bool keep_second = prev && strcmp(prev->catalog, second->catalog) == 0;
	const struct owned *holder = keep_second ? second : first;
	const struct owned *other = keep_second ? first : second;
	bool moves = strcmp(holder->m->coo, other->catalog) == 0;
	if (!moves)
		log_warn("zone %s: listed by catalogs %s and %s, served for %s (RFC 9432 §5.2: "
			 "the other's entry is ignored)", first->zone, first->catalog,
			 second->catalog, holder->catalog);
	return moves != keep_second;
}

/* Every member of every catalog of cfg (as last read), one entry per
 * zone: who serves it.  Sorted by zone; NULL with *n 0 when none (or out
 * of memory: then nothing changes). */
static struct owned *resolve(const struct cfg *cfg, struct cat_state *st, size_t *n,
			     bool *oom)
{
	struct names cf = { calloc(cfg->nzones + 1, sizeof(char *)), 0 };
	size_t total = 0;
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct cfg_zone *z = &cfg->zones[i];
		const struct cat_read *r = z->catalog ? read_of(st, z->name) : NULL;
		if (!z->member_of[0] && cf.v)
			cf.v[cf.n++] = z->name;
		total += r && r->z ? catz_count(r->z) : 0;
	}
	struct owned *v = calloc(total + 1, sizeof *v);
	*n = 0;
	*oom = !v || !cf.v;
	if (*oom) {
		free(cf.v);
		free(v);
		return NULL;
	}
	qsort(cf.v, cf.n, sizeof *cf.v, str_cmp);
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct cat_read *r = cfg->zones[i].catalog ? read_of(st, cfg->zones[i].name)
								  : NULL;
		for (size_t k = 0; r && r->z && k < catz_count(r->z); k++) {
			const struct catz_member *m = catz_get(r->z, k);
			if (configured(&cf, m->zone)) {
				log_warn("zone %s: listed by catalog %s but configured in the file: "
					 "not taken from the catalog (RFC 9432 §5.2)", m->zone, r->name);
				continue;
			}
			struct owned *o = &v[(*n)++];
			snprintf(o->zone, sizeof o->zone, "%s", m->zone);
			snprintf(o->catalog, sizeof o->catalog, "%s", r->name);
			memcpy(o->id, m->id, sizeof o->id);
			o->order = (unsigned)i;
			o->m = m;
		}
	}
	free(cf.v);
	qsort(v, *n, sizeof *v, own_order_cmp);
	size_t w = 0;
	for (size_t i = 0; i < *n; i++) {
		if (w && strcmp(v[w - 1].zone, v[i].zone) == 0) {
			const struct owned *prev = owned_find(st->own, st->nown, v[i].zone);
			if (second_wins(&v[w - 1], &v[i], prev))
				v[w - 1] = v[i];
			continue;
		}
		v[w++] = v[i];
	}
	*n = w;
	return v;
}

/* ---- a member's settings ---- */

static const struct cfg_zone *cfg_zone_named(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, name) == 0)
			return &cfg->zones[i];
	return NULL;
}

/* The template of member m of catalog cz: the first of its groups that
 * names one (RFC 9432 §4.3.2), else the catalog's; -1 = none. */
static int template_of(const struct cfg *cfg, const struct cfg_zone *cz,
		       const struct catz_member *m)
{
	for (unsigned g = 0; g < m->ngroups; g++)
		for (size_t t = 0; t < cfg->ntemplates; t++)
			if (strcmp(cfg->templates[t].id, m->groups[g]) == 0)
				return (int)t;
	return cz->catalog_template;
}

/* Where member zone's file goes in dir (catz_file_name), malloc'd. */
static char *member_path(const char *dir, const char *zone)
{
	char name[CATZ_FILE_NAME_MAX];
	catz_file_name(zone, name, sizeof name);
	size_t dl = strlen(dir), nl = strlen(name);
	char *path = malloc(dl + nl + 2);
	if (path)
		sprintf(path, "%s/%s", dir, name);
	return path;
}

/* Member o's configuration entry in e (its file malloc'd): its template's
 * settings (RFC 9432 leaves them to the consumer's configuration), else
 * its catalog's.  -1 when out of memory. */
static int member_entry(const struct cfg *cfg, struct owned *o, struct cfg_zone *e)
{
	const struct cfg_zone *cz = cfg_zone_named(cfg, o->catalog);
	int t = template_of(cfg, cz, o->m);
	const struct cfg_template *tp = t >= 0 ? &cfg->templates[t] : NULL;
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", o->zone);
	snprintf(e->member_of, sizeof e->member_of, "%s", o->catalog);
	snprintf(o->tpl, sizeof o->tpl, "%s", tp ? tp->id : "");
	e->catalog_template = -1;
	bool own_primaries = tp && tp->nprimaries;
	/* the TLS settings of each primary are the entry's own (cfg_free) */
	if (cfg_remotes_copy(e->primaries, own_primaries ? tp->primaries : cz->primaries,
			     own_primaries ? tp->nprimaries : cz->nprimaries) != 0)
		return -1;
	e->nprimaries = own_primaries ? tp->nprimaries : cz->nprimaries;
	e->key = own_primaries ? tp->key : cz->key;
	if (tp) {
		memcpy(e->notify, tp->notify, sizeof e->notify);
		e->nnotify = tp->nnotify;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", tp && tp->storage ? tp->storage : cz->file);
	if (!(tp && tp->storage)) {
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			snprintf(dir, sizeof dir, ".");
	}
	e->file = member_path(dir, o->zone);
	if (!e->file) {
		cfg_remotes_free(e->primaries, &e->nprimaries);
		return -1;
	}
	return 0;
}

/* Frees what a member's entry holds (member_entry made it). */
static void member_free(struct cfg_zone *e)
{
	free(e->file);
	e->file = NULL;
	cfg_remotes_free(e->primaries, &e->nprimaries);
}

static int cfg_append(struct cfg *cfg, const struct cfg_zone *e)
{
	struct cfg_zone *v = realloc(cfg->zones, (cfg->nzones + 1) * sizeof *v);
	if (!v)
		return -1;
	cfg->zones = v;
	v[cfg->nzones++] = *e;
	return 0;
}

/* ---- start-up and configuration reloads ---- */

/* Where the last valid version of a catalog kept in file is kept. */
static void valid_path(const char *file, char *out, size_t cap)
{
	snprintf(out, cap, "%s.valid", file);
}

/* The version in file (served) is valid: keep it, so that a restart
 * that finds a refused version in file serves the members of this one
 * (a hard link, replaced atomically: file is replaced by rename, never
 * written in place). */
static void keep_valid(const char *file)
{
	char v[4200], err[512];
	valid_path(file, v, sizeof v);
	if (af_link(file, v, "catalog", err, sizeof err) != 0)
		log_warn("catalog file %s: its valid version not kept as %s: %s", file, v, err);
}

/* r's reading from its zone file, else from the last valid version kept
 * beside it. */
static void read_at_start(struct cat_read *r, const char *file)
{
	char why[512], vwhy[512], v[4200];
	r->z = read_file(r->name, file, why, sizeof why);
	if (r->z) {
		log_info("catalog %s: %zu member zones, read from %s", r->name, catz_count(r->z),
			 file);
		return;
	}
	valid_path(file, v, sizeof v);
	r->z = access(v, F_OK) == 0 ? read_file(r->name, v, vwhy, sizeof vwhy) : NULL;
	if (r->z) {
		snprintf(r->refused, sizeof r->refused, "%s", why);
		log_warn("catalog %s: %s; serving the %zu member zones of its last valid "
			 "version, kept in %s", r->name, why, catz_count(r->z), v);
	} else {
		log_notice("catalog %s: no members until a valid version is served (%s)",
			   r->name, why);
	}
}

/* The readings of n's catalogs: those kept, the others read from their
 * files (a catalog dropped from the configuration is forgotten). */
static void sync_reads(struct cat_state *st, const struct cfg *n)
{
	struct cat_read *v = calloc(n->nzones + 1, sizeof *v);
	size_t nv = 0;
	for (size_t i = 0; v && i < n->nzones; i++) {
		const struct cfg_zone *z = &n->zones[i];
		if (!z->catalog)
			continue;
		struct cat_read *r = &v[nv++], *old = read_of(st, z->name);
		if (old) {
			*r = *old;
			old->z = NULL;
			continue;
		}
		snprintf(r->name, sizeof r->name, "%s", z->name);
		read_at_start(r, z->file);
	}
	if (!v) {
		log_err("catalogs: out of memory");
		return;
	}
	for (size_t i = 0; i < st->nrd; i++)
		catz_free(st->rd[i].z);
	free(st->rd);
	st->rd = v;
	st->nrd = nv;
}

void cat_config(struct ctl *c, struct cfg *n)
{
	struct cat_state *st = state(c);
	if (!st) {
		log_err("catalogs: out of memory");
		return;
	}
	sync_reads(st, n);
	size_t nw;
	bool oom;
	struct owned *w = resolve(n, st, &nw, &oom);
	if (oom) {
		log_err("catalogs: out of memory: member zones not configured");
		return;
	}
	for (size_t i = 0; i < nw; i++) {
		struct cfg_zone e;
		if (member_entry(n, &w[i], &e) != 0 || cfg_append(n, &e) != 0) {
			member_free(&e);
			log_err("catalogs: out of memory: %zu of %zu member zones configured", i, nw);
			nw = i;
			break;
		}
		w[i].m = NULL;
	}
	free(st->own);
	st->own = w;
	st->nown = nw;
}

/* ---- applying a change ---- */

static size_t cfg_index(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, name) == 0 && cfg->zones[i].member_of[0])
			return i;
	return SIZE_MAX;
}

/* Stops serving member zone o and deletes its file and what goes with
 * it (RFC 9432 §5.3: the zone and its associated state). */
static void drop_member(struct ctl *c, const struct owned *o, const char *why)
{
	size_t k = cfg_index(&c->cfg, o->zone);
	struct zst *z = zj_find(c, o->zone);
	log_notice("zone %s: %s: no longer served", o->zone, why);
	if (z) {
		/* its check, which would write a file that is to go, stops */
		z->in_cfg = false;
		zj_drop_unconfigured(c);
	}
	if (c->cfg.cache_dir) {
		/* an image still to be cached would come back after the drop */
		zj_cache_flush(c);
		zcache_drop(c->cfg.cache_dir, o->zone);
	}
	if (k == SIZE_MAX)
		return;
	struct cfg_zone *e = &c->cfg.zones[k];
	if (unlink(e->file) != 0 && errno != ENOENT)
		log_warn("zone %s: %s not deleted: %s", o->zone, e->file, strerror(errno));
	member_free(e);
	memmove(e, e + 1, (c->cfg.nzones - k - 1) * sizeof *e);
	c->cfg.nzones--;
}

/* Serves member zone o: a new secondary zone, transferred at once. */
static void add_member(struct ctl *c, struct owned *o)
{
	struct cfg_zone e;
	if (member_entry(&c->cfg, o, &e) != 0 || cfg_append(&c->cfg, &e) != 0) {
		member_free(&e);
		log_err("zone %s: not added from catalog %s: out of memory", o->zone, o->catalog);
		return;
	}
	/* a new member starts with no state (RFC 9432 §5.6): a file left
	 * from an earlier life of it is not served */
	unlink(e.file);
	struct zst *z = zj_add(c, o->zone, e.file);
	if (z)
		z->next_check = 0;
	char id[128];
	id_text(o->id, id, sizeof id);
	log_notice("zone %s: added from catalog %s (unique-id %s, template %s)%s", o->zone,
		   o->catalog, id, o->tpl[0] ? o->tpl : "-",
		   e.nprimaries ? "" : ": no primaries (neither its template nor the catalog has any)");
}

static bool same_remotes(const struct cfg_zone *a, const struct cfg_zone *b)
{
	if (a->nprimaries != b->nprimaries || a->key != b->key)
		return false;
	for (unsigned i = 0; i < a->nprimaries; i++)
		if (strcmp(a->primaries[i].text, b->primaries[i].text) != 0)
			return false;
	return true;
}

/* Member o, served before as was, keeps its data; its catalog (a change
 * of ownership, §5.5) or its template may have changed. */
static void update_member(struct ctl *c, struct owned *o, const struct owned *was)
{
	size_t k = cfg_index(&c->cfg, o->zone);
	struct cfg_zone e;
	if (k == SIZE_MAX)
		return;
	if (member_entry(&c->cfg, o, &e) != 0) {
		log_err("zone %s: settings not updated: out of memory", o->zone);
		return;
	}
	struct cfg_zone *old = &c->cfg.zones[k];
	struct zst *z = zj_find(c, o->zone);
	if (strcmp(was->catalog, o->catalog) != 0)
		log_notice("zone %s: moved from catalog %s to %s (RFC 9432 §5.5: its coo "
			   "property)", o->zone, was->catalog, o->catalog);
	if (strcmp(old->file, e.file) != 0) {
		char err[512];
		if (rename(old->file, e.file) != 0 && errno != ENOENT)
			log_warn("zone %s: %s not moved to %s: %s", o->zone, old->file, e.file,
				 strerror(errno));
		else if (af_sync_dir(e.file, err, sizeof err) != 0 ||
			 af_sync_dir(old->file, err, sizeof err) != 0)
			log_warn("zone %s: moved to %s: %s", o->zone, e.file, err);
		if (z) {
			free(z->file);
			z->file = strdup(e.file);
		}
	}
	if (z && !same_remotes(old, &e))
		z->next_check = 0;	/* ask the new primaries */
	if (strcmp(was->tpl, o->tpl) != 0)
		log_notice("zone %s: now takes template %s", o->zone, o->tpl[0] ? o->tpl : "-");
	member_free(old);
	*old = e;
}

/* Serves what the catalogs as read now say (resolve) in place of what
 * was served for them. */
static void apply(struct ctl *c, struct cat_state *st)
{
	size_t nw;
	bool oom;
	struct owned *w = resolve(&c->cfg, st, &nw, &oom);
	if (oom) {
		log_err("catalogs: out of memory: member zones unchanged");
		return;
	}
	char a[128], b[128], why[1024];
	for (size_t i = 0; i < st->nown; i++) {
		const struct owned *o = &st->own[i];
		const struct owned *n = owned_find(w, nw, o->zone);
		if (!n) {
			snprintf(why, sizeof why, "removed from catalog %s", o->catalog);
			drop_member(c, o, why);
		} else if (!same_id(o->id, n->id)) {
			/* RFC 9432 §5.4, §5.6: a new member node, a new zone */
			id_text(o->id, a, sizeof a);
			id_text(n->id, b, sizeof b);
			snprintf(why, sizeof why, "unique-id %s in catalog %s became %s in %s: "
				 "reset", a, o->catalog, b, n->catalog);
			drop_member(c, o, why);
		}
	}
	for (size_t i = 0; i < nw; i++) {
		const struct owned *o = owned_find(st->own, st->nown, w[i].zone);
		if (!o || !same_id(o->id, w[i].id))
			add_member(c, &w[i]);
		else
			update_member(c, &w[i], o);
		w[i].m = NULL;
	}
	free(st->own);
	st->own = w;
	st->nown = nw;
}

void cat_zone_served(struct ctl *c, const struct zst *z)
{
	struct cat_read *r = read_of(c->cat, z->name);
	if (r)
		r->due = true;
}

void cat_tick(struct ctl *c)
{
	struct cat_state *st = c->cat;
	bool changed = false;
	for (size_t i = 0; st && i < st->nrd; i++) {
		struct cat_read *r = &st->rd[i];
		const struct zst *z = r->due ? zj_find(c, r->name) : NULL;
		r->due = false;
		if (!z)
			continue;
		struct catz *n = read_image(z, r->refused, sizeof r->refused);
		if (!n) {
			log_err("catalog %s: serial %u refused: %s; the %zu member zones of the last "
				"valid version go on being served", r->name, z->serial, r->refused,
				r->z ? catz_count(r->z) : 0);
			continue;
		}
		r->refused[0] = 0;
		catz_free(r->z);
		r->z = n;
		changed = true;
		keep_valid(z->file);
		log_info("catalog %s: serial %u, %zu member zones", r->name, z->serial,
			 catz_count(n));
	}
	if (changed) {
		apply(c, st);
		c->peers_due = true;	/* the members' primaries may NOTIFY them */
	}
}

void cat_zone_line(struct ctl *c, const struct zst *z, struct ctl_out *o)
{
	struct cat_state *st = c->cat;
	const struct owned *m = st ? owned_find(st->own, st->nown, z->name) : NULL;
	const struct cat_read *r = read_of(st, z->name);
	char id[128];
	/* own is what c->cfg's member entries are made from */
	if (m) {
		id_text(m->id, id, sizeof id);
		ctl_printf(o, "  member of catalog %s: unique-id %s, template %s\n", m->catalog, id,
			   m->tpl[0] ? m->tpl : "-");
	} else if (r) {
		ctl_printf(o, "  catalog of %zu member zones%s%s\n", r->z ? catz_count(r->z) : 0,
			   r->refused[0] ? "; last version refused: " : "", r->refused);
	}
}

void cat_fini(struct ctl *c)
{
	struct cat_state *st = c->cat;
	if (!st)
		return;
	for (size_t i = 0; i < st->nrd; i++)
		catz_free(st->rd[i].z);
	free(st->rd);
	free(st->own);
	free(st);
	c->cat = NULL;
}
