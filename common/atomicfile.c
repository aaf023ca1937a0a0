/*
 * atomicfile.c - files replaced whole, crash-safe (atomicfile.h).
 *
 * rename(2) replaces the name atomically: a reader, or a restart after a
 * crash, finds the old file or the new one.  The data is synced before
 * the rename, so the new name never points at blocks not yet written;
 * the directory is synced after it, so the new name itself survives a
 * power loss.
 */
#include "common/atomicfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crashpt.h"

static unsigned af_counter;	/* per process; a child counts on its own copy */

int af_begin(struct af *a, const char *target, char *err, size_t errcap)
{
	*a = (struct af)AF_INIT;
	size_t cap = strlen(target) + sizeof AF_TMP_MARK + 32;
	a->target = strdup(target);
	a->tmp = malloc(cap);
	if (!a->target || !a->tmp) {
		snprintf(err, errcap, "%s: out of memory", target);
		af_release(a);
		return -1;
	}
	snprintf(a->tmp, cap, "%s" AF_TMP_MARK "%ld-%u", target, (long)getpid(), ++af_counter);
	return 0;
}

int af_create(struct af *a, mode_t mode, char *err, size_t errcap)
{
	a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (a->fd < 0) {
		snprintf(err, errcap, "cannot create %s: %s", a->tmp, strerror(errno));
		return -1;
	}
	return 0;
}

int af_open(struct af *a, const char *target, mode_t mode, char *err, size_t errcap)
{
	if (af_begin(a, target, err, errcap) != 0)
		return -1;
	if (af_create(a, mode, err, errcap) != 0) {
		af_release(a);
		return -1;
	}
	return 0;
}

FILE *af_stream(struct af *a, char *err, size_t errcap)
{
	if (!a->f && a->fd >= 0 && !(a->f = fdopen(a->fd, "w")))
		snprintf(err, errcap, "%s: %s", a->tmp, strerror(errno));
	return a->f;
}

int af_sync(struct af *a, char *err, size_t errcap)
{
	int rc = 0;
	errno = 0;
	if (a->f) {
		if (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0)
			rc = -1;
		if (fclose(a->f) != 0)
			rc = -1;
	} else if (a->fd >= 0) {
		if (fsync(a->fd) != 0)
			rc = -1;
		if (close(a->fd) != 0)
			rc = -1;
	}
	a->f = NULL;
	a->fd = -1;
	if (rc != 0)
		snprintf(err, errcap, "cannot write %s: %s", a->tmp,
			 errno ? strerror(errno) : "write error");
	return rc;
}

void af_dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, cap, ".");
	else if (slash == path)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

int af_sync_dir(const char *path, char *err, size_t errcap)
{
	char dir[4096];
	af_dir_of(path, dir, sizeof dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		snprintf(err, errcap, "cannot sync directory %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int af_commit(struct af *a, const char *tag, char *err, size_t errcap)
{
	if (af_sync(a, err, errcap) != 0) {
		af_abort(a);
		return -1;
	}
	cp_at2(tag, "temp");
	if (rename(a->tmp, a->target) != 0) {
		snprintf(err, errcap, "cannot rename %s to %s: %s", a->tmp, a->target,
			 strerror(errno));
		af_abort(a);
		return -1;
	}
	/* renamed: the new content is in place even when the sync fails
	 * (it may then not survive a power loss: said in err) */
	int rc = af_sync_dir(a->target, err, errcap);
	cp_at2(tag, "renamed");
	af_release(a);
	return rc;
}

void af_discard(struct af *a)
{
	if (a->f)
		fclose(a->f);
	else if (a->fd >= 0)
		close(a->fd);
	a->f = NULL;
	a->fd = -1;
	if (a->tmp)
		unlink(a->tmp);
}

void af_abort(struct af *a)
{
	af_discard(a);
	af_release(a);
}

void af_release(struct af *a)
{
	if (a->f)
		fclose(a->f);
	else if (a->fd >= 0)
		close(a->fd);
	free(a->target);
	free(a->tmp);
	*a = (struct af)AF_INIT;
}

int af_link(const char *src, const char *target, const char *tag, char *err, size_t errcap)
{
	/* linked already: rename(2) of a link over another link of the same
	 * file does nothing and would leave the temporary name behind */
	struct stat ss, ts;
	if (stat(src, &ss) == 0 && stat(target, &ts) == 0 && ss.st_dev == ts.st_dev &&
	    ss.st_ino == ts.st_ino)
		return 0;
	struct af a;
	if (af_begin(&a, target, err, errcap) != 0)
		return -1;
	if (link(src, a.tmp) != 0) {
		snprintf(err, errcap, "cannot link %s to %s: %s", src, a.tmp, strerror(errno));
		af_release(&a);
		return -1;
	}
	return af_commit(&a, tag, err, errcap);
}

/* The writer's PID in a temporary's name (…MARK PID-N at its end), or
 * -1 when name is not one. */
static long temp_pid(const char *name)
{
	const char *m = strstr(name, AF_TMP_MARK), *next;
	while (m && (next = strstr(m + 1, AF_TMP_MARK)))
		m = next;	/* the last mark: a target may hold one */
	if (!m || m == name)
		return -1;
	const char *p = m + sizeof AF_TMP_MARK - 1;
	char *end;
	if (!isdigit((unsigned char)*p))
		return -1;
	long pid = strtol(p, &end, 10);
	if (*end != '-' || !isdigit((unsigned char)end[1]))
		return -1;
	for (p = end + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	return pid > 0 ? pid : -1;
}

bool af_is_temp(const char *name)
{
	return temp_pid(name) > 0;
}

unsigned af_clean(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	unsigned n = 0;
	int dfd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		long pid = temp_pid(e->d_name);
		if (pid <= 0)
			continue;
		/* a live writer (another instance sharing the directory)
		 * keeps its file; our own PID cannot have written one yet */
		if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}
