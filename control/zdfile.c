/*
 * zdfile.c - zone change records as text, and steps as a file
 * (zdfile.h).  The reader trusts nothing in the file: every name, length
 * and rdata is checked before a list is handed out.
 */
#include "control/zdfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"

#define ZDF_HEAD 36

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

const uint8_t *zdf_rec_at(const uint8_t *p, struct zdf_rec *r)
{
	const uint8_t *w = p + dname_len(p);
	r->owner = p;
	r->type = (uint16_t)(w[0] << 8 | w[1]);
	r->ttl = get32(w + 2);
	r->rdlen = (uint16_t)(w[6] << 8 | w[7]);
	r->rd = w + 8;
	return w + 8 + r->rdlen;
}

int zdf_rec_text(const struct zdf_rec *r, char *out, size_t cap)
{
	if (cap < DNAME_TEXT_MAX + 64)
		return -1;
	int k = dname_to_text(out, DNAME_TEXT_MAX, r->owner);
	k += snprintf(out + k, 32, " %u IN ", r->ttl);
	k += rrtype_to_text(r->type, out + k, 32);
	out[k++] = ' ';
	int n = rdata_to_text(r->type, r->rd, r->rdlen, out + k, cap - (size_t)k);
	return n < 0 ? -1 : k + n;
}

bool zdf_put(struct zdf_list *l, const uint8_t *owner, uint16_t type, uint32_t ttl,
	     const uint8_t *rd, uint16_t rdlen)
{
	size_t ol = dname_len(owner), need = ol + 8 + rdlen;
	if (l->cap - l->len < need) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		while (cap - l->len < need)
			cap *= 2;
		uint8_t *p = realloc(l->p, cap);
		if (!p)
			return false;
		l->p = p;
		l->cap = cap;
	}
	uint8_t *w = l->p + l->len;
	memcpy(w, owner, ol);
	w += ol;
	w[0] = (uint8_t)(type >> 8);
	w[1] = (uint8_t)type;
	put32(w + 2, ttl);
	w[6] = (uint8_t)(rdlen >> 8);
	w[7] = (uint8_t)rdlen;
	memcpy(w + 8, rd, rdlen);
	l->len += need;
	l->n++;
	return true;
}

void zdf_list_free(struct zdf_list *l)
{
	free(l->p);
	memset(l, 0, sizeof *l);
}

bool zdf_write(FILE *f, const struct zdiff *d)
{
	uint8_t h[ZDF_HEAD];
	memcpy(h, "ZDF1", 4);
	put32(h + 4, d->from);
	put32(h + 8, d->to);
	put32(h + 12, d->ndel);
	put32(h + 16, d->nadd);
	put32(h + 20, (uint32_t)((uint64_t)d->del_len >> 32));
	put32(h + 24, (uint32_t)d->del_len);
	put32(h + 28, (uint32_t)((uint64_t)d->add_len >> 32));
	put32(h + 32, (uint32_t)d->add_len);
	return fwrite(h, 1, sizeof h, f) == sizeof h &&
	       (!d->del_len || fwrite(d->del, 1, d->del_len, f) == d->del_len) &&
	       (!d->add_len || fwrite(d->add, 1, d->add_len, f) == d->add_len);
}

/* Whether len bytes at p hold exactly n well-formed records. */
static bool list_ok(const uint8_t *p, size_t len, uint32_t n)
{
	size_t at = 0;
	for (uint32_t i = 0; i < n; i++) {
		int ol = dname_check(p + at, len - at);
		if (ol < 0 || len - at - (size_t)ol < 8)
			return false;
		const uint8_t *w = p + at + ol;
		size_t rdlen = (size_t)(w[6] << 8 | w[7]);
		if (len - at - (size_t)ol - 8 < rdlen ||
		    rdata_check((uint16_t)(w[0] << 8 | w[1]), w + 8, rdlen) != 0)
			return false;
		at += (size_t)ol + 8 + rdlen;
	}
	return at == len;
}

/* The whole of path, malloc'd; NULL with err. */
static uint8_t *slurp(const char *path, size_t *len, char *err, size_t errcap)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz = -1;
	if (f && fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
		buf = malloc(sz ? (size_t)sz : 1);
	if (buf && fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
		fclose(f);
		*len = (size_t)sz;
		return buf;
	}
	snprintf(err, errcap, "%s: %s", path, errno ? strerror(errno) : "short read");
	free(buf);
	if (f)
		fclose(f);
	return NULL;
}

/* The step whose head is at s->buf + at (len bytes in all) into d;
 * returns the offset after it, 0 when malformed. */
static size_t step_at(const uint8_t *buf, size_t at, size_t len, struct zdiff *d)
{
	const uint8_t *h = buf + at;
	if (len - at < ZDF_HEAD || memcmp(h, "ZDF1", 4) != 0)
		return 0;
	uint64_t dl = get64(h + 20), al = get64(h + 28);
	at += ZDF_HEAD;
	if (dl > len - at || al > len - at - dl)
		return 0;
	*d = (struct zdiff){ .from = get32(h + 4), .to = get32(h + 8), .ndel = get32(h + 12),
			     .nadd = get32(h + 16), .del = buf + at, .del_len = (size_t)dl,
			     .add = buf + at + dl, .add_len = (size_t)al };
	if (!list_ok(d->del, d->del_len, d->ndel) || !list_ok(d->add, d->add_len, d->nadd))
		return 0;
	return at + (size_t)(dl + al);
}

int zdf_read(const char *path, struct zdf_steps *s, char *err, size_t errcap)
{
	memset(s, 0, sizeof *s);
	size_t len = 0;
	errno = 0;
	uint8_t *buf = slurp(path, &len, err, errcap);
	return buf ? zdf_parse(buf, len, path, s, err, errcap) : -1;
}

int zdf_parse(uint8_t *buf, size_t len, const char *path, struct zdf_steps *s, char *err,
	      size_t errcap)
{
	memset(s, 0, sizeof *s);
	s->buf = buf;
	size_t at = 0, cap = 0;
	while (at < len) {
		if (s->n == cap) {
			cap = cap ? 2 * cap : 8;
			struct zdiff *v = realloc(s->v, cap * sizeof *v);
			if (!v) {
				snprintf(err, errcap, "out of memory reading %s", path);
				zdf_steps_free(s);
				return -1;
			}
			s->v = v;
		}
		size_t next = step_at(s->buf, at, len, &s->v[s->n]);
		if (!next) {
			snprintf(err, errcap, "%s: step %zu is malformed (at byte %zu)", path,
				 s->n + 1, at);
			zdf_steps_free(s);
			return -1;
		}
		s->n++;
		at = next;
	}
	return 0;
}

void zdf_steps_free(struct zdf_steps *s)
{
	free(s->buf);
	free(s->v);
	memset(s, 0, sizeof *s);
}
