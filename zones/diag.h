/*
 * diag.h - diagnostics for operators: "FILE:LINE: error: message" lines
 * collected through a caller's callback, with error and warning counts.
 */
#ifndef RINGDNS_DIAG_H
#define RINGDNS_DIAG_H

enum diag_sev { DIAG_WARNING, DIAG_ERROR };

typedef void (*diag_fn)(void *ud, enum diag_sev sev, const char *file,
			unsigned line, const char *msg);

struct diag {
	diag_fn fn;		/* may be NULL: only count */
	void *ud;
	unsigned errors;
	unsigned warnings;
};

/* Formats and reports one diagnostic; file may be NULL, line 0 = none. */
void diag_report(struct diag *d, enum diag_sev sev, const char *file,
		 unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
