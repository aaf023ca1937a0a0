/*
 * stats.h - the layout of the per-worker query counters and their names
 * in reports: the dataplane's workers write them (dataplane/stats.h),
 * ringdns sends them over the control channel (IPC_STATS), and the
 * control process sums and reports them.  Each struct is written by one thread only.
 * Beside them, for the DPDK backend: what each lcore did with the frames
 * it received (struct st_io), and each port's own counters and link
 * (struct st_port, struct st_link), read by the main lcore when asked.
 */
#ifndef RINGDNS_STATS_H
#define RINGDNS_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* query types counted on their own; everything else is "other" */
enum st_qtype {
	STQ_A, STQ_NS, STQ_CNAME, STQ_SOA, STQ_PTR, STQ_MX, STQ_TXT, STQ_AAAA,
	STQ_SRV, STQ_DS, STQ_DNSKEY, STQ_HTTPS, STQ_ANY, STQ_OTHER, STQ_COUNT
};

enum st_tr { ST_UDP, ST_TCP, ST_TR_COUNT };

struct wstats {
	uint64_t queries[ST_TR_COUNT];	/* packets/messages received */
	uint64_t responses[ST_TR_COUNT];	/* responses sent */
	uint64_t rcode[16];		/* responses by (header) RCODE */
	uint64_t qtype[STQ_COUNT];	/* answered queries by QTYPE */
	uint64_t truncated;		/* UDP responses with TC=1 */
	uint64_t dropped;		/* queries not answered (malformed, QR=1, send error) */
	uint64_t tcp_conns;		/* TCP connections accepted */
	uint64_t tcp_refused;		/* TCP connections refused by a limit */
	uint64_t dnstap_sent;		/* dnstap messages handed to the writer */
	uint64_t dnstap_dropped;	/* dnstap messages dropped: the writer lagged */
	/* response rate limiting (dataplane/rrl.h), UDP only: responses over
	 * the rate sent truncated (slip) or not sent (also in dropped), and
	 * in log-only mode those that would have been limited (sent) */
	uint64_t rrl_slipped;
	uint64_t rrl_dropped;
	uint64_t rrl_would;
	char pad[64];			/* keeps the next worker's counters off this line */
} __attribute__((aligned(64)));

/*
 * The counters of one zone in one worker (or TCP thread).  Zones get a
 * slot each when first served (dataplane/publisher.h), kept for the
 * process's life so that a zone removed and served again goes on counting
 * where it stopped; slot ZS_NONE counts the queries no served zone
 * answered (REFUSED, CHAOS, malformed), ZS_OTHER the zones past the
 * configured number of slots (zone-counters).
 */
enum { ZS_NONE = 0, ZS_OTHER = 1, ZS_FIRST = 2 };
enum st_zrcode { STZ_NOERROR, STZ_NXDOMAIN, STZ_SERVFAIL, STZ_REFUSED, STZ_OTHER, STZ_COUNT };

struct zstats {
	uint64_t queries[ST_TR_COUNT];	/* queries answered from the zone */
	uint64_t responses[ST_TR_COUNT];	/* responses sent */
	uint64_t rcode[STZ_COUNT];	/* responses by (header) RCODE */
	uint64_t pad;			/* 64 bytes: a zone's counters on one line */
} __attribute__((aligned(64)));

/* The name of a zone RCODE counter in reports. */
static inline const char *st_zrcode_str(enum st_zrcode r)
{
	static const char *const name[STZ_COUNT] = { "NOERROR", "NXDOMAIN", "SERVFAIL",
						     "REFUSED", "other" };
	return r < STZ_COUNT ? name[r] : "?";
}

/* Adds n counters of src into dst (a read of live counters: relaxed loads). */
static inline void st_add_n(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* Adds every counter of b into a. */
static inline void st_sum(struct wstats *a, const struct wstats *b)
{
	st_add_n((uint64_t *)a, (const uint64_t *)b, offsetof(struct wstats, pad) / sizeof(uint64_t));
}

/* Adds every counter of zone counters b into a. */
static inline void st_zsum(struct zstats *a, const struct zstats *b)
{
	st_add_n((uint64_t *)a, (const uint64_t *)b, offsetof(struct zstats, pad) / sizeof(uint64_t));
}

/* Why the DPDK backend dropped a received frame. */
enum st_drop {
	STD_SHORT,		/* shorter than its headers say */
	STD_BAD_IP,		/* bad IP version, header length or total length */
	STD_BAD_CSUM,		/* IPv4 header or full UDP checksum wrong */
	STD_NOT_OURS,		/* ARP/ND/echo for an address we do not have, or a
				   source not answered (multicast, broadcast, ::) */
	STD_NO_ROOM,		/* a query in a buffer too small to answer in */
	STD_DNS,		/* the engine answered nothing: a bad or unanswerable
				   DNS payload (shorter than a header, QR=1) */
	STD_NO_MBUF,		/* an answer longer than a buffer, and no buffer
				   left in the pool to chain */
	STD_COUNT
};

/* What one DPDK lcore did with the frames of its queues, beside the
 * struct wstats of the queries the engine saw; written by that lcore only
 * (its own cache lines). */
struct st_io {
	uint64_t rx;			/* frames received */
	uint64_t tx;			/* frames the port took: answers and replies */
	uint64_t replied;		/* ARP, ND, echo: answered in place */
	uint64_t punted;		/* for the kernel's exception path */
	uint64_t tx_full;		/* frames the port did not take (freed) */
	uint64_t dropped[STD_COUNT];	/* received frames dropped, by reason */
	uint64_t punt_dropped;		/* for the kernel, but over the punt rate or
					   not taken by the exception port (freed) */
	/* where the lcore's time went, in its cycle counter (TSC) ticks:
	 * cycles from its first poll to its last, busy_cycles of that in
	 * polls that received frames (receive, answer, send); their ratio
	 * is how loaded a busy-polling lcore is, busy_cycles per response
	 * what an answer costs */
	uint64_t polls;			/* receive polls, empty ones included */
	uint64_t busy_polls;		/* polls that received at least a frame */
	uint64_t cycles;
	uint64_t busy_cycles;
};

static inline void st_io_sum(struct st_io *a, const struct st_io *b)
{
	st_add_n((uint64_t *)a, (const uint64_t *)b, sizeof *b / sizeof(uint64_t));
}

/* A DPDK port's own counters (rte_eth_stats_get). */
struct st_port {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_missed;	/* imissed: the port found no free descriptor (the
				   lcores fell behind) */
	uint64_t rx_errors;	/* ierrors: bad frames */
	uint64_t rx_nombuf;	/* the pool had no buffer for a frame */
	uint64_t tx_errors;	/* oerrors */
};

static inline void st_port_sum(struct st_port *a, const struct st_port *b)
{
	st_add_n((uint64_t *)a, (const uint64_t *)b, sizeof *b / sizeof(uint64_t));
}

/* A DPDK port's link as the port reports it. */
struct st_link {
	uint32_t known;		/* 0: the port could not say */
	uint32_t up;
	uint32_t speed_mbps;	/* 0: not reported */
	uint32_t full_duplex;
};

/* The link in words: "link up, 10000 Mb/s full-duplex", "link down". */
static inline void st_link_str(const struct st_link *l, char *buf, size_t cap)
{
	if (!l->known)
		snprintf(buf, cap, "link state unknown");
	else if (!l->up)
		snprintf(buf, cap, "link down");
	else if (!l->speed_mbps)
		snprintf(buf, cap, "link up");
	else
		snprintf(buf, cap, "link up, %u Mb/s %s-duplex", l->speed_mbps,
			 l->full_duplex ? "full" : "half");
}

/* The name of a drop reason in reports. */
static inline const char *st_drop_str(enum st_drop d)
{
	static const char *const name[STD_COUNT] = {
		"short", "bad_ip", "bad_checksum", "not_ours", "no_room", "dns",
		"no_mbuf" };
	return d < STD_COUNT ? name[d] : "?";
}

/* The counter's name in reports. */
static inline const char *st_qtype_str(enum st_qtype t)
{
	static const char *const name[STQ_COUNT] = {
		"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "DNSKEY",
		"HTTPS", "ANY", "other" };
	return t < STQ_COUNT ? name[t] : "?";
}

#endif
