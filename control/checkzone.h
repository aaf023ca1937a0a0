/*
 * checkzone.h - `ringctl check-zone`: parse and check a zone file offline,
 * as strictly as the server will when it loads the zone.
 */
#ifndef RINGDNS_CHECKZONE_H
#define RINGDNS_CHECKZONE_H

/* argv[0] is "check-zone".  Returns the process exit status. */
int ctl_check_zone(int argc, char **argv);

#endif
