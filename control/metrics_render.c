/*
 * metrics_render.c - the metric families of the Prometheus endpoint
 * (doc/metrics.md), rendered on the control loop from the zone table and
 * the dataplane's counters and status asked for at the scrape.  The
 * workers' counters are their struct wstats as the dataplane sent them:
 * counting stays in the worker loop (dataplane/stats.h), no work per
 * packet is added for the metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats.h"
#include "control/ctl.h"
#include "control/ctlsock.h"
#include "control/health.h"
#include "control/promtext.h"


/* A counter of every worker (global index, UDP then TCP threads) with its
 * transport; field picks it from the worker's counters. */
static void per_worker(struct pt_buf *b, const struct stats_view *v, const char *name,
		       const char *help, uint64_t (*field)(const struct wstats *, enum st_tr))
{
	pt_family(b, name, "counter", help);
	for (unsigned i = 0; i < v->h.nworkers; i++) {
		char w[16];
		enum st_tr tr = i < v->h.udp_workers ? ST_UDP : ST_TCP;
		snprintf(w, sizeof w, "%u", i);
		pt_u64(b, name, (const char *[]){ "worker", w, "transport",
						  tr == ST_UDP ? "udp" : "tcp", NULL },
		       field(&v->w[i], tr));
	}
}

static uint64_t f_queries(const struct wstats *s, enum st_tr tr) { return s->queries[tr]; }
static uint64_t f_responses(const struct wstats *s, enum st_tr tr) { return s->responses[tr]; }
static uint64_t f_truncated(const struct wstats *s, enum st_tr tr) { (void)tr; return s->truncated; }
static uint64_t f_dropped(const struct wstats *s, enum st_tr tr) { (void)tr; return s->dropped; }

/* The workers' query counters. */
/* Response rate limiting's actions and dnstap's messages, summed over
 * the workers. */
static void render_limits(struct pt_buf *b, const struct stats_view *v)
{
	pt_family(b, "ringdns_rrl_responses_total", "counter",
		  "UDP responses over the rate limit (rate-limit): sent truncated (slip), not "
		  "sent (drop), or sent in log-only mode (would).");
	pt_u64(b, "ringdns_rrl_responses_total", (const char *[]){ "action", "slip", NULL },
	       v->tot.rrl_slipped);
	pt_u64(b, "ringdns_rrl_responses_total", (const char *[]){ "action", "drop", NULL },
	       v->tot.rrl_dropped);
	pt_u64(b, "ringdns_rrl_responses_total", (const char *[]){ "action", "would", NULL },
	       v->tot.rrl_would);
	pt_family(b, "ringdns_dnstap_messages_total", "counter",
		  "dnstap messages handed to the writer (sent), or dropped (the reader lagged).");
	pt_u64(b, "ringdns_dnstap_messages_total", (const char *[]){ "result", "sent", NULL },
	       v->tot.dnstap_sent);
	pt_u64(b, "ringdns_dnstap_messages_total", (const char *[]){ "result", "dropped", NULL },
	       v->tot.dnstap_dropped);
}

static void render_queries(struct pt_buf *b, const struct stats_view *v)
{
	per_worker(b, v, "ringdns_queries_total", "DNS queries received, by worker and transport.",
		   f_queries);
	per_worker(b, v, "ringdns_responses_total", "DNS responses sent, by worker and transport.",
		   f_responses);
	per_worker(b, v, "ringdns_responses_truncated_total",
		   "UDP responses sent with TC=1 (the client retries over TCP).", f_truncated);
	per_worker(b, v, "ringdns_queries_dropped_total",
		   "Queries not answered: malformed, QR=1, or the send failed.", f_dropped);
	pt_family(b, "ringdns_responses_by_rcode_total", "counter",
		  "DNS responses sent, by worker and header RCODE.");
	for (unsigned i = 0; i < v->h.nworkers; i++) {
		char w[16];
		snprintf(w, sizeof w, "%u", i);
		for (unsigned r = 0; r < 16; r++)
			pt_u64(b, "ringdns_responses_by_rcode_total",
			       (const char *[]){ "worker", w, "rcode", cmd_rcode_str(r), NULL },
			       v->w[i].rcode[r]);
	}
	pt_family(b, "ringdns_queries_by_qtype_total", "counter",
		  "Queries answered, by worker and QTYPE (the common types, else \"other\").");
	for (unsigned i = 0; i < v->h.nworkers; i++) {
		char w[16];
		snprintf(w, sizeof w, "%u", i);
		for (int t = 0; t < STQ_COUNT; t++)
			pt_u64(b, "ringdns_queries_by_qtype_total",
			       (const char *[]){ "worker", w, "qtype",
						 st_qtype_str((enum st_qtype)t), NULL },
			       v->w[i].qtype[t]);
	}
	pt_family(b, "ringdns_tcp_connections_total", "counter", "TCP connections accepted.");
	pt_u64(b, "ringdns_tcp_connections_total", NULL, v->tot.tcp_conns);
	pt_family(b, "ringdns_tcp_connections_refused_total", "counter",
		  "TCP connections refused by a connection limit.");
	pt_u64(b, "ringdns_tcp_connections_refused_total", NULL, v->tot.tcp_refused);
	render_limits(b, v);
}

/* A counter slot's zone label: the zone, or the shared slots' names. */
static const char *zslot_label(const struct ipc_zstats *z)
{
	return z->slot == ZS_NONE ? "(none)" : z->slot == ZS_OTHER ? "(other)" : z->name;
}

static uint64_t zf_queries(const struct zstats *z, enum st_tr tr) { return z->queries[tr]; }
static uint64_t zf_responses(const struct zstats *z, enum st_tr tr) { return z->responses[tr]; }

/* A per-zone counter by transport; field picks it from a zone's counters. */
static void per_zone(struct pt_buf *b, const struct zstats_view *v, const char *name,
		     const char *help, uint64_t (*field)(const struct zstats *, enum st_tr))
{
	static const char *const tr[ST_TR_COUNT] = { "udp", "tcp" };
	pt_family(b, name, "counter", help);
	for (size_t i = 0; i < v->n; i++)
		for (int t = 0; t < ST_TR_COUNT; t++)
			pt_u64(b, name, (const char *[]){ "zone", zslot_label(&v->z[i]), "transport",
							  tr[t], NULL },
			       field(&v->z[i].st, (enum st_tr)t));
}

/* The per-zone counters (server.zone-counters), summed over the workers. */
static void render_zone_counters(struct pt_buf *b, const struct zstats_view *v)
{
	per_zone(b, v, "ringdns_zone_queries_total",
		 "DNS queries by zone and transport; zone \"(none)\": no served zone answered "
		 "(REFUSED, CHAOS, malformed), \"(other)\": zones past server.zone-counters.",
		 zf_queries);
	per_zone(b, v, "ringdns_zone_responses_total", "DNS responses by zone and transport.",
		 zf_responses);
	pt_family(b, "ringdns_zone_responses_by_rcode_total", "counter",
		  "DNS responses by zone and header RCODE (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, "
		  "other).");
	for (size_t i = 0; i < v->n; i++)
		for (int r = 0; r < STZ_COUNT; r++)
			pt_u64(b, "ringdns_zone_responses_by_rcode_total",
			       (const char *[]){ "zone", zslot_label(&v->z[i]), "rcode",
						 st_zrcode_str((enum st_zrcode)r), NULL },
			       v->z[i].st.rcode[r]);
}

/* The dataplane's status: snapshots and the workers' progress. */
static void render_status(struct pt_buf *b, const struct hl_status *v)
{
	pt_family(b, "ringdns_dataplane_uptime_seconds", "gauge",
		  "Seconds since ringdns (the dataplane) started.");
	pt_f64(b, "ringdns_dataplane_uptime_seconds", NULL, v->s.uptime_s);
	pt_family(b, "ringdns_snapshot_generation", "gauge",
		  "Swaps of the served snapshot's root since start.");
	pt_u64(b, "ringdns_snapshot_generation", NULL, v->s.generation);
	pt_family(b, "ringdns_snapshot_mapped_bytes", "gauge",
		  "Bytes of zone images the dataplane maps.");
	pt_u64(b, "ringdns_snapshot_mapped_bytes", NULL, v->s.mapped_bytes);
	pt_family(b, "ringdns_zones_served", "gauge", "Zones the dataplane serves.");
	pt_u64(b, "ringdns_zones_served", NULL, v->s.zones);
	pt_family(b, "ringdns_control_restarts_total", "counter",
		  "Times ringdns restarted its control process.");
	pt_u64(b, "ringdns_control_restarts_total", NULL, v->s.control_restarts);
	pt_family(b, "ringdns_worker_last_progress_seconds", "gauge",
		  "Seconds since a UDP worker last went round its loop (it does at least every "
		  "0.1 s while alive, idle or not); -1: not started.");
	for (unsigned i = 0; i < v->s.nworkers; i++) {
		char w[16];
		snprintf(w, sizeof w, "%u", v->workers[i].worker);
		pt_f64(b, "ringdns_worker_last_progress_seconds",
		       (const char *[]){ "worker", w, NULL },
		       v->workers[i].idle_ms < 0 ? -1 : v->workers[i].idle_ms / 1000);
	}
}

static double z_served(struct ctl *c, const struct zst *z) { (void)c; return z->served; }
static double z_error(struct ctl *c, const struct zst *z) { (void)c; return z->error[0] != 0; }
static double z_serial(struct ctl *c, const struct zst *z) { (void)c; return z->serial; }
static double z_records(struct ctl *c, const struct zst *z) { (void)c; return (double)z->records; }
static double z_loaded(struct ctl *c, const struct zst *z) { (void)c; return (double)z->loaded_at; }
static double z_load_s(struct ctl *c, const struct zst *z) { (void)c; return z->load_s; }
static double z_expired(struct ctl *c, const struct zst *z) { (void)c; return z->expired; }
static double z_refresh(struct ctl *c, const struct zst *z) { (void)c; return (double)z->last_refresh; }
static double z_xfr(struct ctl *c, const struct zst *z) { (void)c; return (double)z->last_xfr; }
static double z_expires(struct ctl *c, const struct zst *z) { (void)c; return (double)z->expires_at; }

/* The image bytes z's served version takes: its image, and the overlay
 * of the changes applied incrementally over it. */
static double z_bytes(struct ctl *c, const struct zst *z)
{
	(void)c;
	return (double)((z->img_fd >= 0 ? z->img_size : z->image_size) + inc_overlay_bytes(z));
}

/* The gauges of each configured zone. */
static const struct zone_gauge {
	const char *name, *help;
	bool secondaries_only;
	double (*value)(struct ctl *, const struct zst *);
} zone_gauges[] = {
	{ "ringdns_zone_served", "1 when the dataplane serves a version of the zone.", false,
	  z_served },
	{ "ringdns_zone_load_error", "1 when the zone's last load failed (its previous "
	  "version, if any, keeps serving).", false, z_error },
	{ "ringdns_zone_serial", "The SOA serial served.", false, z_serial },
	{ "ringdns_zone_records", "Records in the version served.", false, z_records },
	{ "ringdns_zone_snapshot_bytes", "Bytes of the zone's served image (with the overlay "
	  "of incremental changes).", false, z_bytes },
	{ "ringdns_zone_loaded_timestamp_seconds", "Unix time the version served was loaded; "
	  "0: never.", false, z_loaded },
	{ "ringdns_zone_load_seconds", "Seconds the last load took (parse, check, compile, "
	  "hand-over).", false, z_load_s },
	{ "ringdns_zone_expired", "1 when a secondary zone expired (answered SERVFAIL until a "
	  "transfer succeeds).", true, z_expired },
	{ "ringdns_zone_last_refresh_timestamp_seconds", "Unix time of a secondary zone's last "
	  "successful check of its primaries; 0: never.", true, z_refresh },
	{ "ringdns_zone_last_transfer_timestamp_seconds", "Unix time of the last transfer "
	  "applied to a secondary zone; 0: never.", true, z_xfr },
	{ "ringdns_zone_expires_timestamp_seconds", "Unix time a secondary zone expires "
	  "without a successful check; 0: not set.", true, z_expires },
};

static void render_zones(struct pt_buf *b, struct ctl *c)
{
	for (size_t g = 0; g < sizeof zone_gauges / sizeof *zone_gauges; g++) {
		const struct zone_gauge *zg = &zone_gauges[g];
		pt_family(b, zg->name, "gauge", zg->help);
		for (size_t i = 0; i < c->nz; i++)
			if (!zg->secondaries_only || xfi_secondary(c, &c->z[i]))
				pt_f64(b, zg->name, (const char *[]){ "zone", c->z[i].name, NULL },
				       zg->value(c, &c->z[i]));
	}
}

static void render_reloads(struct pt_buf *b, const struct ctl *c)
{
	pt_family(b, "ringdns_reloads_total", "counter",
		  "Reloads of every zone (the first load, SIGHUP, ringctl reload).");
	pt_u64(b, "ringdns_reloads_total", NULL, c->reloads);
	pt_family(b, "ringdns_reload_failures_total", "counter",
		  "Reloads in which at least one zone failed to load.");
	pt_u64(b, "ringdns_reload_failures_total", NULL, c->reload_failures);
	pt_family(b, "ringdns_reload_seconds_total", "counter", "Seconds spent in reloads.");
	pt_f64(b, "ringdns_reload_seconds_total", NULL, c->reload_s);
	pt_family(b, "ringdns_last_reload_seconds", "gauge", "Seconds the last reload took.");
	pt_f64(b, "ringdns_last_reload_seconds", NULL, c->last_reload_s);
	pt_family(b, "ringdns_last_reload_timestamp_seconds", "gauge",
		  "Unix time the last reload ended; 0: none.");
	pt_u64(b, "ringdns_last_reload_timestamp_seconds", NULL, (uint64_t)c->last_reload);
}

void mtr_render(struct ctl *c, struct pt_buf *b)
{
	static struct stats_view sv;
	/* the status and the verdict of `ringctl health` (control/health.h) */
	struct hl_report hr;
	hl_collect(c, &hr);
	struct ctl_out *o = ctl_out_new();
	bool have_sv = o && !ctl_stopping(c) && cmd_stats_fetch(c, &sv, o) == 0;
	struct zstats_view zv = { NULL, 0 };
	bool have_zv = have_sv && cmd_zstats_fetch(c, &zv, o) == 0;
	ctl_out_free(o);
	pt_family(b, "ringdns_dataplane_up", "gauge",
		  "1 when the dataplane answered the control process's requests for this scrape.");
	pt_u64(b, "ringdns_dataplane_up", NULL, hr.dp_answered && have_sv);
	pt_family(b, "ringdns_healthy", "gauge", "1 when `ringctl health` passes: the dataplane "
		  "answers, every UDP worker and TCP thread made progress within the last second, "
		  "every DPDK link is up and every configured zone is served and not expired.");
	pt_u64(b, "ringdns_healthy", NULL, hl_healthy(&hr) && have_sv);
	if (have_sv)
		render_queries(b, &sv);
	if (have_zv)
		render_zone_counters(b, &zv);
	free(zv.z);
	if (hr.dp_answered)
		render_status(b, &hr.st);
	render_zones(b, c);
	render_reloads(b, c);
	hl_report_fini(&hr);
}
