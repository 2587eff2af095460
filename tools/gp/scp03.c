// SPDX-License-Identifier: GPL-2.0
/*
 * libsecelgp - SCP03, GlobalPlatform Card Specification 2.3 Amendment D.
 * AES, AES-CBC and AES-CMAC are OpenSSL's; this file is the protocol:
 * the KDF, cryptograms, MAC chaining, command and response protection.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "scp03.h"

static const char *gp_cbc_name(size_t klen)
{
	switch (klen) {
	case 16:
		return "AES-128-CBC";
	case 24:
		return "AES-192-CBC";
	case 32:
		return "AES-256-CBC";
	default:
		return NULL;
	}
}

static const EVP_CIPHER *gp_cbc(size_t klen)
{
	switch (klen) {
	case 16:
		return EVP_aes_128_cbc();
	case 24:
		return EVP_aes_192_cbc();
	case 32:
		return EVP_aes_256_cbc();
	default:
		return NULL;
	}
}

int gp_aes_cmac(const uint8_t *key, size_t klen, const uint8_t *msg,
		size_t len, uint8_t mac[SCP03_BLOCK])
{
	const char *cipher = gp_cbc_name(klen);
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *m = NULL;
	size_t out = 0;
	int ret = -EIO;

	if (!cipher)
		return -EINVAL;
	m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (!m)
		return -EIO;
	ctx = EVP_MAC_CTX_new(m);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string("cipher", (char *)cipher,
						     0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, klen, params) != 1 ||
	    EVP_MAC_update(ctx, msg, len) != 1 ||
	    EVP_MAC_final(ctx, mac, &out, SCP03_BLOCK) != 1 ||
	    out != SCP03_BLOCK)
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return ret;
}

int gp_aes_cbc(const uint8_t *key, size_t klen, bool encrypt,
	       const uint8_t iv[SCP03_BLOCK], const uint8_t *in, size_t len,
	       uint8_t *out)
{
	const EVP_CIPHER *c = gp_cbc(klen);
	EVP_CIPHER_CTX *ctx;
	int n = 0, ret = -EIO;

	if (!c || len % SCP03_BLOCK || len > (size_t)0x7fffffff)
		return -EINVAL;
	if (!len)
		return 0;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -EIO;
	if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, encrypt) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 ||
	    (size_t)n != len)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/* One block, no chaining (CBC with a zero IV). */
static int gp_aes_block(const uint8_t *key, size_t klen,
			const uint8_t in[SCP03_BLOCK], uint8_t out[SCP03_BLOCK])
{
	static const uint8_t zero[SCP03_BLOCK];

	return gp_aes_cbc(key, klen, true, zero, in, SCP03_BLOCK, out);
}

int scp03_kdf(const uint8_t *key, size_t klen, uint8_t constant,
	      const uint8_t *ctx, size_t ctx_len, unsigned int lbits,
	      uint8_t *out)
{
	uint8_t in[16 + 64], mac[SCP03_BLOCK];
	size_t done = 0, want = lbits / 8, n;
	unsigned int i;
	int ret;

	if (lbits % 64 || !lbits || lbits > 256 || ctx_len > 64)
		return -EINVAL;
	/* label: 11 zero bytes and the constant; separator; L; i; context */
	memset(in, 0, 11);
	in[11] = constant;
	in[12] = 0x00;
	in[13] = lbits >> 8;
	in[14] = lbits & 0xff;
	memcpy(in + 16, ctx, ctx_len);
	for (i = 1; done < want; i++) {
		in[15] = i;
		ret = gp_aes_cmac(key, klen, in, 16 + ctx_len, mac);
		if (ret)
			return ret;
		n = want - done < SCP03_BLOCK ? want - done : SCP03_BLOCK;
		memcpy(out + done, mac, n);
		done += n;
	}
	return 0;
}

int gp_kcv(const uint8_t *key, size_t klen, uint8_t kcv[3])
{
	uint8_t ones[SCP03_BLOCK], out[SCP03_BLOCK];
	int ret;

	memset(ones, 0x01, sizeof(ones));
	ret = gp_aes_block(key, klen, ones, out);
	if (!ret)
		memcpy(kcv, out, 3);
	return ret;
}

int gp_cla_channel(uint8_t cla, unsigned int channel)
{
	uint8_t sm;

	if (channel > 19 || cla == 0xff || (cla & 0x40) || (cla & 0x03))
		return -EINVAL;
	if (channel < 4)
		return cla | channel;
	sm = (cla & 0x0c) ? 0x20 : 0;
	cla = (cla & 0x80) | 0x40 | sm | (cla & 0x10) | (channel - 4);
	return cla == 0xff ? -EINVAL : cla;
}

/* Does the class byte say secure messaging? */
static bool gp_cla_sm(uint8_t cla)
{
	return (cla & 0x40) ? (cla & 0x20) : (cla & 0x0c);
}

static uint8_t gp_cla_no_sm(uint8_t cla)
{
	return (cla & 0x40) ? (cla & ~0x20) : (cla & ~0x0c);
}

/*
 * The class byte a C-MAC covers (Amendment D 6.2.4): the one of the
 * basic channel, with the secure-messaging indication, whatever channel
 * the command came on.  A further interindustry class byte (channels
 * 4-19) becomes the first interindustry one it stands for: b8 and the
 * chaining bit kept, SM indication b3.
 */
static uint8_t gp_cla_mac(uint8_t cla)
{
	if (cla & 0x40)
		return (cla & 0x80) | (cla & 0x10) | 0x04;
	return (cla & ~0x03) | 0x04;
}

static int scp03_derive(struct scp03 *s, const struct gp_keyset *ks,
			const uint8_t host_chal[SCP03_CHALLENGE],
			const uint8_t card_chal[SCP03_CHALLENGE])
{
	unsigned int bits = ks->len * 8;
	uint8_t ctx[2 * SCP03_CHALLENGE];
	int ret;

	if (ks->len != 16 && ks->len != 24 && ks->len != 32)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->klen = ks->len;
	memcpy(s->host_chal, host_chal, SCP03_CHALLENGE);
	memcpy(s->card_chal, card_chal, SCP03_CHALLENGE);
	memcpy(s->dek, ks->dek, ks->len);
	memcpy(ctx, host_chal, SCP03_CHALLENGE);
	memcpy(ctx + SCP03_CHALLENGE, card_chal, SCP03_CHALLENGE);
	ret = scp03_kdf(ks->enc, ks->len, SCP03_DC_S_ENC, ctx, sizeof(ctx),
			bits, s->s_enc);
	if (!ret)
		ret = scp03_kdf(ks->mac, ks->len, SCP03_DC_S_MAC, ctx,
				sizeof(ctx), bits, s->s_mac);
	if (!ret)
		ret = scp03_kdf(ks->mac, ks->len, SCP03_DC_S_RMAC, ctx,
				sizeof(ctx), bits, s->s_rmac);
	return ret;
}

static int scp03_cryptogram(const struct scp03 *s, uint8_t constant,
			    uint8_t out[SCP03_CRYPTOGRAM])
{
	uint8_t ctx[2 * SCP03_CHALLENGE];

	memcpy(ctx, s->host_chal, SCP03_CHALLENGE);
	memcpy(ctx + SCP03_CHALLENGE, s->card_chal, SCP03_CHALLENGE);
	return scp03_kdf(s->s_mac, s->klen, constant, ctx, sizeof(ctx), 64,
			 out);
}

/* The 16-byte counter block; responses set the top byte to 80. */
static int scp03_icv(const struct scp03 *s, bool response,
		     uint8_t icv[SCP03_BLOCK])
{
	uint8_t ctr[SCP03_BLOCK] = { 0 };

	ctr[12] = s->enc_ctr >> 24;
	ctr[13] = s->enc_ctr >> 16;
	ctr[14] = s->enc_ctr >> 8;
	ctr[15] = s->enc_ctr;
	if (response)
		ctr[0] = 0x80;
	return gp_aes_block(s->s_enc, s->klen, ctr, icv);
}

/* ISO/IEC 9797-1 method 2 padding in place; returns the padded length. */
static size_t gp_pad(uint8_t *buf, size_t len)
{
	buf[len++] = 0x80;
	while (len % SCP03_BLOCK)
		buf[len++] = 0x00;
	return len;
}

/*
 * Undo gp_pad(): the 80 must sit in the last block.  Padding is at most
 * one block, so a run of zeros reaching further back is not padding but
 * a forged or garbled message.
 */
static int gp_unpad(const uint8_t *buf, size_t len, size_t *out)
{
	size_t i = len;

	while (i && len - i < SCP03_BLOCK && buf[i - 1] == 0x00)
		i--;
	if (!i || len - i >= SCP03_BLOCK || buf[i - 1] != 0x80)
		return -EBADMSG;
	*out = i - 1;
	return 0;
}

/* MAC over the chaining value and @msg; the chaining value moves on. */
static int scp03_chain_mac(struct scp03 *s, const uint8_t *msg, size_t len,
			   uint8_t mac[SCP03_MAC])
{
	uint8_t buf[SCP03_BLOCK + 7 + 65536];
	int ret;

	if (len > sizeof(buf) - SCP03_BLOCK)
		return -EMSGSIZE;
	memcpy(buf, s->mcv, SCP03_BLOCK);
	memcpy(buf + SCP03_BLOCK, msg, len);
	ret = gp_aes_cmac(s->s_mac, s->klen, buf, SCP03_BLOCK + len, s->mcv);
	if (!ret)
		memcpy(mac, s->mcv, SCP03_MAC);
	return ret;
}

static int scp03_rmac(const struct scp03 *s, const uint8_t *data,
		      size_t len, uint16_t sw, uint8_t mac[SCP03_MAC])
{
	uint8_t buf[SCP03_BLOCK + 65536 + 2], full[SCP03_BLOCK];
	int ret;

	if (len > 65536)
		return -EMSGSIZE;
	memcpy(buf, s->rmcv, SCP03_BLOCK);
	memcpy(buf + SCP03_BLOCK, data, len);
	buf[SCP03_BLOCK + len] = sw >> 8;
	buf[SCP03_BLOCK + len + 1] = sw & 0xff;
	ret = gp_aes_cmac(s->s_rmac, s->klen, buf, SCP03_BLOCK + len + 2,
			  full);
	if (!ret)
		memcpy(mac, full, SCP03_MAC);
	return ret;
}

/*
 * Responses that carry neither R-MAC nor encrypted data: errors.  Normal
 * processing (9000) and warnings (62xx, 63xx) are protected.
 */
static bool scp03_sw_protected(uint16_t sw)
{
	return sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}

/* Host side */

int scp03_host_begin(struct scp03 *s, const struct gp_keyset *ks,
		     const uint8_t host_chal[SCP03_CHALLENGE],
		     const uint8_t *iu_rsp, size_t iu_len,
		     const uint8_t *sd_aid, size_t sd_aid_len)
{
	uint8_t crypto[SCP03_CRYPTOGRAM], chal[SCP03_CHALLENGE];
	bool pseudo;
	int ret;

	memset(s, 0, sizeof(*s));
	if (iu_len != SCP03_IU_RSP && iu_len != SCP03_IU_RSP_SEQ)
		return -EPROTO;
	if (iu_rsp[11] != 0x03)		/* not SCP03 */
		return -EPROTONOSUPPORT;
	/* the sequence counter comes exactly when the challenge is derived */
	pseudo = iu_rsp[12] & SCP03_I_PSEUDO;
	if (pseudo != (iu_len == SCP03_IU_RSP_SEQ))
		return -EPROTO;
	if (ks->kvn && iu_rsp[10] != ks->kvn)
		return -EKEYREJECTED;
	ret = scp03_derive(s, ks, host_chal, iu_rsp + 13);
	if (ret)
		return ret;
	s->i_param = iu_rsp[12];
	ret = scp03_cryptogram(s, SCP03_DC_CARD_CRYPTO, crypto);
	if (ret)
		goto fail;
	ret = -EBADMSG;
	if (CRYPTO_memcmp(crypto, iu_rsp + 21, SCP03_CRYPTOGRAM))
		goto fail;
	if (!pseudo)
		return 0;
	/*
	 * Amendment D: a pseudo-random card challenge is KDF(Key-ENC,
	 * constant 02 of table 4-1, sequence counter || SD AID).  A card (or a man in
	 * the middle) that repeats an old INITIALIZE UPDATE answer, or
	 * counts backwards, gives itself away here.
	 */
	ret = scp03_card_challenge(ks, iu_rsp + SCP03_IU_RSP, sd_aid,
				   sd_aid_len, chal);
	if (ret)
		goto fail;
	ret = -EACCES;
	if (CRYPTO_memcmp(chal, iu_rsp + 13, SCP03_CHALLENGE))
		goto fail;
	return 0;
fail:
	/* no half-made session: nothing can be wrapped with its keys */
	memset(s, 0, sizeof(*s));
	return ret;
}

static bool scp03_level_ok(uint8_t level)
{
	switch (level) {
	case 0x00:
	case GP_SL_CMAC:
	case GP_SL_CMAC | GP_SL_CDEC:
	case GP_SL_CMAC | GP_SL_RMAC:
	case GP_SL_CMAC | GP_SL_CDEC | GP_SL_RMAC:
	case GP_SL_CMAC | GP_SL_CDEC | GP_SL_RMAC | GP_SL_RENC:
		return true;
	default:
		return false;
	}
}

int scp03_ext_auth(struct scp03 *s, uint8_t level, unsigned int channel,
		   uint8_t *apdu, size_t *apdu_len)
{
	uint8_t mac[SCP03_MAC];
	int cla, ret;

	if (!scp03_level_ok(level))
		return -EINVAL;
	/* the channel must be one the class byte can code */
	cla = gp_cla_channel(0x84, channel);
	if (cla < 0)
		return cla;
	/* Amendment D 6.2.4: MAC over the class byte of channel 0 */
	apdu[0] = 0x84;
	apdu[1] = 0x82;
	apdu[2] = level;
	apdu[3] = 0x00;
	apdu[4] = SCP03_CRYPTOGRAM + SCP03_MAC;
	ret = scp03_cryptogram(s, SCP03_DC_HOST_CRYPTO, apdu + 5);
	if (ret)
		return ret;
	memset(s->mcv, 0, sizeof(s->mcv));
	ret = scp03_chain_mac(s, apdu, 5 + SCP03_CRYPTOGRAM, mac);
	if (ret)
		return ret;
	memcpy(apdu + 5 + SCP03_CRYPTOGRAM, mac, SCP03_MAC);
	*apdu_len = 5 + SCP03_CRYPTOGRAM + SCP03_MAC;
	s->level = level;
	s->enc_ctr = 0;
	s->authenticated = true;
	return 0;
}

size_t scp03_data_room(uint8_t level)
{
	return scp03_data_room_field(level, 255);
}

size_t scp03_data_room_field(uint8_t level, size_t field)
{
	if (field > 65535)
		field = 65535;
	if (field < SCP03_BLOCK + SCP03_MAC)
		return 0;
	if (level & GP_SL_CDEC)		/* whole blocks, one pad byte, MAC */
		return (field - SCP03_MAC) / SCP03_BLOCK * SCP03_BLOCK - 1;
	if (level & GP_SL_CMAC)
		return field - SCP03_MAC;
	return field;
}

int scp03_wrap(struct scp03 *s, const uint8_t *cmd, size_t len,
	       unsigned int channel, uint8_t *out, size_t *out_len)
{
	uint8_t data[65536 + SCP03_BLOCK];
	uint8_t icv[SCP03_BLOCK], mac[SCP03_MAC], le[2];
	size_t nc = 0, le_len = 0, hdr, body;
	const uint8_t *in;
	bool ext = false;
	int cla = 0, ret;

	if (!s->authenticated)
		return -ENOTCONN;
	if (len < 4 || (cmd[0] & 0x0c) || (cmd[0] & 0x40))
		return -EINVAL;
	/* ISO/IEC 7816-4 5.1: cases 1, 2S, 3S, 4S, 2E, 3E, 4E */
	if (len == 5) {
		le[0] = cmd[4];
		le_len = 1;
	} else if (len == 7 && !cmd[4]) {
		ext = true;
		memcpy(le, cmd + 5, 2);
		le_len = 2;
	} else if (len > 5 && cmd[4]) {
		nc = cmd[4];
		if (len != 5 + nc && len != 6 + nc)
			return -EINVAL;
		if (len == 6 + nc) {
			le[0] = cmd[len - 1];
			le_len = 1;
		}
	} else if (len > 7) {
		ext = true;
		nc = (cmd[5] << 8) | cmd[6];
		if (!nc || (len != 7 + nc && len != 9 + nc))
			return -EINVAL;
		if (len == 9 + nc) {
			memcpy(le, cmd + len - 2, 2);
			le_len = 2;
		}
	} else if (len != 4) {
		return -EINVAL;
	}
	in = cmd + (ext ? 7 : 5);
	/*
	 * Everything that can refuse the command comes before the counter
	 * and the chaining value move: a refused command must leave the
	 * session as it was, or every later command would be decrypted
	 * with the wrong ICV by the card.
	 */
	if (nc > scp03_data_room_field(s->level, ext ? 65535 : 255))
		return -EMSGSIZE;
	if (s->level & GP_SL_CMAC) {
		/* refuse a channel the class byte cannot code; the MAC itself
		 * is computed with channel 0 (Amendment D 6.2.4) */
		cla = gp_cla_channel(cmd[0] | 0x04, channel);
		if (cla < 0)
			return cla;
		cla = cmd[0] | 0x04;
	}
	memcpy(data, in, nc);
	/* the counter moves with every command, data or not */
	s->enc_ctr++;
	if ((s->level & GP_SL_CDEC) && nc) {
		nc = gp_pad(data, nc);
		ret = scp03_icv(s, false, icv);
		if (!ret)
			ret = gp_aes_cbc(s->s_enc, s->klen, true, icv, data, nc,
					 data);
		if (ret)
			return ret;
	}
	body = nc;
	if (s->level & GP_SL_CMAC)
		body += SCP03_MAC;
	out[0] = (s->level & GP_SL_CMAC) ? cla : cmd[0];
	memcpy(out + 1, cmd + 1, 3);
	hdr = 4;
	if (body && ext) {
		out[4] = 0x00;
		out[5] = body >> 8;
		out[6] = body & 0xff;
		hdr = 7;
	} else if (body) {
		out[4] = body;
		hdr = 5;
	}
	memcpy(out + hdr, data, nc);
	if (s->level & GP_SL_CMAC) {
		ret = scp03_chain_mac(s, out, hdr + nc, mac);
		if (ret)
			return ret;
		memcpy(s->rmcv, s->mcv, SCP03_BLOCK);
		memcpy(out + hdr + nc, mac, SCP03_MAC);
	}
	/* Le as sent; an extended Le without data keeps its 00 */
	if (le_len == 2 && !body)
		out[hdr++] = 0x00;
	memcpy(out + hdr + body, le, le_len);
	*out_len = hdr + body + le_len;
	return 0;
}

int scp03_unwrap(struct scp03 *s, uint8_t *rsp, size_t *len)
{
	uint8_t mac[SCP03_MAC], icv[SCP03_BLOCK];
	size_t n = *len;
	uint16_t sw;
	int ret;

	if (!s->authenticated)
		return -ENOTCONN;
	if (n < 2)
		return -EPROTO;
	sw = (rsp[n - 2] << 8) | rsp[n - 1];
	n -= 2;
	if (!scp03_sw_protected(sw)) {
		if (n)
			return -EBADMSG;	/* data beside an error */
		return 0;
	}
	if (s->level & GP_SL_RMAC) {
		if (n < SCP03_MAC)
			return -EBADMSG;
		n -= SCP03_MAC;
		ret = scp03_rmac(s, rsp, n, sw, mac);
		if (ret)
			return ret;
		if (CRYPTO_memcmp(mac, rsp + n, SCP03_MAC))
			return -EBADMSG;
	}
	if ((s->level & GP_SL_RENC) && n) {
		if (n % SCP03_BLOCK)
			return -EBADMSG;
		ret = scp03_icv(s, true, icv);
		if (!ret)
			ret = gp_aes_cbc(s->s_enc, s->klen, false, icv, rsp, n,
					 rsp);
		if (!ret)
			ret = gp_unpad(rsp, n, &n);
		if (ret)
			return ret;
	}
	rsp[n] = sw >> 8;
	rsp[n + 1] = sw & 0xff;
	*len = n + 2;
	return 0;
}

int scp03_encrypt_key(const struct scp03 *s, const uint8_t *key,
		      size_t klen, uint8_t *out)
{
	static const uint8_t zero[SCP03_BLOCK];

	return gp_aes_cbc(s->dek, s->klen, true, zero, key, klen, out);
}

/* Card side */

int scp03_card_challenge(const struct gp_keyset *ks,
			 const uint8_t seq[SCP03_SEQ], const uint8_t *aid,
			 size_t aid_len, uint8_t chal[SCP03_CHALLENGE])
{
	uint8_t ctx[SCP03_SEQ + 16];

	if (!aid || aid_len < 5 || aid_len > 16)
		return -EINVAL;
	memcpy(ctx, seq, SCP03_SEQ);
	memcpy(ctx + SCP03_SEQ, aid, aid_len);
	return scp03_kdf(ks->enc, ks->len, SCP03_DC_CARD_CHAL, ctx,
			 SCP03_SEQ + aid_len, 64, chal);
}

int scp03_card_begin(struct scp03 *s, const struct gp_keyset *ks,
		     uint8_t i_param, const uint8_t div[10],
		     const uint8_t host_chal[SCP03_CHALLENGE],
		     const uint8_t card_chal[SCP03_CHALLENGE],
		     const uint8_t *seq, uint8_t *rsp, size_t *rsp_len)
{
	int ret;

	ret = scp03_derive(s, ks, host_chal, card_chal);
	if (ret)
		return ret;
	s->i_param = i_param;
	memcpy(rsp, div, 10);
	rsp[10] = ks->kvn;
	rsp[11] = 0x03;
	rsp[12] = i_param;
	memcpy(rsp + 13, card_chal, SCP03_CHALLENGE);
	ret = scp03_cryptogram(s, SCP03_DC_CARD_CRYPTO, rsp + 21);
	if (ret)
		return ret;
	*rsp_len = SCP03_IU_RSP;
	if (i_param & SCP03_I_PSEUDO) {
		memcpy(rsp + SCP03_IU_RSP, seq, SCP03_SEQ);
		*rsp_len = SCP03_IU_RSP_SEQ;
	}
	return 0;
}

int scp03_card_ext_auth(struct scp03 *s, const uint8_t *apdu, size_t len)
{
	uint8_t crypto[SCP03_CRYPTOGRAM], mac[SCP03_MAC];
	uint8_t hdr[5 + SCP03_CRYPTOGRAM], level;
	int ret;

	if (len != 5 + SCP03_CRYPTOGRAM + SCP03_MAC || apdu[4] != 0x10 ||
	    !gp_cla_sm(apdu[0]))
		return -EINVAL;
	level = apdu[2];
	if (!scp03_level_ok(level))
		return -EINVAL;
	if ((level & GP_SL_RMAC) && !(s->i_param & SCP03_I_RMAC))
		return -EINVAL;
	if ((level & GP_SL_RENC) && !(s->i_param & SCP03_I_RENC))
		return -EINVAL;
	ret = scp03_cryptogram(s, SCP03_DC_HOST_CRYPTO, crypto);
	if (ret)
		return ret;
	if (CRYPTO_memcmp(crypto, apdu + 5, SCP03_CRYPTOGRAM))
		return -EACCES;
	memset(s->mcv, 0, sizeof(s->mcv));
	memcpy(hdr, apdu, 5 + SCP03_CRYPTOGRAM);
	hdr[0] = gp_cla_mac(apdu[0]);
	ret = scp03_chain_mac(s, hdr, 5 + SCP03_CRYPTOGRAM, mac);
	if (ret)
		return ret;
	if (CRYPTO_memcmp(mac, apdu + 5 + SCP03_CRYPTOGRAM, SCP03_MAC))
		return -EBADMSG;
	s->level = level;
	s->enc_ctr = 0;
	s->authenticated = true;
	return 0;
}

int scp03_card_unwrap(struct scp03 *s, uint8_t *apdu, size_t *len)
{
	uint8_t mac[SCP03_MAC], icv[SCP03_BLOCK];
	size_t n = *len, hdr, nc, le_len;
	uint8_t *data, le[2], cla;
	int ret;

	if (!s->authenticated)
		return -ENOTCONN;
	if (n < 4)
		return -EINVAL;
	s->enc_ctr++;
	if (!(s->level & GP_SL_CMAC)) {
		/* level 00: commands come as they are */
		if (gp_cla_sm(apdu[0]))
			return -EBADMSG;
		return 0;
	}
	if (!gp_cla_sm(apdu[0]) || n < 5)
		return -EBADMSG;
	/* Lc: short (1 byte) or extended (00 and 2 bytes) */
	if (apdu[4]) {
		hdr = 5;
		nc = apdu[4];
		if (n != hdr + nc && n != hdr + nc + 1)
			return -EBADMSG;
		le_len = n - hdr - nc;
	} else {
		if (n < 7)
			return -EBADMSG;
		hdr = 7;
		nc = (apdu[5] << 8) | apdu[6];
		if (!nc || (n != hdr + nc && n != hdr + nc + 2))
			return -EBADMSG;
		le_len = n - hdr - nc;
	}
	if (nc < SCP03_MAC)
		return -EBADMSG;
	data = apdu + hdr;
	nc -= SCP03_MAC;
	/* MAC with the channel number zero; the class byte put back after */
	cla = apdu[0];
	apdu[0] = gp_cla_mac(cla);
	ret = scp03_chain_mac(s, apdu, hdr + nc, mac);
	apdu[0] = cla;
	if (ret)
		return ret;
	if (CRYPTO_memcmp(mac, data + nc, SCP03_MAC))
		return -EBADMSG;
	memcpy(s->rmcv, s->mcv, SCP03_BLOCK);
	if ((s->level & GP_SL_CDEC) && nc) {
		if (nc % SCP03_BLOCK)
			return -EBADMSG;
		ret = scp03_icv(s, false, icv);
		if (!ret)
			ret = gp_aes_cbc(s->s_enc, s->klen, false, icv, data,
					 nc, data);
		if (!ret)
			ret = gp_unpad(data, nc, &nc);
		if (ret)
			return ret;
	}
	/* rebuild: the plain class byte, Lc, data and the Le as sent */
	apdu[0] = gp_cla_no_sm(apdu[0]);
	memcpy(le, apdu + n - le_len, le_len);
	if (!nc) {
		/* no data left: Le alone (00 Le1 Le2 when extended) */
		if (le_len == 2)
			apdu[4] = 0x00;
		memcpy(apdu + 4 + (le_len == 2), le, le_len);
		*len = 4 + (le_len == 2) + le_len;
		return 0;
	}
	if (hdr == 5) {
		apdu[4] = nc;
	} else {
		apdu[5] = nc >> 8;
		apdu[6] = nc & 0xff;
	}
	memcpy(data + nc, le, le_len);
	*len = hdr + nc + le_len;
	return 0;
}

int scp03_card_wrap(struct scp03 *s, uint8_t *data, size_t *len, uint16_t sw)
{
	uint8_t icv[SCP03_BLOCK];
	size_t n = *len;
	int ret;

	if (!s->authenticated || !scp03_sw_protected(sw)) {
		if (!scp03_sw_protected(sw))
			n = 0;
		goto out;
	}
	if ((s->level & GP_SL_RENC) && n) {
		n = gp_pad(data, n);
		ret = scp03_icv(s, true, icv);
		if (!ret)
			ret = gp_aes_cbc(s->s_enc, s->klen, true, icv, data, n,
					 data);
		if (ret)
			return ret;
	}
	if (s->level & GP_SL_RMAC) {
		ret = scp03_rmac(s, data, n, sw, data + n);
		if (ret)
			return ret;
		n += SCP03_MAC;
	}
out:
	data[n] = sw >> 8;
	data[n + 1] = sw & 0xff;
	*len = n + 2;
	return 0;
}
