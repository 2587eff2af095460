// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: concurrent APDUs -- 16 processes x 4 virtual SEs, each
 * process sending APDUs with unique payloads to every SE, on the basic
 * channel and on a logical channel of its own; every response must be the
 * echo of its own command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "vse_card.h"

#define WAIT_MS		5000
#define NR_SES		4
#define NR_PROCS	16
#define NR_APDUS	200

struct stress_cfg {
	unsigned int index[NR_SES];
	int ses;
	int procs;
	int apdus;
};

/* One client process: 0 on success, else a distinct failure code. */
static int client(const struct stress_cfg *cfg, int id)
{
	int fds[NR_SES];
	uint32_t chans[NR_SES];
	uint8_t cmd[5 + 255], rsp[300];
	int s, i;

	for (s = 0; s < cfg->ses; s++) {
		uint32_t rlen = sizeof(rsp);
		int ret;

		fds[s] = secel_open_se(cfg->index[s]);
		if (fds[s] < 0) {
			fprintf(stderr, "# client %d: open secel%u: %s\n", id,
				cfg->index[s], strerror(-fds[s]));
			return 10;
		}
		ret = secel_open_channel(fds[s], (const uint8_t *)VSE_TEST_AID,
					 VSE_TEST_AID_LEN, rsp, &rlen,
					 &chans[s]);
		if (ret) {
			fprintf(stderr, "# client %d: open channel on secel%u: %s\n",
				id, cfg->index[s], strerror(-ret));
			return 11;
		}
	}
	for (i = 0; i < cfg->apdus; i++) {
		for (s = 0; s < cfg->ses; s++) {
			/* unique payload: client, SE, iteration, then filler */
			size_t n = 6 + (id * 31 + i * 7 + s) % 120;
			uint32_t ch = (i & 1) ? chans[s] : 0;
			uint32_t rlen = sizeof(rsp);
			size_t k;
			int ret;

			cmd[0] = 0x80;
			cmd[1] = VSE_INS_ECHO;
			cmd[2] = id;
			cmd[3] = s;
			cmd[4] = n;
			cmd[5] = id;
			cmd[6] = s;
			cmd[7] = i >> 8;
			cmd[8] = i & 0xff;
			cmd[9] = ch;
			for (k = 5; k < n; k++)
				cmd[5 + k] = (uint8_t)(id ^ (i * 13) ^ k);
			ret = secel_transmit(fds[s], cmd, 5 + n, rsp, &rlen, ch,
					     0);
			if (ret) {
				fprintf(stderr,
					"# client %d: APDU %d to secel%u ch %u: %s\n",
					id, i, cfg->index[s], ch, strerror(-ret));
				return 12;
			}
			if (rlen != n + 2 || memcmp(rsp, cmd + 5, n) ||
			    rsp[n] != 0x90 || rsp[n + 1] != 0x00) {
				fprintf(stderr,
					"# client %d: APDU %d to secel%u ch %u: wrong response (%u bytes)\n",
					id, i, cfg->index[s], ch, rlen);
				return 13;
			}
		}
	}
	for (s = 0; s < cfg->ses; s++) {
		if (secel_close_channel(fds[s], chans[s]))
			return 14;
		close(fds[s]);
	}
	return 0;
}

FIXTURE(stress) {
	struct vse_card *cards[NR_SES];
};

FIXTURE_SETUP(stress)
{
	for (int s = 0; s < NR_SES; s++) {
		struct vse_card_opts o = { .prefix = "Qstress" };

		self->cards[s] = vse_card_new(&o);
		ASSERT_NE(NULL, self->cards[s]) TH_LOG("card %d: %s", s,
						       strerror(errno));
	}
	for (int s = 0; s < NR_SES; s++) {
		ASSERT_TRUE(secel_wait_state(self->cards[s]->index, "listed",
					     WAIT_MS));
	}
}

FIXTURE_TEARDOWN(stress)
{
	for (int s = 0; s < NR_SES; s++)
		vse_card_free(self->cards[s]);
}

TEST_F_TIMEOUT(stress, concurrent_echo_16_procs_4_ses, 600)
{
	struct stress_cfg cfg = {
		.ses = NR_SES, .procs = NR_PROCS, .apdus = NR_APDUS,
	};
	unsigned long before[NR_SES];
	pid_t pids[NR_PROCS];
	int p, s, failed = 0;
	long long t0 = now_ms();

	for (s = 0; s < NR_SES; s++) {
		cfg.index[s] = self->cards[s]->index;
		before[s] = vse_card_apdus(self->cards[s]);
	}
	for (p = 0; p < cfg.procs; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			/* the cards stay with the parent */
			for (s = 0; s < NR_SES; s++)
				close(self->cards[s]->fd);
			_exit(client(&cfg, p));
		}
	}
	for (p = 0; p < cfg.procs; p++) {
		int status;

		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("client %d: status %#x", p, status);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	EXPECT_EQ(0, failed);
	for (s = 0; s < NR_SES; s++) {
		unsigned long seen = vse_card_apdus(self->cards[s]) - before[s];

		/* the echoes plus MANAGE CHANNEL, SELECT and close per client */
		EXPECT_LE((unsigned long)cfg.procs * cfg.apdus, seen)
			TH_LOG("secel%u saw %lu APDUs", cfg.index[s], seen);
	}
	TH_LOG("%d x %d x %d APDUs in %lld ms", cfg.procs, NR_SES, cfg.apdus,
	       now_ms() - t0);
}

/* Hammer one SE until it goes away: only success or ENODEV allowed. */
static int hammer(unsigned int index, int id)
{
	uint8_t cmd[5 + 16], rsp[300];
	uint32_t ch = 0, rlen = sizeof(rsp);
	long long end = now_ms() + 20000;
	int fd = secel_open_se(index), ret, i;

	if (fd < 0)
		return fd == -ENODEV || fd == -ENOENT ? 0 : 20;
	ret = secel_open_channel(fd, (const uint8_t *)VSE_TEST_AID,
				 VSE_TEST_AID_LEN, rsp, &rlen, &ch);
	if (ret == -ENODEV)
		return 0;
	if (ret) {
		fprintf(stderr, "# hammer %d: open channel: %s\n", id,
			strerror(-ret));
		return 21;
	}
	for (i = 0; now_ms() < end; i++) {
		cmd[0] = 0x80;
		cmd[1] = VSE_INS_ECHO;
		cmd[2] = 0;
		cmd[3] = 0;
		cmd[4] = 16;
		memset(cmd + 5, id ^ i, 16);
		rlen = sizeof(rsp);
		ret = secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen,
				     (i & 1) ? ch : 0, 0);
		if (ret == -ENODEV)
			break;
		if (ret) {
			fprintf(stderr, "# hammer %d: APDU %d: %s\n", id, i,
				strerror(-ret));
			return 22;
		}
		if (rlen != 18 || memcmp(rsp, cmd + 5, 16))
			return 23;
	}
	if (now_ms() >= end)
		return 24;	/* never saw the unplug */
	ret = secel_close_channel(fd, ch);
	if (ret != -ENODEV) {
		fprintf(stderr, "# hammer %d: close channel after unplug: %s\n",
			id, strerror(-ret));
		return 25;
	}
	return close(fd) ? 26 : 0;
}

TEST(unplug_under_load)
{
	struct vse_card *c = vse_card_new(NULL);
	pid_t pids[8];
	int p;

	ASSERT_NE(NULL, c);
	ASSERT_TRUE(secel_wait_state(c->index, "listed", WAIT_MS));
	for (p = 0; p < 8; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			close(c->fd);
			_exit(hammer(c->index, p));
		}
	}
	/* let them get going, then pull the card */
	for (int i = 0; i < 500 && vse_card_apdus(c) < 200; i++)
		usleep(10000);
	EXPECT_LE(200, vse_card_apdus(c));
	vse_card_unplug(c);
	for (p = 0; p < 8; p++) {
		int status;

		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("client %d: status %#x", p, status);
	}
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));
	vse_card_free(c);
}

static int count_ses(void)
{
	int ctl = secel_open_ctl(), n;
	struct secel_list l = { .flags = SECEL_LIST_ALL };

	if (ctl < 0)
		return ctl;
	n = ioctl(ctl, SECEL_CTL_LIST, &l) ? -errno : (int)l.count;
	close(ctl);
	return n;
}

/* Many vSEs at once, listed; the limit itself: secel_scale_test */
TEST_F_TIMEOUT(stress, many_ses_at_once, 600)
{
	static struct vse_card *cards[300];
	static char names[300][SECEL_NAME_LEN];
	int existing = count_ses(), n, i, j, err = 0;

	ASSERT_LE(0, existing);
	for (n = 0; n < 300; n++) {
		struct vse_card_opts o = { .prefix = "Qmany" };

		cards[n] = vse_card_new(&o);
		if (!cards[n]) {
			err = errno;
			break;
		}
	}
	TH_LOG("%d SEs created next to %d, then: %s", n, existing,
	       err ? strerror(err) : "no failure");
	/* 300 fit with the default limit of 1024 (secel_scale_test) */
	EXPECT_EQ(300, n);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(secel_wait_state(cards[i]->index, "listed",
					     3 * WAIT_MS))
			TH_LOG("secel%u not listed", cards[i]->index);
		ASSERT_LE(0, secel_sysfs_read(cards[i]->index, "name",
					      names[i], SECEL_NAME_LEN));
	}
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			ASSERT_NE(cards[i]->index, cards[j]->index);
			ASSERT_STRNE(names[i], names[j]);
		}
	}
	for (i = 0; i < n; i++)
		vse_card_free(cards[i]);
	/* all gone, room again */
	EXPECT_EQ(existing, count_ses());
	cards[0] = vse_card_new(NULL);
	ASSERT_NE(NULL, cards[0]) TH_LOG("no SE after freeing: %s",
					 strerror(errno));
	EXPECT_TRUE(secel_wait_state(cards[0]->index, "listed", WAIT_MS));
	vse_card_free(cards[0]);
}

/*
 * Chaos: processes transmit, open and close channels, reset, delete and
 * add one SE at random.  Every call must end with a result its situation
 * allows, responses must stay echoes of their commands, nothing may hang,
 * and the SE must work normally afterwards.
 */
static int chaos(unsigned int index, int id, long long ms)
{
	uint8_t cmd[5 + 32], rsp[300];
	uint32_t chans[8], rlen, ch;
	int nch = 0, ctl = secel_open_ctl(), fd = secel_open_se(index);
	long long end = now_ms() + ms;
	unsigned int seed = id * 7919 + 1;
	int ret, op, k;

	if (ctl < 0 || fd < 0)
		return 30;
	while (now_ms() < end) {
		op = rand_r(&seed) % 100;
		if (op < 60) {
			/* echo, on the basic channel or one of ours */
			k = (nch && (op & 1)) ? rand_r(&seed) % nch : -1;
			ch = k < 0 ? 0 : chans[k];
			cmd[0] = 0x80;
			cmd[1] = VSE_INS_ECHO;
			cmd[2] = 0;
			cmd[3] = 0;
			cmd[4] = 32;
			for (int i = 0; i < 32; i++)
				cmd[5 + i] = rand_r(&seed);
			rlen = sizeof(rsp);
			ret = secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen,
					     ch, 0);
			if (ret == 0) {
				/* 6881: kernel and card disagree on a channel */
				if (rlen != 34 || memcmp(rsp, cmd + 5, 32)) {
					fprintf(stderr, "# chaos %d: wrong echo\n",
						id);
					return 31;
				}
			} else if (ret == -ENXIO && ch) {
				chans[k] = chans[--nch];	/* reset/delete */
			} else if (ret != -ENOLINK && ret != -ECANCELED) {
				/* ECANCELED: a reset or delete cut it short */
				fprintf(stderr, "# chaos %d: transmit ch %u: %s\n",
					id, ch, strerror(-ret));
				return 32;
			}
		} else if (op < 72) {
			if (nch == 8)
				continue;
			rlen = sizeof(rsp);
			ret = secel_open_channel(fd, (const uint8_t *)VSE_TEST_AID,
						 VSE_TEST_AID_LEN, rsp, &rlen,
						 &ch);
			if (ret == 0)
				chans[nch++] = ch;
			else if (ret != -EBUSY && ret != -ENOLINK &&
				 ret != -ECANCELED) {
				fprintf(stderr, "# chaos %d: open channel: %s\n",
					id, strerror(-ret));
				return 33;
			}
		} else if (op < 82) {
			if (!nch)
				continue;
			k = rand_r(&seed) % nch;
			ret = secel_close_channel(fd, chans[k]);
			if (ret && ret != -ENXIO && ret != -ENOLINK &&
			    ret != -EIO && ret != -ECANCELED) {
				fprintf(stderr, "# chaos %d: close channel: %s\n",
					id, strerror(-ret));
				return 34;
			}
			chans[k] = chans[--nch];
		} else if (op < 87) {
			struct secel_reset rs = { .flags = op & 1 };

			if (ioctl(fd, SECEL_IOC_RESET, &rs) && errno != ENOLINK) {
				fprintf(stderr, "# chaos %d: reset: %s\n", id,
					strerror(errno));
				return 35;
			}
		} else if (op < 92) {
			ret = secel_ctl(ctl, SECEL_CTL_DELETE, index, 0, NULL);
			if (ret && ret != -ENOENT) {
				fprintf(stderr, "# chaos %d: delete: %s\n", id,
					strerror(-ret));
				return 36;
			}
		} else {
			ret = secel_ctl(ctl, SECEL_CTL_ADD, index, 0, NULL);
			if (ret && ret != -EALREADY) {
				fprintf(stderr, "# chaos %d: add: %s\n", id,
					strerror(-ret));
				return 37;
			}
		}
	}
	close(fd);
	close(ctl);
	return 0;
}

TEST_F_TIMEOUT(stress, chaos_ops_on_one_se, 120)
{
	struct vse_card *c = self->cards[0];
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0x42 };
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch;
	pid_t pids[6];
	int p, fd, ctl, ret;

	for (p = 0; p < 6; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			for (int s = 0; s < NR_SES; s++)
				close(self->cards[s]->fd);
			_exit(chaos(c->index, p, 5000));
		}
	}
	for (p = 0; p < 6; p++) {
		int status;

		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("chaos %d: status %#x", p, status);
	}
	/* and it still works */
	ctl = secel_open_ctl();
	ASSERT_LE(0, ctl);
	ret = secel_ctl(ctl, SECEL_CTL_ADD, c->index, 0, NULL);
	EXPECT_TRUE(ret == 0 || ret == -EALREADY) TH_LOG("ADD: %d", ret);
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, 0, 0));
	EXPECT_EQ(3, rlen);
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_open_channel(fd, (const uint8_t *)VSE_TEST_AID,
					VSE_TEST_AID_LEN, rsp, &rlen, &ch));
	close(fd);
	close(ctl);
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
