// SPDX-License-Identifier: GPL-2.0
/*
 * secel-relay - the device-side agent of GlobalPlatform Amendment B:
 * tells a TSM what the core acquired of the designated SE, runs the TSM's
 * command scripts on a logical channel to the SE's security domain and
 * posts the answers back (Documentation/secel/tsm.rst).
 *
 *   secel-relay [--se SE] [--sd AID] [--cacert FILE] [--cert FILE]
 *               [--key FILE] [--policy FILE] [--timeout SEC]
 *               [--max-rounds N] [-v] [--json] URL
 *   secel-relay --daemon [--poll SEC] [--retry SEC] [--retry-max SEC]
 *               [--no-uevents] [OPTIONS] URL
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>
#include <linux/secel.h>

#include "../ram/ram.h"
#include "../secelctl/se.h"
#include "../secelctl/secelctl.h"
#include "daemon.h"
#include "relay.h"

/* GlobalPlatform's issuer security domain */
static const uint8_t gp_isd[] = { 0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00 };

static const char *ctl_path = "/dev/secel-ctl";
static const char *dev_dir = "/dev";
static const char *sysfs_dir = "/sys/class/secel";

/* a logical channel of an SE: its node and the channel number */
struct channel {
	int fd;
	uint32_t channel;
};

/* ---- the backstage: the SE list and the control instructions ---------- */

static struct bs_policy policy;

static const char *kind_name(uint32_t kind)
{
	return kind == SECEL_KIND_VIRTUAL ? "virtual" : "physical";
}

/* The SE list, every state; *@ents malloc'd.  0 or -errno. */
static int list_all(struct secel_list_entry **ents, unsigned int *n,
		    char *msg, size_t room)
{
	int ctl, ret;

	ctl = se_open_ctl(ctl_path, msg, room);
	if (ctl < 0)
		return ctl;
	ret = se_list(ctl, ctl_path, true, ents, n, msg, room);
	close(ctl);
	return ret;
}

static void to_bs_se(const struct secel_list_entry *e, struct bs_se *se)
{
	se->index = e->index;
	se->name = e->name;
	se->kind = kind_name(e->kind);
	se->transport = e->transport;
	se->state = e->state;
	se->designated = e->flags & SECEL_INFO_DESIGNATED;
	se->atr = "";
}

static int backstage_list(void *priv, const struct bs_tsm *tsm, char *out,
			  size_t room)
{
	struct secel_list_entry *ents = NULL;
	char msg[SE_MSG_MAX], (*atr)[80] = NULL, (*cin)[80] = NULL;
	struct bs_se *ses = NULL;
	unsigned int n = 0, i, k = 0;
	int ret;

	(void)priv;
	ret = list_all(&ents, &n, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "secel-relay: the SE list: %s\n", msg);
		return ret;
	}
	ses = calloc(n ? n : 1, sizeof(*ses));
	atr = calloc(n ? n : 1, sizeof(*atr));
	cin = calloc(n ? n : 1, sizeof(*cin));
	if (!ses || !atr || !cin) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ents[i].name[sizeof(ents[i].name) - 1] = '\0';
		ents[i].transport[sizeof(ents[i].transport) - 1] = '\0';
		to_bs_se(&ents[i], &ses[k]);
		/* only the SEs this TSM may inquire into */
		if (!bs_allowed(&policy, tsm, BS_INQUIRE, &ses[k], NULL))
			continue;
		if (!se_sysfs_read(sysfs_dir, ents[i].index, "atr", atr[k],
				   sizeof(atr[k]))) {
			char *c;

			/* upper case, as every hex item of our headers */
			for (c = atr[k]; *c; c++)
				*c = toupper((unsigned char)*c);
			ses[k].atr = atr[k];
		}
		/* the CIN names one card: only where the policy says */
		if (bs_allowed(&policy, tsm, BS_IDENTIFY, &ses[k], NULL) &&
		    !se_sysfs_read(sysfs_dir, ents[i].index, "cin", cin[k],
				   sizeof(cin[k]))) {
			char *c;

			for (c = cin[k]; *c; c++)
				*c = toupper((unsigned char)*c);
			ses[k].cin = cin[k];
		}
		k++;
	}
	ret = bs_list_header(ses, k, out, room);
out:
	free(cin);
	free(atr);
	free(ses);
	free(ents);
	return ret;
}

static unsigned long ctl_cmd(enum bs_op op)
{
	switch (op) {
	case BS_ADD: return SECEL_CTL_ADD;
	case BS_VERIFY: return SECEL_CTL_VERIFY;
	case BS_DELETE: return SECEL_CTL_DELETE;
	case BS_DESIGNATE: case BS_CLEAR: return SECEL_CTL_DESIGNATE;
	case BS_INQUIRE: default: return SECEL_CTL_INQUIRE;
	}
}

/*
 * One control instruction: the SE by name (ENODEV when it is gone), the
 * policy (EPERM, nothing done), the ioctl; logged either way.
 */
static void backstage_control(void *priv, const struct bs_tsm *tsm,
			      const struct bs_request *rq, char *result,
			      size_t room)
{
	struct secel_list_entry *ents = NULL, *e = NULL;
	char msg[SE_MSG_MAX], who[BS_SUBJECT_MAX + 96], rule[64];
	unsigned int n = 0, i, line = 0, state = 0;
	struct secel_ctl req;
	struct bs_se se;
	bool designated = false;
	int err = 0, ctl;

	(void)priv;
	if (list_all(&ents, &n, msg, sizeof(msg))) {
		err = EIO;
		goto done;
	}
	for (i = 0; i < n; i++) {
		ents[i].name[sizeof(ents[i].name) - 1] = '\0';
		ents[i].transport[sizeof(ents[i].transport) - 1] = '\0';
		if (rq->op == BS_CLEAR ? !!(ents[i].flags & SECEL_INFO_DESIGNATED) :
		    !strcmp(ents[i].name, rq->se)) {
			e = &ents[i];
			break;
		}
	}
	if (!e && rq->op != BS_CLEAR) {
		err = ENODEV;
		snprintf(msg, sizeof(msg), "no SE named '%s'", rq->se);
		goto done;
	}
	if (e)
		to_bs_se(e, &se);
	if (!bs_allowed(&policy, tsm, rq->op, e ? &se : NULL, &line)) {
		err = EPERM;
		snprintf(msg, sizeof(msg), "the policy (%s) does not allow it",
			 policy.source);
		goto done;
	}
	if (rq->op == BS_CLEAR && !e) {
		/* nothing designated: nothing to clear, and that is fine */
		state = 0;
		snprintf(msg, sizeof(msg), "no SE was designated");
		goto done;
	}
	ctl = se_open_ctl(ctl_path, msg, sizeof(msg));
	if (ctl < 0) {
		err = -ctl;
		goto done;
	}
	memset(&req, 0, sizeof(req));
	req.index = e->index;
	if (rq->op == BS_CLEAR)
		req.flags = SECEL_DESIGNATE_CLEAR;
	if (ioctl(ctl, ctl_cmd(rq->op), &req)) {
		err = errno;
		snprintf(msg, sizeof(msg), "%s",
			 se_why(rq->op == BS_INQUIRE ? SE_OP_INQUIRE :
				SE_OP_CONFIG, err));
	} else {
		state = req.info.state;
		designated = req.info.flags & SECEL_INFO_DESIGNATED;
		snprintf(msg, sizeof(msg), "now %s%s", bs_state_name(state),
			 designated ? ", designated" : "");
	}
	close(ctl);
done:
	free(ents);
	if (rq->op == BS_CLEAR && !err && !e)
		state = 0;
	bs_result_add(result, room, rq, err, state, designated);
	snprintf(rule, sizeof(rule), line ? "%s:%u" : "%s", policy.source, line);
	bs_tsm_describe(tsm, who, sizeof(who));
	syslog(err ? LOG_WARNING : LOG_NOTICE, "control %s%s%s asked by %s: %s (%s; policy %s)",
	       bs_op_name(rq->op), rq->se[0] ? " " : "", rq->se, who,
	       err ? bs_errno_name(err) : "ok", msg, rule);
	fprintf(stderr, "secel-relay: control %s%s%s asked by %s: %s (%s; policy %s)\n",
		bs_op_name(rq->op), rq->se[0] ? " " : "", rq->se, who,
		err ? bs_errno_name(err) : "ok", msg, rule);
}

/* The other SEs scripts were aimed at: a channel each, kept. */
#define TARGETS_MAX	8
static struct target {
	char name[SECEL_NAME_LEN];
	struct channel ch;
	struct relay_card card;
} targets[TARGETS_MAX];
static unsigned int ntargets;
static const uint8_t *target_sd;
static size_t target_sd_len;

static int open_channel(int fd, const uint8_t *aid, size_t aid_len,
			uint32_t *channel, char *msg, size_t room);
static int channel_transmit(void *priv, const uint8_t *cmd, size_t len,
			    uint8_t *rsp, size_t *rsp_len);

static int backstage_target(void *priv, const struct bs_tsm *tsm,
			    const char *name, const struct relay_card **card,
			    char *why, size_t room)
{
	struct secel_list_entry *ents = NULL, *e = NULL;
	char msg[SE_MSG_MAX], who[BS_SUBJECT_MAX + 96];
	struct target *t;
	unsigned int n = 0, i;
	struct bs_se se;
	int ret;

	(void)priv;
	if (!name)
		return 0;	/* back to the relay's own SE: nothing to do */
	ret = list_all(&ents, &n, msg, sizeof(msg));
	if (ret) {
		snprintf(why, room, "%s", msg);
		return ret;
	}
	for (i = 0; i < n; i++) {
		ents[i].name[sizeof(ents[i].name) - 1] = '\0';
		ents[i].transport[sizeof(ents[i].transport) - 1] = '\0';
		if (!strcmp(ents[i].name, name))
			e = &ents[i];
	}
	if (!e) {
		snprintf(why, room, "no SE named '%s'", name);
		ret = -ENODEV;
		goto out;
	}
	to_bs_se(e, &se);
	if (!bs_allowed(&policy, tsm, BS_SCRIPT, &se, NULL)) {
		snprintf(why, room, "the policy (%s) does not allow scripts on it",
			 policy.source);
		bs_tsm_describe(tsm, who, sizeof(who));
		syslog(LOG_WARNING, "scripts on %s asked by %s: EPERM", name, who);
		ret = -EPERM;
		goto out;
	}
	for (i = 0; i < ntargets; i++)
		if (!strcmp(targets[i].name, name)) {
			*card = &targets[i].card;
			goto out;
		}
	if (ntargets == TARGETS_MAX) {
		snprintf(why, room, "scripts on more than %d other SEs", TARGETS_MAX);
		ret = -EMFILE;
		goto out;
	}
	t = &targets[ntargets];
	t->ch.fd = se_open(dev_dir, e->index, NULL, 0, msg, sizeof(msg));
	if (t->ch.fd < 0) {
		ret = t->ch.fd;
		snprintf(why, room, "%s", msg);
		goto out;
	}
	ret = open_channel(t->ch.fd, target_sd, target_sd_len, &t->ch.channel,
			   msg, sizeof(msg));
	if (ret) {
		close(t->ch.fd);
		snprintf(why, room, "%s", msg);
		goto out;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->card.transmit = channel_transmit;
	t->card.priv = &t->ch;
	*card = &t->card;
	ntargets++;
out:
	free(ents);
	return ret;
}

static void targets_close(void)
{
	struct secel_channel_close cl;
	unsigned int i;

	for (i = 0; i < ntargets; i++) {
		memset(&cl, 0, sizeof(cl));
		cl.channel = targets[i].ch.channel;
		ioctl(targets[i].ch.fd, SECEL_IOC_CLOSE_CHANNEL, &cl);
		close(targets[i].ch.fd);
	}
	ntargets = 0;
}

static const struct relay_backstage backstage = {
	.list = backstage_list,
	.control = backstage_control,
	.target = backstage_target,
};


static int channel_transmit(void *priv, const uint8_t *cmd, size_t len,
			    uint8_t *rsp, size_t *rsp_len)
{
	struct channel *ch = priv;
	struct secel_transmit tx;

	memset(&tx, 0, sizeof(tx));
	tx.cmd_ptr = (uintptr_t)cmd;
	tx.cmd_len = len;
	tx.rsp_ptr = (uintptr_t)rsp;
	tx.rsp_len = *rsp_len;
	tx.channel = ch->channel;
	if (ioctl(ch->fd, SECEL_IOC_TRANSMIT, &tx))
		return -errno;
	*rsp_len = tx.rsp_len;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: secel-relay [OPTIONS] URL\n"
"\n"
"Relay a TSM's remote application management session (GlobalPlatform\n"
"Amendment B, RAM over HTTP) to a secure element: POST what the kernel\n"
"acquired of the SE to URL, run the command scripts the TSM answers on a\n"
"logical channel to the SE's security domain, POST the answers back, until\n"
"the TSM ends the session.  Exit 0 only when it ends with\n"
"'X-Secel-Result: ok; ...'.\n"
"\n"
"Options:\n"
"  --se SE          the SE: a name (eSE1), a path (/dev/secel3), an index\n"
"                   or 'designated' (the default)\n"
"  --sd AID         the security domain to open the channel to\n"
"                   (default the GP ISD A000000151000000)\n"
"  --cacert FILE    CA certificates for HTTPS (default the system's)\n"
"  --cert FILE      the relay's client certificate (PEM), for a TSM that\n"
"                   wants one; --key FILE its private key\n"
"  --policy FILE    which TSM may control which SEs (default\n"
"                   " BS_DEFAULT_POLICY "; without it: inquiry only)\n"
"  --timeout SEC    per HTTP request (default 30)\n"
"  --max-rounds N   POSTs at most before the session is an error (default 64)\n"
"  -v, --verbose    each HTTP exchange and each APDU on standard error\n"
"  --json           the outcome as one JSON object on standard output\n"
"  --ctl PATH       configurator node (default /dev/secel-ctl)\n"
"  --dev-dir DIR    where secelN nodes are (default /dev)\n"
"\n"
"Daemon (a service; see secel-relay(8), DAEMON):\n"
"  --daemon         run sessions until SIGTERM: at start, on each secel\n"
"                   uevent (an SE listed, removed, designated), on SIGHUP\n"
"                   and every --poll seconds; one at a time\n"
"  --poll SEC       the interval until the TSM sets one with X-Secel-Poll\n"
"                   (default 3600)\n"
"  --retry SEC      after a failed session (default 30), doubling up to\n"
"  --retry-max SEC  (default 3600)\n"
"  --no-uevents     do not watch the kernel's uevents\n"
"  -h, --help       this text\n"
"  --version        the version\n"
"\n"
"Example:\n"
"  secel-relay --se eSE1 --cacert /etc/secel/tsm-ca.pem \\\n"
"              https://tsm.example.com/ram/purse\n"
"  secel-relay --daemon --cert /etc/secel/device.pem --key /etc/secel/device.key \\\n"
"              --cacert /etc/secel/tsm-ca.pem https://tsm.example.com/backstage\n");
}

static void json_str_or_null(FILE *f, const char *key, const char *v)
{
	fprintf(f, ", \"%s\": ", key);
	if (v && *v)
		json_string(f, v);
	else
		fprintf(f, "null");
}

static void print_json(const char *se, const char *url, unsigned int channel,
		       const struct relay_outcome *o, const char *error)
{
	printf("{\"se\": ");
	if (se)
		json_string(stdout, se);
	else
		printf("null");
	printf(", \"url\": ");
	json_string(stdout, url);
	printf(", \"last_url\": ");
	json_string(stdout, o->url[0] ? o->url : url);
	printf(", \"channel\": ");
	if (channel)
		printf("%u", channel);
	else
		printf("null");
	printf(", \"rounds\": %u, \"scripts\": %u, \"apdus\": %lu, \"ok\": %s",
	       o->rounds, o->scripts, o->apdus, o->ok && !error ? "true" : "false");
	json_str_or_null(stdout, "result", o->result);
	printf(", \"controls\": %u", o->controls);
	json_str_or_null(stdout, "control", o->control);
	json_str_or_null(stdout, "error", error);
	printf("}\n");
}

struct se_data {
	struct secel_info info;
	uint8_t atr[64], cplc[256], iin[256], cin[256], card_data[1024];
	struct relay_se desc;
};

/* An item into @buf; its length, 0 when absent, -errno on failure. */
static int get_item(int fd, uint32_t item, uint8_t *buf, size_t size,
		    struct relay_item *out)
{
	struct secel_item req = {
		.item = item,
		.buf_ptr = (uintptr_t)buf,
		.buf_len = size,
	};

	out->data = buf;
	out->len = 0;
	if (ioctl(fd, SECEL_IOC_GET_ITEM, &req))
		return errno == ENODATA ? 0 : -errno;
	out->len = req.buf_len;
	return 0;
}

/* GET_INFO and the items; a one-line message on failure. */
static int read_se(int fd, struct se_data *d, char *msg, size_t room)
{
	static const struct {
		uint32_t item;
		const char *name;
	} items[] = {
		{ SECEL_ITEM_ATR, "ATR" },
		{ SECEL_ITEM_CPLC, "CPLC" },
		{ SECEL_ITEM_IIN, "IIN" },
		{ SECEL_ITEM_CIN, "CIN" },
		{ SECEL_ITEM_CARD_DATA, "card data" },
	};
	struct {
		uint8_t *buf;
		size_t size;
		struct relay_item *out;
	} to[] = {
		{ d->atr, sizeof(d->atr), &d->desc.atr },
		{ d->cplc, sizeof(d->cplc), &d->desc.cplc },
		{ d->iin, sizeof(d->iin), &d->desc.iin },
		{ d->cin, sizeof(d->cin), &d->desc.cin },
		{ d->card_data, sizeof(d->card_data), &d->desc.card_data },
	};
	size_t i;
	int ret;

	memset(&d->info, 0, sizeof(d->info));
	if (ioctl(fd, SECEL_IOC_GET_INFO, &d->info)) {
		ret = -errno;
		snprintf(msg, room, "SECEL_IOC_GET_INFO: %s",
			 se_why(SE_OP_INFO, -ret));
		return ret;
	}
	d->info.name[sizeof(d->info.name) - 1] = '\0';
	d->info.transport[sizeof(d->info.transport) - 1] = '\0';
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		ret = get_item(fd, items[i].item, to[i].buf, to[i].size,
			       to[i].out);
		if (ret) {
			snprintf(msg, room, "SECEL_IOC_GET_ITEM %s: %s",
				 items[i].name, se_why(SE_OP_ITEM, -ret));
			return ret;
		}
	}
	d->desc.name = d->info.name;
	d->desc.kind = d->info.kind == SECEL_KIND_VIRTUAL ? "virtual" : "physical";
	d->desc.transport = d->info.transport;
	d->desc.extended = d->info.flags & SECEL_INFO_EXTENDED_LENGTH;
	return 0;
}

static int open_channel(int fd, const uint8_t *aid, size_t aid_len,
			uint32_t *channel, char *msg, size_t room)
{
	static uint8_t rsp[SECEL_RESP_MAX];
	struct secel_channel_open req;
	char hex[2 * SECEL_AID_MAX + 1];
	int err;

	memset(&req, 0, sizeof(req));
	req.aid_ptr = (uintptr_t)aid;
	req.aid_len = aid_len;
	req.rsp_ptr = (uintptr_t)rsp;
	req.rsp_len = sizeof(rsp);
	if (!ioctl(fd, SECEL_IOC_OPEN_CHANNEL, &req)) {
		*channel = req.channel;
		return 0;
	}
	err = errno;
	ram_hex(aid, aid_len, hex);
	if (req.rsp_len >= 2 && req.rsp_len <= sizeof(rsp))
		snprintf(msg, room, "logical channel to %s: %s (SELECT answered %02X%02X)",
			 hex, err == ENOENT ? "no security domain with that AID" :
			 se_why(SE_OP_OPEN_CHANNEL, err), rsp[req.rsp_len - 2],
			 rsp[req.rsp_len - 1]);
	else
		snprintf(msg, room, "logical channel to %s: %s", hex,
			 se_why(SE_OP_OPEN_CHANNEL, err));
	return -err;
}

static int parse_num(const char *opt, const char *s, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '-' || *end || end == s || errno || v < min || v > max) {
		fprintf(stderr, "secel-relay: %s '%s': not a number from %lu to %lu\n",
			opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* What the options say, for one session or for the daemon's many. */
struct opts {
	const char *se_arg, *cacert, *cert, *key, *url, *sd_hex;
	uint8_t sd[SECEL_AID_MAX];
	size_t sd_len;
	unsigned long timeout, max_rounds;
	bool verbose, json, daemon;
};

/*
 * One session on the SE of --se: 0 when it went well, 1 when not (the
 * reason on standard error), 3 when there is no such SE (the daemon then
 * has nothing to report from).  *@poll: the TSM's X-Secel-Poll, or 0.
 */
static int one_session(const struct opts *o, unsigned long *poll)
{
	static struct se_data se;
	char msg[RELAY_LINE_MAX + 64], why[SE_MSG_MAX], from[512], info[4096];
	struct relay_outcome *out;
	struct relay_cfg cfg;
	struct relay_card card;
	struct channel ch = { .fd = -1 };
	struct secel_channel_close cl;
	const char *se_name = o->se_arg;
	unsigned int idx;
	int rc = 1;

	*poll = 0;
	out = calloc(1, sizeof(*out));
	if (!out) {
		fprintf(stderr, "secel-relay: out of memory\n");
		return 1;
	}
	memset(&se, 0, sizeof(se));
	if (se_resolve(ctl_path, dev_dir, o->se_arg, &idx, msg, sizeof(msg)) < 0) {
		if (o->daemon) {
			/* nothing to report from yet: not the TSM's fault */
			fprintf(stderr, "secel-relay: %s: waiting for an SE event\n",
				msg);
			free(out);
			return 3;
		}
		goto fail;
	}
	ch.fd = se_open(dev_dir, idx, NULL, 0, why, sizeof(why));
	if (ch.fd < 0) {
		snprintf(msg, sizeof(msg), "SE %s: %s", o->se_arg, why);
		goto fail;
	}
	if (read_se(ch.fd, &se, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "SE %s: %s", o->se_arg, why);
		goto fail;
	}
	se_name = se.info.name;
	if (open_channel(ch.fd, o->sd, o->sd_len, &ch.channel, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "SE %s: %s", se_name, why);
		goto fail;
	}
	se.desc.channel = ch.channel;
	if (relay_from_header(&se.desc, o->sd, o->sd_len, from, sizeof(from)) ||
	    relay_se_info_header(&se.desc, info, sizeof(info))) {
		snprintf(msg, sizeof(msg), "SE %s: its information does not fit the headers",
			 se_name);
		goto fail;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.url = o->url;
	cfg.se_name = se_name;
	cfg.from = from;
	cfg.se_info = info;
	cfg.sd = o->sd;
	cfg.sd_len = o->sd_len;
	cfg.cacert = o->cacert;
	cfg.cert = o->cert;
	cfg.key = o->key;
	cfg.backstage = &backstage;
	target_sd = o->sd;
	target_sd_len = o->sd_len;
	cfg.timeout = o->timeout;
	cfg.max_rounds = o->max_rounds;
	cfg.verbose = o->verbose;
	cfg.log = stderr;
	card.transmit = channel_transmit;
	card.priv = &ch;
	if (o->verbose)
		fprintf(stderr, "secel-relay: SE %s (%s/secel%u), channel %u to the security domain %s\n",
			se_name, dev_dir, idx, ch.channel,
			o->sd_hex ? o->sd_hex : "A000000151000000");
	rc = relay_run(&cfg, &card, out);
	targets_close();
	*poll = out->poll;
	msg[0] = '\0';
	if (rc)
		snprintf(msg, sizeof(msg), "%s", out->error);
	else if (!o->json)
		printf("%s\n", out->result);

	memset(&cl, 0, sizeof(cl));
	cl.channel = ch.channel;
	if (ioctl(ch.fd, SECEL_IOC_CLOSE_CHANNEL, &cl) && errno != ENODEV)
		fprintf(stderr, "secel-relay: SE %s: close channel %u: %s\n",
			se_name, ch.channel, se_why(SE_OP_CLOSE_CHANNEL, errno));
	close(ch.fd);
	ch.fd = -1;
	if (!rc) {
		if (o->json)
			print_json(se_name, o->url, ch.channel, out, NULL);
		goto done;
	}
fail:
	if (ch.fd >= 0)
		close(ch.fd);
	fprintf(stderr, "secel-relay: %s\n", msg);
	if (o->json)
		print_json(se_name, o->url, ch.channel, out, msg);
	rc = 1;
done:
	if (o->daemon)
		fflush(stdout);
	free(out);
	return rc;
}

static enum relay_session_end daemon_session(void *priv, unsigned long *poll)
{
	switch (one_session(priv, poll)) {
	case 0: return RELAY_SESSION_OK;
	case 3: return RELAY_SESSION_IDLE;
	default: return RELAY_SESSION_FAILED;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "se", required_argument, NULL, 's' },
		{ "sd", required_argument, NULL, 'd' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "cert", required_argument, NULL, 'E' },
		{ "key", required_argument, NULL, 'K' },
		{ "policy", required_argument, NULL, 'P' },
		{ "sysfs-dir", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-rounds", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "dev-dir", required_argument, NULL, 'D' },
		{ "daemon", no_argument, NULL, 'A' },
		{ "poll", required_argument, NULL, 'p' },
		{ "retry", required_argument, NULL, 'r' },
		{ "retry-max", required_argument, NULL, 'R' },
		{ "no-uevents", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct opts o = {
		.se_arg = "designated",
		.timeout = 30,
		.max_rounds = 64,
	};
	struct relay_daemon_cfg dcfg = {
		.poll = RELAY_DAEMON_POLL,
		.retry = RELAY_DAEMON_RETRY,
		.retry_max = RELAY_DAEMON_RETRY_MAX,
		.uevents = true,
		.log = stderr,
	};
	const char *policy_path = NULL;
	char perr[600];
	unsigned long poll;
	int opt, ret, rc;

	memcpy(o.sd, gp_isd, sizeof(gp_isd));
	o.sd_len = sizeof(gp_isd);
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': o.se_arg = optarg; break;
		case 'd': o.sd_hex = optarg; break;
		case 'c': o.cacert = optarg; break;
		case 'E': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'S': sysfs_dir = optarg; break;
		case 't':
			if (parse_num("--timeout", optarg, 1, 86400, &o.timeout))
				return 2;
			break;
		case 'm':
			if (parse_num("--max-rounds", optarg, 1, 100000, &o.max_rounds))
				return 2;
			break;
		case 'A': o.daemon = true; break;
		case 'p':
			if (parse_num("--poll", optarg, 1, RELAY_POLL_MAX, &dcfg.poll))
				return 2;
			break;
		case 'r':
			if (parse_num("--retry", optarg, 1, RELAY_POLL_MAX, &dcfg.retry))
				return 2;
			break;
		case 'R':
			if (parse_num("--retry-max", optarg, 1, RELAY_POLL_MAX,
				      &dcfg.retry_max))
				return 2;
			break;
		case 'U': dcfg.uevents = false; break;
		case 'v': o.verbose = true; break;
		case 'j': o.json = true; break;
		case 'C': ctl_path = optarg; break;
		case 'D': dev_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("secel-relay %s (protocol %s, secel ABI %d, libcurl %s)\n",
			       SECEL_VERSION, RELAY_VERSION, SECEL_ABI_VERSION,
			       curl_version_info(CURLVERSION_NOW)->version);
			return 0;
		default:
			/* getopt said what is wrong: not the whole usage */
			fprintf(stderr, "Try 'secel-relay --help'.\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "secel-relay: %s (see secel-relay --help)\n",
			argc - optind ? "one URL only" : "no URL given");
		return 2;
	}
	o.url = argv[optind];
	if (dcfg.retry > dcfg.retry_max) {
		fprintf(stderr, "secel-relay: --retry %lu is more than --retry-max %lu\n",
			dcfg.retry, dcfg.retry_max);
		return 2;
	}
	if (o.sd_hex) {
		ret = ram_unhex(o.sd_hex, o.sd, sizeof(o.sd));
		if (ret < SECEL_AID_MIN) {
			fprintf(stderr, "secel-relay: --sd '%s': not an AID of 5 to 16 bytes in hex\n",
				o.sd_hex);
			return 2;
		}
		o.sd_len = ret;
	}
	if (o.cacert && access(o.cacert, R_OK)) {
		fprintf(stderr, "secel-relay: --cacert %s: %s\n", o.cacert,
			strerror(errno));
		return 2;
	}
	if ((o.cert && access(o.cert, R_OK)) || (o.key && access(o.key, R_OK))) {
		fprintf(stderr, "secel-relay: --%s %s: %s\n",
			o.cert && access(o.cert, R_OK) ? "cert" : "key",
			o.cert && access(o.cert, R_OK) ? o.cert : o.key,
			strerror(errno));
		return 2;
	}
	ret = bs_policy_read(policy_path ? policy_path : BS_DEFAULT_POLICY,
			     &policy, perr, sizeof(perr));
	if (ret == -ENOENT && !policy_path) {
		bs_policy_default(&policy);
	} else if (ret) {
		fprintf(stderr, "secel-relay: policy %s\n", perr);
		return 2;
	}
	openlog("secel-relay", LOG_PID, LOG_AUTHPRIV);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "secel-relay: libcurl does not start\n");
		return 1;
	}
	if (relay_check_url(o.url)) {
		fprintf(stderr, "secel-relay: URL '%s': not an http or https URL\n",
			o.url);
		return 2;
	}
	if (o.daemon) {
		/* a line per session result, in the journal as it happens */
		setvbuf(stdout, NULL, _IOLBF, 0);
		rc = relay_daemon(&dcfg, daemon_session, &o);
	} else {
		rc = one_session(&o, &poll);
	}
	curl_global_cleanup();
	return rc;
}
