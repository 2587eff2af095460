// SPDX-License-Identifier: GPL-2.0
/*
 * secel - the exchange with the card: one raw command and its response,
 * the APDU-level exchange with GET RESPONSE for 61xx and the re-issue of a
 * command answered 6Cxx, power, and the closing of logical channels.
 *
 * Closing a channel must not depend on the signals of the task that asks
 * for it: a task that is being killed has a fatal signal pending, and a
 * converter's interruptible wait returns at once for it.  When a close is
 * interrupted, the channel is handed to the SE's close worker, a kernel
 * thread without signals, which finishes the job bounded by the
 * converter's own timeout.
 */
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/sched/signal.h>

#include "secel-internal.h"

/**
 * secel_converter_errno() - what a converter's error means to the core
 * @se: the SE, for the warning
 * @ret: the converter's return value
 *
 * A converter that lets -ERESTARTSYS (or another restart code) through
 * would have the signal machinery run the same APDU again when the caller
 * has an SA_RESTART handler: a payment debited twice.  Such codes become
 * -EINTR, with a warning once.
 *
 * Return: @ret, or -EINTR for a restart code.
 */
int secel_converter_errno(struct secel_se *se, int ret)
{
	switch (ret) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		dev_warn_once(&se->dev,
			      "converter %s returned %d; the core reports EINTR, an APDU is never restarted\n",
			      se->transport, ret);
		return -EINTR;
	default:
		return ret;
	}
}

/**
 * secel_transmit_raw() - one command to the card and its response, as is
 * @se: the SE; caller holds ops_sem for reading with ops set, and io_lock
 * @cmd: command APDU
 * @cmd_len: its length
 * @rsp: response buffer
 * @rsp_size: its size, at least 2
 * @rsp_len: length of the response
 *
 * Return: 0 with a response of at least SW1 SW2; -EMSGSIZE when @cmd is
 * longer than the converter carries; -EPROTO when the card answered less
 * than SW1 SW2 or more than fits; -EINTR when a signal interrupted it; or
 * the converter's error.
 */
int secel_transmit_raw(struct secel_se *se, const u8 *cmd, size_t cmd_len,
		       u8 *rsp, size_t rsp_size, size_t *rsp_len)
{
	int ret;

	/* stable under io_lock: secel_se_set_limits() */
	if (cmd_len > READ_ONCE(se->desc.max_cmd))
		return -EMSGSIZE;
	*rsp_len = 0;
	ret = se->ops->transmit(se, cmd, cmd_len, rsp,
				min_t(size_t, rsp_size,
				      READ_ONCE(se->desc.max_rsp)),
				rsp_len);
	if (ret == -EMSGSIZE)
		return -EPROTO;	/* the card said more than it may */
	if (ret)
		return secel_converter_errno(se, ret);
	if (*rsp_len < 2 || *rsp_len > rsp_size) {
		dev_dbg(&se->dev, "malformed response of %zu bytes\n", *rsp_len);
		return -EPROTO;
	}
	return 0;
}

/*
 * Set Ne of @cmd (room for 2 more bytes) to @ne, 1 to 256, turning case 1/3
 * into 2/4.  Short Le 00 means 256; extended Le 0100 does.
 */
static size_t secel_set_le(u8 *cmd, size_t len, const struct secel_apdu *a,
			   unsigned int ne)
{
	switch (a->apdu_case) {
	case SECEL_CASE_1:
	case SECEL_CASE_3S:
		cmd[len] = ne & 0xff;
		return len + 1;
	case SECEL_CASE_2S:
	case SECEL_CASE_4S:
		cmd[len - 1] = ne & 0xff;
		return len;
	case SECEL_CASE_2E:
	case SECEL_CASE_4E:
		cmd[len - 2] = ne >> 8;
		cmd[len - 1] = ne & 0xff;
		return len;
	case SECEL_CASE_3E:
		cmd[len] = ne >> 8;
		cmd[len + 1] = ne & 0xff;
		return len + 2;
	}
	return len;
}

/**
 * secel_exchange_apdu() - send a command on a channel, with 61xx and 6Cxx
 * @se: the SE; caller holds ops_sem for reading with ops set, and io_lock
 * @a: the parse of @cmd
 * @cmd: a valid command in basic-channel form; modified in place
 * @cmd_len: its length
 * @cmd_room: size of the @cmd buffer, at least @cmd_len + 2
 * @channel: logical channel, 0 to 19
 * @flags: SECEL_TX_*
 * @rsp: response buffer
 * @rsp_size: its size
 * @rsp_len: length of the whole response
 *
 * A 6Cxx answer whose re-issue the converter could not carry (longer than
 * its max_cmd) is returned as it is.
 *
 * Return: 0, -EPROTO when the card's answers do not add up, or an error of
 * secel_transmit_raw().
 */
int secel_exchange_apdu(struct secel_se *se, const struct secel_apdu *a,
			u8 *cmd, size_t cmd_len, size_t cmd_room,
			unsigned int channel, u32 flags,
			u8 *rsp, size_t rsp_size, size_t *rsp_len)
{
	u8 getrsp[5];
	size_t len, got, reissue_len;
	int ret, rounds;
	u16 sw;

	ret = secel_cla_encode(cmd[0], channel);
	if (ret < 0)
		return ret;
	cmd[0] = ret;

	ret = secel_transmit_raw(se, cmd, cmd_len, rsp, rsp_size, &len);
	if (ret)
		return ret;
	sw = secel_sw(rsp, len);

	if (!(flags & SECEL_TX_RAW) && (sw >> 8) == 0x6c && len == 2 &&
	    cmd_room >= cmd_len + 2) {
		/* Wrong Le: the card says how many bytes it has; ask again. */
		reissue_len = secel_set_le(cmd, cmd_len, a,
					   (sw & 0xff) ? (sw & 0xff) : 256);
		if (reissue_len <= READ_ONCE(se->desc.max_cmd)) {
			ret = secel_transmit_raw(se, cmd, reissue_len, rsp,
						 rsp_size, &len);
			if (ret)
				return ret;
			sw = secel_sw(rsp, len);
		}
	}

	/*
	 * More data waiting: fetch it with GET RESPONSE, appending each part
	 * over the previous status word.  65536 bytes need 256 rounds.
	 */
	for (rounds = 0; !(flags & SECEL_TX_RAW) && (sw >> 8) == 0x61;
	     rounds++) {
		if (rounds > 256)
			return -EPROTO;
		getrsp[0] = secel_cla_encode(0x00, channel);	/* 00..4F */
		getrsp[1] = 0xc0;
		getrsp[2] = 0;
		getrsp[3] = 0;
		getrsp[4] = sw & 0xff;
		len -= 2;
		ret = secel_transmit_raw(se, getrsp, sizeof(getrsp), rsp + len,
					 rsp_size - len, &got);
		if (ret)
			return ret;
		len += got;
		sw = secel_sw(rsp, len);
	}
	*rsp_len = len;
	return 0;
}

/**
 * secel_exchange_cmd() - secel_exchange_apdu() on the basic channel for a
 *	command the core built itself
 * @se: the SE; caller holds ops_sem for reading with ops set, and io_lock
 * @cmd: the command; modified in place
 * @cmd_len: its length
 * @cmd_room: size of the @cmd buffer, at least @cmd_len + 2
 * @rsp: response buffer
 * @rsp_size: its size
 * @rsp_len: length of the whole response
 *
 * Return: as secel_exchange_apdu(), or -EINVAL for a malformed @cmd.
 */
int secel_exchange_cmd(struct secel_se *se, u8 *cmd, size_t cmd_len,
		       size_t cmd_room, u8 *rsp, size_t rsp_size,
		       size_t *rsp_len)
{
	struct secel_apdu a;
	int ret;

	ret = secel_apdu_parse(cmd, cmd_len, &a);
	if (ret)
		return ret;
	/* the core's own SELECTs leave the basic channel to the card */
	secel_acl_forget_locked(se, 0);
	return secel_exchange_apdu(se, &a, cmd, cmd_len, cmd_room, 0, 0, rsp,
				   rsp_size, rsp_len);
}

/**
 * secel_close_channel_locked() - tell the card to close a logical channel
 * @se: the SE; caller holds ops_sem for reading with ops set, and io_lock
 * @channel: 1 to 19
 *
 * Return: 0 when the card answered 9000, -EIO for another status word, or
 * an exchange error.
 */
int secel_close_channel_locked(struct secel_se *se, unsigned int channel)
{
	u8 cmd[4] = { 0x00, 0x70, 0x80, channel };
	u8 rsp[2 + 256];
	size_t len;
	int ret;

	ret = secel_transmit_raw(se, cmd, sizeof(cmd), rsp, sizeof(rsp), &len);
	if (ret)
		return ret;
	return secel_sw(rsp, len) == 0x9000 ? 0 : -EIO;
}

/**
 * secel_close_or_orphan_locked() - close a channel no file is to keep
 * @se: the SE; caller holds ops_sem for reading with ops set, and io_lock
 * @channel: 1 to 19, open on the card, owned by no file
 *
 * When a signal interrupts the close, the close worker sends it again.
 */
void secel_close_or_orphan_locked(struct secel_se *se, unsigned int channel)
{
	int ret = signal_pending(current) ? -EINTR :
		  secel_close_channel_locked(se, channel);

	if (ret == -EINTR)
		secel_orphan_channel_locked(se, channel, false);
}

/*
 * Closing goes on while the card answers, with any status word: a card
 * that times out or is gone is not asked again.
 */
static bool secel_close_goes_on(int ret)
{
	return !ret || ret == -EIO || ret == -EPROTO;
}

static void secel_queue_close(struct secel_se *se)
{
	/* the work holds a device reference; unregister cancels it */
	get_device(&se->dev);
	if (!queue_work(secel_wq, &se->close_work))
		put_device(&se->dev);
}

/**
 * secel_orphan_channel_locked() - hand a channel to the close worker
 * @se: the SE; caller holds ops_sem for reading with ops set, and io_lock
 * @channel: a channel the card has open and no file is to keep, or 0
 * @sweep: the card may have opened a channel the core does not know of
 *	(an interrupted MANAGE CHANNEL open): close every channel no file
 *	owns
 */
void secel_orphan_channel_locked(struct secel_se *se, unsigned int channel,
				 bool sweep)
{
	if (channel)
		se->chan_owner[channel] = SECEL_CHAN_ORPHAN;
	if (sweep)
		se->sweep_channels = true;
	secel_queue_close(se);
}

/**
 * secel_close_work() - close orphaned channels on the card
 * @work: the SE's close_work
 *
 * Runs in a kernel worker, so a signal never cuts the closing short; each
 * exchange is bounded by the converter's timeout, and a card that does
 * not answer is not asked again.
 */
void secel_close_work(struct work_struct *work)
{
	struct secel_se *se = container_of(work, struct secel_se, close_work);
	unsigned int ch;
	bool tell, sweep;

	down_read(&se->ops_sem);
	mutex_lock(&se->io_lock);
	tell = se->ops && se->powered;
	sweep = se->sweep_channels;
	se->sweep_channels = false;
	for (ch = 1; ch < SECEL_MAX_CHANNELS; ch++) {
		struct secel_file *owner = se->chan_owner[ch];

		if (owner != SECEL_CHAN_ORPHAN && !(sweep && !owner))
			continue;
		if (tell)
			tell = secel_close_goes_on(secel_close_channel_locked(se, ch));
		if (owner == SECEL_CHAN_ORPHAN)
			se->chan_owner[ch] = NULL;
	}
	mutex_unlock(&se->io_lock);
	up_read(&se->ops_sem);
	put_device(&se->dev);
}

/**
 * secel_drop_channels_locked() - forget every logical channel of the SE
 * @se: the SE; caller holds io_lock, and ops_sem for reading when
 *	@tell_card is set
 * @tell_card: close them on the card too (best effort)
 */
void secel_drop_channels_locked(struct secel_se *se, bool tell_card)
{
	unsigned int ch;

	tell_card = tell_card && se->ops && se->powered;
	secel_acl_forget_locked(se, -1);
	for (ch = 1; ch < SECEL_MAX_CHANNELS; ch++) {
		if (!se->chan_owner[ch])
			continue;
		if (tell_card)
			tell_card = secel_close_goes_on(secel_close_channel_locked(se, ch));
		se->chan_owner[ch] = NULL;
	}
	se->sweep_channels = false;
}

/**
 * secel_power_on_locked() - activate the card and read its ATR
 * @se: the SE; caller holds ops_sem for reading with ops set, and io_lock
 * @atr: room for SECEL_ATR_MAX bytes
 * @atr_len: the ATR's length
 *
 * Return: 0, -EPROTO for an empty or overlong ATR, or the converter's
 * error.
 */
int secel_power_on_locked(struct secel_se *se, u8 *atr, size_t *atr_len)
{
	int ret;

	*atr_len = 0;
	ret = se->ops->power_on(se, atr, SECEL_ATR_MAX, atr_len);
	if (ret)
		return secel_converter_errno(se, ret);
	if (!*atr_len || *atr_len > SECEL_ATR_MAX)
		return -EPROTO;
	secel_acl_forget_locked(se, -1);
	se->powered = true;
	return 0;
}

/**
 * secel_power_off_locked() - deactivate the card; it forgets its channels
 * @se: the SE; caller holds ops_sem for reading, and io_lock
 */
void secel_power_off_locked(struct secel_se *se)
{
	secel_drop_channels_locked(se, false);
	if (se->ops && se->powered && se->ops->power_off)
		se->ops->power_off(se);
	se->powered = false;
}
