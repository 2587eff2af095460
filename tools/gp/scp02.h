/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsecelgp - GlobalPlatform Secure Channel Protocol '02' (GlobalPlatform
 * Card Specification 2.3, appendix E), the host side only, for the older
 * cards that speak it: 3DES keys (16 bytes), session keys from the 2-byte
 * sequence counter, the explicit (INITIALIZE UPDATE) initiation, C-MAC on
 * the modified APDU with ICV encryption (i = 15 or 55) and C-DECRYPTION.
 * R-MAC is not supported: security levels 01 and 03.
 *
 * Single DES (the retail MAC's inner blocks, ICV encryption) is 3DES
 * with K1 || K1, so OpenSSL 3's default provider is enough.
 */
#ifndef SECEL_GP_SCP02_H
#define SECEL_GP_SCP02_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scp03.h"

#define SCP02_IU_RSP		28	/* 10 + 2 + 2 + 6 + 8 */

struct scp02 {
	uint8_t s_enc[16];
	uint8_t s_mac[16];
	uint8_t s_dek[16];
	uint8_t host_chal[8];
	uint8_t seq[2];
	uint8_t card_chal[6];
	uint8_t mcv[8];		/* the last C-MAC */
	uint8_t level;
	bool authenticated;
};

/*
 * Check the INITIALIZE UPDATE answer (28 bytes, no SW) with the static
 * 3DES keys @ks (len 16) and derive the session keys: -EBADMSG when the
 * card cryptogram does not verify, -EPROTO when it is not an SCP02 answer,
 * -EINVAL for keys that are not 16 bytes.
 */
int scp02_host_begin(struct scp02 *s, const struct gp_keyset *ks,
		     const uint8_t host_chal[8], const uint8_t *iu_rsp,
		     size_t iu_len);
/* EXTERNAL AUTHENTICATE at @level (01 or 03), 21 bytes, CLA 84. */
int scp02_ext_auth(struct scp02 *s, uint8_t level, uint8_t *apdu,
		   size_t *apdu_len);
/* Data bytes a protected short APDU carries at @level. */
size_t scp02_data_room(uint8_t level);
/*
 * Protect a short command (basic-channel CLA; the MAC is computed with
 * channel 0 and the core codes the channel in): @out has room for
 * @len + 16 bytes.  A refused command leaves the session as it was.
 */
int scp02_wrap(struct scp02 *s, const uint8_t *cmd, size_t len,
	       uint8_t *out, size_t *out_len);
/* The full 3DES MAC and the retail MAC of GPCS appendix B.1.2. */
int scp02_full_mac(const uint8_t key[16], const uint8_t iv[8],
		   const uint8_t *msg, size_t len, uint8_t mac[8]);
int scp02_retail_mac(const uint8_t key[16], const uint8_t iv[8],
		     const uint8_t *msg, size_t len, uint8_t mac[8]);

#endif /* SECEL_GP_SCP02_H */
