// SPDX-License-Identifier: GPL-2.0
/*
 * libsecelgp - GlobalPlatform card content management, host side, and
 * the pieces the card shares: BER-TLV and the native load-file format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gp.h"

int gp_tlv_next(const uint8_t *buf, size_t len, size_t *off,
		struct gp_tlv *t)
{
	size_t i = *off, n, l;

	while (i < len && (buf[i] == 0x00 || buf[i] == 0xff))
		i++;
	if (i >= len) {
		*off = i;
		return 0;
	}
	t->constructed = buf[i] & 0x20;
	t->tag = buf[i++];
	if ((t->tag & 0x1f) == 0x1f) {
		/* subsequent tag bytes: b8 set means another follows */
		for (n = 0; ; n++) {
			if (i >= len || n == 2)
				return -EBADMSG;
			t->tag = (t->tag << 8) | buf[i];
			if (!(buf[i++] & 0x80))
				break;
		}
	}
	if (i >= len)
		return -EBADMSG;
	l = buf[i++];
	if (l & 0x80) {
		n = l & 0x7f;
		if (!n || n > 3 || len - i < n)
			return -EBADMSG;
		for (l = 0; n; n--)
			l = (l << 8) | buf[i++];
	}
	if (l > len - i)
		return -EBADMSG;
	t->val = buf + i;
	t->len = l;
	*off = i + l;
	return 1;
}

int gp_tlv_find(const uint8_t *buf, size_t len, unsigned int tag,
		struct gp_tlv *t)
{
	size_t off = 0;
	int ret;

	while ((ret = gp_tlv_next(buf, len, &off, t)) > 0)
		if (t->tag == tag)
			return 1;
	return ret;
}

size_t gp_tlv_put(uint8_t *out, unsigned int tag, const uint8_t *val,
		  size_t len)
{
	size_t n = 0;

	if (tag > 0xffff)
		out[n++] = tag >> 16;
	if (tag > 0xff)
		out[n++] = tag >> 8;
	out[n++] = tag;
	if (len < 0x80) {
		out[n++] = len;
	} else if (len < 0x100) {
		out[n++] = 0x81;
		out[n++] = len;
	} else if (len < 0x10000) {
		out[n++] = 0x82;
		out[n++] = len >> 8;
		out[n++] = len;
	} else {
		out[n++] = 0x83;
		out[n++] = len >> 16;
		out[n++] = len >> 8;
		out[n++] = len;
	}
	if (len)
		memmove(out + n, val, len);
	return n + len;
}

int gp_lf_parse(const uint8_t *buf, size_t len, struct gp_loadfile *lf,
		const char **why)
{
	bool seen_fmt = false;
	struct gp_tlv t;
	size_t off = 0;
	int ret;

	memset(lf, 0, sizeof(*lf));
	*why = "malformed BER-TLV";
	if (len > GP_LF_MAX) {
		*why = "larger than 262144 bytes";
		return -EBADMSG;
	}
	while ((ret = gp_tlv_next(buf, len, &off, &t)) > 0) {
		switch (t.tag) {
		case 0x4f:
			if (t.len < GP_AID_MIN || t.len > GP_AID_MAX) {
				*why = "load file AID not 5 to 16 bytes";
				return -EBADMSG;
			}
			memcpy(lf->aid, t.val, t.len);
			lf->aid_len = t.len;
			break;
		case 0xdf01:
			if (t.len != 1 || t.val[0] != GP_LF_FORMAT) {
				*why = "unknown format version";
				return -EBADMSG;
			}
			seen_fmt = true;
			break;
		case 0xdf02:
			if (!t.len || t.len > GP_LF_TYPE_MAX ||
			    memchr(t.val, 0, t.len)) {
				*why = "bad application type";
				return -EBADMSG;
			}
			memcpy(lf->type, t.val, t.len);
			lf->type[t.len] = 0;
			break;
		case 0xce:
			if (t.len != 2) {
				*why = "version not 2 bytes";
				return -EBADMSG;
			}
			memcpy(lf->version, t.val, 2);
			break;
		case 0x84:
			if (t.len < GP_AID_MIN || t.len > GP_AID_MAX) {
				*why = "module AID not 5 to 16 bytes";
				return -EBADMSG;
			}
			if (lf->module_len) {
				*why = "more than one module";
				return -EBADMSG;
			}
			memcpy(lf->module, t.val, t.len);
			lf->module_len = t.len;
			break;
		case 0xdf03:
			lf->code_len = t.len;
			break;
		default:
			*why = "unknown tag";
			return -EBADMSG;
		}
	}
	if (ret < 0)
		return ret;
	if (!seen_fmt) {
		*why = "no format version (DF01)";
		return -EBADMSG;
	}
	if (!lf->aid_len || !lf->module_len || !lf->type[0]) {
		*why = "load file AID, type or module missing";
		return -EBADMSG;
	}
	return 0;
}

size_t gp_lf_build(const struct gp_loadfile *lf, const uint8_t *code,
		   uint8_t *out, size_t room)
{
	static const uint8_t fmt = GP_LF_FORMAT;
	size_t tlen = strlen(lf->type), n = 0;

	if (room < 64 + lf->aid_len + lf->module_len + tlen + lf->code_len)
		return 0;
	n += gp_tlv_put(out + n, 0x4f, lf->aid, lf->aid_len);
	n += gp_tlv_put(out + n, 0xdf01, &fmt, 1);
	n += gp_tlv_put(out + n, 0xdf02, (const uint8_t *)lf->type, tlen);
	n += gp_tlv_put(out + n, 0xce, lf->version, 2);
	n += gp_tlv_put(out + n, 0x84, lf->module, lf->module_len);
	if (lf->code_len)
		n += gp_tlv_put(out + n, 0xdf03, code, lf->code_len);
	return n;
}

const char *gp_sw_str(uint16_t sw)
{
	switch (sw) {
	case 0x9000: return "success";
	case 0x6310: return "more data available";
	case 0x6300: return "authentication failed";
	case 0x6581: return "memory failure";
	case 0x6700: return "wrong length";
	case 0x6882: return "secure messaging not supported";
	case 0x6982: return "security status not satisfied";
	case 0x6983: return "authentication method blocked";
	case 0x6985: return "conditions of use not satisfied";
	case 0x6a80: return "incorrect values in command data";
	case 0x6a81: return "function not supported";
	case 0x6a82: return "application not found";
	case 0x6a84: return "not enough memory space";
	case 0x6a86: return "incorrect P1 P2";
	case 0x6a88: return "referenced data not found";
	case 0x6d00: return "instruction not supported";
	case 0x6e00: return "class not supported";
	default: return "error";
	}
}

const char *gp_lc_str(bool app, uint8_t lc)
{
	if (!app) {
		switch (lc) {
		case GP_LC_CARD_OP_READY: return "OP_READY";
		case GP_LC_CARD_INITIALIZED: return "INITIALIZED";
		case GP_LC_CARD_SECURED: return "SECURED";
		case GP_LC_CARD_LOCKED: return "CARD_LOCKED";
		case GP_LC_CARD_TERMINATED: return "TERMINATED";
		}
		return "?";
	}
	if (lc & 0x80)
		return "LOCKED";
	switch (lc) {
	case GP_LC_LOADED: return "LOADED";
	case GP_LC_INSTALLED: return "INSTALLED";
	case GP_LC_SELECTABLE: return "SELECTABLE";
	}
	return (lc & 0x07) == 0x07 ? "SELECTABLE (app-specific)" : "?";
}

static int gp_fail(struct gp_host *h, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return ret;
}

static void gp_hex(char *out, size_t room, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < room; i++)
		snprintf(out + 2 * i, 3, "%02X", p[i]);
}

static uint16_t gp_sw(const uint8_t *rsp, size_t len)
{
	return (rsp[len - 2] << 8) | rsp[len - 1];
}

/*
 * Forget a session that can no longer be trusted to be in step with the
 * card: its keys are wiped and nothing is sent until a new gp_open().
 * Going on in plain would send what the caller meant to protect (install
 * parameters carry application keys) in the clear.
 */
static void gp_drop(struct gp_host *h)
{
	memset(&h->scp, 0, sizeof(h->scp));
	memset(&h->scp2, 0, sizeof(h->scp2));
	h->secure = false;
	h->dropped = true;
}

/* the session's security level, whichever protocol */
static uint8_t gp_level(const struct gp_host *h)
{
	if (!h->secure)
		return 0;
	return h->scp02 ? h->scp2.level : h->scp.level;
}

size_t gp_data_room(const struct gp_host *h)
{
	if (h->secure && h->scp02)
		return scp02_data_room(h->scp2.level);
	return h->secure ? scp03_data_room(h->scp.level) : 255;
}

size_t gp_data_room_ext(const struct gp_host *h)
{
	size_t field = h->max_data > 255 ? h->max_data : 255;

	if (h->secure && h->scp02)	/* short APDUs only */
		return gp_data_room(h);

	if (field > 65535)
		field = 65535;
	return h->secure ? scp03_data_room_field(h->scp.level, field) : field;
}

size_t gp_fci_max_data(const uint8_t *fci, size_t len)
{
	struct gp_tlv t, a5, m;
	size_t v = 0, i;

	if (gp_tlv_find(fci, len, 0x6f, &t) != 1 ||
	    gp_tlv_find(t.val, t.len, 0xa5, &a5) != 1 ||
	    gp_tlv_find(a5.val, a5.len, 0x9f65, &m) != 1 || !m.len ||
	    m.len > 4)
		return 255;
	for (i = 0; i < m.len; i++)
		v = (v << 8) | m.val[i];
	return v;
}

int gp_send(struct gp_host *h, const uint8_t *cmd, size_t len,
	    uint8_t *rsp, size_t *rsp_len)
{
	uint8_t wrapped[SCP03_BLOCK + 65544], ins = len >= 2 ? cmd[1] : 0;
	size_t n = 258, nc = len > 5 ? cmd[4] : 0;
	uint8_t level = gp_level(h);
	int ret;

	if (len < 4)
		return gp_fail(h, -EINVAL, "APDU of %zu bytes", len);
	if (h->dropped)
		return gp_fail(h, -ENOTCONN, "APDU %02X %02X not sent: the secure channel session ended on an earlier error",
			       cmd[0], ins);
	if (h->secure) {
		if (h->scp02)
			ret = scp02_wrap(&h->scp2, cmd, len, wrapped, &len);
		else
			ret = scp03_wrap(&h->scp, cmd, len, h->channel,
					 wrapped, &len);
		if (ret)
			gp_drop(h);
		if (ret == -EMSGSIZE)
			return gp_fail(h, ret, "APDU %02X %02X too long: %zu data bytes, at most %zu fit a protected short APDU at security level %02X; secure channel session closed",
				       cmd[0], ins, nc, gp_data_room(h), level);
		if (ret)
			return gp_fail(h, ret, "cannot protect APDU %02X %02X (%s); secure channel session closed",
				       cmd[0], ins, strerror(-ret));
		cmd = wrapped;
	}
	ret = h->xfer(h->ctx, h->channel, cmd, len, rsp, &n);
	if (ret || n < 2) {
		/* the card may or may not have seen it: out of step */
		if (h->secure)
			gp_drop(h);
		if (ret)
			return gp_fail(h, ret, "APDU %02X %02X: %s%s", cmd[0],
				       ins, strerror(-ret),
				       h->dropped ? "; secure channel session closed" : "");
		return gp_fail(h, -EPROTO, "APDU %02X %02X: no status word%s",
			       cmd[0], ins,
			       h->dropped ? "; secure channel session closed" : "");
	}
	if (h->secure && !h->scp02) {
		ret = scp03_unwrap(&h->scp, rsp, &n);
		if (ret) {
			gp_drop(h);
			return gp_fail(h, -EBADMSG,
				       "APDU %02X %02X: response MAC or encryption does not verify; secure channel session closed",
				       cmd[0], ins);
		}
		/* the card closes the session on a security error */
		if (gp_sw(rsp, n) == 0x6982)
			gp_drop(h);
	}
	*rsp_len = n;
	return 0;
}

/* Send, and turn anything but 9000 into the status word (> 0). */
static int gp_cmd(struct gp_host *h, const char *what, const uint8_t *cmd,
		  size_t len, uint8_t *rsp, size_t *rsp_len)
{
	char why[sizeof(h->err)];
	uint16_t sw;
	int ret;

	ret = gp_send(h, cmd, len, rsp, rsp_len);
	if (ret) {
		/* say which command it was, not only its INS */
		snprintf(why, sizeof(why), "%s", h->err);
		return gp_fail(h, ret, "%s: %s", what, why);
	}
	sw = gp_sw(rsp, *rsp_len);
	if (sw != 0x9000)
		return gp_fail(h, sw, "%s: card answered %04X (%s)%s", what, sw,
			       gp_sw_str(sw),
			       h->dropped ? "; secure channel session closed" : "");
	*rsp_len -= 2;
	return 0;
}

int gp_kdf3(const struct gp_keyset *master, const uint8_t kdd[10],
	    struct gp_keyset *out)
{
	const uint8_t *in[3] = { master->enc, master->mac, master->dek };
	uint8_t msg[1 + 5 + 10], mac[SCP03_BLOCK];
	uint8_t *keys[3];
	size_t done, n;
	unsigned int k;
	int ret;

	if (master->len != 16 && master->len != 24 && master->len != 32)
		return -EINVAL;
	*out = *master;
	keys[0] = out->enc;
	keys[1] = out->mac;
	keys[2] = out->dek;
	for (k = 0; k < 3; k++) {
		memset(msg, 0, sizeof(msg));
		msg[4] = k + 1;
		memcpy(msg + 6, kdd, 10);
		for (done = 0, msg[0] = 1; done < master->len; msg[0]++) {
			ret = gp_aes_cmac(in[k], master->len, msg, sizeof(msg),
					  mac);
			if (ret)
				return ret;
			n = master->len - done < SCP03_BLOCK ?
			    master->len - done : SCP03_BLOCK;
			memcpy(keys[k] + done, mac, n);
			done += n;
		}
	}
	return 0;
}

/*
 * EMV CPS 1.1 and VISA2: 3DES-ECB under the 16-byte master key of
 * X || F0 k || X || 0F k, X six bytes picked from @kdd at @pick.
 */
static int gp_div_3des(const struct gp_keyset *master, const uint8_t kdd[10],
		       const unsigned int pick[6], struct gp_keyset *out)
{
	const uint8_t *in[3] = { master->enc, master->mac, master->dek };
	uint8_t *keys[3], blk[16];
	unsigned int k, i;
	EVP_CIPHER_CTX *ctx;
	int ret = 0, n;

	if (master->len != 16)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	*out = *master;
	keys[0] = out->enc;
	keys[1] = out->mac;
	keys[2] = out->dek;
	for (k = 0; k < 3 && !ret; k++) {
		for (i = 0; i < 6; i++)
			blk[i] = blk[8 + i] = kdd[pick[i]];
		blk[6] = 0xf0;
		blk[14] = 0x0f;
		blk[7] = blk[15] = k + 1;
		if (EVP_EncryptInit_ex(ctx, EVP_des_ede_ecb(), NULL, in[k],
				       NULL) != 1 ||
		    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
		    EVP_EncryptUpdate(ctx, keys[k], &n, blk, 16) != 1 ||
		    n != 16)
			ret = -EIO;
	}
	EVP_CIPHER_CTX_free(ctx);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

int gp_div_emv(const struct gp_keyset *master, const uint8_t kdd[10],
	       struct gp_keyset *out)
{
	/* the chip's 6-byte identifier: the last six bytes of the KDD */
	static const unsigned int pick[6] = { 4, 5, 6, 7, 8, 9 };

	return gp_div_3des(master, kdd, pick, out);
}

int gp_div_visa2(const struct gp_keyset *master, const uint8_t kdd[10],
		 struct gp_keyset *out)
{
	/* IC fabricator's two bytes, then the IC serial number's four */
	static const unsigned int pick[6] = { 0, 1, 4, 5, 6, 7 };

	return gp_div_3des(master, kdd, pick, out);
}

int gp_diversify(int method, const struct gp_keyset *master,
		 const uint8_t kdd[10], struct gp_keyset *out)
{
	switch (method) {
	case GP_DIV_NONE:
		*out = *master;
		return 0;
	case GP_DIV_KDF3:
		return gp_kdf3(master, kdd, out);
	case GP_DIV_EMV:
		return gp_div_emv(master, kdd, out);
	case GP_DIV_VISA2:
		return gp_div_visa2(master, kdd, out);
	}
	return -EINVAL;
}

static const char *gp_div_name(int method)
{
	switch (method) {
	case GP_DIV_KDF3:
		return "KDF3";
	case GP_DIV_EMV:
		return "EMV";
	case GP_DIV_VISA2:
		return "VISA2";
	}
	return "no";
}

/* The card answered INITIALIZE UPDATE for SCP02: the rest of the open. */
static int gp_open_scp02(struct gp_host *h, const struct gp_keyset *ks,
			 uint8_t level, const uint8_t chal[8],
			 const uint8_t *rsp, size_t n)
{
	uint8_t cmd[32], ans[300];
	struct gp_keyset div;
	size_t len;
	int ret;

	if (ks->kvn && rsp[10] != ks->kvn)
		return gp_fail(h, -EKEYREJECTED, "card answered with key version %02X, not %02X",
			       rsp[10], ks->kvn);
	if (h->diversify == GP_DIV_KDF3)
		return gp_fail(h, -EOPNOTSUPP, "the card speaks SCP02: KDF3 diversification is for SCP03 keys (emv or visa2 for 3DES keys)");
	if (h->diversify) {
		ret = gp_diversify(h->diversify, ks, rsp, &div);
		if (ret == -EINVAL)
			return gp_fail(h, ret, "%s diversification takes a 16-byte master key, not %zu bytes",
				       gp_div_name(h->diversify), ks->len);
		if (ret)
			return gp_fail(h, ret, "%s diversification of the keys failed",
				       gp_div_name(h->diversify));
		ks = &div;
	}
	ret = scp02_host_begin(&h->scp2, ks, chal, rsp, n);
	if (ret == -EINVAL)
		return gp_fail(h, ret, "the card speaks SCP02: its keys are 16-byte 3DES keys, not %zu bytes",
			       ks->len);
	if (ret == -EBADMSG)
		return gp_fail(h, ret, "card cryptogram does not verify: wrong keys for key version %02X (SCP02)",
			       rsp[10]);
	if (ret)
		return gp_fail(h, ret, "SCP02 key derivation failed");
	ret = scp02_ext_auth(&h->scp2, level, cmd, &len);
	if (ret) {
		memset(&h->scp2, 0, sizeof(h->scp2));
		return gp_fail(h, ret, "security level %02X: SCP02 here offers 01 and 03",
			       level);
	}
	n = sizeof(ans);
	ret = gp_cmd(h, "EXTERNAL AUTHENTICATE (SCP02)", cmd, len, ans, &n);
	if (ret) {
		memset(&h->scp2, 0, sizeof(h->scp2));
		return ret;
	}
	h->scp02 = true;
	h->secure = true;
	return 0;
}

int gp_open_sd(struct gp_host *h, const struct gp_keyset *ks, uint8_t level,
	       const uint8_t *sd_aid, size_t sd_aid_len)
{
	struct gp_keyset div;
	uint8_t cmd[32], rsp[300], chal[SCP03_CHALLENGE];
	size_t n = sizeof(rsp), len;
	char aid[40] = "";
	int ret;

	/* INITIALIZE UPDATE ends whatever session the card had here */
	memset(&h->scp, 0, sizeof(h->scp));
	memset(&h->scp2, 0, sizeof(h->scp2));
	h->scp02 = false;
	h->secure = false;
	h->dropped = false;
	gp_hex(aid, sizeof(aid), sd_aid, sd_aid_len);
	if (RAND_bytes(chal, sizeof(chal)) != 1)
		return gp_fail(h, -EIO, "no random host challenge from OpenSSL");
	cmd[0] = 0x80;
	cmd[1] = 0x50;
	cmd[2] = ks->kvn;
	cmd[3] = 0x00;
	cmd[4] = SCP03_CHALLENGE;
	memcpy(cmd + 5, chal, SCP03_CHALLENGE);
	cmd[13] = 0x00;
	ret = gp_cmd(h, "INITIALIZE UPDATE", cmd, 14, rsp, &n);
	if (ret > 0 && ret == 0x6a88)
		return gp_fail(h, ret, "INITIALIZE UPDATE: the card has no key version %02X",
			       ks->kvn);
	if (ret)
		return ret;
	if (n == SCP02_IU_RSP && rsp[11] == 0x02)
		return gp_open_scp02(h, ks, level, chal, rsp, n);
	if (h->diversify && n >= 10) {
		ret = gp_diversify(h->diversify, ks, rsp, &div);
		if (ret == -EINVAL && h->diversify != GP_DIV_KDF3)
			return gp_fail(h, ret, "%s diversification of SCP03 keys takes a 16-byte master key (AES-128), not %zu bytes",
				       gp_div_name(h->diversify), ks->len);
		if (ret)
			return gp_fail(h, ret, "%s diversification of the keys failed",
				       gp_div_name(h->diversify));
		ks = &div;
	}
	ret = scp03_host_begin(&h->scp, ks, chal, rsp, n, sd_aid, sd_aid_len);
	switch (ret) {
	case 0:
		break;
	case -EBADMSG:
		return gp_fail(h, ret, "card cryptogram does not verify: wrong keys for key version %02X",
			       rsp[10]);
	case -EACCES:
		return gp_fail(h, ret, "card challenge does not verify for security domain %s, sequence counter %02X%02X%02X: wrong ENC key, another security domain, or an old answer replayed",
			       aid, rsp[SCP03_IU_RSP], rsp[SCP03_IU_RSP + 1],
			       rsp[SCP03_IU_RSP + 2]);
	case -EKEYREJECTED:
		return gp_fail(h, ret, "card answered with key version %02X, not %02X",
			       rsp[10], ks->kvn);
	case -EPROTONOSUPPORT:
		return gp_fail(h, ret, "card offers SCP%02X, not SCP03",
			       rsp[11]);
	case -EPROTO:
		return gp_fail(h, ret, "INITIALIZE UPDATE answer of %zu bytes is not SCP03 (i=%02X)",
			       n, n > 12 ? rsp[12] : 0);
	default:
		return gp_fail(h, ret, "SCP03 key derivation failed");
	}
	ret = scp03_ext_auth(&h->scp, level, h->channel, cmd, &len);
	if (ret) {
		memset(&h->scp, 0, sizeof(h->scp));
		return gp_fail(h, ret, "security level %02X is not one of 00 01 03 11 13 33",
			       level);
	}
	n = sizeof(rsp);
	ret = gp_cmd(h, "EXTERNAL AUTHENTICATE", cmd, len, rsp, &n);
	if (ret) {
		memset(&h->scp, 0, sizeof(h->scp));
		return ret;
	}
	h->secure = true;
	return 0;
}

int gp_open(struct gp_host *h, const struct gp_keyset *ks, uint8_t level)
{
	return gp_open_sd(h, ks, level, (const uint8_t *)GP_ISD_AID,
			  GP_ISD_AID_LEN);
}

static int gp_parse_e3(const uint8_t *v, size_t len, struct gp_status *st)
{
	struct gp_tlv t;
	size_t off = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	while ((ret = gp_tlv_next(v, len, &off, &t)) > 0) {
		switch (t.tag) {
		case 0x4f:
			if (t.len > GP_AID_MAX)
				return -EBADMSG;
			memcpy(st->aid, t.val, t.len);
			st->aid_len = t.len;
			break;
		case 0x9f70:
			if (t.len < 1)
				return -EBADMSG;
			st->lifecycle = t.val[0];
			break;
		case 0xc5:
			if (t.len > 3)
				return -EBADMSG;
			memcpy(st->privs, t.val, t.len);
			st->privs_len = t.len;
			break;
		case 0xc4:
			if (t.len > GP_AID_MAX)
				return -EBADMSG;
			memcpy(st->elf, t.val, t.len);
			st->elf_len = t.len;
			break;
		case 0xce:
			if (t.len != 2)
				return -EBADMSG;
			memcpy(st->version, t.val, 2);
			st->has_version = true;
			break;
		case 0x84:
			if (t.len > GP_AID_MAX || st->nmodules == 4)
				return -EBADMSG;
			memcpy(st->modules[st->nmodules], t.val, t.len);
			st->module_len[st->nmodules++] = t.len;
			break;
		default:
			break;		/* CC, 9F08 and others: not shown */
		}
	}
	return ret < 0 ? ret : 0;
}

int gp_get_status(struct gp_host *h, uint8_t p1, struct gp_status *st,
		  size_t room, size_t *count)
{
	uint8_t cmd[] = { 0x80, 0xf2, p1, 0x02, 0x02, 0x4f, 0x00, 0x00 };
	uint8_t rsp[300];
	struct gp_tlv t;
	size_t n, off;
	uint16_t sw;
	int ret, pages = 0;

	*count = 0;
	for (;;) {
		n = sizeof(rsp);
		ret = gp_send(h, cmd, sizeof(cmd), rsp, &n);
		if (ret)
			return ret;
		sw = gp_sw(rsp, n);
		if (sw == 0x6a88 && !pages)
			return 0;		/* nothing of that kind */
		if (sw != 0x9000 && sw != 0x6310)
			return gp_fail(h, sw, "GET STATUS %02X: card answered %04X (%s)",
				       p1, sw, gp_sw_str(sw));
		off = 0;
		while ((ret = gp_tlv_next(rsp, n - 2, &off, &t)) > 0) {
			if (t.tag != 0xe3)
				return gp_fail(h, -EBADMSG, "GET STATUS %02X: tag %X where E3 was expected",
					       p1, t.tag);
			if (*count == room)
				return gp_fail(h, -ENOSPC, "GET STATUS %02X: more than %zu entries",
					       p1, room);
			if (gp_parse_e3(t.val, t.len, &st[*count]))
				return gp_fail(h, -EBADMSG, "GET STATUS %02X: malformed E3 entry",
					       p1);
			(*count)++;
		}
		if (ret < 0)
			return gp_fail(h, ret, "GET STATUS %02X: malformed answer",
				       p1);
		if (sw == 0x9000)
			return 0;
		if (++pages > 64)
			return gp_fail(h, -ELOOP, "GET STATUS %02X: card keeps answering 6310",
				       p1);
		cmd[3] = 0x03;		/* next occurrences */
	}
}

int gp_status_parse(const uint8_t *data, size_t len, struct gp_status *st,
		    size_t room, size_t *count)
{
	struct gp_tlv t;
	size_t off = 0;
	int ret;

	while ((ret = gp_tlv_next(data, len, &off, &t)) > 0) {
		if (t.tag != 0xe3)
			return -EBADMSG;
		if (*count >= room)
			return -ENOSPC;
		if (gp_parse_e3(t.val, t.len, &st[*count]))
			return -EBADMSG;
		(*count)++;
	}
	return ret;
}

int gp_get_data(struct gp_host *h, unsigned int tag, uint8_t *out,
		size_t *len)
{
	uint8_t cmd[] = { 0x80, 0xca, tag >> 8, tag & 0xff, 0x00 };
	uint8_t rsp[300];
	struct gp_tlv t;
	size_t n = sizeof(rsp), off = 0;
	char what[32];
	int ret;

	snprintf(what, sizeof(what), "GET DATA %04X", tag);
	ret = gp_cmd(h, what, cmd, sizeof(cmd), rsp, &n);
	if (ret)
		return ret;
	if (gp_tlv_next(rsp, n, &off, &t) != 1 || t.tag != tag ||
	    t.len > *len)
		return gp_fail(h, -EBADMSG, "GET DATA %04X: malformed answer",
			       tag);
	memcpy(out, t.val, t.len);
	*len = t.len;
	return 0;
}

static size_t gp_lv(uint8_t *out, const uint8_t *v, size_t len)
{
	out[0] = len;
	if (len)
		memcpy(out + 1, v, len);
	return 1 + len;
}

int gp_apdu_install_load(const uint8_t *lf, size_t lf_len, uint8_t *out,
			 size_t *out_len)
{
	struct gp_loadfile info;
	uint8_t hash[32];
	const char *why;
	size_t n = 5;

	if (gp_lf_parse(lf, lf_len, &info, &why))
		return -EINVAL;
	if (EVP_Digest(lf, lf_len, hash, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;
	/* load file AID, ISD (empty), hash, load parameters, token */
	n += gp_lv(out + n, info.aid, info.aid_len);
	n += gp_lv(out + n, NULL, 0);
	n += gp_lv(out + n, hash, sizeof(hash));
	n += gp_lv(out + n, NULL, 0);
	n += gp_lv(out + n, NULL, 0);
	out[0] = 0x80;
	out[1] = 0xe6;
	out[2] = 0x02;
	out[3] = 0x00;
	out[4] = n - 5;
	out[n++] = 0x00;
	*out_len = n;
	return 0;
}

int gp_load(struct gp_host *h, const uint8_t *lf, size_t lf_len,
	    size_t block)
{
	size_t n, off, blob_len, max, take, rlen, blocks;
	uint8_t *cmd = NULL, *blob = NULL, rsp[300];
	struct gp_loadfile info;
	unsigned int nr = 0;
	char aid[40] = "", what[48];
	const char *why;
	bool ext;
	int ret;

	if (gp_lf_parse(lf, lf_len, &info, &why))
		return gp_fail(h, -EINVAL, "not a secel load file: %s", why);
	gp_hex(aid, sizeof(aid), info.aid, info.aid_len);

	/*
	 * The blocks: at most 256 (P2 numbers them from 00), each the
	 * largest the secure channel leaves room for in one APDU, extended
	 * when the card's 9F65 allows it.  A load file that does not fit is
	 * refused here, before the card has seen anything of it.
	 */
	max = gp_data_room_ext(h);
	if (!block || block > max)
		block = max;
	ext = block > gp_data_room(h);
	/* C4 and its length octets */
	blob_len = lf_len + (lf_len < 0x80 ? 2 : lf_len < 0x100 ? 3 :
			     lf_len < 0x10000 ? 4 : 5);
	blocks = (blob_len + block - 1) / block;
	if (blocks > 256)
		return gp_fail(h, -EFBIG, "load file %s of %zu bytes needs %zu LOAD blocks of %zu bytes, at most 256 go (%s); nothing sent",
			       aid, lf_len, blocks, block,
			       h->max_data > 255 ?
			       "the card's 9F65 limits the block" :
			       "the card's FCI offers no extended-length APDUs (9F65)");
	blob = malloc(blob_len);
	cmd = malloc(9 + block);
	if (!blob || !cmd) {
		ret = gp_fail(h, -ENOMEM, "load file %s: out of memory", aid);
		goto out;
	}
	blob_len = gp_tlv_put(blob, 0xc4, lf, lf_len);

	if (gp_apdu_install_load(lf, lf_len, cmd, &n)) {
		ret = gp_fail(h, -EIO, "SHA-256 of the load file failed");
		goto out;
	}
	take = sizeof(rsp);
	snprintf(what, sizeof(what), "INSTALL [for load] %s", aid);
	ret = gp_cmd(h, what, cmd, n, rsp, &take);
	if (ret)
		goto out;

	/* LOAD: C4 and the load file, in blocks numbered from 0 */
	for (off = 0; off < blob_len; off += take, nr++) {
		take = blob_len - off < block ? blob_len - off : block;
		n = gp_apdu_load(nr, off + take == blob_len, blob + off, take,
				 ext, cmd);
		rlen = sizeof(rsp);
		snprintf(what, sizeof(what), "LOAD block %u of %s", nr, aid);
		ret = gp_cmd(h, what, cmd, n, rsp, &rlen);
		if (ret)
			goto out;
	}
	ret = 0;
out:
	free(cmd);
	free(blob);
	return ret;
}

/* C9 and its length octets around @params_len bytes */
static size_t gp_c9_len(size_t params_len)
{
	return 2 + (params_len >= 0x80) + params_len;
}

size_t gp_install_data_len(size_t elf_len, size_t module_len, size_t app_len,
			   size_t params_len)
{
	/* load file, module, application, privileges (1), params, token */
	return 1 + elf_len + 1 + module_len + 1 + app_len + 2 +
	       1 + gp_c9_len(params_len) + 1;
}

int gp_apdu_install(const uint8_t *elf, size_t elf_len,
		    const uint8_t *module, size_t module_len,
		    const uint8_t *app, size_t app_len,
		    const uint8_t *params, size_t params_len,
		    uint8_t *out, size_t *out_len)
{
	static const uint8_t privs[1];
	uint8_t tlv[260];
	size_t n = 5, tlen;

	if (params_len > 200 || elf_len > GP_AID_MAX ||
	    module_len > GP_AID_MAX || app_len > GP_AID_MAX)
		return -EINVAL;
	tlen = gp_tlv_put(tlv, 0xc9, params, params_len);
	n += gp_lv(out + n, elf, elf_len);
	n += gp_lv(out + n, module, module_len);
	n += gp_lv(out + n, app, app_len);
	n += gp_lv(out + n, privs, sizeof(privs));
	n += gp_lv(out + n, tlv, tlen);
	n += gp_lv(out + n, NULL, 0);
	out[0] = 0x80;
	out[1] = 0xe6;
	out[2] = 0x0c;
	out[3] = 0x00;
	out[4] = n - 5;
	out[n++] = 0x00;
	*out_len = n;
	return 0;
}

int gp_install(struct gp_host *h, const uint8_t *elf, size_t elf_len,
	       const uint8_t *module, size_t module_len,
	       const uint8_t *app, size_t app_len,
	       const uint8_t *params, size_t params_len)
{
	static const uint8_t none[1];

	return gp_install_ex(h, 0x0c, elf, elf_len, module, module_len, app,
			     app_len, none, 1, params, params_len);
}

int gp_install_ex(struct gp_host *h, uint8_t p1, const uint8_t *elf,
		  size_t elf_len, const uint8_t *module, size_t module_len,
		  const uint8_t *app, size_t app_len, const uint8_t *privs,
		  size_t privs_len, const uint8_t *params, size_t params_len)
{
	uint8_t cmd[300], rsp[300], tlv[260];
	size_t n, tlen, want, room = gp_data_room(h);
	char aid[40] = "", what[64];

	gp_hex(aid, sizeof(aid), app, app_len);
	snprintf(what, sizeof(what), "INSTALL [for install] %s", aid);
	if (params_len > 200)
		return gp_fail(h, -EMSGSIZE, "%s: install parameters longer than 200 bytes",
			       what);
	if (elf_len > GP_AID_MAX || module_len > GP_AID_MAX ||
	    app_len > GP_AID_MAX)
		return gp_fail(h, -EINVAL, "%s: an AID longer than 16 bytes",
			       what);
	/* refused here, the session stays as it is; nothing was sent */
	want = gp_install_data_len(elf_len, module_len, app_len, params_len);
	if (want > room)
		return gp_fail(h, -EMSGSIZE, "%s too long: %zu data bytes with %zu bytes of parameters, at most %zu fit one APDU at security level %02X",
			       what, want, params_len, room,
			       gp_level(h));
	if (privs_len != 1 && privs_len != 3)
		return gp_fail(h, -EINVAL, "%s: privileges are 1 or 3 bytes",
			       what);
	if (p1 != 0x04 && p1 != 0x0c)
		return gp_fail(h, -EINVAL, "%s: P1 %02X", what, p1);
	if (want + privs_len - 1 > room)
		return gp_fail(h, -EMSGSIZE, "%s too long with %zu bytes of privileges",
			       what, privs_len);
	/* load file, module, application, privileges, C9 params, token */
	n = 5;
	n += gp_lv(cmd + n, elf, elf_len);
	n += gp_lv(cmd + n, module, module_len);
	n += gp_lv(cmd + n, app, app_len);
	n += gp_lv(cmd + n, privs, privs_len);
	tlen = gp_tlv_put(tlv, 0xc9, params, params_len);
	n += gp_lv(cmd + n, tlv, tlen);
	n += gp_lv(cmd + n, NULL, 0);
	cmd[0] = 0x80;
	cmd[1] = 0xe6;
	cmd[2] = p1;
	cmd[3] = 0x00;
	cmd[4] = n - 5;
	cmd[n++] = 0x00;
	tlen = sizeof(rsp);
	/* the answer: nothing, or 00 (GP 11.5.3); neither is looked at */
	return gp_cmd(h, what, cmd, n, rsp, &tlen);
}

size_t gp_apdu_load(uint8_t nr, bool last, const uint8_t *data, size_t len,
		    bool ext, uint8_t *out)
{
	size_t hdr, n;

	out[0] = 0x80;
	out[1] = 0xe8;
	out[2] = last ? 0x80 : 0x00;
	out[3] = nr;
	if (ext) {
		out[4] = 0x00;
		out[5] = len >> 8;
		out[6] = len & 0xff;
		hdr = 7;
	} else {
		out[4] = len;
		hdr = 5;
	}
	memcpy(out + hdr, data, len);
	n = hdr + len;
	out[n++] = 0x00;
	if (ext)
		out[n++] = 0x00;
	return n;
}

int gp_apdu_delete(const uint8_t *aid, size_t len, bool related,
		   uint8_t *out, size_t *out_len)
{
	size_t n;

	if (len < GP_AID_MIN || len > GP_AID_MAX)
		return -EINVAL;
	out[0] = 0x80;
	out[1] = 0xe4;
	out[2] = 0x00;
	out[3] = related ? 0x80 : 0x00;
	out[4] = 2 + len;
	n = 5 + gp_tlv_put(out + 5, 0x4f, aid, len);
	out[n++] = 0x00;
	*out_len = n;
	return 0;
}

int gp_set_card_status(struct gp_host *h, uint8_t lc)
{
	uint8_t cmd[4] = { 0x80, 0xf0, 0x80, lc }, rsp[300];
	size_t n = sizeof(rsp);
	char what[48];

	snprintf(what, sizeof(what), "SET STATUS card %s (%02X)",
		 gp_lc_str(false, lc), lc);
	return gp_cmd(h, what, cmd, sizeof(cmd), rsp, &n);
}

int gp_delete_key(struct gp_host *h, uint8_t kvn)
{
	uint8_t cmd[9] = { 0x80, 0xe4, 0x00, 0x00, 0x03, 0xd2, 0x01, kvn,
			   0x00 }, rsp[300];
	size_t n = sizeof(rsp);
	char what[48];

	if (!kvn || kvn > 0x7f)
		return gp_fail(h, -EINVAL, "key version %02X out of 01..7F", kvn);
	snprintf(what, sizeof(what), "DELETE key version %02X", kvn);
	return gp_cmd(h, what, cmd, sizeof(cmd), rsp, &n);
}

int gp_delete(struct gp_host *h, const uint8_t *aid, size_t len,
	      bool related)
{
	uint8_t cmd[GP_APDU_MAX], rsp[300];
	size_t n;
	char hex[40] = "", what[64];

	if (gp_apdu_delete(aid, len, related, cmd, &n))
		return gp_fail(h, -EINVAL, "AID must be 5 to 16 bytes");
	gp_hex(hex, sizeof(hex), aid, len);
	snprintf(what, sizeof(what), "DELETE %s", hex);
	len = sizeof(rsp);
	return gp_cmd(h, what, cmd, n, rsp, &len);
}

int gp_set_lock(struct gp_host *h, const uint8_t *aid, size_t len,
		bool lock)
{
	uint8_t cmd[32], rsp[300];
	char hex[40] = "", what[64];
	size_t n;

	if (len < GP_AID_MIN || len > GP_AID_MAX)
		return gp_fail(h, -EINVAL, "AID must be 5 to 16 bytes");
	gp_hex(hex, sizeof(hex), aid, len);
	/* GPCS 11.10.2.3: the AID plain in the data field, no 4F */
	cmd[0] = 0x80;
	cmd[1] = 0xf0;
	cmd[2] = 0x40;
	cmd[3] = lock ? 0x80 : 0x00;
	cmd[4] = len;
	memcpy(cmd + 5, aid, len);
	n = 5 + len;
	snprintf(what, sizeof(what), "SET STATUS %s %s",
		 lock ? "lock" : "unlock", hex);
	len = sizeof(rsp);
	return gp_cmd(h, what, cmd, n, rsp, &len);
}

int gp_put_key(struct gp_host *h, uint8_t old, const struct gp_keyset *ks)
{
	const uint8_t *keys[3] = { ks->enc, ks->mac, ks->dek };
	uint8_t cmd[300], rsp[300], kcv[3][3];
	size_t n = 6, i, rn = sizeof(rsp);
	int ret;

	uint8_t clear[SCP03_KEY_MAX];
	size_t blen = (ks->len + SCP03_BLOCK - 1) / SCP03_BLOCK * SCP03_BLOCK;

	if (!h->secure || !h->scp.authenticated)
		return gp_fail(h, -ENOTCONN, "PUT KEY needs an SCP03 secure channel");
	if (ks->len != 16 && ks->len != 24 && ks->len != 32)
		return gp_fail(h, -EINVAL, "new keys of %zu bytes: AES keys are 16, 24 or 32",
			       ks->len);
	if (!ks->kvn || ks->kvn > 0x7f)
		return gp_fail(h, -EINVAL, "key version %02X out of 01..7F",
			       ks->kvn);
	cmd[5] = ks->kvn;
	for (i = 0; i < 3; i++) {
		/*
		 * Amendment D 7.2.3, table 7-10: 88 (AES), length, the key's
		 * length, the key encrypted under the DEK in whole blocks
		 * (AES-192 padded with zeros to 32 bytes), 03 and the KCV.
		 */
		memset(clear, 0, sizeof(clear));
		memcpy(clear, keys[i], ks->len);
		cmd[n++] = 0x88;
		cmd[n++] = 1 + blen;
		cmd[n++] = ks->len;
		ret = scp03_encrypt_key(&h->scp, clear, blen, cmd + n);
		memset(clear, 0, sizeof(clear));
		if (!ret)
			ret = gp_kcv(keys[i], ks->len, kcv[i]);
		if (ret)
			return gp_fail(h, ret, "cannot encrypt the new keys");
		n += blen;
		cmd[n++] = 3;
		memcpy(cmd + n, kcv[i], 3);
		n += 3;
	}
	cmd[0] = 0x80;
	cmd[1] = 0xd8;
	cmd[2] = old;
	cmd[3] = 0x81;		/* key 1 and the ones after it */
	cmd[4] = n - 5;
	cmd[n++] = 0x00;
	ret = gp_cmd(h, "PUT KEY", cmd, n, rsp, &rn);
	if (ret)
		return ret;
	if (rn != 10 || rsp[0] != ks->kvn || memcmp(rsp + 1, kcv, 9))
		return gp_fail(h, -EBADMSG, "PUT KEY: the card's key check values do not match");
	return 0;
}

const char *gp_install_params_missing(const char *type, const uint8_t *params,
				      size_t len)
{
	struct gp_tlv t;

	if (!strcmp(type, "secel.datastore") &&
	    (gp_tlv_find(params, len, 0xdf20, &t) != 1 || t.len < 4 ||
	     t.len > 8))
		return "a secel.datastore needs its PIN in the install "
		       "parameters: DF20 with 4 to 8 bytes, e.g. "
		       "DF200431323334 for PIN 1234";
	return NULL;
}
