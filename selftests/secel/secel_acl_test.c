// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: access rules (SECEL_CTL_ACL_SET/GET) -- unprivileged
 * callers allowed and denied per AID, and every way around a rule the
 * core must close: a partial AID, the next occurrence, a SELECT by file
 * identifier or path, the card's own choice after reset or on a new
 * channel, another channel, a second file descriptor, fork, GET RESPONSE
 * from someone else; rules replaced while exchanges run; rules for an SE
 * that is unplugged; root bound by the rules it set.  And the rules of a
 * card's ARA-M (GlobalPlatform SEAC), loaded by secelctl acl load-ara
 * from secel-vcard's ARA-M and enforced per AID, their precedence and
 * APDU filters, bad answers refused with the kernel's rules unchanged.
 *
 * The test's unprivileged callers are forked children that drop to uid
 * TUID (or UUID2) with setgid/setuid, using descriptors root opened: the
 * node itself is root's.  A child reports the first check that failed on
 * stderr and in its exit status; the parent reads the card's log, since
 * the card is served by a thread of the parent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "vse_card.h"

#define WAIT_MS 5000
#define TUID	4242
#define UUID2	4243
#define TGID	4250

static const uint8_t aid_a[] = { 0xf0, 0x53, 0x45, 0x43, 0x45, 0x4c, 0x01 };
static const uint8_t aid_isd[] = { 0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00,
				   0x00 };

/* ---- rules ---- */

static struct secel_acl_rule rule(uint32_t app, const uint8_t *aid,
				  size_t aid_len, uint32_t who, uint32_t id,
				  uint32_t action)
{
	struct secel_acl_rule r;

	memset(&r, 0, sizeof(r));
	r.app = app;
	if (aid_len)
		memcpy(r.aid, aid, aid_len);
	r.aid_len = aid_len;
	r.who = who;
	r.id = id;
	r.action = action;
	return r;
}

static int acl_set(const struct secel_acl_rule *rules, uint32_t n,
		   uint32_t flags, uint32_t *generation)
{
	struct secel_acl_table t = {
		.version = SECEL_ACL_VERSION,
		.rule_size = sizeof(struct secel_acl_rule),
		.rules_ptr = (uintptr_t)rules,
		.count = n,
		.flags = flags,
	};
	int ctl = secel_open_ctl(), ret;

	if (ctl < 0)
		return -errno;
	ret = ioctl(ctl, SECEL_CTL_ACL_SET, &t) ? -errno : 0;
	close(ctl);
	if (!ret && generation)
		*generation = t.generation;
	return ret;
}

static int acl_clear(void)
{
	return acl_set(NULL, 0, 0, NULL);
}

/* root may do anything: its own rule first */
static struct secel_acl_rule root_all(void)
{
	return rule(SECEL_ACL_APP_PREFIX, NULL, 0, SECEL_ACL_WHO_UID, 0,
		    SECEL_ACL_ALLOW);
}

/* ---- the unprivileged side ---- */

#define CK(cond) do {							\
	if (!(cond)) {							\
		fprintf(stderr, "# uid %u: %s:%d: %s failed (errno %s)\n", \
			(unsigned int)geteuid(), __FILE__, __LINE__, #cond, \
			strerror(errno));				\
		return 1;						\
	}								\
} while (0)

/* Send @hex on @ch; 0 with *@sw, or -errno. */
static int tx(int fd, uint32_t ch, const char *hex, uint32_t flags,
	      uint16_t *sw)
{
	uint8_t cmd[300], rsp[600];
	uint32_t rlen = sizeof(rsp);
	size_t n = 0;
	int ret;

	while (hex[0] && hex[1] && n < sizeof(cmd)) {
		unsigned int b;

		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &b) != 1)
			return -EDOM;
		cmd[n++] = b;
		hex += 2;
	}
	ret = secel_transmit(fd, cmd, n, rsp, &rlen, ch, flags);
	if (!ret && sw)
		*sw = rlen >= 2 ? rsp[rlen - 2] << 8 | rsp[rlen - 1] : 0;
	return ret;
}

static int open_ch(int fd, const uint8_t *aid, uint32_t len, uint32_t *ch)
{
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp);

	return secel_open_channel(fd, aid, len, rsp, &rlen, ch);
}

typedef int (*child_fn)(int fd, void *arg);

/* Run @fn in a child as @uid (group TGID); its exit status. */
static int as_user(uid_t uid, child_fn fn, int fd, void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(TGID) || setuid(uid) ||
		    geteuid() != uid)
			_exit(99);
		_exit(fn(fd, arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Did the card ever see a command whose bytes from INS on are @tail? */
static bool card_saw(struct vse_card *card, const uint8_t *tail, size_t n)
{
	uint8_t buf[600];
	unsigned int i, count = vse_card_log_count(card);

	for (i = 0; i < count; i++) {
		int len = vse_card_log_get(card, i, buf, sizeof(buf));

		if (len > (int)n && !memcmp(buf + 1, tail, n))
			return true;
	}
	return false;
}

FIXTURE(acl) {
	struct vse_card *card;
	int fd;
};

FIXTURE_SETUP(acl)
{
	self->fd = -1;
	ASSERT_EQ(0, acl_clear());
	self->card = vse_card_new_open(NULL, &self->fd, WAIT_MS);
	ASSERT_NE(NULL, self->card) TH_LOG("a listed SE: %s", strerror(errno));
}

FIXTURE_TEARDOWN(acl)
{
	acl_clear();
	if (self->fd >= 0)
		close(self->fd);
	vse_card_free(self->card);
}

/* TUID may reach application A, root anything, nobody else anything. */
static int set_a_for_tuid(void)
{
	struct secel_acl_rule r[2] = {
		root_all(),
		rule(SECEL_ACL_APP_AID, aid_a, sizeof(aid_a),
		     SECEL_ACL_WHO_UID, TUID, SECEL_ACL_ALLOW),
	};

	return acl_set(r, 2, 0, NULL);
}

static int child_denied_once(int fd, void *arg)
{
	CK(tx(fd, 0, "00 A4 04 00 08 A000000151000000 00", 0, NULL) ==
	   -EACCES);
	return 0;
}

/*
 * The kernel log names the caller, the SE and the AID of a refusal.  First
 * in the file: the log is rate-limited, and the later tests refuse a lot.
 */
TEST_F(acl, refusal_is_logged)
{
	char want[128], line[512];
	struct secel_info info;
	bool found = false;
	ssize_t n;
	int kmsg;

	ASSERT_EQ(0, secel_get_info(self->fd, &info));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, kmsg);
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	ASSERT_EQ(0, set_a_for_tuid());
	ASSERT_EQ(0, as_user(TUID, child_denied_once, self->fd, NULL));
	snprintf(want, sizeof(want), "access denied: uid %u ", TUID);
	while ((n = read(kmsg, line, sizeof(line) - 1)) > 0 || errno == EPIPE) {
		if (n <= 0)
			continue;
		line[n] = '\0';
		if (strstr(line, want) && strstr(line, info.name) &&
		    strstr(line, "a000000151000000")) {
			found = true;
			break;
		}
	}
	close(kmsg);
	EXPECT_TRUE(found) TH_LOG("no '%s... %s ... a000000151000000' in the kernel log",
				  want, info.name);
}

static int child_allowed_and_denied(int fd, void *arg)
{
	uint32_t ch = 0;
	uint16_t sw = 0;

	/* A on a new channel, and a command to it */
	CK(open_ch(fd, aid_a, sizeof(aid_a), &ch) == 0);
	CK(tx(fd, ch, "80 10 00 00 02 CA FE", 0, &sw) == 0 && sw == 0x9000);
	/* the ISD: refused before MANAGE CHANNEL */
	CK(open_ch(fd, aid_isd, sizeof(aid_isd), &ch) == -EACCES);
	/* the same on the basic channel */
	CK(tx(fd, 0, "00 A4 04 00 08 A000000151000000 00", 0, NULL) ==
	   -EACCES);
	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, &sw) == 0 &&
	   sw == 0x9000);
	CK(tx(fd, 0, "80 10 00 00 01 11", 0, &sw) == 0 && sw == 0x9000);
	return 0;
}

TEST_F(acl, allowed_and_denied_per_aid)
{
	static const uint8_t manage_open[] = { 0x70, 0x00, 0x00, 0x01 };
	static const uint8_t sel_isd[] = { 0xa4, 0x04, 0x00, 0x08, 0xa0 };
	struct secel_acl_rule r;
	uint32_t ch;

	ASSERT_EQ(0, set_a_for_tuid());
	ASSERT_EQ(0, as_user(TUID, child_allowed_and_denied, self->fd, NULL));
	EXPECT_FALSE(card_saw(self->card, sel_isd, sizeof(sel_isd)))
		TH_LOG("a refused SELECT reached the card");
	/* one MANAGE CHANNEL open: A's; none for the refused ISD */
	vse_card_clear_log(self->card);
	ASSERT_EQ(0, as_user(TUID, child_allowed_and_denied, self->fd, NULL));
	EXPECT_EQ(1, vse_card_log_find_ins(self->card, 0, 0x70) >= 0 &&
		  card_saw(self->card, manage_open, sizeof(manage_open)));

	/* another uid gets nothing */
	EXPECT_NE(0, as_user(UUID2, child_allowed_and_denied, self->fd, NULL));
	/* the group rule lets UUID2 in through TGID */
	r = rule(SECEL_ACL_APP_AID, aid_a, sizeof(aid_a), SECEL_ACL_WHO_GID,
		 TGID, SECEL_ACL_ALLOW);
	ASSERT_EQ(0, acl_set(&r, 1, 0, NULL));
	EXPECT_EQ(0, as_user(UUID2, child_allowed_and_denied, self->fd, NULL));
	/* no rules: everything as before */
	ASSERT_EQ(0, acl_clear());
	EXPECT_EQ(0, open_ch(self->fd, aid_isd, sizeof(aid_isd), &ch));
}

static int child_partial_next(int fd, void *arg)
{
	uint32_t ch = 0;
	uint16_t sw;

	/* partial A, first occurrence: could be any F0534543454C.. */
	CK(tx(fd, 0, "00 A4 04 00 06 F0534543454C 00", 0, NULL) == -EACCES);
	CK(open_ch(fd, aid_a, 6, &ch) == -EACCES);
	/* A itself, next occurrence: the next beginning with A */
	CK(tx(fd, 0, "00 A4 04 02 07 F0534543454C01 00", 0, NULL) ==
	   -EACCES);
	/* chaining: the last piece alone names A */
	CK(tx(fd, 0, "10 A4 04 00 03 F05345", 0, NULL) == -EACCES);
	/* secure messaging: the data field is no plain AID */
	CK(tx(fd, 0, "0C A4 04 00 07 F0534543454C01 00", 0, NULL) == -EACCES);
	/* A in full, first occurrence: allowed */
	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, &sw) == 0 &&
	   sw == 0x9000);
	return 0;
}

static int child_partial_of_denied(int fd, void *arg)
{
	/* a prefix of the denied ISD could select it */
	CK(tx(fd, 0, "00 A4 04 00 05 A000000151 00", 0, NULL) == -EACCES);
	/* another A0 application: allowed (the card has none) */
	CK(tx(fd, 0, "00 A4 04 00 08 A000000152000000 00", 0, NULL) == 0);
	return 0;
}

TEST_F(acl, partial_aid_and_next_occurrence_refused)
{
	static const uint8_t sel_partial[] = { 0xa4, 0x04, 0x00, 0x06 };
	static const uint8_t sel_next[] = { 0xa4, 0x04, 0x02 };
	static const uint8_t sel_isd5[] = { 0xa4, 0x04, 0x00, 0x05 };
	struct secel_acl_rule r[3];

	ASSERT_EQ(0, set_a_for_tuid());
	ASSERT_EQ(0, as_user(TUID, child_partial_next, self->fd, NULL));
	EXPECT_FALSE(card_saw(self->card, sel_partial, sizeof(sel_partial)));
	EXPECT_FALSE(card_saw(self->card, sel_next, sizeof(sel_next)));
	EXPECT_EQ(-1, vse_card_log_find_ins(self->card, 0, 0x70));

	r[0] = root_all();
	r[1] = rule(SECEL_ACL_APP_AID, aid_isd, sizeof(aid_isd),
		    SECEL_ACL_WHO_UID, TUID, SECEL_ACL_DENY);
	r[2] = rule(SECEL_ACL_APP_PREFIX, aid_isd, 1, SECEL_ACL_WHO_UID, TUID,
		    SECEL_ACL_ALLOW);
	ASSERT_EQ(0, acl_set(r, 3, 0, NULL));
	ASSERT_EQ(0, as_user(TUID, child_partial_of_denied, self->fd, NULL));
	EXPECT_FALSE(card_saw(self->card, sel_isd5, sizeof(sel_isd5)));
}

static int child_by_path(int fd, void *arg)
{
	uint16_t sw;

	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, &sw) == 0 &&
	   sw == 0x9000);
	/* an EF of the current DF stays in A: the card's answer comes */
	CK(tx(fd, 0, "00 A4 02 0C 02 0101", 0, &sw) == 0 && sw == 0x6a86);
	/* MF, a DF by identifier, a path, a parent: may leave A */
	CK(tx(fd, 0, "00 A4 00 0C 02 3F00", 0, NULL) == -EACCES);
	CK(tx(fd, 0, "00 A4 01 0C 02 DF01", 0, NULL) == -EACCES);
	CK(tx(fd, 0, "00 A4 08 0C 04 7FFF 0101", 0, NULL) == -EACCES);
	CK(tx(fd, 0, "00 A4 03 0C", 0, NULL) == -EACCES);
	/* and the default application, named by no AID */
	CK(tx(fd, 0, "00 A4 04 00 00", 0, NULL) == -EACCES);
	/* still in A */
	CK(tx(fd, 0, "80 10 00 00 01 22", 0, &sw) == 0 && sw == 0x9000);
	return 0;
}

TEST_F(acl, select_by_path_refused)
{
	static const uint8_t ef[] = { 0xa4, 0x02, 0x0c };
	static const uint8_t mf[] = { 0xa4, 0x00 };
	static const uint8_t path[] = { 0xa4, 0x08 };

	ASSERT_EQ(0, set_a_for_tuid());
	ASSERT_EQ(0, as_user(TUID, child_by_path, self->fd, NULL));
	EXPECT_TRUE(card_saw(self->card, ef, sizeof(ef)));
	EXPECT_FALSE(card_saw(self->card, mf, sizeof(mf)));
	EXPECT_FALSE(card_saw(self->card, path, sizeof(path)));
}

static int child_implicit(int fd, void *arg)
{
	uint32_t ch = 0;

	/* whatever the card selected itself is unknown: refused */
	CK(tx(fd, 0, "80 10 00 00 01 33", 0, NULL) == -EACCES);
	CK(open_ch(fd, NULL, 0, &ch) == -EACCES);
	return 0;
}

static int child_select_a(int fd, void *arg)
{
	uint16_t sw;

	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, &sw) == 0 &&
	   sw == 0x9000);
	CK(tx(fd, 0, "80 10 00 00 01 44", 0, &sw) == 0 && sw == 0x9000);
	return 0;
}

TEST_F(acl, implicit_selection_after_reset_and_new_channel)
{
	static const uint8_t echo33[] = { 0x10, 0x00, 0x00, 0x01, 0x33 };
	struct secel_reset rs = { 0 };

	ASSERT_EQ(0, set_a_for_tuid());
	/* after verification the core's own SELECTs left the card's choice */
	ASSERT_EQ(0, as_user(TUID, child_implicit, self->fd, NULL));
	ASSERT_EQ(0, as_user(TUID, child_select_a, self->fd, NULL));
	/* a reset puts the card's default application back */
	ASSERT_EQ(0, ioctl(self->fd, SECEL_IOC_RESET, &rs));
	ASSERT_EQ(0, as_user(TUID, child_implicit, self->fd, NULL));
	EXPECT_FALSE(card_saw(self->card, echo33, sizeof(echo33)));
	EXPECT_EQ(-1, vse_card_log_find_ins(self->card, 0, 0x70));
}

static int child_other_ways(int fd, void *arg)
{
	int fd2 = *(int *)arg;
	uint32_t ch = 0;
	uint16_t sw;

	/* root selected the ISD on the basic channel: not through fd ... */
	CK(tx(fd, 0, "80 CA 00 66 00", 0, NULL) == -EACCES);
	/* ... nor through a second descriptor */
	CK(tx(fd2, 0, "80 CA 00 66 00", 0, NULL) == -EACCES);
	/* A on its own channel works, and the basic channel stays refused */
	CK(open_ch(fd2, aid_a, sizeof(aid_a), &ch) == 0);
	CK(tx(fd2, ch, "80 10 00 00 01 55", 0, &sw) == 0 && sw == 0x9000);
	CK(tx(fd2, 0, "80 10 00 00 01 66", 0, NULL) == -EACCES);
	CK(tx(fd, 0, "80 10 00 00 01 66", 0, NULL) == -EACCES);
	/* a grandchild of the same uid fares no better */
	if (!fork())
		_exit(tx(fd, 0, "80 10 00 00 01 66", 0, NULL) == -EACCES ? 0 : 1);
	{
		int st;

		CK(wait(&st) > 0 && WIFEXITED(st) && !WEXITSTATUS(st));
	}
	return 0;
}

TEST_F(acl, another_channel_fd_and_fork_refused)
{
	static const uint8_t echo66[] = { 0x10, 0x00, 0x00, 0x01, 0x66 };
	static const uint8_t getdata[] = { 0xca, 0x00, 0x66 };
	uint16_t sw = 0;
	int fd2;

	ASSERT_EQ(0, set_a_for_tuid());
	ASSERT_EQ(0, tx(self->fd, 0, "00 A4 04 00 08 A000000151000000 00", 0,
			&sw));
	ASSERT_EQ(0x9000, sw);
	fd2 = secel_open_se(self->card->index);
	ASSERT_LE(0, fd2);
	vse_card_clear_log(self->card);
	EXPECT_EQ(0, as_user(TUID, child_other_ways, self->fd, &fd2));
	EXPECT_FALSE(card_saw(self->card, echo66, sizeof(echo66)));
	EXPECT_FALSE(card_saw(self->card, getdata, sizeof(getdata)));
	/* root, with its rule, still reaches the ISD */
	EXPECT_EQ(0, tx(self->fd, 0, "80 CA 00 66 00", 0, &sw));
	close(fd2);
}

static int child_filtered(int fd, void *arg)
{
	uint16_t sw;

	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, &sw) == 0 &&
	   sw == 0x9000);
	/* CHAINED passes the filter; ECHO does not */
	CK(tx(fd, 0, "80 20 01 00 00", SECEL_TX_RAW, &sw) == 0 &&
	   (sw >> 8) == 0x61);
	CK(tx(fd, 0, "80 10 00 00 01 77", 0, NULL) == -EACCES);
	/*
	 * A refused command is no exchange: the 61xx is still the caller's,
	 * and GET RESPONSE, which the filter does not name, continues it.
	 */
	CK(tx(fd, 0, "00 C0 00 00 00", SECEL_TX_RAW, &sw) == 0 &&
	   sw == 0x9000);
	/* a fresh 61xx for the next caller */
	CK(tx(fd, 0, "80 20 01 00 00", SECEL_TX_RAW, &sw) == 0 &&
	   (sw >> 8) == 0x61);
	return 0;
}

static int child_steals_response(int fd, void *arg)
{
	/* UUID2 may not continue TUID's exchange */
	CK(tx(fd, 0, "00 C0 00 00 00", SECEL_TX_RAW, NULL) == -EACCES);
	return 0;
}

TEST_F(acl, filter_and_get_response)
{
	static const uint8_t echo77[] = { 0x10, 0x00, 0x00, 0x01, 0x77 };
	struct secel_acl_rule r[2];

	r[0] = root_all();
	r[1] = rule(SECEL_ACL_APP_AID, aid_a, sizeof(aid_a),
		    SECEL_ACL_WHO_UID, TUID, SECEL_ACL_FILTER);
	r[1].nr_filters = 1;
	memcpy(r[1].filters[0].header, "\x80\x20\x00\x00", 4);
	memcpy(r[1].filters[0].mask, "\xff\xff\x00\x00", 4);
	ASSERT_EQ(0, acl_set(r, 2, 0, NULL));
	ASSERT_EQ(0, as_user(TUID, child_filtered, self->fd, NULL));
	EXPECT_FALSE(card_saw(self->card, echo77, sizeof(echo77)));
	vse_card_clear_log(self->card);
	ASSERT_EQ(0, as_user(UUID2, child_steals_response, self->fd, NULL));
	EXPECT_EQ(-1, vse_card_log_find_ins(self->card, 0, 0xc0));
}

static int child_takes_kept(int fd, void *arg)
{
	struct secel_transmit t = { .flags = SECEL_TX_KEPT };
	uint8_t rsp[300];

	t.rsp_ptr = (uintptr_t)rsp;
	t.rsp_len = sizeof(rsp);
	/* root's answer, kept on the shared file: not for TUID */
	CK(ioctl(fd, SECEL_IOC_TRANSMIT, &t) == -1 && errno == EACCES);
	return 0;
}

TEST_F(acl, kept_response_stays_with_its_caller)
{
	static const uint8_t give[] = { 0x80, VSE_INS_GIVE, 0x00, 0x00, 0x40 };
	uint8_t rsp[300];
	uint32_t rlen = 8;

	ASSERT_EQ(0, set_a_for_tuid());
	/* 64 bytes and SW into 8: EMSGSIZE, the file keeps the answer */
	ASSERT_EQ(-EMSGSIZE, secel_transmit(self->fd, give, sizeof(give), rsp,
					    &rlen, 0, 0));
	ASSERT_EQ(66, rlen);
	EXPECT_EQ(0, as_user(TUID, child_takes_kept, self->fd, NULL));
	/* still there for root */
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_transmit(self->fd, NULL, 0, rsp, &rlen, 0,
				    SECEL_TX_KEPT));
	EXPECT_EQ(66, rlen);
}

static int child_envelope(int fd, void *arg)
{
	uint16_t sw;

	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, &sw) == 0 &&
	   sw == 0x9000);
	/* one ENVELOPE to A: it may have carried a SELECT ... */
	CK(tx(fd, 0, "00 C2 00 00 02 AABB", 0, NULL) == 0);
	/* ... so the next one, and any command, reach an unknown one */
	CK(tx(fd, 0, "00 C2 00 00 02 CCDD", 0, NULL) == -EACCES);
	CK(tx(fd, 0, "80 10 00 00 01 99", 0, NULL) == -EACCES);
	return 0;
}

TEST_F(acl, envelope_leaves_the_application_unknown)
{
	static const uint8_t env2[] = { 0xc2, 0x00, 0x00, 0x02, 0xcc };

	ASSERT_EQ(0, set_a_for_tuid());
	ASSERT_EQ(0, as_user(TUID, child_envelope, self->fd, NULL));
	EXPECT_FALSE(card_saw(self->card, env2, sizeof(env2)));
}

/* The card answers SELECT of F0534543454C02 with 61 10 (FCI to fetch). */
static int hook_select_61xx(struct vse_card *card, const uint8_t *cmd,
			    size_t len, uint8_t *rsp, size_t rsp_size,
			    void *arg)
{
	if (len >= 12 && cmd[1] == 0xa4 && cmd[2] == 0x04 && cmd[4] == 7 &&
	    !memcmp(cmd + 5, "\xf0\x53\x45\x43\x45\x4c\x02", 7)) {
		rsp[0] = 0x61;
		rsp[1] = 0x10;
		return 2;
	}
	return 0;
}

static int child_select_raw_61xx(int fd, void *arg)
{
	uint16_t sw;

	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, &sw) == 0 &&
	   sw == 0x9000);
	CK(tx(fd, 0, "80 10 00 00 01 11", 0, &sw) == 0 && sw == 0x9000);
	/*
	 * 61xx: the card selected something beginning F0534543454C02 and
	 * has not said what; A is no longer the application
	 */
	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C02 00", SECEL_TX_RAW, &sw) ==
	   0 && sw == 0x6110);
	CK(tx(fd, 0, "80 10 00 00 01 12", 0, NULL) == -EACCES);
	return 0;
}

TEST(select_answered_61xx_changes_the_application)
{
	static const uint8_t aid_b2[] = { 0xf0, 0x53, 0x45, 0x43, 0x45, 0x4c,
					  0x02 };
	struct vse_card_opts o = { .hook = hook_select_61xx };
	struct secel_acl_rule r[3] = {
		root_all(),
		rule(SECEL_ACL_APP_AID, aid_a, sizeof(aid_a),
		     SECEL_ACL_WHO_UID, TUID, SECEL_ACL_ALLOW),
		rule(SECEL_ACL_APP_AID, aid_b2, sizeof(aid_b2),
		     SECEL_ACL_WHO_UID, TUID, SECEL_ACL_ALLOW),
	};
	struct vse_card *card;
	int fd;

	card = vse_card_new_open(&o, &fd, WAIT_MS);
	ASSERT_NE(NULL, card) TH_LOG("a listed SE: %s", strerror(errno));
	ASSERT_EQ(0, acl_set(r, 3, 0, NULL));
	EXPECT_EQ(0, as_user(TUID, child_select_raw_61xx, fd, NULL));
	EXPECT_EQ(0, acl_clear());
	close(fd);
	vse_card_free(card);
}

/*
 * A signal in the middle of an ACL-checked exchange.  The card takes
 * 1.5 s to answer 80 12 00 00 01 DD and says when it has started, so
 * that the SIGKILL lands while the exchange is in flight.
 */
static int hook_slow_dd(struct vse_card *card, const uint8_t *cmd,
			size_t len, uint8_t *rsp, size_t rsp_size, void *arg)
{
	volatile int *entered = arg;

	if (len >= 6 && cmd[1] == 0x12 && cmd[4] == 1 && cmd[5] == 0xdd) {
		*entered = 1;
		usleep(1500 * 1000);
		rsp[0] = 0x90;
		rsp[1] = 0x00;
		return 2;
	}
	return 0;
}

/* As TUID, on a file of its own: A on a channel, then the slow APDU. */
static int child_killed_mid_exchange(int fd, int pipe_w)
{
	uint32_t ch = 0;
	uint16_t sw;

	CK(open_ch(fd, aid_a, sizeof(aid_a), &ch) == 0);
	CK(tx(fd, ch, "80 10 00 00 01 77", 0, &sw) == 0 && sw == 0x9000);
	CK(write(pipe_w, &ch, sizeof(ch)) == sizeof(ch));
	tx(fd, ch, "80 12 00 00 01 DD", 0, &sw);
	return 3;	/* the kill comes first */
}

/* On root's channel of the same number: the card's choice, not A. */
static int child_reused_channel(int fd, void *arg)
{
	uint32_t ch = *(uint32_t *)arg;

	CK(tx(fd, ch, "80 10 00 00 01 99", 0, NULL) == -EACCES);
	return 0;
}

/* Did the card see MANAGE CHANNEL close of @ch? */
static bool card_saw_close(struct vse_card *card, uint32_t ch)
{
	const uint8_t close_ch[] = { 0x70, 0x80, (uint8_t)ch };

	return card_saw(card, close_ch, sizeof(close_ch));
}

TEST(killed_mid_exchange_leaves_no_application)
{
	static const uint8_t echo99[] = { 0x10, 0x00, 0x00, 0x01, 0x99 };
	static volatile int entered;
	struct vse_card_opts o = {
		.hook = hook_slow_dd,
		.hook_arg = (void *)&entered,
	};
	struct secel_acl_rule r[2] = {
		root_all(),
		rule(SECEL_ACL_APP_AID, aid_a, sizeof(aid_a),
		     SECEL_ACL_WHO_UID, TUID, SECEL_ACL_ALLOW),
	};
	uint32_t ch = 0, ch2 = 0;
	struct vse_card *card;
	int fd, fd2, pfd[2], st, i;
	pid_t pid;

	card = vse_card_new_open(&o, &fd, WAIT_MS);
	ASSERT_NE(NULL, card) TH_LOG("a listed SE: %s", strerror(errno));
	ASSERT_EQ(0, acl_set(r, 2, 0, NULL));
	ASSERT_EQ(0, pipe(pfd));
	/* the child's file is its own: its channels go when it dies */
	fd2 = secel_open_se(card->index);
	ASSERT_LE(0, fd2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pfd[0]);
		close(fd);
		if (setgroups(0, NULL) || setgid(TGID) || setuid(TUID) ||
		    geteuid() != TUID)
			_exit(99);
		_exit(child_killed_mid_exchange(fd2, pfd[1]));
	}
	close(fd2);
	close(pfd[1]);
	ASSERT_EQ((ssize_t)sizeof(ch), read(pfd[0], &ch, sizeof(ch)))
		TH_LOG("the child did not get A on a channel");
	close(pfd[0]);
	for (i = 0; i < 500 && !entered; i++)
		usleep(10 * 1000);
	ASSERT_TRUE(entered) TH_LOG("the slow APDU never reached the card");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		TH_LOG("child status %#x", st);
	/* the core closes the dead file's channel once the card answers */
	for (i = 0; i < 1000 && !card_saw_close(card, ch); i++)
		usleep(10 * 1000);
	EXPECT_TRUE(card_saw_close(card, ch))
		TH_LOG("no MANAGE CHANNEL close of channel %u", ch);
	/*
	 * Root opens a channel without an AID and gets the same number back:
	 * whatever the card selected there is unknown, so TUID, allowed A
	 * only, is refused on it; A of the dead process is not inherited.
	 */
	ASSERT_EQ(0, open_ch(fd, NULL, 0, &ch2));
	EXPECT_EQ(ch, ch2);
	vse_card_clear_log(card);
	EXPECT_EQ(0, as_user(TUID, child_reused_channel, fd, &ch2));
	EXPECT_FALSE(card_saw(card, echo99, sizeof(echo99)));
	EXPECT_EQ(0, secel_close_channel(fd, ch2));
	EXPECT_EQ(0, acl_clear());
	close(fd);
	vse_card_free(card);
}

struct flip {
	int fd;
	volatile bool stop;
	unsigned long flips;
	int err;
};

static void *flipper(void *arg)
{
	struct flip *f = arg;
	struct secel_acl_rule r[2] = {
		root_all(),
		rule(SECEL_ACL_APP_AID, aid_a, sizeof(aid_a),
		     SECEL_ACL_WHO_UID, TUID, SECEL_ACL_ALLOW),
	};

	while (!f->stop && !f->err) {
		r[1].action = f->flips & 1 ? SECEL_ACL_ALLOW : SECEL_ACL_DENY;
		f->err = acl_set(r, 2, f->flips & 2 ? SECEL_ACL_DEFAULT_ALLOW :
						      0, NULL);
		f->flips++;
		/* room for exchanges between the tables: both kinds happen */
		usleep(2000);
	}
	return NULL;
}

static int child_in_flight(int fd, void *arg)
{
	unsigned int i, ok = 0, refused = 0;
	uint32_t ch;
	uint16_t sw;
	int ret;

	for (i = 0; i < 300; i++) {
		ret = open_ch(fd, aid_a, sizeof(aid_a), &ch);
		if (ret == -EACCES) {
			/* a refusal is instant: wait for other tables */
			refused++;
			usleep(3000);
			continue;
		}
		CK(ret == 0);
		ret = tx(fd, ch, "80 12 00 00 01 88", 0, &sw);
		CK(ret == 0 || ret == -EACCES);
		CK(ret || sw == 0x9000);
		ok += !ret;
		refused += !!ret;
		CK(secel_close_channel(fd, ch) == 0);
	}
	fprintf(stderr, "# %u exchanges through, %u refused\n", ok, refused);
	return 0;
}

TEST_F(acl, rules_replaced_while_exchanges_run)
{
	struct flip f = { .fd = self->fd };
	pthread_t th;
	uint32_t gen0, gen1;

	ASSERT_EQ(0, set_a_for_tuid());
	ASSERT_EQ(0, acl_set(NULL, 0, 0, &gen0));
	ASSERT_EQ(0, pthread_create(&th, NULL, flipper, &f));
	EXPECT_EQ(0, as_user(TUID, child_in_flight, self->fd, NULL));
	f.stop = true;
	pthread_join(th, NULL);
	EXPECT_EQ(0, f.err);
	EXPECT_LT(10, f.flips);
	/* the last table is the one in force */
	ASSERT_EQ(0, set_a_for_tuid());
	EXPECT_EQ(0, as_user(TUID, child_select_a, self->fd, NULL));
	ASSERT_EQ(0, acl_set(NULL, 0, 0, &gen1));
	EXPECT_LT(gen0 + f.flips, gen1);
}

TEST_F(acl, rules_for_an_unplugged_se)
{
	struct secel_acl_rule r[2];
	struct secel_info info;
	struct vse_card *again;
	int fd;

	ASSERT_EQ(0, secel_get_info(self->fd, &info));
	r[0] = root_all();
	r[1] = rule(SECEL_ACL_APP_AID, aid_a, sizeof(aid_a),
		    SECEL_ACL_WHO_UID, TUID, SECEL_ACL_ALLOW);
	r[0].se_match = r[1].se_match = SECEL_ACL_SE_NAME;
	strcpy(r[0].se_name, info.name);
	strcpy(r[1].se_name, info.name);
	ASSERT_EQ(0, acl_set(r, 2, 0, NULL));
	vse_card_unplug(self->card);
	close(self->fd);
	self->fd = -1;
	/* the SE is gone: the rules stay, and can be replaced */
	ASSERT_EQ(0, acl_set(r, 2, 0, NULL));
	/* a card plugged in under the same name is bound by them */
	again = vse_card_new(NULL);
	ASSERT_NE(NULL, again);
	ASSERT_TRUE(secel_wait_state(again->index, "listed", WAIT_MS));
	fd = secel_open_se(again->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	if (!strcmp(info.name, r[1].se_name)) {
		EXPECT_EQ(0, as_user(TUID, child_implicit, fd, NULL));
		EXPECT_EQ(0, as_user(TUID, child_select_a, fd, NULL));
	} else {
		/* named otherwise: no rule for it, all allowed */
		EXPECT_NE(0, as_user(TUID, child_implicit, fd, NULL));
	}
	close(fd);
	vse_card_free(again);
}

TEST_F(acl, root_is_bound_by_its_rules)
{
	struct secel_acl_rule r = rule(SECEL_ACL_APP_AID, aid_isd,
				       sizeof(aid_isd), SECEL_ACL_WHO_UID, 0,
				       SECEL_ACL_DENY);
	uint16_t sw = 0;

	ASSERT_EQ(0, acl_set(&r, 1, SECEL_ACL_DEFAULT_ALLOW, NULL));
	EXPECT_EQ(-EACCES, tx(self->fd, 0,
			      "00 A4 04 00 08 A000000151000000 00", 0, NULL));
	/* what no rule decides is allowed here */
	EXPECT_EQ(0, tx(self->fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0,
			&sw));
	EXPECT_EQ(0x9000, sw);
	/* but root may change the rules: this guards against mistakes */
	ASSERT_EQ(0, acl_clear());
	EXPECT_EQ(0, tx(self->fd, 0, "00 A4 04 00 08 A000000151000000 00", 0,
			&sw));
}

static int child_ctl(int fd, void *arg)
{
	struct secel_acl_table t = {
		.version = SECEL_ACL_VERSION,
		.rule_size = sizeof(struct secel_acl_rule),
	};
	int ctl = *(int *)arg;

	CK(ioctl(ctl, SECEL_CTL_ACL_SET, &t) == -1 && errno == EPERM);
	/* reading the rules is an audit, open to whoever has the node */
	CK(ioctl(ctl, SECEL_CTL_ACL_GET, &t) == 0 && t.count == 2);
	return 0;
}

TEST_F(acl, ctl_abi)
{
	struct secel_acl_rule r[3], out[3];
	struct secel_acl_table t;
	uint32_t gen;
	int ctl = secel_open_ctl();

	ASSERT_LE(0, ctl);
	r[0] = root_all();
	r[1] = rule(SECEL_ACL_APP_NONE, NULL, 0, SECEL_ACL_WHO_ANY, 0,
		    SECEL_ACL_DENY);
	ASSERT_EQ(0, acl_set(r, 2, SECEL_ACL_DEFAULT_ALLOW, &gen));

	/* listed back as set */
	memset(&t, 0, sizeof(t));
	t.version = SECEL_ACL_VERSION;
	t.rule_size = sizeof(struct secel_acl_rule);
	t.rules_ptr = (uintptr_t)out;
	t.count = 1;		/* room for one: told there are two */
	ASSERT_EQ(0, ioctl(ctl, SECEL_CTL_ACL_GET, &t));
	EXPECT_EQ(2, t.count);
	EXPECT_EQ(SECEL_ACL_DEFAULT_ALLOW, t.flags);
	EXPECT_EQ(gen, t.generation);
	EXPECT_EQ(0, memcmp(&r[0], &out[0], sizeof(r[0])));
	t.count = 3;
	t.flags = 0;
	t.generation = 0;
	ASSERT_EQ(0, ioctl(ctl, SECEL_CTL_ACL_GET, &t));
	EXPECT_EQ(0, memcmp(r, out, 2 * sizeof(r[0])));

	/* another format: EPROTO with the kernel's */
	memset(&t, 0, sizeof(t));
	t.version = 99;
	t.rule_size = sizeof(struct secel_acl_rule);
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_ACL_SET, &t));
	EXPECT_EQ(EPROTO, errno);
	EXPECT_EQ(SECEL_ACL_VERSION, t.version);
	t.rule_size = 12;
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_ACL_GET, &t));
	EXPECT_EQ(EPROTO, errno);
	EXPECT_EQ(sizeof(struct secel_acl_rule), t.rule_size);

	/* a bad rule among good ones: EINVAL, the table untouched */
	r[2] = r[1];
	r[2].reserved[0] = 1;
	EXPECT_EQ(-EINVAL, acl_set(r, 3, 0, NULL));
	r[2] = r[1];
	r[2].aid_len = 3;	/* none has no AID */
	EXPECT_EQ(-EINVAL, acl_set(r, 3, 0, NULL));
	r[2] = rule(SECEL_ACL_APP_AID, aid_a, 4, SECEL_ACL_WHO_ANY, 0,
		    SECEL_ACL_ALLOW);
	EXPECT_EQ(-EINVAL, acl_set(r, 3, 0, NULL));
	EXPECT_EQ(-EINVAL, acl_set(r, 2, 0x2, NULL));
	EXPECT_EQ(-E2BIG, acl_set(r, SECEL_ACL_MAX_RULES + 1, 0, NULL));
	memset(&t, 0, sizeof(t));
	t.version = SECEL_ACL_VERSION;
	t.rule_size = sizeof(struct secel_acl_rule);
	t.count = 1;
	t.rules_ptr = 8;	/* unmapped */
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_ACL_SET, &t));
	EXPECT_EQ(EFAULT, errno);
	memset(&t, 0, sizeof(t));
	t.version = SECEL_ACL_VERSION;
	t.rule_size = sizeof(struct secel_acl_rule);
	ASSERT_EQ(0, ioctl(ctl, SECEL_CTL_ACL_GET, &t));
	EXPECT_EQ(2, t.count);
	EXPECT_EQ(gen, t.generation);

	/* not root: no SET */
	EXPECT_EQ(0, as_user(TUID, child_ctl, self->fd, &ctl));
	close(ctl);
}

/* ---- acl load-ara: the rules of secel-vcard's ARA-M ---- */

/* certificate hashes of two device applications, mapped to TUID, UUID2 */
#define ARA_H1	"1111111111111111111111111111111111111111"
#define ARA_H2	"2222222222222222222222222222222222222222222222222222222222222222"
#define ARA_A	"F0534543454C01"		/* the test applet */
#define ARA_ISD	"A000000151000000"

FIXTURE(ara) {
	char dir[64];
	char tools[PATH_MAX];
	pid_t pid;
	unsigned int index;
	char name[SECEL_NAME_LEN];
	int fd;
};

static void ara_write(const char *dir, const char *file, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Start secel-vcard with @ara as its --ara-rules file (NULL: no ARA-M). */
static int ara_card(FIXTURE_DATA(ara) *self, const char *ara)
{
	char vcard[PATH_MAX + 64], ready[128], rules[128], line[64];
	FILE *f;
	int i;

	snprintf(vcard, sizeof(vcard), "%s/secel-vcard/secel-vcard",
		 self->tools);
	snprintf(ready, sizeof(ready), "%s/ready", self->dir);
	snprintf(rules, sizeof(rules), "%s/ara", self->dir);
	if (ara)
		ara_write(self->dir, "ara", ara);
	unlink(ready);
	self->pid = fork();
	if (self->pid < 0)
		return -1;
	if (!self->pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		if (ara)
			execl(vcard, vcard, "--name", "ARA", "--ready-file",
			      ready, "--ara-rules", rules, (char *)NULL);
		else
			execl(vcard, vcard, "--name", "ARA", "--ready-file",
			      ready, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		f = fopen(ready, "r");
		if (f) {
			if (fgets(line, sizeof(line), f) &&
			    sscanf(line, "secel%u %15s", &self->index,
				   self->name) == 2) {
				fclose(f);
				if (!secel_wait_state(self->index, "listed",
						      WAIT_MS))
					return -1;
				self->fd = secel_open_se(self->index);
				return self->fd < 0 ? -1 : 0;
			}
			fclose(f);
		}
		usleep(50000);
	}
	return -1;
}

static void ara_stop(FIXTURE_DATA(ara) *self)
{
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	if (self->pid > 0) {
		kill(self->pid, SIGTERM);
		waitpid(self->pid, NULL, 0);
	}
	self->pid = 0;
}

/*
 * Run "secelctl ARGS..." (NULL-terminated), stdout and stderr into
 * DIR/out; its exit status, and the output in @out.
 */
static int ara_ctl(FIXTURE_DATA(ara) *self, char *out, size_t room, ...)
{
	char exe[PATH_MAX + 64], path[128];
	const char *argv[16];
	int status, n = 0, fd;
	ssize_t len;
	va_list ap;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/secelctl/secelctl", self->tools);
	snprintf(path, sizeof(path), "%s/out", self->dir);
	argv[n++] = exe;
	va_start(ap, room);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(exe, (char **)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	out[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		len = read(fd, out, room - 1);
		out[len > 0 ? len : 0] = '\0';
		close(fd);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* secelctl acl load-ara SE --map DIR/map, and up to two more options */
static int ara_load(FIXTURE_DATA(ara) *self, char *out, size_t room,
		    const char *opt1, const char *opt2)
{
	char map[128];

	snprintf(map, sizeof(map), "%s/map", self->dir);
	return ara_ctl(self, out, room, "acl", "load-ara", self->name,
		       "--map", map, opt1, opt2, NULL);
}

/* The kernel's table as secelctl acl list prints it. */
static int ara_list(FIXTURE_DATA(ara) *self, char *out, size_t room)
{
	return ara_ctl(self, out, room, "acl", "list", NULL);
}

FIXTURE_SETUP(ara)
{
	char exe[PATH_MAX - 64];
	ssize_t n;

	self->fd = -1;
	self->pid = 0;
	ASSERT_EQ(0, acl_clear());
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(self->tools, sizeof(self->tools), "%s/../../tools", exe);
	snprintf(self->dir, sizeof(self->dir), "/tmp/secel-ara.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ara_write(self->dir, "map", "# test applications\n"
		  ARA_H1 " uid=4242\n" ARA_H2 " uid=4243\n");
}

FIXTURE_TEARDOWN(ara)
{
	char cmd[128];

	acl_clear();
	ara_stop(self);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("%s failed", cmd);
}

static int child_a_only(int fd, void *arg)
{
	uint32_t ch = 0;

	CK(open_ch(fd, aid_a, sizeof(aid_a), &ch) == 0);
	CK(open_ch(fd, aid_isd, sizeof(aid_isd), &ch) == -EACCES);
	return 0;
}

static int child_isd_only(int fd, void *arg)
{
	uint32_t ch = 0;

	CK(open_ch(fd, aid_a, sizeof(aid_a), &ch) == -EACCES);
	CK(open_ch(fd, aid_isd, sizeof(aid_isd), &ch) == 0);
	return 0;
}

/*
 * The card's rules: the test applet for TUID's application; every other
 * application for UUID2's.  SEAC makes A NEVER for UUID2 (a specific rule
 * names another application) and the ISD NEVER for TUID (a rule for every
 * AID names another application).  Sent 16 bytes a time: GET DATA
 * [Next] is used.  A rule of another SE stays; reloading works.
 */
/*
 * The ARA-M cases start secel-vcard and secelctl several times each: on
 * the debug lane's kernel one took longer than the harness's default 30 s
 * (the malformed answers, 7 cards), so each has a bound of its own.
 */
TEST_F_TIMEOUT(ara, rules_loaded_from_the_card_and_enforced, 180)
{
	static const char rules[] =
		"refresh 0102030405060708\nchunk 16\n"
		/* (A, H1): always */
		"E2 26 E1 1F 4F 07 " ARA_A " C1 14 " ARA_H1 " E3 03 D0 01 01\n"
		/* (every AID, H2): always */
		"E2 2E E1 24 4F 00 C1 20 " ARA_H2 " E3 06 D0 01 01 D1 01 01\n";
	char out[8192], before[8192];
	int ret;

	ASSERT_EQ(0, ara_card(self, rules));
	ASSERT_EQ(0, ara_ctl(self, out, sizeof(out), "acl", "set",
			     "se=OTHER1 aid=" ARA_A " uid=1 deny", NULL))
		TH_LOG("%s", out);
	ret = ara_load(self, out, sizeof(out), "--trace", NULL);
	ASSERT_EQ(0, ret) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "80CAFF6000")) TH_LOG("no GET DATA [Next]: %s", out);
	EXPECT_NE(NULL, strstr(out, "refresh tag 0102030405060708"));
	EXPECT_NE(NULL, strstr(out, "NFC-AR-DO")) TH_LOG("%s", out);
	ASSERT_EQ(0, ara_list(self, before, sizeof(before)));
	EXPECT_NE(NULL, strstr(before, "se=OTHER1 aid=" ARA_A " uid=1 deny"))
		TH_LOG("another SE's rule lost: %s", before);

	EXPECT_EQ(0, as_user(TUID, child_a_only, self->fd, NULL));
	EXPECT_EQ(0, as_user(UUID2, child_isd_only, self->fd, NULL));
	/* root reads the ARA-M again; the SE's rules replaced, not added */
	ASSERT_EQ(0, ara_load(self, out, sizeof(out), NULL, NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, ara_list(self, out, sizeof(out)));
	EXPECT_EQ(0, strcmp(strchr(before, '\n'), strchr(out, '\n')))
		TH_LOG("before:\n%s\nafter:\n%s", before, out);
}

static int child_filtered_echo(int fd, void *arg)
{
	uint32_t ch = 0;
	uint16_t sw = 0;

	CK(open_ch(fd, aid_a, sizeof(aid_a), &ch) == 0);
	CK(tx(fd, ch, "80 10 00 00 02 CA FE", 0, &sw) == 0 && sw == 0x9000);
	CK(tx(fd, ch, "80 16 00 00 01", 0, NULL) == -EACCES);
	return 0;
}

static int child_denied_a(int fd, void *arg)
{
	uint32_t ch = 0;

	CK(open_ch(fd, aid_a, sizeof(aid_a), &ch) == -EACCES);
	CK(tx(fd, 0, "00 A4 04 00 07 F0534543454C01 00", 0, NULL) == -EACCES);
	return 0;
}

/*
 * NEVER wins over ALWAYS for the same pair, and a specific rule makes
 * the AID NEVER for applications without one, although a rule for every
 * application allows it; an APDU filter lets through only its commands.
 */
TEST_F_TIMEOUT(ara, never_precedence_and_apdu_filter, 180)
{
	static const char never[] =
		/* (A, every application): always */
		"E2 12 E1 0B 4F 07 " ARA_A " C1 00 E3 03 D0 01 01\n"
		/* (A, H1): always, then never */
		"E2 26 E1 1F 4F 07 " ARA_A " C1 14 " ARA_H1 " E3 03 D0 01 01\n"
		"E2 26 E1 1F 4F 07 " ARA_A " C1 14 " ARA_H1 " E3 03 D0 01 00\n";
	static const char filter[] =
		/* (A, H1): ECHO only */
		"E2 2D E1 1F 4F 07 " ARA_A " C1 14 " ARA_H1
		" E3 0A D0 08 80100000FFFF0000\n";
	char out[8192];

	ASSERT_EQ(0, ara_card(self, never));
	ASSERT_EQ(0, ara_load(self, out, sizeof(out), NULL, NULL)) TH_LOG("%s", out);
	EXPECT_EQ(0, as_user(TUID, child_denied_a, self->fd, NULL));
	EXPECT_EQ(0, as_user(UUID2, child_denied_a, self->fd, NULL));
	ara_stop(self);

	ASSERT_EQ(0, ara_card(self, filter));
	ASSERT_EQ(0, ara_load(self, out, sizeof(out), NULL, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "filter=80100000/FFFF0000")) TH_LOG("%s", out);
	EXPECT_EQ(0, as_user(TUID, child_filtered_echo, self->fd, NULL));
	EXPECT_EQ(0, as_user(UUID2, child_denied_a, self->fd, NULL));
}

/*
 * Bad answers: each refused with one line naming the SE and the APDU,
 * the kernel's rules left as they were.
 */
TEST_F_TIMEOUT(ara, malformed_answers_refused_rules_unchanged, 300)
{
	static const struct {
		const char *file;	/* NULL: no ARA-M on the card */
		const char *says;
	} cases[] = {
		{ NULL, "6A82" },
		/* FF40 says 16 bytes, 11 come: Next finds nothing */
		{ "raw FF40 10 E2 09 E1 02 C0 00 E3 03 D0 01\n", "80CAFF6000" },
		/* FF40 says 10 bytes, 11 come */
		{ "raw FF40 0A E2 09 E1 02 C0 00 E3 02 D0 01 01\n", "80CAFF4000" },
		/* E2 says 11 bytes, 10 come */
		{ "raw FF40 0C E2 0B E1 02 C0 00 C1 00 E3 02 D0 01\n",
		  "says 11 bytes" },
		/* a 3-byte AID */
		{ "E2 0B E1 07 4F 03 F05345 C1 00 E3 00\n", "not 0 or 5 to 16" },
		{ "E2 0B E1 04 C0 00 C1 00 E3 03 D7 01 01\n", "unknown tag D7" },
		{ "sw 6982\nE2 00\n", "status 6982" },
		{ "raw 6F 00\n", "FF40" },
	};
	char out[8192], before[8192], after[8192];
	size_t i;

	ASSERT_EQ(0, acl_set(NULL, 0, 0, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, ara_card(self, cases[i].file));
		/* a rule in force, to be kept */
		ASSERT_EQ(0, ara_ctl(self, out, sizeof(out), "acl", "set",
				     "uid=0 allow", "uid=4242 deny", NULL));
		ASSERT_EQ(0, ara_list(self, before, sizeof(before)));
		EXPECT_EQ(1, ara_load(self, out, sizeof(out), NULL, NULL))
			TH_LOG("case %zu: %s", i, out);
		EXPECT_NE(NULL, strstr(out, cases[i].says))
			TH_LOG("case %zu: no '%s' in: %s", i, cases[i].says, out);
		EXPECT_NE(NULL, strstr(out, self->name))
			TH_LOG("case %zu: the SE is not named: %s", i, out);
		EXPECT_EQ(NULL, strchr(out, '\n') ? strchr(strchr(out, '\n') + 1, '\n') : NULL)
			TH_LOG("case %zu: more than one line: %s", i, out);
		ASSERT_EQ(0, ara_list(self, after, sizeof(after)));
		EXPECT_EQ(0, strcmp(before, after))
			TH_LOG("case %zu: the rules changed:\n%s\n%s", i,
			       before, after);
		ara_stop(self);
		acl_clear();
	}
}

/*
 * An ARA-M without rules (6A88 to GET DATA [All]): SEAC gives no access,
 * root may still read the ARA-M, so a second load works.
 */
TEST_F_TIMEOUT(ara, empty_ara_m_gives_no_access, 180)
{
	char out[8192];

	ASSERT_EQ(0, ara_card(self, "refresh 00000000000000FF\n"));
	ASSERT_EQ(0, ara_load(self, out, sizeof(out), NULL, NULL))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "0 ARA-M rules, refresh tag 00000000000000FF"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, as_user(TUID, child_denied_a, self->fd, NULL));
	EXPECT_EQ(0, ara_load(self, out, sizeof(out), NULL, NULL))
		TH_LOG("%s", out);
}

/* --dry-run shows the rules and changes nothing; --json parses. */
TEST_F_TIMEOUT(ara, dry_run_changes_nothing, 180)
{
	static const char rules[] =
		"E2 26 E1 1F 4F 07 " ARA_A " C1 14 " ARA_H1 " E3 03 D0 01 01\n"
		"E2 1F E1 18 4F 00 C1 14 3333333333333333333333333333333333333333 E3 03 D0 01 01\n";
	char out[8192], before[8192], after[8192];

	ASSERT_EQ(0, ara_card(self, rules));
	ASSERT_EQ(0, ara_list(self, before, sizeof(before)));
	ASSERT_EQ(0, ara_load(self, out, sizeof(out), "--dry-run", NULL))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "uid=4242 allow")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not loaded (--dry-run)")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "is not in the map")) TH_LOG("%s", out);
	ASSERT_EQ(0, ara_list(self, after, sizeof(after)));
	EXPECT_EQ(0, strcmp(before, after)) TH_LOG("%s\n%s", before, after);
	/* --strict refuses the unmapped hash */
	EXPECT_EQ(1, ara_load(self, out, sizeof(out), "--strict", NULL))
		TH_LOG("%s", out);
	ASSERT_EQ(0, ara_list(self, after, sizeof(after)));
	EXPECT_EQ(0, strcmp(before, after));
}

/*
 * ara_ref.py, a second encoder written from the specification, writes the
 * card's rules; secelctl reads from the card what it encoded.
 */
TEST_F_TIMEOUT(ara, second_encoder_read_alike, 180)
{
	static const char rules[] =
		"[{\"aid\": \"F0534543454C01\", \"hash\": \"" ARA_H1 "\", \"apdu\": \"always\"},"
		" {\"aid\": \"default\", \"hash\": \"all\", \"apdu\": \"never\", \"nfc\": \"always\"},"
		" {\"aid\": \"all\", \"hash\": \"" ARA_H2 "\", \"apdu\": [\"80CA0000/FFFF0000\", \"00B00000/FFFF0000\"]},"
		" {\"aid\": \"A0000001515350\", \"hash\": \"all\", \"apdu\": \"absent\"}]";
	char exe[PATH_MAX + 64], out[8192], path[128];
	pid_t pid;
	int status;

	snprintf(exe, sizeof(exe), "%s/../selftests/secel/ara_ref.py",
		 self->tools);
	snprintf(path, sizeof(path), "%s/ara", self->dir);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* 2 bytes an answer: FF40's header comes in parts */
		execl(exe, exe, "card", path, rules, "2", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("ara_ref.py card failed (python3?)");
	{
		char vcard_rules[4096];
		FILE *f = fopen(path, "r");
		size_t n;

		ASSERT_NE(NULL, f);
		n = fread(vcard_rules, 1, sizeof(vcard_rules) - 1, f);
		fclose(f);
		vcard_rules[n] = '\0';
		ASSERT_EQ(0, ara_card(self, vcard_rules));
	}
	ASSERT_EQ(0, ara_load(self, out, sizeof(out), "--dry-run", "--json"))
		TH_LOG("%s", out);
	snprintf(path, sizeof(path), "%s/json", self->dir);
	ara_write(self->dir, "json", strchr(out, '{') ? strchr(out, '{') : out);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(exe, exe, "compare", rules, path, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("secelctl read other rules than ara_ref.py wrote: %s", out);
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
