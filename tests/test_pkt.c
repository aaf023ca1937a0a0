/*
 * test_pkt.c - L2 to L4 of the fast path (dataplane/pkt.c) on frames built
 * here byte by byte: Ethernet with and without an 802.1Q tag, IPv4, IPv6,
 * UDP, ICMP, ICMPv6 echo, ARP, neighbour solicitation.  Every checksum in
 * this file comes from ref_sum, a plain byte-wise RFC 1071 sum that shares
 * nothing with pkt_csum_add.  Replies are compared byte for byte with the
 * frame they must be, built independently; pkt_udp_reply's frames are
 * parsed again with the roles swapped.  Truncated frames are classified
 * from exactly-sized heap copies, so ASan sees any read past the end.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/pkt.h"

enum { V4 = 4, V6 = 6 };
enum csum { CS_FULL, CS_ZERO, CS_PARTIAL, CS_BAD };

static const uint8_t our_mac[6] = { 0x02, 0x52, 0x44, 0x4e, 0x53, 0x01 };
static const uint8_t cli_mac[6] = { 0x02, 0x43, 0x4c, 0x49, 0x00, 0x02 };
static const uint8_t other_mac[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x99 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t our4[4] = { 198, 18, 0, 53 };
static const uint8_t our4b[4] = { 198, 19, 0, 53 };
static const uint8_t cli4[4] = { 198, 18, 7, 2 };
static const uint8_t other4[4] = { 198, 18, 0, 99 };
static const uint8_t zero4[4];
static const uint8_t mcast4[4] = { 224, 0, 0, 251 };
static const uint8_t our6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 0x53 };
static const uint8_t our6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x53 };
static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 7, [15] = 2 };
static const uint8_t other6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };
static const uint8_t unspec6[16];
static const uint8_t all_nodes6[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t mcast6[16] = { 0xff, 0x02, [15] = 0xfb };
#define CLI_PORT 40000
#define DNS_PORT 53

static struct pkt_self self_of(const uint8_t *mac, const uint8_t *a4, const uint8_t *a6,
			       uint16_t port)
{
	struct pkt_self s = { .port = port, .nv4 = 2, .nv6 = 2 };
	memcpy(s.mac, mac, 6);
	memcpy(s.v4[0], our4b, 4);	/* the address asked for is the second */
	memcpy(s.v4[1], a4, 4);
	memcpy(s.v6[0], our6b, 16);
	memcpy(s.v6[1], a6, 16);
	return s;
}

static struct pkt_self us(void)
{
	return self_of(our_mac, our4, our6, DNS_PORT);
}

/* ---- the reference checksum: RFC 1071 one byte pair at a time ---- */

static uint32_t ref_sum(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 2)
		acc += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return acc;
}

static uint16_t ref_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The pseudo-header sum of the upper-layer packet after the IP header. */
static uint32_t ref_pseudo(int af, const uint8_t *ip, uint8_t proto, size_t len)
{
	if (af == V4)
		return ref_sum(proto + (uint32_t)len, ip + 12, 8);
	return ref_sum(proto + (uint32_t)len, ip + 8, 32);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned x)
{
	p[0] = (uint8_t)(x >> 8);
	p[1] = (uint8_t)x;
}

/* ---- frame builders ---- */

struct frame {
	uint8_t b[2048];
	size_t n, l3, l4;
	int af;
};

static void fr_eth(struct frame *f, const uint8_t *dst, const uint8_t *src, bool vlan,
		   uint16_t type)
{
	memset(f, 0, sizeof *f);
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	f->l3 = 12;
	if (vlan) {
		put16(f->b + 12, 0x8100);
		put16(f->b + 14, 0x2abc);	/* priority 1, VLAN 2748 */
		f->l3 = 16;
	}
	put16(f->b + f->l3, type);
	f->l3 += 2;
	f->n = f->l3;
}

static void ip4_csum(struct frame *f)
{
	uint8_t *ip = f->b + f->l3;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ref_fold(ref_sum(0, ip, 20)));
}

/* An IP header to the frame for l4len bytes of proto after it; returns
 * where they go. */
static uint8_t *fr_ip(struct frame *f, int af, const uint8_t *src, const uint8_t *dst,
		      uint8_t proto, size_t l4len, uint8_t ttl)
{
	uint8_t *ip = f->b + f->l3;
	f->af = af;
	if (af == V4) {
		ip[0] = 0x45;
		put16(ip + 2, 20 + (unsigned)l4len);
		put16(ip + 4, 0x1234);
		put16(ip + 6, 0x4000);
		ip[8] = ttl;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		ip4_csum(f);
		f->l4 = f->l3 + 20;
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)l4len);
		ip[6] = proto;
		ip[7] = ttl;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		f->l4 = f->l3 + 40;
	}
	f->n = f->l4 + l4len;
	return f->b + f->l4;
}

/* The upper-layer checksum at off in the L4 part (ICMPv4: no pseudo-header). */
static void l4_csum(struct frame *f, size_t off)
{
	uint8_t *ip = f->b + f->l3, *l4 = f->b + f->l4;
	size_t len = f->n - f->l4;
	uint8_t proto = f->af == V4 ? ip[9] : ip[6];
	uint32_t sum = proto == 1 ? 0 : ref_pseudo(f->af, ip, proto, len);
	put16(l4 + off, 0);
	uint16_t c = (uint16_t)~ref_fold(ref_sum(sum, l4, len));
	put16(l4 + off, proto == 17 && c == 0 ? 0xffff : c);
}

static const uint8_t query[] = {	/* www.example. A, RD */
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
};

static void udp_frame_to(struct frame *f, int af, bool vlan, const uint8_t *dmac,
			 const void *src, const void *dst, const uint8_t *pl, size_t plen,
			 enum csum cs)
{
	fr_eth(f, dmac, cli_mac, vlan, af == V4 ? 0x0800 : 0x86dd);
	uint8_t *u = fr_ip(f, af, src, dst, 17, 8 + plen, 57);
	put16(u, CLI_PORT);
	put16(u + 2, DNS_PORT);
	put16(u + 4, 8 + (unsigned)plen);
	memcpy(u + 8, pl, plen);
	l4_csum(f, 6);
	uint16_t pseudo = ref_fold(ref_pseudo(af, f->b + f->l3, 17, 8 + plen));
	if (cs == CS_ZERO)
		put16(u + 6, 0);
	else if (cs == CS_PARTIAL)
		put16(u + 6, pseudo);
	else if (cs == CS_BAD)
		put16(u + 6, get16(u + 6) ^ 0x0101);
	cr_assert(cs != CS_BAD || get16(u + 6) != pseudo);
}

/* The query with a complete checksum, from src to dst by the MAC dmac. */
static void query_to(struct frame *f, int af, const uint8_t *dmac, const void *src,
		     const void *dst)
{
	udp_frame_to(f, af, false, dmac, src, dst, query, sizeof query, CS_FULL);
}

/* A query from the client to our second address of its family. */
static void udp_frame(struct frame *f, int af, bool vlan, enum csum cs)
{
	udp_frame_to(f, af, vlan, our_mac, af == V4 ? cli4 : cli6, af == V4 ? our4 : our6,
		     query, sizeof query, cs);
}

static const uint8_t echo_data[] = "0123456789abcdefghijklmnopqrstuvwxyz!";	/* odd length */

static void echo_frame(struct frame *f, int af, bool vlan, bool reply, const uint8_t *dmac,
		       const uint8_t *smac, const void *src, const void *dst, uint8_t ttl)
{
	fr_eth(f, dmac, smac, vlan, af == V4 ? 0x0800 : 0x86dd);
	uint8_t *ic = fr_ip(f, af, src, dst, af == V4 ? 1 : 58, 8 + sizeof echo_data, ttl);
	ic[0] = af == V4 ? (reply ? 0 : 8) : (reply ? 129 : 128);
	put16(ic + 4, 0xbeef);	/* identifier */
	put16(ic + 6, 7);	/* sequence number */
	memcpy(ic + 8, echo_data, sizeof echo_data);
	l4_csum(f, 2);
}

static void echo_request(struct frame *f, int af, bool vlan)
{
	echo_frame(f, af, vlan, false, our_mac, cli_mac, af == V4 ? cli4 : cli6,
		   af == V4 ? our4 : our6, 57);
}

static void arp_frame(struct frame *f, bool vlan, const uint8_t *dmac, const uint8_t *smac,
		      unsigned op, const uint8_t *sha, const uint8_t *spa, const uint8_t *tha,
		      const uint8_t *tpa)
{
	fr_eth(f, dmac, smac, vlan, 0x0806);
	uint8_t *a = f->b + f->l3;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	f->n = f->l3 + 28;
}

static void arp_request(struct frame *f, bool vlan, const uint8_t *tpa)
{
	arp_frame(f, vlan, bcast_mac, cli_mac, 1, cli_mac, cli4, (const uint8_t[6]){ 0 }, tpa);
}

static void solicited_node(uint8_t *out, const uint8_t *target)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };
	memcpy(out, pfx, 13);
	memcpy(out + 13, target + 13, 3);
}

static void group_mac(uint8_t *mac, const uint8_t *group)
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

/* A neighbour solicitation for target from src (:: for duplicate address
 * detection), to its solicited-node group unless dst is given;
 * source link-layer option when slla. */
static void ns_frame(struct frame *f, bool vlan, const uint8_t *src, const uint8_t *dst,
		     const uint8_t *target, uint8_t hlim, bool slla)
{
	uint8_t grp[16], mac[6];
	solicited_node(grp, target);
	if (!dst)
		dst = grp;
	group_mac(mac, grp);
	fr_eth(f, dst == grp ? mac : our_mac, cli_mac, vlan, 0x86dd);
	uint8_t *ic = fr_ip(f, V6, src, dst, 58, slla ? 32 : 24, hlim);
	ic[0] = 135;
	memcpy(ic + 8, target, 16);
	if (slla) {
		ic[24] = 1;
		ic[25] = 1;
		memcpy(ic + 26, cli_mac, 6);
	}
	l4_csum(f, 2);
}

/* The advertisement of target, as RFC 4861 §4.4 lays it out. */
static void na_frame(struct frame *f, bool vlan, const uint8_t *dmac, const uint8_t *dst,
		     const uint8_t *target, bool solicited)
{
	fr_eth(f, dmac, our_mac, vlan, 0x86dd);
	uint8_t *ic = fr_ip(f, V6, target, dst, 58, 32, 255);
	ic[0] = 136;
	ic[4] = solicited ? 0x60 : 0x20;	/* S|O or O; R clear */
	memcpy(ic + 8, target, 16);
	ic[24] = 2;
	ic[25] = 1;
	memcpy(ic + 26, our_mac, 6);
	l4_csum(f, 2);
}

/* ---- running the classifier ---- */

/* Classifies a copy of f's bytes in a buffer of exactly n bytes (cap
 * extra writable ones after them). */
static enum pkt_kind classify_n(const struct pkt_self *s, const struct frame *f, size_t n,
				size_t extra, struct pkt_view *v, uint8_t *out)
{
	uint8_t *b = malloc(n + extra ? n + extra : 1);
	cr_assert(b);
	memcpy(b, f->b, n);
	enum pkt_kind k = pkt_classify(s, b, n, n + extra, v);
	if (out)
		memcpy(out, b, k == PKT_REPLY ? v->reply_len : n);
	free(b);
	return k;
}

static enum pkt_kind classify(const struct frame *f, struct pkt_view *v, uint8_t *out)
{
	struct pkt_self s = us();
	return classify_n(&s, f, f->n, 0, v, out);
}

static void expect_drop(const struct frame *f, enum pkt_drop why)
{
	struct pkt_view v;
	enum pkt_kind k = classify(f, &v, NULL);
	cr_assert_eq(k, PKT_DROP, "kind %d, expected a drop", k);
	cr_assert_eq(v.drop, why, "drop reason %d, expected %d", v.drop, why);
}

static void expect_kind(const struct frame *f, enum pkt_kind want)
{
	struct pkt_view v;
	enum pkt_kind k = classify(f, &v, NULL);
	cr_assert_eq(k, want, "kind %d (drop %d), expected %d", k, v.drop, want);
}

/* The reply classify makes of f must be exactly want's bytes. */
static void expect_reply(const struct frame *f, const struct frame *want, size_t extra)
{
	struct pkt_self s = us();
	struct pkt_view v;
	uint8_t out[2048];
	enum pkt_kind k = classify_n(&s, f, f->n, extra, &v, out);
	cr_assert_eq(k, PKT_REPLY, "kind %d (drop %d)", k, v.drop);
	cr_assert_eq(v.reply_len, want->n);
	for (size_t i = 0; i < want->n; i++)
		cr_assert_eq(out[i], want->b[i], "byte %zu: %02x, expected %02x", i, out[i],
			     want->b[i]);
}

/* ---- the checksum ---- */

Test(pkt, csum_matches_byte_wise_reference)
{
	uint8_t buf[300];
	srand(1);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)rand();
	memset(buf + 200, 0xff, 100);	/* carries everywhere */
	for (size_t off = 0; off < 8; off += 2)
		for (size_t n = 0; off + n <= sizeof buf; n++) {
			uint32_t want = ref_fold(ref_sum(0x1234, buf + off, n));
			uint32_t got = pkt_csum_add(0x1234, buf + off, n);
			cr_assert_eq(got, want, "off %zu len %zu: %x, expected %x", off, n, got,
				     want);
			cr_assert_eq(pkt_csum_fold(got), (uint16_t)~want);
		}
	/* in pieces (even lengths but the last), as the pseudo-header is added */
	uint32_t s = pkt_csum_add(0, buf, 10);
	s = pkt_csum_add(s, buf + 10, 128);
	s = pkt_csum_add(s, buf + 138, 33);
	cr_assert_eq(s, ref_fold(ref_sum(0, buf, 171)));
	cr_assert_eq(pkt_csum_fold(0xffff), 0);
	cr_assert_eq(pkt_csum_fold(0x1fffe), 0);
}

/* ---- DNS queries ---- */

static void expect_dns(const struct frame *f, bool vlan)
{
	struct pkt_view v;
	enum pkt_kind k = classify(f, &v, NULL);
	cr_assert_eq(k, PKT_DNS, "kind %d (drop %d)", k, v.drop);
	cr_assert_eq(v.vlan, vlan);
	cr_assert_eq(v.ipv6, f->af == V6);
	cr_assert_eq(v.l3_off, vlan ? 18 : 14);
	cr_assert_eq(v.l4_off, v.l3_off + (f->af == V4 ? 20 : 40));
	cr_assert_eq(v.dns_off, v.l4_off + 8);
	cr_assert_eq(v.dns_len, sizeof query);
	cr_assert_eq(memcmp(f->b + v.dns_off, query, sizeof query), 0);
}

Test(pkt, udp_query_to_us_is_dns_with_and_without_vlan)
{
	struct frame f;
	for (int af = V4; af <= V6; af += 2)
		for (int vlan = 0; vlan < 2; vlan++) {
			udp_frame(&f, af, vlan, CS_FULL);
			expect_dns(&f, vlan);
		}
}

/* Complete checksums are checked; a partial one (the pseudo-header sum
 * a kernel peer on a veth leaves) is accepted; zero means none on IPv4
 * (RFC 768) and is an error on IPv6 (RFC 8200 §8.1). */
Test(pkt, udp_checksum_rules)
{
	static const struct {
		int af;
		bool vlan;
		enum csum cs;
		enum pkt_kind kind;
	} cases[] = {
		{ V4, false, CS_PARTIAL, PKT_DNS },
		{ V6, true, CS_PARTIAL, PKT_DNS },
		{ V4, false, CS_BAD, PKT_DROP },
		{ V6, true, CS_BAD, PKT_DROP },
		{ V4, false, CS_ZERO, PKT_DNS },
		{ V6, false, CS_ZERO, PKT_DROP },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct frame f;
		udp_frame(&f, cases[i].af, cases[i].vlan, cases[i].cs);
		if (cases[i].kind == PKT_DNS)
			expect_dns(&f, cases[i].vlan);
		else
			expect_drop(&f, PKT_DROP_BAD_CSUM);
	}
}

Test(pkt, ethernet_padding_after_the_ip_packet_is_ignored)
{
	struct frame f;
	udp_frame_to(&f, V4, false, our_mac, cli4, our4, query, 4, CS_FULL);
	f.n = 64;	/* 46 bytes of IP, padded */
	struct pkt_view v;
	cr_assert_eq(classify(&f, &v, NULL), PKT_DNS);
	cr_assert_eq(v.dns_len, 4);
}

Test(pkt, udp_length_checked_against_ip_length)
{
	struct frame f;
	udp_frame(&f, V4, false, CS_ZERO);
	put16(f.b + f.l4 + 4, 8 + sizeof query + 1);
	expect_drop(&f, PKT_DROP_SHORT);
	put16(f.b + f.l4 + 4, 7);
	expect_drop(&f, PKT_DROP_BAD_IP);
	udp_frame(&f, V6, false, CS_FULL);
	put16(f.b + f.l4 + 4, 8 + sizeof query + 2);
	expect_drop(&f, PKT_DROP_SHORT);
}

Test(pkt, udp_to_another_port_or_address_is_punted)
{
	struct frame f;
	for (int af = V4; af <= V6; af += 2) {
		udp_frame(&f, af, false, CS_FULL);
		put16(f.b + f.l4 + 2, 5353);
		l4_csum(&f, 6);
		expect_kind(&f, PKT_EXCEPTION);
		query_to(&f, af, our_mac, af == V4 ? cli4 : cli6, af == V4 ? other4 : other6);
		expect_kind(&f, PKT_EXCEPTION);
		query_to(&f, af, our_mac, af == V4 ? cli4 : cli6, af == V4 ? mcast4 : mcast6);
		expect_kind(&f, PKT_EXCEPTION);
	}
}

Test(pkt, query_from_a_source_we_must_not_answer_is_dropped)
{
	static const struct {
		int af;
		const uint8_t *src;
	} bad[] = { { V4, zero4 }, { V4, mcast4 }, { V6, unspec6 }, { V6, mcast6 } };
	struct frame f;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		query_to(&f, bad[i].af, our_mac, bad[i].src, bad[i].af == V4 ? our4 : our6);
		expect_drop(&f, PKT_DROP_NOT_OURS);
	}
	udp_frame(&f, V4, false, CS_FULL);
	put16(f.b + f.l4, 0);	/* source port */
	l4_csum(&f, 6);
	expect_drop(&f, PKT_DROP_NOT_OURS);
}

/* ---- Ethernet ---- */

Test(pkt, frame_to_another_mac_is_not_ours)
{
	struct frame f;
	query_to(&f, V4, other_mac, cli4, our4);
	expect_drop(&f, PKT_DROP_NOT_OURS);
	udp_frame(&f, V4, false, CS_FULL);
	f.b[6] |= 1;	/* a group address as source */
	expect_drop(&f, PKT_DROP_NOT_OURS);
}

Test(pkt, broadcast_or_multicast_ip_traffic_is_punted)
{
	struct frame f;
	query_to(&f, V4, bcast_mac, cli4, our4);
	expect_kind(&f, PKT_EXCEPTION);
	query_to(&f, V6, all_nodes_mac, cli6, our6);
	expect_kind(&f, PKT_EXCEPTION);
	echo_frame(&f, V4, false, false, bcast_mac, cli_mac, cli4, our4, 64);
	expect_kind(&f, PKT_EXCEPTION);
}

Test(pkt, other_ethertypes_and_qinq_are_punted)
{
	struct frame f;
	udp_frame(&f, V4, true, CS_FULL);
	put16(f.b + 16, 0x8100);	/* a second tag */
	expect_kind(&f, PKT_EXCEPTION);
	udp_frame(&f, V4, true, CS_FULL);
	put16(f.b + 12, 0x88a8);	/* 802.1ad outer tag */
	expect_kind(&f, PKT_EXCEPTION);
	fr_eth(&f, our_mac, cli_mac, false, 0x88cc);	/* LLDP */
	f.n = 60;
	expect_kind(&f, PKT_EXCEPTION);
}

/* ---- IPv4 ---- */

Test(pkt, bad_ipv4_header_checksum_is_dropped)
{
	struct frame f;
	udp_frame(&f, V4, false, CS_FULL);
	f.b[f.l3 + 10] ^= 0x40;
	expect_drop(&f, PKT_DROP_BAD_CSUM);
}

Test(pkt, bad_ipv4_header_fields_are_dropped)
{
	struct frame f;
	udp_frame(&f, V4, false, CS_FULL);
	f.b[f.l3] = 0x55;	/* version 5 */
	ip4_csum(&f);
	expect_drop(&f, PKT_DROP_BAD_IP);
	udp_frame(&f, V4, false, CS_FULL);
	f.b[f.l3] = 0x44;	/* header length 16 */
	ip4_csum(&f);
	expect_drop(&f, PKT_DROP_BAD_IP);
	udp_frame(&f, V4, false, CS_FULL);
	put16(f.b + f.l3 + 2, 19);
	ip4_csum(&f);
	expect_drop(&f, PKT_DROP_BAD_IP);
	udp_frame(&f, V4, false, CS_FULL);
	put16(f.b + f.l3 + 2, (unsigned)(f.n - f.l3 + 1));
	ip4_csum(&f);
	expect_drop(&f, PKT_DROP_SHORT);
}

Test(pkt, ipv4_options_are_punted)
{
	struct frame f;
	udp_frame(&f, V4, false, CS_FULL);
	/* a router alert option (RFC 2113) moves the UDP header by 4 bytes */
	memmove(f.b + f.l4 + 4, f.b + f.l4, f.n - f.l4);
	static const uint8_t ra[4] = { 0x94, 0x04, 0, 0 };
	memcpy(f.b + f.l4, ra, 4);
	f.n += 4;
	f.b[f.l3] = 0x46;
	put16(f.b + f.l3 + 2, (unsigned)(f.n - f.l3));
	ip4_csum(&f);
	expect_kind(&f, PKT_EXCEPTION);
}

Test(pkt, ipv4_fragments_are_punted)
{
	struct frame f;
	udp_frame(&f, V4, false, CS_FULL);
	put16(f.b + f.l3 + 6, 0x2000);	/* MF: the first fragment */
	ip4_csum(&f);
	expect_kind(&f, PKT_EXCEPTION);
	put16(f.b + f.l3 + 6, 0x0003);	/* offset 24: a later one */
	ip4_csum(&f);
	expect_kind(&f, PKT_EXCEPTION);
}

Test(pkt, tcp_and_other_protocols_are_punted)
{
	static const uint8_t protos[] = { 6, 47, 132 };	/* TCP, GRE, SCTP */
	struct frame f;
	for (size_t i = 0; i < sizeof protos; i++) {
		fr_eth(&f, our_mac, cli_mac, false, 0x0800);
		fr_ip(&f, V4, cli4, our4, protos[i], 20, 64);
		expect_kind(&f, PKT_EXCEPTION);
		fr_eth(&f, our_mac, cli_mac, true, 0x86dd);
		fr_ip(&f, V6, cli6, our6, protos[i], 20, 64);
		expect_kind(&f, PKT_EXCEPTION);
	}
}

/* ---- IPv6 ---- */

Test(pkt, ipv6_extension_headers_are_punted)
{
	/* hop-by-hop, routing, fragment, destination options */
	static const uint8_t ext[] = { 0, 43, 44, 60 };
	struct frame f;
	for (size_t i = 0; i < sizeof ext; i++) {
		udp_frame(&f, V6, false, CS_FULL);
		f.b[f.l3 + 6] = ext[i];
		expect_kind(&f, PKT_EXCEPTION);
	}
}

Test(pkt, bad_ipv6_header_is_dropped)
{
	struct frame f;
	udp_frame(&f, V6, false, CS_FULL);
	f.b[f.l3] = 0x40;
	expect_drop(&f, PKT_DROP_BAD_IP);
	udp_frame(&f, V6, false, CS_FULL);
	put16(f.b + f.l3 + 4, (unsigned)(f.n - f.l4 + 1));
	expect_drop(&f, PKT_DROP_SHORT);
}

/* ---- ICMP and ICMPv6 echo ---- */

Test(pkt, icmp_echo_request_gets_the_exact_echo_reply)
{
	struct frame f, want;
	for (int af = V4; af <= V6; af += 2)
		for (int vlan = 0; vlan < 2; vlan++) {
			echo_request(&f, af, vlan);
			echo_frame(&want, af, vlan, true, cli_mac, our_mac, af == V4 ? our4 : our6,
				   af == V4 ? cli4 : cli6, 64);
			if (vlan)
				cr_assert_eq(memcmp(want.b + 12, f.b + 12, 4), 0);
			expect_reply(&f, &want, 0);
		}
}

Test(pkt, icmp_echo_not_for_us_or_bad_is_not_answered)
{
	struct frame f;
	echo_frame(&f, V4, false, false, our_mac, cli_mac, cli4, other4, 64);
	expect_kind(&f, PKT_EXCEPTION);
	echo_frame(&f, V6, false, false, our_mac, cli_mac, cli6, other6, 64);
	expect_kind(&f, PKT_EXCEPTION);
	echo_frame(&f, V4, false, true, our_mac, cli_mac, cli4, our4, 64);	/* a reply */
	expect_kind(&f, PKT_EXCEPTION);
	echo_frame(&f, V6, false, true, our_mac, cli_mac, cli6, our6, 64);
	expect_kind(&f, PKT_EXCEPTION);
	for (int af = V4; af <= V6; af += 2) {
		echo_request(&f, af, false);
		f.b[f.n - 1] ^= 1;
		expect_drop(&f, PKT_DROP_BAD_CSUM);
	}
	echo_frame(&f, V4, false, false, our_mac, cli_mac, mcast4, our4, 64);
	expect_drop(&f, PKT_DROP_NOT_OURS);
	echo_frame(&f, V6, false, false, our_mac, cli_mac, unspec6, our6, 64);
	expect_drop(&f, PKT_DROP_NOT_OURS);
}

/* ---- ARP ---- */

Test(pkt, arp_request_for_us_gets_the_exact_reply)
{
	struct frame f, want;
	for (int vlan = 0; vlan < 2; vlan++) {
		arp_request(&f, vlan, our4);
		arp_frame(&want, vlan, cli_mac, our_mac, 2, our_mac, our4, cli_mac, cli4);
		expect_reply(&f, &want, 0);
		/* a unicast request (a neighbour refreshing its entry) too */
		memcpy(f.b, our_mac, 6);
		expect_reply(&f, &want, 0);
	}
}

Test(pkt, other_arp_is_punted_or_not_ours)
{
	struct frame f;
	arp_request(&f, false, other4);
	expect_drop(&f, PKT_DROP_NOT_OURS);
	arp_frame(&f, false, our_mac, cli_mac, 2, cli_mac, cli4, our_mac, our4);	/* reply */
	expect_kind(&f, PKT_EXCEPTION);
	arp_frame(&f, false, bcast_mac, cli_mac, 1, cli_mac, cli4, bcast_mac, cli4);	/* gratuitous */
	expect_kind(&f, PKT_EXCEPTION);
	arp_frame(&f, false, bcast_mac, cli_mac, 1, cli_mac, zero4, bcast_mac, our4);	/* probe */
	expect_kind(&f, PKT_EXCEPTION);
	arp_request(&f, false, our4);
	f.b[f.l3 + 5] = 16;	/* not IPv4 over Ethernet */
	expect_kind(&f, PKT_EXCEPTION);
}

/* ---- neighbour discovery ---- */

Test(pkt, neighbour_solicitation_gets_the_exact_advertisement)
{
	struct frame f, want;
	for (int vlan = 0; vlan < 2; vlan++) {
		/* address resolution: to the solicited-node group, with the
		 * sender's link-layer address: same length as the reply */
		ns_frame(&f, vlan, cli6, NULL, our6, 255, true);
		na_frame(&want, vlan, cli_mac, cli6, our6, true);
		expect_reply(&f, &want, 0);
		/* reachability confirmation: unicast, no option: needs room */
		ns_frame(&f, vlan, cli6, our6, our6, 255, false);
		expect_reply(&f, &want, 8);
		expect_drop(&f, PKT_DROP_SHORT);
		/* duplicate address detection: to all nodes, not solicited */
		ns_frame(&f, vlan, unspec6, NULL, our6, 255, false);
		na_frame(&want, vlan, all_nodes_mac, all_nodes6, our6, false);
		expect_reply(&f, &want, 8);
	}
	/* the checksum, once more by hand: over pseudo-header and message */
	const uint8_t *ip = want.b + want.l3, *ic = want.b + want.l4;
	cr_assert_eq(ref_fold(ref_sum(ref_sum(0, ip + 8, 32) + 58 + 32, ic, 32)), 0xffff);
}

Test(pkt, neighbour_solicitation_not_for_us_or_invalid_is_dropped)
{
	struct frame f;
	ns_frame(&f, false, cli6, NULL, other6, 255, true);
	expect_drop(&f, PKT_DROP_NOT_OURS);
	ns_frame(&f, false, cli6, NULL, our6, 254, true);	/* hop limit: off-link */
	expect_drop(&f, PKT_DROP_NOT_OURS);
	ns_frame(&f, false, unspec6, NULL, our6, 255, true);	/* DAD with a source option */
	expect_drop(&f, PKT_DROP_NOT_OURS);
	ns_frame(&f, false, unspec6, our6, our6, 255, false);	/* DAD not to the group */
	expect_drop(&f, PKT_DROP_NOT_OURS);
	ns_frame(&f, false, cli6, NULL, our6, 255, true);
	f.b[f.l4 + 25] = 0;	/* an option of length 0 */
	l4_csum(&f, 2);
	expect_drop(&f, PKT_DROP_NOT_OURS);
	ns_frame(&f, false, cli6, NULL, our6, 255, true);
	f.b[5] ^= 1;	/* not the group's MAC */
	expect_drop(&f, PKT_DROP_NOT_OURS);
	ns_frame(&f, false, cli6, NULL, our6, 255, true);
	f.b[f.l4 + 30] ^= 1;
	expect_drop(&f, PKT_DROP_BAD_CSUM);
	ns_frame(&f, false, cli6, NULL, our6, 255, false);
	put16(f.b + f.l3 + 4, 16);	/* shorter than a solicitation */
	f.n -= 8;
	l4_csum(&f, 2);
	expect_drop(&f, PKT_DROP_SHORT);
}

Test(pkt, other_icmpv6_is_punted)
{
	struct frame f;
	ns_frame(&f, false, cli6, NULL, our6, 255, true);
	f.b[f.l4] = 134;	/* router advertisement */
	l4_csum(&f, 2);
	expect_kind(&f, PKT_EXCEPTION);
	f.b[f.l4] = 2;	/* packet too big */
	memcpy(f.b, our_mac, 6);
	l4_csum(&f, 2);
	expect_kind(&f, PKT_EXCEPTION);
}

/* ---- truncation and corruption ---- */

/* Every proper prefix of a frame classify answers is too short, and is
 * read only within itself. */
static void every_prefix_is_short(const struct frame *f)
{
	struct pkt_self s = us();
	struct pkt_view v;
	cr_assert_neq(classify_n(&s, f, f->n, 0, &v, NULL), PKT_DROP);
	for (size_t n = 0; n < f->n; n++) {
		enum pkt_kind k = classify_n(&s, f, n, 0, &v, NULL);
		cr_assert(k == PKT_DROP && v.drop == PKT_DROP_SHORT,
			  "prefix %zu of %zu: kind %d drop %d", n, f->n, k, v.drop);
	}
}

Test(pkt, truncated_frames_are_dropped_at_every_length)
{
	struct frame f;
	for (int af = V4; af <= V6; af += 2)
		for (int vlan = 0; vlan < 2; vlan++) {
			udp_frame(&f, af, vlan, CS_FULL);
			every_prefix_is_short(&f);
			echo_request(&f, af, vlan);
			every_prefix_is_short(&f);
		}
	arp_request(&f, true, our4);
	every_prefix_is_short(&f);
	ns_frame(&f, true, cli6, NULL, our6, 255, true);
	every_prefix_is_short(&f);
}

/* Random corruption: whatever the verdict, nothing is read or written
 * outside the buffer (ASan) and what it points at lies inside it. */
Test(pkt, corrupted_frames_stay_in_bounds)
{
	struct frame base[6], f;
	udp_frame(&base[0], V4, true, CS_FULL);
	udp_frame(&base[1], V6, false, CS_PARTIAL);
	echo_request(&base[2], V4, false);
	echo_request(&base[3], V6, true);
	arp_request(&base[4], false, our4);
	ns_frame(&base[5], false, cli6, NULL, our6, 255, true);
	struct pkt_self s = us();
	srand(7);
	for (int i = 0; i < 20000; i++) {
		f = base[i % 6];
		for (int j = rand() % 4; j >= 0; j--)
			f.b[(size_t)rand() % f.n] = (uint8_t)rand();
		size_t n = f.n - (size_t)rand() % 8;
		struct pkt_view v;
		enum pkt_kind k = classify_n(&s, &f, n, 0, &v, NULL);
		if (k == PKT_DNS)
			cr_assert_leq((size_t)v.dns_off + v.dns_len, n);
		if (k == PKT_REPLY)
			cr_assert_leq(v.reply_len, n);
	}
}

/* ---- pkt_udp_reply ---- */

/* The response frame, parsed as the client's own: to its MAC and
 * address, from ours, with correct lengths and checksums. */
static void check_response(const uint8_t *b, size_t n, const struct pkt_view *qv, int af,
			   const uint8_t *resp, size_t rlen, bool offload)
{
	const uint8_t *ip = b + qv->l3_off, *u = b + qv->l4_off;
	cr_assert_eq(n, qv->dns_off + rlen);
	cr_assert_eq(memcmp(b, cli_mac, 6), 0);
	cr_assert_eq(memcmp(b + 6, our_mac, 6), 0);
	if (af == V4) {
		cr_assert_eq(ip[0], 0x45);
		cr_assert_eq(get16(ip + 2), 28 + rlen);
		cr_assert_eq(get16(ip + 6), 0x4000, "DF, not a fragment");
		cr_assert_eq(ip[8], 64);
		cr_assert_eq(memcmp(ip + 12, our4, 4), 0);
		cr_assert_eq(memcmp(ip + 16, cli4, 4), 0);
		cr_assert_eq(ref_fold(ref_sum(0, ip, 20)), 0xffff, "IPv4 header checksum");
	} else {
		cr_assert_eq(get16(ip + 4), 8 + rlen);
		cr_assert_eq(ip[7], 64);
		cr_assert_eq(memcmp(ip + 8, our6, 16), 0);
		cr_assert_eq(memcmp(ip + 24, cli6, 16), 0);
	}
	cr_assert_eq(get16(u), DNS_PORT);
	cr_assert_eq(get16(u + 2), CLI_PORT);
	cr_assert_eq(get16(u + 4), 8 + rlen);
	uint32_t pseudo = ref_pseudo(af, ip, 17, 8 + rlen);
	if (af == V4 && offload)
		cr_assert_eq(get16(u + 6), ref_fold(pseudo), "the pseudo-header sum for the port");
	else
		cr_assert_eq(ref_fold(ref_sum(pseudo, u, 8 + rlen)), 0xffff, "UDP checksum");
	cr_assert_neq(get16(u + 6), 0);
	/* the client, classifying it, sees a datagram with the response */
	struct pkt_self cli = self_of(cli_mac, cli4, cli6, CLI_PORT);
	struct frame f = { .n = n };
	memcpy(f.b, b, n);
	struct pkt_view v;
	enum pkt_kind k = classify_n(&cli, &f, n, 0, &v, NULL);
	cr_assert_eq(k, PKT_DNS, "kind %d (drop %d)", k, v.drop);
	cr_assert_eq(v.vlan, qv->vlan);
	cr_assert_eq(v.dns_len, rlen);
	cr_assert_eq(memcmp(b + v.dns_off, resp, rlen), 0);
}

Test(pkt, udp_reply_turns_the_query_around)
{
	static const size_t lens[] = { 12, sizeof query, 333, 1232 };
	uint8_t resp[1232];
	for (size_t i = 0; i < sizeof resp; i++)
		resp[i] = (uint8_t)(i * 7 + 1);
	for (int af = V4; af <= V6; af += 2)
		for (int vlan = 0; vlan < 2; vlan++)
			for (int off = 0; off < 2; off++)
				for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
					struct frame f;
					struct pkt_view v;
					udp_frame(&f, af, vlan, CS_PARTIAL);
					/* CE; on IPv4 also DSCP 46 and an ID, kept */
					f.b[f.l3 + 1] = af == V4 ? 0xbb : 0x30;
					if (af == V4) {
						f.b[f.l3 + 4] = 0x12, f.b[f.l3 + 5] = 0x34;
						ip4_csum(&f);
					}
					struct pkt_self s = us();
					cr_assert_eq(pkt_classify(&s, f.b, f.n, sizeof f.b, &v),
						     PKT_DNS);
					memcpy(f.b + v.dns_off, resp, lens[i]);
					size_t n = pkt_udp_reply(f.b, &v, lens[i], off);
					cr_assert_eq(f.b[v.l3_off + 1], af == V4 ? 0xb8 : 0,
						     "the DSCP kept, Not-ECT");
					if (af == V4)
						cr_assert_eq(get16(f.b + v.l3_off + 4), 0x1234);
					if (vlan)
						cr_assert_eq(get16(f.b + 14), 0x2abc);
					check_response(f.b, n, &v, af, resp, lens[i], off);
				}
}
