// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the T=1 block engine (t1.c, t1block.c): a scripted fake
 * card behind struct secel_t1_ops checks every block the engine sends,
 * byte for byte, and answers what the script says, wrong EDCs, silence
 * and all.  The scenarios follow ISO/IEC 7816-3:2006 clause 11 (11.6.2
 * error-free operation, 11.6.3 error handling) and annex A's numbered
 * scenarios; a card model carries the chains of 65544 bytes.
 *
 * Annex A, scenario by scenario, as the interface device sees it (the
 * block sequences as Infineon's T=1' host library tests render them, its
 * cases "ISO7816-3 Annex A Scenario N"; 3 to 5 also as ANSSI's
 * Open-ISO7816-Stack's; the annex's own text was not at hand):
 *
 *  1 I-blocks both ways            t1_i_blocks_alternate
 *  2 S(WTX)                        t1_wtx_next_block_only
 *  3 the card's S(IFS)             t1_annex_a_s3 (t1_ifsc_changed_by_card:
 *                                  the same in a chain)
 *  4 our S(IFS) between APDUs      t1_annex_a_s4
 *  5 our chain                     t1_chain_from_ifd
 *  6 the card's chain              t1_chain_from_card (three links)
 *  7 its last link empty           t1_annex_a_s7
 *  8 our I-block lost              t1_card_asks_for_i_block
 *  9 the card's I-block bad        t1_edc_error_asks_again
 * 10-12 the R-blocks bad too       t1_annex_a_s10, _s11 (our second R(0)
 *                                  says "other error"), _s12
 * 13 differs: three R(0)s in a row; the engine counts the card's valid
 *    R(1) as the third failed attempt and sends S(RESYNCH) instead
 * 14, 15 its S(WTX) bad            t1_annex_a_s14 (15 differs on the
 *                                  card's side only)
 * 16, 17 its S(IFS) bad            t1_annex_a_s16 (17: as 15)
 * 18 our S(IFS) response bad       t1_annex_a_s18
 * 19, 20 I-block bad after S(IFS)  t1_annex_a_s19, t1_annex_a_s20
 * 21, 22 its R(1) bad in our chain t1_annex_a_s21 (22: as 15;
 *                                  t1_chain_ack_lost: R(1) lost)
 * 23 our R(1) bad in its chain     t1_card_asks_for_r_block
 * 24 both R(1)s bad                t1_annex_a_s24
 * 25, 28 not found (our S(ABORT): t1_response_too_big_aborted)
 * 26 it aborts its chain           t1_annex_a_s26, 27 ours:
 *                                  t1_card_aborts (first link); both end
 *                                  in -EIO, the card's R-block that gives
 *                                  the turn back not read
 * 29 S(RESYNCH)                    t1_annex_a_s29 (t1_silent_card_
 *                                  resynchronised: after three failures)
 * 30-32 S(RESYNCH) blocks bad      t1_annex_a_s30, _s31, _s32
 * 33-35 not found (S(RESYNCH) failing: t1_resynch_fails_eio)
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/secel.h>
#include <linux/string.h>

#include "secel-parse.h"

#define T1K_BWT		100
#define T1K_MAX_STEPS	16

/* faults of a scripted answer */
#define T1K_EDC		BIT(0)	/* the answer's EDC is wrong */
#define T1K_CUT		BIT(1)	/* the answer stops after its prologue */

struct t1k_step {
	const char *tx;		/* what the engine sends, hex, EDC left out */
	const char *rx;		/* the card's answer, hex, EDC left out; NULL: silence */
	u32 fault;
	unsigned int timeout;	/* when not 0: the wait the engine must allow */
};

struct t1k_card {
	struct kunit *test;
	bool gp, crc;
	const struct t1k_step *script;
	size_t steps, pos;
	u8 reply[SECEL_T1_BLOCK_MAX + 2];
	size_t reply_len, reply_pos;
	unsigned int wait;	/* the script's timeout for this answer */
	bool first;		/* the next recv is the answer's prologue */

	/* the card model for long chains (script NULL) */
	u8 *in;
	size_t in_len, in_size, out_len, out_pos;
	u8 ns, nr;
	u16 ifsc;		/* of the model card */
	u8 out[SECEL_T1_GP_IFS_MAX];
	unsigned int blocks_in, blocks_out;
};

static size_t t1k_unhex(struct kunit *test, const char *hex, u8 *buf,
			size_t size)
{
	size_t n = 0;
	u8 b;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		KUNIT_ASSERT_LT(test, n, size);
		KUNIT_ASSERT_EQ(test, hex2bin(&b, hex, 1), 0);
		buf[n++] = b;
		hex += 2;
	}
	return n;
}

static size_t t1k_edc(const struct t1k_card *c)
{
	return c->gp || c->crc ? 2 : 1;
}

/* a block of the card's, its EDC computed (and spoilt when asked) */
static void t1k_answer(struct t1k_card *c, const u8 *blk, size_t len,
		       u32 fault)
{
	size_t hdr = c->gp ? 4 : 3;
	size_t n = len - hdr;

	c->reply_len = secel_t1_block_build(c->reply, c->gp, c->crc, blk[0],
					    blk[1], blk + hdr, n);
	/* keep a LEN the script set on purpose, however wrong */
	memcpy(c->reply, blk, hdr);
	if (fault & T1K_EDC)
		c->reply[c->reply_len - 1] ^= 0x5a;
	if (fault & T1K_CUT)
		c->reply_len = hdr;
	c->reply_pos = 0;
}

static void t1k_model(struct t1k_card *c, const u8 *buf, size_t len);

static int t1k_send(void *ctx, const u8 *buf, size_t len)
{
	struct t1k_card *c = ctx;
	struct kunit *test = c->test;
	struct secel_t1_block b;
	const struct t1k_step *s;
	u8 want[300], blk[300];
	size_t n;

	/* every block the engine sends is well formed */
	KUNIT_ASSERT_EQ(test, secel_t1_block_parse(buf, len, c->gp, c->crc, &b),
			0);
	c->first = true;
	c->reply_len = 0;
	c->reply_pos = 0;
	if (!c->script) {
		t1k_model(c, buf, len);
		return 0;
	}
	KUNIT_ASSERT_LT_MSG(test, c->pos, c->steps,
			    "block %*phN sent after the script's end",
			    (int)min_t(size_t, len, 16), buf);
	s = &c->script[c->pos++];
	n = t1k_unhex(test, s->tx, want, sizeof(want));
	KUNIT_EXPECT_EQ_MSG(test, len - t1k_edc(c), n, "step %zu", c->pos);
	KUNIT_EXPECT_TRUE_MSG(test, len - t1k_edc(c) == n &&
			      !memcmp(buf, want, n),
			      "step %zu: sent %*phN, wanted %s", c->pos,
			      (int)min_t(size_t, len, 32), buf, s->tx);
	c->wait = s->timeout;
	if (s->rx)
		t1k_answer(c, blk, t1k_unhex(test, s->rx, blk, sizeof(blk)),
			   s->fault);
	return 0;
}

static int t1k_recv(void *ctx, u8 *buf, size_t len, unsigned int timeout_ms)
{
	struct t1k_card *c = ctx;

	if (c->first && c->wait)
		KUNIT_EXPECT_EQ_MSG(c->test, timeout_ms, c->wait,
				    "step %zu's waiting time", c->pos);
	c->first = false;
	if (len > c->reply_len - c->reply_pos)
		return -ETIMEDOUT;
	memcpy(buf, c->reply + c->reply_pos, len);
	c->reply_pos += len;
	return 0;
}

static const struct secel_t1_ops t1k_ops = {
	.send = t1k_send,
	.recv = t1k_recv,
};

static const struct secel_t1_config t1k_iso = {
	.variant = SECEL_T1_ISO,
	.edc = SECEL_T1_LRC,
	.ifsc = 32,
	.ifsd = 32,
	.bwt_ms = T1K_BWT,
};

static const struct secel_t1_config t1k_gp = {
	.variant = SECEL_T1_GP,
	.edc = SECEL_T1_CRC,
	.ifsc = 0xff9,
	.ifsd = 0xff9,
	.nad = SECEL_T1_GP_NAD,
	.bwt_ms = T1K_BWT,
};

static struct t1k_card *t1k_start(struct kunit *test, struct secel_t1 *t1,
				  const struct secel_t1_config *cfg,
				  const struct t1k_step *script)
{
	struct t1k_card *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->gp = cfg->variant == SECEL_T1_GP;
	c->crc = cfg->edc == SECEL_T1_CRC;
	c->script = script;
	while (script && script[c->steps].tx)
		c->steps++;
	KUNIT_ASSERT_EQ(test, secel_t1_init(t1, cfg, &t1k_ops, c), 0);
	return c;
}

static void t1k_done(struct kunit *test, struct secel_t1 *t1,
		     struct t1k_card *c)
{
	KUNIT_EXPECT_EQ_MSG(test, c->pos, c->steps,
			    "the script was not played to its end");
	secel_t1_destroy(t1);
}

/* one APDU through a script; returns the engine's errno */
static int t1k_run(struct kunit *test, const struct secel_t1_config *cfg,
		   const struct t1k_step *script, const char *cmd,
		   const char *rsp)
{
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, cfg, script);
	u8 capdu[64], got[64], want[64];
	size_t n = t1k_unhex(test, cmd, capdu, sizeof(capdu)), len = 0;
	int ret;

	ret = secel_t1_transceive(&t1, capdu, n, got, sizeof(got), &len);
	if (!ret && rsp) {
		n = t1k_unhex(test, rsp, want, sizeof(want));
		KUNIT_EXPECT_EQ(test, len, n);
		KUNIT_EXPECT_EQ(test, memcmp(got, want, n), 0);
	}
	t1k_done(test, &t1, c);
	return ret;
}

/* 11.6.2, annex A: I-blocks both ways, N(S) alternating */
static void t1_i_blocks_alternate(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{ "00 40 05 00b0000010", "00 40 04 11229000" },
		{ "00 00 04 00a40400", "00 00 02 6a82" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 apdu1[] = { 0x00, 0xa4, 0x04, 0x00 };
	u8 apdu2[] = { 0x00, 0xb0, 0x00, 0x00, 0x10 };
	u8 rsp[8];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu1, 4, rsp, 8, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 2);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu2, 5, rsp, 8, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 4);
	KUNIT_EXPECT_EQ(test, rsp[1], 0x22);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu1, 4, rsp, 8, &len), 0);
	KUNIT_EXPECT_EQ(test, rsp[0], 0x6a);
	KUNIT_EXPECT_EQ(test, t1.stats.blocks_sent, 3);
	t1k_done(test, &t1, c);
}

/* chaining from the interface device: IFSC 5, R(N(S)+1) for each link */
static void t1_chain_from_ifd(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 20 05 0001020304", "00 90 00" },
		{ "00 60 05 0506070809", "00 80 00" },
		{ "00 00 02 0a0b", "00 00 02 9000" },
		{}
	};
	struct secel_t1_config cfg = t1k_iso;

	cfg.ifsc = 5;
	KUNIT_EXPECT_EQ(test, t1k_run(test, &cfg, s, "000102030405060708090a0b",
				      "9000"), 0);
}

/* chaining from the card: the engine acknowledges with R(N(S)+1) */
static void t1_chain_from_card(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 80ca9f7f", "00 20 03 aabbcc" },
		{ "00 90 00", "00 60 02 ddee" },
		{ "00 80 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "80ca9f7f",
				      "aabbccddee9000"), 0);
}

/* S(IFS request) by the interface device, answered with the same IFS */
static void t1_ifsd_announced(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 c1 01 fe", "00 e1 01 fe" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);

	KUNIT_EXPECT_EQ(test, secel_t1_set_ifsd(&t1, 254), 0);
	KUNIT_EXPECT_EQ(test, t1.ifsd, 254);
	KUNIT_EXPECT_EQ(test, secel_t1_set_ifsd(&t1, 255), -EINVAL);
	KUNIT_EXPECT_EQ(test, secel_t1_set_ifsd(&t1, 0), -EINVAL);
	t1k_done(test, &t1, c);
}

/* the card answers S(IFS) with another value: asked again, then resynch */
static void t1_ifsd_wrong_answer(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 c1 01 fe", "00 e1 01 20" },
		{ "00 c1 01 fe", "00 e1 01 20" },
		{ "00 c1 01 fe", "00 e1 01 20" },
		{ "00 c0 00", "00 e0 00" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);

	KUNIT_EXPECT_EQ(test, secel_t1_set_ifsd(&t1, 254), -EPROTO);
	KUNIT_EXPECT_EQ(test, t1.ifsd, 32);
	t1k_done(test, &t1, c);
}

/* the card's S(IFS request) mid-chain: the next links use the new IFSC */
static void t1_ifsc_changed_by_card(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 20 04 00010203", "00 c1 01 08" },
		{ "00 e1 01 08", "00 90 00" },
		{ "00 40 08 0405060708090a0b", "00 00 02 9000" },
		{}
	};
	struct secel_t1_config cfg = t1k_iso;

	cfg.ifsc = 4;
	KUNIT_EXPECT_EQ(test, t1k_run(test, &cfg, s, "000102030405060708090a0b",
				      "9000"), 0);
}

/* S(WTX): BWT times the multiplier for the next block only */
static void t1_wtx_next_block_only(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 c3 01 05", 0, T1K_BWT },
		{ "00 e3 01 05", "00 c3 01 02", 0, 5 * T1K_BWT },
		{ "00 e3 01 02", "00 00 02 9000", 0, 2 * T1K_BWT },
		{ "00 40 04 00a40400", "00 40 02 9000", 0, T1K_BWT },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 apdu[] = { 0x00, 0xa4, 0x04, 0x00 }, rsp[4];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	KUNIT_EXPECT_EQ(test, t1.stats.wtx, 2);
	t1k_done(test, &t1, c);
}

/* rule 7.1: the card's block with a wrong EDC: R(N(R)) with bit 1 */
static void t1_edc_error_asks_again(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000", T1K_EDC },
		{ "00 81 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/* rule 7.1 with a CRC: ISO CRC link */
static void t1_crc_edc_error_asks_again(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000", T1K_EDC },
		{ "00 81 00", "00 00 02 9000" },
		{}
	};
	struct secel_t1_config cfg = t1k_iso;

	cfg.edc = SECEL_T1_CRC;
	KUNIT_EXPECT_EQ(test, t1k_run(test, &cfg, s, "00a40400", "9000"), 0);
}

/*
 * rule 7.4.1: no answer within BWT: R(N(R)) "other error", the card's
 * I-block again
 */
static void t1_lost_answer_asked_again(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", NULL },
		{ "00 82 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/*
 * rule 7.2: the card did not get the I-block: its R(N(S)) makes the
 * engine send that I-block again
 */
static void t1_card_asks_for_i_block(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 81 00" },
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/* the card's R-block acknowledging a link of our chain is lost */
static void t1_chain_ack_lost(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 20 05 0001020304", NULL },
		{ "00 82 00", "00 90 00" },
		{ "00 40 01 05", "00 00 02 9000" },
		{}
	};
	struct secel_t1_config cfg = t1k_iso;

	cfg.ifsc = 5;
	KUNIT_EXPECT_EQ(test, t1k_run(test, &cfg, s, "000102030405", "9000"),
			0);
}

/*
 * a link of the card's chain is lost after our R-block acknowledged the
 * one before: R(N(R)) "other error", the link again
 */
static void t1_card_chain_link_lost(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 80ca9f7f", "00 20 02 aabb" },
		{ "00 90 00", NULL },
		{ "00 92 00", "00 40 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "80ca9f7f",
				      "aabb9000"), 0);
}

/*
 * the card did not get our R-block acknowledging its link: it asks again
 * with an R-block, and gets our R-block again
 */
static void t1_card_asks_for_r_block(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 80ca9f7f", "00 20 02 aabb" },
		{ "00 90 00", "00 91 00" },
		{ "00 90 00", "00 40 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "80ca9f7f",
				      "aabb9000"), 0);
}

/*
 * rule 7.4.2: three failures, then S(RESYNCH); the APDU is -ETIMEDOUT
 * and the link starts again from N(S) = 0
 */
static void t1_silent_card_resynchronised(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{ "00 40 04 00a40400", NULL },
		{ "00 92 00", NULL },
		{ "00 92 00", NULL },
		{ "00 c0 00", "00 e0 00" },
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 apdu[] = { 0x00, 0xa4, 0x04, 0x00 }, rsp[4];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len),
			-ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, t1.stats.resynchs, 1);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	t1k_done(test, &t1, c);
}

/*
 * rule 7.4.3: S(RESYNCH) unanswered three times: -EIO, the card needs a
 * reset
 */
static void t1_resynch_fails_eio(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", NULL },
		{ "00 82 00", NULL },
		{ "00 82 00", NULL },
		{ "00 c0 00", NULL },
		{ "00 c0 00", "00 e0 00", T1K_EDC },
		{ "00 c0 00", NULL },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", NULL),
			-EIO);
}

/* an R-block storm: the card asks for our I-block again and again */
static void t1_r_block_storm(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 81 00" },
		{ "00 00 04 00a40400", "00 81 00" },
		{ "00 00 04 00a40400", "00 82 00" },
		{ "00 c0 00", "00 e0 00" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", NULL),
			-EPROTO);
}

/* LEN beyond IFSD (and ISO's forbidden FFh) makes an invalid block */
static void t1_oversized_len(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400",
		  "00 00 21 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20" },
		{ "00 82 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/* GP: a LEN beyond any IFS is not read at all */
static void t1_gp_len_beyond_max(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "21 00 0004 00a40400", "12 00 ffff", T1K_CUT },
		{ "21 82 0000", "12 00 0002 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_gp, s, "00a40400", "9000"),
			0);
}

/* the card goes silent in the middle of our chain */
static void t1_silent_mid_chain(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 20 05 0001020304", "00 90 00" },
		{ "00 60 05 0506070809", NULL },
		{ "00 82 00", NULL },
		{ "00 82 00", NULL },
		{ "00 c0 00", "00 e0 00" },
		{}
	};
	struct secel_t1_config cfg = t1k_iso;

	cfg.ifsc = 5;
	KUNIT_EXPECT_EQ(test, t1k_run(test, &cfg, s, "000102030405060708090a0b",
				      NULL), -ETIMEDOUT);
}

/* the card's block cut short (CWT) is invalid, not lost */
static void t1_cut_block_invalid(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000", T1K_CUT },
		{ "00 82 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/*
 * invalid blocks: wrong NAD, RFU bits in a PCB, a wrong N(S), the card's
 * S(RESYNCH request) (only the interface device sends one)
 */
static void t1_invalid_blocks(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "01 00 02 9000" },
		{ "00 82 00", "00 01 02 9000" },
		{ "00 82 00", "00 00 02 9000" },
		{}
	};
	static const struct t1k_step s2[] = {
		{ "00 00 04 00a40400", "00 40 02 9000" },
		{ "00 82 00", "00 c0 00" },
		{ "00 82 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s2, "00a40400", "9000"),
			0);
}

/* the card aborts its chain: S(ABORT response), -EIO */
static void t1_card_aborts(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 20 05 0001020304", "00 c2 00" },
		{ "00 e2 00", NULL },
		{}
	};
	struct secel_t1_config cfg = t1k_iso;

	cfg.ifsc = 5;
	KUNIT_EXPECT_EQ(test, t1k_run(test, &cfg, s, "000102030405", NULL),
			-EIO);
}

/* a response larger than the buffer: S(ABORT) ends the card's chain */
static void t1_response_too_big_aborted(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 80ca9f7f", "00 20 02 aabb" },
		{ "00 90 00",
		  "00 60 20 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" },
		{ "00 c2 00", "00 e2 00" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 apdu[] = { 0x80, 0xca, 0x9f, 0x7f }, rsp[16];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 16, &len),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 0, rsp, 16, &len),
			-EINVAL);
	t1k_done(test, &t1, c);
}

/*
 * Annex A, scenario 3: the card answers our I-block with S(IFS request);
 * its IFSC holds from then on
 */
static void t1_annex_a_s3(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 c1 01 79" },
		{ "00 e1 01 79", "00 00 02 9000" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 apdu[] = { 0x00, 0xa4, 0x04, 0x00 }, rsp[4];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 2);
	KUNIT_EXPECT_EQ(test, t1.ifsc, 0x79);
	t1k_done(test, &t1, c);
}

/* scenario 4: our S(IFS request) between two APDUs leaves N(S) alone */
static void t1_annex_a_s4(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{ "00 c1 01 79", "00 e1 01 79" },
		{ "00 40 04 00a40400", "00 40 02 9000" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 apdu[] = { 0x00, 0xa4, 0x04, 0x00 }, rsp[4];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_set_ifsd(&t1, 0x79), 0);
	KUNIT_EXPECT_EQ(test, t1.ifsd, 0x79);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	t1k_done(test, &t1, c);
}

/*
 * scenario 7: the card's chain ends in an I-block without information;
 * the next APDU goes on with the sequence numbers
 */
static void t1_annex_a_s7(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 80ca9f7f", "00 20 02 aabb" },
		{ "00 90 00", "00 40 00" },
		{ "00 40 04 00a40400", "00 00 02 9000" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 get[] = { 0x80, 0xca, 0x9f, 0x7f };
	u8 select[] = { 0x00, 0xa4, 0x04, 0x00 };
	u8 rsp[4];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, get, 4, rsp, 4, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 2);
	KUNIT_EXPECT_EQ(test, rsp[1], 0xbb);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, select, 4, rsp, 4, &len),
			0);
	KUNIT_EXPECT_EQ(test, len, 2);
	KUNIT_EXPECT_EQ(test, rsp[0], 0x90);
	t1k_done(test, &t1, c);
}

/*
 * scenario 10: our I-block reaches the card bad and its R(0) reaches us
 * bad: our R(0), its R(0) again, our I-block again
 */
static void t1_annex_a_s10(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 81 00", T1K_EDC },
		{ "00 81 00", "00 81 00" },
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/*
 * scenario 11: the card's I-block reaches us bad, our R(0) reaches it
 * bad; its R(1) is not what we asked for: R(0) again ("other error")
 */
static void t1_annex_a_s11(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000", T1K_EDC },
		{ "00 81 00", "00 91 00" },
		{ "00 82 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/* scenario 12: as 11, and the card's R(1) reaches us bad too */
static void t1_annex_a_s12(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000", T1K_EDC },
		{ "00 81 00", "00 91 00", T1K_EDC },
		{ "00 81 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/*
 * scenarios 14 and 15: the card's S(WTX request) reaches us bad: R(0);
 * it asks again, and its waiting time holds for the next block
 */
static void t1_annex_a_s14(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 c3 01 02", T1K_EDC },
		{ "00 81 00", "00 c3 01 02", 0, T1K_BWT },
		{ "00 e3 01 02", "00 00 02 9000", 0, 2 * T1K_BWT },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/* scenarios 16 and 17: the card's S(IFS request) reaches us bad: R(0) */
static void t1_annex_a_s16(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 c1 01 79", T1K_EDC },
		{ "00 81 00", "00 c1 01 79" },
		{ "00 e1 01 79", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/*
 * scenario 18: our S(IFS response) reaches the card bad: it asks again,
 * we answer again
 */
static void t1_annex_a_s18(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 c1 01 79" },
		{ "00 e1 01 79", "00 c1 01 79" },
		{ "00 e1 01 79", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/* scenario 19: after S(IFS), the card's I-block reaches us bad: R(0) */
static void t1_annex_a_s19(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 c1 01 79" },
		{ "00 e1 01 79", "00 00 02 9000", T1K_EDC },
		{ "00 81 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/* scenario 20: as 19, and our R(0) reaches the card bad: its R(1) */
static void t1_annex_a_s20(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 c1 01 79" },
		{ "00 e1 01 79", "00 00 02 9000", T1K_EDC },
		{ "00 81 00", "00 91 00" },
		{ "00 82 00", "00 00 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "00a40400", "9000"),
			0);
}

/*
 * scenarios 21 and 22: in our chain the card's R(1) reaches us bad: our
 * R(0) gets its R(1) again, and the chain goes on
 */
static void t1_annex_a_s21(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 20 02 0102", "00 90 00", T1K_EDC },
		{ "00 81 00", "00 90 00" },
		{ "00 60 02 0304", "00 80 00" },
		{ "00 00 02 0506", "00 00 02 9000" },
		{}
	};
	struct secel_t1_config cfg = t1k_iso;

	cfg.ifsc = 2;
	KUNIT_EXPECT_EQ(test, t1k_run(test, &cfg, s, "010203040506", "9000"),
			0);
}

/*
 * scenario 24: in the card's chain our R(1) reaches it bad and its R(1)
 * reaches us bad: R(1) again, with the EDC error bit
 */
static void t1_annex_a_s24(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 80ca9f7f", "00 20 02 aabb" },
		{ "00 90 00", "00 91 00", T1K_EDC },
		{ "00 91 00", "00 40 02 9000" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "80ca9f7f",
				      "aabb9000"), 0);
}

/*
 * scenario 26: the card aborts its own chain.  The engine answers
 * S(ABORT response) and ends the APDU with -EIO (the card needs a reset);
 * the card's R(1) that gives the turn back is left unread.
 */
static void t1_annex_a_s26(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 80ca9f7f", "00 20 02 aabb" },
		{ "00 90 00", "00 c2 00" },
		{ "00 e2 00", "00 90 00" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_run(test, &t1k_iso, s, "80ca9f7f", NULL),
			-EIO);
}

/* S(RESYNCH) on demand through a script; returns the engine's errno */
static int t1k_resync_run(struct kunit *test, const struct t1k_step *script)
{
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, script);
	int ret = secel_t1_resync(&t1);

	t1k_done(test, &t1, c);
	return ret;
}

/* scenario 29: S(RESYNCH) puts N(S) back to 0 */
static void t1_annex_a_s29(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{ "00 c0 00", "00 e0 00" },
		{ "00 00 04 00a40400", "00 00 02 9000" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, s);
	u8 apdu[] = { 0x00, 0xa4, 0x04, 0x00 }, rsp[4];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_resync(&t1), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 4, &len), 0);
	t1k_done(test, &t1, c);
}

/* scenario 30: the card's S(RESYNCH response) reaches us bad: ask again */
static void t1_annex_a_s30(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 c0 00", "00 e0 00", T1K_EDC },
		{ "00 c0 00", "00 e0 00" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_resync_run(test, s), 0);
}

/*
 * scenario 31: our S(RESYNCH request) reaches the card bad: its R(0) is
 * no S(RESYNCH response): ask again
 */
static void t1_annex_a_s31(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 c0 00", "00 81 00" },
		{ "00 c0 00", "00 e0 00" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_resync_run(test, s), 0);
}

/* scenario 32: as 31, and the card's R(0) reaches us bad */
static void t1_annex_a_s32(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "00 c0 00", "00 81 00", T1K_EDC },
		{ "00 c0 00", "00 e0 00" },
		{}
	};

	KUNIT_EXPECT_EQ(test, t1k_resync_run(test, s), 0);
}

/* GP: two-byte LEN, CRC-16, NAD 21h/12h, S(SWR), S(CIP), S(RELEASE) */
static void t1_gp_blocks(struct kunit *test)
{
	static const struct t1k_step s[] = {
		{ "21 cf 0000", "12 ef 0000" },
		{ "21 c4 0000", "12 e4 0013 01 03 000102 01 06 000000000000 04 00c8 0102 00" },
		{ "21 c1 0002 0400", "12 e1 0002 0400" },
		{ "21 00 0004 00a40400", "12 00 0002 9000" },
		{ "21 c6 0000", "12 e6 0000" },
		{}
	};
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_gp, s);
	u8 apdu[] = { 0x00, 0xa4, 0x04, 0x00 }, rsp[32];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_gp_reset(&t1), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_gp_cip(&t1, rsp, sizeof(rsp), &len), 0);
	KUNIT_EXPECT_EQ(test, len, 19);
	KUNIT_EXPECT_EQ(test, t1.cfg.bwt_ms, 200);
	KUNIT_EXPECT_EQ(test, t1.ifsc, 0x102);
	KUNIT_EXPECT_EQ(test, secel_t1_set_ifsd(&t1, 0x400), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_transceive(&t1, apdu, 4, rsp, 32, &len), 0);
	KUNIT_EXPECT_EQ(test, secel_t1_gp_release(&t1), 0);
	t1k_done(test, &t1, c);
}

/* GP S-blocks are not ISO's */
static void t1_gp_only_on_gp(struct kunit *test)
{
	static const struct t1k_step none[] = { {} };	/* nothing sent */
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, &t1k_iso, none);
	u8 buf[4];
	size_t len;

	KUNIT_EXPECT_EQ(test, secel_t1_gp_reset(&t1), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, secel_t1_gp_release(&t1), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, secel_t1_gp_cip(&t1, buf, 4, &len), -EOPNOTSUPP);
	t1k_done(test, &t1, c);
}

/*
 * The CRCs against the catalogue's check value for "123456789":
 * CRC-16/X-25 (GP) 906Eh; ISO's, not complemented, 6F91h.
 */
static void t1_crc_check_values(struct kunit *test)
{
	static const u8 check[] = "123456789";

	KUNIT_EXPECT_EQ(test, secel_t1_crc(check, 9, true), 0x906e);
	KUNIT_EXPECT_EQ(test, secel_t1_crc(check, 9, false), 0x6f91);
	KUNIT_EXPECT_EQ(test, secel_t1_lrc(check, 9), 0x31);
}

struct t1k_parse_case {
	const char *name;
	const char *hex;
	bool gp, crc;
	int ret;
};

static const struct t1k_parse_case t1k_parse_cases[] = {
	/* I(0,0) 00 a4 04 00 with LRC 04 ^ a4 ^ 04 = a4 */
	{ "I-block LRC", "000004 00a40400 a4", false, false, 0 },
	{ "wrong LRC", "000004 00a40400 a5", false, false, -EBADMSG },
	{ "LEN beyond the data", "000005 00a40400 a4", false, false, -EMSGSIZE },
	{ "LEN FFh", "0000ff", false, false, -EMSGSIZE },
	{ "too short", "0000", false, false, -EMSGSIZE },
	{ "R-block with INF", "008001 00 81", false, false, -EPROTO },
	{ "R-block 83h", "008300 83", false, false, -EPROTO },
	{ "I-block RFU bit", "000100 01", false, false, -EPROTO },
	{ "S(WTX) two bytes", "00c302 0102 c2", false, false, -EPROTO },
	{ "S(CIP) on ISO", "00c400 c4", false, false, -EPROTO },
	{ "S type 5", "00c500 c5", false, false, -EPROTO },
	{ "GP S(IFS) two bytes", "21c10002 0400 e42f", true, true, 0 },
	{ "GP wrong CRC", "21c10002 0400 e42e", true, true, -EBADMSG },
	{ "GP LEN beyond 4089", "2100fffa", true, true, -EMSGSIZE },
	/*
	 * GP S-blocks as Infineon's T=1' host library codes them (S(SWR)
	 * CFh/EFh, S(CIP) C4h/E4h, S(RELEASE) C6h/E6h, NAD 21h to the SE,
	 * 12h back), their CRCs from Python's binascii.crc_hqx (CRC-CCITT)
	 * over bit-reversed bytes, reflected and complemented: X-25
	 */
	{ "GP S(SWR request)", "21cf0000 2f6b", true, true, 0 },
	{ "GP S(SWR response)", "12ef0000 456f", true, true, 0 },
	{ "GP S(CIP request)", "21c40000 06cd", true, true, 0 },
	{ "GP S(RELEASE request)", "21c60000 b375", true, true, 0 },
	{ "GP S(RELEASE response)", "12e60000 d971", true, true, 0 },
	{ "GP CRC least significant byte first", "21c60000 75b3", true, true,
	  -EBADMSG },
	/* Thales' eSE HAL sends a "custom" S(05h) release: not GP's */
	{ "GP S type 5", "21c50000 5c11", true, true, -EPROTO },
};

static void t1_block_parse_table(struct kunit *test)
{
	const struct t1k_parse_case *t;
	struct secel_t1_block b;
	u8 buf[16];
	size_t n;

	for (t = t1k_parse_cases; t < t1k_parse_cases + ARRAY_SIZE(t1k_parse_cases);
	     t++) {
		n = t1k_unhex(test, t->hex, buf, sizeof(buf));
		KUNIT_EXPECT_EQ_MSG(test, secel_t1_block_parse(buf, n, t->gp,
							       t->crc, &b),
				    t->ret, "%s", t->name);
	}
}

struct t1k_cip_case {
	const char *name;
	const char *hex;
	int ret;
};

static const struct t1k_cip_case t1k_cip_cases[] = {
	{ "SPI", "01 03 000102 01 0c 000000000000000000000000 04 012c 00fe 00", 0 },
	{ "I2C, historical bytes",
	  "01 04 00010203 02 08 0000000000000000 04 00c8 0ff9 02 8000", 0 },
	{ "IIN of 2", "01 02 0001 01 00 04 012c 00fe 00", -EPROTO },
	{ "PLID 3", "01 03 000102 03 00 04 012c 00fe 00", -EPROTO },
	{ "DLLP of 3", "01 03 000102 01 00 03 012c 00 00", -EPROTO },
	{ "IFSC 0", "01 03 000102 01 00 04 012c 0000 00", -EPROTO },
	{ "IFSC beyond 4089", "01 03 000102 01 00 04 012c 0ffa 00", -EPROTO },
	{ "BWT 0", "01 03 000102 01 00 04 0000 00fe 00", -EPROTO },
	{ "trailing byte", "01 03 000102 01 00 04 012c 00fe 00 00", -EPROTO },
	{ "truncated", "01 03 000102 01 05 0000", -EPROTO },
};

static void t1_cip_parse_table(struct kunit *test)
{
	const struct t1k_cip_case *t;
	struct secel_t1_cip cip;
	struct secel_t1_config cfg;
	u8 buf[64];
	size_t n;

	for (t = t1k_cip_cases; t < t1k_cip_cases + ARRAY_SIZE(t1k_cip_cases);
	     t++) {
		n = t1k_unhex(test, t->hex, buf, sizeof(buf));
		KUNIT_EXPECT_EQ_MSG(test, secel_t1_cip_parse(buf, n, &cip),
				    t->ret, "%s", t->name);
	}
	n = t1k_unhex(test, t1k_cip_cases[1].hex, buf, sizeof(buf));
	KUNIT_ASSERT_EQ(test, secel_t1_cip_parse(buf, n, &cip), 0);
	KUNIT_EXPECT_EQ(test, cip.plid, 2);
	KUNIT_EXPECT_EQ(test, cip.bwt_ms, 200);
	KUNIT_EXPECT_EQ(test, cip.ifsc, 0xff9);
	KUNIT_EXPECT_EQ(test, cip.hb_len, 2);
	KUNIT_EXPECT_EQ(test, cip.hb[0], 0x80);
	KUNIT_ASSERT_EQ(test, secel_t1_config_from_cip(&cip, &cfg), 0);
	KUNIT_EXPECT_EQ(test, cfg.variant, SECEL_T1_GP);
	KUNIT_EXPECT_EQ(test, cfg.nad, 0x21);
	KUNIT_EXPECT_EQ(test, cfg.ifsc, 0xff9);
	KUNIT_EXPECT_EQ(test, cfg.bwt_ms, 200);
}

/*
 * Facts from implementations written apart from secel's:
 * - GNU Radio's qa_crc appends CRC-16-CCITT-X.25 (poly 1021h, init and
 *   xorout FFFFh, reflected) of the bytes 00h..0Fh as 13h E9h;
 * - Infineon's T=1' host library computes the CRC over NAD, PCB, both
 *   LEN bytes and INF and sends it most significant byte first, and
 *   reads a CIP (PVER, IIN, PLID with its PLP, DLLP, historical bytes)
 *   from S(CIP response); its test CIP, IIN 000000h, PLID 1 (SPI), 12
 *   bytes of PLP and 4 of DLLP, all zero, has a BWT and IFSC of 0, which
 *   secel refuses;
 * - Thales' GP eSE HAL reads the DLLP as BWT then IFSC, two bytes each,
 *   most significant first.
 */
static void t1_gp_independent_vectors(struct kunit *test)
{
	u8 seq[16], buf[8], cipbuf[32];
	struct secel_t1_cip cip;
	size_t n, i;

	for (i = 0; i < sizeof(seq); i++)
		seq[i] = i;
	KUNIT_EXPECT_EQ(test, secel_t1_crc(seq, sizeof(seq), true), 0x13e9);

	n = secel_t1_block_build(buf, true, true, SECEL_T1_GP_NAD, 0xcf,
				 NULL, 0);
	KUNIT_ASSERT_EQ(test, n, 6);
	KUNIT_EXPECT_EQ(test, buf[2], 0);
	KUNIT_EXPECT_EQ(test, buf[3], 0);
	KUNIT_EXPECT_EQ(test, (buf[4] << 8) | buf[5],
			secel_t1_crc(buf, 4, true));

	n = t1k_unhex(test, "01 03 000000 01 0c 000000000000000000000000 04 00000000 00",
		      cipbuf, sizeof(cipbuf));
	KUNIT_EXPECT_EQ(test, secel_t1_cip_parse(cipbuf, n, &cip), -EPROTO);
	KUNIT_EXPECT_EQ(test, cip.version, 1);
	KUNIT_EXPECT_EQ(test, cip.iin_len, 3);
	KUNIT_EXPECT_EQ(test, cip.plid, 1);
	KUNIT_EXPECT_EQ(test, cip.plp_len, 12);
	KUNIT_EXPECT_EQ(test, cip.hb_len, 0);

	/* the same CIP with BWT 300 ms, IFSC 254 in its DLLP */
	n = t1k_unhex(test, "01 03 000000 01 0c 000000000000000000000000 04 012c 00fe 00",
		      cipbuf, sizeof(cipbuf));
	KUNIT_ASSERT_EQ(test, secel_t1_cip_parse(cipbuf, n, &cip), 0);
	KUNIT_EXPECT_EQ(test, cip.bwt_ms, 300);
	KUNIT_EXPECT_EQ(test, cip.ifsc, 254);
}

/*
 * 11.4.3: BWT, CWT and BGT of the default BWI 4, CWI 13 at 4 MHz, and
 * the ATR's faults
 */
static void t1_config_from_atr(struct kunit *test)
{
	struct secel_atr_params p = {
		.protocol = 1, .fi_di = 0x11, .ifsc = 0xfe, .bwi_cwi = 0x4d,
		.crc = true,
	};
	struct secel_t1_config cfg;

	KUNIT_ASSERT_EQ(test, secel_t1_config_from_atr(&p, 4000, &cfg), 0);
	/* etu 93 us; BWT 11 etu + 16 x 960 x 372 / 4 MHz = 1429.503 ms */
	KUNIT_EXPECT_EQ(test, cfg.bwt_ms, 1430);
	/* CWT (11 + 8192) etu = 762.879 ms */
	KUNIT_EXPECT_EQ(test, cfg.cwt_ms, 763);
	KUNIT_EXPECT_EQ(test, cfg.bgt_us, 2046);
	KUNIT_EXPECT_EQ(test, cfg.ifsc, 254);
	KUNIT_EXPECT_EQ(test, cfg.ifsd, 32);
	KUNIT_EXPECT_EQ(test, cfg.edc, SECEL_T1_CRC);
	KUNIT_EXPECT_EQ(test, cfg.variant, SECEL_T1_ISO);
	/* Fi 512 Di 8 (TA1 94h) at 4 MHz: etu 16 us, CWT 2^5 + 11 = 43 etu */
	p.fi_di = 0x94;
	p.bwi_cwi = 0x05;
	KUNIT_ASSERT_EQ(test, secel_t1_config_from_atr(&p, 4000, &cfg), 0);
	KUNIT_EXPECT_EQ(test, cfg.cwt_ms, 1);
	KUNIT_EXPECT_EQ(test, cfg.bgt_us, 352);
	KUNIT_EXPECT_EQ(test, cfg.bwt_ms, 90);	/* 0.176 + 89.28 ms */
	p.ifsc = 0xff;
	KUNIT_EXPECT_EQ(test, secel_t1_config_from_atr(&p, 4000, &cfg), -EPROTO);
	p.ifsc = 0;
	KUNIT_EXPECT_EQ(test, secel_t1_config_from_atr(&p, 4000, &cfg), -EPROTO);
	p.ifsc = 32;
	p.bwi_cwi = 0xa0;
	KUNIT_EXPECT_EQ(test, secel_t1_config_from_atr(&p, 4000, &cfg), -EPROTO);
}

/*
 * The card model for long chains: a card of its own, written from
 * 11.6.2: it checks each block's N(S) and M, acknowledges chained links,
 * and answers the whole command with out_len bytes (i & 0xff), in
 * I-blocks of the engine's IFSD.
 */
static void t1k_model_block(struct t1k_card *c, u8 pcb, const u8 *inf,
			    size_t n)
{
	u8 nad = c->gp ? 0x12 : 0x00;

	c->reply_len = secel_t1_block_build(c->reply, c->gp, c->crc, nad, pcb,
					    inf, n);
}

static void t1k_model_send_link(struct t1k_card *c)
{
	u8 *inf = c->out;
	size_t n = min_t(size_t, c->out_len - c->out_pos, c->ifsc), i;
	bool more = c->out_pos + n < c->out_len;

	for (i = 0; i < n; i++)
		inf[i] = (c->out_pos + i) & 0xff;
	t1k_model_block(c, (c->ns ? 0x40 : 0) | (more ? 0x20 : 0), inf, n);
	c->out_pos += n;
	c->blocks_out++;
}

static void t1k_model(struct t1k_card *c, const u8 *buf, size_t len)
{
	struct kunit *test = c->test;
	struct secel_t1_block b;

	KUNIT_ASSERT_EQ(test, secel_t1_block_parse(buf, len, c->gp, c->crc, &b),
			0);
	if (secel_t1_is_i(b.pcb)) {
		KUNIT_ASSERT_EQ(test, !!(b.pcb & 0x40), c->nr);
		KUNIT_ASSERT_LE(test, c->in_len + b.len, c->in_size);
		memcpy(c->in + c->in_len, b.inf, b.len);
		c->in_len += b.len;
		c->nr ^= 1;
		c->blocks_in++;
		if (b.pcb & 0x20) {
			t1k_model_block(c, 0x80 | (c->nr ? 0x10 : 0), NULL, 0);
			return;
		}
		c->out_pos = 0;
		t1k_model_send_link(c);
		return;
	}
	/* an R-block asking for the next link of our chain */
	KUNIT_ASSERT_TRUE(test, secel_t1_is_r(b.pcb));
	KUNIT_ASSERT_EQ(test, !!(b.pcb & 0x10), !c->ns);
	c->ns ^= 1;
	t1k_model_send_link(c);
}

static void t1k_long_chain(struct kunit *test,
			   const struct secel_t1_config *cfg)
{
	const size_t cmd_len = 65544, rsp_len = 65538;
	struct secel_t1 t1;
	struct t1k_card *c = t1k_start(test, &t1, cfg, NULL);
	u8 *cmd = kunit_kmalloc(test, cmd_len, GFP_KERNEL);
	u8 *rsp = kunit_kmalloc(test, rsp_len, GFP_KERNEL);
	size_t i, len = 0;

	KUNIT_ASSERT_NOT_NULL(test, cmd);
	KUNIT_ASSERT_NOT_NULL(test, rsp);
	c->in = kunit_kmalloc(test, cmd_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->in);
	c->in_size = cmd_len;
	c->out_len = rsp_len;
	c->ifsc = cfg->ifsd;
	/* an extended case 4 APDU: 00 D6 00 00 00 FFFF, 65535 bytes, 0000 */
	for (i = 0; i < cmd_len; i++)
		cmd[i] = (i * 7) & 0xff;
	memcpy(cmd, "\x00\xd6\x00\x00\x00\xff\xff", 7);
	cmd[cmd_len - 2] = 0;
	cmd[cmd_len - 1] = 0;

	KUNIT_ASSERT_EQ(test, secel_t1_transceive(&t1, cmd, cmd_len, rsp,
						  rsp_len, &len), 0);
	KUNIT_EXPECT_EQ(test, c->in_len, cmd_len);
	KUNIT_EXPECT_EQ(test, memcmp(c->in, cmd, cmd_len), 0);
	KUNIT_EXPECT_EQ(test, c->blocks_in, DIV_ROUND_UP(cmd_len, cfg->ifsc));
	KUNIT_EXPECT_EQ(test, c->blocks_out, DIV_ROUND_UP(rsp_len, cfg->ifsd));
	KUNIT_ASSERT_EQ(test, len, rsp_len);
	for (i = 0; i < rsp_len; i++)
		if (rsp[i] != (i & 0xff))
			break;
	KUNIT_EXPECT_EQ(test, i, rsp_len);
	KUNIT_EXPECT_EQ(test, t1.stats.retransmits, 0);
	secel_t1_destroy(&t1);
}

/* 65544 bytes each way, ISO at IFSC 254 (259 links) and GP at 4089 */
static void t1_chain_65544_both_ways(struct kunit *test)
{
	struct secel_t1_config iso = t1k_iso, gp = t1k_gp;

	iso.ifsc = 254;
	iso.ifsd = 254;
	t1k_long_chain(test, &iso);
	t1k_long_chain(test, &gp);
	iso.ifsc = 32;
	iso.ifsd = 32;
	t1k_long_chain(test, &iso);
}

static struct kunit_case secel_t1_cases[] = {
	KUNIT_CASE(t1_i_blocks_alternate),
	KUNIT_CASE(t1_chain_from_ifd),
	KUNIT_CASE(t1_chain_from_card),
	KUNIT_CASE(t1_ifsd_announced),
	KUNIT_CASE(t1_ifsd_wrong_answer),
	KUNIT_CASE(t1_ifsc_changed_by_card),
	KUNIT_CASE(t1_wtx_next_block_only),
	KUNIT_CASE(t1_edc_error_asks_again),
	KUNIT_CASE(t1_crc_edc_error_asks_again),
	KUNIT_CASE(t1_lost_answer_asked_again),
	KUNIT_CASE(t1_card_asks_for_i_block),
	KUNIT_CASE(t1_chain_ack_lost),
	KUNIT_CASE(t1_card_chain_link_lost),
	KUNIT_CASE(t1_card_asks_for_r_block),
	KUNIT_CASE(t1_silent_card_resynchronised),
	KUNIT_CASE(t1_resynch_fails_eio),
	KUNIT_CASE(t1_r_block_storm),
	KUNIT_CASE(t1_oversized_len),
	KUNIT_CASE(t1_gp_len_beyond_max),
	KUNIT_CASE(t1_silent_mid_chain),
	KUNIT_CASE(t1_cut_block_invalid),
	KUNIT_CASE(t1_invalid_blocks),
	KUNIT_CASE(t1_card_aborts),
	KUNIT_CASE(t1_response_too_big_aborted),
	KUNIT_CASE(t1_annex_a_s3),
	KUNIT_CASE(t1_annex_a_s4),
	KUNIT_CASE(t1_annex_a_s7),
	KUNIT_CASE(t1_annex_a_s10),
	KUNIT_CASE(t1_annex_a_s11),
	KUNIT_CASE(t1_annex_a_s12),
	KUNIT_CASE(t1_annex_a_s14),
	KUNIT_CASE(t1_annex_a_s16),
	KUNIT_CASE(t1_annex_a_s18),
	KUNIT_CASE(t1_annex_a_s19),
	KUNIT_CASE(t1_annex_a_s20),
	KUNIT_CASE(t1_annex_a_s21),
	KUNIT_CASE(t1_annex_a_s24),
	KUNIT_CASE(t1_annex_a_s26),
	KUNIT_CASE(t1_annex_a_s29),
	KUNIT_CASE(t1_annex_a_s30),
	KUNIT_CASE(t1_annex_a_s31),
	KUNIT_CASE(t1_annex_a_s32),
	KUNIT_CASE(t1_gp_blocks),
	KUNIT_CASE(t1_gp_only_on_gp),
	KUNIT_CASE(t1_crc_check_values),
	KUNIT_CASE(t1_block_parse_table),
	KUNIT_CASE(t1_cip_parse_table),
	KUNIT_CASE(t1_gp_independent_vectors),
	KUNIT_CASE(t1_config_from_atr),
	KUNIT_CASE(t1_chain_65544_both_ways),
	{}
};

static struct kunit_suite secel_t1_suite = {
	.name = "secel-t1",
	.test_cases = secel_t1_cases,
};

kunit_test_suites(&secel_t1_suite);
