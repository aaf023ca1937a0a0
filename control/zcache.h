/*
 * zcache.h - the on-disk cache of compiled zone images (server.cache-dir).
 * ringdns-control writes each zone's image to DIR/ZONE.img after a load,
 * with the identity (device, inode, size, mtime) of every file the zone
 * was read from; a later load whose files are all unchanged hands the
 * cached image over instead of parsing and compiling.  The image is
 * validated by the dataplane like any other, so a damaged cache file can
 * only cost a recompile.  The zone text stays the source of truth.
 */
#ifndef RINGDNS_ZCACHE_H
#define RINGDNS_ZCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#define ZCACHE_SRC_MAX 64	/* files per zone (more: the zone is not cached) */

/* The files a load read, collected through zf_options.on_file. */
struct zcache_files {
	struct zcache_src *v;
	size_t n;
	bool overflow;		/* more than ZCACHE_SRC_MAX: do not cache */
};

void zcache_on_file(void *files, const char *path, const struct stat *st);
void zcache_files_free(struct zcache_files *f);

/* What a cache hit gives: a sealed memfd ready for ipc_send. */
struct zcache_hit {
	int fd;
	size_t size;
	uint32_t serial;
	uint64_t records;
};

/*
 * Looks for zone's image in dir.  1 on a hit (h filled, the caller closes
 * h->fd), 0 when there is none or it is stale (why says which), -1 on an
 * error worth logging (why).
 */
int zcache_load(const char *dir, const char *zone, struct zcache_hit *h, char *why,
		size_t whycap);

/*
 * Stores the image in memfd fd (size bytes) as zone's cache file, with the
 * files in src, atomically (common/atomicfile.h: a temporary file synced
 * and renamed over the old one).
 * Refuses (returns 1, nothing written) when a file was modified less than
 * two seconds before started: a later edit within the file system's
 * timestamp granularity could then go unnoticed.  0 when stored, -1 with
 * err on failure.
 */
int zcache_store(const char *dir, const char *zone, int fd, size_t size, uint32_t serial,
		 uint64_t records, const struct zcache_files *src, time_t started, char *err,
		 size_t errcap);

/* Removes zone's cache file (a refused image); best effort. */
void zcache_drop(const char *dir, const char *zone);

#endif
