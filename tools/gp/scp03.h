/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsecelgp - GlobalPlatform Secure Channel Protocol '03' (GlobalPlatform
 * Card Specification 2.3, Amendment D), both ends: the host (off-card
 * entity) and the card.  AES and AES-CMAC come from OpenSSL's libcrypto.
 *
 * One struct scp03 is one secure channel session.  The host side:
 * scp03_host_begin() after INITIALIZE UPDATE checks the card cryptogram
 * and derives the session keys, scp03_ext_auth() builds EXTERNAL
 * AUTHENTICATE, then scp03_wrap() / scp03_unwrap() protect each command
 * and check each response.  The card side: scp03_card_begin() answers
 * INITIALIZE UPDATE, scp03_card_ext_auth() checks the host cryptogram,
 * then scp03_card_unwrap() / scp03_card_wrap().
 *
 * Functions return 0 or a negative errno: -EINVAL for bad arguments,
 * -EMSGSIZE when the result does not fit, -EBADMSG for a MAC or a
 * cryptogram that does not verify, -EIO when libcrypto fails.
 */
#ifndef SECEL_GP_SCP03_H
#define SECEL_GP_SCP03_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCP03_KEY_MAX		32	/* AES-256 */
#define SCP03_BLOCK		16
#define SCP03_CHALLENGE		8	/* S8 mode */
#define SCP03_CRYPTOGRAM	8
#define SCP03_MAC		8
#define SCP03_SEQ		3	/* sequence counter, pseudo-random mode */
/* INITIALIZE UPDATE response: diversification data, key info, challenge,
 * cryptogram and, in pseudo-random mode, the sequence counter */
#define SCP03_IU_RSP		(10 + 3 + 8 + 8)
#define SCP03_IU_RSP_SEQ	(SCP03_IU_RSP + SCP03_SEQ)

/* Derivation constants, Amendment D table 4-1 */
#define SCP03_DC_CARD_CRYPTO	0x00
#define SCP03_DC_HOST_CRYPTO	0x01
#define SCP03_DC_CARD_CHAL	0x02
#define SCP03_DC_S_ENC		0x04
#define SCP03_DC_S_MAC		0x06
#define SCP03_DC_S_RMAC		0x07

/* Security level, EXTERNAL AUTHENTICATE P1 */
#define GP_SL_CMAC		0x01
#define GP_SL_CDEC		0x02
#define GP_SL_RMAC		0x10
#define GP_SL_RENC		0x20

/* 'i' parameter, key information byte 3 */
#define SCP03_I_PSEUDO		0x10	/* pseudo-random card challenge */
#define SCP03_I_RMAC		0x20
#define SCP03_I_RENC		0x40

/* The static keys of one key version */
struct gp_keyset {
	uint8_t kvn;		/* key version number, 01..7F */
	size_t len;		/* 16, 24 or 32 */
	uint8_t enc[SCP03_KEY_MAX];
	uint8_t mac[SCP03_KEY_MAX];
	uint8_t dek[SCP03_KEY_MAX];
};

struct scp03 {
	size_t klen;
	uint8_t s_enc[SCP03_KEY_MAX];
	uint8_t s_mac[SCP03_KEY_MAX];
	uint8_t s_rmac[SCP03_KEY_MAX];
	uint8_t dek[SCP03_KEY_MAX];	/* static DEK, for PUT KEY */
	uint8_t host_chal[SCP03_CHALLENGE];
	uint8_t card_chal[SCP03_CHALLENGE];
	uint8_t mcv[SCP03_BLOCK];	/* MAC chaining value */
	uint8_t rmcv[SCP03_BLOCK];	/* C-MAC chaining value of the command
					 * whose response is awaited (R-MAC) */
	uint32_t enc_ctr;		/* encryption counter */
	uint8_t level;			/* GP_SL_* */
	uint8_t i_param;
	bool authenticated;
};

/* AES-CMAC (NIST SP 800-38B) of @msg; @klen 16, 24 or 32. */
int gp_aes_cmac(const uint8_t *key, size_t klen, const uint8_t *msg,
		size_t len, uint8_t mac[SCP03_BLOCK]);
/* AES-CBC without padding; @len a multiple of 16; in place allowed. */
int gp_aes_cbc(const uint8_t *key, size_t klen, bool encrypt,
	       const uint8_t iv[SCP03_BLOCK], const uint8_t *in, size_t len,
	       uint8_t *out);
/* NIST SP 800-108 counter-mode KDF with AES-CMAC, Amendment D 4.1.5;
 * @lbits output bits (64, 128, 192 or 256). */
int scp03_kdf(const uint8_t *key, size_t klen, uint8_t constant,
	      const uint8_t *ctx, size_t ctx_len, unsigned int lbits,
	      uint8_t *out);
/* Key check value: the first 3 bytes of AES(key, 16 bytes of 01). */
int gp_kcv(const uint8_t *key, size_t klen, uint8_t kcv[3]);
/* The class byte for logical channel @channel (0..19) from a basic
 * channel class byte: ISO/IEC 7816-4 5.4.1, GlobalPlatform 11.1.4. */
int gp_cla_channel(uint8_t cla, unsigned int channel);

/* Host side */
/*
 * Check the INITIALIZE UPDATE answer (without SW) and derive the session
 * keys.  @sd_aid is the security domain the session is with: when the
 * 'i' parameter says pseudo-random card challenge, the challenge must be
 * the one the sequence counter and that AID give.  -EBADMSG: the card
 * cryptogram does not verify (wrong keys); -EACCES: the card challenge
 * does not; -EKEYREJECTED: another key version; -EPROTO, -EPROTONOSUPPORT:
 * not an SCP03 answer.  On failure @s holds no keys.
 */
int scp03_host_begin(struct scp03 *s, const struct gp_keyset *ks,
		     const uint8_t host_chal[SCP03_CHALLENGE],
		     const uint8_t *iu_rsp, size_t iu_len,
		     const uint8_t *sd_aid, size_t sd_aid_len);
/* EXTERNAL AUTHENTICATE with @level for @channel (0-19); 21 bytes with
 * the basic-channel class byte 84: the MAC covers it with channel 0, and
 * the core codes the channel in (Amendment D 6.2.4). */
int scp03_ext_auth(struct scp03 *s, uint8_t level, unsigned int channel,
		   uint8_t *apdu, size_t *apdu_len);
/* Command data bytes a protected short APDU carries at @level: the
 * padding and the MAC take the rest of 255. */
size_t scp03_data_room(uint8_t level);
/* The same for a command data field of at most @field bytes (a card's
 * 9F65; extended-length APDUs above 255, at most 65535). */
size_t scp03_data_room_field(uint8_t level, size_t field);
/*
 * Protect a command APDU (short or extended, basic-channel CLA) for
 * @channel: the
 * MAC covers the class byte with the secure-messaging bit set and the
 * logical channel number zero (Amendment D 6.2.4), as does the output;
 * the core codes the channel in when it sends it.  @out has room
 * for @len + 32 bytes.  An extended command stays extended; a short one
 * whose data is longer than scp03_data_room() gets -EMSGSIZE (with
 * extended ones: more than 65535 bytes protected); a command refused
 * with -EMSGSIZE or -EINVAL leaves the session untouched (counter and
 * chaining value).
 */
int scp03_wrap(struct scp03 *s, const uint8_t *cmd, size_t len,
	       unsigned int channel, uint8_t *out, size_t *out_len);
/* Check and decrypt a response (data and SW1 SW2) in place. */
int scp03_unwrap(struct scp03 *s, uint8_t *rsp, size_t *len);
/* Encrypt a key under the DEK for PUT KEY (Amendment D 7.2.3). */
int scp03_encrypt_key(const struct scp03 *s, const uint8_t *key,
		      size_t klen, uint8_t *out);

/* Card side */
/* The pseudo-random card challenge: KDF(Key-ENC, 02, seq || AID). */
int scp03_card_challenge(const struct gp_keyset *ks,
			 const uint8_t seq[SCP03_SEQ], const uint8_t *aid,
			 size_t aid_len, uint8_t chal[SCP03_CHALLENGE]);
/* Session keys and the INITIALIZE UPDATE response (@div: 10 bytes). */
int scp03_card_begin(struct scp03 *s, const struct gp_keyset *ks,
		     uint8_t i_param, const uint8_t div[10],
		     const uint8_t host_chal[SCP03_CHALLENGE],
		     const uint8_t card_chal[SCP03_CHALLENGE],
		     const uint8_t *seq, uint8_t *rsp, size_t *rsp_len);
/* Check EXTERNAL AUTHENTICATE (the whole APDU as received): -EACCES for a
 * wrong host cryptogram, -EBADMSG for a wrong MAC, -EINVAL for a level
 * the card does not offer. */
int scp03_card_ext_auth(struct scp03 *s, const uint8_t *apdu, size_t len);
/*
 * Check and strip a protected command in place: @apdu is the command as
 * received (CLA with SM bit and any channel), its MAC is checked over the
 * class byte with channel number zero, and removed, and its data
 * decrypted; the result has Lc/Le re-encoded (short or extended as sent).
 */
int scp03_card_unwrap(struct scp03 *s, uint8_t *apdu, size_t *len);
/* Protect a response: @data (@len bytes, room for @len + 32) and @sw. */
int scp03_card_wrap(struct scp03 *s, uint8_t *data, size_t *len, uint16_t sw);

#endif /* SECEL_GP_SCP03_H */
