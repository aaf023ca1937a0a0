/*
 * ctl.h - the state ringdns-control's parts share (internal to the
 * ringdns-control executable): the zone table, the images waiting for the
 * cache, the channel to the dataplane and the operator's control socket.
 *
 * control_main.c starts the process and runs its poll loop; zonejobs.c
 * loads, compiles and hands over zones (and keeps the cache);
 * dpchan.c speaks to the dataplane; xfrout.c serves outgoing zone
 * transfers; xfrin.c keeps secondary zones up to date, ixfrload.c applies
 * the IXFRs they receive (incr.c: the incremental image builder);
 * commands.c executes ringctl's commands; signals.c turns
 * signals into flags.  Everything runs on the
 * one thread of the process.
 */
#ifndef RINGDNS_CTL_H
#define RINGDNS_CTL_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include <poll.h>
#include <time.h>

#include "common/atomicfile.h"
#include "common/cfg.h"
#include "common/ipc.h"
#include "common/tsig.h"
#include "control/ctlsock.h"
#include "control/journal.h"
#include "control/zcache.h"

#define CTL_XFR_CHILDREN_MAX 8	/* transfers out (and XoT connections) at once */

struct xs;
struct xot;

/* A configured zone and what is known of it. */
struct zst {
	char name[256];
	char *file;
	bool in_cfg;		/* still in the configuration */
	bool served;		/* the dataplane serves a version of it */
	uint32_t serial;
	uint64_t records;
	size_t image_size;
	time_t loaded_at;
	double load_s;		/* parse + check + compile + hand-over */
	int img_fd;		/* the served image's sealed memfd (transfers read
				   it), -1 when this process has none */
	size_t img_size;
	struct journal *jr;	/* differences between the versions served
				   (control/journal.h), NULL until one is kept */
	struct inc *inc;	/* changes applied incrementally over the served
				   image (control/incr.c), NULL: none */
	/* secondary zones (primaries configured): control/xfrin.c */
	pid_t xfr_pid;		/* the check running, 0 = none */
	struct af xfr_new;	/* ... the file it writes a new version to */
	struct af xfr_steps;	/* ... and an IXFR's steps to */
	int xfr_errfd;		/* its reason for a failure, -1 = none */
	bool xfr_force;		/* transfer at the next check whatever the serial */
	bool xfr_again;		/* asked for while one ran: check again at its end */
	time_t next_check;	/* when to ask the primaries again */
	time_t last_refresh;	/* the last check that succeeded */
	time_t last_xfr;	/* the last transfer applied */
	char xfr_kind[8];	/* ... "IXFR" or "AXFR" */
	pid_t kw_pid;		/* the child writing the zone file after an
				   incremental change (ixfrload.c), 0 = none */
	struct af kw_file;	/* ... the file it writes */
	uint32_t kw_serial;	/* ... the serial it writes */
	unsigned file_gen;	/* the zone file's replacements (zj_keep_file) */
	unsigned kw_gen;	/* ... when that child started */
	bool jr_by_caller;	/* the load in progress leaves the journal to its
				   caller (an IXFR received: jr_add_diff) */
	time_t expires_at;	/* no successful check by then: expired (0: not set) */
	bool expired;		/* answered SERVFAIL until a transfer succeeds */
	char xfr_error[256];	/* the last check's failure, "" = none */
	char error[1024];	/* last load's error, "" = none */
};

/* A served image still to be written to the cache. */
struct pending {
	char zone[256];
	int fd;			/* sealed image memfd */
	size_t size;
	uint32_t serial;
	uint64_t records;
	struct zcache_files files;
	time_t started;
};

struct ctl {
	int argc;
	char **argv;
	struct cfg cfg;
	int dp;			/* the channel to the dataplane */
	int xfr;		/* the transfer channel (common/ipc.h), -1: none */
	unsigned xfr_children;	/* outgoing transfers running (XoT connections too) */
	struct xot *xot;	/* the XoT listeners (xot.c), NULL: none */
	struct ctlsock *cs;
	struct zst *z;
	size_t nz;
	uint32_t seq;		/* of the last image handed over */
	bool reload_pending;
	bool peers_due;		/* the configuration changed: send IPC_PEERS */
	bool trim_due;		/* memory to give back once idle */
	struct pending *pending;	/* images to write to the cache once idle */
	size_t npending;
	bool stop;		/* leave the loop: a signal, or ringdns is gone */
	time_t last_reload;
	int wake_fd;		/* readable after a signal (csig_read) */
	const volatile sig_atomic_t *stop_flag;	/* set by SIGTERM/SIGINT */
	struct cat_state *cat;	/* catalog zones read (catalog.c), NULL: none */
	unsigned status_owed;	/* status requests whose reply is still due
				   (health.c skips the late ones) */
	struct mtr *mtr;	/* the metrics endpoint (metrics.c), NULL: none */
	uint64_t reloads;	/* zj_reload_all runs, the first load included */
	uint64_t reload_failures;	/* ... where a zone failed to load */
	double reload_s;	/* ... their time, summed */
	double last_reload_s;	/* ... the last one's */
};

/* Whether the process is to stop (a wait or a zone job ends early). */
static inline bool ctl_stopping(const struct ctl *c)
{
	return c->stop || (c->stop_flag && *c->stop_flag);
}

/* signals.c: SIGTERM, SIGINT and SIGHUP. */

/* Installs the handlers and sets c->wake_fd and c->stop_flag.  0, or -1
 * with err. */
int csig_init(struct ctl *c, char *err, size_t errcap);
/* After c->wake_fd polled readable: c->stop for SIGTERM or SIGINT,
 * c->reload_pending for SIGHUP. */
void csig_read(struct ctl *c);
void csig_fini(struct ctl *c);

/* dpchan.c: the control side of the channel to the dataplane. */

/* Waits for a message of type want from the dataplane, handling any other
 * that arrives first.  Returns its length, or -1 (timeout, a stop, or the
 * dataplane is gone: then c->stop is set). */
ssize_t dpc_wait(struct ctl *c, uint32_t want, void *buf, size_t cap);
/* The same, waiting at most timeout_ms. */
ssize_t dpc_wait_ms(struct ctl *c, uint32_t want, void *buf, size_t cap, int timeout_ms);
/* Sends the sealed image memfd fd to the dataplane and waits for its
 * answer (fd stays the caller's).  0 when it serves the image, -1 with
 * err. */
int dpc_hand_over(struct ctl *c, const char *zone, int fd, size_t size, uint32_t serial,
		  uint64_t records, char *err, size_t errcap);

/* A message from the dataplane that is no reply: IPC_RELOAD, IPC_NOTIFY
 * (the zone checked at once), a late IPC_STATUS (counted off
 * c->status_owed); others ignored. */
void dpc_other(struct ctl *c, uint32_t type, const void *msg, size_t len);
/* Sends the dataplane the TSIG keys and, per secondary zone, who may
 * NOTIFY it (IPC_PEERS); clears c->peers_due once sent. */
void dpc_send_peers(struct ctl *c);
/* The same for an overlay over the zone's base image (IPC_OVERLAY,
 * zones/overlay.h). */
int dpc_hand_over_overlay(struct ctl *c, const char *zone, int fd, size_t size,
			  uint32_t serial, uint64_t records, char *err, size_t errcap);

/* Waits for the dataplane's reply to IPC_HELLO and records each zone it
 * serves (zj_served).  0, or -1 when no well-formed reply came. */
int dpc_served(struct ctl *c);
/* Records the zones of one IPC_SERVED payload (n bytes at buf); *more:
 * another message follows.  0, or -1 when malformed. */
int dpc_served_msg(struct ctl *c, const uint8_t *buf, size_t n, bool *more);

/* zonejobs.c: zone loads, the zone table and the image cache. */

/* The zone named name (with or without its final dot), or NULL. */
struct zst *zj_find(struct ctl *c, const char *name);
/* The entry of zone name, added when missing (pointers to others may
 * move), with file and marked in the configuration; NULL when out of
 * memory. */
struct zst *zj_add(struct ctl *c, const char *name, const char *file);
/* Reads the configuration again (file and flags) and syncs the zone list:
 * new zones added, removed ones dropped from the dataplane, files updated.
 * -1 with err when the configuration is unusable (nothing changes then). */
int zj_config_sync(struct ctl *c, char *err, size_t errcap);
/* Records a zone the dataplane serves already (its reply to the hello):
 * a restarted control process shows its serial beside any load error. */
void zj_served(struct ctl *c, const struct ipc_served *sv);
/* Stops serving (IPC_REMOVE) and forgets the zones that are not in the
 * configuration. */
void zj_drop_unconfigured(struct ctl *c);
/* Loads, checks, compiles and hands over one zone (or its cached image).
 * 0, or -1 with z->error set (the previous version, if any, keeps
 * serving). */
int zj_build(struct ctl *c, struct zst *z);
/* Reloads every zone; returns how many failed. */
unsigned zj_reload_all(struct ctl *c);
/* Writes the images waiting for the cache (called when idle). */
void zj_cache_flush(struct ctl *c);
/* Loads the transferred zone in a's temporary file (written and synced,
 * common/atomicfile.h; its target z's file) as z's new version and, when
 * it serves, commits it over z's file; 0, or -1 (z->error; the temporary
 * removed, the previous version keeps serving).  a is empty after. */
int zj_load_transfer(struct ctl *c, struct zst *z, struct af *a);
/* The last 20 bytes of the served SOA's rdata (serial, refresh, retry,
 * expire, minimum), read from z's image; -1 when there is none. */
int zj_soa_rdata_tail(const struct zst *z, uint8_t out[20]);
/* After a transfer served from a's temporary file (a zone file): commits
 * it over z's file (renamed, directory synced), so a restart serves it
 * (the temporary removed when that fails; logged).  a is empty after. */
void zj_keep_file(struct zst *z, struct af *a);
/* The image z serves, opened: its composed image when a change was
 * served incrementally (*map NULL), else its image mapped (snap_close,
 * then munmap *map of z->img_size bytes); NULL when this process holds
 * none. */
struct snap *zj_open_served(const struct zst *z, void **map);
/* z's journal, ready for a step from serial `from` to `to` (a serial
 * that went back empties it first); NULL when none is kept (no
 * allow-transfer, journal-max-mb 0, out of memory) or the serials are
 * equal. */
struct journal *zj_journal(struct ctl *c, struct zst *z, uint32_t from, uint32_t to);
/* Step d (an IXFR step received) into z's journal, when one is kept (a
 * failure to keep it is logged: IXFR out answers with the whole zone). */
void zj_journal_diff(struct ctl *c, struct zst *z, const struct zdiff *d);
/* Has the dataplane answer SERVFAIL for z (an expired secondary zone),
 * or (expired false) serve it again (its primary answers its serial). */
void zj_expire(struct ctl *c, struct zst *z, bool expired);
/* Removes the temporary files an earlier crash left (common/atomicfile.h)
 * from the cache directory and the zone files' directories (at start,
 * before any load). */
void zj_clean_temps(struct ctl *c);
/* Frees the zone table and the images waiting for the cache. */
void zj_fini(struct ctl *c);

/* xfrout.c: zone transfers out. */

/* After c->xfr polled readable: takes the handed-over connection and
 * refuses its transfer or starts a child process that serves it. */
void xfo_read(struct ctl *c);
/* The configured keys, in cfg order, as TSIG keys (keys: room for
 * CFG_KEYS_MAX); how many. */
size_t ctl_tsig_keys(const struct ctl *c, struct tsig_key *keys);
/* Reaps the children that ended: transfers out, and checks of secondary
 * zones (xfi_reaped). */
void ctl_reap(struct ctl *c);
/* Forks a child that serves transfers: in the child (0) the parent's
 * signal handlers and channels are gone; in the parent it is counted in
 * c->xfr_children (ctl_reap counts it out).  fork's result. */
pid_t xfo_fork(struct ctl *c);
/* Whether allow-transfer admits peer (the address alone). */
bool xfo_peer_allowed(const struct ctl *c, const struct sockaddr_storage *peer);
/* In an XoT connection's child: answers the query m (AXFR, IXFR or SOA)
 * from peer on s, in this process, with the rules of a handed-over one
 * (allow-transfer, TSIG); other query types get REFUSED.  -1 when m is
 * malformed (nothing sent). */
int xfo_serve(struct ctl *c, struct xs *s, const struct sockaddr_storage *peer,
	      const uint8_t *m, size_t len);

/* xot.c: XFR-over-TLS listeners (RFC 9103). */

/* Opens the listeners of server.xot-listen with the certificate of
 * server.tls-cert/tls-key (again after a configuration reload: what
 * changed is reopened, what failed keeps the previous).  0, or -1 with
 * err. */
int xot_sync(struct ctl *c, char *err, size_t errcap);
/* The listeners to poll, into p (at most cap); how many. */
size_t xot_pollfds(const struct ctl *c, struct pollfd *p, size_t cap);
/* After poll: accepts the connections waiting, each served by a child
 * process (TLS handshake, then its queries) within the limit on
 * transfers running. */
void xot_events(struct ctl *c, const struct pollfd *p, size_t np);
/* Closes the listeners; in a child, closes its copies. */
void xot_fini(struct ctl *c);

/* xfrin.c: the secondary role. */

/* Whether zone z has primaries (is a secondary). */
bool xfi_secondary(const struct ctl *c, const struct zst *z);
/* Has secondary zone z checked at the next xfi_tick (a transfer whatever
 * the serials when force), or again at the end of the check running: a
 * NOTIFY (RFC 1996 §3.7, §4.7) or ringctl refresh/retransfer. */
void xfi_check_now(struct zst *z, bool force);
/* Starts the checks that are due (each in a child process). */
void xfi_tick(struct ctl *c);
/* Milliseconds until the next check is due, -1 when none is. */
int xfi_wait_ms(const struct ctl *c);
/* A child pid ended with status st: true when it was a check (then
 * handled: the new version loaded, the timers set). */
bool xfi_reaped(struct ctl *c, pid_t pid, int st);
/* Stops z's check, if one runs (killed and reaped), and removes what it
 * wrote: the zone goes, or the process stops. */
void xfi_forget(struct zst *z);
/* A transfer response read from fd as a check reads it from a primary
 * (its messages with their 2-byte lengths, as on TCP; no TSIG), for the
 * query this describes: */
struct xfi_stream {
	const char *zone;	/* text, for messages */
	const uint8_t *origin;	/* wire form */
	bool have;		/* a version is served, of serial: */
	uint32_t serial;
	bool ixfr;		/* asked by IXFR (else AXFR) */
	uint16_t id;		/* the query's ID */
	uint64_t max_bytes;	/* 0: no limit */
	uint64_t max_records;	/* 0: no limit */
	FILE *out;		/* the zone as text (without $ORIGIN .) */
	FILE *steps;		/* an IXFR's steps (control/zdfile.h) */
};
enum { XFI_FAILED = -1, XFI_ZONE, XFI_STEPS, XFI_UPTODATE, XFI_BY_AXFR };
/* The form it came in (XFI_FAILED: err says why). */
int xfi_read_stream(int fd, const struct xfi_stream *q, char *err, size_t errcap);

/* ixfrload.c: an IXFR received, applied (the check's child wrote its
 * steps to file steps, control/zdfile.h). */

/* Applies the steps to z's served version (control/zdapply.h checks them)
 * and serves the result: by inc_apply when it can, else as a zone file
 * loaded whole; either way z's file then holds the new version and the
 * journal the steps.  0, or -1 with err (the old version keeps serving;
 * steps that do not apply set z->xfr_force: the next check transfers the
 * whole zone, RFC 1995 §4).  The file steps is removed. */
int ixl_apply(struct ctl *c, struct zst *z, const char *steps, char *err, size_t errcap);
/* A child pid ended with status st: true when it was a zone file writer
 * (then handled: its file kept when it still holds the version served). */
bool ixl_reaped(struct ctl *c, pid_t pid, int st);
/* Waits for the zone file writers still running and keeps their files
 * (the process is stopping). */
void ixl_fini(struct ctl *c);
/* Stops z's zone file writer, if any (its file removed): the zone goes,
 * or a newer version replaces the file. */
void ixl_forget(struct zst *z);

/* incr.c: changes applied incrementally (zones/overlay.h). */

struct zdiff;
/*
 * Applies change d (one IXFR step from z's served serial) to secondary
 * zone z as an overlay over its served image and has the dataplane serve
 * it: 1 when served (z's serial, records, journal and NOTIFY updated as
 * for a full load), 0 when the incremental path does not apply (signed
 * zones, DNAME, a change a full compile would refuse, an overlay past its
 * bound, no image in this process: err says which; the caller compiles
 * the whole zone), -1 when the change is wrong for the served version or
 * the dataplane refused it (err; nothing served changed).
 */
int inc_apply(struct ctl *c, struct zst *z, const struct zdiff *d, char *err, size_t errcap);
/* Gets z (a secondary zone whose new image is served) ready for changes:
 * the overlay builder made now (a pass over the zone) rather than at the
 * first change. */
void inc_prepare(struct ctl *c, struct zst *z);
/* The image of z's version as served (base with overlay), *size its
 * bytes; NULL when z has no overlay (its image is z->img_fd's). */
const uint8_t *inc_image(const struct zst *z, size_t *size);
/* The bytes of z's overlay (0: its base is served as it is). */
size_t inc_overlay_bytes(const struct zst *z);
/* Forgets z's overlay: a new full image is served (or z goes). */
void inc_reset(struct zst *z);
/* Folds z's overlay into a new full image (a compaction): the version
 * served written beside z's zone file and loaded as a transfer is
 * (zj_load_transfer: it becomes z's file), which resets z->inc.  0, or
 * -1 (logged; the overlay keeps serving). */
int inc_fold(struct ctl *c, struct zst *z);
/* inc_fold for each zone whose overlay grew past its bound or that stayed
 * unchanged a while. */
void inc_tick(struct ctl *c);
/* Milliseconds until inc_tick has something to do, -1 when never. */
int inc_wait_ms(const struct ctl *c);

/* notify.c: NOTIFY to secondaries. */

/* z serves a new serial: NOTIFY its secondaries (zones[].notify). */
void ntf_zone_changed(struct ctl *c, const struct zst *z);
/* The sockets waiting for answers, into p (at most cap); how many. */
size_t ntf_pollfds(struct pollfd *p, size_t cap);
/* After poll: reads the answers those sockets got. */
void ntf_events(const struct pollfd *p, size_t np);
/* Sends again what is due, gives up what went unanswered too often. */
void ntf_tick(struct ctl *c);
/* Milliseconds until the next send is due, -1 when nothing is pending. */
int ntf_wait_ms(void);

/* catalog.c: catalog zones (RFC 9432), the consumer role: the member
 * zones they list are served as secondaries, in c->cfg.zones with
 * member_of set. */

/* n is a configuration just read, not yet in use: adds to it the member
 * zones of its catalogs as last read (a catalog not read yet is read from
 * its zone file: a restart serves its members at once). */
void cat_config(struct ctl *c, struct cfg *n);
/* z serves a new version: when it is a catalog, cat_tick reads it. */
void cat_zone_served(struct ctl *c, const struct zst *z);
/* Reads the catalogs that changed and applies their member lists:
 * members added, removed (no longer served, their file deleted), moved
 * or reset.  Called from the loop, never under a zone job (it adds and
 * removes zone table entries). */
void cat_tick(struct ctl *c);
/* For `ringctl zones`: z's catalog line (a member's catalog, or a
 * catalog's members and last refusal), if any. */
void cat_zone_line(struct ctl *c, const struct zst *z, struct ctl_out *o);
void cat_fini(struct ctl *c);

/* commands.c: ringctl's commands over the control socket. */

/* The ctl_handler (ctlsock.h) for the control socket; ud is the ctl. */
int cmd_handle(void *ud, int argc, char **argv, struct ctl_out *o);


/* A stats reply, checked, in aligned copies (overwritten by the next
 * fetch), with its sums. */
struct stats_view {
	struct ipc_stats_hdr h;
	const struct wstats *w;			/* [h.nworkers] */
	const struct ipc_lcore_stats *lc;	/* [h.nlcores]: DPDK only */
	const struct ipc_port_stats *pt;	/* [h.nports]: DPDK only */
	struct wstats tot;
	struct st_io io;			/* the lcores' sum */
	struct st_port ports;			/* the ports' sum */
};
/* Asks ringdns for its counters into v; 0, or -1 with the error in o. */
int cmd_stats_fetch(struct ctl *c, struct stats_view *v, struct ctl_out *o);
/* Checks an IPC_STATS payload (n bytes at buf) into v; 0, or -1 when it
 * has another layout. */
int cmd_stats_decode(const uint8_t *buf, size_t n, struct stats_view *v);
/* v as `ringctl stats` shows it: text, or JSON. */
void cmd_stats_render(const struct stats_view *v, bool json, struct ctl_out *o);
/* The per-zone counters as ringdns sent them (struct ipc_zstats: one per
 * zone that has a slot, and the shared slots' when they counted). */
struct zstats_view {
	struct ipc_zstats *z;	/* [n], malloc'ed: free(z) */
	size_t n;
};
/* Asks ringdns for its per-zone counters into v; 0, or -1 with the
 * error in o. */
int cmd_zstats_fetch(struct ctl *c, struct zstats_view *v, struct ctl_out *o);
/* Adds the counters of one IPC_ZSTATS payload (n bytes at buf) to v;
 * *more: another message follows.  0, or -1 when malformed. */
int cmd_zstats_add(struct zstats_view *v, const uint8_t *buf, size_t n, bool *more);
/* An RCODE's name in reports ("NOERROR", "NXDOMAIN", "RCODE12"). */
const char *cmd_rcode_str(unsigned rcode);

/* metrics.c: the Prometheus endpoint (server.metrics-listen).  An HTTP
 * thread of libmicrohttpd serves the text the loop last rendered; a
 * scrape asks the loop (mtr_fd) for a fresh one and waits for it a
 * bounded time. */

/* Opens, moves or closes the endpoint as the configuration says.  0, or
 * -1 with err (a failed move keeps the previous endpoint). */
int mtr_sync(struct ctl *c, char *err, size_t errcap);
/* The fd to poll for POLLIN (a scrape waits for fresh text); -1: none. */
int mtr_fd(const struct ctl *c);
/* After mtr_fd polled readable: renders the metrics and hands them to
 * the HTTP thread. */
void mtr_refresh(struct ctl *c);
void mtr_fini(struct ctl *c);

/* metrics_render.c: the metric families, from the zone table and the
 * dataplane's replies (doc/metrics.md lists them). */
struct pt_buf;
void mtr_render(struct ctl *c, struct pt_buf *b);

#endif
