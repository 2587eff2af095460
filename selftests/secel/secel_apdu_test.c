// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: SECEL_IOC_TRANSMIT on the basic channel -- every
 * ISO/IEC 7816-4 case, malformed commands, response sizes, GET RESPONSE
 * and Le re-issue, and the ioctl's argument checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "vse_card.h"

#define WAIT_MS 5000

#define SE_CTX_MEMBERS \
	struct vse_card *card; \
	int fd; \
	uint8_t *rsp; \
	uint8_t *cmd; \
	uint8_t *seen

/* Both fixtures have exactly these members, so helpers take either. */
struct se_ctx {
	SE_CTX_MEMBERS;
};

static void ctx_setup(struct __test_metadata *_metadata, struct se_ctx *self,
		      uint32_t flags)
{
	struct vse_card_opts o = { .flags = flags };

	self->fd = -1;
	self->rsp = malloc(SECEL_RESP_MAX + 16);
	self->cmd = malloc(SECEL_APDU_MAX + 16);
	self->seen = malloc(SECEL_APDU_MAX + 16);
	ASSERT_NE(NULL, self->rsp);
	ASSERT_NE(NULL, self->cmd);
	ASSERT_NE(NULL, self->seen);
	self->card = vse_card_new(&o);
	ASSERT_NE(NULL, self->card) TH_LOG("SECEL_VSE_IOC_NEW: %s",
					   strerror(errno));
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS))
		TH_LOG("secel%u not listed", self->card->index);
	self->fd = secel_open_se(self->card->index);
	ASSERT_LE(0, self->fd);
	vse_card_clear_log(self->card);
}

static void ctx_teardown(struct se_ctx *self)
{
	if (self->fd >= 0)
		close(self->fd);
	vse_card_free(self->card);
	free(self->rsp);
	free(self->cmd);
	free(self->seen);
}

/* se: an SE whose transport takes short APDUs only */
FIXTURE(se) {
	SE_CTX_MEMBERS;
};

FIXTURE_SETUP(se)
{
	ctx_setup(_metadata, (struct se_ctx *)self, 0);
}

FIXTURE_TEARDOWN(se)
{
	ctx_teardown((struct se_ctx *)self);
}

/* ext: an SE created with SECEL_VSE_EXTENDED_LENGTH */
FIXTURE(ext) {
	SE_CTX_MEMBERS;
};

FIXTURE_SETUP(ext)
{
	ctx_setup(_metadata, (struct se_ctx *)self, SECEL_VSE_EXTENDED_LENGTH);
}

FIXTURE_TEARDOWN(ext)
{
	ctx_teardown((struct se_ctx *)self);
}

/* 6Cxx on an extended command: re-issued with the 2-byte Le set */
static void ext_reissue(struct __test_metadata *_metadata,
			struct se_ctx *self, const uint8_t *c, size_t len,
			const uint8_t *again, size_t again_len)
{
	uint32_t rlen = SECEL_RESP_MAX;
	int n;

	ASSERT_EQ(0, secel_transmit(self->fd, c, len, self->rsp, &rlen, 0, 0));
	ASSERT_EQ(18, rlen);
	ASSERT_EQ(2, vse_card_log_count(self->card));
	n = vse_card_log_get(self->card, 1, self->seen, SECEL_APDU_MAX);
	ASSERT_EQ((int)again_len, n);
	EXPECT_EQ(0, memcmp(again, self->seen, again_len))
		TH_LOG("re-issued command differs");
}

/* Each malformed command: EINVAL, and the card never sees it. */
static void expect_einval(struct __test_metadata *_metadata,
			  struct se_ctx *self, const uint8_t *c,
			  size_t len, const char *what)
{
	uint32_t rlen = 300;

	vse_card_clear_log(self->card);
	EXPECT_EQ(-EINVAL, secel_transmit(self->fd, c, len, self->rsp, &rlen,
					  0, 0))
		TH_LOG("%s", what);
	EXPECT_EQ(0, vse_card_log_count(self->card))
		TH_LOG("%s reached the card", what);
}

/*
 * Send @len bytes of self->cmd; expect success, the card to have seen
 * exactly the command, and the response to be @want_data + 9000.
 */
static void tx_exact(struct __test_metadata *_metadata,
		     struct se_ctx *self, size_t len,
		     const uint8_t *want_data, size_t want_len)
{
	uint32_t rlen = SECEL_RESP_MAX;
	int n;

	vse_card_clear_log(self->card);
	ASSERT_EQ(0, secel_transmit(self->fd, self->cmd, len, self->rsp,
				    &rlen, 0, 0));
	ASSERT_EQ(1, vse_card_log_count(self->card));
	n = vse_card_log_get(self->card, 0, self->seen, SECEL_APDU_MAX + 16);
	ASSERT_EQ((int)len, n) TH_LOG("card saw %d bytes, sent %zu", n, len);
	EXPECT_EQ(0, memcmp(self->cmd, self->seen, len))
		TH_LOG("the card did not get the command as sent");
	ASSERT_EQ(want_len + 2, rlen);
	EXPECT_EQ(0, memcmp(self->rsp, want_data, want_len));
	EXPECT_EQ(0x90, self->rsp[want_len]);
	EXPECT_EQ(0x00, self->rsp[want_len + 1]);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = i & 0xff;
}

TEST_F(se, case1)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x01, 0x02 };

	memcpy(self->cmd, c, sizeof(c));
	tx_exact(_metadata, (struct se_ctx *)self, sizeof(c), NULL, 0);
}

TEST_F(se, case2_short)
{
	static const uint8_t c[] = { 0x80, VSE_INS_GIVE, 0x00, 0x00, 0x20 };
	uint8_t want[0x20];

	pattern(want, sizeof(want));
	memcpy(self->cmd, c, sizeof(c));
	tx_exact(_metadata, (struct se_ctx *)self, sizeof(c), want, sizeof(want));
}

TEST_F(se, case2_short_le_256)
{
	static const uint8_t c[] = { 0x80, VSE_INS_GIVE, 0x00, 0x00, 0x00 };
	uint8_t want[256];

	pattern(want, sizeof(want));
	memcpy(self->cmd, c, sizeof(c));
	tx_exact(_metadata, (struct se_ctx *)self, sizeof(c), want, sizeof(want));
}

TEST_F(se, case3_short)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x03,
				     0x11, 0x22, 0x33 };

	memcpy(self->cmd, c, sizeof(c));
	tx_exact(_metadata, (struct se_ctx *)self, sizeof(c), c + 5, 3);
}

TEST_F(se, case3_short_255_bytes)
{
	static const uint8_t h[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0xff };

	memcpy(self->cmd, h, sizeof(h));
	fill(self->cmd + 5, 255, 3);
	tx_exact(_metadata, (struct se_ctx *)self, 5 + 255, self->cmd + 5, 255);
}

TEST_F(se, case4_short)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x02,
				     0xab, 0xcd, 0x00 };

	memcpy(self->cmd, c, sizeof(c));
	tx_exact(_metadata, (struct se_ctx *)self, sizeof(c), c + 5, 2);
}

TEST_F(ext, case2_extended)
{
	static const uint8_t c[] = { 0x80, VSE_INS_GIVE, 0x00, 0x00, 0x00,
				     0x04, 0x00 };
	uint8_t *want = malloc(0x400);

	ASSERT_NE(NULL, want);
	pattern(want, 0x400);
	memcpy(self->cmd, c, sizeof(c));
	tx_exact(_metadata, (struct se_ctx *)self, sizeof(c), want, 0x400);
	free(want);
}

TEST_F(ext, case2_extended_le_65536)
{
	static const uint8_t c[] = { 0x80, VSE_INS_GIVE, 0x00, 0x00, 0x00,
				     0x00, 0x00 };
	uint8_t *want = malloc(65536);

	ASSERT_NE(NULL, want);
	pattern(want, 65536);
	memcpy(self->cmd, c, sizeof(c));
	tx_exact(_metadata, (struct se_ctx *)self, sizeof(c), want, 65536);
	free(want);
}

TEST_F(ext, case3_extended)
{
	static const uint8_t h[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x00,
				     0x01, 0x2c };

	memcpy(self->cmd, h, sizeof(h));
	fill(self->cmd + 7, 300, 9);
	tx_exact(_metadata, (struct se_ctx *)self, 7 + 300, self->cmd + 7, 300);
}

TEST_F(ext, case3_extended_65535_bytes)
{
	static const uint8_t h[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x00,
				     0xff, 0xff };

	memcpy(self->cmd, h, sizeof(h));
	fill(self->cmd + 7, 65535, 1);
	tx_exact(_metadata, (struct se_ctx *)self, 7 + 65535, self->cmd + 7, 65535);
}

TEST_F(ext, case4_extended)
{
	static const uint8_t h[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x00,
				     0x01, 0x00 };

	memcpy(self->cmd, h, sizeof(h));
	fill(self->cmd + 7, 256, 5);
	self->cmd[7 + 256] = 0x00;
	self->cmd[7 + 257] = 0x00;
	tx_exact(_metadata, (struct se_ctx *)self, 7 + 256 + 2, self->cmd + 7, 256);
}

TEST_F(se, extended_to_short_se_eopnotsupp)
{
	static const uint8_t c2[] = { 0x80, VSE_INS_GIVE, 0, 0, 0, 0x01, 0x00 };
	static const uint8_t c3[] = { 0x80, VSE_INS_ECHO, 0, 0, 0, 0x00, 0x02,
				      1, 2 };
	static const uint8_t c4[] = { 0x80, VSE_INS_ECHO, 0, 0, 0, 0x00, 0x02,
				      1, 2, 0, 0 };
	uint32_t rlen;

	rlen = 300;
	EXPECT_EQ(-EOPNOTSUPP, secel_transmit(self->fd, c2, sizeof(c2),
					      self->rsp, &rlen, 0, 0));
	rlen = 300;
	EXPECT_EQ(-EOPNOTSUPP, secel_transmit(self->fd, c3, sizeof(c3),
					      self->rsp, &rlen, 0, 0));
	rlen = 300;
	EXPECT_EQ(-EOPNOTSUPP, secel_transmit(self->fd, c4, sizeof(c4),
					      self->rsp, &rlen, 0, 0));
	EXPECT_EQ(0, vse_card_log_count(self->card));
}

TEST_F(se, info_reports_short_only)
{
	struct secel_info info;

	ASSERT_EQ(0, secel_get_info(self->fd, &info));
	EXPECT_FALSE(info.flags & SECEL_INFO_EXTENDED_LENGTH);
}

TEST_F(ext, wrong_le_reissued_case2e)
{
	static const uint8_t c[] = { 0x80, VSE_INS_NEEDLE, 0, 0, 0x00, 0x01,
				     0x00 };
	static const uint8_t again[] = { 0x80, VSE_INS_NEEDLE, 0, 0, 0x00,
					 0x00, 0x10 };

	ext_reissue(_metadata, (struct se_ctx *)self, c, sizeof(c), again,
		    sizeof(again));
}

TEST_F(ext, wrong_le_reissued_case3e)
{
	/* case 3E answered 6C10 becomes case 4E with Le 0010 */
	static const uint8_t c[] = { 0x80, VSE_INS_NEEDLE, 0, 0, 0x00, 0x00,
				     0x02, 0xaa, 0xbb };
	static const uint8_t again[] = { 0x80, VSE_INS_NEEDLE, 0, 0, 0x00, 0x00,
					 0x02, 0xaa, 0xbb, 0x00, 0x10 };

	ext_reissue(_metadata, (struct se_ctx *)self, c, sizeof(c), again,
		    sizeof(again));
}

TEST_F(ext, wrong_le_reissued_case4e)
{
	static const uint8_t c[] = { 0x80, VSE_INS_NEEDLE, 0, 0, 0x00, 0x00,
				     0x01, 0xaa, 0x01, 0x00 };
	static const uint8_t again[] = { 0x80, VSE_INS_NEEDLE, 0, 0, 0x00, 0x00,
					 0x01, 0xaa, 0x00, 0x10 };

	ext_reissue(_metadata, (struct se_ctx *)self, c, sizeof(c), again,
		    sizeof(again));
}

/* INS 46: 256 bytes when Le is 0100, else 6C00 */
static int le256_hook(struct vse_card *c, const uint8_t *cmd, size_t len,
		      uint8_t *rsp, size_t size, void *arg)
{
	(void)c;
	(void)size;
	(void)arg;
	if (cmd[1] != 0x46)
		return 0;
	if (len >= 7 && cmd[len - 2] == 0x01 && cmd[len - 1] == 0x00) {
		memset(rsp, 0x46, 256);
		rsp[256] = 0x90;
		rsp[257] = 0x00;
		return 258;
	}
	rsp[0] = 0x6c;
	rsp[1] = 0x00;
	return 2;
}

/* 6C00 means 256 bytes, also for an extended command */
TEST(wrong_le_6c00_extended_reissued_with_256)
{
	static const uint8_t c[] = { 0x80, 0x46, 0, 0, 0x00, 0x00, 0x00 };
	static const uint8_t again[] = { 0x80, 0x46, 0, 0, 0x00, 0x01, 0x00 };
	struct vse_card_opts o = { .flags = SECEL_VSE_EXTENDED_LENGTH,
				   .hook = le256_hook };
	struct vse_card *card = vse_card_new(&o);
	uint8_t *rsp = malloc(SECEL_RESP_MAX), seen[16];
	uint32_t rlen = SECEL_RESP_MAX;
	int fd;

	ASSERT_NE(NULL, card);
	ASSERT_NE(NULL, rsp);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	vse_card_clear_log(card);
	ASSERT_EQ(0, secel_transmit(fd, c, sizeof(c), rsp, &rlen, 0, 0));
	EXPECT_EQ(258, rlen);
	ASSERT_EQ(2, vse_card_log_count(card));
	ASSERT_EQ(7, vse_card_log_get(card, 1, seen, sizeof(seen)));
	EXPECT_EQ(0, memcmp(again, seen, 7)) TH_LOG("re-issued Le %02x%02x",
						    seen[5], seen[6]);
	close(fd);
	free(rsp);
	vse_card_free(card);
}

TEST_F(ext, info_reports_extended_length)
{
	struct secel_info info;

	ASSERT_EQ(0, secel_get_info(self->fd, &info));
	EXPECT_TRUE(info.flags & SECEL_INFO_EXTENDED_LENGTH);
	EXPECT_EQ(SECEL_APDU_MAX, info.max_cmd);
	EXPECT_EQ(SECEL_RESP_MAX, info.max_rsp);
}

TEST_F(ext, extended_lc_zero_einval)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x00, 0x00, 0x00,
				     0x01, 0x02 };

	expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c),
		      "extended Lc 0000");
}

TEST_F(ext, extended_trailing_bytes_einval)
{
	/* case 4E plus one byte */
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x00, 0x00, 0x02,
				     1, 2, 0x00, 0x00, 0x00 };

	expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c),
		      "case 4E + 1 byte");
}

TEST_F(se, command_shorter_than_4_einval)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00 };

	expect_einval(_metadata, (struct se_ctx *)self, c, 3, "3-byte command");
	expect_einval(_metadata, (struct se_ctx *)self, c, 0, "empty command");
}

TEST_F(se, command_longer_than_apdu_max_einval)
{
	memset(self->cmd, 0, SECEL_APDU_MAX + 1);
	self->cmd[0] = 0x80;
	self->cmd[1] = VSE_INS_ECHO;
	expect_einval(_metadata, (struct se_ctx *)self, self->cmd, SECEL_APDU_MAX + 1,
		      "SECEL_APDU_MAX + 1 bytes");
}

TEST_F(se, lc_mismatch_einval)
{
	static const uint8_t shortc[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x05, 1, 2 };
	static const uint8_t longc[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x01, 1, 2,
					 3, 4 };

	expect_einval(_metadata, (struct se_ctx *)self, shortc, sizeof(shortc),
		      "Lc 5 with 2 data bytes");
	expect_einval(_metadata, (struct se_ctx *)self, longc, sizeof(longc),
		      "Lc 1 with 3 bytes after it");
}

TEST_F(se, len6_with_p3_zero_einval)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x00, 0x01 };

	expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c), "6 bytes, P3 00");
}

TEST_F(se, extended_lc_zero_einval)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x00, 0x00, 0x00,
				     0x01, 0x02 };

	expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c), "extended Lc 0000");
}

TEST_F(se, extended_lc_mismatch_einval)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x00, 0x00, 0x04,
				     0x01, 0x02 };

	expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c), "extended Lc 4, 2 bytes");
}

TEST_F(se, trailing_bytes_einval)
{
	/* case 4S plus one byte */
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0, 0, 0x02, 1, 2, 0x00,
				     0x00 };

	expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c), "case 4S + 1 byte");
}

TEST_F(se, cla_ff_einval)
{
	static const uint8_t c[] = { 0xff, VSE_INS_ECHO, 0, 0 };

	expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c), "CLA FF");
}

TEST_F(se, cla_channel_bits_einval)
{
	static const uint8_t clas[] = { 0x01, 0x02, 0x03, 0x81, 0x83, 0x40,
					0x41, 0x4f, 0x60, 0xc0, 0xc5 };
	uint8_t c[4] = { 0, VSE_INS_ECHO, 0, 0 };
	char what[32];

	for (unsigned int i = 0; i < sizeof(clas); i++) {
		c[0] = clas[i];
		snprintf(what, sizeof(what), "CLA %02x", clas[i]);
		expect_einval(_metadata, (struct se_ctx *)self, c, sizeof(c), what);
	}
}

TEST_F(se, manage_channel_eperm)
{
	static const uint8_t open_cmd[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	static const uint8_t close_cmd[] = { 0x00, 0x70, 0x80, 0x01 };
	uint32_t rlen = 300;

	EXPECT_EQ(-EPERM, secel_transmit(self->fd, open_cmd, sizeof(open_cmd),
					 self->rsp, &rlen, 0, 0));
	rlen = 300;
	EXPECT_EQ(-EPERM, secel_transmit(self->fd, close_cmd,
					 sizeof(close_cmd), self->rsp, &rlen,
					 0, 0));
	EXPECT_EQ(0, vse_card_log_count(self->card));
}

TEST_F(se, response_buffer_too_small_emsgsize)
{
	static const uint8_t c[] = { 0x80, VSE_INS_GIVE, 0x00, 0x00, 0x20 };
	uint32_t rlen = 10;

	memset(self->rsp, 0xee, 16);
	EXPECT_EQ(-EMSGSIZE, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					    &rlen, 0, 0));
	EXPECT_EQ(0x22, rlen) TH_LOG("needed size not reported");
	/* exactly the needed size works */
	rlen = 0x22;
	EXPECT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	EXPECT_EQ(0x22, rlen);
}

TEST_F(se, response_buffer_below_2_einval)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	uint32_t rlen = 1;

	EXPECT_EQ(-EINVAL, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					  &rlen, 0, 0));
	EXPECT_EQ(0, vse_card_log_count(self->card));
}

TEST_F(se, get_response_chain_assembled)
{
	/* 600 bytes: 200 + 61xx, then GET RESPONSE until 9000 */
	static const uint8_t c[] = { 0x80, VSE_INS_CHAINED, 0x02, 0x58 };
	uint8_t want[600], seen[16];
	uint32_t rlen = SECEL_RESP_MAX;
	unsigned int i, n;

	pattern(want, sizeof(want));
	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(602, rlen);
	EXPECT_EQ(0, memcmp(want, self->rsp, 600));
	EXPECT_EQ(0x90, self->rsp[600]);
	EXPECT_EQ(0x00, self->rsp[601]);
	n = vse_card_log_count(self->card);
	EXPECT_LE(3, n) TH_LOG("%u APDUs: expected GET RESPONSEs", n);
	for (i = 1; i < n; i++) {
		ASSERT_EQ(5, vse_card_log_get(self->card, i, seen, sizeof(seen)));
		EXPECT_EQ(0x00, seen[0]) TH_LOG("GET RESPONSE CLA");
		EXPECT_EQ(0xc0, seen[1]);
		EXPECT_EQ(0x00, seen[2]);
		EXPECT_EQ(0x00, seen[3]);
	}
	/* first GET RESPONSE asks for what 61xx announced: 400 left -> 00 */
	ASSERT_EQ(5, vse_card_log_get(self->card, 1, seen, sizeof(seen)));
	EXPECT_EQ(0x00, seen[4]);
}

TEST_F(se, get_response_chain_exact_le)
{
	/* 300 bytes: 200 + 6164, then GET RESPONSE Le 64 */
	static const uint8_t c[] = { 0x80, VSE_INS_CHAINED, 0x01, 0x2c };
	uint8_t want[300], seen[16];
	uint32_t rlen = SECEL_RESP_MAX;

	pattern(want, sizeof(want));
	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(302, rlen);
	EXPECT_EQ(0, memcmp(want, self->rsp, 300));
	ASSERT_EQ(2, vse_card_log_count(self->card));
	ASSERT_EQ(5, vse_card_log_get(self->card, 1, seen, sizeof(seen)));
	EXPECT_EQ(0x64, seen[4]);
}

TEST_F(se, get_response_small_chain)
{
	/* 250 bytes: 200 + 6132, then GET RESPONSE Le 32 */
	static const uint8_t c[] = { 0x80, VSE_INS_CHAINED, 0x00, 0xfa };
	uint8_t want[250], seen[16];
	uint32_t rlen = SECEL_RESP_MAX;

	pattern(want, sizeof(want));
	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(252, rlen);
	EXPECT_EQ(0, memcmp(want, self->rsp, 250));
	ASSERT_EQ(2, vse_card_log_count(self->card));
	ASSERT_EQ(5, vse_card_log_get(self->card, 1, seen, sizeof(seen)));
	EXPECT_EQ(0x00, seen[0]);
	EXPECT_EQ(0xc0, seen[1]);
	EXPECT_EQ(0x32, seen[4]);
}

TEST_F(se, get_response_chain_65535_bytes)
{
	/* 200 bytes, then 256 GET RESPONSEs: the longest chain there is */
	static const uint8_t c[] = { 0x80, VSE_INS_CHAINED, 0xff, 0xff };
	uint32_t rlen = SECEL_RESP_MAX;
	uint8_t *want = malloc(65535);

	ASSERT_NE(NULL, want);
	pattern(want, 65535);
	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(65537, rlen);
	EXPECT_EQ(0, memcmp(want, self->rsp, 65535));
	EXPECT_EQ(0x90, self->rsp[65535]);
	EXPECT_EQ(0x00, self->rsp[65536]);
	EXPECT_EQ(257, vse_card_log_count(self->card));
	free(want);
}

TEST_F(se, raw_flag_keeps_61xx)
{
	static const uint8_t c[] = { 0x80, VSE_INS_CHAINED, 0x00, 0xfa };
	uint32_t rlen = SECEL_RESP_MAX;

	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, SECEL_TX_RAW));
	ASSERT_EQ(202, rlen);
	EXPECT_EQ(0x61, self->rsp[200]);
	EXPECT_EQ(0x32, self->rsp[201]);
	EXPECT_EQ(1, vse_card_log_count(self->card));
}

TEST_F(se, wrong_le_reissued)
{
	static const uint8_t c[] = { 0x80, VSE_INS_NEEDLE, 0x00, 0x00, 0x00 };
	static const uint8_t again[] = { 0x80, VSE_INS_NEEDLE, 0x00, 0x00,
					 0x10 };
	uint32_t rlen = SECEL_RESP_MAX;
	uint8_t seen[16];

	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(18, rlen);
	EXPECT_EQ(0xa0, self->rsp[0]);
	EXPECT_EQ(0x90, self->rsp[16]);
	ASSERT_EQ(2, vse_card_log_count(self->card));
	ASSERT_EQ(5, vse_card_log_get(self->card, 1, seen, sizeof(seen)));
	EXPECT_EQ(0, memcmp(again, seen, 5)) TH_LOG("re-issue not Le 10");
}

TEST_F(se, wrong_le_reissued_case1)
{
	/* case 1 answered 6C10: re-issued as case 2 with Le 10 */
	static const uint8_t c[] = { 0x80, VSE_INS_NEEDLE, 0x00, 0x00 };
	static const uint8_t again[] = { 0x80, VSE_INS_NEEDLE, 0x00, 0x00,
					 0x10 };
	uint32_t rlen = SECEL_RESP_MAX;
	uint8_t seen[16];

	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(18, rlen);
	ASSERT_EQ(2, vse_card_log_count(self->card));
	ASSERT_EQ(5, vse_card_log_get(self->card, 1, seen, sizeof(seen)));
	EXPECT_EQ(0, memcmp(again, seen, 5));
}

TEST_F(se, raw_flag_keeps_6cxx)
{
	static const uint8_t c[] = { 0x80, VSE_INS_NEEDLE, 0x00, 0x00, 0x00 };
	uint32_t rlen = SECEL_RESP_MAX;

	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, SECEL_TX_RAW));
	ASSERT_EQ(2, rlen);
	EXPECT_EQ(0x6c, self->rsp[0]);
	EXPECT_EQ(0x10, self->rsp[1]);
	EXPECT_EQ(1, vse_card_log_count(self->card));
}

TEST_F(se, unknown_ioctl_enotty)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(SECEL_IOC_MAGIC, 0x1f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR('x', 0x03,
					    struct secel_transmit), NULL));
	EXPECT_EQ(ENOTTY, errno);
	/* a configurator ioctl on an SE node */
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_CTL_LIST, NULL));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(se, transmit_reserved_nonzero_einval)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct secel_transmit tx = {
		.cmd_ptr = (uintptr_t)c, .cmd_len = sizeof(c),
		.rsp_ptr = (uintptr_t)self->rsp, .rsp_len = 300,
	};

	tx.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_TRANSMIT, &tx));
	EXPECT_EQ(EINVAL, errno) TH_LOG("reserved[0]");
	tx.reserved[0] = 0;
	tx.reserved[1] = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_TRANSMIT, &tx));
	EXPECT_EQ(EINVAL, errno) TH_LOG("reserved[1]");
	tx.reserved[1] = 0;
	tx.flags = ~(SECEL_TX_RAW | SECEL_TX_KEPT);	/* 0x2 is TX_KEPT */
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_TRANSMIT, &tx));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown TX flags");
	tx.flags = 0x4;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_TRANSMIT, &tx));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown TX flag 0x4");
	EXPECT_EQ(0, vse_card_log_count(self->card));
	tx.flags = 0;
	EXPECT_EQ(0, ioctl(self->fd, SECEL_IOC_TRANSMIT, &tx));
}

TEST_F(se, other_ioctls_reserved_nonzero_einval)
{
	struct secel_channel_open op = {
		.aid_ptr = (uintptr_t)VSE_TEST_AID, .aid_len = VSE_TEST_AID_LEN,
		.rsp_ptr = (uintptr_t)self->rsp, .rsp_len = 300,
	};
	struct secel_channel_close cl = { .channel = 1, .flags = 1 };
	struct secel_item it = {
		.item = SECEL_ITEM_ATR, .buf_ptr = (uintptr_t)self->rsp,
		.buf_len = 300,
	};
	struct secel_reset rs = { 0 };

	op.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_OPEN_CHANNEL, &op));
	EXPECT_EQ(EINVAL, errno) TH_LOG("OPEN_CHANNEL reserved");
	op.reserved = 0;
	op.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_OPEN_CHANNEL, &op));
	EXPECT_EQ(EINVAL, errno) TH_LOG("OPEN_CHANNEL flags");
	op.flags = 0;
	op.pad[2] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_OPEN_CHANNEL, &op));
	EXPECT_EQ(EINVAL, errno) TH_LOG("OPEN_CHANNEL pad");
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_CLOSE_CHANNEL, &cl));
	EXPECT_EQ(EINVAL, errno) TH_LOG("CLOSE_CHANNEL flags");
	it.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_GET_ITEM, &it));
	EXPECT_EQ(EINVAL, errno) TH_LOG("GET_ITEM flags");
	it.flags = 0;
	it.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_GET_ITEM, &it));
	EXPECT_EQ(EINVAL, errno) TH_LOG("GET_ITEM reserved");
	rs.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(EINVAL, errno) TH_LOG("RESET reserved");
	rs.reserved[1] = 0;
	rs.flags = 0x10;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(EINVAL, errno) TH_LOG("RESET flags");
	EXPECT_EQ(0, vse_card_log_count(self->card));
}

TEST_F(se, bad_pointer_efault)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct secel_transmit tx = {
		.cmd_ptr = 8, .cmd_len = sizeof(c),
		.rsp_ptr = (uintptr_t)self->rsp, .rsp_len = 300,
	};

	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_TRANSMIT, &tx));
	EXPECT_EQ(EFAULT, errno) TH_LOG("bad cmd_ptr");
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_TRANSMIT, (void *)8));
	EXPECT_EQ(EFAULT, errno) TH_LOG("bad argument pointer");
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_GET_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno) TH_LOG("GET_INFO bad pointer");
	tx.cmd_ptr = (uintptr_t)c;
	tx.rsp_ptr = 8;
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_TRANSMIT, &tx));
	EXPECT_EQ(EFAULT, errno) TH_LOG("bad rsp_ptr");
}

TEST_F(se, channel_not_opened_enxio)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	uint32_t rlen = 300;

	EXPECT_EQ(-ENXIO, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					 &rlen, 3, 0));
	rlen = 300;
	EXPECT_EQ(-ENXIO, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					 &rlen, 19, 0));
	rlen = 300;
	EXPECT_EQ(-ENXIO, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					 &rlen, 20, 0));
	rlen = 300;
	EXPECT_EQ(-ENXIO, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					 &rlen, 0xffffffff, 0));
	EXPECT_EQ(0, vse_card_log_count(self->card));
}

TEST_F(se, status_words_passed_through)
{
	/* unknown INS: the card's 6D00 comes back as a normal response */
	static const uint8_t c[] = { 0x80, 0x7e, 0x00, 0x00 };
	uint32_t rlen = 300;

	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(2, rlen);
	EXPECT_EQ(0x6d, self->rsp[0]);
	EXPECT_EQ(0x00, self->rsp[1]);
}

/* Per-test card behaviours, selected by INS */
#define INS_OVERSIZED	0x40	/* 300 data bytes + 9000: too big for short */
#define INS_ENDLESS	0x42	/* 256 bytes + 6100, GET RESPONSE likewise */
#define INS_ALWAYS_6C	0x44	/* 6C10 whatever Le */

static int odd_card(struct vse_card *c, const uint8_t *cmd, size_t len,
		    uint8_t *rsp, size_t size, void *arg)
{
	(void)c;
	(void)len;
	(void)size;
	(void)arg;
	switch (cmd[1]) {
	case INS_OVERSIZED:
		memset(rsp, 0x77, 300);
		rsp[300] = 0x90;
		rsp[301] = 0x00;
		return 302;
	case INS_ENDLESS:
	case 0xc0:
		memset(rsp, 0x55, 256);
		rsp[256] = 0x61;
		rsp[257] = 0x00;
		return 258;
	case INS_ALWAYS_6C:
		rsp[0] = 0x6c;
		rsp[1] = 0x10;
		return 2;
	}
	return 0;
}

/* ---- a response too big for the caller's buffer is kept (item 6) ---- */

static int tx_kept(int fd, uint8_t *rsp, uint32_t *rlen)
{
	struct secel_transmit tx = {
		.rsp_ptr = (uintptr_t)rsp, .rsp_len = *rlen,
		.flags = SECEL_TX_KEPT,
	};
	int ret = ioctl(fd, SECEL_IOC_TRANSMIT, &tx) ? -errno : 0;

	*rlen = tx.rsp_len;
	return ret;
}

/* GIVE 0x20 bytes: a 0x22-byte response into 10 bytes -> EMSGSIZE */
static const uint8_t give20[] = { 0x80, VSE_INS_GIVE, 0x00, 0x00, 0x20 };

static void expect_give20(struct __test_metadata *_metadata,
			  const uint8_t *rsp, uint32_t rlen)
{
	uint8_t want[0x20];

	for (unsigned int i = 0; i < sizeof(want); i++)
		want[i] = i;
	ASSERT_EQ(0x22, rlen);
	EXPECT_EQ(0, memcmp(want, rsp, sizeof(want))) TH_LOG("not the data");
	EXPECT_EQ(0x90, rsp[0x20]);
	EXPECT_EQ(0x00, rsp[0x21]);
}

TEST_F(se, transmit_short_buffer_keeps_response)
{
	uint32_t rlen = 10;

	ASSERT_EQ(-EMSGSIZE, secel_transmit(self->fd, give20, sizeof(give20),
					    self->rsp, &rlen, 0, 0));
	ASSERT_EQ(0x22, rlen) TH_LOG("needed size not reported");
	ASSERT_EQ(1, vse_card_log_count(self->card));
	memset(self->rsp, 0xee, 0x40);
	rlen = 0x22;
	ASSERT_EQ(0, tx_kept(self->fd, self->rsp, &rlen))
		TH_LOG("SECEL_TX_KEPT did not return the kept response");
	expect_give20(_metadata, self->rsp, rlen);
	EXPECT_EQ(1, vse_card_log_count(self->card))
		TH_LOG("the card ran the command again");
}

TEST_F(se, transmit_kept_still_small_emsgsize)
{
	uint32_t rlen = 10;

	ASSERT_EQ(-EMSGSIZE, secel_transmit(self->fd, give20, sizeof(give20),
					    self->rsp, &rlen, 0, 0));
	rlen = 0x21;
	EXPECT_EQ(-EMSGSIZE, tx_kept(self->fd, self->rsp, &rlen));
	EXPECT_EQ(0x22, rlen) TH_LOG("needed size not reported again");
	rlen = 0x100;
	ASSERT_EQ(0, tx_kept(self->fd, self->rsp, &rlen))
		TH_LOG("the response was not kept after a second EMSGSIZE");
	expect_give20(_metadata, self->rsp, rlen);
	EXPECT_EQ(1, vse_card_log_count(self->card));
}

TEST_F(se, transmit_kept_nothing_enodata)
{
	uint32_t rlen = 300;

	EXPECT_EQ(-ENODATA, tx_kept(self->fd, self->rsp, &rlen));
	EXPECT_EQ(0, vse_card_log_count(self->card));
}

TEST_F(se, other_transmit_drops_kept_response)
{
	static const uint8_t echo[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0x42 };
	uint32_t rlen = 10;

	ASSERT_EQ(-EMSGSIZE, secel_transmit(self->fd, give20, sizeof(give20),
					    self->rsp, &rlen, 0, 0));
	rlen = 300;
	ASSERT_EQ(0, secel_transmit(self->fd, echo, sizeof(echo), self->rsp,
				    &rlen, 0, 0));
	rlen = 300;
	EXPECT_EQ(-ENODATA, tx_kept(self->fd, self->rsp, &rlen))
		TH_LOG("a stale response was handed out");
}

TEST_F(se, open_channel_drops_kept_response)
{
	uint32_t rlen = 10, ch;

	ASSERT_EQ(-EMSGSIZE, secel_transmit(self->fd, give20, sizeof(give20),
					    self->rsp, &rlen, 0, 0));
	rlen = 300;
	ASSERT_EQ(0, secel_open_channel(self->fd,
					(const uint8_t *)VSE_TEST_AID,
					VSE_TEST_AID_LEN, self->rsp, &rlen,
					&ch));
	rlen = 300;
	EXPECT_EQ(-ENODATA, tx_kept(self->fd, self->rsp, &rlen))
		TH_LOG("a stale response was handed out");
}

TEST_F(se, kept_response_is_the_files_own)
{
	uint32_t rlen = 10;
	int other = secel_open_se(self->card->index);

	ASSERT_LE(0, other);
	ASSERT_EQ(-EMSGSIZE, secel_transmit(self->fd, give20, sizeof(give20),
					    self->rsp, &rlen, 0, 0));
	rlen = 300;
	EXPECT_EQ(-ENODATA, tx_kept(other, self->rsp, &rlen))
		TH_LOG("another file got the response");
	rlen = 300;
	EXPECT_EQ(0, tx_kept(self->fd, self->rsp, &rlen));
	close(other);
}

/* ---- signals: lock waits restart, APDUs never run twice (items 5, 7) ---- */

static void on_usr1(int sig)
{
	(void)sig;
}

struct tx_job {
	int fd;
	const uint8_t *cmd;
	size_t len;
	uint32_t rlen;
	int ret;
	uint8_t rsp[300];
};

static void *tx_thread(void *arg)
{
	struct tx_job *j = arg;

	j->rlen = sizeof(j->rsp);
	j->ret = secel_transmit(j->fd, j->cmd, j->len, j->rsp, &j->rlen, 0, 0);
	return NULL;
}

/* How many times the card received exactly @cmd. */
static int times_seen(struct vse_card *c, const uint8_t *cmd, size_t len)
{
	uint8_t buf[300];
	int n = 0;

	for (unsigned int i = 0; i < vse_card_log_count(c); i++)
		if (vse_card_log_get(c, i, buf, sizeof(buf)) == (int)len &&
		    !memcmp(buf, cmd, len))
			n++;
	return n;
}

/* 1 s on the card (SLOW, 10 x 100 ms), then 9000 */
static const uint8_t slow_cmd[] = { 0x80, VSE_INS_SLOW, 10, 0x00 };
static const uint8_t marked_echo[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0xb2 };

/*
 * A TRANSMIT waits for the SE behind a slow APDU of another file and is
 * signalled there, before anything was sent: with SA_RESTART it restarts
 * and succeeds, without it fails EINTR.  Returns the waiter's job.
 */
static void signal_lock_waiter(struct __test_metadata *_metadata,
			       struct se_ctx *self, int sa_flags,
			       struct tx_job *w)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = sa_flags };
	struct tx_job a = { .fd = self->fd, .cmd = slow_cmd,
			    .len = sizeof(slow_cmd), .ret = 1 };
	pthread_t ta, tw;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	w->fd = secel_open_se(self->card->index);
	ASSERT_LE(0, w->fd);
	w->cmd = marked_echo;
	w->len = sizeof(marked_echo);
	w->ret = 1;
	ASSERT_EQ(0, pthread_create(&ta, NULL, tx_thread, &a));
	for (int i = 0; i < 300 && !vse_card_log_count(self->card); i++)
		usleep(10000);
	ASSERT_EQ(1, vse_card_log_count(self->card));
	ASSERT_EQ(0, pthread_create(&tw, NULL, tx_thread, w));
	usleep(200000);		/* the waiter is asleep on the SE's lock */
	EXPECT_EQ(1, vse_card_log_count(self->card));
	pthread_kill(tw, SIGUSR1);
	pthread_join(tw, NULL);
	pthread_join(ta, NULL);
	EXPECT_EQ(0, a.ret) TH_LOG("the slow APDU: %s", strerror(-a.ret));
	close(w->fd);
}

TEST_F(se, lock_wait_restarts_with_sa_restart)
{
	struct tx_job w;

	signal_lock_waiter(_metadata, (struct se_ctx *)self, SA_RESTART, &w);
	EXPECT_EQ(0, w.ret) TH_LOG("the waiting TRANSMIT: %s",
				   strerror(-w.ret));
	EXPECT_EQ(3, w.rlen);
	EXPECT_EQ(1, times_seen(self->card, marked_echo, sizeof(marked_echo)));
}

TEST_F(se, lock_wait_without_sa_restart_eintr)
{
	struct tx_job w;

	signal_lock_waiter(_metadata, (struct se_ctx *)self, 0, &w);
	EXPECT_EQ(-EINTR, w.ret) TH_LOG("the waiting TRANSMIT: %s",
				       strerror(-w.ret));
	usleep(100000);
	EXPECT_EQ(0, times_seen(self->card, marked_echo, sizeof(marked_echo)))
		TH_LOG("an interrupted TRANSMIT reached the card");
}

/* An APDU a signal interrupts on the card is not re-run by SA_RESTART */
TEST_F(se, interrupted_exchange_not_rerun)
{
	struct sigaction sa = { .sa_handler = on_usr1,
				.sa_flags = SA_RESTART };
	struct tx_job j = { .fd = self->fd, .cmd = slow_cmd,
			    .len = sizeof(slow_cmd), .ret = 1 };
	pthread_t t;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, tx_thread, &j));
	for (int i = 0; i < 300 && !vse_card_log_count(self->card); i++)
		usleep(10000);
	ASSERT_EQ(1, vse_card_log_count(self->card));
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(-EINTR, j.ret) TH_LOG("TRANSMIT: %s", strerror(-j.ret));
	usleep(1500000);	/* past the card's answer */
	EXPECT_EQ(1, times_seen(self->card, slow_cmd, sizeof(slow_cmd)))
		TH_LOG("the APDU ran more than once");
}

FIXTURE(odd) {
	SE_CTX_MEMBERS;
};

FIXTURE_SETUP(odd)
{
	struct vse_card_opts o = { .hook = odd_card };

	self->fd = -1;
	self->rsp = malloc(SECEL_RESP_MAX + 16);
	ASSERT_NE(NULL, self->rsp);
	self->card = vse_card_new(&o);
	ASSERT_NE(NULL, self->card);
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS));
	self->fd = secel_open_se(self->card->index);
	ASSERT_LE(0, self->fd);
	vse_card_clear_log(self->card);
}

FIXTURE_TEARDOWN(odd)
{
	if (self->fd >= 0)
		close(self->fd);
	vse_card_free(self->card);
	free(self->rsp);
}

/*
 * A card answering 300 data bytes over a short-only transport: a
 * malformed answer (EPROTO), and never EMSGSIZE when the caller's buffer
 * was big enough.
 */
TEST_F(odd, oversized_card_answer_eproto)
{
	static const uint8_t c[] = { 0x80, INS_OVERSIZED, 0x00, 0x00, 0x00 };
	uint32_t rlen = SECEL_RESP_MAX;
	int ret;

	ret = secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen, 0, 0);
	EXPECT_EQ(-EPROTO, ret) TH_LOG("got %s, rsp_len %u", strerror(-ret),
				       rlen);
	if (ret == -EMSGSIZE) {
		EXPECT_LT(SECEL_RESP_MAX, rlen)
			TH_LOG("EMSGSIZE although %u bytes were room enough",
			       SECEL_RESP_MAX);
	}
}

TEST_F(odd, endless_61xx_chain_eproto)
{
	static const uint8_t c[] = { 0x80, INS_ENDLESS, 0x00, 0x00 };
	uint32_t rlen = SECEL_RESP_MAX;
	long long t0 = now_ms();

	EXPECT_EQ(-EPROTO, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					  &rlen, 0, 0));
	EXPECT_GE(260, vse_card_log_count(self->card))
		TH_LOG("%u GET RESPONSEs", vse_card_log_count(self->card));
	TH_LOG("%u APDUs in %lld ms", vse_card_log_count(self->card),
	       now_ms() - t0);
}

TEST_F(odd, le_reissued_only_once)
{
	static const uint8_t c[] = { 0x80, INS_ALWAYS_6C, 0x00, 0x00, 0x00 };
	uint32_t rlen = SECEL_RESP_MAX;

	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
	ASSERT_EQ(2, rlen);
	EXPECT_EQ(0x6c, self->rsp[0]);
	EXPECT_EQ(0x10, self->rsp[1]);
	EXPECT_EQ(2, vse_card_log_count(self->card));
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
