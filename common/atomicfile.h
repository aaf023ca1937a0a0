/*
 * atomicfile.h - every file ringdns-control writes goes through here:
 * a temporary file beside the target (same directory, so same file
 * system), written, fsync'd, renamed over the target, and the directory
 * fsync'd, so that after a crash at any instant the target holds either
 * its old content or its new one, whole, and the change survives a power
 * loss once af_commit returned.  On any error the temporary file is
 * removed and the target is untouched.
 *
 * Temporary names are TARGET.ringdns-tmp-PID-N (PID of the process that
 * named it, N a counter of that process), so concurrent writers never
 * collide; af_clean removes the ones a crash left behind.  A temporary
 * may be named and committed by one process and written by a child it
 * forks (a transfer): the child calls af_create and af_sync, the parent
 * af_commit or af_abort.
 *
 * Commits pass crash points (common/crashpt.h) TAG-temp (the temporary
 * synced, not yet renamed) and TAG-renamed (renamed, directory synced).
 */
#ifndef RINGDNS_ATOMICFILE_H
#define RINGDNS_ATOMICFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define AF_TMP_MARK ".ringdns-tmp-"

/* A file being replaced.  AF_INIT or zeroed-then-af_begin before use. */
struct af {
	char *target;		/* malloc'ed; NULL: nothing in progress */
	char *tmp;		/* malloc'ed temporary name beside it */
	int fd;			/* the temporary, open for writing; -1: closed */
	FILE *f;		/* ... as a stream, when af_stream made one */
};
#define AF_INIT { NULL, NULL, -1, NULL }

/* Names a new temporary for target (no file is made yet).  0, or -1
 * with err (out of memory). */
int af_begin(struct af *a, const char *target, char *err, size_t errcap);
/* Creates a's temporary (exclusive, mode before the umask).  0, or -1
 * with err. */
int af_create(struct af *a, mode_t mode, char *err, size_t errcap);
/* af_begin then af_create (af_abort'ed on failure). */
int af_open(struct af *a, const char *target, mode_t mode, char *err, size_t errcap);
/* The open temporary as a stdio stream (owned by a); NULL with err. */
FILE *af_stream(struct af *a, char *err, size_t errcap);
/* Flushes, fsyncs and closes the temporary (it stays, named).  0, or -1
 * with err (the temporary still there: af_abort it). */
int af_sync(struct af *a, char *err, size_t errcap);
/* Syncs the temporary if still open, renames it over the target and
 * syncs the directory; tag names the crash points.  a is then empty.
 * 0, or -1 with err (the temporary removed, the target untouched). */
int af_commit(struct af *a, const char *tag, char *err, size_t errcap);
/* Closes and removes the temporary, keeping its name (af_create may make
 * it again).  Safe on an empty a. */
void af_discard(struct af *a);
/* af_discard, then forgets the names: a is then empty.  Safe on an empty
 * a. */
void af_abort(struct af *a);
/* Forgets a's names and closes its descriptor without removing anything
 * (a child that leaves the file to its parent). */
void af_release(struct af *a);

/* Makes target a hard link to src, atomically (a link to a temporary
 * name renamed over it, the directory synced).  0, or -1 with err. */
int af_link(const char *src, const char *target, const char *tag, char *err, size_t errcap);
/* The directory part of path ("." when there is none) into out. */
void af_dir_of(const char *path, char *out, size_t cap);
/* fsyncs the directory that holds path.  0, or -1 with err. */
int af_sync_dir(const char *path, char *err, size_t errcap);
/* Whether name (a file name, no directory) is a temporary af names. */
bool af_is_temp(const char *name);
/* Removes from dir the temporaries whose writer is gone (its PID is not
 * a live process): what a crash left.  Returns how many. */
unsigned af_clean(const char *dir);

#endif
