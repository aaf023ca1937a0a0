/*
 * enc.c - base64, base32hex and hex codecs for rdata fields (see enc.h).
 * Table-driven; no allocation.
 */
#include "zones/enc.h"

#define BAD 0xff

/* Decoding tables, built at compile time: value of each character or BAD. */
#define R4(x) x, x, x, x
#define R16(x) R4(x), R4(x), R4(x), R4(x)

static const uint8_t b64_val[256] = {
	R16(BAD), R16(BAD),
	/* 0x20 */ BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, 62, BAD, BAD, BAD, 63,
	/* 0x30 '0'.. */ 52, 53, 54, 55, 56, 57, 58, 59,
	60, 61, BAD, BAD, BAD, BAD, BAD, BAD,
	/* 0x40 '@','A'.. */ BAD, 0, 1, 2, 3, 4, 5, 6,
	7, 8, 9, 10, 11, 12, 13, 14,
	/* 0x50 'P'.. */ 15, 16, 17, 18, 19, 20, 21, 22,
	23, 24, 25, BAD, BAD, BAD, BAD, BAD,
	/* 0x60 '`','a'.. */ BAD, 26, 27, 28, 29, 30, 31, 32,
	33, 34, 35, 36, 37, 38, 39, 40,
	/* 0x70 'p'.. */ 41, 42, 43, 44, 45, 46, 47, 48,
	49, 50, 51, BAD, BAD, BAD, BAD, BAD,
	R16(BAD), R16(BAD), R16(BAD), R16(BAD),
	R16(BAD), R16(BAD), R16(BAD), R16(BAD),
};

static const uint8_t hex_val[256] = {
	R16(BAD), R16(BAD), R16(BAD),
	/* 0x30 */ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, BAD, BAD, BAD, BAD, BAD, BAD,
	/* 0x40 */ BAD, 10, 11, 12, 13, 14, 15, BAD, R4(BAD), R4(BAD),
	R16(BAD),
	/* 0x60 */ BAD, 10, 11, 12, 13, 14, 15, BAD, R4(BAD), R4(BAD),
	R16(BAD),
	R16(BAD), R16(BAD), R16(BAD), R16(BAD),
	R16(BAD), R16(BAD), R16(BAD), R16(BAD),
};

/* base32hex: 0-9 A-V (either case) -> 0..31. */
static const uint8_t b32h_val[256] = {
	R16(BAD), R16(BAD), R16(BAD),
	/* 0x30 */ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, BAD, BAD, BAD, BAD, BAD, BAD,
	/* 0x40 */ BAD, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	23, 24,
	/* 0x50 */ 25, 26, 27, 28, 29, 30, 31, BAD, BAD, BAD, BAD, BAD, R4(BAD),
	/* 0x60 */ BAD, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	23, 24,
	/* 0x70 */ 25, 26, 27, 28, 29, 30, 31, BAD, BAD, BAD, BAD, BAD, R4(BAD),
	R16(BAD), R16(BAD), R16(BAD), R16(BAD),
	R16(BAD), R16(BAD), R16(BAD), R16(BAD),
};

int enc_b64_feed(struct enc_dec *d, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *e = p + len;

	/* Fast path: whole quads with no padding, straight into the output. */
	if (d->n == 0 && !d->pad) {
		while (e - p >= 4) {
			uint8_t a = b64_val[p[0]], b = b64_val[p[1]],
				c = b64_val[p[2]], x = b64_val[p[3]];
			if ((a | b | c | x) == BAD || ((a | b | c | x) & 0xc0))
				break;
			if (d->end - d->o < 3)
				return ENC_ESPACE;
			uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 |
				     (uint32_t)c << 6 | x;
			d->o[0] = (uint8_t)(v >> 16);
			d->o[1] = (uint8_t)(v >> 8);
			d->o[2] = (uint8_t)v;
			d->o += 3;
			p += 4;
		}
	}
	for (; p < e; p++) {
		if (*p == '=') {
			/* RFC 4648 §4: "=" only in the last two positions of
			 * the final quad, after at least two data characters. */
			if (d->n + d->pad < 2 || d->n + d->pad >= 4)
				return ENC_ESYNTAX;
			d->pad++;
			if (d->n + d->pad == 4) {
				unsigned bytes = d->n - 1;
				if ((size_t)(d->end - d->o) < bytes)
					return ENC_ESPACE;
				uint32_t v = (uint32_t)(d->acc << (6 * d->pad));
				d->o[0] = (uint8_t)(v >> 16);
				if (bytes == 2)
					d->o[1] = (uint8_t)(v >> 8);
				d->o += bytes;
				d->n = 4; /* closed: nothing may follow */
			}
			continue;
		}
		uint8_t v = b64_val[*p];
		if (v == BAD || d->pad)
			return ENC_ESYNTAX;
		d->acc = d->acc << 6 | v;
		if (++d->n == 4) {
			if (d->end - d->o < 3)
				return ENC_ESPACE;
			d->o[0] = (uint8_t)(d->acc >> 16);
			d->o[1] = (uint8_t)(d->acc >> 8);
			d->o[2] = (uint8_t)d->acc;
			d->o += 3;
			d->n = 0;
			d->acc = 0;
		}
	}
	return 0;
}

int enc_b64_finish(struct enc_dec *d)
{
	if (d->pad)
		return d->n == 4 ? 0 : ENC_ELENGTH;
	return d->n == 0 ? 0 : ENC_ELENGTH;
}

int enc_hex_feed(struct enc_dec *d, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *e = p + len;

	if (d->n == 1 && p < e) {
		uint8_t v = hex_val[*p++];
		if (v == BAD)
			return ENC_ESYNTAX;
		if (d->o >= d->end)
			return ENC_ESPACE;
		*d->o++ = (uint8_t)(d->acc << 4 | v);
		d->n = 0;
	}
	if ((size_t)(d->end - d->o) < (size_t)(e - p) / 2)
		return ENC_ESPACE;
	while (e - p >= 2) {
		uint8_t a = hex_val[p[0]], b = hex_val[p[1]];
		if (a == BAD || b == BAD)
			return ENC_ESYNTAX;
		*d->o++ = (uint8_t)(a << 4 | b);
		p += 2;
	}
	if (p < e) {
		uint8_t v = hex_val[*p];
		if (v == BAD)
			return ENC_ESYNTAX;
		d->acc = v;
		d->n = 1;
	}
	return 0;
}

int enc_hex_finish(struct enc_dec *d)
{
	return d->n == 0 ? 0 : ENC_ELENGTH;
}

int enc_b32hex_feed(struct enc_dec *d, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t v = b32h_val[(uint8_t)s[i]];
		if (v == BAD)
			return ENC_ESYNTAX;
		d->acc = d->acc << 5 | v;
		if (++d->n == 8) {
			if (d->end - d->o < 5)
				return ENC_ESPACE;
			for (int k = 4; k >= 0; k--)
				*d->o++ = (uint8_t)(d->acc >> (8 * k));
			d->n = 0;
			d->acc = 0;
		}
	}
	return 0;
}

int enc_b32hex_finish(struct enc_dec *d)
{
	/* Leftover characters -> bytes: 2->1, 4->2, 5->3, 7->4 (RFC 4648 §6);
	 * the unused low bits must be zero so that the text is canonical. */
	static const int8_t bytes_for[8] = { 0, -1, 1, -1, 2, 3, -1, 4 };
	int nb = bytes_for[d->n];
	if (nb < 0)
		return ENC_ELENGTH;
	if (nb == 0)
		return 0;
	unsigned bits = d->n * 5, extra = bits - (unsigned)nb * 8;
	if (d->acc & ((1u << extra) - 1))
		return ENC_ESYNTAX;
	uint64_t v = d->acc >> extra;
	if (d->end - d->o < nb)
		return ENC_ESPACE;
	for (int k = nb - 1; k >= 0; k--)
		*d->o++ = (uint8_t)(v >> (8 * k));
	d->n = 0;
	d->acc = 0;
	return 0;
}

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex_chars[] = "0123456789ABCDEF";
static const char b32h_chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

size_t enc_b64_encode(char *out, const uint8_t *in, size_t n)
{
	char *o = out;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		o[0] = b64_chars[v >> 18];
		o[1] = b64_chars[(v >> 12) & 63];
		o[2] = b64_chars[(v >> 6) & 63];
		o[3] = b64_chars[v & 63];
		o += 4;
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		o[0] = b64_chars[v >> 18];
		o[1] = b64_chars[(v >> 12) & 63];
		o[2] = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
		o[3] = '=';
		o += 4;
	}
	return (size_t)(o - out);
}

size_t enc_hex_encode(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_chars[in[i] >> 4];
		out[2 * i + 1] = hex_chars[in[i] & 15];
	}
	return 2 * n;
}

size_t enc_b32hex_encode(char *out, const uint8_t *in, size_t n)
{
	char *o = out;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*o++ = b32h_chars[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits)
		*o++ = b32h_chars[(acc << (5 - bits)) & 31];
	return (size_t)(o - out);
}
