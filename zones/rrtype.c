/*
 * rrtype.c - the RR type and class registry (rrtype.h) and the per-type rdata
 * layout table (rdesc.h) that the rdata codec walks.
 */
#include "zones/rrtype.h"

#include <pthread.h>
#include <string.h>

#include "zones/rdesc.h"

#define F(k, l) { RDF_##k, l }
#define FMT RDESC_FMT
#define LOW (RDESC_FMT | RDESC_LOWER)

/* Indexed by type code; the highest mnemonic type is CAA (257). */
#define RDESC_TAB_SIZE 258

static const struct rdesc rdesc_tab[RDESC_TAB_SIZE] = {
	[RR_A] = { "A", FMT, { F(A, "address") } },
	[RR_NS] = { "NS", LOW, { F(NAME, "name server name") } },
	[RR_MD] = { "MD", LOW, { F(NAME, "mail destination name") } },
	[RR_MF] = { "MF", LOW, { F(NAME, "mail forwarder name") } },
	[RR_CNAME] = { "CNAME", LOW, { F(NAME, "canonical name") } },
	[RR_SOA] = { "SOA", LOW, { F(NAME, "primary server name (MNAME)"),
			F(NAME, "mailbox name (RNAME)"), F(U32, "serial"),
			F(TTL, "refresh"), F(TTL, "retry"), F(TTL, "expire"),
			F(TTL, "minimum") } },
	[RR_MB] = { "MB", LOW, { F(NAME, "mailbox host name") } },
	[RR_MG] = { "MG", LOW, { F(NAME, "mail group member name") } },
	[RR_MR] = { "MR", LOW, { F(NAME, "new mailbox name") } },
	[RR_NULL] = { "NULL", 0, { F(END, NULL) } },
	[RR_WKS] = { "WKS", 0, { F(END, NULL) } },
	[RR_PTR] = { "PTR", LOW, { F(NAME, "pointer name") } },
	[RR_HINFO] = { "HINFO", FMT, { F(STR, "CPU string"),
			F(STR, "OS string") } },
	[RR_MINFO] = { "MINFO", LOW, { F(NAME, "responsible mailbox name"),
			F(NAME, "error mailbox name") } },
	[RR_MX] = { "MX", LOW, { F(U16, "preference"),
			F(NAME, "exchange name") } },
	[RR_TXT] = { "TXT", FMT, { F(STRS, "character-string") } },
	[RR_RP] = { "RP", LOW, { F(NAME, "mailbox name"),
			F(NAME, "TXT name") } },
	[RR_AFSDB] = { "AFSDB", LOW, { F(U16, "subtype"),
			F(NAME, "hostname") } },
	[RR_X25] = { "X25", FMT, { F(STR, "PSDN address") } },
	[RR_ISDN] = { "ISDN", FMT, { F(STR, "ISDN address"),
			F(STR_OPT, "subaddress") } },
	[RR_RT] = { "RT", LOW, { F(U16, "preference"),
			F(NAME, "intermediate host name") } },
	[RR_NSAP] = { "NSAP", FMT, { F(NSAP, "NSAP address") } },
	[RR_NSAP_PTR] = { "NSAP-PTR", FMT, { F(NAME, "pointer name") } },
	[RR_SIG] = { "SIG", LOW, { F(TYPE, "type covered"),
			F(ALG, "algorithm"), F(U8, "labels"),
			F(TTL, "original TTL"), F(TIME, "signature expiration"),
			F(TIME, "signature inception"), F(U16, "key tag"),
			F(NAME, "signer's name"), F(B64, "signature") } },
	[RR_KEY] = { "KEY", FMT, { F(U16, "flags"), F(U8, "protocol"),
			F(ALG, "algorithm"), F(B64, "public key") } },
	[RR_PX] = { "PX", LOW, { F(U16, "preference"),
			F(NAME, "MAP822 name"), F(NAME, "MAPX400 name") } },
	[RR_GPOS] = { "GPOS", FMT, { F(STR, "longitude"),
			F(STR, "latitude"), F(STR, "altitude") } },
	[RR_AAAA] = { "AAAA", FMT, { F(AAAA, "address") } },
	[RR_LOC] = { "LOC", FMT, { F(LOC, "location") } },
	[RR_NXT] = { "NXT", 0, { F(END, NULL) } },
	[RR_SRV] = { "SRV", LOW, { F(U16, "priority"), F(U16, "weight"),
			F(U16, "port"), F(NAME, "target name") } },
	[RR_NAPTR] = { "NAPTR", LOW, { F(U16, "order"), F(U16, "preference"),
			F(STR, "flags"), F(STR, "services"), F(STR, "regexp"),
			F(NAME, "replacement name") } },
	[RR_KX] = { "KX", LOW, { F(U16, "preference"),
			F(NAME, "exchanger name") } },
	[RR_CERT] = { "CERT", FMT, { F(CERTTYPE, "certificate type"),
			F(U16, "key tag"), F(ALG, "algorithm"),
			F(B64, "certificate") } },
	[RR_A6] = { "A6", 0, { F(END, NULL) } },
	[RR_DNAME] = { "DNAME", LOW, { F(NAME, "target name") } },
	[RR_OPT] = { "OPT", 0, { F(END, NULL) } },
	[RR_APL] = { "APL", FMT, { F(APL, "address prefix list") } },
	[RR_DS] = { "DS", FMT | RDESC_DS, { F(U16, "key tag"),
			F(ALG, "algorithm"), F(U8, "digest type"),
			F(HEX, "digest") } },
	[RR_SSHFP] = { "SSHFP", FMT, { F(U8, "algorithm"),
			F(U8, "fingerprint type"), F(HEX, "fingerprint") } },
	[RR_IPSECKEY] = { "IPSECKEY", FMT, { F(U8, "precedence"),
			F(IPSECKEY, "gateway type") } },
	[RR_RRSIG] = { "RRSIG", LOW, { F(TYPE, "type covered"),
			F(ALG, "algorithm"), F(U8, "labels"),
			F(TTL, "original TTL"), F(TIME, "signature expiration"),
			F(TIME, "signature inception"), F(U16, "key tag"),
			F(NAME, "signer's name"), F(B64, "signature") } },
	/* RFC 6840 §5.1: the NSEC next name is not lowercased. */
	[RR_NSEC] = { "NSEC", FMT, { F(NAME, "next domain name"),
			F(BITMAP, "type bitmap") } },
	[RR_DNSKEY] = { "DNSKEY", FMT, { F(U16, "flags"), F(U8, "protocol"),
			F(ALG, "algorithm"), F(B64, "public key") } },
	[RR_DHCID] = { "DHCID", FMT, { F(B64, "digest") } },
	[RR_NSEC3] = { "NSEC3", FMT, { F(U8, "hash algorithm"),
			F(U8, "flags"), F(U16, "iterations"), F(SALT, "salt"),
			F(B32H, "next hashed owner name"),
			F(BITMAP, "type bitmap") } },
	[RR_NSEC3PARAM] = { "NSEC3PARAM", FMT, { F(U8, "hash algorithm"),
			F(U8, "flags"), F(U16, "iterations"),
			F(SALT, "salt") } },
	[RR_TLSA] = { "TLSA", FMT, { F(U8, "certificate usage"),
			F(U8, "selector"), F(U8, "matching type"),
			F(HEX, "certificate association data") } },
	[RR_SMIMEA] = { "SMIMEA", FMT, { F(U8, "certificate usage"),
			F(U8, "selector"), F(U8, "matching type"),
			F(HEX, "certificate association data") } },
	[RR_HIP] = { "HIP", 0, { F(END, NULL) } },
	[RR_CDS] = { "CDS", FMT | RDESC_DS, { F(U16, "key tag"),
			F(ALG, "algorithm"), F(U8, "digest type"),
			F(HEX, "digest") } },
	[RR_CDNSKEY] = { "CDNSKEY", FMT, { F(U16, "flags"),
			F(U8, "protocol"), F(ALG, "algorithm"),
			F(B64, "public key") } },
	[RR_OPENPGPKEY] = { "OPENPGPKEY", FMT, { F(B64, "public key") } },
	[RR_CSYNC] = { "CSYNC", FMT, { F(U32, "SOA serial"), F(U16, "flags"),
			F(BITMAP, "type bitmap") } },
	[RR_ZONEMD] = { "ZONEMD", FMT | RDESC_ZONEMD, { F(U32, "serial"),
			F(U8, "scheme"), F(U8, "hash algorithm"),
			F(HEX, "digest") } },
	[RR_SVCB] = { "SVCB", FMT, { F(U16, "priority"),
			F(NAME, "target name"), F(SVCPARAMS, "SvcParams") } },
	[RR_HTTPS] = { "HTTPS", FMT, { F(U16, "priority"),
			F(NAME, "target name"), F(SVCPARAMS, "SvcParams") } },
	[RR_SPF] = { "SPF", FMT, { F(STRS, "character-string") } },
	[RR_NID] = { "NID", FMT, { F(U16, "preference"),
			F(ILNP64, "node ID") } },
	[RR_L32] = { "L32", FMT, { F(U16, "preference"),
			F(A, "locator") } },
	[RR_L64] = { "L64", FMT, { F(U16, "preference"),
			F(ILNP64, "locator") } },
	[RR_LP] = { "LP", FMT, { F(U16, "preference"), F(NAME, "FQDN") } },
	[RR_EUI48] = { "EUI48", FMT, { F(EUI48, "address") } },
	[RR_EUI64] = { "EUI64", FMT, { F(EUI64, "address") } },
	[RR_TKEY] = { "TKEY", 0, { F(END, NULL) } },
	[RR_TSIG] = { "TSIG", 0, { F(END, NULL) } },
	[RR_IXFR] = { "IXFR", 0, { F(END, NULL) } },
	[RR_AXFR] = { "AXFR", 0, { F(END, NULL) } },
	[RR_MAILB] = { "MAILB", 0, { F(END, NULL) } },
	[RR_MAILA] = { "MAILA", 0, { F(END, NULL) } },
	[RR_ANY] = { "ANY", 0, { F(END, NULL) } },
	[RR_URI] = { "URI", FMT, { F(U16, "priority"), F(U16, "weight"),
			F(RAWSTR, "target URI") } },
	[RR_CAA] = { "CAA", FMT, { F(U8, "flags"), F(CAATAG, "tag"),
			F(RAWSTR, "value") } },
};

const struct rdesc *rdesc_get(uint16_t type)
{
	if (type >= RDESC_TAB_SIZE || !rdesc_tab[type].name)
		return NULL;
	return &rdesc_tab[type];
}

static bool parse_code(const char *s, size_t len, uint16_t *out)
{
	if (len == 0 || len > 5)
		return false;
	uint32_t v = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(uint8_t)s[i] - '0';
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool prefix_ci(const char *s, size_t len, const char *p, size_t plen)
{
	if (len < plen)
		return false;
	for (size_t i = 0; i < plen; i++)
		if ((s[i] & ~0x20) != p[i])
			return false;
	return true;
}

/* Mnemonic -> type: open addressing on a case-insensitive hash of the
 * text, built once from rdesc_tab.  Type 0 (no mnemonic) marks an empty
 * slot. */
#define BY_NAME_SIZE 256	/* a power of two, over three times the names */

static struct {
	uint16_t type;
	uint8_t len;
} by_name[BY_NAME_SIZE];
static size_t by_name_maxlen;
static pthread_once_t by_name_once = PTHREAD_ONCE_INIT;

/* FNV-1a over the octets with bit 5 set, which folds A-Z onto a-z (and
 * makes some other octets collide, which the comparison sorts out). */
static unsigned name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ ((uint8_t)s[i] | 0x20)) * 16777619u;
	return (h ^ h >> 16) & (BY_NAME_SIZE - 1);
}

static void by_name_build(void)
{
	for (unsigned t = 0; t < RDESC_TAB_SIZE; t++) {
		const char *name = rdesc_tab[t].name;
		if (!name)
			continue;
		size_t len = strlen(name);
		unsigned h = name_hash(name, len);
		while (by_name[h].type)
			h = (h + 1) & (BY_NAME_SIZE - 1);
		by_name[h].type = (uint16_t)t;
		by_name[h].len = (uint8_t)len;
		if (len > by_name_maxlen)
			by_name_maxlen = len;
	}
}

/* s[0..len) equals the upper-case name when a-z are upper-cased. */
static bool eq_upper(const char *s, const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c != name[i])
			return false;
	}
	return true;
}

int rrtype_from_text(const char *s, size_t len, uint16_t *out)
{
	pthread_once(&by_name_once, by_name_build);
	if (len <= by_name_maxlen) {
		for (unsigned h = name_hash(s, len); by_name[h].type;
		     h = (h + 1) & (BY_NAME_SIZE - 1)) {
			uint16_t t = by_name[h].type;
			if (by_name[h].len == len &&
			    eq_upper(s, rdesc_tab[t].name, len)) {
				*out = t;
				return 0;
			}
		}
	}
	/* RFC 3597 §5: TYPEnnn for any type. */
	if (prefix_ci(s, len, "TYPE", 4) && parse_code(s + 4, len - 4, out))
		return 0;
	return -1;
}

/* Writes prefix + decimal v; returns length or -1. */
static int put_code(char *out, size_t cap, const char *prefix, unsigned v)
{
	char buf[16];
	size_t n = strlen(prefix);
	memcpy(buf, prefix, n);
	char dig[6];
	int k = 0;
	do {
		dig[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		buf[n++] = dig[--k];
	if (n + 1 > cap)
		return -1;
	memcpy(out, buf, n);
	out[n] = 0;
	return (int)n;
}

int rrtype_to_text(uint16_t type, char *out, size_t cap)
{
	const struct rdesc *d = rdesc_get(type);
	if (d) {
		size_t n = strlen(d->name);
		if (n + 1 > cap)
			return -1;
		memcpy(out, d->name, n + 1);
		return (int)n;
	}
	return put_code(out, cap, "TYPE", type);
}

bool rrtype_known(uint16_t type)
{
	const struct rdesc *d = rdesc_get(type);
	return d && (d->flags & RDESC_FMT);
}

bool rrtype_is_meta(uint16_t type)
{
	/* RFC 6895 §3.1: 128-255 are Q and meta types; OPT is meta too. */
	return type == RR_OPT || (type >= 128 && type <= 255);
}

bool rrtype_cname_ok(uint16_t type)
{
	/* RFC 4035 §2.5 (updating RFC 2181 §10.1): a CNAME owner may also
	 * hold RRSIG and NSEC.  NSEC3 lives at hashed owner names, which are
	 * not CNAME owners, so it gets no exemption. */
	return type == RR_RRSIG || type == RR_NSEC;
}

bool rrtype_is_dnssec(uint16_t type)
{
	return type == RR_RRSIG || type == RR_NSEC || type == RR_NSEC3 ||
	       type == RR_NSEC3PARAM || type == RR_DNSKEY;
}

static const struct {
	char name[5];
	uint8_t len;
	uint16_t cls;
} classes[] = {
	{ "IN", 2, RR_CLASS_IN }, { "CH", 2, RR_CLASS_CH },
	{ "HS", 2, RR_CLASS_HS }, { "NONE", 4, RR_CLASS_NONE },
	{ "ANY", 3, RR_CLASS_ANY },
};

int rrclass_from_text(const char *s, size_t len, uint16_t *out)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].len == len &&
		    prefix_ci(s, len, classes[i].name, len)) {
			*out = classes[i].cls;
			return 0;
		}
	if (prefix_ci(s, len, "CLASS", 5) && parse_code(s + 5, len - 5, out))
		return 0;
	return -1;
}

int rrclass_to_text(uint16_t cls, char *out, size_t cap)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].cls == cls) {
			size_t n = classes[i].len;
			if (n + 1 > cap)
				return -1;
			memcpy(out, classes[i].name, n + 1);
			return (int)n;
		}
	return put_code(out, cap, "CLASS", cls);
}
