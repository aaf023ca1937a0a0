/*
 * io_dpdk.h - the DPDK I/O backend (DESIGN.md "The fast path"): EAL
 * start and stop for main, the ops table of io.h over every port EAL
 * found (one RX/TX queue pair per worker lcore), and the launcher that
 * runs the workers on the worker lcores.  The only place with rte_*.h is
 * io_dpdk.c; main calls these and includes no DPDK header.
 *
 * A ringdns built without DPDK (RINGDNS_DPDK 0, set by meson) gets the
 * inline versions at the end: they refuse, and cfg_io_available() has
 * refused --io dpdk before any of them is called.
 */
#ifndef RINGDNS_IO_DPDK_H
#define RINGDNS_IO_DPDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/stats.h"
#include "dataplane/io.h"
#include "dataplane/pkt.h"
#include "dataplane/worker.h"

/* A port as the main lcore reads it on request (never per packet): its
 * name, MAC, link and own counters. */
struct io_dpdk_port_info {
	uint16_t id;
	char name[64];
	uint8_t mac[6];
	struct st_link link;
	struct st_port st;
};

#if RINGDNS_DPDK

#define IO_DPDK_BUILT true

/*
 * Starts DPDK's EAL with args[0..nargs) (as after "--" on the command
 * line).  workers: the worker lcores wanted (0: every one EAL has besides
 * the main lcore).  *nworkers gets how many will run.  -1 with a message
 * the operator can act on: EAL's own error, no free hugepages, too few
 * lcores for the workers asked.  The calling thread becomes the main
 * lcore (EAL pins it there).
 */
int io_dpdk_eal_init(char *const *args, size_t nargs, unsigned workers, unsigned *nworkers,
		     char *err, size_t errcap);
/* Closes every port, on the way out of the process (io_dpdk.c says why
 * EAL itself is left to the exit); every worker joined. */
void io_dpdk_eal_fini(void);

/*
 * The ops (io.h).  init sets up every port EAL found with conf->queues
 * RX/TX queue pairs (RSS over them where the port has it), an mbuf pool
 * of 2 KB buffers per NUMA socket in use (a response of up to
 * conf->resp_cap bytes that outgrows one leaves in a chain of them where
 * the port can send chains), and starts the ports, logging each link.
 * conf->addrs are the addresses answered for (struct cfg's addresses).
 */
const struct io_ops *io_dpdk_ops(void);
/* Runs worker i on the i-th worker lcore (rte_eal_remote_launch), joins
 * with rte_eal_wait_lcore. */
const struct wk_launcher *io_dpdk_launcher(void);

/* What q's lcore did with its frames (a read of live counters). */
void io_dpdk_queue_stats(const struct io_queue *q, struct st_io *out);
/* The ports of be; port i's name, MAC, link and counters, asked of the
 * port now: main lcore only, while the workers run. */
unsigned io_dpdk_nports(const struct io_backend *be);
void io_dpdk_port_info(const struct io_backend *be, unsigned i, struct io_dpdk_port_info *out);
/* The lcore that worker i runs on (io_dpdk_launcher); -1 when none. */
int io_dpdk_worker_lcore(unsigned i);
/*
 * The exception path (frames not for the fast path: TCP, fragments, other
 * protocols and destinations) for the next init: name a port given to
 * EAL (a net_tap, or a net_virtio_user where /dev/vhost-net exists);
 * NULL or "": init makes a TAP, kernel interface rdnsP (P the first NIC
 * port) with that port's MAC.  Its queue pair i belongs to worker i.
 */
void io_dpdk_exception_port(const char *name);

#else

#define IO_DPDK_BUILT false

static inline int io_dpdk_eal_init(char *const *args, size_t nargs, unsigned workers,
				   unsigned *nworkers, char *err, size_t errcap)
{
	(void)args, (void)nargs, (void)workers, (void)nworkers;
	snprintf(err, errcap, "built without DPDK: rebuild with -Ddpdk=enabled");
	return -1;
}

static inline void io_dpdk_eal_fini(void)
{
}

static inline const struct io_ops *io_dpdk_ops(void)
{
	return NULL;
}

static inline const struct wk_launcher *io_dpdk_launcher(void)
{
	return NULL;
}

static inline void io_dpdk_queue_stats(const struct io_queue *q, struct st_io *out)
{
	(void)q;
	*out = (struct st_io){ 0 };
}

static inline unsigned io_dpdk_nports(const struct io_backend *be)
{
	(void)be;
	return 0;
}

static inline void io_dpdk_port_info(const struct io_backend *be, unsigned i,
				     struct io_dpdk_port_info *out)
{
	(void)be, (void)i;
	*out = (struct io_dpdk_port_info){ 0 };
}

static inline int io_dpdk_worker_lcore(unsigned i)
{
	(void)i;
	return -1;
}

static inline void io_dpdk_exception_port(const char *name)
{
	(void)name;
}

#endif

#endif
