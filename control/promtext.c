/*
 * promtext.c - the Prometheus text exposition format (promtext.h).
 */
#include "control/promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pt_init(struct pt_buf *b)
{
	*b = (struct pt_buf){ 0 };
}

void pt_fini(struct pt_buf *b)
{
	free(b->p);
	pt_init(b);
}

/* Room for n more bytes and the NUL; false (b->oom) when none. */
static bool pt_room(struct pt_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void pt_put(struct pt_buf *b, const char *s, size_t n)
{
	if (!pt_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void pt_puts(struct pt_buf *b, const char *s)
{
	pt_put(b, s, strlen(s));
}

/* s escaped: backslash and newline always, the double quote in label
 * values only (the format's rules for HELP and for label values). */
static void pt_escaped(struct pt_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			pt_puts(b, "\\\\");
		else if (*s == '\n')
			pt_puts(b, "\\n");
		else if (*s == '"' && quote)
			pt_puts(b, "\\\"");
		else
			pt_put(b, s, 1);
	}
}

void pt_family(struct pt_buf *b, const char *name, const char *type, const char *help)
{
	pt_puts(b, "# HELP ");
	pt_puts(b, name);
	pt_puts(b, " ");
	pt_escaped(b, help, false);
	pt_puts(b, "\n# TYPE ");
	pt_puts(b, name);
	pt_puts(b, " ");
	pt_puts(b, type);
	pt_puts(b, "\n");
}

/* The sample's name and labels, up to its value. */
static void pt_head(struct pt_buf *b, const char *name, const char *const *labels)
{
	pt_puts(b, name);
	if (!labels || !labels[0]) {
		pt_puts(b, " ");
		return;
	}
	for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
		pt_puts(b, i ? "," : "{");
		pt_puts(b, labels[i]);
		pt_puts(b, "=\"");
		pt_escaped(b, labels[i + 1], true);
		pt_puts(b, "\"");
	}
	pt_puts(b, "} ");
}

void pt_u64(struct pt_buf *b, const char *name, const char *const *labels, uint64_t v)
{
	char num[32];
	pt_head(b, name, labels);
	snprintf(num, sizeof num, "%llu\n", (unsigned long long)v);
	pt_puts(b, num);
}

void pt_f64(struct pt_buf *b, const char *name, const char *const *labels, double v)
{
	char num[40];
	pt_head(b, name, labels);
	if (isnan(v))
		snprintf(num, sizeof num, "NaN\n");
	else if (isinf(v))
		snprintf(num, sizeof num, "%s\n", v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(num, sizeof num, "%.17g\n", v);
	pt_puts(b, num);
}
