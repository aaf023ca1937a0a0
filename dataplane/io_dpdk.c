/*
 * io_dpdk.c - the DPDK backend (io_dpdk.h; ops in io.h): EAL start, the
 * ports and their mbuf pools, and the per-packet moves of the fast path.
 *
 * Worker i owns queue pair i of every port and polls the ports in turn.
 * A received frame is classified on its bytes (pkt.c): a query to us
 * becomes a view whose response is written over the query in the same
 * mbuf (out == the query's own bytes; where a response may outgrow the
 * buffer, in a scratch slot of the queue's, sent in a chain of segments),
 * an ARP/ND/echo request is turned
 * into its reply in place and sent back as is, what pkt.c calls an
 * exception (TCP, fragments, other protocols) is punted to the kernel on
 * the exception port (a TAP) within a per-lcore rate, the rest is counted
 * and freed.  What the kernel writes on the TAP leaves through the first
 * NIC port.  On transmit pkt_udp_reply turns each answered frame around
 * (addresses, ports, lengths, checksums: the UDP one by the port where it
 * offers the offload for IPv4), then one rte_eth_tx_burst; what the port
 * does not take is freed and counted.  Each queue counts what it did with
 * its frames (struct st_io, written by its lcore only: relaxed stores, as
 * the worker's counters); the main lcore reads them, and each port's own
 * counters and link, when ringctl asks.  Nothing is allocated, locked,
 * logged or asked of the kernel per packet; the idle back-off of wait()
 * sleeps only after a run of empty polls.
 */
#include "dataplane/io_dpdk.h"

#include <arpa/inet.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "common/log.h"
#include "dataplane/stats.h"
#include "dataplane/tsan.h"

#define IO_DPDK_RX_DESC 1024
#define IO_DPDK_TX_DESC 1024
#define IO_DPDK_POOL_CACHE 256
/* The most L2-L4 header bytes in front of a DNS message the fast path
 * answers: Ethernet, one 802.1Q tag, IPv6 without extension headers
 * (those go to the exception path), UDP. */
#define IO_DPDK_HDR_MAX (14 + 4 + 40 + 8)
#define IO_DPDK_IDLE_SPIN 1024	/* empty polls before wait() sleeps */
#define IO_DPDK_IDLE_SLEEP_US 50
#define IO_DPDK_MIN_CAP 512	/* the engine's least response room */
/* What one lcore hands the kernel (the exception path): a token bucket
 * of IO_DPDK_PUNT_BURST frames refilled at IO_DPDK_PUNT_RATE frames a
 * second, so a flood of non-DNS frames costs the fast path a counter
 * increment per frame, not a TAP write. */
#define IO_DPDK_PUNT_RATE 10000
#define IO_DPDK_PUNT_BURST 128
/* The TAP is read (a syscall) once every this many polls of the NIC. */
#define IO_DPDK_KERNEL_POLL 16
#define IO_DPDK_NO_PORT UINT16_MAX

_Static_assert(CFG_ADDRESS_MAX == PKT_ADDR_MAX, "cfg and pkt disagree on the addresses");
_Static_assert(sizeof(((struct io_dpdk_port_info *)0)->name) >= RTE_ETH_NAME_MAX_LEN,
	       "a port name does not fit");

struct io_dpdk_port {
	uint16_t id;
	bool udp4_offload;	/* the port computes IPv4 UDP checksums */
	bool multi_seg;		/* the port sends chained mbufs */
	struct pkt_self self;	/* its MAC, the addresses answered for */
};

struct io_queue {
	const struct io_dpdk_port *port;	/* the backend's [nports] */
	uint16_t nports;
	uint16_t qid;			/* this queue pair's index on every port */
	uint16_t next;			/* the port polled first next time */
	uint16_t cur;			/* the port of the burst last received */
	unsigned ntx;			/* frames in tx: replies, then answers */
	unsigned nreply;		/* how many of them are replies */
	unsigned idle;			/* empty polls in a row */
	uint16_t exc;			/* the exception port, IO_DPDK_NO_PORT: none */
	unsigned npunt;			/* frames in punt */
	unsigned kpoll;			/* polls until the exception port's next read */
	uint64_t credit;		/* the punt bucket, in TSC cycles */
	uint64_t last;			/* the TSC when credit was last refilled */
	uint64_t cost;			/* cycles of credit one punted frame takes */
	uint64_t credit_max;		/* IO_DPDK_PUNT_BURST frames of credit */
	uint64_t t_poll;		/* the TSC when the last poll began (0: none yet) */
	size_t resp_cap;		/* the most response bytes the engine writes */
	size_t slot;			/* bytes of a scratch slot: headers and resp_cap */
	uint8_t *scratch;		/* [IO_BURST] slots, for views whose response may
					   not fit their mbuf */
	uint32_t big;			/* bit i: view i is answered in slot i */
	uint64_t t_busy;		/* the TSC when the busy poll under way began */
	struct rte_mbuf *punt[IO_BURST];
	struct rte_mbuf *dns[IO_BURST];	/* the mbuf of view i */
	struct pkt_view view[IO_BURST];
	struct rte_mbuf *tx[2 * IO_BURST];
	struct st_io st;
} __attribute__((aligned(64)));

struct io_backend {
	unsigned nq;
	uint16_t nports;		/* set up (some maybe half) */
	struct io_dpdk_port *port;
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];
	struct io_queue *q;		/* [nq] */
	uint16_t exc;			/* the exception port, IO_DPDK_NO_PORT: none */
	bool exc_made;			/* exc is the TAP init made (removed at fini) */
	bool exc_started;		/* exc started by init (stopped at fini) */
	char exc_vdev[RTE_ETH_NAME_MAX_LEN];
};

static char **eal_argv;
static char exc_name[RTE_ETH_NAME_MAX_LEN];	/* io_dpdk_exception_port */
		/* EAL may keep pointers into it: freed at fini */

/* ---- EAL ----------------------------------------------------------------- */

/* Free hugepages of every size (start-up only: reads sysfs). */
static unsigned long hugepages_free(void)
{
	glob_t g;
	unsigned long total = 0;
	if (glob("/sys/kernel/mm/hugepages/hugepages-*/free_hugepages", 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		unsigned long n = 0;
		if (f && fscanf(f, "%lu", &n) == 1)
			total += n;
		if (f)
			fclose(f);
	}
	globfree(&g);
	return total;
}

static bool has_arg(char *const *args, size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(args[i], want) == 0)
			return true;
	return false;
}

/* EAL leaves its runtime directory (/var/run/dpdk/PREFIX) behind, empty
 * with --no-shconf or --in-memory once its telemetry socket is unlinked
 * at exit: removed at exit after that (atexit runs last what it got
 * first), when empty. */
static char runtime_dir[PATH_MAX];

static void runtime_dir_remove(void)
{
	if (runtime_dir[0])
		rmdir(runtime_dir);
}

/*
 * The ports closed (every one EAL probed, also those the backend never set
 * up: a start that failed before), but EAL's memory left to the process's
 * exit: not rte_eal_cleanup.  In DPDK 22.11 EAL's interrupt thread outlives
 * that cleanup; woken by a source going away (a net_memif's socket as its
 * port closes, a library's destructor at exit), it walks its sources again,
 * in memory the cleanup had unmapped, and the process crashed at exit (in
 * one start of 4 to 30 with every thread on one CPU).  The process exits
 * right after this: the kernel takes back the memory; hugepage files, the
 * one thing left on disk, EAL leaves with or without the cleanup.  Call
 * it only on the way out.
 */
void io_dpdk_eal_fini(void)
{
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid)
		rte_eth_dev_close(pid);
	/* eal_argv stays: EAL keeps pointers into it */
}

int io_dpdk_eal_init(char *const *args, size_t nargs, unsigned workers, unsigned *nworkers,
		     char *err, size_t errcap)
{
	if (!has_arg(args, nargs, "--no-huge") && hugepages_free() == 0) {
		snprintf(err, errcap, "DPDK: no free hugepages; reserve some (echo 512 > "
			 "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages, and mount "
			 "hugetlbfs), or for a test give EAL --no-huge -m 256");
		return -1;
	}
	eal_argv = calloc(nargs + 2, sizeof *eal_argv);
	if (!eal_argv) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	eal_argv[0] = "ringdns";
	memcpy(eal_argv + 1, args, nargs * sizeof *args);
	atexit(runtime_dir_remove);
	if (rte_eal_init((int)nargs + 1, eal_argv) < 0) {
		snprintf(err, errcap, "DPDK EAL init failed: %s (check the EAL arguments after "
			 "'--'; EAL's own messages above say more)", rte_strerror(rte_errno));
		free(eal_argv);
		eal_argv = NULL;
		return -1;
	}
	snprintf(runtime_dir, sizeof runtime_dir, "%s", rte_eal_get_runtime_dir());
	unsigned have = rte_lcore_count() - 1;
	if (have == 0 || workers > have) {
		snprintf(err, errcap, "DPDK: too few lcores: %u worker%s asked, EAL has %u lcore%s "
			 "besides the main one (which runs the control loop); give more with -l "
			 "(e.g. -l 0-%u) or lower --workers", workers ? workers : 1,
			 workers > 1 ? "s" : "", have, have == 1 ? "" : "s",
			 workers ? workers : 1);
		io_dpdk_eal_fini();
		return -1;
	}
	*nworkers = workers ? workers : have;
	return 0;
}

/* ---- the launcher -------------------------------------------------------- */

/* The i-th worker lcore, RTE_MAX_LCORE when there is none. */
static unsigned worker_lcore(unsigned i)
{
	unsigned lc, k = 0;
	RTE_LCORE_FOREACH_WORKER(lc)
		if (k++ == i)
			return lc;
	return RTE_MAX_LCORE;
}

/* What runs on each lcore: fn(arg), between the edges EAL's launch and
 * wait give (tsan.h: EAL's lcore hand-over is invisible to TSan). */
struct lcore_job {
	int (*fn)(void *);
	void *arg;
};

static struct lcore_job lcore_jobs[RTE_MAX_LCORE];

static int lcore_run(void *arg)
{
	struct lcore_job *j = arg;
	TSAN_ACQUIRE(j);
	int rc = j->fn(j->arg);
	TSAN_RELEASE(j);
	return rc;
}

static int lcore_start(void *ctx, unsigned i, int (*fn)(void *), void *arg, char *err,
		       size_t errcap)
{
	(void)ctx;
	unsigned lc = worker_lcore(i);
	int rc = -ENODEV;
	if (lc < RTE_MAX_LCORE) {
		lcore_jobs[lc] = (struct lcore_job){ fn, arg };
		TSAN_RELEASE(&lcore_jobs[lc]);
		rc = rte_eal_remote_launch(lcore_run, &lcore_jobs[lc], lc);
	}
	if (rc != 0)
		snprintf(err, errcap, "DPDK: cannot start worker %u on lcore %u: %s", i, lc,
			 rte_strerror(-rc));
	return rc ? -1 : 0;
}

static void lcore_join(void *ctx, unsigned i)
{
	(void)ctx;
	unsigned lc = worker_lcore(i);
	rte_eal_wait_lcore(lc);
	if (lc < RTE_MAX_LCORE)
		TSAN_ACQUIRE(&lcore_jobs[lc]);
}

static const struct wk_launcher launcher = { .start = lcore_start, .join = lcore_join };

const struct wk_launcher *io_dpdk_launcher(void)
{
	return &launcher;
}

/* ---- receive ------------------------------------------------------------- */

/* Frees the frames of q->tx the port did not take (from sent on) and
 * counts them; returns how many of those were answers. */
static unsigned tx_flush(struct io_queue *q)
{
	uint16_t sent = rte_eth_tx_burst(q->port[q->cur].id, q->qid, q->tx, (uint16_t)q->ntx);
	unsigned lost = 0;
	ST_ADD(q->st.tx, sent);
	if (sent < q->ntx) {
		rte_pktmbuf_free_bulk(q->tx + sent, q->ntx - sent);
		ST_ADD(q->st.tx_full, q->ntx - sent);
		lost = q->ntx - (sent > q->nreply ? sent : q->nreply);
	}
	q->ntx = q->nreply = 0;
	return lost;
}

_Static_assert(PKT_DROP_COUNT == 5, "a new drop reason of pkt.c needs its counter");

/* The counter of a drop reason of pkt.c. */
static enum st_drop drop_reason(uint8_t d)
{
	switch (d) {
	case PKT_DROP_SHORT:
		return STD_SHORT;
	case PKT_DROP_BAD_IP:
		return STD_BAD_IP;
	case PKT_DROP_BAD_CSUM:
		return STD_BAD_CSUM;
	default:	/* PKT_DROP_NOT_OURS (PKT_DROP_NONE comes with no drop) */
		return STD_NOT_OURS;
	}
}

/* ---- the exception path ------------------------------------------------- */

/* Whether the punt bucket has a frame's credit left (and takes it); the
 * TSC, not the kernel, tells the time. */
static bool punt_take(struct io_queue *q)
{
	if (q->exc == IO_DPDK_NO_PORT)
		return false;
	uint64_t now = rte_rdtsc();
	q->credit += now - q->last;
	q->last = now;
	if (q->credit > q->credit_max)
		q->credit = q->credit_max;
	if (q->credit < q->cost)
		return false;
	q->credit -= q->cost;
	return true;
}

/* Hands the frames punted from this burst to the kernel (queue qid of the
 * exception port); what it does not take is freed and counted. */
static void punt_flush(struct io_queue *q)
{
	uint16_t sent = rte_eth_tx_burst(q->exc, q->qid, q->punt, (uint16_t)q->npunt);
	ST_ADD(q->st.punted, sent);
	if (sent < q->npunt) {
		rte_pktmbuf_free_bulk(q->punt + sent, q->npunt - sent);
		ST_ADD(q->st.punt_dropped, q->npunt - sent);
	}
	q->npunt = 0;
}

/* Every IO_DPDK_KERNEL_POLL polls: what the kernel sent on queue qid of
 * the exception port (TCP, ARP requests, ICMP errors, SSH, BGP) leaves
 * through the first NIC port, whose MAC the TAP carries.  The worker
 * owning queue pair qid of both ports does it: one poller per queue, no
 * lock, and the main lcore stays off the packet path. */
static void kernel_forward(struct io_queue *q)
{
	struct rte_mbuf *m[IO_BURST];
	if (q->exc == IO_DPDK_NO_PORT || q->kpoll--)
		return;
	q->kpoll = IO_DPDK_KERNEL_POLL - 1;
	uint16_t n = rte_eth_rx_burst(q->exc, q->qid, m, IO_BURST);
	if (!n)
		return;
	for (uint16_t i = 0; i < n; i++)
		m[i]->ol_flags = 0;
	uint16_t sent = rte_eth_tx_burst(q->port[0].id, q->qid, m, n);
	ST_ADD(q->st.tx, sent);
	if (sent < n) {
		rte_pktmbuf_free_bulk(m + sent, n - sent);
		ST_ADD(q->st.tx_full, n - sent);
	}
}

/* ---- receive, continued -------------------------------------------------- */

/* One received frame: a query becomes view b->n, a reply waits in q->tx,
 * anything else is counted and freed. */
static void rx_one(struct io_queue *q, const struct io_dpdk_port *p, struct rte_mbuf *m,
		   struct io_burst *b)
{
	uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
	size_t cap = (size_t)m->buf_len - m->data_off;	/* writable from buf */
	struct pkt_view v = { 0 };
	/* a frame in several segments is larger than the pool's buffers,
	 * which hold every query the fast path answers: not ours */
	enum pkt_kind k = m->nb_segs == 1 ? pkt_classify(&p->self, buf, m->data_len, cap, &v)
					  : PKT_EXCEPTION;
	size_t room = k == PKT_DNS ? cap - v.dns_off : 0;
	bool big = k == PKT_DNS && room < q->resp_cap && p->multi_seg;
	if (k == PKT_DNS && !big && room < IO_DPDK_MIN_CAP) {
		/* a foreign buffer too small to answer in */
		ST_INC(q->st.dropped[STD_NO_ROOM]);
		rte_pktmbuf_free(m);
		return;
	}
	switch (k) {
	case PKT_DNS: {
		unsigned i = b->n++;
		q->dns[i] = m;
		q->view[i] = v;
		if (big) {
			/* the response may outgrow the buffer: the frame is answered
			 * in slot i, then sent in as many segments as it takes */
			buf = q->scratch + i * q->slot;
			memcpy(buf, rte_pktmbuf_mtod(m, uint8_t *), (size_t)v.dns_off + v.dns_len);
			room = q->resp_cap;
			q->big |= 1u << i;
		}
		/* a port that cannot chain truncates what passes its buffer (TC) */
		const uint8_t *udp = buf + v.l4_off;
		uint8_t kind = v.ipv6 ? ANS_PEER_IP16 : ANS_PEER_IP4;
		b->req[i] = (struct ans_req){
			.q = buf + v.dns_off, .qlen = v.dns_len,
			/* the IP source and destination addresses (read for a
			 * NOTIFY and dnstap) and the UDP ports, in the frame
			 * until the reply swaps them at transmit */
			.peer_kind = kind, .peer = buf + v.l3_off + (v.ipv6 ? 8 : 12),
			.local_kind = kind, .local = buf + v.l3_off + (v.ipv6 ? 24 : 16),
			.peer_port = (uint16_t)(udp[0] << 8 | udp[1]),
			.local_port = (uint16_t)(udp[2] << 8 | udp[3]) };
		b->out[i] = buf + v.dns_off;	/* answered in place */
		b->cap[i] = room;
		b->len[i] = 0;
		return;
	}
	case PKT_REPLY:
		m->data_len = v.reply_len;
		m->pkt_len = v.reply_len;
		m->ol_flags = 0;
		q->tx[q->ntx++] = m;
		ST_INC(q->st.replied);
		return;
	case PKT_EXCEPTION:
		if (punt_take(q)) {
			q->punt[q->npunt++] = m;
			return;
		}
		ST_INC(q->st.punt_dropped);
		break;
	default:
		ST_INC(q->st.dropped[drop_reason(v.drop)]);
		break;
	}
	rte_pktmbuf_free(m);
}

/* Counts a poll that begins at TSC now: the cycles since the last. */
static void poll_begin(struct io_queue *q, uint64_t now)
{
	if (q->t_poll)
		ST_ADD(q->st.cycles, now - q->t_poll);
	q->t_poll = now;
	ST_INC(q->st.polls);
}

/* Ends a poll that received frames: its cycles are busy ones. */
static void poll_busy_end(struct io_queue *q)
{
	uint64_t now = rte_rdtsc();
	ST_ADD(q->st.busy_cycles, now - q->t_busy);
	ST_ADD(q->st.cycles, now - q->t_poll);
	q->t_poll = now;
}

static unsigned dpdk_rx_burst(struct io_queue *q, struct io_burst *b)
{
	struct rte_mbuf *m[IO_BURST];
	uint16_t n = 0;
	uint64_t now = rte_rdtsc();
	poll_begin(q, now);
	b->n = 0;
	q->big = 0;
	for (uint16_t k = 0; k < q->nports && !n; k++) {
		q->cur = q->next;
		q->next = (uint16_t)(q->next + 1 == q->nports ? 0 : q->next + 1);
		n = rte_eth_rx_burst(q->port[q->cur].id, q->qid, m, IO_BURST);
	}
	ST_ADD(q->st.rx, n);
	if (n) {
		ST_INC(q->st.busy_polls);
		q->t_busy = now;
	}
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
	for (uint16_t i = 0; i < n; i++)
		rx_one(q, &q->port[q->cur], m[i], b);
	if (q->npunt)
		punt_flush(q);
	kernel_forward(q);
	if (!b->n && q->ntx)
		tx_flush(q);	/* replies only: no tx_burst follows */
	if (n && !b->n)
		poll_busy_end(q);	/* nothing for the engine: the poll ends here */
	q->idle = n ? 0 : q->idle + 1;
	return b->n;
}

/* Polls once more, then backs off: a pause while the port was quiet for
 * a short while, a short sleep after that (the worker is RCU-offline
 * here, and notices a stop within one sleep). */
static unsigned dpdk_wait(struct io_queue *q, struct io_burst *b)
{
	unsigned n = dpdk_rx_burst(q, b);
	if (n || !q->idle)
		return n;
	if (q->idle < IO_DPDK_IDLE_SPIN)
		rte_pause();
	else
		rte_delay_us_sleep(IO_DPDK_IDLE_SLEEP_US);
	return 0;
}

/* ---- transmit ------------------------------------------------------------ */

_Static_assert(IO_BURST <= 32, "q->big has a bit per view");

/* The answer of view i, in its scratch slot: the frame turned around there
 * (checksums in software), then copied into m and as many more buffers of
 * m's pool as it needs, chained.  -1 when the pool ran dry (m freed). */
static int seg_fill(struct io_queue *q, unsigned i, struct rte_mbuf *m, size_t dns_len)
{
	uint8_t *f = q->scratch + i * q->slot;
	size_t len = pkt_udp_reply(f, &q->view[i], dns_len, false);
	struct rte_mbuf *seg = m;
	size_t done = 0;
	m->ol_flags = 0;
	for (;;) {
		size_t room = (size_t)seg->buf_len - seg->data_off;
		size_t n = len - done < room ? len - done : room;
		memcpy(rte_pktmbuf_mtod(seg, uint8_t *), f + done, n);
		seg->data_len = (uint16_t)n;
		done += n;
		if (done == len)
			break;
		struct rte_mbuf *next = rte_pktmbuf_alloc(m->pool);
		if (!next) {
			rte_pktmbuf_free(m);	/* the chain so far */
			return -1;
		}
		seg->next = next;
		seg = next;
		m->nb_segs++;
	}
	m->pkt_len = (uint32_t)len;
	return 0;
}

static unsigned dpdk_tx_burst(struct io_queue *q, struct io_burst *b)
{
	const struct io_dpdk_port *p = &q->port[q->cur];
	unsigned unsent = 0;	/* answers the engine wrote that cannot leave */
	q->nreply = q->ntx;
	for (unsigned i = 0; i < b->n; i++) {
		struct rte_mbuf *m = q->dns[i];
		const struct pkt_view *v = &q->view[i];
		if (!b->len[i]) {	/* the engine's drop (also in the worker's counters) */
			ST_INC(q->st.dropped[STD_DNS]);
			rte_pktmbuf_free(m);
			continue;
		}
		if (q->big >> i & 1) {
			if (seg_fill(q, i, m, b->len[i]) != 0) {
				ST_INC(q->st.dropped[STD_NO_MBUF]);
				unsent++;
				continue;
			}
			q->tx[q->ntx++] = m;
			continue;
		}
		bool offload = p->udp4_offload && !v->ipv6;
		size_t len = pkt_udp_reply(rte_pktmbuf_mtod(m, uint8_t *), v, b->len[i], offload);
		m->data_len = (uint16_t)len;
		m->pkt_len = (uint32_t)len;
		m->ol_flags = offload ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM : 0;
		m->l2_len = v->l3_off;
		m->l3_len = (uint16_t)(v->l4_off - v->l3_off) & 0x1ff;
		q->tx[q->ntx++] = m;
	}
	unsent += tx_flush(q);
	poll_busy_end(q);
	return unsent;
}

/* ---- set-up -------------------------------------------------------------- */

/* The addresses answered for, into self (its MAC is the port's). */
static int self_init(const struct io_conf *conf, struct pkt_self *self, char *err,
		     size_t errcap)
{
	memset(self, 0, sizeof *self);
	self->port = CFG_DNS_PORT;
	for (size_t i = 0; i < conf->naddrs; i++) {
		const struct cfg_listen *a = &conf->addrs[i];
		bool v4 = a->addr.ss_family == AF_INET;
		if ((v4 ? self->nv4 : self->nv6) == PKT_ADDR_MAX) {
			snprintf(err, errcap, "DPDK: more than %d IPv%c addresses", PKT_ADDR_MAX,
				 v4 ? '4' : '6');
			return -1;
		}
		if (v4)
			memcpy(self->v4[self->nv4++],
			       &((const struct sockaddr_in *)&a->addr)->sin_addr, 4);
		else
			memcpy(self->v6[self->nv6++],
			       &((const struct sockaddr_in6 *)&a->addr)->sin6_addr, 16);
		self->port = ntohs(((const struct sockaddr_in *)&a->addr)->sin_port);
	}
	return 0;
}

/* The NUMA socket of a port (the main lcore's where it has none). */
static int port_socket(uint16_t pid)
{
	int s = rte_eth_dev_socket_id(pid);
	return s >= 0 && s < RTE_MAX_NUMA_NODES ? s : (int)rte_socket_id();
}

/*
 * An mbuf pool on every NUMA socket with a port, of DPDK's usual 2 KB
 * buffers: a query and most responses fit one; a longer response (a
 * max-udp-payload above about 1900) is sent in a chain of them where the
 * port can send chains, and truncated (TC) where it cannot.
 */
static int pools_init(struct io_backend *be, char *err, size_t errcap)
{
	size_t room = RTE_MBUF_DEFAULT_BUF_SIZE;
	unsigned ports_on[RTE_MAX_NUMA_NODES] = { 0 };
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid)
		ports_on[port_socket(pid)]++;
	if (!exc_name[0])	/* the TAP init makes later, on the main lcore's socket */
		ports_on[rte_socket_id()]++;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (!ports_on[s])
			continue;
		unsigned n = ports_on[s] * be->nq * (IO_DPDK_RX_DESC + IO_DPDK_TX_DESC + 2 * IO_BURST) +
			     (be->nq + 1) * IO_DPDK_POOL_CACHE;
		char name[RTE_MEMPOOL_NAMESIZE];
		snprintf(name, sizeof name, "ringdns_%d", s);
		be->pool[s] = rte_pktmbuf_pool_create(name, n, IO_DPDK_POOL_CACHE, 0,
						      (uint16_t)room, s);
		if (!be->pool[s]) {
			snprintf(err, errcap, "DPDK: cannot make %u packet buffers of %zu bytes (%zu "
				 "MiB) on NUMA socket %d: %s; give EAL more memory (-m, "
				 "--socket-mem)", n, room,
				 (size_t)n * room >> 20, s, rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

/* The port's configuration: RSS over nq queues, the UDP checksum offload
 * and chained buffers on transmit, each where the port has it. */
static void port_conf(const struct rte_eth_dev_info *info, unsigned nq, struct rte_eth_conf *c,
		      bool *udp4_offload, bool *multi_seg)
{
	memset(c, 0, sizeof *c);
	if (nq > 1 && info->flow_type_rss_offloads) {
		uint64_t hf = info->flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
		c->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		c->rx_adv_conf.rss_conf.rss_hf = hf ? hf : info->flow_type_rss_offloads;
	}
	*udp4_offload = (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
	if (*udp4_offload)
		c->txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	*multi_seg = (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	if (*multi_seg)
		c->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
}

/* The port's link now, without waiting for it to settle. */
static struct st_link port_link(uint16_t pid)
{
	struct rte_eth_link link;
	if (rte_eth_link_get_nowait(pid, &link) != 0)
		return (struct st_link){ 0 };
	bool speed = link.link_speed != RTE_ETH_SPEED_NUM_NONE &&
		     link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN;
	return (struct st_link){ .known = 1, .up = link.link_status,
				 .speed_mbps = speed ? link.link_speed : 0,
				 .full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX };
}

/* Logs what a started port is: its name, MAC, link and offloads. */
static void port_log(const struct io_dpdk_port *p, const char *name, unsigned nq, bool rss)
{
	struct st_link link = port_link(p->id);
	char ls[64];
	st_link_str(&link, ls, sizeof ls);
	const uint8_t *m = p->self.mac;
	log_info("DPDK port %u (%s, %02x:%02x:%02x:%02x:%02x:%02x): %s; %u queue pair%s%s; "
		 "UDP checksums %s; %s", p->id, name, m[0], m[1], m[2], m[3], m[4], m[5], ls, nq,
		 nq == 1 ? "" : "s", nq > 1 ? (rss ? ", RSS"
				     : ", no RSS offload: the device spreads flows itself or "
				       "queue 0 gets them all")
					    : "",
		 p->udp4_offload ? "by the port (IPv4)" : "in software",
		 p->multi_seg ? "long responses in chained buffers"
			      : "no chained buffers: responses longer than a buffer truncated (TC)");
}

/* Configures port p->id with nq queue pairs on pool and starts it. */
static int port_start(struct io_dpdk_port *p, unsigned nq, struct rte_mempool *pool, char *err,
		      size_t errcap)
{
	char name[RTE_ETH_NAME_MAX_LEN] = "?";
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	rte_eth_dev_get_name_by_port(p->id, name);
	int rc = rte_eth_dev_info_get(p->id, &info);
	if (rc == 0 && (nq > info.max_rx_queues || nq > info.max_tx_queues)) {
		snprintf(err, errcap, "DPDK port %u (%s) has %u RX and %u TX queues; %u workers need "
			 "one pair each: give fewer worker lcores or --workers", p->id, name,
			 info.max_rx_queues, info.max_tx_queues, nq);
		return -1;
	}
	if (rc == 0) {
		port_conf(&info, nq, &conf, &p->udp4_offload, &p->multi_seg);
		rc = rte_eth_dev_configure(p->id, (uint16_t)nq, (uint16_t)nq, &conf);
	}
	uint16_t nrx = IO_DPDK_RX_DESC, ntx = IO_DPDK_TX_DESC;
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nrx, &ntx);
	unsigned socket = (unsigned)port_socket(p->id);
	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->id, q, nrx, socket, NULL, pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->id, q, ntx, socket, NULL);
	}
	if (rc == 0)
		rc = rte_eth_macaddr_get(p->id, (struct rte_ether_addr *)p->self.mac);
	if (rc == 0)
		rc = rte_eth_dev_start(p->id);
	if (rc != 0) {
		snprintf(err, errcap, "DPDK port %u (%s) cannot start: %s", p->id, name,
			 rte_strerror(rc < 0 ? -rc : rc));
		return -1;
	}
	port_log(p, name, nq, conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS);
	return 0;
}

/* The exception port: the one named by io_dpdk_exception_port, else a
 * TAP made here whose kernel interface (rdnsP, P the first NIC port)
 * carries the first NIC port's MAC; started with a queue pair per
 * worker.  virtio-user (needs /dev/vhost-net) is named the same way. */
static int exc_open(struct io_backend *be, char *err, size_t errcap)
{
	uint16_t pid;
	if (exc_name[0]) {
		if (rte_eth_dev_get_port_by_name(exc_name, &pid) != 0) {
			snprintf(err, errcap, "DPDK: no port named %s for the exception path; give "
				 "it to EAL (--vdev %s,...)", exc_name, exc_name);
			return -1;
		}
		be->exc = pid;
		return 0;
	}
	const uint8_t *m = be->port[0].self.mac;
	char args[128];
	snprintf(be->exc_vdev, sizeof be->exc_vdev, "net_tap_rdns%u", be->port[0].id);
	snprintf(args, sizeof args, "iface=rdns%u,mac=%02x:%02x:%02x:%02x:%02x:%02x",
		 be->port[0].id, m[0], m[1], m[2], m[3], m[4], m[5]);
	int rc = rte_vdev_init(be->exc_vdev, args);
	be->exc_made = rc == 0;
	if (rc == 0 && rte_eth_dev_get_port_by_name(be->exc_vdev, &pid) != 0)
		rc = -ENODEV;
	if (rc != 0) {
		snprintf(err, errcap, "DPDK: cannot make the exception path's TAP (%s,%s): %s; "
			 "it needs /dev/net/tun and CAP_NET_ADMIN", be->exc_vdev, args,
			 rte_strerror(rc < 0 ? -rc : rc));
		return -1;
	}
	be->exc = pid;
	log_info("DPDK exception path: TAP rdns%u (%s) for what the fast path does not answer; "
		 "give it this host's addresses and bring it up (ip addr add ADDR dev rdns%u; ip "
		 "link set rdns%u up) so the kernel serves TCP, SSH, BGP on them", be->port[0].id,
		 be->exc_vdev, be->port[0].id, be->port[0].id);
	return 0;
}

/* Starts the exception port and gives every queue its punt bucket. */
static int exc_start(struct io_backend *be, char *err, size_t errcap)
{
	struct io_dpdk_port p = { .id = be->exc };
	if (port_start(&p, be->nq, be->pool[port_socket(be->exc)], err, errcap) != 0)
		return -1;
	be->exc_started = true;
	/* the kernel takes the punted frames as its own, and its own leave
	 * the NIC, only when its interface has the NIC's MAC */
	struct rte_ether_addr *mac = (struct rte_ether_addr *)be->port[0].self.mac;
	int rc = be->exc_made || !rte_is_valid_assigned_ether_addr(mac)	/* a ring's 0 */
			 ? 0
			 : rte_eth_dev_default_mac_addr_set(be->exc, mac);
	if (rc == -ENOTSUP)
		log_warn("DPDK: the exception port %s cannot take the MAC of port %u; give its "
			 "kernel side that MAC", exc_name, be->port[0].id);
	else if (rc != 0) {
		snprintf(err, errcap, "DPDK: cannot give the exception port %s the MAC of port %u: "
			 "%s", exc_name, be->port[0].id, rte_strerror(-rc));
		return -1;
	}
	uint64_t cost = rte_get_tsc_hz() / IO_DPDK_PUNT_RATE;
	for (unsigned i = 0; i < be->nq; i++) {
		struct io_queue *q = &be->q[i];
		q->exc = be->exc;
		q->cost = cost ? cost : 1;
		q->credit = q->credit_max = q->cost * IO_DPDK_PUNT_BURST;
		q->last = rte_rdtsc();
	}
	return 0;
}

static void dpdk_fini(struct io_backend *be)
{
	if (be->exc_started) {
		rte_eth_dev_stop(be->exc);
		if (!be->exc_made)
			rte_eth_dev_close(be->exc);
	}
	if (be->exc_made)
		rte_vdev_uninit(be->exc_vdev);
	for (uint16_t i = 0; i < be->nports; i++) {
		rte_eth_dev_stop(be->port[i].id);
		rte_eth_dev_close(be->port[i].id);
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		rte_mempool_free(be->pool[s]);
	for (unsigned i = 0; be->q && i < be->nq; i++)
		free(be->q[i].scratch);
	free(be->port);
	free(be->q);
	free(be);
}

static int dpdk_init(const struct io_conf *conf, struct io_backend **out, char *err,
		     size_t errcap)
{
	struct pkt_self self;
	uint16_t avail = rte_eth_dev_count_avail();
	if (!avail) {
		snprintf(err, errcap, "DPDK: EAL found no port; give one after '--' (-a PCI-ADDRESS "
			 "of a NIC bound to vfio-pci, or --vdev net_af_packet0,iface=IFACE)");
		return -1;
	}
	if (self_init(conf, &self, err, errcap) != 0)
		return -1;
	struct io_backend *be = calloc(1, sizeof *be);
	if (!be || !(be->port = calloc(avail, sizeof *be->port)) ||
	    !(be->q = aligned_alloc(64, conf->queues * sizeof *be->q))) {
		snprintf(err, errcap, "out of memory");
		if (be)
			free(be->port);
		free(be);
		return -1;
	}
	be->nq = conf->queues;
	be->exc = IO_DPDK_NO_PORT;
	if (exc_name[0] && exc_open(be, err, errcap) != 0)
		goto fail;
	memset(be->q, 0, be->nq * sizeof *be->q);
	if (pools_init(be, err, errcap) != 0)
		goto fail;
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid) {
		if (pid == be->exc)
			continue;
		struct io_dpdk_port *p = &be->port[be->nports++];
		p->id = pid;
		p->self = self;
		if (port_start(p, be->nq, be->pool[port_socket(pid)], err, errcap) != 0)
			goto fail;
	}
	size_t slot = (IO_DPDK_HDR_MAX + conf->resp_cap + 63) & ~(size_t)63;
	for (unsigned i = 0; i < be->nq; i++) {
		be->q[i] = (struct io_queue){ .port = be->port, .nports = be->nports,
					      .qid = (uint16_t)i, .exc = IO_DPDK_NO_PORT,
					      .resp_cap = conf->resp_cap, .slot = slot,
					      .scratch = aligned_alloc(64, IO_BURST * slot) };
		if (!be->q[i].scratch) {
			snprintf(err, errcap, "out of memory");
			goto fail;
		}
	}
	if (!be->nports) {
		snprintf(err, errcap, "DPDK: EAL found no port besides the exception path's %s",
			 exc_name);
		goto fail;
	}
	if ((!exc_name[0] && exc_open(be, err, errcap) != 0) || exc_start(be, err, errcap) != 0)
		goto fail;
	*out = be;
	return 0;
fail:
	dpdk_fini(be);
	return -1;
}

static struct io_queue *dpdk_queue(struct io_backend *be, unsigned i)
{
	return &be->q[i];
}

static const struct io_ops ops = {
	.name = "dpdk",
	.init = dpdk_init,
	.queue = dpdk_queue,
	.rx_burst = dpdk_rx_burst,
	.wait = dpdk_wait,
	.tx_burst = dpdk_tx_burst,
	.fini = dpdk_fini,
};

const struct io_ops *io_dpdk_ops(void)
{
	return &ops;
}

/* ---- what ringctl asks (main lcore) -------------------------------------- */

void io_dpdk_queue_stats(const struct io_queue *q, struct st_io *out)
{
	*out = (struct st_io){ 0 };
	st_io_sum(out, &q->st);
}

unsigned io_dpdk_nports(const struct io_backend *be)
{
	return be->nports;
}

void io_dpdk_port_info(const struct io_backend *be, unsigned i, struct io_dpdk_port_info *out)
{
	const struct io_dpdk_port *p = &be->port[i];
	struct rte_eth_stats es;
	*out = (struct io_dpdk_port_info){ .id = p->id, .link = port_link(p->id) };
	memcpy(out->mac, p->self.mac, sizeof out->mac);
	if (rte_eth_dev_get_name_by_port(p->id, out->name) != 0)
		snprintf(out->name, sizeof out->name, "?");
	if (rte_eth_stats_get(p->id, &es) == 0)
		out->st = (struct st_port){ .rx_packets = es.ipackets, .tx_packets = es.opackets,
					    .rx_missed = es.imissed, .rx_errors = es.ierrors,
					    .rx_nombuf = es.rx_nombuf, .tx_errors = es.oerrors };
}

void io_dpdk_exception_port(const char *name)
{
	snprintf(exc_name, sizeof exc_name, "%s", name ? name : "");
}

int io_dpdk_worker_lcore(unsigned i)
{
	unsigned lc = worker_lcore(i);
	return lc < RTE_MAX_LCORE ? (int)lc : -1;
}
