/*
 * xfrin.c - the secondary role: a zone with primaries is kept up to date
 * by SOA checks and zone transfers (AXFR, RFC 5936), on the timers of its
 * SOA (RFC 1035 §3.3.13: refresh, retry, expire).
 *
 * A check runs in a child process, so that a slow or hostile primary
 * holds up nothing: it asks the primaries in turn for their SOA (UDP),
 * compares serials (RFC 1982), and when a primary has a newer one
 * transfers the zone over TCP into a temporary file beside the zone's
 * file (written, then fsync'd).  With a version served it asks by IXFR
 * (RFC 1995 §3: the served SOA in the authority section) and takes the
 * answer in whichever form it comes (§4): one SOA (up to date; a newer
 * serial there means "ask by AXFR"), the whole zone as AXFR gives it
 * (the same file), or the steps from our version to the primary's, which
 * go to a file of their own (control/ixstream.h) that the control
 * process applies (control/ixfrload.c).  A primary that answers IXFR
 * with FORMERR, NOTIMP or REFUSED is asked by AXFR.  Every message is checked as it comes:
 * the ID, the RCODE, TSIG (RFC 8945) when the zone has a key, the first
 * and the last record the SOA of the zone with one serial, every owner in
 * the zone, the configured size limit.  The control process then loads
 * that file as any zone file (its checks, the compiler), serves it and
 * only then renames it over the zone's file: a transfer that is refused,
 * cut, garbage or fails the checks changes nothing, and a restart serves
 * the last good version at once before it checks the primary.
 *
 * A primary configured with TLS is asked both over one XFR-over-TLS
 * connection (RFC 9103; control/xstream.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/crashpt.h"
#include "common/ipc.h"
#include "common/log.h"
#include "control/ctl.h"
#include "common/tsig.h"
#include "control/ixstream.h"
#include "control/xstream.h"
#include "control/zdfile.h"
#include "zones/dname.h"
#include "zones/limits.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/wire.h"

#define XIN_UDP_WAIT_MS 2000	/* per SOA query */
#define XIN_TCP_WAIT_MS 10000	/* connect, and each read of a transfer */
#define XIN_MSG_MAX 65535
#define XIN_LINE_MAX (DNAME_TEXT_MAX + 5 * 65536 + 64)
#define XIN_REAP_MS 1000	/* SIGCHLD wakes the loop when a check ends;
				   this is a safety net */

/* A check's outcome (its exit status); XIN_BY_AXFR only within the child:
 * the IXFR answer says to ask by AXFR. */
enum { XIN_NEW = 0, XIN_FAILED = 1, XIN_UPTODATE = 10, XIN_IXFR = 11, XIN_BY_AXFR = 12 };

/* One check (the child's state). */
struct xin {
	const char *zone;
	uint8_t origin[DNAME_MAX];
	const struct cfg_zone *cz;
	const struct tsig_key *key;	/* NULL: unsigned */
	bool have;			/* a version is served: compare serials */
	uint32_t serial;		/* ... that version's */
	struct af *out;			/* where a new version goes (named) */
	struct af *steps;		/* where the steps of an IXFR go (named) */
	bool ixfr;			/* ask by IXFR, with the served SOA: */
	uint8_t soa[512];
	uint16_t soa_len;
	uint32_t soa_ttl;
	unsigned rcode;			/* of the last response */
	uint64_t max_bytes;		/* transfer size limit */
	uint64_t max_records;		/* records in a transfer (zone-max-records) */
	struct tsig_ctx tc;		/* the exchange in progress, with a key */
	char err[512];
};

/* ---- messages ---- */

/* A query for the zone's apex of type qtype; returns its length. */
static size_t make_query(struct xin *x, uint8_t *q, size_t cap, uint16_t qtype,
			 uint16_t *id)
{
	getrandom(id, sizeof *id, 0);
	size_t ol = dname_len(x->origin);
	memset(q, 0, 12);
	q[0] = (uint8_t)(*id >> 8);
	q[1] = (uint8_t)*id;
	q[5] = 1;
	memcpy(q + 12, x->origin, ol);
	uint8_t *t = q + 12 + ol;
	t[0] = (uint8_t)(qtype >> 8);
	t[1] = (uint8_t)qtype;
	t[2] = 0;
	t[3] = RR_CLASS_IN;
	size_t len = 12 + ol + 4;
	if (qtype == RR_IXFR) {
		/* RFC 1995 §3: our version's SOA in the authority section */
		uint8_t *a = q + len;
		if (len + 12 + x->soa_len > cap)
			return 0;
		a[0] = 0xc0;
		a[1] = 12;
		a[2] = 0;
		a[3] = RR_SOA;
		a[4] = 0;
		a[5] = RR_CLASS_IN;
		for (int i = 0; i < 4; i++)
			a[6 + i] = (uint8_t)(x->soa_ttl >> (24 - 8 * i));
		a[10] = (uint8_t)(x->soa_len >> 8);
		a[11] = (uint8_t)x->soa_len;
		memcpy(a + 12, x->soa, x->soa_len);
		len += 12 + x->soa_len;
		q[9] = 1;
	}
	if (x->key)
		len = tsig_sign_query(&x->tc, x->key, q, len, cap, (uint64_t)time(NULL));
	return len;
}

/* The header checks of a response to query id: QR, the ID, RCODE
 * NOERROR; TSIG when the zone has a key (removed from msg). */
static bool response_ok(struct xin *x, uint8_t *m, size_t *len, uint16_t id,
			const char *peer)
{
	static const char *const rc[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					  "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
					  "NXRRSET", "NOTAUTH", "NOTZONE" };
	x->rcode = 0;
	if (*len < 12 || !(m[2] & 0x80) || (m[0] << 8 | m[1]) != id) {
		snprintf(x->err, sizeof x->err, "%s: not a response to our query", peer);
		return false;
	}
	unsigned rcode = m[3] & 15;
	x->rcode = rcode;
	if (x->key) {
		char terr[256];
		int t = tsig_verify_response(&x->tc, m, len, (uint64_t)time(NULL), terr,
					     sizeof terr);
		if (t != 0) {
			snprintf(x->err, sizeof x->err, "%s: TSIG: %s", peer, terr);
			return false;
		}
	}
	if (rcode != 0) {
		snprintf(x->err, sizeof x->err, "%s answered %s", peer,
			 rcode < sizeof rc / sizeof rc[0] ? rc[rcode] : "an error");
		return false;
	}
	return true;
}

/* Skips the question section of m; false when malformed. */
static bool skip_question(struct wire_cur *c, const uint8_t *m, size_t len)
{
	unsigned qd = (unsigned)(m[4] << 8 | m[5]);
	uint8_t name[DNAME_MAX];
	for (unsigned i = 0; i < qd; i++) {
		if (dname_unpack(c, m, len, name) < 0)
			return false;
		wire_u32(c);
	}
	return wire_ok(c);
}

/* One record read from a message: owner and rdata uncompressed. */
struct xrr {
	uint8_t owner[DNAME_MAX];
	uint16_t type, cls;
	uint32_t ttl;
	uint8_t rd[XIN_MSG_MAX];
	int rdlen;
};

static bool read_rr(struct wire_cur *c, const uint8_t *m, size_t len, struct xrr *r)
{
	if (dname_unpack(c, m, len, r->owner) < 0)
		return false;
	r->type = wire_u16(c);
	r->cls = wire_u16(c);
	r->ttl = wire_u32(c);
	uint16_t rdlen = wire_u16(c);
	if (!wire_ok(c))
		return false;
	r->rdlen = rdata_unpack(r->type, c, rdlen, m, len, r->rd, sizeof r->rd);
	return r->rdlen >= 0 && rdata_check(r->type, r->rd, (size_t)r->rdlen) == 0;
}

/* The serial of SOA rdata (uncompressed). */
static uint32_t soa_serial(const struct xrr *r)
{
	const uint8_t *p = r->rd + r->rdlen - 20;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- sockets ---- */

/* common/ipc.h's wait (EINTR retried) for ms milliseconds from now. */
static int wait_for(int fd, short events, int ms)
{
	return ipc_wait_fd(fd, events, ipc_now_ms() + ms);
}

static int connect_to(const struct cfg_remote *p, int type)
{
	int fd = socket(p->addr.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The SOA query q over p's XoT connection (RFC 9103 lets an XoT
 * secondary send it over TLS too, where it does not show the serial to
 * the path), which is then kept for the transfer; the answer's length,
 * or -1 (x->err). */
static ssize_t soa_over_tls(struct xin *x, const struct cfg_remote *p, const uint8_t *q,
			    size_t ql, uint8_t *m, size_t cap)
{
	struct xs s;
	bool eof;
	if (xs_connect(&s, p, XIN_TCP_WAIT_MS, x->err, sizeof x->err) != 0)
		return -1;
	long n = xs_send_msg(&s, q, ql) == 0 ? xs_recv_msg(&s, m, cap, &eof) : -1;
	if (n < 0) {
		snprintf(x->err, sizeof x->err, "%s: no answer to the SOA query over TLS: %s",
			 p->text, errno ? strerror(errno) : "connection closed");
		xs_close(&s);
		return -1;
	}
	xs_keep(&s, p);
	return n;
}

/* ---- the SOA check ---- */

/* The primary's serial: 1 when it answered with the zone's SOA, 0 when
 * it must be asked by a transfer (truncated), -1 on failure (x->err). */
static int soa_check(struct xin *x, const struct cfg_remote *p, uint32_t *serial)
{
	uint8_t q[512], m[XIN_MSG_MAX];
	uint16_t id;
	size_t ql = make_query(x, q, sizeof q, RR_SOA, &id);
	ssize_t n;
	if (p->tls && ql) {
		if ((n = soa_over_tls(x, p, q, ql, m, sizeof m)) < 0)
			return -1;
	} else {
		int fd = connect_to(p, SOCK_DGRAM);
		if (fd < 0 || ql == 0 || send(fd, q, ql, 0) != (ssize_t)ql) {
			snprintf(x->err, sizeof x->err, "%s: %s", p->text, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		n = wait_for(fd, POLLIN, XIN_UDP_WAIT_MS) == 1 ? recv(fd, m, sizeof m, 0) : -1;
		close(fd);
	}
	size_t len = n > 0 ? (size_t)n : 0;
	if (n <= 0) {
		snprintf(x->err, sizeof x->err, "%s: no answer to the SOA query", p->text);
		return -1;
	}
	if (len >= 12 && (m[2] & 0x02))
		return 0;	/* TC: the transfer will tell */
	if (!response_ok(x, m, &len, id, p->text))
		return -1;
	struct wire_cur c;
	wire_init(&c, m, len);
	wire_take(&c, 12);
	static struct xrr rr;
	unsigned an = (unsigned)(m[6] << 8 | m[7]);
	if (skip_question(&c, m, len))
		for (unsigned i = 0; i < an && read_rr(&c, m, len, &rr); i++)
			if (rr.type == RR_SOA && dname_eq(rr.owner, x->origin)) {
				*serial = soa_serial(&rr);
				return 1;
			}
	snprintf(x->err, sizeof x->err, "%s: no SOA of the zone in its answer", p->text);
	return -1;
}

/* ---- the transfer ---- */

/* The transfer in progress: its files and what was seen. */
struct xfer {
	FILE *out;		/* the zone as text (AXFR, or IXFR's AXFR form) */
	unsigned nrr;		/* lines written to it */
	uint32_t serial;	/* the first SOA's */
	bool have_serial;	/* ... seen */
	bool serial_checked;	/* ... against the served one */
	bool done;		/* the closing SOA came */
	uint64_t bytes;
	unsigned nmsg;
	unsigned seen;		/* records read */
	bool ixfr;		/* asked by IXFR: the first two records tell the form */
	enum { XF_UNDECIDED, XF_AXFR, XF_INCR } form;
	FILE *steps;		/* the incremental form's steps */
	struct ixs ix;
	struct xrr first;	/* an IXFR's first record, until the form is known */
	char line[XIN_LINE_MAX];
};

/* Whether r's owner is in the zone and its class IN (else x->err). */
static bool in_zone(struct xin *x, const struct xrr *r, const char *peer)
{
	if (dname_in(r->owner, x->origin) && r->cls == RR_CLASS_IN)
		return true;
	char o[DNAME_TEXT_MAX];
	dname_to_text(o, sizeof o, r->owner);
	snprintf(x->err, sizeof x->err, "%s: record %.200s is not in zone %s (class %u)", peer, o,
		 x->zone, r->cls);
	return false;
}

/* Whether r may be zone data (else x->err): RFC 6895 §3.1 keeps the meta
 * and query types (OPT, TSIG, AXFR, ANY...) out of zones, and type 0 is
 * reserved; a zone file could not hold the record. */
static bool zone_data(struct xin *x, const struct xrr *r, const char *peer)
{
	if (r->type != 0 && !rrtype_is_meta(r->type))
		return true;
	char o[DNAME_TEXT_MAX];
	dname_to_text(o, sizeof o, r->owner);
	snprintf(x->err, sizeof x->err, "%s: record %.200s has type %u, a meta or query type "
		 "that cannot be zone data", peer, o, r->type);
	return false;
}

static struct zdf_rec zrec(const struct xrr *r)
{
	return (struct zdf_rec){ .owner = r->owner, .type = r->type, .ttl = r->ttl, .rd = r->rd,
				 .rdlen = (uint16_t)r->rdlen };
}

static bool is_apex_soa(const struct xin *x, const struct xrr *r)
{
	return r->type == RR_SOA && dname_eq(r->owner, x->origin);
}

/* One record of the transfer: checked, then written as a line. */
static bool take_rr(struct xin *x, struct xfer *t, const struct xrr *r, const char *peer)
{
	if (t->done) {
		snprintf(x->err, sizeof x->err, "%s: records after the closing SOA", peer);
		return false;
	}
	bool soa = is_apex_soa(x, r);
	if (t->nrr == 0) {
		if (!soa) {
			snprintf(x->err, sizeof x->err, "%s: transfer does not start with the SOA",
				 peer);
			return false;
		}
		t->serial = soa_serial(r);
		t->have_serial = true;
	} else if (soa) {
		if (soa_serial(r) != t->serial) {
			snprintf(x->err, sizeof x->err, "%s: SOA serial changed within the transfer "
				 "(%u, then %u)", peer, t->serial, soa_serial(r));
			return false;
		}
		t->done = true;
		return true;
	}
	if (!in_zone(x, r, peer))
		return false;
	struct zdf_rec zr = zrec(r);
	if (zdf_rec_text(&zr, t->line, sizeof t->line) < 0)
		return false;
	fprintf(t->out, "%s\n", t->line);
	t->nrr++;
	return true;
}

/* A record of an IXFR's incremental form: checked, into its step. */
static bool take_step_rr(struct xin *x, struct xfer *t, const struct xrr *r, const char *peer)
{
	if (!in_zone(x, r, peer))
		return false;
	char err[256];
	struct zdf_rec zr = zrec(r);
	if (ixs_take(&t->ix, &zr, err, sizeof err) < 0) {
		snprintf(x->err, sizeof x->err, "%s: IXFR: %s", peer, err);
		return false;
	}
	t->done = ixs_done(&t->ix);
	return true;
}

/* Any record of the transfer.  An IXFR answer's form shows in its first
 * two records (RFC 1995 §4): the new SOA, then the SOA of our version
 * (the incremental form), or anything else (the whole zone). */
static bool take_any(struct xin *x, struct xfer *t, const struct xrr *r, const char *peer)
{
	/* the whole zone's records and its closing SOA, which repeats the
	 * first (RFC 5936 §2.2); the incremental form deletes as well as
	 * adds, so its result is checked when applied */
	t->seen++;
	if (x->max_records && t->seen > x->max_records + 1 && t->form != XF_INCR) {
		char msg[96];
		zone_limit_records_msg(msg, sizeof msg, x->max_records);
		snprintf(x->err, sizeof x->err, "%s: transfer of %s %s", peer, x->zone, msg);
		return false;
	}
	if (!zone_data(x, r, peer))
		return false;
	if (!t->ixfr || t->form == XF_AXFR)
		return take_rr(x, t, r, peer);
	if (t->form == XF_INCR)
		return take_step_rr(x, t, r, peer);
	if (t->seen == 1) {
		if (!is_apex_soa(x, r)) {
			snprintf(x->err, sizeof x->err, "%s: transfer does not start with the SOA",
				 peer);
			return false;
		}
		t->first = *r;
		t->serial = soa_serial(r);
		t->have_serial = true;
		return true;
	}
	if (is_apex_soa(x, r) && soa_serial(r) != t->serial) {
		t->form = XF_INCR;
		ixs_begin(&t->ix, t->steps, x->origin, t->serial);
		return take_step_rr(x, t, r, peer);
	}
	t->form = XF_AXFR;
	return take_rr(x, t, &t->first, peer) && take_rr(x, t, r, peer);
}

/* One message of the transfer. */
static bool take_msg(struct xin *x, struct xfer *t, uint8_t *m, size_t len, uint16_t id,
		     const char *peer)
{
	if (!response_ok(x, m, &len, id, peer))
		return false;
	struct wire_cur c;
	wire_init(&c, m, len);
	wire_take(&c, 12);
	static struct xrr rr;
	unsigned an = (unsigned)(m[6] << 8 | m[7]);
	if (!skip_question(&c, m, len))
		goto bad;
	for (unsigned i = 0; i < an; i++)
		if (!read_rr(&c, m, len, &rr))
			goto bad;
		else if (!take_any(x, t, &rr, peer))
			return false;
	return true;
bad:
	snprintf(x->err, sizeof x->err, "%s: malformed message in the transfer", peer);
	return false;
}

/* After a message: XIN_UPTODATE when the first SOA is not newer than the
 * version served, XIN_BY_AXFR when an IXFR answer is that SOA alone (RFC
 * 1995 §4: a newer serial there means the primary will not send the
 * steps; a first message that holds the one SOA is taken as the whole
 * answer), else 0: go on. */
static int after_msg(struct xin *x, struct xfer *t, const char *peer)
{
	if (t->have_serial && !t->serial_checked) {
		t->serial_checked = true;
		if (x->have && !rdata_serial_gt(t->serial, x->serial))
			return XIN_UPTODATE;
	}
	if (t->ixfr && t->form == XF_UNDECIDED && t->seen == 1) {
		snprintf(x->err, sizeof x->err, "%s answered the IXFR with its SOA alone (serial %u)",
			 peer, t->serial);
		return XIN_BY_AXFR;
	}
	return 0;
}

/* The messages of the transfer in progress on stream s: XIN_NEW,
 * XIN_UPTODATE, XIN_BY_AXFR or XIN_FAILED. */
static int read_transfer(struct xin *x, const struct cfg_remote *p, struct xfer *t,
			 struct xs *s, uint16_t id)
{
	static uint8_t m[XIN_MSG_MAX];
	bool ok = true;
	while (ok && !t->done) {
		uint8_t pre[2];
		ok = xs_read(s, pre, 2) == 0 && xs_read(s, m, (size_t)(pre[0] << 8 | pre[1])) == 0;
		if (!ok) {
			snprintf(x->err, sizeof x->err, "%s: transfer cut after %u records", p->text,
				 t->seen);
			break;
		}
		size_t len = (size_t)(pre[0] << 8 | pre[1]);
		t->bytes += len + 2;
		if (x->max_bytes && t->bytes > x->max_bytes) {
			snprintf(x->err, sizeof x->err, "%s: transfer larger than %llu MiB "
				 "(xfr-max-mb)", p->text, (unsigned long long)(x->max_bytes >> 20));
			return XIN_FAILED;
		}
		ok = take_msg(x, t, m, len, id, p->text);
		if (ok && !t->done)
			cp_at("xfr-partial");	/* part of it written */
		/* RFC 1995 §4 leaves a primary without IXFR free to refuse it */
		if (!ok && t->ixfr && !t->nmsg && (x->rcode == 1 || x->rcode == 4 || x->rcode == 5))
			return XIN_BY_AXFR;
		t->nmsg++;
		int rc = ok ? after_msg(x, t, p->text) : 0;
		if (rc)
			return rc;
	}
	if (ok && x->key && !tsig_check_final(&x->tc)) {
		snprintf(x->err, sizeof x->err, "%s: TSIG: the last message is not signed", p->text);
		ok = false;
	}
	return ok ? XIN_NEW : XIN_FAILED;
}

int xfi_read_stream(int fd, const struct xfi_stream *q, char *err, size_t errcap)
{
	static struct xfer t;
	struct xin x = { .zone = q->zone, .have = q->have, .serial = q->serial, .ixfr = q->ixfr,
			 .max_bytes = q->max_bytes, .max_records = q->max_records };
	memcpy(x.origin, q->origin, dname_len(q->origin));
	memset(&t, 0, sizeof t);
	t.ixfr = q->ixfr;
	t.out = q->out;
	t.steps = q->steps;
	struct cfg_remote p = { .text = "stream" };
	struct xs s = { fd, NULL };
	int rc = read_transfer(&x, &p, &t, &s, q->id);
	ixs_free(&t.ix);
	snprintf(err, errcap, "%s", x.err);
	switch (rc) {
	case XIN_NEW:
		return t.form == XF_INCR ? XFI_STEPS : XFI_ZONE;
	case XIN_UPTODATE:
		return XFI_UPTODATE;
	case XIN_BY_AXFR:
		return XFI_BY_AXFR;
	default:
		return XFI_FAILED;
	}
}

/* AXFR (or IXFR, t->ixfr) from p into t's files: XIN_NEW, XIN_UPTODATE
 * (its serial is not newer), XIN_BY_AXFR or XIN_FAILED. */
static int xfr_from(struct xin *x, const struct cfg_remote *p, struct xfer *t)
{
	uint8_t q[1024];
	uint16_t id;
	size_t ql = make_query(x, q + 2, sizeof q - 2, t->ixfr ? RR_IXFR : RR_AXFR, &id);
	q[0] = (uint8_t)(ql >> 8);
	q[1] = (uint8_t)ql;
	struct xs s = { -1, NULL };
	if (ql == 0 || xs_connect(&s, p, XIN_TCP_WAIT_MS, x->err, sizeof x->err) != 0 ||
	    xs_write(&s, q, ql + 2) != 0) {
		if (ql == 0 || s.fd >= 0)
			snprintf(x->err, sizeof x->err, "%s: %s", p->text, strerror(errno));
		xs_close(&s);
		return XIN_FAILED;
	}
	int rc = read_transfer(x, p, t, &s, id);
	xs_close(&s);
	return rc;
}

static void log_transfer(const struct xin *x, const struct cfg_remote *p, const struct xfer *t,
			 int rc)
{
	if (rc == XIN_IXFR)
		log_info("zone %s: serial %u transferred from %s (IXFR%s, %u steps, %llu records, "
			 "%llu bytes)", x->zone, t->serial, p->text, p->tls ? " over TLS" : "", t->ix.steps,
			 (unsigned long long)t->ix.records, (unsigned long long)t->bytes);
	else if (rc == XIN_NEW)
		log_info("zone %s: serial %u transferred from %s (%s%s, %u records, %llu bytes)",
			 x->zone, t->serial, p->text, t->ixfr ? "IXFR answered with the whole zone"
			 : "AXFR", p->tls ? " over TLS" : "", t->nrr + 1, (unsigned long long)t->bytes);
}

/* Writes the transfer from p to x->tmp (by IXFR: its steps to x->steps
 * when they come), synced: the outcome of xfr_from, XIN_IXFR for steps. */
static int transfer_to_file(struct xin *x, const struct cfg_remote *p, bool ixfr)
{
	static struct xfer t;
	memset(&t, 0, sizeof t);
	t.ixfr = ixfr;
	int rc = XIN_FAILED;
	if (af_create(x->out, 0666, x->err, sizeof x->err) != 0 ||
	    !(t.out = af_stream(x->out, x->err, sizeof x->err)) ||
	    (ixfr && (af_create(x->steps, 0666, x->err, sizeof x->err) != 0 ||
		      !(t.steps = af_stream(x->steps, x->err, sizeof x->err))))) {
		rc = XIN_FAILED;
	} else {
		fprintf(t.out, "; zone %s transferred from %s\n$ORIGIN .\n", x->zone, p->text);
		rc = xfr_from(x, p, &t);
		if (rc == XIN_NEW && t.form == XF_INCR)
			rc = XIN_IXFR;
		if ((rc == XIN_NEW || rc == XIN_IXFR) &&
		    af_sync(rc == XIN_NEW ? x->out : x->steps, x->err, sizeof x->err) != 0)
			rc = XIN_FAILED;
	}
	ixs_free(&t.ix);
	/* what the parent takes is synced and closed; the rest goes */
	if (rc != XIN_NEW)
		af_discard(x->out);
	if (rc != XIN_IXFR)
		af_discard(x->steps);
	log_transfer(x, p, &t, rc);
	return rc;
}

/* The check in the child: each primary in turn until one answers. */
static int check(struct xin *x)
{
	for (unsigned i = 0; i < x->cz->nprimaries; i++) {
		const struct cfg_remote *p = &x->cz->primaries[i];
		uint32_t serial;
		int s = x->have ? soa_check(x, p, &serial) : 0;
		tsig_ctx_fini(&x->tc);
		if (s < 0) {
			log_warn("zone %s: %s", x->zone, x->err);
			continue;
		}
		if (s == 1 && !rdata_serial_gt(serial, x->serial)) {
			log_debug("zone %s: serial %u at %s, up to date", x->zone, serial, p->text);
			return XIN_UPTODATE;
		}
		int rc = transfer_to_file(x, p, x->ixfr);
		tsig_ctx_fini(&x->tc);
		if (rc == XIN_BY_AXFR) {
			log_info("zone %s: %s; asking by AXFR", x->zone, x->err);
			rc = transfer_to_file(x, p, false);
			tsig_ctx_fini(&x->tc);
		}
		if (rc != XIN_FAILED)
			return rc;
		log_warn("zone %s: transfer refused: %s", x->zone, x->err);
	}
	return XIN_FAILED;
}

/* ---- the control process's side ---- */

static const struct cfg_zone *cfg_zone_of(const struct ctl *c, const struct zst *z)
{
	for (size_t i = 0; i < c->cfg.nzones; i++)
		if (strcasecmp(c->cfg.zones[i].name, z->name) == 0)
			return &c->cfg.zones[i];
	return NULL;
}

bool xfi_secondary(const struct ctl *c, const struct zst *z)
{
	const struct cfg_zone *cz = cfg_zone_of(c, z);
	return cz && cz->nprimaries > 0;
}

void xfi_check_now(struct zst *z, bool force)
{
	z->next_check = 0;
	z->xfr_force = z->xfr_force || force;	/* an IXFR refused forces one too */
	z->xfr_again = z->xfr_pid > 0;
}

void xfi_forget(struct zst *z)
{
	if (z->xfr_pid > 0) {
		kill(z->xfr_pid, SIGKILL);
		waitpid(z->xfr_pid, NULL, 0);
		z->xfr_pid = 0;
	}
	if (z->xfr_errfd >= 0)
		close(z->xfr_errfd);
	z->xfr_errfd = -1;
	af_abort(&z->xfr_new);
	af_abort(&z->xfr_steps);
}

/* The served version's SOA into x (for an IXFR query); false when this
 * process holds no image of it. */
static bool served_soa(const struct zst *z, struct xin *x)
{
	void *map;
	struct snap *s = zj_open_served(z, &map);
	if (!s)
		return false;
	const struct snap_rrset *r = (const struct snap_rrset *)snap_at(s, snap_hdr(s)->soa);
	const uint8_t *p = snap_at(s, r->rdata);
	x->soa_len = (uint16_t)(p[0] << 8 | p[1]);
	bool ok = x->soa_len <= sizeof x->soa;
	if (ok)
		memcpy(x->soa, p + 2, x->soa_len);
	x->soa_ttl = r->ttl;
	snap_close(s);
	if (map)
		munmap(map, z->img_size);
	return ok;
}

/* Starts the check of z in a child process; false when it cannot. */
static bool start_check(struct ctl *c, struct zst *z, const struct cfg_zone *cz)
{
	static struct tsig_key key;
	struct xin x = { .zone = z->name, .cz = cz, .have = z->served && !z->xfr_force,
			 .serial = z->serial, .max_bytes = (uint64_t)c->cfg.xfr_max_mb << 20,
			 .max_records = c->cfg.zone_max_records };
	char err[256];
	x.out = &z->xfr_new;
	x.steps = &z->xfr_steps;
	x.ixfr = x.have && served_soa(z, &x);
	if (dname_from_text(x.origin, z->name, strlen(z->name), NULL) < 0)
		return false;
	if (cz->key >= 0) {
		const struct cfg_key *k = &c->cfg.keys[cz->key];
		if (tsig_key_make(&key, k->name, k->algorithm, k->secret, err, sizeof err) != 0) {
			snprintf(z->xfr_error, sizeof z->xfr_error, "%s", err);
			return false;
		}
		x.key = &key;
	}
	int ep[2];
	af_abort(&z->xfr_new);
	af_abort(&z->xfr_steps);
	if (af_begin(&z->xfr_new, z->file, err, sizeof err) != 0 ||
	    af_begin(&z->xfr_steps, z->file, err, sizeof err) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
		af_abort(&z->xfr_new);
		af_abort(&z->xfr_steps);
		return false;
	}
	pid_t ppid = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(ep[0]);
		close(ep[1]);
		af_abort(&z->xfr_new);
		af_abort(&z->xfr_steps);
		return false;
	}
	if (pid == 0) {
		/* it goes with the control process: a check left running
		 * could write a file after a new one started */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != ppid)
			_exit(XIN_FAILED);
		/* the reason of a failure goes back through the pipe */
		close(c->dp);
		if (c->xfr >= 0)
			close(c->xfr);
		int rc = check(&x);
		if (rc == XIN_FAILED && write(ep[1], x.err, strlen(x.err)) < 0)
			rc = XIN_FAILED;
		_exit(rc);
	}
	close(ep[1]);
	z->xfr_errfd = ep[0];
	z->xfr_pid = pid;
	z->xfr_force = false;
	return true;
}

void xfi_tick(struct ctl *c)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < c->nz; i++) {
		struct zst *z = &c->z[i];
		const struct cfg_zone *cz = cfg_zone_of(c, z);
		if (!cz || !cz->nprimaries || z->xfr_pid > 0 || now < z->next_check)
			continue;
		if (!start_check(c, z, cz)) {
			log_err("zone %s: cannot check the primaries: %s", z->name,
				z->xfr_error[0] ? z->xfr_error : strerror(errno));
			z->next_check = now + 10;
		}
	}
}

int xfi_wait_ms(const struct ctl *c)
{
	time_t now = time(NULL);
	long best = -1;
	for (size_t i = 0; i < c->nz; i++) {
		const struct zst *z = &c->z[i];
		if (!xfi_secondary(c, z))
			continue;
		/* a check running: soon again, to reap it */
		long ms = z->xfr_pid > 0 ? XIN_REAP_MS
			  : z->next_check <= now ? 0 : (long)(z->next_check - now) * 1000;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best > 60000 ? 60000 : (int)best;
}

/* The SOA timers of z's served version, from its image; false when none. */
static bool soa_timers(const struct zst *z, uint32_t *refresh, uint32_t *retry,
		       uint32_t *expire)
{
	uint8_t t[20];
	if (zj_soa_rdata_tail(z, t) != 0)
		return false;
	*refresh = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	*retry = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
	*expire = (uint32_t)t[12] << 24 | (uint32_t)t[13] << 16 | (uint32_t)t[14] << 8 | t[15];
	return true;
}

/* The next check after an outcome: refresh after success, retry after a
 * failure (RFC 1035 §3.3.13; without a served version, every RETRY_NONE s). */
static void schedule(struct zst *z, bool ok, time_t now)
{
	uint32_t refresh = 3600, retry = 600, expire = 604800;
	bool have = soa_timers(z, &refresh, &retry, &expire);
	if (ok) {
		z->last_refresh = now;
		z->expires_at = now + expire;
	}
	z->next_check = now + (ok ? refresh : have ? retry : 30);
}

/* A transfer received (rc: XIN_NEW, XIN_IXFR) applied: rc, or
 * XIN_FAILED (z->xfr_error). */
static int apply(struct ctl *c, struct zst *z, int rc)
{
	char err[512];
	cp_at("xfr-received");
	if (rc == XIN_NEW) {
		af_abort(&z->xfr_steps);
		if (zj_load_transfer(c, z, &z->xfr_new) != 0) {
			snprintf(z->xfr_error, sizeof z->xfr_error, "transferred zone refused: %.200s",
				 z->error);
			return XIN_FAILED;
		}
		snprintf(z->xfr_kind, sizeof z->xfr_kind, "AXFR");
		return rc;
	}
	af_abort(&z->xfr_new);
	int r = ixl_apply(c, z, z->xfr_steps.tmp, err, sizeof err);
	af_abort(&z->xfr_steps);
	if (r != 0) {
		log_err("zone %s: IXFR refused, serial %u keeps serving%s: %s", z->name, z->serial,
			z->xfr_force ? " (the next check transfers the whole zone)" : "", err);
		snprintf(z->xfr_error, sizeof z->xfr_error, "IXFR refused: %.230s", err);
		return XIN_FAILED;
	}
	snprintf(z->xfr_kind, sizeof z->xfr_kind, "IXFR");
	return rc;
}

/* A check's child ended with status st. */
static void check_done(struct ctl *c, struct zst *z, int st)
{
	time_t now = time(NULL);
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : XIN_FAILED;
	z->xfr_pid = 0;
	ssize_t n = read(z->xfr_errfd, z->xfr_error, sizeof z->xfr_error - 1);
	z->xfr_error[n > 0 ? n : 0] = 0;
	close(z->xfr_errfd);
	z->xfr_errfd = -1;
	if (rc == XIN_NEW || rc == XIN_IXFR) {
		rc = apply(c, z, rc);
		if (rc != XIN_FAILED) {
			z->last_xfr = now;
			z->xfr_error[0] = 0;
		}
	} else if (rc == XIN_UPTODATE) {
		z->xfr_error[0] = 0;
		/* RFC 1034 §4.3.5: a refresh that finds the serial unchanged
		 * makes the copy current again; an expired one is served */
		if (z->expired && z->served) {
			log_notice("zone %s: the primary answers serial %u again: served again",
				   z->name, z->serial);
			zj_expire(c, z, false);
		}
	} else if (!z->xfr_error[0]) {
		snprintf(z->xfr_error, sizeof z->xfr_error, "the check failed (status %d)", st);
	}
	/* anything the check wrote and no one took (it was killed, or
	 * failed): gone */
	af_abort(&z->xfr_new);
	af_abort(&z->xfr_steps);
	schedule(z, rc != XIN_FAILED, now);
	if (z->xfr_again) {
		z->xfr_again = false;
		z->next_check = now;
	}
	if (rc == XIN_FAILED && z->served && z->expires_at && now >= z->expires_at) {
		log_err("zone %s: expired (no primary reached for the SOA's expire time)",
			z->name);
		zj_expire(c, z, true);
	}
}

bool xfi_reaped(struct ctl *c, pid_t pid, int st)
{
	for (size_t i = 0; i < c->nz; i++)
		if (c->z[i].xfr_pid == pid) {
			check_done(c, &c->z[i], st);
			return true;
		}
	return false;
}
