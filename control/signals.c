/*
 * signals.c - ringdns-control's signals: SIGTERM and SIGINT stop the
 * process, SIGHUP reloads, SIGCHLD wakes the loop to reap a child (a
 * transfer in or out that ended) at once.  A handler only sets a flag and
 * writes a byte to a pipe: the poll loops wake on the pipe, and a zone job
 * in progress polls the stop flag (zone_set_cancel) so that a stop
 * interrupts a long load instead of waiting for its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "control/ctl.h"

/* What a handler may touch: these flags and the pipe's write end. */
static volatile sig_atomic_t stop_flag, hup_flag;
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int signo)
{
	int saved = errno;
	if (signo == SIGHUP) {
		hup_flag = 1;
	} else if (signo == SIGCHLD) {
		/* nothing to set: the loop reaps what ended when it wakes */
	} else {
		stop_flag = 1;
		/* the nice value that lets the dataplane's workers win the CPU
		 * would now only delay the stop: back to 0 where allowed (root;
		 * elsewhere this fails and changes nothing).  setpriority is a
		 * bare system call, safe in a handler. */
		setpriority(PRIO_PROCESS, 0, 0);
	}
	ssize_t w = write(wake_pipe[1], "", 1);	/* full pipe: already woken */
	(void)w;
	errno = saved;
}

int csig_init(struct ctl *c, char *err, size_t errcap)
{
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errcap, "pipe: %s", strerror(errno));
		return -1;
	}
	/* SA_RESTART: reads and writes go on; poll(2) returns EINTR anyway */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* ringdns starts this process with its signals blocked or not:
	 * ours must come through */
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	c->wake_fd = wake_pipe[0];
	c->stop_flag = &stop_flag;
	return 0;
}

void csig_read(struct ctl *c)
{
	char buf[64];
	while (read(c->wake_fd, buf, sizeof buf) > 0)
		;
	if (hup_flag) {
		hup_flag = 0;
		c->reload_pending = true;
	}
	if (stop_flag)
		c->stop = true;
}

void csig_fini(struct ctl *c)
{
	for (int i = 0; i < 2; i++)
		if (wake_pipe[i] >= 0)
			close(wake_pipe[i]);
	wake_pipe[0] = wake_pipe[1] = -1;
	c->wake_fd = -1;
}
