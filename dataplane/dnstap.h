/*
 * dnstap.h - logging sampled queries and responses as dnstap (the standard
 * schema, dataplane/dnstap.proto: AUTH_QUERY and AUTH_RESPONSE messages)
 * to a file or a Unix socket through libfstrm's I/O thread.
 *
 * The serving threads never wait on it: each takes one of fstrm's input
 * queues (lock-free, single producer, single consumer) and a pool of
 * preallocated frame buffers of its own, encodes a sampled message into a
 * free buffer and submits it; fstrm's thread writes it and hands the
 * buffer back.  When no buffer is free or the queue is full (the writer
 * lags, the reader is gone), the message is dropped and counted
 * (wstats.dnstap_dropped).  Nothing is allocated per message, and a
 * message not sampled costs one compare per burst.
 */
#ifndef RINGDNS_DNSTAP_H
#define RINGDNS_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/stats.h"
#include "dataplane/answer.h"

/* Frames a serving thread may have queued (its fstrm input queue's size),
 * and frames fstrm's thread holds, taken from the queues and not written
 * yet (its output queue's size). */
#define DT_QUEUE 256
#define DT_OUTQ 64
/* Room for one encoded frame: a message whose query or response does not
 * fit is dropped (and counted). */
#define DT_FRAME_MAX 4608

struct dt_opts {
	const char *socket;	/* a Unix socket path, or NULL */
	const char *file;	/* a file path (truncated at start), or NULL */
	unsigned sample;	/* log 1 query in sample (>= 1), per thread */
	bool queries;		/* log AUTH_QUERY */
	bool responses;		/* log AUTH_RESPONSE */
	const char *identity;	/* NULL: the host name */
	const char *version;	/* NULL: none */
	unsigned threads;	/* serving threads that will attach */
};

struct dt_srv;
struct dt_wk;

/* Starts fstrm's writer thread.  A file must be writable now; a socket may
 * appear later (fstrm connects, and reconnects, every second).  -1 with a
 * message on failure. */
int dt_open(struct dt_srv **out, const struct dt_opts *o, char *err, size_t errcap);

/* A serving thread's share (its queue, buffers and counters in st), taken
 * once at the thread's start; NULL when s is NULL (dnstap off) or every
 * share is taken (then the thread logs nothing). */
struct dt_wk *dt_attach(struct dt_srv *s, struct wstats *st);

/* Stops the writer thread after it wrote what is queued (the serving
 * threads have stopped) and frees everything.  s may be NULL. */
void dt_close(struct dt_srv *s);

/* The messages of one burst (IO_BURST <= 32 queries): dt_burst_queries
 * before the engine answers (a response may be written over its query)
 * picks the sampled ones, logs their queries and returns them as a bit
 * mask; dt_burst_responses after, logs their responses (lens[i] 0: none). */
uint32_t dt_sample_slow(struct dt_wk *d, const struct ans_req *reqs, unsigned n);
void dt_burst_responses(struct dt_wk *d, const struct ans_req *reqs, uint8_t *const *outs,
			const size_t *lens, uint32_t mask);

/* The hook before answering: 0 (nothing sampled) at the cost of a compare
 * unless a sample falls in this burst. */
struct dt_wk_head {
	unsigned left;		/* queries before the next sampled one */
};

static inline uint32_t dt_burst_queries(struct dt_wk *d, const struct ans_req *reqs, unsigned n)
{
	struct dt_wk_head *h = (struct dt_wk_head *)(void *)d;
	if (__builtin_expect(h->left >= n, 1)) {
		h->left -= n;
		return 0;
	}
	return dt_sample_slow(d, reqs, n);
}

#endif
