// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vcard - a userspace ISO/IEC 7816-4 card served through
 * /dev/secel-vse (or QEMU's VSCard protocol, vscard.c): options,
 * SECEL_VSE_IOC_NEW and the message loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/secel_vse.h>

#include "card.h"
#include "vscard.h"
#include "vse.h"

#define PROG	"secel-vcard"

struct opts {
	const char *device;
	const char *ready_file;
	char name_prefix[8];
	unsigned int delay_ms;
	bool silent;
	bool silent_after_set;
	unsigned long silent_after;
	bool garbage;
	bool bad_sw;
	bool exit_after_set;
	unsigned long exit_after;
	bool verbose;
	const char *vscard;
	bool empty;
	bool remove_after_set;
	unsigned long remove_after;
	unsigned int reinsert_ms;
	bool fault_control;
	bool atr_set;
	const char *state;
	bool keys_set;
	struct gp_keyset keys;
	const char *ara_rules;
};

static volatile sig_atomic_t got_signal;
static const sigset_t *s_unblocked;
static char card_label[64] = "card";

static void on_signal(int sig)
{
	got_signal = sig;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	exit(2);
}

static void hex_line(FILE *f, const char *prefix, const uint8_t *buf,
		     size_t len)
{
	size_t i;

	fputs(prefix, f);
	for (i = 0; i < len; i++)
		fprintf(f, "%02X", buf[i]);
	fputc('\n', f);
}

static void usage(void)
{
	struct vc_config cfg;

	vc_config_defaults(&cfg);
	printf("Usage: " PROG " [OPTION]...\n"
"Serve a virtual ISO/IEC 7816-4 card through /dev/secel-vse.  Prints\n"
"'secelN NAME' on stdout once the SE exists, then answers the kernel's\n"
"requests until SIGTERM/SIGINT (unplug, exit 0) or --exit-after.\n"
"\n"
"Kernel side:\n"
"  --device PATH        the proxy node (default /dev/secel-vse)\n"
"  --ready-file FILE    also write the 'secelN NAME' line to FILE (atomically)\n"
"  --name PREFIX        reader-name prefix, 1-7 letters (default VSE);\n"
"                        SIM, eSE and SD need CAP_SYS_ADMIN\n"
"  --atr HEX            answer to reset, 2-33 bytes, not checked\n"
"  --extended           take extended-length APDUs (else they get 6700)\n"
"  --vscard unix:PATH|tcp:HOST:PORT\n"
"                       no /dev/secel-vse: listen there for QEMU's\n"
"                       ccid-card-passthru (VSCard protocol) and be its card;\n"
"                       prints 'vscard SPEC' once listening; the default\n"
"                       ATR is then 3B025345 (T=0: usb-ccid is TPDU level)\n"
"Card:\n"
"  --channels N         highest logical channel MANAGE CHANNEL opens, 0-19\n"
"                       (default 19)\n"
"  --no-channels        every MANAGE CHANNEL gets 6881\n"
"  --isd-aid HEX        AID of the issuer security domain (default\n"
"                       A000000151000000)\n"
"  --cplc HEX|none      GET DATA 9F7F value ('none': absent, 6A88)\n"
"  --iin HEX|none       GET DATA 0042 value\n"
"  --cin HEX|none       GET DATA 0045 value\n"
"  --card-data HEX|none GET DATA 0066 value, normally a 73 template\n"
"  --no-gpdata          every GET DATA gets 6A88\n"
"  --force-61           the test applet's data always comes through 61xx and\n"
"                       GET RESPONSE\n"
"  --ara-rules FILE     an ARA-M (A00000015141434C00) answering GET DATA\n"
"                       All/Next/Refresh from FILE: hex REF-AR-DOs, 'refresh\n"
"                       HEX8', 'chunk N', 'sw HEX', 'raw HEX' (secel-vcard(1))\n"
"GlobalPlatform:\n"
"  --state FILE         keep the card's content and keys in FILE (created when\n"
"                       missing, rewritten atomically after every change)\n"
"  --keys KVN:KEY|KVN:ENC:MAC:DEK\n"
"                       SCP03 key set of a new card (default 30 and\n"
"                       404142434445464748494A4B4C4D4E4F); a state file's\n"
"                       keys win over it\n"
"Faults:\n"
"  --delay-ms N         wait N ms before answering each APDU\n"
"  --silent             never answer an APDU (resets are answered)\n"
"  --silent-after N     answer N APDUs, then go silent\n"
"  --garbage            answer every APDU with the single byte 00\n"
"  --bad-sw             answer every APDU with 12 34\n"
"  --empty              answer every APDU with nothing (--vscard only)\n"
"  --remove-after N     (--vscard) answer N APDUs, then take the card out\n"
"                       while the next one is pending\n"
"  --reinsert-ms N      (--vscard) put it back in N ms later (default: never)\n"
"  --fault-control      (--vscard) APDUs 80 5E P1 P2 set a fault for the next\n"
"                       APDU: 01 NN late by NN*100 ms, 02 00 empty answer,\n"
"                       02 01 one byte, 03 NN card out, back in NN s later\n"
"  --exit-after N       unplug and exit 0 after N APDUs\n"
"  -v, --verbose        log each APDU on stderr: '> 00A40400', '< 9000'\n"
"  -h, --help           this help\n"
"      --version        the version\n"
"\n"
"Test applet: SELECT 00 A4 04 00 07 F0534543454C01; CLA 80 (channel bits\n"
"as usual) INS 10 ECHO, 12 GENERATE, 14 EXACT-LE, 16 WHOAMI, 18 LONG,\n"
"1A COUNTER; see secel-vcard(1).\n"
"\n");
	printf("Defaults:\n");
	hex_line(stdout, "  ATR (T=1)  ", cfg.atr, cfg.atr_len);
	hex_line(stdout, "  CPLC       ", cfg.cplc.val, cfg.cplc.len);
	hex_line(stdout, "  IIN        ", cfg.iin.val, cfg.iin.len);
	hex_line(stdout, "  CIN        ", cfg.cin.val, cfg.cin.len);
	hex_line(stdout, "  card data  ", cfg.card_data.val, cfg.card_data.len);
	printf("\nExample:\n"
"  " PROG " --name eSE --extended --ready-file /run/vse.ready &\n"
"  cat /run/vse.ready        # secel3 eSE1\n"
"  kill %%1                   # unplugs the SE\n");
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex bytes, spaces and colons between them allowed; returns the count. */
static size_t parse_hex(const char *opt, const char *s, uint8_t *out,
			size_t min, size_t max)
{
	size_t n = 0;
	int hi, lo;

	while (*s) {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		hi = hex_digit(s[0]);
		if (hi >= 0 && !s[1])
			usage_error("%s: odd number of hex digits", opt);
		lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (hi < 0 || lo < 0)
			usage_error("%s: '%s' is not hex bytes", opt, s);
		if (n == max)
			usage_error("%s: more than %zu bytes", opt, max);
		out[n++] = (hi << 4) | lo;
		s += 2;
	}
	if (n < min)
		usage_error("%s: fewer than %zu bytes", opt, min);
	return n;
}

static void parse_item(const char *opt, const char *s, struct vc_item *item)
{
	if (!strcmp(s, "none")) {
		item->present = false;
		item->len = 0;
		return;
	}
	item->len = parse_hex(opt, s, item->val, 0, VC_ITEM_MAX);
	item->present = true;
}

static unsigned long parse_num(const char *opt, const char *s,
			       unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		usage_error("%s: '%s' is not a number", opt, s);
	v = strtoul(s, &end, 10);
	if (*end || errno)
		usage_error("%s: '%s' is not a number", opt, s);
	if (v > max)
		usage_error("%s: %s is more than %lu", opt, s, max);
	return v;
}

/* KVN:KEY (the three keys alike) or KVN:ENC:MAC:DEK, AES-128/192/256 */
static void parse_keys(const char *s, struct gp_keyset *ks)
{
	char buf[256], *f[5], *save = NULL, *w;
	size_t n = 0, len;
	unsigned long kvn;
	char *end;

	if (strlen(s) >= sizeof(buf))
		usage_error("--keys: too long");
	strcpy(buf, s);
	for (w = strtok_r(buf, ":", &save); w && n < 5;
	     w = strtok_r(NULL, ":", &save))
		f[n++] = w;
	if (n != 2 && n != 4)
		usage_error("--keys: '%s' is not KVN:KEY or KVN:ENC:MAC:DEK", s);
	kvn = strtoul(f[0], &end, 16);
	if (*end || !kvn || kvn > 0x7f)
		usage_error("--keys: key version '%s' is not hex 01 to 7F", f[0]);
	memset(ks, 0, sizeof(*ks));
	ks->kvn = kvn;
	len = parse_hex("--keys", f[1], ks->enc, 16, 32);
	if (len != 16 && len != 24 && len != 32)
		usage_error("--keys: keys are 16, 24 or 32 bytes");
	ks->len = len;
	if (n == 2) {
		memcpy(ks->mac, ks->enc, len);
		memcpy(ks->dek, ks->enc, len);
		return;
	}
	if (parse_hex("--keys", f[2], ks->mac, 16, 32) != len ||
	    parse_hex("--keys", f[3], ks->dek, 16, 32) != len)
		usage_error("--keys: ENC, MAC and DEK differ in length");
}

enum {
	OPT_DEVICE = 256, OPT_READY, OPT_NAME, OPT_ATR, OPT_EXTENDED,
	OPT_CHANNELS, OPT_NO_CHANNELS, OPT_ISD_AID, OPT_CPLC, OPT_IIN,
	OPT_CIN, OPT_CARD_DATA, OPT_NO_GPDATA, OPT_FORCE_61, OPT_DELAY,
	OPT_SILENT, OPT_SILENT_AFTER, OPT_GARBAGE, OPT_BAD_SW, OPT_EXIT_AFTER,
	OPT_STATE, OPT_KEYS, OPT_VSCARD, OPT_EMPTY, OPT_REMOVE_AFTER,
	OPT_REINSERT_MS, OPT_FAULT_CONTROL, OPT_VERSION, OPT_ARA_RULES,
};

static const struct option long_opts[] = {
	{ "device",	  required_argument, NULL, OPT_DEVICE },
	{ "version",	  no_argument,	     NULL, OPT_VERSION },
	{ "ready-file",	  required_argument, NULL, OPT_READY },
	{ "name",	  required_argument, NULL, OPT_NAME },
	{ "atr",	  required_argument, NULL, OPT_ATR },
	{ "extended",	  no_argument,	     NULL, OPT_EXTENDED },
	{ "channels",	  required_argument, NULL, OPT_CHANNELS },
	{ "no-channels",  no_argument,	     NULL, OPT_NO_CHANNELS },
	{ "isd-aid",	  required_argument, NULL, OPT_ISD_AID },
	{ "cplc",	  required_argument, NULL, OPT_CPLC },
	{ "iin",	  required_argument, NULL, OPT_IIN },
	{ "cin",	  required_argument, NULL, OPT_CIN },
	{ "card-data",	  required_argument, NULL, OPT_CARD_DATA },
	{ "no-gpdata",	  no_argument,	     NULL, OPT_NO_GPDATA },
	{ "force-61",	  no_argument,	     NULL, OPT_FORCE_61 },
	{ "delay-ms",	  required_argument, NULL, OPT_DELAY },
	{ "silent",	  no_argument,	     NULL, OPT_SILENT },
	{ "silent-after", required_argument, NULL, OPT_SILENT_AFTER },
	{ "garbage",	  no_argument,	     NULL, OPT_GARBAGE },
	{ "bad-sw",	  no_argument,	     NULL, OPT_BAD_SW },
	{ "exit-after",	  required_argument, NULL, OPT_EXIT_AFTER },
	{ "state",	  required_argument, NULL, OPT_STATE },
	{ "keys",	  required_argument, NULL, OPT_KEYS },
	{ "vscard",	  required_argument, NULL, OPT_VSCARD },
	{ "empty",	  no_argument,	     NULL, OPT_EMPTY },
	{ "remove-after", required_argument, NULL, OPT_REMOVE_AFTER },
	{ "reinsert-ms",  required_argument, NULL, OPT_REINSERT_MS },
	{ "fault-control", no_argument,     NULL, OPT_FAULT_CONTROL },
	{ "ara-rules",	  required_argument, NULL, OPT_ARA_RULES },
	{ "verbose",	  no_argument,	     NULL, 'v' },
	{ "help",	  no_argument,	     NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void parse_opts(int argc, char **argv, struct opts *o,
		       struct vc_config *cfg)
{
	const char *opt;
	size_t i, n;
	int c;

	memset(o, 0, sizeof(*o));
	o->device = "/dev/secel-vse";
	vc_config_defaults(cfg);

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		opt = optind > 1 ? argv[optind - 1] : "";
		switch (c) {
		case OPT_DEVICE:
			o->device = optarg;
			break;
		case OPT_READY:
			o->ready_file = optarg;
			break;
		case OPT_NAME:
			n = strlen(optarg);
			if (n < 1 || n >= sizeof(o->name_prefix))
				usage_error("--name: '%s' must be 1 to %zu letters",
					    optarg, sizeof(o->name_prefix) - 1);
			for (i = 0; i < n; i++)
				if (!((optarg[i] >= 'a' && optarg[i] <= 'z') ||
				      (optarg[i] >= 'A' && optarg[i] <= 'Z')))
					usage_error("--name: '%s' is not letters only",
						    optarg);
			memcpy(o->name_prefix, optarg, n + 1);
			break;
		case OPT_ATR:
			cfg->atr_len = parse_hex("--atr", optarg, cfg->atr, 2,
						 VC_ATR_MAX);
			o->atr_set = true;
			break;
		case OPT_EXTENDED:
			cfg->extended = true;
			break;
		case OPT_CHANNELS:
			cfg->channels = parse_num("--channels", optarg,
						  VC_CHANNELS - 1);
			break;
		case OPT_NO_CHANNELS:
			cfg->no_channels = true;
			break;
		case OPT_ISD_AID:
			cfg->isd_aid_len = parse_hex("--isd-aid", optarg,
						     cfg->isd_aid, VC_AID_MIN,
						     VC_AID_MAX);
			break;
		case OPT_CPLC:
			parse_item("--cplc", optarg, &cfg->cplc);
			break;
		case OPT_IIN:
			parse_item("--iin", optarg, &cfg->iin);
			break;
		case OPT_CIN:
			parse_item("--cin", optarg, &cfg->cin);
			break;
		case OPT_CARD_DATA:
			parse_item("--card-data", optarg, &cfg->card_data);
			break;
		case OPT_NO_GPDATA:
			cfg->no_gpdata = true;
			break;
		case OPT_FORCE_61:
			cfg->force_61 = true;
			break;
		case OPT_DELAY:
			o->delay_ms = parse_num("--delay-ms", optarg, 600000);
			break;
		case OPT_SILENT:
			o->silent = true;
			break;
		case OPT_SILENT_AFTER:
			o->silent_after = parse_num("--silent-after", optarg,
						    ULONG_MAX);
			o->silent_after_set = true;
			break;
		case OPT_GARBAGE:
			o->garbage = true;
			break;
		case OPT_BAD_SW:
			o->bad_sw = true;
			break;
		case OPT_EXIT_AFTER:
			o->exit_after = parse_num("--exit-after", optarg,
						  ULONG_MAX);
			o->exit_after_set = true;
			break;
		case OPT_STATE:
			o->state = optarg;
			break;
		case OPT_KEYS:
			parse_keys(optarg, &o->keys);
			o->keys_set = true;
			break;
		case OPT_VSCARD:
			o->vscard = optarg;
			break;
		case OPT_EMPTY:
			o->empty = true;
			break;
		case OPT_REMOVE_AFTER:
			o->remove_after = parse_num("--remove-after", optarg,
						    ULONG_MAX);
			o->remove_after_set = true;
			break;
		case OPT_REINSERT_MS:
			o->reinsert_ms = parse_num("--reinsert-ms", optarg,
						   600000);
			break;
		case OPT_FAULT_CONTROL:
			o->fault_control = true;
			break;
		case OPT_ARA_RULES:
			o->ara_rules = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage();
			exit(0);
		case OPT_VERSION:
			printf("secel-vcard %s\n", SECEL_VERSION);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value", opt);
			break;
		default:
			usage_error("unknown option '%s'", opt);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (o->garbage + o->bad_sw + o->empty > 1)
		usage_error("--garbage, --bad-sw and --empty exclude each other");
	if (!o->vscard && (o->empty || o->remove_after_set || o->reinsert_ms ||
			   o->fault_control))
		usage_error("--empty, --remove-after, --reinsert-ms and --fault-control need --vscard");
	if (o->silent && (o->garbage || o->bad_sw || o->silent_after_set))
		usage_error("--silent excludes --garbage, --bad-sw and --silent-after");
}

/* Wait up to @ms (-1: forever) for the card fd, signals let through. */
static int wait_card(int fd, int ms, const sigset_t *unblocked)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts, *tsp = NULL;
	int ret;

	if (ms >= 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		tsp = &ts;
	}
	ret = ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, tsp, unblocked);
	if (ret < 0 && errno != EINTR)
		die("%s: poll: %s", card_label, strerror(errno));
	if (ret > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
		die("%s: the kernel unplugged the SE", card_label);
	return ret;
}

/* Sleep @ms, unless a signal comes. */
static void sleep_ms(unsigned int ms, const sigset_t *unblocked)
{
	struct timespec start, now;
	long long left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!got_signal) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long long)ms -
		       ((now.tv_sec - start.tv_sec) * 1000LL +
			(now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		wait_card(-1, (int)left, unblocked);
	}
}

struct server {
	struct opts *o;
	struct vcard *vc;
	int fd;
	const sigset_t *unblocked;
	uint8_t *in;		/* header + command */
	uint8_t *out;		/* header + answer */
	unsigned long apdus;	/* APDUs received */
	unsigned long answered;	/* APDUs answered */
};

static void answer(struct server *s, const struct secel_vse_msg *req,
		   size_t len)
{
	if (!vse_card_answer(s->fd, req, s->out, len))
		return;
	if (errno == EINVAL || errno == ESTALE) {
		/* refused (malformed, as --garbage asks) or too late */
		if (s->o->verbose)
			fprintf(stderr, "! %s: write: %s%s\n", card_label,
				strerror(errno),
				errno == ESTALE ?
				" (the kernel gave up on this request)" : "");
		return;
	}
	die("%s: write: %s", card_label, strerror(errno));
}

/* Serve one message if one is pending; returns true when it served one. */
static bool serve_one(struct server *s)
{
	struct secel_vse_msg hdr;
	uint8_t *payload = s->in + sizeof(hdr);
	uint8_t *rsp = s->out + sizeof(hdr);
	size_t len;
	ssize_t n;

	n = vse_card_read(s->fd, s->in, sizeof(hdr) + VC_CMD_MAX, &hdr);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false;
		if (errno == ENODEV)
			die("%s: read: %s (the kernel unplugged the SE)",
			    card_label, strerror(errno));
		if (errno == EPROTO)
			die("%s: read: a message shorter than its header says",
			    card_label);
		die("%s: read: %s", card_label, strerror(errno));
	}

	switch (hdr.type) {
	case SECEL_VSE_MSG_APDU:
		s->apdus++;
		if (s->o->verbose)
			hex_line(stderr, "> ", payload, hdr.len);
		if (s->o->silent || (s->o->silent_after_set &&
				     s->answered >= s->o->silent_after)) {
			if (s->o->verbose)
				fprintf(stderr, "< (silent)\n");
			break;
		}
		if (s->o->delay_ms)
			sleep_ms(s->o->delay_ms, s->unblocked);
		if (got_signal)
			return true;
		if (s->o->garbage) {
			rsp[0] = 0x00;
			len = 1;
		} else if (s->o->bad_sw) {
			rsp[0] = 0x12;
			rsp[1] = 0x34;
			len = 2;
		} else {
			len = vcard_apdu(s->vc, payload, hdr.len, rsp);
		}
		if (s->o->verbose)
			hex_line(stderr, "< ", rsp, len);
		s->answered++;
		answer(s, &hdr, len);
		break;
	case SECEL_VSE_MSG_RESET:
		vcard_reset(s->vc);
		if (s->o->verbose)
			fprintf(stderr, "> RESET %s\n",
				hdr.flags & SECEL_RESET_WARM ? "warm" : "cold");
		len = s->vc->cfg.atr_len;
		memcpy(rsp, s->vc->cfg.atr, len);
		if (s->o->verbose)
			hex_line(stderr, "< ", rsp, len);
		answer(s, &hdr, len);
		break;
	case SECEL_VSE_MSG_POWER_OFF:
		vcard_reset(s->vc);
		if (s->o->verbose)
			fprintf(stderr, "> POWER-OFF\n< (done)\n");
		answer(s, &hdr, 0);
		break;
	default:
		fprintf(stderr, PROG ": %s: ignoring message of type %u\n",
			card_label, hdr.type);
		break;
	}
	return true;
}

static bool done(struct server *s)
{
	return got_signal ||
	       (s->o->exit_after_set && s->apdus >= s->o->exit_after);
}

static void write_ready_file(const char *file, const char *line)
{
	char tmp[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", file,
			     (long)getpid()) >= sizeof(tmp))
		die("%s: path too long", file);
	f = fopen(tmp, "we");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	if (fputs(line, f) == EOF || fclose(f) == EOF) {
		unlink(tmp);
		die("%s: write: %s", tmp, strerror(errno));
	}
	if (rename(tmp, file)) {
		int err = errno;

		unlink(tmp);
		die("%s: rename: %s", file, strerror(err));
	}
}

/* T=0 only (no TD1), historical bytes "SE" */
static const uint8_t vscard_atr[] = { 0x3B, 0x02, 0x53, 0x45 };

static int serve_vscard(struct opts *o, struct vcard *vc)
{
	struct vscard_faults f = {
		.delay_ms = o->delay_ms,
		.silent = o->silent,
		.silent_after_set = o->silent_after_set,
		.silent_after = o->silent_after,
		.garbage = o->garbage,
		.bad_sw = o->bad_sw,
		.empty = o->empty,
		.remove_after_set = o->remove_after_set,
		.remove_after = o->remove_after,
		.reinsert_ms = o->reinsert_ms,
		.control = o->fault_control,
		.exit_after_set = o->exit_after_set,
		.exit_after = o->exit_after,
		.verbose = o->verbose,
	};
	char err[512], line[PATH_MAX + 16];
	int lfd, ret;

	lfd = vscard_listen(o->vscard, err, sizeof(err));
	if (lfd < 0)
		die("%s", err);
	snprintf(line, sizeof(line), "vscard %s\n", o->vscard);
	/* the file first: whoever saw the line may look for it */
	if (o->ready_file)
		write_ready_file(o->ready_file, line);
	if (fputs(line, stdout) == EOF || fflush(stdout) == EOF)
		die("stdout: %s", strerror(errno));
	ret = vscard_serve(lfd, o->vscard, vc, &f, &got_signal,
			   s_unblocked);
	vcard_free(vc);
	return ret;
}

int main(int argc, char **argv)
{
	struct vse_card vse;
	struct vc_config cfg;
	struct sigaction sa;
	sigset_t block, unblocked;
	struct server s;
	struct opts o;
	char name[SECEL_NAME_LEN + 1], line[128], err[256];

	parse_opts(argc, argv, &o, &cfg);
	if (o.ara_rules) {
		static struct vc_ara ara;

		if (vc_ara_load(o.ara_rules, &ara, err, sizeof(err)))
			die("%s", err);
		cfg.ara = &ara;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* signals only arrive inside ppoll(), so none is lost */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);

	s_unblocked = &unblocked;
	memset(&s, 0, sizeof(s));
	s.o = &o;
	s.unblocked = &unblocked;
	s.vc = vcard_new(&cfg);
	s.in = malloc(sizeof(struct secel_vse_msg) + VC_CMD_MAX);
	s.out = malloc(sizeof(struct secel_vse_msg) + VC_RSP_MAX);
	if (!s.vc || !s.in || !s.out)
		die("out of memory");
	if (o.keys_set)
		s.vc->st.keys[0] = o.keys;
	if (o.state) {
		char err[256];

		if (vc_state_load(s.vc, o.state, err, sizeof(err)))
			die("%s", err);
	}

	if (o.vscard) {
		/*
		 * QEMU's usb-ccid exchanges TPDUs and the kernel has no T=1
		 * engine: the card offers T=0 unless told otherwise.
		 */
		if (!o.atr_set) {
			memcpy(s.vc->cfg.atr, vscard_atr, sizeof(vscard_atr));
			s.vc->cfg.atr_len = sizeof(vscard_atr);
		}
		return serve_vscard(&o, s.vc);
	}

	if (vse_card_new(o.device, cfg.atr, cfg.atr_len, o.name_prefix,
			 cfg.extended, &vse, err, sizeof(err)))
		die("%s", err);
	s.fd = vse.fd;
	memcpy(name, vse.name, sizeof(name));
	snprintf(card_label, sizeof(card_label), "secel%u (%s)", vse.index,
		 name);
	snprintf(line, sizeof(line), "secel%u %s\n", vse.index, name);
	if (fputs(line, stdout) == EOF || fflush(stdout) == EOF)
		die("stdout: %s", strerror(errno));
	if (o.ready_file)
		write_ready_file(o.ready_file, line);

	while (!done(&s)) {
		if (wait_card(s.fd, -1, &unblocked) > 0)
			serve_one(&s);
	}

	/* closing the card fd unplugs the SE */
	if (close(s.fd))
		die("%s: close: %s", card_label, strerror(errno));
	vcard_free(s.vc);
	free(s.in);
	free(s.out);
	return 0;
}
