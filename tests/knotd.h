/*
 * knotd.h - a private knotd (Knot DNS) for the differential test: writes a
 * config serving the given zone files on 127.0.0.1 at a free high port,
 * starts it, waits until it answers, sends it queries over UDP or TCP, and
 * stops it by PID.  The child gets PR_SET_PDEATHSIG, so a test process that
 * dies without running its clean-up does not leave knotd behind.
 */
#ifndef RINGDNS_TESTS_KNOTD_H
#define RINGDNS_TESTS_KNOTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kd_zone {
	const char *origin;	/* "example.com." */
	const char *file;	/* absolute path */
};

struct kd {
	pid_t pid;		/* 0 when not running */
	uint16_t port;
	char dir[64];		/* config, rundir, storage, log */
	char log[128];		/* path of knotd's stdout/stderr */
};

/* True when knotd can be executed. */
bool kd_available(void);
/* Starts knotd in dir (existing, empty) with identity/version for CHAOS
 * and nsid for NSID (RFC 5001).
 * Returns 0 once it answers the SOA query of the first zone, or -1 with a
 * message in err (knotd's log is at k->log). */
int kd_start(struct kd *k, const char *dir, const struct kd_zone *zones, size_t n,
	     const char *identity, const char *version, const char *nsid,
	     char *err, size_t errcap);
/* Sends q[0..qlen) and reads the response into out.  Returns its length,
 * or -1 after the retries time out (UDP: 3 tries of 0.5 s). */
long kd_query(const struct kd *k, bool tcp, const uint8_t *q, size_t qlen,
	      uint8_t *out, size_t cap);
/* Stops knotd (SIGTERM, then SIGKILL after 5 s) and reaps it. */
void kd_stop(struct kd *k);

#endif
