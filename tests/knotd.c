/*
 * knotd.c - a private knotd for the differential test (see knotd.h).
 */
#include "tests/knotd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *knotd_path(void)
{
	static const char *const cand[] = { "/usr/sbin/knotd", "/usr/local/sbin/knotd",
					    "/usr/bin/knotd" };
	const char *env = getenv("KNOTD");
	if (env && access(env, X_OK) == 0)
		return env;
	for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++)
		if (access(cand[i], X_OK) == 0)
			return cand[i];
	return NULL;
}

bool kd_available(void)
{
	return knotd_path() != NULL;
}

static bool port_free(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = true;
	int types[] = { SOCK_DGRAM, SOCK_STREAM };
	for (int i = 0; i < 2 && ok; i++) {
		int fd = socket(AF_INET, types[i], 0);
		if (fd < 0)
			return false;
		ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
	}
	return ok;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int write_conf(const struct kd *k, const char *path, const struct kd_zone *zones,
		      size_t n, const char *identity, const char *version, const char *nsid)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	/* Zones served exactly as in their files: no journal, no re-signing,
	 * no zone-file write-back, no checks beyond the parser's. */
	fprintf(f,
		"server:\n"
		"    rundir: \"%s\"\n"
		"    listen: 127.0.0.1@%u\n"
		"    identity: \"%s\"\n"
		"    version: \"%s\"\n"
		"    nsid: \"%s\"\n"
		"    udp-max-payload: 1232\n"
		"    udp-workers: 1\n"
		"    tcp-workers: 1\n"
		"    background-workers: 1\n"
		"database:\n"
		"    storage: \"%s/db\"\n"
		"control:\n"
		"    listen: \"%s/knot.sock\"\n"
		"log:\n"
		"  - target: stderr\n"
		"    any: info\n"
		"template:\n"
		"  - id: default\n"
		"    zonefile-load: whole\n"
		"    zonefile-sync: -1\n"
		"    journal-content: none\n"
		"    semantic-checks: off\n"
		"    dnssec-signing: off\n"
		"zone:\n",
		k->dir, k->port, identity, version, nsid, k->dir, k->dir);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  - domain: \"%s\"\n    file: \"%s\"\n", zones[i].origin,
			zones[i].file);
	return fclose(f);
}

/* A SOA query for origin (text, absolute), ID 1. */
static size_t soa_query(const char *origin, uint8_t *q)
{
	size_t n = 0;
	static const uint8_t hdr[12] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(q, hdr, 12);
	n = 12;
	const char *p = origin;
	while (*p && *p != '.') {
		const char *e = strchr(p, '.');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (e ? 1 : 0);
	}
	q[n++] = 0;
	static const uint8_t tail[4] = { 0, 6, 0, 1 };
	memcpy(q + n, tail, 4);
	return n + 4;
}

static long query_udp(const struct kd *k, const uint8_t *q, size_t qlen, uint8_t *out,
		      size_t cap, int tries, int timeout_ms);

int kd_start(struct kd *k, const char *dir, const struct kd_zone *zones, size_t n,
	     const char *identity, const char *version, const char *nsid,
	     char *err, size_t errcap)
{
	memset(k, 0, sizeof *k);
	snprintf(k->dir, sizeof k->dir, "%s", dir);
	snprintf(k->log, sizeof k->log, "%s/knotd.log", dir);
	const char *bin = knotd_path();
	if (!bin) {
		snprintf(err, errcap, "knotd not found (package knot)");
		return -1;
	}
	uint16_t base = (uint16_t)(53000 + getpid() % 1000);
	for (uint16_t i = 0; i < 200 && !k->port; i++)
		if (port_free((uint16_t)(base + i)))
			k->port = (uint16_t)(base + i);
	if (!k->port) {
		snprintf(err, errcap, "no free port from %u", base);
		return -1;
	}
	char conf[128];
	snprintf(conf, sizeof conf, "%s/knot.conf", dir);
	if (write_conf(k, conf, zones, n, identity, version, nsid) != 0) {
		snprintf(err, errcap, "%s: %s", conf, strerror(errno));
		return -1;
	}
	pid_t ppid = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errcap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* knotd must not outlive a test process that crashed */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != ppid)
			_exit(127);
		int fd = open(k->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(bin, "knotd", "-c", conf, (char *)NULL);
		_exit(127);
	}
	k->pid = pid;
	uint8_t q[300], r[1500];
	size_t ql = soa_query(zones[0].origin, q);
	for (int tries = 0; tries < 100; tries++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			k->pid = 0;
			snprintf(err, errcap, "knotd exited (status %d), see %s", st, k->log);
			return -1;
		}
		/* answered, with AA: the zone is loaded */
		long l = query_udp(k, q, ql, r, sizeof r, 1, 100);
		if (l >= 12 && (r[2] & 0x04) && (r[3] & 15) == 0)
			return 0;
		sleep_ms(100);
	}
	snprintf(err, errcap, "knotd did not answer for %s on port %u, see %s",
		 zones[0].origin, k->port, k->log);
	kd_stop(k);
	return -1;
}

static long query_udp(const struct kd *k, const uint8_t *q, size_t qlen, uint8_t *out,
		      size_t cap, int tries, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(k->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	long got = -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
		for (int t = 0; t < tries && got < 0; t++) {
			if (send(fd, q, qlen, 0) != (ssize_t)qlen)
				continue;
			struct pollfd p = { .fd = fd, .events = POLLIN };
			while (got < 0 && poll(&p, 1, timeout_ms) == 1) {
				ssize_t l = recv(fd, out, cap, 0);
				/* a late answer to an earlier try has the same ID: fine */
				if (l >= 2 && qlen >= 2 && out[0] == q[0] && out[1] == q[1])
					got = l;
				else if (l < 0)
					break;
			}
		}
	}
	close(fd);
	return got;
}

static bool full_io(int fd, void *buf, size_t n, bool wr)
{
	uint8_t *p = buf;
	while (n) {
		struct pollfd pf = { .fd = fd, .events = wr ? POLLOUT : POLLIN };
		if (poll(&pf, 1, 2000) != 1)
			return false;
		ssize_t l = wr ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
		if (l <= 0)
			return false;
		p += l;
		n -= (size_t)l;
	}
	return true;
}

static long query_tcp(const struct kd *k, const uint8_t *q, size_t qlen, uint8_t *out,
		      size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(k->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	long got = -1;
	uint8_t len[2] = { (uint8_t)(qlen >> 8), (uint8_t)qlen };
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && full_io(fd, len, 2, true) &&
	    full_io(fd, (void *)q, qlen, true) && full_io(fd, len, 2, false)) {
		size_t rl = (size_t)(len[0] << 8 | len[1]);
		if (rl <= cap && full_io(fd, out, rl, false))
			got = (long)rl;
	}
	close(fd);
	return got;
}

long kd_query(const struct kd *k, bool tcp, const uint8_t *q, size_t qlen, uint8_t *out,
	      size_t cap)
{
	if (tcp)
		return query_tcp(k, q, qlen, out, cap);
	return query_udp(k, q, qlen, out, cap, 3, 500);
}

void kd_stop(struct kd *k)
{
	if (k->pid <= 0)
		return;
	kill(k->pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(k->pid, NULL, WNOHANG) == k->pid) {
			k->pid = 0;
			return;
		}
		sleep_ms(100);
	}
	kill(k->pid, SIGKILL);
	waitpid(k->pid, NULL, 0);
	k->pid = 0;
}
