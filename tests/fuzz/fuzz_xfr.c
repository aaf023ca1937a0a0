/*
 * fuzz_xfr.c - libFuzzer target: a zone transfer response as a secondary
 * receives it (control/xfrin.c xfi_read_stream: the header checks, the
 * records, the AXFR or the incremental form of an IXFR, control/
 * ixstream.c), then what the control process does with it: the zone text
 * loaded (zones/zonefile.c, the zone checks, the compiler, the snapshot
 * validator), or the steps read back (control/zdfile.c) and applied to
 * the version served (control/zdapply.c), whose text is loaded the same
 * way.  The zone is example.com., the version served serial 100.
 *
 * The first byte chooses the query: 0: AXFR with no version served, 1:
 * AXFR with one, 2: IXFR from serial 100; the rest is the response as on
 * TCP (each message after its 2-byte length), answering query ID 0x4242.
 * Invariants beyond no crash, no sanitizer report, no leak: every record
 * taken is written as a line the zone-file parser reads back without an
 * error; the steps file written reads back; steps that apply lead to the
 * last step's serial; a zone that passes the checks compiles into an
 * image the validator accepts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "control/ctl.h"
#include "control/zdapply.h"
#include "control/zdfile.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/snap.h"
#include "zones/zone.h"
#include "zones/zonefile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SERIAL 100

static uint8_t origin[DNAME_MAX];
static struct snap *served;	/* serial 100 */
static int stream_fd;		/* a memfd the response is read from */

static const char served_text[] =
	"$TTL 300\n"
	"@ SOA ns1 hostmaster 100 3600 600 86400 300\n"
	"@ NS ns1\n"
	"@ NS ns2.example.net.\n"
	"@ MX 10 mail\n"
	"@ TXT \"v=spf1 -all\"\n"
	"ns1 A 198.18.0.53\n"
	"ns1 AAAA 2001:db8::53\n"
	"www A 198.18.0.1\n"
	"www A 198.18.0.2\n"
	"mail A 198.18.0.25\n"
	"alias CNAME www\n"
	"sub NS ns.sub\n"
	"ns.sub A 198.18.0.99\n"
	"*.wild TXT \"wild\"\n";

/* Loads zone text into a zone, checked; NULL when the checks refuse it.
 * The text alone must parse without errors (*parse_errors). */
static int count_cb(void *ud, const struct zf_record *rr)
{
	(void)rr;
	++*(unsigned long *)ud;
	return 0;
}

static struct zone *load(const char *text, size_t len, unsigned *parse_errors)
{
	struct zf_options opt = { .origin = origin, .max_errors = 20 };
	struct diag d = { 0 };
	unsigned long n = 0;
	zf_parse_mem("xfr.zone", text, len, &opt, count_cb, &n, &d);
	*parse_errors = d.errors;
	struct diag dz = { 0 };
	struct zone *z = zone_new(origin, &dz);
	if (!z)
		return NULL;
	zf_parse_mem("xfr.zone", text, len, &opt, zone_add_cb, z, &dz);
	if (zone_finish(z) != 0) {
		zone_free(z);
		return NULL;
	}
	return z;
}

/* Compiles z and opens the image; the image (free it) and the snapshot. */
static struct snap *compile(const struct zone *z, void **image)
{
	size_t len;
	char err[256];
	struct snap *s = NULL;
	if (zc_compile(z, image, &len, err, sizeof err) != 0)
		return NULL;
	if (snap_open(*image, len, &s, err, sizeof err) != 0) {
		fprintf(stderr, "the validator refused a compiled image: %s\n", err);
		abort();
	}
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (dname_from_text(origin, "example.com.", 12, NULL) < 0)
		abort();
	unsigned pe;
	struct zone *z = load(served_text, sizeof served_text - 1, &pe);
	void *image;
	if (!z || pe || !(served = compile(z, &image)))
		abort();
	zone_free(z);	/* the image stays for the whole run */
	stream_fd = memfd_create("fuzz-xfr", MFD_CLOEXEC);
	if (stream_fd < 0)
		abort();
	return 0;
}

/* Zone text (with "$ORIGIN .") loaded, checked and compiled. */
static void take_text(char *text, size_t len)
{
	unsigned pe;
	struct zone *z = load(text, len, &pe);
	if (pe)
		fprintf(stderr, "%.*s\n", (int)(len > 2000 ? 2000 : len), text);
	fz_check(pe == 0, "every record taken reads back as zone text");
	if (!z)
		return;
	void *image = NULL;
	struct snap *s = compile(z, &image);
	if (s)
		snap_close(s);
	free(image);
	zone_free(z);
}

/* The steps file read back, applied to the version served. */
static void take_steps(char *buf, size_t len)
{
	struct zdf_steps st;
	char err[512];
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, buf, len);
	int r = zdf_parse(copy, len, "steps", &st, err, sizeof err);
	if (r != 0)
		fprintf(stderr, "%s\n", err);
	fz_check(r == 0, "the steps written read back");
	struct zda *a = zda_new(served);
	size_t i = 0;
	while (a && i < st.n && zda_apply(a, &st.v[i], err, sizeof err) == 0)
		i++;
	if (a && st.n && i == st.n) {
		fz_check(zda_serial(a) == st.v[st.n - 1].to, "the steps lead to the last serial");
		char *text = NULL;
		size_t tlen = 0;
		FILE *f = open_memstream(&text, &tlen);
		if (f && zda_write(a, f, err, sizeof err) == 0 && fflush(f) == 0)
			take_text(text, tlen);
		if (f)
			fclose(f);
		free(text);
	}
	zda_free(a);
	zdf_steps_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] % 3;
	if (ftruncate(stream_fd, 0) != 0 ||
	    pwrite(stream_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1) ||
	    lseek(stream_fd, 0, SEEK_SET) != 0)
		abort();
	char *text = NULL, *steps = NULL;
	size_t tlen = 0, slen = 0;
	FILE *out = open_memstream(&text, &tlen);
	FILE *sf = open_memstream(&steps, &slen);
	if (!out || !sf)
		abort();
	fputs("$ORIGIN .\n", out);
	struct xfi_stream q = { .zone = "example.com.", .origin = origin, .have = mode > 0,
				.serial = SERIAL, .ixfr = mode == 2, .id = 0x4242,
				.max_bytes = 1u << 20, .out = out, .steps = sf };
	char err[512];
	int form = xfi_read_stream(stream_fd, &q, err, sizeof err);
	fclose(out);
	fclose(sf);
	if (form == XFI_ZONE)
		take_text(text, tlen);
	else if (form == XFI_STEPS)
		take_steps(steps, slen);
	free(text);
	free(steps);
	return 0;
}
