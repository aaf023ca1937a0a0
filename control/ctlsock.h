/*
 * ctlsock.h - the server side of the operator's control socket (protocol
 * RINGCTL/1, doc/control-protocol.md): a Unix stream socket that only the
 * owner (or root) may use, one request line per connection, answered with
 * "RINGCTL/1 OK" or "RINGCTL/1 ERR <message>" and a text body.
 *
 * The module frames, checks and splits requests; the caller's handler
 * executes them.  It is single-threaded: ctlsock_serve() handles one
 * client from start to finish (bounded by CTL_READ_TIMEOUT_MS and
 * CTL_WRITE_TIMEOUT_MS), so call it from the control process's poll loop.
 */
#ifndef RINGDNS_CTLSOCK_H
#define RINGDNS_CTLSOCK_H

#include <signal.h>
#include <stddef.h>

#define CTL_PROTO		"RINGCTL/1"
#define CTL_DEFAULT_SOCKET	"/run/ringdns/ringdns.sock"
/* A request line, including its '\n'. */
#define CTL_REQ_MAX		4096
/* Arguments after the command. */
#define CTL_ARGS_MAX		16
/* A response body; a handler that writes more gets an ERR answer. */
#define CTL_BODY_MAX		(1u << 20)
/* Whole request line must arrive within this time of the accept. */
#define CTL_READ_TIMEOUT_MS	2000
/* Whole response must be taken by the client within this time. */
#define CTL_WRITE_TIMEOUT_MS	5000

/* A response under construction: body text and, on failure, the message. */
struct ctl_out;

/* Appends text to the body.  Past CTL_BODY_MAX (or out of memory) the
 * response turns into an ERR saying so. */
void ctl_printf(struct ctl_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends len raw bytes to the body (same limit). */
void ctl_write(struct ctl_out *o, const void *data, size_t len);
/* Sets the ERR message (one line: control characters become spaces, at
 * most 1000 bytes kept); the last call wins.  Returns -1 so a handler can
 * `return ctl_error(out, "zone %s not found", name);`. */
int ctl_error(struct ctl_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Runs one request.  argv[0] is the command, argv[1..argc-1] its
 * arguments (each non-empty printable ASCII without spaces), argv[argc] is
 * NULL; argc <= 1 + CTL_ARGS_MAX.  Returns 0 for OK; nonzero, or a call
 * to ctl_error(), makes the answer an ERR (the message defaults to
 * "COMMAND failed").  The body is sent with OK and with ERR alike.
 * Unknown commands are the handler's to reject. */
typedef int (*ctl_handler)(void *ud, int argc, char **argv, struct ctl_out *out);

/* Response objects outside the socket (for testing handlers directly). */
struct ctl_out *ctl_out_new(void);
void ctl_out_free(struct ctl_out *o);
/* The body so far (NUL-terminated; len may be NULL). */
const char *ctl_out_body(const struct ctl_out *o, size_t *len);
/* The ERR message, or NULL when none has been set. */
const char *ctl_out_error(const struct ctl_out *o);

/* Checks a request line (len bytes, without its '\n', NUL-terminated)
 * and splits it in place into argv (room: CTL_ARGS_MAX + 2; command
 * first, NULL-terminated).  Returns argc, or 0 with the reason in *why (a
 * static string, or msg filled in). */
int ctl_parse_request(char *line, size_t len, char **argv, char *msg, size_t msgcap,
		      const char **why);

struct ctlsock;

/* Creates the listening socket at path, mode 0600.  Creates the parent
 * directory (mode 0700) when it is missing; replaces a stale socket file
 * that nobody listens on; refuses a path where a server already listens,
 * or that exists and is not a socket, or that does not fit sun_path.
 * 0, or -1 with the reason in err. */
int ctlsock_open(struct ctlsock **out, const char *path, char *err, size_t errcap);
/* The listening descriptor (non-blocking): poll it for POLLIN. */
int ctlsock_fd(const struct ctlsock *s);
/* Accepts one pending client and serves it completely: checks its
 * credentials (uid == geteuid() or 0), reads and checks the request,
 * calls h for a well-formed one, sends the answer and closes.  Returns 1
 * when a client was handled, 0 when none was pending (or accept failed
 * transiently; failures are logged). */
int ctlsock_serve(struct ctlsock *s, ctl_handler h, void *ud);
/* Makes the waits for a client being served (its request line, taking
 * the answer) give up once *flag is non-zero (a signal handler may set
 * it), so that a slow or silent client does not hold a stop back.  NULL,
 * the default: only the timeouts end them. */
void ctlsock_set_cancel(struct ctlsock *s, const volatile sig_atomic_t *flag);
/* Closes the socket and removes its path (only if it is still the socket
 * this object created).  NULL is fine. */
void ctlsock_close(struct ctlsock *s);

#endif
