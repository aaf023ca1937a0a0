/*
 * fuzz_config.c - libFuzzer target: the configuration loader
 * (common/cfg.c).  The first byte chooses the input's use:
 *   even: YAML text for cfg_load_mem (the loader of cfg_load_file), read
 *         as /etc/ringdns/fuzz.yaml; an accepted configuration is loaded
 *         a second time on top of itself, which must succeed and replace
 *         every key and zone by name (the counts stay);
 *   odd:  command-line flags for cfg_from_args, split at NUL bytes
 *         (--config is left out: it would read a file per input).
 * Invariants beyond no crash, no sanitizer report, no leak: every
 * accepted configuration is consistent (counts within their arrays, key
 * and template indices in range, every key makes a TSIG key, zone names
 * absolute and unique, prefixes canonical) and cfg_free cleans it, twice.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/fuzz/fuzz.h"
#include "common/cfg.h"
#include "common/tsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARGS_MAX 64

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static void check_remotes(const struct cfg_remote *r, unsigned n)
{
	fz_check(n <= CFG_REMOTE_MAX, "remotes within their array");
	for (unsigned i = 0; i < n; i++) {
		fz_check(r[i].addr.ss_family == AF_INET || r[i].addr.ss_family == AF_INET6,
		      "a remote is an IP address");
		fz_check(terminated(r[i].text, sizeof r[i].text), "a remote's text ends");
		if (r[i].tls)
			fz_check(terminated(r[i].tls->name, sizeof r[i].tls->name),
			      "a TLS name ends");
	}
}

static void check_keys(const struct cfg *c)
{
	fz_check(c->nkeys <= CFG_KEYS_MAX, "keys within the limit");
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct cfg_key *k = &c->keys[i];
		struct tsig_key tk;
		char err[256];
		fz_check(terminated(k->name, sizeof k->name) && terminated(k->algorithm,
			sizeof k->algorithm) && terminated(k->secret, sizeof k->secret),
		      "a key's strings end");
		if (tsig_key_make(&tk, k->name, k->algorithm, k->secret, err, sizeof err) != 0)
			fprintf(stderr, "key %s: %s\n", k->name, err);
		fz_check(tsig_key_make(&tk, k->name, k->algorithm, k->secret, err, sizeof err) == 0,
		      "an accepted key makes a TSIG key");
		for (size_t j = 0; j < i; j++)
			fz_check(strcasecmp(c->keys[j].name, k->name) != 0, "key names are unique");
	}
}

static void check_zones(const struct cfg *c)
{
	for (size_t i = 0; i < c->nzones; i++) {
		const struct cfg_zone *z = &c->zones[i];
		size_t l = strnlen(z->name, sizeof z->name);
		fz_check(l > 0 && l < sizeof z->name && z->name[l - 1] == '.',
		      "a zone's name is absolute");
		fz_check(z->file != NULL, "a zone has a file");
		fz_check(z->key >= -1 && z->key < (int)c->nkeys, "a zone's key is in range");
		fz_check(z->catalog_template >= -1 && z->catalog_template < (int)c->ntemplates,
		      "a catalog's template is in range");
		check_remotes(z->primaries, z->nprimaries);
		check_remotes(z->notify, z->nnotify);
		for (size_t j = 0; j < i; j++)
			fz_check(strcasecmp(c->zones[j].name, z->name) != 0, "zone names are unique");
	}
	fz_check(c->ntemplates <= CFG_TEMPLATES_MAX, "templates within the limit");
	for (size_t i = 0; i < c->ntemplates; i++) {
		const struct cfg_template *t = &c->templates[i];
		fz_check(terminated(t->id, sizeof t->id), "a template's id ends");
		fz_check(t->key >= -1 && t->key < (int)c->nkeys, "a template's key is in range");
		check_remotes(t->primaries, t->nprimaries);
		check_remotes(t->notify, t->nnotify);
	}
}

static void check_prefixes(const struct cfg_prefix *p, unsigned n)
{
	fz_check(n <= CFG_PREFIX_MAX, "prefixes within their array");
	for (unsigned i = 0; i < n; i++) {
		fz_check(p[i].len <= 128, "a prefix length is at most 128");
		for (unsigned b = p[i].len; b < 128; b++)
			fz_check(!(p[i].addr[b / 8] & (0x80 >> (b % 8))), "a prefix's host bits are 0");
	}
}

static void check_cfg(const struct cfg *c)
{
	fz_check(c->nlisten <= CFG_LISTEN_MAX && c->nxot_listen <= CFG_LISTEN_MAX &&
	      c->naddresses <= 2 * CFG_ADDRESS_MAX, "listeners within their arrays");
	fz_check(c->max_udp_payload >= 512 && c->max_udp_payload <= 65535,
	      "max-udp-payload within 512..65535");
	check_prefixes(c->allow_transfer, c->nallow_transfer);
	check_prefixes(c->rrl.allow, c->rrl.nallow);
	check_keys(c);
	check_zones(c);
}

static void yaml(const char *text, size_t len)
{
	static const char path[] = "/etc/ringdns/fuzz.yaml";
	struct cfg c;
	char err[1024];
	cfg_init(&c);
	if (cfg_load_mem(&c, path, text, len, err, sizeof err) == 0) {
		check_cfg(&c);
		size_t nkeys = c.nkeys, nzones = c.nzones;
		if (cfg_load_mem(&c, path, text, len, err, sizeof err) != 0)
			fprintf(stderr, "loaded again: %s\n", err);
		fz_check(cfg_load_mem(&c, path, text, len, err, sizeof err) == 0,
		      "an accepted configuration loads again on top of itself");
		fz_check(c.nkeys == nkeys && c.nzones == nzones,
		      "loading again replaces the keys and zones by name");
		check_cfg(&c);
	} else {
		fz_check(strncmp(err, path, sizeof path - 1) == 0, "an error names the file");
	}
	cfg_free(&c);
	cfg_free(&c);
}

static void args(char *text, size_t len)
{
	char *argv[ARGS_MAX + 2];
	int argc = 0;
	argv[argc++] = "ringdns";
	for (size_t i = 0; i <= len && argc <= ARGS_MAX;) {
		char *a = text + i;
		size_t l = strlen(a);
		if (strncmp(a, "--config", 8) == 0)
			return;
		argv[argc++] = a;
		i += l + 1;
	}
	argv[argc] = NULL;
	static const char *const passthru[] = { "--dp-fd", NULL };
	struct cfg c;
	char err[1024];
	cfg_init(&c);
	if (cfg_from_args(&c, argc, argv, passthru, err, sizeof err) == 0)
		check_cfg(&c);
	else
		fz_check(err[0] != 0, "a refusal says why");
	cfg_free(&c);
	cfg_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* a copy that ends with a NUL, past which nothing is read */
	char *text = fz_text(data + 1, size - 1);
	if (!text)
		return 0;
	if (data[0] % 2 == 0)
		yaml(text, size - 1);
	else
		args(text, size - 1);
	free(text);
	return 0;
}
