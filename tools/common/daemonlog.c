// SPDX-License-Identifier: GPL-2.0
/*
 * daemonlog: the daemons' messages to syslog, the journal or stderr
 * (daemonlog.h says which and when).
 */
#include "daemonlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "secel";
static enum daemonlog_sink log_sink = DAEMONLOG_STDERR;
static bool log_times;

/* systemd sets JOURNAL_STREAM=DEV:INODE for the stream it connected to
 * stdout/stderr; the variable is inherited, so it counts only when
 * stderr still is that stream (sd_journal_stream_fd(3), systemd.exec(5)). */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/**
 * daemonlog_init() - choose where messages go
 * @prog: the program's name, first on every line
 * @use_syslog: syslog(3) rather than stderr
 * @timestamps: on plain stderr, start each line with the UTC time
 */
void daemonlog_init(const char *prog, bool use_syslog, bool timestamps)
{
	log_prog = prog;
	log_times = timestamps;
	if (use_syslog) {
		openlog(prog, LOG_PID, LOG_DAEMON);
		log_sink = DAEMONLOG_SYSLOG;
	} else if (stderr_is_journal()) {
		log_sink = DAEMONLOG_JOURNAL;
	} else {
		log_sink = DAEMONLOG_STDERR;
	}
}

enum daemonlog_sink daemonlog_sink(void)
{
	return log_sink;
}

void vdaemonlog(int prio, const char *fmt, va_list ap)
{
	char msg[2048];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one record per call: a trailing newline is the caller's habit */
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';

	switch (log_sink) {
	case DAEMONLOG_SYSLOG:
		syslog(prio, "%s", msg);
		return;
	case DAEMONLOG_JOURNAL:
		fprintf(stderr, "<%d>%s: %s\n", LOG_PRI(prio), log_prog, msg);
		break;
	case DAEMONLOG_STDERR:
		if (log_times) {
			struct timespec ts;
			struct tm tm;
			char when[32];

			clock_gettime(CLOCK_REALTIME, &ts);
			gmtime_r(&ts.tv_sec, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
			fprintf(stderr, "%s.%03ldZ ", when, ts.tv_nsec / 1000000);
		}
		fprintf(stderr, "%s: %s\n", log_prog, msg);
		break;
	}
	fflush(stderr);
}

/**
 * daemonlog() - write one message
 * @prio: a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, ...)
 * @fmt: printf format, without the program's name
 */
void daemonlog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdaemonlog(prio, fmt, ap);
	va_end(ap);
}
