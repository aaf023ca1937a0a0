/*
 * rrtype.h - the RR type and class registry: mnemonic <-> code for every type
 * ringdns knows, with RFC 3597 TYPEnnn/CLASSnnn for the rest, and the facts
 * about a type that the parser, checker and compiler need.  The rdata field
 * layout of each type lives with the rdata codec (rdata.c), driven by the
 * same table.
 */
#ifndef RINGDNS_RRTYPE_H
#define RINGDNS_RRTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rr_type {
	RR_A = 1, RR_NS = 2, RR_MD = 3, RR_MF = 4, RR_CNAME = 5, RR_SOA = 6,
	RR_MB = 7, RR_MG = 8, RR_MR = 9, RR_NULL = 10, RR_WKS = 11, RR_PTR = 12,
	RR_HINFO = 13, RR_MINFO = 14, RR_MX = 15, RR_TXT = 16, RR_RP = 17,
	RR_AFSDB = 18, RR_X25 = 19, RR_ISDN = 20, RR_RT = 21, RR_NSAP = 22,
	RR_NSAP_PTR = 23, RR_SIG = 24, RR_KEY = 25, RR_PX = 26, RR_GPOS = 27,
	RR_AAAA = 28, RR_LOC = 29, RR_NXT = 30, RR_SRV = 33, RR_NAPTR = 35,
	RR_KX = 36, RR_CERT = 37, RR_A6 = 38, RR_DNAME = 39, RR_OPT = 41,
	RR_APL = 42, RR_DS = 43, RR_SSHFP = 44, RR_IPSECKEY = 45, RR_RRSIG = 46,
	RR_NSEC = 47, RR_DNSKEY = 48, RR_DHCID = 49, RR_NSEC3 = 50,
	RR_NSEC3PARAM = 51, RR_TLSA = 52, RR_SMIMEA = 53, RR_HIP = 55,
	RR_CDS = 59, RR_CDNSKEY = 60, RR_OPENPGPKEY = 61, RR_CSYNC = 62,
	RR_ZONEMD = 63, RR_SVCB = 64, RR_HTTPS = 65, RR_SPF = 99, RR_NID = 104,
	RR_L32 = 105, RR_L64 = 106, RR_LP = 107, RR_EUI48 = 108, RR_EUI64 = 109,
	RR_TKEY = 249, RR_TSIG = 250, RR_IXFR = 251, RR_AXFR = 252,
	RR_MAILB = 253, RR_MAILA = 254, RR_ANY = 255, RR_URI = 256, RR_CAA = 257,
};

enum rr_class {
	RR_CLASS_IN = 1, RR_CLASS_CH = 3, RR_CLASS_HS = 4,
	RR_CLASS_NONE = 254, RR_CLASS_ANY = 255,
};

/* Mnemonic (case-insensitive) or TYPEnnn.  0 and *out set, or -1. */
int rrtype_from_text(const char *s, size_t len, uint16_t *out);
/* Mnemonic, or TYPEnnn for a type without one.  Returns length. */
int rrtype_to_text(uint16_t type, char *out, size_t cap);
/* True when ringdns knows the type's presentation format. */
bool rrtype_known(uint16_t type);
/* Meta and query-only types (OPT, TKEY, TSIG, IXFR, AXFR, MAILA, MAILB,
 * ANY, and the RFC 6895 §3.1 meta range 128-255): never zone data. */
bool rrtype_is_meta(uint16_t type);
/* Types that may share an owner with a CNAME (RFC 4035 §2.5: RRSIG, NSEC;
 * and NSEC3 is hashed-owner only).  */
bool rrtype_cname_ok(uint16_t type);
/* DNSSEC types whose presence makes a zone "signed" (RRSIG, NSEC, NSEC3,
 * NSEC3PARAM, DNSKEY). */
bool rrtype_is_dnssec(uint16_t type);

/* Where in the RDATA of an NS, MX or SRV record the name whose addresses
 * go in the additional section starts (RFC 1035 §3.3.9, §3.3.11, RFC
 * 2782), or -1 for the other types. */
static inline int rrtype_addl_at(uint16_t type)
{
	return type == RR_NS ? 0 : type == RR_MX ? 2 : type == RR_SRV ? 6 : -1;
}

/* IN, CH, HS, NONE, ANY (case-insensitive) or CLASSnnn.  0 or -1. */
int rrclass_from_text(const char *s, size_t len, uint16_t *out);
int rrclass_to_text(uint16_t cls, char *out, size_t cap);

#endif
