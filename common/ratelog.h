/*
 * ratelog.h - one log line per burst of hits of a limit: the first hit
 * is logged at once, the hits that follow within the interval are only
 * counted and reported with the next line.  Hostile input can hit a
 * limit thousands of times a second; the log must say so without
 * growing at that rate.  Thread-safe (relaxed atomics; no lock).
 */
#ifndef RINGDNS_RATELOG_H
#define RINGDNS_RATELOG_H

#include <stdint.h>

#define RATELOG_INTERVAL_MS 10000	/* at most one line per limit this often */

struct ratelog {
	uint64_t next_ms;	/* no line before this time */
	uint64_t hits;		/* hits not reported yet */
};

/*
 * Counts one hit at now_ms (any monotonic clock in milliseconds).  When a
 * line is due, returns the number of hits it reports (this one and those
 * counted since the last line) and the caller logs it; else 0.  A zeroed
 * struct ratelog is ready to use.
 */
uint64_t ratelog_hit(struct ratelog *r, uint64_t now_ms, unsigned interval_ms);

#endif
