// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsecel - hot-plug events from the kernel's uevent netlink socket
 *
 * The netlink socket rather than inotify on /dev: it reports add, remove
 * and change (a state or designation change) with the SE's index, name
 * and state in the message itself, needs no udev, and does not depend on
 * node names.  Only messages the kernel sent (sender port 0) are taken:
 * any local process may multicast on the socket otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "internal.h"

#define UEVENT_BUF	8192	/* the kernel's UEVENT_BUFFER_SIZE is 2048 */

struct secel_monitor {
	int fd;
	char buf[UEVENT_BUF];
};

static int parse_uint(const char *s, unsigned int *v)
{
	unsigned long x;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (*end || errno || x > UINT32_MAX)
		return -1;
	*v = x;
	return 0;
}

int secel__uevent_parse(const char *buf, size_t len, struct secel_event *ev)
{
	const char *p = buf, *end = buf + len, *action = NULL, *subsys = NULL;
	const char *index = NULL, *name = NULL, *state = NULL, *desig = NULL;
	size_t n;

	/* the header "ACTION@DEVPATH"; libudev's messages start otherwise */
	n = strnlen(p, end - p);
	if (!len || n == (size_t)(end - p) || !memchr(p, '@', n))
		return -EAGAIN;
	for (p += n + 1; p < end; p += n + 1) {
		n = strnlen(p, end - p);
		if (n == (size_t)(end - p))
			break;		/* unterminated tail: ignored */
		if (!strncmp(p, "ACTION=", 7))
			action = p + 7;
		else if (!strncmp(p, "SUBSYSTEM=", 10))
			subsys = p + 10;
		else if (!strncmp(p, "SECEL_INDEX=", 12))
			index = p + 12;
		else if (!strncmp(p, "SECEL_NAME=", 11))
			name = p + 11;
		else if (!strncmp(p, "SECEL_STATE=", 12))
			state = p + 12;
		else if (!strncmp(p, "SECEL_DESIGNATED=", 17))
			desig = p + 17;
	}
	if (!subsys || strcmp(subsys, "secel") || !action)
		return -EAGAIN;
	memset(ev, 0, sizeof(*ev));
	if (!strcmp(action, "add"))
		ev->type = SECEL_EVENT_ADD;
	else if (!strcmp(action, "remove"))
		ev->type = SECEL_EVENT_REMOVE;
	else if (!strcmp(action, "change"))
		ev->type = SECEL_EVENT_CHANGE;
	else
		return -EAGAIN;		/* bind, unbind, move: not about SEs */
	if (!index || parse_uint(index, &ev->index))
		return -EPROTO;
	if (name) {
		if (strlen(name) >= sizeof(ev->name))
			return -EPROTO;
		strcpy(ev->name, name);
	}
	if (state)
		ev->state = secel__state_parse(state);
	ev->designated = desig && !strcmp(desig, "1");
	return 0;
}

struct secel_monitor *secel_monitor_new(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1,		/* the kernel's own uevents */
	};
	struct secel_monitor *mon;
	int size = 1 << 20, err;

	mon = malloc(sizeof(*mon));
	if (!mon) {
		errno = ENOMEM;
		return NULL;
	}
	mon->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 NETLINK_KOBJECT_UEVENT);
	if (mon->fd < 0)
		goto fail;
	/* a burst of hot-plugs must not overflow it; best effort */
	setsockopt(mon->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(mon->fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	return mon;
fail:
	err = errno;
	if (mon->fd >= 0)
		close(mon->fd);
	free(mon);
	errno = err;
	return NULL;
}

void secel_monitor_free(struct secel_monitor *mon)
{
	int err = errno;

	if (!mon)
		return;
	close(mon->fd);
	free(mon);
	errno = err;
}

int secel_monitor_fd(struct secel_monitor *mon)
{
	if (!mon) {
		errno = EINVAL;
		return -1;
	}
	return mon->fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct secel_event *secel_monitor_wait(struct secel_monitor *mon,
				       int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct secel_event ev, *out;
	struct sockaddr_nl from;
	struct pollfd pfd;
	struct iovec iov;
	struct msghdr msg;
	ssize_t len;
	int left, ret;

	if (!mon || timeout_ms < -1) {
		errno = EINVAL;
		return NULL;
	}
	for (;;) {
		iov.iov_base = mon->buf;
		iov.iov_len = sizeof(mon->buf) - 1;
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		len = recvmsg(mon->fd, &msg, MSG_DONTWAIT);
		if (len >= 0) {
			/* the kernel's, whole: else skip it */
			if (msg.msg_namelen != sizeof(from) || from.nl_pid ||
			    (msg.msg_flags & MSG_TRUNC))
				continue;
			mon->buf[len] = '\0';
			ret = secel__uevent_parse(mon->buf, len, &ev);
			if (ret)
				continue;	/* not ours, or malformed */
			out = malloc(sizeof(*out));
			if (!out) {
				errno = ENOMEM;
				return NULL;
			}
			*out = ev;
			return out;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return NULL;	/* ENOBUFS: events were lost */
		if (timeout_ms < 0) {
			left = -1;
		} else {
			int64_t d = deadline - now_ms();

			if (d <= 0) {
				errno = ETIMEDOUT;
				return NULL;
			}
			left = d > INT_MAX ? INT_MAX : (int)d;
		}
		pfd.fd = mon->fd;
		pfd.events = POLLIN;
		ret = poll(&pfd, 1, left);
		if (ret < 0)
			return NULL;	/* EINTR: the caller's signal */
		if (!ret && timeout_ms >= 0 && deadline - now_ms() <= 0) {
			errno = ETIMEDOUT;
			return NULL;
		}
	}
}

void secel_event_free(struct secel_event *ev)
{
	free(ev);
}

enum secel_event_type secel_event_type(const struct secel_event *ev)
{
	return ev->type;
}

unsigned int secel_event_index(const struct secel_event *ev)
{
	return ev->index;
}

const char *secel_event_name(const struct secel_event *ev)
{
	return ev->name;
}

enum secel_se_state secel_event_state(const struct secel_event *ev)
{
	return ev->state;
}

int secel_event_designated(const struct secel_event *ev)
{
	return ev->designated;
}
