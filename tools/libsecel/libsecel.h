/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsecel - a small C library over the secel character devices
 *
 * What libgpiod is to /dev/gpiochipN, libsecel is to /dev/secelN: find the
 * secure elements (SEs) the kernel knows, open one, read what the
 * configurator knows of it, exchange APDUs on the basic channel and on
 * logical channels, reset it, and wait for SEs to come and go.
 *
 * Conventions: every object is opaque and freed by its own function.
 * Functions that return a pointer return NULL and set errno on failure;
 * functions that return int return 0 (or a non-negative value) on success
 * and -1 with errno set on failure.  The library never prints and never
 * exits.  It is thread-safe as far as two threads do not use one object
 * at once.
 *
 * The sysfs class directory (/sys/class/secel) and the device directory
 * (/dev) can be moved with the environment variables LIBSECEL_SYSFS and
 * LIBSECEL_DEV (ignored in set-user-ID programs), for tests.
 */
#ifndef LIBSECEL_H
#define LIBSECEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest command and response APDUs (extended length). */
#define SECEL_SE_APDU_MAX	65544
#define SECEL_SE_RESP_MAX	65538
#define SECEL_SE_ATR_MAX	33
#define SECEL_SE_AID_MIN	5
#define SECEL_SE_AID_MAX	16

/** enum secel_se_kind - what carries an SE */
enum secel_se_kind {
	SECEL_SE_KIND_UNKNOWN = 0,
	SECEL_SE_KIND_PHYSICAL = 1,	/* a card, a chip, a reader */
	SECEL_SE_KIND_VIRTUAL = 2,	/* served by a program (secel-vse) */
};

/** enum secel_se_state - where an SE is in the configurator's life cycle */
enum secel_se_state {
	SECEL_SE_STATE_UNKNOWN = 0,
	SECEL_SE_STATE_REPORTED = 1,	/* known, waiting to be added */
	SECEL_SE_STATE_VERIFYING = 2,	/* verification under way */
	SECEL_SE_STATE_LISTED = 3,	/* verified, in the SE list */
	SECEL_SE_STATE_REJECTED = 4,	/* failed verification */
	SECEL_SE_STATE_DELETED = 5,	/* logged out of the list */
};

/** enum secel_se_item - the variable-length data an SE may have */
enum secel_se_item {
	SECEL_SE_ITEM_CPLC = 2,		/* GET DATA 9F7F (private) */
	SECEL_SE_ITEM_IIN = 3,		/* GET DATA 0042 */
	SECEL_SE_ITEM_CIN = 4,		/* GET DATA 0045 (private) */
	SECEL_SE_ITEM_CARD_DATA = 5,	/* GET DATA 0066 */
};

/* secel_se_transmit() flags */
#define SECEL_SE_TX_RAW		0x1U	/* no 61xx / 6Cxx handling */

/* secel_se_reset() flags */
#define SECEL_SE_RESET_WARM	0x1U	/* else cold */

/** enum secel_event_type - what a hot-plug event says */
enum secel_event_type {
	SECEL_EVENT_ADD = 1,		/* an SE appeared */
	SECEL_EVENT_REMOVE = 2,		/* an SE went away */
	SECEL_EVENT_CHANGE = 3,		/* its state or designation changed */
};

struct secel_se;		/* an open SE */
struct secel_se_info;		/* what is known of one SE */
struct secel_monitor;		/* a hot-plug event source */
struct secel_event;		/* one hot-plug event */

/**
 * secel_version_string() - the library's version
 *
 * Return: a static string such as "0.9.0".
 */
const char *secel_version_string(void);

/* Finding SEs.  These read the sysfs class directory: no node access. */

/**
 * secel_list() - the indexes of every SE the kernel shows, in any state
 * @indexes: out, a malloc'd array sorted ascending; free() it.  NULL when
 *	there is none.
 *
 * Return: the number of SEs (0 or more), or -1 with errno set (ENOENT:
 * the class directory does not exist, the secel module is not loaded).
 */
int secel_list(unsigned int **indexes);

/**
 * secel_find_by_name() - the index of the SE with a name
 * @name: its reader name: SIM1, eSE1, VSE1, ...
 * @index: out, the N of /dev/secelN
 *
 * Return: 0, or -1 with errno ENOENT (no SE has that name), EINVAL (@name
 * or @index NULL, or @name empty) or the error of reading sysfs.
 */
int secel_find_by_name(const char *name, unsigned int *index);

/**
 * secel_find_by_index() - check that an SE with an index exists
 * @index: the N of /dev/secelN
 *
 * Return: 0, or -1 with errno ENOENT.
 */
int secel_find_by_index(unsigned int index);

/**
 * secel_find_designated() - the index of the designated SE
 * @index: out, the N of /dev/secelN
 *
 * Return: 0, or -1 with errno ENOENT (no SE is designated) or EINVAL.
 */
int secel_find_designated(unsigned int *index);

/**
 * secel_find() - an SE as a user names it
 * @spec: a name (VSE1), an index (3), a path (/dev/secel3), or
 *	"designated" (also "-")
 * @index: out, the N of /dev/secelN
 *
 * Return: 0, or -1 with errno ENOENT (no such SE) or EINVAL (@spec NULL or
 * empty, or a path that is no secel node).
 */
int secel_find(const char *spec, unsigned int *index);

/* Opening one SE */

/**
 * secel_se_open() - open /dev/secelN read-write
 * @index: N
 *
 * Return: the handle, or NULL with errno set (ENOENT: no such SE; EACCES:
 * the node's mode keeps the caller out).
 */
struct secel_se *secel_se_open(unsigned int index);

/**
 * secel_se_open_path() - open a secel node by its path
 * @path: such as /dev/secel3, or a udev link to one
 *
 * The node is checked with SECEL_IOC_GET_INFO.
 *
 * Return: the handle, or NULL with errno set (ENOTTY: not a secel node).
 */
struct secel_se *secel_se_open_path(const char *path);

/**
 * secel_se_close() - close an SE; its logical channels close with it
 * @se: the handle, or NULL
 */
void secel_se_close(struct secel_se *se);

/**
 * secel_se_fd() - the file descriptor under a handle, to poll or pass on
 * @se: the handle
 *
 * Return: the descriptor, or -1 with errno EINVAL.
 */
int secel_se_fd(struct secel_se *se);

/**
 * secel_se_index() - the N of /dev/secelN of an open SE
 * @se: the handle
 *
 * Return: N, or -1 with errno EINVAL.
 */
int secel_se_index(struct secel_se *se);

/**
 * secel_se_abi_version() - the ABI version of the running kernel
 * @se: the handle
 *
 * Return: SECEL_IOC_VERSION's answer (3 or later), or -1 with errno set.
 */
int secel_se_abi_version(struct secel_se *se);

/* Information */

/**
 * secel_se_get_info() - what the configurator knows of an open SE
 * @se: the handle
 *
 * Runs SECEL_IOC_GET_INFO and reads every item the SE has with
 * SECEL_IOC_GET_ITEM.  An item the caller may not read (CPLC and CIN need
 * CAP_SYS_ADMIN) is left out: secel_se_info_item() then fails with EPERM.
 *
 * Return: the information, or NULL with errno set (ENODEV: the SE is gone).
 */
struct secel_se_info *secel_se_get_info(struct secel_se *se);

/**
 * secel_se_info_from_sysfs() - what sysfs shows of an SE, without opening it
 * @index: N
 *
 * The same information as secel_se_get_info() except the largest APDU
 * sizes (0) and the private items unless the caller may read them (their
 * attribute files are root's): secel_se_info_item() fails with EACCES.
 *
 * Return: the information, or NULL with errno set (ENOENT: no such SE;
 * EPROTO: an attribute holds what the kernel never writes).
 */
struct secel_se_info *secel_se_info_from_sysfs(unsigned int index);

/**
 * secel_se_info_free() - free the information
 * @info: from secel_se_get_info() or secel_se_info_from_sysfs(), or NULL
 */
void secel_se_info_free(struct secel_se_info *info);

/**
 * secel_se_info_index() - N of /dev/secelN
 * @info: the information
 *
 * Return: the index.
 */
unsigned int secel_se_info_index(const struct secel_se_info *info);

/**
 * secel_se_info_name() - the reader name (SIM1, eSE1, VSE1)
 * @info: the information
 *
 * Return: a string that lives as long as @info.
 */
const char *secel_se_info_name(const struct secel_se_info *info);

/**
 * secel_se_info_transport() - the converter that carries the SE
 * @info: the information
 *
 * Return: "vse", "ccid", "t1-serial", ...; lives as long as @info.
 */
const char *secel_se_info_transport(const struct secel_se_info *info);

/**
 * secel_se_info_kind() - physical or virtual
 * @info: the information
 *
 * Return: a value of enum secel_se_kind.
 */
enum secel_se_kind secel_se_info_kind(const struct secel_se_info *info);

/**
 * secel_se_info_state() - the life-cycle state
 * @info: the information
 *
 * Return: a value of enum secel_se_state.
 */
enum secel_se_state secel_se_info_state(const struct secel_se_info *info);

/**
 * secel_se_info_designated() - whether the SE is the designated one
 * @info: the information
 *
 * Return: 1 or 0.
 */
int secel_se_info_designated(const struct secel_se_info *info);

/**
 * secel_se_info_flags() - the SECEL_INFO_* flags of <linux/secel.h>
 * @info: the information
 *
 * Return: the flags (from sysfs: designated, ATR check, items present).
 */
uint32_t secel_se_info_flags(const struct secel_se_info *info);

/**
 * secel_se_info_protocols() - the protocols the ATR offers
 * @info: the information
 *
 * Return: bit n set for T=n; 0 when no ATR is known.
 */
uint32_t secel_se_info_protocols(const struct secel_se_info *info);

/**
 * secel_se_info_max_command() - largest command APDU the transport carries
 * @info: the information
 *
 * Return: bytes; 0 when unknown (from sysfs).
 */
uint32_t secel_se_info_max_command(const struct secel_se_info *info);

/**
 * secel_se_info_max_response() - largest response APDU the transport carries
 * @info: the information
 *
 * Return: bytes; 0 when unknown (from sysfs).
 */
uint32_t secel_se_info_max_response(const struct secel_se_info *info);

/**
 * secel_se_info_atr() - the answer to reset
 * @info: the information
 * @len: out, its length; 0 when none is known
 *
 * Return: the bytes, living as long as @info; NULL (errno ENODATA) when no
 * ATR is known, or EINVAL when @len is NULL.
 */
const uint8_t *secel_se_info_atr(const struct secel_se_info *info,
				 size_t *len);

/**
 * secel_se_info_item() - CPLC, IIN, CIN or card recognition data
 * @info: the information
 * @item: SECEL_SE_ITEM_*
 * @len: out, its length
 *
 * Return: the value, living as long as @info, or NULL with errno ENODATA
 * (the SE does not have it), EPERM or EACCES (private, the caller may not
 * read it) or EINVAL (an unknown @item, @len NULL).
 */
const uint8_t *secel_se_info_item(const struct secel_se_info *info,
				  enum secel_se_item item, size_t *len);

/**
 * secel_se_state_name() - "listed", "rejected", ... as sysfs writes them
 * @state: a value of enum secel_se_state
 *
 * Return: a static string; "unknown" for a value the library does not know.
 */
const char *secel_se_state_name(enum secel_se_state state);

/**
 * secel_se_kind_name() - "physical" or "virtual"
 * @kind: a value of enum secel_se_kind
 *
 * Return: a static string; "unknown" for a value the library does not know.
 */
const char *secel_se_kind_name(enum secel_se_kind kind);

/* APDUs */

/**
 * secel_se_transmit() - send a command APDU, receive the response
 * @se: the handle
 * @channel: 0 for the basic channel, or one secel_se_open_channel() gave
 * @flags: 0 or SECEL_SE_TX_RAW
 * @cmd: the command (ISO/IEC 7816-4 case 1 to 4, CLA channel bits zero)
 * @cmd_len: 4 to SECEL_SE_APDU_MAX
 * @rsp: buffer for the response: data and SW1 SW2
 * @rsp_len: in, the size of @rsp (at least 2); out, the response's length
 *
 * When the response does not fit, the card has still run the command:
 * the call fails with EMSGSIZE and *@rsp_len says how long the response
 * is; secel_se_fetch_kept() then returns it without resending.
 *
 * Return: 0, or -1 with errno: EINVAL (a NULL pointer, @cmd_len out of
 * range, unknown @flags, or an APDU the kernel finds malformed), EMSGSIZE
 * (*@rsp_len below 2 or below the response), ENXIO (not a channel this
 * handle opened), EPERM (MANAGE CHANNEL, which is the kernel's), EACCES
 * (the access rules refuse it), ENODEV (the SE is gone), ETIMEDOUT, EIO.
 */
int secel_se_transmit(struct secel_se *se, unsigned int channel,
		      unsigned int flags, const void *cmd, size_t cmd_len,
		      void *rsp, size_t *rsp_len);

/**
 * secel_se_fetch_kept() - the response an EMSGSIZE transmit kept
 * @se: the handle
 * @rsp: buffer
 * @rsp_len: in, its size; out, the response's length
 *
 * Return: 0, or -1 with errno ENODATA (nothing kept), EMSGSIZE (still too
 * small) or EINVAL.
 */
int secel_se_fetch_kept(struct secel_se *se, void *rsp, size_t *rsp_len);

/**
 * secel_se_open_channel() - open a logical channel and select an application
 * @se: the handle
 * @aid: the application's AID, or NULL with @aid_len 0 for the default one
 * @aid_len: 0 or SECEL_SE_AID_MIN to SECEL_SE_AID_MAX
 * @rsp: buffer for the SELECT response (may be NULL with @rsp_len NULL)
 * @rsp_len: in, the size of @rsp; out, the response's length
 * @channel: out, the channel, 1 to 19
 *
 * The channel belongs to this handle and closes with it.  When SELECT
 * fails the channel is closed again and its response still returned.
 *
 * Return: 0, or -1 with errno: EINVAL (a bad @aid_len, @channel NULL),
 * ENOENT (no application with that AID, 6A82), EIO (SELECT failed
 * otherwise), EBUSY (the card has no channel left), EMFILE (this handle
 * holds the most channels a file may), EOPNOTSUPP (no logical channels),
 * EACCES (the access rules), EMSGSIZE (@rsp too small).
 */
int secel_se_open_channel(struct secel_se *se, const void *aid,
			  size_t aid_len, void *rsp, size_t *rsp_len,
			  unsigned int *channel);

/**
 * secel_se_close_channel() - close a logical channel this handle opened
 * @se: the handle
 * @channel: 1 to 19
 *
 * Return: 0, or -1 with errno ENXIO (not a channel of this handle),
 * EINVAL (channel 0) or EIO (the card did not confirm the close).
 */
int secel_se_close_channel(struct secel_se *se, unsigned int channel);

/**
 * secel_se_reset() - reset the SE (needs CAP_SYS_ADMIN)
 * @se: the handle
 * @flags: 0 (cold) or SECEL_SE_RESET_WARM
 *
 * Every logical channel of every handle is gone afterwards.
 *
 * Return: the new ATR's length, or -1 with errno EPERM, ETIMEDOUT, EPROTO
 * (the new ATR fails verification) or EINVAL (unknown @flags).
 */
int secel_se_reset(struct secel_se *se, unsigned int flags);

/* Hot-plug events */

/**
 * secel_monitor_new() - listen to the kernel's uevents for SEs
 *
 * A netlink kobject-uevent socket, filtered to SUBSYSTEM=secel and to
 * messages the kernel sent.  It sees events from the moment it is made:
 * list the SEs afterwards to have both the state and every change.
 *
 * Return: the monitor, or NULL with errno set.
 */
struct secel_monitor *secel_monitor_new(void);

/**
 * secel_monitor_free() - close the monitor
 * @mon: the monitor, or NULL
 */
void secel_monitor_free(struct secel_monitor *mon);

/**
 * secel_monitor_fd() - the descriptor to poll for POLLIN
 * @mon: the monitor
 *
 * Return: the descriptor, or -1 with errno EINVAL.
 */
int secel_monitor_fd(struct secel_monitor *mon);

/**
 * secel_monitor_wait() - wait for the next secel event
 * @mon: the monitor
 * @timeout_ms: how long to wait at most; 0 polls, -1 waits for ever
 *
 * Messages of other subsystems, or not from the kernel, are skipped.
 *
 * Return: the event (free it with secel_event_free()), or NULL with errno
 * ETIMEDOUT (none in time), ENOBUFS (the socket overflowed and events were
 * lost: list the SEs again), EINTR or EINVAL.
 */
struct secel_event *secel_monitor_wait(struct secel_monitor *mon,
				       int timeout_ms);

/**
 * secel_event_free() - free an event
 * @ev: the event, or NULL
 */
void secel_event_free(struct secel_event *ev);

/**
 * secel_event_type() - add, remove or change
 * @ev: the event
 *
 * Return: a value of enum secel_event_type.
 */
enum secel_event_type secel_event_type(const struct secel_event *ev);

/**
 * secel_event_index() - the N of /dev/secelN the event is about
 * @ev: the event
 *
 * Return: N.
 */
unsigned int secel_event_index(const struct secel_event *ev);

/**
 * secel_event_name() - the SE's name (SECEL_NAME)
 * @ev: the event
 *
 * Return: a string living as long as @ev; "" when the event had none.
 */
const char *secel_event_name(const struct secel_event *ev);

/**
 * secel_event_state() - the SE's state when the event was sent
 * @ev: the event
 *
 * Return: a value of enum secel_se_state (UNKNOWN for a remove event).
 */
enum secel_se_state secel_event_state(const struct secel_event *ev);

/**
 * secel_event_designated() - whether the SE was designated then
 * @ev: the event
 *
 * Return: 1 or 0.
 */
int secel_event_designated(const struct secel_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* LIBSECEL_H */
