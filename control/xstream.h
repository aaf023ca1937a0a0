/*
 * xstream.h - the connection a zone transfer runs on, plain TCP or TLS
 * (XFR-over-TLS, RFC 9103), behind one interface: xfrout.c writes its
 * messages to either without knowing which, xfrin.c reads a transfer
 * from either, xot.c accepts the TLS ones.  Every read and write is
 * bounded in time (the socket's own timeouts), so a peer that stalls
 * fails the transfer instead of holding a process forever.
 *
 * The TLS settings RFC 9103 fixes live here: TLS 1.3 or later only
 * (§7.2), the ALPN token "dot" selected in the handshake (§7.1).
 */
#ifndef RINGDNS_XSTREAM_H
#define RINGDNS_XSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_remote;
struct ssl_st;
struct ssl_ctx_st;

/* A connection: the socket, and its TLS session (NULL: plain TCP). */
struct xs {
	int fd;
	struct ssl_st *ssl;
};

/* Makes fd blocking with every read and write bounded by ms. */
void xs_bound(int fd, int ms);

/* Writes all n bytes of p; 0, or -1 (errno; EPROTO: a TLS error). */
int xs_write(struct xs *s, const void *p, size_t n);
/* Reads exactly n bytes into p; 0, or -1 on an error, a timeout or the
 * end of the stream (then errno is 0). */
int xs_read(struct xs *s, void *p, size_t n);
/* One DNS message with its two-byte length (RFC 1035 §4.2.2, RFC 7858
 * §3.3); 0 or -1. */
int xs_send_msg(struct xs *s, const uint8_t *msg, size_t len);
/* Reads one framed message into buf (cap >= 65535); its length, or -1
 * (*eof: the peer closed cleanly before a new message began). */
long xs_recv_msg(struct xs *s, uint8_t *buf, size_t cap, bool *eof);

/*
 * The secondary's side: connects s to primary p over TCP (within ms), and
 * over TLS when p->tls says so (strict: the certificate verified against
 * p->tls->ca_file or the system's store, for p->tls->name or else p's
 * address; opportunistic: encrypted, not authenticated, and never a
 * fallback to clear text).  A connection handed to xs_keep is reused by
 * the next xs_connect to the same p (RFC 9103 §6: one connection for the
 * SOA query and the transfer).  0, or -1 with the reason in err
 * ("PEER: ...").
 */
int xs_connect(struct xs *s, const struct cfg_remote *p, int ms, char *err, size_t errcap);
/* Keeps s open for the next xs_connect to p (s is emptied). */
void xs_keep(struct xs *s, const struct cfg_remote *p);
/* Closes s (a TLS session with close_notify); s->fd is -1 after, and
 * closing again is harmless. */
void xs_close(struct xs *s);

/* The server's TLS context for XoT: cert (chain) and key files, TLS 1.3,
 * ALPN "dot" or the handshake fails.  NULL with the reason in err. */
struct ssl_ctx_st *xs_server_ctx(const char *cert, const char *key, char *err, size_t errcap);
void xs_ctx_free(struct ssl_ctx_st *ctx);
/* The server's handshake on fd (bounded by xs_bound): 0 with s set, or -1
 * with the reason in err (a client without "dot" is refused here). */
int xs_accept(struct ssl_ctx_st *ctx, int fd, struct xs *s, char *err, size_t errcap);

#endif
