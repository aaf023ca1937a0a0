/*
 * zdapply.h - the steps of an IXFR (zones/zdiff.h) checked against the
 * version of the zone served, and the version they lead to, as zone text.
 *
 * The version being built is the served snapshot image (never changed)
 * plus a table of the records that differ from it: those deleted from the
 * image and those added.  Each step must start at the serial held (the
 * served one, then the previous step's end), raise it (RFC 1982), delete
 * only records the version holds and add only records it does not hold
 * (RFC 1995 §4: a modification is a deletion, then an addition: adding a
 * record already there means the primary's idea of our version is not
 * our version), with every owner in the zone; each list carries its SOA
 * first (the old SOA deleted, the new one added) and no other.  A step
 * that breaks a rule fails the whole change: the caller keeps serving the
 * old version (RFC 1995 §4: replace it only once every difference has
 * been processed).
 */
#ifndef RINGDNS_ZDAPPLY_H
#define RINGDNS_ZDAPPLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zones/zdiff.h"

struct snap;
struct zda;

/* A version equal to the image s (kept open by the caller while the
 * zda lives); NULL when out of memory. */
struct zda *zda_new(const struct snap *s);
void zda_free(struct zda *a);

/* Checks step d against the version and applies it.  0, or -1 with the
 * reason in err ("step 7 -> 8 deletes www.example. 300 IN A 192.0.2.1,
 * which serial 7 does not hold"); after a failure only zda_free is left
 * to call. */
int zda_apply(struct zda *a, const struct zdiff *d, char *err, size_t errcap);

/* The serial of the version (the image's, then the last step's). */
uint32_t zda_serial(const struct zda *a);

/* Writes the version as a zone file ($ORIGIN ., absolute names, the SOA
 * first) to out.  0, or -1 with err (a write error). */
int zda_write(const struct zda *a, FILE *out, char *err, size_t errcap);

#endif
