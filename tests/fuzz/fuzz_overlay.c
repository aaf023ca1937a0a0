/*
 * fuzz_overlay.c - libFuzzer target: the dataplane's side of incremental
 * images (zones/overlay.h): any bytes as an overlay, composed over a
 * fixed base (the hosting-shaped zone of the overlay tests, tests/ovt.c,
 * compiled once into a sealed memfd) by ovl_compose_into and validated
 * by snap_open_patched.  The seeds are whole overlays of real changes to
 * that zone (seedgen overlay).  So that mutations reach the checks behind
 * them, the overlay's checksum and the composed header's checksum (in the
 * overlay's first page, when it holds the header) are made right first.
 *
 * An overlay the validator accepts is served: queries on the base zone's
 * names (and names below them), every type the overlay tests ask, with
 * and without DO, through the engine's fast and general paths.
 * Invariants: no crash, no sanitizer report, no leak; a crash after
 * validation is a validator bug.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/answer.h"
#include "tests/ovt.h"
#include "zones/overlay.h"
#include "zones/snap_format.h"

#define ORIGIN "example.com."
#define QSTEP 7	/* every 7th query of the overlay tests' set */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct ovt_img base;
	struct ovl_map m;
	uint8_t *q;
	size_t nq;
} g;

static void prepare(void)
{
	char err[256];
	if (ovl_map_prepare(g.base.fd, g.base.size, false, &g.m, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_overlay: %s\n", err);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct ovt_zone z;
	char err[4096];
	ovt_start(&z);
	char *text = ovt_text(ORIGIN, &z);
	if (ovt_compile(ORIGIN, text, &g.base, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_overlay: the base: %s\n", err);
		abort();
	}
	free(text);
	const struct ovt_zone *v = &z;
	g.q = ovt_queries(ORIGIN, &v, 1, &g.nq);
	ovt_free(&z);
	prepare();
	return 0;
}

static uint64_t align8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* The checksums of the overlay ov[0..len) made right where its header's
 * sizes add up: the composed header's (page 0, its id) and the
 * overlay's. */
static void fix_checksums(uint8_t *ov, size_t len)
{
	struct ovl_header oh;
	if (len < sizeof oh)
		return;
	memcpy(&oh, ov, sizeof oh);
	uint64_t idx = align8((uint64_t)oh.npages * 4);
	if (oh.npages > len / SNAP_PAGE ||
	    sizeof oh + idx + (uint64_t)oh.npages * SNAP_PAGE + oh.tail_len != len)
		return;
	uint32_t first;
	memcpy(&first, ov + sizeof oh, sizeof first);
	if (oh.npages && first == 0) {
		struct snap_header h;
		uint8_t *at = ov + sizeof oh + idx;
		memcpy(&h, at, sizeof h);
		h.header_checksum = 0;
		h.header_checksum = snap_checksum(&h, sizeof h);
		memcpy(at, &h, sizeof h);
		oh.id = h.header_checksum;
	}
	memcpy(ov, &oh, sizeof oh);
	oh.checksum = ovl_checksum(ov);
	memcpy(ov, &oh, sizeof oh);
}

static void serve(struct snap *s)
{
	static const struct ans_cfg cfg[2] = { { .max_udp = 1232 },
					       { .max_udp = 1232, .general_only = true } };
	struct zidx *ix = zidx_new(&s, 1);
	uint8_t *out = malloc(65535);
	if (!ix || !out)
		abort();
	for (size_t i = 0; i < g.nq; i += QSTEP) {
		const uint8_t *m = g.q + i * OVT_QMAX;
		struct ans_req r = { .q = m + 2, .qlen = (size_t)(m[0] << 8 | m[1]),
				     .tcp = i % 2 };
		(void)ans_respond(ix, &cfg[i / QSTEP % 2], &r, out, i % 3 ? 65535 : 512, NULL);
	}
	free(out);
	zidx_free(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *ov = malloc(size ? size : 1);
	memcpy(ov, data, size);
	fix_checksums(ov, size);
	struct snap *s;
	char err[256];
	if (!g.m.map)
		prepare();	/* a failed composition unmapped it */
	if (ovl_compose_into(&g.m, g.base.image, NULL, g.base.snap, ov, size, &s, err,
			     sizeof err) == 0) {
		serve(s);
		snap_close(s);
	}
	free(ov);
	return 0;
}
