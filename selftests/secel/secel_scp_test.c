// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: SCP03 secure channels through /dev/secelN, with
 * tools/secel-vcard's GlobalPlatform card behind a virtual SE and
 * libsecelgp (tools/gp) as the host: protected commands that are altered,
 * replayed or sent bare are refused and end the session; sessions on two
 * logical channels of one SE stay apart; an SE unplugged under a session
 * fails the next command with ENODEV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "../../tools/gp/gp.h"

#define WAIT_MS 5000

/* Start secel-vcard; returns its pid, the SE index in @index. */
static pid_t start_card(const char *dir, unsigned int *index)
{
	char exe[PATH_MAX], vcard[PATH_MAX + 64], ready[PATH_MAX], line[64];
	const char *env = getenv("SECEL_VCARD");
	ssize_t n;
	pid_t pid;
	FILE *f;
	int i;

	if (env) {
		snprintf(vcard, sizeof(vcard), "%s", env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 64);
		if (n < 0)
			return -1;
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		snprintf(vcard, sizeof(vcard),
			 "%s/../../tools/secel-vcard/secel-vcard", exe);
	}
	if (snprintf(ready, sizeof(ready), "%s/ready", dir) >= (int)sizeof(ready))
		return -1;
	unlink(ready);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execl(vcard, vcard, "--name", "SCP", "--ready-file", ready,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		f = fopen(ready, "r");
		if (f) {
			if (fgets(line, sizeof(line), f) &&
			    sscanf(line, "secel%u", index) == 1) {
				fclose(f);
				return pid;
			}
			fclose(f);
		}
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static int se_xfer(void *ctx, unsigned int channel, const uint8_t *cmd,
		   size_t len, uint8_t *rsp, size_t *rsp_len)
{
	uint32_t n = *rsp_len;
	int ret;

	ret = secel_transmit(*(int *)ctx, cmd, len, rsp, &n, channel, 0);
	if (!ret)
		*rsp_len = n;
	return ret;
}

static void default_keys(struct gp_keyset *ks)
{
	unsigned int i;

	memset(ks, 0, sizeof(*ks));
	ks->len = 16;
	for (i = 0; i < 16; i++)
		ks->enc[i] = ks->mac[i] = ks->dek[i] = 0x40 + i;
}

static const uint8_t get_status[] = {
	0x80, 0xf2, 0x80, 0x02, 0x02, 0x4f, 0x00, 0x00,
};

FIXTURE(scp) {
	char dir[64];
	pid_t pid;
	unsigned int index;
	int fd;
	struct gp_host h;
	uint8_t rsp[300];
};

/* A logical channel with the ISD selected, for host @h. */
static int isd_channel(int fd, struct gp_host *h)
{
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch;
	int ret;

	ret = secel_open_channel(fd, (const uint8_t *)GP_ISD_AID,
				 GP_ISD_AID_LEN, rsp, &rlen, &ch);
	if (ret)
		return ret;
	h->channel = ch;
	return 0;
}

FIXTURE_SETUP(scp)
{
	struct gp_keyset ks;

	self->fd = -1;
	snprintf(self->dir, sizeof(self->dir), "/tmp/secel-scp.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->pid = start_card(self->dir, &self->index);
	ASSERT_LT(0, self->pid) TH_LOG("secel-vcard did not start");
	ASSERT_TRUE(secel_wait_state(self->index, "listed", WAIT_MS));
	self->fd = secel_open_se(self->index);
	ASSERT_LE(0, self->fd);
	memset(&self->h, 0, sizeof(self->h));
	self->h.xfer = se_xfer;
	self->h.ctx = &self->fd;
	ASSERT_EQ(0, isd_channel(self->fd, &self->h));
	default_keys(&ks);
	ASSERT_EQ(0, gp_open(&self->h, &ks, 0x13)) TH_LOG("%s", self->h.err);
}

FIXTURE_TEARDOWN(scp)
{
	char path[96];

	if (self->fd >= 0)
		close(self->fd);
	if (self->pid > 0) {
		kill(self->pid, SIGTERM);
		waitpid(self->pid, NULL, 0);
	}
	snprintf(path, sizeof(path), "%s/ready", self->dir);
	unlink(path);
	rmdir(self->dir);
}

static uint16_t sw_of(const uint8_t *rsp, size_t len)
{
	return (rsp[len - 2] << 8) | rsp[len - 1];
}

/* Send @cmd as it is (already protected) on the host's channel. */
static uint16_t send_raw(struct __test_metadata *_metadata, int fd,
			 unsigned int channel, const uint8_t *cmd, size_t len)
{
	uint8_t rsp[300];
	size_t n = sizeof(rsp);

	EXPECT_EQ(0, se_xfer(&fd, channel, cmd, len, rsp, &n));
	return n >= 2 ? sw_of(rsp, n) : 0;
}

TEST_F(scp, protected_command_works)
{
	size_t n = sizeof(self->rsp);

	ASSERT_EQ(0, gp_send(&self->h, get_status, sizeof(get_status),
			     self->rsp, &n)) TH_LOG("%s", self->h.err);
	EXPECT_EQ(0x9000, sw_of(self->rsp, n));
	EXPECT_EQ(0xe3, self->rsp[0]);
}

TEST_F(scp, altered_mac_ends_session)
{
	uint8_t w[64];
	size_t wn, n = sizeof(self->rsp);

	ASSERT_EQ(0, scp03_wrap(&self->h.scp, get_status, sizeof(get_status),
				self->h.channel, w, &wn));
	w[wn - 2] ^= 0x40;		/* last MAC byte, before Le */
	EXPECT_EQ(0x6982, send_raw(_metadata, self->fd, self->h.channel, w,
				   wn));
	/* the session is gone: the next good command is refused too */
	ASSERT_EQ(0, gp_send(&self->h, get_status, sizeof(get_status),
			     self->rsp, &n));
	EXPECT_EQ(0x6982, sw_of(self->rsp, n));
	EXPECT_FALSE(self->h.secure);
}

TEST_F(scp, altered_data_refused)
{
	uint8_t w[64];
	size_t wn;

	ASSERT_EQ(0, scp03_wrap(&self->h.scp, get_status, sizeof(get_status),
				self->h.channel, w, &wn));
	w[5] ^= 0x01;			/* the 4F tag */
	EXPECT_EQ(0x6982, send_raw(_metadata, self->fd, self->h.channel, w,
				   wn));
}

TEST_F(scp, replayed_command_refused)
{
	uint8_t w[64];
	size_t wn;

	ASSERT_EQ(0, scp03_wrap(&self->h.scp, get_status, sizeof(get_status),
				self->h.channel, w, &wn));
	EXPECT_EQ(0x9000, send_raw(_metadata, self->fd, self->h.channel, w,
				   wn));
	EXPECT_EQ(0x6982, send_raw(_metadata, self->fd, self->h.channel, w,
				   wn));
}

TEST_F(scp, bare_command_refused)
{
	EXPECT_EQ(0x6982, send_raw(_metadata, self->fd, self->h.channel,
				   get_status, sizeof(get_status)));
}

/*
 * Amendment D 6.2.4: the C-MAC covers the class byte with the logical
 * channel number zero, so a command protected with "channel 0" in mind is
 * the same command on the session's channel, and the card takes it.
 */
TEST_F(scp, channel_number_not_in_mac)
{
	uint8_t w[64];
	size_t wn;

	ASSERT_EQ(0, scp03_wrap(&self->h.scp, get_status, sizeof(get_status),
				0, w, &wn));
	EXPECT_EQ(0x9000, send_raw(_metadata, self->fd, self->h.channel, w,
				   wn));
}

/* What keeps channels apart is their sessions: another one's command is
 * refused, and ends the session it was sent into. */
TEST_F(scp, other_sessions_command_refused)
{
	struct gp_host other = self->h;
	struct gp_keyset ks;
	uint8_t w[64];
	size_t wn;

	ASSERT_EQ(0, isd_channel(self->fd, &other));
	default_keys(&ks);
	ASSERT_EQ(0, gp_open(&other, &ks, 0x03)) TH_LOG("%s", other.err);
	ASSERT_EQ(0, scp03_wrap(&other.scp, get_status, sizeof(get_status),
				other.channel, w, &wn));
	EXPECT_EQ(0x6982, send_raw(_metadata, self->fd, self->h.channel, w,
				   wn));
}

TEST_F(scp, two_channels_two_sessions)
{
	struct gp_host other = self->h;
	struct gp_keyset ks;
	size_t n;
	int i;

	ASSERT_EQ(0, isd_channel(self->fd, &other));
	default_keys(&ks);
	ASSERT_EQ(0, gp_open(&other, &ks, 0x33)) TH_LOG("%s", other.err);
	for (i = 0; i < 10; i++) {
		n = sizeof(self->rsp);
		ASSERT_EQ(0, gp_send(i & 1 ? &other : &self->h, get_status,
				     sizeof(get_status), self->rsp, &n));
		ASSERT_EQ(0x9000, sw_of(self->rsp, n));
	}
}

TEST_F(scp, unplug_under_session_enodev)
{
	size_t n = sizeof(self->rsp);

	kill(self->pid, SIGTERM);
	waitpid(self->pid, NULL, 0);
	self->pid = -1;
	EXPECT_EQ(-ENODEV, gp_send(&self->h, get_status, sizeof(get_status),
				   self->rsp, &n));
	EXPECT_NE(NULL, strstr(self->h.err, "F2"));
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
