/*
 * compile_bench.c - times the snapshot compiler and validator on one zone:
 *
 *   compile_bench FILE ORIGIN
 *
 * Loads and checks the zone (not timed as part of the figures), then times
 * zc_compile_shed (as ringdns-control compiles) and snap_open separately,
 * and prints records, image bytes, bytes per record, compile and open
 * (validate) seconds (wall, and CPU time of the thread, steadier on a busy
 * machine), the checksum's speed, and peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/snap.h"
#include "zones/zone.h"

static double clk(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clk(CLOCK_MONOTONIC);
}

/* CPU time (user + system) of this thread: steadier than wall time on a
 * busy machine. */
static double cpu(void)
{
	return clk(CLOCK_THREAD_CPUTIME_ID);
}

static void report(void *ud, enum diag_sev sev, const char *file, unsigned line,
		   const char *msg)
{
	(void)ud;
	if (sev == DIAG_ERROR)
		fprintf(stderr, "%s:%u: error: %s\n", file ? file : "-", line, msg);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: compile_bench FILE ORIGIN\n");
		return 2;
	}
	uint8_t origin[DNAME_MAX];
	if (dname_from_text(origin, argv[2], strlen(argv[2]),
			    (const uint8_t *)"") < 0) {
		fprintf(stderr, "bad origin %s\n", argv[2]);
		return 2;
	}
	struct diag d = { .fn = report };
	double t0 = now();
	struct zone *z = zone_load_file(origin, argv[1], &d);
	double t1 = now();
	if (!z || d.errors) {
		fprintf(stderr, "zone refused (%u errors)\n", d.errors);
		zone_free(z);
		return 1;
	}
	struct zone_stats st;
	zone_get_stats(z, &st);

	char err[256];
	void *img;
	size_t size;
	double c2 = cpu(), t2 = now();
	/* as ringdns-control compiles: the zone's index goes once collected */
	if (zc_compile_shed(z, &img, &size, err, sizeof err) < 0) {
		fprintf(stderr, "compile: %s\n", err);
		zone_free(z);
		return 1;
	}
	double t3 = now(), c3 = cpu();
	struct snap *s;
	if (snap_open(img, size, &s, err, sizeof err) < 0) {
		fprintf(stderr, "open: %s\n", err);
		free(img);
		zone_free(z);
		return 1;
	}
	double t4 = now(), c4 = cpu();
	double t5 = now();
	uint64_t ck = snap_checksum(img, size);
	double t6 = now();

	const struct snap_header *h = snap_hdr(s);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("zone             %s\n", argv[1]);
	printf("records          %zu\n", st.records);
	printf("names            %zu (nodes with ENTs: %u)\n", st.names, h->nnodes);
	printf("rrsets           %u\n", h->nrrsets);
	printf("load+check s     %.3f\n", t1 - t0);
	printf("image bytes      %zu\n", size);
	printf("bytes/record     %.1f\n", (double)size / (double)st.records);
	printf("compile s        %.3f (cpu %.3f)\n", t3 - t2, c3 - c2);
	printf("open s           %.3f (cpu %.3f)\n", t4 - t3, c4 - c3);
	printf("checksum GB/s    %.2f (%016llx)\n",
	       (double)size / (t6 - t5) / 1e9, (unsigned long long)ck);
	printf("peak RSS MiB     %.1f\n", (double)ru.ru_maxrss / 1024.0);
	snap_close(s);
	free(img);
	zone_free(z);
	return 0;
}
