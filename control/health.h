/*
 * health.h - whether this node is fit to be announced (anycast): every
 * UDP worker and TCP thread went round its loop within the last second, the dataplane
 * answered at once, every configured zone is served and not expired, and
 * with DPDK every port's link is up.  `ringctl health` prints it; the
 * metrics exporter reads the same facts from hl_collect.
 *
 * Also the one place that asks the dataplane for its status
 * (IPC_STATUS_REQ), which `ringctl status` uses too: a reply that came
 * after its asker gave up is skipped, never taken for a later one's.
 */
#ifndef RINGDNS_HEALTH_H
#define RINGDNS_HEALTH_H

#include <stdbool.h>

#include "common/ipc.h"

struct ctl;

#define HL_PROGRESS_MAX_MS 1000	/* a worker quieter than this is stalled */
#define HL_REPLY_MS 500		/* a dataplane slower to answer is stalled */
#define HL_REASONS_MAX 16	/* reasons kept in words (all are counted) */

/* The dataplane's status reply, checked against its layout. */
struct hl_status {
	struct ipc_status s;
	struct ipc_progress *workers;	/* [s.nworkers], the UDP workers */
	struct ipc_progress *tcp;	/* [s.ntcp], the TCP threads */
	struct ipc_link *ports;		/* [s.nports], DPDK only */
};

/*
 * Asks the dataplane for its status, waiting at most timeout_ms.  0 with
 * st filled (hl_status_fini frees it), or -1 with a message in err
 * (no answer in time, or a reply of another layout).
 */
int hl_status_fetch(struct ctl *c, struct hl_status *st, int timeout_ms, char *err,
		    size_t errcap);
/* Checks an IPC_STATUS payload (n bytes at buf) into st; 0, or -1 with
 * err. */
int hl_status_decode(struct hl_status *st, const uint8_t *buf, size_t n, char *err,
		     size_t errcap);
void hl_status_fini(struct hl_status *st);

/* The facts behind the verdict, for `ringctl health` and the metrics. */
struct hl_report {
	bool dp_answered;		/* the status came within HL_REPLY_MS */
	struct hl_status st;		/* what it said (when dp_answered) */
	unsigned workers_stalled;	/* UDP workers and TCP threads with no
					   progress within HL_PROGRESS_MAX_MS,
					   or not started */
	unsigned ports_down;		/* link down or unknown (DPDK) */
	unsigned zones;			/* configured */
	unsigned zones_unserved;	/* configured, no version served */
	unsigned zones_expired;		/* secondary zones past their expire time */
	unsigned nproblems;		/* every reason counted */
	char reasons[HL_REASONS_MAX][320];	/* the first ones, in words */
};

/* Collects the facts into r (hl_report_fini frees them). */
void hl_collect(struct ctl *c, struct hl_report *r);
void hl_report_fini(struct hl_report *r);

static inline bool hl_healthy(const struct hl_report *r)
{
	return r->nproblems == 0;
}

#endif
