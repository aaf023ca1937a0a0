/*
 * test_io_sock.c - the socket backend's reply control message
 * (io_sock_reply_cmsg): the reply leaves from the address the query was
 * sent to, through the interface the routing table picks (index 0), for
 * IPv4 and IPv6; no pktinfo, no control message.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "dataplane/io_sock.h"

union cbuf {
	char buf[IO_SOCK_CMSG];
	struct cmsghdr align;
};

/* A received message whose one control message is (level, type, data). */
static void mk_rx(struct msghdr *m, union cbuf *cb, int level, int type, const void *data,
		  size_t len)
{
	memset(m, 0, sizeof *m);
	memset(cb, 0, sizeof *cb);
	m->msg_control = cb->buf;
	m->msg_controllen = CMSG_SPACE(len);
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
}

Test(io_sock, ipv4_reply_from_query_address_any_interface)
{
	struct in_pktinfo in = { .ipi_ifindex = 7 };
	inet_pton(AF_INET, "198.18.0.53", &in.ipi_addr);	/* the query's destination */
	inet_pton(AF_INET, "198.18.0.1", &in.ipi_spec_dst);
	struct msghdr rx, tx = { 0 };
	union cbuf rcb, tcb;
	mk_rx(&rx, &rcb, IPPROTO_IP, IP_PKTINFO, &in, sizeof in);
	io_sock_reply_cmsg(&rx, &tx, tcb.buf);
	cr_assert_eq(tx.msg_control, tcb.buf);
	cr_assert_eq(tx.msg_controllen, CMSG_SPACE(sizeof in));
	struct cmsghdr *c = CMSG_FIRSTHDR(&tx);
	cr_assert_eq(c->cmsg_level, IPPROTO_IP);
	cr_assert_eq(c->cmsg_type, IP_PKTINFO);
	cr_assert_eq(c->cmsg_len, CMSG_LEN(sizeof in));
	struct in_pktinfo out;
	memcpy(&out, CMSG_DATA(c), sizeof out);
	cr_assert_eq(out.ipi_ifindex, 0, "the reply must not be pinned to interface %d",
		     out.ipi_ifindex);
	cr_assert_eq(out.ipi_spec_dst.s_addr, in.ipi_addr.s_addr);
	cr_assert_eq(out.ipi_addr.s_addr, 0u);
}

Test(io_sock, ipv6_reply_from_query_address_any_interface)
{
	struct in6_pktinfo in = { .ipi6_ifindex = 9 };
	inet_pton(AF_INET6, "2001:db8::53", &in.ipi6_addr);
	struct msghdr rx, tx = { 0 };
	union cbuf rcb, tcb;
	mk_rx(&rx, &rcb, IPPROTO_IPV6, IPV6_PKTINFO, &in, sizeof in);
	io_sock_reply_cmsg(&rx, &tx, tcb.buf);
	cr_assert_eq(tx.msg_controllen, CMSG_SPACE(sizeof in));
	struct cmsghdr *c = CMSG_FIRSTHDR(&tx);
	cr_assert_eq(c->cmsg_level, IPPROTO_IPV6);
	cr_assert_eq(c->cmsg_type, IPV6_PKTINFO);
	struct in6_pktinfo out;
	memcpy(&out, CMSG_DATA(c), sizeof out);
	cr_assert_eq(out.ipi6_ifindex, 0u, "the reply must not be pinned to interface %u",
		     out.ipi6_ifindex);
	cr_assert_eq(memcmp(&out.ipi6_addr, &in.ipi6_addr, sizeof in.ipi6_addr), 0);
}

Test(io_sock, no_pktinfo_no_cmsg)
{
	int v = 1;
	struct msghdr rx, tx = { .msg_control = (void *)1, .msg_controllen = 5 };
	union cbuf rcb, tcb;
	mk_rx(&rx, &rcb, SOL_SOCKET, SO_TIMESTAMP, &v, sizeof v);
	io_sock_reply_cmsg(&rx, &tx, tcb.buf);
	cr_assert_null(tx.msg_control);
	cr_assert_eq(tx.msg_controllen, 0u);
	memset(&rx, 0, sizeof rx);
	io_sock_reply_cmsg(&rx, &tx, tcb.buf);
	cr_assert_null(tx.msg_control);
}
