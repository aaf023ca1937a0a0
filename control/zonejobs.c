/*
 * zonejobs.c - ringdns-control's zone jobs: the zone table kept in step
 * with the configuration, and each zone's load: its source (the cached
 * image when its files are unchanged, else the zone file parsed and
 * checked into a struct zone), then the compile, the hand-over to the
 * dataplane and the image written to the cache once idle.  A source that
 * yields a struct zone (a zone transfer) goes through the same publish
 * step.  A zone that fails to load keeps its previous version serving;
 * its error (FILE:LINE) is kept for `ringctl zones` and logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/crashpt.h"
#include "common/ipc.h"
#include "common/log.h"
#include "control/ctl.h"
#include "zones/compile.h"
#include "zones/diag.h"
#include "zones/rdata.h"
#include "zones/snap.h"
#include "zones/snap_format.h"
#include "zones/dname.h"
#include "zones/zone.h"
#include "zones/zonefile.h"

/* When and how a load began, for its timings and the cache. */
struct zjob {
	double t0;		/* monotonic seconds */
	time_t started;		/* wall clock: the cache compares mtimes with it */
	struct zcache_files files;	/* the files the load read */
	const volatile sig_atomic_t *cancel;	/* stops the load when set */
	unsigned max_mb, max_records;	/* zone-max-mb, zone-max-records */
	char err[1024];
};

static const char *const passthru[] = { "--dp-fd", "--xfr-fd", NULL };

static double mono_s(void)
{
	return (double)ipc_now_ms() / 1e3;
}

struct errbuf {
	char *buf;
	size_t cap, len;
	unsigned shown;
	const char *zone;
};

static void collect(void *ud, enum diag_sev sev, const char *file, unsigned line,
		    const char *msg)
{
	struct errbuf *e = ud;
	char where[512];
	if (line)
		snprintf(where, sizeof where, "%s:%u", file ? file : "-", line);
	else
		snprintf(where, sizeof where, "%s", file ? file : "-");
	if (sev == DIAG_WARNING) {
		log_warn("zone %s: %s: warning: %s", e->zone, where, msg);
		return;
	}
	log_err("zone %s: %s: error: %s", e->zone, where, msg);
	/* keep the first errors for ringctl zones */
	if (e->shown++ < 3 && e->len < e->cap) {
		int n = snprintf(e->buf + e->len, e->cap - e->len, "%s%s: %s",
				 e->len ? "; " : "", where, msg);
		if (n > 0)
			e->len += (size_t)n < e->cap - e->len ? (size_t)n : e->cap - e->len - 1;
	}
}

/* The image in memfd fd (size bytes) mapped and opened; NULL when it
 * cannot be (*map for munmap). */
static struct snap *open_image(int fd, size_t size, void **map)
{
	struct snap *s = NULL;
	/* served, so validated by the dataplane already */
	*map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED || snap_open_validated(*map, size, &s) != 0) {
		if (*map != MAP_FAILED)
			munmap(*map, size);
		*map = NULL;
		return NULL;
	}
	return s;
}

struct snap *zj_open_served(const struct zst *z, void **map)
{
	size_t isz;
	const uint8_t *cur = inc_image(z, &isz);	/* a version served incrementally */
	*map = NULL;
	if (cur) {
		struct snap *s = NULL;
		return snap_open_validated(cur, isz, &s) == 0 ? s : NULL;
	}
	return z->img_fd >= 0 ? open_image(z->img_fd, z->img_size, map) : NULL;
}

struct journal *zj_journal(struct ctl *c, struct zst *z, uint32_t from, uint32_t to)
{
	size_t max = (size_t)c->cfg.journal_max_mb << 20;
	if (!c->cfg.nallow_transfer || !max || to == from)
		return NULL;
	if (!z->jr)
		z->jr = jr_new(max);
	/* RFC 1982: a serial that went back starts the history anew */
	if (z->jr && !rdata_serial_gt(to, from)) {
		jr_free(z->jr);
		z->jr = jr_new(max);
	}
	return z->jr;
}

void zj_journal_diff(struct ctl *c, struct zst *z, const struct zdiff *d)
{
	struct journal *jr = zj_journal(c, z, d->from, d->to);
	if (jr && jr_add_diff(jr, d) != 0)
		log_warn("zone %s: difference %u -> %u not kept: out of memory", z->name, d->from,
			 d->to);
}

/* The difference from the version served so far to the new one in fd,
 * into z's journal (RFC 1995 IXFR), when transfers are allowed at all
 * and the caller does not record it itself (an IXFR received). */
static void journal_step(struct ctl *c, struct zst *z, int fd, size_t size)
{
	if (z->img_fd < 0 || z->jr_by_caller || !c->cfg.nallow_transfer ||
	    !c->cfg.journal_max_mb)
		return;
	void *om, *nm;
	struct snap *o = zj_open_served(z, &om);
	struct snap *n = o ? open_image(fd, size, &nm) : NULL;
	uint32_t from = o ? snap_hdr(o)->serial : 0, to = n ? snap_hdr(n)->serial : 0;
	struct journal *jr = n ? zj_journal(c, z, from, to) : NULL;
	if (jr && jr_add(jr, o, n) != 0)
		log_warn("zone %s: difference %u -> %u not kept: out of memory", z->name, from,
			 to);
	else if (jr)
		log_debug("zone %s: journal: %zu differences, %zu bytes", z->name, jr_count(jr),
			  jr_bytes(jr));
	if (n) {
		snap_close(n);
		munmap(nm, size);
	}
	snap_close(o);
	if (om)
		munmap(om, z->img_size);
}

/* Keeps a descriptor of the image now served (fd stays the caller's):
 * outgoing transfers are written from it. */
static void keep_image(struct ctl *c, struct zst *z, int fd, size_t size)
{
	journal_step(c, z, fd, size);
	inc_reset(z);
	if (z->img_fd >= 0)
		close(z->img_fd);
	z->img_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	z->img_size = size;
	if (z->img_fd < 0)
		log_warn("zone %s: image not kept for transfers: %s", z->name, strerror(errno));
}

static void zone_served(struct ctl *c, struct zst *z, uint32_t serial, uint64_t records,
			size_t size, double t0)
{
	bool changed = !z->served || z->serial != serial;
	c->trim_due = true;
	z->served = true;
	z->expired = false;
	z->serial = serial;
	z->records = records;
	z->image_size = size;
	z->loaded_at = time(NULL);
	z->load_s = mono_s() - t0;
	z->error[0] = 0;
	if (changed)
		ntf_zone_changed(c, z);
	cat_zone_served(c, z);
	inc_prepare(c, z);	/* a secondary's next change: incremental */
}

/* ----------------------------------------------------------- the cache */

/* An image to write to the cache once the process is idle. */
static void cache_later(struct ctl *c, struct zst *z, int fd, size_t size, uint32_t serial,
			uint64_t records, struct zcache_files *files, time_t started)
{
	struct pending *p = NULL;
	for (size_t i = 0; i < c->npending; i++)
		if (strcmp(c->pending[i].zone, z->name) == 0)
			p = &c->pending[i];	/* superseded: the newer image wins */
	if (p) {
		close(p->fd);
		zcache_files_free(&p->files);
	} else {
		struct pending *v = realloc(c->pending, (c->npending + 1) * sizeof *v);
		if (!v) {
			close(fd);
			zcache_files_free(files);
			return;
		}
		c->pending = v;
		p = &c->pending[c->npending++];
	}
	snprintf(p->zone, sizeof p->zone, "%s", z->name);
	p->fd = fd;
	p->size = size;
	p->serial = serial;
	p->records = records;
	p->files = *files;
	p->started = started;
	memset(files, 0, sizeof *files);
}

void zj_cache_flush(struct ctl *c)
{
	for (size_t i = 0; i < c->npending; i++) {
		struct pending *p = &c->pending[i];
		char err[512];
		double t = mono_s();
		int rc = zcache_store(c->cfg.cache_dir, p->zone, p->fd, p->size, p->serial,
				      p->records, &p->files, p->started, err, sizeof err);
		if (rc < 0)
			log_warn("zone %s: image not cached: %s", p->zone, err);
		else if (rc == 0)
			log_debug("zone %s: image cached in %.2f s", p->zone, mono_s() - t);
		close(p->fd);
		zcache_files_free(&p->files);
	}
	c->npending = 0;
}

/* Serves zone z from its cached image when its files are unchanged.
 * 1 when served, 0 otherwise (go and compile it). */
static int zone_from_cache(struct ctl *c, struct zst *z, double t0)
{
	struct zcache_hit h;
	char why[512], err[512];
	/* an image still waiting to be written is older than any cache file
	 * of it: write it first so that the check below sees the newest */
	zj_cache_flush(c);
	int rc = zcache_load(c->cfg.cache_dir, z->name, &h, why, sizeof why);
	if (rc <= 0) {
		if (rc < 0)
			log_warn("zone %s: cache: %s", z->name, why);
		else
			log_debug("zone %s: not from the cache: %s", z->name, why);
		return 0;
	}
	cp_at("cache-read");
	rc = dpc_hand_over(c, z->name, h.fd, h.size, h.serial, h.records, err, sizeof err);
	if (rc == 0)
		keep_image(c, z, h.fd, h.size);
	close(h.fd);
	if (rc != 0) {
		log_warn("zone %s: cached image not used (%s); compiling the zone file", z->name,
			 err);
		zcache_drop(c->cfg.cache_dir, z->name);
		return 0;
	}
	zone_served(c, z, h.serial, h.records, h.size, t0);
	log_info("zone %s: serial %u loaded from the cached image of %s: %llu records, "
		 "%.1f MB image, %.2f s", z->name, h.serial, z->file,
		 (unsigned long long)h.records, h.size / 1e6, z->load_s);
	return 1;
}

/* ---------------------------------------------------------- a zone load */

/* Parses and checks z's file into a finished zone without errors, or
 * returns NULL with j->err set. */
static struct zone *zone_from_file(struct zst *z, const uint8_t *origin, struct zjob *j)
{
	struct errbuf eb = { j->err, sizeof j->err, 0, 0, z->name };
	struct diag d = { .fn = collect, .ud = &eb };
	struct zone *zn = zone_new(origin, &d);
	if (!zn) {
		snprintf(j->err, sizeof j->err, "out of memory loading %s", z->file);
		return NULL;
	}
	zone_set_cancel(zn, j->cancel);
	struct zf_options opt = { .origin = origin, .on_file = zcache_on_file,
				  .on_file_ud = &j->files,
				  .max_bytes = (uint64_t)j->max_mb << 20,
				  .max_records = j->max_records };
	struct stat fst;
	if (stat(z->file, &fst) == 0)
		zone_expect(zn, (uint64_t)fst.st_size);
	zf_parse_file(z->file, &opt, zone_add_cb, zn, &d);
	if (zone_finish(zn) == 0)
		zone_check_limits(zn);
	if (d.errors) {
		if (d.errors > eb.shown)
			snprintf(j->err + eb.len, sizeof j->err - eb.len, " (%u errors in all)",
				 d.errors);
		zone_free(zn);
		return NULL;
	}
	return zn;
}

/* Compiles zn (freed here), hands the image over and records z as
 * served; the image goes to the cache later.  0, or -1 with j->err. */
static int zone_publish(struct ctl *c, struct zst *z, struct zone *zn, struct zjob *j)
{
	struct zone_stats st;
	zone_get_stats(zn, &st);
	double t1 = mono_s();
	void *image = NULL;
	size_t size = 0;
	int rc = zc_compile_shed(zn, &image, &size, j->err, sizeof j->err);
	/* freed before the hand-over: with the unmapping of hundreds of MB
	 * right after the swap instead, one bench run counted 68 of 40k
	 * queries unanswered in its reload window (0 in every run with it
	 * here); until that is understood it stays on this side */
	zone_free(zn);
	if (rc != 0)
		return -1;
	cp_at("reload-compiled");
	double t2 = mono_s();
	struct ipc_memfd mf = { .fd = -1, .name = z->name };
	int wr = ipc_memfd_from(&mf, image, size);
	free(image);
	if (wr != 0) {
		snprintf(j->err, sizeof j->err, "%s", mf.err);
		ipc_memfd_discard(&mf);
		return -1;
	}
	if (ipc_memfd_seal(&mf, j->err, sizeof j->err) != 0) {
		ipc_memfd_discard(&mf);
		return -1;
	}
	if (dpc_hand_over(c, z->name, mf.fd, size, st.serial, st.records, j->err,
			  sizeof j->err) != 0) {
		close(mf.fd);
		return -1;
	}
	cp_at("reload-served");
	keep_image(c, z, mf.fd, size);
	zone_served(c, z, st.serial, st.records, size, j->t0);
	log_info("zone %s: serial %u loaded from %s: %zu records, %.1f MB image, %.2f s "
		 "(parse and check %.2f, compile %.2f, hand-over %.2f)", z->name, st.serial,
		 z->file, st.records, size / 1e6, z->load_s, t1 - j->t0, t2 - t1,
		 mono_s() - t2);
	if (c->cfg.cache_dir)
		cache_later(c, z, mf.fd, size, st.serial, st.records, &j->files, j->started);
	else
		close(mf.fd);
	return 0;
}

/* zj_build; from the cached image only with use_cache (never for a
 * transfer: the cache holds the version its zone file held, which is
 * not the one transferred). */
static int build(struct ctl *c, struct zst *z, bool use_cache)
{
	struct zjob j = { .t0 = mono_s(), .started = time(NULL), .cancel = c->stop_flag,
			  .max_mb = c->cfg.zone_max_mb, .max_records = c->cfg.zone_max_records };
	uint8_t origin[DNAME_MAX];
	int rc = -1;
	if (dname_from_text(origin, z->name, strlen(z->name), NULL) < 0) {
		snprintf(j.err, sizeof j.err, "'%s' is not a domain name", z->name);
	} else if (use_cache && c->cfg.cache_dir && zone_from_cache(c, z, j.t0)) {
		return 0;
	} else {
		struct zone *zn = zone_from_file(z, origin, &j);
		if (zn)
			cp_at("reload-parsed");
		rc = zn ? zone_publish(c, z, zn, &j) : -1;
	}
	zcache_files_free(&j.files);
	if (rc == 0)
		return 0;
	c->trim_due = true;
	snprintf(z->error, sizeof z->error, "%s", j.err);
	if (ctl_stopping(c))
		log_notice("zone %s: load interrupted: stopping", z->name);
	else if (z->served)
		log_err("zone %s: not reloaded, serial %u keeps serving: %s", z->name, z->serial,
			j.err);
	else
		log_err("zone %s: not loaded: %s", z->name, j.err);
	return -1;
}

int zj_build(struct ctl *c, struct zst *z)
{
	return build(c, z, true);
}

int zj_load_transfer(struct ctl *c, struct zst *z, struct af *a)
{
	char *file = z->file;
	z->file = a->tmp;
	int rc = build(c, z, false);
	z->file = file;
	if (rc != 0) {
		af_abort(a);
		return -1;
	}
	zj_keep_file(z, a);
	return 0;
}

void zj_keep_file(struct zst *z, struct af *a)
{
	/* served: now the file a restart loads */
	char err[512];
	if (strcmp(a->target, z->file) != 0) {
		/* the zone's file moved meanwhile (a catalog member's): the
		 * next transfer writes the new one */
		log_warn("zone %s: transferred zone served but not kept: its file is now %s",
			 z->name, z->file);
		af_abort(a);
		return;
	}
	if (af_commit(a, "zonefile", err, sizeof err) != 0) {
		log_err("zone %s: transferred zone served but not kept in %s: %s", z->name,
			z->file, err);
		return;
	}
	z->file_gen++;
}

int zj_soa_rdata_tail(const struct zst *z, uint8_t out[20])
{
	size_t size = z->img_size;
	const uint8_t *cur = inc_image(z, &size);	/* a version served incrementally */
	if (!cur && (z->img_fd < 0 || z->img_size < sizeof(struct snap_header)))
		return -1;
	void *m = cur ? (void *)cur : mmap(NULL, size, PROT_READ, MAP_SHARED, z->img_fd, 0);
	if (m == MAP_FAILED)
		return -1;
	const uint8_t *b = m;
	const struct snap_header *h = m;
	int rc = -1;
	if (h->soa <= size - sizeof(struct snap_rrset)) {
		const struct snap_rrset *r = (const struct snap_rrset *)(b + h->soa);
		size_t at = r->rdata;
		if (at + 2 <= size) {
			size_t len = (size_t)b[at] << 8 | b[at + 1];
			if (len >= 22 && at + 2 + len <= size) {
				memcpy(out, b + at + 2 + len - 20, 20);
				rc = 0;
			}
		}
	}
	if (!cur)
		munmap(m, size);
	return rc;
}

void zj_expire(struct ctl *c, struct zst *z, bool expired)
{
	struct ipc_zone m = { 0 };
	snprintf(m.name, sizeof m.name, "%s", z->name);
	ipc_send(c->dp, expired ? IPC_EXPIRE : IPC_UNEXPIRE, &m, sizeof m, -1);
	z->expired = expired;
	if (expired)
		z->expires_at = 0;
}

unsigned zj_reload_all(struct ctl *c)
{
	unsigned bad = 0;
	int64_t t0 = ipc_now_ms();
	for (size_t i = 0; i < c->nz && !ctl_stopping(c); i++)
		bad += zj_build(c, &c->z[i]) != 0;
	c->last_reload = time(NULL);
	c->last_reload_s = (double)(ipc_now_ms() - t0) / 1000;
	c->reload_s += c->last_reload_s;
	c->reloads++;
	c->reload_failures += bad != 0;
	return bad;
}

/* ----------------------------------------- what a crash left behind */

/* Removes the stale temporary files in dir (once per directory: seen
 * holds the ones done, n of them, room for cap). */
static void clean_dir(const char *dir, char (*seen)[4096], size_t *n, size_t cap)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(seen[i], dir) == 0)
			return;
	if (*n < cap)
		snprintf(seen[(*n)++], sizeof *seen, "%s", dir);
	unsigned k = af_clean(dir);
	if (k)
		log_notice("%s: %u temporary files left by an earlier crash removed", dir, k);
}

void zj_clean_temps(struct ctl *c)
{
	enum { DIRS_MAX = 64 };	/* distinct directories remembered */
	char (*seen)[4096] = calloc(DIRS_MAX, sizeof *seen);
	size_t n = 0;
	char dir[4096];
	if (!seen)
		return;
	if (c->cfg.cache_dir)
		clean_dir(c->cfg.cache_dir, seen, &n, DIRS_MAX);
	for (size_t i = 0; i < c->cfg.nzones; i++) {
		af_dir_of(c->cfg.zones[i].file, dir, sizeof dir);
		clean_dir(dir, seen, &n, DIRS_MAX);
	}
	free(seen);
}

/* ------------------------------------------------------- the zone table */

struct zst *zj_find(struct ctl *c, const char *name)
{
	for (size_t i = 0; i < c->nz; i++)
		if (strcasecmp(c->z[i].name, name) == 0)
			return &c->z[i];
	/* also accept the name without its final dot */
	size_t l = strlen(name);
	for (size_t i = 0; i < c->nz; i++)
		if (strlen(c->z[i].name) == l + 1 && strncasecmp(c->z[i].name, name, l) == 0)
			return &c->z[i];
	return NULL;
}

/* A new entry for zone name, not in the configuration (yet); NULL when
 * out of memory. */
static struct zst *zst_add(struct ctl *c, const char *name)
{
	struct zst *v = realloc(c->z, (c->nz + 1) * sizeof *v);
	if (!v)
		return NULL;
	c->z = v;
	struct zst *z = &c->z[c->nz++];
	memset(z, 0, sizeof *z);
	z->img_fd = -1;
	z->xfr_new = z->xfr_steps = z->kw_file = (struct af)AF_INIT;
	z->xfr_errfd = -1;
	snprintf(z->name, sizeof z->name, "%s", name);
	return z;
}

struct zst *zj_add(struct ctl *c, const char *name, const char *file)
{
	struct zst *z = zj_find(c, name);
	if (!z && !(z = zst_add(c, name)))
		return NULL;
	free(z->file);
	z->file = strdup(file);
	z->in_cfg = true;
	return z;
}

int zj_config_sync(struct ctl *c, char *err, size_t errcap)
{
	struct cfg n;
	cfg_init(&n);
	if (cfg_from_args(&n, c->argc, c->argv, passthru, err, errcap) != 0) {
		cfg_free(&n);
		return -1;
	}
	cat_config(c, &n);
	for (size_t i = 0; i < c->nz; i++)
		c->z[i].in_cfg = false;
	for (size_t k = 0; k < n.nzones; k++) {
		if (!zj_add(c, n.zones[k].name, n.zones[k].file)) {
			snprintf(err, errcap, "out of memory");
			cfg_free(&n);
			return -1;
		}
	}
	zj_drop_unconfigured(c);
	cfg_free(&c->cfg);
	c->cfg = n;
	c->peers_due = true;	/* keys and primaries may have changed */
	return 0;
}

void zj_drop_unconfigured(struct ctl *c)
{
	for (size_t i = 0; i < c->nz;) {
		struct zst *z = &c->z[i];
		if (z->in_cfg) {
			i++;
			continue;
		}
		if (z->served) {
			struct ipc_zone m = { 0 };
			snprintf(m.name, sizeof m.name, "%s", z->name);
			ipc_send(c->dp, IPC_REMOVE, &m, sizeof m, -1);
			log_notice("zone %s: removed from the configuration", z->name);
		}
		if (z->img_fd >= 0)
			close(z->img_fd);
		xfi_forget(z);	/* no transfer written for a zone gone */
		ixl_forget(z);	/* ... nor its zone file */
		inc_reset(z);
		jr_free(z->jr);
		free(z->file);
		c->z[i] = c->z[--c->nz];
	}
}

void zj_served(struct ctl *c, const struct ipc_served *sv)
{
	struct zst *z = zj_find(c, sv->name);
	if (!z && !(z = zst_add(c, sv->name)))
		return;
	z->served = true;
	z->serial = sv->serial;
	z->records = sv->records;
	z->image_size = sv->size;
	z->loaded_at = (time_t)sv->loaded_at;
	log_info("zone %s: serial %u served by ringdns already", z->name, z->serial);
}

void zj_fini(struct ctl *c)
{
	for (size_t i = 0; i < c->npending; i++) {
		close(c->pending[i].fd);
		zcache_files_free(&c->pending[i].files);
	}
	free(c->pending);
	c->pending = NULL;
	c->npending = 0;
	for (size_t i = 0; i < c->nz; i++) {
		if (c->z[i].img_fd >= 0)
			close(c->z[i].img_fd);
		xfi_forget(&c->z[i]);
		inc_reset(&c->z[i]);
		jr_free(c->z[i].jr);
		free(c->z[i].file);
	}
	free(c->z);
	c->z = NULL;
	c->nz = 0;
}
