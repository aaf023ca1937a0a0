/*
 * ntq.h - the NOTIFYs the serving threads accepted (signed.c answered
 * them), on their way to the control process: a fixed ring of slots that
 * any serving thread fills without a lock and the main thread empties,
 * with an eventfd that wakes the main thread when the queue stops being
 * empty.  A full queue drops the NOTIFY: the primary sends it again
 * (RFC 1996 §3.6) and the zone's refresh timer runs anyway.
 */
#ifndef RINGDNS_NTQ_H
#define RINGDNS_NTQ_H

#include <stdatomic.h>
#include <stdint.h>

#include "zones/dname.h"

#define NTQ_SLOTS 64

struct ntq_slot {
	atomic_uint state;		/* 0 free, 1 being written, 2 full */
	uint8_t zone[DNAME_MAX];
	uint8_t peer[16];
};

struct ntq {
	struct ntq_slot slot[NTQ_SLOTS];
	atomic_uint pending;		/* 1: the eventfd was written since the last drain */
	int efd;
};

/* 0, or -1 (errno) when the eventfd cannot be made. */
int ntq_init(struct ntq *q);
void ntq_fini(struct ntq *q);
/* Queues one accepted NOTIFY (zone: wire form).  Any thread. */
void ntq_push(struct ntq *q, const uint8_t *zone, const uint8_t peer[16]);
/* The main thread, once q->efd polled readable: fn for each queued. */
void ntq_drain(struct ntq *q, void (*fn)(void *ud, const uint8_t *zone, const uint8_t *peer),
	       void *ud);

#endif
