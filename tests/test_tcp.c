/*
 * test_tcp.c - DNS over TCP (dataplane/tcp.c) end to end over loopback:
 * the server runs on real zones (the answer-test zones and a zone with one
 * big TXT RRset), bound to 127.0.0.1 and [::1] on free ports (port 0;
 * tcp_port says which), and plain sockets talk to it.  Covers framing
 * (single, pipelined, split byte by byte, bad frames), large responses and
 * backpressure, the idle timeout, the connection limits, statistics,
 * stopping with connections open (ASan checks for leaks), a connection
 * closed while its descriptor is shared, bind errors, and the real client
 * kdig.  Every wait is bounded.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "tests/dnsmsg.h"
#include "zones/snap.h"
#include "common/stats.h"
#include "dataplane/tcp.h"
#include "tests/zt.h"

#define NTHREADS 2
#define WAIT_MS 3000		/* the longest any single wait may take */
#define BIG_N 240		/* TXT records at big.test. */

static struct zt_serve sv;
static struct zidx *root;
static struct wstats stats[NTHREADS];
static struct tcp_srv *srv;
static struct dp_run run;
static unsigned port4, port6;

static const struct ans_cfg acfg = {
	.max_udp = 1232,
	.identity = "id-test",
};

/* A zone whose TXT RRset at the apex makes a response of about 63 KiB. */
static char *big_zone(void)
{
	size_t cap = 400 * BIG_N + 256, l = 0;
	char *z = malloc(cap);
	cr_assert_not_null(z);
	l += (size_t)snprintf(z + l, cap - l, "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 60\n"
			      "@ NS ns\nns A 192.0.2.1\n");
	for (int i = 0; i < BIG_N; i++) {
		l += (size_t)snprintf(z + l, cap - l, "@ TXT \"%04d", i);
		for (int k = 0; k < 250; k++)
			z[l++] = (char)('a' + (i + k) % 26);
		l += (size_t)snprintf(z + l, cap - l, "\"\n");
	}
	return z;
}

static void setup(void)
{
	char err[16384];
	sv.n = 0;
	cr_assert_eq(zt_serve_answer_zones(&sv, getenv("SRCDIR"), err, sizeof err), 0, "%s", err);
	char *z = big_zone();
	cr_assert_eq(zt_serve_add(&sv, "big.test.", z, NULL, err, sizeof err), 0, "%s", err);
	free(z);
	root = zidx_new(sv.snaps, sv.n);
	cr_assert_not_null(root);
	dp_run_init(&run, &root);
	memset(stats, 0, sizeof stats);
	srv = NULL;
}

static void teardown(void)
{
	tcp_stop(srv);
	zidx_free(root);
	zt_serve_free(&sv);
}

TestSuite(tcp, .init = setup, .fini = teardown, .timeout = 60);

static const struct tcp_opts defopts = {
	.threads = NTHREADS,
	.idle_timeout_ms = 10000,
	.max_clients = 64,
	.max_per_client = 32,
	.xfr_fd = -1,
};

static void mk_listen(struct cfg_listen *l, const char *ip, unsigned port)
{
	memset(l, 0, sizeof *l);
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l->addr;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
		l->addrlen = sizeof *a;
		snprintf(l->text, sizeof l->text, "[%s]:%u", ip, port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&l->addr;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET, ip, &a->sin_addr), 1);
		l->addrlen = sizeof *a;
		snprintf(l->text, sizeof l->text, "%s:%u", ip, port);
	}
}

/* Starts the server on 127.0.0.1 and [::1], free ports. */
static void start(const struct tcp_opts *o)
{
	struct cfg_listen l[2];
	mk_listen(&l[0], "127.0.0.1", 0);
	mk_listen(&l[1], "::1", 0);
	char err[256] = "";
	cr_assert_eq(tcp_start(&srv, l, 2, &run, &acfg, o, stats, err, sizeof err), 0, "%s", err);
	port4 = tcp_port(srv, 0);
	port6 = tcp_port(srv, 1);
	cr_assert(port4 != 0 && port6 != 0);
	cr_assert_eq(tcp_port(srv, 2), 0u);
}

/* The sum of the threads' counters. */
static struct wstats total(void)
{
	struct wstats t;
	memset(&t, 0, sizeof t);
	for (int i = 0; i < NTHREADS; i++)
		st_sum(&t, &stats[i]);
	return t;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connection to the server; rcvbuf > 0 fixes the receive buffer (no
 * autotuning: the client's window stays small). */
static int conn_rcvbuf(int fam, unsigned port, int rcvbuf)
{
	int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sl;
	if (fam == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof *a;
	}
	cr_assert_eq(connect(fd, (struct sockaddr *)&ss, sl), 0, "connect: %s", strerror(errno));
	return fd;
}

static int conn_to(int fam, unsigned port)
{
	return conn_rcvbuf(fam, port, 0);
}

static int conn4(void)
{
	return conn_to(AF_INET, port4);
}

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		cr_assert(k > 0, "send: %s", strerror(errno));
		b += k;
		n -= (size_t)k;
	}
}

/* Reads exactly n bytes within the deadline: 1, or 0 on EOF/reset, -1 on
 * timeout. */
static int recv_full(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		ssize_t k = recv(fd, p, n, 0);
		if (k == 0 || (k < 0 && errno == ECONNRESET))
			return 0;
		if (k < 0)
			continue;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

/* Reads one framed message into buf (>= 65535 bytes); its length, or 0
 * when the connection closed, or -1 on timeout. */
static long read_msg(int fd, uint8_t *buf)
{
	int64_t deadline = now_ms() + WAIT_MS;
	uint8_t h[2];
	int r = recv_full(fd, h, 2, deadline);
	if (r <= 0)
		return r;
	size_t n = (size_t)h[0] << 8 | h[1];
	r = recv_full(fd, buf, n, deadline);
	cr_assert_eq(r, 1, "message of %zu octets cut short (%d)", n, r);
	return (long)n;
}

/* Whether the server closes fd within ms (reading and dropping any data). */
static bool closed_within(int fd, int ms)
{
	int64_t deadline = now_ms() + ms;
	uint8_t b[4096];
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		ssize_t k = recv(fd, b, sizeof b, 0);
		if (k == 0 || (k < 0 && errno == ECONNRESET))
			return true;
	}
}

static uint8_t rbuf[65536];

/* Reads one response and parses it (free with dm_resp_free). */
static void read_resp(int fd, struct dm_resp *r)
{
	long n = read_msg(fd, rbuf);
	cr_assert(n > 0, "no response (%ld)", n);
	dm_parse(rbuf, (size_t)n, r);
	cr_assert(r->ok, "%s", r->err);
}

/* Whether section s of r holds exactly line. */
static bool has_rr(const struct dm_resp *r, int s, const char *line)
{
	for (size_t i = 0; i < r->nrr[s]; i++)
		if (strcmp(r->rr[s][i], line) == 0)
			return true;
	return false;
}

/* Sends one query and checks the answer of www.example.com A. */
static void ask_www(int fd, uint16_t id)
{
	uint8_t q[512];
	char spec[64];
	snprintf(spec, sizeof spec, "www.example.com. A +id=%u", id);
	send_all(fd, q, dm_query_text(q, sizeof q, spec, true));
	struct dm_resp r;
	read_resp(fd, &r);
	cr_assert_eq(r.id, id);
	cr_assert(r.qr && r.aa && !r.tc);
	cr_assert_eq(r.rcode, 0u);
	cr_assert_eq(r.nrr[DM_AN], 2u);
	cr_assert(has_rr(&r, DM_AN, "www.example.com. 600 IN A 192.0.2.80"), "%s", r.rr[DM_AN][0]);
	cr_assert(has_rr(&r, DM_AN, "www.example.com. 600 IN A 192.0.2.81"));
	dm_resp_free(&r);
}

Test(tcp, one_query)
{
	start(&defopts);
	int fd = conn4();
	ask_www(fd, 4242);
	/* the connection stays open for more */
	ask_www(fd, 4243);
	close(fd);
	struct wstats t = total();
	cr_assert_eq(t.tcp_conns, 1u);
	cr_assert_eq(t.queries[ST_TCP], 2u);
	cr_assert_eq(t.responses[ST_TCP], 2u);
	cr_assert_eq(t.queries[ST_UDP], 0u);
}

Test(tcp, ipv6)
{
	start(&defopts);
	int fd = conn_to(AF_INET6, port6);
	ask_www(fd, 6);
	uint8_t q[512];
	send_all(fd, q, dm_query_text(q, sizeof q, "mail.example.com. AAAA +id=7", true));
	struct dm_resp r;
	read_resp(fd, &r);
	cr_assert_eq(r.id, 7);
	cr_assert(has_rr(&r, DM_AN, "mail.example.com. 3600 IN AAAA 2001:db8::25"));
	dm_resp_free(&r);
	close(fd);
}

/* The queries of the pipelining test and what each must get. */
static const struct {
	const char *name, *type;
	unsigned rcode;
	const char *answer;	/* a record of the answer section, or NULL: empty */
} pipe_q[] = {
	{ "www.example.com.", "A", 0, "www.example.com. 600 IN A 192.0.2.80" },
	{ "mail.example.com.", "AAAA", 0, "mail.example.com. 3600 IN AAAA 2001:db8::25" },
	{ "mail.example.com.", "A", 0, "mail.example.com. 3600 IN A 192.0.2.25" },
	{ "nope.example.com.", "A", 3, NULL },
	{ "www.example.com.", "TXT", 0, "www.example.com. 3600 IN TXT \"hello\"" },
	{ "example.com.", "MX", 0, "example.com. 3600 IN MX 10 mail.example.com." },
	{ "alias.example.com.", "A", 0, "alias.example.com. 3600 IN CNAME alias2.example.com." },
	{ "a.wild.example.com.", "A", 0, "a.wild.example.com. 3600 IN A 192.0.2.100" },
	{ "ns1.example.com.", "A", 0, "ns1.example.com. 3600 IN A 192.0.2.53" },
	{ "www.example.com.", "AAAA", 0, NULL },
};

Test(tcp, pipelined_20_in_one_write)
{
	start(&defopts);
	int fd = conn4();
	uint8_t q[20 * 300];
	size_t n = 0;
	size_t npq = sizeof pipe_q / sizeof pipe_q[0];
	for (unsigned i = 0; i < 20; i++) {
		char spec[128];
		snprintf(spec, sizeof spec, "%s %s +id=%u", pipe_q[i % npq].name,
			 pipe_q[i % npq].type, 1000 + i);
		n += dm_query_text(q + n, sizeof q - n, spec, true);
	}
	send_all(fd, q, n);
	bool seen[20] = { false };
	for (unsigned k = 0; k < 20; k++) {
		struct dm_resp r;
		read_resp(fd, &r);
		cr_assert(r.id >= 1000 && r.id < 1020, "id %u", r.id);
		unsigned i = r.id - 1000u;
		cr_assert(!seen[i], "id %u twice", r.id);
		seen[i] = true;
		cr_assert_eq(r.rcode, pipe_q[i % npq].rcode, "%s", pipe_q[i % npq].name);
		if (pipe_q[i % npq].answer)
			cr_assert(has_rr(&r, DM_AN, pipe_q[i % npq].answer), "%s: %zu answers",
				  pipe_q[i % npq].answer, r.nrr[DM_AN]);
		else
			cr_assert_eq(r.nrr[DM_AN], 0u);
		dm_resp_free(&r);
	}
	close(fd);
	struct wstats t = total();
	cr_assert_eq(t.queries[ST_TCP], 20u);
	cr_assert_eq(t.responses[ST_TCP], 20u);
}

Test(tcp, split_byte_by_byte)
{
	start(&defopts);
	int fd = conn4();
	uint8_t q[1024];
	/* two queries, every byte in its own segment */
	size_t n = dm_query_text(q, sizeof q, "www.example.com. A +id=501 +edns", true);
	n += dm_query_text(q + n, sizeof q - n, "mail.example.com. A +id=502", true);
	for (size_t i = 0; i < n; i++) {
		send_all(fd, q + i, 1);
		usleep(2000);
	}
	struct dm_resp r;
	read_resp(fd, &r);
	cr_assert_eq(r.id, 501);
	cr_assert(has_rr(&r, DM_AN, "www.example.com. 600 IN A 192.0.2.81"));
	cr_assert_eq(r.nopt, 1u);
	dm_resp_free(&r);
	read_resp(fd, &r);
	cr_assert_eq(r.id, 502);
	cr_assert(has_rr(&r, DM_AN, "mail.example.com. 3600 IN A 192.0.2.25"));
	dm_resp_free(&r);
	close(fd);
}

/* The big TXT RRset answered whole, TC clear. */
static void check_big(const uint8_t *msg, long n, uint16_t id)
{
	cr_assert(n > 60000, "response of %ld octets", n);
	struct dm_resp r;
	dm_parse(msg, (size_t)n, &r);
	cr_assert(r.ok, "%s", r.err);
	cr_assert_eq(r.id, id);
	cr_assert(!r.tc);
	cr_assert_eq(r.rcode, 0u);
	cr_assert_eq(r.nrr[DM_AN], (size_t)BIG_N);
	dm_resp_free(&r);
}

Test(tcp, big_response)
{
	start(&defopts);
	int fd = conn4();
	uint8_t q[512];
	send_all(fd, q, dm_query_text(q, sizeof q, "big.test. TXT +id=77", true));
	long n = read_msg(fd, rbuf);
	check_big(rbuf, n, 77);
	/* the same over UDP limits would be truncated: TCP is what it needs */
	ask_www(fd, 78);
	close(fd);
}

/* A client that sends many big queries before reading anything: the
 * server holds back (bounded buffers) and every response arrives once the
 * client reads. */
Test(tcp, backpressure)
{
	start(&defopts);
	int fd = conn_rcvbuf(AF_INET, port4, 32768);
	/* ~9 MB of responses: more than the kernel buffers hold */
	enum { NBIG = 150 };
	uint8_t q[NBIG * 64];
	size_t n = 0;
	for (unsigned i = 0; i < NBIG; i++) {
		char spec[64];
		snprintf(spec, sizeof spec, "big.test. TXT +id=%u", i);
		n += dm_query_text(q + n, sizeof q - n, spec, true);
	}
	send_all(fd, q, n);
	usleep(300 * 1000);	/* the server fills the socket and waits */
	struct wstats t = total();
	cr_assert(t.responses[ST_TCP] < NBIG, "all %u answered without backpressure",
		  (unsigned)t.responses[ST_TCP]);
	for (unsigned i = 0; i < NBIG; i++) {
		long k = read_msg(fd, rbuf);
		check_big(rbuf, k, (uint16_t)i);
	}
	ask_www(fd, 999);
	close(fd);
	t = total();
	cr_assert_eq(t.responses[ST_TCP], NBIG + 1u);
}

Test(tcp, idle_timeout)
{
	struct tcp_opts o = defopts;
	o.idle_timeout_ms = 200;
	start(&o);
	/* active, then idle */
	int a = conn4();
	ask_www(a, 1);
	/* never sends anything */
	int b = conn4();
	int64_t t0 = now_ms();
	cr_assert(closed_within(a, 2000), "idle connection not closed");
	cr_assert(closed_within(b, 2000), "silent connection not closed");
	int64_t el = now_ms() - t0;
	cr_assert(el >= 150, "closed after %lld ms, before the timeout", (long long)el);
	close(a);
	close(b);
	/* activity keeps a connection open past the timeout */
	int c = conn4();
	for (int i = 0; i < 6; i++) {
		usleep(100 * 1000);
		ask_www(c, (uint16_t)(10 + i));
	}
	close(c);
}

/* Opens a connection and waits for the server to answer on it. */
static int open_answered(uint16_t id)
{
	int fd = conn4();
	ask_www(fd, id);
	return fd;
}

/* Retries a connection until the server answers on it (a slot freed by a
 * close is seen by the server's next loop). */
static int open_eventually(void)
{
	int64_t deadline = now_ms() + WAIT_MS;
	uint8_t q[512];
	size_t n = dm_query_text(q, sizeof q, "www.example.com. A +id=31", true);
	while (now_ms() < deadline) {
		int fd = conn4();
		send_all(fd, q, n);
		long k = read_msg(fd, rbuf);
		if (k > 0)
			return fd;
		close(fd);
		usleep(20 * 1000);
	}
	cr_assert_fail("no connection admitted again");
	return -1;
}

Test(tcp, max_per_client)
{
	struct tcp_opts o = defopts;
	o.max_per_client = 3;
	start(&o);
	int fds[3];
	for (int i = 0; i < 3; i++)
		fds[i] = open_answered((uint16_t)i);
	int x = conn4();
	cr_assert(closed_within(x, 2000), "connection over the per-client limit kept");
	close(x);
	struct wstats t = total();
	cr_assert_eq(t.tcp_refused, 1u);
	cr_assert_eq(t.tcp_conns, 3u);
	/* the other address family is another client */
	int y = conn_to(AF_INET6, port6);
	ask_www(y, 66);
	close(y);
	/* a closed connection frees its slot */
	close(fds[0]);
	int z = open_eventually();
	close(z);
	close(fds[1]);
	close(fds[2]);
}

/* A connection from 127.0.0.k (all of 127/8 is loopback) that sends a
 * query: its fd when answered, -1 when the server closed it. */
static int try_from(unsigned k, uint16_t id)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000000u | k) };
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0, "bind: %s", strerror(errno));
	a.sin_port = htons((uint16_t)port4);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	uint8_t q[512];
	char spec[64];
	snprintf(spec, sizeof spec, "www.example.com. A +id=%u", id);
	send_all(fd, q, dm_query_text(q, sizeof q, spec, true));
	long n = read_msg(fd, rbuf);
	cr_assert(n != -1, "no answer and no close from 127.0.0.%u", k);
	if (n > 0)
		return fd;
	close(fd);
	return -1;
}

/* Many client addresses through a small table (16 slots: max_clients 8):
 * counts stay right across inserts and deletes that collide. */
Test(tcp, per_client_table)
{
	struct tcp_opts o = defopts;
	o.max_clients = 8;
	o.max_per_client = 1;
	start(&o);
	for (unsigned round = 0; round < 12; round++) {
		int fd[6];
		unsigned ad[6];
		for (unsigned i = 0; i < 6; i++) {
			ad[i] = 2 + (round * 7 + i * 5) % 40;
			for (unsigned j = 0; j < i; j++)
				if (ad[j] == ad[i])
					ad[i] += 40;
			/* the slot of a connection closed last round frees soon */
			int64_t deadline = now_ms() + WAIT_MS;
			while ((fd[i] = try_from(ad[i], (uint16_t)i)) < 0)
				cr_assert(now_ms() < deadline, "127.0.0.%u refused, round %u", ad[i], round);
		}
		for (unsigned i = 0; i < 6; i++)
			cr_assert_eq(try_from(ad[i], 99), -1, "127.0.0.%u over its limit, round %u",
				     ad[i], round);
		for (unsigned i = 0; i < 6; i++)
			close(fd[i]);
	}
}

Test(tcp, max_clients)
{
	struct tcp_opts o = defopts;
	o.max_clients = 2;
	start(&o);
	int a = open_answered(1);
	int b = conn_to(AF_INET6, port6);
	ask_www(b, 2);
	int x = conn4();
	cr_assert(closed_within(x, 2000), "connection over max_clients kept");
	close(x);
	int y = conn_to(AF_INET6, port6);
	cr_assert(closed_within(y, 2000), "connection over max_clients kept (v6)");
	close(y);
	cr_assert_eq(total().tcp_refused, 2u);
	ask_www(a, 3);	/* the admitted ones are untouched */
	close(a);
	int c = open_eventually();
	close(c);
	close(b);
}

Test(tcp, max_conn_queries)
{
	struct tcp_opts o = defopts;
	o.max_conn_queries = 3;
	start(&o);
	int fd = conn4();
	uint8_t q[5 * 64];
	size_t n = 0;
	for (unsigned i = 0; i < 5; i++) {
		char spec[64];
		snprintf(spec, sizeof spec, "www.example.com. A +id=%u", 200 + i);
		n += dm_query_text(q + n, sizeof q - n, spec, true);
	}
	send_all(fd, q, n);
	for (unsigned i = 0; i < 3; i++) {
		struct dm_resp r;
		read_resp(fd, &r);
		cr_assert_eq(r.id, 200 + i);
		dm_resp_free(&r);
	}
	cr_assert_eq(read_msg(fd, rbuf), 0, "more than max_conn_queries answered");
	close(fd);
	cr_assert_eq(total().queries[ST_TCP], 3u);
}

Test(tcp, bad_frames)
{
	start(&defopts);
	/* a zero-length frame after a good query: the answer, then the close */
	int a = conn4();
	uint8_t q[512];
	size_t n = dm_query_text(q, sizeof q, "www.example.com. A +id=1", true);
	q[n++] = 0;
	q[n++] = 0;
	send_all(a, q, n);
	struct dm_resp r;
	read_resp(a, &r);
	cr_assert_eq(r.id, 1);
	dm_resp_free(&r);
	cr_assert(closed_within(a, 2000));
	close(a);
	/* a frame shorter than a header */
	int b = conn4();
	send_all(b, "\0\5hello", 7);
	cr_assert(closed_within(b, 2000));
	close(b);
	/* a query with QR set is dropped, the connection lives on */
	int c = conn4();
	send_all(c, q, dm_query_text(q, sizeof q, "www.example.com. A +qr +id=2", true));
	ask_www(c, 3);
	/* header-sized garbage gets FORMERR or nothing, never a crash */
	uint8_t g[40];
	g[0] = 0;
	g[1] = 38;
	for (int i = 2; i < 40; i++)
		g[i] = (uint8_t)(i * 37);
	g[4] = 0x01;		/* flags: QR clear, RD */
	g[2] = 0x77;
	g[3] = 0x77;		/* ID 0x7777 */
	send_all(c, g, sizeof g);
	size_t qn = dm_query_text(q, sizeof q, "www.example.com. A +id=4", true);
	send_all(c, q, qn);
	long rn = read_msg(c, rbuf);
	cr_assert(rn >= 12);
	if (rbuf[0] == 0x77 && rbuf[1] == 0x77) {
		cr_assert_eq(rbuf[3] & 15, 1, "garbage answered with rcode %d", rbuf[3] & 15);
		rn = read_msg(c, rbuf);
		cr_assert(rn >= 12);
	}
	cr_assert(rbuf[0] == 0 && rbuf[1] == 4, "the query after the garbage not answered");
	/* half a message, then the client goes away */
	send_all(c, "\0\50abc", 5);
	close(c);
	/* the server still serves */
	int d = conn4();
	ask_www(d, 5);
	close(d);
	/* zero-length, short, QR set; the garbage may be dropped or FORMERR */
	struct wstats t = total();
	cr_assert_eq(t.queries[ST_TCP], 8u);
	cr_assert(t.dropped == 3 || t.dropped == 4, "dropped %u", (unsigned)t.dropped);
	cr_assert_eq(t.responses[ST_TCP] + t.dropped, 8u);
}

Test(tcp, stats)
{
	start(&defopts);
	int fd = conn4();
	const char *specs[] = {
		"www.example.com. A", "mail.example.com. AAAA", "nope.example.com. A",
		"www.example.com. TXT", "example.com. SOA", "example.com. NS",
		"www.nowhere.invalid. A", "example.com. TYPE99",
	};
	for (unsigned i = 0; i < 8; i++) {
		uint8_t q[512];
		send_all(fd, q, dm_query_text(q, sizeof q, specs[i], true));
		long n = read_msg(fd, rbuf);
		cr_assert(n > 0, "%s", specs[i]);
	}
	close(fd);
	struct wstats t = total();
	cr_assert_eq(t.tcp_conns, 1u);
	cr_assert_eq(t.queries[ST_TCP], 8u);
	cr_assert_eq(t.responses[ST_TCP], 8u);
	cr_assert_eq(t.rcode[0], 6u);
	cr_assert_eq(t.rcode[3], 1u);	/* NXDOMAIN */
	cr_assert_eq(t.rcode[5], 1u);	/* REFUSED: not our zone */
	cr_assert_eq(t.qtype[STQ_A], 3u);
	cr_assert_eq(t.qtype[STQ_AAAA], 1u);
	cr_assert_eq(t.qtype[STQ_TXT], 1u);
	cr_assert_eq(t.qtype[STQ_SOA], 1u);
	cr_assert_eq(t.qtype[STQ_NS], 1u);
	cr_assert_eq(t.qtype[STQ_OTHER], 1u);
	cr_assert_eq(t.truncated, 0u);
	cr_assert_eq(t.dropped, 0u);
	cr_assert_str_eq(st_qtype_str(STQ_A), "A");
	cr_assert_str_eq(st_qtype_str(STQ_HTTPS), "HTTPS");
	cr_assert_str_eq(st_qtype_str(STQ_OTHER), "other");
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Stopping with connections in every state frees and closes everything
 * (under ASan a leak check runs here: one at exit would not fail the
 * test). */
Test(tcp, stop_with_open_connections)
{
	int fds0 = count_fds();
	start(&defopts);
	int c[6];
	c[0] = open_answered(1);				/* idle, open */
	c[1] = conn4();						/* half a query */
	send_all(c[1], "\0\60abcdef", 8);
	c[2] = conn4();						/* output held back */
	uint8_t q[40 * 64];
	size_t n = 0;
	for (unsigned i = 0; i < 40; i++)
		n += dm_query_text(q + n, sizeof q - n, "big.test. TXT", true);
	send_all(c[2], q, n);
	c[3] = conn_to(AF_INET6, port6);			/* v6 */
	ask_www(c[3], 3);
	c[4] = conn4();						/* never sent a byte */
	c[5] = open_answered(5);
	usleep(200 * 1000);
	tcp_stop(srv);
	srv = NULL;
	for (int i = 0; i < 6; i++) {
		cr_assert(closed_within(c[i], 2000), "connection %d left open", i);
		close(c[i]);
	}
	cr_assert_eq(count_fds(), fds0, "descriptors left open");
#ifdef __SANITIZE_ADDRESS__
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked (report above)");
#endif
}

Test(tcp, bind_error)
{
	/* a port held by a socket without SO_REUSEPORT */
	int h = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(h, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(listen(h, 1), 0);
	socklen_t sl = sizeof a;
	getsockname(h, (struct sockaddr *)&a, &sl);
	unsigned port = ntohs(a.sin_port);

	int fds0 = count_fds();
	struct cfg_listen l[2];
	mk_listen(&l[0], "::1", 0);		/* binds, then must be closed again */
	mk_listen(&l[1], "127.0.0.1", port);
	char err[256] = "", want[128];
	struct tcp_srv *s = (struct tcp_srv *)1;
	cr_assert_eq(tcp_start(&s, l, 2, &run, &acfg, &defopts, stats, err, sizeof err), -1);
	cr_assert_null(s);
	snprintf(want, sizeof want, "listen 127.0.0.1:%u (TCP): Address already in use", port);
	cr_assert_str_eq(err, want);
	cr_assert_eq(count_fds(), fds0, "descriptors left open");
	close(h);

	struct tcp_opts o = defopts;
	o.max_per_client = 0;
	cr_assert_eq(tcp_start(&s, l, 1, &run, &acfg, &o, stats, err, sizeof err), -1);
	cr_assert_null(s);
	cr_assert(strstr(err, "at least 1"), "%s", err);
}

/* Many connections from several threads of clients at once. */
Test(tcp, many_connections)
{
	start(&defopts);
	int fds[24];
	uint8_t q[512];
	for (int i = 0; i < 24; i++) {
		fds[i] = conn_to(i % 2 ? AF_INET6 : AF_INET, i % 2 ? port6 : port4);
		char spec[64];
		snprintf(spec, sizeof spec, "www.example.com. A +id=%d", 300 + i);
		send_all(fds[i], q, dm_query_text(q, sizeof q, spec, true));
	}
	for (int i = 0; i < 24; i++) {
		struct dm_resp r;
		read_resp(fds[i], &r);
		cr_assert_eq(r.id, 300 + i);
		dm_resp_free(&r);
		close(fds[i]);
	}
	cr_assert_eq(total().tcp_conns, 24u);
}

/*
 * A connection the client closes while another copy of the server's
 * descriptor lives on (here a forked child's; in a server, one that
 * forks or spawns, or a handed-over transfer): close() alone leaves the
 * socket in the epoll set (epoll(7), Q6), and its end-of-file would be
 * reported again and again for a connection already freed.
 */
Test(tcp, closed_while_descriptor_shared)
{
	start(&defopts);
	int fd = open_answered(7);
	pid_t child = fork();
	cr_assert(child >= 0);
	if (child == 0) {	/* holds a copy of every descriptor, then goes */
		usleep(600 * 1000);
		_exit(0);
	}
	/* the child's copy of this end too: shutdown() sends the FIN */
	shutdown(fd, SHUT_RDWR);
	close(fd);		/* the server reads EOF and closes its end */
	usleep(300 * 1000);	/* rounds of epoll_wait with the child alive */
	int fd2 = conn4();
	ask_www(fd2, 8);
	close(fd2);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	usleep(100 * 1000);
	fd2 = conn4();
	ask_www(fd2, 9);
	close(fd2);
	cr_assert_eq(total().tcp_conns, 3u);
}

Test(tcp, kdig)
{
	if (access("/usr/bin/kdig", X_OK) != 0 && system("command -v kdig >/dev/null 2>&1") != 0)
		cr_skip_test("kdig not installed");
	start(&defopts);
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "kdig @127.0.0.1 -p %u +tcp +keepopen +timeout=2 +retry=0 www.example.com. A "
		 "mail.example.com. AAAA big.test. TXT 2>&1", port4);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	static char out[1 << 20];
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_assert(strstr(out, "192.0.2.80"), "%s", out);
	cr_assert(strstr(out, "2001:db8::25"), "%s", out);
	cr_assert(strstr(out, "0219"), "big TXT missing: %.2000s", out);
	cr_assert_null(strstr(out, " tc"), "truncated: %.2000s", out);
	cr_assert_null(strstr(out, "WARNING"), "%.2000s", out);
	struct wstats t = total();
	cr_assert_eq(t.responses[ST_TCP], 3u);
	cr_assert_eq(t.tcp_conns, 1u, "keepopen: one connection for the three queries");

	snprintf(cmd, sizeof cmd, "kdig @::1 -p %u +tcp +timeout=2 +retry=0 nope.example.com. A 2>&1",
		 port6);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_assert(strstr(out, "status: NXDOMAIN"), "%s", out);
}
