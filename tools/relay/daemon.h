/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-relay --daemon: when to start a session with the TSM -- on the
 * kernel's secel uevents (an SE listed, removed, designated), on SIGHUP,
 * and on the TSM's polling interval, with backoff after failures
 * (secel-relay(8), "DAEMON").
 */
#ifndef SECEL_RELAY_DAEMON_H
#define SECEL_RELAY_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#define RELAY_DAEMON_POLL	3600	/* default --poll, seconds */
#define RELAY_DAEMON_RETRY	30	/* default --retry */
#define RELAY_DAEMON_RETRY_MAX	3600	/* default --retry-max */

/* What one session came to. */
enum relay_session_end {
	RELAY_SESSION_OK,	/* the TSM ended it well: wait the interval */
	RELAY_SESSION_FAILED,	/* back off: retry, doubling up to the cap */
	RELAY_SESSION_IDLE,	/* nothing to report from (no designated SE):
				 * wait for an SE event or the interval */
};

struct relay_daemon_cfg {
	unsigned long poll;		/* seconds between sessions until the
					 * TSM says (X-Secel-Poll) */
	unsigned long retry;		/* seconds after a first failure */
	unsigned long retry_max;	/* the backoff's cap */
	bool uevents;			/* watch NETLINK_KOBJECT_UEVENT */
	FILE *log;
};

/*
 * One session with the TSM; *@poll set to the TSM's X-Secel-Poll in
 * seconds, or left 0.
 */
typedef enum relay_session_end (*relay_session_fn)(void *priv,
						    unsigned long *poll);

/*
 * The delay after @failures failed sessions in a row (1 or more):
 * @retry doubled each time, at most @max.
 */
unsigned long relay_backoff(unsigned long retry, unsigned long max,
			    unsigned int failures);

/*
 * Run sessions until SIGTERM or SIGINT: the first at once, then on every
 * secel uevent and SIGHUP (those that come during a session make one more
 * after it), else after the interval.  0 on a signal, 1 when it cannot
 * start (the reason on cfg->log).
 */
int relay_daemon(const struct relay_daemon_cfg *cfg, relay_session_fn fn,
		 void *priv);

#endif
