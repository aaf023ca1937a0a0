/*
 * supervise.h - ringdns's supervision of ringdns-control: finding its
 * binary, spawning it with its end of the control channel, reaping it and
 * restarting it with back-off.  Runs on ringdns's main thread only.
 */
#ifndef RINGDNS_SUPERVISE_H
#define RINGDNS_SUPERVISE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct sup {
	pid_t pid;		/* 0 while none runs */
	int fd;			/* our end of the control channel; -1 while none */
	int xfr[2];		/* the transfer channel (ipc.h): [0] ours, [1] every
				   control process's, on descriptor 4 */
	int argc;		/* ringdns's own arguments, passed on */
	char **argv;
	char path[PATH_MAX];	/* ringdns-control */
	bool ready;		/* the running one offered every zone once */
	bool ever_ready;	/* some control process did */
	bool refused;		/* it found the configuration unusable before any was
				 * ready: ringdns stops, with an error */
	unsigned restarts;
	unsigned backoff_ms;
	double started;		/* monotonic s */
	double restart_at;	/* monotonic s; 0: no restart due */
};

/* Seconds on CLOCK_MONOTONIC. */
double sup_now(void);

/*
 * Finds ringdns-control: binary when not NULL, else beside this program,
 * else (in a build tree) ../control/ringdns-control.  argv (argc entries)
 * is passed on to it.  Makes the transfer channel.  -1 when none is found
 * (s->path: where it looked) or the channel cannot be made (errno).
 */
int sup_init(struct sup *s, const char *binary, int argc, char **argv);

/* Our end of the transfer channel (non-blocking): TCP threads hand
 * connections asking for a zone transfer to the control process here. */
int sup_xfr_fd(const struct sup *s);

/* Starts the control process now.  When that fails (out of descriptors,
 * fork), it says why and schedules the next try: sup_timeout_ms says
 * when. */
void sup_spawn(struct sup *s);

/* Reaps exited children (on SIGCHLD).  While not stopping, an exit of the
 * control process schedules its restart, except a refusal of the
 * configuration before any was ready (s->refused). */
void sup_reap(struct sup *s, bool stopping);

/* Milliseconds until a restart is due (0: now), -1 when none is. */
int sup_timeout_ms(const struct sup *s);

/* Restarts the control process when its restart is due. */
void sup_tick(struct sup *s);

/* Stops the control process (SIGTERM; SIGKILL after 5 s) and closes the
 * channel. */
void sup_stop(struct sup *s);

#endif
