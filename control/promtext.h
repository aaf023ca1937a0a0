/*
 * promtext.h - the Prometheus text exposition format (version 0.0.4):
 * metric families (HELP and TYPE lines) and their samples with labels,
 * appended to a growing buffer.  Label values and HELP text are escaped
 * as the format requires; values are written exactly (integers as
 * integers, doubles with round-trip precision).  No I/O, no globals.
 */
#ifndef RINGDNS_PROMTEXT_H
#define RINGDNS_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The content type of a scrape in this format. */
#define PT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct pt_buf {
	char *p;		/* NUL-terminated text (malloc), NULL until written */
	size_t len, cap;
	bool oom;		/* an append failed: the text is incomplete */
};

/* An empty buffer in the caller's storage. */
void pt_init(struct pt_buf *b);
/* Frees the text; b is empty again. */
void pt_fini(struct pt_buf *b);

/* Starts family name of type ("counter", "gauge") with its help text. */
void pt_family(struct pt_buf *b, const char *name, const char *type, const char *help);

/*
 * One sample of family name: labels is NULL or a NULL-terminated list of
 * name, value pairs ((const char *[]){ "zone", "example.", NULL }).
 * pt_u64 writes an integer, pt_f64 a double (NaN and infinities as the
 * format spells them).
 */
void pt_u64(struct pt_buf *b, const char *name, const char *const *labels, uint64_t v);
void pt_f64(struct pt_buf *b, const char *name, const char *const *labels, double v);

#endif
