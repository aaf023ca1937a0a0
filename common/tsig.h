/*
 * tsig.h - TSIG (RFC 8945): zone transfers authenticated with a shared
 * secret and HMAC-SHA*, in both roles.  As a client (a secondary pulling a
 * zone) sign the query, then verify every response message in order; as a
 * server (a primary sending one) verify the query, then sign every response
 * message in order, or answer an error with the TSIG of RFC 8945 §5.3.2.
 *
 * Messages are DNS messages without the TCP length prefix.  Everything read
 * from a message is bounds-checked: messages are hostile input.  No I/O,
 * no globals; the only allocation is the running MAC a client keeps over
 * unsigned messages between signed ones (tsig_ctx_fini frees it).
 */
#ifndef RINGDNS_TSIG_H
#define RINGDNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tsig_alg {
	TSIG_HMAC_MD5_UNUSED = 0,	/* named, never used (RFC 8945 §6) */
	TSIG_HMAC_SHA1,
	TSIG_HMAC_SHA224,
	TSIG_HMAC_SHA256,
	TSIG_HMAC_SHA384,
	TSIG_HMAC_SHA512,
};

#define TSIG_SECRET_MAX 128
#define TSIG_MAC_MAX 64
#define TSIG_FUDGE 300
/* TSIG error codes (RFC 8945 §3 / IANA): */
#define TSIG_BADSIG 16
#define TSIG_BADKEY 17
#define TSIG_BADTIME 18
#define TSIG_BADTRUNC 22
/* The RCODE of a response carrying a TSIG error (RFC 8945 §5.3.2). */
#define TSIG_RCODE_NOTAUTH 9

struct tsig_key {
	uint8_t name[255];	/* wire form, lowercase */
	enum tsig_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
};

/* "hmac-sha256" etc. (case-insensitive; also accepts "hmac-sha256.") ->
 * *out; -1 for an unknown name and for HMAC-MD5, which RFC 8945 §6 says
 * MUST NOT be used for new deployments (tsig_key_make says so). */
int tsig_alg_from_text(const char *s, enum tsig_alg *out);
/* "hmac-sha256" (no trailing dot); "?" for a value outside the enum. */
const char *tsig_alg_name(enum tsig_alg a);
/* Length of the MAC the algorithm makes (20 .. 64), 0 for MD5/unknown. */
size_t tsig_alg_mac_len(enum tsig_alg a);

/*
 * Builds a key from text: name (a domain name, absolute with or without
 * the trailing dot), algorithm name, base64 secret (1 .. TSIG_SECRET_MAX
 * bytes once decoded).  Returns 0, or -1 with a message in err ("key xfr.:
 * secret is not base64", "unknown algorithm 'x': use hmac-sha256, ...").
 */
int tsig_key_make(struct tsig_key *k, const char *name, const char *alg,
		  const char *secret_b64, char *err, size_t errcap);

/*
 * One exchange (a query and its one or many response messages).  It points
 * at its key, which must outlive it.  A context needs no initialisation
 * before tsig_sign_query or tsig_verify_query, which start it; call
 * tsig_ctx_fini when the exchange is over (or abandoned) and before
 * starting a new one in the same storage.
 */
struct tsig_ctx {
	const struct tsig_key *key;
	uint8_t mac[TSIG_MAC_MAX];	/* the last MAC sent or verified */
	size_t mac_len;
	uint16_t orig_id;
	unsigned nmsg;			/* response messages signed/verified so far */
	unsigned since_signed;		/* client: unsigned messages since the last signed one */
	uint64_t last_time;		/* time signed of the last TSIG seen */
	/* Client: the MAC running over the unsigned messages since the last
	 * signed one (an EVP_MAC_CTX), NULL when there are none. */
	void *run;
	/* Server: the request's key and algorithm names (wire form), echoed
	 * in a BADKEY or BADSIG error, when the key may be unknown. */
	uint8_t req_key[255];
	uint8_t req_alg[255];
};

/* Frees what c holds (the running MAC); c may then be started again. */
void tsig_ctx_fini(struct tsig_ctx *c);

/*
 * Client: signs query msg (len bytes, room for cap) in place: appends the
 * TSIG RR, ARCOUNT+1; starts c with key k.  Returns the new length or 0
 * when it does not fit.  now: unix seconds.
 */
size_t tsig_sign_query(struct tsig_ctx *c, const struct tsig_key *k, uint8_t *msg,
		       size_t len, size_t cap, uint64_t now);

/*
 * Client: verifies one response message of the exchange, in order: the
 * first against the query's MAC, later ones against the previous MAC
 * (RFC 8945 §5.3.1); removes its TSIG RR (ARCOUNT-1, *len shortened) when
 * there is one.  Messages without TSIG are allowed between signed ones, up
 * to 99 in a row (the RFC's rule for the receiver); the first and the last
 * must be signed: tsig_check_final() says whether the last verified message
 * was signed.  Returns 0, or a TSIG error code (TSIG_BADSIG, TSIG_BADKEY,
 * TSIG_BADTIME, TSIG_BADTRUNC: ours, or the one the server reports) or -1
 * for a malformed or missing TSIG, with a message in err.  After an error
 * the exchange is over.
 */
int tsig_verify_response(struct tsig_ctx *c, uint8_t *msg, size_t *len, uint64_t now,
			 char *err, size_t errcap);
bool tsig_check_final(const struct tsig_ctx *c);

/*
 * Server: looks for a TSIG RR as the last record of query msg and verifies
 * it against keys (nkeys; the one with the request's name and algorithm).
 * Returns 1 when the query is signed and valid (c started for signing the
 * responses; *key_index set), 0 when it carries no TSIG, or a negative
 * value -TSIG_BADKEY / -TSIG_BADSIG / -TSIG_BADTIME / -TSIG_BADTRUNC (a
 * truncated MAC: only full-length MACs are accepted) / -1 (FORMERR:
 * malformed, TSIG not last, MAC size out of RFC 8945 §5.2.2.1 bounds) with
 * err.  For the TSIG errors c is filled for tsig_sign_error (and
 * *key_index set when the key is known).
 */
int tsig_verify_query(struct tsig_ctx *c, const struct tsig_key *keys, size_t nkeys,
		      const uint8_t *msg, size_t len, uint64_t now, size_t *key_index,
		      char *err, size_t errcap);

/*
 * Server: signs response message msg in place (appends TSIG, ARCOUNT+1):
 * the first with the request MAC, every later one with the previous MAC
 * and timers only (RFC 8945 §5.3.1).  Every message of the response is to
 * be signed, in order.  Returns the new length or 0 when it does not fit
 * cap.  Leave room: tsig_rr_size(key) bytes.
 */
size_t tsig_sign_response(struct tsig_ctx *c, uint8_t *msg, size_t len, size_t cap,
			  uint64_t now);
/* The most a TSIG RR with key k takes (Other Data of a BADTIME counted). */
size_t tsig_rr_size(const struct tsig_key *k);

/*
 * Server: the TSIG for an error response (RFC 8945 §5.3.2): TSIG_BADKEY,
 * TSIG_BADSIG: MAC empty, error set, the request's key and algorithm names;
 * TSIG_BADTIME: signed with the request MAC, the request's time signed,
 * the server's time (now) in Other Data; TSIG_BADTRUNC: signed.  Appends to
 * msg (whose RCODE the caller set to NOTAUTH=9), returns the new length or
 * 0 (no room, or an error c was not filled for).
 */
size_t tsig_sign_error(struct tsig_ctx *c, int tsig_error, uint8_t *msg, size_t len,
		       size_t cap, uint64_t now);

#endif
