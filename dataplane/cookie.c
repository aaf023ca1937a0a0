/*
 * cookie.c - DNS Cookies (RFC 7873, RFC 9018 server cookies): the SipHash
 * of a server cookie through OpenSSL 3's EVP_MAC "SIPHASH", one keyed MAC
 * context per secret, made once.  Each cookie re-initialises a context
 * without a key, which restores the keyed state saved at start-up: no
 * allocation per packet (tests/test_cookie.c counts libcrypto's).
 */
#include "dataplane/cookie.h"
#include "dataplane/answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define CK_HASH_LEN 8		/* RFC 9018 §4.4: SipHash-2-4, 64-bit output */
#define CK_ADDR_MAX 16

struct ck_ctx {
	EVP_MAC_CTX *mac[2];	/* [0] the current secret, [1] the previous */
	unsigned nmac;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ck_parse_secret(const char *hex, uint8_t out[CK_SECRET_LEN], char *err, size_t errcap)
{
	if (strlen(hex) != 2 * CK_SECRET_LEN) {
		snprintf(err, errcap, "a cookie secret is %d hexadecimal digits (16 bytes), not %zu "
			 "characters", 2 * CK_SECRET_LEN, strlen(hex));
		return -1;
	}
	for (size_t i = 0; i < CK_SECRET_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, errcap, "a cookie secret is hexadecimal: '%c' at %zu is not",
				 hi < 0 ? hex[2 * i] : hex[2 * i + 1], hi < 0 ? 2 * i + 1 : 2 * i + 2);
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int ck_random_secret(uint8_t out[CK_SECRET_LEN], char *err, size_t errcap)
{
	if (RAND_bytes(out, CK_SECRET_LEN) != 1) {
		snprintf(err, errcap, "no random cookie secret: %s",
			 ERR_reason_error_string(ERR_get_error()));
		return -1;
	}
	return 0;
}

/* A SipHash-2-4 context keyed with key, its output size 8 bytes. */
static EVP_MAC_CTX *mac_new(EVP_MAC *mac, const uint8_t key[CK_SECRET_LEN])
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
	size_t size = CK_HASH_LEN;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
				OSSL_PARAM_construct_end() };
	if (c && EVP_MAC_init(c, key, CK_SECRET_LEN, params) != 1) {
		EVP_MAC_CTX_free(c);
		c = NULL;
	}
	return c;
}

struct ck_ctx *ck_new(const struct ck_keys *k, char *err, size_t errcap)
{
	struct ck_ctx *ck = calloc(1, sizeof *ck);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	if (!ck || !mac)
		goto fail;
	ck->mac[0] = mac_new(mac, k->cur);
	if (!ck->mac[0])
		goto fail;
	ck->nmac = 1;
	if (k->has_prev) {
		ck->mac[1] = mac_new(mac, k->prev);
		if (!ck->mac[1])
			goto fail;
		ck->nmac = 2;
	}
	EVP_MAC_free(mac);	/* the contexts hold their own references */
	return ck;
fail:
	snprintf(err, errcap, "DNS cookies: libcrypto's SipHash MAC: %s",
		 mac ? ERR_reason_error_string(ERR_get_error()) : "not available");
	EVP_MAC_free(mac);
	ck_free(ck);
	return NULL;
}

void ck_free(struct ck_ctx *ck)
{
	if (!ck)
		return;
	for (unsigned i = 0; i < 2; i++)
		EVP_MAC_CTX_free(ck->mac[i]);
	free(ck);
}

/* The 8-byte hash of RFC 9018 §4.4 under context m: SipHash-2-4 of the
 * client cookie, version, reserved, timestamp (the server cookie's first
 * 8 bytes, hdr) and the client's address. */
static void hash(EVP_MAC_CTX *m, const uint8_t cc[CK_CLIENT_LEN], const uint8_t hdr[8],
		 const uint8_t *ip, size_t iplen, uint8_t out[CK_HASH_LEN])
{
	uint8_t in[CK_CLIENT_LEN + 8 + CK_ADDR_MAX];
	size_t n = CK_CLIENT_LEN + 8 + iplen;
	memcpy(in, cc, CK_CLIENT_LEN);
	memcpy(in + CK_CLIENT_LEN, hdr, 8);
	memcpy(in + CK_CLIENT_LEN + 8, ip, iplen);
	size_t outl = 0;
	/* no key: the keyed state made by mac_new is restored */
	if (EVP_MAC_init(m, NULL, 0, NULL) != 1 || EVP_MAC_update(m, in, n) != 1 ||
	    EVP_MAC_final(m, out, &outl, CK_HASH_LEN) != 1 || outl != CK_HASH_LEN)
		memset(out, 0, CK_HASH_LEN);	/* verifies nothing; cannot happen */
}

static void put_hdr(uint8_t hdr[8], uint32_t ts)
{
	hdr[0] = CK_VERSION;
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = (uint8_t)(ts >> 24);
	hdr[5] = (uint8_t)(ts >> 16);
	hdr[6] = (uint8_t)(ts >> 8);
	hdr[7] = (uint8_t)ts;
}

void ck_make(struct ck_ctx *ck, const uint8_t cc[CK_CLIENT_LEN], const uint8_t *ip,
	     size_t iplen, uint32_t ts, uint8_t out[CK_SERVER_LEN])
{
	put_hdr(out, ts);
	hash(ck->mac[0], cc, out, ip, iplen, out + 8);
}

/* Which secret made the server cookie sc (RFC 9018 format, 16 bytes) for
 * cc: 0 current, 1 previous, -1 neither (or not of version 1). */
static int verify(struct ck_ctx *ck, const uint8_t *cc, const uint8_t *sc, const uint8_t *ip,
		  size_t iplen)
{
	if (sc[0] != CK_VERSION)
		return -1;
	for (unsigned i = 0; i < ck->nmac; i++) {
		uint8_t h[CK_HASH_LEN];
		hash(ck->mac[i], cc, sc, ip, iplen, h);
		if (CRYPTO_memcmp(h, sc + 8, CK_HASH_LEN) == 0)
			return (int)i;
	}
	return -1;
}

enum ck_verdict ck_check(struct ck_ctx *ck, const uint8_t *opt, size_t len, const uint8_t *ip,
			 size_t iplen, uint32_t now, uint8_t resp[CK_RESP_LEN])
{
	const uint8_t *sc = opt + CK_CLIENT_LEN;
	enum ck_verdict v = CK_CLIENT_ONLY;
	int by = -1;
	uint32_t ts = 0;
	memcpy(resp, opt, CK_CLIENT_LEN);
	if (len == CK_CLIENT_LEN + CK_SERVER_LEN) {
		ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 | (uint32_t)sc[6] << 8 | sc[7];
		/* RFC 9018 §4.3: serial number arithmetic (RFC 1982) on the
		 * timestamp, so the window holds across 2106's wrap */
		int32_t age = (int32_t)(now - ts);
		by = age >= -CK_FUTURE_MAX && age <= CK_PAST_MAX ? verify(ck, opt, sc, ip, iplen) : -1;
		v = by >= 0 ? CK_VALID : CK_INVALID;
		if (by == 0 && age <= CK_REFRESH_AGE) {
			memcpy(resp + CK_CLIENT_LEN, sc, CK_SERVER_LEN);
			return v;
		}
	} else if (len > CK_CLIENT_LEN) {
		v = CK_INVALID;	/* another size: not one this fleet makes */
	}
	ck_make(ck, opt, ip, iplen, now, resp + CK_CLIENT_LEN);
	return v;
}

uint32_t ck_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

int ck_thread_cfg(struct ans_cfg *own, const struct ans_cfg *shared, char *err, size_t errcap)
{
	*own = *shared;
	own->cookie = NULL;
	if (!shared->cookie_keys)
		return 0;
	own->cookie = ck_new(shared->cookie_keys, err, errcap);
	return own->cookie ? 0 : -1;
}

void ck_thread_cfg_fini(struct ans_cfg *own)
{
	ck_free(own->cookie);
	own->cookie = NULL;
}
