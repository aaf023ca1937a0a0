/*
 * dp.h - the state of the ringdns process, shared by its main thread's
 * modules: main.c (start-up and shut-down), ctlchan.c (the dataplane side
 * of the control channel) and supervise.c (through struct sup).  Internal
 * to the ringdns executable.
 */
#ifndef RINGDNS_DP_H
#define RINGDNS_DP_H

#include <stdbool.h>

#include "common/cfg.h"
#include "common/stats.h"
#include "dataplane/answer.h"
#include "dataplane/cookie.h"
#include "dataplane/io.h"
#include "dataplane/ntq.h"
#include "dataplane/publisher.h"
#include "dataplane/run.h"
#include "dataplane/supervise.h"
#include "dataplane/tcp.h"
#include "dataplane/worker.h"

struct dp {
	struct cfg cfg;
	struct zidx *root;	/* RCU-protected: the workers' root */
	struct dp_run run;	/* the root and the stop flag of every serving thread */
	struct pub *pub;
	struct ans_cfg acfg;
	struct ck_keys ck_keys;	/* acfg.cookie_keys */
	char hostname[256];	/* the default identity and NSID */
	const struct io_ops *io_ops;
	struct io_backend *io;
	struct wk_pool *wk;
	struct tcp_srv *tcp;
	struct wstats *stats;	/* workers, then TCP threads */
	struct zstats *zstats;	/* per zone: zslots per worker, then per TCP
				   thread; NULL: off (zone-counters: 0) */
	uint32_t zslots;
	struct rrl *rrl;	/* response rate limiting; NULL: off */
	bool eal;		/* --io dpdk: EAL started */
	unsigned nudp, ntcp;
	unsigned long nofile;	/* the descriptor limit, raised at start */
	double t0;		/* start, monotonic s */
	struct sup sup;		/* the control process */
	struct peers *peers;	/* RCU-protected: the transfer peers (acfg.peers
				   points here), NULL until the control process
				   sends them */
	struct ntq ntq;		/* NOTIFYs the serving threads accepted */
	bool stopping;
};

#endif
