// SPDX-License-Identifier: GPL-2.0
/*
 * secel - verification and acquisition: the configurator operations that
 * talk to the card
 *
 *   reported --verify--> verifying --pass--> listed --delete--> deleted
 *                                  \--fail--> rejected
 *
 * A reported, rejected or deleted SE can be added again (verified anew).
 * Only a listed SE carries APDUs for userspace.  Each operation runs under
 * the SE's cfg_lock and moves the state only through
 * secel_se_set_state_locked().
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "secel-internal.h"

bool secel_auto_add = true;
module_param_named(auto_add, secel_auto_add, bool, 0644);
MODULE_PARM_DESC(auto_add, "Verify and list an SE as soon as it is reported (default: on)");

bool secel_strict_atr;
module_param_named(strict_atr, secel_strict_atr, bool, 0644);
MODULE_PARM_DESC(strict_atr, "Reject an SE whose ATR has a missing or wrong TCK (default: off, the flaw is recorded)");

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
	ret = secel_exchange_cmd(se, acq->cmd, 6 + aid_len, sizeof(acq->cmd),
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
		ret = secel_exchange_cmd(se, acq->cmd, 5, sizeof(acq->cmd),
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

/* How a probe of the card begins. */
enum secel_probe {
	SECEL_PROBE_VERIFY,	/* keep the card as it is */
	SECEL_PROBE_COLD,	/* power-cycle a card that is on */
	SECEL_PROBE_ACQUIRE,	/* acquisition only (INQUIRE) */
};

/*
 * Talk to the card: power it on when needed, check the ATR, see that it
 * answers a basic command, acquire its information.  Caller holds
 * cfg_lock; this takes ops_sem and io_lock.
 */
static int secel_probe_card(struct secel_se *se, struct secel_acquired *acq,
			    enum secel_probe how)
{
	size_t len;
	int ret;

	down_read(&se->ops_sem);
	if (!se->ops) {
		up_read(&se->ops_sem);
		return -ENODEV;
	}
	mutex_lock(&se->io_lock);

	if (how == SECEL_PROBE_COLD && se->powered)
		secel_power_off_locked(se);
	if (!se->powered) {
		ret = secel_power_on_locked(se, acq->atr, &acq->atr_len);
		if (ret)
			goto out;
	} else {
		secel_info_lock();
		acq->atr_len = se->atr_len;
		memcpy(acq->atr, se->atr, se->atr_len);
		secel_info_unlock();
	}

	secel_atr_parse(acq->atr, acq->atr_len, &acq->atr_info);
	if (!secel_atr_acceptable(se, &acq->atr_info)) {
		ret = -EPROTO;
		goto out;
	}

	if (how != SECEL_PROBE_ACQUIRE) {
		memcpy(acq->cmd, secel_select_default,
		       sizeof(secel_select_default));
		ret = secel_exchange_cmd(se, acq->cmd,
					 sizeof(secel_select_default),
					 sizeof(acq->cmd), acq->rsp,
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
	/*
	 * A card that failed is not trusted with channels: close them on
	 * it while it still answers (it stops being asked at the first
	 * timeout).
	 */
	if (ret && how != SECEL_PROBE_ACQUIRE && ret != -EINTR &&
	    ret != -ENOMEM)
		secel_drop_channels_locked(se, true);
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

/*
 * Keep what a probe learnt: the ATR always (it tells why an SE was
 * rejected), the items as acquired, none for a rejected SE.
 */
static void secel_commit_locked(struct secel_se *se, struct secel_acquired *acq,
				bool passed)
{
	if (acq->atr_len)
		secel_se_set_atr_locked(se, acq->atr, acq->atr_len,
					&acq->atr_info);
	secel_se_set_items_locked(se, passed ? acq->items : NULL);
}

/*
 * Verify the SE and list it, or reject it.  Caller holds cfg_lock.
 * Return: 0 when listed, -ENODEV when it vanished, else the reason.
 */
static int secel_verify_and_add(struct secel_se *se, enum secel_probe how)
{
	struct secel_acquired *acq;
	u32 before;
	int ret;

	acq = kzalloc(sizeof(*acq), GFP_KERNEL);
	if (!acq)
		return -ENOMEM;

	secel_info_lock();
	if (se->unplugged) {
		secel_info_unlock();
		kfree(acq);
		return -ENODEV;
	}
	before = se->state;
	secel_se_set_state_locked(se, SECEL_STATE_VERIFYING);
	secel_info_unlock();

	ret = secel_probe_card(se, acq, how);

	/*
	 * The attributes show what was acquired before the change event
	 * tells udev to look.  The caller gave up or memory ran out: the
	 * card was not judged.
	 */
	if (ret != -EINTR && ret != -ENOMEM) {
		secel_info_lock();
		if (!se->unplugged)
			secel_commit_locked(se, acq, !ret);
		secel_info_unlock();
		secel_se_update_sysfs(se);
	}
	secel_info_lock();
	secel_se_set_state_locked(se, secel_state_after_verify(before, ret));
	secel_info_unlock();

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
		secel_verify_and_add(se, SECEL_PROBE_VERIFY);
	mutex_unlock(&se->cfg_lock);
}

/**
 * secel_se_add() - verify a reported, rejected or deleted SE and list it
 * @se: the SE; caller holds cfg_lock
 *
 * A card that is still on is power-cycled first, so that it starts from
 * its reset state and its ATR is fresh.
 *
 * Return: 0 when listed, -EALREADY when it was, or why it failed.
 */
int secel_se_add(struct secel_se *se)
{
	int ret = secel_state_allows(READ_ONCE(se->state), SECEL_OP_ADD);

	return ret ? ret : secel_verify_and_add(se, SECEL_PROBE_COLD);
}

/**
 * secel_se_verify() - verify a listed SE again; its channels stay open
 *	while it passes
 * @se: the SE; caller holds cfg_lock
 *
 * Return: 0 when it passed, -ENOENT when it is not listed, or why it
 * failed (it is rejected then).
 */
int secel_se_verify(struct secel_se *se)
{
	int ret = secel_state_allows(READ_ONCE(se->state), SECEL_OP_VERIFY);

	return ret ? ret : secel_verify_and_add(se, SECEL_PROBE_VERIFY);
}

/**
 * secel_se_inquire() - acquire a listed SE's information afresh
 * @se: the SE; caller holds cfg_lock
 * @ask: talk to the card (CAP_SYS_ADMIN): INQUIRE selects the ISD on the
 *	basic channel, which changes what is selected there for everyone;
 *	anyone else is told what is known
 *
 * Return: 0, or why the card could not be asked.
 */
int secel_se_inquire(struct secel_se *se, bool ask)
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
	ret = secel_probe_card(se, acq, SECEL_PROBE_ACQUIRE);
	if (!ret) {
		secel_info_lock();
		if (!se->unplugged)
			secel_commit_locked(se, acq, true);
		secel_info_unlock();
		secel_se_update_sysfs(se);
	}
	secel_blobs_free(acq->items);
	kfree(acq);
	return ret;
}

/*
 * Make the exchange in flight, if any, return -ECANCELED rather than wait
 * for it; caller holds ops_sem for reading, not io_lock.
 */
static void secel_cancel_exchange(struct secel_se *se)
{
	if (se->ops && se->ops->cancel)
		se->ops->cancel(se);
}

/**
 * secel_se_delete() - log a listed SE out of the list
 * @se: the SE; caller holds cfg_lock
 *
 * The SE is marked deleted before anything else, so that an exchange
 * waiting for io_lock (behind one in flight) finds it deleted and never
 * reaches the card; the exchange in flight, if any, is cancelled
 * (-ECANCELED, through the converter's @cancel) rather than waited for;
 * then its channels are closed on the card and the card is powered down.
 * Adding it again powers it up.
 *
 * Return: 0, or -ENOENT when it is not listed.
 */
int secel_se_delete(struct secel_se *se)
{
	int ret = secel_state_allows(READ_ONCE(se->state), SECEL_OP_DELETE);

	if (ret)
		return ret;

	/*
	 * Logout takes effect at once: exchanges that already wait for
	 * io_lock check the state when they get it, before the card.
	 */
	secel_info_lock();
	secel_se_set_state_locked(se, SECEL_STATE_DELETED);
	secel_info_unlock();
	down_read(&se->ops_sem);
	secel_cancel_exchange(se);
	mutex_lock(&se->io_lock);
	secel_drop_channels_locked(se, true);
	secel_power_off_locked(se);
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
	return 0;
}

/**
 * secel_se_reset() - reset the card, warm or cold
 * @se: the SE; caller holds cfg_lock
 * @warm: warm reset; else cold
 * @atr_len: the new ATR's length
 *
 * Works in every state; a card that is off, or a converter that cannot
 * reset, is powered on instead.  An exchange in flight is cancelled
 * (-ECANCELED) rather than waited for.  The card forgets its channels.  A listed
 * SE whose new ATR fails the policy is rejected, and what was acquired
 * from it is dropped.
 *
 * Return: 0, -EPROTO for an ATR that fails, or the converter's error.
 */
int secel_se_reset(struct secel_se *se, bool warm, size_t *atr_len)
{
	u8 atr[SECEL_ATR_MAX];
	struct secel_atr info;
	int ret;

	down_read(&se->ops_sem);
	if (!se->ops) {
		up_read(&se->ops_sem);
		return -ENODEV;
	}
	secel_cancel_exchange(se);
	mutex_lock(&se->io_lock);
	*atr_len = 0;
	/* Whatever the outcome, the card forgets its channels. */
	secel_drop_channels_locked(se, false);
	if (se->powered && se->ops->reset) {
		ret = se->ops->reset(se, warm, atr, sizeof(atr), atr_len);
		ret = secel_converter_errno(se, ret);
		if (!ret && (!*atr_len || *atr_len > sizeof(atr)))
			ret = -EPROTO;
		se->powered = !ret;
	} else {
		secel_power_off_locked(se);
		ret = secel_power_on_locked(se, atr, atr_len);
	}
	if (ret)
		goto out;

	/*
	 * Still under io_lock, so that no exchange reaches a card whose new
	 * ATR rejects it.  The attributes first, then one change event for
	 * the ATR and the state.
	 */
	secel_atr_parse(atr, *atr_len, &info);
	if (!secel_atr_acceptable(se, &info))
		ret = -EPROTO;
	secel_info_lock();
	secel_se_set_atr_locked(se, atr, *atr_len, &info);
	if (ret && se->state == SECEL_STATE_LISTED)
		secel_se_set_items_locked(se, NULL);
	secel_info_unlock();
	secel_se_update_sysfs(se);
	secel_info_lock();
	if (ret && se->state == SECEL_STATE_LISTED)
		secel_se_set_state_locked(se, SECEL_STATE_REJECTED);
	else
		secel_se_changed(se);
	secel_info_unlock();
out:
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
	return ret;
}
