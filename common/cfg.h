/*
 * cfg.h - the ringdns configuration: one YAML file (read with libyaml) and
 * command-line flags for quick starts and tests.  Read by ringdns (server
 * settings) and by ringdns-control (zones).  Errors name FILE:LINE.
 * The file format is documented in doc/config.md.
 */
#ifndef RINGDNS_CFG_H
#define RINGDNS_CFG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CFG_LISTEN_MAX 16
#define CFG_ADDRESS_MAX 8	/* --io dpdk: addresses answered for, per family */
#define CFG_DNS_PORT 53		/* --io dpdk: the UDP port answered on the NIC */
#define CFG_NAME_MAX 256	/* text domain name incl. NUL */
#define CFG_DEFAULT_VERSION "ringdns 0.1.0"

struct cfg_listen {
	struct sockaddr_storage addr;	/* AF_INET or AF_INET6, port set */
	socklen_t addrlen;
	char text[64];			/* as written, for logs */
};

/* An address prefix (an access list entry).  IPv4 is held as v4-mapped
 * IPv6 (::ffff:a.b.c.d), its length as 96 + the IPv4 prefix length. */
#define CFG_PREFIX_MAX 64
struct cfg_prefix {
	uint8_t addr[16];	/* bits past len are zero */
	uint8_t len;		/* 0..128 */
	char text[64];		/* as written, for logs */
};

/* Whether the address a (16 bytes, IPv4 v4-mapped) is inside p. */
bool cfg_prefix_match(const struct cfg_prefix *p, const uint8_t a[16]);

/* A TSIG key (RFC 8945) for zone transfers and NOTIFY. */
#define CFG_KEYS_MAX 64
#define CFG_KEY_SECRET_MAX 128	/* bytes, decoded */
struct cfg_key {
	char name[CFG_NAME_MAX];	/* absolute, lowercase, trailing dot */
	char algorithm[16];		/* canonical: "hmac-sha256", ... */
	char secret[256];		/* base64 text as given (or as read from
					 * secret-file, trimmed); checked to be valid
					 * base64 of 1..CFG_KEY_SECRET_MAX bytes */
};

/* How a primary is reached: plain TCP, or XFR-over-TLS (RFC 9103) that
 * authenticates the primary (strict) or only encrypts (opportunistic). */
enum cfg_tls_mode { CFG_TLS_OFF = 0, CFG_TLS_OPPORTUNISTIC, CFG_TLS_STRICT };

/* A primary's TLS settings (one malloc, owned by its cfg_remote). */
struct cfg_tls {
	enum cfg_tls_mode mode;
	char name[CFG_NAME_MAX];	/* strict: the name its certificate must hold;
					 * "" = the primary's address */
	char ca_file[];			/* strict: CA certificates (PEM);
					 * "" = the system's store */
};

/* A server a zone is transferred from (a primary) or NOTIFYs go to. */
#define CFG_REMOTE_MAX 8
struct cfg_remote {
	struct sockaddr_storage addr;	/* AF_INET or AF_INET6, port set (default 53) */
	socklen_t addrlen;
	char text[80];			/* as written, for logs */
	struct cfg_tls *tls;		/* primaries: NULL = plain TCP (and UDP for
					 * the SOA query); owned by the cfg */
};

struct cfg_zone {
	char name[CFG_NAME_MAX];	/* text, absolute with trailing dot */
	char *file;			/* path (malloc): as given to --zone; from the
					 * file, a relative path is prefixed with the
					 * config file's directory.  For a secondary,
					 * where the transferred zone is kept */
	struct cfg_remote primaries[CFG_REMOTE_MAX];
	unsigned nprimaries;		/* > 0: a secondary zone, transferred from these */
	struct cfg_remote notify[CFG_REMOTE_MAX];
	unsigned nnotify;		/* secondaries to NOTIFY when the serial changes */
	int key;			/* TSIG key for this zone's transfers and NOTIFY,
					 * both directions: an index into cfg.keys;
					 * -1 = none */
	bool catalog;			/* a catalog zone (RFC 9432) whose member zones
					 * are served too (control/catalog.c) */
	int catalog_template;		/* catalog: its members' template when their
					 * group names none, an index into
					 * cfg.templates; -1 = none (the catalog's
					 * primaries, key and directory) */
	char member_of[CFG_NAME_MAX];	/* a member zone of that catalog, added by
					 * control/catalog.c (never from the file);
					 * "" for a configured zone */
};

/* The settings a catalog's member zones take (templates:): the template
 * whose id is the member's group property, else the catalog's
 * catalog-template. */
#define CFG_TEMPLATES_MAX 64
#define CFG_TEMPLATE_ID_MAX 64		/* incl. NUL */
struct cfg_template {
	char id[CFG_TEMPLATE_ID_MAX];
	struct cfg_remote primaries[CFG_REMOTE_MAX];
	unsigned nprimaries;		/* 0: the catalog's primaries and key */
	struct cfg_remote notify[CFG_REMOTE_MAX];
	unsigned nnotify;
	int key;			/* an index into cfg.keys; -1 = none */
	char *storage;			/* directory of the member zone files (malloc;
					 * relative paths as for zone files); NULL:
					 * the catalog's file's directory */
};

/* How UDP queries reach the workers. */
enum cfg_io {
	CFG_IO_SOCKET = 0,	/* kernel sockets on the listen addresses */
	CFG_IO_DPDK,		/* DPDK ports, answering for the configured addresses */
};

struct cfg {
	char *source;			/* config file path, or NULL (flags only) */
	/* server */
	struct cfg_listen listen[CFG_LISTEN_MAX];
	unsigned nlisten;		/* 0 = default 127.0.0.1:5300 and [::1]:5300 */
	enum cfg_io io;			/* default CFG_IO_SOCKET */
	/* io dpdk: the IPv4 and IPv6 addresses the DPDK ports answer for
	 * (port CFG_DNS_PORT), at most CFG_ADDRESS_MAX of each family */
	struct cfg_listen addresses[2 * CFG_ADDRESS_MAX];
	unsigned naddresses;
	char **eal_args;		/* io dpdk: the EAL's arguments (malloc, each too) */
	size_t neal_args;
	unsigned workers;		/* 0 = one per available CPU */
	unsigned tcp_workers;		/* default 1 */
	unsigned max_udp_payload;	/* 512..65535, default 1232 */
	unsigned tcp_idle_timeout;	/* seconds, default 10 */
	unsigned tcp_max_clients;	/* total connections, default 1024 */
	unsigned tcp_max_per_client;	/* per client address, default 64 */
	char *nsid;			/* NULL = the host name, unless hide_nsid */
	char *identity;			/* NULL = the host name, unless hide_identity */
	bool hide_nsid;			/* no NSID, whatever nsid says */
	bool hide_identity;		/* id.server, hostname.bind refused, whatever
					 * identity says */
	char *version;			/* NULL = hidden; default "ringdns VERSION" */
	/* DNS Cookies: the fleet's secret and the one before it (32 hex
	 * digits each); NULL = a random secret made at start-up, none */
	char *cookie_secret;
	char *cookie_secret_previous;
	bool cookie_require;		/* BADCOOKIE over UDP without a valid server cookie */
	char *control_socket;		/* default /run/ringdns/ringdns.sock */
	char *control_binary;		/* NULL = ringdns-control beside ringdns */
	char *exception_port;		/* io dpdk: a DPDK port's name; NULL = a TAP */
	char *cache_dir;		/* compiled images kept here; NULL = none */
	/* who may transfer zones (AXFR/IXFR) from us; none = nobody */
	struct cfg_prefix allow_transfer[CFG_PREFIX_MAX];
	unsigned nallow_transfer;
	/* XFR-over-TLS (RFC 9103): where ringdns-control accepts it, with its
	 * certificate chain and key (PEM files); none = no XoT */
	struct cfg_listen xot_listen[CFG_LISTEN_MAX];
	unsigned nxot_listen;
	char *tls_cert;
	char *tls_key;
	char *metrics_listen;		/* "ADDR:PORT" of the Prometheus metrics
					 * endpoint (control/metrics.c); NULL = off */
	unsigned zone_counters;		/* zones with counters of their own (the rest
					   share one); 0: no per-zone counters;
					   default 4096 */
	unsigned xfr_max_mb;		/* an incoming transfer larger is refused; default 4096 */
	unsigned journal_max_mb;	/* IXFR differences kept per zone; 0 = none; default 64 */
	bool cpu_pin;			/* worker i on the i-th allowed CPU; default false */
	bool reuse_port_takeover;	/* start even where another process serves the
					 * listen addresses (a hand-over); default false */
	/* dnstap (doc/config.md): off unless a socket or a file is set */
	char *dnstap_socket;		/* a Unix socket path; NULL: none */
	char *dnstap_file;		/* a file path; NULL: none */
	unsigned dnstap_sample;		/* log 1 query in N; default 1 */
	bool dnstap_queries;		/* default true */
	bool dnstap_responses;		/* default true */
	char *dnstap_identity;		/* NULL: identity, else the host name */
	char *dnstap_version;		/* NULL: version */
	bool log_syslog;		/* default false (stderr) */
	int log_level;			/* enum log_level, default info */
	/* response rate limiting of UDP responses (rate-limit:) */
#define CFG_RRL_SAME 0xffffffffu
	struct cfg_rrl {
		unsigned rate;		/* responses-per-second per bucket; 0 = off (default) */
		/* the rate of one class of responses (BIND's names), 0: that
		 * class is not limited; CFG_RRL_SAME: responses-per-second */
		unsigned nodata_rate;	/* nodata-per-second */
		unsigned nxdomain_rate;	/* nxdomains-per-second */
		unsigned referral_rate;	/* referrals-per-second */
		unsigned error_rate;	/* errors-per-second */
		unsigned slip;		/* every Nth limited response truncated; default 2 */
		unsigned ipv4_prefix;	/* default 24 */
		unsigned ipv6_prefix;	/* default 56 */
		unsigned table_size;	/* buckets, default 262144 */
		bool log_only;		/* count and log, limit nothing; default false */
		struct cfg_prefix allow[CFG_PREFIX_MAX];	/* never limited */
		unsigned nallow;
	} rrl;
	/* resource limits (doc/config.md) */
	unsigned zone_max_mb;		/* a zone's text, $INCLUDEs too; default 4096 */
	unsigned zone_max_records;	/* records in a zone; default 50000000 */
	unsigned control_max_clients;	/* control socket clients at once; default 16 */
	unsigned snapshot_max_mb;	/* images mapped by the dataplane in all;
					 * 0 (default): half the physical memory */
	/* TSIG keys, in the order given (malloc; at most CFG_KEYS_MAX);
	 * zones refer to them by index */
	struct cfg_key *keys;
	size_t nkeys;
	/* zones, in the order given */
	struct cfg_zone *zones;
	size_t nzones;
	/* templates of catalog member zones, in the order given (malloc; at
	 * most CFG_TEMPLATES_MAX) */
	struct cfg_template *templates;
	size_t ntemplates;
};

/* Fills c with the defaults. */
void cfg_init(struct cfg *c);
/* Frees what c holds (the key secrets are wiped first); c is left as
 * after memset 0, so freeing twice is harmless. */
void cfg_free(struct cfg *c);

/*
 * Reads the YAML file at path into c (on top of what is there: call
 * cfg_init first).  On error returns -1 with "FILE:LINE: message" in err.
 */
int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errcap);
/* The same for the len bytes at buf (need not end with a NUL), read as
 * the file at path (its messages, relative zone files). */
int cfg_load_mem(struct cfg *c, const char *path, const char *buf, size_t len, char *err,
		 size_t errcap);

/*
 * Parses command-line flags (argv[1..argc)), applying --config FILE first
 * wherever it appears, then the other flags on top, so flags override the
 * file.  Flags:
 *   --config FILE  --listen ADDR:PORT (repeatable; [v6]:port)
 *   --zone NAME=FILE (repeatable)  --control-socket PATH  --workers N
 *   --tcp-workers N  --nsid STR  --identity STR  --version STR|--hide-version
 *   --cookie-secret HEX  --cookie-secret-previous HEX  --cookie-require
 *   --hide-identity  --hide-nsid
 *   --log-level LVL  --syslog  --control-binary PATH  --cache-dir DIR
 *   --cpu-pin  --reuse-port-takeover  --io socket|dpdk
 *   --address IP (repeatable)  --allow-transfer PREFIX (repeatable)
 *   --xfr-max-mb N  --journal-max-mb N
 *   --xot-listen ADDR:PORT (repeatable)  --tls-cert FILE  --tls-key FILE
 *   --metrics-listen ADDR:PORT
 *   --zone-max-mb N  --zone-max-records N  --control-max-clients N
 *   --snapshot-max-mb N
 *   --rate-limit N  --rate-limit-slip N  --rate-limit-log-only
 *   --key ALG:NAME:SECRET (repeatable)  --primary ZONE=ADDR[@PORT] (repeatable)
 *   --zone-key ZONE=KEYNAME (repeatable)
 *   -- EAL-ARGS... (the rest: the EAL's)
 * --key adds a key, or replaces the file's key of that name.  --primary
 * and --zone-key name a zone given by --zone or in the file; the
 * --primary flags of a zone replace its primaries from the file, and
 * --zone-key names a key from --key or the file.
 * Unknown flags are errors.  Flags in passthru (NULL-terminated, e.g.
 * "--dp-fd") take one value and are skipped here.  The settings that
 * only make sense together are checked last (--io dpdk needs an
 * --address; --address and EAL arguments need --io dpdk).  Returns 0, or
 * -1 with a message in err.
 */
int cfg_from_args(struct cfg *c, int argc, char **argv, const char *const *passthru,
		  char *err, size_t errcap);

/* Whether this build can serve with c's I/O backend (dpdk_built: the
 * DPDK backend was compiled in); -1 with a message saying how to get one
 * that can. */
int cfg_io_available(const struct cfg *c, bool dpdk_built, char *err, size_t errcap);

/* Parses a remote server's address into r: "ADDR" (port 53), "ADDR@PORT"
 * (IPv4 or IPv6), "1.2.3.4:53", "[2001:db8::1]:53" or "[2001:db8::1]";
 * -1 with the reason in why (no prefix). */
int cfg_parse_remote(struct cfg_remote *r, const char *text, char *why, size_t cap);
/* Copies n remotes, each one's TLS settings too (dst then owns them);
 * -1 when out of memory (nothing left allocated). */
int cfg_remotes_copy(struct cfg_remote *dst, const struct cfg_remote *src, unsigned n);
/* Frees the TLS settings of arr[0..*n) and empties it. */
void cfg_remotes_free(struct cfg_remote *arr, unsigned *n);

/* Parses "1.2.3.4:53", "[2001:db8::1]:53" into l; -1 on error. */
int cfg_parse_listen(struct cfg_listen *l, const char *text);
/* The same, with the reason for an error in why (no prefix). */
int cfg_parse_listen_msg(struct cfg_listen *l, const char *text, char *why, size_t cap);

#endif
