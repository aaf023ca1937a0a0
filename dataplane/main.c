/*
 * main.c - ringdns, the dataplane process: reads the server settings,
 * binds the sockets, starts the UDP workers and TCP threads, spawns and
 * supervises ringdns-control, and runs the publisher on this (main)
 * thread: zone images from the control process are validated and swapped
 * in here (publisher.c).  Signals: SIGHUP reloads (through the control
 * process), SIGTERM/SIGINT stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/answer.h"
#include "common/cfg.h"
#include "common/ipc.h"
#include "common/log.h"
#include "dataplane/publisher.h"
#include "common/stats.h"
#include "dataplane/tcp.h"
#include "dataplane/io_sock.h"
#include "dataplane/run.h"
#include "dataplane/worker.h"

#define CTL_FD 3		/* where the control process finds its end */
#define EX_CONFIG 78		/* sysexits.h: the control process found the configuration bad */
#define PUBLISHER_NICE 10	/* see main() */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

struct dp {
	struct cfg cfg;
	int argc;
	char **argv;
	struct zidx *root;	/* RCU-protected: the workers' root */
	struct dp_run run;	/* the root and the stop flag of every serving thread */
	struct pub *pub;
	struct ans_cfg acfg;
	const struct io_ops *io_ops;
	struct io_backend *io;
	struct wk_pool *wk;
	struct tcp_srv *tcp;
	struct wstats *stats;	/* udp workers, then tcp threads */
	unsigned nudp, ntcp;
	double t0;
	/* the control process */
	char ctl_path[PATH_MAX];
	pid_t ctl_pid;
	int ctl_fd;		/* -1 while there is none */
	bool ctl_ready;		/* it offered every zone once */
	bool ever_ready;
	unsigned ctl_restarts;
	unsigned backoff_ms;
	double ctl_started, restart_at;	/* monotonic s; restart_at 0 = none due */
	bool stopping;
};

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringdns [--config FILE] [--listen ADDR:PORT]... [--zone NAME=FILE]...\n"
		"               [--control-socket PATH] [--workers N] [--tcp-workers N]\n"
		"               [--nsid STR] [--identity STR] [--version STR | --hide-version]\n"
		"               [--log-level LEVEL] [--syslog] [--control-binary PATH]\n"
		"The configuration file is described in doc/config.md; flags override it.\n");
}

/* ringdns-control: the configured path, else beside this binary, else (in
 * a build tree) ../control/ringdns-control. */
static int find_control(struct dp *d)
{
	if (d->cfg.control_binary) {
		snprintf(d->ctl_path, sizeof d->ctl_path, "%s", d->cfg.control_binary);
		return access(d->ctl_path, X_OK);
	}
	char self[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	*slash = 0;
	snprintf(d->ctl_path, sizeof d->ctl_path, "%s/ringdns-control", self);
	if (access(d->ctl_path, X_OK) == 0)
		return 0;
	snprintf(d->ctl_path, sizeof d->ctl_path, "%s/../control/ringdns-control", self);
	return access(d->ctl_path, X_OK);
}

/*
 * The control process's environment: ours, with glibc's malloc told to
 * back its heap with transparent huge pages.  A zone load touches hundreds
 * of MB of fresh memory; with 4 KiB pages the page faults cost more than
 * the parsing (measured: compile of 1M names 0.88 s -> 0.28 s).
 */
#define CTL_TUNABLES "glibc.malloc.hugetlb=1"

static char **ctl_env(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	const char *old = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "GLIBC_TUNABLES=", 15) == 0)
			old = environ[i] + 15;
		else
			env[k++] = environ[i];
	}
	size_t len = sizeof "GLIBC_TUNABLES=" + sizeof CTL_TUNABLES + (old ? strlen(old) + 1 : 0);
	char *t = malloc(len);
	if (!t) {
		free(env);
		return NULL;
	}
	/* the operator's own tunables come last, so they win */
	snprintf(t, len, "GLIBC_TUNABLES=%s%s%s", CTL_TUNABLES, old ? ":" : "", old ? old : "");
	env[k++] = t;
	env[k] = NULL;
	return env;
}

static void ctl_env_free(char **env)
{
	size_t i = 0;
	while (env[i + 1])
		i++;
	free(env[i]);	/* the one string made here is last */
	free(env);
}

static void ctl_spawn(struct dp *d)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_err("cannot make the control channel: %s", strerror(errno));
		return;
	}
	/* everything the child needs is made before fork(): other threads
	 * run, so between fork and exec the child may only make
	 * async-signal-safe calls (a malloc there can deadlock on a lock a
	 * worker held at the fork) */
	char **av = calloc((size_t)d->argc + 4, sizeof *av);
	if (!av) {
		log_err("cannot start ringdns-control: out of memory");
		close(sp[0]);
		close(sp[1]);
		return;
	}
	int k = 0;
	av[k++] = d->ctl_path;
	av[k++] = "--dp-fd";
	av[k++] = "3";
	for (int i = 1; i < d->argc; i++)
		av[k++] = d->argv[i];
	char **env = ctl_env();
	if (!env) {
		log_err("cannot start ringdns-control: out of memory");
		free(av);
		close(sp[0]);
		close(sp[1]);
		return;
	}
	sigset_t none;
	sigemptyset(&none);
	pid_t pid = fork();
	if (pid < 0) {
		log_err("cannot start ringdns-control: fork: %s", strerror(errno));
		free(av);
		ctl_env_free(env);
		close(sp[0]);
		close(sp[1]);
		return;
	}
	if (pid == 0) {
		/* the child: its end on CTL_FD, default signals, dies with us */
		if (dup2(sp[1], CTL_FD) < 0)
			_exit(127);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		execve(d->ctl_path, av, env);
		static const char msg[] = "ringdns: cannot run ringdns-control\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
		(void)w;
		_exit(127);
	}
	free(av);
	ctl_env_free(env);
	close(sp[1]);
	d->ctl_pid = pid;
	d->ctl_fd = sp[0];
	d->ctl_ready = false;
	d->ctl_started = mono_s();
	log_info("started ringdns-control (pid %d)", (int)pid);
}

static void ctl_reap(struct dp *d)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != d->ctl_pid)
			continue;
		d->ctl_pid = 0;
		if (d->ctl_fd >= 0)
			close(d->ctl_fd);
		d->ctl_fd = -1;
		if (d->stopping)
			return;
		if (WIFEXITED(st) && WEXITSTATUS(st) == EX_CONFIG && !d->ever_ready) {
			log_err("ringdns-control found the configuration unusable; stopping");
			d->stopping = true;
			return;
		}
		if (WIFEXITED(st))
			log_err("ringdns-control exited with status %d; still serving the "
				"last snapshot", WEXITSTATUS(st));
		else
			log_err("ringdns-control was killed by signal %d; still serving the "
				"last snapshot", WTERMSIG(st));
		/* back-off: doubles while it keeps dying young, resets once it
		 * has lived a minute */
		if (mono_s() - d->ctl_started > 60)
			d->backoff_ms = BACKOFF_MIN_MS;
		d->restart_at = mono_s() + d->backoff_ms / 1000.0;
		log_notice("restarting ringdns-control in %.1f s", d->backoff_ms / 1000.0);
		d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->backoff_ms * 2;
	}
}

static void send_stats(struct dp *d)
{
	unsigned nw = d->nudp + d->ntcp;
	size_t len = sizeof(struct ipc_stats_hdr) + nw * sizeof(struct wstats);
	static uint8_t buf[IPC_MSG_MAX];
	if (len > sizeof buf)
		nw = (unsigned)((sizeof buf - sizeof(struct ipc_stats_hdr)) / sizeof(struct wstats)),
		len = sizeof(struct ipc_stats_hdr) + nw * sizeof(struct wstats);
	struct ipc_stats_hdr h = { nw, d->nudp, sizeof(struct wstats), 0 };
	memcpy(buf, &h, sizeof h);
	struct wstats *out = (struct wstats *)(buf + sizeof h);
	for (unsigned i = 0; i < nw; i++) {
		memset(&out[i], 0, sizeof out[i]);
		st_sum(&out[i], &d->stats[i]);
	}
	ipc_send(d->ctl_fd, IPC_STATS, buf, len, -1);
}

static void handle_ctl(struct dp *d)
{
	static uint8_t buf[IPC_MSG_MAX];
	uint32_t type;
	int fd;
	ssize_t n = ipc_recv(d->ctl_fd, &type, buf, sizeof buf, &fd);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0 || (n == 0 && type == 0)) {
		if (n < 0)
			log_err("control channel: %s", strerror(errno));
		close(d->ctl_fd);
		d->ctl_fd = -1;
		return;
	}
	switch (type) {
	case IPC_HELLO: {
		struct ipc_hello h;
		if ((size_t)n != sizeof h)
			break;
		memcpy(&h, buf, sizeof h);
		if (h.version != IPC_VERSION) {
			log_err("ringdns-control speaks protocol %u, ringdns %u: "
				"mismatched binaries", h.version, IPC_VERSION);
			kill(d->ctl_pid, SIGTERM);
		}
		break;
	}
	case IPC_IMAGE: {
		struct ipc_image im;
		if ((size_t)n != sizeof im || fd < 0)
			break;
		memcpy(&im, buf, sizeof im);
		im.name[sizeof im.name - 1] = 0;
		struct ipc_ack ack = { .seq = im.seq };
		memcpy(ack.name, im.name, sizeof ack.name);
		double t = mono_s();
		char err[256];
		if (pub_image(d->pub, im.name, fd, im.size, im.records, err, sizeof err) == 0) {
			ack.ok = 1;
			log_info("zone %s serial %u: serving (%llu records, %.1f MB, "
				 "swapped in %.3f s)", im.name, im.serial,
				 (unsigned long long)im.records, im.size / 1e6, mono_s() - t);
		} else {
			snprintf(ack.msg, sizeof ack.msg, "%s", err);
			log_err("zone %s: %s", im.name, err);
		}
		fd = -1;
		ack.generation = pub_generation(d->pub);
		ack.swap_s = mono_s() - t;
		ipc_send(d->ctl_fd, IPC_IMAGE_ACK, &ack, sizeof ack, -1);
		break;
	}
	case IPC_REMOVE: {
		struct ipc_zone z;
		if ((size_t)n != sizeof z)
			break;
		memcpy(&z, buf, sizeof z);
		z.name[sizeof z.name - 1] = 0;
		if (pub_remove(d->pub, z.name) == 0)
			log_notice("zone %s: no longer served", z.name);
		break;
	}
	case IPC_READY:
		if (!d->ctl_ready)
			log_info("serving %zu zones", pub_zones(d->pub));
		d->ctl_ready = d->ever_ready = true;
		break;
	case IPC_STATUS_REQ: {
		struct ipc_status s = {
			.uptime_s = mono_s() - d->t0, .udp_workers = d->nudp,
			.tcp_workers = d->ntcp, .generation = pub_generation(d->pub),
			.last_swap = pub_last_swap(d->pub), .zones = (uint32_t)pub_zones(d->pub),
			.control_restarts = d->ctl_restarts, .mapped_bytes = pub_mapped(d->pub),
		};
		ipc_send(d->ctl_fd, IPC_STATUS, &s, sizeof s, -1);
		break;
	}
	case IPC_STATS_REQ:
		send_stats(d);
		break;
	case IPC_STOP:
		log_notice("stop requested through the control socket");
		d->stopping = true;
		break;
	default:
		log_warn("control channel: unexpected message type %u", type);
	}
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	struct dp d = { .argc = argc, .argv = argv, .ctl_fd = -1,
			.backoff_ms = BACKOFF_MIN_MS, .t0 = mono_s() };
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	char err[512];
	cfg_init(&d.cfg);
	if (cfg_from_args(&d.cfg, argc, argv, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "ringdns: %s\n", err);
		usage(stderr);
		cfg_free(&d.cfg);
		return 2;
	}
	log_init("ringdns", d.cfg.log_syslog, (enum log_level)d.cfg.log_level);
	if (find_control(&d) != 0) {
		log_err("cannot find ringdns-control (tried %s); set control-binary", d.ctl_path);
		return 1;
	}
	struct cfg_listen deflt[2];
	const struct cfg_listen *listen = d.cfg.listen;
	size_t nlisten = d.cfg.nlisten;
	if (!nlisten) {
		cfg_parse_listen(&deflt[0], "127.0.0.1:5300");
		cfg_parse_listen(&deflt[1], "[::1]:5300");
		listen = deflt;
		nlisten = 2;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	d.nudp = d.cfg.workers ? d.cfg.workers : (unsigned)(ncpu > 0 ? ncpu : 1);
	d.ntcp = d.cfg.tcp_workers ? d.cfg.tcp_workers : 1;
	d.acfg = (struct ans_cfg){
		.max_udp = (uint16_t)d.cfg.max_udp_payload,
		.nsid = d.cfg.nsid,
		.nsid_len = (uint16_t)(d.cfg.nsid ? strlen(d.cfg.nsid) : 0),
		.identity = d.cfg.identity,
		.version = d.cfg.version,
	};
	d.stats = aligned_alloc(64, (d.nudp + d.ntcp) * sizeof *d.stats);
	d.pub = pub_new(&d.root);
	if (!d.stats || !d.pub) {
		log_err("out of memory");
		return 1;
	}
	memset(d.stats, 0, (d.nudp + d.ntcp) * sizeof *d.stats);

	/* signals arrive through a signalfd; every thread inherits the mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	dp_run_init(&d.run, &d.root);
	d.io_ops = &io_sock_ops;
	struct io_conf ioc = { .addrs = listen, .naddrs = nlisten, .queues = d.nudp,
			       .resp_cap = d.acfg.max_udp };
	if (d.io_ops->init(&ioc, &d.io, err, sizeof err) != 0) {
		log_err("%s", err);
		return 1;
	}
	d.wk = wk_pool_new(&(struct wk_conf){ .ops = d.io_ops, .io = d.io, .n = d.nudp,
					      .run = &d.run, .acfg = &d.acfg, .stats = d.stats });
	if (!d.wk || wk_pool_launch(d.wk, false, err, sizeof err) != 0) {
		log_err("%s", d.wk ? err : "out of memory");
		return 1;
	}
	struct tcp_opts to = {
		.threads = d.ntcp,
		.idle_timeout_ms = d.cfg.tcp_idle_timeout * 1000,
		.max_clients = d.cfg.tcp_max_clients,
		.max_per_client = d.cfg.tcp_max_per_client,
	};
	if (tcp_start(&d.tcp, listen, nlisten, &d.run, &d.acfg, &to, d.stats + d.nudp, err,
		      sizeof err) != 0) {
		log_err("%s", err);
		wk_pool_free(d.wk);
		d.io_ops->fini(d.io);
		return 1;
	}
	/* this thread validates and swaps images: background work that must
	 * not take the CPU from a worker sharing it (the workers and TCP
	 * threads, started above, keep nice 0) */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), PUBLISHER_NICE) != 0)
		log_warn("setpriority: %s", strerror(errno));
	for (size_t i = 0; i < nlisten; i++)
		log_info("listening on %s (UDP and TCP)", listen[i].text);
	log_info("%u UDP workers, %u TCP threads", d.nudp, d.ntcp);
	ctl_spawn(&d);

	while (!d.stopping) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
				       { .fd = d.ctl_fd, .events = POLLIN } };
		int timeout = -1;
		if (d.restart_at > 0) {
			double left = d.restart_at - mono_s();
			timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		int n = poll(p, d.ctl_fd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGCHLD) {
					ctl_reap(&d);
				} else if (si.ssi_signo == SIGHUP) {
					log_notice("SIGHUP: reloading the configuration and zones");
					if (d.ctl_fd < 0 || ipc_send(d.ctl_fd, IPC_RELOAD, NULL, 0, -1))
						log_warn("no control process to reload with; "
							 "it is restarting");
				} else {
					log_notice("signal %u: stopping", si.ssi_signo);
					d.stopping = true;
				}
			}
		}
		if (d.ctl_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			handle_ctl(&d);
		if (d.restart_at > 0 && mono_s() >= d.restart_at && !d.stopping) {
			d.restart_at = 0;
			d.ctl_restarts++;
			ctl_spawn(&d);
		}
	}

	/* stop: the control process first, then the workers, then the zones */
	if (d.ctl_pid > 0) {
		kill(d.ctl_pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(d.ctl_pid, NULL, WNOHANG) == 0; i++)
			usleep(100000);
		if (waitpid(d.ctl_pid, NULL, WNOHANG) == 0) {
			kill(d.ctl_pid, SIGKILL);
			waitpid(d.ctl_pid, NULL, 0);
		}
	}
	if (d.ctl_fd >= 0)
		close(d.ctl_fd);
	dp_run_stop(&d.run);
	wk_pool_free(d.wk);
	d.io_ops->fini(d.io);
	tcp_stop(d.tcp);
	pub_free(d.pub);
	free(d.stats);
	cfg_free(&d.cfg);
	close(sfd);
	log_notice("stopped");
	return 0;
}
