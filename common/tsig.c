/*
 * tsig.c - TSIG (RFC 8945) with OpenSSL's HMAC: finding the TSIG RR at the
 * end of a message (every record before it skipped through a bounds-checked
 * cursor), the MAC over request MAC, message and TSIG variables (§4.3),
 * the multi-message rule of §5.3.1 (prior MAC, messages, timers), and the
 * checks in the order of §5.2: key, MAC, time, truncation.
 */
#include "common/tsig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "zones/dname.h"
#include "zones/enc.h"
#include "zones/wire.h"

#define TYPE_TSIG 250
#define CLASS_ANY 255
#define HDR_LEN 12
#define UNSIGNED_MAX 99		/* RFC 8945 §5.3.1: a signed message at least every 100 */
#define OTHER_TIME_LEN 6	/* BADTIME's Other Data: the server's 48-bit time */
#define TIME48_MASK 0xffffffffffffull

/* The algorithms: name, OpenSSL digest, MAC length, wire name. */
static const struct alg_info {
	const char *name;
	const char *digest;
	size_t mac_len;
	const uint8_t *wire;
	size_t wire_len;
} ALGS[] = {
	[TSIG_HMAC_MD5_UNUSED] = { "hmac-md5.sig-alg.reg.int", NULL, 0,
		(const uint8_t *)"\x08" "hmac-md5" "\x07" "sig-alg" "\x03" "reg" "\x03" "int", 26 },
	[TSIG_HMAC_SHA1] = { "hmac-sha1", "SHA1", 20,
		(const uint8_t *)"\x09" "hmac-sha1", 11 },
	[TSIG_HMAC_SHA224] = { "hmac-sha224", "SHA224", 28,
		(const uint8_t *)"\x0b" "hmac-sha224", 13 },
	[TSIG_HMAC_SHA256] = { "hmac-sha256", "SHA256", 32,
		(const uint8_t *)"\x0b" "hmac-sha256", 13 },
	[TSIG_HMAC_SHA384] = { "hmac-sha384", "SHA384", 48,
		(const uint8_t *)"\x0b" "hmac-sha384", 13 },
	[TSIG_HMAC_SHA512] = { "hmac-sha512", "SHA512", 64,
		(const uint8_t *)"\x0b" "hmac-sha512", 13 },
};
#define NALGS (sizeof ALGS / sizeof ALGS[0])

static const struct alg_info *alg_info(enum tsig_alg a)
{
	if ((unsigned)a >= NALGS || !ALGS[a].digest)
		return NULL;
	return &ALGS[a];
}

static void seterr(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t cap, const char *fmt, ...)
{
	if (!err || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* A name for messages; "?" when it does not print. */
static const char *name_text(char buf[DNAME_TEXT_MAX], const uint8_t *name)
{
	if (dname_to_text(buf, DNAME_TEXT_MAX, name) < 0)
		return "?";
	return buf;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ---- algorithms and keys ---- */

int tsig_alg_from_text(const char *s, enum tsig_alg *out)
{
	if (!s)
		return -1;
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		n--;
	for (size_t a = 0; a < NALGS; a++) {
		if (!ALGS[a].digest)
			continue;
		if (strlen(ALGS[a].name) == n && strncasecmp(s, ALGS[a].name, n) == 0) {
			*out = (enum tsig_alg)a;
			return 0;
		}
	}
	return -1;
}

const char *tsig_alg_name(enum tsig_alg a)
{
	return (unsigned)a < NALGS ? ALGS[a].name : "?";
}

size_t tsig_alg_mac_len(enum tsig_alg a)
{
	const struct alg_info *ai = alg_info(a);
	return ai ? ai->mac_len : 0;
}

static bool is_md5(const char *s)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		n--;
	return (n == 8 && strncasecmp(s, "hmac-md5", 8) == 0) ||
	       (n == 24 && strncasecmp(s, "hmac-md5.sig-alg.reg.int", 24) == 0);
}

int tsig_key_make(struct tsig_key *k, const char *name, const char *alg,
		  const char *secret_b64, char *err, size_t errcap)
{
	static const uint8_t root[1] = { 0 };

	memset(k, 0, sizeof *k);
	if (!name || !alg || !secret_b64) {
		seterr(err, errcap, "key: name, algorithm and secret are all needed");
		return -1;
	}
	/* A key name is always absolute: "xfr" is "xfr.". */
	int nl = dname_from_text(k->name, name, strlen(name), root);
	if (nl < 0) {
		seterr(err, errcap, "key '%s': bad name: %s", name, dname_strerror(nl));
		return -1;
	}
	dname_lower(k->name);
	char nt[DNAME_TEXT_MAX];
	name_text(nt, k->name);
	if (is_md5(alg)) {
		seterr(err, errcap,
		       "key %s: algorithm '%s' refused: HMAC-MD5 MUST NOT be used "
		       "(RFC 8945 §6); use hmac-sha256", nt, alg);
		return -1;
	}
	if (tsig_alg_from_text(alg, &k->alg) < 0) {
		seterr(err, errcap,
		       "key %s: unknown algorithm '%s': use hmac-sha256, hmac-sha384, "
		       "hmac-sha512, hmac-sha224 or hmac-sha1", nt, alg);
		return -1;
	}
	struct enc_dec d;
	enc_dec_init(&d, k->secret, k->secret + sizeof k->secret);
	int r = enc_b64_feed(&d, secret_b64, strlen(secret_b64));
	if (r == 0)
		r = enc_b64_finish(&d);
	if (r == ENC_ESPACE) {
		seterr(err, errcap, "key %s: secret longer than %d bytes", nt,
		       TSIG_SECRET_MAX);
		goto bad;
	}
	if (r < 0) {
		seterr(err, errcap, "key %s: secret is not base64", nt);
		goto bad;
	}
	k->secret_len = (size_t)(d.o - k->secret);
	if (k->secret_len == 0) {
		seterr(err, errcap, "key %s: secret is empty", nt);
		goto bad;
	}
	return 0;
bad:
	OPENSSL_cleanse(k->secret, sizeof k->secret);
	k->secret_len = 0;
	return -1;
}

/* ---- the MAC ---- */

/* An HMAC being computed; bad is sticky, like the wire cursor's error. */
struct hm {
	EVP_MAC_CTX *ctx;
	bool bad;
};

static void hm_start(struct hm *h, const struct tsig_key *k)
{
	const struct alg_info *ai = alg_info(k->alg);
	h->ctx = NULL;
	h->bad = true;
	if (!ai)
		return;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!mac)
		return;
	h->ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context holds its own reference */
	if (!h->ctx)
		return;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)ai->digest, 0),
		OSSL_PARAM_construct_end(),
	};
	h->bad = !EVP_MAC_init(h->ctx, k->secret, k->secret_len, params);
}

static void hm_put(struct hm *h, const void *p, size_t n)
{
	if (!h->bad && n > 0 && !EVP_MAC_update(h->ctx, p, n))
		h->bad = true;
}

static void hm_put16(struct hm *h, uint16_t v)
{
	uint8_t b[2];
	put16(b, v);
	hm_put(h, b, 2);
}

/* A MAC as it enters the next digest: its length, then it (§4.3.1). */
static void hm_put_mac(struct hm *h, const uint8_t *mac, size_t len)
{
	hm_put16(h, (uint16_t)len);
	hm_put(h, mac, len);
}

/* The message as it was before its TSIG: ID replaced by the original ID,
 * ARCOUNT without the TSIG (§4.3.2). */
static void hm_put_msg(struct hm *h, const uint8_t *msg, size_t n, uint16_t id,
		       uint16_t arcount)
{
	uint8_t hdr[HDR_LEN];
	memcpy(hdr, msg, HDR_LEN);
	put16(hdr, id);
	put16(hdr + 10, arcount);
	hm_put(h, hdr, HDR_LEN);
	hm_put(h, msg + HDR_LEN, n - HDR_LEN);
}

/* A name in canonical (lowercase) form. */
static void hm_put_name(struct hm *h, const uint8_t *name)
{
	uint8_t low[DNAME_MAX];
	size_t n = dname_len(name);
	memcpy(low, name, n);
	dname_lower(low);
	hm_put(h, low, n);
}

static void hm_put_timers(struct hm *h, uint64_t time, uint16_t fudge)
{
	uint8_t b[8];
	put48(b, time);
	put16(b + 6, fudge);
	hm_put(h, b, 8);
}

/* The TSIG variables (§4.3.3). */
static void hm_put_vars(struct hm *h, const uint8_t *key_name, const uint8_t *alg,
			uint64_t time, uint16_t fudge, uint16_t error,
			const uint8_t *other, uint16_t other_len)
{
	static const uint8_t class_ttl[6] = { 0, CLASS_ANY, 0, 0, 0, 0 };
	hm_put_name(h, key_name);
	hm_put(h, class_ttl, sizeof class_ttl);
	hm_put_name(h, alg);
	hm_put_timers(h, time, fudge);
	hm_put16(h, error);
	hm_put16(h, other_len);
	hm_put(h, other, other_len);
}

/* Ends h (freeing it): 0 with the MAC in out, or -1. */
static int hm_end(struct hm *h, uint8_t out[TSIG_MAC_MAX], size_t *len)
{
	size_t n = 0;
	if (!h->bad && !EVP_MAC_final(h->ctx, out, &n, TSIG_MAC_MAX))
		h->bad = true;
	EVP_MAC_CTX_free(h->ctx);
	h->ctx = NULL;
	*len = n;
	return h->bad ? -1 : 0;
}

static void hm_drop(struct hm *h)
{
	EVP_MAC_CTX_free(h->ctx);
	h->ctx = NULL;
}

void tsig_ctx_fini(struct tsig_ctx *c)
{
	EVP_MAC_CTX_free(c->run);
	c->run = NULL;
	OPENSSL_cleanse(c->mac, sizeof c->mac);
	c->mac_len = 0;
}

/* ---- the TSIG RR ---- */

/* A TSIG RR found at the end of a message; pointers into the message. */
struct tsig_rr {
	size_t start;		/* offset of the RR: the signed message ends there */
	uint8_t owner[DNAME_MAX];
	const uint8_t *alg;	/* validated, uncompressed */
	uint64_t time;
	uint16_t fudge;
	const uint8_t *mac;
	uint16_t mac_len;
	uint16_t orig_id;
	uint16_t error;
	const uint8_t *other;
	uint16_t other_len;
};

/* Skips a possibly compressed name (a pointer ends it). */
static void skip_name(struct wire_cur *c)
{
	size_t n = 0;
	for (;;) {
		uint8_t b = wire_u8(c);
		if (!wire_ok(c) || b == 0)
			return;
		if ((b & 0xc0) == 0xc0) {
			wire_skip(c, 1);
			return;
		}
		n += (size_t)b + 1;
		if ((b & 0xc0) || n >= DNAME_MAX) {
			wire_fail(c);
			return;
		}
		wire_skip(c, b);
	}
}

/* Reads the TSIG RR at msg + start, which ends the message. */
static int parse_tsig(const uint8_t *msg, size_t len, size_t start, struct tsig_rr *t,
		      char *err, size_t errcap)
{
	struct wire_cur c, rd;
	wire_init(&c, msg, len);
	wire_skip(&c, start);
	t->start = start;
	int r = dname_unpack(&c, msg, len, t->owner);
	if (r < 0) {
		seterr(err, errcap, "TSIG owner: %s", dname_strerror(r));
		return -1;
	}
	(void)wire_u16(&c);	/* type: the caller found it is TSIG */
	uint16_t cls = wire_u16(&c);
	(void)wire_u32(&c);	/* TTL: 0 by §4.2, and taken as 0 in the MAC */
	wire_sub(&rd, &c, wire_u16(&c));
	if (!wire_ok(&c) || cls != CLASS_ANY) {
		seterr(err, errcap, cls != CLASS_ANY ? "TSIG class is not ANY"
						     : "TSIG record truncated");
		return -1;
	}
	/* The algorithm name is never compressed (§4.2). */
	r = dname_check(rd.pos, wire_left(&rd));
	if (r < 0) {
		seterr(err, errcap, "TSIG algorithm name: %s", dname_strerror(r));
		return -1;
	}
	t->alg = wire_take(&rd, (size_t)r);
	uint64_t hi = wire_u16(&rd);
	t->time = hi << 32 | wire_u32(&rd);
	t->fudge = wire_u16(&rd);
	t->mac_len = wire_u16(&rd);
	t->mac = wire_take(&rd, t->mac_len);
	t->orig_id = wire_u16(&rd);
	t->error = wire_u16(&rd);
	t->other_len = wire_u16(&rd);
	t->other = wire_take(&rd, t->other_len);
	if (!wire_done(&rd)) {
		seterr(err, errcap, "TSIG RDATA malformed");
		return -1;
	}
	return 0;
}

/*
 * Walks the whole message: 1 when its last record is a TSIG (t filled), 0
 * when it has none, -1 when it is malformed or a TSIG is anywhere but last
 * in the additional section (§5.1: FORMERR).
 */
static int find_tsig(const uint8_t *msg, size_t len, struct tsig_rr *t, char *err,
		     size_t errcap)
{
	struct wire_cur c;
	wire_init(&c, msg, len);
	if (len < HDR_LEN) {
		seterr(err, errcap, "message shorter than its header");
		return -1;
	}
	wire_skip(&c, 4);
	unsigned qd = wire_u16(&c);
	unsigned nrr = wire_u16(&c);
	nrr += wire_u16(&c);
	unsigned ar = wire_u16(&c);
	nrr += ar;
	for (unsigned i = 0; i < qd && wire_ok(&c); i++) {
		skip_name(&c);
		wire_skip(&c, 4);
	}
	size_t last = 0;
	bool last_tsig = false;
	for (unsigned i = 0; i < nrr && wire_ok(&c); i++) {
		last = (size_t)(c.pos - msg);
		skip_name(&c);
		uint16_t type = wire_u16(&c);
		wire_skip(&c, 6);
		wire_skip(&c, wire_u16(&c));
		last_tsig = type == TYPE_TSIG;
		if (last_tsig && (i + 1 != nrr || ar == 0) && wire_ok(&c)) {
			seterr(err, errcap, "TSIG record is not the last of the message");
			return -1;
		}
	}
	if (!wire_ok(&c)) {
		seterr(err, errcap, "message truncated");
		return -1;
	}
	if (!wire_done(&c)) {
		seterr(err, errcap, "trailing bytes after the last record");
		return -1;
	}
	if (!last_tsig)
		return 0;
	return parse_tsig(msg, len, last, t, err, errcap) < 0 ? -1 : 1;
}

/*
 * Writes a TSIG RR at p (room for cap bytes).  Returns its length or 0
 * when it does not fit.
 */
static size_t put_tsig(uint8_t *p, size_t cap, const uint8_t *owner, const uint8_t *alg,
		       uint64_t time, uint16_t fudge, const uint8_t *mac, size_t mac_len,
		       uint16_t orig_id, uint16_t error, const uint8_t *other,
		       uint16_t other_len)
{
	size_t on = dname_len(owner), an = dname_len(alg);
	size_t rdlen = an + 6 + 2 + 2 + mac_len + 2 + 2 + 2 + other_len;
	size_t n = on + 10 + rdlen;
	if (n > cap)
		return 0;
	uint8_t *w = p;
	memcpy(w, owner, on);
	w += on;
	put16(w, TYPE_TSIG);
	put16(w + 2, CLASS_ANY);
	memset(w + 4, 0, 4);
	put16(w + 8, (uint16_t)rdlen);
	w += 10;
	memcpy(w, alg, an);
	w += an;
	put48(w, time);
	put16(w + 6, fudge);
	put16(w + 8, (uint16_t)mac_len);
	w += 10;
	if (mac_len)
		memcpy(w, mac, mac_len);
	w += mac_len;
	put16(w, orig_id);
	put16(w + 2, error);
	put16(w + 4, other_len);
	w += 6;
	if (other_len)
		memcpy(w, other, other_len);
	w += other_len;
	return (size_t)(w - p);
}

size_t tsig_rr_size(const struct tsig_key *k)
{
	const struct alg_info *ai = alg_info(k->alg);
	if (!ai)
		return 0;
	return dname_len(k->name) + 10 + ai->wire_len + 16 + ai->mac_len + OTHER_TIME_LEN;
}

/* The room check shared by the signers: a header, and one more record. */
static bool can_append(const uint8_t *msg, size_t len)
{
	return len >= HDR_LEN && get16(msg + 10) < 0xffff;
}

/* Signs msg[0..len) with the MAC h holds so far completed by the message
 * and the TSIG variables or timers; appends the RR; keeps the MAC in c. */
static size_t sign_append(struct tsig_ctx *c, const struct alg_info *ai, struct hm *h,
			  bool timers_only, uint8_t *msg, size_t len, size_t cap,
			  uint64_t time, uint16_t error, const uint8_t *other,
			  uint16_t other_len)
{
	const struct tsig_key *k = c->key;
	uint16_t ar = get16(msg + 10);
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len;

	hm_put_msg(h, msg, len, c->orig_id, ar);
	if (timers_only)
		hm_put_timers(h, time, TSIG_FUDGE);
	else
		hm_put_vars(h, k->name, ai->wire, time, TSIG_FUDGE, error, other, other_len);
	if (hm_end(h, mac, &mac_len) < 0)
		return 0;
	size_t n = put_tsig(msg + len, cap - len, k->name, ai->wire, time, TSIG_FUDGE,
			    mac, mac_len, c->orig_id, error, other, other_len);
	if (n == 0)
		return 0;
	put16(msg + 10, (uint16_t)(ar + 1));
	memcpy(c->mac, mac, mac_len);
	c->mac_len = mac_len;
	c->last_time = time;
	return len + n;
}

/* ---- client ---- */

size_t tsig_sign_query(struct tsig_ctx *c, const struct tsig_key *k, uint8_t *msg,
		       size_t len, size_t cap, uint64_t now)
{
	const struct alg_info *ai = alg_info(k->alg);
	memset(c, 0, sizeof *c);
	if (!ai || !can_append(msg, len) || len > cap)
		return 0;
	c->key = k;
	c->orig_id = get16(msg);
	struct hm h;
	hm_start(&h, k);
	return sign_append(c, ai, &h, false, msg, len, cap, now & TIME48_MASK, 0, NULL, 0);
}

static int peer_error(uint16_t e, char *err, size_t errcap)
{
	static const char *const names[] = {
		[TSIG_BADSIG] = "BADSIG", [TSIG_BADKEY] = "BADKEY",
		[TSIG_BADTIME] = "BADTIME", [TSIG_BADTRUNC] = "BADTRUNC",
	};
	if (e < sizeof names / sizeof names[0] && names[e]) {
		seterr(err, errcap, "the server refused our TSIG: %s", names[e]);
		return e;
	}
	seterr(err, errcap, "the server refused our TSIG: error %u", e);
	return -1;
}

static bool time_ok(uint64_t now, uint64_t signed_at, uint16_t fudge)
{
	now &= TIME48_MASK;
	uint64_t d = now > signed_at ? now - signed_at : signed_at - now;
	return d <= fudge;
}

/* MAC sizes allowed on the wire (§5.2.2.1): not above the hash length,
 * not below half of it nor 10 bytes. */
static bool mac_size_ok(size_t got, size_t full)
{
	size_t min = full / 2 > 10 ? full / 2 : 10;
	return got <= full && got >= min;
}

static int client_fail(struct tsig_ctx *c, int code)
{
	EVP_MAC_CTX_free(c->run);
	c->run = NULL;
	return code;
}

int tsig_verify_response(struct tsig_ctx *c, uint8_t *msg, size_t *len, uint64_t now,
			 char *err, size_t errcap)
{
	char nt[DNAME_TEXT_MAX], nt2[DNAME_TEXT_MAX];
	struct tsig_rr t;

	if (!c->key || !alg_info(c->key->alg)) {
		seterr(err, errcap, "no signed query for this response");
		return -1;
	}
	const struct tsig_key *k = c->key;
	const struct alg_info *ai = alg_info(k->alg);
	int r = find_tsig(msg, *len, &t, err, errcap);
	if (r < 0)
		return client_fail(c, -1);
	if (r == 0) {
		/* §5.3.1: the first message must be signed, then at least
		 * every 100th; the unsigned ones enter the next MAC. */
		if (c->nmsg == 0) {
			seterr(err, errcap, "the first response message is not signed");
			return client_fail(c, -1);
		}
		if (c->since_signed >= UNSIGNED_MAX) {
			seterr(err, errcap, "%d response messages in a row without TSIG",
			       UNSIGNED_MAX + 1);
			return client_fail(c, -1);
		}
		if (!c->run) {
			struct hm h;
			hm_start(&h, k);
			hm_put_mac(&h, c->mac, c->mac_len);
			if (h.bad) {
				hm_drop(&h);
				seterr(err, errcap, "HMAC failed");
				return client_fail(c, -1);
			}
			c->run = h.ctx;
		}
		if (!EVP_MAC_update(c->run, msg, *len)) {
			seterr(err, errcap, "HMAC failed");
			return client_fail(c, -1);
		}
		c->since_signed++;
		return 0;
	}

	if (!dname_eq(t.owner, k->name)) {
		seterr(err, errcap, "response signed with key %s, not %s",
		       name_text(nt, t.owner), name_text(nt2, k->name));
		return client_fail(c, TSIG_BADKEY);
	}
	if (!dname_eq(t.alg, ai->wire)) {
		seterr(err, errcap, "response signed with algorithm %s, not %s",
		       name_text(nt, t.alg), ai->name);
		return client_fail(c, TSIG_BADKEY);
	}
	if (t.error != 0)
		return client_fail(c, peer_error(t.error, err, errcap));
	if (!mac_size_ok(t.mac_len, ai->mac_len)) {
		seterr(err, errcap, "response MAC of %u bytes (%s makes %zu)", t.mac_len,
		       ai->name, ai->mac_len);
		return client_fail(c, -1);
	}

	struct hm h;
	bool first = c->nmsg == 0;
	if (c->run) {
		h.ctx = c->run;
		h.bad = false;
		c->run = NULL;
	} else {
		/* The first answers the query's MAC, the others the MAC of
		 * the previous signed message (§5.3.1). */
		hm_start(&h, k);
		hm_put_mac(&h, c->mac, c->mac_len);
	}
	hm_put_msg(&h, msg, t.start, t.orig_id, (uint16_t)(get16(msg + 10) - 1));
	if (first)
		hm_put_vars(&h, t.owner, t.alg, t.time, t.fudge, t.error, t.other,
			    t.other_len);
	else
		hm_put_timers(&h, t.time, t.fudge);
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len;
	if (hm_end(&h, mac, &mac_len) < 0) {
		seterr(err, errcap, "HMAC failed");
		return client_fail(c, -1);
	}
	if (CRYPTO_memcmp(mac, t.mac, t.mac_len) != 0) {
		seterr(err, errcap, "response message %u: MAC does not verify (BADSIG)",
		       c->nmsg + c->since_signed + 1);
		return client_fail(c, TSIG_BADSIG);
	}
	if (!time_ok(now, t.time, t.fudge)) {
		seterr(err, errcap, "response signed at %llu, now is %llu: more than "
		       "%u s apart (BADTIME)", (unsigned long long)t.time,
		       (unsigned long long)now, t.fudge);
		return client_fail(c, TSIG_BADTIME);
	}
	if (t.mac_len < ai->mac_len) {
		seterr(err, errcap, "response MAC truncated to %u bytes (BADTRUNC)",
		       t.mac_len);
		return client_fail(c, TSIG_BADTRUNC);
	}
	memcpy(c->mac, t.mac, t.mac_len);
	c->mac_len = t.mac_len;
	c->last_time = t.time;
	c->nmsg++;
	c->since_signed = 0;
	put16(msg + 10, (uint16_t)(get16(msg + 10) - 1));
	*len = t.start;
	return 0;
}

bool tsig_check_final(const struct tsig_ctx *c)
{
	return c->nmsg > 0 && c->since_signed == 0;
}

/* ---- server ---- */

int tsig_verify_query(struct tsig_ctx *c, const struct tsig_key *keys, size_t nkeys,
		      const uint8_t *msg, size_t len, uint64_t now, size_t *key_index,
		      char *err, size_t errcap)
{
	char nt[DNAME_TEXT_MAX], nt2[DNAME_TEXT_MAX];
	struct tsig_rr t;

	memset(c, 0, sizeof *c);
	int r = find_tsig(msg, len, &t, err, errcap);
	if (r <= 0)
		return r;
	memcpy(c->req_key, t.owner, dname_len(t.owner));
	memcpy(c->req_alg, t.alg, dname_len(t.alg));
	c->orig_id = t.orig_id;
	c->last_time = t.time;

	/* §5.2.1: the key is known by name and algorithm together. */
	size_t i;
	bool named = false;
	for (i = 0; i < nkeys; i++) {
		const struct alg_info *ai = alg_info(keys[i].alg);
		if (!ai || !dname_eq(keys[i].name, t.owner))
			continue;
		named = true;
		if (dname_eq(ai->wire, t.alg))
			break;
	}
	if (i == nkeys) {
		if (named)
			seterr(err, errcap, "key %s: not for algorithm %s (BADKEY)",
			       name_text(nt, t.owner), name_text(nt2, t.alg));
		else
			seterr(err, errcap, "unknown key %s (BADKEY)", name_text(nt, t.owner));
		return -TSIG_BADKEY;
	}
	const struct tsig_key *k = &keys[i];
	const struct alg_info *ai = alg_info(k->alg);
	c->key = k;
	*key_index = i;
	name_text(nt, k->name);
	if (!mac_size_ok(t.mac_len, ai->mac_len)) {
		seterr(err, errcap, "key %s: MAC of %u bytes (%s makes %zu)", nt,
		       t.mac_len, ai->name, ai->mac_len);
		c->key = NULL;
		return -1;
	}

	struct hm h;
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len;
	hm_start(&h, k);
	hm_put_msg(&h, msg, t.start, t.orig_id, (uint16_t)(get16(msg + 10) - 1));
	hm_put_vars(&h, t.owner, t.alg, t.time, t.fudge, t.error, t.other, t.other_len);
	if (hm_end(&h, mac, &mac_len) < 0) {
		seterr(err, errcap, "key %s: HMAC failed", nt);
		c->key = NULL;
		return -1;
	}
	if (CRYPTO_memcmp(mac, t.mac, t.mac_len) != 0) {
		seterr(err, errcap, "key %s: MAC does not verify (BADSIG)", nt);
		return -TSIG_BADSIG;
	}
	/* The request MAC is valid: every response from here on answers it,
	 * the BADTIME and BADTRUNC errors included (§5.3.2). */
	memcpy(c->mac, t.mac, t.mac_len);
	c->mac_len = t.mac_len;
	if (!time_ok(now, t.time, t.fudge)) {
		seterr(err, errcap, "key %s: query signed at %llu, now is %llu: more "
		       "than %u s apart (BADTIME)", nt, (unsigned long long)t.time,
		       (unsigned long long)now, t.fudge);
		return -TSIG_BADTIME;
	}
	if (t.mac_len < ai->mac_len) {
		seterr(err, errcap, "key %s: MAC truncated to %u bytes, only full %zu "
		       "accepted (BADTRUNC)", nt, t.mac_len, ai->mac_len);
		return -TSIG_BADTRUNC;
	}
	return 1;
}

size_t tsig_sign_response(struct tsig_ctx *c, uint8_t *msg, size_t len, size_t cap,
			  uint64_t now)
{
	const struct alg_info *ai = c->key ? alg_info(c->key->alg) : NULL;
	if (!ai || !can_append(msg, len) || len > cap)
		return 0;
	struct hm h;
	hm_start(&h, c->key);
	hm_put_mac(&h, c->mac, c->mac_len);
	size_t n = sign_append(c, ai, &h, c->nmsg > 0, msg, len, cap, now & TIME48_MASK, 0,
			       NULL, 0);
	if (n)
		c->nmsg++;
	return n;
}

size_t tsig_sign_error(struct tsig_ctx *c, int tsig_error, uint8_t *msg, size_t len,
		       size_t cap, uint64_t now)
{
	if (!can_append(msg, len) || len > cap)
		return 0;
	now &= TIME48_MASK;
	if (tsig_error == TSIG_BADKEY || tsig_error == TSIG_BADSIG) {
		/* Unsigned: the requester may hold no key we know (§5.3.2). */
		if (c->req_key[0] == 0 && c->req_alg[0] == 0)
			return 0;
		size_t n = put_tsig(msg + len, cap - len, c->req_key, c->req_alg, now,
				    TSIG_FUDGE, NULL, 0, c->orig_id, (uint16_t)tsig_error,
				    NULL, 0);
		if (n == 0)
			return 0;
		put16(msg + 10, (uint16_t)(get16(msg + 10) + 1));
		return len + n;
	}
	const struct alg_info *ai = c->key ? alg_info(c->key->alg) : NULL;
	if ((tsig_error != TSIG_BADTIME && tsig_error != TSIG_BADTRUNC) || !ai ||
	    c->mac_len == 0)
		return 0;
	struct hm h;
	hm_start(&h, c->key);
	hm_put_mac(&h, c->mac, c->mac_len);
	if (tsig_error == TSIG_BADTRUNC)
		return sign_append(c, ai, &h, false, msg, len, cap, now, TSIG_BADTRUNC, NULL,
				   0);
	/* BADTIME: signed at the request's time, which the requester accepts,
	 * with our clock in Other Data for it to see the skew (§5.2.3). */
	uint8_t other[OTHER_TIME_LEN];
	put48(other, now);
	return sign_append(c, ai, &h, false, msg, len, cap, c->last_time, TSIG_BADTIME,
			   other, OTHER_TIME_LEN);
}
