/*
 * xfrin.c - the secondary role: a zone with primaries is kept up to date
 * by SOA checks and zone transfers (AXFR, RFC 5936), on the timers of its
 * SOA (RFC 1035 §3.3.13: refresh, retry, expire).
 *
 * A check runs in a child process, so that a slow or hostile primary
 * holds up nothing: it asks the primaries in turn for their SOA (UDP),
 * compares serials (RFC 1982), and when a primary has a newer one
 * transfers the zone over TCP into a temporary file beside the zone's
 * file (written, then fsync'd).  Every message is checked as it comes:
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "control/ctl.h"
#include "common/tsig.h"
#include "control/xstream.h"
#include "zones/dname.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/wire.h"

#define XIN_UDP_WAIT_MS 2000	/* per SOA query */
#define XIN_TCP_WAIT_MS 10000	/* connect, and each read of a transfer */
#define XIN_MSG_MAX 65535
#define XIN_LINE_MAX (DNAME_TEXT_MAX + 5 * 65536 + 64)
#define XIN_REAP_MS 50		/* a running check's end is noticed this fast */

enum { XIN_NEW = 0, XIN_FAILED = 1, XIN_UPTODATE = 10 };

/* One check (the child's state). */
struct xin {
	const char *zone;
	uint8_t origin[DNAME_MAX];
	const struct cfg_zone *cz;
	const struct tsig_key *key;	/* NULL: unsigned */
	bool have;			/* a version is served: compare serials */
	uint32_t serial;		/* ... that version's */
	const char *tmp;		/* where a new version goes */
	uint64_t max_bytes;		/* transfer size limit */
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
	if (*len < 12 || !(m[2] & 0x80) || (m[0] << 8 | m[1]) != id) {
		snprintf(x->err, sizeof x->err, "%s: not a response to our query", peer);
		return false;
	}
	unsigned rcode = m[3] & 15;
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

/* The transfer in progress: its file and what was seen. */
struct xfer {
	FILE *out;
	unsigned nrr;
	uint32_t serial;	/* the first SOA's */
	bool done;		/* the closing SOA came */
	uint64_t bytes;
	char line[XIN_LINE_MAX];
};

/* One record of the transfer: checked, then written as a line. */
static bool take_rr(struct xin *x, struct xfer *t, const struct xrr *r, const char *peer)
{
	if (t->done) {
		snprintf(x->err, sizeof x->err, "%s: records after the closing SOA", peer);
		return false;
	}
	bool soa = r->type == RR_SOA && dname_eq(r->owner, x->origin);
	if (t->nrr == 0) {
		if (!soa) {
			snprintf(x->err, sizeof x->err, "%s: transfer does not start with the SOA",
				 peer);
			return false;
		}
		t->serial = soa_serial(r);
	} else if (soa) {
		if (soa_serial(r) != t->serial) {
			snprintf(x->err, sizeof x->err, "%s: SOA serial changed within the transfer "
				 "(%u, then %u)", peer, t->serial, soa_serial(r));
			return false;
		}
		t->done = true;
		return true;
	}
	if (!dname_in(r->owner, x->origin) || r->cls != RR_CLASS_IN) {
		char o[DNAME_TEXT_MAX];
		dname_to_text(o, sizeof o, r->owner);
		snprintf(x->err, sizeof x->err, "%s: record %.200s is not in zone %s (class %u)", peer,
			 o, x->zone, r->cls);
		return false;
	}
	int l = dname_to_text(t->line, DNAME_TEXT_MAX, r->owner);
	l += snprintf(t->line + l, 64, " %u IN ", r->ttl);
	l += rrtype_to_text(r->type, t->line + l, 32);
	t->line[l++] = ' ';
	if (rdata_to_text(r->type, r->rd, (size_t)r->rdlen, t->line + l, sizeof t->line - l) < 0)
		return false;
	fprintf(t->out, "%s\n", t->line);
	t->nrr++;
	return true;
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
		else if (!take_rr(x, t, &rr, peer))
			return false;
	return true;
bad:
	snprintf(x->err, sizeof x->err, "%s: malformed message in the transfer", peer);
	return false;
}

/* AXFR from p into x->tmp: XIN_NEW, XIN_UPTODATE (its serial is not
 * newer) or XIN_FAILED. */
static int axfr_from(struct xin *x, const struct cfg_remote *p, struct xfer *t)
{
	uint8_t q[512];
	static uint8_t m[XIN_MSG_MAX];
	uint16_t id;
	size_t ql = make_query(x, q + 2, sizeof q - 2, RR_AXFR, &id);
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
	bool ok = true;
	while (ok && !t->done) {
		uint8_t pre[2];
		ok = xs_read(&s, pre, 2) == 0 && xs_read(&s, m, (size_t)(pre[0] << 8 | pre[1])) == 0;
		if (!ok) {
			snprintf(x->err, sizeof x->err, "%s: transfer cut after %u records", p->text,
				 t->nrr);
			break;
		}
		size_t len = (size_t)(pre[0] << 8 | pre[1]);
		t->bytes += len + 2;
		if (x->max_bytes && t->bytes > x->max_bytes) {
			snprintf(x->err, sizeof x->err, "%s: transfer larger than %llu MiB "
				 "(xfr-max-mb)", p->text, (unsigned long long)(x->max_bytes >> 20));
			ok = false;
		} else {
			ok = take_msg(x, t, m, len, id, p->text);
		}
		if (ok && t->nrr == 1 && x->have && !rdata_serial_gt(t->serial, x->serial)) {
			xs_close(&s);
			return XIN_UPTODATE;
		}
	}
	xs_close(&s);
	if (ok && x->key && !tsig_check_final(&x->tc)) {
		snprintf(x->err, sizeof x->err, "%s: TSIG: the last message is not signed", p->text);
		ok = false;
	}
	return ok ? XIN_NEW : XIN_FAILED;
}

/* Writes the transfer from p to x->tmp, synced. */
static int transfer_to_file(struct xin *x, const struct cfg_remote *p)
{
	static struct xfer t;
	memset(&t, 0, sizeof t);
	t.out = fopen(x->tmp, "w");
	if (!t.out) {
		snprintf(x->err, sizeof x->err, "%s: %s", x->tmp, strerror(errno));
		return XIN_FAILED;
	}
	fprintf(t.out, "; zone %s transferred from %s\n$ORIGIN .\n", x->zone, p->text);
	int rc = axfr_from(x, p, &t);
	bool synced = fflush(t.out) == 0 && fsync(fileno(t.out)) == 0;
	fclose(t.out);
	if (rc == XIN_NEW && !synced) {
		snprintf(x->err, sizeof x->err, "%s: %s", x->tmp, strerror(errno));
		rc = XIN_FAILED;
	}
	if (rc != XIN_NEW)
		unlink(x->tmp);
	else
		log_info("zone %s: serial %u transferred from %s (AXFR%s, %u records, %llu bytes)",
			 x->zone, t.serial, p->text, p->tls ? " over TLS" : "", t.nrr + 1,
			 (unsigned long long)t.bytes);
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
		int rc = transfer_to_file(x, p);
		tsig_ctx_fini(&x->tc);
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

/* The temporary file of a transfer of z. */
static void tmp_path(const struct zst *z, char *out, size_t cap)
{
	snprintf(out, cap, "%s.xfr-tmp", z->file);
}

/* Starts the check of z in a child process; false when it cannot. */
static bool start_check(struct ctl *c, struct zst *z, const struct cfg_zone *cz)
{
	static struct tsig_key key;
	struct xin x = { .zone = z->name, .cz = cz, .have = z->served && !z->xfr_force,
			 .serial = z->serial, .max_bytes = (uint64_t)c->cfg.xfr_max_mb << 20 };
	char tmp[4096], err[256];
	tmp_path(z, tmp, sizeof tmp);
	x.tmp = tmp;
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
	if (pipe2(ep, O_CLOEXEC) != 0)
		return false;
	pid_t pid = fork();
	if (pid < 0) {
		close(ep[0]);
		close(ep[1]);
		return false;
	}
	if (pid == 0) {
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
	if (rc == XIN_NEW) {
		char tmp[4096];
		tmp_path(z, tmp, sizeof tmp);
		if (zj_load_transfer(c, z, tmp) != 0) {
			snprintf(z->xfr_error, sizeof z->xfr_error, "transferred zone refused: %.200s",
				 z->error);
			rc = XIN_FAILED;
		} else {
			z->last_xfr = now;
			z->xfr_error[0] = 0;
		}
	} else if (rc == XIN_UPTODATE) {
		z->xfr_error[0] = 0;
	} else if (!z->xfr_error[0]) {
		snprintf(z->xfr_error, sizeof z->xfr_error, "the check failed (status %d)", st);
	}
	schedule(z, rc != XIN_FAILED, now);
	if (z->xfr_again) {
		z->xfr_again = false;
		z->next_check = now;
	}
	if (rc == XIN_FAILED && z->served && z->expires_at && now >= z->expires_at) {
		log_err("zone %s: expired (no primary reached for the SOA's expire time)",
			z->name);
		zj_expire(c, z);
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
