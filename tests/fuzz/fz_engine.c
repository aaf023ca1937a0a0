/*
 * fz_engine.c - the fixed state, settings, input reader, query writer
 * and strict message parser of the answer-engine fuzz targets (see
 * fz_engine.h).
 */
#include "tests/fuzz/fz_engine.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/peers.h"
#include "common/tsig.h"
#include "dataplane/cookie.h"
#include "tests/zt.h"
#include "zones/dname.h"
#include "zones/rrtype.h"

uint32_t fze_clock = FZE_CLOCK_BASE;

/* The wrapped clocks (-Wl,--wrap=ck_now,--wrap=time). */
uint32_t __wrap_ck_now(void);
time_t __wrap_time(time_t *t);
int LLVMFuzzerInitialize(int *argc, char ***argv);

uint32_t __wrap_ck_now(void)
{
	return fze_clock;
}

time_t __wrap_time(time_t *t)
{
	if (t)
		*t = fze_clock;
	return fze_clock;
}

static struct {
	struct zt_serve sv;
	struct zidx *root;
	struct ck_keys keys;
	struct ck_ctx *ck;
	struct peers *peers;
	struct wstats st;
} g;

static const char nsid[] = "fuzz-ns";

/* The transfer peers: a key, example.com. as a secondary of 198.18.0.53
 * (unsigned NOTIFYs), example.org. of 2001:db8::53 with the key. */
static struct peers *make_peers(void)
{
	static const char secret[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
	struct tsig_key key;
	struct cfg_remote pa, pb;
	char err[256];
	if (tsig_key_make(&key, "fuzz-key.", "hmac-sha256", secret, err, sizeof err) != 0 ||
	    cfg_parse_remote(&pa, "198.18.0.53", err, sizeof err) != 0 ||
	    cfg_parse_remote(&pb, "2001:db8::53", err, sizeof err) != 0) {
		fprintf(stderr, "fz_engine: %s\n", err);
		abort();
	}
	struct peers_zone_in z[2] = {
		{ .name = "example.com.", .key = -1, .primaries = &pa, .nprimaries = 1 },
		{ .name = "example.org.", .key = 0, .primaries = &pb, .nprimaries = 1 },
	};
	int fd = memfd_create("fuzz-peers", 0);
	long len = fd < 0 ? -1 : peers_encode(fd, &key, 1, z, 2, err, sizeof err);
	uint8_t *buf = len > 0 ? malloc((size_t)len) : NULL;
	if (!buf || pread(fd, buf, (size_t)len, 0) != len) {
		fprintf(stderr, "fz_engine: peers: %s\n", len < 0 ? err : "read");
		abort();
	}
	close(fd);
	struct peers *pr = peers_decode(buf, (size_t)len, err, sizeof err);
	free(buf);
	if (!pr) {
		fprintf(stderr, "fz_engine: peers: %s\n", err);
		abort();
	}
	return pr;
}

/* Every target of the engine starts from the same state. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fze_init();
	return 0;
}

void fze_init(void)
{
	static const char *const more[][2] = {
		{ "example.info.", "nsec3-optout.zone" },
		{ "wildcut.example.", "wildcut.zone" },
	};
	char err[16384], path[4096];
	const char *src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	if (g.root)
		return;
	int rc = zt_serve_answer_zones(&g.sv, src, err, sizeof err);
	for (size_t i = 0; rc == 0 && i < sizeof more / sizeof more[0]; i++) {
		snprintf(path, sizeof path, "%s/tests/data/answer/%s", src, more[i][1]);
		rc = zt_serve_add(&g.sv, more[i][0], NULL, path, err, sizeof err);
	}
	if (rc != 0) {
		fprintf(stderr, "fz_engine: the test zones (set SRCDIR to the source tree): %s\n",
			err);
		abort();
	}
	g.root = zidx_new(g.sv.snaps, g.sv.n);
	memset(g.keys.cur, 0x5a, sizeof g.keys.cur);
	memset(g.keys.prev, 0xa5, sizeof g.keys.prev);
	g.keys.has_prev = true;
	g.ck = ck_new(&g.keys, err, sizeof err);
	if (!g.root || !g.ck) {
		fprintf(stderr, "fz_engine: %s\n", g.ck ? "out of memory" : err);
		abort();
	}
	g.peers = make_peers();
}

const struct zidx *fze_root(void)
{
	return g.root;
}

void fze_cfg(uint8_t flags, struct ans_cfg *out)
{
	static const uint16_t udp[4] = { 1232, 512, 4096, 1400 };
	*out = (struct ans_cfg){
		.max_udp = udp[(flags >> FZE_C_UDP_SHIFT) & 3],
		.identity = "fuzz-id",
		.version = "fuzz-version",
		.peers = &g.peers,
		.general_only = (flags & FZE_C_GENERAL) != 0,
	};
	if (flags & FZE_C_NSID) {
		out->nsid = nsid;
		out->nsid_len = (uint16_t)strlen(nsid);
	}
	if (flags & FZE_C_COOKIE) {
		out->cookie_keys = &g.keys;
		out->cookie = g.ck;
		out->cookie_require = (flags & FZE_C_COOKIE_REQ) != 0;
	}
}

void fze_rrl_begin(uint8_t b, struct rrl_worker *w)
{
	struct rrl_conf c = { .rate = 1u + (b & 7), .slip = (b >> 3) & 3, .v4_prefix = 24,
			      .v6_prefix = 56, .table_size = 64, .log_only = (b & 0x80) != 0,
			      .seed = 0x0123456789abcdefULL };
	char err[256];
	w->limited = 0;
	w->r = rrl_new(&c, err, sizeof err);
	if (!w->r) {
		fprintf(stderr, "fz_engine: rrl: %s\n", err);
		abort();
	}
}

void fze_rrl_end(struct rrl_worker *w)
{
	rrl_free(w->r);
	w->r = NULL;
}

struct wstats *fze_wstats(void)
{
	memset(&g.st, 0, sizeof g.st);
	return &g.st;
}

void fze_valid_cookies(uint8_t *q, size_t len, const uint8_t *ip, size_t iplen, int32_t age)
{
	static const uint8_t pat[4] = { 0, EDNS_OPT_COOKIE, 0, CK_RESP_LEN };
	if (!iplen)
		return;
	for (size_t i = 0; i + 4 + CK_RESP_LEN <= len; i++)
		if (!memcmp(q + i, pat, 4))
			ck_make(g.ck, q + i + 4, ip, iplen, fze_clock - (uint32_t)age,
				q + i + 4 + CK_CLIENT_LEN);
}

uint8_t fze_u8(struct fze_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

bool fze_msg(struct fze_in *in, const uint8_t **m, size_t *len)
{
	if (in->n < 2)
		return false;
	size_t l = (size_t)in->p[0] << 8 | in->p[1];
	in->p += 2;
	in->n -= 2;
	if (l > in->n)
		l = in->n;
	*m = in->p;
	*len = l;
	in->p += l;
	in->n -= l;
	return true;
}

void fze_peer(unsigned k, struct fze_peer *s, struct ans_req *req, uint8_t ip[16], size_t *iplen)
{
	static const uint8_t addrs[4][16] = {
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 53 },	/* the primary */
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 },
	};
	static const uint8_t kinds[4] = { ANS_PEER_IP4, ANS_PEER_IP16, ANS_PEER_SOCKADDR,
					  ANS_PEER_NONE };
	const uint8_t *a = addrs[k & 3];
	bool v4 = (k & 3) < 2;
	uint8_t kind = kinds[k >> 2 & 3];
	memset(s, 0, sizeof *s);
	req->peer_port = 40000;
	req->local_port = 53;
	*iplen = 0;
	if (kind == ANS_PEER_IP4 && !v4)
		kind = ANS_PEER_IP16;
	switch (kind) {
	case ANS_PEER_IP4:
		memcpy(s->raw, a + 12, 4);
		req->peer_kind = ANS_PEER_IP4;
		req->peer = s->raw;
		break;
	case ANS_PEER_IP16:	/* IPv4 v4-mapped */
		memcpy(s->raw, a, 16);
		req->peer_kind = ANS_PEER_IP16;
		req->peer = s->raw;
		break;
	case ANS_PEER_SOCKADDR: {
		_Static_assert(sizeof s->ss >= sizeof(struct sockaddr_storage), "sockaddr room");
		struct sockaddr_storage *ss = (struct sockaddr_storage *)(void *)s->ss;
		if (v4) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;
			sin->sin_family = AF_INET;
			sin->sin_port = htons(40000);
			memcpy(&sin->sin_addr, a + 12, 4);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(40000);
			memcpy(&sin6->sin6_addr, a, 16);
		}
		req->peer_kind = ANS_PEER_SOCKADDR;
		req->peer = ss;
		break;
	}
	default:
		req->peer_kind = ANS_PEER_NONE;
		req->peer = NULL;
		return;
	}
	/* the engine hands the cookie maker IPv4 as 4 bytes */
	*iplen = v4 ? 4 : 16;
	memcpy(ip, v4 ? a + 12 : a, *iplen);
}

size_t fze_query(uint8_t *buf, const uint8_t *name, uint16_t type, bool edns, bool do_bit)
{
	static const uint8_t head[12] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t nl = dname_len(name), n = 12;
	memcpy(buf, head, 12);
	buf[11] = edns;
	memcpy(buf + n, name, nl);
	n += nl;
	uint8_t tail[4] = { (uint8_t)(type >> 8), (uint8_t)type, 0, RR_CLASS_IN };
	memcpy(buf + n, tail, 4);
	n += 4;
	if (edns) {
		uint8_t opt[11] = { 0, 0, RR_OPT, 0x04, 0xd0, 0, 0, do_bit ? 0x80 : 0, 0, 0, 0 };
		memcpy(buf + n, opt, 11);
		n += 11;
	}
	return n;
}

/* ---- the strict parser ---- */

/*
 * The name at msg[*off..end) (end: where the field holding it ends; a
 * pointer may lead anywhere before it in msg), uncompressed into out
 * (case kept) when out is not NULL; *off moves past it.  Pointers only
 * where comp allows, each to bytes strictly before itself (so no loop).
 */
static const char *name_at(const uint8_t *msg, size_t *off, size_t end, bool comp,
			   uint8_t *out, uint16_t *outlen)
{
	size_t p = *off, total = 0;
	bool jumped = false;
	for (;;) {
		if (p >= end)
			return "name past its field";
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (!comp)
				return "compression pointer where none is allowed";
			if (p + 2 > end)
				return "pointer past its field";
			size_t to = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			if (to >= p)
				return "pointer not backwards";
			if (!jumped)
				*off = p + 2;
			jumped = true;
			end = p;	/* the name pointed at lies before the pointer */
			p = to;
			continue;
		}
		if (l & 0xc0)
			return "unknown label type";
		if (p + 1 + l > end)
			return "label past its field";
		if (total + 1 + l > 255)
			return "name longer than 255";
		if (out)
			memcpy(out + total, msg + p, 1u + l);
		total += 1u + l;
		p += 1u + l;
		if (l == 0)
			break;
	}
	if (!jumped)
		*off = p;
	if (outlen)
		*outlen = (uint16_t)total;
	return NULL;
}

/* RFC 4034 §4.1.2: type bitmap windows in ascending order, 1 to 32
 * octets each, exactly filling [p, end). */
static const char *bitmaps(const uint8_t *msg, size_t p, size_t end)
{
	int last = -1;
	while (p < end) {
		if (p + 2 > end || msg[p + 1] < 1 || msg[p + 1] > 32 || (int)msg[p] <= last ||
		    p + 2 + msg[p + 1] > end)
			return "bad type bitmap";
		last = msg[p];
		p += 2u + msg[p + 1];
	}
	return NULL;
}

static const char *opt_rdata(const uint8_t *msg, size_t p, size_t end)
{
	while (p < end) {
		if (p + 4 > end || p + 4 + fze_rd16(msg + p + 2) > end)
			return "OPT option past the RDATA";
		p += 4u + fze_rd16(msg + p + 2);
	}
	return NULL;
}

/* The RDATA of the types whose layout is known. */
static const char *rdata(const uint8_t *msg, size_t p, size_t end, uint16_t type)
{
	const char *why = NULL;
	size_t fixed = 0;
	switch (type) {
	case RR_A:
		return end - p == 4 ? NULL : "A RDATA not 4 octets";
	case RR_AAAA:
		return end - p == 16 ? NULL : "AAAA RDATA not 16 octets";
	case RR_NS:
	case RR_CNAME:
	case RR_PTR:
		why = name_at(msg, &p, end, true, NULL, NULL);
		break;
	case RR_MX:
		p += 2;
		why = p > end ? "MX short" : name_at(msg, &p, end, true, NULL, NULL);
		break;
	case RR_SOA:
		why = name_at(msg, &p, end, true, NULL, NULL);
		if (!why)
			why = name_at(msg, &p, end, true, NULL, NULL);
		fixed = 20;
		break;
	case RR_DNAME:
		why = name_at(msg, &p, end, false, NULL, NULL);
		break;
	case RR_SRV:
		p += 6;
		why = p > end ? "SRV short" : name_at(msg, &p, end, false, NULL, NULL);
		break;
	case RR_RRSIG:
		p += 18;
		why = p > end ? "RRSIG short" : name_at(msg, &p, end, false, NULL, NULL);
		return why;	/* the signature takes the rest */
	case RR_NSEC:
		why = name_at(msg, &p, end, false, NULL, NULL);
		return why ? why : bitmaps(msg, p, end);
	case RR_NSEC3:
		if (end - p < 5 || p + 5 + msg[p + 4] >= end ||
		    p + 6 + msg[p + 4] + msg[p + 5 + msg[p + 4]] > end)
			return "NSEC3 short";
		p += 5u + msg[p + 4];
		p += 1u + msg[p];
		return bitmaps(msg, p, end);
	case RR_OPT:
		return opt_rdata(msg, p, end);
	default:
		return NULL;
	}
	if (why)
		return why;
	return end - p == fixed ? NULL : "RDATA length does not match its fields";
}

static const char *one_rr(const uint8_t *msg, size_t len, size_t *off, uint8_t sect,
			  struct fze_msg *m)
{
	uint8_t owner[255];
	uint16_t ol;
	const char *why = name_at(msg, off, len, true, owner, &ol);
	if (why)
		return why;
	if (len - *off < 10)
		return "record header past the end";
	if (m->nrr == FZE_RR_MAX)
		return "too many records for the checker";
	struct fze_rr *r = &m->rr[m->nrr];
	const uint8_t *h = msg + *off;
	*r = (struct fze_rr){ .type = fze_rd16(h), .cls = fze_rd16(h + 2),
			      .ttl = (uint32_t)fze_rd16(h + 4) << 16 | fze_rd16(h + 6),
			      .rdoff = (uint16_t)(*off + 10), .rdlen = fze_rd16(h + 8), .sect = sect };
	*off += 10;
	if (r->rdlen > len - *off)
		return "RDATA past the end";
	why = rdata(msg, *off, *off + r->rdlen, r->type);
	if (why)
		return why;
	*off += r->rdlen;
	if (r->type == RR_OPT) {
		if (sect != 3 || ol != 1)
			return "OPT outside the additional section or not owned by the root";
		if (m->nopt++ == 0)
			m->opt = (int)m->nrr;
	}
	if (m->tsig >= 0)
		return "a record after the TSIG";
	if (r->type == RR_TSIG) {
		if (sect != 3)
			return "TSIG outside the additional section";
		m->tsig = (int)m->nrr;
	}
	m->nrr++;
	return NULL;
}

const char *fze_parse(const uint8_t *msg, size_t len, struct fze_msg *m)
{
	m->nrr = 0;
	m->opt = m->tsig = -1;
	m->nopt = 0;
	m->qname_len = 0;
	m->qend = 12;
	if (len < 12)
		return "shorter than a header";
	m->id = fze_rd16(msg);
	m->flags = fze_rd16(msg + 2);
	for (int s = 0; s < 4; s++)
		m->count[s] = fze_rd16(msg + 4 + 2 * s);
	size_t off = 12;
	for (unsigned i = 0; i < m->count[0]; i++) {
		uint8_t name[255];
		uint16_t nl;
		const char *why = name_at(msg, &off, len, true, name, &nl);
		if (why)
			return why;
		if (len - off < 4)
			return "question past the end";
		if (i == 0) {
			memcpy(m->qname, name, nl);
			m->qname_len = nl;
			m->qtype = fze_rd16(msg + off);
			m->qclass = fze_rd16(msg + off + 2);
			m->qend = off + 4;
		}
		off += 4;
	}
	for (uint8_t s = 1; s < 4; s++)
		for (unsigned i = 0; i < m->count[s]; i++) {
			const char *why = one_rr(msg, len, &off, s, m);
			if (why)
				return why;
		}
	return off == len ? NULL : "bytes after the last record";
}
