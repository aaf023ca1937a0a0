/*
 * incr.c - the incremental image builder's entry point (control/ctl.h,
 * inc_apply).  This version builds nothing: it answers "not applicable",
 * and the caller (control/ixfrload.c) writes the new version's zone text
 * and compiles it whole.  The incremental image builder replaces this
 * file.
 */
#include "control/ctl.h"

int inc_apply(struct ctl *c, struct zst *z, const struct zdiff *d, char *err, size_t errcap)
{
	(void)c;
	(void)z;
	(void)d;
	(void)err;
	(void)errcap;
	return 0;
}
