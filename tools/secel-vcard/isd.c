// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vcard - the issuer security domain's data: the FCI returned on
 * SELECT and GET DATA for CPLC, IIN, CIN, card recognition data and key
 * information.  The GlobalPlatform commands are in gp-card.c.
 */
#include <string.h>

#include "card.h"

/*
 * CPLC (GlobalPlatform Card Specification, table H-3), 42 bytes:
 * IC fabricator, IC type, OS identifier, OS release date, OS release
 * level, IC fabrication date, IC serial number, IC batch identifier, IC
 * module fabricator, IC module packaging date, ICC manufacturer, IC
 * embedding date, IC pre-personalizer, IC pre-perso date, IC pre-perso
 * equipment, IC personalizer, IC perso date, IC perso equipment.
 */
static const uint8_t vc_default_cplc[42] = {
	0x47, 0x90, 0x51, 0x67, 0x47, 0x91, 0x82, 0x31, 0x52, 0x00,
	0x82, 0x18, 0x53, 0x45, 0x43, 0x01, 0x00, 0x42, 0x48, 0x12,
	0x82, 0x20, 0x48, 0x12, 0x82, 0x22, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
};

static const uint8_t vc_default_iin[] = { 0x89, 0x00, 0x00, 0x01 };
static const uint8_t vc_default_cin[] = {
	0x53, 0x45, 0x43, 0x45, 0x4c, 0x00, 0x00, 0x01,	/* "SECEL" 000001 */
};

/* OIDs of the card recognition data (GlobalPlatform 2.3, H.2) */
static const uint8_t vc_oid_gp[] = {		/* 1.2.840.114283.1 */
	0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x01,
};
static const uint8_t vc_oid_gp221[] = {		/* 1.2.840.114283.2.2.2.1 */
	0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x02, 0x02, 0x02, 0x01,
};
static const uint8_t vc_oid_card_id[] = {	/* 1.2.840.114283.3 */
	0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x03,
};
static const uint8_t vc_oid_scp03[] = {		/* 1.2.840.114283.4.3.112 */
	0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x04, 0x03, 0x70,
};

/* A constructed TLV with one OID inside. */
static size_t vc_put_oid_in(uint8_t *out, unsigned int tag,
			    const uint8_t *oid, size_t len)
{
	uint8_t tmp[32];
	size_t n;

	n = vc_put_tlv(tmp, 0x06, oid, len);
	return vc_put_tlv(out, tag, tmp, n);
}

static void vc_item_set(struct vc_item *item, const uint8_t *val, size_t len)
{
	item->present = true;
	item->len = len;
	memcpy(item->val, val, len);
}

void vc_isd_defaults(struct vc_config *cfg)
{
	uint8_t in[VC_ITEM_MAX];
	size_t n = 0;

	memcpy(cfg->isd_aid, VC_ISD_AID, VC_ISD_AID_LEN);
	cfg->isd_aid_len = VC_ISD_AID_LEN;
	vc_item_set(&cfg->cplc, vc_default_cplc, sizeof(vc_default_cplc));
	vc_item_set(&cfg->iin, vc_default_iin, sizeof(vc_default_iin));
	vc_item_set(&cfg->cin, vc_default_cin, sizeof(vc_default_cin));

	/* 73 { 06 GP-RID-OID, 60 {06 GP 2.2.1}, 63 {06 ..}, 64 {06 SCP03 i=70} } */
	n += vc_put_tlv(in + n, 0x06, vc_oid_gp, sizeof(vc_oid_gp));
	n += vc_put_oid_in(in + n, 0x60, vc_oid_gp221, sizeof(vc_oid_gp221));
	n += vc_put_oid_in(in + n, 0x63, vc_oid_card_id,
			   sizeof(vc_oid_card_id));
	n += vc_put_oid_in(in + n, 0x64, vc_oid_scp03, sizeof(vc_oid_scp03));
	cfg->card_data.present = true;
	cfg->card_data.len = vc_put_tlv(cfg->card_data.val, 0x73, in, n);
}

/*
 * 6F { 84 AID, A5 { 73 card recognition data, 9F65 maximum length of the
 * data field of a command } } (GPCS table 11-82): 255 for short APDUs,
 * 65535 when the card takes extended-length ones.
 */
static size_t vc_isd_fci(struct vcard *vc, struct vc_chan *ch,
			 uint8_t *out)
{
	const struct vc_item *cd = &vc->cfg.card_data;
	uint8_t in[2 * VC_ITEM_MAX], a5[VC_ITEM_MAX + 8];
	static const uint8_t max_ext[2] = { 0xff, 0xff }, max_short = 0xff;
	size_t n, m = 0;

	(void)ch;
	if (cd->present) {
		memcpy(a5, cd->val, cd->len);
		m = cd->len;
	}
	if (vc->cfg.extended)
		m += vc_put_tlv(a5 + m, 0x9f65, max_ext, 2);
	else
		m += vc_put_tlv(a5 + m, 0x9f65, &max_short, 1);
	n = vc_put_tlv(in, 0x84, vc->cfg.isd_aid, vc->cfg.isd_aid_len);
	n += vc_put_tlv(in + n, 0xa5, a5, m);
	return vc_put_tlv(out, 0x6f, in, n);
}

/* GET DATA 00/80 CA P1P2: the TLV of the item, or 6A88 */
uint16_t vc_get_data(struct vcard *vc, const struct vc_apdu *a,
		     struct vc_out *out)
{
	const struct vc_item *item;
	unsigned int tag = (a->p1 << 8) | a->p2;
	unsigned int i;

	if (a->apdu_case > 2)
		return SW_WRONG_LENGTH;
	if (vc->cfg.no_gpdata)
		return SW_REF_NOT_FOUND;
	switch (tag) {
	case 0x9f7f:
		item = &vc->cfg.cplc;
		break;
	case 0x0042:
		item = &vc->cfg.iin;
		break;
	case 0x0045:
		item = &vc->cfg.cin;
		break;
	case 0x0066:
		item = &vc->cfg.card_data;
		break;
	case 0x00e0:
		/* key information template, built from the key sets */
		out->len = vc_key_info(vc, out->buf);
		return SW_OK;
	case 0x00c1:
		/* the sequence counter of the default (first) key set, as
		 * its last INITIALIZE UPDATE used it: the next one uses the
		 * next value (pseudo-random card challenge, Amendment D) */
		for (i = 0; i < VC_KEYSETS && !vc->st.keys[i].kvn; i++)
			;
		if (i == VC_KEYSETS)
			return SW_REF_NOT_FOUND;
		out->buf[0] = 0xc1;
		out->buf[1] = 3;
		out->buf[2] = vc->st.keyseq[i] >> 16;
		out->buf[3] = vc->st.keyseq[i] >> 8;
		out->buf[4] = vc->st.keyseq[i];
		out->len = 5;
		return SW_OK;
	default:
		return SW_REF_NOT_FOUND;
	}
	if (!item->present)
		return SW_REF_NOT_FOUND;
	out->len = vc_put_tlv(out->buf, tag, item->val, item->len);
	return SW_OK;
}

const struct vc_app vc_isd_app = {
	.name = "ISD",
	.aid = NULL,		/* vc->cfg.isd_aid */
	.gp = true,
	.fci = vc_isd_fci,
	.process = vc_gp_process,
};
