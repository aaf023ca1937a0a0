/*
 * dnsmsg.c - DNS messages for the answer-engine tests (see dnsmsg.h).
 * Written for clarity, not speed: responses are small and few.
 */
#include "tests/dnsmsg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/wire.h"

const char *const dm_sect_name[DM_NSECT] = { "answer", "authority", "additional" };

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
	"RCODE12", "RCODE13", "RCODE14", "RCODE15", "BADVERS", "BADKEY",
	"BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
};
#define NRCODE (sizeof rcode_names / sizeof rcode_names[0])

const char *dm_rcode_name(unsigned rcode)
{
	static char buf[4][16];
	static unsigned k;
	if (rcode < NRCODE)
		return rcode_names[rcode];
	char *b = buf[k++ % 4];
	snprintf(b, sizeof buf[0], "RCODE%u", rcode);
	return b;
}

int dm_rcode_from_text(const char *s, unsigned *out)
{
	for (unsigned i = 0; i < NRCODE; i++)
		if (strcasecmp(s, rcode_names[i]) == 0) {
			*out = i;
			return 0;
		}
	if (strncasecmp(s, "RCODE", 5) == 0 && isdigit((unsigned char)s[5])) {
		*out = (unsigned)strtoul(s + 5, NULL, 10);
		return 0;
	}
	return -1;
}

static void errf(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

int dm_q_parse(const char *spec, struct dm_q *q, char *err, size_t errcap)
{
	memset(q, 0, sizeof *q);
	snprintf(q->spec, sizeof q->spec, "%s", spec);
	q->cls = RR_CLASS_IN;
	q->id = 0x5a5a;
	q->bufsize = 1232;
	q->opt_code = -1;
	char buf[512];
	snprintf(buf, sizeof buf, "%s", spec);
	char *save = NULL;
	char *name = strtok_r(buf, " \t", &save);
	char *type = strtok_r(NULL, " \t", &save);
	if (!name || !type) {
		errf(err, errcap, "'%s': expected NAME TYPE [+FLAG...]", spec);
		return -1;
	}
	if (dname_from_text(q->name, name, strlen(name), NULL) < 0) {
		errf(err, errcap, "'%s': bad name (absolute names only)", name);
		return -1;
	}
	if (rrtype_from_text(type, strlen(type), &q->type) < 0) {
		errf(err, errcap, "'%s': bad type", type);
		return -1;
	}
	for (char *f; (f = strtok_r(NULL, " \t", &save)) != NULL;) {
		if (strcmp(f, "+edns") == 0)
			q->edns = true;
		else if (strncmp(f, "+edns=", 6) == 0)
			q->edns = true, q->bufsize = (uint16_t)strtoul(f + 6, NULL, 10);
		else if (strcmp(f, "+do") == 0)
			q->edns = q->do_bit = true;
		else if (strcmp(f, "+tcp") == 0)
			q->tcp = true;
		else if (strcmp(f, "+rd") == 0)
			q->rd = true;
		else if (strcmp(f, "+cd") == 0)
			q->cd = true;
		else if (strcmp(f, "+ad") == 0)
			q->ad = true;
		else if (strcmp(f, "+aa") == 0)
			q->hdr |= 0x0400;
		else if (strcmp(f, "+tc") == 0)
			q->hdr |= 0x0200;
		else if (strcmp(f, "+ra") == 0)
			q->hdr |= 0x0080;
		else if (strcmp(f, "+z") == 0)
			q->hdr |= 0x0040;
		else if (strcmp(f, "+nsid") == 0)
			q->edns = q->nsid = true;
		else if (strcmp(f, "+twoopt") == 0)
			q->edns = q->twoopt = true;
		else if (strcmp(f, "+noqd") == 0)
			q->noqd = true;
		else if (strcmp(f, "+qr") == 0)
			q->qr = true;
		else if (strncmp(f, "+ednsver=", 9) == 0)
			q->edns = true, q->ednsver = (uint8_t)strtoul(f + 9, NULL, 10);
		else if (strncmp(f, "+opt=", 5) == 0)
			q->edns = true, q->opt_code = (int)strtoul(f + 5, NULL, 10);
		else if (strncmp(f, "+opcode=", 8) == 0)
			q->opcode = (uint8_t)strtoul(f + 8, NULL, 10);
		else if (strncmp(f, "+id=", 4) == 0)
			q->id = (uint16_t)strtoul(f + 4, NULL, 0);
		else if (strncmp(f, "+class=", 7) == 0) {
			if (rrclass_from_text(f + 7, strlen(f + 7), &q->cls) < 0) {
				errf(err, errcap, "'%s': bad class", f);
				return -1;
			}
		} else {
			errf(err, errcap, "'%s': unknown flag", f);
			return -1;
		}
	}
	return 0;
}

static bool put(uint8_t *buf, size_t cap, size_t *n, const void *p, size_t len)
{
	if (*n + len > cap)
		return false;
	memcpy(buf + *n, p, len);
	*n += len;
	return true;
}

static bool put16(uint8_t *buf, size_t cap, size_t *n, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return put(buf, cap, n, b, 2);
}

static bool put_opt(const struct dm_q *q, uint8_t *buf, size_t cap, size_t *n)
{
	uint8_t rdata[16];
	size_t rl = 0;
	if (q->nsid) {
		put16(rdata, sizeof rdata, &rl, 3);
		put16(rdata, sizeof rdata, &rl, 0);
	}
	if (q->opt_code >= 0) {
		put16(rdata, sizeof rdata, &rl, (unsigned)q->opt_code);
		put16(rdata, sizeof rdata, &rl, 0);
	}
	uint8_t root = 0;
	return put(buf, cap, n, &root, 1) && put16(buf, cap, n, RR_OPT) &&
	       put16(buf, cap, n, q->bufsize) && put16(buf, cap, n, q->ednsver) &&
	       put16(buf, cap, n, q->do_bit ? 0x8000 : 0) && put16(buf, cap, n, rl) &&
	       put(buf, cap, n, rdata, rl);
}

size_t dm_q_build(const struct dm_q *q, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	unsigned flags = (q->qr ? 0x8000u : 0) | (unsigned)(q->opcode & 15) << 11 |
			 (q->rd ? 0x0100u : 0) | (q->ad ? 0x0020u : 0) |
			 (q->cd ? 0x0010u : 0) | q->hdr;
	unsigned ar = q->edns ? (q->twoopt ? 2 : 1) : 0;
	bool ok = put16(buf, cap, &n, q->id) && put16(buf, cap, &n, flags) &&
		  put16(buf, cap, &n, q->noqd ? 0 : 1) && put16(buf, cap, &n, 0) &&
		  put16(buf, cap, &n, 0) && put16(buf, cap, &n, ar);
	if (ok && !q->noqd)
		ok = put(buf, cap, &n, q->name, dname_len(q->name)) &&
		     put16(buf, cap, &n, q->type) && put16(buf, cap, &n, q->cls);
	if (ok && q->edns)
		ok = put_opt(q, buf, cap, &n);
	if (ok && q->twoopt)
		ok = put_opt(q, buf, cap, &n);
	return ok ? n : 0;
}

size_t dm_query(uint8_t *buf, size_t cap, const char *name, uint16_t type,
		const struct dm_qopt *o)
{
	struct dm_q q;
	memset(&q, 0, sizeof q);
	snprintf(q.spec, sizeof q.spec, "%s TYPE%u", name, type);
	if (dname_from_text(q.name, name, strlen(name), NULL) < 0) {
		fprintf(stderr, "dm_query: bad name '%s'\n", name);
		abort();
	}
	q.type = type;
	q.cls = o->cls ? o->cls : RR_CLASS_IN;
	q.id = o->id ? o->id : 0x5a5a;
	q.hdr = (uint16_t)(o->f1 << 8 | o->f2);
	q.edns = o->edns;
	q.do_bit = o->do_bit;
	q.nsid = o->nsid;
	q.bufsize = o->payload ? o->payload : 1232;
	q.ednsver = o->ver;
	q.tcp = o->tcp;
	q.opt_code = -1;
	size_t n = dm_q_build(&q, buf, cap);
	if (n == 0) {
		fprintf(stderr, "dm_query: %zu octets too small for '%s'\n", cap, q.spec);
		abort();
	}
	return n;
}

size_t dm_query_text(uint8_t *buf, size_t cap, const char *spec, bool framed)
{
	struct dm_q q;
	char err[600];
	size_t at = framed ? 2 : 0;
	if (dm_q_parse(spec, &q, err, sizeof err) < 0) {
		fprintf(stderr, "dm_query_text: %s\n", err);
		abort();
	}
	size_t n = cap > at ? dm_q_build(&q, buf + at, cap - at) : 0;
	if (n == 0) {
		fprintf(stderr, "dm_query_text: %zu octets too small for '%s'\n", cap, spec);
		abort();
	}
	if (framed) {
		buf[0] = (uint8_t)(n >> 8);
		buf[1] = (uint8_t)n;
	}
	return n + at;
}

static void add_line(struct dm_resp *r, int s, const char *line)
{
	r->rr[s] = realloc(r->rr[s], (r->nrr[s] + 1) * sizeof *r->rr[s]);
	r->rr[s][r->nrr[s]++] = strdup(line);
}

static void hexcat(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t l = strlen(out);
	for (size_t i = 0; i < n && l + 3 < cap; i++, l += 2)
		snprintf(out + l, cap - l, "%02x", p[i]);
}

static void parse_opt(struct dm_resp *r, uint16_t cls, uint32_t ttl,
		      const uint8_t *rd, size_t rdlen)
{
	r->opt_size = cls;
	r->rcode |= (ttl >> 24) << 4;
	r->opt_ver = (uint8_t)(ttl >> 16);
	r->opt_do = (ttl & 0x8000) != 0;
	struct wire_cur c;
	wire_init(&c, rd, rdlen);
	while (wire_left(&c) >= 4) {
		uint16_t code = wire_u16(&c), ol = wire_u16(&c);
		const uint8_t *v = wire_take(&c, ol);
		if (!v)
			break;
		size_t l = strlen(r->opt_opts);
		char *o = r->opt_opts + l;
		size_t oc = sizeof r->opt_opts - l;
		if (code == 3) {
			snprintf(o, oc, "%snsid=", l ? " " : "");
			hexcat(o, oc, v, ol);
		} else if (code == 15 && ol >= 2) {
			/* EDE: INFO-CODE and text (RFC 8914 §2) */
			snprintf(o, oc, "%sede=%u:%.*s", l ? " " : "",
				 (unsigned)(v[0] << 8 | v[1]), (int)(ol - 2),
				 (const char *)v + 2);
		} else {
			snprintf(o, oc, "%sopt%u=", l ? " " : "", code);
			hexcat(o, oc, v, ol);
		}
	}
	if (!wire_done(&c))
		snprintf(r->err, sizeof r->err, "malformed OPT rdata");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dm_rr_text(const uint8_t *owner, uint32_t ttl, uint16_t cls, uint16_t type,
	       const uint8_t *rd, size_t rdlen, char *out, size_t cap)
{
	uint8_t o[DNAME_MAX];
	memcpy(o, owner, dname_len(owner));
	dname_lower(o);
	int l = dname_to_text(out, 1024, o);
	l += snprintf(out + l, cap - (size_t)l, " %u ", ttl);
	l += rrclass_to_text(cls, out + l, 32);
	out[l++] = ' ';
	l += rrtype_to_text(type, out + l, 32);
	out[l++] = ' ';
	return rdata_to_text(type, rd, rdlen, out + l, cap - (size_t)l) < 0 ? -1 : 0;
}

void dm_parse(const uint8_t *msg, size_t len, struct dm_resp *r)
{
	memset(r, 0, sizeof *r);
	r->len = len;
	struct wire_cur c;
	wire_init(&c, msg, len);
	r->id = wire_u16(&c);
	uint16_t fl = wire_u16(&c);
	r->qdcount = wire_u16(&c);
	unsigned count[DM_NSECT];
	for (int s = 0; s < DM_NSECT; s++)
		count[s] = wire_u16(&c);
	if (!wire_ok(&c)) {
		snprintf(r->err, sizeof r->err, "short message (%zu octets)", len);
		return;
	}
	r->qr = fl & 0x8000;
	r->opcode = (fl >> 11) & 15;
	r->aa = fl & 0x0400;
	r->tc = fl & 0x0200;
	r->rd = fl & 0x0100;
	r->ra = fl & 0x0080;
	r->z = fl & 0x0040;
	r->ad = fl & 0x0020;
	r->cd = fl & 0x0010;
	r->rcode = fl & 15;
	for (unsigned i = 0; i < r->qdcount; i++) {
		uint8_t name[DNAME_MAX];
		if (dname_unpack(&c, msg, len, name) < 0) {
			snprintf(r->err, sizeof r->err, "bad question name");
			return;
		}
		uint16_t t = wire_u16(&c), k = wire_u16(&c);
		if (i == 0) {
			dname_to_text(r->qname, sizeof r->qname, name);
			r->qtype = t;
			r->qclass = k;
		}
	}
	static uint8_t rd[65536];
	static char text[5 * 65536 + 2048];
	for (int s = 0; s < DM_NSECT; s++) {
		for (unsigned i = 0; i < count[s]; i++) {
			uint8_t owner[DNAME_MAX];
			if (dname_unpack(&c, msg, len, owner) < 0) {
				snprintf(r->err, sizeof r->err, "%s record %u: bad owner",
					 dm_sect_name[s], i);
				return;
			}
			uint16_t t = wire_u16(&c), k = wire_u16(&c);
			uint32_t ttl = wire_u32(&c);
			uint16_t rdlen = wire_u16(&c);
			if (!wire_ok(&c)) {
				snprintf(r->err, sizeof r->err, "%s record %u: truncated",
					 dm_sect_name[s], i);
				return;
			}
			if (t == RR_OPT) {
				const uint8_t *p = wire_take(&c, rdlen);
				r->nopt++;
				if (s != DM_AR || !dname_is_root(owner) || !p) {
					snprintf(r->err, sizeof r->err,
						 "OPT in %s or with a non-root owner",
						 dm_sect_name[s]);
					return;
				}
				if (r->nopt == 1)
					parse_opt(r, k, ttl, p, rdlen);
				continue;
			}
			int n = rdata_unpack(t, &c, rdlen, msg, len, rd, sizeof rd);
			if (n < 0) {
				snprintf(r->err, sizeof r->err, "%s record %u: bad rdata",
					 dm_sect_name[s], i);
				return;
			}
			if (dm_rr_text(owner, ttl, k, t, rd, (size_t)n, text, sizeof text) < 0) {
				snprintf(r->err, sizeof r->err, "%s record %u: rdata text",
					 dm_sect_name[s], i);
				return;
			}
			add_line(r, s, text);
		}
		if (r->nrr[s])
			qsort(r->rr[s], r->nrr[s], sizeof *r->rr[s], cmp_str);
	}
	if (wire_left(&c))
		snprintf(r->err, sizeof r->err, "%zu octets after the last record",
			 wire_left(&c));
	r->ok = r->err[0] == 0;
}

void dm_resp_free(struct dm_resp *r)
{
	for (int s = 0; s < DM_NSECT; s++) {
		for (size_t i = 0; i < r->nrr[s]; i++)
			free(r->rr[s][i]);
		free(r->rr[s]);
		r->rr[s] = NULL;
		r->nrr[s] = 0;
	}
}

void dm_resp_drop(struct dm_resp *r, int s, size_t i)
{
	free(r->rr[s][i]);
	memmove(&r->rr[s][i], &r->rr[s][i + 1], (r->nrr[s] - i - 1) * sizeof *r->rr[s]);
	r->nrr[s]--;
}

void dm_flags_text(const struct dm_resp *r, char *out, size_t cap)
{
	static const char *const names[] = { "qr", "aa", "tc", "rd", "ra", "z", "ad", "cd" };
	bool on[] = { r->qr, r->aa, r->tc, r->rd, r->ra, r->z, r->ad, r->cd };
	size_t l = 0;
	out[0] = 0;
	for (int i = 0; i < 8; i++)
		if (on[i] && l + 4 < cap)
			l += (size_t)snprintf(out + l, cap - l, "%s%s", l ? " " : "", names[i]);
}

static void cat(char *out, size_t cap, const char *fmt, ...)
{
	size_t l = strlen(out);
	if (l + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + l, cap - l, fmt, ap);
	va_end(ap);
}

void dm_opt_text(const struct dm_resp *r, char *out, size_t cap)
{
	if (!r->nopt)
		snprintf(out, cap, "none");
	else
		snprintf(out, cap, "size=%u ver=%u%s%s%s%s", r->opt_size, r->opt_ver,
			 r->opt_do ? " do" : "", r->opt_opts[0] ? " " : "", r->opt_opts,
			 r->nopt > 1 ? " (several OPT RRs)" : "");
}

void dm_resp_print(const struct dm_resp *r, char *out, size_t cap)
{
	char fl[64], opt[600];
	out[0] = 0;
	if (!r->ok) {
		cat(out, cap, "  (unparsable: %s, %zu octets)\n", r->err, r->len);
		return;
	}
	dm_flags_text(r, fl, sizeof fl);
	dm_opt_text(r, opt, sizeof opt);
	char ty[32];
	rrtype_to_text(r->qtype, ty, sizeof ty);
	cat(out, cap, "  %s opcode %u flags [%s] id %u, %zu octets\n  question %s %s (qd %u)\n  opt %s\n",
	    dm_rcode_name(r->rcode), r->opcode, fl, r->id, r->len, r->qname, ty,
	    r->qdcount, opt);
	for (int s = 0; s < DM_NSECT; s++) {
		cat(out, cap, "  %s:\n", dm_sect_name[s]);
		for (size_t i = 0; i < r->nrr[s]; i++)
			cat(out, cap, "    %s\n", r->rr[s][i]);
	}
}

int dm_diff(const struct dm_resp *a, const char *la, const struct dm_resp *b,
	    const char *lb, char *out, size_t cap)
{
	int n = 0;
	if (!a->ok || !b->ok) {
		if (a->ok != b->ok || a->len != b->len) {
			cat(out, cap, "  parse: %s %s, %s %s\n", la, a->ok ? "ok" : a->err, lb,
			    b->ok ? "ok" : b->err);
			return 1;
		}
		return 0;
	}
	if (a->rcode != b->rcode)
		n++, cat(out, cap, "  rcode: %s %s, %s %s\n", la, dm_rcode_name(a->rcode), lb,
			 dm_rcode_name(b->rcode));
	if (a->opcode != b->opcode)
		n++, cat(out, cap, "  opcode: %s %u, %s %u\n", la, a->opcode, lb, b->opcode);
	if (a->id != b->id)
		n++, cat(out, cap, "  id: %s %u, %s %u\n", la, a->id, lb, b->id);
	char fa[64], fb[64];
	dm_flags_text(a, fa, sizeof fa);
	dm_flags_text(b, fb, sizeof fb);
	if (strcmp(fa, fb) != 0)
		n++, cat(out, cap, "  flags: %s [%s], %s [%s]\n", la, fa, lb, fb);
	if (a->qdcount != b->qdcount || strcmp(a->qname, b->qname) != 0 ||
	    a->qtype != b->qtype || a->qclass != b->qclass)
		n++, cat(out, cap, "  question: %s %u '%s' %u/%u, %s %u '%s' %u/%u\n", la,
			 a->qdcount, a->qname, a->qtype, a->qclass, lb, b->qdcount,
			 b->qname, b->qtype, b->qclass);
	char oa[600], ob[600];
	dm_opt_text(a, oa, sizeof oa);
	dm_opt_text(b, ob, sizeof ob);
	if (strcmp(oa, ob) != 0)
		n++, cat(out, cap, "  opt: %s %s, %s %s\n", la, oa, lb, ob);
	for (int s = 0; s < DM_NSECT; s++) {
		/* both lists are sorted: merge */
		size_t i = 0, j = 0;
		while (i < a->nrr[s] || j < b->nrr[s]) {
			int c = i == a->nrr[s] ? 1 : j == b->nrr[s] ? -1
					: strcmp(a->rr[s][i], b->rr[s][j]);
			if (c == 0) {
				i++, j++;
				continue;
			}
			n++;
			if (c < 0)
				cat(out, cap, "  %s: only %s: %s\n", dm_sect_name[s], la, a->rr[s][i++]);
			else
				cat(out, cap, "  %s: only %s: %s\n", dm_sect_name[s], lb, b->rr[s][j++]);
		}
	}
	return n;
}
