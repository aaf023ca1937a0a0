/*
 * frag.h - anchored fragments: records pre-encoded with name compression
 * for a response whose question name is one given name (the anchor), to
 * be put into the response to any question name at or below the anchor
 * with their compression pointers moved.  The compiler makes one per
 * delegation (the referral's NS records and glue, snap_format.h), the
 * snapshot one for the negative answers' SOA (snap.h); the answer engine
 * copies them (dataplane/fastref.c).
 *
 * Why the copy is what zones/rwrite.c would write for the longer question
 * name: every compression pointer of the fragment points into the
 * question's anchor suffix or into the fragment itself, both of which
 * move by the same amount; and rwrite's choice of target is the first
 * entry of the longest matching suffix, where the longer question adds
 * only suffixes with more labels than the anchor, which none of the
 * fragment's names can match unless one of them has, right above the
 * anchor, the question's label there.  Those labels are listed (below)
 * for the engine to compare; it also keeps the question's suffixes plus
 * the fragment's targets (ct) within rwrite's table and the response
 * within the reach of a pointer.
 *
 * Layout (integers little-endian, no alignment):
 *   0  u16 ns      records of the authority part
 *   2  u16 ar      records of the additional part
 *   4  u16 auth    bytes of the authority part
 *   6  u16 addl    bytes of the additional part
 *   8  u8  nptr    compression pointers in the two parts
 *   9  u8  ct      compression targets the parts add to rwrite's table
 *  10  u8  flags   FRAG_F_*
 *  11  u8  below   bytes of the below-labels list
 *  12  u32 n3[2]   referrals: the NSEC3 owners whose records prove a
 *                  delegation has no DS (RFC 5155 §7.2.7), each the offset
 *                  of its block (4-aligned) or, for the apex's own NSEC3
 *                  owner, its NSEC3 table entry x as x << 2 | 1
 *                  (snap_proof_block): under opt-out every delegation
 *                  right below the apex proves with it, and an overlay
 *                  re-signing it changes one table entry, not them all;
 *                  the entry is read in the cache, where other owners'
 *                  would cost a referral a miss,
 *                  in the order the general path writes them; SNAP_NONE
 *                  where none (a DS RRset, no NSEC3 chain, one record)
 *  20  u16 ptr[nptr]  offsets in the parts (the authority part then the
 *                  additional part, as one) of each 2-byte pointer
 *      below labels: a length byte and the label lowercased, each
 *      the authority part, then the additional part
 * The pointers hold offsets in a message whose question name, the anchor,
 * starts at byte 12: the parts begin at 12 + anchor length + 4.
 */
#ifndef RINGDNS_FRAG_H
#define RINGDNS_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/rwrite.h"

#define FRAG_HEAD 20
#define FRAG_MSG 4096		/* the largest fragment made: parts and question */

enum {
	/* the additional part holds signed RRsets (RRSIGs would follow
	 * them with DNSSEC): the fragment is for answers without DNSSEC */
	FRAG_F_ADDL_SIGNED = 1 << 0,
	/* a name below the apex has, right above it, a label of 32 bytes
	 * (as long as an NSEC3 owner's): NSEC3 owners written after the
	 * fragment might compress against it */
	FRAG_F_HASHLIKE = 1 << 1,
	/* referrals: n3[] holds the proof that the cut has no DS (the zone
	 * is NSEC3-signed and the cut has no DS RRset) */
	FRAG_F_N3 = 1 << 2,
};

/* The fields of a fragment at p (validated by the snapshot's checks). */
static inline uint16_t frag_u16(const uint8_t *p, size_t at)
{
	return (uint16_t)(p[at] | p[at + 1] << 8);
}

static inline uint32_t frag_u32(const uint8_t *p, size_t at)
{
	return (uint32_t)p[at] | (uint32_t)p[at + 1] << 8 | (uint32_t)p[at + 2] << 16 |
	       (uint32_t)p[at + 3] << 24;
}

/* The offset of the below-labels list, and of the parts. */
static inline size_t frag_below_at(const uint8_t *p)
{
	return FRAG_HEAD + 2u * p[8];
}

static inline size_t frag_parts_at(const uint8_t *p)
{
	return frag_below_at(p) + p[11];
}

/* Total bytes of the fragment at p. */
static inline size_t frag_size(const uint8_t *p)
{
	return frag_parts_at(p) + frag_u16(p, 4) + frag_u16(p, 6);
}

/* Checks a fragment of len bytes (from an image not yet trusted); NULL
 * when it is well-formed, else what is wrong. */
const char *frag_check(const uint8_t *p, size_t len);

/* Making one (compile time). */
struct frag_b {
	struct rw w;
	size_t parts;		/* offset in msg of the first part */
	size_t auth_end;	/* end of the authority part (frag_addl) */
	unsigned ct0;		/* rwrite's table entries of the question */
	const uint8_t *anchor, *apex;
	uint8_t msg[FRAG_MSG];
};

/* Starts a fragment for question names at or below anchor, in a zone
 * whose apex is apex (both uncompressed, in the zone's case); the
 * records written through b->w with rw_rrset go in the authority part
 * until frag_addl.  False when anchor is not at or below apex. */
bool frag_begin(struct frag_b *b, const uint8_t *anchor, const uint8_t *apex);
void frag_addl(struct frag_b *b);

/* The compression targets the parts add to rwrite's table, in its order:
 * offsets in the fragment's own message (the anchor at byte 12), label
 * counts.  With them a caller writing more records after a copy of the
 * fragment can have rwrite compress them as after the general path's. */
struct frag_ct {
	uint8_t n;
	uint16_t off[RW_CT_MAX];
	uint8_t lab[RW_CT_MAX];
};

void frag_targets(const struct frag_b *b, struct frag_ct *ct);

/* Adds ct's targets to w, moved by delta (the question name is longer
 * than the anchor by delta bytes). */
static inline void frag_ct_apply(const struct frag_ct *ct, struct rw *w, size_t delta)
{
	for (unsigned i = 0; i < ct->n; i++)
		rw_target(w, ct->off[i] + delta, ct->lab[i]);
}

/* Writes the fragment (header, pointers, labels, parts) to out with the
 * given flags (FRAG_F_ADDL_SIGNED is the caller's to say) and n3 fields;
 * returns its size, or 0 when it does not fit cap or the format (more
 * than 255 pointers or label bytes). */
size_t frag_finish(struct frag_b *b, uint8_t flags, const uint32_t n3[2], uint8_t *out,
		   size_t cap);

#endif
