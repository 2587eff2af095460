// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vcard - an ARA-M (GlobalPlatform Secure Element Access Control),
 * AID A0 00 00 01 51 41 43 4C 00, present only with --ara-rules FILE:
 *
 *   80 CA FF 40  GET DATA [All]: the response-ALL-AR-DO (FF40), at most
 *                'chunk' bytes of it; the rest by GET DATA [Next]
 *   80 CA FF 60  GET DATA [Next]: the next part (6985 with nothing left)
 *   80 CA DF 20  GET DATA [Refresh]: DF20 and the 8-byte refresh tag
 *
 * Without rules every GET DATA answers 6A88 (referenced data not found).
 * The rules file gives the card's answers, so that tests can give it
 * good and bad ones alike (secel-vcard(1), ARA-M).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"

/* Hex bytes of @s appended to @buf (@len of @room); -1 on bad hex. */
static int vc_ara_hex(const char *s, uint8_t *buf, size_t *len, size_t room)
{
	unsigned int b;

	while (*s) {
		if (isspace((unsigned char)*s) || *s == ':') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) || sscanf(s, "%2x", &b) != 1)
			return -1;
		if (*len == room)
			return -1;
		buf[(*len)++] = b;
		s += 2;
	}
	return 0;
}

int vc_ara_load(const char *path, struct vc_ara *ara, char *err,
		size_t err_len)
{
	static uint8_t value[VC_ARA_MAX], raw[VC_ARA_MAX];
	size_t vlen = 0, rlen = 0, tlen, n;
	bool is_raw = false;
	unsigned int lineno = 0, v;
	char line[4096], *p, *hash;
	FILE *f;

	memset(ara, 0, sizeof(*ara));
	ara->chunk = 240;
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_len, "--ara-rules: %s: %s", path,
			 strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		p = line + strspn(line, " \t");
		if (!strncmp(p, "refresh ", 8)) {
			n = 0;
			if (vc_ara_hex(p + 8, ara->tag, &n, 8) || n != 8)
				goto bad;
			ara->has_tag = true;
		} else if (!strncmp(p, "chunk ", 6)) {
			if (sscanf(p + 6, "%u", &v) != 1 || !v || v > 256)
				goto bad;
			ara->chunk = v;
		} else if (!strncmp(p, "sw ", 3)) {
			if (sscanf(p + 3, "%4x", &v) != 1 || v < 0x6000)
				goto bad;
			ara->sw = v;
		} else if (!strncmp(p, "raw", 3) && (!p[3] || isspace((unsigned char)p[3]))) {
			is_raw = true;
			if (vc_ara_hex(p + 3, raw, &rlen, sizeof(raw)))
				goto bad;
		} else if (vc_ara_hex(p, value, &vlen, sizeof(value) - 5)) {
			goto bad;
		}
	}
	fclose(f);
	if (is_raw) {
		ara->len = rlen;
		memcpy(ara->data, raw, rlen);
		ara->present = rlen > 0;
		return 0;
	}
	if (!vlen)
		return 0;	/* no rules: 6A88 */
	/* FF40 and its BER length */
	ara->data[0] = 0xff;
	ara->data[1] = 0x40;
	if (vlen < 0x80) {
		ara->data[2] = vlen;
		tlen = 3;
	} else if (vlen < 0x100) {
		ara->data[2] = 0x81;
		ara->data[3] = vlen;
		tlen = 4;
	} else {
		ara->data[2] = 0x82;
		ara->data[3] = vlen >> 8;
		ara->data[4] = vlen;
		tlen = 5;
	}
	memcpy(ara->data + tlen, value, vlen);
	ara->len = tlen + vlen;
	ara->present = true;
	return 0;
bad:
	fclose(f);
	snprintf(err, err_len, "--ara-rules: %s:%u: not 'refresh HEX8', 'chunk N' (1-256), 'sw HEX', 'raw HEX...' or hex bytes",
		 path, lineno);
	return -1;
}

/* Part of the answer from @off: at most a chunk, and at most Ne. */
static uint16_t vc_ara_part(const struct vc_ara *ara, struct vc_chan *ch,
			    const struct vc_apdu *a, size_t off,
			    struct vc_out *out)
{
	size_t n = ara->len - off;

	if (n > ara->chunk)
		n = ara->chunk;
	if (a->ne && n > a->ne)
		n = a->ne;
	memcpy(out->buf, ara->data + off, n);
	out->len = n;
	ch->ara_next = off + n < ara->len ? off + n : 0;
	return SW_OK;
}

static uint16_t vc_ara_process(struct vcard *vc, struct vc_chan *ch,
			       const struct vc_apdu *a, struct vc_out *out)
{
	const struct vc_ara *ara = vc->cfg.ara;
	unsigned int p1p2 = a->p1 << 8 | a->p2;

	if (!a->proprietary)
		return SW_CLA_NOT_SUPP;
	if (a->ins != 0xca)
		return SW_INS_NOT_SUPP;
	if (a->apdu_case != 2)
		return SW_WRONG_LENGTH;
	switch (p1p2) {
	case 0xff40:
		ch->ara_next = 0;
		if (ara->sw)
			return ara->sw;
		if (!ara->present)
			return SW_REF_NOT_FOUND;
		return vc_ara_part(ara, ch, a, 0, out);
	case 0xff60:
		if (!ch->ara_next)
			return SW_COND_NOT_SATISFIED;
		return vc_ara_part(ara, ch, a, ch->ara_next, out);
	case 0xdf20:
		if (!ara->has_tag)
			return SW_REF_NOT_FOUND;
		out->buf[0] = 0xdf;
		out->buf[1] = 0x20;
		out->buf[2] = 8;
		memcpy(out->buf + 3, ara->tag, 8);
		out->len = 11;
		return SW_OK;
	default:
		return SW_REF_NOT_FOUND;
	}
}

/* 6F { 84 AID } */
static size_t vc_ara_fci(struct vcard *vc, struct vc_chan *ch, uint8_t *out)
{
	uint8_t in[2 + VC_AID_MAX];
	size_t n;

	(void)vc;
	(void)ch;
	n = vc_put_tlv(in, 0x84, (const uint8_t *)VC_ARAM_AID, VC_ARAM_AID_LEN);
	return vc_put_tlv(out, 0x6f, in, n);
}

const struct vc_app vc_aram_app = {
	.name = "ARA-M",
	.aid = (const uint8_t *)VC_ARAM_AID,
	.aid_len = VC_ARAM_AID_LEN,
	.fci = vc_ara_fci,
	.process = vc_ara_process,
};
