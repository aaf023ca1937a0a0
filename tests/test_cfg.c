/*
 * test_cfg.c - the configuration reader (common/cfg.c): the YAML file
 * (every key, defaults, relative zone paths, every error class with its
 * FILE:LINE prefix) and the command-line flags on top of it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/log.h"
#include "tests/zt.h"

static char dir[64];

static void setup(void)
{
	zt_mktmp(dir, "cfg");
}

static void teardown(void)
{
	zt_rmtmp(dir);
}

TestSuite(cfg, .init = setup, .fini = teardown);

/* Writes text as DIR/ringdns.yaml and loads it into a fresh c. */
static int load(struct cfg *c, const char *text, char *err, size_t cap)
{
	const char *path = zt_write(dir, "ringdns.yaml", text);
	cfg_init(c);
	err[0] = 0;
	return cfg_load_file(c, path, err, cap);
}

/* Loading text fails with "DIR/ringdns.yaml:LINE: " and a message that
 * contains needle. */
static void fails(const char *text, unsigned line, const char *needle)
{
	struct cfg c;
	char err[1024], prefix[128];
	int r = load(&c, text, err, sizeof err);
	cfg_free(&c);
	cr_assert_eq(r, -1, "loaded without error:\n%s", text);
	snprintf(prefix, sizeof prefix, "%s/ringdns.yaml:%u: ", dir, line);
	cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "want prefix '%s', got '%s'\n%s",
		  prefix, err, text);
	cr_assert(strstr(err, needle), "want '%s' in '%s'", needle, err);
}

/* Runs cfg_from_args on c with the flags given (NULL-terminated). */
static int args(struct cfg *c, char *err, size_t cap, const char *const *passthru, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	argv[argc++] = "ringdns";
	va_start(ap, passthru);
	for (char *a; (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = 0;
	return cfg_from_args(c, argc, argv, passthru, err, cap);
}

static void flag_fails(const char *want, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	argv[argc++] = "ringdns";
	va_start(ap, want);
	for (char *a; (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	struct cfg c;
	char err[512] = "";
	cfg_init(&c);
	int r = cfg_from_args(&c, argc, argv, NULL, err, sizeof err);
	cfg_free(&c);
	cr_assert_eq(r, -1, "accepted, wanted '%s'", want);
	cr_assert_str_eq(err, want);
}

/*
 * The flags pre (NULL-terminated, or NULL) and then max + 1 flags made
 * from fmt with 1, 2, ...: refused with the message want; with max of
 * them: accepted.
 */
static void too_many(const char *const *pre, const char *fmt, int max, const char *want)
{
	char *argv[64], flag[64][48];
	int n = 0;
	argv[n++] = "ringdns";
	for (int i = 0; pre && pre[i]; i++)
		argv[n++] = (char *)pre[i];
	cr_assert_lt(n + max + 1, 64);
	for (int i = 1; i <= max + 1; i++) {
		snprintf(flag[i], sizeof flag[i], fmt, i);
		argv[n++] = flag[i];
	}
	struct cfg c;
	char err[256];
	cfg_init(&c);
	cr_assert_eq(cfg_from_args(&c, n, argv, NULL, err, sizeof err), -1);
	cr_assert_str_eq(err, want);
	cr_assert_eq(cfg_from_args(&c, n - 1, argv, NULL, err, sizeof err), 0, "%s", err);
	cfg_free(&c);
}

static void check_v4(const struct cfg_listen *l, const char *addr, unsigned port)
{
	const struct sockaddr_in *a = (const struct sockaddr_in *)&l->addr;
	char buf[64];
	cr_assert_eq(a->sin_family, AF_INET);
	cr_assert_eq(l->addrlen, sizeof *a);
	cr_assert_eq(ntohs(a->sin_port), port);
	inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
	cr_assert_str_eq(buf, addr);
}

static void check_v6(const struct cfg_listen *l, const char *addr, unsigned port)
{
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&l->addr;
	char buf[64];
	cr_assert_eq(a->sin6_family, AF_INET6);
	cr_assert_eq(l->addrlen, sizeof *a);
	cr_assert_eq(ntohs(a->sin6_port), port);
	inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
	cr_assert_str_eq(buf, addr);
}

static void check_defaults(const struct cfg *c)
{
	cr_assert_null(c->source);
	cr_assert_eq(c->nlisten, 0);
	cr_assert_eq(c->workers, 0);
	cr_assert_eq(c->tcp_workers, 1);
	cr_assert_eq(c->max_udp_payload, 1232);
	cr_assert_eq(c->xfr_max_mb, 4096);
	cr_assert_eq(c->journal_max_mb, 64);
	cr_assert_eq(c->tcp_idle_timeout, 10);
	cr_assert_eq(c->tcp_max_clients, 1024);
	cr_assert_eq(c->tcp_max_per_client, 64);
	cr_assert_null(c->nsid);
	cr_assert_null(c->identity);
	cr_assert_str_eq(c->version, "ringdns 0.1.0");
	cr_assert_str_eq(c->version, CFG_DEFAULT_VERSION);
	cr_assert_str_eq(c->control_socket, "/run/ringdns/ringdns.sock");
	cr_assert_null(c->control_binary);
	cr_assert_null(c->cache_dir);
	cr_assert_eq(c->log_syslog, false);
	cr_assert_eq(c->log_level, LOG_LVL_INFO);
	cr_assert_eq(c->nzones, 0);
	cr_assert_eq(c->nallow_transfer, 0);	/* nobody may transfer */
	cr_assert_null(c->keys);
	cr_assert_eq(c->nkeys, 0);
}

static const char full[] =
	"# a full configuration\n"
	"server:\n"
	"  listen: [\"192.0.2.1:53\", \"[2001:db8::1]:5353\", 127.0.0.1:5300]\n"
	"  workers: 4\n"
	"  tcp-workers: 2\n"
	"  max-udp-payload: 1400\n"
	"  tcp-idle-timeout: 30\n"
	"  tcp-max-clients: 2048\n"
	"  tcp-max-per-client: 16\n"
	"  nsid: \"ns1\"\n"
	"  identity: ns1.example.net\n"
	"  version: \"ringdns test\"\n"
	"  control-socket: /tmp/x.sock\n"
	"  control-binary: /usr/lib/ringdns/ringdns-control\n"
	"  cache-dir: /var/cache/ringdns\n"
	"log:\n"
	"  target: syslog\n"
	"  level: debug\n"
	"zones:\n"
	"  - name: Example.COM\n"
	"    file: example.com.zone\n"
	"  - {name: example.net., file: /srv/zones/example.net.zone}\n"
	"  - name: .\n"
	"    file: root.zone\n";

Test(cfg, full_file)
{
	struct cfg c;
	char err[512], want[256];
	cr_assert_eq(load(&c, full, err, sizeof err), 0, "%s", err);
	snprintf(want, sizeof want, "%s/ringdns.yaml", dir);
	cr_assert_str_eq(c.source, want);
	cr_assert_eq(c.nlisten, 3);
	check_v4(&c.listen[0], "192.0.2.1", 53);
	cr_assert_str_eq(c.listen[0].text, "192.0.2.1:53");
	check_v6(&c.listen[1], "2001:db8::1", 5353);
	cr_assert_str_eq(c.listen[1].text, "[2001:db8::1]:5353");
	check_v4(&c.listen[2], "127.0.0.1", 5300);
	cr_assert_eq(c.workers, 4);
	cr_assert_eq(c.tcp_workers, 2);
	cr_assert_eq(c.max_udp_payload, 1400);
	cr_assert_eq(c.tcp_idle_timeout, 30);
	cr_assert_eq(c.tcp_max_clients, 2048);
	cr_assert_eq(c.tcp_max_per_client, 16);
	cr_assert_str_eq(c.nsid, "ns1");
	cr_assert_str_eq(c.identity, "ns1.example.net");
	cr_assert_str_eq(c.version, "ringdns test");
	cr_assert_str_eq(c.control_socket, "/tmp/x.sock");
	cr_assert_str_eq(c.control_binary, "/usr/lib/ringdns/ringdns-control");
	cr_assert_str_eq(c.cache_dir, "/var/cache/ringdns");
	cr_assert_eq(c.log_syslog, true);
	cr_assert_eq(c.log_level, LOG_LVL_DEBUG);
	cr_assert_eq(c.nzones, 3);
	cr_assert_str_eq(c.zones[0].name, "example.com.");
	snprintf(want, sizeof want, "%s/example.com.zone", dir);
	cr_assert_str_eq(c.zones[0].file, want);
	cr_assert_str_eq(c.zones[1].name, "example.net.");
	cr_assert_str_eq(c.zones[1].file, "/srv/zones/example.net.zone");
	cr_assert_str_eq(c.zones[2].name, ".");
	cfg_free(&c);
}

Test(cfg, defaults_and_reinit)
{
	struct cfg c;
	cfg_init(&c);
	check_defaults(&c);
	cfg_free(&c);
	cfg_free(&c);	/* twice is harmless */
	cfg_init(&c);
	check_defaults(&c);
	cfg_free(&c);

	/* An almost empty file leaves every default in place. */
	char err[512];
	cr_assert_eq(load(&c, "server:\nlog:\nzones:\n", err, sizeof err), 0, "%s", err);
	cr_assert_not_null(c.source);
	free(c.source);
	c.source = NULL;
	check_defaults(&c);
	cfg_free(&c);
	cr_assert_eq(load(&c, "zones: []\nserver: {}\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nzones, 0);
	cr_assert_eq(c.max_udp_payload, 1232);
	cfg_free(&c);
}

Test(cfg, hide_version_and_booleans)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, "server:\n  hide-version: true\n", err, sizeof err), 0, "%s", err);
	cr_assert_null(c.version);
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  hide-version: no\n", err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.version, "ringdns 0.1.0");
	cfg_free(&c);
	fails("server:\n  hide-version: maybe\n", 2, "server.hide-version: 'maybe' is not true or false");
	fails("server:\n  version: x\n  hide-version: yes\n", 3,
	      "'version' (line 2) and 'hide-version: true' (line 3) contradict");
}

Test(cfg, cpu_pin)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(c.cpu_pin, false);
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  cpu-pin: true\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.cpu_pin, true);
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  cpu-pin: off\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.cpu_pin, false);
	cfg_free(&c);
	fails("server:\n  cpu-pin: 2\n", 2, "server.cpu-pin: '2' is not true or false");
	fails("server:\n  cpu-pin: [a]\n", 2, "server.cpu-pin: expected true or false, got a list");

	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--cpu-pin", NULL), 0, "%s", err);
	cr_assert_eq(c.cpu_pin, true);
	cfg_free(&c);
	flag_fails("--cpu-pin: takes no value", "--cpu-pin=yes", NULL);
}

Test(cfg, reuse_port_takeover)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(c.reuse_port_takeover, false);
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  reuse-port-takeover: yes\n", err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(c.reuse_port_takeover, true);
	cfg_free(&c);
	fails("server:\n  reuse-port-takeover: sometimes\n", 2,
	      "server.reuse-port-takeover: 'sometimes' is not true or false");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--reuse-port-takeover", NULL), 0, "%s", err);
	cr_assert_eq(c.reuse_port_takeover, true);
	cfg_free(&c);
}

Test(cfg, cookies)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_null(c.cookie_secret);
	cr_assert_eq(c.cookie_require, false);
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  cookie-secret: e5e973e5a6b2a43f48e7dc849e37bfcf\n"
			      "  cookie-secret-previous: 00112233445566778899aabbccddeeff\n"
			      "  cookie-require: true\n", err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.cookie_secret, "e5e973e5a6b2a43f48e7dc849e37bfcf");
	cr_assert_str_eq(c.cookie_secret_previous, "00112233445566778899aabbccddeeff");
	cr_assert_eq(c.cookie_require, true);
	cfg_free(&c);
	fails("server:\n  cookie-secret: abcd\n", 2,
	      "server.cookie-secret: is 4 bytes long; at least 32 required");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--cookie-secret",
			  "e5e973e5a6b2a43f48e7dc849e37bfcf", "--cookie-require", NULL), 0, "%s", err);
	cr_assert_str_eq(c.cookie_secret, "e5e973e5a6b2a43f48e7dc849e37bfcf");
	cr_assert_eq(c.cookie_require, true);
	cfg_free(&c);
}

Test(cfg, hide_identity_and_nsid)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(c.hide_identity, false);
	cr_assert_eq(c.hide_nsid, false);
	cr_assert_null(c.identity, "not set: the dataplane uses the host name");
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  hide-identity: true\n  hide-nsid: yes\n", err, sizeof err),
		     0, "%s", err);
	cr_assert(c.hide_identity && c.hide_nsid);
	cfg_free(&c);
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--hide-identity", "--hide-nsid", NULL), 0,
		     "%s", err);
	cr_assert(c.hide_identity && c.hide_nsid);
	cfg_free(&c);
}

Test(cfg, listen_string_or_list)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, "server:\n  listen: 10.0.0.1:53\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nlisten, 1);
	check_v4(&c.listen[0], "10.0.0.1", 53);
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  listen: \"[::1]:5300\"\n", err, sizeof err), 0, "%s",
		     err);
	cr_assert_eq(c.nlisten, 1);
	check_v6(&c.listen[0], "::1", 5300);
	cfg_free(&c);
	cr_assert_eq(load(&c,
			  "server:\n  listen:\n    - 10.0.0.1:53\n    - '[::]:53'\n", err,
			  sizeof err), 0, "%s", err);
	cr_assert_eq(c.nlisten, 2);
	check_v4(&c.listen[0], "10.0.0.1", 53);
	check_v6(&c.listen[1], "::", 53);
	cfg_free(&c);

	/* CFG_LISTEN_MAX is fine, one more is not (on the line of the 17th). */
	char text[2048];
	size_t o = (size_t)snprintf(text, sizeof text, "server:\n  listen:\n");
	for (int i = 0; i < CFG_LISTEN_MAX + 1; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "  - 10.0.0.%d:53\n", i + 1);
	fails(text, 3 + CFG_LISTEN_MAX, "server.listen: more than 16 addresses");
	text[strlen(text) - strlen("  - 10.0.0.17:53\n")] = 0;
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nlisten, CFG_LISTEN_MAX);
	check_v4(&c.listen[15], "10.0.0.16", 53);
	cfg_free(&c);
}

Test(cfg, parse_listen)
{
	struct cfg_listen l;
	char why[256];
	cr_assert_eq(cfg_parse_listen(&l, "1.2.3.4:53"), 0);
	check_v4(&l, "1.2.3.4", 53);
	cr_assert_str_eq(l.text, "1.2.3.4:53");
	cr_assert_eq(cfg_parse_listen(&l, "0.0.0.0:65535"), 0);
	check_v4(&l, "0.0.0.0", 65535);
	cr_assert_eq(cfg_parse_listen(&l, "[2001:db8::1]:53"), 0);
	check_v6(&l, "2001:db8::1", 53);
	cr_assert_eq(cfg_parse_listen(&l, "[::ffff:192.0.2.1]:1"), 0);
	check_v6(&l, "::ffff:192.0.2.1", 1);

	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "empty address" },
		{ "1.2.3.4", "missing ':PORT'" },
		{ "1.2.3.4:", "missing port" },
		{ "1.2.3.4:0", "port '0' is not a number 1..65535" },
		{ "1.2.3.4:65536", "port '65536' is not a number 1..65535" },
		{ "1.2.3.4:5x", "port '5x'" },
		{ "1.2.3.4:-1", "port '-1'" },
		{ "1.2.3:53", "'1.2.3' is not an IPv4 address" },
		{ "ns1.example.com:53", "is not an IPv4 address" },
		{ ":53", "missing or bad IPv4 address" },
		{ "2001:db8::1", "IPv6 addresses need brackets" },
		{ "2001:db8::1:53", "IPv6 addresses need brackets" },
		{ "[2001:db8::1]", "missing ':PORT' after ']'" },
		{ "[2001:db8::1]53", "missing ':PORT' after ']'" },
		{ "[2001:db8::1:53", "missing ']'" },
		{ "[]:53", "not an IPv6 address" },
		{ "[1.2.3.4]:53", "'1.2.3.4' is not an IPv6 address" },
		{ "[::1]:99999", "port '99999'" },
		{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:53", "too long" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(cfg_parse_listen(&l, bad[i].text), -1, "%s", bad[i].text);
		cr_assert_eq(cfg_parse_listen_msg(&l, bad[i].text, why, sizeof why), -1);
		cr_assert(strstr(why, bad[i].why), "'%s': want '%s', got '%s'", bad[i].text,
			  bad[i].why, why);
	}
}

Test(cfg, relative_zone_paths)
{
	char sub[128], err[512], want[256];
	snprintf(sub, sizeof sub, "%s/etc", dir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	const char *path = zt_write(sub, "r.yaml",
				    "zones:\n"
				    "  - name: a.example\n    file: a.zone\n"
				    "  - name: b.example\n    file: zones/b.zone\n"
				    "  - name: c.example\n    file: ../c.zone\n"
				    "  - name: d.example\n    file: /abs/d.zone\n");
	struct cfg c;
	cfg_init(&c);
	cr_assert_eq(cfg_load_file(&c, path, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nzones, 4);
	snprintf(want, sizeof want, "%s/a.zone", sub);
	cr_assert_str_eq(c.zones[0].file, want);
	snprintf(want, sizeof want, "%s/zones/b.zone", sub);
	cr_assert_str_eq(c.zones[1].file, want);
	snprintf(want, sizeof want, "%s/../c.zone", sub);
	cr_assert_str_eq(c.zones[2].file, want);
	cr_assert_str_eq(c.zones[3].file, "/abs/d.zone");
	cfg_free(&c);

	/* A config path without a directory keeps the file name as is
	 * (relative to the current directory, which is the file's). */
	char cwd[4096];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	cr_assert_eq(chdir(sub), 0);
	cfg_init(&c);
	int r = cfg_load_file(&c, "r.yaml", err, sizeof err);
	cr_assert_eq(chdir(cwd), 0);
	cr_assert_eq(r, 0, "%s", err);
	cr_assert_str_eq(c.zones[0].file, "a.zone");
	cr_assert_str_eq(c.source, "r.yaml");
	cfg_free(&c);
}

Test(cfg, zone_names)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c,
			  "zones:\n"
			  "  - name: WWW.Example.Org\n    file: x\n"
			  "  - name: \"with\\\\.dot.example.\"\n    file: y\n", err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(c.nzones, 2);
	cr_assert_str_eq(c.zones[0].name, "www.example.org.");
	cr_assert_str_eq(c.zones[1].name, "with\\.dot.example.");
	cfg_free(&c);
	fails("zones:\n  - name: a..b\n    file: x\n", 2,
	      "zones: name: 'a..b' is not a valid domain name: empty label");
	fails("zones:\n  - name: ''\n    file: x\n", 2, "zones: name: empty zone name");
	fails("zones:\n  - name: '@'\n    file: x\n", 2, "'@' is not a zone name");
	fails("zones:\n  - name: x\n    file: ''\n", 3, "zones: file: must not be empty");
	/* duplicates: the same name spelled differently, at the second name */
	fails("zones:\n  - name: example.com\n    file: a\n"
	      "  - file: b\n    name: EXAMPLE.com.\n", 5,
	      "zones: duplicate zone 'example.com.' (first at line 2)");
	fails("zones:\n  - file: a.zone\n", 2, "zones: entry has no 'name'");
	fails("zones:\n  - name: a.example\n", 2, "zones: zone 'a.example.' has no 'file'");
	fails("zones:\n  - name: a\n    file: a\n    type: master\n", 4,
	      "unknown key 'type' in a 'zones' entry (expected one of: name, file, primaries, "
	      "notify, key, catalog, catalog-template)");
	fails("zones:\n  - example.com\n", 2,
	      "zones: each entry must be a mapping with 'name' and 'file', not a single value");
	fails("zones:\n  name: example.com\n", 2,
	      "zones: expected a list of entries (- name: ZONE, file: PATH), got a mapping");
	fails("zones:\n  - name: [a]\n    file: a\n", 2, "zones.name: expected a string, got a list");
}

Test(cfg, unknown_and_duplicate_keys)
{
	fails("server:\n  listen: 127.0.0.1:53\n  worker: 2\n", 3,
	      "unknown key 'worker' in 'server' (did you mean 'workers'? expected one of: "
	      "listen, workers, tcp-workers, max-udp-payload, tcp-idle-timeout, "
	      "tcp-max-clients, tcp-max-per-client, nsid, identity, version, hide-version, "
	      "control-socket, control-binary, cache-dir, cpu-pin, reuse-port-takeover, io, "
	      "addresses, eal-args, exception-port, allow-transfer, xfr-max-mb, "
	      "journal-max-mb, xot-listen, tls-cert, tls-key, metrics-listen, cookie-secret, "
	      "cookie-secret-previous, cookie-require, hide-identity, hide-nsid, zone-counters, "
	      "zone-max-mb, zone-max-records, control-max-clients, snapshot-max-mb)");
	fails("server:\n  tcp_workers: 2\n", 2, "did you mean 'tcp-workers'?");
	fails("server:\n  frobnicate: 2\n", 2, "unknown key 'frobnicate' in 'server' (expected");
	fails("# top\nzone:\n  - name: x\n", 2,
	      "unknown key 'zone' at the top level (did you mean 'zones'? expected one of: "
	      "server, log, rate-limit, keys, zones, templates, dnstap)");
	fails("log:\n  lvl: info\n", 2, "unknown key 'lvl' in 'log'");
	fails("server:\n  workers: 1\n  workers: 2\n", 3,
	      "duplicate key 'workers' in 'server' (first at line 2)");
	fails("server:\n  workers: 1\nlog: {}\nserver:\n  nsid: x\n", 4,
	      "duplicate key 'server' at the top level (first at line 1)");
	fails("server:\n  ? [a, b]\n  : 1\n", 2, "keys must be plain names");
}

Test(cfg, wrong_types)
{
	fails("server:\n  workers: [1, 2]\n", 2, "server.workers: expected a number, got a list");
	fails("server:\n  nsid:\n    a: b\n", 3, "server.nsid: expected a string, got a mapping");
	fails("server: [a, b]\n", 1, "'server' must be a mapping of settings, got a list");
	fails("log: syslog\n", 1, "'log' must be a mapping of settings, got a single value");
	fails("log:\n  level: [info]\n", 2, "log.level: expected a string, got a list");
	fails("server:\n  listen: {a: 1}\n", 2,
	      "server.listen: expected ADDR:PORT or a list of them, got a mapping");
	fails("server:\n  listen:\n    - [127.0.0.1:53]\n", 3,
	      "server.listen: each entry must be ADDR:PORT, not a list");
	fails("server:\n  listen: []\n", 2, "server.listen: empty list");
}

Test(cfg, numbers)
{
	fails("server:\n  workers: abc\n", 2, "server.workers: 'abc' is not a number");
	fails("server:\n  workers: -1\n", 2, "server.workers: '-1' is not a number");
	fails("server:\n  workers: 1.5\n", 2, "'1.5' is not a number");
	fails("server:\n  workers:\n", 2, "server.workers: missing value (a number 0..1024)");
	fails("server:\n  workers: 99999999999999999999\n", 2,
	      "server.workers: 99999999999999999999 is out of range (0..1024)");
	fails("server:\n\n  max-udp-payload: 511\n", 3,
	      "server.max-udp-payload: 511 is out of range (512..65535)");
	fails("server:\n  max-udp-payload: 65536\n", 2, "out of range (512..65535)");
	fails("server:\n  tcp-idle-timeout: 0\n", 2,
	      "server.tcp-idle-timeout: 0 is out of range (1..3600)");
	fails("server:\n  tcp-idle-timeout: 3601\n", 2, "(1..3600)");
	fails("server:\n  tcp-workers: 0\n", 2, "server.tcp-workers: 0 is out of range");
	fails("server:\n  tcp-max-clients: 0\n", 2, "server.tcp-max-clients: 0 is out of range");
	fails("server:\n  tcp-max-per-client: x\n", 2,
	      "server.tcp-max-per-client: 'x' is not a number");

	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c,
			  "server:\n  max-udp-payload: 512\n  tcp-idle-timeout: \"3600\"\n"
			  "  workers: 0\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.max_udp_payload, 512);
	cr_assert_eq(c.tcp_idle_timeout, 3600);
	cr_assert_eq(c.workers, 0);
	cfg_free(&c);
}

Test(cfg, strings_and_log)
{
	char text[512], big[200];
	memset(big, 'n', 129);
	big[129] = 0;
	snprintf(text, sizeof text, "server:\n  nsid: %s\n", big);
	fails(text, 2, "server.nsid: is 129 bytes long; at most 128 allowed");
	fails("server:\n  identity: ''\n", 2, "server.identity: must not be empty");
	fails("server:\n  nsid: \"a\\0b\"\n", 2, "server.nsid: contains a NUL byte");
	fails("server:\n  control-socket: /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n", 2,
	      "server.control-socket: is 122 bytes long; at most 107 allowed");
	fails("log:\n  level: loud\n", 2,
	      "log.level: 'loud' is not one of: error, warning, notice, info, debug");
	fails("log:\n  target: file\n", 2, "log.target: 'file' is not one of: stderr, syslog");

	memset(big, 'n', 128);
	big[128] = 0;
	snprintf(text, sizeof text, "server:\n  nsid: %s\nlog:\n  level: WARNING\n  target: stderr\n",
		 big);
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.nsid, big);
	cr_assert_eq(c.log_level, LOG_LVL_WARNING);
	cr_assert_eq(c.log_syslog, false);
	cfg_free(&c);
}

Test(cfg, bad_listen_in_file)
{
	fails("server:\n  listen: 2001:db8::1:53\n", 2,
	      "server.listen: '2001:db8::1:53': IPv6 addresses need brackets");
	fails("server:\n  listen:\n    - 127.0.0.1:53\n    - 127.0.0.1\n", 4,
	      "server.listen: '127.0.0.1': missing ':PORT'");
	fails("server:\n  listen: [\"127.0.0.1:0\"]\n", 2, "port '0' is not a number 1..65535");
	fails("server:\n  listen: ['[::1]:53', '[0::1]:53']\n", 2,
	      "server.listen: '[0::1]:53' is listed twice");
}

Test(cfg, file_shape)
{
	fails("", 1, "the file is empty");
	fails("# only a comment\n\n", 1, "the file is empty");
	fails("# c\n---\n", 2, "the document is empty");
	fails("\n\nhello\n", 3,
	      "expected a mapping at the top (server:, log:, keys:, zones:), got a single value");
	fails("- server\n", 1, "got a list");
	fails("server: {}\n---\nlog: {}\n", 2, "a second YAML document");
}

Test(cfg, yaml_features_refused)
{
	fails("server:\n  nsid: &n ns1\n  identity: *n\n", 2, "YAML anchors (&n) are not supported");
	fails("server: &b\n  workers: 1\n", 1, "YAML anchors (&b) are not supported");
	fails("server:\n  nsid: *x\n", 2, "YAML aliases (*x) are not supported");
	fails("server:\n  workers: !!int 2\n", 2, "YAML tags (tag:yaml.org,2002:int) are not supported");
}

Test(cfg, syntax_errors)
{
	fails("server:\n  workers: 1\n  nsid: \"unclosed\n", 4, "YAML syntax error:");
	fails("server:\n  workers: 1\n nsid: x\n", 3, "YAML syntax error: did not find expected key "
	      "(while parsing a block mapping at line 1)");
	/* the syntax error wins over the odd value libyaml reads before it */
	fails("server:\n  listen: [1.2.3.4:53\nlog: {}\n", 3,
	      "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence "
	      "at line 2)");
	fails("server:\n  workers: 1\n  nsid: x: y\n", 3,
	      "YAML syntax error: mapping values are not allowed in this context");
	fails("server:\n\tworkers: 1\n", 2, "YAML syntax error:");
	fails("a: 1\nb: \xff\n", 2, "YAML syntax error: invalid leading UTF-8 octet");
}

Test(cfg, missing_file)
{
	struct cfg c;
	char err[512], path[128];
	snprintf(path, sizeof path, "%s/nope.yaml", dir);
	cfg_init(&c);
	cr_assert_eq(cfg_load_file(&c, path, err, sizeof err), -1);
	char want[256];
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
	cr_assert_str_eq(err, want);
	cr_assert_null(c.source);
	cfg_free(&c);
}

/* A failed load leaves c as it was; a good one changes only what it sets. */
Test(cfg, load_is_all_or_nothing)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, full, err, sizeof err), 0, "%s", err);
	const char *bad = zt_write(dir, "bad.yaml",
				   "server:\n  workers: 9\n  nsid: other\n  listen: 10.1.1.1:53\n"
				   "zones:\n  - name: new.example\n    file: n\n"
				   "  - name: example.com\n    file: x\n"
				   "log:\n  level: nope\n");
	cr_assert_eq(cfg_load_file(&c, bad, err, sizeof err), -1);
	cr_assert(strstr(err, "bad.yaml:11: log.level"), "%s", err);
	cr_assert_eq(c.workers, 4);
	cr_assert_str_eq(c.nsid, "ns1");
	cr_assert_eq(c.nlisten, 3);
	cr_assert_eq(c.nzones, 3);
	cr_assert(strstr(c.source, "ringdns.yaml"));

	const char *more = zt_write(dir, "more.yaml",
				    "server:\n  workers: 9\n  listen: 10.1.1.1:53\n"
				    "  hide-version: true\n"
				    "zones:\n  - name: new.example\n    file: /n\n"
				    "  - name: example.com\n    file: /x\n");
	cr_assert_eq(cfg_load_file(&c, more, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.source, more);
	cr_assert_eq(c.workers, 9);
	cr_assert_eq(c.tcp_workers, 2);
	cr_assert_str_eq(c.nsid, "ns1");
	cr_assert_null(c.version);
	cr_assert_eq(c.nlisten, 1);
	check_v4(&c.listen[0], "10.1.1.1", 53);
	cr_assert_eq(c.nzones, 4);
	cr_assert_str_eq(c.zones[0].name, "example.com.");
	cr_assert_str_eq(c.zones[0].file, "/x");
	cr_assert_str_eq(c.zones[3].name, "new.example.");
	cr_assert_str_eq(c.zones[3].file, "/n");
	cfg_free(&c);
}

Test(cfg, flags_only)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--listen", "127.0.0.2:5300", "--listen",
			  "[::1]:53", "--zone", "Example.com=zones/a.zone", "--zone",
			  "example.net.=/b.zone", "--control-socket", "/tmp/c.sock", "--workers",
			  "3", "--tcp-workers", "2", "--nsid", "n1", "--identity", "id1",
			  "--version", "v1", "--log-level", "debug", "--syslog",
			  "--control-binary", "/bin/ctl", "--cache-dir", "/tmp/cache", NULL), 0,
		       "%s", err);
	cr_assert_null(c.source);
	cr_assert_eq(c.nlisten, 2);
	check_v4(&c.listen[0], "127.0.0.2", 5300);
	check_v6(&c.listen[1], "::1", 53);
	cr_assert_eq(c.nzones, 2);
	cr_assert_str_eq(c.zones[0].name, "example.com.");
	cr_assert_str_eq(c.zones[0].file, "zones/a.zone");
	cr_assert_str_eq(c.zones[1].name, "example.net.");
	cr_assert_str_eq(c.zones[1].file, "/b.zone");
	cr_assert_str_eq(c.control_socket, "/tmp/c.sock");
	cr_assert_eq(c.workers, 3);
	cr_assert_eq(c.tcp_workers, 2);
	cr_assert_str_eq(c.nsid, "n1");
	cr_assert_str_eq(c.identity, "id1");
	cr_assert_str_eq(c.version, "v1");
	cr_assert_eq(c.log_level, LOG_LVL_DEBUG);
	cr_assert_eq(c.log_syslog, true);
	cr_assert_str_eq(c.control_binary, "/bin/ctl");
	cr_assert_str_eq(c.cache_dir, "/tmp/cache");
	cr_assert_eq(c.max_udp_payload, 1232);
	cfg_free(&c);

	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, NULL), 0, "%s", err);
	check_defaults(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--hide-version", NULL), 0, "%s", err);
	cr_assert_null(c.version);
	cfg_free(&c);
}

Test(cfg, flags_override_file_and_config_anywhere)
{
	const char *path = zt_write(dir, "ringdns.yaml", full);
	struct cfg c;
	char err[512], want[256];
	cfg_init(&c);
	/* --config last: still read first, so the flags before it win */
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--workers", "7", "--listen", "[::]:53",
			  "--zone", "example.com=./mine.zone", "--zone", "extra.example=e.zone",
			  "--log-level", "error", "--nsid=flagnsid", "--config", path, NULL),
		     0, "%s", err);
	cr_assert_str_eq(c.source, path);
	cr_assert_eq(c.workers, 7);
	cr_assert_eq(c.tcp_workers, 2);	/* from the file */
	cr_assert_eq(c.nlisten, 1);	/* --listen replaces the file's list */
	check_v6(&c.listen[0], "::", 53);
	cr_assert_str_eq(c.nsid, "flagnsid");
	cr_assert_str_eq(c.identity, "ns1.example.net");
	cr_assert_eq(c.log_level, LOG_LVL_ERROR);
	cr_assert_eq(c.log_syslog, true);
	cr_assert_eq(c.nzones, 4);
	cr_assert_str_eq(c.zones[0].name, "example.com.");
	cr_assert_str_eq(c.zones[0].file, "./mine.zone");
	cr_assert_str_eq(c.zones[1].name, "example.net.");
	cr_assert_str_eq(c.zones[3].name, "extra.example.");
	cr_assert_str_eq(c.zones[3].file, "e.zone");
	cfg_free(&c);

	/* --config=FILE in the middle; no --listen keeps the file's list */
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--syslog", "--config=" , NULL), -1);
	cr_assert_str_eq(err, "--config: empty file name");
	snprintf(want, sizeof want, "--config=%s", path);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--tcp-workers=5", want, "--hide-version",
			  NULL), 0, "%s", err);
	cr_assert_eq(c.tcp_workers, 5);
	cr_assert_eq(c.workers, 4);
	cr_assert_eq(c.nlisten, 3);
	cr_assert_null(c.version);
	cfg_free(&c);

	/* an error in the file comes back as the file's FILE:LINE */
	const char *bad = zt_write(dir, "bad.yaml", "server:\n  workers: x\n");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--workers", "1", "--config", bad, NULL), -1);
	snprintf(want, sizeof want, "%s:2: server.workers: 'x' is not a number", bad);
	cr_assert_str_eq(err, want);
	cfg_free(&c);
}

Test(cfg, passthru)
{
	static const char *const pt[] = { "--dp-fd", "--ctl-fd", NULL };
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, pt, "--dp-fd", "5", "--workers", "2",
			  "--ctl-fd=7", "--dp-fd", "9", NULL), 0, "%s", err);
	cr_assert_eq(c.workers, 2);
	cr_assert_eq(args(&c, err, sizeof err, pt, "--workers", "3", "--ctl-fd", NULL), -1);
	cr_assert_str_eq(err, "--ctl-fd: needs a value");
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--dp-fd", "5", NULL), -1);
	cr_assert_str_eq(err, "unknown flag '--dp-fd'");
	cfg_free(&c);
}

Test(cfg, bad_flags)
{
	flag_fails("--workers: 'abc' is not a number", "--workers", "abc", NULL);
	flag_fails("--workers: 'abc' is not a number", "--workers=abc", NULL);
	flag_fails("--workers: 5000 is out of range (0..1024)", "--workers", "5000", NULL);
	flag_fails("--tcp-workers: 0 is out of range (1..1024)", "--tcp-workers=0", NULL);
	flag_fails("--workers: needs a value", "--workers", NULL);
	flag_fails("--workers: needs a value", "--workers", "--syslog", NULL);
	flag_fails("unknown flag '--frob'", "--frob", NULL);
	flag_fails("unknown flag '--frob'", "--frob=1", NULL);
	flag_fails("unexpected argument 'extra' (flags start with --)", "--syslog", "extra", NULL);
	flag_fails("unexpected argument '-w' (flags start with --)", "-w", "2", NULL);
	flag_fails("--syslog: takes no value", "--syslog=yes", NULL);
	flag_fails("--hide-version: contradicts --version; keep one", "--version", "x",
		   "--hide-version", NULL);
	flag_fails("--log-level: 'loud' is not one of: error, warning, notice, info, debug",
		   "--log-level", "loud", NULL);
	flag_fails("--listen: '::1:53': IPv6 addresses need brackets: [ADDR]:PORT (e.g. [::1]:53)",
		   "--listen", "::1:53", NULL);
	flag_fails("--listen: '1.2.3.4:53' is given twice", "--listen", "1.2.3.4:53",
		   "--listen=1.2.3.4:53", NULL);
	flag_fails("--zone: 'example.com' is not NAME=FILE", "--zone", "example.com", NULL);
	flag_fails("--zone: 'example.com=' is not NAME=FILE", "--zone", "example.com=", NULL);
	flag_fails("--zone: 'a..b' is not a valid domain name: empty label (two dots in a row, "
		   "or a leading dot)", "--zone", "a..b=f", NULL);
	flag_fails("--zone: zone 'a.example.' is given twice", "--zone", "a.example=1", "--zone",
		   "A.example.=2", NULL);
	flag_fails("--nsid: must not be empty", "--nsid=", NULL);
	flag_fails("--config: given more than once", "--config", "a", "--config", "b", NULL);
	flag_fails("--config: needs a value", "--syslog", "--config", NULL);

	too_many(NULL, "--listen=10.0.0.%d:53", CFG_LISTEN_MAX, "--listen: more than 16 addresses");
}

Test(cfg, bundled_example)
{
	const char *src = getenv("SRCDIR");
	cr_assert_not_null(src);
	char path[4096], want[4096], err[512];
	snprintf(path, sizeof path, "%s/zones/examples/ringdns.yaml", src);
	struct cfg c;
	cfg_init(&c);
	cr_assert_eq(cfg_load_file(&c, path, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nlisten, 2);
	check_v4(&c.listen[0], "127.0.0.1", 5300);
	check_v6(&c.listen[1], "::1", 5300);
	cr_assert_str_eq(c.control_socket, "/tmp/ringdns.sock");
	cr_assert_eq(c.nzones, 2);
	cr_assert_str_eq(c.zones[0].name, "example.com.");
	snprintf(want, sizeof want, "%s/zones/examples/example.com.zone", src);
	cr_assert_str_eq(c.zones[0].file, want);
	cr_assert_str_eq(c.zones[1].name, "example.net.");
	snprintf(want, sizeof want, "%s/zones/examples/example.net.zone", src);
	cr_assert_str_eq(c.zones[1].file, want);
	struct stat st;
	for (size_t i = 0; i < c.nzones; i++)
		cr_assert_eq(stat(c.zones[i].file, &st), 0, "%s", c.zones[i].file);
	cfg_free(&c);
}

Test(cfg, io_dpdk_flags)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(c.io, CFG_IO_SOCKET);
	cr_assert_eq(c.naddresses, 0);
	cr_assert_eq(c.neal_args, 0);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--io", "dpdk", "--address", "198.18.0.1",
			  "--address=2001:db8::53", "--workers", "1", "--", "--no-pci", "-l",
			  "0-1", "--workers", NULL), 0, "%s", err);
	cr_assert_eq(c.io, CFG_IO_DPDK);
	cr_assert_eq(c.naddresses, 2);
	check_v4(&c.addresses[0], "198.18.0.1", 53);
	cr_assert_str_eq(c.addresses[0].text, "198.18.0.1");
	check_v6(&c.addresses[1], "2001:db8::53", 53);
	cr_assert_eq(c.workers, 1);
	/* everything after "--" is the EAL's, flags of ours included */
	cr_assert_eq(c.neal_args, 4);
	cr_assert_str_eq(c.eal_args[0], "--no-pci");
	cr_assert_str_eq(c.eal_args[1], "-l");
	cr_assert_str_eq(c.eal_args[2], "0-1");
	cr_assert_str_eq(c.eal_args[3], "--workers");
	cr_assert_null(c.eal_args[4]);
	cr_assert_eq(cfg_io_available(&c, true, err, sizeof err), 0);
	cfg_free(&c);

	/* the socket backend is the default and needs no DPDK */
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--io=socket", NULL), 0, "%s", err);
	cr_assert_eq(c.io, CFG_IO_SOCKET);
	cr_assert_eq(cfg_io_available(&c, false, err, sizeof err), 0);
	cfg_free(&c);
}

Test(cfg, io_dpdk_file)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c,
			  "server:\n"
			  "  io: dpdk\n"
			  "  addresses: [198.18.0.1, \"2001:db8::1\", 198.18.0.2]\n"
			  "  eal-args: [\"-l\", \"0-1\", \"--vdev=net_af_packet0,iface=veth0\"]\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.io, CFG_IO_DPDK);
	cr_assert_eq(c.naddresses, 3);
	check_v4(&c.addresses[0], "198.18.0.1", 53);
	check_v6(&c.addresses[1], "2001:db8::1", 53);
	check_v4(&c.addresses[2], "198.18.0.2", 53);
	cr_assert_eq(c.neal_args, 3);
	cr_assert_str_eq(c.eal_args[2], "--vdev=net_af_packet0,iface=veth0");
	cr_assert_null(c.eal_args[3]);
	cfg_free(&c);

	cr_assert_eq(load(&c, "server:\n  io: DPDK\n  addresses: 2001:db8::2\n  eal-args: --no-pci\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.naddresses, 1);
	check_v6(&c.addresses[0], "2001:db8::2", 53);
	cr_assert_eq(c.neal_args, 1);
	cr_assert_str_eq(c.eal_args[0], "--no-pci");
	cfg_free(&c);

	/* flags replace the file's addresses and EAL arguments */
	const char *path = zt_write(dir, "dpdk.yaml",
				    "server:\n  io: dpdk\n  addresses: [198.18.0.1]\n"
				    "  eal-args: [\"-l\", \"0-3\"]\n");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", path, "--address", "198.18.0.9",
			  "--", "-l", "0-1", "--no-pci", NULL), 0, "%s", err);
	cr_assert_eq(c.naddresses, 1);
	check_v4(&c.addresses[0], "198.18.0.9", 53);
	cr_assert_eq(c.neal_args, 3);
	cr_assert_str_eq(c.eal_args[1], "0-1");
	cfg_free(&c);
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", path, NULL), 0, "%s", err);
	cr_assert_eq(c.naddresses, 1);
	check_v4(&c.addresses[0], "198.18.0.1", 53);
	cr_assert_str_eq(c.eal_args[1], "0-3");
	cfg_free(&c);
}

Test(cfg, io_dpdk_errors)
{
	flag_fails("--io dpdk: no address to answer for; give --address IP (repeatable) or "
		   "server.addresses in the file", "--io", "dpdk", NULL);
	flag_fails("--io dpdk: no address to answer for; give --address IP (repeatable) or "
		   "server.addresses in the file", "--io", "dpdk", "--", "--no-pci", NULL);
	flag_fails("--io: 'xdp' is not one of: socket, dpdk", "--io", "xdp", NULL);
	flag_fails("--address (server.addresses) is for --io dpdk; with kernel sockets, give "
		   "--listen ADDR:PORT", "--address", "198.18.0.1", NULL);
	flag_fails("EAL arguments (after '--', or server.eal-args) are for --io dpdk only",
		   "--workers", "1", "--", "--no-pci", NULL);
	flag_fails("--exception-port (server.exception-port) is for --io dpdk only",
		   "--exception-port", "net_tap1", NULL);
	flag_fails("--cpu-pin (server.cpu-pin) is for --io socket; with --io dpdk, EAL pins each "
		   "lcore to its CPU: choose them with -l or --lcores after '--'", "--io", "dpdk",
		   "--address", "198.18.0.1", "--cpu-pin", NULL);
	flag_fails("--address: '198.18.0.1:53': an address without brackets or port (the DPDK "
		   "ports answer on port 53)", "--io", "dpdk", "--address", "198.18.0.1:53", NULL);
	flag_fails("--address: '[2001:db8::1]': an address without brackets or port (the DPDK "
		   "ports answer on port 53)", "--io", "dpdk", "--address", "[2001:db8::1]", NULL);
	flag_fails("--address: 'ns1.example': not an IPv4 or IPv6 address (names are not "
		   "resolved)", "--io", "dpdk", "--address", "ns1.example", NULL);
	flag_fails("--address: '0.0.0.0': 0.0.0.0 is not an address to answer for; give each "
		   "address", "--io", "dpdk", "--address", "0.0.0.0", NULL);
	flag_fails("--address: '::': :: is not an address to answer for; give each address",
		   "--io", "dpdk", "--address", "::", NULL);
	flag_fails("--address: '198.18.0.1' is given twice", "--io", "dpdk", "--address",
		   "198.18.0.1", "--address", "198.18.0.1", NULL);
	flag_fails("--workers: needs a value", "--io", "dpdk", "--address", "198.18.0.1",
		   "--workers", "--", "-l", "0", NULL);

	/* at most CFG_ADDRESS_MAX of each family */
	static const char *const v6[] = { "--io=dpdk", "--address=2001:db8::1", NULL };
	too_many(v6, "--address=198.18.0.%d", CFG_ADDRESS_MAX,
		 "--address: more than 8 IPv4 addresses");
	static const char *const v4[] = { "--io=dpdk", "--address=198.18.0.1", NULL };
	too_many(v4, "--address=2001:db8::%x", CFG_ADDRESS_MAX,
		 "--address: more than 8 IPv6 addresses");
}

Test(cfg, io_dpdk_file_errors)
{
	fails("server:\n  io: netmap\n", 2, "server.io: 'netmap' is not one of: socket, dpdk");
	fails("server:\n  addresses: {a: 1}\n", 2,
	      "server.addresses: expected an IP address or a list of them, got a mapping");
	fails("server:\n  addresses: []\n", 2,
	      "server.addresses: empty list (io dpdk needs at least one address to answer for)");
	fails("server:\n  addresses:\n    - 198.18.0.1\n    - 198.18.0.1\n", 4,
	      "server.addresses: '198.18.0.1' is listed twice");
	fails("server:\n  addresses:\n    - 198.18.0.1\n    - x.example\n", 4,
	      "server.addresses: 'x.example': not an IPv4 or IPv6 address");
	fails("server:\n  eal-args:\n    - [a]\n", 3,
	      "server.eal-args: each entry must be a string, not a list");
	fails("server:\n  eal-args: []\n", 2, "server.eal-args: empty list");

	/* the file alone may lack addresses that flags give; the whole
	 * command line may not */
	struct cfg c;
	char err[512];
	const char *path = zt_write(dir, "noaddr.yaml", "server:\n  io: dpdk\n");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", path, NULL), -1);
	cr_assert_str_eq(err, "--io dpdk: no address to answer for; give --address IP "
			      "(repeatable) or server.addresses in the file");
	cfg_free(&c);
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", path, "--address", "198.18.0.1",
			  NULL), 0, "%s", err);
	cfg_free(&c);
}

Test(cfg, io_dpdk_not_built)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--io", "dpdk", "--address", "198.18.0.1",
			  NULL), 0, "%s", err);
	cr_assert_eq(cfg_io_available(&c, false, err, sizeof err), -1);
	cr_assert_str_eq(err, "--io dpdk: this ringdns was built without DPDK: rebuild with "
			      "-Ddpdk=enabled (needs libdpdk-dev >= 22.11)");
	cfg_free(&c);
}

/* ---- allow-transfer ------------------------------------------------------ */

/* ip (IPv4 or IPv6 text) as 16 bytes, IPv4 v4-mapped. */
static void ip16(uint8_t a[16], const char *ip)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, ip, a + 12) == 1) {
		a[10] = a[11] = 0xff;
		return;
	}
	cr_assert_eq(inet_pton(AF_INET6, ip, a), 1, "bad test address %s", ip);
}

/* p is addr (IPv6 text: IPv4 as ::ffff:a.b.c.d) / len, written as text. */
static void check_prefix(const struct cfg_prefix *p, const char *addr, unsigned len,
			 const char *text)
{
	uint8_t want[16];
	char got[INET6_ADDRSTRLEN];
	ip16(want, addr);
	inet_ntop(AF_INET6, p->addr, got, sizeof got);
	cr_assert(memcmp(p->addr, want, 16) == 0, "'%s': want %s, got %s", text, addr, got);
	cr_assert_eq(p->len, len, "'%s': want /%u, got /%u", text, len, p->len);
	cr_assert_str_eq(p->text, text);
}

Test(cfg, allow_transfer_scalar_or_list)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, "server:\n  allow-transfer: 192.0.2.1\n", err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(c.nallow_transfer, 1);
	check_prefix(&c.allow_transfer[0], "::ffff:192.0.2.1", 128, "192.0.2.1");
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  allow-transfer: 2001:db8::53\n", err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(c.nallow_transfer, 1);
	check_prefix(&c.allow_transfer[0], "2001:db8::53", 128, "2001:db8::53");
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  allow-transfer: 198.51.100.0/24\n", err, sizeof err),
		     0, "%s", err);
	check_prefix(&c.allow_transfer[0], "::ffff:198.51.100.0", 120, "198.51.100.0/24");
	cfg_free(&c);

	/* block and flow lists, in the order written */
	cr_assert_eq(load(&c,
			  "server:\n  allow-transfer:\n    - 192.0.2.0/24\n"
			  "    - 2001:db8::/32\n    - \"2001:db8:1::7\"\n    - 203.0.113.9\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, 4);
	check_prefix(&c.allow_transfer[0], "::ffff:192.0.2.0", 120, "192.0.2.0/24");
	check_prefix(&c.allow_transfer[1], "2001:db8::", 32, "2001:db8::/32");
	check_prefix(&c.allow_transfer[2], "2001:db8:1::7", 128, "2001:db8:1::7");
	check_prefix(&c.allow_transfer[3], "::ffff:203.0.113.9", 128, "203.0.113.9");
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  allow-transfer: [10.0.0.0/8, \"2001:db8::/48\"]\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, 2);
	check_prefix(&c.allow_transfer[0], "::ffff:10.0.0.0", 104, "10.0.0.0/8");
	check_prefix(&c.allow_transfer[1], "2001:db8::", 48, "2001:db8::/48");
	cfg_free(&c);

	/* a failed load keeps the list there was */
	cr_assert_eq(load(&c, "server:\n  allow-transfer: 192.0.2.7\n", err, sizeof err), 0,
		     "%s", err);
	const char *bad = zt_write(dir, "bad.yaml", "server:\n  allow-transfer: [10.0.0.1]\n"
						    "  workers: x\n");
	cr_assert_eq(cfg_load_file(&c, bad, err, sizeof err), -1);
	cr_assert_eq(c.nallow_transfer, 1);
	check_prefix(&c.allow_transfer[0], "::ffff:192.0.2.7", 128, "192.0.2.7");
	cfg_free(&c);
}

Test(cfg, allow_transfer_lengths)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c,
			  "server:\n  allow-transfer:\n"
			  "    - 0.0.0.0/0\n    - 10.0.0.0/8\n    - 192.0.2.0/24\n"
			  "    - 192.0.2.9/32\n    - 192.0.2.128/25\n"
			  "    - ::/0\n    - 2001:db8::/32\n    - 2001:db8::1/128\n"
			  "    - 2001:db8:8000::/33\n    - ::ffff:198.51.100.0/120\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, 10);
	check_prefix(&c.allow_transfer[0], "::ffff:0.0.0.0", 96, "0.0.0.0/0");
	check_prefix(&c.allow_transfer[1], "::ffff:10.0.0.0", 104, "10.0.0.0/8");
	check_prefix(&c.allow_transfer[2], "::ffff:192.0.2.0", 120, "192.0.2.0/24");
	check_prefix(&c.allow_transfer[3], "::ffff:192.0.2.9", 128, "192.0.2.9/32");
	check_prefix(&c.allow_transfer[4], "::ffff:192.0.2.128", 121, "192.0.2.128/25");
	check_prefix(&c.allow_transfer[5], "::", 0, "::/0");
	check_prefix(&c.allow_transfer[6], "2001:db8::", 32, "2001:db8::/32");
	check_prefix(&c.allow_transfer[7], "2001:db8::1", 128, "2001:db8::1/128");
	check_prefix(&c.allow_transfer[8], "2001:db8:8000::", 33, "2001:db8:8000::/33");
	/* written as IPv6, a v4-mapped prefix is the IPv4 one */
	check_prefix(&c.allow_transfer[9], "::ffff:198.51.100.0", 120, "::ffff:198.51.100.0/120");
	cfg_free(&c);
}

Test(cfg, allow_transfer_file_errors)
{
	fails("server:\n  allow-transfer:\n    - 198.51.100.0/24\n    - 192.0.2.1/24\n", 4,
	      "server.allow-transfer: 192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?");
	fails("server:\n  allow-transfer: 10.1.2.3/8\n", 2,
	      "server.allow-transfer: 10.1.2.3/8 has host bits set; did you mean 10.0.0.0/8?");
	fails("server:\n  allow-transfer: 192.0.2.1/0\n", 2,
	      "server.allow-transfer: 192.0.2.1/0 has host bits set; did you mean 0.0.0.0/0?");
	fails("server:\n  allow-transfer: 2001:db8::1/32\n", 2,
	      "server.allow-transfer: 2001:db8::1/32 has host bits set; did you mean "
	      "2001:db8::/32?");
	fails("server:\n  allow-transfer: 2001:db8:c000::/33\n", 2,
	      "did you mean 2001:db8:8000::/33?");
	fails("server:\n  allow-transfer: 192.0.2.0/33\n", 2,
	      "server.allow-transfer: '192.0.2.0/33': prefix length 33 is out of range (0..32)");
	fails("server:\n  allow-transfer: 2001:db8::/129\n", 2,
	      "server.allow-transfer: '2001:db8::/129': prefix length 129 is out of range "
	      "(0..128)");
	fails("server:\n  allow-transfer: 192.0.2.0/99999999999999999999\n", 2,
	      "prefix length 99999999999999999999 is out of range (0..32)");
	fails("server:\n  allow-transfer: 192.0.2.0/x\n", 2,
	      "server.allow-transfer: '192.0.2.0/x': prefix length 'x' is not a number");
	fails("server:\n  allow-transfer: 192.0.2.0/-1\n", 2, "prefix length '-1' is not a number");
	fails("server:\n  allow-transfer: 192.0.2.0/24/8\n", 2,
	      "prefix length '24/8' is not a number");
	fails("server:\n  allow-transfer: 192.0.2.0/\n", 2,
	      "server.allow-transfer: '192.0.2.0/': missing prefix length after '/' (0..32)");
	fails("server:\n  allow-transfer: /24\n", 2,
	      "server.allow-transfer: '/24': missing address before '/'");
	fails("server:\n  allow-transfer: ns1.example.net\n", 2,
	      "server.allow-transfer: 'ns1.example.net': not an IPv4 or IPv6 address (names are "
	      "not resolved)");
	fails("server:\n  allow-transfer: 192.0.2.300/24\n", 2,
	      "'192.0.2.300/24': not an IPv4 or IPv6 address");
	fails("server:\n  allow-transfer: 192.0.2.1:53\n", 2,
	      "server.allow-transfer: '192.0.2.1:53': an address or ADDR/LEN, without brackets "
	      "or port (e.g. 192.0.2.0/24, 2001:db8::/32)");
	fails("server:\n  allow-transfer: \"[2001:db8::]/32\"\n", 2, "without brackets or port");
	fails("server:\n  allow-transfer: ''\n", 2,
	      "server.allow-transfer: empty prefix (expected an address or ADDR/LEN)");
	fails("server:\n  allow-transfer: 0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:"
	      "0000:0000/0\n", 2,
	      "server.allow-transfer: '0000:0000:0000:0000:...': too long for an address prefix");
	fails("server:\n  allow-transfer: 0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/0\n",
	      2, "'0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/0': not an IPv4 or IPv6 "
	      "address");
	fails("server:\n  allow-transfer: []\n", 2,
	      "server.allow-transfer: empty list (leave 'allow-transfer' out to refuse every "
	      "transfer)");
	fails("server:\n  allow-transfer: {a: 1}\n", 2,
	      "server.allow-transfer: expected an address or ADDR/LEN or a list of them, got a "
	      "mapping");
	fails("server:\n  allow-transfer:\n    - [192.0.2.1]\n", 3,
	      "server.allow-transfer: each entry must be an address or ADDR/LEN, not a list");
	fails("server:\n  allow-transfer:\n    - 192.0.2.0/24\n    - 192.0.2.0/24\n", 4,
	      "server.allow-transfer: '192.0.2.0/24' is listed twice");
	fails("server:\n  allow-transfer: [192.0.2.1, 192.0.2.1/32]\n", 2,
	      "server.allow-transfer: '192.0.2.1/32' is listed twice (also as '192.0.2.1')");
	fails("server:\n  allow-transfer:\n    - 192.0.2.0/24\n    - ::ffff:192.0.2.0/120\n", 4,
	      "'::ffff:192.0.2.0/120' is listed twice (also as '192.0.2.0/24')");

	/* CFG_PREFIX_MAX is fine, one more is not (on the line of the 65th) */
	char text[4096];
	struct cfg c;
	char err[512];
	size_t o = (size_t)snprintf(text, sizeof text, "server:\n  allow-transfer:\n");
	for (int i = 1; i <= CFG_PREFIX_MAX + 1; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "    - 10.0.%d.0/24\n", i);
	fails(text, 3 + CFG_PREFIX_MAX, "server.allow-transfer: '10.0.65.0/24': more than 64 "
					"prefixes; merge some into shorter ones");
	text[strlen(text) - strlen("    - 10.0.65.0/24\n")] = 0;
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, CFG_PREFIX_MAX);
	check_prefix(&c.allow_transfer[63], "::ffff:10.0.64.0", 120, "10.0.64.0/24");
	cfg_free(&c);
}

Test(cfg, allow_transfer_flags)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--allow-transfer", "192.0.2.0/24",
			  "--allow-transfer=2001:db8::1", NULL), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, 2);
	check_prefix(&c.allow_transfer[0], "::ffff:192.0.2.0", 120, "192.0.2.0/24");
	check_prefix(&c.allow_transfer[1], "2001:db8::1", 128, "2001:db8::1");
	cfg_free(&c);

	/* as --listen: any flag replaces the file's list, wherever --config is */
	const char *path = zt_write(dir, "xfr.yaml",
				    "server:\n  allow-transfer: [198.51.100.0/24, \"2001:db8::/32\"]\n");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--allow-transfer", "203.0.113.5",
			  "--config", path, NULL), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, 1);
	check_prefix(&c.allow_transfer[0], "::ffff:203.0.113.5", 128, "203.0.113.5");
	cfg_free(&c);
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", path, "--workers", "2", NULL), 0,
		     "%s", err);
	cr_assert_eq(c.nallow_transfer, 2);
	check_prefix(&c.allow_transfer[0], "::ffff:198.51.100.0", 120, "198.51.100.0/24");
	check_prefix(&c.allow_transfer[1], "2001:db8::", 32, "2001:db8::/32");
	cfg_free(&c);

	/* a prefix the file lists may be given again on the command line */
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", path, "--allow-transfer",
			  "198.51.100.0/24", NULL), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, 1);
	cfg_free(&c);

	flag_fails("--allow-transfer: 192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?",
		   "--allow-transfer", "192.0.2.1/24", NULL);
	flag_fails("--allow-transfer: '192.0.2.0/33': prefix length 33 is out of range (0..32)",
		   "--allow-transfer=192.0.2.0/33", NULL);
	flag_fails("--allow-transfer: '::/200': prefix length 200 is out of range (0..128)",
		   "--allow-transfer", "::/200", NULL);
	flag_fails("--allow-transfer: 'any': not an IPv4 or IPv6 address (names are not "
		   "resolved)", "--allow-transfer", "any", NULL);
	flag_fails("--allow-transfer: empty prefix (expected an address or ADDR/LEN)",
		   "--allow-transfer=", NULL);
	flag_fails("--allow-transfer: '2001:db8::/32' is given twice", "--allow-transfer",
		   "2001:db8::/32", "--allow-transfer", "2001:db8::/32", NULL);
	flag_fails("--allow-transfer: needs a value", "--allow-transfer", NULL);

	/* CFG_PREFIX_MAX flags are fine, one more is not */
	char *argv[CFG_PREFIX_MAX + 3], flag[CFG_PREFIX_MAX + 2][48];
	int n = 0;
	argv[n++] = "ringdns";
	for (int i = 1; i <= CFG_PREFIX_MAX + 1; i++) {
		snprintf(flag[i], sizeof flag[i], "--allow-transfer=10.0.%d.0/24", i);
		argv[n++] = flag[i];
	}
	argv[n] = NULL;
	cfg_init(&c);
	cr_assert_eq(cfg_from_args(&c, n, argv, NULL, err, sizeof err), -1);
	cr_assert_str_eq(err, "--allow-transfer: '10.0.65.0/24': more than 64 prefixes; merge "
			      "some into shorter ones");
	cr_assert_eq(cfg_from_args(&c, n - 1, argv, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, CFG_PREFIX_MAX);
	cfg_free(&c);
}

/* Whether the prefix text (parsed through --allow-transfer) holds ip. */
static bool in_prefix(const char *text, const char *ip)
{
	struct cfg c;
	char err[512], flag[128];
	uint8_t a[16];
	snprintf(flag, sizeof flag, "--allow-transfer=%s", text);
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, flag, NULL), 0, "%s", err);
	cr_assert_eq(c.nallow_transfer, 1);
	ip16(a, ip);
	bool r = cfg_prefix_match(&c.allow_transfer[0], a);
	cfg_free(&c);
	return r;
}

Test(cfg, prefix_match)
{
	static const struct {
		const char *prefix, *ip;
		bool in;
	} cases[] = {
		/* IPv4 */
		{ "192.0.2.0/24", "192.0.2.0", true },
		{ "192.0.2.0/24", "192.0.2.255", true },
		{ "192.0.2.0/24", "192.0.3.0", false },
		{ "192.0.2.0/24", "192.0.1.255", false },
		{ "192.0.2.128/25", "192.0.2.200", true },
		{ "192.0.2.128/25", "192.0.2.127", false },
		{ "10.0.0.0/8", "10.255.1.2", true },
		{ "10.0.0.0/8", "11.0.0.0", false },
		{ "192.0.2.7", "192.0.2.7", true },
		{ "192.0.2.7/32", "192.0.2.6", false },
		{ "0.0.0.0/0", "203.0.113.1", true },
		{ "0.0.0.0/0", "2001:db8::1", false },	/* IPv4 only */
		{ "192.0.2.0/24", "::ffff:192.0.2.9", true },
		{ "192.0.2.0/24", "::192.0.2.9", false },	/* v4-compatible is IPv6 */
		/* IPv6 */
		{ "2001:db8::/32", "2001:db8:ffff:1::1", true },
		{ "2001:db8::/32", "2001:db9::", false },
		{ "2001:db8::/32", "2001:db7:ffff::", false },
		{ "2001:db8:8000::/33", "2001:db8:ffff::1", true },
		{ "2001:db8:8000::/33", "2001:db8:7fff::1", false },
		{ "2001:db8::53", "2001:db8::53", true },
		{ "2001:db8::53/128", "2001:db8::52", false },
		{ "::/0", "2001:db8::1", true },
		/* an IPv4 address never falls in an IPv6-only prefix, even one
		 * whose bits spell it (32.1.13.184 is 0x20010db8) */
		{ "2001:db8::/32", "32.1.13.184", false },
		{ "2000::/3", "192.0.2.1", false },
		/* ::/0 covers ::ffff:0:0/96, so every IPv4 address too */
		{ "::/0", "192.0.2.1", true },
		{ "::/0", "0.0.0.0", true },
		{ "::ffff:0:0/96", "198.51.100.1", true },
		{ "::ffff:0:0/96", "2001:db8::1", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		cr_assert_eq(in_prefix(cases[i].prefix, cases[i].ip), cases[i].in, "%s in %s: want %s",
			     cases[i].ip, cases[i].prefix, cases[i].in ? "yes" : "no");

	/* a prefix built by hand, bits past len zero as cfg.h asks */
	struct cfg_prefix p = { .len = 12 };
	uint8_t a[16];
	p.addr[0] = 0x20;
	p.addr[1] = 0x00;
	ip16(a, "2001:db8::1");
	cr_assert(cfg_prefix_match(&p, a));
	ip16(a, "2010::1");
	cr_assert_not(cfg_prefix_match(&p, a));
}

/* ---- zone transfers: keys, primaries, notify ------------------------------ */

#define SECRET32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define SECRET128 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1" \
	"Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0" \
	"dXZ3eHl6e3x9fn8="

/* Writes text as DIR/name with mode; returns its path. */
static const char *write_mode(const char *name, const char *text, mode_t mode)
{
	const char *path = zt_write(dir, name, text);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

static void check_remote(const struct cfg_remote *r, int family, const char *addr,
			 unsigned port, const char *text)
{
	char buf[64];
	cr_assert_eq(r->addr.ss_family, family, "%s", text);
	if (family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&r->addr;
		cr_assert_eq(r->addrlen, sizeof *a);
		cr_assert_eq(ntohs(a->sin_port), port, "%s", text);
		inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&r->addr;
		cr_assert_eq(r->addrlen, sizeof *a);
		cr_assert_eq(ntohs(a->sin6_port), port, "%s", text);
		inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
	}
	cr_assert_str_eq(buf, addr, "%s", text);
	cr_assert_str_eq(r->text, text);
}

Test(cfg, transfer_file)
{
	write_mode("xfr.key", "\n  " SECRET128 "  \n\n", 0600);
	struct cfg c;
	char err[512], want[256];
	/* the zones name keys given after them */
	cr_assert_eq(load(&c,
			  "zones:\n"
			  "  - name: example.com\n"
			  "    file: example.com.zone\n"
			  "    primaries: [\"192.0.2.1\", \"192.0.2.2@5300\",\n"
			  "                \"[2001:db8::1]:53\"]\n"
			  "    notify: 192.0.2.10@53\n"
			  "    key: XFR.example\n"
			  "  - name: example.net\n"
			  "    file: example.net.zone\n"
			  "    notify:\n"
			  "      - 198.51.100.7:5353\n"
			  "      - 2001:db8::7\n"
			  "    key: other.\n"
			  "  - name: example.org\n"
			  "    file: example.org.zone\n"
			  "keys:\n"
			  "  - name: xfr.example.\n"
			  "    algorithm: hmac-sha256\n"
			  "    secret: \"" SECRET32 "\"\n"
			  "  - {name: Other, algorithm: HMAC-SHA512., secret-file: xfr.key}\n"
			  "  - name: sha1.example\n"
			  "    algorithm: hmac-sha1\n"
			  "    secret: c2VjcmV0\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nkeys, 3);
	cr_assert_str_eq(c.keys[0].name, "xfr.example.");
	cr_assert_str_eq(c.keys[0].algorithm, "hmac-sha256");
	cr_assert_str_eq(c.keys[0].secret, SECRET32);
	cr_assert_str_eq(c.keys[1].name, "other.");
	cr_assert_str_eq(c.keys[1].algorithm, "hmac-sha512");
	cr_assert_str_eq(c.keys[1].secret, SECRET128);	/* trimmed */
	cr_assert_str_eq(c.keys[2].algorithm, "hmac-sha1");
	cr_assert_str_eq(c.keys[2].secret, "c2VjcmV0");

	cr_assert_eq(c.nzones, 3);
	const struct cfg_zone *z = &c.zones[0];
	snprintf(want, sizeof want, "%s/example.com.zone", dir);
	cr_assert_str_eq(z->file, want);
	cr_assert_eq(z->nprimaries, 3);
	check_remote(&z->primaries[0], AF_INET, "192.0.2.1", 53, "192.0.2.1");
	check_remote(&z->primaries[1], AF_INET, "192.0.2.2", 5300, "192.0.2.2@5300");
	check_remote(&z->primaries[2], AF_INET6, "2001:db8::1", 53, "[2001:db8::1]:53");
	cr_assert_eq(z->nnotify, 1);
	check_remote(&z->notify[0], AF_INET, "192.0.2.10", 53, "192.0.2.10@53");
	cr_assert_eq(z->key, 0);
	z = &c.zones[1];
	cr_assert_eq(z->nprimaries, 0);
	cr_assert_eq(z->nnotify, 2);
	check_remote(&z->notify[0], AF_INET, "198.51.100.7", 5353, "198.51.100.7:5353");
	check_remote(&z->notify[1], AF_INET6, "2001:db8::7", 53, "2001:db8::7");
	cr_assert_eq(z->key, 1);
	z = &c.zones[2];
	cr_assert_eq(z->nprimaries, 0);
	cr_assert_eq(z->nnotify, 0);
	cr_assert_eq(z->key, -1);
	cfg_free(&c);
	cr_assert_null(c.keys);

	/* a key section without a value is none; the zones of an older file
	 * keep their meaning */
	cr_assert_eq(load(&c, "keys:\nzones:\n  - name: a.example\n    file: a\n", err,
			  sizeof err), 0, "%s", err);
	cr_assert_eq(c.nkeys, 0);
	cr_assert_eq(c.zones[0].key, -1);
	cr_assert_eq(c.zones[0].nprimaries, 0);
	cr_assert_eq(c.zones[0].nnotify, 0);
	cfg_free(&c);
}

Test(cfg, parse_remote)
{
	static const struct {
		const char *text;
		int family;
		const char *addr;
		unsigned port;
	} good[] = {
		{ "192.0.2.1", AF_INET, "192.0.2.1", 53 },
		{ "192.0.2.1@5300", AF_INET, "192.0.2.1", 5300 },
		{ "192.0.2.1:5301", AF_INET, "192.0.2.1", 5301 },
		{ "2001:db8::1", AF_INET6, "2001:db8::1", 53 },
		{ "2001:db8::1@5300", AF_INET6, "2001:db8::1", 5300 },
		{ "[2001:db8::1]:5302", AF_INET6, "2001:db8::1", 5302 },
		{ "[2001:db8::2]", AF_INET6, "2001:db8::2", 53 },
		{ "::ffff:192.0.2.9@54", AF_INET6, "::ffff:192.0.2.9", 54 },
		/* a bare IPv6 address: its last group is not a port */
		{ "2001:db8::1:53", AF_INET6, "2001:db8::1:53", 53 },
		{ "127.0.0.1@65535", AF_INET, "127.0.0.1", 65535 },
	};
	struct cfg_remote r;
	char why[256];
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		cr_assert_eq(cfg_parse_remote(&r, good[i].text, why, sizeof why), 0, "%s: %s",
			     good[i].text, why);
		check_remote(&r, good[i].family, good[i].addr, good[i].port, good[i].text);
	}
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "empty address (expected ADDR, ADDR@PORT, IPv4:PORT or [IPv6]:PORT)" },
		{ "ns1.example.net", "'ns1.example.net': 'ns1.example.net' is not an IPv4 or IPv6 "
				     "address (names are not resolved)" },
		{ "192.0.2.1@", "'192.0.2.1@': missing port after '@'" },
		{ "192.0.2.1@0", "'192.0.2.1@0': port '0' is not a number 1..65535" },
		{ "192.0.2.1@70000", "port '70000' is not a number 1..65535" },
		{ "192.0.2.1:", "'192.0.2.1:': missing port after ':'" },
		{ "192.0.2.1:x", "port 'x' is not a number" },
		{ "@53", "'@53': missing address" },
		{ "[2001:db8::1", "'[2001:db8::1': missing ']' after the IPv6 address" },
		{ "[2001:db8::1]53", "expected ':PORT' after ']' (e.g. [2001:db8::1]:53)" },
		{ "[2001:db8::1]@53", "write ADDR@PORT without brackets, or [ADDR]:PORT" },
		{ "[192.0.2.1]:53", "brackets are for IPv6 addresses; write IPv4:PORT" },
		{ "[]:53", "'[]:53': missing address" },
		{ "0.0.0.0", "0.0.0.0 is no server's address" },
		{ "[::]:53", ":: is no server's address" },
		{ "192.0.2.256", "'192.0.2.256' is not an IPv4 or IPv6 address" },
		{ "fe80::1%eth0", "'fe80::1%eth0' is not an IPv4 or IPv6 address" },
		{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:1",
		  "'0000:0000:0000:0000:...': too long for an address" },
		{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:1",
		  "not an IPv4 or IPv6 address" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(cfg_parse_remote(&r, bad[i].text, why, sizeof why), -1, "%s",
			     bad[i].text);
		cr_assert(strstr(why, bad[i].why), "'%s': want '%s', got '%s'", bad[i].text,
			  bad[i].why, why);
	}
}

Test(cfg, transfer_zone_errors)
{
	fails("zones:\n  - name: a.example\n    file: a\n"
	      "    primaries: [192.0.2.1, \"192.0.2.2:53\", 192.0.2.1@53]\n", 4,
	      "zones[0].primaries: '192.0.2.1@53' is listed twice (also as '192.0.2.1')");
	fails("zones:\n  - name: a.example\n    file: a\n  - name: b.example\n    file: b\n"
	      "    notify:\n      - 2001:db8::1\n      - \"[2001:db8::1]:53\"\n", 8,
	      "zones[1].notify: '[2001:db8::1]:53' is listed twice (also as '2001:db8::1')");
	fails("zones:\n  - name: a.example\n    file: a\n    primaries: []\n", 4,
	      "zones[0].primaries: empty list (leave 'primaries' out for a zone served from its "
	      "file)");
	fails("zones:\n  - name: a.example\n    file: a\n    notify: []\n", 4,
	      "zones[0].notify: empty list (leave 'notify' out to notify nobody)");
	fails("zones:\n  - name: a.example\n    file: a\n    notify: {a: 1}\n", 4,
	      "zones[0].notify: expected ADDR[@PORT] or a list of them, got a mapping");
	fails("zones:\n  - name: a.example\n    file: a\n    primaries: {a: 1}\n", 4,
	      "unknown key 'a' in a 'primaries' entry (expected one of: address, tls, tls-ca, "
	      "tls-name)");
	fails("zones:\n  - name: a.example\n    file: a\n    primaries: [[192.0.2.1]]\n", 4,
	      "zones[0].primaries: each entry must be ADDR[@PORT] or a mapping with 'address', "
	      "not a list");
	fails("zones:\n  - name: a.example\n    file: a\n    primaries: ns1.example\n", 4,
	      "zones[0].primaries: 'ns1.example': 'ns1.example' is not an IPv4 or IPv6 address "
	      "(names are not resolved)");
	fails("zones:\n  - name: a.example\n    file: a\n    primaries: 192.0.2.1@99999\n", 4,
	      "zones[0].primaries: '192.0.2.1@99999': port '99999' is not a number 1..65535");
	fails("zones:\n  - name: a.example\n    primaries: 192.0.2.1\n", 2,
	      "zones: zone 'a.example.' has no 'file' (a secondary needs one too: where the "
	      "transferred zone is kept)");
	fails("zones:\n  - name: a.example\n    file: a\n    key: [k]\n", 4,
	      "zones[0].key: expected a string, got a list");
	fails("zones:\n  - name: a.example\n    file: a\n    key: a..b\n", 4,
	      "zones[0].key: 'a..b' is not a valid domain name: empty label");
	fails("zones:\n  - name: a.example\n    file: a\n    key: ''\n", 4,
	      "zones[0].key: empty key name");

	/* CFG_REMOTE_MAX is fine, one more is not (on the line of the 9th) */
	char text[1024];
	struct cfg c;
	char err[512];
	size_t o = (size_t)snprintf(text, sizeof text,
				    "zones:\n  - name: a.example\n    file: a\n    primaries:\n");
	for (int i = 1; i <= CFG_REMOTE_MAX + 1; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "      - 192.0.2.%d\n", i);
	fails(text, 4 + CFG_REMOTE_MAX + 1, "zones[0].primaries: '192.0.2.9': more than 8 "
					    "primaries");
	text[strlen(text) - strlen("      - 192.0.2.9\n")] = 0;
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.zones[0].nprimaries, CFG_REMOTE_MAX);
	check_remote(&c.zones[0].primaries[7], AF_INET, "192.0.2.8", 53, "192.0.2.8");
	cfg_free(&c);
	o = (size_t)snprintf(text, sizeof text, "zones:\n  - name: a.example\n    file: a\n"
						"    notify: [");
	for (int i = 1; i <= CFG_REMOTE_MAX + 1; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s192.0.2.%d", i > 1 ? ", " : "",
				      i);
	snprintf(text + o, sizeof text - o, "]\n");
	fails(text, 4, "zones[0].notify: '192.0.2.9': more than 8 notify");
}

Test(cfg, zone_key_reference)
{
	static const char keys[] =
		"keys:\n"
		"  - name: a.\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n"
		"  - name: b.\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n";
	char text[1024];
	/* the line of the 'key' of the third entry, after the keys */
	snprintf(text, sizeof text, "%s"
		 "zones:\n"
		 "  - {name: a.example, file: a, key: a}\n"
		 "  - {name: b.example, file: b}\n"
		 "  - name: c.example\n"
		 "    file: c\n"
		 "    key: X.\n", keys);
	fails(text, 13, "zones[2].key: no key 'x.' in keys (defined: a., b.)");
	/* before the keys */
	snprintf(text, sizeof text, "zones:\n  - name: c.example\n    key: nope\n    file: c\n%s",
		 keys);
	fails(text, 3, "zones[0].key: no key 'nope.' in keys (defined: a., b.)");
	fails("zones:\n  - name: c.example\n    file: c\n    key: k.\n", 4,
	      "zones[0].key: no key 'k.' in keys (none defined; add it under 'keys:' with its "
	      "name, algorithm and secret)");

	/* two zones may share a key */
	snprintf(text, sizeof text, "%szones:\n  - {name: a.example, file: a, key: b}\n"
		 "  - {name: b.example, file: b, key: b.}\n", keys);
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.zones[0].key, 1);
	cr_assert_eq(c.zones[1].key, 1);
	cfg_free(&c);
}

/* ---- catalogs (RFC 9432) and the templates of their members ------------- */

Test(cfg, catalog_and_templates)
{
	static const char text[] =
		"zones:\n"
		"  - name: catalog.example\n"
		"    file: catalog.zone\n"
		"    primaries: 192.0.2.1@5300\n"
		"    catalog: true\n"
		"    catalog-template: default\n"
		"  - {name: other.example, file: o, primaries: 192.0.2.1, catalog: true}\n"
		"  - {name: plain.example, file: p}\n"
		"templates:\n"
		"  - id: default\n"
		"    primaries: [192.0.2.1@5300, \"[2001:db8::1]:53\"]\n"
		"    storage: members\n"
		"  - id: signed\n"
		"    primaries: 192.0.2.7\n"
		"    notify: 192.0.2.8@5301\n"
		"    key: b.\n"
		"    storage: /var/lib/ringdns/signed\n"
		"  - {id: bare}\n"
		"keys:\n"
		"  - name: a.\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n"
		"  - name: b.\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n";
	struct cfg c;
	char err[512], want[128];
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nzones, 3);
	cr_assert(c.zones[0].catalog);
	cr_assert_eq(c.zones[0].catalog_template, 0);
	cr_assert_str_eq(c.zones[0].member_of, "");
	cr_assert(c.zones[1].catalog);
	cr_assert_eq(c.zones[1].catalog_template, -1);
	cr_assert(!c.zones[2].catalog);
	cr_assert_eq(c.zones[2].catalog_template, -1);
	cr_assert_eq(c.ntemplates, 3);
	const struct cfg_template *t = &c.templates[0];
	cr_assert_str_eq(t->id, "default");
	cr_assert_eq(t->nprimaries, 2);
	check_remote(&t->primaries[1], AF_INET6, "2001:db8::1", 53, "[2001:db8::1]:53");
	cr_assert_eq(t->key, -1);
	/* relative to the configuration file's directory, as zone files */
	snprintf(want, sizeof want, "%s/members", dir);
	cr_assert_str_eq(t->storage, want);
	t = &c.templates[1];
	cr_assert_str_eq(t->id, "signed");
	cr_assert_eq(t->key, 1, "the key named b. (defined after the templates)");
	cr_assert_eq(t->nnotify, 1);
	check_remote(&t->notify[0], AF_INET, "192.0.2.8", 5301, "192.0.2.8@5301");
	cr_assert_str_eq(t->storage, "/var/lib/ringdns/signed");
	t = &c.templates[2];
	cr_assert_eq(t->nprimaries, 0);
	cr_assert_null(t->storage);
	cr_assert_eq(t->key, -1);
	cfg_free(&c);
	cr_assert_eq(c.ntemplates, 0);
	cr_assert_null(c.templates);

	/* a configuration without templates has none */
	cr_assert_eq(load(&c, "zones:\n  - {name: a.example, file: a}\n", err, sizeof err), 0);
	cr_assert_eq(c.ntemplates, 0);
	cr_assert(!c.zones[0].catalog);
	cfg_free(&c);
}

Test(cfg, catalog_errors)
{
	fails("zones:\n  - name: c.example\n    file: c\n    catalog: maybe\n", 4,
	      "zones[0].catalog: ");
	fails("zones:\n  - name: c.example\n    file: c\n    catalog: [true]\n", 4,
	      "zones[0].catalog: expected true or false, got a list");
	fails("zones:\n  - name: c.example\n    file: c\n    catalog-template: t\n"
	      "templates:\n  - id: t\n", 4,
	      "zones[0].catalog-template: zone 'c.example.' is not a catalog; add 'catalog: "
	      "true' or leave 'catalog-template' out");
	fails("zones:\n  - {name: c.example, file: c, catalog: true}\n"
	      "  - name: d.example\n    file: d\n    catalog: true\n"
	      "    catalog-template: nope\ntemplates:\n  - id: t\n", 6,
	      "zones[1].catalog-template: no template 'nope' under 'templates'");
	fails("zones:\n  - {name: c.example, file: c, catalog: true, catalog-template: t}\n", 2,
	      "zones[0].catalog-template: no template 't' under 'templates'");
	fails("templates:\n  - id: a\n  - id: b\n  - id: a\n", 4,
	      "templates[2].id: duplicate template 'a' (first at line 2)");
	fails("templates:\n  - primaries: 192.0.2.1\n", 2, "templates[0]: entry has no 'id'");
	fails("templates:\n  - id: 'a b'\n", 2,
	      "templates[0].id: 'a b': a template id is printable ASCII without spaces");
	fails("templates:\n  - id: ''\n", 2, "templates[0].id: a template id is 1 to 63 characters");
	fails("templates:\n  - id: t\n    key: k.\n", 3,
	      "templates[0].key: no key 'k.' in keys (none defined;");
	fails("templates:\n  - id: t\n    primaries: []\n", 3,
	      "templates[0].primaries: empty list (leave 'primaries' out for the catalog's)");
	fails("templates:\n  - id: t\n    primaries: [192.0.2.1, 192.0.2.1@53]\n", 3,
	      "templates[0].primaries: '192.0.2.1@53' is listed twice (also as '192.0.2.1')");
	fails("templates:\n  - id: t\n    storage: ''\n", 3, "templates[0].storage: ");
	fails("templates:\n  - id: t\n    file: x\n", 3,
	      "unknown key 'file' in a 'templates' entry (expected one of: id, primaries, "
	      "notify, key, storage)");
	fails("templates:\n  - t\n", 2,
	      "templates: each entry must be a mapping with 'id', not a single value");
	fails("templates:\n  id: t\n", 2,
	      "templates: expected a list of entries (- id: NAME, primaries: ...), got a mapping");
	char text[8192];
	size_t o = (size_t)snprintf(text, sizeof text, "templates:\n");
	for (int i = 0; i <= CFG_TEMPLATES_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "  - id: t%d\n", i);
	fails(text, CFG_TEMPLATES_MAX + 2, "templates: more than 64 templates");
}

Test(cfg, key_errors)
{
	fails("keys:\n  - name: k.\n    algorithm: hmac-md5\n    secret: c2VjcmV0\n", 3,
	      "keys[0].algorithm: hmac-md5 is refused (RFC 8945 section 6: not to be used); write "
	      "one of: hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512");
	fails("keys:\n  - name: k.\n    algorithm: HMAC-MD5.SIG-ALG.REG.INT.\n"
	      "    secret: c2VjcmV0\n", 3, "keys[0].algorithm: hmac-md5 is refused");
	fails("keys:\n  - name: k.\n    algorithm: sha256\n    secret: c2VjcmV0\n", 3,
	      "keys[0].algorithm: 'sha256' is not one of: hmac-sha1, hmac-sha224, hmac-sha256, "
	      "hmac-sha384, hmac-sha512");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: c2VjcmV0!\n", 4,
	      "keys[0].secret: not valid base64: '!' at offset 8; generate one with: openssl "
	      "rand -base64 32");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: c2VjcmV\n", 4,
	      "keys[0].secret: not valid base64: 7 characters, not a multiple of 4 (missing '=' "
	      "padding?)");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: c2Vj=mV0\n", 4,
	      "keys[0].secret: not valid base64: '=' at offset 4, where only the padding at the "
	      "end may be");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: c2V===\n", 4,
	      "'=' at offset 3, where only the padding");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: \"c2Vj cmV0\"\n", 4,
	      "keys[0].secret: not valid base64: white space at offset 4; write the secret in "
	      "one piece");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: ''\n", 4,
	      "keys[0].secret: empty secret; generate one with");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: ====\n", 4,
	      "'=' at offset 0");
	/* 129 bytes */
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: "
	      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7"
	      "PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3"
	      "eHl6e3x9fn+A\n", 4, "keys[0].secret: the secret is 129 bytes long; at most 128 "
				   "allowed");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n", 2,
	      "keys[0]: key 'k.' has no 'secret' (base64) or 'secret-file'; give one");
	fails("keys:\n  - name: k.\n    secret: c2VjcmV0\n", 2,
	      "keys[0]: key 'k.' has no 'algorithm' (one of: hmac-sha1, hmac-sha224, "
	      "hmac-sha256, hmac-sha384, hmac-sha512)");
	fails("keys:\n  - algorithm: hmac-sha256\n    secret: c2VjcmV0\n", 2,
	      "keys[0]: entry has no 'name'");
	fails("keys:\n  - {name: a, algorithm: hmac-sha256, secret: c2VjcmV0}\n"
	      "  - name: b\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n"
	      "    secret-file: /etc/b.key\n", 6, "keys[1]: key 'b.' has both 'secret' (line 5) "
					       "and 'secret-file' (line 6); keep one");
	/* the file is not read then */
	fails("keys:\n  - name: b\n    secret-file: /nonexistent/b.key\n    secret: c2VjcmV0\n"
	      "    algorithm: hmac-sha256\n", 4,
	      "keys[0]: key 'b.' has both 'secret' (line 4) and 'secret-file' (line 3); keep one");
	fails("keys:\n  - {name: a, algorithm: hmac-sha256, secret: c2VjcmV0}\n"
	      "  - name: A.\n    algorithm: hmac-sha1\n    secret: c2VjcmV0\n", 3,
	      "keys[1].name: duplicate key 'a.' (first at line 2)");
	fails("keys:\n  - name: a..b\n", 2, "keys[0].name: 'a..b' is not a valid domain name");
	fails("keys:\n  - name: '@'\n", 2, "keys[0].name: '@' is not a key name here");
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n"
	      "    alg: x\n", 5, "unknown key 'alg' in a 'keys' entry (expected one of: name, "
			       "algorithm, secret, secret-file)");
	fails("keys:\n  - name: k.\n    algorithm: [hmac-sha256]\n", 3,
	      "keys[0].algorithm: expected a string, got a list");
	fails("keys:\n  name: k.\n", 2, "keys: expected a list of entries (- name: NAME, "
					"algorithm: ALG, secret: BASE64), got a mapping");
	fails("keys:\n  - k.\n", 2, "keys: each entry must be a mapping with 'name', 'algorithm' "
				   "and 'secret' or 'secret-file', not a single value");

	/* CFG_KEYS_MAX keys are fine, one more is not */
	static char text[16384];
	size_t o = (size_t)snprintf(text, sizeof text, "keys:\n");
	for (int i = 1; i <= CFG_KEYS_MAX + 1; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "  - {name: k%d., "
				      "algorithm: hmac-sha256, secret: c2VjcmV0}\n", i);
	fails(text, 2 + CFG_KEYS_MAX, "keys: more than 64 keys");
	text[strlen(text) - strlen("  - {name: k65., algorithm: hmac-sha256, secret: c2VjcmV0}\n")]
		= 0;
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nkeys, CFG_KEYS_MAX);
	cr_assert_str_eq(c.keys[63].name, "k64.");
	cfg_free(&c);
}

Test(cfg, secret_file)
{
	struct cfg c;
	char err[1024], want[1024];
	const char *path = write_mode("s.key", SECRET32 "\n", 0600);
	/* absolute, and relative to the configuration's directory */
	snprintf(want, sizeof want, "keys:\n  - name: k.\n    algorithm: hmac-sha384\n"
		 "    secret-file: %s\n  - name: j.\n    algorithm: hmac-sha224\n"
		 "    secret-file: s.key\n", path);
	cr_assert_eq(load(&c, want, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nkeys, 2);
	cr_assert_str_eq(c.keys[0].secret, SECRET32);
	cr_assert_str_eq(c.keys[0].algorithm, "hmac-sha384");
	cr_assert_str_eq(c.keys[1].secret, SECRET32);
	cr_assert_str_eq(c.keys[1].algorithm, "hmac-sha224");
	cfg_free(&c);
	write_mode("s.key", SECRET32, 0400);	/* read-only, no newline */
	cr_assert_eq(load(&c, "keys:\n  - {name: k, algorithm: hmac-sha256, secret-file: s.key}\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.keys[0].secret, SECRET32);
	cfg_free(&c);

	static const char yaml[] =
		"keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret-file: s.key\n";
	static const struct {
		mode_t mode;
		const char *octal;
	} open_modes[] = { { 0644, "0644" }, { 0640, "0640" }, { 0604, "0604" },
			   { 0620, "0620" }, { 0610, "0610" }, { 0601, "0601" } };
	for (size_t i = 0; i < sizeof open_modes / sizeof *open_modes; i++) {
		path = write_mode("s.key", SECRET32 "\n", open_modes[i].mode);
		snprintf(want, sizeof want, "keys[0].secret-file: '%s' may be used by group "
					    "or others (mode %s); make it the owner's alone: "
					    "chmod 600 '%s'", path, open_modes[i].octal, path);
		fails(yaml, 4, want);
	}
	path = write_mode("s.key", "c2VjcmV0!\n", 0600);
	snprintf(want, sizeof want, "keys[0].secret-file: '%s': not valid base64: '!' at "
				    "offset 8", path);
	fails(yaml, 4, want);
	path = write_mode("s.key", " \n\t\n", 0600);
	snprintf(want, sizeof want, "keys[0].secret-file: '%s': empty secret", path);
	fails(yaml, 4, want);
	path = write_mode("s.key", "key \"k.\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET32
			  "\";\n};\n", 0600);
	snprintf(want, sizeof want, "keys[0].secret-file: '%s' holds more than a base64 secret "
				    "(a BIND key file?); write the secret alone in it", path);
	fails(yaml, 4, want);
	static char big[5000];
	memset(big, 'A', sizeof big - 1);
	path = write_mode("s.key", big, 0600);
	snprintf(want, sizeof want, "keys[0].secret-file: '%s' is larger than 4096 bytes", path);
	fails(yaml, 4, want);
	cr_assert_eq(unlink(path), 0);
	snprintf(want, sizeof want, "keys[0].secret-file: '%s': cannot open: No such file or "
				    "directory", path);
	fails(yaml, 4, want);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(want, sizeof want, "keys[0].secret-file: '%s' is not a regular file", path);
	fails(yaml, 4, want);
	cr_assert_eq(rmdir(path), 0);
	fails("keys:\n  - name: k.\n    algorithm: hmac-sha256\n    secret-file: ''\n", 4,
	      "keys[0].secret-file: must not be empty");
}

Test(cfg, transfer_flags)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--zone", "example.com=e.zone",
			  "--zone", "example.net=n.zone",
			  "--primary", "example.com=192.0.2.1",
			  "--primary=example.com.=[2001:db8::1]:5300",
			  "--primary", "Example.NET=2001:db8::2@53",
			  "--key", "hmac-sha256:xfr.example:" SECRET32,
			  "--key=HMAC-SHA1:Other.:c2VjcmV0",
			  "--zone-key", "example.com=xfr.example.",
			  "--zone-key", "example.net=other", NULL), 0, "%s", err);
	cr_assert_eq(c.nkeys, 2);
	cr_assert_str_eq(c.keys[0].name, "xfr.example.");
	cr_assert_str_eq(c.keys[0].algorithm, "hmac-sha256");
	cr_assert_str_eq(c.keys[0].secret, SECRET32);
	cr_assert_str_eq(c.keys[1].name, "other.");
	cr_assert_str_eq(c.keys[1].algorithm, "hmac-sha1");
	cr_assert_eq(c.nzones, 2);
	cr_assert_eq(c.zones[0].nprimaries, 2);
	check_remote(&c.zones[0].primaries[0], AF_INET, "192.0.2.1", 53, "192.0.2.1");
	check_remote(&c.zones[0].primaries[1], AF_INET6, "2001:db8::1", 5300, "[2001:db8::1]:5300");
	cr_assert_eq(c.zones[0].key, 0);
	cr_assert_eq(c.zones[1].nprimaries, 1);
	check_remote(&c.zones[1].primaries[0], AF_INET6, "2001:db8::2", 53, "2001:db8::2@53");
	cr_assert_eq(c.zones[1].key, 1);
	cfg_free(&c);

	/* zones made by --zone: no primaries, notify or key */
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--zone", "a.example=a", NULL), 0, "%s", err);
	cr_assert_eq(c.zones[0].key, -1);
	cr_assert_eq(c.zones[0].nprimaries, 0);
	cr_assert_eq(c.zones[0].nnotify, 0);
	cfg_free(&c);

	/* with a file: --key replaces the file's key of that name, --primary
	 * replaces the zone's primaries, --zone-key its key, --zone its file */
	write_mode("f.key", "c2VjcmV0\n", 0600);
	const char *path = zt_write(dir, "x.yaml",
				    "keys:\n"
				    "  - {name: a., algorithm: hmac-sha256, secret-file: f.key}\n"
				    "  - {name: b., algorithm: hmac-sha256, secret: c2VjcmV0}\n"
				    "zones:\n"
				    "  - name: one.example\n    file: one.zone\n"
				    "    primaries: [192.0.2.1, 192.0.2.2]\n"
				    "    notify: 192.0.2.9\n    key: a.\n"
				    "  - name: two.example\n    file: two.zone\n"
				    "    primaries: 192.0.2.3\n    key: b.\n");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", path, NULL), 0, "%s", err);
	cr_assert_eq(c.nkeys, 2);
	cr_assert_str_eq(c.keys[0].secret, "c2VjcmV0");
	cr_assert_eq(c.zones[0].nprimaries, 2);
	cr_assert_eq(c.zones[0].nnotify, 1);
	cr_assert_eq(c.zones[0].key, 0);
	cr_assert_eq(c.zones[1].key, 1);
	cfg_free(&c);
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--primary", "one.example=192.0.2.7@5300",
			  "--key", "hmac-sha512:a.:" SECRET32, "--key", "hmac-sha256:c.:c2VjcmV0",
			  "--zone-key", "two.example=c.", "--zone", "one.example=/srv/one.zone",
			  "--config", path, NULL), 0, "%s", err);
	cr_assert_eq(c.nkeys, 3);
	cr_assert_str_eq(c.keys[0].name, "a.");
	cr_assert_str_eq(c.keys[0].algorithm, "hmac-sha512");
	cr_assert_str_eq(c.keys[0].secret, SECRET32);
	cr_assert_str_eq(c.keys[2].name, "c.");
	cr_assert_str_eq(c.zones[0].file, "/srv/one.zone");
	cr_assert_eq(c.zones[0].nprimaries, 1);
	check_remote(&c.zones[0].primaries[0], AF_INET, "192.0.2.7", 5300, "192.0.2.7@5300");
	cr_assert_eq(c.zones[0].nnotify, 1);	/* from the file */
	cr_assert_eq(c.zones[0].key, 0);	/* the file's, now with the flag's secret */
	cr_assert_eq(c.zones[1].nprimaries, 1);	/* no --primary for it */
	check_remote(&c.zones[1].primaries[0], AF_INET, "192.0.2.3", 53, "192.0.2.3");
	cr_assert_eq(c.zones[1].key, 2);
	cfg_free(&c);

	flag_fails("--primary: no zone 'x.example.'; give it with --zone x.example.=FILE or in "
		   "the file's zones", "--zone", "a.example=a", "--primary", "x.example=192.0.2.1",
		   NULL);
	flag_fails("--primary: 'a.example' is not ZONE=ADDR[@PORT]", "--primary", "a.example",
		   NULL);
	flag_fails("--primary: 'a.example=' is not ZONE=ADDR[@PORT]", "--primary=a.example=",
		   NULL);
	flag_fails("--primary: 'a..b' is not a valid domain name: empty label (two dots in a "
		   "row, or a leading dot)", "--primary", "a..b=192.0.2.1", NULL);
	flag_fails("--primary: zone 'a.example.': '192.0.2.1:53' is given twice (also as "
		   "'192.0.2.1')", "--zone", "a.example=a", "--primary", "a.example=192.0.2.1",
		   "--primary", "a.example=192.0.2.1:53", NULL);
	flag_fails("--primary: zone 'a.example.': 'host.example': 'host.example' is not an IPv4 "
		   "or IPv6 address (names are not resolved)", "--primary",
		   "a.example=host.example", NULL);
	flag_fails("--key: not ALG:NAME:SECRET (e.g. hmac-sha256:xfr.example.:BASE64)", "--key",
		   "xfr.example:c2VjcmV0", NULL);
	flag_fails("--key: not ALG:NAME:SECRET (e.g. hmac-sha256:xfr.example.:BASE64)", "--key",
		   "hmac-sha256::c2VjcmV0", NULL);
	flag_fails("--key: hmac-md5 is refused (RFC 8945 section 6: not to be used); write one "
		   "of: hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512", "--key",
		   "hmac-md5:k.:c2VjcmV0", NULL);
	flag_fails("--key: 'md5' is not one of: hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, "
		   "hmac-sha512", "--key", "md5:k.:c2VjcmV0", NULL);
	flag_fails("--key: key 'k.': not valid base64: 7 characters, not a multiple of 4 "
		   "(missing '=' padding?)", "--key", "hmac-sha256:k:c2VjcmV", NULL);
	flag_fails("--key: key 'k.': empty secret; generate one with: openssl rand -base64 32",
		   "--key", "hmac-sha256:k.:", NULL);
	flag_fails("--key: key 'k.': not valid base64: ':' at offset 8; generate one with: "
		   "openssl rand -base64 32", "--key", "hmac-sha256:k.:c2VjcmV0:x", NULL);
	flag_fails("--key: key 'k.' is given twice", "--key", "hmac-sha256:k.:c2VjcmV0", "--key",
		   "hmac-sha1:K:c2VjcmV0", NULL);
	flag_fails("--zone-key: no zone 'b.example.'; give it with --zone b.example.=FILE or in "
		   "the file's zones", "--key", "hmac-sha256:k.:c2VjcmV0", "--zone-key",
		   "b.example=k", NULL);
	flag_fails("--zone-key: no key 'j.' (defined: k., l.)", "--zone", "a.example=a", "--key",
		   "hmac-sha256:k.:c2VjcmV0", "--key", "hmac-sha256:l.:c2VjcmV0", "--zone-key",
		   "a.example=j", NULL);
	flag_fails("--zone-key: no key 'j.' (none defined; give it with --key ALG:NAME:SECRET or "
		   "in the file's keys)", "--zone", "a.example=a", "--zone-key", "a.example=j",
		   NULL);
	flag_fails("--zone-key: zone 'a.example.' is given twice", "--zone-key", "a.example=j",
		   "--zone-key", "A.example.=k", NULL);
	flag_fails("--zone-key: 'a.example' is not ZONE=KEYNAME", "--zone-key", "a.example", NULL);
	flag_fails("--zone-key: 'a..b' is not a valid domain name: empty label (two dots in a "
		   "row, or a leading dot)", "--zone-key", "a.example=a..b", NULL);

	/* CFG_REMOTE_MAX primaries a zone, CFG_KEYS_MAX keys */
	static const char *const zone[] = { "--zone", "a.example=a", NULL };
	too_many(zone, "--primary=a.example=192.0.2.%d", CFG_REMOTE_MAX,
		 "--primary: zone 'a.example.': '192.0.2.9': more than 8 primaries");
}

Test(cfg, too_many_key_flags)
{
	char *argv[CFG_KEYS_MAX + 3], flag[CFG_KEYS_MAX + 2][64];
	int n = 0;
	argv[n++] = "ringdns";
	for (int i = 1; i <= CFG_KEYS_MAX + 1; i++) {
		snprintf(flag[i], sizeof flag[i], "--key=hmac-sha256:k%d.:c2VjcmV0", i);
		argv[n++] = flag[i];
	}
	argv[n] = NULL;
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(cfg_from_args(&c, n, argv, NULL, err, sizeof err), -1);
	cr_assert_str_eq(err, "--key: more than 64 keys");
	cr_assert_eq(cfg_from_args(&c, n - 1, argv, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nkeys, CFG_KEYS_MAX);
	cfg_free(&c);
}

/* The transfer size limits: from the file, the flags over it, bounds. */
Test(cfg, transfer_limits)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, "server:\n  xfr-max-mb: 1\n  journal-max-mb: 0\n", err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(c.xfr_max_mb, 1);
	cr_assert_eq(c.journal_max_mb, 0);
	cfg_free(&c);
	fails("server:\n  xfr-max-mb: 0\n", 2, "xfr-max-mb");
	fails("server:\n  journal-max-mb: 70000\n", 2, "journal-max-mb");
	char *argv[] = { "ringdns", "--xfr-max-mb", "7", "--journal-max-mb", "9", NULL };
	cfg_init(&c);
	cr_assert_eq(cfg_from_args(&c, 5, argv, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.xfr_max_mb, 7);
	cr_assert_eq(c.journal_max_mb, 9);
	cfg_free(&c);
}

/* The zones with counters of their own: from the file and the flag, 0
 * allowed (off), bounded. */
Test(cfg, zone_counters)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, "server:\n  zone-counters: 0\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.zone_counters, 0);
	cfg_free(&c);
	fails("server:\n  zone-counters: 2000000\n", 2, "zone-counters");
	char *argv[] = { "ringdns", "--zone-counters", "10", NULL };
	cfg_init(&c);
	cr_assert_eq(cfg_from_args(&c, 3, argv, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.zone_counters, 10);
	cfg_free(&c);
}

/* The resource limits: defaults, the file, the flags, the ranges. */
Test(cfg, resource_limits)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(c.zone_max_mb, 4096);
	cr_assert_eq(c.zone_max_records, 50000000);
	cr_assert_eq(c.control_max_clients, 16);
	cr_assert_eq(c.snapshot_max_mb, 0, "half the memory unless set");
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  zone-max-mb: 1\n  zone-max-records: 4000000000\n"
			  "  control-max-clients: 1\n  snapshot-max-mb: 1048576\n", err,
			  sizeof err), 0, "%s", err);
	cr_assert_eq(c.zone_max_mb, 1);
	cr_assert_eq(c.zone_max_records, 4000000000u);
	cr_assert_eq(c.control_max_clients, 1);
	cr_assert_eq(c.snapshot_max_mb, 1048576);
	cfg_free(&c);
	fails("server:\n  zone-max-mb: 0\n", 2, "zone-max-mb");
	fails("server:\n  zone-max-records: 0\n", 2, "zone-max-records");
	fails("server:\n  control-max-clients: 1025\n", 2, "control-max-clients");
	fails("server:\n  snapshot-max-mb: 0\n", 2, "snapshot-max-mb");
	char *argv[] = { "ringdns", "--zone-max-mb", "7", "--zone-max-records", "9",
			 "--control-max-clients", "3", "--snapshot-max-mb", "5", NULL };
	cfg_init(&c);
	cr_assert_eq(cfg_from_args(&c, 9, argv, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.zone_max_mb, 7);
	cr_assert_eq(c.zone_max_records, 9);
	cr_assert_eq(c.control_max_clients, 3);
	cr_assert_eq(c.snapshot_max_mb, 5);
	cfg_free(&c);
}

/* ---- zone transfers over TLS (RFC 9103) ---------------------------------- */

Test(cfg, xot_primaries)
{
	const char *ca = zt_write(dir, "ca.pem", "not checked here\n");
	char text[2048], err[512];
	snprintf(text, sizeof text,
		 "zones:\n"
		 "  - name: a.example\n"
		 "    file: a\n"
		 "    primaries:\n"
		 "      - 192.0.2.1\n"
		 "      - address: 192.0.2.2@853\n"
		 "        tls: strict\n"
		 "        tls-ca: %s\n"
		 "        tls-name: Primary.Example.\n"
		 "      - {address: \"[2001:db8::2]:853\", tls: opportunistic}\n"
		 "      - {address: 192.0.2.3, tls: off}\n"
		 "      - {address: 192.0.2.4@853, tls: STRICT}\n", ca);
	struct cfg c;
	cr_assert_eq(load(&c, text, err, sizeof err), 0, "%s", err);
	const struct cfg_zone *z = &c.zones[0];
	cr_assert_eq(z->nprimaries, 5);
	cr_assert_null(z->primaries[0].tls);
	check_remote(&z->primaries[1], AF_INET, "192.0.2.2", 853, "192.0.2.2@853");
	cr_assert_eq(z->primaries[1].tls->mode, CFG_TLS_STRICT);
	cr_assert_str_eq(z->primaries[1].tls->ca_file, ca);
	cr_assert_str_eq(z->primaries[1].tls->name, "Primary.Example");	/* no final dot */
	check_remote(&z->primaries[2], AF_INET6, "2001:db8::2", 853, "[2001:db8::2]:853");
	cr_assert_eq(z->primaries[2].tls->mode, CFG_TLS_OPPORTUNISTIC);
	cr_assert_str_eq(z->primaries[2].tls->ca_file, "");
	cr_assert_null(z->primaries[3].tls);
	cr_assert_eq(z->primaries[4].tls->mode, CFG_TLS_STRICT);
	cr_assert_str_eq(z->primaries[4].tls->ca_file, "");	/* the system's store */
	cr_assert_str_eq(z->primaries[4].tls->name, "");	/* the address */

	/* a second file replaces the zone: its TLS settings go with it */
	cr_assert_eq(cfg_load_file(&c, zt_write(dir, "b.yaml", "zones:\n  - name: a.example\n"
					       "    file: a\n    primaries: {address: 192.0.2.9, "
					       "tls: opportunistic}\n"), err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(c.zones[0].nprimaries, 1);
	cr_assert_eq(c.zones[0].primaries[0].tls->mode, CFG_TLS_OPPORTUNISTIC);
	cfg_free(&c);
	cfg_free(&c);	/* harmless */
}

/* A catalog's primaries over TLS, taken by its members (a template without
 * primaries): each member's copy owns its own TLS settings. */
Test(cfg, catalog_tls_primaries_copied)
{
	char err[512];
	struct cfg c;
	cr_assert_eq(load(&c,
			  "zones:\n"
			  "  - name: cat.example\n"
			  "    file: cat\n"
			  "    primaries:\n"
			  "      - {address: 192.0.2.2@853, tls: strict, tls-name: p.example}\n"
			  "      - 192.0.2.3\n"
			  "    catalog: true\n"
			  "    catalog-template: t\n"
			  "templates:\n"
			  "  - id: t\n",
			  err, sizeof err), 0, "%s", err);
	const struct cfg_zone *z = &c.zones[0];
	cr_assert_eq(z->nprimaries, 2);
	struct cfg_remote copy[CFG_REMOTE_MAX];
	unsigned n = z->nprimaries;
	cr_assert_eq(cfg_remotes_copy(copy, z->primaries, n), 0);
	cr_assert_neq(copy[0].tls, z->primaries[0].tls);
	cr_assert_str_eq(copy[0].tls->name, "p.example");
	cr_assert_null(copy[1].tls);
	cfg_free(&c);			/* frees the zone's own */
	cr_assert_str_eq(copy[0].tls->name, "p.example");
	cfg_remotes_free(copy, &n);	/* and the copy its own (ASan: no double free) */
	cr_assert_eq(n, 0);
}

Test(cfg, xot_primaries_errors)
{
	const char *head = "zones:\n  - name: a.example\n    file: a\n    primaries:\n";
	char text[1024];
	snprintf(text, sizeof text, "%s      - {tls: strict}\n", head);
	fails(text, 5, "zones[0].primaries: entry has no 'address'");
	snprintf(text, sizeof text, "%s      - {address: 192.0.2.1, tls: maybe}\n", head);
	fails(text, 5, "zones[0].primaries.tls: 'maybe' is not one of: strict, opportunistic, off");
	snprintf(text, sizeof text, "%s      - {address: 192.0.2.1, tls: opportunistic, "
		 "tls-name: ns.example}\n", head);
	fails(text, 5, "zones[0].primaries: 'tls-ca' and 'tls-name' are for 'tls: strict'");
	snprintf(text, sizeof text, "%s      - {address: 192.0.2.1, tls-ca: %s/ringdns.yaml}\n",
		 head, dir);
	fails(text, 5, "'tls-ca' and 'tls-name' are for 'tls: strict'");
	snprintf(text, sizeof text, "%s      - {address: 192.0.2.1, tls: strict, "
		 "tls-ca: %s/missing.pem}\n", head, dir);
	fails(text, 5, "missing.pem: cannot read: No such file or directory");
	snprintf(text, sizeof text, "%s      - {address: 192.0.2.1, tls: strict, "
		 "tls-name: \"a b\"}\n", head);
	fails(text, 5, "zones[0].primaries.tls-name: 'a b': a host name or IP address has no ' '");
	snprintf(text, sizeof text, "%s      - {address: ns.example, tls: strict}\n", head);
	fails(text, 5, "zones[0].primaries: 'ns.example': 'ns.example' is not an IPv4 or IPv6 "
	      "address");
	snprintf(text, sizeof text, "%s      - {address: 192.0.2.1, tls: [strict]}\n", head);
	fails(text, 5, "zones[0].primaries.tls: expected a string, got a list");
	snprintf(text, sizeof text, "%s      - 192.0.2.1@853\n"
		 "      - {address: 192.0.2.1@853, tls: opportunistic}\n", head);
	fails(text, 6, "'192.0.2.1@853' is listed twice");
	/* notify goes in the clear: no mapping there */
	fails("zones:\n  - name: a.example\n    file: a\n    notify:\n"
	      "      - {address: 192.0.2.1}\n", 5,
	      "zones[0].notify: each entry must be ADDR[@PORT], not a mapping");
}

Test(cfg, xot_listen)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(load(&c, "server:\n  xot-listen: [\"127.0.0.1:853\", \"[::1]:853\"]\n"
			  "  tls-cert: /etc/ringdns/cert.pem\n  tls-key: /etc/ringdns/key.pem\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.nxot_listen, 2);
	check_v4(&c.xot_listen[0], "127.0.0.1", 853);
	check_v6(&c.xot_listen[1], "::1", 853);
	cr_assert_str_eq(c.tls_cert, "/etc/ringdns/cert.pem");
	cr_assert_str_eq(c.tls_key, "/etc/ringdns/key.pem");
	cr_assert_eq(c.nlisten, 0);	/* DNS's own listen addresses untouched */
	cfg_free(&c);
	fails("server:\n  xot-listen: 127.0.0.1\n", 2,
	      "server.xot-listen: '127.0.0.1': missing ':PORT'");
	fails("server:\n  xot-listen: []\n", 2,
	      "server.xot-listen: empty list (leave 'xot-listen' out for no zone transfers "
	      "over TLS)");
}

Test(cfg, xot_flags)
{
	const char *conf = zt_write(dir, "x.yaml", "server:\n  xot-listen: 127.0.0.1:8853\n"
				    "  tls-cert: c.pem\n  tls-key: k.pem\n");
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", conf, "--xot-listen",
			  "127.0.0.1:9853", "--xot-listen", "[::1]:9853", "--tls-key", "k2.pem",
			  NULL), 0, "%s", err);
	cr_assert_eq(c.nxot_listen, 2);	/* the flags replace the file's list */
	check_v4(&c.xot_listen[0], "127.0.0.1", 9853);
	check_v6(&c.xot_listen[1], "::1", 9853);
	cr_assert_str_eq(c.tls_cert, "c.pem");
	cr_assert_str_eq(c.tls_key, "k2.pem");
	cfg_free(&c);
	flag_fails("--xot-listen (server.xot-listen) needs the server's certificate and key: "
		   "give --tls-cert FILE and --tls-key FILE (server.tls-cert, server.tls-key)",
		   "--xot-listen", "127.0.0.1:853", "--tls-cert", "c.pem", NULL);
	flag_fails("--tls-cert (server.tls-cert) is for zone transfers over TLS: give "
		   "--xot-listen ADDR:PORT (server.xot-listen) too",
		   "--tls-cert", "c.pem", "--tls-key", "k.pem", NULL);
	flag_fails("--xot-listen: '127.0.0.1:853' is given twice", "--xot-listen",
		   "127.0.0.1:853", "--xot-listen", "127.0.0.1:853", NULL);
}

Test(cfg, metrics_listen)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_null(c.metrics_listen);	/* off by default */
	cfg_free(&c);
	cr_assert_eq(load(&c, "server:\n  metrics-listen: \"[::1]:9153\"\n", err, sizeof err), 0,
		     "%s", err);
	cr_assert_str_eq(c.metrics_listen, "[::1]:9153");
	cfg_free(&c);
	fails("server:\n  metrics-listen: 127.0.0.1\n", 2,
	      "server.metrics-listen: missing ':PORT' (e.g. 127.0.0.1:53)");
	const char *conf = zt_write(dir, "m.yaml", "server:\n  metrics-listen: 127.0.0.1:9153\n");
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", conf, "--metrics-listen",
			  "127.0.0.1:9154", NULL), 0, "%s", err);
	cr_assert_str_eq(c.metrics_listen, "127.0.0.1:9154");	/* the flag wins */
	cfg_free(&c);
	flag_fails("--metrics-listen: 'localhost' is not an IPv4 address (names are not resolved)",
		   "--metrics-listen", "localhost:9153", NULL);
}

Test(cfg, xot_primary_flags_replace_tls)
{
	const char *conf = zt_write(dir, "p.yaml", "zones:\n  - name: a.example\n    file: a\n"
				    "    primaries: {address: 192.0.2.1@853, tls: opportunistic}\n");
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--config", conf, "--primary",
			  "a.example=192.0.2.5", NULL), 0, "%s", err);
	cr_assert_eq(c.zones[0].nprimaries, 1);
	cr_assert_null(c.zones[0].primaries[0].tls);	/* freed with the file's list */
	cfg_free(&c);
}

Test(cfg, dnstap)
{
	struct cfg c;
	char err[512], want[256];
	cfg_init(&c);
	cr_assert_null(c.dnstap_socket);
	cr_assert_null(c.dnstap_file);
	cr_assert_eq(c.dnstap_sample, 1);
	cr_assert(c.dnstap_queries && c.dnstap_responses);
	cfg_free(&c);
	cr_assert_eq(load(&c, "dnstap:\n  socket: /run/tap.sock\n  sample: 100\n"
			      "  queries: false\n  identity: ns1\n  version: v\n",
			  err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.dnstap_socket, "/run/tap.sock");
	cr_assert_null(c.dnstap_file);
	cr_assert_eq(c.dnstap_sample, 100);
	cr_assert(!c.dnstap_queries && c.dnstap_responses);
	cr_assert_str_eq(c.dnstap_identity, "ns1");
	cr_assert_str_eq(c.dnstap_version, "v");
	cfg_free(&c);
	/* a file relative to the configuration file's directory */
	cr_assert_eq(load(&c, "dnstap:\n  file: tap.fstrm\n", err, sizeof err), 0, "%s", err);
	snprintf(want, sizeof want, "%s/tap.fstrm", dir);
	cr_assert_str_eq(c.dnstap_file, want);
	cfg_free(&c);
	fails("dnstap:\n  sample: 10\n", 2, "dnstap: give either 'socket: PATH'");
	fails("dnstap:\n  socket: /a\n  file: /b\n", 2, "not both");
	fails("dnstap:\n  file: /b\n  sample: 0\n", 3, "dnstap.sample");
	fails("dnstap:\n  file: /b\n  responses: 3\n", 3, "dnstap.responses");
	fails("dnstap:\n  fille: /b\n", 2, "did you mean 'file'?");
}

/* ---- rate-limit ---------------------------------------------------------- */

Test(cfg, rate_limit_defaults_and_file)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(c.rrl.rate, 0, "off by default");
	cr_assert_eq(c.rrl.slip, 2);
	cr_assert_eq(c.rrl.ipv4_prefix, 24);
	cr_assert_eq(c.rrl.ipv6_prefix, 56);
	cr_assert_eq(c.rrl.nxdomain_rate, CFG_RRL_SAME, "a class: responses-per-second");
	cr_assert_eq(c.rrl.error_rate, CFG_RRL_SAME);
	cfg_free(&c);
	cr_assert_eq(load(&c,
			  "rate-limit:\n"
			  "  responses-per-second: 20\n"
			  "  nxdomains-per-second: 5\n"
			  "  errors-per-second: 0\n"
			  "  slip: 0\n"
			  "  ipv4-prefix: 32\n"
			  "  ipv6-prefix: 48\n"
			  "  table-size: 1024\n"
			  "  log-only: true\n"
			  "  allow: [198.18.0.0/24, 2001:db8::/32]\n",
			  err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(c.rrl.rate, 20);
	cr_assert_eq(c.rrl.nxdomain_rate, 5);
	cr_assert_eq(c.rrl.error_rate, 0);
	cr_assert_eq(c.rrl.referral_rate, CFG_RRL_SAME);
	cr_assert_eq(c.rrl.nodata_rate, CFG_RRL_SAME);
	cr_assert_eq(c.rrl.slip, 0);
	cr_assert_eq(c.rrl.ipv4_prefix, 32);
	cr_assert_eq(c.rrl.ipv6_prefix, 48);
	cr_assert_eq(c.rrl.table_size, 1024);
	cr_assert(c.rrl.log_only);
	cr_assert_eq(c.rrl.nallow, 2);
	check_prefix(&c.rrl.allow[0], "::ffff:198.18.0.0", 120, "198.18.0.0/24");
	check_prefix(&c.rrl.allow[1], "2001:db8::", 32, "2001:db8::/32");
	cfg_free(&c);
}

Test(cfg, rate_limit_errors)
{
	fails("rate-limit:\n  responses-per-second: 100001\n", 2,
	      "rate-limit.responses-per-second:");
	fails("rate-limit:\n  ipv4-prefix: 33\n", 2, "rate-limit.ipv4-prefix:");
	fails("rate-limit:\n  slipp: 1\n", 2, "did you mean 'slip'?");
	fails("rate-limit:\n  referrals-per-second: 100001\n", 2,
	      "rate-limit.referrals-per-second:");
	fails("rate-limit:\n  allow: [198.18.0.0/33]\n", 2, "rate-limit.allow:");
}

Test(cfg, rate_limit_flags)
{
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(args(&c, err, sizeof err, NULL, "--rate-limit", "50", "--rate-limit-slip", "3",
			  "--rate-limit-log-only", NULL),
		     0, "%s", err);
	cr_assert_eq(c.rrl.rate, 50);
	cr_assert_eq(c.rrl.slip, 3);
	cr_assert(c.rrl.log_only);
	cr_assert_neq(args(&c, err, sizeof err, NULL, "--rate-limit-slip", "101", NULL), 0);
	cr_assert(strstr(err, "--rate-limit-slip"), "%s", err);
	cfg_free(&c);
}

/* cfg_load_mem reads text as cfg_load_file reads the file: the same
 * settings, zone paths relative to the name given, errors prefixed with
 * it; the text need not end with a NUL. */
Test(cfg, load_mem_as_file)
{
	static const char text[] = "server:\n  workers: 3\nzones:\n  - name: example.com\n"
				   "    file: example.com.zone\n";
	struct cfg c;
	char err[512];
	cfg_init(&c);
	cr_assert_eq(cfg_load_mem(&c, "/etc/ringdns/x.yaml", text, sizeof text - 1, err,
				  sizeof err), 0, "%s", err);
	cr_assert_eq(c.workers, 3);
	cr_assert_eq(c.nzones, 1);
	cr_assert_str_eq(c.zones[0].file, "/etc/ringdns/example.com.zone");
	cr_assert_str_eq(c.source, "/etc/ringdns/x.yaml");
	cfg_free(&c);
	/* cut inside a value: no NUL follows, nothing past len is read */
	char *cut = malloc(21);
	memcpy(cut, "server:\n  workers: 3", 20);
	cut[20] = '7';
	cfg_init(&c);
	cr_assert_eq(cfg_load_mem(&c, "x.yaml", cut, 20, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.workers, 3);
	cfg_free(&c);
	free(cut);
	cfg_init(&c);
	cr_assert_eq(cfg_load_mem(&c, "x.yaml", "server: [", 9, err, sizeof err), -1);
	cr_assert(strncmp(err, "x.yaml:", 7) == 0, "%s", err);
	cfg_free(&c);
}
