/*
 * ipc_seeds.c - writes the seed corpus of fuzz_ipc (packets in its input
 * layout, from this build's structs) into the directory given:
 *   build-fuzz/tests/fuzz/ipc_seeds tests/fuzz/corpus/ipc
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "common/ipc.h"
#include "common/peers.h"
#include "common/cfg.h"
#include "common/tsig.h"

static FILE *f;
static const char *dir;

static void start(const char *name)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f) {
		perror(p);
		exit(1);
	}
}


static void pkt(int dir, uint32_t type, const void *pl, size_t len)
{
	struct ipc_hdr h = { type, (uint32_t)len };
	size_t n = sizeof h + len;
	fputc(dir, f); fputc((int)(n >> 8), f); fputc((int)n & 255, f);
	fwrite(&h, sizeof h, 1, f);
	if (len) fwrite(pl, len, 1, f);
}
int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ipc_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	struct ipc_hello hello = { IPC_VERSION, 1 };
	struct ipc_zone z = { "example.com." };
	start("dp-requests");
	pkt(0, IPC_HELLO, &hello, sizeof hello);
	pkt(0, IPC_STATUS_REQ, NULL, 0);
	pkt(0, IPC_STATS_REQ, NULL, 0);
	pkt(0, IPC_ZSTATS_REQ, NULL, 0);
	pkt(0, IPC_READY, NULL, 0);
	fclose(f);
	start("dp-zones");
	pkt(0, IPC_REMOVE, &z, sizeof z);
	pkt(0, IPC_EXPIRE, &z, sizeof z);
	pkt(0, IPC_UNEXPIRE, &z, sizeof z);
	memset(z.name, 'a', sizeof z.name);
	pkt(0, IPC_REMOVE, &z, sizeof z);
	pkt(0, IPC_STOP, NULL, 0);
	pkt(0, 99, "x", 1);
	fclose(f);
	start("dp-image-nofd");
	struct ipc_image im = { "example.com.", 4096, 10, 5, 1, IPC_IMAGE_OVERLAYS, 0 };
	pkt(0, IPC_IMAGE, &im, sizeof im);
	pkt(0, IPC_OVERLAY, &im, sizeof im);
	struct ipc_peers ip = { 100 };
	pkt(0, IPC_PEERS, &ip, sizeof ip);
	fclose(f);
	/* to control: a status with 2 workers, 1 tcp, 1 port */
	start("ctl-status");
	static uint8_t buf[65536];
	struct ipc_status s = { .uptime_s = 5, .udp_workers = 2, .tcp_workers = 1, .zones = 1,
		.backend = "dpdk", .nworkers = 2, .nports = 1, .ntcp = 1 };
	size_t n = 0;
	memcpy(buf, &s, sizeof s); n += sizeof s;
	struct ipc_progress pg = { 0, 1, 3.5 };
	for (int i = 0; i < 3; i++) { memcpy(buf + n, &pg, sizeof pg); n += sizeof pg; }
	struct ipc_link l = { .port = 0, .mac = {2,0,0,0,0,1}, .name = "0000:01:00.0" };
	memcpy(buf + n, &l, sizeof l); n += sizeof l;
	pkt(1, IPC_STATUS, buf, n);
	fclose(f);
	start("ctl-stats");
	struct ipc_stats_hdr sh = { .nworkers = 2, .udp_workers = 1, .wstats_size = sizeof(struct wstats),
		.nlcores = 1, .nports = 1, .backend = "dpdk" };
	n = 0; memcpy(buf, &sh, sizeof sh); n += sizeof sh;
	struct wstats w; memset(&w, 1, sizeof w);
	memcpy(buf + n, &w, sizeof w); n += sizeof w;
	memcpy(buf + n, &w, sizeof w); n += sizeof w;
	struct ipc_lcore_stats ls; memset(&ls, 2, sizeof ls);
	memcpy(buf + n, &ls, sizeof ls); n += sizeof ls;
	struct ipc_port_stats ps; memset(&ps, 3, sizeof ps); memcpy(ps.name, "net_tap0", 9);
	memcpy(buf + n, &ps, sizeof ps); n += sizeof ps;
	pkt(1, IPC_STATS, buf, n);
	fclose(f);
	start("ctl-zstats-served");
	struct ipc_multi_hdr zh = { 2, 1 };
	n = 0; memcpy(buf, &zh, sizeof zh); n += sizeof zh;
	struct ipc_zstats zs; memset(&zs, 0, sizeof zs); zs.slot = 2; strcpy(zs.name, "example.com.");
	memcpy(buf + n, &zs, sizeof zs); n += sizeof zs;
	memset(zs.name, 'b', sizeof zs.name);
	memcpy(buf + n, &zs, sizeof zs); n += sizeof zs;
	pkt(1, IPC_ZSTATS, buf, n);
	zh.n = 0; zh.more = 0;
	pkt(1, IPC_ZSTATS, &zh, sizeof zh);
	struct ipc_multi_hdr sv = { 1, 0 };
	struct ipc_served se = { "example.com.", 7, 0, 12, 4096, 1700000000 };
	n = 0; memcpy(buf, &sv, sizeof sv); n += sizeof sv;
	memcpy(buf + n, &se, sizeof se); n += sizeof se;
	pkt(1, IPC_SERVED, buf, n);
	struct ipc_notify nt = { "example.com.", {0,0,0,0,0,0,0,0,0,0,0xff,0xff,192,0,2,1} };
	pkt(1, IPC_NOTIFY, &nt, sizeof nt);
	pkt(1, IPC_RELOAD, NULL, 0);
	fclose(f);
	/* a peers table */
	struct tsig_key keys[2];
	char err[256];
	tsig_key_make(&keys[0], "xfr.example.", "hmac-sha256", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", err, sizeof err);
	tsig_key_make(&keys[1], "k2.", "hmac-sha1", "c2VjcmV0", err, sizeof err);
	struct cfg_remote pr[2];
	memset(pr, 0, sizeof pr);
	cfg_parse_remote(&pr[0], "198.18.0.1", err, sizeof err);
	cfg_parse_remote(&pr[1], "[2001:db8::1]:5300", err, sizeof err);
	struct peers_zone_in zin[2] = { { "example.com.", 0, pr, 2 }, { "example.", -1, pr + 1, 1 } };
	int fd = memfd_create("p", 0);
	long len = peers_encode(fd, keys, 2, zin, 2, err, sizeof err);
	if (len < 0) { fprintf(stderr, "%s\n", err); return 1; }
	uint8_t *p = malloc((size_t)len);
	if (!p || pread(fd, p, (size_t)len, 0) != len)
		return 1;
	start("peers");
	fputc(0xff, f); fputc(0, f); fputc(0, f);
	fwrite(p, (size_t)len, 1, f);
	fclose(f);
	free(p);
	close(fd);
	return 0;
}
