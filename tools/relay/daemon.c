// SPDX-License-Identifier: GPL-2.0
/*
 * secel-relay --daemon: the loop that decides when a session starts.
 *
 * The kernel's uevents come straight from a NETLINK_KOBJECT_UEVENT socket
 * (group 1, the kernel's own; no udev needed, and any user may listen),
 * so an SE that is listed, removed or changes state or designation starts
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

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

bool relay_uevent_wanted(const char *msg, size_t len, char *what,
			 size_t room)
{
	const char *p = msg, *end = msg + len, *action = NULL, *name = NULL;
	bool secel = false;

	while (p < end) {
		size_t l = strnlen(p, end - p);

		if (l == (size_t)(end - p))
			break;	/* not terminated: ignore the rest */
		if (!strncmp(p, "ACTION=", 7))
			action = p + 7;
		else if (!strcmp(p, "SUBSYSTEM=secel"))
			secel = true;
		else if (!strncmp(p, "DEVPATH=", 8))
			name = strrchr(p, '/') ? strrchr(p, '/') + 1 : p + 8;
		p += l + 1;
	}
	if (!secel || !action || (strcmp(action, "add") &&
				  strcmp(action, "remove") &&
				  strcmp(action, "change")))
		return false;
	snprintf(what, room, "%s %s", action, name ? name : "?");
	return true;
}

static int uevent_socket(const struct relay_daemon_cfg *cfg)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1,		/* the kernel's uevents, not udev's */
	};
	int fd, size = 1 << 20;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		say(cfg, "uevents: socket: %s; polling only", strerror(errno));
		return -1;
	}
	/* a burst of hot-plugs while a session runs must not overflow */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		say(cfg, "uevents: bind: %s; polling only", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read every uevent waiting; whether one was secel's.  Only the kernel
 * (port 0) sends on group 1; anything else is dropped.
 */
static bool uevents_read(const struct relay_daemon_cfg *cfg, int fd,
			 char *why, size_t room)
{
	char buf[8192], what[128];
	struct sockaddr_nl from;
	bool any = false;

	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n = recvmsg(fd, &mh, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* some were lost: a session sees the list anyway */
				say(cfg, "uevents: some lost (ENOBUFS)");
				snprintf(why, room, "uevents lost");
				any = true;
				continue;
			}
			break;	/* EAGAIN: all read */
		}
		if (from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC))
			continue;
		if (relay_uevent_wanted(buf, n, what, sizeof(what))) {
			say(cfg, "SE event: %s", what);
			snprintf(why, room, "uevent %s", what);
			any = true;
		}
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
	int sfd, ufd = -1, rc = 1;

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
		ufd = uevent_socket(cfg);
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
			if (ufd >= 0)
				uevents_read(cfg, ufd, why, sizeof(why));
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
		if (ufd >= 0 && (pfd[1].revents & POLLIN) &&
		    uevents_read(cfg, ufd, why, sizeof(why)))
			pending = true;
	}
out:
	if (ufd >= 0)
		close(ufd);
	close(sfd);
	return rc;
}
