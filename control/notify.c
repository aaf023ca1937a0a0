/*
 * notify.c - NOTIFY (RFC 1996) to a zone's secondaries (zones[].notify)
 * each time a new serial of it is served: one UDP message per secondary,
 * signed with the zone's TSIG key when it has one, sent again with
 * doubling intervals (§3.6) until the secondary answers or NTF_TRIES
 * went unanswered.  A later serial replaces what is still pending for
 * the zone.  Everything runs on the control process's thread: the
 * sockets are in its poll set.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "control/ctl.h"
#include "common/tsig.h"
#include "zones/dname.h"
#include "zones/rrtype.h"

#define NTF_TRIES 5		/* sends before giving up: 1 + 2 + 4 + 8 s of waiting */
#define NTF_FIRST_MS 1000	/* the first wait for an answer, doubled each time */
#define NTF_MAX 256		/* pending at once (zones x secondaries) */
#define OPCODE_NOTIFY 4

/* One NOTIFY waiting for its answer. */
struct ntf {
	char zone[256];
	char target[80];
	int fd;			/* connected UDP socket; -1: slot free */
	uint16_t id;
	unsigned tries;
	int64_t due_ms;		/* when to send again */
	int64_t wait_ms;	/* the next wait */
	size_t len;
	uint8_t msg[1024];	/* as sent (signed anew on each send) */
	int key;		/* cfg key index, -1: unsigned */
	struct tsig_ctx tc;
};

static struct ntf pending[NTF_MAX];
static bool ready_slots;

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void slots_init(void)
{
	if (!ready_slots)
		for (size_t i = 0; i < NTF_MAX; i++)
			pending[i].fd = -1;
	ready_slots = true;
}

static void drop(struct ntf *n)
{
	if (n->fd >= 0)
		close(n->fd);
	tsig_ctx_fini(&n->tc);
	n->fd = -1;
}

/* The NOTIFY for zone (wire name origin): opcode NOTIFY, AA, the SOA
 * question (§3.7); unsigned. */
static size_t make_notify(uint8_t *m, const uint8_t *origin, uint16_t id)
{
	size_t ol = dname_len(origin);
	memset(m, 0, 12);
	m[0] = (uint8_t)(id >> 8);
	m[1] = (uint8_t)id;
	m[2] = OPCODE_NOTIFY << 3 | 0x04;	/* opcode, AA */
	m[5] = 1;
	memcpy(m + 12, origin, ol);
	uint8_t *t = m + 12 + ol;
	t[0] = 0;
	t[1] = RR_SOA;
	t[2] = 0;
	t[3] = RR_CLASS_IN;
	return 12 + ol + 4;
}

/* Sends n (signed anew when it has a key) and sets its next wait. */
static void send_one(struct ctl *c, struct ntf *n, int64_t now)
{
	uint8_t m[sizeof n->msg + 512];
	size_t len = n->len;
	memcpy(m, n->msg, len);
	if (n->key >= 0) {
		static struct tsig_key k;
		char err[256];
		const struct cfg_key *ck = &c->cfg.keys[n->key];
		tsig_ctx_fini(&n->tc);
		memset(&n->tc, 0, sizeof n->tc);
		if (tsig_key_make(&k, ck->name, ck->algorithm, ck->secret, err, sizeof err) != 0 ||
		    !(len = tsig_sign_query(&n->tc, &k, m, len, sizeof m, (uint64_t)time(NULL)))) {
			log_err("zone %s: NOTIFY to %s not signed: %s", n->zone, n->target, err);
			drop(n);
			return;
		}
	}
	if (send(n->fd, m, len, 0) < 0)
		log_debug("zone %s: NOTIFY to %s: %s", n->zone, n->target, strerror(errno));
	n->tries++;
	n->due_ms = now + n->wait_ms;
	n->wait_ms *= 2;
}

/* A free slot, or the oldest pending one for the same zone and target
 * (a newer serial replaces it). */
static struct ntf *slot_for(const char *zone, const char *target)
{
	struct ntf *free_slot = NULL;
	for (size_t i = 0; i < NTF_MAX; i++) {
		struct ntf *n = &pending[i];
		if (n->fd >= 0 && strcasecmp(n->zone, zone) == 0 && strcmp(n->target, target) == 0) {
			drop(n);
			return n;
		}
		if (n->fd < 0 && !free_slot)
			free_slot = n;
	}
	return free_slot;
}

void ntf_zone_changed(struct ctl *c, const struct zst *z)
{
	slots_init();
	const struct cfg_zone *cz = NULL;
	for (size_t i = 0; i < c->cfg.nzones; i++)
		if (strcasecmp(c->cfg.zones[i].name, z->name) == 0)
			cz = &c->cfg.zones[i];
	uint8_t origin[DNAME_MAX];
	if (!cz || !cz->nnotify || dname_from_text(origin, z->name, strlen(z->name), NULL) < 0)
		return;
	int64_t now = now_ms();
	for (unsigned i = 0; i < cz->nnotify; i++) {
		const struct cfg_remote *r = &cz->notify[i];
		struct ntf *n = slot_for(z->name, r->text);
		if (!n) {
			log_warn("zone %s: NOTIFY to %s not sent: %d already pending", z->name,
				 r->text, NTF_MAX);
			continue;
		}
		memset(n, 0, sizeof *n);
		n->fd = socket(r->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (n->fd < 0 || connect(n->fd, (const struct sockaddr *)&r->addr, r->addrlen) != 0) {
			log_warn("zone %s: NOTIFY to %s: %s", z->name, r->text, strerror(errno));
			drop(n);
			continue;
		}
		snprintf(n->zone, sizeof n->zone, "%s", z->name);
		snprintf(n->target, sizeof n->target, "%s", r->text);
		getrandom(&n->id, sizeof n->id, 0);
		n->len = make_notify(n->msg, origin, n->id);
		n->key = cz->key;
		n->wait_ms = NTF_FIRST_MS;
		send_one(c, n, now);
	}
}

/* The answer to n: its ID, QR, opcode NOTIFY; signed when n was. */
static void answered(struct ntf *n)
{
	uint8_t m[4096];
	ssize_t k = recv(n->fd, m, sizeof m, 0);
	if (k < 12 || (m[0] << 8 | m[1]) != n->id || !(m[2] & 0x80) ||
	    ((m[2] >> 3) & 15) != OPCODE_NOTIFY)
		return;	/* not ours: wait on */
	size_t len = (size_t)k;
	char err[256] = "";
	if (n->key >= 0 &&
	    tsig_verify_response(&n->tc, m, &len, (uint64_t)time(NULL), err, sizeof err) != 0) {
		log_warn("zone %s: NOTIFY answer from %s: TSIG: %s", n->zone, n->target, err);
		return;
	}
	unsigned rcode = m[3] & 15;
	if (rcode == 0)
		log_info("zone %s: NOTIFY to %s acknowledged", n->zone, n->target);
	else
		log_warn("zone %s: NOTIFY to %s answered with RCODE %u", n->zone, n->target,
			 rcode);
	drop(n);
}

size_t ntf_pollfds(struct pollfd *p, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; ready_slots && i < NTF_MAX && k < cap; i++)
		if (pending[i].fd >= 0)
			p[k++] = (struct pollfd){ .fd = pending[i].fd, .events = POLLIN };
	return k;
}

void ntf_events(const struct pollfd *p, size_t np)
{
	for (size_t j = 0; j < np; j++) {
		if (!(p[j].revents & (POLLIN | POLLERR)))
			continue;
		for (size_t i = 0; i < NTF_MAX; i++)
			if (pending[i].fd == p[j].fd) {
				answered(&pending[i]);
				break;
			}
	}
}

void ntf_tick(struct ctl *c)
{
	int64_t now = now_ms();
	for (size_t i = 0; ready_slots && i < NTF_MAX; i++) {
		struct ntf *n = &pending[i];
		if (n->fd < 0 || now < n->due_ms)
			continue;
		if (n->tries >= NTF_TRIES) {
			log_warn("zone %s: NOTIFY to %s: no answer after %u tries, given up", n->zone,
				 n->target, n->tries);
			drop(n);
		} else {
			send_one(c, n, now);
		}
	}
}

int ntf_wait_ms(void)
{
	int64_t now = now_ms(), best = -1;
	for (size_t i = 0; ready_slots && i < NTF_MAX; i++)
		if (pending[i].fd >= 0) {
			int64_t d = pending[i].due_ms > now ? pending[i].due_ms - now : 0;
			if (best < 0 || d < best)
				best = d;
		}
	return (int)best;
}
