/*
 * test_swap.c - the publisher (dataplane/publisher.c) swapping zone
 * images while workers (dataplane/worker.c, on the socket backend) answer
 * from them: a client keeps querying over UDP while the main thread
 * publishes version after version of the zone, each a sealed memfd as the
 * control process sends it.  Every query is answered, from a version no
 * older than the one answered before (a swap is seen by every worker in
 * publication order), and the old images are unmapped after each grace
 * period while workers keep reading.  The suite the ThreadSanitizer build
 * runs for the RCU discipline between publisher and workers.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/stats.h"
#include "dataplane/io_sock.h"
#include "dataplane/publisher.h"
#include "dataplane/run.h"
#include "dataplane/worker.h"
#include "tests/dnsmsg.h"
#include "tests/zt.h"
#include "zones/rrtype.h"

#define WORKERS 2
#define VERSIONS 40
#define ORIGIN "example.com."

/* Version v of the zone: its TXT at www says "vN". */
static char *zone_text(unsigned v)
{
	char *t = malloc(512);
	cr_assert_not_null(t);
	snprintf(t, 512,
		 "$TTL 300\n@ SOA ns hostmaster %u 7200 3600 1209600 60\n@ NS ns\n"
		 "ns A 198.18.0.1\nwww TXT \"v%u\"\nwww A 198.18.0.%u\n",
		 v, v, v % 250 + 1);
	return t;
}

/* Publishes version v as the control process hands an image over. */
static void publish(struct pub *p, unsigned v)
{
	struct zt_cz cz;
	char *text = zone_text(v);
	zt_cz_load(&cz, ORIGIN, text);
	free(text);
	struct ipc_memfd m = { .fd = -1, .name = "swap-test" };
	char err[256];
	cr_assert_eq(ipc_memfd_from(&m, cz.img, cz.size), 0, "%s", m.err);
	cr_assert_eq(ipc_memfd_seal(&m, err, sizeof err), 0, "%s", err);
	cr_assert_eq(pub_image(p, ORIGIN, m.fd, cz.size, 6, err, sizeof err), 0, "%s", err);
	zt_cz_free(&cz);
}

static uint16_t free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

struct client {
	uint16_t port;
	atomic_bool stop;
	/* results, read after the join */
	unsigned answered, lost, bad, backwards, last, versions_seen;
	char why[256];
};

/* The version in a response to www TXT; 0 when it is not one. */
static unsigned version_of(const uint8_t *msg, size_t len, char *why, size_t cap)
{
	struct dm_resp r;
	dm_parse(msg, len, &r);
	unsigned v = 0;
	const char *q;
	if (!r.ok)
		snprintf(why, cap, "unparsable: %s", r.err);
	else if (r.rcode != 0 || r.nrr[DM_AN] != 1)
		snprintf(why, cap, "rcode %u, %zu answers", r.rcode, r.nrr[DM_AN]);
	else if (!(q = strstr(r.rr[DM_AN][0], "\"v")) || sscanf(q, "\"v%u", &v) != 1)
		snprintf(why, cap, "answer %s", r.rr[DM_AN][0]);
	dm_resp_free(&r);
	return v;
}

/* Queries www TXT one at a time until stopped, checking each answer. */
static void *client_main(void *arg)
{
	struct client *c = arg;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in sv = { .sin_family = AF_INET, .sin_port = htons(c->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(connect(fd, (struct sockaddr *)&sv, sizeof sv), 0);
	uint8_t q[512], resp[1232];
	/* bounded: the publisher stops the client long before this */
	for (uint16_t id = 1; id < 60000 && !atomic_load(&c->stop); id++) {
		size_t ql = dm_query(q, sizeof q, "www." ORIGIN, RR_TXT,
				     &(struct dm_qopt){ .id = id });
		if (send(fd, q, ql, 0) != (ssize_t)ql) {
			c->lost++;
			continue;
		}
		ssize_t n;
		do
			n = recv(fd, resp, sizeof resp, 0);
		while (n >= 2 && (resp[0] << 8 | resp[1]) != id);
		if (n <= 0) {
			c->lost++;
			continue;
		}
		c->answered++;
		unsigned v = version_of(resp, (size_t)n, c->why, sizeof c->why);
		if (!v)
			c->bad++;
		else if (v < c->last)
			c->backwards++;
		else if (v > c->last)
			c->versions_seen++;
		if (v > c->last)
			c->last = v;
	}
	close(fd);
	return NULL;
}

Test(swap, workers_answer_while_images_are_swapped, .timeout = 120)
{
	struct zidx *root;
	struct pub *p = pub_new(&root);
	cr_assert_not_null(p);
	publish(p, 1);

	struct client c = { .port = free_udp_port() };
	atomic_init(&c.stop, false);
	struct cfg_listen l;
	char text[32], err[256];
	snprintf(text, sizeof text, "127.0.0.1:%u", c.port);
	cr_assert_eq(cfg_parse_listen(&l, text), 0);
	struct io_conf ioc = { .addrs = &l, .naddrs = 1, .queues = WORKERS, .resp_cap = 1232 };
	struct io_backend *be;
	cr_assert_eq(io_sock_ops.init(&ioc, &be, err, sizeof err), 0, "%s", err);
	struct dp_run run;
	dp_run_init(&run, &root);
	static struct wstats st[WORKERS];
	struct ans_cfg acfg = { .max_udp = 1232 };
	struct wk_pool *wp = wk_pool_new(&(struct wk_conf){ .ops = &io_sock_ops, .io = be,
		.n = WORKERS, .run = &run, .acfg = &acfg, .stats = st });
	cr_assert_not_null(wp);
	cr_assert_eq(wk_pool_launch(wp, false, err, sizeof err), 0, "%s", err);

	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, client_main, &c), 0);
	for (unsigned v = 2; v <= VERSIONS; v++) {
		publish(p, v);
		usleep(5000);
	}
	usleep(100000);
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	wk_pool_free(wp);
	io_sock_ops.fini(be);
	cr_assert_eq(pub_generation(p), VERSIONS);
	pub_free(p);

	cr_log_info("%u answers, %u versions seen", c.answered, c.versions_seen);
	cr_assert_eq(c.bad, 0, "%u bad answers, e.g. %s", c.bad, c.why);
	cr_assert_eq(c.backwards, 0, "%u answers from an older version than one before",
		     c.backwards);
	cr_assert_eq(c.lost, 0, "%u of %u queries unanswered", c.lost, c.lost + c.answered);
	cr_assert_eq(c.last, VERSIONS, "last version answered: %u", c.last);
	/* the client raced the swaps, not just the last image */
	cr_assert_geq(c.versions_seen, 3, "versions seen: %u", c.versions_seen);
}
