/*
 * main.c - ringdns, the dataplane process.  main() reads as DPDK's l3fwd
 * does: arguments, init (signals, DPDK's EAL with --io dpdk, listeners or
 * ports, workers, TCP threads), launch (the control process), then the
 * main thread (with DPDK: the main lcore) serves the control channel
 * until a stop, and shuts down in reverse order.  The main thread
 * is also the publisher's: zone images from ringdns-control are validated
 * and swapped in here (ctlchan.c, publisher.c).  Signals: SIGHUP reloads
 * (through the control process), SIGTERM/SIGINT stop.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/peers.h"
#include "dataplane/ctlchan.h"
#include "dataplane/dnstap.h"
#include "dataplane/dp.h"
#include "dataplane/io_dpdk.h"
#include "dataplane/io_sock.h"
#include "dataplane/probe.h"
#include "dataplane/rrl.h"

#define PUBLISHER_NICE 10	/* see lower_priority() */
/* Descriptors kept free of TCP connections: the control channel and the
 * next one made at a restart, image hand-overs (one memfd per message,
 * closed once mapped), the signalfd's and syslog's spare, with room. */
#define FD_RESERVE 32
#define RRL_TICK_MS 1000	/* the main thread looks at the rate limiter's counters */
#define RRL_LOG_MS 10000	/* and logs about them at most this often */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringdns [--config FILE] [--listen ADDR:PORT]... [--zone NAME=FILE]...\n"
		"               [--control-socket PATH] [--workers N] [--tcp-workers N]\n"
		"               [--nsid STR] [--identity STR] [--version STR | --hide-version]\n"
		"               [--cookie-secret HEX] [--cookie-secret-previous HEX]\n"
		"               [--cookie-require] [--hide-identity] [--hide-nsid]\n"
		"               [--log-level LEVEL] [--syslog] [--control-binary PATH]\n"
		"               [--cache-dir DIR] [--cpu-pin] [--reuse-port-takeover]\n"
		"               [--allow-transfer PREFIX]... [--key ALG:NAME:SECRET]...\n"
		"               [--primary ZONE=ADDR[@PORT]]... [--zone-key ZONE=KEYNAME]...\n"
		"               [--rate-limit N [--rate-limit-slip N] [--rate-limit-log-only]]\n"
		"               [--io socket | --io dpdk --address IP... [--exception-port NAME]\n"
		"                [-- EAL-ARGS...]]\n"
		"The configuration file is described in doc/config.md; flags override it.\n");
}

/* Reads the flags and the file, starts logging, finds ringdns-control.
 * -1 to go on; else the exit status. */
static int parse_args(struct dp *d, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	char err[1024];	/* the list of known keys in an unknown-key message */
	cfg_init(&d->cfg);
	if (cfg_from_args(&d->cfg, argc, argv, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "ringdns: %s\n", err);
		usage(stderr);
		return 2;
	}
	if (cfg_io_available(&d->cfg, IO_DPDK_BUILT, err, sizeof err) != 0) {
		fprintf(stderr, "ringdns: %s\n", err);
		return 2;
	}
	log_init("ringdns", d->cfg.log_syslog, (enum log_level)d->cfg.log_level);
	if (sup_init(&d->sup, d->cfg.control_binary, argc, argv) != 0) {
		log_err("cannot find ringdns-control (tried %s); set control-binary", d->sup.path);
		return 1;
	}
	return -1;
}

/* The soft descriptor limit raised to the hard one (the common service
 * default of 1024 is far below what TCP clients can hold open); returns
 * the limit in force. */
static unsigned long raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			log_warn("cannot raise the descriptor limit to %llu: %s",
				 (unsigned long long)rl.rlim_max, strerror(errno));
			rl.rlim_cur = old;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > UINT32_MAX ? UINT32_MAX
									 : (unsigned long)rl.rlim_cur;
}

/* The per-zone counters: zone-counters slots of their own plus ZS_FIRST
 * shared ones, for every UDP worker and TCP thread (64 bytes each); -1
 * with the reason logged. */
static int zone_counters(struct dp *d)
{
	if (!d->cfg.zone_counters)
		return 0;
	d->zslots = d->cfg.zone_counters + ZS_FIRST;
	size_t bytes = (size_t)(d->nudp + d->ntcp) * d->zslots * sizeof *d->zstats;
	d->zstats = aligned_alloc(64, bytes);
	if (!d->zstats || pub_set_slots(d->pub, d->zslots) != 0) {
		log_err("out of memory for the counters of %u zones (%zu bytes): lower "
			"server.zone-counters", d->cfg.zone_counters, bytes);
		return -1;
	}
	memset(d->zstats, 0, bytes);
	return 0;
}

/* The DNS Cookie secrets (RFC 9018 §4.4: shared by the fleet), or a
 * random one for this server alone; -1 with the reason logged. */
static int cookie_keys(struct dp *d)
{
	char err[256];
	const char *key = "server.cookie-secret";
	struct ck_keys *k = &d->ck_keys;
	if (d->cfg.cookie_secret) {
		if (ck_parse_secret(d->cfg.cookie_secret, k->cur, err, sizeof err) != 0)
			goto bad;
	} else if (ck_random_secret(k->cur, err, sizeof err) != 0) {
		goto bad;
	}
	if (d->cfg.cookie_secret_previous) {
		key = "server.cookie-secret-previous";
		if (ck_parse_secret(d->cfg.cookie_secret_previous, k->prev, err, sizeof err) != 0)
			goto bad;
		k->has_prev = true;
	}
	struct ck_ctx *probe = ck_new(k, err, sizeof err);	/* SipHash is there */
	if (!probe)
		goto bad;
	ck_free(probe);
	return 0;
bad:
	log_err("%s: %s", key, err);
	return -1;
}

/* The server's identity (CH TXT id.server, hostname.bind) and NSID: as
 * configured, else the host name (as Knot defaults both), unless hidden. */
static void identity(struct dp *d)
{
	if (gethostname(d->hostname, sizeof d->hostname - 1) != 0 || !d->hostname[0])
		snprintf(d->hostname, sizeof d->hostname, "ringdns");
	d->hostname[sizeof d->hostname - 1] = 0;
	const char *id = d->cfg.identity ? d->cfg.identity : d->hostname;
	const char *nsid = d->cfg.nsid ? d->cfg.nsid : d->hostname;
	d->acfg.identity = d->cfg.hide_identity ? NULL : id;
	d->acfg.nsid = d->cfg.hide_nsid ? NULL : nsid;
	/* RFC 5001 leaves the size open; the configured one is at most
	 * CFG_NSID_MAX bytes, a host name at most 255 */
	d->acfg.nsid_len = (uint16_t)(d->acfg.nsid ? strlen(d->acfg.nsid) : 0);
}

/* dnstap's writer, when configured, with a share for every serving thread. */
static int start_dnstap(struct dp *d)
{
	const struct cfg *c = &d->cfg;
	if (!c->dnstap_socket && !c->dnstap_file)
		return 0;
	char err[512];
	struct dt_opts o = {
		.socket = c->dnstap_socket, .file = c->dnstap_file, .sample = c->dnstap_sample,
		.queries = c->dnstap_queries, .responses = c->dnstap_responses,
		.identity = c->dnstap_identity ? c->dnstap_identity : c->identity,
		.version = c->dnstap_version ? c->dnstap_version : c->version,
		.threads = d->nudp + d->ntcp,
	};
	if (dt_open(&d->run.dnstap, &o, err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	log_info("dnstap: 1 query in %u to %s %s", o.sample, o.socket ? "socket" : "file",
		 o.socket ? o.socket : o.file);
	return 0;
}

/* The settings every part reads: threads, answer settings, counters, the
 * publisher with its (empty) root, and the descriptor limit. */
/* The zone images mapped at once: snapshot-max-mb, else half the
 * physical memory (the other half for the control process compiling the
 * next version, the page cache and the rest of the machine). */
static void snapshot_limit(struct dp *d)
{
	uint64_t max = (uint64_t)d->cfg.snapshot_max_mb << 20;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	if (!max && pages > 0 && psize > 0)
		max = (uint64_t)pages * (uint64_t)psize / 2;
	pub_set_max_mapped(d->pub, max);
	log_info("zone images: at most %llu MiB mapped at once (snapshot-max-mb%s)",
		 (unsigned long long)(max >> 20), d->cfg.snapshot_max_mb ? "" : ": half the memory");
}

static int init_state(struct dp *d)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!d->eal)	/* with DPDK: one per worker lcore, set by start_eal */
		d->nudp = d->cfg.workers ? d->cfg.workers : (unsigned)(ncpu > 0 ? ncpu : 1);
	d->ntcp = d->cfg.tcp_workers ? d->cfg.tcp_workers : 1;
	d->acfg = (struct ans_cfg){
		.max_udp = (uint16_t)d->cfg.max_udp_payload,
		.version = d->cfg.version,
		.peers = &d->peers,
		.cookie_keys = &d->ck_keys,
		.cookie_require = d->cfg.cookie_require,
	};
	identity(d);
	if (cookie_keys(d) != 0)
		return -1;
	d->stats = aligned_alloc(64, (d->nudp + d->ntcp) * sizeof *d->stats);
	d->pub = pub_new(&d->root);
	if (!d->stats || !d->pub) {
		log_err("out of memory");
		return -1;
	}
	memset(d->stats, 0, (d->nudp + d->ntcp) * sizeof *d->stats);
	snapshot_limit(d);
	if (zone_counters(d) != 0)
		return -1;
	dp_run_init(&d->run, &d->root);
	if (ntq_init(&d->ntq) != 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	d->run.notified = &d->ntq;
	d->nofile = raise_fd_limit();
	if (start_dnstap(d) != 0)
		return -1;
	return 0;
}

/* Signals arrive through a signalfd (returned); every thread started
 * later inherits the mask. */
static int init_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		log_err("signalfd: %s", strerror(errno));
	return sfd;
}

/* With --io dpdk: DPDK's EAL, which decides how many workers run (one
 * per worker lcore).  Its threads inherit the signal mask: call after
 * init_signals. */
static int start_eal(struct dp *d)
{
	char err[1024];
	if (d->cfg.io != CFG_IO_DPDK)
		return 0;
	if (io_dpdk_eal_init(d->cfg.eal_args, d->cfg.neal_args, d->cfg.workers, &d->nudp, err,
			     sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	d->eal = true;
	return 0;
}

/* Response rate limiting, when the configuration turns it on. */
static int start_rrl(struct dp *d)
{
	const struct cfg_rrl *c = &d->cfg.rrl;
	char err[256];
	if (!c->rate)
		return 0;
	struct rrl_conf rc = { .rate = c->rate, .slip = c->slip, .v4_prefix = c->ipv4_prefix,
			       .v6_prefix = c->ipv6_prefix, .table_size = c->table_size,
			       .log_only = c->log_only, .allow = c->allow, .nallow = c->nallow };
	const unsigned *cls_rate[RRL_CLASS_COUNT] = {
		[RRL_NODATA] = &c->nodata_rate, [RRL_NXDOMAIN] = &c->nxdomain_rate,
		[RRL_REFERRAL] = &c->referral_rate, [RRL_ERROR] = &c->error_rate };
	char classes[160] = "";
	size_t o = 0;
	for (int i = 0; i < RRL_CLASS_COUNT; i++) {
		if (!cls_rate[i] || *cls_rate[i] == CFG_RRL_SAME)
			continue;
		/* as BIND: 0 leaves the class unlimited */
		rc.class_rate[i] = *cls_rate[i] ? *cls_rate[i] : RRL_UNLIMITED;
		int w = snprintf(classes + o, sizeof classes - o, ", %s %u/s", rrl_class_str(i),
				 *cls_rate[i]);
		o += w > 0 && (size_t)w < sizeof classes - o ? (size_t)w : 0;
	}
	d->rrl = rrl_new(&rc, err, sizeof err);
	if (!d->rrl) {
		log_err("%s", err);
		return -1;
	}
	log_info("rate-limit: %u responses/s per /%u (IPv4), /%u (IPv6) and response%s, slip %u, "
		 "%u clients allowed%s", c->rate, c->ipv4_prefix, c->ipv6_prefix, classes, c->slip,
		 c->nallow, c->log_only ? "; log-only" : "");
	return 0;
}

/* The UDP backend (sockets on the listen addresses, or the DPDK ports
 * answering for the configured addresses) and the workers on it. */
static int start_workers(struct dp *d, const struct cfg_listen *listen, size_t nlisten)
{
	char err[1024];
	bool dpdk = d->cfg.io == CFG_IO_DPDK;
	d->io_ops = dpdk ? io_dpdk_ops() : &io_sock_ops;
	if (dpdk)
		io_dpdk_exception_port(d->cfg.exception_port);
	struct io_conf ioc = { .addrs = dpdk ? d->cfg.addresses : listen,
			       .naddrs = dpdk ? d->cfg.naddresses : nlisten, .queues = d->nudp,
			       .resp_cap = d->acfg.max_udp };
	if (d->io_ops->init(&ioc, &d->io, err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	d->wk = wk_pool_new(&(struct wk_conf){ .ops = d->io_ops, .io = d->io, .n = d->nudp,
					       .run = &d->run, .acfg = &d->acfg,
					       .stats = d->stats, .rrl = d->rrl,
					       .zstats = d->zstats, .zslots = d->zslots });
	if (!d->wk) {
		log_err("out of memory");
		return -1;
	}
	if ((dpdk ? wk_pool_launch_on(d->wk, io_dpdk_launcher(), err, sizeof err)
		  : wk_pool_launch(d->wk, d->cfg.cpu_pin, err, sizeof err)) != 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/* Descriptors open now (start-up only: reads /proc/self/fd). */
static unsigned long open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	unsigned long n = 0;
	if (!dir)
		return 64;	/* a guess on the safe side */
	while (readdir(dir))
		n++;
	closedir(dir);
	return n > 3 ? n - 3 : n;	/* ".", ".." and the directory's own */
}

/*
 * The TCP connection limit: the configured one, lowered to what the
 * descriptor limit leaves after the sockets open now, the TCP threads'
 * listeners and epoll sets, one accept in flight per thread and
 * FD_RESERVE.  Connections filling the table would leave no descriptor
 * for the control channel, image hand-overs or a restart of the control
 * process.  0 when nothing is left.
 */
static unsigned tcp_fd_budget(const struct dp *d, size_t nlisten)
{
	unsigned long limit = d->nofile;
	unsigned long used = open_fds() + d->ntcp * (nlisten + 2) + FD_RESERVE;
	unsigned long room = limit > used ? limit - used : 0;
	unsigned max = d->cfg.tcp_max_clients < room ? d->cfg.tcp_max_clients : (unsigned)room;
	if (max)
		log_info("TCP connections: at most %u at once (tcp-max-clients %u, descriptor "
			 "limit %lu, %lu kept for sockets and the control process)", max,
			 d->cfg.tcp_max_clients, limit, used);
	else
		log_err("the descriptor limit (%lu) leaves no room for TCP connections: %lu "
			"are needed for sockets and the control process; raise it (ulimit -n, "
			"LimitNOFILE=)", limit, used);
	return max;
}

static int start_tcp(struct dp *d, const struct cfg_listen *listen, size_t nlisten)
{
	char err[512];
	struct tcp_opts to = {
		.threads = d->ntcp,
		.idle_timeout_ms = d->cfg.tcp_idle_timeout * 1000,
		.max_clients = tcp_fd_budget(d, nlisten),
		.max_per_client = d->cfg.tcp_max_per_client,
		.xfr_fd = sup_xfr_fd(&d->sup),
		.zstats = d->zstats ? d->zstats + (size_t)d->nudp * d->zslots : NULL,
		.zslots = d->zslots,
	};
	if (!to.max_clients)
		return -1;
	if (tcp_start(&d->tcp, listen, nlisten, &d->run, &d->acfg, &to, d->stats + d->nudp, err,
		      sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/* This thread validates and swaps images: background work that must not
 * take the CPU from a worker sharing it (the workers and TCP threads,
 * started before, keep nice 0). */
static void lower_priority(void)
{
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), PUBLISHER_NICE) != 0)
		log_warn("setpriority: %s", strerror(errno));
}

/* Refuses addresses another process serves already: with SO_REUSEPORT
 * we would bind beside it and take half of its queries.  The operator's
 * reuse-port-takeover allows that for a hand-over restart. */
static int check_listeners(const struct dp *d, const struct cfg_listen *listen,
			   size_t nlisten)
{
	char err[512];
	if (d->cfg.reuse_port_takeover) {
		log_notice("reuse-port-takeover: sharing the listen addresses with any "
			   "process serving them");
		return 0;
	}
	for (size_t i = 0; i < nlisten; i++)
		if (probe_listen(&listen[i], err, sizeof err) != 0) {
			log_err("%s", err);
			return -1;
		}
	return 0;
}

/* Everything that serves: listeners, workers, TCP threads. */
static int init_serving(struct dp *d)
{
	struct cfg_listen deflt[2];
	const struct cfg_listen *listen = d->cfg.listen;
	size_t nlisten = d->cfg.nlisten;
	if (!nlisten) {
		cfg_parse_listen(&deflt[0], "127.0.0.1:5300");
		cfg_parse_listen(&deflt[1], "[::1]:5300");
		listen = deflt;
		nlisten = 2;
	}
	if (check_listeners(d, listen, nlisten) != 0 || start_rrl(d) != 0 ||
	    start_workers(d, listen, nlisten) != 0 ||
	    start_tcp(d, listen, nlisten) != 0)
		return -1;
	bool dpdk = d->cfg.io == CFG_IO_DPDK;
	for (size_t i = 0; dpdk && i < d->cfg.naddresses; i++)
		log_info("answering UDP for %s on the DPDK ports", d->cfg.addresses[i].text);
	for (size_t i = 0; i < nlisten; i++)
		log_info("listening on %s (%s)", listen[i].text, dpdk ? "TCP" : "UDP and TCP");
	log_info("%u UDP workers%s, %u TCP threads", d->nudp, dpdk ? " (DPDK lcores)" : "",
		 d->ntcp);
	return 0;
}

/* Handles the signals read from sfd. */
static void on_signals(struct dp *d, int sfd)
{
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGCHLD) {
			sup_reap(&d->sup, d->stopping);
			if (d->sup.refused)
				d->stopping = true;
		} else if (si.ssi_signo == SIGHUP) {
			log_notice("SIGHUP: reloading the configuration and zones");
			if (d->sup.fd < 0 || ipc_send(d->sup.fd, IPC_RELOAD, NULL, 0, -1))
				log_warn("no control process to reload with; it is restarting");
		} else {
			log_notice("signal %u: stopping", si.ssi_signo);
			d->stopping = true;
		}
	}
}

/* The main thread's loop until a stop: signals, the control channel, the
 * control process's restarts. */
static void serve(struct dp *d, int sfd)
{
	while (!d->stopping) {
		struct pollfd p[3] = { { .fd = sfd, .events = POLLIN },
				       { .fd = d->ntq.efd, .events = POLLIN },
				       { .fd = d->sup.fd, .events = POLLIN } };
		int timeout = sup_timeout_ms(&d->sup);
		if (d->rrl && (timeout < 0 || timeout > RRL_TICK_MS))
			timeout = RRL_TICK_MS;
		int n = poll(p, d->sup.fd >= 0 ? 3 : 2, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents & POLLIN)
			on_signals(d, sfd);
		if (p[1].revents & POLLIN)
			ctlchan_notified(d);
		if (d->sup.fd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
			ctlchan_handle(d);
		if (!d->stopping)
			sup_tick(&d->sup);
		if (d->rrl)
			rrl_log_tick(d->rrl, d->stats, d->nudp, rrl_now_ms(), RRL_LOG_MS);
	}
}

/* Stops in reverse order of start: the control process, the serving
 * threads, then the zones.  Each part may be missing (a failed start). */
static void shut_down(struct dp *d, int sfd)
{
	sup_stop(&d->sup);
	dp_run_stop(&d->run);
	wk_pool_free(d->wk);
	if (d->io)
		d->io_ops->fini(d->io);
	tcp_stop(d->tcp);
	dt_close(d->run.dnstap);
	rrl_free(d->rrl);
	if (d->eal)
		io_dpdk_eal_fini();
	if (d->pub)
		pub_free(d->pub);
	peers_free(d->peers);
	ntq_fini(&d->ntq);
	free(d->stats);
	free(d->zstats);
	cfg_free(&d->cfg);
	if (sfd >= 0)
		close(sfd);
}

int main(int argc, char **argv)
{
	static struct dp d;
	d.t0 = sup_now();
	int rc = parse_args(&d, argc, argv);
	if (rc >= 0) {
		cfg_free(&d.cfg);
		return rc;
	}
	int sfd = -1;
	rc = 1;
	if ((sfd = init_signals()) < 0 || start_eal(&d) != 0 || init_state(&d) != 0 ||
	    init_serving(&d) != 0)
		goto out;
	lower_priority();
	sup_spawn(&d.sup);
	serve(&d, sfd);
	/* a control process that refused to start is a refusal of ours */
	rc = d.sup.refused ? 1 : 0;
out:
	shut_down(&d, sfd);
	if (rc == 0)
		log_notice("stopped");
	return rc;
}
