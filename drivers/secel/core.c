// SPDX-License-Identifier: GPL-2.0
/*
 * secel - secure element subsystem: class, registration, sysfs, uevents
 *
 * A protocol converter reports an SE with secel_se_alloc() and
 * secel_se_register(); the SE gets /dev/secelN and
 * /sys/class/secel/secelN at once, and the configurator (list.c) verifies
 * it before it joins the SE list.  secel_se_unregister() is hot-unplug:
 * it may run while files are open and APDUs are in flight.
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "secel-internal.h"

struct workqueue_struct *secel_wq;

unsigned int secel_max_ses = SECEL_MAX_SES_DEFAULT;
module_param_named(max_ses, secel_max_ses, uint, 0444);
MODULE_PARM_DESC(max_ses, "How many SEs may be registered at once, 16..65536 (default 1024; set at load)");

static DEFINE_IDA(secel_ida);
static dev_t secel_devt;

static const char *const secel_state_names[] = {
	[SECEL_STATE_REPORTED] = "reported",
	[SECEL_STATE_VERIFYING] = "verifying",
	[SECEL_STATE_LISTED] = "listed",
	[SECEL_STATE_REJECTED] = "rejected",
	[SECEL_STATE_DELETED] = "deleted",
};

static const char *secel_state_name(u32 state)
{
	if (state >= ARRAY_SIZE(secel_state_names) || !secel_state_names[state])
		return "unknown";
	return secel_state_names[state];
}

static const char *secel_kind_name(u32 kind)
{
	return kind == SECEL_KIND_VIRTUAL ? "virtual" : "physical";
}

/* sysfs: one value per attribute, documented in sysfs-class-secel */

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct secel_se *se = to_secel_se(dev);

	/* fixed at registration */
	return sysfs_emit(buf, "%s\n", se->name);
}
static DEVICE_ATTR_RO(name);

static ssize_t kind_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  secel_kind_name(to_secel_se(dev)->desc.kind));
}
static DEVICE_ATTR_RO(kind);

static ssize_t transport_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_secel_se(dev)->transport);
}
static DEVICE_ATTR_RO(transport);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  secel_state_name(READ_ONCE(to_secel_se(dev)->state)));
}
static DEVICE_ATTR_RO(state);

static ssize_t designated_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(to_secel_se(dev)->designated) ? 1 : 0);
}
static DEVICE_ATTR_RO(designated);

/*
 * Lowercase hex without separators; -ENODATA when the SE lost it between
 * the attribute's visibility update and this read.
 */
static ssize_t secel_emit_hex(char *buf, const u8 *data, size_t len)
{
	char *end;

	if (!data || !len)
		return -ENODATA;
	/* items are at most 64 KiB; sysfs gives a page */
	len = min_t(size_t, len, (PAGE_SIZE - 2) / 2);
	end = bin2hex(buf, data, len);
	*end++ = '\n';
	return end - buf;
}

static ssize_t atr_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct secel_se *se = to_secel_se(dev);
	ssize_t ret;

	secel_info_lock();
	ret = secel_emit_hex(buf, se->atr, se->atr_len);
	secel_info_unlock();
	return ret;
}
static DEVICE_ATTR_RO(atr);

static ssize_t atr_check_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct secel_se *se = to_secel_se(dev);
	const char *verdict;

	secel_info_lock();
	if (!se->atr_len)
		verdict = NULL;
	else if (se->atr_info.malformed)
		verdict = "malformed";
	else if (se->atr_info.tck_missing)
		verdict = "tck-missing";
	else if (se->atr_info.tck_wrong)
		verdict = "tck-wrong";
	else
		verdict = "ok";
	secel_info_unlock();
	if (!verdict)
		return -ENODATA;
	return sysfs_emit(buf, "%s\n", verdict);
}
static DEVICE_ATTR_RO(atr_check);

static ssize_t protocol_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct secel_se *se = to_secel_se(dev);
	unsigned long protocols;
	ssize_t len = 0;
	unsigned int t;

	secel_info_lock();
	protocols = se->atr_len ? se->atr_info.protocols : 0;
	secel_info_unlock();
	if (!protocols)
		return -ENODATA;
	for_each_set_bit(t, &protocols, 16)
		len += sysfs_emit_at(buf, len, "%sT=%u", len ? " " : "", t);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(protocol);

static ssize_t secel_item_show(struct device *dev, char *buf, int item)
{
	struct secel_se *se = to_secel_se(dev);
	ssize_t ret;

	secel_info_lock();
	ret = secel_emit_hex(buf, se->items[item].data, se->items[item].len);
	secel_info_unlock();
	return ret;
}

static ssize_t cplc_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return secel_item_show(dev, buf, SECEL_ITEM_CPLC);
}
static DEVICE_ATTR_ADMIN_RO(cplc);

static ssize_t iin_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return secel_item_show(dev, buf, SECEL_ITEM_IIN);
}
static DEVICE_ATTR_RO(iin);

static ssize_t cin_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return secel_item_show(dev, buf, SECEL_ITEM_CIN);
}
static DEVICE_ATTR_ADMIN_RO(cin);

static ssize_t card_data_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return secel_item_show(dev, buf, SECEL_ITEM_CARD_DATA);
}
static DEVICE_ATTR_RO(card_data);

static struct attribute *secel_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_kind.attr,
	&dev_attr_transport.attr,
	&dev_attr_state.attr,
	&dev_attr_designated.attr,
	&dev_attr_atr.attr,
	&dev_attr_atr_check.attr,
	&dev_attr_protocol.attr,
	&dev_attr_cplc.attr,
	&dev_attr_iin.attr,
	&dev_attr_cin.attr,
	&dev_attr_card_data.attr,
	NULL
};

/*
 * The attributes of data an SE may lack, and the item each shows
 * (SECEL_ITEM_ATR: an ATR is recorded); bit i of se->sysfs_shown.
 */
static const struct {
	struct attribute *attr;
	u32 item;
} secel_cond_attrs[] = {
	{ &dev_attr_atr.attr, SECEL_ITEM_ATR },
	{ &dev_attr_atr_check.attr, SECEL_ITEM_ATR },
	{ &dev_attr_protocol.attr, SECEL_ITEM_ATR },
	{ &dev_attr_cplc.attr, SECEL_ITEM_CPLC },
	{ &dev_attr_iin.attr, SECEL_ITEM_IIN },
	{ &dev_attr_cin.attr, SECEL_ITEM_CIN },
	{ &dev_attr_card_data.attr, SECEL_ITEM_CARD_DATA },
};

static bool secel_se_has(struct secel_se *se, u32 item)
{
	if (item == SECEL_ITEM_ATR)
		return READ_ONCE(se->atr_len);
	return READ_ONCE(se->items[item].data);
}

/*
 * What the SE does not have is not shown: no ATR before the card was
 * powered, no items it did not give.  cfg_lock serialises the updates.
 */
static umode_t secel_attr_visible(struct kobject *kobj, struct attribute *attr,
				  int n)
{
	struct secel_se *se = to_secel_se(kobj_to_dev(kobj));
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(secel_cond_attrs); i++)
		if (secel_cond_attrs[i].attr == attr)
			return secel_se_has(se, secel_cond_attrs[i].item) ?
			       attr->mode : 0;
	return attr->mode;
}

static const struct attribute_group secel_group = {
	.attrs = secel_attrs,
	.is_visible = secel_attr_visible,
};

static const struct attribute_group *secel_groups[] = {
	&secel_group,
	NULL
};

/**
 * secel_se_update_sysfs() - show the attributes of what the SE has now
 * @se: the SE; caller holds cfg_lock, which also keeps unregistration
 *	from removing the directory meanwhile
 *
 * Only the attributes whose visibility changes are added or removed:
 * sysfs_update_group() would remove and add every file of the group, and
 * a reader of "name" or "state" at that moment would fail.
 */
void secel_se_update_sysfs(struct secel_se *se)
{
	struct kobject *kobj = &se->dev.kobj;
	unsigned int i;
	bool want;

	lockdep_assert_held(&se->cfg_lock);
	if (READ_ONCE(se->unplugged) || !device_is_registered(&se->dev))
		return;
	for (i = 0; i < ARRAY_SIZE(secel_cond_attrs); i++) {
		struct attribute *attr = secel_cond_attrs[i].attr;

		want = secel_se_has(se, secel_cond_attrs[i].item);
		if (want == test_bit(i, &se->sysfs_shown))
			continue;
		if (!want) {
			sysfs_remove_file_from_group(kobj, attr, NULL);
			clear_bit(i, &se->sysfs_shown);
		} else if (!sysfs_add_file_to_group(kobj, attr, NULL)) {
			set_bit(i, &se->sysfs_shown);
		} else {
			dev_dbg(&se->dev, "sysfs attribute %s not added\n",
				attr->name);
		}
	}
}

static int secel_uevent(secel_cb_device *dev, struct kobj_uevent_env *env)
{
	const struct secel_se *se = to_secel_se(dev);
	int ret;

	/* The name is fixed before the device is added. */
	ret = add_uevent_var(env, "SECEL_INDEX=%d", se->index);
	if (!ret)
		ret = add_uevent_var(env, "SECEL_NAME=%s", se->name);
	if (!ret)
		ret = add_uevent_var(env, "SECEL_KIND=%s",
				     secel_kind_name(se->desc.kind));
	if (!ret)
		ret = add_uevent_var(env, "SECEL_TRANSPORT=%s", se->transport);
	if (!ret)
		ret = add_uevent_var(env, "SECEL_STATE=%s",
				     secel_state_name(READ_ONCE(se->state)));
	if (!ret)
		ret = add_uevent_var(env, "SECEL_DESIGNATED=%d",
				     READ_ONCE(se->designated) ? 1 : 0);
	return ret;
}

static void secel_dev_release(struct device *dev)
{
	struct secel_se *se = to_secel_se(dev);
	int i;

	for (i = 0; i <= SECEL_ITEM_LAST; i++)
		kfree(se->items[i].data);
	kvfree(se->cmd_buf);
	kvfree(se->rsp_buf);
	ida_free(&secel_ida, se->index);
	kfree(se);
}

static const struct device_type secel_se_type = {
	.name = "secel",
	.groups = secel_groups,
	.uevent = secel_uevent,
	.release = secel_dev_release,
};

static struct class secel_class = {
	.name = "secel",
};

static bool secel_prefix_valid(const char *prefix)
{
	size_t i, len = prefix ? strlen(prefix) : 0;

	if (!len || len >= SECEL_PREFIX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!secel_ascii_letter(prefix[i]))
			return false;
	return true;
}

/* The transport reaches uevents and sysfs: a plain word. */
static bool secel_transport_valid(const char *transport)
{
	size_t i, len = transport ? strlen(transport) : 0;

	if (!len || len >= SECEL_TRANSPORT_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char c = transport[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool secel_limits_valid(u32 caps, u32 max_cmd, u32 max_rsp)
{
	return max_cmd >= 5 && max_cmd <= SECEL_APDU_MAX &&
	       max_rsp >= 258 && max_rsp <= SECEL_RESP_MAX &&
	       !(caps & ~SECEL_CAP_EXTENDED_LENGTH);
}

/**
 * secel_se_alloc() - allocate an SE for a converter
 * @parent: the converter's device, or NULL
 * @ops: the converter's operations; @ops->power_on and @ops->transmit are
 *	required
 * @desc: name prefix (1-7 ASCII letters), transport (1-15 characters of
 *	a-z, 0-9, '-' and '_'), kind, capabilities and sizes; copied
 * @priv: the converter's data, returned by secel_se_priv()
 *
 * The SE is initialised but invisible until secel_se_register().  Release
 * it with secel_se_put(), after secel_se_unregister() if it was
 * registered.
 *
 * Return: the SE, or an ERR_PTR(): -EINVAL for a bad @desc or @ops,
 * -ENOSPC when every minor is taken, -ENOMEM.
 */
struct secel_se *secel_se_alloc(struct device *parent,
				const struct secel_ops *ops,
				const struct secel_se_desc *desc, void *priv)
{
	struct secel_se *se;
	int index, ret;

	if (!ops || !ops->power_on || !ops->transmit || !desc ||
	    !secel_prefix_valid(desc->name_prefix) ||
	    !secel_transport_valid(desc->transport) ||
	    (desc->kind != SECEL_KIND_PHYSICAL &&
	     desc->kind != SECEL_KIND_VIRTUAL) ||
	    !secel_limits_valid(desc->caps, desc->max_cmd, desc->max_rsp))
		return ERR_PTR(-EINVAL);

	se = kzalloc(sizeof(*se), GFP_KERNEL);
	if (!se)
		return ERR_PTR(-ENOMEM);

	index = ida_alloc_max(&secel_ida, secel_max_ses - 1, GFP_KERNEL);
	if (index < 0) {
		kfree(se);
		return ERR_PTR(index);
	}
	se->index = index;
	se->ops = ops;
	se->priv = priv;
	se->desc = *desc;
	strscpy(se->prefix, desc->name_prefix, sizeof(se->prefix));
	strscpy(se->transport, desc->transport, sizeof(se->transport));
	se->desc.name_prefix = se->prefix;
	se->desc.transport = se->transport;
	se->state = SECEL_STATE_REPORTED;
	init_rwsem(&se->ops_sem);
	mutex_init(&se->cfg_lock);
	mutex_init(&se->io_lock);
	atomic_set(&se->users, 0);
	INIT_WORK(&se->verify_work, secel_verify_work);
	INIT_WORK(&se->close_work, secel_close_work);

	device_initialize(&se->dev);
	se->dev.class = &secel_class;
	se->dev.type = &secel_se_type;
	se->dev.parent = parent;
	se->dev.devt = MKDEV(MAJOR(secel_devt), index);
	cdev_init(&se->cdev, &secel_se_fops);
	se->cdev.owner = THIS_MODULE;

	ret = dev_set_name(&se->dev, "secel%d", index);
	if (ret) {
		put_device(&se->dev);
		return ERR_PTR(ret);
	}
	return se;
}
EXPORT_SYMBOL_GPL(secel_se_alloc);

/**
 * secel_se_set_limits() - change what the converter carries for an SE
 * @se: the SE
 * @caps: SECEL_CAP_* flags, as &struct secel_se_desc's
 * @max_cmd: largest command APDU, 5 to SECEL_APDU_MAX
 * @max_rsp: largest response APDU, 258 to SECEL_RESP_MAX
 *
 * For limits that depend on the card: a converter may call this before
 * secel_se_register(), and from its @power_on and @reset operations (the
 * core holds the SE's exchange lock there, so no exchange sees the limits
 * change under it), and nowhere else.  The core reads the limits afresh
 * for every exchange and every listing; a card powered on again starts
 * from the limits its converter last set.
 *
 * Context: process context; takes the SE list's lock.
 * Return: 0, or -EINVAL for a value out of range or an unknown flag (the
 * limits are then left as they were).
 */
int secel_se_set_limits(struct secel_se *se, u32 caps, u32 max_cmd,
			u32 max_rsp)
{
	if (!secel_limits_valid(caps, max_cmd, max_rsp))
		return -EINVAL;
	secel_info_lock();
	WRITE_ONCE(se->desc.caps, caps);
	WRITE_ONCE(se->desc.max_cmd, max_cmd);
	WRITE_ONCE(se->desc.max_rsp, max_rsp);
	secel_info_unlock();
	return 0;
}
EXPORT_SYMBOL_GPL(secel_se_set_limits);

/*
 * The first half of taking an SE away: out of the list, and exchanges
 * blocked in the converter made to return.
 */
static void secel_se_stop(struct secel_se *se)
{
	secel_list_unpublish(se);
	if (se->ops->abort)
		se->ops->abort(se);
}

/*
 * The second half: wait for the calls into the converter that are still
 * running and make sure no other comes; after this the converter may
 * free what its ops use.
 */
static void secel_se_detach(struct secel_se *se)
{
	down_write(&se->ops_sem);
	se->ops = NULL;
	se->powered = false;
	up_write(&se->ops_sem);

	cancel_work_sync(&se->verify_work);
	/* a close still queued has nobody to talk to: drop its reference */
	if (cancel_work_sync(&se->close_work))
		put_device(&se->dev);
}

/**
 * secel_se_register() - report an SE to the configurator
 * @se: from secel_se_alloc()
 *
 * Makes /dev/secelN and the sysfs directory appear with state "reported"
 * and, when the auto_add parameter is set, queues verification: the SE
 * joins the list once it passes.  The converter must be ready to carry
 * exchanges when it calls this.
 *
 * Return: 0, -ENOMEM, or another negative errno; on failure @se is still
 * to be put, and secel_se_unregister() is not needed (it does nothing).
 */
int secel_se_register(struct secel_se *se)
{
	int ret;

	ret = secel_list_publish(se);
	if (ret)
		goto err_detach;
	ret = cdev_device_add(&se->cdev, &se->dev);
	if (ret) {
		/*
		 * While it was in the list a configurator operation may have
		 * found it and be talking to the card: take the converter
		 * away as unregistration does before the converter frees it.
		 */
		secel_se_stop(se);
		goto err_detach;
	}
	set_bit(SECEL_SE_REGISTERED, &se->flags);
	dev_dbg(&se->dev, "%s reported by %s\n", se->name, se->transport);
	if (READ_ONCE(secel_auto_add))
		queue_work(secel_wq, &se->verify_work);
	return 0;

err_detach:
	secel_se_detach(se);
	return ret;
}
EXPORT_SYMBOL_GPL(secel_se_register);

/**
 * secel_se_unregister() - the SE is gone (hot-unplug)
 * @se: a registered SE
 *
 * Takes the SE out of the list, makes exchanges blocked in the converter
 * return (through @ops->abort), removes /dev/secelN and waits until no call
 * into the converter is running.  Files that are still open keep the
 * memory and fail with -ENODEV from now on; this does not wait for them.
 * After it returns the core never calls the converter for @se again.
 * Calling it again, or for an SE whose registration failed, does nothing.
 */
void secel_se_unregister(struct secel_se *se)
{
	if (!test_and_clear_bit(SECEL_SE_REGISTERED, &se->flags))
		return;
	secel_se_stop(se);
	/* sysfs updates run under cfg_lock and check unplugged */
	mutex_lock(&se->cfg_lock);
	cdev_device_del(&se->cdev, &se->dev);
	mutex_unlock(&se->cfg_lock);
	secel_se_detach(se);

	mutex_lock(&se->io_lock);
	secel_drop_channels_locked(se, false);
	mutex_unlock(&se->io_lock);
	dev_dbg(&se->dev, "%s unplugged\n", se->name);
}
EXPORT_SYMBOL_GPL(secel_se_unregister);

/**
 * secel_se_put() - drop the converter's reference
 * @se: from secel_se_alloc()
 */
void secel_se_put(struct secel_se *se)
{
	if (se)
		put_device(&se->dev);
}
EXPORT_SYMBOL_GPL(secel_se_put);

/**
 * secel_se_priv() - the converter's data
 * @se: the SE
 *
 * Return: the @priv given to secel_se_alloc().
 */
void *secel_se_priv(const struct secel_se *se)
{
	return se->priv;
}
EXPORT_SYMBOL_GPL(secel_se_priv);

/**
 * secel_se_index() - the N of /dev/secelN
 * @se: the SE
 *
 * Return: the index, stable for the life of @se.
 */
int secel_se_index(const struct secel_se *se)
{
	return se->index;
}
EXPORT_SYMBOL_GPL(secel_se_index);

/**
 * secel_se_name() - the reader name, such as "VSE1"
 * @se: a registered SE
 *
 * Return: the name, fixed from registration on.
 */
const char *secel_se_name(const struct secel_se *se)
{
	return se->name;
}
EXPORT_SYMBOL_GPL(secel_se_name);

/**
 * secel_atr_protocols() - the protocols an answer to reset indicates
 * @atr: the ATR
 * @len: its length
 * @protocols: bit n set when T=n is indicated (T=0 alone without TD1)
 *
 * For converters that choose how to talk to the card (a CCID reader at
 * TPDU level carries T=0 and T=1 differently).
 *
 * Return: 0, or -EPROTO when @atr is not a well-formed ATR.
 */
int secel_atr_protocols(const u8 *atr, size_t len, u32 *protocols)
{
	struct secel_atr info;

	if (secel_atr_parse(atr, len, &info) || info.malformed)
		return -EPROTO;
	*protocols = info.protocols;
	return 0;
}
EXPORT_SYMBOL_GPL(secel_atr_protocols);

/**
 * secel_ioctl_version() - answer SECEL_IOC_VERSION
 * @uarg: the user's struct secel_version
 *
 * Every secel node answers SECEL_IOC_VERSION the same way, converters'
 * nodes included.
 *
 * Return: 0 or -EFAULT.
 */
long secel_ioctl_version(void __user *uarg)
{
	struct secel_version ver = { .abi_version = SECEL_ABI_VERSION };

	return copy_to_user(uarg, &ver, sizeof(ver)) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(secel_ioctl_version);

static int __init secel_init(void)
{
	int ret;

	if (secel_max_ses < 16 || secel_max_ses > 65536) {
		pr_err("secel: max_ses=%u is outside 16..65536\n", secel_max_ses);
		return -EINVAL;
	}

	secel_wq = alloc_workqueue("secel", WQ_UNBOUND, 0);
	if (!secel_wq)
		return -ENOMEM;

	ret = class_register(&secel_class);
	if (ret)
		goto err_wq;

	ret = alloc_chrdev_region(&secel_devt, 0, secel_max_ses, "secel");
	if (ret)
		goto err_class;

	ret = secel_ctl_init();
	if (ret)
		goto err_chrdev;
	return 0;

err_chrdev:
	unregister_chrdev_region(secel_devt, secel_max_ses);
err_class:
	class_unregister(&secel_class);
err_wq:
	destroy_workqueue(secel_wq);
	return ret;
}

static void __exit secel_exit(void)
{
	secel_ctl_exit();
	secel_acl_exit();
	unregister_chrdev_region(secel_devt, secel_max_ses);
	class_unregister(&secel_class);
	destroy_workqueue(secel_wq);
	secel_list_exit();
	ida_destroy(&secel_ida);
}

module_init(secel_init);
module_exit(secel_exit);

MODULE_DESCRIPTION("secel: secure element subsystem core and configurator");
MODULE_LICENSE("GPL");
