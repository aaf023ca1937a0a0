/*
 * io_sock.h - the kernel-socket backend (io_sock.c): per worker one
 * SO_REUSEPORT UDP socket per listen address, bursts read with recvmmsg
 * and sent with sendmmsg.  Runs anywhere, as non-root on a high port.
 */
#ifndef RINGDNS_IO_SOCK_H
#define RINGDNS_IO_SOCK_H

#include <stddef.h>
#include <sys/socket.h>

#include "dataplane/io.h"

extern const struct io_ops io_sock_ops;

/* Room for the one control message io_sock_reply_cmsg writes. */
#define IO_SOCK_CMSG 64

/*
 * Sets the control message of a reply (txm) from the one its query came
 * with (rxm): the reply leaves from the address the query was sent to
 * (IP_PKTINFO / IPV6_PKTINFO), as a wildcard-bound anycast server needs,
 * through whichever interface the routing table chooses (interface index
 * 0).  buf (IO_SOCK_CMSG bytes, cmsghdr-aligned) holds it.  No pktinfo in
 * rxm: txm gets no control message.
 */
void io_sock_reply_cmsg(const struct msghdr *rxm, struct msghdr *txm, void *buf);

#endif
