/*
 * control_main.c - ringdns-control, the control process spawned by
 * ringdns.  It reads the configuration, loads every zone (zonejobs.c) and
 * hands each image to the dataplane (dpchan.c), then serves the
 * operator's control socket (commands.c) until the dataplane goes away or
 * a signal stops it (signals.c; a stop interrupts a zone load).  This file
 * holds the start-up, the poll loop and the shut-down.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/crashpt.h"
#include "common/ipc.h"
#include "common/log.h"
#include "control/ctl.h"
#include "control/ctlsock.h"

#define EX_CONFIG 78
/* The heap left after a load (small blocks; big arrays are mmap'd and
 * unmapped when freed, which keeps the peak low) goes back to the system
 * (malloc_trim) after this idle time. */
#define TRIM_IDLE_MS 200
#define CONTROL_NICE 10		/* zone jobs yield the CPU to the dataplane's workers */
#define NTF_POLL_MAX 256	/* NOTIFY sockets polled at once (notify.c's NTF_MAX) */
#define REAP_MS 200		/* transfer children are reaped this often */
#define CACHE_IDLE_MS 1000	/* new images are written to the cache after this idle time */

/* A channel to the dataplane from flag (--dp-fd N, --xfr-fd N); -1 when
 * missing. */
static int fd_arg(int argc, char **argv, const char *flag)
{
	int fd = -1;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			fd = atoi(argv[i + 1]);
	return fd;
}

/* Signals, configuration, logging, the hello to the dataplane (which
 * answers with the zones it serves) and the control socket.  0, or the
 * exit status to leave with. */
static int ctl_init(struct ctl *c)
{
	/*
	 * Parsing and compiling is background work: where it shares a CPU with
	 * a worker (one core, or more zones than cores), the worker must win,
	 * or queries queue up and are lost during a reload.
	 */
	if (setpriority(PRIO_PROCESS, 0, CONTROL_NICE) != 0)
		fprintf(stderr, "ringdns-control: setpriority: %s\n", strerror(errno));
	char err[512];
	cfg_init(&c->cfg);
	if (csig_init(c, err, sizeof err) != 0) {
		log_init("ringdns-control", false, LOG_LVL_INFO);
		log_err("%s", err);
		return 1;
	}
	if (zj_config_sync(c, err, sizeof err) != 0) {
		log_init("ringdns-control", false, LOG_LVL_INFO);
		log_err("%s", err);
		return EX_CONFIG;
	}
	log_init("ringdns-control", c->cfg.log_syslog, (enum log_level)c->cfg.log_level);
	zj_clean_temps(c);
	struct ipc_hello hello = { IPC_VERSION, (uint32_t)getpid() };
	if (ipc_send(c->dp, IPC_HELLO, &hello, sizeof hello, -1) != 0) {
		log_err("cannot reach ringdns: %s", strerror(errno));
		return 1;
	}
	/* after a restart: the serials served go on showing beside errors */
	if (dpc_served(c) != 0 && !ctl_stopping(c))
		log_warn("ringdns did not say which zones it serves already");
	zj_drop_unconfigured(c);
	/* before any zone: a signed query or a NOTIFY answered as soon as the
	 * dataplane reports ready */
	dpc_send_peers(c);
	if (ctlsock_open(&c->cs, c->cfg.control_socket, err, sizeof err) != 0) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	ctlsock_set_max_clients(c->cs, c->cfg.control_max_clients);
	log_info("control socket %s", c->cfg.control_socket);
	if (xot_sync(c, err, sizeof err) != 0 || mtr_sync(c, err, sizeof err) != 0) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	return 0;
}

/* One message from the dataplane outside a request: a reload, a NOTIFY,
 * or the end. */
static void dp_read(struct ctl *c)
{
	static uint8_t buf[IPC_MSG_MAX];
	uint32_t type;
	int fd;
	ssize_t n = ipc_recv(c->dp, &type, buf, sizeof buf, &fd);
	if (fd >= 0)
		close(fd);
	if (n < 0 || (n == 0 && type == 0))
		c->stop = true;	/* ringdns is gone */
	else
		dpc_other(c, type, buf, (size_t)n);
}

/* What is left to do once idle: the cache, then the heap. */
static void idle_work(struct ctl *c)
{
	if (c->npending) {
		zj_cache_flush(c);
	} else {
		malloc_trim(0);
		c->trim_due = false;
	}
}

static void ctl_loop(struct ctl *c)
{
	char err[512];
	while (!ctl_stopping(c)) {
		if (c->reload_pending) {
			c->reload_pending = false;
			err[0] = 0;
			if (zj_config_sync(c, err, sizeof err) != 0)
				log_err("configuration not reloaded: %s", err);
			else
				zj_reload_all(c);
			if (!err[0] && xot_sync(c, err, sizeof err) != 0)
				log_err("XoT listeners not changed: %s", err);
			if (!err[0] && mtr_sync(c, err, sizeof err) != 0)
				log_err("metrics endpoint not changed: %s", err);
			continue;
		}
		if (c->peers_due)
			dpc_send_peers(c);
		ctl_reap(c);
		cat_tick(c);
		xfi_tick(c);
		ntf_tick(c);
		inc_tick(c);
		struct pollfd p[5 + CFG_LISTEN_MAX + NTF_POLL_MAX] = { { .fd = c->dp, .events = POLLIN },
						      { .fd = ctlsock_fd(c->cs), .events = POLLIN },
						      { .fd = c->wake_fd, .events = POLLIN },
						      { .fd = c->xfr, .events = POLLIN },
						      { .fd = mtr_fd(c), .events = POLLIN } };
		size_t nx = xot_pollfds(c, p + 5, CFG_LISTEN_MAX);
		size_t np = ntf_pollfds(p + 5 + nx, NTF_POLL_MAX);
		int wait = c->npending ? CACHE_IDLE_MS : c->trim_due ? TRIM_IDLE_MS : -1;
		if (c->xfr_children && (wait < 0 || wait > REAP_MS))
			wait = REAP_MS;
		int due = xfi_wait_ms(c), ndue = ntf_wait_ms(), idue = inc_wait_ms(c),
		    cdue = ctlsock_wait_ms(c->cs);
		if (cdue >= 0 && (wait < 0 || cdue < wait))
			wait = cdue;
		if (due >= 0 && (wait < 0 || due < wait))
			wait = due;
		if (idue >= 0 && (wait < 0 || idue < wait))
			wait = idue;
		if (ndue >= 0 && (wait < 0 || ndue < wait))
			wait = ndue;
		int n = poll(p, 5 + nx + np, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* a control client's deadline: served even when nothing came */
		bool cs_due = ctlsock_wait_ms(c->cs) == 0;
		if (n == 0) {
			if (cs_due)
				ctlsock_serve(c->cs, cmd_handle, c);
			idle_work(c);
			continue;
		}
		if (p[2].revents & POLLIN)
			csig_read(c);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			dp_read(c);
		if ((p[1].revents & POLLIN) || cs_due)
			ctlsock_serve(c->cs, cmd_handle, c);
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
			xfo_read(c);
		if (p[4].revents & POLLIN)
			mtr_refresh(c);
		xot_events(c, p + 5, nx);
		ntf_events(p + 5 + nx, np);
	}
}

int main(int argc, char **argv)
{
	struct ctl c = { .argc = argc, .argv = argv, .dp = fd_arg(argc, argv, "--dp-fd"),
			 .xfr = fd_arg(argc, argv, "--xfr-fd"), .wake_fd = -1 };
	if (c.dp < 0) {
		fprintf(stderr, "ringdns-control is started by ringdns, not by hand\n");
		return 2;
	}
	cp_init();	/* the crash points of the tests (unset: none) */
	int rc = ctl_init(&c);
	if (rc == 0) {
		unsigned bad = zj_reload_all(&c);
		ipc_send(c.dp, IPC_READY, NULL, 0, -1);
		log_info("%zu zones configured, %u failed to load", c.nz, bad);
		ctl_loop(&c);
	}
	mtr_fini(&c);	/* first: its threads wait on the loop */
	ctlsock_close(c.cs);
	xot_fini(&c);
	ixl_fini(&c);	/* the zone files being written, kept */
	zj_fini(&c);
	cat_fini(&c);
	cfg_free(&c.cfg);
	csig_fini(&c);
	return rc;
}
