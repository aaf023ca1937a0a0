/*
 * ratelog.c - counting the hits of a limit between log lines (ratelog.h).
 */
#include "common/ratelog.h"

#include <stdbool.h>

uint64_t ratelog_hit(struct ratelog *r, uint64_t now_ms, unsigned interval_ms)
{
	__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
	uint64_t next = __atomic_load_n(&r->next_ms, __ATOMIC_RELAXED);
	if (now_ms < next)
		return 0;
	/* one thread wins the line; the others' hits wait for the next */
	if (!__atomic_compare_exchange_n(&r->next_ms, &next, now_ms + interval_ms, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	return __atomic_exchange_n(&r->hits, 0, __ATOMIC_RELAXED);
}
