/* SPDX-License-Identifier: GPL-2.0 */
/*
 * se - finding an SE: the SE list, an SE by name, /dev path, index or
 * "designated", its /dev/secelN node.  Shared by secelctl and secel-relay.
 *
 * Functions return 0 (or a file descriptor) or a negative errno, and write
 * a one-line message without a trailing newline into @msg (@room bytes)
 * when they fail.  The caller prefixes it with its own name.
 */
#ifndef SECEL_SE_H
#define SECEL_SE_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/secel.h>

#define SE_MSG_MAX	512

/* The operations se_why() explains the errors of. */
enum se_op {
	SE_OP_ANY,		/* unknown: messages that hold for every one */
	SE_OP_OPEN,		/* open() of /dev/secelN or /dev/secel-ctl */
	SE_OP_LIST,		/* SECEL_CTL_LIST */
	SE_OP_CONFIG,		/* SECEL_CTL_ADD, VERIFY, DELETE, DESIGNATE */
	SE_OP_INQUIRE,		/* SECEL_CTL_INQUIRE */
	SE_OP_INFO,		/* SECEL_IOC_GET_INFO */
	SE_OP_ITEM,		/* SECEL_IOC_GET_ITEM */
	SE_OP_TRANSMIT,		/* SECEL_IOC_TRANSMIT */
	SE_OP_OPEN_CHANNEL,	/* SECEL_IOC_OPEN_CHANNEL */
	SE_OP_CLOSE_CHANNEL,	/* SECEL_IOC_CLOSE_CHANNEL */
	SE_OP_RESET,		/* SECEL_IOC_RESET */
};

/*
 * What @err means when @op fails, in a few words without a trailing
 * newline: the cause the kernel has for that errno on that operation
 * (Documentation/userspace-api/secel.rst), else strerror().
 */
const char *se_why(enum se_op op, int err);

/* se_why(SE_OP_ANY, err), for callers that do not say which operation. */
const char *se_hint(int err);

/*
 * Open the configurator node.  Message: "PATH: " and se_why(), or
 * "PATH: strerror (is the secel module loaded?)" when it does not exist.
 */
int se_open_ctl(const char *ctl_path, char *msg, size_t room);

/*
 * SECEL_CTL_LIST on @ctl, growing the array until every SE fits; *@out
 * is malloc'd, *@n entries.  Messages: "out of memory",
 * "CTL_PATH: SECEL_CTL_LIST: strerror".
 */
int se_list(int ctl, const char *ctl_path, bool all,
	    struct secel_list_entry **out, unsigned int *n, char *msg,
	    size_t room);

/*
 * An SE by name, by path (DEV_DIR/secelN), by index, or "designated" /
 * "-": *@idx is the N of /dev/secelN.  Messages: "'ARG' is no secel
 * device path", "no SE is designated", "no SE named 'ARG'", or one of
 * se_open_ctl() and se_list().
 */
int se_resolve(const char *ctl_path, const char *dev_dir, const char *arg,
	       unsigned int *idx, char *msg, size_t room);

/*
 * The SEs /sys/class/secel (@sysfs_dir) shows, in every state, sorted by
 * index, as SECEL_CTL_LIST with SECEL_LIST_ALL gives them; of the flags
 * only SECEL_INFO_DESIGNATED.  *@out is malloc'd, *@n entries.  An SE that
 * goes away while it is read is left out.  Messages: "out of memory",
 * "SYSFS_DIR: strerror", "SYSFS_DIR/secelN/ATTR: strerror".
 */
int se_sysfs_list(const char *sysfs_dir, struct secel_list_entry **out,
		  unsigned int *n, char *msg, size_t room);

/*
 * Read SYSFS_DIR/secelN/ATTR into @buf (@size bytes) without its trailing
 * newline.  Returns 0, or a negative errno: -ENOENT or -ENODATA when the
 * SE does not have the value (newer kernels hide the attribute, older ones
 * fail the read), -EACCES for a private one, -EMSGSIZE when @buf is small.
 */
int se_sysfs_read(const char *sysfs_dir, unsigned int idx, const char *attr,
		  char *buf, size_t size);

/* se_resolve(), with the SE list read from @sysfs_dir instead. */
int se_resolve_sysfs(const char *sysfs_dir, const char *dev_dir,
		     const char *arg, unsigned int *idx, char *msg,
		     size_t room);

/*
 * Open DEV_DIR/secelN read-write; the path in @path (@path_room bytes,
 * may be NULL).  Message: "PATH: no such SE" or "PATH: " and se_why().
 */
int se_open(const char *dev_dir, unsigned int idx, char *path,
	    size_t path_room, char *msg, size_t room);

#endif
