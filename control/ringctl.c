/*
 * ringctl.c - the operator's command-line tool.  For now it has the
 * offline commands; the control-socket commands (status, reload, zones,
 * stats, stop) arrive with the server.
 */
#include <stdio.h>
#include <string.h>

#include "checkzone.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringctl COMMAND [ARGS]\n"
		"commands:\n"
		"  check-zone [--dump] ORIGIN FILE   parse and check a zone file\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "check-zone") == 0)
		return ctl_check_zone(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "ringctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
