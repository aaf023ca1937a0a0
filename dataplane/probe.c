/*
 * probe.c - is a listen address served already (probe.h)?  Binds a probe
 * socket without SO_REUSEPORT and closes it: EADDRINUSE means another
 * socket holds the address and port.  For TCP the probe sets SO_REUSEADDR
 * so that connections of a stopped instance in TIME_WAIT do not count;
 * only a listener does.
 */
#include "dataplane/probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int probe_one(const struct cfg_listen *a, int type, const char *proto, char *err,
		     size_t errcap)
{
	int fam = a->addr.ss_family, one = 1;
	int fd = socket(fam, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errcap, "listen %s (%s): socket: %s", a->text, proto,
			 strerror(errno));
		return -1;
	}
	/* as the real sockets: v6 only on v6, so [::] does not take v4 */
	if (fam == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	int rc = bind(fd, (const struct sockaddr *)&a->addr, a->addrlen);
	int e = errno;
	close(fd);
	if (rc == 0)
		return 0;
	if (e == EADDRINUSE)
		snprintf(err, errcap,
			 "%s is already served by another process (%s); stop it first, or "
			 "set reuse-port-takeover: true (--reuse-port-takeover) to start "
			 "beside it for a hand-over", a->text, proto);
	else
		snprintf(err, errcap, "listen %s (%s): %s", a->text, proto, strerror(e));
	return -1;
}

static unsigned probe_port(const struct cfg_listen *a)
{
	if (a->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->addr)->sin_port);
}

int probe_listen(const struct cfg_listen *a, char *err, size_t errcap)
{
	if (probe_port(a) == 0)
		return 0;
	if (probe_one(a, SOCK_DGRAM, "UDP", err, errcap) != 0)
		return -1;
	return probe_one(a, SOCK_STREAM, "TCP", err, errcap);
}
