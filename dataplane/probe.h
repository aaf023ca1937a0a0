/*
 * probe.h - start-up check that no other process already serves a listen
 * address.  SO_REUSEPORT would let a second ringdns bind the same address
 * and port and silently take half of the queries; a probe socket bound
 * without SO_REUSEPORT finds the first one before that happens.
 */
#ifndef RINGDNS_PROBE_H
#define RINGDNS_PROBE_H

#include <stddef.h>

#include "common/cfg.h"

/*
 * Whether a is free for us, UDP and TCP: 0, or -1 with the reason in err
 * ("127.0.0.1:5300 is already served by another process (UDP); ...").
 * Port 0 is always free.  TCP TIME_WAIT connections of an earlier
 * instance do not count.  Call before binding a's real sockets.
 */
int probe_listen(const struct cfg_listen *a, char *err, size_t errcap);

#endif
