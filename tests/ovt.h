/*
 * ovt.h - helpers for the incremental-image tests (zones/overlay.h): a
 * zone version kept as text lines, the change between two versions as a
 * struct zdiff, a version compiled into a sealed memfd, the random
 * changes of a zone's life, and the query set the engines are compared
 * on.
 */
#ifndef RINGDNS_TESTS_OVT_H
#define RINGDNS_TESTS_OVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/snap.h"
#include "zones/zdiff.h"

/* A version: its SOA serial and its other records, one per line
 * ("owner TTL TYPE rdata", names relative to the origin or absolute). */
struct ovt_zone {
	char **line;
	size_t n, cap;
	uint32_t serial;
};

void ovt_add(struct ovt_zone *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes line k. */
void ovt_del(struct ovt_zone *z, size_t k);
bool ovt_has(const struct ovt_zone *z, const char *line);
void ovt_copy(struct ovt_zone *dst, const struct ovt_zone *src);
void ovt_free(struct ovt_zone *z);
/* The zone file text of z (malloc'd). */
char *ovt_text(const char *origin, const struct ovt_zone *z);

/* The change from a to b (records of a not in b deleted, of b not in a
 * added, the SOAs around), its lists malloc'd in d->del/d->add. */
void ovt_diff(const char *origin, const struct ovt_zone *a, const struct ovt_zone *b,
	      struct zdiff *d);
void ovt_diff_free(struct zdiff *d);

/* A compiled version: the image, in a sealed memfd and mapped, opened. */
struct ovt_img {
	void *image;
	size_t size;
	int fd;
	struct snap *snap;
};
/* Compiles text; 0, or -1 with err (zone errors included). */
int ovt_compile(const char *origin, const char *text, struct ovt_img *m, char *err,
		size_t errcap);
void ovt_img_free(struct ovt_img *m);

/* A zone changed step by step as the control process changes it: an
 * overlay over its base while changes apply, a new base (a full compile)
 * when one is declined. */
struct ovl;
struct ovt_life {
	const char *origin;
	struct ovt_zone cur;
	struct ovt_img base;
	struct ovl *o;
	unsigned applied, declined, rebased;
};
/* Starts l with version first (copied): its base compiled. */
void ovt_life_start(struct ovt_life *l, const char *origin, const struct ovt_zone *first);
void ovt_life_free(struct ovt_life *l);
/*
 * One step to version next: applied as an overlay (check, when not NULL,
 * sees it before it is committed), or, when declined, compiled whole as
 * the new base, or dropped when the full compile refuses it too (next is
 * then made l's version again).  Returns ovl_apply's answer (-1: a valid
 * change refused, err says why; nothing else done).
 */
int ovt_life_step(struct ovt_life *l, struct ovt_zone *next,
		  void (*check)(struct ovt_life *l, const struct ovt_zone *next, void *ud),
		  void *ud, char *err, size_t errcap);

/* A zone's life: a TLD-and-hosting-shaped start (delegations, glue,
 * sibling glue, wildcards, empty non-terminals, CNAMEs, MX, SRV). */
void ovt_start(struct ovt_zone *z);
/* Changes z by k random edits (names added and deleted, delegations made
 * and unmade, glue and addresses changed, wildcards, CNAMEs, DNAMEs
 * added, changed and deleted with targets and names below them, apex
 * RRsets, TTLs), its serial bumped. */
void ovt_mutate(struct ovt_zone *z, unsigned k, uint64_t *rng);

/* The records of a zone file (one per line, as dnssec-signzone -O full
 * and ldns-signzone write them) but its SOA, serial 1. */
void ovt_load(struct ovt_zone *z, const char *path);
/* Changes the signed zone z (of origin) by k random edits that keep its
 * names: signatures re-made (expiry, TTL), addresses, records beside
 * others, NS and DS of delegations, NSEC and NSEC3 bitmaps and opt-out
 * flags, TXT and MX records; its serial bumped. */
void ovt_mutate_signed(struct ovt_zone *z, const char *origin, unsigned k, uint64_t *rng);
/* k insecure delegations of a signed zone (names relative to origin,
 * absolute) added (with glue below them, none, or another's) or deleted
 * with their glue, glue added; the serial bumped. */
void ovt_mutate_optout(struct ovt_zone *z, const char *origin, unsigned k, uint64_t *rng);
/* NSEC-signed zones (origin): z's NSEC chain made again for its names
 * (RFC 4035 §2.3): each name with data not below a cut, cuts included,
 * owns an NSEC to the next in canonical order (the last to the apex)
 * listing its types, RRSIG and NSEC; a fake signature (deterministic:
 * unchanged records make no difference) over each NSEC and each RRset
 * signed (RFC 4035 §2.2: the authoritative ones, at a cut DS only) that
 * has none; signatures over RRsets gone or not signed dropped. */
void ovt_nsec_chain(struct ovt_zone *z, const char *origin);
/* k random edits of an NSEC-signed zone's names (names made with data or
 * with empty non-terminals above them, deleted alone or with the names
 * below, wildcards, delegations with glue with or without DS, cuts made
 * at names and unmade, empty non-terminals given data, glue), its chain
 * made again (ovt_nsec_chain), the serial bumped. */
void ovt_mutate_nsec(struct ovt_zone *z, const char *origin, unsigned k, uint64_t *rng);
/* Queries on the names of versions (and names below and beside them),
 * types, with and without DO: *n messages of at most 300 bytes each in a
 * malloc'd block. */
uint8_t *ovt_queries(const char *origin, const struct ovt_zone *const *v, size_t nv,
		     size_t *n);
#define OVT_QMAX 300

/* Each query answered from a and from b (zone indexes of one zone):
 * the number that differ, the first printed to stderr. */
size_t ovt_compare(const struct snap *a, const struct snap *b, const uint8_t *q, size_t n,
		   const char *what);

/* The whitespace-separated field k of line (into out), or false. */
bool ovt_field(const char *line, int k, char *out, size_t cap);
/* The next number of the tests' xorshift generator. */
uint64_t ovt_rnd(uint64_t *s);

/* NSEC3 zones (tests/ovt_nsec3.c): z's NSEC3 chain made again as a
 * signer makes it (RFC 5155 §7.1; with the zone's NSEC3PARAM, opt-out
 * leaving insecure delegations out), its records' RRSIGs fixed fakes, so
 * that a version's chain follows its names and an unchanged name's
 * records stay as they were. */
void ovt_rechain_nsec3(struct ovt_zone *z, const char *origin, bool optout);
/* k random changes of names (hosts, empty non-terminals, wildcards,
 * secure and insecure delegations made and deleted, DS added and
 * deleted, cuts made over names with data and unmade), the chain made
 * again, the serial bumped. */
void ovt_mutate_nsec3(struct ovt_zone *z, const char *origin, bool optout, unsigned k,
		      uint64_t *rng);

#endif
