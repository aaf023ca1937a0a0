/*
 * ctlclient.c - ringctl's side of the control socket: checks an online
 * command's arguments, sends it as one RINGCTL/1 request line, reads the
 * answer under a deadline and a size bound, and prints it (body to
 * stdout; an ERR message to stderr).  Protocol: doc/control-protocol.md.
 */
#include "control/ctlclient.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/ctlsock.h"
#include "common/ipc.h"

struct ctlc_cmd {
	const char *name;
	int max_args;
	const char *args;	/* usage text */
	const char *help;
};

static const struct ctlc_cmd commands[] = {
	{ "status", 0, "", "show the server's state" },
	{ "health", 0, "", "exit 0 only if workers, zones and links are fine" },
	{ "reload", 1, " [ZONE]", "reload every zone, or one; returns once served" },
	{ "zones", 0, "", "list the zones, their serials and transfer state" },
	{ "refresh", 1, " ZONE", "check a secondary zone's primaries now" },
	{ "retransfer", 1, " ZONE", "transfer a secondary zone now, whatever its serial" },
	{ "journal", 1, " ZONE", "print the differences kept for IXFR" },
	{ "stats", 1, " [--json]", "show counters (as JSON with --json)" },
	{ "stop", 0, "", "stop the server" },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct ctlc_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

bool ctlc_is_command(const char *name)
{
	return find_cmd(name) != NULL;
}

void ctlc_usage(FILE *f)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char left[40];
		snprintf(left, sizeof left, "%s%s", commands[i].name, commands[i].args);
		fprintf(f, "  %-32s %s\n", left, commands[i].help);
	}
}

int ctlc_build_request(char *line, size_t cap, int argc, char *const *argv, char *err,
		       size_t errcap)
{
	size_t n = (size_t)snprintf(line, cap, "%s", CTL_PROTO);
	if (argc < 1 || argc > 1 + CTL_ARGS_MAX) {
		snprintf(err, errcap, "a request has a command and at most %d arguments",
			 CTL_ARGS_MAX);
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!*a) {
			snprintf(err, errcap, "empty argument");
			return -1;
		}
		for (const char *p = a; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (c <= 0x20 || c >= 0x7f) {
				snprintf(err, errcap,
					 "argument '%s' must be printable ASCII without spaces", a);
				return -1;
			}
		}
		size_t alen = strlen(a);
		if (n + 1 + alen + 1 >= cap) {
			snprintf(err, errcap, "request longer than %d bytes", CTL_REQ_MAX);
			return -1;
		}
		line[n++] = ' ';
		memcpy(line + n, a, alen);
		n += alen;
	}
	line[n++] = '\n';
	line[n] = '\0';
	return (int)n;
}

int ctlc_parse_reply(char *raw, size_t len, struct ctlc_reply *r, const char *path,
		     char *err, size_t errcap)
{
	char *nl = memchr(raw, '\n', len);
	if (!nl) {
		snprintf(err, errcap, "%s from %s",
			 len ? "incomplete answer" : "connection closed without an answer", path);
		return -1;
	}
	*nl = '\0';
	static const char ok[] = CTL_PROTO " OK", errp[] = CTL_PROTO " ERR ";
	if (strcmp(raw, ok) == 0) {
		r->ok = true;
		r->msg = raw + strlen(raw);
	} else if (strncmp(raw, errp, sizeof errp - 1) == 0) {
		r->ok = false;
		r->msg = raw + sizeof errp - 1;
	} else {
		snprintf(err, errcap, "unexpected answer from %s (not %s): %.80s", path,
			 CTL_PROTO, raw);
		return -1;
	}
	r->body = nl + 1;
	r->body_len = len - (size_t)(r->body - raw);
	return 0;
}

void ctlc_reply_free(struct ctlc_reply *r)
{
	free(r->raw);
	memset(r, 0, sizeof *r);
}

/* Connects to the control socket at path (its length checked), waiting
 * up to timeout_ms for room in a full backlog.  The descriptor, made
 * non-blocking; or a negative CTLC_EXIT_* with err. */
static int ctl_connect(const char *path, int timeout_ms, char *err, size_t errcap)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (!*path || strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errcap, "socket path '%s' is %s (a Unix socket path holds at most "
			 "%zu bytes)", path, *path ? "too long" : "empty", sizeof sa.sun_path - 1);
		return -CTLC_EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errcap, "cannot create a socket: %s", strerror(errno));
		return -CTLC_EXIT_NOCONN;
	}
	/* a blocking connect waits for room in a full backlog, up to this */
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		snprintf(err, errcap, "cannot connect to %s: %s (%s)", path, strerror(e),
			 e == EACCES || e == EPERM
				 ? "run ringctl as the user ringdns runs as, or as root"
				 : "is ringdns running?");
		close(fd);
		return -CTLC_EXIT_NOCONN;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Sends the request line and closes the sending side.  If the server hung
 * up early (it refused us), its answer may still be waiting to be read:
 * a failure here is left for the read to report. */
static void send_request(int fd, const char *p, size_t left, int64_t deadline)
{
	while (left > 0) {
		ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			left -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN && ipc_wait_fd(fd, POLLOUT, deadline) == 1) {
			continue;
		} else {
			break;
		}
	}
	shutdown(fd, SHUT_WR);
}

/* Reads the whole answer until the server closes: *raw (malloc'd,
 * NUL-terminated, the caller frees it) and *len.  0, or -1 with err. */
static int read_answer(int fd, const char *path, int64_t deadline, int timeout_ms,
		       char **raw, size_t *len, char *err, size_t errcap)
{
	size_t cap = 65536;
	*len = 0;
	if (!(*raw = malloc(cap))) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	for (;;) {
		if (*len + 1 == cap) {
			/* the body plus a status line */
			size_t max = (size_t)CTLC_REPLY_MAX + CTL_REQ_MAX;
			if (*len >= max) {
				snprintf(err, errcap, "answer from %s is larger than %u MiB", path,
					 CTLC_REPLY_MAX >> 20);
				return -1;
			}
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *b = realloc(*raw, ncap);
			if (!b) {
				snprintf(err, errcap, "out of memory reading the answer");
				return -1;
			}
			*raw = b;
			cap = ncap;
		}
		ssize_t n = recv(fd, *raw + *len, cap - 1 - *len, 0);
		if (n > 0) {
			*len += (size_t)n;
			continue;
		}
		if (n == 0 || (errno == ECONNRESET && *len > 0))
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			int w = ipc_wait_fd(fd, POLLIN, deadline);
			if (w == 1)
				continue;
			if (w == 0)
				snprintf(err, errcap, "no complete answer from %s within %d s", path,
					 timeout_ms / 1000);
			else
				snprintf(err, errcap, "waiting for %s: %s", path, strerror(errno));
			return -1;
		}
		snprintf(err, errcap, "reading from %s: %s", path, strerror(errno));
		return -1;
	}
	(*raw)[*len] = '\0';
	return 0;
}

int ctlc_request(const char *path, int argc, char *const *argv, int timeout_ms,
		 struct ctlc_reply *r, char *err, size_t errcap)
{
	memset(r, 0, sizeof *r);
	char line[CTL_REQ_MAX + 1];
	int llen = ctlc_build_request(line, sizeof line, argc, argv, err, errcap);
	if (llen < 0)
		return CTLC_EXIT_USAGE;
	int64_t deadline = ipc_now_ms() + timeout_ms;
	int fd = ctl_connect(path, timeout_ms, err, errcap);
	if (fd < 0)
		return -fd;
	send_request(fd, line, (size_t)llen, deadline);
	char *raw = NULL;
	size_t len;
	int rc = CTLC_EXIT_NOCONN;
	if (read_answer(fd, path, deadline, timeout_ms, &raw, &len, err, errcap) == 0 &&
	    ctlc_parse_reply(raw, len, r, path, err, errcap) == 0) {
		r->raw = raw;
		raw = NULL;
		rc = 0;
	}
	free(raw);
	close(fd);
	return rc;
}

int ctlc_run(const char *path, int argc, char **argv)
{
	const struct ctlc_cmd *c = find_cmd(argv[0]);
	if (!c) {
		fprintf(stderr, "ringctl: unknown command '%s'\n", argv[0]);
		return CTLC_EXIT_USAGE;
	}
	if (argc - 1 > c->max_args) {
		fprintf(stderr, "ringctl: too many arguments; usage: ringctl %s%s\n", c->name,
			c->args);
		return CTLC_EXIT_USAGE;
	}
	if (strcmp(c->name, "stats") == 0 && argc == 2 && strcmp(argv[1], "--json") != 0) {
		fprintf(stderr, "ringctl: unknown option '%s'; usage: ringctl stats [--json]\n",
			argv[1]);
		return CTLC_EXIT_USAGE;
	}
	if (!path) {
		path = getenv("RINGCTL_SOCKET");
		if (!path || !*path)
			path = CTL_DEFAULT_SOCKET;
	}
	struct ctlc_reply r;
	char err[512];
	int rc = ctlc_request(path, argc, argv, CTLC_TIMEOUT_MS, &r, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "ringctl: %s\n", err);
		return rc;
	}
	if (r.ok) {
		rc = CTLC_EXIT_OK;
		if (fwrite(r.body, 1, r.body_len, stdout) != r.body_len || fflush(stdout) != 0) {
			fprintf(stderr, "ringctl: cannot write the answer: %s\n", strerror(errno));
			rc = CTLC_EXIT_ERR;
		}
	} else {
		fprintf(stderr, "ringctl: %s\n", r.msg);
		fwrite(r.body, 1, r.body_len, stderr);
		rc = CTLC_EXIT_ERR;
	}
	ctlc_reply_free(&r);
	return rc;
}
