// SPDX-License-Identifier: GPL-2.0
/* secelctl - hex parsing, JSON strings, CPLC decoding, option checking */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "secelctl.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

const char *hex_parse(const char *s, uint8_t *buf, size_t size, size_t *len)
{
	size_t n = 0;
	int hi, lo;

	while (*s) {
		if (*s == ' ' || *s == ':' || *s == '\t') {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		if (hi < 0)
			return "not a hex digit";
		lo = s[1] ? hexval((unsigned char)s[1]) : -2;
		if (lo == -2)
			return "odd number of hex digits";
		if (lo < 0)
			return "not a hex digit";
		if (n == size)
			return "too long";
		buf[n++] = hi << 4 | lo;
		s += 2;
	}
	*len = n;
	return NULL;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* GlobalPlatform Card Specification, CPLC data: 18 fields, 42 bytes. */
static const struct {
	const char *name;
	unsigned int len;
	int is_date;
} cplc_fields[] = {
	{ "IC fabricator", 2, 0 },
	{ "IC type", 2, 0 },
	{ "OS identifier", 2, 0 },
	{ "OS release date", 2, 1 },
	{ "OS release level", 2, 0 },
	{ "IC fabrication date", 2, 1 },
	{ "IC serial number", 4, 0 },
	{ "IC batch identifier", 2, 0 },
	{ "IC module fabricator", 2, 0 },
	{ "IC module packaging date", 2, 1 },
	{ "ICC manufacturer", 2, 0 },
	{ "IC embedding date", 2, 1 },
	{ "IC pre-personalizer", 2, 0 },
	{ "IC pre-perso. equipment date", 2, 1 },
	{ "IC pre-perso. equipment ID", 4, 0 },
	{ "IC personalizer", 2, 0 },
	{ "IC personalization date", 2, 1 },
	{ "IC perso. equipment ID", 4, 0 },
};

void cplc_print(FILE *f, const uint8_t *cplc, size_t len, const char *indent)
{
	size_t i, off = 0, j;

	if (len != 42) {
		fprintf(f, "%s(%zu bytes: a CPLC has 42, not decoded)\n", indent,
			len);
		return;
	}
	for (i = 0; i < sizeof(cplc_fields) / sizeof(cplc_fields[0]); i++) {
		const uint8_t *p = cplc + off;

		fprintf(f, "%s%-30s ", indent, cplc_fields[i].name);
		for (j = 0; j < cplc_fields[i].len; j++)
			fprintf(f, "%02X", p[j]);
		/* dates are YDDD: last digit of the year, day of the year */
		if (cplc_fields[i].is_date && (p[0] >> 4) <= 9 &&
		    (p[0] & 0xf) <= 9 && (p[1] >> 4) <= 9 && (p[1] & 0xf) <= 9 &&
		    (p[0] | p[1]))
			fprintf(f, " (year ...%u, day %u)", p[0] >> 4,
				(p[0] & 0xf) * 100 + (p[1] >> 4) * 10 +
				(p[1] & 0xf));
		fprintf(f, "\n");
		off += cplc_fields[i].len;
	}
}

const char *const ctl_opt_names[OPT_COUNT] = {
	[OPT_ALL] = "all", [OPT_JSON] = "json", [OPT_RAW] = "raw",
	[OPT_WARM] = "warm", [OPT_CLEAR] = "clear", [OPT_SYSFS] = "sysfs",
	[OPT_KEYS] = "keys", [OPT_KEY_FILE] = "key-file", [OPT_KVN] = "kvn",
	[OPT_LEVEL] = "level", [OPT_AID] = "aid", [OPT_PARAMS] = "params",
	[OPT_ISD] = "isd", [OPT_BLOCK] = "block", [OPT_REPLACE] = "replace",
	[OPT_BASIC] = "basic", [OPT_RELATED] = "related",
	[OPT_SECURE] = "secure", [OPT_TYPE] = "type", [OPT_MODULE] = "module",
	[OPT_LF_VERSION] = "lf-version", [OPT_CODE_SIZE] = "code-size",
	[OPT_TRACE] = "trace", [OPT_MAP] = "map", [OPT_DRY_RUN] = "dry-run",
	[OPT_STRICT] = "strict",
};

#define O(x)		(1UL << OPT_##x)
/* what a gp session on an SE is opened with */
#define GP_SESSION	(O(KEYS) | O(KEY_FILE) | O(KVN) | O(LEVEL) | O(ISD) | \
			 O(BASIC) | O(TRACE))
/* what only the secure channel uses: gp info needs --secure for them */
#define GP_KEYS		(O(KEYS) | O(KEY_FILE) | O(KVN) | O(LEVEL))

static const struct {
	const char *cmd, *sub;	/* sub: of gp */
	unsigned long opts;
} cmd_opts[] = {
	{ "list", NULL, O(ALL) | O(JSON) | O(SYSFS) },
	{ "info", NULL, O(JSON) | O(SYSFS) },
	{ "add", NULL, O(JSON) },
	{ "verify", NULL, O(JSON) },
	{ "inquire", NULL, O(JSON) },
	{ "delete", NULL, O(JSON) },
	{ "designate", NULL, O(CLEAR) | O(JSON) },
	{ "apdu", NULL, O(RAW) | O(JSON) | O(TRACE) },
	{ "channel", NULL, O(RAW) | O(JSON) | O(TRACE) },
	{ "reset", NULL, O(WARM) | O(JSON) },
	{ "version", NULL, O(JSON) },
	/* acl list prints rules in the syntax acl load reads */
	{ "acl", "", 0 },
	{ "acl", "load-ara", O(MAP) | O(DRY_RUN) | O(STRICT) | O(JSON) |
			     O(TRACE) },
	{ "gp", "list", GP_SESSION | O(JSON) },
	{ "gp", "info", GP_SESSION | O(SECURE) },
	{ "gp", "install", GP_SESSION | O(AID) | O(PARAMS) | O(BLOCK) },
	{ "gp", "delete", GP_SESSION | O(RELATED) },
	{ "gp", "lock", GP_SESSION },
	{ "gp", "unlock", GP_SESSION },
	{ "gp", "put-key", GP_SESSION | O(REPLACE) },
	{ "gp", "load", GP_SESSION | O(BLOCK) },
	{ "gp", "install-only", GP_SESSION | O(PARAMS) },
	{ "gp", "delete-key", GP_SESSION },
	{ "gp", "card-lock", GP_SESSION },
	{ "gp", "card-unlock", GP_SESSION },
	{ "gp", "card-terminate", GP_SESSION },
	{ "gp", "apdu", GP_SESSION },
	{ "gp", "mkload", O(TYPE) | O(AID) | O(MODULE) | O(LF_VERSION) |
			  O(CODE_SIZE) },
};

static const char *first_opt(unsigned long mask)
{
	unsigned int i;

	for (i = 0; i < OPT_COUNT; i++)
		if (mask & (1UL << i))
			return ctl_opt_names[i];
	return "?";
}

int opts_check(unsigned long given, char *const *args, int n, char *msg,
	       size_t room)
{
	const char *cmd = n > 0 ? args[0] : "", *sub = NULL;
	unsigned long bad;
	size_t i;

	if (!strcmp(cmd, "gp"))
		sub = n > 1 && !strcmp(args[1], "mkload") ? "mkload" :
		      n > 2 ? args[2] : "";
	if (!strcmp(cmd, "acl"))
		sub = n > 1 && !strcmp(args[1], "load-ara") ? "load-ara" : "";
	for (i = 0; i < sizeof(cmd_opts) / sizeof(cmd_opts[0]); i++) {
		if (strcmp(cmd, cmd_opts[i].cmd) ||
		    (sub && strcmp(sub, cmd_opts[i].sub)))
			continue;
		bad = given & ~cmd_opts[i].opts;
		if (bad) {
			snprintf(msg, room, "%s%s%s does not take --%s", cmd,
				 sub && *sub ? " " : "", sub ? sub : "",
				 first_opt(bad));
			return -1;
		}
		/* the keys open a secure channel, which gp info opens on ask */
		if (sub && !strcmp(sub, "info") && (given & GP_KEYS) &&
		    !(given & O(SECURE))) {
			snprintf(msg, room, "gp info takes --%s only with "
				 "--secure", first_opt(given & GP_KEYS));
			return -1;
		}
		return 0;
	}
	return 0;
}

const struct gp_help gp_help[] = {
	{ "list", "[--json]", "the ISD, applications, load files (GET STATUS)",
	  "secelctl gp VSE1 list --json" },
	{ "info", "[--secure]", "CPLC, IIN, CIN, card data, key information",
	  "secelctl gp VSE1 info" },
	{ "install", "FILE [--aid AID] [--params HEX] [--block N]",
	  "load a load file and install its module",
	  "secelctl gp VSE1 install purse.slf --params DF110400001388" },
	{ "load", "FILE [--block N]", "load a load file, install nothing",
	  "secelctl gp VSE1 load purse.slf" },
	{ "install-only",
	  "ELF MODULE [APP] [privs=HEX] [default] [installed] [--params HEX]",
	  "install from a load file on the card",
	  "secelctl gp VSE1 install-only A000000553454301 A00000055345430101" },
	{ "delete", "AID [--related]", "delete an application or a load file",
	  "secelctl gp VSE1 delete A000000553454301 --related" },
	{ "lock", "AID", "lock an application (not selectable)",
	  "secelctl gp VSE1 lock A00000055345430101" },
	{ "unlock", "AID", "unlock an application",
	  "secelctl gp VSE1 unlock A00000055345430101" },
	{ "put-key", "KVN:KEY|KVN:ENC:MAC:DEK [--replace KVN]",
	  "add an SCP03 key set, or replace one",
	  "secelctl gp VSE1 put-key 31:00112233445566778899AABBCCDDEEFF --replace 30" },
	{ "delete-key", "KVN", "delete a key set",
	  "secelctl gp VSE1 delete-key 31" },
	{ "card-lock", "", "lock the card: only the ISD is selectable",
	  "secelctl gp VSE1 card-lock" },
	{ "card-unlock", "", "unlock the card (SECURED again)",
	  "secelctl gp VSE1 card-unlock" },
	{ "card-terminate", "yes", "terminate the card, for good",
	  "secelctl gp VSE1 card-terminate yes" },
	{ "apdu", "HEX...", "send APDUs in the secure channel session",
	  "secelctl gp VSE1 apdu 80CA00E000 --level 33 --trace" },
	{ "mkload", "--type T --aid AID --module AID [--lf-version M.N] [--code-size N] FILE",
	  "write a secel load file (no SE)",
	  "secelctl gp mkload --type secel.purse --aid A000000553454301 --module A00000055345430101 purse.slf" },
	{ NULL, NULL, NULL, NULL }
};

const char *gp_help_mismatch(void)
{
	size_t i, j;

	for (i = 0; i < sizeof(cmd_opts) / sizeof(cmd_opts[0]); i++) {
		if (strcmp(cmd_opts[i].cmd, "gp"))
			continue;
		for (j = 0; gp_help[j].sub; j++)
			if (!strcmp(gp_help[j].sub, cmd_opts[i].sub))
				break;
		if (!gp_help[j].sub)
			return cmd_opts[i].sub;
	}
	for (j = 0; gp_help[j].sub; j++) {
		for (i = 0; i < sizeof(cmd_opts) / sizeof(cmd_opts[0]); i++)
			if (!strcmp(cmd_opts[i].cmd, "gp") &&
			    !strcmp(gp_help[j].sub, cmd_opts[i].sub))
				break;
		if (i == sizeof(cmd_opts) / sizeof(cmd_opts[0]))
			return gp_help[j].sub;
	}
	return NULL;
}
