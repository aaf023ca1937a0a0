/*
 * peers.h - what the dataplane must know of the zone-transfer peers to
 * answer the few messages that need it: the TSIG keys (a query signed with
 * one is verified and its response signed, RFC 8945 §5), and for each
 * secondary zone the primaries allowed to NOTIFY it (RFC 1996 §3.10) and
 * the key its NOTIFYs must carry.  The control process encodes it from its
 * configuration into one block (a memfd sent with IPC_PEERS); the
 * dataplane decodes that into one immutable table the serving threads read
 * under RCU, replaced whole when the configuration changes.
 *
 * Addresses are 16 bytes, IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d).
 */
#ifndef RINGDNS_PEERS_H
#define RINGDNS_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/tsig.h"

struct peers;

/* A secondary zone, as the encoder takes it. */
struct peers_zone_in {
	const char *name;			/* text, absolute */
	int key;				/* index into the keys, -1: none */
	const struct cfg_remote *primaries;
	unsigned nprimaries;
};

/*
 * Encodes the keys and zones into a block written to fd (a memfd: any
 * size).  Returns its length, or -1 with err (a name that does not parse,
 * a key index out of range, a write error).
 */
long peers_encode(int fd, const struct tsig_key *keys, size_t nkeys,
		  const struct peers_zone_in *zones, size_t nzones, char *err, size_t errcap);

/* Decodes a block (len bytes at p, hostile until checked: every count and
 * length bounded); NULL with err. */
struct peers *peers_decode(const uint8_t *p, size_t len, char *err, size_t errcap);
void peers_free(struct peers *pr);

/* The keys, for tsig_verify_query. */
const struct tsig_key *peers_keys(const struct peers *pr, size_t *n);

enum peers_verdict {
	PEERS_NOT_SECONDARY,	/* no secondary zone of that name: NOTAUTH */
	PEERS_REFUSED,		/* the address is none of its primaries */
	PEERS_ALLOWED,
};

/* May addr (16 bytes) NOTIFY zone (wire, any case)?  *key: the key its
 * NOTIFY must be signed with, NULL when none is configured. */
enum peers_verdict peers_notify(const struct peers *pr, const uint8_t *zone,
				const uint8_t addr[16], const struct tsig_key **key);

/* addr (AF_INET or AF_INET6 sockaddr) as 16 bytes; -1 for another family. */
int peers_addr_of(const struct sockaddr_storage *ss, uint8_t out[16]);
/* An IPv4 address (4 bytes) as 16, v4-mapped. */
void peers_addr_v4(const uint8_t v4[4], uint8_t out[16]);

#endif
