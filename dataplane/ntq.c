/*
 * ntq.c - the queue of accepted NOTIFYs (ntq.h).  One eventfd write per
 * time the queue goes from drained to not: a flood of NOTIFYs costs the
 * serving threads a few atomics each, not a system call each.
 */
#include "dataplane/ntq.h"

#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int ntq_init(struct ntq *q)
{
	for (unsigned i = 0; i < NTQ_SLOTS; i++)
		atomic_init(&q->slot[i].state, 0);
	atomic_init(&q->pending, 0);
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return q->efd < 0 ? -1 : 0;
}

void ntq_fini(struct ntq *q)
{
	if (q->efd >= 0)
		close(q->efd);
	q->efd = -1;
}

void ntq_push(struct ntq *q, const uint8_t *zone, const uint8_t peer[16])
{
	for (unsigned i = 0; i < NTQ_SLOTS; i++) {
		struct ntq_slot *s = &q->slot[i];
		unsigned want = 0;
		if (!atomic_compare_exchange_strong_explicit(&s->state, &want, 1,
							     memory_order_acquire,
							     memory_order_relaxed))
			continue;
		memcpy(s->zone, zone, dname_len(zone));
		memcpy(s->peer, peer, 16);
		atomic_store_explicit(&s->state, 2, memory_order_release);
		if (atomic_exchange_explicit(&q->pending, 1, memory_order_acq_rel) == 0) {
			uint64_t one = 1;
			if (write(q->efd, &one, sizeof one) < 0) {
				/* the counter cannot overflow at one per drain */
			}
		}
		return;
	}
}

void ntq_drain(struct ntq *q, void (*fn)(void *ud, const uint8_t *zone, const uint8_t *peer),
	       void *ud)
{
	uint64_t v;
	if (read(q->efd, &v, sizeof v) < 0) {
		/* nothing to clear: a spurious wake */
	}
	/* cleared before the scan: a push the scan misses writes again */
	atomic_store_explicit(&q->pending, 0, memory_order_seq_cst);
	for (unsigned i = 0; i < NTQ_SLOTS; i++) {
		struct ntq_slot *s = &q->slot[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) != 2)
			continue;
		uint8_t zone[DNAME_MAX], peer[16];
		memcpy(zone, s->zone, dname_len(s->zone));
		memcpy(peer, s->peer, 16);
		atomic_store_explicit(&s->state, 0, memory_order_release);
		fn(ud, zone, peer);
	}
}
