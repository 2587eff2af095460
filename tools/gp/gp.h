/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsecelgp - GlobalPlatform card content management from the host:
 * a secure channel session over any APDU transport, GET STATUS with
 * 6310 paging, INSTALL, LOAD, DELETE, PUT KEY; BER-TLV reading; and
 * secel's native load-file format (Documentation/secel/gp.rst).
 *
 * Calls return 0, a status word (> 0) when the card refused, or a
 * negative errno; gp_host.err then says what failed in one line.
 */
#ifndef SECEL_GP_GP_H
#define SECEL_GP_GP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scp02.h"
#include "scp03.h"

#define GP_AID_MIN		5
#define GP_AID_MAX		16
#define GP_ISD_AID		"\xA0\x00\x00\x01\x51\x00\x00\x00"
#define GP_ISD_AID_LEN		8

/* GET STATUS P1 */
#define GP_STATUS_ISD		0x80
#define GP_STATUS_APPS		0x40
#define GP_STATUS_LOADFILES	0x20
#define GP_STATUS_MODULES	0x10

/* Life-cycle states, GlobalPlatform Card Specification 11.1.1 */
#define GP_LC_CARD_OP_READY	0x01
#define GP_LC_CARD_INITIALIZED	0x07
#define GP_LC_CARD_SECURED	0x0f
#define GP_LC_CARD_LOCKED	0x7f
#define GP_LC_CARD_TERMINATED	0xff
#define GP_LC_LOADED		0x01	/* executable load file */
#define GP_LC_INSTALLED		0x03	/* application */
#define GP_LC_SELECTABLE	0x07
#define GP_LC_APP_LOCKED	0x83	/* b8 set: locked */

/* A BER-TLV cursor: tags of 1-3 bytes, definite lengths up to 3 bytes. */
struct gp_tlv {
	unsigned int tag;
	bool constructed;
	const uint8_t *val;
	size_t len;
};

/* Next TLV in @buf at *@off: 1 found, 0 at the end, -EBADMSG malformed.
 * Padding bytes 00 and FF between TLVs are skipped. */
int gp_tlv_next(const uint8_t *buf, size_t len, size_t *off,
		struct gp_tlv *t);
/* First TLV with @tag among the TLVs of @buf (not nested). */
int gp_tlv_find(const uint8_t *buf, size_t len, unsigned int tag,
		struct gp_tlv *t);
/*
 * What the install parameters (the value of C9) of an application of load
 * file type @type lack that the card needs, in a few words naming the tag;
 * NULL when nothing is missing or the type is not one secel-vcard knows.
 * secel.datastore needs its PIN, DF20 of 4 to 8 bytes.
 */
const char *gp_install_params_missing(const char *type, const uint8_t *params,
				      size_t len);
/* Append tag, length, value; returns the bytes written. */
size_t gp_tlv_put(uint8_t *out, unsigned int tag, const uint8_t *val,
		  size_t len);

/*
 * secel native load file: the Load File Data Block (the value of C4 in
 * LOAD) for application types built into the card.  BER-TLV:
 *   4F    load file AID                 (5-16 bytes)
 *   DF01  format version                01
 *   DF02  application type              "secel.purse", "secel.datastore"
 *   CE    load file version             major, minor
 *   84    executable module AID         (5-16 bytes)
 *   DF03  code image                    any bytes, optional
 */
#define GP_LF_FORMAT		0x01
#define GP_LF_TYPE_MAX		32
#define GP_LF_MAX		262144	/* 256 extended LOAD blocks of 1 KiB */

struct gp_loadfile {
	uint8_t aid[GP_AID_MAX];
	size_t aid_len;
	char type[GP_LF_TYPE_MAX + 1];
	uint8_t version[2];
	uint8_t module[GP_AID_MAX];
	size_t module_len;
	size_t code_len;
};

/* 0, or -EBADMSG with @why set to a short reason. */
int gp_lf_parse(const uint8_t *buf, size_t len, struct gp_loadfile *lf,
		const char **why);
/* Build a load file with @code_len bytes of code image; returns length. */
size_t gp_lf_build(const struct gp_loadfile *lf, const uint8_t *code,
		   uint8_t *out, size_t room);

/* Host side */
typedef int (*gp_xfer_fn)(void *ctx, unsigned int channel,
			  const uint8_t *cmd, size_t len,
			  uint8_t *rsp, size_t *rsp_len);

struct gp_host {
	gp_xfer_fn xfer;
	void *ctx;
	unsigned int channel;
	struct scp03 scp;
	/* an SCP02 card (its INITIALIZE UPDATE answer says 02): scp2 is
	 * the session, scp02 set; levels 01 and 03, no PUT KEY */
	struct scp02 scp2;
	bool scp02;
	bool secure;
	/* the session ended on an error (protection, transport, the card's
	 * 6982): nothing more is sent, protected or not, until gp_open() */
	bool dropped;
	/* the longest command data field the card takes (9F65 of the
	 * security domain's FCI, see gp_fci_max_data()) when the transport
	 * carries extended-length APDUs; 0 or up to 255: short APDUs only */
	size_t max_data;
	/* GP_DIV_*: the keys given to gp_open_sd() are master keys, the
	 * card's are derived from them and its key diversification data */
	int diversify;
	char err[256];
};

#define GP_DIV_NONE		0
#define GP_DIV_KDF3		1	/* SCP03 keys, GlobalPlatformPro's KDF3 */
#define GP_DIV_EMV		2	/* EMV CPS 1.1, 16-byte master key */
#define GP_DIV_VISA2		3	/* VISA2, 16-byte master key */

/*
 * KDF3 diversification of AES keys (as GlobalPlatformPro names it): each
 * key is NIST SP 800-108 counter mode with AES-CMAC under the master key,
 * input counter || 00 00 00 k 00 || key diversification data (k: 1 ENC,
 * 2 MAC, 3 DEK), as long as the master key.  @kdd: the first 10 bytes of
 * the INITIALIZE UPDATE answer.
 */
int gp_kdf3(const struct gp_keyset *master, const uint8_t kdd[10],
	    struct gp_keyset *out);

/*
 * EMV CPS 1.1 and VISA2 diversification (GlobalPlatformPro's "emv" and
 * "visa2"): each key is the 16-byte master key as two-key 3DES in ECB
 * mode over 16 bytes, X || F0 k || X || 0F k (k: 1 ENC, 2 MAC, 3 DEK),
 * X six bytes of the key diversification data @kdd (the first 10 bytes
 * of the INITIALIZE UPDATE answer): EMV bytes 4 to 9 (the chip's
 * identifier), VISA2 bytes 0 1 and 4 to 7.  The result is 16 bytes, a
 * 3DES key for SCP02 or an AES-128 key for SCP03 (as GlobalPlatformPro
 * up to v21.12.31 derives them).  -EINVAL unless the master is 16 bytes.
 */
int gp_div_emv(const struct gp_keyset *master, const uint8_t kdd[10],
	       struct gp_keyset *out);
int gp_div_visa2(const struct gp_keyset *master, const uint8_t kdd[10],
		 struct gp_keyset *out);

/* The keys a card holds from @master under GP_DIV_* @method (GP_DIV_NONE
 * copies them): 0, -EINVAL for a key length the method does not take. */
int gp_diversify(int method, const struct gp_keyset *master,
		 const uint8_t kdd[10], struct gp_keyset *out);

/* 9F65 in a SELECT answer 6F { A5 { 9F65 } } (data, no SW): the value,
 * or 255 when there is none. */
size_t gp_fci_max_data(const uint8_t *fci, size_t len);

/* One GET STATUS entry */
struct gp_status {
	uint8_t aid[GP_AID_MAX];
	size_t aid_len;
	uint8_t lifecycle;
	uint8_t privs[3];
	size_t privs_len;
	uint8_t elf[GP_AID_MAX];	/* C4: load file of an application */
	size_t elf_len;
	uint8_t version[2];
	bool has_version;
	uint8_t modules[4][GP_AID_MAX];
	size_t module_len[4];
	size_t nmodules;
};

/*
 * Send a command, protected when a session is open; @rsp gets data and
 * SW1 SW2 (room for 258 bytes).  Returns 0 or -errno.  Any error under a
 * session (the command cannot be protected, the transport fails, the
 * answer does not verify) or a 6982 ends the session: -ENOTCONN for every
 * later command until gp_open().
 */
int gp_send(struct gp_host *h, const uint8_t *cmd, size_t len,
	    uint8_t *rsp, size_t *rsp_len);
/*
 * INITIALIZE UPDATE and EXTERNAL AUTHENTICATE with @ks (kvn 0: any) to
 * the security domain @sd_aid, selected on the channel: its AID is part
 * of the card challenge, which is checked.  gp_open(): the ISD
 * A000000151000000.
 */
int gp_open_sd(struct gp_host *h, const struct gp_keyset *ks, uint8_t level,
	       const uint8_t *sd_aid, size_t sd_aid_len);
int gp_open(struct gp_host *h, const struct gp_keyset *ks, uint8_t level);
/* Command data bytes one APDU can carry: 255, less under a session. */
size_t gp_data_room(const struct gp_host *h);
/* The same with extended-length APDUs when @h->max_data allows them. */
size_t gp_data_room_ext(const struct gp_host *h);
int gp_get_status(struct gp_host *h, uint8_t p1, struct gp_status *st,
		  size_t room, size_t *count);
int gp_get_data(struct gp_host *h, unsigned int tag, uint8_t *out,
		size_t *len);
/*
 * INSTALL [for load] and LOAD in blocks (gp_load), INSTALL [for install
 * and make selectable] of @module as @app with @params, the value of C9
 * (gp_install).  @block: LOAD block size (0: the largest that fits one
 * APDU, extended when @h->max_data allows it); a load file that needs
 * more than 256 blocks is refused before INSTALL [for load] (-EFBIG).
 * The card's answer to INSTALL may be empty or the one
 * byte 00 of GlobalPlatform 11.5.3; both are taken.  An INSTALL that
 * would not fit one APDU under the session is refused before anything is
 * sent (-EMSGSIZE): gp_install_data_len() tells beforehand.
 */
size_t gp_install_data_len(size_t elf_len, size_t module_len, size_t app_len,
			   size_t params_len);
int gp_load(struct gp_host *h, const uint8_t *lf, size_t lf_len,
	    size_t block);
int gp_install(struct gp_host *h, const uint8_t *elf, size_t elf_len,
	       const uint8_t *module, size_t module_len,
	       const uint8_t *app, size_t app_len,
	       const uint8_t *params, size_t params_len);
int gp_delete(struct gp_host *h, const uint8_t *aid, size_t len,
	      bool related);
/* INSTALL with @p1 04 ([for install]) or 0C (and make selectable) and
 * @privs (1 or 3 bytes, GPCS table 11-7; 04 in the first: default
 * selected). */
int gp_install_ex(struct gp_host *h, uint8_t p1, const uint8_t *elf,
		  size_t elf_len, const uint8_t *module, size_t module_len,
		  const uint8_t *app, size_t app_len, const uint8_t *privs,
		  size_t privs_len, const uint8_t *params, size_t params_len);
/* SET STATUS of the card (P1 80): 7F lock, 0F unlock, FF terminate. */
int gp_set_card_status(struct gp_host *h, uint8_t lc);
/* DELETE of key version @kvn (D2, GPCS 11.2.2.3). */
int gp_delete_key(struct gp_host *h, uint8_t kvn);

/*
 * The same commands built, not sent, for a host that batches them (a
 * TSM's scripts): unprotected, basic-channel class byte 80, with Le.
 * @out has room for GP_APDU_MAX bytes.  0 with *@out_len set, or
 * -EINVAL (not a load file, an AID longer than 16 bytes, or for DELETE
 * not 5-16 bytes, parameters longer than 200 bytes), -EIO (no SHA-256).  INSTALL [for load] carries the
 * load file's SHA-256; INSTALL [for install and make selectable] no
 * privileges, the parameters as the value of C9 and no token.
 */
#define GP_APDU_MAX		261
int gp_apdu_install_load(const uint8_t *lf, size_t lf_len, uint8_t *out,
			 size_t *out_len);
int gp_apdu_install(const uint8_t *elf, size_t elf_len,
		    const uint8_t *module, size_t module_len,
		    const uint8_t *app, size_t app_len,
		    const uint8_t *params, size_t params_len,
		    uint8_t *out, size_t *out_len);
/*
 * LOAD block @nr (P1 80 on the @last one) carrying @len bytes of @data,
 * extended-length when @ext, Le 00; into @out (room for @len + 9); its
 * length.
 */
size_t gp_apdu_load(uint8_t nr, bool last, const uint8_t *data, size_t len,
		    bool ext, uint8_t *out);
int gp_apdu_delete(const uint8_t *aid, size_t len, bool related,
		   uint8_t *out, size_t *out_len);
/*
 * The E3 entries of one GET STATUS answer (its data, without SW1 SW2),
 * appended to @st at *@count: 0, -EBADMSG (not E3 entries), -ENOSPC
 * (more than @room in all).
 */
int gp_status_parse(const uint8_t *data, size_t len, struct gp_status *st,
		    size_t room, size_t *count);
/* SET STATUS: lock (or unlock) the application @aid. */
int gp_set_lock(struct gp_host *h, const uint8_t *aid, size_t len,
		bool lock);
/* Replace key version @old (0: add) by @ks. */
int gp_put_key(struct gp_host *h, uint8_t old, const struct gp_keyset *ks);

const char *gp_sw_str(uint16_t sw);
const char *gp_lc_str(bool app, uint8_t lc);

#endif /* SECEL_GP_GP_H */
