/*
 * dnstap.c - dnstap logging (dnstap.h): fstrm's writer thread and its
 * input queues, one per serving thread, and the encoding of one message
 * into a buffer of the thread's pool.
 *
 * A thread's buffers are used in turn: the next one is free once fstrm
 * called back for it (dt_done, on fstrm's thread), which it does in the
 * order they were submitted, after writing them.  There are as many as
 * fstrm can hold (its input queue, and its output queue of frames not
 * written yet), so that a full input queue is what stops a thread: fstrm
 * wakes its writer on the queue's fill level, which a thread short of
 * buffers would never reach (the writer would then sleep out its flush
 * timeout, a second).  The busy flag is the only thing the two threads
 * share per buffer (release on one side, acquire on the other).
 */
#include "dataplane/dnstap.h"

#include <errno.h>
#include <fstrm.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/stats.h"
#include "dataplane/tsan.h"

#define DT_CONTENT_TYPE "protobuf:dnstap.Dnstap"
#define DT_FRAMES (DT_QUEUE + DT_OUTQ)
/* What an encoded message holds besides its DNS message, identity and
 * version: keys, lengths, enums, ports, times and addresses (at most 100
 * bytes), with room to spare. */
#define DT_FIELDS_MAX 128

struct dt_frame {
	atomic_bool busy;	/* submitted, not yet handed back */
	uint8_t buf[DT_FRAME_MAX];
};

struct dt_wk {
	struct dt_wk_head head;	/* first: dt_burst_queries reads it */
	struct dt_srv *s;
	struct fstrm_iothr_queue *q;
	struct wstats *st;
	unsigned next;		/* the frame to use next */
	struct timespec qt;	/* when the sampled queries of the burst came */
	struct dt_frame *frames;	/* [DT_FRAMES] */
} __attribute__((aligned(64)));

struct dt_srv {
	struct fstrm_iothr *io;
	struct dt_opts o;
	unsigned nwk;
	atomic_uint taken;
	struct dt_wk *wk;	/* [o.threads] */
	char identity[256];
	char version[256];
	size_t names_len;	/* strlen(identity) + strlen(version) */
};

/* fstrm's writer thread is done with a frame. */
static void dt_done(void *buf, void *frame)
{
	(void)buf;
	TSAN_ACQUIRE(frame);	/* fstrm's queue: what dt_log wrote */
	atomic_store_explicit(&((struct dt_frame *)frame)->busy, false, memory_order_release);
}

static struct fstrm_writer *dt_writer(const struct dt_opts *o, char *err, size_t errcap)
{
	struct fstrm_writer *w = NULL;
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	fstrm_writer_options_add_content_type(wopt, DT_CONTENT_TYPE, strlen(DT_CONTENT_TYPE));
	if (o->socket) {
		struct fstrm_unix_writer_options *u = fstrm_unix_writer_options_init();
		fstrm_unix_writer_options_set_socket_path(u, o->socket);
		w = fstrm_unix_writer_init(u, wopt);
		fstrm_unix_writer_options_destroy(&u);
	} else {
		/* fstrm opens the file on its own thread and would only
		 * retry there: an unwritable path is refused here */
		FILE *f = fopen(o->file, "a");
		if (!f) {
			snprintf(err, errcap, "dnstap file %s: %s", o->file, strerror(errno));
			fstrm_writer_options_destroy(&wopt);
			return NULL;
		}
		fclose(f);
		struct fstrm_file_options *fo = fstrm_file_options_init();
		fstrm_file_options_set_file_path(fo, o->file);
		w = fstrm_file_writer_init(fo, wopt);
		fstrm_file_options_destroy(&fo);
	}
	fstrm_writer_options_destroy(&wopt);
	if (!w)
		snprintf(err, errcap, "dnstap %s: cannot set up the writer", o->socket ? o->socket : o->file);
	return w;
}

static struct fstrm_iothr *dt_iothr(unsigned queues, struct fstrm_writer **w)
{
	struct fstrm_iothr_options *io = fstrm_iothr_options_init();
	fstrm_iothr_options_set_num_input_queues(io, queues);
	fstrm_iothr_options_set_queue_model(io, FSTRM_IOTHR_QUEUE_MODEL_SPSC);
	fstrm_iothr_options_set_input_queue_size(io, DT_QUEUE);
	fstrm_iothr_options_set_output_queue_size(io, DT_OUTQ);
	fstrm_iothr_options_set_reopen_interval(io, 1);
	struct fstrm_iothr *t = fstrm_iothr_init(io, w);
	fstrm_iothr_options_destroy(&io);
	return t;
}

int dt_open(struct dt_srv **out, const struct dt_opts *o, char *err, size_t errcap)
{
	*out = NULL;
	struct dt_srv *s = calloc(1, sizeof *s);
	unsigned n = o->threads ? o->threads : 1;
	if (!s || !(s->wk = aligned_alloc(64, n * sizeof *s->wk))) {
		free(s);
		snprintf(err, errcap, "dnstap: out of memory");
		return -1;
	}
	memset(s->wk, 0, n * sizeof *s->wk);
	s->o = *o;
	s->nwk = n;
	/* the names are kept here: the caller's strings may go */
	if (o->identity)
		snprintf(s->identity, sizeof s->identity, "%s", o->identity);
	else if (gethostname(s->identity, sizeof s->identity - 1) != 0)
		s->identity[0] = 0;
	s->o.identity = s->identity[0] ? s->identity : NULL;
	if (o->version)
		snprintf(s->version, sizeof s->version, "%s", o->version);
	s->o.version = o->version ? s->version : NULL;
	s->names_len = strlen(s->identity) + strlen(s->version);
	for (unsigned i = 0; i < n; i++) {
		s->wk[i].frames = calloc(DT_FRAMES, sizeof *s->wk[i].frames);
		if (!s->wk[i].frames) {
			snprintf(err, errcap, "dnstap: out of memory");
			dt_close(s);
			return -1;
		}
	}
	struct fstrm_writer *w = dt_writer(o, err, errcap);
	if (!w || !(s->io = dt_iothr(n, &w))) {
		if (w) {
			fstrm_writer_destroy(&w);
			snprintf(err, errcap, "dnstap: cannot start fstrm's writer thread");
		}
		dt_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

struct dt_wk *dt_attach(struct dt_srv *s, struct wstats *st)
{
	if (!s)
		return NULL;
	unsigned i = atomic_fetch_add(&s->taken, 1);
	if (i >= s->nwk)
		return NULL;
	struct dt_wk *d = &s->wk[i];
	d->q = fstrm_iothr_get_input_queue_idx(s->io, i);
	if (!d->q)
		return NULL;
	d->s = s;
	d->st = st;
	d->head.left = s->o.sample - 1;
	return d;
}

void dt_close(struct dt_srv *s)
{
	if (!s)
		return;
	if (s->io)
		fstrm_iothr_destroy(&s->io);	/* flushes, joins its thread */
	for (unsigned i = 0; i < s->nwk; i++)
		free(s->wk[i].frames);
	free(s->wk);
	free(s);
}

/* Protocol Buffers' wire format (the schema's field numbers and types,
 * dnstap.proto): a key is field << 3 | wire type. */
enum { PB_VARINT = 0, PB_LEN = 2, PB_FIXED32 = 5 };
#define PB_KEY(field, type) ((uint8_t)((field) << 3 | (type)))

static inline uint8_t *pb_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint8_t *pb_bytes(uint8_t *p, uint8_t key, const void *b, size_t n)
{
	*p++ = key;
	p = pb_varint(p, n);
	memcpy(p, b, n);
	return p + n;
}

static inline uint8_t *pb_fixed32(uint8_t *p, uint8_t key, uint32_t v)
{
	*p++ = key;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(v >> 8 * i);
	return p;
}

/* The Message fields of m, in field order. */
static uint8_t *dt_message(uint8_t *p, const struct dt_msg *m)
{
	*p++ = PB_KEY(1, PB_VARINT);		/* type */
	*p++ = m->type;
	if (m->family) {
		*p++ = PB_KEY(2, PB_VARINT);	/* socket_family */
		*p++ = m->family;
	}
	*p++ = PB_KEY(3, PB_VARINT);		/* socket_protocol */
	*p++ = m->protocol;
	if (m->addr_len)
		p = pb_bytes(p, PB_KEY(4, PB_LEN), m->addr, m->addr_len);	/* query_address */
	if (m->raddr_len)
		p = pb_bytes(p, PB_KEY(5, PB_LEN), m->raddr, m->raddr_len);	/* response_address */
	if (m->has_port) {
		*p++ = PB_KEY(6, PB_VARINT);	/* query_port */
		p = pb_varint(p, m->port);
	}
	if (m->has_rport) {
		*p++ = PB_KEY(7, PB_VARINT);	/* response_port */
		p = pb_varint(p, m->rport);
	}
	*p++ = PB_KEY(8, PB_VARINT);		/* query_time_sec */
	p = pb_varint(p, (uint64_t)m->qt.tv_sec);
	p = pb_fixed32(p, PB_KEY(9, PB_FIXED32), (uint32_t)m->qt.tv_nsec);
	if (m->type == DT_AUTH_QUERY)
		return pb_bytes(p, PB_KEY(10, PB_LEN), m->dns, m->dns_len);	/* query_message */
	*p++ = PB_KEY(12, PB_VARINT);		/* response_time_sec */
	p = pb_varint(p, (uint64_t)m->rt.tv_sec);
	p = pb_fixed32(p, PB_KEY(13, PB_FIXED32), (uint32_t)m->rt.tv_nsec);
	return pb_bytes(p, PB_KEY(14, PB_LEN), m->dns, m->dns_len);	/* response_message */
}

size_t dt_encode(uint8_t *buf, const char *identity, const char *version, const struct dt_msg *m)
{
	uint8_t *p = buf;
	if (identity)
		p = pb_bytes(p, PB_KEY(1, PB_LEN), identity, strlen(identity));
	if (version)
		p = pb_bytes(p, PB_KEY(2, PB_LEN), version, strlen(version));
	/* the message (field 14) goes behind room for its key and a length
	 * of up to 3 bytes (2 MiB), then moves up to where its length ends */
	uint8_t *in = p + 4;
	size_t n = (size_t)(dt_message(in, m) - in);
	*p++ = PB_KEY(14, PB_LEN);
	p = pb_varint(p, n);
	memmove(p, in, n);
	p += n;
	*p++ = PB_KEY(15, PB_VARINT);		/* type: MESSAGE */
	*p++ = 1;
	return (size_t)(p - buf);
}

/* An address of kind k (enum ans_peer) at a, with the transport's port
 * for it: sets *addr and *port (0: not known), returns the address's
 * length (0: none).  An IPv4 address as v4-mapped IPv6 gives 4 bytes. */
static uint8_t dt_addr(uint8_t k, const void *a, uint16_t port, const uint8_t **addr,
		       uint16_t *portp)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	*portp = port;
	switch (k) {
	case ANS_PEER_SOCKADDR:
		if (((const struct sockaddr_storage *)a)->ss_family == AF_INET) {
			const struct sockaddr_in *s4 = a;
			*addr = (const uint8_t *)&s4->sin_addr;
			*portp = ntohs(s4->sin_port);
			return 4;
		}
		if (((const struct sockaddr_storage *)a)->ss_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = a;
			*addr = (const uint8_t *)&s6->sin6_addr;
			*portp = ntohs(s6->sin6_port);
			return 16;
		}
		return 0;
	case ANS_PEER_IP4:
		*addr = a;
		return 4;
	case ANS_PEER_IP16:
		if (memcmp(a, v4mapped, sizeof v4mapped) == 0) {
			*addr = (const uint8_t *)a + 12;
			return 4;
		}
		*addr = a;
		return 16;
	default:
		return 0;
	}
}

/* The client's and the server's addresses and ports as req gives them,
 * those known.  The family is the client's address's (else the
 * server's): a server address of the other family is left out. */
static void dt_ends(const struct ans_req *req, struct dt_msg *m)
{
	m->addr_len = dt_addr(req->peer_kind, req->peer, req->peer_port, &m->addr, &m->port);
	m->raddr_len = dt_addr(req->local_kind, req->local, req->local_port, &m->raddr, &m->rport);
	m->has_port = m->port != 0;
	m->has_rport = m->rport != 0;
	if (m->addr_len && m->raddr_len && m->raddr_len != m->addr_len)
		m->raddr_len = 0;
	uint8_t len = m->addr_len ? m->addr_len : m->raddr_len;
	if (len)
		m->family = len == 4 ? DT_INET : DT_INET6;
}

/* Encodes one message (msg, len: the query or the response) and hands it
 * to fstrm; counts it sent or dropped. */
static void dt_log(struct dt_wk *d, const struct ans_req *req, bool response,
		   const uint8_t *msg, size_t len)
{
	struct dt_frame *f = &d->frames[d->next];
	if (atomic_load_explicit(&f->busy, memory_order_acquire)) {
		ST_INC(d->st->dnstap_dropped);	/* the writer is DT_FRAMES behind */
		return;
	}
	if (len + d->s->names_len + DT_FIELDS_MAX > sizeof f->buf) {
		ST_INC(d->st->dnstap_dropped);	/* too large for a frame */
		return;
	}
	struct dt_msg m = { .type = response ? DT_AUTH_RESPONSE : DT_AUTH_QUERY,
			    .protocol = req->tcp ? DT_TCP : DT_UDP, .qt = d->qt,
			    .dns = msg, .dns_len = len };
	dt_ends(req, &m);
	if (response)
		clock_gettime(CLOCK_REALTIME, &m.rt);	/* the vDSO: no syscall */
	size_t size = dt_encode(f->buf, d->s->o.identity, d->s->o.version, &m);
	atomic_store_explicit(&f->busy, true, memory_order_relaxed);
	TSAN_RELEASE(f);	/* to fstrm's writer thread, through its queue */
	if (fstrm_iothr_submit(d->s->io, d->q, f->buf, size, dt_done, f) != fstrm_res_success) {
		atomic_store_explicit(&f->busy, false, memory_order_relaxed);
		ST_INC(d->st->dnstap_dropped);	/* the queue is full */
		return;
	}
	d->next = (d->next + 1) % DT_FRAMES;
	ST_INC(d->st->dnstap_sent);
}

uint32_t dt_sample_slow(struct dt_wk *d, const struct ans_req *reqs, unsigned n)
{
	uint32_t mask = 0;
	unsigned every = d->s->o.sample;
	for (unsigned i = 0; i < n; i++) {
		if (d->head.left) {
			d->head.left--;
			continue;
		}
		d->head.left = every - 1;
		if (reqs[i].qlen)
			mask |= 1u << i;
	}
	if (!mask)
		return 0;
	clock_gettime(CLOCK_REALTIME, &d->qt);
	if (d->s->o.queries)
		for (unsigned i = 0; i < n; i++)
			if (mask & (1u << i))
				dt_log(d, &reqs[i], false, reqs[i].q, reqs[i].qlen);
	return d->s->o.responses ? mask : 0;
}

void dt_burst_responses(struct dt_wk *d, const struct ans_req *reqs, uint8_t *const *outs,
			const size_t *lens, uint32_t mask)
{
	for (unsigned i = 0; mask; i++, mask >>= 1)
		if ((mask & 1) && lens[i])
			dt_log(d, &reqs[i], true, outs[i], lens[i]);
}
