// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vcard - GlobalPlatform in the issuer security domain:
 *
 *   80 50  INITIALIZE UPDATE    SCP03, pseudo-random card challenge (i=70)
 *   84 82  EXTERNAL AUTHENTICATE security level 00 01 03 11 13 33
 *   80 CA  GET DATA             also key information (00E0)
 *   80 F2  GET STATUS           E3 format, 6310 paging
 *   80 E6  INSTALL              [for load], [for install], [for make
 *                               selectable], and both
 *   80 E8  LOAD                 blocks numbered from 0, P1 80 on the last
 *   80 E4  DELETE               object, or object and related objects
 *   80 D8  PUT KEY              add or replace an AES key set
 *   80 F0  SET STATUS           lock and unlock an application
 *
 * One secure channel session per logical channel.  After EXTERNAL
 * AUTHENTICATE every command to the ISD on that channel is unwrapped
 * (C-MAC, C-DECRYPTION) and every answer wrapped (R-ENCRYPTION, R-MAC)
 * as the security level says; a MAC that does not verify, or a command
 * without secure messaging, gets 6982 and ends the session.  Card content
 * management needs an authenticated session.  A load is kept apart until
 * its last block is in and checked: a load broken off leaves nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "card.h"

#define VC_STATUS_PAGE	200	/* GET STATUS data per answer, so that an
				 * R-ENC/R-MAC answer fits 256 bytes */

/* GlobalPlatform's published test key, 40 41 .. 4F, key version 30 */
void vc_gp_defaults(struct vc_persist *st)
{
	struct gp_keyset *ks = &st->keys[0];
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->card_lc = GP_LC_CARD_SECURED;
	ks->kvn = 0x30;
	ks->len = 16;
	for (i = 0; i < 16; i++) {
		ks->enc[i] = 0x40 + i;
		ks->mac[i] = 0x40 + i;
		ks->dek[i] = 0x40 + i;
	}
}

void vc_gp_end_session(struct vc_chan *ch)
{
	memset(&ch->scp, 0, sizeof(ch->scp));
	ch->scp_begun = false;
	free(ch->load.buf);
	memset(&ch->load, 0, sizeof(ch->load));
	ch->status_p1 = 0;
	ch->status_next = 0;
}

static void vc_load_abort(struct vc_chan *ch)
{
	free(ch->load.buf);
	memset(&ch->load, 0, sizeof(ch->load));
}

int vc_find_instance(const struct vcard *vc, const uint8_t *aid, size_t len)
{
	const struct vc_inst *in;
	int i;

	for (i = 0; i < VC_INSTANCES; i++) {
		in = &vc->st.inst[i];
		if (in->used && in->aid_len == len && !memcmp(in->aid, aid, len))
			return i;
	}
	return -1;
}

static int vc_find_elf(const struct vcard *vc, const uint8_t *aid,
		       size_t len)
{
	const struct vc_elf *e;
	int i;

	for (i = 0; i < VC_ELFS; i++) {
		e = &vc->st.elf[i];
		if (e->used && e->aid_len == len && !memcmp(e->aid, aid, len))
			return i;
	}
	return -1;
}

/*
 * Is @aid taken on the card?  Load files, modules and applications have
 * AIDs unique on the card, except that an application may carry the AID
 * of the module it was installed from (@app).
 */
static bool vc_aid_taken(const struct vcard *vc, const uint8_t *aid,
			 size_t len, bool app)
{
	const struct vc_elf *e;
	int i;

	if (len == vc->cfg.isd_aid_len && !memcmp(aid, vc->cfg.isd_aid, len))
		return true;
	if (len == VC_TEST_AID_LEN && !memcmp(aid, VC_TEST_AID, len))
		return true;
	if (vc_find_instance(vc, aid, len) >= 0 ||
	    vc_find_elf(vc, aid, len) >= 0)
		return true;
	for (i = 0; i < VC_ELFS && !app; i++) {
		e = &vc->st.elf[i];
		if (e->used && e->module_len == len &&
		    !memcmp(e->module, aid, len))
			return true;
	}
	return false;
}

static bool vc_inst_selected(const struct vcard *vc, int inst)
{
	unsigned int i;

	for (i = 0; i < VC_CHANNELS; i++)
		if (vc->chan[i].open && vc->chan[i].inst == inst)
			return true;
	return false;
}

/* E0 { C0 04 id kvn 88 len, ... } for the three keys of each key set */
size_t vc_key_info(const struct vcard *vc, uint8_t *out)
{
	uint8_t in[VC_KEYSETS * 3 * 6], *p = in;
	const struct gp_keyset *ks;
	unsigned int i, id;

	for (i = 0; i < VC_KEYSETS; i++) {
		ks = &vc->st.keys[i];
		if (!ks->kvn)
			continue;
		for (id = 1; id <= 3; id++) {
			*p++ = 0xc0;
			*p++ = 0x04;
			*p++ = id;
			*p++ = ks->kvn;
			*p++ = 0x88;		/* AES */
			*p++ = ks->len;
		}
	}
	return vc_put_tlv(out, 0xe0, in, p - in);
}

static int vc_keyset_index(const struct vcard *vc, uint8_t kvn)
{
	unsigned int i;

	for (i = 0; i < VC_KEYSETS; i++) {
		if (!vc->st.keys[i].kvn)
			continue;
		if (!kvn || vc->st.keys[i].kvn == kvn)
			return i;
	}
	return -1;
}

static struct gp_keyset *vc_keyset(struct vcard *vc, uint8_t kvn)
{
	unsigned int i;

	for (i = 0; i < VC_KEYSETS; i++) {
		if (!vc->st.keys[i].kvn)
			continue;
		/* key version 00: the first key set */
		if (!kvn || vc->st.keys[i].kvn == kvn)
			return &vc->st.keys[i];
	}
	return NULL;
}

/* 80 50 KVN 00 08 host-challenge 00 */
static uint16_t vc_init_update(struct vcard *vc, struct vc_chan *ch,
			       const struct vc_apdu *a, struct vc_out *out)
{
	uint8_t seq[SCP03_SEQ], chal[SCP03_CHALLENGE], div[10];
	const struct gp_keyset *ks;
	uint32_t *ctr;
	size_t n;
	int k;

	vc_gp_end_session(ch);
	if (a->p2)
		return SW_WRONG_P1P2;
	if (a->apdu_case < 3 || a->nc != SCP03_CHALLENGE)
		return SW_WRONG_LENGTH;
	k = vc_keyset_index(vc, a->p1);
	if (k < 0)
		return SW_REF_NOT_FOUND;
	ks = &vc->st.keys[k];
	/* Amendment D: one sequence counter per key set */
	ctr = &vc->st.keyseq[k];
	if (*ctr >= 0xffffff)
		return SW_COND_NOT_SATISFIED;	/* counter used up */
	++*ctr;
	seq[0] = *ctr >> 16;
	seq[1] = *ctr >> 8;
	seq[2] = *ctr;
	/* key diversification data: the last 10 bytes of the CIN, if any */
	memset(div, 0, sizeof(div));
	n = vc->cfg.cin.len < 10 ? vc->cfg.cin.len : 10;
	memcpy(div + 10 - n, vc->cfg.cin.val + vc->cfg.cin.len - n, n);
	if (scp03_card_challenge(ks, seq, vc->cfg.isd_aid,
				 vc->cfg.isd_aid_len, chal) ||
	    scp03_card_begin(&ch->scp, ks, SCP03_I_PSEUDO | SCP03_I_RMAC |
			     SCP03_I_RENC, div, a->data, chal, seq, out->buf,
			     &out->len))
		return SW_MEMORY_FAILURE;
	ch->scp_begun = true;
	return SW_OK;
}

static uint16_t vc_ext_auth(struct vc_chan *ch, const struct vc_apdu *a)
{
	int ret;

	if (!ch->scp_begun || ch->scp.authenticated) {
		vc_gp_end_session(ch);
		return SW_COND_NOT_SATISFIED;
	}
	/* Amendment D 7.1.2: P2 is 00, reference control parameter */
	if (a->p2) {
		vc_gp_end_session(ch);
		return SW_WRONG_P1P2;
	}
	ret = scp03_card_ext_auth(&ch->scp, a->raw, a->raw_len);
	if (ret) {
		vc_gp_end_session(ch);
		if (ret == -EACCES)
			return SW_AUTH_FAILED;	/* host cryptogram */
		if (ret == -EINVAL)
			return a->raw_len == 21 ? SW_WRONG_P1P2 :
			       SW_WRONG_LENGTH;
		return SW_SECURITY;
	}
	return SW_OK;
}

/* Append one GET STATUS entry (E3) for the ISD, an app or a load file. */
static size_t vc_status_entry(const struct vcard *vc, uint8_t p1, int idx,
			      uint8_t *out)
{
	static const uint8_t isd_privs[3] = { 0x9e, 0xfe, 0x80 };
	static const uint8_t no_privs[3];
	uint8_t in[128], lc;
	size_t n = 0;
	const struct vc_inst *in_;
	const struct vc_elf *e;

	if (p1 == GP_STATUS_ISD) {
		n += vc_put_tlv(in + n, 0x4f, vc->cfg.isd_aid,
				vc->cfg.isd_aid_len);
		n += vc_put_tlv(in + n, 0x9f70, &vc->st.card_lc, 1);
		n += vc_put_tlv(in + n, 0xc5, isd_privs, 3);
	} else if (p1 == GP_STATUS_APPS && idx < 0) {
		/* the built-in test applet */
		lc = GP_LC_SELECTABLE;
		n += vc_put_tlv(in + n, 0x4f, (const uint8_t *)VC_TEST_AID,
				VC_TEST_AID_LEN);
		n += vc_put_tlv(in + n, 0x9f70, &lc, 1);
		n += vc_put_tlv(in + n, 0xc5, no_privs, 3);
	} else if (p1 == GP_STATUS_APPS) {
		in_ = &vc->st.inst[idx];
		e = &vc->st.elf[in_->elf];
		n += vc_put_tlv(in + n, 0x4f, in_->aid, in_->aid_len);
		n += vc_put_tlv(in + n, 0x9f70, &in_->lifecycle, 1);
		n += vc_put_tlv(in + n, 0xc5, in_->privs, 3);
		n += vc_put_tlv(in + n, 0xc4, e->aid, e->aid_len);
	} else {
		e = &vc->st.elf[idx];
		lc = GP_LC_LOADED;
		n += vc_put_tlv(in + n, 0x4f, e->aid, e->aid_len);
		n += vc_put_tlv(in + n, 0x9f70, &lc, 1);
		n += vc_put_tlv(in + n, 0xce, e->version, 2);
		if (p1 == GP_STATUS_MODULES)
			n += vc_put_tlv(in + n, 0x84, e->module, e->module_len);
	}
	return vc_put_tlv(out, 0xe3, in, n);
}

/* The objects GET STATUS @p1 walks: -1 is the test applet among apps. */
static bool vc_status_object(const struct vcard *vc, uint8_t p1, int idx,
			     const uint8_t *prefix, size_t plen)
{
	const uint8_t *aid;
	size_t len;

	if (p1 == GP_STATUS_ISD) {
		aid = vc->cfg.isd_aid;
		len = vc->cfg.isd_aid_len;
	} else if (p1 == GP_STATUS_APPS && idx < 0) {
		aid = (const uint8_t *)VC_TEST_AID;
		len = VC_TEST_AID_LEN;
	} else if (p1 == GP_STATUS_APPS) {
		if (!vc->st.inst[idx].used)
			return false;
		aid = vc->st.inst[idx].aid;
		len = vc->st.inst[idx].aid_len;
	} else {
		if (!vc->st.elf[idx].used)
			return false;
		aid = vc->st.elf[idx].aid;
		len = vc->st.elf[idx].aid_len;
	}
	return len >= plen && !memcmp(aid, prefix, plen);
}

/* 80 F2 P1 P2 Lc 4F len prefix [Le]; P2 02 first, 03 next */
static uint16_t vc_get_status(struct vcard *vc, struct vc_chan *ch,
			      const struct vc_apdu *a, struct vc_out *out)
{
	uint8_t entry[160];
	const uint8_t *prefix;
	size_t plen, n;
	int first, last, idx;
	bool any = false;
	struct gp_tlv t;

	if (a->p1 != GP_STATUS_ISD && a->p1 != GP_STATUS_APPS &&
	    a->p1 != GP_STATUS_LOADFILES && a->p1 != GP_STATUS_MODULES)
		return SW_WRONG_P1P2;
	if (a->p2 != 0x02 && a->p2 != 0x03)
		return SW_WRONG_P1P2;	/* only the E3 (TLV) format */
	if (a->apdu_case < 3 ||
	    gp_tlv_find(a->data, a->nc, 0x4f, &t) != 1 || t.len > VC_AID_MAX)
		return SW_WRONG_DATA;
	prefix = t.val;
	plen = t.len;
	if (a->p2 == 0x03 && (ch->status_p1 != a->p1 || !ch->status_next))
		return SW_COND_NOT_SATISFIED;	/* no earlier 6310 */
	if (a->p2 == 0x02)
		ch->status_next = 0;

	first = a->p1 == GP_STATUS_APPS ? -1 : 0;
	last = a->p1 == GP_STATUS_ISD ? 0 :
	       a->p1 == GP_STATUS_APPS ? VC_INSTANCES - 1 : VC_ELFS - 1;
	/* status_next counts the objects already sent (+1 when any) */
	idx = first + (int)(ch->status_next ? ch->status_next - 1 : 0);
	out->len = 0;
	for (; idx <= last; idx++) {
		if (!vc_status_object(vc, a->p1, idx, prefix, plen))
			continue;
		any = true;
		n = vc_status_entry(vc, a->p1, idx, entry);
		if (out->len + n > VC_STATUS_PAGE) {
			ch->status_p1 = a->p1;
			ch->status_next = idx - first + 1;
			return SW_MORE_DATA;
		}
		memcpy(out->buf + out->len, entry, n);
		out->len += n;
	}
	ch->status_p1 = 0;
	ch->status_next = 0;
	if (!any && a->p2 == 0x02)
		return SW_REF_NOT_FOUND;
	return SW_OK;
}

/* Length-value fields of INSTALL: returns 0, or -1 when they overrun. */
static int vc_lv(const uint8_t **p, const uint8_t *end, const uint8_t **v,
		 size_t *len)
{
	if (*p >= end || (size_t)(end - *p) < 1u + **p)
		return -1;
	*len = **p;
	*v = *p + 1;
	*p += 1 + *len;
	return 0;
}

/* vc_install() has checked that there is data (case 3 or 4) */
static uint16_t vc_install_load(struct vcard *vc, struct vc_chan *ch,
				const struct vc_apdu *a)
{
	const uint8_t *p = a->data, *end = a->data + a->nc;
	const uint8_t *aid, *sd, *hash, *params, *token;
	size_t aid_len, sd_len, hash_len, params_len, token_len;

	if (vc_lv(&p, end, &aid, &aid_len) || vc_lv(&p, end, &sd, &sd_len) ||
	    vc_lv(&p, end, &hash, &hash_len) ||
	    vc_lv(&p, end, &params, &params_len) ||
	    vc_lv(&p, end, &token, &token_len) || p != end)
		return SW_WRONG_DATA;
	if (aid_len < VC_AID_MIN || aid_len > VC_AID_MAX)
		return SW_WRONG_DATA;
	if (sd_len && (sd_len != vc->cfg.isd_aid_len ||
		       memcmp(sd, vc->cfg.isd_aid, sd_len)))
		return SW_REF_NOT_FOUND;	/* only the ISD loads */
	if (hash_len && hash_len != 32)
		return SW_WRONG_DATA;		/* SHA-256 only */
	if (token_len)
		return SW_WRONG_DATA;		/* no delegated management */
	if (vc_aid_taken(vc, aid, aid_len, false))
		return SW_COND_NOT_SATISFIED;
	vc_load_abort(ch);
	ch->load.buf = malloc(GP_LF_MAX + 8);
	if (!ch->load.buf)
		return SW_MEMORY_FAILURE;
	ch->load.active = true;
	memcpy(ch->load.aid, aid, aid_len);
	ch->load.aid_len = aid_len;
	ch->load.has_hash = hash_len == 32;
	if (hash_len)
		memcpy(ch->load.hash, hash, 32);
	return SW_OK;
}

/* The last block is in: check it all, then make it a load file. */
static uint16_t vc_load_finish(struct vcard *vc, struct vc_load *ld)
{
	uint8_t digest[32];
	struct gp_loadfile lf;
	struct vc_elf *e = NULL;
	struct gp_tlv t;
	const char *why;
	size_t off = 0;
	uint8_t type;
	int i;

	if (gp_tlv_next(ld->buf, ld->len, &off, &t) != 1 || t.tag != 0xc4 ||
	    off != ld->len)
		return SW_WRONG_DATA;	/* not one C4 spanning all blocks */
	if (ld->has_hash) {
		if (EVP_Digest(t.val, t.len, digest, NULL, EVP_sha256(),
			       NULL) != 1)
			return SW_MEMORY_FAILURE;
		if (memcmp(digest, ld->hash, 32))
			return SW_WRONG_DATA;
	}
	if (gp_lf_parse(t.val, t.len, &lf, &why))
		return SW_WRONG_DATA;
	if (lf.aid_len != ld->aid_len || memcmp(lf.aid, ld->aid, lf.aid_len))
		return SW_WRONG_DATA;	/* not what INSTALL announced */
	type = vc_type_by_name(lf.type);
	if (!type)
		return SW_FUNC_NOT_SUPP;	/* no such native type here */
	if (lf.module_len == lf.aid_len &&
	    !memcmp(lf.module, lf.aid, lf.aid_len))
		return SW_WRONG_DATA;
	/* another channel may have loaded the same AIDs meanwhile */
	if (vc_aid_taken(vc, lf.aid, lf.aid_len, false) ||
	    vc_aid_taken(vc, lf.module, lf.module_len, false))
		return SW_COND_NOT_SATISFIED;
	for (i = 0; i < VC_ELFS; i++)
		if (!vc->st.elf[i].used) {
			e = &vc->st.elf[i];
			break;
		}
	if (!e)
		return SW_NO_SPACE;
	memset(e, 0, sizeof(*e));
	e->used = true;
	memcpy(e->aid, lf.aid, lf.aid_len);
	e->aid_len = lf.aid_len;
	memcpy(e->version, lf.version, 2);
	e->type = type;
	memcpy(e->module, lf.module, lf.module_len);
	e->module_len = lf.module_len;
	return SW_OK;
}

/* 80 E8 P1 (00 more, 80 last) P2 block-number Lc data */
static uint16_t vc_load(struct vcard *vc, struct vc_chan *ch,
			const struct vc_apdu *a, struct vc_out *out)
{
	struct vc_load *ld = &ch->load;
	uint16_t sw;

	if (!ld->active)
		return SW_COND_NOT_SATISFIED;	/* no INSTALL [for load] */
	/* any fault ends the load: it starts again with INSTALL */
	if ((a->p1 & 0x7f) || a->p2 != ld->next) {
		vc_load_abort(ch);
		return SW_WRONG_P1P2;
	}
	if (a->apdu_case < 3) {
		vc_load_abort(ch);
		return SW_WRONG_LENGTH;
	}
	if (a->nc > GP_LF_MAX + 8 - ld->len) {
		vc_load_abort(ch);
		return SW_NO_SPACE;
	}
	memcpy(ld->buf + ld->len, a->data, a->nc);
	ld->len += a->nc;
	ld->next++;
	if (!(a->p1 & 0x80)) {
		if (ld->next > 255) {
			vc_load_abort(ch);
			return SW_WRONG_P1P2;
		}
		/* GPCS 11.6.3.1: every block is answered 00, no receipt */
		out->buf[0] = 0x00;
		out->len = 1;
		return SW_OK;
	}
	sw = vc_load_finish(vc, ld);
	vc_load_abort(ch);
	if (sw == SW_OK) {
		out->buf[0] = 0x00;	/* no receipt */
		out->len = 1;
	}
	return sw;
}

/*
 * INSTALL [for install] and/or [for make selectable] (P1 04, 08, 0C);
 * vc_install() has checked that there is data.
 */
static uint16_t vc_install_app(struct vcard *vc, const struct vc_apdu *a)
{
	const uint8_t *p = a->data, *end = a->data + a->nc;
	const uint8_t *elf_aid, *mod, *aid, *privs, *params, *token;
	size_t elf_len, mod_len, aid_len, privs_len, params_len, token_len;
	struct vc_inst *in = NULL, tmp;
	struct gp_tlv t;
	uint16_t sw;
	int elf, i;

	if (vc_lv(&p, end, &elf_aid, &elf_len) ||
	    vc_lv(&p, end, &mod, &mod_len) || vc_lv(&p, end, &aid, &aid_len) ||
	    vc_lv(&p, end, &privs, &privs_len) ||
	    vc_lv(&p, end, &params, &params_len) ||
	    vc_lv(&p, end, &token, &token_len) || p != end)
		return SW_WRONG_DATA;
	if (aid_len < VC_AID_MIN || aid_len > VC_AID_MAX ||
	    (privs_len != 1 && privs_len != 3) || token_len)
		return SW_WRONG_DATA;

	if (a->p1 == 0x08) {
		/* make an installed application selectable */
		i = vc_find_instance(vc, aid, aid_len);
		if (i < 0)
			return SW_REF_NOT_FOUND;
		if (vc->st.inst[i].lifecycle != GP_LC_INSTALLED)
			return SW_COND_NOT_SATISFIED;
		vc->st.inst[i].lifecycle = GP_LC_SELECTABLE;
		return SW_OK;
	}

	elf = vc_find_elf(vc, elf_aid, elf_len);
	if (elf < 0)
		return SW_REF_NOT_FOUND;
	if (mod_len != vc->st.elf[elf].module_len ||
	    memcmp(mod, vc->st.elf[elf].module, mod_len))
		return SW_REF_NOT_FOUND;
	/*
	 * Privileges (GPCS table 11-7) are recorded and listed by GET
	 * STATUS; native applications use none of them, and default
	 * selection stays with the ISD.  Security domain privileges make
	 * no sense for them: refused.
	 */
	if (privs[0] & 0x80)
		return SW_WRONG_DATA;
	if (vc_aid_taken(vc, aid, aid_len, true))
		return SW_COND_NOT_SATISFIED;
	/* parameters: C9 with the application's own, possibly empty */
	if (gp_tlv_find(params, params_len, 0xc9, &t) != 1)
		return SW_WRONG_DATA;
	for (i = 0; i < VC_INSTANCES; i++)
		if (!vc->st.inst[i].used) {
			in = &vc->st.inst[i];
			break;
		}
	if (!in)
		return SW_NO_SPACE;

	memset(&tmp, 0, sizeof(tmp));
	tmp.type = vc->st.elf[elf].type;
	sw = vc_app_install(&tmp, t.val, t.len);
	if (sw != SW_OK)
		return sw;
	tmp.used = true;
	memcpy(tmp.aid, aid, aid_len);
	tmp.aid_len = aid_len;
	tmp.elf = elf;
	tmp.lifecycle = a->p1 == 0x04 ? GP_LC_INSTALLED : GP_LC_SELECTABLE;
	memcpy(tmp.privs, privs, privs_len);
	*in = tmp;
	return SW_OK;
}

/*
 * 80 E6 P1 00.  Success answers the one byte 00, "no additional data"
 * (GlobalPlatform Card Specification 11.5.3): this card has no
 * delegated management, so never a receipt.
 */
static uint16_t vc_install(struct vcard *vc, struct vc_chan *ch,
			   const struct vc_apdu *a, struct vc_out *out)
{
	uint16_t sw;

	if (a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (a->apdu_case < 3)
		return SW_WRONG_LENGTH;
	switch (a->p1) {
	case 0x02:
		sw = vc_install_load(vc, ch, a);
		break;
	case 0x04:
	case 0x08:
	case 0x0c:
		sw = vc_install_app(vc, a);
		break;
	default:
		return SW_WRONG_P1P2;	/* personalization, extradition, ... */
	}
	if (sw == SW_OK) {
		out->buf[0] = 0x00;
		out->len = 1;
	}
	return sw;
}

/*
 * DELETE of a key set: D2 01 KVN (GPCS 11.2.2.3; no D0: the whole key
 * set).  The last key set stays: without it the card could never be
 * managed again.
 */
static uint16_t vc_delete_key(struct vcard *vc, const struct vc_apdu *a,
			      struct vc_out *out)
{
	struct gp_tlv t;
	unsigned int i, left = 0;
	int k;

	if (gp_tlv_find(a->data, a->nc, 0xd2, &t) != 1 || t.len != 1 ||
	    gp_tlv_find(a->data, a->nc, 0xd0, &t) == 1)
		return SW_WRONG_DATA;
	gp_tlv_find(a->data, a->nc, 0xd2, &t);
	k = t.val[0] ? vc_keyset_index(vc, t.val[0]) : -1;
	if (k < 0)
		return SW_REF_NOT_FOUND;
	for (i = 0; i < VC_KEYSETS; i++)
		left += !!vc->st.keys[i].kvn;
	if (left < 2)
		return SW_COND_NOT_SATISFIED;
	memset(&vc->st.keys[k], 0, sizeof(vc->st.keys[k]));
	vc->st.keyseq[k] = 0;
	out->buf[0] = 0x00;
	out->len = 1;
	return SW_OK;
}

/* 80 E4 00 P2 Lc 4F len AID: P2 00 the object, 80 with related objects */
static uint16_t vc_delete(struct vcard *vc, const struct vc_apdu *a,
			  struct vc_out *out)
{
	struct gp_tlv t;
	int i, elf;

	if (a->p1 || (a->p2 != 0x00 && a->p2 != 0x80))
		return SW_WRONG_P1P2;
	if (a->apdu_case >= 3 && a->nc && a->data[0] == 0xd2)
		return a->p2 ? SW_WRONG_P1P2 : vc_delete_key(vc, a, out);
	if (a->apdu_case < 3 || gp_tlv_find(a->data, a->nc, 0x4f, &t) != 1 ||
	    t.len < VC_AID_MIN || t.len > VC_AID_MAX)
		return SW_WRONG_DATA;
	if ((t.len == vc->cfg.isd_aid_len &&
	     !memcmp(t.val, vc->cfg.isd_aid, t.len)) ||
	    (t.len == VC_TEST_AID_LEN && !memcmp(t.val, VC_TEST_AID, t.len)))
		return SW_COND_NOT_SATISFIED;	/* built into the card */

	i = vc_find_instance(vc, t.val, t.len);
	if (i >= 0) {
		if (vc_inst_selected(vc, i))
			return SW_COND_NOT_SATISFIED;
		memset(&vc->st.inst[i], 0, sizeof(vc->st.inst[i]));
		goto done;
	}
	elf = vc_find_elf(vc, t.val, t.len);
	if (elf < 0)
		return SW_REF_NOT_FOUND;
	/* instances of the load file: refused, or deleted with it */
	for (i = 0; i < VC_INSTANCES; i++) {
		if (!vc->st.inst[i].used || vc->st.inst[i].elf != elf)
			continue;
		if (a->p2 != 0x80 || vc_inst_selected(vc, i))
			return SW_COND_NOT_SATISFIED;
	}
	for (i = 0; i < VC_INSTANCES; i++)
		if (vc->st.inst[i].used && vc->st.inst[i].elf == elf)
			memset(&vc->st.inst[i], 0, sizeof(vc->st.inst[i]));
	memset(&vc->st.elf[elf], 0, sizeof(vc->st.elf[elf]));
done:
	out->buf[0] = 0x00;	/* no receipt */
	out->len = 1;
	return SW_OK;
}

/*
 * 80 D8 P1 (key version to replace, 00 to add) 81 Lc new-kvn
 * { 88 L len encrypted-key 03 KCV } x 3, the keys encrypted under the DEK
 * of the session's key set (Amendment D 7.2.3).
 */
static uint16_t vc_put_key(struct vcard *vc, struct vc_chan *ch,
			   const struct vc_apdu *a, struct vc_out *out)
{
	static const uint8_t zero[SCP03_BLOCK];
	struct gp_keyset ks, *slot = NULL;
	uint8_t *keys[3] = { ks.enc, ks.mac, ks.dek }, kcv[3];
	uint8_t clear[SCP03_KEY_MAX];
	size_t klen, blen;
	const uint8_t *p, *end;
	unsigned int i;

	if ((a->p2 & 0x7f) != 0x01 || a->p1 > 0x7f)
		return SW_WRONG_P1P2;
	/* cases 1 and 2 have no data: a->data is NULL, no pointer sums */
	if (a->apdu_case < 3 || a->nc < 1 + 3)
		return SW_WRONG_DATA;
	/* the new keys' length, from the first key's length byte */
	klen = a->data[3];
	if (klen != 16 && klen != 24 && klen != 32)
		return SW_WRONG_DATA;
	blen = (klen + SCP03_BLOCK - 1) / SCP03_BLOCK * SCP03_BLOCK;
	if (a->nc != 1 + 3 * (3 + blen + 4))
		return SW_WRONG_DATA;
	p = a->data;
	end = a->data + a->nc;
	memset(&ks, 0, sizeof(ks));
	ks.kvn = *p++;
	ks.len = klen;
	if (!ks.kvn || ks.kvn > 0x7f)
		return SW_WRONG_DATA;
	out->buf[0] = ks.kvn;
	/*
	 * Amendment D 7.2.3, table 7-10: 88 (AES), the length of what
	 * follows, the key's length, the key encrypted under the DEK in
	 * whole blocks (an AES-192 key padded to 32 bytes), 03 and the KCV.
	 */
	for (i = 0; i < 3; i++) {
		if (p[0] != 0x88 || p[1] != 1 + blen || p[2] != klen ||
		    p[3 + blen] != 3)
			return SW_WRONG_DATA;
		if (gp_aes_cbc(ch->scp.dek, ch->scp.klen, false, zero, p + 3,
			       blen, clear) ||
		    gp_kcv(clear, klen, kcv))
			return SW_MEMORY_FAILURE;
		memcpy(keys[i], clear, klen);
		/* GPCS 11.8.2.3: a key check value that does not match */
		if (memcmp(kcv, p + 4 + blen, 3))
			return SW_SECURITY;
		memcpy(out->buf + 1 + 3 * i, kcv, 3);
		p += 4 + blen + 3;
	}
	memset(clear, 0, sizeof(clear));
	if (p != end)
		return SW_WRONG_DATA;
	if (a->p1) {
		slot = vc_keyset(vc, a->p1);
		if (!slot || slot->kvn != a->p1)
			return SW_REF_NOT_FOUND;
		if (ks.kvn != a->p1 && vc_keyset(vc, ks.kvn) &&
		    vc_keyset(vc, ks.kvn)->kvn == ks.kvn)
			return SW_WRONG_DATA;	/* would be there twice */
	} else {
		if (vc_keyset(vc, ks.kvn) && vc_keyset(vc, ks.kvn)->kvn == ks.kvn)
			return SW_WRONG_DATA;
		for (i = 0; i < VC_KEYSETS; i++)
			if (!vc->st.keys[i].kvn) {
				slot = &vc->st.keys[i];
				break;
			}
		if (!slot)
			return SW_NO_SPACE;
	}
	*slot = ks;
	/* a key set created or replaced counts its sessions from zero */
	vc->st.keyseq[slot - vc->st.keys] = 0;
	out->len = 10;
	return SW_OK;
}

/*
 * SET STATUS (GPCS 11.10): 80 F0 P1 P2 [Lc AID], the AID plain.
 *  P1 40: an application; P2 80 locks it (life cycle b8), 00 unlocks it.
 *    A locked application cannot be selected; one selected somewhere is
 *    not locked under its users.
 *  P1 80: the card (the ISD's AID or no data); P2 the new life cycle:
 *    7F CARD_LOCKED (only the ISD selectable), 0F back to SECURED from
 *    CARD_LOCKED, FF TERMINATED (only GET DATA answered, for good).
 * A transition to the state the object is in is refused (6985).
 */
static uint16_t vc_set_status(struct vcard *vc, const struct vc_apdu *a)
{
	uint8_t lc = vc->st.card_lc;
	struct vc_inst *in;
	int i;

	if (a->p1 == 0x80) {
		if (a->apdu_case >= 3 &&
		    (a->nc != vc->cfg.isd_aid_len ||
		     memcmp(a->data, vc->cfg.isd_aid, a->nc)))
			return SW_REF_NOT_FOUND;
		if (a->p2 == lc)
			return SW_COND_NOT_SATISFIED;
		if (a->p2 == GP_LC_CARD_TERMINATED ||
		    (a->p2 == GP_LC_CARD_LOCKED && lc == GP_LC_CARD_SECURED) ||
		    (a->p2 == GP_LC_CARD_SECURED && lc == GP_LC_CARD_LOCKED)) {
			vc->st.card_lc = a->p2;
			return SW_OK;
		}
		if (a->p2 != GP_LC_CARD_LOCKED && a->p2 != GP_LC_CARD_SECURED &&
		    a->p2 != GP_LC_CARD_INITIALIZED)
			return SW_WRONG_P1P2;
		return SW_COND_NOT_SATISFIED;	/* not from this state */
	}
	if (a->p1 != 0x40 || (a->p2 & 0x7f))
		return SW_WRONG_P1P2;
	if (a->apdu_case < 3 || a->nc < VC_AID_MIN || a->nc > VC_AID_MAX)
		return SW_WRONG_DATA;
	i = vc_find_instance(vc, a->data, a->nc);
	if (i < 0)
		return SW_REF_NOT_FOUND;
	in = &vc->st.inst[i];
	if (!!(a->p2 & 0x80) == !!(in->lifecycle & 0x80))
		return SW_COND_NOT_SATISFIED;	/* already in that state */
	if (a->p2 & 0x80) {
		if (vc_inst_selected(vc, i))
			return SW_COND_NOT_SATISFIED;
		in->lifecycle |= 0x80;
	} else {
		in->lifecycle &= 0x7f;
	}
	return SW_OK;
}

static uint16_t vc_gp_dispatch(struct vcard *vc, struct vc_chan *ch,
			       const struct vc_apdu *a, struct vc_out *out)
{
	bool auth = ch->scp.authenticated;

	if (a->ins == 0xca)
		return vc_get_data(vc, a, out);
	if (!a->proprietary)
		return SW_INS_NOT_SUPP;
	switch (a->ins) {
	case 0xf2:
		return auth ? vc_get_status(vc, ch, a, out) : SW_SECURITY;
	case 0xe6:
		return auth ? vc_install(vc, ch, a, out) : SW_SECURITY;
	case 0xe8:
		return auth ? vc_load(vc, ch, a, out) : SW_SECURITY;
	case 0xe4:
		return auth ? vc_delete(vc, a, out) : SW_SECURITY;
	case 0xd8:
		return auth ? vc_put_key(vc, ch, a, out) : SW_SECURITY;
	case 0xf0:
		return auth ? vc_set_status(vc, a) : SW_SECURITY;
	default:
		return SW_INS_NOT_SUPP;
	}
}

uint16_t vc_gp_process(struct vcard *vc, struct vc_chan *ch,
		       const struct vc_apdu *a, struct vc_out *out)
{
	static uint8_t buf[VC_CMD_MAX];
	struct vc_apdu plain;
	size_t n;
	uint16_t sw;

	/* a terminated card answers GET DATA and nothing else */
	if (vc->st.card_lc == GP_LC_CARD_TERMINATED && a->ins != 0xca)
		return SW_COND_NOT_SATISFIED;
	/* INITIALIZE UPDATE always starts over */
	if (a->proprietary && a->ins == 0x50 && !a->sm)
		return vc_init_update(vc, ch, a, out);
	if (a->proprietary && a->ins == 0x82 && a->sm)
		return vc_ext_auth(ch, a);

	if (ch->scp.authenticated) {
		/* every command of the session is checked and unwrapped */
		memcpy(buf, a->raw, a->raw_len);
		n = a->raw_len;
		if (scp03_card_unwrap(&ch->scp, buf, &n)) {
			vc_gp_end_session(ch);
			return SW_SECURITY;
		}
		sw = vc_parse(buf, n, true, &plain);
		if (sw)
			goto wrap;
		a = &plain;
	} else {
		/* a session begun but not authenticated ends here */
		if (ch->scp_begun)
			vc_gp_end_session(ch);
		if (a->sm)
			return SW_SECURITY;
	}
	if (ch->load.active && !(a->proprietary && a->ins == 0xe8))
		vc_load_abort(ch);	/* LOAD interrupted */
	if (!(a->proprietary && a->ins == 0xf2))
		ch->status_next = 0;
	sw = vc_gp_dispatch(vc, ch, a, out);
wrap:
	if (ch->scp.authenticated) {
		if (scp03_card_wrap(&ch->scp, out->buf, &out->len, sw))
			return SW_MEMORY_FAILURE;
		out->len -= 2;	/* card.c appends the status word */
	}
	return sw;
}
