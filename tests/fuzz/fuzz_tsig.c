/*
 * fuzz_tsig.c - libFuzzer target: the TSIG parser, verifiers and signers
 * (common/tsig.c) with a fixed key set, one key per algorithm (and two
 * keys sharing a name, told apart by their algorithm).
 *
 * The first bytes choose the key, the mode and the clock skew between
 * signer and verifier (within the fudge or past it):
 *   mode 0: the rest is a query verified as a server receives it; a query
 *           that verifies verifies again from a copy, with the same key;
 *           a TSIG error is answered with tsig_sign_error;
 *   mode 1: the rest is a query, signed with the key and then verified: a
 *           well-formed one must verify (same key) when the skew is
 *           within the fudge, and what the verifier saw must be that;
 *   mode 2: a fixed query is signed and verified by the server, then the
 *           rest is response messages (2-byte length prefixed, each after
 *           a flags byte, a 2-byte offset and an XOR byte), each signed by
 *           the server or not and garbled or not, verified in order by the
 *           client.  A signed, well-formed, intact message in an unbroken
 *           chain must verify, and leave exactly the message as it was
 *           before signing; an unsigned one after a signed one too; a
 *           stream of such signed messages ends signed.
 * Invariants: those, no crash, no sanitizer report, no leak.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "common/tsig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	1700000000ull
#define MSG_CAP	(65535 + 1024)

static struct tsig_key keys[7];
static size_t nkeys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	static const char *const k[][3] = {
		{ "k1.example.", "hmac-sha1", "c2VjcmV0LW9uZQ==" },
		{ "k224.", "hmac-sha224", "MjI0LWJpdHMtb2Ytc2VjcmV0LW1hdGVyaWFs" },
		{ "xfr.k256.example.", "hmac-sha256",
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" },
		{ "k384", "hmac-sha384", "a2V5LTM4NA==" },
		/* longer than SHA-512's block: the HMAC hashes it first */
		{ "K512.Example.", "hmac-sha512",
		  "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw"
		  "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAx"
		  "MjM0NTY3ODkwMTIzNDU2Nzg5" },
		{ "shared.", "hmac-sha256", "c2hhcmVkLWE=" },
		{ "shared.", "hmac-sha512", "c2hhcmVkLWI=" },
	};
	char err[256];
	for (nkeys = 0; nkeys < sizeof k / sizeof k[0]; nkeys++)
		if (tsig_key_make(&keys[nkeys], k[nkeys][0], k[nkeys][1], k[nkeys][2], err,
				  sizeof err) != 0) {
			fprintf(stderr, "fixed key %zu: %s\n", nkeys, err);
			abort();
		}
	return 0;
}

/* Whether msg is well-formed and carries no TSIG (the parse a verifier
 * runs first). */
static bool plain_message(const uint8_t *msg, size_t len)
{
	struct tsig_ctx c;
	char err[256];
	size_t ki;
	int r = tsig_verify_query(&c, keys, nkeys, msg, len, NOW, &ki, err, sizeof err);
	tsig_ctx_fini(&c);
	return r == 0;
}

/* Mode 0: a query as a server receives it. */
static void raw_query(const uint8_t *q, size_t len, uint64_t now)
{
	static uint8_t m[MSG_CAP];
	struct tsig_ctx c, c2;
	char err[256];
	size_t ki = 0, ki2 = 0;
	int r = tsig_verify_query(&c, keys, nkeys, q, len, now, &ki, err, sizeof err);
	if (r == 1) {
		memcpy(m, q, len);
		int r2 = tsig_verify_query(&c2, keys, nkeys, m, len, now, &ki2, err, sizeof err);
		fz_check(r2 == 1 && ki2 == ki, "a verified query verifies again");
		tsig_ctx_fini(&c2);
		if (len <= 65535 && tsig_sign_response(&c, m, len, sizeof m, now) == 0)
			fz_check(len + tsig_rr_size(&keys[ki]) > sizeof m || len < 12 ||
			      (m[10] == 0xff && m[11] == 0xff), "a response that fits is signed");
	} else if (r < -1 && len <= 65535) {
		memcpy(m, q, len);
		tsig_sign_error(&c, -r, m, len, sizeof m, now);
	}
	tsig_ctx_fini(&c);
}

/* Mode 1: a query signed, then verified. */
static void signed_query(size_t ki, const uint8_t *q, size_t len, int skew)
{
	static uint8_t m[MSG_CAP];
	if (len > 65535 || !plain_message(q, len))
		return;
	memcpy(m, q, len);
	struct tsig_ctx c, s;
	size_t n = tsig_sign_query(&c, &keys[ki], m, len, sizeof m, NOW);
	if (n == 0) {
		fz_check(q[10] == 0xff && q[11] == 0xff, "a well-formed query is signed");
		tsig_ctx_fini(&c);
		return;
	}
	char err[256];
	size_t got = 0;
	int r = tsig_verify_query(&s, keys, nkeys, m, n, NOW + skew, &got, err, sizeof err);
	if (skew >= -TSIG_FUDGE && skew <= TSIG_FUDGE) {
		if (r != 1 || got != ki)
			fprintf(stderr, "key %zu: %d, %s\n", ki, r, err);
		fz_check(r == 1 && got == ki, "a signed query verifies with its key");
		fz_check(s.mac_len == c.mac_len && memcmp(s.mac, c.mac, c.mac_len) == 0,
		      "the verifier sees the signer's MAC");
	} else {
		fz_check(r == -TSIG_BADTIME, "a query signed too long ago is BADTIME");
	}
	tsig_ctx_fini(&c);
	tsig_ctx_fini(&s);
}

/* An AXFR query for example. (ID 0x1234). */
static const uint8_t axfr_query[] = {
	0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x00, 0xfc, 0x00, 0x01,
};

/* Mode 2: a response stream, as the client of an exchange verifies it. */
static void response_stream(size_t ki, const uint8_t *p, size_t left, int skew)
{
	static uint8_t m[MSG_CAP], orig[MSG_CAP];
	uint8_t q[sizeof axfr_query + 512];
	memcpy(q, axfr_query, sizeof axfr_query);
	struct tsig_ctx c, s;
	char err[256];
	size_t got;
	size_t qn = tsig_sign_query(&c, &keys[ki], q, sizeof axfr_query, sizeof q, NOW);
	fz_check(qn > 0, "the fixed query is signed");
	fz_check(tsig_verify_query(&s, keys, nkeys, q, qn, NOW, &got, err, sizeof err) == 1 &&
	      got == ki, "the fixed query verifies");
	bool broken = false, any_signed = false, any_unsigned = false, intact = true;
	for (unsigned i = 0; i < 8 && left >= 6 && !broken; i++) {
		uint8_t flags = p[0];
		size_t pos = (size_t)p[1] << 8 | p[2];
		uint8_t x = p[3];
		size_t len = (size_t)p[4] << 8 | p[5];
		p += 6, left -= 6;
		if (len > left)
			len = left;
		memcpy(m, p, len);
		p += len, left -= len;
		bool plain = plain_message(m, len), sign = flags & 1, garble = flags & 2 && x && len;
		size_t n = len;
		memcpy(orig, m, len);
		if (sign) {
			n = tsig_sign_response(&s, m, len, sizeof m, NOW);
			if (n == 0)
				break;
		}
		if (garble)
			m[pos % n] ^= x;
		size_t vlen = n;
		int r = tsig_verify_response(&c, m, &vlen, NOW + skew, err, sizeof err);
		/* after a malformed message signed (the verifier may read it as
		 * unsigned: its TSIG RR is not where the counts say) the two
		 * sides' running MACs part, as they would after any message
		 * the server could not have sent: nothing later is checked */
		bool in_chain = intact && (sign ? !any_unsigned : any_signed);
		if (plain && !garble && in_chain && skew >= -TSIG_FUDGE && skew <= TSIG_FUDGE) {
			if (r != 0)
				fprintf(stderr, "message %u: %d, %s\n", i, r, err);
			fz_check(r == 0, "an intact message of the exchange verifies");
			fz_check(vlen == len && memcmp(m, orig, len) == 0,
			      "a verified message is the message that was signed");
		}
		intact = intact && plain && !garble;
		if (r != 0)
			broken = true;
		if (sign)
			any_signed = true;
		else
			any_unsigned = true;
	}
	/* a malformed message signed may read as an unsigned one */
	if (!broken && intact && any_signed && !any_unsigned)
		fz_check(tsig_check_final(&c), "a stream of signed messages ends signed");
	tsig_ctx_fini(&c);
	tsig_ctx_fini(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t ki = data[0] % nkeys;
	unsigned mode = data[1] % 3;
	int skew = (int)(((unsigned)data[2] << 8 | data[3]) % 1201) - 600;
	data += 4, size -= 4;
	if (mode == 0)
		raw_query(data, size > 65535 ? 65535 : size, NOW + skew);
	else if (mode == 1)
		signed_query(ki, data, size, skew);
	else
		response_stream(ki, data, size, skew);
	return 0;
}
