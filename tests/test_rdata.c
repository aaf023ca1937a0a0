/*
 * test_rdata.c - the rdata codec (rdata.h) and the type registry (rrtype.h):
 * round trips for every supported type, exact wire bytes of RFC examples,
 * RFC 3597 generic form, error messages, wire validation and canonical
 * order.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "zones/rdata.h"
#include "zones/rrtype.h"

static const uint8_t ORIGIN[] = "\7example";	/* + implicit root */

#define MAXTOK 128
static struct tok toks[MAXTOK];
static char tokbuf[8192];
static char err[512];

/*
 * Splits text the way the zone-file lexer hands rdata over: on blanks;
 * a token starting with '"' is quoted (quotes removed); a '"' inside an
 * unquoted token keeps everything up to its closing quote in the token;
 * escapes stay raw.  Parentheses are dropped.
 */
static size_t tokenize(const char *s)
{
	size_t n = 0, o = 0;
	while (*s) {
		if (*s == ' ' || *s == '\t' || *s == '(' || *s == ')') {
			s++;
			continue;
		}
		cr_assert_lt(n, MAXTOK);
		struct tok *t = &toks[n++];
		t->s = tokbuf + o;
		t->quoted = false;
		if (*s == '"') {
			t->quoted = true;
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1])
					tokbuf[o++] = *s++;
				tokbuf[o++] = *s++;
			}
			if (*s)
				s++;
		} else {
			bool inq = false;
			while (*s && (inq || (*s != ' ' && *s != '\t' &&
					      *s != '(' && *s != ')'))) {
				if (*s == '\\' && s[1]) {
					tokbuf[o++] = *s++;
				} else if (*s == '"') {
					inq = !inq;
				}
				tokbuf[o++] = *s++;
			}
		}
		t->len = (uint32_t)(tokbuf + o - t->s);
		tokbuf[o++] = 0;
	}
	return n;
}

static int parse(uint16_t type, const char *text, uint8_t *out, size_t cap)
{
	size_t n = tokenize(text);
	err[0] = 0;
	return rdata_from_text(type, toks, n, ORIGIN, out, cap, err,
			       sizeof(err));
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	int half = -1;
	for (; *h; h++) {
		int v;
		if (*h >= '0' && *h <= '9')
			v = *h - '0';
		else if ((*h | 0x20) >= 'a' && (*h | 0x20) <= 'f')
			v = (*h | 0x20) - 'a' + 10;
		else
			continue;
		if (half < 0) {
			half = v;
		} else {
			out[n++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
	}
	return n;
}

static uint16_t T(const char *name)
{
	uint16_t t;
	cr_assert_eq(rrtype_from_text(name, strlen(name), &t), 0, "%s", name);
	return t;
}

/* Parses, prints (expecting `want`, or the input when NULL), re-parses the
 * printed text and checks the wire is the same. */
static void rt(const char *type, const char *in, const char *want)
{
	uint16_t ty = T(type);
	uint8_t w1[RDATA_MAX], w2[RDATA_MAX];
	char txt[70000];
	int n1 = parse(ty, in, w1, sizeof(w1));
	cr_assert_geq(n1, 0, "%s '%s': %s", type, in, err);
	cr_assert_eq(rdata_check(ty, w1, (size_t)n1), 0, "%s '%s' check",
		     type, in);
	int k = rdata_to_text(ty, w1, (size_t)n1, txt, sizeof(txt));
	cr_assert_geq(k, 0);
	cr_assert_eq((size_t)k, strlen(txt));
	cr_assert_str_eq(txt, want ? want : in, "%s '%s'", type, in);
	int n2 = parse(ty, txt, w2, sizeof(w2));
	cr_assert_eq(n2, n1, "%s reparse '%s': %s", type, txt, err);
	cr_assert(memcmp(w1, w2, (size_t)n1) == 0, "%s reparse '%s'", type,
		  txt);
}

/* Parses and compares the wire with hex. */
static void wire(const char *type, const char *in, const char *hex)
{
	uint16_t ty = T(type);
	uint8_t w[RDATA_MAX], want[RDATA_MAX];
	size_t wl = unhex(hex, want);
	int n = parse(ty, in, w, sizeof(w));
	cr_assert_geq(n, 0, "%s '%s': %s", type, in, err);
	cr_assert_eq((size_t)n, wl, "%s '%s': %d octets, want %zu", type, in,
		     n, wl);
	cr_assert(memcmp(w, want, wl) == 0, "%s '%s': wire differs", type, in);
}

/* Expects an error whose message contains phrase. */
static void bad(const char *type, const char *in, const char *phrase)
{
	uint16_t ty = T(type);
	uint8_t w[RDATA_MAX];
	int n = parse(ty, in, w, sizeof(w));
	cr_assert_eq(n, -1, "%s '%s' parsed (%d)", type, in, n);
	cr_assert(strstr(err, phrase), "%s '%s': message '%s' lacks '%s'", type,
		  in, err, phrase);
	cr_assert(strchr(err, '\n') == NULL);
}

/* ------------------------------------------------------------ registry */

Test(rrtype, mnemonics)
{
	char b[32];
	uint16_t t;
	cr_assert_eq(rrtype_from_text("a", 1, &t), 0);
	cr_assert_eq(t, RR_A);
	cr_assert_eq(rrtype_from_text("nsec3param", 10, &t), 0);
	cr_assert_eq(t, RR_NSEC3PARAM);
	cr_assert_eq(rrtype_from_text("NSAP-PTR", 8, &t), 0);
	cr_assert_eq(t, RR_NSAP_PTR);
	cr_assert_eq(rrtype_from_text("TYPE65280", 9, &t), 0);
	cr_assert_eq(t, 65280);
	cr_assert_eq(rrtype_from_text("type1", 5, &t), 0);
	cr_assert_eq(t, 1);
	cr_assert_eq(rrtype_from_text("TYPE65536", 9, &t), -1);
	cr_assert_eq(rrtype_from_text("TYPE", 4, &t), -1);
	cr_assert_eq(rrtype_from_text("FOO", 3, &t), -1);
	cr_assert_eq(rrtype_from_text("", 0, &t), -1);
	cr_assert_eq(rrtype_to_text(RR_HTTPS, b, sizeof(b)), 5);
	cr_assert_str_eq(b, "HTTPS");
	cr_assert_eq(rrtype_to_text(731, b, sizeof(b)), 7);
	cr_assert_str_eq(b, "TYPE731");
	cr_assert_eq(rrtype_to_text(731, b, 4), -1);
	/* every mnemonic maps back to itself */
	for (unsigned v = 0; v < 65536; v++) {
		int k = rrtype_to_text((uint16_t)v, b, sizeof(b));
		cr_assert_gt(k, 0);
		cr_assert_eq(rrtype_from_text(b, (size_t)k, &t), 0, "%s", b);
		cr_assert_eq(t, v, "%s", b);
	}
}

Test(rrtype, classes_and_flags)
{
	char b[32];
	uint16_t c;
	cr_assert_eq(rrclass_from_text("in", 2, &c), 0);
	cr_assert_eq(c, RR_CLASS_IN);
	cr_assert_eq(rrclass_from_text("NONE", 4, &c), 0);
	cr_assert_eq(c, 254);
	cr_assert_eq(rrclass_from_text("CLASS32", 7, &c), 0);
	cr_assert_eq(c, 32);
	cr_assert_eq(rrclass_from_text("IX", 2, &c), -1);
	cr_assert_eq(rrclass_to_text(3, b, sizeof(b)), 2);
	cr_assert_str_eq(b, "CH");
	cr_assert_eq(rrclass_to_text(32, b, sizeof(b)), 7);
	cr_assert_str_eq(b, "CLASS32");

	cr_assert(rrtype_is_meta(RR_OPT));
	cr_assert(rrtype_is_meta(RR_AXFR));
	cr_assert(rrtype_is_meta(RR_TSIG));
	cr_assert(rrtype_is_meta(128));
	cr_assert(!rrtype_is_meta(RR_A));
	cr_assert(!rrtype_is_meta(RR_URI));
	cr_assert(rrtype_cname_ok(RR_RRSIG));
	cr_assert(rrtype_cname_ok(RR_NSEC));
	cr_assert(!rrtype_cname_ok(RR_A));
	cr_assert(!rrtype_cname_ok(RR_MX));
	cr_assert(rrtype_is_dnssec(RR_DNSKEY));
	cr_assert(rrtype_is_dnssec(RR_NSEC3PARAM));
	cr_assert(!rrtype_is_dnssec(RR_DS));
	cr_assert(rrtype_known(RR_SVCB));
	cr_assert(rrtype_known(RR_LOC));
	cr_assert(!rrtype_known(RR_NULL));
	cr_assert(!rrtype_known(RR_OPT));
	cr_assert(!rrtype_known(65280));
}

/* Every type without a known format prints in generic form. */
Test(rrtype, unknown_types_print_generic)
{
	char b[64];
	const uint8_t rd[2] = { 0xab, 0x01 };
	for (unsigned v = 0; v < 65536; v++) {
		if (rrtype_known((uint16_t)v))
			continue;
		cr_assert_eq(rdata_to_text((uint16_t)v, rd, 2, b, sizeof(b)), 9);
		cr_assert_str_eq(b, "\\# 2 AB01");
		cr_assert_eq(rdata_check((uint16_t)v, rd, 2), 0);
	}
}

/* ---------------------------------------------------------- round trips */

Test(roundtrip, addresses)
{
	rt("A", "192.0.2.1", NULL);
	rt("A", "0.0.0.0", NULL);
	rt("A", "255.255.255.255", NULL);
	rt("A", "010.001.2.3", "10.1.2.3");
	rt("AAAA", "2001:db8::1", NULL);
	rt("AAAA", "::", NULL);
	rt("AAAA", "::1", NULL);
	rt("AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	rt("AAAA", "fe80::1:2:3:4", NULL);
	rt("AAAA", "::ffff:192.0.2.33", NULL);
	rt("AAAA", "1:2:3:4:5:6:7:8", NULL);
	rt("EUI48", "00-00-5e-00-53-2a", NULL);
	rt("EUI48", "00-00-5E-00-53-2A", "00-00-5e-00-53-2a");
	rt("EUI64", "00-00-5e-ef-10-00-00-2a", NULL);
	rt("L32", "10 10.1.2.0", NULL);
	rt("L64", "10 2001:0db8:1140:1000", NULL);
	rt("L64", "10 2001:DB8:1140:1000", "10 2001:0db8:1140:1000");
	rt("NID", "10 0014:4fff:ff20:ee64", NULL);
	rt("LP", "10 l64-subnet1.example.com.", NULL);
	rt("LP", "20 sub", "20 sub.example.");
}

Test(roundtrip, names)
{
	rt("NS", "ns1.example.com.", NULL);
	rt("NS", "ns1", "ns1.example.");
	rt("NS", "@", "example.");
	rt("CNAME", "www.example.org.", NULL);
	rt("DNAME", "example.net.", NULL);
	rt("PTR", "host\\.with\\ dots.example.", NULL);
	rt("PTR", ".", NULL);
	rt("MB", "madname.example.", NULL);
	rt("MG", "mgmname.example.", NULL);
	rt("MR", "new.example.", NULL);
	rt("NSAP-PTR", "foo.example.", NULL);
	rt("MINFO", "admin errors", "admin.example. errors.example.");
	rt("RP", "mbox.example.com. txt.example.com.", NULL);
	rt("RP", "mbox.example.com. .", NULL);
	rt("MX", "10 mail.example.com.", NULL);
	rt("MX", "0 .", NULL);
	rt("MX", "65535 mx", "65535 mx.example.");
	rt("AFSDB", "1 afs.example.", NULL);
	rt("RT", "10 relay.example.", NULL);
	rt("KX", "10 kx.example.", NULL);
	rt("PX", "10 net2.it. PRMD-net2.ADMD-p400.C-it.", NULL);
	rt("SRV", "0 5 5060 sipserver.example.com.", NULL);
	rt("SRV", "10 60 5060 bigbox", "10 60 5060 bigbox.example.");
	rt("SOA", "ns1.example.com. hostmaster.example.com. 2024010101 "
	   "7200 3600 1209600 300", NULL);
	rt("SOA", "ns1 hostmaster 1 1h 30m 2w 1d",
	   "ns1.example. hostmaster.example. 1 3600 1800 1209600 86400");
	rt("SOA", "@ @ 4294967295 0 0 0 0",
	   "example. example. 4294967295 0 0 0 0");
}

Test(roundtrip, strings)
{
	rt("TXT", "\"hello world\"", NULL);
	rt("TXT", "\"a\" \"b\" \"c\"", NULL);
	rt("TXT", "\"\"", NULL);
	rt("TXT", "unquoted", "\"unquoted\"");
	rt("TXT", "\"quote \\\" and backslash \\\\\"", NULL);
	rt("TXT", "\"tab\\009 and \\255 and \\e\"",
	   "\"tab\\009 and \\255 and e\"");
	rt("TXT", "\"v=spf1 -all\"", NULL);
	rt("SPF", "\"v=spf1 ip4:192.0.2.0/24 -all\"", NULL);
	rt("HINFO", "\"Generic PC clone\" \"NetBSD-8.0\"", NULL);
	rt("HINFO", "INTEL-386 UNIX", "\"INTEL-386\" \"UNIX\"");
	rt("X25", "\"311061700956\"", NULL);
	rt("ISDN", "\"150862028003217\"", NULL);
	rt("ISDN", "\"150862028003217\" \"004\"", NULL);
	rt("GPOS", "\"-32.6882\" \"116.8652\" \"10.0\"", NULL);
	rt("NAPTR", "100 10 \"\" \"\" \"!^urn:cid:.+@([^\\\\.]+\\\\.)(.*)$!\\\\2!i\" .",
	   NULL);
	rt("NAPTR", "100 50 \"a\" \"z3950+N2L+N2C\" \"\" cidserver.example.com.",
	   NULL);
	rt("NAPTR", "10 100 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.", NULL);
	rt("CAA", "0 issue \"letsencrypt.org\"", NULL);
	rt("CAA", "128 tbs \"Unknown\"", NULL);
	rt("CAA", "0 iodef \"mailto:security@example.com\"", NULL);
	rt("CAA", "0 issue \";\"", NULL);
	rt("CAA", "0 issuewild \"\"", NULL);
	rt("CAA", "0 issue ca.example.net", "0 issue \"ca.example.net\"");
	rt("URI", "10 1 \"ftp://ftp1.example.com/public\"", NULL);
	rt("URI", "1 0 \"https://example.com/a\\\"b\"", NULL);
}

Test(roundtrip, dnssec)
{
	rt("DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", NULL);
	rt("DS", "60485 RSASHA1 1 2bb183af5f22588179a53b0a98631fad1a292118",
	   "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
	rt("DS", "2371 13 2 1F987CC6583E92DF0890718C42 "
	   "91CA5A4C4BEF36CAD6C1B8B4A2A39E4FE1AB86",
	   "2371 13 2 1F987CC6583E92DF0890718C4291CA5A4C4BEF36CAD6C1B8B4A2A39E4FE1AB86");
	rt("DS", "12345 ED25519 99 AA", "12345 15 99 AA");
	rt("CDS", "0 0 0 00", NULL);
	rt("CDS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", NULL);
	rt("DNSKEY", "256 3 8 AwEAAa==", "256 3 8 AwEAAQ==");
	rt("DNSKEY", "257 3 ECDSAP256SHA256 mdsswUyr3DPW132mOi8V9xESWE8jTo0d "
	   "xCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
	   "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF"
	   "+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==");
	rt("CDNSKEY", "0 3 0 AA==", NULL);
	rt("KEY", "256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3", NULL);
	rt("RRSIG", "A 5 3 86400 20030322173103 20030220173103 2642 "
	   "example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=",
	   NULL);
	rt("RRSIG", "TYPE65280 ED25519 0 1h 1700000000 0 65535 . AAAA",
	   "TYPE65280 15 0 3600 20231114221320 19700101000000 65535 . AAAA");
	rt("RRSIG", "NSEC3PARAM 8 2 0 21060207062815 19700101000000 1 x AQID",
	   "NSEC3PARAM 8 2 0 21060207062815 19700101000000 1 x.example. AQID");
	rt("SIG", "NXT 1 2 3600 20000101000000 19991201000000 21423 a.b. AQID",
	   NULL);
	rt("NSEC", "host.example.com. A MX RRSIG NSEC TYPE1234", NULL);
	rt("NSEC", "b.example. NSEC RRSIG A", "b.example. A RRSIG NSEC");
	rt("NSEC", "next.example.", NULL);
	rt("NSEC", "a.example. CAA TYPE65535 URI A",
	   "a.example. A URI CAA TYPE65535");
	rt("NSEC3", "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR "
	   "NS SOA MX RRSIG DNSKEY NSEC3PARAM", NULL);
	rt("NSEC3", "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr",
	   "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR");
	rt("NSEC3", "1 0 0 - 00 A", NULL);
	rt("NSEC3PARAM", "1 0 12 AABBCCDD", NULL);
	rt("NSEC3PARAM", "1 0 0 -", NULL);
	rt("ZONEMD", "2018031900 1 1 C68090D90A7AED716BC459F9340E3D7C"
	   "1370D4D24B7E2FC3A1DDC0B9A87153B9A9713B3C9AE5CC27777F98B8E730044C",
	   NULL);
	rt("ZONEMD", "1 240 240 00112233445566778899AABB", NULL);
	rt("CSYNC", "66 3 A NS AAAA", NULL);
	rt("CSYNC", "0 0", NULL);
	rt("DHCID", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", NULL);
	rt("OPENPGPKEY", "mQENBFGV5yIBCAA=", "mQENBFGV5yIBCAA=");
	rt("SSHFP", "4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789",
	   NULL);
	rt("SSHFP", "1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac",
	   "1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC");
	rt("TLSA", "3 1 1 0D6FCE3F6C1E2FC0E4B8E2D0B4C1A4B6B8E2D0B4C1A4B6B8E2D0B4C1A4B6B8E2",
	   NULL);
	rt("TLSA", "0 0 1 d2abde240d7cd3ee6b4b28c54df034b9 "
	   "7983a1d16e8a410e4561cb106618e971",
	   "0 0 1 D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971");
	rt("SMIMEA", "3 0 0 3082", NULL);
	rt("CERT", "PGP 0 0 mQENBFGV5yIBCAA=", NULL);
	rt("CERT", "1 12345 8 MIIB", "PKIX 12345 8 MIIB");
	rt("CERT", "IACPKIX 1 RSASHA256 MIIB", "IACPKIX 1 8 MIIB");
	rt("CERT", "65000 1 1 MIIB", NULL);
	rt("IPSECKEY", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
	   NULL);
	rt("IPSECKEY", "10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
	   NULL);
	rt("IPSECKEY", "10 3 2 mygateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
	   NULL);
	rt("IPSECKEY", "10 2 2 2001:db8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
	   NULL);
	rt("IPSECKEY", "10 1 0 192.0.2.38", NULL);
}

Test(roundtrip, misc)
{
	rt("LOC", "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m", NULL);
	rt("LOC", "42 21 54 N 71 06 18 W -24m 30m",
	   "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m");
	rt("LOC", "52 14 05 N 00 08 50 E 10m",
	   "52 14 5.000 N 0 8 50.000 E 10.00m 1m 10000m 10m");
	rt("LOC", "32 7 19 S 116 2 25 E 10m",
	   "32 7 19.000 S 116 2 25.000 E 10.00m 1m 10000m 10m");
	rt("LOC", "42 21 43.952 N 71 5 6.344 W -24m 1m 200m",
	   "42 21 43.952 N 71 5 6.344 W -24.00m 1m 200m 10m");
	rt("LOC", "90 S 180 E 42849672.95m 90000000m 0.01m 0m",
	   "90 0 0.000 S 180 0 0.000 E 42849672.95m 90000000m 0.01m 0m");
	rt("LOC", "0 N 0 W -100000m", "0 0 0.000 N 0 0 0.000 E -100000.00m 1m 10000m 10m");
	rt("LOC", "59 59 59.999 n 1 1 w 0.5m", "59 59 59.999 N 1 1 0.000 W 0.50m 1m 10000m 10m");
	rt("APL", "1:192.168.32.0/21 !1:192.168.38.0/28", NULL);
	rt("APL", "1:224.0.0.0/4 2:ff00::/8", NULL);
	rt("APL", "", NULL);
	rt("NSAP", "0x47000580005a0000000001e133ffffff00016100",
	   "0x47000580005A0000000001E133FFFFFF00016100");
	rt("NSAP", "0x47.0005.80.005a00.0000.0001.e133.ffffff000161.00",
	   "0x47000580005A0000000001E133FFFFFF00016100");
}

Test(roundtrip, svcb)
{
	rt("SVCB", "0 foo.example.com.", NULL);
	rt("SVCB", "1 .", NULL);
	rt("HTTPS", "1 . alpn=\"h2,h3\"", NULL);
	rt("HTTPS", "1 . alpn=h2,h3 no-default-alpn",
	   "1 . alpn=\"h2,h3\" no-default-alpn");
	rt("SVCB", "16 foo.example.com. port=53", NULL);
	rt("SVCB", "1 foo.example.com. key667=\"hello\"", NULL);
	rt("SVCB", "1 foo.example.com. key667=\"hello\\210qoo\"", NULL);
	rt("SVCB", "1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1",
	   NULL);
	rt("SVCB", "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn "
	   "ipv4hint=192.0.2.1",
	   "16 foo.example.org. mandatory=alpn,ipv4hint alpn=\"h2,h3-19\" "
	   "ipv4hint=192.0.2.1");
	rt("SVCB", "16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"", NULL);
	rt("HTTPS", "1 . ech=AEP+DQA/BAAgACA= dohpath=\"/dns-query{?dns}\"",
	   NULL);
	rt("HTTPS", "1 . key65534 key9=\"a b\"", "1 . key9=\"a b\" key65534");
	rt("HTTPS", "1 . ohttp ipv4hint=192.0.2.1,198.51.100.2",
	   "1 . ipv4hint=192.0.2.1,198.51.100.2 ohttp");
	rt("HTTPS", "1 . port=\"443\"", "1 . port=443");
}

/* ------------------------------------------------------- RFC wire forms */

Test(wire, rfc4034_examples)
{
	/* §2.3 DNSKEY */
	uint8_t w[RDATA_MAX];
	int n = parse(RR_DNSKEY, "256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3 "
		      "Cbl+BBZH4b/0PY1kxkmvHjcZc8no kfzj31GajIQKY+5CptLr3buXA10h "
		      "WqTkF7H6RfoRqXQeogmMHfpftf6z Mv1LyBUgia7za6ZEzOJBOztyvhjL "
		      "742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w== )", w, sizeof(w));
	cr_assert_eq(n, 4 + 130, "%s", err);
	cr_assert(memcmp(w, "\x01\x00\x03\x05\x01\x03\xd2\x2a", 8) == 0);
	cr_assert_eq(w[n - 1], 0xe3);
	/* §3.3 RRSIG */
	wire("RRSIG", "A 5 3 86400 20030322173103 ( 20030220173103 2642 "
	     "example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTr "
	     "PYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3t "
	     "GNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG J5D6fwFm8nN+6pBzeDQfsS3Ap3o= )",
	     "0001 05 03 00015180 3e7c9dd7 3e5510d7 0a52"
	     "076578616d706c6503636f6d00"
	     "a090755ba58d1affa576f4375831b4310920e481218d18a9f164eb3d81afd3b8"
	     "75d3c75428631e0cf2a28d50875f70c329d7dbfafea807dc1fba1dc34c95d401"
	     "f23f334ce63bfcf3f1b5b44739e5f0eded18d6b33f040a911376d173d757a9f0"
	     "c1fa1798941bb0b36b2df9062790fa7f0166f2737eea907378341fb12dc0a77a");
	/* §4.3 NSEC */
	wire("NSEC", "host.example.com. ( A MX RRSIG NSEC TYPE1234 )",
	     "04686f7374076578616d706c6503636f6d00"
	     "0006400100000003"
	     "041b000000000000000000000000000000000000000000000000000020");
	/* §5.4 DS */
	wire("DS", "60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )",
	     "ec45 05 01 2bb183af5f22588179a53b0a98631fad1a292118");
}

Test(wire, rfc5155_nsec3)
{
	/* Appendix A: the apex NSEC3 and NSEC3PARAM of the example zone. */
	wire("NSEC3", "1 1 12 aabbccdd ( 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX "
	     "DNSKEY NS SOA NSEC3PARAM RRSIG )",
	     "01 01 000c 04 aabbccdd 14 174eb2409fe28bcb4887a1836f957f0a8425e27b"
	     "0007 2201 0000 0002 90");
	wire("NSEC3", "1 1 12 aabbccdd ( 2vptu5timamqttgl4luu9kg21e0aor3s A "
	     "RRSIG )",
	     "01 01 000c 04 aabbccdd 14 17f3df17b2b2adaef615257de4d2020b80ac"
	     "6c7c 0006 4000 0000 0002");
	wire("NSEC3PARAM", "1 0 12 aabbccdd", "01 00 000c 04 aabbccdd");
	wire("NSEC3", "1 1 12 aabbccdd 35mthgpgcu1qg68fab165klnsnk3dpvl",
	     "01 01 000c 04 aabbccdd 14 196dd8c3306783a8190f52c262d2b7e5e836"
	     "e7f5");
}

Test(wire, rfc1876_loc)
{
	/* cambridge-net.kei.com: 30m size, default precisions. */
	wire("LOC", "42 21 54 N 71 06 18 W -24m 30m",
	     "00 33 16 13 89172dd0 70be15f0 00988d20");
	/* pipex.net: defaults 1m 10000m 10m */
	wire("LOC", "52 14 05 N 00 08 50 E 10m",
	     "00 12 16 13 8b3556c8 80081650 00989a68");
	/* precision encodings: 1.5m truncates to 1e2 cm; 90000000m = 9e9 */
	wire("LOC", "0 N 0 E 0m 1.5m 90000000m 0m",
	     "00 12 99 00 80000000 80000000 00989680");
}

Test(wire, rfc3597_generic)
{
	wire("TYPE65280", "\\# 4 0a000001", "0a000001");
	wire("TYPE731", "\\# 6 abcd ( ef 01 23 45 )", "abcdef012345");
	wire("A", "\\# 4 C0000201", "c0000201");
	wire("A", "\\# 4 C0 00 02 01", "c0000201");
	wire("TYPE62347", "\\# 0", "");
	wire("MX", "\\# 6 000a 02 6d 78 00", "000a026d7800");
	wire("TXT", "\\# 3 02 6869", "026869");
	wire("NULL", "\\# 1 ff", "ff");
	char b[64];
	uint8_t rd[4] = { 10, 0, 0, 1 };
	cr_assert_eq(rdata_to_text(65280, rd, 4, b, sizeof(b)), 13);
	cr_assert_str_eq(b, "\\# 4 0A000001");
	cr_assert_eq(rdata_to_text(65280, rd, 0, b, sizeof(b)), 4);
	cr_assert_str_eq(b, "\\# 0");
	/* a quoted "\#" is just text */
	wire("TXT", "\"\\\\#\" 0", "02 5c23 01 30");
}

Test(wire, rfc9460_appendix_d)
{
	wire("HTTPS", "0 foo.example.com.",
	     "0000 03666f6f076578616d706c6503636f6d00");
	wire("SVCB", "1 .", "0001 00");
	wire("SVCB", "16 foo.example.com. port=53",
	     "0010 03666f6f076578616d706c6503636f6d00 0003 0002 0035");
	wire("SVCB", "1 foo.example.com. key667=hello",
	     "0001 03666f6f076578616d706c6503636f6d00 029b 0005 68656c6c6f");
	wire("SVCB", "1 foo.example.com. key667=\"hello\\210qoo\"",
	     "0001 03666f6f076578616d706c6503636f6d00 029b 0009 "
	     "68656c6c6fd2716f6f");
	wire("SVCB", "1 foo.example.com. ipv6hint=\"2001:db8::1,2001:db8::53:1\"",
	     "0001 03666f6f076578616d706c6503636f6d00 0006 0020 "
	     "20010db8000000000000000000000001 20010db8000000000000000000530001");
	wire("SVCB", "1 example.com. ( ipv6hint=\"2001:db8:122:344::192.0.2.33\" )",
	     "0001 076578616d706c6503636f6d00 0006 0010 "
	     "20010db80122034400000000c0000221");
	wire("SVCB", "16 foo.example.org. ( alpn=h2,h3-19 mandatory=ipv4hint,alpn "
	     "ipv4hint=192.0.2.1 )",
	     "0010 03666f6f076578616d706c65036f726700 "
	     "0000 0004 0001 0004 0001 0009 026832 05 68332d3139 "
	     "0004 0004 c0000201");
	const char *alpn_wire = "0010 03666f6f076578616d706c65036f726700 "
				"0001 000c 08 665c6f6f2c626172 02 6832";
	wire("SVCB", "16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
	     alpn_wire);
	wire("SVCB", "16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2",
	     alpn_wire);
}

Test(wire, rfc8976_zonemd)
{
	wire("ZONEMD", "2018031900 1 1 ( c68090d90a7aed716bc459f9340e3d7c "
	     "1370d4d24b7e2fc3a1ddc0b9a87153b9 a9713b3c9ae5cc27777f98b8e730044c )",
	     "7848b91c 01 01 c68090d90a7aed716bc459f9340e3d7c"
	     "1370d4d24b7e2fc3a1ddc0b9a87153b9a9713b3c9ae5cc27777f98b8e730044c");
}

Test(wire, misc_exact)
{
	wire("A", "192.0.2.1", "c0000201");
	wire("AAAA", "2001:db8::1", "20010db8000000000000000000000001");
	wire("MX", "10 mx", "000a 026d78 076578616d706c6500");
	wire("TXT", "\"a b\" c \"\"", "03612062 0163 00");
	wire("SOA", "a. b. 1 1h 2 3 4", "016100 016200 00000001 00000e10 "
	     "00000002 00000003 00000004");
	wire("CAA", "0 issue \"ca.example.net; account=230123\"",
	     "00 05 6973737565 63612e6578616d706c652e6e65743b206163636f756e743d"
	     "323330313233");
	wire("URI", "10 1 \"ftp://a/\"", "000a 0001 6674703a2f2f612f");
	wire("EUI48", "00-00-5e-00-53-2a", "00005e00532a");
	wire("RRSIG", "A 8 2 300 4294967295 0 1 . AA==",
	     "0001 08 02 0000012c ffffffff 00000000 0001 00 00");
	wire("CDS", "0 0 0 00", "0000 00 00 00");
	wire("CDNSKEY", "0 3 0 AA==", "0000 03 00 00");
	wire("NSEC", "a. TYPE0", "016100 0001 80");
	wire("CSYNC", "66 3 A NS AAAA", "00000042 0003 0004 6000 0008");
	wire("APL", "1:192.168.32.0/21 !1:192.168.38.0/28",
	     "0001 15 03 c0a820 0001 1c 83 c0a826");
	wire("IPSECKEY", "10 1 2 192.0.2.38 AQID", "0a 01 02 c0000226 010203");
	wire("L64", "10 2001:0DB8:1140:1000", "000a 20010db811401000");
	wire("NAPTR", "1 2 \"s\" \"\" \"\" .", "0001 0002 0173 00 00 00");
}

/* --------------------------------------------------------------- errors */

Test(errors, numbers)
{
	bad("MX", "abc mx.", "bad preference 'abc': expected a decimal number "
	    "0-65535");
	bad("MX", "70000 mx.", "preference 70000 out of range: expected 0-65535");
	bad("MX", "-1 mx.", "bad preference '-1'");
	bad("SSHFP", "256 1 AA", "algorithm 256 out of range: expected 0-255");
	bad("SOA", "a. b. 4294967296 1 1 1 1", "serial 4294967296 out of range");
	bad("SOA", "a. b. 1 1x 1 1 1", "bad refresh '1x': expected seconds or "
	    "a TTL");
	bad("SOA", "a. b. 1 1 1 1 99999999999", "minimum 99999999999 out of range");
	bad("SRV", "1 2 99999999999999999999 t.", "port 99999999999999999999 "
	    "out of range");
	bad("DS", "1 NOTANALG 1 AA", "bad algorithm 'NOTANALG': expected a "
	    "number 0-255 or a mnemonic");
	bad("RRSIG", "FOO 8 2 300 1 0 1 . AA==", "bad type covered 'FOO'");
	bad("RRSIG", "A 8 2 300 20230230000000 0 1 . AA==",
	    "bad signature expiration '20230230000000': expected YYYYMMDDHHmmSS");
	bad("RRSIG", "A 8 2 300 1 19691231235959 1 . AA==",
	    "bad signature inception");
	bad("RRSIG", "A 8 2 300 1 4294967296 1 . AA==", "bad signature inception");
	bad("CERT", "FOO 1 1 AA==", "bad certificate type 'FOO'");
	bad("NSEC", "a. A FOO", "bad type 'FOO' in type bitmap");
}

Test(errors, addresses)
{
	bad("A", "1.2.3", "bad IPv4 address '1.2.3': expected four decimal "
	    "octets like 198.51.100.1");
	bad("A", "1.2.3.256", "bad IPv4 address '1.2.3.256'");
	bad("A", "1.2.3.4.5", "bad IPv4 address");
	bad("A", "1..3.4", "bad IPv4 address");
	bad("A", "::1", "bad IPv4 address");
	bad("AAAA", "2001:db8::1::2", "bad IPv6 address '2001:db8::1::2'");
	bad("AAAA", "1:2:3:4:5:6:7", "bad IPv6 address");
	bad("AAAA", "1:2:3:4:5:6:7:8:9", "bad IPv6 address");
	bad("AAAA", "12345::", "bad IPv6 address");
	bad("AAAA", "1.2.3.4", "bad IPv6 address");
	bad("AAAA", "1:", "bad IPv6 address");
	bad("EUI48", "00-00-5e-00-53", "bad address '00-00-5e-00-53': expected 6 "
	    "hex pairs");
	bad("EUI64", "00:00:5e:ef:10:00:00:2a", "expected 8 hex pairs");
	bad("L64", "10 2001:db8:1140", "bad locator");
	bad("IPSECKEY", "10 1 2 2001:db8::1 AQID", "bad IPv4 gateway");
	bad("IPSECKEY", "10 4 2 . AQID", "gateway type 4 unknown");
	bad("APL", "3:1.2.3.4/8", "bad APL item '3:1.2.3.4/8'");
	bad("APL", "1:1.2.3.4/33", "bad APL item");
}

Test(errors, missing_and_extra)
{
	bad("MX", "10", "MX: missing exchange name after preference 10");
	bad("MX", "", "MX: missing preference: the rdata is empty");
	bad("MX", "10 a. b.", "unexpected extra token 'b.' after exchange name");
	bad("A", "1.2.3.4 5.6.7.8", "unexpected extra token '5.6.7.8'");
	bad("SOA", "a. b. 1 2 3 4", "missing minimum after expire 4");
	bad("TXT", "", "missing character-string");
	bad("DS", "1 8 2", "missing digest after digest type 2");
	bad("RRSIG", "A 8 2 300 1 0 1 .", "missing signature after signer's name");
	bad("NSEC3", "1 0 0 -", "missing next hashed owner name after salt -");
	bad("HINFO", "\"cpu\"", "missing OS string after CPU string cpu");
	bad("CAA", "0 issue", "missing value after tag issue");
	bad("LOC", "42 21 54 N 71 06 18 W", "missing altitude");
	bad("LOC", "42 21 54 N", "missing longitude");
	bad("SVCB", "1", "missing target name after priority 1");
}

Test(errors, encodings)
{
	bad("DNSKEY", "256 3 8 AwE!AQ==", "bad base64 in public key 'AwE!AQ=='");
	bad("DNSKEY", "256 3 8 AwEAA", "length is not a multiple of 4");
	bad("DNSKEY", "256 3 8 AA==AA==", "bad base64");
	bad("DNSKEY", "256 3 8 A===", "bad base64");
	bad("DS", "1 8 1 2BB183AF5F22588179A53B0A98631FAD1A29211",
	    "odd number of hex digits");
	bad("DS", "1 8 1 ZZ", "bad hex in digest 'ZZ'");
	bad("DS", "1 8 1 AABB", "digest of 2 octets does not fit digest type 1: "
	    "expected 20");
	bad("DS", "1 8 2 2BB183AF5F22588179A53B0A98631FAD1A292118",
	    "expected 32 (SHA-256)");
	bad("NSEC3", "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJW", "bad base32hex");
	bad("NSEC3", "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR=",
	    "bad base32hex");
	bad("NSEC3", "1 0 0 - 2T7", "bad base32hex");
	bad("NSEC3", "1 0 0 XYZ 2T7B4G4V", "bad hex in salt 'XYZ'");
	char salt[600] = "1 0 0 ";
	for (int k = 0; k < 256; k++)
		strcat(salt, "AB");
	bad("NSEC3PARAM", salt, "salt of 256 octets, at most 255 allowed");
	salt[strlen(salt) - 2] = 0;
	uint8_t w[300];
	cr_assert_eq(parse(RR_NSEC3PARAM, salt, w, sizeof(w)), 5 + 255, "%s", err);
	bad("TLSA", "3 1 1 -", "bad hex");
	bad("ZONEMD", "1 1 1 00112233", "at least 12 expected");
	bad("NSAP", "47000580", "bad NSAP address '47000580': expected 0x");
	bad("NSAP", "0x470", "expected 0x followed by an even number");
}

Test(errors, strings)
{
	char txt[400];
	memset(txt, 'x', 300);
	txt[300] = 0;
	bad("TXT", txt, "TXT: character-string of 300 octets, at most 255 "
	    "allowed");
	bad("HINFO", "a \"b\\1\"", "bad escape in OS string");
	bad("TXT", "\"abc\\2\"", "bad escape in character-string");
	bad("TXT", "\"abc\\256\"", "bad escape");
	bad("TXT", "abc\\", "bad escape");
	bad("HINFO", "\"a\\300\" b", "bad escape in CPU string");
	bad("CAA", "0 is-sue \"x\"", "bad tag 'is-sue': expected 1-255 ASCII "
	    "letters and digits");
	bad("CAA", "0 issue \"\\99\"", "bad escape in value");
	bad("NS", "a..b", "bad name server name 'a..b': empty label");
	bad("MX", "10 \\300.example.", "bad exchange name");
	/* a 64-octet label */
	bad("CNAME", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
	    "label longer than 63 octets");
	/* 255 octets of TXT string is the maximum */
	char t255[300];
	memset(t255, 'y', 255);
	t255[255] = 0;
	uint8_t w[300];
	cr_assert_eq(parse(RR_TXT, t255, w, sizeof(w)), 256);
}

Test(errors, generic)
{
	bad("A", "\\# 3 C00002", "generic rdata \\# 3 is not well-formed A rdata");
	bad("A", "\\# 4 C00002", "generic rdata length mismatch: \\# 4 announced "
	    "but 3 octets");
	bad("A", "\\# 4 C0000201FF", "length mismatch");
	bad("TYPE65280", "\\# 0 00", "length mismatch");
	bad("TYPE65280", "\\#", "missing rdata length after \\#");
	bad("TYPE65280", "\\# x 00", "bad generic rdata length 'x'");
	bad("TYPE65280", "\\# 65536 00", "bad generic rdata length");
	bad("TYPE65280", "\\# 1 0", "odd number of hex digits");
	bad("TYPE65280", "\\# 1 GG", "bad hex");
	bad("TYPE65280", "0a000001", "expected generic form \\# LEN HEX");
	bad("NULL", "abc", "expected generic form");
	/* RFC 3597 §5 example: zero-length HINFO is not valid HINFO */
	bad("HINFO", "\\# 0", "not well-formed HINFO");
	bad("MX", "\\# 4 000a 0301", "not well-formed MX");
	bad("SVCB", "\\# 11 0001 00 0003 0002 0035 0001", "not well-formed");
}

Test(errors, svcb)
{
	/* RFC 9460 Appendix D.3 failure cases */
	bad("SVCB", "1 foo.example.com. ( key123=abc key123=def )",
	    "duplicate SvcParamKey 'key123'");
	bad("SVCB", "1 foo.example.com. mandatory", "bad mandatory value");
	bad("SVCB", "1 foo.example.com. alpn", "bad alpn value");
	bad("SVCB", "1 foo.example.com. port", "bad port value");
	bad("SVCB", "1 foo.example.com. ipv4hint", "bad ipv4hint value");
	bad("SVCB", "1 foo.example.com. ipv6hint", "bad ipv6hint value");
	bad("SVCB", "1 foo.example.com. no-default-alpn=abc",
	    "bad no-default-alpn value 'abc': expected no value");
	bad("SVCB", "1 foo.example.com. mandatory=key123",
	    "mandatory lists key 'key123' that is not present");
	bad("SVCB", "1 foo.example.com. mandatory=mandatory",
	    "mandatory must not list itself");
	bad("SVCB", "1 foo.example.com. ( mandatory=key123,key123 key123=abc )",
	    "mandatory lists key 'key123' twice");
	/* others */
	bad("HTTPS", "1 . alpn=h2 alpn=h3", "duplicate SvcParamKey 'alpn'");
	bad("HTTPS", "1 . foo=bar", "bad SvcParamKey 'foo'");
	bad("HTTPS", "1 . key65535=x", "bad SvcParamKey 'key65535'");
	bad("HTTPS", "1 . port=65536", "bad port value '65536'");
	bad("HTTPS", "1 . ipv4hint=1.2.3.4,", "bad ipv4hint value");
	bad("HTTPS", "1 . ipv6hint=1.2.3.4", "bad ipv6hint value");
	bad("HTTPS", "1 . alpn=h2,,h3", "non-empty protocol ids");
	bad("HTTPS", "1 . alpn=\"h2", "unterminated quoted value");
	bad("HTTPS", "1 . ech=abc", "bad ech value");
	bad("HTTPS", "1 . no-default-alpn", "no-default-alpn without alpn");
}

Test(errors, loc)
{
	bad("LOC", "91 N 0 E 0m", "latitude out of range");
	bad("LOC", "90 1 N 0 E 0m", "latitude beyond 90 degrees");
	bad("LOC", "42 60 N 0 E 0m", "latitude out of range");
	bad("LOC", "42 21 54 X 71 06 18 W 0m", "expected N or S");
	bad("LOC", "42 21 54 N 181 E 0m", "longitude out of range");
	bad("LOC", "42 21 54 N 71 06 18 N 0m", "expected E or W");
	bad("LOC", "42 21 54.1234 N 71 06 18 W 0m", "bad latitude seconds");
	bad("LOC", "42 N 71 W -100000.01m", "bad altitude '-100000.01m'");
	bad("LOC", "42 N 71 W 42849672.96m", "bad altitude");
	bad("LOC", "42 N 71 W 10m 90000000.01m", "bad size '90000000.01m'");
	bad("LOC", "42 N 71 W 10m 1m 1m 1m 1m", "unexpected extra token '1m'");
	bad("LOC", "42 N 71 W 10m 1x", "bad size '1x'");
}

/* --------------------------------------------------------------- checks */

Test(check, truncated_wire)
{
	const char *cases[][2] = {
		{ "MX", "10 mx.example.com." },
		{ "SOA", "a. b. 1 2 3 4 5" },
		{ "TXT", "\"abc\" \"def\"" },
		{ "RRSIG", "A 8 2 300 1 0 1 example. AQID" },
		{ "NSEC", "a.example. A MX RRSIG NSEC TYPE1234" },
		{ "NSEC3", "1 1 12 aabbccdd 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A" },
		{ "SVCB", "1 . alpn=h2,h3 port=443 ipv6hint=::1" },
		{ "NAPTR", "1 2 \"s\" \"x\" \"\" foo." },
		{ "SRV", "1 2 3 t." },
		{ "CAA", "0 issue \"x\"" },
		{ "HINFO", "a b" },
		{ "LOC", "42 21 54 N 71 06 18 W -24m 30m" },
		{ "A", "1.2.3.4" },
		{ "AAAA", "::1" },
		{ "DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118" },
		{ "IPSECKEY", "10 3 2 gw.example. AQID" },
		{ "APL", "1:192.168.32.0/21" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint16_t ty = T(cases[k][0]);
		uint8_t w[512];
		int n = parse(ty, cases[k][1], w, sizeof(w));
		cr_assert_gt(n, 0, "%s: %s", cases[k][0], err);
		cr_assert_eq(rdata_check(ty, w, (size_t)n), 0);
		/* every proper prefix is malformed, except where the type
		 * allows fewer fields (TXT after a whole string, NSEC/NSEC3
		 * without bitmap, SVCB without params, CAA value, APL) */
		for (int cut = 0; cut < n; cut++) {
			int r = rdata_check(ty, w, (size_t)cut);
			char b[2048];
			rdata_to_text(ty, w, (size_t)cut, b, sizeof(b));
			if (r == 0) {
				/* acceptable prefixes must print in the type's
				 * own format and re-parse */
				uint8_t w2[512];
				cr_assert_eq(parse(ty, b, w2, sizeof(w2)), cut,
					     "%s cut %d '%s': %s", cases[k][0],
					     cut, b, err);
			} else {
				cr_assert(strncmp(b, "\\# ", 3) == 0,
					  "%s cut %d printed '%s'", cases[k][0],
					  cut, b);
			}
		}
	}
	/* specific malformations */
	cr_assert_eq(rdata_check(RR_A, (const uint8_t *)"\1\2\3", 3), -1);
	cr_assert_eq(rdata_check(RR_MX, (const uint8_t *)"\0\1\3abc", 6), -1);
	cr_assert_eq(rdata_check(RR_MX, (const uint8_t *)"\0\1\3abc\0", 7), 0);
	cr_assert_eq(rdata_check(RR_MX, (const uint8_t *)"\0\1\300\0", 4), -1);
	cr_assert_eq(rdata_check(RR_TXT, (const uint8_t *)"\5ab", 3), -1);
	cr_assert_eq(rdata_check(RR_TXT, (const uint8_t *)"", 0), -1);
	/* bitmap windows: out of order, empty, trailing zero octet */
	cr_assert_eq(rdata_check(RR_NSEC, (const uint8_t *)"\0\1\1\x40\0\1\x40", 7), -1);
	cr_assert_eq(rdata_check(RR_NSEC, (const uint8_t *)"\0\0\0", 3), -1);
	cr_assert_eq(rdata_check(RR_NSEC, (const uint8_t *)"\0\0\2\x40\0", 5), -1);
	cr_assert_eq(rdata_check(RR_NSEC, (const uint8_t *)"\0\0\1\x40", 4), 0);
	/* SVCB keys out of order */
	cr_assert_eq(rdata_check(RR_SVCB, (const uint8_t *)
				 "\0\1\0\0\3\0\2\0\65\0\1\0\3\2h2", 16), -1);
	cr_assert_eq(rdata_check(RR_SVCB, (const uint8_t *)
				 "\0\1\0\0\1\0\3\2h2\0\3\0\2\0\65", 16), 0);
	/* LOC version 1 */
	uint8_t loc[16] = { 1, 0x12, 0x16, 0x13, 0x80, 0, 0, 0, 0x80, 0, 0, 0,
			    0, 0x98, 0x96, 0x80 };
	cr_assert_eq(rdata_check(RR_LOC, loc, 16), -1);
	loc[0] = 0;
	cr_assert_eq(rdata_check(RR_LOC, loc, 16), 0);
	loc[1] = 0xa0;
	cr_assert_eq(rdata_check(RR_LOC, loc, 16), -1);
	char b[128];
	rdata_to_text(RR_LOC, loc, 16, b, sizeof(b));
	cr_assert(strncmp(b, "\\# 16 00A01613", 14) == 0, "%s", b);
}

Test(check, output_space)
{
	char b[8];
	const uint8_t rd[4] = { 192, 0, 2, 1 };
	cr_assert_eq(rdata_to_text(RR_A, rd, 4, b, sizeof(b)), -1);
	char c[10];
	cr_assert_eq(rdata_to_text(RR_A, rd, 4, c, sizeof(c)), 9);
	cr_assert_str_eq(c, "192.0.2.1");
	uint8_t w[8];
	cr_assert_eq(parse(RR_MX, "10 mail.example.com.", w, sizeof(w)), -1);
	cr_assert(strstr(err, "rdata too long"), "%s", err);
	uint8_t w2[4];
	cr_assert_eq(parse(RR_A, "192.0.2.1", w2, sizeof(w2)), 4);
	cr_assert_eq(parse(RR_AAAA, "::1", w2, sizeof(w2)), -1);
}

/* ---------------------------------------------------------- canon order */

static int ccmp(const char *type, const char *a, const char *b)
{
	uint16_t ty = T(type);
	uint8_t wa[RDATA_MAX], wb[RDATA_MAX];
	int na = parse(ty, a, wa, sizeof(wa));
	cr_assert_geq(na, 0, "%s", err);
	int nb = parse(ty, b, wb, sizeof(wb));
	cr_assert_geq(nb, 0, "%s", err);
	int c = rdata_canon_cmp(ty, wa, (size_t)na, wb, (size_t)nb);
	int r = rdata_canon_cmp(ty, wb, (size_t)nb, wa, (size_t)na);
	cr_assert_eq(c < 0, r > 0);
	cr_assert_eq(c == 0, r == 0);
	return c;
}

Test(canon, names_and_strings)
{
	/* RFC 4034 §6.2 types: names compare lowercased */
	cr_assert_eq(ccmp("MX", "10 MAIL.Example.COM.", "10 mail.example.com."), 0);
	cr_assert_lt(ccmp("MX", "10 a.example.", "20 a.example."), 0);
	cr_assert_lt(ccmp("MX", "10 A.example.", "10 b.example."), 0);
	cr_assert_eq(ccmp("NS", "NS1.example.", "ns1.EXAMPLE."), 0);
	cr_assert_eq(ccmp("SOA", "A. B. 1 2 3 4 5", "a. b. 1 2 3 4 5"), 0);
	cr_assert_lt(ccmp("SOA", "A. B. 1 2 3 4 5", "a. b. 2 2 3 4 5"), 0);
	cr_assert_eq(ccmp("RRSIG", "A 8 2 3 4 5 6 EXAMPLE. AA==",
			  "A 8 2 3 4 5 6 example. AA=="), 0);
	cr_assert_eq(ccmp("SRV", "1 2 3 T.example.", "1 2 3 t.example."), 0);
	cr_assert_eq(ccmp("NAPTR", "1 2 \"s\" \"x\" \"\" A.", "1 2 \"s\" \"x\" \"\" a."), 0);
	cr_assert_neq(ccmp("NAPTR", "1 2 \"S\" \"x\" \"\" a.", "1 2 \"s\" \"x\" \"\" a."), 0);
	/* uppercase 'Z' (0x5a) sorts before 'a' in octets, but lowercased
	 * 'z' sorts after */
	cr_assert_gt(ccmp("CNAME", "Z.example.", "a.example."), 0);
	/* RFC 6840 §5.1: NSEC next name is not lowercased */
	cr_assert_neq(ccmp("NSEC", "A.example. A", "a.example. A"), 0);
	cr_assert_lt(ccmp("NSEC", "Z.example. A", "a.example. A"), 0);
	/* strings are case-sensitive */
	cr_assert_neq(ccmp("TXT", "\"ABC\"", "\"abc\""), 0);
	cr_assert_lt(ccmp("TXT", "\"ABC\"", "\"abc\""), 0);
	cr_assert_eq(ccmp("TXT", "\"abc\"", "abc"), 0);
	/* shorter sorts first when it is a prefix */
	cr_assert_lt(ccmp("TXT", "\"ab\"", "\"ab\" \"c\""), 0);
	cr_assert_lt(ccmp("A", "192.0.2.1", "192.0.2.2"), 0);
	cr_assert_gt(ccmp("A", "192.0.2.10", "192.0.2.2"), 0);
	/* SVCB target names are not lowercased (not in RFC 4034 §6.2) */
	cr_assert_neq(ccmp("SVCB", "1 A.example.", "1 a.example."), 0);
	/* generic (unknown type) is octets */
	uint8_t x[2] = { 1, 2 }, y[3] = { 1, 2, 0 };
	cr_assert_lt(rdata_canon_cmp(65280, x, 2, y, 3), 0);
	cr_assert_eq(rdata_canon_cmp(65280, x, 2, x, 2), 0);
}

/* Every known type has at least one round trip above; check the table
 * agrees with rrtype_known by parsing one sample of each. */
Test(roundtrip, every_known_type_has_a_sample)
{
	static const char *const samples[][2] = {
		{ "A", "1.2.3.4" }, { "NS", "a." }, { "MD", "a." }, { "MF", "a." },
		{ "CNAME", "a." }, { "SOA", "a. b. 1 2 3 4 5" }, { "MB", "a." },
		{ "MG", "a." }, { "MR", "a." }, { "PTR", "a." },
		{ "HINFO", "a b" }, { "MINFO", "a. b." }, { "MX", "1 a." },
		{ "TXT", "a" }, { "RP", "a. b." }, { "AFSDB", "1 a." },
		{ "X25", "123" }, { "ISDN", "123" }, { "RT", "1 a." },
		{ "NSAP", "0x47" }, { "NSAP-PTR", "a." },
		{ "SIG", "A 1 2 3 4 5 6 a. AA==" }, { "KEY", "1 2 3 AA==" },
		{ "PX", "1 a. b." }, { "GPOS", "1 2 3" }, { "AAAA", "::" },
		{ "LOC", "1 N 2 E 3m" }, { "SRV", "1 2 3 a." },
		{ "NAPTR", "1 2 a b c d." }, { "KX", "1 a." },
		{ "CERT", "1 2 3 AA==" }, { "DNAME", "a." },
		{ "APL", "1:1.2.3.4/32" }, { "DS", "1 2 3 AA" },
		{ "SSHFP", "1 2 AA" }, { "IPSECKEY", "1 0 0 ." },
		{ "RRSIG", "A 1 2 3 4 5 6 a. AA==" }, { "NSEC", "a. A" },
		{ "DNSKEY", "1 2 3 AA==" }, { "DHCID", "AA==" },
		{ "NSEC3", "1 2 3 - 00" }, { "NSEC3PARAM", "1 2 3 -" },
		{ "TLSA", "1 2 3 AA" }, { "SMIMEA", "1 2 3 AA" },
		{ "CDS", "1 2 3 AA" }, { "CDNSKEY", "1 2 3 AA==" },
		{ "OPENPGPKEY", "AA==" }, { "CSYNC", "1 2 A" },
		{ "ZONEMD", "1 2 3 000000000000000000000000" },
		{ "SVCB", "1 ." }, { "HTTPS", "1 ." }, { "SPF", "a" },
		{ "NID", "1 0:0:0:0" }, { "L32", "1 1.2.3.4" },
		{ "L64", "1 0:0:0:0" }, { "LP", "1 a." },
		{ "EUI48", "00-00-00-00-00-00" },
		{ "EUI64", "00-00-00-00-00-00-00-00" },
		{ "URI", "1 2 a" }, { "CAA", "0 a b" },
	};
	size_t ns = sizeof(samples) / sizeof(samples[0]);
	unsigned known = 0;
	for (unsigned v = 0; v < 65536; v++)
		known += rrtype_known((uint16_t)v);
	cr_assert_eq(known, ns);
	for (size_t k = 0; k < ns; k++) {
		uint16_t ty = T(samples[k][0]);
		cr_assert(rrtype_known(ty), "%s", samples[k][0]);
		uint8_t w[512];
		char b[1024];
		int n = parse(ty, samples[k][1], w, sizeof(w));
		cr_assert_geq(n, 0, "%s: %s", samples[k][0], err);
		cr_assert_gt(rdata_to_text(ty, w, (size_t)n, b, sizeof(b)), 0);
		cr_assert(strncmp(b, "\\#", 2) != 0, "%s printed %s",
			  samples[k][0], b);
		rt(samples[k][0], b, NULL);
	}
}

/* Property: any wire that rdata_check accepts prints as text that parses
 * back to the same wire; anything else prints in generic form.  Inputs
 * are random mutations of valid samples of each type. */
Test(roundtrip, mutated_wire)
{
	static const char *const samples[][2] = {
		{ "A", "1.2.3.4" }, { "NS", "a.b." }, { "SOA", "a. b. 1 2 3 4 5" },
		{ "HINFO", "\"a b\" c" }, { "MX", "1 a.b." }, { "TXT", "a \"b c\"" },
		{ "RP", "a. b." }, { "ISDN", "1 2" }, { "NSAP", "0x4701" },
		{ "PX", "1 a. b." }, { "AAAA", "::1" },
		{ "LOC", "42 21 54 N 71 06 18 W -24m 30m" },
		{ "SRV", "1 2 3 a." }, { "NAPTR", "1 2 a b c d." },
		{ "CERT", "1 2 3 AAAA" }, { "APL", "1:1.2.3.0/24 !2:ff00::/8" },
		{ "DS", "1 2 3 AABB" }, { "SSHFP", "1 2 AA" },
		{ "IPSECKEY", "1 3 2 gw. AQID" },
		{ "RRSIG", "A 8 2 300 1 0 1 example. AQID" },
		{ "NSEC", "a. A MX RRSIG TYPE1234" },
		{ "DNSKEY", "257 3 13 AQIDBA==" },
		{ "NSEC3", "1 1 12 aabbccdd 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A NS" },
		{ "NSEC3PARAM", "1 0 1 AB" }, { "TLSA", "3 1 1 AABB" },
		{ "CSYNC", "1 3 A NS" },
		{ "ZONEMD", "1 1 240 000102030405060708090A0B" },
		{ "SVCB", "1 a. mandatory=alpn alpn=h2,h3 port=443 ipv4hint=1.2.3.4 "
		  "ech=AQID ipv6hint=::1 dohpath=/q{?dns} key9=x" },
		{ "HTTPS", "0 ." }, { "NID", "1 0:0:0:1" }, { "L32", "1 1.2.3.4" },
		{ "EUI48", "00-00-00-00-00-01" }, { "URI", "1 2 \"a b\"" },
		{ "CAA", "0 issue \"x;y\"" }, { "GPOS", "1 2 3" },
	};
	uint32_t seed = 12345;
	for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		uint16_t ty = T(samples[k][0]);
		uint8_t base[512];
		int bn = parse(ty, samples[k][1], base, sizeof(base));
		cr_assert_gt(bn, 0, "%s: %s", samples[k][0], err);
		unsigned good = 0;
		for (int it = 0; it < 3000; it++) {
			uint8_t w[600], w2[RDATA_MAX];
			size_t n = (size_t)bn;
			memcpy(w, base, n);
			int muts = 1 + it % 3;
			for (int m = 0; m < muts; m++) {
				seed = seed * 1103515245 + 12345;
				uint32_t r = seed >> 8;
				switch (r % 4) {
				case 0: /* change a byte */
					if (n)
						w[(r >> 4) % n] = (uint8_t)(r >> 12);
					break;
				case 1: /* small change */
					if (n)
						w[(r >> 4) % n] ^= (uint8_t)(1u << (r >> 20) % 8);
					break;
				case 2: /* truncate */
					if (n)
						n = (r >> 4) % n;
					break;
				case 3: /* append */
					if (n < 590)
						w[n++] = (uint8_t)(r >> 4);
					break;
				}
			}
			char txt[8192];
			cr_assert_geq(rdata_to_text(ty, w, n, txt, sizeof(txt)), 0);
			if (rdata_check(ty, w, n) != 0) {
				cr_assert(strncmp(txt, "\\# ", 3) == 0, "%s: %s",
					  samples[k][0], txt);
				continue;
			}
			good++;
			int n2 = parse(ty, txt, w2, sizeof(w2));
			cr_assert_eq(n2, (int)n, "%s '%s': %s", samples[k][0], txt,
				     err);
			cr_assert(memcmp(w, w2, n) == 0, "%s '%s'", samples[k][0],
				  txt);
		}
		cr_assert_gt(good, 0, "%s", samples[k][0]);
	}
}

/* Property: whatever text parses gives well-formed wire that prints and
 * parses back to itself.  Inputs are random mutations of valid texts. */
Test(roundtrip, mutated_text)
{
	static const char *const samples[][2] = {
		{ "A", "192.0.2.1" }, { "AAAA", "2001:db8::1:2" },
		{ "MX", "10 mail.example." }, { "TXT", "\"a\\\\b\\\"c\" d\\065" },
		{ "SOA", "a. b. 1 1h 2m 3w 4d" }, { "HINFO", "a b" },
		{ "LOC", "42 21 43.952 N 71 5 6.344 W -24m 1m 200m 3.5m" },
		{ "NAPTR", "1 2 \"a\" \"b\" \"c\" d." },
		{ "RRSIG", "A 8 2 300 20240101000000 20231201000000 1 a. AQIDBA==" },
		{ "NSEC3", "1 1 12 aabbccdd 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A NS" },
		{ "SVCB", "1 a. mandatory=alpn alpn=\"h2,h\\\\,3\" port=443 "
		  "ipv4hint=1.2.3.4,5.6.7.8 ech=AQID ipv6hint=::1 key9=\"x y\"" },
		{ "CAA", "0 issue \"x;y\"" }, { "APL", "1:1.2.3.0/24 !2:ff00::/8" },
		{ "IPSECKEY", "1 2 3 2001:db8::1 AQID" },
		{ "EUI64", "00-00-5e-ef-10-00-00-2a" }, { "L64", "1 0:1:2:3" },
		{ "DS", "1 8 2 1F987CC6583E92DF0890718C4291CA5A4C4BEF36CAD6C1B8B4A2A39E4FE1AB86" },
		{ "TYPE65280", "\\# 3 aabbcc" }, { "A", "\\# 4 01020304" },
	};
	static const char alphabet[] = "0123456789abcdefxyz.:-=,\\\"@ ;/NSEWm";
	uint32_t seed = 4242;
	for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		uint16_t ty = T(samples[k][0]);
		for (int it = 0; it < 3000; it++) {
			char s[512];
			strcpy(s, samples[k][1]);
			size_t n = strlen(s);
			for (int m = 0; m < 1 + it % 2; m++) {
				seed = seed * 1103515245 + 12345;
				uint32_t r = seed >> 8;
				size_t pos = n ? (r >> 6) % n : 0;
				char c = alphabet[(r >> 16) % (sizeof(alphabet) - 1)];
				switch (r % 3) {
				case 0:
					s[pos] = c;
					break;
				case 1:
					memmove(s + pos, s + pos + 1, n - pos);
					n--;
					break;
				case 2:
					memmove(s + pos + 1, s + pos, n - pos + 1);
					s[pos] = c;
					n++;
					break;
				}
				if (n == 0)
					break;
			}
			s[n] = 0;
			uint8_t w[RDATA_MAX], w2[RDATA_MAX];
			int n1 = parse(ty, s, w, sizeof(w));
			if (n1 < 0) {
				cr_assert_neq(err[0], 0, "no message for '%s'", s);
				continue;
			}
			cr_assert_eq(rdata_check(ty, w, (size_t)n1), 0, "%s '%s'",
				     samples[k][0], s);
			char txt[8192];
			cr_assert_geq(rdata_to_text(ty, w, (size_t)n1, txt,
						    sizeof(txt)), 0);
			cr_assert(strncmp(txt, "\\#", 2) != 0 || !rrtype_known(ty),
				  "%s '%s' printed %s", samples[k][0], s, txt);
			int n2 = parse(ty, txt, w2, sizeof(w2));
			cr_assert_eq(n2, n1, "%s '%s' -> '%s': %s", samples[k][0], s,
				     txt, err);
			cr_assert(memcmp(w, w2, (size_t)n1) == 0, "%s '%s' -> '%s'",
				  samples[k][0], s, txt);
		}
	}
}
