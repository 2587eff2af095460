/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemonlog: where secel's daemons (secel-tsm, secel-vpcd) write their
 * messages.  Three sinks, chosen once at start:
 *
 *   syslog   --syslog: syslog(3), facility daemon; syslogd or the journal
 *            stamps each line
 *   journal  stderr is the journal's stream (systemd's JOURNAL_STREAM
 *            names its device and inode): each line carries a "<N>"
 *            priority prefix, which journald turns into the priority, and
 *            the journal stamps the time
 *   stderr   otherwise, as before: "prog: message"; with --timestamps,
 *            each line starts with the UTC time to the millisecond
 */
#ifndef SECEL_DAEMONLOG_H
#define SECEL_DAEMONLOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

enum daemonlog_sink {
	DAEMONLOG_STDERR,
	DAEMONLOG_JOURNAL,
	DAEMONLOG_SYSLOG,
};

void daemonlog_init(const char *prog, bool use_syslog, bool timestamps);
enum daemonlog_sink daemonlog_sink(void);
void daemonlog(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vdaemonlog(int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
