/*
 * fuzz_snapshot.c - libFuzzer target: the snapshot validator
 * (zones/snap.c snap_open) on any bytes as an image, and the answer
 * engine over every image it accepts.  The input is an image (the seeds
 * are compiled images of small test zones, written by seedgen); its two
 * checksums are made right first, so that mutations reach the checks
 * behind them (a mutated image with its checksums left wrong is refused
 * at once).
 *
 * An image the validator accepts is one the dataplane serves: a fixed set
 * of queries derived from it goes through the engine (fast paths and the
 * general path alone): each of the first names of its node table with
 * several types, with and without DNSSEC (DO), and a name below each
 * (NXDOMAIN, wildcard synthesis, referrals below a cut, the NSEC and
 * NSEC3 proofs).  Invariants: no crash, no sanitizer report, no leak; a
 * crash after validation is a validator bug.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/answer.h"
#include "tests/fuzz/fz_engine.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/snap_format.h"

#define NAMES_MAX 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The checksums of the image as its header believes its size. */
static void fix_checksums(uint8_t *img, size_t size)
{
	struct snap_header h;
	if (size < sizeof h)
		return;
	memcpy(&h, img, sizeof h);
	if (h.image_size == size)
		h.checksum = snap_checksum(img + sizeof h, size - sizeof h);
	h.header_checksum = 0;
	h.header_checksum = snap_checksum(&h, sizeof h);
	memcpy(img, &h, sizeof h);
}

static void ask(const struct zidx *ix, const uint8_t *name, uint16_t type, bool do_bit,
		uint8_t *out)
{
	static struct ans_cfg cfg[2] = { { .max_udp = 1232 },
					 { .max_udp = 1232, .general_only = true } };
	uint8_t q[512];
	size_t n = fze_query(q, name, type, true, do_bit);
	for (int k = 0; k < 2; k++) {
		struct ans_req r = { .q = q, .qlen = n, .tcp = do_bit };
		(void)ans_respond(ix, &cfg[k], &r, out, 65535, NULL);
	}
	/* without EDNS: the 512-byte limit, truncation */
	n = fze_query(q, name, type, false, false);
	struct ans_req r = { .q = q, .qlen = n };
	(void)ans_respond(ix, &cfg[0], &r, out, 512, NULL);
}

/* The fixed queries over the one zone of s. */
static void serve(struct snap *s)
{
	static const uint16_t types[] = { RR_A, RR_NS, RR_MX, RR_DS, RR_ANY, RR_TXT, RR_AAAA,
					  RR_SOA, RR_CNAME, RR_DNSKEY, RR_RRSIG, RR_SRV };
	enum { NT = sizeof types / sizeof types[0] };
	struct zidx *ix = zidx_new(&s, 1);
	uint8_t *out = malloc(65535);
	if (!ix || !out)
		abort();
	const struct snap_header *h = snap_hdr(s);
	const struct snap_node *nodes = snap_nodes(s);
	const uint8_t *base = snap_base(s);
	/* NSEC3 iterations (up to the validator's ceiling) only multiply the
	 * hashing of a denial: fewer names then, so that an input stays fast */
	uint32_t names = h->nsec3_iter > 16 ? 4 : NAMES_MAX;
	for (uint32_t i = 0; i < h->nnodes && i < names; i++) {
		const uint8_t *name = base + nodes[i].name;
		for (unsigned k = 0; k < 4; k++)
			ask(ix, name, types[(i + k * 3) % NT], k & 1, out);
		/* a name below: absent, synthesized from a wildcard, or below
		 * a cut */
		uint8_t below[DNAME_MAX] = { 1, 'x' };
		size_t l = dname_len(name);
		if (l + 2 <= DNAME_MAX) {
			memcpy(below + 2, name, l);
			ask(ix, below, RR_A, true, out);
			ask(ix, below, RR_TXT, false, out);
		}
	}
	free(out);
	zidx_free(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a buffer of its own size, 8-aligned, as the image is mapped */
	uint8_t *img = malloc(size ? size : 1);
	memcpy(img, data, size);
	fix_checksums(img, size);
	struct snap *s;
	char err[256];
	if (snap_open(img, size, &s, err, sizeof err) == 0) {
		serve(s);
		snap_close(s);
	}
	free(img);
	return 0;
}
