/*
 * xfrout.c - zone transfers out (RFC 5936): the TCP connections ringdns
 * hands over on the transfer channel (common/ipc.h) with their AXFR or
 * IXFR query.  The access list (server.allow-transfer) decides; a refused
 * or impossible transfer gets its error response here, on the control
 * process's thread; an allowed one gets a child process that writes the
 * zone from the image the dataplane serves (control/axfr.h) and exits, so
 * a slow secondary never holds up reloads or the control socket.
 *
 * IXFR (RFC 1995) is answered from the zone's journal of differences
 * (control/journal.h) when it leads from the secondary's serial, else
 * with the whole zone in AXFR form (§4: the secondary recognises it).
 *
 * The same rules serve the queries of an XFR-over-TLS connection
 * (control/xot.c, RFC 9103): there the connection's own child process
 * answers each query itself, SOA queries too; the messages go through
 * control/xstream.h either way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "control/axfr.h"
#include "control/ctl.h"
#include "common/tsig.h"
#include "control/xstream.h"
#include "zones/dname.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/wire.h"

#define XFR_SEND_TIMEOUT_S 30	/* a secondary that takes nothing this long is dropped */
#define XFR_MSG_MAX 65535
#define RCODE_FORMERR 1
#define RCODE_SERVFAIL 2
#define RCODE_NOTAUTH 9
#define RCODE_REFUSED 5

/* A transfer query, as far as this file needs it. */
struct xq {
	const uint8_t *msg;
	size_t len;
	size_t qend;		/* end of the question */
	struct axfr_query aq;
	char zone[DNAME_TEXT_MAX];
	char peer[INET6_ADDRSTRLEN + 8];
	uint8_t addr[16];	/* the peer, IPv4 v4-mapped */
	bool has_serial;	/* IXFR: the serial the secondary holds (its SOA in
				   the authority section, RFC 1995 §3) */
	uint32_t serial;
};

/* The peer's address in text and as 16 bytes. */
static void peer_of(const struct sockaddr_storage *peer, struct xq *q)
{
	memset(q->addr, 0, sizeof q->addr);
	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)peer;
		memcpy(q->addr, &a->sin6_addr, 16);
		inet_ntop(AF_INET6, &a->sin6_addr, q->peer, sizeof q->peer);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)peer;
		q->addr[10] = q->addr[11] = 0xff;
		memcpy(q->addr + 12, &a->sin_addr, 4);
		inet_ntop(AF_INET, &a->sin_addr, q->peer, sizeof q->peer);
	}
}

/* The serial of the SOA that opens the authority section of an IXFR
 * query (at off, after the question); false when there is none. */
static bool ixfr_serial(const uint8_t *m, size_t len, size_t off, uint32_t *serial)
{
	if ((m[8] << 8 | m[9]) < 1)
		return false;
	struct wire_cur c;
	wire_init(&c, m + off, len - off);
	uint8_t owner[DNAME_MAX], rd[1024];
	if (dname_unpack(&c, m, len, owner) < 0)
		return false;
	uint16_t type = wire_u16(&c);
	wire_u16(&c);
	wire_u32(&c);
	uint16_t rdlen = wire_u16(&c);
	int n = wire_ok(&c) && type == RR_SOA ? rdata_unpack(type, &c, rdlen, m, len, rd,
							      sizeof rd) : -1;
	if (n < 22)
		return false;
	*serial = (uint32_t)rd[n - 20] << 24 | (uint32_t)rd[n - 19] << 16 |
		  (uint32_t)rd[n - 18] << 8 | rd[n - 17];
	return true;
}

/* Reads the question of the query (the dataplane checked its shape). */
static bool parse_query(const uint8_t *m, size_t len, struct xq *q)
{
	size_t o = 12;
	while (o < len && m[o] != 0 && !(m[o] & 0xc0))
		o += m[o] + 1u;
	if (o + 5 > len || m[o] != 0 || o - 12 + 1 > DNAME_MAX)
		return false;
	q->msg = m;
	q->len = len;
	q->qend = o + 5;
	q->aq = (struct axfr_query){
		.id = (uint16_t)(m[0] << 8 | m[1]),
		.qname = m + 12,
		.qname_len = o + 1 - 12,
		.qtype = (uint16_t)(m[o + 1] << 8 | m[o + 2]),
		.qclass = (uint16_t)(m[o + 3] << 8 | m[o + 4]),
		.flags = (uint16_t)(m[2] << 8 | m[3]),
	};
	q->has_serial = q->aq.qtype == RR_IXFR && ixfr_serial(m, len, q->qend, &q->serial);
	return dname_to_text(q->zone, sizeof q->zone, m + 12) >= 0;
}

/* The connection blocking, with a bound on each send. */
static void conn_blocking(int fd)
{
	xs_bound(fd, XFR_SEND_TIMEOUT_S * 1000);
}

/* RFC 8914 §2, §4 */
#define EDNS_OPT_EDE 15
#define EDE_PROHIBITED 18
#define EDE_NOT_AUTHORITATIVE 20

/* Whether the query carries an OPT RR (RFC 6891), so that its response
 * may carry one. */
static bool query_has_opt(const struct xq *q)
{
	const uint8_t *m = q->msg;
	unsigned n = (unsigned)(m[6] << 8 | m[7]) + (unsigned)(m[8] << 8 | m[9]) +
		     (unsigned)(m[10] << 8 | m[11]);
	struct wire_cur c;
	wire_init(&c, m, q->len);
	c.pos = m + q->qend;
	for (unsigned i = 0; i < n; i++) {
		uint8_t name[DNAME_MAX];
		if (dname_unpack(&c, m, q->len, name) < 0)
			return false;
		uint16_t type = wire_u16(&c);
		wire_skip(&c, 6);
		wire_skip(&c, wire_u16(&c));
		if (!wire_ok(&c))
			return false;
		if (type == RR_OPT)
			return true;
	}
	return false;
}

/* Appends an OPT RR with the Extended DNS Error ede (RFC 8914 §2) at
 * r[len]; returns the new length. */
static size_t put_ede(uint8_t *r, size_t len, unsigned ede)
{
	static const uint8_t opt[11] = { 0, 0, RR_OPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 6 };
	memcpy(r + len, opt, sizeof opt);
	len += sizeof opt;
	const uint8_t o[6] = { 0, EDNS_OPT_EDE, 0, 2, (uint8_t)(ede >> 8), (uint8_t)ede };
	memcpy(r + len, o, sizeof o);
	r[11] = 1;	/* ARCOUNT: the OPT (a TSIG added after it counts itself) */
	return len + 6;
}

/* The error response to the query: its ID, opcode, RD and question, QR
 * and rcode set, with the Extended DNS Error ede (-1: none) when the query
 * has EDNS; signed with tc when not NULL, with the TSIG error terr (RFC
 * 8945 §5.3.2) when that is not 0. */
static void send_error_ede(struct xs *s, const struct xq *q, unsigned rcode, int ede,
			   struct tsig_ctx *tc, int terr)
{
	uint8_t r[12 + DNAME_MAX + 4 + 1024];
	size_t qlen = q->qend - 12;
	memcpy(r, q->msg, 12);
	r[2] = (uint8_t)(0x80 | (q->msg[2] & 0x79));	/* QR, opcode, RD */
	r[3] = (uint8_t)rcode;
	r[4] = 0;
	r[5] = 1;
	memset(r + 6, 0, 6);
	memcpy(r + 12, q->msg + 12, qlen);
	size_t len = 12 + qlen;
	if (ede >= 0 && query_has_opt(q))
		len = put_ede(r, len, (unsigned)ede);
	if (tc) {
		/* a signed query's answer is signed (RFC 8945 §5.3) */
		uint64_t now = (uint64_t)time(NULL);
		size_t n = terr ? tsig_sign_error(tc, terr, r, len, sizeof r, now)
				: tsig_sign_response(tc, r, len, sizeof r, now);
		len = n ? n : len;
	}
	conn_blocking(s->fd);
	xs_send_msg(s, r, len);
}

static void send_error_tsig(struct xs *s, const struct xq *q, unsigned rcode,
			    struct tsig_ctx *tc, int terr)
{
	send_error_ede(s, q, rcode, -1, tc, terr);
}

static void send_error(struct xs *s, const struct xq *q, unsigned rcode)
{
	send_error_tsig(s, q, rcode, NULL, 0);
}

/* Whether the access list lets the peer transfer zones. */
static bool allowed(const struct ctl *c, const struct xq *q)
{
	for (unsigned i = 0; i < c->cfg.nallow_transfer; i++)
		if (cfg_prefix_match(&c->cfg.allow_transfer[i], q->addr))
			return true;
	return false;
}

bool xfo_peer_allowed(const struct ctl *c, const struct sockaddr_storage *peer)
{
	struct xq q;
	peer_of(peer, &q);
	return allowed(c, &q);
}

/* ---- the child: one transfer ---- */

/* Where the child's messages go: the connection, signed when the query
 * was (RFC 8945 §5.3.1: every message). */
struct out {
	struct xs *s;
	struct tsig_ctx *tc;	/* NULL: unsigned */
	uint8_t buf[XFR_MSG_MAX];
};

static int emit_framed(void *ud, const uint8_t *msg, size_t len)
{
	struct out *o = ud;
	if (!o->tc)
		return xs_send_msg(o->s, msg, len);
	memcpy(o->buf, msg, len);
	len = tsig_sign_response(o->tc, o->buf, len, sizeof o->buf, (uint64_t)time(NULL));
	return len ? xs_send_msg(o->s, o->buf, len) : -1;
}

/* The zone's SOA alone, in one message answering q (an IXFR from a
 * secondary that is not behind, RFC 1995 §4; an SOA query over XoT). */
static long soa_only(const struct snap *s, const struct xq *q, size_t msg_max, struct out *o,
		     char *err, size_t errcap)
{
	const struct snap_rrset *r = (const struct snap_rrset *)snap_at(s, snap_hdr(s)->soa);
	const uint8_t *rd = snap_at(s, r->rdata);
	struct axm *m = axm_begin(&q->aq, msg_max, emit_framed, o, err, errcap);
	if (!m)
		return -1;
	bool ok = axm_put(m, snap_at(s, snap_nodes(s)[snap_hdr(s)->apex].name), RR_SOA, r->ttl,
			  rd + 2, (uint16_t)(rd[0] << 8 | rd[1])) == 0;
	return axm_end(m, ok);
}

/* An IXFR response (RFC 1995 §4) for a secondary at q->serial: the SOA
 * alone when it is not behind, the journal's steps when they lead from
 * its serial; -2 when the whole zone must go (then *how is untouched). */
static long ixfr(const struct zst *z, const struct snap *s, const struct xq *q, size_t msg_max,
		 struct out *o, const char **how, char *err, size_t errcap)
{
	uint32_t cur = snap_hdr(s)->serial;
	if (!rdata_serial_gt(cur, q->serial)) {
		*how = "IXFR, up to date";
		return soa_only(s, q, msg_max, o, err, errcap);
	}
	long n = z->jr ? jr_write_ixfr(z->jr, q->serial, s, &q->aq, msg_max, emit_framed, o, err,
				       errcap) : -2;
	if (n != -2)
		*how = "IXFR";
	return n;
}

/* Streams zone z to connection s (signed with tc when not NULL), or its
 * SOA for an SOA query; the child's exit status. */
static int transfer(const struct zst *z, struct xs *xs, const struct xq *q,
		    struct tsig_ctx *tc)
{
	static struct out o;
	o.s = xs;
	o.tc = tc;
	char err[512];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the version served: changed incrementally (the overlay's image,
	 * this child's copy of the parent's mapping), or z->img_fd's */
	size_t size = z->img_size;
	const void *img = inc_image(z, &size);
	if (!img)
		img = ipc_memfd_map(z->img_fd, z->img_size, err, sizeof err);
	struct snap *s = NULL;
	/* the dataplane validated this image before it served it */
	if (img && snap_open_validated(img, size, &s) != 0)
		snprintf(err, sizeof err, "out of memory");
	if (!s) {
		log_err("zone %s: transfer to %s: image: %s", z->name, q->peer, err);
		send_error(xs, q, RCODE_SERVFAIL);
		if (img)
			munmap((void *)img, z->img_size);
		return 1;
	}
	conn_blocking(xs->fd);
	size_t room = tc ? tsig_rr_size(tc->key) : 0;
	const char *how = q->aq.qtype == RR_IXFR ? "IXFR as AXFR" : "AXFR";
	long n = q->has_serial ? ixfr(z, s, q, XFR_MSG_MAX - room, &o, &how, err, sizeof err)
			       : -2;
	if (q->aq.qtype == RR_SOA) {
		how = "SOA";
		n = soa_only(s, q, XFR_MSG_MAX - room, &o, err, sizeof err);
	}
	if (n == -2)
		n = axfr_write(s, &q->aq, XFR_MSG_MAX - room, emit_framed, &o, err, sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (n < 0)
		log_warn("zone %s: transfer to %s failed after %.2f s: %s", z->name, q->peer, dt,
			 errno ? strerror(errno) : err);
	else
		log_info("zone %s: serial %u sent to %s (%s%s%s, %ld messages, %.2f s)", z->name,
			 snap_hdr(s)->serial, q->peer, how, xs->ssl ? ", TLS" : "",
			 tc ? ", TSIG" : "", n, dt);
	/* an XoT connection's child goes on to its next query */
	snap_close(s);
	munmap((void *)img, z->img_size);
	return n < 0 ? 1 : 0;
}

pid_t xfo_fork(struct ctl *c)
{
	pid_t pid = fork();
	if (pid == 0) {
		/* the parent's channels and handlers are not the child's */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		close(c->dp);
		if (c->xfr >= 0)
			close(c->xfr);
	} else if (pid > 0) {
		c->xfr_children++;
	}
	return pid;
}

/* Forks the child that serves the transfer; -1 when it cannot. */
static int start_child(struct ctl *c, const struct zst *z, struct xs *s, const struct xq *q,
		       struct tsig_ctx *tc)
{
	pid_t pid = xfo_fork(c);
	if (pid == 0)
		_exit(transfer(z, s, q, tc));
	return pid < 0 ? -1 : 0;
}

size_t ctl_tsig_keys(const struct ctl *c, struct tsig_key *keys)
{
	size_t n = 0;
	char err[256];
	for (size_t i = 0; i < c->cfg.nkeys && i < CFG_KEYS_MAX; i++, n++)
		if (tsig_key_make(&keys[i], c->cfg.keys[i].name, c->cfg.keys[i].algorithm,
				  c->cfg.keys[i].secret, err, sizeof err) != 0)
			memset(&keys[i], 0, sizeof keys[i]);	/* checked at load: unreachable */
	return n;
}

/* The query's TSIG (RFC 8945 §5.2): *signed_by the index of the key that
 * signed it (-1: unsigned).  False when it failed: the error response
 * (NOTAUTH with the TSIG error, or FORMERR) is sent. */
static bool query_tsig(struct ctl *c, struct xs *s, const struct xq *q, struct tsig_ctx *tc,
		       struct tsig_key *keys, int *signed_by)
{
	char err[256];
	size_t ki = 0, n = ctl_tsig_keys(c, keys);
	int rc = tsig_verify_query(tc, keys, n, q->msg, q->len, (uint64_t)time(NULL), &ki, err,
				   sizeof err);
	if (rc >= 0) {
		*signed_by = rc == 1 ? (int)ki : -1;
		return true;
	}
	log_notice("zone %s: transfer to %s refused: TSIG: %s", q->zone, q->peer, err);
	if (rc == -1)
		send_error(s, q, RCODE_FORMERR);
	else
		send_error_tsig(s, q, RCODE_NOTAUTH, tc, -rc);
	tsig_ctx_fini(tc);
	return false;
}

/* The index of the key zone z is configured with, -1 for none. */
static int zone_key(const struct ctl *c, const struct zst *z)
{
	for (size_t i = 0; z && i < c->cfg.nzones; i++)
		if (strcasecmp(c->cfg.zones[i].name, z->name) == 0)
			return c->cfg.zones[i].key;
	return -1;
}

/* Decides on one transfer query on connection s: refuse, or serve it in
 * a child process (here: in this process, already a child of its own).
 * -1 when the query was malformed (dropped). */
static int serve(struct ctl *c, struct xs *s, const struct sockaddr_storage *peer,
		 const uint8_t *m, size_t len, bool here)
{
	struct xq q;
	peer_of(peer, &q);
	if (!parse_query(m, len, &q)) {
		log_notice("transfer query from %s malformed: dropped", q.peer);
		return -1;
	}
	struct zst *z = zj_find(c, q.zone);
	static struct tsig_ctx tc;
	static struct tsig_key keys[CFG_KEYS_MAX];
	int signed_by = -1;
	if (!query_tsig(c, s, &q, &tc, keys, &signed_by))
		return 0;
	int want = zone_key(c, z);
	uint16_t t = q.aq.qtype;
	if (t != RR_AXFR && t != RR_IXFR && t != RR_SOA) {
		/* only from an XoT connection: it carries transfers and the
		 * SOA queries that lead to them (RFC 9103 lets a secondary
		 * send those over TLS), not other queries */
		log_notice("zone %s: query of type %u from %s over XoT refused", q.zone, t, q.peer);
		send_error_ede(s, &q, RCODE_REFUSED, EDE_PROHIBITED, signed_by >= 0 ? &tc : NULL, 0);
	} else if (!allowed(c, &q) || want != signed_by) {
		log_notice("zone %s: transfer to %s refused (%s)", q.zone, q.peer,
			   !allowed(c, &q) ? "not in allow-transfer"
			   : want >= 0 ? "the zone's TSIG key is required" : "signed with a key "
			   "the zone does not use");
		send_error_ede(s, &q, RCODE_REFUSED, EDE_PROHIBITED, signed_by >= 0 ? &tc : NULL, 0);
	} else if (!z || !z->served || q.aq.qclass != RR_CLASS_IN) {
		log_notice("zone %s: transfer to %s: not a zone served here", q.zone, q.peer);
		send_error_ede(s, &q, RCODE_NOTAUTH, EDE_NOT_AUTHORITATIVE,
			       signed_by >= 0 ? &tc : NULL, 0);
	} else if (here && z->img_fd >= 0) {
		transfer(z, s, &q, signed_by >= 0 ? &tc : NULL);
	} else if (z->img_fd < 0 || c->xfr_children >= CTL_XFR_CHILDREN_MAX ||
		   start_child(c, z, s, &q, signed_by >= 0 ? &tc : NULL) != 0) {
		log_warn("zone %s: transfer to %s not started (%s)", q.zone, q.peer,
			 z->img_fd < 0 ? "no image in this process yet"
			 : c->xfr_children >= CTL_XFR_CHILDREN_MAX ? "too many transfers running"
			 : strerror(errno));
		send_error_tsig(s, &q, RCODE_SERVFAIL, signed_by >= 0 ? &tc : NULL, 0);
	}
	tsig_ctx_fini(&tc);
	return 0;
}

int xfo_serve(struct ctl *c, struct xs *s, const struct sockaddr_storage *peer,
	      const uint8_t *m, size_t len)
{
	return serve(c, s, peer, m, len, true);
}

void xfo_read(struct ctl *c)
{
	static uint8_t buf[IPC_MSG_MAX];
	uint32_t type;
	int fd;
	ssize_t n = ipc_recv(c->xfr, &type, buf, sizeof buf, &fd);
	if (n < 0 || (n == 0 && type == 0)) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->stop = true;	/* ringdns is gone */
		return;
	}
	const struct ipc_xfr *x = (const struct ipc_xfr *)buf;
	struct xs s = { fd, NULL };
	if (type == IPC_XFR && fd >= 0 && (size_t)n >= sizeof *x && x->qlen >= 12 &&
	    x->qlen <= (size_t)n - sizeof *x)
		serve(c, &s, &x->peer, buf + sizeof *x, x->qlen, false);
	if (fd >= 0)
		close(fd);
}

void ctl_reap(struct ctl *c)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (!ixl_reaped(c, pid, st) && !xfi_reaped(c, pid, st) && c->xfr_children)
			c->xfr_children--;
}
