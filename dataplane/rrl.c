/*
 * rrl.c - Response Rate Limiting (rrl.h): the shared table of token
 * buckets, the classification of a response, the slip, and the log line
 * the main thread writes about them.
 */
#include "dataplane/rrl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "common/log.h"
#include "dataplane/stats.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/rwrite.h"

/* A bucket word: tag (16 bits, never 0 in use) | stamp (20 bits, ms) |
 * credit (28 bits: thousandths of a token).  0: empty. */
#define STAMP_BITS 20
#define CREDIT_BITS 28
#define STAMP_MASK ((1u << STAMP_BITS) - 1)
#define CREDIT_MASK ((1u << CREDIT_BITS) - 1)
#define TOKEN 1000u		/* credit of one response */
#define AHEAD_MS 1000		/* a stamp this far ahead of a worker's clock is
				   another worker's newer reading, not an old one */
#define CAS_TRIES 64		/* then it counts as limited: a key this contended is a flood */

/* The sample the log line names: the logger asks (WANTED), one limiting
 * worker claims it (BUSY), writes it, and publishes it (READY). */
enum { SAMPLE_IDLE, SAMPLE_WANTED, SAMPLE_BUSY, SAMPLE_READY };

struct rrl {
	uint64_t *b;		/* [nsets * RRL_SET], 64-byte aligned */
	uint64_t set_mask;
	uint64_t seed;
	/* per class: credit refilled per ms (rate * TOKEN / 1000), and
	 * rate * TOKEN, one second's burst; rate 0: the class is not limited */
	uint32_t rate[RRL_CLASS_COUNT];
	uint32_t cap[RRL_CLASS_COUNT];
	unsigned slip;
	uint8_t mask[2][16];	/* [v4, v6] prefix masks of a 16-byte address */
	bool log_only;
	struct cfg_prefix *allow;
	size_t nallow;
	/* the log line's */
	int sample_state;
	uint8_t sample_addr[16];
	uint8_t sample_cls;
	uint64_t last_log_ms, logged;	/* when, and the counts then */
};

static void mask_make(uint8_t m[16], unsigned bits)
{
	memset(m, 0, 16);
	for (unsigned i = 0; i < 16 && bits; i++) {
		unsigned b = bits < 8 ? bits : 8;
		m[i] = (uint8_t)(0xff00u >> b);
		bits -= b;
	}
}

static bool is_v4(const uint8_t a[16])
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a, pre, 12) == 0;
}

struct rrl *rrl_new(const struct rrl_conf *c, char *err, size_t errcap)
{
	bool bad_class = false;
	for (int i = 0; i < RRL_CLASS_COUNT; i++)
		bad_class |= c->class_rate[i] > RRL_RATE_MAX && c->class_rate[i] != RRL_UNLIMITED;
	if (c->rate < 1 || c->rate > RRL_RATE_MAX || c->slip > RRL_SLIP_MAX || bad_class ||
	    c->v4_prefix < 1 || c->v4_prefix > 32 || c->v6_prefix < 1 || c->v6_prefix > 128) {
		snprintf(err, errcap, "rate-limit: responses-per-second must be 1..%u (a class's "
			 "rate 0..%u), slip 0..%u, ipv4-prefix 1..32, ipv6-prefix 1..128",
			 RRL_RATE_MAX, RRL_RATE_MAX, RRL_SLIP_MAX);
		return NULL;
	}
	size_t n = RRL_SET;
	while (n < c->table_size && n < ((size_t)1 << 32))
		n <<= 1;
	struct rrl *r = calloc(1, sizeof *r);
	if (!r || !(r->b = aligned_alloc(64, n * sizeof *r->b)) ||
	    (c->nallow && !(r->allow = malloc(c->nallow * sizeof *r->allow)))) {
		snprintf(err, errcap, "rate-limit: out of memory for %zu buckets", n);
		rrl_free(r);
		return NULL;
	}
	memset(r->b, 0, n * sizeof *r->b);
	if (c->nallow)
		memcpy(r->allow, c->allow, c->nallow * sizeof *r->allow);
	r->nallow = c->nallow;
	r->set_mask = n / RRL_SET - 1;
	r->seed = c->seed;
	if (!r->seed && getrandom(&r->seed, sizeof r->seed, GRND_NONBLOCK) != sizeof r->seed)
		r->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < RRL_CLASS_COUNT; i++) {
		unsigned cr = c->class_rate[i];
		r->rate[i] = cr == RRL_UNLIMITED ? 0 : cr ? cr : c->rate;
		r->cap[i] = r->rate[i] * TOKEN;
	}
	r->slip = c->slip;
	r->log_only = c->log_only;
	r->sample_state = SAMPLE_WANTED;
	mask_make(r->mask[0], 96 + c->v4_prefix);
	mask_make(r->mask[1], c->v6_prefix);
	return r;
}

void rrl_free(struct rrl *r)
{
	if (!r)
		return;
	free(r->b);
	free(r->allow);
	free(r);
}

/* ---- the bucket ---------------------------------------------------------- */

#define K1 0x9e3779b97f4a7c15ULL	/* 2^64 / golden ratio */
#define K2 0xd6e8feb86659fd93ULL
#define ONES 0x0101010101010101ULL

/* One more word of a key into the hash: a multiply, the high half fed
 * back. */
static inline uint64_t fold(uint64_t h, uint64_t w)
{
	h = (h ^ w) * K1;
	return h ^ h >> 32;
}

/* The 8 bytes of w with ASCII capitals made small, all at once: a byte
 * below 0x80 gets its top bit from b + 0x3f when b >= 'A' and from
 * b + 0x25 when b > 'Z'; neither sum carries into the next byte. */
static inline uint64_t lower8(uint64_t w)
{
	uint64_t low7 = w & 0x7f * ONES;
	uint64_t upper = ((low7 + 0x3f * ONES) ^ (low7 + 0x25 * ONES)) & ~w & 0x80 * ONES;
	return w | upper >> 2;
}

/* The hash of k's bucket (seeded, so sources cannot aim at collisions):
 * class and type, the masked address, the name lowercased a word at a
 * time (length octets stay: they are below 'A'). */
static uint64_t key_of(const struct rrl *r, const struct rrl_key *k)
{
	uint64_t a[2], m[2];
	memcpy(a, k->addr, 16);
	memcpy(m, r->mask[is_v4(k->addr) ? 0 : 1], 16);
	uint64_t h = fold(r->seed, (uint64_t)k->wild_zone << 32 | (uint64_t)k->cls << 16 |
					   (k->cls == RRL_ANSWER ? k->qtype : 0));
	h = fold(fold(h, a[0] & m[0]), a[1] & m[1]);
	if (k->cls != RRL_ERROR && k->name && !k->wild_zone) {
		size_t n = 0;
		while (n < DNAME_MAX && k->name[n])
			n += 1u + k->name[n];
		n = n < DNAME_MAX ? n : DNAME_MAX - 1;
		size_t i = 0;
		uint64_t w;
		for (; i + 8 <= n; i += 8) {
			memcpy(&w, k->name + i, 8);
			h = fold(h, lower8(w));
		}
		w = 0;
		memcpy(&w, k->name + i, n - i);
		h = fold(h, lower8(w) ^ n);
	}
	h *= K2;
	h ^= h >> 29;
	h *= K1;
	return h ^ h >> 32;
}

static inline uint64_t word(uint64_t tag, uint64_t stamp, uint64_t credit)
{
	return tag << (STAMP_BITS + CREDIT_BITS) | (stamp & STAMP_MASK) << CREDIT_BITS | credit;
}

/* Milliseconds from bucket v's last update to now.  Workers read the
 * clock once per burst, so another may have stamped the bucket a little
 * ahead of now: up to AHEAD_MS ahead counts as now (so a bucket left
 * alone for just under a multiple of 2^20 ms waits at most that long for
 * its refill). */
static inline uint32_t age_of(uint64_t v, uint32_t now)
{
	uint32_t d = (now - (uint32_t)(v >> CREDIT_BITS)) & STAMP_MASK;
	return d > STAMP_MASK - AHEAD_MS ? 0 : d;
}

/* The credit of bucket v at now (the refill since its last update,
 * capped at one second's worth). */
static inline uint64_t credit_at(const struct rrl *r, uint64_t v, uint32_t now,
				 enum rrl_class cls)
{
	uint64_t c = (v & CREDIT_MASK) + (uint64_t)age_of(v, now) * r->rate[cls];
	return c < r->cap[cls] ? c : r->cap[cls];
}

/* Spends a token of the bucket (tag) in set s: true when it had none. */
static bool bucket_spend(struct rrl *r, uint64_t *s, uint64_t tag, uint32_t now,
			 enum rrl_class cls)
{
	for (int t = 0; t < CAS_TRIES; t++) {
		int hit = -1, old = 0;
		uint64_t v[RRL_SET], oldest = 0;
		for (int i = 0; i < RRL_SET; i++) {
			v[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
			if (v[i] >> (STAMP_BITS + CREDIT_BITS) == tag) {
				hit = i;
				break;
			}
			/* the least recently used bucket, an empty one first */
			uint64_t age = v[i] ? age_of(v[i], now) : STAMP_MASK + 1u;
			if (age > oldest) {
				oldest = age;
				old = i;
			}
		}
		uint64_t c = hit >= 0 ? credit_at(r, v[hit], now, cls) : r->cap[cls];
		bool limited = c < TOKEN;
		int i = hit >= 0 ? hit : old;
		/* a stamp ahead of now stays: its refill was counted */
		bool ahead = hit >= 0 && !age_of(v[hit], now);
		uint32_t stamp = ahead ? (uint32_t)(v[hit] >> CREDIT_BITS) : now;
		uint64_t nv = word(tag, stamp, limited ? c : c - TOKEN);
		/* a flood's limited responses leave the line shared when they
		 * change nothing */
		if (nv == v[i] ||
		    __atomic_compare_exchange_n(&s[i], &v[i], nv, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return limited;
	}
	return true;
}

static bool allowed(const struct rrl *r, const uint8_t a[16])
{
	for (size_t i = 0; i < r->nallow; i++)
		if (cfg_prefix_match(&r->allow[i], a))
			return true;
	return false;
}

/* Keeps the prefix and class of a limited response for the log line when
 * the logger asked for one. */
static void sample(struct rrl *r, const uint8_t addr[16], enum rrl_class cls)
{
	int want = SAMPLE_WANTED;
	if (__atomic_load_n(&r->sample_state, __ATOMIC_RELAXED) != SAMPLE_WANTED ||
	    !__atomic_compare_exchange_n(&r->sample_state, &want, SAMPLE_BUSY, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	const uint8_t *m = r->mask[is_v4(addr) ? 0 : 1];
	for (int i = 0; i < 16; i++)
		r->sample_addr[i] = addr[i] & m[i];
	r->sample_cls = (uint8_t)cls;
	__atomic_store_n(&r->sample_state, SAMPLE_READY, __ATOMIC_RELEASE);
}

static inline uint64_t *set_of(const struct rrl *r, uint64_t h)
{
	return r->b + (h & r->set_mask) * RRL_SET;
}

/* Spends a token of bucket h (the client addr, class cls) at now_ms. */
static enum rrl_action decide(struct rrl_worker *w, uint64_t h, const uint8_t addr[16],
			      enum rrl_class cls, uint64_t now_ms)
{
	struct rrl *r = w->r;
	if (!bucket_spend(r, set_of(r, h), (h >> 48) | 1, (uint32_t)now_ms & STAMP_MASK, cls))
		return RRL_PASS;
	/* the allow-list is read only for responses over the rate: the
	 * common case pays nothing for it */
	if (allowed(r, addr))
		return RRL_PASS;
	sample(r, addr, cls);
	if (r->log_only)
		return RRL_WOULD;
	w->limited++;
	return r->slip && w->limited % r->slip == 0 ? RRL_SLIP : RRL_DROP;
}

enum rrl_action rrl_check(struct rrl_worker *w, const struct rrl_key *k, uint64_t now_ms)
{
	if (k->cookie || !w->r->rate[k->cls])
		return RRL_PASS;
	return decide(w, key_of(w->r, k), k->addr, k->cls, now_ms);
}

/* ---- the response -------------------------------------------------------- */

static inline unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The offset past the (perhaps compressed) name at p; 0 when it does not
 * fit in len. */
static size_t skip_name(const uint8_t *m, size_t len, size_t p)
{
	while (p < len) {
		if (m[p] == 0)
			return p + 1;
		if ((m[p] & 0xc0) == 0xc0)
			return p + 2 <= len ? p + 2 : 0;
		if (m[p] & 0xc0)
			return 0;
		p += 1u + m[p];
	}
	return 0;
}

/* The offset past n RRs from p; 0 when they do not fit.  With opt, the
 * offset of the first OPT RR met goes there. */
static size_t skip_rrs(const uint8_t *m, size_t len, size_t p, unsigned n, size_t *opt)
{
	for (unsigned i = 0; i < n; i++) {
		size_t at = p;
		p = skip_name(m, len, p);
		if (!p || p + 10 > len)
			return 0;
		if (opt && !*opt && get16(m + p) == RR_OPT)
			*opt = at;
		p += 10u + get16(m + p + 8);
		if (p > len)
			return 0;
	}
	return p;
}

/* The name at p of m, decompressed into out (DNAME_MAX); false when it
 * is malformed.  Pointers are followed a bounded number of times. */
static bool read_name(const uint8_t *m, size_t len, size_t p, uint8_t *out)
{
	size_t n = 0;
	for (int hops = 0; p < len && hops < 64;) {
		unsigned l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return false;
			p = (l & 0x3fu) << 8 | m[p + 1];
			hops++;
			continue;
		}
		if ((l & 0xc0) || p + 1 + l > len || n + 1 + l > DNAME_MAX)
			return false;
		memcpy(out + n, m + p, 1 + l);
		n += 1 + l;
		if (!l)
			return true;
		p += 1 + l;
	}
	return false;
}

/* The name at p of m where it lies in one piece (the usual case: the
 * question name, or a pointer to a suffix of it), else decompressed into
 * buf; NULL when it is malformed. */
static const uint8_t *name_at(const uint8_t *m, size_t len, size_t p, uint8_t *buf)
{
	for (int hops = 0; p + 1 < len && (m[p] & 0xc0) == 0xc0; hops++) {
		if (hops == 64)
			return NULL;
		p = (m[p] & 0x3fu) << 8 | m[p + 1];
	}
	for (size_t q = p; q < len && q - p < DNAME_MAX; q += 1u + m[q]) {
		if (!m[q])
			return m + p;
		if (m[q] & 0xc0)
			return read_name(m, len, p, buf) ? buf : NULL;
	}
	return NULL;
}

enum rrl_class rrl_classify(const uint8_t *msg, size_t len, unsigned rcode, size_t *name_at)
{
	*name_at = 0;
	if (len < RW_HDR)
		return RRL_ERROR;
	unsigned qd = get16(msg + 4), an = get16(msg + 6), ns = get16(msg + 8);
	bool aa = msg[2] & 0x04;
	enum rrl_class cls = rcode == 3			 ? RRL_NXDOMAIN
			     : rcode != 0		 ? RRL_ERROR
			     : an			 ? RRL_ANSWER
			     : aa			 ? RRL_NODATA
							 : RRL_REFERRAL;
	if (cls == RRL_ERROR || !qd)
		return cls;
	size_t q = RW_HDR;
	*name_at = q;
	if (cls == RRL_ANSWER || !ns)
		return cls;
	/* BIND's "domain": the owner of the first authority record, the
	 * zone's SOA for NXDOMAIN and NODATA (RFC 2308 §3), the delegation's
	 * NS RRset for a referral; past a CNAME chain's answers */
	size_t p = skip_name(msg, len, q);
	p = p && p + 4 <= len ? skip_rrs(msg, len, p + 4, an, NULL) : 0;
	if (p)
		*name_at = p;
	return cls;
}

/* The Extended DNS Error of a slipped response (RFC 8914 §4): no code
 * says "rate limited", so Other (0) with the text, for the operator
 * reading a client's capture. */
static const char slip_ede_text[] = "rate limited";
#define SLIP_EDE_LEN (4 + 2 + sizeof slip_ede_text - 1)

/* Appends the slip's EDE option to the OPT RR at msg[opt..n) (the last
 * record); returns the new length. */
static size_t add_slip_ede(uint8_t *msg, size_t opt, size_t n)
{
	uint8_t *o = msg + n;
	size_t tl = sizeof slip_ede_text - 1;
	o[0] = 0;
	o[1] = 15;		/* OPTION-CODE: EDE */
	o[2] = (uint8_t)((2 + tl) >> 8);
	o[3] = (uint8_t)(2 + tl);
	o[4] = o[5] = 0;	/* INFO-CODE 0: Other */
	memcpy(o + 6, slip_ede_text, tl);
	unsigned rdlen = get16(msg + opt + 9) + (unsigned)SLIP_EDE_LEN;
	msg[opt + 9] = (uint8_t)(rdlen >> 8);
	msg[opt + 10] = (uint8_t)rdlen;
	return n + SLIP_EDE_LEN;
}

size_t rrl_truncate(uint8_t *msg, size_t len)
{
	if (len < RW_HDR)
		return len;
	/* a response has one question, or none when the query's was bad */
	unsigned qd = get16(msg + 4);
	size_t p = qd == 1 ? skip_name(msg, len, RW_HDR) : 0, opt = 0;
	bool q1 = p && p + 4 <= len;
	p = q1 ? p + 4 : RW_HDR;
	/* the records are looked at (for OPT) only where they start known */
	unsigned rrs = get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
	size_t end = q1 || !qd ? skip_rrs(msg, len, p, rrs, &opt) : 0;
	size_t n = p;
	if (opt && end) {
		/* RFC 6891 §7: a response to an EDNS query carries OPT (with
		 * the extended RCODE and the options written for it) */
		size_t olen = skip_rrs(msg, len, opt, 1, NULL) - opt;
		memmove(msg + n, msg + opt, olen);
		n += olen;
		/* the EDE where the cut left room (or within the 512 bytes
		 * every response buffer has, ans_respond's outcap) */
		if (n + SLIP_EDE_LEN <= (len > 512 ? len : 512))
			n = add_slip_ede(msg, n - olen, n);
	}
	msg[2] |= 0x02;		/* TC */
	msg[4] = 0;
	msg[5] = q1;
	memset(msg + 6, 0, 6);
	msg[11] = opt && end ? 1 : 0;
	return n;
}

/* The source of req as 16 bytes (IPv4 v4-mapped); false when unknown. */
static bool peer16(const struct ans_req *req, uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (req->peer_kind == ANS_PEER_IP16) {
		memcpy(a, req->peer, 16);
		return true;
	}
	if (req->peer_kind == ANS_PEER_IP4) {
		memcpy(a, mapped, 12);
		memcpy(a + 12, req->peer, 4);
		return true;
	}
	if (req->peer_kind != ANS_PEER_SOCKADDR)
		return false;
	const struct sockaddr_storage *ss = req->peer;
	if (ss->ss_family == AF_INET) {
		memcpy(a, mapped, 12);
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
		return true;
	}
	return false;
}

/* A response whose bucket is known and prefetched, to be decided. */
struct pend {
	uint64_t h;
	uint8_t addr[16];
	enum rrl_class cls;
};

/* The bucket of the response out[0..len) to req (its set prefetched);
 * false when the response is not limited at all. */
static bool pend_make(const struct rrl *r, const struct ans_req *req, const uint8_t *out,
		      size_t len, const struct ans_outcome *oc, struct pend *p)
{
	uint8_t name[DNAME_MAX];
	/* an answered NOTIFY comes from a primary we know */
	if (!len || req->tcp || oc->notify || oc->cookie_ok || !peer16(req, p->addr))
		return false;
	size_t at;
	struct rrl_key k = { .addr = p->addr, .qtype = oc->qtype };
	k.cls = rrl_classify(out, len, oc->rcode, &at);
	if (!r->rate[k.cls])
		return false;
	k.wild_zone = oc->wild && k.cls == RRL_ANSWER ? oc->zslot + 1 : 0;
	k.name = at && !k.wild_zone ? name_at(out, len, at, name) : NULL;
	p->cls = k.cls;
	p->h = key_of(r, &k);
	__builtin_prefetch(set_of(r, p->h), 1);
	return true;
}

/* Carries out a on the response out[0..*len), counted in st. */
static void act(enum rrl_action a, uint8_t *out, size_t *len, struct ans_outcome *oc,
		struct wstats *st)
{
	switch (a) {
	case RRL_PASS:
		break;
	case RRL_WOULD:
		ST_INC(st->rrl_would);
		break;
	case RRL_SLIP:
		ST_INC(st->rrl_slipped);
		*len = rrl_truncate(out, *len);
		oc->tc = true;
		break;
	case RRL_DROP:
		ST_INC(st->rrl_dropped);
		*len = 0;
		oc->dropped = true;
		break;
	}
}

enum rrl_action rrl_response(struct rrl_worker *w, const struct ans_req *req, uint8_t *out,
			     size_t *len, struct ans_outcome *oc, struct wstats *st,
			     uint64_t now_ms)
{
	struct pend p;
	if (!pend_make(w->r, req, out, *len, oc, &p))
		return RRL_PASS;
	enum rrl_action a = decide(w, p.h, p.addr, p.cls, now_ms);
	act(a, out, len, oc, st);
	return a;
}

void rrl_burst(struct rrl_worker *w, const struct ans_req *reqs, uint8_t *const *outs,
	       size_t *lens, struct ans_outcome *ocs, size_t n, struct wstats *st,
	       uint64_t now_ms)
{
	struct pend p[RRL_BURST];
	bool on[RRL_BURST];
	for (size_t base = 0; base < n; base += RRL_BURST) {
		size_t m = n - base < RRL_BURST ? n - base : RRL_BURST;
		for (size_t i = 0; i < m; i++)
			on[i] = pend_make(w->r, &reqs[base + i], outs[base + i], lens[base + i],
					  &ocs[base + i], &p[i]);
		for (size_t i = 0; i < m; i++)
			if (on[i])
				act(decide(w, p[i].h, p[i].addr, p[i].cls, now_ms), outs[base + i],
				    &lens[base + i], &ocs[base + i], st);
	}
}

/* ---- the log line -------------------------------------------------------- */

const char *rrl_class_str(unsigned c)
{
	static const char *const name[RRL_CLASS_COUNT] = { "answer", "nodata", "nxdomain",
							   "referral", "error" };
	return c < RRL_CLASS_COUNT ? name[c] : "?";
}

void rrl_log_tick(struct rrl *r, const struct wstats *st, size_t n, uint64_t now_ms,
		  uint64_t interval_ms)
{
	if (r->last_log_ms && now_ms - r->last_log_ms < interval_ms)
		return;
	uint64_t slipped = 0, dropped = 0, would = 0;
	for (size_t i = 0; i < n; i++) {
		slipped += __atomic_load_n(&st[i].rrl_slipped, __ATOMIC_RELAXED);
		dropped += __atomic_load_n(&st[i].rrl_dropped, __ATOMIC_RELAXED);
		would += __atomic_load_n(&st[i].rrl_would, __ATOMIC_RELAXED);
	}
	uint64_t total = slipped + dropped + would;
	int state = __atomic_load_n(&r->sample_state, __ATOMIC_ACQUIRE);
	if (state == SAMPLE_IDLE)
		__atomic_store_n(&r->sample_state, SAMPLE_WANTED, __ATOMIC_RELAXED);
	if (total == r->logged || state != SAMPLE_READY)
		return;
	char text[INET6_ADDRSTRLEN + 8];
	bool v4 = is_v4(r->sample_addr);
	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? r->sample_addr + 12 : r->sample_addr, text,
		  INET6_ADDRSTRLEN);
	unsigned bits = 0;
	for (int i = v4 ? 12 : 0; i < 16; i++)
		bits += (unsigned)__builtin_popcount(r->mask[v4 ? 0 : 1][i]);
	if (r->log_only)
		log_notice("rate-limit (log-only): %llu responses would have been limited "
			   "since the last report, e.g. to %s/%u (%s)",
			   (unsigned long long)(total - r->logged), text, bits,
			   rrl_class_str(r->sample_cls));
	else
		log_notice("rate-limit: %llu responses limited since the last report (total "
			   "%llu slipped, %llu dropped), e.g. to %s/%u (%s)",
			   (unsigned long long)(total - r->logged), (unsigned long long)slipped,
			   (unsigned long long)dropped, text, bits, rrl_class_str(r->sample_cls));
	r->logged = total;
	r->last_log_ms = now_ms;
	/* release: the sample was read above, before a worker's acquiring
	 * compare-and-swap lets it write the next one */
	__atomic_store_n(&r->sample_state, SAMPLE_WANTED, __ATOMIC_RELEASE);
}
