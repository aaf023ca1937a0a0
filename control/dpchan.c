/*
 * dpchan.c - ringdns-control's side of the channel to the dataplane
 * (common/ipc.h): waiting for a reply while other messages come in,
 * learning what the dataplane serves already, handing a zone image over
 * until the dataplane says it serves it, sending it the transfer peers
 * (common/peers.h) and acting on the NOTIFYs it accepted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/peers.h"
#include "control/ctl.h"

#define DP_REPLY_MS 5000	/* how long a reply from the dataplane may take */

/* RFC 1996 §3.7: a NOTIFY the dataplane accepted (from a primary of the
 * zone, signed when the zone has a key) has the zone checked at once, as
 * if its refresh timer had run out; one arriving during a check has it
 * checked again when that one ends (§4.7: its SOA may be newer). */
static void notified(struct ctl *c, const struct ipc_notify *n)
{
	char zone[sizeof n->name], who[INET6_ADDRSTRLEN];
	memcpy(zone, n->name, sizeof zone);
	zone[sizeof zone - 1] = 0;
	static const uint8_t v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	bool is4 = memcmp(n->peer, v4, sizeof v4) == 0;
	inet_ntop(is4 ? AF_INET : AF_INET6, is4 ? n->peer + 12 : n->peer, who, sizeof who);
	struct zst *z = zj_find(c, zone);
	if (!z || !xfi_secondary(c, z))
		return;
	log_info("zone %s: NOTIFY from %s: checking the primaries", z->name, who);
	xfi_check_now(z, false);
}

void dpc_other(struct ctl *c, uint32_t type, const void *msg, size_t len)
{
	if (type == IPC_RELOAD) {
		c->reload_pending = true;
	} else if (type == IPC_NOTIFY && len == sizeof(struct ipc_notify)) {
		struct ipc_notify n;
		memcpy(&n, msg, sizeof n);
		notified(c, &n);
	} else if (type == IPC_STATUS && c->status_owed) {
		c->status_owed--;	/* late: its asker gave up (health.c) */
	}
}

void dpc_send_peers(struct ctl *c)
{
	struct tsig_key keys[CFG_KEYS_MAX];
	size_t nkeys = ctl_tsig_keys(c, keys);
	struct peers_zone_in *zs = calloc(c->cfg.nzones ? c->cfg.nzones : 1, sizeof *zs);
	size_t nz = 0;
	char err[256];
	int fd = memfd_create("ringdns-peers", MFD_CLOEXEC);
	if (!zs || fd < 0) {
		log_err("the transfer peers cannot be sent to ringdns: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < c->cfg.nzones; i++) {
		const struct cfg_zone *cz = &c->cfg.zones[i];
		if (cz->nprimaries)
			zs[nz++] = (struct peers_zone_in){ .name = cz->name, .key = cz->key,
							   .primaries = cz->primaries,
							   .nprimaries = cz->nprimaries };
	}
	long len = peers_encode(fd, keys, nkeys, zs, nz, err, sizeof err);
	struct ipc_peers ip = { .size = len > 0 ? (uint64_t)len : 0 };
	if (len < 0)
		log_err("the transfer peers cannot be sent to ringdns: %s", err);
	else if (ipc_send(c->dp, IPC_PEERS, &ip, sizeof ip, fd) != 0)
		log_err("sending the transfer peers to ringdns: %s", strerror(errno));
	else
		c->peers_due = false;
out:
	memset(keys, 0, sizeof keys);
	free(zs);
	if (fd >= 0)
		close(fd);
}

ssize_t dpc_wait(struct ctl *c, uint32_t want, void *buf, size_t cap)
{
	return dpc_wait_ms(c, want, buf, cap, DP_REPLY_MS);
}

ssize_t dpc_wait_ms(struct ctl *c, uint32_t want, void *buf, size_t cap, int timeout_ms)
{
	int64_t until = ipc_now_ms() + timeout_ms;
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
		static uint8_t msg[IPC_MSG_MAX];
		uint32_t type;
		int fd;
		ssize_t n = ipc_recv(c->dp, &type, msg, sizeof msg, &fd);
		if (fd >= 0)
			close(fd);
		if (n < 0 || (n == 0 && type == 0)) {
			c->stop = true;
			return -1;
		}
		if (type == want) {
			if ((size_t)n > cap)
				return -1;
			memcpy(buf, msg, (size_t)n);
			return n;
		}
		dpc_other(c, type, msg, (size_t)n);
	}
}

/* How long ringdns may take to confirm an image of size bytes: it maps
 * and validates the whole image (snap_open reads every table) and waits
 * for a grace period before it answers; a 1 GiB image takes seconds, and
 * on a loaded machine or a sanitizer build many more.  Giving up early
 * would report a failure while ringdns goes on to serve the image. */
static int ack_ms(size_t size)
{
	uint64_t ms = 30000 + size / (8u << 20) * 1000;	/* + 1 s per 8 MiB */
	return ms > 600000 ? 600000 : (int)ms;
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
		if (dpc_wait_ms(c, IPC_IMAGE_ACK, &ack, sizeof ack, ack_ms(size)) !=
		    (ssize_t)sizeof ack) {
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

int dpc_served_msg(struct ctl *c, const uint8_t *buf, size_t n, bool *more)
{
	struct ipc_multi_hdr h;
	const uint8_t *e = ipc_multi_entries(buf, n, sizeof(struct ipc_served), &h);
	if (!e)
		return -1;
	for (uint32_t i = 0; i < h.n; i++) {
		struct ipc_served sv;
		memcpy(&sv, e + i * sizeof sv, sizeof sv);
		sv.name[sizeof sv.name - 1] = 0;
		zj_served(c, &sv);
	}
	*more = h.more;
	return 0;
}

int dpc_served(struct ctl *c)
{
	static uint8_t buf[IPC_MSG_MAX];
	bool more = false;
	do {
		ssize_t n = dpc_wait(c, IPC_SERVED, buf, sizeof buf);
		if (n < 0 || dpc_served_msg(c, buf, (size_t)n, &more) != 0)
			return -1;
	} while (more);
	return 0;
}
