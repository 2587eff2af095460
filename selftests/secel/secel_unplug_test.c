// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: unplug (with an APDU in flight, with open fds), card
 * timeouts, the card fd protocol of /dev/secel-vse, and what an
 * unprivileged caller may do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
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

static struct vse_card *new_listed(struct __test_metadata *_metadata,
				   const struct vse_card_opts *o)
{
	struct vse_card *c = vse_card_new(o);

	ASSERT_NE(NULL, c) TH_LOG("SECEL_VSE_IOC_NEW: %s", strerror(errno));
	ASSERT_TRUE(secel_wait_state(c->index, "listed", WAIT_MS))
		TH_LOG("secel%u not listed", c->index);
	return c;
}

struct tx_job {
	int fd;
	uint32_t channel;
	int ret;
	long long done_ms;
	uint8_t rsp[300];
	uint32_t rlen;
};

static void *tx_thread(void *arg)
{
	static const uint8_t c[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x01,
				     0x42 };
	struct tx_job *j = arg;

	j->rlen = sizeof(j->rsp);
	j->ret = secel_transmit(j->fd, c, sizeof(c), j->rsp, &j->rlen,
				j->channel, 0);
	j->done_ms = now_ms();
	return NULL;
}

TEST(unplug_during_transmit)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	struct tx_job job = { .ret = 1 };
	long long unplugged;
	pthread_t t;

	job.fd = secel_open_se(c->index);
	ASSERT_LE(0, job.fd);
	vse_card_clear_log(c);
	vse_card_set_delay(c, 20000);	/* the card takes its time */
	ASSERT_EQ(0, pthread_create(&t, NULL, tx_thread, &job));
	/* wait until the card holds the APDU */
	for (int i = 0; i < 500 && !vse_card_log_count(c); i++)
		usleep(10000);
	ASSERT_EQ(1, vse_card_log_count(c)) TH_LOG("APDU never reached card");
	unplugged = now_ms();
	vse_card_unplug(c);
	pthread_join(t, NULL);
	EXPECT_EQ(-ENODEV, job.ret) TH_LOG("transmit in flight: %s",
					   strerror(-job.ret));
	EXPECT_GT(2000, job.done_ms - unplugged)
		TH_LOG("transmit returned %lld ms after unplug",
		       job.done_ms - unplugged);
	close(job.fd);
	vse_card_free(c);
}

TEST(unplug_with_open_fds_enodev)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct vse_card *c = new_listed(_metadata, NULL);
	struct secel_info info;
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch, ch2, len;
	char path[32];
	int fd, fd2;

	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	fd2 = secel_open_se(c->index);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp, &rlen,
					&ch));
	vse_card_unplug(c);
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));

	EXPECT_EQ(-ENODEV, secel_get_info(fd, &info));
	len = sizeof(rsp);
	EXPECT_EQ(-ENODEV, secel_get_item(fd, SECEL_ITEM_ATR, rsp, &len));
	rlen = sizeof(rsp);
	EXPECT_EQ(-ENODEV, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, 0,
					  0));
	rlen = sizeof(rsp);
	EXPECT_EQ(-ENODEV, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, ch,
					  0));
	rlen = sizeof(rsp);
	EXPECT_EQ(-ENODEV, secel_open_channel(fd2, AID, VSE_TEST_AID_LEN, rsp,
					      &rlen, &ch2));
	EXPECT_EQ(-ENODEV, secel_close_channel(fd, ch));
	EXPECT_EQ(-ENODEV, secel_get_info(fd2, &info));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(fd2));
	snprintf(path, sizeof(path), "/dev/secel%u", c->index);
	fd = open(path, O_RDWR);
	EXPECT_GT(0, fd) TH_LOG("%s opens after unplug", path);
	if (fd >= 0)
		close(fd);
	vse_card_free(c);
}

TEST(stale_fd_does_not_reach_new_se)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct vse_card *a = new_listed(_metadata, NULL), *b;
	struct secel_info info;
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp);
	int fd = secel_open_se(a->index);

	ASSERT_LE(0, fd);
	vse_card_unplug(a);
	ASSERT_TRUE(secel_wait_gone(a->index, WAIT_MS));
	b = new_listed(_metadata, NULL);
	/* sysfs-class-secel: not reused while a file of the SE is open */
	EXPECT_NE(a->index, b->index);
	vse_card_clear_log(b);
	EXPECT_EQ(-ENODEV, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, 0,
					  0));
	EXPECT_EQ(-ENODEV, secel_get_info(fd, &info));
	EXPECT_EQ(0, vse_card_log_count(b)) TH_LOG("old fd reached new SE");
	close(fd);
	/* the new SE works through a new fd */
	fd = secel_open_se(b->index);
	ASSERT_LE(0, fd);
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, 0, 0));
	close(fd);
	vse_card_free(a);
	vse_card_free(b);
}

TEST(unplug_with_open_fd_reset_enodev)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	struct secel_reset rs = { 0 };
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	vse_card_unplug(c);
	EXPECT_EQ(-1, ioctl(fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, close(fd));
	vse_card_free(c);
}

TEST(unplug_designated_clears_designation)
{
	struct vse_card *a = new_listed(_metadata, NULL);
	struct secel_list_entry *e;
	struct secel_list l = { 0 };
	int ctl = secel_open_ctl();
	uint32_t i;

	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, secel_ctl(ctl, SECEL_CTL_DESIGNATE, a->index, 0, NULL));
	vse_card_unplug(a);
	ASSERT_TRUE(secel_wait_gone(a->index, WAIT_MS));
	e = calloc(300, sizeof(*e));
	ASSERT_NE(NULL, e);
	l.entries_ptr = (uintptr_t)e;
	l.count = 300;
	l.flags = SECEL_LIST_ALL;
	ASSERT_EQ(0, ioctl(ctl, SECEL_CTL_LIST, &l));
	for (i = 0; i < l.count && i < 300; i++) {
		EXPECT_FALSE(e[i].flags & SECEL_INFO_DESIGNATED)
			TH_LOG("secel%u designated", e[i].index);
		EXPECT_NE(a->index, e[i].index);
	}
	free(e);
	close(ctl);
	vse_card_free(a);
}

FIXTURE(tmo) {
	char saved[32];
};

FIXTURE_SETUP(tmo)
{
	ASSERT_EQ(0, param_read(PARAM_TIMEOUT_MS, self->saved,
				sizeof(self->saved)));
	ASSERT_EQ(0, param_write(PARAM_TIMEOUT_MS, "500"));
}

FIXTURE_TEARDOWN(tmo)
{
	param_write(PARAM_TIMEOUT_MS, self->saved);
}

TEST_F(tmo, silent_card_etimedout)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct vse_card *c = new_listed(_metadata, NULL);
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp);
	long long t0, dt;
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	vse_card_set_mode(c, VSE_MODE_SILENT);
	t0 = now_ms();
	EXPECT_EQ(-ETIMEDOUT, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen,
					     0, 0));
	dt = now_ms() - t0;
	EXPECT_LE(400, dt) TH_LOG("timed out after %lld ms", dt);
	EXPECT_GE(2500, dt) TH_LOG("timed out after %lld ms", dt);
	/* the card comes back: the SE works again */
	vse_card_set_mode(c, VSE_MODE_NORMAL);
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, 0, 0));
	EXPECT_EQ(2, rlen);
	close(fd);
	vse_card_free(c);
}

TEST_F(tmo, late_answer_estale)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00 };
	struct vse_card *c = new_listed(_metadata, NULL);
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp);
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	vse_card_set_delay(c, 900);
	EXPECT_EQ(-ETIMEDOUT, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen,
					     0, 0));
	usleep(1000000);
	pthread_mutex_lock(&c->lock);
	EXPECT_EQ(1, c->write_errors);
	EXPECT_EQ(ESTALE, c->last_write_errno)
		TH_LOG("late answer: %s", strerror(c->last_write_errno));
	pthread_mutex_unlock(&c->lock);
	close(fd);
	vse_card_free(c);
}

TEST_F(tmo, timeout_param_bounds_open_channel)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch;
	long long t0, dt;
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	vse_card_set_mode(c, VSE_MODE_SILENT);
	t0 = now_ms();
	EXPECT_EQ(-ETIMEDOUT, secel_open_channel(fd, AID, VSE_TEST_AID_LEN,
						 rsp, &rlen, &ch));
	dt = now_ms() - t0;
	EXPECT_GE(2500, dt) TH_LOG("OPEN_CHANNEL took %lld ms", dt);
	close(fd);
	vse_card_free(c);
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST(signal_interrupts_transmit)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct vse_card *c = new_listed(_metadata, NULL);
	struct tx_job job = { .ret = 1 };
	long long t0;
	pthread_t t;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	job.fd = secel_open_se(c->index);
	ASSERT_LE(0, job.fd);
	vse_card_clear_log(c);
	vse_card_set_mode(c, VSE_MODE_SILENT);
	ASSERT_EQ(0, pthread_create(&t, NULL, tx_thread, &job));
	for (int i = 0; i < 300 && !vse_card_log_count(c); i++)
		usleep(10000);
	ASSERT_EQ(1, vse_card_log_count(c));
	t0 = now_ms();
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(-EINTR, job.ret) TH_LOG("%s", strerror(-job.ret));
	EXPECT_GT(1000, job.done_ms - t0);
	/* the SE still works */
	vse_card_set_mode(c, VSE_MODE_NORMAL);
	tx_thread(&job);
	EXPECT_EQ(0, job.ret);
	close(job.fd);
	vse_card_free(c);
}

TEST_F(tmo, sigkill_ends_blocked_transmit)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	struct tx_job job = { .ret = 1 };
	long long t0;
	int status;
	pid_t pid;

	/* a card that never answers, and a timeout far away */
	ASSERT_EQ(0, param_write(PARAM_TIMEOUT_MS, "60000"));
	vse_card_set_mode(c, VSE_MODE_SILENT);
	job.fd = secel_open_se(c->index);
	ASSERT_LE(0, job.fd);
	vse_card_clear_log(c);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(c->fd);
		tx_thread(&job);
		_exit(0);
	}
	for (int i = 0; i < 300 && !vse_card_log_count(c); i++)
		usleep(10000);
	ASSERT_EQ(1, vse_card_log_count(c));
	t0 = now_ms();
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_GT(2000, now_ms() - t0) TH_LOG("SIGKILL took %lld ms",
					      now_ms() - t0);
	EXPECT_TRUE(WIFSIGNALED(status));
	close(job.fd);
	vse_card_free(c);
}

/* The card side of /dev/secel-vse, spoken by hand. */
TEST(card_fd_protocol)
{
	struct secel_vse_new req = { .atr_len = 4 };
	struct {
		struct secel_vse_msg h;
		uint8_t data[64];
	} m, a;
	struct pollfd p;
	uint8_t small[8];
	int vfd, cfd, n;

	memcpy(req.atr, vse_good_atr, 4);
	vfd = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, ioctl(vfd, SECEL_VSE_IOC_NEW, &req));
	cfd = req.fd;
	close(vfd);
	ASSERT_NE(-1, fcntl(cfd, F_GETFD));
	EXPECT_TRUE(fcntl(cfd, F_GETFD) & FD_CLOEXEC);

	/* verification starts: SELECT 00 A4 04 00 00 arrives */
	p.fd = cfd;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	EXPECT_TRUE(p.revents & POLLIN);
	EXPECT_EQ(-1, read(cfd, small, sizeof(small)));
	EXPECT_EQ(EMSGSIZE, errno);
	n = read(cfd, &m, sizeof(m));
	ASSERT_EQ(sizeof(m.h) + 5, n);
	EXPECT_EQ(SECEL_VSE_MSG_APDU, m.h.type);
	EXPECT_EQ(5, m.h.len);
	EXPECT_EQ(0, memcmp("\x00\xa4\x04\x00\x00", m.data, 5));

	/* nothing else pending */
	EXPECT_EQ(0, fcntl(cfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(cfd, &a, sizeof(a)));
	EXPECT_EQ(EAGAIN, errno);

	/* wrong seq, wrong type, bad length: EINVAL */
	a.h = m.h;
	a.h.len = 2;
	a.h.seq = m.h.seq + 1;
	a.data[0] = 0x90;
	a.data[1] = 0x00;
	EXPECT_EQ(-1, write(cfd, &a, sizeof(a.h) + 2));
	EXPECT_EQ(EINVAL, errno) TH_LOG("answer with a future seq");
	a.h.seq = m.h.seq;
	a.h.type = SECEL_VSE_MSG_RESET;
	EXPECT_EQ(-1, write(cfd, &a, sizeof(a.h) + 2));
	EXPECT_EQ(EINVAL, errno) TH_LOG("answer of the wrong type");
	a.h.type = SECEL_VSE_MSG_APDU;
	a.h.len = 3;
	EXPECT_EQ(-1, write(cfd, &a, sizeof(a.h) + 2));
	EXPECT_EQ(EINVAL, errno) TH_LOG("len not matching the write");
	a.h.len = 1;
	EXPECT_EQ(-1, write(cfd, &a, sizeof(a.h) + 1));
	EXPECT_EQ(EINVAL, errno) TH_LOG("APDU answer of 1 byte");
	a.h.len = 2;
	EXPECT_EQ((ssize_t)sizeof(a.h) + 2, write(cfd, &a, sizeof(a.h) + 2));
	/* answering twice: no longer pending */
	EXPECT_EQ(-1, write(cfd, &a, sizeof(a.h) + 2));
	EXPECT_TRUE(errno == EINVAL || errno == ESTALE);
	close(cfd);
}

TEST(card_close_unplugs)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	int uf = uevent_open();
	struct secel_uevent ev;

	ASSERT_LE(0, uf);
	vse_card_unplug(c);
	EXPECT_EQ(0, uevent_wait(uf, c->index, "remove", NULL, NULL, WAIT_MS,
				 &ev));
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));
	close(uf);
	vse_card_free(c);
}

/* ---- an unprivileged caller ---- */

TEST(unprivileged_caller)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x01,
				       0x33 };
	struct vse_card *c = new_listed(_metadata, NULL);
	struct secel_reset rs = { 0 };
	struct secel_info info;
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch;
	unsigned long apdus;
	int ctl, fd;

	ctl = secel_open_ctl();
	ASSERT_LE(0, ctl);
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	ASSERT_NE(0, geteuid());

	EXPECT_EQ(-EPERM, secel_ctl(ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	EXPECT_EQ(-EPERM, secel_ctl(ctl, SECEL_CTL_VERIFY, c->index, 0, NULL));
	EXPECT_EQ(-EPERM, secel_ctl(ctl, SECEL_CTL_DELETE, c->index, 0, NULL));
	EXPECT_EQ(-EPERM, secel_ctl(ctl, SECEL_CTL_DESIGNATE, c->index, 0,
				    NULL));
	EXPECT_EQ(-EPERM, secel_ctl(ctl, SECEL_CTL_DESIGNATE, 0,
				    SECEL_DESIGNATE_CLEAR, NULL));
	EXPECT_EQ(-1, ioctl(fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, c->resets);

	/* still listed, untouched; INQUIRE reports without asking the card */
	EXPECT_EQ(SECEL_STATE_LISTED, secel_list_state(ctl, 0, c->index, NULL));
	apdus = vse_card_apdus(c);
	EXPECT_EQ(0, secel_ctl(ctl, SECEL_CTL_INQUIRE, c->index, 0, &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	EXPECT_EQ(apdus, vse_card_apdus(c)) TH_LOG("INQUIRE asked the card");
	EXPECT_EQ(0, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, 0, 0));
	EXPECT_EQ(3, rlen);
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_open_channel(fd, AID, VSE_TEST_AID_LEN, rsp, &rlen,
					&ch));
	EXPECT_EQ(0, secel_get_info(fd, &info));
	close(fd);
	close(ctl);
	vse_card_free(c);
}

/*
 * cplc and cin identify one card: root's.  iin and card_data describe the
 * issuer and platform: everyone's, like the rest.
 */
TEST(unprivileged_sysfs_access)
{
	const char *pub[] = { "name", "kind", "transport", "state", "atr",
			      "atr_check", "protocol", "designated", "iin",
			      "card_data" };
	const char *priv[] = { "cplc", "cin" };
	struct vse_card *c = new_listed(_metadata, NULL);
	char buf[256];

	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	for (unsigned int i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
		EXPECT_LE(0, secel_sysfs_read(c->index, pub[i], buf,
					      sizeof(buf)))
			TH_LOG("%s not readable by nobody", pub[i]);
	}
	for (unsigned int i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		EXPECT_EQ(-EACCES, secel_sysfs_read(c->index, priv[i], buf,
						    sizeof(buf)))
			TH_LOG("%s readable by nobody", priv[i]);
	}
	vse_card_free(c);
}

TEST(sysfs_item_modes)
{
	const char *attrs[] = { "cplc", "cin", "iin", "card_data" };
	const unsigned int modes[] = { 0400, 0400, 0444, 0444 };
	struct vse_card *c = new_listed(_metadata, NULL);
	struct stat st;
	char path[128];

	for (unsigned int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), SECEL_CLASS_DIR "/secel%u/%s",
			 c->index, attrs[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(modes[i], st.st_mode & 0777)
			TH_LOG("%s mode %o", attrs[i], st.st_mode & 0777);
	}
	vse_card_free(c);
}

/* GET_ITEM agrees with sysfs: CPLC and CIN need CAP_SYS_ADMIN */
TEST(get_item_private_needs_admin)
{
	const uint32_t priv[] = { SECEL_ITEM_CPLC, SECEL_ITEM_CIN };
	const uint32_t pub[] = { SECEL_ITEM_ATR, SECEL_ITEM_IIN,
				 SECEL_ITEM_CARD_DATA };
	struct vse_card *c = new_listed(_metadata, NULL);
	uint8_t buf[300];
	uint32_t len;
	int fd;

	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	/* root reads them all */
	for (unsigned int i = 0; i < 2; i++) {
		len = sizeof(buf);
		EXPECT_EQ(0, secel_get_item(fd, priv[i], buf, &len))
			TH_LOG("root: item %u", priv[i]);
	}
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	for (unsigned int i = 0; i < 2; i++) {
		len = sizeof(buf);
		EXPECT_EQ(-EPERM, secel_get_item(fd, priv[i], buf, &len))
			TH_LOG("nobody read private item %u", priv[i]);
	}
	for (unsigned int i = 0; i < 3; i++) {
		len = sizeof(buf);
		EXPECT_EQ(0, secel_get_item(fd, pub[i], buf, &len))
			TH_LOG("nobody cannot read public item %u", pub[i]);
	}
	close(fd);
	vse_card_free(c);
}

TEST(unprivileged_open_denied)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/secel%u", c->index);
	fd = secel_open_se(c->index);	/* the node exists */
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	EXPECT_EQ(-1, open(path, O_RDWR));
	EXPECT_EQ(EACCES, errno) TH_LOG("%s mode not 0600 root", path);
	EXPECT_EQ(-1, open(SECEL_CTL_DEV, O_RDWR));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, open(SECEL_VSE_DEV, O_RDWR));
	EXPECT_EQ(EACCES, errno);
	vse_card_free(c);
}

/* ---- virtual SEs may not pose as physical ones by name ---- */

/* setuid() away from root clears every capability: check that it did. */
static void drop_to_nobody(struct __test_metadata *_metadata)
{
	char line[256];
	FILE *f;
	unsigned long long eff = ~0ULL;

	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	ASSERT_NE(0, geteuid());
	f = fopen("/proc/self/status", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	ASSERT_EQ(0, eff & (1ULL << 21)) TH_LOG("CAP_SYS_ADMIN still there");
}

/*
 * SECEL_VSE_IOC_NEW with @prefix on the open /dev/secel-vse @vfd: 0 or
 * -errno.  The SE's name goes to @name (SECEL_NAME_LEN bytes) when not
 * NULL; the SE is unplugged again at once.
 */
static int vse_new_with_prefix(int vfd, const char *prefix, char *name)
{
	struct secel_vse_new r = { .atr_len = 4 };

	memcpy(r.atr, vse_good_atr, 4);
	strncpy(r.name_prefix, prefix, sizeof(r.name_prefix) - 1);
	if (ioctl(vfd, SECEL_VSE_IOC_NEW, &r))
		return -errno;
	if (name)
		memcpy(name, r.name, SECEL_NAME_LEN);
	close(r.fd);
	return 0;
}

TEST(unprivileged_vse_physical_prefix_eperm)
{
	static const char *const prefixes[] = { "SIM", "sim", "Sim", "eSE",
						"ESE", "ese", "SD", "sd",
						"sD" };
	int vfd = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);

	/* a node handed over by root, as a card service would get it */
	ASSERT_LE(0, vfd);
	drop_to_nobody(_metadata);
	for (unsigned int i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		EXPECT_EQ(-EPERM, vse_new_with_prefix(vfd, prefixes[i], NULL))
			TH_LOG("prefix %s", prefixes[i]);
	}
	close(vfd);
}

TEST(unprivileged_vse_other_prefix_allowed)
{
	/* the rule is about whole prefixes: SIMX1 does not pass for SIM1 */
	static const char *const prefixes[] = { "", "VSE", "Foo", "SIMX",
						"eSEx", "SDa", "S" };
	int vfd = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, vfd);
	drop_to_nobody(_metadata);
	for (unsigned int i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		EXPECT_EQ(0, vse_new_with_prefix(vfd, prefixes[i], NULL))
			TH_LOG("prefix \"%s\"", prefixes[i]);
	}
	close(vfd);
}

TEST(root_vse_physical_prefix_allowed)
{
	static const char *const prefixes[] = { "SIM", "eSE", "SD" };
	char name[SECEL_NAME_LEN];
	int vfd = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, vfd);
	for (unsigned int i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		ASSERT_EQ(0, vse_new_with_prefix(vfd, prefixes[i], name))
			TH_LOG("prefix %s", prefixes[i]);
		EXPECT_EQ(0, strncmp(name, prefixes[i], n))
			TH_LOG("prefix %s, name %.16s", prefixes[i], name);
		EXPECT_TRUE(name[n] >= '1' && name[n] <= '9')
			TH_LOG("prefix %s, name %.16s", prefixes[i], name);
	}
	close(vfd);
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
