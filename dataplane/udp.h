/*
 * udp.h - the socket backend's UDP workers: one thread per worker, each
 * polling its own SO_REUSEPORT socket per listen address with
 * recvmmsg/sendmmsg batches and answering each batch with one call of
 * ans_respond_burst.  Each worker is a liburcu QSBR reader: one
 * rcu_dereference of the root per loop iteration (the batch), one
 * quiescent state per iteration, offline while it sleeps in poll().
 */
#ifndef RINGDNS_UDP_H
#define RINGDNS_UDP_H

#include <stddef.h>

#include "dataplane/answer.h"
#include "common/cfg.h"
#include "common/stats.h"

struct udp_srv;

/*
 * Binds workers sockets per address (all of them before any thread
 * starts, so a bind error is reported here and nothing is left open),
 * then starts the workers.  stats[i] belongs to worker i.  cpu_pin: pin
 * worker i to the i-th CPU of the process's affinity mask.
 */
int udp_start(struct udp_srv **out, const struct cfg_listen *addrs, size_t naddrs,
	      unsigned workers, bool cpu_pin, struct zidx *const *root,
	      const struct ans_cfg *acfg, struct wstats *stats, char *err, size_t errcap);

/* The port a socket of address i is bound to (to learn port 0's choice). */
unsigned udp_port(const struct udp_srv *s, size_t i);

/* Stops the workers (within 100 ms), closes the sockets, frees s. */
void udp_stop(struct udp_srv *s);

#endif
