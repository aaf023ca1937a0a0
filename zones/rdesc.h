/*
 * rdesc.h - internal to zones/: the per-type rdata layout table shared by
 * the type registry (rrtype.c, which owns it) and the rdata codec (rdata.c,
 * which walks it to parse, print, check and compare rdata).
 */
#ifndef RINGDNS_RDESC_H
#define RINGDNS_RDESC_H

#include <stdint.h>

/* Kinds of rdata fields, in presentation and wire form. */
enum rdf_kind {
	RDF_END = 0,
	RDF_U8,		/* decimal 0-255 */
	RDF_U16,	/* decimal 0-65535 */
	RDF_U32,	/* decimal 0-4294967295 */
	RDF_TTL,	/* u32, also TTL units ("1h") */
	RDF_TIME,	/* u32, YYYYMMDDHHmmSS or decimal (RFC 4034 §3.2) */
	RDF_TYPE,	/* u16 RR type mnemonic or TYPEnnn */
	RDF_ALG,	/* u8 DNSSEC algorithm, number or mnemonic */
	RDF_CERTTYPE,	/* u16 CERT type, number or mnemonic (RFC 4398 §2.1) */
	RDF_A,		/* IPv4 address, 4 octets */
	RDF_AAAA,	/* IPv6 address, 16 octets */
	RDF_EUI48,	/* xx-xx-xx-xx-xx-xx (RFC 7043 §3.2) */
	RDF_EUI64,	/* xx-xx-xx-xx-xx-xx-xx-xx (RFC 7043 §4.2) */
	RDF_ILNP64,	/* xxxx:xxxx:xxxx:xxxx (RFC 6742 §2.3) */
	RDF_NAME,	/* domain name, uncompressed */
	RDF_STR,	/* one <character-string> */
	RDF_STRS,	/* one or more character-strings to the end */
	RDF_STR_OPT,	/* an optional last character-string */
	RDF_B64,	/* base64 to the end of the rdata, non-empty */
	RDF_HEX,	/* hex to the end of the rdata, non-empty */
	RDF_SALT,	/* u8 length + hex, "-" when empty (RFC 5155 §3.3) */
	RDF_B32H,	/* u8 length + base32hex (RFC 5155 §3.3) */
	RDF_BITMAP,	/* type bitmap to the end (RFC 4034 §4.1.2) */
	RDF_CAATAG,	/* u8 length + alphanumeric tag (RFC 8659 §4.1) */
	RDF_RAWSTR,	/* one string, no length octet, to the end */
	RDF_SVCPARAMS,	/* SVCB SvcParams to the end (RFC 9460 §2.2) */
	RDF_LOC,	/* the whole LOC rdata (RFC 1876 §3) */
	RDF_IPSECKEY,	/* gateway type, algorithm, gateway, key (RFC 4025) */
	RDF_APL,	/* APL items to the end (RFC 3123 §4) */
	RDF_NSAP,	/* "0x" hex to the end (RFC 1706 §5) */
};

#define RDESC_FIELDS 9

/* Flags of a type. */
enum {
	RDESC_FMT = 1,		/* presentation format known */
	RDESC_LOWER = 2,	/* names lowercased in canonical form (RFC 4034
				 * §6.2, RFC 6840 §5.1) */
	RDESC_DS = 4,		/* digest length checked by digest type */
	RDESC_ZONEMD = 8,	/* digest at least 12 octets (RFC 8976 §2.2.4) */
};

struct rdesc_field {
	uint8_t kind;
	const char *label;	/* for messages: "preference" */
};

struct rdesc {
	const char *name;	/* mnemonic; NULL when the type has none */
	uint8_t flags;
	struct rdesc_field f[RDESC_FIELDS];
};

/* The descriptor of a type: NULL for types without a mnemonic. */
const struct rdesc *rdesc_get(uint16_t type);

#endif
