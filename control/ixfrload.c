/*
 * ixfrload.c - an IXFR received by a secondary zone, applied in the
 * control process (ctl.h, ixl_apply).
 *
 * The check's child (control/xfrin.c) wrote the steps to a file.  Here
 * they are read back and checked against the served version, all of
 * them before anything changes (control/zdapply.h): a step that does not
 * apply refuses the whole IXFR, the old version keeps serving and the
 * next check asks for the whole zone (RFC 1995 §4).  Then each step goes
 * to the incremental image builder (inc_apply); from the first it does
 * not take, the new version is written as zone text and loaded whole, as
 * an AXFR is.  The zone file ends up holding the new version either way,
 * and the journal the steps as they came (jr_add_diff), so the zone's own
 * secondaries get them by IXFR in turn.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "control/ctl.h"
#include "control/zdapply.h"
#include "control/zdfile.h"
#include "zones/snap.h"

/* The version a holds as zone file tmp, synced.  0, or -1 with err. */
static int write_text(const struct zda *a, const char *tmp, char *err, size_t errcap)
{
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	int rc = zda_write(a, f, err, errcap);
	if (rc == 0 && fsync(fileno(f)) != 0) {
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* The file a zone file writer writes, beside the zone's file. */
static void kw_path(const struct zst *z, char *out, size_t cap)
{
	snprintf(out, cap, "%s.kw-tmp", z->file);
}

void ixl_forget(struct zst *z)
{
	if (z->kw_pid <= 0)
		return;
	kill(z->kw_pid, SIGKILL);
	waitpid(z->kw_pid, NULL, 0);
	z->kw_pid = 0;
	char tmp[4200];
	kw_path(z, tmp, sizeof tmp);
	unlink(tmp);
}

/* Every step was served incrementally: the version a holds is written as
 * z's file by a child process, so that this process (and the next change)
 * does not wait for a pass over the whole zone; the child's file is kept
 * when it ends, if the zone's file was not replaced meanwhile
 * (ixl_reaped).  0, or -1 when no child can be made (then written here). */
static int keep_later(struct zst *z, const struct zda *a)
{
	char tmp[4200], err[256];
	ixl_forget(z);
	kw_path(z, tmp, sizeof tmp);
	pid_t pid = fork();
	if (pid == 0)
		_exit(write_text(a, tmp, err, sizeof err) == 0 ? 0 : 1);
	if (pid < 0)
		return -1;
	z->kw_pid = pid;
	z->kw_serial = zda_serial(a);
	z->kw_gen = z->file_gen;
	return 0;
}

bool ixl_reaped(struct ctl *c, pid_t pid, int st)
{
	for (size_t i = 0; i < c->nz; i++) {
		struct zst *z = &c->z[i];
		if (z->kw_pid != pid)
			continue;
		z->kw_pid = 0;
		char tmp[4200];
		kw_path(z, tmp, sizeof tmp);
		bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (ok && z->file_gen == z->kw_gen && z->serial == z->kw_serial)
			zj_keep_file(z, tmp);
		else
			unlink(tmp);
		if (!ok)
			log_err("zone %s: serial %u served, but its zone file was not written: %s "
				"could not be written", z->name, z->kw_serial, tmp);
		return true;
	}
	return false;
}

void ixl_fini(struct ctl *c)
{
	for (size_t i = 0; i < c->nz; i++) {
		struct zst *z = &c->z[i];
		int st;
		if (z->kw_pid > 0 && waitpid(z->kw_pid, &st, 0) == z->kw_pid)
			ixl_reaped(c, z->kw_pid, st);
	}
}

/* Steps st (checked: a holds their result) served: by inc_apply as far as
 * it goes, the rest by a whole load of the text.  0, or -1 with err. */
static int serve(struct ctl *c, struct zst *z, const struct zdf_steps *st,
		 const struct zda *a, char *err, size_t errcap)
{
	char tmp[4096], why[256] = "";
	size_t done = 0;
	snprintf(tmp, sizeof tmp, "%s.xfr-tmp", z->file);
	z->jr_by_caller = true;
	while (done < st->n) {
		int r = inc_apply(c, z, &st->v[done], why, sizeof why);
		if (r < 0)
			log_warn("zone %s: step %u -> %u not applied incrementally (%s); loading "
				 "the new version whole", z->name, st->v[done].from,
				 st->v[done].to, why);
		else if (r == 0)
			log_info("zone %s: step %u -> %u loaded whole (%s)", z->name,
				 st->v[done].from, st->v[done].to, why);
		if (r != 1)
			break;
		done++;		/* served, and journaled by inc_apply */
	}
	uint64_t t0 = ipc_now_ms();
	if (done == st->n && keep_later(z, a) == 0) {
		z->jr_by_caller = false;
		log_info("zone %s: serial %u applied from IXFR (%zu steps, incrementally; the "
			 "zone file written by a child process)", z->name, zda_serial(a), st->n);
		return 0;
	}
	ixl_forget(z);	/* a whole load replaces the file itself */
	int rc = write_text(a, tmp, err, errcap);
	uint64_t t1 = ipc_now_ms();
	if (rc == 0 && done == st->n) {
		zj_keep_file(z, tmp);
	} else if (rc == 0 && zj_load_transfer(c, z, tmp) != 0) {
		snprintf(err, errcap, "the version IXFR leads to is refused: %.200s", z->error);
		rc = -1;
	} else if (rc == 0 && z->serial != zda_serial(a)) {
		snprintf(err, errcap, "serial %u served after the IXFR to %u", z->serial,
			 zda_serial(a));
		rc = -1;
	} else if (rc == 0) {
		for (size_t i = done; i < st->n; i++)
			zj_journal_diff(c, z, &st->v[i]);
	}
	z->jr_by_caller = false;
	if (rc == 0)
		log_info("zone %s: serial %u applied from IXFR (%zu steps, %zu incrementally; "
			 "zone text written in %.2f s, %s in %.2f s)", z->name, zda_serial(a),
			 st->n, done, (double)(t1 - t0) / 1e3,
			 done == st->n ? "kept" : "loaded", (double)(ipc_now_ms() - t1) / 1e3);
	return rc;
}

int ixl_apply(struct ctl *c, struct zst *z, const char *steps, char *err, size_t errcap)
{
	struct zdf_steps st;
	int rc = zdf_read(steps, &st, err, errcap);
	unlink(steps);
	if (rc != 0)
		return -1;
	void *map = NULL;
	size_t mapped = z->img_size;	/* a step served replaces z's image */
	struct snap *s = zj_open_served(z, &map);
	struct zda *a = s ? zda_new(s) : NULL;
	rc = -1;
	if (!a) {
		snprintf(err, errcap, "no served version to apply an IXFR to");
	} else {
		size_t i = 0;
		while (i < st.n && zda_apply(a, &st.v[i], err, errcap) == 0)
			i++;
		if (i == st.n && st.n)
			rc = serve(c, z, &st, a, err, errcap);
		else if (!st.n)
			snprintf(err, errcap, "an IXFR without steps");
		else
			z->xfr_force = true;	/* RFC 1995 §4: the whole zone next time */
	}
	if (rc != 0)
		z->xfr_force = z->xfr_force || !a;
	zda_free(a);
	if (s) {
		snap_close(s);
		if (map)
			munmap(map, mapped);
	}
	zdf_steps_free(&st);
	return rc;
}
