// SPDX-License-Identifier: GPL-2.0
/* se - the SE list, an SE by name, path, index or "designated" */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "se.h"

/* The causes of EPERM and EBUSY depend on the operation. */
static const char *why_eperm(enum se_op op)
{
	switch (op) {
	case SE_OP_CONFIG:
	case SE_OP_RESET:
		return "needs CAP_SYS_ADMIN";
	case SE_OP_ITEM:
		return "private, it identifies the card: needs CAP_SYS_ADMIN";
	case SE_OP_TRANSMIT:
		return "MANAGE CHANNEL is the kernel's: open and close logical "
		       "channels with their ioctls (secelctl channel)";
	case SE_OP_ANY:
		return "not permitted: needs CAP_SYS_ADMIN, or MANAGE CHANNEL "
		       "sent as an APDU";
	default:
		return strerror(EPERM);
	}
}

static const char *why_ebusy(enum se_op op)
{
	switch (op) {
	case SE_OP_CONFIG:
	case SE_OP_INQUIRE:
		return "a verification of the SE is running; try again when it "
		       "ends";
	case SE_OP_OPEN_CHANNEL:
		return "the card has no logical channel left";
	case SE_OP_ANY:
		return "busy: the card has no logical channel left, or a "
		       "verification of the SE is running";
	default:
		return strerror(EBUSY);
	}
}

const char *se_why(enum se_op op, int err)
{
	switch (err) {
	case EPERM:
		return why_eperm(op);
	case EBUSY:
		return why_ebusy(op);
	case EACCES:
		/* on an open node, the kernel's access rules refused it */
		if (op == SE_OP_TRANSMIT || op == SE_OP_OPEN_CHANNEL)
			return "refused by the access rules: this user may not "
			       "reach that application (secelctl acl list; the "
			       "kernel log names the caller and the AID)";
		return "no read-write access to the node (its file mode: see "
		       "the udev rules in the README)";
	case EMFILE:
		if (op == SE_OP_OPEN_CHANNEL || op == SE_OP_ANY)
			return "this file holds secel.max_file_channels logical "
			       "channels already";
		break;
	case ENOENT:
		if (op == SE_OP_CONFIG)
			return "the SE is not listed";
		if (op == SE_OP_OPEN_CHANNEL)
			return "no application with that AID";
		if (op == SE_OP_OPEN)
			return "no such SE";
		break;
	case ENOLINK:
		return "the SE is not listed (add it first)";
	case ECANCELED:
		return "the exchange was cancelled: the SE was deleted or "
		       "reset meanwhile";
	case EALREADY:
		return "the SE is listed already";
	case ENODEV:
		if (op == SE_OP_CONFIG || op == SE_OP_INQUIRE)
			return "no SE has this index (never had, or unplugged)";
		return "the SE is gone";
	case ETIMEDOUT:
		return op == SE_OP_RESET ? "the SE did not answer the reset" :
		       "the SE did not answer";
	case EPROTO:
		if (op == SE_OP_CONFIG)
			return "the SE failed verification and is rejected";
		if (op == SE_OP_RESET)
			return "the SE's new ATR is malformed or fails "
			       "secel.strict_atr (a listed SE is rejected)";
		if (op == SE_OP_OPEN_CHANNEL)
			return "MANAGE CHANNEL gave no usable channel number";
		return "the SE answered out of protocol";
	case EINVAL:
		if (op == SE_OP_TRANSMIT)
			return "not a well-formed command APDU for the basic "
			       "channel (or CLA FF)";
		break;
	case EMSGSIZE:
		if (op == SE_OP_TRANSMIT)
			return "the command is longer than the SE takes, or the "
			       "response longer than the buffer";
		if (op == SE_OP_OPEN_CHANNEL || op == SE_OP_ITEM)
			return "the answer is longer than the buffer";
		return "too long for the SE or the buffer";
	case ENXIO:
		if (op == SE_OP_TRANSMIT || op == SE_OP_CLOSE_CHANNEL)
			return "not a logical channel this file opened";
		break;
	case EOPNOTSUPP:
		if (op == SE_OP_TRANSMIT)
			return "an extended-length APDU, which the SE's "
			       "transport does not carry";
		if (op == SE_OP_OPEN_CHANNEL)
			return "the card has no logical channels";
		return "not supported by the SE";
	case ENODATA:
		return "the SE does not have it";
	case EIO:
		if (op == SE_OP_OPEN_CHANNEL)
			return "the card refused MANAGE CHANNEL or the SELECT";
		if (op == SE_OP_CLOSE_CHANNEL)
			return "the card did not confirm the close";
		return "I/O error on the way to the SE";
	case EINTR:
		return "interrupted by a signal";
	}
	return strerror(err);
}

const char *se_hint(int err)
{
	return se_why(SE_OP_ANY, err);
}

int se_open_ctl(const char *ctl_path, char *msg, size_t room)
{
	int fd = open(ctl_path, O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd >= 0)
		return fd;
	if (err == ENOENT)
		snprintf(msg, room, "%s: %s (is the secel module loaded?)",
			 ctl_path, strerror(err));
	else
		snprintf(msg, room, "%s: %s", ctl_path, se_why(SE_OP_OPEN, err));
	return -err;
}

int se_list(int ctl, const char *ctl_path, bool all,
	    struct secel_list_entry **out, unsigned int *n, char *msg,
	    size_t room)
{
	struct secel_list_entry *e = NULL, *p;
	struct secel_list req;
	unsigned int have = 16;
	int err;

	for (;;) {
		p = realloc(e, have * sizeof(*e));
		if (!p) {
			free(e);
			snprintf(msg, room, "out of memory");
			return -ENOMEM;
		}
		e = p;
		memset(&req, 0, sizeof(req));
		req.entries_ptr = (uintptr_t)e;
		req.count = have;
		req.flags = all ? SECEL_LIST_ALL : 0;
		if (ioctl(ctl, SECEL_CTL_LIST, &req)) {
			err = errno;
			free(e);
			snprintf(msg, room, "%s: SECEL_CTL_LIST: %s", ctl_path,
				 strerror(err));
			return -err;
		}
		if (req.count <= have)
			break;
		have = req.count;
	}
	*out = e;
	*n = req.count;
	return 0;
}

/* A path DEV_DIR/secelN or an index: 1 with *@idx set, 0, or -EINVAL. */
static int resolve_direct(const char *dev_dir, const char *arg,
			  unsigned int *idx, char *msg, size_t room)
{
	size_t dl = strlen(dev_dir);
	unsigned long v;
	char *end;

	if (!strncmp(arg, dev_dir, dl) && !strncmp(arg + dl, "/secel", 6)) {
		v = strtoul(arg + dl + 6, &end, 10);
		if (*end || end == arg + dl + 6) {
			snprintf(msg, room, "'%s' is no secel device path", arg);
			return -EINVAL;
		}
		*idx = v;
		return 1;
	}
	v = strtoul(arg, &end, 10);
	if (*arg && !*end) {
		*idx = v;
		return 1;
	}
	return 0;
}

/* A name or "designated" in a list; frees @e. */
static int resolve_in(struct secel_list_entry *e, unsigned int n,
		      const char *arg, unsigned int *idx, char *msg,
		      size_t room)
{
	bool want_designated = !strcmp(arg, "designated") || !strcmp(arg, "-");
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (want_designated ? (e[i].flags & SECEL_INFO_DESIGNATED) :
				      !strcmp(e[i].name, arg)) {
			*idx = e[i].index;
			free(e);
			return 0;
		}
	}
	free(e);
	if (want_designated)
		snprintf(msg, room, "no SE is designated");
	else
		snprintf(msg, room, "no SE named '%s'", arg);
	return -ENOENT;
}

int se_resolve(const char *ctl_path, const char *dev_dir, const char *arg,
	       unsigned int *idx, char *msg, size_t room)
{
	struct secel_list_entry *e;
	unsigned int n;
	int ctl, ret;

	ret = resolve_direct(dev_dir, arg, idx, msg, room);
	if (ret)
		return ret < 0 ? ret : 0;
	ctl = se_open_ctl(ctl_path, msg, room);
	if (ctl < 0)
		return ctl;
	ret = se_list(ctl, ctl_path, true, &e, &n, msg, room);
	close(ctl);
	if (ret)
		return ret;
	return resolve_in(e, n, arg, idx, msg, room);
}

int se_resolve_sysfs(const char *sysfs_dir, const char *dev_dir,
		     const char *arg, unsigned int *idx, char *msg,
		     size_t room)
{
	struct secel_list_entry *e;
	unsigned int n;
	int ret;

	ret = resolve_direct(dev_dir, arg, idx, msg, room);
	if (ret)
		return ret < 0 ? ret : 0;
	ret = se_sysfs_list(sysfs_dir, &e, &n, msg, room);
	if (ret)
		return ret;
	return resolve_in(e, n, arg, idx, msg, room);
}

int se_sysfs_read(const char *sysfs_dir, unsigned int idx, const char *attr,
		  char *buf, size_t size)
{
	char path[512];
	ssize_t len;
	int fd, err;

	snprintf(path, sizeof(path), "%s/secel%u/%s", sysfs_dir, idx, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size);
	err = errno;
	close(fd);
	if (len < 0)
		return -err;
	if ((size_t)len == size)
		return -EMSGSIZE;	/* no room for the NUL */
	if (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

static const char *const sysfs_states[] = {
	[SECEL_STATE_REPORTED] = "reported",
	[SECEL_STATE_VERIFYING] = "verifying",
	[SECEL_STATE_LISTED] = "listed",
	[SECEL_STATE_REJECTED] = "rejected",
	[SECEL_STATE_DELETED] = "deleted",
};

/* One SE from its attributes; -ENOENT when it went away meanwhile. */
static int sysfs_entry(const char *dir, unsigned int idx,
		       struct secel_list_entry *e, char *msg, size_t room)
{
	static const char *const attrs[] = {
		"name", "transport", "kind", "state", "designated",
	};
	char val[5][64];
	unsigned int i;
	int ret;

	for (i = 0; i < 5; i++) {
		ret = se_sysfs_read(dir, idx, attrs[i], val[i], sizeof(val[i]));
		if (ret == -ENOENT || ret == -ENODEV)
			return -ENOENT;
		if (ret) {
			snprintf(msg, room, "%s/secel%u/%s: %s", dir, idx,
				 attrs[i], strerror(-ret));
			return ret;
		}
	}
	memset(e, 0, sizeof(*e));
	e->index = idx;
	/* the ABI's sizes: the kernel never shows longer ones */
	if (strlen(val[0]) >= sizeof(e->name) ||
	    strlen(val[1]) >= sizeof(e->transport)) {
		snprintf(msg, room, "%s/secel%u: name or transport too long",
			 dir, idx);
		return -EPROTO;
	}
	memcpy(e->name, val[0], strlen(val[0]));
	memcpy(e->transport, val[1], strlen(val[1]));
	e->kind = !strcmp(val[2], "virtual") ? SECEL_KIND_VIRTUAL :
		  !strcmp(val[2], "physical") ? SECEL_KIND_PHYSICAL : 0;
	for (i = 0; i < sizeof(sysfs_states) / sizeof(sysfs_states[0]); i++)
		if (sysfs_states[i] && !strcmp(val[3], sysfs_states[i]))
			e->state = i;
	if (!strcmp(val[4], "1"))
		e->flags |= SECEL_INFO_DESIGNATED;
	return 0;
}

static int by_index(const void *a, const void *b)
{
	const struct secel_list_entry *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

int se_sysfs_list(const char *sysfs_dir, struct secel_list_entry **out,
		  unsigned int *n, char *msg, size_t room)
{
	struct secel_list_entry *e = NULL, *p;
	unsigned int have = 0, room_e = 0;
	struct dirent *d;
	unsigned long v;
	char *end;
	DIR *dir;
	int ret = 0;

	dir = opendir(sysfs_dir);
	if (!dir) {
		ret = -errno;
		snprintf(msg, room, "%s: %s%s", sysfs_dir, strerror(-ret),
			 ret == -ENOENT ? " (is the secel module loaded?)" : "");
		return ret;
	}
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "secel", 5))
			continue;
		v = strtoul(d->d_name + 5, &end, 10);
		if (*end || end == d->d_name + 5 || v > UINT32_MAX)
			continue;
		if (have == room_e) {
			room_e = room_e ? 2 * room_e : 16;
			p = realloc(e, room_e * sizeof(*e));
			if (!p) {
				snprintf(msg, room, "out of memory");
				ret = -ENOMEM;
				break;
			}
			e = p;
		}
		ret = sysfs_entry(sysfs_dir, v, &e[have], msg, room);
		if (ret == -ENOENT) {
			ret = 0;	/* unplugged while we looked */
			continue;
		}
		if (ret)
			break;
		have++;
	}
	closedir(dir);
	if (ret) {
		free(e);
		return ret;
	}
	if (have)
		qsort(e, have, sizeof(*e), by_index);
	*out = e;
	*n = have;
	return 0;
}

int se_open(const char *dev_dir, unsigned int idx, char *path,
	    size_t path_room, char *msg, size_t room)
{
	char buf[256];
	int fd, err;

	snprintf(buf, sizeof(buf), "%s/secel%u", dev_dir, idx);
	if (path)
		snprintf(path, path_room, "%s", buf);
	fd = open(buf, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno;
	snprintf(msg, room, "%s: %s", buf, se_why(SE_OP_OPEN, err));
	return -err;
}
