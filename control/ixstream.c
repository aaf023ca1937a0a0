/*
 * ixstream.c - the steps of an IXFR response's incremental form
 * (ixstream.h).  A SOA switches the step from its deletions to its
 * additions, and from its additions to the next step's deletions; the
 * step's SOAs go in its lists (zones/zdiff.h).  A SOA with the new
 * version's serial after the additions of a step that reached that serial
 * closes the response: no step can start at the last version.
 */
#include "control/ixstream.h"

#include <errno.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/rrtype.h"

enum { IXS_START, IXS_DEL, IXS_ADD, IXS_DONE };

void ixs_begin(struct ixs *s, FILE *out, const uint8_t *origin, uint32_t end)
{
	memset(s, 0, sizeof *s);
	s->out = out;
	s->origin = origin;
	s->end = end;
	s->phase = IXS_START;
}

static uint32_t serial_of(const struct zdf_rec *r)
{
	const uint8_t *p = r->rd + r->rdlen - 20;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool put(struct zdf_list *l, const struct zdf_rec *r)
{
	return zdf_put(l, r->owner, r->type, r->ttl, r->rd, r->rdlen);
}

/* The step read so far, out to the file. */
static int flush_step(struct ixs *s, char *err, size_t errcap)
{
	struct zdiff d = { .from = s->from, .to = s->to, .del = s->del.p,
			   .del_len = s->del.len, .ndel = s->del.n, .add = s->add.p,
			   .add_len = s->add.len, .nadd = s->add.n };
	if (!zdf_write(s->out, &d)) {
		snprintf(err, errcap, "writing the steps: %s", strerror(errno));
		return -1;
	}
	s->steps++;
	s->del.len = s->add.len = 0;
	s->del.n = s->add.n = 0;
	return 0;
}

/* A SOA: the next part of the response starts. */
static int take_soa(struct ixs *s, const struct zdf_rec *r, char *err, size_t errcap)
{
	uint32_t serial = serial_of(r);
	if (s->phase == IXS_DEL) {
		s->to = serial;
		s->phase = IXS_ADD;
		return put(&s->add, r) ? 0 : -1;
	}
	if (s->phase == IXS_ADD) {
		if (flush_step(s, err, errcap) < 0)
			return -1;
		if (serial == s->end && s->to == s->end) {
			s->phase = IXS_DONE;
			return 0;
		}
	}
	s->from = serial;
	s->phase = IXS_DEL;
	return put(&s->del, r) ? 0 : -1;
}

int ixs_take(struct ixs *s, const struct zdf_rec *r, char *err, size_t errcap)
{
	if (s->phase == IXS_DONE) {
		snprintf(err, errcap, "records after the closing SOA");
		return -1;
	}
	err[0] = 0;
	s->records++;
	int rc;
	if (r->type == RR_SOA) {
		if (!dname_eq(r->owner, s->origin)) {
			char o[DNAME_TEXT_MAX];
			dname_to_text(o, sizeof o, r->owner);
			snprintf(err, errcap, "a SOA record at %.200s, not at the zone's apex", o);
			return -1;
		}
		rc = take_soa(s, r, err, errcap);
	} else if (s->phase == IXS_START) {
		snprintf(err, errcap, "the steps do not start with a SOA");
		return -1;
	} else {
		rc = put(s->phase == IXS_DEL ? &s->del : &s->add, r) ? 0 : -1;
	}
	if (rc < 0 && !err[0])
		snprintf(err, errcap, "out of memory reading the steps");
	return rc;
}

bool ixs_done(const struct ixs *s)
{
	return s->phase == IXS_DONE;
}

void ixs_free(struct ixs *s)
{
	zdf_list_free(&s->del);
	zdf_list_free(&s->add);
}
