/*
 * checkzone.c - `ringctl check-zone [--dump] ORIGIN FILE`.
 *
 * Exit 0 with one summary line for a usable zone; exit 1 with one
 * "FILE:LINE: error: ..." line per problem for a rejected one; exit 2 for
 * bad usage.  --dump prints every record of a valid zone in presentation
 * form, one per line (owner TTL class type rdata), for comparisons.
 * The zone size limits default to the server's (limits.h); the flags set
 * them as server.zone-max-mb and server.zone-max-records do.
 */
#include "control/checkzone.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/diag.h"
#include "zones/dname.h"
#include "zones/limits.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/zone.h"

static void print_diag(void *ud, enum diag_sev sev, const char *file,
		       unsigned line, const char *msg)
{
	(void)ud;
	const char *what = sev == DIAG_ERROR ? "error" : "warning";
	if (file && line)
		fprintf(stderr, "%s:%u: %s: %s\n", file, line, what, msg);
	else if (file)
		fprintf(stderr, "%s: %s: %s\n", file, what, msg);
	else
		fprintf(stderr, "%s: %s\n", what, msg);
}

struct dump {
	char *buf;
	size_t cap;
};

static int dump_rr(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
		   const uint8_t *rdata, uint16_t rdlen)
{
	struct dump *d = ud;
	char on[DNAME_TEXT_MAX], tn[32];
	dname_to_text(on, sizeof on, owner);
	rrtype_to_text(type, tn, sizeof tn);
	if (rdata_to_text(type, rdata, rdlen, d->buf, d->cap) < 0)
		return -1;
	printf("%s %u IN %s %s\n", on, ttl, tn, d->buf);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ringctl check-zone [--dump] [--zone-max-mb N] "
		"[--zone-max-records N] ORIGIN FILE\n");
}

/* The value of flag argv[*i] (1..hi) into *v; false after a message. */
static bool limit_arg(int argc, char **argv, int *i, unsigned long long hi,
		      unsigned long long *v)
{
	const char *flag = argv[*i];
	char *end;
	if (*i + 1 >= argc) {
		fprintf(stderr, "ringctl check-zone: %s needs a value\n", flag);
		return false;
	}
	const char *val = argv[++*i];
	errno = 0;
	*v = strtoull(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-' || *v < 1 || *v > hi) {
		fprintf(stderr, "ringctl check-zone: %s: '%s' is not a number in 1..%llu\n", flag,
			val, hi);
		return false;
	}
	return true;
}

int ctl_check_zone(int argc, char **argv)
{
	bool dump = false;
	unsigned long long max_mb = ZONE_MAX_MB_DEFAULT, max_records = ZONE_MAX_RECORDS_DEFAULT;
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--dump") == 0) {
			dump = true;
		} else if (strcmp(argv[i], "--zone-max-mb") == 0) {
			if (!limit_arg(argc, argv, &i, 1048576, &max_mb))
				return 2;
		} else if (strcmp(argv[i], "--zone-max-records") == 0) {
			if (!limit_arg(argc, argv, &i, 4000000000ull, &max_records))
				return 2;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "ringctl check-zone: unknown option %s\n", argv[i]);
			usage();
			return 2;
		}
	}
	if (argc - i != 2) {
		usage();
		return 2;
	}
	const char *origin_txt = argv[i], *path = argv[i + 1];
	uint8_t origin[DNAME_MAX];
	size_t olen = strlen(origin_txt);
	/* the origin is absolute whether or not it ends with a dot */
	int r = dname_from_text(origin, origin_txt, olen, (const uint8_t *)"");
	if (r < 0) {
		fprintf(stderr, "ringctl check-zone: bad origin '%s': %s\n", origin_txt,
			dname_strerror(r));
		return 2;
	}

	struct diag d = { .fn = print_diag };
	struct zone *z = zone_load_file_max(origin, path, (uint64_t)max_mb << 20, max_records, &d);
	char on[DNAME_TEXT_MAX];
	dname_to_text(on, sizeof on, origin);
	if (!z || d.errors) {
		fprintf(stderr, "%s: zone %s: %u error%s, %u warning%s, zone rejected\n", path,
			on, d.errors, d.errors == 1 ? "" : "s", d.warnings,
			d.warnings == 1 ? "" : "s");
		zone_free(z);
		return 1;
	}
	struct zone_stats st;
	zone_get_stats(z, &st);
	if (dump) {
		struct dump dd = { .cap = 5 * RDATA_MAX + 64 };
		dd.buf = malloc(dd.cap);
		if (!dd.buf || zone_foreach(z, dump_rr, &dd) != 0) {
			fprintf(stderr, "ringctl check-zone: cannot print the zone\n");
			free(dd.buf);
			zone_free(z);
			return 1;
		}
		free(dd.buf);
	}
	/* with --dump, stdout holds only the records */
	FILE *out = dump ? stderr : stdout;
	fprintf(out, "%s: OK: zone %s, %zu records, %zu names, %zu RRsets, serial %u, %s",
		path, on, st.records, st.names, st.rrsets, st.serial,
		!st.dnssec ? "unsigned" : st.nsec3 ? "signed (NSEC3)" : "signed (NSEC)");
	if (st.duplicates || d.warnings)
		fprintf(out, " (%zu duplicates dropped, %u warnings)", st.duplicates, d.warnings);
	fprintf(out, "\n");
	zone_free(z);
	return 0;
}
