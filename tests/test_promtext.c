/*
 * test_promtext.c - the Prometheus text format writer (control/promtext.c):
 * families, samples with and without labels, escaping, exact values, and
 * a text long enough to grow the buffer several times.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "control/promtext.h"

Test(promtext, family_and_samples)
{
	struct pt_buf b;
	pt_init(&b);
	pt_family(&b, "ringdns_queries_total", "counter", "DNS queries received.");
	pt_u64(&b, "ringdns_queries_total", (const char *[]){ "worker", "0", "transport", "udp",
							      NULL }, 18446744073709551615ull);
	pt_u64(&b, "ringdns_queries_total", NULL, 7);
	pt_u64(&b, "ringdns_queries_total", (const char *[]){ NULL }, 8);
	cr_assert_not(b.oom);
	cr_assert_str_eq(b.p, "# HELP ringdns_queries_total DNS queries received.\n"
			 "# TYPE ringdns_queries_total counter\n"
			 "ringdns_queries_total{worker=\"0\",transport=\"udp\"} "
			 "18446744073709551615\n"
			 "ringdns_queries_total 7\n"
			 "ringdns_queries_total 8\n");
	cr_assert_eq(b.len, strlen(b.p));
	pt_fini(&b);
	cr_assert_null(b.p);
	cr_assert_eq(b.len, 0);
}

Test(promtext, escaping)
{
	struct pt_buf b;
	pt_init(&b);
	/* HELP escapes backslash and newline; label values the quote too */
	pt_family(&b, "m", "gauge", "a \\ b\nc \"q\"");
	pt_u64(&b, "m", (const char *[]){ "zone", "we\"ird\\zo\nne.", NULL }, 1);
	cr_assert_str_eq(b.p, "# HELP m a \\\\ b\\nc \"q\"\n# TYPE m gauge\n"
			 "m{zone=\"we\\\"ird\\\\zo\\nne.\"} 1\n");
	pt_fini(&b);
}

Test(promtext, doubles)
{
	struct pt_buf b;
	pt_init(&b);
	pt_f64(&b, "a", NULL, 0.1);
	pt_f64(&b, "b", NULL, -1);
	pt_f64(&b, "c", NULL, NAN);
	pt_f64(&b, "d", NULL, INFINITY);
	pt_f64(&b, "e", NULL, -INFINITY);
	pt_f64(&b, "f", NULL, 1764934400);
	cr_assert_str_eq(b.p, "a 0.10000000000000001\nb -1\nc NaN\nd +Inf\ne -Inf\n"
			 "f 1764934400\n");
	/* round trip: the text reads back as the same double */
	double v;
	cr_assert_eq(sscanf(b.p, "a %lf", &v), 1);
	cr_assert_eq(v, 0.1);
	pt_fini(&b);
}

Test(promtext, grows)
{
	struct pt_buf b;
	pt_init(&b);
	char zone[32];
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(zone, sizeof zone, "z%u.example.", i);
		pt_u64(&b, "ringdns_zone_serial", (const char *[]){ "zone", zone, NULL }, i);
	}
	cr_assert_not(b.oom);
	cr_assert_gt(b.cap, 4096);
	cr_assert_eq(b.len, strlen(b.p));
	cr_assert(strstr(b.p, "ringdns_zone_serial{zone=\"z4999.example.\"} 4999\n"));
	cr_assert_eq(memcmp(b.p, "ringdns_zone_serial{zone=\"z0.example.\"} 0\n", 41), 0);
	pt_fini(&b);
}
