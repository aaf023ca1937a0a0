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
#include <time.h>

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

/* One dnstap Message as dt_encode writes it (the schema's values). */
enum { DT_AUTH_QUERY = 1, DT_AUTH_RESPONSE = 2 };	/* Message.Type */
enum { DT_INET = 1, DT_INET6 = 2 };			/* SocketFamily */
enum { DT_UDP = 1, DT_TCP = 2 };			/* SocketProtocol */
struct dt_msg {
	uint8_t type;		/* DT_AUTH_QUERY or DT_AUTH_RESPONSE */
	uint8_t family;		/* 0: no address */
	uint8_t protocol;
	uint8_t addr_len;	/* 0, 4 or 16: the client's address */
	const uint8_t *addr;
	uint8_t raddr_len;	/* 0, 4 or 16: the server's (of family too) */
	const uint8_t *raddr;
	bool has_port;
	uint16_t port;		/* the client's */
	bool has_rport;
	uint16_t rport;		/* the server's */
	struct timespec qt;	/* query time */
	struct timespec rt;	/* response time (a response only) */
	const uint8_t *dns;	/* the query or the response, wire format */
	size_t dns_len;
};

/* Writes the Dnstap frame of m (identity, version: NULL for none) into
 * buf, which has room for dns_len, both names and 128 bytes more (the
 * message less than 2 MiB); returns its length.  Protocol Buffers' wire
 * format written straight, fields in order: the bytes protobuf-c's pack
 * of the same message gives (tests/test_dnstap.c), at a tenth of its
 * instructions (its descriptor-driven pack was 85 % of a logged
 * message's cost). */
size_t dt_encode(uint8_t *buf, const char *identity, const char *version, const struct dt_msg *m);

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
