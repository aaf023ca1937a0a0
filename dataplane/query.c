/*
 * query.c - the query parser of the answer engine: header, the one question,
 * the records after it (skipped, except OPT, RFC 6891 §6.1), all through a
 * bounds-checked cursor.  Short on purpose: it runs for every packet.
 */
#include "dataplane/query.h"

#include <string.h>

#include "zones/rrtype.h"
#include "zones/wire.h"

#define FLAG_QR 0x80
#define FLAG_RD 0x01
#define FLAG_CD 0x10

/* Reads the OPT RDATA: a list of {code, length, data} options (RFC 6891
 * §6.1.2).  NSID and COOKIE matter here; unknown options are ignored.
 * False when an option runs past the RDATA, or when a COOKIE option has a
 * malformed length (RFC 7873 §5.2.2: FORMERR); of several, the first
 * counts. */
static bool parse_opt_options(struct wire_cur *rd, struct qry *out)
{
	while (wire_left(rd) > 0) {
		uint16_t code = wire_u16(rd);
		uint16_t len = wire_u16(rd);
		const uint8_t *data = rd->pos;
		wire_skip(rd, len);
		if (!wire_ok(rd))
			return false;
		if (code == EDNS_OPT_NSID)
			out->nsid = true;
		if (code == EDNS_OPT_COOKIE) {
			if (!ck_len_ok(len))
				return false;
			if (!out->cookie_len) {
				memcpy(out->cookie, data, len);
				out->cookie_len = (uint8_t)len;
			}
		}
	}
	return wire_ok(rd);
}

/* Skips (or for OPT, reads) one resource record.  Returns false when it is
 * malformed. */
static bool parse_rr(struct wire_cur *c, const uint8_t *q, size_t len, bool additional,
		     struct qry *out, unsigned *nopt)
{
	uint8_t name[DNAME_MAX];
	if (dname_unpack(c, q, len, name) < 0)
		return false;
	uint16_t type = wire_u16(c);
	uint16_t cls = wire_u16(c);
	uint32_t ttl = wire_u32(c);
	uint16_t rdlen = wire_u16(c);
	struct wire_cur rd;
	wire_sub(&rd, c, rdlen);
	if (!wire_ok(c))
		return false;
	if (type == RR_TSIG)
		out->tsig = true;	/* verified (and found last) by the signed path */
	if (type != RR_OPT)
		return true;
	/* RFC 6891 §6.1.1: OPT only in the additional section, owner the
	 * root, at most one per message. */
	if (!additional || name[0] != 0 || ++*nopt > 1)
		return false;
	out->edns = true;
	out->payload = cls;
	out->edns_ver = (uint8_t)(ttl >> 16);
	out->do_bit = (ttl & 0x8000) != 0;
	return parse_opt_options(&rd, out);
}

/* A message whose QDCOUNT is not 1: FORMERR for a QUERY, NOTIMP for
 * another opcode.  Its records are read (another opcode's questions
 * skipped first) so that an OPT RR among well-formed records is kept:
 * the response then carries one (RFC 6891 §7), as Knot answers; a
 * malformed record makes it a FORMERR.  Rare: out of the way of
 * qry_parse's own loop. */
static __attribute__((noinline, cold)) enum qry_status
parse_not_one(struct wire_cur *c, const uint8_t *q, size_t len, uint16_t qd, uint16_t an,
	      uint16_t ns, uint16_t ar, struct qry *out)
{
	bool query = out->opcode == QRY_OPCODE_QUERY;
	if (query && qd != 0)
		return QRY_FORMERR;
	bool ok = true;
	for (unsigned i = 0; ok && i < qd; i++) {
		uint8_t name[DNAME_MAX];
		ok = dname_unpack(c, q, len, name) >= 0;
		wire_skip(c, 4);
		ok = ok && wire_ok(c);
	}
	unsigned nopt = 0;
	unsigned total = (unsigned)an + ns + ar;
	for (unsigned i = 0; ok && i < total; i++)
		ok = parse_rr(c, q, len, i >= (unsigned)an + ns, out, &nopt);
	if (!ok)
		out->edns = false;
	return ok && !query ? QRY_NOTIMP : QRY_FORMERR;
}

/* The question name, unpacked with what later stages would otherwise
 * recompute: its case-insensitive hash (dname_hash), label count and label
 * offsets.  The labels are walked by their length octets, the name hashed
 * in one block where it lies in the packet (not copied).  A compression
 * pointer in the question (legal, rare) takes dname_unpack into qbuf.
 * Returns the wire length or < 0. */
static int unpack_qname(struct wire_cur *c, const uint8_t *q, size_t len, struct qry *out)
{
	const uint8_t *p = c->pos;
	size_t w = 0, avail;
	unsigned nl = 0;
	if (c->err)
		return -1;
	/* Only length octets are read here, each before avail: a name whose
	 * root octet lies within avail (at most DNAME_MAX bytes) is whole. */
	avail = (size_t)(c->end - p);
	if (avail > DNAME_MAX)
		avail = DNAME_MAX;
	for (;;) {
		if (w >= avail)
			goto slow;	/* truncated or too long: dname_unpack reports it */
		uint8_t ll = p[w];
		if (ll == 0) {
			w++;
			break;
		}
		if (ll & 0xc0)
			goto slow;	/* a pointer or a bad label type */
		out->qlo[nl++] = (uint8_t)w;
		w += (size_t)ll + 1;
	}
	out->qname = p;
	c->pos = p + w;
	out->qhash = dname_hash_bytes(p, w);
	out->qlabels = (uint8_t)nl;
	return (int)w;
slow:;
	int n = dname_unpack(c, q, len, out->qbuf);
	if (n < 0)
		return n;
	out->qname = out->qbuf;
	nl = 0;
	for (size_t o = 0; out->qname[o]; o += out->qname[o] + 1u)
		out->qlo[nl++] = (uint8_t)o;
	out->qlabels = (uint8_t)nl;
	out->qhash = dname_hash(out->qname);
	return n;
}

enum qry_status qry_parse(const uint8_t *q, size_t len, struct qry *out)
{
	out->has_q = false;
	out->qname = out->qbuf;	/* a root name until a question is read */
	out->qbuf[0] = 0;
	out->edns = false;
	out->nsid = false;
	out->do_bit = false;
	out->tsig = false;
	out->cookie_len = 0;
	out->cookie_ok = false;
	if (len < 12 || (q[2] & FLAG_QR))
		return QRY_DROP;

	/* the header: 12 bytes, there (len >= 12) */
	out->id = (uint16_t)(q[0] << 8 | q[1]);
	uint8_t f1 = q[2], f2 = q[3];
	out->opcode = (f1 >> 3) & 0x0f;
	out->rd = (f1 & FLAG_RD) != 0;
	out->cd = (f2 & FLAG_CD) != 0;
	uint16_t qd = (uint16_t)(q[4] << 8 | q[5]);
	uint16_t an = (uint16_t)(q[6] << 8 | q[7]);
	uint16_t ns = (uint16_t)(q[8] << 8 | q[9]);
	uint16_t ar = (uint16_t)(q[10] << 8 | q[11]);
	struct wire_cur c;
	wire_init(&c, q, len);
	c.pos = q + 12;

	/* RFC 1035 §4.1.2: a QUERY carries exactly one question (every
	 * implementation treats other counts as malformed). */
	if (qd != 1)
		return parse_not_one(&c, q, len, qd, an, ns, ar, out);
	int n = unpack_qname(&c, q, len, out);
	if (n < 0 || c.err || c.end - c.pos < 4)
		return QRY_FORMERR;
	out->qtype = (uint16_t)(c.pos[0] << 8 | c.pos[1]);
	out->qclass = (uint16_t)(c.pos[2] << 8 | c.pos[3]);
	c.pos += 4;
	out->qname_len = (uint8_t)n;
	out->has_q = true;

	/* The usual tail, one OPT record and nothing else, read directly:
	 * root owner, TYPE 41, then CLASS, TTL, RDLENGTH and options exactly
	 * filling the message (RFC 6891 §6.1.2). */
	const uint8_t *t = c.pos;
	if (an == 0 && ns == 0 && ar == 1 && !c.err && (size_t)(c.end - t) >= 11 && t[0] == 0 &&
	    t[1] == 0 && t[2] == RR_OPT && (size_t)(c.end - t) == 11u + (t[9] << 8 | t[10])) {
		out->edns = true;
		out->payload = (uint16_t)(t[3] << 8 | t[4]);
		out->edns_ver = t[6];
		out->do_bit = (t[7] & 0x80) != 0;
		if (t[9] || t[10]) {
			struct wire_cur rd;
			wire_init(&rd, t + 11, (size_t)(c.end - t) - 11);
			if (!parse_opt_options(&rd, out))
				return QRY_FORMERR;
		}
		goto done;
	}
	unsigned nopt = 0;
	unsigned total = (unsigned)an + ns + ar;
	for (unsigned i = 0; i < total; i++)
		if (!parse_rr(&c, q, len, i >= (unsigned)an + ns, out, &nopt))
			return QRY_FORMERR;
done:
	if (out->opcode == QRY_OPCODE_NOTIFY)
		return QRY_NOTIFY;
	if (out->opcode != QRY_OPCODE_QUERY)
		return QRY_NOTIMP;
	if (out->edns && out->edns_ver > 0)
		return QRY_BADVERS;
	return out->tsig ? QRY_SIGNED : QRY_OK;
}
