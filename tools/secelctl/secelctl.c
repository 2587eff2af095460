// SPDX-License-Identifier: GPL-2.0
/*
 * secelctl - list, inspect and talk to secure elements through secel
 *
 *   secelctl [--sysfs[=DIR]] list [--all] [--json]
 *   secelctl [--sysfs[=DIR]] info SE [--json]
 *   secelctl add|verify|inquire|delete|designate SE
 *   secelctl apdu SE HEX... [--raw]
 *   secelctl channel SE AID [HEX...] [--raw]
 *   secelctl reset SE [--warm]
 *   secelctl acl list | load FILE | set RULE... | clear
 *   secelctl acl load-ara [SE] --map FILE [--dry-run] [--strict] [--json]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/secel.h>

#include "../gp/gp.h"
#include "../libsecel/libsecel.h"
#include "ara.h"
#include "se.h"
#include "secelctl.h"

static const char *ctl_path = "/dev/secel-ctl";
static const char *dev_dir = "/dev";
static const char *sysfs_dir = "/sys/class/secel";
static bool opt_json, opt_all, opt_raw, opt_warm, opt_clear, opt_sysfs;
static bool opt_dry_run, opt_strict;
static const char *opt_map;
static const char *cmd_name = "";
/* --json: what goes before the next element of an array */
static const char *json_sep = "\n  ";

static void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "secelctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static int open_or_die(const char *path)
{
	char msg[SE_MSG_MAX];
	int fd = se_open_ctl(path, msg, sizeof(msg));

	if (fd < 0)
		die(1, "%s", msg);
	return fd;
}

static struct secel_list_entry *list_ses(int ctl, bool all, unsigned int *n)
{
	struct secel_list_entry *e;
	char msg[SE_MSG_MAX];

	if (se_list(ctl, ctl_path, all, &e, n, msg, sizeof(msg)))
		die(1, "%s", msg);
	return e;
}

static unsigned int resolve_se(const char *arg)
{
	char msg[SE_MSG_MAX];
	unsigned int idx;

	if (opt_sysfs ?
	    se_resolve_sysfs(sysfs_dir, dev_dir, arg, &idx, msg, sizeof(msg)) :
	    se_resolve(ctl_path, dev_dir, arg, &idx, msg, sizeof(msg)))
		die(1, "%s", msg);
	return idx;
}

/* DEV_DIR/secelN through libsecel, or a one-line error naming the node. */
static struct secel_se *open_se(unsigned int idx, const char *arg)
{
	struct secel_se *se;
	char path[256];

	snprintf(path, sizeof(path), "%s/secel%u", dev_dir, idx);
	se = secel_se_open_path(path);
	if (!se)
		die(1, "%s %s: %s: %s", cmd_name, arg, path,
		    errno == ENOTTY ? "not a secel node" :
		    se_why(SE_OP_OPEN, errno));
	return se;
}

static const char *state_name(uint32_t state)
{
	static const char *const names[] = {
		[SECEL_STATE_REPORTED] = "reported",
		[SECEL_STATE_VERIFYING] = "verifying",
		[SECEL_STATE_LISTED] = "listed",
		[SECEL_STATE_REJECTED] = "rejected",
		[SECEL_STATE_DELETED] = "deleted",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "unknown";
}

static const char *kind_name(uint32_t kind)
{
	return kind == SECEL_KIND_VIRTUAL ? "virtual" : "physical";
}

static void hex_print(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02X", p[i]);
}

/*
 * What libsecel read of an open SE, as struct secel_info; the library's
 * record in *@li for the items (NULL: not wanted).  0, or -1 with errno.
 */
static int get_info(struct secel_se *se, struct secel_info *info,
		    struct secel_se_info **li)
{
	struct secel_se_info *i = secel_se_get_info(se);
	const uint8_t *atr;
	size_t len = 0;

	if (!i)
		return -1;
	memset(info, 0, sizeof(*info));
	info->index = secel_se_info_index(i);
	info->kind = secel_se_info_kind(i);
	info->state = secel_se_info_state(i);
	info->flags = secel_se_info_flags(i);
	info->protocols = secel_se_info_protocols(i);
	info->max_cmd = secel_se_info_max_command(i);
	info->max_rsp = secel_se_info_max_response(i);
	snprintf(info->name, sizeof(info->name), "%s", secel_se_info_name(i));
	snprintf(info->transport, sizeof(info->transport), "%s",
		 secel_se_info_transport(i));
	atr = secel_se_info_atr(i, &len);
	if (atr && len <= sizeof(info->atr)) {
		memcpy(info->atr, atr, len);
		info->atr_len = len;
	}
	if (li)
		*li = i;
	else
		secel_se_info_free(i);
	return 0;
}

/*
 * --sysfs: a hex attribute (atr, cplc, ...) into buf, its length in *len;
 * 0, -ENODATA when the SE does not have it, or another negative errno.
 */
static int sysfs_hex(unsigned int idx, const char *attr, uint8_t *buf,
		     size_t size, size_t *len)
{
	static char hex[2 * 4096 + 2];
	int ret = se_sysfs_read(sysfs_dir, idx, attr, hex, sizeof(hex));

	if (ret == -ENOENT)
		return -ENODATA;	/* hidden: the SE does not have it */
	if (ret)
		return ret;
	if (hex_parse(hex, buf, size, len))
		return -EPROTO;
	return *len ? 0 : -ENODATA;
}

/* The ATR of SE idx, from its node or --sysfs; its length, 0 if unknown. */
static size_t se_atr(unsigned int idx, uint8_t *atr, size_t size)
{
	struct secel_info info;
	struct secel_se *se;
	char path[256];
	size_t len = 0;

	if (opt_sysfs)
		return sysfs_hex(idx, "atr", atr, size, &len) ? 0 : len;
	snprintf(path, sizeof(path), "%s/secel%u", dev_dir, idx);
	se = secel_se_open_path(path);
	if (!se)
		return 0;
	if (!get_info(se, &info, NULL) && info.atr_len <= size) {
		len = info.atr_len;
		memcpy(atr, info.atr, len);
	}
	secel_se_close(se);
	return len;
}

/* The SEs to list: the configurator's answer, or --sysfs. */
static struct secel_list_entry *list_entries(unsigned int *n)
{
	struct secel_list_entry *e;
	char msg[SE_MSG_MAX];
	unsigned int i, k;
	int ctl;

	if (!opt_sysfs) {
		ctl = open_or_die(ctl_path);
		e = list_ses(ctl, opt_all, n);
		close(ctl);
		return e;
	}
	if (se_sysfs_list(sysfs_dir, &e, n, msg, sizeof(msg)))
		die(1, "%s", msg);
	if (opt_all)
		return e;
	for (i = k = 0; i < *n; i++)
		if (e[i].state == SECEL_STATE_LISTED)
			e[k++] = e[i];
	*n = k;
	return e;
}

static int cmd_list(void)
{
	struct secel_list_entry *e;
	uint8_t atr[SECEL_ATR_MAX + 3];
	unsigned int n, i;
	size_t atr_len;

	e = list_entries(&n);

	if (opt_json) {
		printf("[");
		for (i = 0; i < n; i++) {
			printf("%s\n  {\"index\": %u, \"name\": ", i ? "," : "",
			       e[i].index);
			json_string(stdout, e[i].name);
			printf(", \"kind\": \"%s\", \"transport\": ",
			       kind_name(e[i].kind));
			json_string(stdout, e[i].transport);
			printf(", \"state\": \"%s\", \"designated\": %s, \"atr\": ",
			       state_name(e[i].state),
			       e[i].flags & SECEL_INFO_DESIGNATED ? "true" : "false");
			atr_len = se_atr(e[i].index, atr, sizeof(atr));
			if (atr_len) {
				printf("\"");
				hex_print(stdout, atr, atr_len);
				printf("\"");
			} else {
				printf("null");
			}
			printf("}");
		}
		printf("%s]\n", n ? "\n" : "");
		free(e);
		return 0;
	}

	printf("%-5s  %-8s  %-8s  %-9s  %-9s  %-10s  %s\n", "INDEX", "NAME",
	       "KIND", "TRANSPORT", "STATE", "DESIGNATED", "ATR");
	for (i = 0; i < n; i++) {
		printf("%-5u  %-8s  %-8s  %-9s  %-9s  %-10s  ", e[i].index,
		       e[i].name, kind_name(e[i].kind), e[i].transport,
		       state_name(e[i].state),
		       e[i].flags & SECEL_INFO_DESIGNATED ? "yes" : "no");
		atr_len = se_atr(e[i].index, atr, sizeof(atr));
		if (atr_len)
			hex_print(stdout, atr, atr_len);
		else
			printf("-");
		printf("\n");
	}
	free(e);
	return 0;
}

static const char *atr_verdict(uint32_t flags)
{
	if (flags & SECEL_INFO_ATR_MALFORMED)
		return "malformed";
	if (flags & SECEL_INFO_ATR_TCK_MISSING)
		return "TCK missing";
	if (flags & SECEL_INFO_ATR_TCK_WRONG)
		return "TCK wrong";
	return "ok";
}

static void protocols_print(FILE *f, uint32_t p)
{
	bool first = true;
	int t;

	for (t = 0; t < 16; t++) {
		if (!(p & (1u << t)))
			continue;
		fprintf(f, "%sT=%d", first ? "" : " ", t);
		first = false;
	}
	if (first)
		fprintf(f, "-");
}

/* --sysfs: what SECEL_IOC_GET_INFO tells, as far as sysfs shows it. */
static void sysfs_info(unsigned int idx, struct secel_info *info)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} checks[] = {
		{ "malformed", SECEL_INFO_ATR_MALFORMED },
		{ "tck-missing", SECEL_INFO_ATR_TCK_MISSING },
		{ "tck-wrong", SECEL_INFO_ATR_TCK_WRONG },
	};
	struct secel_list_entry *e;
	char msg[SE_MSG_MAX], val[128], *p, *end;
	unsigned int n, i;
	unsigned long t;
	size_t len;

	if (se_sysfs_list(sysfs_dir, &e, &n, msg, sizeof(msg)))
		die(1, "%s", msg);
	for (i = 0; i < n && e[i].index != idx; i++)
		;
	if (i == n)
		die(1, "%s/secel%u: no such SE", sysfs_dir, idx);
	memset(info, 0, sizeof(*info));
	info->index = idx;
	info->kind = e[i].kind;
	info->state = e[i].state;
	info->flags = e[i].flags;
	memcpy(info->name, e[i].name, sizeof(info->name));
	memcpy(info->transport, e[i].transport, sizeof(info->transport));
	free(e);

	if (!sysfs_hex(idx, "atr", info->atr, sizeof(info->atr), &len))
		info->atr_len = len;
	if (!se_sysfs_read(sysfs_dir, idx, "atr_check", val, sizeof(val)))
		for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
			if (!strcmp(val, checks[i].name))
				info->flags |= checks[i].flag;
	/* "T=0 T=1" */
	if (!se_sysfs_read(sysfs_dir, idx, "protocol", val, sizeof(val)))
		for (p = strstr(val, "T="); p; p = strstr(end, "T=")) {
			t = strtoul(p + 2, &end, 10);
			if (end == p + 2)
				break;
			if (t < 32)
				info->protocols |= 1u << t;
		}
}

static int cmd_info(const char *arg)
{
	static const struct {
		uint32_t item, flag;
		const char *label, *key;
	} items[] = {
		{ SECEL_ITEM_CPLC, SECEL_INFO_HAS_CPLC, "CPLC", "cplc" },
		{ SECEL_ITEM_IIN, SECEL_INFO_HAS_IIN, "IIN", "iin" },
		{ SECEL_ITEM_CIN, SECEL_INFO_HAS_CIN, "CIN", "cin" },
		{ SECEL_ITEM_CARD_DATA, SECEL_INFO_HAS_CARD_DATA, "Card data",
		  "card_data" },
	};
	enum { N_ITEMS = sizeof(items) / sizeof(items[0]) };
	static uint8_t sbuf[N_ITEMS][4096];
	const uint8_t *buf[N_ITEMS];
	size_t len[N_ITEMS];
	int err[N_ITEMS];
	struct secel_info info;
	struct secel_se_info *li = NULL;
	struct secel_se *se = NULL;
	unsigned int idx = resolve_se(arg);
	size_t i;

	if (opt_sysfs) {
		sysfs_info(idx, &info);
	} else {
		se = open_se(idx, arg);
		if (get_info(se, &info, &li))
			die(1, "info %s: %s", arg, se_why(SE_OP_INFO, errno));
	}
	/* err: 0, -ENODATA (the SE lacks it), or why it cannot be read */
	for (i = 0; i < N_ITEMS; i++) {
		len[i] = 0;
		buf[i] = sbuf[i];
		if (opt_sysfs) {
			err[i] = sysfs_hex(idx, items[i].key, sbuf[i],
					   sizeof(sbuf[i]), &len[i]);
		} else {
			buf[i] = secel_se_info_item(li, items[i].item, &len[i]);
			err[i] = buf[i] ? 0 : -errno;
		}
	}
	secel_se_close(se);

	if (opt_json) {
		printf("{\"index\": %u, \"name\": ", info.index);
		json_string(stdout, info.name);
		printf(", \"kind\": \"%s\", \"transport\": ", kind_name(info.kind));
		json_string(stdout, info.transport);
		printf(", \"state\": \"%s\", \"designated\": %s, \"protocols\": \"",
		       state_name(info.state),
		       info.flags & SECEL_INFO_DESIGNATED ? "true" : "false");
		protocols_print(stdout, info.protocols);
		if (opt_sysfs)	/* sysfs does not show them */
			printf("\", \"max_command\": null, \"max_response\": null");
		else
			printf("\", \"max_command\": %u, \"max_response\": %u",
			       info.max_cmd, info.max_rsp);
		printf(", \"atr\": \"");
		hex_print(stdout, info.atr, info.atr_len);
		printf("\", \"atr_check\": \"%s\"", atr_verdict(info.flags));
		for (i = 0; i < N_ITEMS; i++) {
			printf(", \"%s\": ", items[i].key);
			if (!err[i]) {
				printf("\"");
				hex_print(stdout, buf[i], len[i]);
				printf("\"");
			} else {
				printf("null");
			}
		}
		printf("}\n");
		secel_se_info_free(li);
		return 0;
	}

	printf("Name:          %s\n", info.name);
	printf("Index:         %u (%s/secel%u)\n", info.index, dev_dir,
	       info.index);
	printf("Kind:          %s\n", kind_name(info.kind));
	printf("Transport:     %s\n", info.transport);
	printf("State:         %s\n", state_name(info.state));
	printf("Designated:    %s\n",
	       info.flags & SECEL_INFO_DESIGNATED ? "yes" : "no");
	printf("Protocols:     ");
	protocols_print(stdout, info.protocols);
	if (opt_sysfs)
		printf("\nMax APDU:      - (sysfs does not show it)\n");
	else
		printf("\nMax APDU:      %u command, %u response bytes%s\n",
		       info.max_cmd, info.max_rsp,
		       info.flags & SECEL_INFO_EXTENDED_LENGTH ?
		       " (extended length)" : "");
	printf("ATR:           ");
	hex_print(stdout, info.atr, info.atr_len);
	printf(" (%s)\n", atr_verdict(info.flags));
	for (i = 0; i < N_ITEMS; i++) {
		printf("%-15s", items[i].label);
		if (err[i] == -ENODATA) {
			printf("-\n");
			continue;
		}
		if (err[i]) {
			/* sysfs keeps private items to root by file mode */
			printf("(%s)\n", opt_sysfs && err[i] == -EACCES ?
			       "private: readable by root only" :
			       opt_sysfs ? strerror(-err[i]) :
			       se_why(SE_OP_ITEM, -err[i]));
			continue;
		}
		hex_print(stdout, buf[i], len[i]);
		printf("\n");
		if (items[i].item == SECEL_ITEM_CPLC)
			cplc_print(stdout, buf[i], len[i], "  ");
	}
	secel_se_info_free(li);
	return 0;
}

static int cmd_ctl(const char *op, const char *arg)
{
	static const struct {
		const char *name;
		unsigned long ioc;
	} ops[] = {
		{ "add", SECEL_CTL_ADD },
		{ "verify", SECEL_CTL_VERIFY },
		{ "inquire", SECEL_CTL_INQUIRE },
		{ "delete", SECEL_CTL_DELETE },
		{ "designate", SECEL_CTL_DESIGNATE },
	};
	struct secel_ctl req;
	unsigned long ioc = 0;
	size_t i;
	int ctl;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].name))
			ioc = ops[i].ioc;

	memset(&req, 0, sizeof(req));
	if (opt_clear) {
		if (ioc != SECEL_CTL_DESIGNATE)
			die(2, "--clear goes with designate");
		req.flags = SECEL_DESIGNATE_CLEAR;
	} else {
		req.index = resolve_se(arg);
	}
	ctl = open_or_die(ctl_path);
	if (ioctl(ctl, ioc, &req)) {
		int err = errno;
		enum se_op what = ioc == SECEL_CTL_INQUIRE ? SE_OP_INQUIRE :
				  SE_OP_CONFIG;

		if (opt_clear)
			die(1, "designate --clear: %s", se_why(what, err));
		if (err == EPROTO || err == ETIMEDOUT)
			die(1, "%s %s: %s; state now %s", op, arg,
			    se_why(what, err), state_name(req.info.state));
		die(1, "%s %s: %s", op, arg, se_why(what, err));
	}
	close(ctl);
	if (opt_json && opt_clear) {
		printf("{\"designated\": null}\n");
	} else if (opt_json) {
		printf("{\"index\": %u, \"name\": ", req.info.index);
		json_string(stdout, req.info.name);
		printf(", \"state\": \"%s\", \"designated\": %s}\n",
		       state_name(req.info.state),
		       req.info.flags & SECEL_INFO_DESIGNATED ? "true" : "false");
	} else if (opt_clear) {
		printf("no SE designated\n");
	} else {
		printf("%s: %s%s\n", req.info.name, state_name(req.info.state),
		       req.info.flags & SECEL_INFO_DESIGNATED ? ", designated" : "");
	}
	return 0;
}

/* --trace: an APDU on stderr as secelctl gp prints them, "[CH] > HEX" */
static void trace_apdu(unsigned int channel, const char *dir,
		       const uint8_t *p, size_t n)
{
	fprintf(stderr, "[%u] %s ", channel, dir);
	hex_print(stderr, p, n);
	fputc('\n', stderr);
}

/* Send one APDU and print "DATA  SW" or a one-line error. */
static int transmit_one(struct secel_se *se, const char *arg,
			uint32_t channel, const char *hex, uint8_t *rsp)
{
	static uint8_t cmd[SECEL_APDU_MAX];
	size_t len, rsp_len = SECEL_RESP_MAX;
	const char *err;

	err = hex_parse(hex, cmd, sizeof(cmd), &len);
	if (err)
		die(1, "%s %s: '%s': %s", cmd_name, arg, hex, err);
	/* the kernel would say EINVAL; say what is wrong instead */
	if (len < 4)
		die(1, "%s %s: '%s': an APDU has at least 4 bytes (CLA INS P1 P2)",
		    cmd_name, arg, hex);

	if (gp_opt.trace)
		trace_apdu(channel, ">", cmd, len);
	if (secel_se_transmit(se, channel, opt_raw ? SECEL_SE_TX_RAW : 0, cmd,
			      len, rsp, &rsp_len)) {
		int e = errno;

		if (gp_opt.trace)
			fprintf(stderr, "[%u] < %s\n", channel, strerror(e));

		fprintf(stderr, "secelctl: %s %s: APDU ", cmd_name, arg);
		hex_print(stderr, cmd, len > 16 ? 16 : len);
		fprintf(stderr, "%s: %s\n", len > 16 ? "..." : "",
			se_why(SE_OP_TRANSMIT, e));
		return 1;
	}
	if (gp_opt.trace)
		trace_apdu(channel, "<", rsp, rsp_len);
	if (opt_json) {
		printf("%s{\"command\": \"", json_sep);
		hex_print(stdout, cmd, len);
		printf("\", \"data\": \"");
		hex_print(stdout, rsp, rsp_len - 2);
		printf("\", \"sw\": \"");
		hex_print(stdout, rsp + rsp_len - 2, 2);
		printf("\"}");
		json_sep = ",\n  ";
		return 0;
	}
	if (rsp_len > 2)
		hex_print(stdout, rsp, rsp_len - 2);
	printf("%s", rsp_len > 2 ? "  " : "");
	hex_print(stdout, rsp + rsp_len - 2, 2);
	printf("\n");
	return 0;
}

static int cmd_apdu(const char *arg, char **apdus, int n)
{
	static uint8_t rsp[SECEL_RESP_MAX];
	struct secel_se *se;
	int i, ret = 0;

	if (n < 1)
		die(2, "apdu %s: missing operand HEX, the APDU to send (usage: secelctl apdu SE HEX...)",
		    arg);
	se = open_se(resolve_se(arg), arg);
	if (opt_json)
		printf("[");
	for (i = 0; i < n && !ret; i++)
		ret = transmit_one(se, arg, 0, apdus[i], rsp);
	if (opt_json)
		printf("%s]\n", strcmp(json_sep, "\n  ") ? "\n" : "");
	secel_se_close(se);
	return ret;
}

static int cmd_channel(const char *arg, const char *aid_hex, char **apdus,
		       int n)
{
	static uint8_t rsp[SECEL_RESP_MAX];
	uint8_t aid[SECEL_AID_MAX + 1];
	size_t aid_len, rsp_len = sizeof(rsp);
	unsigned int channel;
	struct secel_se *se;
	const char *err;
	int i, ret = 0;

	err = hex_parse(aid_hex, aid, sizeof(aid), &aid_len);
	if (err)
		die(1, "channel %s: AID '%s': %s", arg, aid_hex, err);
	if (aid_len && (aid_len < SECEL_AID_MIN || aid_len > SECEL_AID_MAX))
		die(1, "channel %s: AID '%s': an AID has 5 to 16 bytes", arg,
		    aid_hex);

	se = open_se(resolve_se(arg), arg);
	if (secel_se_open_channel(se, aid_len ? aid : NULL, aid_len, rsp,
				  &rsp_len, &channel)) {
		int e = errno;

		fprintf(stderr, "secelctl: channel %s: open with AID %s: %s",
			arg, aid_hex, se_why(SE_OP_OPEN_CHANNEL, e));
		if (rsp_len >= 2 && rsp_len <= sizeof(rsp)) {
			fprintf(stderr, " (SELECT answered ");
			hex_print(stderr, rsp + rsp_len - 2, 2);
			fprintf(stderr, ")");
		}
		fprintf(stderr, "\n");
		secel_se_close(se);
		return 1;
	}
	if (opt_json) {
		printf("{\"channel\": %u, \"select\": {\"data\": \"", channel);
		hex_print(stdout, rsp, rsp_len - 2);
		printf("\", \"sw\": \"");
		hex_print(stdout, rsp + rsp_len - 2, 2);
		printf("\"}, \"responses\": [");
	} else {
		printf("channel %u\n", channel);
		if (rsp_len > 2)
			hex_print(stdout, rsp, rsp_len - 2);
		printf("%s", rsp_len > 2 ? "  " : "");
		hex_print(stdout, rsp + rsp_len - 2, 2);
		printf("\n");
	}

	for (i = 0; i < n && !ret; i++)
		ret = transmit_one(se, arg, channel, apdus[i], rsp);
	if (opt_json)
		printf("%s]}\n", strcmp(json_sep, "\n  ") ? "\n" : "");

	if (secel_se_close_channel(se, channel) && errno != ENODEV) {
		fprintf(stderr, "secelctl: channel %s: close channel %u: %s\n",
			arg, channel, se_why(SE_OP_CLOSE_CHANNEL, errno));
		ret = 1;
	}
	secel_se_close(se);
	return ret;
}

static int cmd_reset(const char *arg)
{
	struct secel_info info;
	struct secel_se *se;

	se = open_se(resolve_se(arg), arg);
	if (secel_se_reset(se, opt_warm ? SECEL_SE_RESET_WARM : 0) < 0)
		die(1, "reset %s: %s", arg, se_why(SE_OP_RESET, errno));
	if (get_info(se, &info, NULL))
		die(1, "reset %s: %s", arg, se_why(SE_OP_INFO, errno));
	secel_se_close(se);
	if (opt_json) {
		printf("{\"name\": ");
		json_string(stdout, info.name);
		printf(", \"index\": %u, \"reset\": \"%s\", \"atr\": \"",
		       info.index, opt_warm ? "warm" : "cold");
		hex_print(stdout, info.atr, info.atr_len);
		printf("\"}\n");
		return 0;
	}
	printf("%s reset (%s), ATR ", info.name, opt_warm ? "warm" : "cold");
	hex_print(stdout, info.atr, info.atr_len);
	printf("\n");
	return 0;
}

static int cmd_version(void)
{
	struct secel_version v;
	int ctl;

	memset(&v, 0, sizeof(v));
	ctl = open_or_die(ctl_path);
	if (ioctl(ctl, SECEL_IOC_VERSION, &v))
		die(1, "%s: SECEL_IOC_VERSION: %s", ctl_path, strerror(errno));
	close(ctl);
	if (opt_json)
		printf("{\"version\": \"%s\", \"libsecel\": \"%s\", \"abi\": %d, \"kernel_abi\": %u}\n",
		       SECEL_VERSION, secel_version_string(),
		       SECEL_ABI_VERSION, v.abi_version);
	else
		printf("secelctl ABI %d, kernel ABI %u\n", SECEL_ABI_VERSION,
		       v.abi_version);
	return 0;
}

/* Replace the kernel's access rules; @what names them in messages. */
static int acl_set(struct secel_acl_rule *rules, uint32_t count,
		   uint32_t flags, const char *what)
{
	struct secel_acl_table t = {
		.version = SECEL_ACL_VERSION,
		.rule_size = sizeof(struct secel_acl_rule),
		.rules_ptr = (uintptr_t)rules,
		.count = count,
		.flags = flags,
	};
	uint32_t i;
	int ctl = open_or_die(ctl_path);

	if (ioctl(ctl, SECEL_CTL_ACL_SET, &t)) {
		int err = errno;

		if (err == EINVAL) {
			/* say which rule, by checking them one at a time */
			for (i = 0; i < count; i++) {
				t.rules_ptr = (uintptr_t)&rules[i];
				t.count = 1;
				t.flags = 0;
				if (ioctl(ctl, SECEL_CTL_ACL_SET, &t) &&
				    errno == EINVAL) {
					fprintf(stderr, "secelctl: acl: %s: the kernel refuses rule %u: ",
						what, i + 1);
					acl_rule_print(stderr, &rules[i]);
					break;
				}
			}
			/* and leave no partial table behind */
			t.count = 0;
			t.flags = 0;
			ioctl(ctl, SECEL_CTL_ACL_SET, &t);
		}
		die(1, "acl: %s: SECEL_CTL_ACL_SET on %s: %s%s", what,
		    ctl_path, strerror(err),
		    err == EPROTO ? " (the kernel's rule format differs)" : "");
	}
	close(ctl);
	printf("%u rule%s loaded, generation %u\n", count,
	       count == 1 ? "" : "s", t.generation);
	return 0;
}

static int cmd_acl_list(void)
{
	struct secel_acl_table t = {
		.version = SECEL_ACL_VERSION,
		.rule_size = sizeof(struct secel_acl_rule),
	};
	struct secel_acl_rule *rules = NULL;
	uint32_t i, room = 0;
	int ctl = open_or_die(ctl_path);

	for (;;) {
		t.rules_ptr = (uintptr_t)rules;
		t.count = room;
		t.flags = 0;
		t.generation = 0;
		if (ioctl(ctl, SECEL_CTL_ACL_GET, &t))
			die(1, "acl list: SECEL_CTL_ACL_GET on %s: %s",
			    ctl_path, strerror(errno));
		if (t.count <= room)
			break;
		/* the table grew: ask again with room for all of it */
		room = t.count;
		free(rules);
		rules = calloc(room, sizeof(*rules));
		if (!rules)
			die(1, "acl list: out of memory");
	}
	close(ctl);
	printf("# generation %u, %u rule%s\n", t.generation, t.count,
	       t.count == 1 ? "" : "s");
	printf("default %s\n",
	       t.flags & SECEL_ACL_DEFAULT_ALLOW ? "allow" : "deny");
	for (i = 0; i < t.count; i++)
		acl_rule_print(stdout, &rules[i]);
	free(rules);
	return 0;
}

static int cmd_acl_load(const char *path)
{
	struct secel_acl_rule *rules = NULL;
	uint32_t count = 0, flags = 0;
	unsigned int lineno = 0;
	const char *err;
	char line[512];
	FILE *f;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		die(1, "acl load: %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			die(1, "acl load: %s:%u: line too long", path, lineno);
		if (acl_table_parse_line(line, &rules, &count, &flags, &err))
			die(1, "acl load: %s:%u: %s", path, lineno, err);
	}
	if (ferror(f))
		die(1, "acl load: %s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	acl_set(rules, count, flags, path);
	free(rules);
	return 0;
}

static int cmd_acl_set(char **args, int n)
{
	struct secel_acl_rule *rules = NULL;
	uint32_t count = 0, flags = 0;
	const char *err;
	int i;

	for (i = 0; i < n; i++)
		if (acl_table_parse_line(args[i], &rules, &count, &flags, &err))
			die(2, "acl set: '%s': %s", args[i], err);
	acl_set(rules, count, flags, "command line");
	free(rules);
	return 0;
}


/* ---- acl load-ara: the rules of the card's ARA-M ---- */

/* the SE and what is being done, for every message of load-ara */
static char ara_who[96];

static void ara_die(const uint8_t *apdu, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* "secelctl: acl load-ara SE: APDU 80CAFF4000: why", exit 1 */
static void ara_die(const uint8_t *apdu, size_t len, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "secelctl: acl load-ara %s: ", ara_who);
	if (apdu) {
		fprintf(stderr, "APDU ");
		hex_print(stderr, apdu, len);
		fprintf(stderr, ": ");
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Send a 5-byte GET DATA on @ch; the data in @rsp, its SW returned. */
static uint16_t ara_get_data(struct secel_se *se, unsigned int ch,
			     const uint8_t *cmd, uint8_t *rsp, size_t *len)
{
	size_t rsp_len = SECEL_RESP_MAX;

	if (gp_opt.trace)
		trace_apdu(ch, ">", cmd, 5);
	if (secel_se_transmit(se, ch, 0, cmd, 5, rsp, &rsp_len))
		ara_die(cmd, 5, "%s", se_why(SE_OP_TRANSMIT, errno));
	if (gp_opt.trace)
		trace_apdu(ch, "<", rsp, rsp_len);
	if (rsp_len < 2)
		ara_die(cmd, 5, "an answer of %zu bytes, without a status word",
			rsp_len);
	*len = rsp_len - 2;
	return rsp[rsp_len - 2] << 8 | rsp[rsp_len - 1];
}

/*
 * GET DATA [All], then [Next] until the response-ALL-AR-DO is whole.
 * Returns its length (0: the ARA-M holds no rules, 6A88).
 */
static size_t ara_read_all(struct secel_se *se, unsigned int ch,
			   uint8_t *buf)
{
	static const uint8_t all[5] = { 0x80, 0xca, 0xff, 0x40, 0x00 };
	static const uint8_t next[5] = { 0x80, 0xca, 0xff, 0x60, 0x00 };
	static uint8_t rsp[SECEL_RESP_MAX];
	size_t have, total, len;
	const char *e;
	uint16_t sw;

	sw = ara_get_data(se, ch, all, rsp, &len);
	if (sw == 0x6a88 && !len)
		return 0;
	if (sw != 0x9000)
		ara_die(all, 5, "status %04X, not 9000", sw);
	memcpy(buf, rsp, len);
	have = len;
	/* an answer may end inside FF40's header: its tag and length */
	while (have && have < 6 && buf[0] == 0xff &&
	       (have < 2 || buf[1] == 0x40) &&
	       (have < 3 || ((buf[2] & 0x80) &&
			     have < 3 + (size_t)(buf[2] & 0x7f)))) {
		sw = ara_get_data(se, ch, next, rsp, &len);
		if (sw != 0x9000 || !len)
			break;	/* ara_total_len() says what is missing */
		memcpy(buf + have, rsp, len);
		have += len;
	}
	e = ara_total_len(buf, have, &total);
	if (e)
		ara_die(all, 5, "%s", e);
	if (have > total)
		ara_die(all, 5, "%zu bytes after the %zu of FF40", have - total,
			total);
	while (have < total) {
		sw = ara_get_data(se, ch, next, rsp, &len);
		if (sw != 0x9000)
			ara_die(next, 5, "status %04X, not 9000, with %zu of FF40's %zu bytes read",
				sw, have, total);
		if (!len)
			ara_die(next, 5, "no data, with %zu of FF40's %zu bytes read",
				have, total);
		if (len > total - have)
			ara_die(next, 5, "%zu bytes, more than the %zu FF40 has left",
				len, total - have);
		memcpy(buf + have, rsp, len);
		have += len;
	}
	return total;
}

/* GET DATA [Refresh]: 1 and the tag, or 0 when the ARA-M has none. */
static int ara_refresh_tag(struct secel_se *se, unsigned int ch,
			   uint8_t tag[8])
{
	static const uint8_t refresh[5] = { 0x80, 0xca, 0xdf, 0x20, 0x00 };
	static uint8_t rsp[SECEL_RESP_MAX];
	size_t len;
	uint16_t sw;

	sw = ara_get_data(se, ch, refresh, rsp, &len);
	if (!len && (sw == 0x6a88 || sw == 0x6a86 || sw == 0x6d00))
		return 0;	/* optional in practice: no tag to record */
	if (sw != 0x9000)
		ara_die(refresh, 5, "status %04X, not 9000", sw);
	if (len != 11 || rsp[0] != 0xdf || rsp[1] != 0x20 || rsp[2] != 8)
		ara_die(refresh, 5, "not DF20 with 8 bytes (response-refresh-tag-DO)");
	memcpy(tag, rsp + 3, 8);
	return 1;
}

/* The kernel's table: *@rules (malloc'd), its size, flags, generation. */
static void ara_table_get(int ctl, struct secel_acl_rule **rules,
			  uint32_t *count, uint32_t *flags, uint32_t *gen)
{
	struct secel_acl_table t = {
		.version = SECEL_ACL_VERSION,
		.rule_size = sizeof(struct secel_acl_rule),
	};
	uint32_t room = 0;

	*rules = NULL;
	for (;;) {
		t.rules_ptr = (uintptr_t)*rules;
		t.count = room;
		t.flags = 0;
		t.generation = 0;
		if (ioctl(ctl, SECEL_CTL_ACL_GET, &t))
			ara_die(NULL, 0, "SECEL_CTL_ACL_GET on %s: %s",
				ctl_path, strerror(errno));
		if (t.count <= room)
			break;
		room = t.count;
		free(*rules);
		*rules = calloc(room, sizeof(**rules));
		if (!*rules)
			ara_die(NULL, 0, "out of memory");
	}
	*count = t.count;
	*flags = t.flags;
	*gen = t.generation;
}

static bool ara_rule_is_se(const struct secel_acl_rule *r, const char *se)
{
	return r->se_match == SECEL_ACL_SE_NAME &&
	       !strncmp(r->se_name, se, SECEL_NAME_LEN);
}

static int cmd_acl_load_ara(char **args, int n)
{
	static uint8_t buf[ARA_MAX_DATA];
	struct secel_acl_rule *old = NULL, *now = NULL, *table = NULL;
	struct secel_acl_rule *block = NULL;
	uint32_t nold = 0, flags = 0, gen = 0, nblock = 0, nnow, f2, gen2;
	uint32_t ntable = 0, i, at = UINT32_MAX;
	struct ara_rules rules;
	struct ara_map map = { 0 };
	struct secel_info info;
	const char *arg = n > 1 ? args[1] : "designated", *e;
	uint8_t rsp[SECEL_RESP_MAX], tag[8];
	size_t rsp_len = sizeof(rsp), len;
	unsigned int ch, lineno = 0;
	struct secel_se *se;
	int has_tag, ctl;
	char line[512];
	FILE *f;

	if (n > 2)
		die(2, "acl load-ara: unexpected operand '%s' (usage: secelctl acl load-ara [SE] --map FILE [--dry-run] [--strict] [--json])",
		    args[2]);
	snprintf(ara_who, sizeof(ara_who), "%s", arg);
	if (!opt_map)
		die(2, "acl load-ara: --map FILE is needed: which uid or gid each certificate hash is (secelctl(8))");
	f = fopen(opt_map, "r");
	if (!f)
		die(1, "acl load-ara: %s: %s", opt_map, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			die(1, "acl load-ara: %s:%u: line too long", opt_map,
			    lineno);
		e = ara_map_parse_line(line, &map);
		if (e)
			die(1, "acl load-ara: %s:%u: %s", opt_map, lineno, e);
	}
	if (ferror(f))
		die(1, "acl load-ara: %s: %s", opt_map, strerror(errno));
	fclose(f);

	/* the card's rules: all read and parsed before the kernel's change */
	se = open_se(resolve_se(arg), arg);
	if (get_info(se, &info, NULL))
		die(1, "acl load-ara %s: %s", arg, se_why(SE_OP_INFO, errno));
	snprintf(ara_who, sizeof(ara_who), "%s", info.name);
	if (gp_opt.trace)
		fprintf(stderr, "[-] > open channel, SELECT A00000015141434C00\n");
	if (secel_se_open_channel(se, ARA_M_AID, ARA_M_AID_LEN, rsp, &rsp_len,
				  &ch)) {
		static const uint8_t select[5] = { 0x00, 0xa4, 0x04, 0x00,
						   ARA_M_AID_LEN };
		int err = errno;

		if (err == ENOENT)
			ara_die(select, 5, "no ARA-M on the card (SELECT A00000015141434C00 answered 6A82)");
		if (err == EIO && rsp_len >= 2 && rsp_len <= sizeof(rsp))
			ara_die(select, 5, "SELECT A00000015141434C00 answered %02X%02X",
				rsp[rsp_len - 2], rsp[rsp_len - 1]);
		ara_die(select, 5, "open a channel to the ARA-M: %s",
			se_why(SE_OP_OPEN_CHANNEL, err));
	}
	len = ara_read_all(se, ch, buf);
	has_tag = ara_refresh_tag(se, ch, tag);
	if (secel_se_close_channel(se, ch) && errno != ENODEV)
		ara_die(NULL, 0, "close channel %u: %s", ch,
			se_why(SE_OP_CLOSE_CHANNEL, errno));
	secel_se_close(se);
	if (len) {
		e = ara_parse(buf, len, &rules);
		if (e)
			ara_die((const uint8_t *)"\x80\xca\xff\x40\x00", 5,
				"response-ALL-AR-DO: %s", e);
	} else {
		memset(&rules, 0, sizeof(rules));
	}
	e = ara_translate(&rules, &map, info.name, opt_strict, stderr,
			  &block, &nblock);
	if (e)
		ara_die(NULL, 0, "%s; the kernel's rules are unchanged", e);

	/* the table with this SE's rules replaced, in their place */
	ctl = open_or_die(ctl_path);
	ara_table_get(ctl, &old, &nold, &flags, &gen);
	table = calloc(nold + nblock + 1, sizeof(*table));
	if (!table)
		ara_die(NULL, 0, "out of memory");
	for (i = 0; i < nold; i++) {
		if (ara_rule_is_se(&old[i], info.name)) {
			if (at == UINT32_MAX)
				at = ntable;
			continue;
		}
		table[ntable++] = old[i];
	}
	if (at == UINT32_MAX)
		at = ntable;
	memmove(table + at + nblock, table + at,
		(ntable - at) * sizeof(*table));
	memcpy(table + at, block, nblock * sizeof(*table));
	ntable += nblock;
	if (ntable > SECEL_ACL_MAX_RULES)
		ara_die(NULL, 0, "%u rules with the others, more than %d; the kernel's rules are unchanged",
			ntable, SECEL_ACL_MAX_RULES);

	if (!opt_dry_run) {
		struct secel_acl_table t = {
			.version = SECEL_ACL_VERSION,
			.rule_size = sizeof(struct secel_acl_rule),
			.rules_ptr = (uintptr_t)table,
			.count = ntable,
			.flags = flags,
		};

		/* someone else's change in between would be lost */
		ara_table_get(ctl, &now, &nnow, &f2, &gen2);
		free(now);
		if (gen2 != gen)
			ara_die(NULL, 0, "the kernel's rules changed while they were read (generation %u, now %u); run again",
				gen, gen2);
		if (ioctl(ctl, SECEL_CTL_ACL_SET, &t))
			ara_die(NULL, 0, "SECEL_CTL_ACL_SET on %s: %s; the kernel's rules are unchanged",
				ctl_path, strerror(errno));
		gen = t.generation;
	}
	close(ctl);

	if (opt_json) {
		printf("{\"se\": ");
		json_string(stdout, info.name);
		printf(", \"refresh_tag\": ");
		if (has_tag) {
			printf("\"");
			hex_print(stdout, tag, 8);
			printf("\"");
		} else {
			printf("null");
		}
		printf(", \"ara\": ");
		ara_rules_json(stdout, &rules);
		printf(", \"rules\": [");
		for (i = 0; i < nblock; i++) {
			char *text = NULL;
			size_t tlen = 0;
			FILE *m = open_memstream(&text, &tlen);

			if (!m)
				ara_die(NULL, 0, "out of memory");
			acl_rule_print(m, &block[i]);
			fclose(m);
			if (tlen && text[tlen - 1] == '\n')
				text[tlen - 1] = '\0';
			printf("%s", i ? ", " : "");
			json_string(stdout, text);
			free(text);
		}
		printf("], \"dry_run\": %s, \"generation\": ",
		       opt_dry_run ? "true" : "false");
		if (opt_dry_run)
			printf("null}\n");
		else
			printf("%u}\n", gen);
	} else {
		printf("# %s: %zu ARA-M rule%s, refresh tag ", info.name,
		       rules.n, rules.n == 1 ? "" : "s");
		if (has_tag)
			hex_print(stdout, tag, 8);
		else
			printf("none");
		printf("\n");
		for (i = 0; i < nblock; i++)
			acl_rule_print(stdout, &block[i]);
		if (opt_dry_run)
			printf("%u rule%s for %s not loaded (--dry-run)\n",
			       nblock, nblock == 1 ? "" : "s", info.name);
		else
			printf("%u rule%s for %s loaded, %u in all, generation %u\n",
			       nblock, nblock == 1 ? "" : "s", info.name,
			       ntable, gen);
	}
	ara_rules_free(&rules);
	ara_map_free(&map);
	free(old);
	free(table);
	free(block);
	return 0;
}

static int cmd_acl(char **args, int n)
{
	if (n == 1 && !strcmp(args[0], "list"))
		return cmd_acl_list();
	if (n == 1 && !strcmp(args[0], "clear"))
		return acl_set(NULL, 0, 0, "clear");
	if (n == 2 && !strcmp(args[0], "load"))
		return cmd_acl_load(args[1]);
	if (n >= 1 && !strcmp(args[0], "set"))
		return cmd_acl_set(args + 1, n - 1);
	if (n >= 1 && !strcmp(args[0], "load-ara"))
		return cmd_acl_load_ara(args, n);
	die(2, "acl: list, load FILE, load-ara [SE], set RULE... or clear (see secelctl --help)");
}

/*
 * The length of the unit of @p that a line break must not split: a word,
 * "[...]" or "--option VALUE".
 */
static int unit_len(const char *p)
{
	const char *end = p + strcspn(p, " ");

	if (*p == '[') {
		while (*end && end[-1] != ']')
			end += 1 + strcspn(end + 1, " ");
	} else if (!strncmp(p, "--", 2) && *end == ' ' && end[1] &&
		   end[1] != '-' && end[1] != '[') {
		end += 1 + strcspn(end + 1, " ");
	}
	return end - p;
}

/*
 * @lead, then @words at column @indent, wrapped before column 80; a
 * broken line ends in @cont (" \\" for a command) and goes on 4 columns
 * further in.
 */
static void print_wrapped(FILE *f, int indent, const char *lead,
			  const char *words, const char *cont)
{
	const char *p = words;
	int col, len;

	col = fprintf(f, "%*s%s", indent, "", lead);
	indent = col;
	while (*p) {
		len = unit_len(p);
		if (col > indent &&
		    col + 1 + len + (int)strlen(cont) > 79) {
			fprintf(f, "%s\n%*s", cont, indent + 4, "");
			col = indent + 4;
		} else if (col > indent) {
			col += fprintf(f, " ");
		}
		col += fprintf(f, "%.*s", len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* The gp subcommands: synopsis, what each does, an example. */
static void usage_gp(FILE *f)
{
	char syn[128];
	size_t i;
	int n;

	fprintf(f, "\nGlobalPlatform card content management (secelctl-gp(8)):\n");
	for (i = 0; gp_help[i].sub; i++) {
		n = snprintf(syn, sizeof(syn), "gp %s%s%s%s",
			     strcmp(gp_help[i].sub, "mkload") ? "SE " : "",
			     gp_help[i].sub, *gp_help[i].args ? " " : "",
			     gp_help[i].args);
		/* the description beside a short synopsis, else under it */
		if (n <= 29) {
			fprintf(f, "  %-30s%s\n", syn, gp_help[i].what);
		} else {
			print_wrapped(f, 2, "", syn, "");
			fprintf(f, "%32s%s\n", "", gp_help[i].what);
		}
		print_wrapped(f, 4, "$ ", gp_help[i].example, " \\");
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: secelctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  list [--all] [--json] [--sysfs[=DIR]]\n"
"                                the SE list (--all: every reported SE)\n"
"  info SE [--json] [--sysfs[=DIR]]\n"
"                                what the configurator knows of SE\n"
"  add SE | verify SE | inquire SE | delete SE\n"
"                                configurator operations\n"
"  designate SE | designate --clear\n"
"  apdu SE HEX... [--raw]        send APDUs on the basic channel\n"
"  channel [open] SE AID [HEX...] [--raw]\n"
"                                open a logical channel selecting AID, send\n"
"                                APDUs on it, close it\n"
"  reset SE [--warm]             reset the SE (cold unless --warm)\n"
"  acl list | acl clear          the kernel's access rules, in rule syntax\n"
"  acl load FILE | acl set RULE...\n"
"                                replace them (FILE '-': stdin); a rule:\n"
"                                [se=NAME] [kind=K] [cin=HEX]\n"
"                                [aid=HEX|prefix=HEX|none]\n"
"                                [uid=N|user=U|gid=N|group=G|anyone]\n"
"                                allow|deny|filter=HDR/MASK,...\n"
"                                and 'default allow|deny' (secelctl(8))\n"
"  acl load-ara [SE] --map FILE [--dry-run] [--strict] [--json]\n"
"                                replace SE's rules with its ARA-M's (SEAC),\n"
"                                hashes mapped to uids/gids by FILE\n"
"  version                       ABI versions\n");
	usage_gp(f);
	fprintf(f,
"\n"
"SE: a name (VSE1, eSE1), a path (/dev/secel3), an index (3), or\n"
"'designated' (also '-') for the designated SE.\n"
"\n"
"Options (a command refuses the options it does not take):\n"
"  --ctl PATH      configurator node (default /dev/secel-ctl)\n"
"  --dev-dir DIR   where secelN nodes are (default /dev)\n"
"  --sysfs[=DIR]   list and info read the class directory (default\n"
"                  /sys/class/secel) instead of the ioctls: no access to\n"
"                  the nodes needed; no APDU sizes; cplc, cin for root only\n"
"  -v, --trace    apdu, channel, gp SE: every APDU on stderr, as on the wire\n"
"  gp SE: --keys [kdf3:|emv:|visa2:]KVN:KEY|KVN:ENC:MAC:DEK, --key-file FILE, --kvn HEX\n"
"      (default: key 404142..4F, any version), --level HEX (00 01 03 11\n"
"      13 33, default 03), --isd AID, --basic (no logical channel),\n"
"      --trace (every APDU on stderr, as on the wire)\n"
"  --json          list, info, apdu, channel, reset, version and the\n"
"                  configurator operations print JSON (gp list and acl\n"
"                  load-ara too)\n"
"  acl load-ara: --map FILE (certificate hash -> uid=N|gid=N|anyone),\n"
"      --dry-run (load nothing), --strict (refuse unmapped hashes)\n"
"  -h, --help      this text\n"
"  --version       secelctl's version ('secelctl version': the ABI's)\n"
"\n"
"Examples:\n"
"  secelctl list\n"
"  secelctl apdu eSE1 '00 A4 04 00 00' 80CA9F7F00\n"
"  secelctl channel VSE1 F0534543454C01 '80 10 00 00 02 CAFE 00'\n"
"  secelctl designate SIM1\n"
"  secelctl --sysfs list --all\n");
}

/*
 * A command given fewer operands than it needs: say which is missing, in
 * one line, with the command's synopsis.
 */
static void missing_operand(char **args, int n)
{
	static const struct {
		const char *cmd;
		int need;		/* operands after the command */
		const char *names[3];	/* what each is */
		const char *usage;
	} cmds[] = {
		{ "info", 1, { "SE" }, "info SE [--json] [--sysfs[=DIR]]" },
		{ "add", 1, { "SE" }, "add SE" },
		{ "verify", 1, { "SE" }, "verify SE" },
		{ "inquire", 1, { "SE" }, "inquire SE" },
		{ "delete", 1, { "SE" }, "delete SE" },
		{ "reset", 1, { "SE" }, "reset SE [--warm]" },
		{ "apdu", 2, { "SE", "HEX, the APDU to send" },
		  "apdu SE HEX... [--raw]" },
		{ "channel", 2, { "SE", "AID" },
		  "channel [open] SE AID [HEX...] [--raw]" },
	};
	const char *cmd = args[0];
	int have = n - 1;
	size_t k;

	if (!strcmp(cmd, "channel") && n > 1 && !strcmp(args[1], "close"))
		return;		/* the dispatcher explains */
	if (!strcmp(cmd, "designate") && !opt_clear && have < 1)
		die(2, "designate: missing operand SE (usage: secelctl designate SE | designate --clear)");
	if (!strcmp(cmd, "channel") && n > 1 && !strcmp(args[1], "open"))
		have--;
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(cmd, cmds[k].cmd) || have >= cmds[k].need)
			continue;
		die(2, "%s: missing operand %s (usage: secelctl %s)", cmd,
		    cmds[k].names[have], cmds[k].usage);
	}
	if (!strcmp(cmd, "acl") && n == 2 && !strcmp(args[1], "load"))
		die(2, "acl load: missing operand FILE (usage: secelctl acl load FILE)");
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		int max = !strcmp(cmd, "apdu") || !strcmp(cmd, "channel") ?
			  -1 : cmds[k].need;

		if (!strcmp(cmd, cmds[k].cmd) && max >= 0 && have > max)
			die(2, "%s: unexpected operand '%s' (usage: secelctl %s)",
			    cmd, args[1 + max], cmds[k].usage);
	}
	if ((!strcmp(cmd, "list") || !strcmp(cmd, "version")) && n > 1)
		die(2, "%s: unexpected operand '%s' (usage: secelctl %s)", cmd,
		    args[1], !strcmp(cmd, "list") ?
		    "list [--all] [--json] [--sysfs[=DIR]]" : "version");
}

/* getopt_long values of the options of commands: OPT_* above this */
#define OPT_BASE	256

/* What getopt_long refused in @arg, in one line. */
static void bad_option(const char *arg)
{
	int len = strcspn(arg, "=");

	if (!strncmp(arg, "--", 2) && arg[len] && optopt)
		die(2, "option '%.*s' takes no value (see secelctl --help)",
		    len, arg);
	if (!strncmp(arg, "--", 2))
		die(2, "unknown option '%.*s' (see secelctl --help)", len, arg);
	die(2, "unknown option '-%c' (see secelctl --help)",
	    optopt > 32 && optopt < 127 ? optopt : '?');
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, OPT_BASE + OPT_ALL },
		{ "json", no_argument, NULL, OPT_BASE + OPT_JSON },
		{ "raw", no_argument, NULL, OPT_BASE + OPT_RAW },
		{ "warm", no_argument, NULL, OPT_BASE + OPT_WARM },
		{ "clear", no_argument, NULL, OPT_BASE + OPT_CLEAR },
		{ "sysfs", optional_argument, NULL, OPT_BASE + OPT_SYSFS },
		{ "ctl", required_argument, NULL, 'C' },
		{ "dev-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* secelctl gp */
		{ "keys", required_argument, NULL, OPT_BASE + OPT_KEYS },
		{ "key-file", required_argument, NULL, OPT_BASE + OPT_KEY_FILE },
		{ "kvn", required_argument, NULL, OPT_BASE + OPT_KVN },
		{ "level", required_argument, NULL, OPT_BASE + OPT_LEVEL },
		{ "aid", required_argument, NULL, OPT_BASE + OPT_AID },
		{ "params", required_argument, NULL, OPT_BASE + OPT_PARAMS },
		{ "isd", required_argument, NULL, OPT_BASE + OPT_ISD },
		{ "block", required_argument, NULL, OPT_BASE + OPT_BLOCK },
		{ "replace", required_argument, NULL, OPT_BASE + OPT_REPLACE },
		{ "basic", no_argument, NULL, OPT_BASE + OPT_BASIC },
		{ "related", no_argument, NULL, OPT_BASE + OPT_RELATED },
		{ "secure", no_argument, NULL, OPT_BASE + OPT_SECURE },
		{ "type", required_argument, NULL, OPT_BASE + OPT_TYPE },
		{ "module", required_argument, NULL, OPT_BASE + OPT_MODULE },
		{ "lf-version", required_argument, NULL,
		  OPT_BASE + OPT_LF_VERSION },
		{ "code-size", required_argument, NULL,
		  OPT_BASE + OPT_CODE_SIZE },
		{ "trace", no_argument, NULL, OPT_BASE + OPT_TRACE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "map", required_argument, NULL, OPT_BASE + OPT_MAP },
		{ "dry-run", no_argument, NULL, OPT_BASE + OPT_DRY_RUN },
		{ "strict", no_argument, NULL, OPT_BASE + OPT_STRICT },
		{ NULL, 0, NULL, 0 }
	};
	char msg[SE_MSG_MAX];
	unsigned long given = 0, v;
	const char *name = "";
	char *end;
	char **args;
	int opt, n;

	/* options may follow the command: permute, as getopt does */
	opterr = 0;	/* our own messages, below */
	while ((opt = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
		/* -v is --trace: the APDUs on stderr */
		if (opt == 'v')
			opt = OPT_BASE + OPT_TRACE;
		if (opt >= OPT_BASE && opt < OPT_BASE + OPT_COUNT) {
			given |= 1UL << (opt - OPT_BASE);
			name = ctl_opt_names[opt - OPT_BASE];
		}
		switch (opt) {
		case 'C': ctl_path = optarg; break;
		case 'D': dev_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("secelctl %s\n", SECEL_VERSION);
			return 0;
		case OPT_BASE + OPT_ALL: opt_all = true; break;
		case OPT_BASE + OPT_JSON: opt_json = true; break;
		case OPT_BASE + OPT_RAW: opt_raw = true; break;
		case OPT_BASE + OPT_WARM: opt_warm = true; break;
		case OPT_BASE + OPT_CLEAR: opt_clear = true; break;
		case OPT_BASE + OPT_SYSFS:
			opt_sysfs = true;
			if (optarg)
				sysfs_dir = optarg;
			break;
		case OPT_BASE + OPT_KEYS: gp_opt.keys = optarg; break;
		case OPT_BASE + OPT_KEY_FILE: gp_opt.key_file = optarg; break;
		case OPT_BASE + OPT_KVN:
		case OPT_BASE + OPT_LEVEL:
		case OPT_BASE + OPT_REPLACE:
			v = strtoul(optarg, &end, 16);
			if (*end || end == optarg || v > 0x7f)
				die(2, "--%s: '%s' is not hex 00 to 7F", name,
				    optarg);
			if (opt == OPT_BASE + OPT_KVN)
				gp_opt.kvn = v;
			else if (opt == OPT_BASE + OPT_LEVEL)
				gp_opt.level = v;
			else
				gp_opt.replace = v;
			break;
		case OPT_BASE + OPT_AID: gp_opt.aid = optarg; break;
		case OPT_BASE + OPT_PARAMS: gp_opt.params = optarg; break;
		case OPT_BASE + OPT_ISD: gp_opt.isd_hex = optarg; break;
		case OPT_BASE + OPT_BLOCK:
			/* a LOAD block is one command's data: at most an
			 * extended APDU's 65535 bytes (ISO/IEC 7816-4) */
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || !v || v > 65535)
				die(2, "--block: '%s' is not a number from 1 to 65535",
				    optarg);
			gp_opt.block = v;
			break;
		case OPT_BASE + OPT_CODE_SIZE:
			/* gp mkload says how much of it fits the load file */
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v > GP_LF_MAX)
				die(2, "--code-size: '%s' is not a number up to %d, a load file's size",
				    optarg, GP_LF_MAX);
			gp_opt.code_size = v;
			break;
		case OPT_BASE + OPT_BASIC: gp_opt.basic = true; break;
		case OPT_BASE + OPT_RELATED: gp_opt.related = true; break;
		case OPT_BASE + OPT_SECURE: gp_opt.secure_info = true; break;
		case OPT_BASE + OPT_TRACE: gp_opt.trace = true; break;
		case OPT_BASE + OPT_MAP: opt_map = optarg; break;
		case OPT_BASE + OPT_DRY_RUN: opt_dry_run = true; break;
		case OPT_BASE + OPT_STRICT: opt_strict = true; break;
		case OPT_BASE + OPT_TYPE: gp_opt.type = optarg; break;
		case OPT_BASE + OPT_MODULE: gp_opt.module = optarg; break;
		case OPT_BASE + OPT_LF_VERSION: gp_opt.version = optarg; break;
		case ':':
			die(2, "option '%s' needs a value (see secelctl --help)",
			    argv[optind - 1]);
		default:
			/* one line, not the whole usage */
			bad_option(argv[optind - 1]);
		}
	}
	gp_opt.dev_dir = dev_dir;
	gp_opt.json = opt_json;
	args = argv + optind;
	n = argc - optind;
	if (n < 1) {
		usage(stderr);
		return 2;
	}
	cmd_name = args[0];
	if (opts_check(given, args, n, msg, sizeof(msg)))
		die(2, "%s (see secelctl --help)", msg);

	missing_operand(args, n);
	if (!strcmp(cmd_name, "list") && n == 1)
		return cmd_list();
	if (!strcmp(cmd_name, "version") && n == 1)
		return cmd_version();
	if (!strcmp(cmd_name, "info") && n == 2)
		return cmd_info(args[1]);
	if (!strcmp(cmd_name, "designate") && opt_clear && n == 1)
		return cmd_ctl("designate", NULL);
	if ((!strcmp(cmd_name, "add") || !strcmp(cmd_name, "verify") ||
	     !strcmp(cmd_name, "inquire") || !strcmp(cmd_name, "delete") ||
	     !strcmp(cmd_name, "designate")) && n == 2 && !opt_clear)
		return cmd_ctl(cmd_name, args[1]);
	if (!strcmp(cmd_name, "apdu") && n >= 2)
		return cmd_apdu(args[1], args + 2, n - 2);
	if (!strcmp(cmd_name, "channel") && n >= 2 &&
	    !strcmp(args[1], "close"))
		die(2, "channel close: a channel lives as long as the process "
		    "that opened it; 'secelctl channel SE AID HEX...' closes "
		    "it when done");
	if (!strcmp(cmd_name, "channel") && n >= 4 && !strcmp(args[1], "open"))
		return cmd_channel(args[2], args[3], args + 4, n - 4);
	if (!strcmp(cmd_name, "channel") && n >= 3)
		return cmd_channel(args[1], args[2], args + 3, n - 3);
	if (!strcmp(cmd_name, "reset") && n == 2)
		return cmd_reset(args[1]);
	if (!strcmp(cmd_name, "acl"))
		return cmd_acl(args + 1, n - 1);
	if (!strcmp(cmd_name, "gp")) {
		int ret = cmd_gp(resolve_se, args + 1, n - 1);

		if (ret >= 0)
			return ret;
		die(2, "gp: unknown subcommand or wrong arguments (see secelctl --help)");
	}

	fprintf(stderr, "secelctl: unknown command or wrong arguments: %s "
		"(see secelctl --help)\n", cmd_name);
	return 2;
}
