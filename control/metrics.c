/*
 * metrics.c - the Prometheus endpoint of ringdns-control: GET /metrics
 * on server.metrics-listen, served by libmicrohttpd.
 *
 * Why a thread and a hand-off: the control loop can be busy for seconds
 * (a zone compiled, a transfer applied) and must never wait on an HTTP
 * client, and the zone table and the dataplane channel belong to the
 * loop alone.  So libmicrohttpd runs its own threads (one per connection,
 * a bounded number), and a scrape only touches struct mtr: it bumps an
 * eventfd the loop polls and waits (MTR_WAIT_MS at most) on a condition
 * variable for the loop to publish text newer than the scrape.  The loop
 * renders (metrics_render.c: the zone table, and the dataplane's stats
 * and status asked for there and then) and publishes the text under the
 * mutex.  A loop too busy to answer in time gets the last text served
 * (stale but well-formed); before any, a scrape gets 503.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/sigmask.h"
#include "control/ctl.h"
#include "control/promtext.h"

#define MTR_WAIT_MS 2000	/* a scrape waits this long for fresh text */
#define MTR_CONN_MAX 16		/* HTTP connections at once */
#define MTR_CONN_TIMEOUT_S 10	/* an idle HTTP connection is closed after */

struct mtr {
	struct MHD_Daemon *d;
	char listen[64];	/* server.metrics-listen it serves */
	int efd;		/* eventfd: a scrape wants fresh text */
	pthread_mutex_t mu;	/* guards what follows */
	pthread_cond_t cv;	/* signalled when a text is published */
	uint64_t gen;		/* texts published */
	char *text;		/* the last one (malloc), NULL: none yet */
	size_t len;
};

/* The listening socket, closed in forked children (transfers, zone file
 * writers) so that they never hold the port a restarted control process
 * binds again.  A global because pthread_atfork's handler takes no
 * argument; -1: none. */
static int mtr_listen_fd = -1;

static void mtr_atfork_child(void)
{
	if (mtr_listen_fd >= 0)
		close(mtr_listen_fd);
	mtr_listen_fd = -1;
}

/* Asks the loop for fresh text and waits for it; a copy of the newest
 * text (malloc, *len) or NULL when there is none. */
static char *mtr_fresh_copy(struct mtr *m, size_t *len)
{
	pthread_mutex_lock(&m->mu);
	uint64_t want = m->gen + 1;
	pthread_mutex_unlock(&m->mu);
	uint64_t one = 1;
	if (write(m->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_warn("metrics: cannot wake the control loop: %s", strerror(errno));
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += MTR_WAIT_MS / 1000;
	until.tv_nsec += (MTR_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->mu);
	while (m->gen < want && pthread_cond_timedwait(&m->cv, &m->mu, &until) == 0)
		;
	char *copy = m->text ? malloc(m->len ? m->len : 1) : NULL;
	if (copy) {
		memcpy(copy, m->text, m->len);
		*len = m->len;
	}
	pthread_mutex_unlock(&m->mu);
	return copy;
}

static enum MHD_Result mtr_reply(struct MHD_Connection *conn, unsigned status, char *body,
				 size_t len, const char *type)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result mtr_reply_text(struct MHD_Connection *conn, unsigned status,
				      const char *msg)
{
	char *body = strdup(msg);
	if (!body)
		return MHD_NO;
	return mtr_reply(conn, status, body, strlen(body), "text/plain; charset=utf-8");
}

/* libmicrohttpd's request handler (in its connection thread): GET or
 * HEAD /metrics.  The first call only marks the request (the headers are
 * in, any body is not): the reply goes on the second. */
static enum MHD_Result mtr_request(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_len, void **req)
{
	static int seen;
	(void)version;
	(void)upload;
	if (!*req) {
		*req = &seen;
		return MHD_YES;
	}
	if (*upload_len)
		return mtr_reply_text(conn, MHD_HTTP_BAD_REQUEST, "no request body expected\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return mtr_reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics only\n");
	if (strcmp(url, "/metrics") != 0)
		return mtr_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	size_t len = 0;
	char *text = mtr_fresh_copy(cls, &len);
	if (!text)
		return mtr_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				      "ringdns-control has no metrics yet\n");
	return mtr_reply(conn, MHD_HTTP_OK, text, len, PT_CONTENT_TYPE);
}

/* Starts libmicrohttpd on addr, its threads with every signal blocked
 * (the loop's handlers stay the loop's); NULL when it cannot listen. */
static struct MHD_Daemon *mtr_start(struct mtr *m, const struct cfg_listen *addr)
{
	sigset_t all, old;
	sigmask_async(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_ERROR_LOG;
	if (addr->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	uint16_t port = ntohs(addr->addr.ss_family == AF_INET6
				      ? ((const struct sockaddr_in6 *)&addr->addr)->sin6_port
				      : ((const struct sockaddr_in *)&addr->addr)->sin_port);
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, port, NULL, NULL, mtr_request, m, MHD_OPTION_SOCK_ADDR, &addr->addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)MTR_CONN_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MTR_CONN_TIMEOUT_S, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

static void mtr_free(struct mtr *m)
{
	if (!m)
		return;
	if (m->d)
		MHD_stop_daemon(m->d);	/* joins its threads: nothing uses m after */
	if (m->efd >= 0)
		close(m->efd);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m->text);
	free(m);
}

/* A new endpoint on text (ADDR:PORT); NULL with err. */
static struct mtr *mtr_new(const char *text, char *err, size_t errcap)
{
	struct cfg_listen addr;
	char why[128];
	if (cfg_parse_listen_msg(&addr, text, why, sizeof why) != 0) {
		snprintf(err, errcap, "server.metrics-listen: %s", why);
		return NULL;
	}
	struct mtr *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errcap, "metrics: out of memory");
		return NULL;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&m->mu, NULL);
	snprintf(m->listen, sizeof m->listen, "%s", text);
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->efd < 0 || !(m->d = mtr_start(m, &addr))) {
		snprintf(err, errcap, "metrics: cannot serve HTTP on %s: %s (is the port in use? "
			 "choose another with server.metrics-listen)", text,
			 m->efd < 0 ? strerror(errno) : "libmicrohttpd could not listen");
		mtr_free(m);
		return NULL;
	}
	return m;
}

int mtr_sync(struct ctl *c, char *err, size_t errcap)
{
	static bool atfork_set;
	const char *want = c->cfg.metrics_listen;
	if (c->mtr && want && strcmp(c->mtr->listen, want) == 0)
		return 0;
	struct mtr *m = NULL;
	if (want && !(m = mtr_new(want, err, errcap)))
		return -1;	/* the previous endpoint, if any, goes on */
	mtr_free(c->mtr);
	c->mtr = m;
	mtr_listen_fd = -1;
	if (m) {
		const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_LISTEN_FD);
		mtr_listen_fd = i ? i->listen_fd : -1;
		if (!atfork_set)
			atfork_set = pthread_atfork(NULL, NULL, mtr_atfork_child) == 0;
		log_info("metrics on http://%s/metrics", want);
	}
	return 0;
}

int mtr_fd(const struct ctl *c)
{
	return c->mtr ? c->mtr->efd : -1;
}

void mtr_refresh(struct ctl *c)
{
	struct mtr *m = c->mtr;
	uint64_t n;
	if (!m || read(m->efd, &n, sizeof n) != (ssize_t)sizeof n)
		return;
	struct pt_buf b;
	pt_init(&b);
	mtr_render(c, &b);
	if (b.oom) {
		log_warn("metrics: out of memory rendering them; the last text is served");
		pt_fini(&b);
		return;
	}
	pthread_mutex_lock(&m->mu);
	free(m->text);
	m->text = b.p;
	m->len = b.len;
	m->gen++;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

void mtr_fini(struct ctl *c)
{
	mtr_free(c->mtr);
	c->mtr = NULL;
	mtr_listen_fd = -1;
}
