/* SPDX-License-Identifier: GPL-2.0 */
/* secelctl - helpers with no kernel in them, unit-tested on the host */
#ifndef SECELCTL_H
#define SECELCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Parse hex digits into buf; spaces, colons and tabs between byte pairs are
 * allowed.  Returns NULL, or a message saying what is wrong.
 */
const char *hex_parse(const char *s, uint8_t *buf, size_t size, size_t *len);

/* Print s as a JSON string, with quotes and escapes. */
void json_string(FILE *f, const char *s);

/* Print the fields of a 42-byte GlobalPlatform CPLC, one per line. */
void cplc_print(FILE *f, const uint8_t *cplc, size_t len, const char *indent);

/*
 * The options that belong to commands, one bit each in a mask (1UL << OPT_*).
 * --ctl, --dev-dir, --help and --version go with every command.
 */
enum ctl_opt {
	OPT_ALL, OPT_JSON, OPT_RAW, OPT_WARM, OPT_CLEAR, OPT_SYSFS,
	/* secelctl gp */
	OPT_KEYS, OPT_KEY_FILE, OPT_KVN, OPT_LEVEL, OPT_AID, OPT_PARAMS,
	OPT_ISD, OPT_BLOCK, OPT_REPLACE, OPT_BASIC, OPT_RELATED, OPT_SECURE,
	OPT_TYPE, OPT_MODULE, OPT_LF_VERSION, OPT_CODE_SIZE, OPT_TRACE,
	/* secelctl acl load-ara */
	OPT_MAP, OPT_DRY_RUN, OPT_STRICT,
	OPT_COUNT
};

/* The long name of each, without the dashes. */
extern const char *const ctl_opt_names[OPT_COUNT];

/*
 * Whether the command in @args (@n words: "apdu SE HEX", "gp SE delete
 * AID", "gp mkload FILE", ...) takes every option in @given.  Returns 0,
 * or -1 with "COMMAND does not take --OPTION" (or why it takes it only
 * with another) in @msg.  An unknown command passes: its own check says
 * what is wrong with it.
 */
int opts_check(unsigned long given, char *const *args, int n, char *msg,
	       size_t room);

/*
 * secelctl --help for each gp subcommand: its arguments, what it does in
 * one line, and an example; the last entry's @sub is NULL.
 */
struct gp_help {
	const char *sub, *args, *what, *example;
};

extern const struct gp_help gp_help[];

/*
 * A gp subcommand in the option table without a --help entry, or one
 * with a --help entry that is not in the option table; NULL when they
 * agree.
 */
const char *gp_help_mismatch(void);

/* gp-cmd.c: secelctl gp */
struct gp_opts {
	const char *keys;	/* --keys KVN:KEY|KVN:ENC:MAC:DEK */
	const char *key_file;
	int kvn;		/* --kvn, -1: from the keys */
	uint8_t level;		/* --level, default 03 */
	const char *aid;	/* --aid: instance (install), load file (mkload) */
	const char *params;	/* --params: the value of C9 */
	const char *isd_hex;	/* --isd */
	uint8_t isd[16];
	size_t isd_len;
	size_t block;		/* --block: LOAD block size */
	unsigned int replace;	/* --replace KVN for put-key */
	bool basic;		/* --basic: no logical channel */
	bool related;		/* --related: delete related objects */
	bool secure_info;	/* --secure: info over a secure channel */
	bool trace;		/* --trace, or SECELCTL_GP_TRACE: APDUs on stderr */
	bool json;
	const char *type, *module, *version;	/* mkload */
	size_t code_size;
	const char *dev_dir;
};

extern struct gp_opts gp_opt;

/* Returns the exit status, or -1 for a usage error. */
int cmd_gp(unsigned int (*resolve)(const char *), char **args, int n);

/* acl.c: hand-written access rules */
/* A uid/gid: digits, or a user or group name looked up; -1 if unknown. */
int acl_id(const char *s, bool user, uint32_t *id);
#include <linux/secel.h>

/* One rule from its text; NULL, or what is wrong with it. */
const char *acl_rule_parse(const char *line, struct secel_acl_rule *r);
/* A rule as acl_rule_parse() reads it, with a newline. */
void acl_rule_print(FILE *f, const struct secel_acl_rule *r);
/*
 * One line of a rule file: a rule appended to *@rules (realloc'd), a
 * "default allow|deny" into *@flags, or nothing for a blank or comment
 * line.  0, or -1 with *@err saying why.
 */
int acl_table_parse_line(const char *line, struct secel_acl_rule **rules,
			 uint32_t *count, uint32_t *flags, const char **err);

#endif
