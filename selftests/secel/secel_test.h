/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the secel selftests: device nodes, sysfs, module
 * parameters, uevents and thin ioctl wrappers that return -errno.
 */
#ifndef SECEL_TEST_H
#define SECEL_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/secel.h>

#define SECEL_CTL_DEV		"/dev/secel-ctl"
#define SECEL_VSE_DEV		"/dev/secel-vse"
#define SECEL_CLASS_DIR		"/sys/class/secel"
#define PARAM_AUTO_ADD		"/sys/module/secel/parameters/auto_add"
#define PARAM_STRICT_ATR	"/sys/module/secel/parameters/strict_atr"
#define PARAM_TIMEOUT_MS	"/sys/module/secel_vse/parameters/timeout_ms"
/* ABI 2 (issue 8): absent from older kernels, so the tests name them */
#define PARAM_MAX_FILE_CHANNELS	"/sys/module/secel/parameters/max_file_channels"
#define PARAM_MAX_SES		"/sys/module/secel/parameters/max_ses"
#ifndef SECEL_TX_KEPT
#define SECEL_TX_KEPT		0x2U	/* fetch the response kept on EMSGSIZE */
#endif

/* Skip the whole binary (from main) unless root with both modules loaded. */
void secel_require_modules(void);

int secel_open_ctl(void);
int secel_open_se(unsigned int index);	/* -errno on failure */

/* Read /sys/class/secel/secelN/@attr, trailing newline cut; -errno. */
int secel_sysfs_read(unsigned int index, const char *attr, char *buf,
		     size_t size);
/* Wait up to @ms for state @state ("listed", ...); true when reached. */
bool secel_wait_state(unsigned int index, const char *state, int ms);
/* Wait up to @ms for the sysfs directory of @index to go away. */
bool secel_wait_gone(unsigned int index, int ms);

/* Module parameter helpers: read into @buf, write @val; 0 or -errno. */
int param_read(const char *path, char *buf, size_t size);
int param_write(const char *path, const char *val);

/* Thin ioctl wrappers: 0 or -errno. */
int secel_get_info(int fd, struct secel_info *info);
int secel_get_item(int fd, uint32_t item, uint8_t *buf, uint32_t *len);
int secel_transmit(int fd, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
		   uint32_t *rsp_len, uint32_t channel, uint32_t flags);
int secel_open_channel(int fd, const uint8_t *aid, uint32_t aid_len,
		       uint8_t *rsp, uint32_t *rsp_len, uint32_t *channel);
int secel_close_channel(int fd, uint32_t channel);
int secel_ctl(int ctlfd, unsigned long cmd, uint32_t index, uint32_t flags,
	      struct secel_info *info);
/* State of @index in SECEL_CTL_LIST (with @flags), 0 when absent, -errno. */
int secel_list_state(int ctlfd, uint32_t flags, uint32_t index,
		     struct secel_list_entry *entry);

/* Uevents of the secel subsystem */
struct secel_uevent {
	char action[16];
	int index;		/* SECEL_INDEX, -1 when absent */
	char env[2048];		/* NUL-separated KEY=VALUE strings */
	size_t env_len;
};

int uevent_open(void);	/* netlink kobject-uevent socket, group 1 */
/*
 * Wait up to @ms for a secel uevent for @index with @action (NULL: any)
 * and, when @key is not NULL, @key=@value.  Returns 0 with @ev filled,
 * -ETIMEDOUT otherwise.
 */
int uevent_wait(int fd, int index, const char *action, const char *key,
		const char *value, int ms, struct secel_uevent *ev);
/* Value of @key in @ev, or NULL. */
const char *uevent_get(const struct secel_uevent *ev, const char *key);

/* Lowercase hex of @len bytes into @out (2 * len + 1). */
void to_hex(const uint8_t *data, size_t len, char *out);
long long now_ms(void);

#endif /* SECEL_TEST_H */
