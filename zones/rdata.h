/*
 * rdata.h - the rdata codec: presentation form <-> wire form for every type in
 * the registry (rrtype.h), RFC 3597 generic form (\# LEN HEX) for any type,
 * validation of wire rdata, and canonical rdata order (RFC 4034 §6.2-6.3).
 */
#ifndef RINGDNS_RDATA_H
#define RINGDNS_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/tok.h"

#define RDATA_MAX 65535

/*
 * Parses the rdata tokens of one record of the given type into wire form.
 * Relative names in rdata are completed with origin.  Accepts the generic
 * form "\# LEN HEX..." for every type (RFC 3597 §5), validating the result
 * for known types.  Returns the wire length (0..cap) or -1 with a message
 * in err saying what was found and what was expected, e.g.
 * "bad IPv4 address 'x.1': expected four decimal octets".
 */
int rdata_from_text(uint16_t type, const struct tok *toks, size_t ntok,
		    const uint8_t *origin, uint8_t *out, size_t cap,
		    char *err, size_t errcap);

/* RFC 1982 §3.2 (SOA serials): whether serial a is greater than b.  Half
 * the space apart, neither is: false either way. */
static inline bool rdata_serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/*
 * Writes wire rdata in presentation form (names absolute, with trailing
 * dots).  Types without a known format, and malformed rdata of known
 * types, are written in RFC 3597 generic form.  Returns the text length
 * (NUL-terminated), or -1 when cap is too small.
 */
int rdata_to_text(uint16_t type, const uint8_t *rd, size_t len,
		  char *out, size_t cap);

/*
 * Copies the rdata of a record of type in a DNS message (the cursor c at
 * its first byte, rdlen bytes; msg/len the whole message, for pointers)
 * to out with the names in it uncompressed: those of the types RFC 3597
 * §4 lets a sender compress, and those many senders compress anyway (RP,
 * AFSDB, RT, KX, PX, SRV, DNAME).  Returns the length written, or -1 when
 * the rdata is malformed or does not fit cap.
 */
struct wire_cur;
int rdata_unpack(uint16_t type, struct wire_cur *c, size_t rdlen, const uint8_t *msg,
		 size_t len, uint8_t *out, size_t cap);

/* 0 when rd is well-formed wire rdata for the type (always 0 for unknown
 * types), -1 otherwise. */
int rdata_check(uint16_t type, const uint8_t *rd, size_t len);

/*
 * Canonical order of two rdatas of the same type (RFC 4034 §6.3), with the
 * names in the types listed in RFC 4034 §6.2 (as updated by RFC 6840 §5.1)
 * compared lowercased.  Equal means duplicate records (RFC 2181 §5).
 */
int rdata_canon_cmp(uint16_t type, const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen);

#endif
