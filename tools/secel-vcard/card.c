// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vcard - the card: APDU parsing, class byte, logical channels,
 * SELECT, GET RESPONSE and dispatch to the selected application
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"

static const struct vc_app *const vc_apps[] = {
	&vc_isd_app,
	&vc_test_app,
	&vc_aram_app,		/* only with --ara-rules */
};

/*
 * Default ATR, T=1 only:
 *   3B        TS, direct convention
 *   8B        T0: TD1 follows, 11 historical bytes
 *   81        TD1: TD2 follows, T=1
 *   31        TD2: TA3 and TB3 follow, T=1
 *   FE 45     TA3 IFSC 254, TB3 BWI 4 CWI 5
 *   80 59 53 45 43 45 4C 56 43 52 44
 *             historical bytes: category 80, compact-TLV tag 5 (card
 *             issuer's data), 9 bytes "SECELVCRD"
 *   TCK       XOR of T0..last historical byte
 */
static const uint8_t vc_default_atr[] = {
	0x3b, 0x8b, 0x81, 0x31, 0xfe, 0x45,
	0x80, 0x59, 0x53, 0x45, 0x43, 0x45, 0x4c, 0x56, 0x43, 0x52, 0x44,
};

void vc_config_defaults(struct vc_config *cfg)
{
	uint8_t tck = 0;
	size_t i, n = sizeof(vc_default_atr);

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->atr, vc_default_atr, n);
	for (i = 1; i < n; i++)
		tck ^= vc_default_atr[i];
	cfg->atr[n] = tck;
	cfg->atr_len = n + 1;
	cfg->channels = VC_CHANNELS - 1;
	vc_isd_defaults(cfg);
}

struct vcard *vcard_new(const struct vc_config *cfg)
{
	struct vcard *vc = calloc(1, sizeof(*vc));

	if (!vc)
		return NULL;
	vc->cfg = *cfg;
	if (vc->cfg.channels > VC_CHANNELS - 1)
		vc->cfg.channels = VC_CHANNELS - 1;
	vc_gp_defaults(&vc->st);
	vc->saved = vc->st;
	vc->state_lock = -1;
	vcard_reset(vc);
	return vc;
}

void vcard_free(struct vcard *vc)
{
	unsigned int i;

	if (!vc)
		return;
	for (i = 0; i < VC_CHANNELS; i++) {
		vc_gp_end_session(&vc->chan[i]);
		free(vc->chan[i].pend);
	}
	if (vc->state_lock >= 0)
		close(vc->state_lock);
	free(vc);
}

static void vc_chan_close(struct vc_chan *ch)
{
	vc_gp_end_session(ch);
	ch->open = false;
	ch->app = NULL;
	ch->inst = -1;
	ch->pin_ok = false;
	ch->count = 0;
	ch->pend_len = 0;
	ch->pend_off = 0;
	ch->ara_next = 0;
}

void vcard_reset(struct vcard *vc)
{
	unsigned int i;

	for (i = 0; i < VC_CHANNELS; i++)
		vc_chan_close(&vc->chan[i]);
	/* the basic channel is always open, the ISD selected by default */
	vc->chan[0].open = true;
	vc->chan[0].app = &vc_isd_app;
}

/*
 * Class byte, ISO/IEC 7816-4 clause 5.4.1 and GlobalPlatform 11.1.4:
 *  000x xxxx  first interindustry: b5 chaining, b4-b3 SM, b2-b1 channel 0-3
 *  001x xxxx  reserved
 *  01xx xxxx  further interindustry: b6 SM, b5 chaining, b4-b1 channel 4-19
 *  1000 xxxx ... 1001 xxxx and 11xx xxxx: proprietary, same bits
 *  101x xxxx  not a GlobalPlatform class
 *  1111 1111  invalid
 */
static uint16_t vc_decode_cla(uint8_t cla, struct vc_apdu *a)
{
	if (cla == 0xff)
		return SW_CLA_NOT_SUPP;
	a->proprietary = cla & 0x80;
	if (cla & 0x40) {
		a->channel = 4 + (cla & 0x0f);
		a->sm = cla & 0x20;
		a->chaining = cla & 0x10;
		return 0;
	}
	if (cla & 0x20)
		return SW_CLA_NOT_SUPP;
	a->channel = cla & 0x03;
	a->sm = cla & 0x0c;
	a->chaining = cla & 0x10;
	return 0;
}

uint16_t vc_parse(const uint8_t *cmd, size_t len, bool ext_ok,
		  struct vc_apdu *a)
{
	uint16_t sw;
	size_t nc;

	memset(a, 0, sizeof(*a));
	if (len < 4 || len > VC_CMD_MAX)
		return SW_WRONG_LENGTH;
	a->raw = cmd;
	a->raw_len = len;
	a->cla = cmd[0];
	a->ins = cmd[1];
	a->p1 = cmd[2];
	a->p2 = cmd[3];
	sw = vc_decode_cla(cmd[0], a);
	if (sw)
		return sw;

	if (len == 4) {
		a->apdu_case = 1;
		return 0;
	}
	if (len == 5) {
		a->apdu_case = 2;
		a->ne = cmd[4] ? cmd[4] : 256;
		return 0;
	}
	if (cmd[4]) {
		nc = cmd[4];
		a->nc = nc;
		a->data = cmd + 5;
		if (len == 5 + nc) {
			a->apdu_case = 3;
			return 0;
		}
		if (len == 6 + nc) {
			a->apdu_case = 4;
			a->ne = cmd[len - 1] ? cmd[len - 1] : 256;
			return 0;
		}
		return SW_WRONG_LENGTH;
	}

	/* extended length: 00 and two bytes */
	if (!ext_ok || len < 7)
		return SW_WRONG_LENGTH;
	a->extended = true;
	if (len == 7) {
		a->apdu_case = 2;
		a->ne = (cmd[5] << 8) | cmd[6];
		if (!a->ne)
			a->ne = 65536;
		return 0;
	}
	nc = (cmd[5] << 8) | cmd[6];
	if (!nc)
		return SW_WRONG_LENGTH;
	a->nc = nc;
	a->data = cmd + 7;
	if (len == 7 + nc) {
		a->apdu_case = 3;
		return 0;
	}
	if (len == 9 + nc) {
		a->apdu_case = 4;
		a->ne = (cmd[len - 2] << 8) | cmd[len - 1];
		if (!a->ne)
			a->ne = 65536;
		return 0;
	}
	return SW_WRONG_LENGTH;
}

size_t vc_put_tlv(uint8_t *out, unsigned int tag, const uint8_t *val,
		  size_t len)
{
	size_t n = 0;

	if (tag > 0xff)
		out[n++] = tag >> 8;
	out[n++] = tag & 0xff;
	if (len < 0x80) {
		out[n++] = len;
	} else if (len <= 0xff) {
		out[n++] = 0x81;
		out[n++] = len;
	} else {
		out[n++] = 0x82;
		out[n++] = len >> 8;
		out[n++] = len & 0xff;
	}
	if (len)
		memmove(out + n, val, len);
	return n + len;
}

static size_t vc_sw(uint8_t *rsp, size_t len, uint16_t sw)
{
	rsp[len] = sw >> 8;
	rsp[len + 1] = sw & 0xff;
	return len + 2;
}

static uint16_t vc_sw61(size_t left)
{
	return 0x6100 | ((left >= 256 ? 256 : left) & 0xff);
}

/* A built-in application, or a selectable installed instance (@inst). */
static const struct vc_app *vc_find_app(struct vcard *vc, const uint8_t *aid,
					size_t len, int *inst)
{
	const struct vc_app *app;
	const uint8_t *app_aid;
	size_t app_len, i;
	int n;

	*inst = -1;
	for (i = 0; i < sizeof(vc_apps) / sizeof(vc_apps[0]); i++) {
		app = vc_apps[i];
		if (app == &vc_aram_app && !vc->cfg.ara)
			continue;
		app_aid = app->aid ? app->aid : vc->cfg.isd_aid;
		app_len = app->aid ? app->aid_len : vc->cfg.isd_aid_len;
		if (app_len == len && !memcmp(app_aid, aid, len))
			return app;
	}
	n = vc_find_instance(vc, aid, len);
	if (n < 0)
		return NULL;
	/* INSTALLED is not yet selectable; b8 set is LOCKED */
	if ((vc->st.inst[n].lifecycle & 0x87) != GP_LC_SELECTABLE)
		return NULL;
	*inst = n;
	return vc_type_app(vc->st.inst[n].type);
}

/* MANAGE CHANNEL: 00 70 00 00 01 opens, 00 70 80 NN closes */
static uint16_t vc_manage_channel(struct vcard *vc, const struct vc_apdu *a,
				  struct vc_out *out)
{
	struct vc_chan *origin = &vc->chan[a->channel], *ch;
	unsigned int n;

	if (vc->cfg.no_channels)
		return SW_CHANNEL_NOT_SUPP;
	if (a->apdu_case > 2)
		return SW_WRONG_LENGTH;

	switch (a->p1) {
	case 0x00:	/* open */
		if (a->p2 == 0) {
			if (a->apdu_case != 2)
				return SW_WRONG_LENGTH;
			for (n = 1; n <= vc->cfg.channels; n++)
				if (!vc->chan[n].open)
					break;
			if (n > vc->cfg.channels)
				return SW_FUNC_NOT_SUPP;
			out->buf[0] = n;
			out->len = 1;
		} else {
			n = a->p2;
			if (n > vc->cfg.channels)
				return SW_WRONG_P1P2;
			if (vc->chan[n].open)
				return SW_FUNC_NOT_SUPP;
		}
		ch = &vc->chan[n];
		vc_chan_close(ch);
		ch->open = true;
		/*
		 * GlobalPlatform 11.1.2: opened from the basic channel, the
		 * default application is selected; from another channel, the
		 * application selected there.
		 */
		ch->app = a->channel ? origin->app : &vc_isd_app;
		ch->inst = a->channel ? origin->inst : -1;
		return SW_OK;
	case 0x80:	/* close */
		n = a->p2 ? a->p2 : a->channel;
		if (n == 0 || n >= VC_CHANNELS || !vc->chan[n].open)
			return SW_REF_NOT_FOUND;
		vc_chan_close(&vc->chan[n]);
		return SW_OK;
	default:
		return SW_WRONG_P1P2;
	}
}

/* SELECT by DF name: 00 A4 04 P2 [Lc AID] [Le] */
static uint16_t vc_select(struct vcard *vc, struct vc_chan *ch,
			  const struct vc_apdu *a, struct vc_out *out)
{
	const struct vc_app *app;
	int inst = -1;

	if (a->p1 != 0x04)
		return SW_WRONG_P1P2;
	if (a->p2 & 0xf0)
		return SW_WRONG_P1P2;
	/* b2-b1: first or only / last occurrence; next or previous: none */
	if (a->p2 & 0x02)
		return SW_NOT_FOUND;

	if (a->apdu_case <= 2)
		app = &vc_isd_app;	/* no AID: the default application */
	else
		app = vc_find_app(vc, a->data, a->nc, &inst);
	if (!app)
		return SW_NOT_FOUND;	/* the channel keeps its selection */
	/* GPCS 5.1.1: a locked or terminated card selects only its ISD */
	if (app != &vc_isd_app && (vc->st.card_lc == GP_LC_CARD_LOCKED ||
				   vc->st.card_lc == GP_LC_CARD_TERMINATED))
		return SW_NOT_FOUND;
	/* a new selection ends the secure channel session and the PIN */
	vc_gp_end_session(ch);
	ch->app = app;
	ch->inst = inst;
	ch->pin_ok = false;
	ch->ara_next = 0;
	/* b4-b3: 00 FCI, 01 FCP, 10 FMD (all answered with the FCI), 11 none */
	if ((a->p2 & 0x0c) != 0x0c && app->fci)
		out->len = app->fci(vc, ch, out->buf);
	return SW_OK;
}

/* GET RESPONSE: 00 C0 00 00 Le */
static size_t vc_get_response(struct vc_chan *ch, const struct vc_apdu *a,
			      uint8_t *rsp)
{
	size_t left = ch->pend_len - ch->pend_off, n;

	if (a->apdu_case != 2)
		return vc_sw(rsp, 0, SW_WRONG_LENGTH);
	if (a->p1 || a->p2)
		return vc_sw(rsp, 0, SW_WRONG_P1P2);
	if (!left)
		return vc_sw(rsp, 0, SW_COND_NOT_SATISFIED);
	n = a->ne < left ? a->ne : left;
	memcpy(rsp, ch->pend + ch->pend_off, n);
	ch->pend_off += n;
	left -= n;
	if (!left) {
		ch->pend_len = 0;
		ch->pend_off = 0;
	}
	return vc_sw(rsp, n, left ? vc_sw61(left) : SW_OK);
}

/* Keep @len bytes of @data for GET RESPONSE; answer 61xx. */
static size_t vc_defer(struct vc_chan *ch, const uint8_t *data, size_t len,
		       uint8_t *rsp)
{
	if (!ch->pend) {
		ch->pend = malloc(VC_DATA_MAX);
		if (!ch->pend)
			return vc_sw(rsp, 0, 0x6f00);	/* no memory */
	}
	memmove(ch->pend, data, len);
	ch->pend_len = len;
	ch->pend_off = 0;
	return vc_sw(rsp, 0, vc_sw61(len));
}

static size_t vcard_apdu_one(struct vcard *vc, const uint8_t *cmd,
			     size_t len, uint8_t *rsp)
{
	const struct vc_app *app = NULL;
	struct vc_out out = { .buf = rsp };
	struct vc_apdu a;
	struct vc_chan *ch;
	bool to_gp;
	uint16_t sw;

	sw = vc_parse(cmd, len, vc->cfg.extended, &a);
	if (sw)
		return vc_sw(rsp, 0, sw);
	ch = &vc->chan[a.channel];
	if (!ch->open)
		return vc_sw(rsp, 0, SW_CHANNEL_NOT_SUPP);
	ch->count++;

	if (!a.proprietary && a.ins == 0xc0 && !a.sm && !a.chaining)
		return vc_get_response(ch, &a, rsp);
	/* any other command on the channel drops data not fetched */
	ch->pend_len = 0;
	ch->pend_off = 0;

	/* the ISD takes everything but SELECT and MANAGE CHANNEL itself */
	to_gp = ch->app && ch->app->gp &&
		!(!a.proprietary && (a.ins == 0x70 || a.ins == 0xa4));
	if (a.sm && !to_gp)
		return vc_sw(rsp, 0, SW_SM_NOT_SUPP);
	if (a.chaining)
		return vc_sw(rsp, 0, SW_CHAINING_NOT_SUPP);

	/*
	 * GET DATA goes to the selected application like any command: the
	 * ISD's data (CPLC, IIN, ...) only while the ISD is selected on the
	 * channel, as on a real card; an application answers for itself.
	 */
	if (to_gp) {
		/* the ISD: secure messaging, GET DATA and GP commands */
		app = ch->app;
		sw = app->process(vc, ch, &a, &out);
	} else if (!a.proprietary && a.ins == 0x70) {
		sw = vc_manage_channel(vc, &a, &out);
	} else if (!a.proprietary && a.ins == 0xa4) {
		sw = vc_select(vc, ch, &a, &out);
	} else {
		app = ch->app;
		if (!app || !app->process)
			return vc_sw(rsp, 0, SW_COND_NOT_SATISFIED);
		sw = app->process(vc, ch, &a, &out);
	}

	if (sw != SW_OK || !out.len)
		return vc_sw(rsp, out.len, sw);
	/*
	 * A response longer than Ne is cut to Ne; no Le: all of it.  A
	 * protected one is never cut, which would cut off its R-MAC: the
	 * command has run and the session has moved on, so the whole
	 * answer waits for GET RESPONSE (61xx).  6Cxx would have the host
	 * send the same MACed command again, which the card must refuse.
	 */
	if (!out.via_61 && a.ne && out.len > a.ne) {
		if (a.sm)
			return vc_defer(ch, out.buf, out.len, rsp);
		out.len = a.ne;
	}
	if (out.via_61 || (app && app->force_61 && vc->cfg.force_61) ||
	    out.len > (vc->cfg.extended ? VC_DATA_MAX : 256))
		return vc_defer(ch, out.buf, out.len, rsp);
	return vc_sw(rsp, out.len, SW_OK);
}

int vc_commit(struct vcard *vc)
{
	int ret;

	if (!vc->state_path || !memcmp(&vc->saved, &vc->st, sizeof(vc->st)))
		return 0;
	ret = vc_state_save(vc);
	if (ret < 0) {
		/*
		 * The file may hold the new content after all when only the
		 * directory sync failed: write the old one back, best effort,
		 * so that memory and file agree as far as can be.
		 */
		vc->st = vc->saved;
		vc_state_save(vc);
		return ret;
	}
	vc->saved = vc->st;
	return 0;
}

size_t vcard_apdu(struct vcard *vc, const uint8_t *cmd, size_t len,
		  uint8_t *rsp)
{
	struct vc_apdu a;
	struct vc_chan *ch;
	size_t n;

	/*
	 * Every command is a transaction on the card's content: when it
	 * changed, the state file is rewritten before the answer goes out;
	 * when that fails, the change is undone and the answer is 6581.
	 */
	n = vcard_apdu_one(vc, cmd, len, rsp);
	if (!vc_commit(vc))
		return n;
	/*
	 * What the channel holds beside the content must not outlive the
	 * undone change: a secure channel session begun on a sequence
	 * counter the file never got (it would be counted again after a
	 * restart: the same card challenge twice), a PIN verified against
	 * a try counter that was not saved.
	 */
	if (!vc_parse(cmd, len, vc->cfg.extended, &a)) {
		ch = &vc->chan[a.channel];
		vc_gp_end_session(ch);
		ch->pin_ok = false;
	}
	return vc_sw(rsp, 0, SW_MEMORY_FAILURE);
}
