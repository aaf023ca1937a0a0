/*
 * query.h - parsing one DNS query message (RFC 1035 §4.1) with its EDNS OPT
 * record (RFC 6891) into what the answer engine needs.  Every byte goes
 * through the bounds-checked cursor of wire.h; compression pointers are
 * bounded by dname_unpack.
 */
#ifndef RINGDNS_QUERY_H
#define RINGDNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/cookie.h"
#include "zones/dname.h"

/* Outcome of qry_parse: what kind of response the query gets. */
enum qry_status {
	QRY_OK = 0,	/* answer it */
	QRY_DROP,	/* no response: shorter than a header, or QR set */
	QRY_FORMERR,	/* malformed (RFC 1035 §4.1.1, RFC 6891 §6.1.1) */
	QRY_NOTIMP,	/* opcode other than QUERY */
	QRY_BADVERS,	/* EDNS version > 0 (RFC 6891 §6.1.3) */
	QRY_NOTIFY,	/* a NOTIFY (RFC 1996) with one question */
	QRY_SIGNED,	/* as QRY_OK, with a TSIG record (RFC 8945): for
			   the signed path, never the fast paths */
	QRY_BADCOOKIE,	/* not from qry_parse: a UDP query without a valid
			   server cookie where cookies are required
			   (RFC 7873 §5.2.3) */
};

#define QRY_OPCODE_QUERY 0
#define QRY_OPCODE_NOTIFY 4	/* RFC 1996 */
#define EDNS_OPT_NSID 3		/* RFC 5001 */
#define EDNS_OPT_EDE 15		/* RFC 8914 */

/* The fields every query's answer reads come first, together (the burst
 * pipeline keeps dozens of these in L1); the label offsets and the buffer
 * of a compressed question name last. */
struct qry {
	/* the question name: uncompressed, the case exactly as sent; in the
	 * packet itself (which must outlive this struct), or in qbuf when
	 * the question used a compression pointer.  A response written over
	 * its own query (in place) echoes the question at the same offset,
	 * so these bytes stay as they are; everything after the question
	 * (OPT included) is read into this struct before any is written. */
	const uint8_t *qname;
	/* Computed while the question is unpacked (valid when has_q), so the
	 * zone index, the owner lookup and the writer never walk qname again:
	 * qhash = dname_hash(qname) (the value the snapshot buckets hold),
	 * qlabels its label count, qlo[i] the offset of label i's length. */
	uint64_t qhash;
	uint16_t id;
	uint16_t qtype, qclass;
	uint16_t payload;	/* requestor's UDP payload size, as sent (edns) */
	uint8_t opcode;
	bool rd, cd;
	bool has_q;		/* the question was read: echo it */
	uint8_t qname_len;	/* wire length of qname */
	uint8_t qlabels;
	/* EDNS (valid when edns): an OPT RR was read; in a FORMERR it is
	 * to be trusted only when the message has no question (qry_parse
	 * then reads every record, and keeps edns only when all are
	 * well-formed: the response carries an OPT, RFC 6891 §7) */
	bool edns;
	bool do_bit;		/* RFC 3225 */
	bool nsid;		/* an NSID option was present (RFC 5001 §2.1) */
	bool tsig;		/* a TSIG record was present (RFC 8945): the
				   signed path verifies it and signs the answer */
	uint8_t edns_ver;
	/* DNS Cookies (RFC 7873): cookie_len, the COOKIE option's length as
	 * sent (0: none; else 8 or 16..40, others are FORMERR), its bytes in
	 * cookie; once the burst has checked it (dataplane/cookie.h),
	 * cookie_len is CK_RESP_LEN and cookie the response's option, and
	 * cookie_ok says the query presented a valid server cookie (RFC 7873
	 * §5.2.5: a client proven to receive at its address, which rate
	 * limiting may exempt) */
	uint8_t cookie_len;
	bool cookie_ok;
	uint8_t qlo[DNAME_LABELS_MAX];
	uint8_t qbuf[DNAME_MAX];
	uint8_t cookie[CK_OPT_MAX];
};

/* Parses q[0..len) into *out; returns an enum qry_status.  Fields of *out
 * that were read before an error stay valid (has_q, edns say which). */
enum qry_status qry_parse(const uint8_t *q, size_t len, struct qry *out);

#endif
