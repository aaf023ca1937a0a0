/*
 * test_io_sock.c - the socket backend's reply control message
 * (io_sock_reply_cmsg): the reply leaves from the address the query was
 * sent to, through the interface the routing table picks (index 0), for
 * IPv4 and IPv6; no pktinfo, no control message.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* A UDP port free now on both families' wildcard addresses. */
static uint16_t free_udp_port(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t al = sizeof a;
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin6_port);
}

Test(io_sock, query_names_both_ends_on_a_wildcard_bind)
{
	uint16_t port = free_udp_port();
	struct cfg_listen l[2];
	char text[32];
	snprintf(text, sizeof text, "0.0.0.0:%u", port);
	cr_assert_eq(cfg_parse_listen(&l[0], text), 0);
	snprintf(text, sizeof text, "[::]:%u", port);
	cr_assert_eq(cfg_parse_listen(&l[1], text), 0);
	struct io_conf conf = { .addrs = l, .naddrs = 2, .queues = 1, .resp_cap = 512 };
	struct io_backend *be;
	char err[256];
	cr_assert_eq(io_sock_ops.init(&conf, &be, err, sizeof err), 0, "%s", err);
	struct io_queue *q = io_sock_ops.queue(be, 0);
	static struct io_burst b;
	for (int v6 = 0; v6 < 2; v6++) {
		int fam = v6 ? AF_INET6 : AF_INET;
		const char *lo = v6 ? "::1" : "127.0.0.1";
		struct sockaddr_storage cl = { .ss_family = (sa_family_t)fam }, sv = cl;
		socklen_t sl = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		void *cla = v6 ? (void *)&((struct sockaddr_in6 *)&cl)->sin6_addr
			       : (void *)&((struct sockaddr_in *)&cl)->sin_addr;
		void *sva = v6 ? (void *)&((struct sockaddr_in6 *)&sv)->sin6_addr
			       : (void *)&((struct sockaddr_in *)&sv)->sin_addr;
		inet_pton(fam, lo, cla);
		inet_pton(fam, lo, sva);
		if (v6)
			((struct sockaddr_in6 *)&sv)->sin6_port = htons(port);
		else
			((struct sockaddr_in *)&sv)->sin_port = htons(port);
		int fd = socket(fam, SOCK_DGRAM, 0);
		cr_assert_geq(fd, 0);
		cr_assert_eq(bind(fd, (struct sockaddr *)&cl, sl), 0);
		cr_assert_eq(getsockname(fd, (struct sockaddr *)&cl, &sl), 0);
		uint8_t msg[12] = { 0x12, 0x34 };
		cr_assert_eq(sendto(fd, msg, sizeof msg, 0, (struct sockaddr *)&sv, sl),
			     (ssize_t)sizeof msg);
		unsigned n = 0;
		for (int t = 0; t < 20 && !n; t++)
			n = io_sock_ops.wait(q, &b);
		close(fd);
		cr_assert_eq(n, 1, "%s: received %u", lo, n);
		const struct ans_req *r = &b.req[0];
		cr_assert_eq(r->qlen, sizeof msg);
		cr_assert_eq(r->peer_kind, ANS_PEER_SOCKADDR);
		const struct sockaddr_storage *p = r->peer;
		cr_assert_eq(p->ss_family, fam);
		cr_assert_eq(memcmp(p, &cl, sl), 0, "%s: the sender's sockaddr", lo);
		cr_assert_eq(r->local_kind, v6 ? ANS_PEER_IP16 : ANS_PEER_IP4);
		cr_assert_eq(memcmp(r->local, sva, v6 ? 16 : 4), 0, "%s: the address sent to", lo);
		cr_assert_eq(r->local_port, port);
	}
	io_sock_ops.fini(be);
}
