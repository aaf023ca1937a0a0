/*
 * pkt.c - L2 to L4 of the DPDK fast path on plain byte buffers (pkt.h).
 * pkt_classify walks Ethernet (one optional 802.1Q tag), then ARP, IPv4 or
 * IPv6, then UDP, ICMP or ICMPv6, checking every length against the frame
 * before reading, and either hands the frame on (DNS query, exception
 * path, drop) or rewrites it in place into its reply (ARP reply, neighbour
 * advertisement, echo reply).  pkt_udp_reply turns an answered query
 * around.  Multi-byte fields are read and written in network order one
 * byte at a time (the compiler makes that a load and a byte swap); the
 * only loop over bytes is the Internet checksum.
 */
#include "dataplane/pkt.h"

#include <string.h>

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_IPV6 0x86dd

#define ARP_LEN 28		/* Ethernet/IPv4 ARP (RFC 826) */
#define IP4_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define ICMP_HLEN 8		/* type, code, checksum, 4 bytes of the message */
#define ND_NS_LEN 24		/* ICMPv6 header, reserved, target (RFC 4861 §4.3) */
#define ND_NA_LEN 32		/* NA with one target link-layer address option */

#define PROTO_ICMP 1
#define PROTO_UDP 17
#define PROTO_ICMP6 58

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_SOURCE_LLADDR 1
#define ND_OPT_TARGET_LLADDR 2
#define ND_NA_FLAG_SOLICITED 0x40
#define ND_NA_FLAG_OVERRIDE 0x20

#define IP4_DF 0x4000
#define IP4_FRAG_MASK 0x3fff	/* MF and the fragment offset */
#define IP_ECN_MASK 0x03
#define REPLY_HOP_LIMIT 64
#define ND_HOP_LIMIT 255

/* Where a frame's Ethernet destination points: this server, the
 * broadcast address, a multicast group (the group bit set). */
enum pkt_l2 { L2_US, L2_BCAST, L2_MCAST };

/* The frame being classified. */
struct pkt_frame {
	const struct pkt_self *self;
	uint8_t *b;
	size_t len, cap;
	enum pkt_l2 l2;
	struct pkt_view *v;
};

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_all_nodes[6] = { 0x33, 0x33, 0, 0, 0, 1 };	/* RFC 2464 §7 */
static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 1 };
/* ff02::1:ff00:0/104, the solicited-node prefix (RFC 4291 §2.7.1) */
static const uint8_t ip6_solicited[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
static const uint8_t ip6_unspec[16];
static const uint8_t ip6_loopback[16] = { [15] = 1 };

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, unsigned x)
{
	p[0] = (uint8_t)(x >> 8);
	p[1] = (uint8_t)x;
}

static inline uint64_t ld32(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return w;
}

/*
 * pkt_csum_add, inlined into this file's callers so that the fixed-length
 * sums (IPv4 header, pseudo-headers) become straight-line code.
 *
 * The sum is kept in host order over the native 16-bit words and turned
 * into the value of the big-endian words once at the end: the one's
 * complement sum commutes with a byte swap (RFC 1071 §2(B)), and a 32-bit
 * word adds as its two 16-bit halves because 2^16 = 1 modulo 0xffff.
 * Sums are passed around as host-order numbers of the wire's big-endian
 * words: wr16 stores a folded checksum.  p must start at an even
 * position of the summed data; only the last piece may have an odd length.
 */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	uint64_t acc = 0;	/* < 2^48 for any frame: no carry is lost */
	for (; len >= 16; b += 16, len -= 16)
		acc += ld32(b) + ld32(b + 4) + ld32(b + 8) + ld32(b + 12);
	for (; len >= 4; b += 4, len -= 4)
		acc += ld32(b);
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, b, 2);
		acc += w;
		b += 2;
		len -= 2;
	}
	if (len) {
		/* the odd last byte is the high byte of a zero-padded word */
		uint8_t pad[2] = { b[0], 0 };
		uint16_t w;
		memcpy(&w, pad, 2);
		acc += w;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	uint16_t native = (uint16_t)acc;
	uint16_t be = rd16((const uint8_t *)&native);
	uint64_t s = (uint64_t)sum + be;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint32_t pkt_csum_add(uint32_t sum, const void *p, size_t len)
{
	return csum_add(sum, p, len);
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The pseudo-header sums (RFC 768, RFC 8200 §8.1) of an upper-layer
 * packet of len bytes: folded, not inverted. */
static uint32_t pseudo4(const uint8_t *ip, uint8_t proto, size_t len)
{
	return csum_add(proto + (uint32_t)len, ip + 12, 8);
}

static uint32_t pseudo6(const uint8_t *ip, uint8_t next, size_t len)
{
	return csum_add(next + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff), ip + 8, 32);
}

/* Zeroes the checksum field at off, computes it over p[0..len) and the
 * pseudo-header sum, stores it. */
static uint16_t csum_set(uint8_t *p, size_t len, size_t off, uint32_t pseudo)
{
	wr16(p + off, 0);
	uint16_t c = pkt_csum_fold(csum_add(pseudo, p, len));
	wr16(p + off, c);
	return c;
}

static enum pkt_kind drop(struct pkt_view *v, enum pkt_drop why)
{
	v->drop = (uint8_t)why;
	return PKT_DROP;
}

static bool v4_ours(const struct pkt_self *s, const uint8_t *a)
{
	for (unsigned i = 0; i < s->nv4 && i < PKT_ADDR_MAX; i++)
		if (!memcmp(s->v4[i], a, 4))
			return true;
	return false;
}

static bool v6_ours(const struct pkt_self *s, const uint8_t *a)
{
	for (unsigned i = 0; i < s->nv6 && i < PKT_ADDR_MAX; i++)
		if (!memcmp(s->v6[i], a, 16))
			return true;
	return false;
}

/* A source address an answer may go to: not "this network" 0/8, not
 * loopback 127/8 (RFC 1122 §3.2.1.3), not multicast, reserved or the
 * limited broadcast (224/3). */
static bool v4_answerable(const uint8_t *a)
{
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

/* Not the unspecified address, loopback (RFC 4291 §2.5.2-3) or multicast. */
static bool v6_answerable(const uint8_t *a)
{
	return a[0] != 0xff && memcmp(a, ip6_unspec, 16) && memcmp(a, ip6_loopback, 16);
}

/* Ethernet back to where the frame came from, from our MAC. */
static void eth_turn(uint8_t *b, const uint8_t *dst, const uint8_t mac[6])
{
	memmove(b, dst, 6);
	memcpy(b + 6, mac, 6);
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];
	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* An IPv4 header (no options: pkt_classify) back to the source:
 * addresses swapped, total length, flags and fragment offset frag, TTL,
 * Not-ECT (RFC 3168 §5: we do not do ECN), header checksum.  The checksum
 * is summed from the fields' values, all read before the first store:
 * summing a header just rewritten (wide loads over narrow stores still in
 * the store buffer) stalls on store forwarding. */
static void ip4_turn(uint8_t *ip, size_t tot, unsigned frag)
{
	uint8_t tos = ip[1] & (uint8_t)~IP_ECN_MASK;
	uint32_t sum = (uint32_t)(ip[0] << 8 | tos) + (uint32_t)tot + rd16(ip + 4) + frag +
		       (uint32_t)(REPLY_HOP_LIMIT << 8 | ip[9]) + csum_add(0, ip + 12, 8);
	swap_bytes(ip + 12, ip + 16, 4);
	wr16(ip + 2, (unsigned)tot);
	ip[1] = tos;
	wr16(ip + 6, frag);
	ip[8] = REPLY_HOP_LIMIT;
	wr16(ip + 10, pkt_csum_fold(sum));
}

/* The same for IPv6: addresses, payload length, hop limit, Not-ECT. */
static void ip6_turn(uint8_t *ip, size_t plen)
{
	swap_bytes(ip + 8, ip + 24, 16);
	wr16(ip + 4, (unsigned)plen);
	ip[1] &= (uint8_t)~(IP_ECN_MASK << 4);
	ip[7] = REPLY_HOP_LIMIT;
}

/*
 * The UDP checksum of a query.  Complete: the sum over pseudo-header,
 * header and data, checksum field included, is 0xffff.  Zero: none sent,
 * valid on IPv4 only (RFC 768; RFC 8200 §8.1 makes it an error on IPv6).
 * Partial: a sender that leaves the checksum to its NIC (Linux
 * CHECKSUM_PARTIAL, as a veth peer passes it on) has put the folded,
 * non-inverted pseudo-header sum of this very packet (addresses, protocol
 * 17, the UDP length) in the field; we detect it as a field equal to that
 * sum, which we compute anyway to check a complete checksum.  A complete
 * checksum that happens to equal it (1 in 65536) is valid either way; a
 * corrupted datagram whose field is exactly its pseudo-header sum is
 * accepted unchecked, as the kernel accepts CHECKSUM_PARTIAL.
 */
static bool udp_csum_ok(const uint8_t *ip, const uint8_t *u, size_t ulen, bool ipv6)
{
	uint16_t field = rd16(u + 6);
	if (field == 0)
		return !ipv6;
	uint32_t pseudo = ipv6 ? pseudo6(ip, PROTO_UDP, ulen) : pseudo4(ip, PROTO_UDP, ulen);
	return pkt_csum_fold(csum_add(pseudo, u, ulen)) == 0 || field == pseudo;
}

/* A UDP datagram to one of our addresses, avail bytes of IP payload;
 * src_ok: its source address may be answered. */
static enum pkt_kind udp_classify(struct pkt_frame *f, size_t avail, bool src_ok)
{
	struct pkt_view *v = f->v;
	const uint8_t *ip = f->b + v->l3_off, *u = f->b + v->l4_off;
	if (avail < UDP_HLEN)
		return drop(v, PKT_DROP_SHORT);
	if (rd16(u + 2) != f->self->port)
		return PKT_EXCEPTION;
	size_t ulen = rd16(u + 4);
	if (ulen < UDP_HLEN)
		return drop(v, PKT_DROP_BAD_IP);
	if (ulen > avail)
		return drop(v, PKT_DROP_SHORT);
	/* nothing answers to source port 0 (RFC 768: "no port") */
	if (!src_ok || rd16(u) == 0)
		return drop(v, PKT_DROP_NOT_OURS);
	if (!udp_csum_ok(ip, u, ulen, v->ipv6))
		return drop(v, PKT_DROP_BAD_CSUM);
	v->dns_off = (uint16_t)(v->l4_off + UDP_HLEN);
	v->dns_len = (uint16_t)(ulen - UDP_HLEN);
	return PKT_DNS;
}

/*
 * ARP (RFC 826): a request for one of our addresses becomes its reply in
 * place: opcode 2, sender = us, target = the requester, to the
 * requester's MAC.  Replies, gratuitous ARP and probes (RFC 5227: sender
 * 0.0.0.0) go to the kernel; a request for another host is not ours.
 */
static enum pkt_kind arp_classify(struct pkt_frame *f)
{
	struct pkt_view *v = f->v;
	uint8_t *a = f->b + v->l3_off;
	if (f->l2 == L2_MCAST)
		return PKT_EXCEPTION;
	if (f->len - v->l3_off < ARP_LEN)
		return drop(v, PKT_DROP_SHORT);
	if (rd16(a) != 1 || rd16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4 ||
	    rd16(a + 6) != 1)
		return PKT_EXCEPTION;
	uint8_t *sha = a + 8, *spa = a + 14, *tha = a + 18, *tpa = a + 24;
	if (!memcmp(spa, tpa, 4) || ld32(spa) == 0)
		return PKT_EXCEPTION;
	if (!v4_ours(f->self, tpa) || !v4_answerable(spa) || (sha[0] & 1))
		return drop(v, PKT_DROP_NOT_OURS);
	wr16(a + 6, 2);
	memcpy(tha, sha, 6);
	swap_bytes(spa, tpa, 4);
	memcpy(sha, f->self->mac, 6);
	eth_turn(f->b, tha, f->self->mac);
	v->reply_len = (uint16_t)(v->l3_off + ARP_LEN);
	return PKT_REPLY;
}

/*
 * An echo request to us, checked, becomes its echo reply in place (RFC
 * 792; RFC 4443 §4.1-4.2): same identifier, sequence number and data,
 * back to the sender.  The pseudo-header sum (ICMPv6 only) is the same
 * for the reply: swapping the addresses does not change it.
 */
static enum pkt_kind echo_turn(struct pkt_frame *f, size_t n)
{
	struct pkt_view *v = f->v;
	uint8_t *ip = f->b + v->l3_off, *ic = f->b + v->l4_off;
	uint32_t pseudo = v->ipv6 ? pseudo6(ip, PROTO_ICMP6, n) : 0;
	if (pkt_csum_fold(csum_add(pseudo, ic, n)))
		return drop(v, PKT_DROP_BAD_CSUM);
	if (v->ipv6 ? !v6_answerable(ip + 8) : !v4_answerable(ip + 12))
		return drop(v, PKT_DROP_NOT_OURS);
	ic[0] = v->ipv6 ? ICMP6_ECHO_REPLY : ICMP_ECHO_REPLY;
	csum_set(ic, n, 2, pseudo);
	if (v->ipv6)
		ip6_turn(ip, n);
	else
		ip4_turn(ip, IP4_HLEN + n, rd16(ip + 6));
	eth_turn(f->b, f->b + 6, f->self->mac);
	v->reply_len = (uint16_t)(v->l4_off + n);
	return PKT_REPLY;
}

/* ICMP: an echo request is answered, the rest is the kernel's. */
static enum pkt_kind icmp4_classify(struct pkt_frame *f, size_t n)
{
	const uint8_t *ic = f->b + f->v->l4_off;
	if (n < ICMP_HLEN)
		return drop(f->v, PKT_DROP_SHORT);
	if (ic[0] != ICMP_ECHO_REQUEST || ic[1] != 0)
		return PKT_EXCEPTION;
	return echo_turn(f, n);
}

/*
 * IPv4 (RFC 791): the header checked (version, header length, total
 * length, checksum); options and fragments are the kernel's, as is
 * anything not to one of our addresses by our MAC.  Bytes after the total
 * length (Ethernet padding) are ignored.
 */
static enum pkt_kind ip4_classify(struct pkt_frame *f)
{
	struct pkt_view *v = f->v;
	uint8_t *ip = f->b + v->l3_off;
	size_t avail = f->len - v->l3_off;
	if (avail < IP4_HLEN)
		return drop(v, PKT_DROP_SHORT);
	size_t hlen = (size_t)(ip[0] & 15) * 4, tot = rd16(ip + 2);
	if (ip[0] >> 4 != 4 || hlen < IP4_HLEN || tot < hlen)
		return drop(v, PKT_DROP_BAD_IP);
	if (tot > avail)
		return drop(v, PKT_DROP_SHORT);
	if (hlen != IP4_HLEN)
		return PKT_EXCEPTION;
	if (pkt_csum_fold(csum_add(0, ip, IP4_HLEN)))
		return drop(v, PKT_DROP_BAD_CSUM);
	if (rd16(ip + 6) & IP4_FRAG_MASK)
		return PKT_EXCEPTION;
	if (f->l2 != L2_US || !v4_ours(f->self, ip + 16))
		return PKT_EXCEPTION;
	v->l4_off = (uint16_t)(v->l3_off + IP4_HLEN);
	if (ip[9] == PROTO_UDP)
		return udp_classify(f, tot - IP4_HLEN, v4_answerable(ip + 12));
	if (ip[9] == PROTO_ICMP)
		return icmp4_classify(f, tot - IP4_HLEN);
	return PKT_EXCEPTION;
}

/* ICMPv6 echo request: answered when it is to one of our addresses. */
static enum pkt_kind icmp6_echo(struct pkt_frame *f, size_t n)
{
	const uint8_t *ip = f->b + f->v->l3_off, *ic = f->b + f->v->l4_off;
	if (n < ICMP_HLEN)
		return drop(f->v, PKT_DROP_SHORT);
	if (f->l2 != L2_US || !v6_ours(f->self, ip + 24) || ic[1] != 0)
		return PKT_EXCEPTION;
	return echo_turn(f, n);
}

/*
 * The options of a neighbour solicitation (RFC 4861 §7.1.1): each has a
 * non-zero length within the message, and one from the unspecified
 * address carries no source link-layer address.
 */
static bool nd_options_ok(const uint8_t *opt, size_t n, bool from_unspec)
{
	while (n) {
		if (n < 2 || opt[1] == 0 || (size_t)opt[1] * 8 > n)
			return false;
		if (from_unspec && opt[0] == ND_OPT_SOURCE_LLADDR)
			return false;
		n -= (size_t)opt[1] * 8;
		opt += (size_t)opt[1] * 8;
	}
	return true;
}

/*
 * Whether a neighbour solicitation passes RFC 4861 §7.1.1 and asks for
 * one of our addresses, sent to it or to its solicited-node group (then
 * by the group's MAC, RFC 2464 §7).  One that does not is nothing we
 * answer: counted as not ours (an off-link sender, one for another host).
 */
static bool nd_solicit_ours(const struct pkt_frame *f, const uint8_t *ip, const uint8_t *ns,
			    size_t n)
{
	const uint8_t *src = ip + 8, *dst = ip + 24, *target = ns + 8;
	bool from_unspec = !memcmp(src, ip6_unspec, 16);
	bool to_group = !memcmp(dst, ip6_solicited, 13) && !memcmp(dst + 13, target + 13, 3);
	if (ip[7] != ND_HOP_LIMIT || ns[1] != 0 || src[0] == 0xff || target[0] == 0xff)
		return false;
	if (!v6_ours(f->self, target))
		return false;
	if (!to_group && (from_unspec || memcmp(dst, target, 16)))
		return false;
	if (f->l2 == L2_MCAST && (!to_group || f->b[0] != 0x33 || f->b[1] != 0x33 ||
				  memcmp(f->b + 2, dst + 12, 4)))
		return false;
	return nd_options_ok(ns + ND_NS_LEN, n - ND_NS_LEN, from_unspec);
}

/*
 * A neighbour solicitation for one of our addresses becomes, in place,
 * the neighbour advertisement (RFC 4861 §4.4, §7.2.4): from the target
 * address, with our MAC as target link-layer address; Override set,
 * Router clear; to the solicitation's source with Solicited set, or, when
 * that was the unspecified address (duplicate address detection), to
 * all-nodes ff02::1 with Solicited clear; hop limit 255.
 */
static enum pkt_kind nd_solicit(struct pkt_frame *f, size_t n)
{
	struct pkt_view *v = f->v;
	uint8_t *ip = f->b + v->l3_off, *ic = f->b + v->l4_off;
	if (n < ND_NS_LEN)
		return drop(v, PKT_DROP_SHORT);
	if (pkt_csum_fold(csum_add(pseudo6(ip, PROTO_ICMP6, n), ic, n)))
		return drop(v, PKT_DROP_BAD_CSUM);
	if (!nd_solicit_ours(f, ip, ic, n))
		return drop(v, PKT_DROP_NOT_OURS);
	size_t reply_len = v->l4_off + ND_NA_LEN;
	if (reply_len > f->cap)
		return drop(v, PKT_DROP_SHORT);
	bool solicited = memcmp(ip + 8, ip6_unspec, 16) != 0;
	memcpy(ip + 24, solicited ? ip + 8 : ip6_all_nodes, 16);
	memcpy(ip + 8, ic + 8, 16);
	ip[0] = 0x60;
	ip[1] = ip[2] = ip[3] = 0;
	wr16(ip + 4, ND_NA_LEN);
	ip[7] = ND_HOP_LIMIT;
	ic[0] = ND_NEIGHBOR_ADVERT;
	ic[4] = (uint8_t)(ND_NA_FLAG_OVERRIDE | (solicited ? ND_NA_FLAG_SOLICITED : 0));
	ic[5] = ic[6] = ic[7] = 0;
	ic[24] = ND_OPT_TARGET_LLADDR;
	ic[25] = 1;
	memcpy(ic + 26, f->self->mac, 6);
	csum_set(ic, ND_NA_LEN, 2, pseudo6(ip, PROTO_ICMP6, ND_NA_LEN));
	eth_turn(f->b, solicited ? f->b + 6 : mac_all_nodes, f->self->mac);
	v->reply_len = (uint16_t)reply_len;
	return PKT_REPLY;
}

/*
 * IPv6 (RFC 8200): version and payload length checked; UDP and ICMPv6
 * only, any extension header (hop-by-hop, routing, fragment...) is the
 * kernel's.  Bytes after the payload (Ethernet padding) are ignored.
 */
static enum pkt_kind ip6_classify(struct pkt_frame *f)
{
	struct pkt_view *v = f->v;
	uint8_t *ip = f->b + v->l3_off;
	size_t avail = f->len - v->l3_off;
	v->ipv6 = true;
	if (avail < IP6_HLEN)
		return drop(v, PKT_DROP_SHORT);
	if (ip[0] >> 4 != 6)
		return drop(v, PKT_DROP_BAD_IP);
	size_t plen = rd16(ip + 4);
	if (IP6_HLEN + plen > avail)
		return drop(v, PKT_DROP_SHORT);
	if (f->l2 == L2_BCAST || (ip[6] != PROTO_UDP && ip[6] != PROTO_ICMP6))
		return PKT_EXCEPTION;
	v->l4_off = (uint16_t)(v->l3_off + IP6_HLEN);
	if (ip[6] == PROTO_ICMP6) {
		if (plen < 1)
			return drop(v, PKT_DROP_SHORT);
		if (ip[IP6_HLEN] == ICMP6_ECHO_REQUEST)
			return icmp6_echo(f, plen);
		if (ip[IP6_HLEN] == ND_NEIGHBOR_SOLICIT)
			return nd_solicit(f, plen);
		return PKT_EXCEPTION;
	}
	if (f->l2 != L2_US || !v6_ours(f->self, ip + 24))
		return PKT_EXCEPTION;
	return udp_classify(f, plen, v6_answerable(ip + 8));
}

/* Ethernet II and one 802.1Q tag; a frame with a group-bit source is
 * malformed, one to another host's MAC is not ours. */
enum pkt_kind pkt_classify(const struct pkt_self *self, uint8_t *buf, size_t len, size_t cap,
			   struct pkt_view *v)
{
	struct pkt_frame f = { .self = self, .b = buf, .len = len, .cap = cap, .v = v };
	*v = (struct pkt_view){ .drop = PKT_DROP_NONE };
	if (len < ETH_HLEN)
		return drop(v, PKT_DROP_SHORT);
	if (buf[6] & 1)
		return drop(v, PKT_DROP_NOT_OURS);
	if (!memcmp(buf, self->mac, 6))
		f.l2 = L2_US;
	else if (!memcmp(buf, mac_bcast, 6))
		f.l2 = L2_BCAST;
	else if (buf[0] & 1)
		f.l2 = L2_MCAST;
	else
		return drop(v, PKT_DROP_NOT_OURS);
	uint16_t type = rd16(buf + 12);
	v->l3_off = ETH_HLEN;
	if (type == ETHERTYPE_VLAN) {
		if (len < ETH_HLEN + VLAN_HLEN)
			return drop(v, PKT_DROP_SHORT);
		v->vlan = true;
		v->l3_off = ETH_HLEN + VLAN_HLEN;
		type = rd16(buf + 16);	/* a second tag (QinQ) is not one we know */
	}
	if (type == ETHERTYPE_IPV4)
		return ip4_classify(&f);
	if (type == ETHERTYPE_IPV6)
		return ip6_classify(&f);
	if (type == ETHERTYPE_ARP)
		return arp_classify(&f);
	return PKT_EXCEPTION;
}

/*
 * The answered query back to its client.  On IPv4 the reply is sent with
 * Don't Fragment (an atomic datagram, RFC 6864 §4: its identification
 * may stay the query's): a DNS response is sized to fit the path, not
 * fragmented.  The UDP checksum is never left 0 (RFC 768: a computed 0
 * is sent as 0xffff).
 */
size_t pkt_udp_reply(uint8_t *buf, const struct pkt_view *v, size_t dns_len,
		     bool udp4_csum_offload)
{
	uint8_t *ip = buf + v->l3_off, *u = buf + v->l4_off;
	size_t ulen = UDP_HLEN + dns_len;
	bool soft = v->ipv6 || !udp4_csum_offload;
	/* The UDP sums from the query frame's bytes, before the first store
	 * (as ip4_turn's): swapped addresses and ports sum as they did, and
	 * the payload is what the engine wrote a burst ago. */
	uint32_t pseudo = v->ipv6 ? csum_add(0, ip + 8, 32) : csum_add(0, ip + 12, 8);
	pseudo += PROTO_UDP + (uint32_t)ulen;	/* RFC 768, RFC 8200 §8.1 */
	uint32_t udp = 0;
	if (soft)	/* ports, length, checksum 0, payload */
		udp = csum_add(csum_add(pseudo, u, 4) + (uint32_t)ulen, u + UDP_HLEN, dns_len);
	if (v->ipv6)
		ip6_turn(ip, ulen);
	else
		ip4_turn(ip, IP4_HLEN + ulen, IP4_DF);
	swap_bytes(buf, buf + 6, 6);
	swap_bytes(u, u + 2, 2);
	wr16(u + 4, (unsigned)ulen);
	if (!soft) {
		/* the port adds the rest (DPDK's rte_ipv4_phdr_cksum) */
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
		wr16(u + 6, (pseudo & 0xffff) + (pseudo >> 16));
	} else {
		uint16_t c = pkt_csum_fold(udp);
		wr16(u + 6, c ? c : 0xffff);	/* RFC 768: a computed 0 is sent as 0xffff */
	}
	return v->l4_off + ulen;
}
