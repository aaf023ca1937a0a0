/*
 * test_health.c - the health verdict (control/health.c) against a
 * scripted dataplane on the real channel (a socketpair in a thread): the
 * UDP workers' and TCP threads' progress, DPDK links, zones unserved or expired, a dataplane
 * that answers too late, and a late reply never taken for a later one's.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "control/ctl.h"
#include "control/health.h"

#define NW_MAX 4
#define NP_MAX 2

/* What the scripted dataplane answers to each status request. */
struct script {
	pthread_mutex_t mu;
	unsigned nworkers, ntcp, nports;
	double idle_ms[NW_MAX];
	double tcp_idle_ms[NW_MAX];
	struct st_link link[NP_MAX];
	int first_delay_ms;	/* the first reply waits this long */
	unsigned replies;	/* sent so far; each reply's uptime_s is its number */
};

struct rig {
	struct ctl c;
	int dpfd;
	pthread_t th;
	struct script sc;
	struct zst z[3];
};

static void send_reply(struct rig *r)
{
	uint8_t buf[sizeof(struct ipc_status) + 2 * NW_MAX * sizeof(struct ipc_progress) +
		    NP_MAX * sizeof(struct ipc_link)];
	pthread_mutex_lock(&r->sc.mu);
	struct ipc_status s = { .uptime_s = ++r->sc.replies, .nworkers = r->sc.nworkers,
				.nports = r->sc.nports, .udp_workers = r->sc.nworkers,
				.ntcp = r->sc.ntcp, .tcp_workers = r->sc.ntcp };
	size_t len = sizeof s;
	for (unsigned i = 0; i < s.nworkers; i++) {
		struct ipc_progress p = { .worker = i, .lcore = -1, .idle_ms = r->sc.idle_ms[i] };
		memcpy(buf + len, &p, sizeof p);
		len += sizeof p;
	}
	for (unsigned i = 0; i < s.ntcp; i++) {
		struct ipc_progress p = { .worker = i, .lcore = -1,
					  .idle_ms = r->sc.tcp_idle_ms[i] };
		memcpy(buf + len, &p, sizeof p);
		len += sizeof p;
	}
	for (unsigned i = 0; i < s.nports; i++) {
		struct ipc_link l = { .port = i, .link = r->sc.link[i] };
		snprintf(l.name, sizeof l.name, "net_test%u", i);
		memcpy(buf + len, &l, sizeof l);
		len += sizeof l;
	}
	pthread_mutex_unlock(&r->sc.mu);
	memcpy(buf, &s, sizeof s);
	cr_assert_eq(ipc_send(r->dpfd, IPC_STATUS, buf, len, -1), 0);
}

static void *dp_main(void *arg)
{
	struct rig *r = arg;
	uint8_t msg[256];
	uint32_t type;
	int fd;
	while (ipc_recv(r->dpfd, &type, msg, sizeof msg, &fd) >= 0 && type) {
		if (type != IPC_STATUS_REQ)
			continue;
		pthread_mutex_lock(&r->sc.mu);
		int delay = r->sc.replies == 0 ? r->sc.first_delay_ms : 0;
		pthread_mutex_unlock(&r->sc.mu);
		if (delay)
			nanosleep(&(struct timespec){ delay / 1000, delay % 1000 * 1000000L }, NULL);
		send_reply(r);
	}
	return NULL;
}

static struct rig *rig_up(void)
{
	struct rig *r = calloc(1, sizeof *r);
	cr_assert_not_null(r);
	r->c.xfr = -1;
	r->c.wake_fd = -1;
	pthread_mutex_init(&r->sc.mu, NULL);
	r->sc.nworkers = 2;
	r->sc.ntcp = 1;
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	r->c.dp = sv[0];
	r->dpfd = sv[1];
	static const char *const names[] = { "a.test.", "b.test.", "gone.test." };
	for (int i = 0; i < 3; i++) {
		snprintf(r->z[i].name, sizeof r->z[i].name, "%s", names[i]);
		r->z[i].in_cfg = r->z[i].served = true;
	}
	r->c.z = r->z;
	r->c.nz = 3;
	cr_assert_eq(pthread_create(&r->th, NULL, dp_main, r), 0);
	return r;
}

static void rig_down(struct rig *r)
{
	close(r->c.dp);
	pthread_join(r->th, NULL);
	close(r->dpfd);
	pthread_mutex_destroy(&r->sc.mu);
	free(r);
}

/* Whether one of r's reasons contains text. */
static bool has_reason(const struct hl_report *h, const char *text)
{
	for (unsigned i = 0; i < h->nproblems && i < HL_REASONS_MAX; i++)
		if (strstr(h->reasons[i], text))
			return true;
	return false;
}

Test(health, healthy_when_workers_progress_and_zones_served)
{
	struct rig *r = rig_up();
	r->sc.idle_ms[0] = 3;
	r->sc.idle_ms[1] = 999;
	struct hl_report h;
	hl_collect(&r->c, &h);
	cr_assert(h.dp_answered);
	cr_assert(hl_healthy(&h), "%s", h.reasons[0]);
	cr_assert_eq(h.st.s.nworkers, 2);
	cr_assert_eq(h.st.s.ntcp, 1);
	cr_assert_eq(h.zones, 3);
	hl_report_fini(&h);
	rig_down(r);
}

Test(health, stalled_and_unstarted_workers)
{
	struct rig *r = rig_up();
	r->sc.nworkers = 3;
	r->sc.idle_ms[0] = 2;
	r->sc.idle_ms[1] = 1500;
	r->sc.idle_ms[2] = -1;
	struct hl_report h;
	hl_collect(&r->c, &h);
	cr_assert_not(hl_healthy(&h));
	cr_assert_eq(h.workers_stalled, 2);
	cr_assert_eq(h.nproblems, 2);
	cr_assert(has_reason(&h, "worker 1: no progress for 1500 ms (limit 1000 ms)"));
	cr_assert(has_reason(&h, "worker 2: not started"));
	hl_report_fini(&h);
	r->sc.nworkers = 0;
	r->sc.tcp_idle_ms[0] = 4000;
	hl_collect(&r->c, &h);
	cr_assert(has_reason(&h, "tcp thread 0: no progress for 4000 ms (limit 1000 ms)"));
	cr_assert(has_reason(&h, "no UDP worker is running"));
	hl_report_fini(&h);
	rig_down(r);
}

Test(health, dpdk_links_down_or_unknown)
{
	struct rig *r = rig_up();
	r->sc.nports = 2;
	r->sc.link[0] = (struct st_link){ .known = 1, .up = 0 };
	r->sc.link[1] = (struct st_link){ .known = 0 };
	struct hl_report h;
	hl_collect(&r->c, &h);
	cr_assert_eq(h.ports_down, 2);
	cr_assert(has_reason(&h, "port 0 (net_test0): link down"));
	cr_assert(has_reason(&h, "port 1 (net_test1): link state unknown"));
	hl_report_fini(&h);
	r->sc.link[0] = r->sc.link[1] = (struct st_link){ .known = 1, .up = 1,
							  .speed_mbps = 10000 };
	hl_collect(&r->c, &h);
	cr_assert(hl_healthy(&h), "%s", h.reasons[0]);
	hl_report_fini(&h);
	rig_down(r);
}

Test(health, zones_unserved_or_expired)
{
	struct rig *r = rig_up();
	r->z[0].served = false;
	snprintf(r->z[0].error, sizeof r->z[0].error, "a.zone:3: bad TTL");
	r->z[1].expired = true;
	r->z[2].served = false;	/* no longer configured: not counted */
	r->z[2].in_cfg = false;
	struct hl_report h;
	hl_collect(&r->c, &h);
	cr_assert_eq(h.zones, 2);
	cr_assert_eq(h.zones_unserved, 1);
	cr_assert_eq(h.zones_expired, 1);
	cr_assert_eq(h.nproblems, 2);
	cr_assert(has_reason(&h, "zone a.test.: not loaded: a.zone:3: bad TTL"));
	cr_assert(has_reason(&h, "zone b.test.: expired"));
	hl_report_fini(&h);
	/* a failed reload with the previous version served is healthy */
	r->z[0].served = true;
	r->z[1].expired = false;
	hl_collect(&r->c, &h);
	cr_assert(hl_healthy(&h), "%s", h.reasons[0]);
	hl_report_fini(&h);
	rig_down(r);
}

Test(health, late_reply_unhealthy_then_skipped)
{
	struct rig *r = rig_up();
	r->sc.first_delay_ms = HL_REPLY_MS + 200;
	struct hl_report h;
	hl_collect(&r->c, &h);
	cr_assert_not(h.dp_answered);
	cr_assert(has_reason(&h, "did not answer the status request within 500 ms"));
	cr_assert_eq(r->c.status_owed, 1);
	hl_report_fini(&h);
	/* the next request gets its own reply (the second), not the late one */
	hl_collect(&r->c, &h);
	cr_assert(h.dp_answered);
	cr_assert(hl_healthy(&h), "%s", h.reasons[0]);
	cr_assert_eq(h.st.s.uptime_s, 2.0);
	cr_assert_eq(r->c.status_owed, 0);
	hl_report_fini(&h);
	rig_down(r);
}
