// SPDX-License-Identifier: GPL-2.0
/*
 * secel - /dev/secelN: information, APDU exchange, logical channels, reset
 *
 * Every call that reaches the card takes the SE's ops_sem for reading and
 * fails with -ENODEV once the converter is gone, then takes io_lock so one
 * exchange runs at a time.  The device refcount, held by each open file,
 * keeps the memory; ops_sem keeps the converter.
 *
 * The APDU path allocates nothing in the steady state: the SE's command
 * and response buffers are used under io_lock, from the first TRANSMIT
 * until the last file closes; the command is copied in once, parsed once,
 * and the response copied out once.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "secel-internal.h"

unsigned int secel_max_file_channels = 8;

static int secel_param_set_channels(const char *val,
				    const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, SECEL_MAX_CHANNELS - 1);
}

static const struct kernel_param_ops secel_channels_param_ops = {
	.set = secel_param_set_channels,
	.get = param_get_uint,
};

module_param_cb(max_file_channels, &secel_channels_param_ops,
		&secel_max_file_channels, 0644);
MODULE_PARM_DESC(max_file_channels, "Logical channels one open file may hold, 1..19 (default 8)");

/**
 * struct secel_file - one open /dev/secelN
 * @se: the SE, referenced
 * @lock: guards @kept and @kept_len
 * @kept: the response of the last TRANSMIT that did not fit the caller's
 *	buffer, for SECEL_TX_KEPT; NULL when none
 * @kept_len: its length
 * @kept_uid: who made the exchange it answers (access rules)
 *
 * Logical channels are owned by this structure: se->chan_owner points here.
 */
struct secel_file {
	struct secel_se *se;
	struct mutex lock;	/* the kept response */
	u8 *kept;
	size_t kept_len;
	u32 kept_uid;
};

/* Wait for the SE's exchange slot; nothing has happened when interrupted. */
static int secel_io_begin(struct secel_se *se)
{
	down_read(&se->ops_sem);
	if (!se->ops) {
		up_read(&se->ops_sem);
		return -ENODEV;
	}
	if (mutex_lock_interruptible(&se->io_lock)) {
		up_read(&se->ops_sem);
		return -ERESTARTSYS;
	}
	return 0;
}

static void secel_io_end(struct secel_se *se)
{
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
}

/*
 * Userspace may reach the card only while the SE is listed.  DELETE,
 * verification and RESET change the state under io_lock, so an exchange
 * that waited for io_lock sees the state they left.
 */
static int secel_io_begin_listed(struct secel_se *se)
{
	int ret = secel_io_begin(se);

	if (!ret && READ_ONCE(se->state) != SECEL_STATE_LISTED) {
		secel_io_end(se);
		return -ENOLINK;
	}
	return ret;
}

/*
 * The SE's exchange buffers; caller holds io_lock, under which max_cmd
 * does not change (secel_se_set_limits()).  A command buffer smaller than
 * a grown max_cmd is replaced.
 */
static int secel_io_buffers(struct secel_se *se)
{
	size_t need = READ_ONCE(se->desc.max_cmd) + SECEL_CMD_SLACK;

	if (se->cmd_buf && se->cmd_buf_size < need) {
		kvfree(se->cmd_buf);
		se->cmd_buf = NULL;
	}
	if (!se->cmd_buf) {
		se->cmd_buf = kvmalloc(need, GFP_KERNEL);
		se->cmd_buf_size = se->cmd_buf ? need : 0;
	}
	if (!se->rsp_buf)
		se->rsp_buf = kvmalloc(SECEL_RESP_MAX, GFP_KERNEL);
	return se->cmd_buf && se->rsp_buf ? 0 : -ENOMEM;
}

static bool secel_se_gone(struct secel_se *se)
{
	bool gone;

	down_read(&se->ops_sem);
	gone = !se->ops;
	up_read(&se->ops_sem);
	return gone;
}

static unsigned int secel_file_channels(struct secel_file *sf)
{
	unsigned int ch, n = 0;

	for (ch = 1; ch < SECEL_MAX_CHANNELS; ch++)
		n += sf->se->chan_owner[ch] == sf;
	return n;
}

static void secel_drop_kept(struct secel_file *sf)
{
	mutex_lock(&sf->lock);
	kvfree(sf->kept);
	sf->kept = NULL;
	sf->kept_len = 0;
	mutex_unlock(&sf->lock);
}

/*
 * Drop the channels @sf owns (@only, or all when @only is 0), closing them
 * on the card while it is on.  A card that fails to answer is not asked
 * again, so that closing a file takes one timeout at most.  When a signal
 * is pending (the task may be exiting with a fatal one) or interrupts a
 * close, the close worker finishes the job: the card hears of every
 * channel whatever happens to the caller.
 *
 * Return: for @only, -ENXIO when @sf does not own it, else the card's
 * answer to the close (0 when it was not asked or the worker will ask).
 */
static int secel_forget_channels(struct secel_file *sf, unsigned int only)
{
	struct secel_se *se = sf->se;
	bool tell, orphans = false;
	unsigned int ch;
	int ret = 0, last = 0;

	down_read(&se->ops_sem);
	mutex_lock(&se->io_lock);
	if (only && se->chan_owner[only] != sf)
		last = -ENXIO;
	tell = se->ops && se->powered;
	for (ch = 1; ch < SECEL_MAX_CHANNELS; ch++) {
		if (se->chan_owner[ch] != sf || (only && ch != only))
			continue;
		se->chan_owner[ch] = NULL;
		if (!tell)
			continue;
		ret = signal_pending(current) ? -EINTR :
		      secel_close_channel_locked(se, ch);
		if (ret == -EINTR) {
			se->chan_owner[ch] = SECEL_CHAN_ORPHAN;
			orphans = true;
		} else {
			last = ret;
			tell = !ret || ret == -EIO || ret == -EPROTO;
		}
	}
	if (orphans)
		secel_orphan_channel_locked(se, 0, false);
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
	return last;
}

static int secel_file_open(struct inode *inode, struct file *file)
{
	struct secel_se *se = container_of(inode->i_cdev, struct secel_se, cdev);
	struct secel_file *sf;

	get_device(&se->dev);
	if (secel_se_gone(se)) {
		put_device(&se->dev);
		return -ENODEV;
	}
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf) {
		put_device(&se->dev);
		return -ENOMEM;
	}
	sf->se = se;
	mutex_init(&sf->lock);
	atomic_inc(&se->users);
	file->private_data = sf;
	return nonseekable_open(inode, file);
}

static int secel_file_release(struct inode *inode, struct file *file)
{
	struct secel_file *sf = file->private_data;
	struct secel_se *se = sf->se;

	secel_forget_channels(sf, 0);
	if (atomic_dec_and_test(&se->users)) {
		/* an SE nobody has open costs no buffers */
		mutex_lock(&se->io_lock);
		if (!atomic_read(&se->users)) {
			kvfree(se->cmd_buf);
			kvfree(se->rsp_buf);
			se->cmd_buf = NULL;
			se->cmd_buf_size = 0;
			se->rsp_buf = NULL;
		}
		mutex_unlock(&se->io_lock);
	}
	kvfree(sf->kept);
	mutex_destroy(&sf->lock);
	kfree(sf);
	put_device(&se->dev);
	return 0;
}

static long secel_ioc_get_info(struct secel_se *se, void __user *uarg)
{
	struct secel_info info;

	if (secel_se_gone(se))
		return -ENODEV;
	secel_fill_info(se, &info);
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

/*
 * CPLC (with the chip's serial number) and CIN identify one card, so they
 * are private: a process that could read them could follow the device.
 * The ATR, IIN and card recognition data describe a kind of card.
 */
static bool secel_item_private(u32 item)
{
	return item == SECEL_ITEM_CPLC || item == SECEL_ITEM_CIN;
}

static long secel_ioc_get_item(struct secel_se *se,
			       struct secel_item __user *uarg)
{
	struct secel_item req;
	size_t len = 0;
	u8 *copy = NULL;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	if (req.item < SECEL_ITEM_ATR || req.item > SECEL_ITEM_LAST)
		return -EINVAL;
	if (secel_item_private(req.item) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (secel_se_gone(se))
		return -ENODEV;

	ret = secel_se_copy_item(se, req.item, &copy, &len);
	if (ret)
		return ret;
	if (len > req.buf_len)
		ret = -EMSGSIZE;
	else if (copy_to_user(u64_to_user_ptr(req.buf_ptr), copy, len))
		ret = -EFAULT;
	kfree(copy);
	if (ret == -EFAULT)
		return ret;
	req.buf_len = len;
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return ret;
}

/* Check a command from userspace and parse it; 0 or the errno it earns. */
static int secel_check_command(struct secel_se *se, const u8 *cmd, size_t len,
			       struct secel_apdu *a)
{
	int ret;

	ret = secel_apdu_parse(cmd, len, a);
	if (ret)
		return ret;
	ret = secel_cla_check_basic(cmd[0]);
	if (ret)
		return ret;
	if (cmd[1] == 0x70)	/* MANAGE CHANNEL belongs to the core */
		return -EPERM;
	if (secel_apdu_is_extended(a) &&
	    !(READ_ONCE(se->desc.caps) & SECEL_CAP_EXTENDED_LENGTH))
		return -EOPNOTSUPP;
	if (len > READ_ONCE(se->desc.max_cmd))
		return -EMSGSIZE;
	return 0;
}

/*
 * A command longer than the SE's buffer: tell why it is refused, with the
 * same precedence as any other (a malformed one is -EINVAL first).  An
 * error path, so it may allocate.
 */
static int secel_check_oversized(struct secel_se *se, u64 ptr, u32 len)
{
	struct secel_apdu a;
	u8 *cmd;
	int ret;

	cmd = kvmalloc(len, GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	if (copy_from_user(cmd, u64_to_user_ptr(ptr), len))
		ret = -EFAULT;
	else
		ret = secel_check_command(se, cmd, len, &a);
	kvfree(cmd);
	return ret;
}

static bool secel_owns_channel(struct secel_file *sf, u32 channel)
{
	return channel < SECEL_MAX_CHANNELS &&
	       (channel == 0 || sf->se->chan_owner[channel] == sf);
}

/* Hand a response to userspace; -EMSGSIZE (with the size) if it is small. */
static long secel_put_response(const u8 *rsp, size_t len, u64 ptr,
			       u32 *user_len)
{
	u32 room = *user_len;

	*user_len = len;
	if (len > room)
		return -EMSGSIZE;
	if (copy_to_user(u64_to_user_ptr(ptr), rsp, len))
		return -EFAULT;
	return 0;
}

/* SECEL_TX_KEPT: the response a short buffer could not take, once. */
static long secel_transmit_kept(struct secel_file *sf,
				struct secel_transmit *req)
{
	long ret;

	if (req->flags != SECEL_TX_KEPT || req->cmd_len)
		return -EINVAL;
	mutex_lock(&sf->lock);
	if (!sf->kept) {
		ret = -ENODATA;
	} else if (!secel_acl_caller_is(sf->kept_uid)) {
		ret = -EACCES;	/* another uid's answer */
	} else {
		ret = secel_put_response(sf->kept, sf->kept_len, req->rsp_ptr,
					 &req->rsp_len);
		if (!ret) {
			kvfree(sf->kept);
			sf->kept = NULL;
			sf->kept_len = 0;
		}
	}
	mutex_unlock(&sf->lock);
	return ret;
}

/* Keep a response that did not fit, for SECEL_TX_KEPT. */
static long secel_keep_response(struct secel_file *sf, const u8 *rsp,
				size_t len)
{
	u8 *kept = kvmalloc(len, GFP_KERNEL);

	if (!kept)
		return -ENOMEM;
	memcpy(kept, rsp, len);
	mutex_lock(&sf->lock);
	kvfree(sf->kept);
	sf->kept = kept;
	sf->kept_len = len;
	sf->kept_uid = secel_acl_caller_id();
	mutex_unlock(&sf->lock);
	return -EMSGSIZE;
}

static long secel_ioc_transmit(struct secel_file *sf,
			       struct secel_transmit __user *uarg)
{
	struct secel_se *se = sf->se;
	struct secel_acl_cmd ac;
	struct secel_transmit req;
	struct secel_apdu a;
	size_t rsp_len = 0;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~(SECEL_TX_RAW | SECEL_TX_KEPT)) || req.reserved[0] ||
	    req.reserved[1])
		return -EINVAL;
	if (req.flags & SECEL_TX_KEPT) {
		ret = secel_transmit_kept(sf, &req);
		goto out_req;
	}
	if (req.cmd_len < 4 || req.cmd_len > SECEL_APDU_MAX || req.rsp_len < 2)
		return -EINVAL;
	if (req.channel >= SECEL_MAX_CHANNELS)
		return -ENXIO;
	secel_drop_kept(sf);
	if (req.cmd_len > READ_ONCE(se->desc.max_cmd))
		return secel_check_oversized(se, req.cmd_ptr, req.cmd_len);
	/* argument errors come first, also on an SE that is not listed */
	if (fault_in_readable(u64_to_user_ptr(req.cmd_ptr), req.cmd_len))
		return -EFAULT;

	ret = secel_io_begin_listed(se);
	if (ret)
		return ret;
	/* a power-on or reset while this waited may have lowered max_cmd */
	if (req.cmd_len > READ_ONCE(se->desc.max_cmd)) {
		secel_io_end(se);
		return secel_check_oversized(se, req.cmd_ptr, req.cmd_len);
	}
	ret = secel_io_buffers(se);
	if (ret)
		goto out_end;
	if (copy_from_user(se->cmd_buf, u64_to_user_ptr(req.cmd_ptr),
			   req.cmd_len)) {
		ret = -EFAULT;
		goto out_end;
	}
	ret = secel_check_command(se, se->cmd_buf, req.cmd_len, &a);
	if (ret)
		goto out_end;
	if (!secel_owns_channel(sf, req.channel)) {
		ret = -ENXIO;
		goto out_end;
	}
	/* access rules: a refused command never reaches the card */
	ret = secel_acl_check_transmit(se, req.channel, se->cmd_buf, &a, &ac);
	if (ret)
		goto out_end;
	ret = secel_exchange_apdu(se, &a, se->cmd_buf, req.cmd_len,
				  se->cmd_buf_size,
				  req.channel, req.flags, se->rsp_buf,
				  SECEL_RESP_MAX, &rsp_len);
	secel_acl_after_transmit(se, req.channel, &ac, ret, se->rsp_buf,
				 rsp_len);
	if (ret)
		goto out_end;
	/*
	 * The card has run the command: a response that does not fit is
	 * kept for SECEL_TX_KEPT rather than lost.
	 */
	ret = secel_put_response(se->rsp_buf, rsp_len, req.rsp_ptr,
				 &req.rsp_len);
	if (ret == -EMSGSIZE)
		ret = secel_keep_response(sf, se->rsp_buf, rsp_len);
out_end:
	secel_io_end(se);
	if (ret && ret != -EMSGSIZE)
		return ret;
out_req:
	if (ret != -EFAULT && (!ret || ret == -EMSGSIZE) &&
	    copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

/*
 * MANAGE CHANNEL open on the basic channel; return the channel or errno.
 * An interrupted open may have opened a channel the core cannot name: the
 * close worker then closes every channel no file owns.
 */
static int secel_manage_channel_open(struct secel_se *se, u8 *rsp,
				     size_t rsp_size)
{
	static const u8 open_cmd[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	size_t len;
	int ret;
	u16 sw;

	ret = secel_transmit_raw(se, open_cmd, sizeof(open_cmd), rsp, rsp_size,
				 &len);
	if (ret == -EINTR)
		secel_orphan_channel_locked(se, 0, true);
	if (ret)
		return ret;
	sw = secel_sw(rsp, len);
	switch (sw) {
	case 0x9000:
		break;
	case 0x6a81:	/* function not supported: no channel left */
		return -EBUSY;
	case 0x6881:	/* logical channels not supported */
	case 0x6d00:
	case 0x6e00:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
	if (len != 3 || rsp[0] == 0 || rsp[0] >= SECEL_MAX_CHANNELS) {
		dev_info_ratelimited(&se->dev, "MANAGE CHANNEL answered %*phN\n",
				     (int)len, rsp);
		return -EPROTO;
	}
	if (se->chan_owner[rsp[0]]) {
		/* the card gave out a channel we hold: it lost track */
		dev_info_ratelimited(&se->dev, "card reopened busy channel %u\n",
				     rsp[0]);
		return -EPROTO;
	}
	return rsp[0];
}

static long secel_ioc_open_channel(struct secel_file *sf,
				   struct secel_channel_open __user *uarg)
{
	struct secel_se *se = sf->se;
	struct secel_channel_open req;
	u8 cmd[5 + SECEL_AID_MAX + 1 + SECEL_CMD_SLACK];
	struct secel_acl_target target;
	size_t cmd_len, rsp_len = 0;
	struct secel_apdu a;
	long ret, put = 0;
	int ch;
	u16 sw;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	req.channel = 0;	/* out only */
	if (req.flags || req.reserved || req.pad[0] || req.pad[1] ||
	    req.pad[2])
		return -EINVAL;
	if ((req.aid_len && req.aid_len < SECEL_AID_MIN) ||
	    req.aid_len > SECEL_AID_MAX || req.rsp_len < 2)
		return -EINVAL;

	/* SELECT by DF name, P2 as asked, Le 00 */
	cmd[0] = 0x00;
	cmd[1] = 0xa4;
	cmd[2] = 0x04;
	cmd[3] = req.p2;
	if (req.aid_len) {
		cmd[4] = req.aid_len;
		if (copy_from_user(cmd + 5, u64_to_user_ptr(req.aid_ptr),
				   req.aid_len))
			return -EFAULT;
		cmd[5 + req.aid_len] = 0x00;
		cmd_len = 6 + req.aid_len;
	} else {
		cmd[4] = 0x00;
		cmd_len = 5;
	}
	ret = secel_apdu_parse(cmd, cmd_len, &a);
	if (ret)
		return ret;
	secel_drop_kept(sf);

	ret = secel_io_begin_listed(se);
	if (ret)
		return ret;
	if (secel_file_channels(sf) >= READ_ONCE(secel_max_file_channels)) {
		ret = -EMFILE;
		goto out_end;
	}
	ret = secel_acl_check_open(se, cmd + 5, req.aid_len, req.p2, &target);
	if (ret)
		goto out_end;
	ret = secel_io_buffers(se);
	if (ret)
		goto out_end;
	ch = secel_manage_channel_open(se, se->rsp_buf, SECEL_RESP_MAX);
	if (ch < 0) {
		ret = ch;
		goto out_end;
	}
	ret = secel_exchange_apdu(se, &a, cmd, cmd_len, sizeof(cmd), ch, 0,
				  se->rsp_buf, SECEL_RESP_MAX, &rsp_len);
	if (ret) {
		/*
		 * An interrupted SELECT leaves the channel open on the card:
		 * the close worker closes it.  A card that did not answer
		 * is not asked to.
		 */
		if (ret == -EINTR)
			secel_orphan_channel_locked(se, ch, false);
		else if (ret != -ETIMEDOUT && ret != -ENODEV)
			secel_close_or_orphan_locked(se, ch);
		rsp_len = 0;
		goto out_end;
	}
	sw = secel_sw(se->rsp_buf, rsp_len);
	if (sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63) {
		secel_acl_opened(se, ch, &target, se->rsp_buf, rsp_len);
		se->chan_owner[ch] = sf;
		req.channel = ch;
	} else {
		secel_close_or_orphan_locked(se, ch);
		ret = sw == 0x6a82 ? -ENOENT : -EIO;
	}
	/* the response, when there is one, also goes back on failure */
	put = secel_put_response(se->rsp_buf, rsp_len, req.rsp_ptr,
				 &req.rsp_len);
out_end:
	secel_io_end(se);
	if (put == -EFAULT || (!ret && put))
		ret = put;
	if (!rsp_len)
		req.rsp_len = 0;
	ch = req.channel;
	if (ret)
		req.channel = 0;
	if (ret != -EFAULT && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	/* a caller that cannot learn its channel does not keep it */
	if (ret && ch > 0)
		secel_forget_channels(sf, ch);
	return ret;
}

static long secel_ioc_close_channel(struct secel_file *sf,
				    struct secel_channel_close __user *uarg)
{
	struct secel_channel_close req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags)
		return -EINVAL;
	if (!req.channel || req.channel >= SECEL_MAX_CHANNELS)
		return -ENXIO;
	if (secel_se_gone(sf->se))
		return -ENODEV;
	return secel_forget_channels(sf, req.channel);
}

static long secel_ioc_reset(struct secel_se *se, struct secel_reset __user *uarg)
{
	struct secel_reset req;
	size_t atr_len = 0;
	bool warm;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~SECEL_RESET_WARM) || req.reserved[0] ||
	    req.reserved[1])
		return -EINVAL;
	warm = req.flags & SECEL_RESET_WARM;

	/* RESET is a configurator operation: one at a time per SE */
	if (mutex_lock_interruptible(&se->cfg_lock))
		return -ERESTARTSYS;
	ret = secel_se_reset(se, warm, &atr_len);
	mutex_unlock(&se->cfg_lock);
	if (ret)
		return ret;

	memset(&req, 0, sizeof(req));
	req.flags = warm ? SECEL_RESET_WARM : 0;
	req.atr_len = atr_len;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long secel_file_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct secel_file *sf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SECEL_IOC_VERSION:
		return secel_ioctl_version(uarg);
	case SECEL_IOC_GET_INFO:
		return secel_ioc_get_info(sf->se, uarg);
	case SECEL_IOC_GET_ITEM:
		return secel_ioc_get_item(sf->se, uarg);
	case SECEL_IOC_TRANSMIT:
		return secel_ioc_transmit(sf, uarg);
	case SECEL_IOC_OPEN_CHANNEL:
		return secel_ioc_open_channel(sf, uarg);
	case SECEL_IOC_CLOSE_CHANNEL:
		return secel_ioc_close_channel(sf, uarg);
	case SECEL_IOC_RESET:
		return secel_ioc_reset(sf->se, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations secel_se_fops = {
	.owner = THIS_MODULE,
	.open = secel_file_open,
	.release = secel_file_release,
	.unlocked_ioctl = secel_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};
