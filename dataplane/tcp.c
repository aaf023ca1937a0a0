/*
 * tcp.c - DNS over TCP (RFC 7766) for the socket backend (interface:
 * tcp.h).
 *
 * Threads: each owns an epoll set holding one SO_REUSEPORT listening
 * socket per address (the kernel spreads connections over the threads)
 * and the connections it accepted; a connection never changes thread.
 * Each thread is a liburcu QSBR reader as the workers are (run.h):
 * offline while blocked in epoll_wait, one read of the zone index per
 * batch of events, a quiescent state after each batch, and the run's
 * stop flag ends it.
 *
 * Connections: one allocation at accept holds the input buffer (room for
 * one whole framed message, 2 + 65535 bytes) and the output buffer.
 * Every complete message in the input is answered at once (pipelining;
 * responses leave in query order) straight into the output buffer, so a
 * query costs no allocation and no copy.  When more than TCP_OUT_HIGH
 * bytes wait to be sent, the connection stops taking queries (EPOLLIN
 * off) until the client reads (EPOLLOUT): memory per connection is
 * bounded whatever the client does.
 *
 * Limits: max_clients over all threads (an atomic counter), max_per_client
 * per client address (a small mutex-protected hash table, touched only at
 * accept and close).  A connection is idle when it neither delivered a
 * complete query nor accepted response bytes for idle_timeout_ms; each
 * thread keeps its connections in order of last activity, so expiry looks
 * only at the front of that list.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "dataplane/tcp.h"

#include <arpa/inet.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/ratelog.h"
#include "common/sigmask.h"
#include "dataplane/cookie.h"
#include "dataplane/dnstap.h"
#include "dataplane/stats.h"
#include "zones/rrtype.h"

#define TCP_BACKLOG 1024
#define TCP_WAIT_MS 100		/* epoll_wait timeout: stop flag, idle expiry */
#define TCP_EVENTS 64		/* events per epoll_wait */
#define TCP_ACCEPT_BATCH 64	/* connections accepted per listener event */
#define TCP_MSG_MAX 65535
#define TCP_IN_CAP (2 + TCP_MSG_MAX)
/* Above this many unsent bytes a connection takes no more queries. */
#define TCP_OUT_HIGH 65536
/* Room for TCP_OUT_HIGH unsent bytes and one more framed response. */
#define TCP_OUT_CAP (TCP_OUT_HIGH + 2 + TCP_MSG_MAX)
#define TCP_PAUSE_MS 100	/* listeners rest this long when out of fds */

enum tcp_kind { TCP_K_LISTEN, TCP_K_CONN };

/* What an epoll event points to: a listener or a connection. */
struct tcp_lsn {
	enum tcp_kind kind;
	int fd;
};

struct tcp_conn {
	enum tcp_kind kind;	/* TCP_K_CONN; first, as in struct tcp_lsn */
	int fd;
	uint32_t events;	/* epoll interest now */
	bool eof;		/* the peer sent FIN: answer what is buffered, then close */
	bool quit;		/* no more queries (limit, bad frame): flush, then close */
	bool handed;		/* handed to the control process (a transfer): close ours */
	unsigned nq;		/* queries taken */
	uint64_t last_ms;	/* last complete query or response progress */
	struct tcp_conn *prev, *next;	/* thread's list, least recently active first */
	uint8_t addr[16];	/* client address (IPv4 as v4-mapped) */
	struct sockaddr_storage peer;	/* the client's address and port */
	struct sockaddr_storage local;	/* ours (AF_UNSPEC: not known) */
	size_t inlen;		/* bytes in in[] */
	size_t outoff, outlen;	/* out[outoff..outlen) not sent yet */
	uint8_t in[TCP_IN_CAP];
	uint8_t out[TCP_OUT_CAP];
};

struct tcp_srv;

struct tcp_thr {
	struct tcp_srv *s;
	struct ans_cfg acfg;		/* the server's, with this thread's cookie context */
	struct wstats *st;
	struct zstats *zst;		/* its zone counters; NULL: off */
	struct dt_wk *dt;		/* dnstap; NULL: off */
	int ep;
	struct tcp_lsn *lsn;		/* one per address */
	bool lsn_paused;
	uint64_t lsn_resume_ms;
	struct tcp_conn *head, *tail;
	pthread_t tid;
	bool started;
	uint64_t beat_ms;		/* tcp_now_ms() of its last round (relaxed
					   atomic; 0: none yet), for health */
};

/* Open connections of one client address; n == 0: empty slot. */
struct tcp_client {
	uint8_t addr[16];
	uint32_t n;
};

struct tcp_srv {
	struct dp_run *run;
	const struct ans_cfg *acfg;
	struct tcp_opts o;
	size_t naddrs;
	uint16_t *ports;		/* bound port per address */
	struct tcp_thr *thr;
	unsigned nconns;		/* atomic: open connections, all threads */
	pthread_mutex_t mu;		/* guards cl */
	struct tcp_client *cl;		/* open addressing, linear probing */
	uint32_t clmask;
	uint64_t seed[2];		/* keys the client hash */
	struct ratelog full_log;	/* refusals under max_clients */
	struct ratelog client_full_log;	/* refusals under max_per_client */
};

static uint64_t tcp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- per-client limit ---- */

static uint64_t tcp_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Keyed with a random seed, so clients cannot pick colliding addresses. */
static uint32_t tcp_cl_slot(const struct tcp_srv *s, const uint8_t a[16])
{
	uint64_t x, y;
	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	return (uint32_t)tcp_mix(tcp_mix(x ^ s->seed[0]) ^ y ^ s->seed[1]) & s->clmask;
}

/* The slot holding a, or the empty slot where it would go.  The table is
 * at least twice the number of addresses it can hold, so one is found. */
static uint32_t tcp_cl_find(const struct tcp_srv *s, const uint8_t a[16])
{
	uint32_t i = tcp_cl_slot(s, a);
	while (s->cl[i].n && memcmp(s->cl[i].addr, a, 16) != 0)
		i = (i + 1) & s->clmask;
	return i;
}

/* Counts one more connection of a; false when a is at its limit. */
static bool tcp_cl_take(struct tcp_srv *s, const uint8_t a[16])
{
	bool ok = true;
	pthread_mutex_lock(&s->mu);
	struct tcp_client *c = &s->cl[tcp_cl_find(s, a)];
	if (!c->n) {
		memcpy(c->addr, a, 16);
		c->n = 1;
	} else if (c->n >= s->o.max_per_client) {
		ok = false;
	} else {
		c->n++;
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
}

/* Counts one connection of a less; the last one empties its slot
 * (backward-shift deletion, so no tombstones pile up). */
static void tcp_cl_put(struct tcp_srv *s, const uint8_t a[16])
{
	pthread_mutex_lock(&s->mu);
	uint32_t i = tcp_cl_find(s, a);
	if (s->cl[i].n && --s->cl[i].n == 0) {
		for (uint32_t j = (i + 1) & s->clmask; s->cl[j].n; j = (j + 1) & s->clmask) {
			uint32_t k = tcp_cl_slot(s, s->cl[j].addr);
			/* the entry at j may move to i unless its home k lies
			 * cyclically in (i, j] */
			bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
			if (!stays) {
				s->cl[i] = s->cl[j];
				i = j;
			}
		}
		s->cl[i].n = 0;
	}
	pthread_mutex_unlock(&s->mu);
}

static void tcp_addr_key(const struct sockaddr_storage *ss, uint8_t a[16])
{
	memset(a, 0, 16);
	if (ss->ss_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

enum tcp_verdict { TCP_ADMIT, TCP_FULL, TCP_CLIENT_FULL };

/* Admits a connection from a under both limits, or says which refused it. */
static enum tcp_verdict tcp_admit(struct tcp_srv *s, const uint8_t a[16])
{
	if (__atomic_add_fetch(&s->nconns, 1, __ATOMIC_RELAXED) > s->o.max_clients) {
		__atomic_sub_fetch(&s->nconns, 1, __ATOMIC_RELAXED);
		return TCP_FULL;
	}
	if (!tcp_cl_take(s, a)) {
		__atomic_sub_fetch(&s->nconns, 1, __ATOMIC_RELAXED);
		return TCP_CLIENT_FULL;
	}
	return TCP_ADMIT;
}

/* One warning per burst of refusals (ratelog.h) naming the limit's key,
 * so that an operator sees a flood without the log growing with it. */
static void tcp_refused_log(struct tcp_srv *s, enum tcp_verdict v,
			    const struct sockaddr_storage *ss, uint64_t now)
{
	bool total = v == TCP_FULL;
	uint64_t n = ratelog_hit(total ? &s->full_log : &s->client_full_log, now,
				 RATELOG_INTERVAL_MS);
	if (!n)
		return;
	char a[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof a);
	else if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof a);
	if (total)
		log_warn("TCP connection from %s refused: %u connections open in all "
			 "(tcp-max-clients); %llu refused since the last such line", a,
			 s->o.max_clients, (unsigned long long)n);
	else
		log_warn("TCP connection from %s refused: %u connections open from that "
			 "address (tcp-max-per-client); %llu refused since the last such line",
			 a, s->o.max_per_client, (unsigned long long)n);
}

/* ---- connections ---- */

static void tcp_unlink(struct tcp_thr *t, struct tcp_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void tcp_append(struct tcp_thr *t, struct tcp_conn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

/* Marks c active now: to the back of the expiry order. */
static void tcp_touch(struct tcp_thr *t, struct tcp_conn *c, uint64_t now)
{
	c->last_ms = now;
	if (t->tail != c) {
		tcp_unlink(t, c);
		tcp_append(t, c);
	}
}

static void tcp_close(struct tcp_thr *t, struct tcp_conn *c)
{
	tcp_unlink(t, c);
	/* Out of the epoll set before c is freed.  close() alone removes the
	 * registration only with the last descriptor of the open file
	 * (epoll(7), Q6): one handed to the control process, or one a
	 * fork()/posix_spawn() in this process holds until its exec, would
	 * keep reporting events that point to freed memory. */
	epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	tcp_cl_put(t->s, c->addr);
	__atomic_sub_fetch(&t->s->nconns, 1, __ATOMIC_RELAXED);
	free(c);
}

static size_t tcp_pending(const struct tcp_conn *c)
{
	return c->outlen - c->outoff;
}

/* Whether in[] holds a whole message, or a frame too short to be one. */
static bool tcp_has_msg(const struct tcp_conn *c)
{
	if (c->inlen < 2)
		return false;
	size_t mlen = (size_t)c->in[0] << 8 | c->in[1];
	return mlen < 12 || c->inlen - 2 >= mlen;
}

/* Whether the query q (mlen bytes) asks for a zone transfer: QR clear,
 * opcode QUERY, one question of type AXFR or IXFR. */
static bool tcp_is_xfr(const uint8_t *q, size_t mlen)
{
	if ((q[2] & 0xf8) != 0 || q[4] != 0 || q[5] != 1)
		return false;
	size_t o = 12;
	while (o < mlen && q[o] != 0) {
		if (q[o] & 0xc0)
			return false;
		o += q[o] + 1u;
	}
	if (o + 5 > mlen)
		return false;
	unsigned type = (unsigned)(q[o + 1] << 8 | q[o + 2]);
	return type == RR_AXFR || type == RR_IXFR;
}

/*
 * Hands connection c and its transfer query q (mlen bytes) to the control
 * process, which serves transfers (common/ipc.h): true when it took them,
 * and then c only waits to be closed here (the control process holds its
 * own descriptor of the connection).  Not when answers are still to be
 * sent first, nor when the channel is full or absent: the query is then
 * answered here, as without transfers.
 */
static bool tcp_hand_off(struct tcp_thr *t, struct tcp_conn *c, const uint8_t *q, size_t mlen)
{
	struct ipc_xfr x = { .peerlen = sizeof x.peer, .qlen = (uint32_t)mlen };
	if (t->s->o.xfr_fd < 0 || getpeername(c->fd, (struct sockaddr *)&x.peer,
					     &(socklen_t){ sizeof x.peer }) != 0)
		return false;
	x.peerlen = x.peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						 : sizeof(struct sockaddr_in);
	if (ipc_send2(t->s->o.xfr_fd, IPC_XFR, &x, sizeof x, q, mlen, c->fd, MSG_DONTWAIT) != 0)
		return false;
	c->handed = c->quit = true;
	return true;
}

/*
 * Answers the complete messages at the front of in[] into out[], while at
 * most TCP_OUT_HIGH bytes wait unsent.  A frame shorter than a DNS header
 * ends the connection (after what was answered before it is sent).
 */
static void tcp_serve(struct tcp_thr *t, struct tcp_conn *c, const struct zidx *root,
		      uint64_t now)
{
	struct tcp_srv *s = t->s;
	size_t p = 0;
	bool took = false;
	while (!c->quit && c->inlen - p >= 2 && tcp_pending(c) <= TCP_OUT_HIGH) {
		size_t mlen = (size_t)c->in[p] << 8 | c->in[p + 1];
		if (mlen < 12) {
			st_count_drop(t->st, ST_TCP);
			c->quit = true;
			break;
		}
		if (c->inlen - p - 2 < mlen)
			break;
		const uint8_t *q = c->in + p + 2;
		if (tcp_is_xfr(q, mlen) && s->o.xfr_fd >= 0) {
			/* the transfer starts once what went before is sent */
			if (p == 0 && !tcp_pending(c) && tcp_hand_off(t, c, q, mlen)) {
				st_count_xfr(t->st);
				return;
			}
			if (p != 0 || tcp_pending(c))
				break;
		}
		if (c->outlen + 2 + TCP_MSG_MAX > TCP_OUT_CAP) {
			/* pending <= TCP_OUT_HIGH: moved to the front, a whole
			 * response fits behind it */
			memmove(c->out, c->out + c->outoff, tcp_pending(c));
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		uint8_t *r = c->out + c->outlen;
		struct ans_outcome oc;
		const struct ans_req req = {
			.q = q, .qlen = mlen, .tcp = true,
			.peer_kind = ANS_PEER_SOCKADDR, .peer = &c->peer,
			.local_kind = c->local.ss_family != AF_UNSPEC ? ANS_PEER_SOCKADDR
								       : ANS_PEER_NONE,
			.local = &c->local };
		uint32_t tap = t->dt ? dt_burst_queries(t->dt, &req, 1) : 0;
		size_t rlen = ans_respond(root, &t->acfg, &req, r + 2, TCP_MSG_MAX, &oc);
		if (tap)
			dt_burst_responses(t->dt, &req, &(uint8_t *){ r + 2 }, &rlen, tap);
		st_count(t->st, t->zst, ST_TCP, &oc);
		if (oc.notify)
			dp_run_notified(s->run, &(struct ans_req){ .peer_kind = ANS_PEER_IP16,
								   .peer = c->addr },
					r + 2, rlen);
		if (rlen) {
			r[0] = (uint8_t)(rlen >> 8);
			r[1] = (uint8_t)rlen;
			c->outlen += 2 + rlen;
		}
		p += 2 + mlen;
		took = true;
		if (s->o.max_conn_queries && ++c->nq >= s->o.max_conn_queries)
			c->quit = true;
	}
	if (took)
		tcp_touch(t, c, now);
	if (c->quit) {
		c->inlen = 0;	/* whatever follows is not read */
	} else if (p) {
		memmove(c->in, c->in + p, c->inlen - p);
		c->inlen -= p;
	}
}

/* Sends what it can of out[]; -1 when the connection is broken. */
static int tcp_flush(struct tcp_thr *t, struct tcp_conn *c, uint64_t now)
{
	bool sent = false;
	while (tcp_pending(c)) {
		ssize_t n = send(c->fd, c->out + c->outoff, tcp_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->outoff += (size_t)n;
		sent = true;
	}
	if (!tcp_pending(c))
		c->outoff = c->outlen = 0;
	if (sent)
		tcp_touch(t, c, now);
	return 0;
}

/* Reads once into in[]; -1 on a connection error. */
static int tcp_read(struct tcp_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->inlen, TCP_IN_CAP - c->inlen, MSG_DONTWAIT);
		if (n > 0) {
			c->inlen += (size_t)n;
			return 0;
		}
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

/* Handles readiness of c: read, answer, send, then either close it or
 * set the epoll interest that fits its state. */
static void tcp_conn_event(struct tcp_thr *t, struct tcp_conn *c, uint32_t ev,
			   const struct zidx *root, uint64_t now)
{
	if (ev & EPOLLERR)
		goto close;
	if ((ev & (EPOLLIN | EPOLLHUP)) && (c->events & EPOLLIN) && !c->eof && !c->quit &&
	    c->inlen < TCP_IN_CAP && tcp_read(c) < 0)
		goto close;
	for (;;) {
		size_t before = c->inlen;
		tcp_serve(t, c, root, now);
		if (c->handed)
			goto close;
		if (tcp_flush(t, c, now) < 0)
			goto close;
		/* the send made room for queries held back: go on (unless a
		 * transfer waits for the rest to be sent) */
		if (c->quit || tcp_pending(c) > TCP_OUT_HIGH || !tcp_has_msg(c) ||
		    (c->inlen == before && tcp_pending(c)))
			break;
	}
	if ((c->eof || c->quit) && !tcp_pending(c))
		goto close;
	if ((ev & EPOLLHUP) && !(c->events & EPOLLIN))
		goto close;	/* peer gone while we were not reading */
	uint32_t want = 0;
	if (!c->eof && !c->quit && tcp_pending(c) <= TCP_OUT_HIGH && c->inlen < TCP_IN_CAP)
		want |= EPOLLIN;
	if (tcp_pending(c))
		want |= EPOLLOUT;
	if (want != c->events) {
		struct epoll_event e = { .events = want, .data.ptr = c };
		if (epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &e) < 0)
			goto close;
		c->events = want;
	}
	return;
close:
	tcp_close(t, c);
}

/* Turns the thread's listeners on or off (off while out of descriptors,
 * so a level-triggered listener does not spin). */
static void tcp_lsn_arm(struct tcp_thr *t, bool on)
{
	for (size_t a = 0; a < t->s->naddrs; a++) {
		struct epoll_event e = { .events = on ? EPOLLIN : 0, .data.ptr = &t->lsn[a] };
		epoll_ctl(t->ep, EPOLL_CTL_MOD, t->lsn[a].fd, &e);
	}
	t->lsn_paused = !on;
}

static void tcp_accept(struct tcp_thr *t, int lfd, uint64_t now)
{
	struct tcp_srv *s = t->s;
	for (int k = 0; k < TCP_ACCEPT_BATCH; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				tcp_lsn_arm(t, false);
				t->lsn_resume_ms = now + TCP_PAUSE_MS;
			}
			return;
		}
		uint8_t a[16];
		tcp_addr_key(&ss, a);
		/* counted before the close, which the client may see at once */
		enum tcp_verdict v = tcp_admit(s, a);
		if (v != TCP_ADMIT) {
			ST_INC(t->st->tcp_refused);
			close(fd);
			tcp_refused_log(s, v, &ss, now);
			continue;
		}
		struct tcp_conn *c = malloc(sizeof *c);
		if (!c) {
			ST_INC(t->st->tcp_refused);
			close(fd);
			tcp_cl_put(s, a);
			__atomic_sub_fetch(&s->nconns, 1, __ATOMIC_RELAXED);
			continue;
		}
		c->kind = TCP_K_CONN;
		c->fd = fd;
		c->events = EPOLLIN;
		c->eof = c->quit = c->handed = false;
		c->nq = 0;
		c->last_ms = now;
		memcpy(c->addr, a, 16);
		c->peer = ss;
		/* a listener bound to a wildcard address: the kernel knows
		 * which one the client reached (for dnstap) */
		socklen_t ll = sizeof c->local;
		if (getsockname(fd, (struct sockaddr *)&c->local, &ll) != 0)
			c->local.ss_family = AF_UNSPEC;
		c->inlen = c->outoff = c->outlen = 0;
		tcp_append(t, c);
		/* responses are written whole: no reason to wait for ACKs */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
			ST_INC(t->st->tcp_refused);
			tcp_close(t, c);
			continue;
		}
		ST_INC(t->st->tcp_conns);
	}
}

static void tcp_expire(struct tcp_thr *t, uint64_t now)
{
	uint64_t idle = t->s->o.idle_timeout_ms;
	while (t->head && now - t->head->last_ms >= idle)
		tcp_close(t, t->head);
}

static void *tcp_thread(void *arg)
{
	struct tcp_thr *t = arg;
	struct tcp_srv *s = t->s;
	struct epoll_event ev[TCP_EVENTS];

	rcu_register_thread();
	t->dt = dt_attach(s->run->dnstap, t->st);
	while (!dp_run_stopped(s->run)) {
		dp_run_idle_begin();
		int n = epoll_wait(t->ep, ev, TCP_EVENTS, TCP_WAIT_MS);
		dp_run_idle_end();
		uint64_t now = tcp_now_ms();
		__atomic_store_n(&t->beat_ms, now, __ATOMIC_RELAXED);
		if (n > 0) {
			/* one index for the batch, never kept past it */
			const struct zidx *root = dp_run_root(s->run);
			for (int i = 0; i < n; i++) {
				/* both kinds of object start with their kind */
				if (*(const enum tcp_kind *)ev[i].data.ptr == TCP_K_LISTEN)
					tcp_accept(t, ((const struct tcp_lsn *)ev[i].data.ptr)->fd,
						   now);
				else
					tcp_conn_event(t, ev[i].data.ptr, ev[i].events, root, now);
			}
		}
		tcp_expire(t, now);
		if (t->lsn_paused && now >= t->lsn_resume_ms)
			tcp_lsn_arm(t, true);
		dp_rcu_quiescent();
	}
	while (t->head)
		tcp_close(t, t->head);
	dp_rcu_unregister();
	return NULL;
}

double tcp_idle_ms(const struct tcp_srv *s, unsigned i)
{
	if (i >= s->o.threads)
		return -1;
	uint64_t beat = __atomic_load_n(&s->thr[i].beat_ms, __ATOMIC_RELAXED);
	uint64_t now = tcp_now_ms();
	if (!beat)
		return -1;
	return now > beat ? (double)(now - beat) : 0;
}

/* ---- start and stop ---- */

/* A listening socket on l (port: the port to bind, host order). */
static int tcp_listen_fd(const struct cfg_listen *l, uint16_t port, char *err, size_t errcap)
{
	struct sockaddr_storage ss;
	memcpy(&ss, &l->addr, sizeof ss);
	int fam = ss.ss_family;
	if (fam == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	} else if (fam == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	} else {
		snprintf(err, errcap, "listen %s (TCP): not an IPv4 or IPv6 address", l->text);
		return -1;
	}
	int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		snprintf(err, errcap, "listen %s (TCP): socket: %s", l->text, strerror(errno));
		return -1;
	}
	int one = 1;
	const char *what = NULL;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		what = "setsockopt SO_REUSEADDR: ";
	else if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		what = "setsockopt SO_REUSEPORT: ";
	else if (fam == AF_INET6 &&
		 setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
		what = "setsockopt IPV6_V6ONLY: ";
	else if (bind(fd, (struct sockaddr *)&ss,
		      fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0)
		what = "";
	else if (listen(fd, TCP_BACKLOG) < 0)
		what = "listen: ";
	if (what) {
		snprintf(err, errcap, "listen %s (TCP): %s%s", l->text, what, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t tcp_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Closes and frees everything; the threads have ended (or never ran). */
static void tcp_free(struct tcp_srv *s)
{
	if (s->thr) {
		for (unsigned i = 0; i < s->o.threads; i++) {
			struct tcp_thr *t = &s->thr[i];
			if (t->ep >= 0)
				close(t->ep);
			if (t->lsn)
				for (size_t a = 0; a < s->naddrs; a++)
					if (t->lsn[a].fd >= 0)
						close(t->lsn[a].fd);
			free(t->lsn);
		}
	}
	for (unsigned i = 0; s->thr && i < s->o.threads; i++)
		ck_thread_cfg_fini(&s->thr[i].acfg);
	free(s->thr);
	free(s->ports);
	free(s->cl);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Stops and joins the threads that were started. */
static void tcp_join(struct tcp_srv *s)
{
	dp_run_stop(s->run);
	for (unsigned i = 0; i < s->o.threads; i++)
		if (s->thr[i].started) {
			pthread_join(s->thr[i].tid, NULL);
			s->thr[i].started = false;
		}
}

int tcp_start(struct tcp_srv **out, const struct cfg_listen *addrs, size_t naddrs,
	      struct dp_run *run, const struct ans_cfg *acfg,
	      const struct tcp_opts *opts, struct wstats *stats, char *err, size_t errcap)
{
	*out = NULL;
	if (!opts->threads || !opts->max_clients || !opts->max_per_client ||
	    !opts->idle_timeout_ms) {
		snprintf(err, errcap, "TCP: threads, idle timeout, max clients and max per client "
			 "must each be at least 1");
		return -1;
	}
	if (!naddrs) {
		snprintf(err, errcap, "TCP: no listen address");
		return -1;
	}
	struct tcp_srv *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errcap, "TCP: out of memory");
		return -1;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->run = run;
	s->acfg = acfg;
	s->o = *opts;
	s->naddrs = naddrs;
	/* at most max_clients distinct addresses: keep the table half empty */
	size_t cap = 16;
	while (cap < 2 * (size_t)opts->max_clients)
		cap *= 2;
	s->clmask = (uint32_t)(cap - 1);
	s->cl = calloc(cap, sizeof *s->cl);
	s->ports = calloc(naddrs, sizeof *s->ports);
	s->thr = calloc(opts->threads, sizeof *s->thr);
	bool oom = !s->cl || !s->ports || !s->thr;
	for (unsigned i = 0; s->thr && i < opts->threads; i++) {
		s->thr[i].s = s;
		s->thr[i].st = &stats[i];
		s->thr[i].zst = opts->zstats ? opts->zstats + (size_t)i * opts->zslots : NULL;
		s->thr[i].ep = -1;
	}
	for (unsigned i = 0; !oom && i < opts->threads; i++)
		if (ck_thread_cfg(&s->thr[i].acfg, acfg, err, errcap) != 0)
			goto fail;
	for (unsigned i = 0; !oom && i < opts->threads; i++) {
		struct tcp_thr *t = &s->thr[i];
		t->lsn = malloc(naddrs * sizeof *t->lsn);
		if (!t->lsn) {
			oom = true;
			break;
		}
		for (size_t a = 0; a < naddrs; a++)
			t->lsn[a] = (struct tcp_lsn){ TCP_K_LISTEN, -1 };
	}
	if (oom) {
		snprintf(err, errcap, "TCP: out of memory");
		goto fail;
	}
	if (getrandom(s->seed, sizeof s->seed, GRND_NONBLOCK) != (ssize_t)sizeof s->seed) {
		s->seed[0] = tcp_now_ms() ^ (uintptr_t)s;
		s->seed[1] = tcp_mix(s->seed[0] + 1);
	}

	for (size_t a = 0; a < naddrs; a++) {
		const struct sockaddr_storage *ss = &addrs[a].addr;
		uint16_t port = ss->ss_family == AF_INET6
			? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
			: ntohs(((const struct sockaddr_in *)ss)->sin_port);
		for (unsigned i = 0; i < opts->threads; i++) {
			int fd = tcp_listen_fd(&addrs[a], port, err, errcap);
			if (fd < 0)
				goto fail;
			s->thr[i].lsn[a].fd = fd;
			if (port == 0)	/* the others share the port the first got */
				port = tcp_bound_port(fd);
		}
		s->ports[a] = port;
	}
	for (unsigned i = 0; i < opts->threads; i++) {
		struct tcp_thr *t = &s->thr[i];
		t->ep = epoll_create1(EPOLL_CLOEXEC);
		if (t->ep < 0) {
			snprintf(err, errcap, "TCP: epoll_create1: %s", strerror(errno));
			goto fail;
		}
		for (size_t a = 0; a < naddrs; a++) {
			struct epoll_event e = { .events = EPOLLIN, .data.ptr = &t->lsn[a] };
			if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->lsn[a].fd, &e) < 0) {
				snprintf(err, errcap, "TCP: epoll_ctl: %s", strerror(errno));
				goto fail;
			}
		}
	}

	/* the threads take no signals: they are the main thread's business */
	sigset_t all, old;
	sigmask_async(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (unsigned i = 0; i < opts->threads && !rc; i++) {
		rc = pthread_create(&s->thr[i].tid, NULL, tcp_thread, &s->thr[i]);
		if (!rc)
			s->thr[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errcap, "TCP: pthread_create: %s", strerror(rc));
		tcp_join(s);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	tcp_free(s);
	return -1;
}

unsigned tcp_port(const struct tcp_srv *s, size_t i)
{
	return i < s->naddrs ? s->ports[i] : 0;
}

void tcp_stop(struct tcp_srv *s)
{
	if (!s)
		return;
	tcp_join(s);
	tcp_free(s);
}
