// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: libsecel (tools/libsecel) against the real kernel --
 * finding an SE by name, index, path and designation, its information by
 * ioctl and by sysfs, APDUs, logical channels, reset, hot-plug events,
 * and the errors of bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "vse_card.h"
#include "libsecel.h"

#define WAIT_MS 5000
#define AID ((const uint8_t *)VSE_TEST_AID)

FIXTURE(lib) {
	struct vse_card *card;
	struct secel_se *se;
	char name[SECEL_NAME_LEN];
};

FIXTURE_SETUP(lib)
{
	self->se = NULL;
	self->card = vse_card_new(NULL);
	ASSERT_NE(NULL, self->card) TH_LOG("SECEL_VSE_IOC_NEW: %s",
					    strerror(errno));
	ASSERT_TRUE(secel_wait_state(self->card->index, "listed", WAIT_MS))
		TH_LOG("secel%u not listed", self->card->index);
	ASSERT_LE(0, secel_sysfs_read(self->card->index, "name", self->name,
				      sizeof(self->name)));
	self->se = secel_se_open(self->card->index);
	ASSERT_NE(NULL, self->se) TH_LOG("secel_se_open(%u): %s",
					  self->card->index, strerror(errno));
	vse_card_clear_log(self->card);
}

FIXTURE_TEARDOWN(lib)
{
	secel_se_close(self->se);
	vse_card_free(self->card);
}

TEST_F(lib, find_by_name_index_path)
{
	unsigned int idx = ~0U, *all;
	char path[64];
	int n, i, seen = 0;

	ASSERT_EQ(0, secel_find_by_name(self->name, &idx))
		TH_LOG("%s: %s", self->name, strerror(errno));
	EXPECT_EQ(self->card->index, idx);
	idx = ~0U;
	ASSERT_EQ(0, secel_find(self->name, &idx));
	EXPECT_EQ(self->card->index, idx);
	EXPECT_EQ(0, secel_find_by_index(self->card->index));
	snprintf(path, sizeof(path), "%u", self->card->index);
	idx = ~0U;
	ASSERT_EQ(0, secel_find(path, &idx));
	EXPECT_EQ(self->card->index, idx);
	snprintf(path, sizeof(path), "/dev/secel%u", self->card->index);
	idx = ~0U;
	ASSERT_EQ(0, secel_find(path, &idx));
	EXPECT_EQ(self->card->index, idx);
	EXPECT_EQ((int)self->card->index, secel_se_index(self->se));
	EXPECT_LE(0, secel_se_fd(self->se));
	EXPECT_EQ(SECEL_ABI_VERSION, secel_se_abi_version(self->se));

	n = secel_list(&all);
	ASSERT_LE(1, n) TH_LOG("secel_list: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		if (i)
			EXPECT_LT(all[i - 1], all[i]);
		seen += all[i] == self->card->index;
	}
	free(all);
	EXPECT_EQ(1, seen);
}

TEST_F(lib, find_designated)
{
	unsigned int idx = ~0U, before = ~0U;
	int had, ctl = secel_open_ctl();

	ASSERT_LE(0, ctl);
	had = !secel_find_designated(&before);
	ASSERT_EQ(0, secel_ctl(ctl, SECEL_CTL_DESIGNATE, self->card->index, 0,
			       NULL));
	ASSERT_EQ(0, secel_find_designated(&idx));
	EXPECT_EQ(self->card->index, idx);
	idx = ~0U;
	ASSERT_EQ(0, secel_find("designated", &idx));
	EXPECT_EQ(self->card->index, idx);
	idx = ~0U;
	ASSERT_EQ(0, secel_find("-", &idx));
	EXPECT_EQ(self->card->index, idx);

	ASSERT_EQ(0, secel_ctl(ctl, SECEL_CTL_DESIGNATE, 0,
			       SECEL_DESIGNATE_CLEAR, NULL));
	errno = 0;
	EXPECT_EQ(-1, secel_find_designated(&idx));
	EXPECT_EQ(ENOENT, errno);
	if (had)
		secel_ctl(ctl, SECEL_CTL_DESIGNATE, before, 0, NULL);
	close(ctl);
}

static void expect_item(struct __test_metadata *_metadata,
			const struct secel_se_info *info,
			enum secel_se_item item, const uint8_t *want,
			size_t want_len)
{
	size_t len = 0;
	const uint8_t *p = secel_se_info_item(info, item, &len);

	ASSERT_NE(NULL, p) TH_LOG("item %d: %s", item, strerror(errno));
	ASSERT_EQ(want_len, len) TH_LOG("item %d", item);
	EXPECT_EQ(0, memcmp(want, p, len)) TH_LOG("item %d", item);
}

static void expect_info(struct __test_metadata *_metadata,
			const struct secel_se_info *info, unsigned int index,
			const char *name)
{
	const uint8_t *atr;
	size_t len = 0;

	EXPECT_EQ(index, secel_se_info_index(info));
	EXPECT_STREQ(name, secel_se_info_name(info));
	EXPECT_STREQ("vse", secel_se_info_transport(info));
	EXPECT_EQ(SECEL_SE_KIND_VIRTUAL, secel_se_info_kind(info));
	EXPECT_EQ(SECEL_SE_STATE_LISTED, secel_se_info_state(info));
	EXPECT_EQ(0, secel_se_info_designated(info));
	atr = secel_se_info_atr(info, &len);
	ASSERT_NE(NULL, atr);
	ASSERT_EQ(vse_good_atr_len, len);
	EXPECT_EQ(0, memcmp(vse_good_atr, atr, len));
	EXPECT_NE(0, secel_se_info_protocols(info));
	/* root reads the private items too */
	expect_item(_metadata, info, SECEL_SE_ITEM_CPLC, vse_cplc,
		    sizeof(vse_cplc));
	expect_item(_metadata, info, SECEL_SE_ITEM_IIN, vse_iin,
		    sizeof(vse_iin));
	expect_item(_metadata, info, SECEL_SE_ITEM_CIN, vse_cin,
		    sizeof(vse_cin));
	expect_item(_metadata, info, SECEL_SE_ITEM_CARD_DATA, vse_card_data,
		    sizeof(vse_card_data));
}

TEST_F(lib, info_by_ioctl_and_sysfs)
{
	struct secel_se_info *a, *b;

	a = secel_se_get_info(self->se);
	ASSERT_NE(NULL, a) TH_LOG("secel_se_get_info: %s", strerror(errno));
	expect_info(_metadata, a, self->card->index, self->name);
	EXPECT_LE(261, secel_se_info_max_command(a));
	EXPECT_LE(258, secel_se_info_max_response(a));

	b = secel_se_info_from_sysfs(self->card->index);
	ASSERT_NE(NULL, b) TH_LOG("secel_se_info_from_sysfs: %s",
				  strerror(errno));
	expect_info(_metadata, b, self->card->index, self->name);
	EXPECT_EQ(secel_se_info_protocols(a), secel_se_info_protocols(b));
	EXPECT_EQ(secel_se_info_flags(a) & 0xff, secel_se_info_flags(b) & 0xff);
	EXPECT_EQ(0, secel_se_info_max_command(b));
	secel_se_info_free(a);
	secel_se_info_free(b);
}

TEST(info_without_items)
{
	struct vse_card_opts o = { .no_items = true };
	struct vse_card *c = vse_card_new(&o);
	struct secel_se_info *info;
	struct secel_se *se;
	size_t len = 1;

	ASSERT_NE(NULL, c);
	ASSERT_TRUE(secel_wait_state(c->index, "listed", WAIT_MS));
	se = secel_se_open(c->index);
	ASSERT_NE(NULL, se);
	info = secel_se_get_info(se);
	ASSERT_NE(NULL, info);
	errno = 0;
	EXPECT_EQ(NULL, secel_se_info_item(info, SECEL_SE_ITEM_IIN, &len));
	EXPECT_EQ(ENODATA, errno);
	secel_se_info_free(info);
	info = secel_se_info_from_sysfs(c->index);
	ASSERT_NE(NULL, info);
	errno = 0;
	EXPECT_EQ(NULL, secel_se_info_item(info, SECEL_SE_ITEM_CPLC, &len));
	EXPECT_EQ(ENODATA, errno);
	secel_se_info_free(info);
	secel_se_close(se);
	vse_card_free(c);
}

TEST_F(lib, transmit_echo)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0, 0, 3,
				       0xaa, 0xbb, 0xcc, 0x00 };
	uint8_t rsp[64];
	size_t len = sizeof(rsp);

	ASSERT_EQ(0, secel_se_transmit(self->se, 0, 0, cmd, sizeof(cmd), rsp,
				       &len)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(5, len);
	EXPECT_EQ(0, memcmp("\xaa\xbb\xcc\x90\x00", rsp, 5));
}

TEST_F(lib, transmit_small_buffer_emsgsize_then_kept)
{
	static const uint8_t give[] = { 0x80, VSE_INS_GIVE, 0, 0, 0x20 };
	uint8_t rsp[64];
	unsigned long apdus;
	size_t len = 10, i;

	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, 0, 0, give, sizeof(give),
					rsp, &len));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0x22, len) TH_LOG("the response's length");
	len = sizeof(rsp);
	apdus = vse_card_apdus(self->card);
	ASSERT_EQ(0, secel_se_fetch_kept(self->se, rsp, &len))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0x22, len);
	for (i = 0; i < 0x20; i++)
		EXPECT_EQ(i, rsp[i]);
	EXPECT_EQ(0x90, rsp[0x20]);
	EXPECT_EQ(apdus, vse_card_apdus(self->card)) TH_LOG("nothing resent");
	len = sizeof(rsp);
	errno = 0;
	EXPECT_EQ(-1, secel_se_fetch_kept(self->se, rsp, &len));
	EXPECT_EQ(ENODATA, errno);

	/* no room for SW1 SW2: refused before anything is sent */
	len = 1;
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, 0, 0, give, sizeof(give),
					rsp, &len));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(apdus, vse_card_apdus(self->card));
}

TEST_F(lib, channel_open_transmit_close)
{
	static const uint8_t echo[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0x5a };
	uint8_t rsp[300];
	size_t len = sizeof(rsp);
	unsigned int ch = 0, ch2 = 0;

	ASSERT_EQ(0, secel_se_open_channel(self->se, AID, VSE_TEST_AID_LEN,
					   rsp, &len, &ch))
		TH_LOG("%s", strerror(errno));
	EXPECT_LE(1, ch);
	EXPECT_GE(19, ch);
	ASSERT_LE(2, len);
	EXPECT_EQ(0x90, rsp[len - 2]);
	len = sizeof(rsp);
	ASSERT_EQ(0, secel_se_transmit(self->se, ch, 0, echo, sizeof(echo),
				       rsp, &len));
	ASSERT_EQ(3, len);
	EXPECT_EQ(0x5a, rsp[0]);
	/* without a response buffer, and a second channel at once */
	ASSERT_EQ(0, secel_se_open_channel(self->se, AID, VSE_TEST_AID_LEN,
					   NULL, NULL, &ch2));
	EXPECT_NE(ch, ch2);
	EXPECT_EQ(0, secel_se_close_channel(self->se, ch2));
	EXPECT_EQ(0, secel_se_close_channel(self->se, ch));
	EXPECT_TRUE(vse_card_wait_closes(self->card, ch, 1, WAIT_MS));
	errno = 0;
	EXPECT_EQ(-1, secel_se_close_channel(self->se, ch));
	EXPECT_EQ(ENXIO, errno);
	len = sizeof(rsp);
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, ch, 0, echo, sizeof(echo),
					rsp, &len));
	EXPECT_EQ(ENXIO, errno);
}

TEST_F(lib, channel_unknown_aid_enoent)
{
	static const uint8_t aid[] = { 0xa0, 0, 0, 0, 0x99, 0x99 };
	uint8_t rsp[64];
	size_t len = sizeof(rsp);
	unsigned int ch = 0;

	errno = 0;
	EXPECT_EQ(-1, secel_se_open_channel(self->se, aid, sizeof(aid), rsp,
					    &len, &ch));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(2, len) TH_LOG("the SELECT response is still returned");
	EXPECT_EQ(0x6a, rsp[0]);
	EXPECT_EQ(0x82, rsp[1]);
}

TEST_F(lib, reset_gives_atr_length)
{
	EXPECT_EQ((int)vse_good_atr_len, secel_se_reset(self->se, 0))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ((int)vse_good_atr_len,
		  secel_se_reset(self->se, SECEL_SE_RESET_WARM));
	errno = 0;
	EXPECT_EQ(-1, secel_se_reset(self->se, 0x80));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(lib, bad_arguments)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0x5a };
	/* Lc 5 with one data byte; MANAGE CHANNEL */
	static const uint8_t bad[] = { 0x80, 0x10, 0, 0, 5, 1 };
	static const uint8_t mc[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	uint8_t rsp[64];
	size_t len = sizeof(rsp);
	unsigned int idx, ch;

	errno = 0;
	EXPECT_EQ(-1, secel_find("NO-SUCH-SE", &idx));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_find("4000000", &idx));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_find("", &idx));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_find("/dev/null", &idx));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(NULL, secel_se_open(4000000));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(NULL, secel_se_open_path("/dev/null"));
	EXPECT_EQ(ENOTTY, errno);
	errno = 0;
	EXPECT_EQ(NULL, secel_se_info_from_sysfs(4000000));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, 0, 0, cmd, 3, rsp, &len));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, 0, 0x80, cmd, sizeof(cmd),
					rsp, &len));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, 0, 0, NULL, 4, rsp, &len));
	EXPECT_EQ(EINVAL, errno);
	/* a malformed APDU: the kernel's EINVAL */
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, 0, 0, bad, sizeof(bad), rsp,
					&len));
	EXPECT_EQ(EINVAL, errno);
	/* MANAGE CHANNEL is the kernel's */
	len = sizeof(rsp);
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(self->se, 0, 0, mc, sizeof(mc), rsp,
					&len));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_se_open_channel(self->se, AID, 3, NULL, NULL, &ch));
	EXPECT_EQ(EINVAL, errno);
	len = 1;
	errno = 0;
	EXPECT_EQ(-1, secel_se_open_channel(self->se, AID, VSE_TEST_AID_LEN,
					    rsp, &len, &ch));
	EXPECT_EQ(EMSGSIZE, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_se_close_channel(self->se, 0));
	EXPECT_EQ(EINVAL, errno);
}

/* The next event for @index, skipping others; NULL after @ms. */
static struct secel_event *event_for(struct secel_monitor *mon,
				     unsigned int index,
				     enum secel_event_type type, int ms)
{
	struct secel_event *ev;
	int i;

	for (i = 0; i < 50; i++) {
		ev = secel_monitor_wait(mon, ms);
		if (!ev)
			return NULL;
		if (secel_event_index(ev) == index &&
		    secel_event_type(ev) == type)
			return ev;
		secel_event_free(ev);
	}
	return NULL;
}

TEST(hotplug_add_change_remove)
{
	struct secel_monitor *mon = secel_monitor_new();
	struct secel_event *ev;
	struct vse_card *c;
	char name[SECEL_NAME_LEN];

	ASSERT_NE(NULL, mon) TH_LOG("secel_monitor_new: %s", strerror(errno));
	errno = 0;
	EXPECT_EQ(NULL, secel_monitor_wait(mon, 0));
	EXPECT_EQ(ETIMEDOUT, errno);

	c = vse_card_new(NULL);
	ASSERT_NE(NULL, c);
	ev = event_for(mon, c->index, SECEL_EVENT_ADD, WAIT_MS);
	ASSERT_NE(NULL, ev) TH_LOG("no add event for secel%u: %s", c->index,
				   strerror(errno));
	ASSERT_LE(0, secel_sysfs_read(c->index, "name", name, sizeof(name)));
	EXPECT_STREQ(name, secel_event_name(ev));
	secel_event_free(ev);
	/* verified and listed: a change event says so */
	ev = event_for(mon, c->index, SECEL_EVENT_CHANGE, WAIT_MS);
	while (ev && secel_event_state(ev) != SECEL_SE_STATE_LISTED) {
		secel_event_free(ev);
		ev = event_for(mon, c->index, SECEL_EVENT_CHANGE, WAIT_MS);
	}
	ASSERT_NE(NULL, ev) TH_LOG("no change event to listed");
	secel_event_free(ev);

	vse_card_unplug(c);
	ev = event_for(mon, c->index, SECEL_EVENT_REMOVE, WAIT_MS);
	ASSERT_NE(NULL, ev) TH_LOG("no remove event for secel%u: %s",
				   c->index, strerror(errno));
	secel_event_free(ev);
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));
	errno = 0;
	EXPECT_EQ(-1, secel_find_by_index(c->index));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, secel_find(name, &c->index));
	EXPECT_EQ(ENOENT, errno);
	vse_card_free(c);
	secel_monitor_free(mon);
}

TEST(unplugged_se_enodev)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0x5a };
	struct vse_card *c = vse_card_new(NULL);
	struct secel_se *se;
	uint8_t rsp[16];
	size_t len = sizeof(rsp);

	ASSERT_NE(NULL, c);
	ASSERT_TRUE(secel_wait_state(c->index, "listed", WAIT_MS));
	se = secel_se_open(c->index);
	ASSERT_NE(NULL, se);
	vse_card_unplug(c);
	errno = 0;
	EXPECT_EQ(-1, secel_se_transmit(se, 0, 0, cmd, sizeof(cmd), rsp,
					&len));
	EXPECT_EQ(ENODEV, errno);
	errno = 0;
	EXPECT_EQ(NULL, secel_se_get_info(se));
	EXPECT_EQ(ENODEV, errno);
	secel_se_close(se);
	vse_card_free(c);
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
