/*
 * test_io_dpdk.c - the DPDK backend (dataplane/io_dpdk.c) on a ring-backed
 * port (rte_eth_from_rings), no NIC and no hugepages: DNS query frames
 * (IPv4 and IPv6, built here with correct checksums) enqueued on the RX
 * ring go through the backend's rx_burst, the engine (ans_respond_burst)
 * and tx_burst, as the worker runs them; the frames dequeued from the TX
 * ring have MACs, addresses and ports swapped, valid checksums and the
 * right answer.  Also: an ARP request is answered, a TCP segment is
 * counted as punted, a frame with a bad IPv4 checksum is dropped and
 * counted by reason; a query's addresses and ports as rx_burst gives
 * them; with a max-udp-payload beyond a buffer, a long
 * answer leaves in a chain of buffers and the client's limit still
 * truncates; the
 * worker loop (worker.c) on the port counts each kind of frame exactly,
 * a full TX ring as tx full, and shows its progress; the port's own
 * counters and link as ringctl gets them; and
 * EAL start-up through the backend: too few lcores and no free hugepages
 * refused, a worker launched on an lcore, a missing port refused.
 *
 * EAL starts once per test process (Criterion forks one per test) in the
 * suite's init, with --no-shconf and a file prefix of its own; the
 * runtime directory EAL leaves is removed at the end.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/answer.h"
#include "dataplane/io_dpdk.h"
#include "dataplane/rrl.h"
#include "dataplane/run.h"
#include "dataplane/worker.h"
#include "tests/dnsmsg.h"
#include "tests/zt.h"

static const char zone[] =
	"$TTL 300\n"
	"@	SOA	ns hostmaster 1 7200 3600 1209600 60\n"
	"@	NS	ns\n"
	"ns	A	192.0.2.1\n"
	"www	A	192.0.2.2\n"
	"www	AAAA	2001:db8::2\n"
	/* longer than 512 bytes: truncated for a query without EDNS */
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 1\n"
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 2\n"
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 3\n"
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 4\n"
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 5\n"
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 6\n"
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 7\n"
	"big	TXT	\"0123456789012345678901234567890123456789012345678901234567890123456789\" 8\n";

static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const char *const server_ip4 = "198.18.0.1", *const client_ip4 = "198.18.0.2";
static const char *const server_ip6 = "2001:db8::1", *const client_ip6 = "2001:db8::2";
/* max-udp-payload: the engine's and the backend's (io_dpdk_long: 4096) */
static struct ans_cfg acfg = { .max_udp = 1232 };
/* the zone, and the long TXT set io_dpdk_long adds to it */
static char zone_text[8192];

static char runtime_dir[PATH_MAX];
static struct rte_ring *rxr, *txr;
/* the exception path's port: what the kernel sends (prx), gets (ptx) */
static struct rte_ring *prx, *ptx;
static struct rte_mempool *pool;
static uint8_t server_mac[6];
static const struct io_ops *ops;
static struct io_backend *be;
static struct io_queue *q;
static struct zt_serve sv;
static struct zidx *root;

/* ---- set-up ------------------------------------------------------------- */

/* EAL's runtime directory, removed at exit once EAL's own exit handler
 * (registered later, so run earlier) unlinked its telemetry socket. */
static void runtime_dir_remove(void)
{
	rmdir(runtime_dir);
}

static void eal_start(const char *lcores)
{
	atexit(runtime_dir_remove);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "--file-prefix=ringdns-test-%d", (int)getpid());
	char *argv[] = { "test_io_dpdk", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
			 prefix, "-l", (char *)lcores, "--log-level=lib.*:error", NULL };
	cr_assert_geq(rte_eal_init(sizeof argv / sizeof *argv - 1, argv), 0, "EAL: %s",
		      rte_strerror(rte_errno));
	snprintf(runtime_dir, sizeof runtime_dir, "%s", rte_eal_get_runtime_dir());
}

static void eal_stop(void)
{
	rte_eal_cleanup();
}

static void addr(struct cfg_listen *l, const char *ip)
{
	memset(l, 0, sizeof *l);
	snprintf(l->text, sizeof l->text, "%s", ip);
	struct sockaddr_in *a4 = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&l->addr;
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(53);
		l->addrlen = sizeof *a4;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, ip, &a6->sin6_addr), 1);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(53);
		l->addrlen = sizeof *a6;
	}
}

static void setup(void)
{
	char err[1024];
	snprintf(zone_text, sizeof zone_text, "%s", zone);
	if (acfg.max_udp > 2048)	/* 32 TXT of 100 bytes: about 3400 bytes of answer */
		for (int i = 0; i < 32; i++)
			snprintf(zone_text + strlen(zone_text), sizeof zone_text - strlen(zone_text),
				 "long TXT \"%02d%098d\"\n", i, 0);
	eal_start("0");
	rxr = rte_ring_create("rx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	txr = rte_ring_create("tx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	cr_assert(rxr && txr);
	int port = rte_eth_from_rings("ring0", &rxr, 1, &txr, 1, 0);
	cr_assert_geq(port, 0, "rte_eth_from_rings: %s", rte_strerror(rte_errno));
	prx = rte_ring_create("prx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ptx = rte_ring_create("ptx", 2048, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	cr_assert(prx && ptx);
	int pport = rte_eth_from_rings("punt0", &prx, 1, &ptx, 1, 0);
	cr_assert_geq(pport, 0, "rte_eth_from_rings: %s", rte_strerror(rte_errno));
	char pname[RTE_ETH_NAME_MAX_LEN];
	cr_assert_eq(rte_eth_dev_get_name_by_port((uint16_t)pport, pname), 0);
	io_dpdk_exception_port(pname);	/* standing in for the TAP */
	pool = rte_pktmbuf_pool_create("test", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	cr_assert_not_null(pool);

	struct cfg_listen addrs[2];
	addr(&addrs[0], server_ip4);
	addr(&addrs[1], server_ip6);
	struct io_conf conf = { .addrs = addrs, .naddrs = 2, .queues = 1,
				.resp_cap = acfg.max_udp };
	ops = io_dpdk_ops();
	cr_assert_eq(ops->init(&conf, &be, err, sizeof err), 0, "%s", err);
	q = ops->queue(be, 0);
	cr_assert_eq(rte_eth_macaddr_get((uint16_t)port, (struct rte_ether_addr *)server_mac), 0);

	sv.n = 0;
	cr_assert_eq(zt_serve_add(&sv, "example.com.", zone_text, NULL, err, sizeof err), 0, "%s",
		     err);
	root = zidx_new(sv.snaps, sv.n);
	cr_assert_not_null(root);
}

static void teardown(void)
{
	if (be)
		ops->fini(be);
	zidx_free(root);
	zt_serve_free(&sv);
	struct rte_mbuf *m;
	while (rte_ring_dequeue(ptx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_mempool_free(pool);
	rte_ring_free(rxr);
	rte_ring_free(txr);
	rte_ring_free(prx);
	rte_ring_free(ptx);
	eal_stop();
}

TestSuite(io_dpdk, .init = setup, .fini = teardown);

/* ---- frames ------------------------------------------------------------- */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

/* The UDP checksum over the pseudo-header and the segment l4[0..len):
 * 0 when the segment's own checksum is right. */
static uint16_t udp_csum(bool v6, const uint8_t *l3, const uint8_t *l4, size_t len)
{
	uint32_t s = v6 ? sum16(0, l3 + 8, 32) : sum16(0, l3 + 12, 8);
	s += 17 + (uint32_t)len;
	return fold(sum16(s, l4, len));
}

static void eth(uint8_t *f, unsigned type)
{
	memcpy(f, server_mac, 6);
	memcpy(f + 6, client_mac, 6);
	put16(f + 12, type);
}

/* An Ethernet frame to the server: IP (proto; a bad IPv4 header checksum
 * if bad_csum) and a UDP (or other) segment carrying pay[0..plen). */
static size_t ip_frame(uint8_t *f, bool v6, uint8_t proto, const uint8_t *pay, size_t plen,
		       bool bad_csum)
{
	size_t l3 = 14, hl = v6 ? 40 : 20, l4 = l3 + hl;
	size_t seg = (proto == 17 ? 8 : 20) + plen;
	memset(f, 0, l4 + seg);
	eth(f, v6 ? 0x86dd : 0x0800);
	uint8_t *ip = f + l3, *u = f + l4;
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)seg);
		ip[6] = proto;
		ip[7] = 64;
		inet_pton(AF_INET6, client_ip6, ip + 8);
		inet_pton(AF_INET6, server_ip6, ip + 24);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(hl + seg));
		put16(ip + 4, 0x1234);
		ip[8] = 64;
		ip[9] = proto;
		inet_pton(AF_INET, client_ip4, ip + 12);
		inet_pton(AF_INET, server_ip4, ip + 16);
		put16(ip + 10, fold(sum16(0, ip, 20)) ^ (bad_csum ? 0x5a5a : 0));
	}
	put16(u, 40000);
	put16(u + 2, 53);
	if (proto == 17) {
		put16(u + 4, (unsigned)seg);
		memcpy(u + 8, pay, plen);
		uint16_t c = udp_csum(v6, ip, u, seg);
		put16(u + 6, c ? c : 0xffff);
	} else {	/* a TCP SYN-sized segment: header and payload */
		u[12] = 5 << 4;
		u[13] = 0x02;
		memcpy(u + 20, pay, plen);
	}
	return l4 + seg;
}

/* The query for name/type with o's settings in a frame. */
static size_t dns_frame_opt(uint8_t *f, bool v6, const char *name, uint16_t type,
			    const struct dm_qopt *o)
{
	uint8_t msg[512];
	size_t n = dm_query(msg, sizeof msg, name, type, o);
	return ip_frame(f, v6, 17, msg, n, false);
}

/* The query for name/type, id, with EDNS, in a frame. */
static size_t dns_frame(uint8_t *f, bool v6, const char *name, uint16_t type, uint16_t id)
{
	return dns_frame_opt(f, v6, name, type, &(struct dm_qopt){ .id = id, .edns = true });
}

static size_t arp_request(uint8_t *f, const char *target)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, client_mac, 6);
	put16(f + 12, 0x0806);
	uint8_t *a = f + 14;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, client_mac, 6);
	inet_pton(AF_INET, client_ip4, a + 14);
	inet_pton(AF_INET, target, a + 24);
	return 60;
}

/* Puts the frames on the RX ring as mbufs. */
static void enqueue(uint8_t (*f)[1500], const size_t *len, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		cr_assert_not_null(m);
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len[i]);
		cr_assert_not_null(d);
		memcpy(d, f[i], len[i]);
		cr_assert_eq(rte_ring_enqueue(rxr, m), 0);
	}
}

/* One pass of the worker's loop body: receive, answer, send. */
static unsigned poll_once(void)
{
	static struct io_burst b;
	unsigned n = ops->rx_burst(q, &b);
	if (n) {
		ans_respond_burst(root, &acfg, b.req, b.n, b.out, b.cap, b.len, b.oc);
		cr_assert_eq(ops->tx_burst(q, &b), 0, "the ring port refused frames");
	}
	return n;
}

/* Takes up to cap frames off the TX ring. */
static unsigned dequeue(struct rte_mbuf **m, unsigned cap)
{
	return rte_ring_dequeue_burst(txr, (void **)m, cap, NULL);
}

/* ---- checks ------------------------------------------------------------- */

/* f[0..len) is the answer to a query frame (v6 or not) with id: checks
 * L2 to L4 and returns the DNS message parsed into r. */
static void check_frame(const uint8_t *f, size_t len, bool v6, uint16_t id, struct dm_resp *r)
{
	size_t hl = v6 ? 40 : 20;
	cr_assert_gt(len, 14 + hl + 8 + 12);
	cr_assert_eq(memcmp(f, client_mac, 6), 0, "destination MAC is not the client's");
	cr_assert_eq(memcmp(f + 6, server_mac, 6), 0, "source MAC is not the port's");
	cr_assert_eq(get16(f + 12), v6 ? 0x86ddu : 0x0800u);
	const uint8_t *ip = f + 14, *u = ip + hl;
	uint8_t want_src[16], want_dst[16];
	if (v6) {
		inet_pton(AF_INET6, server_ip6, want_src);
		inet_pton(AF_INET6, client_ip6, want_dst);
		cr_assert_eq(memcmp(ip + 8, want_src, 16), 0);
		cr_assert_eq(memcmp(ip + 24, want_dst, 16), 0);
		cr_assert_eq(get16(ip + 4), len - 14 - hl);
	} else {
		inet_pton(AF_INET, server_ip4, want_src);
		inet_pton(AF_INET, client_ip4, want_dst);
		cr_assert_eq(memcmp(ip + 12, want_src, 4), 0);
		cr_assert_eq(memcmp(ip + 16, want_dst, 4), 0);
		cr_assert_eq(get16(ip + 2), len - 14);
		cr_assert_eq(fold(sum16(0, ip, 20)), 0, "IPv4 header checksum wrong");
	}
	cr_assert_eq(get16(u), 53u, "source port");
	cr_assert_eq(get16(u + 2), 40000u, "destination port");
	cr_assert_eq(get16(u + 4), len - 14 - hl);
	cr_assert_neq(get16(u + 6), 0u, "no UDP checksum (the ring port has no offload)");
	cr_assert_eq(udp_csum(v6, ip, u, len - 14 - hl), 0, "UDP checksum wrong");
	dm_parse(u + 8, len - 14 - hl - 8, r);
	cr_assert(r->ok, "%s", r->err);
	cr_assert_eq(r->id, id);
	cr_assert(r->qr);
}

/* The same for an answer in one mbuf. */
static void check_answer(struct rte_mbuf *m, bool v6, uint16_t id, struct dm_resp *r)
{
	cr_assert_eq(m->pkt_len, m->data_len);
	check_frame(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, v6, id, r);
}

static void check_stats(uint64_t rx, uint64_t replied, uint64_t punted)
{
	struct st_io st;
	io_dpdk_queue_stats(q, &st);
	cr_assert_eq(st.rx, rx);
	cr_assert_eq(st.replied, replied);
	cr_assert_eq(st.punted, punted);
	cr_assert_eq(st.tx_full, 0);
}

/* ---- tests -------------------------------------------------------------- */

Test(io_dpdk, ipv4_and_ipv6_queries_answered_in_place)
{
	static uint8_t f[2][1500];
	size_t len[2] = { dns_frame(f[0], false, "www.example.com.", 1, 0x1111),
			  dns_frame(f[1], true, "www.example.com.", 28, 0x2222) };
	enqueue(f, len, 2);
	cr_assert_eq(poll_once(), 2);
	struct rte_mbuf *m[4];
	cr_assert_eq(dequeue(m, 4), 2);
	struct dm_resp r;
	check_answer(m[0], false, 0x1111, &r);
	cr_assert_eq(r.rcode, 0);
	cr_assert(r.aa);
	cr_assert_eq(r.nrr[DM_AN], 1);
	cr_assert_str_eq(r.rr[DM_AN][0], "www.example.com. 300 IN A 192.0.2.2");
	dm_resp_free(&r);
	check_answer(m[1], true, 0x2222, &r);
	cr_assert_eq(r.nrr[DM_AN], 1);
	cr_assert_str_eq(r.rr[DM_AN][0], "www.example.com. 300 IN AAAA 2001:db8::2");
	dm_resp_free(&r);
	rte_pktmbuf_free_bulk(m, 2);
	check_stats(2, 0, 0);
}

/* What rx_burst tells the engine (and dnstap) of each query: both
 * addresses, read in the frame, and both ports. */
Test(io_dpdk, both_ends_of_a_query_from_the_frame)
{
	static uint8_t f[2][1500];
	size_t len[2] = { dns_frame(f[0], false, "www.example.com.", 1, 0x1111),
			  dns_frame(f[1], true, "www.example.com.", 28, 0x2222) };
	enqueue(f, len, 2);
	static struct io_burst b;
	cr_assert_eq(ops->rx_burst(q, &b), 2);
	for (unsigned i = 0; i < 2; i++) {
		bool v6 = i == 1;
		const struct ans_req *r = &b.req[i];
		uint8_t cl[16], sv[16];
		inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? client_ip6 : client_ip4, cl);
		inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? server_ip6 : server_ip4, sv);
		uint8_t kind = v6 ? ANS_PEER_IP16 : ANS_PEER_IP4;
		cr_assert_eq(r->peer_kind, kind);
		cr_assert_eq(r->local_kind, kind);
		cr_assert_eq(memcmp(r->peer, cl, v6 ? 16 : 4), 0, "client address");
		cr_assert_eq(memcmp(r->local, sv, v6 ? 16 : 4), 0, "server address");
		cr_assert_eq(r->peer_port, 40000);
		cr_assert_eq(r->local_port, 53);
	}
	ans_respond_burst(root, &acfg, b.req, b.n, b.out, b.cap, b.len, b.oc);
	cr_assert_eq(ops->tx_burst(q, &b), 0);
	struct rte_mbuf *m[4];
	cr_assert_eq(dequeue(m, 4), 2);
	rte_pktmbuf_free_bulk(m, 2);
}

Test(io_dpdk, full_burst_nxdomain)
{
	static uint8_t f[IO_BURST][1500];
	size_t len[IO_BURST];
	for (unsigned i = 0; i < IO_BURST; i++)
		len[i] = dns_frame(f[i], i & 1, "nope.example.com.", 1, (uint16_t)(0x100 + i));
	enqueue(f, len, IO_BURST);
	cr_assert_eq(poll_once(), IO_BURST);
	struct rte_mbuf *m[IO_BURST + 1];
	cr_assert_eq(dequeue(m, IO_BURST + 1), IO_BURST);
	for (unsigned i = 0; i < IO_BURST; i++) {
		struct dm_resp r;
		check_answer(m[i], i & 1, (uint16_t)(0x100 + i), &r);
		cr_assert_str_eq(dm_rcode_name(r.rcode), "NXDOMAIN");
		cr_assert_eq(r.nrr[DM_NS], 1, "the SOA in authority");
		dm_resp_free(&r);
	}
	rte_pktmbuf_free_bulk(m, IO_BURST);
	check_stats(IO_BURST, 0, 0);
}

Test(io_dpdk, arp_answered_tcp_punted_bad_checksum_dropped)
{
	static uint8_t f[4][1500];
	uint8_t syn[4] = { 0 };
	size_t len[4] = { arp_request(f[0], server_ip4),
			  ip_frame(f[1], false, 6, syn, 0, false),
			  ip_frame(f[2], false, 17, syn, sizeof syn, true),
			  dns_frame(f[3], false, "ns.example.com.", 1, 0x3333) };
	enqueue(f, len, 4);
	cr_assert_eq(poll_once(), 1, "one query among the four frames");
	struct rte_mbuf *m[4];
	cr_assert_eq(dequeue(m, 4), 2, "the ARP reply and the answer");
	/* the ARP reply: to the client, from the port, for our address */
	const uint8_t *a = rte_pktmbuf_mtod(m[0], const uint8_t *);
	cr_assert_eq(memcmp(a, client_mac, 6), 0);
	cr_assert_eq(memcmp(a + 6, server_mac, 6), 0);
	cr_assert_eq(get16(a + 12), 0x0806u);
	cr_assert_eq(get16(a + 14 + 6), 2u, "ARP op is not reply");
	cr_assert_eq(memcmp(a + 14 + 8, server_mac, 6), 0);
	uint8_t ip[4];
	inet_pton(AF_INET, server_ip4, ip);
	cr_assert_eq(memcmp(a + 14 + 14, ip, 4), 0);
	cr_assert_eq(memcmp(a + 14 + 18, client_mac, 6), 0);
	struct dm_resp r;
	check_answer(m[1], false, 0x3333, &r);
	cr_assert_str_eq(r.rr[DM_AN][0], "ns.example.com. 300 IN A 192.0.2.1");
	dm_resp_free(&r);
	rte_pktmbuf_free_bulk(m, 2);
	check_stats(4, 1, 1);
	struct st_io st;
	io_dpdk_queue_stats(q, &st);
	cr_assert_eq(st.dropped[STD_BAD_CSUM], 1);
	/* the TCP segment went to the exception port as it came */
	struct rte_mbuf *p;
	cr_assert_eq(rte_ring_dequeue(ptx, (void **)&p), 0, "nothing on the exception port");
	cr_assert_eq(p->data_len, len[1]);
	cr_assert_eq(memcmp(rte_pktmbuf_mtod(p, uint8_t *), f[1], len[1]), 0);
	rte_pktmbuf_free(p);
	cr_assert_eq(rte_ring_count(ptx), 0);
}

Test(io_dpdk, punted_frames_beyond_the_bucket_dropped_and_counted)
{
	/* 40 bursts of TCP segments back to back, far faster than the punt
	 * rate refills: the bucket's worth goes to the kernel, the rest is
	 * counted as punt_dropped; nothing is lost uncounted */
	static uint8_t f[IO_BURST][1500];
	size_t len[IO_BURST];
	uint8_t syn[4] = { 0 };
	for (unsigned i = 0; i < IO_BURST; i++)
		len[i] = ip_frame(f[i], i & 1, 6, syn, 0, false);
	unsigned total = 40 * IO_BURST;
	for (unsigned r = 0; r < 40; r++) {
		enqueue(f, len, IO_BURST);
		cr_assert_eq(poll_once(), 0);
	}
	struct st_io st;
	io_dpdk_queue_stats(q, &st);
	cr_assert_eq(st.rx, total);
	cr_assert_eq(st.punted + st.punt_dropped, total);
	cr_assert_geq(st.punted, 128, "less than the bucket punted: %llu",
		      (unsigned long long)st.punted);
	cr_assert_lt(st.punted, total / 2, "the rate limit let %llu of %u through",
		     (unsigned long long)st.punted, total);
	cr_assert_eq(rte_ring_count(ptx), st.punted);
	cr_assert_eq(rte_ring_count(txr), 0, "a punted frame went back out of the NIC");
}

Test(io_dpdk, kernel_frames_leave_through_the_nic)
{
	/* what the kernel sends on the TAP (here: its ring) goes out of the
	 * NIC port unchanged, within a few polls */
	static uint8_t f[2][1500];
	uint8_t seg[4] = { 1, 2, 3, 4 };
	size_t len[2] = { ip_frame(f[0], false, 6, seg, sizeof seg, false),
			  ip_frame(f[1], true, 6, seg, sizeof seg, false) };
	for (unsigned i = 0; i < 2; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		cr_assert_not_null(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len[i]), f[i], len[i]);
		cr_assert_eq(rte_ring_enqueue(prx, m), 0);
	}
	for (int i = 0; i < 64 && rte_ring_count(prx); i++)
		poll_once();
	struct rte_mbuf *m[4];
	cr_assert_eq(dequeue(m, 4), 2, "the kernel's frames did not leave");
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(m[i]->data_len, len[i]);
		cr_assert_eq(memcmp(rte_pktmbuf_mtod(m[i], uint8_t *), f[i], len[i]), 0);
	}
	rte_pktmbuf_free_bulk(m, 2);
	struct st_io st;
	io_dpdk_queue_stats(q, &st);
	cr_assert_eq(st.tx, 2);
	cr_assert_eq(st.punted, 0);
}

/* io_dpdk_long: max-udp-payload 4096, more than a 2 KB buffer holds.
 * Every query is answered in the queue's scratch slot; an answer longer
 * than its buffer leaves in a chain of two, one that fits in one. */
static void setup_long(void)
{
	acfg.max_udp = 4096;
	setup();
}

TestSuite(io_dpdk_long, .init = setup_long, .fini = teardown);

/* The frame of m's segments, copied into f (cap bytes); its length. */
static size_t linearize(const struct rte_mbuf *m, uint8_t *f, size_t cap)
{
	size_t n = 0;
	for (const struct rte_mbuf *s = m; s; s = s->next) {
		cr_assert_leq(n + s->data_len, cap);
		memcpy(f + n, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
		n += s->data_len;
	}
	cr_assert_eq(n, m->pkt_len, "segments of %zu bytes, pkt_len %u", n, m->pkt_len);
	return n;
}

Test(io_dpdk_long, long_answer_sent_in_chained_buffers)
{
	static uint8_t f[3][1500];
	struct dm_qopt o = { .id = 7, .edns = true, .payload = 4096 };
	size_t len[3] = { dns_frame_opt(f[0], false, "long.example.com.", 16, &o),
			  dns_frame_opt(f[1], true, "long.example.com.", 16, &o),
			  dns_frame_opt(f[2], false, "www.example.com.", 1, &o) };
	enqueue(f, len, 3);
	cr_assert_eq(poll_once(), 3);
	struct rte_mbuf *m[4];
	cr_assert_eq(dequeue(m, 4), 3);
	for (int i = 0; i < 3; i++) {
		static uint8_t flat[8192];
		size_t n = linearize(m[i], flat, sizeof flat);
		cr_assert_eq(m[i]->nb_segs, i < 2 ? 2 : 1, "frame %d: %u segments of %zu bytes", i,
			     m[i]->nb_segs, n);
		struct dm_resp r;
		check_frame(flat, n, i == 1, 7, &r);
		cr_assert_eq(r.rcode, 0);
		cr_assert(!r.tc, "frame %d truncated", i);
		cr_assert_eq(r.nrr[DM_AN], i < 2 ? 32u : 1u);
		if (i < 2)
			cr_assert_gt(n, 3400, "frame %d: %zu bytes", i, n);
		dm_resp_free(&r);
	}
	rte_pktmbuf_free_bulk(m, 3);
	struct st_io io;
	io_dpdk_queue_stats(q, &io);
	cr_assert_eq(io.tx, 3);
	cr_assert_eq(io.dropped[STD_NO_MBUF], 0);
}

Test(io_dpdk_long, client_limit_still_truncates)
{
	/* EDNS 1232 from the client: its limit, not the buffer's, applies (TC) */
	static uint8_t f[1][1500];
	size_t len[1] = { dns_frame_opt(f[0], false, "long.example.com.", 16,
					&(struct dm_qopt){ .id = 8, .edns = true, .payload = 1232 }) };
	enqueue(f, len, 1);
	cr_assert_eq(poll_once(), 1);
	struct rte_mbuf *m[2];
	cr_assert_eq(dequeue(m, 2), 1);
	cr_assert_eq(m[0]->nb_segs, 1);
	struct dm_resp r;
	check_answer(m[0], false, 8, &r);
	cr_assert(r.tc);
	cr_assert_leq(m[0]->pkt_len, 14 + 20 + 8 + 1232);
	dm_resp_free(&r);
	rte_pktmbuf_free(m[0]);
}

Test(io_dpdk, arp_alone_sent_on_receive)
{
	/* no query in the burst: the worker calls no tx_burst, so the
	 * reply leaves from rx_burst itself */
	static uint8_t f[1][1500];
	size_t len[1] = { arp_request(f[0], server_ip4) };
	enqueue(f, len, 1);
	cr_assert_eq(poll_once(), 0);
	struct rte_mbuf *m[2];
	cr_assert_eq(dequeue(m, 2), 1);
	rte_pktmbuf_free(m[0]);
	check_stats(1, 1, 0);
}

/* EAL start-up through the backend, in a suite without the ring port. */
static void no_setup(void)
{
}

TestSuite(io_dpdk_eal, .init = no_setup);

/* io_dpdk_eal_init with EAL's test arguments and lcores (-l or --lcores
 * as one argument), or with hugepages when huge; 0 or -1 with err. */
static int eal_init_with(const char *lcores, bool huge, unsigned workers, unsigned *n,
			 char *err, size_t errcap)
{
	char prefix[64];
	snprintf(prefix, sizeof prefix, "--file-prefix=ringdns-test-%d", (int)getpid());
	char *args[] = { "--no-pci", "--no-shconf", prefix, (char *)lcores,
			 "--log-level=lib.*:error", "--no-huge", "-m", "256" };
	size_t nargs = sizeof args / sizeof *args - (huge ? 3 : 0);
	return io_dpdk_eal_init(args, nargs, workers, n, err, errcap);
}

/* EAL start-up with lcores and workers asked is refused with want. */
static void lcores_refused(const char *lcores, unsigned workers, const char *want)
{
	char err[1024];
	unsigned n = 0;
	cr_assert_eq(eal_init_with(lcores, false, workers, &n, err, sizeof err), -1);
	cr_assert(strstr(err, want), "want '%s' in '%s'", want, err);
}

Test(io_dpdk_eal, too_few_lcores)
{
	lcores_refused("-l0", 0, "DPDK: too few lcores: 1 worker asked, EAL has 0 lcores "
				 "besides the main one");
}

Test(io_dpdk_eal, more_workers_than_lcores)
{
	/* lcore 1 on CPU 0: runs on a machine with one CPU too */
	lcores_refused("--lcores=0,1@0", 2, "DPDK: too few lcores: 2 workers asked, EAL has 1 "
					   "lcore besides the main one");
}

static int set_flag(void *arg)
{
	*(int *)arg = 1;
	return 0;
}

Test(io_dpdk_eal, worker_lcore_launched_and_no_port_refused)
{
	char err[1024];
	unsigned n = 0;
	cr_assert_eq(eal_init_with("--lcores=0,1@0", false, 0, &n, err, sizeof err), 0, "%s", err);
	cr_assert_eq(n, 1);
	const struct wk_launcher *l = io_dpdk_launcher();
	static int ran;
	cr_assert_eq(l->start(l->ctx, 0, set_flag, &ran, err, sizeof err), 0, "%s", err);
	l->join(l->ctx, 0);
	cr_assert_eq(ran, 1);

	struct cfg_listen a;
	addr(&a, server_ip4);
	struct io_backend *b = NULL;
	struct io_conf conf = { .addrs = &a, .naddrs = 1, .queues = 1, .resp_cap = 1232 };
	cr_assert_eq(io_dpdk_ops()->init(&conf, &b, err, sizeof err), -1);
	cr_assert(strstr(err, "DPDK: EAL found no port; give one after '--'"), "%s", err);
	io_dpdk_eal_fini();
}

Test(io_dpdk_eal, no_hugepages)
{
	char err[1024];
	unsigned n = 0, free_pages = 0;
	glob_t g;
	if (glob("/sys/kernel/mm/hugepages/hugepages-*/free_hugepages", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			FILE *f = fopen(g.gl_pathv[i], "r");
			unsigned k = 0;
			if (f && fscanf(f, "%u", &k) == 1)
				free_pages += k;
			if (f)
				fclose(f);
		}
		globfree(&g);
	}
	if (free_pages)
		cr_skip_test("this machine has free hugepages");
	cr_assert_eq(eal_init_with("-l0", true, 0, &n, err, sizeof err), -1);
	cr_assert(strstr(err, "DPDK: no free hugepages; reserve some"), "%s", err);
}

/* ---- the worker loop on the port: the counters ringctl reports ---------- */

static struct wstats wst;
static struct rrl *wrrl;	/* the worker's rate limiter; NULL: none */

/* Runs the worker loop (worker.c) on a thread of its own until its queue
 * received nframes (already on the RX ring), checks its progress, and
 * stops it: the burst it received is answered and sent by then. */
static void run_worker(unsigned nframes)
{
	char err[256];
	static struct dp_run run;
	dp_run_init(&run, &root);
	struct wk_pool *p = wk_pool_new(&(struct wk_conf){ .ops = ops, .io = be, .n = 1,
							   .run = &run, .acfg = &acfg,
							   .stats = &wst, .rrl = wrrl });
	cr_assert_not_null(p);
	cr_assert_eq(wk_pool_idle_ms(p, 0), -1, "progress before the loop ran");
	cr_assert_eq(wk_pool_launch(p, false, err, sizeof err), 0, "%s", err);
	struct st_io st = { 0 };
	for (int i = 0; i < 5000 && st.rx < nframes; i++) {	/* 5 s at most */
		usleep(1000);
		io_dpdk_queue_stats(q, &st);
	}
	cr_assert_eq(st.rx, nframes);
	usleep(20000);
	double idle = wk_pool_idle_ms(p, 0);
	cr_assert(idle >= 0 && idle < IO_WAIT_MS * 5, "last progress %.1f ms ago", idle);
	wk_pool_free(p);
}

/* The port's own counters, as ringctl stats gets them. */
static struct st_port port_stats(void)
{
	struct io_dpdk_port_info pi;
	cr_assert_eq(io_dpdk_nports(be), 1);
	io_dpdk_port_info(be, 0, &pi);
	return pi.st;
}

Test(io_dpdk, worker_counts_every_frame_by_what_became_of_it)
{
	static uint8_t f[8][1500];
	uint8_t syn[4] = { 0 };
	size_t len[8] = {
		dns_frame(f[0], false, "www.example.com.", 1, 1),
		dns_frame(f[1], true, "nope.example.com.", 28, 2),
		/* no EDNS: 512 bytes at most, the TXT set is longer */
		dns_frame_opt(f[2], false, "big.example.com.", 16, &(struct dm_qopt){ .id = 3 }),
		/* QR set: a response, which the engine never answers */
		dns_frame_opt(f[3], false, "www.example.com.", 1,
			      &(struct dm_qopt){ .id = 4, .f1 = 0x80, .edns = true }),
		arp_request(f[4], server_ip4),
		ip_frame(f[5], false, 6, syn, 0, false),
		ip_frame(f[6], false, 17, syn, sizeof syn, true),
		/* a query cut inside its IPv4 header */
		30,
	};
	dns_frame(f[7], false, "www.example.com.", 1, 5);
	enqueue(f, len, 8);
	run_worker(8);

	struct rte_mbuf *m[8];
	cr_assert_eq(dequeue(m, 8), 4, "three answers and the ARP reply");
	rte_pktmbuf_free_bulk(m, 4);
	struct st_io io;
	io_dpdk_queue_stats(q, &io);
	cr_assert_eq(io.rx, 8);
	cr_assert_eq(io.tx, 4);
	cr_assert_eq(io.replied, 1);
	cr_assert_eq(io.punted, 1);
	cr_assert_eq(io.tx_full, 0);
	uint64_t want_drop[STD_COUNT] = { [STD_SHORT] = 1, [STD_BAD_CSUM] = 1, [STD_DNS] = 1 };
	for (int r = 0; r < STD_COUNT; r++)
		cr_assert_eq(io.dropped[r], want_drop[r], "dropped %s: %llu",
			     st_drop_str((enum st_drop)r), (unsigned long long)io.dropped[r]);

	cr_assert_eq(wst.queries[ST_UDP], 4);
	cr_assert_eq(wst.responses[ST_UDP], 3);
	cr_assert_eq(wst.dropped, 1);
	cr_assert_eq(wst.truncated, 1);
	uint64_t want_rcode[16] = { [0] = 2, [3] = 1 };
	for (int r = 0; r < 16; r++)
		cr_assert_eq(wst.rcode[r], want_rcode[r], "rcode %d", r);
	uint64_t want_qtype[STQ_COUNT] = { [STQ_A] = 1, [STQ_AAAA] = 1, [STQ_TXT] = 1 };
	for (int t = 0; t < STQ_COUNT; t++)
		cr_assert_eq(wst.qtype[t], want_qtype[t], "qtype %s",
			     st_qtype_str((enum st_qtype)t));

	/* the polls: at least one received the frames, and the busy cycles
	 * are a part of all cycles */
	cr_assert(io.busy_polls >= 1 && io.busy_polls <= io.polls, "%llu of %llu polls busy",
		  (unsigned long long)io.busy_polls, (unsigned long long)io.polls);
	cr_assert(io.busy_cycles > 0 && io.busy_cycles <= io.cycles, "%llu of %llu cycles busy",
		  (unsigned long long)io.busy_cycles, (unsigned long long)io.cycles);

	struct st_port ps = port_stats();
	cr_assert_eq(ps.rx_packets, 8);
	cr_assert_eq(ps.tx_packets, 4);
	cr_assert_eq(ps.rx_missed + ps.rx_errors + ps.rx_nombuf + ps.tx_errors, 0);
}

/* Response rate limiting in the worker loop on the DPDK backend: one
 * client's 20 identical queries at 5/s, slip 2. */
Test(io_dpdk, worker_rate_limits_responses)
{
	char err[256];
	wrrl = rrl_new(&(struct rrl_conf){ .rate = 5, .slip = 2, .v4_prefix = 24, .v6_prefix = 56,
					   .table_size = 64 },
		       err, sizeof err);
	cr_assert_not_null(wrrl, "%s", err);
	static uint8_t f[20][1500];
	size_t len[20];
	for (unsigned i = 0; i < 20; i++)
		len[i] = dns_frame(f[i], false, "www.example.com.", 1, (uint16_t)(100 + i));
	enqueue(f, len, 20);
	run_worker(20);
	struct rte_mbuf *m[20];
	unsigned n = dequeue(m, 20);
	cr_assert_eq(n, 5 + 7, "5 answers, then of 15 limited 7 truncated, 8 dropped");
	unsigned tc = 0;
	for (unsigned i = 0; i < n; i++) {
		struct dm_resp r;
		uint8_t fr[1500];
		size_t fl = rte_pktmbuf_pkt_len(m[i]);
		cr_assert_leq(fl, sizeof fr);
		memcpy(fr, rte_pktmbuf_mtod(m[i], uint8_t *), fl);
		check_frame(fr, fl, false, (uint16_t)get16(fr + 42), &r);
		cr_assert(r.tc ? r.nrr[DM_AN] == 0 : r.nrr[DM_AN] == 1, "TC=%d with %zu answers",
			  r.tc, r.nrr[DM_AN]);
		tc += r.tc;
		dm_resp_free(&r);
	}
	rte_pktmbuf_free_bulk(m, n);
	cr_assert_eq(tc, 7);
	cr_assert_eq(wst.rrl_slipped, 7);
	cr_assert_eq(wst.rrl_dropped, 8);
	cr_assert_eq(wst.responses[ST_UDP], 12);
	cr_assert_eq(wst.truncated, 7);
	cr_assert_eq(wst.dropped, 8);
	rrl_free(wrrl);
	wrrl = NULL;
}

Test(io_dpdk, full_tx_ring_counts_tx_full)
{
	/* the TX ring full already: the port takes nothing */
	static struct rte_mbuf *fill[256];
	unsigned nfill = rte_ring_free_count(txr);
	cr_assert_eq(rte_pktmbuf_alloc_bulk(pool, fill, nfill), 0);
	cr_assert_eq(rte_ring_enqueue_bulk(txr, (void **)fill, nfill, NULL), nfill);
	static uint8_t f[3][1500];
	size_t len[3] = { dns_frame(f[0], false, "www.example.com.", 1, 1),
			  dns_frame(f[1], true, "www.example.com.", 28, 2),
			  arp_request(f[2], server_ip4) };
	enqueue(f, len, 3);
	run_worker(3);

	cr_assert_eq(rte_ring_count(txr), nfill, "a frame went out");
	struct st_io io;
	io_dpdk_queue_stats(q, &io);
	cr_assert_eq(io.rx, 3);
	cr_assert_eq(io.tx, 0);
	cr_assert_eq(io.replied, 1);
	cr_assert_eq(io.tx_full, 3, "two answers and the ARP reply not taken");
	cr_assert_eq(wst.responses[ST_UDP], 2, "the engine answered both");
	cr_assert_eq(wst.dropped, 2, "the answers the port did not take");
	cr_assert_eq(port_stats().tx_packets, 0);
	while (rte_ring_dequeue(txr, (void **)&fill[0]) == 0)
		rte_pktmbuf_free(fill[0]);
}

Test(io_dpdk, port_name_mac_and_link)
{
	struct io_dpdk_port_info pi;
	cr_assert_eq(io_dpdk_nports(be), 1);
	io_dpdk_port_info(be, 0, &pi);
	cr_assert(strstr(pi.name, "ring0"), "%s", pi.name);
	cr_assert_eq(memcmp(pi.mac, server_mac, 6), 0);
	cr_assert(pi.link.known && pi.link.up, "the ring port's link is up once started");
	cr_assert_eq(pi.link.speed_mbps, 10000);
	char ls[64];
	st_link_str(&pi.link, ls, sizeof ls);
	cr_assert_str_eq(ls, "link up, 10000 Mb/s full-duplex");
	/* EAL has no worker lcore here */
	cr_assert_eq(io_dpdk_worker_lcore(0), -1);
}
