// SPDX-License-Identifier: GPL-2.0
/*
 * secel selftests: the SE list life cycle as userspace sees it -- sysfs,
 * uevents, SECEL_CTL_LIST, verification, add/delete/designate, version.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "secel_harness.h"
#include "secel_test.h"
#include "vse_card.h"

#define WAIT_MS 5000

/* T=0 and T=1, historical bytes AA BB, TCK 12 */
static const uint8_t atr_t0t1[] = { 0x3b, 0x82, 0x80, 0x01, 0xaa, 0xbb, 0x12 };

static struct vse_card *new_card(struct __test_metadata *_metadata,
				 const struct vse_card_opts *o)
{
	struct vse_card *c = vse_card_new(o);

	ASSERT_NE(NULL, c) TH_LOG("SECEL_VSE_IOC_NEW: %s", strerror(errno));
	return c;
}

static struct vse_card *new_listed(struct __test_metadata *_metadata,
				   const struct vse_card_opts *o)
{
	struct vse_card *c = new_card(_metadata, o);

	ASSERT_TRUE(secel_wait_state(c->index, "listed", WAIT_MS))
		TH_LOG("secel%u did not become listed", c->index);
	return c;
}

static void expect_sysfs(struct __test_metadata *_metadata,
			 unsigned int index, const char *attr,
			 const char *want)
{
	char buf[512];
	int n = secel_sysfs_read(index, attr, buf, sizeof(buf));

	ASSERT_LE(0, n) TH_LOG("secel%u/%s: %s", index, attr, strerror(-n));
	EXPECT_STREQ(want, buf) TH_LOG("secel%u/%s", index, attr);
}

TEST(version_on_every_node)
{
	struct vse_card *c = new_card(_metadata, NULL);
	const char *nodes[] = { SECEL_CTL_DEV, SECEL_VSE_DEV, NULL };
	char se_path[32];
	unsigned int i;

	snprintf(se_path, sizeof(se_path), "/dev/secel%u", c->index);
	nodes[2] = se_path;
	for (i = 0; i < 3; i++) {
		struct secel_version v;
		int fd;

		if (i == 2)
			fd = secel_open_se(c->index);
		else
			fd = open(nodes[i], O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("open %s", nodes[i]);
		memset(&v, 0xff, sizeof(v));
		ASSERT_EQ(0, ioctl(fd, SECEL_IOC_VERSION, &v))
			TH_LOG("VERSION on %s: %s", nodes[i], strerror(errno));
		EXPECT_EQ(SECEL_ABI_VERSION, v.abi_version) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0, v.flags);
		EXPECT_EQ(0, v.reserved[0]);
		EXPECT_EQ(0, v.reserved[1]);
		close(fd);
	}
	vse_card_free(c);
}

TEST(listed_card_sysfs_contents)
{
	struct vse_card_opts o = {
		.atr = atr_t0t1, .atr_len = sizeof(atr_t0t1), .prefix = "Qsys",
	};
	struct vse_card *c = new_listed(_metadata, &o);
	char hex[256];

	expect_sysfs(_metadata, c->index, "name", "Qsys1");
	expect_sysfs(_metadata, c->index, "kind", "virtual");
	expect_sysfs(_metadata, c->index, "transport", "vse");
	expect_sysfs(_metadata, c->index, "state", "listed");
	expect_sysfs(_metadata, c->index, "atr", "3b828001aabb12");
	expect_sysfs(_metadata, c->index, "atr_check", "ok");
	expect_sysfs(_metadata, c->index, "protocol", "T=0 T=1");
	expect_sysfs(_metadata, c->index, "designated", "0");
	to_hex(vse_cplc, sizeof(vse_cplc), hex);
	expect_sysfs(_metadata, c->index, "cplc", hex);
	to_hex(vse_iin, sizeof(vse_iin), hex);
	expect_sysfs(_metadata, c->index, "iin", hex);
	to_hex(vse_cin, sizeof(vse_cin), hex);
	expect_sysfs(_metadata, c->index, "cin", hex);
	to_hex(vse_card_data, sizeof(vse_card_data), hex);
	expect_sysfs(_metadata, c->index, "card_data", hex);
	vse_card_free(c);
}

TEST(listed_card_get_info_and_items)
{
	struct vse_card_opts o = {
		.atr = atr_t0t1, .atr_len = sizeof(atr_t0t1), .prefix = "Qinfo",
	};
	struct vse_card *c = new_listed(_metadata, &o);
	struct secel_info info;
	uint8_t buf[300];
	uint32_t len;
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_EQ(c->index, info.index);
	EXPECT_EQ(SECEL_KIND_VIRTUAL, info.kind);
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	EXPECT_EQ(SECEL_INFO_HAS_CPLC | SECEL_INFO_HAS_IIN | SECEL_INFO_HAS_CIN |
		  SECEL_INFO_HAS_CARD_DATA, info.flags);
	EXPECT_EQ(0x3, info.protocols);
	EXPECT_STREQ("Qinfo1", info.name);
	EXPECT_STREQ("vse", info.transport);
	EXPECT_EQ(sizeof(atr_t0t1), info.atr_len);
	EXPECT_EQ(0, memcmp(atr_t0t1, info.atr, sizeof(atr_t0t1)));
	EXPECT_LE(261, info.max_cmd);
	EXPECT_LE(258, info.max_rsp);
	for (unsigned int i = 0; i < 7; i++) {
		EXPECT_EQ(0, info.reserved[i]);
	}

	len = sizeof(buf);
	ASSERT_EQ(0, secel_get_item(fd, SECEL_ITEM_ATR, buf, &len));
	EXPECT_EQ(sizeof(atr_t0t1), len);
	EXPECT_EQ(0, memcmp(atr_t0t1, buf, len));
	len = sizeof(buf);
	ASSERT_EQ(0, secel_get_item(fd, SECEL_ITEM_CPLC, buf, &len));
	EXPECT_EQ(sizeof(vse_cplc), len);
	EXPECT_EQ(0, memcmp(vse_cplc, buf, len));
	len = sizeof(buf);
	ASSERT_EQ(0, secel_get_item(fd, SECEL_ITEM_IIN, buf, &len));
	EXPECT_EQ(sizeof(vse_iin), len);
	EXPECT_EQ(0, memcmp(vse_iin, buf, len));
	len = sizeof(buf);
	ASSERT_EQ(0, secel_get_item(fd, SECEL_ITEM_CIN, buf, &len));
	EXPECT_EQ(sizeof(vse_cin), len);
	EXPECT_EQ(0, memcmp(vse_cin, buf, len));
	len = sizeof(buf);
	ASSERT_EQ(0, secel_get_item(fd, SECEL_ITEM_CARD_DATA, buf, &len));
	EXPECT_EQ(sizeof(vse_card_data), len);
	EXPECT_EQ(0, memcmp(vse_card_data, buf, len));
	close(fd);
	vse_card_free(c);
}

TEST(get_item_small_buffer_emsgsize)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	uint8_t buf[300];
	uint32_t len = 4;
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EMSGSIZE, secel_get_item(fd, SECEL_ITEM_CPLC, buf, &len));
	EXPECT_EQ(sizeof(vse_cplc), len);
	len = sizeof(buf);
	EXPECT_EQ(-EINVAL, secel_get_item(fd, 99, buf, &len));
	close(fd);
	vse_card_free(c);
}

TEST(absent_items_hidden_and_enodata)
{
	struct vse_card_opts o = { .no_items = true };
	struct vse_card *c = new_listed(_metadata, &o);
	const char *attrs[] = { "cplc", "iin", "cin", "card_data" };
	uint32_t items[] = { SECEL_ITEM_CPLC, SECEL_ITEM_IIN, SECEL_ITEM_CIN,
			     SECEL_ITEM_CARD_DATA };
	struct secel_info info;
	uint8_t buf[300];
	char sbuf[300];
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	for (unsigned int i = 0; i < 4; i++) {
		uint32_t len = sizeof(buf);

		/* hidden, not failing ENODATA (sysfs_absent_items_hidden) */
		EXPECT_EQ(-ENOENT, secel_sysfs_read(c->index, attrs[i], sbuf,
						    sizeof(sbuf)))
			TH_LOG("sysfs %s", attrs[i]);
		EXPECT_EQ(-ENODATA, secel_get_item(fd, items[i], buf, &len))
			TH_LOG("GET_ITEM %s", attrs[i]);
	}
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_EQ(0, info.flags & (SECEL_INFO_HAS_CPLC | SECEL_INFO_HAS_IIN |
				   SECEL_INFO_HAS_CIN |
				   SECEL_INFO_HAS_CARD_DATA));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	close(fd);
	vse_card_free(c);
}

/* GET DATA 0066 answers 200 bytes (long-form length); 0045 a wrong tag */
static int items_hook(struct vse_card *c, const uint8_t *cmd, size_t len,
		      uint8_t *rsp, size_t size, void *arg)
{
	(void)c;
	(void)len;
	(void)size;
	(void)arg;
	if (cmd[1] != 0xca)
		return 0;
	if (cmd[2] == 0x00 && cmd[3] == 0x66) {
		rsp[0] = 0x66;
		rsp[1] = 0x81;
		rsp[2] = 200;
		for (int i = 0; i < 200; i++)
			rsp[3 + i] = i;
		rsp[203] = 0x90;
		rsp[204] = 0x00;
		return 205;
	}
	if (cmd[2] == 0x00 && cmd[3] == 0x45) {
		static const uint8_t other[] = { 0x46, 0x02, 0x01, 0x02,
						 0x90, 0x00 };
		memcpy(rsp, other, sizeof(other));
		return sizeof(other);
	}
	return 0;
}

TEST(long_item_value_stored)
{
	struct vse_card_opts o = { .hook = items_hook };
	struct vse_card *c = new_listed(_metadata, &o);
	uint8_t want[200];
	char hex[401];

	for (int i = 0; i < 200; i++)
		want[i] = i;
	to_hex(want, sizeof(want), hex);
	expect_sysfs(_metadata, c->index, "card_data", hex);
	vse_card_free(c);
}

TEST(get_data_without_tag_absent)
{
	struct vse_card_opts o = { .hook = items_hook };
	struct vse_card *c = new_listed(_metadata, &o);
	struct secel_info info;
	uint8_t buf[64];
	uint32_t len = sizeof(buf);
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENODATA, secel_get_item(fd, SECEL_ITEM_CIN, buf, &len));
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_FALSE(info.flags & SECEL_INFO_HAS_CIN);
	EXPECT_TRUE(info.flags & SECEL_INFO_HAS_CPLC);
	close(fd);
	vse_card_free(c);
}

TEST(name_prefix_numbering)
{
	struct vse_card_opts o = { .prefix = "Qnum" };
	struct vse_card *a = new_card(_metadata, &o);
	struct vse_card *b = new_card(_metadata, &o);
	struct vse_card *d, *v;
	char name[64];

	ASSERT_LE(0, secel_sysfs_read(a->index, "name", name, sizeof(name)));
	EXPECT_STREQ("Qnum1", name);
	ASSERT_LE(0, secel_sysfs_read(b->index, "name", name, sizeof(name)));
	EXPECT_STREQ("Qnum2", name);
	vse_card_unplug(a);
	ASSERT_TRUE(secel_wait_gone(a->index, WAIT_MS));
	d = new_card(_metadata, &o);
	ASSERT_LE(0, secel_sysfs_read(d->index, "name", name, sizeof(name)));
	EXPECT_STREQ("Qnum1", name);

	v = new_card(_metadata, NULL);
	ASSERT_LE(0, secel_sysfs_read(v->index, "name", name, sizeof(name)));
	EXPECT_EQ(0, strncmp(name, "VSE", 3)) TH_LOG("name %s", name);
	EXPECT_TRUE(name[3] >= '1' && name[3] <= '9') TH_LOG("name %s", name);
	vse_card_free(a);
	vse_card_free(b);
	vse_card_free(d);
	vse_card_free(v);
}

/* SECEL_VSE_IOC_NEW writes the name back; what the caller had there is ignored */
TEST(vse_new_returns_name)
{
	struct secel_vse_new r = { .atr_len = 4 };
	struct vse_card_opts o = { 0 };
	struct vse_card *c;
	char name[64];
	int fd = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	memcpy(r.atr, vse_good_atr, 4);
	strcpy(r.name_prefix, "Qret");
	memset(r.name, 'x', sizeof(r.name));
	ASSERT_EQ(0, ioctl(fd, SECEL_VSE_IOC_NEW, &r))
		TH_LOG("SECEL_VSE_IOC_NEW: %s", strerror(errno));
	close(fd);
	c = vse_card_adopt(&r, &o);
	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, memchr(r.name, 0, sizeof(r.name)))
		TH_LOG("name not NUL-terminated");
	EXPECT_STREQ("Qret1", r.name);
	ASSERT_LE(0, secel_sysfs_read(c->index, "name", name, sizeof(name)));
	EXPECT_STREQ(name, r.name);
	vse_card_free(c);
}

TEST(vse_new_default_name_matches_sysfs)
{
	struct vse_card *c = new_card(_metadata, NULL);
	char name[64];

	ASSERT_LE(0, secel_sysfs_read(c->index, "name", name, sizeof(name)));
	EXPECT_EQ(0, strncmp(c->req.name, "VSE", 3)) TH_LOG("name %.16s",
							    c->req.name);
	EXPECT_STREQ(name, c->req.name);
	vse_card_free(c);
}

TEST(vse_new_bad_arguments_einval)
{
	struct secel_vse_new good = { .atr_len = 4 }, r;
	int fd = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	memcpy(good.atr, vse_good_atr, 4);

	r = good;
	r.atr_len = 1;
	EXPECT_EQ(-1, ioctl(fd, SECEL_VSE_IOC_NEW, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("atr_len 1");
	r = good;
	r.atr_len = 34;
	EXPECT_EQ(-1, ioctl(fd, SECEL_VSE_IOC_NEW, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("atr_len 34");
	r = good;
	strcpy(r.name_prefix, "ab1");
	EXPECT_EQ(-1, ioctl(fd, SECEL_VSE_IOC_NEW, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("prefix ab1");
	r = good;
	memcpy(r.name_prefix, "abcdefgh", 8);
	EXPECT_EQ(-1, ioctl(fd, SECEL_VSE_IOC_NEW, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("prefix of 8 letters");
	r = good;
	r.flags = 0x80;
	EXPECT_EQ(-1, ioctl(fd, SECEL_VSE_IOC_NEW, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown flag");
	r = good;
	r.pad[1] = 1;
	EXPECT_EQ(-1, ioctl(fd, SECEL_VSE_IOC_NEW, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("pad");
	EXPECT_EQ(-1, ioctl(fd, _IO(SECEL_IOC_MAGIC, 0x4f)));
	EXPECT_EQ(ENOTTY, errno) TH_LOG("unknown ioctl");
	close(fd);
}

TEST(listed_card_in_ctl_list)
{
	struct vse_card_opts o = { .prefix = "Qlist" };
	struct vse_card *c = new_listed(_metadata, &o);
	struct secel_list_entry e;
	struct secel_list l = { 0 };
	int ctl = secel_open_ctl();

	ASSERT_LE(0, ctl);
	ASSERT_EQ(SECEL_STATE_LISTED, secel_list_state(ctl, 0, c->index, &e));
	EXPECT_EQ(SECEL_KIND_VIRTUAL, e.kind);
	EXPECT_STREQ("Qlist1", e.name);
	EXPECT_STREQ("vse", e.transport);
	EXPECT_EQ(SECEL_STATE_LISTED,
		  secel_list_state(ctl, SECEL_LIST_ALL, c->index, NULL));
	/* count 0: only the number of matches */
	ASSERT_EQ(0, ioctl(ctl, SECEL_CTL_LIST, &l));
	EXPECT_LE(1, l.count);
	l.count = 0;
	l.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_LIST, &l));
	EXPECT_EQ(EINVAL, errno) TH_LOG("reserved in LIST");
	memset(&l, 0, sizeof(l));
	l.flags = 0x8;
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_LIST, &l));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown LIST flag");
	memset(&l, 0, sizeof(l));
	l.count = 4;
	l.entries_ptr = 8;
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_LIST, &l));
	EXPECT_EQ(EFAULT, errno) TH_LOG("LIST to a bad pointer");
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_LIST, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(ctl, SECEL_CTL_ADD, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(ctl, _IO(SECEL_IOC_MAGIC, 0x3f)));
	EXPECT_EQ(ENOTTY, errno) TH_LOG("unknown ctl ioctl");
	close(ctl);
	vse_card_free(c);
}

/* uapi: struct secel_list_entry.flags are the SECEL_INFO_* flags */
TEST(list_entry_carries_info_flags)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x01, 0x82 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr),
				   .flags = SECEL_VSE_EXTENDED_LENGTH };
	struct vse_card *c;
	struct secel_list_entry e;
	struct secel_info info;
	char strict[8];
	int ctl, fd;

	ASSERT_EQ(0, param_read(PARAM_STRICT_ATR, strict, sizeof(strict)));
	if (strict[0] == 'Y' || strict[0] == '1')
		SKIP(return, "strict_atr is on");
	c = new_listed(_metadata, &o);
	ctl = secel_open_ctl();
	ASSERT_LE(0, ctl);
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	ASSERT_EQ(SECEL_STATE_LISTED, secel_list_state(ctl, 0, c->index, &e));
	EXPECT_EQ(info.flags, e.flags)
		TH_LOG("GET_INFO flags %#x, LIST entry flags %#x", info.flags,
		       e.flags);
	close(fd);
	close(ctl);
	vse_card_free(c);
}

TEST(uevents_add_change_remove)
{
	struct vse_card_opts o = { .prefix = "Quev" };
	struct secel_uevent ev;
	struct vse_card *c;
	char idx[16];
	int uf = uevent_open();

	ASSERT_LE(0, uf) TH_LOG("uevent socket: %s", strerror(-uf));
	c = new_card(_metadata, &o);
	snprintf(idx, sizeof(idx), "%u", c->index);

	ASSERT_EQ(0, uevent_wait(uf, c->index, NULL, NULL, NULL, WAIT_MS, &ev))
		TH_LOG("no uevent for secel%u", c->index);
	EXPECT_STREQ("add", ev.action) TH_LOG("first uevent is not add");
	ASSERT_EQ(0, uevent_wait(uf, c->index, "change", "SECEL_STATE",
				 "listed", WAIT_MS, &ev))
		TH_LOG("no change uevent with SECEL_STATE=listed");
	EXPECT_STREQ(idx, uevent_get(&ev, "SECEL_INDEX") ?: "");
	EXPECT_STREQ("Quev1", uevent_get(&ev, "SECEL_NAME") ?: "");
	EXPECT_STREQ("virtual", uevent_get(&ev, "SECEL_KIND") ?: "");
	EXPECT_STREQ("vse", uevent_get(&ev, "SECEL_TRANSPORT") ?: "");
	EXPECT_STREQ("0", uevent_get(&ev, "SECEL_DESIGNATED") ?: "");

	vse_card_unplug(c);
	ASSERT_EQ(0, uevent_wait(uf, c->index, "remove", NULL, NULL, WAIT_MS,
				 &ev))
		TH_LOG("no remove uevent on unplug");
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));
	close(uf);
	vse_card_free(c);
}

TEST(uevents_verifying_then_listed)
{
	struct secel_uevent ev;
	struct vse_card *c;
	int uf = uevent_open();

	ASSERT_LE(0, uf);
	c = new_card(_metadata, NULL);
	EXPECT_EQ(0, uevent_wait(uf, c->index, "change", "SECEL_STATE",
				 "verifying", WAIT_MS, &ev))
		TH_LOG("no change uevent with SECEL_STATE=verifying");
	EXPECT_EQ(0, uevent_wait(uf, c->index, "change", "SECEL_STATE",
				 "listed", WAIT_MS, &ev))
		TH_LOG("no listed uevent after verifying");
	close(uf);
	vse_card_free(c);
}

TEST(uevent_on_rejection)
{
	struct vse_card_opts o = { .mode = VSE_MODE_GARBAGE };
	struct secel_uevent ev;
	struct vse_card *c;
	int uf = uevent_open();

	ASSERT_LE(0, uf);
	c = new_card(_metadata, &o);
	EXPECT_EQ(0, uevent_wait(uf, c->index, "change", "SECEL_STATE",
				 "rejected", WAIT_MS, &ev))
		TH_LOG("no change uevent with SECEL_STATE=rejected");
	close(uf);
	vse_card_free(c);
}

/*
 * Re-verification and INQUIRE change no attribute that stays: "name"
 * and "state" read at every moment, as udev reads them on a uevent.
 * Updating the attributes by rebuilding the group removed and re-added
 * every file, and a reader failed with ENOENT or ENODEV.
 */
struct sysfs_reader {
	unsigned int index;
	volatile int stop;
	int reads, failures, last_err;
};

static void *sysfs_reader_fn(void *arg)
{
	struct sysfs_reader *r = arg;
	char buf[64];
	int ret;

	while (!r->stop) {
		ret = secel_sysfs_read(r->index, r->reads & 1 ? "state" : "name",
				       buf, sizeof(buf));
		r->reads++;
		if (ret < 0) {
			r->failures++;
			r->last_err = ret;
		}
	}
	return NULL;
}

TEST(sysfs_stays_readable_during_verification)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	struct sysfs_reader r = { .index = c->index };
	struct secel_info info;
	pthread_t th;
	int ctl, i;

	ctl = secel_open_ctl();
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, pthread_create(&th, NULL, sysfs_reader_fn, &r));
	for (i = 0; i < 40; i++) {
		EXPECT_EQ(0, secel_ctl(ctl, i & 1 ? SECEL_CTL_INQUIRE :
				       SECEL_CTL_VERIFY, c->index, 0, &info));
	}
	r.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, r.failures) TH_LOG("%d of %d reads failed, the last with %s",
					r.failures, r.reads,
					strerror(-r.last_err));
	close(ctl);
	vse_card_free(c);
}

/*
 * Names are numbered per prefix without regard to case, so that VSE1 and
 * vse1 never stand side by side (in udev links on a case-insensitive
 * file system, in a user's reading); each SE keeps its own spelling.
 */
TEST(name_prefix_numbered_case_insensitively)
{
	struct vse_card_opts lo = { .prefix = "qcase" }, up = { .prefix = "Qcase" };
	struct vse_card *a = new_card(_metadata, &lo);
	struct vse_card *b = new_card(_metadata, &up);
	struct vse_card *c;

	expect_sysfs(_metadata, a->index, "name", "qcase1");
	expect_sysfs(_metadata, b->index, "name", "Qcase2");
	/* the lowest free number, whatever case took it */
	vse_card_free(a);
	c = new_card(_metadata, &up);
	expect_sysfs(_metadata, c->index, "name", "Qcase1");
	vse_card_free(b);
	vse_card_free(c);
}

TEST(name_prefix_seven_letters)
{
	struct vse_card_opts o = { .prefix = "Qabcdef" };
	struct vse_card *c = new_card(_metadata, &o);

	expect_sysfs(_metadata, c->index, "name", "Qabcdef1");
	vse_card_free(c);
}

TEST(list_count_exceeds_room)
{
	struct vse_card *a = new_listed(_metadata, NULL);
	struct vse_card *b = new_listed(_metadata, NULL);
	struct secel_list_entry e[2];
	struct secel_list l = { 0 };
	int ctl = secel_open_ctl();

	ASSERT_LE(0, ctl);
	memset(e, 0xa5, sizeof(e));
	l.entries_ptr = (uintptr_t)e;
	l.count = 1;
	ASSERT_EQ(0, ioctl(ctl, SECEL_CTL_LIST, &l));
	EXPECT_LE(2, l.count) TH_LOG("count must be all matches");
	EXPECT_EQ(SECEL_STATE_LISTED, e[0].state);
	EXPECT_EQ(0xa5a5a5a5, e[1].index) TH_LOG("wrote past the room");
	close(ctl);
	vse_card_free(a);
	vse_card_free(b);
}

TEST(slow_verification_blocks_nothing_else)
{
	struct vse_card_opts o = { .delay_ms = 1500 };
	struct vse_card *c = new_card(_metadata, &o);
	struct secel_info info;
	char buf[64];
	long long t0;
	int ctl = secel_open_ctl(), fd;

	ASSERT_LE(0, ctl);
	/* the verification's SELECT is with the card */
	for (int i = 0; i < 300 && !vse_card_apdus(c); i++)
		usleep(10000);
	ASSERT_LE(1, vse_card_apdus(c));
	t0 = now_ms();
	EXPECT_LE(0, secel_list_state(ctl, SECEL_LIST_ALL, c->index, NULL));
	ASSERT_LE(0, secel_sysfs_read(c->index, "state", buf, sizeof(buf)));
	EXPECT_STREQ("verifying", buf);
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, secel_get_info(fd, &info));
	EXPECT_EQ(SECEL_STATE_VERIFYING, info.state);
	EXPECT_GT(700, now_ms() - t0) TH_LOG("blocked for %lld ms",
					     now_ms() - t0);
	close(fd);
	close(ctl);
	vse_card_free(c);
}

TEST(unplug_during_verification)
{
	struct vse_card_opts o = { .delay_ms = 300 };
	struct vse_card *c = new_card(_metadata, &o);
	long long t0;

	/* the card holds the verification's first APDU */
	for (int i = 0; i < 300 && !vse_card_apdus(c); i++)
		usleep(10000);
	t0 = now_ms();
	vse_card_unplug(c);
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));
	EXPECT_GT(3000, now_ms() - t0);
	vse_card_free(c);
	/* the core still works */
	c = new_listed(_metadata, NULL);
	vse_card_free(c);
}

TEST(unplug_removes_node)
{
	struct vse_card *c = new_listed(_metadata, NULL);
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/secel%u", c->index);
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	close(fd);
	vse_card_unplug(c);
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));
	for (int i = 0; i < 100 && !access(path, F_OK); i++)
		usleep(20000);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s still there", path);
	vse_card_free(c);
}

/* ---- verification failures ---- */

static void expect_rejected(struct __test_metadata *_metadata,
			    struct vse_card *c)
{
	struct secel_channel_open op = { 0 };
	uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0, 0 }, rsp[300];
	uint32_t rlen = sizeof(rsp);
	struct secel_info info;
	int ctl, fd;

	ASSERT_TRUE(secel_wait_state(c->index, "rejected", 3 * WAIT_MS))
		TH_LOG("secel%u did not become rejected", c->index);
	ctl = secel_open_ctl();
	ASSERT_LE(0, ctl);
	EXPECT_EQ(0, secel_list_state(ctl, 0, c->index, NULL))
		TH_LOG("rejected SE in the SE list");
	EXPECT_EQ(SECEL_STATE_REJECTED,
		  secel_list_state(ctl, SECEL_LIST_ALL, c->index, NULL));
	close(ctl);

	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd) TH_LOG("open /dev/secel%u: %s", c->index,
				strerror(-fd));
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_EQ(SECEL_STATE_REJECTED, info.state);
	EXPECT_EQ(-ENOLINK, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen,
					   0, 0));
	op.rsp_ptr = (uintptr_t)rsp;
	op.rsp_len = sizeof(rsp);
	EXPECT_EQ(-1, ioctl(fd, SECEL_IOC_OPEN_CHANNEL, &op));
	EXPECT_EQ(ENOLINK, errno);
	close(fd);
}

TEST(max_length_atr_listed)
{
	/* 17 interface bytes (TD1..TD4 chain), 15 historical bytes, TCK */
	uint8_t atr[SECEL_ATR_MAX] = {
		0x3b, 0xff, 0x96, 0x00, 0xff, 0x81, 0xf1, 0xfe, 0x45, 0x00,
		0xf1, 0xfe, 0x45, 0x00, 0x31, 0xfe, 0x45,
	};
	struct vse_card_opts o = { .atr = atr };
	struct vse_card *c;
	char hex[2 * SECEL_ATR_MAX + 1];

	for (int i = 0; i < 15; i++)
		atr[17 + i] = 'A' + i;
	o.atr_len = vse_atr_fix_tck(atr, 32);
	ASSERT_EQ(SECEL_ATR_MAX, o.atr_len);
	c = new_listed(_metadata, &o);
	to_hex(atr, sizeof(atr), hex);
	expect_sysfs(_metadata, c->index, "atr", hex);
	expect_sysfs(_metadata, c->index, "atr_check", "ok");
	expect_sysfs(_metadata, c->index, "protocol", "T=1");
	vse_card_free(c);
}

/* The default SELECT of verification gets the status word in hook_arg */
static int select_sw_hook(struct vse_card *c, const uint8_t *cmd, size_t len,
			  uint8_t *rsp, size_t size, void *arg)
{
	const uint8_t *sw = arg;

	(void)c;
	(void)size;
	if (len == 5 && !memcmp(cmd, "\x00\xa4\x04\x00\x00", 5)) {
		rsp[0] = sw[0];
		rsp[1] = sw[1];
		return 2;
	}
	return 0;
}

TEST(verification_accepts_any_wellformed_sw)
{
	static const uint8_t sws[][2] = { { 0x6a, 0x82 }, { 0x9f, 0x10 },
					  { 0x61, 0x00 }, { 0x6f, 0x00 } };

	for (unsigned int i = 0; i < 4; i++) {
		struct vse_card_opts o = { .hook = select_sw_hook,
					   .hook_arg = (void *)sws[i] };
		struct vse_card *c = new_card(_metadata, &o);

		EXPECT_TRUE(secel_wait_state(c->index, "listed", WAIT_MS))
			TH_LOG("SELECT answered %02x%02x: not listed",
			       sws[i][0], sws[i][1]);
		vse_card_free(c);
	}
}

TEST(verification_rejects_sw1_outside_6x_9x)
{
	static const uint8_t sws[][2] = { { 0x50, 0x00 }, { 0xa0, 0x00 },
					  { 0x00, 0x00 }, { 0x70, 0x00 } };

	for (unsigned int i = 0; i < 4; i++) {
		struct vse_card_opts o = { .hook = select_sw_hook,
					   .hook_arg = (void *)sws[i] };
		struct vse_card *c = new_card(_metadata, &o);

		EXPECT_TRUE(secel_wait_state(c->index, "rejected", WAIT_MS))
			TH_LOG("SELECT answered %02x%02x: not rejected",
			       sws[i][0], sws[i][1]);
		vse_card_free(c);
	}
}

TEST(bad_ts_rejected)
{
	static const uint8_t atr[] = { 0x3c, 0x80, 0x01, 0x81 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c = new_card(_metadata, &o);

	expect_rejected(_metadata, c);
	vse_card_free(c);
}

TEST(truncated_atr_rejected)
{
	/* T0 announces 2 historical bytes and TD1; only TD1 and one follow */
	static const uint8_t atr[] = { 0x3b, 0x82, 0x80, 0x01, 0xaa };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c = new_card(_metadata, &o);

	expect_rejected(_metadata, c);
	vse_card_free(c);
}

TEST(overlong_atr_rejected)
{
	/* a byte after TCK */
	static const uint8_t atr[] = { 0x3b, 0x80, 0x01, 0x81, 0x00 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c = new_card(_metadata, &o);

	expect_rejected(_metadata, c);
	vse_card_free(c);
}

/* uapi: SECEL_INFO_ATR_MALFORMED, "SE rejected for its ATR" */
TEST(malformed_atr_flagged)
{
	static const uint8_t atr[] = { 0x3c, 0x80, 0x01, 0x81 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c = new_card(_metadata, &o);
	struct secel_info info;
	int fd;

	ASSERT_TRUE(secel_wait_state(c->index, "rejected", WAIT_MS));
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_TRUE(info.flags & SECEL_INFO_ATR_MALFORMED);
	expect_sysfs(_metadata, c->index, "atr_check", "malformed");
	close(fd);
	vse_card_free(c);
}

TEST(garbage_answer_not_flagged_malformed_atr)
{
	struct vse_card_opts o = { .mode = VSE_MODE_GARBAGE };
	struct vse_card *c = new_card(_metadata, &o);
	struct secel_info info;
	int fd;

	ASSERT_TRUE(secel_wait_state(c->index, "rejected", WAIT_MS));
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_FALSE(info.flags & SECEL_INFO_ATR_MALFORMED);
	close(fd);
	vse_card_free(c);
}

TEST(garbage_answer_rejected)
{
	struct vse_card_opts o = { .mode = VSE_MODE_GARBAGE };
	struct vse_card *c = new_card(_metadata, &o);

	expect_rejected(_metadata, c);
	EXPECT_LE(1, vse_card_apdus(c));
	vse_card_free(c);
}

FIXTURE(timeout) {
	char saved[32];
};

FIXTURE_SETUP(timeout)
{
	ASSERT_EQ(0, param_read(PARAM_TIMEOUT_MS, self->saved,
				sizeof(self->saved)));
	ASSERT_EQ(0, param_write(PARAM_TIMEOUT_MS, "500"));
}

FIXTURE_TEARDOWN(timeout)
{
	param_write(PARAM_TIMEOUT_MS, self->saved);
}

TEST_F(timeout, silent_card_rejected)
{
	struct vse_card_opts o = { .mode = VSE_MODE_SILENT };
	struct vse_card *c = new_card(_metadata, &o);

	expect_rejected(_metadata, c);
	EXPECT_LE(1, vse_card_apdus(c));
	vse_card_free(c);
}

TEST(tck_wrong_listed_by_default)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x01, 0x82 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c;
	struct secel_info info;
	char strict[8];
	int fd;

	ASSERT_EQ(0, param_read(PARAM_STRICT_ATR, strict, sizeof(strict)));
	if (strict[0] == 'Y' || strict[0] == '1')
		SKIP(return, "strict_atr is on");
	c = new_listed(_metadata, &o);
	expect_sysfs(_metadata, c->index, "atr_check", "tck-wrong");
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_TRUE(info.flags & SECEL_INFO_ATR_TCK_WRONG);
	EXPECT_FALSE(info.flags & SECEL_INFO_ATR_TCK_MISSING);
	close(fd);
	vse_card_free(c);
}

TEST(tck_missing_listed_by_default)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x01 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c;
	struct secel_info info;
	char strict[8];
	int fd;

	ASSERT_EQ(0, param_read(PARAM_STRICT_ATR, strict, sizeof(strict)));
	if (strict[0] == 'Y' || strict[0] == '1')
		SKIP(return, "strict_atr is on");
	c = new_listed(_metadata, &o);
	expect_sysfs(_metadata, c->index, "atr_check", "tck-missing");
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_TRUE(info.flags & SECEL_INFO_ATR_TCK_MISSING);
	EXPECT_FALSE(info.flags & SECEL_INFO_ATR_TCK_WRONG);
	close(fd);
	vse_card_free(c);
}

FIXTURE(strict) {
	char saved[8];
};

FIXTURE_SETUP(strict)
{
	ASSERT_EQ(0, param_read(PARAM_STRICT_ATR, self->saved,
				sizeof(self->saved)));
	ASSERT_EQ(0, param_write(PARAM_STRICT_ATR, "1"));
}

FIXTURE_TEARDOWN(strict)
{
	param_write(PARAM_STRICT_ATR, self->saved);
}

TEST_F(strict, tck_wrong_rejected_when_strict)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x01, 0x82 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c = new_card(_metadata, &o);

	expect_rejected(_metadata, c);
	vse_card_free(c);
}

TEST_F(strict, tck_missing_rejected_when_strict)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x01 };
	struct vse_card_opts o = { .atr = atr, .atr_len = sizeof(atr) };
	struct vse_card *c = new_card(_metadata, &o);

	expect_rejected(_metadata, c);
	vse_card_free(c);
}

TEST_F(strict, good_atr_listed_when_strict)
{
	struct vse_card *c = new_listed(_metadata, NULL);

	expect_sysfs(_metadata, c->index, "atr_check", "ok");
	vse_card_free(c);
}

/* ---- add / delete / designate, with auto_add off ---- */

FIXTURE(manual) {
	char saved[8];
	char saved_tmo[32];
	int ctl;
	int uev;
};

FIXTURE_SETUP(manual)
{
	self->ctl = -1;
	self->uev = -1;
	ASSERT_EQ(0, param_read(PARAM_AUTO_ADD, self->saved,
				sizeof(self->saved)));
	ASSERT_EQ(0, param_write(PARAM_AUTO_ADD, "0"));
	ASSERT_EQ(0, param_read(PARAM_TIMEOUT_MS, self->saved_tmo,
				sizeof(self->saved_tmo)));
	self->ctl = secel_open_ctl();
	ASSERT_LE(0, self->ctl);
	self->uev = uevent_open();
	ASSERT_LE(0, self->uev);
}

FIXTURE_TEARDOWN(manual)
{
	if (self->ctl >= 0) {
		secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, 0,
			  SECEL_DESIGNATE_CLEAR, NULL);
		close(self->ctl);
	}
	if (self->uev >= 0)
		close(self->uev);
	param_write(PARAM_AUTO_ADD, self->saved);
	param_write(PARAM_TIMEOUT_MS, self->saved_tmo);
}

TEST_F(manual, reported_until_add)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_info info;
	struct secel_uevent ev;

	usleep(300000);
	expect_sysfs(_metadata, c->index, "state", "reported");
	EXPECT_EQ(0, vse_card_apdus(c)) TH_LOG("card talked to before ADD");
	EXPECT_EQ(0, secel_list_state(self->ctl, 0, c->index, NULL));
	EXPECT_EQ(SECEL_STATE_REPORTED,
		  secel_list_state(self->ctl, SECEL_LIST_ALL, c->index, NULL));

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	EXPECT_EQ(c->index, info.index);
	EXPECT_TRUE(info.flags & SECEL_INFO_HAS_CPLC);
	expect_sysfs(_metadata, c->index, "state", "listed");
	EXPECT_EQ(SECEL_STATE_LISTED,
		  secel_list_state(self->ctl, 0, c->index, NULL));
	EXPECT_EQ(0, uevent_wait(self->uev, c->index, "change", "SECEL_STATE",
				 "listed", WAIT_MS, &ev));
	vse_card_free(c);
}

TEST_F(manual, add_on_listed_ealready)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_info info;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	EXPECT_EQ(-EALREADY,
		  secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, &info));
	expect_sysfs(_metadata, c->index, "state", "listed");
	vse_card_free(c);
}

TEST_F(manual, add_failing_card_rejected)
{
	struct vse_card_opts o = { .mode = VSE_MODE_GARBAGE };
	struct vse_card *c = new_card(_metadata, &o);
	struct secel_info info;

	EXPECT_EQ(-EPROTO,
		  secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, &info));
	expect_sysfs(_metadata, c->index, "state", "rejected");
	/* the card mends its ways: ADD works on a rejected SE */
	vse_card_set_mode(c, VSE_MODE_NORMAL);
	EXPECT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	vse_card_free(c);
}

TEST_F(manual, add_silent_card_etimedout)
{
	struct vse_card_opts o = { .mode = VSE_MODE_SILENT };
	struct vse_card *c = new_card(_metadata, &o);
	struct secel_info info;
	long long t0;

	ASSERT_EQ(0, param_write(PARAM_TIMEOUT_MS, "500"));
	t0 = now_ms();
	EXPECT_EQ(-ETIMEDOUT, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0,
					&info));
	EXPECT_GT(3000, now_ms() - t0);
	expect_sysfs(_metadata, c->index, "state", "rejected");
	vse_card_free(c);
}

/*
 * CORE-SPEC: "The info struct returned reflects the state after the op",
 * and the uapi: "@info: out, the SE's information after the operation" --
 * also when the operation is a failed verification.
 */
TEST_F(manual, failed_add_returns_info)
{
	struct vse_card_opts o = { .mode = VSE_MODE_GARBAGE };
	struct vse_card *c = new_card(_metadata, &o);
	struct secel_info info;

	EXPECT_EQ(-EPROTO, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0,
				     &info));
	EXPECT_EQ(c->index, info.index) TH_LOG("info not filled on failure");
	EXPECT_EQ(SECEL_STATE_REJECTED, info.state);
	vse_card_free(c);
}

TEST_F(manual, rejecting_designated_clears_designation)
{
	struct vse_card *a = new_card(_metadata, NULL);
	struct secel_uevent ev;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, a->index, 0, NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, a->index, 0,
			       NULL));
	vse_card_set_mode(a, VSE_MODE_GARBAGE);
	EXPECT_EQ(-EPROTO, secel_ctl(self->ctl, SECEL_CTL_VERIFY, a->index, 0,
				     NULL));
	expect_sysfs(_metadata, a->index, "state", "rejected");
	expect_sysfs(_metadata, a->index, "designated", "0");
	EXPECT_EQ(0, uevent_wait(self->uev, a->index, "change",
				 "SECEL_DESIGNATED", "0", WAIT_MS, &ev));
	vse_card_free(a);
}

TEST_F(manual, verify_failing_card_leaves_list)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_info info;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_VERIFY, c->index, 0,
			       &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	vse_card_set_mode(c, VSE_MODE_GARBAGE);
	EXPECT_EQ(-EPROTO, secel_ctl(self->ctl, SECEL_CTL_VERIFY, c->index, 0,
				     &info));
	expect_sysfs(_metadata, c->index, "state", "rejected");
	EXPECT_EQ(0, secel_list_state(self->ctl, 0, c->index, NULL));
	vse_card_free(c);
}

TEST_F(manual, rejected_se_keeps_no_items)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_info info;
	char buf[256];
	uint8_t item[64];
	uint32_t len = sizeof(item);
	int fd;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	ASSERT_LE(0, secel_sysfs_read(c->index, "cplc", buf, sizeof(buf)));
	vse_card_set_mode(c, VSE_MODE_GARBAGE);
	EXPECT_EQ(-EPROTO, secel_ctl(self->ctl, SECEL_CTL_VERIFY, c->index, 0,
				     &info));
	EXPECT_EQ(0, info.flags & SECEL_INFO_HAS_CPLC);
	EXPECT_EQ(-ENOENT, secel_sysfs_read(c->index, "cplc", buf,
					    sizeof(buf))) TH_LOG("cplc shown");
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENODATA, secel_get_item(fd, SECEL_ITEM_CPLC, item, &len));
	close(fd);
	vse_card_free(c);
}

TEST_F(manual, reset_raises_change_uevent)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_reset rs = { 0 };
	struct secel_uevent ev;
	int fd;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	/* drain what ADD raised */
	while (!uevent_wait(self->uev, c->index, NULL, NULL, NULL, 200, &ev))
		;
	ASSERT_EQ(0, ioctl(fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(0, uevent_wait(self->uev, c->index, "change", NULL, NULL,
				 WAIT_MS, &ev))
		TH_LOG("no change uevent for a successful RESET");
	close(fd);
	vse_card_free(c);
}

TEST_F(manual, inquire_reacquires_information)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_info info;
	unsigned long before;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	before = vse_card_apdus(c);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_INQUIRE, c->index, 0,
			       &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	EXPECT_LT(before, vse_card_apdus(c)) TH_LOG("INQUIRE did not ask");
	EXPECT_LE(0, vse_card_log_find_ins(c, 0, 0xca));
	vse_card_free(c);
}

TEST_F(manual, delete_keeps_device_drops_channels)
{
	struct vse_card *c = new_card(_metadata, NULL);
	uint8_t rsp[300], cmd[] = { 0x80, VSE_INS_ECHO, 0, 0 };
	uint32_t rlen = sizeof(rsp), ch;
	struct secel_info info;
	struct secel_uevent ev;
	int fd, n;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_open_channel(fd, (const uint8_t *)VSE_TEST_AID,
					VSE_TEST_AID_LEN, rsp, &rlen, &ch));

	vse_card_clear_log(c);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DELETE, c->index, 0,
			       &info));
	EXPECT_EQ(SECEL_STATE_DELETED, info.state);
	expect_sysfs(_metadata, c->index, "state", "deleted");
	{
		uint8_t seen[8];

		EXPECT_EQ(4, vse_card_log_get(c, 0, seen, sizeof(seen)))
			TH_LOG("DELETE did not close the channel on the card");
		EXPECT_EQ(0, memcmp(seen, "\x00\x70\x80", 3));
		EXPECT_EQ(ch, seen[3]);
	}
	EXPECT_EQ(0, uevent_wait(self->uev, c->index, "change", "SECEL_STATE",
				 "deleted", WAIT_MS, &ev));
	EXPECT_EQ(0, secel_list_state(self->ctl, 0, c->index, NULL));
	EXPECT_EQ(SECEL_STATE_DELETED,
		  secel_list_state(self->ctl, SECEL_LIST_ALL, c->index, NULL));
	expect_sysfs(_metadata, c->index, "name", info.name);
	ASSERT_EQ(0, secel_get_info(fd, &info)) TH_LOG("device gone");
	EXPECT_EQ(SECEL_STATE_DELETED, info.state);
	rlen = sizeof(rsp);
	EXPECT_EQ(-ENOLINK, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen,
					   0, 0));

	/* listed again: the old channel is gone for good */
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	rlen = sizeof(rsp);
	EXPECT_EQ(-ENXIO, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen,
					 ch, 0));
	EXPECT_EQ(-ENXIO, secel_close_channel(fd, ch));
	rlen = sizeof(rsp);
	EXPECT_EQ(0, secel_transmit(fd, cmd, sizeof(cmd), rsp, &rlen, 0, 0));
	n = rlen;
	EXPECT_EQ(2, n);
	close(fd);
	vse_card_free(c);
}

TEST_F(manual, verify_keeps_designation)
{
	struct vse_card *a = new_card(_metadata, NULL);
	struct secel_info info;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, a->index, 0, NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, a->index, 0,
			       NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_VERIFY, a->index, 0,
			       &info));
	EXPECT_EQ(SECEL_STATE_LISTED, info.state);
	EXPECT_TRUE(info.flags & SECEL_INFO_DESIGNATED)
		TH_LOG("a successful VERIFY cleared the designation");
	expect_sysfs(_metadata, a->index, "designated", "1");
	vse_card_free(a);
}

TEST_F(manual, delete_unlisted_enoent)
{
	struct vse_card *c = new_card(_metadata, NULL);

	EXPECT_EQ(-ENOENT, secel_ctl(self->ctl, SECEL_CTL_DELETE, c->index, 0,
				     NULL));
	expect_sysfs(_metadata, c->index, "state", "reported");
	vse_card_free(c);
}

TEST_F(manual, designate_moves_with_uevents)
{
	struct vse_card *a = new_card(_metadata, NULL);
	struct vse_card *b = new_card(_metadata, NULL);
	struct secel_info info;
	struct secel_uevent ev;
	char ia[16], ib[16];

	snprintf(ia, sizeof(ia), "%u", a->index);
	snprintf(ib, sizeof(ib), "%u", b->index);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, a->index, 0, NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, b->index, 0, NULL));

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, a->index, 0,
			       &info));
	EXPECT_TRUE(info.flags & SECEL_INFO_DESIGNATED);
	expect_sysfs(_metadata, a->index, "designated", "1");
	expect_sysfs(_metadata, b->index, "designated", "0");
	EXPECT_EQ(0, uevent_wait(self->uev, a->index, "change",
				 "SECEL_DESIGNATED", "1", WAIT_MS, &ev));

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, b->index, 0,
			       &info));
	EXPECT_TRUE(info.flags & SECEL_INFO_DESIGNATED);
	expect_sysfs(_metadata, a->index, "designated", "0");
	expect_sysfs(_metadata, b->index, "designated", "1");
	EXPECT_EQ(0, uevent_wait(self->uev, a->index, "change",
				 "SECEL_DESIGNATED", "0", WAIT_MS, &ev))
		TH_LOG("no change uevent for the SE that lost designation");
	EXPECT_EQ(0, uevent_wait(self->uev, b->index, "change",
				 "SECEL_DESIGNATED", "1", WAIT_MS, &ev))
		TH_LOG("no change uevent for the newly designated SE");
	vse_card_free(a);
	vse_card_free(b);
}

TEST_F(manual, designate_clear)
{
	struct vse_card *a = new_card(_metadata, NULL);
	struct secel_uevent ev;
	struct secel_info info;
	int fd;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, a->index, 0, NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, a->index, 0,
			       NULL));
	/* index ignored with SECEL_DESIGNATE_CLEAR */
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, 0xfffffff0,
			       SECEL_DESIGNATE_CLEAR, NULL));
	expect_sysfs(_metadata, a->index, "designated", "0");
	EXPECT_EQ(0, uevent_wait(self->uev, a->index, "change",
				 "SECEL_DESIGNATED", "0", WAIT_MS, &ev));
	fd = secel_open_se(a->index);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_FALSE(info.flags & SECEL_INFO_DESIGNATED);
	close(fd);
	vse_card_free(a);
}

TEST_F(manual, delete_designated_clears_designation)
{
	struct vse_card *a = new_card(_metadata, NULL);

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, a->index, 0, NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, a->index, 0,
			       NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DELETE, a->index, 0, NULL));
	expect_sysfs(_metadata, a->index, "designated", "0");
	vse_card_free(a);
}

TEST_F(manual, designate_unlisted_enoent)
{
	struct vse_card *c = new_card(_metadata, NULL);

	EXPECT_EQ(-ENOENT, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, c->index,
				     0, NULL));
	expect_sysfs(_metadata, c->index, "designated", "0");
	vse_card_free(c);
}

TEST_F(manual, unknown_index_enodev)
{
	unsigned long cmds[] = { SECEL_CTL_ADD, SECEL_CTL_VERIFY,
				 SECEL_CTL_INQUIRE, SECEL_CTL_DELETE,
				 SECEL_CTL_DESIGNATE };

	for (unsigned int i = 0; i < 5; i++) {
		EXPECT_EQ(-ENODEV, secel_ctl(self->ctl, cmds[i], 0xfffffff0, 0,
					     NULL))
			TH_LOG("ctl op %u", i);
	}
}

TEST_F(manual, ctl_unknown_flags_einval)
{
	struct vse_card *c = new_card(_metadata, NULL);

	EXPECT_EQ(-EINVAL, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0x10,
				     NULL));
	EXPECT_EQ(-EINVAL, secel_ctl(self->ctl, SECEL_CTL_DESIGNATE, c->index,
				     0x10, NULL));
	vse_card_free(c);
}

struct ctl_job {
	int ctl;
	unsigned long cmd;
	unsigned int index;
	int ret;
};

static void *ctl_thread(void *arg)
{
	struct ctl_job *j = arg;

	j->ret = secel_ctl(j->ctl, j->cmd, j->index, 0, NULL);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A signal during ADD leaves the SE as it was, not rejected */
TEST_F(manual, interrupted_add_leaves_state)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct vse_card_opts o = { .mode = VSE_MODE_SILENT };
	struct vse_card *c = new_card(_metadata, &o);
	struct ctl_job job = { .ctl = self->ctl, .cmd = SECEL_CTL_ADD,
			       .index = c->index, .ret = 1 };
	pthread_t t;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, ctl_thread, &job));
	for (int i = 0; i < 300 && !vse_card_apdus(c); i++)
		usleep(10000);
	ASSERT_LE(1, vse_card_apdus(c));
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(-EINTR, job.ret) TH_LOG("ADD: %s", strerror(-job.ret));
	expect_sysfs(_metadata, c->index, "state", "reported");
	vse_card_free(c);
}

TEST_F(manual, concurrent_add_one_wins)
{
	struct vse_card_opts o = { .delay_ms = 20 };
	struct vse_card *c = new_card(_metadata, &o);
	struct ctl_job jobs[4];
	pthread_t t[4];
	int ok = 0, already = 0;

	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct ctl_job){ .ctl = self->ctl,
					    .cmd = SECEL_CTL_ADD,
					    .index = c->index };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, ctl_thread, &jobs[i]));
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		if (jobs[i].ret == 0)
			ok++;
		else if (jobs[i].ret == -EALREADY)
			already++;
		else
			TH_LOG("ADD: %s", strerror(-jobs[i].ret));
	}
	EXPECT_EQ(1, ok);
	EXPECT_EQ(3, already);
	expect_sysfs(_metadata, c->index, "state", "listed");
	vse_card_free(c);
}

struct tx_job {
	int fd;
	int ret;
};

static void *tx_thread(void *arg)
{
	static const uint8_t cmd[] = { 0x80, VSE_INS_ECHO, 0x00, 0x00, 0x01,
				       0x11 };
	struct tx_job *j = arg;
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp);

	j->ret = secel_transmit(j->fd, cmd, sizeof(cmd), rsp, &rlen, 0, 0);
	return NULL;
}

TEST_F(manual, delete_during_transmit)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct tx_job job = { .ret = 1 };
	struct secel_info info;
	pthread_t t;
	long long t0;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	job.fd = secel_open_se(c->index);
	ASSERT_LE(0, job.fd);
	vse_card_clear_log(c);
	vse_card_set_delay(c, 500);
	ASSERT_EQ(0, pthread_create(&t, NULL, tx_thread, &job));
	for (int i = 0; i < 300 && !vse_card_log_count(c); i++)
		usleep(10000);
	t0 = now_ms();
	EXPECT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DELETE, c->index, 0,
			       &info));
	EXPECT_GT(5000, now_ms() - t0);
	pthread_join(t, NULL);
	/*
	 * In flight on the card: cancelled (0 when the card answered
	 * before DELETE came, ENOLINK when it was not in flight yet)
	 */
	EXPECT_TRUE(job.ret == -ECANCELED || job.ret == 0 ||
		    job.ret == -ENOLINK)
		TH_LOG("transmit during DELETE: %s", strerror(-job.ret));
	EXPECT_EQ(SECEL_STATE_DELETED, info.state);
	vse_card_set_delay(c, 0);
	job.ret = 1;
	tx_thread(&job);
	EXPECT_EQ(-ENOLINK, job.ret);
	close(job.fd);
	vse_card_free(c);
}

TEST_F(manual, unplug_during_add)
{
	struct vse_card_opts o = { .delay_ms = 200 };
	struct vse_card *c = new_card(_metadata, &o);
	struct ctl_job job = { .ctl = self->ctl, .cmd = SECEL_CTL_ADD,
			       .index = c->index, .ret = 1 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, ctl_thread, &job));
	for (int i = 0; i < 300 && !vse_card_apdus(c); i++)
		usleep(10000);
	vse_card_unplug(c);
	pthread_join(t, NULL);
	EXPECT_NE(0, job.ret) TH_LOG("ADD of an unplugged SE succeeded");
	TH_LOG("ADD during unplug: %s", strerror(-job.ret));
	EXPECT_TRUE(secel_wait_gone(c->index, WAIT_MS));
	vse_card_free(c);
}

/* ---- DELETE against waiting APDUs (item 3) ---- */

struct wait_job {
	int fd;
	bool open;		/* OPEN_CHANNEL, else TRANSMIT of @cmd */
	const uint8_t *cmd;
	size_t len;
	int ret;
};

static void *wait_thread(void *arg)
{
	struct wait_job *j = arg;
	uint8_t rsp[300];
	uint32_t rlen = sizeof(rsp), ch;

	if (j->open)
		j->ret = secel_open_channel(j->fd,
					    (const uint8_t *)VSE_TEST_AID,
					    VSE_TEST_AID_LEN, rsp, &rlen, &ch);
	else
		j->ret = secel_transmit(j->fd, j->cmd, j->len, rsp, &rlen, 0,
					0);
	return NULL;
}

/* Entries of the card's log with INS @ins (and P1 @p1 unless negative) */
static int count_ins(struct vse_card *c, uint8_t ins, int p1)
{
	uint8_t buf[300];
	int n = 0;

	for (unsigned int i = 0; i < vse_card_log_count(c); i++) {
		int len = vse_card_log_get(c, i, buf, sizeof(buf));

		if (len >= 4 && buf[1] == ins && (p1 < 0 || buf[2] == p1))
			n++;
	}
	return n;
}

TEST_F(manual, delete_while_transmit_waits)
{
	/* 4 s on the card: DELETE cancels it rather than waits */
	static const uint8_t slow[] = { 0x80, VSE_INS_SLOW, 40, 0x00 };
	static const uint8_t echo[] = { 0x80, VSE_INS_ECHO, 0, 0, 1, 0xb2 };
	struct vse_card *c = new_card(_metadata, NULL);
	struct wait_job a = { .cmd = slow, .len = sizeof(slow), .ret = 1 };
	struct wait_job b = { .cmd = echo, .len = sizeof(echo), .ret = 1 };
	struct wait_job o = { .open = true, .ret = 1 };
	int fds[3], i, ret;
	pthread_t ta, tb, to;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	a.fd = secel_open_se(c->index);
	b.fd = secel_open_se(c->index);
	o.fd = secel_open_se(c->index);
	ASSERT_LE(0, a.fd);
	ASSERT_LE(0, b.fd);
	ASSERT_LE(0, o.fd);
	vse_card_clear_log(c);
	/* an APDU in flight (4 s on the card), two callers behind it */
	ASSERT_EQ(0, pthread_create(&ta, NULL, wait_thread, &a));
	for (i = 0; i < 300 && !vse_card_log_count(c); i++)
		usleep(10000);
	ASSERT_EQ(1, vse_card_log_count(c));
	ASSERT_EQ(0, pthread_create(&tb, NULL, wait_thread, &b));
	ASSERT_EQ(0, pthread_create(&to, NULL, wait_thread, &o));
	usleep(200000);
	ASSERT_EQ(1, vse_card_log_count(c)) TH_LOG("nobody waited");
	EXPECT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DELETE, c->index, 0,
			       NULL));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(to, NULL);
	/* the converter's cancel: the exchange in flight is given up */
	EXPECT_EQ(-ECANCELED, a.ret)
		TH_LOG("the APDU in flight: %s", strerror(-a.ret));
	EXPECT_EQ(-ENOLINK, b.ret) TH_LOG("the waiting TRANSMIT: %s",
					  strerror(-b.ret));
	EXPECT_EQ(-ENOLINK, o.ret) TH_LOG("the waiting OPEN_CHANNEL: %s",
					  strerror(-o.ret));
	EXPECT_EQ(0, count_ins(c, VSE_INS_ECHO, -1))
		TH_LOG("the waiting TRANSMIT reached the card");
	EXPECT_EQ(0, count_ins(c, 0x70, 0x00))
		TH_LOG("the waiting OPEN_CHANNEL reached the card");
	expect_sysfs(_metadata, c->index, "state", "deleted");

	/* listed again: every file opens channels, none is stale */
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	fds[0] = a.fd;
	fds[1] = b.fd;
	fds[2] = o.fd;
	for (i = 0; i < 18; i++) {
		uint8_t rsp[300];
		uint32_t rlen = sizeof(rsp), ch;

		ret = secel_open_channel(fds[i % 3],
					 (const uint8_t *)VSE_TEST_AID,
					 VSE_TEST_AID_LEN, rsp, &rlen, &ch);
		EXPECT_EQ(0, ret) TH_LOG("channel #%d after the new ADD: %s",
					 i + 1, strerror(-ret));
		if (ret)
			break;
	}
	/* the card answered the cancelled APDU before these requests */
	EXPECT_EQ(ESTALE, c->last_write_errno)
		TH_LOG("the late answer to the cancelled APDU: %s",
		       strerror(c->last_write_errno));
	close(a.fd);
	close(b.fd);
	close(o.fd);
	vse_card_free(c);
}

/* DELETE closes the channels on the card, then powers it off */
TEST_F(manual, delete_closes_channels_then_powers_off)
{
	struct vse_card *c = new_card(_metadata, NULL);
	uint8_t rsp[300];
	uint32_t rlen, ch[2];
	int fd, i;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		rlen = sizeof(rsp);
		ASSERT_EQ(0, secel_open_channel(fd,
						(const uint8_t *)VSE_TEST_AID,
						VSE_TEST_AID_LEN, rsp, &rlen,
						&ch[i]));
	}
	vse_card_clear_log(c);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DELETE, c->index, 0,
			       NULL));
	EXPECT_EQ(1, vse_card_closes(c, ch[0]));
	EXPECT_EQ(1, vse_card_closes(c, ch[1]));
	EXPECT_LE(1, c->power_offs) TH_LOG("DELETE did not power the card off");
	EXPECT_EQ(2, c->power_off_at) TH_LOG("power-off not after the closes");
	close(fd);
	vse_card_free(c);
}

/* ---- ADD power-cycles a card that is still powered (item 8) ---- */

static void expect_power_cycle_before_select(struct __test_metadata *_metadata,
					     struct vse_card *c,
					     unsigned long offs_before)
{
	uint8_t first[8];

	EXPECT_LT(offs_before, c->power_offs)
		TH_LOG("ADD did not power the card off first");
	EXPECT_EQ(0, c->power_off_at)
		TH_LOG("power-off after %ld APDUs of the verification",
		       c->power_off_at);
	ASSERT_LE(4, vse_card_log_get(c, 0, first, sizeof(first)));
	EXPECT_EQ(0xa4, first[1]) TH_LOG("verification not started by SELECT");
}

TEST_F(manual, readd_after_reject_power_cycles)
{
	struct vse_card *c = new_card(_metadata, NULL);
	unsigned long offs;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	vse_card_set_mode(c, VSE_MODE_GARBAGE);
	ASSERT_EQ(-EPROTO, secel_ctl(self->ctl, SECEL_CTL_VERIFY, c->index, 0,
				     NULL));
	expect_sysfs(_metadata, c->index, "state", "rejected");
	vse_card_set_mode(c, VSE_MODE_NORMAL);
	usleep(100000);
	vse_card_clear_log(c);
	pthread_mutex_lock(&c->lock);
	offs = c->power_offs;
	c->power_off_at = -1;
	pthread_mutex_unlock(&c->lock);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	expect_power_cycle_before_select(_metadata, c, offs);
	vse_card_free(c);
}

TEST_F(manual, readd_after_reset_power_cycles)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_reset rs = { 0 };
	unsigned long offs;
	int fd;

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DELETE, c->index, 0,
			       NULL));
	fd = secel_open_se(c->index);
	ASSERT_LE(0, fd);
	/* RESET powers a card that is off on again */
	ASSERT_EQ(0, ioctl(fd, SECEL_IOC_RESET, &rs))
		TH_LOG("RESET of a deleted SE: %s", strerror(errno));
	vse_card_clear_log(c);
	pthread_mutex_lock(&c->lock);
	offs = c->power_offs;
	c->power_off_at = -1;
	pthread_mutex_unlock(&c->lock);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	expect_power_cycle_before_select(_metadata, c, offs);
	close(fd);
	vse_card_free(c);
}

/* ---- RESET is a configurator operation (item 4) ---- */

static void expect_reset_rejects(struct __test_metadata *_metadata,
				 struct vse_card *c, int ctl, int uev)
{
	const uint32_t items[] = { SECEL_ITEM_CPLC, SECEL_ITEM_IIN,
				   SECEL_ITEM_CIN, SECEL_ITEM_CARD_DATA };
	struct secel_reset rs = { 0 };
	struct secel_info info;
	struct secel_uevent ev;
	uint8_t buf[300];
	uint32_t len;
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, secel_ctl(ctl, SECEL_CTL_DESIGNATE, c->index, 0, NULL));
	expect_sysfs(_metadata, c->index, "designated", "1");
	while (!uevent_wait(uev, c->index, NULL, NULL, NULL, 200, &ev))
		;
	EXPECT_EQ(-1, ioctl(fd, SECEL_IOC_RESET, &rs));
	EXPECT_EQ(EPROTO, errno);
	ASSERT_EQ(0, secel_get_info(fd, &info));
	EXPECT_EQ(SECEL_STATE_REJECTED, info.state) TH_LOG("state %u",
							   info.state);
	EXPECT_EQ(0, info.flags & (SECEL_INFO_DESIGNATED |
				   SECEL_INFO_HAS_CPLC | SECEL_INFO_HAS_IIN |
				   SECEL_INFO_HAS_CIN |
				   SECEL_INFO_HAS_CARD_DATA))
		TH_LOG("flags %#x", info.flags);
	expect_sysfs(_metadata, c->index, "designated", "0");
	for (unsigned int i = 0; i < 4; i++) {
		len = sizeof(buf);
		EXPECT_EQ(-ENODATA, secel_get_item(fd, items[i], buf, &len))
			TH_LOG("item %u kept", items[i]);
	}
	EXPECT_EQ(0, secel_list_state(ctl, 0, c->index, NULL))
		TH_LOG("still in the SE list");
	EXPECT_EQ(0, uevent_wait(uev, c->index, "change", "SECEL_STATE",
				 "rejected", WAIT_MS, &ev))
		TH_LOG("no change uevent for the rejection");
	close(fd);
}

TEST_F(manual, reset_bad_atr_rejects_and_drops_items)
{
	static const uint8_t bad_atr[] = { 0x3c, 0x80, 0x01, 0x81 };
	struct vse_card_opts o = { .reset_atr = bad_atr,
				   .reset_atr_len = sizeof(bad_atr) };
	struct vse_card *c = new_card(_metadata, &o);

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	expect_reset_rejects(_metadata, c, self->ctl, self->uev);
	vse_card_free(c);
}

TEST_F(manual, reset_tck_flaw_strict_rejects_and_drops_items)
{
	static const uint8_t flawed[] = { 0x3b, 0x80, 0x01, 0x82 };
	struct vse_card_opts o = { .reset_atr = flawed,
				   .reset_atr_len = sizeof(flawed) };
	struct vse_card *c = new_card(_metadata, &o);
	char saved[8];

	ASSERT_EQ(0, param_read(PARAM_STRICT_ATR, saved, sizeof(saved)));
	ASSERT_EQ(0, param_write(PARAM_STRICT_ATR, "1"));
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	expect_reset_rejects(_metadata, c, self->ctl, self->uev);
	param_write(PARAM_STRICT_ATR, saved);
	vse_card_free(c);
}

/*
 * RESET works in every state.  A card that is off (reported, deleted) is
 * powered on, which a virtual card does not see; a powered one gets RESET.
 */
TEST_F(manual, reset_works_in_every_state)
{
	struct vse_card *c = new_card(_metadata, NULL);
	struct secel_reset rs = { 0 };
	unsigned long resets;
	int fd = secel_open_se(c->index);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ioctl(fd, SECEL_IOC_RESET, &rs)) TH_LOG("reported: %s",
							    strerror(errno));
	EXPECT_EQ(vse_good_atr_len, rs.atr_len);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	resets = c->resets;
	EXPECT_EQ(0, ioctl(fd, SECEL_IOC_RESET, &rs)) TH_LOG("listed: %s",
							    strerror(errno));
	EXPECT_LT(resets, c->resets) TH_LOG("no RESET for a listed SE");
	expect_sysfs(_metadata, c->index, "state", "listed");
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_DELETE, c->index, 0,
			       NULL));
	EXPECT_EQ(0, ioctl(fd, SECEL_IOC_RESET, &rs)) TH_LOG("deleted: %s",
							    strerror(errno));
	EXPECT_EQ(vse_good_atr_len, rs.atr_len);
	expect_sysfs(_metadata, c->index, "state", "deleted");
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	vse_card_set_mode(c, VSE_MODE_GARBAGE);
	EXPECT_EQ(-EPROTO, secel_ctl(self->ctl, SECEL_CTL_VERIFY, c->index, 0,
				     NULL));
	vse_card_set_mode(c, VSE_MODE_NORMAL);
	rs.atr_len = 0;
	EXPECT_EQ(0, ioctl(fd, SECEL_IOC_RESET, &rs)) TH_LOG("rejected: %s",
							    strerror(errno));
	EXPECT_EQ(vse_good_atr_len, rs.atr_len);
	expect_sysfs(_metadata, c->index, "state", "rejected");
	close(fd);
	vse_card_free(c);
}

/* RESET waits for the configuration lock: never inside an ADD */
TEST_F(manual, reset_during_add_waits_for_it)
{
	struct vse_card_opts o = { .delay_ms = 150 };
	struct vse_card *c = new_card(_metadata, &o);
	struct ctl_job job = { .ctl = self->ctl, .cmd = SECEL_CTL_ADD,
			       .index = c->index, .ret = 1 };
	struct secel_reset rs = { 0 };
	pthread_t t;
	int fd = secel_open_se(c->index), ret;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, ctl_thread, &job));
	for (int i = 0; i < 300 && !vse_card_apdus(c); i++)
		usleep(10000);
	ASSERT_LE(1, vse_card_apdus(c));
	ret = ioctl(fd, SECEL_IOC_RESET, &rs) ? -errno : 0;
	pthread_join(t, NULL);
	EXPECT_EQ(0, ret) TH_LOG("RESET: %s", strerror(-ret));
	EXPECT_EQ(0, job.ret) TH_LOG("ADD: %s", strerror(-job.ret));
	EXPECT_EQ((long)vse_card_log_count(c), c->reset_at)
		TH_LOG("RESET came after %ld of the ADD's %u APDUs",
		       c->reset_at, vse_card_log_count(c));
	expect_sysfs(_metadata, c->index, "state", "listed");
	close(fd);
	vse_card_free(c);
}

/* ---- sysfs shows only the items an SE has (item 9) ---- */

static bool attr_exists(unsigned int index, const char *attr)
{
	char path[128];

	snprintf(path, sizeof(path), SECEL_CLASS_DIR "/secel%u/%s", index,
		 attr);
	return access(path, F_OK) == 0;
}

TEST(sysfs_absent_items_hidden)
{
	struct vse_card_opts o = { .no_items = true };
	struct vse_card *c = new_listed(_metadata, &o);
	const char *absent[] = { "cplc", "iin", "cin", "card_data" };
	const char *present[] = { "atr", "atr_check", "protocol", "state" };

	for (unsigned int i = 0; i < 4; i++) {
		EXPECT_FALSE(attr_exists(c->index, absent[i]))
			TH_LOG("%s shown for an SE without it", absent[i]);
		EXPECT_TRUE(attr_exists(c->index, present[i]))
			TH_LOG("%s hidden", present[i]);
	}
	vse_card_free(c);
}

TEST_F(manual, sysfs_items_come_and_go_with_the_data)
{
	struct vse_card *c = new_card(_metadata, NULL);
	const char *items[] = { "cplc", "iin", "cin", "card_data" };
	char hex[128];

	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	for (unsigned int i = 0; i < 4; i++) {
		EXPECT_TRUE(attr_exists(c->index, items[i]))
			TH_LOG("%s hidden when listed", items[i]);
	}
	vse_card_set_mode(c, VSE_MODE_GARBAGE);
	EXPECT_EQ(-EPROTO, secel_ctl(self->ctl, SECEL_CTL_VERIFY, c->index, 0,
				     NULL));
	for (unsigned int i = 0; i < 4; i++) {
		EXPECT_FALSE(attr_exists(c->index, items[i]))
			TH_LOG("%s shown when rejected", items[i]);
	}
	vse_card_set_mode(c, VSE_MODE_NORMAL);
	ASSERT_EQ(0, secel_ctl(self->ctl, SECEL_CTL_ADD, c->index, 0, NULL));
	to_hex(vse_cplc, sizeof(vse_cplc), hex);
	expect_sysfs(_metadata, c->index, "cplc", hex);
	vse_card_free(c);
}

int main(int argc, char **argv)
{
	secel_require_modules();
	return test_harness_run(argc, argv);
}
