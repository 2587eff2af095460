/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * secel - secure element subsystem, userspace ABI
 *
 * Three kinds of character device speak this ABI:
 *
 *  /dev/secelN     one secure element (SE): information, APDU exchange,
 *                  logical channels, reset.
 *  /dev/secel-ctl  the configurator: list the SEs and add, verify,
 *                  inquire, delete (log out) and designate them.
 *  /dev/secel-vse  the virtual-SE proxy: creates an SE and returns a file
 *                  descriptor through which a userspace program serves it;
 *                  its structures are in <linux/secel_vse.h>.
 *
 * Every structure has fixed-width members, explicit padding and reserved
 * fields.  Reserved fields and undefined flag bits must be zero on input,
 * or the call fails with EINVAL; the kernel zeroes them on output.
 * Buffers travel as a __u64 pointer and a __u32 length.
 */
#ifndef _UAPI_LINUX_SECEL_H
#define _UAPI_LINUX_SECEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped when the ABI grows; userspace checks it with SECEL_IOC_VERSION. */
#define SECEL_ABI_VERSION		3

#define SECEL_IOC_MAGIC			0xE7

#define SECEL_NAME_LEN			16	/* NUL-terminated */
#define SECEL_TRANSPORT_LEN		16	/* NUL-terminated */
#define SECEL_ATR_MAX			33	/* ISO/IEC 7816-3 */
#define SECEL_AID_MIN			5	/* ISO/IEC 7816-4 */
#define SECEL_AID_MAX			16
#define SECEL_MAX_CHANNELS		20	/* basic channel 0 plus 1..19 */

/* Largest command APDU: extended case 4, 4 + 3 + 65535 + 2 bytes. */
#define SECEL_APDU_MAX			65544
/* Largest response APDU: 65536 data bytes and SW1 SW2. */
#define SECEL_RESP_MAX			65538

/* struct secel_info.kind */
#define SECEL_KIND_PHYSICAL		1
#define SECEL_KIND_VIRTUAL		2

/* struct secel_info.state: the life cycle the configurator runs. */
#define SECEL_STATE_REPORTED		1	/* known, waiting to be added */
#define SECEL_STATE_VERIFYING		2	/* verification under way */
#define SECEL_STATE_LISTED		3	/* verified, in the SE list */
#define SECEL_STATE_REJECTED		4	/* failed verification */
#define SECEL_STATE_DELETED		5	/* logged out of the list */

/* struct secel_info.flags */
#define SECEL_INFO_DESIGNATED		0x1U
#define SECEL_INFO_HAS_CPLC		0x2U
#define SECEL_INFO_HAS_IIN		0x4U
#define SECEL_INFO_HAS_CIN		0x8U
#define SECEL_INFO_HAS_CARD_DATA	0x10U
#define SECEL_INFO_ATR_TCK_MISSING	0x20U	/* ATR flaw, recorded */
#define SECEL_INFO_ATR_TCK_WRONG	0x40U	/* ATR flaw, recorded */
#define SECEL_INFO_EXTENDED_LENGTH	0x80U	/* transport carries them */
#define SECEL_INFO_ATR_MALFORMED	0x100U	/* SE rejected for its ATR */

/**
 * struct secel_version - SECEL_IOC_VERSION, on every secel node
 * @abi_version: out, SECEL_ABI_VERSION of the running kernel
 * @flags: out, zero for now
 * @reserved: out, zero
 */
struct secel_version {
	__u32 abi_version;
	__u32 flags;
	__u32 reserved[2];
};

/**
 * struct secel_info - what the configurator knows of one SE
 * @index: the N of /dev/secelN and /sys/class/secel/secelN
 * @kind: SECEL_KIND_*
 * @state: SECEL_STATE_*
 * @flags: SECEL_INFO_*
 * @protocols: bit n set when the ATR offers T=n
 * @max_cmd: largest command APDU the transport carries, in bytes
 * @max_rsp: largest response APDU the transport carries, in bytes
 * @atr_len: valid bytes in @atr
 * @name: OMAPI-style reader name: SIM1, eSE1, SD1, VSE1, ...
 * @transport: converter that carries the SE: "vse", "ccid", "t1-serial"
 * @atr: answer to reset
 * @reserved: zero
 *
 * The variable-length items (CPLC, IIN, CIN, card recognition data) are
 * read with SECEL_IOC_GET_ITEM; @flags tells which the SE has.
 */
struct secel_info {
	__u32 index;
	__u32 kind;
	__u32 state;
	__u32 flags;
	__u32 protocols;
	__u32 max_cmd;
	__u32 max_rsp;
	__u32 atr_len;
	char name[SECEL_NAME_LEN];
	char transport[SECEL_TRANSPORT_LEN];
	__u8 atr[36];
	__u32 reserved[7];
};

/* struct secel_item.item */
#define SECEL_ITEM_ATR			1
#define SECEL_ITEM_CPLC			2	/* GET DATA 9F7F, value only */
#define SECEL_ITEM_IIN			3	/* GET DATA 0042, value only */
#define SECEL_ITEM_CIN			4	/* GET DATA 0045, value only */
#define SECEL_ITEM_CARD_DATA		5	/* GET DATA 0066, value only */

/**
 * struct secel_item - SECEL_IOC_GET_ITEM: one item of acquired information
 * @item: in, SECEL_ITEM_*
 * @flags: in, zero
 * @buf_ptr: in, user buffer
 * @buf_len: in, size of the buffer; out, length of the item
 * @reserved: zero
 *
 * Fails with ENODATA when the SE does not have the item (absent data is
 * never invented) and with EMSGSIZE, @buf_len set, when the buffer is small.
 */
struct secel_item {
	__u32 item;
	__u32 flags;
	__u64 buf_ptr;
	__u32 buf_len;
	__u32 reserved;
};

/* struct secel_transmit.flags */
#define SECEL_TX_RAW			0x1U	/* no 61xx/6Cxx handling */
#define SECEL_TX_KEPT			0x2U	/* fetch the kept response */

/**
 * struct secel_transmit - SECEL_IOC_TRANSMIT: one command/response pair
 * @cmd_ptr: in, the command APDU, ISO/IEC 7816-4 case 1 to 4, short or
 *	extended, with the channel bits of CLA zero
 * @rsp_ptr: in, buffer for the response APDU (data and SW1 SW2)
 * @cmd_len: in, length of the command, 4 to SECEL_APDU_MAX (0 with
 *	SECEL_TX_KEPT)
 * @rsp_len: in, size of the response buffer (at least 2); out, length of
 *	the response, also when the call fails with EMSGSIZE
 * @channel: in, 0 for the basic channel or a logical channel this file
 *	descriptor opened with SECEL_IOC_OPEN_CHANNEL
 * @flags: in, SECEL_TX_*
 * @reserved: zero
 *
 * The core encodes @channel into CLA, fetches 61xx responses with GET
 * RESPONSE and re-issues a command answered 6Cxx with the right Le, unless
 * SECEL_TX_RAW is set.  MANAGE CHANNEL is refused (EPERM): channels are
 * opened and closed through their ioctls.
 *
 * When the response does not fit @rsp_len, the card has still run the
 * command: the call fails with EMSGSIZE, sets @rsp_len to the response's
 * length and the file keeps the response.  A TRANSMIT with flags
 * SECEL_TX_KEPT and @cmd_len 0 then returns it without sending anything
 * (ENODATA when nothing is kept).  Any other TRANSMIT or OPEN_CHANNEL on
 * the file drops it.  (ABI version 2.)
 */
struct secel_transmit {
	__u64 cmd_ptr;
	__u64 rsp_ptr;
	__u32 cmd_len;
	__u32 rsp_len;
	__u32 channel;
	__u32 flags;
	__u32 reserved[2];
};

/**
 * struct secel_channel_open - SECEL_IOC_OPEN_CHANNEL
 * @aid_ptr: in, AID of the application to select
 * @rsp_ptr: in, buffer for the SELECT response (data and SW1 SW2)
 * @aid_len: in, 0 (select the default application) or 5 to 16
 * @rsp_len: in, size of the response buffer; out, length of the response
 * @channel: out, the logical channel, 1 to 19
 * @p2: in, P2 of SELECT (0x00: first or only occurrence, return FCI)
 * @pad: zero
 * @flags: in, zero
 * @reserved: zero
 *
 * Sends MANAGE CHANNEL (open) and SELECT by AID on the new channel.  When
 * SELECT fails, the channel is closed again, the response is still
 * returned in @rsp_ptr/@rsp_len, and the call fails with ENOENT (6A82,
 * application not found) or EIO (any other status).
 */
struct secel_channel_open {
	__u64 aid_ptr;
	__u64 rsp_ptr;
	__u32 aid_len;
	__u32 rsp_len;
	__u32 channel;
	__u8 p2;
	__u8 pad[3];
	__u32 flags;
	__u32 reserved;
};

/**
 * struct secel_channel_close - SECEL_IOC_CLOSE_CHANNEL
 * @channel: in, a logical channel this file descriptor opened
 * @flags: in, zero
 */
struct secel_channel_close {
	__u32 channel;
	__u32 flags;
};

/* struct secel_reset.flags */
#define SECEL_RESET_WARM		0x1U	/* else cold */

/**
 * struct secel_reset - SECEL_IOC_RESET (CAP_SYS_ADMIN)
 * @flags: in, SECEL_RESET_*
 * @atr_len: out, length of the new ATR (read it with SECEL_IOC_GET_ITEM)
 * @reserved: zero
 *
 * Every logical channel of every file descriptor is gone after a reset.
 */
struct secel_reset {
	__u32 flags;
	__u32 atr_len;
	__u32 reserved[2];
};

/* Ioctls on /dev/secelN */
#define SECEL_IOC_VERSION	_IOR(SECEL_IOC_MAGIC, 0x00, struct secel_version)
#define SECEL_IOC_GET_INFO	_IOR(SECEL_IOC_MAGIC, 0x01, struct secel_info)
#define SECEL_IOC_GET_ITEM	_IOWR(SECEL_IOC_MAGIC, 0x02, struct secel_item)
#define SECEL_IOC_TRANSMIT	_IOWR(SECEL_IOC_MAGIC, 0x03, struct secel_transmit)
#define SECEL_IOC_OPEN_CHANNEL	_IOWR(SECEL_IOC_MAGIC, 0x04, struct secel_channel_open)
#define SECEL_IOC_CLOSE_CHANNEL	_IOW(SECEL_IOC_MAGIC, 0x05, struct secel_channel_close)
#define SECEL_IOC_RESET		_IOWR(SECEL_IOC_MAGIC, 0x06, struct secel_reset)

/**
 * struct secel_list_entry - one SE in a SECEL_CTL_LIST answer
 * @index: the N of /dev/secelN
 * @kind: SECEL_KIND_*
 * @state: SECEL_STATE_*
 * @flags: SECEL_INFO_*
 * @name: reader name
 * @transport: converter name
 */
struct secel_list_entry {
	__u32 index;
	__u32 kind;
	__u32 state;
	__u32 flags;
	char name[SECEL_NAME_LEN];
	char transport[SECEL_TRANSPORT_LEN];
};

/* struct secel_list.flags */
#define SECEL_LIST_ALL			0x1U	/* not only listed SEs */

/**
 * struct secel_list - SECEL_CTL_LIST
 * @entries_ptr: in, array of struct secel_list_entry
 * @count: in, room in the array; out, number of SEs that match, which may
 *	be more than were written
 * @flags: in, SECEL_LIST_*; without SECEL_LIST_ALL only the SE list proper
 *	(state LISTED) is returned
 * @reserved: zero
 */
struct secel_list {
	__u64 entries_ptr;
	__u32 count;
	__u32 flags;
	__u32 reserved[2];
};

/* struct secel_ctl.flags for SECEL_CTL_DESIGNATE */
#define SECEL_DESIGNATE_CLEAR		0x1U	/* no SE designated */

/**
 * struct secel_ctl - one configurator operation on one SE
 * @index: in, the N of /dev/secelN
 * @flags: in, operation flags, zero unless stated
 * @info: out, the SE's information after the operation, also when the
 *	operation failed (ENODEV, EPERM and EINVAL leave it alone)
 *
 * SECEL_CTL_ADD verifies a reported, rejected or deleted SE, acquires its
 * information and adds it to the list (EALREADY when listed).
 * SECEL_CTL_VERIFY verifies again.  An SE that fails verification is
 * rejected and leaves the list; the call then fails with EPROTO (malformed
 * ATR or answer, or an ATR flaw under strict verification) or ETIMEDOUT
 * (the SE did not answer).  SECEL_CTL_INQUIRE acquires the information
 * again (with CAP_SYS_ADMIN; without, it reports what is known).
 * SECEL_CTL_DELETE logs a listed SE out: out of the list, its logical
 * channels closed, its device kept.  SECEL_CTL_DESIGNATE makes a listed SE
 * the designated one (at most one is).  ADD, VERIFY, DELETE and DESIGNATE
 * need CAP_SYS_ADMIN.  Unknown index: ENODEV; SE not listed when it must
 * be: ENOENT.
 */
struct secel_ctl {
	__u32 index;
	__u32 flags;
	struct secel_info info;
};

/* Ioctls on /dev/secel-ctl (SECEL_IOC_VERSION works there too) */
#define SECEL_CTL_LIST		_IOWR(SECEL_IOC_MAGIC, 0x20, struct secel_list)
#define SECEL_CTL_ADD		_IOWR(SECEL_IOC_MAGIC, 0x21, struct secel_ctl)
#define SECEL_CTL_VERIFY	_IOWR(SECEL_IOC_MAGIC, 0x22, struct secel_ctl)
#define SECEL_CTL_INQUIRE	_IOWR(SECEL_IOC_MAGIC, 0x23, struct secel_ctl)
#define SECEL_CTL_DELETE	_IOWR(SECEL_IOC_MAGIC, 0x24, struct secel_ctl)
#define SECEL_CTL_DESIGNATE	_IOWR(SECEL_IOC_MAGIC, 0x25, struct secel_ctl)

/*
 * Access control: which caller may reach which application on which SE
 * (ABI version 3).  The rule table is global, ordered, and replaced as a
 * whole; Documentation/userspace-api/secel.rst gives the semantics.
 */
#define SECEL_ACL_VERSION		1	/* of struct secel_acl_rule */
#define SECEL_ACL_MAX_RULES		1024
#define SECEL_ACL_MAX_FILTERS		8
#define SECEL_CIN_MAX			32

/* struct secel_acl_rule.se_match: which SE selectors apply (all of them) */
#define SECEL_ACL_SE_NAME		0x1U	/* @se_name equals the SE's name */
#define SECEL_ACL_SE_KIND		0x2U	/* @se_kind equals its kind */
#define SECEL_ACL_SE_CIN		0x4U	/* @se_cin equals its CIN */

/*
 * struct secel_acl_rule.app: the application @aid, every AID that begins
 * with @aid (@aid_len 0: every application, known or not), or no known
 * application (the card's own choice: after reset, on a channel opened
 * without an AID, after a SELECT by file identifier or path).
 */
#define SECEL_ACL_APP_AID		1
#define SECEL_ACL_APP_PREFIX		2
#define SECEL_ACL_APP_NONE		3

/*
 * struct secel_acl_rule.who: anyone, the caller whose effective uid is
 * @id, or the caller with @id as its effective or a supplementary group.
 */
#define SECEL_ACL_WHO_ANY		0
#define SECEL_ACL_WHO_UID		1
#define SECEL_ACL_WHO_GID		2

/*
 * struct secel_acl_rule.action: allow, deny, or allow only the commands
 * that match one of @filters (SEAC's APDU access rule).
 */
#define SECEL_ACL_ALLOW			1
#define SECEL_ACL_DENY			2
#define SECEL_ACL_FILTER		3

/**
 * struct secel_acl_filter - one command pattern of a SECEL_ACL_FILTER rule
 * @header: CLA INS P1 P2 of the command, CLA in basic-channel form
 * @mask: a command matches when (its header & @mask) == @header
 */
struct secel_acl_filter {
	__u8 header[4];
	__u8 mask[4];
};

/**
 * struct secel_acl_rule - one access rule
 * @se_match: SECEL_ACL_SE_*, zero for every SE
 * @se_kind: SECEL_KIND_*, with SECEL_ACL_SE_KIND
 * @se_name: NUL-terminated SE name (SIM1, eSE1, VSE1), with
 *	SECEL_ACL_SE_NAME
 * @se_cin: the SE's card image number (GET DATA 0045), with
 *	SECEL_ACL_SE_CIN
 * @se_cin_len: its length, 1 to SECEL_CIN_MAX
 * @aid_len: length of @aid: 5 to 16 for SECEL_ACL_APP_AID, 0 to 16 for
 *	SECEL_ACL_APP_PREFIX, 0 for SECEL_ACL_APP_NONE
 * @pad: zero
 * @aid: the AID or AID prefix
 * @app: SECEL_ACL_APP_*
 * @who: SECEL_ACL_WHO_*
 * @id: the uid or gid, for SECEL_ACL_WHO_UID and SECEL_ACL_WHO_GID
 * @action: SECEL_ACL_ALLOW, SECEL_ACL_DENY or SECEL_ACL_FILTER
 * @nr_filters: entries of @filters in use, 1 to SECEL_ACL_MAX_FILTERS
 *	with SECEL_ACL_FILTER, else 0
 * @flags: zero
 * @filters: the command patterns of a SECEL_ACL_FILTER rule; unused
 *	entries zero
 * @reserved: zero
 */
struct secel_acl_rule {
	__u32 se_match;
	__u32 se_kind;
	char se_name[SECEL_NAME_LEN];
	__u8 se_cin[SECEL_CIN_MAX];
	__u8 se_cin_len;
	__u8 aid_len;
	__u8 pad[2];
	__u8 aid[SECEL_AID_MAX];
	__u32 app;
	__u32 who;
	__u32 id;
	__u32 action;
	__u32 nr_filters;
	__u32 flags;
	struct secel_acl_filter filters[SECEL_ACL_MAX_FILTERS];
	__u32 reserved[4];
};

/*
 * struct secel_acl_table.flags: on an SE that some rule names, what no
 * rule decides is allowed (else denied).
 */
#define SECEL_ACL_DEFAULT_ALLOW		0x1U

/**
 * struct secel_acl_table - SECEL_CTL_ACL_SET and SECEL_CTL_ACL_GET
 * @version: in, SECEL_ACL_VERSION; out, the kernel's
 * @rule_size: in, sizeof(struct secel_acl_rule) as userspace knows it;
 *	out, the kernel's
 * @rules_ptr: in, array of struct secel_acl_rule
 * @count: SET: in, number of rules (0 clears the table); GET: in, room in
 *	the array, out, rules in the table, which may be more than were
 *	written
 * @flags: SET: in, SECEL_ACL_DEFAULT_ALLOW or zero; GET: out, the table's
 * @generation: out, bumped by every SET
 * @reserved: zero
 *
 * SET needs CAP_SYS_ADMIN and replaces the whole table at once: an
 * exchange is checked against either the old or the new table.  A bad
 * rule fails the call with EINVAL and leaves the table as it was.  A
 * @version or @rule_size the kernel does not know: EPROTO, with the
 * kernel's in @version and @rule_size.
 */
struct secel_acl_table {
	__u32 version;
	__u32 rule_size;
	__u64 rules_ptr;
	__u32 count;
	__u32 flags;
	__u32 generation;
	__u32 reserved[3];
};

#define SECEL_CTL_ACL_SET	_IOWR(SECEL_IOC_MAGIC, 0x26, struct secel_acl_table)
#define SECEL_CTL_ACL_GET	_IOWR(SECEL_IOC_MAGIC, 0x27, struct secel_acl_table)

#endif /* _UAPI_LINUX_SECEL_H */
