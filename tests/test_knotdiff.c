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
 * Differences are tolerated ONLY through the allowances below, each citing
 * the RFC clause that leaves the choice to the server.  Fails when knotd
 * is not installed: the comparison is the point.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/answer.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "tests/dnsmsg.h"
#include "tests/knotd.h"
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
	static uint8_t qb[1024], kb[65536], ob[65536];
	static char diff[1 << 16];
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

		long kl = kd_query(&kd, q.tcp, qb, ql, kb, sizeof kb);
		struct ans_req req = { .q = qb, .qlen = ql, .tcp = q.tcp };
		size_t ol = ans_respond(e.root, &cfg, &req, ob, sizeof ob, NULL);
		if (kl < 0 || ol == 0) {
			/* no answer (dropped) must be mutual */
			if ((kl < 0) != (ol == 0)) {
				nbad++;
				fprintf(stderr, "--- MISMATCH: %s\n  knotd %s, ringdns %s\n", line,
					kl < 0 ? "no answer" : "answered",
					ol == 0 ? "no answer" : "answered");
			}
			continue;
		}
		if (!q.tcp && ol > udp_limit(&q, cfg.max_udp)) {
			nbad++;
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
				if (allowances[i].apply(&q, &kr, &orr))
					allowances[i].used++;
			char rest[1 << 12];
			rest[0] = 0;
			if (dm_diff(&kr, "knotd", &orr, "ringdns", rest, sizeof rest) == 0) {
				nallowed++;
			} else {
				nbad++;
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
