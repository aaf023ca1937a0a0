/*
 * rdata_svcb.c - SvcParams of SVCB and HTTPS (RFC 9460 §2.1, §7, Appendix
 * A): presentation <-> wire, with keys sorted ascending on the wire,
 * duplicates refused and the "mandatory" list kept sorted and consistent.
 */
#include <string.h>

#include "zones/enc.h"
#include "zones/rdata_int.h"

enum {
	SVC_MANDATORY = 0, SVC_ALPN = 1, SVC_NODEFALPN = 2, SVC_PORT = 3,
	SVC_IPV4HINT = 4, SVC_ECH = 5, SVC_IPV6HINT = 6, SVC_DOHPATH = 7,
	SVC_OHTTP = 8, SVC_INVALID = 65535,
};

static const char *const svc_names[] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech",
	"ipv6hint", "dohpath", "ohttp",
};
#define SVC_NAMED (sizeof(svc_names) / sizeof(svc_names[0]))
#define SVC_MAXPARAMS 64

/* Key name or keyNNNNN -> number; -1 when not a key. */
static int key_from_text(const char *s, size_t len)
{
	for (size_t k = 0; k < SVC_NAMED; k++)
		if (strlen(svc_names[k]) == len && !memcmp(s, svc_names[k], len))
			return (int)k;
	uint32_t v;
	if (len > 3 && !memcmp(s, "key", 3) &&
	    rdata_num(s + 3, len - 3, 65535, &v) == 0)
		return (int)v;
	return -1;
}

static void key_print(struct rdata_tw *w, unsigned key)
{
	if (key < SVC_NAMED) {
		rdata_tw_str(w, svc_names[key]);
	} else {
		rdata_tw_str(w, "key");
		rdata_tw_u32(w, key);
	}
}

/* Iterator over the octets that a presentation value stands for, decoding
 * \X and \DDD on the fly (RFC 1035 §5.1). */
struct cs_it {
	const char *s;
	const char *e;
};

/* Next octet (0-255), -1 at the end, -2 for a bad escape. */
static int cs_next(struct cs_it *it)
{
	if (it->s >= it->e)
		return -1;
	uint8_t c = (uint8_t)*it->s++;
	if (c != '\\')
		return c;
	if (it->s >= it->e)
		return -2;
	c = (uint8_t)*it->s++;
	if (c < '0' || c > '9')
		return c;
	if (it->e - it->s < 2 || it->s[0] < '0' || it->s[0] > '9' ||
	    it->s[1] < '0' || it->s[1] > '9')
		return -2;
	unsigned v = (unsigned)(c - '0') * 100 + (unsigned)(it->s[0] - '0') * 10 +
		     (unsigned)(it->s[1] - '0');
	it->s += 2;
	return v > 255 ? -2 : (int)v;
}

/* Next item of a simple comma-separated list into buf (NUL-free);
 * returns its length, -1 at the end, -2 bad escape, -3 too long. */
static int list_item(struct cs_it *it, char *buf, size_t cap, bool *more)
{
	size_t n = 0;
	int c;
	*more = false;
	if (it->s >= it->e)
		return -1;
	while ((c = cs_next(it)) >= 0) {
		if (c == ',') {
			*more = true;
			break;
		}
		if (n >= cap)
			return -3;
		buf[n++] = (char)c;
	}
	if (c == -2)
		return -2;
	return (int)n;
}

static int bad_value(struct rdata_parse *p, unsigned key, const char *v,
		     size_t vlen, const char *expected)
{
	if (key < SVC_NAMED)
		return rdata_fail(p, "bad %s value '%.*s': expected %s",
				  svc_names[key], (int)(vlen > 80 ? 80 : vlen), v,
				  expected);
	return rdata_fail(p, "bad key%u value '%.*s': expected %s", key,
			  (int)(vlen > 80 ? 80 : vlen), v, expected);
}

/* Writes the wire value of one param at p->o; returns 0 or -1. */
/* mandatory (RFC 9460 §8): keys, sorted, each once, not itself. */
static int parse_mandatory(struct rdata_parse *p, unsigned key, const char *v, size_t vlen)
{
	struct cs_it it = { v, v + vlen };
	char item[64];
	bool more;
	int r;
	uint16_t keys[SVC_MAXPARAMS];
	size_t nk = 0;
	if (!vlen)
		return bad_value(p, key, v, vlen, "a comma-separated "
				 "list of keys");
	while ((r = list_item(&it, item, sizeof(item), &more)) != -1) {
		int k = r >= 0 ? key_from_text(item, (size_t)r) : -1;
		if (k < 0 || k == SVC_INVALID)
			return bad_value(p, key, v, vlen, "a comma-"
					 "separated list of keys like "
					 "alpn,ipv4hint");
		if (k == SVC_MANDATORY)
			return rdata_fail(p, "mandatory must not list "
					  "itself (RFC 9460 section 8)");
		if (nk == SVC_MAXPARAMS)
			return bad_value(p, key, v, vlen, "at most 64 keys");
		/* Insert sorted, refusing duplicates. */
		size_t j = nk;
		while (j && keys[j - 1] > k) {
			keys[j] = keys[j - 1];
			j--;
		}
		if (j && keys[j - 1] == k) {
			return rdata_fail(p, "mandatory lists key '%.*s' "
					  "twice", r, item);
		}
		keys[j] = (uint16_t)k;
		nk++;
		if (!more)
			break;
	}
	if (r == -1 && more)
		return bad_value(p, key, v, vlen, "no empty list items");
	if (rdata_room(p, 2 * nk) < 0)
		return -1;
	for (size_t j = 0; j < nk; j++) {
		p->o[2 * j] = (uint8_t)(keys[j] >> 8);
		p->o[2 * j + 1] = (uint8_t)keys[j];
	}
	p->o += 2 * nk;
	return 0;
}

/* alpn (RFC 9460 §7.1.1, Appendix A.1): comma-separated alpn-ids; '\\'
 * escapes ',' and '\\' once more after the character-string decoding. */
static int parse_alpn(struct rdata_parse *p, unsigned key, const char *v, size_t vlen)
{
	struct cs_it it = { v, v + vlen };
	/* Appendix A.1: comma-separated alpn-ids; '\' escapes ',' and
	 * '\' once more after the character-string decoding. */
	uint8_t *lenp = NULL;
	size_t idlen = 0;
	if (!vlen)
		return bad_value(p, key, v, vlen, "a comma-separated "
				 "list of protocol ids like h2,h3");
	for (;;) {
		int c = cs_next(&it);
		if (c == -2)
			return bad_value(p, key, v, vlen, "valid \\X or "
					 "\\DDD escapes");
		if (c == '\\') {
			c = cs_next(&it);
			if (c < 0)
				return bad_value(p, key, v, vlen, "a "
						 "character after '\\'");
		} else if (c == ',' || c == -1) {
			if (!lenp || idlen == 0)
				return bad_value(p, key, v, vlen, "non-"
						 "empty protocol ids");
			*lenp = (uint8_t)idlen;
			lenp = NULL;
			if (c == -1)
				return 0;
			continue;
		}
		if (!lenp) {
			if (rdata_room(p, 1) < 0)
				return -1;
			lenp = p->o++;
			idlen = 0;
		}
		if (idlen == 255)
			return bad_value(p, key, v, vlen, "protocol ids "
					 "of at most 255 octets");
		if (rdata_room(p, 1) < 0)
			return -1;
		*p->o++ = (uint8_t)c;
		idlen++;
	}
}

static int parse_port(struct rdata_parse *p, unsigned key, const char *v, size_t vlen)
{
	struct cs_it it = { v, v + vlen };
	char item[64];
	bool more;
	uint32_t port;
	int r = list_item(&it, item, sizeof(item), &more);
	if (r < 0 || more || rdata_num(item, (size_t)r, 65535, &port) < 0)
		return bad_value(p, key, v, vlen, "a port number "
				 "0-65535");
	if (rdata_room(p, 2) < 0)
		return -1;
	p->o[0] = (uint8_t)(port >> 8);
	p->o[1] = (uint8_t)port;
	p->o += 2;
	return 0;
}

/* ipv4hint, ipv6hint (RFC 9460 §7.3): comma-separated addresses. */
static int parse_hints(struct rdata_parse *p, unsigned key, const char *v, size_t vlen)
{
	struct cs_it it = { v, v + vlen };
	char item[64];
	bool more;
	int r;
	size_t alen = key == SVC_IPV4HINT ? 4 : 16;
	size_t count = 0;
	do {
		r = list_item(&it, item, sizeof(item), &more);
		if (rdata_room(p, alen) < 0)
			return -1;
		if (r < 0 ||
		    !(alen == 4 ? rdata_ipv4(item, (size_t)r, p->o) :
		      rdata_ipv6(item, (size_t)r, p->o)))
			return bad_value(p, key, v, vlen, alen == 4 ?
					 "comma-separated IPv4 addresses "
					 "like 192.0.2.1,192.0.2.2" :
					 "comma-separated IPv6 addresses "
					 "like 2001:db8::1,2001:db8::2");
		p->o += alen;
		count++;
	} while (more);
	return 0;
}

/* ech (RFC 9460 §9): an ECHConfigList in base64. */
static int parse_ech(struct rdata_parse *p, unsigned key, const char *v, size_t vlen)
{
	struct cs_it it = { v, v + vlen };
	int r;
	struct enc_dec d;
	char chunk[64];
	size_t n = 0;
	enc_dec_init(&d, p->o, p->end);
	for (;;) {
		int c = cs_next(&it);
		if (c == -2)
			return bad_value(p, key, v, vlen, "base64");
		if (c >= 0)
			chunk[n++] = (char)c;
		if (n == sizeof(chunk) || (c == -1 && n)) {
			r = enc_b64_feed(&d, chunk, n);
			if (r == ENC_ESPACE)
				return rdata_room(p, (size_t)(p->end -
							  p->o) + 1);
			if (r < 0)
				return bad_value(p, key, v, vlen,
						 "base64");
			n = 0;
		}
		if (c == -1)
			break;
	}
	if (enc_b64_finish(&d) < 0)
		return bad_value(p, key, v, vlen, "base64 with a length "
				 "that is a multiple of 4");
	p->o = d.o;
	return 0;
}

/* dohpath (RFC 9461 §5) and keyNNNNN: the octets as they are. */
static int parse_opaque(struct rdata_parse *p, unsigned key, const char *v, size_t vlen)
{
	int r = rdata_unescape(v, vlen, p->o, (size_t)(p->end - p->o));
	if (r == -1)
		return bad_value(p, key, v, vlen, "valid \\X or \\DDD "
				 "escapes");
	if (r == -2)
		return rdata_room(p, (size_t)(p->end - p->o) + 1);
	p->o += r;
	return 0;
}

static int parse_value(struct rdata_parse *p, unsigned key, const char *v,
		       size_t vlen)
{
	switch (key) {
	case SVC_NODEFALPN:
	case SVC_OHTTP:
		if (vlen)
			return bad_value(p, key, v, vlen, "no value");
		return 0;
	case SVC_MANDATORY:
		return parse_mandatory(p, key, v, vlen);
	case SVC_ALPN:
		return parse_alpn(p, key, v, vlen);
	case SVC_PORT:
		return parse_port(p, key, v, vlen);
	case SVC_IPV4HINT:
	case SVC_IPV6HINT:
		return parse_hints(p, key, v, vlen);
	case SVC_ECH:
		return parse_ech(p, key, v, vlen);
	default:
		return parse_opaque(p, key, v, vlen);
	}
}

struct svc_prm {
	uint16_t key;
	uint32_t off;	/* from p->start */
	uint32_t len;	/* with the 4-octet header */
};

static void reverse(uint8_t *a, uint8_t *e)
{
	while (a < --e) {
		uint8_t t = *a;
		*a++ = *e;
		*e = t;
	}
}

int rdata_svcb_parse(struct rdata_parse *p)
{
	struct svc_prm prm[SVC_MAXPARAMS];
	size_t np = 0;

	for (; p->i < p->n; p->i++) {
		const struct tok *t = &p->t[p->i];
		const char *eq = memchr(t->s, '=', t->len);
		size_t klen = eq ? (size_t)(eq - t->s) : t->len;
		int key = key_from_text(t->s, klen);
		if (key < 0 || key == SVC_INVALID)
			return rdata_fail(p, "bad SvcParamKey '%.*s': expected "
					  "mandatory, alpn, no-default-alpn, "
					  "port, ipv4hint, ech, ipv6hint, "
					  "dohpath, ohttp or keyNNNNN "
					  "(0-65534)", (int)(klen > 40 ? 40 : klen),
					  t->s);
		const char *v = eq ? eq + 1 : t->s + t->len;
		size_t vlen = (size_t)(t->s + t->len - v);
		if (vlen && v[0] == '"') {
			if (vlen < 2 || v[vlen - 1] != '"')
				return rdata_fail(p, "unterminated quoted value "
						  "in '%.*s'", (int)t->len, t->s);
			v++;
			vlen -= 2;
		}
		if (np == SVC_MAXPARAMS)
			return rdata_fail(p, "more than %d SvcParams",
					  SVC_MAXPARAMS);
		for (size_t k = 0; k < np; k++)
			if (prm[k].key == key)
				return rdata_fail(p, "duplicate SvcParamKey "
						  "'%.*s' (RFC 9460 section 2.2)",
						  (int)klen, t->s);
		if (rdata_room(p, 4) < 0)
			return -1;
		uint8_t *hdr = p->o;
		p->o += 4;
		if (parse_value(p, (unsigned)key, v, vlen) < 0)
			return -1;
		size_t vl = (size_t)(p->o - hdr - 4);
		hdr[0] = (uint8_t)(key >> 8);
		hdr[1] = (uint8_t)key;
		hdr[2] = (uint8_t)(vl >> 8);
		hdr[3] = (uint8_t)vl;
		prm[np].key = (uint16_t)key;
		prm[np].off = (uint32_t)(hdr - p->start);
		prm[np].len = (uint32_t)(vl + 4);
		np++;
	}

	/* RFC 9460 §2.2: keys in strictly increasing order on the wire.  The
	 * params are contiguous; insertion-sort them with in-place rotations
	 * (usually they are written in order already and nothing moves). */
	for (size_t k = 1; k < np; k++) {
		size_t j = k;
		while (j && prm[j - 1].key > prm[k].key)
			j--;
		if (j == k)
			continue;
		uint8_t *a = p->start + prm[j].off, *m = p->start + prm[k].off,
			*e = m + prm[k].len;
		reverse(a, m);
		reverse(m, e);
		reverse(a, e);
		struct svc_prm moved = prm[k];
		moved.off = prm[j].off;
		memmove(&prm[j + 1], &prm[j], (k - j) * sizeof(prm[0]));
		prm[j] = moved;
		for (size_t q = j + 1; q <= k; q++)
			prm[q].off = prm[q - 1].off + prm[q - 1].len;
	}

	/* §8: every key that mandatory lists must be present; §7.1.1:
	 * no-default-alpn needs alpn. */
	bool have_alpn = false, have_nodef = false;
	for (size_t k = 0; k < np; k++) {
		have_alpn |= prm[k].key == SVC_ALPN;
		have_nodef |= prm[k].key == SVC_NODEFALPN;
	}
	if (have_nodef && !have_alpn)
		return rdata_fail(p, "no-default-alpn without alpn (RFC 9460 "
				  "section 7.1.1)");
	if (np && prm[0].key == SVC_MANDATORY) {
		const uint8_t *m = p->start + prm[0].off + 4;
		for (size_t j = 0; j + 1 < prm[0].len - 4; j += 2) {
			uint16_t want = (uint16_t)(m[j] << 8 | m[j + 1]);
			size_t k;
			for (k = 1; k < np && prm[k].key != want; k++)
				;
			if (k == np) {
				if (want < SVC_NAMED)
					return rdata_fail(p, "mandatory lists "
							  "key '%s' that is not "
							  "present",
							  svc_names[want]);
				return rdata_fail(p, "mandatory lists key "
						  "'key%u' that is not present",
						  want);
			}
		}
	}
	return 0;
}

/* True when the params at c (already checked) hold key. */
static bool has_key(struct wire_cur c, unsigned key)
{
	while (wire_left(&c)) {
		if (wire_u16(&c) == key)
			return true;
		wire_skip(&c, wire_u16(&c));
	}
	return false;
}

int rdata_svcb_check(struct wire_cur *c)
{
	const struct wire_cur all = *c;
	struct wire_cur mand;
	int prev = -1;
	wire_sub(&mand, c, 0);	/* empty until a mandatory key is seen */
	while (wire_left(c)) {
		unsigned key = wire_u16(c);
		struct wire_cur v;
		wire_sub(&v, c, wire_u16(c));
		size_t vl = wire_left(&v);
		if (!wire_ok(&v) || (int)key <= prev || key == SVC_INVALID)
			return -1;
		prev = (int)key;
		switch (key) {
		case SVC_MANDATORY: {
			int last = -1;
			if (vl < 2 || vl % 2)
				return -1;
			mand = v;
			while (wire_left(&v)) {
				unsigned k = wire_u16(&v);
				if (k == SVC_MANDATORY || (int)k <= last)
					return -1;
				last = (int)k;
			}
			break;
		}
		case SVC_ALPN:
			if (vl == 0)
				return -1;
			while (wire_left(&v)) {
				size_t n;
				(void)wire_str(&v, &n);
				if (n == 0)
					return -1;
			}
			break;
		case SVC_NODEFALPN:
		case SVC_OHTTP:
			if (vl)
				return -1;
			break;
		case SVC_PORT:
			if (vl != 2)
				return -1;
			break;
		case SVC_IPV4HINT:
			if (vl == 0 || vl % 4)
				return -1;
			break;
		case SVC_IPV6HINT:
			if (vl == 0 || vl % 16)
				return -1;
			break;
		}
	}
	/* Self-consistency (RFC 9460 §2.4.3, §7.1.1, §8): keys listed in
	 * mandatory are present; no-default-alpn comes with alpn. */
	while (wire_left(&mand))
		if (!has_key(all, wire_u16(&mand)))
			return -1;
	if (has_key(all, SVC_NODEFALPN) && !has_key(all, SVC_ALPN))
		return -1;
	return 0;
}

void rdata_svcb_print(struct rdata_tw *w, struct wire_cur *c)
{
	while (wire_left(c)) {
		unsigned key = wire_u16(c);
		struct wire_cur v;
		wire_sub(&v, c, wire_u16(c));
		const uint8_t *s;
		size_t n;
		rdata_tw_sep(w);
		key_print(w, key);
		switch (key) {
		case SVC_MANDATORY:
			rdata_tw_chr(w, '=');
			while (wire_left(&v)) {
				key_print(w, wire_u16(&v));
				if (wire_left(&v))
					rdata_tw_chr(w, ',');
			}
			break;
		case SVC_ALPN:
			rdata_tw_str(w, "=\"");
			while (wire_left(&v)) {
				s = wire_str(&v, &n);
				/* Value-list escaping of ',' and '\' first,
				 * then the character-string escaping. */
				for (size_t k = 0; k < n; k++) {
					if (s[k] == ',' || s[k] == '\\')
						rdata_tw_str(w, "\\\\");
					rdata_tw_escaped(w, s + k, 1, NULL);
				}
				if (wire_left(&v))
					rdata_tw_chr(w, ',');
			}
			rdata_tw_chr(w, '"');
			break;
		case SVC_NODEFALPN:
		case SVC_OHTTP:
			break;
		case SVC_PORT:
			rdata_tw_chr(w, '=');
			rdata_tw_u32(w, wire_u16(&v));
			break;
		case SVC_IPV4HINT:
		case SVC_IPV6HINT: {
			uint8_t a[16];
			rdata_tw_chr(w, '=');
			while (wire_left(&v)) {
				if (key == SVC_IPV4HINT) {
					wire_copy(&v, a, 4);
					rdata_tw_ipv4(w, a);
				} else {
					wire_copy(&v, a, 16);
					rdata_tw_ipv6(w, a);
				}
				if (wire_left(&v))
					rdata_tw_chr(w, ',');
			}
			break;
		}
		case SVC_ECH:
			s = wire_rest(&v, &n);
			if (!n) {
				rdata_tw_str(w, "=\"\"");
				break;
			}
			rdata_tw_chr(w, '=');
			rdata_tw_b64(w, s, n);
			break;
		default:
			s = wire_rest(&v, &n);
			if (!n)
				break;
			rdata_tw_str(w, "=\"");
			rdata_tw_escaped(w, s, n, NULL);
			rdata_tw_chr(w, '"');
		}
	}
}
