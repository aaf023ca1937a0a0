/*
 * ctlsock.c - the control socket's server side: creating the socket
 * safely (owner-only mode, stale-file cleanup, refusing a path another
 * server holds), checking each client's credentials, reading one
 * RINGCTL/1 request line under a deadline, rejecting malformed input,
 * and sending the handler's answer.  See ctlsock.h and
 * doc/control-protocol.md.
 *
 * Every client is served without waiting on it: the sockets are
 * non-blocking and in one epoll set (the descriptor the caller polls),
 * each client's request and answer go through as far as the socket
 * allows and wait for the next event; deadlines end the slow ones.  So a
 * client that connects and says nothing, or sends half a line, holds back
 * no other, nor the control loop.
 */
#include "control/ctlsock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/ratelog.h"

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

/* A client being served: reading its request line, then sending the
 * answer, each by its deadline. */
struct ctl_client {
	int fd;
	pid_t pid;		/* for the log */
	bool writing;		/* the answer is being sent */
	int64_t deadline;	/* ipc_now_ms() by which the line, or the whole
				 * answer, must have gone through */
	size_t have;		/* request bytes read */
	char *out;		/* the answer (malloc) */
	size_t outlen, outoff;
	char req[CTL_REQ_MAX + 1];
};

struct ctlsock {
	int fd;
	int ep;			/* epoll: the listener (data NULL) and the clients */
	unsigned max_clients;	/* ctlsock_set_max_clients */
	struct ctl_client *cl[CTL_MAX_CLIENTS_MAX];
	unsigned ncl;
	struct ratelog full_log;	/* one line per burst at max_clients */
	struct ratelog slow_log;	/* ... of clients timed out */
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
	s->ep = -1;
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
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };
	if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->fd, &e) != 0) {
		snprintf(err, errcap, "cannot create an epoll set for the control socket: %s",
			 strerror(errno));
		unlink(s->path);
		goto fail;
	}
	s->max_clients = CTL_MAX_CLIENTS_DEFAULT;
	*out = s;
	return 0;
fail:
	if (s->ep >= 0)
		close(s->ep);
	close(s->fd);
	free(s);
	return -1;
}

int ctlsock_fd(const struct ctlsock *s)
{
	return s->ep;
}

static void client_free(struct ctlsock *s, struct ctl_client *c, bool done);

void ctlsock_close(struct ctlsock *s)
{
	if (!s)
		return;
	/* the clients still waiting for their answer are told why none comes */
	while (s->ncl) {
		struct ctl_client *c = s->cl[0];
		if (!c->writing) {
			static const char m[] = CTL_PROTO " ERR the server is stopping\n";
			send(c->fd, m, sizeof m - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		client_free(s, c, true);
	}
	close(s->ep);
	close(s->fd);
	struct stat st;
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}

/* ---- requests ---- */

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

/* ---- serving the clients ---- */

/* Events taken per epoll_wait in ctlsock_serve. */
#define CTL_EVENTS (CTL_MAX_CLIENTS_MAX + 1)

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

/* Removes c from the table (its slot takes the last client) and frees
 * it; the connection is closed, after the answer when done. */
static void client_free(struct ctlsock *s, struct ctl_client *c, bool done)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (done)
		finish(c->fd);
	else
		close(c->fd);
	free(c->out);
	for (unsigned i = 0; i < s->ncl; i++)
		if (s->cl[i] == c) {
			s->cl[i] = s->cl[--s->ncl];
			break;
		}
	free(c);
}

/* Sends what is left of c's answer without waiting; the rest goes when
 * the socket takes more (EPOLLOUT).  The client is freed once done or
 * gone. */
static void client_write(struct ctlsock *s, struct ctl_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		client_free(s, c, false);
		return;
	}
	client_free(s, c, true);
}

/* Makes text (len bytes, malloc'd; taken) c's answer and starts sending
 * it; the client has CTL_WRITE_TIMEOUT_MS to take it all. */
static void client_answer(struct ctlsock *s, struct ctl_client *c, char *text, size_t len)
{
	c->out = text;
	c->outlen = len;
	c->outoff = 0;
	c->writing = true;
	c->deadline = ipc_now_ms() + CTL_WRITE_TIMEOUT_MS;
	struct epoll_event e = { .events = EPOLLOUT, .data.ptr = c };
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &e);
	client_write(s, c);
}

/* "RINGCTL/1 ERR msg\n" as c's answer. */
static void client_err(struct ctlsock *s, struct ctl_client *c, const char *msg)
{
	char *line = malloc(CTL_ERRMSG_MAX + 64);
	if (!line) {
		client_free(s, c, false);
		return;
	}
	int n = snprintf(line, CTL_ERRMSG_MAX + 64, CTL_PROTO " ERR %s\n", msg);
	if (n >= CTL_ERRMSG_MAX + 64)
		n = CTL_ERRMSG_MAX + 63, line[n - 1] = '\n';
	client_answer(s, c, line, (size_t)n);
}

/* The handler's response o to command cmd as one text: the status line,
 * the body, a final newline when the body lacks one.  NULL when out of
 * memory. */
static char *response_text(struct ctl_out *o, int rc, const char *cmd, size_t *len)
{
	char status[CTL_ERRMSG_MAX + 64];
	if (o->overflow) {
		snprintf(status, sizeof status, o->oom ? CTL_PROTO " ERR out of memory building "
				 "the response to %.32s\n" : CTL_PROTO " ERR response to %.32s "
				 "exceeds the 1 MiB limit\n", cmd);
		o->len = 0;
	} else if (rc != 0 || o->has_err) {
		if (o->has_err && o->err[0])
			snprintf(status, sizeof status, CTL_PROTO " ERR %s\n", o->err);
		else
			snprintf(status, sizeof status, CTL_PROTO " ERR %.64s failed\n", cmd);
	} else {
		snprintf(status, sizeof status, CTL_PROTO " OK\n");
	}
	size_t sl = strlen(status);
	bool nl = o->len > 0 && o->buf[o->len - 1] != '\n';
	char *t = malloc(sl + o->len + nl + 1);
	if (!t)
		return NULL;
	memcpy(t, status, sl);
	if (o->len)
		memcpy(t + sl, o->buf, o->len);
	if (nl)
		t[sl + o->len] = '\n';
	*len = sl + o->len + nl;
	return t;
}

/* Runs the handler on c's request (argv) and starts sending its answer. */
static void client_run(struct ctlsock *s, struct ctl_client *c, ctl_handler h, void *ud,
		       int argc, char **argv)
{
	struct ctl_out o;
	memset(&o, 0, sizeof o);
	int rc = h(ud, argc, argv, &o);
	size_t len = 0;
	char *text = response_text(&o, rc, argv[0], &len);
	free(o.buf);
	if (!text)
		client_err(s, c, "out of memory");
	else
		client_answer(s, c, text, len);
}

/* c's request line is whole (NUL-terminated, len bytes): checked, then
 * run or answered with the reason. */
static void client_request(struct ctlsock *s, struct ctl_client *c, size_t len,
			   ctl_handler h, void *ud)
{
	char msg[160];
	char *argv[CTL_ARGS_MAX + 2];
	const char *why = NULL;
	int argc = ctl_parse_request(c->req, len, argv, msg, sizeof msg, &why);
	if (argc > 0) {
		client_run(s, c, h, ud, argc, argv);
		return;
	}
	log_info("control socket %s: bad request from pid %d: %s", s->path, (int)c->pid, why);
	client_err(s, c, why);
}

static const char empty_msg[] = "empty request (connection closed before a request line)";

/* Reads what c sent without waiting; once the line is whole, or cannot
 * be, it is answered. */
static void client_read(struct ctlsock *s, struct ctl_client *c, ctl_handler h, void *ud)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->req + c->have, CTL_REQ_MAX - c->have, MSG_DONTWAIT);
		if (n > 0) {
			char *nl = memchr(c->req + c->have, '\n', (size_t)n);
			c->have += (size_t)n;
			if (nl) {
				*nl = '\0';
				client_request(s, c, (size_t)(nl - c->req), h, ud);
				return;
			}
			if (c->have == CTL_REQ_MAX) {
				static const char m[] = "request line too long (limit 4096 bytes "
							"including the newline)";
				log_info("control socket %s: bad request from pid %d: %s", s->path,
					 (int)c->pid, m);
				client_err(s, c, m);
				return;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			client_free(s, c, false);
		} else if (c->have) {
			static const char m[] = "request line not terminated by a newline";
			log_info("control socket %s: bad request from pid %d: %s", s->path,
				 (int)c->pid, m);
			client_err(s, c, m);
		} else {
			/* a probe (such as ctlsock_open's): not worth a log line */
			client_err(s, c, empty_msg);
		}
		return;
	}
}

/* The client still reading whose request is the most overdue (the one
 * silent longest), or NULL when every client is being answered. */
static struct ctl_client *oldest_reader(const struct ctlsock *s)
{
	struct ctl_client *o = NULL;
	for (unsigned i = 0; i < s->ncl; i++)
		if (!s->cl[i]->writing && (!o || s->cl[i]->deadline < o->deadline))
			o = s->cl[i];
	return o;
}

/* Makes room for one more client under control-max-clients: the one
 * waited for longest is told so and dropped, as its deadline would do
 * soon; when all are being answered, none.  One log line per burst. */
static bool make_room(struct ctlsock *s)
{
	if (s->ncl < s->max_clients)
		return true;
	struct ctl_client *o = oldest_reader(s);
	uint64_t n = ratelog_hit(&s->full_log, (uint64_t)ipc_now_ms(), RATELOG_INTERVAL_MS);
	if (n)
		log_warn("control socket %s: %u clients at once (control-max-clients): %s; %llu "
			 "such since the last line", s->path, s->max_clients,
			 o ? "the one silent longest dropped" : "a new one refused",
			 (unsigned long long)n);
	if (!o)
		return false;
	char msg[128];
	snprintf(msg, sizeof msg, "timed out waiting for the request line (%u clients at "
		 "once, control-max-clients)", s->max_clients);
	/* sent if the socket takes it now, dropped either way */
	char line[192];
	int len = snprintf(line, sizeof line, CTL_PROTO " ERR %s\n", msg);
	send(o->fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	client_free(s, o, true);
	return true;
}

/* Refuses fd (a connection past the limit, or of another user) with msg,
 * without waiting: the answer fits an empty socket buffer. */
static void refuse(int fd, const char *msg)
{
	char line[192];
	int len = snprintf(line, sizeof line, CTL_PROTO " ERR %s\n", msg);
	send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	finish(fd);
}

/* Accepts one pending connection: checks its credentials and gives it a
 * slot.  False when none was pending. */
static bool accept_one(struct ctlsock *s, ctl_handler h, void *ud)
{
	int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control socket %s: accept: %s", s->path, strerror(errno));
		return false;
	}
	struct ucred cred;
	socklen_t clen = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) {
		log_warn("control socket %s: cannot read peer credentials: %s", s->path,
			 strerror(errno));
		close(fd);
		return true;
	}
	if (cred.uid != geteuid() && cred.uid != 0) {
		char msg[64];
		snprintf(msg, sizeof msg, "permission denied (uid %u)", (unsigned)cred.uid);
		log_warn("control socket %s: refused pid %d uid %u", s->path, (int)cred.pid,
			 (unsigned)cred.uid);
		refuse(fd, msg);
		return true;
	}
	if (!make_room(s)) {
		char msg[128];
		snprintf(msg, sizeof msg, "too many control clients at once (%u, "
			 "control-max-clients); try again", s->max_clients);
		refuse(fd, msg);
		return true;
	}
	struct ctl_client *c = calloc(1, sizeof *c);
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
	if (!c || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
		log_warn("control socket %s: cannot take a client: %s", s->path,
			 c ? strerror(errno) : "out of memory");
		free(c);
		close(fd);
		return true;
	}
	c->fd = fd;
	c->pid = cred.pid;
	c->deadline = ipc_now_ms() + CTL_READ_TIMEOUT_MS;
	s->cl[s->ncl++] = c;
	/* a request sent with the connect is there already */
	client_read(s, c, h, ud);
	return true;
}

/* Clients past their deadline: told so while reading, dropped while
 * being answered (the client does not read). */
static bool expire(struct ctlsock *s)
{
	int64_t now = ipc_now_ms();
	bool any = false;
	for (unsigned i = 0; i < s->ncl;) {
		struct ctl_client *c = s->cl[i];
		if (now < c->deadline) {
			i++;
			continue;
		}
		any = true;
		if (c->writing) {
			client_free(s, c, false);
		} else {
			uint64_t k = ratelog_hit(&s->slow_log, (uint64_t)now, RATELOG_INTERVAL_MS);
			if (k)
				log_info("control socket %s: pid %d sent no whole request within "
					 "2 s; %llu such since the last line", s->path, (int)c->pid,
					 (unsigned long long)k);
			client_err(s, c, "timed out waiting for the request line (2 s)");
		}
		/* slot i holds another client now, or c still (writing) */
		if (i < s->ncl && s->cl[i] == c)
			i++;
	}
	return any;
}

int ctlsock_serve(struct ctlsock *s, ctl_handler h, void *ud)
{
	struct epoll_event ev[CTL_EVENTS];
	int n = epoll_wait(s->ep, ev, CTL_EVENTS, 0);
	bool did = false, listener = false;
	/* clients first: accepting may drop one whose event is in ev */
	for (int i = 0; i < n; i++) {
		struct ctl_client *c = ev[i].data.ptr;
		if (!c) {
			listener = true;
			continue;
		}
		did = true;
		if (c->writing)
			client_write(s, c);
		else
			client_read(s, c, h, ud);
	}
	for (int k = 0; listener && k < CTL_BACKLOG && accept_one(s, h, ud); k++)
		did = true;
	return expire(s) || did;
}

int ctlsock_wait_ms(const struct ctlsock *s)
{
	if (!s->ncl)
		return -1;
	int64_t first = s->cl[0]->deadline;
	for (unsigned i = 1; i < s->ncl; i++)
		if (s->cl[i]->deadline < first)
			first = s->cl[i]->deadline;
	int64_t left = first - ipc_now_ms();
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

void ctlsock_set_max_clients(struct ctlsock *s, unsigned n)
{
	s->max_clients = n < 1 ? 1 : n > CTL_MAX_CLIENTS_MAX ? CTL_MAX_CLIENTS_MAX : n;
}
