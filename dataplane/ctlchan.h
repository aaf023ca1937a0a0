/*
 * ctlchan.h - the dataplane's side of the control channel (messages in
 * common/ipc.h): takes zone images and removals from ringdns-control and
 * answers its status and stats requests.
 */
#ifndef RINGDNS_CTLCHAN_H
#define RINGDNS_CTLCHAN_H

#include "dataplane/dp.h"

/* Reads and handles one message from d->sup.fd (readable).  A closed or
 * broken channel is closed here (d->sup.fd = -1); the process's exit is
 * seen by sup_reap. */
void ctlchan_handle(struct dp *d);

#endif
