/*
 * enc.h - binary-to-text codecs used by rdata fields: base64 (RFC 4648 §4,
 * padded), base32hex (RFC 4648 §7, unpadded as in NSEC3, RFC 5155 §3.3) and
 * base16 (hex).  Decoders are streaming so that a field split across several
 * master-file tokens decodes as if the tokens were concatenated.
 */
#ifndef RINGDNS_ENC_H
#define RINGDNS_ENC_H

#include <stddef.h>
#include <stdint.h>

enum {
	ENC_ESYNTAX = -1,	/* character outside the alphabet, bad padding */
	ENC_ESPACE = -2,	/* output buffer full */
	ENC_ELENGTH = -3,	/* input ends inside a group (length) */
};

/* Streaming decoder state: feed pieces in order, then finish. */
struct enc_dec {
	uint64_t acc;
	unsigned n;	/* characters in acc */
	unsigned pad;	/* '=' seen (base64) */
	uint8_t *o;
	uint8_t *end;
};

static inline void enc_dec_init(struct enc_dec *d, uint8_t *out, uint8_t *end)
{
	d->acc = 0;
	d->n = 0;
	d->pad = 0;
	d->o = out;
	d->end = end;
}

/* Each returns 0 or a negative ENC_E* code. */
int enc_b64_feed(struct enc_dec *d, const char *s, size_t len);
int enc_b64_finish(struct enc_dec *d);
int enc_hex_feed(struct enc_dec *d, const char *s, size_t len);
int enc_hex_finish(struct enc_dec *d);
int enc_b32hex_feed(struct enc_dec *d, const char *s, size_t len);
int enc_b32hex_finish(struct enc_dec *d);

/* Encoded lengths (no NUL). */
static inline size_t enc_b64_len(size_t n) { return (n + 2) / 3 * 4; }
static inline size_t enc_hex_len(size_t n) { return n * 2; }
static inline size_t enc_b32hex_len(size_t n) { return (n * 8 + 4) / 5; }

/* Encoders write exactly enc_*_len(n) characters (no NUL) and return it.
 * Hex and base32hex are written in upper case. */
size_t enc_b64_encode(char *out, const uint8_t *in, size_t n);
size_t enc_hex_encode(char *out, const uint8_t *in, size_t n);
size_t enc_b32hex_encode(char *out, const uint8_t *in, size_t n);

#endif
