// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsecel host unit tests: no kernel.  Argument checks, the sysfs
 * reading against a fake class directory (LIBSECEL_SYSFS), and the uevent
 * parser.  Links the static archive, so the internal functions are here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int failed, checks;

#define CHECK(cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		failed++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %s)\n",	\
			__FILE__, __LINE__, #cond, strerror(errno));	\
	}								\
} while (0)

/* errno after a failing call */
#define CHECK_ERR(call, err) do {					\
	errno = 0;							\
	CHECK((call) && errno == (err));				\
} while (0)

static char root[] = "/tmp/libsecel-test.XXXXXX";
static char sysdir[256], devdir[256];

static void put(const char *rel, const char *content, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sysdir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, content, strlen(content)) < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
	chmod(path, mode);
}

static void se(unsigned int idx, const char *name, const char *kind,
	       const char *state, int designated, const char *atr)
{
	char dir[512], rel[64], val[64];

	snprintf(dir, sizeof(dir), "%s/secel%u", sysdir, idx);
	mkdir(dir, 0755);
	snprintf(rel, sizeof(rel), "secel%u/name", idx);
	snprintf(val, sizeof(val), "%s\n", name);
	put(rel, val, 0444);
	snprintf(rel, sizeof(rel), "secel%u/kind", idx);
	snprintf(val, sizeof(val), "%s\n", kind);
	put(rel, val, 0444);
	snprintf(rel, sizeof(rel), "secel%u/transport", idx);
	put(rel, "vse\n", 0444);
	snprintf(rel, sizeof(rel), "secel%u/state", idx);
	snprintf(val, sizeof(val), "%s\n", state);
	put(rel, val, 0444);
	snprintf(rel, sizeof(rel), "secel%u/designated", idx);
	put(rel, designated ? "1\n" : "0\n", 0444);
	if (atr) {
		snprintf(rel, sizeof(rel), "secel%u/atr", idx);
		snprintf(val, sizeof(val), "%s\n", atr);
		put(rel, val, 0444);
	}
}

static void make_tree(void)
{
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(sysdir, sizeof(sysdir), "%s/sys", root);
	snprintf(devdir, sizeof(devdir), "%s/dev", root);
	mkdir(sysdir, 0755);
	mkdir(devdir, 0755);
	se(10, "VSE2", "virtual", "listed", 0, NULL);
	se(0, "eSE1", "physical", "listed", 0, "3b8280018041");
	se(2, "VSE1", "virtual", "listed", 1, "3B8280018041");
	put("secel2/protocol", "T=0 T=1\n", 0444);
	put("secel2/atr_check", "tck-wrong\n", 0444);
	put("secel2/iin", "4212345678\n", 0444);
	put("secel2/cplc", "9f7f00\n", 0400);	/* root's, as the kernel's */
	/* not SEs */
	mkdir(strcat(strcpy((char[512]){0}, sysdir), "/secelx"), 0755);
	mkdir(strcat(strcpy((char[512]){0}, sysdir), "/secel"), 0755);
	/* malformed ones */
	se(20, "BAD1", "quantum", "listed", 0, NULL);
	se(21, "BAD2", "virtual", "listed", 0, "3B8");
	se(22, "BAD3", "virtual", "sleeping", 0, NULL);
	se(23, "BAD4", "virtual", "listed", 0, NULL);
	put("secel23/protocol", "T=0 X=1\n", 0444);
	se(24, "BAD5", "virtual", "listed", 0, NULL);
	put("secel24/name", "AVERYLONGNAMEFORANSE\n", 0444);
	setenv("LIBSECEL_SYSFS", sysdir, 1);
	setenv("LIBSECEL_DEV", devdir, 1);
}

static void test_args(void)
{
	unsigned int idx;
	size_t len = 16;
	uint8_t buf[16];

	CHECK_ERR(secel_find(NULL, &idx) < 0, EINVAL);
	CHECK_ERR(secel_find("", &idx) < 0, EINVAL);
	CHECK_ERR(secel_find("VSE1", NULL) < 0, EINVAL);
	CHECK_ERR(secel_find_by_name(NULL, &idx) < 0, EINVAL);
	CHECK_ERR(secel_find_designated(NULL) < 0, EINVAL);
	CHECK_ERR(secel_list(NULL) < 0, EINVAL);
	CHECK_ERR(secel_se_fd(NULL) < 0, EINVAL);
	CHECK_ERR(secel_se_index(NULL) < 0, EINVAL);
	CHECK_ERR(secel_se_abi_version(NULL) < 0, EINVAL);
	CHECK_ERR(secel_se_get_info(NULL) == NULL, EINVAL);
	CHECK_ERR(secel_se_transmit(NULL, 0, 0, "\0\xa4\4\0", 4, buf, &len) < 0,
		  EINVAL);
	CHECK_ERR(secel_se_fetch_kept(NULL, buf, &len) < 0, EINVAL);
	CHECK_ERR(secel_se_open_channel(NULL, NULL, 0, NULL, NULL, &idx) < 0,
		  EINVAL);
	CHECK_ERR(secel_se_close_channel(NULL, 1) < 0, EINVAL);
	CHECK_ERR(secel_se_reset(NULL, 0) < 0, EINVAL);
	CHECK_ERR(secel_se_open_path(NULL) == NULL, EINVAL);
	CHECK_ERR(secel_se_open_path("") == NULL, EINVAL);
	/* a node that is no secel node: the check ioctl fails */
	CHECK_ERR(secel_se_open_path("/dev/null") == NULL, ENOTTY);
	CHECK_ERR(secel_se_open(12345) == NULL, ENOENT);
	CHECK_ERR(secel_monitor_wait(NULL, 0) == NULL, EINVAL);
	CHECK_ERR(secel_monitor_fd(NULL) < 0, EINVAL);
	secel_se_close(NULL);
	secel_se_info_free(NULL);
	secel_monitor_free(NULL);
	secel_event_free(NULL);
	CHECK(!strcmp(secel_se_state_name(SECEL_SE_STATE_LISTED), "listed"));
	CHECK(!strcmp(secel_se_state_name((enum secel_se_state)99), "unknown"));
	CHECK(!strcmp(secel_se_kind_name(SECEL_SE_KIND_VIRTUAL), "virtual"));
	CHECK(!strcmp(secel_se_kind_name((enum secel_se_kind)7), "unknown"));
	CHECK(!strcmp(secel_version_string(), LIBSECEL_VERSION));
}

static void test_find(void)
{
	unsigned int *v, idx = 99;
	char path[512];
	int n;

	n = secel_list(&v);
	CHECK(n == 8);
	if (n == 8) {
		CHECK(v[0] == 0 && v[1] == 2 && v[2] == 10 && v[3] == 20 &&
		      v[7] == 24);
		free(v);
	}
	CHECK(!secel_find_by_name("VSE1", &idx) && idx == 2);
	CHECK(!secel_find_by_name("VSE2", &idx) && idx == 10);
	CHECK_ERR(secel_find_by_name("VSE", &idx) < 0, ENOENT);
	CHECK(!secel_find_designated(&idx) && idx == 2);
	CHECK(!secel_find_by_index(10));
	CHECK_ERR(secel_find_by_index(3) < 0, ENOENT);
	CHECK(!secel_find("eSE1", &idx) && idx == 0);
	CHECK(!secel_find("10", &idx) && idx == 10);
	CHECK(!secel_find("designated", &idx) && idx == 2);
	CHECK(!secel_find("-", &idx) && idx == 2);
	snprintf(path, sizeof(path), "%s/secel10", devdir);
	CHECK(!secel_find(path, &idx) && idx == 10);
	snprintf(path, sizeof(path), "%s/secel11", devdir);
	CHECK_ERR(secel_find(path, &idx) < 0, ENOENT);
	CHECK_ERR(secel_find("/dev/tty0", &idx) < 0, EINVAL);
	/* a link to a node names the node's SE */
	snprintf(path, sizeof(path), "%s/secel10", devdir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof(path), "%s/by-name-VSE2", devdir);
	CHECK(!symlink("secel10", path));
	CHECK(!secel_find(path, &idx) && idx == 10);
	CHECK_ERR(secel_find("7", &idx) < 0, ENOENT);
	CHECK_ERR(secel_find("NOPE", &idx) < 0, ENOENT);
	/* a name that starts with a digit is still a name */
	CHECK_ERR(secel_find("3SE", &idx) < 0, ENOENT);

	/* no designated SE */
	put("secel2/designated", "0\n", 0444);
	CHECK_ERR(secel_find_designated(&idx) < 0, ENOENT);
	put("secel2/designated", "1\n", 0444);

	/* no class directory: the module is not loaded */
	setenv("LIBSECEL_SYSFS", "/nonexistent/secel", 1);
	CHECK_ERR(secel_list(&v) < 0, ENOENT);
	CHECK_ERR(secel_find("VSE1", &idx) < 0, ENOENT);
	setenv("LIBSECEL_SYSFS", sysdir, 1);
}

static void test_info(void)
{
	struct secel_se_info *info;
	const uint8_t *p;
	size_t len;

	info = secel_se_info_from_sysfs(2);
	CHECK(info);
	if (!info)
		return;
	CHECK(secel_se_info_index(info) == 2);
	CHECK(!strcmp(secel_se_info_name(info), "VSE1"));
	CHECK(!strcmp(secel_se_info_transport(info), "vse"));
	CHECK(secel_se_info_kind(info) == SECEL_SE_KIND_VIRTUAL);
	CHECK(secel_se_info_state(info) == SECEL_SE_STATE_LISTED);
	CHECK(secel_se_info_designated(info) == 1);
	CHECK(secel_se_info_protocols(info) == 3);
	CHECK(secel_se_info_max_command(info) == 0);
	CHECK(secel_se_info_flags(info) & 0x40);	/* ATR_TCK_WRONG */
	p = secel_se_info_atr(info, &len);
	CHECK(p && len == 6 && !memcmp(p, "\x3b\x82\x80\x01\x80\x41", 6));
	p = secel_se_info_item(info, SECEL_SE_ITEM_IIN, &len);
	CHECK(p && len == 5 && p[0] == 0x42 && p[4] == 0x78);
	CHECK_ERR(secel_se_info_item(info, SECEL_SE_ITEM_CARD_DATA, &len) ==
		  NULL, ENODATA);
	if (geteuid()) {
		/* the private item's file is there but root's */
		CHECK_ERR(secel_se_info_item(info, SECEL_SE_ITEM_CPLC, &len) ==
			  NULL, EACCES);
	}
	CHECK(secel_se_info_flags(info) & 0x2);	/* HAS_CPLC either way */
	CHECK_ERR(secel_se_info_item(info, (enum secel_se_item)1, &len) == NULL,
		  EINVAL);
	CHECK_ERR(secel_se_info_item(info, (enum secel_se_item)99, &len) ==
		  NULL, EINVAL);
	CHECK_ERR(secel_se_info_item(info, SECEL_SE_ITEM_IIN, NULL) == NULL,
		  EINVAL);
	CHECK_ERR(secel_se_info_atr(info, NULL) == NULL, EINVAL);
	secel_se_info_free(info);

	info = secel_se_info_from_sysfs(10);
	CHECK(info);
	if (info) {
		CHECK_ERR(secel_se_info_atr(info, &len) == NULL && !len,
			  ENODATA);
		CHECK(secel_se_info_protocols(info) == 0);
		CHECK(!secel_se_info_designated(info));
		secel_se_info_free(info);
	}
	CHECK_ERR(secel_se_info_from_sysfs(3) == NULL, ENOENT);
	CHECK_ERR(secel_se_info_from_sysfs(20) == NULL, EPROTO);	/* kind */
	CHECK_ERR(secel_se_info_from_sysfs(21) == NULL, EPROTO);	/* hex */
	CHECK_ERR(secel_se_info_from_sysfs(22) == NULL, EPROTO);	/* state */
	CHECK_ERR(secel_se_info_from_sysfs(23) == NULL, EPROTO);	/* T= */
	CHECK_ERR(secel_se_info_from_sysfs(24) == NULL, EPROTO);	/* name */
}

static int parse(const char *msg, size_t len, struct secel_event *ev)
{
	return secel__uevent_parse(msg, len, ev);
}

#define MSG(s) s, sizeof(s) - 1

static void test_uevent(void)
{
	struct secel_event ev;

	CHECK(!parse(MSG("add@/devices/virtual/secel/secel3\0ACTION=add\0"
			 "DEVPATH=/devices/virtual/secel/secel3\0"
			 "SUBSYSTEM=secel\0MAJOR=240\0MINOR=3\0"
			 "DEVNAME=secel3\0SECEL_INDEX=3\0SECEL_NAME=VSE1\0"
			 "SECEL_KIND=virtual\0SECEL_TRANSPORT=vse\0"
			 "SECEL_STATE=reported\0SECEL_DESIGNATED=0\0SEQNUM=7\0"),
		     &ev));
	CHECK(ev.type == SECEL_EVENT_ADD && ev.index == 3 &&
	      !strcmp(ev.name, "VSE1") &&
	      ev.state == SECEL_SE_STATE_REPORTED && !ev.designated);
	CHECK(secel_event_type(&ev) == SECEL_EVENT_ADD);
	CHECK(secel_event_index(&ev) == 3);
	CHECK(!strcmp(secel_event_name(&ev), "VSE1"));
	CHECK(!parse(MSG("change@/x\0ACTION=change\0SUBSYSTEM=secel\0"
			 "SECEL_INDEX=12\0SECEL_STATE=listed\0"
			 "SECEL_DESIGNATED=1\0"), &ev));
	CHECK(ev.type == SECEL_EVENT_CHANGE && ev.index == 12 &&
	      ev.state == SECEL_SE_STATE_LISTED && ev.designated &&
	      !ev.name[0]);
	CHECK(!parse(MSG("remove@/x\0ACTION=remove\0SUBSYSTEM=secel\0"
			 "SECEL_INDEX=0\0"), &ev));
	CHECK(ev.type == SECEL_EVENT_REMOVE && ev.index == 0);
	/* not ours: other subsystem, other action, no header (libudev) */
	CHECK(parse(MSG("add@/x\0ACTION=add\0SUBSYSTEM=tty\0SECEL_INDEX=1\0"),
		    &ev) == -EAGAIN);
	CHECK(parse(MSG("bind@/x\0ACTION=bind\0SUBSYSTEM=secel\0"
			"SECEL_INDEX=1\0"), &ev) == -EAGAIN);
	CHECK(parse(MSG("libudev\0\xfe\xed\xca\xfe"), &ev) == -EAGAIN);
	CHECK(parse(MSG("ACTION=add\0SUBSYSTEM=secel\0SECEL_INDEX=1\0"),
		    &ev) == -EAGAIN);
	CHECK(parse("", 0, &ev) == -EAGAIN);
	CHECK(parse(MSG("add@/x\0ACTION=add\0"), &ev) == -EAGAIN);
	/* ours but malformed */
	CHECK(parse(MSG("add@/x\0ACTION=add\0SUBSYSTEM=secel\0"), &ev) ==
	      -EPROTO);
	CHECK(parse(MSG("add@/x\0ACTION=add\0SUBSYSTEM=secel\0"
			"SECEL_INDEX=1x\0"), &ev) == -EPROTO);
	CHECK(parse(MSG("add@/x\0ACTION=add\0SUBSYSTEM=secel\0"
			"SECEL_INDEX=-1\0"), &ev) == -EPROTO);
	CHECK(parse(MSG("add@/x\0ACTION=add\0SUBSYSTEM=secel\0"
			"SECEL_INDEX=99999999999\0"), &ev) == -EPROTO);
	CHECK(parse(MSG("add@/x\0ACTION=add\0SUBSYSTEM=secel\0SECEL_INDEX=1\0"
			"SECEL_NAME=0123456789012345678901234567890123\0"),
		    &ev) == -EPROTO);
	/* an unterminated tail is ignored, not read past */
	CHECK(!parse(MSG("add@/x\0ACTION=add\0SUBSYSTEM=secel\0SECEL_INDEX=4\0"
			 "SECEL_NAME=VS"), &ev) && ev.index == 4 &&
	      !ev.name[0]);
}

static void test_monitor(void)
{
	struct secel_monitor *mon = secel_monitor_new();
	struct timespec a, b;
	long ms;

	if (!mon) {
		/* no netlink here (a sandbox): nothing to test */
		printf("# skip monitor: %s\n", strerror(errno));
		return;
	}
	CHECK(secel_monitor_fd(mon) >= 0);
	CHECK_ERR(secel_monitor_wait(mon, -2) == NULL, EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_ERR(secel_monitor_wait(mon, 150) == NULL, ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 140 && ms < 2000);
	CHECK_ERR(secel_monitor_wait(mon, 0) == NULL, ETIMEDOUT);
	secel_monitor_free(mon);
}

static void cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
	make_tree();
	test_args();
	test_find();
	test_info();
	test_uevent();
	test_monitor();
	cleanup();
	if (failed) {
		fprintf(stderr, "test-libsecel: %d of %d checks failed\n",
			failed, checks);
		return 1;
	}
	printf("ok test-libsecel: %d checks\n", checks);
	return 0;
}
