/*
 * axfr.h - a zone as AXFR response messages (RFC 5936 §2.2), written from
 * its compiled snapshot image: the SOA, every RRset of every name with the
 * RRSIGs that cover it, the SOA again.  ringdns-control streams these over
 * the connection a secondary opened; the image is the version the
 * dataplane serves, so what is transferred is exactly what is answered.
 */
#ifndef RINGDNS_AXFR_H
#define RINGDNS_AXFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct snap;

/* Receives one complete DNS message (without the TCP length prefix);
 * returns 0 to go on, non-zero to stop (axfr_write then returns -1). */
typedef int (*axfr_emit_fn)(void *ud, const uint8_t *msg, size_t len);

/* The query being answered. */
struct axfr_query {
	uint16_t id;		/* echoed in every message */
	const uint8_t *qname;	/* wire form, as received (its case is echoed) */
	size_t qname_len;
	uint16_t qtype;		/* echoed in the first message's question */
	uint16_t qclass;
	uint16_t flags;		/* the query's flags word: RD is echoed */
};

/*
 * Writes the whole zone of s as messages of at most msg_max bytes (512 ..
 * 65535; a record too large for one message on its own fails the
 * transfer) and hands each to emit.  Every message: the query's ID, QR and
 * AA set, opcode QUERY, RCODE NOERROR; the first holds the question, the
 * others none; names compressed within each message (zones/rwrite.h).
 * Returns the number of messages, or -1 with a reason in err.
 */
long axfr_write(const struct snap *s, const struct axfr_query *q, size_t msg_max,
		axfr_emit_fn emit, void *ud, char *err, size_t errcap);

/*
 * The message writer axfr_write uses, for other transfer responses
 * (IXFR): axm_begin starts the first message (with the question),
 * axm_put adds a record, starting the next message when the current one
 * is full, axm_end sends the last message and frees the writer; it
 * returns the number of messages or -1 (err set by whichever step
 * failed; after a failed axm_put only axm_end remains to call).
 */
struct axm;
struct axm *axm_begin(const struct axfr_query *q, size_t msg_max, axfr_emit_fn emit,
		      void *ud, char *err, size_t errcap);
int axm_put(struct axm *m, const uint8_t *owner, uint16_t type, uint32_t ttl,
	    const uint8_t *rdata, uint16_t rdlen);
long axm_end(struct axm *m, bool ok);

#endif
