/*
 * wire.h - bounds-checked cursors over untrusted byte buffers.
 *
 * Every byte of DNS wire data that comes from outside (queries, transfers,
 * snapshot images, rdata) is read through a struct wire_cur.  Reads past the
 * end do not fault: they return zero and set a sticky error, so a parser reads
 * on and checks wire_ok() once at the end (the style of Knot's wire_ctx).
 */
#ifndef RINGDNS_WIRE_H
#define RINGDNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_cur {
	const uint8_t *pos;
	const uint8_t *end;
	bool err;
};

static inline void wire_init(struct wire_cur *c, const void *buf, size_t len)
{
	c->pos = buf;
	c->end = (const uint8_t *)buf + len;
	c->err = false;
}

static inline size_t wire_left(const struct wire_cur *c)
{
	return c->err ? 0 : (size_t)(c->end - c->pos);
}

static inline bool wire_ok(const struct wire_cur *c)
{
	return !c->err;
}

/* True when there is no error and nothing is left. */
static inline bool wire_done(const struct wire_cur *c)
{
	return !c->err && c->pos == c->end;
}

static inline bool wire_need(struct wire_cur *c, size_t n)
{
	if (c->err || (size_t)(c->end - c->pos) < n) {
		c->err = true;
		return false;
	}
	return true;
}

static inline uint8_t wire_u8(struct wire_cur *c)
{
	if (!wire_need(c, 1))
		return 0;
	return *c->pos++;
}

static inline uint16_t wire_u16(struct wire_cur *c)
{
	if (!wire_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->pos[0] << 8 | c->pos[1]);
	c->pos += 2;
	return v;
}

static inline uint32_t wire_u32(struct wire_cur *c)
{
	if (!wire_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->pos[0] << 24 | (uint32_t)c->pos[1] << 16 |
		     (uint32_t)c->pos[2] << 8 | c->pos[3];
	c->pos += 4;
	return v;
}

/* Returns a pointer to n bytes inside the buffer, or NULL (sticky error). */
static inline const uint8_t *wire_take(struct wire_cur *c, size_t n)
{
	if (!wire_need(c, n))
		return NULL;
	const uint8_t *p = c->pos;
	c->pos += n;
	return p;
}

static inline void wire_copy(struct wire_cur *c, void *dst, size_t n)
{
	const uint8_t *p = wire_take(c, n);
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

static inline void wire_skip(struct wire_cur *c, size_t n)
{
	(void)wire_take(c, n);
}

/* Sets the sticky error, for input found bad by a check of the caller's. */
static inline void wire_fail(struct wire_cur *c)
{
	c->err = true;
}

/* Takes everything that is left: a pointer to it, its length in *n (0
 * after an error). */
static inline const uint8_t *wire_rest(struct wire_cur *c, size_t *n)
{
	const uint8_t *p = c->pos;
	*n = wire_left(c);
	c->pos += *n;
	return p;
}

/* Takes n bytes as a cursor of their own; when they are not there, both
 * cursors have the error and *sub is empty. */
static inline void wire_sub(struct wire_cur *sub, struct wire_cur *c, size_t n)
{
	const uint8_t *p = wire_take(c, n);
	sub->pos = p ? p : c->pos;
	sub->end = p ? p + n : c->pos;
	sub->err = !p;
}

/* Takes a <character-string> (RFC 1035 §3.3: a length octet and that many
 * octets): a pointer to its octets, their number in *n (0 after an
 * error). */
static inline const uint8_t *wire_str(struct wire_cur *c, size_t *n)
{
	struct wire_cur s;
	wire_sub(&s, c, wire_u8(c));
	return wire_rest(&s, n);
}

#endif
