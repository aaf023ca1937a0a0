/*
 * test_incr.c - changes applied incrementally by the control process
 * (control/incr.c) to a secondary zone, through the real channel to a
 * dataplane side run in a thread (its publisher, dataplane/publisher.c,
 * mapping and validating each overlay and swapping it in under RCU):
 * after every change the zone the publisher serves answers as a full
 * compile of the same version, the control side's readers of the served
 * version (SOA serial, journal, AXFR out) see the new version, and a
 * compaction folds the overlay into a full image written as the zone's
 * file.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ipc.h"
#include "control/axfr.h"
#include "control/ctl.h"
#include "dataplane/publisher.h"
#include "tests/ovt.h"
#include "tests/zt.h"
#include "zones/dname.h"
#include "zones/overlay.h"
#include "zones/rrtype.h"

#define ORIGIN "example.com."

/* The dataplane side: the publisher behind the channel's other end. */
struct dpside {
	int fd;
	struct zidx *root;
	struct pub *pub;
	unsigned images, overlays, refused, prepared;
	bool refuse_delta;	/* refuse the next delta overlay */
	pthread_t th;
};

/* Is the overlay in memfd fd a delta? */
static bool is_delta(int fd, size_t size)
{
	struct ovl_header h;
	return size >= sizeof h && pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && h.prev_id;
}

static void *dp_main(void *ud)
{
	struct dpside *d = ud;
	static uint8_t buf[IPC_MSG_MAX];
	for (;;) {
		uint32_t type;
		int fd;
		ssize_t n = ipc_recv(d->fd, &type, buf, sizeof buf, &fd);
		if (n <= 0)
			break;
		struct ipc_image im;
		if ((type != IPC_IMAGE && type != IPC_OVERLAY) || (size_t)n != sizeof im) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		memcpy(&im, buf, sizeof im);
		struct ipc_ack ack = { .seq = im.seq };
		memcpy(ack.name, im.name, sizeof ack.name);
		if (type == IPC_OVERLAY && d->refuse_delta && is_delta(fd, im.size)) {
			d->refuse_delta = false;
			d->refused++;
			close(fd);
			snprintf(ack.msg, sizeof ack.msg, "refused by the test");
			ipc_send(d->fd, IPC_IMAGE_ACK, &ack, sizeof ack, -1);
			continue;
		}
		int rc = type == IPC_OVERLAY
				 ? pub_overlay(d->pub, im.name, fd, im.size, im.records, ack.msg,
					       sizeof ack.msg)
				 : pub_image(d->pub, im.name, fd, im.size, im.records, ack.msg,
					     sizeof ack.msg);
		ack.ok = rc == 0;
		if (rc == 0 && type == IPC_OVERLAY)
			d->overlays++;
		else if (rc == 0)
			d->images++;
		else
			d->refused++;
		ipc_send(d->fd, IPC_IMAGE_ACK, &ack, sizeof ack, -1);
		if (rc == 0 && type == IPC_IMAGE && (im.flags & IPC_IMAGE_OVERLAYS)) {
			pub_prepare(d->pub, im.name);
			d->prepared++;
		}
	}
	return NULL;
}

struct rig {
	char dir[64];
	char zfile[128];
	struct ctl c;
	char *argv[4];
	struct dpside d;
	struct zst *z;
};

static void rig_up(struct rig *r, const struct ovt_zone *first)
{
	*r = (struct rig){ .c = { .xfr = -1, .wake_fd = -1 } };
	zt_mktmp(r->dir, "incr");
	char *text = ovt_text(ORIGIN, first);
	snprintf(r->zfile, sizeof r->zfile, "%s", zt_write(r->dir, "example.com.zone", text));
	free(text);
	char cfg[1024];
	snprintf(cfg, sizeof cfg,
		 "server:\n  cache-dir: %s/cache\n  control-socket: %s/sock\n"
		 "  allow-transfer: 127.0.0.1\n"
		 "zones:\n  - name: example.com.\n    file: %s\n"
		 "    primaries: [\"127.0.0.1@9\"]\n", r->dir, r->dir, r->zfile);
	r->argv[0] = "ringdns-control";
	r->argv[1] = "--config";
	r->argv[2] = strdup(zt_write(r->dir, "ringdns.yaml", cfg));
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	r->c.dp = sv[0];
	r->d.fd = sv[1];
	r->d.pub = pub_new(&r->d.root);
	cr_assert_not_null(r->d.pub);
	cr_assert_eq(pthread_create(&r->d.th, NULL, dp_main, &r->d), 0);
	r->c.argc = 3;
	r->c.argv = r->argv;
	cfg_init(&r->c.cfg);
	char err[512];
	cr_assert_eq(zj_config_sync(&r->c, err, sizeof err), 0, "%s", err);
	r->z = zj_find(&r->c, ORIGIN);
	cr_assert_not_null(r->z);
	cr_assert_eq(zj_build(&r->c, r->z), 0, "%s", r->z->error);
}

static void rig_down(struct rig *r)
{
	zj_fini(&r->c);
	cat_fini(&r->c);	/* what ringdns-control frees at its end */
	close(r->c.dp);
	pthread_join(r->d.th, NULL);
	close(r->d.fd);
	pub_free(r->d.pub);
	cfg_free(&r->c.cfg);
	free(r->argv[2]);
	zt_rmtmp(r->dir);
}

/* The zone as the publisher serves it. */
static const struct snap *served(const struct rig *r)
{
	uint8_t o[DNAME_MAX];
	dname_from_text(o, ORIGIN, strlen(ORIGIN), NULL);
	return zidx_find(r->d.root, o);
}

/* The answer records of an AXFR stream. */
static int count_rrs(void *ud, const uint8_t *msg, size_t len)
{
	cr_assert_geq(len, 12);
	*(size_t *)ud += (size_t)(msg[6] << 8 | msg[7]);
	return 0;
}

/* The served version against a full compile of v; the control side's
 * view (serial, AXFR) too. */
static void check_served(struct rig *r, const struct ovt_zone *v, const uint8_t *q, size_t nq)
{
	char err[4096];
	struct ovt_img full;
	char *text = ovt_text(ORIGIN, v);
	cr_assert_eq(ovt_compile(ORIGIN, text, &full, err, sizeof err), 0, "%s", err);
	free(text);
	cr_assert_eq(ovt_compare(full.snap, served(r), q, nq, "full vs served"), 0,
		     "serial %u answered differently", v->serial);
	uint8_t tail[20];
	cr_assert_eq(zj_soa_rdata_tail(r->z, tail), 0);
	cr_assert_eq((uint32_t)tail[0] << 24 | tail[1] << 16 | tail[2] << 8 | tail[3], v->serial);
	cr_assert_eq(r->z->serial, v->serial);

	size_t size = r->z->img_size;
	const uint8_t *img = inc_image(r->z, &size);
	struct snap *s = NULL;
	if (img)
		cr_assert_eq(snap_open_validated(img, size, &s), 0);
	uint8_t o[DNAME_MAX];
	int ol = dname_from_text(o, ORIGIN, strlen(ORIGIN), NULL);
	struct axfr_query aq = { .id = 1, .qname = o, .qname_len = (size_t)ol, .qtype = RR_AXFR,
				 .qclass = 1 };
	size_t ours = 0, theirs = 0;
	cr_assert_gt(axfr_write(s ? s : served(r), &aq, 16384, count_rrs, &ours, err, sizeof err), 0);
	cr_assert_gt(axfr_write(full.snap, &aq, 16384, count_rrs, &theirs, err, sizeof err), 0);
	cr_assert_eq(ours, theirs, "AXFR: %zu records, the full compile's %zu", ours, theirs);
	snap_close(s);
	ovt_img_free(&full);
}

/* The head line of the journal's last step ("serial A -> B: D deleted, A
 * added"). */
static void last_head(void *ud, const char *text)
{
	if (!strncmp(text, "serial ", 7))
		snprintf(ud, 128, "%s", text);
}

/* The journal's last step is the change from cur to next: its counts (SOA
 * aside) those of the change.  Made from the change itself when it was
 * applied incrementally, from the two images (a composed one walked in
 * canonical order) when it was loaded whole. */
static void check_journal(const struct rig *r, const struct ovt_zone *cur,
			  const struct ovt_zone *next)
{
	struct zdiff d;
	ovt_diff(ORIGIN, cur, next, &d);
	char want[128], got[128] = "";
	snprintf(want, sizeof want, "serial %u -> %u: %u deleted, %u added", cur->serial,
		 next->serial, d.ndel - 1, d.nadd - 1);
	jr_print(r->z->jr, last_head, got);
	cr_assert_str_eq(got, want);
	ovt_diff_free(&d);
}

Test(incr, changes_served_through_the_publisher)
{
	struct ovt_zone cur;
	ovt_start(&cur);
	struct rig r;
	rig_up(&r, &cur);
	uint64_t rng = 12345;
	unsigned applied = 0;
	for (int step = 0; step < 25; step++) {
		struct ovt_zone next;
		ovt_copy(&next, &cur);
		ovt_mutate(&next, 1 + (unsigned)(step % 4), &rng);
		struct zdiff d;
		ovt_diff(ORIGIN, &cur, &next, &d);
		char err[512];
		size_t jr_before = r.z->jr ? jr_count(r.z->jr) : 0;
		/* once: the dataplane refuses a delta, the change goes whole */
		r.d.refuse_delta = step == 7;
		/* step 12 comes whole (as an AXFR would) after incremental
		 * ones: the journal diffs a composed image with a compiled one */
		int rc = step == 12 ? 0 : inc_apply(&r.c, r.z, &d, err, sizeof err);
		cr_assert_neq(rc, -1, "%s", err);
		if (step == 12)
			cr_assert_gt(inc_overlay_bytes(r.z), 0, "no overlay before the whole load");
		ovt_diff_free(&d);
		if (rc == 0) {
			/* what the caller does: the whole version loaded */
			char *text = ovt_text(ORIGIN, &next);
			FILE *f = fopen(r.zfile, "w");
			fputs(text, f);
			fclose(f);
			free(text);
			if (zj_build(&r.c, r.z) != 0) {
				ovt_free(&next);
				continue;	/* a broken version: the old one serves */
			}
			cr_assert_eq(inc_overlay_bytes(r.z), 0, "a full load leaves an overlay behind");
			cr_assert_not_null(r.z->inc, "a secondary's builder not made ready");
		} else {
			applied++;
			cr_assert_gt(inc_overlay_bytes(r.z), 0);
			cr_assert_eq(jr_count(r.z->jr), jr_before + 1, "journal not kept");
		}
		check_journal(&r, &cur, &next);
		const struct ovt_zone *v[2] = { &cur, &next };
		size_t nq;
		uint8_t *q = ovt_queries(ORIGIN, v, 2, &nq);
		check_served(&r, &next, q, nq);
		free(q);
		ovt_free(&cur);
		cur = next;
	}
	cr_assert_gt(applied, 15);
	cr_assert_eq(r.d.overlays, applied);
	cr_assert_eq(r.d.refused, 1, "the delta was not refused, or more were");
	cr_assert_eq(r.d.prepared, r.d.images, "a secondary's image came without IPC_IMAGE_OVERLAYS");

	/* a compaction: the version as a full image, written as the file */
	if (!inc_overlay_bytes(r.z)) {
		struct ovt_zone next;
		ovt_copy(&next, &cur);
		ovt_add(&next, "late 300 A 192.0.2.10");
		next.serial++;
		struct zdiff d;
		ovt_diff(ORIGIN, &cur, &next, &d);
		char err[512];
		cr_assert_eq(inc_apply(&r.c, r.z, &d, err, sizeof err), 1, "%s", err);
		ovt_diff_free(&d);
		ovt_free(&cur);
		cur = next;
	}
	unsigned images = r.d.images;
	cr_assert_eq(inc_fold(&r.c, r.z), 0);
	cr_assert_eq(inc_overlay_bytes(r.z), 0);
	cr_assert_eq(r.d.images, images + 1);
	struct zt t;
	zt_load_file(&t, ORIGIN, r.zfile);
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert_eq(t.st.serial, cur.serial, "the file is not the version served");
	zt_free(&t);
	const struct ovt_zone *v[1] = { &cur };
	size_t nq;
	uint8_t *q = ovt_queries(ORIGIN, v, 1, &nq);
	check_served(&r, &cur, q, nq);
	free(q);
	ovt_free(&cur);
	rig_down(&r);
}

Test(incr, wrong_change_leaves_the_version_served)
{
	struct ovt_zone cur;
	ovt_start(&cur);
	struct rig r;
	rig_up(&r, &cur);
	struct ovt_zone next;
	ovt_copy(&next, &cur);
	ovt_add(&next, "n1 300 A 192.0.2.1");
	next.serial++;
	struct zdiff d;
	ovt_diff(ORIGIN, &cur, &next, &d);
	d.from = 77;	/* not the serial served */
	char err[512];
	cr_assert_eq(inc_apply(&r.c, r.z, &d, err, sizeof err), -1);
	cr_assert(strstr(err, "serial"), "%s", err);
	cr_assert_eq(r.z->serial, cur.serial);
	cr_assert_eq(r.d.overlays, 0);
	ovt_diff_free(&d);
	const struct ovt_zone *v[1] = { &cur };
	size_t nq;
	uint8_t *q = ovt_queries(ORIGIN, v, 1, &nq);
	check_served(&r, &cur, q, nq);
	free(q);
	ovt_free(&next);
	ovt_free(&cur);
	rig_down(&r);
}
