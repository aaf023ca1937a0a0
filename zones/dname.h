/*
 * dname.h - domain names in wire form (RFC 1035 §3.1).
 *
 * A name is a sequence of length-prefixed labels ending with the root label,
 * uncompressed, at most 255 octets with labels of at most 63 (RFC 1035 §2.3.4).
 * Functions taking `const uint8_t *name` expect a name already validated
 * (by dname_from_text, dname_unpack or dname_check); untrusted bytes go
 * through dname_unpack/dname_check first.  Comparison is case-insensitive
 * for ASCII letters only (RFC 4343).
 */
#ifndef RINGDNS_DNAME_H
#define RINGDNS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "zones/wire.h"

#define DNAME_MAX 255
#define DNAME_LABEL_MAX 63
#define DNAME_LABELS_MAX 128
/* Enough for any name in presentation form, every octet as \DDD. */
#define DNAME_TEXT_MAX 1024

enum {
	DNAME_EEMPTY = -1,	/* empty text */
	DNAME_ELABEL = -2,	/* label longer than 63 octets */
	DNAME_ELONG = -3,	/* name longer than 255 octets */
	DNAME_EESCAPE = -4,	/* bad \DDD or dangling backslash */
	DNAME_EEMPTYLABEL = -5, /* empty label ("a..b", ".a") */
	DNAME_EPTR = -6,	/* bad or looping compression pointer */
	DNAME_ETRUNC = -7,	/* name runs past the end of its buffer */
	DNAME_ERELATIVE = -8,	/* relative name and no origin to complete it */
	DNAME_ESPACE = -9,	/* output buffer too small */
	DNAME_ELABELTYPE = -10, /* label type 0x40/0x80 (RFC 6891 §5) */
};

const char *dname_strerror(int err);

/*
 * Parses presentation form (with \X and \DDD escapes) into out.  "@" stands
 * for origin; a name without a trailing dot is relative and gets origin
 * appended (origin NULL makes that an error).  Returns the wire length or a
 * negative DNAME_E* code.
 */
int dname_from_text(uint8_t out[DNAME_MAX], const char *txt, size_t len,
		    const uint8_t *origin);

/*
 * Writes the name in presentation form with a trailing dot, escaping '.',
 * '\\', '"', '(', ')', ';', '@', '$' and space as \X and other
 * non-printable octets as \DDD.  Returns the text length (NUL not counted)
 * or DNAME_ESPACE.
 */
int dname_to_text(char *out, size_t cap, const uint8_t *name);

/*
 * Reads a possibly compressed name from a DNS message at the cursor into out
 * (uncompressed).  Pointers must point strictly backwards into
 * msg[0..msglen), which bounds the walk.  The cursor moves past the name as
 * it appears in place.  Returns the wire length or a negative DNAME_E* code
 * (the cursor's error is set too).
 */
int dname_unpack(struct wire_cur *c, const uint8_t *msg, size_t msglen,
		 uint8_t out[DNAME_MAX]);

/* Validates an uncompressed name at p (at most maxlen bytes available).
 * Returns its wire length or a negative DNAME_E* code. */
int dname_check(const uint8_t *p, size_t maxlen);

/* Wire length of a validated name. */
size_t dname_len(const uint8_t *name);
/* Number of labels, the root label not counted ("." has 0). */
unsigned dname_labels(const uint8_t *name);
/* The name without its first label; the root's parent is NULL. */
const uint8_t *dname_parent(const uint8_t *name);
bool dname_is_root(const uint8_t *name);
/* Case-insensitive equality. */
bool dname_eq(const uint8_t *a, const uint8_t *b);
/* True when name equals parent or lies below it. */
bool dname_in(const uint8_t *name, const uint8_t *parent);
/* Canonical DNS name order (RFC 4034 §6.1): <0, 0, >0. */
int dname_canon_cmp(const uint8_t *a, const uint8_t *b);
/* Lowercases ASCII letters in place. */
void dname_lower(uint8_t *name);
/* Case-insensitive hash (same value for names that dname_eq). */
uint64_t dname_hash(const uint8_t *name);
/* The same value, with the name's wire length in *len. */
uint64_t dname_hash_len(const uint8_t *name, size_t *len);
/* The same value for a name whose wire length n is known.  Part of the
 * snapshot format (snap_format.h): changing it changes SNAP_VERSION. */
uint64_t dname_hash_bytes(const uint8_t *name, size_t n);
/* True when the first label is "*" (RFC 4592 §2.1.1). */
bool dname_is_wildcard(const uint8_t *name);

static inline uint8_t dname_lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Byte equality of n bytes, a word at a time (names are short: no call
 * to memcmp); for names spelled alike, the usual case of lookups. */
static inline bool dname_bytes_same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y, diff = 0;
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			diff |= (uint64_t)(a[i] ^ b[i]);
		return diff == 0;
	}
	for (size_t i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	diff |= x ^ y;
	return diff == 0;
}

/* Case-insensitive equality of the labels at a and b (length bytes
 * included).  Most labels differ in their first octet or are spelled
 * alike, which is decided without the lowercasing loop. */
static inline bool dname_label_eq(const uint8_t *a, const uint8_t *b)
{
	uint8_t l = a[0];
	if (l != b[0])
		return false;
	if (l == 0)
		return true;
	if (dname_lc(a[1]) != dname_lc(b[1]))
		return false;
	if (memcmp(a + 1, b + 1, l) != 0)
		for (uint8_t i = 2; i <= l; i++)
			if (dname_lc(a[i]) != dname_lc(b[i]))
				return false;
	return true;
}

#endif
