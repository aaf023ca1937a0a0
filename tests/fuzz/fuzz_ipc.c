/*
 * fuzz_ipc.c - libFuzzer target: the messages between ringdns and
 * ringdns-control (common/ipc.h), both ways, over one SOCK_SEQPACKET
 * socketpair made once.  The input is a sequence of packets, each
 * [direction byte][2-byte length][the packet: ipc_hdr and payload as
 * sent, so the header itself is fuzzed too]:
 *   even direction: to the dataplane: framed by ipc_recv, handled by
 *      dataplane/ctlchan.c ctlchan_dispatch on a dataplane with no zones
 *      and no workers (a publisher with nothing published); its replies
 *      (IPC_STATUS, IPC_STATS, IPC_ZSTATS, IPC_SERVED) are decoded by
 *      the control side, which must accept every one;
 *   odd direction: to the control process: framed, then decoded by the
 *      control side (control/health.c hl_status_decode, control/
 *      commands.c cmd_stats_decode and cmd_zstats_add, control/dpchan.c
 *      dpc_served_msg and dpc_other) on a control process with no
 *      zones; the stats are also rendered as text and JSON.
 * Then the rest of the input after a packet with direction 0xff is a
 * peers table (common/peers.c peers_decode, what IPC_PEERS' memfd holds),
 * and a table that decodes is looked up (peers_notify, peers_keys).
 * A HELLO of another version is left out (the dataplane would signal its
 * control process).  Invariants beyond no crash, no sanitizer report, no
 * leak: the dataplane's replies decode; the control state is reset after
 * each input.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/peers.h"
#include "control/ctl.h"
#include "control/health.h"
#include "dataplane/ctlchan.h"
#include "dataplane/dp.h"
#include "zones/dname.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sp[2];		/* [0] the control end, [1] the dataplane's */
static struct dp dp;
static struct ctl ctl;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_init("fuzz_ipc", false, LOG_LVL_ERROR);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) != 0)
		abort();
	int big = 1 << 20;
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	cfg_init(&dp.cfg);
	dp.pub = pub_new(&dp.root);
	if (!dp.pub)
		abort();
	dp.sup.fd = sp[1];
	dp.sup.xfr[0] = dp.sup.xfr[1] = -1;
	cfg_init(&ctl.cfg);
	ctl.dp = sp[0];
	ctl.xfr = ctl.wake_fd = -1;
	return 0;
}

/* A control-side payload; strict: it came from the dataplane and must
 * decode. */
static void control_decode(uint32_t type, const uint8_t *buf, size_t n, struct zstats_view *zv,
			   bool strict)
{
	char err[256];
	bool ok = true, more;
	if (type == IPC_STATUS) {
		struct hl_status st;
		ok = hl_status_decode(&st, buf, n, err, sizeof err) == 0;
		if (ok)
			hl_status_fini(&st);
	} else if (type == IPC_STATS) {
		static struct stats_view v;
		ok = cmd_stats_decode(buf, n, &v) == 0;
		struct ctl_out *o = ok ? ctl_out_new() : NULL;
		if (o) {
			cmd_stats_render(&v, false, o);
			cmd_stats_render(&v, true, o);
			ctl_out_free(o);
		}
	} else if (type == IPC_ZSTATS) {
		ok = cmd_zstats_add(zv, buf, n, &more) == 0;
	} else if (type == IPC_SERVED) {
		ok = dpc_served_msg(&ctl, buf, n, &more) == 0;
	} else {
		dpc_other(&ctl, type, buf, n);
	}
	if (strict)
		fz_check(ok, "the control side decodes the dataplane's reply");
}

/* One packet through the socketpair: 0 when the receiver framed it. */
static int pass(int from, int to, const uint8_t *pkt, size_t len, uint32_t *type,
		uint8_t *buf, size_t cap, ssize_t *n)
{
	if (send(from, pkt, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	int fd;
	*n = ipc_recv(to, type, buf, cap, &fd);
	if (fd >= 0)
		close(fd);
	return *n < 0 || (*n == 0 && *type == 0) ? -1 : 0;
}

static void to_dataplane(const uint8_t *pkt, size_t len, struct zstats_view *zv)
{
	static uint8_t buf[IPC_MSG_MAX], reply[IPC_MSG_MAX];
	uint32_t type;
	ssize_t n;
	if (pass(sp[0], sp[1], pkt, len, &type, buf, sizeof buf, &n) != 0)
		return;
	if (type == IPC_HELLO && (n != sizeof(struct ipc_hello) ||
				  ((const struct ipc_hello *)(const void *)buf)->version !=
				  IPC_VERSION))
		return;
	ctlchan_dispatch(&dp, type, buf, n, -1);
	for (;;) {
		int fd;
		ssize_t r = ipc_recv(sp[0], &type, reply, sizeof reply, &fd);
		if (fd >= 0)
			close(fd);
		if (r < 0)
			break;
		control_decode(type, reply, (size_t)r, zv, true);
	}
}

static void to_control(const uint8_t *pkt, size_t len, struct zstats_view *zv)
{
	static uint8_t buf[IPC_MSG_MAX];
	uint32_t type;
	ssize_t n;
	if (pass(sp[1], sp[0], pkt, len, &type, buf, sizeof buf, &n) == 0)
		control_decode(type, buf, (size_t)n, zv, false);
}

static void peers_table(const uint8_t *p, size_t len)
{
	char err[256];
	struct peers *pr = peers_decode(p, len, err, sizeof err);
	if (!pr) {
		fz_check(err[0] != 0, "a refused table says why");
		return;
	}
	size_t nk;
	const struct tsig_key *k = peers_keys(pr, &nk);
	fz_check(nk == 0 || k != NULL, "the keys are there");
	static const uint8_t zones[][24] = {
		{ 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 },
		{ 7, 'E', 'X', 'A', 'M', 'P', 'L', 'E', 0 },
		{ 0 },
	};
	uint8_t a4[16], a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	peers_addr_v4((const uint8_t[4]){ 198, 18, 0, 1 }, a4);
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		const struct tsig_key *key;
		peers_notify(pr, zones[i], a4, &key);
		peers_notify(pr, zones[i], a6, &key);
	}
	peers_free(pr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zstats_view zv = { NULL, 0 };
	while (size >= 3) {
		uint8_t dir = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3, size -= 3;
		if (dir == 0xff) {
			peers_table(data, size);
			break;
		}
		if (len > size)
			len = size;
		if (dir % 2 == 0)
			to_dataplane(data, len, &zv);
		else
			to_control(data, len, &zv);
		data += len, size -= len;
	}
	free(zv.z);
	/* the zones IPC_SERVED added; the dataplane's flags */
	zj_fini(&ctl);
	ctl.reload_pending = ctl.stop = false;
	ctl.status_owed = 0;
	dp.stopping = false;
	dp.sup.ready = dp.sup.ever_ready = false;
	return 0;
}
