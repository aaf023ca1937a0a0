/*
 * test_cookie.c - DNS Cookies (dataplane/cookie.c): server cookies checked
 * against RFC 9018's Appendix A and against a SipHash-2-4 written here
 * from the SipHash paper, verification with the current and previous
 * secret, the time window, and that a cookie costs libcrypto no
 * allocation.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dataplane/answer.h"
#include "dataplane/cookie.h"
#include "zones/snap.h"

/* ---- SipHash-2-4 from its specification (Aumasson, Bernstein 2012) ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static void ref_siphash(const uint8_t key[16], const uint8_t *m, size_t len, uint8_t out[8])
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t mi = le64(m + i);
		v[3] ^= mi;
		sipround(v);
		sipround(v);
		v[0] ^= mi;
	}
	uint8_t last[8] = { 0 };
	memcpy(last, m + i, len - i);
	last[7] = (uint8_t)len;
	uint64_t mi = le64(last);
	v[3] ^= mi;
	sipround(v);
	sipround(v);
	v[0] ^= mi;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	uint64_t h = v[0] ^ v[1] ^ v[2] ^ v[3];
	for (int b = 0; b < 8; b++)
		out[b] = (uint8_t)(h >> (8 * b));
}

static void unhex(const char *s, uint8_t *out)
{
	for (size_t i = 0; s[2 * i]; i++) {
		unsigned v;
		cr_assert(sscanf(s + 2 * i, "%2x", &v) == 1);
		out[i] = (uint8_t)v;
	}
}

static struct ck_ctx *ctx_of(const char *cur, const char *prev)
{
	struct ck_keys k = { .has_prev = prev != NULL };
	char err[256];
	cr_assert_eq(ck_parse_secret(cur, k.cur, err, sizeof err), 0, "%s", err);
	if (prev)
		cr_assert_eq(ck_parse_secret(prev, k.prev, err, sizeof err), 0, "%s", err);
	struct ck_ctx *ck = ck_new(&k, err, sizeof err);
	cr_assert_not_null(ck, "%s", err);
	return ck;
}

Test(cookie, reference_siphash_matches_paper)
{
	/* the paper's Appendix A: key 00..0f, message 00..0e */
	uint8_t key[16], m[15], h[8], want[8];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		m[i] = (uint8_t)i;
	ref_siphash(key, m, sizeof m, h);
	unhex("e545be4961ca29a1", want);
	cr_assert_arr_eq(h, want, 8);
}

/* RFC 9018 Appendix A.1 and A.2: IPv4 client 198.51.100.100, secret
 * e5e973e5a6b2a43f48e7dc849e37bfcf. */
static const char *secret_a = "e5e973e5a6b2a43f48e7dc849e37bfcf";
static const uint8_t ip_a[4] = { 198, 51, 100, 100 };

Test(cookie, rfc9018_appendix_a1)
{
	struct ck_ctx *ck = ctx_of(secret_a, NULL);
	uint8_t cc[8], sc[16], want[16];
	unhex("2464c4abcf10c957", cc);
	ck_make(ck, cc, ip_a, 4, 1559731985, sc);
	unhex("010000005cf79f111f8130c3eee29480", want);
	cr_assert_arr_eq(sc, want, 16);
	ck_free(ck);
}

Test(cookie, made_as_the_reference_computes)
{
	/* client cookie | version | reserved | timestamp | address, for an
	 * IPv6 client and a rolled time, against the hash written here */
	struct ck_ctx *ck = ctx_of("00112233445566778899aabbccddeeff", NULL);
	uint8_t key[16], cc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, ip[16], sc[16], m[32], h[8];
	unhex("00112233445566778899aabbccddeeff", key);
	for (int i = 0; i < 16; i++)
		ip[i] = (uint8_t)(0x20 + i);
	for (int t = 0; t < 3; t++) {
		uint32_t ts = 0xfffffff0u + (uint32_t)t * 0x20;
		ck_make(ck, cc, ip, 16, ts, sc);
		memcpy(m, cc, 8);
		m[8] = 1;
		m[9] = m[10] = m[11] = 0;
		m[12] = (uint8_t)(ts >> 24); m[13] = (uint8_t)(ts >> 16);
		m[14] = (uint8_t)(ts >> 8); m[15] = (uint8_t)ts;
		memcpy(m + 16, ip, 16);
		ref_siphash(key, m, 32, h);
		cr_assert_arr_eq(sc, m + 8, 8, "version, reserved, timestamp");
		cr_assert_arr_eq(sc + 8, h, 8, "the hash, made %d times", t + 1);
	}
	ck_free(ck);
}

Test(cookie, rfc9018_appendix_a2_refresh)
{
	/* A.2: the cookie of A.1 presented 2400 s later is valid, and older
	 * than half an hour: replaced */
	struct ck_ctx *ck = ctx_of(secret_a, NULL);
	uint8_t opt[24], resp[CK_RESP_LEN], want[16];
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", opt);
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, 1559734385, resp), CK_VALID);
	cr_assert_arr_eq(resp, opt, 8, "the client cookie echoed");
	unhex("010000005cf7a871d4a564a1442aca77", want);
	cr_assert_arr_eq(resp + 8, want, 16);
	/* younger than half an hour: the same cookie back */
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, 1559731985 + 1000, resp), CK_VALID);
	cr_assert_arr_eq(resp, opt, 24);
	ck_free(ck);
}

Test(cookie, client_only_gets_a_fresh_cookie)
{
	struct ck_ctx *ck = ctx_of(secret_a, NULL);
	uint8_t opt[8], resp[CK_RESP_LEN], sc[16];
	unhex("2464c4abcf10c957", opt);
	cr_assert_eq(ck_check(ck, opt, 8, ip_a, 4, 1559731985, resp), CK_CLIENT_ONLY);
	ck_make(ck, opt, ip_a, 4, 1559731985, sc);
	cr_assert_arr_eq(resp + 8, sc, 16);
	ck_free(ck);
}

Test(cookie, window_and_address_and_forgery)
{
	struct ck_ctx *ck = ctx_of(secret_a, NULL);
	uint8_t opt[24], resp[CK_RESP_LEN];
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", opt);
	uint32_t t0 = 1559731985;
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, t0 + 3600, resp), CK_VALID);
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, t0 + 3601, resp), CK_INVALID,
		     "more than an hour old (RFC 9018 §4.3)");
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, t0 - 300, resp), CK_VALID);
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, t0 - 301, resp), CK_INVALID,
		     "more than 5 minutes ahead");
	/* a fresh cookie comes back with an invalid one */
	uint8_t fresh[16];
	ck_make(ck, opt, ip_a, 4, t0 - 301, fresh);
	cr_assert_arr_eq(resp + 8, fresh, 16);
	uint8_t other_ip[4] = { 198, 51, 100, 101 };
	cr_assert_eq(ck_check(ck, opt, 24, other_ip, 4, t0, resp), CK_INVALID);
	opt[23] ^= 1;
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, t0, resp), CK_INVALID);
	opt[23] ^= 1;
	opt[8] = 2;	/* another version */
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, t0, resp), CK_INVALID);
	/* a server cookie of another size (8..32 allowed, 16 made here) */
	cr_assert_eq(ck_check(ck, opt, 20, ip_a, 4, t0, resp), CK_INVALID);
	ck_free(ck);
}

Test(cookie, rotation_accepts_previous_secret)
{
	/* a cookie made under the old secret verifies on a node that now
	 * has it as previous, and is replaced by one of the new secret */
	struct ck_ctx *ck = ctx_of("0102030405060708090a0b0c0d0e0f10", secret_a);
	uint8_t opt[24], resp[CK_RESP_LEN], fresh[16];
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", opt);
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, 1559731985 + 10, resp), CK_VALID);
	ck_make(ck, opt, ip_a, 4, 1559731985 + 10, fresh);
	cr_assert_arr_eq(resp + 8, fresh, 16, "responses use the current secret");
	cr_assert_eq(ck_check(ck, resp, 24, ip_a, 4, 1559731985 + 20, resp), CK_VALID);
	ck_free(ck);
	/* without it, the old cookie is invalid */
	ck = ctx_of("0102030405060708090a0b0c0d0e0f10", NULL);
	cr_assert_eq(ck_check(ck, opt, 24, ip_a, 4, 1559731985 + 10, resp), CK_INVALID);
	ck_free(ck);
}

Test(cookie, lengths_and_secrets)
{
	cr_assert(ck_len_ok(8));
	cr_assert(ck_len_ok(16));
	cr_assert(ck_len_ok(40));
	for (size_t n = 0; n < 8; n++)
		cr_assert_not(ck_len_ok(n));
	for (size_t n = 9; n < 16; n++)
		cr_assert_not(ck_len_ok(n));
	cr_assert_not(ck_len_ok(41));
	uint8_t s[16];
	char err[200];
	cr_assert_eq(ck_parse_secret("e5e973e5a6b2a43f48e7dc849e37bfc", s, err, sizeof err), -1);
	cr_assert(strstr(err, "32") != NULL, "%s", err);
	cr_assert_eq(ck_parse_secret("e5e973e5a6b2a43f48e7dc849e37bfcg", s, err, sizeof err), -1);
	cr_assert(strstr(err, "'g'") != NULL, "%s", err);
}

/* ---- through the answer engine ---- */

/* A query for www.example. A with EDNS and a COOKIE option opt[0..n),
 * answered by cfg from 198.51.100.100 over UDP or TCP with no zone
 * served (REFUSED); the response's rcode (with OPT's extended bits) and
 * its COOKIE option in ck (length returned in *cklen, 0: none). */
static unsigned engine(const struct ans_cfg *cfg, const uint8_t *opt, size_t n, bool tcp,
		       uint8_t ck[64], size_t *cklen, struct ans_outcome *oc)
{
	static const uint8_t head[] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1,
					3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
					0, 1, 0, 1 };
	uint8_t q[128], out[1024];
	size_t l = sizeof head;
	memcpy(q, head, l);
	const uint8_t rr[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, (uint8_t)(n + 4), 0, 10, 0,
			       (uint8_t)n };
	memcpy(q + l, rr, sizeof rr);
	memcpy(q + l + sizeof rr, opt, n);
	l += sizeof rr + n;
	struct zidx *root = zidx_new(NULL, 0);
	cr_assert_not_null(root);
	struct ans_req req = { .q = q, .qlen = l, .tcp = tcp, .peer_kind = ANS_PEER_IP4,
			       .peer = ip_a };
	size_t len = ans_respond(root, cfg, &req, out, sizeof out, oc);
	zidx_free(root);
	cr_assert_gt(len, sizeof head + 11, "a response with its OPT");
	const uint8_t *o = out + sizeof head;	/* the OPT: the only record */
	cr_assert_eq(o[2], 41);
	unsigned rcode = (out[3] & 15u) | (unsigned)o[5] << 4;
	*cklen = 0;
	for (size_t p = 11; p + 4 <= 11u + (o[9] << 8 | o[10]); p += 4u + (o[p + 2] << 8 | o[p + 3]))
		if (o[p + 1] == 10) {
			*cklen = (size_t)(o[p + 2] << 8 | o[p + 3]);
			memcpy(ck, o + p + 4, *cklen);
		}
	return rcode;
}

Test(cookie, through_the_engine)
{
	struct ck_keys k = { .has_prev = false };
	char err[256];
	cr_assert_eq(ck_parse_secret(secret_a, k.cur, err, sizeof err), 0);
	const struct ans_cfg shared = { .max_udp = 1232, .cookie_keys = &k };
	struct ans_cfg cfg;
	cr_assert_eq(ck_thread_cfg(&cfg, &shared, err, sizeof err), 0, "%s", err);
	uint8_t cc[8], ck[64], ck2[64];
	size_t n, n2;
	struct ans_outcome oc;
	unhex("2464c4abcf10c957", cc);
	/* a client cookie: a fresh server cookie, not "valid" */
	cr_assert_eq(engine(&cfg, cc, 8, false, ck, &n, &oc), 5, "REFUSED: no zone");
	cr_assert_eq(n, 24);
	cr_assert_arr_eq(ck, cc, 8);
	cr_assert_not(oc.cookie_ok);
	uint8_t sc[16];
	ck_make(cfg.cookie, cc, ip_a, 4, (uint32_t)ck[4 + 8] << 24 | (uint32_t)ck[5 + 8] << 16 |
		(uint32_t)ck[6 + 8] << 8 | ck[7 + 8], sc);
	cr_assert_arr_eq(ck + 8, sc, 16, "made for the sender's address");
	/* sent back: valid, echoed, and the outcome says so */
	cr_assert_eq(engine(&cfg, ck, 24, false, ck2, &n2, &oc), 5);
	cr_assert(oc.cookie_ok);
	cr_assert_eq(n2, 24);
	cr_assert_arr_eq(ck2, ck, 24);
	/* required: BADCOOKIE (23) over UDP without a valid one, with a
	 * cookie to retry with; answered over TCP */
	cfg.cookie_require = true;
	cr_assert_eq(engine(&cfg, cc, 8, false, ck2, &n2, &oc), 23);
	cr_assert_eq(n2, 24);
	cr_assert_eq(engine(&cfg, cc, 8, true, ck2, &n2, &oc), 5);
	cr_assert_eq(engine(&cfg, ck, 24, false, ck2, &n2, &oc), 5);
	ck_thread_cfg_fini(&cfg);
	/* cookies off: the option is ignored, none comes back */
	const struct ans_cfg off = { .max_udp = 1232 };
	cr_assert_eq(engine(&off, cc, 8, false, ck2, &n2, &oc), 5);
	cr_assert_eq(n2, 0);
	cr_assert_not(oc.cookie_ok);
}

/* ---- no allocation per cookie: libcrypto's allocations counted ---- */

static long nalloc;

static void *count_malloc(size_t n, const char *f, int l)
{
	(void)f, (void)l;
	nalloc++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *f, int l)
{
	(void)f, (void)l;
	nalloc++;
	return realloc(p, n);
}

static void count_free(void *p, const char *f, int l)
{
	(void)f, (void)l;
	free(p);
}

/* libcrypto takes allocation functions only before its first allocation:
 * set them before main */
static int counting;

__attribute__((constructor)) static void count_from_start(void)
{
	counting = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
}

Test(cookie, no_allocation_per_cookie)
{
	cr_assert_eq(counting, 1, "libcrypto allocated before main: nothing counted");
	struct ck_ctx *ck = ctx_of(secret_a, "0102030405060708090a0b0c0d0e0f10");
	cr_assert_gt(nalloc, 0, "the counter sees libcrypto's allocations");
	long before = nalloc;
	uint8_t opt[24], resp[CK_RESP_LEN];
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", opt);
	for (uint32_t i = 0; i < 10000; i++) {
		ck_check(ck, opt, 24, ip_a, 4, 1559731985 + i, resp);	/* valid, refreshed */
		opt[23] ^= 1;
		ck_check(ck, opt, 24, ip_a, 4, 1559731985, resp);	/* both secrets tried */
		opt[23] ^= 1;
		ck_check(ck, opt, 8, ip_a, 4, 1559731985, resp);	/* client only */
	}
	cr_assert_eq(nalloc, before, "%ld allocations in 30000 cookies", nalloc - before);
	ck_free(ck);
}
