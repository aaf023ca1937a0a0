/*
 * log.c - leveled log lines to stderr (with a UTC timestamp) or syslog.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "ringdns";
static bool log_syslog;
static enum log_level log_max = LOG_LVL_INFO;

static const char *const lvl_name[] = { "error", "warning", "notice", "info", "debug" };
static const int lvl_prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void log_init(const char *ident, bool to_syslog, enum log_level max)
{
	log_ident = ident;
	log_max = max;
	if (to_syslog && !log_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = to_syslog;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof lvl_name / sizeof *lvl_name); i++)
		if (strcmp(s, lvl_name[i]) == 0)
			return i;
	return -1;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if (lvl > log_max)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(lvl_prio[lvl], "%s", msg);
		return;
	}
	char line[1200], ts[32];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	int n = snprintf(line, sizeof line, "%s.%03ldZ %s[%d]: %s: %s\n", ts,
			 now.tv_nsec / 1000000, log_ident, (int)getpid(), lvl_name[lvl], msg);
	if (n > (int)sizeof line - 1)
		n = (int)sizeof line - 1, line[n - 1] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}
