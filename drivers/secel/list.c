// SPDX-License-Identifier: GPL-2.0
/*
 * secel - the SE list: which SEs are registered, their names, their states
 * and which one is designated, and what is known of each (ATR, acquired
 * items).  One lock guards all of it; other files reach it only through
 * the functions here.
 *
 * Membership is an xarray indexed by the N of secelN, so finding an SE by
 * index does not scan; names are numbered per prefix from an IDA, so
 * registering does not scan either.  Prefixes are compared without regard
 * to case, so VSE1 and vse1 never coexist.
 */
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "secel-internal.h"

/**
 * struct secel_prefix - the numbering of one name prefix
 * @node: in secel_prefixes
 * @name: the prefix as first registered
 * @ida: numbers in use, from 1
 * @users: registered SEs with this prefix
 */
struct secel_prefix {
	struct list_head node;
	char name[SECEL_PREFIX_LEN];
	struct ida ida;
	unsigned int users;
};

static DEFINE_MUTEX(secel_list_lock);
static DEFINE_XARRAY(secel_ses);
static LIST_HEAD(secel_prefixes);
static struct secel_se *secel_designated;

/**
 * secel_info_lock() - take the lock of the SE list and of what it knows
 *
 * Guards every SE's state, designation, ATR and items, and the list's
 * membership.  Innermost lock of the core: nothing that sleeps for the
 * card runs under it.
 */
void secel_info_lock(void)
{
	mutex_lock(&secel_list_lock);
}

/**
 * secel_info_unlock() - release what secel_info_lock() took
 */
void secel_info_unlock(void)
{
	mutex_unlock(&secel_list_lock);
}

/**
 * secel_info_assert_held() - lockdep check for callers of the _locked
 *	functions
 */
void secel_info_assert_held(void)
{
	lockdep_assert_held(&secel_list_lock);
}

/**
 * secel_list_exit() - free the list's own memory; every SE is gone
 */
void secel_list_exit(void)
{
	struct secel_prefix *p, *tmp;

	list_for_each_entry_safe(p, tmp, &secel_prefixes, node) {
		list_del(&p->node);
		ida_destroy(&p->ida);
		kfree(p);
	}
	WARN_ON(!xa_empty(&secel_ses));
}

static struct secel_prefix *secel_prefix_get(const char *name)
{
	struct secel_prefix *p;

	list_for_each_entry(p, &secel_prefixes, node) {
		if (!strcasecmp(p->name, name)) {
			p->users++;
			return p;
		}
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	strscpy(p->name, name, sizeof(p->name));
	ida_init(&p->ida);
	p->users = 1;
	list_add_tail(&p->node, &secel_prefixes);
	return p;
}

static void secel_prefix_put(struct secel_prefix *p)
{
	if (--p->users)
		return;
	list_del(&p->node);
	ida_destroy(&p->ida);
	kfree(p);
}

/**
 * secel_list_publish() - name an SE and make it findable
 * @se: an SE being registered
 *
 * The name is the prefix and the lowest number that no registered SE with
 * the same prefix (in any case) holds.
 *
 * Return: 0, -ENOMEM, or -EBUSY when the index is taken (a bug).
 */
int secel_list_publish(struct secel_se *se)
{
	struct secel_prefix *p;
	int num, ret;

	mutex_lock(&secel_list_lock);
	p = secel_prefix_get(se->prefix);
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	num = ida_alloc_min(&p->ida, 1, GFP_KERNEL);
	if (num < 0) {
		ret = num;
		goto err_prefix;
	}
	ret = xa_insert(&secel_ses, se->index, se, GFP_KERNEL);
	if (ret)
		goto err_num;
	se->pfx = p;
	se->name_num = num;
	snprintf(se->name, sizeof(se->name), "%s%d", se->prefix, num);
	goto out;

err_num:
	ida_free(&p->ida, num);
err_prefix:
	secel_prefix_put(p);
out:
	mutex_unlock(&secel_list_lock);
	return ret;
}

/**
 * secel_list_unpublish() - first step of unregistration
 * @se: the SE
 *
 * From now on the SE is not in the list, not designated, and raises no
 * change events; the remove event follows with the device.  Its number is
 * free for the next SE of its prefix.  Calling it again does nothing.
 */
void secel_list_unpublish(struct secel_se *se)
{
	mutex_lock(&secel_list_lock);
	if (!se->unplugged && se->pfx) {
		se->unplugged = true;
		if (secel_designated == se)
			secel_designated = NULL;
		WRITE_ONCE(se->designated, false);
		xa_erase(&secel_ses, se->index);
		ida_free(&se->pfx->ida, se->name_num);
		secel_prefix_put(se->pfx);
		se->pfx = NULL;
	}
	se->unplugged = true;
	mutex_unlock(&secel_list_lock);
}

/**
 * secel_se_get_by_index() - find a registered SE and take a reference
 * @index: the N of secelN
 *
 * Return: the SE, to be released with put_device(), or NULL.
 */
struct secel_se *secel_se_get_by_index(u32 index)
{
	struct secel_se *se;

	mutex_lock(&secel_list_lock);
	se = xa_load(&secel_ses, index);
	if (se)
		get_device(&se->dev);
	mutex_unlock(&secel_list_lock);
	return se;
}

/**
 * secel_se_changed() - announce a change of state, designation or ATR
 * @se: the SE; caller holds the list lock
 *
 * The uevent callback reads only what the list lock writes, with
 * READ_ONCE, so the event can be raised under the lock, which keeps it
 * from racing with unregistration.
 */
void secel_se_changed(struct secel_se *se)
{
	lockdep_assert_held(&secel_list_lock);
	if (!se->unplugged && device_is_registered(&se->dev))
		kobject_uevent(&se->dev.kobj, KOBJ_CHANGE);
}

static void secel_set_designated_locked(struct secel_se *se, bool on)
{
	if (se->designated == on)
		return;
	WRITE_ONCE(se->designated, on);
	if (on)
		secel_designated = se;
	else if (secel_designated == se)
		secel_designated = NULL;
	secel_se_changed(se);
}

/**
 * secel_se_set_state_locked() - the one way an SE changes state
 * @se: the SE; caller holds the list lock and, but for unregistration,
 *	the SE's cfg_lock
 * @state: SECEL_STATE_*, a transition secel_state_transition_ok() allows
 *
 * Drops the designation of an SE that leaves the listed state (a
 * re-verification keeps it while it runs) and raises a change event.
 */
void secel_se_set_state_locked(struct secel_se *se, u32 state)
{
	lockdep_assert_held(&secel_list_lock);
	if (se->state == state || se->unplugged)
		return;
	WARN_ONCE(!secel_state_transition_ok(se->state, state),
		  "secel: %s: no transition from state %u to %u\n",
		  se->name, se->state, state);
	if (!secel_state_keeps_designation(state) && se->designated) {
		WRITE_ONCE(se->designated, false);
		secel_designated = NULL;
	}
	WRITE_ONCE(se->state, state);
	secel_se_changed(se);
}

/**
 * secel_list_designate() - make @se the designated SE, or none
 * @se: a listed SE, or NULL to clear the designation
 *
 * Moving the designation raises one event for the SE that loses it, then
 * one for the SE that gets it.
 *
 * Return: 0, or -ENOENT when @se is not listed.
 */
int secel_list_designate(struct secel_se *se)
{
	int ret = 0;

	mutex_lock(&secel_list_lock);
	if (se && (se->unplugged ||
		   secel_state_allows(se->state, SECEL_OP_DESIGNATE))) {
		ret = -ENOENT;
		goto out;
	}
	if (secel_designated && secel_designated != se)
		secel_set_designated_locked(secel_designated, false);
	if (se)
		secel_set_designated_locked(se, true);
out:
	mutex_unlock(&secel_list_lock);
	return ret;
}

/**
 * secel_info_flags() - the SECEL_INFO_* flags of an SE
 * @se: the SE; caller holds the list lock
 *
 * Return: the flags.
 */
u32 secel_info_flags(struct secel_se *se)
{
	u32 flags = 0;

	lockdep_assert_held(&secel_list_lock);
	if (se->designated)
		flags |= SECEL_INFO_DESIGNATED;
	if (se->items[SECEL_ITEM_CPLC].data)
		flags |= SECEL_INFO_HAS_CPLC;
	if (se->items[SECEL_ITEM_IIN].data)
		flags |= SECEL_INFO_HAS_IIN;
	if (se->items[SECEL_ITEM_CIN].data)
		flags |= SECEL_INFO_HAS_CIN;
	if (se->items[SECEL_ITEM_CARD_DATA].data)
		flags |= SECEL_INFO_HAS_CARD_DATA;
	if (se->atr_info.tck_missing)
		flags |= SECEL_INFO_ATR_TCK_MISSING;
	if (se->atr_info.tck_wrong)
		flags |= SECEL_INFO_ATR_TCK_WRONG;
	if (se->atr_info.malformed)
		flags |= SECEL_INFO_ATR_MALFORMED;
	if (READ_ONCE(se->desc.caps) & SECEL_CAP_EXTENDED_LENGTH)
		flags |= SECEL_INFO_EXTENDED_LENGTH;
	return flags;
}

/**
 * secel_fill_info() - describe an SE for userspace
 * @se: the SE
 * @info: zeroed and filled
 */
void secel_fill_info(struct secel_se *se, struct secel_info *info)
{
	memset(info, 0, sizeof(*info));
	mutex_lock(&secel_list_lock);
	info->index = se->index;
	info->kind = se->desc.kind;
	info->state = se->state;
	info->protocols = se->atr_info.protocols;
	info->max_cmd = READ_ONCE(se->desc.max_cmd);
	info->max_rsp = READ_ONCE(se->desc.max_rsp);
	info->atr_len = se->atr_len;
	memcpy(info->atr, se->atr, se->atr_len);
	strscpy(info->name, se->name, sizeof(info->name));
	strscpy(info->transport, se->transport, sizeof(info->transport));
	info->flags = secel_info_flags(se);
	mutex_unlock(&secel_list_lock);
}

/**
 * secel_list_fill() - the SE list for SECEL_CTL_LIST, in index order
 * @entries: room for @room entries, zeroed
 * @room: how many to fill at most
 * @flags: SECEL_LIST_ALL for every registered SE, else listed ones only
 *
 * Return: how many SEs there are, which may exceed @room.
 */
u32 secel_list_fill(struct secel_list_entry *entries, u32 room, u32 flags)
{
	struct secel_se *se;
	unsigned long idx;
	u32 n = 0;

	mutex_lock(&secel_list_lock);
	xa_for_each(&secel_ses, idx, se) {
		struct secel_list_entry *e;

		if (!(flags & SECEL_LIST_ALL) && se->state != SECEL_STATE_LISTED)
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
	return n;
}

/**
 * secel_se_copy_item() - a copy of the ATR or an acquired item
 * @se: the SE
 * @item: SECEL_ITEM_*
 * @copy: set to a kmalloc'ed copy, for the caller to free
 * @len: its length
 *
 * Return: 0, -ENODATA when the SE has no such item, -ENOMEM.
 */
int secel_se_copy_item(struct secel_se *se, u32 item, u8 **copy, size_t *len)
{
	const u8 *data;

	mutex_lock(&secel_list_lock);
	if (item == SECEL_ITEM_ATR) {
		data = se->atr;
		*len = se->atr_len;
	} else {
		data = se->items[item].data;
		*len = data ? se->items[item].len : 0;
	}
	*copy = *len ? kmemdup(data, *len, GFP_KERNEL) : NULL;
	mutex_unlock(&secel_list_lock);
	if (!*len)
		return -ENODATA;
	return *copy ? 0 : -ENOMEM;
}

/**
 * secel_se_set_atr_locked() - record an SE's answer to reset
 * @se: the SE; caller holds the list lock
 * @atr: the ATR, at most SECEL_ATR_MAX bytes
 * @atr_len: its length, not 0
 * @info: its parse
 */
void secel_se_set_atr_locked(struct secel_se *se, const u8 *atr,
			     size_t atr_len, const struct secel_atr *info)
{
	lockdep_assert_held(&secel_list_lock);
	memcpy(se->atr, atr, atr_len);
	se->atr_len = atr_len;
	se->atr_info = *info;
}

/**
 * secel_se_set_items_locked() - replace an SE's acquired items
 * @se: the SE; caller holds the list lock
 * @items: the new items, taken over (emptied), or NULL to drop them all
 */
void secel_se_set_items_locked(struct secel_se *se, struct secel_blob *items)
{
	int i;

	lockdep_assert_held(&secel_list_lock);
	for (i = 0; i <= SECEL_ITEM_LAST; i++) {
		kfree(se->items[i].data);
		se->items[i].data = NULL;
		se->items[i].len = 0;
		if (!items)
			continue;
		se->items[i] = items[i];
		items[i].data = NULL;
		items[i].len = 0;
	}
}
