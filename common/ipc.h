/*
 * ipc.h - the messages between ringdns (the dataplane) and its control
 * process, over one SOCK_SEQPACKET socketpair made by ringdns (the child
 * gets its end as --dp-fd N).  Each message is one packet: a fixed header
 * and a payload; a zone image travels as a sealed memfd attached with
 * SCM_RIGHTS, so the dataplane maps the bytes the compiler wrote without a
 * copy and without parsing text.  Both processes come from one build, so
 * payloads are plain structs; IPC_HELLO carries IPC_VERSION to catch a
 * mismatched pair of binaries.
 *
 * A second socketpair, made once by ringdns and passed to every control
 * process it starts (--xfr-fd N), carries only IPC_XFR: a TCP connection
 * whose query asks for a zone transfer, handed over by the thread that
 * read it (the control process serves transfers, never the dataplane).
 */
#ifndef RINGDNS_IPC_H
#define RINGDNS_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/stats.h"

#define IPC_VERSION 12
#define IPC_MSG_MAX (256 * 1024)	/* payload bytes in one message */

enum ipc_type {
	/* control -> dataplane */
	IPC_HELLO = 1,		/* struct ipc_hello */
	IPC_IMAGE,		/* struct ipc_image + memfd */
	IPC_REMOVE,		/* struct ipc_zone: stop serving this zone */
	IPC_READY,		/* every zone of the configuration was offered once */
	IPC_STATUS_REQ,		/* -> IPC_STATUS */
	IPC_STATS_REQ,		/* -> IPC_STATS */
	IPC_STOP,		/* ringctl stop: the dataplane shuts down */
	IPC_EXPIRE,		/* struct ipc_zone: answer SERVFAIL for it (expired) */
	IPC_PEERS,		/* struct ipc_peers + memfd: the transfer peers
				   the dataplane needs (common/peers.h) */
	/* dataplane -> control */
	IPC_IMAGE_ACK,		/* struct ipc_ack */
	IPC_STATUS,		/* struct ipc_status + struct ipc_progress[nworkers]
				   + struct ipc_progress[ntcp] + struct ipc_link[nports] */
	IPC_STATS,		/* struct ipc_stats_hdr + struct wstats[nworkers]
				   + struct ipc_lcore_stats[nlcores]
				   + struct ipc_port_stats[nports] */
	IPC_RELOAD,		/* SIGHUP: reload the configuration and every zone */
	IPC_SERVED,		/* the reply to IPC_HELLO: what is served already,
				   struct ipc_multi_hdr + struct ipc_served[n] */
	IPC_XFR,		/* on the transfer channel: struct ipc_xfr + the
				   query's bytes, the connection attached */
	IPC_NOTIFY,		/* struct ipc_notify: an allowed primary NOTIFYed */
	IPC_OVERLAY,		/* control -> dataplane: struct ipc_image + memfd
				   of an overlay (zones/overlay.h) over the zone's
				   base image; acknowledged as IPC_IMAGE */
	IPC_UNEXPIRE,		/* control -> dataplane: struct ipc_zone: an
				   expired zone's primary answers its serial
				   again: served as it is */
	IPC_ZSTATS_REQ,		/* control -> dataplane: -> IPC_ZSTATS */
	IPC_ZSTATS,		/* dataplane -> control: the per-zone counters,
				   struct ipc_multi_hdr + struct ipc_zstats[n],
				   in as many messages as they take */
};

/* A transfer query and where it came from; the qlen query bytes (without
 * the TCP length prefix) follow.  Bytes the client sent after the query
 * were not read by ringdns and are still in the connection. */
struct ipc_xfr {
	struct sockaddr_storage peer;
	uint32_t peerlen;
	uint32_t qlen;
};

/* The peers table (common/peers.h) in the attached memfd. */
struct ipc_peers {
	uint64_t size;
};

/* A NOTIFY the dataplane accepted (RFC 1996 §3.7: the secondary checks
 * its primaries at once), answered already. */
struct ipc_notify {
	char name[256];		/* the zone: text, absolute */
	uint8_t peer[16];	/* the sender (IPv4 v4-mapped) */
};

struct ipc_hdr {
	uint32_t type;
	uint32_t len;		/* payload bytes after this header */
};

struct ipc_hello {
	uint32_t version;	/* IPC_VERSION */
	uint32_t pid;
};

struct ipc_zone {
	char name[256];		/* text, absolute, lowercase */
};

struct ipc_image {
	char name[256];		/* the zone the image is for */
	uint64_t size;		/* image bytes in the memfd */
	uint64_t records;
	uint32_t serial;
	uint32_t seq;		/* echoed in the ack */
	uint32_t flags;		/* IPC_IMAGE_* */
	uint32_t pad;
};

/* ipc_image.flags */
enum {
	/* IPC_IMAGE: overlays of this image will follow (a secondary zone):
	 * get ready for them once the image is served (pub_prepare) */
	IPC_IMAGE_OVERLAYS = 1 << 0,
};

struct ipc_ack {
	char name[256];
	uint32_t seq;
	int32_t ok;		/* 1: serving it now; 0: refused (msg says why) */
	uint64_t generation;	/* root generation after the swap */
	double swap_s;		/* map + validate + swap + grace period */
	char msg[256];
};

struct ipc_status {
	double uptime_s;
	uint32_t udp_workers, tcp_workers;
	uint64_t generation;	/* root swaps since start */
	int64_t last_swap;	/* unix time of the last swap, 0 = none */
	uint32_t zones;		/* zones being served */
	uint32_t control_restarts;
	uint64_t mapped_bytes;	/* snapshot images mapped */
	char backend[16];	/* the UDP I/O backend: "socket" or "dpdk" */
	uint32_t nworkers;	/* struct ipc_progress that follow: the UDP workers */
	uint32_t nports;	/* struct ipc_link after them (DPDK ports) */
	uint32_t ntcp;		/* struct ipc_progress of the TCP threads, after
				   the UDP workers' */
	uint32_t pad;
};

/* A UDP worker's or TCP thread's liveness: how long since it last went
 * round its loop. */
struct ipc_progress {
	uint32_t worker;
	int32_t lcore;		/* the DPDK lcore it runs on; -1: a thread of ours */
	double idle_ms;		/* since its last loop iteration; < 0: not started */
};

/* A DPDK port's link, read when the status was asked for. */
struct ipc_link {
	uint32_t port;		/* the port id */
	uint8_t mac[6];
	char name[64];		/* the device name (PCI address, vdev name) */
	struct st_link link;
};

/* A zone the dataplane serves, as a (re)started control process learns it. */
struct ipc_served {
	char name[256];		/* text, absolute, lowercase */
	uint32_t serial;
	uint32_t pad;
	uint64_t records;
	uint64_t size;		/* image bytes */
	int64_t loaded_at;	/* unix time the image was swapped in */
};

/* A reply that may take several messages (IPC_SERVED, IPC_ZSTATS): each
 * is this header and n entries; all but the last say more = 1. */
struct ipc_multi_hdr {
	uint32_t n;		/* entries that follow */
	uint32_t more;		/* 1: another message of the reply follows */
};

/* The entries of one such message buf[0..len), each per bytes, with its
 * header in *h; NULL when the lengths do not add up. */
const uint8_t *ipc_multi_entries(const uint8_t *buf, size_t len, size_t per,
				 struct ipc_multi_hdr *h);

struct ipc_stats_hdr {
	uint32_t nworkers;	/* struct wstats that follow: UDP workers, then TCP */
	uint32_t udp_workers;
	uint32_t wstats_size;	/* sizeof(struct wstats), as a check */
	uint32_t nlcores;	/* struct ipc_lcore_stats after them: one per UDP
				   worker with the DPDK backend, else none */
	uint32_t nports;	/* struct ipc_port_stats after those (DPDK ports) */
	uint32_t pad;
	char backend[16];	/* the UDP I/O backend: "socket" or "dpdk" */
};

/* One counter slot (common/stats.h ZS_*) summed over the serving threads:
 * a zone's, or the queries of no served zone (ZS_NONE), or of the zones
 * past the configured slots (ZS_OTHER); name is empty for those two. */
struct ipc_zstats {
	struct zstats st;
	uint32_t slot;
	char name[256];		/* the zone: text, absolute */
};

/* What DPDK lcore `lcore`, running UDP worker `worker`, did with frames. */
struct ipc_lcore_stats {
	uint32_t worker;
	uint32_t lcore;
	struct st_io io;
};

/* A DPDK port's own counters, read when the stats were asked for. */
struct ipc_port_stats {
	uint32_t port;		/* the port id */
	uint32_t pad;
	char name[64];		/* the device name */
	struct st_port st;
};

/* Sends one message (with fd attached when fd >= 0).  0, or -1 (errno). */
int ipc_send(int sock, uint32_t type, const void *payload, size_t len, int fd);
/* The same with the payload in two parts (a then b) and sendmsg flags
 * (MSG_DONTWAIT: -1 with EAGAIN rather than wait for room). */
int ipc_send2(int sock, uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
	      int fd, int flags);

/*
 * Receives one message: payload into buf (cap bytes), attached fd into
 * *fd (-1 when none; the caller closes it).  Returns the payload length
 * with *type set, 0 with *type 0 at end of stream, -1 on error (errno;
 * EMSGSIZE for a truncated message, EPROTO for a malformed one).
 */
ssize_t ipc_recv(int sock, uint32_t *type, void *buf, size_t cap, int *fd);

/*
 * A memfd holding a compiled image: ipc_memfd_from copies the image in,
 * ipc_memfd_seal seals it, and its fd goes to ipc_send.
 */
struct ipc_memfd {
	int fd;			/* -1 until made */
	const char *name;	/* memfd name, for /proc */
	char err[128];
};
/* Writes image (size bytes) into a new memfd in m, giving the image's
 * pages back to the kernel as they are copied (its contents are gone
 * after; the caller still frees it).  0, or -1 with a message in m->err. */
int ipc_memfd_from(struct ipc_memfd *m, void *image, size_t size);
/* 0 and m->fd sealed read-only, or -1 with a message in err. */
int ipc_memfd_seal(struct ipc_memfd *m, char *err, size_t errcap);
/* Closes what m holds. */
void ipc_memfd_discard(struct ipc_memfd *m);

/*
 * Maps a memfd received from the control process read-only, after
 * checking it is sealed against writes and resizing and is exactly size
 * bytes.  Returns the mapping or NULL with a message in err.
 */
const void *ipc_memfd_map(int fd, size_t size, char *err, size_t errcap);

/* CLOCK_MONOTONIC in milliseconds, for deadlines of socket waits. */
int64_t ipc_now_ms(void);

/* Waits until fd is ready for events (poll(2) bits) or the deadline
 * (ipc_now_ms) passes, EINTR retried: 1 ready, 0 timed out, -1 error. */
int ipc_wait_fd(int fd, short events, int64_t deadline);

#endif
