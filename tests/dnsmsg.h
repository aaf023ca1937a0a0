/*
 * dnsmsg.h - DNS messages for the engine and server tests: the one query
 * builder (from a one-line spec, or from values), and a response parsed into
 * a normalized, order-free form (each section a sorted list of records in
 * presentation form, owners lowercased) that two responses can be compared
 * in, with a readable difference.
 *
 * Query spec:  NAME TYPE [+FLAG...]
 *   NAME is sent exactly as written (case kept: 0x20 tests), TYPE a mnemonic
 *   or TYPEnnn.  Flags:
 *     +edns[=SIZE]  add an OPT RR (payload SIZE, default 1232)
 *     +do           set DO (implies +edns)
 *     +tcp          send over TCP (the engine gets tcp = true)
 *     +rd +cd +ad   header bits
 *     +aa +tc +ra +z  header bits a query should not carry (hostile clients)
 *     +class=C      QCLASS (IN, CH, ANY, CLASSnnn)
 *     +ednsver=N    EDNS version N
 *     +nsid         request NSID (RFC 5001)
 *     +opt=CODE     add an empty option of that code (unknown: ignored)
 *     +twoopt       add a second OPT RR (FORMERR, RFC 6891 §6.1.1)
 *     +opcode=N     header opcode
 *     +noqd         QDCOUNT = 0, no question
 *     +qr           QR set (must be dropped)
 *     +id=N         message ID (default 0x5a5a)
 */
#ifndef RINGDNS_TESTS_DNSMSG_H
#define RINGDNS_TESTS_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dm_q {
	char spec[512];		/* the spec line, for messages */
	uint8_t name[255];
	uint16_t type, cls, id;
	bool edns, do_bit, tcp, rd, cd, ad, nsid, twoopt, noqd, qr;
	uint16_t bufsize;
	uint8_t ednsver, opcode;
	int opt_code;		/* -1: none */
	uint16_t hdr;		/* more header flag bits, set as they are */
};

/* Parses a spec; 0, or -1 with a message in err. */
int dm_q_parse(const char *spec, struct dm_q *q, char *err, size_t errcap);
/* Builds the query message; returns its length (0 when cap is too small). */
size_t dm_q_build(const struct dm_q *q, uint8_t *buf, size_t cap);

/* A query from values, for tests that loop over names and types. */
struct dm_qopt {
	uint16_t cls;		/* 0: IN */
	uint16_t id;		/* 0: 0x5a5a */
	uint8_t f1, f2;		/* header flag octets as sent (opcode, RD, CD...) */
	bool edns, do_bit, nsid;
	uint16_t payload;	/* 0: 1232 */
	uint8_t ver;		/* EDNS version */
	bool tcp;		/* for the caller's transport; not in the bytes */
};

/*
 * The query for name (text, absolute) and type with o's settings, built by
 * dm_q_build.  Returns its length; aborts on a bad name or a small buffer
 * (test inputs are the test's own, not data).
 */
size_t dm_query(uint8_t *buf, size_t cap, const char *name, uint16_t type,
		const struct dm_qopt *o);

/* The query of a spec; framed: preceded by its two-octet length, as on TCP
 * (RFC 1035 §4.2.2).  Returns the bytes written; aborts on a bad spec. */
size_t dm_query_text(uint8_t *buf, size_t cap, const char *spec, bool framed);

enum { DM_AN, DM_NS, DM_AR, DM_NSECT };

struct dm_resp {
	bool ok;		/* parsed; else err says why */
	char err[160];
	size_t len;		/* message octets */
	uint16_t id;
	uint8_t opcode;
	unsigned rcode;		/* with the OPT extended bits (RFC 6891 §6.1.3) */
	bool qr, aa, tc, rd, ra, z, ad, cd;
	unsigned qdcount;
	char qname[1024];	/* as in the message: case kept */
	uint16_t qtype, qclass;
	/* OPT (removed from the additional section) */
	unsigned nopt;
	uint16_t opt_size;
	uint8_t opt_ver;
	bool opt_do;
	char opt_opts[512];	/* "nsid=HEX ede=CODE:TEXT opt65001=HEX" */
	/* sections: "owner TTL CLASS TYPE RDATA", owner lowercased, sorted */
	char **rr[DM_NSECT];
	size_t nrr[DM_NSECT];
};

/* Parses msg[0..len) into r (free with dm_resp_free). */
void dm_parse(const uint8_t *msg, size_t len, struct dm_resp *r);

/* One record as dm_parse lists it: "owner ttl class type rdata", the
 * owner lowercased, into out (cap bytes; at least 1024 + the rdata's text).
 * -1 when the rdata has no text form. */
int dm_rr_text(const uint8_t *owner, uint32_t ttl, uint16_t cls, uint16_t type,
	       const uint8_t *rd, size_t rdlen, char *out, size_t cap);
void dm_resp_free(struct dm_resp *r);
/* Removes the record at index i of section s. */
void dm_resp_drop(struct dm_resp *r, int s, size_t i);

/* Text of an RCODE ("NOERROR", "BADVERS", "RCODE23"), FLAGS ("qr aa rd"). */
const char *dm_rcode_name(unsigned rcode);
int dm_rcode_from_text(const char *s, unsigned *out);
void dm_flags_text(const struct dm_resp *r, char *out, size_t cap);
extern const char *const dm_sect_name[DM_NSECT];

/* The OPT summary: "none", or "size=1232 ver=0 do nsid=..." */
void dm_opt_text(const struct dm_resp *r, char *out, size_t cap);

/* Writes the response in a dig-like form into out (always terminated). */
void dm_resp_print(const struct dm_resp *r, char *out, size_t cap);

/*
 * Compares two responses field by field (rcode, opcode, flags, question,
 * OPT, each section as a set).  Returns the number of differences and
 * appends one line per difference to out, naming a and b by la and lb.
 */
int dm_diff(const struct dm_resp *a, const char *la, const struct dm_resp *b,
	    const char *lb, char *out, size_t cap);

#endif
