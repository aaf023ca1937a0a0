/*
 * commands.c - the commands ringctl sends over the control socket
 * (doc/control-protocol.md): status, zones, reload [ZONE], stats [--json]
 * and stop, each answered from the zone table or by asking the dataplane.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/ipc.h"
#include "common/stats.h"
#include "control/ctl.h"
#include "control/ctlsock.h"

static void fmt_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	if (!t) {
		snprintf(buf, cap, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmd_status(struct ctl *c, struct ctl_out *o)
{
	struct ipc_status s;
	if (ipc_send(c->dp, IPC_STATUS_REQ, NULL, 0, -1) != 0 ||
	    dpc_wait(c, IPC_STATUS, &s, sizeof s) != (ssize_t)sizeof s)
		return ctl_error(o, "ringdns did not answer the status request");
	unsigned bad = 0;
	for (size_t i = 0; i < c->nz; i++)
		bad += c->z[i].error[0] != 0;
	char last[40];
	fmt_time((time_t)s.last_swap, last, sizeof last);
	ctl_printf(o, "version: %s\n", CFG_DEFAULT_VERSION);
	ctl_printf(o, "uptime: %.0f s\n", s.uptime_s);
	ctl_printf(o, "workers: %u UDP, %u TCP\n", s.udp_workers, s.tcp_workers);
	ctl_printf(o, "snapshot generation: %llu\n", (unsigned long long)s.generation);
	ctl_printf(o, "last reload: %s\n", last);
	ctl_printf(o, "zones: %u served, %zu configured, %u with errors\n", s.zones, c->nz, bad);
	ctl_printf(o, "snapshots mapped: %.1f MB\n", s.mapped_bytes / 1e6);
	ctl_printf(o, "control process: pid %d, restarts %u\n", (int)getpid(),
		   s.control_restarts);
	return 0;
}

static int cmd_zones(struct ctl *c, struct ctl_out *o)
{
	ctl_printf(o, "%-32s %10s %10s %-20s %s\n", "zone", "serial", "records", "loaded",
		   "last error");
	for (size_t i = 0; i < c->nz; i++) {
		struct zst *z = &c->z[i];
		char at[40], serial[16], rec[24];
		fmt_time(z->loaded_at, at, sizeof at);
		snprintf(serial, sizeof serial, z->served ? "%u" : "-", z->serial);
		snprintf(rec, sizeof rec, z->served ? "%llu" : "-",
			 (unsigned long long)z->records);
		ctl_printf(o, "%-32s %10s %10s %-20s %s\n", z->name, serial, rec, at,
			   z->error[0] ? z->error : "-");
	}
	return 0;
}

static int cmd_reload(struct ctl *c, int argc, char **argv, struct ctl_out *o)
{
	char err[512];
	if (argc > 2)
		return ctl_error(o, "usage: reload [ZONE]");
	if (argc == 2) {
		struct zst *z = zj_find(c, argv[1]);
		if (!z)
			return ctl_error(o, "zone %s is not configured", argv[1]);
		if (zj_build(c, z) != 0)
			return ctl_error(o, "zone %s: %s%s", z->name, z->error,
					 z->served ? " (the previous version keeps serving)" : "");
		ctl_printf(o, "%s: serial %u, %llu records, loaded in %.2f s\n", z->name,
			   z->serial, (unsigned long long)z->records, z->load_s);
		return 0;
	}
	if (zj_config_sync(c, err, sizeof err) != 0)
		return ctl_error(o, "configuration not reloaded: %s", err);
	unsigned bad = zj_reload_all(c);
	for (size_t i = 0; i < c->nz; i++) {
		struct zst *z = &c->z[i];
		if (z->error[0])
			ctl_printf(o, "%s: error: %s\n", z->name, z->error);
		else
			ctl_printf(o, "%s: serial %u, %llu records, loaded in %.2f s\n", z->name,
				   z->serial, (unsigned long long)z->records, z->load_s);
	}
	if (bad)
		return ctl_error(o, "%u of %zu zones failed to load; their previous versions "
				 "keep serving (see ringctl zones)", bad, c->nz);
	return 0;
}

static int cmd_stats(struct ctl *c, bool json, struct ctl_out *o)
{
	static uint8_t buf[IPC_MSG_MAX];
	ssize_t n;
	if (ipc_send(c->dp, IPC_STATS_REQ, NULL, 0, -1) != 0 ||
	    (n = dpc_wait(c, IPC_STATS, buf, sizeof buf)) < (ssize_t)sizeof(struct ipc_stats_hdr))
		return ctl_error(o, "ringdns did not answer the stats request");
	struct ipc_stats_hdr h;
	memcpy(&h, buf, sizeof h);
	if (h.wstats_size != sizeof(struct wstats) ||
	    (size_t)n != sizeof h + (size_t)h.nworkers * sizeof(struct wstats))
		return ctl_error(o, "ringdns sent stats of another layout (mismatched binaries?)");
	struct wstats w[h.nworkers ? h.nworkers : 1], tot;
	memcpy(w, buf + sizeof h, h.nworkers * sizeof *w);
	memset(&tot, 0, sizeof tot);
	for (unsigned i = 0; i < h.nworkers; i++)
		st_sum(&tot, &w[i]);
	static const char *const rname[16] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
		"YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13",
		"RCODE14", "RCODE15" };
	if (!json) {
		ctl_printf(o, "queries: udp %llu, tcp %llu\n",
			   (unsigned long long)tot.queries[ST_UDP],
			   (unsigned long long)tot.queries[ST_TCP]);
		ctl_printf(o, "responses: udp %llu, tcp %llu\n",
			   (unsigned long long)tot.responses[ST_UDP],
			   (unsigned long long)tot.responses[ST_TCP]);
		ctl_printf(o, "truncated: %llu\ndropped: %llu\n",
			   (unsigned long long)tot.truncated, (unsigned long long)tot.dropped);
		ctl_printf(o, "tcp connections: %llu accepted, %llu refused\n",
			   (unsigned long long)tot.tcp_conns, (unsigned long long)tot.tcp_refused);
		ctl_printf(o, "rcode:");
		for (int i = 0; i < 16; i++)
			if (tot.rcode[i])
				ctl_printf(o, " %s %llu", rname[i], (unsigned long long)tot.rcode[i]);
		ctl_printf(o, "\nqtype:");
		for (int i = 0; i < STQ_COUNT; i++)
			if (tot.qtype[i])
				ctl_printf(o, " %s %llu", st_qtype_str((enum st_qtype)i),
					   (unsigned long long)tot.qtype[i]);
		ctl_printf(o, "\n");
		for (unsigned i = 0; i < h.nworkers; i++)
			ctl_printf(o, "worker %u (%s): queries %llu, responses %llu, dropped %llu\n",
				   i, i < h.udp_workers ? "udp" : "tcp",
				   (unsigned long long)(w[i].queries[ST_UDP] + w[i].queries[ST_TCP]),
				   (unsigned long long)(w[i].responses[ST_UDP] +
							w[i].responses[ST_TCP]),
				   (unsigned long long)w[i].dropped);
		return 0;
	}
	ctl_printf(o, "{\n");
	for (unsigned i = 0; i <= h.nworkers; i++) {
		const struct wstats *s = i == 0 ? &tot : &w[i - 1];
		if (i == 0)
			ctl_printf(o, "  \"total\": {");
		else
			ctl_printf(o, "%s    {\"worker\": %u, \"kind\": \"%s\", ", i == 1 ? "" : ",\n",
				   i - 1, i - 1 < h.udp_workers ? "udp" : "tcp");
		ctl_printf(o, "\"queries\": {\"udp\": %llu, \"tcp\": %llu}, "
			   "\"responses\": {\"udp\": %llu, \"tcp\": %llu}, "
			   "\"truncated\": %llu, \"dropped\": %llu, "
			   "\"tcp_connections\": %llu, \"tcp_refused\": %llu, \"rcode\": {",
			   (unsigned long long)s->queries[ST_UDP],
			   (unsigned long long)s->queries[ST_TCP],
			   (unsigned long long)s->responses[ST_UDP],
			   (unsigned long long)s->responses[ST_TCP],
			   (unsigned long long)s->truncated, (unsigned long long)s->dropped,
			   (unsigned long long)s->tcp_conns, (unsigned long long)s->tcp_refused);
		for (int r = 0; r < 16; r++)
			ctl_printf(o, "%s\"%s\": %llu", r ? ", " : "", rname[r],
				   (unsigned long long)s->rcode[r]);
		ctl_printf(o, "}, \"qtype\": {");
		for (int t = 0; t < STQ_COUNT; t++)
			ctl_printf(o, "%s\"%s\": %llu", t ? ", " : "", st_qtype_str((enum st_qtype)t),
				   (unsigned long long)s->qtype[t]);
		ctl_printf(o, "}}");
		if (i == 0)
			ctl_printf(o, ",\n  \"workers\": [\n");
	}
	ctl_printf(o, "\n  ]\n}\n");
	return 0;
}

int cmd_handle(void *ud, int argc, char **argv, struct ctl_out *o)
{
	struct ctl *c = ud;
	const char *cmd = argv[0];
	if (strcmp(cmd, "status") == 0 && argc == 1)
		return cmd_status(c, o);
	if (strcmp(cmd, "zones") == 0 && argc == 1)
		return cmd_zones(c, o);
	if (strcmp(cmd, "reload") == 0)
		return cmd_reload(c, argc, argv, o);
	if (strcmp(cmd, "stats") == 0 &&
	    (argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)))
		return cmd_stats(c, argc == 2, o);
	if (strcmp(cmd, "stop") == 0 && argc == 1) {
		if (ipc_send(c->dp, IPC_STOP, NULL, 0, -1) != 0)
			return ctl_error(o, "cannot reach ringdns: %s", strerror(errno));
		ctl_printf(o, "stopping\n");
		return 0;
	}
	return ctl_error(o, "unknown command or arguments '%s' (commands: status, reload "
			 "[ZONE], zones, stats [--json], stop)", cmd);
}
