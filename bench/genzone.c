/* genzone: write a deterministic, realistic master file for benchmarks.
 *
 *   genzone ORIGIN NRECORDS SEED > file.zone
 *
 * Writes exactly NRECORDS records: SOA, apex NS/A/AAAA/DNSKEY, then host
 * names with a mix of about 45% A, 15% AAAA, 8% MX, 8% TXT, 8% CNAME (to
 * in-zone hosts), 5% delegation records (2 in-bailiwick NS + glue A/AAAA,
 * DS on some), some SRV and CAA, and ~5% RRSIG (syntactically valid, with
 * random 64-byte ECDSA-sized signatures, so they do not verify). No NSEC
 * chain. Names are mostly relative, some absolute; some RRsets carry an
 * explicit TTL. Only documentation addresses are used. The same arguments
 * always give the same bytes. The last line is "; genzone: N records, M
 * names" and the same summary goes to stderr. Only libc is needed. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

/* splitmix64: small, fast, and good enough for test data */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static const char *origin;     /* with trailing dot */
static unsigned origin_labels; /* labels in origin, root excluded */
static uint64_t nrec, target;  /* records written, records wanted */
static uint64_t nnames;

static const char *const prefixes[] = {
	"www", "mail", "web", "api", "cdn", "app", "db", "vpn", "host", "srv",
	"shop", "blog", "dev", "static", "img", "portal", "m", "ftp", "git", "mx",
};
#define NPREFIX (sizeof prefixes / sizeof prefixes[0])

/* the owner label of host number id: deterministic, unique per id */
static const char *host(uint64_t id, char *buf)
{
	snprintf(buf, 64, "%s-%llx", prefixes[id % NPREFIX], (unsigned long long)id);
	return buf;
}

/* recent hosts that own an A RRset: valid CNAME/MX/SRV targets */
#define RING 4096
static uint64_t ring[RING];
static unsigned ring_n;

static uint64_t pick_target(void) { return ring[rn(ring_n < RING ? ring_n : RING)]; }

static void b64(char *out, size_t nbytes)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/* nbytes is a multiple of 3 here, except for 64-byte keys/signatures */
	size_t nchars = (nbytes + 2) / 3 * 4, pad = (3 - nbytes % 3) % 3;
	for (size_t i = 0; i < nchars - pad; i++)
		out[i] = tab[rn(64)];
	if (pad) {
		/* the last char before padding must leave the unused bits zero */
		out[nchars - pad - 1] = tab[rn(64) & (pad == 1 ? 0x3c : 0x30)];
		memset(out + nchars - pad, '=', pad);
	}
	out[nchars] = 0;
}

static void hex(char *out, size_t nbytes)
{
	for (size_t i = 0; i < nbytes * 2; i++)
		out[i] = "0123456789ABCDEF"[rn(16)];
	out[nbytes * 2] = 0;
}

/* Branch weights (per mille, per generated name) are chosen so that the
 * share of *records* comes out near the mix in the header comment. */

/* Owner field: relative mostly, absolute for ~5% of names. TTL field:
 * empty (zone $TTL 3600) for ~90% of RRsets, else explicit. */
struct owner { char name[160]; char ttlf[16]; unsigned ttl, labels; };

static void mkowner(struct owner *o, const char *rel, unsigned rel_labels)
{
	static const unsigned ttls[] = { 300, 600, 86400 };
	if (rn(20) == 0)
		snprintf(o->name, sizeof o->name, "%s.%s", rel, origin);
	else
		snprintf(o->name, sizeof o->name, "%s", rel);
	o->labels = rel_labels + origin_labels;
	if (rn(10) == 0) {
		o->ttl = ttls[rn(3)];
		snprintf(o->ttlf, sizeof o->ttlf, "%u", o->ttl);
	} else {
		o->ttl = 3600;
		o->ttlf[0] = 0;
	}
	nnames++;
}

static void rr(const struct owner *o, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rr(const struct owner *o, const char *type, const char *fmt, ...)
{
	va_list ap;
	printf("%s\t%s\tIN\t%s\t", o->name, o->ttlf, type);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nrec++;
}

/* one RRSIG over (owner, type), with 7% probability: about 5% of records */
static void maybe_sign(const struct owner *o, const char *type)
{
	char sig[100];
	if (rn(100) >= 7 || nrec >= target)
		return;
	b64(sig, 64);
	rr(o, "RRSIG", "%s 13 %u %u 20261224000000 20261124000000 34505 %s %s",
	   type, o->labels, o->ttl, origin, sig);
}

static void addr4(char *out)
{
	static const char *const nets[] = { "192.0.2", "198.51.100", "203.0.113" };
	sprintf(out, "%s.%u", nets[rn(3)], 1 + rn(254));
}

static void addr6(char *out)
{
	sprintf(out, "2001:db8:%x:%x::%x", rn(65536), rn(65536), 1 + rn(65535));
}

static const char *tname(uint64_t id, char *buf)
{
	/* targets: absolute for ~10%, relative otherwise */
	char h[64];
	host(id, h);
	if (rn(10) == 0)
		snprintf(buf, 160, "%s.%s", h, origin);
	else
		snprintf(buf, 160, "%s", h);
	return buf;
}

static void gen_one(uint64_t id)
{
	char h[64], a[80], t[160], k[400], n[96];
	struct owner o;
	unsigned r = rn(1000), left = (unsigned)(target - nrec < 100 ? target - nrec : 100);

	host(id, h);
	if (left < 8 || ring_n == 0)
		r = 0; /* near the end (and at the start): single A records only */
	if (r < 440) { /* A: one or two addresses */
		mkowner(&o, h, 1);
		addr4(a);
		rr(&o, "A", "%s", a);
		if (left >= 8 && rn(5) == 0) {
			size_t dot = strlen(a);
			while (a[dot - 1] != '.') dot--;
			sprintf(a + dot, "%u", 1 + (unsigned)(atoi(a + dot) % 254));
			rr(&o, "A", "%s", a);
		}
		if (left >= 8) maybe_sign(&o, "A");
		ring[ring_n++ % RING] = id;
	} else if (r < 633) { /* AAAA, often next to an A */
		mkowner(&o, h, 1);
		if (rn(2)) { addr4(a); rr(&o, "A", "%s", a); ring[ring_n++ % RING] = id; }
		addr6(a);
		rr(&o, "AAAA", "%s", a);
		maybe_sign(&o, "AAAA");
	} else if (r < 709) { /* MX: one or two exchangers */
		mkowner(&o, h, 1);
		rr(&o, "MX", "10 %s", tname(pick_target(), t));
		if (rn(2)) rr(&o, "MX", "20 %s", tname(pick_target(), t));
		maybe_sign(&o, "MX");
	} else if (r < 824) { /* TXT: SPF, site verification, or multi-string */
		mkowner(&o, h, 1);
		switch (rn(3)) {
		case 0: rr(&o, "TXT", "\"v=spf1 ip4:198.51.100.0/24 include:_spf.%s ~all\"", origin); break;
		case 1: b64(k, 30); rr(&o, "TXT", "\"site-verification=%s\"", k); break;
		default: b64(k, 150);
			rr(&o, "TXT", "\"v=DKIM1; k=rsa; \" \"p=%.100s\" \"%s\"", k, k + 100);
		}
		maybe_sign(&o, "TXT");
	} else if (r < 939) { /* CNAME to an in-zone host that has an A */
		mkowner(&o, h, 1);
		rr(&o, "CNAME", "%s", tname(pick_target(), t));
		maybe_sign(&o, "CNAME");
	} else if (r < 950) { /* delegation: NS x2, glue A/AAAA, sometimes DS */
		snprintf(n, 32, "zone-%llx", (unsigned long long)id);
		mkowner(&o, n, 1);
		rr(&o, "NS", "ns1.%s", n);
		rr(&o, "NS", "ns2.%s", n);
		if (rn(3) == 0) {
			hex(a, 32);
			rr(&o, "DS", "%u 13 2 %s", rn(65536), a);
			maybe_sign(&o, "DS");
		}
		for (int i = 1; i <= 2; i++) {
			struct owner g;
			snprintf(t, sizeof t, "ns%d.%s", i, n);
			mkowner(&g, t, 2);
			addr4(a); rr(&g, "A", "%s", a);
			addr6(a); rr(&g, "AAAA", "%s", a);
		}
	} else if (r < 972) { /* SRV under _service._proto */
		static const char *const svc[] = { "_sip._tcp", "_xmpp-server._tcp",
			"_ldap._tcp", "_imaps._tcp", "_caldavs._tcp" };
		snprintf(n, sizeof n, "%s.%s", svc[rn(5)], h);
		mkowner(&o, n, 3);
		rr(&o, "SRV", "10 60 %u %s", 1024 + rn(60000), tname(pick_target(), t));
		rr(&o, "SRV", "20 40 %u %s", 1024 + rn(60000), tname(pick_target(), t));
		maybe_sign(&o, "SRV");
	} else { /* CAA */
		mkowner(&o, h, 1);
		rr(&o, "CAA", "0 issue \"letsencrypt.org\"");
		if (rn(2)) rr(&o, "CAA", "0 iodef \"mailto:security@%s\"", origin);
		maybe_sign(&o, "CAA");
	}
}

int main(int argc, char **argv)
{
	static char obuf[1 << 20];
	char o_buf[300], key[100];
	struct owner apex;

	if (argc != 4) {
		fprintf(stderr, "usage: genzone ORIGIN NRECORDS SEED > file.zone\n");
		return 2;
	}
	size_t ol = strlen(argv[1]);
	if (ol == 0 || ol > 200 || strcmp(argv[1], ".") == 0) {
		fprintf(stderr, "genzone: bad origin (the root is not supported)\n");
		return 2;
	}
	snprintf(o_buf, sizeof o_buf, "%s%s", argv[1], argv[1][ol - 1] == '.' ? "" : ".");
	origin = o_buf;
	for (const char *p = origin; *p; p++) origin_labels += *p == '.';
	target = strtoull(argv[2], NULL, 10);
	rng_state = strtoull(argv[3], NULL, 10);
	if (target < 10) { fprintf(stderr, "genzone: NRECORDS must be >= 10\n"); return 2; }
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

	printf("; generated by: genzone %s %s %s\n$ORIGIN %s\n$TTL 3600\n",
	       argv[1], argv[2], argv[3], origin);
	strcpy(apex.name, "@"); apex.ttlf[0] = 0; apex.ttl = 3600; apex.labels = origin_labels;
	nnames++;
	rr(&apex, "SOA", "ns1 hostmaster 2026112401 7200 3600 1209600 300");
	rr(&apex, "NS", "ns1");
	rr(&apex, "NS", "ns2");
	b64(key, 64); rr(&apex, "DNSKEY", "257 3 13 %s", key);
	b64(key, 64); rr(&apex, "DNSKEY", "256 3 13 %s", key);
	for (int i = 1; i <= 2; i++) {
		struct owner ns;
		char n[8], a[64];
		snprintf(n, sizeof n, "ns%d", i);
		mkowner(&ns, n, 1);
		addr4(a); rr(&ns, "A", "%s", a);
		addr6(a); rr(&ns, "AAAA", "%s", a);
	}
	for (uint64_t id = 1; nrec < target; id++)
		gen_one(id);
	printf("; genzone: %llu records, %llu names\n",
	       (unsigned long long)nrec, (unsigned long long)nnames);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("genzone: write");
		return 1;
	}
	fprintf(stderr, "genzone: %llu records, %llu names\n",
	        (unsigned long long)nrec, (unsigned long long)nnames);
	return 0;
}
