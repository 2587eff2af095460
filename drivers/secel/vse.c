// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vse - virtual secure elements served by userspace
 *
 * SECEL_VSE_IOC_NEW on /dev/secel-vse creates an SE and returns an
 * anonymous file: the card.  A program reads each request from it (an
 * APDU, a reset, a power-off) and writes the answer back.  Closing the file
 * unplugs the SE.  A card that does not answer within timeout_ms fails the
 * exchange with -ETIMEDOUT; its late answer is refused with -ESTALE.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/secel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

static unsigned int timeout_ms = 5000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "How long an exchange waits for the card, in ms (10..600000, default 5000)");

/**
 * struct vse_req - one request to the card and its answer
 * @ref: held by the waiting exchange and by a reader copying it out
 * @hdr: the message header the card reads
 * @rsp: the answer's payload, once written
 * @rsp_len: its length
 * @data: the request's payload
 */
struct vse_req {
	struct kref ref;
	struct secel_vse_msg hdr;
	u8 *rsp;
	size_t rsp_len;
	u8 data[];
};

/**
 * struct vse_card - one virtual SE
 * @se: the SE registered with the core
 * @lock: guards everything below
 * @card_wait: the card waits here for a request
 * @host_wait: the exchange waits here for the answer
 * @pending: the request under way, NULL when none
 * @delivered: @pending was read by the card
 * @answered: @pending has its answer
 * @dead: the card file is closing or the SE is unregistering
 * @seq: sequence number of the last request
 * @atr: the ATR given at creation, reported at power-on
 * @atr_len: its length
 */
struct vse_card {
	struct secel_se *se;
	spinlock_t lock;	/* the request under way */
	wait_queue_head_t card_wait;
	wait_queue_head_t host_wait;
	struct vse_req *pending;
	bool delivered;
	bool answered;
	bool dead;
	u32 seq;
	u8 atr[SECEL_ATR_MAX];
	size_t atr_len;
};

static void vse_req_free(struct kref *ref)
{
	struct vse_req *req = container_of(ref, struct vse_req, ref);

	kvfree(req->rsp);
	kvfree(req);
}

static void vse_req_put(struct vse_req *req)
{
	kref_put(&req->ref, vse_req_free);
}

static unsigned long vse_timeout(void)
{
	return msecs_to_jiffies(clamp(READ_ONCE(timeout_ms), 10U, 600000U));
}

/*
 * Send one request to the card and wait for its answer.  The core calls
 * the converter one exchange at a time per SE, so one request is pending
 * at most.
 */
static int vse_exchange(struct vse_card *card, u32 type, u32 flags,
			const u8 *payload, size_t len,
			u8 *rsp, size_t rsp_size, size_t *rsp_len)
{
	struct vse_req *req;
	long left;
	int ret;

	req = kvmalloc(struct_size(req, data, len), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	kref_init(&req->ref);
	req->hdr.type = type;
	req->hdr.len = len;
	req->hdr.flags = flags;
	req->rsp = NULL;
	req->rsp_len = 0;
	memcpy(req->data, payload, len);

	spin_lock(&card->lock);
	if (card->dead) {
		spin_unlock(&card->lock);
		vse_req_put(req);
		return -ENODEV;
	}
	req->hdr.seq = ++card->seq;
	card->pending = req;
	card->delivered = false;
	card->answered = false;
	spin_unlock(&card->lock);
	wake_up_interruptible(&card->card_wait);

	left = wait_event_interruptible_timeout(card->host_wait,
						READ_ONCE(card->answered) ||
						READ_ONCE(card->dead),
						vse_timeout());

	spin_lock(&card->lock);
	/* on a signal the card may have acted already: do not restart */
	if (card->answered)
		ret = 0;
	else if (card->dead)
		ret = -ENODEV;
	else if (left < 0)
		ret = -EINTR;
	else
		ret = -ETIMEDOUT;
	card->pending = NULL;
	spin_unlock(&card->lock);

	if (!ret) {
		*rsp_len = req->rsp_len;
		if (req->rsp_len > rsp_size)
			ret = -EMSGSIZE;
		else
			memcpy(rsp, req->rsp, req->rsp_len);
	}
	vse_req_put(req);
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
	int ret;

	ret = vse_exchange(card, SECEL_VSE_MSG_RESET,
			   warm ? SECEL_RESET_WARM : 0, NULL, 0,
			   atr, atr_size, atr_len);
	return ret == -EMSGSIZE ? -EPROTO : ret;
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

static void vse_kill(struct vse_card *card)
{
	spin_lock(&card->lock);
	card->dead = true;
	spin_unlock(&card->lock);
	wake_up_interruptible_all(&card->host_wait);
	wake_up_interruptible_all(&card->card_wait);
}

static void vse_abort(struct secel_se *se)
{
	vse_kill(secel_se_priv(se));
}

static const struct secel_ops vse_ops = {
	.power_on = vse_power_on,
	.reset = vse_reset,
	.power_off = vse_power_off,
	.transmit = vse_transmit,
	.abort = vse_abort,
};

/* Take the pending request for the card, with a reference; NULL if none. */
static struct vse_req *vse_take_request(struct vse_card *card)
{
	struct vse_req *req = NULL;

	spin_lock(&card->lock);
	if (card->pending && !card->delivered) {
		req = card->pending;
		kref_get(&req->ref);
		card->delivered = true;
	}
	spin_unlock(&card->lock);
	return req;
}

static void vse_untake_request(struct vse_card *card, struct vse_req *req)
{
	spin_lock(&card->lock);
	if (card->pending == req)
		card->delivered = false;
	spin_unlock(&card->lock);
	vse_req_put(req);
}

static bool vse_has_request(struct vse_card *card)
{
	bool ret;

	spin_lock(&card->lock);
	ret = card->dead || (card->pending && !card->delivered);
	spin_unlock(&card->lock);
	return ret;
}

static ssize_t vse_card_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct vse_card *card = file->private_data;
	struct vse_req *req;
	size_t total;
	int ret;

	for (;;) {
		if (READ_ONCE(card->dead))
			return -ENODEV;
		req = vse_take_request(card);
		if (req)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(card->card_wait,
					       vse_has_request(card));
		if (ret)
			return ret;
	}

	total = sizeof(req->hdr) + req->hdr.len;
	if (count < total) {
		ret = -EMSGSIZE;
	} else if (copy_to_user(buf, &req->hdr, sizeof(req->hdr)) ||
		   copy_to_user(buf + sizeof(req->hdr), req->data,
				req->hdr.len)) {
		ret = -EFAULT;
	} else {
		vse_req_put(req);
		return total;
	}
	vse_untake_request(card, req);
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

static ssize_t vse_card_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct vse_card *card = file->private_data;
	struct secel_vse_msg hdr;
	u8 *payload = NULL;
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
	if (hdr.len) {
		payload = kvmalloc(hdr.len, GFP_KERNEL);
		if (!payload)
			return -ENOMEM;
		if (copy_from_user(payload, buf + sizeof(hdr), hdr.len)) {
			kvfree(payload);
			return -EFAULT;
		}
	}

	spin_lock(&card->lock);
	if (card->dead) {
		ret = -ENODEV;
	} else if (card->pending && card->delivered && !card->answered &&
		   card->pending->hdr.seq == hdr.seq &&
		   card->pending->hdr.type == hdr.type) {
		card->pending->rsp = payload;
		card->pending->rsp_len = hdr.len;
		card->answered = true;
		payload = NULL;
		ret = count;
	} else if (hdr.seq && (s32)(card->seq - hdr.seq) >= 0 &&
		   (!card->pending || card->pending->hdr.seq != hdr.seq)) {
		ret = -ESTALE;	/* an answer to a request given up on */
	} else {
		ret = -EINVAL;
	}
	spin_unlock(&card->lock);
	if (ret > 0)
		wake_up_interruptible(&card->host_wait);
	kvfree(payload);
	return ret;
}

static __poll_t vse_card_poll(struct file *file, poll_table *wait)
{
	struct vse_card *card = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &card->card_wait, wait);
	spin_lock(&card->lock);
	if (card->dead)
		mask = EPOLLHUP | EPOLLERR;
	else if (card->pending && !card->delivered)
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&card->lock);
	return mask;
}

static int vse_card_release(struct inode *inode, struct file *file)
{
	struct vse_card *card = file->private_data;

	/* the card is gone: exchanges under way fail, then unplug */
	vse_kill(card);
	secel_se_unregister(card->se);
	secel_se_put(card->se);
	kfree(card);
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

/* NUL-terminated; secel_se_alloc() checks that the rest are letters. */
static bool vse_prefix_ok(const char *prefix, size_t size)
{
	return strnlen(prefix, size) < size;
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
	int fd, ret, i;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~SECEL_VSE_EXTENDED_LENGTH)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(req.reserved); i++)
		if (req.reserved[i])
			return -EINVAL;
	if (req.pad[0] || req.pad[1] || req.pad[2])
		return -EINVAL;
	if (req.atr_len < 2 || req.atr_len > SECEL_ATR_MAX)
		return -EINVAL;
	if (!vse_prefix_ok(req.name_prefix, sizeof(req.name_prefix)))
		return -EINVAL;
	desc.name_prefix = req.name_prefix[0] ? req.name_prefix : "VSE";
	if (req.flags & SECEL_VSE_EXTENDED_LENGTH) {
		desc.caps = SECEL_CAP_EXTENDED_LENGTH;
		desc.max_cmd = SECEL_APDU_MAX;
		desc.max_rsp = SECEL_RESP_MAX;
	}

	card = kzalloc(sizeof(*card), GFP_KERNEL);
	if (!card)
		return -ENOMEM;
	spin_lock_init(&card->lock);
	init_waitqueue_head(&card->card_wait);
	init_waitqueue_head(&card->host_wait);
	memcpy(card->atr, req.atr, req.atr_len);
	card->atr_len = req.atr_len;

	card->se = secel_se_alloc(vse_ctl_dev.this_device, &vse_ops, &desc,
				  card);
	if (IS_ERR(card->se)) {
		ret = PTR_ERR(card->se);
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
		goto err_unregister;
	}
	/* from here on, the file owns the card: fput() unplugs it */

	req.fd = fd;
	req.index = secel_se_index(card->se);
	if (copy_to_user(uarg, &req, sizeof(req))) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

err_unregister:
	vse_kill(card);
	secel_se_unregister(card->se);
err_fd:
	put_unused_fd(fd);
err_put:
	secel_se_put(card->se);
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
