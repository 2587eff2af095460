// SPDX-License-Identifier: GPL-2.0
/*
 * secel - the SE list and its life cycle, and /dev/secel-ctl
 *
 *   reported --verify--> verifying --pass--> listed --delete--> deleted
 *                                  \--fail--> rejected
 *
 * A reported, rejected or deleted SE can be added again (verified anew).
 * Only a listed SE carries APDUs for userspace; at most one listed SE is
 * designated, the default target of management tools.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "secel-internal.h"

/* GET DATA answers larger than this leave the item absent. */
#define SECEL_VERIFY_RSP	(2 + 1024)

static const u8 secel_select_default[] = { 0x00, 0xa4, 0x04, 0x00, 0x00 };

/* GlobalPlatform issuer security domain AIDs, current and older. */
static const u8 secel_isd_aid[] = {
	0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00
};

static const u8 secel_isd_aid_old[] = { 0xa0, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00 };

static const u16 secel_item_tags[SECEL_ITEM_LAST + 1] = {
	[SECEL_ITEM_CPLC] = 0x9f7f,
	[SECEL_ITEM_IIN] = 0x0042,
	[SECEL_ITEM_CIN] = 0x0045,
	[SECEL_ITEM_CARD_DATA] = 0x0066,
};

/* What one verification learns, committed to the SE only at the end. */
struct secel_acquired {
	u8 atr[SECEL_ATR_MAX];
	size_t atr_len;
	struct secel_atr atr_info;
	struct secel_blob items[SECEL_ITEM_LAST + 1];
	u8 cmd[5 + SECEL_AID_MAX + 3];
	u8 rsp[SECEL_VERIFY_RSP];
};

static void secel_blobs_free(struct secel_blob *items)
{
	int i;

	for (i = 0; i <= SECEL_ITEM_LAST; i++) {
		kfree(items[i].data);
		items[i].data = NULL;
		items[i].len = 0;
	}
}

/* A status word a card that works could give: 6xxx or 9xxx, not 60xx. */
static bool secel_sw_well_formed(u16 sw)
{
	u8 sw1 = sw >> 8;

	return (sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f);
}

static int secel_select_aid(struct secel_se *se, struct secel_acquired *acq,
			    const u8 *aid, size_t aid_len, u16 *sw)
{
	size_t len;
	int ret;

	acq->cmd[0] = 0x00;
	acq->cmd[1] = 0xa4;
	acq->cmd[2] = 0x04;
	acq->cmd[3] = 0x00;
	acq->cmd[4] = aid_len;
	memcpy(acq->cmd + 5, aid, aid_len);
	acq->cmd[5 + aid_len] = 0x00;
	ret = secel_exchange(se, acq->cmd, 6 + aid_len, sizeof(acq->cmd), 0, 0,
			     acq->rsp, sizeof(acq->rsp), &len);
	if (!ret)
		*sw = secel_sw(acq->rsp, len);
	return ret;
}

/*
 * GET DATA for each item on the issuer security domain.  A status word
 * other than 9000, or an answer without the tag, leaves the item absent.
 */
static int secel_acquire_items(struct secel_se *se, struct secel_acquired *acq)
{
	size_t len, vlen;
	const u8 *val;
	int item, ret;
	u16 sw;

	ret = secel_select_aid(se, acq, secel_isd_aid, sizeof(secel_isd_aid),
			       &sw);
	if (!ret && sw == 0x6a82)
		ret = secel_select_aid(se, acq, secel_isd_aid_old,
				       sizeof(secel_isd_aid_old), &sw);
	if (ret)
		return ret;

	for (item = SECEL_ITEM_FIRST_DATA; item <= SECEL_ITEM_LAST; item++) {
		u16 tag = secel_item_tags[item];

		acq->cmd[0] = 0x80;
		acq->cmd[1] = 0xca;
		acq->cmd[2] = tag >> 8;
		acq->cmd[3] = tag & 0xff;
		acq->cmd[4] = 0x00;
		ret = secel_exchange(se, acq->cmd, 5, sizeof(acq->cmd), 0, 0,
				     acq->rsp, sizeof(acq->rsp), &len);
		if (ret == -EPROTO) {
			/* odd or oversized answer: this item stays absent */
			dev_dbg(&se->dev, "GET DATA %04x: bad answer\n", tag);
			continue;
		}
		if (ret)
			return ret;
		if (secel_sw(acq->rsp, len) != 0x9000)
			continue;
		if (secel_tlv_find(acq->rsp, len - 2, tag, &val, &vlen) ||
		    !vlen) {
			dev_dbg(&se->dev, "GET DATA %04x: no tag in answer\n",
				tag);
			continue;
		}
		acq->items[item].data = kmemdup(val, vlen, GFP_KERNEL);
		if (!acq->items[item].data)
			return -ENOMEM;
		acq->items[item].len = vlen;
	}
	return 0;
}

/* Map a transport failure during verification to what userspace sees. */
static int secel_verify_errno(int ret)
{
	switch (ret) {
	case 0:
	case -ENODEV:
	case -ETIMEDOUT:
	case -ENOMEM:
	case -EINTR:
		return ret;
	default:
		return -EPROTO;
	}
}

/*
 * Talk to the card: power it on when needed, check the ATR, see that it
 * answers a basic command, acquire its information.  Caller holds
 * cfg_lock; this takes ops_sem and io_lock.
 */
static int secel_probe_card(struct secel_se *se, struct secel_acquired *acq,
			    bool acquire_only)
{
	size_t len;
	int ret;

	down_read(&se->ops_sem);
	if (!se->ops) {
		up_read(&se->ops_sem);
		return -ENODEV;
	}
	mutex_lock(&se->io_lock);

	if (!se->powered) {
		acq->atr_len = 0;
		ret = se->ops->power_on(se, acq->atr, SECEL_ATR_MAX,
					  &acq->atr_len);
		if (ret)
			goto out;
		if (acq->atr_len > SECEL_ATR_MAX) {
			ret = -EPROTO;
			goto out;
		}
		se->powered = true;
	} else {
		mutex_lock(&secel_list_lock);
		acq->atr_len = se->atr_len;
		memcpy(acq->atr, se->atr, se->atr_len);
		mutex_unlock(&secel_list_lock);
	}

	secel_atr_parse(acq->atr, acq->atr_len, &acq->atr_info);
	if (!secel_atr_acceptable(se, &acq->atr_info)) {
		ret = -EPROTO;
		goto out;
	}

	if (!acquire_only) {
		memcpy(acq->cmd, secel_select_default,
		       sizeof(secel_select_default));
		ret = secel_exchange(se, acq->cmd, sizeof(secel_select_default),
				     sizeof(acq->cmd), 0, 0, acq->rsp,
				     sizeof(acq->rsp), &len);
		if (ret)
			goto out;
		if (!secel_sw_well_formed(secel_sw(acq->rsp, len))) {
			dev_info(&se->dev, "answer to SELECT has status %04x\n",
				 secel_sw(acq->rsp, len));
			ret = -EPROTO;
			goto out;
		}
	}

	ret = secel_acquire_items(se, acq);
out:
	if (ret && !acquire_only)
		secel_drop_channels_locked(se, false);
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
	return secel_verify_errno(ret);
}

/**
 * secel_atr_acceptable() - the verification policy for an ATR
 * @se: the SE, for messages
 * @atr: the ATR's parse
 *
 * A malformed ATR is never accepted; a missing or wrong TCK only when the
 * strict_atr parameter is off (the flaw is recorded either way).
 *
 * Return: true when the ATR passes.
 */
bool secel_atr_acceptable(struct secel_se *se, const struct secel_atr *atr)
{
	if (atr->malformed) {
		dev_info(&se->dev, "malformed ATR\n");
		return false;
	}
	if (READ_ONCE(secel_strict_atr) && (atr->tck_missing || atr->tck_wrong)) {
		dev_info(&se->dev, "ATR TCK %s, rejected by strict_atr\n",
			 atr->tck_missing ? "missing" : "wrong");
		return false;
	}
	return true;
}

static void secel_set_designated_locked(struct secel_se *se, bool on)
{
	if (se->designated == on)
		return;
	WRITE_ONCE(se->designated, on);
	secel_se_changed(se);
}

static void secel_set_state_locked(struct secel_se *se, u32 state)
{
	if (se->state == state)
		return;
	/* re-verification keeps the designation unless it fails */
	if (!secel_state_keeps_designation(state))
		WRITE_ONCE(se->designated, false);
	WRITE_ONCE(se->state, state);
	secel_se_changed(se);
}

/*
 * Keep what a probe learnt: the ATR always (it tells why an SE was
 * rejected), the items as acquired, none for a rejected SE.
 */
static void secel_commit_locked(struct secel_se *se, struct secel_acquired *acq,
				bool passed)
{
	int i;

	if (acq->atr_len) {
		memcpy(se->atr, acq->atr, acq->atr_len);
		se->atr_len = acq->atr_len;
		se->atr_info = acq->atr_info;
	}
	for (i = 0; i <= SECEL_ITEM_LAST; i++) {
		kfree(se->items[i].data);
		se->items[i].data = NULL;
		se->items[i].len = 0;
		if (!passed)
			continue;
		se->items[i] = acq->items[i];
		acq->items[i].data = NULL;
		acq->items[i].len = 0;
	}
}

/*
 * Verify the SE and list it, or reject it.  Caller holds cfg_lock.
 * Return: 0 when listed, -ENODEV when it vanished, else the reason.
 */
static int secel_verify_and_add(struct secel_se *se)
{
	struct secel_acquired *acq;
	u32 before;
	int ret;

	acq = kzalloc(sizeof(*acq), GFP_KERNEL);
	if (!acq)
		return -ENOMEM;

	mutex_lock(&secel_list_lock);
	if (se->unplugged) {
		mutex_unlock(&secel_list_lock);
		kfree(acq);
		return -ENODEV;
	}
	before = se->state;
	secel_set_state_locked(se, SECEL_STATE_VERIFYING);
	mutex_unlock(&secel_list_lock);

	ret = secel_probe_card(se, acq, false);

	mutex_lock(&secel_list_lock);
	if (!se->unplugged) {
		/* the caller gave up or memory ran out: the card was not judged */
		if (ret != -EINTR && ret != -ENOMEM)
			secel_commit_locked(se, acq, !ret);
		secel_set_state_locked(se, secel_state_after_verify(before, ret));
	}
	mutex_unlock(&secel_list_lock);

	if (ret && ret != -ENODEV && ret != -EINTR && ret != -ENOMEM)
		dev_info(&se->dev, "%s rejected: %pe\n", se->name, ERR_PTR(ret));
	secel_blobs_free(acq->items);
	kfree(acq);
	return ret;
}

/**
 * secel_verify_work() - verification queued when an SE is reported
 * @work: the SE's verify_work
 */
void secel_verify_work(struct work_struct *work)
{
	struct secel_se *se = container_of(work, struct secel_se, verify_work);

	mutex_lock(&se->cfg_lock);
	if (!secel_state_allows(READ_ONCE(se->state), SECEL_OP_AUTO))
		secel_verify_and_add(se);
	mutex_unlock(&se->cfg_lock);
}

/**
 * secel_list_unpublish() - first step of unregistration
 * @se: the SE
 *
 * From now on the SE is not in the list, not designated, and raises no
 * change events; the remove event follows with the device.
 */
void secel_list_unpublish(struct secel_se *se)
{
	mutex_lock(&secel_list_lock);
	se->unplugged = true;
	WRITE_ONCE(se->designated, false);
	list_del_init(&se->node);
	mutex_unlock(&secel_list_lock);
}

static int secel_ctl_add(struct secel_se *se)
{
	int ret = secel_state_allows(READ_ONCE(se->state), SECEL_OP_ADD);

	return ret ? ret : secel_verify_and_add(se);
}

static int secel_ctl_verify(struct secel_se *se)
{
	int ret = secel_state_allows(READ_ONCE(se->state), SECEL_OP_VERIFY);

	return ret ? ret : secel_verify_and_add(se);
}

/*
 * INQUIRE selects the ISD on the basic channel, which changes what is
 * selected there for everyone: only CAP_SYS_ADMIN (@ask) gets the card
 * asked; anyone else is told what is known.
 */
static int secel_ctl_inquire(struct secel_se *se, bool ask)
{
	struct secel_acquired *acq;
	int ret;

	ret = secel_state_allows(READ_ONCE(se->state), SECEL_OP_INQUIRE);
	if (ret == SECEL_OP_SKIP || (!ret && !ask))
		return 0;	/* not asking: report what is known */
	if (ret)
		return ret;

	acq = kzalloc(sizeof(*acq), GFP_KERNEL);
	if (!acq)
		return -ENOMEM;
	ret = secel_probe_card(se, acq, true);
	if (!ret) {
		mutex_lock(&secel_list_lock);
		if (!se->unplugged)
			secel_commit_locked(se, acq, true);
		mutex_unlock(&secel_list_lock);
	}
	secel_blobs_free(acq->items);
	kfree(acq);
	return ret;
}

static int secel_ctl_delete(struct secel_se *se)
{
	int ret = secel_state_allows(READ_ONCE(se->state), SECEL_OP_DELETE);

	if (ret)
		return ret;

	/*
	 * Log out: close the channels on the card while it still answers,
	 * then power it down; adding it again powers it up.
	 */
	down_read(&se->ops_sem);
	mutex_lock(&se->io_lock);
	secel_drop_channels_locked(se, true);
	if (se->ops && se->powered && se->ops->power_off)
		se->ops->power_off(se);
	se->powered = false;
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);

	mutex_lock(&secel_list_lock);
	if (!se->unplugged)
		secel_set_state_locked(se, SECEL_STATE_DELETED);
	mutex_unlock(&secel_list_lock);
	return 0;
}

static int secel_ctl_designate(struct secel_se *se)
{
	struct secel_se *other;
	int ret = 0;

	mutex_lock(&secel_list_lock);
	if (se && (se->unplugged ||
		   secel_state_allows(se->state, SECEL_OP_DESIGNATE))) {
		ret = -ENOENT;
		goto out;
	}
	list_for_each_entry(other, &secel_list, node)
		if (other != se)
			secel_set_designated_locked(other, false);
	if (se)
		secel_set_designated_locked(se, true);
out:
	mutex_unlock(&secel_list_lock);
	return ret;
}

static long secel_ctl_list(struct secel_list __user *uarg)
{
	struct secel_list_entry *entries = NULL;
	struct secel_list req;
	struct secel_se *se;
	u32 n = 0, room;
	long ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~SECEL_LIST_ALL) || req.reserved[0] ||
	    req.reserved[1])
		return -EINVAL;
	room = min_t(u32, req.count, SECEL_MAX_SES);
	if (room) {
		entries = kcalloc(room, sizeof(*entries), GFP_KERNEL);
		if (!entries)
			return -ENOMEM;
	}

	mutex_lock(&secel_list_lock);
	list_for_each_entry(se, &secel_list, node) {
		struct secel_list_entry *e;

		if (!(req.flags & SECEL_LIST_ALL) &&
		    se->state != SECEL_STATE_LISTED)
			continue;
		if (n < room) {
			e = &entries[n];
			e->index = se->index;
			e->kind = se->desc.kind;
			e->state = se->state;
			e->flags = secel_info_flags(se);
			strscpy(e->name, se->name, sizeof(e->name));
			strscpy(e->transport, se->transport,
				sizeof(e->transport));
		}
		n++;
	}
	mutex_unlock(&secel_list_lock);

	if (n && room &&
	    copy_to_user(u64_to_user_ptr(req.entries_ptr), entries,
			 min(n, room) * sizeof(*entries)))
		ret = -EFAULT;
	req.count = n;
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	kfree(entries);
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
		return secel_ctl_designate(NULL);

	se = secel_se_get_by_index(req.index);
	if (!se)
		return -ENODEV;

	ret = mutex_lock_interruptible(&se->cfg_lock);
	if (ret)
		goto out_put;
	switch (cmd) {
	case SECEL_CTL_ADD:
		ret = secel_ctl_add(se);
		break;
	case SECEL_CTL_VERIFY:
		ret = secel_ctl_verify(se);
		break;
	case SECEL_CTL_INQUIRE:
		ret = secel_ctl_inquire(se, capable(CAP_SYS_ADMIN));
		break;
	case SECEL_CTL_DELETE:
		ret = secel_ctl_delete(se);
		break;
	case SECEL_CTL_DESIGNATE:
		ret = secel_ctl_designate(se);
		break;
	}
	mutex_unlock(&se->cfg_lock);

	/* the state after the operation, also when it failed */
	mutex_lock(&secel_list_lock);
	secel_fill_info(se, &req.info);
	mutex_unlock(&secel_list_lock);
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

int secel_ctl_init(void)
{
	return misc_register(&secel_ctl_dev);
}

void secel_ctl_exit(void)
{
	misc_deregister(&secel_ctl_dev);
}
