// SPDX-License-Identifier: GPL-2.0
/*
 * secel - the T=1 block engine: ISO/IEC 7816-3:2006 clause 11, and the
 * GlobalPlatform variant for SPI and I2C ("APDU Transport over SPI/I2C").
 *
 * A converter gives the engine a way to send a block and to receive bytes
 * with a deadline (struct secel_t1_ops); the engine carries APDUs as
 * chains of I-blocks both ways, answers the card's S-blocks (WTX, IFS,
 * ABORT) and recovers from lost and invalid blocks as 11.6.3 says: an
 * R-block asking for the block again, retransmission of the block the
 * card did not get, S(RESYNCH) after three failed attempts, and a clean
 * errno when even that fails.  Blocks themselves are built and checked in
 * t1block.c.
 */
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/secel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "secel-parse.h"

/* attempts at one step of an exchange before S(RESYNCH) (11.6.3.2) */
#define T1_TRIES		3
/* the card's S(WTX) and S(IFS) requests one step tolerates: no endless loop */
#define T1_MAX_S_REQUESTS	1024
/* block waiting times a resync waits at most for an interrupted answer */
#define T1_PENDING_BWTS		8
/* ISO's default information field sizes (11.4.2) */
#define T1_IFS_DEFAULT		32

/* what t1_recv() saw, besides a valid block (0) or a converter's errno */
enum {
	T1_BAD_EDC = 1,		/* EDC or parity error */
	T1_BAD_OTHER,		/* any other invalid block */
	T1_LOST,		/* nothing within the waiting time */
};

static bool t1_gp(const struct secel_t1 *t1)
{
	return t1->cfg.variant == SECEL_T1_GP;
}

static bool t1_crc(const struct secel_t1 *t1)
{
	return t1_gp(t1) || t1->cfg.edc == SECEL_T1_CRC;
}

static u16 t1_ifs_max(const struct secel_t1 *t1)
{
	return t1_gp(t1) ? SECEL_T1_GP_IFS_MAX : SECEL_T1_ISO_IFS_MAX;
}

/* the NAD the card answers with: SAD and DAD of ours swapped */
static u8 t1_card_nad(const struct secel_t1 *t1)
{
	u8 nad = t1->cfg.nad;

	return ((nad & 0x07) << 4) | ((nad >> 4) & 0x07);
}

static int t1_send(struct secel_t1 *t1, u8 pcb, const u8 *inf, size_t n)
{
	size_t len;

	len = secel_t1_block_build(t1->tx, t1_gp(t1), t1_crc(t1), t1->cfg.nad,
				   pcb, inf, n);
	if (t1->cfg.bgt_us && t1->last_rx) {
		u64 since = ktime_get_ns() - t1->last_rx;
		u64 bgt = (u64)t1->cfg.bgt_us * NSEC_PER_USEC;

		if (since < bgt)
			fsleep(DIV_ROUND_UP_ULL(bgt - since, NSEC_PER_USEC));
	}
	t1->stats.blocks_sent++;
	t1->card_turn = true;
	return t1->ops->send(t1->ctx, t1->tx, len);
}

static void t1_flush(struct secel_t1 *t1)
{
	if (t1->ops->flush)
		t1->ops->flush(t1->ctx);
}

/* map what the converter's recv said onto the engine's view of the block */
static int t1_recv_status(struct secel_t1 *t1, int ret)
{
	if (ret == -ETIMEDOUT) {
		t1->stats.timeouts++;
		return T1_LOST;
	}
	if (ret == -EPROTO) {
		t1->stats.edc_errors++;
		t1_flush(t1);
		return T1_BAD_EDC;
	}
	return ret;
}

/*
 * Receive the card's next block into t1->rx and check everything that
 * does not depend on the step: structure, EDC, NAD, LEN against IFSD.
 */
static int t1_recv(struct secel_t1 *t1, struct secel_t1_block *b)
{
	size_t hdr = t1_gp(t1) ? 4 : 3, edc = t1_crc(t1) ? 2 : 1, n;
	u64 bwt = (u64)t1->cfg.bwt_ms * t1->wtx, rest;
	int ret;

	t1->wtx = 1;
	ret = t1->ops->recv(t1->ctx, t1->rx, hdr,
			    min_t(u64, bwt, UINT_MAX));
	if (ret)
		return t1_recv_status(t1, ret);
	n = t1_gp(t1) ? (t1->rx[2] << 8) | t1->rx[3] : t1->rx[2];
	if (n > t1_ifs_max(t1) + (t1_gp(t1) ? 0 : 1)) {
		/* more than any buffer holds: let the rest go by */
		t1->stats.edc_errors++;
		t1_flush(t1);
		return T1_BAD_OTHER;
	}
	rest = t1->cfg.cwt_ms ? (u64)t1->cfg.cwt_ms * (n + edc) : t1->cfg.bwt_ms;
	ret = t1->ops->recv(t1->ctx, t1->rx + hdr, n + edc,
			    min_t(u64, rest, UINT_MAX));
	if (ret == -ETIMEDOUT) {
		/* a block cut short is an invalid block, not a lost one */
		t1->stats.timeouts++;
		return T1_BAD_OTHER;
	}
	if (ret)
		return t1_recv_status(t1, ret);
	t1->last_rx = ktime_get_ns();
	t1->card_turn = false;

	ret = secel_t1_block_parse(t1->rx, hdr + n + edc, t1_gp(t1),
				   t1_crc(t1), b);
	if (ret == -EBADMSG) {
		t1->stats.edc_errors++;
		return T1_BAD_EDC;
	}
	if (ret || b->nad != t1_card_nad(t1) ||
	    (secel_t1_is_i(b->pcb) && b->len > t1->ifsd)) {
		t1->stats.edc_errors++;
		return T1_BAD_OTHER;
	}
	t1->stats.blocks_received++;
	return 0;
}

static u8 t1_r_pcb(const struct secel_t1 *t1, u8 err)
{
	return SECEL_T1_PCB_R | (t1->nr ? SECEL_T1_PCB_R_NR : 0) | err;
}

static u8 t1_s_pcb(u8 type, bool resp)
{
	return SECEL_T1_PCB_S | (resp ? SECEL_T1_PCB_S_RESP : 0) | type;
}

/*
 * The card's S(WTX request) or S(IFS request): answer it.  Returns 1 when
 * it was one (answered), 0 when the block is something else, or an errno.
 */
static int t1_card_request(struct secel_t1 *t1, const struct secel_t1_block *b)
{
	u8 inf[2];
	int ifs;

	if (b->pcb == t1_s_pcb(SECEL_T1_S_WTX, false)) {
		/* 11.6.2.3 rule 3: the multiplier holds for the next block */
		inf[0] = b->inf[0];
		t1->stats.wtx++;
		t1->wtx = inf[0] ? inf[0] : 1;
		return t1_send(t1, t1_s_pcb(SECEL_T1_S_WTX, true), inf, 1) ?: 1;
	}
	if (b->pcb == t1_s_pcb(SECEL_T1_S_IFS, false)) {
		ifs = secel_t1_ifs_decode(b, t1_gp(t1));
		if (ifs < 0)
			return 0;
		memcpy(inf, b->inf, b->len);
		t1->ifsc = ifs;
		return t1_send(t1, t1_s_pcb(SECEL_T1_S_IFS, true), inf,
			       b->len) ?: 1;
	}
	return 0;
}

/*
 * One step of an APDU exchange: send the block @pcb, @inf, @n (an I-block
 * of the command, or the R-block that acknowledges a chained I-block of
 * the response) and wait for the block that moves the exchange on:
 * R(N(S) + 1) after a chained I-block, the card's I-block N(R) otherwise.
 * On the way, answer the card's S(WTX) and S(IFS) requests, send the
 * step's block again when the card asks for it with an R-block, and ask
 * for the card's block again with an R-block when it is lost or invalid.
 *
 * Return: 0 with the block in @b; -ETIMEDOUT or -EPROTO when three
 * attempts failed (every failure a timeout, or not); -ECONNABORTED when
 * the card aborted the chain; the converter's errno.
 */
static int t1_step(struct secel_t1 *t1, u8 pcb, const u8 *inf, size_t n,
		   struct secel_t1_block *b)
{
	bool chained = secel_t1_is_i(pcb) && (pcb & SECEL_T1_PCB_I_MORE);
	bool sent_i = secel_t1_is_i(pcb);
	unsigned int failures = 0, requests = 0;
	bool all_lost = true;
	u8 ns = t1->ns;
	int ret;

	ret = t1_send(t1, pcb, inf, n);
	while (!ret) {
		ret = t1_recv(t1, b);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			ret = t1_card_request(t1, b);
			if (ret < 0)
				return ret;
			if (ret) {
				if (++requests > T1_MAX_S_REQUESTS)
					return -EPROTO;
				ret = 0;
				continue;
			}
			if (b->pcb == t1_s_pcb(SECEL_T1_S_ABORT, false)) {
				t1->stats.aborts++;
				ret = t1_send(t1, t1_s_pcb(SECEL_T1_S_ABORT, true),
					      NULL, 0);
				return ret ?: -ECONNABORTED;
			}
			if (secel_t1_is_r(b->pcb)) {
				bool nr = b->pcb & SECEL_T1_PCB_R_NR;

				if (chained && nr != ns)
					return 0;	/* next block, please */
				/*
				 * Rule 7.2: the card asks again for the block
				 * it did not get: the step's block (or, after
				 * an R-block of ours, still the step's block).
				 */
				if (!sent_i || nr == ns) {
					all_lost = false;
					if (++failures >= T1_TRIES)
						break;
					t1->stats.retransmits++;
					ret = t1_send(t1, pcb, inf, n);
					continue;
				}
			} else if (secel_t1_is_i(b->pcb) && !chained &&
				   !!(b->pcb & SECEL_T1_PCB_I_NS) == t1->nr) {
				return 0;
			}
			/* anything else is an invalid block here */
			ret = T1_BAD_OTHER;
		}
		if (ret != T1_LOST)
			all_lost = false;
		if (++failures >= T1_TRIES)
			break;
		/* rules 7.1 and 7.4: ask for the card's block again */
		t1->stats.retransmits++;
		ret = t1_send(t1, t1_r_pcb(t1, ret == T1_BAD_EDC ?
					   SECEL_T1_R_EDC : SECEL_T1_R_OTHER),
			      NULL, 0);
	}
	if (ret < 0)
		return ret;
	return all_lost ? -ETIMEDOUT : -EPROTO;
}

/*
 * An S(request) of the interface device and the card's S(response):
 * sent again when the answer is lost or invalid (11.6.3.2), three times
 * at most.  The card's S(WTX request) is answered on the way.
 */
static int t1_s_exchange(struct secel_t1 *t1, u8 type, const u8 *inf,
			 size_t n, struct secel_t1_block *b)
{
	unsigned int tries, requests = 0;
	bool all_lost = true;
	int ret;

	for (tries = 0; tries < T1_TRIES; tries++) {
		if (tries)
			t1->stats.retransmits++;
		ret = t1_send(t1, t1_s_pcb(type, false), inf, n);
		if (ret)
			return ret;
		for (;;) {
			ret = t1_recv(t1, b);
			if (ret < 0)
				return ret;
			if (ret || b->pcb != t1_s_pcb(SECEL_T1_S_WTX, false) ||
			    ++requests > T1_MAX_S_REQUESTS)
				break;
			ret = t1_card_request(t1, b);
			if (ret < 0)
				return ret;
		}
		if (ret == 0 && b->pcb == t1_s_pcb(type, true) &&
		    (type != SECEL_T1_S_IFS ||
		     (b->len == n && !memcmp(b->inf, inf, n))))
			return 0;
		if (ret != T1_LOST)
			all_lost = false;
	}
	return all_lost ? -ETIMEDOUT : -EPROTO;
}

static int t1_ifs_encode(u16 ifs, u8 *inf)
{
	if (ifs <= 0xfe) {
		inf[0] = ifs;
		return 1;
	}
	inf[0] = ifs >> 8;
	inf[1] = ifs & 0xff;
	return 2;
}

/* both sides start afresh: after S(RESYNCH) and GP's S(SWR) */
static void t1_restart(struct secel_t1 *t1)
{
	t1->ns = 0;
	t1->nr = 0;
	t1->ifsc = t1->cfg.ifsc;
	t1->ifsd = t1->cfg.ifsd;
}

/*
 * An exchange was cut off (a signal) while the card had the turn: it may
 * still be working on the block and will answer it, asking for waiting
 * time on the way.  A block sent now would cross its answer on a
 * half-duplex line, and the answer would then be taken for the answer to
 * the S(RESYNCH) that follows.  So wait for it first, one block waiting
 * time after the other, granting the card's S(WTX) requests, and drop it.
 * A card that keeps asking for time is waited for T1_PENDING_BWTS block
 * waiting times at most: a process that closes its channels on its way
 * out waits for this.
 */
static int t1_take_pending(struct secel_t1 *t1)
{
	u64 end = ktime_get_ns() +
		  (u64)t1->cfg.bwt_ms * T1_PENDING_BWTS * NSEC_PER_MSEC;
	struct secel_t1_block b;
	int ret;

	while (t1->card_turn && ktime_get_ns() < end) {
		ret = t1_recv(t1, &b);
		if (ret < 0)
			return ret;
		if (ret)
			break;	/* silent, or out of shape: flushed below */
		ret = t1_card_request(t1, &b);
		if (ret < 0)
			return ret;
		if (!ret)
			break;
	}
	if (t1->card_turn)
		t1_flush(t1);
	t1->card_turn = false;
	return 0;
}

/*
 * S(RESYNCH): both sides back to the link's initial state (11.6.3.2).
 * An IFSD announced before is announced again.
 */
static int t1_resynch(struct secel_t1 *t1)
{
	struct secel_t1_block b;
	u16 ifsd = t1->ifsd;
	u8 inf[2];
	int ret;

	t1->stats.resynchs++;
	ret = t1_s_exchange(t1, SECEL_T1_S_RESYNCH, NULL, 0, &b);
	if (ret)
		return ret;
	t1_restart(t1);
	if (ifsd != t1->ifsd &&
	    !t1_s_exchange(t1, SECEL_T1_S_IFS, inf,
			   t1_ifs_encode(ifsd, inf), &b))
		t1->ifsd = ifsd;
	return 0;
}

/*
 * An exchange failed after its attempts: resynchronise, and tell the
 * caller why it failed (-EIO when even S(RESYNCH) did not work).
 */
static int t1_recover(struct secel_t1 *t1, int err)
{
	if (err != -ETIMEDOUT && err != -EPROTO)
		return err;
	/* the step's attempts are over: the turn is ours */
	t1->card_turn = false;
	if (t1_resynch(t1))
		return -EIO;
	return err;
}

/**
 * secel_t1_config_from_atr() - T=1 parameters from an ATR
 * @p: what secel_atr_params() read from the ATR
 * @clock_khz: the card's clock in kHz; 0 when unknown (the times are
 *	then those of the slowest clock ISO/IEC 7816-3 allows, 1 MHz)
 * @cfg: the configuration to fill: ISO T=1, NAD 0, IFSD 32 (11.4.2)
 *
 * The IFSC is the ATR's first TA for T=1, the EDC its first TC's, and the
 * times follow 11.4.3 with the etu of @p->fi_di: CWT = (11 + 2^CWI) etu,
 * BWT = 11 etu + 2^BWI x 960 x 372 / f, BGT = 22 etu, rounded up.
 *
 * Return: 0, or -EPROTO when the ATR's IFSC is 00h or FFh, its BWI beyond
 * 9 or its Fi or Di reserved.
 */
int secel_t1_config_from_atr(const struct secel_atr_params *p,
			     unsigned int clock_khz,
			     struct secel_t1_config *cfg)
{
	unsigned int bwi = p->bwi_cwi >> 4, cwi = p->bwi_cwi & 0x0f;
	unsigned int fi = secel_fi(p->fi_di), di = secel_di(p->fi_di);
	u64 f = (clock_khz ? clock_khz : 1000) * 1000ULL;
	u64 etu_ns, bwt_ns;

	if (!p->ifsc || p->ifsc == 0xff || bwi > 9 || !fi || !di)
		return -EPROTO;
	etu_ns = DIV_ROUND_UP_ULL((u64)fi * NSEC_PER_SEC, f * di);
	bwt_ns = 11 * etu_ns +
		 DIV_ROUND_UP_ULL((960ULL << bwi) * 372 * NSEC_PER_SEC, f);
	*cfg = (struct secel_t1_config) {
		.variant = SECEL_T1_ISO,
		.edc = p->crc ? SECEL_T1_CRC : SECEL_T1_LRC,
		.ifsc = p->ifsc,
		.ifsd = T1_IFS_DEFAULT,
		.nad = 0,
		.bwt_ms = DIV_ROUND_UP_ULL(bwt_ns, NSEC_PER_MSEC),
		.cwt_ms = DIV_ROUND_UP_ULL((11 + (1ULL << cwi)) * etu_ns,
					   NSEC_PER_MSEC),
		.bgt_us = DIV_ROUND_UP_ULL(22 * etu_ns, NSEC_PER_USEC),
	};
	return 0;
}
EXPORT_SYMBOL_GPL(secel_t1_config_from_atr);

/**
 * secel_t1_config_from_cip() - T=1 parameters from a GP CIP
 * @cip: what secel_t1_cip_parse() read
 * @cfg: the configuration to fill: GP T=1, CRC, NAD 21h, the CIP's IFSC
 *	and BWT, IFSD 254 (until secel_t1_set_ifsd() announces another), no
 *	CWT or BGT (the bus reads a block at once; the physical layer's
 *	guard times are the converter's)
 *
 * Return: 0, or -EPROTO when the CIP's IFSC or BWT is out of range.
 */
int secel_t1_config_from_cip(const struct secel_t1_cip *cip,
			     struct secel_t1_config *cfg)
{
	if (!cip->ifsc || cip->ifsc > SECEL_T1_GP_IFS_MAX || !cip->bwt_ms)
		return -EPROTO;
	*cfg = (struct secel_t1_config) {
		.variant = SECEL_T1_GP,
		.edc = SECEL_T1_CRC,
		.ifsc = cip->ifsc,
		.ifsd = SECEL_T1_ISO_IFS_MAX,
		.nad = SECEL_T1_GP_NAD,
		.bwt_ms = cip->bwt_ms,
	};
	return 0;
}
EXPORT_SYMBOL_GPL(secel_t1_config_from_cip);

/**
 * secel_t1_init() - start a T=1 link
 * @t1: the link
 * @cfg: its parameters, in force after the ATR (or the CIP)
 * @ops: the converter's way of moving bytes
 * @ctx: its argument
 *
 * Allocates the link's two block buffers (the largest block of the
 * variant each), so that exchanges allocate nothing.  N(S) and N(R) start
 * at 0 (11.6.2.1).  Undo with secel_t1_destroy().
 *
 * Return: 0; -EINVAL for an IFSC or IFSD out of the variant's range or a
 * zero BWT; -ENOMEM.
 */
int secel_t1_init(struct secel_t1 *t1, const struct secel_t1_config *cfg,
		  const struct secel_t1_ops *ops, void *ctx)
{
	u16 max = cfg->variant == SECEL_T1_GP ? SECEL_T1_GP_IFS_MAX :
						SECEL_T1_ISO_IFS_MAX;
	size_t size = 4 + max + 1 + 2;

	memset(t1, 0, sizeof(*t1));
	if (cfg->variant != SECEL_T1_ISO && cfg->variant != SECEL_T1_GP)
		return -EINVAL;
	if (!cfg->ifsc || cfg->ifsc > max || !cfg->ifsd || cfg->ifsd > max ||
	    !cfg->bwt_ms || !ops->send || !ops->recv)
		return -EINVAL;
	t1->tx = kmalloc(size, GFP_KERNEL);
	t1->rx = kmalloc(size, GFP_KERNEL);
	if (!t1->tx || !t1->rx) {
		secel_t1_destroy(t1);
		return -ENOMEM;
	}
	t1->ops = ops;
	t1->ctx = ctx;
	t1->cfg = *cfg;
	t1->ifsc = cfg->ifsc;
	t1->ifsd = cfg->ifsd;
	t1->wtx = 1;
	return 0;
}
EXPORT_SYMBOL_GPL(secel_t1_init);

/**
 * secel_t1_destroy() - free a T=1 link's buffers
 * @t1: the link, initialised or zeroed
 */
void secel_t1_destroy(struct secel_t1 *t1)
{
	kfree(t1->tx);
	kfree(t1->rx);
	t1->tx = NULL;
	t1->rx = NULL;
}
EXPORT_SYMBOL_GPL(secel_t1_destroy);

/* The response does not fit: end the card's chain with S(ABORT) */
static int t1_abort_chain(struct secel_t1 *t1)
{
	struct secel_t1_block b;
	int ret;

	t1->stats.aborts++;
	ret = t1_s_exchange(t1, SECEL_T1_S_ABORT, NULL, 0, &b);
	if (ret)
		return t1_recover(t1, ret) == -EIO ? -EIO : -EMSGSIZE;
	return -EMSGSIZE;
}

/**
 * secel_t1_transceive() - carry an APDU over T=1
 * @t1: the link
 * @cmd: the command APDU (or any information to send, 1 byte or more)
 * @len: its length; longer than the IFSC, it goes as a chain of I-blocks
 * @rsp: where the response goes (all the card's chained I-blocks)
 * @size: room in @rsp
 * @rsp_len: the response's length
 *
 * Sends the command as I-blocks of at most IFSC bytes, chained with the
 * M bit, each acknowledged by the card's R-block; receives the card's
 * I-blocks, acknowledging each chained one with an R-block.  The card's
 * S(WTX) lengthens the next wait only; its S(IFS) changes the IFSC from
 * the next block on.  A block lost or invalid is asked for again; a
 * block the card did not get is sent again; after three failed attempts
 * at one step, S(RESYNCH) resets the link (ISO/IEC 7816-3 11.6.3).
 *
 * Return: 0; -EINVAL for an empty command; -EMSGSIZE when the response
 * does not fit @rsp (the card's chain is ended with S(ABORT)); -ETIMEDOUT
 * when the card stopped answering and -EPROTO when it kept sending
 * invalid blocks, the link resynchronised in both cases; -EIO when the
 * card aborted the chain or S(RESYNCH) failed too (the card needs a
 * reset); the converter's errno (-ENODEV, -ECANCELED, ...) at once.
 */
int secel_t1_transceive(struct secel_t1 *t1, const u8 *cmd, size_t len,
			u8 *rsp, size_t size, size_t *rsp_len)
{
	struct secel_t1_block b;
	size_t sent = 0, got = 0, n;
	bool more;
	u8 pcb;
	int ret;

	if (!len)
		return -EINVAL;
	do {
		n = min_t(size_t, len - sent, t1->ifsc);
		more = sent + n < len;
		pcb = (t1->ns ? SECEL_T1_PCB_I_NS : 0) |
		      (more ? SECEL_T1_PCB_I_MORE : 0);
		ret = t1_step(t1, pcb, cmd + sent, n, &b);
		if (ret)
			goto fail;
		t1->ns ^= 1;
		sent += n;
	} while (more);

	for (;;) {
		t1->nr ^= 1;
		if (b.len > size - got) {
			if (b.pcb & SECEL_T1_PCB_I_MORE)
				return t1_abort_chain(t1);
			return -EMSGSIZE;
		}
		memcpy(rsp + got, b.inf, b.len);
		got += b.len;
		if (!(b.pcb & SECEL_T1_PCB_I_MORE))
			break;
		ret = t1_step(t1, t1_r_pcb(t1, 0), NULL, 0, &b);
		if (ret)
			goto fail;
	}
	*rsp_len = got;
	return 0;

fail:
	if (ret == -ECONNABORTED)
		return -EIO;
	return t1_recover(t1, ret);
}
EXPORT_SYMBOL_GPL(secel_t1_transceive);

/**
 * secel_t1_set_ifsd() - announce the interface device's IFS with S(IFS)
 * @t1: the link
 * @ifsd: the largest information field the card may send from now on
 *
 * What a reader does after the ATR when it can take more than the
 * default 32 bytes (libccid asks for 254); the card answers with the
 * same value (11.6.2.3 rule 4).
 *
 * Return: 0; -EINVAL for an IFSD out of the variant's range; -ETIMEDOUT,
 * -EPROTO or -EIO as secel_t1_transceive() says (the IFSD stays as it
 * was); the converter's errno.
 */
int secel_t1_set_ifsd(struct secel_t1 *t1, u16 ifsd)
{
	struct secel_t1_block b;
	u8 inf[2];
	int ret;

	if (!ifsd || ifsd > t1_ifs_max(t1))
		return -EINVAL;
	ret = t1_s_exchange(t1, SECEL_T1_S_IFS, inf,
			    t1_ifs_encode(ifsd, inf), &b);
	if (ret)
		return t1_recover(t1, ret);
	t1->ifsd = ifsd;
	return 0;
}
EXPORT_SYMBOL_GPL(secel_t1_set_ifsd);

/**
 * secel_t1_resync() - S(RESYNCH): reset both sides of the link
 * @t1: the link
 *
 * N(S) and N(R) go back to 0 and the IFSC and IFSD to the link's
 * configuration (an IFSD announced before is announced again).  The
 * engine resynchronises by itself after failed exchanges; a converter
 * calls this after it lost track of the link: an exchange its byte mover
 * cut off (a signal, -EINTR) in the middle.  When the card had the turn,
 * its answer to the engine's last block is waited for first (the block
 * waiting time, lengthened by the card's S(WTX) requests, which are
 * granted; 8 block waiting times in all at most) and dropped, so that it
 * is not taken for the answer to S(RESYNCH).
 *
 * Return: 0; -EIO when the card did not answer S(RESYNCH) in three
 * attempts; the converter's errno.
 */
int secel_t1_resync(struct secel_t1 *t1)
{
	int ret = t1_take_pending(t1) ?: t1_resynch(t1);

	return ret == -ETIMEDOUT || ret == -EPROTO ? -EIO : ret;
}
EXPORT_SYMBOL_GPL(secel_t1_resync);

/* a GP S(request) without information field, and its response */
static int t1_gp_simple(struct secel_t1 *t1, u8 type)
{
	struct secel_t1_block b;
	int ret;

	if (!t1_gp(t1))
		return -EOPNOTSUPP;
	ret = t1_s_exchange(t1, type, NULL, 0, &b);
	return ret == -ETIMEDOUT || ret == -EPROTO ? -EIO : ret;
}

/**
 * secel_t1_gp_reset() - GP S(SWR): the secure element's software reset
 * @t1: the link, GP
 *
 * On the card's S(SWR response) the link starts afresh: N(S), N(R),
 * IFSC and IFSD as configured.  The card then needs its power wake-up
 * time (the CIP's PWT) before the next block; the caller waits it and
 * reads the CIP again with secel_t1_gp_cip().
 *
 * Return: 0; -EOPNOTSUPP on an ISO link; -EIO when the card did not
 * answer in three attempts; the converter's errno.
 */
int secel_t1_gp_reset(struct secel_t1 *t1)
{
	int ret = t1_gp_simple(t1, SECEL_T1_S_SWR);

	if (!ret)
		t1_restart(t1);
	return ret;
}
EXPORT_SYMBOL_GPL(secel_t1_gp_reset);

/**
 * secel_t1_gp_cip() - GP S(CIP): read the Communication Interface
 *	Parameters
 * @t1: the link, GP
 * @cip: where the CIP goes
 * @size: room in @cip
 * @cip_len: its length
 *
 * When the CIP reads well (secel_t1_cip_parse()), its BWT and IFSC become
 * the link's, now and after later resets.
 *
 * Return: 0; -EOPNOTSUPP on an ISO link; -EMSGSIZE when the CIP does not
 * fit @cip; -EPROTO when it does not parse; -EIO when the card did not
 * answer in three attempts; the converter's errno.
 */
int secel_t1_gp_cip(struct secel_t1 *t1, u8 *cip, size_t size,
		    size_t *cip_len)
{
	struct secel_t1_block b;
	struct secel_t1_cip c;
	int ret;

	if (!t1_gp(t1))
		return -EOPNOTSUPP;
	ret = t1_s_exchange(t1, SECEL_T1_S_CIP, NULL, 0, &b);
	if (ret)
		return ret == -ETIMEDOUT || ret == -EPROTO ? -EIO : ret;
	if (b.len > size)
		return -EMSGSIZE;
	memcpy(cip, b.inf, b.len);
	*cip_len = b.len;
	if (secel_t1_cip_parse(cip, b.len, &c))
		return -EPROTO;
	t1->cfg.bwt_ms = c.bwt_ms;
	t1->cfg.ifsc = c.ifsc;
	t1->ifsc = c.ifsc;
	return 0;
}
EXPORT_SYMBOL_GPL(secel_t1_gp_cip);

/**
 * secel_t1_gp_release() - GP S(RELEASE): the card may enter power saving
 * @t1: the link, GP
 *
 * Return: 0; -EOPNOTSUPP on an ISO link; -EIO when the card did not
 * answer in three attempts; the converter's errno.
 */
int secel_t1_gp_release(struct secel_t1 *t1)
{
	return t1_gp_simple(t1, SECEL_T1_S_RELEASE);
}
EXPORT_SYMBOL_GPL(secel_t1_gp_release);
