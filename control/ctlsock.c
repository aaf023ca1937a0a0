/*
 * ctlsock.c - the control socket's server side: creating the socket
 * safely (owner-only mode, stale-file cleanup, refusing a path another
 * server holds), checking each client's credentials, reading one
 * RINGCTL/1 request line under a deadline, rejecting malformed input,
 * and sending the handler's answer.  See ctlsock.h and
 * doc/control-protocol.md.
 */
#include "control/ctlsock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"

#define CTL_ERRMSG_MAX	1000	/* bytes of an ERR message kept */
#define CTL_BACKLOG	16
#define CTL_DRAIN_MAX	65536	/* unread request bytes discarded before close */

struct ctl_out {
	char *buf;
	size_t len, cap;
	bool overflow;		/* the body went past CTL_BODY_MAX */
	bool oom;		/* or memory ran out */
	bool has_err;
	char err[CTL_ERRMSG_MAX + 1];
};

struct ctlsock {
	int fd;
	const volatile sig_atomic_t *cancel;	/* ctlsock_set_cancel */
	dev_t dev;		/* identity of the socket file we bound, so */
	ino_t ino;		/* close only removes our own */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* ---- response bodies ---- */

/* Makes room for extra more bytes (and a NUL); false when over the cap. */
static bool out_reserve(struct ctl_out *o, size_t extra)
{
	if (o->overflow)
		return false;
	if (extra > CTL_BODY_MAX - o->len) {
		o->overflow = true;
		return false;
	}
	size_t need = o->len + extra + 1;
	if (need <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > (size_t)CTL_BODY_MAX + 1)
		cap = (size_t)CTL_BODY_MAX + 1;
	char *b = realloc(o->buf, cap);
	if (!b) {
		o->overflow = o->oom = true;
		return false;
	}
	o->buf = b;
	o->cap = cap;
	return true;
}

void ctl_write(struct ctl_out *o, const void *data, size_t len)
{
	if (len == 0 || !out_reserve(o, len))
		return;
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

void ctl_printf(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0 && out_reserve(o, (size_t)n)) {
		vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap2);
		o->len += (size_t)n;
	}
	va_end(ap2);
}

/* Cuts s (of length len) back so it does not end inside a UTF-8
 * sequence; returns the new length. */
static size_t utf8_trim(const char *s, size_t len)
{
	size_t i = len;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return len;	/* ends with ASCII or stray continuation bytes */
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return len - (i - 1) >= want ? len : i - 1;
}

int ctl_error(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->err, sizeof o->err, fmt, ap);
	va_end(ap);
	size_t len = strlen(o->err);
	if (n > (int)len)
		len = utf8_trim(o->err, len);
	o->err[len] = '\0';
	for (char *p = o->err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	o->has_err = true;
	return -1;
}

struct ctl_out *ctl_out_new(void)
{
	return calloc(1, sizeof(struct ctl_out));
}

void ctl_out_free(struct ctl_out *o)
{
	if (!o)
		return;
	free(o->buf);
	free(o);
}

const char *ctl_out_body(const struct ctl_out *o, size_t *len)
{
	if (len)
		*len = o->len;
	return o->buf ? o->buf : "";
}

const char *ctl_out_error(const struct ctl_out *o)
{
	return o->has_err ? o->err : NULL;
}

/* ---- opening and closing ---- */

/* Creates path's parent directory (0700) when it does not exist. */
static int make_parent(const char *path, char *err, size_t errcap)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;	/* "." or "/" */
	size_t n = (size_t)(slash - path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errcap, "cannot create control socket %s: %s is not a directory",
			 path, dir);
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, errcap, "cannot create control socket %s: cannot access %s: %s",
			 path, dir, strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errcap, "cannot create directory %s for the control socket: %s%s",
			 dir, strerror(e),
			 e == ENOENT ? " (create its parent directories first)" : "");
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errcap, "cannot create directory %s for the control socket", dir);
		return -1;
	}
	/* mkdir() applied the umask; the directory we made is exactly 0700 */
	if (chmod(dir, 0700) != 0) {
		snprintf(err, errcap, "cannot set mode 0700 on %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Deals with whatever is at path already: nothing is fine, a socket
 * nobody listens on is removed, anything else is refused. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, char *err,
		       size_t errcap)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errcap, "cannot access control socket path %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errcap,
			 "control socket path %s exists and is not a socket; remove it or "
			 "choose another path", path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errcap, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	int e = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full, so still a listener */
	if (rc == 0 || e == EAGAIN) {
		snprintf(err, errcap,
			 "control socket %s is in use by another process (is "
			 "ringdns-control already running?)", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errcap, "cannot check existing control socket %s: %s", path,
			 strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errcap, "cannot remove stale control socket %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int ctlsock_open(struct ctlsock **out, const char *path, char *err, size_t errcap)
{
	struct sockaddr_un sa;
	*out = NULL;
	size_t plen = strlen(path);
	if (plen == 0) {
		snprintf(err, errcap, "control socket path is empty");
		return -1;
	}
	if (plen >= sizeof sa.sun_path) {
		snprintf(err, errcap,
			 "control socket path %s is too long (%zu bytes; a Unix socket path "
			 "holds at most %zu)", path, plen, sizeof sa.sun_path - 1);
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen + 1);

	if (make_parent(path, err, errcap) != 0 || clear_stale(path, &sa, err, errcap) != 0)
		return -1;

	struct ctlsock *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memcpy(s->path, path, plen + 1);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		snprintf(err, errcap, "cannot create a socket: %s", strerror(errno));
		free(s);
		return -1;
	}
	/* On Linux bind() creates the file with the socket inode's mode (less
	 * the umask), so the file is never more open than 0600, not even
	 * briefly; the chmod() below restores bits a strict umask removed. */
	if (fchmod(s->fd, 0600) != 0) {
		snprintf(err, errcap, "cannot set mode on the control socket: %s",
			 strerror(errno));
		goto fail;
	}
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		snprintf(err, errcap, "cannot bind control socket %s: %s%s", path, strerror(e),
			 e == EADDRINUSE ? " (another process created it just now)" : "");
		goto fail;
	}
	struct stat st;
	if (chmod(s->path, 0600) != 0 || lstat(s->path, &st) != 0) {
		int e = errno;
		snprintf(err, errcap, "cannot set mode 0600 on control socket %s: %s", s->path,
			 strerror(e));
		unlink(s->path);
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->fd, CTL_BACKLOG) != 0) {
		int e = errno;
		snprintf(err, errcap, "cannot listen on control socket %s: %s", s->path,
			 strerror(e));
		unlink(s->path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	close(s->fd);
	free(s);
	return -1;
}

int ctlsock_fd(const struct ctlsock *s)
{
	return s->fd;
}

void ctlsock_close(struct ctlsock *s)
{
	if (!s)
		return;
	close(s->fd);
	struct stat st;
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}

/* ---- serving one client ---- */

/* How often a wait for a client looks at the stop flag. */
#define CTL_CANCEL_POLL_MS 50

static bool cancelled(const struct ctlsock *s)
{
	return s->cancel && *s->cancel;
}

/* ipc_wait_fd in slices, giving up as at the deadline once the stop flag
 * (ctlsock_set_cancel) is set: a slow client does not hold a stop back. */
static int wait_io(const struct ctlsock *s, int fd, short events, int64_t deadline)
{
	for (;;) {
		if (cancelled(s))
			return 0;
		int64_t slice = ipc_now_ms() + CTL_CANCEL_POLL_MS;
		int w = ipc_wait_fd(fd, events, slice < deadline ? slice : deadline);
		if (w != 0 || ipc_now_ms() >= deadline)
			return w;
	}
}

/* Sends all of data before the deadline; -1 when the client is gone or
 * too slow. */
static int send_all(const struct ctlsock *s, int fd, const char *data, size_t len,
		    int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_io(s, fd, POLLOUT, deadline) == 1)
				continue;
			return -1;
		}
		return -1;
	}
	return 0;
}

enum req_status { REQ_LINE, REQ_BAD, REQ_GONE };

static const char empty_msg[] = "empty request (connection closed before a request line)";

/* Reads the request line into buf (CTL_REQ_MAX + 1 bytes) by the
 * deadline.  REQ_LINE: buf holds the line without its '\n', NUL-ended,
 * *len its length.  REQ_BAD: *why says what went wrong (answer it).
 * REQ_GONE: the connection failed (do not answer). */
static enum req_status read_request(const struct ctlsock *s, int fd, char *buf, size_t *len,
				    int64_t deadline, const char **why)
{
	size_t have = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + have, CTL_REQ_MAX - have, 0);
		if (n > 0) {
			char *nl = memchr(buf + have, '\n', (size_t)n);
			have += (size_t)n;
			if (nl) {
				*nl = '\0';
				*len = (size_t)(nl - buf);
				return REQ_LINE;
			}
			if (have == CTL_REQ_MAX) {
				*why = "request line too long (limit 4096 bytes including the newline)";
				return REQ_BAD;
			}
			continue;
		}
		if (n == 0) {
			*why = have ? "request line not terminated by a newline" : empty_msg;
			return REQ_BAD;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return REQ_GONE;
		int w = wait_io(s, fd, POLLIN, deadline);
		if (w == 0) {
			*why = cancelled(s) ? "the server is stopping"
					    : "timed out waiting for the request line (2 s)";
			return REQ_BAD;
		}
		if (w < 0)
			return REQ_GONE;
	}
}

int ctl_parse_request(char *line, size_t len, char **argv, char *msg, size_t msgcap,
		      const char **why)
{
	static const char version_err[] = "unsupported protocol version, expected " CTL_PROTO;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == 0)
			snprintf(msg, msgcap, "request contains a NUL byte (offset %zu)", i);
		else if (c < 0x20 || c == 0x7f)
			snprintf(msg, msgcap, "request contains control byte 0x%02x at offset %zu",
				 c, i);
		else if (c >= 0x80)
			snprintf(msg, msgcap,
				 "request contains non-ASCII byte 0x%02x at offset %zu "
				 "(arguments are printable ASCII)", c, i);
		else
			continue;
		*why = msg;
		return 0;
	}
	if (len == 0) {
		*why = "empty request line";
		return 0;
	}
	size_t vlen = sizeof CTL_PROTO - 1;
	if (len < vlen || memcmp(line, CTL_PROTO, vlen) != 0 ||
	    (line[vlen] != ' ' && line[vlen] != '\0')) {
		*why = version_err;
		return 0;
	}
	char *p = line + vlen;
	if (*p == ' ')
		p++;
	if (*p == '\0') {
		*why = "empty command";
		return 0;
	}
	int argc = 0;
	for (;;) {
		if (*p == ' ' || *p == '\0') {
			*why = "malformed request: fields must be separated by single spaces";
			return 0;
		}
		if (argc == 1 + CTL_ARGS_MAX) {
			snprintf(msg, msgcap, "too many arguments (at most %d)", CTL_ARGS_MAX);
			*why = msg;
			return 0;
		}
		argv[argc++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

/* Sends "RINGCTL/1 ERR msg\n". */
static void send_err(const struct ctlsock *s, int fd, const char *msg, int64_t deadline)
{
	char line[CTL_ERRMSG_MAX + 64];
	int n = snprintf(line, sizeof line, CTL_PROTO " ERR %s\n", msg);
	if (n >= (int)sizeof line)
		n = (int)sizeof line - 1, line[n - 1] = '\n';
	send_all(s, fd, line, (size_t)n, deadline);
}

/* Runs the handler and sends its answer. */
static void answer(const struct ctlsock *s, int fd, ctl_handler h, void *ud, int argc,
		   char **argv, int64_t deadline)
{
	struct ctl_out o;
	memset(&o, 0, sizeof o);
	int rc = h(ud, argc, argv, &o);
	if (o.overflow) {
		char msg[128];
		snprintf(msg, sizeof msg, o.oom ? "out of memory building the response to %.32s"
						: "response to %.32s exceeds the 1 MiB limit", argv[0]);
		send_err(s, fd, msg, deadline);
	} else {
		if (rc != 0 || o.has_err) {
			char msg[128];
			const char *m = o.err;
			if (!o.has_err || !o.err[0]) {
				snprintf(msg, sizeof msg, "%.64s failed", argv[0]);
				m = msg;
			}
			send_err(s, fd, m, deadline);
		} else {
			send_all(s, fd, CTL_PROTO " OK\n", sizeof CTL_PROTO " OK\n" - 1, deadline);
		}
		if (o.len > 0 && send_all(s, fd, o.buf, o.len, deadline) == 0 &&
		    o.buf[o.len - 1] != '\n')
			send_all(s, fd, "\n", 1, deadline);
	}
	free(o.buf);
}

/* Ends the connection.  Unread request bytes are discarded first so the
 * client reads EOF after the answer rather than a reset. */
static void finish(int fd)
{
	shutdown(fd, SHUT_WR);
	char scratch[4096];
	size_t total = 0;
	while (total < CTL_DRAIN_MAX) {
		ssize_t n = recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(fd);
}

int ctlsock_serve(struct ctlsock *s, ctl_handler h, void *ud)
{
	int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control socket %s: accept: %s", s->path, strerror(errno));
		return 0;
	}
	int64_t start = ipc_now_ms();
	int64_t write_deadline = start + CTL_READ_TIMEOUT_MS + CTL_WRITE_TIMEOUT_MS;

	struct ucred cred;
	socklen_t clen = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) {
		log_warn("control socket %s: cannot read peer credentials: %s", s->path,
			 strerror(errno));
		close(fd);
		return 1;
	}
	if (cred.uid != geteuid() && cred.uid != 0) {
		char msg[64];
		snprintf(msg, sizeof msg, "permission denied (uid %u)", (unsigned)cred.uid);
		log_warn("control socket %s: refused pid %d uid %u", s->path, (int)cred.pid,
			 (unsigned)cred.uid);
		send_err(s, fd, msg, start + CTL_WRITE_TIMEOUT_MS);
		finish(fd);
		return 1;
	}

	char buf[CTL_REQ_MAX + 1], msg[160];
	char *argv[CTL_ARGS_MAX + 2];
	const char *why = NULL;
	size_t len = 0;
	enum req_status st = read_request(s, fd, buf, &len, start + CTL_READ_TIMEOUT_MS, &why);
	if (st == REQ_GONE) {
		close(fd);
		return 1;
	}
	int argc = st == REQ_LINE ? ctl_parse_request(buf, len, argv, msg, sizeof msg, &why) : 0;
	if (argc == 0 && why == empty_msg) {
		/* a probe (such as ctlsock_open's): not worth a log line */
		send_err(s, fd, why, write_deadline);
	} else if (argc == 0) {
		log_info("control socket %s: bad request from pid %d: %s", s->path,
			 (int)cred.pid, why);
		send_err(s, fd, why, write_deadline);
	} else {
		answer(s, fd, h, ud, argc, argv, ipc_now_ms() + CTL_WRITE_TIMEOUT_MS);
	}
	finish(fd);
	return 1;
}

void ctlsock_set_cancel(struct ctlsock *s, const volatile sig_atomic_t *flag)
{
	s->cancel = flag;
}
