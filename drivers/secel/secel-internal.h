/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel - declarations shared by the files of the core
 *
 * Who owns what:
 *   core.c      the class, /dev/secelN numbers, registration, sysfs, uevents
 *   list.c      the SE list: its lock, membership, names, states (one
 *               transition function), designation, what is known of an SE
 *   verify.c    verification and acquisition: the configurator operations
 *               that talk to the card (add, verify, inquire, delete, reset)
 *   ctl.c       /dev/secel-ctl
 *   cdev.c      /dev/secelN: information, TRANSMIT, channels, reset
 *   exchange.c  the exchange with the card: raw transmit, APDU level with
 *               61xx/6Cxx, channel closing (also deferred to a worker)
 *   acl.c       access rules: the table, the application each channel
 *               has selected, the check before a command reaches the card
 *
 * Lock order: cfg_lock -> ops_sem (read) -> io_lock -> the list lock.
 */
#ifndef _SECEL_INTERNAL_H
#define _SECEL_INTERNAL_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/secel.h>
#include <linux/workqueue.h>

#include "secel-parse.h"

#define SECEL_MAX_SES_DEFAULT	1024
#define SECEL_PREFIX_LEN	8	/* 7 letters and NUL */

/* Items of information, indexed by SECEL_ITEM_*; the ATR lives apart. */
#define SECEL_ITEM_FIRST_DATA	SECEL_ITEM_CPLC
#define SECEL_ITEM_LAST		SECEL_ITEM_CARD_DATA

/* Room for a 6Cxx re-issue that turns case 3E into 4E. */
#define SECEL_CMD_SLACK		2

struct secel_blob {
	u8 *data;
	size_t len;
};

struct secel_file;
struct secel_prefix;

/*
 * se->chan_owner[] of a channel whose file is gone but which the card has
 * not been told to close yet: the close worker owns it.
 */
#define SECEL_CHAN_ORPHAN	((struct secel_file *)1)

/**
 * struct secel_acl_chan - what access control knows of a logical channel
 * @sel: the application selected on it (SECEL_ACL_SEL_UNKNOWN when the
 *	card chose it)
 * @chained: the last command had the chaining bit: the next SELECT names
 *	only part of its target
 * @cont: the last command was allowed and sent; GET RESPONSE and ENVELOPE
 *	from @cont_uid continue it
 * @cont_uid: who sent it
 */
struct secel_acl_chan {
	struct secel_acl_target sel;
	bool chained;
	bool cont;
	u32 cont_uid;
};

/**
 * struct secel_acl_cmd - a command as access control judged it
 * @kind: what the command is to the rules (acl.c)
 * @chain: it has the chaining bit
 * @target: for a SELECT, what it may select
 */
struct secel_acl_cmd {
	int kind;
	bool chain;
	struct secel_acl_target target;
};

/* se->flags */
#define SECEL_SE_REGISTERED	0	/* between register and unregister */

/**
 * struct secel_se - one secure element
 * @dev: the device; its refcount keeps this structure
 * @cdev: /dev/secelN
 * @index: minor number, the N of secelN
 * @flags: SECEL_SE_* bits
 * @ops_sem: taken for reading around every call into @ops, for writing to
 *	clear @ops on unregister; keeps the converter, not the memory
 * @ops: the converter's operations, NULL once the SE is unplugged
 * @priv: the converter's data
 * @desc: copy of what the converter described, immutable
 * @prefix: copy of the name prefix
 * @transport: copy of the transport name
 * @cfg_lock: serialises configurator operations (verify, add, delete,
 *	inquire, reset) on this SE and sysfs updates against removal
 * @io_lock: one exchange with the card at a time; guards @chan_owner,
 *	@powered, @sweep_channels and the buffers
 * @powered: the card is active
 * @sweep_channels: the close worker closes every channel no file owns
 * @users: open files of /dev/secelN
 * @chan_owner: the file that opened each logical channel, NULL when free,
 *	SECEL_CHAN_ORPHAN when the close worker is to close it
 * @acl_chan: the application each channel has selected, under io_lock
 * @cmd_buf: the command of the exchange under way, max_cmd + slack bytes,
 *	allocated on first use and freed when the last file closes
 * @cmd_buf_size: its size (max_cmd may have grown since)
 * @rsp_buf: its response, SECEL_RESP_MAX bytes, likewise
 * @verify_work: verification queued on report
 * @close_work: closes orphaned channels on the card (see exchange.c)
 * @pfx: the name prefix's numbering, under the list lock
 * @state: SECEL_STATE_*, under the list lock, written by
 *	secel_se_set_state_locked() only
 * @designated: under the list lock
 * @unplugged: set once unregister started, under the list lock
 * @name: reader name, fixed at registration
 * @name_num: the number in @name
 * @atr: the answer to reset, under the list lock
 * @atr_len: its length
 * @atr_info: its parse
 * @items: acquired information, under the list lock
 * @sysfs_shown: which attributes of data the SE may lack are shown, a bit
 *	each, under cfg_lock (see secel_se_update_sysfs())
 */
struct secel_se {
	struct device dev;
	struct cdev cdev;
	int index;
	unsigned long flags;

	struct rw_semaphore ops_sem;
	const struct secel_ops *ops;
	void *priv;
	struct secel_se_desc desc;
	char prefix[SECEL_PREFIX_LEN];
	char transport[SECEL_TRANSPORT_LEN];

	struct mutex cfg_lock;	/* configurator operations */
	struct mutex io_lock;	/* exchanges, channels, power, buffers */
	bool powered;
	bool sweep_channels;
	atomic_t users;
	struct secel_file *chan_owner[SECEL_MAX_CHANNELS];
	struct secel_acl_chan acl_chan[SECEL_MAX_CHANNELS];
	u8 *cmd_buf;
	size_t cmd_buf_size;
	u8 *rsp_buf;
	struct work_struct verify_work;
	struct work_struct close_work;

	struct secel_prefix *pfx;
	u32 state;
	bool designated;
	bool unplugged;
	char name[SECEL_NAME_LEN];
	unsigned int name_num;
	u8 atr[SECEL_ATR_MAX];
	size_t atr_len;
	struct secel_atr atr_info;
	struct secel_blob items[SECEL_ITEM_LAST + 1];
	unsigned long sysfs_shown;
};

#define to_secel_se(d) container_of(d, struct secel_se, dev)

/*
 * Device callbacks take a const device from 6.3 on; the out-of-tree Kbuild
 * defines SECEL_CONST_DEV_CALLBACKS when the kernel it builds for does.
 */
#ifdef SECEL_CONST_DEV_CALLBACKS
#define secel_cb_device const struct device
#else
#define secel_cb_device struct device
#endif

/* core.c */
extern struct workqueue_struct *secel_wq;
extern unsigned int secel_max_ses;
extern unsigned int secel_max_file_channels;
extern const struct file_operations secel_se_fops;
void secel_se_update_sysfs(struct secel_se *se);

/* list.c: the SE list and what it knows of each SE */
void secel_info_lock(void);
void secel_info_unlock(void);
void secel_info_assert_held(void);
void secel_list_exit(void);
int secel_list_publish(struct secel_se *se);
void secel_list_unpublish(struct secel_se *se);
struct secel_se *secel_se_get_by_index(u32 index);
void secel_se_set_state_locked(struct secel_se *se, u32 state);
int secel_list_designate(struct secel_se *se);
void secel_se_changed(struct secel_se *se);
void secel_fill_info(struct secel_se *se, struct secel_info *info);
u32 secel_info_flags(struct secel_se *se);
u32 secel_list_fill(struct secel_list_entry *entries, u32 room, u32 flags);
int secel_se_copy_item(struct secel_se *se, u32 item, u8 **copy,
		       size_t *len);
void secel_se_set_atr_locked(struct secel_se *se, const u8 *atr,
			     size_t atr_len, const struct secel_atr *info);
void secel_se_set_items_locked(struct secel_se *se, struct secel_blob *items);

/* verify.c: configurator operations that talk to the card */
extern bool secel_auto_add;
extern bool secel_strict_atr;
void secel_verify_work(struct work_struct *work);
bool secel_atr_acceptable(struct secel_se *se, const struct secel_atr *atr);
int secel_se_add(struct secel_se *se);
int secel_se_verify(struct secel_se *se);
int secel_se_inquire(struct secel_se *se, bool ask);
int secel_se_delete(struct secel_se *se);
int secel_se_reset(struct secel_se *se, bool warm, size_t *atr_len);

/* ctl.c */
int secel_ctl_init(void);
void secel_ctl_exit(void);

/* exchange.c: caller holds ops_sem for reading with ops set, and io_lock */
int secel_converter_errno(struct secel_se *se, int ret);
int secel_transmit_raw(struct secel_se *se, const u8 *cmd, size_t cmd_len,
		       u8 *rsp, size_t rsp_size, size_t *rsp_len);
int secel_exchange_apdu(struct secel_se *se, const struct secel_apdu *a,
			u8 *cmd, size_t cmd_len, size_t cmd_room,
			unsigned int channel, u32 flags,
			u8 *rsp, size_t rsp_size, size_t *rsp_len);
int secel_exchange_cmd(struct secel_se *se, u8 *cmd, size_t cmd_len,
		       size_t cmd_room, u8 *rsp, size_t rsp_size,
		       size_t *rsp_len);
int secel_close_channel_locked(struct secel_se *se, unsigned int channel);
void secel_drop_channels_locked(struct secel_se *se, bool tell_card);
void secel_orphan_channel_locked(struct secel_se *se, unsigned int channel,
				 bool sweep);
void secel_close_or_orphan_locked(struct secel_se *se, unsigned int channel);
void secel_close_work(struct work_struct *work);
int secel_power_on_locked(struct secel_se *se, u8 *atr, size_t *atr_len);
void secel_power_off_locked(struct secel_se *se);

/* acl.c: access control; the _locked and check functions need io_lock */
void secel_acl_forget_locked(struct secel_se *se, int channel);
bool secel_acl_caller_is(u32 uid);
u32 secel_acl_caller_id(void);
int secel_acl_check_transmit(struct secel_se *se, unsigned int channel,
			     const u8 *cmd, const struct secel_apdu *a,
			     struct secel_acl_cmd *ac);
void secel_acl_after_transmit(struct secel_se *se, unsigned int channel,
			      const struct secel_acl_cmd *ac, int ret,
			      const u8 *rsp, size_t rsp_len);
int secel_acl_check_open(struct secel_se *se, const u8 *aid, u32 aid_len,
			 u8 p2, struct secel_acl_target *t);
void secel_acl_opened(struct secel_se *se, unsigned int channel,
		      const struct secel_acl_target *t, const u8 *rsp,
		      size_t rsp_len);
long secel_ctl_acl_set(struct secel_acl_table __user *uarg);
long secel_ctl_acl_get(struct secel_acl_table __user *uarg);
void secel_acl_exit(void);

/* Names travel in sysfs, uevents and udev links: ASCII letters only. */
static inline bool secel_ascii_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline u16 secel_sw(const u8 *rsp, size_t len)
{
	return (rsp[len - 2] << 8) | rsp[len - 1];
}

#endif /* _SECEL_INTERNAL_H */
