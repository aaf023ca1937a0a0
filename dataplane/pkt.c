/*
 * pkt.c - L2 to L4 of the DPDK fast path on plain byte buffers (pkt.h).
 * pkt_classify walks Ethernet (one optional 802.1Q tag), IPv4 or IPv6,
 * then UDP, checking every length against the frame before reading, and
 * says whether the frame is a DNS query to us, the exception path's or
 * dropped.  pkt_udp_reply turns an answered query around.  Multi-byte
 * fields are read and written in network order one byte at a time (the
 * compiler makes that a load and a byte swap); the only loop over bytes
 * is the Internet checksum.
 */
#include "dataplane/pkt.h"

#include <string.h>

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_IPV6 0x86dd

#define IP4_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8

#define PROTO_UDP 17

#define IP4_DF 0x4000
#define IP4_FRAG_MASK 0x3fff	/* MF and the fragment offset */
#define IP_ECN_MASK 0x03
#define REPLY_HOP_LIMIT 64

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
 * The sum is kept in host order over the native 16-bit words and turned
 * into the value of the big-endian words once at the end: the one's
 * complement sum commutes with a byte swap (RFC 1071 §2(B)), and a 32-bit
 * word adds as its two 16-bit halves because 2^16 = 1 modulo 0xffff.
 * Sums are passed around as host-order numbers of the wire's big-endian
 * words: wr16 stores a folded checksum.  p must start at an even
 * position of the summed data; only the last piece may have an odd length.
 */
uint32_t pkt_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
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
	return pkt_csum_add(proto + (uint32_t)len, ip + 12, 8);
}

static uint32_t pseudo6(const uint8_t *ip, uint8_t next, size_t len)
{
	return pkt_csum_add(next + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff), ip + 8, 32);
}

/* Zeroes the checksum field at off, computes it over p[0..len) and the
 * pseudo-header sum, stores it. */
static uint16_t csum_set(uint8_t *p, size_t len, size_t off, uint32_t pseudo)
{
	wr16(p + off, 0);
	uint16_t c = pkt_csum_fold(pkt_csum_add(pseudo, p, len));
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

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];
	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* An IPv4 header back to the source: addresses swapped, total length,
 * TTL, Not-ECT (RFC 3168 §5: we do not do ECN), header checksum. */
static void ip4_turn(uint8_t *ip, size_t tot)
{
	swap_bytes(ip + 12, ip + 16, 4);
	wr16(ip + 2, (unsigned)tot);
	ip[1] &= (uint8_t)~IP_ECN_MASK;
	ip[8] = REPLY_HOP_LIMIT;
	csum_set(ip, IP4_HLEN, 10, 0);
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
	return pkt_csum_fold(pkt_csum_add(pseudo, u, ulen)) == 0 || field == pseudo;
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
	if (pkt_csum_fold(pkt_csum_add(0, ip, IP4_HLEN)))
		return drop(v, PKT_DROP_BAD_CSUM);
	if (rd16(ip + 6) & IP4_FRAG_MASK)
		return PKT_EXCEPTION;
	if (f->l2 != L2_US || !v4_ours(f->self, ip + 16))
		return PKT_EXCEPTION;
	v->l4_off = (uint16_t)(v->l3_off + IP4_HLEN);
	if (ip[9] == PROTO_UDP)
		return udp_classify(f, tot - IP4_HLEN, v4_answerable(ip + 12));
	return PKT_EXCEPTION;
}

/*
 * IPv6 (RFC 8200): version and payload length checked; UDP only, any extension header (hop-by-hop, routing, fragment...) is the
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
	if (f->l2 == L2_BCAST || ip[6] != PROTO_UDP)
		return PKT_EXCEPTION;
	v->l4_off = (uint16_t)(v->l3_off + IP6_HLEN);
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
	swap_bytes(buf, buf + 6, 6);
	swap_bytes(u, u + 2, 2);
	wr16(u + 4, (unsigned)ulen);
	uint32_t pseudo;
	if (v->ipv6) {
		ip6_turn(ip, ulen);
		pseudo = pseudo6(ip, PROTO_UDP, ulen);
	} else {
		wr16(ip + 6, IP4_DF);
		ip4_turn(ip, IP4_HLEN + ulen);
		pseudo = pseudo4(ip, PROTO_UDP, ulen);
	}
	if (!v->ipv6 && udp4_csum_offload)
		wr16(u + 6, pseudo);	/* the port adds the rest (DPDK's rte_ipv4_phdr_cksum) */
	else if (!csum_set(u, ulen, 6, pseudo))
		wr16(u + 6, 0xffff);
	return v->l4_off + ulen;
}
