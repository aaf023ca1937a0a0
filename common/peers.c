/*
 * peers.c - the table of transfer peers the dataplane reads (peers.h).
 *
 * The block: a header (magic, counts), the keys as struct tsig_key (both
 * processes come from one build), then per zone its wire name, key index,
 * number of primaries and their 16-byte addresses.  Decoded, the zones
 * are sorted by their lowercase wire names and found by binary search: a
 * NOTIFY costs a few comparisons however many secondary zones there are.
 */
#include "common/peers.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zones/dname.h"

#define PEERS_MAGIC 0x52504552u	/* "REPR" */

struct peers_zone {
	uint8_t name[DNAME_MAX];	/* wire, lowercase */
	int key;			/* index into keys, -1: none */
	unsigned naddr;
	uint8_t addr[CFG_REMOTE_MAX][16];
};

struct peers {
	struct tsig_key *keys;
	size_t nkeys;
	struct peers_zone *zones;	/* sorted by name (memcmp of the wire form) */
	size_t nzones;
};

struct peers_head {
	uint32_t magic;
	uint32_t nkeys;
	uint32_t nzones;
	uint32_t pad;
};

void peers_addr_v4(const uint8_t v4[4], uint8_t out[16])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

int peers_addr_of(const struct sockaddr_storage *ss, uint8_t out[16])
{
	if (ss->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return 0;
	}
	if (ss->ss_family != AF_INET)
		return -1;
	peers_addr_v4((const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr, out);
	return 0;
}

static int put(int fd, const void *p, size_t n, long *len)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
		*len += w;
	}
	return 0;
}

/* One zone's record: name length, name, key (2 octets), count, addresses. */
static int put_zone(int fd, const struct peers_zone_in *z, size_t nkeys, long *len,
		    char *err, size_t errcap)
{
	uint8_t name[DNAME_MAX];
	int nl = dname_from_text(name, z->name, strlen(z->name), NULL);
	if (nl < 0) {
		snprintf(err, errcap, "zone %s: %s", z->name, dname_strerror(nl));
		return -1;
	}
	if (z->key >= (int)nkeys || z->nprimaries > CFG_REMOTE_MAX) {
		snprintf(err, errcap, "zone %s: key or primaries out of range", z->name);
		return -1;
	}
	dname_lower(name);
	uint8_t head[4] = { (uint8_t)nl, (uint8_t)((uint16_t)z->key >> 8), (uint8_t)z->key,
			    (uint8_t)z->nprimaries };
	if (put(fd, head, 1, len) || put(fd, name, (size_t)nl, len) ||
	    put(fd, head + 1, 3, len))
		goto io;
	for (unsigned i = 0; i < z->nprimaries; i++) {
		uint8_t a[16];
		if (peers_addr_of(&z->primaries[i].addr, a) != 0)
			memset(a, 0, sizeof a);
		if (put(fd, a, sizeof a, len))
			goto io;
	}
	return 0;
io:
	snprintf(err, errcap, "writing the peers table: %s", strerror(errno));
	return -1;
}

long peers_encode(int fd, const struct tsig_key *keys, size_t nkeys,
		  const struct peers_zone_in *zones, size_t nzones, char *err, size_t errcap)
{
	long len = 0;
	struct peers_head h = { PEERS_MAGIC, (uint32_t)nkeys, (uint32_t)nzones, 0 };
	if (put(fd, &h, sizeof h, &len) || (nkeys && put(fd, keys, nkeys * sizeof *keys, &len))) {
		snprintf(err, errcap, "writing the peers table: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < nzones; i++)
		if (put_zone(fd, &zones[i], nkeys, &len, err, errcap) != 0)
			return -1;
	return len;
}

static int zone_cmp(const void *a, const void *b)
{
	const struct peers_zone *x = a, *y = b;
	return memcmp(x->name, y->name, DNAME_MAX);
}

/* Reads one zone's record at *p (end: the block's end); false when it
 * does not fit or is malformed. */
static bool take_zone(const uint8_t **p, const uint8_t *end, size_t nkeys,
		      struct peers_zone *z)
{
	const uint8_t *q = *p;
	if (end - q < 1 || end - q < 1 + q[0] + 3)
		return false;
	unsigned nl = q[0];
	if (dname_check(q + 1, nl) != (int)nl)
		return false;
	memset(z->name, 0, sizeof z->name);
	memcpy(z->name, q + 1, nl);
	dname_lower(z->name);
	q += 1 + nl;
	z->key = (int16_t)(q[0] << 8 | q[1]);
	z->naddr = q[2];
	q += 3;
	if (z->key < -1 || z->key >= (int)nkeys || z->naddr > CFG_REMOTE_MAX ||
	    (size_t)(end - q) < 16u * z->naddr)
		return false;
	memcpy(z->addr, q, 16u * z->naddr);
	*p = q + 16u * z->naddr;
	return true;
}

struct peers *peers_decode(const uint8_t *p, size_t len, char *err, size_t errcap)
{
	struct peers_head h;
	if (len < sizeof h) {
		snprintf(err, errcap, "peers table: %zu bytes, too short", len);
		return NULL;
	}
	memcpy(&h, p, sizeof h);
	size_t kbytes = (size_t)h.nkeys * sizeof(struct tsig_key);
	if (h.magic != PEERS_MAGIC || h.nkeys > 65536 || len - sizeof h < kbytes ||
	    h.nzones > (len - sizeof h - kbytes) / 4) {
		snprintf(err, errcap, "peers table: malformed header");
		return NULL;
	}
	struct peers *pr = calloc(1, sizeof *pr);
	if (!pr || (h.nkeys && !(pr->keys = malloc(kbytes))) ||
	    (h.nzones && !(pr->zones = calloc(h.nzones, sizeof *pr->zones)))) {
		peers_free(pr);
		snprintf(err, errcap, "peers table: out of memory");
		return NULL;
	}
	if (kbytes)
		memcpy(pr->keys, p + sizeof h, kbytes);
	pr->nkeys = h.nkeys;
	for (size_t i = 0; i < pr->nkeys; i++) {
		struct tsig_key *k = &pr->keys[i];
		if (k->secret_len > TSIG_SECRET_MAX || dname_check(k->name, sizeof k->name) < 0 ||
		    !tsig_alg_mac_len(k->alg)) {
			peers_free(pr);
			snprintf(err, errcap, "peers table: key %zu malformed", i);
			return NULL;
		}
	}
	const uint8_t *q = p + sizeof h + kbytes, *end = p + len;
	for (pr->nzones = 0; pr->nzones < h.nzones; pr->nzones++)
		if (!take_zone(&q, end, pr->nkeys, &pr->zones[pr->nzones])) {
			peers_free(pr);
			snprintf(err, errcap, "peers table: zone %u malformed", h.nzones);
			return NULL;
		}
	if (pr->nzones)
		qsort(pr->zones, pr->nzones, sizeof *pr->zones, zone_cmp);
	return pr;
}

void peers_free(struct peers *pr)
{
	if (!pr)
		return;
	if (pr->keys)
		memset(pr->keys, 0, pr->nkeys * sizeof *pr->keys);	/* secrets */
	free(pr->keys);
	free(pr->zones);
	free(pr);
}

const struct tsig_key *peers_keys(const struct peers *pr, size_t *n)
{
	*n = pr ? pr->nkeys : 0;
	return pr ? pr->keys : NULL;
}

enum peers_verdict peers_notify(const struct peers *pr, const uint8_t *zone,
				const uint8_t addr[16], const struct tsig_key **key)
{
	*key = NULL;
	if (!pr || !pr->nzones)
		return PEERS_NOT_SECONDARY;
	struct peers_zone want;
	memset(want.name, 0, sizeof want.name);
	memcpy(want.name, zone, dname_len(zone));
	dname_lower(want.name);
	const struct peers_zone *z = bsearch(&want, pr->zones, pr->nzones, sizeof *pr->zones,
					     zone_cmp);
	if (!z)
		return PEERS_NOT_SECONDARY;
	if (z->key >= 0)
		*key = &pr->keys[z->key];
	for (unsigned i = 0; i < z->naddr; i++)
		if (memcmp(z->addr[i], addr, 16) == 0)
			return PEERS_ALLOWED;
	return PEERS_REFUSED;
}
