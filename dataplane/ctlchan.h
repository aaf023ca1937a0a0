/*
 * ctlchan.h - the dataplane's side of the control channel (messages in
 * common/ipc.h): takes zone images, removals and the transfer peers from
 * ringdns-control, answers its status and stats requests, and passes on
 * the NOTIFYs the serving threads accepted.
 */
#ifndef RINGDNS_CTLCHAN_H
#define RINGDNS_CTLCHAN_H

#include <stdint.h>
#include <sys/types.h>

#include "dataplane/dp.h"

/* Reads and handles one message from d->sup.fd (readable).  A closed or
 * broken channel is closed here (d->sup.fd = -1); the process's exit is
 * seen by sup_reap. */
void ctlchan_handle(struct dp *d);
/* Handles one message received (type, n payload bytes at buf, fd
 * attached or -1: taken, closed here). */
void ctlchan_dispatch(struct dp *d, uint32_t type, const uint8_t *buf, ssize_t n, int fd);

/* After d->ntq.efd polled readable: tells the control process of each
 * NOTIFY the serving threads accepted (IPC_NOTIFY); dropped when there is
 * no control process (it checks every zone when it starts). */
void ctlchan_notified(struct dp *d);

#endif
