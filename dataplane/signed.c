/*
 * signed.c - the few queries that need to know the transfer peers
 * (common/peers.h), kept off the fast paths: a query signed with TSIG
 * (RFC 8945) is verified before anything is answered (§5.2) and its answer
 * signed (§5.3) or refused with the TSIG error of §5.3.2; a NOTIFY
 * (RFC 1996) is answered here, and when it comes from an allowed primary
 * the caller tells the control process, which checks the zone at once
 * (§3.7).  A secondary's SOA checks and NOTIFYs are signed when its
 * primary has a key: this is how they get answers it accepts.
 *
 * Rare traffic by nature; the MAC costs a few microseconds and is only
 * computed for a query naming a configured key.
 */
#include <string.h>
#include <time.h>

#include "common/peers.h"
#include "common/tsig.h"
#include "dataplane/engine.h"
#include "dataplane/reply.h"

#define FLAG_AA 0x04

/* The peers table as of now: the publisher swaps it under RCU, and this
 * thread is inside a read-side section (a worker between quiescent
 * states, or a TCP thread likewise). */
static const struct peers *peers_now(const struct ans_cfg *cfg)
{
	return cfg->peers ? __atomic_load_n(cfg->peers, __ATOMIC_ACQUIRE) : NULL;
}

bool eng_peer_addr(const struct ans_req *req, uint8_t a[16])
{
	switch (req->peer_kind) {
	case ANS_PEER_SOCKADDR:
		return peers_addr_of(req->peer, a) == 0;
	case ANS_PEER_IP4:
		peers_addr_v4(req->peer, a);
		return true;
	case ANS_PEER_IP16:
		memcpy(a, req->peer, 16);
		return true;
	default:
		return false;
	}
}

/* A response of a header and the question only (the records of the
 * query dropped): the OPCODE and RD echoed, aa, rcode.  Returns its
 * length (out may be the query itself: the question is moved, not
 * copied, and lies at the same offset). */
static size_t bare_response(const struct qry *q, uint8_t *out, bool aa, unsigned rcode)
{
	out[0] = (uint8_t)(q->id >> 8);
	out[1] = (uint8_t)q->id;
	out[2] = (uint8_t)(0x80 | q->opcode << 3 | (aa ? FLAG_AA : 0) | (q->rd ? 1 : 0));
	out[3] = (uint8_t)(rcode & 15);
	memset(out + 4, 0, 8);
	if (!q->has_q)
		return 12;
	out[5] = 1;
	memmove(out + 12, q->qname, q->qname_len);
	uint8_t *t = out + 12 + q->qname_len;
	eng_put16(t, q->qtype);
	eng_put16(t + 2, q->qclass);
	return 12u + q->qname_len + 4;
}

/* bare_response, with the OPT RR when the query had one: RFC 6891 §7, a
 * responder that saw an OPT RR answers with one (room for it was kept:
 * env's optlen). */
static size_t bare_opt(const struct ans_cfg *cfg, const struct qry *q,
		       const struct eng_env *env, uint8_t *out, bool aa, unsigned rcode)
{
	size_t n = bare_response(q, out, aa, rcode);
	if (!env->opt)
		return n;
	eng_put16(out + 10, 1);
	return n + eng_put_opt(cfg, q, rcode, -1, out + n, env->limit - n, env);
}

/* RFC 1996 §3.7, §4.7: a NOTIFY for a secondary zone of ours from one of
 * its primaries (signed with the zone's key when it has one) is
 * acknowledged, NOERROR with the question echoed; from anyone else
 * REFUSED; for a zone we are no secondary of NOTAUTH. */
static size_t notify(const struct ans_cfg *cfg, const struct peers *pr,
		     const struct ans_req *req, const struct qry *q, const struct eng_env *env,
		     const struct tsig_key *signer, uint8_t *out, struct ans_outcome *oc)
{
	uint8_t a[16];
	const struct tsig_key *want = NULL;
	unsigned rcode = RCODE_REFUSED;
	if (q->qclass != RR_CLASS_IN) {
		rcode = RCODE_REFUSED;
	} else if (eng_peer_addr(req, a)) {
		switch (peers_notify(pr, q->qname, a, &want)) {
		case PEERS_NOT_SECONDARY: rcode = RCODE_NOTAUTH; break;
		case PEERS_REFUSED: rcode = RCODE_REFUSED; break;
		case PEERS_ALLOWED:
			rcode = want && want != signer ? RCODE_REFUSED : RCODE_NOERROR;
			break;
		}
	}
	oc->notify = rcode == RCODE_NOERROR;
	oc->rcode = (uint16_t)rcode;
	return bare_opt(cfg, q, env, out, true, rcode);
}

size_t sgn_respond(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct ans_req *req, const struct eng_query *x, struct eng_env *env,
		   uint8_t *out, size_t outcap, struct ans_outcome *oc)
{
	const struct qry *q = &x->q;
	const struct peers *pr = peers_now(cfg);
	uint64_t now = (uint64_t)time(NULL);
	struct tsig_ctx tc;
	const struct tsig_key *signer = NULL;
	oc->path = ANS_PATH_FULL;
	if (q->tsig) {
		size_t nkeys, ki = 0;
		const struct tsig_key *keys = peers_keys(pr, &nkeys);
		char why[160];
		int v = tsig_verify_query(&tc, keys, nkeys, req->q, req->qlen, now, &ki, why,
					  sizeof why);
		if (v < -1) {
			/* §5.2: BADKEY, BADSIG, BADTIME: NOTAUTH and the error */
			oc->rcode = RCODE_NOTAUTH;
			size_t n = bare_opt(cfg, q, env, out, false, RCODE_NOTAUTH);
			n = tsig_sign_error(&tc, -v, out, n, outcap, now);
			tsig_ctx_fini(&tc);
			return n;
		}
		if (v < 0) {
			/* malformed, or TSIG not the last record: FORMERR */
			oc->rcode = RCODE_FORMERR;
			return bare_response(q, out, false, RCODE_FORMERR);
		}
		if (v == 1)
			signer = &keys[ki];
	}
	size_t n;
	if (x->st == QRY_NOTIFY) {
		n = notify(cfg, pr, req, q, env, signer, out, oc);
	} else {
		if (signer) {
			/* room for the TSIG after everything else, OPT included */
			size_t room = tsig_rr_size(signer);
			env->limit = env->limit > 512 + room ? env->limit - room : 512 - room;
		}
		n = eng_general(root, cfg, x, env, out, oc);
	}
	if (signer) {
		if (n)
			n = tsig_sign_response(&tc, out, n, outcap, now);
		tsig_ctx_fini(&tc);
	}
	return n;
}

bool ans_notify_of(const struct ans_req *req, const uint8_t *resp, size_t len,
		   uint8_t zone[DNAME_MAX], uint8_t peer[16])
{
	/* the response's question is the NOTIFY's, written uncompressed */
	if (len < 12 + 1 || !eng_peer_addr(req, peer))
		return false;
	int n = dname_check(resp + 12, len - 12);
	if (n < 0)
		return false;
	memcpy(zone, resp + 12, (size_t)n);
	return true;
}
