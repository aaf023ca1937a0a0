/*
 * fuzz_answer.c - libFuzzer target: DNS messages straight into the answer
 * engine (dataplane/answer.h: ans_respond one by one, or ans_respond_burst
 * over all of them), over the test zones (tests/data/answer: plain, NSEC,
 * NSEC3, NSEC3 opt-out, wildcard cuts, a TLD-shaped zone) compiled once,
 * then the rate limiter on the UDP responses when on.  The input picks
 * the settings (cookies, required or not, and valid server cookies made
 * for the client cookies it carries; NSID; the EDNS ceiling; the general
 * path only), UDP or TCP, the response buffer's size, answering in place
 * or into another buffer, and the sender (the peers' allowed primary
 * among them, in each kind of address the transports hand over).
 * Invariants: no crash, no sanitizer report, no leak; a response fits its
 * buffer, and a dropped query has no response.
 *
 * Input: [settings: FZE_C_*] [mode] [peer, cookie age] [rate limiting]
 * then the queries, each a 2-byte length and its bytes (as on TCP).
 * mode: bit 0 burst, bit 1 TCP, bit 2 in place, bits 3-4 the buffer size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fz_engine.h"

#define NQ 80	/* more than a burst: ans_respond_burst cuts it in two */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int32_t ages[8] = { 0, 100, 1799, 1801, 3601, -200, -301, 2000 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[4] = { 512, 1232, 2006, 65535 };
	struct fze_in in = { data, size };
	uint8_t flags = fze_u8(&in), mode = fze_u8(&in), who = fze_u8(&in), rl = fze_u8(&in);
	bool burst = mode & 1, tcp = mode & 2, inplace = mode & 4;
	size_t cap = tcp ? 65535 : caps[mode >> 3 & 3];
	struct ans_cfg cfg;
	fze_cfg(flags, &cfg);
	fze_clock = FZE_CLOCK_BASE;

	struct ans_req reqs[NQ];
	struct fze_peer peers[NQ];
	uint8_t *qs[NQ], *outs[NQ];
	size_t caps_[NQ], lens[NQ], n = 0;
	struct ans_outcome ocs[NQ];
	const uint8_t *m;
	size_t ml;
	while (n < NQ && fze_msg(&in, &m, &ml)) {
		uint8_t ip[16];
		size_t iplen;
		reqs[n] = (struct ans_req){ .tcp = tcp };
		fze_peer(who & 15, &peers[n], &reqs[n], ip, &iplen);
		/* each message in a buffer of its own size (reads past it are
		 * caught); in place, in the response buffer */
		caps_[n] = inplace && ml > cap ? ml : cap;
		qs[n] = malloc(ml ? ml : 1);
		outs[n] = malloc(caps_[n]);
		uint8_t *q = inplace ? outs[n] : qs[n];
		memcpy(q, m, ml);
		if (flags & FZE_C_VALID_COOKIE)
			fze_valid_cookies(q, ml, ip, iplen, ages[who >> 4 & 7]);
		reqs[n].q = q;
		reqs[n].qlen = ml;
		n++;
	}
	if (burst) {
		ans_respond_burst(fze_root(), &cfg, reqs, n, outs, caps_, lens, ocs);
	} else {
		for (size_t i = 0; i < n; i++)
			lens[i] = ans_respond(fze_root(), &cfg, &reqs[i], outs[i], caps_[i], &ocs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (lens[i] > caps_[i] || (lens[i] == 0) != ocs[i].dropped) {
			fprintf(stderr, "query %zu: response of %zu bytes in %zu, dropped %d\n", i,
				lens[i], caps_[i], ocs[i].dropped);
			abort();
		}
		uint8_t zone[DNAME_MAX], peer[16];
		if (ocs[i].notify)
			(void)ans_notify_of(&reqs[i], outs[i], lens[i], zone, peer);
	}
	if ((flags & FZE_C_RRL) && !tcp && n) {
		struct rrl_worker w;
		fze_rrl_begin(rl, &w);
		struct wstats *st = fze_wstats();
		uint64_t now = 1000000;
		if (burst) {
			rrl_burst(&w, reqs, outs, lens, ocs, n, st, now);
		} else {
			for (size_t i = 0; i < n; i++)
				rrl_response(&w, &reqs[i], outs[i], &lens[i], &ocs[i], st,
					     now += (rl >> 5) * 100u);
		}
		fze_rrl_end(&w);
	}
	for (size_t i = 0; i < n; i++) {
		free(qs[i]);
		free(outs[i]);
	}
	return 0;
}
