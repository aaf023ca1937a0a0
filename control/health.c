/*
 * health.c - the verdict behind `ringctl health` (health.h): asks the
 * dataplane how long ago each UDP worker and TCP thread last went round
 * its loop and
 * how its DPDK links are, and checks each configured zone is served and
 * not expired.  The command answers OK only when nothing is wrong, else
 * ERR with one line per problem, so that an announcement script (deploy/)
 * can withdraw the service prefix on its exit status alone.
 */
#include "control/health.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctl.h"
#include "control/ctlsock.h"

/* The dataplane answers requests in order: a reply that arrives after its
 * asker gave up is the oldest one owed, and is skipped. */
static ssize_t status_reply(struct ctl *c, uint8_t *buf, size_t cap, int timeout_ms)
{
	int64_t until = ipc_now_ms() + timeout_ms;
	if (ipc_send(c->dp, IPC_STATUS_REQ, NULL, 0, -1) != 0)
		return -1;
	c->status_owed++;
	for (;;) {
		int64_t left = until - ipc_now_ms();
		ssize_t n = left > 0 ? dpc_wait_ms(c, IPC_STATUS, buf, cap, (int)left) : -1;
		if (n < 0)
			return -1;
		if (--c->status_owed == 0)
			return n;
	}
}

int hl_status_decode(struct hl_status *st, const uint8_t *buf, size_t n, char *err,
		     size_t errcap)
{
	memset(st, 0, sizeof *st);
	if (n < sizeof st->s) {
		snprintf(err, errcap, "ringdns sent a status shorter than its header");
		return -1;
	}
	memcpy(&st->s, buf, sizeof st->s);
	size_t wl = (size_t)st->s.nworkers * sizeof *st->workers;
	size_t tl = (size_t)st->s.ntcp * sizeof *st->tcp;
	size_t pl = (size_t)st->s.nports * sizeof *st->ports;
	if (n != sizeof st->s + wl + tl + pl) {
		snprintf(err, errcap, "ringdns sent a status of another layout (mismatched "
			 "binaries?)");
		return -1;
	}
	st->workers = malloc(wl + tl + 1);
	st->ports = malloc(pl + 1);
	if (!st->workers || !st->ports) {
		hl_status_fini(st);
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	st->tcp = st->workers + st->s.nworkers;
	memcpy(st->workers, buf + sizeof st->s, wl + tl);
	memcpy(st->ports, buf + sizeof st->s + wl + tl, pl);
	return 0;
}

int hl_status_fetch(struct ctl *c, struct hl_status *st, int timeout_ms, char *err,
		    size_t errcap)
{
	static uint8_t buf[IPC_MSG_MAX];
	memset(st, 0, sizeof *st);
	ssize_t n = status_reply(c, buf, sizeof buf, timeout_ms);
	if (n < (ssize_t)sizeof st->s) {
		snprintf(err, errcap, "ringdns did not answer the status request within %d ms",
			 timeout_ms);
		return -1;
	}
	return hl_status_decode(st, buf, (size_t)n, err, errcap);
}

void hl_status_fini(struct hl_status *st)
{
	free(st->workers);
	free(st->ports);
	st->workers = st->tcp = NULL;
	st->ports = NULL;
}

__attribute__((format(printf, 2, 3)))
static void problem(struct hl_report *r, const char *fmt, ...)
{
	if (r->nproblems < HL_REASONS_MAX) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->reasons[r->nproblems], sizeof r->reasons[0], fmt, ap);
		va_end(ap);
	}
	r->nproblems++;
}

/* One UDP worker's or TCP thread's progress (what: "worker", "tcp thread"). */
static void check_progress(struct hl_report *r, const char *what, const struct ipc_progress *w)
{
	if (w->idle_ms >= 0 && w->idle_ms <= HL_PROGRESS_MAX_MS)
		return;
	r->workers_stalled++;
	if (w->idle_ms < 0)
		problem(r, "%s %u: not started", what, w->worker);
	else
		problem(r, "%s %u: no progress for %.0f ms (limit %d ms)", what, w->worker,
			w->idle_ms, HL_PROGRESS_MAX_MS);
}

/* Workers that made no progress lately, and links that are not up. */
static void check_dataplane(struct hl_report *r)
{
	const struct hl_status *st = &r->st;
	if (!st->s.nworkers)
		problem(r, "no UDP worker is running");
	for (unsigned i = 0; i < st->s.nworkers; i++)
		check_progress(r, "worker", &st->workers[i]);
	for (unsigned i = 0; i < st->s.ntcp; i++)
		check_progress(r, "tcp thread", &st->tcp[i]);
	for (unsigned i = 0; i < st->s.nports; i++) {
		const struct ipc_link *l = &st->ports[i];
		if (l->link.known && l->link.up)
			continue;
		char ls[64];
		st_link_str(&l->link, ls, sizeof ls);
		r->ports_down++;
		problem(r, "port %u (%.*s): %s", l->port, (int)sizeof l->name, l->name, ls);
	}
}

/* Configured zones that are not served, or expired (RFC 1035 §3.3.13:
 * a secondary that reached no primary for the SOA's expire time). */
static void check_zones(struct ctl *c, struct hl_report *r)
{
	for (size_t i = 0; i < c->nz; i++) {
		const struct zst *z = &c->z[i];
		if (!z->in_cfg)
			continue;
		r->zones++;
		if (!z->served) {
			r->zones_unserved++;
			problem(r, "zone %s: not loaded%s%.200s", z->name, z->error[0] ? ": " : "",
				z->error);
		} else if (z->expired) {
			r->zones_expired++;
			problem(r, "zone %s: expired (no primary reached for the SOA's expire "
				"time; answered SERVFAIL)", z->name);
		}
	}
}

void hl_collect(struct ctl *c, struct hl_report *r)
{
	char err[256];
	memset(r, 0, sizeof *r);
	r->dp_answered = hl_status_fetch(c, &r->st, HL_REPLY_MS, err, sizeof err) == 0;
	if (r->dp_answered)
		check_dataplane(r);
	else
		problem(r, "dataplane: %s", err);
	check_zones(c, r);
}

void hl_report_fini(struct hl_report *r)
{
	hl_status_fini(&r->st);
}
