/*
 * test_peers.c - the transfer peers table (common/peers.h) and the queue
 * of accepted NOTIFYs (dataplane/ntq.h): encoded by the control process,
 * decoded by the dataplane (hostile bytes refused), NOTIFY verdicts.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/peers.h"
#include "dataplane/ntq.h"

static const char *SECRET = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/* A table: two keys, zones a.test. (primary 198.18.0.1, key 1) and
 * B.test. (primaries 2001:db8::1 and 198.18.0.2, no key).  Its bytes in
 * *buf (malloc), length returned. */
static size_t encode(uint8_t **buf)
{
	struct tsig_key keys[2];
	char err[256];
	cr_assert_eq(tsig_key_make(&keys[0], "k0.", "hmac-sha256", SECRET, err, sizeof err), 0);
	cr_assert_eq(tsig_key_make(&keys[1], "k1.", "hmac-sha512", SECRET, err, sizeof err), 0);
	struct cfg_remote pa[1], pb[2];
	cr_assert_eq(cfg_parse_remote(&pa[0], "198.18.0.1", err, sizeof err), 0);
	cr_assert_eq(cfg_parse_remote(&pb[0], "2001:db8::1", err, sizeof err), 0);
	cr_assert_eq(cfg_parse_remote(&pb[1], "198.18.0.2@5300", err, sizeof err), 0);
	struct peers_zone_in z[2] = {
		{ .name = "a.test.", .key = 1, .primaries = pa, .nprimaries = 1 },
		{ .name = "B.test.", .key = -1, .primaries = pb, .nprimaries = 2 },
	};
	int fd = memfd_create("t", 0);
	long len = peers_encode(fd, keys, 2, z, 2, err, sizeof err);
	cr_assert_gt(len, 0, "%s", err);
	*buf = malloc((size_t)len);
	cr_assert_eq(pread(fd, *buf, (size_t)len, 0), len);
	close(fd);
	return (size_t)len;
}

static void addr(const char *text, uint8_t a[16])
{
	struct sockaddr_storage ss = { 0 };
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	cr_assert_eq(peers_addr_of(&ss, a), 0);
}

Test(peers, round_trip_and_verdicts)
{
	uint8_t *buf;
	size_t len = encode(&buf);
	char err[256];
	struct peers *pr = peers_decode(buf, len, err, sizeof err);
	cr_assert_not_null(pr, "%s", err);
	size_t n;
	const struct tsig_key *k = peers_keys(pr, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(k[1].alg, TSIG_HMAC_SHA512);
	cr_assert_eq(k[0].secret_len, 32);

	const struct tsig_key *want;
	uint8_t a[16];
	addr("198.18.0.1", a);
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\1a\4test", a, &want), PEERS_ALLOWED);
	cr_assert_eq(want, &k[1]);
	/* any case of the name; the port of a primary does not matter */
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\1A\4TEST", a, &want), PEERS_ALLOWED);
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\1b\4test", a, &want), PEERS_REFUSED);
	cr_assert_null(want);
	addr("198.18.0.2", a);
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\1b\4test", a, &want), PEERS_ALLOWED);
	addr("2001:db8::1", a);
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\1b\4test", a, &want), PEERS_ALLOWED);
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\1a\4test", a, &want), PEERS_REFUSED);
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\1c\4test", a, &want),
		     PEERS_NOT_SECONDARY);
	cr_assert_eq(peers_notify(pr, (const uint8_t *)"\4test", a, &want), PEERS_NOT_SECONDARY);
	cr_assert_eq(peers_notify(NULL, (const uint8_t *)"\4test", a, &want),
		     PEERS_NOT_SECONDARY);
	peers_free(pr);
	free(buf);
}

Test(peers, hostile_blocks_refused)
{
	uint8_t *buf;
	size_t len = encode(&buf);
	char err[256];
	/* every truncation */
	for (size_t l = 0; l < len; l++)
		cr_assert_null(peers_decode(buf, l, err, sizeof err), "length %zu", l);
	/* every single-byte corruption decodes or is refused, never more */
	for (size_t i = 0; i < len; i++) {
		uint8_t *c = malloc(len);
		memcpy(c, buf, len);
		c[i] ^= 0xff;
		struct peers *pr = peers_decode(c, len, err, sizeof err);
		peers_free(pr);
		free(c);
	}
	/* the last zone's name length (its record: length, 8 bytes of name,
	 * key, count, two addresses) running past the end */
	buf[len - (1 + 8 + 3 + 2 * 16)] = 200;
	cr_assert_null(peers_decode(buf, len, err, sizeof err));
	free(buf);
}

static unsigned seen;
static void count(void *ud, const uint8_t *zone, const uint8_t *peer)
{
	(void)ud;
	cr_assert_eq(zone[0], 1);
	cr_assert_eq(peer[15], zone[1]);
	seen++;
}

Test(ntq, queue_drains_and_bounds)
{
	struct ntq q;
	cr_assert_eq(ntq_init(&q), 0);
	uint8_t peer[16] = { 0 };
	for (unsigned i = 0; i < NTQ_SLOTS + 10; i++) {
		uint8_t zone[] = { 1, (uint8_t)i, 0 };
		peer[15] = (uint8_t)i;
		ntq_push(&q, zone, peer);
	}
	uint64_t v;
	cr_assert_eq(read(q.efd, &v, sizeof v), sizeof v, "the eventfd was written");
	cr_assert_eq(v, 1, "once, not once per NOTIFY");
	seen = 0;
	ntq_drain(&q, count, NULL);
	cr_assert_eq(seen, NTQ_SLOTS, "a full queue drops the rest");
	/* empty again: the next push wakes the main thread again */
	uint8_t zone[] = { 1, 7, 0 };
	peer[15] = 7;
	ntq_push(&q, zone, peer);
	cr_assert_eq(read(q.efd, &v, sizeof v), sizeof v);
	seen = 0;
	ntq_drain(&q, count, NULL);
	cr_assert_eq(seen, 1);
	ntq_fini(&q);
}
