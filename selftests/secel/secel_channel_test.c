// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: logical channels -- opening (MANAGE CHANNEL + SELECT),
 * the class-byte encoding the card sees, ownership per file descriptor,
 * closing, and the failure cases.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "vse_card.h"

#define WAIT_MS 5000
#define AID ((const uint8_t *)VSE_TEST_AID)

static const uint8_t select_fci[] = {
	0x6f, 0x09, 0x84, 0x07, 0xf0, 0x53, 0x45, 0x43, 0x45, 0x4c, 0x01,
	0x90, 0x00,
};

FIXTURE(ch) {
	struct vse_card *card;
	int fd;
	uint8_t rsp[600];
	uint8_t seen[600];
};

FIXTURE_SETUP(ch)
{
	self->fd = -1;
	self->card = vse_card_new_open(NULL, &self->fd, WAIT_MS);
	ASSERT_NE(NULL, self->card) TH_LOG("a listed SE: %s", strerror(errno));
}

FIXTURE_TEARDOWN(ch)
{
	if (self->fd >= 0)
		close(self->fd);
	vse_card_free(self->card);
}

/* Count the MANAGE CHANNEL close commands for @channel the card saw. */
static int closes_seen(struct vse_card *card, unsigned int channel)
{
	uint8_t buf[64];
	unsigned int i, n = vse_card_log_count(card);
	int count = 0;

	for (i = 0; i < n; i++) {
		int len = vse_card_log_get(card, i, buf, sizeof(buf));

		if (len == 4 && buf[0] == 0x00 && buf[1] == 0x70 &&
		    buf[2] == 0x80 && buf[3] == channel)
			count++;
	}
	return count;
}

TEST_F(ch, open_returns_channel_and_select_response)
{
	static const uint8_t manage[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	uint32_t rlen = sizeof(self->rsp), ch = 0;
	int n;

	ASSERT_EQ(0, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
	EXPECT_LE(1, ch);
	EXPECT_GE(19, ch);
	ASSERT_EQ(sizeof(select_fci), rlen);
	EXPECT_EQ(0, memcmp(select_fci, self->rsp, rlen));

	ASSERT_EQ(2, vse_card_log_count(self->card));
	n = vse_card_log_get(self->card, 0, self->seen, sizeof(self->seen));
	ASSERT_EQ(sizeof(manage), n);
	EXPECT_EQ(0, memcmp(manage, self->seen, n))
		TH_LOG("MANAGE CHANNEL open not 00 70 00 00 01");
	n = vse_card_log_get(self->card, 1, self->seen, sizeof(self->seen));
	ASSERT_EQ(6 + VSE_TEST_AID_LEN, n);
	EXPECT_EQ(vse_cla_encode(0x00, ch), self->seen[0])
		TH_LOG("SELECT CLA %02x on channel %u", self->seen[0], ch);
	EXPECT_EQ(0xa4, self->seen[1]);
	EXPECT_EQ(0x04, self->seen[2]);
	EXPECT_EQ(0x00, self->seen[3]);
	EXPECT_EQ(VSE_TEST_AID_LEN, self->seen[4]);
	EXPECT_EQ(0, memcmp(AID, self->seen + 5, VSE_TEST_AID_LEN));
	EXPECT_EQ(0x00, self->seen[5 + VSE_TEST_AID_LEN]) TH_LOG("Le 00");
}

TEST_F(ch, open_small_buffer_emsgsize)
{
	uint32_t rlen = 4, ch = 0;
	int n;

	EXPECT_EQ(-EMSGSIZE, secel_open_channel(self->fd, AID,
						VSE_TEST_AID_LEN, self->rsp,
						&rlen, &ch));
	EXPECT_EQ(sizeof(select_fci), rlen) TH_LOG("needed size not reported");
	/* the caller cannot learn its channel: it is not kept */
	n = vse_card_log_count(self->card);
	ASSERT_LE(2, n);
	ASSERT_LE(0, vse_card_log_get(self->card, 1, self->seen,
				      sizeof(self->seen)));
	n = vse_cla_channel(self->seen[0]);
	EXPECT_EQ(1, closes_seen(self->card, n));
	EXPECT_EQ(-ENXIO, secel_close_channel(self->fd, n));
}

TEST_F(ch, open_default_application)
{
	uint32_t rlen = sizeof(self->rsp), ch = 0;
	int n;

	ASSERT_EQ(0, secel_open_channel(self->fd, NULL, 0, self->rsp, &rlen,
					&ch));
	EXPECT_LE(1, ch);
	ASSERT_EQ(2, rlen);
	EXPECT_EQ(0x90, self->rsp[0]);
	n = vse_card_log_get(self->card, 1, self->seen, sizeof(self->seen));
	ASSERT_EQ(5, n);
	EXPECT_EQ(vse_cla_encode(0x00, ch), self->seen[0]);
	EXPECT_EQ(0xa4, self->seen[1]);
	EXPECT_EQ(0x04, self->seen[2]);
}

TEST_F(ch, open_passes_p2)
{
	struct secel_channel_open op = {
		.aid_ptr = (uintptr_t)AID, .aid_len = VSE_TEST_AID_LEN,
		.rsp_ptr = (uintptr_t)self->rsp, .rsp_len = sizeof(self->rsp),
		.p2 = 0x0c,
	};

	ASSERT_EQ(0, ioctl(self->fd, SECEL_IOC_OPEN_CHANNEL, &op));
	ASSERT_LE(0, vse_card_log_get(self->card, 1, self->seen,
				      sizeof(self->seen)));
	EXPECT_EQ(0x0c, self->seen[3]);
}

TEST_F(ch, bad_aid_length_einval)
{
	uint8_t aid[20] = { 0xf0, 1, 2, 3, 4, 5 };
	uint32_t lens[] = { 1, 4, 17, 0xffffffff };
	uint32_t rlen, ch;

	for (unsigned int i = 0; i < 4; i++) {
		rlen = sizeof(self->rsp);
		EXPECT_EQ(-EINVAL, secel_open_channel(self->fd, aid, lens[i],
						      self->rsp, &rlen, &ch))
			TH_LOG("aid_len %u", lens[i]);
	}
	EXPECT_EQ(0, vse_card_log_count(self->card));
}

/*
 * Open @n channels, at most CHANNELS_PER_FD on each file (a file may not
 * hold them all): @fds gets the files opened (-1 for the unused ones),
 * @owner[i] the file that owns @chans[i].  0 or the first failure.
 */
#define CHANNELS_PER_FD 4
#define SPREAD_FDS ((19 + CHANNELS_PER_FD - 1) / CHANNELS_PER_FD)

static int open_spread(unsigned int index, unsigned int n, int *fds,
		       uint32_t *chans, int *owner)
{
	uint8_t rsp[300];
	unsigned int i;

	for (i = 0; i < SPREAD_FDS; i++)
		fds[i] = -1;
	for (i = 0; i < n; i++) {
		unsigned int f = i / CHANNELS_PER_FD;
		uint32_t rlen = sizeof(rsp);
		int ret;

		if (fds[f] < 0) {
			fds[f] = secel_open_se(index);
			if (fds[f] < 0)
				return fds[f];
		}
		ret = secel_open_channel(fds[f], AID, VSE_TEST_AID_LEN, rsp,
					 &rlen, &chans[i]);
		if (ret)
			return ret;
		owner[i] = fds[f];
	}
	return 0;
}

static void close_spread(int *fds)
{
	for (unsigned int i = 0; i < SPREAD_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

TEST_F(ch, channel_cla_encoding)
{
	int fds[SPREAD_FDS], owner[19];
	uint32_t chans[19];
	unsigned int i, n = 19;

	ASSERT_EQ(0, open_spread(self->card->index, n, fds, chans, owner));
	for (i = 0; i < n; i++) {
		uint32_t ch = chans[i], rlen = sizeof(self->rsp);
		int fd = owner[i];
		uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x01, ch };
		uint8_t sel[] = { 0x00, 0xa4, 0x04, 0x00, 0x00 };
		uint8_t sm[] = { 0x84, VSE_INS_ECHO, 0x00, 0x00, 0x01, ch };

		vse_card_clear_log(self->card);
		ASSERT_EQ(0, secel_transmit(fd, c, sizeof(c), self->rsp,
					    &rlen, ch, 0));
		ASSERT_EQ(3, rlen) TH_LOG("echo on channel %u", ch);
		EXPECT_EQ(ch, self->rsp[0]);
		EXPECT_EQ(0x90, self->rsp[1]) TH_LOG("card rejected channel %u",
						     ch);
		ASSERT_EQ(6, vse_card_log_get(self->card, 0, self->seen,
					      sizeof(self->seen)));
		EXPECT_EQ(vse_cla_encode(0x80, ch), self->seen[0])
			TH_LOG("channel %u: CLA %02x", ch, self->seen[0]);
		EXPECT_EQ(0, memcmp(c + 1, self->seen + 1, 5));

		rlen = sizeof(self->rsp);
		ASSERT_EQ(0, secel_transmit(fd, sel, sizeof(sel),
					    self->rsp, &rlen, ch, 0));
		ASSERT_EQ(5, vse_card_log_get(self->card, 1, self->seen,
					      sizeof(self->seen)));
		EXPECT_EQ(vse_cla_encode(0x00, ch), self->seen[0])
			TH_LOG("channel %u: CLA %02x for CLA 00", ch,
			       self->seen[0]);

		/* proprietary class with command chaining */
		{
			uint8_t chain[] = { 0x90, VSE_INS_ECHO, 0, 0, 0x01,
					    ch };

			rlen = sizeof(self->rsp);
			ASSERT_EQ(0, secel_transmit(fd, chain,
						    sizeof(chain), self->rsp,
						    &rlen, ch, 0));
			ASSERT_EQ(6, vse_card_log_get(self->card, 2,
						      self->seen,
						      sizeof(self->seen)));
			EXPECT_EQ(vse_cla_encode(0x90, ch), self->seen[0])
				TH_LOG("channel %u: CLA %02x for CLA 90", ch,
				       self->seen[0]);
			vse_card_clear_log(self->card);
		}

		/* proprietary class with secure messaging bits */
		rlen = sizeof(self->rsp);
		ASSERT_EQ(0, secel_transmit(fd, sm, sizeof(sm),
					    self->rsp, &rlen, ch, 0));
		ASSERT_EQ(6, vse_card_log_get(self->card, 0, self->seen,
					      sizeof(self->seen)));
		EXPECT_EQ(vse_cla_encode(0x84, ch), self->seen[0])
			TH_LOG("channel %u: CLA %02x for CLA 84", ch,
			       self->seen[0]);
	}
	/* channels 1..3 use b2-b1; 4..19 the further form */
	EXPECT_EQ(0x81, vse_cla_encode(0x80, 1));
	EXPECT_EQ(0x83, vse_cla_encode(0x80, 3));
	EXPECT_EQ(0xc0, vse_cla_encode(0x80, 4));
	EXPECT_EQ(0xcf, vse_cla_encode(0x80, 19));
	EXPECT_EQ(0x45, vse_cla_encode(0x00, 9));
	close_spread(fds);
}

/* The card's 19 channels taken by several files: the card is full, EBUSY */
TEST_F(ch, no_channel_left_ebusy)
{
	int fds[SPREAD_FDS], owner[19];
	uint32_t rlen, ch, chans[19];

	ASSERT_EQ(0, open_spread(self->card->index, 19, fds, chans, owner));
	rlen = sizeof(self->rsp);
	EXPECT_EQ(-EBUSY, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					     self->rsp, &rlen, &ch))
		TH_LOG("a file with no channel, the card full");
	close_spread(fds);
}

TEST(card_refusing_channels_ebusy)
{
	/* a card with 2 logical channels */
	struct vse_card_opts o = { .max_channels = 2 };
	struct vse_card *card = vse_card_new(&o);
	uint8_t rsp[300];
	uint32_t rlen, ch;
	int fd;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	for (int i = 0; i < 2; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
						&rlen, &ch));
	}
	rlen = sizeof(rsp);
	EXPECT_EQ(-EBUSY, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
					     &rlen, &ch));
	close(fd);
	vse_card_free(card);
}

TEST_F(ch, select_unknown_aid_enoent_closes_channel)
{
	static const uint8_t unknown[] = { 0xf0, 0x01, 0x02, 0x03, 0x04 };
	uint32_t rlen = sizeof(self->rsp), ch = 77;
	uint8_t close_cmd[4];
	int n, got;

	EXPECT_EQ(-ENOENT, secel_open_channel(self->fd, unknown,
					      sizeof(unknown), self->rsp,
					      &rlen, &ch));
	ASSERT_EQ(2, rlen) TH_LOG("SELECT response not returned");
	EXPECT_EQ(0x6a, self->rsp[0]);
	EXPECT_EQ(0x82, self->rsp[1]);
	/* MANAGE CHANNEL open, SELECT, MANAGE CHANNEL close */
	n = vse_card_log_count(self->card);
	ASSERT_EQ(3, n);
	got = vse_card_log_get(self->card, 0, self->seen, sizeof(self->seen));
	ASSERT_EQ(5, got);
	got = vse_card_log_get(self->card, 1, self->seen, sizeof(self->seen));
	ASSERT_EQ(6 + sizeof(unknown), got);
	n = vse_cla_channel(self->seen[0]);
	ASSERT_LE(1, n);
	got = vse_card_log_get(self->card, 2, close_cmd, sizeof(close_cmd));
	ASSERT_EQ(4, got);
	EXPECT_EQ(0x00, close_cmd[0]);
	EXPECT_EQ(0x70, close_cmd[1]);
	EXPECT_EQ(0x80, close_cmd[2]);
	EXPECT_EQ(n, close_cmd[3]) TH_LOG("closed the wrong channel");
	/* and it is not ours */
	EXPECT_EQ(-ENXIO, secel_close_channel(self->fd, n));
}

/* SELECT of AID ...06 answers 6283; of AID ...07 answers via 61xx */
static int select_odd_hook(struct vse_card *c, const uint8_t *cmd,
			   size_t len, uint8_t *rsp, size_t size, void *arg)
{
	int ch = vse_cla_channel(cmd[0]);

	(void)size;
	(void)arg;
	if (len > 9 && cmd[1] == 0xa4 && cmd[4] == 5 && cmd[9] == 0x06) {
		rsp[0] = 0x62;
		rsp[1] = 0x83;
		return 2;
	}
	if (len > 9 && cmd[1] == 0xa4 && cmd[4] == 5 && cmd[9] == 0x07 &&
	    ch > 0) {
		static const uint8_t fci[] = { 0x6f, 0x03, 0x84, 0x01, 0x07 };

		pthread_mutex_lock(&c->lock);
		free(c->pending[ch]);
		c->pending[ch] = malloc(sizeof(fci));
		memcpy(c->pending[ch], fci, sizeof(fci));
		c->pending_len[ch] = sizeof(fci);
		pthread_mutex_unlock(&c->lock);
		rsp[0] = 0x61;
		rsp[1] = sizeof(fci);
		return 2;
	}
	return 0;
}

TEST(select_warning_keeps_channel)
{
	static const uint8_t aid[] = { 0xf0, 0x01, 0x02, 0x03, 0x06 };
	struct vse_card_opts o = { .hook = select_odd_hook };
	struct vse_card *card = vse_card_new(&o);
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch = 0;
	int fd;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	vse_card_clear_log(card);
	ASSERT_EQ(0, secel_open_channel(fd, aid, sizeof(aid), rsp, &rlen, &ch));
	EXPECT_LE(1, ch);
	ASSERT_EQ(2, rlen);
	EXPECT_EQ(0x62, rsp[0]);
	EXPECT_EQ(0x83, rsp[1]);
	EXPECT_EQ(0, closes_seen(card, ch));
	EXPECT_EQ(0, secel_close_channel(fd, ch));
	close(fd);
	vse_card_free(card);
}

TEST(select_via_61xx_returns_fci)
{
	static const uint8_t aid[] = { 0xf0, 0x01, 0x02, 0x03, 0x07 };
	static const uint8_t want[] = { 0x6f, 0x03, 0x84, 0x01, 0x07, 0x90,
					0x00 };
	struct vse_card_opts o = { .hook = select_odd_hook };
	struct vse_card *card = vse_card_new(&o);
	uint8_t rsp[300], seen[16];
	uint32_t rlen = sizeof(rsp), ch = 0;
	int fd;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	vse_card_clear_log(card);
	ASSERT_EQ(0, secel_open_channel(fd, aid, sizeof(aid), rsp, &rlen, &ch));
	ASSERT_EQ(sizeof(want), rlen);
	EXPECT_EQ(0, memcmp(want, rsp, rlen));
	/* MANAGE CHANNEL, SELECT, GET RESPONSE on the channel */
	ASSERT_EQ(3, vse_card_log_count(card));
	ASSERT_EQ(5, vse_card_log_get(card, 2, seen, sizeof(seen)));
	EXPECT_EQ(vse_cla_encode(0x00, ch), seen[0]);
	EXPECT_EQ(0xc0, seen[1]);
	close(fd);
	vse_card_free(card);
}

static int select_6985_hook(struct vse_card *c, const uint8_t *cmd,
			    size_t len, uint8_t *rsp, size_t size, void *arg)
{
	(void)c;
	(void)size;
	(void)arg;
	if (len > 9 && cmd[1] == 0xa4 && cmd[4] == 5 && cmd[9] == 0x05) {
		rsp[0] = 0x69;
		rsp[1] = 0x85;
		return 2;
	}
	return 0;
}

TEST_F(ch, select_failing_eio_closes_channel)
{
	/* the card answers SELECT 6985 */
	static const uint8_t aid[] = { 0xf0, 0x01, 0x02, 0x03, 0x05 };
	uint32_t rlen = sizeof(self->rsp), ch;

	struct vse_card_opts o = { .hook = select_6985_hook };
	int n;

	close(self->fd);
	self->fd = -1;
	vse_card_free(self->card);
	self->card = vse_card_new(&o);
	ASSERT_NE(NULL, self->card);
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS));
	self->fd = secel_open_se(self->card->index);
	ASSERT_LE(0, self->fd);
	vse_card_clear_log(self->card);
	EXPECT_EQ(-EIO, secel_open_channel(self->fd, aid, sizeof(aid),
					   self->rsp, &rlen, &ch));
	ASSERT_EQ(2, rlen);
	EXPECT_EQ(0x69, self->rsp[0]);
	EXPECT_EQ(0x85, self->rsp[1]);
	ASSERT_EQ(3, vse_card_log_count(self->card));
	ASSERT_LE(0, vse_card_log_get(self->card, 1, self->seen,
				      sizeof(self->seen)));
	n = vse_cla_channel(self->seen[0]);
	ASSERT_LE(1, n);
	EXPECT_EQ(1, closes_seen(self->card, n));
	EXPECT_EQ(-ENXIO, secel_close_channel(self->fd, n));
}

TEST_F(ch, close_channel_tells_card)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	uint32_t rlen = sizeof(self->rsp), ch;

	ASSERT_EQ(0, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
	vse_card_clear_log(self->card);
	ASSERT_EQ(0, secel_close_channel(self->fd, ch));
	EXPECT_EQ(1, closes_seen(self->card, ch));
	rlen = sizeof(self->rsp);
	EXPECT_EQ(-ENXIO, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					 &rlen, ch, 0));
	EXPECT_EQ(-ENXIO, secel_close_channel(self->fd, ch));
	EXPECT_EQ(-ENXIO, secel_close_channel(self->fd, 0));
	EXPECT_EQ(-ENXIO, secel_close_channel(self->fd, 20));
	/* the number is free again */
	rlen = sizeof(self->rsp);
	ASSERT_EQ(0, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
}

TEST_F(ch, channels_isolated_between_fds)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x01,
				     0x5a };
	uint32_t rlen = sizeof(self->rsp), ch;
	int other = secel_open_se(self->card->index);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
	vse_card_clear_log(self->card);
	rlen = sizeof(self->rsp);
	EXPECT_EQ(-ENXIO, secel_transmit(other, c, sizeof(c), self->rsp,
					 &rlen, ch, 0));
	EXPECT_EQ(-ENXIO, secel_close_channel(other, ch));
	EXPECT_EQ(0, vse_card_log_count(self->card))
		TH_LOG("another fd reached the card on a foreign channel");
	/* still the owner's */
	rlen = sizeof(self->rsp);
	EXPECT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    ch, 0));
	EXPECT_EQ(3, rlen);
	/* the basic channel is everyone's */
	rlen = sizeof(self->rsp);
	EXPECT_EQ(0, secel_transmit(other, c, sizeof(c), self->rsp, &rlen, 0,
				    0));
	close(other);
	/* closing the other fd did not close our channel */
	EXPECT_EQ(0, closes_seen(self->card, ch));
	rlen = sizeof(self->rsp);
	EXPECT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    ch, 0));
}

TEST_F(ch, fd_close_closes_its_channels)
{
	uint32_t chans[3], rlen;
	int fd2 = secel_open_se(self->card->index);
	unsigned int i;

	ASSERT_LE(0, fd2);
	for (i = 0; i < 3; i++) {
		rlen = sizeof(self->rsp);
		ASSERT_EQ(0, secel_open_channel(fd2, AID, VSE_TEST_AID_LEN,
						self->rsp, &rlen, &chans[i]));
	}
	vse_card_clear_log(self->card);
	ASSERT_EQ(0, close(fd2));
	for (i = 0; i < 3; i++) {
		long long end = now_ms() + WAIT_MS;

		while (!closes_seen(self->card, chans[i]) && now_ms() < end)
			usleep(10000);
		EXPECT_EQ(1, closes_seen(self->card, chans[i]))
			TH_LOG("channel %u not closed on the card", chans[i]);
	}
}

TEST_F(ch, get_response_on_channel)
{
	static const uint8_t c[] = { 0x80, VSE_INS_CHAINED, 0x00, 0xfa };
	uint32_t chans[5], rlen;
	unsigned int i;

	/* channel 5 needs the further form */
	for (i = 0; i < 5; i++) {
		rlen = sizeof(self->rsp);
		ASSERT_EQ(0, secel_open_channel(self->fd, AID,
						VSE_TEST_AID_LEN, self->rsp,
						&rlen, &chans[i]));
	}
	for (i = 0; i < 5; i += 4) {
		uint32_t ch = chans[i];

		vse_card_clear_log(self->card);
		rlen = sizeof(self->rsp);
		ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					    &rlen, ch, 0));
		ASSERT_EQ(252, rlen);
		EXPECT_EQ(0x90, self->rsp[250]) TH_LOG("channel %u", ch);
		ASSERT_EQ(2, vse_card_log_count(self->card));
		ASSERT_EQ(5, vse_card_log_get(self->card, 1, self->seen,
					      sizeof(self->seen)));
		EXPECT_EQ(vse_cla_encode(0x00, ch), self->seen[0])
			TH_LOG("GET RESPONSE CLA %02x on channel %u",
			       self->seen[0], ch);
		EXPECT_EQ(0xc0, self->seen[1]);
	}
}

TEST_F(ch, le_reissue_on_channel)
{
	static const uint8_t c[] = { 0x80, VSE_INS_NEEDLE, 0x00, 0x00, 0x00 };
	uint32_t rlen = sizeof(self->rsp), ch;

	ASSERT_EQ(0, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
	vse_card_clear_log(self->card);
	rlen = sizeof(self->rsp);
	ASSERT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    ch, 0));
	ASSERT_EQ(18, rlen);
	ASSERT_EQ(2, vse_card_log_count(self->card));
	ASSERT_EQ(5, vse_card_log_get(self->card, 1, self->seen,
				      sizeof(self->seen)));
	EXPECT_EQ(vse_cla_encode(0x80, ch), self->seen[0]);
	EXPECT_EQ(0x10, self->seen[4]);
}

TEST_F(ch, reset_drops_channels)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct secel_reset rs = { .flags = SECEL_RESET_WARM };
	uint32_t rlen = sizeof(self->rsp), ch;

	ASSERT_EQ(0, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
	ASSERT_EQ(0, ioctl(self->fd, SECEL_IOC_RESET, &rs))
		TH_LOG("RESET: %s", strerror(errno));
	EXPECT_EQ(vse_good_atr_len, rs.atr_len);
	EXPECT_EQ(1, self->card->resets);
	rlen = sizeof(self->rsp);
	EXPECT_EQ(-ENXIO, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					 &rlen, ch, 0));
	EXPECT_EQ(-ENXIO, secel_close_channel(self->fd, ch));
	rlen = sizeof(self->rsp);
	EXPECT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp, &rlen,
				    0, 0));
}

/* Cards whose MANAGE CHANNEL open gets a fixed answer. */
static int manage_hook(struct vse_card *c, const uint8_t *cmd, size_t len,
		       uint8_t *rsp, size_t size, void *arg)
{
	const uint8_t *answer = arg;

	(void)c;
	(void)size;
	if (len == 5 && cmd[1] == 0x70 && cmd[2] == 0x00) {
		memcpy(rsp, answer + 1, answer[0]);
		return answer[0];
	}
	return 0;
}

static int open_with_manage_answer(struct __test_metadata *_metadata,
				   const uint8_t *answer,
				   struct vse_card **cardp)
{
	struct vse_card_opts o = { .hook = manage_hook,
				   .hook_arg = (void *)answer };
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch = 0;
	int fd, ret;

	*cardp = vse_card_new(&o);
	if (!*cardp)
		return -1000;
	if (!secel_wait_state((*cardp)->index, "listed", WAIT_MS))
		return -1001;
	fd = secel_open_se((*cardp)->index);
	if (fd < 0)
		return -1002;
	ret = secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp, &rlen, &ch);
	if (!ret) {
		TH_LOG("OPEN_CHANNEL succeeded with channel %u", ch);
		ret = 1;
	}
	close(fd);
	return ret;
}

TEST(manage_channel_6881_eopnotsupp)
{
	static const uint8_t answer[] = { 2, 0x68, 0x81 };
	struct vse_card *c = NULL;

	EXPECT_EQ(-EOPNOTSUPP, open_with_manage_answer(_metadata, answer, &c));
	vse_card_free(c);
}

TEST(manage_channel_6a81_ebusy)
{
	static const uint8_t answer[] = { 2, 0x6a, 0x81 };
	struct vse_card *c = NULL;

	EXPECT_EQ(-EBUSY, open_with_manage_answer(_metadata, answer, &c));
	vse_card_free(c);
}

TEST(manage_channel_other_error_fails)
{
	static const uint8_t answer[] = { 2, 0x6f, 0x00 };
	struct vse_card *c = NULL;
	int ret = open_with_manage_answer(_metadata, answer, &c);

	EXPECT_TRUE(ret == -EIO || ret == -EOPNOTSUPP)
		TH_LOG("MANAGE CHANNEL 6F00: %d", ret);
	vse_card_free(c);
}

TEST(manage_channel_bogus_number_refused)
{
	/* 9000 with channel 0, then with channel 25 */
	static const uint8_t zero[] = { 3, 0x00, 0x90, 0x00 };
	static const uint8_t big[] = { 3, 25, 0x90, 0x00 };
	struct vse_card *c = NULL;
	int ret;

	ret = open_with_manage_answer(_metadata, zero, &c);
	EXPECT_GT(0, ret) TH_LOG("channel 0 handed out");
	EXPECT_LT(-1000, ret) TH_LOG("setup failed");
	vse_card_free(c);
	c = NULL;
	ret = open_with_manage_answer(_metadata, big, &c);
	EXPECT_GT(0, ret) TH_LOG("channel 25 handed out");
	EXPECT_LT(-1000, ret) TH_LOG("setup failed");
	vse_card_free(c);
}

TEST_F(ch, card_reopening_busy_channel_refused)
{
	static const uint8_t one[] = { 3, 0x01, 0x90, 0x00 };
	struct vse_card_opts o = { .hook = manage_hook,
				   .hook_arg = (void *)one };
	uint32_t rlen = sizeof(self->rsp), ch, ch2 = 0;
	int fd2;

	/* a card that always answers channel 1 */
	close(self->fd);
	vse_card_free(self->card);
	self->card = vse_card_new(&o);
	ASSERT_NE(NULL, self->card);
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS));
	self->fd = secel_open_se(self->card->index);
	ASSERT_LE(0, self->fd);
	/* the card model must see channel 1 open for the SELECT */
	pthread_mutex_lock(&self->card->lock);
	self->card->chan_open[1] = true;
	pthread_mutex_unlock(&self->card->lock);
	ASSERT_EQ(0, secel_open_channel(self->fd, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
	ASSERT_EQ(1, ch);
	fd2 = secel_open_se(self->card->index);
	ASSERT_LE(0, fd2);
	rlen = sizeof(self->rsp);
	EXPECT_NE(0, secel_open_channel(fd2, AID, VSE_TEST_AID_LEN, self->rsp,
					&rlen, &ch2))
		TH_LOG("channel 1 given to a second fd");
	/* still ours */
	{
		static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0, 0 };

		rlen = sizeof(self->rsp);
		EXPECT_EQ(0, secel_transmit(self->fd, c, sizeof(c), self->rsp,
					    &rlen, 1, 0));
		rlen = sizeof(self->rsp);
		EXPECT_EQ(-ENXIO, secel_transmit(fd2, c, sizeof(c), self->rsp,
						 &rlen, 1, 0));
	}
	close(fd2);
}

TEST_F(ch, reset_drops_other_fds_channels)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct secel_reset rs = { 0 };
	uint32_t rlen = sizeof(self->rsp), ch;
	int other = secel_open_se(self->card->index);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, secel_open_channel(other, AID, VSE_TEST_AID_LEN,
					self->rsp, &rlen, &ch));
	ASSERT_EQ(0, ioctl(self->fd, SECEL_IOC_RESET, &rs));
	rlen = sizeof(self->rsp);
	EXPECT_EQ(-ENXIO, secel_transmit(other, c, sizeof(c), self->rsp,
					 &rlen, ch, 0));
	vse_card_clear_log(self->card);
	close(other);
	/* the reset card forgot it: no close for it on fd close */
	EXPECT_EQ(0, closes_seen(self->card, ch));
}

TEST_F(ch, reset_new_atr)
{
	static const uint8_t new_atr[] = { 0x3b, 0x82, 0x80, 0x01, 0xaa, 0xbb,
					   0x12 };
	struct vse_card_opts o = { .reset_atr = new_atr,
				   .reset_atr_len = sizeof(new_atr) };
	struct secel_reset rs = { 0 };
	uint8_t buf[64];
	uint32_t len = sizeof(buf);
	char hex[80];

	close(self->fd);
	vse_card_free(self->card);
	self->card = vse_card_new(&o);
	ASSERT_NE(NULL, self->card);
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS));
	self->fd = secel_open_se(self->card->index);
	ASSERT_LE(0, self->fd);

	ASSERT_EQ(0, ioctl(self->fd, SECEL_IOC_RESET, &rs))
		TH_LOG("cold RESET: %s", strerror(errno));
	EXPECT_EQ(0, self->card->last_reset_flags) TH_LOG("cold reset flags");
	EXPECT_EQ(sizeof(new_atr), rs.atr_len);
	ASSERT_EQ(0, secel_get_item(self->fd, SECEL_ITEM_ATR, buf, &len));
	ASSERT_EQ(sizeof(new_atr), len);
	EXPECT_EQ(0, memcmp(new_atr, buf, len));
	ASSERT_LE(0, secel_sysfs_read(self->card->index, "atr", hex,
				      sizeof(hex)));
	EXPECT_STREQ("3b828001aabb12", hex);
	ASSERT_LE(0, secel_sysfs_read(self->card->index, "protocol", hex,
				      sizeof(hex)));
	EXPECT_STREQ("T=0 T=1", hex);

	rs.flags = SECEL_RESET_WARM;
	ASSERT_EQ(0, ioctl(self->fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(SECEL_RESET_WARM, self->card->last_reset_flags)
		TH_LOG("warm reset not passed to the card");
}

TEST_F(ch, reset_bad_atr_eproto)
{
	static const uint8_t bad_atr[] = { 0x3c, 0x80, 0x01, 0x81 };
	struct vse_card_opts o = { .reset_atr = bad_atr,
				   .reset_atr_len = sizeof(bad_atr) };
	struct secel_reset rs = { 0 };

	close(self->fd);
	vse_card_free(self->card);
	self->card = vse_card_new(&o);
	ASSERT_NE(NULL, self->card);
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS));
	self->fd = secel_open_se(self->card->index);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-1, ioctl(self->fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(EPROTO, errno);
}

/* RESET applies the ATR policy to the new ATR */
TEST(reset_tck_wrong_atr_rejected_when_strict)
{
	static const uint8_t flawed[] = { 0x3b, 0x80, 0x01, 0x82 };
	struct vse_card_opts o = { .reset_atr = flawed,
				   .reset_atr_len = sizeof(flawed) };
	struct secel_reset rs = { 0 };
	struct vse_card *card;
	char saved[8];
	int fd, ret;

	card = vse_card_new(&o);
	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, param_read(PARAM_STRICT_ATR, saved, sizeof(saved)));
	ASSERT_EQ(0, param_write(PARAM_STRICT_ATR, "1"));
	ret = ioctl(fd, SECEL_IOC_RESET, &rs) ? -errno : 0;
	param_write(PARAM_STRICT_ATR, saved);
	EXPECT_EQ(-EPROTO, ret);
	close(fd);
	vse_card_free(card);
}

FIXTURE(slow) {
	char saved[32];
	struct vse_card *card;
};

FIXTURE_SETUP(slow)
{
	ASSERT_EQ(0, param_read(PARAM_TIMEOUT_MS, self->saved,
				sizeof(self->saved)));
	ASSERT_EQ(0, param_write(PARAM_TIMEOUT_MS, "500"));
	self->card = vse_card_new(NULL);
	ASSERT_NE(NULL, self->card);
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS));
}

FIXTURE_TEARDOWN(slow)
{
	vse_card_free(self->card);
	param_write(PARAM_TIMEOUT_MS, self->saved);
}

/* Closing an fd whose channels a dead card cannot close: bounded. */
TEST_F(slow, close_with_silent_card_bounded)
{
	uint8_t rsp[300];
	uint32_t rlen, ch;
	long long t0, dt;
	int fd = secel_open_se(self->card->index);

	ASSERT_LE(0, fd);
	for (int i = 0; i < 6; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
						&rlen, &ch));
	}
	vse_card_set_mode(self->card, VSE_MODE_SILENT);
	t0 = now_ms();
	EXPECT_EQ(0, close(fd));
	dt = now_ms() - t0;
	/* one card timeout (500 ms) at most, not one per channel */
	EXPECT_GT(1500, dt) TH_LOG("close took %lld ms", dt);
}

TEST_F(slow, delete_with_silent_card_bounded)
{
	uint8_t rsp[300];
	uint32_t rlen, ch;
	long long t0, dt;
	int ctl = secel_open_ctl();
	int fd = secel_open_se(self->card->index);

	ASSERT_LE(0, ctl);
	ASSERT_LE(0, fd);
	for (int i = 0; i < 6; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
						&rlen, &ch));
	}
	vse_card_set_mode(self->card, VSE_MODE_SILENT);
	t0 = now_ms();
	EXPECT_EQ(0, secel_ctl(ctl, SECEL_CTL_DELETE, self->card->index, 0,
			       NULL));
	dt = now_ms() - t0;
	EXPECT_GT(1500, dt) TH_LOG("DELETE took %lld ms", dt);
	EXPECT_EQ(-ENXIO, secel_close_channel(fd, ch));
	t0 = now_ms();
	close(fd);
	EXPECT_GT(1500, now_ms() - t0);
	close(ctl);
}

/* ---- channels of a killed process (issue 8, items 1 and 2) ---- */

/*
 * How long the card may take to see the closes of a dead holder: the
 * contract says ~1 s plus the card's own answer time; 3 s is generous.
 */
#define CLOSE_WAIT_MS 3000
#define HOLDER_CHANNELS 3
#define SLOW_TENTHS 10		/* the delayed exchange: 1 s */

/*
 * The child: open /dev/secelN, open @n channels, tell the parent each
 * channel (or 0x80000000 | errno), then wait to be killed -- idle, or
 * blocked in an exchange the card delays (@slow).
 */
static void __attribute__((noreturn))
holder(struct vse_card *card, int n, bool slow, int wfd)
{
	uint8_t rsp[300];
	uint32_t ch = 0, rlen;
	int fd, i, ret;

	signal(SIGTERM, SIG_DFL);
	close(card->fd);	/* the parent serves the card */
	fd = secel_open_se(card->index);
	for (i = 0; i < n; i++) {
		rlen = sizeof(rsp);
		ret = fd < 0 ? fd : secel_open_channel(fd, AID,
						       VSE_TEST_AID_LEN, rsp,
						       &rlen, &ch);
		if (ret)
			ch = 0x80000000U | -ret;
		if (write(wfd, &ch, sizeof(ch)) != sizeof(ch) || ret)
			_exit(1);
	}
	if (slow) {
		uint8_t c[] = { 0x80, VSE_INS_SLOW, SLOW_TENTHS, 0x00 };

		rlen = sizeof(rsp);
		secel_transmit(fd, c, sizeof(c), rsp, &rlen, ch, 0);
		_exit(2);	/* not killed in time: the parent reports it */
	}
	for (;;)
		pause();
}

/* Read one channel number the holder reports; 0 on failure. */
static uint32_t holder_channel(struct __test_metadata *_metadata, int rfd)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	uint32_t ch = 0;

	if (poll(&p, 1, WAIT_MS) != 1 || read(rfd, &ch, sizeof(ch)) !=
	    sizeof(ch)) {
		TH_LOG("the holder did not report its channel");
		return 0;
	}
	if (ch & 0x80000000U) {
		TH_LOG("the holder's OPEN_CHANNEL: %s",
		       strerror(ch & 0x7fffffffU));
		return 0;
	}
	return ch;
}

/*
 * A holder with HOLDER_CHANNELS channels on a card that has exactly that
 * many is killed with @sig (idle or in a delayed exchange): the card must
 * see 00 70 80 NN for each, and the channels must open again afterwards.
 */
static void kill_holder(struct __test_metadata *_metadata, int sig, bool slow)
{
	struct vse_card_opts o = { .max_channels = HOLDER_CHANNELS };
	struct vse_card *card = vse_card_new(&o);
	uint32_t chans[HOLDER_CHANNELS], ch, rlen;
	uint8_t rsp[300];
	int pfd[2], status, fd, i;
	long long t0;
	pid_t pid;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pfd[0]);
		holder(card, HOLDER_CHANNELS, slow, pfd[1]);
	}
	close(pfd[1]);
	for (i = 0; i < HOLDER_CHANNELS; i++) {
		chans[i] = holder_channel(_metadata, pfd[0]);
		if (!chans[i]) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			ASSERT_NE(0, chans[i]);
		}
	}
	close(pfd[0]);
	if (slow) {
		for (i = 0; i < 300 && vse_card_log_find_ins(card, 0,
							     VSE_INS_SLOW) < 0;
		     i++)
			usleep(10000);
		EXPECT_LE(0, vse_card_log_find_ins(card, 0, VSE_INS_SLOW))
			TH_LOG("the holder's exchange never reached the card");
		usleep(50000);	/* well inside the card's 1 s */
	}
	t0 = now_ms();
	ASSERT_EQ(0, kill(pid, sig));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig)
		TH_LOG("the holder was not killed by signal %d", sig);
	for (i = 0; i < HOLDER_CHANNELS; i++) {
		int ms = CLOSE_WAIT_MS + (slow ? SLOW_TENTHS * 100 : 0);

		EXPECT_TRUE(vse_card_wait_closes(card, chans[i], 1, ms))
			TH_LOG("no MANAGE CHANNEL close for channel %u within %d ms of signal %d",
			       chans[i], ms, sig);
	}
	TH_LOG("closes seen %lld ms after the signal", now_ms() - t0);
	/* the card's channels are all free again */
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	for (i = 0; i < HOLDER_CHANNELS; i++) {
		rlen = sizeof(rsp);
		EXPECT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
						&rlen, &ch))
			TH_LOG("channel #%d cannot be opened again", i + 1);
	}
	close(fd);
	vse_card_free(card);
}

TEST(sigkill_closes_channels_on_card)
{
	kill_holder(_metadata, SIGKILL, false);
}

TEST(sigterm_closes_channels_on_card)
{
	kill_holder(_metadata, SIGTERM, false);
}

TEST(sigkill_in_exchange_closes_channels_on_card)
{
	kill_holder(_metadata, SIGKILL, true);
}

TEST(sigterm_in_exchange_closes_channels_on_card)
{
	kill_holder(_metadata, SIGTERM, true);
}

FIXTURE(holders) {
};

FIXTURE_SETUP(holders)
{
}

FIXTURE_TEARDOWN(holders)
{
}

/* 25 holders killed one after another never use up the 19 channels */
TEST_F_TIMEOUT(holders, kill_25_channel_holders, 150)
{
	bool wait = true;
	struct vse_card *card = vse_card_new(NULL);
	unsigned int closes = 0, opened = 0, before[2];
	uint32_t chans[2];
	int k, i, pfd[2], fd;
	uint8_t rsp[300];
	uint32_t rlen, ch;
	pid_t pid;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	for (k = 0; k < 25; k++) {
		int sig = (k & 1) ? SIGTERM : SIGKILL;

		ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(pfd[0]);
			holder(card, 2, false, pfd[1]);
		}
		close(pfd[1]);
		for (i = 0; i < 2; i++) {
			chans[i] = holder_channel(_metadata, pfd[0]);
			if (!chans[i])
				break;
			opened++;
		}
		close(pfd[0]);
		if (i == 2) {
			before[0] = vse_card_closes(card, chans[0]);
			before[1] = vse_card_closes(card, chans[1]);
		}
		kill(pid, sig);
		waitpid(pid, NULL, 0);
		if (i < 2) {
			TH_LOG("holder #%d could not open channel #%d", k + 1,
			       i + 1);
			break;
		}
		/* bounded: leaked channels show in the counts below */
		for (i = 0; i < 2 && wait; i++)
			wait = vse_card_wait_closes(card, chans[i],
						    before[i] + 1,
						    CLOSE_WAIT_MS);
	}
	EXPECT_EQ(50, opened) TH_LOG("channels the 25 holders opened");
	for (ch = 1; ch < SECEL_MAX_CHANNELS; ch++)
		closes += vse_card_closes(card, ch);
	EXPECT_EQ(opened, closes) TH_LOG("closes on the card");
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp, &rlen,
					&ch));
	close(fd);
	vse_card_free(card);
}

/* ---- OPEN_CHANNEL interrupted by a signal (item 2) ---- */

static void on_usr1(int sig)
{
	(void)sig;
}

struct open_job {
	int fd;
	int ret;
	uint32_t channel;
};

static void *open_thread(void *arg)
{
	struct open_job *j = arg;
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp);

	j->ret = secel_open_channel(j->fd, AID, VSE_TEST_AID_LEN, rsp, &rlen,
				    &j->channel);
	return NULL;
}

/* Delays the SELECT on a logical channel, or MANAGE CHANNEL open, once armed */
struct delay_arg {
	uint8_t ins, p1;	/* which command */
	bool on_channel;	/* only on a logical channel */
	bool armed;
	unsigned int ms;
};

static int delay_hook(struct vse_card *c, const uint8_t *cmd, size_t len,
		      uint8_t *rsp, size_t size, void *arg)
{
	struct delay_arg *d = arg;
	bool armed;

	(void)len;
	(void)rsp;
	(void)size;
	pthread_mutex_lock(&c->lock);
	armed = d->armed && cmd[1] == d->ins && cmd[2] == d->p1 &&
		(!d->on_channel || vse_cla_channel(cmd[0]) > 0);
	pthread_mutex_unlock(&c->lock);
	if (armed)
		usleep(d->ms * 1000);
	return 0;
}

static void arm(struct vse_card *c, struct delay_arg *d, bool on)
{
	pthread_mutex_lock(&c->lock);
	d->armed = on;
	pthread_mutex_unlock(&c->lock);
}

/* Wait for the card to log a command with @ins/@p1 from @from on; its index */
static int wait_logged(struct vse_card *c, uint8_t ins, uint8_t p1)
{
	uint8_t buf[64];

	for (int t = 0; t < 500; t++) {
		unsigned int n = vse_card_log_count(c);

		for (unsigned int i = 0; i < n; i++) {
			int len = vse_card_log_get(c, i, buf, sizeof(buf));

			if (len >= 4 && buf[1] == ins && buf[2] == p1)
				return i;
		}
		usleep(10000);
	}
	return -1;
}

TEST(open_channel_interrupted_in_select_closes)
{
	struct delay_arg d = { .ins = 0xa4, .p1 = 0x04, .on_channel = true,
			       .ms = 1000 };
	struct vse_card_opts o = { .hook = delay_hook, .hook_arg = &d };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct open_job job = { .ret = 1 };
	struct vse_card *card = vse_card_new(&o);
	uint8_t seen[64];
	pthread_t t;
	int i, ch;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	job.fd = secel_open_se(card->index);
	ASSERT_LE(0, job.fd);
	vse_card_clear_log(card);
	arm(card, &d, true);
	ASSERT_EQ(0, pthread_create(&t, NULL, open_thread, &job));
	i = wait_logged(card, 0xa4, 0x04);
	ASSERT_LE(0, i) TH_LOG("the SELECT never reached the card");
	ASSERT_LE(0, vse_card_log_get(card, i, seen, sizeof(seen)));
	ch = vse_cla_channel(seen[0]);
	ASSERT_LE(1, ch);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	arm(card, &d, false);
	EXPECT_EQ(-EINTR, job.ret) TH_LOG("OPEN_CHANNEL: %s",
					  strerror(-job.ret));
	EXPECT_TRUE(vse_card_wait_closes(card, ch, 1,
					 CLOSE_WAIT_MS + d.ms))
		TH_LOG("channel %d left open on the card", ch);
	EXPECT_EQ(-ENXIO, secel_close_channel(job.fd, ch))
		TH_LOG("the interrupted channel is owned");
	close(job.fd);
	vse_card_free(card);
}

TEST(open_channel_interrupted_in_manage_closes_unowned)
{
	struct delay_arg d = { .ins = 0x70, .p1 = 0x00, .ms = 1000 };
	/* 3 channels: the interrupted one must come back for the last open */
	struct vse_card_opts o = { .hook = delay_hook, .hook_arg = &d,
				   .max_channels = 3 };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	static const uint8_t echo[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0x5a };
	struct open_job job = { .ret = 1 };
	struct vse_card *card = vse_card_new(&o);
	uint32_t owned[2], rlen, ch;
	uint8_t rsp[300];
	long long end;
	int other, i;
	pthread_t t;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	other = secel_open_se(card->index);
	ASSERT_LE(0, other);
	for (i = 0; i < 2; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(other, AID, VSE_TEST_AID_LEN,
						rsp, &rlen, &owned[i]));
	}
	job.fd = secel_open_se(card->index);
	ASSERT_LE(0, job.fd);
	vse_card_clear_log(card);
	arm(card, &d, true);
	ASSERT_EQ(0, pthread_create(&t, NULL, open_thread, &job));
	ASSERT_LE(0, wait_logged(card, 0x70, 0x00));
	usleep(50000);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	arm(card, &d, false);
	EXPECT_EQ(-EINTR, job.ret) TH_LOG("OPEN_CHANNEL: %s",
					  strerror(-job.ret));
	/* every channel no file owns is closed; the owned ones are not */
	end = now_ms() + CLOSE_WAIT_MS + d.ms;
	for (ch = 1; ch < SECEL_MAX_CHANNELS; ch++) {
		long long left = end - now_ms();

		if (ch == owned[0] || ch == owned[1])
			continue;
		EXPECT_TRUE(vse_card_wait_closes(card, ch, 1,
						 left > 0 ? left : 0))
			TH_LOG("no close for unowned channel %u", ch);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, vse_card_closes(card, owned[i]))
			TH_LOG("channel %u of another file closed", owned[i]);
		rlen = sizeof(rsp);
		EXPECT_EQ(0, secel_transmit(other, echo, sizeof(echo), rsp,
					    &rlen, owned[i], 0));
		EXPECT_EQ(3, rlen) TH_LOG("channel %u no longer works",
					  owned[i]);
	}
	/* the card's third channel is free again */
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_open_channel(job.fd, AID, VSE_TEST_AID_LEN, rsp,
					&rlen, &ch));
	close(job.fd);
	close(other);
	vse_card_free(card);
}

/* A signal that interrupts the first close of a closing file: all close */
static void *close_thread(void *arg)
{
	close(*(int *)arg);
	return NULL;
}

TEST(signal_during_close_closes_all_channels)
{
	struct delay_arg d = { .ins = 0x70, .p1 = 0x80, .ms = 500 };
	struct vse_card_opts o = { .hook = delay_hook, .hook_arg = &d };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct vse_card *card = vse_card_new(&o);
	uint32_t chans[3], rlen;
	uint8_t rsp[300];
	long long end;
	pthread_t t;
	int fd, i;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
						&rlen, &chans[i]));
	}
	vse_card_clear_log(card);
	arm(card, &d, true);
	ASSERT_EQ(0, pthread_create(&t, NULL, close_thread, &fd));
	ASSERT_LE(0, wait_logged(card, 0x70, 0x80));
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	end = now_ms() + CLOSE_WAIT_MS + 3 * d.ms;
	for (i = 0; i < 3; i++) {
		long long left = end - now_ms();

		EXPECT_TRUE(vse_card_wait_closes(card, chans[i], 1,
						 left > 0 ? left : 0))
			TH_LOG("channel %u not closed on the card", chans[i]);
	}
	arm(card, &d, false);
	vse_card_free(card);
}

/* ---- a limit per file (item 8) ---- */

static int read_limit(void)
{
	char buf[16];

	if (param_read(PARAM_MAX_FILE_CHANNELS, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

TEST(file_channel_limit_default_8)
{
	struct stat st;

	ASSERT_EQ(0, stat(PARAM_MAX_FILE_CHANNELS, &st))
		TH_LOG("%s: %s", PARAM_MAX_FILE_CHANNELS, strerror(errno));
	EXPECT_EQ(0644, st.st_mode & 0777);
	EXPECT_EQ(8, read_limit());
}

TEST(file_channel_limit_param_range)
{
	char saved[16];

	ASSERT_EQ(0, param_read(PARAM_MAX_FILE_CHANNELS, saved,
				sizeof(saved)))
		TH_LOG("no %s", PARAM_MAX_FILE_CHANNELS);
	EXPECT_NE(0, param_write(PARAM_MAX_FILE_CHANNELS, "0"));
	EXPECT_NE(0, param_write(PARAM_MAX_FILE_CHANNELS, "20"));
	EXPECT_EQ(0, param_write(PARAM_MAX_FILE_CHANNELS, "1"));
	EXPECT_EQ(1, read_limit());
	EXPECT_EQ(0, param_write(PARAM_MAX_FILE_CHANNELS, "19"));
	EXPECT_EQ(19, read_limit());
	param_write(PARAM_MAX_FILE_CHANNELS, saved);
}

/* At the limit: EMFILE before anything is sent; another file still opens */
static void limit_emfile(struct __test_metadata *_metadata, int limit)
{
	struct vse_card *card = vse_card_new(NULL);
	uint32_t rlen, ch;
	uint8_t rsp[300];
	int fd, other, i;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	other = secel_open_se(card->index);
	ASSERT_LE(0, other);
	for (i = 0; i < limit; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
						&rlen, &ch))
			TH_LOG("channel #%d of %d", i + 1, limit);
	}
	vse_card_clear_log(card);
	rlen = sizeof(rsp);
	EXPECT_EQ(-EMFILE, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
					      &rlen, &ch))
		TH_LOG("channel #%d of a file at its limit", limit + 1);
	EXPECT_EQ(0, vse_card_log_count(card)) TH_LOG("the card was asked");
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_open_channel(other, AID, VSE_TEST_AID_LEN, rsp,
					&rlen, &ch))
		TH_LOG("another file cannot open a channel");
	/* a closed channel makes room again */
	EXPECT_EQ(0, secel_close_channel(other, ch));
	close(other);
	close(fd);
	vse_card_free(card);
}

TEST(file_channel_limit_emfile)
{
	char saved[16];

	ASSERT_EQ(0, param_read(PARAM_MAX_FILE_CHANNELS, saved,
				sizeof(saved)))
		TH_LOG("no %s", PARAM_MAX_FILE_CHANNELS);
	ASSERT_EQ(0, param_write(PARAM_MAX_FILE_CHANNELS, "3"));
	limit_emfile(_metadata, 3);
	param_write(PARAM_MAX_FILE_CHANNELS, saved);
}

TEST(file_channel_default_limit_emfile)
{
	int limit = read_limit();

	ASSERT_LT(0, limit) TH_LOG("no %s", PARAM_MAX_FILE_CHANNELS);
	limit_emfile(_metadata, limit);
}

/* ---- failed re-verification (item 8) ---- */

TEST(failed_reverify_closes_channels)
{
	struct vse_card *card = vse_card_new(NULL);
	uint32_t chans[2], rlen;
	uint8_t rsp[300];
	int ctl, fd, i;

	ASSERT_NE(NULL, card);
	ASSERT_TRUE(secel_wait_state(card->index, "listed", WAIT_MS));
	ctl = secel_open_ctl();
	ASSERT_LE(0, ctl);
	fd = secel_open_se(card->index);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp,
						&rlen, &chans[i]));
	}
	vse_card_clear_log(card);
	vse_card_set_mode(card, VSE_MODE_GARBAGE);
	EXPECT_EQ(-EPROTO, secel_ctl(ctl, SECEL_CTL_VERIFY, card->index, 0,
				     NULL));
	for (i = 0; i < 2; i++) {
		EXPECT_TRUE(vse_card_wait_closes(card, chans[i], 1,
						 CLOSE_WAIT_MS))
			TH_LOG("channel %u not closed on the card", chans[i]);
	}
	EXPECT_TRUE(secel_wait_state(card->index, "rejected", WAIT_MS));
	EXPECT_EQ(-ENXIO, secel_close_channel(fd, chans[0]));
	close(fd);
	close(ctl);
	vse_card_free(card);
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
