/*
 * diag.c - formats diagnostics and counts them.
 */
#include "zones/diag.h"

#include <stdarg.h>
#include <stdio.h>

void diag_report(struct diag *d, enum diag_sev sev, const char *file,
		 unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (!d->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->fn(d->ud, sev, file, line, msg);
}
