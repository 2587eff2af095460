/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel - the parsers: APDU cases, class-byte channel coding, ATR structure,
 * BER-TLV lookup; and the SE list's state machine.  Pure functions of
 * their input, with no kernel object in them, so that KUnit tests them in
 * the kernel and libFuzzer in userspace (tools/fuzz) from the same source.
 */
#ifndef _SECEL_PARSE_H
#define _SECEL_PARSE_H

#include <linux/types.h>
#include <uapi/linux/secel.h>

/* ISO/IEC 7816-4 command cases */
enum secel_apdu_case {
	SECEL_CASE_1 = 1,
	SECEL_CASE_2S,
	SECEL_CASE_3S,
	SECEL_CASE_4S,
	SECEL_CASE_2E,
	SECEL_CASE_3E,
	SECEL_CASE_4E,
};

/**
 * struct secel_apdu - a parsed command APDU
 * @apdu_case: SECEL_CASE_*
 * @nc: length of the command data field
 * @ne: maximum length of the expected response data, 0 when absent
 * @data_off: offset of the command data field
 */
struct secel_apdu {
	enum secel_apdu_case apdu_case;
	u32 nc;
	u32 ne;
	u32 data_off;
};

static inline bool secel_apdu_is_extended(const struct secel_apdu *a)
{
	return a->apdu_case >= SECEL_CASE_2E;
}

int secel_apdu_parse(const u8 *buf, size_t len, struct secel_apdu *apdu);
int secel_cla_check_basic(u8 cla);
int secel_cla_encode(u8 cla, unsigned int channel);
int secel_cla_channel(u8 cla);

/**
 * struct secel_atr - what the core reads from an answer to reset
 * @protocols: bit n set when T=n is indicated (T=0 when no TD1)
 * @hist_off: offset of the historical bytes
 * @hist_len: number of historical bytes
 * @tck_missing: a protocol other than T=0 is indicated but TCK is absent
 * @tck_wrong: TCK present and the XOR of T0..TCK is not zero
 * @malformed: not an ATR at all: truncated, too long or bad TS
 */
struct secel_atr {
	u32 protocols;
	u8 hist_off;
	u8 hist_len;
	bool tck_missing;
	bool tck_wrong;
	bool malformed;
};

int secel_atr_parse(const u8 *atr, size_t len, struct secel_atr *out);

int secel_tlv_find(const u8 *buf, size_t len, u32 tag,
		   const u8 **val, size_t *val_len);

/* Access rules (aclrule.c): what a command may reach */
#define SECEL_ACL_SEL_UNKNOWN	0	/* an application the core cannot name */
#define SECEL_ACL_SEL_EXACT	1	/* the application @aid */
#define SECEL_ACL_SEL_PREFIX	2	/* any application beginning with @aid */
/* SELECT by first occurrence: @aid itself, or one beginning with it */
#define SECEL_ACL_SEL_NAME	3

/**
 * struct secel_acl_target - the applications a command may reach
 * @sel: SECEL_ACL_SEL_*
 * @aid_len: length of @aid, 0 to SECEL_AID_MAX
 * @aid: the AID or its first bytes
 */
struct secel_acl_target {
	u8 sel;
	u8 aid_len;
	u8 aid[SECEL_AID_MAX];
};

/**
 * struct secel_acl_se - an SE as the rules see it
 * @kind: SECEL_KIND_*
 * @name: its name
 * @cin: its card image number, NULL when it has none
 * @cin_len: its length
 */
struct secel_acl_se {
	u32 kind;
	const char *name;
	const u8 *cin;
	size_t cin_len;
};

/**
 * struct secel_acl_who - a caller as the rules see it
 * @uid: effective user id
 * @in_group: whether the caller is in a group (effective or supplementary)
 * @arg: for @in_group
 */
struct secel_acl_who {
	u32 uid;
	bool (*in_group)(u32 gid, void *arg);
	void *arg;
};

int secel_acl_rule_check(const struct secel_acl_rule *r);
u32 secel_acl_decide(const struct secel_acl_rule *rules, u32 count, u32 flags,
		     const struct secel_acl_se *se,
		     const struct secel_acl_who *who,
		     const struct secel_acl_target *t,
		     const struct secel_acl_rule **filter);
bool secel_acl_filter_match(const struct secel_acl_rule *r, const u8 *hdr);

/* Configurator operations, for the state machine (state.c) */
enum secel_op {
	SECEL_OP_AUTO = 1,	/* verification queued when an SE is reported */
	SECEL_OP_ADD,
	SECEL_OP_VERIFY,
	SECEL_OP_INQUIRE,
	SECEL_OP_DELETE,
	SECEL_OP_DESIGNATE,
};

#define SECEL_OP_SKIP	1	/* nothing to do in this state */

int secel_state_allows(u32 state, enum secel_op op);
u32 secel_state_after_verify(u32 before, int ret);
bool secel_state_keeps_designation(u32 state);
bool secel_state_transition_ok(u32 from, u32 to);

/* ISO/IEC 7816-3 T=1 blocks (11.3), and GlobalPlatform's T=1 over SPI/I2C */
#define SECEL_T1_PCB_I_NS	0x40	/* I-block: N(S) */
#define SECEL_T1_PCB_I_MORE	0x20	/* I-block: M, more to come */
#define SECEL_T1_PCB_R		0x80
#define SECEL_T1_PCB_R_NR	0x10	/* R-block: N(R) */
#define SECEL_T1_R_EDC		0x01	/* R-block: EDC or parity error */
#define SECEL_T1_R_OTHER	0x02	/* R-block: other error */
#define SECEL_T1_PCB_S		0xc0
#define SECEL_T1_PCB_S_RESP	0x20	/* S-block: a response */
#define SECEL_T1_S_RESYNCH	0x00
#define SECEL_T1_S_IFS		0x01
#define SECEL_T1_S_ABORT	0x02
#define SECEL_T1_S_WTX		0x03
#define SECEL_T1_S_CIP		0x04	/* GP only */
#define SECEL_T1_S_RELEASE	0x06	/* GP only */
#define SECEL_T1_S_SWR		0x0f	/* GP only */

static inline bool secel_t1_is_i(u8 pcb)
{
	return !(pcb & 0x80);
}

static inline bool secel_t1_is_r(u8 pcb)
{
	return (pcb & 0xc0) == SECEL_T1_PCB_R;
}

static inline bool secel_t1_is_s(u8 pcb)
{
	return (pcb & 0xc0) == SECEL_T1_PCB_S;
}

/**
 * struct secel_t1_block - a T=1 block as secel_t1_block_parse() read it
 * @nad: the node address byte
 * @pcb: the protocol control byte
 * @len: the length of the information field
 * @inf: the information field, inside the buffer parsed
 */
struct secel_t1_block {
	u8 nad;
	u8 pcb;
	u16 len;
	const u8 *inf;
};

u8 secel_t1_lrc(const u8 *buf, size_t len);
u16 secel_t1_crc(const u8 *buf, size_t len, bool gp);
size_t secel_t1_block_build(u8 *buf, bool gp, bool crc, u8 nad, u8 pcb,
			    const u8 *inf, size_t n);
int secel_t1_block_parse(const u8 *buf, size_t len, bool gp, bool crc,
			 struct secel_t1_block *b);
int secel_t1_ifs_decode(const struct secel_t1_block *b, bool gp);

#endif /* _SECEL_PARSE_H */
