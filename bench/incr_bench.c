/*
 * incr_bench.c - incremental images (zones/overlay.h) on a big zone: the
 * time and memory from a change's arrival to its being served, and what
 * an overlay costs lookups of the names it did not change.
 *
 * Loads and compiles an unsigned zone (--zone, --origin), hands the image
 * to a publisher (dataplane/publisher.c) as the dataplane does, then
 * applies --steps changes of about --records records each (addresses of
 * existing hosts changed, new hosts, new delegations with glue, hosts of
 * earlier steps deleted; the SOA each time): per change, ovl_apply (the
 * control side), the export into a sealed memfd, and pub_overlay (the
 * dataplane side: compose in the mapping not served, validate what
 * changed, swap under RCU), timed
 * apart and together, with the overlay's bytes.  Then answers --queries
 * queries for unchanged names (hits of their A RRsets, NXDOMAIN below
 * them) from the base alone and from the last composed image, in turns,
 * --rounds times, pinned to --cpu, and prints both rates.  See
 * bench/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/answer.h"
#include "dataplane/publisher.h"
#include "zones/compile.h"
#include "zones/diag.h"
#include "zones/dname.h"
#include "zones/nsecord.h"
#include "zones/overlay.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/zdiff.h"
#include "zones/zone.h"

struct opts {
	const char *zone, *origin;
	unsigned steps, records, rounds;
	size_t queries;
	int cpu;
	bool whole;		/* --whole: overlays relative to the base, not deltas */
	bool nsec;		/* --nsec: an NSEC-signed zone, changes that add
				   names with their NSEC (nsec_change) */
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The process's anonymous resident memory, in bytes. */
static long rss_anon(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* ------------------------------------------------------------ the zone */

static void diag_print(void *ud, enum diag_sev sev, const char *file, unsigned line,
		       const char *msg)
{
	(void)ud;
	if (sev == DIAG_ERROR)
		fprintf(stderr, "%s:%u: %s\n", file ? file : "-", line, msg);
}

/* The zone compiled into a sealed memfd (*fd, *size). */
static void compile_zone(const struct opts *o, const uint8_t *origin, int *fd, size_t *size)
{
	struct diag d = { .fn = diag_print };
	double t0 = now_s();
	struct zone *z = zone_load_file(origin, o->zone, &d);
	if (!z || d.errors) {
		fprintf(stderr, "%s: not loaded\n", o->zone);
		exit(1);
	}
	struct zone_stats st;
	zone_get_stats(z, &st);
	double t1 = now_s();
	void *img;
	char err[512];
	if (zc_compile_shed(z, &img, size, err, sizeof err) != 0) {
		fprintf(stderr, "compile: %s\n", err);
		exit(1);
	}
	double t2 = now_s();
	zone_free(z);
	*fd = memfd_create("incr-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	for (size_t at = 0; at < *size;) {
		ssize_t n = write(*fd, (uint8_t *)img + at, *size - at);
		if (n <= 0) {
			perror("memfd");
			exit(1);
		}
		at += (size_t)n;
	}
	free(img);
	fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	printf("zone %s: %llu records, %llu names; load %.2f s, compile %.2f s, image %.1f MB\n",
	       o->zone, (unsigned long long)st.records, (unsigned long long)st.names, t1 - t0,
	       t2 - t1, *size / 1e6);
}

/* Hosts of the base: nodes with one RRset, A, of one record, not below a
 * cut and not wildcards (candidates for address changes and lookups). */
static uint32_t *hosts_of(const struct snap *s, size_t *n)
{
	const struct snap_header *h = snap_hdr(s);
	const uint8_t *b = snap_base(s);
	uint32_t *v = malloc(h->nnodes * sizeof *v);
	*n = 0;
	for (uint32_t i = 1; i < h->nnodes; i++) {
		const struct snap_node *nd = snap_nodes(s) + i;
		const struct snap_block *bh = snap_node_head(b, nd);
		const struct snap_rrset *r = snap_node_rrsets(s, nd);
		/* (in an NSEC zone, its NSEC beside it) */
		bool one = bh->nrrsets == 1 || (bh->nrrsets == 2 && r[1].type == RR_NSEC);
		if (one && r->type == RR_A && r->count == 1 &&
		    !(bh->flags & (SNAP_N_OCCLUDED | SNAP_N_CUT | SNAP_N_WILDCARD)))
			v[(*n)++] = i;
	}
	return v;
}

/* ----------------------------------------------------------- a change */

struct wl {
	uint8_t *p;
	size_t len, cap;
	uint32_t n;
};

static void put(struct wl *l, const uint8_t *owner, uint16_t type, uint32_t ttl,
		const uint8_t *rd, uint16_t rdlen)
{
	size_t ol = dname_len(owner), need = ol + 8 + rdlen;
	if (l->cap - l->len < need) {
		l->cap = (l->cap + need) * 2;
		l->p = realloc(l->p, l->cap);
	}
	uint8_t *w = l->p + l->len;
	memcpy(w, owner, ol);
	w += ol;
	uint8_t hd[8] = { (uint8_t)(type >> 8), (uint8_t)type, (uint8_t)(ttl >> 24),
			  (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl,
			  (uint8_t)(rdlen >> 8), (uint8_t)rdlen };
	memcpy(w, hd, 8);
	memcpy(w + 8, rd, rdlen);
	l->len += need;
	l->n++;
}

/* name = label + "." + origin, wire. */
static void mkname(uint8_t *out, const char *label, const uint8_t *origin)
{
	size_t l = strlen(label);
	out[0] = (uint8_t)l;
	memcpy(out + 1, label, l);
	memcpy(out + 1 + l, origin, dname_len(origin));
}

struct life {
	const uint8_t *origin;
	uint8_t soa[512];
	uint16_t soa_len;
	uint32_t soa_ttl, serial;
	const struct snap *base;
	uint32_t *hosts;
	size_t nhosts;
	uint8_t *changed;	/* per base node: its A changed */
	struct mine {		/* hosts the bench added, not yet deleted */
		char lab[64];
		uint8_t a4[4];
	} *mine;
	size_t nmine;
};

static void soa_serial(struct life *l, uint32_t serial)
{
	uint8_t *p = l->soa + l->soa_len - 20;
	p[0] = (uint8_t)(serial >> 24);
	p[1] = (uint8_t)(serial >> 16);
	p[2] = (uint8_t)(serial >> 8);
	p[3] = (uint8_t)serial;
}

/* About n records of change from l's version to the next (the SOA
 * included) into d. */
static void make_change(struct life *l, unsigned n, unsigned step, struct zdiff *d,
			struct wl *del, struct wl *add)
{
	del->len = add->len = 0;
	del->n = add->n = 0;
	put(del, l->origin, RR_SOA, l->soa_ttl, l->soa, l->soa_len);
	soa_serial(l, ++l->serial);
	put(add, l->origin, RR_SOA, l->soa_ttl, l->soa, l->soa_len);
	uint8_t name[DNAME_MAX], ns[DNAME_MAX];
	char lab[64];
	const uint8_t *b = snap_base(l->base);
	size_t older = l->nmine;	/* hosts of earlier steps: deletable */
	while (del->n + add->n < n) {
		unsigned kind = (unsigned)(rnd() % 10);
		uint8_t a4[4] = { 192, 0, 2, (uint8_t)rnd() };
		if (kind < 6 && l->nhosts) {	/* an address changed */
			uint32_t i = l->hosts[rnd() % l->nhosts];
			if (l->changed[i])
				continue;
			l->changed[i] = 1;
			const struct snap_node *nd = snap_nodes(l->base) + i;
			const struct snap_rrset *r = snap_node_rrsets(l->base, nd);
			put(del, b + nd->name, RR_A, r->ttl, b + r->rdata + 2, 4);
			a4[0] = 198;
			put(add, b + nd->name, RR_A, r->ttl, a4, 4);
		} else if (kind < 8 || !older) {	/* a new host */
			snprintf(lab, sizeof lab, "incr-%u-%u", step, add->n);
			mkname(name, lab, l->origin);
			put(add, name, RR_A, 3600, a4, 4);
			struct mine *m = &l->mine[l->nmine++];
			snprintf(m->lab, sizeof m->lab, "%s", lab);
			memcpy(m->a4, a4, 4);
		} else if (kind < 9) {	/* a new delegation, glue below it */
			snprintf(lab, sizeof lab, "dlg-%u-%u", step, add->n);
			mkname(name, lab, l->origin);
			uint8_t nsl[80];
			snprintf((char *)nsl, sizeof nsl, "ns1.%s", lab);
			dname_from_text(ns, (const char *)nsl, strlen((const char *)nsl), l->origin);
			put(add, name, RR_NS, 3600, ns, (uint16_t)dname_len(ns));
			put(add, ns, RR_A, 3600, a4, 4);
		} else {	/* a host of an earlier step deleted */
			size_t k = rnd() % older;
			mkname(name, l->mine[k].lab, l->origin);
			put(del, name, RR_A, 3600, l->mine[k].a4, 4);
			l->mine[k] = l->mine[--older];
			l->mine[older] = l->mine[--l->nmine];
		}
	}
	*d = (struct zdiff){ .from = l->serial - 1, .to = l->serial, .del = del->p,
			     .del_len = del->len, .ndel = del->n, .add = add->p,
			     .add_len = add->len, .nadd = add->n };
}

/* --nsec: about n records of change to the version of ov (the SOA
 * included) into d: new hosts (beside random hosts of the base: their
 * label with a suffix, which sorts right after them) with their A and
 * NSEC records, and the NSEC of the owner before each pointing at it, as
 * a signer makes them (RFC 4035 §2.3; no signatures). */
static void nsec_change(struct life *l, struct ovl *ov, unsigned n, struct zdiff *d,
			struct wl *del, struct wl *add)
{
	size_t size;
	const uint8_t *img = ovl_image(ov, &size);
	struct snap *cur;
	struct nsecord *ord;
	if (snap_open_validated(img, size, &cur) != 0 || !(ord = nsecord_make(cur))) {
		fprintf(stderr, "--nsec: the zone is not signed with NSEC\n");
		exit(1);
	}
	del->len = add->len = 0;
	del->n = add->n = 0;
	put(del, l->origin, RR_SOA, l->soa_ttl, l->soa, l->soa_len);
	soa_serial(l, ++l->serial);
	put(add, l->origin, RR_SOA, l->soa_ttl, l->soa, l->soa_len);
	/* the bitmap of a host: A, RRSIG, NSEC */
	static const uint8_t types[] = { 0, 6, 0x40, 0, 0, 0, 0, 0x03 };
	uint32_t *used = calloc(n + 1, sizeof *used);
	unsigned nused = 0;
	for (unsigned tries = 0; del->n + add->n < n && tries < 100 * n; tries++) {
		uint8_t name[DNAME_MAX], rd[2 * DNAME_MAX + 64];
		const uint8_t *h = snap_base(l->base) + snap_nodes(l->base)[l->hosts[rnd() % l->nhosts]].name;
		char lab[80];
		snprintf(lab, sizeof lab, "%.*s-n%u", h[0], (const char *)h + 1, l->serial);
		mkname(name, lab, l->origin);
		uint32_t p = nsecord_pred_name(ord, cur, name), k = 0;
		while (k < nused && used[k] != p)
			k++;
		if (k < nused)
			continue;	/* one new name per owner before it */
		used[nused++] = p;
		const struct snap_node *pn = snap_nodes(cur) + p;
		const struct snap_rrset *r = snap_rrset_of(cur, pn, RR_NSEC);
		const uint8_t *old = img + r->rdata + 2;
		uint16_t len = (uint16_t)(img[r->rdata] << 8 | img[r->rdata + 1]);
		size_t next = dname_len(old), nl = dname_len(name);
		put(del, img + pn->name, RR_NSEC, r->ttl, old, len);
		memcpy(rd, name, nl);
		memcpy(rd + nl, old + next, len - next);
		put(add, img + pn->name, RR_NSEC, r->ttl, rd, (uint16_t)(nl + len - next));
		uint8_t a4[4] = { 192, 0, 2, (uint8_t)rnd() };
		put(add, name, RR_A, 3600, a4, 4);
		memcpy(rd, old, next);
		memcpy(rd + next, types, sizeof types);
		put(add, name, RR_NSEC, r->ttl, rd, (uint16_t)(next + sizeof types));
	}
	free(used);
	nsecord_free(ord);
	snap_close(cur);
	*d = (struct zdiff){ .from = l->serial - 1, .to = l->serial, .del = del->p,
			     .del_len = del->len, .ndel = del->n, .add = add->p,
			     .add_len = add->len, .nadd = add->n };
}

/* -------------------------------------------------------------- lookups */

/* Queries for unchanged hosts: half hits (A), half NXDOMAIN below them;
 * half with EDNS.  Each is 2 bytes of length then the message. */
#define QMAX 300
static uint8_t *lookup_set(const struct life *l, size_t n)
{
	uint8_t *q = malloc(n * QMAX);
	const uint8_t *b = snap_base(l->base);
	for (size_t k = 0; k < n; k++) {
		uint32_t i;
		do
			i = l->hosts[rnd() % l->nhosts];
		while (l->changed[i]);
		uint8_t *m = q + k * QMAX + 2, *p = m + 12;
		memset(m, 0, 12);
		m[0] = (uint8_t)(k >> 8);
		m[1] = (uint8_t)k;
		m[5] = 1;
		if (k & 1) {
			memcpy(p, "\x03nxd", 4);
			p += 4;
		}
		const uint8_t *nm = b + snap_nodes(l->base)[i].name;
		memcpy(p, nm, dname_len(nm));
		p += dname_len(nm);
		memcpy(p, "\x00\x01\x00\x01", 4);
		p += 4;
		if (k & 2) {
			m[11] = 1;
			memcpy(p, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
			p += 11;
		}
		size_t len = (size_t)(p - m);
		q[k * QMAX] = (uint8_t)(len >> 8);
		q[k * QMAX + 1] = (uint8_t)len;
	}
	return q;
}

/* Answers the set once from root, in bursts of 32: the rate (answers/s). */
static double answer_rate(const struct zidx *root, const uint8_t *q, size_t n)
{
	enum { B = 32 };
	static uint8_t out[B][1300];
	const struct ans_cfg cfg = { .max_udp = 1232 };
	uint8_t *outs[B];
	size_t caps[B], lens[B];
	struct ans_req req[B];
	struct ans_outcome oc[B];
	for (int j = 0; j < B; j++) {
		outs[j] = out[j];
		caps[j] = sizeof out[j];
	}
	double t0 = now_s();
	for (size_t i = 0; i < n; i += B) {
		size_t k = n - i < B ? n - i : B;
		for (size_t j = 0; j < k; j++) {
			const uint8_t *m = q + (i + j) * QMAX;
			req[j] = (struct ans_req){ .q = m + 2, .qlen = (size_t)(m[0] << 8 | m[1]) };
		}
		ans_respond_burst(root, &cfg, req, k, outs, caps, lens, oc);
	}
	return (double)n / (now_s() - t0);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Unchanged names from the base alone and from the composed image, in
 * turns: the median rates. */
static void lookups(const struct opts *o, const struct life *l, struct snap *base,
		    struct snap *composed)
{
	uint8_t *q = lookup_set(l, o->queries);
	struct zidx *rb = zidx_new(&base, 1), *rc = zidx_new(&composed, 1);
	double *vb = calloc(o->rounds, sizeof *vb), *vc = calloc(o->rounds, sizeof *vc);
	answer_rate(rb, q, o->queries);
	answer_rate(rc, q, o->queries);
	for (unsigned r = 0; r < o->rounds; r++) {
		vb[r] = answer_rate(rb, q, o->queries);
		vc[r] = answer_rate(rc, q, o->queries);
	}
	qsort(vb, o->rounds, sizeof *vb, cmp_d);
	qsort(vc, o->rounds, sizeof *vc, cmp_d);
	double mb = vb[o->rounds / 2], mc = vc[o->rounds / 2];
	printf("\nunchanged names (A hits and NXDOMAIN below them, half with EDNS), %zu queries,"
	       " bursts of 32, median of %u rounds:\n", o->queries, o->rounds);
	printf("| image | answers/s | vs base |\n|---|---|---|\n");
	printf("| base, no overlay | %.2f M | |\n", mb / 1e6);
	printf("| base + overlay of %u changes | %.2f M | %+.1f %% |\n", o->steps, mc / 1e6,
	       (mc / mb - 1) * 100);
	zidx_free(rb);
	zidx_free(rc);
	free(vb);
	free(vc);
	free(q);
}

/* ------------------------------------------------------------- changes */

struct stepres {
	double apply, export, publish, total;
	size_t bytes;
};

static int cmp_total(const void *a, const void *b)
{
	const struct stepres *x = a, *y = b;
	return (x->total > y->total) - (x->total < y->total);
}

/* One change from arrival to served; 0, or -1 when declined. */
static int one_step(struct ovl *ov, struct pub *pub, const char *zname, const struct zdiff *d,
		    bool whole, struct stepres *r)
{
	char err[512];
	double t0 = now_s();
	int rc = ovl_apply(ov, d, err, sizeof err);
	double t1 = now_s();
	if (rc != 1) {
		fprintf(stderr, "change %u declined (%d): %s\n", d->to, rc, err);
		return -1;
	}
	int fd;
	size_t len;
	/* as control/incr.c: a delta, the dataplane serving the version the
	 * change started from (or, --whole, the overlay relative to the base) */
	if (ovl_export_memfd(ov, !whole, &fd, &len) != 0) {
		perror("overlay memfd");
		exit(1);
	}
	double t2 = now_s();
	if (pub_overlay(pub, zname, fd, len, 0, err, sizeof err) != 0) {
		fprintf(stderr, "overlay refused: %s\n", err);
		exit(1);
	}
	double t3 = now_s();
	ovl_commit(ov);
	*r = (struct stepres){ t1 - t0, t2 - t1, t3 - t2, t3 - t0, ovl_bytes(ov) };
	(void)len;
	return 0;
}

static void changes(const struct opts *o, struct life *l, struct ovl *ov, struct pub *pub)
{
	struct stepres *res = calloc(o->steps, sizeof *res);
	struct wl del = { 0 }, add = { 0 };
	unsigned ok = 0;
	long rss0 = rss_anon();
	for (unsigned s = 0; s < o->steps; s++) {
		struct zdiff d;
		if (o->nsec)
			nsec_change(l, ov, o->records, &d, &del, &add);
		else
			make_change(l, o->records, s, &d, &del, &add);
		if (one_step(ov, pub, o->origin, &d, o->whole, &res[ok]) != 0)
			exit(1);
		ok++;
	}
	long rss1 = rss_anon();
	printf("\n%u changes of %u records (%u applied), each from arrival to served:\n",
	       o->steps, o->records, ok);
	printf("| step | apply (control) | export (%s) | compose + validate + swap (dataplane) |"
	       " total | overlay since the base |\n|---|---|---|---|---|---|\n",
	       o->whole ? "whole" : "delta");
	for (unsigned s = 0; s < ok; s++)
		if (s < 3 || s + 3 >= ok)
			printf("| %u | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f MB |\n", s + 1,
			       res[s].apply * 1e3, res[s].export * 1e3, res[s].publish * 1e3,
			       res[s].total * 1e3, res[s].bytes / 1e6);
	qsort(res, ok, sizeof *res, cmp_total);
	if (ok)
		printf("\ntotal per change: median %.2f ms, max %.2f ms; anonymous memory grew "
		       "%.1f MB over the %u changes (control and dataplane sides together)\n",
		       res[ok / 2].total * 1e3, res[ok - 1].total * 1e3, (rss1 - rss0) / 1e6, ok);
	free(del.p);
	free(add.p);
	free(res);
}

/* --------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr, "usage: incr_bench [--zone FILE (unsigned)] [--origin NAME] [--steps N]\n"
			"         [--records N] [--queries N] [--rounds N] [--cpu N] [--whole] [--nsec]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .zone = "bench/out/unsigned-1000000.zone", .origin = "example.com.",
			    .steps = 20, .records = 100, .rounds = 5, .queries = 1000000,
			    .cpu = 1 };
	for (int i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "--nsec")) {
			o->nsec = true;
			i--;
			continue;
		}
		if (!strcmp(argv[i], "--whole")) {
			o->whole = true;
			i--;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--zone"))
			o->zone = v;
		else if (!strcmp(a, "--origin"))
			o->origin = v;
		else if (!strcmp(a, "--steps"))
			o->steps = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--records"))
			o->records = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--queries"))
			o->queries = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--rounds"))
			o->rounds = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--cpu"))
			o->cpu = atoi(v);
		else
			usage();
	}
	if (!o->rounds || !o->steps || o->records < 4 || o->queries < 1000)
		usage();
}

int main(int argc, char **argv)
{
	struct opts o;
	parse_args(argc, argv, &o);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(o.cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		fprintf(stderr, "cannot pin to CPU %d: %s\n", o.cpu, strerror(errno));
	uint8_t origin[DNAME_MAX];
	if (dname_from_text(origin, o.origin, strlen(o.origin), NULL) < 0)
		usage();
	int fd;
	size_t size;
	compile_zone(&o, origin, &fd, &size);
	struct zidx *root;
	struct pub *pub = pub_new(&root);
	char err[512];
	int pfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (pub_image(pub, o.origin, pfd, size, 0, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double t0 = now_s();
	pub_prepare(pub, o.origin);
	printf("dataplane ready for overlays in %.2f s (once per base: two mappings of it, their "
	       "page tables filled)\n", now_s() - t0);
	const struct snap *base = zidx_find(root, origin);
	t0 = now_s();
	struct ovl *ov;
	if (ovl_new(fd, size, &ov, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("overlay builder ready in %.2f s (once per base: the index of NS/MX/SRV targets)\n",
	       now_s() - t0);
	struct life l = { .origin = origin, .base = base };
	const struct snap_header *h = snap_hdr(base);
	const struct snap_rrset *soa = (const struct snap_rrset *)(snap_base(base) + h->soa);
	l.soa_len = (uint16_t)(snap_base(base)[soa->rdata] << 8 | snap_base(base)[soa->rdata + 1]);
	memcpy(l.soa, snap_base(base) + soa->rdata + 2, l.soa_len);
	l.soa_ttl = soa->ttl;
	l.serial = h->serial;
	l.hosts = hosts_of(base, &l.nhosts);
	l.changed = calloc(h->nnodes, 1);
	l.mine = calloc((size_t)o.steps * o.records + 1, sizeof *l.mine);
	if (!l.nhosts) {
		fprintf(stderr, "no hosts (names with one A record) in the zone\n");
		return 1;
	}
	/* the base's own handle for the lookups: the publisher's goes with
	 * the first overlay */
	const void *bmap = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	struct snap *bsnap;
	if (bmap == MAP_FAILED || snap_open(bmap, size, &bsnap, err, sizeof err) != 0)
		return 1;
	l.base = bsnap;
	changes(&o, &l, ov, pub);
	if (o.nsec) {	/* what opening each version adds for NSEC denial */
		struct snap *cur;
		const uint8_t *img = ovl_image(ov, &size);
		snap_open_validated(img, size, &cur);
		t0 = now_s();
		struct nsecord *ord = nsecord_make(cur);
		double t1 = now_s();
		struct nsecord *bord = nsecord_make(bsnap);
		printf("\nthe NSEC chain's index of the last version (%u nodes appended): %.1f ms; of "
		       "the base: %.1f ms\n", snap_hdr(cur)->nnodes - snap_hdr(cur)->nsorted,
		       (t1 - t0) * 1e3, (now_s() - t1) * 1e3);
		nsecord_free(ord);
		nsecord_free(bord);
		snap_close(cur);
	}
	lookups(&o, &l, bsnap, (struct snap *)zidx_find(root, origin));
	snap_close(bsnap);
	ovl_free(ov);
	pub_free(pub);
	close(fd);
	return 0;
}
