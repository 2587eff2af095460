// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: scale -- 1024 SEs at once with the default settings
 * (module parameter max_ses), the 1025th refused with ENOSPC, and LIST,
 * INQUIRE and the index lookup of /dev/secelN working across them all.
 *
 * The SEs are created with auto-add off, so that nothing is sent to their
 * cards: creating them costs only the registration.  One of them is then
 * served, added and used, at the top of the index range.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "vse_card.h"

#define WAIT_MS 5000
#ifndef DEFAULT_MAX_SES
#define DEFAULT_MAX_SES 1024	/* the contract's default */
#endif
#define PREFIX "Qscale"

TEST(max_ses_param_default_1024)
{
	struct stat st;
	char buf[16];

	ASSERT_EQ(0, stat(PARAM_MAX_SES, &st))
		TH_LOG("%s: %s", PARAM_MAX_SES, strerror(errno));
	EXPECT_EQ(0444, st.st_mode & 0777) TH_LOG("max_ses is set at load");
	ASSERT_EQ(0, param_read(PARAM_MAX_SES, buf, sizeof(buf)));
	EXPECT_EQ(DEFAULT_MAX_SES, atoi(buf));
}

FIXTURE(scale) {
	char saved[8];
	int ctl, vfd;
	int *fds;		/* card fds of the SEs made here */
	unsigned int *index;
	int n;
	struct vse_card *served;
};

FIXTURE_SETUP(scale)
{
	struct rlimit rl;

	self->ctl = -1;
	self->vfd = -1;
	self->n = 0;
	self->served = NULL;
	self->fds = calloc(65536, sizeof(*self->fds));
	self->index = calloc(65536, sizeof(*self->index));
	ASSERT_NE(NULL, self->fds);
	ASSERT_NE(NULL, self->index);
	ASSERT_EQ(0, param_read(PARAM_AUTO_ADD, self->saved,
				sizeof(self->saved)));
	ASSERT_EQ(0, param_write(PARAM_AUTO_ADD, "0"));
	self->ctl = secel_open_ctl();
	ASSERT_LE(0, self->ctl);
	self->vfd = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->vfd);
	/* one card fd per SE */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max < 8192)
		rl.rlim_max = 8192;
	rl.rlim_cur = rl.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
}

FIXTURE_TEARDOWN(scale)
{
	long long t0 = now_ms();
	int last = self->n ? (int)self->index[self->n - 1] : -1;

	vse_card_free(self->served);	/* it closes its own fd */
	for (int i = 0; i < self->n; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	if (last >= 0 && !secel_wait_gone(last, WAIT_MS))
		TH_LOG("secel%d still there", last);
	if (self->n)
		TH_LOG("%d SEs unplugged in %lld ms", self->n, now_ms() - t0);
	if (self->vfd >= 0)
		close(self->vfd);
	if (self->ctl >= 0)
		close(self->ctl);
	param_write(PARAM_AUTO_ADD, self->saved);
	free(self->fds);
	free(self->index);
}

static int vse_new(int vfd, struct secel_vse_new *req)
{
	memset(req, 0, sizeof(*req));
	req->atr_len = vse_good_atr_len;
	memcpy(req->atr, vse_good_atr, vse_good_atr_len);
	memcpy(req->name_prefix, PREFIX, strlen(PREFIX));
	return ioctl(vfd, SECEL_VSE_IOC_NEW, req) ? -errno : 0;
}

static int list_all(int ctl, struct secel_list_entry *e, uint32_t room,
		    uint32_t flags)
{
	struct secel_list l = { .entries_ptr = (uintptr_t)e, .count = room,
				.flags = flags };

	return ioctl(ctl, SECEL_CTL_LIST, &l) ? -errno : (int)l.count;
}

TEST_F_TIMEOUT(scale, scale_1024_ses, 600)
{
	static struct secel_list_entry entries[4096];
	static const uint8_t echo[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0x77 };
	struct secel_vse_new req, last_req;
	struct secel_info info;
	unsigned int max = DEFAULT_MAX_SES, hits = 0;
	uint32_t rlen;
	uint8_t rsp[300];
	char buf[32], name[SECEL_NAME_LEN];
	int existing, want, ret = 0, i, fd, served;
	long long t0, dt;

	if (!param_read(PARAM_MAX_SES, buf, sizeof(buf)))
		max = atoi(buf);
	ASSERT_GE(4096, max) TH_LOG("max_ses %u: too many for this test", max);
	existing = list_all(self->ctl, entries, 0, SECEL_LIST_ALL);
	ASSERT_LE(0, existing);
	want = max - existing;

	/* up to the limit, then ENOSPC */
	t0 = now_ms();
	for (i = 0; i < want; i++) {
		ret = vse_new(self->vfd, &req);
		if (ret)
			break;
		self->fds[self->n] = req.fd;
		self->index[self->n] = req.index;
		self->n++;
		last_req = req;
	}
	dt = now_ms() - t0;
	TH_LOG("%d SEs created next to %d in %lld ms (%lld us each)%s%s",
	       self->n, existing, dt, self->n ? dt * 1000 / self->n : 0,
	       ret ? ", then: " : "", ret ? strerror(-ret) : "");
	ASSERT_EQ(want, self->n) TH_LOG("fewer than %u SEs", max);
	ret = vse_new(self->vfd, &req);
	if (!ret) {
		self->fds[self->n] = req.fd;
		self->index[self->n] = req.index;
		self->n++;
	}
	EXPECT_EQ(-ENOSPC, ret) TH_LOG("SE #%u: %s", max + 1, strerror(-ret));

	/* LIST sees them all */
	t0 = now_ms();
	ret = list_all(self->ctl, entries, 4096, SECEL_LIST_ALL);
	TH_LOG("LIST of %d SEs: %lld ms", ret, now_ms() - t0);
	ASSERT_EQ((int)max, ret);
	for (i = 0; i < ret; i++) {
		unsigned int idx = entries[i].index;

		for (int k = 0; k < self->n; k++) {
			if (self->index[k] == idx) {
				hits++;
				EXPECT_EQ(SECEL_STATE_REPORTED,
					  entries[i].state);
				EXPECT_EQ(0, strncmp(entries[i].name, PREFIX,
						     strlen(PREFIX)));
				break;
			}
		}
	}
	EXPECT_EQ(self->n, hits) TH_LOG("SEs missing from LIST");

	/* index lookup, at both ends and in the middle */
	for (i = 0; i < 3; i++) {
		unsigned int idx = self->index[i == 0 ? 0 : i == 1 ?
						self->n / 2 : self->n - 1];

		fd = secel_open_se(idx);
		ASSERT_LE(0, fd) TH_LOG("/dev/secel%u: %s", idx,
					strerror(-fd));
		ASSERT_EQ(0, secel_get_info(fd, &info));
		EXPECT_EQ(idx, info.index);
		ASSERT_LE(0, secel_sysfs_read(idx, "name", name,
					      sizeof(name)));
		EXPECT_STREQ(name, info.name);
		close(fd);
		EXPECT_EQ(SECEL_STATE_REPORTED,
			  secel_list_state(self->ctl, SECEL_LIST_ALL, idx,
					   NULL)) TH_LOG("secel%u", idx);
	}

	/* the last one served, added, inquired and used */
	served = self->n - 1;
	self->fds[served] = -1;		/* the card record owns it now */
	self->served = vse_card_adopt(&last_req, NULL);
	ASSERT_NE(NULL, self->served);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, last_req.index, 0,
			       &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	t0 = now_ms();
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_INQUIRE, last_req.index,
			       0, &info));
	TH_LOG("INQUIRE among %u SEs: %lld ms", max, now_ms() - t0);
	EXPECT_EQ(last_req.index, info.index);
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	EXPECT_EQ(SECEL_STATE_LISTED, secel_list_state(self->ctl, 0,
						       last_req.index, NULL));
	fd = secel_open_se(last_req.index);
	ASSERT_LE(0, fd);
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_transmit(fd, echo, sizeof(echo), rsp, &rlen, 0, 0));
	EXPECT_EQ(3, rlen);
	close(fd);
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
