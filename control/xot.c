/*
 * xot.c - zone transfers over TLS (XoT, RFC 9103), the primary's side.
 * ringdns-control listens on server.xot-listen.  Each connection it
 * accepts goes to a child process of its own, counted with the transfers
 * out and within their limit, so the control process's loop never waits
 * on a handshake or a slow secondary.  The child does the TLS handshake
 * (control/xstream.c: TLS 1.3, ALPN "dot"), then answers the queries that
 * come one after another on the connection (RFC 9103 §6: connections are
 * reused for several transfers) with xfrout.c's rules, until the client
 * closes it, leaves it idle for tcp-idle-timeout, or XOT_CONN_MAX_S pass:
 * a child serves the versions that were current when it was forked, so a
 * connection is not kept long enough to serve a stale one for long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "control/ctl.h"
#include "control/xstream.h"

#define XOT_HANDSHAKE_MS 10000	/* a client that does not finish its handshake */
#define XOT_CONN_MAX_S 120	/* no new query on a connection older than this */
#define XOT_BACKLOG 64

struct xot {
	struct cfg_listen at[CFG_LISTEN_MAX];
	int fd[CFG_LISTEN_MAX];
	unsigned n;
	struct ssl_ctx_st *ctx;	/* the certificate and key, TLS 1.3, ALPN "dot" */
};

/* A listening socket on l; -1 with err. */
static int listen_on(const struct cfg_listen *l, char *err, size_t errcap)
{
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (l->addr.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	if (fd < 0 || bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0 ||
	    listen(fd, XOT_BACKLOG) != 0) {
		snprintf(err, errcap, "xot-listen %s: %s", l->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The listener of old on l's address, taken from old (-1: none). */
static int take_listener(struct xot *old, const struct cfg_listen *l)
{
	for (unsigned i = 0; old && i < old->n; i++)
		if (old->fd[i] >= 0 && old->at[i].addrlen == l->addrlen &&
		    memcmp(&old->at[i].addr, &l->addr, l->addrlen) == 0) {
			int fd = old->fd[i];
			old->fd[i] = -1;
			return fd;
		}
	return -1;
}

static void xot_free(struct xot *x)
{
	if (!x)
		return;
	for (unsigned i = 0; i < x->n; i++)
		if (x->fd[i] >= 0)
			close(x->fd[i]);
	xs_ctx_free(x->ctx);
	free(x);
}

int xot_sync(struct ctl *c, char *err, size_t errcap)
{
	const struct cfg *cf = &c->cfg;
	if (!cf->nxot_listen) {
		xot_free(c->xot);
		c->xot = NULL;
		return 0;
	}
	struct xot *x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	x->ctx = xs_server_ctx(cf->tls_cert, cf->tls_key, err, errcap);
	int rc = x->ctx ? 0 : -1;
	for (unsigned i = 0; rc == 0 && i < cf->nxot_listen; i++) {
		x->at[i] = cf->xot_listen[i];
		x->fd[i] = take_listener(c->xot, &x->at[i]);
		if (x->fd[i] < 0)
			x->fd[i] = listen_on(&x->at[i], err, errcap);
		x->n = i + 1;
		rc = x->fd[i] < 0 ? -1 : 0;
	}
	if (rc != 0) {
		/* the listeners taken go back: the previous set keeps serving */
		for (unsigned i = 0; c->xot && i < x->n; i++)
			for (unsigned j = 0; x->fd[i] >= 0 && j < c->xot->n; j++)
				if (c->xot->fd[j] < 0 && c->xot->at[j].addrlen == x->at[i].addrlen &&
				    memcmp(&c->xot->at[j].addr, &x->at[i].addr,
					   x->at[i].addrlen) == 0) {
					c->xot->fd[j] = x->fd[i];
					x->fd[i] = -1;
				}
		xot_free(x);
		return -1;
	}
	xot_free(c->xot);
	c->xot = x;
	for (unsigned i = 0; i < x->n; i++)
		log_info("zone transfers over TLS on %s", x->at[i].text);
	return 0;
}

size_t xot_pollfds(const struct ctl *c, struct pollfd *p, size_t cap)
{
	size_t n = 0;
	for (unsigned i = 0; c->xot && i < c->xot->n && n < cap; i++)
		p[n++] = (struct pollfd){ .fd = c->xot->fd[i], .events = POLLIN };
	return n;
}

/* The peer's address as text. */
static void peer_text(const struct sockaddr_storage *a, char *out, size_t cap)
{
	const void *ip = a->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)a)->sin_addr;
	if (!inet_ntop(a->ss_family, ip, out, (socklen_t)cap))
		snprintf(out, cap, "?");
}

/* A query's header as XoT takes it: a query (QR clear), opcode QUERY,
 * one question. */
static bool query_shape(const uint8_t *m, long n)
{
	return n >= 12 && !(m[2] & 0x80) && ((m[2] >> 3) & 15) == 0 && m[4] == 0 && m[5] == 1;
}

/* The child's work: the handshake, then each query until the end; its
 * exit status. */
static int serve_conn(struct ctl *c, int fd, const struct sockaddr_storage *peer)
{
	static uint8_t m[65535];
	char who[INET6_ADDRSTRLEN], err[256];
	peer_text(peer, who, sizeof who);
	struct xs s = { fd, NULL };
	xs_bound(fd, XOT_HANDSHAKE_MS);
	if (xs_accept(c->xot->ctx, fd, &s, err, sizeof err) != 0) {
		log_notice("XoT connection from %s refused: %s", who, err);
		xs_close(&s);
		return 1;
	}
	time_t end = time(NULL) + XOT_CONN_MAX_S;
	unsigned nq = 0;
	bool eof = false;
	while (time(NULL) < end) {
		xs_bound(fd, (int)c->cfg.tcp_idle_timeout * 1000);
		long n = xs_recv_msg(&s, m, sizeof m, &eof);
		if (n < 0)
			break;
		if (!query_shape(m, n) || xfo_serve(c, &s, peer, m, (size_t)n) != 0) {
			log_notice("XoT query from %s malformed: connection closed", who);
			break;
		}
		nq++;
	}
	log_debug("XoT connection from %s closed after %u queries%s", who, nq,
		  eof ? "" : " (idle, or too old)");
	xs_close(&s);
	return 0;
}

/* Forks the child that serves the connection fd; -1 when it cannot. */
static int start_conn(struct ctl *c, int fd, const struct sockaddr_storage *peer)
{
	pid_t pid = xfo_fork(c);
	if (pid == 0) {
		for (unsigned i = 0; i < c->xot->n; i++)
			close(c->xot->fd[i]);
		_exit(serve_conn(c, fd, peer));
	}
	return pid < 0 ? -1 : 0;
}

void xot_events(struct ctl *c, const struct pollfd *p, size_t np)
{
	for (size_t i = 0; i < np; i++) {
		if (!(p[i].revents & POLLIN))
			continue;
		struct sockaddr_storage peer;
		socklen_t pl = sizeof peer;
		int fd;
		while ((fd = accept4(p[i].fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC)) >= 0) {
			char who[INET6_ADDRSTRLEN];
			peer_text(&peer, who, sizeof who);
			/* a peer allow-transfer refuses could never transfer: it
			 * gets no handshake, nor a process (RFC 9103 §9.4) */
			if (!xfo_peer_allowed(c, &peer))
				log_notice("XoT connection from %s refused: not in allow-transfer",
					   who);
			else if (c->xfr_children >= CTL_XFR_CHILDREN_MAX ||
				 start_conn(c, fd, &peer) != 0)
				log_warn("XoT connection from %s dropped (%s)", who,
					 c->xfr_children >= CTL_XFR_CHILDREN_MAX
					 ? "too many transfers running" : strerror(errno));
			close(fd);
			pl = sizeof peer;
		}
	}
}

void xot_fini(struct ctl *c)
{
	xot_free(c->xot);
	c->xot = NULL;
}
