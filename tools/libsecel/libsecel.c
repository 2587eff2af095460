// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsecel - finding SEs, opening them, information, APDUs, channels, reset
 *
 * Finding reads the sysfs class directory, which everyone may read; the
 * node of an SE is opened only for what needs it (ioctls).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/secel.h>

#include "internal.h"

#ifndef LIBSECEL_VERSION
#define LIBSECEL_VERSION "unknown"
#endif

/* Our enums mirror the uapi's values: keep them in step. */
_Static_assert(SECEL_SE_KIND_VIRTUAL == SECEL_KIND_VIRTUAL, "kind");
_Static_assert(SECEL_SE_STATE_DELETED == SECEL_STATE_DELETED, "state");
_Static_assert(SECEL_SE_ITEM_CARD_DATA == SECEL_ITEM_CARD_DATA, "item");
_Static_assert(SECEL_SE_TX_RAW == SECEL_TX_RAW, "tx flags");
_Static_assert(SECEL_SE_RESET_WARM == SECEL_RESET_WARM, "reset flags");
_Static_assert(SECEL_SE_APDU_MAX == SECEL_APDU_MAX, "apdu max");
_Static_assert(SECEL_SE_RESP_MAX == SECEL_RESP_MAX, "resp max");

#define N_ITEMS		(SECEL_ITEM_CARD_DATA + 1)
#define ITEM_MAX	4096	/* sysfs shows at most a page */

struct secel_se {
	int fd;
	unsigned int index;
};

struct secel_se_info {
	struct secel_info raw;
	/* per item: the value (malloc'd) or the errno why it is absent */
	uint8_t *item[N_ITEMS];
	size_t item_len[N_ITEMS];
	int item_err[N_ITEMS];
};

const char *secel_version_string(void)
{
	return LIBSECEL_VERSION;
}

static const char *env_dir(const char *var, const char *dflt)
{
	const char *v = secure_getenv(var);

	return v && *v ? v : dflt;
}

const char *secel__sysfs_dir(void)
{
	return env_dir("LIBSECEL_SYSFS", "/sys/class/secel");
}

const char *secel__dev_dir(void)
{
	return env_dir("LIBSECEL_DEV", "/dev");
}

int secel__sysfs_read(unsigned int index, const char *attr, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	ssize_t len;
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/secel%u/%s", secel__sysfs_dir(),
		     index, attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size);
	err = errno;
	close(fd);
	if (len < 0)
		return -err;
	if ((size_t)len >= size)
		return -EMSGSIZE;	/* no room for the NUL */
	if (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int secel__hex_decode(const char *hex, uint8_t *out, size_t size,
		      size_t *len)
{
	size_t n = strlen(hex), i;
	int hi, lo;

	if (n % 2 || n / 2 > size)
		return -EPROTO;
	for (i = 0; i < n / 2; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EPROTO;
		out[i] = hi << 4 | lo;
	}
	*len = n / 2;
	return 0;
}

static const char *const state_names[] = {
	[SECEL_SE_STATE_UNKNOWN] = "unknown",
	[SECEL_SE_STATE_REPORTED] = "reported",
	[SECEL_SE_STATE_VERIFYING] = "verifying",
	[SECEL_SE_STATE_LISTED] = "listed",
	[SECEL_SE_STATE_REJECTED] = "rejected",
	[SECEL_SE_STATE_DELETED] = "deleted",
};

enum secel_se_state secel__state_parse(const char *s)
{
	unsigned int i;

	for (i = 1; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(s, state_names[i]))
			return i;
	return SECEL_SE_STATE_UNKNOWN;
}

const char *secel_se_state_name(enum secel_se_state state)
{
	if ((unsigned int)state < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[state];
	return "unknown";
}

const char *secel_se_kind_name(enum secel_se_kind kind)
{
	switch (kind) {
	case SECEL_SE_KIND_PHYSICAL:
		return "physical";
	case SECEL_SE_KIND_VIRTUAL:
		return "virtual";
	default:
		return "unknown";
	}
}

/* "secel12" -> 12; -1 for any other name. */
static long secel_dir_index(const char *name)
{
	unsigned long v;
	char *end;

	if (strncmp(name, "secel", 5) || name[5] < '0' || name[5] > '9')
		return -1;
	errno = 0;
	v = strtoul(name + 5, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return -1;
	return v;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int secel_list(unsigned int **indexes)
{
	unsigned int *v = NULL, *p;
	size_t n = 0, room = 0;
	struct dirent *d;
	DIR *dir;
	long idx;

	if (!indexes) {
		errno = EINVAL;
		return -1;
	}
	dir = opendir(secel__sysfs_dir());
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		idx = secel_dir_index(d->d_name);
		if (idx < 0)
			continue;
		if (n == INT_MAX) {
			free(v);
			closedir(dir);
			errno = EOVERFLOW;
			return -1;
		}
		if (n == room) {
			room = room ? 2 * room : 16;
			p = realloc(v, room * sizeof(*v));
			if (!p) {
				free(v);
				closedir(dir);
				errno = ENOMEM;
				return -1;
			}
			v = p;
		}
		v[n++] = idx;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_uint);
	*indexes = v;
	return n;
}

/*
 * The first SE whose @attr reads @want.  An SE that goes away while it
 * is read is passed over.
 */
static int find_by_attr(const char *attr, const char *want,
			unsigned int *index)
{
	unsigned int *v;
	char val[64];
	int n, i, ret;

	n = secel_list(&v);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		ret = secel__sysfs_read(v[i], attr, val, sizeof(val));
		if (!ret && !strcmp(val, want)) {
			*index = v[i];
			free(v);
			return 0;
		}
	}
	free(v);
	errno = ENOENT;
	return -1;
}

int secel_find_by_name(const char *name, unsigned int *index)
{
	if (!name || !*name || !index) {
		errno = EINVAL;
		return -1;
	}
	return find_by_attr("name", name, index);
}

int secel_find_designated(unsigned int *index)
{
	if (!index) {
		errno = EINVAL;
		return -1;
	}
	return find_by_attr("designated", "1", index);
}

int secel_find_by_index(unsigned int index)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/secel%u", secel__sysfs_dir(), index);
	if (stat(path, &st))
		return -1;
	return 0;
}

int secel_find(const char *spec, unsigned int *index)
{
	const char *dev = secel__dev_dir();
	size_t dl = strlen(dev);
	unsigned long v;
	char *end;

	if (!spec || !*spec || !index) {
		errno = EINVAL;
		return -1;
	}
	if (!strcmp(spec, "designated") || !strcmp(spec, "-"))
		return secel_find_designated(index);
	if (spec[0] == '/') {
		const char *base = strrchr(spec, '/') + 1;
		long idx;

		/* DEV/secelN itself; a link is resolved by opening it */
		if (!strncmp(spec, dev, dl) && spec[dl] == '/')
			base = spec + dl + 1;
		idx = secel_dir_index(base);
		if (idx < 0) {
			/* a udev link such as /dev/secel/by-name/VSE1 */
			char *real = realpath(spec, NULL);

			if (real)
				idx = secel_dir_index(strrchr(real, '/') + 1);
			free(real);
		}
		if (idx < 0) {
			errno = EINVAL;
			return -1;
		}
		if (secel_find_by_index(idx))
			return -1;
		*index = idx;
		return 0;
	}
	if (spec[0] >= '0' && spec[0] <= '9') {
		errno = 0;
		v = strtoul(spec, &end, 10);
		if (!*end && !errno && v <= UINT32_MAX) {
			if (secel_find_by_index(v))
				return -1;
			*index = v;
			return 0;
		}
	}
	return secel_find_by_name(spec, index);
}

static struct secel_se *se_from_fd(int fd)
{
	struct secel_info info;
	struct secel_se *se;
	int err;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SECEL_IOC_GET_INFO, &info)) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	se = calloc(1, sizeof(*se));
	if (!se) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	se->fd = fd;
	se->index = info.index;
	return se;
}

struct secel_se *secel_se_open_path(const char *path)
{
	int fd;

	if (!path || !*path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	return se_from_fd(fd);
}

struct secel_se *secel_se_open(unsigned int index)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/secel%u", secel__dev_dir(),
		     index) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return secel_se_open_path(path);
}

void secel_se_close(struct secel_se *se)
{
	int err = errno;

	if (!se)
		return;
	close(se->fd);
	free(se);
	errno = err;
}

int secel_se_fd(struct secel_se *se)
{
	if (!se) {
		errno = EINVAL;
		return -1;
	}
	return se->fd;
}

int secel_se_index(struct secel_se *se)
{
	if (!se) {
		errno = EINVAL;
		return -1;
	}
	return se->index;
}

int secel_se_abi_version(struct secel_se *se)
{
	struct secel_version v;

	if (!se) {
		errno = EINVAL;
		return -1;
	}
	memset(&v, 0, sizeof(v));
	if (ioctl(se->fd, SECEL_IOC_VERSION, &v))
		return -1;
	return v.abi_version > INT_MAX ? INT_MAX : (int)v.abi_version;
}

/* Information */

static const uint32_t item_flag[N_ITEMS] = {
	[SECEL_ITEM_CPLC] = SECEL_INFO_HAS_CPLC,
	[SECEL_ITEM_IIN] = SECEL_INFO_HAS_IIN,
	[SECEL_ITEM_CIN] = SECEL_INFO_HAS_CIN,
	[SECEL_ITEM_CARD_DATA] = SECEL_INFO_HAS_CARD_DATA,
};

static const char *const item_attr[N_ITEMS] = {
	[SECEL_ITEM_CPLC] = "cplc",
	[SECEL_ITEM_IIN] = "iin",
	[SECEL_ITEM_CIN] = "cin",
	[SECEL_ITEM_CARD_DATA] = "card_data",
};

static struct secel_se_info *info_new(void)
{
	struct secel_se_info *info = calloc(1, sizeof(*info));
	int i;

	if (!info) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < N_ITEMS; i++)
		info->item_err[i] = ENODATA;
	return info;
}

void secel_se_info_free(struct secel_se_info *info)
{
	int i, err = errno;

	if (!info)
		return;
	for (i = 0; i < N_ITEMS; i++)
		free(info->item[i]);
	free(info);
	errno = err;
}

/* One item by ioctl; its errno when it cannot be read. */
static int get_item(int fd, uint32_t item, struct secel_se_info *info)
{
	struct secel_item req;
	uint8_t *buf = NULL, *p;
	uint32_t size = 256;

	for (;;) {
		p = realloc(buf, size);
		if (!p) {
			free(buf);
			return ENOMEM;
		}
		buf = p;
		memset(&req, 0, sizeof(req));
		req.item = item;
		req.buf_ptr = (uintptr_t)buf;
		req.buf_len = size;
		if (!ioctl(fd, SECEL_IOC_GET_ITEM, &req))
			break;
		if (errno != EMSGSIZE || req.buf_len <= size) {
			int err = errno;

			free(buf);
			return err;
		}
		size = req.buf_len;	/* it grew: ask again */
	}
	info->item[item] = buf;
	info->item_len[item] = req.buf_len;
	return 0;
}

struct secel_se_info *secel_se_get_info(struct secel_se *se)
{
	struct secel_se_info *info;
	int i, err;

	if (!se) {
		errno = EINVAL;
		return NULL;
	}
	info = info_new();
	if (!info)
		return NULL;
	if (ioctl(se->fd, SECEL_IOC_GET_INFO, &info->raw)) {
		err = errno;
		free(info);
		errno = err;
		return NULL;
	}
	for (i = 0; i < N_ITEMS; i++) {
		if (!item_flag[i] || !(info->raw.flags & item_flag[i]))
			continue;
		err = get_item(se->fd, i, info);
		if (err == ENOMEM) {
			secel_se_info_free(info);
			errno = ENOMEM;
			return NULL;
		}
		info->item_err[i] = err;
	}
	return info;
}

/* A hex attribute into a malloc'd buffer; 0 or an errno. */
static int sysfs_hex(unsigned int index, const char *attr, uint8_t **out,
		     size_t *len)
{
	static const size_t hex_room = 2 * ITEM_MAX + 2;
	char *hex = malloc(hex_room);
	uint8_t *buf;
	int ret;

	if (!hex)
		return ENOMEM;
	ret = secel__sysfs_read(index, attr, hex, hex_room);
	if (ret) {
		free(hex);
		/* hidden: the SE does not have it */
		return ret == -ENOENT ? ENODATA : -ret;
	}
	buf = malloc(strlen(hex) / 2 + 1);
	if (!buf) {
		free(hex);
		return ENOMEM;
	}
	ret = secel__hex_decode(hex, buf, strlen(hex) / 2 + 1, len);
	free(hex);
	if (ret || !*len) {
		free(buf);
		return ret ? EPROTO : ENODATA;
	}
	*out = buf;
	return 0;
}

/* Copy a string attribute into @dst (@size with its NUL); 0 or an errno. */
static int sysfs_str(unsigned int index, const char *attr, char *dst,
		     size_t size)
{
	int ret = secel__sysfs_read(index, attr, dst, size);

	if (ret == -EMSGSIZE)
		return EPROTO;	/* longer than the kernel ever writes */
	return -ret;
}

static int sysfs_protocols(const char *val, uint32_t *protocols)
{
	const char *p = val;
	unsigned long t;
	char *end;

	*protocols = 0;
	while (*p) {
		if (strncmp(p, "T=", 2))
			return EPROTO;
		t = strtoul(p + 2, &end, 10);
		if (end == p + 2 || t > 31 || (*end && *end != ' '))
			return EPROTO;
		*protocols |= 1U << t;
		p = *end ? end + 1 : end;
	}
	return 0;
}

struct secel_se_info *secel_se_info_from_sysfs(unsigned int index)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} checks[] = {
		{ "ok", 0 },
		{ "malformed", SECEL_INFO_ATR_MALFORMED },
		{ "tck-missing", SECEL_INFO_ATR_TCK_MISSING },
		{ "tck-wrong", SECEL_INFO_ATR_TCK_WRONG },
	};
	struct secel_se_info *info = info_new();
	char kind[16], state[16], desig[8], val[128];
	uint8_t *atr = NULL;
	size_t atr_len = 0;
	unsigned int i;
	int err;

	if (!info)
		return NULL;
	info->raw.index = index;
	err = sysfs_str(index, "name", info->raw.name, sizeof(info->raw.name));
	if (!err)
		err = sysfs_str(index, "transport", info->raw.transport,
				sizeof(info->raw.transport));
	if (!err)
		err = sysfs_str(index, "kind", kind, sizeof(kind));
	if (!err)
		err = sysfs_str(index, "state", state, sizeof(state));
	if (!err)
		err = sysfs_str(index, "designated", desig, sizeof(desig));
	if (err)
		goto fail;
	err = EPROTO;
	if (!strcmp(kind, "virtual"))
		info->raw.kind = SECEL_KIND_VIRTUAL;
	else if (!strcmp(kind, "physical"))
		info->raw.kind = SECEL_KIND_PHYSICAL;
	else
		goto fail;
	info->raw.state = secel__state_parse(state);
	if (!info->raw.state)
		goto fail;
	if (!strcmp(desig, "1"))
		info->raw.flags |= SECEL_INFO_DESIGNATED;
	else if (strcmp(desig, "0"))
		goto fail;

	err = sysfs_hex(index, "atr", &atr, &atr_len);
	if (!err) {
		if (atr_len > sizeof(info->raw.atr)) {
			free(atr);
			err = EPROTO;
			goto fail;
		}
		memcpy(info->raw.atr, atr, atr_len);
		info->raw.atr_len = atr_len;
		free(atr);
	} else if (err != ENODATA) {
		goto fail;
	}
	if (!secel__sysfs_read(index, "atr_check", val, sizeof(val)))
		for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
			if (!strcmp(val, checks[i].name))
				info->raw.flags |= checks[i].flag;
	if (!secel__sysfs_read(index, "protocol", val, sizeof(val))) {
		err = sysfs_protocols(val, &info->raw.protocols);
		if (err)
			goto fail;
	}
	for (i = 0; i < N_ITEMS; i++) {
		if (!item_attr[i])
			continue;
		err = sysfs_hex(index, item_attr[i], &info->item[i],
				&info->item_len[i]);
		if (err == ENOMEM)
			goto fail;
		info->item_err[i] = err;
		/* a private item's file exists: the SE has it */
		if (!err || err == EACCES)
			info->raw.flags |= item_flag[i];
	}
	return info;
fail:
	secel_se_info_free(info);
	/* the directory went away, or never was */
	errno = err == ENODEV ? ENOENT : err;
	return NULL;
}

unsigned int secel_se_info_index(const struct secel_se_info *info)
{
	return info->raw.index;
}

const char *secel_se_info_name(const struct secel_se_info *info)
{
	return info->raw.name;
}

const char *secel_se_info_transport(const struct secel_se_info *info)
{
	return info->raw.transport;
}

enum secel_se_kind secel_se_info_kind(const struct secel_se_info *info)
{
	return info->raw.kind;
}

enum secel_se_state secel_se_info_state(const struct secel_se_info *info)
{
	return info->raw.state;
}

int secel_se_info_designated(const struct secel_se_info *info)
{
	return !!(info->raw.flags & SECEL_INFO_DESIGNATED);
}

uint32_t secel_se_info_flags(const struct secel_se_info *info)
{
	return info->raw.flags;
}

uint32_t secel_se_info_protocols(const struct secel_se_info *info)
{
	return info->raw.protocols;
}

uint32_t secel_se_info_max_command(const struct secel_se_info *info)
{
	return info->raw.max_cmd;
}

uint32_t secel_se_info_max_response(const struct secel_se_info *info)
{
	return info->raw.max_rsp;
}

const uint8_t *secel_se_info_atr(const struct secel_se_info *info,
				 size_t *len)
{
	if (!info || !len) {
		errno = EINVAL;
		return NULL;
	}
	*len = info->raw.atr_len;
	if (!*len || *len > sizeof(info->raw.atr)) {
		*len = 0;
		errno = ENODATA;
		return NULL;
	}
	return info->raw.atr;
}

const uint8_t *secel_se_info_item(const struct secel_se_info *info,
				  enum secel_se_item item, size_t *len)
{
	if (!info || !len || (unsigned int)item >= N_ITEMS ||
	    !item_flag[item]) {
		errno = EINVAL;
		return NULL;
	}
	if (!info->item[item]) {
		*len = 0;
		errno = info->item_err[item];
		return NULL;
	}
	*len = info->item_len[item];
	return info->item[item];
}

/* APDUs, channels, reset */

static int transmit(struct secel_se *se, unsigned int channel,
		    uint32_t flags, const void *cmd, size_t cmd_len,
		    void *rsp, size_t *rsp_len)
{
	struct secel_transmit tx;
	int ret;

	memset(&tx, 0, sizeof(tx));
	tx.cmd_ptr = (uintptr_t)cmd;
	tx.cmd_len = cmd_len;
	tx.rsp_ptr = (uintptr_t)rsp;
	/* the kernel never gives more than SECEL_RESP_MAX */
	tx.rsp_len = *rsp_len > SECEL_RESP_MAX ? SECEL_RESP_MAX : *rsp_len;
	tx.channel = channel;
	tx.flags = flags;
	ret = ioctl(se->fd, SECEL_IOC_TRANSMIT, &tx);
	if (!ret || errno == EMSGSIZE)
		*rsp_len = tx.rsp_len;
	return ret ? -1 : 0;
}

int secel_se_transmit(struct secel_se *se, unsigned int channel,
		      unsigned int flags, const void *cmd, size_t cmd_len,
		      void *rsp, size_t *rsp_len)
{
	if (!se || !cmd || !rsp || !rsp_len || cmd_len < 4 ||
	    cmd_len > SECEL_APDU_MAX || (flags & ~SECEL_SE_TX_RAW) ||
	    channel >= SECEL_MAX_CHANNELS) {
		errno = EINVAL;
		return -1;
	}
	if (*rsp_len < 2) {
		/* not even room for SW1 SW2: refused before the card runs it */
		errno = EMSGSIZE;
		return -1;
	}
	return transmit(se, channel, flags, cmd, cmd_len, rsp, rsp_len);
}

int secel_se_fetch_kept(struct secel_se *se, void *rsp, size_t *rsp_len)
{
	if (!se || !rsp || !rsp_len) {
		errno = EINVAL;
		return -1;
	}
	if (*rsp_len < 2) {
		errno = EMSGSIZE;
		return -1;
	}
	return transmit(se, 0, SECEL_TX_KEPT, NULL, 0, rsp, rsp_len);
}

int secel_se_open_channel(struct secel_se *se, const void *aid,
			  size_t aid_len, void *rsp, size_t *rsp_len,
			  unsigned int *channel)
{
	struct secel_channel_open req;
	uint8_t *own = NULL;
	int ret, err;

	if (!se || !channel || (aid_len && !aid) || (!rsp != !rsp_len) ||
	    (aid_len && (aid_len < SECEL_AID_MIN || aid_len > SECEL_AID_MAX))) {
		errno = EINVAL;
		return -1;
	}
	if (rsp_len && *rsp_len < 2) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.aid_ptr = (uintptr_t)aid;
	req.aid_len = aid_len;
	if (rsp) {
		req.rsp_ptr = (uintptr_t)rsp;
		req.rsp_len = *rsp_len > SECEL_RESP_MAX ? SECEL_RESP_MAX :
			      *rsp_len;
	} else {
		/* the caller does not want the answer: take it all */
		own = malloc(SECEL_RESP_MAX);
		if (!own) {
			errno = ENOMEM;
			return -1;
		}
		req.rsp_ptr = (uintptr_t)own;
		req.rsp_len = SECEL_RESP_MAX;
	}
	ret = ioctl(se->fd, SECEL_IOC_OPEN_CHANNEL, &req);
	err = errno;
	free(own);
	if (rsp_len)
		*rsp_len = req.rsp_len;
	if (ret) {
		errno = err;
		return -1;
	}
	*channel = req.channel;
	return 0;
}

int secel_se_close_channel(struct secel_se *se, unsigned int channel)
{
	struct secel_channel_close req;

	if (!se || !channel || channel >= SECEL_MAX_CHANNELS) {
		errno = channel ? ENXIO : EINVAL;
		if (!se)
			errno = EINVAL;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.channel = channel;
	return ioctl(se->fd, SECEL_IOC_CLOSE_CHANNEL, &req) ? -1 : 0;
}

int secel_se_reset(struct secel_se *se, unsigned int flags)
{
	struct secel_reset req;

	if (!se || (flags & ~SECEL_SE_RESET_WARM)) {
		errno = EINVAL;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.flags = flags;
	if (ioctl(se->fd, SECEL_IOC_RESET, &req))
		return -1;
	return req.atr_len;
}
