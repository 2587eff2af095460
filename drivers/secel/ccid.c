// SPDX-License-Identifier: GPL-2.0
/*
 * secel-ccid - smart cards behind USB CCID readers
 *
 * Binds USB interfaces of the CCID class (0x0B) and a few vendor-specific
 * interfaces that carry a CCID class descriptor.  Each slot with a card
 * in it is one secel SE; the interrupt endpoint's NotifySlotChange reports
 * cards coming and going.  Every exchange is one bulk-out message and its
 * bulk-in answer (USB CCID 1.1, clause 6), one at a time per reader:
 *
 *   transmit -> (T=0 case mapping, or the T=1 block engine, at TPDU
 *               level) -> XfrBlock
 *            -> DataBlock, after any time-extension answers
 *
 * At TPDU level with a T=1 card, each XfrBlock carries one T=1 block and
 * its DataBlock the card's block (CCID 1.1 6.1.4): the core's T=1 engine
 * (t1.c) runs the protocol, chaining and error recovery included, over
 * the small adapter ccid_t1_ops.
 *
 * A cancelled or timed-out exchange is aborted (the ABORT class request,
 * then PC_to_RDR_Abort).  Unplugging the reader poisons its URBs, so that
 * every exchange returns at once, and unregisters its SEs.
 */
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/secel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/usb.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>

static char *kind = "SD";
module_param(kind, charp, 0444);
MODULE_PARM_DESC(kind, "Reader-name prefix of the SEs in CCID readers: SD (default), SIM or eSE");

static unsigned int timeout_ms = 10000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "How long an exchange waits for the reader, in ms, before time extensions (100..600000, default 10000)");

static unsigned int set_parameters = 1;
module_param(set_parameters, uint, 0644);
MODULE_PARM_DESC(set_parameters, "SetParameters after power-on: 0 never, 1 when the reader does not configure the card from its ATR (default), 2 always");

#define CCID_DESC_TYPE		0x21
#define CCID_DESC_LEN		54
#define CCID_HDR_LEN		10
#define CCID_MAX_SLOTS		16
#define CCID_BUF_MAX		(65536 + 10 + CCID_HDR_LEN)
#define CCID_BUF_MIN		(CCID_HDR_LEN + 261 + 2)
#define CCID_ABORT_MS		1000
#define CCID_MAX_TIME_EXT	256

/* PC_to_RDR and RDR_to_PC message types */
#define PC_TO_RDR_ICC_POWER_ON		0x62
#define PC_TO_RDR_ICC_POWER_OFF		0x63
#define PC_TO_RDR_GET_SLOT_STATUS	0x65
#define PC_TO_RDR_SET_PARAMETERS	0x61
#define PC_TO_RDR_XFR_BLOCK		0x6f
#define PC_TO_RDR_ABORT			0x72
#define RDR_TO_PC_DATA_BLOCK		0x80
#define RDR_TO_PC_SLOT_STATUS		0x81
#define RDR_TO_PC_PARAMETERS		0x82
#define RDR_TO_PC_NOTIFY_SLOT_CHANGE	0x50
#define RDR_TO_PC_HARDWARE_ERROR	0x51

#define CCID_REQ_ABORT			0x01

/* dwFeatures */
#define CCID_FEAT_AUTO_PARAMS		0x00000002	/* from the ATR */
#define CCID_FEAT_AUTO_NEGOTIATION	0x00000040	/* its own choice */
#define CCID_FEAT_AUTO_PPS		0x00000080	/* for SetParameters */
#define CCID_FEAT_LEVEL_MASK		0x00070000
#define CCID_FEAT_LEVEL_TPDU		0x00010000
#define CCID_FEAT_LEVEL_SHORT		0x00020000
#define CCID_FEAT_LEVEL_EXTENDED	0x00040000

/* bStatus */
#define CCID_ICC_MASK			0x03
#define CCID_ICC_ABSENT			0x02
#define CCID_CMD_MASK			0xc0
#define CCID_CMD_FAILED			0x40
#define CCID_CMD_TIME_EXT		0x80

/* bError when the command failed */
#define CCID_ERR_CMD_ABORTED		0xff
#define CCID_ERR_ICC_MUTE		0xfe
#define CCID_ERR_XFR_PARITY		0xfd
#define CCID_ERR_XFR_OVERRUN		0xfc
#define CCID_ERR_HW			0xfb
#define CCID_ERR_BAD_ATR_TS		0xf8
#define CCID_ERR_BAD_ATR_TCK		0xf7
#define CCID_ERR_PROTOCOL		0xf6
#define CCID_ERR_CLASS			0xf5
#define CCID_ERR_PROCEDURE_BYTE		0xf4
#define CCID_ERR_BUSY_AUTO_SEQ		0xf2
#define CCID_ERR_SLOT_BUSY		0xe0

/* wLevelParameter of XfrBlock, bChainParameter of DataBlock */
#define CCID_CHAIN_WHOLE		0x00
#define CCID_CHAIN_BEGIN		0x01
#define CCID_CHAIN_END			0x02
#define CCID_CHAIN_MORE			0x03
#define CCID_CHAIN_NEXT			0x10

/* the limits of short APDUs: case 4S, 256 bytes and SW1 SW2 */
#define CCID_SHORT_CMD	(4 + 1 + 255 + 1)
#define CCID_SHORT_RSP	(256 + 2)

enum ccid_level {
	CCID_LEVEL_CHARACTER,
	CCID_LEVEL_TPDU,
	CCID_LEVEL_SHORT,
	CCID_LEVEL_EXTENDED,
};

static const char * const ccid_level_names[] = {
	[CCID_LEVEL_CHARACTER] = "character",
	[CCID_LEVEL_TPDU] = "TPDU",
	[CCID_LEVEL_SHORT] = "short APDU",
	[CCID_LEVEL_EXTENDED] = "extended APDU",
};

struct ccid_reader;

/**
 * struct ccid_slot - one slot of a reader
 * @reader: its reader
 * @index: bSlot
 * @se: the SE of the card in it, NULL when none is registered
 * @gone: the SE is being unregistered: exchanges fail with -ENODEV
 * @t1_only: the card offers T=1 only and the reader wants TPDUs, and
 *	the slot cannot carry it (its parameters were not usable)
 * @t1_on: the card speaks T=1 through @t1 (TPDU level)
 * @t1_resync: an exchange was cancelled mid-way: S(RESYNCH) first
 * @t1: the T=1 link, at TPDU level with a T=1 card
 * @t1_out: the block the engine sends next (its buffer), @t1_out_len long
 * @t1_out_len: its length, 0 once sent
 * @t1_in: the card's block from the last DataBlock
 * @t1_in_len: its length
 * @t1_in_pos: what the engine has read of it
 * @busy: a transmit is under way (under the reader's @lock)
 * @cancel: cancel it: the core's @cancel (under the reader's @lock)
 */
struct ccid_slot {
	struct ccid_reader *reader;
	u8 index;
	struct secel_se *se;
	bool gone;
	bool t1_only;
	bool t1_on;
	bool t1_resync;
	struct secel_t1 t1;
	const u8 *t1_out;
	size_t t1_out_len;
	u8 t1_in[SECEL_T1_ISO_IFS_MAX + 6];
	size_t t1_in_len;
	size_t t1_in_pos;
	bool busy;
	bool cancel;
};

/**
 * struct ccid_reader - one CCID interface
 * @udev: the USB device
 * @intf: the interface bound
 * @level: exchange level from dwFeatures
 * @max_slot: bMaxSlotIndex
 * @voltages: bVoltageSupport
 * @features: dwFeatures
 * @protocols: dwProtocols
 * @clock_khz: dwDefaultClock
 * @max_rate: dwMaxDataRate
 * @max_ifsd: dwMaxIFSD, the largest T=1 information field it takes
 * @max_msg: dwMaxCCIDMessageLength
 * @buf_size: size of @out_buf and @in_buf, @max_msg within bounds
 * @out_max: the longest message sent: @max_msg unless it is too small
 *	to mean anything, and at most @buf_size
 * @io_lock: one exchange at a time: guards @seq, the buffers and the
 *	bulk URBs' submission
 * @cancel_lock: guards @cur; a cancel kills the bulk URBs under it, so
 *	that they are never another slot's
 * @cur: the slot whose command is under way, or NULL
 * @seq: bSeq of the last command
 * @out_buf: the bulk-out message
 * @in_buf: the bulk-in message
 * @out_urb: bulk-out URB, on @out_buf
 * @in_urb: bulk-in URB, on @in_buf
 * @int_urb: interrupt-in URB, on @int_buf
 * @int_buf: NotifySlotChange and HardwareError messages
 * @done: completes when the bulk-out URB under way completes
 * @in_done: completes when the bulk-in URB under way completes
 * @lock: guards @dead, @resetting, the slots' @gone, @busy and @cancel,
 *	and the submission of a bulk URB against their being set, so that a
 *	kill either sees the URB or the submitter sees the flag
 * @dead: the reader is being unbound
 * @resetting: a USB reset of the reader is queued (ccid_lost())
 * @answered: the reader has answered a command since binding
 * @present: bit n: the last word from the reader says slot n has a card
 * @changed: bit n: slot n changed since the work last looked
 * @first_notify: no NotifySlotChange came yet (interrupt handler only)
 * @work: registers and unregisters SEs as @present says
 * @slots_lock: guards the slots' @se, taken by @work and unbind
 * @slots: the slots, bMaxSlotIndex + 1 of them
 */
struct ccid_reader {
	struct usb_device *udev;
	struct usb_interface *intf;
	enum ccid_level level;
	u8 max_slot;
	u8 voltages;
	u32 features;
	u32 protocols;
	u32 clock_khz;
	u32 max_rate;
	u32 max_ifsd;
	u32 max_msg;
	size_t buf_size;
	size_t out_max;
	struct mutex io_lock;	/* one exchange at a time */
	struct mutex cancel_lock;	/* @cur */
	struct ccid_slot *cur;
	u8 seq;
	u8 *out_buf;
	u8 *in_buf;
	struct urb *out_urb;
	struct urb *in_urb;
	struct urb *int_urb;
	u8 *int_buf;
	struct completion done;
	struct completion in_done;
	spinlock_t lock;	/* @dead, @gone and bulk submission */
	bool dead;
	bool resetting;
	bool answered;
	unsigned long present;
	unsigned long changed;
	bool first_notify;
	struct work_struct work;
	struct mutex slots_lock;	/* the slots' SEs */
	struct ccid_slot slots[];
};

static void ccid_bulk_complete(struct urb *urb)
{
	struct ccid_reader *r = urb->context;

	complete(urb == r->in_urb ? &r->in_done : &r->done);
}

/*
 * Submit a bulk URB unless the reader or the slot is going away; the
 * check and the submission are one step under @r->lock.
 */
static int ccid_submit(struct ccid_reader *r, struct ccid_slot *slot,
		       struct urb *urb)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&r->lock, flags);
	if (r->dead || (slot && slot->gone)) {
		ret = -ENODEV;
	} else if (slot && slot->cancel) {
		ret = -ECANCELED;
	} else {
		reinit_completion(urb == r->in_urb ? &r->in_done : &r->done);
		ret = usb_submit_urb(urb, GFP_ATOMIC);
	}
	spin_unlock_irqrestore(&r->lock, flags);
	if (ret == -EPERM || ret == -ENODEV || ret == -ESHUTDOWN)
		ret = -ENODEV;
	return ret;
}

/*
 * Whether the reader still answers on its control pipe.  A bulk URB to a
 * reader that was just pulled fails with a link error (-EPROTO, -EILSEQ,
 * -ETIME on UHCI) before the hub reports the disconnect; a GET_STATUS
 * tells that apart from a transfer error on a reader still there.
 */
static bool ccid_answers(struct ccid_reader *r)
{
	__le16 *status;
	int ret;

	status = kmalloc(sizeof(*status), GFP_KERNEL);
	if (!status)
		return true;
	ret = usb_control_msg(r->udev, usb_rcvctrlpipe(r->udev, 0),
			      USB_REQ_GET_STATUS, USB_DIR_IN | USB_RECIP_DEVICE,
			      0, 0, status, sizeof(*status), CCID_ABORT_MS);
	kfree(status);
	return ret == sizeof(*status);
}

/*
 * Wait for the URB under way; kill it when the wait ends early.  A
 * signal is only noticed when @intr.  A link error from a reader that no
 * longer answers is -ENODEV, as the disconnect that follows will be.
 */
static int ccid_wait(struct ccid_reader *r, struct urb *urb,
		     unsigned long timeout, bool intr)
{
	struct completion *done = urb == r->in_urb ? &r->in_done : &r->done;
	long left;

	if (intr)
		left = wait_for_completion_interruptible_timeout(done, timeout);
	else
		left = wait_for_completion_timeout(done, timeout);
	if (left <= 0) {
		usb_kill_urb(urb);
		if (urb->status == 0)
			return 0;	/* it completed as we gave up */
		return left < 0 ? -EINTR : -ETIMEDOUT;
	}
	switch (urb->status) {
	case 0:
		return 0;
	case -ENOENT:
	case -ECONNRESET:
	case -ESHUTDOWN:
	case -ENODEV:
	case -EPERM:
		return -ENODEV;	/* killed by unbind or card removal */
	case -EPIPE:
		/*
		 * The reader stalled the endpoint: clear the halt, or every
		 * later exchange would fail the same way.  The command is
		 * lost; its caller gets an I/O error.
		 */
		dev_dbg(&r->intf->dev, "endpoint %#x stalled: clearing the halt\n",
			usb_pipeendpoint(urb->pipe));
		usb_clear_halt(r->udev, urb->pipe);
		return -EIO;
	case -EPROTO:
	case -EILSEQ:
	case -ETIME:
		return READ_ONCE(r->dead) || !ccid_answers(r) ?
		       -ENODEV : -EIO;
	default:
		return urb->status;
	}
}

static int ccid_send(struct ccid_reader *r, struct ccid_slot *slot,
		     size_t len)
{
	int ret;

	r->out_urb->transfer_buffer_length = len;
	ret = ccid_submit(r, slot, r->out_urb);
	if (ret)
		return ret;
	ret = ccid_wait(r, r->out_urb, msecs_to_jiffies(CCID_ABORT_MS * 5),
			false);
	if (!ret && r->out_urb->actual_length != len)
		ret = -EIO;
	return ret;
}

/*
 * Receive one bulk-in message; an empty packet (QEMU 7.2) is skipped.
 * @queued: the bulk-in URB is already submitted (by ccid_command()).
 */
static int ccid_recv(struct ccid_reader *r, struct ccid_slot *slot,
		     unsigned long timeout, bool intr, bool queued,
		     size_t *len)
{
	unsigned long deadline = jiffies + timeout;
	int ret;

	do {
		if (!queued) {
			ret = ccid_submit(r, slot, r->in_urb);
			if (ret)
				return ret;
		}
		queued = false;
		ret = ccid_wait(r, r->in_urb, timeout, intr);
		if (ret)
			return ret;
		*len = r->in_urb->actual_length;
		if (*len >= CCID_HDR_LEN)
			return 0;
		if (*len)
			return -EPROTO;
		if (time_after_eq(jiffies, deadline))
			return -ETIMEDOUT;
		timeout = deadline - jiffies;
	} while (1);
}

static void ccid_fill_header(struct ccid_reader *r, u8 type, u8 slot,
			     u32 len, u8 b7, u8 b8, u8 b9)
{
	u8 *h = r->out_buf;

	h[0] = type;
	put_unaligned_le32(len, h + 1);
	h[5] = slot;
	h[6] = ++r->seq;
	h[7] = b7;
	h[8] = b8;
	h[9] = b9;
}

/*
 * Cancel the command with bSeq @seq on @slot (CCID 1.1 5.3.1): the ABORT
 * class request, then PC_to_RDR_Abort with the same bSlot and bSeq, and
 * its SlotStatus.  Readers that stall the request (QEMU) still get the
 * bulk message.  Bounded by timeouts, not by signals: the caller may have
 * one pending.  Returns whether the reader answered the Abort, that is,
 * whether its bulk-in pipe is still in step with ours.
 */
static bool ccid_abort(struct ccid_reader *r, struct ccid_slot *slot, u8 seq)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(CCID_ABORT_MS);
	size_t len;
	u8 *h = r->out_buf;

	usb_control_msg(r->udev, usb_sndctrlpipe(r->udev, 0), CCID_REQ_ABORT,
			USB_DIR_OUT | USB_TYPE_CLASS | USB_RECIP_INTERFACE,
			(seq << 8) | slot->index,
			r->intf->cur_altsetting->desc.bInterfaceNumber,
			NULL, 0, CCID_ABORT_MS);
	h[0] = PC_TO_RDR_ABORT;
	put_unaligned_le32(0, h + 1);
	h[5] = slot->index;
	h[6] = seq;
	h[7] = 0;
	h[8] = 0;
	h[9] = 0;
	if (ccid_send(r, NULL, CCID_HDR_LEN))
		return false;
	/* the cancelled command's answer may come first: skip it */
	while (time_before(jiffies, deadline)) {
		if (ccid_recv(r, NULL, deadline - jiffies, false, false, &len))
			return false;
		if (r->in_buf[0] == RDR_TO_PC_SLOT_STATUS &&
		    r->in_buf[6] == seq)
			return true;
	}
	return false;
}

/* at most one reset a minute, whatever the readers: no reset loop */
static DEFINE_RATELIMIT_STATE(ccid_reset_rs, 60 * HZ, 1);

/*
 * The reader left a command unanswered for timeout_ms, and its Abort
 * too: a CCID reader answers every command, with a failure or time extensions when the card
 * is slow or mute, so its answer was lost and its bulk-in pipe is out of
 * step with the driver (QEMU 7.2 behind xHCI loses answers).  A USB
 * reset of the device starts both sides afresh: the driver is unbound
 * and bound again and the cards are reported and verified anew.  Not
 * for a reader that never answered since binding, and not more than
 * once per binding and once a minute.
 */
static void ccid_lost(struct ccid_reader *r, struct ccid_slot *slot,
		      u8 type)
{
	unsigned long flags;
	bool reset;

	spin_lock_irqsave(&r->lock, flags);
	reset = !r->dead && !r->resetting && r->answered;
	if (reset)
		r->resetting = true;
	spin_unlock_irqrestore(&r->lock, flags);
	if (!reset || !__ratelimit(&ccid_reset_rs)) {
		dev_warn(&r->intf->dev, "slot %u: command %02xh unanswered\n",
			 slot->index, type);
		return;
	}
	dev_warn(&r->intf->dev, "slot %u: command %02xh unanswered: resetting the reader\n",
		 slot->index, type);
	usb_queue_reset_device(r->intf);
}

static int ccid_error_errno(struct ccid_reader *r, u8 status, u8 error)
{
	if ((status & CCID_ICC_MASK) == CCID_ICC_ABSENT)
		return -ENODEV;
	switch (error) {
	case CCID_ERR_ICC_MUTE:
		return -ETIMEDOUT;
	case CCID_ERR_CMD_ABORTED:
		return -ECANCELED;
	case CCID_ERR_SLOT_BUSY:
	case CCID_ERR_BUSY_AUTO_SEQ:
		return -EBUSY;
	case CCID_ERR_BAD_ATR_TS:
	case CCID_ERR_BAD_ATR_TCK:
	case CCID_ERR_PROCEDURE_BYTE:
	case CCID_ERR_XFR_PARITY:
		return -EPROTO;
	case CCID_ERR_PROTOCOL:
		return -EPROTONOSUPPORT;
	case CCID_ERR_CLASS:
		return -EOPNOTSUPP;
	case CCID_ERR_XFR_OVERRUN:
		return -EOVERFLOW;
	case CCID_ERR_HW:
		return -EIO;
	case 0:
		return -EOPNOTSUPP;	/* command not supported */
	default:
		/* 1..127: the reader refused the field at that offset */
		if (error < 0x80)
			return -EINVAL;
		return -EIO;
	}
}

static int ccid_check_answer(struct ccid_reader *r, u8 answer,
			     size_t *in_len);

/* The core cancelled the transmit under way on @slot (ccid_se_cancel()). */
static bool ccid_cancelled(struct ccid_reader *r, struct ccid_slot *slot)
{
	unsigned long flags;
	bool cancel;

	spin_lock_irqsave(&r->lock, flags);
	cancel = slot->cancel;
	spin_unlock_irqrestore(&r->lock, flags);
	return cancel;
}

/*
 * One command: the message in @r->out_buf (header filled by
 * ccid_fill_header()) of @len bytes, and its answer of type @answer in
 * @r->in_buf, *@in_len bytes.  Time extensions re-arm the wait; answers
 * with another bSeq or bSlot are stale (an aborted command's) and
 * skipped.  A signal or timeout aborts the command.
 */
static int ccid_command(struct ccid_reader *r, struct ccid_slot *slot,
			size_t len, u8 answer, size_t *in_len)
{
	unsigned long timeout = msecs_to_jiffies(clamp(READ_ONCE(timeout_ms),
						       100U, 600000U));
	unsigned long wait = timeout;
	unsigned int extensions = 0;
	u8 seq = r->out_buf[6], type = r->out_buf[0];
	u8 *h = r->in_buf;
	bool queued = true;
	int ret;

	lockdep_assert_held(&r->io_lock);
	mutex_lock(&r->cancel_lock);
	r->cur = slot;
	mutex_unlock(&r->cancel_lock);
	/*
	 * The bulk-in URB goes in before the command: the answer then
	 * completes it without waiting for this thread to wake from the
	 * bulk-out completion and submit it (0.2 to 1.7 ms a message in a
	 * TCG guest, by usbmon).
	 */
	ret = ccid_submit(r, slot, r->in_urb);
	if (ret)
		goto out;
	ret = ccid_send(r, slot, len);
	if (ret) {
		usb_kill_urb(r->in_urb);
		if (ccid_cancelled(r, slot)) {
			/* the command may have gone out in part or whole */
			ccid_abort(r, slot, seq);
			ret = -ECANCELED;
		}
		goto out;
	}
	for (;;) {
		ret = ccid_recv(r, slot, wait, true, queued, in_len);
		queued = false;
		if (ret && ccid_cancelled(r, slot)) {
			/* its answer, if it comes, is skipped as stale */
			ccid_abort(r, slot, seq);
			ret = -ECANCELED;
			goto out;
		}
		if (ret == -EINTR || ret == -ETIMEDOUT) {
			/*
			 * A reader that answers the Abort is in step: the
			 * card was slow or the reader late, nothing to reset.
			 */
			if (!ccid_abort(r, slot, seq) && ret == -ETIMEDOUT)
				ccid_lost(r, slot, type);
			goto out;
		}
		if (ret)
			goto out;
		WRITE_ONCE(r->answered, true);
		if (h[6] != seq || h[5] != slot->index) {
			dev_dbg(&r->intf->dev, "slot %u: stale answer (bSeq %u, want %u)\n",
				slot->index, h[6], seq);
			continue;
		}
		if ((h[7] & CCID_CMD_MASK) == CCID_CMD_TIME_EXT &&
		    extensions++ < CCID_MAX_TIME_EXT) {
			/* bError is the multiplier of the waiting time */
			wait = timeout * max_t(u8, h[8], 1);
			continue;
		}
		break;
	}
	ret = ccid_check_answer(r, answer, in_len);
out:
	mutex_lock(&r->cancel_lock);
	r->cur = NULL;
	mutex_unlock(&r->cancel_lock);
	return ret;
}

/* The answer of ccid_command() in @r->in_buf: its errno. */
static int ccid_check_answer(struct ccid_reader *r, u8 answer,
			     size_t *in_len)
{
	const u8 *h = r->in_buf;
	u32 dw;

	if (h[0] != answer)
		return -EPROTO;
	dw = get_unaligned_le32(h + 1);
	if (dw > *in_len - CCID_HDR_LEN)
		return -EPROTO;
	*in_len = CCID_HDR_LEN + dw;
	if ((h[7] & CCID_CMD_MASK) == CCID_CMD_FAILED)
		return ccid_error_errno(r, h[7], h[8]);
	if ((h[7] & CCID_CMD_MASK) != 0)
		return -EPROTO;
	/*
	 * A card pulled with a command under way: QEMU answers it with an
	 * empty DataBlock whose command status is "no error" and whose ICC
	 * status is "no card".  The card is gone, not the answer empty.
	 */
	if (answer == RDR_TO_PC_DATA_BLOCK &&
	    (h[7] & CCID_ICC_MASK) == CCID_ICC_ABSENT)
		return -ENODEV;
	return 0;
}

/*
 * XfrBlock with the wLevelParameter chaining of the APDU levels
 * (CCID 1.1 6.1.4): the command in parts of what one message carries,
 * and the answer in as many DataBlocks as bChainParameter says.
 */
static int ccid_xfr(struct ccid_reader *r, struct ccid_slot *slot,
		    const u8 *cmd, size_t cmd_len, u8 *rsp, size_t rsp_size,
		    size_t *rsp_len)
{
	size_t room = r->out_max - CCID_HDR_LEN, off = 0, part, got;
	bool chain = r->level == CCID_LEVEL_SHORT ||
		     r->level == CCID_LEVEL_EXTENDED;
	u16 level;
	u8 chain_param;
	int ret;

	if (!chain && cmd_len > room)
		return -EMSGSIZE;
	do {
		part = min(cmd_len - off, room);
		if (!chain || (off == 0 && part == cmd_len))
			level = CCID_CHAIN_WHOLE;
		else if (off == 0)
			level = CCID_CHAIN_BEGIN;
		else if (off + part == cmd_len)
			level = CCID_CHAIN_END;
		else
			level = CCID_CHAIN_MORE;
		ccid_fill_header(r, PC_TO_RDR_XFR_BLOCK, slot->index, part, 0,
				 level & 0xff, level >> 8);
		memcpy(r->out_buf + CCID_HDR_LEN, cmd + off, part);
		ret = ccid_command(r, slot, CCID_HDR_LEN + part,
				   RDR_TO_PC_DATA_BLOCK, &got);
		if (ret)
			return ret;
		off += part;
		/* a part that is not the last is answered by an empty block */
	} while (off < cmd_len);

	*rsp_len = 0;
	for (;;) {
		chain_param = chain ? r->in_buf[9] : CCID_CHAIN_WHOLE;
		got -= CCID_HDR_LEN;
		if (*rsp_len + got > rsp_size)
			return -EMSGSIZE;
		memcpy(rsp + *rsp_len, r->in_buf + CCID_HDR_LEN, got);
		*rsp_len += got;
		if (chain_param != CCID_CHAIN_BEGIN &&
		    chain_param != CCID_CHAIN_MORE)
			break;
		/* more of the answer: an empty XfrBlock asks for it */
		ccid_fill_header(r, PC_TO_RDR_XFR_BLOCK, slot->index, 0, 0,
				 CCID_CHAIN_NEXT, 0);
		ret = ccid_command(r, slot, CCID_HDR_LEN, RDR_TO_PC_DATA_BLOCK,
				   &got);
		if (ret)
			return ret;
	}
	return 0;
}

static int ccid_t0_xfer(void *ctx, const u8 *tpdu, size_t len, u8 *rsp,
			size_t rsp_size, size_t *rsp_len)
{
	struct ccid_slot *slot = ctx;

	return ccid_xfr(slot->reader, slot, tpdu, len, rsp, rsp_size,
			rsp_len);
}

/*
 * The T=1 engine's wire at TPDU level: the block it sends waits until it
 * asks for the answer, so that the XfrBlock can carry the waiting time
 * it wants (bBWI, the multiplier of the reader's BWT, for a WTX); the
 * DataBlock's block is then read from the slot's buffer.
 */
static int ccid_t1_send(void *ctx, const u8 *buf, size_t len)
{
	struct ccid_slot *slot = ctx;

	slot->t1_out = buf;
	slot->t1_out_len = len;
	slot->t1_in_len = 0;
	slot->t1_in_pos = 0;
	return 0;
}

static int ccid_t1_recv(void *ctx, u8 *buf, size_t len,
			unsigned int timeout_ms)
{
	struct ccid_slot *slot = ctx;
	struct ccid_reader *r = slot->reader;
	unsigned int bwi, edc;
	size_t got;
	int ret;

	if (slot->t1_out_len) {
		bwi = DIV_ROUND_UP(timeout_ms, slot->t1.cfg.bwt_ms);
		ccid_fill_header(r, PC_TO_RDR_XFR_BLOCK, slot->index,
				 slot->t1_out_len, bwi > 1 ? min(bwi, 255U) : 0,
				 0, 0);
		memcpy(r->out_buf + CCID_HDR_LEN, slot->t1_out,
		       slot->t1_out_len);
		slot->t1_out_len = 0;
		ret = ccid_command(r, slot, CCID_HDR_LEN + get_unaligned_le32(r->out_buf + 1),
				   RDR_TO_PC_DATA_BLOCK, &got);
		if (ret)
			return ret == -EOVERFLOW ? -EPROTO : ret;
		got -= CCID_HDR_LEN;
		/* a block longer than any, or other than its LEN says */
		edc = slot->t1.cfg.edc == SECEL_T1_CRC ? 2 : 1;
		if (got > sizeof(slot->t1_in) ||
		    (got >= 3 && got != 3 + r->in_buf[CCID_HDR_LEN + 2] + edc))
			return -EPROTO;
		memcpy(slot->t1_in, r->in_buf + CCID_HDR_LEN, got);
		slot->t1_in_len = got;
	}
	/* the reader returned less: a block cut short */
	if (len > slot->t1_in_len - slot->t1_in_pos)
		return -ETIMEDOUT;
	memcpy(buf, slot->t1_in + slot->t1_in_pos, len);
	slot->t1_in_pos += len;
	return 0;
}

static const struct secel_t1_ops ccid_t1_ops = {
	.send = ccid_t1_send,
	.recv = ccid_t1_recv,
};

static int ccid_t1_transmit(struct ccid_slot *slot, const u8 *cmd,
			    size_t cmd_len, u8 *rsp, size_t rsp_size,
			    size_t *rsp_len)
{
	int ret;

	if (slot->t1_resync) {
		ret = secel_t1_resync(&slot->t1);
		if (ret)
			return ret;
		slot->t1_resync = false;
	}
	ret = secel_t1_transceive(&slot->t1, cmd, cmd_len, rsp, rsp_size,
				  rsp_len);
	/* cancelled mid-exchange: the link's state is not known */
	if (ret == -ECANCELED || ret == -EINTR)
		slot->t1_resync = true;
	return ret;
}

static int ccid_transmit(struct secel_se *se, const u8 *cmd, size_t cmd_len,
			 u8 *rsp, size_t rsp_size, size_t *rsp_len)
{
	struct ccid_slot *slot = secel_se_priv(se);
	struct ccid_reader *r = slot->reader;
	struct secel_t0_xfer t0 = { .xfer = ccid_t0_xfer, .ctx = slot };
	unsigned long flags;
	int ret;

	if (r->level == CCID_LEVEL_TPDU && slot->t1_only)
		return -EPROTONOSUPPORT;
	spin_lock_irqsave(&r->lock, flags);
	slot->busy = true;
	slot->cancel = false;
	spin_unlock_irqrestore(&r->lock, flags);
	mutex_lock(&r->io_lock);
	if (slot->t1_on)
		ret = ccid_t1_transmit(slot, cmd, cmd_len, rsp, rsp_size,
				       rsp_len);
	else if (r->level == CCID_LEVEL_TPDU)
		ret = secel_t0_transmit(&t0, cmd, cmd_len, rsp, rsp_size,
					rsp_len);
	else
		ret = ccid_xfr(r, slot, cmd, cmd_len, rsp, rsp_size, rsp_len);
	mutex_unlock(&r->io_lock);
	spin_lock_irqsave(&r->lock, flags);
	if (slot->cancel && ret && ret != -ENODEV)
		ret = -ECANCELED;
	slot->busy = false;
	slot->cancel = false;
	spin_unlock_irqrestore(&r->lock, flags);
	return ret;
}

/* bPowerSelect of each bVoltageSupport bit, lowest voltage first */
static const struct {
	u8 support;
	u8 select;
	const char *name;
} ccid_voltages[] = {
	{ 0x04, 0x03, "1.8 V" },
	{ 0x02, 0x02, "3 V" },
	{ 0x01, 0x01, "5 V" },
};

static int ccid_power_on_at(struct ccid_reader *r, struct ccid_slot *slot,
			    u8 select, u8 *atr, size_t atr_size,
			    size_t *atr_len)
{
	size_t got;
	int ret;

	ccid_fill_header(r, PC_TO_RDR_ICC_POWER_ON, slot->index, 0, select,
			 0, 0);
	ret = ccid_command(r, slot, CCID_HDR_LEN, RDR_TO_PC_DATA_BLOCK, &got);
	if (ret)
		return ret;
	got -= CCID_HDR_LEN;
	if (got < 2 || got > atr_size)
		return -EPROTO;
	memcpy(atr, r->in_buf + CCID_HDR_LEN, got);
	*atr_len = got;
	return 0;
}

static void ccid_power_off_locked(struct ccid_reader *r,
				  struct ccid_slot *slot)
{
	size_t got;

	ccid_fill_header(r, PC_TO_RDR_ICC_POWER_OFF, slot->index, 0, 0, 0, 0);
	ccid_command(r, slot, CCID_HDR_LEN, RDR_TO_PC_SLOT_STATUS, &got);
}

/* Whether the reader configures the card itself (CCID 1.1 5.1, dwFeatures) */
static bool ccid_reader_sets_params(struct ccid_reader *r)
{
	return r->features & (CCID_FEAT_AUTO_PARAMS |
			      CCID_FEAT_AUTO_NEGOTIATION);
}

static int ccid_send_params(struct ccid_reader *r, struct ccid_slot *slot,
			    const struct secel_atr_params *p, u8 fi_di)
{
	u8 tcck = p->inverse ? 0x02 : 0x00;
	u8 *d = r->out_buf + CCID_HDR_LEN;
	size_t len = p->protocol ? 7 : 5, got, held = 0;
	int ret;

	/* abProtocolDataStructure, CCID 1.1 6.1.7 */
	d[0] = fi_di;
	d[1] = p->protocol ? 0x10 | tcck | p->crc : tcck;
	d[2] = p->n;
	d[3] = p->protocol ? p->bwi_cwi : p->wi;
	d[4] = p->clock_stop;
	d[5] = p->ifsc;
	d[6] = 0;	/* bNadValue */
	ccid_fill_header(r, PC_TO_RDR_SET_PARAMETERS, slot->index, len,
			 p->protocol, 0, 0);
	ret = ccid_command(r, slot, CCID_HDR_LEN + len, RDR_TO_PC_PARAMETERS,
			   &got);
	/*
	 * RDR_to_PC_Parameters: bProtocolNum and the structure the reader
	 * now holds.  QEMU 7.2 sends the structure with dwLength 0: what
	 * came is shown, up to the length of what was sent.
	 */
	if (!ret) {
		held = got - CCID_HDR_LEN;
		if (!held && r->in_urb->actual_length > CCID_HDR_LEN)
			held = min_t(size_t, len,
				     r->in_urb->actual_length - CCID_HDR_LEN);
	}
	dev_info(&r->intf->dev,
		 "slot %u: SetParameters T=%u Fi/Di %02xh (Fi %u, Di %u) N %u %s %u%s: %d, reader holds T=%u %*ph\n",
		 slot->index, p->protocol, fi_di, secel_fi(fi_di),
		 secel_di(fi_di), p->n, p->protocol ? "IFSC" : "WI",
		 p->protocol ? p->ifsc : p->wi,
		 p->protocol ? (p->crc ? " CRC" : " LRC") : "", ret,
		 r->in_buf[9], (int)held, r->in_buf + CCID_HDR_LEN);
	return ret;
}

/*
 * Tell the reader the card's parameters (PC_to_RDR_SetParameters) unless
 * it takes them from the ATR itself.  Fi/Di: TA1 capped by the reader's
 * clock and data rate when the reader makes the PPS (dwFeatures 80h),
 * the default 11h when nobody does (the card then keeps it); a refusal
 * is tried again with 11h once, then the card is used as it is.
 */
static void ccid_iface_limits(struct ccid_reader *r,
			      struct secel_iface_limits *lim)
{
	*lim = (struct secel_iface_limits) {
		.clock_khz = r->clock_khz,
		.max_rate = r->max_rate,
		.protocols = (r->protocols & 0x3) ?: 0x3,
		.pps = r->features & CCID_FEAT_AUTO_PPS,
	};
}

static void ccid_set_params(struct ccid_reader *r, struct ccid_slot *slot,
			    const u8 *atr, size_t atr_len)
{
	unsigned int mode = READ_ONCE(set_parameters);
	struct secel_iface_limits lim;
	struct secel_atr_params p;
	int ret;

	if (mode == 0 || (mode == 1 && ccid_reader_sets_params(r)))
		return;
	ccid_iface_limits(r, &lim);
	ret = secel_atr_params(atr, atr_len, &lim, &p);
	if (ret) {
		dev_dbg(&r->intf->dev, "slot %u: no SetParameters: %d\n",
			slot->index, ret);
		return;
	}
	if (p.capped)
		dev_info(&r->intf->dev, "slot %u: TA1 %02xh is faster than the reader's %u bit/s: %02xh\n",
			 slot->index, p.ta1, r->max_rate, p.fi_di);
	ret = ccid_send_params(r, slot, &p, p.fi_di);
	/* refused, not unanswered (which ccid_lost() has dealt with) */
	if (ret && ret != -ENODEV && ret != -ETIMEDOUT && ret != -EINTR &&
	    p.fi_di != 0x11)
		ccid_send_params(r, slot, &p, 0x11);
}

/*
 * At TPDU level, the protocol the card speaks (the one SetParameters
 * chose): T=1 through the block engine, with the ATR's IFSC, EDC and
 * waiting times, and the reader's dwMaxIFSD announced with S(IFS) as
 * libccid does; T=0 otherwise.  A T=1 card whose parameters cannot be
 * used, or that the reader does not carry, is left unsupported.
 */
static int ccid_start_link(struct ccid_reader *r, struct ccid_slot *slot,
			   const u8 *atr, size_t atr_len)
{
	struct secel_iface_limits lim;
	struct secel_atr_params p;
	struct secel_t1_config cfg;
	u16 ifsd;
	int ret;

	slot->t1_on = false;
	slot->t1_only = false;
	slot->t1_resync = false;
	secel_t1_destroy(&slot->t1);
	if (r->level != CCID_LEVEL_TPDU)
		return 0;
	ccid_iface_limits(r, &lim);
	ret = secel_atr_params(atr, atr_len, &lim, &p);
	if (ret == -EPROTO || (!ret && p.protocol == 0))
		return 0;	/* T=0, or an ATR verification will judge */
	if (!ret)
		ret = secel_t1_config_from_atr(&p, r->clock_khz, &cfg);
	if (ret) {
		slot->t1_only = true;
		dev_warn(&r->intf->dev,
			 "slot %u: unsupported: the card speaks T=%u and the reader exchanges TPDUs of T=%s only, or its T=1 parameters are not usable (%d)\n",
			 slot->index, p.protocol,
			 (r->protocols & 0x3) == 0x2 ? "1" : "0", ret);
		return 0;
	}
	ret = secel_t1_init(&slot->t1, &cfg, &ccid_t1_ops, slot);
	if (ret)
		return ret;
	slot->t1_on = true;
	ifsd = min_t(u32, r->max_ifsd, SECEL_T1_ISO_IFS_MAX);
	if (ifsd > cfg.ifsd) {
		ret = secel_t1_set_ifsd(&slot->t1, ifsd);
		if (ret == -ENODEV)
			return ret;
		if (ret)
			dev_info(&r->intf->dev, "slot %u: S(IFS) %u: %d, IFSD stays %u\n",
				 slot->index, ifsd, ret, slot->t1.ifsd);
	}
	dev_info(&r->intf->dev,
		 "slot %u: T=1, IFSC %u, IFSD %u, %s, BWT %u ms, CWT %u ms\n",
		 slot->index, slot->t1.ifsc, slot->t1.ifsd,
		 cfg.edc == SECEL_T1_CRC ? "CRC" : "LRC", cfg.bwt_ms,
		 cfg.cwt_ms);
	return 0;
}

/*
 * What the slot carries for this card.  A reader at extended APDU level
 * carries extended-length APDUs, but to a card that speaks T=0 only they
 * would have to go in ENVELOPE commands, which such a card need not know
 * and the reader does not send: short APDUs then.  At TPDU level T=1
 * chains carry extended-length APDUs; T=0 and short APDU level, short
 * APDUs only.
 */
static void ccid_set_limits(struct ccid_reader *r, struct ccid_slot *slot,
			    struct secel_se *se, u32 protocols)
{
	bool ext = slot->t1_on || (r->level == CCID_LEVEL_EXTENDED &&
				   !(protocols && !(protocols & ~BIT(0))));

	dev_dbg(&r->intf->dev, "slot %u: %s APDUs\n", slot->index,
		ext ? "extended-length" : "short");
	if (ext)
		secel_se_set_limits(se, SECEL_CAP_EXTENDED_LENGTH,
				    SECEL_APDU_MAX, SECEL_RESP_MAX);
	else
		secel_se_set_limits(se, 0, CCID_SHORT_CMD, CCID_SHORT_RSP);
}

/*
 * Activate the card at the lowest voltage class the reader offers, then
 * the next ones (ISO/IEC 7816-3 6.2.4: a card that does not answer or
 * refuses its class is tried at the next higher one); automatic selection
 * when the reader offers no class.
 */
static int ccid_power_on(struct secel_se *se, u8 *atr, size_t atr_size,
			 size_t *atr_len)
{
	struct ccid_slot *slot = secel_se_priv(se);
	struct ccid_reader *r = slot->reader;
	u32 protocols;
	int i, ret = -EOPNOTSUPP;
	bool tried = false;

	mutex_lock(&r->io_lock);
	for (i = 0; i < ARRAY_SIZE(ccid_voltages); i++) {
		if (!(r->voltages & ccid_voltages[i].support))
			continue;
		if (tried)
			ccid_power_off_locked(r, slot);
		tried = true;
		ret = ccid_power_on_at(r, slot, ccid_voltages[i].select, atr,
				       atr_size, atr_len);
		dev_dbg(&r->intf->dev, "slot %u: power on at %s: %d\n",
			slot->index, ccid_voltages[i].name, ret);
		if (ret != -ETIMEDOUT && ret != -EOPNOTSUPP)
			break;
	}
	if (!tried)
		ret = ccid_power_on_at(r, slot, 0, atr, atr_size, atr_len);
	if (!ret) {
		ccid_set_params(r, slot, atr, *atr_len);
		ret = ccid_start_link(r, slot, atr, *atr_len);
	}
	mutex_unlock(&r->io_lock);
	if (ret)
		return ret;

	if (secel_atr_protocols(atr, *atr_len, &protocols))
		protocols = 0;
	ccid_set_limits(r, slot, se, protocols);
	return 0;
}

static int ccid_reset(struct secel_se *se, bool warm, u8 *atr,
		      size_t atr_size, size_t *atr_len)
{
	struct ccid_slot *slot = secel_se_priv(se);

	/* CCID has no warm reset: IccPowerOn on a powered card is one */
	if (!warm) {
		mutex_lock(&slot->reader->io_lock);
		ccid_power_off_locked(slot->reader, slot);
		mutex_unlock(&slot->reader->io_lock);
	}
	return ccid_power_on(se, atr, atr_size, atr_len);
}

static void ccid_power_off(struct secel_se *se)
{
	struct ccid_slot *slot = secel_se_priv(se);

	mutex_lock(&slot->reader->io_lock);
	ccid_power_off_locked(slot->reader, slot);
	mutex_unlock(&slot->reader->io_lock);
}

/* The card is going: its exchange under way returns, later ones fail. */
static void ccid_se_abort(struct secel_se *se)
{
	struct ccid_slot *slot = secel_se_priv(se);
	struct ccid_reader *r = slot->reader;
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	slot->gone = true;
	spin_unlock_irqrestore(&r->lock, flags);
	/*
	 * The URBs may carry another slot's exchange; it fails too, and its
	 * caller sees an error.  Rare (a card leaving a multi-slot reader
	 * mid-exchange) and harmless.
	 */
	usb_kill_urb(r->in_urb);
	usb_kill_urb(r->out_urb);
}

/*
 * The core wants the transmit under way on this slot to end now (DELETE
 * or RESET): later submissions for the slot fail, and the bulk URBs are
 * killed when they carry its command; ccid_command() then aborts the
 * command in the reader, and its answer is skipped as stale.
 */
static void ccid_se_cancel(struct secel_se *se)
{
	struct ccid_slot *slot = secel_se_priv(se);
	struct ccid_reader *r = slot->reader;
	unsigned long flags;
	bool busy;

	spin_lock_irqsave(&r->lock, flags);
	busy = slot->busy;
	if (busy)
		slot->cancel = true;
	spin_unlock_irqrestore(&r->lock, flags);
	if (!busy)
		return;
	mutex_lock(&r->cancel_lock);
	if (r->cur == slot) {
		usb_kill_urb(r->in_urb);
		usb_kill_urb(r->out_urb);
	}
	mutex_unlock(&r->cancel_lock);
}

static const struct secel_ops ccid_ops = {
	.power_on = ccid_power_on,
	.reset = ccid_reset,
	.power_off = ccid_power_off,
	.transmit = ccid_transmit,
	.abort = ccid_se_abort,
	.cancel = ccid_se_cancel,
};

static void ccid_slot_remove(struct ccid_slot *slot)
{
	if (!slot->se)
		return;
	secel_se_unregister(slot->se);
	secel_se_put(slot->se);
	slot->se = NULL;
}

static void ccid_slot_add(struct ccid_reader *r, struct ccid_slot *slot)
{
	struct secel_se_desc desc = {
		.name_prefix = kind,
		.transport = "ccid",
		.kind = SECEL_KIND_PHYSICAL,
		.max_cmd = CCID_SHORT_CMD,
		.max_rsp = CCID_SHORT_RSP,
	};
	struct secel_se *se;
	unsigned long flags;
	int ret;

	if (r->level == CCID_LEVEL_EXTENDED) {
		desc.caps = SECEL_CAP_EXTENDED_LENGTH;
		desc.max_cmd = SECEL_APDU_MAX;
		desc.max_rsp = SECEL_RESP_MAX;
	}
	spin_lock_irqsave(&r->lock, flags);
	slot->gone = false;
	spin_unlock_irqrestore(&r->lock, flags);
	se = secel_se_alloc(&r->intf->dev, &ccid_ops, &desc, slot);
	if (IS_ERR(se)) {
		dev_warn(&r->intf->dev, "slot %u: cannot report the card: %ld\n",
			 slot->index, PTR_ERR(se));
		return;
	}
	ret = secel_se_register(se);
	if (ret) {
		dev_warn(&r->intf->dev, "slot %u: cannot report the card: %d\n",
			 slot->index, ret);
		secel_se_put(se);
		return;
	}
	slot->se = se;
	dev_info(&r->intf->dev, "slot %u: card reported as %s\n", slot->index,
		 secel_se_name(se));
}

/* Ask each slot whether it holds a card (at bind; no notification yet). */
static void ccid_scan_slots(struct ccid_reader *r)
{
	size_t got;
	int i;

	mutex_lock(&r->io_lock);
	for (i = 0; i <= r->max_slot; i++) {
		ccid_fill_header(r, PC_TO_RDR_GET_SLOT_STATUS, i, 0, 0, 0, 0);
		if (!ccid_command(r, &r->slots[i], CCID_HDR_LEN,
				  RDR_TO_PC_SLOT_STATUS, &got) &&
		    (r->in_buf[7] & CCID_ICC_MASK) != CCID_ICC_ABSENT)
			set_bit(i, &r->present);
	}
	mutex_unlock(&r->io_lock);
}

/*
 * Make the SEs follow the slots: a card seen leaving (or leaving and
 * coming back between two looks) loses its SE; a card present without
 * an SE gets one.  A card put back gets a new SE, verified anew, which
 * takes the lowest free name of its prefix: the same one when nothing
 * took it meanwhile.
 */
static void ccid_slot_work(struct work_struct *work)
{
	struct ccid_reader *r = container_of(work, struct ccid_reader, work);
	int i;

	mutex_lock(&r->slots_lock);
	for (i = 0; i <= r->max_slot && !READ_ONCE(r->dead); i++) {
		struct ccid_slot *slot = &r->slots[i];
		bool changed = test_and_clear_bit(i, &r->changed);

		if (slot->se && (changed || !test_bit(i, &r->present)))
			ccid_slot_remove(slot);
		if (!slot->se && test_bit(i, &r->present))
			ccid_slot_add(r, slot);
	}
	mutex_unlock(&r->slots_lock);
}

static void ccid_int_complete(struct urb *urb)
{
	struct ccid_reader *r = urb->context;
	u8 *m = r->int_buf;
	int i, ret;

	switch (urb->status) {
	case 0:
		break;
	case -ENOENT:
	case -ECONNRESET:
	case -ESHUTDOWN:
	case -ENODEV:
	case -EPERM:
		return;
	case -EOVERFLOW:
	case -EREMOTEIO:
		/* a malformed message: the next one may be fine */
		dev_dbg(&r->intf->dev, "interrupt endpoint: %d\n", urb->status);
		goto resubmit;
	default:
		/* -EPROTO, -EILSEQ...: the reader is going; no busy loop */
		dev_dbg(&r->intf->dev, "interrupt endpoint: %d: card changes no longer seen\n",
			urb->status);
		return;
	}
	if (urb->actual_length >= 1 && m[0] == RDR_TO_PC_NOTIFY_SLOT_CHANGE) {
		for (i = 0; i <= r->max_slot; i++) {
			size_t byte = 1 + i / 4;
			u8 bits;

			if (byte >= urb->actual_length)
				break;
			bits = m[byte] >> ((i % 4) * 2);
			if (bits & 1)
				set_bit(i, &r->present);
			else
				clear_bit(i, &r->present);
			/*
			 * The first notification tells of the cards found
			 * at bind time as changed: not a re-insertion.
			 */
			if ((bits & 2) && !r->first_notify)
				set_bit(i, &r->changed);
		}
		r->first_notify = false;
		schedule_work(&r->work);
	} else if (urb->actual_length >= 4 &&
		   m[0] == RDR_TO_PC_HARDWARE_ERROR) {
		dev_warn_ratelimited(&r->intf->dev,
				     "slot %u: hardware error %#x\n", m[1],
				     m[3]);
	}
resubmit:
	ret = usb_submit_urb(urb, GFP_ATOMIC);
	if (ret && ret != -EPERM && ret != -ENODEV)
		dev_warn(&r->intf->dev, "interrupt endpoint lost: %d\n", ret);
}

/* The CCID class descriptor: after the interface, or after an endpoint. */
static const u8 *ccid_find_desc(struct usb_host_interface *alt)
{
	u8 *buf = alt->extra;
	int len = alt->extralen, i;

	while (len >= 2 && buf[0] >= 2 && buf[0] <= len) {
		if (buf[0] == CCID_DESC_LEN && buf[1] == CCID_DESC_TYPE)
			return buf;
		len -= buf[0];
		buf += buf[0];
	}
	/* some vendor-class readers put it after their last endpoint */
	for (i = 0; i < alt->desc.bNumEndpoints; i++) {
		if (alt->endpoint[i].extralen >= CCID_DESC_LEN &&
		    alt->endpoint[i].extra[0] == CCID_DESC_LEN &&
		    alt->endpoint[i].extra[1] == CCID_DESC_TYPE)
			return alt->endpoint[i].extra;
	}
	return NULL;
}

static void ccid_free(struct ccid_reader *r)
{
	int i;

	for (i = 0; i <= r->max_slot; i++)
		secel_t1_destroy(&r->slots[i].t1);
	usb_free_urb(r->int_urb);
	usb_free_urb(r->in_urb);
	usb_free_urb(r->out_urb);
	kfree(r->int_buf);
	kfree(r->in_buf);
	kfree(r->out_buf);
	mutex_destroy(&r->io_lock);
	mutex_destroy(&r->slots_lock);
	kfree(r);
}

static int ccid_probe(struct usb_interface *intf,
		      const struct usb_device_id *id)
{
	struct usb_host_interface *alt = intf->cur_altsetting;
	struct usb_endpoint_descriptor *ep_in, *ep_out, *ep_int;
	struct usb_device *udev = interface_to_usbdev(intf);
	struct ccid_reader *r;
	const u8 *d;
	u32 level;
	int i, ret;

	d = ccid_find_desc(alt);
	if (!d)
		return -ENODEV;
	if (usb_find_common_endpoints(alt, &ep_in, &ep_out, &ep_int, NULL)) {
		dev_warn(&intf->dev, "no bulk-in, bulk-out and interrupt-in endpoints\n");
		return -ENODEV;
	}
	if (d[4] >= CCID_MAX_SLOTS) {
		dev_warn(&intf->dev, "%u slots: more than %u\n", d[4] + 1,
			 CCID_MAX_SLOTS);
		return -ENODEV;
	}
	if (!strlen(kind) || strlen(kind) > 7)
		return -EINVAL;

	r = kzalloc(struct_size(r, slots, d[4] + 1), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->udev = udev;
	r->intf = intf;
	r->max_slot = d[4];
	r->voltages = d[5];
	r->protocols = get_unaligned_le32(d + 6);
	r->clock_khz = get_unaligned_le32(d + 10);
	r->max_rate = get_unaligned_le32(d + 23);
	r->max_ifsd = get_unaligned_le32(d + 28);
	r->features = get_unaligned_le32(d + 40);
	r->max_msg = get_unaligned_le32(d + 44);
	level = r->features & CCID_FEAT_LEVEL_MASK;
	if (level & CCID_FEAT_LEVEL_EXTENDED)
		r->level = CCID_LEVEL_EXTENDED;
	else if (level & CCID_FEAT_LEVEL_SHORT)
		r->level = CCID_LEVEL_SHORT;
	else if (level & CCID_FEAT_LEVEL_TPDU)
		r->level = CCID_LEVEL_TPDU;
	else
		r->level = CCID_LEVEL_CHARACTER;
	r->buf_size = clamp_t(size_t, r->max_msg, CCID_BUF_MIN, CCID_BUF_MAX);
	/*
	 * A reader takes no message longer than its dwMaxCCIDMessageLength
	 * (the class descriptor, CCID 1.1 5.1): chained parts are cut to
	 * it.  A value too small for one short TPDU is a broken descriptor,
	 * ignored as before.
	 */
	r->out_max = r->buf_size;
	if (r->max_msg >= CCID_HDR_LEN + 5 + 2)
		r->out_max = min_t(size_t, r->max_msg, r->buf_size);
	mutex_init(&r->io_lock);
	mutex_init(&r->cancel_lock);
	mutex_init(&r->slots_lock);
	spin_lock_init(&r->lock);
	init_completion(&r->done);
	init_completion(&r->in_done);
	INIT_WORK(&r->work, ccid_slot_work);
	for (i = 0; i <= r->max_slot; i++) {
		r->slots[i].reader = r;
		r->slots[i].index = i;
	}

	dev_info(&intf->dev, "CCID %x.%02x reader, %u slot(s), %s level, features %#010x, max message %u, voltages %#x\n",
		 d[3], d[2], r->max_slot + 1, ccid_level_names[r->level],
		 r->features, r->max_msg, r->voltages);
	if (r->level == CCID_LEVEL_CHARACTER) {
		dev_warn(&intf->dev, "unsupported: character-level exchanges\n");
		ret = -ENODEV;
		goto err_free;
	}
	dev_info(&intf->dev, "%s, %u kHz, up to %u bit/s\n",
		 ccid_reader_sets_params(r) ?
		 "parameters set by the reader" :
		 (r->features & CCID_FEAT_AUTO_PPS) ?
		 "SetParameters from the ATR, PPS by the reader" :
		 "SetParameters from the ATR at Fi 372, Di 1 (no PPS)",
		 r->clock_khz, r->max_rate);
	if (r->max_msg < CCID_HDR_LEN + 5 + 2)
		dev_warn(&intf->dev, "dwMaxCCIDMessageLength %u is too small: using %zu\n",
			 r->max_msg, r->buf_size);

	ret = -ENOMEM;
	r->out_buf = kmalloc(r->buf_size, GFP_KERNEL);
	r->in_buf = kmalloc(r->buf_size, GFP_KERNEL);
	r->int_buf = kmalloc(usb_endpoint_maxp(ep_int), GFP_KERNEL);
	r->out_urb = usb_alloc_urb(0, GFP_KERNEL);
	r->in_urb = usb_alloc_urb(0, GFP_KERNEL);
	r->int_urb = usb_alloc_urb(0, GFP_KERNEL);
	if (!r->out_buf || !r->in_buf || !r->int_buf || !r->out_urb ||
	    !r->in_urb || !r->int_urb)
		goto err_free;
	usb_fill_bulk_urb(r->out_urb, udev,
			  usb_sndbulkpipe(udev, usb_endpoint_num(ep_out)),
			  r->out_buf, 0, ccid_bulk_complete, r);
	usb_fill_bulk_urb(r->in_urb, udev,
			  usb_rcvbulkpipe(udev, usb_endpoint_num(ep_in)),
			  r->in_buf, r->buf_size, ccid_bulk_complete, r);
	usb_fill_int_urb(r->int_urb, udev,
			 usb_rcvintpipe(udev, usb_endpoint_num(ep_int)),
			 r->int_buf, usb_endpoint_maxp(ep_int),
			 ccid_int_complete, r, ep_int->bInterval);
	usb_set_intfdata(intf, r);

	/* the state of the slots first, then changes as they come */
	ccid_scan_slots(r);
	r->first_notify = true;
	ret = usb_submit_urb(r->int_urb, GFP_KERNEL);
	if (ret) {
		dev_warn(&intf->dev, "interrupt endpoint: %d\n", ret);
		goto err_intfdata;
	}
	schedule_work(&r->work);
	return 0;

err_intfdata:
	usb_set_intfdata(intf, NULL);
err_free:
	ccid_free(r);
	return ret;
}

static void ccid_disconnect(struct usb_interface *intf)
{
	struct ccid_reader *r = usb_get_intfdata(intf);
	unsigned long flags;
	int i;

	spin_lock_irqsave(&r->lock, flags);
	r->dead = true;
	spin_unlock_irqrestore(&r->lock, flags);
	/* every exchange returns at once and none starts: -ENODEV */
	usb_poison_urb(r->int_urb);
	usb_poison_urb(r->in_urb);
	usb_poison_urb(r->out_urb);
	cancel_work_sync(&r->work);

	mutex_lock(&r->slots_lock);
	for (i = 0; i <= r->max_slot; i++)
		ccid_slot_remove(&r->slots[i]);
	mutex_unlock(&r->slots_lock);
	/* the core calls no operation any more: the slots can go */
	usb_set_intfdata(intf, NULL);
	ccid_free(r);
}

/*
 * Readers whose CCID interface has the vendor-specific class but a CCID
 * class descriptor (listed by libccid's supported-readers list): O2Micro
 * OZ776 and the readers built on it.
 */
static const struct usb_device_id ccid_ids[] = {
	{ USB_INTERFACE_INFO(USB_CLASS_CSCID, 0, 0) },
	{ USB_DEVICE_INTERFACE_CLASS(0x0b97, 0x7762, USB_CLASS_VENDOR_SPEC) },
	{ USB_DEVICE_INTERFACE_CLASS(0x0b97, 0x7772, USB_CLASS_VENDOR_SPEC) },
	{ }
};
MODULE_DEVICE_TABLE(usb, ccid_ids);

static struct usb_driver ccid_driver = {
	.name = "secel_ccid",
	.probe = ccid_probe,
	.disconnect = ccid_disconnect,
	.id_table = ccid_ids,
};

module_usb_driver(ccid_driver);

MODULE_DESCRIPTION("secel: smart cards behind USB CCID readers");
MODULE_LICENSE("GPL");
