/*
 * zcache.c - compiled zone images on disk (see zcache.h).  File layout:
 * struct zc_head, nsrc struct zc_srcrec, zero padding to a 4096-byte
 * boundary, then the snapshot image byte for byte.
 */
#include "control/zcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "zones/snap_format.h"

#define ZC_MAGIC "RDNSIMG1"
#define ZC_ALIGN 4096

struct zcache_src {
	char path[4096];
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns;
};

struct zc_head {
	char magic[8];
	uint32_t nsrc;
	uint32_t snap_version;	/* SNAP_VERSION of the image */
	uint32_t serial;
	uint32_t pad;
	uint64_t records;
	uint64_t image_off;	/* multiple of ZC_ALIGN */
	uint64_t image_size;
	char zone[256];
};

struct zc_srcrec {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns;
	char path[4096];
};

void zcache_on_file(void *ud, const char *path, const struct stat *st)
{
	struct zcache_files *f = ud;
	if (f->n == ZCACHE_SRC_MAX || strlen(path) >= sizeof f->v->path) {
		f->overflow = true;
		return;
	}
	if (!f->v && !(f->v = calloc(ZCACHE_SRC_MAX, sizeof *f->v))) {
		f->overflow = true;
		return;
	}
	struct zcache_src *s = &f->v[f->n++];
	snprintf(s->path, sizeof s->path, "%s", path);
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = (uint64_t)st->st_size;
	s->mtime_s = st->st_mtim.tv_sec;
	s->mtime_ns = st->st_mtim.tv_nsec;
}

void zcache_files_free(struct zcache_files *f)
{
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* DIR/NAME.img with every byte outside [a-z0-9.-_] of the name as %XX. */
static int zc_path(char *out, size_t cap, const char *dir, const char *zone, const char *suffix)
{
	char name[1024];
	size_t k = 0;
	for (const char *p = zone; *p && k + 4 < sizeof name; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		    ch == '_')
			name[k++] = (char)ch;
		else if (ch >= 'A' && ch <= 'Z')
			name[k++] = (char)(ch - 'A' + 'a');
		else
			k += (size_t)snprintf(name + k, sizeof name - k, "%%%02X", ch);
	}
	name[k] = 0;
	int n = snprintf(out, cap, "%s/%simg%s", dir, name, suffix);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int zcache_load(const char *dir, const char *zone, struct zcache_hit *h, char *why,
		size_t whycap)
{
	char path[4200];
	h->fd = -1;
	if (zc_path(path, sizeof path, dir, zone, "") != 0) {
		snprintf(why, whycap, "cache path too long");
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whycap, "no cached image");
		return errno == ENOENT ? 0 : -1;
	}
	struct zc_head hd;
	struct stat cst;
	int ret = 0, mfd = -1;
	if (pread(fd, &hd, sizeof hd, 0) != (ssize_t)sizeof hd || memcmp(hd.magic, ZC_MAGIC, 8) ||
	    fstat(fd, &cst) < 0) {
		snprintf(why, whycap, "%s is not a ringdns image cache file", path);
		goto out;
	}
	hd.zone[sizeof hd.zone - 1] = 0;
	if (hd.snap_version != SNAP_VERSION) {
		snprintf(why, whycap, "cached image has snapshot format %u, not %u", hd.snap_version,
			 SNAP_VERSION);
		goto out;
	}
	if (strcasecmp(hd.zone, zone) != 0 || hd.nsrc == 0 || hd.nsrc > ZCACHE_SRC_MAX ||
	    hd.image_off % ZC_ALIGN || hd.image_size == 0 ||
	    hd.image_off + hd.image_size != (uint64_t)cst.st_size) {
		snprintf(why, whycap, "%s does not fit its header", path);
		goto out;
	}
	for (uint32_t i = 0; i < hd.nsrc; i++) {
		struct zc_srcrec r;
		struct stat st;
		if (pread(fd, &r, sizeof r, (off_t)(sizeof hd + i * sizeof r)) != (ssize_t)sizeof r) {
			snprintf(why, whycap, "%s is truncated", path);
			goto out;
		}
		r.path[sizeof r.path - 1] = 0;
		if (stat(r.path, &st) < 0 || (uint64_t)st.st_dev != r.dev ||
		    (uint64_t)st.st_ino != r.ino || (uint64_t)st.st_size != r.size ||
		    st.st_mtim.tv_sec != r.mtime_s || st.st_mtim.tv_nsec != r.mtime_ns) {
			snprintf(why, whycap, "%s changed since the image was cached", r.path);
			goto out;
		}
	}
	mfd = memfd_create(zone, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		goto syserr;
	off_t off = (off_t)hd.image_off;
	size_t left = hd.image_size;
	while (left) {
		ssize_t n = sendfile(mfd, fd, &off, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto syserr;
		left -= (size_t)n;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto syserr;
	*h = (struct zcache_hit){ mfd, hd.image_size, hd.serial, hd.records };
	mfd = -1;
	ret = 1;
	goto out;
syserr:
	snprintf(why, whycap, "reading %s: %s", path, strerror(errno));
	ret = -1;
out:
	if (mfd >= 0)
		close(mfd);
	close(fd);
	return ret;
}

int zcache_store(const char *dir, const char *zone, int fd, size_t size, uint32_t serial,
		 uint64_t records, const struct zcache_files *src, time_t started, char *err,
		 size_t errcap)
{
	if (src->overflow || !src->n)
		return 1;
	for (size_t i = 0; i < src->n; i++)
		if (src->v[i].mtime_s + 2 > (int64_t)started)
			return 1;	/* too fresh to trust its mtime */
	char path[4200];
	if (zc_path(path, sizeof path, dir, zone, "") != 0) {
		snprintf(err, errcap, "cache path too long");
		return -1;
	}
	struct af a;
	if (af_open(&a, path, 0600, err, errcap) != 0)
		return -1;
	struct zc_head hd = { .nsrc = (uint32_t)src->n, .snap_version = SNAP_VERSION,
			      .serial = serial, .records = records, .image_size = size };
	memcpy(hd.magic, ZC_MAGIC, 8);
	snprintf(hd.zone, sizeof hd.zone, "%s", zone);
	size_t meta = sizeof hd + src->n * sizeof(struct zc_srcrec);
	hd.image_off = (meta + ZC_ALIGN - 1) / ZC_ALIGN * ZC_ALIGN;
	uint8_t *buf = calloc(1, hd.image_off);
	errno = 0;
	if (!buf)
		goto fail;
	memcpy(buf, &hd, sizeof hd);
	for (size_t i = 0; i < src->n; i++) {
		struct zc_srcrec r = { src->v[i].dev, src->v[i].ino, src->v[i].size,
				       src->v[i].mtime_s, src->v[i].mtime_ns, { 0 } };
		snprintf(r.path, sizeof r.path, "%s", src->v[i].path);
		memcpy(buf + sizeof hd + i * sizeof r, &r, sizeof r);
	}
	ssize_t w = write(a.fd, buf, hd.image_off);
	free(buf);
	if (w != (ssize_t)hd.image_off)
		goto fail;
	off_t off = 0;
	size_t left = size;
	while (left) {
		ssize_t n = sendfile(a.fd, fd, &off, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		left -= (size_t)n;
	}
	return af_commit(&a, "cache", err, errcap);
fail:
	snprintf(err, errcap, "cannot write %s: %s", a.tmp, errno ? strerror(errno) : "short write");
	af_abort(&a);
	return -1;
}

void zcache_drop(const char *dir, const char *zone)
{
	char path[4200];
	if (zc_path(path, sizeof path, dir, zone, "") == 0)
		unlink(path);
}
