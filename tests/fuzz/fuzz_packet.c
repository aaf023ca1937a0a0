/*
 * fuzz_packet.c - libFuzzer target: whole Ethernet frames through the
 * DPDK fast path's L2-L4 code (dataplane/pkt.h: Ethernet, an 802.1Q tag,
 * ARP, IPv4, IPv6, UDP, ICMP echo, ICMPv6 echo and neighbour
 * solicitation) as io_dpdk.c drives it: a frame pkt_classify calls a DNS
 * query is answered in place by the answer engine over the test zones
 * (alone, or with the input's other frames in one burst), rate-limited
 * when on, and turned around by pkt_udp_reply; a frame it rewrites into
 * its reply (ARP, neighbour advertisement, echo reply) is checked.
 *
 * Invariants beyond no crash, sanitizer report or leak: every reply frame
 * lies within the buffer, comes from our MAC, and its lengths and
 * checksums are right (IPv4 header, UDP, ICMP, ICMPv6 with the
 * pseudo-header; the UDP checksum of IPv4 left to the port when offload
 * is on), computed here independently; an answered query's reply carries
 * the engine's response unchanged, from the address and port it was sent
 * to, back to the sender's.
 *
 * So that mutations reach past the checksums, the input may ask for the
 * frame's lengths and checksums to be made right before it is
 * classified.  Input: [settings: FZE_C_*] [mode] [rate limiting] then
 * the frames, each a 2-byte length and its bytes.  mode: bit 0 burst,
 * bit 1 fix the checksums, bit 2 fix the lengths, bit 3 leave IPv4's UDP
 * checksum 0, bit 4 UDP checksum offload, bits 5-6 the buffer (the
 * frame's own length, 2048 as a DPDK mbuf's, 600, 9018).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/pkt.h"
#include "tests/fuzz/fz_engine.h"

#define NF 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pkt_self self = {
	.mac = { 0x02, 0, 0, 0, 0, 0x01 },
	.v4 = { { 198, 18, 0, 1 }, { 198, 51, 100, 1 } },
	.nv4 = 2,
	.v6 = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, { 0xfe, 0x80, [15] = 1 } },
	.nv6 = 2,
	.port = 53,
};

/* The pseudo-header sum of the IPv4 or IPv6 header at ip. */
static uint32_t pseudo(const uint8_t *ip, bool v6, uint8_t proto, size_t len)
{
	return fze_sum16(0, ip + (v6 ? 8 : 12), v6 ? 32 : 8) + proto + (uint32_t)len;
}

/* Where a frame's parts are, as read here. */
struct layout {
	size_t l3, l4, l4len;
	bool v4, v6;
	uint8_t proto;
};

/* The IP header and its payload, when the frame is IPv4 or IPv6 with a
 * whole header (lengths believed, clipped to the frame). */
static bool layout_of(const uint8_t *b, size_t len, struct layout *o)
{
	*o = (struct layout){ .l3 = 14 };
	if (len < 14)
		return false;
	uint16_t type = fze_rd16(b + 12);
	if (type == 0x8100) {
		if (len < 18)
			return false;
		o->l3 = 18;
		type = fze_rd16(b + 16);
	}
	const uint8_t *ip = b + o->l3;
	size_t avail = len - o->l3;
	if (type == 0x0800 && avail >= 20 && ip[0] >> 4 == 4 && (ip[0] & 15) * 4u <= avail &&
	    (ip[0] & 15) >= 5) {
		size_t hl = (ip[0] & 15) * 4u, tot = fze_rd16(ip + 2);
		o->v4 = true;
		o->proto = ip[9];
		o->l4 = o->l3 + hl;
		o->l4len = tot >= hl && tot <= avail ? tot - hl : 0;
		return true;
	}
	if (type == 0x86dd && avail >= 40 && ip[0] >> 4 == 6) {
		size_t plen = fze_rd16(ip + 4);
		o->v6 = true;
		o->proto = ip[6];
		o->l4 = o->l3 + 40;
		o->l4len = plen <= avail - 40 ? plen : 0;
		return true;
	}
	return false;
}

/* Makes the lengths (when lengths) and checksums of a frame right, so
 * that the classifier's checks pass and the mutations reach what is
 * behind them. */
static void fix_frame(uint8_t *b, size_t len, bool lengths, bool udp4_zero)
{
	struct layout o;
	if (!layout_of(b, len, &o))
		return;
	uint8_t *ip = b + o.l3, *l4 = b + o.l4;
	if (lengths && len - o.l3 <= 65535) {
		fze_wr16(ip + (o.v4 ? 2 : 4), (unsigned)(len - o.l3 - (o.v4 ? 0 : 40)));
		layout_of(b, len, &o);
	}
	if (o.v4) {
		fze_wr16(ip + 10, 0);
		fze_wr16(ip + 10, fze_fold(fze_sum16(0, ip, o.l4 - o.l3)));
	}
	size_t n = o.l4len;
	if (o.proto == 17 && n >= 8) {
		if (lengths)
			fze_wr16(l4 + 4, (unsigned)n);
		size_t ulen = fze_rd16(l4 + 4);
		if (ulen < 8 || ulen > n)
			return;
		fze_wr16(l4 + 6, 0);
		if (o.v4 && udp4_zero)
			return;
		uint16_t c = fze_fold(fze_sum16(pseudo(ip, o.v6, 17, ulen), l4, ulen));
		fze_wr16(l4 + 6, c ? c : 0xffff);
	} else if ((o.proto == 1 && o.v4 && n >= 4) || (o.proto == 58 && o.v6 && n >= 4)) {
		fze_wr16(l4 + 2, 0);
		fze_wr16(l4 + 2, fze_fold(fze_sum16(o.v6 ? pseudo(ip, true, 58, n) : 0, l4, n)));
	}
}

static _Noreturn void bad(const char *why, const uint8_t *f, size_t n)
{
	fprintf(stderr, "reply frame: %s (%zu bytes):", why, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", f[i]);
	fprintf(stderr, "\n");
	abort();
}

/* A reply frame f[0..n) in a buffer of cap bytes: from our MAC, its IP
 * lengths and checksums right.  udp4_offload: the port completes IPv4's
 * UDP checksum. */
static void check_reply(const uint8_t *f, size_t n, size_t cap, bool udp4_offload)
{
	struct layout o;
	if (n > cap || n < 14)
		bad("length outside the buffer", f, n < cap ? n : cap);
	if (memcmp(f + 6, self.mac, 6))
		bad("not from our MAC", f, n);
	if (!layout_of(f, n, &o)) {
		uint16_t t = fze_rd16(f + (fze_rd16(f + 12) == 0x8100 ? 16 : 12));
		if (t == 0x0806 && n >= 14 + 28 && fze_rd16(f + n - 28 + 6) == 2)
			return;	/* an ARP reply */
		bad("neither ARP nor IP", f, n);
	}
	const uint8_t *ip = f + o.l3, *l4 = f + o.l4;
	if (o.l4 + o.l4len != n)
		bad("IP length is not the frame's", f, n);
	if (o.v4 && fze_fold(fze_sum16(0, ip, o.l4 - o.l3)))
		bad("IPv4 header checksum", f, n);
	bool skip = o.proto == 17 && o.v4 && udp4_offload;
	uint32_t ps = o.v6 || o.proto == 17 ? pseudo(ip, o.v6, o.proto, o.l4len) : 0;
	if (o.proto == 17 && fze_rd16(l4 + 4) != o.l4len)
		bad("UDP length", f, n);
	if (!skip && (o.proto == 17 || o.proto == 1 || o.proto == 58) &&
	    fze_fold(fze_sum16(ps, l4, o.l4len)))
		bad("transport checksum", f, n);
}

/* One frame that became a DNS query: where it is, and its addresses as
 * received. */
struct fq {
	uint8_t *buf;
	size_t cap, len;
	struct pkt_view v;
	uint8_t addrs[64];	/* the query's IP source and destination, ports */
};

static void query_req(struct fq *f, struct ans_req *r, uint8_t **out, size_t *cap)
{
	const uint8_t *udp = f->buf + f->v.l4_off;
	uint8_t kind = f->v.ipv6 ? ANS_PEER_IP16 : ANS_PEER_IP4;
	size_t al = f->v.ipv6 ? 16 : 4;
	const uint8_t *src = f->buf + f->v.l3_off + (f->v.ipv6 ? 8 : 12);
	memcpy(f->addrs, src, 2 * al);
	memcpy(f->addrs + 2 * al, udp, 4);
	*r = (struct ans_req){ .q = f->buf + f->v.dns_off, .qlen = f->v.dns_len,
			       .peer_kind = kind, .peer = src, .local_kind = kind,
			       .local = src + al, .peer_port = fze_rd16(udp),
			       .local_port = fze_rd16(udp + 2) };
	*out = f->buf + f->v.dns_off;
	*cap = f->cap - f->v.dns_off;
}

/* The answered query turned around: the reply's addresses and ports are
 * the query's swapped, its payload the engine's response. */
static void reply_dns(struct fq *f, size_t dns_len, bool offload)
{
	if (!dns_len)
		return;
	uint8_t resp[65536];
	memcpy(resp, f->buf + f->v.dns_off, dns_len);
	size_t n = pkt_udp_reply(f->buf, &f->v, dns_len, offload);
	check_reply(f->buf, n, f->cap, offload);
	size_t al = f->v.ipv6 ? 16 : 4;
	const uint8_t *ip = f->buf + f->v.l3_off + (f->v.ipv6 ? 8 : 12), *udp = f->buf + f->v.l4_off;
	if (memcmp(ip, f->addrs + al, al) || memcmp(ip + al, f->addrs, al) ||
	    memcmp(udp, f->addrs + 2 * al + 2, 2) || memcmp(udp + 2, f->addrs + 2 * al, 2))
		bad("addresses or ports not the query's swapped", f->buf, n);
	if (n != f->v.dns_off + dns_len || memcmp(f->buf + f->v.dns_off, resp, dns_len))
		bad("payload is not the engine's response", f->buf, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[4] = { 0, 2048, 600, 9018 };
	struct fze_in in = { data, size };
	uint8_t flags = fze_u8(&in), mode = fze_u8(&in), rl = fze_u8(&in);
	bool burst = mode & 1, offload = mode & 16;
	struct ans_cfg cfg;
	fze_cfg(flags, &cfg);
	fze_clock = FZE_CLOCK_BASE;

	struct fq fq[NF];
	struct ans_req reqs[NF];
	uint8_t *outs[NF];
	size_t outcaps[NF], lens[NF], nq = 0, nf = 0;
	struct ans_outcome ocs[NF];
	uint8_t *bufs[NF];
	const uint8_t *m;
	size_t ml;
	while (nf < NF && fze_msg(&in, &m, &ml)) {
		size_t cap = caps[mode >> 5 & 3] > ml ? caps[mode >> 5 & 3] : ml;
		uint8_t *b = bufs[nf++] = malloc(cap ? cap : 1);
		memcpy(b, m, ml);
		if (mode & 2)
			fix_frame(b, ml, mode & 4, mode & 8);
		struct pkt_view v;
		enum pkt_kind k = pkt_classify(&self, b, ml, cap, &v);
		if (k == PKT_REPLY)
			check_reply(b, v.reply_len, cap, false);
		/* io_dpdk.c drops a query whose buffer cannot hold a response */
		if (k != PKT_DNS || cap - v.dns_off < 512)
			continue;
		if ((size_t)v.dns_off + v.dns_len > ml)
			bad("DNS payload past the frame", b, ml);
		fq[nq] = (struct fq){ .buf = b, .cap = cap, .len = ml, .v = v };
		query_req(&fq[nq], &reqs[nq], &outs[nq], &outcaps[nq]);
		if (!burst)
			lens[nq] = ans_respond(fze_root(), &cfg, &reqs[nq], outs[nq], outcaps[nq],
					       &ocs[nq]);
		nq++;
	}
	if (burst)
		ans_respond_burst(fze_root(), &cfg, reqs, nq, outs, outcaps, lens, ocs);
	if ((flags & FZE_C_RRL) && nq) {
		struct rrl_worker w;
		fze_rrl_begin(rl, &w);
		rrl_burst(&w, reqs, outs, lens, ocs, nq, fze_wstats(), 5000);
		fze_rrl_end(&w);
	}
	for (size_t i = 0; i < nq; i++)
		reply_dns(&fq[i], lens[i], offload);
	for (size_t i = 0; i < nf; i++)
		free(bufs[i]);
	return 0;
}
