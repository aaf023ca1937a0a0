/*
 * incr.c - changes to a secondary zone applied incrementally (ctl.h,
 * zones/overlay.h): an IXFR step becomes an overlay over the image the
 * dataplane serves, handed over and swapped in at the cost of the change,
 * and recorded as a full load would be (serial, journal, NOTIFY).  When an
 * overlay grows past its bound, or the zone stays unchanged a while, a
 * compaction folds it into a new full image: the version is written as
 * the zone's file and loaded as a transfer is, which also keeps the zone
 * text the source of truth.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "control/ctl.h"
#include "zones/dname.h"
#include "zones/limits.h"
#include "zones/overlay.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/zdiff.h"

/* An unchanged zone's overlay is folded in after this long. */
#define INC_IDLE_S 300

struct inc {
	struct ovl *o;
	uint64_t dp_id;		/* the version the dataplane serves (ovl_id) */
	time_t last_change;
	bool compact;		/* past its bound: fold it in now */
};

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

const uint8_t *inc_image(const struct zst *z, size_t *size)
{
	return z->inc ? ovl_image(z->inc->o, size) : NULL;
}

size_t inc_overlay_bytes(const struct zst *z)
{
	return z->inc ? ovl_bytes(z->inc->o) : 0;
}

void inc_reset(struct zst *z)
{
	if (!z->inc)
		return;
	ovl_free(z->inc->o);
	free(z->inc);
	z->inc = NULL;
}

/* The overlay of the pending change into a sealed memfd, handed over:
 * delta (only what the change wrote) when the dataplane serves the
 * version the change started from, or should it refuse that, whole. */
static int hand_over(struct ctl *c, struct zst *z, uint64_t from, uint32_t serial, char *err,
		     size_t errcap)
{
	for (int delta = z->inc->dp_id == from;; delta = 0) {
		int fd;
		size_t len;
		if (ovl_export_memfd(z->inc->o, delta, &fd, &len) != 0) {
			snprintf(err, errcap, "writing the overlay into a memfd: %s", strerror(errno));
			return -1;
		}
		int rc = dpc_hand_over_overlay(c, z->name, fd, len, serial, ovl_records(z->inc->o),
					       err, errcap);
		close(fd);
		if (rc == 0 || !delta || ctl_stopping(c))
			return rc;
		log_warn("zone %s: the dataplane refused a delta overlay (%s): sending it whole",
			 z->name, err);
	}
}

/* z's overlay builder over its served image: 0, or -1 with err. */
static int start(struct zst *z, char *err, size_t errcap)
{
	if (z->inc)
		return 0;
	z->inc = calloc(1, sizeof *z->inc);
	if (!z->inc || ovl_new(z->img_fd, z->img_size, &z->inc->o, err, errcap) != 0) {
		free(z->inc);
		z->inc = NULL;
		return -1;
	}
	z->inc->dp_id = ovl_id(z->inc->o);	/* the image the dataplane serves */
	return 0;
}

void inc_prepare(struct ctl *c, struct zst *z)
{
	char err[256];
	if (z->served && z->img_fd >= 0 && xfi_secondary(c, z) && start(z, err, sizeof err) != 0)
		log_info("zone %s: changes will be loaded whole: %s", z->name, err);
}

int inc_apply(struct ctl *c, struct zst *z, const struct zdiff *d, char *err, size_t errcap)
{
	double t0 = mono_s();
	if (!z->served || z->img_fd < 0 || !xfi_secondary(c, z)) {
		snprintf(err, errcap, "no served image of a secondary zone in this process");
		return 0;
	}
	if (start(z, err, errcap) != 0)
		return 0;
	struct inc *in = z->inc;
	uint64_t from = ovl_id(in->o);
	int rc = ovl_apply(in->o, d, err, errcap);
	if (rc != 1)
		return rc;
	if (ovl_records(in->o) > c->cfg.zone_max_records) {
		char msg[96];
		zone_limit_records_msg(msg, sizeof msg, c->cfg.zone_max_records);
		snprintf(err, errcap, "serial %u would hold %s", d->to, msg);
		ovl_rollback(in->o);
		return -1;
	}
	if (hand_over(c, z, from, d->to, err, errcap) != 0) {
		ovl_rollback(in->o);
		in->dp_id = 0;	/* not known: the next one goes whole */
		return -1;
	}
	in->dp_id = ovl_id(in->o);
	ovl_commit(in->o);
	zj_journal_diff(c, z, d);
	size_t size;
	ovl_image(in->o, &size);
	z->served = true;
	z->expired = false;
	z->serial = d->to;
	z->records = ovl_records(in->o);
	z->image_size = size;
	z->loaded_at = time(NULL);
	z->load_s = mono_s() - t0;
	z->error[0] = 0;
	in->last_change = z->loaded_at;
	in->compact = ovl_bytes(in->o) > OVL_BYTES_MAX;
	log_info("zone %s: serial %u served incrementally (%u deleted, %u added; overlay %.1f MB;"
		 " %.3f s)", z->name, d->to, d->ndel, d->nadd, ovl_bytes(in->o) / 1e6, z->load_s);
	c->trim_due = true;
	ntf_zone_changed(c, z);
	cat_zone_served(c, z);	/* a catalog's new version is read again */
	return 1;
}

/* ------------------------------------------------------------ compaction */

/* One RRset's records as zone file lines. */
static bool write_rrset(FILE *f, const char *owner, uint16_t type, uint32_t ttl,
			const uint8_t *p, unsigned n)
{
	static char rd[5 * 65536 + 16];
	char tn[32];
	rrtype_to_text(type, tn, sizeof tn);
	for (unsigned k = 0; k < n; k++) {
		uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
		if (rdata_to_text(type, p + 2, len, rd, sizeof rd) < 0 ||
		    fprintf(f, "%s\t%u\tIN\t%s\t%s\n", owner, ttl, tn, rd) < 0)
			return false;
		p += 2u + len;
	}
	return true;
}

/* The version served (composed image) as a zone file. */
static bool write_zone(FILE *f, const uint8_t *img, size_t size)
{
	struct snap *s;
	if (snap_open_validated(img, size, &s) != 0)
		return false;
	struct ovl_walk *w = ovl_walk_new(s);
	bool ok = w != NULL;
	const struct snap_node *nodes = snap_nodes(s);
	for (uint32_t i; ok && (i = ovl_walk_next(w)) != SNAP_NONE;) {
		char owner[DNAME_TEXT_MAX];
		dname_to_text(owner, sizeof owner, img + nodes[i].name);
		const struct snap_rrset *r = snap_node_rrsets(s, &nodes[i]);
		unsigned nr = snap_node_nrrsets(img, &nodes[i]);
		for (unsigned k = 0; ok && k < nr; k++)
			ok = write_rrset(f, owner, r[k].type, r[k].ttl, img + r[k].rdata,
					 r[k].count) &&
			     write_rrset(f, owner, RR_RRSIG, r[k].sig_ttl,
					 img + snap_rrset_sigs(&r[k]), r[k].nsigs);
	}
	ovl_walk_free(w);
	snap_close(s);
	return ok;
}

int inc_fold(struct ctl *c, struct zst *z)
{
	if (!z->inc || !z->file)
		return -1;
	double t0 = mono_s();
	char err[512] = "";
	struct af a;
	FILE *f = af_open(&a, z->file, 0666, err, sizeof err) == 0
		  ? af_stream(&a, err, sizeof err) : NULL;
	size_t size;
	const uint8_t *img = ovl_image(z->inc->o, &size);
	bool ok = f && write_zone(f, img, size);
	if (f && !ok)
		snprintf(err, sizeof err, "writing %s: %s", a.tmp, strerror(errno));
	if (ok && af_sync(&a, err, sizeof err) != 0)
		ok = false;
	z->inc->last_change = time(NULL);	/* on failure: again after a while */
	z->inc->compact = false;
	if (!ok) {
		log_err("zone %s: compaction: %s", z->name, err);
		af_abort(&a);
		return -1;
	}
	uint32_t serial = z->serial;
	if (zj_load_transfer(c, z, &a) != 0) {
		log_err("zone %s: compaction failed: %s", z->name, z->error);
		return -1;
	}
	log_info("zone %s: serial %u compacted into a full image in %.2f s", z->name, serial,
		 mono_s() - t0);
	return 0;
}

static bool due(const struct zst *z, time_t now)
{
	return z->inc && ovl_bytes(z->inc->o) &&
	       (z->inc->compact || now - z->inc->last_change >= INC_IDLE_S);
}

void inc_tick(struct ctl *c)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < c->nz && !ctl_stopping(c); i++)
		if (due(&c->z[i], now))
			inc_fold(c, &c->z[i]);
}

int inc_wait_ms(const struct ctl *c)
{
	long best = -1;
	time_t now = time(NULL);
	for (size_t i = 0; i < c->nz; i++) {
		const struct zst *z = &c->z[i];
		if (!z->inc || !ovl_bytes(z->inc->o))
			continue;
		long ms = z->inc->compact ? 0 : (long)(z->inc->last_change + INC_IDLE_S - now) * 1000;
		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	return (int)best;
}
