/*
 * ctlchan.c - the dataplane's side of the control channel (ctlchan.h).
 * Zone images arrive as sealed memfds and are handed to the publisher;
 * each is acknowledged with the outcome; status and stats requests are
 * answered from the live counters (and, with DPDK, the ports asked now).
 * Runs on the main thread (the main lcore).
 */
#include "dataplane/ctlchan.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/peers.h"
#include "dataplane/io_dpdk.h"
#include "dataplane/rcu.h"
#include "zones/dname.h"

/* The reply to IPC_HELLO: the zones served now (pub_zone), so that a
 * restarted control process reports their serials; as many IPC_SERVED
 * messages as they take. */
static void send_served(struct dp *d)
{
	static uint8_t buf[IPC_MSG_MAX];
	const size_t per = (sizeof buf - sizeof(struct ipc_multi_hdr)) /
			   sizeof(struct ipc_served);
	size_t n = pub_zones(d->pub), i = 0;
	do {
		size_t k = n - i < per ? n - i : per;
		struct ipc_multi_hdr h = { (uint32_t)k, i + k < n };
		memcpy(buf, &h, sizeof h);
		for (size_t j = 0; j < k; j++) {
			struct pub_zone_info zi;
			pub_zone(d->pub, i + j, &zi);
			struct ipc_served sv = { .serial = zi.serial, .records = zi.records,
						 .size = zi.size, .loaded_at = zi.loaded_at };
			snprintf(sv.name, sizeof sv.name, "%s", zi.name);
			memcpy(buf + sizeof h + j * sizeof sv, &sv, sizeof sv);
		}
		ipc_send(d->sup.fd, IPC_SERVED, buf, sizeof h + k * sizeof(struct ipc_served), -1);
		i += k;
	} while (i < n);
}

/* The DPDK blocks of the stats reply at out (room: cap bytes): one per
 * UDP worker (its lcore's frame counters), then one per port (asked of
 * the port now); returns the bytes written, and their counts in h. */
static size_t dpdk_stats(struct dp *d, struct ipc_stats_hdr *h, uint8_t *out, size_t cap)
{
	size_t len = 0;
	for (unsigned i = 0; i < d->nudp && len + sizeof(struct ipc_lcore_stats) <= cap; i++) {
		int lc = io_dpdk_worker_lcore(i);
		struct ipc_lcore_stats ls = { .worker = i, .lcore = lc < 0 ? 0 : (uint32_t)lc };
		io_dpdk_queue_stats(d->io_ops->queue(d->io, i), &ls.io);
		memcpy(out + len, &ls, sizeof ls);
		len += sizeof ls;
		h->nlcores++;
	}
	unsigned np = io_dpdk_nports(d->io);
	for (unsigned i = 0; i < np && len + sizeof(struct ipc_port_stats) <= cap; i++) {
		struct io_dpdk_port_info pi;
		io_dpdk_port_info(d->io, i, &pi);
		struct ipc_port_stats ps = { .port = pi.id, .st = pi.st };
		memcpy(ps.name, pi.name, sizeof ps.name);
		memcpy(out + len, &ps, sizeof ps);
		len += sizeof ps;
		h->nports++;
	}
	return len;
}

/* The reply to IPC_STATS_REQ: every worker's and TCP thread's counters
 * (read live: relaxed loads), with the DPDK backend's blocks after them. */
static void send_stats(struct dp *d)
{
	static uint8_t buf[IPC_MSG_MAX];
	struct ipc_stats_hdr h = { .udp_workers = d->nudp, .wstats_size = sizeof(struct wstats) };
	snprintf(h.backend, sizeof h.backend, "%s", d->io_ops ? d->io_ops->name : "?");
	size_t len = sizeof h, per = sizeof(struct wstats);
	struct wstats w;
	for (unsigned i = 0; i < d->nudp + d->ntcp && len + per <= sizeof buf; i++) {
		memset(&w, 0, sizeof w);
		st_sum(&w, &d->stats[i]);
		memcpy(buf + len, &w, per);
		len += per;
		h.nworkers++;
	}
	if (d->eal && d->io)
		len += dpdk_stats(d, &h, buf + len, sizeof buf - len);
	memcpy(buf, &h, sizeof h);
	ipc_send(d->sup.fd, IPC_STATS, buf, len, -1);
}

/* One counter slot summed over every UDP worker and TCP thread. */
static void zslot_sum(const struct dp *d, uint32_t slot, struct ipc_zstats *out)
{
	memset(out, 0, sizeof *out);
	out->slot = slot;
	const char *name = pub_slot_name(d->pub, slot);
	if (name)
		snprintf(out->name, sizeof out->name, "%s", name);
	for (unsigned t = 0; t < d->nudp + d->ntcp; t++)
		st_zsum(&out->st, &d->zstats[(size_t)t * d->zslots + slot]);
}

/* The reply to IPC_ZSTATS_REQ: every zone's counters (those of every slot
 * given, and the shared slots' when they counted anything), in as many
 * IPC_ZSTATS messages as they take. */
static void send_zstats(struct dp *d)
{
	static uint8_t buf[IPC_MSG_MAX];
	const size_t per = (sizeof buf - sizeof(struct ipc_multi_hdr)) /
			   sizeof(struct ipc_zstats);
	uint32_t used = d->zstats ? pub_slots_used(d->pub) : 0, slot = 0;
	do {
		struct ipc_multi_hdr h = { 0, 0 };
		for (; slot < used && h.n < per; slot++) {
			struct ipc_zstats z;
			zslot_sum(d, slot, &z);
			if (slot < ZS_FIRST && !z.st.queries[ST_UDP] && !z.st.queries[ST_TCP])
				continue;
			memcpy(buf + sizeof h + h.n * sizeof z, &z, sizeof z);
			h.n++;
		}
		h.more = slot < used;
		memcpy(buf, &h, sizeof h);
		ipc_send(d->sup.fd, IPC_ZSTATS, buf, sizeof h + h.n * sizeof(struct ipc_zstats), -1);
	} while (slot < used);
}

/* The reply to IPC_STATUS_REQ: the process's state, each UDP worker's
 * and TCP thread's last progress, and with DPDK each port's link (asked
 * of the port now). */
static void send_status(struct dp *d)
{
	static uint8_t buf[IPC_MSG_MAX];
	struct ipc_status s = {
		.uptime_s = sup_now() - d->t0, .udp_workers = d->nudp,
		.tcp_workers = d->ntcp, .generation = pub_generation(d->pub),
		.last_swap = pub_last_swap(d->pub), .zones = (uint32_t)pub_zones(d->pub),
		.control_restarts = d->sup.restarts, .mapped_bytes = pub_mapped(d->pub),
	};
	snprintf(s.backend, sizeof s.backend, "%s", d->io_ops ? d->io_ops->name : "?");
	size_t len = sizeof s;
	for (unsigned i = 0; d->wk && i < d->nudp && len + sizeof(struct ipc_progress) <=
						      sizeof buf; i++) {
		struct ipc_progress pg = { .worker = i, .lcore = d->eal ? io_dpdk_worker_lcore(i)
									: -1,
					   .idle_ms = wk_pool_idle_ms(d->wk, i) };
		memcpy(buf + len, &pg, sizeof pg);
		len += sizeof pg;
		s.nworkers++;
	}
	for (unsigned i = 0; d->tcp && i < d->ntcp && len + sizeof(struct ipc_progress) <=
						       sizeof buf; i++) {
		struct ipc_progress pg = { .worker = i, .lcore = -1,
					   .idle_ms = tcp_idle_ms(d->tcp, i) };
		memcpy(buf + len, &pg, sizeof pg);
		len += sizeof pg;
		s.ntcp++;
	}
	unsigned np = d->eal && d->io ? io_dpdk_nports(d->io) : 0;
	for (unsigned i = 0; i < np && len + sizeof(struct ipc_link) <= sizeof buf; i++) {
		struct io_dpdk_port_info pi;
		io_dpdk_port_info(d->io, i, &pi);
		struct ipc_link l = { .port = pi.id, .link = pi.link };
		memcpy(l.mac, pi.mac, sizeof l.mac);
		memcpy(l.name, pi.name, sizeof l.name);
		memcpy(buf + len, &l, sizeof l);
		len += sizeof l;
		s.nports++;
	}
	memcpy(buf, &s, sizeof s);
	ipc_send(d->sup.fd, IPC_STATUS, buf, len, -1);
}

/* Serves the image, or the overlay over the zone's base (takes fd), and
 * acknowledges it. */
static void take_image(struct dp *d, struct ipc_image *im, int fd, bool overlay)
{
	im->name[sizeof im->name - 1] = 0;
	struct ipc_ack ack = { .seq = im->seq };
	memcpy(ack.name, im->name, sizeof ack.name);
	double t = sup_now();
	char err[256];
	int rc = overlay ? pub_overlay(d->pub, im->name, fd, im->size, im->records, err, sizeof err)
			 : pub_image(d->pub, im->name, fd, im->size, im->records, err, sizeof err);
	if (rc == 0) {
		ack.ok = 1;
		log_info("zone %s serial %u: serving (%llu records, %s%.1f MB, "
			 "swapped in %.3f s)", im->name, im->serial,
			 (unsigned long long)im->records, overlay ? "an overlay of " : "",
			 im->size / 1e6, sup_now() - t);
	} else {
		snprintf(ack.msg, sizeof ack.msg, "%s", err);
		log_err("zone %s: %s", im->name, err);
	}
	ack.generation = pub_generation(d->pub);
	ack.swap_s = sup_now() - t;
	ipc_send(d->sup.fd, IPC_IMAGE_ACK, &ack, sizeof ack, -1);
	/* after the ack: the control process is not kept waiting */
	if (rc == 0 && !overlay && (im->flags & IPC_IMAGE_OVERLAYS))
		pub_prepare(d->pub, im->name);
}

/* The transfer peers in memfd fd (size bytes; fd closed): decoded, then
 * swapped in for the serving threads, the old table freed after a grace
 * period (DESIGN.md "RCU"). */
static void take_peers(struct dp *d, const struct ipc_peers *ip, int fd)
{
	char err[256];
	struct peers *pr = NULL;
	uint8_t *p = ip->size && ip->size < (1u << 30) ? malloc(ip->size) : NULL;
	if (!p || pread(fd, p, ip->size, 0) != (ssize_t)ip->size)
		snprintf(err, sizeof err, "peers table: cannot read %llu bytes",
			 (unsigned long long)ip->size);
	else
		pr = peers_decode(p, ip->size, err, sizeof err);
	free(p);
	close(fd);
	if (!pr) {
		log_err("%s: the previous one stays", err);
		return;
	}
	struct peers *old = dp_rcu_publish(&d->peers, pr);
	dp_rcu_synchronize();
	peers_free(old);
}

static void tell_notify(void *ud, const uint8_t *zone, const uint8_t *peer)
{
	struct dp *d = ud;
	struct ipc_notify n = { .name = { 0 } };
	if (dname_to_text(n.name, sizeof n.name, zone) < 0)
		return;
	memcpy(n.peer, peer, sizeof n.peer);
	if (d->sup.fd >= 0)
		ipc_send(d->sup.fd, IPC_NOTIFY, &n, sizeof n, -1);
}

void ctlchan_notified(struct dp *d)
{
	ntq_drain(&d->ntq, tell_notify, d);
}

/* A message naming a zone (IPC_REMOVE, IPC_EXPIRE): its name into z;
 * false when malformed. */
static bool zone_msg(const uint8_t *buf, ssize_t n, struct ipc_zone *z)
{
	if ((size_t)n != sizeof *z)
		return false;
	memcpy(z, buf, sizeof *z);
	z->name[sizeof z->name - 1] = 0;
	return true;
}

void ctlchan_handle(struct dp *d)
{
	static uint8_t buf[IPC_MSG_MAX];
	uint32_t type;
	int fd;
	ssize_t n = ipc_recv(d->sup.fd, &type, buf, sizeof buf, &fd);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0 || (n == 0 && type == 0)) {
		if (n < 0)
			log_err("control channel: %s", strerror(errno));
		close(d->sup.fd);
		d->sup.fd = -1;
		return;
	}
	ctlchan_dispatch(d, type, buf, n, fd);
}

void ctlchan_dispatch(struct dp *d, uint32_t type, const uint8_t *buf, ssize_t n, int fd)
{
	switch (type) {
	case IPC_HELLO: {
		struct ipc_hello h;
		if ((size_t)n != sizeof h)
			break;
		memcpy(&h, buf, sizeof h);
		if (h.version != IPC_VERSION) {
			log_err("ringdns-control speaks protocol %u, ringdns %u: "
				"mismatched binaries", h.version, IPC_VERSION);
			kill(d->sup.pid, SIGTERM);
		} else {
			send_served(d);
		}
		break;
	}
	case IPC_IMAGE:
	case IPC_OVERLAY: {
		struct ipc_image im;
		if ((size_t)n != sizeof im || fd < 0)
			break;
		memcpy(&im, buf, sizeof im);
		take_image(d, &im, fd, type == IPC_OVERLAY);
		fd = -1;
		break;
	}
	case IPC_REMOVE: {
		struct ipc_zone z;
		if (!zone_msg(buf, n, &z))
			break;
		if (pub_remove(d->pub, z.name) == 0)
			log_notice("zone %s: no longer served", z.name);
		break;
	}
	case IPC_EXPIRE: {
		struct ipc_zone z;
		if (!zone_msg(buf, n, &z))
			break;
		if (pub_expire(d->pub, z.name, true) == 0)
			log_warn("zone %s: expired: answered SERVFAIL until it is transferred again",
				 z.name);
		break;
	}
	case IPC_UNEXPIRE: {
		struct ipc_zone z;
		if (zone_msg(buf, n, &z) && pub_expire(d->pub, z.name, false) == 0)
			log_notice("zone %s: no longer expired", z.name);
		break;
	}
	case IPC_PEERS: {
		struct ipc_peers ip;
		if ((size_t)n != sizeof ip || fd < 0)
			break;
		memcpy(&ip, buf, sizeof ip);
		take_peers(d, &ip, fd);
		fd = -1;
		break;
	}
	case IPC_READY:
		if (!d->sup.ready)
			log_info("serving %zu zones", pub_zones(d->pub));
		d->sup.ready = d->sup.ever_ready = true;
		break;
	case IPC_STATUS_REQ:
		send_status(d);
		break;
	case IPC_STATS_REQ:
		send_stats(d);
		break;
	case IPC_ZSTATS_REQ:
		send_zstats(d);
		break;
	case IPC_STOP:
		log_notice("stop requested through the control socket");
		d->stopping = true;
		break;
	default:
		log_warn("control channel: unexpected message type %u", type);
	}
	if (fd >= 0)
		close(fd);
}
