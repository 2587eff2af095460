/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsecel internals: shared between the library's files and its unit
 * test (which links the static archive); the version script keeps them
 * out of the shared object's exports.
 */
#ifndef LIBSECEL_INTERNAL_H
#define LIBSECEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libsecel.h"


/* The sysfs class directory and the node directory (env overrides). */
const char *secel__sysfs_dir(void);
const char *secel__dev_dir(void);

/*
 * Read SYSFS/secelN/ATTR into @buf without its trailing newline.  0, or a
 * negative errno: -ENOENT/-ENODATA (absent), -EMSGSIZE (@buf small).
 */
int secel__sysfs_read(unsigned int index, const char *attr, char *buf,
		      size_t size);

/* Hex digits (upper or lower case, nothing else) into bytes; 0 or -EPROTO. */
int secel__hex_decode(const char *hex, uint8_t *out, size_t size,
		      size_t *len);

/* "listed" -> SECEL_SE_STATE_LISTED; UNKNOWN for anything else. */
enum secel_se_state secel__state_parse(const char *s);

struct secel_event {
	enum secel_event_type type;
	unsigned int index;
	enum secel_se_state state;
	int designated;
	char name[32];
};

/*
 * One kobject-uevent message (@len bytes, "ACTION@DEVPATH\0KEY=VALUE\0...")
 * into @ev.  0 when it is a secel event of a known action with a valid
 * SECEL_INDEX, else -EAGAIN (not ours, skip it) or -EPROTO (ours but
 * malformed).
 */
int secel__uevent_parse(const char *buf, size_t len, struct secel_event *ev);

#endif
