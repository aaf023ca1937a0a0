/*
 * chaos.c - CHAOS class TXT queries for the server's identity and version
 * (version.bind, version.server, id.server, hostname.bind; RFC 4892 §2),
 * answered from the configuration, REFUSED when hidden or unknown, as Knot
 * does.
 */
#include <string.h>

#include "zones/dname.h"
#include "dataplane/engine.h"
#include "zones/rrtype.h"

static const uint8_t n_version_bind[] = "\7version\4bind";
static const uint8_t n_version_server[] = "\7version\6server";
static const uint8_t n_id_server[] = "\2id\6server";
static const uint8_t n_hostname_bind[] = "\10hostname\4bind";

void chaos_answer(struct eng *e)
{
	const struct qry *q = e->q;
	e->rcode = RCODE_REFUSED;
	if (q->qtype != RR_TXT)
		return;
	const char *txt = NULL;
	if (dname_eq(q->qname, n_version_bind) || dname_eq(q->qname, n_version_server))
		txt = e->cfg->version;
	else if (dname_eq(q->qname, n_id_server) || dname_eq(q->qname, n_hostname_bind))
		txt = e->cfg->identity;
	if (!txt)
		return;

	/* TXT RDATA: the text in <character-string>s of up to 255 octets. */
	uint8_t rd[1024];
	size_t len = strnlen(txt, 1000), n = 0;
	for (size_t o = 0; o < len || o == 0; o += 255) {
		size_t l = len - o < 255 ? len - o : 255;
		rd[n++] = (uint8_t)l;
		memcpy(rd + n, txt + o, l);
		n += l;
		if (len == 0)
			break;
	}
	e->rcode = RCODE_NOERROR;
	if (!rw_rr(e->w, RW_AN, NULL, RR_TXT, RR_CLASS_CH, 0, rd, (uint16_t)n))
		e->tc = true;
}
