/*
 * supervise.c - spawns, reaps and restarts ringdns-control (supervise.h).
 * The control process gets its end of a SOCK_SEQPACKET socketpair on
 * descriptor 3, its end of the transfer channel on 4, and ringdns's own
 * arguments; it dies with ringdns
 * (PR_SET_PDEATHSIG).  It is restarted for as long as ringdns runs,
 * whether it exited or could not be started (out of descriptors, fork):
 * while it keeps failing the back-off before the next try doubles up to
 * BACKOFF_MAX_MS; it resets once one lived a minute.
 */
#include "dataplane/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define CTL_FD 3		/* where the control process finds its end */
#define XFR_FD 4		/* ... and its end of the transfer channel */
#define EX_CONFIG 78		/* sysexits.h: the control process found the configuration bad */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

double sup_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Whether dir/rel is an executable; path gets it in any case. */
static bool ctl_try(char *path, size_t cap, const char *dir, const char *rel)
{
	snprintf(path, cap, "%s/%s", dir, rel);
	return access(path, X_OK) == 0;
}

/* The transfer channel: made once, so that a TCP thread's end stays
 * valid across restarts of the control process. */
static int xfr_channel(struct sup *s)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->xfr) < 0)
		return -1;
	int fl = fcntl(s->xfr[0], F_GETFL);
	if (fl < 0 || fcntl(s->xfr[0], F_SETFL, fl | O_NONBLOCK) < 0) {
		close(s->xfr[0]);
		close(s->xfr[1]);
		s->xfr[0] = s->xfr[1] = -1;
		return -1;
	}
	return 0;
}

int sup_xfr_fd(const struct sup *s)
{
	return s->xfr[0];
}

int sup_init(struct sup *s, const char *binary, int argc, char **argv)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->xfr[0] = s->xfr[1] = -1;
	s->argc = argc;
	s->argv = argv;
	s->backoff_ms = BACKOFF_MIN_MS;
	if (xfr_channel(s) != 0)
		return -1;
	if (binary) {
		snprintf(s->path, sizeof s->path, "%s", binary);
		return access(s->path, X_OK);
	}
	char self[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	if (ctl_try(s->path, sizeof s->path, self, "ringdns-control") ||
	    ctl_try(s->path, sizeof s->path, self, "../control/ringdns-control"))
		return 0;
	return -1;
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

/* The control process's arguments: --dp-fd 3 --xfr-fd 4, then ours. */
static char **ctl_argv(const struct sup *s)
{
	char **av = calloc((size_t)s->argc + 6, sizeof *av);
	if (!av)
		return NULL;
	int k = 0;
	av[k++] = (char *)s->path;
	av[k++] = "--dp-fd";
	av[k++] = "3";
	av[k++] = "--xfr-fd";
	av[k++] = "4";
	for (int i = 1; i < s->argc; i++)
		av[k++] = s->argv[i];
	return av;
}

/* The restart after backoff_ms, which then doubles (capped). */
static void sup_schedule(struct sup *s)
{
	s->restart_at = sup_now() + s->backoff_ms / 1000.0;
	log_notice("restarting ringdns-control in %.1f s", s->backoff_ms / 1000.0);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* In the child: the control channel's end on CTL_FD and the transfer
 * channel's on XFR_FD, both kept across exec.  Either may sit on the
 * other's number (the transfer channel was made first, on a low one), so
 * both move out of the way first.  Async-signal-safe calls only. */
static int place_fds(int ctl, int xfr)
{
	int a = fcntl(ctl, F_DUPFD, 10), b = fcntl(xfr, F_DUPFD, 10);
	if (a < 0 || b < 0 || dup2(a, CTL_FD) < 0 || dup2(b, XFR_FD) < 0)
		return -1;
	close(a);
	close(b);
	return 0;
}

/* fork and exec; the pid, or -1 (errno set). */
static pid_t ctl_fork(const struct sup *s, int child_end, char **av, char **env)
{
	sigset_t none;
	sigemptyset(&none);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* the child: other threads ran at the fork, so only async-signal-safe
	 * calls from here on.  Its end on CTL_FD, default signals, dies
	 * with us. */
	if (place_fds(child_end, s->xfr[1]) != 0)
		_exit(127);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	execve(s->path, av, env);
	static const char msg[] = "ringdns: cannot run ringdns-control\n";
	ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)w;
	_exit(127);
}

void sup_spawn(struct sup *s)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_err("cannot make the control channel: %s", strerror(errno));
		sup_schedule(s);
		return;
	}
	/* everything the child needs is made before fork(): a malloc
	 * between fork and exec can deadlock on a lock a worker held */
	char **av = ctl_argv(s);
	char **env = av ? ctl_env() : NULL;
	if (!env) {
		log_err("cannot start ringdns-control: out of memory");
		free(av);
		close(sp[0]);
		close(sp[1]);
		sup_schedule(s);
		return;
	}
	pid_t pid = ctl_fork(s, sp[1], av, env);
	int fork_errno = errno;
	free(av);
	ctl_env_free(env);
	close(sp[1]);
	if (pid < 0) {
		log_err("cannot start ringdns-control: fork: %s", strerror(fork_errno));
		close(sp[0]);
		sup_schedule(s);
		return;
	}
	s->pid = pid;
	s->fd = sp[0];
	s->ready = false;
	s->started = sup_now();
	log_info("started ringdns-control (pid %d)", (int)pid);
}

void sup_reap(struct sup *s, bool stopping)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != s->pid)
			continue;
		s->pid = 0;
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		if (stopping)
			return;
		if (WIFEXITED(st) && WEXITSTATUS(st) == EX_CONFIG && !s->ever_ready) {
			log_err("ringdns-control refused to start (its reason is logged above); "
				"stopping");
			s->refused = true;
			return;
		}
		if (WIFEXITED(st))
			log_err("ringdns-control exited with status %d; still serving the "
				"last snapshot", WEXITSTATUS(st));
		else
			log_err("ringdns-control was killed by signal %d; still serving the "
				"last snapshot", WTERMSIG(st));
		if (sup_now() - s->started > 60)
			s->backoff_ms = BACKOFF_MIN_MS;
		sup_schedule(s);
	}
}

int sup_timeout_ms(const struct sup *s)
{
	if (s->restart_at <= 0)
		return -1;
	double left = s->restart_at - sup_now();
	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

void sup_tick(struct sup *s)
{
	if (s->restart_at > 0 && sup_now() >= s->restart_at) {
		s->restart_at = 0;
		s->restarts++;
		sup_spawn(s);
	}
}

void sup_stop(struct sup *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(s->pid, NULL, WNOHANG) == 0; i++)
			usleep(100000);
		if (waitpid(s->pid, NULL, WNOHANG) == 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
		s->pid = 0;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	for (int i = 0; i < 2; i++) {
		if (s->xfr[i] >= 0)
			close(s->xfr[i]);
		s->xfr[i] = -1;
	}
}
