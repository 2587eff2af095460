// SPDX-License-Identifier: GPL-2.0
/*
 * secel - /dev/secelN: information, APDU exchange, logical channels, reset
 *
 * Every call that reaches the card takes the SE's ops_sem for reading and
 * fails with -ENODEV once the converter is gone, then takes io_lock so one
 * exchange runs at a time.  The device refcount, held by each open file,
 * keeps the memory; ops_sem keeps the converter.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "secel-internal.h"

/**
 * struct secel_file - one open /dev/secelN
 * @se: the SE, referenced
 *
 * Logical channels are owned by this structure: se->chan_owner points here.
 */
struct secel_file {
	struct secel_se *se;
};

/* Room for a 6Cxx re-issue that turns case 3E into 4E. */
#define SECEL_CMD_SLACK		2

static int secel_io_begin(struct secel_se *se)
{
	int ret;

	down_read(&se->ops_sem);
	if (!se->ops) {
		up_read(&se->ops_sem);
		return -ENODEV;
	}
	ret = mutex_lock_interruptible(&se->io_lock);
	if (ret) {
		up_read(&se->ops_sem);
		return ret;
	}
	return 0;
}

static void secel_io_end(struct secel_se *se)
{
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
}

/* Userspace may reach the card only while the SE is listed. */
static int secel_io_begin_listed(struct secel_se *se)
{
	int ret = secel_io_begin(se);

	if (!ret && READ_ONCE(se->state) != SECEL_STATE_LISTED) {
		secel_io_end(se);
		return -ENOLINK;
	}
	return ret;
}

static bool secel_se_gone(struct secel_se *se)
{
	bool gone;

	down_read(&se->ops_sem);
	gone = !se->ops;
	up_read(&se->ops_sem);
	return gone;
}

/*
 * Drop the channels @sf owns (@only, or all when @only is 0), closing them
 * on the card while the SE is there and listed.  A card that fails to
 * answer is not asked again, so that closing a file takes one timeout at
 * most.  Not interruptible: used on release and on error paths.
 */
static void secel_forget_channels(struct secel_file *sf, unsigned int only)
{
	struct secel_se *se = sf->se;
	unsigned int ch;
	bool tell;
	int ret;

	down_read(&se->ops_sem);
	mutex_lock(&se->io_lock);
	tell = se->ops && READ_ONCE(se->state) == SECEL_STATE_LISTED;
	for (ch = 1; ch < SECEL_MAX_CHANNELS; ch++) {
		if (se->chan_owner[ch] != sf || (only && ch != only))
			continue;
		if (tell) {
			ret = secel_close_channel_locked(se, ch);
			tell = !ret || ret == -EIO;
		}
		se->chan_owner[ch] = NULL;
	}
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
}

static int secel_se_open(struct inode *inode, struct file *file)
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
	file->private_data = sf;
	return nonseekable_open(inode, file);
}

static int secel_se_release(struct inode *inode, struct file *file)
{
	struct secel_file *sf = file->private_data;
	struct secel_se *se = sf->se;

	secel_forget_channels(sf, 0);
	kfree(sf);
	put_device(&se->dev);
	return 0;
}

static long secel_ioc_get_info(struct secel_se *se, void __user *uarg)
{
	struct secel_info info;

	if (secel_se_gone(se))
		return -ENODEV;
	mutex_lock(&secel_list_lock);
	secel_fill_info(se, &info);
	mutex_unlock(&secel_list_lock);
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long secel_ioc_get_item(struct secel_se *se,
			       struct secel_item __user *uarg)
{
	struct secel_item req;
	size_t len = 0;
	u8 *copy = NULL;
	long ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	if (req.item < SECEL_ITEM_ATR || req.item > SECEL_ITEM_LAST)
		return -EINVAL;
	if (secel_se_gone(se))
		return -ENODEV;

	mutex_lock(&secel_list_lock);
	if (req.item == SECEL_ITEM_ATR) {
		len = se->atr_len;
		copy = len ? kmemdup(se->atr, len, GFP_KERNEL) : NULL;
	} else {
		len = se->items[req.item].len;
		copy = len ? kmemdup(se->items[req.item].data, len,
				     GFP_KERNEL) : NULL;
	}
	mutex_unlock(&secel_list_lock);

	if (!len)
		return -ENODATA;
	if (!copy)
		return -ENOMEM;
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

/* Check a command from userspace; return 0 or the errno it deserves. */
static int secel_check_command(struct secel_se *se, const u8 *cmd, size_t len)
{
	struct secel_apdu a;
	int ret;

	ret = secel_apdu_parse(cmd, len, &a);
	if (ret)
		return ret;
	ret = secel_cla_check_basic(cmd[0]);
	if (ret)
		return ret;
	if (cmd[1] == 0x70)	/* MANAGE CHANNEL belongs to the core */
		return -EPERM;
	if (secel_apdu_is_extended(&a) &&
	    !(se->desc.caps & SECEL_CAP_EXTENDED_LENGTH))
		return -EOPNOTSUPP;
	if (len > se->desc.max_cmd)
		return -EMSGSIZE;
	return 0;
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

static long secel_ioc_transmit(struct secel_file *sf,
			       struct secel_transmit __user *uarg)
{
	struct secel_se *se = sf->se;
	struct secel_transmit req;
	u8 *cmd = NULL, *rsp = NULL;
	size_t rsp_len;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~SECEL_TX_RAW) || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (req.cmd_len < 4 || req.cmd_len > SECEL_APDU_MAX || req.rsp_len < 2)
		return -EINVAL;
	if (req.channel >= SECEL_MAX_CHANNELS)
		return -ENXIO;

	cmd = kvmalloc(req.cmd_len + SECEL_CMD_SLACK, GFP_KERNEL);
	rsp = kvmalloc(SECEL_RESP_MAX, GFP_KERNEL);
	if (!cmd || !rsp) {
		ret = -ENOMEM;
		goto out;
	}
	if (copy_from_user(cmd, u64_to_user_ptr(req.cmd_ptr), req.cmd_len)) {
		ret = -EFAULT;
		goto out;
	}
	ret = secel_check_command(se, cmd, req.cmd_len);
	if (ret)
		goto out;

	ret = secel_io_begin_listed(se);
	if (ret)
		goto out;
	if (!secel_owns_channel(sf, req.channel))
		ret = -ENXIO;
	else
		ret = secel_exchange(se, cmd, req.cmd_len,
				     req.cmd_len + SECEL_CMD_SLACK, req.channel,
				     req.flags, rsp, SECEL_RESP_MAX, &rsp_len);
	secel_io_end(se);
	if (ret)
		goto out;

	ret = secel_put_response(rsp, rsp_len, req.rsp_ptr, &req.rsp_len);
	if (ret != -EFAULT && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
out:
	kvfree(rsp);
	kvfree(cmd);
	return ret;
}

/* MANAGE CHANNEL open on the basic channel; return the channel or errno. */
static int secel_manage_channel_open(struct secel_se *se, u8 *rsp,
				     size_t rsp_size)
{
	static const u8 open_cmd[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	size_t len;
	int ret;
	u16 sw;

	ret = secel_xfer(se, open_cmd, sizeof(open_cmd), rsp, rsp_size, &len);
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
	size_t cmd_len, rsp_len = 0;
	u8 *rsp;
	long ret;
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

	rsp = kvmalloc(SECEL_RESP_MAX, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;

	ret = secel_io_begin_listed(se);
	if (ret)
		goto out;
	ch = secel_manage_channel_open(se, rsp, SECEL_RESP_MAX);
	if (ch < 0) {
		ret = ch;
		goto out_end;
	}
	ret = secel_exchange(se, cmd, cmd_len, sizeof(cmd), ch, 0, rsp,
			     SECEL_RESP_MAX, &rsp_len);
	if (ret) {
		/* a card that did not answer SELECT is not asked to close */
		if (ret != -ETIMEDOUT && ret != -ENODEV && ret != -EINTR)
			secel_close_channel_locked(se, ch);
		rsp_len = 0;
		goto out_end;
	}
	sw = secel_sw(rsp, rsp_len);
	if (sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63) {
		se->chan_owner[ch] = sf;
		req.channel = ch;
	} else {
		secel_close_channel_locked(se, ch);
		ret = sw == 0x6a82 ? -ENOENT : -EIO;
	}
out_end:
	secel_io_end(se);
	/* the response, when there is one, also goes back on failure */
	if (rsp_len) {
		long put = secel_put_response(rsp, rsp_len, req.rsp_ptr,
					      &req.rsp_len);

		if (put == -EFAULT || (!ret && put))
			ret = put;
	} else {
		req.rsp_len = 0;
	}
	ch = req.channel;
	if (ret)
		req.channel = 0;
	if (ret != -EFAULT && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	/* a caller that cannot learn its channel does not keep it */
	if (ret && ch > 0)
		secel_forget_channels(sf, ch);
out:
	kvfree(rsp);
	return ret;
}

static long secel_ioc_close_channel(struct secel_file *sf,
				    struct secel_channel_close __user *uarg)
{
	struct secel_se *se = sf->se;
	struct secel_channel_close req;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags)
		return -EINVAL;
	if (!req.channel || req.channel >= SECEL_MAX_CHANNELS)
		return -ENXIO;

	ret = secel_io_begin(se);
	if (ret)
		return ret;
	if (se->chan_owner[req.channel] != sf) {
		ret = -ENXIO;
	} else {
		se->chan_owner[req.channel] = NULL;
		if (READ_ONCE(se->state) == SECEL_STATE_LISTED)
			ret = secel_close_channel_locked(se, req.channel);
	}
	secel_io_end(se);
	return ret;
}

static long secel_ioc_reset(struct secel_se *se, struct secel_reset __user *uarg)
{
	struct secel_reset req;
	u8 atr[SECEL_ATR_MAX];
	struct secel_atr info;
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

	ret = secel_io_begin(se);
	if (ret)
		return ret;
	if (se->powered && se->ops->reset) {
		ret = se->ops->reset(se, warm, atr, SECEL_ATR_MAX,
				     &atr_len);
	} else {
		if (se->powered && se->ops->power_off)
			se->ops->power_off(se);
		ret = se->ops->power_on(se, atr, SECEL_ATR_MAX, &atr_len);
	}
	/* Whatever the outcome, the card has forgotten its channels. */
	secel_drop_channels_locked(se, false);
	se->powered = !ret;
	if (!ret && atr_len > SECEL_ATR_MAX)
		ret = -EPROTO;
	if (!ret) {
		/* the new ATR must pass as the first one did */
		secel_atr_parse(atr, atr_len, &info);
		mutex_lock(&secel_list_lock);
		memcpy(se->atr, atr, atr_len);
		se->atr_len = atr_len;
		se->atr_info = info;
		if (!secel_atr_acceptable(se, &info)) {
			ret = -EPROTO;
			if (se->state == SECEL_STATE_LISTED) {
				WRITE_ONCE(se->state, SECEL_STATE_REJECTED);
				WRITE_ONCE(se->designated, false);
			}
		}
		secel_se_changed(se);
		mutex_unlock(&secel_list_lock);
	}
	secel_io_end(se);
	if (ret)
		return ret;

	memset(&req, 0, sizeof(req));
	req.flags = warm ? SECEL_RESET_WARM : 0;
	req.atr_len = atr_len;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long secel_se_ioctl(struct file *file, unsigned int cmd,
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
	.open = secel_se_open,
	.release = secel_se_release,
	.unlocked_ioctl = secel_se_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};
