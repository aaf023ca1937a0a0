/*
 * commands.c - the commands ringctl sends over the control socket
 * (doc/control-protocol.md): status, health, zones, reload [ZONE], refresh ZONE,
 * retransfer ZONE, journal ZONE, stats [--json] and stop, each answered from the zone table or by asking the dataplane.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/ipc.h"
#include "common/stats.h"
#include "control/ctl.h"
#include "control/ctlsock.h"
#include "control/health.h"

#define DP_STATUS_MS 5000	/* how long ringctl status waits for the dataplane */

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

/* A status line per UDP worker ("worker N: thread, last progress ...",
 * lcore L with DPDK) or TCP thread ("tcp thread N: last progress ..."). */
static void progress_lines(bool tcp, const struct ipc_progress *pg, unsigned n,
			   struct ctl_out *o)
{
	for (unsigned i = 0; i < n; i++) {
		char where[32] = "";
		if (!tcp)
			snprintf(where, sizeof where, pg[i].lcore >= 0 ? " lcore %d," : " thread,",
				 pg[i].lcore);
		ctl_printf(o, "%s %u:%s", tcp ? "tcp thread" : "worker", pg[i].worker, where);
		if (pg[i].idle_ms < 0)
			ctl_printf(o, " not started\n");
		else
			ctl_printf(o, " last progress %.0f ms ago\n", pg[i].idle_ms);
	}
}

/* The status body's lines for each UDP worker's and TCP thread's progress
 * and each DPDK port's link (doc/control-protocol.md). */
static void status_io(const struct hl_status *st, struct ctl_out *o)
{
	const struct ipc_link *lk = st->ports;
	unsigned np = st->s.nports;
	progress_lines(false, st->workers, st->s.nworkers, o);
	progress_lines(true, st->tcp, st->s.ntcp, o);
	for (unsigned i = 0; i < np; i++) {
		char ls[64];
		const uint8_t *m = lk[i].mac;
		st_link_str(&lk[i].link, ls, sizeof ls);
		ctl_printf(o, "port %u (%.*s, %02x:%02x:%02x:%02x:%02x:%02x): %s\n", lk[i].port,
			   (int)sizeof lk[i].name, lk[i].name, m[0], m[1], m[2], m[3], m[4], m[5],
			   ls);
	}
}

static int cmd_status(struct ctl *c, struct ctl_out *o)
{
	struct hl_status st;
	char err[256];
	if (hl_status_fetch(c, &st, DP_STATUS_MS, err, sizeof err) != 0)
		return ctl_error(o, "%s", err);
	const struct ipc_status s = st.s;
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
	ctl_printf(o, "io: %.*s\n", (int)sizeof s.backend, s.backend);
	status_io(&st, o);
	hl_status_fini(&st);
	return 0;
}

/* health: OK with a summary, or ERR with one line per problem. */
static int cmd_health(struct ctl *c, struct ctl_out *o)
{
	struct hl_report r;
	hl_collect(c, &r);
	int rc = 0;
	if (hl_healthy(&r)) {
		ctl_printf(o, "healthy: %u UDP workers and %u TCP threads progressing, %u zones "
			   "served", r.st.s.nworkers, r.st.s.ntcp, r.zones);
		ctl_printf(o, r.st.s.nports ? ", %u DPDK ports up\n" : "\n", r.st.s.nports);
	} else {
		for (unsigned i = 0; i < r.nproblems && i < HL_REASONS_MAX; i++)
			ctl_printf(o, "%s\n", r.reasons[i]);
		if (r.nproblems > HL_REASONS_MAX)
			ctl_printf(o, "... and %u more\n", r.nproblems - HL_REASONS_MAX);
		rc = ctl_error(o, "unhealthy: %u problem%s", r.nproblems,
			       r.nproblems == 1 ? "" : "s");
	}
	hl_report_fini(&r);
	return rc;
}

/* For a secondary zone, a second line: its primaries, the checks' times
 * and the last error. */
static void zone_xfr_line(struct ctl *c, const struct zst *z, struct ctl_out *o)
{
	const struct cfg_zone *cz = NULL;
	for (size_t i = 0; i < c->cfg.nzones; i++)
		if (strcasecmp(c->cfg.zones[i].name, z->name) == 0)
			cz = &c->cfg.zones[i];
	if (!cz || !cz->nprimaries)
		return;
	char prim[256] = "", last[40], next[40], exp[40], xfr[40];
	for (unsigned i = 0; i < cz->nprimaries; i++)
		snprintf(prim + strlen(prim), sizeof prim - strlen(prim), "%s%s", i ? "," : "",
			 cz->primaries[i].text);
	fmt_time(z->last_refresh, last, sizeof last);
	fmt_time(z->next_check, next, sizeof next);
	fmt_time(z->expires_at, exp, sizeof exp);
	fmt_time(z->last_xfr, xfr, sizeof xfr);
	ctl_printf(o, "  secondary of %s: last refresh %s, next %s, expires %s, "
		   "last transfer %s%s%s%s%s%s\n",
		   prim, last, z->xfr_pid ? "now" : next, z->expired ? "EXPIRED" : exp, xfr,
		   z->xfr_kind[0] ? " by " : "", z->xfr_kind, z->expired ? " (answered SERVFAIL)" : "",
		   z->xfr_error[0] ? ", error: " : "", z->xfr_error);
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
		cat_zone_line(c, z, o);
		zone_xfr_line(c, z, o);
	}
	return 0;
}

static void out_line(void *ud, const char *text)
{
	ctl_printf(ud, "%s\n", text);
}

/* journal ZONE: the differences kept for IXFR. */
static int cmd_journal(struct ctl *c, int argc, char **argv, struct ctl_out *o)
{
	if (argc != 2)
		return ctl_error(o, "usage: journal ZONE");
	struct zst *z = zj_find(c, argv[1]);
	if (!z)
		return ctl_error(o, "zone %s is not configured", argv[1]);
	if (!z->jr || !jr_count(z->jr)) {
		ctl_printf(o, "%s: no differences kept (none served since the start, or no "
			   "allow-transfer, or journal-max-mb 0)\n", z->name);
		return 0;
	}
	ctl_printf(o, "%s: %zu differences, %zu bytes\n", z->name, jr_count(z->jr),
		   jr_bytes(z->jr));
	jr_print(z->jr, out_line, o);
	return 0;
}

/* refresh ZONE: check the primaries now; retransfer ZONE: transfer the
 * zone now whatever the serials say. */
static int cmd_refresh(struct ctl *c, int argc, char **argv, bool force, struct ctl_out *o)
{
	if (argc != 2)
		return ctl_error(o, "usage: %s ZONE", force ? "retransfer" : "refresh");
	struct zst *z = zj_find(c, argv[1]);
	if (!z)
		return ctl_error(o, "zone %s is not configured", argv[1]);
	if (!xfi_secondary(c, z))
		return ctl_error(o, "zone %s has no primaries (not a secondary zone)", z->name);
	xfi_check_now(z, force);
	xfi_tick(c);
	ctl_printf(o, "%s: %s started\n", z->name, force ? "transfer" : "check");
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
	if (xot_sync(c, err, sizeof err) != 0)
		ctl_printf(o, "XoT listeners not changed: %s\n", err);
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

int cmd_stats_decode(const uint8_t *buf, size_t n, struct stats_view *v)
{
	static struct wstats w[IPC_MSG_MAX / sizeof(struct wstats)];
	static struct ipc_lcore_stats lc[IPC_MSG_MAX / sizeof(struct ipc_lcore_stats)];
	static struct ipc_port_stats pt[IPC_MSG_MAX / sizeof(struct ipc_port_stats)];
	struct ipc_stats_hdr *h = &v->h;
	if (n < sizeof *h || n > IPC_MSG_MAX)
		return -1;
	memcpy(h, buf, sizeof *h);
	size_t wl = (size_t)h->nworkers * sizeof *w, ll = (size_t)h->nlcores * sizeof *lc;
	if (h->wstats_size != sizeof *w ||
	    n != sizeof *h + wl + ll + (size_t)h->nports * sizeof *pt)
		return -1;
	memcpy(w, buf + sizeof *h, wl);
	memcpy(lc, buf + sizeof *h + wl, ll);
	memcpy(pt, buf + sizeof *h + wl + ll, h->nports * sizeof *pt);
	*v = (struct stats_view){ .h = *h, .w = w, .lc = lc, .pt = pt };
	for (unsigned i = 0; i < h->nworkers; i++)
		st_sum(&v->tot, &w[i]);
	for (unsigned i = 0; i < h->nlcores; i++)
		st_io_sum(&v->io, &lc[i].io);
	for (unsigned i = 0; i < h->nports; i++)
		st_port_sum(&v->ports, &pt[i].st);
	return 0;
}

int cmd_stats_fetch(struct ctl *c, struct stats_view *v, struct ctl_out *o)
{
	static uint8_t buf[IPC_MSG_MAX];
	ssize_t n;
	if (ipc_send(c->dp, IPC_STATS_REQ, NULL, 0, -1) != 0 ||
	    (n = dpc_wait(c, IPC_STATS, buf, sizeof buf)) < (ssize_t)sizeof v->h)
		return ctl_error(o, "ringdns did not answer the stats request");
	if (cmd_stats_decode(buf, (size_t)n, v) != 0)
		return ctl_error(o, "ringdns sent stats of another layout (mismatched binaries?)");
	return 0;
}

int cmd_zstats_add(struct zstats_view *v, const uint8_t *buf, size_t n, bool *more)
{
	struct ipc_multi_hdr h;
	const uint8_t *e = ipc_multi_entries(buf, n, sizeof(struct ipc_zstats), &h);
	if (!e)
		return -1;
	struct ipc_zstats *z = realloc(v->z, (v->n + h.n + 1) * sizeof *z);
	if (!z)
		return -1;
	v->z = z;
	memcpy(z + v->n, e, (size_t)h.n * sizeof *z);
	for (size_t i = v->n; i < v->n + h.n; i++)
		z[i].name[sizeof z[i].name - 1] = 0;
	v->n += h.n;
	*more = h.more;
	return 0;
}

int cmd_zstats_fetch(struct ctl *c, struct zstats_view *v, struct ctl_out *o)
{
	static uint8_t buf[IPC_MSG_MAX];
	bool more = false;
	*v = (struct zstats_view){ NULL, 0 };
	if (ipc_send(c->dp, IPC_ZSTATS_REQ, NULL, 0, -1) != 0)
		return ctl_error(o, "ringdns did not answer the zone counters request");
	do {
		ssize_t n = dpc_wait(c, IPC_ZSTATS, buf, sizeof buf);
		if (n < 0 || cmd_zstats_add(v, buf, (size_t)n, &more) != 0)
			goto fail;
	} while (more);
	return 0;
fail:
	/* the rest of a multi-message reply is drained by the next wait's
	 * type check */
	free(v->z);
	*v = (struct zstats_view){ NULL, 0 };
	return ctl_error(o, "ringdns did not send its zone counters (mismatched binaries?)");
}

static const char *const rname[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
	"YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13",
	"RCODE14", "RCODE15" };

const char *cmd_rcode_str(unsigned rcode)
{
	return rname[rcode & 15];
}

static unsigned long long io_dropped(const struct st_io *io)
{
	unsigned long long n = 0;
	for (int r = 0; r < STD_COUNT; r++)
		n += io->dropped[r];
	return n;
}

static void port_text(const char *what, const struct st_port *p, struct ctl_out *o)
{
	ctl_printf(o, "%s: rx %llu, tx %llu, rx missed %llu, rx errors %llu, rx no buffer %llu, "
		   "tx errors %llu\n", what, (unsigned long long)p->rx_packets,
		   (unsigned long long)p->tx_packets, (unsigned long long)p->rx_missed,
		   (unsigned long long)p->rx_errors, (unsigned long long)p->rx_nombuf,
		   (unsigned long long)p->tx_errors);
}

/* The DPDK lines of the text body: frames, drops by reason, ports. */
static void stats_text_dpdk(const struct stats_view *v, struct ctl_out *o)
{
	const struct st_io *io = &v->io;
	ctl_printf(o, "frames: rx %llu, tx %llu, replied %llu, punted %llu, punt dropped %llu, "
		   "tx full %llu\n", (unsigned long long)io->rx, (unsigned long long)io->tx,
		   (unsigned long long)io->replied, (unsigned long long)io->punted,
		   (unsigned long long)io->punt_dropped, (unsigned long long)io->tx_full);
	ctl_printf(o, "frames dropped:");
	for (int r = 0; r < STD_COUNT; r++)
		ctl_printf(o, "%s %s %llu", r ? "," : "", st_drop_str((enum st_drop)r),
			   (unsigned long long)io->dropped[r]);
	ctl_printf(o, "\n");
	/* answers go out of worker lcores only (TCP has threads of its own) */
	uint64_t answered = 0;
	for (unsigned i = 0; i < v->h.nlcores && i < v->h.nworkers; i++)
		answered += v->w[i].responses[ST_UDP];
	ctl_printf(o, "polling: %llu polls, %llu busy; busy %.1f %% of %llu cycles",
		   (unsigned long long)io->polls, (unsigned long long)io->busy_polls,
		   io->cycles ? 100.0 * (double)io->busy_cycles / (double)io->cycles : 0.0,
		   (unsigned long long)io->cycles);
	if (answered)
		ctl_printf(o, "; %.0f busy cycles per answer",
			   (double)io->busy_cycles / (double)answered);
	ctl_printf(o, "\n");
	port_text("ports", &v->ports, o);
	for (unsigned i = 0; i < v->h.nports; i++) {
		char what[96];
		snprintf(what, sizeof what, "port %u (%.*s)", v->pt[i].port,
			 (int)sizeof v->pt[i].name, v->pt[i].name);
		port_text(what, &v->pt[i].st, o);
	}
}

static void stats_text(const struct stats_view *v, struct ctl_out *o)
{
	const struct wstats *t = &v->tot;
	ctl_printf(o, "queries: udp %llu, tcp %llu\n", (unsigned long long)t->queries[ST_UDP],
		   (unsigned long long)t->queries[ST_TCP]);
	ctl_printf(o, "responses: udp %llu, tcp %llu\n",
		   (unsigned long long)t->responses[ST_UDP],
		   (unsigned long long)t->responses[ST_TCP]);
	ctl_printf(o, "truncated: %llu\ndropped: %llu\n", (unsigned long long)t->truncated,
		   (unsigned long long)t->dropped);
	ctl_printf(o, "tcp connections: %llu accepted, %llu refused\n",
		   (unsigned long long)t->tcp_conns, (unsigned long long)t->tcp_refused);
	ctl_printf(o, "dnstap: %llu sent, %llu dropped\n", (unsigned long long)t->dnstap_sent,
		   (unsigned long long)t->dnstap_dropped);
	ctl_printf(o, "rate limited: %llu slipped, %llu dropped, %llu would be (log-only)\n",
		   (unsigned long long)t->rrl_slipped, (unsigned long long)t->rrl_dropped,
		   (unsigned long long)t->rrl_would);
	ctl_printf(o, "rcode:");
	for (int i = 0; i < 16; i++)
		if (t->rcode[i])
			ctl_printf(o, " %s %llu", rname[i], (unsigned long long)t->rcode[i]);
	ctl_printf(o, "\nqtype:");
	for (int i = 0; i < STQ_COUNT; i++)
		if (t->qtype[i])
			ctl_printf(o, " %s %llu", st_qtype_str((enum st_qtype)i),
				   (unsigned long long)t->qtype[i]);
	ctl_printf(o, "\n");
	if (v->h.nlcores)
		stats_text_dpdk(v, o);
	for (unsigned i = 0; i < v->h.nworkers; i++) {
		const struct wstats *w = &v->w[i];
		ctl_printf(o, "worker %u (%s): queries %llu, responses %llu, dropped %llu", i,
			   i < v->h.udp_workers ? "udp" : "tcp",
			   (unsigned long long)(w->queries[ST_UDP] + w->queries[ST_TCP]),
			   (unsigned long long)(w->responses[ST_UDP] + w->responses[ST_TCP]),
			   (unsigned long long)w->dropped);
		if (i < v->h.nlcores) {
			const struct ipc_lcore_stats *l = &v->lc[i];
			ctl_printf(o, "; lcore %u: rx %llu, tx %llu, punted %llu, tx full %llu, "
				   "frames dropped %llu, busy %.1f %%", l->lcore,
				   (unsigned long long)l->io.rx,
				   (unsigned long long)l->io.tx, (unsigned long long)l->io.punted,
				   (unsigned long long)l->io.tx_full, io_dropped(&l->io),
				   l->io.cycles ? 100.0 * (double)l->io.busy_cycles /
							  (double)l->io.cycles : 0.0);
		}
		ctl_printf(o, "\n");
	}
}

/* `"io": {...}` of the JSON body. */
static void io_json(const struct st_io *io, struct ctl_out *o)
{
	ctl_printf(o, "\"io\": {\"rx\": %llu, \"tx\": %llu, \"replied\": %llu, \"punted\": %llu, "
		   "\"punt_dropped\": %llu, \"tx_full\": %llu, \"polls\": %llu, "
		   "\"busy_polls\": %llu, \"cycles\": %llu, \"busy_cycles\": %llu, \"dropped\": {",
		   (unsigned long long)io->rx, (unsigned long long)io->tx,
		   (unsigned long long)io->replied, (unsigned long long)io->punted,
		   (unsigned long long)io->punt_dropped, (unsigned long long)io->tx_full,
		   (unsigned long long)io->polls, (unsigned long long)io->busy_polls,
		   (unsigned long long)io->cycles, (unsigned long long)io->busy_cycles);
	for (int r = 0; r < STD_COUNT; r++)
		ctl_printf(o, "%s\"%s\": %llu", r ? ", " : "", st_drop_str((enum st_drop)r),
			   (unsigned long long)io->dropped[r]);
	ctl_printf(o, "}}");
}

/* The members of a port's counters in the JSON body. */
static void port_json(const struct st_port *p, struct ctl_out *o)
{
	ctl_printf(o, "\"rx_packets\": %llu, \"tx_packets\": %llu, \"rx_missed\": %llu, "
		   "\"rx_errors\": %llu, \"rx_nombuf\": %llu, \"tx_errors\": %llu",
		   (unsigned long long)p->rx_packets, (unsigned long long)p->tx_packets,
		   (unsigned long long)p->rx_missed, (unsigned long long)p->rx_errors,
		   (unsigned long long)p->rx_nombuf, (unsigned long long)p->tx_errors);
}

/* The query counters of the JSON body (members of an open object). */
static void wstats_json(const struct wstats *s, struct ctl_out *o)
{
	ctl_printf(o, "\"queries\": {\"udp\": %llu, \"tcp\": %llu}, "
		   "\"responses\": {\"udp\": %llu, \"tcp\": %llu}, "
		   "\"truncated\": %llu, \"dropped\": %llu, "
		   "\"tcp_connections\": %llu, \"tcp_refused\": %llu, "
		   "\"rate_limited\": {\"slipped\": %llu, \"dropped\": %llu, \"would\": %llu}, ",
		   (unsigned long long)s->queries[ST_UDP], (unsigned long long)s->queries[ST_TCP],
		   (unsigned long long)s->responses[ST_UDP],
		   (unsigned long long)s->responses[ST_TCP], (unsigned long long)s->truncated,
		   (unsigned long long)s->dropped, (unsigned long long)s->tcp_conns,
		   (unsigned long long)s->tcp_refused, (unsigned long long)s->rrl_slipped,
		   (unsigned long long)s->rrl_dropped, (unsigned long long)s->rrl_would);
	ctl_printf(o, "\"dnstap_sent\": %llu, \"dnstap_dropped\": %llu, ",
		   (unsigned long long)s->dnstap_sent, (unsigned long long)s->dnstap_dropped);
	ctl_printf(o, "\"rcode\": {");
	for (int r = 0; r < 16; r++)
		ctl_printf(o, "%s\"%s\": %llu", r ? ", " : "", rname[r],
			   (unsigned long long)s->rcode[r]);
	ctl_printf(o, "}, \"qtype\": {");
	for (int t = 0; t < STQ_COUNT; t++)
		ctl_printf(o, "%s\"%s\": %llu", t ? ", " : "", st_qtype_str((enum st_qtype)t),
			   (unsigned long long)s->qtype[t]);
	ctl_printf(o, "}");
}

static void stats_json(const struct stats_view *v, struct ctl_out *o)
{
	bool dpdk = v->h.nlcores > 0;
	ctl_printf(o, "{\n  \"backend\": \"%.*s\",\n  \"total\": {", (int)sizeof v->h.backend,
		   v->h.backend);
	wstats_json(&v->tot, o);
	if (dpdk) {
		ctl_printf(o, ", ");
		io_json(&v->io, o);
		ctl_printf(o, ", \"ports\": {");
		port_json(&v->ports, o);
		ctl_printf(o, "}");
	}
	ctl_printf(o, "},\n  \"workers\": [\n");
	for (unsigned i = 0; i < v->h.nworkers; i++) {
		ctl_printf(o, "%s    {\"worker\": %u, \"kind\": \"%s\", ", i ? ",\n" : "", i,
			   i < v->h.udp_workers ? "udp" : "tcp");
		if (i < v->h.nlcores)
			ctl_printf(o, "\"lcore\": %u, ", v->lc[i].lcore);
		wstats_json(&v->w[i], o);
		if (i < v->h.nlcores) {
			ctl_printf(o, ", ");
			io_json(&v->lc[i].io, o);
		}
		ctl_printf(o, "}");
	}
	ctl_printf(o, "\n  ]");
	if (dpdk) {
		ctl_printf(o, ",\n  \"ports\": [\n");
		for (unsigned i = 0; i < v->h.nports; i++) {
			ctl_printf(o, "%s    {\"port\": %u, \"name\": \"%.*s\", ", i ? ",\n" : "",
				   v->pt[i].port, (int)sizeof v->pt[i].name, v->pt[i].name);
			port_json(&v->pt[i].st, o);
			ctl_printf(o, "}");
		}
		ctl_printf(o, "\n  ]");
	}
	ctl_printf(o, "\n}\n");
}

void cmd_stats_render(const struct stats_view *v, bool json, struct ctl_out *o)
{
	if (json)
		stats_json(v, o);
	else
		stats_text(v, o);
}

static int cmd_stats(struct ctl *c, bool json, struct ctl_out *o)
{
	static struct stats_view v;
	if (cmd_stats_fetch(c, &v, o) != 0)
		return -1;
	cmd_stats_render(&v, json, o);
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
	if (strcmp(cmd, "health") == 0 && argc == 1)
		return cmd_health(c, o);
	if (strcmp(cmd, "reload") == 0)
		return cmd_reload(c, argc, argv, o);
	if (strcmp(cmd, "journal") == 0)
		return cmd_journal(c, argc, argv, o);
	if (strcmp(cmd, "refresh") == 0 || strcmp(cmd, "retransfer") == 0)
		return cmd_refresh(c, argc, argv, strcmp(cmd, "retransfer") == 0, o);
	if (strcmp(cmd, "stats") == 0 &&
	    (argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)))
		return cmd_stats(c, argc == 2, o);
	if (strcmp(cmd, "stop") == 0 && argc == 1) {
		if (ipc_send(c->dp, IPC_STOP, NULL, 0, -1) != 0)
			return ctl_error(o, "cannot reach ringdns: %s", strerror(errno));
		ctl_printf(o, "stopping\n");
		return 0;
	}
	return ctl_error(o, "unknown command or arguments '%s' (commands: status, health, "
			 "reload [ZONE], zones, refresh ZONE, retransfer ZONE, journal ZONE, stats [--json], "
			 "stop)",
			 cmd);
}
