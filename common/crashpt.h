/*
 * crashpt.h - named crash points for the crash-consistency tests: TEST
 * ONLY.  A test sets RINGDNS_CRASH_AT=POINT:ARMFILE in ringdns's
 * environment; ringdns-control reads it once at start (cp_init).  When
 * the process reaches POINT and ARMFILE exists, the file is removed (so
 * the point fires once, not again in the restarted control process) and
 * the control process is killed with SIGKILL, as a crash would end it;
 * when ARMFILE held the word "tree", the whole ringdns process tree goes
 * at once (its process group, when ringdns leads one).  Called from a child of the
 * control process (a transfer's check), the point kills the control
 * process as well.
 *
 * Points are checked on the control plane only (zone loads, transfers,
 * files written), never per packet.  Unset, a point costs one load and
 * one branch.  The points are listed in doc/crash-consistency.md.
 */
#ifndef RINGDNS_CRASHPT_H
#define RINGDNS_CRASHPT_H

#include <stdbool.h>

/* Reads RINGDNS_CRASH_AT (once, at the start of ringdns-control). */
void cp_init(void);

/* The point named name (or "tag-stage" with cp_at2) is reached. */
void cp_at(const char *name);
void cp_at2(const char *tag, const char *stage);

#endif
