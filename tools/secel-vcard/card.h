/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-vcard - card model: an ISO/IEC 7816-4 card with logical channels,
 * a small GlobalPlatform-like issuer security domain (ISD) facade and a
 * test applet.  No kernel I/O here: vcard_apdu() takes a command APDU and
 * gives the response APDU, so the model can be tested on its own.
 *
 * Layers:
 *   card.c         APDU parsing, class byte, channels, SELECT, GET RESPONSE,
 *                  dispatch to the application selected on the channel
 *   isd.c          the ISD: FCI and GET DATA
 *   gp-card.c      GlobalPlatform in the ISD: SCP03 sessions, INSTALL,
 *                  LOAD, DELETE, GET STATUS, PUT KEY, key information
 *   apps.c         native application types: purse and data store
 *   state.c        the card's content and keys in a state file
 *   applet-test.c  the test applet
 *   aram.c         the ARA-M, with --ara-rules
 */
#ifndef SECEL_VCARD_CARD_H
#define SECEL_VCARD_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../gp/gp.h"

#define VC_CHANNELS		20	/* basic channel 0 plus 1..19 */
#define VC_ATR_MAX		33
#define VC_AID_MIN		5
#define VC_AID_MAX		16
#define VC_ITEM_MAX		240	/* a GET DATA value, so the TLV fits 256 */
#define VC_CMD_MAX		65544	/* extended case 4 */
#define VC_RSP_MAX		65538	/* 65536 data bytes and SW1 SW2 */
#define VC_DATA_MAX		65536

/* Status words */
#define SW_OK			0x9000
#define SW_MORE_DATA		0x6310
#define SW_AUTH_FAILED		0x6300
#define SW_MEMORY_FAILURE	0x6581
#define SW_SECURITY		0x6982
#define SW_BLOCKED		0x6983
#define SW_WRONG_DATA		0x6A80
#define SW_RECORD_NOT_FOUND	0x6A83
#define SW_NO_SPACE		0x6A84
#define SW_WRONG_LENGTH		0x6700
#define SW_CHANNEL_NOT_SUPP	0x6881
#define SW_SM_NOT_SUPP		0x6882
#define SW_CHAINING_NOT_SUPP	0x6884
#define SW_COND_NOT_SATISFIED	0x6985
#define SW_FUNC_NOT_SUPP	0x6A81
#define SW_NOT_FOUND		0x6A82
#define SW_WRONG_P1P2		0x6A86
#define SW_REF_NOT_FOUND	0x6A88
#define SW_INS_NOT_SUPP		0x6D00
#define SW_CLA_NOT_SUPP		0x6E00

/* The test applet: AID and instructions (CLA 80 class) */
#define VC_TEST_AID		"\xF0\x53\x45\x43\x45\x4C\x01"
#define VC_TEST_AID_LEN		7
#define VC_INS_ECHO		0x10
#define VC_INS_GENERATE		0x12
#define VC_INS_EXACT_LE		0x14
#define VC_INS_WHOAMI		0x16
#define VC_INS_LONG		0x18
#define VC_INS_COUNTER		0x1A

/* The ARA-M (GlobalPlatform SEAC) */
#define VC_ARAM_AID		"\xA0\x00\x00\x01\x51\x41\x43\x4C\x00"
#define VC_ARAM_AID_LEN		9
#define VC_ARA_MAX		16384

/* The ARA-M's answers, from --ara-rules FILE (aram.c). */
struct vc_ara {
	bool present;		/* GET DATA [All] has data; else 6A88 */
	uint8_t data[VC_ARA_MAX];	/* the whole answer, FF40 ... */
	size_t len;
	size_t chunk;		/* most bytes one answer carries */
	uint16_t sw;		/* non-zero: GET DATA [All] answers this */
	bool has_tag;
	uint8_t tag[8];		/* GET DATA [Refresh] */
};

/* The GlobalPlatform ISD AID */
#define VC_ISD_AID		"\xA0\x00\x00\x01\x51\x00\x00\x00"
#define VC_ISD_AID_LEN		8

/* One optional data item: CPLC, IIN, CIN, card recognition data. */
struct vc_item {
	bool present;
	size_t len;
	uint8_t val[VC_ITEM_MAX];
};

struct vc_config {
	uint8_t atr[VC_ATR_MAX];
	size_t atr_len;
	uint8_t isd_aid[VC_AID_MAX];
	size_t isd_aid_len;
	struct vc_item cplc;		/* GET DATA 9F7F */
	struct vc_item iin;		/* GET DATA 0042 */
	struct vc_item cin;		/* GET DATA 0045 */
	struct vc_item card_data;	/* GET DATA 0066, a 73 template */
	bool extended;		/* accept extended-length APDUs */
	bool no_channels;	/* MANAGE CHANNEL -> 6881 */
	bool no_gpdata;		/* every GET DATA -> 6A88 */
	bool force_61;		/* test applet data always via 61xx */
	unsigned int channels;	/* highest logical channel, 0..19 */
	const struct vc_ara *ara;	/* NULL: no ARA-M on the card */
};

/* A command APDU, parsed and with its class byte decoded. */
struct vc_apdu {
	uint8_t cla, ins, p1, p2;
	int apdu_case;		/* 1..4 */
	bool extended;
	const uint8_t *data;
	size_t nc;		/* data bytes */
	size_t ne;		/* bytes expected, 0 when there is no Le */
	unsigned int channel;	/* decoded from CLA */
	bool proprietary;	/* CLA b8 set (80..FE) */
	bool sm;		/* secure messaging indicated */
	bool chaining;		/* command chaining indicated */
	const uint8_t *raw;	/* the command as received */
	size_t raw_len;
};

struct vcard;
struct vc_chan;

/*
 * What an application hands back: data (in the buffer the card gives),
 * the status word, and whether the data must be fetched in 61xx chunks.
 */
struct vc_out {
	uint8_t *buf;		/* room for VC_DATA_MAX bytes */
	size_t len;
	bool via_61;		/* deliver with 61xx / GET RESPONSE, Le ignored */
};

struct vc_app {
	const char *name;
	/* AID, or NULL to take it from the configuration (the ISD) */
	const uint8_t *aid;
	size_t aid_len;
	/* --force-61 applies to its responses with data */
	bool force_61;
	/* the ISD: secure messaging and GET DATA are its own */
	bool gp;
	/* FCI for SELECT; returns its length */
	size_t (*fci)(struct vcard *vc, struct vc_chan *ch, uint8_t *out);
	/* a command not handled by the card itself; returns SW */
	uint16_t (*process)(struct vcard *vc, struct vc_chan *ch,
			    const struct vc_apdu *a, struct vc_out *out);
};

/* An INSTALL [for load] and the LOAD blocks received so far. */
struct vc_load {
	bool active;
	uint8_t aid[VC_AID_MAX];
	size_t aid_len;
	bool has_hash;
	uint8_t hash[32];
	unsigned int next;		/* block number expected */
	uint8_t *buf;
	size_t len;
};

struct vc_chan {
	bool open;
	const struct vc_app *app;	/* selected application, or NULL */
	int inst;			/* installed instance selected, or -1 */
	uint32_t count;			/* APDUs this channel has seen */
	uint8_t *pend;			/* data left for GET RESPONSE */
	size_t pend_len, pend_off;
	/* GlobalPlatform, when the ISD is selected here */
	struct scp03 scp;
	bool scp_begun;			/* INITIALIZE UPDATE answered */
	struct vc_load load;
	uint8_t status_p1;		/* GET STATUS paging */
	size_t status_next;
	/* data store: PIN verified on this channel */
	bool pin_ok;
	/* ARA-M: where GET DATA [Next] goes on, 0 when nothing is left */
	size_t ara_next;
};

/* The card's content, kept in the state file. */
#define VC_KEYSETS		4
#define VC_ELFS			8
#define VC_INSTANCES		16
#define VC_DS_RECORDS		8
#define VC_DS_RECSIZE		64
#define VC_PIN_MAX		8

#define VC_TYPE_PURSE		1
#define VC_TYPE_DATASTORE	2

struct vc_elf {
	bool used;
	uint8_t aid[VC_AID_MAX];
	uint8_t aid_len;
	uint8_t version[2];
	uint8_t type;
	uint8_t module[VC_AID_MAX];
	uint8_t module_len;
};

struct vc_purse {
	uint8_t key[16];
	uint32_t balance, max, counter;
};

struct vc_store {
	uint8_t pin[VC_PIN_MAX];
	uint8_t pin_len;
	uint8_t tries_max, tries_left;
	uint8_t nrec, rec_size;
	uint8_t rec[VC_DS_RECORDS][VC_DS_RECSIZE];
};

struct vc_inst {
	bool used;
	uint8_t aid[VC_AID_MAX];
	uint8_t aid_len;
	uint8_t elf;			/* index into vc_persist.elf */
	uint8_t lifecycle;
	uint8_t privs[3];
	uint8_t type;
	struct vc_purse purse;
	struct vc_store store;
};

struct vc_persist {
	uint8_t card_lc;
	struct gp_keyset keys[VC_KEYSETS];	/* kvn 0: free */
	/* SCP03 sequence counter of each key set (Amendment D: one per key
	 * set, zero when the key set is created or replaced) */
	uint32_t keyseq[VC_KEYSETS];
	struct vc_elf elf[VC_ELFS];
	struct vc_inst inst[VC_INSTANCES];
};

struct vcard {
	struct vc_config cfg;
	struct vc_chan chan[VC_CHANNELS];
	struct vc_persist st;
	const char *state_path;		/* NULL: content lives in memory only */
	struct vc_persist saved;	/* st as the state file has it */
	int state_lock;			/* fd holding FILE.lock, or -1 */
};

/* card.c */
void vc_config_defaults(struct vc_config *cfg);
struct vcard *vcard_new(const struct vc_config *cfg);
void vcard_free(struct vcard *vc);
/* power-on / reset: channels closed, ISD selected on the basic channel */
void vcard_reset(struct vcard *vc);
/*
 * Process one command APDU; @rsp has room for VC_RSP_MAX bytes.
 * Returns the length of the response (data and SW1 SW2, at least 2).
 * With a state file every command is a transaction: a change that cannot
 * be saved is undone and answered 6581.
 */
size_t vcard_apdu(struct vcard *vc, const uint8_t *cmd, size_t len,
		  uint8_t *rsp);
/*
 * Save the content now, in the middle of a command, before an answer
 * depends on it (a PIN try is counted before the PIN is compared).  0, or
 * -errno with the content back as last saved: the command must then fail
 * with 6581.
 */
int vc_commit(struct vcard *vc);
/* ISO/IEC 7816-4 parse; returns 0, or a status word (6700, 6E00) */
uint16_t vc_parse(const uint8_t *cmd, size_t len, bool ext_ok,
		  struct vc_apdu *a);
/* BER-TLV helpers */
size_t vc_put_tlv(uint8_t *out, unsigned int tag, const uint8_t *val,
		  size_t len);

/* isd.c */
extern const struct vc_app vc_isd_app;
void vc_isd_defaults(struct vc_config *cfg);
uint16_t vc_get_data(struct vcard *vc, const struct vc_apdu *a,
		     struct vc_out *out);

/* gp-card.c */
void vc_gp_defaults(struct vc_persist *st);
uint16_t vc_gp_process(struct vcard *vc, struct vc_chan *ch,
		       const struct vc_apdu *a, struct vc_out *out);
void vc_gp_end_session(struct vc_chan *ch);
size_t vc_key_info(const struct vcard *vc, uint8_t *out);
int vc_find_instance(const struct vcard *vc, const uint8_t *aid, size_t len);

/* apps.c */
extern const struct vc_app vc_purse_app;
extern const struct vc_app vc_store_app;
const struct vc_app *vc_type_app(uint8_t type);
uint8_t vc_type_by_name(const char *name);
const char *vc_type_name(uint8_t type);
/* install parameters (the value of C9) into a new instance; returns SW */
uint16_t vc_app_install(struct vc_inst *inst, const uint8_t *params,
			size_t len);

/*
 * state.c: 0 or -errno; @err gets a one-line reason.  vc_state_load()
 * locks @path for this process first (-EBUSY when another one has it).
 */
int vc_state_load(struct vcard *vc, const char *path, char *err,
		  size_t err_len);
int vc_state_save(const struct vcard *vc);
/* parse the text of a state file (modified in place) */
int vc_state_parse(char *text, struct vc_persist *st, const char *path,
		   char *err, size_t err_len);

/* aram.c: 0, or -1 with a one-line reason in @err */
extern const struct vc_app vc_aram_app;
int vc_ara_load(const char *path, struct vc_ara *ara, char *err,
		size_t err_len);

/* applet-test.c */
extern const struct vc_app vc_test_app;

#endif /* SECEL_VCARD_CARD_H */
