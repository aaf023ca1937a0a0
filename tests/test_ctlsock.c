/*
 * test_ctlsock.c - the control socket (control/ctlsock.c) and ringctl's
 * online commands (control/ctlclient.c): request framing and every kind
 * of malformed request, deadlines against silent and slow clients, large
 * bodies, peer-credential checks, how the socket file is created and
 * cleaned up, and the real ringctl binary against a test server.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control/ctlsock.h"
#include "tests/zt.h"

extern char **environ;

static char tmpdir[64];
static char sockpath[128];

/* ---- the test handler ---- */

static atomic_int handled;	/* handler calls */

/* Byte i of a "big" body: lines of 63 letters. */
static char big_byte(size_t i)
{
	return i % 64 == 63 ? '\n' : (char)('a' + i % 26);
}

static int test_handler(void *ud, int argc, char **argv, struct ctl_out *out)
{
	(void)ud;
	atomic_fetch_add(&handled, 1);
	const char *cmd = argv[0];
	if (strcmp(cmd, "fail") == 0)
		return ctl_error(out, "failure requested with %d args", argc - 1);
	if (strcmp(cmd, "failbody") == 0) {
		ctl_printf(out, "detail line\n");
		return ctl_error(out, "bad\nthing\t%s", "here");
	}
	if (strcmp(cmd, "failnomsg") == 0)
		return 1;
	if (strcmp(cmd, "big") == 0 && argc == 2) {
		size_t n = strtoul(argv[1], NULL, 10);
		char chunk[4096];
		for (size_t i = 0; i < n; i += sizeof chunk) {
			size_t k = n - i < sizeof chunk ? n - i : sizeof chunk;
			for (size_t j = 0; j < k; j++)
				chunk[j] = big_byte(i + j);
			ctl_write(out, chunk, k);
		}
		return 0;
	}
	if (strcmp(cmd, "zones") == 0) {
		for (int i = 0; i < 10000; i++)
			ctl_printf(out, "zone%05d.example. serial %d\n", i, 2024000000 + i);
		return 0;
	}
	if (strcmp(cmd, "reload") == 0 && argc == 2 && strcmp(argv[1], "bad.example.") == 0)
		return ctl_error(out, "zone %s is not configured", argv[1]);
	if (strcmp(cmd, "stats") == 0 && argc == 2 && strcmp(argv[1], "--json") == 0) {
		ctl_printf(out, "{\"queries\": 42}");	/* no newline: the server adds it */
		return 0;
	}
	ctl_printf(out, "argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		ctl_printf(out, "argv[%d]=%s\n", i, argv[i]);
	return 0;
}

/* ---- a server thread ---- */

static struct ctlsock *srv;
static pthread_t srv_thread;
static atomic_bool srv_stop;

static void *srv_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv_stop)) {
		/* as the control loop: until an event or a client's deadline */
		struct pollfd p = { .fd = ctlsock_fd(srv), .events = POLLIN };
		int w = ctlsock_wait_ms(srv);
		poll(&p, 1, w >= 0 && w < 50 ? w : 50);
		ctlsock_serve(srv, test_handler, NULL);
	}
	return NULL;
}

static void srv_setup(void)
{
	zt_mktmp(tmpdir, "ctl");
	snprintf(sockpath, sizeof sockpath, "%s/ctl.sock", tmpdir);
	char err[256];
	if (ctlsock_open(&srv, sockpath, err, sizeof err) != 0)
		cr_assert_fail("ctlsock_open: %s", err);
	atomic_store(&srv_stop, false);
	atomic_store(&handled, 0);
	cr_assert_eq(pthread_create(&srv_thread, NULL, srv_main, NULL), 0);
}

static void srv_teardown(void)
{
	atomic_store(&srv_stop, true);
	pthread_join(srv_thread, NULL);
	ctlsock_close(srv);
	srv = NULL;
	zt_rmtmp(tmpdir);
}

static void tmp_setup(void)
{
	zt_mktmp(tmpdir, "ctl");
	snprintf(sockpath, sizeof sockpath, "%s/ctl.sock", tmpdir);
}

static void tmp_teardown(void)
{
	zt_rmtmp(tmpdir);
}

/* ---- raw clients ---- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_sun_path(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);
	cr_assert_lt(n, sizeof sa->sun_path);
	memcpy(sa->sun_path, path, n + 1);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	set_sun_path(&sa, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect %s: %s", path,
		     strerror(errno));
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

struct resp {
	char *data;		/* NUL-terminated */
	size_t len;
};

/* Reads until EOF (a reset after data counts as the end). */
static struct resp read_all(int fd)
{
	struct resp r = { .data = malloc(65536) };
	size_t cap = 65536;
	for (;;) {
		if (r.len + 1 == cap)
			r.data = realloc(r.data, cap *= 2);
		ssize_t n = recv(fd, r.data + r.len, cap - 1 - r.len, 0);
		if (n > 0) {
			r.len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert(n == 0 || (errno == ECONNRESET && r.len > 0), "recv: %s",
			  strerror(errno));
		break;
	}
	r.data[r.len] = '\0';
	return r;
}

/* Sends len bytes of req (shutting down the write side after when shut),
 * returns the whole answer. */
static struct resp xfer_n(const char *req, size_t len, bool shut)
{
	int fd = connect_to(sockpath);
	cr_assert_eq(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	if (shut)
		shutdown(fd, SHUT_WR);
	struct resp r = read_all(fd);
	close(fd);
	return r;
}

static struct resp xfer(const char *req)
{
	return xfer_n(req, strlen(req), false);
}

/* Sends req and expects exactly want as the answer. */
static void expect(const char *req, const char *want)
{
	struct resp r = xfer(req);
	cr_assert_str_eq(r.data, want, "request %s", req);
	free(r.data);
}

static void expect_n(const char *req, size_t len, bool shut, const char *want)
{
	struct resp r = xfer_n(req, len, shut);
	cr_assert_str_eq(r.data, want);
	free(r.data);
}

/* The server still works: a good request gets its answer. */
static void expect_alive(void)
{
	expect("RINGCTL/1 ping\n", "RINGCTL/1 OK\nargc=1\nargv[0]=ping\n");
}

#define VERSION_ERR "RINGCTL/1 ERR unsupported protocol version, expected RINGCTL/1\n"

/* ---- requests and answers ---- */

TestSuite(serve, .init = srv_setup, .fini = srv_teardown, .timeout = 60);

Test(serve, ok_round_trip_with_args)
{
	expect("RINGCTL/1 echo a b-c x=1 {\"j\":[1]}\n",
	       "RINGCTL/1 OK\nargc=5\nargv[0]=echo\nargv[1]=a\nargv[2]=b-c\n"
	       "argv[3]=x=1\nargv[4]={\"j\":[1]}\n");
	/* a body without a final newline gets one */
	expect("RINGCTL/1 stats --json\n", "RINGCTL/1 OK\n{\"queries\": 42}\n");
	cr_assert_eq(atomic_load(&handled), 2);
}

Test(serve, argument_count_limit)
{
	char req[256] = "RINGCTL/1 echo", want[512];
	int n = snprintf(want, sizeof want, "RINGCTL/1 OK\nargc=17\nargv[0]=echo\n");
	for (int i = 1; i <= 16; i++) {
		snprintf(req + strlen(req), sizeof req - strlen(req), " a%d", i);
		n += snprintf(want + n, sizeof want - (size_t)n, "argv[%d]=a%d\n", i, i);
	}
	char req17[300];
	snprintf(req17, sizeof req17, "%s a17\n", req);
	strcat(req, "\n");
	expect(req, want);
	expect(req17, "RINGCTL/1 ERR too many arguments (at most 16)\n");
	cr_assert_eq(atomic_load(&handled), 1, "the handler sees only well-formed requests");
}

Test(serve, err_propagation)
{
	expect("RINGCTL/1 fail x\n", "RINGCTL/1 ERR failure requested with 1 args\n");
	/* one-line message, body kept */
	expect("RINGCTL/1 failbody\n", "RINGCTL/1 ERR bad thing here\ndetail line\n");
	/* handler failed without a message */
	expect("RINGCTL/1 failnomsg\n", "RINGCTL/1 ERR failnomsg failed\n");
	expect_alive();
}

static void check_big(size_t n)
{
	char req[64];
	snprintf(req, sizeof req, "RINGCTL/1 big %zu\n", n);
	struct resp r = xfer(req);
	static const char hdr[] = "RINGCTL/1 OK\n";
	cr_assert_eq(r.len, sizeof hdr - 1 + n, "answer of %zu bytes for a %zu-byte body", r.len,
		     n);
	cr_assert_eq(memcmp(r.data, hdr, sizeof hdr - 1), 0);
	for (size_t i = 0; i < n; i++)
		if (r.data[sizeof hdr - 1 + i] != big_byte(i))
			cr_assert_fail("body byte %zu differs", i);
	free(r.data);
}

Test(serve, big_bodies)
{
	check_big(200 * 64);
	check_big(300000 / 64 * 64);		/* > 64 KiB */
	check_big(CTL_BODY_MAX);		/* exactly the limit */
	char req[64];
	snprintf(req, sizeof req, "RINGCTL/1 big %u\n", CTL_BODY_MAX + 1);
	expect(req, "RINGCTL/1 ERR response to big exceeds the 1 MiB limit\n");
	expect_alive();
}

/* ---- malformed requests ---- */

Test(serve, request_without_newline)
{
	expect_n("RINGCTL/1 ping", 14, true,
		 "RINGCTL/1 ERR request line not terminated by a newline\n");
	expect_n("", 0, true,
		 "RINGCTL/1 ERR empty request (connection closed before a request line)\n");
	/* a client that connects and leaves at once */
	close(connect_to(sockpath));
	expect_alive();
	cr_assert_eq(atomic_load(&handled), 1);
}

Test(serve, request_too_long)
{
	static char req[8192];
	const char *pre = "RINGCTL/1 echo ";
	size_t plen = strlen(pre);
	/* 4095 bytes and the newline: the largest request */
	memcpy(req, pre, plen);
	memset(req + plen, 'x', 4095 - plen);
	req[4095] = '\n';
	struct resp r = xfer_n(req, 4096, false);
	cr_assert_eq(strncmp(r.data, "RINGCTL/1 OK\nargc=2\nargv[0]=echo\nargv[1]=xxx", 44), 0,
		     "got %.60s", r.data);
	cr_assert_eq(r.len, 13 + 7 + 13 + 8 + 4095 - plen + 1);
	free(r.data);
	/* one byte more */
	memset(req + plen, 'x', 4096 - plen);
	req[4096] = '\n';
	expect_n(req, 4097, false,
		 "RINGCTL/1 ERR request line too long (limit 4096 bytes including the newline)\n");
	/* far more, without a newline */
	memset(req, 'A', sizeof req);
	expect_n(req, 6000, false,
		 "RINGCTL/1 ERR request line too long (limit 4096 bytes including the newline)\n");
	expect_alive();
	cr_assert_eq(atomic_load(&handled), 2);
}

Test(serve, wrong_or_missing_version)
{
	expect("RINGCTL/2 ping\n", VERSION_ERR);
	expect("RINGCTL/10 ping\n", VERSION_ERR);
	expect("RINGCTL/1x ping\n", VERSION_ERR);
	expect("ringctl/1 ping\n", VERSION_ERR);
	expect("ping\n", VERSION_ERR);
	expect("RINGCTL/\n", VERSION_ERR);
	expect(" RINGCTL/1 ping\n", VERSION_ERR);
	expect("GET / HTTP/1.0\n", VERSION_ERR);
	expect_alive();
	cr_assert_eq(atomic_load(&handled), 1);
}

Test(serve, nul_control_and_non_ascii_bytes)
{
	expect_n("RINGCTL/1 pi\0ng\n", 16, false,
		 "RINGCTL/1 ERR request contains a NUL byte (offset 12)\n");
	expect_n("\0\0\0\n", 4, false, "RINGCTL/1 ERR request contains a NUL byte (offset 0)\n");
	expect("RINGCTL/1 ping\r\n",
	       "RINGCTL/1 ERR request contains control byte 0x0d at offset 14\n");
	expect("RINGCTL/1 ping\ta\n",
	       "RINGCTL/1 ERR request contains control byte 0x09 at offset 14\n");
	expect("RINGCTL/1 ping \x7f\n",
	       "RINGCTL/1 ERR request contains control byte 0x7f at offset 15\n");
	expect("RINGCTL/1 reload \xc3\xa9.example.\n",
	       "RINGCTL/1 ERR request contains non-ASCII byte 0xc3 at offset 17 "
	       "(arguments are printable ASCII)\n");
	expect_alive();
	cr_assert_eq(atomic_load(&handled), 1);
}

Test(serve, empty_command_and_spacing)
{
	expect("\n", "RINGCTL/1 ERR empty request line\n");
	expect("RINGCTL/1\n", "RINGCTL/1 ERR empty command\n");
	expect("RINGCTL/1 \n", "RINGCTL/1 ERR empty command\n");
	const char *spacing = "RINGCTL/1 ERR malformed request: fields must be separated by "
			      "single spaces\n";
	expect("RINGCTL/1  ping\n", spacing);
	expect("RINGCTL/1 ping \n", spacing);
	expect("RINGCTL/1 ping  a\n", spacing);
	expect_alive();
	cr_assert_eq(atomic_load(&handled), 1);
}

Test(serve, bytes_after_the_line_are_ignored)
{
	expect("RINGCTL/1 ping\nRINGCTL/1 fail\n", "RINGCTL/1 OK\nargc=1\nargv[0]=ping\n");
	cr_assert_eq(atomic_load(&handled), 1);
}

/* ---- deadlines ---- */

Test(serve, silent_client_times_out)
{
	int64_t t0 = now_ms();
	int silent = connect_to(sockpath);
	/* a second client is served at once, while the first says nothing */
	int next = connect_to(sockpath);
	cr_assert_eq(send(next, "RINGCTL/1 ping\n", 15, MSG_NOSIGNAL), 15);
	struct resp r = read_all(next);
	cr_assert_str_eq(r.data, "RINGCTL/1 OK\nargc=1\nargv[0]=ping\n");
	cr_assert_lt(now_ms() - t0, 1000, "the second client waited for the first");
	free(r.data);
	r = read_all(silent);
	int64_t took = now_ms() - t0;
	cr_assert_str_eq(r.data, "RINGCTL/1 ERR timed out waiting for the request line (2 s)\n");
	cr_assert(took >= 1900 && took < 4000, "timed out after %lld ms", (long long)took);
	free(r.data);
	close(silent);
	close(next);
	expect_alive();
}

/* Twenty clients that connect and say nothing (more than the 16 served
 * at once), and one that sends half a line: a good request is answered
 * within a second all the same; the silent clients longest connected
 * make room and are told why; the others time out at 2 s. */
Test(serve, silent_clients_do_not_delay_others)
{
	int quiet[20];
	for (int i = 0; i < 20; i++)
		quiet[i] = connect_to(sockpath);
	int half = connect_to(sockpath);
	cr_assert_eq(send(half, "RINGCTL/1 pi", 12, MSG_NOSIGNAL), 12);
	usleep(100 * 1000);
	int64_t t0 = now_ms();
	expect_alive();
	cr_assert_lt(now_ms() - t0, 1000, "answered after %lld ms", (long long)(now_ms() - t0));
	unsigned dropped = 0, timed_out = 0;
	for (int i = 0; i < 20; i++) {
		struct resp r = read_all(quiet[i]);
		if (strstr(r.data, "clients at once, control-max-clients"))
			dropped++;
		else if (strcmp(r.data, "RINGCTL/1 ERR timed out waiting for the request line "
				   "(2 s)\n") == 0)
			timed_out++;
		else
			cr_assert_fail("client %d: %s", i, r.data);
		free(r.data);
		close(quiet[i]);
	}
	cr_assert_eq(dropped + timed_out, 20);
	cr_assert_geq(dropped, 5, "20 + 2 clients, 16 served at once");
	struct resp r = read_all(half);
	cr_assert(strstr(r.data, "RINGCTL/1 ERR timed out waiting for the request line"),
		  "%s", r.data);
	free(r.data);
	close(half);
	expect_alive();
	cr_assert_eq(atomic_load(&handled), 2);
}

Test(serve, slow_client_times_out)
{
	/* bytes keep coming, but the whole line must arrive within 2 s */
	int64_t t0 = now_ms();
	int fd = connect_to(sockpath);
	const char *req = "RINGCTL/1 ping\n";
	for (int i = 0; i < 8; i++) {
		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(400 * 1000);
	}
	struct resp r = read_all(fd);
	int64_t took = now_ms() - t0;
	cr_assert_str_eq(r.data, "RINGCTL/1 ERR timed out waiting for the request line (2 s)\n");
	cr_assert(took < 4500, "took %lld ms", (long long)took);
	free(r.data);
	close(fd);
	expect_alive();
	cr_assert_eq(atomic_load(&handled), 1);
}

/* ---- peer credentials ---- */

Test(serve, other_uid_is_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to connect as another user");
	/* for this test only: let the other user reach the socket */
	cr_assert_eq(chmod(sockpath, 0666), 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	set_sun_path(&sa, sockpath);
	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* only async-signal-safe calls: the parent has threads */
		close(pfd[0]);
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(10);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
			_exit(11);
		(void)!send(fd, "RINGCTL/1 ping\n", 15, MSG_NOSIGNAL);
		char buf[512];
		ssize_t n;
		while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
			if (write(pfd[1], buf, (size_t)n) != n)
				_exit(12);
		_exit(0);
	}
	close(pfd[1]);
	char buf[512];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(pfd[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(pfd[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	cr_assert_str_eq(buf, "RINGCTL/1 ERR permission denied (uid 65534)\n");
	cr_assert_eq(atomic_load(&handled), 0, "a refused client never reaches the handler");
	expect_alive();
}

/* ---- the real ringctl ---- */

struct run {
	int status;		/* exit status; -1 when killed */
	char out[400000];
	char err[4096];
};

static const char *ringctl_path(void)
{
	static char path[4200];
	const char *env = getenv("RINGCTL");
	if (env && *env)
		return env;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(path, sizeof path, "%s/../control/ringctl", self);
	cr_assert_eq(access(path, X_OK), 0, "ringctl not found at %s", path);
	return path;
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	size_t len = 0;
	ssize_t n;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return len;
}

/* Runs ringctl with args (NULL-terminated, at most 8); RINGCTL_SOCKET is
 * env_sock when not NULL, else unset. */
static void run_ringctl(struct run *r, const char *env_sock, const char *const *args)
{
	const char *bin = ringctl_path();
	char *argv[10];
	int argc = 0;
	argv[argc++] = (char *)bin;
	for (; *args && argc < 9; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	/* the environment is built here: after fork only exec is safe */
	static char *envp[512];
	static char envsock[256];
	int ne = 0;
	for (char **e = environ; *e && ne < 510; e++)
		if (strncmp(*e, "RINGCTL_SOCKET=", 15) != 0)
			envp[ne++] = *e;
	if (env_sock) {
		snprintf(envsock, sizeof envsock, "RINGCTL_SOCKET=%s", env_sock);
		envp[ne++] = envsock;
	}
	envp[ne] = NULL;
	char outp[128], errp[128];
	snprintf(outp, sizeof outp, "%s/.out", tmpdir);
	snprintf(errp, sizeof errp, "%s/.err", tmpdir);
	int ofd = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(ofd >= 0 && efd >= 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		alarm(40);
		execve(bin, argv, envp);
		_exit(127);
	}
	close(ofd);
	close(efd);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp(outp, r->out, sizeof r->out);
	slurp(errp, r->err, sizeof r->err);
}

#define RUN(r, env, ...) run_ringctl(r, env, (const char *const[]){ __VA_ARGS__, NULL })

Test(serve, ringctl_ok_commands)
{
	static struct run r;
	RUN(&r, NULL, "-s", sockpath, "status");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "argc=1\nargv[0]=status\n");
	cr_assert_str_eq(r.err, "");

	RUN(&r, NULL, "--socket", sockpath, "reload", "example.com.");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "argc=2\nargv[0]=reload\nargv[1]=example.com.\n");

	RUN(&r, NULL, "-s", sockpath, "stats", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "{\"queries\": 42}\n");

	RUN(&r, NULL, "-s", sockpath, "stop");
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, "argc=1\nargv[0]=stop\n");

	/* a body far over 64 KiB */
	RUN(&r, NULL, "-s", sockpath, "zones");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(strlen(r.out), 10000 * strlen("zone00000.example. serial 2024000000\n"));
	cr_assert(strstr(r.out, "zone09999.example. serial 2024009999\n") != NULL);
	cr_assert_eq(atomic_load(&handled), 5);
}

Test(serve, ringctl_socket_from_environment)
{
	static struct run r;
	RUN(&r, sockpath, "status");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "argc=1\nargv[0]=status\n");
	/* -s wins over the environment */
	char missing[160];
	snprintf(missing, sizeof missing, "%s/missing.sock", tmpdir);
	RUN(&r, missing, "-s", sockpath, "zones");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
}

Test(serve, ringctl_err_exits_1)
{
	static struct run r;
	RUN(&r, NULL, "-s", sockpath, "reload", "bad.example.");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "ringctl: zone bad.example. is not configured\n");
}

Test(serve, ringctl_usage_errors_exit_2)
{
	static struct run r;
	RUN(&r, NULL, "-s", sockpath, "status", "extra");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "too many arguments") != NULL, "stderr: %s", r.err);
	RUN(&r, NULL, "-s", sockpath, "stats", "--xml");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "unknown option '--xml'") != NULL, "stderr: %s", r.err);
	RUN(&r, NULL, "-s", sockpath, "reload", "a b");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "printable ASCII without spaces") != NULL, "stderr: %s", r.err);
	RUN(&r, NULL, "-s");
	cr_assert_eq(r.status, 2);
	RUN(&r, NULL, "-s", sockpath, "frobnicate");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "unknown command 'frobnicate'") != NULL);
	RUN(&r, NULL, "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "reload [ZONE]") != NULL && strstr(r.out, "check-zone") != NULL);
	cr_assert_eq(atomic_load(&handled), 0, "nothing was sent");
}

Test(serve, ringctl_cannot_connect_exits_3)
{
	static struct run r;
	char missing[160], want[400];
	snprintf(missing, sizeof missing, "%s/missing.sock", tmpdir);
	RUN(&r, NULL, "-s", missing, "status");
	cr_assert_eq(r.status, 3);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof want,
		 "ringctl: cannot connect to %s: No such file or directory (is ringdns running?)\n",
		 missing);
	cr_assert_str_eq(r.err, want);
	/* a stale socket file: nobody listens */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	set_sun_path(&sa, missing);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	RUN(&r, NULL, "-s", missing, "status");
	cr_assert_eq(r.status, 3);
	cr_assert(strstr(r.err, "Connection refused (is ringdns running?)") != NULL, "stderr: %s",
		  r.err);
}

/* ---- the socket file ---- */

TestSuite(sockfile, .init = tmp_setup, .fini = tmp_teardown, .timeout = 60);

/* Serves one request on s from this thread: the client's request is
 * queued before ctlsock_serve() runs. */
static void check_serves(struct ctlsock *s, const char *path)
{
	int fd = connect_to(path);
	cr_assert_eq(send(fd, "RINGCTL/1 ping\n", 15, MSG_NOSIGNAL), 15);
	cr_assert_eq(ctlsock_serve(s, test_handler, NULL), 1);
	struct resp r = read_all(fd);
	cr_assert_str_eq(r.data, "RINGCTL/1 OK\nargc=1\nargv[0]=ping\n");
	free(r.data);
	close(fd);
	/* nothing pending: returns at once */
	cr_assert_eq(ctlsock_serve(s, test_handler, NULL), 0);
}

static struct ctlsock *open_ok(const char *path)
{
	struct ctlsock *s;
	char err[256];
	if (ctlsock_open(&s, path, err, sizeof err) != 0)
		cr_assert_fail("ctlsock_open %s: %s", path, err);
	return s;
}

static void open_fails(const char *path, const char *want_err)
{
	struct ctlsock *s = (struct ctlsock *)1;
	char err[512];
	cr_assert_eq(ctlsock_open(&s, path, err, sizeof err), -1, "opened %s", path);
	cr_assert_null(s);
	cr_assert_str_eq(err, want_err);
}

Test(sockfile, mode_is_0600_whatever_the_umask)
{
	const mode_t umasks[] = { 0, 022, 0177, 0377 };
	for (size_t i = 0; i < sizeof umasks / sizeof *umasks; i++) {
		mode_t old = umask(umasks[i]);
		struct ctlsock *s = open_ok(sockpath);
		umask(old);
		struct stat st;
		cr_assert_eq(lstat(sockpath, &st), 0);
		cr_assert(S_ISSOCK(st.st_mode));
		cr_assert_eq(st.st_mode & 07777, 0600, "mode %o with umask %o", st.st_mode & 07777,
			     umasks[i]);
		cr_assert_eq(st.st_uid, geteuid());
		check_serves(s, sockpath);
		ctlsock_close(s);
		cr_assert_eq(lstat(sockpath, &st), -1, "ctlsock_close removes the socket");
		cr_assert_eq(errno, ENOENT);
	}
}

Test(sockfile, stale_socket_is_replaced)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	set_sun_path(&sa, sockpath);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);	/* the file stays, nobody listens */
	cr_assert_eq(chmod(sockpath, 0755), 0);
	struct ctlsock *s = open_ok(sockpath);
	struct stat st;
	cr_assert_eq(lstat(sockpath, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "a new socket file");
	check_serves(s, sockpath);
	ctlsock_close(s);
}

Test(sockfile, socket_in_use_is_refused)
{
	struct ctlsock *s = open_ok(sockpath);
	char want[256];
	snprintf(want, sizeof want,
		 "control socket %s is in use by another process (is ringdns-control already "
		 "running?)", sockpath);
	open_fails(sockpath, want);
	/* the first server sees the probe as a client that sent nothing */
	atomic_store(&handled, 0);
	cr_assert_eq(ctlsock_serve(s, test_handler, NULL), 1);
	cr_assert_eq(atomic_load(&handled), 0);
	/* and keeps its socket */
	check_serves(s, sockpath);
	ctlsock_close(s);
}

/* Serves s from this thread for ms milliseconds. */
static void serve_for(struct ctlsock *s, int ms)
{
	int64_t end = now_ms() + ms;
	while (now_ms() < end) {
		struct pollfd p = { .fd = ctlsock_fd(s), .events = POLLIN };
		poll(&p, 1, 10);
		ctlsock_serve(s, test_handler, NULL);
	}
}

/* control-max-clients 2: a third client takes the place of a silent one
 * (told so); when both are taking answers, it is refused with an error
 * it can read; the server serves on. */
Test(sockfile, max_clients)
{
	struct ctlsock *s = open_ok(sockpath);
	ctlsock_set_max_clients(s, 2);
	int a = connect_to(sockpath), b = connect_to(sockpath);
	serve_for(s, 50);
	int c = connect_to(sockpath);
	cr_assert_eq(send(c, "RINGCTL/1 ping\n", 15, MSG_NOSIGNAL), 15);
	serve_for(s, 50);
	struct resp r = read_all(c);
	cr_assert_str_eq(r.data, "RINGCTL/1 OK\nargc=1\nargv[0]=ping\n");
	free(r.data);
	r = read_all(a);
	cr_assert_str_eq(r.data, "RINGCTL/1 ERR timed out waiting for the request line (2 "
			 "clients at once, control-max-clients)\n");
	free(r.data);
	close(a);
	close(c);
	/* two clients not reading answers of 1 MB each: both slots busy */
	int big[2];
	for (int i = 0; i < 2; i++) {
		big[i] = connect_to(sockpath);
		cr_assert_eq(send(big[i], "RINGCTL/1 big 1000000\n", 22, MSG_NOSIGNAL), 22);
	}
	close(b);
	serve_for(s, 100);
	int d = connect_to(sockpath);
	cr_assert_eq(send(d, "RINGCTL/1 ping\n", 15, MSG_NOSIGNAL), 15);
	serve_for(s, 50);
	r = read_all(d);
	cr_assert_str_eq(r.data, "RINGCTL/1 ERR too many control clients at once (2, "
			 "control-max-clients); try again\n");
	free(r.data);
	close(d);
	/* the busy ones go (one reads, one leaves): served again */
	close(big[1]);
	serve_for(s, 50);
	cr_assert_eq(fcntl(big[0], F_SETFL, 0), 0);
	int64_t t0 = now_ms();
	size_t got = 0;
	while (got < 1000000 + 13 && now_ms() - t0 < 5000) {
		char buf[65536];
		ssize_t n = recv(big[0], buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		ctlsock_serve(s, test_handler, NULL);
	}
	cr_assert_eq(got, 13 + 1000000, "got %zu", got);
	close(big[0]);
	check_serves(s, sockpath);
	ctlsock_close(s);
}

Test(sockfile, non_socket_path_is_refused)
{
	zt_write(tmpdir, "ctl.sock", "precious\n");
	char want[256];
	snprintf(want, sizeof want,
		 "control socket path %s exists and is not a socket; remove it or choose another "
		 "path", sockpath);
	open_fails(sockpath, want);
	char buf[64];
	slurp(sockpath, buf, sizeof buf);
	cr_assert_str_eq(buf, "precious\n", "the file is left alone");
	/* a directory, and a symlink to a socket, are not sockets either */
	char dir[128];
	snprintf(dir, sizeof dir, "%s/adir", tmpdir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(want, sizeof want,
		 "control socket path %s exists and is not a socket; remove it or choose another "
		 "path", dir);
	open_fails(dir, want);
}

Test(sockfile, too_long_path_is_refused)
{
	char path[200], want[400];
	struct sockaddr_un sa;
	/* the longest path that fits works */
	size_t max = sizeof sa.sun_path - 1;
	int n = snprintf(path, sizeof path, "%s/", tmpdir);
	memset(path + n, 's', max - (size_t)n);
	path[max] = '\0';
	struct ctlsock *s = open_ok(path);
	check_serves(s, path);
	ctlsock_close(s);
	/* one byte more does not */
	memset(path + n, 's', max + 1 - (size_t)n);
	path[max + 1] = '\0';
	snprintf(want, sizeof want,
		 "control socket path %s is too long (%zu bytes; a Unix socket path holds at "
		 "most %zu)", path, max + 1, max);
	open_fails(path, want);
	open_fails("", "control socket path is empty");
}

Test(sockfile, missing_parent_is_created_0700)
{
	char dir[128], path[160];
	snprintf(dir, sizeof dir, "%s/run", tmpdir);
	snprintf(path, sizeof path, "%s/ringdns.sock", dir);
	mode_t old = umask(022);
	struct ctlsock *s = open_ok(path);
	umask(old);
	struct stat st;
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0700, "mode %o", st.st_mode & 07777);
	check_serves(s, path);
	ctlsock_close(s);
	/* an existing parent keeps its mode */
	cr_assert_eq(chmod(dir, 0750), 0);
	s = open_ok(path);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0750);
	ctlsock_close(s);
	/* only the last directory is created */
	char deep[160], want[400];
	snprintf(deep, sizeof deep, "%s/a/b/c.sock", tmpdir);
	snprintf(want, sizeof want,
		 "cannot create directory %s/a/b for the control socket: No such file or "
		 "directory (create its parent directories first)", tmpdir);
	open_fails(deep, want);
	/* a parent that is a file */
	zt_write(tmpdir, "file", "x\n");
	snprintf(deep, sizeof deep, "%s/file/c.sock", tmpdir);
	snprintf(want, sizeof want,
		 "cannot create control socket %s: %s/file is not a directory", deep, tmpdir);
	open_fails(deep, want);
}

Test(sockfile, close_removes_only_its_own_socket)
{
	struct ctlsock *s = open_ok(sockpath);
	/* someone replaced the file meanwhile */
	cr_assert_eq(unlink(sockpath), 0);
	zt_write(tmpdir, "ctl.sock", "new\n");
	ctlsock_close(s);
	char buf[16];
	slurp(sockpath, buf, sizeof buf);
	cr_assert_str_eq(buf, "new\n");
	ctlsock_close(NULL);
}

/* ---- response objects ---- */

Test(ctl_out, body_error_and_limits)
{
	struct ctl_out *o = ctl_out_new();
	cr_assert_not_null(o);
	size_t len;
	cr_assert_str_eq(ctl_out_body(o, &len), "");
	cr_assert_eq(len, 0);
	cr_assert_null(ctl_out_error(o));
	ctl_printf(o, "a=%d %s\n", 1, "two");
	ctl_write(o, "xyz", 3);
	cr_assert_str_eq(ctl_out_body(o, &len), "a=1 two\nxyz");
	cr_assert_eq(len, 11);
	cr_assert_eq(ctl_error(o, "line1\nline2\r\x01"), -1);
	cr_assert_str_eq(ctl_out_error(o), "line1 line2  ");
	/* a long message is cut, never inside a UTF-8 character */
	char big[1200];
	memset(big, 'x', 999);
	strcpy(big + 999, "\xc3\xa9tail");
	ctl_error(o, "%s", big);
	cr_assert_eq(strlen(ctl_out_error(o)), 999);
	memset(big, 'y', 998);
	strcpy(big + 998, "\xc3\xa9tail");
	ctl_error(o, "%s", big);
	cr_assert_eq(strlen(ctl_out_error(o)), 1000);
	ctl_out_free(o);

	/* the body stops at CTL_BODY_MAX */
	o = ctl_out_new();
	char *chunk = malloc(CTL_BODY_MAX);
	memset(chunk, 'z', CTL_BODY_MAX);
	ctl_write(o, chunk, CTL_BODY_MAX - 1);
	ctl_printf(o, "!");
	ctl_out_body(o, &len);
	cr_assert_eq(len, CTL_BODY_MAX);
	ctl_printf(o, "?");
	ctl_out_body(o, &len);
	cr_assert_eq(len, CTL_BODY_MAX, "nothing appended past the limit");
	free(chunk);
	ctl_out_free(o);
}
