/*
 * journal.h - the differences between the versions of a zone ringdns has
 * served (RFC 1995 §4), computed from their snapshot images when a new
 * version is served, kept in memory within a size bound, and written as
 * an IXFR response for a secondary that holds one of the versions.
 */
#ifndef RINGDNS_JOURNAL_H
#define RINGDNS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "control/axfr.h"

struct snap;
struct journal;

/* An empty journal whose differences take at most max_bytes in all (the
 * oldest go first); NULL when out of memory. */
struct journal *jr_new(size_t max_bytes);
void jr_free(struct journal *j);

/*
 * Records the difference from version old to version cur (both valid
 * images of the same zone, old's serial before cur's).  A difference
 * larger than the bound is not kept, and the versions before it are
 * forgotten (the chain would break).  0, or -1 when out of memory (the
 * journal is emptied).
 */
int jr_add(struct journal *j, const struct snap *old, const struct snap *cur);

/* The same from a change as an IXFR step carries it (zones/zdiff.h),
 * without the two images: what a change applied incrementally records
 * (control/incr.c). */
struct zdiff;
int jr_add_diff(struct journal *j, const struct zdiff *d);

/* Writes each kept difference to line (one call per line of text): a
 * head "serial FROM -> TO: D deleted, A added", then "- RECORD" and
 * "+ RECORD" lines in presentation form. */
void jr_print(const struct journal *j, void (*line)(void *ud, const char *text), void *ud);

/* Differences kept, and their bytes. */
size_t jr_count(const struct journal *j);
size_t jr_bytes(const struct journal *j);

/*
 * Writes the IXFR response from version `from` to cur (RFC 1995 §4: cur's
 * SOA, then for each step the old SOA, the records deleted, the new SOA,
 * the records added, then cur's SOA again) as axfr_write writes its
 * messages.  Returns the number of messages; -2 when the journal cannot
 * lead from `from` to cur's serial (the caller sends the whole zone
 * instead, §4); -1 with err on a failure.
 */
long jr_write_ixfr(const struct journal *j, uint32_t from, const struct snap *cur,
		   const struct axfr_query *q, size_t msg_max, axfr_emit_fn emit, void *ud,
		   char *err, size_t errcap);

#endif
