/*
 * ringctl.c - the operator's command-line tool: the offline check-zone,
 * and the online commands (status, reload, zones, stats, stop) that talk
 * to a running ringdns-control over its control socket (ctlclient.c).
 */
#include <stdio.h>
#include <string.h>

#include "control/checkzone.h"
#include "control/ctlclient.h"
#include "control/ctlsock.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringctl [-s PATH] COMMAND [ARGS]\n"
		"options:\n"
		"  -s, --socket PATH                control socket (default: $RINGCTL_SOCKET,\n"
		"                                   else " CTL_DEFAULT_SOCKET ")\n"
		"commands:\n");
	ctlc_usage(f);
	fprintf(f,
		"  check-zone [--dump] [--zone-max-mb N] [--zone-max-records N] ORIGIN FILE\n"
		"                                   parse and check a zone file (offline)\n"
		"exit status: 0 ok, 1 the server reported an error, 2 usage error,\n"
		"             3 no answer from the server\n");
}

static int is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "help") == 0;
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	int i = 1;
	while (i < argc && argv[i][0] == '-' && !is_help(argv[i])) {
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ringctl: %s needs a socket path\n", argv[i]);
				usage(stderr);
				return 2;
			}
			sock = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--socket=", 9) == 0) {
			sock = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "ringctl: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (is_help(argv[i])) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[i], "check-zone") == 0)
		return ctl_check_zone(argc - i, argv + i);
	if (ctlc_is_command(argv[i])) {
		if (sock && !*sock) {
			fprintf(stderr, "ringctl: the socket path is empty\n");
			return 2;
		}
		return ctlc_run(sock, argc - i, argv + i);
	}
	fprintf(stderr, "ringctl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
