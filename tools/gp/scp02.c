// SPDX-License-Identifier: GPL-2.0
/*
 * libsecelgp - SCP02, GlobalPlatform Card Specification 2.3 appendix E,
 * host side: session keys, cryptograms, C-MAC and C-DECRYPTION.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "scp02.h"

/* 3DES (two keys) CBC without padding; @len a multiple of 8. */
static int tdes_cbc(const uint8_t key[16], const uint8_t iv[8],
		    const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, ret = -EIO;

	if (len % 8 || len > (size_t)0x7fffffff)
		return -EINVAL;
	if (!len)
		return 0;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -EIO;
	if (EVP_EncryptInit_ex(ctx, EVP_des_ede_cbc(), NULL, key, iv) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    (size_t)n == len)
		ret = 0;
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/* Single DES CBC: 3DES with K1 || K1 (E(K1) D(K1) E(K1) is E(K1)). */
static int des_cbc(const uint8_t key[8], const uint8_t iv[8],
		   const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t k[16];
	int ret;

	memcpy(k, key, 8);
	memcpy(k + 8, key, 8);
	ret = tdes_cbc(k, iv, in, len, out);
	OPENSSL_cleanse(k, sizeof(k));
	return ret;
}

/* ISO/IEC 9797-1 method 2 padding to 8 bytes; returns the new length. */
static size_t pad8(uint8_t *buf, size_t len)
{
	buf[len++] = 0x80;
	while (len % 8)
		buf[len++] = 0x00;
	return len;
}

int scp02_full_mac(const uint8_t key[16], const uint8_t iv[8],
		   const uint8_t *msg, size_t len, uint8_t mac[8])
{
	uint8_t buf[272];
	size_t n;
	int ret;

	if (len > sizeof(buf) - 8)
		return -EMSGSIZE;
	memcpy(buf, msg, len);
	n = pad8(buf, len);
	ret = tdes_cbc(key, iv, buf, n, buf);
	if (!ret)
		memcpy(mac, buf + n - 8, 8);
	return ret;
}

/* ISO/IEC 9797-1 MAC algorithm 3: single DES chaining, 3DES at the end */
int scp02_retail_mac(const uint8_t key[16], const uint8_t iv[8],
		     const uint8_t *msg, size_t len, uint8_t mac[8])
{
	uint8_t buf[272], x[8];
	size_t n;
	int ret = 0;

	if (len > sizeof(buf) - 8)
		return -EMSGSIZE;
	memcpy(buf, msg, len);
	n = pad8(buf, len);
	memcpy(x, iv, 8);
	if (n > 8) {
		ret = des_cbc(key, iv, buf, n - 8, buf);
		memcpy(x, buf + n - 16, 8);
	}
	if (!ret)
		ret = tdes_cbc(key, x, buf + n - 8, 8, mac);
	return ret;
}

/* Session key: 3DES-CBC(static key, zero ICV, constant || seq || 0...) */
static int scp02_session_key(const uint8_t key[16], uint16_t constant,
			     const uint8_t seq[2], uint8_t out[16])
{
	static const uint8_t zero[8];
	uint8_t in[16] = { 0 };

	in[0] = constant >> 8;
	in[1] = constant & 0xff;
	in[2] = seq[0];
	in[3] = seq[1];
	return tdes_cbc(key, zero, in, 16, out);
}

int scp02_host_begin(struct scp02 *s, const struct gp_keyset *ks,
		     const uint8_t host_chal[8], const uint8_t *iu_rsp,
		     size_t iu_len)
{
	static const uint8_t zero[8];
	uint8_t msg[16], crypto[8];
	int ret;

	memset(s, 0, sizeof(*s));
	if (iu_len != SCP02_IU_RSP || iu_rsp[11] != 0x02)
		return -EPROTO;
	if (ks->len != 16)
		return -EINVAL;
	memcpy(s->host_chal, host_chal, 8);
	memcpy(s->seq, iu_rsp + 12, 2);
	memcpy(s->card_chal, iu_rsp + 14, 6);
	/* GPCS E.4.1: constants 0182 S-ENC, 0101 C-MAC, 0181 DEK */
	ret = scp02_session_key(ks->enc, 0x0182, s->seq, s->s_enc);
	if (!ret)
		ret = scp02_session_key(ks->mac, 0x0101, s->seq, s->s_mac);
	if (!ret)
		ret = scp02_session_key(ks->dek, 0x0181, s->seq, s->s_dek);
	if (ret)
		goto fail;
	/* card cryptogram: host challenge || sequence counter || card
	 * challenge, full 3DES MAC under S-ENC */
	memcpy(msg, host_chal, 8);
	memcpy(msg + 8, s->seq, 2);
	memcpy(msg + 10, s->card_chal, 6);
	ret = scp02_full_mac(s->s_enc, zero, msg, 16, crypto);
	if (ret)
		goto fail;
	if (CRYPTO_memcmp(crypto, iu_rsp + 20, 8)) {
		ret = -EBADMSG;
		goto fail;
	}
	return 0;
fail:
	OPENSSL_cleanse(s, sizeof(*s));
	return ret;
}

int scp02_ext_auth(struct scp02 *s, uint8_t level, uint8_t *apdu,
		   size_t *apdu_len)
{
	static const uint8_t zero[8];
	uint8_t msg[16];
	int ret;

	if (level != 0x01 && level != 0x03)
		return -EINVAL;
	/* host cryptogram: sequence counter || card challenge || host
	 * challenge */
	memcpy(msg, s->seq, 2);
	memcpy(msg + 2, s->card_chal, 6);
	memcpy(msg + 8, s->host_chal, 8);
	apdu[0] = 0x84;
	apdu[1] = 0x82;
	apdu[2] = level;
	apdu[3] = 0x00;
	apdu[4] = 0x10;
	ret = scp02_full_mac(s->s_enc, zero, msg, 16, apdu + 5);
	if (!ret)
		ret = scp02_retail_mac(s->s_mac, zero, apdu, 13, s->mcv);
	if (ret)
		return ret;
	memcpy(apdu + 13, s->mcv, 8);
	*apdu_len = 21;
	s->level = level;
	s->authenticated = true;
	return 0;
}

size_t scp02_data_room(uint8_t level)
{
	/* 03: data padded to whole 8-byte blocks, at least one pad byte */
	return level & 0x02 ? (255 - 8) / 8 * 8 - 1 : 255 - 8;
}

int scp02_wrap(struct scp02 *s, const uint8_t *cmd, size_t len,
	       uint8_t *out, size_t *out_len)
{
	static const uint8_t zero[8];
	uint8_t icv[8], mac[8], data[264];
	size_t nc = 0, le_len = 0, n;
	uint8_t le = 0;
	int ret;

	if (!s->authenticated)
		return -ENOTCONN;
	if (len < 4 || (cmd[0] & 0x0c) || (cmd[0] & 0x40))
		return -EINVAL;
	if (len == 5) {
		le = cmd[4];
		le_len = 1;
	} else if (len > 5) {
		nc = cmd[4];
		if (!nc || (len != 5 + nc && len != 6 + nc))
			return -EINVAL;
		if (len == 6 + nc) {
			le = cmd[len - 1];
			le_len = 1;
		}
	}
	if (nc > scp02_data_room(s->level))
		return -EMSGSIZE;
	/* GPCS E.4.4: the ICV is the last C-MAC, encrypted with single DES
	 * under the first half of S-MAC (i = 15, 55) */
	ret = des_cbc(s->s_mac, zero, s->mcv, 8, icv);
	if (ret)
		return ret;
	/* the MAC over the modified header: SM bit, Lc with the MAC */
	out[0] = (cmd[0] & ~0x03) | 0x04;
	memcpy(out + 1, cmd + 1, 3);
	out[4] = nc + 8;
	memcpy(out + 5, cmd + 5, nc);
	ret = scp02_retail_mac(s->s_mac, icv, out, 5 + nc, mac);
	if (ret)
		return ret;
	n = nc;
	if ((s->level & 0x02) && nc) {
		/* C-DECRYPTION: 3DES-CBC, zero ICV, padded data; Lc again */
		memcpy(data, cmd + 5, nc);
		n = pad8(data, nc);
		ret = tdes_cbc(s->s_enc, zero, data, n, out + 5);
		if (ret)
			return ret;
		out[4] = n + 8;
	}
	memcpy(out + 5 + n, mac, 8);
	memcpy(s->mcv, mac, 8);
	if (le_len)
		out[5 + n + 8] = le;
	*out_len = 5 + n + 8 + le_len;
	return 0;
}
