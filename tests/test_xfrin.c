/*
 * test_xfrin.c - a transfer response as a secondary reads it
 * (control/xfrin.c xfi_read_stream), from bytes: the records it takes
 * into the zone's text, and the ones it refuses.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "control/ctl.h"
#include "zones/dname.h"
#include "zones/rrtype.h"

#define ID 0x4242

/* A response stream being built: messages with their 2-byte lengths. */
struct stream {
	uint8_t b[4096];
	size_t len;
	size_t msg;	/* where the message being built starts (its length) */
};

static void put(struct stream *s, const void *p, size_t n)
{
	cr_assert(s->len + n <= sizeof s->b);
	if (n)
		memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void put16(struct stream *s, unsigned v)
{
	put(s, (uint8_t[]){ (uint8_t)(v >> 8), (uint8_t)v }, 2);
}

static void put32(struct stream *s, uint32_t v)
{
	put16(s, v >> 16);
	put16(s, v & 0xffff);
}

static void put_name(struct stream *s, const char *text)
{
	uint8_t n[DNAME_MAX];
	cr_assert(dname_from_text(n, text, strlen(text), NULL) >= 0);
	put(s, n, dname_len(n));
}

/* Starts a message of ancount records, answering AXFR for example.com. */
static void msg_begin(struct stream *s, unsigned ancount)
{
	s->msg = s->len;
	put16(s, 0);
	put16(s, ID);
	put16(s, 0x8400);	/* QR, AA */
	put16(s, 1);
	put16(s, ancount);
	put16(s, 0);
	put16(s, 0);
	put_name(s, "example.com.");
	put16(s, RR_AXFR);
	put16(s, RR_CLASS_IN);
}

static void msg_end(struct stream *s)
{
	size_t n = s->len - s->msg - 2;
	s->b[s->msg] = (uint8_t)(n >> 8);
	s->b[s->msg + 1] = (uint8_t)n;
}

static void rr(struct stream *s, const char *owner, uint16_t type, const void *rd,
	       uint16_t rdlen)
{
	put_name(s, owner);
	put16(s, type);
	put16(s, RR_CLASS_IN);
	put32(s, 300);
	put16(s, rdlen);
	put(s, rd, rdlen);
}

static void soa(struct stream *s, uint32_t serial)
{
	struct stream r = { .len = 0 };
	put_name(&r, "ns1.example.com.");
	put_name(&r, "hostmaster.example.com.");
	put32(&r, serial);
	for (int i = 0; i < 4; i++)
		put32(&r, 3600);
	rr(s, "example.com.", RR_SOA, r.b, (uint16_t)r.len);
}

/* Reads stream s as the answer to an AXFR of example.com. with no
 * version served: the form, the zone's text (*text, malloc'd) and err. */
static int read_axfr(const struct stream *s, char **text, char *err, size_t errcap)
{
	uint8_t origin[DNAME_MAX];
	cr_assert(dname_from_text(origin, "example.com.", 12, NULL) >= 0);
	int fd = memfd_create("test-xfrin", MFD_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, s->b, s->len), (ssize_t)s->len);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	size_t tlen;
	FILE *out = open_memstream(text, &tlen);
	cr_assert(out);
	struct xfi_stream q = { .zone = "example.com.", .origin = origin, .id = ID, .out = out };
	int form = xfi_read_stream(fd, &q, err, errcap);
	fclose(out);
	close(fd);
	return form;
}

Test(xfrin, axfr_records_as_text)
{
	struct stream s = { .len = 0 };
	msg_begin(&s, 3);
	soa(&s, 7);
	rr(&s, "www.example.com.", RR_A, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	soa(&s, 7);
	msg_end(&s);
	char *text = NULL, err[512];
	cr_assert_eq(read_axfr(&s, &text, err, sizeof err), XFI_ZONE, "%s", err);
	cr_assert(strstr(text, "www.example.com. 300 IN A 198.18.0.1\n"), "%s", text);
	free(text);
}

/* Found by the fuzz target xfr: a record of type ANY (and any other meta
 * or query type, or type 0) was taken into the zone's text, which the
 * zone-file parser then refused: the transfer failed only at the load,
 * on a line of a temporary file.  It is refused as it arrives now. */
Test(xfrin, meta_types_refused)
{
	static const uint16_t types[] = { RR_ANY, RR_AXFR, RR_OPT, RR_TSIG, 0, 128 };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct stream s = { .len = 0 };
		msg_begin(&s, 3);
		soa(&s, 7);
		rr(&s, "x.example.com.", types[i], NULL, 0);
		soa(&s, 7);
		msg_end(&s);
		char *text = NULL, err[512];
		cr_assert_eq(read_axfr(&s, &text, err, sizeof err), XFI_FAILED, "type %u",
			     types[i]);
		cr_assert(strstr(err, "x.example.com. has type") &&
			  strstr(err, "meta or query type"), "%s", err);
		free(text);
	}
}
