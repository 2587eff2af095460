// SPDX-License-Identifier: GPL-2.0
/* secelctl - host unit test of the helpers */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ara.h"
#include "se.h"
#include "secelctl.h"

static int failed, passed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

static void test_hex(void)
{
	uint8_t b[8];
	size_t n = 99;

	CHECK(!hex_parse("00A40400", b, sizeof(b), &n) && n == 4 &&
	      !memcmp(b, "\x00\xa4\x04\x00", 4));
	CHECK(!hex_parse("00 a4:04\t00 00", b, sizeof(b), &n) && n == 5);
	CHECK(!hex_parse("", b, sizeof(b), &n) && n == 0);
	CHECK(!strcmp(hex_parse("0", b, sizeof(b), &n), "odd number of hex digits"));
	CHECK(!strcmp(hex_parse("0g", b, sizeof(b), &n), "not a hex digit"));
	CHECK(!strcmp(hex_parse("zz", b, sizeof(b), &n), "not a hex digit"));
	CHECK(!strcmp(hex_parse("0 0", b, sizeof(b), &n), "not a hex digit"));
	CHECK(!strcmp(hex_parse("001122334455667788", b, sizeof(b), &n),
		      "too long"));
}

static void test_json(void)
{
	char *out = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&out, &sz);

	json_string(f, "a\"b\\c\n\x01");
	fclose(f);
	CHECK(!strcmp(out, "\"a\\\"b\\\\c\\n\\u0001\""));
	free(out);
}

static void test_cplc(void)
{
	uint8_t c[42];
	char *out = NULL;
	size_t sz = 0, i;
	FILE *f;

	for (i = 0; i < sizeof(c); i++)
		c[i] = i;
	c[6] = 0x81;	/* OS release date 8123: year ...8, day 123 */
	c[7] = 0x23;
	f = open_memstream(&out, &sz);
	cplc_print(f, c, sizeof(c), "");
	fclose(f);
	CHECK(strstr(out, "IC fabricator                  0001\n") != NULL);
	CHECK(strstr(out, "OS release date                8123 (year ...8, day 123)") != NULL);
	CHECK(strstr(out, "IC serial number               0C0D0E0F\n") != NULL);
	CHECK(strstr(out, "IC perso. equipment ID         26272829\n") != NULL);
	free(out);

	f = open_memstream(&out, &sz);
	cplc_print(f, c, 41, "");
	fclose(f);
	CHECK(strstr(out, "not decoded") != NULL);
	free(out);
}

#define B(o)	(1UL << OPT_##o)

/* opts_check() on a command line given as words */
static int check(unsigned long given, const char *line, char *msg)
{
	char buf[256], *args[16], *save = NULL, *w;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (w = strtok_r(buf, " ", &save); w && n < 16;
	     w = strtok_r(NULL, " ", &save))
		args[n++] = w;
	msg[0] = '\0';
	return opts_check(given, args, n, msg, SE_MSG_MAX);
}

static void test_opts_taken(void)
{
	char msg[SE_MSG_MAX];

	CHECK(!check(0, "list", msg));
	CHECK(!check(B(ALL) | B(JSON) | B(SYSFS), "list", msg));
	CHECK(!check(B(JSON) | B(SYSFS), "info VSE1", msg));
	CHECK(!check(B(CLEAR), "designate", msg));
	CHECK(!check(B(RAW), "apdu VSE1 00A40400", msg));
	CHECK(!check(B(RAW), "channel VSE1 F0534543454C01 8010000000", msg));
	CHECK(!check(B(WARM), "reset VSE1", msg));
	CHECK(!check(B(KEYS) | B(LEVEL) | B(ISD) | B(BASIC) | B(JSON),
		     "gp VSE1 list", msg));
	CHECK(!check(B(KEYS) | B(SECURE), "gp VSE1 info", msg));
	CHECK(!check(B(ISD) | B(BASIC), "gp VSE1 info", msg));
	CHECK(!check(B(AID) | B(PARAMS) | B(BLOCK) | B(KEY_FILE) | B(KVN),
		     "gp VSE1 install purse.slf", msg));
	CHECK(!check(B(RELATED), "gp VSE1 delete A000000553454301", msg));
	CHECK(!check(B(REPLACE), "gp VSE1 put-key 31:00", msg));
	CHECK(!check(B(TYPE) | B(AID) | B(MODULE) | B(LF_VERSION) |
		     B(CODE_SIZE), "gp mkload f.slf", msg));
	/* --trace goes with every subcommand that opens a session */
	CHECK(!check(B(TRACE), "gp VSE1 list", msg));
	CHECK(!check(B(TRACE), "gp VSE1 info", msg));
	CHECK(!check(B(TRACE) | B(BLOCK), "gp VSE1 install f.slf", msg));
	CHECK(!check(B(TRACE) | B(BLOCK) | B(KEYS), "gp VSE1 load f.slf", msg));
	CHECK(!check(B(TRACE) | B(PARAMS),
		     "gp VSE1 install-only A000000553454301 A00000055345430101",
		     msg));
	CHECK(!check(B(TRACE), "gp VSE1 delete-key 31", msg));
	CHECK(!check(B(TRACE), "gp VSE1 card-lock", msg));
	CHECK(!check(B(TRACE), "gp VSE1 card-unlock", msg));
	CHECK(!check(B(TRACE), "gp VSE1 card-terminate yes", msg));
	CHECK(!check(B(TRACE) | B(LEVEL), "gp VSE1 apdu 80CA00E000", msg));
	/* unknown commands are the dispatcher's to report */
	CHECK(!check(B(WARM), "frob", msg));
	CHECK(!check(B(WARM), "gp VSE1 frob", msg));
}

static void test_opts_refused(void)
{
	char msg[SE_MSG_MAX];

	CHECK(check(B(WARM), "apdu VSE1 00A40400", msg) &&
	      !strcmp(msg, "apdu does not take --warm"));
	CHECK(check(B(JSON), "acl list", msg) &&
	      !strcmp(msg, "acl does not take --json"));
	/* --json everywhere else outside gp */
	CHECK(!check(B(JSON), "add VSE1", msg));
	CHECK(!check(B(JSON), "apdu VSE1 00A40400", msg));
	CHECK(!check(B(JSON) | B(WARM), "reset VSE1", msg));
	CHECK(!check(B(JSON) | B(CLEAR), "designate", msg));
	CHECK(!check(B(JSON), "version", msg));
	CHECK(check(B(SYSFS), "apdu VSE1 00A40400", msg) &&
	      !strcmp(msg, "apdu does not take --sysfs"));
	CHECK(check(B(CLEAR), "reset VSE1", msg) &&
	      !strcmp(msg, "reset does not take --clear"));
	/* gp options outside gp, and across gp's subcommands */
	CHECK(check(B(RELATED), "apdu VSE1 00A40400", msg) &&
	      !strcmp(msg, "apdu does not take --related"));
	CHECK(check(B(KEYS), "list", msg) &&
	      !strcmp(msg, "list does not take --keys"));
	CHECK(check(B(RELATED), "gp VSE1 list", msg) &&
	      !strcmp(msg, "gp list does not take --related"));
	CHECK(check(B(AID), "gp VSE1 delete A000000553454301", msg) &&
	      !strcmp(msg, "gp delete does not take --aid"));
	CHECK(check(B(REPLACE), "gp VSE1 install f.slf", msg) &&
	      !strcmp(msg, "gp install does not take --replace"));
	CHECK(check(B(JSON), "gp VSE1 lock A00000055345430101", msg) &&
	      !strcmp(msg, "gp lock does not take --json"));
	CHECK(check(B(KEYS), "gp mkload f.slf", msg) &&
	      !strcmp(msg, "gp mkload does not take --keys"));
	CHECK(check(B(WARM), "gp VSE1 put-key 31:00", msg) &&
	      !strcmp(msg, "gp put-key does not take --warm"));
	CHECK(check(B(TRACE), "gp mkload f.slf", msg) &&
	      !strcmp(msg, "gp mkload does not take --trace"));
	CHECK(check(B(TRACE), "reset VSE1", msg) &&
	      !strcmp(msg, "reset does not take --trace"));
	CHECK(!check(B(TRACE), "apdu VSE1 00A40400", msg));
	CHECK(!check(B(TRACE), "channel VSE1 F0534543454C01", msg));
	CHECK(check(B(PARAMS), "gp VSE1 load f.slf", msg) &&
	      !strcmp(msg, "gp load does not take --params"));
	CHECK(check(B(BLOCK), "gp VSE1 install-only A000000553454301 A00000055345430101",
		    msg) &&
	      !strcmp(msg, "gp install-only does not take --block"));
	CHECK(check(B(RELATED), "gp VSE1 card-lock", msg) &&
	      !strcmp(msg, "gp card-lock does not take --related"));
	CHECK(check(B(JSON), "gp VSE1 apdu 80CA00E000", msg) &&
	      !strcmp(msg, "gp apdu does not take --json"));
	/* keys without --secure would be ignored by gp info */
	CHECK(check(B(KEYS), "gp VSE1 info", msg) &&
	      !strcmp(msg, "gp info takes --keys only with --secure"));
	/* the first option refused is named */
	CHECK(check(B(RAW) | B(WARM) | B(JSON), "list", msg) &&
	      !strcmp(msg, "list does not take --raw"));
}

/*
 * secelctl --help: every gp subcommand of the option table has a line and
 * an example, and each example passes the option check of its own
 * subcommand.
 */
static void test_gp_help(void)
{
	char buf[256], msg[SE_MSG_MAX], *args[16], *save = NULL, *w;
	unsigned long given;
	unsigned int o;
	size_t i;
	int n;

	CHECK(gp_help_mismatch() == NULL);
	for (i = 0; gp_help[i].sub; i++) {
		/* one line beside the synopsis: column 32 to 78 */
		CHECK(*gp_help[i].what && strlen(gp_help[i].what) <= 46 &&
		      !strchr(gp_help[i].what, '\n'));
		snprintf(buf, sizeof(buf), "%s", gp_help[i].example);
		n = 0;
		given = 0;
		for (w = strtok_r(buf, " ", &save); w && n < 16;
		     w = strtok_r(NULL, " ", &save)) {
			if (strncmp(w, "--", 2)) {
				args[n++] = w;
				continue;
			}
			for (o = 0; o < OPT_COUNT; o++)
				if (!strcmp(w + 2, ctl_opt_names[o]))
					given |= 1UL << o;
		}
		/* secelctl gp SE SUB ... or secelctl gp mkload ... */
		CHECK(n >= 3 && !strcmp(args[0], "secelctl") &&
		      !strcmp(args[1], "gp") &&
		      (!strcmp(args[2], gp_help[i].sub) ||
		       (n >= 4 && !strcmp(args[3], gp_help[i].sub))));
		CHECK(!opts_check(given, args + 1, n - 1, msg, sizeof(msg)));
	}
}

static bool has(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

static void test_why(void)
{
	/* EPERM: the capability, the kernel's MANAGE CHANNEL, private items */
	CHECK(has(se_why(SE_OP_CONFIG, EPERM), "CAP_SYS_ADMIN"));
	CHECK(has(se_why(SE_OP_RESET, EPERM), "CAP_SYS_ADMIN"));
	CHECK(has(se_why(SE_OP_ITEM, EPERM), "private"));
	CHECK(has(se_why(SE_OP_TRANSMIT, EPERM), "MANAGE CHANNEL"));
	CHECK(!has(se_why(SE_OP_TRANSMIT, EPERM), "CAP_SYS_ADMIN"));
	/* EACCES is the node's mode, not a capability */
	CHECK(has(se_why(SE_OP_OPEN, EACCES), "mode"));
	CHECK(!has(se_why(SE_OP_OPEN, EACCES), "CAP_SYS_ADMIN"));
	/* on an open node EACCES is the access rules */
	CHECK(has(se_why(SE_OP_TRANSMIT, EACCES), "access rules"));
	CHECK(has(se_why(SE_OP_OPEN_CHANNEL, EACCES), "access rules"));
	/* EBUSY: no channel left on OPEN_CHANNEL, a verification elsewhere */
	CHECK(has(se_why(SE_OP_OPEN_CHANNEL, EBUSY), "no logical channel left"));
	CHECK(has(se_why(SE_OP_CONFIG, EBUSY), "verification"));
	CHECK(!has(se_why(SE_OP_CONFIG, EBUSY), "channel"));
	CHECK(has(se_why(SE_OP_INQUIRE, EBUSY), "verification"));
	/* EMFILE: this file's own limit, not the card's */
	CHECK(has(se_why(SE_OP_OPEN_CHANNEL, EMFILE), "max_file_channels"));
	CHECK(has(se_why(SE_OP_TRANSMIT, ENOLINK), "not listed"));
	CHECK(has(se_why(SE_OP_TRANSMIT, ECANCELED), "deleted or reset"));
	CHECK(has(se_why(SE_OP_TRANSMIT, ENODEV), "gone"));
	CHECK(has(se_why(SE_OP_CONFIG, ENODEV), "index"));
	CHECK(has(se_why(SE_OP_CONFIG, ENOENT), "not listed"));
	CHECK(has(se_why(SE_OP_OPEN_CHANNEL, ENOENT), "AID"));
	CHECK(has(se_why(SE_OP_TRANSMIT, ETIMEDOUT), "did not answer"));
	CHECK(has(se_why(SE_OP_CONFIG, EPROTO), "rejected"));
	CHECK(!has(se_why(SE_OP_TRANSMIT, EPROTO), "verification"));
	CHECK(has(se_why(SE_OP_RESET, EPROTO), "ATR"));
	CHECK(has(se_why(SE_OP_TRANSMIT, ENXIO), "this file"));
	/* se_hint() does not know the operation: it names every cause */
	CHECK(has(se_hint(EBUSY), "no logical channel left") &&
	      has(se_hint(EBUSY), "verification"));
	CHECK(has(se_hint(EPERM), "CAP_SYS_ADMIN") &&
	      has(se_hint(EPERM), "MANAGE CHANNEL"));
	/* one line each */
	CHECK(!has(se_why(SE_OP_TRANSMIT, EMSGSIZE), "\n"));
	CHECK(!strcmp(se_why(SE_OP_INFO, ENOTTY), strerror(ENOTTY)));
}

/* acl_rule_parse() reads what acl_rule_print() writes, and says why not */
static void test_acl(void)
{
	static const char *const rules[] = {
		"aid=F0534543454C01 uid=1000 allow\n",
		"se=VSE1 kind=virtual cin=0102 prefix=A000000151 gid=27 deny\n",
		"none anyone deny\n",
		"prefix= anyone allow\n",
		"aid=F0534543454C01 uid=0 filter=80100000/FFFF0000,00B00000/FFFE0000\n",
	};
	struct secel_acl_rule r, *tab = NULL;
	uint32_t n = 0, flags = 0;
	const char *err = NULL;
	char *out = NULL;
	size_t sz = 0, i;
	FILE *f;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		CHECK(!acl_rule_parse(rules[i], &r));
		f = open_memstream(&out, &sz);
		acl_rule_print(f, &r);
		fclose(f);
		CHECK(!strcmp(out, rules[i]));
		if (strcmp(out, rules[i]))
			fprintf(stderr, "  printed %s  read %s", out, rules[i]);
		free(out);
		out = NULL;
	}
	CHECK(!acl_rule_parse("aid=F0534543454C01 allow", &r) &&
	      r.app == SECEL_ACL_APP_AID && r.aid_len == 7 &&
	      r.who == SECEL_ACL_WHO_ANY && r.action == SECEL_ACL_ALLOW);
	CHECK(!acl_rule_parse("deny", &r) && r.app == SECEL_ACL_APP_PREFIX &&
	      !r.aid_len);
	CHECK(!acl_rule_parse("user=root filter=80100000 ", &r) &&
	      r.who == SECEL_ACL_WHO_UID && !r.id && r.nr_filters == 1 &&
	      !memcmp(r.filters[0].mask, "\xff\xff\xff\xff", 4));
	CHECK(!strcmp(acl_rule_parse("aid=F053 allow", &r),
		      "aid= needs 5 to 16 hex bytes"));
	CHECK(!strcmp(acl_rule_parse("aid=F0534543454C01", &r),
		      "no action: allow, deny or filter="));
	CHECK(!strcmp(acl_rule_parse("allow deny", &r),
		      "more than one action"));
	CHECK(!strcmp(acl_rule_parse("uid=1 gid=2 allow", &r),
		      "more than one uid=, gid= or anyone"));
	CHECK(!strcmp(acl_rule_parse("filter=80100001/FFFF0000", &r),
		      "a filter's header has bits outside its mask"));
	CHECK(!strcmp(acl_rule_parse("kind=other allow", &r),
		      "kind= is physical or virtual"));
	CHECK(!strcmp(acl_rule_parse("user=no-such-user-here allow", &r),
		      "unknown user 'no-such-user-here'"));
	CHECK(!strcmp(acl_rule_parse("alow", &r), "unknown word 'alow'"));
	CHECK(!acl_table_parse_line("# a comment\n", &tab, &n, &flags, &err) &&
	      n == 0);
	CHECK(!acl_table_parse_line("default allow", &tab, &n, &flags, &err) &&
	      flags == SECEL_ACL_DEFAULT_ALLOW);
	CHECK(!acl_table_parse_line("none deny # trailing", &tab, &n, &flags,
				    &err) && n == 1 &&
	      tab[0].app == SECEL_ACL_APP_NONE);
	CHECK(acl_table_parse_line("default maybe", &tab, &n, &flags, &err) &&
	      n == 1);
	free(tab);
}

/* ---- acl load-ara: the ARA-M's rules ---- */

#define H1 "1111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333"
#define AID_A "F0534543454C01"
#define ARAM_READ "se=VSE1 aid=A00000015141434C00 uid=0 filter=80CA0000/FFFF0000\n"
#define CATCH_ALL "se=VSE1 prefix= anyone deny\n"

/* hex of a whole answer: FF40, its length, the REF-AR-DOs */
static size_t ara_hex(const char *hex, uint8_t *buf, size_t room)
{
	uint8_t body[1024];
	size_t n = 0, h;

	if (hex_parse(hex, body, sizeof(body), &n) || n + 5 > room)
		return 0;
	buf[0] = 0xff;
	buf[1] = 0x40;
	if (n < 0x80) {
		buf[2] = n;
		h = 3;
	} else {
		buf[2] = 0x82;
		buf[3] = n >> 8;
		buf[4] = n;
		h = 5;
	}
	memcpy(buf + h, body, n);
	return n + h;
}

/*
 * Parse @hex (REF-AR-DOs), translate with @map for VSE1: NULL with the
 * kernel rules as text in @text, or the error.
 */
static const char *ara_run(const char *hex, const char *map_text,
			   bool strict, char *text, size_t room,
			   char *notes_out, size_t notes_room)
{
	uint8_t buf[1024];
	size_t len = ara_hex(hex, buf, sizeof(buf)), tlen = 0, nlen = 0;
	struct ara_map map = { 0 };
	struct ara_rules rules;
	struct secel_acl_rule *out = NULL;
	uint32_t count = 0, i;
	char line[256], *nbuf = NULL, *tbuf = NULL;
	const char *e, *p = map_text;
	FILE *notes, *f;

	if (!len)
		return "bad test hex";
	while (*p) {
		size_t l = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		e = ara_map_parse_line(line, &map);
		if (e)
			return e;
		p += l + (p[l] == '\n');
	}
	e = ara_parse(buf, len, &rules);
	if (e) {
		ara_map_free(&map);
		return e;
	}
	notes = open_memstream(&nbuf, &nlen);
	e = ara_translate(&rules, &map, "VSE1", strict, notes, &out, &count);
	fclose(notes);
	snprintf(notes_out, notes_room, "%s", nbuf ? nbuf : "");
	free(nbuf);
	f = open_memstream(&tbuf, &tlen);
	for (i = 0; !e && i < count; i++)
		acl_rule_print(f, &out[i]);
	fclose(f);
	snprintf(text, room, "%s", tbuf ? tbuf : "");
	free(tbuf);
	free(out);
	ara_rules_free(&rules);
	ara_map_free(&map);
	return e;
}

static bool ara_gives(const char *hex, const char *map, const char *want)
{
	char text[4096], notes[1024];
	const char *e = ara_run(hex, map, false, text, sizeof(text), notes,
				sizeof(notes));

	if (e || strcmp(text, want)) {
		fprintf(stderr, "ARA %s\n  error: %s\n  got:\n%s  want:\n%s", hex,
			e ? e : "-", e ? "" : text, want);
		return false;
	}
	return true;
}

static bool ara_refuses(const char *hex, const char *map, bool strict,
			const char *why)
{
	char text[4096], notes[1024];
	const char *e = ara_run(hex, map, strict, text, sizeof(text), notes,
				sizeof(notes));

	if (!e || !strstr(e, why)) {
		fprintf(stderr, "ARA %s: want an error with '%s', got %s\n",
			hex, why, e ? e : "none");
		return false;
	}
	return true;
}

/* TLVs in hex, built so that the lengths are right by construction */
static char tlv_pool[64][2048];
static unsigned int tlv_next;

static const char *cat(const char *a, const char *b)
{
	char *p = tlv_pool[tlv_next++ % 64];

	snprintf(p, sizeof(tlv_pool[0]), "%s %s", a, b);
	return p;
}

static const char *T(const char *tag, const char *val)
{
	char *p = tlv_pool[tlv_next++ % 64];
	size_t digits = 0;
	const char *v;

	for (v = val; *v; v++)
		digits += *v != ' ';
	if (digits / 2 < 0x80)
		snprintf(p, sizeof(tlv_pool[0]), "%s %02zX %s", tag, digits / 2,
			 val);
	else
		snprintf(p, sizeof(tlv_pool[0]), "%s 81%02zX %s", tag,
			 digits / 2, val);
	return p;
}

#define AIDO(x)		T("4F", x)
#define DEFAULT_APP	T("C0", "")
#define HASH(x)		T("C1", x)
#define REF(a, h)	T("E1", cat(a, h))
#define APDU(x)		T("D0", x)
#define AR(x)		T("E3", x)
#define RULE(ref, ar)	T("E2", cat(ref, ar))
#define MAP "# hashes\n" H1 " uid=1000\n" H2 " gid=2000  # group\n"

static void test_ara(void)
{
	const char *r1, *r2, *r3;
	char text[4096], notes[1024], bad[512];
	uint8_t buf[64];
	size_t total = 0;

	/* a specific application first; the others NEVER for that AID */
	r1 = RULE(REF(AIDO(AID_A), HASH(H1)), AR(APDU("01")));
	r2 = RULE(REF(AIDO(AID_A), HASH("")), AR(APDU("01")));
	CHECK(ara_gives(cat(r1, r2), MAP, ARAM_READ
			"se=VSE1 aid=" AID_A " uid=1000 allow\n"
			"se=VSE1 aid=" AID_A " anyone deny\n" CATCH_ALL));
	/* no specific rule: the rule for every application decides */
	CHECK(ara_gives(r2, MAP, ARAM_READ "se=VSE1 aid=" AID_A
			" anyone allow\n" CATCH_ALL));
	/* the same pair twice: NEVER wins */
	r2 = RULE(REF(AIDO(AID_A), HASH(H1)), AR(APDU("00")));
	CHECK(ara_gives(cat(r1, r2), MAP, ARAM_READ
			"se=VSE1 aid=" AID_A " uid=1000 deny\n"
			"se=VSE1 aid=" AID_A " anyone deny\n" CATCH_ALL));
	/* filters: put together; ALWAYS with a filter is the filter */
	r1 = RULE(REF(AIDO(AID_A), HASH(H2)), AR(APDU("01")));
	r2 = RULE(REF(AIDO(AID_A), HASH(H2)),
		  AR(APDU("80CA0000FFFF0000 00B0000000FF0000")));
	r3 = RULE(REF(AIDO(AID_A), HASH(H2)), AR(APDU("80CA0000FFFF0000")));
	CHECK(ara_gives(cat(cat(r1, r2), r3), MAP, ARAM_READ
			"se=VSE1 aid=" AID_A " gid=2000 filter=80CA0000/FFFF0000,00B00000/00FF0000\n"
			"se=VSE1 aid=" AID_A " anyone deny\n" CATCH_ALL));
	/* every AID after the specific ones; an unmapped hash still counts */
	r1 = cat(RULE(REF(AIDO(""), HASH(H1)), AR(APDU("01"))),
		 RULE(REF(AIDO(""), HASH(H3)), AR(APDU("01"))));
	r2 = cat(RULE(REF(AIDO(AID_A), HASH("")), AR(APDU("00"))),
		 RULE(REF(DEFAULT_APP, HASH("")), AR(APDU("01"))));
	CHECK(ara_gives(cat(r1, r2), MAP, ARAM_READ
			"se=VSE1 none anyone allow\n"
			"se=VSE1 aid=" AID_A " anyone deny\n"
			"se=VSE1 prefix= uid=1000 allow\n"
			"se=VSE1 prefix= anyone deny\n" CATCH_ALL));
	r3 = RULE(REF(AIDO(""), HASH(H3)), AR(APDU("01")));
	CHECK(!ara_run(r3, MAP, false, text, sizeof(text), notes,
		       sizeof(notes)) &&
	      strstr(notes, H3) && strstr(notes, "not in the map"));
	CHECK(ara_refuses(r3, MAP, true, "not in the map"));
	/* '*' names the Linux identities of every device application */
	r1 = RULE(REF(AIDO(AID_A), HASH("")), AR(APDU("01")));
	CHECK(ara_gives(r1, MAP "* gid=3000\n", ARAM_READ
			"se=VSE1 aid=" AID_A " gid=3000 allow\n"
			"se=VSE1 aid=" AID_A " anyone deny\n" CATCH_ALL));
	/* no APDU-AR-DO: no access; NFC ignored with a note */
	CHECK(ara_gives(RULE(REF(AIDO(AID_A), HASH("")), AR("")), MAP,
			ARAM_READ "se=VSE1 aid=" AID_A " anyone deny\n"
			CATCH_ALL));
	CHECK(!ara_run(RULE(REF(AIDO(AID_A), HASH("")),
			    AR(cat(APDU("01"), T("D1", "00")))),
		       MAP, false, text, sizeof(text), notes, sizeof(notes)) &&
	      strstr(notes, "NFC-AR-DO"));
	/* a 32-byte hash, and a two-byte BER length in the middle */
	r1 = RULE(REF(AIDO(AID_A), HASH(H2)),
		  AR(APDU("80010000FFFF0000 80020000FFFF0000 80030000FFFF0000"
			  "80040000FFFF0000 80050000FFFF0000 80060000FFFF0000"
			  "80070000FFFF0000 80080000FFFF0000")));
	CHECK(ara_gives(r1, MAP, ARAM_READ
			"se=VSE1 aid=" AID_A " gid=2000 filter=80010000/FFFF0000,80020000/FFFF0000,80030000/FFFF0000,80040000/FFFF0000,80050000/FFFF0000,80060000/FFFF0000,80070000/FFFF0000,80080000/FFFF0000\n"
			"se=VSE1 aid=" AID_A " anyone deny\n" CATCH_ALL));
	/* no rules at all: no access (SEAC) */
	CHECK(ara_gives("", MAP, ARAM_READ CATCH_ALL));

	/* what the kernel cannot express */
	CHECK(ara_refuses(RULE(REF(cat(AIDO(AID_A), HASH("")), T("CA", "")),
			       AR(APDU("01"))), MAP, false, "PKG-REF-DO"));
	r1 = RULE(REF(AIDO(AID_A), HASH(H2)),
		  AR(APDU("80010000FFFF0000 80020000FFFF0000 80030000FFFF0000"
			  "80040000FFFF0000 80050000FFFF0000 80060000FFFF0000"
			  "80070000FFFF0000 80080000FFFF0000 80090000FFFF0000")));
	CHECK(ara_refuses(r1, MAP, false, "9 APDU filters"));
	CHECK(ara_refuses(RULE(REF(AIDO(AID_A), HASH("")),
			       AR(APDU("80CA0001FFFF0000"))), MAP, false,
			  "outside its mask"));
	/* bad answers */
	r1 = RULE(REF(AIDO(AID_A), HASH("")), AR(APDU("01")));
	snprintf(bad, sizeof(bad), "%s", r1);
	bad[strlen(bad) - 2] = '\0';		/* one byte short */
	CHECK(ara_refuses(bad, MAP, false, "says"));
	CHECK(ara_refuses(cat(r1, "E2"), MAP, false, "no length"));
	CHECK(ara_refuses(cat(r1, "E2 05 E1"), MAP, false, "says 5 bytes"));
	CHECK(ara_refuses(RULE(REF(AIDO("F05345"), HASH("")), AR("")), MAP,
			  false, "not 0 or 5 to 16"));
	CHECK(ara_refuses(RULE(REF(T("C0", "00"), HASH("")), AR("")), MAP,
			  false, "not 0"));
	CHECK(ara_refuses(RULE(REF(DEFAULT_APP, HASH("010203")), AR("")), MAP,
			  false, "not 0, 20"));
	CHECK(ara_refuses(RULE(REF(DEFAULT_APP, HASH("")), AR(APDU("02"))),
			  MAP, false, "not 00 (never) or 01"));
	CHECK(ara_refuses(RULE(REF(DEFAULT_APP, HASH("")), AR(APDU("0101"))),
			  MAP, false, "not 1 or a multiple of 8"));
	CHECK(ara_refuses(RULE(REF(DEFAULT_APP, HASH("")), AR(T("D5", "01"))),
			  MAP, false, "unknown tag D5"));
	CHECK(ara_refuses(RULE(REF(DEFAULT_APP, cat(HASH(""), T("85", ""))),
			       AR("")), MAP, false, "unknown tag 85"));
	CHECK(ara_refuses(RULE(REF(DEFAULT_APP, ""), AR(APDU("01"))), MAP,
			  false, "without a DeviceAppID-REF-DO"));
	CHECK(ara_refuses(RULE(REF(HASH(""), ""), AR(APDU("01"))), MAP, false,
			  "without an AID-REF-DO"));
	CHECK(ara_refuses(RULE(REF(DEFAULT_APP, HASH("")), ""), MAP, false,
			  "without an AR-DO"));
	CHECK(ara_refuses(RULE(REF(cat(DEFAULT_APP, AIDO("")), HASH("")),
			       AR("")), MAP, false, "two AID-REF-DOs"));
	CHECK(ara_refuses(AR(""), MAP, false, "not E2"));
	CHECK(ara_refuses(T("E2", "E1 80"), MAP, false, "bad length byte"));
	/* the header of the first answer gives the whole length */
	CHECK(!ara_total_len((const uint8_t *)"\xff\x40\x82\x01\x00", 5,
			     &total) && total == 0x105);
	CHECK(ara_total_len((const uint8_t *)"\xff\x41\x00", 3, &total));
	CHECK(ara_total_len((const uint8_t *)"\xff\x40\x84\x01", 4, &total));
	CHECK(ara_total_len((const uint8_t *)"\xff\x40\x83\x01\x00\x00", 6,
			    &total));	/* 65536 bytes: too long */
	/* after FF40: nothing */
	CHECK(ara_hex("", buf, sizeof(buf)) == 3);
	buf[3] = 0;
	{
		struct ara_rules r;

		CHECK(ara_parse(buf, 4, &r) != NULL);
		CHECK(!ara_parse(buf, 3, &r) && r.n == 0);
		ara_rules_free(&r);
	}
	/* the map file */
	{
		struct ara_map m = { 0 };

		CHECK(ara_map_parse_line("12 uid=1", &m) != NULL);
		CHECK(ara_map_parse_line(H1 " uid=1 more", &m) != NULL);
		CHECK(ara_map_parse_line(H1 " pid=1", &m) != NULL);
		CHECK(ara_map_parse_line(H1 " user=no-such-user-here", &m) != NULL);
		CHECK(!ara_map_parse_line(H1 " uid=1", &m) && m.n == 1);
		CHECK(strstr(ara_map_parse_line(H1 " gid=2", &m), "twice"));
		CHECK(!ara_map_parse_line("* anyone", &m) && m.n == 2);
		CHECK(!ara_map_parse_line("   # only a comment", &m) && m.n == 2);
		ara_map_free(&m);
	}
}

/*
 * test-util ara-parse: one response-ALL-AR-DO in hex a line on stdin; for
 * each, a line on stdout: its rules as JSON, or "error: " and why
 * (selftests/secel/ara_ref.py compares them with what it encoded).
 */
static int ara_parse_stdin(void)
{
	static char hex[2 * ARA_MAX_DATA + 2];
	static uint8_t buf[ARA_MAX_DATA];
	struct ara_rules rules;
	const char *e;
	size_t len;

	while (fgets(hex, sizeof(hex), stdin)) {
		hex[strcspn(hex, "\r\n")] = '\0';
		e = hex_parse(hex, buf, sizeof(buf), &len);
		if (!e)
			e = ara_parse(buf, len, &rules);
		if (e) {
			printf("error: %s\n", e);
			continue;
		}
		ara_rules_json(stdout, &rules);
		putchar('\n');
		ara_rules_free(&rules);
	}
	return ferror(stdin) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "ara-parse"))
		return ara_parse_stdin();
	test_hex();
	test_json();
	test_cplc();
	test_opts_taken();
	test_opts_refused();
	test_gp_help();
	test_why();
	test_acl();
	test_ara();
	printf("secelctl unit test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
