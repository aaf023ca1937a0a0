/*
 * ipc.c - framing of the dataplane <-> control messages on a SEQPACKET
 * socket, with an optional fd, and sealed memfds for zone images.
 */
#include "common/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int ipc_send(int sock, uint32_t type, const void *payload, size_t len, int fd)
{
	return ipc_send2(sock, type, payload, len, NULL, 0, fd, 0);
}

int ipc_send2(int sock, uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
	      int fd, int flags)
{
	size_t len = alen + blen;
	if (len > IPC_MSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	struct ipc_hdr h = { .type = type, .len = (uint32_t)len };
	struct iovec iov[3] = { { &h, sizeof h }, { (void *)a, alen }, { (void *)b, blen } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = blen ? 3 : alen ? 2 : 1 };
	if (fd >= 0) {
		memset(&cm, 0, sizeof cm);
		m.msg_control = cm.buf;
		m.msg_controllen = sizeof cm.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof h + len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

ssize_t ipc_recv(int sock, uint32_t *type, void *buf, size_t cap, int *fd)
{
	struct ipc_hdr h;
	struct iovec iov[2] = { { &h, sizeof h }, { buf, cap } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = cm.buf,
			    .msg_controllen = sizeof cm.buf };
	*fd = -1;
	*type = 0;
	ssize_t n;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
	if (n == 0)
		return 0;
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		errno = EMSGSIZE;
		goto bad;
	}
	if ((size_t)n < sizeof h || h.len != (size_t)n - sizeof h || h.type == 0) {
		errno = EPROTO;
		goto bad;
	}
	*type = h.type;
	return (ssize_t)h.len;
bad:
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return -1;
}

int ipc_memfd_from(struct ipc_memfd *m, void *image, size_t size)
{
	/* write(2) fills the memfd's pages from the kernel: far fewer page
	 * faults than building the image in a shared mapping of it (one per
	 * 4 KiB page, shmem gets no huge pages), which cost most of a
	 * compile on VMs where a fault is dear. */
	m->fd = memfd_create(m->name ? m->name : "ringdns-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m->fd < 0) {
		snprintf(m->err, sizeof m->err, "memfd_create: %s", strerror(errno));
		return -1;
	}
	const size_t chunk = 8u << 20;
	uint8_t *p = image;
	for (size_t off = 0; off < size;) {
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t w = write(m->fd, p + off, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(m->err, sizeof m->err, "writing the image memfd: %s",
				 w < 0 ? strerror(errno) : "short write");
			return -1;
		}
		/* what is copied is given back at once: the image is in
		 * memory once, not twice */
		if (((uintptr_t)(p + off) & 4095) == 0 && (size_t)w >= 4096)
			madvise(p + off, (size_t)w & ~(size_t)4095, MADV_DONTNEED);
		off += (size_t)w;
	}
	return 0;
}

int ipc_memfd_seal(struct ipc_memfd *m, char *err, size_t errcap)
{
	if (fcntl(m->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		snprintf(err, errcap, "sealing the image memfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void ipc_memfd_discard(struct ipc_memfd *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

const void *ipc_memfd_map(int fd, size_t size, char *err, size_t errcap)
{
	int seals = fcntl(fd, F_GET_SEALS);
	const int need = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	if (seals < 0 || (seals & need) != need) {
		snprintf(err, errcap, "image fd is not a sealed memfd");
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != size || size == 0) {
		snprintf(err, errcap, "image fd holds %lld bytes, announced %zu",
			 (long long)st.st_size, size);
		return NULL;
	}
	/* MAP_POPULATE: the pages exist already (the compiler wrote them);
	 * mapping them all at once is cheaper than a fault per page while
	 * snap_open reads the image */
	void *p = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errcap, "mapping the image: %s", strerror(errno));
		return NULL;
	}
	return p;
}

int64_t ipc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ipc_wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - ipc_now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, (int)left);
		if (rc >= 0)
			return rc > 0;
		if (errno != EINTR)
			return -1;
	}
}

const uint8_t *ipc_multi_entries(const uint8_t *buf, size_t len, size_t per,
				 struct ipc_multi_hdr *h)
{
	if (len < sizeof *h)
		return NULL;
	memcpy(h, buf, sizeof *h);
	return len == sizeof *h + (size_t)h->n * per ? buf + sizeof *h : NULL;
}
