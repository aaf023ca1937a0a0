/*
 * rdata_int.h - internal to the rdata codec (rdata.c, rdata_svcb.c,
 * rdata_loc.c): parse state, the text writer used for printing, and the
 * small field parsers that more than one file needs.
 */
#ifndef RINGDNS_RDATA_INT_H
#define RINGDNS_RDATA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/tok.h"
#include "zones/wire.h"

/* State of one rdata_from_text call. */
struct rdata_parse {
	const struct tok *t;	/* the rdata tokens */
	size_t n;		/* their number */
	size_t i;		/* next token */
	uint8_t *start;		/* output */
	uint8_t *o;
	uint8_t *end;
	const uint8_t *origin;
	char *err;
	size_t errcap;
	const char *tname;	/* type mnemonic, for messages */
	const char *last;	/* label of the last field parsed */
};

/* Formats "TYPE: message" into p->err; returns -1. */
int rdata_fail(struct rdata_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "TYPE: missing LABEL after PREVLABEL TOKEN"; returns -1. */
int rdata_missing(struct rdata_parse *p, const char *label);
/* Room check for n more output octets; sets the message and returns -1. */
int rdata_room(struct rdata_parse *p, size_t n);

/* Decodes \X and \DDD escapes of a character-string (RFC 1035 §5.1).
 * Returns the decoded length, -1 for a bad escape, -2 when more than cap
 * octets would be written. */
int rdata_unescape(const char *s, size_t len, uint8_t *out, size_t cap);

/* Decimal without sign; 0, -1 (syntax) or -2 (above max). */
int rdata_num(const char *s, size_t len, uint32_t max, uint32_t *out);
bool rdata_ipv4(const char *s, size_t len, uint8_t out[4]);
bool rdata_ipv6(const char *s, size_t len, uint8_t out[16]);

/* Text writer into a fixed buffer; overflow is sticky. */
struct rdata_tw {
	char *p;
	char *start;
	char *end;
	bool err;
};

void rdata_tw_mem(struct rdata_tw *w, const void *s, size_t n);
void rdata_tw_str(struct rdata_tw *w, const char *s);
void rdata_tw_chr(struct rdata_tw *w, char c);
void rdata_tw_u32(struct rdata_tw *w, uint32_t v);
/* A space unless at the start of the output. */
void rdata_tw_sep(struct rdata_tw *w);
/* Octets with '"' and '\\' as \X and non-printables as \DDD; the quotes
 * around are the caller's.  extra: more characters to escape as \X. */
void rdata_tw_escaped(struct rdata_tw *w, const uint8_t *s, size_t n,
		      const char *extra);
void rdata_tw_ipv4(struct rdata_tw *w, const uint8_t a[4]);
void rdata_tw_ipv6(struct rdata_tw *w, const uint8_t a[16]);
void rdata_tw_b64(struct rdata_tw *w, const uint8_t *s, size_t n);

/* SVCB/HTTPS SvcParams (rdata_svcb.c): they run to the end of the rdata.
 * check and print read them from c; print only what check accepted. */
int rdata_svcb_parse(struct rdata_parse *p);
int rdata_svcb_check(struct wire_cur *c);
void rdata_svcb_print(struct rdata_tw *w, struct wire_cur *c);

/* LOC (rdata_loc.c): the whole rdata, read from c like SvcParams. */
int rdata_loc_parse(struct rdata_parse *p);
int rdata_loc_check(struct wire_cur *c);
void rdata_loc_print(struct rdata_tw *w, struct wire_cur *c);

#endif
