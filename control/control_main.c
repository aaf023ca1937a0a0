/*
 * control_main.c - ringdns-control, the control process spawned by
 * ringdns.  It reads the configuration, parses, checks and compiles each
 * zone file into a snapshot image and hands the image to the dataplane as
 * a sealed memfd (common/ipc.h); it serves the operator's control socket
 * (ctlsock.c) for ringctl.  A zone that fails to load keeps its previous
 * version serving; its error (FILE:LINE) is kept for `ringctl zones` and
 * logged.  Exits when the dataplane goes away.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cfg.h"
#include "zones/compile.h"
#include "control/ctlsock.h"
#include "zones/diag.h"
#include "zones/dname.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/stats.h"
#include "control/zcache.h"
#include "zones/zone.h"
#include "zones/zonefile.h"

#define EX_CONFIG 78
#define DP_REPLY_MS 5000	/* how long a reply from the dataplane may take */
/* The heap left after a load (small blocks; big arrays are mmap'd and
 * unmapped when freed, which keeps the peak low) goes back to the system
 * (malloc_trim) after this idle time. */
#define TRIM_IDLE_MS 200
#define CONTROL_NICE 10		/* zone jobs yield the CPU to the dataplane's workers */
#define CACHE_IDLE_MS 1000	/* new images are written to the cache after this idle time */

struct zst {
	char name[256];
	char *file;
	bool in_cfg;		/* still in the configuration */
	bool served;		/* the dataplane serves a version of it */
	uint32_t serial;
	uint64_t records;
	size_t image_size;
	time_t loaded_at;
	double load_s;		/* parse + check + compile + hand-over */
	char error[1024];	/* last load's error, "" = none */
};

struct pending {
	char zone[256];
	int fd;			/* sealed image memfd */
	size_t size;
	uint32_t serial;
	uint64_t records;
	struct zcache_files files;
	time_t started;
};

struct ctl {
	int argc;
	char **argv;
	struct cfg cfg;
	int dp;
	struct ctlsock *cs;
	struct zst *z;
	size_t nz;
	uint32_t seq;
	bool reload_pending;
	bool trim_due;		/* memory to give back once idle */
	struct pending *pending;	/* images to write to the cache once idle */
	size_t npending;
	bool stop;
	time_t last_reload;
};

static const char *const passthru[] = { "--dp-fd", NULL };

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Waits for a message of type want from the dataplane, handling any other
 * that arrives first.  Returns its length, or -1 (timeout, or the
 * dataplane is gone: then c->stop is set). */
static ssize_t dp_wait(struct ctl *c, uint32_t want, void *buf, size_t cap)
{
	double until = mono_s() + DP_REPLY_MS / 1000.0;
	for (;;) {
		int left = (int)((until - mono_s()) * 1000);
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = c->dp, .events = POLLIN };
		if (poll(&p, 1, left) <= 0)
			continue;
		uint32_t type;
		int fd;
		ssize_t n = ipc_recv(c->dp, &type, buf, cap, &fd);
		if (fd >= 0)
			close(fd);
		if (n < 0 || (n == 0 && type == 0)) {
			c->stop = true;
			return -1;
		}
		if (type == want)
			return n;
		if (type == IPC_RELOAD)
			c->reload_pending = true;
	}
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

/* Sends the sealed image memfd fd to the dataplane and waits for its
 * answer.  0 when it serves the image, -1 with err. */
static int hand_over(struct ctl *c, const char *zone, int fd, size_t size, uint32_t serial,
		     uint64_t records, char *err, size_t errcap)
{
	struct ipc_image im = { .size = size, .records = records, .serial = serial,
				.seq = ++c->seq };
	snprintf(im.name, sizeof im.name, "%s", zone);
	if (ipc_send(c->dp, IPC_IMAGE, &im, sizeof im, fd) != 0) {
		snprintf(err, errcap, "handing the image to ringdns: %s", strerror(errno));
		return -1;
	}
	struct ipc_ack ack;
	do {
		if (dp_wait(c, IPC_IMAGE_ACK, &ack, sizeof ack) != (ssize_t)sizeof ack) {
			snprintf(err, errcap, "ringdns did not confirm the new image");
			return -1;
		}
	} while (ack.seq != im.seq);
	if (!ack.ok) {
		ack.msg[sizeof ack.msg - 1] = 0;
		snprintf(err, errcap, "ringdns refused the image: %s", ack.msg);
		return -1;
	}
	return 0;
}

static void zone_served(struct ctl *c, struct zst *z, uint32_t serial, uint64_t records,
			size_t size, double t0)
{
	c->trim_due = true;
	z->served = true;
	z->serial = serial;
	z->records = records;
	z->image_size = size;
	z->loaded_at = time(NULL);
	z->load_s = mono_s() - t0;
	z->error[0] = 0;
}

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

/* Writes the images waiting for the cache (called when idle). */
static void cache_flush(struct ctl *c)
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
	cache_flush(c);
	int rc = zcache_load(c->cfg.cache_dir, z->name, &h, why, sizeof why);
	if (rc <= 0) {
		if (rc < 0)
			log_warn("zone %s: cache: %s", z->name, why);
		else
			log_debug("zone %s: not from the cache: %s", z->name, why);
		return 0;
	}
	rc = hand_over(c, z->name, h.fd, h.size, h.serial, h.records, err, sizeof err);
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

/* Loads, checks, compiles and hands over one zone (or its cached image).
 * 0, or -1 with z->error set (the previous version, if any, keeps
 * serving). */
static int zone_build(struct ctl *c, struct zst *z)
{
	double t0 = mono_s();
	time_t started = time(NULL);
	char err[1024] = "";
	uint8_t origin[DNAME_MAX];
	struct zone *zn = NULL;
	struct zcache_files files = { 0 };
	void *image = NULL;
	size_t size = 0;
	if (dname_from_text(origin, z->name, strlen(z->name), NULL) < 0) {
		snprintf(err, sizeof err, "'%s' is not a domain name", z->name);
		goto fail;
	}
	if (c->cfg.cache_dir && zone_from_cache(c, z, t0))
		return 0;
	struct errbuf eb = { err, sizeof err, 0, 0, z->name };
	struct diag d = { .fn = collect, .ud = &eb };
	zn = zone_new(origin, &d);
	if (!zn) {
		snprintf(err, sizeof err, "out of memory loading %s", z->file);
		goto fail;
	}
	struct zf_options opt = { .origin = origin, .on_file = zcache_on_file,
				  .on_file_ud = &files };
	struct stat fst;
	if (stat(z->file, &fst) == 0)
		zone_expect(zn, (uint64_t)fst.st_size);
	zf_parse_file(z->file, &opt, zone_add_cb, zn, &d);
	zone_finish(zn);
	if (d.errors) {
		if (d.errors > eb.shown)
			snprintf(err + eb.len, sizeof err - eb.len, " (%u errors in all)", d.errors);
		goto fail;
	}
	struct zone_stats st;
	zone_get_stats(zn, &st);
	double t1 = mono_s();
	struct ipc_memfd mf = { .fd = -1, .name = z->name };
	if (zc_compile_shed(zn, &image, &size, err, sizeof err) != 0)
		goto fail;
	/* freed before the hand-over: with the unmapping of hundreds of MB
	 * right after the swap instead, one bench run counted 68 of 40k
	 * queries unanswered in its reload window (0 in every run with it
	 * here); until that is understood it stays on this side */
	zone_free(zn);
	zn = NULL;
	double t2 = mono_s();
	int wr = ipc_memfd_from(&mf, image, size);
	free(image);
	if (wr != 0) {
		snprintf(err, sizeof err, "%s", mf.err);
		ipc_memfd_discard(&mf);
		goto fail;
	}
	if (ipc_memfd_seal(&mf, err, sizeof err) != 0) {
		ipc_memfd_discard(&mf);
		goto fail;
	}
	if (hand_over(c, z->name, mf.fd, size, st.serial, st.records, err, sizeof err) != 0) {
		close(mf.fd);
		goto fail;
	}
	zone_served(c, z, st.serial, st.records, size, t0);
	log_info("zone %s: serial %u loaded from %s: %zu records, %.1f MB image, %.2f s "
		 "(parse and check %.2f, compile %.2f, hand-over %.2f)", z->name, st.serial,
		 z->file, st.records, size / 1e6, z->load_s, t1 - t0, t2 - t1, mono_s() - t2);
	if (c->cfg.cache_dir)
		cache_later(c, z, mf.fd, size, st.serial, st.records, &files, started);
	else
		close(mf.fd);
	zcache_files_free(&files);
	return 0;
fail:
	c->trim_due = true;
	zone_free(zn);
	zcache_files_free(&files);
	snprintf(z->error, sizeof z->error, "%s", err);
	if (z->served)
		log_err("zone %s: not reloaded, serial %u keeps serving: %s", z->name, z->serial,
			err);
	else
		log_err("zone %s: not loaded: %s", z->name, err);
	return -1;
}

static struct zst *zone_get(struct ctl *c, const char *name)
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

/* Reads the configuration again (file and flags) and syncs the zone list:
 * new zones added, removed ones dropped from the dataplane, files updated.
 * -1 with err when the configuration is unusable (nothing changes then). */
static int config_sync(struct ctl *c, char *err, size_t errcap)
{
	struct cfg n;
	cfg_init(&n);
	if (cfg_from_args(&n, c->argc, c->argv, passthru, err, errcap) != 0) {
		cfg_free(&n);
		return -1;
	}
	for (size_t i = 0; i < c->nz; i++)
		c->z[i].in_cfg = false;
	for (size_t k = 0; k < n.nzones; k++) {
		struct zst *z = zone_get(c, n.zones[k].name);
		if (!z) {
			struct zst *v = realloc(c->z, (c->nz + 1) * sizeof *v);
			if (!v) {
				snprintf(err, errcap, "out of memory");
				cfg_free(&n);
				return -1;
			}
			c->z = v;
			z = &c->z[c->nz++];
			memset(z, 0, sizeof *z);
			snprintf(z->name, sizeof z->name, "%s", n.zones[k].name);
		}
		free(z->file);
		z->file = strdup(n.zones[k].file);
		z->in_cfg = true;
	}
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
		free(z->file);
		c->z[i] = c->z[--c->nz];
	}
	cfg_free(&c->cfg);
	c->cfg = n;
	return 0;
}

/* Reloads every zone; returns how many failed. */
static unsigned reload_all(struct ctl *c)
{
	unsigned bad = 0;
	for (size_t i = 0; i < c->nz && !c->stop; i++)
		bad += zone_build(c, &c->z[i]) != 0;
	c->last_reload = time(NULL);
	return bad;
}

static void fmt_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	if (!t) {
		snprintf(buf, cap, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmd_status(struct ctl *c, struct ctl_out *o)
{
	struct ipc_status s;
	if (ipc_send(c->dp, IPC_STATUS_REQ, NULL, 0, -1) != 0 ||
	    dp_wait(c, IPC_STATUS, &s, sizeof s) != (ssize_t)sizeof s)
		return ctl_error(o, "ringdns did not answer the status request");
	unsigned bad = 0;
	for (size_t i = 0; i < c->nz; i++)
		bad += c->z[i].error[0] != 0;
	char last[40];
	fmt_time((time_t)s.last_swap, last, sizeof last);
	ctl_printf(o, "version: %s\n", CFG_DEFAULT_VERSION);
	ctl_printf(o, "uptime: %.0f s\n", s.uptime_s);
	ctl_printf(o, "workers: %u UDP, %u TCP\n", s.udp_workers, s.tcp_workers);
	ctl_printf(o, "snapshot generation: %llu\n", (unsigned long long)s.generation);
	ctl_printf(o, "last reload: %s\n", last);
	ctl_printf(o, "zones: %u served, %zu configured, %u with errors\n", s.zones, c->nz, bad);
	ctl_printf(o, "snapshots mapped: %.1f MB\n", s.mapped_bytes / 1e6);
	ctl_printf(o, "control process: pid %d, restarts %u\n", (int)getpid(),
		   s.control_restarts);
	return 0;
}

static int cmd_zones(struct ctl *c, struct ctl_out *o)
{
	ctl_printf(o, "%-32s %10s %10s %-20s %s\n", "zone", "serial", "records", "loaded",
		   "last error");
	for (size_t i = 0; i < c->nz; i++) {
		struct zst *z = &c->z[i];
		char at[40], serial[16], rec[24];
		fmt_time(z->loaded_at, at, sizeof at);
		snprintf(serial, sizeof serial, z->served ? "%u" : "-", z->serial);
		snprintf(rec, sizeof rec, z->served ? "%llu" : "-",
			 (unsigned long long)z->records);
		ctl_printf(o, "%-32s %10s %10s %-20s %s\n", z->name, serial, rec, at,
			   z->error[0] ? z->error : "-");
	}
	return 0;
}

static int cmd_reload(struct ctl *c, int argc, char **argv, struct ctl_out *o)
{
	char err[512];
	if (argc > 2)
		return ctl_error(o, "usage: reload [ZONE]");
	if (argc == 2) {
		struct zst *z = zone_get(c, argv[1]);
		if (!z)
			return ctl_error(o, "zone %s is not configured", argv[1]);
		if (zone_build(c, z) != 0)
			return ctl_error(o, "zone %s: %s%s", z->name, z->error,
					 z->served ? " (the previous version keeps serving)" : "");
		ctl_printf(o, "%s: serial %u, %llu records, loaded in %.2f s\n", z->name,
			   z->serial, (unsigned long long)z->records, z->load_s);
		return 0;
	}
	if (config_sync(c, err, sizeof err) != 0)
		return ctl_error(o, "configuration not reloaded: %s", err);
	unsigned bad = reload_all(c);
	for (size_t i = 0; i < c->nz; i++) {
		struct zst *z = &c->z[i];
		if (z->error[0])
			ctl_printf(o, "%s: error: %s\n", z->name, z->error);
		else
			ctl_printf(o, "%s: serial %u, %llu records, loaded in %.2f s\n", z->name,
				   z->serial, (unsigned long long)z->records, z->load_s);
	}
	if (bad)
		return ctl_error(o, "%u of %zu zones failed to load; their previous versions "
				 "keep serving (see ringctl zones)", bad, c->nz);
	return 0;
}

static int cmd_stats(struct ctl *c, bool json, struct ctl_out *o)
{
	static uint8_t buf[IPC_MSG_MAX];
	ssize_t n;
	if (ipc_send(c->dp, IPC_STATS_REQ, NULL, 0, -1) != 0 ||
	    (n = dp_wait(c, IPC_STATS, buf, sizeof buf)) < (ssize_t)sizeof(struct ipc_stats_hdr))
		return ctl_error(o, "ringdns did not answer the stats request");
	struct ipc_stats_hdr h;
	memcpy(&h, buf, sizeof h);
	if (h.wstats_size != sizeof(struct wstats) ||
	    (size_t)n != sizeof h + (size_t)h.nworkers * sizeof(struct wstats))
		return ctl_error(o, "ringdns sent stats of another layout (mismatched binaries?)");
	struct wstats w[h.nworkers ? h.nworkers : 1], tot;
	memcpy(w, buf + sizeof h, h.nworkers * sizeof *w);
	memset(&tot, 0, sizeof tot);
	for (unsigned i = 0; i < h.nworkers; i++)
		st_sum(&tot, &w[i]);
	static const char *const rname[16] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
		"YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13",
		"RCODE14", "RCODE15" };
	if (!json) {
		ctl_printf(o, "queries: udp %llu, tcp %llu\n",
			   (unsigned long long)tot.queries[ST_UDP],
			   (unsigned long long)tot.queries[ST_TCP]);
		ctl_printf(o, "responses: udp %llu, tcp %llu\n",
			   (unsigned long long)tot.responses[ST_UDP],
			   (unsigned long long)tot.responses[ST_TCP]);
		ctl_printf(o, "truncated: %llu\ndropped: %llu\n",
			   (unsigned long long)tot.truncated, (unsigned long long)tot.dropped);
		ctl_printf(o, "tcp connections: %llu accepted, %llu refused\n",
			   (unsigned long long)tot.tcp_conns, (unsigned long long)tot.tcp_refused);
		ctl_printf(o, "rcode:");
		for (int i = 0; i < 16; i++)
			if (tot.rcode[i])
				ctl_printf(o, " %s %llu", rname[i], (unsigned long long)tot.rcode[i]);
		ctl_printf(o, "\nqtype:");
		for (int i = 0; i < STQ_COUNT; i++)
			if (tot.qtype[i])
				ctl_printf(o, " %s %llu", st_qtype_str((enum st_qtype)i),
					   (unsigned long long)tot.qtype[i]);
		ctl_printf(o, "\n");
		for (unsigned i = 0; i < h.nworkers; i++)
			ctl_printf(o, "worker %u (%s): queries %llu, responses %llu, dropped %llu\n",
				   i, i < h.udp_workers ? "udp" : "tcp",
				   (unsigned long long)(w[i].queries[ST_UDP] + w[i].queries[ST_TCP]),
				   (unsigned long long)(w[i].responses[ST_UDP] +
							w[i].responses[ST_TCP]),
				   (unsigned long long)w[i].dropped);
		return 0;
	}
	ctl_printf(o, "{\n");
	for (unsigned i = 0; i <= h.nworkers; i++) {
		const struct wstats *s = i == 0 ? &tot : &w[i - 1];
		if (i == 0)
			ctl_printf(o, "  \"total\": {");
		else
			ctl_printf(o, "%s    {\"worker\": %u, \"kind\": \"%s\", ", i == 1 ? "" : ",\n",
				   i - 1, i - 1 < h.udp_workers ? "udp" : "tcp");
		ctl_printf(o, "\"queries\": {\"udp\": %llu, \"tcp\": %llu}, "
			   "\"responses\": {\"udp\": %llu, \"tcp\": %llu}, "
			   "\"truncated\": %llu, \"dropped\": %llu, "
			   "\"tcp_connections\": %llu, \"tcp_refused\": %llu, \"rcode\": {",
			   (unsigned long long)s->queries[ST_UDP],
			   (unsigned long long)s->queries[ST_TCP],
			   (unsigned long long)s->responses[ST_UDP],
			   (unsigned long long)s->responses[ST_TCP],
			   (unsigned long long)s->truncated, (unsigned long long)s->dropped,
			   (unsigned long long)s->tcp_conns, (unsigned long long)s->tcp_refused);
		for (int r = 0; r < 16; r++)
			ctl_printf(o, "%s\"%s\": %llu", r ? ", " : "", rname[r],
				   (unsigned long long)s->rcode[r]);
		ctl_printf(o, "}, \"qtype\": {");
		for (int t = 0; t < STQ_COUNT; t++)
			ctl_printf(o, "%s\"%s\": %llu", t ? ", " : "", st_qtype_str((enum st_qtype)t),
				   (unsigned long long)s->qtype[t]);
		ctl_printf(o, "}}");
		if (i == 0)
			ctl_printf(o, ",\n  \"workers\": [\n");
	}
	ctl_printf(o, "\n  ]\n}\n");
	return 0;
}

static int handle(void *ud, int argc, char **argv, struct ctl_out *o)
{
	struct ctl *c = ud;
	const char *cmd = argv[0];
	if (strcmp(cmd, "status") == 0 && argc == 1)
		return cmd_status(c, o);
	if (strcmp(cmd, "zones") == 0 && argc == 1)
		return cmd_zones(c, o);
	if (strcmp(cmd, "reload") == 0)
		return cmd_reload(c, argc, argv, o);
	if (strcmp(cmd, "stats") == 0 &&
	    (argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)))
		return cmd_stats(c, argc == 2, o);
	if (strcmp(cmd, "stop") == 0 && argc == 1) {
		if (ipc_send(c->dp, IPC_STOP, NULL, 0, -1) != 0)
			return ctl_error(o, "cannot reach ringdns: %s", strerror(errno));
		ctl_printf(o, "stopping\n");
		return 0;
	}
	return ctl_error(o, "unknown command or arguments '%s' (commands: status, reload "
			 "[ZONE], zones, stats [--json], stop)", cmd);
}

int main(int argc, char **argv)
{
	struct ctl c = { .argc = argc, .argv = argv, .dp = -1 };
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--dp-fd") == 0)
			c.dp = atoi(argv[i + 1]);
	if (c.dp < 0) {
		fprintf(stderr, "ringdns-control is started by ringdns, not by hand\n");
		return 2;
	}
	/*
	 * Parsing and compiling is background work: where it shares a CPU with
	 * a worker (one core, or more zones than cores), the worker must win,
	 * or queries queue up and are lost during a reload.
	 */
	if (setpriority(PRIO_PROCESS, 0, CONTROL_NICE) != 0)
		fprintf(stderr, "ringdns-control: setpriority: %s\n", strerror(errno));
	char err[512];
	cfg_init(&c.cfg);
	if (cfg_from_args(&c.cfg, argc, argv, passthru, err, sizeof err) != 0) {
		log_init("ringdns-control", false, LOG_LVL_INFO);
		log_err("%s", err);
		return EX_CONFIG;
	}
	log_init("ringdns-control", c.cfg.log_syslog, (enum log_level)c.cfg.log_level);
	if (config_sync(&c, err, sizeof err) != 0) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	struct ipc_hello hello = { IPC_VERSION, (uint32_t)getpid() };
	if (ipc_send(c.dp, IPC_HELLO, &hello, sizeof hello, -1) != 0) {
		log_err("cannot reach ringdns: %s", strerror(errno));
		return 1;
	}
	if (ctlsock_open(&c.cs, c.cfg.control_socket, err, sizeof err) != 0) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	log_info("control socket %s", c.cfg.control_socket);
	unsigned bad = reload_all(&c);
	ipc_send(c.dp, IPC_READY, NULL, 0, -1);
	log_info("%zu zones configured, %u failed to load", c.nz, bad);

	while (!c.stop) {
		if (c.reload_pending) {
			c.reload_pending = false;
			if (config_sync(&c, err, sizeof err) != 0)
				log_err("configuration not reloaded: %s", err);
			else
				reload_all(&c);
			continue;
		}
		struct pollfd p[3] = { { .fd = c.dp, .events = POLLIN },
				       { .fd = ctlsock_fd(c.cs), .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		int n = poll(p, 3, c.npending ? CACHE_IDLE_MS : c.trim_due ? TRIM_IDLE_MS : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0) {
			if (c.npending) {
				cache_flush(&c);
			} else {
				malloc_trim(0);
				c.trim_due = false;
			}
			continue;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGHUP)
					c.reload_pending = true;
				else
					c.stop = true;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			static uint8_t buf[IPC_MSG_MAX];
			uint32_t type;
			int fd;
			ssize_t n = ipc_recv(c.dp, &type, buf, sizeof buf, &fd);
			if (fd >= 0)
				close(fd);
			if (n < 0 || (n == 0 && type == 0))
				c.stop = true;	/* ringdns is gone */
			else if (type == IPC_RELOAD)
				c.reload_pending = true;
		}
		if (p[1].revents & POLLIN)
			ctlsock_serve(c.cs, handle, &c);
	}
	ctlsock_close(c.cs);
	for (size_t i = 0; i < c.npending; i++) {
		close(c.pending[i].fd);
		zcache_files_free(&c.pending[i].files);
	}
	free(c.pending);
	for (size_t i = 0; i < c.nz; i++)
		free(c.z[i].file);
	free(c.z);
	cfg_free(&c.cfg);
	close(sfd);
	return 0;
}
