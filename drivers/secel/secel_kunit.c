// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the pure logic of the secel core: APDU cases, class-byte
 * channel coding, ATR structure and BER-TLV lookup.  Table-driven; ATRs are
 * real ones from pcsc-tools' smartcard_list.txt where one fits.
 *
 * And the core's dealings with a converter that no userspace test can
 * make misbehave: a fake converter whose answers each case sets.  KUnit
 * runs a module's suites before the module's init, so these SEs are
 * allocated but never registered.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "secel-internal.h"

struct apdu_case {
	const char *name;
	const char *hex;
	int ret;
	enum secel_apdu_case apdu_case;
	u32 nc, ne;
};

/* Tables hold hex strings: readable, and no lengths to keep in step. */
static size_t unhex(struct kunit *test, const char *hex, u8 *buf, size_t size)
{
	size_t len = strlen(hex) / 2;

	KUNIT_ASSERT_LE(test, len, size);
	KUNIT_ASSERT_EQ(test, hex2bin(buf, hex, len), 0);
	return len;
}

static u8 ext_3e[7 + 300];
static u8 ext_4e[9 + 300];

static const struct apdu_case apdu_cases[] = {
	{ "case 1", "00a40400", 0, SECEL_CASE_1, 0, 0 },
	{ "case 2S", "00b0000010", 0, SECEL_CASE_2S, 0, 16 },
	{ "case 2S Le 00 is 256", "00b0000000", 0,
	  SECEL_CASE_2S, 0, 256 },
	{ "case 3S", "00d60000020102", 0,
	  SECEL_CASE_3S, 2, 0 },
	{ "case 4S", "00a40400023f0000", 0,
	  SECEL_CASE_4S, 2, 256 },
	{ "case 2E", "00b00000000100", 0,
	  SECEL_CASE_2E, 0, 256 },
	{ "case 2E Le 0000 is 65536", "00b00000000000", 0, SECEL_CASE_2E, 0, 65536 },
	{ "too short", "00a404", -EINVAL, 0, 0, 0 },
	{ "6 bytes with P3 00", "00a404000000", -EINVAL,
	  0, 0, 0 },
	{ "Lc longer than data", "00d60000030102",
	  -EINVAL, 0, 0, 0 },
	{ "two bytes after data", "00d6000001010000", -EINVAL, 0, 0, 0 },
	{ "extended Lc 0000", "00d6000000000001",
	  -EINVAL, 0, 0, 0 },
	{ "extended Lc short of data", "00d6000000000201", -EINVAL, 0, 0, 0 },
};

static void secel_apdu_parse_table(struct kunit *test)
{
	struct secel_apdu a;
	u8 buf[16];
	size_t i, len;
	int ret;

	for (i = 0; i < ARRAY_SIZE(apdu_cases); i++) {
		const struct apdu_case *c = &apdu_cases[i];

		len = unhex(test, c->hex, buf, sizeof(buf));
		ret = secel_apdu_parse(buf, len, &a);

		KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "%s", c->name);
		if (ret || c->ret)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, a.apdu_case, c->apdu_case, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, a.nc, c->nc, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, a.ne, c->ne, "%s", c->name);
	}
}

static void secel_apdu_parse_extended(struct kunit *test)
{
	struct secel_apdu a;

	/* 3E and 4E with 300 data bytes */
	static const u8 head[] = { 0x80, 0x10, 0x00, 0x00, 0x00, 0x01, 0x2c };

	memset(ext_3e, 0xa5, sizeof(ext_3e));
	memcpy(ext_3e, head, sizeof(head));
	KUNIT_ASSERT_EQ(test, secel_apdu_parse(ext_3e, sizeof(ext_3e), &a), 0);
	KUNIT_EXPECT_EQ(test, a.apdu_case, SECEL_CASE_3E);
	KUNIT_EXPECT_EQ(test, a.nc, 300);
	KUNIT_EXPECT_EQ(test, a.data_off, 7);

	memset(ext_4e, 0xa5, sizeof(ext_4e));
	memcpy(ext_4e, head, sizeof(head));
	ext_4e[sizeof(ext_4e) - 2] = 0x00;
	ext_4e[sizeof(ext_4e) - 1] = 0x00;
	KUNIT_ASSERT_EQ(test, secel_apdu_parse(ext_4e, sizeof(ext_4e), &a), 0);
	KUNIT_EXPECT_EQ(test, a.apdu_case, SECEL_CASE_4E);
	KUNIT_EXPECT_EQ(test, a.ne, 65536);
	KUNIT_EXPECT_TRUE(test, secel_apdu_is_extended(&a));

	/* a byte more or less breaks it */
	KUNIT_EXPECT_EQ(test, secel_apdu_parse(ext_4e, sizeof(ext_4e) - 1, &a),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, secel_apdu_parse(ext_3e, sizeof(ext_3e) - 1, &a),
			-EINVAL);
}

static void secel_cla_coding(struct kunit *test)
{
	unsigned int ch;

	/* ISO/IEC 7816-4: channels 0-3 in b2-b1, 4-19 in the further form */
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x00, 0), 0x00);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x00, 3), 0x03);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x00, 4), 0x40);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x00, 19), 0x4f);
	/* secure messaging (b4-b3) becomes b6, chaining (b5) stays */
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x0c, 5), 0x61);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x10, 4), 0x50);
	/* GlobalPlatform: 80/84 for 0-3, C0-CF / E0-EF for 4-19 */
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x80, 2), 0x82);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x84, 1), 0x85);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x80, 4), 0xc0);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x84, 19), 0xef);

	for (ch = 0; ch < SECEL_MAX_CHANNELS; ch++) {
		KUNIT_EXPECT_EQ(test, secel_cla_channel(secel_cla_encode(0x00, ch)),
				ch);
		KUNIT_EXPECT_EQ(test, secel_cla_channel(secel_cla_encode(0x84, ch)),
				ch);
	}

	/* FF is no class byte: that combination cannot reach channel 19 */
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x9c, 19), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x9c, 18), 0xfe);
	KUNIT_EXPECT_EQ(test, secel_cla_encode(0x00, 20), -EINVAL);

	KUNIT_EXPECT_EQ(test, secel_cla_check_basic(0x00), 0);
	KUNIT_EXPECT_EQ(test, secel_cla_check_basic(0x80), 0);
	KUNIT_EXPECT_EQ(test, secel_cla_check_basic(0x0c), 0);
	KUNIT_EXPECT_EQ(test, secel_cla_check_basic(0xff), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_cla_check_basic(0x01), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_cla_check_basic(0x40), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_cla_check_basic(0xc0), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_cla_channel(0xff), -EINVAL);
}

struct atr_case {
	const char *name;
	const char *hex;
	int ret;
	u32 protocols;
	bool tck_missing, tck_wrong;
	u8 hist_len;
};

static const struct atr_case atr_cases[] = {
	/* PC/SC part 3 contactless storage card, smartcard_list.txt */
	{ "contactless storage card",
	  "3b8f8001804f0ca000000306030001000000006a",
	  0, BIT(0) | BIT(1), false, false, 15 },
	/* a T=0 SIM: no TD1, no TCK due */
	{ "T=0 SIM", "3b021450", 0, BIT(0), false, false, 2 },
	/* secel-vcard's default: T=1, TA3 TB3, 11 historical bytes */
	{ "T=1 card",
	  "3b8b8131fe458059534543454c5643524406",
	  0, BIT(1), false, false, 11 },
	{ "TCK wrong",
	  "3b8b8131fe458059534543454c5643524407",
	  0, BIT(1), false, true, 11 },
	{ "TCK missing",
	  "3b8b8131fe458059534543454c56435244",
	  0, BIT(1), true, false, 11 },
	/* T=15 qualifies global bytes: TCK due, not a protocol */
	{ "T=0 and T=15", "3b80800f0f", 0, BIT(0), false,
	  false, 0 },
	{ "inverse convention TS", "3f00", 0, BIT(0), false, false, 0 },
	{ "bad TS", "3c00", -EPROTO, 0, false, false, 0 },
	{ "one byte", "3b", -EPROTO, 0, false, false, 0 },
	{ "historical bytes missing", "3b0214", -EPROTO, 0, false,
	  false, 0 },
	{ "TD1 announced, absent", "3b80", -EPROTO, 0, false, false, 0 },
	{ "two bytes too many", "3b000000", -EPROTO, 0, false,
	  false, 0 },
};

static void secel_atr_parse_table(struct kunit *test)
{
	u8 buf[SECEL_ATR_MAX];
	struct secel_atr a;
	size_t i, len;
	int ret;

	for (i = 0; i < ARRAY_SIZE(atr_cases); i++) {
		const struct atr_case *c = &atr_cases[i];

		len = unhex(test, c->hex, buf, sizeof(buf));
		ret = secel_atr_parse(buf, len, &a);

		KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, a.malformed, c->ret != 0, "%s", c->name);
		if (c->ret)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, a.protocols, c->protocols, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, a.tck_missing, c->tck_missing, "%s",
				    c->name);
		KUNIT_EXPECT_EQ_MSG(test, a.tck_wrong, c->tck_wrong, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, a.hist_len, c->hist_len, "%s", c->name);
	}
}

/*
 * secel_atr_params(): the reader of the cases is QEMU's usb-ccid's
 * descriptor (4 MHz, at most 115200 bit/s, T=0 and T=1) with a PPS.
 */
struct params_case {
	const char *name;
	const char *hex;
	bool pps;
	u32 max_rate;
	int ret;
	u8 protocol, fi_di, n, wi, ifsc, bwi_cwi;
	bool crc, specific, capped;
	u8 clock_stop;
};

static const struct params_case params_cases[] = {
	{ "no TA1", "3b021450", true, 115200, 0, 0, 0x11, 0, 10, 32, 0x4d },
	{ "TA1 11h", "3b1011", true, 115200, 0, 0, 0x11, 0, 10, 32, 0x4d },
	/* Fi 372, Di 4: 43010 bit/s at 4 MHz */
	{ "TA1 13h", "3b1013", true, 115200, 0, 0, 0x13, 0, 10, 32, 0x4d },
	{ "TA1 13h, no PPS: the default", "3b1013", false, 115200, 0, 0,
	  0x11, 0, 10, 32, 0x4d },
	/* Fi 512, Di 32: 250000 bit/s; Di 12 (93750) is the fastest below */
	{ "TA1 96h capped", "3b1096", true, 115200, 0, 0, 0x98, 0, 10, 32,
	  0x4d, false, false, true },
	{ "TA1 96h, rate unknown", "3b1096", true, 0, 0, 0, 0x96, 0, 10, 32,
	  0x4d },
	/* even Di 1 (7812 bit/s) is too fast for 4800 bit/s */
	{ "TA1 96h, slow reader", "3b1096", true, 4800, 0, 0, 0x11, 0, 10,
	  32, 0x4d, false, false, true },
	{ "TA1 reserved Fi", "3b1071", true, 115200, 0, 0, 0x11, 0, 10, 32,
	  0x4d },
	{ "TC1 FFh", "3b40ff", true, 115200, 0, 0, 0x11, 0xff, 10, 32, 0x4d },
	{ "TC2 WI", "3b804080",
	  true, 115200, 0, 0, 0x11, 0, 0x80, 32, 0x4d },
	{ "T=1: IFSC, BWI/CWI, CRC", "3b808171805501a4", true, 115200, 0, 1,
	  0x11, 0, 10, 0x80, 0x55, true },
	{ "T=1 defaults", "3b800181", true, 115200, 0, 1, 0x11, 0, 10, 32,
	  0x4d },
	{ "secel-vcard T=1", "3b8b8131fe458059534543454c5643524406", true,
	  115200, 0, 1, 0x11, 0, 10, 0xfe, 0x45 },
	{ "clock stop, T=15", "3b80801fc3dc", true, 115200, 0, 0, 0x11, 0,
	  10, 32, 0x4d, false, false, false, 3 },
	/* specific mode: TA1 as it is, even without PPS and too fast */
	{ "TA2 specific T=0", "3b90961000", false, 115200, 0, 0, 0x96, 0, 10,
	  32, 0x4d, false, true },
	{ "TA2 implicit values", "3b90961010", true, 115200, 0, 0, 0x11, 0,
	  10, 32, 0x4d, false, true },
	{ "malformed", "3b80", true, 115200, -EPROTO },
};

static void secel_atr_params_table(struct kunit *test)
{
	struct secel_iface_limits lim = {
		.clock_khz = 4000,
		.protocols = BIT(0) | BIT(1),
	};
	struct secel_atr_params p;
	u8 buf[SECEL_ATR_MAX];
	size_t i, len;
	int ret;

	for (i = 0; i < ARRAY_SIZE(params_cases); i++) {
		const struct params_case *c = &params_cases[i];

		len = unhex(test, c->hex, buf, sizeof(buf));
		lim.pps = c->pps;
		lim.max_rate = c->max_rate;
		ret = secel_atr_params(buf, len, &lim, &p);
		KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "%s", c->name);
		if (ret)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, p.protocol, c->protocol, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.fi_di, c->fi_di, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.n, c->n, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.wi, c->wi, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.ifsc, c->ifsc, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.bwi_cwi, c->bwi_cwi, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.crc, c->crc, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.specific, c->specific, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.capped, c->capped, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, p.clock_stop, c->clock_stop, "%s",
				    c->name);
	}
}

/* A card that offers T=1 first, behind a converter of T=0 only */
static void secel_atr_params_protocol_choice(struct kunit *test)
{
	struct secel_iface_limits lim = { .protocols = BIT(0), .pps = true };
	struct secel_atr_params p;
	/* TD1 T=1, TD2 T=0 */
	static const u8 both[] = { 0x3b, 0x80, 0x81, 0x00, 0x01 };

	KUNIT_EXPECT_EQ(test, secel_atr_params(both, sizeof(both), &lim, &p),
			0);
	KUNIT_EXPECT_EQ(test, p.protocol, 0);
	/* without a PPS the card stays with T=1, which cannot be carried */
	lim.pps = false;
	KUNIT_EXPECT_EQ(test, secel_atr_params(both, sizeof(both), &lim, &p),
			-EPROTONOSUPPORT);
	KUNIT_EXPECT_EQ(test, p.protocol, 1);
	KUNIT_EXPECT_EQ(test, secel_fi(0x96), 512U);
	KUNIT_EXPECT_EQ(test, secel_di(0x96), 32U);
	KUNIT_EXPECT_EQ(test, secel_di(0x9a), 0U);
}

static void secel_atr_too_long(struct kunit *test)
{
	u8 atr[SECEL_ATR_MAX + 1] = { 0x3b, 0x0f };
	struct secel_atr a;

	KUNIT_EXPECT_EQ(test, secel_atr_parse(atr, sizeof(atr), &a), -EPROTO);
	KUNIT_EXPECT_TRUE(test, a.malformed);
}

static void secel_tlv_lookup(struct kunit *test)
{
	/* GET DATA CPLC answer: 9F7F 2A value */
	u8 cplc[3 + 42] = { 0x9f, 0x7f, 0x2a };
	static const u8 two[] = { 0x42, 0x02, 0x89, 0x01, 0x45, 0x01, 0x07 };
	static const u8 long_len[] = { 0x66, 0x81, 0x02, 0xaa, 0xbb };
	static const u8 padded[] = { 0x00, 0xff, 0x45, 0x01, 0x09 };
	static const u8 truncated[] = { 0x42, 0x05, 0x01 };
	static const u8 bad_len[] = { 0x42, 0x83, 0x00, 0x00, 0x01 };
	const u8 *val;
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_tlv_find(cplc, sizeof(cplc), 0x9f7f, &val,
					     &len), 0);
	KUNIT_EXPECT_EQ(test, len, 42);
	KUNIT_EXPECT_PTR_EQ(test, val, (const u8 *)cplc + 3);

	KUNIT_EXPECT_EQ(test, secel_tlv_find(two, sizeof(two), 0x45, &val, &len),
			0);
	KUNIT_EXPECT_EQ(test, len, 1);
	KUNIT_EXPECT_EQ(test, val[0], 0x07);
	KUNIT_EXPECT_EQ(test, secel_tlv_find(two, sizeof(two), 0x66, &val, &len),
			-ENOENT);

	KUNIT_EXPECT_EQ(test, secel_tlv_find(long_len, sizeof(long_len), 0x66,
					     &val, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 2);
	KUNIT_EXPECT_EQ(test, secel_tlv_find(padded, sizeof(padded), 0x45, &val,
					     &len), 0);
	KUNIT_EXPECT_EQ(test, val[0], 0x09);

	KUNIT_EXPECT_EQ(test, secel_tlv_find(truncated, sizeof(truncated), 0x42,
					     &val, &len), -EPROTO);
	KUNIT_EXPECT_EQ(test, secel_tlv_find(bad_len, sizeof(bad_len), 0x42,
					     &val, &len), -EPROTO);
	KUNIT_EXPECT_EQ(test, secel_tlv_find(cplc, 2, 0x9f7f, &val, &len),
			-EPROTO);
}

/* Every (state, operation) pair of the SE list's state machine. */
static void secel_state_table(struct kunit *test)
{
	enum { R = SECEL_STATE_REPORTED, V = SECEL_STATE_VERIFYING,
	       L = SECEL_STATE_LISTED, X = SECEL_STATE_REJECTED,
	       D = SECEL_STATE_DELETED, SKIP = SECEL_OP_SKIP };
	static const struct {
		u32 state;
		int allows[6];	/* AUTO ADD VERIFY INQUIRE DELETE DESIGNATE */
	} table[] = {
		{ R, { 0, 0, -ENOENT, SKIP, -ENOENT, -ENOENT } },
		{ V, { SKIP, -EBUSY, -EBUSY, SKIP, -EBUSY, -EBUSY } },
		{ L, { SKIP, -EALREADY, 0, 0, 0, 0 } },
		{ X, { SKIP, 0, -ENOENT, SKIP, -ENOENT, -ENOENT } },
		{ D, { SKIP, 0, -ENOENT, SKIP, -ENOENT, -ENOENT } },
	};
	unsigned int i, op;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		for (op = SECEL_OP_AUTO; op <= SECEL_OP_DESIGNATE; op++)
			KUNIT_EXPECT_EQ_MSG(test,
					    secel_state_allows(table[i].state, op),
					    table[i].allows[op - SECEL_OP_AUTO],
					    "state %u op %u", table[i].state, op);
	KUNIT_EXPECT_EQ(test, secel_state_allows(0, SECEL_OP_ADD), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_state_allows(6, SECEL_OP_ADD), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_state_allows(L, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_state_allows(L, SECEL_OP_DESIGNATE + 1),
			-EINVAL);

	/* a verification judges the card, unless it was cut short */
	KUNIT_EXPECT_EQ(test, secel_state_after_verify(R, 0), (u32)L);
	KUNIT_EXPECT_EQ(test, secel_state_after_verify(X, 0), (u32)L);
	KUNIT_EXPECT_EQ(test, secel_state_after_verify(L, -EPROTO), (u32)X);
	KUNIT_EXPECT_EQ(test, secel_state_after_verify(R, -ETIMEDOUT), (u32)X);
	KUNIT_EXPECT_EQ(test, secel_state_after_verify(L, -EINTR), (u32)L);
	KUNIT_EXPECT_EQ(test, secel_state_after_verify(D, -ENOMEM), (u32)D);
	KUNIT_EXPECT_EQ(test, secel_state_after_verify(R, -ENOMEM), (u32)R);

	/* the designation stays through re-verification only */
	KUNIT_EXPECT_TRUE(test, secel_state_keeps_designation(L));
	KUNIT_EXPECT_TRUE(test, secel_state_keeps_designation(V));
	KUNIT_EXPECT_FALSE(test, secel_state_keeps_designation(X));
	KUNIT_EXPECT_FALSE(test, secel_state_keeps_designation(D));
	KUNIT_EXPECT_FALSE(test, secel_state_keeps_designation(R));
}

/* The fake converter: answers from a script, records what it was sent. */
struct fake_conv {
	int ret;		/* transmit's return value */
	u8 answer[4][8];	/* responses, one per call, SW last */
	size_t answer_len[4];
	unsigned int calls;
	u8 sent[4][16];
	size_t sent_len[4];
	size_t atr_size_seen;
	size_t atr_len;		/* what power_on claims */
};

static int fake_power_on(struct secel_se *se, u8 *atr, size_t atr_size,
			 size_t *atr_len)
{
	struct fake_conv *f = secel_se_priv(se);

	f->atr_size_seen = atr_size;
	memset(atr, 0x3b, min(atr_size, f->atr_len));
	*atr_len = f->atr_len;
	return 0;
}

static int fake_transmit(struct secel_se *se, const u8 *cmd, size_t cmd_len,
			 u8 *rsp, size_t rsp_size, size_t *rsp_len)
{
	struct fake_conv *f = secel_se_priv(se);
	unsigned int n = f->calls++;

	if (n >= ARRAY_SIZE(f->answer))
		return -EIO;
	memcpy(f->sent[n], cmd, min(cmd_len, sizeof(f->sent[n])));
	f->sent_len[n] = cmd_len;
	if (f->ret)
		return f->ret;
	memcpy(rsp, f->answer[n], f->answer_len[n]);
	*rsp_len = f->answer_len[n];
	return 0;
}

static const struct secel_ops fake_ops = {
	.power_on = fake_power_on,
	.transmit = fake_transmit,
};

static struct secel_se *fake_se(struct kunit *test, struct fake_conv *f,
				u32 max_cmd)
{
	struct secel_se_desc desc = {
		.name_prefix = "KU",
		.transport = "kunit",
		.kind = SECEL_KIND_VIRTUAL,
		.max_cmd = max_cmd,
		.max_rsp = 258,
	};
	struct secel_se *se = secel_se_alloc(NULL, &fake_ops, &desc, f);

	KUNIT_ASSERT_FALSE(test, IS_ERR(se));
	return se;
}

static void secel_transport_names(struct kunit *test)
{
	static const char *const bad[] = { "", "a b", "VSE", "vse\n",
					   "0123456789abcdef", "ccid:1" };
	struct secel_se_desc desc = {
		.name_prefix = "KU",
		.kind = SECEL_KIND_PHYSICAL,
		.max_cmd = 261,
		.max_rsp = 258,
	};
	struct secel_se *se;
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		desc.transport = bad[i];
		se = secel_se_alloc(NULL, &fake_ops, &desc, NULL);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(se), -EINVAL,
				    "transport '%s'", bad[i]);
		if (!IS_ERR(se))
			secel_se_put(se);
	}
	desc.transport = "ccid-t1_2";
	se = secel_se_alloc(NULL, &fake_ops, &desc, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(se));
	secel_se_put(se);
}

/* secel_se_set_limits() takes what secel_se_alloc() takes, nothing else */
static void secel_set_limits_validated(struct kunit *test)
{
	static const struct {
		u32 caps, max_cmd, max_rsp;
	} bad[] = {
		{ 0, 4, 258 },
		{ 0, SECEL_APDU_MAX + 1, 258 },
		{ 0, 261, 257 },
		{ 0, 261, SECEL_RESP_MAX + 1 },
		{ BIT(1), 261, 258 },
		{ SECEL_CAP_EXTENDED_LENGTH | BIT(31), SECEL_APDU_MAX,
		  SECEL_RESP_MAX },
		{ 0, 0, 0 },
	};
	static const u8 cmd6[] = { 0x00, 0xd6, 0x00, 0x00, 0x01, 0xaa };
	struct fake_conv f = {
		.answer = { { 0x90, 0x00 } },
		.answer_len = { 2 },
	};
	struct secel_se *se = fake_se(test, &f, 261);
	u8 rsp[258];
	size_t len;
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_EQ_MSG(test, secel_se_set_limits(se, bad[i].caps,
							      bad[i].max_cmd,
							      bad[i].max_rsp),
				    -EINVAL, "case %d", i);
		/* a refused change leaves the limits as they were */
		KUNIT_EXPECT_EQ(test, se->desc.caps, 0U);
		KUNIT_EXPECT_EQ(test, se->desc.max_cmd, 261U);
		KUNIT_EXPECT_EQ(test, se->desc.max_rsp, 258U);
	}
	KUNIT_EXPECT_EQ(test, secel_se_set_limits(se, SECEL_CAP_EXTENDED_LENGTH,
						  SECEL_APDU_MAX,
						  SECEL_RESP_MAX), 0);
	KUNIT_EXPECT_EQ(test, se->desc.caps, (u32)SECEL_CAP_EXTENDED_LENGTH);
	KUNIT_EXPECT_EQ(test, se->desc.max_cmd, (u32)SECEL_APDU_MAX);
	KUNIT_EXPECT_EQ(test, se->desc.max_rsp, (u32)SECEL_RESP_MAX);

	/* the bounds themselves are valid, and exchanges follow them */
	KUNIT_EXPECT_EQ(test, secel_se_set_limits(se, 0, 5, 258), 0);
	KUNIT_EXPECT_EQ(test, secel_transmit_raw(se, cmd6, sizeof(cmd6), rsp,
						 sizeof(rsp), &len), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, f.calls, 0U);
	KUNIT_EXPECT_EQ(test, secel_se_set_limits(se, 0, 6, 258), 0);
	KUNIT_EXPECT_EQ(test, secel_transmit_raw(se, cmd6, sizeof(cmd6), rsp,
						 sizeof(rsp), &len), 0);
	KUNIT_EXPECT_EQ(test, f.calls, 1U);
	secel_se_put(se);
}

/* An APDU must never be re-run by the signal restart machinery. */
static void secel_restart_codes_become_eintr(struct kunit *test)
{
	static const int codes[] = { -ERESTARTSYS, -ERESTARTNOINTR,
				     -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK };
	static const u8 cmd[] = { 0x00, 0xb0, 0x00, 0x00, 0x00 };
	struct fake_conv f = { };
	struct secel_se *se = fake_se(test, &f, 261);
	u8 rsp[258];
	size_t len;
	int i;

	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		f.calls = 0;
		f.ret = codes[i];
		KUNIT_EXPECT_EQ(test, secel_transmit_raw(se, cmd, sizeof(cmd),
							 rsp, sizeof(rsp), &len),
				-EINTR);
	}
	f.calls = 0;
	f.ret = -ETIMEDOUT;
	KUNIT_EXPECT_EQ(test, secel_transmit_raw(se, cmd, sizeof(cmd), rsp,
						 sizeof(rsp), &len), -ETIMEDOUT);
	secel_se_put(se);
}

/*
 * 6Cxx: the command goes again with Le = xx, unless the longer command
 * would not fit the converter; then the 6Cxx answer is the response.
 */
static void secel_6cxx_reissue_within_max_cmd(struct kunit *test)
{
	/* case 3S: the re-issue adds Le, one byte */
	static const u8 cmd3[] = { 0x00, 0xd6, 0x00, 0x00, 0x01, 0xaa };
	struct fake_conv f = {
		.answer = { { 0x6c, 0x10 }, { 0x01, 0x02, 0x90, 0x00 } },
		.answer_len = { 2, 4 },
	};
	struct secel_se *se = fake_se(test, &f, sizeof(cmd3));
	u8 cmd[sizeof(cmd3) + SECEL_CMD_SLACK];
	struct secel_apdu a;
	u8 rsp[258];
	size_t len;

	memcpy(cmd, cmd3, sizeof(cmd3));
	KUNIT_ASSERT_EQ(test, secel_apdu_parse(cmd, sizeof(cmd3), &a), 0);
	KUNIT_EXPECT_EQ(test, secel_exchange_apdu(se, &a, cmd, sizeof(cmd3),
						  sizeof(cmd), 0, 0, rsp,
						  sizeof(rsp), &len), 0);
	KUNIT_EXPECT_EQ(test, f.calls, 1U);
	KUNIT_EXPECT_EQ(test, len, (size_t)2);
	KUNIT_EXPECT_EQ(test, secel_sw(rsp, len), 0x6c10);
	secel_se_put(se);

	/* one byte more room: re-issued with Le 10 */
	f.calls = 0;
	se = fake_se(test, &f, sizeof(cmd3) + 1);
	memcpy(cmd, cmd3, sizeof(cmd3));
	KUNIT_EXPECT_EQ(test, secel_exchange_apdu(se, &a, cmd, sizeof(cmd3),
						  sizeof(cmd), 0, 0, rsp,
						  sizeof(rsp), &len), 0);
	KUNIT_EXPECT_EQ(test, f.calls, 2U);
	KUNIT_EXPECT_EQ(test, f.sent_len[1], sizeof(cmd3) + 1);
	KUNIT_EXPECT_EQ(test, f.sent[1][sizeof(cmd3)], 0x10);
	KUNIT_EXPECT_EQ(test, secel_sw(rsp, len), 0x9000);
	secel_se_put(se);
}

/* An ATR longer than the buffer the converter was given is refused. */
static void secel_atr_bounded_by_its_buffer(struct kunit *test)
{
	struct fake_conv f = { .atr_len = SECEL_ATR_MAX + 1 };
	struct secel_se *se = fake_se(test, &f, 261);
	u8 atr[SECEL_ATR_MAX];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_power_on_locked(se, atr, &len), -EPROTO);
	KUNIT_EXPECT_EQ(test, f.atr_size_seen, (size_t)SECEL_ATR_MAX);
	KUNIT_EXPECT_FALSE(test, se->powered);
	f.atr_len = 0;
	KUNIT_EXPECT_EQ(test, secel_power_on_locked(se, atr, &len), -EPROTO);
	f.atr_len = 2;
	KUNIT_EXPECT_EQ(test, secel_power_on_locked(se, atr, &len), 0);
	KUNIT_EXPECT_TRUE(test, se->powered);
	secel_se_put(se);
}

/* Unregistering an SE that is not registered (again) does nothing. */
static void secel_unregister_unregistered(struct kunit *test)
{
	struct fake_conv f = { };
	struct secel_se *se = fake_se(test, &f, 261);

	secel_se_unregister(se);
	secel_se_unregister(se);
	KUNIT_EXPECT_PTR_EQ(test, se->ops, &fake_ops);
	secel_se_put(se);
}

/* A scripted T=0 card: answers in turn, the last one again and again. */
struct fake_t0 {
	u8 answer[4][8];
	size_t answer_len[4];
	unsigned int answers;
	unsigned int calls;
	u8 sent[4][8];
	size_t sent_len[4];
};

static int fake_t0_xfer(void *ctx, const u8 *tpdu, size_t len, u8 *rsp,
			size_t rsp_size, size_t *rsp_len)
{
	struct fake_t0 *f = ctx;
	unsigned int i = min(f->calls, f->answers - 1);

	if (f->calls < ARRAY_SIZE(f->sent)) {
		memcpy(f->sent[f->calls], tpdu, min(len, sizeof(f->sent[0])));
		f->sent_len[f->calls] = len;
	}
	f->calls++;
	if (f->answer_len[i] > rsp_size)
		return -EMSGSIZE;
	memcpy(rsp, f->answer[i], f->answer_len[i]);
	*rsp_len = f->answer_len[i];
	return 0;
}

/* Case 4 goes without Le; 61xx is fetched with GET RESPONSE Le = xx. */
static void secel_t0_case4_fetches_61xx(struct kunit *test)
{
	static const u8 cmd[] = { 0x00, 0xa4, 0x04, 0x00, 0x02, 0x3f, 0x00,
				  0x00 };
	static const u8 want[] = { 1, 2, 3, 4, 5, 0x90, 0x00 };
	static const u8 get_rsp[] = { 0x00, 0xc0, 0x00, 0x00, 0x05 };
	struct fake_t0 f = {
		.answer = { { 0x61, 0x05 }, { 1, 2, 3, 4, 5, 0x90, 0x00 } },
		.answer_len = { 2, 7 },
		.answers = 2,
	};
	struct secel_t0_xfer x = { .xfer = fake_t0_xfer, .ctx = &f };
	u8 rsp[258];
	size_t len = 0;

	KUNIT_EXPECT_EQ(test, secel_t0_transmit(&x, cmd, sizeof(cmd), rsp,
						sizeof(rsp), &len), 0);
	KUNIT_ASSERT_EQ(test, f.calls, 2U);
	KUNIT_EXPECT_EQ(test, f.sent_len[0], sizeof(cmd) - 1);
	KUNIT_EXPECT_EQ(test, memcmp(f.sent[0], cmd, sizeof(cmd) - 1), 0);
	KUNIT_EXPECT_EQ(test, f.sent_len[1], sizeof(get_rsp));
	KUNIT_EXPECT_EQ(test, memcmp(f.sent[1], get_rsp, sizeof(get_rsp)), 0);
	KUNIT_ASSERT_EQ(test, len, sizeof(want));
	KUNIT_EXPECT_EQ(test, memcmp(rsp, want, sizeof(want)), 0);
}

/* Case 2 with a wrong Le: sent again with the card's P3. */
static void secel_t0_case2_reissues_6cxx(struct kunit *test)
{
	static const u8 cmd[] = { 0x00, 0xb0, 0x00, 0x00, 0x00 };
	struct fake_t0 f = {
		.answer = { { 0x6c, 0x03 }, { 7, 8, 9, 0x90, 0x00 } },
		.answer_len = { 2, 5 },
		.answers = 2,
	};
	struct secel_t0_xfer x = { .xfer = fake_t0_xfer, .ctx = &f };
	u8 rsp[258];
	size_t len = 0;

	KUNIT_EXPECT_EQ(test, secel_t0_transmit(&x, cmd, sizeof(cmd), rsp,
						sizeof(rsp), &len), 0);
	KUNIT_ASSERT_EQ(test, f.calls, 2U);
	KUNIT_EXPECT_EQ(test, f.sent[1][4], 0x03);
	KUNIT_EXPECT_EQ(test, len, (size_t)5);
	KUNIT_EXPECT_EQ(test, rsp[0], 7);
}

/* Ne bounds GET RESPONSE; what is left is the caller's 61xx. */
static void secel_t0_ne_bounds_get_response(struct kunit *test)
{
	static const u8 cmd[] = { 0x00, 0xa4, 0x04, 0x00, 0x01, 0xaa, 0x02 };
	struct fake_t0 f = {
		.answer = { { 0x61, 0x05 }, { 1, 2, 0x61, 0x03 } },
		.answer_len = { 2, 4 },
		.answers = 2,
	};
	struct secel_t0_xfer x = { .xfer = fake_t0_xfer, .ctx = &f };
	u8 rsp[258];
	size_t len = 0;

	KUNIT_EXPECT_EQ(test, secel_t0_transmit(&x, cmd, sizeof(cmd), rsp,
						sizeof(rsp), &len), 0);
	KUNIT_ASSERT_EQ(test, f.calls, 2U);
	KUNIT_EXPECT_EQ(test, f.sent[1][4], 0x02);
	KUNIT_ASSERT_EQ(test, len, (size_t)4);
	KUNIT_EXPECT_EQ(test, rsp[2], 0x61);
	KUNIT_EXPECT_EQ(test, rsp[3], 0x03);
}

/* A card that always has one byte more cannot keep us looping. */
static void secel_t0_endless_61xx_is_eproto(struct kunit *test)
{
	static const u8 cmd[] = { 0x00, 0xca, 0x00, 0x00, 0x00 };
	static const u8 ext[] = { 0x00, 0xb0, 0x00, 0x00, 0x00, 0x01, 0x00 };
	struct fake_t0 f = {
		.answer = { { 0x61, 0x01 }, { 0x55, 0x61, 0x01 } },
		.answer_len = { 2, 3 },
		.answers = 2,
	};
	struct secel_t0_xfer x = { .xfer = fake_t0_xfer, .ctx = &f };
	u8 rsp[258];
	size_t len = 0;

	KUNIT_EXPECT_EQ(test, secel_t0_transmit(&x, cmd, sizeof(cmd), rsp,
						sizeof(rsp), &len), -EPROTO);
	KUNIT_EXPECT_EQ(test, f.calls, 64U);
	/* and an extended APDU is not T=0's */
	KUNIT_EXPECT_EQ(test, secel_t0_transmit(&x, ext, sizeof(ext), rsp,
						sizeof(rsp), &len), -EINVAL);
}

static void secel_t0_procedure_bytes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, secel_t0_procedure(0xa4, 0x60), SECEL_T0_NULL);
	KUNIT_EXPECT_EQ(test, secel_t0_procedure(0xa4, 0xa4),
			SECEL_T0_ACK_ALL);
	KUNIT_EXPECT_EQ(test, secel_t0_procedure(0xa4, 0x5b),
			SECEL_T0_ACK_ONE);
	KUNIT_EXPECT_EQ(test, secel_t0_procedure(0xa4, 0x90), SECEL_T0_SW1);
	KUNIT_EXPECT_EQ(test, secel_t0_procedure(0xa4, 0x6a), SECEL_T0_SW1);
	KUNIT_EXPECT_EQ(test, secel_t0_procedure(0xa4, 0x12),
			SECEL_T0_INVALID);
}

static void secel_state_transitions(struct kunit *test)
{
	enum { R = SECEL_STATE_REPORTED, V = SECEL_STATE_VERIFYING,
	       L = SECEL_STATE_LISTED, X = SECEL_STATE_REJECTED,
	       D = SECEL_STATE_DELETED };
	/* ok[from][to], 1-based states */
	static const bool ok[6][6] = {
		[R] = { [V] = true },
		[V] = { [R] = true, [L] = true, [X] = true, [D] = true },
		[L] = { [V] = true, [X] = true, [D] = true },
		[X] = { [V] = true },
		[D] = { [V] = true },
	};
	u32 from, to;

	for (from = 0; from < 7; from++)
		for (to = 0; to < 7; to++)
			KUNIT_EXPECT_EQ_MSG(test,
					    secel_state_transition_ok(from, to),
					    from < 6 && to < 6 && ok[from][to],
					    "%u -> %u", from, to);
}

/* Access rules: a rule built from short words, as the tables below use. */
static void acl_rule(struct kunit *test, struct secel_acl_rule *r, u32 app,
		     const char *aid_hex, u32 who, u32 id, u32 action)
{
	memset(r, 0, sizeof(*r));
	r->app = app;
	r->aid_len = unhex(test, aid_hex, r->aid, sizeof(r->aid));
	r->who = who;
	r->id = id;
	r->action = action;
	if (action == SECEL_ACL_FILTER) {
		/* ECHO (80 10 xx xx) only */
		r->nr_filters = 1;
		memcpy(r->filters[0].header, "\x80\x10\x00\x00", 4);
		memcpy(r->filters[0].mask, "\xff\xff\x00\x00", 4);
	}
}

static bool acl_groups_27(u32 gid, void *arg)
{
	return gid == 27;
}

static bool acl_groups_none_cb(u32 gid, void *arg)
{
	return false;
}

static void acl_target(struct kunit *test, struct secel_acl_target *t,
		       u8 sel, const char *aid_hex)
{
	memset(t, 0, sizeof(*t));
	t->sel = sel;
	t->aid_len = unhex(test, aid_hex, t->aid, sizeof(t->aid));
}

#define AID_A	"F0534543454C01"	/* 7 bytes */
#define AID_B	"F0534543454C02"

static void secel_acl_rule_checks(struct kunit *test)
{
	struct secel_acl_rule r;

	acl_rule(test, &r, SECEL_ACL_APP_AID, AID_A, SECEL_ACL_WHO_UID, 1000,
		 SECEL_ACL_ALLOW);
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), 0);
	r.aid_len = 4;	/* an AID is 5 to 16 bytes */
	memset(r.aid + 4, 0, 3);
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	acl_rule(test, &r, SECEL_ACL_APP_PREFIX, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_DENY);
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), 0);
	r.id = 5;	/* no id without uid or gid */
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	acl_rule(test, &r, SECEL_ACL_APP_NONE, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_FILTER);
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), 0);
	r.filters[0].header[3] = 1;	/* outside the mask: never matches */
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	acl_rule(test, &r, SECEL_ACL_APP_NONE, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_ALLOW);
	r.nr_filters = 1;	/* filters only with SECEL_ACL_FILTER */
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	acl_rule(test, &r, SECEL_ACL_APP_NONE, "", SECEL_ACL_WHO_ANY, 0, 4);
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	acl_rule(test, &r, 4, "", SECEL_ACL_WHO_ANY, 0, SECEL_ACL_ALLOW);
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	acl_rule(test, &r, SECEL_ACL_APP_NONE, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_ALLOW);
	r.se_match = SECEL_ACL_SE_NAME;	/* a name selector with no name */
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	strscpy(r.se_name, "VSE1", sizeof(r.se_name));
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), 0);
	r.se_name[10] = 'x';	/* bytes after the NUL */
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	acl_rule(test, &r, SECEL_ACL_APP_NONE, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_ALLOW);
	r.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
	r.reserved[3] = 0;
	r.se_match = SECEL_ACL_SE_CIN;	/* a CIN selector with no CIN */
	KUNIT_EXPECT_EQ(test, secel_acl_rule_check(&r), -EINVAL);
}

struct acl_case {
	const char *name;
	u8 sel;
	const char *aid;
	u32 uid;
	u32 want;
};

/*
 * Rules: uid 1000 may reach AID_A, uid 1001 only through the ECHO filter;
 * group 27 may reach every AID beginning F0 53 45 43 45 4C 0F; uid 0 may
 * reach anything but AID_B; nothing else (default deny).
 */
static void secel_acl_decisions(struct kunit *test)
{
	static const struct acl_case cases[] = {
		{ "select A, allowed", SECEL_ACL_SEL_NAME, AID_A, 1000,
		  SECEL_ACL_ALLOW },
		{ "A selected, allowed", SECEL_ACL_SEL_EXACT, AID_A, 1000,
		  SECEL_ACL_ALLOW },
		{ "select B", SECEL_ACL_SEL_NAME, AID_B, 1000, SECEL_ACL_DENY },
		{ "partial A", SECEL_ACL_SEL_NAME, "F0534543454C", 1000,
		  SECEL_ACL_DENY },
		{ "next occurrence of A", SECEL_ACL_SEL_PREFIX, AID_A, 1000,
		  SECEL_ACL_DENY },
		{ "A without FCI", SECEL_ACL_SEL_PREFIX, AID_A, 1000,
		  SECEL_ACL_DENY },
		{ "unknown", SECEL_ACL_SEL_UNKNOWN, "", 1000, SECEL_ACL_DENY },
		{ "A through the filter", SECEL_ACL_SEL_EXACT, AID_A, 1001,
		  SECEL_ACL_FILTER },
		{ "another uid", SECEL_ACL_SEL_EXACT, AID_A, 1002,
		  SECEL_ACL_DENY },
		{ "group 27, in its prefix", SECEL_ACL_SEL_EXACT,
		  "F0534543454C0F01", 1002 | 0x80000000, SECEL_ACL_ALLOW },
		{ "group 27, next in its prefix", SECEL_ACL_SEL_PREFIX,
		  "F0534543454C0F", 1002 | 0x80000000, SECEL_ACL_ALLOW },
		{ "group 27, a shorter prefix", SECEL_ACL_SEL_PREFIX,
		  "F0534543454C", 1002 | 0x80000000, SECEL_ACL_DENY },
		{ "root, A", SECEL_ACL_SEL_EXACT, AID_A, 0, SECEL_ACL_ALLOW },
		{ "root, B", SECEL_ACL_SEL_NAME, AID_B, 0, SECEL_ACL_DENY },
		/* a partial name could select B: its deny decides */
		{ "root, partial of B", SECEL_ACL_SEL_NAME, "F0534543454C", 0,
		  SECEL_ACL_DENY },
		{ "root, unknown", SECEL_ACL_SEL_UNKNOWN, "", 0,
		  SECEL_ACL_DENY },
		{ "root, elsewhere", SECEL_ACL_SEL_PREFIX, "A000000151", 0,
		  SECEL_ACL_ALLOW },
	};
	struct secel_acl_rule rules[6];
	struct secel_acl_se se = { .kind = SECEL_KIND_VIRTUAL, .name = "VSE1" };
	struct secel_acl_se other = { .kind = SECEL_KIND_PHYSICAL,
				      .name = "eSE1" };
	const struct secel_acl_rule *filter;
	struct secel_acl_target t;
	struct secel_acl_who who = { .in_group = acl_groups_27 };
	size_t i;
	u32 got;

	acl_rule(test, &rules[0], SECEL_ACL_APP_AID, AID_A, SECEL_ACL_WHO_UID,
		 1000, SECEL_ACL_ALLOW);
	acl_rule(test, &rules[1], SECEL_ACL_APP_AID, AID_A, SECEL_ACL_WHO_UID,
		 1001, SECEL_ACL_FILTER);
	acl_rule(test, &rules[2], SECEL_ACL_APP_PREFIX, "F0534543454C0F",
		 SECEL_ACL_WHO_GID, 27, SECEL_ACL_ALLOW);
	acl_rule(test, &rules[3], SECEL_ACL_APP_AID, AID_B, SECEL_ACL_WHO_UID,
		 0, SECEL_ACL_DENY);
	acl_rule(test, &rules[4], SECEL_ACL_APP_AID, AID_A, SECEL_ACL_WHO_UID,
		 0, SECEL_ACL_ALLOW);
	acl_rule(test, &rules[5], SECEL_ACL_APP_PREFIX, "A0", SECEL_ACL_WHO_UID,
		 0, SECEL_ACL_ALLOW);
	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		rules[i].se_match = SECEL_ACL_SE_KIND;
		rules[i].se_kind = SECEL_KIND_VIRTUAL;
		KUNIT_ASSERT_EQ(test, secel_acl_rule_check(&rules[i]), 0);
	}

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct acl_case *c = &cases[i];

		/* the top bit says "in group 27": uid 1002 is not */
		who.uid = c->uid & 0x7fffffff;
		who.in_group = c->uid & 0x80000000 ? acl_groups_27 :
			       acl_groups_none_cb;
		acl_target(test, &t, c->sel, c->aid);
		got = secel_acl_decide(rules, ARRAY_SIZE(rules), 0, &se, &who,
				       &t, &filter);
		KUNIT_EXPECT_EQ_MSG(test, got, c->want, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, !!filter, got == SECEL_ACL_FILTER,
				    "%s", c->name);
		/* no rule names the physical SE: all is allowed there */
		KUNIT_EXPECT_EQ_MSG(test,
				    secel_acl_decide(rules, ARRAY_SIZE(rules),
						     0, &other, &who, &t,
						     &filter),
				    SECEL_ACL_ALLOW, "%s, other SE", c->name);
	}

	/* the table's default decides what no rule does */
	who.uid = 1000;
	acl_target(test, &t, SECEL_ACL_SEL_UNKNOWN, "");
	KUNIT_EXPECT_EQ(test, secel_acl_decide(rules, ARRAY_SIZE(rules),
					       SECEL_ACL_DEFAULT_ALLOW, &se,
					       &who, &t, &filter),
			SECEL_ACL_ALLOW);
	/* an empty table allows all */
	KUNIT_EXPECT_EQ(test, secel_acl_decide(rules, 0, 0, &se, &who, &t,
					       &filter), SECEL_ACL_ALLOW);
}

static void secel_acl_se_selectors(struct kunit *test)
{
	static const u8 cin[] = { 1, 2, 3, 4 };
	struct secel_acl_se se = { .kind = SECEL_KIND_PHYSICAL, .name = "eSE1",
				   .cin = cin, .cin_len = sizeof(cin) };
	struct secel_acl_who who = { .uid = 5,
				     .in_group = acl_groups_none_cb };
	const struct secel_acl_rule *filter;
	struct secel_acl_target t;
	struct secel_acl_rule r;

	acl_target(test, &t, SECEL_ACL_SEL_EXACT, AID_A);
	acl_rule(test, &r, SECEL_ACL_APP_PREFIX, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_DENY);
	r.se_match = SECEL_ACL_SE_NAME | SECEL_ACL_SE_CIN;
	strscpy(r.se_name, "eSE1", sizeof(r.se_name));
	memcpy(r.se_cin, cin, sizeof(cin));
	r.se_cin_len = sizeof(cin);
	KUNIT_ASSERT_EQ(test, secel_acl_rule_check(&r), 0);
	KUNIT_EXPECT_EQ(test, secel_acl_decide(&r, 1, 0, &se, &who, &t,
					       &filter), SECEL_ACL_DENY);
	se.name = "eSE2";	/* every selector must match */
	KUNIT_EXPECT_EQ(test, secel_acl_decide(&r, 1, 0, &se, &who, &t,
					       &filter), SECEL_ACL_ALLOW);
	se.name = "eSE1";
	se.cin_len = 3;		/* another CIN */
	KUNIT_EXPECT_EQ(test, secel_acl_decide(&r, 1, 0, &se, &who, &t,
					       &filter), SECEL_ACL_ALLOW);
	se.cin = NULL;		/* no CIN at all */
	se.cin_len = 0;
	KUNIT_EXPECT_EQ(test, secel_acl_decide(&r, 1, 0, &se, &who, &t,
					       &filter), SECEL_ACL_ALLOW);
}

static void secel_acl_none_and_filters(struct kunit *test)
{
	struct secel_acl_se se = { .kind = SECEL_KIND_VIRTUAL, .name = "VSE1" };
	struct secel_acl_who who = { .uid = 5,
				     .in_group = acl_groups_none_cb };
	const struct secel_acl_rule *filter;
	struct secel_acl_target t;
	struct secel_acl_rule r[2];

	/* "none" covers the card's own choice and nothing else */
	acl_rule(test, &r[0], SECEL_ACL_APP_NONE, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_FILTER);
	acl_rule(test, &r[1], SECEL_ACL_APP_PREFIX, "", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_ALLOW);
	acl_target(test, &t, SECEL_ACL_SEL_UNKNOWN, "");
	KUNIT_EXPECT_EQ(test, secel_acl_decide(r, 2, 0, &se, &who, &t,
					       &filter), SECEL_ACL_FILTER);
	KUNIT_ASSERT_PTR_EQ(test, filter, (const struct secel_acl_rule *)&r[0]);
	KUNIT_EXPECT_TRUE(test, secel_acl_filter_match(filter,
						       (const u8 *)"\x80\x10\x12\x34"));
	KUNIT_EXPECT_FALSE(test, secel_acl_filter_match(filter,
							(const u8 *)"\x80\x11\x00\x00"));
	KUNIT_EXPECT_FALSE(test, secel_acl_filter_match(filter,
							(const u8 *)"\x00\x10\x00\x00"));
	acl_target(test, &t, SECEL_ACL_SEL_EXACT, AID_A);
	KUNIT_EXPECT_EQ(test, secel_acl_decide(r, 2, 0, &se, &who, &t,
					       &filter), SECEL_ACL_ALLOW);
	/* a deny that covers part of a partial name denies the name */
	acl_rule(test, &r[0], SECEL_ACL_APP_AID, AID_A, SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_DENY);
	acl_target(test, &t, SECEL_ACL_SEL_NAME, "F053454345");
	KUNIT_EXPECT_EQ(test, secel_acl_decide(r, 2, 0, &se, &who, &t,
					       &filter), SECEL_ACL_DENY);
	/* and the unknown application may be it */
	acl_target(test, &t, SECEL_ACL_SEL_UNKNOWN, "");
	KUNIT_EXPECT_EQ(test, secel_acl_decide(r, 2, 0, &se, &who, &t,
					       &filter), SECEL_ACL_DENY);
	/* a 16-byte name is one AID */
	acl_rule(test, &r[0], SECEL_ACL_APP_AID,
		 "A0000001510000000000000000000001", SECEL_ACL_WHO_ANY, 0,
		 SECEL_ACL_ALLOW);
	acl_target(test, &t, SECEL_ACL_SEL_PREFIX,
		   "A0000001510000000000000000000001");
	KUNIT_EXPECT_EQ(test, secel_acl_decide(r, 1, 0, &se, &who, &t,
					       &filter), SECEL_ACL_ALLOW);
}

static struct kunit_case secel_logic_cases[] = {
	KUNIT_CASE(secel_apdu_parse_table),
	KUNIT_CASE(secel_apdu_parse_extended),
	KUNIT_CASE(secel_cla_coding),
	KUNIT_CASE(secel_atr_parse_table),
	KUNIT_CASE(secel_atr_too_long),
	KUNIT_CASE(secel_atr_params_table),
	KUNIT_CASE(secel_atr_params_protocol_choice),
	KUNIT_CASE(secel_tlv_lookup),
	KUNIT_CASE(secel_state_table),
	KUNIT_CASE(secel_state_transitions),
	KUNIT_CASE(secel_transport_names),
	KUNIT_CASE(secel_set_limits_validated),
	KUNIT_CASE(secel_restart_codes_become_eintr),
	KUNIT_CASE(secel_6cxx_reissue_within_max_cmd),
	KUNIT_CASE(secel_atr_bounded_by_its_buffer),
	KUNIT_CASE(secel_unregister_unregistered),
	KUNIT_CASE(secel_t0_case4_fetches_61xx),
	KUNIT_CASE(secel_t0_case2_reissues_6cxx),
	KUNIT_CASE(secel_t0_ne_bounds_get_response),
	KUNIT_CASE(secel_t0_endless_61xx_is_eproto),
	KUNIT_CASE(secel_t0_procedure_bytes),
	KUNIT_CASE(secel_acl_rule_checks),
	KUNIT_CASE(secel_acl_decisions),
	KUNIT_CASE(secel_acl_se_selectors),
	KUNIT_CASE(secel_acl_none_and_filters),
	{}
};

static struct kunit_suite secel_logic_suite = {
	.name = "secel-logic",
	.test_cases = secel_logic_cases,
};

kunit_test_suites(&secel_logic_suite);
