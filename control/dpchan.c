/*
 * dpchan.c - ringdns-control's side of the channel to the dataplane
 * (common/ipc.h): waiting for a reply while other messages come in,
 * learning what the dataplane serves already, and handing a zone image
 * over until the dataplane says it serves it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "control/ctl.h"

#define DP_REPLY_MS 5000	/* how long a reply from the dataplane may take */

ssize_t dpc_wait(struct ctl *c, uint32_t want, void *buf, size_t cap)
{
	int64_t until = ipc_now_ms() + DP_REPLY_MS;
	for (;;) {
		int64_t left = until - ipc_now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p[2] = { { .fd = c->dp, .events = POLLIN },
				       { .fd = c->wake_fd, .events = POLLIN } };
		int ready = poll(p, 2, (int)left);
		if (ready > 0 && (p[1].revents & POLLIN))
			csig_read(c);
		if (ctl_stopping(c))
			return -1;
		if (ready <= 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		uint32_t type;
		int fd;
		ssize_t n = ipc_recv(c->dp, &type, buf, cap, &fd);
		if (fd >= 0)
			close(fd);
		if (n < 0 || (n == 0 && type == 0)) {
			c->stop = true;
			return -1;
		}
		if (type == want)
			return n;
		if (type == IPC_RELOAD)
			c->reload_pending = true;
	}
}

/* An image (IPC_IMAGE) or an overlay (IPC_OVERLAY) handed over. */
static int hand_over(struct ctl *c, uint32_t type, const char *zone, int fd, size_t size,
		     uint32_t serial, uint64_t records, char *err, size_t errcap)
{
	struct ipc_image im = { .size = size, .records = records, .serial = serial,
				.seq = ++c->seq };
	snprintf(im.name, sizeof im.name, "%s", zone);
	const struct zst *z = zj_find(c, zone);
	if (type == IPC_IMAGE && z && xfi_secondary(c, z))
		im.flags |= IPC_IMAGE_OVERLAYS;	/* its changes come as overlays */
	if (ipc_send(c->dp, type, &im, sizeof im, fd) != 0) {
		snprintf(err, errcap, "handing the image to ringdns: %s", strerror(errno));
		return -1;
	}
	struct ipc_ack ack;
	do {
		if (dpc_wait(c, IPC_IMAGE_ACK, &ack, sizeof ack) != (ssize_t)sizeof ack) {
			snprintf(err, errcap, "%s", ctl_stopping(c)
				 ? "stopped before ringdns confirmed the new image"
				 : "ringdns did not confirm the new image");
			return -1;
		}
	} while (ack.seq != im.seq);
	if (!ack.ok) {
		ack.msg[sizeof ack.msg - 1] = 0;
		snprintf(err, errcap, "ringdns refused the image: %s", ack.msg);
		return -1;
	}
	return 0;
}

int dpc_hand_over(struct ctl *c, const char *zone, int fd, size_t size, uint32_t serial,
		  uint64_t records, char *err, size_t errcap)
{
	return hand_over(c, IPC_IMAGE, zone, fd, size, serial, records, err, errcap);
}

int dpc_hand_over_overlay(struct ctl *c, const char *zone, int fd, size_t size,
			  uint32_t serial, uint64_t records, char *err, size_t errcap)
{
	return hand_over(c, IPC_OVERLAY, zone, fd, size, serial, records, err, errcap);
}

int dpc_served(struct ctl *c)
{
	static uint8_t buf[IPC_MSG_MAX];
	struct ipc_served_hdr h;
	do {
		ssize_t n = dpc_wait(c, IPC_SERVED, buf, sizeof buf);
		if (n < (ssize_t)sizeof h)
			return -1;
		memcpy(&h, buf, sizeof h);
		if ((size_t)n != sizeof h + (size_t)h.nzones * sizeof(struct ipc_served))
			return -1;
		for (uint32_t i = 0; i < h.nzones; i++) {
			struct ipc_served sv;
			memcpy(&sv, buf + sizeof h + i * sizeof sv, sizeof sv);
			sv.name[sizeof sv.name - 1] = 0;
			zj_served(c, &sv);
		}
	} while (h.more);
	return 0;
}
