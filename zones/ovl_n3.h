/*
 * ovl_n3.h - an overlay change's edits of an NSEC3 zone's chain
 * (zones/ovl_nsec3.c): NSEC3 owners joining and leaving the chain in use,
 * the table entries, node links, wildcard entries and referrals' proofs
 * of no DS that follow from them, made as zones/compile.c makes them for
 * the new version.  Internal to zones/ (ovl_apply.c drives it).
 */
#ifndef RINGDNS_OVL_N3_H
#define RINGDNS_OVL_N3_H

#include <stddef.h>
#include <stdint.h>

struct ovl;
struct n3ch;

/* A change's chain edits on o, an NSEC3 zone's overlay; room: the NSEC3
 * records the change adds (an upper bound of the entries it adds).  NULL
 * when out of memory. */
struct n3ch *n3ch_new(struct ovl *o, uint32_t room);
void n3ch_free(struct n3ch *c);

/* Node i's NSEC3 table entry, if it is an owner of the chain (call
 * before the change touches i, for n3ch_owner). */
uint32_t n3ch_entry_of(const struct n3ch *c, uint32_t i);

/* Node i, an owner the change touched (made, written again or deleted),
 * whose table entry was old (n3ch_entry_of before, SNAP_NONE for a name
 * made).  False when out of memory. */
bool n3ch_owner(struct n3ch *c, uint32_t i, uint32_t old);

/* Node i, a name whose cut or occlusion the change made or unmade
 * (below a cut made or unmade): its link is made again with the touched
 * names'.  False when out of memory. */
bool n3ch_name(struct n3ch *c, uint32_t i);

/* Entry x's block set to blk (its owner written again; old: its block
 * before, which referrals' proofs may name). */
bool n3ch_set_block(struct n3ch *c, uint32_t x, uint32_t old, uint32_t blk);

/* Once every owner is applied: the entries of owners that left the chain
 * marked dead, those that joined added, the touched names and their
 * ancestors linked to the entries of their hashes, wildcard entries made
 * again where the chain changed around them, and drop(ud, cut) called for
 * each cut whose pre-encoded referral names the block of an entry deleted
 * or of one whose span an added entry split, or the old block of an
 * owner written again, or below a name with descendants joining the
 * chain.  0, or -1 declined with the reason in err (what a full compile
 * is sure to get right and this is not: an entry for a name the change
 * did not touch, the apex leaving the chain, an empty chain). */
int n3ch_finish(struct n3ch *c, int (*drop)(void *ud, uint32_t cut), void *ud, char *err,
		size_t errcap);

#endif
