/*
 * fuzz_zonefile.c - libFuzzer target: the master-file parser
 * (zones/zonefile.c) on any text, its records into a zone (zones/zone.c:
 * the zone checks), and a zone without errors compiled (zones/compile.c)
 * and opened by the snapshot validator, which must accept every image the
 * compiler writes.  Invariants: no crash, no sanitizer report, no leak;
 * an accepted zone compiles and validates.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/snap.h"
#include "zones/zone.h"
#include "zones/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t origin[DNAME_MAX];
	if (!origin[0] && dname_from_text(origin, "example.com.", 12, NULL) < 0)
		abort();
	struct diag d = { 0 };
	struct zone *z = zone_new(origin, &d);
	if (!z)
		return 0;
	/* $INCLUDE is resolved against a directory that does not exist;
	 * $GENERATE kept small so that one input stays fast */
	struct zf_options opt = { .origin = origin, .max_errors = 20, .max_generate = 512 };
	zf_parse_mem("/nonexistent/fuzz.zone", (const char *)data, size, &opt, zone_add_cb, z, &d);
	if (zone_finish(z) == 0) {
		void *image;
		size_t len;
		char err[256];
		if (zc_compile(z, &image, &len, err, sizeof err) == 0) {
			struct snap *s;
			if (snap_open(image, len, &s, err, sizeof err) != 0) {
				fprintf(stderr, "the validator refused a compiled image: %s\n", err);
				abort();
			}
			snap_close(s);
			free(image);
		}
	}
	zone_free(z);
	return 0;
}
