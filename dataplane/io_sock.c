/*
 * io_sock.c - the kernel-socket backend (io_sock.h, ops in io.h).  Each
 * worker's queue has its own SO_REUSEPORT UDP socket per listen address
 * (the kernel spreads flows over them).  A receive reads up to IO_BURST
 * datagrams from one socket (round robin over the addresses); the answers
 * go back with one sendmmsg on the same socket, from the address the
 * query came to.  Nothing is allocated, locked or logged per packet.
 * A query's ans_req names both ends: the sender's sockaddr, and the
 * address it came to (its pktinfo, which the reply needs anyway) with
 * the port its socket is bound to.
 *
 * The wait: with one socket a blocking recvmmsg(MSG_WAITFORONE) (the
 * socket's SO_RCVTIMEO bounds it), which returns as soon as one datagram
 * is there with whatever else is queued: one syscall per burst, none on
 * empty polls.  With several sockets, poll() and then a receive.
 */
#include "dataplane/io_sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define IO_SOCK_RXBUF 4096	/* a longer query is dropped (no real query is this long) */

/* One packet's buffers and addresses. */
struct io_sock_slot {
	struct sockaddr_storage peer;
	/* control messages, aligned as a struct cmsghdr (which ends in a
	 * flexible array, so it cannot sit in a union here) */
	struct {
		_Alignas(struct cmsghdr) char buf[IO_SOCK_CMSG];
	} rxc, txc;
	struct iovec rxv, txv;
	uint8_t q[IO_SOCK_RXBUF];
	uint8_t r[65535];
};

struct io_queue {
	int fds[CFG_LISTEN_MAX];	/* one per address */
	uint16_t ports[CFG_LISTEN_MAX];	/* the port each is bound to */
	struct pollfd pfd[CFG_LISTEN_MAX];
	size_t naddrs;
	size_t last;			/* the socket read last (round robin) */
	size_t resp_cap;
	struct mmsghdr rx[IO_BURST], tx[IO_BURST];
	struct io_sock_slot *slot;	/* [IO_BURST] */
};

struct io_backend {
	unsigned nq;
	struct io_queue *q;
};

static int sock_open(const struct cfg_listen *a, char *err, size_t errcap)
{
	int fam = a->addr.ss_family, one = 1;
	/* blocking, with a receive timeout: the wait is a blocking recvmmsg
	 * that must end within IO_WAIT_MS; every other call passes
	 * MSG_DONTWAIT */
	int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	struct timeval tv = { 0, IO_WAIT_MS * 1000 };
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

/* Makes buf the one control message of txm: level, type and len bytes of
 * data. */
static void reply_cmsg_put(struct msghdr *txm, void *buf, int level, int type,
			   const void *data, size_t len)
{
	struct cmsghdr *o = buf;
	o->cmsg_level = level;
	o->cmsg_type = type;
	o->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(o), data, len);
	txm->msg_control = buf;
	txm->msg_controllen = CMSG_SPACE(len);
}

/*
 * The reply keeps the query's destination as its source address but not
 * its interface (index 0): the routing table picks the way out, as Knot
 * and gdnsd do.  Behind anycast and ECMP the route back to a client often
 * leaves through another interface than the query came in on; pinned to
 * the incoming one, the reply would be sent where no route to the client
 * is (or dropped by reverse-path filters).  An IPv6 link-local peer still
 * gets its interface from the scope of its address.
 */
void io_sock_reply_cmsg(const struct msghdr *rxm, struct msghdr *txm, void *buf)
{
	txm->msg_control = NULL;
	txm->msg_controllen = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)rxm); c;
	     c = CMSG_NXTHDR((struct msghdr *)rxm, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_addr.s_addr = 0;
			pi.ipi_ifindex = 0;
			reply_cmsg_put(txm, buf, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			pi.ipi6_ifindex = 0;
			reply_cmsg_put(txm, buf, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
			return;
		}
	}
}

/* The address a query was sent to, from its IP_PKTINFO / IPV6_PKTINFO
 * (every socket asks for it, a wildcard-bound one too): into m's control
 * buffer, its kind in *kind; NULL (ANS_PEER_NONE) when there is none. */
static const void *sock_dst(struct msghdr *m, uint8_t *kind)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			*kind = ANS_PEER_IP4;
			return CMSG_DATA(c) + offsetof(struct in_pktinfo, ipi_addr);
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			*kind = ANS_PEER_IP16;
			return CMSG_DATA(c) + offsetof(struct in6_pktinfo, ipi6_addr);
		}
	}
	*kind = ANS_PEER_NONE;
	return NULL;
}

/* Reads up to IO_BURST datagrams from socket fi (flags: MSG_DONTWAIT, or
 * MSG_WAITFORONE to block for the first) into b; returns b->n. */
static unsigned sock_recv(struct io_queue *q, size_t fi, int flags, struct io_burst *b)
{
	for (int i = 0; i < IO_BURST; i++) {
		struct io_sock_slot *s = &q->slot[i];
		s->rxv = (struct iovec){ s->q, IO_SOCK_RXBUF };
		q->rx[i].msg_hdr = (struct msghdr){
			.msg_name = &s->peer, .msg_namelen = sizeof s->peer,
			.msg_iov = &s->rxv, .msg_iovlen = 1,
			.msg_control = s->rxc.buf, .msg_controllen = IO_SOCK_CMSG };
	}
	int n = recvmmsg(q->fds[fi], q->rx, IO_BURST, flags, NULL);
	b->n = n > 0 ? (unsigned)n : 0;
	if (!b->n)
		return 0;
	q->last = fi;
	for (unsigned i = 0; i < b->n; i++) {
		b->req[i] = (struct ans_req){ .q = q->slot[i].q, .qlen = q->rx[i].msg_len,
					      .tcp = false, .peer_kind = ANS_PEER_SOCKADDR,
					      .peer = &q->slot[i].peer,
					      .local_port = q->ports[fi] };
		b->req[i].local = sock_dst(&q->rx[i].msg_hdr, &b->req[i].local_kind);
		if (q->rx[i].msg_hdr.msg_flags & MSG_TRUNC)
			b->req[i].qlen = 0;	/* cut: dropped by the engine */
		b->out[i] = q->slot[i].r;
		b->cap[i] = q->resp_cap;
	}
	return b->n;
}

static unsigned sock_rx_burst(struct io_queue *q, struct io_burst *b)
{
	b->n = 0;
	for (size_t k = 1; k <= q->naddrs && !b->n; k++)
		sock_recv(q, (q->last + k) % q->naddrs, MSG_DONTWAIT, b);
	return b->n;
}

static unsigned sock_wait(struct io_queue *q, struct io_burst *b)
{
	b->n = 0;
	if (q->naddrs == 1)
		return sock_recv(q, 0, MSG_WAITFORONE, b);
	if (poll(q->pfd, q->naddrs, IO_WAIT_MS) <= 0)
		return 0;
	for (size_t k = 1; k <= q->naddrs && !b->n; k++) {
		size_t fi = (q->last + k) % q->naddrs;
		if (q->pfd[fi].revents & POLLIN)
			sock_recv(q, fi, MSG_DONTWAIT, b);
	}
	return b->n;
}

static unsigned sock_tx_burst(struct io_queue *q, struct io_burst *b)
{
	unsigned nt = 0, lost = 0;
	for (unsigned i = 0; i < b->n; i++) {
		if (!b->len[i])
			continue;
		struct io_sock_slot *s = &q->slot[i];
		struct msghdr *m = &q->tx[nt].msg_hdr;
		s->txv = (struct iovec){ b->out[i], b->len[i] };
		*m = (struct msghdr){ .msg_name = &s->peer,
				      .msg_namelen = q->rx[i].msg_hdr.msg_namelen,
				      .msg_iov = &s->txv, .msg_iovlen = 1 };
		io_sock_reply_cmsg(&q->rx[i].msg_hdr, m, s->txc.buf);
		nt++;
	}
	int fd = q->fds[q->last];
	for (unsigned off = 0; off < nt;) {
		int k = sendmmsg(fd, q->tx + off, nt - off, MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* the first of the rest failed (e.g. a full queue or an
			 * unroutable peer): count it lost and go on after it */
			lost++;
			off++;
			continue;
		}
		off += (unsigned)k;
	}
	return lost;
}

static void sock_fini(struct io_backend *be)
{
	if (!be)
		return;
	for (unsigned i = 0; i < be->nq; i++) {
		struct io_queue *q = &be->q[i];
		for (size_t a = 0; a < q->naddrs; a++)
			if (q->fds[a] >= 0)
				close(q->fds[a]);
		free(q->slot);
	}
	free(be->q);
	free(be);
}

/* After the first bind of an address with port 0: the port it got, so
 * that every queue's socket shares it. */
static void sock_fix_port(struct cfg_listen *a, int fd)
{
	struct sockaddr_storage b;
	socklen_t bl = sizeof b;
	if (getsockname(fd, (struct sockaddr *)&b, &bl) < 0)
		return;
	if (a->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->addr)->sin6_port = ((struct sockaddr_in6 *)&b)->sin6_port;
	else
		((struct sockaddr_in *)&a->addr)->sin_port = ((struct sockaddr_in *)&b)->sin_port;
}

static int sock_init(const struct io_conf *c, struct io_backend **out, char *err,
		     size_t errcap)
{
	*out = NULL;
	if (!c->queues || !c->naddrs || c->naddrs > CFG_LISTEN_MAX) {
		snprintf(err, errcap, "UDP: need at least one worker and 1..%d addresses",
			 CFG_LISTEN_MAX);
		return -1;
	}
	struct io_backend *be = calloc(1, sizeof *be);
	if (be)
		be->q = calloc(c->queues, sizeof *be->q);
	if (!be || !be->q) {
		free(be);
		snprintf(err, errcap, "UDP: out of memory");
		return -1;
	}
	be->nq = c->queues;
	struct cfg_listen a[CFG_LISTEN_MAX];
	memcpy(a, c->addrs, c->naddrs * sizeof *a);
	for (unsigned i = 0; i < c->queues; i++) {
		struct io_queue *q = &be->q[i];
		q->naddrs = c->naddrs;
		q->resp_cap = c->resp_cap < 512 ? 512 : c->resp_cap;
		for (size_t k = 0; k < c->naddrs; k++)
			q->fds[k] = -1;
		q->slot = calloc(IO_BURST, sizeof *q->slot);
		if (!q->slot) {
			snprintf(err, errcap, "UDP: out of memory");
			goto fail;
		}
		for (size_t k = 0; k < c->naddrs; k++) {
			q->fds[k] = sock_open(&a[k], err, errcap);
			if (q->fds[k] < 0)
				goto fail;
			if (i == 0)
				sock_fix_port(&a[k], q->fds[k]);
			q->ports[k] = ntohs(a[k].addr.ss_family == AF_INET6
					    ? ((struct sockaddr_in6 *)&a[k].addr)->sin6_port
					    : ((struct sockaddr_in *)&a[k].addr)->sin_port);
			q->pfd[k] = (struct pollfd){ .fd = q->fds[k], .events = POLLIN };
		}
	}
	*out = be;
	return 0;
fail:
	sock_fini(be);
	return -1;
}

static struct io_queue *sock_queue(struct io_backend *be, unsigned i)
{
	return i < be->nq ? &be->q[i] : NULL;
}

const struct io_ops io_sock_ops = {
	.name = "socket",
	.init = sock_init,
	.queue = sock_queue,
	.rx_burst = sock_rx_burst,
	.wait = sock_wait,
	.tx_burst = sock_tx_burst,
	.fini = sock_fini,
};
