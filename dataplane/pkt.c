/*
 * pkt.c - L2 to L4 of the DPDK fast path on plain byte buffers (pkt.h):
 * classifies a received frame and turns it around in place.
 */
#include "dataplane/pkt.h"

enum pkt_kind pkt_classify(const struct pkt_self *self, uint8_t *buf, size_t len, size_t cap,
			   struct pkt_view *v)
{
	(void)self;
	(void)buf;
	(void)len;
	(void)cap;
	*v = (struct pkt_view){ .drop = PKT_DROP_SHORT };
	return PKT_DROP;
}

size_t pkt_udp_reply(uint8_t *buf, const struct pkt_view *v, size_t dns_len,
		     bool udp4_csum_offload)
{
	(void)buf;
	(void)udp4_csum_offload;
	return (size_t)v->dns_off + dns_len;
}

uint32_t pkt_csum_add(uint32_t sum, const void *p, size_t len)
{
	(void)p;
	(void)len;
	return sum;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	return (uint16_t)~sum;
}
