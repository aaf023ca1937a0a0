/*
 * io.h - the I/O seam (DESIGN.md "I/O backends"): what the one worker loop
 * (worker.c) asks of a backend that moves packets.  A backend is an ops
 * table chosen once at start-up (io_sock.c: kernel sockets; a DPDK
 * backend: NIC queues); it owns its sockets or ports and one queue per
 * worker, and moves bursts of packet views.  RCU, the engine call and
 * counting are the worker's; a backend never sees the zone index.
 */
#ifndef RINGDNS_IO_H
#define RINGDNS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "dataplane/answer.h"

#define IO_BURST 32		/* packets per receive, one engine burst */
#define IO_WAIT_MS 100		/* a wait ends this soon, so a stop is noticed */

/*
 * A burst of packet views, laid out as ans_respond_burst takes them.  View
 * i: req[i] the query bytes (qlen 0: not answerable, dropped) and its
 * transport; out[i] and cap[i] where its response goes (cap >= 512): a
 * buffer of the backend's, or the query's own buffer (out[i] ==
 * req[i].q, answered in place: the DPDK backend points it at the receive
 * mbuf); len[i] the response length the engine wrote (0: nothing to send)
 * and oc[i] its outcome.  The backend fills req, out and cap on receive
 * and reads len on transmit; the engine fills len and oc.
 */
struct io_burst {
	unsigned n;
	struct ans_req req[IO_BURST];
	uint8_t *out[IO_BURST];
	size_t cap[IO_BURST];
	size_t len[IO_BURST];
	struct ans_outcome oc[IO_BURST];
};

struct io_backend;		/* one opened backend (the backend's own type) */
struct io_queue;		/* one worker's share of it, used by that worker only */

struct io_conf {
	const struct cfg_listen *addrs;	/* 1..CFG_LISTEN_MAX; port 0: one free port */
	size_t naddrs;
	unsigned queues;		/* one per worker, >= 1 */
	size_t resp_cap;		/* room for a UDP response (>= 512) */
};

struct io_ops {
	const char *name;
	/* Opens the backend: every socket/port is set up before it returns
	 * (an error is reported here, nothing left open).  -1 with a
	 * message ("listen 127.0.0.1:5300 (UDP): ...") on failure. */
	int (*init)(const struct io_conf *conf, struct io_backend **out, char *err,
		    size_t errcap);
	/* Worker i's queue (i < conf->queues); lives until fini. */
	struct io_queue *(*queue)(struct io_backend *be, unsigned i);
	/* Receives up to IO_BURST packets into b without blocking; returns
	 * b->n (0: nothing queued). */
	unsigned (*rx_burst)(struct io_queue *q, struct io_burst *b);
	/* Waits for traffic, at most IO_WAIT_MS, and may receive what
	 * arrives into b (a backend whose wait is a blocking receive saves
	 * a call); returns b->n.  The worker calls it RCU-offline. */
	unsigned (*wait)(struct io_queue *q, struct io_burst *b);
	/* Sends the views of the burst last received on q whose len is not
	 * 0; returns how many could not be sent (counted as dropped). */
	unsigned (*tx_burst)(struct io_queue *q, struct io_burst *b);
	/* Closes everything; the workers have stopped. */
	void (*fini)(struct io_backend *be);
};

#endif
