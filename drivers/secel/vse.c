// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vse - virtual secure elements served by userspace
 *
 * SECEL_VSE_IOC_NEW on /dev/secel-vse creates an SE and returns an
 * anonymous file: the card.  A program reads each request from it (an
 * APDU, a reset, a power-off) and writes the answer back.  Closing the file
 * unplugs the SE.  A card that does not answer within timeout_ms fails the
 * exchange with -ETIMEDOUT; its late answer is refused with -ESTALE, as is
 * the answer to an APDU the core cancelled (-ECANCELED).  The
 * ABI is <linux/secel_vse.h>; the ioctl returns the SE's name, and only
 * CAP_SYS_ADMIN may give the name prefixes of physical SEs.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/secel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/secel_vse.h>

static unsigned int timeout_ms = 5000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "How long an exchange waits for the card, in ms (10..600000, default 5000)");

/*
 * The life of one exchange, and of the card.  One exchange is under way at
 * most: the core calls the converter one at a time per SE.
 *
 *   IDLE -> PENDING -> DELIVERED -> ANSWERED -> IDLE
 *
 * PENDING and DELIVERED go back to IDLE when the exchange gives up
 * (timeout, signal).  The core's cancel makes an APDU's PENDING or
 * DELIVERED CANCELLED, which the exchange turns into IDLE and -ECANCELED;
 * a card that reads or answers meanwhile finds no request (its answer is
 * refused with -ESTALE).  Unplug (abort, or the card file closing) makes any
 * state DEAD, except that an exchange already ANSWERED still returns its
 * answer: it becomes LAST_ANSWER, then DEAD once the exchange took it.
 */
enum vse_state {
	VSE_IDLE,		/* no exchange under way */
	VSE_PENDING,		/* a request waits for the card to read it */
	VSE_DELIVERED,		/* the card read it; the answer is awaited */
	VSE_ANSWERED,		/* the answer is in, the exchange takes it */
	VSE_CANCELLED,		/* the core cancelled the APDU under way */
	VSE_LAST_ANSWER,	/* ANSWERED, and then the card went away */
	VSE_DEAD,		/* unplugged: everything fails with -ENODEV */
};

/**
 * struct vse_card - one virtual SE
 * @se: the SE registered with the core
 * @lock: guards @state, @seq, @hdr, @cmd, @rsp, @rsp_size, @rsp_len and
 *	@result, and every access to the core's buffers @cmd and @rsp: the
 *	card's read() and write() copy between them and userspace with @lock
 *	held, and an exchange takes @lock before it returns, so no copy
 *	touches the buffers once the core has them back
 * @state: where the exchange (and the card) stands, &enum vse_state;
 *	read without @lock only to decide whether to wait
 * @seq: sequence number of the last request
 * @hdr: the request's header, as the card reads it
 * @cmd: the request's payload (the core's command buffer), @hdr.len bytes
 * @rsp: where the answer goes (the core's response or ATR buffer)
 * @rsp_size: room in @rsp
 * @rsp_len: length of the answer, once ANSWERED
 * @result: the exchange's outcome once ANSWERED: 0, or -EMSGSIZE (-EPROTO
 *	for an ATR) when the answer did not fit @rsp
 * @deadline: jiffies when the exchange under way times out
 * @timer: wakes @host_wait at @deadline; see vse_timer_fn()
 * @card_wait: the card waits here for a request
 * @host_wait: the exchange waits here for the answer
 * @atr: the ATR given at creation, reported at power-on
 * @atr_len: its length
 */
struct vse_card {
	struct secel_se *se;
	struct mutex lock;	/* the exchange under way and its buffers */
	enum vse_state state;
	u32 seq;
	struct secel_vse_msg hdr;
	const u8 *cmd;
	u8 *rsp;
	size_t rsp_size;
	size_t rsp_len;
	int result;
	unsigned long deadline;
	struct timer_list timer;
	wait_queue_head_t card_wait;
	wait_queue_head_t host_wait;
	u8 atr[SECEL_ATR_MAX];
	size_t atr_len;
};

/*
 * Every change of @state is a release, so that vse_timer_fn(), which reads
 * it without the lock, sees the @deadline written before it.
 */
static void vse_set_state(struct vse_card *card, enum vse_state state)
{
	lockdep_assert_held(&card->lock);
	/* release: pairs with the acquire in vse_get_state() */
	smp_store_release(&card->state, state);
}

static enum vse_state vse_get_state(struct vse_card *card)
{
	/* acquire: pairs with the release in vse_set_state() */
	return smp_load_acquire(&card->state);
}

static bool vse_gone(enum vse_state state)
{
	return state == VSE_LAST_ANSWER || state == VSE_DEAD;
}

static bool vse_waiting(enum vse_state state)
{
	return state == VSE_PENDING || state == VSE_DELIVERED;
}

static unsigned long vse_timeout(void)
{
	return msecs_to_jiffies(clamp(READ_ONCE(timeout_ms), 10U, 600000U));
}

/*
 * The timeout costs no timer per exchange.  The card's one timer runs
 * while exchanges do: an exchange arms it only when it is not armed for an
 * earlier time already (timer_reduce(), a compare in the steady state) and
 * never cancels it.  When it fires it wakes an exchange that is past its
 * deadline, re-arms itself for one that is not, and stops when none is
 * under way.  So a card that answers within the timeout costs one timer
 * per timeout period, not one per APDU.
 */
static void vse_timer_fn(struct timer_list *t)
{
	struct vse_card *card = from_timer(card, t, timer);
	unsigned long deadline;

	smp_mb();	/* pairs with vse_exchange()'s */
	if (!vse_waiting(vse_get_state(card)))
		return;
	deadline = READ_ONCE(card->deadline);
	if (time_before(jiffies, deadline))
		mod_timer(&card->timer, deadline);
	else
		wake_up_interruptible(&card->host_wait);
}

static bool vse_settled(struct vse_card *card, unsigned long deadline)
{
	return !vse_waiting(vse_get_state(card)) ||
	       time_after_eq(jiffies, deadline);
}

/*
 * Send one request to the card and wait for its answer.  The card's read()
 * copies the request straight from @cmd, its write() the answer straight
 * into @rsp; both hold @card->lock while they copy.
 */
static int vse_exchange(struct vse_card *card, u32 type, u32 flags,
			const u8 *cmd, size_t cmd_len,
			u8 *rsp, size_t rsp_size, size_t *rsp_len)
{
	unsigned long deadline;
	int ret;

	mutex_lock(&card->lock);
	if (vse_gone(card->state)) {
		mutex_unlock(&card->lock);
		return -ENODEV;
	}
	card->hdr.type = type;
	card->hdr.len = cmd_len;
	card->hdr.seq = ++card->seq;
	card->hdr.flags = flags;
	card->cmd = cmd;
	card->rsp = rsp;
	card->rsp_size = rsp_size;
	card->rsp_len = 0;
	card->result = 0;
	deadline = jiffies + vse_timeout();
	WRITE_ONCE(card->deadline, deadline);
	vse_set_state(card, VSE_PENDING);
	mutex_unlock(&card->lock);

	wake_up_interruptible(&card->card_wait);
	/*
	 * Either the timer sees PENDING when it fires, or this sees it not
	 * armed and arms it; the barrier pairs with vse_timer_fn()'s.
	 */
	smp_mb();
	timer_reduce(&card->timer, deadline);
	ret = wait_event_interruptible(card->host_wait,
				       vse_settled(card, deadline));

	mutex_lock(&card->lock);
	switch (card->state) {
	case VSE_ANSWERED:
	case VSE_LAST_ANSWER:
		/* on a signal the card may have acted already: do not restart */
		*rsp_len = card->rsp_len;
		ret = card->result;
		vse_set_state(card, card->state == VSE_ANSWERED ?
				    VSE_IDLE : VSE_DEAD);
		break;
	case VSE_DEAD:
		ret = -ENODEV;
		break;
	case VSE_CANCELLED:
		ret = -ECANCELED;
		vse_set_state(card, VSE_IDLE);
		break;
	default:
		ret = ret ? -EINTR : -ETIMEDOUT;
		vse_set_state(card, VSE_IDLE);
		break;
	}
	card->cmd = NULL;
	card->rsp = NULL;
	card->rsp_size = 0;
	mutex_unlock(&card->lock);
	return ret;
}

static int vse_power_on(struct secel_se *se, u8 *atr, size_t atr_size,
			size_t *atr_len)
{
	struct vse_card *card = secel_se_priv(se);

	if (card->atr_len > atr_size)
		return -EPROTO;
	memcpy(atr, card->atr, card->atr_len);
	*atr_len = card->atr_len;
	return 0;
}

static int vse_reset(struct secel_se *se, bool warm, u8 *atr, size_t atr_size,
		     size_t *atr_len)
{
	struct vse_card *card = secel_se_priv(se);

	return vse_exchange(card, SECEL_VSE_MSG_RESET,
			    warm ? SECEL_RESET_WARM : 0, NULL, 0,
			    atr, atr_size, atr_len);
}

static void vse_power_off(struct secel_se *se)
{
	struct vse_card *card = secel_se_priv(se);
	size_t len;

	vse_exchange(card, SECEL_VSE_MSG_POWER_OFF, 0, NULL, 0, NULL, 0, &len);
}

static int vse_transmit(struct secel_se *se, const u8 *cmd, size_t cmd_len,
			u8 *rsp, size_t rsp_size, size_t *rsp_len)
{
	return vse_exchange(secel_se_priv(se), SECEL_VSE_MSG_APDU, 0, cmd,
			    cmd_len, rsp, rsp_size, rsp_len);
}

/* Unplug: every exchange, now and later, fails; the card's calls too. */
static void vse_kill(struct vse_card *card)
{
	mutex_lock(&card->lock);
	vse_set_state(card, card->state == VSE_ANSWERED ?
			    VSE_LAST_ANSWER : VSE_DEAD);
	mutex_unlock(&card->lock);
	wake_up_interruptible_all(&card->host_wait);
	wake_up_interruptible_all(&card->card_wait);
}

static void vse_abort(struct secel_se *se)
{
	vse_kill(secel_se_priv(se));
}

/* The core gives up on the APDU under way; the card stays. */
static void vse_cancel(struct secel_se *se)
{
	struct vse_card *card = secel_se_priv(se);
	bool woke = false;

	mutex_lock(&card->lock);
	if (vse_waiting(card->state) &&
	    card->hdr.type == SECEL_VSE_MSG_APDU) {
		vse_set_state(card, VSE_CANCELLED);
		woke = true;
	}
	mutex_unlock(&card->lock);
	if (woke)
		wake_up_interruptible(&card->host_wait);
}

static const struct secel_ops vse_ops = {
	.power_on = vse_power_on,
	.reset = vse_reset,
	.power_off = vse_power_off,
	.transmit = vse_transmit,
	.abort = vse_abort,
	.cancel = vse_cancel,
};

static bool vse_readable(enum vse_state state)
{
	return state == VSE_PENDING || vse_gone(state);
}

/*
 * Lock the card with a request pending for it; -ENODEV once unplugged,
 * -EAGAIN under O_NONBLOCK, -ERESTARTSYS on a signal.
 */
static int vse_lock_pending(struct vse_card *card, bool nonblock)
{
	int ret;

	for (;;) {
		/* nothing happened yet: a restart is harmless */
		if (mutex_lock_interruptible(&card->lock))
			return -ERESTARTSYS;
		if (card->state == VSE_PENDING)
			return 0;
		ret = vse_gone(card->state) ? -ENODEV : -EAGAIN;
		mutex_unlock(&card->lock);
		if (ret != -EAGAIN || nonblock)
			return ret;
		ret = wait_event_interruptible(card->card_wait,
					       vse_readable(vse_get_state(card)));
		if (ret)
			return ret;
	}
}

static ssize_t vse_card_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct vse_card *card = file->private_data;
	size_t total;
	ssize_t ret;

	ret = vse_lock_pending(card, file->f_flags & O_NONBLOCK);
	if (ret)
		return ret;
	/* a failed read leaves the request pending for the next one */
	total = sizeof(card->hdr) + card->hdr.len;
	if (count < total) {
		ret = -EMSGSIZE;
	} else if (copy_to_user(buf, &card->hdr, sizeof(card->hdr)) ||
		   copy_to_user(buf + sizeof(card->hdr), card->cmd,
				card->hdr.len)) {
		ret = -EFAULT;
	} else {
		vse_set_state(card, VSE_DELIVERED);
		ret = total;
	}
	mutex_unlock(&card->lock);
	return ret;
}

static size_t vse_answer_max(u32 type)
{
	switch (type) {
	case SECEL_VSE_MSG_APDU:
		return SECEL_RESP_MAX;
	case SECEL_VSE_MSG_RESET:
		return SECEL_ATR_MAX;
	default:
		return 0;
	}
}

/* Store the card's answer in the exchange's buffer; @card->lock held. */
static ssize_t vse_take_answer(struct vse_card *card,
			       const struct secel_vse_msg *hdr,
			       const char __user *payload, size_t count)
{
	if (hdr->len > card->rsp_size) {
		/* the exchange fails; the card did answer */
		card->result = hdr->type == SECEL_VSE_MSG_RESET ?
			       -EPROTO : -EMSGSIZE;
	} else {
		if (copy_from_user(card->rsp, payload, hdr->len))
			return -EFAULT;
		card->result = 0;
	}
	card->rsp_len = hdr->len;
	vse_set_state(card, VSE_ANSWERED);
	return count;
}

static ssize_t vse_card_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct vse_card *card = file->private_data;
	struct secel_vse_msg hdr;
	size_t min_len;
	ssize_t ret;

	if (count < sizeof(hdr))
		return -EINVAL;
	if (copy_from_user(&hdr, buf, sizeof(hdr)))
		return -EFAULT;
	if (hdr.flags || hdr.len != count - sizeof(hdr) ||
	    hdr.len > vse_answer_max(hdr.type))
		return -EINVAL;
	min_len = hdr.type == SECEL_VSE_MSG_POWER_OFF ? 0 : 2;
	if (hdr.len < min_len)
		return -EINVAL;

	if (mutex_lock_interruptible(&card->lock))
		return -ERESTARTSYS;
	if (vse_gone(card->state)) {
		ret = -ENODEV;
	} else if (card->state != VSE_IDLE && card->state != VSE_CANCELLED &&
		   card->hdr.seq == hdr.seq) {
		/* the request under way; its answer once, after its read */
		if (card->state == VSE_DELIVERED &&
		    card->hdr.type == hdr.type)
			ret = vse_take_answer(card, &hdr, buf + sizeof(hdr),
					      count);
		else
			ret = -EINVAL;
	} else if (hdr.seq && (s32)(card->seq - hdr.seq) >= 0) {
		ret = -ESTALE;	/* an answer to a request given up on */
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&card->lock);
	if (ret > 0)
		wake_up_interruptible(&card->host_wait);
	return ret;
}

static __poll_t vse_card_poll(struct file *file, poll_table *wait)
{
	struct vse_card *card = file->private_data;
	enum vse_state state;

	poll_wait(file, &card->card_wait, wait);
	state = vse_get_state(card);
	if (vse_gone(state))
		return EPOLLHUP | EPOLLERR;
	if (state == VSE_PENDING)
		return EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
	return EPOLLOUT | EPOLLWRNORM;
}

/* Unplug and free; the card file is closing, or was never made. */
static void vse_card_destroy(struct vse_card *card)
{
	/* exchanges under way fail, then the core lets go of the SE */
	vse_kill(card);
	secel_se_unregister(card->se);
	/* no exchange runs now, so the timer does not re-arm itself */
	del_timer_sync(&card->timer);
	secel_se_put(card->se);
	mutex_destroy(&card->lock);
	kfree(card);
}

static int vse_card_release(struct inode *inode, struct file *file)
{
	vse_card_destroy(file->private_data);
	return 0;
}

static const struct file_operations vse_card_fops = {
	.owner = THIS_MODULE,
	.read = vse_card_read,
	.write = vse_card_write,
	.poll = vse_card_poll,
	.release = vse_card_release,
	.llseek = no_llseek,
};

/*
 * The reader-name prefixes of physical SEs.  A virtual SE that took one
 * could take a name (and its udev links, by-name/SIM1) before the real
 * SE's converter registers, so only an administrator may use them: a test
 * rig standing in for a SIM.
 */
static const char * const vse_physical_prefixes[] = { "SIM", "eSE", "SD" };

/*
 * 1 to 7 ASCII letters, NUL-terminated, or empty for the default; the
 * core checks the letters again.  -EINVAL for a malformed prefix, -EPERM
 * for a physical one without CAP_SYS_ADMIN.
 */
static int vse_check_prefix(const char *prefix, size_t size)
{
	size_t i, len = strnlen(prefix, size);

	if (len == size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!((prefix[i] >= 'A' && prefix[i] <= 'Z') ||
		      (prefix[i] >= 'a' && prefix[i] <= 'z')))
			return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(vse_physical_prefixes); i++)
		if (!strcasecmp(prefix, vse_physical_prefixes[i]) &&
		    !capable(CAP_SYS_ADMIN))
			return -EPERM;
	return 0;
}

static struct miscdevice vse_ctl_dev;

static long vse_ioc_new(struct secel_vse_new __user *uarg)
{
	struct secel_se_desc desc = {
		.transport = "vse",
		.kind = SECEL_KIND_VIRTUAL,
		.max_cmd = 4 + 1 + 255 + 1,
		.max_rsp = 256 + 2,
	};
	struct secel_vse_new req;
	struct vse_card *card;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~SECEL_VSE_EXTENDED_LENGTH)
		return -EINVAL;
	if (req.pad[0] || req.pad[1] || req.pad[2])
		return -EINVAL;
	if (req.atr_len < 2 || req.atr_len > SECEL_ATR_MAX)
		return -EINVAL;
	ret = vse_check_prefix(req.name_prefix, sizeof(req.name_prefix));
	if (ret)
		return ret;
	desc.name_prefix = req.name_prefix[0] ? req.name_prefix : "VSE";
	if (req.flags & SECEL_VSE_EXTENDED_LENGTH) {
		desc.caps = SECEL_CAP_EXTENDED_LENGTH;
		desc.max_cmd = SECEL_APDU_MAX;
		desc.max_rsp = SECEL_RESP_MAX;
	}

	card = kzalloc(sizeof(*card), GFP_KERNEL);
	if (!card)
		return -ENOMEM;
	mutex_init(&card->lock);
	timer_setup(&card->timer, vse_timer_fn, 0);
	init_waitqueue_head(&card->card_wait);
	init_waitqueue_head(&card->host_wait);
	memcpy(card->atr, req.atr, req.atr_len);
	card->atr_len = req.atr_len;

	card->se = secel_se_alloc(vse_ctl_dev.this_device, &vse_ops, &desc,
				  card);
	if (IS_ERR(card->se)) {
		ret = PTR_ERR(card->se);
		mutex_destroy(&card->lock);
		kfree(card);
		return ret;
	}

	fd = get_unused_fd_flags(O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put;
	}
	ret = secel_se_register(card->se);
	if (ret)
		goto err_fd;

	file = anon_inode_getfile("[secel-vse]", &vse_card_fops, card,
				  O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		put_unused_fd(fd);
		vse_card_destroy(card);
		return ret;
	}
	/* from here on, the file owns the card: fput() unplugs it */

	req.fd = fd;
	req.index = secel_se_index(card->se);
	/* the name is the core's from registration on, and never changes */
	strscpy_pad(req.name, secel_se_name(card->se), sizeof(req.name));
	if (copy_to_user(uarg, &req, sizeof(req))) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

err_fd:
	put_unused_fd(fd);
err_put:
	/*
	 * A configurator operation may have found the SE while it was
	 * listed and armed the timer; the core calls no operation any
	 * more once registration failed.
	 */
	del_timer_sync(&card->timer);
	secel_se_put(card->se);
	mutex_destroy(&card->lock);
	kfree(card);
	return ret;
}

static long vse_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SECEL_IOC_VERSION:
		return secel_ioctl_version(uarg);
	case SECEL_VSE_IOC_NEW:
		return vse_ioc_new(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vse_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = vse_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static struct miscdevice vse_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "secel-vse",
	.fops = &vse_ctl_fops,
};

module_misc_device(vse_ctl_dev);

MODULE_DESCRIPTION("secel: virtual secure elements served by userspace");
MODULE_LICENSE("GPL");
