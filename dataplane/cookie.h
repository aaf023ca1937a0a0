/*
 * cookie.h - DNS Cookies (RFC 7873) with interoperable server cookies
 * (RFC 9018): checking the COOKIE option of a query and making the one of
 * its response.  A server cookie is version 1, three reserved bytes, a
 * 32-bit timestamp and SipHash-2-4 over (client cookie | version |
 * reserved | timestamp | client address) under a 16-byte secret shared by
 * the fleet, so any node verifies what another made.  Two secrets: the
 * current one makes cookies, it and the previous one verify them (a
 * rotation without a flag day).
 *
 * One struct ck_ctx per thread that answers (it holds the MAC state):
 * made at start-up, then used with no allocation, lock or syscall.
 */
#ifndef RINGDNS_COOKIE_H
#define RINGDNS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDNS_OPT_COOKIE 10	/* RFC 7873 §4 */
#define CK_CLIENT_LEN 8
#define CK_SERVER_LEN 16	/* RFC 9018 §4: the one size made here */
#define CK_RESP_LEN (CK_CLIENT_LEN + CK_SERVER_LEN)
#define CK_OPT_MAX 40		/* client 8 + server 8..32 (RFC 7873 §4) */
#define CK_SECRET_LEN 16
#define CK_VERSION 1		/* RFC 9018 §4.2 */

/* RFC 9018 §4.3: a cookie is valid from 5 minutes ahead of the server's
 * clock to 1 hour behind it; one older than half an hour is replaced by a
 * fresh one in the response. */
#define CK_PAST_MAX 3600
#define CK_FUTURE_MAX 300
#define CK_REFRESH_AGE 1800

struct ck_ctx;

/* The secrets: cur makes and verifies, prev (when has_prev) verifies. */
struct ck_keys {
	uint8_t cur[CK_SECRET_LEN];
	uint8_t prev[CK_SECRET_LEN];
	bool has_prev;
};

/* What a query's COOKIE option was found to be. */
enum ck_verdict {
	CK_CLIENT_ONLY,		/* a client cookie alone (RFC 7873 §5.2.3) */
	CK_INVALID,		/* a server cookie that does not verify, or
				   out of its time window (§5.2.4) */
	CK_VALID,		/* a server cookie made by this fleet (§5.2.5) */
};

/* RFC 7873 §5.2.2: a COOKIE option's length is 8 (client cookie only) or
 * 16 to 40; any other is malformed (FORMERR). */
static inline bool ck_len_ok(size_t len)
{
	return len == CK_CLIENT_LEN || (len >= 16 && len <= CK_OPT_MAX);
}

/* Reads 32 hexadecimal digits into out.  Returns 0, or -1 with why in err. */
int ck_parse_secret(const char *hex, uint8_t out[CK_SECRET_LEN], char *err, size_t errcap);

/* Fills out with random bytes (a secret for a server alone).  0 or -1. */
int ck_random_secret(uint8_t out[CK_SECRET_LEN], char *err, size_t errcap);

/* A context for one thread, keyed with k (copied).  NULL with why in err
 * when libcrypto has no SipHash. */
struct ck_ctx *ck_new(const struct ck_keys *k, char *err, size_t errcap);
void ck_free(struct ck_ctx *ck);

/*
 * The server cookie for client cookie cc, sent from address ip (4 bytes
 * for IPv4, 16 for IPv6) at time ts (seconds since the epoch, mod 2^32),
 * under the current secret, into out.  No allocation.
 */
void ck_make(struct ck_ctx *ck, const uint8_t cc[CK_CLIENT_LEN], const uint8_t *ip,
	     size_t iplen, uint32_t ts, uint8_t out[CK_SERVER_LEN]);

/*
 * Checks a query's COOKIE option opt[0..len) (ck_len_ok) from ip at time
 * now, and writes the response's option into resp: the client cookie and
 * a server cookie, the presented one when valid, made with the current
 * secret and younger than CK_REFRESH_AGE, else a fresh one.  No
 * allocation, lock or syscall.
 */
enum ck_verdict ck_check(struct ck_ctx *ck, const uint8_t *opt, size_t len, const uint8_t *ip,
			 size_t iplen, uint32_t now, uint8_t resp[CK_RESP_LEN]);

/* The seconds since the epoch, mod 2^32, from the coarse clock (read
 * through the vDSO: no system call). */
uint32_t ck_now(void);

struct ans_cfg;
/* *own = *shared with a cookie context of its own when shared has
 * cookie_keys: what one answering thread passes to the engine.  0, or -1
 * with why in err.  ck_thread_cfg_fini frees the context. */
int ck_thread_cfg(struct ans_cfg *own, const struct ans_cfg *shared, char *err, size_t errcap);
void ck_thread_cfg_fini(struct ans_cfg *own);

#endif
