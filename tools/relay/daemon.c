// SPDX-License-Identifier: GPL-2.0
/*
 * secel-relay --daemon: the loop that decides when a session starts.
 *
 * The kernel's uevents come from libsecel's monitor (a NETLINK_KOBJECT_UEVENT
 * socket, group 1, the kernel's own; no udev needed, and any user may
 * listen), so an SE that is listed, removed or changes state or designation starts
 * a session.  SIGHUP starts one too (systemctl reload).  Sessions run one
 * at a time; what happens during one is coalesced into a single session
 * after it.  Between events, the TSM's X-Secel-Poll interval, and after a
 * failure a delay that doubles up to a cap.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../libsecel/libsecel.h"
#include "daemon.h"

static void say(const struct relay_daemon_cfg *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct relay_daemon_cfg *cfg, const char *fmt, ...)
{
	va_list ap;

	if (!cfg->log)
		return;
	fprintf(cfg->log, "secel-relay: ");
	va_start(ap, fmt);
	vfprintf(cfg->log, fmt, ap);
	va_end(ap);
	fputc('\n', cfg->log);
	fflush(cfg->log);
}

unsigned long relay_backoff(unsigned long retry, unsigned long max,
			    unsigned int failures)
{
	unsigned long d = retry ? retry : 1;

	while (failures-- > 1 && d < max)
		d = d > max / 2 ? max : 2 * d;
	return d < max ? d : max;
}

/* The kernel's secel uevents through libsecel; NULL: polling only. */
static struct secel_monitor *uevent_monitor(const struct relay_daemon_cfg *cfg)
{
	struct secel_monitor *mon = secel_monitor_new();

	if (!mon)
		say(cfg, "uevents: %s; polling only", strerror(errno));
	return mon;
}

/* Read every secel event waiting; whether there was one. */
static bool uevents_read(const struct relay_daemon_cfg *cfg,
			 struct secel_monitor *mon, char *why, size_t room)
{
	static const char *const actions[] = {
		[SECEL_EVENT_ADD] = "add",
		[SECEL_EVENT_REMOVE] = "remove",
		[SECEL_EVENT_CHANGE] = "change",
	};
	struct secel_event *ev;
	bool any = false;
	char what[64];

	for (;;) {
		ev = secel_monitor_wait(mon, 0);
		if (!ev) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* some were lost: a session sees the list anyway */
				say(cfg, "uevents: some lost (ENOBUFS)");
				snprintf(why, room, "uevents lost");
				any = true;
				continue;
			}
			break;	/* ETIMEDOUT: all read */
		}
		snprintf(what, sizeof(what), "%s secel%u",
			 actions[secel_event_type(ev)], secel_event_index(ev));
		secel_event_free(ev);
		say(cfg, "SE event: %s", what);
		snprintf(why, room, "uevent %s", what);
		any = true;
	}
	return any;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int relay_daemon(const struct relay_daemon_cfg *cfg, relay_session_fn fn,
		 void *priv)
{
	unsigned long interval = cfg->poll, delay;
	unsigned int failures = 0;
	char why[160] = "start";
	bool pending = true;
	double deadline = 0;
	sigset_t set;
	struct secel_monitor *mon = NULL;
	int sfd, ufd, rc = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* blocked: a session is not cut short, the signal waits for it */
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		say(cfg, "sigprocmask: %s", strerror(errno));
		return 1;
	}
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		say(cfg, "signalfd: %s", strerror(errno));
		return 1;
	}
	if (cfg->uevents)
		mon = uevent_monitor(cfg);
	ufd = mon ? secel_monitor_fd(mon) : -1;
	say(cfg, "daemon: sessions on %s, SIGHUP, and every %lu s (backoff %lu to %lu s)",
	    ufd >= 0 ? "SE uevents" : "no uevents", interval, cfg->retry,
	    cfg->retry_max);

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ufd, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		double left;

		if (pending) {
			unsigned long asked = 0;	/* X-Secel-Poll */
			enum relay_session_end end;

			pending = false;
			/* what came before this session is in it */
			if (mon)
				uevents_read(cfg, mon, why, sizeof(why));
			say(cfg, "session (%s)", why);
			end = fn(priv, &asked);
			if (asked && asked != interval) {
				say(cfg, "the TSM asks for a session every %lu s", asked);
				interval = asked;
			}
			switch (end) {
			case RELAY_SESSION_OK:
				failures = 0;
				delay = interval;
				break;
			case RELAY_SESSION_IDLE:
				delay = interval;
				break;
			case RELAY_SESSION_FAILED:
			default:
				failures++;
				delay = relay_backoff(cfg->retry, cfg->retry_max,
						      failures);
				say(cfg, "session failed (%u in a row): next in %lu s",
				    failures, delay);
				break;
			}
			deadline = now_s() + delay;
		}
		left = deadline - now_s();
		if (left <= 0) {
			pending = true;
			snprintf(why, sizeof(why), failures ? "retry" : "interval");
			continue;
		}
		if (poll(pfd, ufd >= 0 ? 2 : 1,
			 left > 86400 ? 86400000 : (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			say(cfg, "poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[0].revents & POLLIN) {
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					pending = true;
					snprintf(why, sizeof(why), "SIGHUP");
					continue;
				}
				say(cfg, "daemon: %s, exiting",
				    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
				rc = 0;
				goto out;
			}
		}
		if (mon && (pfd[1].revents & POLLIN) &&
		    uevents_read(cfg, mon, why, sizeof(why)))
			pending = true;
	}
out:
	secel_monitor_free(mon);
	close(sfd);
	return rc;
}
