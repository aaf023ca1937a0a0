/*
 * pkt.h - L2 to L4 of the DPDK fast path on plain byte buffers (no rte_*):
 * Ethernet with an optional 802.1Q tag, IPv4 and IPv6, UDP.  pkt_classify
 * says what a received frame is: a DNS query to one of the configured
 * addresses (the engine answers it in place, then pkt_udp_reply turns the
 * frame around), a frame answered here (ARP request for a configured IPv4
 * address, IPv6 neighbour solicitation for a configured IPv6 address,
 * ICMP/ICMPv6 echo request to one: rewritten in place into the reply), or
 * one for the kernel's exception path (TCP, fragments, IPv4 options, IPv6
 * extension headers, other protocols and destinations).  No allocation,
 * lock, syscall or global; every read bounds-checked against the frame's
 * length, so a malformed frame is dropped, never read past.
 */
#ifndef RINGDNS_PKT_H
#define RINGDNS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_ADDR_MAX 8		/* configured addresses per family */

/* What this server is on the wire: its MAC and the addresses it answers
 * for (network byte order), and the DNS port (host order, usually 53). */
struct pkt_self {
	uint8_t mac[6];
	uint8_t v4[PKT_ADDR_MAX][4];
	unsigned nv4;
	uint8_t v6[PKT_ADDR_MAX][16];
	unsigned nv6;
	uint16_t port;
};

enum pkt_kind {
	PKT_DNS = 0,		/* a UDP query to us: answer the payload in place */
	PKT_REPLY,		/* rewritten in place into its reply: send it back */
	PKT_EXCEPTION,		/* not the fast path's: hand it to the kernel */
	PKT_DROP,		/* malformed, or nothing to answer (see pkt_drop) */
};

/* Why a frame was dropped, for the per-lcore counters. */
enum pkt_drop {
	PKT_DROP_NONE = 0,
	PKT_DROP_SHORT,		/* shorter than its headers say */
	PKT_DROP_BAD_IP,	/* bad version, header length or total length */
	PKT_DROP_BAD_CSUM,	/* IPv4 header or full UDP checksum wrong */
	PKT_DROP_NOT_OURS,	/* ARP/ND/echo for an address we do not have,
				   or a source we must not answer (multicast,
				   broadcast, unspecified source address) */
	PKT_DROP_COUNT
};

/* Where a classified frame's parts are.  Offsets from the frame start. */
struct pkt_view {
	uint16_t l3_off;	/* IP header (after Ethernet and the VLAN tag) */
	uint16_t l4_off;	/* UDP header */
	uint16_t dns_off;	/* DNS message (l4_off + 8) */
	uint16_t dns_len;	/* DNS message bytes received */
	bool ipv6;
	bool vlan;		/* the frame carried an 802.1Q tag (kept in the reply) */
	uint8_t drop;		/* enum pkt_drop, for PKT_DROP */
	uint16_t reply_len;	/* for PKT_REPLY: the reply frame's length */
};

/*
 * Classifies the frame buf[0..len) (cap: bytes writable at buf, >= len)
 * and fills *v.  PKT_DNS: the payload is at buf + v->dns_off.  PKT_REPLY:
 * buf now holds the reply frame (v->reply_len bytes).  A UDP checksum of a
 * query is checked when complete; a partial one (the pseudo-header sum
 * only, as a kernel peer on a veth leaves it) is accepted: the query is
 * answered, not dropped.
 */
enum pkt_kind pkt_classify(const struct pkt_self *self, uint8_t *buf, size_t len, size_t cap,
			   struct pkt_view *v);

/*
 * Turns the DNS query frame in buf (as pkt_classify saw it in *v) into the
 * response frame around the dns_len bytes of response the engine wrote at
 * buf + v->dns_off: swaps MACs, IP addresses and UDP ports, sets the IP
 * and UDP lengths, the IPv4 header checksum (and hop limit/TTL), and the
 * UDP checksum (always for IPv6, RFC 8200 §8.1; for IPv4 too unless
 * udp4_csum_offload: then the port computes it and the pseudo-header sum
 * is left in the field, as DPDK's offload expects).  Returns the frame's
 * length.
 */
size_t pkt_udp_reply(uint8_t *buf, const struct pkt_view *v, size_t dns_len,
		     bool udp4_csum_offload);

/* The Internet checksum (RFC 1071) of p[0..len), folded, not inverted,
 * added to sum: for the pseudo-header and incremental use. */
uint32_t pkt_csum_add(uint32_t sum, const void *p, size_t len);

/* The final 16-bit checksum from a running sum (folded and inverted). */
uint16_t pkt_csum_fold(uint32_t sum);

#endif
