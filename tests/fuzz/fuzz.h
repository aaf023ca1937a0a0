/*
 * fuzz.h - what the fuzz targets here share: the check of an invariant
 * (a report and abort(), which libFuzzer keeps as a crash) and the input
 * as text.
 */
#ifndef RINGDNS_FUZZ_H
#define RINGDNS_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void fz_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant broken: %s\n", what);
		abort();
	}
}

/* The n bytes at p with a NUL after them (malloc'd), or NULL. */
static inline char *fz_text(const uint8_t *p, size_t n)
{
	char *t = malloc(n + 1);
	if (t) {
		memcpy(t, p, n);
		t[n] = 0;
	}
	return t;
}

#endif
