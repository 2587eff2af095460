// SPDX-License-Identifier: GPL-2.0
/*
 * secelctl gp - GlobalPlatform card content management on an SE, over
 * SCP03 (libsecelgp), through /dev/secelN:
 *
 *   secelctl gp SE list | info | install FILE | load FILE |
 *                  install-only ELF MODULE [APP] [privs=HEX] [default]
 *                  [installed] | delete AID | delete-key KVN | lock AID |
 *                  unlock AID | card-lock | card-unlock |
 *                  card-terminate yes | put-key KEYS | apdu HEX...
 *   secelctl gp mkload --type T --aid AID --module AID [...] FILE
 *
 * --trace (or SECELCTL_GP_TRACE=1) prints every APDU as it goes to and
 * comes from the card (protected, as on the wire) on stderr.
 *
 * The session runs on a logical channel of its own (the ISD selected
 * there), so that other users of the basic channel neither disturb it
 * nor are disturbed; --basic, or a card without logical channels, uses
 * the basic channel.
 *
 * SECELCTL_GP_DIE_AFTER_LOAD=N (tests only): secelctl kills itself with
 * SIGKILL as soon as the card has answered N LOAD commands, a host dying
 * in the middle of a load at a point a test can count on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/secel.h>

#include "../gp/gp.h"
#include "secelctl.h"

struct gp_opts gp_opt = {
	.level = 0x03,
	.kvn = -1,
	.dev_dir = "/dev",
};

static const char *se_arg = "";

static void gp_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/*
 * Progress of a load on a terminal: "LOAD block N" on stderr, redrawn in
 * place; a message that follows starts on a line of its own.
 */
static bool gp_progress, progress_shown;

static void progress_end(void)
{
	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = false;
}

static void gp_die(const char *fmt, ...)
{
	va_list ap;

	progress_end();
	fprintf(stderr, "secelctl: gp %s: ", se_arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
	while (n--)
		fprintf(f, "%02X", *p++);
}

static size_t parse_hex_arg(const char *what, const char *s, uint8_t *buf,
			    size_t min, size_t max)
{
	const char *err;
	size_t len;

	err = hex_parse(s, buf, max, &len);
	if (err)
		gp_die("%s '%s': %s", what, s, err);
	if (len < min || len > max)
		gp_die("%s '%s': %zu bytes, not %zu to %zu", what, s, len, min,
		       max);
	return len;
}

/*
 * The session's keys are master keys, GP_DIV_* ("kdf3:", "emv:", "visa2:"
 * or diversify = kdf3|emv|visa2): the card's are derived from them.
 */
static int keys_div = GP_DIV_NONE;

static const struct {
	const char *name;
	int method;
} div_names[] = {
	{ "kdf3", GP_DIV_KDF3 },
	{ "emv", GP_DIV_EMV },
	{ "visa2", GP_DIV_VISA2 },
	{ "none", GP_DIV_NONE },
};

/* GP_DIV_* for a name, -1 for none known */
static int div_method(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(div_names) / sizeof(div_names[0]); i++)
		if (strlen(div_names[i].name) == len &&
		    !strncmp(name, div_names[i].name, len))
			return div_names[i].method;
	return -1;
}

/* "KVN:KEY" or "KVN:ENC:MAC:DEK", "kdf3:", "emv:" or "visa2:" before it
 * for master keys */
static void parse_keyspec(const char *what, const char *s,
			  struct gp_keyset *ks)
{
	char buf[256], *f[5], *save = NULL, *w, *end;
	const char *colon = strchr(s, ':');
	unsigned long kvn;
	size_t n = 0;
	int div;

	div = colon ? div_method(s, colon - s) : -1;
	if (div > 0) {
		if (strcmp(what, "--keys"))
			gp_die("%s: %.*s: is for the session's keys only", what,
			       (int)(colon - s), s);
		keys_div = div;
		s = colon + 1;
	}
	if (strlen(s) >= sizeof(buf))
		gp_die("%s: too long", what);
	strcpy(buf, s);
	for (w = strtok_r(buf, ":", &save); w && n < 5;
	     w = strtok_r(NULL, ":", &save))
		f[n++] = w;
	if (n != 2 && n != 4)
		gp_die("%s '%s': not KVN:KEY or KVN:ENC:MAC:DEK", what, s);
	kvn = strtoul(f[0], &end, 16);
	if (*end || end == f[0] || !kvn || kvn > 0x7f)
		gp_die("%s: key version '%s' is not hex 01 to 7F", what, f[0]);
	memset(ks, 0, sizeof(*ks));
	ks->kvn = kvn;
	ks->len = parse_hex_arg(what, f[1], ks->enc, 16, 32);
	if (ks->len != 16 && ks->len != 24 && ks->len != 32)
		gp_die("%s: keys are 16, 24 or 32 bytes", what);
	if (n == 2) {
		memcpy(ks->mac, ks->enc, ks->len);
		memcpy(ks->dek, ks->enc, ks->len);
		return;
	}
	if (parse_hex_arg(what, f[2], ks->mac, 16, 32) != ks->len ||
	    parse_hex_arg(what, f[3], ks->dek, 16, 32) != ks->len)
		gp_die("%s: ENC, MAC and DEK differ in length", what);
}

/*
 * A key file: 'name = value' lines, '#' comments.  Names: kvn (hex),
 * key (all three), enc, mac, dek.
 */
static void read_key_file(const char *path, struct gp_keyset *ks)
{
	char line[512], *name, *val, *p;
	unsigned int lineno = 0;
	bool enc = false, mac = false, dek = false;
	size_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		gp_die("key file %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		p = strchr(line, '#');
		if (p)
			*p = 0;
		name = strtok(line, " \t\r\n=");
		if (!name)
			continue;
		val = strtok(NULL, " \t\r\n=");
		if (!val || strtok(NULL, " \t\r\n"))
			gp_die("key file %s:%u: not 'name = value'", path,
			       lineno);
		if (!strcmp(name, "diversify")) {
			int div = div_method(val, strlen(val));

			if (div < 0)
				gp_die("key file %s:%u: diversify '%s' is not kdf3, emv, visa2 or none",
				       path, lineno, val);
			keys_div = div;
			continue;
		}
		if (!strcmp(name, "kvn")) {
			unsigned long v = strtoul(val, &p, 16);

			if (*p || v > 0x7f)
				gp_die("key file %s:%u: kvn '%s' is not hex 00 to 7F",
				       path, lineno, val);
			ks->kvn = v;
			continue;
		}
		if (strcmp(name, "key") && strcmp(name, "enc") &&
		    strcmp(name, "mac") && strcmp(name, "dek"))
			gp_die("key file %s:%u: unknown name '%s'", path,
			       lineno, name);
		if (hex_parse(val, !strcmp(name, "mac") ? ks->mac :
			      !strcmp(name, "dek") ? ks->dek : ks->enc,
			      SCP03_KEY_MAX, &len) ||
		    (len != 16 && len != 24 && len != 32))
			gp_die("key file %s:%u: %s is not 16, 24 or 32 hex bytes",
			       path, lineno, name);
		if (ks->len && ks->len != len)
			gp_die("key file %s:%u: keys differ in length", path,
			       lineno);
		ks->len = len;
		if (!strcmp(name, "key")) {
			memcpy(ks->mac, ks->enc, len);
			memcpy(ks->dek, ks->enc, len);
			enc = mac = dek = true;
		}
		enc |= !strcmp(name, "enc");
		mac |= !strcmp(name, "mac");
		dek |= !strcmp(name, "dek");
	}
	fclose(f);
	if (!enc || !mac || !dek)
		gp_die("key file %s: needs key, or enc, mac and dek", path);
}

/* The keys to open the session with: options, key file, or the default. */
static void session_keys(struct gp_keyset *ks)
{
	unsigned int i;

	memset(ks, 0, sizeof(*ks));
	if (gp_opt.key_file) {
		read_key_file(gp_opt.key_file, ks);
	} else if (gp_opt.keys) {
		parse_keyspec("--keys", gp_opt.keys, ks);
	} else {
		/* GlobalPlatform's test key 40..4F, any key version */
		ks->len = 16;
		for (i = 0; i < 16; i++)
			ks->enc[i] = ks->mac[i] = ks->dek[i] = 0x40 + i;
	}
	if (gp_opt.kvn >= 0)
		ks->kvn = gp_opt.kvn;
}

/* SECELCTL_GP_DIE_AFTER_LOAD: LOAD answers to go, or -1 */
static long die_after_load = -1;

static void die_after_load_init(void)
{
	const char *v = getenv("SECELCTL_GP_DIE_AFTER_LOAD");
	char *end;

	if (!v || !*v)
		return;
	errno = 0;
	die_after_load = strtol(v, &end, 10);
	if (*end || errno || die_after_load < 1)
		gp_die("SECELCTL_GP_DIE_AFTER_LOAD '%s': not a number from 1", v);
}

static bool gp_trace;

static void trace(const char *dir, unsigned int channel, const uint8_t *p,
		  size_t n)
{
	size_t i;

	fprintf(stderr, "[%u] %s ", channel, dir);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%02X", p[i]);
	fputc('\n', stderr);
}

static int se_xfer(void *ctx, unsigned int channel, const uint8_t *cmd,
		   size_t len, uint8_t *rsp, size_t *rsp_len)
{
	struct secel_transmit tx;
	int fd = *(int *)ctx;
	bool load = len >= 2 && (cmd[0] & 0x80) && cmd[1] == 0xe8;

	if (gp_trace)
		trace(">", channel, cmd, len);

	memset(&tx, 0, sizeof(tx));
	tx.cmd_ptr = (uintptr_t)cmd;
	tx.cmd_len = len;
	tx.rsp_ptr = (uintptr_t)rsp;
	tx.rsp_len = *rsp_len;
	tx.channel = channel;
	if (ioctl(fd, SECEL_IOC_TRANSMIT, &tx)) {
		if (gp_trace)
			fprintf(stderr, "[%u] < %s\n", channel, strerror(errno));
		return -errno;
	}
	*rsp_len = tx.rsp_len;
	if (gp_trace)
		trace("<", channel, rsp, *rsp_len);
	/* P1 b8: the last block; P2: its number from 0 */
	if (load && gp_progress && len >= 4) {
		fprintf(stderr, "\rsecelctl: gp %s: LOAD block %u%s", se_arg,
			cmd[3] + 1u, cmd[2] & 0x80 ? ", the last" : "");
		progress_shown = true;
		if (cmd[2] & 0x80)
			progress_end();
	}
	/* the way a kill -9 would do it: no cleanup, the fd closed by exit */
	if (load && die_after_load > 0 && !--die_after_load)
		raise(SIGKILL);
	return 0;
}

static int se_fd = -1;
static struct gp_keyset session_ks;

/* INITIALIZE UPDATE and EXTERNAL AUTHENTICATE on the ISD's channel */
static int open_secure(struct gp_host *h)
{
	return gp_open_sd(h, &session_ks, gp_opt.level, gp_opt.isd,
			  gp_opt.isd_len);
}

/* Open the SE, select the ISD on a channel, open the secure channel. */
static void session(struct gp_host *h, unsigned int idx, bool secure)
{
	static uint8_t rsp[SECEL_RESP_MAX];
	struct secel_channel_open req;
	struct secel_info info;
	char path[64];
	size_t n = sizeof(rsp), fci_len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/secel%u", gp_opt.dev_dir, idx);
	se_fd = open(path, O_RDWR | O_CLOEXEC);
	if (se_fd < 0)
		gp_die("%s: %s", path, errno == ENOENT ? "no such SE" :
		       strerror(errno));
	memset(h, 0, sizeof(*h));
	h->xfer = se_xfer;
	h->ctx = &se_fd;
	if (!gp_opt.basic) {
		memset(&req, 0, sizeof(req));
		req.aid_ptr = (uintptr_t)gp_opt.isd;
		req.aid_len = gp_opt.isd_len;
		req.rsp_ptr = (uintptr_t)rsp;
		req.rsp_len = sizeof(rsp);
		if (!ioctl(se_fd, SECEL_IOC_OPEN_CHANNEL, &req)) {
			h->channel = req.channel;
			fci_len = req.rsp_len;
		}
		else if (errno == ENOENT)
			gp_die("no security domain %s on the card",
			       gp_opt.isd_hex);
		else if (errno != EOPNOTSUPP && errno != EBUSY &&
			 errno != EIO)
			gp_die("logical channel for the ISD: %s",
			       strerror(errno));
		/* no logical channels, none left, or refused: basic channel */
	}
	if (gp_opt.basic || !h->channel) {
		uint8_t sel[5 + GP_AID_MAX + 1] = { 0x00, 0xa4, 0x04, 0x00 };

		sel[4] = gp_opt.isd_len;
		memcpy(sel + 5, gp_opt.isd, gp_opt.isd_len);
		sel[5 + gp_opt.isd_len] = 0;
		ret = se_xfer(&se_fd, 0, sel, 6 + gp_opt.isd_len, rsp, &n);
		if (ret)
			gp_die("SELECT %s: %s", gp_opt.isd_hex, strerror(-ret));
		if (rsp[n - 2] != 0x90 || rsp[n - 1])
			gp_die("SELECT %s: card answered %02X%02X",
			       gp_opt.isd_hex, rsp[n - 2], rsp[n - 1]);
		fci_len = n;
	}
	/*
	 * Extended-length commands (LOAD) when the SD's FCI offers a 9F65
	 * above 255 and the SE's transport carries them.
	 */
	memset(&info, 0, sizeof(info));
	if (fci_len >= 2 && !ioctl(se_fd, SECEL_IOC_GET_INFO, &info) &&
	    (info.flags & SECEL_INFO_EXTENDED_LENGTH))
		h->max_data = gp_fci_max_data(rsp, fci_len - 2);
	if (!secure)
		return;
	session_keys(&session_ks);
	h->diversify = keys_div;
	ret = open_secure(h);
	if (ret)
		gp_die("secure channel: %s", h->err);
}

static void print_status(const char *kind, const struct gp_status *st,
			 size_t n, bool app)
{
	size_t i, m;

	for (i = 0; i < n; i++) {
		printf("%s: ", kind);
		put_hex(stdout, st[i].aid, st[i].aid_len);
		printf(" (%s)\n", gp_lc_str(app, st[i].lifecycle));
		if (st[i].privs_len && (st[i].privs[0] || st[i].privs[1] ||
					st[i].privs[2])) {
			printf("     Privileges: ");
			put_hex(stdout, st[i].privs, st[i].privs_len);
			printf("\n");
		}
		if (st[i].elf_len) {
			printf("     Load file: ");
			put_hex(stdout, st[i].elf, st[i].elf_len);
			printf("\n");
		}
		if (st[i].has_version)
			printf("     Version: %u.%u\n", st[i].version[0],
			       st[i].version[1]);
		for (m = 0; m < st[i].nmodules; m++) {
			printf("     Module: ");
			put_hex(stdout, st[i].modules[m], st[i].module_len[m]);
			printf("\n");
		}
	}
}

static void json_status(const char *kind, const struct gp_status *st,
			size_t n, bool app, bool *first)
{
	size_t i, m;

	for (i = 0; i < n; i++) {
		printf("%s\n  {\"kind\": \"%s\", \"aid\": \"", *first ? "" : ",",
		       kind);
		*first = false;
		put_hex(stdout, st[i].aid, st[i].aid_len);
		printf("\", \"lifecycle\": \"%s\"", gp_lc_str(app,
							    st[i].lifecycle));
		if (st[i].elf_len) {
			printf(", \"loadfile\": \"");
			put_hex(stdout, st[i].elf, st[i].elf_len);
			printf("\"");
		}
		if (st[i].has_version)
			printf(", \"version\": \"%u.%u\"", st[i].version[0],
			       st[i].version[1]);
		if (st[i].nmodules) {
			printf(", \"modules\": [");
			for (m = 0; m < st[i].nmodules; m++) {
				printf("%s\"", m ? ", " : "");
				put_hex(stdout, st[i].modules[m],
					st[i].module_len[m]);
				printf("\"");
			}
			printf("]");
		}
		printf("}");
	}
}

static int gp_list(struct gp_host *h)
{
	static const struct {
		uint8_t p1;
		const char *kind;
		bool app;
	} kinds[] = {
		{ GP_STATUS_ISD, "ISD", false },
		{ GP_STATUS_APPS, "APP", true },
		{ GP_STATUS_MODULES, "PKG", true },
	};
	static struct gp_status st[64];
	bool first = true;
	size_t i, n;
	int ret;

	if (gp_opt.json)
		printf("[");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		ret = gp_get_status(h, kinds[i].p1, st, 64, &n);
		if (ret == 0x6a86 && kinds[i].p1 == GP_STATUS_MODULES)
			ret = gp_get_status(h, GP_STATUS_LOADFILES, st, 64, &n);
		if (ret)
			gp_die("%s", h->err);
		if (gp_opt.json)
			json_status(kinds[i].kind, st, n, kinds[i].app, &first);
		else
			print_status(kinds[i].kind, st, n, kinds[i].app);
	}
	if (gp_opt.json)
		printf("\n]\n");
	return 0;
}

static void print_oid(const uint8_t *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (!n)
		return;
	printf("%u.%u", p[0] / 40, p[0] % 40);
	for (i = 1; i < n; i++) {
		v = (v << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			printf(".%lu", v);
			v = 0;
		}
	}
}

static int gp_info(struct gp_host *h)
{
	uint8_t buf[256];
	struct gp_tlv t, o;
	size_t n, off;
	int ret;

	printf("Security domain: %s (channel %u%s)\n", gp_opt.isd_hex,
	       h->channel, h->channel ? "" : ", basic");
	n = sizeof(buf);
	ret = gp_get_data(h, 0x9f7f, buf, &n);
	if (!ret) {
		printf("CPLC:\n");
		cplc_print(stdout, buf, n, "  ");
	}
	n = sizeof(buf);
	if (!gp_get_data(h, 0x0042, buf, &n)) {
		printf("IIN: ");
		put_hex(stdout, buf, n);
		printf("\n");
	}
	n = sizeof(buf);
	if (!gp_get_data(h, 0x0045, buf, &n)) {
		printf("CIN: ");
		put_hex(stdout, buf, n);
		printf("\n");
	}
	n = sizeof(buf);
	if (!gp_get_data(h, 0x0066, buf, &n) &&
	    gp_tlv_find(buf, n, 0x73, &t) == 1) {
		printf("Card recognition data:\n");
		off = 0;
		while (gp_tlv_next(t.val, t.len, &off, &o) == 1) {
			struct gp_tlv oid;

			if (o.tag == 0x06) {
				printf("  GlobalPlatform card: ");
				print_oid(o.val, o.len);
				printf("\n");
				continue;
			}
			if (gp_tlv_find(o.val, o.len, 0x06, &oid) != 1)
				continue;
			printf("  %s: ", o.tag == 0x60 ? "Card management" :
			       o.tag == 0x63 ? "Card identification" :
			       o.tag == 0x64 ? "Secure channel" :
			       o.tag == 0x65 ? "Configuration" : "Other");
			print_oid(oid.val, oid.len);
			if (o.tag == 0x64 && oid.len >= 2)
				printf(" (SCP%02X, i=%02X)",
				       oid.val[oid.len - 2],
				       oid.val[oid.len - 1]);
			printf("\n");
		}
	}
	n = sizeof(buf);
	if (!gp_get_data(h, 0x00e0, buf, &n)) {
		printf("Keys:\n");
		off = 0;
		while (gp_tlv_next(buf, n, &off, &t) == 1) {
			if (t.tag != 0xc0 || t.len < 4)
				continue;
			printf("  key %02X version %02X: %s-%u\n", t.val[0],
			       t.val[1], t.val[2] == 0x88 ? "AES" : "type",
			       t.val[2] == 0x88 ? t.val[3] * 8 : t.val[2]);
		}
	}
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		gp_die("%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
		gp_die("%s: not a regular file", path);
	if (sb.st_size > GP_LF_MAX)
		gp_die("%s: %lld bytes, more than a load file's %d", path,
		       (long long)sb.st_size, GP_LF_MAX);
	buf = malloc(sb.st_size + 1);
	if (!buf)
		gp_die("out of memory");
	if (read(fd, buf, sb.st_size) != sb.st_size)
		gp_die("%s: short read", path);
	close(fd);
	*len = sb.st_size;
	return buf;
}

/*
 * INSTALL [for install] failed after the load: delete the load file
 * again, so that none is left without its application.  The session
 * may be gone (the card closes it on a security error, the host on any
 * error of its own), so the DELETE goes in a new one.
 */
static void install_failed(struct gp_host *h, const char *path,
			   const struct gp_loadfile *info)
{
	char why[sizeof(h->err)], hex[2 * GP_AID_MAX + 1] = "";
	size_t i;
	int ret;

	snprintf(why, sizeof(why), "%s", h->err);
	for (i = 0; i < info->aid_len; i++)
		snprintf(hex + 2 * i, 3, "%02X", info->aid[i]);
	ret = open_secure(h);
	if (!ret)
		ret = gp_delete(h, info->aid, info->aid_len, false);
	if (ret)
		gp_die("%s: %s; the load file %s stays on the card (cleanup: %s): 'secelctl gp %s delete %s' removes it",
		       path, why, hex, h->err, se_arg, hex);
	gp_die("%s: %s; the load file %s was deleted again", path, why, hex);
}

static int gp_install_cmd(struct gp_host *h, const char *path)
{
	uint8_t *lf, aid[GP_AID_MAX], params[256];
	size_t len, aid_len, params_len = 0, n;
	struct gp_loadfile info;
	const char *why;
	int ret;

	lf = read_file(path, &len);
	if (gp_lf_parse(lf, len, &info, &why))
		gp_die("%s: not a secel load file: %s", path, why);
	memcpy(aid, info.module, info.module_len);
	aid_len = info.module_len;
	if (gp_opt.aid)
		aid_len = parse_hex_arg("--aid", gp_opt.aid, aid, GP_AID_MIN,
					GP_AID_MAX);
	if (gp_opt.params)
		params_len = parse_hex_arg("--params", gp_opt.params, params,
					   0, 200);
	/* the card would answer a bare 6A80 (wrong data) after the load */
	why = gp_install_params_missing(info.type, params, params_len);
	if (why)
		gp_die("%s: %s (--params HEX); nothing loaded", path, why);
	/* an INSTALL that cannot be sent is found out before the load */
	n = gp_install_data_len(info.aid_len, info.module_len, aid_len,
				params_len);
	if (n > gp_data_room(h))
		gp_die("%s: INSTALL [for install] too long: %zu bytes of --params make %zu data bytes, at most %zu fit one APDU at security level %02X; nothing loaded",
		       path, params_len, n, gp_data_room(h), gp_opt.level);
	ret = gp_load(h, lf, len, gp_opt.block);
	if (ret)
		gp_die("%s: %s", path, h->err);
	ret = gp_install(h, info.aid, info.aid_len, info.module,
			 info.module_len, aid, aid_len, params, params_len);
	if (ret)
		install_failed(h, path, &info);
	printf("installed ");
	put_hex(stdout, aid, aid_len);
	printf(" (%s %u.%u from ", info.type, info.version[0],
	       info.version[1]);
	put_hex(stdout, info.aid, info.aid_len);
	printf(")\n");
	free(lf);
	return 0;
}

static int gp_delete_cmd(struct gp_host *h, const char *hex)
{
	uint8_t aid[GP_AID_MAX];
	size_t len = parse_hex_arg("AID", hex, aid, GP_AID_MIN, GP_AID_MAX);
	int ret;

	ret = gp_delete(h, aid, len, gp_opt.related);
	if (ret == 0x6985 && !gp_opt.related)
		gp_die("%s (selected somewhere, or a load file with instances: try --related)",
		       h->err);
	if (ret)
		gp_die("%s", h->err);
	printf("deleted %s%s\n", hex, gp_opt.related ? " and related objects" :
	       "");
	return 0;
}

static int gp_lock_cmd(struct gp_host *h, const char *hex, bool lock)
{
	uint8_t aid[GP_AID_MAX];
	size_t len = parse_hex_arg("AID", hex, aid, GP_AID_MIN, GP_AID_MAX);

	if (gp_set_lock(h, aid, len, lock))
		gp_die("%s", h->err);
	printf("%s %s\n", lock ? "locked" : "unlocked", hex);
	return 0;
}

static int gp_put_key_cmd(struct gp_host *h, const char *spec)
{
	struct gp_keyset ks;
	int ret;

	parse_keyspec("put-key", spec, &ks);
	ret = gp_put_key(h, gp_opt.replace, &ks);
	if (ret)
		gp_die("%s", h->err);
	printf("key version %02X %s\n", ks.kvn, gp_opt.replace ?
	       "replaces the old one" : "added");
	return 0;
}

/* load FILE: INSTALL [for load] and LOAD, nothing installed */
static int gp_load_cmd(struct gp_host *h, const char *path)
{
	struct gp_loadfile info;
	const char *why;
	uint8_t *lf;
	size_t len;

	lf = read_file(path, &len);
	if (gp_lf_parse(lf, len, &info, &why))
		gp_die("%s: not a secel load file: %s", path, why);
	if (gp_load(h, lf, len, gp_opt.block))
		gp_die("%s: %s", path, h->err);
	printf("loaded ");
	put_hex(stdout, info.aid, info.aid_len);
	printf(" (%s %u.%u, %zu bytes)\n", info.type, info.version[0],
	       info.version[1], len);
	free(lf);
	return 0;
}

/*
 * install-only ELF MODULE [APP] [privs=HEX] [default] [installed]:
 * INSTALL [for install (and make selectable)] from a load file already on
 * the card.  "default" sets the Default Selected privilege (04 in the
 * first byte, GPCS table 11-7); "installed" leaves it INSTALLED, not
 * SELECTABLE.
 */
static int gp_install_only_cmd(struct gp_host *h, char **args, int n)
{
	uint8_t elf[GP_AID_MAX], mod[GP_AID_MAX], app[GP_AID_MAX];
	uint8_t privs[3] = { 0 }, params[256];
	size_t elf_len, mod_len, app_len, privs_len = 1, params_len = 0;
	uint8_t p1 = 0x0c;
	int i;

	elf_len = parse_hex_arg("load file AID", args[0], elf, GP_AID_MIN,
				GP_AID_MAX);
	mod_len = parse_hex_arg("module AID", args[1], mod, GP_AID_MIN,
				GP_AID_MAX);
	memcpy(app, mod, mod_len);
	app_len = mod_len;
	for (i = 2; i < n; i++) {
		if (!strncmp(args[i], "privs=", 6)) {
			privs_len = parse_hex_arg("privs", args[i] + 6, privs,
						  1, 3);
			if (privs_len == 2)
				gp_die("privs=%s: 1 or 3 bytes", args[i] + 6);
		} else if (!strcmp(args[i], "default")) {
			privs[0] |= 0x04;
		} else if (!strcmp(args[i], "installed")) {
			p1 = 0x04;
		} else if (i == 2) {
			app_len = parse_hex_arg("application AID", args[i],
						app, GP_AID_MIN, GP_AID_MAX);
		} else {
			gp_die("install-only: unknown argument '%s'", args[i]);
		}
	}
	if (gp_opt.params)
		params_len = parse_hex_arg("--params", gp_opt.params, params,
					   0, 200);
	if (gp_install_ex(h, p1, elf, elf_len, mod, mod_len, app, app_len,
			  privs, privs_len, params, params_len))
		gp_die("%s", h->err);
	printf("installed ");
	put_hex(stdout, app, app_len);
	printf(" from ");
	put_hex(stdout, elf, elf_len);
	printf(" (%s, privileges ", p1 == 0x04 ? "INSTALLED" : "SELECTABLE");
	put_hex(stdout, privs, privs_len);
	printf(")\n");
	return 0;
}

static int gp_delete_key_cmd(struct gp_host *h, const char *hex)
{
	uint8_t kvn;

	parse_hex_arg("key version", hex, &kvn, 1, 1);
	if (gp_delete_key(h, kvn))
		gp_die("%s", h->err);
	printf("deleted key version %02X\n", kvn);
	return 0;
}

static int gp_card_status_cmd(struct gp_host *h, uint8_t lc)
{
	if (gp_set_card_status(h, lc))
		gp_die("%s", h->err);
	printf("card %s\n", gp_lc_str(false, lc));
	return 0;
}

/* apdu HEX...: commands sent through the secure channel, as they are */
static int gp_apdu_cmd(struct gp_host *h, char **args, int n)
{
	static uint8_t cmd[SECEL_APDU_MAX], rsp[SECEL_RESP_MAX];
	size_t len, rlen;
	int i;

	for (i = 0; i < n; i++) {
		len = parse_hex_arg("APDU", args[i], cmd, 4, 261);
		rlen = sizeof(rsp);
		if (gp_send(h, cmd, len, rsp, &rlen))
			gp_die("%s", h->err);
		if (rlen > 2)
			put_hex(stdout, rsp, rlen - 2);
		else
			fputs("-", stdout);
		printf("  %02X%02X\n", rsp[rlen - 2], rsp[rlen - 1]);
	}
	return 0;
}

/* secelctl gp mkload --type T --aid AID --module AID [--lf-version M.N]
 * [--code-size N] FILE */
static int gp_mkload(const char *path)
{
	static uint8_t code[GP_LF_MAX], out[GP_LF_MAX + 256];
	struct gp_loadfile lf = { .version = { 1, 0 } };
	unsigned int major, minor;
	const char *why;
	size_t i, n;
	FILE *f;

	if (!gp_opt.type || !gp_opt.aid || !gp_opt.module)
		gp_die("mkload needs --type, --aid and --module");
	if (strlen(gp_opt.type) > GP_LF_TYPE_MAX)
		gp_die("--type: longer than %d", GP_LF_TYPE_MAX);
	strcpy(lf.type, gp_opt.type);
	lf.aid_len = parse_hex_arg("--aid", gp_opt.aid, lf.aid, GP_AID_MIN,
				   GP_AID_MAX);
	lf.module_len = parse_hex_arg("--module", gp_opt.module, lf.module,
				      GP_AID_MIN, GP_AID_MAX);
	if (gp_opt.version) {
		if (sscanf(gp_opt.version, "%u.%u", &major, &minor) != 2 ||
		    major > 255 || minor > 255)
			gp_die("--lf-version '%s': not MAJOR.MINOR (0-255 each)",
			       gp_opt.version);
		lf.version[0] = major;
		lf.version[1] = minor;
	}
	if (gp_opt.code_size > GP_LF_MAX)
		gp_die("--code-size %zu: a load file has at most %d bytes",
		       gp_opt.code_size, GP_LF_MAX);
	lf.code_len = gp_opt.code_size;
	/* a deterministic code image, so the same command makes the same file */
	for (i = 0; i < lf.code_len; i++)
		code[i] = (i * 131 + 7) & 0xff;
	n = gp_lf_build(&lf, code, out, sizeof(out));
	/*
	 * The TLVs around the code count too: say how much code fits.  They
	 * take less than 128 bytes, so the code keeps its 3 length octets.
	 */
	if (n > GP_LF_MAX)
		gp_die("--code-size %zu: the load file would have %zu bytes, more than %d; at most %zu bytes of code with this type and these AIDs",
		       lf.code_len, n, GP_LF_MAX, lf.code_len - (n - GP_LF_MAX));
	if (!n || gp_lf_parse(out, n, &lf, &why))
		gp_die("cannot build the load file");
	f = fopen(path, "we");
	if (!f || fwrite(out, 1, n, f) != n || fclose(f))
		gp_die("%s: %s", path, strerror(errno));
	printf("%s: %s load file ", path, lf.type);
	put_hex(stdout, lf.aid, lf.aid_len);
	printf(", module ");
	put_hex(stdout, lf.module, lf.module_len);
	printf(", %zu bytes\n", n);
	return 0;
}

int cmd_gp(unsigned int (*resolve)(const char *), char **args, int n)
{
	struct gp_host h;
	int ret;

	if (n >= 2 && !strcmp(args[0], "mkload")) {
		se_arg = "mkload";
		if (n != 2)
			gp_die("usage: secelctl gp mkload --type T --aid AID --module AID FILE");
		return gp_mkload(args[1]);
	}
	if (n < 2)
		return -1;
	se_arg = args[0];
	die_after_load_init();
	gp_trace = gp_opt.trace || (getenv("SECELCTL_GP_TRACE") &&
				    strcmp(getenv("SECELCTL_GP_TRACE"), "0"));
	/* on a terminal only, and not between the trace's lines */
	gp_progress = !gp_trace && isatty(STDERR_FILENO);
	if (!gp_opt.isd_hex)
		gp_opt.isd_hex = "A000000151000000";
	gp_opt.isd_len = parse_hex_arg("--isd", gp_opt.isd_hex, gp_opt.isd,
				       GP_AID_MIN, GP_AID_MAX);
	if (!strcmp(args[1], "list") && n == 2) {
		session(&h, resolve(args[0]), true);
		ret = gp_list(&h);
	} else if (!strcmp(args[1], "info") && n == 2) {
		session(&h, resolve(args[0]), gp_opt.secure_info);
		ret = gp_info(&h);
	} else if (!strcmp(args[1], "install") && n == 3) {
		session(&h, resolve(args[0]), true);
		ret = gp_install_cmd(&h, args[2]);
	} else if (!strcmp(args[1], "delete") && n == 3) {
		session(&h, resolve(args[0]), true);
		ret = gp_delete_cmd(&h, args[2]);
	} else if ((!strcmp(args[1], "lock") || !strcmp(args[1], "unlock")) &&
		   n == 3) {
		session(&h, resolve(args[0]), true);
		ret = gp_lock_cmd(&h, args[2], !strcmp(args[1], "lock"));
	} else if (!strcmp(args[1], "put-key") && n == 3) {
		session(&h, resolve(args[0]), true);
		ret = gp_put_key_cmd(&h, args[2]);
	} else if (!strcmp(args[1], "load") && n == 3) {
		session(&h, resolve(args[0]), true);
		ret = gp_load_cmd(&h, args[2]);
	} else if (!strcmp(args[1], "install-only") && n >= 4 && n <= 8) {
		session(&h, resolve(args[0]), true);
		ret = gp_install_only_cmd(&h, args + 2, n - 2);
	} else if (!strcmp(args[1], "delete-key") && n == 3) {
		session(&h, resolve(args[0]), true);
		ret = gp_delete_key_cmd(&h, args[2]);
	} else if (!strcmp(args[1], "card-lock") && n == 2) {
		session(&h, resolve(args[0]), true);
		ret = gp_card_status_cmd(&h, GP_LC_CARD_LOCKED);
	} else if (!strcmp(args[1], "card-unlock") && n == 2) {
		session(&h, resolve(args[0]), true);
		ret = gp_card_status_cmd(&h, GP_LC_CARD_SECURED);
	} else if (!strcmp(args[1], "card-terminate") && (n == 2 || n == 3)) {
		/* for good: the word "yes" says the user means it */
		if (n == 2 || strcmp(args[2], "yes"))
			gp_die("card-terminate cannot be undone: say 'card-terminate yes'");
		session(&h, resolve(args[0]), true);
		ret = gp_card_status_cmd(&h, GP_LC_CARD_TERMINATED);
	} else if (!strcmp(args[1], "apdu") && n >= 3) {
		session(&h, resolve(args[0]), true);
		ret = gp_apdu_cmd(&h, args + 2, n - 2);
	} else {
		return -1;
	}
	close(se_fd);		/* closes the logical channel */
	return ret;
}
