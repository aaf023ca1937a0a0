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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/ipc.h"
#include "common/log.h"
#include "control/ctl.h"
#include "control/zdapply.h"
#include "control/zdfile.h"
#include "zones/snap.h"

/* The version a holds as zone file into f's temporary (named: f->target
 * is z's file), synced and closed.  0, or -1 with err (the temporary
 * removed, its name kept). */
static int write_text(const struct zda *a, struct af *f, char *err, size_t errcap)
{
	FILE *out = af_create(f, 0666, err, errcap) == 0 ? af_stream(f, err, errcap) : NULL;
	int rc = out ? zda_write(a, out, err, errcap) : -1;
	if (rc == 0)
		rc = af_sync(f, err, errcap);
	if (rc != 0)
		af_discard(f);
	return rc;
}

void ixl_forget(struct zst *z)
{
	if (z->kw_pid > 0) {
		kill(z->kw_pid, SIGKILL);
		waitpid(z->kw_pid, NULL, 0);
		z->kw_pid = 0;
	}
	af_abort(&z->kw_file);
}

/* Every step was served incrementally: the version a holds is written as
 * z's file by a child process, so that this process (and the next change)
 * does not wait for a pass over the whole zone; the child's file is kept
 * when it ends, if the zone's file was not replaced meanwhile
 * (ixl_reaped).  0, or -1 when no child can be made (then written here). */
static int keep_later(struct zst *z, const struct zda *a)
{
	char err[256];
	ixl_forget(z);
	if (af_begin(&z->kw_file, z->file, err, sizeof err) != 0)
		return -1;
	pid_t ppid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* it goes with the control process (which takes its file) */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != ppid)
			_exit(1);
		_exit(write_text(a, &z->kw_file, err, sizeof err) == 0 ? 0 : 1);
	}
	if (pid < 0) {
		af_abort(&z->kw_file);
		return -1;
	}
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
		bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (!ok)
			log_err("zone %s: serial %u served, but its zone file was not written: %s "
				"could not be written", z->name, z->kw_serial, z->kw_file.tmp);
		if (ok && z->file_gen == z->kw_gen && z->serial == z->kw_serial)
			zj_keep_file(z, &z->kw_file);
		else
			af_abort(&z->kw_file);
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
	char why[256] = "";
	size_t done = 0;
	struct af f;
	if (af_begin(&f, z->file, err, errcap) != 0)
		return -1;
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
		af_release(&f);
		log_info("zone %s: serial %u applied from IXFR (%zu steps, incrementally; the "
			 "zone file written by a child process)", z->name, zda_serial(a), st->n);
		return 0;
	}
	ixl_forget(z);	/* a whole load replaces the file itself */
	int rc = write_text(a, &f, err, errcap);
	uint64_t t1 = ipc_now_ms();
	if (rc != 0) {
		af_release(&f);
	} else if (done == st->n) {
		zj_keep_file(z, &f);
	} else if (zj_load_transfer(c, z, &f) != 0) {
		snprintf(err, errcap, "the version IXFR leads to is refused: %.200s", z->error);
		rc = -1;
	} else if (z->serial != zda_serial(a)) {
		snprintf(err, errcap, "serial %u served after the IXFR to %u", z->serial,
			 zda_serial(a));
		rc = -1;
	} else {
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
