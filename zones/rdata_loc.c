/*
 * rdata_loc.c - LOC rdata (RFC 1876): the §3 master-file form with its
 * optional fields and defaults, and the size/precision encoding of §2
 * (mantissa and power-of-ten exponent of centimetres).
 */
#include <string.h>

#include "zones/rdata_int.h"

#define LOC_EQUATOR 0x80000000u	/* 2^31: latitude/longitude zero */
#define LOC_ALTBASE 10000000u	/* altitude origin: 100000 m below */

/* "12.345" with at most `frac` fraction digits -> value * 10^frac.
 * unit: accept a trailing 'm'.  0 or -1. */
static int fixed(const char *s, size_t len, int frac, bool unit, uint64_t *out)
{
	if (unit && len && (s[len - 1] == 'm' || s[len - 1] == 'M'))
		len--;
	uint64_t v = 0;
	size_t i = 0, nd = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (++nd > 12)
			return -1;
		v = v * 10 + (uint64_t)(s[i++] - '0');
	}
	if (nd == 0)
		return -1;
	int f = 0;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (++f > frac)
				return -1;
			v = v * 10 + (uint64_t)(s[i++] - '0');
		}
	}
	if (i != len)
		return -1;
	for (; f < frac; f++)
		v *= 10;
	*out = v;
	return 0;
}

/* RFC 1876 §2: size and precisions as mantissa (high nibble) times ten to
 * the exponent (low nibble), in centimetres. */
static uint8_t precsize(uint64_t cm)
{
	unsigned e = 0;
	while (cm >= 10 && e < 9) {
		cm /= 10;
		e++;
	}
	if (cm > 9)
		cm = 9;
	return (uint8_t)(cm << 4 | e);
}

static uint64_t precsize_cm(uint8_t v)
{
	uint64_t cm = v >> 4;
	for (unsigned e = v & 15; e; e--)
		cm *= 10;
	return cm;
}

static const struct tok *next(struct rdata_parse *p)
{
	return p->i < p->n ? &p->t[p->i] : NULL;
}

static bool is_hemi(const struct tok *t, const char *two)
{
	return t && t->len == 1 && (t->s[0] == two[0] || t->s[0] == two[1] ||
				    t->s[0] == two[0] + 32 ||
				    t->s[0] == two[1] + 32);
}

/* d [m [s]] H: returns the wire value (2^31 +- milliarcseconds). */
static int coord(struct rdata_parse *p, const char *what, const char *hemi,
		 unsigned maxdeg, uint32_t *out)
{
	uint64_t part[3] = { 0, 0, 0 };
	int k;
	const struct tok *t;
	for (k = 0; k < 3; k++) {
		t = next(p);
		if (!t)
			return rdata_missing(p, what);
		if (k > 0 && is_hemi(t, hemi))
			break;
		/* degrees and minutes are integers; seconds have up to 3
		 * decimals */
		if (fixed(t->s, t->len, k == 2 ? 3 : 0, false, &part[k]) < 0)
			return rdata_fail(p, "bad %s %s '%.*s': expected %s", what,
					  k == 0 ? "degrees" : k == 1 ? "minutes" :
					  "seconds", (int)t->len, t->s,
					  k == 2 ? "0-59.999" : k == 1 ? "0-59" :
					  maxdeg == 90 ? "0-90" : "0-180");
		p->i++;
		p->last = what;
	}
	t = next(p);
	if (!is_hemi(t, hemi)) {
		if (!t)
			return rdata_missing(p, hemi[0] == 'N' ? "N or S" :
					     "E or W");
		return rdata_fail(p, "bad %s '%.*s': expected %s", what,
				  (int)t->len, t->s, hemi[0] == 'N' ?
				  "N or S after the latitude" :
				  "E or W after the longitude");
	}
	p->i++;
	if (part[0] > maxdeg || part[1] > 59 || part[2] > 59999)
		return rdata_fail(p, "%s out of range: expected degrees 0-%u, "
				  "minutes 0-59, seconds 0-59.999", what, maxdeg);
	uint64_t ms = (part[0] * 3600 + part[1] * 60) * 1000 + part[2];
	if (ms > (uint64_t)maxdeg * 3600000)
		return rdata_fail(p, "%s beyond %u degrees", what, maxdeg);
	bool neg = t->s[0] == hemi[1] || t->s[0] == hemi[1] + 32;
	*out = neg ? LOC_EQUATOR - (uint32_t)ms : LOC_EQUATOR + (uint32_t)ms;
	return 0;
}

int rdata_loc_parse(struct rdata_parse *p)
{
	uint32_t lat, lon, alt;
	uint64_t v;
	/* RFC 1876 §3 defaults: size 1m, horizontal precision 10000m,
	 * vertical precision 10m. */
	uint8_t ps[3] = { 0x12, 0x16, 0x13 };
	static const char *const psname[3] = { "size", "horizontal precision",
					       "vertical precision" };

	if (rdata_room(p, 16) < 0)
		return -1;
	if (coord(p, "latitude", "NS", 90, &lat) < 0 ||
	    coord(p, "longitude", "EW", 180, &lon) < 0)
		return -1;
	p->last = "longitude";
	const struct tok *t = next(p);
	if (!t)
		return rdata_missing(p, "altitude");
	bool neg = t->len && t->s[0] == '-';
	if (fixed(t->s + neg, t->len - neg, 2, true, &v) < 0 ||
	    (neg ? v > 10000000 : v > 4284967295ull))
		return rdata_fail(p, "bad altitude '%.*s': expected metres "
				  "-100000.00 to 42849672.95 like 10.5m",
				  (int)t->len, t->s);
	alt = neg ? LOC_ALTBASE - (uint32_t)v : LOC_ALTBASE + (uint32_t)v;
	p->i++;
	p->last = "altitude";
	for (int k = 0; k < 3 && (t = next(p)); k++) {
		if (fixed(t->s, t->len, 2, true, &v) < 0 || v > 9000000000ull)
			return rdata_fail(p, "bad %s '%.*s': expected metres "
					  "0-90000000.00 like 10m", psname[k],
					  (int)t->len, t->s);
		ps[k] = precsize(v);
		p->i++;
		p->last = psname[k];
	}
	uint8_t *o = p->o;
	o[0] = 0; /* version */
	o[1] = ps[0];
	o[2] = ps[1];
	o[3] = ps[2];
	for (int k = 0; k < 4; k++) {
		o[4 + k] = (uint8_t)(lat >> (24 - 8 * k));
		o[8 + k] = (uint8_t)(lon >> (24 - 8 * k));
		o[12 + k] = (uint8_t)(alt >> (24 - 8 * k));
	}
	p->o += 16;
	return 0;
}

int rdata_loc_check(struct wire_cur *c)
{
	/* Only version 0 is defined (RFC 1876 §2); others print generic. */
	if (wire_left(c) != 16 || wire_u8(c) != 0)
		return -1;
	/* Digits 0-9; a zero mantissa with a non-zero exponent has no text
	 * form of its own (it would print as 0m and come back as 0x00), so
	 * such rdata is left to the generic form. */
	for (int k = 0; k < 3; k++) {
		uint8_t v = wire_u8(c);
		if ((v >> 4) > 9 || (v & 15) > 9 || ((v >> 4) == 0 && (v & 15)))
			return -1;
	}
	uint32_t lat = wire_u32(c), lon = wire_u32(c);
	wire_skip(c, 4);	/* altitude: any value */
	uint32_t dlat = lat > LOC_EQUATOR ? lat - LOC_EQUATOR : LOC_EQUATOR - lat;
	uint32_t dlon = lon > LOC_EQUATOR ? lon - LOC_EQUATOR : LOC_EQUATOR - lon;
	if (dlat > 90u * 3600000 || dlon > 180u * 3600000)
		return -1;
	return 0;
}

static void two(struct rdata_tw *w, uint64_t v)
{
	rdata_tw_chr(w, (char)('0' + v / 10 % 10));
	rdata_tw_chr(w, (char)('0' + v % 10));
}

static void metres(struct rdata_tw *w, uint64_t cm)
{
	/* u32 is enough: at most 9e9 cm / 100 */
	rdata_tw_u32(w, (uint32_t)(cm / 100));
	if (cm % 100) {
		rdata_tw_chr(w, '.');
		two(w, cm % 100);
	}
	rdata_tw_chr(w, 'm');
}

static void print_coord(struct rdata_tw *w, uint32_t v, const char *hemi)
{
	bool neg = v < LOC_EQUATOR;
	uint32_t ms = neg ? LOC_EQUATOR - v : v - LOC_EQUATOR;
	rdata_tw_u32(w, ms / 3600000);
	rdata_tw_chr(w, ' ');
	rdata_tw_u32(w, ms / 60000 % 60);
	rdata_tw_chr(w, ' ');
	rdata_tw_u32(w, ms / 1000 % 60);
	rdata_tw_chr(w, '.');
	rdata_tw_chr(w, (char)('0' + ms % 1000 / 100));
	two(w, ms % 100);
	rdata_tw_chr(w, ' ');
	rdata_tw_chr(w, hemi[neg]);
}

void rdata_loc_print(struct rdata_tw *w, struct wire_cur *c)
{
	uint8_t ps[3];	/* size, horizontal and vertical precision */
	wire_skip(c, 1);	/* version */
	wire_copy(c, ps, 3);
	uint32_t lat = wire_u32(c), lon = wire_u32(c), alt = wire_u32(c);
	rdata_tw_sep(w);
	print_coord(w, lat, "NS");
	rdata_tw_chr(w, ' ');
	print_coord(w, lon, "EW");
	rdata_tw_chr(w, ' ');
	uint32_t cm = alt >= LOC_ALTBASE ? alt - LOC_ALTBASE : LOC_ALTBASE - alt;
	if (alt < LOC_ALTBASE)
		rdata_tw_chr(w, '-');
	rdata_tw_u32(w, cm / 100);
	rdata_tw_chr(w, '.');
	two(w, cm % 100);
	rdata_tw_chr(w, 'm');
	for (int k = 0; k < 3; k++) {
		rdata_tw_chr(w, ' ');
		metres(w, precsize_cm(ps[k]));
	}
}
