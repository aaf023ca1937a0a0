/*
 * crashpt.c - named crash points for the crash-consistency tests, test
 * only (crashpt.h).  The state is set once by cp_init and read-only
 * afterwards; a fork copies it, so a child knows the processes to kill.
 */
#include "common/crashpt.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Global on purpose: a test hook reached from deep inside the control
 * process, set once before anything else runs. */
static struct {
	char point[64];
	char arm[4096];
	pid_t control, dataplane;
	bool on;
} cp;

void cp_init(void)
{
	const char *v = getenv("RINGDNS_CRASH_AT");
	const char *colon = v ? strchr(v, ':') : NULL;
	if (!colon || colon == v || (size_t)(colon - v) >= sizeof cp.point ||
	    strlen(colon + 1) >= sizeof cp.arm || !colon[1])
		return;
	memcpy(cp.point, v, (size_t)(colon - v));
	cp.point[colon - v] = 0;
	snprintf(cp.arm, sizeof cp.arm, "%s", colon + 1);
	cp.control = getpid();
	cp.dataplane = getppid();
	cp.on = true;
}

/* The point is reached: fires when the arm file is there (and takes it). */
static void fire(const char *name)
{
	char how[16] = "";
	int fd = open(cp.arm, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, how, sizeof how - 1);
	close(fd);
	how[n > 0 ? n : 0] = 0;
	if (unlink(cp.arm) != 0)
		return;		/* taken by another process of the tree */
	bool tree = strncmp(how, "tree", 4) == 0;
	fprintf(stderr, "ringdns-control: crash point %s reached: killing %s (test hook)\n",
		name, tree ? "the process tree" : "the control process");
	/* the tree at once, where ringdns leads its process group (as the
	 * tests start it): killed one by one, the control process would
	 * see ringdns go first and stop cleanly (its SIGTERM on the
	 * parent's death), which is no crash */
	if (tree && getpgid(cp.dataplane) == cp.dataplane)
		kill(-cp.dataplane, SIGKILL);
	else if (tree)
		kill(cp.dataplane, SIGKILL);
	if (getpid() != cp.control)
		kill(cp.control, SIGKILL);
	raise(SIGKILL);
	_exit(99);	/* not reached */
}

void cp_at(const char *name)
{
	if (cp.on && strcmp(name, cp.point) == 0)
		fire(name);
}

void cp_at2(const char *tag, const char *stage)
{
	if (!cp.on)
		return;
	size_t t = strlen(tag);
	if (strncmp(cp.point, tag, t) == 0 && cp.point[t] == '-' &&
	    strcmp(cp.point + t + 1, stage) == 0)
		fire(cp.point);
}
