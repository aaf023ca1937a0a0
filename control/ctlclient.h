/*
 * ctlclient.h - ringctl's online commands (status, reload, zones, stats,
 * stop): one RINGCTL/1 request over the control socket of a running
 * ringdns-control, answer printed for the operator.
 */
#ifndef RINGDNS_CTLCLIENT_H
#define RINGDNS_CTLCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ringctl's exit statuses. */
#define CTLC_EXIT_OK		0	/* the server answered OK */
#define CTLC_EXIT_ERR		1	/* the server answered ERR */
#define CTLC_EXIT_USAGE		2	/* bad command line */
#define CTLC_EXIT_NOCONN	3	/* no answer: cannot connect, timeout, garbage */

/* Connect plus request plus the whole answer must fit in this. */
#define CTLC_TIMEOUT_MS		600000	/* a reload of a 10M-name zone takes a while */
/* Largest answer accepted (the server caps bodies at 1 MiB today). */
#define CTLC_REPLY_MAX		(16u << 20)

/* An answer. */
struct ctlc_reply {
	bool ok;		/* OK, else ERR */
	char *msg;		/* the ERR message ("" for OK) */
	char *body;		/* NUL-terminated body, body_len bytes */
	size_t body_len;
	char *raw;		/* the allocation msg and body point into */
};

/* Sends "RINGCTL/1 argv[0] argv[1] ..." to the socket at path and reads
 * the answer within timeout_ms.  0, or a CTLC_EXIT_* status (NOCONN or
 * USAGE) with the reason in err.  Free the reply with ctlc_reply_free(). */
int ctlc_request(const char *path, int argc, char *const *argv, int timeout_ms,
		 struct ctlc_reply *r, char *err, size_t errcap);
void ctlc_reply_free(struct ctlc_reply *r);

/* Builds "RINGCTL/1 CMD ARG...\n" (NUL-terminated) into line (cap bytes:
 * CTL_REQ_MAX + 1); its length, or -1 with err when an argument cannot be
 * sent. */
int ctlc_build_request(char *line, size_t cap, int argc, char *const *argv, char *err,
		       size_t errcap);
/* Splits an answer (raw: len bytes, NUL-terminated) in place into r's
 * status and body (r->raw left alone); 0, or -1 with err naming path. */
int ctlc_parse_reply(char *raw, size_t len, struct ctlc_reply *r, const char *path,
		     char *err, size_t errcap);

/* Whether ringctl handles name through the control socket. */
bool ctlc_is_command(const char *name);
/* Runs one online command (argv[0] is its name) against the socket at
 * path (NULL: $RINGCTL_SOCKET, else CTL_DEFAULT_SOCKET); prints the
 * answer; returns the exit status. */
int ctlc_run(const char *path, int argc, char **argv);
/* The usage lines of the online commands. */
void ctlc_usage(FILE *f);

#endif
