/*
 * compile.h - the zone compiler: a checked zone (zone.h) into a snapshot
 * image (snap_format.h) ready to be validated with snap_open and served.
 */
#ifndef RINGDNS_COMPILE_H
#define RINGDNS_COMPILE_H

#include <stddef.h>

#include "zones/zone.h"

/*
 * Compiles z, which must have finished with no errors.  On success returns 0
 * with *image (malloc'd, 8-byte aligned, 2 MiB aligned when large, with a
 * transparent huge page hint; free with free()) and *size.  On
 * failure returns -1 with a message in err.
 */
int zc_compile(const struct zone *z, void **image, size_t *size,
	       char *err, size_t errcap);

/* zc_compile that also sheds z's index (zone_shed_index) once its records
 * are collected, before the compiler's own arrays and the image are made:
 * z can then only be freed (or asked for its stats). */
int zc_compile_shed(struct zone *z, void **image, size_t *size, char *err,
		    size_t errcap);

#endif
