// SPDX-License-Identifier: GPL-2.0
/*
 * secel - /dev/secel-ctl, the configurator's node: list the SEs, add,
 * verify, inquire, delete and designate them; set and read the access
 * rules (acl.c)
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "secel-internal.h"

static long secel_ctl_list(struct secel_list __user *uarg)
{
	struct secel_list_entry *entries = NULL;
	struct secel_list req;
	u32 n, room;
	long ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~SECEL_LIST_ALL) || req.reserved[0] ||
	    req.reserved[1])
		return -EINVAL;
	room = min_t(u32, req.count, secel_max_ses);
	if (room) {
		entries = kvcalloc(room, sizeof(*entries), GFP_KERNEL);
		if (!entries)
			return -ENOMEM;
	}

	n = secel_list_fill(entries, room, req.flags);
	if (n && room &&
	    copy_to_user(u64_to_user_ptr(req.entries_ptr), entries,
			 min(n, room) * sizeof(*entries)))
		ret = -EFAULT;
	req.count = n;
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	kvfree(entries);
	return ret;
}

static long secel_ctl_op(unsigned int cmd, struct secel_ctl __user *uarg)
{
	struct secel_se *se = NULL;
	struct secel_ctl req;
	u32 allowed_flags = 0;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (cmd == SECEL_CTL_DESIGNATE)
		allowed_flags = SECEL_DESIGNATE_CLEAR;
	if (req.flags & ~allowed_flags)
		return -EINVAL;
	if (cmd != SECEL_CTL_INQUIRE && !capable(CAP_SYS_ADMIN))
		return -EPERM;

	if (cmd == SECEL_CTL_DESIGNATE && (req.flags & SECEL_DESIGNATE_CLEAR))
		return secel_list_designate(NULL);

	se = secel_se_get_by_index(req.index);
	if (!se)
		return -ENODEV;

	/* nothing has happened yet: a signal restarts the call */
	if (mutex_lock_interruptible(&se->cfg_lock)) {
		ret = -ERESTARTSYS;
		goto out_put;
	}
	switch (cmd) {
	case SECEL_CTL_ADD:
		ret = secel_se_add(se);
		break;
	case SECEL_CTL_VERIFY:
		ret = secel_se_verify(se);
		break;
	case SECEL_CTL_INQUIRE:
		ret = secel_se_inquire(se, capable(CAP_SYS_ADMIN));
		break;
	case SECEL_CTL_DELETE:
		ret = secel_se_delete(se);
		break;
	default:	/* SECEL_CTL_DESIGNATE */
		ret = secel_list_designate(se);
		break;
	}
	mutex_unlock(&se->cfg_lock);

	/* the state after the operation, also when it failed */
	secel_fill_info(se, &req.info);
	if (copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
out_put:
	put_device(&se->dev);
	return ret;
}

static long secel_ctl_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SECEL_IOC_VERSION:
		return secel_ioctl_version(uarg);
	case SECEL_CTL_LIST:
		return secel_ctl_list(uarg);
	case SECEL_CTL_ADD:
	case SECEL_CTL_VERIFY:
	case SECEL_CTL_INQUIRE:
	case SECEL_CTL_DELETE:
	case SECEL_CTL_DESIGNATE:
		return secel_ctl_op(cmd, uarg);
	case SECEL_CTL_ACL_SET:
		return secel_ctl_acl_set(uarg);
	case SECEL_CTL_ACL_GET:
		return secel_ctl_acl_get(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations secel_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = secel_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static struct miscdevice secel_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "secel-ctl",
	.fops = &secel_ctl_fops,
};

/**
 * secel_ctl_init() - create /dev/secel-ctl
 *
 * Return: 0 or a negative errno.
 */
int secel_ctl_init(void)
{
	return misc_register(&secel_ctl_dev);
}

/**
 * secel_ctl_exit() - remove /dev/secel-ctl
 */
void secel_ctl_exit(void)
{
	misc_deregister(&secel_ctl_dev);
}
