/*
 * burst.c - the burst pipeline of the answer engine: ans_respond_burst and
 * ans_respond.  Answering one query is a chain of dependent reads into a
 * snapshot far larger than the caches: bucket -> block (the node's name,
 * RRset entries and records together) -> records beyond its first lines,
 * then the same again for each name whose addresses go in the additional
 * section; each is a likely cache (and TLB) miss.  Done one query at a
 * time, the misses are paid in series.  Here each stage runs over the
 * whole burst, issuing the next level's prefetch for every query before
 * any query reads it, so the misses of up to ANS_BURST_MAX queries
 * overlap.  The last stage answers each query: a fast path (fast.c) where
 * one applies, else the general path (answer.c), the owner lookup's result
 * handed over.  The pipeline only warms the cache and skips repeated
 * probes, it never decides: every path (misses, CNAME, DNAME, referrals,
 * DNSSEC) stays the general path's code.  The zone is read through the
 * staged probe of zones/snap.h, never its layout.
 */
#include "dataplane/answer.h"

#include <string.h>

#include "dataplane/engine.h"

/* One query of a burst: parsed, its zone and owner node perhaps looked up. */
struct bq {
	struct eng_query x;	/* the query and what its lookups found */
	uint32_t hv;		/* hash of the suffix being probed */
	uint32_t blk;		/* that suffix's candidate block, SNAP_NONE */
	uint32_t th[ENG_TARGETS];	/* the targets' hashes */
	uint8_t h3[20];		/* DO NXDOMAIN: the next closer name's NSEC3 hash */
};

static inline void prefetch2(const void *p, size_t len)
{
	/* both lines when the object straddles one boundary */
	__builtin_prefetch(p);
	__builtin_prefetch((const uint8_t *)p + len - 1);
}

/* The offset in the query name of the suffix being probed (qlo[] is only
 * set for existing labels: none for the root name). */
static inline size_t probed_at(const struct bq *b)
{
	return b->x.p.skip ? b->x.q.qlo[b->x.p.skip] : 0;
}

static inline const uint8_t *probed(const struct bq *b)
{
	return b->x.q.qname + probed_at(b);
}

/* 0: the packets (fresh from the NIC, not in this core's cache) and the
 * response buffers' first line. */
static void stage_packets(const struct ans_req *reqs, size_t n, uint8_t *const *outs)
{
	for (size_t i = 0; i < n; i++) {
		__builtin_prefetch(reqs[i].q);
		if (reqs[i].qlen > 64)
			__builtin_prefetch(reqs[i].q + 64);
		__builtin_prefetch(outs[i], 1);
	}
}

/* 1: parse, hashing the query name as it is unpacked. */
static void stage_parse(struct bq *b, const struct ans_req *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b[i].x.st = qry_parse(reqs[i].q, reqs[i].qlen, &b[i].x.q);
		b[i].x.p.zknown = false;
		b[i].x.p.z = NULL;
		b[i].x.p.skip = 0;
		b[i].blk = SNAP_NONE;
		b[i].x.p.first = SNAP_UNPROBED;
		b[i].x.p.nt = 0;
		b[i].x.p.rs = NULL;
		b[i].x.p.blk = SNAP_NONE;
		b[i].x.p.nx3 = NX3_NONE;
		b[i].x.p.fast = FAST_NO;
	}
}

/* 2: the zone, and the owner's home bucket. */
static void stage_zone(struct bq *b, size_t n, const struct zidx *root, const size_t *outcaps)
{
	const struct snap *lz = NULL;
	const uint8_t *lbase = NULL;
	const struct snap_header *lh = NULL;
	bool lexp = false;
	for (size_t i = 0; i < n; i++) {
		if (b[i].x.st != QRY_OK || outcaps[i] < 512 || !eng_wants_zone(&b[i].x.q))
			continue;
		const struct snap *z = eng_find_zone(root, &b[i].x.q);
		b[i].x.p.zknown = true;
		b[i].x.p.z = z;
		if (!z)
			continue;
		if (z != lz) {
			lz = z;
			lbase = snap_base(z);
			lh = snap_hdr(z);
			lexp = snap_expired(z);
		}
		if (lexp) {
			/* an expired zone: no probes, no fast path; the general
			 * path finds it again and answers SERVFAIL */
			b[i].x.p.zknown = false;
			b[i].x.p.z = NULL;
			continue;
		}
		b[i].x.p.base = lbase;
		b[i].x.p.h = lh;
		b[i].hv = (uint32_t)b[i].x.q.qhash;
		snap_probe_home(lbase, lh, b[i].hv);
	}
}

/* 3: the bucket run gives the candidate block.  When the name is absent
 * and its parent is not the apex (a name below a delegation, a random
 * subdomain of a subdomain), the parent's bucket next. */
static void stage_bucket(struct bq *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct eng_probe *p = &b[i].x.p;
		if (!p->z)
			continue;
		b[i].blk = snap_probe_block(p->base, p->h, b[i].hv);
		if (b[i].blk != SNAP_NONE) {
			p->first = SNAP_UNPROBED;	/* set from the block in stage 4 */
		} else if (b[i].x.q.qlabels > p->h->origin_labels + 1u) {
			p->skip = 1;
			b[i].hv = (uint32_t)dname_hash_bytes(probed(&b[i]),
							     b[i].x.q.qname_len - probed_at(&b[i]));
			snap_probe_home(p->base, p->h, b[i].hv);
		} else {
			p->first = SNAP_NONE;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (b[i].x.p.skip) {
			b[i].blk = snap_probe_block(b[i].x.p.base, b[i].x.p.h, b[i].hv);
			if (b[i].blk == SNAP_NONE)
				b[i].x.p.first = SNAP_NONE;
		}
}

/* The names whose addresses go in the additional section, from the
 * records of rs (type t, names at skip in the RDATA) inside the zone:
 * their hashes, their home buckets prefetched.  Inline into stage 4: out
 * of line it cost a referral 20 instructions (callgrind). */
static inline __attribute__((always_inline)) void find_targets(struct bq *b, const struct snap_rrset *rs, int skip)
{
	struct eng_probe *p = &b->x.p;
	const uint8_t *rd = p->base + rs->rdata;
	const uint8_t *origin = p->base + p->h->origin;
	for (uint16_t k = 0; k < rs->count && p->nt < ENG_TARGETS; k++) {
		uint16_t len = (uint16_t)(rd[0] << 8 | rd[1]);
		const uint8_t *tn = rd + 2 + skip;
		rd += 2 + len;
		if (!dname_in(tn, origin))
			continue;
		uint32_t hv = (uint32_t)dname_hash(tn);
		p->tname[p->nt] = tn;
		b->th[p->nt++] = hv;
		snap_probe_home(p->base, p->h, hv);
	}
}

/* 4: the block: its node, flags and RRsets.  The records asked for when
 * beyond the block's first lines, or the pre-encoded answer; for NS at a
 * cut (referral) or an NS/MX/SRV RRset without one, the additional
 * section's targets.  Where the general path will answer, its node entry
 * too. */
static void stage_block(struct bq *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t blk = b[i].blk;
		if (blk == SNAP_NONE)
			continue;
		struct eng_probe *p = &b[i].x.p;
		const struct snap_block *bh = snap_block_at(p->base, blk);
		p->first = bh->node;
		p->flags = bh->flags;
		bool cut = (bh->flags & SNAP_N_CUT) != 0;
		uint16_t t = cut ? RR_NS : b[i].x.q.qtype;
		const struct snap_rrset *rs =
			snap_rrset_in(snap_block_rrset_tab(p->base, blk), bh->nrrsets, t);
		p->rs = rs;
		p->blk = blk;
		if (cut && rs && rs->resp && !(bh->flags & SNAP_N_OCCLUDED)) {
			/* a referral from its fragment (fast_ref); with DO its
			 * DS RRset and their RRSIGs, further in the block */
			prefetch2(p->base + rs->rdata + rs->rdata_len, rs->resp);
			const struct snap_rrset *ds = b[i].x.q.do_bit ?
				snap_rrset_in(snap_block_rrset_tab(p->base, blk), bh->nrrsets, RR_DS) :
				NULL;
			if (ds) {
				const uint8_t *d = p->base + ds->rdata;
				for (size_t l = 0; l < ds->rdata_len + ds->sigs_len + 63u; l += 64)
					__builtin_prefetch(d + l);
			}
			continue;
		}
		bool dnssec = b[i].x.q.do_bit && (p->h->flags & SNAP_F_SIGNED);
		bool fast = rs && rs->count && !p->skip && b[i].x.q.qclass == RR_CLASS_IN &&
			    !(bh->flags & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_NSEC3));
		if (fast)
			p->fast = eng_plain_rdata(t) ? FAST_PLAIN : rs->resp ? FAST_RESP : FAST_NO;
		fast = p->fast != FAST_NO;
		if (!fast)
			__builtin_prefetch(snap_node_tab(p->base, p->h) + bh->node);
		if (!rs)
			continue;
		int skip = rrtype_addl_at(t);
		if (fast || skip < 0)
			prefetch2(p->base + rs->rdata, rs->rdata_len + rs->resp);
		/* with DNSSEC a pre-encoded answer with an additional section
		 * is the general path's (fast_hit): its targets too */
		if ((!fast || dnssec) && skip >= 0)
			find_targets(&b[i], rs, skip);
	}
}

/* 4c: the targets' blocks. */
static void stage_targets(struct bq *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < b[i].x.p.nt; k++)
			b[i].x.p.tn[k] = snap_probe_block(b[i].x.p.base, b[i].x.p.h, b[i].th[k]);
}

/* The greatest NSEC3 table entry <= each hash, or the last one below
 * the first (snap_nsec3_search), for the queries in list: from the
 * snapshot's index of the table (snap_nsec3_bounds) the binary searches
 * of the whole burst advance one level at a time, each level's entries
 * prefetched a level ahead, so their misses overlap. */
static void nsec3_search_burst(struct bq *b, const uint8_t *list, size_t n)
{
	uint32_t lo[ANS_BURST_MAX], hi[ANS_BURST_MAX];
	bool more = true;
	for (size_t k = 0; k < n; k++)
		snap_nsec3_bounds(b[list[k]].x.p.z, b[list[k]].h3, &lo[k], &hi[k]);
	while (more) {
		more = false;
		for (size_t k = 0; k < n; k++) {
			struct bq *x = &b[list[k]];
			if (lo[k] >= hi[k])
				continue;
			const struct snap_nsec3 *t =
				(const struct snap_nsec3 *)(x->x.p.base + x->x.p.h->nsec3);
			uint32_t mid = lo[k] + (hi[k] - lo[k]) / 2;
			if (snap_hash_le(t[mid].hash, x->h3))
				lo[k] = mid + 1;
			else
				hi[k] = mid;
			if (lo[k] < hi[k]) {
				__builtin_prefetch(&t[lo[k] + (hi[k] - lo[k]) / 2]);
				more = true;
			}
		}
	}
	for (size_t k = 0; k < n; k++) {
		struct eng_probe *p = &b[list[k]].x.p;
		fast_nx3_end(p, snap_nsec3_pick(p->base, p->h, b[list[k]].h3, lo[k]));
	}
}

/* 4b: with DO, the NSEC3 owners of a referral's proof of no DS (from the
 * cut's fragment) and of an NXDOMAIN's proof (one hash each, then the
 * burst's searches together): their blocks prefetched. */
static void stage_proofs(struct bq *b, size_t n)
{
	uint8_t nx[ANS_BURST_MAX];
	size_t nnx = 0;
	for (size_t i = 0; i < n; i++) {
		struct eng_probe *p = &b[i].x.p;
		if (!p->z || !b[i].x.q.do_bit)
			continue;
		if (eng_is_node(p->first) && (p->flags & SNAP_N_CUT))
			fast_ref_ahead(&b[i].x.q, p);
		else if ((p->skip || !eng_is_node(p->first)) &&
			 fast_nx3_begin(&b[i].x.q, p, b[i].h3))
			nx[nnx++] = (uint8_t)i;
	}
	if (nnx)
		nsec3_search_burst(b, nx, nnx);
}

/* An IPv4 client as its 4 bytes (RFC 9018 §4.4: the address as sent),
 * whichever way the transport gave it; returns the address's length, 0
 * when not known. */
static size_t client_ip(const struct ans_req *req, uint8_t a[16])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!eng_peer_addr(req, a))
		return 0;
	if (memcmp(a, v4mapped, 12) != 0)
		return 16;
	memmove(a, a + 12, 4);
	return 4;
}

/* 1b: DNS Cookies (RFC 7873 §5.2, RFC 9018): each COOKIE option checked
 * and the response's made, the clock read once for the burst.  Where
 * cookies are required, a UDP query without a valid server cookie gets
 * BADCOOKIE with a fresh one (§5.2.3); over TCP it is answered (the
 * connection proves the address), as Knot's cookies module does. */
static void stage_cookie(struct bq *b, size_t n, const struct ans_cfg *cfg,
			 const struct ans_req *reqs)
{
	uint32_t now = 0;
	for (size_t i = 0; i < n; i++) {
		struct qry *q = &b[i].x.q;
		enum qry_status st = b[i].x.st;
		if (!q->cookie_len)
			continue;
		uint8_t ip[16], resp[CK_RESP_LEN];
		size_t iplen = cfg->cookie && st != QRY_DROP && st != QRY_FORMERR
				       ? client_ip(&reqs[i], ip) : 0;
		if (!iplen) {
			q->cookie_len = 0;
			continue;
		}
		if (!now)
			now = ck_now();
		enum ck_verdict v = ck_check(cfg->cookie, q->cookie, q->cookie_len, ip, iplen,
					     now, resp);
		memcpy(q->cookie, resp, CK_RESP_LEN);
		q->cookie_len = CK_RESP_LEN;
		q->cookie_ok = v == CK_VALID;
		if (cfg->cookie_require && !q->cookie_ok && !reqs[i].tcp && st == QRY_OK)
			b[i].x.st = QRY_BADCOOKIE;
	}
}

/* The response to one query, the pipeline's findings in b: a fast path
 * where one applies, else the general path. */
static size_t respond(const struct zidx *root, const struct ans_cfg *cfg,
		      const struct ans_req *req, const struct bq *b, uint8_t *out,
		      size_t outcap, struct ans_outcome *oc)
{
	const struct qry *q = &b->x.q;
	const struct eng_probe *p = &b->x.p;
	*oc = (struct ans_outcome){ .qtype = q->has_q ? q->qtype : 0, .cookie_ok = q->cookie_ok,
				    .zslot = p->zknown && p->z ? snap_slot(p->z) : 0 };
	if (b->x.st == QRY_DROP || outcap < 512) {
		oc->dropped = true;
		return 0;
	}
	struct eng_env env;
	eng_env_init(&env, cfg, q, b->x.st, req->tcp, outcap);
	if (b->x.st == QRY_OK && p->zknown && p->z && !cfg->general_only) {
		size_t n;
		if (eng_is_node(p->first) && (p->flags & SNAP_N_CUT) && !(p->flags & SNAP_N_OCCLUDED)) {
			n = fast_ref(cfg, q, p, &env, out);
			if (n) {
				oc->path = ANS_PATH_REF;
				return n;
			}
		} else {
			bool hit = p->skip == 0 && eng_is_node(p->first);
			n = hit ? fast_hit(cfg, q, p, &env, out) : fast_nx(cfg, q, p, &env, out);
			/* a wildcard's answer is an answer, as a hit's */
			bool answer = hit || p->nx3 == NX3_WILD;
			if (!n)
				n = hit ? fast_nodata(cfg, q, p, &env, out)
				      : p->nx3 == NX3_WILD ? fast_wild3(cfg, q, p, &env, out)
				      : fast_nx3(cfg, q, p, &env, out);
			if (!n && !hit && p->nx3 == NX3_NONE && q->do_bit)
				n = fast_nsec(cfg, q, p, &env, out, &answer);
			if (n) {
				oc->path = answer ? ANS_PATH_HIT : ANS_PATH_NX;
				oc->wild = answer && !hit;
				oc->rcode = answer ? RCODE_NOERROR : RCODE_NXDOMAIN;
				return n;
			}
		}
	}
	/* off the fast paths: a signed query is QRY_SIGNED (or malformed),
	 * a NOTIFY QRY_NOTIFY, so neither costs a fast-path answer a test */
	if (__builtin_expect(q->tsig || b->x.st == QRY_NOTIFY, 0))
		return sgn_respond(root, cfg, req, &b->x, &env, out, outcap, oc);
	return eng_general(root, cfg, &b->x, &env, out, oc);
}

/* 5: answer.  A candidate whose name differs (a 32-bit hash collision) is
 * handed over as not probed, for a full probe; the targets' candidates
 * become node indices. */
static void stage_answer(struct bq *b, size_t n, const struct zidx *root,
			 const struct ans_cfg *cfg, const struct ans_req *reqs,
			 uint8_t *const *outs, const size_t *outcaps, size_t *lens,
			 struct ans_outcome *ocs)
{
	for (size_t i = 0; i < n; i++) {
		struct eng_probe *p = &b[i].x.p;
		if (b[i].blk != SNAP_NONE) {
			const uint8_t *nm = probed(&b[i]);
			size_t len = b[i].x.q.qname_len - probed_at(&b[i]);
			if (!snap_name_is(snap_block_name(p->base, b[i].blk),
					  snap_block_at(p->base, b[i].blk)->name_len, nm, len))
				p->first = SNAP_UNPROBED;
		}
		for (unsigned k = 0; k < p->nt; k++)
			if (p->tn[k] != SNAP_NONE)
				p->tn[k] = snap_block_at(p->base, p->tn[k])->node;
		lens[i] = respond(root, cfg, &reqs[i], &b[i], outs[i], outcaps[i], &ocs[i]);
	}
}

/* Every query's response is written after all of the burst's queries are
 * parsed (stage 1): a response written over its own query (in place)
 * cannot spoil another query's parse, and each query's own parse copied
 * what its response needs. */
static void burst(const struct zidx *root, const struct ans_cfg *cfg,
		  const struct ans_req *reqs, size_t n, uint8_t *const *outs,
		  const size_t *outcaps, size_t *lens, struct ans_outcome *ocs)
{
	struct bq b[ANS_BURST_MAX];
	stage_packets(reqs, n, outs);
	stage_parse(b, reqs, n);
	stage_cookie(b, n, cfg, reqs);
	stage_zone(b, n, root, outcaps);
	stage_bucket(b, n);
	stage_block(b, n);
	stage_proofs(b, n);
	stage_targets(b, n);
	stage_answer(b, n, root, cfg, reqs, outs, outcaps, lens, ocs);
}

void ans_respond_burst(const struct zidx *root, const struct ans_cfg *cfg,
		       const struct ans_req *reqs, size_t n, uint8_t *const *outs,
		       const size_t *outcaps, size_t *lens, struct ans_outcome *ocs)
{
	while (n > 0) {
		size_t k = n < ANS_BURST_MAX ? n : ANS_BURST_MAX;
		burst(root, cfg, reqs, k, outs, outcaps, lens, ocs);
		reqs += k;
		outs += k;
		outcaps += k;
		lens += k;
		ocs += k;
		n -= k;
	}
}

size_t ans_respond(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct ans_req *req, uint8_t *out, size_t outcap,
		   struct ans_outcome *oc)
{
	struct ans_outcome unused;
	size_t len;
	burst(root, cfg, req, 1, &out, &outcap, &len, oc ? oc : &unused);
	return len;
}
