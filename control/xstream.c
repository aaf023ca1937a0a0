/*
 * xstream.c - a zone transfer's connection, plain TCP or TLS (RFC 9103),
 * behind one set of calls (xstream.h): the framed messages both roles
 * read and write, the secondary's connect (with the TLS profile its
 * configuration asks for, RFC 8310 §5 and §6), the primary's handshake.
 * Sockets are blocking with a timeout on every read and write, so one
 * call never waits past it and OpenSSL needs no event loop.
 */
#include "control/xstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/ipc.h"

/* RFC 9103 §7.1: the ALPN token of DNS over TLS, in ALPN's wire form. */
static const unsigned char alpn_dot[] = { 3, 'd', 'o', 't' };

void xs_bound(int fd, int ms)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* What went wrong in OpenSSL's last call, for a message. */
static const char *tls_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r ? r : errno ? strerror(errno) : "the peer closed the connection";
}

/* A failed SSL call's result: errno set, -1 (errno 0: a clean end). */
static int tls_fail(struct xs *s, int rc)
{
	int e = SSL_get_error(s->ssl, rc);
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		errno = 0;
	else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		errno = ETIMEDOUT;	/* the socket's timeout struck */
	else if (e != SSL_ERROR_SYSCALL || errno == 0)
		errno = EPROTO;
	return -1;
}

int xs_write(struct xs *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		size_t k = 0;
		if (s->ssl) {
			int rc = SSL_write_ex(s->ssl, b, n, &k);
			if (rc != 1)
				return tls_fail(s, rc);
		} else {
			ssize_t w = write(s->fd, b, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			k = (size_t)w;
		}
		b += k;
		n -= k;
	}
	return 0;
}

int xs_read(struct xs *s, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		size_t k = 0;
		if (s->ssl) {
			int rc = SSL_read_ex(s->ssl, b, n, &k);
			if (rc != 1)
				return tls_fail(s, rc);
		} else {
			ssize_t r = read(s->fd, b, n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (r == 0)
					errno = 0;
				return -1;
			}
			k = (size_t)r;
		}
		b += k;
		n -= k;
	}
	return 0;
}

/* The length and the message in one write (one TLS record where they
 * fit): no tiny segment for the prefix alone. */
int xs_send_msg(struct xs *s, const uint8_t *msg, size_t len)
{
	uint8_t pre[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	if (s->ssl) {
		static uint8_t buf[2 + 65535];
		memcpy(buf, pre, 2);
		memcpy(buf + 2, msg, len);
		return xs_write(s, buf, len + 2);
	}
	struct iovec v[2] = { { pre, 2 }, { (void *)msg, len } }, *p = v;
	int n = 2;
	while (n > 0) {
		ssize_t w = writev(s->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		while (n > 0 && (size_t)w >= p->iov_len) {
			w -= (ssize_t)p->iov_len;
			p++;
			n--;
		}
		if (n > 0) {
			p->iov_base = (uint8_t *)p->iov_base + w;
			p->iov_len -= (size_t)w;
		}
	}
	return 0;
}

long xs_recv_msg(struct xs *s, uint8_t *buf, size_t cap, bool *eof)
{
	uint8_t pre[2];
	*eof = false;
	if (xs_read(s, pre, 2) != 0) {
		*eof = errno == 0;
		return -1;
	}
	size_t len = (size_t)(pre[0] << 8 | pre[1]);
	if (len > cap || xs_read(s, buf, len) != 0)
		return -1;
	return (long)len;
}

/* ---- the secondary's side ---- */

/* The connection xs_keep left for the next xs_connect to the same primary. */
static struct {
	struct xs s;
	const struct cfg_remote *p;
} kept = { { -1, NULL }, NULL };

/* Whether a kept connection is still usable: nothing (an end, an alert)
 * arrived on it since. */
static bool still_open(const struct xs *s)
{
	struct pollfd pf = { .fd = s->fd, .events = POLLIN };
	return poll(&pf, 1, 0) == 0 && !(s->ssl && SSL_pending(s->ssl));
}

static int tcp_connect(const struct cfg_remote *p, int ms)
{
	int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if ((connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) != 0 &&
	     errno != EINPROGRESS) ||
	    ipc_wait_fd(fd, POLLOUT, ipc_now_ms() + ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
		int e = soerr ? soerr : errno ? errno : ETIMEDOUT;
		close(fd);
		errno = e;
		return -1;
	}
	xs_bound(fd, ms);
	return fd;
}

/* p's address as text (the name a strict profile checks without
 * tls-name). */
static void addr_text(const struct cfg_remote *p, char *out, size_t cap)
{
	const void *a = p->addr.ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)&p->addr)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)&p->addr)->sin_addr;
	inet_ntop(p->addr.ss_family, a, out, (socklen_t)cap);
}

/* The client context for p's profile: TLS 1.3 (RFC 9103 §7.2) and, for
 * strict, the CA certificates to verify the primary with. */
static SSL_CTX *client_ctx(const struct cfg_remote *p, char *err, size_t errcap)
{
	const struct cfg_tls *t = p->tls;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		snprintf(err, errcap, "%s: TLS: %s", p->text, tls_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* a peer that closes without close_notify ends the stream like
	 * one that sends it: DNS framing and the closing SOA tell a cut
	 * transfer, not TLS */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (t->mode != CFG_TLS_STRICT)
		return ctx;
	int ok = t->ca_file[0] ? SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL)
			       : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		snprintf(err, errcap, "%s: TLS: cannot load the CA certificates %s: %s", p->text,
			 t->ca_file[0] ? t->ca_file : "(the system's)", tls_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/*
 * The handshake as the primary's client.  Strict (RFC 8310 §6): the
 * chain must verify and the certificate name the authentication name
 * (tls-name, else the address), or there is no transfer.  Opportunistic
 * (RFC 8310 §5): encrypted whoever answers.  Either way "dot" must be
 * the protocol agreed (RFC 9103 §7.1).
 */
static int tls_client(struct xs *s, const struct cfg_remote *p, char *err, size_t errcap)
{
	const struct cfg_tls *t = p->tls;
	bool strict = t->mode == CFG_TLS_STRICT;
	char name[CFG_NAME_MAX];
	unsigned char ip[16];
	SSL_CTX *ctx = client_ctx(p, err, errcap);
	if (!ctx)
		return -1;
	s->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* the session holds its own reference */
	if (t->name[0])
		snprintf(name, sizeof name, "%s", t->name);
	else
		addr_text(p, name, sizeof name);
	bool is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
	if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1 ||
	    SSL_set_alpn_protos(s->ssl, alpn_dot, sizeof alpn_dot) != 0 ||
	    (!is_ip && SSL_set_tlsext_host_name(s->ssl, name) != 1) ||
	    (strict && !is_ip && SSL_set1_host(s->ssl, name) != 1) ||
	    (strict && is_ip && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name) != 1)) {
		snprintf(err, errcap, "%s: TLS: %s", p->text, tls_reason());
		return -1;
	}
	if (SSL_connect(s->ssl) != 1) {
		long v = SSL_get_verify_result(s->ssl);
		if (strict && v != X509_V_OK)
			snprintf(err, errcap, "%s: TLS: the primary's certificate does not verify "
				 "for '%s': %s", p->text, name, X509_verify_cert_error_string(v));
		else
			snprintf(err, errcap, "%s: TLS handshake failed: %s", p->text, tls_reason());
		return -1;
	}
	const unsigned char *sel;
	unsigned sl;
	SSL_get0_alpn_selected(s->ssl, &sel, &sl);
	if (sl != 3 || memcmp(sel, "dot", 3) != 0) {
		snprintf(err, errcap, "%s: TLS: the primary did not agree to ALPN \"dot\" "
			 "(RFC 9103 §7.1)", p->text);
		return -1;
	}
	return 0;
}

int xs_connect(struct xs *s, const struct cfg_remote *p, int ms, char *err, size_t errcap)
{
	if (kept.s.fd >= 0 && kept.p == p && still_open(&kept.s)) {
		*s = kept.s;
		kept.s.fd = -1;
		return 0;
	}
	xs_close(&kept.s);
	s->ssl = NULL;
	s->fd = tcp_connect(p, ms);
	if (s->fd < 0) {
		snprintf(err, errcap, "%s: %s", p->text, strerror(errno));
		return -1;
	}
	if (p->tls && tls_client(s, p, err, errcap) != 0) {
		xs_close(s);
		return -1;
	}
	return 0;
}

void xs_keep(struct xs *s, const struct cfg_remote *p)
{
	xs_close(&kept.s);
	kept.s = *s;
	kept.p = p;
	s->fd = -1;
	s->ssl = NULL;
}

void xs_close(struct xs *s)
{
	if (s->ssl) {
		SSL_shutdown(s->ssl);	/* our close_notify; not waiting for theirs */
		SSL_free(s->ssl);
		ERR_clear_error();
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->ssl = NULL;
}

/* ---- the primary's side ---- */

/* ALPN on the server: "dot" when the client offers it; a client that
 * offers only other protocols is refused with no_application_protocol
 * (RFC 7301 §3.2), since RFC 9103 §7.1 requires "dot". */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	for (unsigned i = 0; i < inlen; i += 1u + in[i])
		if (in[i] == 3 && i + 4 <= inlen && memcmp(in + i + 1, "dot", 3) == 0) {
			*out = in + i + 1;
			*outlen = 3;
			return SSL_TLSEXT_ERR_OK;
		}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

SSL_CTX *xs_server_ctx(const char *cert, const char *key, char *err, size_t errcap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const char *what = "TLS";
	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
		goto fail;
	what = cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto fail;
	what = key;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		goto fail;
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errcap, "%s: not the key of the certificate %s", key, cert);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return ctx;
fail:
	snprintf(err, errcap, "%s: %s", what, tls_reason());
	SSL_CTX_free(ctx);
	return NULL;
}

void xs_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

int xs_accept(SSL_CTX *ctx, int fd, struct xs *s, char *err, size_t errcap)
{
	s->fd = fd;
	s->ssl = SSL_new(ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
		snprintf(err, errcap, "TLS: %s", tls_reason());
		return -1;
	}
	if (SSL_accept(s->ssl) != 1) {
		snprintf(err, errcap, "TLS handshake failed: %s", tls_reason());
		return -1;
	}
	const unsigned char *sel;
	unsigned sl;
	SSL_get0_alpn_selected(s->ssl, &sel, &sl);
	if (sl != 3 || memcmp(sel, "dot", 3) != 0) {
		snprintf(err, errcap, "the client did not offer ALPN \"dot\" (RFC 9103 §7.1)");
		return -1;
	}
	return 0;
}
