/*
 * tcp.h - DNS over TCP (RFC 7766) for the socket backend: its own threads
 * (so TCP never blocks UDP), each an epoll loop over SO_REUSEPORT listening
 * sockets and its connections.  2-byte length framing, several queries per
 * connection (pipelined; each answered as soon as it is read), idle
 * timeout, total and per-client connection limits.  Each thread serves
 * as the workers do (run.h): offline while in epoll_wait, one read of the
 * root per batch of ready events, one quiescent state per loop iteration,
 * until the run's stop flag is raised.
 */
#ifndef RINGDNS_TCP_H
#define RINGDNS_TCP_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane/answer.h"
#include "common/cfg.h"
#include "common/stats.h"
#include "dataplane/run.h"

struct tcp_opts {
	unsigned threads;		/* >= 1 */
	unsigned idle_timeout_ms;	/* >= 1: close a connection idle this long */
	unsigned max_clients;		/* >= 1: open connections in all, over all threads */
	unsigned max_per_client;	/* >= 1: open connections per client address */
	unsigned max_conn_queries;	/* 0 = no limit */
	int xfr_fd;			/* the transfer channel (common/ipc.h): transfer
					   queries and their connections go there;
					   -1: answered here (NOTAUTH) */
	struct zstats *zstats;		/* [threads * zslots]: thread i's zone counters
					   at zstats + i * zslots; NULL: off */
	unsigned zslots;
};

struct tcp_srv;

/*
 * Binds a listening socket per address and thread (SO_REUSEPORT,
 * IPV6_V6ONLY for v6), then starts the threads.  They serve the run's
 * root (never NULL behind it: an empty index when there are no zones)
 * until its stop flag is raised; run and acfg must outlive the server.  stats[i] belongs to thread i
 * (opts->threads entries).  An address with port 0 gets a free port, the
 * same for every thread (tcp_port tells which).  Returns 0, or -1 with a
 * message ("listen 127.0.0.1:5300 (TCP): Address already in use"), nothing
 * left open.  The threads block all signals.
 *
 * A connection is idle when for idle_timeout_ms it delivered no complete
 * query and took no response bytes (a client that stops reading is idle
 * too).  Memory: about 196 KiB per open connection, allocated at accept;
 * nothing per query.
 */
int tcp_start(struct tcp_srv **out, const struct cfg_listen *addrs, size_t naddrs,
	      struct dp_run *run, const struct ans_cfg *acfg,
	      const struct tcp_opts *opts, struct wstats *stats, char *err, size_t errcap);

/* The port addrs[i] is bound to (host order); 0 when i is out of range. */
unsigned tcp_port(const struct tcp_srv *s, size_t i);

/* Milliseconds since TCP thread i last went round its loop (at least
 * every 100 ms while it runs, busy or idle); -1 before its first round
 * or when there is no thread i. */
double tcp_idle_ms(const struct tcp_srv *s, unsigned i);

/* Raises the run's stop flag (every thread of the run notices within
 * 100 ms), joins the TCP threads, closes every socket and frees the
 * server.  The threads unregister from RCU before exiting. */
void tcp_stop(struct tcp_srv *s);

#endif
