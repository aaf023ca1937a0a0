/*
 * dpdk_gen.c - a DPDK load generator: one process, one lcore, one port,
 * sending UDP DNS queries as fast as the port takes them or at a fixed
 * rate, and counting the answers by RCODE.  Its ports: a net_memif client
 * facing ringdns's net_memif server port, for the DPDK server's ceiling
 * past what a kernel path can carry (bench/dpdk.sh); a net_af_xdp port on
 * the client end of a veth pair, the fixed-rate generator of every
 * server's throughput and reload measurements (bench/server.sh).
 *
 *   dpdk_gen EAL-ARGS -- --queries FILE --dst IP --src IP [--seconds S]
 *            [--rate QPS] [--queues N] [--do PCT] [--linger S] [--arp-wait S]
 *
 * FILE has one query per line, "NAME TYPE" (dnsperf's format; TYPE a
 * mnemonic of the few below or TYPEnn).  Every query is encoded once, at
 * start, into a frame template (Ethernet, IPv4, UDP with its checksum,
 * DNS with an OPT record, the DO bit on PCT % of them); sending is a copy
 * of a template into a fresh mbuf.  The server's MAC is learnt with ARP
 * (asked until --arp-wait seconds, default 60, have passed), which checks
 * its ARP path on the way; the run starts once it answers.  Sends round-robin over N TX
 * queues (one per server lcore; the server polls queue i of every port
 * with lcore i) and receives from all of them.  At the end, after 300 ms
 * for the last answers, prints one line of key=value totals on stdout.
 * With --linger it then waits (up to S seconds) for the link to go down
 * before closing the port: DPDK 22.11's memif server side does not
 * survive its client leaving first, so the script stops the server first.
 * SIGUSR1 prints a line "mark sent=N answered=N" with the totals so far
 * (a measurement window is the difference of two marks).  At a fixed rate
 * the loop naps when it has nothing to send or receive, leaving its vCPU
 * to the kernel's receive work and the probes beside it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/pkt.h"

#define GEN_BURST 32
#define GEN_SLOT 192		/* bytes per frame template */
#define GEN_QMAX 16		/* queue pairs */
#define GEN_DESC 1024
#define GEN_POOL 32767
#define GEN_FRAME_HDR (14 + 20 + 8)
#define GEN_NAP_MAX_US 200	/* the longest nap at a fixed rate */

struct gen_conf {
	const char *queries, *dst, *src;
	double seconds, linger, arp_wait;
	uint64_t rate;		/* queries a second; 0: as fast as the port takes them */
	unsigned queues, do_pct;
};

struct gen_totals {
	uint64_t sent, answered, rcode[16], bad;
};

static volatile sig_atomic_t gen_stop, gen_mark;

static void gen_on_signal(int sig)
{
	if (sig == SIGUSR1)
		gen_mark = 1;
	else
		gen_stop = 1;
}

static void gen_die(const char *fmt, const char *arg)
{
	fprintf(stderr, "dpdk_gen: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

/* ---- frames ------------------------------------------------------------- */

static int qtype_of(const char *s)
{
	static const struct { const char *name; int type; } t[] = {
		{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
		{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 }, { "DS", 43 },
		{ "DNSKEY", 48 }, { "HTTPS", 65 }, { "ANY", 255 } };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcasecmp(s, t[i].name))
			return t[i].type;
	if (!strncasecmp(s, "TYPE", 4) && s[4])
		return atoi(s + 4);
	return -1;
}

/* NAME (presentation, no escapes) into wire form at w; its length, or 0. */
static size_t name_wire(const char *name, uint8_t *w, size_t cap)
{
	size_t n = 0;
	const char *p = name;
	while (*p && !(p[0] == '.' && !p[1])) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (!l || l > 63 || n + l + 2 > cap)
			return 0;
		w[n++] = (uint8_t)l;
		memcpy(w + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	w[n++] = 0;
	return n;
}

/* One query frame into f (GEN_SLOT bytes); its length, or 0. */
static size_t frame_build(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
			  uint32_t src, uint32_t dst, uint16_t sport, uint16_t id,
			  const char *name, int type, bool dnssec_ok)
{
	uint8_t *dns = f + GEN_FRAME_HDR;
	size_t cap = GEN_SLOT - GEN_FRAME_HDR;
	memset(f, 0, GEN_SLOT);
	/* header: ID, RD clear (an authoritative server's client), one
	 * question, one additional (OPT) */
	dns[0] = (uint8_t)(id >> 8), dns[1] = (uint8_t)id;
	dns[5] = 1, dns[11] = 1;
	size_t nl = name_wire(name, dns + 12, cap - 12 - 4 - 11);
	if (!nl)
		return 0;
	size_t n = 12 + nl;
	dns[n++] = (uint8_t)(type >> 8), dns[n++] = (uint8_t)type;
	dns[n++] = 0, dns[n++] = 1;
	/* OPT (RFC 6891 §6.1.2): root owner, payload 1232, DO per query */
	const uint8_t opt[11] = { 0, 0, 41, 1232 >> 8, 1232 & 0xff, 0, 0,
				  dnssec_ok ? 0x80 : 0, 0, 0, 0 };
	memcpy(dns + n, opt, sizeof opt);
	n += sizeof opt;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08, f[13] = 0x00;
	uint8_t *ip = f + 14, *udp = ip + 20;
	size_t iplen = 20 + 8 + n;
	ip[0] = 0x45, ip[2] = (uint8_t)(iplen >> 8), ip[3] = (uint8_t)iplen;
	ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	uint16_t c = pkt_csum_fold(pkt_csum_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
	udp[2] = 0, udp[3] = 53;
	udp[4] = (uint8_t)((8 + n) >> 8), udp[5] = (uint8_t)(8 + n);
	/* the UDP checksum over the pseudo-header (RFC 768) */
	uint32_t sum = pkt_csum_add(0, ip + 12, 8) + 17 + (uint32_t)(8 + n);
	c = pkt_csum_fold(pkt_csum_add(sum, udp, 8 + n));
	c = c ? c : 0xffff;
	udp[6] = (uint8_t)(c >> 8), udp[7] = (uint8_t)c;
	return 14 + iplen;
}

/* ---- the port ----------------------------------------------------------- */

static void port_start(uint16_t port, unsigned nq, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	if (rte_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf) < 0)
		gen_die("port 0: cannot configure %s queues", nq > 1 ? "its" : "one pair of");
	for (unsigned q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(port, (uint16_t)q, GEN_DESC, rte_socket_id(), NULL, pool) < 0 ||
		    rte_eth_tx_queue_setup(port, (uint16_t)q, GEN_DESC, rte_socket_id(), NULL) < 0)
			gen_die("port 0: cannot set up its queues%s", "");
	if (rte_eth_dev_start(port) < 0)
		gen_die("port 0: cannot start%s", "");
}

static bool link_up(uint16_t port)
{
	struct rte_eth_link l;
	return rte_eth_link_get_nowait(port, &l) == 0 && l.link_status;
}

/* Counts the answers in m[0..n) and frees them. */
static void count_rx(struct rte_mbuf **m, uint16_t n, struct gen_totals *t)
{
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *b = rte_pktmbuf_mtod(m[i], const uint8_t *);
		if (m[i]->data_len >= GEN_FRAME_HDR + 12 && b[12] == 0x08 && b[13] == 0 &&
		    b[14 + 9] == 17 && b[14 + 20 + 1] == 53 && (b[GEN_FRAME_HDR + 2] & 0x80)) {
			t->answered++;
			t->rcode[b[GEN_FRAME_HDR + 3] & 15]++;
		} else {
			t->bad++;
		}
	}
	rte_pktmbuf_free_bulk(m, n);
}

/* Receives from every queue; how many frames came. */
static unsigned poll_rx(uint16_t port, unsigned nq, struct gen_totals *t)
{
	struct rte_mbuf *m[GEN_BURST];
	unsigned got = 0;
	for (unsigned q = 0; q < nq; q++) {
		uint16_t n = rte_eth_rx_burst(port, (uint16_t)q, m, GEN_BURST);
		if (n)
			count_rx(m, n, t);
		got += n;
	}
	return got;
}

/* The server's MAC for dst, asked with ARP (RFC 826) until it answers
 * (wait seconds at most: a server may still be loading its zones). */
static void arp_resolve(uint16_t port, unsigned nq, struct rte_mempool *pool,
			const uint8_t smac[6], uint32_t src, uint32_t dst, double wait,
			uint8_t dmac[6])
{
	uint64_t hz = rte_get_tsc_hz(), end = rte_rdtsc() + (uint64_t)(wait * (double)hz), next = 0;
	while (!gen_stop && rte_rdtsc() < end) {
		if (rte_rdtsc() >= next && link_up(port)) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
			if (!m)
				gen_die("no mbuf for an ARP request%s", "");
			uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
			memset(f, 0, 60);
			memset(f, 0xff, 6);
			memcpy(f + 6, smac, 6);
			f[12] = 0x08, f[13] = 0x06;
			const uint8_t arp[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
			memcpy(f + 14, arp, 8);
			memcpy(f + 22, smac, 6);
			memcpy(f + 28, &src, 4);
			memcpy(f + 38, &dst, 4);
			m->data_len = m->pkt_len = 60;
			if (!rte_eth_tx_burst(port, 0, &m, 1))
				rte_pktmbuf_free(m);
			next = rte_rdtsc() + hz / 10;
		}
		struct rte_mbuf *r[GEN_BURST];
		for (unsigned q = 0; q < nq; q++) {
			uint16_t n = rte_eth_rx_burst(port, (uint16_t)q, r, GEN_BURST);
			for (uint16_t i = 0; i < n; i++) {
				const uint8_t *f = rte_pktmbuf_mtod(r[i], const uint8_t *);
				if (r[i]->data_len >= 42 && f[12] == 0x08 && f[13] == 0x06 &&
				    f[21] == 2 && !memcmp(f + 28, &dst, 4)) {
					memcpy(dmac, f + 22, 6);
					rte_pktmbuf_free_bulk(r, n);
					return;
				}
			}
			rte_pktmbuf_free_bulk(r, n);
		}
	}
	gen_die("no ARP reply from the server in --arp-wait seconds (link %s)",
		link_up(port) ? "up" : "down");
}

/* ---- the run ------------------------------------------------------------ */

/* The query file into templates; returns how many, *tmpl and *tlen set. */
static size_t load_queries(const struct gen_conf *c, const uint8_t dmac[6],
			   const uint8_t smac[6], uint32_t src, uint32_t dst,
			   uint8_t **tmpl, uint16_t **tlen)
{
	FILE *f = fopen(c->queries, "r");
	if (!f)
		gen_die("cannot read the query file %s", c->queries);
	size_t cap = 1 << 16, n = 0;
	uint8_t *t = malloc(cap * GEN_SLOT);
	uint16_t *l = malloc(cap * sizeof *l);
	char line[512], name[300], type[32];
	unsigned lineno = 0;
	while (t && l && fgets(line, sizeof line, f)) {
		lineno++;
		if (sscanf(line, "%299s %31s", name, type) != 2 || name[0] == ';' || name[0] == '#')
			continue;
		int qt = qtype_of(type);
		if (qt <= 0 || qt > 65535)
			gen_die("unknown query type in the query file: %s", type);
		if (n == cap) {
			cap *= 2;
			t = realloc(t, cap * GEN_SLOT);
			l = realloc(l, cap * sizeof *l);
			if (!t || !l)
				break;
		}
		/* DO on do_pct % of the queries, spread evenly */
		bool dnssec_ok = (n * c->do_pct) % 100 < c->do_pct;
		size_t len = frame_build(t + n * GEN_SLOT, dmac, smac, src, dst,
					 (uint16_t)(1024 + n % 60000), (uint16_t)n, name, qt, dnssec_ok);
		if (!len)
			gen_die("a name the generator cannot encode: %s", name);
		l[n++] = (uint16_t)len;
	}
	fclose(f);
	if (!t || !l)
		gen_die("out of memory reading %s", c->queries);
	if (!n)
		gen_die("no query in %s", c->queries);
	*tmpl = t;
	*tlen = l;
	return n;
}

/* Sends for c->seconds (or until a signal), receiving as it goes. */
static double run_load(const struct gen_conf *c, uint16_t port, struct rte_mempool *pool,
		       const uint8_t *tmpl, const uint16_t *tlen, size_t ntmpl,
		       struct gen_totals *t)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	uint64_t end = t0 + (uint64_t)(c->seconds * (double)hz), next_report = t0 + hz;
	size_t k = 0;
	unsigned q = 0;
	unsigned nap_us = c->rate ? (unsigned)(1e6 * GEN_BURST / 2 / (double)c->rate) : 0;
	nap_us = nap_us > GEN_NAP_MAX_US ? GEN_NAP_MAX_US : nap_us;
	struct rte_mbuf *m[GEN_BURST];
	while (!gen_stop) {
		uint64_t now = rte_rdtsc();
		if (now >= end)
			break;
		unsigned want = GEN_BURST;
		if (c->rate) {	/* what the rate allows by now */
			uint64_t due = (uint64_t)((double)(now - t0) * (double)c->rate / (double)hz);
			want = due > t->sent ? (unsigned)(due - t->sent < GEN_BURST ? due - t->sent
										: GEN_BURST) : 0;
		}
		if (want && rte_pktmbuf_alloc_bulk(pool, m, want) == 0) {
			for (unsigned i = 0; i < want; i++) {
				memcpy(rte_pktmbuf_mtod(m[i], uint8_t *), tmpl + k * GEN_SLOT, tlen[k]);
				m[i]->data_len = m[i]->pkt_len = tlen[k];
				k = k + 1 == ntmpl ? 0 : k + 1;
			}
			uint16_t sent = rte_eth_tx_burst(port, (uint16_t)q, m, (uint16_t)want);
			if (sent < want)
				rte_pktmbuf_free_bulk(m + sent, want - sent);
			t->sent += sent;
			q = q + 1 == c->queues ? 0 : q + 1;
		}
		/* at a fixed rate, with nothing due and the receive ring
		 * drained, the vCPU goes to the kernel's receive work (the
		 * veth's NAPI thread shares it) until about half a burst is
		 * due */
		unsigned got = poll_rx(port, c->queues, t);
		if (c->rate && !want && got < GEN_BURST)
			rte_delay_us_sleep(nap_us);
		if (gen_mark) {
			gen_mark = 0;
			printf("mark sent=%llu answered=%llu\n", (unsigned long long)t->sent,
			       (unsigned long long)t->answered);
			fflush(stdout);
		}
		if (now >= next_report) {
			fprintf(stderr, "dpdk_gen: %.0f s: sent %llu, answered %llu\n",
				(double)(now - t0) / (double)hz, (unsigned long long)t->sent,
				(unsigned long long)t->answered);
			next_report += hz;
		}
	}
	double secs = (double)(rte_rdtsc() - t0) / (double)hz;
	/* the answers still on their way */
	uint64_t drain = rte_rdtsc() + hz * 3 / 10;
	while (rte_rdtsc() < drain)
		poll_rx(port, c->queues, t);
	return secs;
}

static void usage(void)
{
	fprintf(stderr, "usage: dpdk_gen EAL-ARGS -- --queries FILE --dst IP --src IP "
			"[--seconds S] [--rate QPS] [--queues N] [--do PCT] [--linger S] "
			"[--arp-wait S]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct gen_conf *c)
{
	*c = (struct gen_conf){ .seconds = 10, .queues = 1, .arp_wait = 60 };
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--queries"))
			c->queries = v;
		else if (!strcmp(a, "--dst"))
			c->dst = v;
		else if (!strcmp(a, "--src"))
			c->src = v;
		else if (!strcmp(a, "--seconds"))
			c->seconds = atof(v);
		else if (!strcmp(a, "--rate"))
			c->rate = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--queues"))
			c->queues = (unsigned)atoi(v);
		else if (!strcmp(a, "--do"))
			c->do_pct = (unsigned)atoi(v);
		else if (!strcmp(a, "--linger"))
			c->linger = atof(v);
		else if (!strcmp(a, "--arp-wait"))
			c->arp_wait = atof(v);
		else
			usage();
	}
	if (!c->queries || !c->dst || !c->src || c->seconds <= 0 || !c->queues ||
	    c->queues > GEN_QMAX || c->do_pct > 100)
		usage();
}

int main(int argc, char **argv)
{
	int used = rte_eal_init(argc, argv);
	if (used < 0)
		gen_die("EAL: %s", rte_strerror(rte_errno));
	struct gen_conf c;
	argv[used] = argv[0];
	parse_args(argc - used, argv + used, &c);
	uint32_t src, dst;
	if (inet_pton(AF_INET, c.src, &src) != 1)
		gen_die("--src takes an IPv4 address (%s)", c.src);
	if (inet_pton(AF_INET, c.dst, &dst) != 1)
		gen_die("--dst takes an IPv4 address (%s)", c.dst);
	if (rte_eth_dev_count_avail() != 1)
		gen_die("wants exactly one port (a --vdev net_memif0,...)%s", "");
	signal(SIGINT, gen_on_signal);
	signal(SIGTERM, gen_on_signal);
	signal(SIGUSR1, gen_on_signal);

	uint16_t port = 0;
	struct rte_mempool *pool = rte_pktmbuf_pool_create("gen", GEN_POOL, 256, 0,
							   RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!pool)
		gen_die("no mbuf pool: %s", rte_strerror(rte_errno));
	port_start(port, c.queues, pool);
	struct rte_ether_addr a;
	rte_eth_macaddr_get(port, &a);
	uint8_t dmac[6];
	arp_resolve(port, c.queues, pool, a.addr_bytes, src, dst, c.arp_wait, dmac);

	uint8_t *tmpl;
	uint16_t *tlen;
	size_t ntmpl = load_queries(&c, dmac, a.addr_bytes, src, dst, &tmpl, &tlen);
	struct gen_totals t = { 0 };
	double secs = run_load(&c, port, pool, tmpl, tlen, ntmpl, &t);
	uint64_t other = t.answered - t.rcode[0] - t.rcode[3];
	printf("sent=%llu answered=%llu lost=%lld seconds=%.3f sent_per_s=%.0f "
	       "answered_per_s=%.0f noerror=%llu nxdomain=%llu other_rcode=%llu not_dns=%llu\n",
	       (unsigned long long)t.sent, (unsigned long long)t.answered,
	       (long long)t.sent - (long long)t.answered, secs, (double)t.sent / secs,
	       (double)t.answered / secs, (unsigned long long)t.rcode[0],
	       (unsigned long long)t.rcode[3], (unsigned long long)other,
	       (unsigned long long)t.bad);
	struct rte_eth_stats st;
	if (rte_eth_stats_get(port, &st) == 0)
		fprintf(stderr, "dpdk_gen: port: rx %llu, missed %llu, rx errors %llu, no mbuf %llu, "
				"tx %llu, tx errors %llu\n",
			(unsigned long long)st.ipackets, (unsigned long long)st.imissed,
			(unsigned long long)st.ierrors, (unsigned long long)st.rx_nombuf,
			(unsigned long long)st.opackets, (unsigned long long)st.oerrors);
	fflush(stdout);
	/* the server leaves first (see the header comment) */
	uint64_t hz = rte_get_tsc_hz(), end = rte_rdtsc() + (uint64_t)(c.linger * (double)hz);
	while (c.linger > 0 && link_up(port) && rte_rdtsc() < end)
		rte_delay_us_sleep(10000);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	free(tmpl);
	free(tlen);
	rte_eal_cleanup();
	return 0;
}
