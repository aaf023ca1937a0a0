/*
 * fuzz_ctlproto.c - libFuzzer target: the control socket's protocol
 * (doc/control-protocol.md) without a socket.  The first byte chooses:
 *   0: a request line as the server reads it (control/ctlsock.c
 *      ctl_parse_request); an accepted one is built again by the client
 *      (control/ctlclient.c ctlc_build_request), which must give the same
 *      line, and run through the command dispatcher (control/commands.c
 *      cmd_handle) on a control process with two zones and no dataplane,
 *      for the commands and arguments that need none (a request that
 *      would ask the dataplane or load a zone stops at parsing);
 *   1: an answer as ringctl reads it (ctlc_parse_reply);
 *   2: ringctl's arguments, split at NUL bytes: a request the client
 *      builds must parse on the server into the same arguments;
 *   3: text for an ERR message and a body (ctl_error, ctl_write).
 * Invariants beyond no crash, no sanitizer report, no leak: those round
 * trips; an ERR message is one line of printable text of at most 1000
 * bytes; an answer's body lies inside the answer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "control/ctl.h"
#include "control/ctlclient.h"
#include "control/ctlsock.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl ctl;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	cfg_init(&ctl.cfg);
	ctl.dp = ctl.xfr = ctl.wake_fd = -1;
	ctl.z = calloc(2, sizeof *ctl.z);
	if (!ctl.z)
		abort();
	ctl.nz = 2;
	snprintf(ctl.z[0].name, sizeof ctl.z[0].name, "example.com.");
	ctl.z[0].served = true;
	ctl.z[0].serial = 2024010101;
	ctl.z[0].records = 42;
	ctl.z[0].loaded_at = 1700000000;
	snprintf(ctl.z[1].name, sizeof ctl.z[1].name, "broken.example.");
	snprintf(ctl.z[1].error, sizeof ctl.z[1].error, "broken.zone:3: bad TTL");
	for (size_t i = 0; i < ctl.nz; i++)
		ctl.z[i].img_fd = ctl.z[i].xfr_errfd = -1;
	return 0;
}

/* An ERR message as the server sends it: one line, printable ASCII
 * (UTF-8 kept), at most 1000 bytes. */
static void check_message(const char *m)
{
	size_t l = strlen(m);
	fz_check(l <= 1000, "an ERR message keeps at most 1000 bytes");
	for (size_t i = 0; i < l; i++)
		fz_check((unsigned char)m[i] >= 0x20 && m[i] != 0x7f,
		      "an ERR message has no control characters");
}

/* Whether running the request needs the dataplane or loads a zone. */
static bool needs_process(int argc, char **argv)
{
	const char *c = argv[0];
	if (argc == 1 && (!strcmp(c, "status") || !strcmp(c, "health") || !strcmp(c, "stop") ||
			  !strcmp(c, "stats") || !strcmp(c, "reload")))
		return true;
	if (argc == 2 && !strcmp(c, "stats") && !strcmp(argv[1], "--json"))
		return true;
	return argc == 2 && !strcmp(c, "reload") && zj_find(&ctl, argv[1]);
}

static void dispatch(int argc, char **argv)
{
	if (needs_process(argc, argv))
		return;
	struct ctl_out *o = ctl_out_new();
	if (!o)
		return;
	int rc = cmd_handle(&ctl, argc, argv, o);
	const char *m = ctl_out_error(o);
	if (m)
		check_message(m);
	fz_check(rc == 0 || m, "a failed command says why");
	size_t len;
	const char *body = ctl_out_body(o, &len);
	fz_check(strlen(body) == len, "a body is text");
	ctl_out_free(o);
}

static void request(const uint8_t *p, size_t n)
{
	char line[CTL_REQ_MAX + 1], copy[CTL_REQ_MAX + 1], built[CTL_REQ_MAX + 1];
	char msg[160], err[256];
	char *argv[CTL_ARGS_MAX + 2];
	const char *why = NULL;
	/* as read_request: the bytes before the first '\n', of at most
	 * CTL_REQ_MAX - 1 */
	const uint8_t *nl = memchr(p, '\n', n);
	size_t len = nl ? (size_t)(nl - p) : n;
	if (len >= CTL_REQ_MAX)
		return;
	memcpy(line, p, len);
	line[len] = 0;
	memcpy(copy, line, len + 1);
	int argc = ctl_parse_request(line, len, argv, msg, sizeof msg, &why);
	if (argc == 0) {
		fz_check(why && *why, "a refused request says why");
		return;
	}
	fz_check(argc <= 1 + CTL_ARGS_MAX && !argv[argc], "argv ends within its room");
	int blen = ctlc_build_request(built, sizeof built, argc, argv, err, sizeof err);
	fz_check(blen > 0, "an accepted request can be built by the client");
	fz_check((size_t)blen == len + 1 && !memcmp(built, copy, len) && built[len] == '\n',
	      "the client builds the request line the server accepted");
	dispatch(argc, argv);
}

static void reply(const uint8_t *p, size_t n)
{
	char *raw = fz_text(p, n);
	if (!raw)
		return;
	struct ctlc_reply r;
	char err[256];
	memset(&r, 0, sizeof r);
	if (ctlc_parse_reply(raw, n, &r, "/run/fuzz.sock", err, sizeof err) == 0) {
		fz_check(r.body >= raw && r.body <= raw + n && r.body + r.body_len == raw + n,
		      "the body is the rest of the answer");
		fz_check(r.msg >= raw && r.msg < r.body, "the message is in the status line");
		fz_check(!r.ok || !*r.msg, "OK has no message");
	} else {
		fz_check(err[0] != 0, "a refused answer says why");
	}
	free(raw);
}

static void client_args(const uint8_t *p, size_t n)
{
	char *text = fz_text(p, n);
	if (!text)
		return;
	char *argv[CTL_ARGS_MAX + 8], *sargv[CTL_ARGS_MAX + 2];
	int argc = 0;
	for (size_t i = 0; i <= n && argc < CTL_ARGS_MAX + 4; i += strlen(text + i) + 1)
		argv[argc++] = text + i;
	argv[argc] = NULL;
	char line[CTL_REQ_MAX + 1], msg[160], err[256];
	const char *why = NULL;
	ctlc_is_command(argv[0]);
	int len = ctlc_build_request(line, sizeof line, argc, argv, err, sizeof err);
	if (len > 0) {
		fz_check((size_t)len <= CTL_REQ_MAX && line[len - 1] == '\n', "a request fits");
		line[len - 1] = 0;
		int sargc = ctl_parse_request(line, (size_t)len - 1, sargv, msg, sizeof msg, &why);
		if (sargc != argc)
			fprintf(stderr, "server: %s\n", why ? why : "?");
		fz_check(sargc == argc, "the server takes what the client sends");
		for (int i = 0; i < argc; i++)
			fz_check(!strcmp(argv[i], sargv[i]), "the server reads the client's arguments");
	}
	free(text);
}

static void out_text(const uint8_t *p, size_t n)
{
	char *text = fz_text(p, n);
	if (!text)
		return;
	struct ctl_out *o = ctl_out_new();
	if (o) {
		ctl_write(o, p, n);
		fz_check(ctl_error(o, "zone %s: %s", text, text) == -1, "ctl_error returns -1");
		check_message(ctl_out_error(o));
		size_t len;
		const char *body = ctl_out_body(o, &len);
		fz_check(len == n && !memcmp(body, p, n), "the body is what was written");
		ctl_out_free(o);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		request(data + 1, size - 1);
		break;
	case 1:
		reply(data + 1, size - 1);
		break;
	case 2:
		client_args(data + 1, size - 1);
		break;
	default:
		out_text(data + 1, size - 1);
	}
	return 0;
}
