/*
 * test_atomicfile.c - files replaced whole (common/atomicfile.h): a
 * commit replaces the target, an abort or a failure leaves it as it was
 * and no temporary behind, temporary names never collide, and af_clean
 * removes only the temporaries of writers that are gone.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"

static char dir[256];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/ringdns-af-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

TestSuite(atomicfile, .init = mkdir_tmp, .fini = rm_tmp);

static void put(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *name)
{
	static char buf[256];
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* How many entries dir holds (. and .. aside). */
static unsigned entries(void)
{
	unsigned n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void target(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

/* z.zone holding "old", and a replacement of it begun in a. */
static void begin_over_old(struct af *a)
{
	char t[512], err[256];
	put("z.zone", "old\n");
	target(t, sizeof t, "z.zone");
	cr_assert_eq(af_open(a, t, 0644, err, sizeof err), 0, "%s", err);
}

Test(atomicfile, commit_replaces_the_target_whole)
{
	char err[256];
	struct af a;
	begin_over_old(&a);
	cr_assert(af_is_temp(strrchr(a.tmp, '/') + 1));
	FILE *f = af_stream(&a, err, sizeof err);
	cr_assert_not_null(f);
	fputs("new\n", f);
	cr_assert_str_eq(get("z.zone"), "old\n");	/* not before the commit */
	cr_assert_eq(af_commit(&a, "test", err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(get("z.zone"), "new\n");
	cr_assert_eq(entries(), 1);
	cr_assert_null(a.tmp);
	cr_assert_eq(a.fd, -1);
}

Test(atomicfile, abort_leaves_the_target_and_no_temporary)
{
	struct af a;
	begin_over_old(&a);
	cr_assert_eq(write(a.fd, "half", 4), 4);
	af_abort(&a);
	cr_assert_str_eq(get("z.zone"), "old\n");
	cr_assert_eq(entries(), 1);
	af_abort(&a);	/* twice: harmless */
}

Test(atomicfile, failed_rename_keeps_the_target)
{
	char t[512], err[256];
	target(t, sizeof t, "sub");
	cr_assert_eq(mkdir(t, 0700), 0);
	put("sub/x", "kept\n");
	struct af a;
	/* a non-empty directory cannot be replaced by a file */
	cr_assert_eq(af_open(&a, t, 0644, err, sizeof err), 0, "%s", err);
	cr_assert_eq(af_commit(&a, "test", err, sizeof err), -1);
	cr_assert(strstr(err, "cannot rename"), "%s", err);
	cr_assert_str_eq(get("sub/x"), "kept\n");
	cr_assert_eq(entries(), 1);
	unlink(strcat(t, "/x"));
	target(t, sizeof t, "sub");
	rmdir(t);
}

Test(atomicfile, temporaries_do_not_collide)
{
	char t[512], err[256];
	target(t, sizeof t, "z.zone");
	struct af a, b;
	cr_assert_eq(af_open(&a, t, 0644, err, sizeof err), 0, "%s", err);
	cr_assert_eq(af_open(&b, t, 0644, err, sizeof err), 0, "%s", err);
	cr_assert_str_neq(a.tmp, b.tmp);
	/* a child names its own: its PID differs */
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct af c;
		char e[256];
		if (af_begin(&c, t, e, sizeof e) != 0 || write(p[1], c.tmp, strlen(c.tmp) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	char child[600] = "";
	cr_assert_gt(read(p[0], child, sizeof child - 1), 0);
	waitpid(pid, NULL, 0);
	cr_assert_str_neq(child, a.tmp);
	cr_assert_str_neq(child, b.tmp);
	af_abort(&a);
	af_abort(&b);
	close(p[0]);
	close(p[1]);
}

Test(atomicfile, a_child_writes_the_parent_commits)
{
	char t[512], err[256];
	put("z.zone", "old\n");
	target(t, sizeof t, "z.zone");
	struct af a;
	cr_assert_eq(af_begin(&a, t, err, sizeof err), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char e[256];
		FILE *f = af_create(&a, 0644, e, sizeof e) == 0 ? af_stream(&a, e, sizeof e) : NULL;
		_exit(f && fputs("from the child\n", f) >= 0 && af_sync(&a, e, sizeof e) == 0 ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_str_eq(get("z.zone"), "old\n");
	cr_assert_eq(af_commit(&a, "test", err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(get("z.zone"), "from the child\n");
	cr_assert_eq(entries(), 1);
}

Test(atomicfile, link_replaces_the_target)
{
	char src[512], t[512], err[256];
	put("cat.zone", "catalog v2\n");
	put("cat.zone.valid", "catalog v1\n");
	target(src, sizeof src, "cat.zone");
	target(t, sizeof t, "cat.zone.valid");
	cr_assert_eq(af_link(src, t, "test", err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(get("cat.zone.valid"), "catalog v2\n");
	struct stat a, b;
	cr_assert_eq(stat(src, &a), 0);
	cr_assert_eq(stat(t, &b), 0);
	cr_assert_eq(a.st_ino, b.st_ino);
	cr_assert_eq(entries(), 2);
	/* again: linked already, nothing left behind (a rename of a link
	 * over a link of the same file does nothing) */
	cr_assert_eq(af_link(src, t, "test", err, sizeof err), 0, "%s", err);
	cr_assert_eq(entries(), 2);
}

Test(atomicfile, names_of_temporaries)
{
	cr_assert(af_is_temp("z.zone" AF_TMP_MARK "12-3"));
	cr_assert(af_is_temp("x" AF_TMP_MARK "1-1" AF_TMP_MARK "99-4"));
	cr_assert_not(af_is_temp("z.zone"));
	cr_assert_not(af_is_temp(AF_TMP_MARK "12-3"));	/* no target */
	cr_assert_not(af_is_temp("z.zone" AF_TMP_MARK "12-"));
	cr_assert_not(af_is_temp("z.zone" AF_TMP_MARK "12-3x"));
	cr_assert_not(af_is_temp("z.zone" AF_TMP_MARK "-3"));
	cr_assert_not(af_is_temp("z.zone.xfr-tmp"));
}

Test(atomicfile, clean_removes_only_what_dead_writers_left)
{
	/* a PID that is surely gone: a child reaped */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char name[128];
	snprintf(name, sizeof name, "a.zone" AF_TMP_MARK "%d-1", (int)dead);
	put(name, "stale");
	snprintf(name, sizeof name, "a.img" AF_TMP_MARK "%d-7", (int)dead);
	put(name, "stale");
	/* a live writer's (our parent's: another instance) stays */
	snprintf(name, sizeof name, "b.zone" AF_TMP_MARK "%d-2", (int)getppid());
	put(name, "live");
	put("a.zone", "zone");
	put("a.zone.xfr-tmp", "not ours");
	cr_assert_eq(af_clean(dir), 2);
	cr_assert_eq(entries(), 3);
	cr_assert_not_null(get(name));
	cr_assert_not_null(get("a.zone"));
	cr_assert_not_null(get("a.zone.xfr-tmp"));
	cr_assert_eq(af_clean(dir), 0);
	cr_assert_eq(af_clean("/nonexistent/dir"), 0);
}
