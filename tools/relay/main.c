// SPDX-License-Identifier: GPL-2.0
/*
 * secel-relay - the device-side agent of GlobalPlatform Amendment B:
 * tells a TSM what the core acquired of the designated SE, runs the TSM's
 * command scripts on a logical channel to the SE's security domain and
 * posts the answers back (Documentation/secel/tsm.rst).
 *
 *   secel-relay [--se SE] [--sd AID] [--cacert FILE] [--timeout SEC]
 *               [--max-rounds N] [-v] [--json] URL
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <curl/curl.h>
#include <linux/secel.h>

#include "../ram/ram.h"
#include "../secelctl/se.h"
#include "../secelctl/secelctl.h"
#include "relay.h"

/* GlobalPlatform's issuer security domain */
static const uint8_t gp_isd[] = { 0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00 };

static const char *ctl_path = "/dev/secel-ctl";
static const char *dev_dir = "/dev";

struct channel {
	int fd;
	uint32_t channel;
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
"  --timeout SEC    per HTTP request (default 30)\n"
"  --max-rounds N   POSTs at most before the session is an error (default 64)\n"
"  -v, --verbose    each HTTP exchange and each APDU on standard error\n"
"  --json           the outcome as one JSON object on standard output\n"
"  --ctl PATH       configurator node (default /dev/secel-ctl)\n"
"  --dev-dir DIR    where secelN nodes are (default /dev)\n"
"  -h, --help       this text\n"
"  --version        the version\n"
"\n"
"Example:\n"
"  secel-relay --se eSE1 --cacert /etc/secel/tsm-ca.pem \\\n"
"              https://tsm.example.com/ram/purse\n");
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "se", required_argument, NULL, 's' },
		{ "sd", required_argument, NULL, 'd' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-rounds", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "dev-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct se_data se;
	const char *se_arg = "designated", *cacert = NULL, *url, *sd_hex = NULL;
	unsigned long timeout = 30, max_rounds = 64;
	bool verbose = false, json = false;
	char msg[RELAY_LINE_MAX + 64], why[SE_MSG_MAX], from[512], info[4096];
	struct relay_outcome *out;
	struct relay_cfg cfg;
	struct relay_card card;
	struct channel ch = { .fd = -1 };
	struct secel_channel_close cl;
	uint8_t sd[SECEL_AID_MAX];
	size_t sd_len = sizeof(gp_isd);
	unsigned int idx;
	const char *se_name;
	int opt, ret, rc = 1;

	memcpy(sd, gp_isd, sizeof(gp_isd));
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': se_arg = optarg; break;
		case 'd': sd_hex = optarg; break;
		case 'c': cacert = optarg; break;
		case 't':
			if (parse_num("--timeout", optarg, 1, 86400, &timeout))
				return 2;
			break;
		case 'm':
			if (parse_num("--max-rounds", optarg, 1, 100000, &max_rounds))
				return 2;
			break;
		case 'v': verbose = true; break;
		case 'j': json = true; break;
		case 'C': ctl_path = optarg; break;
		case 'D': dev_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("secel-relay %s (secel ABI %d, libcurl %s)\n",
			       RELAY_VERSION, SECEL_ABI_VERSION,
			       curl_version_info(CURLVERSION_NOW)->version);
			return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "secel-relay: %s (see secel-relay --help)\n",
			argc - optind ? "one URL only" : "no URL given");
		return 2;
	}
	url = argv[optind];
	if (sd_hex) {
		ret = ram_unhex(sd_hex, sd, sizeof(sd));
		if (ret < SECEL_AID_MIN) {
			fprintf(stderr, "secel-relay: --sd '%s': not an AID of 5 to 16 bytes in hex\n",
				sd_hex);
			return 2;
		}
		sd_len = ret;
	}
	if (cacert && access(cacert, R_OK)) {
		fprintf(stderr, "secel-relay: --cacert %s: %s\n", cacert,
			strerror(errno));
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "secel-relay: libcurl does not start\n");
		return 1;
	}
	if (relay_check_url(url)) {
		fprintf(stderr, "secel-relay: URL '%s': not an http or https URL\n",
			url);
		return 2;
	}
	out = calloc(1, sizeof(*out));
	if (!out) {
		fprintf(stderr, "secel-relay: out of memory\n");
		return 1;
	}

	se_name = se_arg;
	if (se_resolve(ctl_path, dev_dir, se_arg, &idx, msg, sizeof(msg)) < 0)
		goto fail;
	ch.fd = se_open(dev_dir, idx, NULL, 0, why, sizeof(why));
	if (ch.fd < 0) {
		snprintf(msg, sizeof(msg), "SE %s: %s", se_arg, why);
		goto fail;
	}
	if (read_se(ch.fd, &se, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "SE %s: %s", se_arg, why);
		goto fail;
	}
	se_name = se.info.name;
	if (open_channel(ch.fd, sd, sd_len, &ch.channel, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "SE %s: %s", se_name, why);
		goto fail;
	}
	se.desc.channel = ch.channel;
	if (relay_from_header(&se.desc, sd, sd_len, from, sizeof(from)) ||
	    relay_se_info_header(&se.desc, info, sizeof(info))) {
		snprintf(msg, sizeof(msg), "SE %s: its information does not fit the headers",
			 se_name);
		goto fail;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.url = url;
	cfg.se_name = se_name;
	cfg.from = from;
	cfg.se_info = info;
	cfg.sd = sd;
	cfg.sd_len = sd_len;
	cfg.cacert = cacert;
	cfg.timeout = timeout;
	cfg.max_rounds = max_rounds;
	cfg.verbose = verbose;
	cfg.log = stderr;
	card.transmit = channel_transmit;
	card.priv = &ch;
	if (verbose)
		fprintf(stderr, "secel-relay: SE %s (%s/secel%u), channel %u to the security domain %s\n",
			se_name, dev_dir, idx, ch.channel, sd_hex ? sd_hex : "A000000151000000");
	rc = relay_run(&cfg, &card, out);
	msg[0] = '\0';
	if (rc)
		snprintf(msg, sizeof(msg), "%s", out->error);
	else if (!json)
		printf("%s\n", out->result);

	memset(&cl, 0, sizeof(cl));
	cl.channel = ch.channel;
	if (ioctl(ch.fd, SECEL_IOC_CLOSE_CHANNEL, &cl) && errno != ENODEV)
		fprintf(stderr, "secel-relay: SE %s: close channel %u: %s\n",
			se_name, ch.channel, se_why(SE_OP_CLOSE_CHANNEL, errno));
	close(ch.fd);
	ch.fd = -1;
	if (!rc) {
		if (json)
			print_json(se_name, url, ch.channel, out, NULL);
		goto done;
	}
fail:
	if (ch.fd >= 0)
		close(ch.fd);
	fprintf(stderr, "secel-relay: %s\n", msg);
	if (json)
		print_json(se_name, url, ch.channel, out, msg);
	rc = 1;
done:
	free(out);
	curl_global_cleanup();
	return rc;
}
