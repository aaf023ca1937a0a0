/*
 * zt.c - helpers shared by the zone-file tests (see zt.h).
 */
#include "tests/zt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/rdata.h"
#include "zones/zonefile.h"

static void collect(void *ud, enum diag_sev sev, const char *file, unsigned line,
		    const char *msg)
{
	struct zt *t = ud;
	size_t l = strlen(t->msgs);
	snprintf(t->msgs + l, sizeof t->msgs - l, "%s:%u: %s: %s\n", file ? file : "-",
		 line, sev == DIAG_ERROR ? "error" : "warning", msg);
}

static void zt_begin(struct zt *t, const char *origin, uint8_t o[DNAME_MAX])
{
	memset(t, 0, sizeof *t);
	t->d.fn = collect;
	t->d.ud = t;
	if (dname_from_text(o, origin, strlen(origin), (const uint8_t *)"") < 0)
		abort();
	t->z = zone_new(o, &t->d);
}

static void zt_end(struct zt *t)
{
	t->errors = zone_finish(t->z);
	zone_get_stats(t->z, &t->st);
}

void zt_load(struct zt *t, const char *origin, const char *name, const char *text)
{
	uint8_t o[DNAME_MAX];
	zt_begin(t, origin, o);
	struct zf_options opt = { .origin = o };
	zf_parse_mem(name, text, strlen(text), &opt, zone_add_cb, t->z, &t->d);
	zt_end(t);
}

void zt_load_expect(struct zt *t, const char *origin, const char *name, const char *text,
		    uint64_t bytes)
{
	uint8_t o[DNAME_MAX];
	zt_begin(t, origin, o);
	zone_expect(t->z, bytes);
	struct zf_options opt = { .origin = o };
	zf_parse_mem(name, text, strlen(text), &opt, zone_add_cb, t->z, &t->d);
	zt_end(t);
}

void zt_load_file(struct zt *t, const char *origin, const char *path)
{
	uint8_t o[DNAME_MAX];
	zt_begin(t, origin, o);
	struct zf_options opt = { .origin = o };
	zf_parse_file(path, &opt, zone_add_cb, t->z, &t->d);
	zt_end(t);
}

void zt_free(struct zt *t)
{
	zone_free(t->z);
	t->z = NULL;
}

struct count {
	uint8_t owner[DNAME_MAX];
	uint16_t type;
	const char *rdata;
	int n;
	uint32_t ttl;
};

static int count_rr(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
		    const uint8_t *rd, uint16_t rdlen)
{
	struct count *c = ud;
	static char buf[5 * 65536];
	if (type != c->type || !dname_eq(owner, c->owner))
		return 0;
	if (c->rdata) {
		if (rdata_to_text(type, rd, rdlen, buf, sizeof buf) < 0 ||
		    strcmp(buf, c->rdata) != 0)
			return 0;
	}
	c->n++;
	c->ttl = ttl;
	return 0;
}

int zt_count(struct zt *t, const char *owner, uint16_t type, const char *rdata_text,
	     uint32_t *ttl)
{
	struct count c = { .type = type, .rdata = rdata_text };
	if (dname_from_text(c.owner, owner, strlen(owner), (const uint8_t *)"") < 0)
		return -1;
	if (zone_foreach(t->z, count_rr, &c) != 0)
		return -1;
	if (ttl)
		*ttl = c.ttl;
	return c.n;
}

const char *zt_write(const char *dir, const char *name, const char *text)
{
	static char paths[8][4096];
	static int k;
	char *p = paths[k++ & 7];
	snprintf(p, 4096, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	return p;
}

void zt_mktmp(char dir[64], const char *tag)
{
	snprintf(dir, 64, "/tmp/ringdns-%.16s-XXXXXX", tag);
	if (!mkdtemp(dir) || chmod(dir, 0755) != 0)
		abort();
}

void zt_rmtmp(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

int zt_serve_add(struct zt_serve *s, const char *origin, const char *text,
		 const char *file, char *err, size_t errcap)
{
	size_t size;
	if (s->n == ZT_SERVE_MAX) {
		snprintf(err, errcap, "more than %d zones", ZT_SERVE_MAX);
		return -1;
	}
	struct zt *t = &s->zt[s->n];
	if (file)
		zt_load_file(t, origin, file);
	else
		zt_load(t, origin, "test.zone", text);
	if (t->errors) {
		snprintf(err, errcap, "%s", t->msgs);
		zt_free(t);
		return -1;
	}
	if (zc_compile(t->z, &s->image[s->n], &size, err, errcap) < 0) {
		zt_free(t);
		return -1;
	}
	if (snap_open(s->image[s->n], size, &s->snaps[s->n], err, errcap) < 0) {
		free(s->image[s->n]);
		zt_free(t);
		return -1;
	}
	s->n++;
	return 0;
}

void zt_serve_free(struct zt_serve *s)
{
	for (size_t i = 0; i < s->n; i++) {
		snap_close(s->snaps[i]);
		free(s->image[i]);
		zt_free(&s->zt[i]);
	}
	s->n = 0;
}

int zt_serve_answer_zones(struct zt_serve *s, const char *srcdir, char *err, size_t errcap)
{
	static const char *const zones[][2] = {
		{ "example.com.", "unit.zone" },
		{ "example.org.", "nsec.zone" },
		{ "example.net.", "nsec3.zone" },
		{ "wildcut-nsec.example.", "wildcut-nsec.zone" },
		{ "wildcut-nsec3.example.", "wildcut-nsec3.zone" },
		{ "bench-tld.", "tld.zone" },
	};
	char path[4096];
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		snprintf(path, sizeof path, "%s/tests/data/answer/%s", srcdir ? srcdir : ".",
			 zones[i][1]);
		if (zt_serve_add(s, zones[i][0], NULL, path, err, errcap) < 0)
			return -1;
	}
	return 0;
}

void zt_cz_load(struct zt_cz *c, const char *origin, const char *text)
{
	char err[256] = "";
	zt_load(&c->t, origin, "z", text);
	if (c->t.errors || zc_compile(c->t.z, &c->img, &c->size, err, sizeof err) != 0 ||
	    snap_open(c->img, c->size, &c->s, err, sizeof err) != 0) {
		fprintf(stderr, "zt_cz_load: %s%s\n", c->t.msgs, err);
		abort();
	}
}

void zt_cz_free(struct zt_cz *c)
{
	snap_close(c->s);
	free(c->img);
	zt_free(&c->t);
}
