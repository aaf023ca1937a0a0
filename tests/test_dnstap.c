/*
 * test_dnstap.c - dnstap logging (dataplane/dnstap.c): the hand-written
 * encoder against protobuf-c's code for the schema (the same bytes, and
 * protobuf-c reads every field back), and the path through fstrm's queues
 * to a file, read back with fstrm's reader: sampling, queries and
 * responses, the counters, a message too large for a frame, and both
 * ends (addresses and ports) of every kind a transport gives.
 */
#include <criterion/criterion.h>
#include <fstrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dnstap.h"
#include "dataplane/dnstap.pb-c.h"
#include "tests/zt.h"

static char dir[64];

static void setup(void)
{
	zt_mktmp(dir, "dnstap");
}

static void teardown(void)
{
	zt_rmtmp(dir);
}

TestSuite(dnstap, .init = setup, .fini = teardown);

/* protobuf-c's pack of the Dnstap of m, into out; its length. */
static size_t pb_pack(const char *identity, const char *version, const struct dt_msg *m,
		      uint8_t *out)
{
	Dnstap__Message pm = DNSTAP__MESSAGE__INIT;
	pm.type = m->type;
	pm.has_socket_family = m->family != 0;
	pm.socket_family = m->family;
	pm.has_socket_protocol = true;
	pm.socket_protocol = m->protocol;
	pm.has_query_address = m->addr_len != 0;
	pm.query_address = (ProtobufCBinaryData){ m->addr_len, (uint8_t *)m->addr };
	pm.has_response_address = m->raddr_len != 0;
	pm.response_address = (ProtobufCBinaryData){ m->raddr_len, (uint8_t *)m->raddr };
	pm.has_query_port = m->has_port;
	pm.query_port = m->port;
	pm.has_response_port = m->has_rport;
	pm.response_port = m->rport;
	pm.has_query_time_sec = pm.has_query_time_nsec = true;
	pm.query_time_sec = (uint64_t)m->qt.tv_sec;
	pm.query_time_nsec = (uint32_t)m->qt.tv_nsec;
	ProtobufCBinaryData dns = { m->dns_len, (uint8_t *)m->dns };
	if (m->type == DT_AUTH_QUERY) {
		pm.has_query_message = true;
		pm.query_message = dns;
	} else {
		pm.has_response_time_sec = pm.has_response_time_nsec = true;
		pm.response_time_sec = (uint64_t)m->rt.tv_sec;
		pm.response_time_nsec = (uint32_t)m->rt.tv_nsec;
		pm.has_response_message = true;
		pm.response_message = dns;
	}
	Dnstap__Dnstap t = DNSTAP__DNSTAP__INIT;
	t.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	t.message = &pm;
	t.has_identity = identity != NULL;
	t.identity = (ProtobufCBinaryData){ identity ? strlen(identity) : 0, (uint8_t *)identity };
	t.has_version = version != NULL;
	t.version = (ProtobufCBinaryData){ version ? strlen(version) : 0, (uint8_t *)version };
	return dnstap__dnstap__pack(&t, out);
}

static void same_as_protobuf_c(const char *identity, const char *version, const struct dt_msg *m)
{
	static uint8_t a[8192], b[8192];
	size_t na = dt_encode(a, identity, version, m);
	size_t nb = pb_pack(identity, version, m, b);
	cr_assert_eq(na, nb, "length %zu, protobuf-c's %zu", na, nb);
	cr_assert(memcmp(a, b, na) == 0, "bytes differ from protobuf-c's");
	Dnstap__Dnstap *t = dnstap__dnstap__unpack(NULL, na, a);
	cr_assert_not_null(t);
	cr_assert_eq(t->type, DNSTAP__DNSTAP__TYPE__MESSAGE);
	cr_assert_eq(t->has_identity, identity != NULL);
	if (identity)
		cr_assert(t->identity.len == strlen(identity) &&
			  !memcmp(t->identity.data, identity, t->identity.len));
	Dnstap__Message *pm = t->message;
	cr_assert_not_null(pm);
	cr_assert_eq((unsigned)pm->type, m->type);
	cr_assert_eq((unsigned)pm->socket_protocol, m->protocol);
	cr_assert_eq(pm->query_address.len, m->addr_len);
	cr_assert_eq(pm->response_address.len, m->raddr_len);
	cr_assert_eq(pm->has_query_port, m->has_port);
	cr_assert_eq(pm->query_port, m->port);
	cr_assert_eq(pm->has_response_port, m->has_rport);
	cr_assert_eq(pm->response_port, m->rport);
	cr_assert_eq(pm->query_time_sec, (uint64_t)m->qt.tv_sec);
	cr_assert_eq(pm->query_time_nsec, (uint32_t)m->qt.tv_nsec);
	const ProtobufCBinaryData *dns =
		m->type == DT_AUTH_QUERY ? &pm->query_message : &pm->response_message;
	cr_assert(dns->len == m->dns_len && !memcmp(dns->data, m->dns, m->dns_len));
	dnstap__dnstap__free_unpacked(t, NULL);
}

Test(dnstap, encoder_matches_protobuf_c)
{
	static uint8_t dns[4000];
	for (size_t i = 0; i < sizeof dns; i++)
		dns[i] = (uint8_t)(i * 7);
	const uint8_t v4[4] = { 198, 18, 0, 1 }, s4[4] = { 198, 51, 100, 53 };
	const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x53, [15] = 0x53 };
	struct dt_msg m = { .type = DT_AUTH_QUERY, .family = DT_INET, .protocol = DT_UDP,
			    .addr = v4, .addr_len = 4, .has_port = true, .port = 53535,
			    .qt = { 1764000000, 123456789 }, .dns = dns, .dns_len = 40 };
	same_as_protobuf_c("ns1.example", "ringdns 0.1.0", &m);
	same_as_protobuf_c(NULL, NULL, &m);
	m.port = 1;
	same_as_protobuf_c("n", NULL, &m);
	/* both ends, and the server's end alone */
	m.raddr = s4;
	m.raddr_len = 4;
	m.has_rport = true;
	m.rport = 53;
	same_as_protobuf_c("n", NULL, &m);
	m.rport = 65535;
	same_as_protobuf_c("n", "v", &m);
	m.addr_len = 0;
	m.has_port = false;
	m.port = 0;
	same_as_protobuf_c(NULL, NULL, &m);
	m = (struct dt_msg){ .type = DT_AUTH_RESPONSE, .family = DT_INET6, .protocol = DT_UDP,
			     .addr = v6, .addr_len = 16, .raddr = s6, .raddr_len = 16,
			     .has_port = true, .port = 65535, .has_rport = true, .rport = 5353,
			     .qt = { 1764000000, 1 }, .rt = { 1764000001, 2 }, .dns = dns,
			     .dns_len = 300 };
	same_as_protobuf_c("ns1.example", "ringdns 0.1.0", &m);
	/* a response over TCP from IPv6 with no port, a message whose length
	 * takes two bytes, and the largest times */
	m = (struct dt_msg){ .type = DT_AUTH_RESPONSE, .family = DT_INET6, .protocol = DT_TCP,
			     .addr = v6, .addr_len = 16, .qt = { 0, 0 },
			     .rt = { (time_t)0x7fffffff, 999999999 }, .dns = dns,
			     .dns_len = sizeof dns };
	same_as_protobuf_c(NULL, "v", &m);
	m.dns_len = 127;	/* the last one-byte length */
	same_as_protobuf_c("x", "y", &m);
	m.dns_len = 128;
	same_as_protobuf_c("x", "y", &m);
	/* no address at all */
	m.family = 0;
	m.addr_len = 0;
	same_as_protobuf_c(NULL, NULL, &m);
}

/* The frames of a Frame Streams file, each unpacked into t[] (up to cap);
 * returns how many. */
static size_t read_frames(const char *path, Dnstap__Dnstap **t, size_t cap)
{
	struct fstrm_file_options *fo = fstrm_file_options_init();
	fstrm_file_options_set_file_path(fo, path);
	struct fstrm_reader *r = fstrm_file_reader_init(fo, NULL);
	fstrm_file_options_destroy(&fo);
	cr_assert_not_null(r);
	cr_assert_eq(fstrm_reader_open(r), fstrm_res_success);
	size_t n = 0;
	const uint8_t *data;
	size_t len;
	while (fstrm_reader_read(r, &data, &len) == fstrm_res_success) {
		cr_assert_lt(n, cap);
		t[n] = dnstap__dnstap__unpack(NULL, len, data);
		cr_assert_not_null(t[n]);
		n++;
	}
	fstrm_reader_destroy(&r);
	return n;
}

/* dt_open with o, and the share of the one serving thread (counters in
 * st). */
static struct dt_wk *open_one(struct dt_srv **s, const struct dt_opts *o, struct wstats *st)
{
	char err[256];
	cr_assert_eq(dt_open(s, o, err, sizeof err), 0, "%s", err);
	struct dt_wk *d = dt_attach(*s, st);
	cr_assert_not_null(d);
	return d;
}

Test(dnstap, sampled_burst_to_a_file)
{
	char path[128];
	snprintf(path, sizeof path, "%s/t.fstrm", dir);
	struct dt_opts o = { .file = path, .sample = 3, .queries = true, .responses = true,
			     .identity = "ns1", .version = NULL, .threads = 1 };
	struct dt_srv *s;
	static struct wstats st;
	struct dt_wk *d = open_one(&s, &o, &st);
	cr_assert_null(dt_attach(s, &st), "one share per thread");

	/* 9 queries from 198.18.0.N: the 3rd, 6th and 9th are sampled */
	struct sockaddr_in peer[9];
	struct ans_req req[9];
	static uint8_t q[9][12], r[9][5000];
	uint8_t *outs[9];
	size_t lens[9];
	for (unsigned i = 0; i < 9; i++) {
		peer[i] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(1000 + i),
						.sin_addr.s_addr = htonl(0xc6120000u + i) };
		q[i][0] = (uint8_t)i;
		req[i] = (struct ans_req){ .q = q[i], .qlen = 12, .peer_kind = ANS_PEER_SOCKADDR,
					   .peer = &peer[i] };
		outs[i] = r[i];
		r[i][0] = (uint8_t)(0x80 | i);
		lens[i] = 20;
	}
	lens[8] = sizeof r[8];	/* too large a response for a frame */
	uint32_t mask = dt_burst_queries(d, req, 9);
	cr_assert_eq(mask, 1u << 2 | 1u << 5 | 1u << 8);
	dt_burst_responses(d, req, outs, lens, mask);
	dt_close(s);
	cr_assert_eq(st.dnstap_sent, 5);
	cr_assert_eq(st.dnstap_dropped, 1);

	Dnstap__Dnstap *t[8];
	size_t n = read_frames(path, t, 8);
	cr_assert_eq(n, 5);
	unsigned want[5][2] = { { DT_AUTH_QUERY, 2 }, { DT_AUTH_QUERY, 5 }, { DT_AUTH_QUERY, 8 },
				{ DT_AUTH_RESPONSE, 2 }, { DT_AUTH_RESPONSE, 5 } };
	for (size_t k = 0; k < n; k++) {
		Dnstap__Message *m = t[k]->message;
		unsigned i = want[k][1];
		cr_assert_eq((unsigned)m->type, want[k][0]);
		cr_assert(t[k]->has_identity && t[k]->identity.len == 3);
		cr_assert(!t[k]->has_version);
		cr_assert_eq(m->socket_family, DNSTAP__SOCKET_FAMILY__INET);
		cr_assert_eq(m->socket_protocol, DNSTAP__SOCKET_PROTOCOL__UDP);
		cr_assert_eq(m->query_port, 1000 + i);
		cr_assert(m->query_address.len == 4 && m->query_address.data[3] == i);
		if (m->type == DNSTAP__MESSAGE__TYPE__AUTH_QUERY)
			cr_assert(m->query_message.len == 12 && m->query_message.data[0] == i);
		else
			cr_assert(m->response_message.len == 20 &&
				  m->response_message.data[0] == (0x80 | i));
		dnstap__dnstap__free_unpacked(t[k], NULL);
	}
}

/* One message's ends as a transport gives them (peer_kind, local_kind
 * and their ports) and as dnstap must log them: family 0 for none, an
 * address's length 0 for none, a port 0 for none. */
struct ends_case {
	const char *what;
	uint8_t pk, lk;
	const void *peer, *local;
	uint16_t pport, lport;
	unsigned family;
	const uint8_t *qa, *ra;
	size_t qa_len, ra_len;
	uint16_t qport, rport;
};

static void check_bytes(bool has, const ProtobufCBinaryData *b, const uint8_t *want,
			size_t len, const char *what, const char *field)
{
	cr_assert_eq(has, len != 0, "%s: %s present %d", what, field, has);
	if (len)
		cr_assert(b->len == len && !memcmp(b->data, want, len), "%s: %s (%zu bytes)",
			  what, field, b->len);
}

static void check_ends(const Dnstap__Message *m, const struct ends_case *c)
{
	cr_assert_eq(m->has_socket_family, c->family != 0, "%s: family", c->what);
	if (c->family)
		cr_assert_eq((unsigned)m->socket_family, c->family, "%s: family", c->what);
	check_bytes(m->has_query_address, &m->query_address, c->qa, c->qa_len, c->what,
		    "query_address");
	check_bytes(m->has_response_address, &m->response_address, c->ra, c->ra_len, c->what,
		    "response_address");
	cr_assert_eq(m->has_query_port, c->qport != 0, "%s: query_port", c->what);
	if (c->qport)
		cr_assert_eq(m->query_port, c->qport, "%s: query_port %u", c->what, m->query_port);
	cr_assert_eq(m->has_response_port, c->rport != 0, "%s: response_port", c->what);
	if (c->rport)
		cr_assert_eq(m->response_port, c->rport, "%s: response_port %u", c->what,
			     m->response_port);
}

Test(dnstap, both_ends_of_every_kind)
{
	char path[128];
	snprintf(path, sizeof path, "%s/ends.fstrm", dir);
	struct dt_opts o = { .file = path, .sample = 1, .queries = true, .responses = true,
			     .threads = 1 };
	struct dt_srv *s;
	static struct wstats st;
	struct dt_wk *d = open_one(&s, &o, &st);

	/* sockaddrs (the socket backend's peer, TCP's both ends), addresses
	 * in an IP header (the DPDK backend's, and the socket backend's
	 * pktinfo), IPv4 as v4-mapped IPv6 */
	const uint8_t c4[4] = { 198, 18, 0, 7 }, s4[4] = { 198, 51, 100, 53 };
	const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 0x53 };
	const uint8_t c4m[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 7 };
	const uint8_t s4m[16] = { [10] = 0xff, [11] = 0xff, 198, 51, 100, 53 };
	struct sockaddr_in sa_c4 = { .sin_family = AF_INET, .sin_port = htons(40001) };
	struct sockaddr_in sa_s4 = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct sockaddr_in6 sa_c6 = { .sin6_family = AF_INET6, .sin6_port = htons(40002) };
	struct sockaddr_in6 sa_s6 = { .sin6_family = AF_INET6, .sin6_port = htons(5353) };
	struct sockaddr_storage sa_none = { .ss_family = AF_UNIX };
	memcpy(&sa_c4.sin_addr, c4, 4);
	memcpy(&sa_s4.sin_addr, s4, 4);
	memcpy(&sa_c6.sin6_addr, c6, 16);
	memcpy(&sa_s6.sin6_addr, s6, 16);
	enum { SA = ANS_PEER_SOCKADDR, IP4 = ANS_PEER_IP4, IP16 = ANS_PEER_IP16,
	       NONE = ANS_PEER_NONE, V4 = DT_INET, V6 = DT_INET6 };
	const struct ends_case cs[] = {
		{ "TCP v4: sockaddrs", SA, SA, &sa_c4, &sa_s4, 0, 0,
		  V4, c4, s4, 4, 4, 40001, 53 },
		{ "TCP v6: sockaddrs", SA, SA, &sa_c6, &sa_s6, 0, 0,
		  V6, c6, s6, 16, 16, 40002, 5353 },
		{ "socket v4: pktinfo", SA, IP4, &sa_c4, s4, 0, 53,
		  V4, c4, s4, 4, 4, 40001, 53 },
		{ "socket v6: pktinfo", SA, IP16, &sa_c6, s6, 0, 5353,
		  V6, c6, s6, 16, 16, 40002, 5353 },
		{ "socket: no pktinfo", SA, NONE, &sa_c4, NULL, 0, 53,
		  V4, c4, NULL, 4, 0, 40001, 53 },
		{ "DPDK v4", IP4, IP4, c4, s4, 1, 65535,
		  V4, c4, s4, 4, 4, 1, 65535 },
		{ "DPDK v6", IP16, IP16, c6, s6, 40003, 53,
		  V6, c6, s6, 16, 16, 40003, 53 },
		{ "v4-mapped", IP16, IP16, c4m, s4m, 40004, 53,
		  V4, c4, s4, 4, 4, 40004, 53 },
		{ "families differ", IP4, IP16, c4, s6, 40005, 53,
		  V4, c4, NULL, 4, 0, 40005, 53 },
		{ "server only", NONE, IP16, NULL, s6, 0, 53,
		  V6, NULL, s6, 0, 16, 0, 53 },
		{ "sockaddr of another family", SA, SA, &sa_none, &sa_none, 0, 0,
		  0, NULL, NULL, 0, 0, 0, 0 },
		{ "nothing known", NONE, NONE, NULL, NULL, 0, 0,
		  0, NULL, NULL, 0, 0, 0, 0 },
	};
	enum { N = sizeof cs / sizeof cs[0] };
	struct ans_req req[N];
	static uint8_t q[N][12], r[N][12];
	uint8_t *outs[N];
	size_t lens[N];
	for (unsigned i = 0; i < N; i++) {
		q[i][0] = (uint8_t)i;
		r[i][0] = (uint8_t)(0x80 | i);
		req[i] = (struct ans_req){ .q = q[i], .qlen = 12, .tcp = i < 2,
					   .peer_kind = cs[i].pk, .peer = cs[i].peer,
					   .peer_port = cs[i].pport, .local_kind = cs[i].lk,
					   .local = cs[i].local, .local_port = cs[i].lport };
		outs[i] = r[i];
		lens[i] = 12;
	}
	uint32_t mask = dt_burst_queries(d, req, N);
	cr_assert_eq(mask, (1u << N) - 1);
	dt_burst_responses(d, req, outs, lens, mask);
	dt_close(s);
	cr_assert_eq(st.dnstap_sent, 2 * N);
	cr_assert_eq(st.dnstap_dropped, 0);

	Dnstap__Dnstap *t[2 * N + 1];
	size_t n = read_frames(path, t, 2 * N + 1);
	cr_assert_eq(n, 2 * N);
	for (size_t k = 0; k < n; k++) {
		const Dnstap__Message *m = t[k]->message;
		unsigned i = (unsigned)(k % N);
		bool resp = k >= N;
		cr_assert_eq((unsigned)m->type, resp ? DT_AUTH_RESPONSE : DT_AUTH_QUERY);
		const ProtobufCBinaryData *dns = resp ? &m->response_message : &m->query_message;
		cr_assert(dns->len == 12 && dns->data[0] == (resp ? 0x80 | i : i), "frame %zu", k);
		cr_assert_eq((unsigned)m->socket_protocol, i < 2 ? DT_TCP : DT_UDP);
		check_ends(m, &cs[i]);
		dnstap__dnstap__free_unpacked(t[k], NULL);
	}
}

Test(dnstap, unwritable_file_refused)
{
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/no/such/dir/t.fstrm", dir);
	struct dt_opts o = { .file = path, .sample = 1, .threads = 1 };
	struct dt_srv *s;
	cr_assert_eq(dt_open(&s, &o, err, sizeof err), -1);
	cr_assert_null(s);
	cr_assert(strstr(err, path) && strstr(err, "No such file"), "%s", err);
}
