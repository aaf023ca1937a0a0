/*
 * udp.c - UDP workers of the socket backend (see udp.h).  Per iteration a
 * worker reads up to UDP_BATCH datagrams from each of its sockets without
 * blocking, answers them in one ans_respond_burst call and sends the
 * answers with one sendmmsg.  The answer goes out from the address the
 * query came to (IP_PKTINFO / IPV6_PKTINFO), as a wildcard-bound
 * anycast server needs.  Nothing is allocated, locked or logged per packet.
 */
#include "dataplane/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "common/log.h"

#define UDP_BATCH 32		/* datagrams per recvmmsg, one engine burst */
#define UDP_RXBUF 4096		/* a longer query is dropped (no real query is this long) */
#define UDP_NAPMS 100		/* sleep bound: stop is noticed this fast */
#define UDP_CMSG 64		/* room for one IP(V6)_PKTINFO */

struct udp_slot {
	struct sockaddr_storage peer;
	union {
		char buf[UDP_CMSG];
		struct cmsghdr align;
	} rxc, txc;
	struct iovec rxv, txv;
	uint8_t q[UDP_RXBUF];
	uint8_t r[65535];
};

struct udp_worker {
	struct udp_srv *srv;
	unsigned idx;
	int *fds;			/* one per address */
	pthread_t th;
	bool started;
	int cpu;			/* -1: not pinned */
	struct wstats *st;
	/* per-batch state, reused */
	struct mmsghdr rx[UDP_BATCH], tx[UDP_BATCH];
	struct ans_req req[UDP_BATCH];
	uint8_t *outs[UDP_BATCH];
	size_t caps[UDP_BATCH], lens[UDP_BATCH];
	struct ans_outcome ocs[UDP_BATCH];
	struct udp_slot *slot;		/* [UDP_BATCH] */
};

struct udp_srv {
	struct zidx *const *root;
	const struct ans_cfg *acfg;
	size_t naddrs;
	unsigned nworkers;
	unsigned *ports;
	atomic_bool stop;
	struct udp_worker *w;
};

static int udp_socket(const struct cfg_listen *a, char *err, size_t errcap)
{
	int fam = a->addr.ss_family, one = 1;
	/* blocking, with a receive timeout: the worker's wait is a blocking
	 * recvmmsg that must end within UDP_NAPMS; every other call passes
	 * MSG_DONTWAIT */
	int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	struct timeval tv = { 0, UDP_NAPMS * 1000 };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		goto fail;
	int rcv = 4 << 20;
	/* best effort: a bigger queue absorbs bursts */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcv, sizeof rcv);
	if (fam == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0)
			goto fail;
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)&a->addr, a->addrlen) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errcap, "listen %s (UDP): %s", a->text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * Turns the destination address of a received datagram (its PKTINFO) into
 * the source of the reply: same interface, same local address.
 */
static void udp_reply_cmsg(const struct msghdr *rxm, struct msghdr *txm, void *buf)
{
	txm->msg_control = NULL;
	txm->msg_controllen = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)rxm); c;
	     c = CMSG_NXTHDR((struct msghdr *)rxm, c)) {
		struct cmsghdr *o = buf;
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_addr.s_addr = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(o), &pi, sizeof pi);
			txm->msg_control = buf;
			txm->msg_controllen = CMSG_SPACE(sizeof pi);
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			txm->msg_control = buf;
			txm->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
			return;
		}
	}
}

/* Reads up to UDP_BATCH datagrams from fd (flags: MSG_DONTWAIT, or
 * MSG_WAITFORONE to block for the first); returns how many, 0 if none. */
static int udp_recv(struct udp_worker *w, int fd, int flags)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		struct udp_slot *s = &w->slot[i];
		struct msghdr *m = &w->rx[i].msg_hdr;
		s->rxv = (struct iovec){ s->q, UDP_RXBUF };
		*m = (struct msghdr){ .msg_name = &s->peer, .msg_namelen = sizeof s->peer,
				      .msg_iov = &s->rxv, .msg_iovlen = 1,
				      .msg_control = s->rxc.buf, .msg_controllen = UDP_CMSG };
	}
	int n = recvmmsg(fd, w->rx, UDP_BATCH, flags, NULL);
	return n > 0 ? n : 0;
}

/* Answers the n datagrams just read from fd and sends the answers. */
static void udp_answer(struct udp_worker *w, int fd, int n, const struct zidx *root)
{
	for (int i = 0; i < n; i++) {
		w->req[i] = (struct ans_req){ .q = w->slot[i].q, .qlen = w->rx[i].msg_len,
					      .tcp = false };
		if (w->rx[i].msg_hdr.msg_flags & MSG_TRUNC)
			w->req[i].qlen = 0;	/* cut: dropped below */
	}
	ans_respond_burst(root, w->srv->acfg, w->req, (size_t)n, w->outs, w->caps, w->lens,
			  w->ocs);
	int nt = 0;
	for (int i = 0; i < n; i++) {
		st_count(w->st, ST_UDP, w->req[i].q, w->req[i].qlen, w->outs[i], w->lens[i]);
		if (!w->lens[i])
			continue;
		struct udp_slot *s = &w->slot[i];
		struct msghdr *m = &w->tx[nt].msg_hdr;
		s->txv = (struct iovec){ s->r, w->lens[i] };
		*m = (struct msghdr){ .msg_name = &s->peer,
				      .msg_namelen = w->rx[i].msg_hdr.msg_namelen,
				      .msg_iov = &s->txv, .msg_iovlen = 1 };
		udp_reply_cmsg(&w->rx[i].msg_hdr, m, s->txc.buf);
		nt++;
	}
	for (int off = 0; off < nt;) {
		int k = sendmmsg(fd, w->tx + off, (unsigned)(nt - off), MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* the first of the rest failed (e.g. a full queue or an
			 * unroutable peer): count it lost and go on after it */
			ST_INC(w->st->dropped);
			off++;
			continue;
		}
		off += k;
	}
}

/*
 * The worker loop.  While datagrams keep coming (a full batch), it reads
 * on without blocking.  Otherwise it waits, RCU-offline (DESIGN.md "RCU":
 * no grace period waits on an idle worker): with one socket in a blocking
 * recvmmsg(MSG_WAITFORONE), which returns as soon as one datagram is there
 * with whatever else is queued (one syscall per batch, none spent on empty
 * polls); with several, in poll().  Either wait ends within UDP_NAPMS so
 * that a stop is noticed.
 */
static void *udp_main(void *arg)
{
	struct udp_worker *w = arg;
	struct udp_srv *srv = w->srv;
	struct pollfd pfd[CFG_LISTEN_MAX];
	for (size_t i = 0; i < srv->naddrs; i++)
		pfd[i] = (struct pollfd){ .fd = w->fds[i], .events = POLLIN };
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	}
	rcu_register_thread();
	bool busy = false;	/* the last batch was full: more is queued */
	size_t last = 0;	/* the socket read last (round robin) */
	while (!atomic_load_explicit(&srv->stop, memory_order_relaxed)) {
		int n = 0;
		size_t fi = 0;
		if (busy) {
			for (size_t k = 1; k <= srv->naddrs && !n; k++) {
				fi = (last + k) % srv->naddrs;
				n = udp_recv(w, w->fds[fi], MSG_DONTWAIT);
			}
		} else {
			rcu_thread_offline();
			if (srv->naddrs == 1) {
				n = udp_recv(w, w->fds[0], MSG_WAITFORONE);
			} else if (poll(pfd, srv->naddrs, UDP_NAPMS) > 0) {
				for (size_t k = 1; k <= srv->naddrs && !n; k++) {
					fi = (last + k) % srv->naddrs;
					if (pfd[fi].revents & POLLIN)
						n = udp_recv(w, w->fds[fi], MSG_DONTWAIT);
				}
			}
			rcu_thread_online();
		}
		busy = n == UDP_BATCH;
		if (n) {
			last = fi;
			/* one dereference per batch, passed down as const and
			 * never kept past the quiescent state below */
			const struct zidx *root = rcu_dereference(*srv->root);
			udp_answer(w, w->fds[fi], n, root);
		}
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static void udp_free(struct udp_srv *s)
{
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct udp_worker *w = &s->w[i];
		for (size_t a = 0; a < s->naddrs && w->fds; a++)
			if (w->fds[a] >= 0)
				close(w->fds[a]);
		free(w->fds);
		free(w->slot);
	}
	free(s->w);
	free(s->ports);
	free(s);
}

/* The CPUs the process may run on, in order; returns how many. */
static int udp_cpus(int *cpu, int cap)
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	return n;
}

int udp_start(struct udp_srv **out, const struct cfg_listen *addrs, size_t naddrs,
	      unsigned workers, bool cpu_pin, struct zidx *const *root,
	      const struct ans_cfg *acfg, struct wstats *stats, char *err, size_t errcap)
{
	*out = NULL;
	if (!workers || !naddrs || naddrs > CFG_LISTEN_MAX) {
		snprintf(err, errcap, "UDP: need at least one worker and 1..%d addresses",
			 CFG_LISTEN_MAX);
		return -1;
	}
	struct udp_srv *s = calloc(1, sizeof *s);
	if (!s)
		goto nomem;
	s->root = root;
	s->acfg = acfg;
	s->naddrs = naddrs;
	s->ports = calloc(naddrs, sizeof *s->ports);
	s->w = calloc(workers, sizeof *s->w);
	if (!s->ports || !s->w) {
		udp_free(s);
		goto nomem;
	}
	s->nworkers = workers;
	int cpus[CPU_SETSIZE];
	int ncpu = cpu_pin ? udp_cpus(cpus, CPU_SETSIZE) : 0;
	size_t cap = acfg->max_udp < 512 ? 512 : acfg->max_udp;
	/* a copy of each listen address: port 0 becomes the port the first
	 * socket got, so every worker shares it */
	struct cfg_listen a[CFG_LISTEN_MAX];
	memcpy(a, addrs, naddrs * sizeof *a);
	for (unsigned i = 0; i < workers; i++) {
		struct udp_worker *w = &s->w[i];
		w->srv = s;
		w->idx = i;
		w->st = &stats[i];
		w->cpu = ncpu ? cpus[i % (unsigned)ncpu] : -1;
		w->fds = malloc(naddrs * sizeof *w->fds);
		w->slot = calloc(UDP_BATCH, sizeof *w->slot);
		if (!w->fds || !w->slot) {
			udp_free(s);
			goto nomem;
		}
		for (size_t k = 0; k < naddrs; k++)
			w->fds[k] = -1;
		for (size_t k = 0; k < naddrs; k++) {
			w->fds[k] = udp_socket(&a[k], err, errcap);
			if (w->fds[k] < 0) {
				udp_free(s);
				return -1;
			}
			if (i == 0) {
				struct sockaddr_storage b;
				socklen_t bl = sizeof b;
				getsockname(w->fds[k], (struct sockaddr *)&b, &bl);
				uint16_t port = b.ss_family == AF_INET6
					? ((struct sockaddr_in6 *)&b)->sin6_port
					: ((struct sockaddr_in *)&b)->sin_port;
				if (a[k].addr.ss_family == AF_INET6)
					((struct sockaddr_in6 *)&a[k].addr)->sin6_port = port;
				else
					((struct sockaddr_in *)&a[k].addr)->sin_port = port;
				s->ports[k] = ntohs(port);
			}
		}
		for (int k = 0; k < UDP_BATCH; k++) {
			w->outs[k] = w->slot[k].r;
			w->caps[k] = cap;
		}
	}
	for (unsigned i = 0; i < workers; i++) {
		int rc = pthread_create(&s->w[i].th, NULL, udp_main, &s->w[i]);
		if (rc) {
			snprintf(err, errcap, "UDP: starting worker %u: %s", i, strerror(rc));
			udp_stop(s);
			return -1;
		}
		s->w[i].started = true;
	}
	*out = s;
	return 0;
nomem:
	snprintf(err, errcap, "UDP: out of memory");
	return -1;
}

unsigned udp_port(const struct udp_srv *s, size_t i)
{
	return i < s->naddrs ? s->ports[i] : 0;
}

void udp_stop(struct udp_srv *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	for (unsigned i = 0; i < s->nworkers; i++)
		if (s->w[i].started)
			pthread_join(s->w[i].th, NULL);
	udp_free(s);
}
