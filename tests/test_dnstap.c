/*
 * test_dnstap.c - dnstap logging (dataplane/dnstap.c): the hand-written
 * encoder against protobuf-c's code for the schema (the same bytes, and
 * protobuf-c reads every field back), and the path through fstrm's queues
 * to a file, read back with fstrm's reader: sampling, queries and
 * responses, the counters, a message too large for a frame.
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
	pm.has_query_port = m->has_port;
	pm.query_port = m->port;
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
	cr_assert_eq(pm->has_query_port, m->has_port);
	cr_assert_eq(pm->query_port, m->port);
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
	const uint8_t v4[4] = { 192, 0, 2, 1 };
	const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct dt_msg m = { .type = DT_AUTH_QUERY, .family = DT_INET, .protocol = DT_UDP,
			    .addr = v4, .addr_len = 4, .has_port = true, .port = 53535,
			    .qt = { 1764000000, 123456789 }, .dns = dns, .dns_len = 40 };
	same_as_protobuf_c("ns1.example", "ringdns 0.1.0", &m);
	same_as_protobuf_c(NULL, NULL, &m);
	m.port = 1;
	same_as_protobuf_c("n", NULL, &m);
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

Test(dnstap, sampled_burst_to_a_file)
{
	char path[128];
	snprintf(path, sizeof path, "%s/t.fstrm", dir);
	struct dt_opts o = { .file = path, .sample = 3, .queries = true, .responses = true,
			     .identity = "ns1", .version = NULL, .threads = 1 };
	char err[256];
	struct dt_srv *s;
	cr_assert_eq(dt_open(&s, &o, err, sizeof err), 0, "%s", err);
	static struct wstats st;
	struct dt_wk *d = dt_attach(s, &st);
	cr_assert_not_null(d);
	cr_assert_null(dt_attach(s, &st), "one share per thread");

	/* 9 queries from 192.0.2.N: the 3rd, 6th and 9th are sampled */
	struct sockaddr_in peer[9];
	struct ans_req req[9];
	static uint8_t q[9][12], r[9][5000];
	uint8_t *outs[9];
	size_t lens[9];
	for (unsigned i = 0; i < 9; i++) {
		peer[i] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(1000 + i),
						.sin_addr.s_addr = htonl(0xc0000200u + i) };
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
