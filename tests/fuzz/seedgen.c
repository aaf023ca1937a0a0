/*
 * seedgen.c - writes the seed corpora of the engine's fuzz targets from
 * the test data (tests/fuzz/README.md says when to run it):
 *
 *   seedgen image ORIGIN ZONEFILE OUT    the compiled image of a zone
 *   seedgen answer OUTDIR < SPECS        queries for fuzz_answer
 *   seedgen response OUTDIR < SPECS      queries for fuzz_response
 *   seedgen packet OUTDIR < SPECS        frames for fuzz_packet
 *   seedgen overlay OUTDIR N             N overlays for fuzz_overlay
 *
 * SPECS: query specs one a line (tests/dnsmsg.h; '#' comments).  Each
 * query makes one seed, its settings byte varied with the line; every
 * eighth line also starts a seed of the next eight queries together (a
 * burst).  The frames: each query over IPv4 and IPv6 (one with an 802.1Q
 * tag) to the target's addresses, checksums right; plus an ARP request,
 * a neighbour solicitation and echo requests.  The overlays: whole
 * overlays over the base of fuzz_overlay (tests/ovt.c's start zone) after
 * 1, 2, ... N random changes of the overlay tests' kinds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/dnsmsg.h"
#include "tests/fuzz/fz_engine.h"
#include "tests/ovt.h"
#include "tests/zt.h"
#include "zones/compile.h"
#include "zones/overlay.h"

static void put(const char *dir, const char *kind, unsigned n, const uint8_t *p, size_t len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-%04u", dir, kind, n);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static int image(const char *origin, const char *file, const char *out)
{
	struct zt t;
	void *img;
	size_t len;
	char err[256];
	zt_load_file(&t, origin, file);
	if (t.errors || zc_compile(t.z, &img, &len, err, sizeof err) != 0) {
		fprintf(stderr, "%s%s\n", t.msgs, t.errors ? "" : err);
		return 1;
	}
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f) != 0) {
		perror(out);
		return 1;
	}
	free(img);
	zt_free(&t);
	return 0;
}

/* ---- frames ---- */

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t our4[4] = { 198, 18, 0, 1 }, peer4[4] = { 198, 18, 0, 53 };
static const uint8_t our6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t peer6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 };

/* Ethernet (with a VLAN tag when vlan) to us; returns the L3 offset. */
static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type, bool vlan)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	if (vlan) {
		fze_wr16(f + 12, 0x8100);
		fze_wr16(f + 14, 7);
	}
	fze_wr16(f + (vlan ? 16 : 12), type);
	return vlan ? 18 : 14;
}

/* An IP header (v6 or v4) from the peer to us for proto, payload len
 * bytes; returns the L4 offset. */
static size_t ip(uint8_t *f, size_t l3, bool v6, uint8_t proto, size_t len)
{
	uint8_t *h = f + l3;
	if (v6) {
		memset(h, 0, 40);
		h[0] = 0x60;
		fze_wr16(h + 4, (unsigned)len);
		h[6] = proto;
		h[7] = 64;
		memcpy(h + 8, peer6, 16);
		memcpy(h + 24, our6, 16);
		return l3 + 40;
	}
	memset(h, 0, 20);
	h[0] = 0x45;
	fze_wr16(h + 2, (unsigned)(20 + len));
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, peer4, 4);
	memcpy(h + 16, our4, 4);
	fze_wr16(h + 10, fze_fold(fze_sum16(0, h, 20)));
	return l3 + 20;
}

static uint32_t pseudo(const uint8_t *f, size_t l3, bool v6, uint8_t proto, size_t len)
{
	return fze_sum16(0, f + l3 + (v6 ? 8 : 12), v6 ? 32 : 8) + proto + (uint32_t)len;
}

/* A UDP query frame; returns its length. */
static size_t udp_frame(uint8_t *f, const uint8_t *q, size_t qlen, bool v6, bool vlan)
{
	size_t l3 = eth(f, our_mac, v6 ? 0x86dd : 0x0800, vlan);
	size_t l4 = ip(f, l3, v6, 17, 8 + qlen);
	fze_wr16(f + l4, 40000);
	fze_wr16(f + l4 + 2, 53);
	fze_wr16(f + l4 + 4, (unsigned)(8 + qlen));
	fze_wr16(f + l4 + 6, 0);
	memcpy(f + l4 + 8, q, qlen);
	uint16_t c = fze_fold(fze_sum16(pseudo(f, l3, v6, 17, 8 + qlen), f + l4, 8 + qlen));
	fze_wr16(f + l4 + 6, c ? c : 0xffff);
	return l4 + 8 + qlen;
}

/* ARP, neighbour solicitation, echo requests over IPv4 and IPv6. */
static void other_frames(const char *dir)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x33, 0x33, 0xff, 0, 0, 0x01 };
	uint8_t f[256], s[512];
	size_t l3 = eth(f, bcast, 0x0806, false);
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(arp + 8, peer_mac, 6);
	memcpy(arp + 14, peer4, 4);
	memcpy(arp + 24, our4, 4);
	memcpy(f + l3, arp, 28);
	unsigned n = 0;
	size_t len = l3 + 28;
	s[0] = s[1] = s[2] = 0;
	s[3] = (uint8_t)(len >> 8), s[4] = (uint8_t)len;
	memcpy(s + 5, f, len);
	put(dir, "arp", n++, s, len + 5);
	for (int v6 = 0; v6 < 2; v6++) {
		l3 = eth(f, our_mac, v6 ? 0x86dd : 0x0800, v6);
		size_t l4 = ip(f, l3, v6, v6 ? 58 : 1, 16);
		uint8_t echo[16] = { v6 ? 128 : 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
		memcpy(f + l4, echo, 16);
		fze_wr16(f + l4 + 2,
			 fze_fold(fze_sum16(v6 ? pseudo(f, l3, true, 58, 16) : 0, f + l4, 16)));
		len = l4 + 16;
		s[3] = (uint8_t)(len >> 8), s[4] = (uint8_t)len;
		memcpy(s + 5, f, len);
		put(dir, "echo", n++, s, len + 5);
	}
	/* a neighbour solicitation for our address to its solicited-node
	 * group, with a source link-layer address option */
	l3 = eth(f, mcast, 0x86dd, false);
	size_t l4 = ip(f, l3, true, 58, 32);
	f[l3 + 7] = 255;
	static const uint8_t group[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 1 };
	memcpy(f + l3 + 24, group, 16);
	uint8_t ns[32] = { 135, 0 };
	memcpy(ns + 8, our6, 16);
	ns[24] = 1;
	ns[25] = 1;
	memcpy(ns + 26, peer_mac, 6);
	memcpy(f + l4, ns, 32);
	fze_wr16(f + l4 + 2, fze_fold(fze_sum16(pseudo(f, l3, true, 58, 32), f + l4, 32)));
	len = l4 + 32;
	s[3] = (uint8_t)(len >> 8), s[4] = (uint8_t)len;
	memcpy(s + 5, f, len);
	put(dir, "nd", n++, s, len + 5);
}

/* ---- query seeds ---- */

enum kind { ANSWER, RESPONSE, PACKET };

/* The settings of line i: cookies, NSID, EDNS ceilings, the general
 * path, rate limiting and valid cookies by turns. */
static uint8_t settings(unsigned i)
{
	static const uint8_t f[8] = { 0x00, 0x04, 0x01, 0x85, 0x08, 0x20, 0x40, 0x13 };
	return f[i % 8];
}

/* The seed's head for query i: settings, then the target's mode bytes. */
static size_t head(enum kind k, unsigned i, bool burst, uint8_t *s)
{
	s[0] = settings(i);
	switch (k) {
	case ANSWER:	/* mode (burst, TCP, in place, size), peer, rate limiting */
		s[1] = (uint8_t)((burst ? 1 : 0) | (i % 5 == 0 ? 2 : 0) | (i % 3 == 0 ? 4 : 0) |
				 (i % 4) << 3);
		s[2] = (uint8_t)(i % 16);
		s[3] = 0x21;
		return 4;
	case RESPONSE:	/* mode (TCP, size, peer) */
		s[1] = (uint8_t)((i % 5 == 0 ? 1 : 0) | (i % 4) << 1 | (i % 16) << 3);
		return 2;
	default:	/* mode (burst, sizes), rate limiting */
		s[1] = (uint8_t)((burst ? 1 : 0) | (i % 4) << 5 | (i % 7 == 0 ? 16 : 0));
		s[2] = 0x21;
		return 3;
	}
}

/* One framed message (a query, or a frame carrying it) at s + n. */
static size_t framed(enum kind k, unsigned i, const uint8_t *q, size_t qlen, uint8_t *s)
{
	uint8_t f[2048];
	if (k == PACKET) {
		qlen = udp_frame(f, q, qlen, i % 2, i % 3 == 0);
		q = f;
	}
	fze_wr16(s, (unsigned)qlen);
	memcpy(s + 2, q, qlen);
	return 2 + qlen;
}

static int queries(enum kind k, const char *dir)
{
	static uint8_t qs[1024][600];
	static size_t ql[1024];
	char line[1024];
	unsigned nq = 0;
	while (nq < 1024 && fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		ql[nq] = dm_query_text(qs[nq], sizeof qs[nq], line, false);
		nq++;
	}
	static uint8_t s[65536];
	for (unsigned i = 0; i < nq; i++) {
		size_t n = head(k, i, false, s);
		n += framed(k, i, qs[i], ql[i], s + n);
		put(dir, "q", i, s, n);
		if (i % 8 || i + 8 > nq)
			continue;
		n = head(k, i, true, s);
		for (unsigned j = i; j < i + 8; j++)
			n += framed(k, j, qs[j], ql[j], s + n);
		put(dir, "burst", i, s, n);
	}
	if (k == PACKET)
		other_frames(dir);
	return 0;
}

/* Whole overlays after 1..n steps of a zone's life, while its base stays
 * the start zone's (a step declined would make a new base). */
static int overlays(const char *dir, unsigned n)
{
	struct ovt_zone z;
	struct ovt_life l;
	uint64_t rng = 42;
	char err[4096];
	ovt_start(&z);
	ovt_life_start(&l, "example.com.", &z);
	for (unsigned i = 0; i < n; i++) {
		struct ovt_zone next;
		ovt_copy(&next, &l.cur);
		ovt_mutate(&next, 1 + i % 3, &rng);
		if (ovt_life_step(&l, &next, NULL, NULL, err, sizeof err) != 1 || l.rebased) {
			fprintf(stderr, "step %u: not applied (%s)\n", i, err);
			ovt_free(&next);
			break;
		}
		ovt_free(&next);
		uint8_t *ov;
		size_t len;
		if (ovl_export(l.o, false, &ov, &len) != 0)
			return 1;
		put(dir, "ovl", i, ov, len);
		free(ov);
	}
	ovt_life_free(&l);
	ovt_free(&z);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "image"))
		return image(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "answer"))
		return queries(ANSWER, argv[2]);
	if (argc == 3 && !strcmp(argv[1], "response"))
		return queries(RESPONSE, argv[2]);
	if (argc == 3 && !strcmp(argv[1], "packet"))
		return queries(PACKET, argv[2]);
	if (argc == 4 && !strcmp(argv[1], "overlay"))
		return overlays(argv[2], (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: seedgen image ORIGIN ZONEFILE OUT | seedgen answer|response|packet "
			"OUTDIR < SPECS | seedgen overlay OUTDIR N\n");
	return 2;
}
