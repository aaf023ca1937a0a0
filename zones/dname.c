/*
 * dname.c - domain names: presentation <-> wire form, validation of untrusted
 * wire names (with bounded compression pointers), comparison and ordering.
 */
#include "zones/dname.h"

#include <string.h>

const char *dname_strerror(int err)
{
	switch (err) {
	case DNAME_EEMPTY: return "empty name";
	case DNAME_ELABEL: return "label longer than 63 octets";
	case DNAME_ELONG: return "name longer than 255 octets";
	case DNAME_EESCAPE: return "bad escape (expected \\X or \\DDD with DDD <= 255)";
	case DNAME_EEMPTYLABEL: return "empty label (two dots in a row, or a leading dot)";
	case DNAME_EPTR: return "bad compression pointer";
	case DNAME_ETRUNC: return "name runs past the end of the data";
	case DNAME_ERELATIVE: return "relative name and no origin to complete it";
	case DNAME_ESPACE: return "no room for the name";
	case DNAME_ELABELTYPE: return "unsupported label type";
	default: return "bad name";
	}
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int dname_from_text(uint8_t out[DNAME_MAX], const char *txt, size_t len,
		    const uint8_t *origin)
{
	if (len == 0)
		return DNAME_EEMPTY;
	if (len == 1 && txt[0] == '@') {
		if (!origin)
			return DNAME_ERELATIVE;
		size_t ol = dname_len(origin);
		memcpy(out, origin, ol);
		return (int)ol;
	}
	if (len == 1 && txt[0] == '.') {
		out[0] = 0;
		return 1;
	}

	/* out[lab] is the length byte of the label being filled; w is the
	 * next free byte.  One byte is always kept for the root label. */
	size_t lab = 0, w = 1, i = 0;
	bool absolute = false;

	while (i < len) {
		char c = txt[i];
		if (c == '.') {
			size_t ll = w - lab - 1;
			if (ll == 0)
				return DNAME_EEMPTYLABEL;
			out[lab] = (uint8_t)ll;
			if (++i == len) {
				absolute = true;
				break;
			}
			if (w + 1 >= DNAME_MAX)
				return DNAME_ELONG;
			lab = w++;
			continue;
		}
		uint8_t b;
		if (c != '\\') {
			b = (uint8_t)c;
			i++;
		} else if (i + 1 >= len) {
			return DNAME_EESCAPE;
		} else if (!is_digit(txt[i + 1])) {
			b = (uint8_t)txt[i + 1];
			i += 2;
		} else {
			if (i + 3 >= len)
				return DNAME_EESCAPE;
			if (!is_digit(txt[i + 2]) || !is_digit(txt[i + 3]))
				return DNAME_EESCAPE;
			unsigned v = (unsigned)(txt[i + 1] - '0') * 100 +
				     (unsigned)(txt[i + 2] - '0') * 10 +
				     (unsigned)(txt[i + 3] - '0');
			if (v > 255)
				return DNAME_EESCAPE;
			b = (uint8_t)v;
			i += 4;
		}
		if (w - lab - 1 >= DNAME_LABEL_MAX)
			return DNAME_ELABEL;
		if (w + 1 >= DNAME_MAX)
			return DNAME_ELONG;
		out[w++] = b;
	}
	if (absolute) {
		out[w++] = 0;
		return (int)w;
	}
	/* relative: close the last label, then append the origin */
	out[lab] = (uint8_t)(w - lab - 1);
	if (!origin)
		return DNAME_ERELATIVE;
	size_t ol = dname_len(origin);
	if (w + ol > DNAME_MAX)
		return DNAME_ELONG;
	memcpy(out + w, origin, ol);
	return (int)(w + ol);
}

/* Octets written as \X in presentation form. */
static bool needs_x_escape(uint8_t b)
{
	return b == '.' || b == '\\' || b == '"' || b == '(' || b == ')' ||
	       b == ';' || b == '@' || b == '$' || b == ' ';
}

int dname_to_text(char *out, size_t cap, const uint8_t *name)
{
	size_t o = 0;
	if (*name == 0) {
		if (cap < 2)
			return DNAME_ESPACE;
		out[0] = '.';
		out[1] = 0;
		return 1;
	}
	while (*name) {
		uint8_t ll = *name++;
		for (uint8_t k = 0; k < ll; k++) {
			uint8_t b = name[k];
			if (cap - o < 6)
				return DNAME_ESPACE;
			if (b > 0x20 && b < 0x7f && !needs_x_escape(b)) {
				out[o++] = (char)b;
			} else if (needs_x_escape(b)) {
				out[o++] = '\\';
				out[o++] = (char)b;
			} else {
				out[o++] = '\\';
				out[o++] = (char)('0' + b / 100);
				out[o++] = (char)('0' + b / 10 % 10);
				out[o++] = (char)('0' + b % 10);
			}
		}
		name += ll;
		if (cap - o < 2)
			return DNAME_ESPACE;
		out[o++] = '.';
	}
	out[o] = 0;
	return (int)o;
}

int dname_unpack(struct wire_cur *c, const uint8_t *msg, size_t msglen,
		 uint8_t out[DNAME_MAX])
{
	const uint8_t *p = c->pos;
	const uint8_t *end = c->end;
	const uint8_t *resume = NULL;	/* where the cursor continues */
	size_t w = 0;

	if (c->err)
		return DNAME_ETRUNC;
	for (;;) {
		if (p >= end) {
			c->err = true;
			return DNAME_ETRUNC;
		}
		uint8_t ll = *p;
		if ((ll & 0xc0) == 0xc0) {
			if (p + 1 >= end) {
				c->err = true;
				return DNAME_ETRUNC;
			}
			size_t off = (size_t)(ll & 0x3f) << 8 | p[1];
			/* Only strictly backward pointers into the message:
			 * the walk then ends after at most msglen steps. */
			if (!msg || p < msg || off >= (size_t)(p - msg) ||
			    off >= msglen) {
				c->err = true;
				return DNAME_EPTR;
			}
			if (!resume)
				resume = p + 2;
			p = msg + off;
			end = msg + msglen;
			continue;
		}
		if (ll & 0xc0) {
			c->err = true;
			return DNAME_ELABELTYPE;
		}
		if ((size_t)(end - p) < (size_t)ll + 1) {
			c->err = true;
			return DNAME_ETRUNC;
		}
		if (w + ll + 1 > DNAME_MAX) {
			c->err = true;
			return DNAME_ELONG;
		}
		memcpy(out + w, p, (size_t)ll + 1);
		w += (size_t)ll + 1;
		p += (size_t)ll + 1;
		if (ll == 0)
			break;
	}
	c->pos = resume ? resume : p;
	return (int)w;
}

int dname_check(const uint8_t *p, size_t maxlen)
{
	size_t w = 0;
	for (;;) {
		if (w >= maxlen)
			return DNAME_ETRUNC;
		uint8_t ll = p[w];
		if (ll & 0xc0)
			return (ll & 0xc0) == 0xc0 ? DNAME_EPTR : DNAME_ELABELTYPE;
		if (w + ll + 1 > DNAME_MAX)
			return DNAME_ELONG;
		if (w + ll + 1 > maxlen)
			return DNAME_ETRUNC;
		w += (size_t)ll + 1;
		if (ll == 0)
			return (int)w;
	}
}

size_t dname_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

unsigned dname_labels(const uint8_t *name)
{
	unsigned n = 0;
	while (*name) {
		name += *name + 1;
		n++;
	}
	return n;
}

const uint8_t *dname_parent(const uint8_t *name)
{
	return *name ? name + *name + 1 : NULL;
}

bool dname_is_root(const uint8_t *name)
{
	return *name == 0;
}

bool dname_eq(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (!dname_label_eq(a, b))
			return false;
		if (*a == 0)
			return true;
		a += *a + 1;
		b += *b + 1;
	}
}

bool dname_in(const uint8_t *name, const uint8_t *parent)
{
	unsigned nl = dname_labels(name), pl = dname_labels(parent);
	if (nl < pl)
		return false;
	for (unsigned k = nl - pl; k > 0; k--)
		name += *name + 1;
	return dname_eq(name, parent);
}

/* Offsets of each label's length byte, first label first; returns count. */
static unsigned label_offsets(const uint8_t *name, uint8_t off[DNAME_LABELS_MAX])
{
	unsigned n = 0;
	size_t p = 0;
	while (name[p] && n < DNAME_LABELS_MAX) {
		off[n++] = (uint8_t)p;
		p += name[p] + 1;
	}
	return n;
}

int dname_canon_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[DNAME_LABELS_MAX], ob[DNAME_LABELS_MAX];
	unsigned na = label_offsets(a, oa), nb = label_offsets(b, ob);

	/* RFC 4034 §6.1: compare from the most significant (rightmost)
	 * label, each as a lowercased octet string, absent octets first. */
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		unsigned n = *la < *lb ? *la : *lb;
		for (unsigned k = 1; k <= n; k++) {
			uint8_t ca = dname_lc(la[k]), cb = dname_lc(lb[k]);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (*la != *lb)
			return *la < *lb ? -1 : 1;
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

void dname_lower(uint8_t *name)
{
	while (*name) {
		uint8_t ll = *name;
		for (uint8_t k = 1; k <= ll; k++)
			name[k] = dname_lc(name[k]);
		name += ll + 1;
	}
}

/* SWAR lowercasing of 8 bytes: 0x20 added to each byte in 'A'..'Z' (bytes
 * >= 0x80 are left alone). */
static inline uint64_t lc8(uint64_t x)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, hi = 0x8080808080808080ull;
	uint64_t t = x & lo7;
	uint64_t ge_a = t + 0x3f3f3f3f3f3f3f3full;	/* high bit: byte >= 'A' */
	uint64_t gt_z = t + 0x2525252525252525ull;	/* high bit: byte > 'Z' */
	uint64_t upper = (ge_a ^ gt_z) & ~x & hi;
	return x | (upper >> 2);
}

static inline uint64_t ld8(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t hmix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

uint64_t dname_hash_bytes(const uint8_t *p, size_t n)
{
	/* Eight lowercased bytes a step (little-endian loads; the snapshot
	 * format already requires a little-endian host); the last step
	 * takes the final bytes with one overlapping load when n >= 8. */
	uint64_t h = 0x6a09e667f3bcc909ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		h = hmix(h, lc8(ld8(p + i)));
	size_t rem = n - i;
	if (rem) {
		uint64_t w;
		if (n >= 8) {
			w = ld8(p + n - 8) >> (8 * (8 - rem));
		} else {
			w = 0;
			for (size_t k = 0; k < rem; k++)
				w |= (uint64_t)p[i + k] << (8 * k);
		}
		h = hmix(h, lc8(w));
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	return h ^ (h >> 32);
}

uint64_t dname_hash_len(const uint8_t *name, size_t *len)
{
	/* label length octets are <= 63: lowercasing keeps them */
	const uint8_t *p = name;
	while (*p)
		p += *p + 1;
	*len = (size_t)(p - name) + 1;
	return dname_hash_bytes(name, *len);
}

uint64_t dname_hash(const uint8_t *name)
{
	size_t len;
	return dname_hash_len(name, &len);
}

bool dname_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}
