/*
 * cfg.c - reads the ringdns configuration: one YAML file (libyaml's event
 * API, read in one pass; anchors, aliases and tags are refused) and the
 * command-line flags.  The file and the flags share the value checks below,
 * so a value means the same in either place; only the prefix of a message
 * differs ("FILE:LINE: server.workers: ..." or "--workers: ...").
 *
 * A file is parsed into a scratch struct cfg and merged into the caller's
 * only when the whole file is good, so a failed load changes nothing.
 */
#include "common/cfg.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml.h>

#include "zones/dname.h"
#include "zones/enc.h"
#include "zones/limits.h"
#include "common/log.h"

#define CFG_DEFAULT_CONTROL_SOCKET "/run/ringdns/ringdns.sock"
#define CFG_NSID_MAX 128	/* bytes (RFC 5001 leaves it open; keep it short) */
#define CFG_TXT_MAX 255		/* identity, version: one TXT character-string */
#define CFG_PATH_MAX 4095
#define CFG_PORT_NAME_MAX 63	/* bytes: a DPDK port name (RTE_ETH_NAME_MAX_LEN - 1) */
#define CFG_SUN_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define CFG_FILE_MAX (16u << 20) /* bytes; a config file is small */
#define CFG_SECRET_FILE_MAX 4096 /* bytes; a secret-file holds one base64 secret */

/* ---- keys ---------------------------------------------------------------- */

/* K_FLAG: a boolean field of struct cfg; K_BOOL: hide-version (handled
 * on its own, it clears another field); K_LISTEN: listen and addresses
 * (one address or a list); K_STRLIST: eal-args (one string or a list);
 * K_PREFIXES: allow-transfer (one address prefix or a list); K_REMOTES: a
 * zone's primaries and notify (one remote address or a list); K_KEYS: the
 * list of TSIG keys */
enum kind { K_SECTION, K_LISTEN, K_UINT, K_STR, K_FLAG, K_BOOL, K_ENUM, K_ZONES, K_STRLIST,
	K_PREFIXES, K_REMOTES, K_KEYS, K_TEMPLATES };

struct key {
	const char *name;
	enum kind kind;
	size_t off;		/* K_UINT, K_STR, K_FLAG: field in struct cfg */
	unsigned lo, hi;	/* K_UINT: range; K_STR: length in bytes */
};

/* The server keys, in the order of doc/config.md; flags point here too. */
enum {
	SK_LISTEN, SK_WORKERS, SK_TCP_WORKERS, SK_MAX_UDP_PAYLOAD, SK_TCP_IDLE_TIMEOUT,
	SK_TCP_MAX_CLIENTS, SK_TCP_MAX_PER_CLIENT, SK_NSID, SK_IDENTITY, SK_VERSION,
	SK_HIDE_VERSION, SK_CONTROL_SOCKET, SK_CONTROL_BINARY, SK_CACHE_DIR, SK_CPU_PIN,
	SK_REUSE_PORT_TAKEOVER, SK_IO, SK_ADDRESSES, SK_EAL_ARGS, SK_EXCEPTION_PORT,
	SK_ALLOW_TRANSFER, SK_XFR_MAX_MB, SK_JOURNAL_MAX_MB, SK_XOT_LISTEN, SK_TLS_CERT,
	SK_TLS_KEY, SK_METRICS_LISTEN, SK_COOKIE_SECRET, SK_COOKIE_SECRET_PREVIOUS,
	SK_COOKIE_REQUIRE, SK_HIDE_IDENTITY, SK_HIDE_NSID, SK_ZONE_COUNTERS,
	SK_ZONE_MAX_MB, SK_ZONE_MAX_RECORDS, SK_CONTROL_MAX_CLIENTS, SK_SNAPSHOT_MAX_MB, SK_COUNT
};

#define UINT_KEY(n, f, l, h) { n, K_UINT, offsetof(struct cfg, f), l, h }
#define STR_KEY(n, f, l, h) { n, K_STR, offsetof(struct cfg, f), l, h }
#define FLAG_KEY(n, f) { n, K_FLAG, offsetof(struct cfg, f), 0, 0 }

/* ld_mapping marks the keys present in a 64-bit mask */
_Static_assert(SK_COUNT <= 64, "too many server keys for the seen mask");

static const struct key server_keys[SK_COUNT] = {
	[SK_LISTEN] = { "listen", K_LISTEN, 0, 0, 0 },
	[SK_WORKERS] = UINT_KEY("workers", workers, 0, 1024),
	[SK_TCP_WORKERS] = UINT_KEY("tcp-workers", tcp_workers, 1, 1024),
	[SK_MAX_UDP_PAYLOAD] = UINT_KEY("max-udp-payload", max_udp_payload, 512, 65535),
	[SK_TCP_IDLE_TIMEOUT] = UINT_KEY("tcp-idle-timeout", tcp_idle_timeout, 1, 3600),
	[SK_TCP_MAX_CLIENTS] = UINT_KEY("tcp-max-clients", tcp_max_clients, 1, 1000000),
	[SK_TCP_MAX_PER_CLIENT] = UINT_KEY("tcp-max-per-client", tcp_max_per_client, 1, 1000000),
	[SK_NSID] = STR_KEY("nsid", nsid, 1, CFG_NSID_MAX),
	[SK_IDENTITY] = STR_KEY("identity", identity, 1, CFG_TXT_MAX),
	[SK_VERSION] = STR_KEY("version", version, 1, CFG_TXT_MAX),
	[SK_HIDE_VERSION] = { "hide-version", K_BOOL, 0, 0, 0 },
	[SK_CONTROL_SOCKET] = STR_KEY("control-socket", control_socket, 1, CFG_SUN_MAX),
	[SK_CONTROL_BINARY] = STR_KEY("control-binary", control_binary, 1, CFG_PATH_MAX),
	[SK_CACHE_DIR] = STR_KEY("cache-dir", cache_dir, 1, CFG_PATH_MAX),
	[SK_CPU_PIN] = FLAG_KEY("cpu-pin", cpu_pin),
	[SK_REUSE_PORT_TAKEOVER] = FLAG_KEY("reuse-port-takeover", reuse_port_takeover),
	[SK_IO] = { "io", K_ENUM, 0, 0, 0 },
	[SK_ADDRESSES] = { "addresses", K_LISTEN, 0, 0, 0 },
	[SK_EAL_ARGS] = { "eal-args", K_STRLIST, 0, 0, 0 },
	[SK_EXCEPTION_PORT] = STR_KEY("exception-port", exception_port, 1, CFG_PORT_NAME_MAX),
	[SK_ALLOW_TRANSFER] = { "allow-transfer", K_PREFIXES, 0, 0, 0 },
	[SK_XFR_MAX_MB] = UINT_KEY("xfr-max-mb", xfr_max_mb, 1, 1048576),
	[SK_JOURNAL_MAX_MB] = UINT_KEY("journal-max-mb", journal_max_mb, 0, 65536),
	[SK_XOT_LISTEN] = { "xot-listen", K_LISTEN, 0, 0, 0 },
	[SK_TLS_CERT] = STR_KEY("tls-cert", tls_cert, 1, CFG_PATH_MAX),
	[SK_TLS_KEY] = STR_KEY("tls-key", tls_key, 1, CFG_PATH_MAX),
	[SK_METRICS_LISTEN] = STR_KEY("metrics-listen", metrics_listen, 1, 64),
	[SK_COOKIE_SECRET] = STR_KEY("cookie-secret", cookie_secret, 32, 32),
	[SK_COOKIE_SECRET_PREVIOUS] = STR_KEY("cookie-secret-previous", cookie_secret_previous,
					      32, 32),
	[SK_COOKIE_REQUIRE] = FLAG_KEY("cookie-require", cookie_require),
	[SK_HIDE_IDENTITY] = FLAG_KEY("hide-identity", hide_identity),
	[SK_HIDE_NSID] = FLAG_KEY("hide-nsid", hide_nsid),
	[SK_ZONE_COUNTERS] = UINT_KEY("zone-counters", zone_counters, 0, 1000000),
	[SK_ZONE_MAX_MB] = UINT_KEY("zone-max-mb", zone_max_mb, 1, 1048576),
	[SK_ZONE_MAX_RECORDS] = UINT_KEY("zone-max-records", zone_max_records, 1, 4000000000u),
	[SK_CONTROL_MAX_CLIENTS] = UINT_KEY("control-max-clients", control_max_clients, 1, 1024),
	[SK_SNAPSHOT_MAX_MB] = UINT_KEY("snapshot-max-mb", snapshot_max_mb, 1, 1048576),
};

enum { TK_SERVER, TK_LOG, TK_RATE_LIMIT, TK_KEYS, TK_ZONES, TK_TEMPLATES, TK_DNSTAP, TK_COUNT };
static const struct key top_keys[TK_COUNT] = {
	[TK_SERVER] = { "server", K_SECTION, 0, 0, 0 },
	[TK_LOG] = { "log", K_SECTION, 0, 0, 0 },
	[TK_RATE_LIMIT] = { "rate-limit", K_SECTION, 0, 0, 0 },
	[TK_DNSTAP] = { "dnstap", K_SECTION, 0, 0, 0 },
	[TK_KEYS] = { "keys", K_KEYS, 0, 0, 0 },
	[TK_ZONES] = { "zones", K_ZONES, 0, 0, 0 },
	[TK_TEMPLATES] = { "templates", K_TEMPLATES, 0, 0, 0 },
};

enum { DK_SOCKET, DK_FILE, DK_SAMPLE, DK_QUERIES, DK_RESPONSES, DK_IDENTITY, DK_VERSION,
	DK_COUNT };
static const struct key dnstap_keys[DK_COUNT] = {
	[DK_SOCKET] = STR_KEY("socket", dnstap_socket, 1, CFG_SUN_MAX),
	[DK_FILE] = STR_KEY("file", dnstap_file, 1, CFG_PATH_MAX),
	[DK_SAMPLE] = UINT_KEY("sample", dnstap_sample, 1, 1000000000),
	[DK_QUERIES] = FLAG_KEY("queries", dnstap_queries),
	[DK_RESPONSES] = FLAG_KEY("responses", dnstap_responses),
	[DK_IDENTITY] = STR_KEY("identity", dnstap_identity, 1, CFG_TXT_MAX),
	[DK_VERSION] = STR_KEY("version", dnstap_version, 1, CFG_TXT_MAX),
};

enum { LK_TARGET, LK_LEVEL, LK_COUNT };
static const struct key log_keys[LK_COUNT] = {
	[LK_TARGET] = { "target", K_ENUM, 0, 0, 0 },
	[LK_LEVEL] = { "level", K_ENUM, 0, 0, 0 },
};

/* The rate-limit keys (dataplane/rrl.h checks the same ranges). */
enum { RK_RATE, RK_SLIP, RK_IPV4_PREFIX, RK_IPV6_PREFIX, RK_TABLE_SIZE, RK_LOG_ONLY, RK_ALLOW,
	RK_NODATA, RK_NXDOMAIN, RK_REFERRAL, RK_ERROR, RK_COUNT };
static const struct key rrl_keys[RK_COUNT] = {
	[RK_RATE] = UINT_KEY("responses-per-second", rrl.rate, 0, 100000),
	[RK_SLIP] = UINT_KEY("slip", rrl.slip, 0, 100),
	[RK_IPV4_PREFIX] = UINT_KEY("ipv4-prefix", rrl.ipv4_prefix, 1, 32),
	[RK_IPV6_PREFIX] = UINT_KEY("ipv6-prefix", rrl.ipv6_prefix, 1, 128),
	[RK_TABLE_SIZE] = UINT_KEY("table-size", rrl.table_size, 8, 1u << 26),
	[RK_LOG_ONLY] = FLAG_KEY("log-only", rrl.log_only),
	[RK_ALLOW] = { "allow", K_PREFIXES, 0, 0, 0 },
	[RK_NODATA] = UINT_KEY("nodata-per-second", rrl.nodata_rate, 0, 100000),
	[RK_NXDOMAIN] = UINT_KEY("nxdomains-per-second", rrl.nxdomain_rate, 0, 100000),
	[RK_REFERRAL] = UINT_KEY("referrals-per-second", rrl.referral_rate, 0, 100000),
	[RK_ERROR] = UINT_KEY("errors-per-second", rrl.error_rate, 0, 100000),
};

enum { ZK_NAME, ZK_FILE, ZK_PRIMARIES, ZK_NOTIFY, ZK_KEY, ZK_CATALOG, ZK_CATALOG_TEMPLATE,
	ZK_COUNT };
static const struct key zone_keys[ZK_COUNT] = {
	[ZK_NAME] = { "name", K_STR, 0, 0, 0 },
	[ZK_FILE] = { "file", K_STR, 0, 0, 0 },
	[ZK_PRIMARIES] = { "primaries", K_REMOTES, 0, 0, 0 },
	[ZK_NOTIFY] = { "notify", K_REMOTES, 0, 0, 0 },
	[ZK_KEY] = { "key", K_STR, 0, 0, 0 },
	[ZK_CATALOG] = { "catalog", K_FLAG, 0, 0, 0 },
	[ZK_CATALOG_TEMPLATE] = { "catalog-template", K_STR, 0, 0, 0 },
};

/* An entry of 'templates' */
enum { TPK_ID, TPK_PRIMARIES, TPK_NOTIFY, TPK_KEY, TPK_STORAGE, TPK_COUNT };
static const struct key template_keys[TPK_COUNT] = {
	[TPK_ID] = { "id", K_STR, 0, 0, 0 },
	[TPK_PRIMARIES] = { "primaries", K_REMOTES, 0, 0, 0 },
	[TPK_NOTIFY] = { "notify", K_REMOTES, 0, 0, 0 },
	[TPK_KEY] = { "key", K_STR, 0, 0, 0 },
	[TPK_STORAGE] = { "storage", K_STR, 0, 0, 0 },
};

/* A 'primaries' entry written as a mapping (one with TLS) */
enum { PK_ADDRESS, PK_TLS, PK_TLS_CA, PK_TLS_NAME, PK_COUNT };
static const struct key primary_keys[PK_COUNT] = {
	[PK_ADDRESS] = { "address", K_STR, 0, 0, 0 },
	[PK_TLS] = { "tls", K_ENUM, 0, 0, 0 },
	[PK_TLS_CA] = { "tls-ca", K_STR, 0, 0, 0 },
	[PK_TLS_NAME] = { "tls-name", K_STR, 0, 0, 0 },
};

/* An entry of 'keys' */
enum { KK_NAME, KK_ALGORITHM, KK_SECRET, KK_SECRET_FILE, KK_COUNT };
static const struct key key_keys[KK_COUNT] = {
	[KK_NAME] = { "name", K_STR, 0, 0, 0 },
	[KK_ALGORITHM] = { "algorithm", K_STR, 0, 0, 0 },
	[KK_SECRET] = { "secret", K_STR, 0, 0, 0 },
	[KK_SECRET_FILE] = { "secret-file", K_STR, 0, 0, 0 },
};

/* ---- shared value checks: each writes its reason to why and returns -1 --- */

static int why_set(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_set(char *why, size_t cap, const char *fmt, ...)
{
	if (cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int val_uint(const char *s, size_t len, unsigned lo, unsigned hi, unsigned *out,
		    char *why, size_t cap)
{
	unsigned long long v = 0;
	if (len == 0)
		return why_set(why, cap, "missing value (a number %u..%u)", lo, hi);
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return why_set(why, cap, "'%.*s' is not a number", (int)len, s);
		if (v <= 0xffffffffull)
			v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return why_set(why, cap, "%.*s is out of range (%u..%u)", (int)len, s, lo, hi);
	*out = (unsigned)v;
	return 0;
}

static int val_str(const char *s, size_t len, unsigned lo, unsigned hi, char **out,
		   char *why, size_t cap)
{
	if (memchr(s, 0, len))
		return why_set(why, cap, "contains a NUL byte");
	if (len < lo && len == 0)
		return why_set(why, cap, "must not be empty");
	if (len < lo)
		return why_set(why, cap, "is %zu bytes long; at least %u required", len, lo);
	if (len > hi)
		return why_set(why, cap, "is %zu bytes long; at most %u allowed", len, hi);
	char *d = malloc(len + 1);
	if (!d)
		return why_set(why, cap, "out of memory");
	memcpy(d, s, len);
	d[len] = 0;
	*out = d;
	return 0;
}

static bool ieq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

static int val_bool(const char *s, size_t len, bool *out, char *why, size_t cap)
{
	if (ieq(s, len, "true") || ieq(s, len, "yes") || ieq(s, len, "on"))
		*out = true;
	else if (ieq(s, len, "false") || ieq(s, len, "no") || ieq(s, len, "off"))
		*out = false;
	else
		return why_set(why, cap, "'%.*s' is not true or false", (int)len, s);
	return 0;
}

static int val_level(const char *s, size_t len, int *out, char *why, size_t cap)
{
	char lc[16];
	if (len < sizeof lc && !memchr(s, 0, len)) {
		for (size_t i = 0; i < len; i++)
			lc[i] = (char)tolower((unsigned char)s[i]);
		lc[len] = 0;
		int l = log_level_parse(lc);
		if (l >= 0) {
			*out = l;
			return 0;
		}
	}
	return why_set(why, cap, "'%.*s' is not one of: error, warning, notice, info, debug",
		       (int)len, s);
}

static int val_io(const char *s, size_t len, enum cfg_io *out, char *why, size_t cap)
{
	if (ieq(s, len, "socket"))
		*out = CFG_IO_SOCKET;
	else if (ieq(s, len, "dpdk"))
		*out = CFG_IO_DPDK;
	else
		return why_set(why, cap, "'%.*s' is not one of: socket, dpdk", (int)len, s);
	return 0;
}

static int val_tls(const char *s, size_t len, enum cfg_tls_mode *out, char *why, size_t cap)
{
	if (ieq(s, len, "strict"))
		*out = CFG_TLS_STRICT;
	else if (ieq(s, len, "opportunistic"))
		*out = CFG_TLS_OPPORTUNISTIC;
	else if (ieq(s, len, "off"))
		*out = CFG_TLS_OFF;
	else
		return why_set(why, cap, "'%.*s' is not one of: strict, opportunistic, off",
			       (int)len, s);
	return 0;
}

/* The name a primary's certificate must hold: a host name (its final dot
 * dropped: certificates are written without) or an IP address. */
static int val_tls_name(const char *s, size_t len, char out[CFG_NAME_MAX], char *why,
			size_t cap)
{
	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return why_set(why, cap, "expected a host name or an IP address of 1 to 253 "
					 "characters");
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-.:_", s[i]))
			return why_set(why, cap, "'%.*s': a host name or IP address has no '%c'",
				       (int)len, s, s[i]);
	memcpy(out, s, len);
	out[len] = 0;
	return 0;
}

static int val_target(const char *s, size_t len, bool *syslog_out, char *why, size_t cap)
{
	if (ieq(s, len, "stderr"))
		*syslog_out = false;
	else if (ieq(s, len, "syslog"))
		*syslog_out = true;
	else
		return why_set(why, cap, "'%.*s' is not one of: stderr, syslog", (int)len, s);
	return 0;
}

/* A domain name (what: "zone", "key") -> lowercase text with a trailing
 * dot. */
static int val_name(const char *s, size_t len, const char *what, char out[CFG_NAME_MAX],
		    char *why, size_t cap)
{
	static const uint8_t root[1] = { 0 };
	uint8_t wire[DNAME_MAX];
	if (len == 0)
		return why_set(why, cap, "empty %s name", what);
	if (memchr(s, 0, len))
		return why_set(why, cap, "%s name contains a NUL byte", what);
	if (len == 1 && s[0] == '@')
		return why_set(why, cap, "'@' is not a %s name here; write the name out", what);
	int n = dname_from_text(wire, s, len, root);
	if (n < 0)
		return why_set(why, cap, "'%.*s' is not a valid domain name: %s", (int)len, s,
			       dname_strerror(n));
	dname_lower(wire);
	if (dname_to_text(out, CFG_NAME_MAX, wire) < 0)
		return why_set(why, cap, "'%.*s' is too long in text form (at most %d bytes)",
			       (int)len, s, CFG_NAME_MAX - 1);
	return 0;
}

static int val_zone_name(const char *s, size_t len, char out[CFG_NAME_MAX], char *why,
			 size_t cap)
{
	return val_name(s, len, "zone", out, why, cap);
}

/* A template id: what a catalog's group property (RFC 9432 §4.3.2, a TXT
 * string) must equal, so printable ASCII without spaces. */
static int val_template_id(const char *s, size_t len, char out[CFG_TEMPLATE_ID_MAX],
			   char *why, size_t cap)
{
	if (len == 0 || len >= CFG_TEMPLATE_ID_MAX)
		return why_set(why, cap, "a template id is 1 to %d characters", CFG_TEMPLATE_ID_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return why_set(why, cap, "'%.*s': a template id is printable ASCII without "
				       "spaces (it is matched against catalog group names)", (int)len, s);
	memcpy(out, s, len);
	out[len] = 0;
	return 0;
}

/* ---- TSIG keys ----------------------------------------------------------- */

/* The algorithms accepted, by their RFC 8945 names.  hmac-md5 is refused:
 * RFC 8945 section 6 marks it "not recommended" for use, and a new
 * configuration has no reason to choose it. */
static const char *const algorithms[] = {
	"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512",
};
#define ALGORITHMS_TEXT "hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512"

/* An algorithm name (any case; the trailing dot of the domain-name form
 * is optional) -> its canonical name in out. */
static int val_algorithm(const char *s, size_t len, char out[16], char *why, size_t cap)
{
	if (len && s[len - 1] == '.')
		len--;
	for (size_t i = 0; i < sizeof algorithms / sizeof *algorithms; i++)
		if (ieq(s, len, algorithms[i])) {
			snprintf(out, 16, "%s", algorithms[i]);
			return 0;
		}
	if (ieq(s, len, "hmac-md5") || ieq(s, len, "hmac-md5.sig-alg.reg.int"))
		return why_set(why, cap, "hmac-md5 is refused (RFC 8945 section 6: not to be "
					 "used); write one of: " ALGORITHMS_TEXT);
	if (memchr(s, 0, len) || len > 40)
		return why_set(why, cap, "not one of: " ALGORITHMS_TEXT);
	return why_set(why, cap, "'%.*s' is not one of: " ALGORITHMS_TEXT, (int)len, s);
}

/* Why s[0..len) is not base64 (RFC 4648 section 4, padded, in one
 * piece), for the operator: the first character out of place, or the
 * length.  Messages never quote the secret. */
static int b64_why(const char *s, size_t len, const char *hint, char *why, size_t cap)
{
	size_t pad = 0;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch == '+' || ch == '/')
			continue;
		if (ch == '=')
			return why_set(why, cap, "not valid base64: '=' at offset %zu, where only "
						 "the padding at the end may be", i);
		if (isspace(ch))
			return why_set(why, cap, "not valid base64: white space at offset %zu; "
						 "write the secret in one piece", i);
		if (isprint(ch))
			return why_set(why, cap, "not valid base64: '%c' at offset %zu%s", ch, i,
				       hint);
		return why_set(why, cap, "not valid base64: byte 0x%02x at offset %zu%s", ch, i,
			       hint);
	}
	return why_set(why, cap, "not valid base64: %zu characters, not a multiple of 4 "
				 "(missing '=' padding?)", len);
}

/*
 * Checks that s[0..len) is base64 of 1..CFG_KEY_SECRET_MAX bytes (decoded
 * by zones/enc.h, as the TSIG code will) and copies it into out.
 */
static int val_secret(const char *s, size_t len, char out[256], char *why, size_t cap)
{
	static const char hint[] = "; generate one with: openssl rand -base64 32";
	uint8_t raw[CFG_KEY_SECRET_MAX];
	struct enc_dec d;
	enc_dec_init(&d, raw, raw + sizeof raw);
	int r = len ? enc_b64_feed(&d, s, len) : 0;
	if (r == 0 && len)
		r = enc_b64_finish(&d);
	if (r == ENC_ESPACE)
		return why_set(why, cap, "the secret is %zu bytes long; at most %d allowed",
			       len / 4 * 3 - (s[len - 1] == '=') - (s[len - 2] == '='),
			       CFG_KEY_SECRET_MAX);
	if (r < 0)
		return b64_why(s, len, hint, why, cap);
	if (d.o == raw)
		return why_set(why, cap, "empty secret%s", hint);
	memcpy(out, s, len);
	out[len] = 0;
	return 0;
}

/*
 * Reads the secret of a key from path: base64, white space around it
 * ignored.  The file must be a regular file that neither group nor others
 * may read, write or run: a secret others can read is no secret.
 */
static int secret_file_read(const char *path, char out[256], char *why, size_t cap)
{
	char buf[CFG_SECRET_FILE_MAX + 1], reason[192];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return why_set(why, cap, "'%s': cannot open: %s", path, strerror(errno));
	struct stat st;
	int r = -1;
	size_t n = 0;
	if (fstat(fd, &st) != 0) {
		why_set(why, cap, "'%s': cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		why_set(why, cap, "'%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		why_set(why, cap, "'%s' may be used by group or others (mode %04o); make it the "
				  "owner's alone: chmod 600 '%s'", path,
			(unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, buf + n, sizeof buf - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			why_set(why, cap, "'%s': cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == sizeof buf) {
			why_set(why, cap, "'%s' is larger than %d bytes; it should hold the base64 "
					  "secret only", path, CFG_SECRET_FILE_MAX);
			goto out;
		}
	}
	size_t a = 0, b = n;
	while (a < b && isspace((unsigned char)buf[a]))
		a++;
	while (b > a && isspace((unsigned char)buf[b - 1]))
		b--;
	if (memchr(buf + a, '{', b - a) || memchr(buf + a, ';', b - a))
		why_set(why, cap, "'%s' holds more than a base64 secret (a BIND key file?); "
				  "write the secret alone in it", path);
	else if (val_secret(buf + a, b - a, out, reason, sizeof reason) != 0)
		why_set(why, cap, "'%s': %s", path, reason);
	else
		r = 0;
out:
	explicit_bzero(buf, sizeof buf);
	close(fd);
	return r;
}

/* The index of key name in keys[0..n), or -1. */
static int key_find(const struct cfg_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "a., b., c." into buf: the names of keys[0..n), for messages ("..."
 * at the end when they do not all fit). */
static const char *key_names(const struct cfg_key *keys, size_t n, char *buf, size_t cap)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", keys[i].name);
		if (w < 0 || (size_t)w >= cap - o) {
			buf[o] = 0;
			if (o + 5 < cap)
				memcpy(buf + o, ", ...", 6);
			break;
		}
		o += (size_t)w;
	}
	return buf;
}

/* ---- ports and addresses ------------------------------------------------- */

static int port_parse(const char *s, in_port_t *port, char *why, size_t cap)
{
	unsigned v;
	if (*s == 0)
		return why_set(why, cap, "missing port after ':'");
	if (val_uint(s, strlen(s), 1, 65535, &v, NULL, 0) != 0)
		return why_set(why, cap, "port '%s' is not a number 1..65535", s);
	*port = htons((uint16_t)v);
	return 0;
}

static int listen_parse(struct cfg_listen *l, const char *text, char *why, size_t cap)
{
	size_t len = strlen(text);
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;

	memset(l, 0, sizeof *l);
	if (len == 0)
		return why_set(why, cap, "empty address (expected ADDR:PORT)");
	if (len >= sizeof l->text)
		return why_set(why, cap, "too long for an ADDR:PORT");
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end)
			return why_set(why, cap, "missing ']' after the IPv6 address");
		size_t hl = (size_t)(end - text - 1);
		if (hl == 0 || hl >= sizeof host)
			return why_set(why, cap, "not an IPv6 address inside [ ]");
		memcpy(host, text + 1, hl);
		host[hl] = 0;
		if (end[1] != ':')
			return why_set(why, cap, "missing ':PORT' after ']' (e.g. [::1]:53)");
		port = end + 2;
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l->addr;
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return why_set(why, cap, "'%s' is not an IPv6 address", host);
		if (port_parse(port, &a->sin6_port, why, cap) != 0)
			return -1;
		a->sin6_family = AF_INET6;
		l->addrlen = sizeof *a;
	} else {
		const char *colon = strchr(text, ':');
		if (!colon)
			return why_set(why, cap, "missing ':PORT' (e.g. 127.0.0.1:53)");
		if (strchr(colon + 1, ':'))
			return why_set(why, cap,
				       "IPv6 addresses need brackets: [ADDR]:PORT (e.g. [::1]:53)");
		size_t hl = (size_t)(colon - text);
		if (hl == 0 || hl >= sizeof host)
			return why_set(why, cap, "missing or bad IPv4 address before ':'");
		memcpy(host, text, hl);
		host[hl] = 0;
		port = colon + 1;
		struct sockaddr_in *a = (struct sockaddr_in *)&l->addr;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return why_set(why, cap, "'%s' is not an IPv4 address (names are not resolved)",
				       host);
		if (port_parse(port, &a->sin_port, why, cap) != 0)
			return -1;
		a->sin_family = AF_INET;
		l->addrlen = sizeof *a;
	}
	memcpy(l->text, text, len + 1);
	return 0;
}

int cfg_parse_listen(struct cfg_listen *l, const char *text)
{
	return listen_parse(l, text, NULL, 0);
}

int cfg_parse_listen_msg(struct cfg_listen *l, const char *text, char *why, size_t cap)
{
	return listen_parse(l, text, why, cap);
}

static bool listen_same(const struct cfg_listen *a, const struct cfg_listen *b)
{
	return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/* An address the DPDK ports answer for: IPv4 or IPv6, no port (they
 * answer on CFG_DNS_PORT), not the unspecified address. */
static int addr_parse(struct cfg_listen *l, const char *text, char *why, size_t cap)
{
	size_t len = strlen(text);
	struct sockaddr_in *a4 = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&l->addr;
	memset(l, 0, sizeof *l);
	if (len == 0)
		return why_set(why, cap, "empty address (expected an IPv4 or IPv6 address)");
	if (len >= sizeof l->text)
		return why_set(why, cap, "too long for an IP address");
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(CFG_DNS_PORT);
		l->addrlen = sizeof *a4;
		if (a4->sin_addr.s_addr == 0)
			return why_set(why, cap, "0.0.0.0 is not an address to answer for; give each "
						 "address");
	} else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(CFG_DNS_PORT);
		l->addrlen = sizeof *a6;
		if (IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
			return why_set(why, cap, ":: is not an address to answer for; give each "
						 "address");
	} else if (text[0] == '[' || (strchr(text, '.') && strchr(text, ':'))) {
		return why_set(why, cap, "an address without brackets or port (the DPDK ports "
					 "answer on port %d)", CFG_DNS_PORT);
	} else {
		return why_set(why, cap, "not an IPv4 or IPv6 address (names are not resolved)");
	}
	memcpy(l->text, text, len + 1);
	return 0;
}

/*
 * Parses text into arr[*n] and counts it: a listen address (ADDR:PORT) or,
 * bare, an address the DPDK ports answer for; one given twice or one too
 * many is refused.  dup names the mistake ("listed", "given").
 */
static int addr_add(struct cfg_listen *arr, unsigned *n, bool bare, const char *text,
		    const char *dup, char *why, size_t cap)
{
	char reason[192];
	struct cfg_listen *a = &arr[*n];
	if (!bare && *n == CFG_LISTEN_MAX)
		return why_set(why, cap, "more than %d addresses", CFG_LISTEN_MAX);
	if ((bare ? addr_parse : listen_parse)(a, text, reason, sizeof reason) != 0)
		return why_set(why, cap, "'%s': %s", text, reason);
	unsigned same_family = 0;
	for (unsigned j = 0; j < *n; j++) {
		if (listen_same(&arr[j], a))
			return why_set(why, cap, "'%s' is %s twice", text, dup);
		same_family += arr[j].addr.ss_family == a->addr.ss_family;
	}
	if (bare && same_family == CFG_ADDRESS_MAX)
		return why_set(why, cap, "more than %d %s addresses", CFG_ADDRESS_MAX,
			       a->addr.ss_family == AF_INET ? "IPv4" : "IPv6");
	++*n;
	return 0;
}

/* ---- remote servers (primaries, notify) ---------------------------------- */

/* host (an IPv4 or IPv6 address, no brackets) and port (NULL: 53) into r. */
static int remote_set(struct cfg_remote *r, const char *host, size_t hl, const char *port,
		      char *why, size_t cap)
{
	char h[INET6_ADDRSTRLEN + 1];
	struct sockaddr_in *a4 = (struct sockaddr_in *)&r->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&r->addr;
	in_port_t p = htons(CFG_DNS_PORT);
	if (hl == 0)
		return why_set(why, cap, "missing address");
	if (hl >= sizeof h)
		return why_set(why, cap, "not an IPv4 or IPv6 address");
	memcpy(h, host, hl);
	h[hl] = 0;
	if (port && port_parse(port, &p, why, cap) != 0)
		return -1;
	if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
		if (a4->sin_addr.s_addr == 0)
			return why_set(why, cap, "0.0.0.0 is no server's address");
		a4->sin_family = AF_INET;
		a4->sin_port = p;
		r->addrlen = sizeof *a4;
	} else if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
			return why_set(why, cap, ":: is no server's address");
		a6->sin6_family = AF_INET6;
		a6->sin6_port = p;
		r->addrlen = sizeof *a6;
	} else {
		return why_set(why, cap, "'%s' is not an IPv4 or IPv6 address (names are not "
					 "resolved)", h);
	}
	return 0;
}

/*
 * ADDR, ADDR@PORT (Knot's form, either family), IPv4:PORT, [IPv6]:PORT
 * or [IPv6].  A bare IPv6 address ending in ":53" is read as an address:
 * its port needs the brackets or '@'.
 */
int cfg_parse_remote(struct cfg_remote *r, const char *text, char *why, size_t cap)
{
	static const char forms[] = "ADDR, ADDR@PORT, IPv4:PORT or [IPv6]:PORT";
	size_t len = strlen(text);
	char reason[160];
	int rc;
	memset(r, 0, sizeof *r);
	if (len == 0)
		return why_set(why, cap, "empty address (expected %s)", forms);
	if (len >= sizeof r->text)
		return why_set(why, cap, "'%.20s...': too long for an address", text);
	const char *at = strchr(text, '@');
	if (at) {
		if (!at[1])
			return why_set(why, cap, "'%s': missing port after '@'", text);
		if (text[0] == '[')
			return why_set(why, cap, "'%s': write ADDR@PORT without brackets, or "
						 "[ADDR]:PORT", text);
		rc = remote_set(r, text, (size_t)(at - text), at + 1, reason, sizeof reason);
	} else if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end)
			return why_set(why, cap, "'%s': missing ']' after the IPv6 address", text);
		if (end[1] && end[1] != ':')
			return why_set(why, cap, "'%s': expected ':PORT' after ']' (e.g. "
						 "[2001:db8::1]:53)", text);
		if (memchr(text + 1, '.', (size_t)(end - text - 1)) &&
		    !memchr(text + 1, ':', (size_t)(end - text - 1)))
			return why_set(why, cap, "'%s': brackets are for IPv6 addresses; write "
						 "IPv4:PORT", text);
		rc = remote_set(r, text + 1, (size_t)(end - text - 1), end[1] ? end + 2 : NULL,
				reason, sizeof reason);
	} else {
		const char *colon = strchr(text, ':');
		if (colon && !strchr(colon + 1, ':'))	/* IPv4:PORT */
			rc = remote_set(r, text, (size_t)(colon - text), colon + 1, reason,
					sizeof reason);
		else
			rc = remote_set(r, text, len, NULL, reason, sizeof reason);
	}
	if (rc != 0)
		return why_set(why, cap, "'%s': %s", text, reason);
	memcpy(r->text, text, len + 1);
	return 0;
}

/*
 * Parses text into arr[*n] and counts it; one too many, or the same
 * address and port twice (however written), is refused.  what names the
 * list ("primaries"), dup the mistake ("listed", "given").
 */
static int remote_add(struct cfg_remote *arr, unsigned *n, const char *text, const char *what,
		      const char *dup, char *why, size_t cap)
{
	if (*n == CFG_REMOTE_MAX)
		return why_set(why, cap, "'%s': more than %d %s", text, CFG_REMOTE_MAX, what);
	struct cfg_remote *r = &arr[*n];
	if (cfg_parse_remote(r, text, why, cap) != 0)
		return -1;
	for (unsigned j = 0; j < *n; j++) {
		if (arr[j].addrlen != r->addrlen || memcmp(&arr[j].addr, &r->addr, r->addrlen) != 0)
			continue;
		if (strcmp(arr[j].text, text) == 0)
			return why_set(why, cap, "'%s' is %s twice", text, dup);
		return why_set(why, cap, "'%s' is %s twice (also as '%s')", text, dup, arr[j].text);
	}
	++*n;
	return 0;
}

void cfg_remotes_free(struct cfg_remote *arr, unsigned *n)
{
	for (unsigned i = 0; i < *n; i++) {
		free(arr[i].tls);
		arr[i].tls = NULL;
	}
	*n = 0;
}

int cfg_remotes_copy(struct cfg_remote *dst, const struct cfg_remote *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		dst[i] = src[i];
		if (!src[i].tls)
			continue;
		size_t sz = sizeof *src[i].tls + strlen(src[i].tls->ca_file) + 1;
		if (!(dst[i].tls = malloc(sz))) {
			cfg_remotes_free(dst, &i);
			return -1;
		}
		memcpy(dst[i].tls, src[i].tls, sz);
	}
	return 0;
}

/* ---- address prefixes (access lists) ------------------------------------ */

/* The first len bits of a and b are equal. */
static bool bits_equal(const uint8_t a[16], const uint8_t b[16], unsigned len)
{
	unsigned whole = len / 8, rest = len % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return ((a[whole] ^ b[whole]) & mask) == 0;
}

bool cfg_prefix_match(const struct cfg_prefix *p, const uint8_t a[16])
{
	assert(p->len <= 128);
	return bits_equal(p->addr, a, p->len);
}

/* Clears the bits of a past len. */
static void bits_clear_from(uint8_t a[16], unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = len > 8 * i ? len - 8 * i : 0;
		if (keep < 8)
			a[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

/* The address of text (before any '/') into a, v4-mapped for IPv4;
 * *v4 says which.  Host names are not resolved. */
static int prefix_addr(const char *text, size_t len, uint8_t a[16], bool *v4, char *why,
		       size_t cap)
{
	char host[INET6_ADDRSTRLEN + 1];
	if (len == 0)
		return why_set(why, cap, "missing address before '/'");
	if (len >= sizeof host)
		return why_set(why, cap, "not an IPv4 or IPv6 address");
	memcpy(host, text, len);
	host[len] = 0;
	memset(a, 0, 16);
	*v4 = inet_pton(AF_INET, host, a + 12) == 1;
	if (*v4) {
		a[10] = a[11] = 0xff;
		return 0;
	}
	if (inet_pton(AF_INET6, host, a) == 1)
		return 0;
	if (host[0] == '[' || (strchr(host, '.') && strchr(host, ':')))
		return why_set(why, cap, "an address or ADDR/LEN, without brackets or port "
					 "(e.g. 192.0.2.0/24, 2001:db8::/32)");
	return why_set(why, cap, "not an IPv4 or IPv6 address (names are not resolved)");
}

/*
 * Parses "ADDR" or "ADDR/LEN" into p.  A bare address is one host.  Host
 * bits set past LEN are refused rather than cleared: "192.0.2.1/24" is
 * more often a typo for /32 than a way to write 192.0.2.0/24, and an
 * access list that silently admits 256 hosts is the worse mistake.
 */
static int prefix_parse(struct cfg_prefix *p, const char *text, char *why, size_t cap)
{
	size_t len = strlen(text);
	memset(p, 0, sizeof *p);
	if (len == 0)
		return why_set(why, cap, "empty prefix (expected an address or ADDR/LEN)");
	if (len >= sizeof p->text)
		return why_set(why, cap, "'%.20s...': too long for an address prefix", text);
	const char *slash = strchr(text, '/');
	size_t al = slash ? (size_t)(slash - text) : len;
	char reason[160];
	bool v4 = false;
	if (prefix_addr(text, al, p->addr, &v4, reason, sizeof reason) != 0)
		return why_set(why, cap, "'%s': %s", text, reason);
	unsigned max = v4 ? 32 : 128, plen = max;
	if (slash && !slash[1])
		return why_set(why, cap, "'%s': missing prefix length after '/' (0..%u)", text,
			       max);
	if (slash && val_uint(slash + 1, strlen(slash + 1), 0, max, &plen, reason,
			      sizeof reason) != 0)
		return why_set(why, cap, "'%s': prefix length %s", text, reason);
	p->len = (uint8_t)(v4 ? 96 + plen : plen);
	uint8_t net[16];
	memcpy(net, p->addr, sizeof net);
	bits_clear_from(net, p->len);
	if (memcmp(net, p->addr, sizeof net) != 0) {
		char nt[INET6_ADDRSTRLEN];
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? net + 12 : net, nt, sizeof nt);
		return why_set(why, cap, "%s has host bits set; did you mean %s/%u?", text, nt,
			       plen);
	}
	memcpy(p->text, text, len + 1);
	return 0;
}

/*
 * Parses text into arr[*n] and counts it; one too many, or the same
 * prefix twice (however written), is refused.  dup names the mistake
 * ("listed", "given").
 */
static int prefix_add(struct cfg_prefix *arr, unsigned *n, const char *text, const char *dup,
		      char *why, size_t cap)
{
	if (*n == CFG_PREFIX_MAX)
		return why_set(why, cap, "'%s': more than %d prefixes; merge some into shorter "
					 "ones", text, CFG_PREFIX_MAX);
	struct cfg_prefix *p = &arr[*n];
	if (prefix_parse(p, text, why, cap) != 0)
		return -1;
	for (unsigned j = 0; j < *n; j++) {
		if (arr[j].len != p->len || memcmp(arr[j].addr, p->addr, sizeof p->addr) != 0)
			continue;
		if (strcmp(arr[j].text, text) == 0)
			return why_set(why, cap, "'%s' is %s twice", text, dup);
		return why_set(why, cap, "'%s' is %s twice (also as '%s')", text, dup,
			       arr[j].text);
	}
	++*n;
	return 0;
}

/* Copies argv[0..n) into c's EAL arguments (replacing any). */
static int eal_args_set(struct cfg *c, char *const *argv, size_t n)
{
	char **v = calloc(n + 1, sizeof *v);
	size_t i = 0;
	while (v && i < n && (v[i] = strdup(argv[i])))
		i++;
	if (!v || i < n) {
		for (size_t j = 0; v && j < i; j++)
			free(v[j]);
		free(v);
		return -1;
	}
	for (size_t i = 0; i < c->neal_args; i++)
		free(c->eal_args[i]);
	free(c->eal_args);
	c->eal_args = v;
	c->neal_args = n;
	return 0;
}

/* Sets a K_UINT or K_STR server key in c from text. */
static int key_set(struct cfg *c, const struct key *k, const char *s, size_t len, char *why,
		   size_t cap)
{
	char *field = (char *)c + k->off;
	if (k->kind == K_UINT)
		return val_uint(s, len, k->lo, k->hi, (unsigned *)(void *)field, why, cap);
	if (k->kind == K_FLAG)
		return val_bool(s, len, (bool *)(void *)field, why, cap);
	char *str = NULL;
	if (val_str(s, len, k->lo, k->hi, &str, why, cap) != 0)
		return -1;
	struct cfg_listen l;
	if (k == &server_keys[SK_METRICS_LISTEN] &&
	    cfg_parse_listen_msg(&l, str, why, cap) != 0) {
		free(str);
		return -1;
	}
	char **dst = (char **)(void *)field;
	free(*dst);
	*dst = str;
	return 0;
}

/* A zone named name with file (taken), no primaries, notify or key. */
static void zone_init(struct cfg_zone *z, const char *name, char *file)
{
	memset(z, 0, sizeof *z);
	snprintf(z->name, sizeof z->name, "%s", name);
	z->file = file;
	z->key = -1;
	z->catalog_template = -1;
}

/* The zone of c named name, or NULL. */
static struct cfg_zone *zone_find(struct cfg *c, const char *name)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (strcmp(c->zones[i].name, name) == 0)
			return &c->zones[i];
	return NULL;
}

/* Appends a copy of z to c's zones (which then own its file). */
static int zone_append(struct cfg *c, const struct cfg_zone *z)
{
	struct cfg_zone *v = realloc(c->zones, (c->nzones + 1) * sizeof *v);
	if (!v)
		return -1;
	c->zones = v;
	v[c->nzones++] = *z;
	return 0;
}

/* Replaces the file of zone name in c (keeping the rest of its
 * settings), or appends the zone; takes file. */
static int zone_put(struct cfg *c, const char *name, char *file)
{
	struct cfg_zone *old = zone_find(c, name);
	if (old) {
		free(old->file);
		old->file = file;
		return 0;
	}
	struct cfg_zone z;
	zone_init(&z, name, file);
	return zone_append(c, &z);
}

/* ---- init / free --------------------------------------------------------- */

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

void cfg_init(struct cfg *c)
{
	memset(c, 0, sizeof *c);
	c->tcp_workers = 1;
	c->max_udp_payload = 1232;
	c->tcp_idle_timeout = 10;
	c->tcp_max_clients = 1024;
	c->tcp_max_per_client = 64;
	c->xfr_max_mb = 4096;
	c->zone_counters = 4096;
	c->zone_max_mb = ZONE_MAX_MB_DEFAULT;
	c->zone_max_records = ZONE_MAX_RECORDS_DEFAULT;
	c->control_max_clients = 16;
	c->journal_max_mb = 64;
	c->version = xstrdup(CFG_DEFAULT_VERSION);
	c->control_socket = xstrdup(CFG_DEFAULT_CONTROL_SOCKET);
	c->dnstap_sample = 1;
	c->dnstap_queries = true;
	c->dnstap_responses = true;
	c->log_syslog = false;
	c->log_level = LOG_LVL_INFO;
	/* Off until the operator picks a rate for their traffic, as in Knot:
	 * a busy resolver farm behind one /24 can exceed any fixed default. */
	c->rrl.rate = 0;
	c->rrl.slip = 2;
	c->rrl.ipv4_prefix = 24;
	c->rrl.ipv6_prefix = 56;
	c->rrl.table_size = 262144;
	c->rrl.nodata_rate = c->rrl.nxdomain_rate = CFG_RRL_SAME;
	c->rrl.referral_rate = c->rrl.error_rate = CFG_RRL_SAME;
	/* Nobody may transfer a zone until the operator says who: a server
	 * on the public internet must not hand out its zones to anyone. */
	c->nallow_transfer = 0;
	c->keys = NULL;	/* no TSIG keys; zones get key -1 */
	c->nkeys = 0;
}

void cfg_free(struct cfg *c)
{
	free(c->source);
	free(c->nsid);
	free(c->identity);
	free(c->cookie_secret);
	free(c->cookie_secret_previous);
	free(c->version);
	free(c->control_socket);
	free(c->control_binary);
	free(c->exception_port);
	free(c->cache_dir);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->metrics_listen);
	free(c->dnstap_socket);
	free(c->dnstap_file);
	free(c->dnstap_identity);
	free(c->dnstap_version);
	for (size_t i = 0; i < c->neal_args; i++)
		free(c->eal_args[i]);
	free(c->eal_args);
	if (c->keys)
		explicit_bzero(c->keys, c->nkeys * sizeof *c->keys);
	free(c->keys);
	for (size_t i = 0; i < c->nzones; i++) {
		free(c->zones[i].file);
		cfg_remotes_free(c->zones[i].primaries, &c->zones[i].nprimaries);
	}
	free(c->zones);
	for (size_t i = 0; i < c->ntemplates; i++) {
		free(c->templates[i].storage);
		cfg_remotes_free(c->templates[i].primaries, &c->templates[i].nprimaries);
	}
	free(c->templates);
	memset(c, 0, sizeof *c);
}

/* ---- the file ------------------------------------------------------------ */

struct ld {
	const char *path;	/* as given, for messages */
	size_t dirlen;		/* path[0..dirlen) is the directory, with its '/' */
	const char *buf;
	size_t buflen;
	yaml_parser_t p;
	yaml_event_t ev;
	bool live;		/* ev holds an event to delete */
	char *err;
	size_t errcap;
	struct cfg t;		/* what the file sets (zeroed, not defaults) */
	uint64_t seen_server, seen_log, seen_dnstap, seen_rrl;
	bool hide_version;
	size_t version_line, hide_line;	/* to catch both set */
	struct zmeta *zm;	/* lines of each zone in t */
	size_t kline[CFG_KEYS_MAX];	/* line of each key's name in t */
	struct tmeta *tm;	/* [CFG_TEMPLATES_MAX]: of each template in t */
};

/* What the messages need about a zone read from the file; its key is
 * named here and resolved once the file's keys are all known. */
struct zmeta {
	size_t nameline;
	size_t keyline;		/* 0: no 'key' */
	char key[CFG_NAME_MAX];
	size_t catline;		/* 0: no 'catalog: true' */
	size_t tplline;		/* 0: no 'catalog-template' */
	char tpl[CFG_TEMPLATE_ID_MAX];
};

/* The same for a template. */
struct tmeta {
	size_t idline;
	size_t keyline;		/* 0: no 'key' */
	char key[CFG_NAME_MAX];
};

static int ld_fail(struct ld *l, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ld_fail(struct ld *l, size_t line, const char *fmt, ...)
{
	if (!l->errcap)
		return -1;
	int n = line ? snprintf(l->err, l->errcap, "%s:%zu: ", l->path, line)
		     : snprintf(l->err, l->errcap, "%s: ", l->path);
	if (n >= 0 && (size_t)n < l->errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errcap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static size_t ld_line(const struct ld *l)
{
	return l->ev.start_mark.line + 1;
}

static size_t line_at(const struct ld *l, size_t off)
{
	size_t line = 1;
	for (size_t i = 0; i < off && i < l->buflen; i++)
		line += l->buf[i] == '\n';
	return line;
}

static int ld_syntax(struct ld *l)
{
	const yaml_parser_t *p = &l->p;
	const char *prob = p->problem ? p->problem : "unknown error";
	size_t line;
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return ld_fail(l, 0, "out of memory while reading YAML");
	case YAML_READER_ERROR:
		line = line_at(l, p->problem_offset);
		return ld_fail(l, line, "YAML syntax error: %s", prob);
	default:
		line = p->problem_mark.line + 1;
		if (p->context)
			return ld_fail(l, line, "YAML syntax error: %s (%s at line %zu)", prob,
				       p->context, p->context_mark.line + 1);
		return ld_fail(l, line, "YAML syntax error: %s", prob);
	}
}

/* Reads the next event into l->ev; refuses anchors, aliases and tags. */
static int ld_next(struct ld *l)
{
	if (l->live) {
		yaml_event_delete(&l->ev);
		l->live = false;
	}
	if (!yaml_parser_parse(&l->p, &l->ev))
		return ld_syntax(l);
	l->live = true;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	switch (l->ev.type) {
	case YAML_ALIAS_EVENT:
		return ld_fail(l, ld_line(l),
			       "YAML aliases (*%s) are not supported; write the value out",
			       (const char *)l->ev.data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = l->ev.data.scalar.anchor;
		tag = l->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = l->ev.data.sequence_start.anchor;
		tag = l->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = l->ev.data.mapping_start.anchor;
		tag = l->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return ld_fail(l, ld_line(l),
			       "YAML anchors (&%s) are not supported; write the value out",
			       (const char *)anchor);
	if (tag)
		return ld_fail(l, ld_line(l), "YAML tags (%s) are not supported",
			       (const char *)tag);
	return 0;
}

static const char *ev_what(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_SCALAR_EVENT: return "a single value";
	default: return "nothing";
	}
}

static const char *sv(const struct ld *l)
{
	return (const char *)l->ev.data.scalar.value;
}

static size_t slen(const struct ld *l)
{
	return l->ev.data.scalar.length;
}

/* An empty, "~" or "null" plain scalar. */
static bool ev_null(const struct ld *l)
{
	if (l->ev.type != YAML_SCALAR_EVENT || l->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	size_t n = slen(l);
	const char *s = sv(l);
	return n == 0 || (n == 1 && s[0] == '~') || ieq(s, n, "null");
}

/* Edit distance, for "did you mean" (short keys only). */
static unsigned edits(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b);
	unsigned row[32];
	if (al >= 31 || bl >= 31)
		return 99;
	for (size_t j = 0; j <= bl; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= al; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= bl; j++) {
			unsigned up = row[j];
			unsigned sub = diag + (tolower((unsigned char)a[i - 1]) != b[j - 1]);
			unsigned best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
			row[j] = sub < best ? sub : best;
			diag = up;
		}
	}
	return row[bl];
}

typedef int (*on_key_fn)(struct ld *l, unsigned idx, void *ctx);

/*
 * Walks a mapping whose MAPPING_START is the current event, calling fn for
 * each known key (fn reads the value).  where names the mapping in
 * messages ("in 'server'").  *seen gets a bit per key present.
 */
static int ld_mapping(struct ld *l, const char *where, const struct key *tab, unsigned n,
		      on_key_fn fn, void *ctx, uint64_t *seen)
{
	size_t first[64];
	*seen = 0;
	for (;;) {
		if (ld_next(l) != 0)
			return -1;
		if (l->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		size_t line = ld_line(l);
		if (l->ev.type != YAML_SCALAR_EVENT)
			return ld_fail(l, line, "a key %s is %s; keys must be plain names", where,
				       ev_what(&l->ev));
		unsigned i;
		for (i = 0; i < n; i++)
			if (strlen(tab[i].name) == slen(l) && memcmp(tab[i].name, sv(l), slen(l)) == 0)
				break;
		if (i == n) {
			char list[1024] = "", hint[64] = "";
			size_t o = 0;
			unsigned best = 3;
			for (unsigned j = 0; j < n; j++) {
				int w = snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "",
						 tab[j].name);
				if (w > 0 && (size_t)w < sizeof list - o)
					o += (size_t)w;
				unsigned d = edits(sv(l), slen(l), tab[j].name);
				if (d < best) {
					best = d;
					snprintf(hint, sizeof hint, "did you mean '%s'? ", tab[j].name);
				}
			}
			return ld_fail(l, line, "unknown key '%.*s' %s (%sexpected one of: %s)",
				       (int)slen(l), sv(l), where, hint, list);
		}
		if (*seen & (1ull << i))
			return ld_fail(l, line, "duplicate key '%s' %s (first at line %zu)",
				       tab[i].name, where, first[i]);
		*seen |= 1ull << i;
		first[i] = line;
		if (fn(l, i, ctx) != 0)
			return -1;
	}
}

/* An entry of a list key (ld_list): the current event is its scalar. */
typedef int (*on_entry_fn)(struct ld *l, void *ctx);

/*
 * Reads the value of the key at path ("server.listen"): one scalar or a
 * list of them (entry says what each is, for messages), calling fn on
 * each; an empty list is refused with "PATH: empty list (empty_hint)".
 * With maps, an entry may also be a mapping: fn is called on its
 * MAPPING_START and reads it through.
 */
static int ld_list_of(struct ld *l, const char *path, const char *entry, on_entry_fn fn,
		      void *ctx, const char *empty_hint, bool maps)
{
	if (ld_next(l) != 0)
		return -1;
	size_t line = ld_line(l);
	if (l->ev.type == YAML_MAPPING_START_EVENT && !maps)
		return ld_fail(l, line, "%s: expected %s or a list of them, got a mapping",
			       path, entry);
	bool list = l->ev.type == YAML_SEQUENCE_START_EVENT;
	unsigned n = 0;
	for (;;) {
		if (list) {
			if (ld_next(l) != 0)
				return -1;
			if (l->ev.type == YAML_SEQUENCE_END_EVENT)
				break;
		}
		bool map = maps && l->ev.type == YAML_MAPPING_START_EVENT;
		if (l->ev.type != YAML_SCALAR_EVENT && !map)
			return ld_fail(l, ld_line(l), "%s: each entry must be %s, not %s", path,
				       entry, ev_what(&l->ev));
		if (!map && memchr(sv(l), 0, slen(l)))
			return ld_fail(l, ld_line(l), "%s: contains a NUL byte", path);
		if (fn(l, ctx) != 0)
			return -1;
		n++;
		if (!list)
			break;
	}
	if (n == 0)
		return ld_fail(l, line, "%s: empty list (%s)", path, empty_hint);
	return 0;
}

static int ld_list(struct ld *l, const char *path, const char *entry, on_entry_fn fn,
		   void *ctx, const char *empty_hint)
{
	return ld_list_of(l, path, entry, fn, ctx, empty_hint, false);
}

/* A list of listen addresses while it is read. */
struct lent {
	struct cfg_listen *arr;
	unsigned *n;
	const char *path;	/* "server.listen", for messages */
};

static int on_listen(struct ld *l, void *ctx)
{
	const struct lent *e = ctx;
	char why[256];
	if (addr_add(e->arr, e->n, false, sv(l), "listed", why, sizeof why) != 0)
		return ld_fail(l, ld_line(l), "%s: %s", e->path, why);
	return 0;
}

static int on_address(struct ld *l, void *ctx)
{
	(void)ctx;
	char why[256];
	if (addr_add(l->t.addresses, &l->t.naddresses, true, sv(l), "listed", why,
		     sizeof why) != 0)
		return ld_fail(l, ld_line(l), "server.addresses: %s", why);
	return 0;
}

/* An eal-args entry, appended to what the file set. */
static int on_eal_arg(struct ld *l, void *ctx)
{
	(void)ctx;
	struct cfg *t = &l->t;
	char **v = realloc(t->eal_args, (t->neal_args + 2) * sizeof *v);
	if (v)
		t->eal_args = v;
	char *a = v ? strdup(sv(l)) : NULL;
	if (!a)
		return ld_fail(l, ld_line(l), "out of memory");
	v[t->neal_args++] = a;
	v[t->neal_args] = NULL;
	return 0;
}

static int on_allow_transfer(struct ld *l, void *ctx)
{
	(void)ctx;
	char why[256];
	if (prefix_add(l->t.allow_transfer, &l->t.nallow_transfer, sv(l), "listed", why,
		       sizeof why) != 0)
		return ld_fail(l, ld_line(l), "server.allow-transfer: %s", why);
	return 0;
}

/* Reads a scalar value for key name in section sec; 0 with the value in
 * l->ev, or -1. */
static int ld_scalar(struct ld *l, const char *sec, const char *name, const char *expect)
{
	if (ld_next(l) != 0)
		return -1;
	if (l->ev.type != YAML_SCALAR_EVENT)
		return ld_fail(l, ld_line(l), "%s.%s: expected %s, got %s", sec, name, expect,
			       ev_what(&l->ev));
	return 0;
}

static int on_server(struct ld *l, unsigned idx, void *ctx)
{
	(void)ctx;
	const struct key *k = &server_keys[idx];
	char why[256];
	if (idx == SK_LISTEN || idx == SK_XOT_LISTEN) {
		bool xot = idx == SK_XOT_LISTEN;
		struct lent e = { xot ? l->t.xot_listen : l->t.listen,
				  xot ? &l->t.nxot_listen : &l->t.nlisten,
				  xot ? "server.xot-listen" : "server.listen" };
		return ld_list(l, e.path, "ADDR:PORT", on_listen, &e,
			       xot ? "leave 'xot-listen' out for no zone transfers over TLS"
				   : "leave 'listen' out for the defaults 127.0.0.1:5300 and "
				     "[::1]:5300");
	}
	if (idx == SK_ADDRESSES)
		return ld_list(l, "server.addresses", "an IP address", on_address, NULL,
			       "io dpdk needs at least one address to answer for");
	if (idx == SK_EAL_ARGS)
		return ld_list(l, "server.eal-args", "a string", on_eal_arg, NULL,
			       "leave 'eal-args' out for none");
	if (idx == SK_ALLOW_TRANSFER)
		return ld_list(l, "server.allow-transfer", "an address or ADDR/LEN",
			       on_allow_transfer, NULL,
			       "leave 'allow-transfer' out to refuse every transfer");
	const char *expect = k->kind == K_UINT ? "a number"
			     : k->kind == K_BOOL || k->kind == K_FLAG ? "true or false"
								      : "a string";
	if (ld_scalar(l, "server", k->name, expect) != 0)
		return -1;
	size_t line = ld_line(l);
	int r = k->kind == K_BOOL   ? val_bool(sv(l), slen(l), &l->hide_version, why, sizeof why)
		: idx == SK_IO	    ? val_io(sv(l), slen(l), &l->t.io, why, sizeof why)
				    : key_set(&l->t, k, sv(l), slen(l), why, sizeof why);
	if (r != 0)
		return ld_fail(l, line, "server.%s: %s", k->name, why);
	if (idx == SK_VERSION)
		l->version_line = line;
	if (idx == SK_HIDE_VERSION && l->hide_version)
		l->hide_line = line;
	if (l->version_line && l->hide_line)
		return ld_fail(l, line, "server: 'version' (line %zu) and 'hide-version: true' "
				       "(line %zu) contradict each other; keep one",
			       l->version_line, l->hide_line);
	return 0;
}

static int on_rrl_allow(struct ld *l, void *ctx)
{
	(void)ctx;
	char why[256];
	if (prefix_add(l->t.rrl.allow, &l->t.rrl.nallow, sv(l), "listed", why, sizeof why) != 0)
		return ld_fail(l, ld_line(l), "rate-limit.allow: %s", why);
	return 0;
}

static int on_rrl(struct ld *l, unsigned idx, void *ctx)
{
	(void)ctx;
	const struct key *k = &rrl_keys[idx];
	char why[256];
	if (idx == RK_ALLOW)
		return ld_list(l, "rate-limit.allow", "an address or ADDR/LEN", on_rrl_allow, NULL,
			       "leave 'allow' out to limit every client");
	if (ld_scalar(l, "rate-limit", k->name, k->kind == K_UINT ? "a number" : "true or false"))
		return -1;
	if (key_set(&l->t, k, sv(l), slen(l), why, sizeof why) != 0)
		return ld_fail(l, ld_line(l), "rate-limit.%s: %s", k->name, why);
	return 0;
}

static int on_log(struct ld *l, unsigned idx, void *ctx)
{
	(void)ctx;
	char why[256];
	if (ld_scalar(l, "log", log_keys[idx].name, "a string") != 0)
		return -1;
	int r = idx == LK_TARGET ? val_target(sv(l), slen(l), &l->t.log_syslog, why, sizeof why)
				 : val_level(sv(l), slen(l), &l->t.log_level, why, sizeof why);
	if (r != 0)
		return ld_fail(l, ld_line(l), "log.%s: %s", log_keys[idx].name, why);
	return 0;
}

static int on_dnstap(struct ld *l, unsigned idx, void *ctx)
{
	(void)ctx;
	const struct key *k = &dnstap_keys[idx];
	char why[256];
	if (ld_scalar(l, "dnstap", k->name, k->kind == K_UINT ? "a number"
					  : k->kind == K_FLAG ? "true or false" : "a string") != 0)
		return -1;
	if (key_set(&l->t, k, sv(l), slen(l), why, sizeof why) != 0)
		return ld_fail(l, ld_line(l), "dnstap.%s: %s", k->name, why);
	return 0;
}

/* A relative *path made relative to the configuration file's directory;
 * -1 when out of memory. */
static int rel_path(const struct ld *l, char **path)
{
	if ((*path)[0] == '/' || !l->dirlen)
		return 0;
	size_t fl = strlen(*path);
	char *j = malloc(l->dirlen + fl + 1);
	if (!j)
		return -1;
	memcpy(j, l->path, l->dirlen);
	memcpy(j + l->dirlen, *path, fl + 1);
	free(*path);
	*path = j;
	return 0;
}

/* A 'zones' entry while it is read. */
struct zent {
	struct cfg_zone z;
	struct zmeta m;
	char path[32];		/* "zones[N]", for messages */
};

/* A primaries or notify list while it is read. */
struct rent {
	struct cfg_remote *arr;
	unsigned *n;
	const char *path;	/* "zones[N].primaries", for messages */
	const char *what;	/* "primaries" */
};

/* A primaries entry written as a mapping, while it is read. */
struct pent {
	const char *path;	/* "zones[N].primaries", for messages */
	char address[80];
	size_t addrline;
	enum cfg_tls_mode mode;
	char name[CFG_NAME_MAX];
	char *ca;		/* malloc */
};

static int on_primary_key(struct ld *l, unsigned idx, void *ctx)
{
	struct pent *p = ctx;
	char why[256];
	if (ld_scalar(l, p->path, primary_keys[idx].name, "a string") != 0)
		return -1;
	size_t line = ld_line(l);
	int r = 0;
	if (idx == PK_ADDRESS) {
		p->addrline = line;
		if (slen(l) >= sizeof p->address)
			r = why_set(why, sizeof why, "too long for an address");
		else
			memcpy(p->address, sv(l), slen(l) + 1);
	} else if (idx == PK_TLS) {
		r = val_tls(sv(l), slen(l), &p->mode, why, sizeof why);
	} else if (idx == PK_TLS_NAME) {
		r = val_tls_name(sv(l), slen(l), p->name, why, sizeof why);
	} else if (val_str(sv(l), slen(l), 1, CFG_PATH_MAX, &p->ca, why, sizeof why) != 0) {
		r = -1;
	} else if (access(p->ca, R_OK) != 0) {
		r = why_set(why, sizeof why, "%s: cannot read: %s", p->ca, strerror(errno));
	}
	if (r != 0)
		return ld_fail(l, line, "%s.%s: %s", p->path, primary_keys[idx].name, why);
	return 0;
}

/* The TLS settings of a primary, or NULL (out of memory). */
static struct cfg_tls *tls_new(enum cfg_tls_mode mode, const char *name, const char *ca)
{
	size_t cl = ca ? strlen(ca) : 0;
	struct cfg_tls *t = calloc(1, sizeof *t + cl + 1);
	if (!t)
		return NULL;
	t->mode = mode;
	snprintf(t->name, sizeof t->name, "%s", name);
	memcpy(t->ca_file, ca ? ca : "", cl + 1);
	return t;
}

/* A primary written as a mapping: its address, and how TLS is used. */
static int on_remote_map(struct ld *l, const struct rent *e)
{
	struct pent p = { .path = e->path };
	size_t line = ld_line(l);
	char why[256];
	uint64_t seen;
	int r = ld_mapping(l, "in a 'primaries' entry", primary_keys, PK_COUNT, on_primary_key,
			   &p, &seen);
	if (r == 0 && !(seen & (1ull << PK_ADDRESS)))
		r = ld_fail(l, line, "%s: entry has no 'address'", e->path);
	else if (r == 0 && (p.ca || p.name[0]) && p.mode != CFG_TLS_STRICT)
		r = ld_fail(l, line, "%s: 'tls-ca' and 'tls-name' are for 'tls: strict' "
			    "(opportunistic TLS authenticates nobody)", e->path);
	else if (r == 0 && remote_add(e->arr, e->n, p.address, e->what, "listed", why,
				      sizeof why) != 0)
		r = ld_fail(l, p.addrline, "%s: %s", e->path, why);
	else if (r == 0 && p.mode != CFG_TLS_OFF &&
		 !(e->arr[*e->n - 1].tls = tls_new(p.mode, p.name, p.ca)))
		r = ld_fail(l, line, "out of memory");
	free(p.ca);
	return r;
}

static int on_remote(struct ld *l, void *ctx)
{
	struct rent *e = ctx;
	char why[256];
	if (l->ev.type == YAML_MAPPING_START_EVENT)
		return on_remote_map(l, e);
	if (remote_add(e->arr, e->n, sv(l), e->what, "listed", why, sizeof why) != 0)
		return ld_fail(l, ld_line(l), "%s: %s", e->path, why);
	return 0;
}

static int on_zone(struct ld *l, unsigned idx, void *ctx)
{
	struct zent *e = ctx;
	struct cfg_zone *z = &e->z;
	char why[256], path[48];
	if (idx == ZK_PRIMARIES || idx == ZK_NOTIFY) {
		bool prim = idx == ZK_PRIMARIES;
		snprintf(path, sizeof path, "%s.%s", e->path, zone_keys[idx].name);
		struct rent r = { prim ? z->primaries : z->notify,
				  prim ? &z->nprimaries : &z->nnotify, path, zone_keys[idx].name };
		return ld_list_of(l, path, prim ? "ADDR[@PORT] or a mapping with 'address'"
						: "ADDR[@PORT]", on_remote, &r,
				  prim ? "leave 'primaries' out for a zone served from its file"
				       : "leave 'notify' out to notify nobody", prim);
	}
	if (ld_scalar(l, idx == ZK_NAME || idx == ZK_FILE ? "zones" : e->path,
		      zone_keys[idx].name, idx == ZK_CATALOG ? "true or false" : "a string") != 0)
		return -1;
	size_t line = ld_line(l);
	if (idx == ZK_NAME) {
		if (val_zone_name(sv(l), slen(l), z->name, why, sizeof why) != 0)
			return ld_fail(l, line, "zones: name: %s", why);
		e->m.nameline = line;
		return 0;
	}
	if (idx == ZK_KEY) {
		if (val_name(sv(l), slen(l), "key", e->m.key, why, sizeof why) != 0)
			return ld_fail(l, line, "%s.key: %s", e->path, why);
		e->m.keyline = line;
		return 0;
	}
	if (idx == ZK_CATALOG) {
		if (val_bool(sv(l), slen(l), &z->catalog, why, sizeof why) != 0)
			return ld_fail(l, line, "%s.catalog: %s", e->path, why);
		e->m.catline = z->catalog ? line : 0;
		return 0;
	}
	if (idx == ZK_CATALOG_TEMPLATE) {
		if (val_template_id(sv(l), slen(l), e->m.tpl, why, sizeof why) != 0)
			return ld_fail(l, line, "%s.catalog-template: %s", e->path, why);
		e->m.tplline = line;
		return 0;
	}
	if (val_str(sv(l), slen(l), 1, CFG_PATH_MAX, &z->file, why, sizeof why) != 0)
		return ld_fail(l, line, "zones: file: %s", why);
	if (rel_path(l, &z->file) != 0)
		return ld_fail(l, line, "out of memory");
	return 0;
}

static int ld_zone(struct ld *l, size_t index)
{
	size_t line = ld_line(l);
	if (l->ev.type != YAML_MAPPING_START_EVENT)
		return ld_fail(l, line, "zones: each entry must be a mapping with 'name' and 'file', "
				     "not %s", ev_what(&l->ev));
	struct zent e;
	memset(&e, 0, sizeof e);
	zone_init(&e.z, "", NULL);
	snprintf(e.path, sizeof e.path, "zones[%zu]", index);
	uint64_t seen;
	int r = ld_mapping(l, "in a 'zones' entry", zone_keys, ZK_COUNT, on_zone, &e, &seen);
	if (r == 0 && !(seen & (1ull << ZK_NAME)))
		r = ld_fail(l, line, "zones: entry has no 'name'");
	else if (r == 0 && !(seen & (1ull << ZK_FILE)))
		r = ld_fail(l, line, "zones: zone '%s' has no 'file'%s", e.z.name,
			    e.z.nprimaries ? " (a secondary needs one too: where the "
					     "transferred zone is kept)" : "");
	else if (r == 0 && e.m.tplline && !e.z.catalog)
		r = ld_fail(l, e.m.tplline, "%s.catalog-template: zone '%s' is not a catalog; add "
			    "'catalog: true' or leave 'catalog-template' out", e.path, e.z.name);
	struct cfg *t = &l->t;
	for (size_t i = 0; r == 0 && i < t->nzones; i++)
		if (strcmp(t->zones[i].name, e.z.name) == 0)
			r = ld_fail(l, e.m.nameline, "zones: duplicate zone '%s' (first at line %zu)",
				    e.z.name, l->zm[i].nameline);
	if (r == 0) {
		struct zmeta *zm = realloc(l->zm, (t->nzones + 1) * sizeof *zm);
		if (zm)
			l->zm = zm;
		if (!zm || zone_append(t, &e.z) != 0)
			r = ld_fail(l, line, "out of memory");
		else
			l->zm[t->nzones - 1] = e.m;
	}
	if (r != 0) {
		free(e.z.file);
		cfg_remotes_free(e.z.primaries, &e.z.nprimaries);
	}
	return r;
}

/* A top-level list of mappings (zones, keys): each entry to entry(l, i);
 * what names the list and the entries' shape in the error. */
static int ld_entries(struct ld *l, const char *what, int (*entry)(struct ld *, size_t))
{
	if (ld_next(l) != 0)
		return -1;
	if (ev_null(l))
		return 0;
	if (l->ev.type != YAML_SEQUENCE_START_EVENT)
		return ld_fail(l, ld_line(l), "%s, got %s", what, ev_what(&l->ev));
	for (size_t i = 0;; i++) {
		if (ld_next(l) != 0)
			return -1;
		if (l->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (entry(l, i) != 0)
			return -1;
	}
}

static int ld_zones(struct ld *l)
{
	return ld_entries(l, "zones: expected a list of entries (- name: ZONE, file: PATH)",
			  ld_zone);
}

/* The index of key name among the file's keys into *out, or -1 with
 * "FILE:LINE: WHERE.key: no key ..." (at line). */
static int ld_key_ref(struct ld *l, const char *where, const char *name, size_t line, int *out)
{
	const struct cfg *t = &l->t;
	*out = key_find(t->keys, t->nkeys, name);
	if (*out >= 0)
		return 0;
	char names[256];
	if (!t->nkeys)
		return ld_fail(l, line, "%s.key: no key '%s' in keys (none defined; add it under "
				       "'keys:' with its name, algorithm and secret)", where, name);
	return ld_fail(l, line, "%s.key: no key '%s' in keys (defined: %s)", where, name,
		       key_names(t->keys, t->nkeys, names, sizeof names));
}

static int ld_templates_resolve(struct ld *l);

/* Each zone's 'key' names a key of the file's 'keys' (which may come
 * after 'zones'): resolved once the whole file is read; so are the
 * templates' keys and the catalogs' templates. */
static int ld_zone_keys(struct ld *l)
{
	struct cfg *t = &l->t;
	for (size_t i = 0; i < t->nzones; i++) {
		const struct zmeta *m = &l->zm[i];
		if (!m->keyline)
			continue;
		char path[32];
		snprintf(path, sizeof path, "zones[%zu]", i);
		if (ld_key_ref(l, path, m->key, m->keyline, &t->zones[i].key) != 0)
			return -1;
	}
	return ld_templates_resolve(l);
}

/* A 'keys' entry while it is read. */
struct kent {
	struct cfg_key k;
	size_t nameline, secretline, fileline;
	char *file;		/* secret-file, to read (malloc) */
	char path[32];		/* "keys[N]", for messages */
};

static int on_key(struct ld *l, unsigned idx, void *ctx)
{
	struct kent *e = ctx;
	char why[384];
	const char *name = key_keys[idx].name;
	if (ld_scalar(l, e->path, name, "a string") != 0)
		return -1;
	size_t line = ld_line(l);
	int r = 0;
	switch (idx) {
	case KK_NAME:
		r = val_name(sv(l), slen(l), "key", e->k.name, why, sizeof why);
		e->nameline = line;
		break;
	case KK_ALGORITHM:
		r = val_algorithm(sv(l), slen(l), e->k.algorithm, why, sizeof why);
		break;
	case KK_SECRET:
		r = val_secret(sv(l), slen(l), e->k.secret, why, sizeof why);
		e->secretline = line;
		break;
	case KK_SECRET_FILE:
		/* read once the entry is known to be good (ld_key); relative
		 * to the configuration's directory, as zone files are */
		r = val_str(sv(l), slen(l), 1, CFG_PATH_MAX, &e->file, why, sizeof why);
		if (r == 0 && rel_path(l, &e->file) != 0)
			return ld_fail(l, line, "out of memory");
		e->fileline = line;
		break;
	}
	if (r != 0)
		return ld_fail(l, line, "%s.%s: %s", e->path, name, why);
	return 0;
}

static int ld_key(struct ld *l, size_t index)
{
	size_t line = ld_line(l);
	if (l->ev.type != YAML_MAPPING_START_EVENT)
		return ld_fail(l, line, "keys: each entry must be a mapping with 'name', "
				     "'algorithm' and 'secret' or 'secret-file', not %s",
			       ev_what(&l->ev));
	struct kent e;
	memset(&e, 0, sizeof e);
	snprintf(e.path, sizeof e.path, "keys[%zu]", index);
	uint64_t seen;
	struct cfg *t = &l->t;
	int r = ld_mapping(l, "in a 'keys' entry", key_keys, KK_COUNT, on_key, &e, &seen);
	if (r == 0 && !(seen & (1ull << KK_NAME)))
		r = ld_fail(l, line, "%s: entry has no 'name'", e.path);
	else if (r == 0 && !(seen & (1ull << KK_ALGORITHM)))
		r = ld_fail(l, line, "%s: key '%s' has no 'algorithm' (one of: "
				     ALGORITHMS_TEXT ")", e.path, e.k.name);
	else if (r == 0 && !(seen & (1ull << KK_SECRET | 1ull << KK_SECRET_FILE)))
		r = ld_fail(l, line, "%s: key '%s' has no 'secret' (base64) or 'secret-file'; "
				     "give one", e.path, e.k.name);
	else if (r == 0 && e.secretline && e.fileline)
		r = ld_fail(l, e.secretline > e.fileline ? e.secretline : e.fileline,
			    "%s: key '%s' has both 'secret' (line %zu) and 'secret-file' "
			    "(line %zu); keep one", e.path, e.k.name, e.secretline, e.fileline);
	int dup = r == 0 ? key_find(t->keys, t->nkeys, e.k.name) : -1;
	if (dup >= 0)
		r = ld_fail(l, e.nameline, "%s.name: duplicate key '%s' (first at line %zu)",
			    e.path, e.k.name, l->kline[dup]);
	else if (r == 0 && t->nkeys == CFG_KEYS_MAX)
		r = ld_fail(l, line, "keys: more than %d keys", CFG_KEYS_MAX);
	char why[384];
	if (r == 0 && e.file && secret_file_read(e.file, e.k.secret, why, sizeof why) != 0)
		r = ld_fail(l, e.fileline, "%s.secret-file: %s", e.path, why);
	free(e.file);
	if (r == 0) {
		struct cfg_key *v = realloc(t->keys, (t->nkeys + 1) * sizeof *v);
		if (!v) {
			r = ld_fail(l, line, "out of memory");
		} else {
			t->keys = v;
			l->kline[t->nkeys] = e.nameline;
			v[t->nkeys++] = e.k;
		}
	}
	explicit_bzero(&e, sizeof e);
	return r;
}

static int ld_keys(struct ld *l)
{
	return ld_entries(l, "keys: expected a list of entries (- name: NAME, algorithm: ALG, "
			     "secret: BASE64)", ld_key);
}

/* ---- templates (of catalog member zones) ---- */

/* A 'templates' entry while it is read. */
struct tent {
	struct cfg_template t;
	struct tmeta m;
	char path[32];		/* "templates[N]", for messages */
};

static int on_template(struct ld *l, unsigned idx, void *ctx)
{
	struct tent *e = ctx;
	struct cfg_template *t = &e->t;
	char why[256], path[48];
	snprintf(path, sizeof path, "%s.%s", e->path, template_keys[idx].name);
	if (idx == TPK_PRIMARIES || idx == TPK_NOTIFY) {
		bool prim = idx == TPK_PRIMARIES;
		struct rent r = { prim ? t->primaries : t->notify,
				  prim ? &t->nprimaries : &t->nnotify, path, template_keys[idx].name };
		return ld_list(l, path, "ADDR[@PORT]", on_remote, &r,
			       prim ? "leave 'primaries' out for the catalog's"
				    : "leave 'notify' out to notify nobody");
	}
	if (ld_scalar(l, e->path, template_keys[idx].name, "a string") != 0)
		return -1;
	size_t line = ld_line(l);
	int r = 0;
	if (idx == TPK_ID) {
		r = val_template_id(sv(l), slen(l), t->id, why, sizeof why);
		e->m.idline = line;
	} else if (idx == TPK_KEY) {
		r = val_name(sv(l), slen(l), "key", e->m.key, why, sizeof why);
		e->m.keyline = line;
	} else {
		r = val_str(sv(l), slen(l), 1, CFG_PATH_MAX, &t->storage, why, sizeof why);
		if (r == 0 && rel_path(l, &t->storage) != 0)
			return ld_fail(l, line, "out of memory");
	}
	return r ? ld_fail(l, line, "%s: %s", path, why) : 0;
}

/* The index of the template with that id in t, or -1. */
static int template_find(const struct cfg *t, const char *id)
{
	for (size_t i = 0; i < t->ntemplates; i++)
		if (strcmp(t->templates[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int ld_template(struct ld *l, size_t index)
{
	size_t line = ld_line(l);
	if (l->ev.type != YAML_MAPPING_START_EVENT)
		return ld_fail(l, line, "templates: each entry must be a mapping with 'id', not %s",
			       ev_what(&l->ev));
	struct tent e;
	memset(&e, 0, sizeof e);
	e.t.key = -1;
	snprintf(e.path, sizeof e.path, "templates[%zu]", index);
	uint64_t seen;
	struct cfg *t = &l->t;
	int r = ld_mapping(l, "in a 'templates' entry", template_keys, TPK_COUNT, on_template,
			   &e, &seen);
	int dup = r == 0 ? template_find(t, e.t.id) : -1;
	if (r == 0 && !(seen & (1ull << TPK_ID)))
		r = ld_fail(l, line, "%s: entry has no 'id'", e.path);
	else if (dup >= 0)
		r = ld_fail(l, e.m.idline, "%s.id: duplicate template '%s' (first at line %zu)",
			    e.path, e.t.id, l->tm[dup].idline);
	else if (r == 0 && t->ntemplates == CFG_TEMPLATES_MAX)
		r = ld_fail(l, line, "templates: more than %d templates", CFG_TEMPLATES_MAX);
	struct cfg_template *v = NULL;
	if (r == 0 && !(v = realloc(t->templates, (t->ntemplates + 1) * sizeof *v)))
		r = ld_fail(l, line, "out of memory");
	if (r != 0) {
		free(e.t.storage);
		return r;
	}
	t->templates = v;
	l->tm[t->ntemplates] = e.m;
	v[t->ntemplates++] = e.t;
	return 0;
}

static int ld_templates(struct ld *l)
{
	if (!l->tm && !(l->tm = calloc(CFG_TEMPLATES_MAX, sizeof *l->tm)))
		return ld_fail(l, 0, "out of memory");
	return ld_entries(l, "templates: expected a list of entries (- id: NAME, primaries: ...)",
			  ld_template);
}

/* The templates' keys, and each catalog's template (catalog-template):
 * both may come later in the file than what names them. */
static int ld_templates_resolve(struct ld *l)
{
	struct cfg *t = &l->t;
	for (size_t i = 0; i < t->ntemplates; i++) {
		char path[32];
		snprintf(path, sizeof path, "templates[%zu]", i);
		if (l->tm[i].keyline &&
		    ld_key_ref(l, path, l->tm[i].key, l->tm[i].keyline, &t->templates[i].key) != 0)
			return -1;
	}
	for (size_t i = 0; i < t->nzones; i++) {
		const struct zmeta *m = &l->zm[i];
		if (!m->tplline)
			continue;
		t->zones[i].catalog_template = template_find(t, m->tpl);
		if (t->zones[i].catalog_template < 0)
			return ld_fail(l, m->tplline, "zones[%zu].catalog-template: no template '%s' "
				       "under 'templates'", i, m->tpl);
	}
	return 0;
}

/* The dnstap section (its mapping started): one destination, a file path
 * relative to the configuration file's directory. */
static int ld_dnstap(struct ld *l)
{
	size_t line = ld_line(l);
	if (ld_mapping(l, "in 'dnstap'", dnstap_keys, DK_COUNT, on_dnstap, NULL,
		       &l->seen_dnstap) != 0)
		return -1;
	bool sock = l->seen_dnstap & (1ull << DK_SOCKET), file = l->seen_dnstap & (1ull << DK_FILE);
	if (sock == file)
		return ld_fail(l, line, "dnstap: give either 'socket: PATH' (a reader's Unix "
					"socket) or 'file: PATH'%s", sock ? ", not both" : "");
	if (file && rel_path(l, &l->t.dnstap_file) != 0)
		return ld_fail(l, line, "out of memory");
	return 0;
}

static int on_top(struct ld *l, unsigned idx, void *ctx)
{
	(void)ctx;
	if (idx == TK_ZONES)
		return ld_zones(l);
	if (idx == TK_KEYS)
		return ld_keys(l);
	if (idx == TK_TEMPLATES)
		return ld_templates(l);
	if (ld_next(l) != 0)
		return -1;
	if (ev_null(l))
		return 0;
	if (l->ev.type != YAML_MAPPING_START_EVENT)
		return ld_fail(l, ld_line(l), "'%s' must be a mapping of settings, got %s",
			       top_keys[idx].name, ev_what(&l->ev));
	if (idx == TK_SERVER) {
		return ld_mapping(l, "in 'server'", server_keys, SK_COUNT, on_server, NULL,
				  &l->seen_server);
	}
	if (idx == TK_DNSTAP)
		return ld_dnstap(l);
	if (idx == TK_RATE_LIMIT)
		return ld_mapping(l, "in 'rate-limit'", rrl_keys, RK_COUNT, on_rrl, NULL,
				  &l->seen_rrl);
	return ld_mapping(l, "in 'log'", log_keys, LK_COUNT, on_log, NULL, &l->seen_log);
}

static int ld_document(struct ld *l)
{
	if (ld_next(l) != 0)	/* STREAM_START */
		return -1;
	if (ld_next(l) != 0)
		return -1;
	if (l->ev.type == YAML_STREAM_END_EVENT)
		return ld_fail(l, 1, "the file is empty; expected a mapping with 'server', "
				     "'log', 'keys' and 'zones'");
	size_t docline = ld_line(l);
	if (ld_next(l) != 0)	/* past DOCUMENT_START */
		return -1;
	if (ev_null(l))
		return ld_fail(l, docline, "the document is empty; expected a mapping with "
					      "'server', 'log', 'keys' and 'zones'");
	if (l->ev.type != YAML_MAPPING_START_EVENT)
		return ld_fail(l, ld_line(l), "expected a mapping at the top (server:, log:, "
					      "keys:, zones:), got %s", ev_what(&l->ev));
	uint64_t seen;
	if (ld_mapping(l, "at the top level", top_keys, TK_COUNT, on_top, NULL, &seen) != 0)
		return -1;
	if (ld_zone_keys(l) != 0)
		return -1;
	if (ld_next(l) != 0)	/* DOCUMENT_END */
		return -1;
	if (ld_next(l) != 0)
		return -1;
	if (l->ev.type != YAML_STREAM_END_EVENT)
		return ld_fail(l, ld_line(l), "a second YAML document; the configuration is one "
					      "document");
	return 0;
}

/* Reads every event, for syntax errors and refused YAML features. */
static int ld_scan(struct ld *l)
{
	do {
		if (ld_next(l) != 0)
			return -1;
	} while (l->ev.type != YAML_STREAM_END_EVENT);
	return 0;
}

/* Moves the value of key k (a number, flag or string) from t into c;
 * false for a key of another kind. */
static bool merge_key(struct cfg *c, struct cfg *t, const struct key *k)
{
	if (k->kind == K_UINT) {
		*(unsigned *)(void *)((char *)c + k->off) = *(unsigned *)(void *)((char *)t + k->off);
	} else if (k->kind == K_FLAG) {
		*(bool *)(void *)((char *)c + k->off) = *(bool *)(void *)((char *)t + k->off);
	} else if (k->kind == K_STR) {
		char **d = (char **)(void *)((char *)c + k->off);
		char **s = (char **)(void *)((char *)t + k->off);
		free(*d);
		*d = *s;
		*s = NULL;
	} else {
		return false;
	}
	return true;
}

/* Moves what the file set into c; nothing here can fail. */
static void ld_merge(struct ld *l, struct cfg *c, char *source)
{
	struct cfg *t = &l->t;
	for (unsigned i = 0; i < DK_COUNT; i++)
		if (l->seen_dnstap & (1ull << i))
			merge_key(c, t, &dnstap_keys[i]);
	for (unsigned i = 0; i < SK_COUNT; i++) {
		const struct key *k = &server_keys[i];
		if (!(l->seen_server & (1ull << i)) || merge_key(c, t, k))
			continue;
		if (i == SK_LISTEN) {
			memcpy(c->listen, t->listen, sizeof c->listen);
			c->nlisten = t->nlisten;
		} else if (i == SK_XOT_LISTEN) {
			memcpy(c->xot_listen, t->xot_listen, sizeof c->xot_listen);
			c->nxot_listen = t->nxot_listen;
		} else if (i == SK_ADDRESSES) {
			memcpy(c->addresses, t->addresses, sizeof c->addresses);
			c->naddresses = t->naddresses;
		} else if (i == SK_ALLOW_TRANSFER) {
			memcpy(c->allow_transfer, t->allow_transfer, sizeof c->allow_transfer);
			c->nallow_transfer = t->nallow_transfer;
		} else if (i == SK_IO) {
			c->io = t->io;
		} else if (i == SK_EAL_ARGS) {
			char **v = c->eal_args;
			size_t n = c->neal_args;
			c->eal_args = t->eal_args;
			c->neal_args = t->neal_args;
			t->eal_args = v;	/* freed with t */
			t->neal_args = n;
		}
	}
	if (l->hide_version) {
		free(c->version);
		c->version = NULL;
	}
	for (unsigned i = 0; i < RK_COUNT; i++) {
		const struct key *k = &rrl_keys[i];
		if (!(l->seen_rrl & (1ull << i)))
			continue;
		if (i == RK_ALLOW) {
			memcpy(c->rrl.allow, t->rrl.allow, sizeof c->rrl.allow);
			c->rrl.nallow = t->rrl.nallow;
		} else if (k->kind == K_UINT) {
			*(unsigned *)(void *)((char *)c + k->off) =
				*(unsigned *)(void *)((char *)t + k->off);
		} else {
			*(bool *)(void *)((char *)c + k->off) = *(bool *)(void *)((char *)t + k->off);
		}
	}
	if (l->seen_log & (1ull << LK_TARGET))
		c->log_syslog = t->log_syslog;
	if (l->seen_log & (1ull << LK_LEVEL))
		c->log_level = t->log_level;
	/* c->keys and c->zones have room for all of t's (see cfg_load_file).
	 * A key or zone of the same name is replaced, others are added;
	 * kmap[i] is where t's key i went. */
	int kmap[CFG_KEYS_MAX];
	for (size_t i = 0; i < t->nkeys; i++) {
		int j = key_find(c->keys, c->nkeys, t->keys[i].name);
		if (j < 0)
			j = (int)c->nkeys++;
		c->keys[j] = t->keys[i];
		kmap[i] = j;
	}
	for (size_t i = 0; i < t->nzones; i++) {
		struct cfg_zone *z = zone_find(c, t->zones[i].name);
		if (!z) {
			z = &c->zones[c->nzones++];
		} else {
			free(z->file);
			cfg_remotes_free(z->primaries, &z->nprimaries);
		}
		*z = t->zones[i];
		if (z->key >= 0)
			z->key = kmap[z->key];
		t->zones[i].file = NULL;
		t->zones[i].nprimaries = 0;	/* their TLS settings are c's now */
	}
	/* the file's templates are the only ones (no flag makes any) */
	for (size_t i = 0; i < t->ntemplates; i++)
		if (t->templates[i].key >= 0)
			t->templates[i].key = kmap[t->templates[i].key];
	struct cfg_template *tv = c->templates;
	size_t tn = c->ntemplates;
	c->templates = t->templates;
	c->ntemplates = t->ntemplates;
	t->templates = tv;	/* freed with t */
	t->ntemplates = tn;
	free(c->source);
	c->source = source;
}

static char *read_all(const char *path, size_t *len, char *err, size_t errcap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		why_set(err, errcap, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			why_set(err, errcap, "%s: out of memory", path);
			break;
		}
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			why_set(err, errcap, "%s: cannot read: %s", path, strerror(errno));
			break;
		}
		if (n < cap) {
			fclose(f);
			*len = n;
			return buf;
		}
		if (cap >= CFG_FILE_MAX) {
			why_set(err, errcap, "%s: larger than %u bytes; not a configuration file?",
				path, CFG_FILE_MAX);
			break;
		}
		cap *= 2;
		char *nb = realloc(buf, cap);
		if (!nb)
			free(buf);
		buf = nb;
	}
	free(buf);
	fclose(f);
	return NULL;
}

int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errcap)
{
	size_t len;
	char *buf = read_all(path, &len, err, errcap);
	if (!buf)
		return -1;
	int r = cfg_load_mem(c, path, buf, len, err, errcap);
	free(buf);
	return r;
}

int cfg_load_mem(struct cfg *c, const char *path, const char *buf, size_t len, char *err,
		 size_t errcap)
{
	struct ld l;
	memset(&l, 0, sizeof l);
	l.path = path;
	l.err = err;
	l.errcap = errcap;
	const char *slash = strrchr(path, '/');
	l.dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	l.buflen = len;
	l.buf = buf;
	/* Pass 1 reads the YAML through, so a syntax error is reported as
	 * such rather than as a strange value before it; pass 2 reads the
	 * settings. */
	int r = 0;
	for (int pass = 1; r == 0 && pass <= 2; pass++) {
		if (!yaml_parser_initialize(&l.p)) {
			r = ld_fail(&l, 0, "out of memory");
			break;
		}
		yaml_parser_set_input_string(&l.p, (const unsigned char *)buf, l.buflen);
		if (pass == 1)
			r = ld_scan(&l);
		else
			r = ld_document(&l);
		if (l.live)
			yaml_event_delete(&l.ev);
		l.live = false;
		yaml_parser_delete(&l.p);
	}
	char *source = NULL;
	size_t nkeys = c->nkeys;
	for (size_t i = 0; r == 0 && i < l.t.nkeys; i++)
		nkeys += key_find(c->keys, c->nkeys, l.t.keys[i].name) < 0;
	if (r == 0 && nkeys > CFG_KEYS_MAX)
		r = ld_fail(&l, 0, "keys: more than %d keys with those given before", CFG_KEYS_MAX);
	if (r == 0) {
		source = strdup(path);
		struct cfg_zone *z = NULL;
		struct cfg_key *k = c->keys;
		if (source)
			z = realloc(c->zones, (c->nzones + l.t.nzones + 1) * sizeof *z);
		if (z)
			c->zones = z;
		if (z && l.t.nkeys)
			k = realloc(c->keys, (c->nkeys + l.t.nkeys) * sizeof *k);
		if (!z || (l.t.nkeys && !k)) {
			free(source);
			r = ld_fail(&l, 0, "out of memory");
		} else {
			c->keys = k;
		}
	}
	if (r == 0)
		ld_merge(&l, c, source);
	cfg_free(&l.t);
	free(l.zm);
	free(l.tm);
	return r;
}

/* ---- flags --------------------------------------------------------------- */

enum { F_CONFIG = SK_COUNT, F_LISTEN, F_ZONE, F_HIDE_VERSION, F_LOG_LEVEL, F_SYSLOG,
	F_IO, F_ADDRESS, F_ALLOW_TRANSFER, F_KEY, F_PRIMARY, F_ZONE_KEY, F_XOT_LISTEN,
	F_PASSTHRU, F_RRL /* + RK_*: a rate-limit key */ };

struct flag {
	const char *name;
	int id;			/* SK_* for plain server keys, else F_* */
	bool arg;
};

static const struct flag flag_tab[] = {
	{ "--config", F_CONFIG, true },
	{ "--listen", F_LISTEN, true },
	{ "--zone", F_ZONE, true },
	{ "--control-socket", SK_CONTROL_SOCKET, true },
	{ "--workers", SK_WORKERS, true },
	{ "--tcp-workers", SK_TCP_WORKERS, true },
	{ "--nsid", SK_NSID, true },
	{ "--identity", SK_IDENTITY, true },
	{ "--cookie-secret", SK_COOKIE_SECRET, true },
	{ "--cookie-secret-previous", SK_COOKIE_SECRET_PREVIOUS, true },
	{ "--cookie-require", SK_COOKIE_REQUIRE, false },
	{ "--hide-identity", SK_HIDE_IDENTITY, false },
	{ "--hide-nsid", SK_HIDE_NSID, false },
	{ "--version", SK_VERSION, true },
	{ "--hide-version", F_HIDE_VERSION, false },
	{ "--log-level", F_LOG_LEVEL, true },
	{ "--syslog", F_SYSLOG, false },
	{ "--control-binary", SK_CONTROL_BINARY, true },
	{ "--cache-dir", SK_CACHE_DIR, true },
	{ "--cpu-pin", SK_CPU_PIN, false },
	{ "--reuse-port-takeover", SK_REUSE_PORT_TAKEOVER, false },
	{ "--io", F_IO, true },
	{ "--address", F_ADDRESS, true },
	{ "--exception-port", SK_EXCEPTION_PORT, true },
	{ "--xfr-max-mb", SK_XFR_MAX_MB, true },
	{ "--journal-max-mb", SK_JOURNAL_MAX_MB, true },
	{ "--allow-transfer", F_ALLOW_TRANSFER, true },
	{ "--key", F_KEY, true },
	{ "--primary", F_PRIMARY, true },
	{ "--zone-key", F_ZONE_KEY, true },
	{ "--xot-listen", F_XOT_LISTEN, true },
	{ "--tls-cert", SK_TLS_CERT, true },
	{ "--tls-key", SK_TLS_KEY, true },
	{ "--metrics-listen", SK_METRICS_LISTEN, true },
	{ "--zone-counters", SK_ZONE_COUNTERS, true },
	{ "--zone-max-mb", SK_ZONE_MAX_MB, true },
	{ "--zone-max-records", SK_ZONE_MAX_RECORDS, true },
	{ "--control-max-clients", SK_CONTROL_MAX_CLIENTS, true },
	{ "--snapshot-max-mb", SK_SNAPSHOT_MAX_MB, true },
	{ "--rate-limit", F_RRL + RK_RATE, true },
	{ "--rate-limit-slip", F_RRL + RK_SLIP, true },
	{ "--rate-limit-log-only", F_RRL + RK_LOG_ONLY, false },
};

struct tok {
	const char *name;	/* the flag as typed, up to namelen */
	int namelen;
	int id;
	const char *val;	/* NULL for flags without a value */
};

/* Reads the flag at argv[*i] (and its value) and moves *i past them. */
static int arg_next(int argc, char **argv, int *i, const char *const *passthru,
		    struct tok *t, char *err, size_t errcap)
{
	const char *a = argv[*i];
	if (strncmp(a, "--", 2) != 0 || a[2] == 0)
		return why_set(err, errcap, "unexpected argument '%s' (flags start with --)", a);
	const char *eq = strchr(a, '=');
	size_t nl = eq ? (size_t)(eq - a) : strlen(a);
	bool arg = true;
	t->name = a;
	t->namelen = (int)nl;
	t->id = -1;
	for (size_t k = 0; k < sizeof flag_tab / sizeof *flag_tab; k++)
		if (strlen(flag_tab[k].name) == nl && memcmp(flag_tab[k].name, a, nl) == 0) {
			t->id = flag_tab[k].id;
			arg = flag_tab[k].arg;
		}
	for (size_t k = 0; t->id < 0 && passthru && passthru[k]; k++)
		if (strlen(passthru[k]) == nl && memcmp(passthru[k], a, nl) == 0)
			t->id = F_PASSTHRU;
	if (t->id < 0)
		return why_set(err, errcap, "unknown flag '%.*s'", (int)nl, a);
	t->val = NULL;
	if (!arg) {
		if (eq)
			return why_set(err, errcap, "%.*s: takes no value", (int)nl, a);
	} else if (eq) {
		t->val = eq + 1;
	} else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
		t->val = argv[++*i];
	} else {
		return why_set(err, errcap, "%.*s: needs a value", (int)nl, a);
	}
	++*i;
	return 0;
}

struct fzone {
	char name[CFG_NAME_MAX];
	const char *file;
};

/* --primary ZONE=ADDR */
struct fprimary {
	char zone[CFG_NAME_MAX];
	struct cfg_remote r;
};

/* --zone-key ZONE=KEYNAME */
struct fzonekey {
	char zone[CFG_NAME_MAX];
	char key[CFG_NAME_MAX];
};

/* What repeatable flags collect, applied at the end: given at all, they
 * replace the file's list (listen, addresses, allow-transfer; a zone's
 * primaries) or add to it (zones, keys, replacing those of the same
 * name). */
struct fcoll {
	struct cfg_listen fl[CFG_LISTEN_MAX];
	unsigned nfl;
	struct cfg_listen fxl[CFG_LISTEN_MAX];	/* --xot-listen */
	unsigned nfxl;
	struct cfg_listen fa[2 * CFG_ADDRESS_MAX];
	unsigned nfa;
	struct cfg_prefix fp[CFG_PREFIX_MAX];
	unsigned nfp;
	struct fzone *fz;	/* [argc] */
	size_t nfz;
	struct cfg_key *fk;	/* [argc] */
	size_t nfk;
	struct fprimary *fpr;	/* [argc] */
	size_t nfpr;
	struct fzonekey *fzk;	/* [argc] */
	size_t nfzk;
};

/* Splits v at its first '=' into a zone name (into zone) and what
 * follows (returned); NULL with a message when v is not ZONE=VALUE. */
static const char *arg_zone_split(const char *flag, const char *form, const char *v,
				  char zone[CFG_NAME_MAX], char *err, size_t errcap)
{
	char why[256];
	const char *eq = strchr(v, '=');
	if (!eq || eq == v || !eq[1]) {
		why_set(err, errcap, "%s: '%s' is not %s", flag, v, form);
		return NULL;
	}
	if (val_zone_name(v, (size_t)(eq - v), zone, why, sizeof why) != 0) {
		why_set(err, errcap, "%s: %s", flag, why);
		return NULL;
	}
	return eq + 1;
}

/* --key ALG:NAME:SECRET (kdig's -y) into f->fk. */
static int arg_key(struct fcoll *f, const char *v, char *err, size_t errcap)
{
	static const char form[] = "ALG:NAME:SECRET (e.g. hmac-sha256:xfr.example.:BASE64)";
	char why[256];
	const char *c1 = strchr(v, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || c1 == v || c2 == c1 + 1)
		return why_set(err, errcap, "--key: not %s", form);
	struct cfg_key *k = &f->fk[f->nfk];
	memset(k, 0, sizeof *k);
	if (val_algorithm(v, (size_t)(c1 - v), k->algorithm, why, sizeof why) != 0)
		return why_set(err, errcap, "--key: %s", why);
	if (val_name(c1 + 1, (size_t)(c2 - c1 - 1), "key", k->name, why, sizeof why) != 0)
		return why_set(err, errcap, "--key: %s", why);
	if (val_secret(c2 + 1, strlen(c2 + 1), k->secret, why, sizeof why) != 0)
		return why_set(err, errcap, "--key: key '%s': %s", k->name, why);
	if (key_find(f->fk, f->nfk, k->name) >= 0)
		return why_set(err, errcap, "--key: key '%s' is given twice", k->name);
	if (f->nfk == CFG_KEYS_MAX)
		return why_set(err, errcap, "--key: more than %d keys", CFG_KEYS_MAX);
	++f->nfk;
	return 0;
}

/* --primary ZONE=ADDR[@PORT] into f->fpr. */
static int arg_primary(struct fcoll *f, const char *v, char *err, size_t errcap)
{
	char why[256];
	struct fprimary *p = &f->fpr[f->nfpr];
	const char *addr = arg_zone_split("--primary", "ZONE=ADDR[@PORT]", v, p->zone, err,
					  errcap);
	if (!addr)
		return -1;
	/* this zone's primaries so far, to check for one given twice or
	 * one too many as the file's list does */
	struct cfg_remote same[CFG_REMOTE_MAX];
	unsigned n = 0;
	for (size_t j = 0; j < f->nfpr && n < CFG_REMOTE_MAX; j++)
		if (strcmp(f->fpr[j].zone, p->zone) == 0)
			same[n++] = f->fpr[j].r;
	if (remote_add(same, &n, addr, "primaries", "given", why, sizeof why) != 0)
		return why_set(err, errcap, "--primary: zone '%s': %s", p->zone, why);
	p->r = same[n - 1];
	++f->nfpr;
	return 0;
}

/* --zone-key ZONE=KEYNAME into f->fzk. */
static int arg_zone_key(struct fcoll *f, const char *v, char *err, size_t errcap)
{
	char why[256];
	struct fzonekey *z = &f->fzk[f->nfzk];
	const char *key = arg_zone_split("--zone-key", "ZONE=KEYNAME", v, z->zone, err, errcap);
	if (!key)
		return -1;
	if (val_name(key, strlen(key), "key", z->key, why, sizeof why) != 0)
		return why_set(err, errcap, "--zone-key: %s", why);
	for (size_t j = 0; j < f->nfzk; j++)
		if (strcmp(f->fzk[j].zone, z->zone) == 0)
			return why_set(err, errcap, "--zone-key: zone '%s' is given twice",
				       z->zone);
	++f->nfzk;
	return 0;
}

/* Applies one flag (not --config) to c, or collects it in f. */
static int arg_apply(struct cfg *c, const struct tok *t, struct fcoll *f, char *err,
		     size_t errcap)
{
	char why[256];
	const char *v = t->val;
	int r = 0;
	switch (t->id) {
	case F_CONFIG:
	case F_PASSTHRU:
		return 0;
	case F_HIDE_VERSION:
		free(c->version);
		c->version = NULL;
		return 0;
	case F_SYSLOG:
		c->log_syslog = true;
		return 0;
	case F_LOG_LEVEL:
		r = val_level(v, strlen(v), &c->log_level, why, sizeof why);
		break;
	case F_IO:
		r = val_io(v, strlen(v), &c->io, why, sizeof why);
		break;
	case F_LISTEN:
		r = addr_add(f->fl, &f->nfl, false, v, "given", why, sizeof why);
		break;
	case F_XOT_LISTEN:
		r = addr_add(f->fxl, &f->nfxl, false, v, "given", why, sizeof why);
		break;
	case F_ADDRESS:
		r = addr_add(f->fa, &f->nfa, true, v, "given", why, sizeof why);
		break;
	case F_ALLOW_TRANSFER:
		r = prefix_add(f->fp, &f->nfp, v, "given", why, sizeof why);
		break;
	case F_KEY:
		return arg_key(f, v, err, errcap);
	case F_PRIMARY:
		return arg_primary(f, v, err, errcap);
	case F_ZONE_KEY:
		return arg_zone_key(f, v, err, errcap);
	case F_ZONE: {
		const char *eq = strchr(v, '=');
		if (!eq || eq == v || !eq[1])
			return why_set(err, errcap, "--zone: '%s' is not NAME=FILE", v);
		struct fzone *z = &f->fz[f->nfz];
		if (val_zone_name(v, (size_t)(eq - v), z->name, why, sizeof why) != 0)
			return why_set(err, errcap, "--zone: %s", why);
		for (size_t j = 0; j < f->nfz; j++)
			if (strcmp(f->fz[j].name, z->name) == 0)
				return why_set(err, errcap, "--zone: zone '%s' is given twice",
					       z->name);
		if (strlen(eq + 1) > CFG_PATH_MAX)
			return why_set(err, errcap, "--zone: file name too long");
		z->file = eq + 1;
		++f->nfz;
		return 0;
	}
	default:
		if (t->id >= F_RRL) {
			const struct key *k = &rrl_keys[t->id - F_RRL];
			if (k->kind == K_FLAG) {
				*(bool *)(void *)((char *)c + k->off) = true;
				return 0;
			}
			r = key_set(c, k, v, strlen(v), why, sizeof why);
			break;
		}
		if (server_keys[t->id].kind == K_FLAG) {	/* a flag without a value: on */
			*(bool *)(void *)((char *)c + server_keys[t->id].off) = true;
			return 0;
		}
		r = key_set(c, &server_keys[t->id], v, strlen(v), why, sizeof why);
		break;
	}
	if (r != 0)
		return why_set(err, errcap, "%.*s: %s", t->namelen, t->name, why);
	return 0;
}

/* The settings that only make sense together (the file's and the
 * flags' alike, so the messages name both). */
static int cfg_check_io(const struct cfg *c, char *err, size_t errcap)
{
	if (c->io == CFG_IO_DPDK && !c->naddresses)
		return why_set(err, errcap, "--io dpdk: no address to answer for; give --address IP "
					    "(repeatable) or server.addresses in the file");
	if (c->io != CFG_IO_DPDK && c->naddresses)
		return why_set(err, errcap, "--address (server.addresses) is for --io dpdk; with "
					    "kernel sockets, give --listen ADDR:PORT");
	if (c->io != CFG_IO_DPDK && c->neal_args)
		return why_set(err, errcap, "EAL arguments (after '--', or server.eal-args) are "
					    "for --io dpdk only");
	if (c->io != CFG_IO_DPDK && c->exception_port)
		return why_set(err, errcap, "--exception-port (server.exception-port) is for --io "
					    "dpdk only");
	if (c->io == CFG_IO_DPDK && c->cpu_pin)
		return why_set(err, errcap, "--cpu-pin (server.cpu-pin) is for --io socket; with --io "
					    "dpdk, EAL pins each lcore to its CPU: choose them with -l or "
					    "--lcores after '--'");
	return 0;
}

/* XoT's listener needs its certificate and key, and they need it. */
static int cfg_check_xot(const struct cfg *c, char *err, size_t errcap)
{
	if (c->nxot_listen && (!c->tls_cert || !c->tls_key))
		return why_set(err, errcap, "--xot-listen (server.xot-listen) needs the server's "
					    "certificate and key: give --tls-cert FILE and --tls-key "
					    "FILE (server.tls-cert, server.tls-key)");
	if (!c->nxot_listen && (c->tls_cert || c->tls_key))
		return why_set(err, errcap, "--%s (server.%s) is for zone transfers over TLS: give "
					    "--xot-listen ADDR:PORT (server.xot-listen) too",
			       c->tls_cert ? "tls-cert" : "tls-key",
			       c->tls_cert ? "tls-cert" : "tls-key");
	return 0;
}

int cfg_io_available(const struct cfg *c, bool dpdk_built, char *err, size_t errcap)
{
	if (c->io == CFG_IO_DPDK && !dpdk_built)
		return why_set(err, errcap, "--io dpdk: this ringdns was built without DPDK: rebuild "
					    "with -Ddpdk=enabled (needs libdpdk-dev >= 22.11)");
	return 0;
}

/* Pass 1 of cfg_from_args: the shape of argv[1..argc), and the one
 * --config (*config, NULL when none). */
static int args_scan(int argc, char **argv, const char *const *passthru, const char **config,
		     char *err, size_t errcap)
{
	struct tok t;
	bool version = false, hide = false;
	*config = NULL;
	for (int i = 1; i < argc;) {
		if (arg_next(argc, argv, &i, passthru, &t, err, errcap) != 0)
			return -1;
		if (t.id == F_CONFIG) {
			if (*config)
				return why_set(err, errcap, "--config: given more than once");
			if (!*t.val)
				return why_set(err, errcap, "--config: empty file name");
			*config = t.val;
		}
		version |= t.id == SK_VERSION;
		hide |= t.id == F_HIDE_VERSION;
	}
	if (version && hide)
		return why_set(err, errcap, "--hide-version: contradicts --version; keep one");
	return 0;
}

/* Moves what the repeatable flags collected into c. */
static int args_commit(struct cfg *c, const struct fcoll *f, char *err, size_t errcap)
{
	if (f->nfl) {
		memcpy(c->listen, f->fl, f->nfl * sizeof *f->fl);
		c->nlisten = f->nfl;
	}
	if (f->nfxl) {
		memcpy(c->xot_listen, f->fxl, f->nfxl * sizeof *f->fxl);
		c->nxot_listen = f->nfxl;
	}
	if (f->nfa) {
		memcpy(c->addresses, f->fa, f->nfa * sizeof *f->fa);
		c->naddresses = f->nfa;
	}
	if (f->nfp) {
		memcpy(c->allow_transfer, f->fp, f->nfp * sizeof *f->fp);
		c->nallow_transfer = f->nfp;
	}
	for (size_t k = 0; k < f->nfz; k++) {
		char *file = strdup(f->fz[k].file);
		if (!file || zone_put(c, f->fz[k].name, file) != 0) {
			free(file);
			return why_set(err, errcap, "out of memory");
		}
	}
	/* keys: a key of the file's name is replaced, others are added */
	size_t nkeys = c->nkeys;
	for (size_t k = 0; k < f->nfk; k++)
		nkeys += key_find(c->keys, c->nkeys, f->fk[k].name) < 0;
	if (nkeys > CFG_KEYS_MAX)
		return why_set(err, errcap, "--key: more than %d keys with the file's",
			       CFG_KEYS_MAX);
	if (f->nfk) {
		struct cfg_key *v = realloc(c->keys, nkeys * sizeof *v);
		if (!v)
			return why_set(err, errcap, "out of memory");
		c->keys = v;
	}
	for (size_t k = 0; k < f->nfk; k++) {
		int j = key_find(c->keys, c->nkeys, f->fk[k].name);
		c->keys[j >= 0 ? (size_t)j : c->nkeys++] = f->fk[k];
	}
	/* primaries: a zone's flags replace its list from the file */
	for (size_t k = 0; k < f->nfpr; k++)
		if (!zone_find(c, f->fpr[k].zone))
			return why_set(err, errcap, "--primary: no zone '%s'; give it with "
						    "--zone %s=FILE or in the file's zones",
				       f->fpr[k].zone, f->fpr[k].zone);
	for (size_t k = 0; k < f->nfpr; k++) {
		struct cfg_zone *z = zone_find(c, f->fpr[k].zone);
		cfg_remotes_free(z->primaries, &z->nprimaries);
	}
	for (size_t k = 0; k < f->nfpr; k++) {
		struct cfg_zone *z = zone_find(c, f->fpr[k].zone);
		z->primaries[z->nprimaries++] = f->fpr[k].r;
	}
	for (size_t k = 0; k < f->nfzk; k++) {
		const struct fzonekey *zk = &f->fzk[k];
		struct cfg_zone *z = zone_find(c, zk->zone);
		char names[256];
		if (!z)
			return why_set(err, errcap, "--zone-key: no zone '%s'; give it with "
						    "--zone %s=FILE or in the file's zones",
				       zk->zone, zk->zone);
		z->key = key_find(c->keys, c->nkeys, zk->key);
		if (z->key < 0 && !c->nkeys)
			return why_set(err, errcap, "--zone-key: no key '%s' (none defined; give "
						    "it with --key ALG:NAME:SECRET or in the "
						    "file's keys)", zk->key);
		if (z->key < 0)
			return why_set(err, errcap, "--zone-key: no key '%s' (defined: %s)",
				       zk->key, key_names(c->keys, c->nkeys, names, sizeof names));
	}
	return 0;
}

int cfg_from_args(struct cfg *c, int argc, char **argv, const char *const *passthru,
		  char *err, size_t errcap)
{
	/* "--" ends the flags: what follows is the EAL's */
	int nflags = 1;
	while (nflags < argc && strcmp(argv[nflags], "--") != 0)
		nflags++;
	const char *config;
	if (args_scan(nflags, argv, passthru, &config, err, errcap) != 0)
		return -1;
	if (config && cfg_load_file(c, config, err, errcap) != 0)
		return -1;

	/* Pass 2: every other flag, on top of the file. */
	struct fcoll *f = calloc(1, sizeof *f);
	if (f) {
		f->fz = calloc((size_t)argc, sizeof *f->fz);
		f->fk = calloc((size_t)argc, sizeof *f->fk);
		f->fpr = calloc((size_t)argc, sizeof *f->fpr);
		f->fzk = calloc((size_t)argc, sizeof *f->fzk);
	}
	if (!f || !f->fz || !f->fk || !f->fpr || !f->fzk) {
		if (f) {
			free(f->fz);
			free(f->fk);
			free(f->fpr);
			free(f->fzk);
		}
		free(f);
		return why_set(err, errcap, "out of memory");
	}
	int r = 0;
	for (int i = 1; r == 0 && i < nflags;) {
		struct tok t;
		arg_next(nflags, argv, &i, passthru, &t, NULL, 0);
		r = arg_apply(c, &t, f, err, errcap);
	}
	if (r == 0)
		r = args_commit(c, f, err, errcap);
	if (r == 0 && nflags < argc &&
	    eal_args_set(c, argv + nflags + 1, (size_t)(argc - nflags - 1)) != 0)
		r = why_set(err, errcap, "out of memory");
	if (r == 0)
		r = cfg_check_io(c, err, errcap);
	if (r == 0)
		r = cfg_check_xot(c, err, errcap);
	free(f->fz);
	explicit_bzero(f->fk, (size_t)argc * sizeof *f->fk);
	free(f->fk);
	free(f->fpr);
	free(f->fzk);
	free(f);
	return r;
}
