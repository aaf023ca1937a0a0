/*
 * ctlsock.h - the server side of the operator's control socket (protocol
 * RINGCTL/1, doc/control-protocol.md): a Unix stream socket that only the
 * owner (or root) may use, one request line per connection, answered with
 * "RINGCTL/1 OK" or "RINGCTL/1 ERR <message>" and a text body.
 *
 * The module frames, checks and splits requests; the caller's handler
 * executes them.  It is single-threaded and never waits on a client: up
 * to control-max-clients are served at once, each as far as its socket
 * allows whenever ctlsock_serve() runs (from the control process's poll
 * loop), within CTL_READ_TIMEOUT_MS for the request line and
 * CTL_WRITE_TIMEOUT_MS for taking the answer.
 */
#ifndef RINGDNS_CTLSOCK_H
#define RINGDNS_CTLSOCK_H

#include <stddef.h>

#define CTL_PROTO		"RINGCTL/1"
#define CTL_DEFAULT_SOCKET	"/run/ringdns/ringdns.sock"
/* A request line, including its '\n'. */
#define CTL_REQ_MAX		4096
/* Arguments after the command. */
#define CTL_ARGS_MAX		16
/* A response body; a handler that writes more gets an ERR answer. */
#define CTL_BODY_MAX		(1u << 20)
/* Clients served at once: the default and the most (control-max-clients). */
#define CTL_MAX_CLIENTS_DEFAULT	16
#define CTL_MAX_CLIENTS_MAX	1024
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
/* The descriptor to poll for POLLIN: readable when a client connects or
 * a client being served can go on (an epoll set of the listener and the
 * clients). */
int ctlsock_fd(const struct ctlsock *s);
/* Accepts the pending clients (checking their credentials: uid ==
 * geteuid() or 0) and serves every client as far as it can without
 * waiting: reads and checks request lines, calls h for each well-formed
 * one, sends answers, closes finished connections, and ends the clients
 * past their deadline.  Call it when ctlsock_fd() is readable and when
 * ctlsock_wait_ms() has run out.  Returns 1 when a client was accepted,
 * served or ended, 0 when there was nothing to do. */
int ctlsock_serve(struct ctlsock *s, ctl_handler h, void *ud);
/* Milliseconds until the first client's deadline (0: due now; -1: no
 * client), for the caller's poll timeout. */
int ctlsock_wait_ms(const struct ctlsock *s);
/* Clients served at once (1..CTL_MAX_CLIENTS_MAX; default
 * CTL_MAX_CLIENTS_DEFAULT).  A client connecting when all are taken
 * takes the place of the one waited for longest, which is told it timed
 * out; when every one is being answered, it is refused with an ERR.
 * Both logged once per burst. */
void ctlsock_set_max_clients(struct ctlsock *s, unsigned n);
/* Closes the socket and removes its path (only if it is still the socket
 * this object created).  NULL is fine. */
void ctlsock_close(struct ctlsock *s);

#endif
