/*
 * rdata.c - the rdata codec (rdata.h): presentation <-> wire form driven by
 * the per-type field table of rdesc.h, RFC 3597 generic form, wire
 * validation and canonical order.  SVCB params and LOC live in
 * rdata_svcb.c and rdata_loc.c.
 *
 * The parser is on the hot path of zone loading: no allocation, no stdio
 * or locale-dependent calls unless an error is being reported.
 */
#include "zones/rdata.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/enc.h"
#include "zones/rdata_int.h"
#include "zones/rdesc.h"
#include "zones/rrtype.h"
#include "zones/ttl.h"
#include "zones/wire.h"

/* ---------------------------------------------------------------- errors */

int rdata_fail(struct rdata_parse *p, const char *fmt, ...)
{
	if (p->err && p->errcap) {
		int k = snprintf(p->err, p->errcap, "%s: ", p->tname);
		if (k < 0)
			k = 0;
		if ((size_t)k < p->errcap) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + k, p->errcap - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	return -1;
}

int rdata_missing(struct rdata_parse *p, const char *label)
{
	if (p->i == 0 || !p->last)
		return rdata_fail(p, "missing %s: the rdata is empty", label);
	const struct tok *t = &p->t[p->i - 1];
	return rdata_fail(p, "missing %s after %s %.*s", label, p->last,
			  (int)(t->len > 60 ? 60 : t->len), t->s);
}

int rdata_room(struct rdata_parse *p, size_t n)
{
	if ((size_t)(p->end - p->o) >= n)
		return 0;
	return rdata_fail(p, "rdata too long: more than %zu octets",
			  (size_t)(p->end - p->start));
}

/* Shows a token in messages, cut to a sane length. */
#define TOKF "'%.*s%s'"
#define TOKA(t) (int)((t)->len > 80 ? 80 : (t)->len), (t)->s, \
		((t)->len > 80 ? "..." : "")

/* --------------------------------------------------------- small parsers */

int rdata_num(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	if (len == 0)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(uint8_t)s[i] - '0';
		if (d > 9)
			return -1;
		if (v <= 0xffffffffull)
			v = v * 10 + d;
	}
	if (v > max)
		return -2;
	*out = (uint32_t)v;
	return 0;
}

bool rdata_ipv4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		if (k) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		unsigned v = 0, nd = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && nd < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			nd++;
		}
		if (nd == 0 || nd > 3 || v > 255)
			return false;
		out[k] = (uint8_t)v;
	}
	return i == len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 4291 §2.2 text forms, including "::" and a trailing dotted quad. */
bool rdata_ipv6(const char *s, size_t len, uint8_t out[16])
{
	uint8_t g[16];
	int ng = 0;	/* octets filled in g */
	int gap = -1;	/* where "::" stands, in octets */
	size_t i = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
		if (i == len)
			goto done;
	}
	for (;;) {
		size_t st = i;
		unsigned v = 0;
		int nd = 0, h;
		while (i < len && (h = hexval(s[i])) >= 0 && nd < 5) {
			v = v << 4 | (unsigned)h;
			i++;
			nd++;
		}
		if (i < len && s[i] == '.') {
			/* Embedded IPv4 in the last 32 bits. */
			if (ng > 12 || !rdata_ipv4(s + st, len - st, g + ng))
				return false;
			ng += 4;
			break;
		}
		if (nd == 0 || nd > 4 || ng > 14)
			return false;
		g[ng++] = (uint8_t)(v >> 8);
		g[ng++] = (uint8_t)v;
		if (i == len)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < len && s[i] == ':') {
			if (gap >= 0)
				return false;
			gap = ng;
			i++;
			if (i == len)
				break;
		} else if (i == len) {
			return false;
		}
	}
done:
	if (gap < 0) {
		if (ng != 16)
			return false;
		memcpy(out, g, 16);
		return true;
	}
	if (ng > 14)
		return false;
	memcpy(out, g, (size_t)gap);
	memset(out + gap, 0, (size_t)(16 - ng));
	memcpy(out + gap + (16 - ng), g + gap, (size_t)(ng - gap));
	return true;
}

int rdata_unescape(const char *s, size_t len, uint8_t *out, size_t cap)
{
	const char *bs = memchr(s, '\\', len);
	if (!bs) {
		if (len > cap)
			return -2;
		memcpy(out, s, len);
		return (int)len;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '\\') {
			if (++i >= len)
				return -1;
			c = (uint8_t)s[i];
			if (c >= '0' && c <= '9') {
				/* \DDD: exactly three digits, at most 255. */
				if (i + 2 >= len || s[i + 1] < '0' || s[i + 1] > '9' ||
				    s[i + 2] < '0' || s[i + 2] > '9')
					return -1;
				unsigned v = (unsigned)(c - '0') * 100 +
					     (unsigned)(s[i + 1] - '0') * 10 +
					     (unsigned)(s[i + 2] - '0');
				if (v > 255)
					return -1;
				c = (uint8_t)v;
				i += 2;
			}
		}
		if (n >= cap)
			return -2;
		out[n++] = c;
	}
	return (int)n;
}

/* ------------------------------------------------------- mnemonic tables */

static const struct {
	const char *name;
	uint8_t v;
} alg_names[] = {
	/* IANA DNS Security Algorithm Numbers (RFC 8624 §3.1 and earlier). */
	{ "RSAMD5", 1 }, { "DH", 2 }, { "DSA", 3 }, { "RSASHA1", 5 },
	{ "DSA-NSEC3-SHA1", 6 }, { "RSASHA1-NSEC3-SHA1", 7 },
	{ "RSASHA256", 8 }, { "RSASHA512", 10 }, { "ECC-GOST", 12 },
	{ "ECDSAP256SHA256", 13 }, { "ECDSAP384SHA384", 14 },
	{ "ED25519", 15 }, { "ED448", 16 }, { "INDIRECT", 252 },
	{ "PRIVATEDNS", 253 }, { "PRIVATEOID", 254 },
};

static const struct {
	const char *name;
	uint16_t v;
} cert_names[] = {
	/* RFC 4398 §2.1. */
	{ "PKIX", 1 }, { "SPKI", 2 }, { "PGP", 3 }, { "IPKIX", 4 },
	{ "ISPKI", 5 }, { "IPGP", 6 }, { "ACPKIX", 7 }, { "IACPKIX", 8 },
	{ "URI", 253 }, { "OID", 254 },
};

static bool eq_ci(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

/* ------------------------------------------------------------- RRSIG time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned dig(const char *s, int n)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

/* RFC 4034 §3.2: YYYYMMDDHHmmSS (UTC) or decimal seconds; serial number
 * arithmetic (RFC 1982) makes the value modulo 2^32. */
static int parse_time(const char *s, size_t len, uint32_t *out)
{
	if (len != 14)
		return rdata_num(s, len, 0xffffffffu, out) == 0 ? 0 : -1;
	for (int i = 0; i < 14; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	unsigned y = dig(s, 4), mo = dig(s + 4, 2), d = dig(s + 6, 2),
		 h = dig(s + 8, 2), mi = dig(s + 10, 2), se = dig(s + 12, 2);
	static const uint8_t mdays[12] = { 31, 29, 31, 30, 31, 30,
					   31, 31, 30, 31, 30, 31 };
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || se > 59)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	*out = (uint32_t)t;
	return 0;
}

static void print_time(struct rdata_tw *w, uint32_t t)
{
	int64_t y;
	unsigned mo, d;
	civil_from_days(t / 86400, &y, &mo, &d);
	unsigned s = t % 86400;
	char b[16];
	unsigned v[6] = { (unsigned)y, mo, d, s / 3600, s / 60 % 60, s % 60 };
	int pos = 0;
	for (int k = 0; k < 6; k++) {
		int nd = k == 0 ? 4 : 2;
		for (int j = nd - 1; j >= 0; j--) {
			b[pos + j] = (char)('0' + v[k] % 10);
			v[k] /= 10;
		}
		pos += nd;
	}
	rdata_tw_mem(w, b, 14);
}

/* ------------------------------------------------------------ text writer */

void rdata_tw_mem(struct rdata_tw *w, const void *s, size_t n)
{
	if (w->err || (size_t)(w->end - w->p) < n) {
		w->err = true;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

void rdata_tw_str(struct rdata_tw *w, const char *s)
{
	rdata_tw_mem(w, s, strlen(s));
}

void rdata_tw_chr(struct rdata_tw *w, char c)
{
	rdata_tw_mem(w, &c, 1);
}

void rdata_tw_sep(struct rdata_tw *w)
{
	if (w->p != w->start)
		rdata_tw_chr(w, ' ');
}

void rdata_tw_u32(struct rdata_tw *w, uint32_t v)
{
	char b[10];
	int k = 10;
	do {
		b[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rdata_tw_mem(w, b + k, (size_t)(10 - k));
}

void rdata_tw_escaped(struct rdata_tw *w, const uint8_t *s, size_t n,
		      const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c < 0x20 || c >= 0x7f) {
			char b[4] = { '\\', (char)('0' + c / 100),
				      (char)('0' + c / 10 % 10),
				      (char)('0' + c % 10) };
			rdata_tw_mem(w, b, 4);
		} else if (c == '"' || c == '\\' ||
			   (extra && strchr(extra, c))) {
			char b[2] = { '\\', (char)c };
			rdata_tw_mem(w, b, 2);
		} else {
			rdata_tw_chr(w, (char)c);
		}
	}
}

static void tw_quoted(struct rdata_tw *w, const uint8_t *s, size_t n)
{
	rdata_tw_chr(w, '"');
	rdata_tw_escaped(w, s, n, NULL);
	rdata_tw_chr(w, '"');
}

void rdata_tw_ipv4(struct rdata_tw *w, const uint8_t a[4])
{
	for (int k = 0; k < 4; k++) {
		if (k)
			rdata_tw_chr(w, '.');
		rdata_tw_u32(w, a[k]);
	}
}

void rdata_tw_ipv6(struct rdata_tw *w, const uint8_t a[16])
{
	char b[INET6_ADDRSTRLEN];
	if (!inet_ntop(AF_INET6, a, b, sizeof(b))) {
		w->err = true;
		return;
	}
	rdata_tw_str(w, b);
}

void rdata_tw_b64(struct rdata_tw *w, const uint8_t *s, size_t n)
{
	size_t need = enc_b64_len(n);
	if (w->err || (size_t)(w->end - w->p) < need) {
		w->err = true;
		return;
	}
	w->p += enc_b64_encode(w->p, s, n);
}

static void tw_hex(struct rdata_tw *w, const uint8_t *s, size_t n)
{
	size_t need = enc_hex_len(n);
	if (w->err || (size_t)(w->end - w->p) < need) {
		w->err = true;
		return;
	}
	w->p += enc_hex_encode(w->p, s, n);
}

static void tw_hexlower(struct rdata_tw *w, unsigned v, int digits)
{
	static const char hx[] = "0123456789abcdef";
	char b[4];
	for (int i = digits - 1; i >= 0; i--) {
		b[i] = hx[v & 15];
		v >>= 4;
	}
	rdata_tw_mem(w, b, (size_t)digits);
}

/* A name at the cursor, checked by dname_check and taken; NULL (and the
 * cursor's error) when it is not a well-formed uncompressed name. */
static const uint8_t *take_name(struct wire_cur *c)
{
	int r = dname_check(c->pos, wire_left(c));
	if (r <= 0) {
		wire_fail(c);
		return NULL;
	}
	return wire_take(c, (size_t)r);
}

static void tw_name(struct rdata_tw *w, struct wire_cur *c)
{
	const uint8_t *name = take_name(c);
	if (!name)
		w->err = true;
	if (w->err)
		return;
	int k = dname_to_text(w->p, (size_t)(w->end - w->p), name);
	if (k < 0) {
		w->err = true;
		return;
	}
	w->p += k;
}

static void tw_type(struct rdata_tw *w, uint16_t t)
{
	char b[16];
	int k = rrtype_to_text(t, b, sizeof(b));
	if (k > 0)
		rdata_tw_mem(w, b, (size_t)k);
}

/* ------------------------------------------------------ field parsers */

static int parse_u(struct rdata_parse *p, const struct rdesc_field *f,
		   uint32_t max, uint32_t *v)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	int r = rdata_num(t->s, t->len, max, v);
	if (r == 0) {
		p->i++;
		return 0;
	}
	if (r == -2)
		return rdata_fail(p, "%s %.*s out of range: expected 0-%u",
				  f->label, (int)(t->len > 80 ? 80 : t->len),
				  t->s, max);
	return rdata_fail(p, "bad %s " TOKF ": expected a decimal number 0-%u",
			  f->label, TOKA(t), max);
}

static int parse_name(struct rdata_parse *p, const char *label)
{
	if (p->i >= p->n)
		return rdata_missing(p, label);
	const struct tok *t = &p->t[p->i];
	int r;
	if (p->end - p->o >= DNAME_MAX) {
		r = dname_from_text(p->o, t->s, t->len, p->origin);
	} else {
		uint8_t tmp[DNAME_MAX];
		r = dname_from_text(tmp, t->s, t->len, p->origin);
		if (r > 0) {
			if (rdata_room(p, (size_t)r) < 0)
				return -1;
			memcpy(p->o, tmp, (size_t)r);
		}
	}
	if (r <= 0)
		return rdata_fail(p, "bad %s " TOKF ": %s", label, TOKA(t),
				  dname_strerror(r));
	p->o += r;
	p->i++;
	return 0;
}

/* One <character-string> from one token, with its length octet. */
static int parse_cstr(struct rdata_parse *p, const char *label)
{
	const struct tok *t = &p->t[p->i];
	if (rdata_room(p, 1) < 0)
		return -1;
	int r = rdata_unescape(t->s, t->len, p->o + 1,
			       (size_t)(p->end - p->o - 1));
	if (r == -1)
		return rdata_fail(p, "bad escape in %s " TOKF
				  ": expected \\X or \\DDD with DDD at most 255",
				  label, TOKA(t));
	if (r == -2)
		return rdata_room(p, (size_t)(p->end - p->o) + 1);
	if (r > 255)
		return rdata_fail(p, "%s of %d octets, at most 255 allowed",
				  label, r);
	*p->o = (uint8_t)r;
	p->o += 1 + r;
	p->i++;
	return 0;
}

/* Rest-of-rdata binary fields spread over tokens. */
enum bin_enc { BIN_B64, BIN_HEX, BIN_B32H };

static const char *const bin_what[] = { "base64", "hex", "base32hex" };

static int parse_bin(struct rdata_parse *p, const char *label,
		     enum bin_enc e, size_t first, size_t last)
{
	struct enc_dec d;
	enc_dec_init(&d, p->o, p->end);
	for (size_t i = first; i < last; i++) {
		const struct tok *t = &p->t[i];
		int r = e == BIN_B64 ? enc_b64_feed(&d, t->s, t->len) :
			e == BIN_HEX ? enc_hex_feed(&d, t->s, t->len) :
				       enc_b32hex_feed(&d, t->s, t->len);
		if (r == ENC_ESPACE)
			return rdata_room(p, (size_t)(p->end - p->o) + 1);
		if (r < 0)
			return rdata_fail(p, "bad %s in %s " TOKF ": expected %s",
					  bin_what[e], label, TOKA(t),
					  e == BIN_B64 ? "characters A-Z a-z 0-9 + / "
					  "and '=' padding at the end" :
					  e == BIN_HEX ? "hex digits 0-9 A-F" :
					  "base32hex digits 0-9 A-V without padding");
	}
	int r = e == BIN_B64 ? enc_b64_finish(&d) :
		e == BIN_HEX ? enc_hex_finish(&d) : enc_b32hex_finish(&d);
	if (r == ENC_ESPACE)
		return rdata_room(p, (size_t)(p->end - p->o) + 1);
	if (r < 0)
		return rdata_fail(p, "bad %s in %s: %s", bin_what[e], label,
				  e == BIN_B64 ? "length is not a multiple of 4 "
				  "(missing '=' padding?)" :
				  e == BIN_HEX ? "odd number of hex digits" :
				  "length or trailing bits do not form whole "
				  "octets");
	size_t n = (size_t)(d.o - p->o);
	p->o = d.o;
	p->i = last;
	return (int)n;
}

static int parse_rest_bin(struct rdata_parse *p, const struct rdesc_field *f,
			  enum bin_enc e)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	int r = parse_bin(p, f->label, e, p->i, p->n);
	if (r == 0)
		return rdata_fail(p, "empty %s", f->label);
	return r < 0 ? -1 : 0;
}

/* u8 length + hex or base32hex from one token ("-" for an empty salt). */
static int parse_lenbin(struct rdata_parse *p, const struct rdesc_field *f,
			enum bin_enc e)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	if (rdata_room(p, 1) < 0)
		return -1;
	uint8_t *lenp = p->o++;
	if (e == BIN_HEX && t->len == 1 && t->s[0] == '-') {
		*lenp = 0;
		p->i++;
		return 0;
	}
	int r = parse_bin(p, f->label, e, p->i, p->i + 1);
	if (r < 0)
		return -1;
	if (r > 255)
		return rdata_fail(p, "%s of %d octets, at most 255 allowed",
				  f->label, r);
	if (r == 0)
		return rdata_fail(p, "empty %s", f->label);
	*lenp = (uint8_t)r;
	return 0;
}

static int parse_bitmap(struct rdata_parse *p, const struct rdesc_field *f)
{
	uint64_t used[4] = { 0, 0, 0, 0 };
	uint8_t win[256][32];

	for (; p->i < p->n; p->i++) {
		const struct tok *t = &p->t[p->i];
		uint16_t ty;
		if (rrtype_from_text(t->s, t->len, &ty) < 0)
			return rdata_fail(p, "bad type " TOKF " in %s: expected "
					  "a type mnemonic or TYPEnnn",
					  TOKA(t), f->label);
		unsigned w = ty >> 8;
		if (!(used[w >> 6] >> (w & 63) & 1)) {
			used[w >> 6] |= 1ull << (w & 63);
			memset(win[w], 0, 32);
		}
		win[w][(ty & 255) >> 3] |= (uint8_t)(0x80 >> (ty & 7));
	}
	/* RFC 4034 §4.1.2: windows in increasing order, trailing zero
	 * octets omitted, empty windows left out. */
	for (unsigned k = 0; k < 4; k++) {
		uint64_t m = used[k];
		while (m) {
			unsigned w = k * 64 + (unsigned)__builtin_ctzll(m);
			m &= m - 1;
			unsigned len = 32;
			while (win[w][len - 1] == 0)
				len--;
			if (rdata_room(p, 2 + len) < 0)
				return -1;
			p->o[0] = (uint8_t)w;
			p->o[1] = (uint8_t)len;
			memcpy(p->o + 2, win[w], len);
			p->o += 2 + len;
		}
	}
	return 0;
}

static int parse_alg(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	if (t->len && t->s[0] >= '0' && t->s[0] <= '9') {
		uint32_t v;
		if (parse_u(p, f, 255, &v) < 0)
			return -1;
		*p->o++ = (uint8_t)v;
		return 0;
	}
	for (size_t k = 0; k < sizeof(alg_names) / sizeof(alg_names[0]); k++)
		if (eq_ci(t->s, t->len, alg_names[k].name)) {
			*p->o++ = alg_names[k].v;
			p->i++;
			return 0;
		}
	return rdata_fail(p, "bad %s " TOKF ": expected a number 0-255 or a "
			  "mnemonic like RSASHA256, ECDSAP256SHA256, ED25519",
			  f->label, TOKA(t));
}

static int parse_certtype(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	uint32_t v;
	if (t->len && t->s[0] >= '0' && t->s[0] <= '9') {
		if (parse_u(p, f, 65535, &v) < 0)
			return -1;
	} else {
		size_t k, nk = sizeof(cert_names) / sizeof(cert_names[0]);
		for (k = 0; k < nk; k++)
			if (eq_ci(t->s, t->len, cert_names[k].name))
				break;
		if (k == nk)
			return rdata_fail(p, "bad %s " TOKF ": expected a "
					  "number 0-65535 or one of PKIX SPKI "
					  "PGP IPKIX ISPKI IPGP ACPKIX IACPKIX "
					  "URI OID", f->label, TOKA(t));
		v = cert_names[k].v;
		p->i++;
	}
	p->o[0] = (uint8_t)(v >> 8);
	p->o[1] = (uint8_t)v;
	p->o += 2;
	return 0;
}

/* EUI48/EUI64: hex pairs joined by '-' (RFC 7043 §3.2, §4.2). */
static int parse_eui(struct rdata_parse *p, const struct rdesc_field *f,
		     int n)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	if (t->len != (size_t)(3 * n - 1))
		goto bad;
	for (int k = 0; k < n; k++) {
		const char *s = t->s + 3 * k;
		int a = hexval(s[0]), b = hexval(s[1]);
		if (a < 0 || b < 0 || (k + 1 < n && s[2] != '-'))
			goto bad;
		p->o[k] = (uint8_t)(a << 4 | b);
	}
	p->o += n;
	p->i++;
	return 0;
bad:
	return rdata_fail(p, "bad %s " TOKF ": expected %d hex pairs joined "
			  "by '-' like %s", f->label, TOKA(t), n,
			  n == 6 ? "00-00-5e-00-53-2a" : "00-00-5e-ef-10-00-00-2a");
}

/* ILNP 64-bit values: four 16-bit hex groups joined by ':' (RFC 6742
 * §2.3, §2.4). */
static int parse_ilnp64(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		if (k) {
			if (i >= t->len || t->s[i] != ':')
				goto bad;
			i++;
		}
		unsigned v = 0;
		int nd = 0, h;
		while (i < t->len && (h = hexval(t->s[i])) >= 0 && nd < 5) {
			v = v << 4 | (unsigned)h;
			i++;
			nd++;
		}
		if (nd == 0 || nd > 4)
			goto bad;
		p->o[2 * k] = (uint8_t)(v >> 8);
		p->o[2 * k + 1] = (uint8_t)v;
	}
	if (i != t->len)
		goto bad;
	p->o += 8;
	p->i++;
	return 0;
bad:
	return rdata_fail(p, "bad %s " TOKF ": expected four 16-bit hex groups "
			  "like 2001:0db8:1140:1000", f->label, TOKA(t));
}

/* RFC 4025 §3: gateway type, algorithm, gateway, optional public key. */
static int parse_ipseckey(struct rdata_parse *p)
{
	static const struct rdesc_field gwt = { RDF_U8, "gateway type" },
					alg = { RDF_U8, "algorithm" };
	uint32_t gt, a;
	if (parse_u(p, &gwt, 255, &gt) < 0)
		return -1;
	p->last = gwt.label;
	if (gt > 3)
		return rdata_fail(p, "gateway type %u unknown: expected 0 (none),"
				  " 1 (IPv4), 2 (IPv6) or 3 (name)", gt);
	if (parse_u(p, &alg, 255, &a) < 0)
		return -1;
	p->last = alg.label;
	p->o[0] = (uint8_t)gt;
	p->o[1] = (uint8_t)a;
	p->o += 2;
	if (p->i >= p->n)
		return rdata_missing(p, "gateway");
	const struct tok *t = &p->t[p->i];
	switch (gt) {
	case 0:
		if (t->len != 1 || t->s[0] != '.')
			return rdata_fail(p, "bad gateway " TOKF ": expected '.' "
					  "for gateway type 0", TOKA(t));
		p->i++;
		break;
	case 1:
		if (!rdata_ipv4(t->s, t->len, p->o))
			return rdata_fail(p, "bad IPv4 gateway " TOKF ": expected "
					  "four decimal octets like 198.51.100.1",
					  TOKA(t));
		p->o += 4;
		p->i++;
		break;
	case 2:
		if (!rdata_ipv6(t->s, t->len, p->o))
			return rdata_fail(p, "bad IPv6 gateway " TOKF ": expected "
					  "an address like 2001:db8::1", TOKA(t));
		p->o += 16;
		p->i++;
		break;
	default:
		if (parse_name(p, "gateway name") < 0)
			return -1;
	}
	p->last = "gateway";
	if (p->i < p->n && parse_bin(p, "public key", BIN_B64, p->i, p->n) < 0)
		return -1;
	return 0;
}

/* RFC 3123 §5: [!]afi:address/prefix items. */
static int parse_apl(struct rdata_parse *p)
{
	for (; p->i < p->n; p->i++) {
		const struct tok *t = &p->t[p->i];
		const char *s = t->s, *e = s + t->len;
		bool neg = s < e && *s == '!';
		s += neg;
		const char *colon = memchr(s, ':', (size_t)(e - s));
		const char *slash = colon ? memchr(colon, '/', (size_t)(e - colon)) :
					    NULL;
		uint32_t afi, pfx;
		uint8_t a[16];
		size_t alen;
		if (!slash || rdata_num(s, (size_t)(colon - s), 65535, &afi) < 0)
			goto bad;
		if (afi == 1 && rdata_ipv4(colon + 1, (size_t)(slash - colon - 1), a))
			alen = 4;
		else if (afi == 2 &&
			 rdata_ipv6(colon + 1, (size_t)(slash - colon - 1), a))
			alen = 16;
		else
			goto bad;
		if (rdata_num(slash + 1, (size_t)(e - slash - 1),
			      (uint32_t)alen * 8, &pfx) < 0)
			goto bad;
		while (alen && a[alen - 1] == 0)
			alen--;	/* RFC 3123 §4: trailing zero octets dropped */
		if (rdata_room(p, 4 + alen) < 0)
			return -1;
		p->o[0] = 0;
		p->o[1] = (uint8_t)afi;
		p->o[2] = (uint8_t)pfx;
		p->o[3] = (uint8_t)((neg ? 0x80 : 0) | alen);
		memcpy(p->o + 4, a, alen);
		p->o += 4 + alen;
		continue;
bad:
		return rdata_fail(p, "bad APL item " TOKF ": expected [!]afi:"
				  "address/prefix like 1:192.0.2.0/24 or "
				  "2:2001:db8::/32", TOKA(t));
	}
	return 0;
}

/* RFC 1706 §5: "0x" then hex digits, '.' allowed anywhere for looks. */
static int parse_nsap(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	if (t->len < 3 || t->s[0] != '0' || (t->s[1] | 0x20) != 'x')
		goto bad;
	uint8_t *o = p->o;
	int half = -1;
	for (size_t i = 2; i < t->len; i++) {
		if (t->s[i] == '.')
			continue;
		int h = hexval(t->s[i]);
		if (h < 0)
			goto bad;
		if (half < 0) {
			half = h;
		} else {
			if (o >= p->end)
				return rdata_room(p, (size_t)(p->end - p->o) + 1);
			*o++ = (uint8_t)(half << 4 | h);
			half = -1;
		}
	}
	if (half >= 0 || o == p->o)
		goto bad;
	p->o = o;
	p->i++;
	return 0;
bad:
	return rdata_fail(p, "bad %s " TOKF ": expected 0x followed by an even "
			  "number of hex digits", f->label, TOKA(t));
}

/* The fields below have the room their fixed size needs checked by
 * parse_field before they are called. */

static void put_u32(struct rdata_parse *p, uint32_t v)
{
	p->o[0] = (uint8_t)(v >> 24);
	p->o[1] = (uint8_t)(v >> 16);
	p->o[2] = (uint8_t)(v >> 8);
	p->o[3] = (uint8_t)v;
	p->o += 4;
}

/* A 32-bit number; a TTL field also takes units, like 1h30m. */
static int parse_u32(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	uint32_t v;
	int r = rdata_num(t->s, t->len, 0xffffffffu, &v);
	if (r == -1 && f->kind == RDF_TTL)
		r = ttl_from_text(t->s, t->len, &v) == 0 ? 0 :
		    ttl_looks_like(t->s, t->len) &&
		    ttl_from_text(t->s, t->len, &v) == TTL_ERANGE ? -2 : -1;
	if (r == -2)
		return rdata_fail(p, "%s %.*s out of range: expected "
				  "0-4294967295", f->label,
				  (int)(t->len > 80 ? 80 : t->len), t->s);
	if (r < 0)
		return rdata_fail(p, "bad %s " TOKF ": expected %s",
				  f->label, TOKA(t),
				  f->kind == RDF_TTL ?
				  "seconds or a TTL like 1h30m" :
				  "a decimal number 0-4294967295");
	p->i++;
	put_u32(p, v);
	return 0;
}

/* A signature time (RFC 4034 §3.2): YYYYMMDDHHmmSS or seconds. */
static int parse_timestamp(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	uint32_t v;
	if (parse_time(t->s, t->len, &v) < 0)
		return rdata_fail(p, "bad %s " TOKF ": expected "
				  "YYYYMMDDHHmmSS (UTC) or seconds "
				  "since 1970 0-4294967295",
				  f->label, TOKA(t));
	p->i++;
	put_u32(p, v);
	return 0;
}

static int parse_type(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	uint16_t ty;
	if (rrtype_from_text(t->s, t->len, &ty) < 0)
		return rdata_fail(p, "bad %s " TOKF ": expected a type "
				  "mnemonic or TYPEnnn", f->label,
				  TOKA(t));
	p->o[0] = (uint8_t)(ty >> 8);
	p->o[1] = (uint8_t)ty;
	p->o += 2;
	p->i++;
	return 0;
}

/* An IPv4 (alen 4) or IPv6 (alen 16) address. */
static int parse_addr(struct rdata_parse *p, const struct rdesc_field *f, size_t alen)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	if (!(alen == 4 ? rdata_ipv4(t->s, t->len, p->o) : rdata_ipv6(t->s, t->len, p->o)))
		return rdata_fail(p, "bad %s %s " TOKF ": expected %s",
				  alen == 4 ? "IPv4" : "IPv6", f->label, TOKA(t),
				  alen == 4 ? "four decimal octets like 198.51.100.1" :
				  "eight hex groups like 2001:db8:0:0:0:0:0:1 or 2001:db8::1");
	p->o += alen;
	p->i++;
	return 0;
}

/* A CAA tag: RFC 8659 §4.1, letters and digits only. */
static int parse_caatag(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	bool ok = t->len > 0 && t->len <= 255;
	for (size_t k = 0; ok && k < t->len; k++) {
		char c = t->s[k];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
	}
	if (!ok)
		return rdata_fail(p, "bad %s " TOKF ": expected 1-255 ASCII "
				  "letters and digits like issue", f->label,
				  TOKA(t));
	if (rdata_room(p, 1 + t->len) < 0)
		return -1;
	*p->o++ = (uint8_t)t->len;
	memcpy(p->o, t->s, t->len);
	p->o += t->len;
	p->i++;
	return 0;
}

/* One token's octets, unescaped, without a length (CAA's value). */
static int parse_rawstr(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	const struct tok *t = &p->t[p->i];
	int r = rdata_unescape(t->s, t->len, p->o, (size_t)(p->end - p->o));
	if (r == -1)
		return rdata_fail(p, "bad escape in %s " TOKF ": expected "
				  "\\X or \\DDD with DDD at most 255",
				  f->label, TOKA(t));
	if (r == -2)
		return rdata_room(p, (size_t)(p->end - p->o) + 1);
	p->o += r;
	p->i++;
	return 0;
}

static int parse_strs(struct rdata_parse *p, const struct rdesc_field *f)
{
	if (p->i >= p->n)
		return rdata_missing(p, f->label);
	while (p->i < p->n)
		if (parse_cstr(p, f->label) < 0)
			return -1;
	return 0;
}

static int parse_field(struct rdata_parse *p, const struct rdesc_field *f)
{
	uint32_t v;

	/* Fixed-size fields: their room is checked once here. */
	static const uint8_t fixed[RDF_ILNP64 + 1] = {
		[RDF_U8] = 1, [RDF_U16] = 2, [RDF_U32] = 4, [RDF_TTL] = 4,
		[RDF_TIME] = 4, [RDF_TYPE] = 2, [RDF_ALG] = 1,
		[RDF_CERTTYPE] = 2, [RDF_A] = 4, [RDF_AAAA] = 16,
		[RDF_EUI48] = 6, [RDF_EUI64] = 8, [RDF_ILNP64] = 8,
	};
	if (f->kind <= RDF_ILNP64 && rdata_room(p, fixed[f->kind]) < 0)
		return -1;
	switch (f->kind) {
	case RDF_U8:
		if (parse_u(p, f, 255, &v) < 0)
			return -1;
		*p->o++ = (uint8_t)v;
		return 0;
	case RDF_U16:
		if (parse_u(p, f, 65535, &v) < 0)
			return -1;
		p->o[0] = (uint8_t)(v >> 8);
		p->o[1] = (uint8_t)v;
		p->o += 2;
		return 0;
	case RDF_U32:
	case RDF_TTL:
		return parse_u32(p, f);
	case RDF_TIME:
		return parse_timestamp(p, f);
	case RDF_TYPE:
		return parse_type(p, f);
	case RDF_ALG:
		return parse_alg(p, f);
	case RDF_CERTTYPE:
		return parse_certtype(p, f);
	case RDF_A:
		return parse_addr(p, f, 4);
	case RDF_AAAA:
		return parse_addr(p, f, 16);
	case RDF_EUI48:
		return parse_eui(p, f, 6);
	case RDF_EUI64:
		return parse_eui(p, f, 8);
	case RDF_ILNP64:
		return parse_ilnp64(p, f);
	case RDF_NAME:
		return parse_name(p, f->label);
	case RDF_STR:
		if (p->i >= p->n)
			return rdata_missing(p, f->label);
		return parse_cstr(p, f->label);
	case RDF_STR_OPT:
		return p->i < p->n ? parse_cstr(p, f->label) : 0;
	case RDF_STRS:
		return parse_strs(p, f);
	case RDF_B64:
		return parse_rest_bin(p, f, BIN_B64);
	case RDF_HEX:
		return parse_rest_bin(p, f, BIN_HEX);
	case RDF_SALT:
		return parse_lenbin(p, f, BIN_HEX);
	case RDF_B32H:
		return parse_lenbin(p, f, BIN_B32H);
	case RDF_BITMAP:
		return parse_bitmap(p, f);
	case RDF_CAATAG:
		return parse_caatag(p, f);
	case RDF_RAWSTR:
		return parse_rawstr(p, f);
	case RDF_SVCPARAMS:
		return rdata_svcb_parse(p);
	case RDF_LOC:
		return rdata_loc_parse(p);
	case RDF_IPSECKEY:
		return parse_ipseckey(p);
	case RDF_APL:
		return parse_apl(p);
	case RDF_NSAP:
		return parse_nsap(p, f);
	}
	return rdata_fail(p, "internal error: field kind %u", f->kind);
}

/* RFC 3597 §5: \# LEN HEX... */
static int parse_generic(struct rdata_parse *p, uint16_t type,
			 const struct rdesc *d)
{
	p->i = 1;
	if (p->n < 2)
		return rdata_fail(p, "missing rdata length after \\#: expected "
				  "\\# LEN HEX (RFC 3597)");
	const struct tok *t = &p->t[1];
	uint32_t len;
	if (rdata_num(t->s, t->len, 65535, &len) < 0)
		return rdata_fail(p, "bad generic rdata length " TOKF ": expected "
				  "a decimal number 0-65535", TOKA(t));
	if (len > (size_t)(p->end - p->start))
		return rdata_room(p, len);
	int r;
	if (p->n == 2) {
		r = 0;
	} else {
		r = parse_bin(p, "generic rdata", BIN_HEX, 2, p->n);
		if (r < 0)
			return -1;
	}
	if ((uint32_t)r != len)
		return rdata_fail(p, "generic rdata length mismatch: \\# %u "
				  "announced but %d octets of hex data found",
				  len, r);
	if (d && (d->flags & RDESC_FMT) &&
	    rdata_check(type, p->start, len) < 0)
		return rdata_fail(p, "generic rdata \\# %u is not well-formed "
				  "%s rdata", len, d->name);
	return (int)len;
}

static int check_digest(uint16_t type, const uint8_t *rd, size_t len);

int rdata_from_text(uint16_t type, const struct tok *toks, size_t ntok,
		    const uint8_t *origin, uint8_t *out, size_t cap,
		    char *err, size_t errcap)
{
	const struct rdesc *d = rdesc_get(type);
	char tbuf[16];
	struct rdata_parse p = {
		.t = toks, .n = ntok, .i = 0, .start = out, .o = out,
		.end = out + (cap > RDATA_MAX ? RDATA_MAX : cap),
		.origin = origin, .err = err, .errcap = errcap,
		.tname = d ? d->name : tbuf, .last = NULL,
	};
	if (!d)
		rrtype_to_text(type, tbuf, sizeof(tbuf));
	if (errcap)
		err[0] = 0;

	if (ntok && toks[0].len == 2 && !toks[0].quoted &&
	    toks[0].s[0] == '\\' && toks[0].s[1] == '#')
		return parse_generic(&p, type, d);
	if (!d || !(d->flags & RDESC_FMT))
		return rdata_fail(&p, "no presentation format known for this "
				  "type: expected generic form \\# LEN HEX "
				  "(RFC 3597 section 5)");

	/* Hot single-field types first. */
	if (type == RR_A && ntok == 1 && cap >= 4 &&
	    rdata_ipv4(toks[0].s, toks[0].len, out))
		return 4;
	for (const struct rdesc_field *f = d->f;
	     f < d->f + RDESC_FIELDS && f->kind != RDF_END; f++) {
		if (parse_field(&p, f) < 0)
			return -1;
		p.last = f->label;
	}
	if (p.i < p.n) {
		const struct tok *t = &p.t[p.i];
		return rdata_fail(&p, "unexpected extra token " TOKF " after %s",
				  TOKA(t), p.last ? p.last : "the rdata");
	}
	size_t len = (size_t)(p.o - out);
	if ((d->flags & (RDESC_DS | RDESC_ZONEMD)) &&
	    check_digest(type, out, len) < 0) {
		if (d->flags & RDESC_DS)
			return rdata_fail(&p, "digest of %zu octets does not fit "
					  "digest type %u: expected %s", len - 4,
					  out[3], out[3] == 1 ? "20 (SHA-1)" :
					  out[3] == 2 ? "32 (SHA-256)" :
					  "48 (SHA-384)");
		return rdata_fail(&p, "digest of %zu octets: at least 12 "
				  "expected (RFC 8976 section 2.2.4)", len - 6);
	}
	return (int)len;
}

/* ---------------------------------------------------- wire walking */

struct name_ranges {
	unsigned n;
	uint16_t off[4];
	uint16_t len[4];
};

/* Type bitmap to the end (RFC 4034 §4.1.2): windows in increasing order,
 * each of 1-32 octets with a non-zero last octet. */
static int check_bitmap(struct wire_cur *c)
{
	int prev = -1;
	while (wire_left(c)) {
		unsigned win = wire_u8(c), l = wire_u8(c);
		const uint8_t *q = wire_take(c, l);
		if (!q || (int)win <= prev || l < 1 || l > 32 || q[l - 1] == 0)
			return -1;
		prev = (int)win;
	}
	return 0;
}

static int check_digest(uint16_t type, const uint8_t *rd, size_t len)
{
	struct wire_cur c;
	wire_init(&c, rd, len);
	if (type == RR_ZONEMD) {
		wire_skip(&c, 6);	/* serial, scheme, hash algorithm */
		return wire_left(&c) >= 12 ? 0 : -1;
	}
	/* DS and CDS: digest lengths of RFC 4034 §5.1.4 (SHA-1), RFC 4509
	 * (SHA-256) and RFC 6605 (SHA-384); others are not checked. */
	wire_skip(&c, 3);	/* key tag, algorithm */
	unsigned dtype = wire_u8(&c);
	size_t dl = wire_left(&c);
	switch (dtype) {
	case 1: return dl == 20 ? 0 : -1;
	case 2: return dl == 32 ? 0 : -1;
	case 4: return dl == 48 ? 0 : -1;
	}
	return 0;
}

/* APL items to the end (RFC 3123 §4). */
static int check_apl(struct wire_cur *c)
{
	while (wire_left(c)) {
		unsigned afi = wire_u16(c), pfx = wire_u8(c), al = wire_u8(c) & 0x7f;
		const uint8_t *q = wire_take(c, al);
		unsigned max = afi == 1 ? 4 : afi == 2 ? 16 : 0;
		if (!q || !max || al > max || pfx > max * 8)
			return -1;
		/* RFC 3123 §4: trailing zero octets are left out; with them
		 * the text form could not say how many there were. */
		if (al && q[al - 1] == 0)
			return -1;
	}
	return 0;
}

static bool is_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Validates rd against the descriptor; records name positions. */
static int walk(const struct rdesc *d, const uint8_t *rd, size_t len,
		struct name_ranges *nr)
{
	struct wire_cur c;
	const uint8_t *q;
	size_t n;
	wire_init(&c, rd, len);
	for (const struct rdesc_field *f = d->f;
	     f < d->f + RDESC_FIELDS && f->kind != RDF_END; f++) {
		switch (f->kind) {
		case RDF_U8:
		case RDF_ALG:
			wire_skip(&c, 1);
			break;
		case RDF_U16:
		case RDF_TYPE:
		case RDF_CERTTYPE:
			wire_skip(&c, 2);
			break;
		case RDF_U32:
		case RDF_TTL:
		case RDF_TIME:
		case RDF_A:
			wire_skip(&c, 4);
			break;
		case RDF_AAAA:
			wire_skip(&c, 16);
			break;
		case RDF_EUI48:
			wire_skip(&c, 6);
			break;
		case RDF_EUI64:
		case RDF_ILNP64:
			wire_skip(&c, 8);
			break;
		case RDF_NAME:
			q = take_name(&c);
			if (!q)
				return -1;
			if (nr && nr->n < 4) {
				nr->off[nr->n] = (uint16_t)(q - rd);
				nr->len[nr->n++] = (uint16_t)(c.pos - q);
			}
			break;
		case RDF_STR:
			wire_skip(&c, wire_u8(&c));
			break;
		case RDF_STR_OPT:	/* the last field: wire_done() below */
			if (wire_left(&c))
				wire_skip(&c, wire_u8(&c));
			break;
		case RDF_STRS:
			if (!wire_left(&c))
				return -1;
			while (wire_left(&c))
				wire_skip(&c, wire_u8(&c));
			break;
		case RDF_B64:
		case RDF_HEX:
		case RDF_NSAP:
			if (!wire_left(&c))
				return -1;
			wire_skip(&c, wire_left(&c));
			break;
		case RDF_SALT:
		case RDF_B32H:
		case RDF_CAATAG:
			q = wire_str(&c, &n);
			if (f->kind != RDF_SALT && n == 0)
				return -1;
			if (f->kind == RDF_CAATAG)
				for (size_t k = 0; k < n; k++)
					if (!is_alnum(q[k]))
						return -1;
			break;
		case RDF_BITMAP:
			if (check_bitmap(&c) < 0)
				return -1;
			break;
		case RDF_RAWSTR:
			wire_skip(&c, wire_left(&c));
			break;
		case RDF_SVCPARAMS:
			if (rdata_svcb_check(&c) < 0)
				return -1;
			break;
		case RDF_LOC:
			if (rdata_loc_check(&c) < 0)
				return -1;
			break;
		case RDF_APL:
			if (check_apl(&c) < 0)
				return -1;
			break;
		case RDF_IPSECKEY: {
			/* Gateway type, algorithm, gateway, key to the end. */
			unsigned gt = wire_u8(&c);
			wire_skip(&c, 1);
			if (gt > 3 || (gt == 3 && !take_name(&c)))
				return -1;
			wire_skip(&c, gt == 1 ? 4 : gt == 2 ? 16 : 0);
			wire_skip(&c, wire_left(&c));
			break;
		}
		default:
			return -1;
		}
	}
	if (!wire_done(&c))
		return -1;
	if ((d->flags & (RDESC_DS | RDESC_ZONEMD)) &&
	    check_digest(d->flags & RDESC_ZONEMD ? RR_ZONEMD : RR_DS, rd,
			 len) < 0)
		return -1;
	return 0;
}

int rdata_check(uint16_t type, const uint8_t *rd, size_t len)
{
	const struct rdesc *d = rdesc_get(type);
	if (!d || !(d->flags & RDESC_FMT))
		return len <= RDATA_MAX ? 0 : -1;
	if (len > RDATA_MAX)
		return -1;
	return walk(d, rd, len, NULL);
}

/* ------------------------------------------------------------- printing */

/* The printers read rdata that walk() accepted: the cursor keeps them
 * inside it all the same. */

static void print_generic(struct rdata_tw *w, const uint8_t *rd, size_t len)
{
	rdata_tw_str(w, "\\# ");
	rdata_tw_u32(w, (uint32_t)len);
	if (len) {
		rdata_tw_chr(w, ' ');
		tw_hex(w, rd, len);
	}
}

static void print_bitmap(struct rdata_tw *w, struct wire_cur *c)
{
	while (wire_left(c)) {
		unsigned win = wire_u8(c);
		struct wire_cur b;
		wire_sub(&b, c, wire_u8(c));
		for (unsigned k = 0; wire_left(&b); k++) {
			uint8_t bits = wire_u8(&b);
			for (unsigned bit = 0; bits && bit < 8; bit++)
				if (bits & (0x80 >> bit)) {
					rdata_tw_sep(w);
					tw_type(w, (uint16_t)(win << 8 | k << 3 | bit));
				}
		}
	}
}

static void print_apl(struct rdata_tw *w, struct wire_cur *c)
{
	while (wire_left(c)) {
		unsigned afi = wire_u16(c), pfx = wire_u8(c), nal = wire_u8(c);
		uint8_t a[16] = { 0 };
		struct wire_cur ac;	/* trailing zero octets left out */
		wire_sub(&ac, c, nal & 0x7f);
		size_t al = wire_left(&ac);
		wire_copy(&ac, a, al < sizeof(a) ? al : sizeof(a));
		rdata_tw_sep(w);
		if (nal & 0x80)
			rdata_tw_chr(w, '!');
		rdata_tw_u32(w, afi);
		rdata_tw_chr(w, ':');
		if (afi == 1)
			rdata_tw_ipv4(w, a);
		else
			rdata_tw_ipv6(w, a);
		rdata_tw_chr(w, '/');
		rdata_tw_u32(w, pfx);
	}
}

static void print_certtype(struct rdata_tw *w, uint16_t v)
{
	size_t k, nk = sizeof(cert_names) / sizeof(cert_names[0]);
	for (k = 0; k < nk && cert_names[k].v != v; k++)
		;
	if (k < nk)
		rdata_tw_str(w, cert_names[k].name);
	else
		rdata_tw_u32(w, v);
}

/* n groups of size (1 or 2) octets in lowercase hex, joined by sep: an
 * EUI-48/64 (RFC 7043 §3.2, §4.2) or an ILNP NID or L64 (RFC 6742 §2). */
static void print_groups(struct rdata_tw *w, struct wire_cur *c, int n, int size, char sep)
{
	for (int k = 0; k < n; k++) {
		if (k)
			rdata_tw_chr(w, sep);
		tw_hexlower(w, size == 1 ? wire_u8(c) : wire_u16(c), 2 * size);
	}
}

static void print_b32hex(struct rdata_tw *w, const uint8_t *q, size_t n)
{
	size_t need = enc_b32hex_len(n);
	if (w->err || (size_t)(w->end - w->p) < need)
		w->err = true;
	else
		w->p += enc_b32hex_encode(w->p, q, n);
}

/* IPSECKEY (RFC 4025 §3): precedence, gateway type, algorithm, the
 * gateway (none, IPv4, IPv6 or a name) and the key. */
static void print_ipseckey(struct rdata_tw *w, struct wire_cur *c)
{
	uint8_t a[16];
	size_t n;
	unsigned gt = wire_u8(c);
	rdata_tw_u32(w, gt);
	rdata_tw_chr(w, ' ');
	rdata_tw_u32(w, wire_u8(c));
	rdata_tw_chr(w, ' ');
	if (gt == 0) {
		rdata_tw_chr(w, '.');
	} else if (gt == 1) {
		wire_copy(c, a, 4);
		rdata_tw_ipv4(w, a);
	} else if (gt == 2) {
		wire_copy(c, a, 16);
		rdata_tw_ipv6(w, a);
	} else {
		tw_name(w, c);
	}
	const uint8_t *q = wire_rest(c, &n);
	if (n) {
		rdata_tw_chr(w, ' ');
		rdata_tw_b64(w, q, n);
	}
}

static void print_fields(struct rdata_tw *w, const struct rdesc *d,
			 const uint8_t *rd, size_t len)
{
	struct wire_cur c;
	const uint8_t *q;
	size_t n;
	uint8_t a[16];
	wire_init(&c, rd, len);
	for (const struct rdesc_field *f = d->f;
	     f < d->f + RDESC_FIELDS && f->kind != RDF_END; f++) {
		switch (f->kind) {
		case RDF_U8:
		case RDF_ALG:
			rdata_tw_sep(w);
			rdata_tw_u32(w, wire_u8(&c));
			break;
		case RDF_U16:
			rdata_tw_sep(w);
			rdata_tw_u32(w, wire_u16(&c));
			break;
		case RDF_TYPE:
			rdata_tw_sep(w);
			tw_type(w, wire_u16(&c));
			break;
		case RDF_CERTTYPE:
			rdata_tw_sep(w);
			print_certtype(w, wire_u16(&c));
			break;
		case RDF_U32:
		case RDF_TTL:
			rdata_tw_sep(w);
			rdata_tw_u32(w, wire_u32(&c));
			break;
		case RDF_TIME:
			rdata_tw_sep(w);
			print_time(w, wire_u32(&c));
			break;
		case RDF_A:
			rdata_tw_sep(w);
			wire_copy(&c, a, 4);
			rdata_tw_ipv4(w, a);
			break;
		case RDF_AAAA:
			rdata_tw_sep(w);
			wire_copy(&c, a, 16);
			rdata_tw_ipv6(w, a);
			break;
		case RDF_EUI48:
		case RDF_EUI64:
			rdata_tw_sep(w);
			print_groups(w, &c, f->kind == RDF_EUI48 ? 6 : 8, 1, '-');
			break;
		case RDF_ILNP64:
			rdata_tw_sep(w);
			print_groups(w, &c, 4, 2, ':');
			break;
		case RDF_NAME:
			rdata_tw_sep(w);
			tw_name(w, &c);
			break;
		case RDF_STR:
			rdata_tw_sep(w);
			q = wire_str(&c, &n);
			tw_quoted(w, q, n);
			break;
		case RDF_STR_OPT:
		case RDF_STRS:
			while (wire_left(&c)) {
				rdata_tw_sep(w);
				q = wire_str(&c, &n);
				tw_quoted(w, q, n);
			}
			break;
		case RDF_B64:
			rdata_tw_sep(w);
			q = wire_rest(&c, &n);
			rdata_tw_b64(w, q, n);
			break;
		case RDF_HEX:
			rdata_tw_sep(w);
			q = wire_rest(&c, &n);
			tw_hex(w, q, n);
			break;
		case RDF_NSAP:
			rdata_tw_sep(w);
			rdata_tw_str(w, "0x");
			q = wire_rest(&c, &n);
			tw_hex(w, q, n);
			break;
		case RDF_SALT:
			rdata_tw_sep(w);
			q = wire_str(&c, &n);
			if (n == 0)
				rdata_tw_chr(w, '-');
			else
				tw_hex(w, q, n);
			break;
		case RDF_B32H:
			rdata_tw_sep(w);
			q = wire_str(&c, &n);
			print_b32hex(w, q, n);
			break;
		case RDF_BITMAP:
			print_bitmap(w, &c);
			break;
		case RDF_CAATAG:
			rdata_tw_sep(w);
			q = wire_str(&c, &n);
			rdata_tw_mem(w, q, n);
			break;
		case RDF_RAWSTR:
			rdata_tw_sep(w);
			q = wire_rest(&c, &n);
			tw_quoted(w, q, n);
			break;
		case RDF_SVCPARAMS:
			rdata_svcb_print(w, &c);
			break;
		case RDF_LOC:
			rdata_loc_print(w, &c);
			break;
		case RDF_APL:
			print_apl(w, &c);
			break;
		case RDF_IPSECKEY:
			rdata_tw_sep(w);
			print_ipseckey(w, &c);
			break;
		}
	}
}

int rdata_to_text(uint16_t type, const uint8_t *rd, size_t len,
		  char *out, size_t cap)
{
	if (cap == 0)
		return -1;
	struct rdata_tw w = { out, out, out + cap - 1, false };
	const struct rdesc *d = rdesc_get(type);
	if (d && (d->flags & RDESC_FMT) && len <= RDATA_MAX &&
	    walk(d, rd, len, NULL) == 0)
		print_fields(&w, d, rd, len);
	else
		print_generic(&w, rd, len);
	if (w.err) {
		out[0] = 0;
		return -1;
	}
	*w.p = 0;
	return (int)(w.p - out);
}

/* ------------------------------------------------------ canonical order */

int rdata_canon_cmp(uint16_t type, const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen)
{
	const struct rdesc *d = rdesc_get(type);
	size_t n = alen < blen ? alen : blen;
	struct name_ranges na = { 0 }, nb = { 0 };

	/* Only the RFC 4034 §6.2 types (less NSEC, RFC 6840 §5.1) have
	 * names lowercased; everything else compares as plain octets. */
	if (!d || !(d->flags & RDESC_LOWER) || walk(d, a, alen, &na) < 0 ||
	    walk(d, b, blen, &nb) < 0) {
		int c = memcmp(a, b, n);
		if (c)
			return c < 0 ? -1 : 1;
		return alen < blen ? -1 : alen > blen;
	}
	unsigned ka = 0, kb = 0;
	for (size_t i = 0; i < n; i++) {
		while (ka < na.n && i >= (size_t)na.off[ka] + na.len[ka])
			ka++;
		while (kb < nb.n && i >= (size_t)nb.off[kb] + nb.len[kb])
			kb++;
		uint8_t ca = a[i], cb = b[i];
		if (ka < na.n && i >= na.off[ka])
			ca = dname_lc(ca);
		if (kb < nb.n && i >= nb.off[kb])
			cb = dname_lc(cb);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen;
}

/*
 * Rdata layouts with names that may be compressed in a message (RFC 3597
 * §4 lists the RFC 1035 types; others are decompressed on receipt by many
 * implementations, RFC 3597 §4 end): a sequence of fields, 'n' a name,
 * '2' a 16-bit integer; the rest of the rdata is copied as is.
 */
static const char *unpack_layout(uint16_t type)
{
	switch (type) {
	case RR_NS: case RR_MD: case RR_MF: case RR_CNAME: case RR_MB:
	case RR_MG: case RR_MR: case RR_PTR: case RR_DNAME:
		return "n";
	case RR_SOA: case RR_MINFO: case RR_RP:
		return "nn";
	case RR_MX: case RR_AFSDB: case RR_RT: case RR_KX:
		return "2n";
	case RR_PX:
		return "2nn";
	case RR_SRV:
		return "222n";
	default:
		return "";
	}
}

static bool unpack_put(uint8_t *buf, size_t cap, size_t *n, const void *p, size_t len)
{
	if (cap - *n < len)
		return false;
	memcpy(buf + *n, p, len);
	*n += len;
	return true;
}

int rdata_unpack(uint16_t type, struct wire_cur *c, size_t rdlen, const uint8_t *msg,
		 size_t len, uint8_t *out, size_t cap)
{
	const uint8_t *end = c->pos + rdlen;
	if (rdlen > wire_left(c))
		return -1;
	size_t n = 0;
	for (const char *f = unpack_layout(type); *f; f++) {
		if (*f == '2') {
			uint8_t b[2];
			wire_copy(c, b, 2);
			if (!wire_ok(c) || !unpack_put(out, cap, &n, b, 2))
				return -1;
		} else {
			uint8_t name[DNAME_MAX];
			int l = dname_unpack(c, msg, len, name);
			if (l < 0 || !unpack_put(out, cap, &n, name, (size_t)l))
				return -1;
		}
		if (c->pos > end)
			return -1;
	}
	size_t rest = (size_t)(end - c->pos);
	const uint8_t *p = wire_take(c, rest);
	if (!p || !unpack_put(out, cap, &n, p, rest))
		return -1;
	return (int)n;
}
