/*
 * log.h - logging for ringdns and ringdns-control: levels, to stderr or
 * syslog.  Never called on the per-packet fast path.  Thread-safe (one
 * write(2) or syslog(3) call per line).
 */
#ifndef RINGDNS_LOG_H
#define RINGDNS_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name shown in each line; to_syslog: syslog(3) (facility
 * daemon) instead of stderr; lines above max are dropped. */
void log_init(const char *ident, bool to_syslog, enum log_level max);
/* "error", "warning", "notice", "info", "debug" -> level; -1 if unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
