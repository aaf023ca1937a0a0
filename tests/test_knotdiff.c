/*
 * test_knotdiff.c - the differential test of the answer engine against Knot
 * DNS: a private knotd serves the test zones of
 * tests/data/answer/ on 127.0.0.1; every query of queries.txt and of
 * tld-mix.txt (the TLD-shaped zone's mix) goes to it
 * over UDP (or TCP) and, as the same bytes, through ans_respond on the same
 * zones compiled in-process.  Per query the two responses are compared on
 * RCODE (with the extended bits), opcode, ID, header flags, question, OPT
 * (presence, payload size, version, DO, options) and each section as a set
 * of records (owners lowercased, rdata in presentation form).
 *
 * A second test changes a zone step by step with overlays (incremental
 * images, zones/overlay.h) and compares, twice, every name of the version
 * reached, as the dataplane serves it, with knotd loading that version
 * whole.
 *
 * Differences are tolerated ONLY through the allowances below, each citing
 * the RFC clause that leaves the choice to the server.  Fails when knotd
 * is not installed: the comparison is the point.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataplane/answer.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "tests/dnsmsg.h"
#include "tests/knotd.h"
#include "tests/ovt.h"
#include "zones/overlay.h"
#include "zones/snap.h"
#include "tests/zt.h"

/* The zones: file under tests/data/answer/, origin. */
static const struct {
	const char *file, *origin;
} zones[] = {
	{ "plain.zone", "example.com." },
	{ "nsec.zone", "example.org." },
	{ "nsec3.zone", "example.net." },
	{ "nsec3-optout.zone", "example.info." },
	{ "wildcut.zone", "wildcut.example." },
	{ "wildcut-nsec.zone", "wildcut-nsec.example." },
	{ "wildcut-nsec3.zone", "wildcut-nsec3.example." },
	{ "tld.zone", "bench-tld." },
};
#define NZONES (sizeof zones / sizeof zones[0])

/* The same server identity on both sides (CHAOS, NSID). */
#define IDENTITY "ringdns-test"
#define VERSION "ringdns-test-1"
#define NSID "ringdns-test"

/*
 * Allowances.  Each gets the query and both parsed responses; when the
 * difference it permits is present it makes the two equal in that respect
 * (by removing what may differ) and returns true.  The test counts how often
 * each one was used and prints that, so an allowance that stops being
 * needed shows up.
 */
struct allowance {
	const char *id;
	const char *rfc;
	const char *why;
	bool (*apply)(const struct dm_q *q, struct dm_resp *knot, struct dm_resp *ours);
	unsigned used;
};

/* RFC 4035 §3: "a security-aware name server MUST copy the CD bit from a
 * query into the corresponding response"; Knot 3.2 leaves CD clear in its
 * authoritative answers.  Only that one bit, only when the query had it. */
static bool allow_cd(const struct dm_q *q, struct dm_resp *k, struct dm_resp *o)
{
	if (!q->cd || k->cd || !o->cd)
		return false;
	k->cd = true;
	return true;
}

/* How often the record text rec is in section s. */
static size_t count_rr(const struct dm_resp *r, int s, const char *rec)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nrr[s]; i++)
		n += strcmp(r->rr[s][i], rec) == 0;
	return n;
}

/* RFC 2181 §5.5: "A Resource Record Set should only be included once in
 * any DNS reply ... it should not be repeated in the same, or any other,
 * section".  Knot repeats the addresses synthesized from a wildcard for an
 * additional-section target once per record naming it (MX 10 and MX 90
 * to the same host); we put them once.  Only repeats in Knot's additional
 * section of records we have exactly once. */
static bool allow_once(const struct dm_q *q, struct dm_resp *k, struct dm_resp *o)
{
	(void)q;
	bool used = false;
	for (size_t i = 1; i < k->nrr[DM_AR];) {
		if (strcmp(k->rr[DM_AR][i], k->rr[DM_AR][i - 1]) == 0 &&
		    count_rr(o, DM_AR, k->rr[DM_AR][i]) == 1) {
			dm_resp_drop(k, DM_AR, i);
			used = true;
		} else {
			i++;
		}
	}
	return used;
}

/* The engine's zones, for allowances that look at the zone data. */
static const struct zidx *allow_root;

/* RFC 1034 §4.3.3: wildcard RRs do not apply "when the query is in another
 * zone.  That is, delegation cancels the wildcard defaults."  Knot fills in
 * additional-section addresses for a target below a zone cut from a
 * wildcard below that cut (occluded data); we synthesize additional data
 * only where an answer would be synthesized (RFC 2181 §9: additional data
 * is optional).  Only A/AAAA records of Knot's additional section that we
 * lack, whose owner does not exist and whose closest encloser is at or
 * below a cut and has a wildcard child. */
static bool allow_occluded_wild(const struct dm_q *q, struct dm_resp *k, struct dm_resp *o)
{
	(void)q;
	bool used = false;
	for (size_t i = 0; i < k->nrr[DM_AR];) {
		const char *rec = k->rr[DM_AR][i];
		char owner[1024], type[16];
		uint8_t name[DNAME_MAX];
		uint32_t ni;
		const struct snap *z;
		bool drop = sscanf(rec, "%1023s %*s %*s %15s", owner, type) == 2 &&
			    (!strcmp(type, "A") || !strcmp(type, "AAAA")) &&
			    count_rr(o, DM_AR, rec) == 0 &&
			    dname_from_text(name, owner, strlen(owner), NULL) > 0 &&
			    (z = zidx_find(allow_root, name)) != NULL &&
			    !snap_find(z, name, &ni) &&
			    (snap_node_flags(snap_base(z), &snap_nodes(z)[ni]) & (SNAP_N_CUT | SNAP_N_OCCLUDED)) &&
			    (snap_node_flags(snap_base(z), &snap_nodes(z)[ni]) & SNAP_N_WILD_CHILD);
		if (drop) {
			dm_resp_drop(k, DM_AR, i);
			used = true;
		} else {
			i++;
		}
	}
	return used;
}

static struct allowance allowances[] = {
	{ "cd-copied", "RFC 4035 §3", "CD copied to the response (Knot does not)",
	  allow_cd, 0 },
	{ "rrset-once", "RFC 2181 §5.5",
	  "a synthesized additional RRset once (Knot repeats it per reference)", allow_once, 0 },
	{ "occluded-wild", "RFC 1034 §4.3.3",
	  "no additional addresses from a wildcard below a cut (Knot adds them)",
	  allow_occluded_wild, 0 },
};
#define NALLOW (sizeof allowances / sizeof allowances[0])

static struct kd kd;
static char tmpdir[64];
static char srcdir[512];

static void setup(void)
{
	const char *s = getenv("SRCDIR");
	snprintf(srcdir, sizeof srcdir, "%s/tests/data/answer", s ? s : ".");
	memset(&kd, 0, sizeof kd);
	tmpdir[0] = 0;
}

static void teardown(void)
{
	kd_stop(&kd);
	if (tmpdir[0])
		zt_rmtmp(tmpdir);
}

/* The engine side: every zone compiled, validated and indexed. */
struct engine {
	struct zt zt[NZONES];
	void *image[NZONES];
	struct snap *snap[NZONES];
	struct zidx *root;
};

static void engine_load(struct engine *e)
{
	memset(e, 0, sizeof *e);
	for (size_t i = 0; i < NZONES; i++) {
		char path[600], err[256];
		size_t size = 0;
		snprintf(path, sizeof path, "%s/%s", srcdir, zones[i].file);
		zt_load_file(&e->zt[i], zones[i].origin, path);
		cr_assert_eq(e->zt[i].errors, 0, "%s: %s", path, e->zt[i].msgs);
		cr_assert_eq(zc_compile(e->zt[i].z, &e->image[i], &size, err, sizeof err), 0,
			     "zc_compile %s: %s", path, err);
		cr_assert_eq(snap_open(e->image[i], size, &e->snap[i], err, sizeof err), 0,
			     "snap_open %s: %s", path, err);
	}
	e->root = zidx_new(e->snap, NZONES);
	cr_assert_not_null(e->root, "zidx_new");
}

static void engine_free(struct engine *e)
{
	zidx_free(e->root);
	for (size_t i = 0; i < NZONES; i++) {
		snap_close(e->snap[i]);
		free(e->image[i]);
		zt_free(&e->zt[i]);
	}
}

/* The most a UDP response may carry: RFC 1035 §4.2.1, RFC 6891 §6.2.5. */
static size_t udp_limit(const struct dm_q *q, uint16_t max_udp)
{
	if (!q->edns || q->bufsize < 512)
		return 512;
	return q->bufsize < max_udp ? q->bufsize : max_udp;
}

static void print_pair(const char *spec, const struct dm_resp *k, const struct dm_resp *o,
		       const char *diff)
{
	static char a[1 << 17], b[1 << 17];
	dm_resp_print(k, a, sizeof a);
	dm_resp_print(o, b, sizeof b);
	fprintf(stderr, "--- MISMATCH: %s\n%s  knotd:\n%s  ringdns:\n%s", spec, diff, a, b);
}

/* Query q (its bytes qb, ql) to knotd and through the engine on root:
 * the responses compared; *nbad or *nallowed counted when they differ. */
static void compare_one(const struct dm_q *q, const uint8_t *qb, size_t ql,
			const struct zidx *root, const struct ans_cfg *cfg, unsigned *nbad,
			unsigned *nallowed)
{
	static uint8_t kb[65536], ob[65536];
	static char diff[1 << 16];
	const char *line = q->spec;
	long kl = kd_query(&kd, q->tcp, qb, ql, kb, sizeof kb);
	struct ans_req req = { .q = qb, .qlen = ql, .tcp = q->tcp };
	size_t ol = ans_respond(root, cfg, &req, ob, sizeof ob, NULL);
	if (kl < 0 || ol == 0) {
		/* no answer (dropped) must be mutual */
		if ((kl < 0) != (ol == 0)) {
			++*nbad;
			fprintf(stderr, "--- MISMATCH: %s\n  knotd %s, ringdns %s\n", line,
				kl < 0 ? "no answer" : "answered", ol == 0 ? "no answer" : "answered");
		}
		return;
	}
	if (!q->tcp && ol > udp_limit(q, cfg->max_udp)) {
		++*nbad;
		fprintf(stderr, "--- MISMATCH: %s\n  ringdns: %zu octets exceed the UDP limit\n",
			line, ol);
	}
	struct dm_resp kr, orr;
	dm_parse(kb, (size_t)kl, &kr);
	dm_parse(ob, ol, &orr);
	diff[0] = 0;
	int n = dm_diff(&kr, "knotd", &orr, "ringdns", diff, sizeof diff);
	if (n) {
		for (size_t i = 0; i < NALLOW; i++)
			if (allowances[i].apply(q, &kr, &orr))
				allowances[i].used++;
		char rest[1 << 12];
		rest[0] = 0;
		if (dm_diff(&kr, "knotd", &orr, "ringdns", rest, sizeof rest) == 0) {
			++*nallowed;
		} else {
			++*nbad;
			dm_resp_free(&kr);	/* print them whole */
			dm_resp_free(&orr);
			dm_parse(kb, (size_t)kl, &kr);
			dm_parse(ob, ol, &orr);
			print_pair(line, &kr, &orr, diff);
		}
	}
	dm_resp_free(&kr);
	dm_resp_free(&orr);
}

Test(knotdiff, queries, .init = setup, .fini = teardown, .timeout = 300)
{
	/* the reference is required: CI installs it (scripts/install-deps.sh) */
	cr_assert(kd_available(), "knotd not installed (package knot)");
	char err[512];
	zt_mktmp(tmpdir, "knotdiff");
	struct kd_zone kz[NZONES];
	char paths[NZONES][600];
	for (size_t i = 0; i < NZONES; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/%s", srcdir, zones[i].file);
		kz[i].origin = zones[i].origin;
		kz[i].file = paths[i];
	}
	cr_assert_eq(kd_start(&kd, tmpdir, kz, NZONES, IDENTITY, VERSION, NSID, err,
			      sizeof err), 0, "%s", err);

	static struct engine e;
	engine_load(&e);
	allow_root = e.root;
	const struct ans_cfg cfg = {
		.max_udp = 1232,
		.nsid = NSID,
		.nsid_len = (uint16_t)strlen(NSID),
		.identity = IDENTITY,
		.version = VERSION,
	};

	/* the hand-written queries, then the TLD-shaped zone's mix */
	static const char *const qfiles[] = { "queries.txt", "tld-mix.txt" };
	char qpath[600];
	char line[600];
	unsigned nq = 0, nbad = 0, nallowed = 0, lineno = 0;
	static uint8_t qb[1024];
	for (size_t f = 0; f < sizeof qfiles / sizeof qfiles[0]; f++) {
	snprintf(qpath, sizeof qpath, "%s/%s", srcdir, qfiles[f]);
	FILE *in = fopen(qpath, "r");
	cr_assert_not_null(in, "%s", qpath);
	lineno = 0;
	while (fgets(line, sizeof line, in)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		struct dm_q q;
		cr_assert_eq(dm_q_parse(line, &q, err, sizeof err), 0, "%s:%u: %s", qpath,
			     lineno, err);
		size_t ql = dm_q_build(&q, qb, sizeof qb);
		cr_assert_gt(ql, 0);
		nq++;

		compare_one(&q, qb, ql, e.root, &cfg, &nbad, &nallowed);
	}
	fclose(in);
	}
	fprintf(stderr, "knotdiff: %u queries, %u identical, %u different within allowances, %u mismatches\n",
		nq, nq - nbad - nallowed, nallowed, nbad);
	for (size_t i = 0; i < NALLOW; i++)
		fprintf(stderr, "  allowance %-13s (%s: %s): used %u times\n", allowances[i].id,
			allowances[i].rfc, allowances[i].why, allowances[i].used);
	engine_free(&e);
	cr_expect_eq(nbad, 0, "%u of %u queries differ from knotd (see above)", nbad, nq);
}

/* ------------------------------------------------- incremental versions */

#define OVL_ORIGIN "incr.example."

/* The version l serves, as the dataplane serves it: its overlay mapped
 * over its base and validated (or the base itself). */
static struct snap *served_version(struct ovt_life *l, struct ovl_map *m)
{
	uint8_t *ov;
	size_t len;
	char err[512];
	struct snap *s;
	cr_assert_eq(ovl_export(l->o, false, &ov, &len), 0);
	cr_assert_eq(ovl_compose(l->base.fd, l->base.image, l->base.size, ov, len, m, &s, err,
				 sizeof err), 0, "%s", err);
	free(ov);
	return s;
}

/* Every name of version v of origin (and names below them) for the usual
 * types, with and without DO, to knotd and to the engine on root. */
static void compare_version(const char *origin, const struct ovt_zone *v,
			    const struct zidx *root, unsigned *nq, unsigned *nbad,
			    unsigned *nallowed)
{
	static const char *const types[] = { "A", "AAAA", "NS", "MX", "TXT", "CNAME", "SOA",
					     "SRV", "ANY", "DS", "DNAME" };
	static const char *const forms[] = { "", "nx.", "q.z." };
	const struct ans_cfg cfg = { .max_udp = 1232, .nsid = NSID,
				     .nsid_len = (uint16_t)strlen(NSID), .identity = IDENTITY,
				     .version = VERSION };
	static uint8_t qb[1024];
	for (size_t k = 0; k <= v->n; k++) {
		char owner[300], name[700], spec[800], err[256];
		if (k < v->n)
			snprintf(owner, sizeof owner, "%.*s", (int)strcspn(v->line[k], " "),
				 v->line[k]);
		else
			snprintf(owner, sizeof owner, "@");
		for (size_t f = 0; f < 3; f++)
			for (size_t t = 0; t < sizeof types / sizeof *types; t++)
				for (int d = 0; d < 2; d++) {
					if (!strcmp(owner, "@"))
						snprintf(name, sizeof name, "%s%s", forms[f], origin);
					else if (owner[strlen(owner) - 1] == '.')
						snprintf(name, sizeof name, "%s%s", forms[f], owner);
					else
						snprintf(name, sizeof name, "%s%s.%s", forms[f], owner,
							 origin);
					snprintf(spec, sizeof spec, "%s %s +edns%s", name, types[t],
						 d ? " +do" : "");
					struct dm_q q;
					cr_assert_eq(dm_q_parse(spec, &q, err, sizeof err), 0, "%s", err);
					size_t ql = dm_q_build(&q, qb, sizeof qb);
					++*nq;
					compare_one(&q, qb, ql, root, &cfg, nbad, nallowed);
				}
	}
}

/* DNAMEs in overlay_versions' steps besides ovt_mutate's random ones:
 * added (at new names, beside an address, with a CNAME into one) in the
 * first round, one's target changed and another deleted in the second. */
static void dname_edits(struct ovt_zone *z, int round, int s)
{
	if (round == 0 && s == 2) {
		ovt_add(z, "dnk 300 DNAME wild");
		ovt_add(z, "dnk2 300 DNAME example.net.");
		ovt_add(z, "h5 300 DNAME www");
		ovt_add(z, "ck 300 CNAME a.dnk");
		ovt_add(z, "mk 300 MX 10 mx.h5");
	}
	for (size_t k = z->n; round == 1 && s == 3 && k-- > 0;) {
		if (strcmp(z->line[k], "dnk 300 DNAME wild") == 0) {
			ovt_del(z, k);
			ovt_add(z, "dnk 300 DNAME b.c.ent");
		} else if (strcmp(z->line[k], "dnk2 300 DNAME example.net.") == 0) {
			ovt_del(z, k);
		}
	}
}

/* The version l serves (as the dataplane does) against knotd loading it
 * whole (round: a directory of its own); *nq etc. add up (compare_one). */
static void compare_served(struct ovt_life *l, int round, unsigned *nq, unsigned *nbad,
			   unsigned *nallowed)
{
	char err[512];
	struct ovl_map m;
	struct snap *s = served_version(l, &m);
	struct zidx *root = zidx_new(&s, 1);
	allow_root = root;
	char sub[128], zname[32];
	snprintf(sub, sizeof sub, "%s/k%d", tmpdir, round);
	snprintf(zname, sizeof zname, "v%d.zone", round);
	cr_assert_eq(mkdir(sub, 0755), 0);
	char *text = ovt_text(l->origin, &l->cur);
	struct kd_zone kz = { l->origin, zt_write(tmpdir, zname, text) };
	free(text);
	kd_stop(&kd);
	cr_assert_eq(kd_start(&kd, sub, &kz, 1, IDENTITY, VERSION, NSID, err, sizeof err), 0,
		     "%s", err);
	compare_version(l->origin, &l->cur, root, nq, nbad, nallowed);
	zidx_free(root);
	snap_close(s);
	ovl_unmap(&m);
}

/* The end of l's life (what: its name): at least min changes applied as
 * overlays, no query of the nq answered otherwise than knotd does. */
static void life_done(struct ovt_life *l, const char *what, unsigned min, unsigned nq,
		      unsigned nbad, unsigned nallowed)
{
	fprintf(stderr, "knotdiff %s: %u applied, %u declined; %u queries, %u within "
		"allowances, %u mismatches\n", what, l->applied, l->declined, nq, nallowed, nbad);
	cr_assert_geq(l->applied, min, "too few changes applied as overlays");
	ovt_life_free(l);
	cr_expect_eq(nbad, 0, "%u of %u queries differ from knotd (see above)", nbad, nq);
}

/* A zone changed step by step with overlays (zones/overlay.h: names,
 * delegations, glue, wildcards, empty non-terminals, CNAMEs, DNAMEs, apex
 * RRsets added and deleted) answers, as the dataplane serves it, as knotd
 * answers the same version loaded whole. */
Test(knotdiff, overlay_versions, .init = setup, .fini = teardown, .timeout = 300)
{
	cr_assert(kd_available(), "knotd not installed (package knot)");
	zt_mktmp(tmpdir, "knotdiff-ovl");
	struct ovt_zone first;
	ovt_start(&first);
	struct ovt_life l;
	ovt_life_start(&l, OVL_ORIGIN, &first);
	ovt_free(&first);
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned nq = 0, nbad = 0, nallowed = 0, ndname = 0;
	for (int round = 0; round < 2; round++) {
		char err[512];
		for (int s = 0; s < 8; s++) {
			struct ovt_zone next;
			ovt_copy(&next, &l.cur);
			ovt_mutate(&next, 2 + (unsigned)(s % 3), &rng);
			dname_edits(&next, round, s);
			cr_assert_neq(ovt_life_step(&l, &next, NULL, NULL, err, sizeof err), -1, "%s",
				      err);
			ovt_free(&next);
		}
		for (size_t k = 0; k < l.cur.n; k++)
			ndname += strstr(l.cur.line[k], " DNAME ") != NULL;
		compare_served(&l, round, &nq, &nbad, &nallowed);
	}
	cr_assert_gt(ndname, 0, "no DNAME in the versions compared");
	life_done(&l, "overlays", 9, nq, nbad, nallowed);
}

/* An NSEC-signed zone (tests/data/answer/nsec.zone) whose names change
 * step by step with overlays (ovt_mutate_nsec: names, empty
 * non-terminals, wildcards, delegations with and without DS, their
 * glue; the chain made again each time) answers, with and without DO,
 * as knotd answers the same version loaded whole. */
Test(knotdiff, overlay_nsec_versions, .init = setup, .fini = teardown, .timeout = 300)
{
	cr_assert(kd_available(), "knotd not installed (package knot)");
	zt_mktmp(tmpdir, "knotdiff-nsec");
	const char *origin = "example.org.";
	char path[1024], err[512];
	const char *src = getenv("SRCDIR");
	snprintf(path, sizeof path, "%s/tests/data/answer/nsec.zone", src ? src : "..");
	/* the base with room in its hash table for names to come: 40 more,
	 * deleted by the first step */
	struct ovt_zone first, next;
	ovt_load(&first, path);
	ovt_copy(&next, &first);
	for (int k = 0; k < 40; k++)
		ovt_add(&first, "pad%d.%s 300 IN TXT \"room\"", k, origin);
	ovt_nsec_chain(&first, origin);
	struct ovt_life l;
	ovt_life_start(&l, origin, &first);
	ovt_free(&first);
	ovt_nsec_chain(&next, origin);
	next.serial++;
	cr_assert_eq(ovt_life_step(&l, &next, NULL, NULL, err, sizeof err), 1, "%s", err);
	ovt_free(&next);
	uint64_t rng = 0x510e527fade682d1ull;
	unsigned nq = 0, nbad = 0, nallowed = 0;
	for (int round = 0; round < 2; round++) {
		for (int s = 0; s < 6; s++) {
			ovt_copy(&next, &l.cur);
			ovt_mutate_nsec(&next, origin, 2 + (unsigned)(s % 3), &rng);
			cr_assert_neq(ovt_life_step(&l, &next, NULL, NULL, err, sizeof err), -1, "%s",
				      err);
			ovt_free(&next);
		}
		size_t size;
		cr_assert_neq(((const struct snap_header *)ovl_image(l.o, &size))->base_size, 0,
			      "round %d: the version served is no overlay", round);
		compare_served(&l, round, &nq, &nbad, &nallowed);
	}
	life_done(&l, "NSEC overlays", 9, nq, nbad, nallowed);
}
