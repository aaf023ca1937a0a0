/*
 * snap_format.h - the layout of a compiled zone snapshot image, field by
 * field.  This file is the contract between the compiler (zones/compile.c),
 * the validator (zones/snap.c) and the answer engine (dataplane/).
 *
 * An image is one contiguous, immutable, position-independent byte block:
 * no pointers, only 32-bit byte offsets from the image start (0 = none),
 * integers little-endian (the structs below are read directly on
 * little-endian hosts; the compiler refuses to build elsewhere), every
 * table 8-byte aligned.  DNS data inside (names, rdata) is in wire form,
 * i.e. big-endian, exactly as it goes into a response.
 *
 *  +--------------------+ 0
 *  | struct snap_header |
 *  +--------------------+ hdr.nodes
 *  | struct snap_node[nnodes]   owner names in canonical order (RFC 4034
 *  |                            §6.1): node i-1 / i+1 are the canonical
 *  |                            neighbours of node i (NSEC denial)
 *  +--------------------+ hdr.buckets
 *  | uint64_t[hash_mask + 1]    open-addressing hash of owner names:
 *  |                            (uint64_t)hash32 << 32 | block | lines,
 *  |                            0 empty, where block is the offset of the
 *  |                            node's struct snap_block in the data area
 *  |                            (4-aligned) and lines (the low 2 bits) a
 *  |                            prefetch hint: the 64-byte lines its first
 *  |                            256 bytes touch, minus one;
 *  |                            hash32 = (uint32_t)dname_hash(name) (case-
 *  |                            insensitive; version 2: 8-byte words of the
 *  |                            lowercased wire name, multiply-xorshift
 *  |                            mixed, zones/dname.c), probing linear from slot
 *  |                            hash32 & hash_mask; every node is in it once
 *  +--------------------+ hdr.nsec3
 *  | struct snap_nsec3[nnsec3]  NSEC3 owners sorted by raw hash bytes
 *  |                            (only those made with the NSEC3PARAM in use)
 *  +--------------------+ hdr.data
 *  | one block per node, each 4-byte aligned, in any order (the
 *  | compiler writes the empty non-terminals', then the others' in zone
 *  | file order):
 *  |   struct snap_block        node index, flags, counts
 *  |   the owner name           (snap_node.name points here)
 *  |   zero padding to 4 bytes
 *  |   struct snap_rrset[n]     the node's RRsets, sorted by type
 *  |   per RRset: its rdata, its pre-encoded answer if any, its sigs
 *  |   zero padding to 4 bytes
 *  | then zero padding to 8 bytes
  *  +--------------------+ hdr.image_size
 *
 * The validator (snap_open) checks magic, version, sizes, checksums and the
 * bounds and internal consistency of every offset and index below before
 * the image is used; the engine then reads without further checks.  What a
 * valid image guarantees beyond bounds: node 0 is the apex; parent < node
 * for every other node, with labels = parent's labels + 1 (walks up the
 * parent chain end at the apex); every name is at or below the apex; each
 * node's RRsets have strictly ascending types; every record passes
 * rdata_check() for its type (names in rdata are well-formed); every bucket
 * entry is reachable by probing and every node has exactly one entry; the
 * nsec3 table is strictly ascending.
 */
#ifndef RINGDNS_SNAP_FORMAT_H
#define RINGDNS_SNAP_FORMAT_H

#include <stdint.h>

#define SNAP_MAGIC 0x534e4452u	/* bytes "RDNS" */
#define SNAP_VERSION 10	/* 2: dname_hash became word-wise; 3: pre-encoded
			   answers (snap_rrset.resp); 4: per-node blocks
			   (name, RRsets, data together; buckets point at
			   them), so an answer reads bucket -> block; 5: a
			   node's flags, labels and RRset count live in its
			   block head only (snap_node 28 -> 16 bytes); 6: an
			   RRset's signatures follow its pre-encoded answer,
			   without an offset of their own (snap_rrset 32 ->
			   28 bytes); 7: a referral pre-encoded at every
			   cut (the cut's NS snap_rrset.resp, zones/frag.h),
			   snap_nsec3 with the wildcard's record and the
			   owner's block (24 -> 32 bytes); 8: a pre-encoded
			   answer with DNSSEC beside the one without
			   (SNAP_RESP_DO); 9: room for appended nodes
			   (node_cap), deleted nodes and composed images
			   (base + overlay, zones/overlay.h); 10: NSEC3
			   owners added and deleted by an overlay (the
			   header's nsec3x, struct snap_nsec3x), referrals'
			   proofs of no DS name NSEC3 table entries, not
			   blocks (zones/frag.h) */
#define SNAP_NONE 0xffffffffu	/* "no index" in index fields */
/* snap_nsec3.wild of an NSEC3 table entry an overlay deleted */
#define SNAP_N3_DEAD 0xfffffffeu
/* Names of an answer whose addresses go in the additional section (NS, MX
 * and SRV targets, RFC 1034 §4.3.2 step 6): the engine takes the first
 * SNAP_ADDL_MAX, and pre-encoded answers hold the same. */
#define SNAP_ADDL_MAX 16
/* RFC 5155 §10.3: a zone MUST NOT use more NSEC3 iterations than 2500
 * (the ceiling for the largest keys).  Every NSEC3 denial hashes as many
 * times per name it proves, so the zone checks refuse more and the
 * validator refuses an image with more: the work per query stays
 * bounded. */
#define SNAP_NSEC3_ITER_MAX 2500
/* In a pre-encoded answer's ARCOUNT field: a second answer, with DNSSEC,
 * follows the first (snap_rrset). */
#define SNAP_RESP_DO 0x8000u

/* snap_header.flags */
enum {
	SNAP_F_SIGNED = 1 << 0,	/* has DNSKEY/RRSIG: DNSSEC answers possible */
	SNAP_F_NSEC = 1 << 1,	/* denial by NSEC */
	SNAP_F_NSEC3 = 1 << 2,	/* denial by NSEC3 (nsec3param valid, nnsec3 >= 1) */
};

struct snap_header {
	uint32_t magic;		/* SNAP_MAGIC */
	uint16_t version;	/* SNAP_VERSION */
	uint16_t header_size;	/* sizeof(struct snap_header) */
	uint64_t image_size;	/* total bytes, header included */
	uint64_t checksum;	/* snap_checksum() of bytes [header_size, image_size) */
	uint32_t flags;		/* SNAP_F_* */
	uint32_t serial;	/* SOA serial */
	uint32_t origin;	/* offset of the apex name (wire, as written in the zone) */
	uint32_t origin_labels;	/* its label count */
	uint32_t apex;		/* node index of the apex */
	uint32_t soa;		/* offset of the apex SOA's struct snap_rrset */
	uint32_t neg_ttl;	/* min(SOA TTL, SOA MINIMUM), RFC 2308 §5 */
	uint32_t nodes;		/* offset of struct snap_node[nnodes] */
	uint32_t nnodes;
	uint32_t buckets;	/* offset of uint64_t[hash_mask + 1] */
	uint32_t hash_mask;	/* power of two minus one, hash_mask + 1 >=
				   nnodes + nnodes / 2 + 1 (a load of at most
				   2/3; the compiler takes the smallest for
				   256 nodes more: room for an overlay's) */
	uint32_t rrsets;	/* zero (version 4: RRsets live in the blocks) */
	uint32_t nrrsets;	/* RRsets in all blocks */
	uint32_t nsec3;		/* offset of struct snap_nsec3[nnsec3] */
	uint32_t nnsec3;
	uint32_t data;		/* offset of the data area */
	uint32_t data_size;
	/* NSEC3PARAM in use (RFC 5155 §4): valid when SNAP_F_NSEC3, all zero
	 * otherwise.  The compiler takes the first apex NSEC3PARAM (canonical
	 * order) with flags 0 and algorithm 1 that has NSEC3 records made with
	 * it; only SHA-1 exists (RFC 5155 §11), so hashes are 20 bytes */
	uint8_t nsec3_alg;	/* 1 = SHA-1 */
	uint8_t nsec3_flags;
	uint16_t nsec3_iter;
	uint8_t nsec3_salt_len;
	uint8_t nsec3_hash_len;	/* raw length of the hashes in snap_nsec3 (20) */
	uint8_t pad0[2];
	uint8_t nsec3_salt[255];
	uint8_t pad1[1];
	uint32_t pad2;		/* zero */
	/* snap_checksum() of bytes [0, header_size) with this field taken as
	 * zero: the body checksum above does not cover the header */
	uint64_t header_checksum;
	/* Version 9: what an overlay (zones/overlay.h) changes in place. */
	uint32_t node_cap;	/* entries the node table has room for (>= nnodes;
				   those past nnodes zero): an overlay appends new
				   nodes there without moving the tables */
	uint32_t nsorted;	/* nodes [0, nsorted) are in canonical order; those
				   after were appended by an overlay, in no order
				   (only unsigned zones get overlays: no NSEC walk
				   reads them) */
	uint32_t ndead;		/* nodes an overlay deleted: SNAP_N_DELETED, in no
				   bucket, never a live node's parent */
	uint32_t base_size;	/* 0 for a compiled image; a composed image (a base
				   with an overlay applied): the base's size, bytes
				   from there on being the overlay's tail of blocks.
				   checksum is then the base's, not these bytes' */
	uint32_t nsec3x;	/* 0, or (composed images of NSEC3 zones whose
				   chain changed) the offset in the tail of the
				   NSEC3 table's extension, struct snap_nsec3x */
	uint32_t reserved;	/* zero */
};

/* snap_block.flags: a node's flags */
enum {
	SNAP_N_APEX = 1 << 0,
	SNAP_N_ENT = 1 << 1,	/* empty non-terminal: no RRsets, has descendants */
	SNAP_N_CUT = 1 << 2,	/* zone cut: NS at a non-apex name (DS lives here too)
				   that is not itself below a cut */
	SNAP_N_OCCLUDED = 1 << 3, /* strictly below a cut (glue or occluded data):
				     not authoritative; cut = the topmost cut
				     above.  An NS below a cut is occluded data:
				     OCCLUDED, never CUT */
	SNAP_N_DNAME = 1 << 4,	/* has a DNAME RRset */
	SNAP_N_CNAME = 1 << 5,	/* has a CNAME RRset */
	SNAP_N_WILD_CHILD = 1 << 6, /* "*.<this name>" exists as a node */
	SNAP_N_WILDCARD = 1 << 7, /* this name's first label is "*" */
	SNAP_N_NSEC3 = 1 << 8,	/* an NSEC3 owner (hashed name) */
	SNAP_N_BELOW_DNAME = 1 << 9, /* unreachable: below a DNAME (never, the
					checker refuses such zones) */
	SNAP_N_DELETED = 1 << 10, /* deleted by an overlay: no RRsets, in no
				     bucket; its index is not reused */
};

/*
 * A node: the links between names (parent, cut, NSEC3 record) and where
 * its block is.  What else there is to know of the name is in its block
 * head (struct snap_block, right before the name): flags, label count,
 * RRset count, name length.
 */
struct snap_node {
	uint32_t name;		/* offset of the owner name (wire, case as in the
				   zone), in its block, right after the block head */
	uint32_t parent;	/* node index of the parent name (every ancestor up to
				   the apex is a node: ENTs are nodes); apex: SNAP_NONE */
	uint32_t cut;		/* OCCLUDED or CUT: node index of the topmost cut at or
				   above; else SNAP_NONE */
	uint32_t nsec3;		/* for NSEC3-signed zones: index into nsec3[] of the NSEC3
				   record matching this name's hash, SNAP_NONE if none
				   (opt-out, occluded names, NSEC3 owners themselves,
				   zones without SNAP_F_NSEC3) */
};

/*
 * The head of a node's block in the data area (4-aligned): the node's
 * facts, next to its name and RRsets, so that an exact-match lookup reads
 * the bucket, then this block.  The owner name follows at offset 12, the
 * RRset entries at the next multiple of 4 after the name.
 */
struct snap_block {
	uint32_t node;		/* index of the node */
	uint32_t flags;		/* SNAP_N_* */
	uint16_t nrrsets;	/* RRset entries after the name */
	uint8_t name_len;	/* wire length of the name - 1 (names are <= 255) */
	uint8_t labels;		/* label count of the name */
};

/*
 * One RRset.  Its records are at rdata: `count` entries, each a 2-byte
 * big-endian RDLENGTH followed by RDATA in uncompressed wire form, in
 * canonical order (RFC 4034 §6.3).  RRSIG records are not RRsets of their
 * own: the signatures covering an RRset hang off it (nsigs of them, in
 * sigs_len bytes at rdata + rdata_len + resp: after the records and the
 * pre-encoded answer, snap_rrset_sigs()), laid out the same way, in
 * canonical order; RRSIG queries are answered from those.
 * RRSIGs whose covered type has no RRset at their owner (stray signatures)
 * stay reachable through one synthetic RRset of type RRSIG (46) at that
 * node: count = 0, rdata_len = 0, resp = 0, the stray RRSIGs at rdata, ttl =
 * sig_ttl.  It is the only kind of RRset with count 0.  sig_ttl is the
 * smallest TTL of the covering RRSIG records (0 when nsigs = 0).
 *
 * Pre-encoded answer (resp != 0): right after the records, at rdata +
 * rdata_len, resp bytes: a 2-byte little-endian ARCOUNT, then the sections
 * that follow the question in the response to a query for exactly this
 * owner and type, class IN, without DNSSEC records (no DO, or an unsigned
 * zone), when all of it fits: the answer records (owner a pointer to the
 * question name at offset 12, names in RDATA compressed) and the
 * additional section (addresses of the NS/MX/SRV targets, at most
 * SNAP_ADDL_MAX target names), every compression pointer an offset in a
 * message whose question name is 12 bytes in and as long as the owner
 * name.  Byte for byte what the engine's general path writes (zones/
 * rwrite.c compresses case-insensitively, so the query name's case does
 * not change it).  The compiler makes one for the types whose RDATA holds
 * names or that bring additional data (rw_compressed_type, SRV) at names
 * that are neither a cut, occluded, nor NSEC3 owners, and only when every
 * in-zone target name exists (no wildcard synthesis).  When that
 * additional section is not empty and the answer or an address in it is
 * signed, ARCOUNT has SNAP_RESP_DO set and the same follows for a query
 * with DO in a signed zone: the sections with every RRset's RRSIGs after
 * it, as the engine writes them, then its 2-byte little-endian ARCOUNT and
 * its 2-byte little-endian length (the last 4 bytes of the resp bytes).
 *
 * Pre-encoded referral (resp != 0 on the NS RRset of a cut): an anchored
 * fragment (zones/frag.h) whose anchor is the cut: the authority part
 * holds the NS records as the engine's referral writes them (RFC 1034
 * §4.3.2 step 3b), the additional part their addresses (the engine's
 * additional(): the targets inside the zone, once each, A then AAAA, glue
 * included, RFC 9471 §3.1), without DNSSEC records; n3[] the NSEC3 owners
 * that prove the cut has no DS (RFC 5155 §7.2.7) when it has none and the
 * zone is NSEC3-signed.  Made only when every in-zone target exists, or
 * is below the cut, and every name fits; FRAG_F_ADDL_SIGNED when an
 * address RRset of the additional part is signed.
 */
struct snap_rrset {
	uint16_t type;
	uint16_t count;		/* records */
	uint32_t ttl;
	uint32_t rdata;		/* offset of the records */
	uint32_t rdata_len;	/* bytes of the records (all entries) */
	uint32_t sigs_len;	/* bytes of the covering RRSIG records (after
				   the records and the pre-encoded answer) */
	uint16_t nsigs;		/* their count */
	uint16_t resp;		/* bytes of the pre-encoded answer, 0 = none */
	uint32_t sig_ttl;	/* TTL of the covering RRSIGs as in the zone */
};

/* An NSEC3 owner: raw hash (base32hex-decoded first label), its node and
 * that node's block (data-area offset of its struct snap_block), and for
 * the zone name whose hash this is (the node n with n.nsec3 = this entry),
 * the entry matching or covering the hash of "*.<that name>": the
 * wildcard half of an NXDOMAIN proof (RFC 5155 §7.2.2) with that name as
 * the closest encloser; SNAP_NONE when no node has this hash. */
struct snap_nsec3 {
	uint8_t hash[20];
	uint32_t node;
	uint32_t wild;
	uint32_t block;
};

/*
 * The NSEC3 table of a composed image whose chain an overlay changed
 * (header nsec3x != 0, in the tail): the base's table, sorted, keeps its
 * entries where they are (indices stay true: node links, wildcard
 * entries and referrals' proofs hold them), those deleted marked with
 * wild = SNAP_N3_DEAD (hash, node and block as they were); the entries
 * added follow here, entry k having index nnsec3 + k, with the order of
 * their hashes.  The chain is the live entries of both, by hash: a
 * search takes the greatest live entry at or below a hash from each
 * (snap_nsec3_pick).  Each change writes the extension anew (in the
 * tail: an earlier version's bytes are never written), so it holds every
 * entry added since the base, dead ones too.
 */
struct snap_nsec3x {
	uint32_t n;		/* entries added: e[0, n) */
	uint32_t cap;		/* room: e[cap], then uint32_t order[cap] whose
				   first n are the k of e[k] by ascending hash */
	uint32_t pad[2];	/* zero */
	struct snap_nsec3 e[];
};

#endif
